package aws

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestVersionTimesAndCopySource(t *testing.T) {
	listed := time.Date(2026, 11, 26, 21, 13, 50, 0, time.UTC)
	for name, tc := range map[string]struct {
		id   string
		want time.Time
	}{
		// versitygw's ids are ULIDs: the time of writing, to the millisecond.
		"ULID":          {"01M8CVA7VRD6E8M7SAG4P90JBS", time.Date(2026, 11, 26, 21, 13, 50, 200_000_000, time.UTC)},
		"AWS version":   {"3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo", listed},
		"null version":  {"null", listed},
		"ULID too far":  {"01ARZ3NDEKTSV4RRFFQ69G5FAV", listed},
		"not base 32":   {"01M8CVA7VRD6E8M7SAG4P90JBU", listed},
		"too long a ts": {"81M8CVA7VRD6E8M7SAG4P90JBS", listed},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, createdAt(tc.id, listed))
		})
	}
	assert.Equal(t, "my-bucket/a%20b%2B%C3%BC/c~_-.txt?versionId=3/L4kq%2B", copySource("my-bucket", "a b+ü/c~_-.txt", "3/L4kq+"))
}
