package app

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestARequestedRestoreIsReachedOnceS3WorksOnItOrTheObjectIsReadable(t *testing.T) {
	planned := json.RawMessage(`{"key":"k","storageClass":"GLACIER","restore":"in-progress","tier":"Bulk","days":3}`)
	for _, tc := range []struct {
		cur  string
		want bool
	}{
		{`{"key":"k","storageClass":"GLACIER"}`, false},
		{`{"key":"k","storageClass":"GLACIER","restore":"in-progress"}`, true},
		{`{"key":"k","storageClass":"GLACIER","restore":"restored","expiry":"2026-12-10T00:00:00Z"}`, true},
		{`{"key":"k","storageClass":"STANDARD"}`, true},
		{`{"key":"k","storageClass":"INTELLIGENT_TIERING","archiveStatus":"ARCHIVE_ACCESS"}`, false},
		{`{"key":"other","storageClass":"GLACIER","restore":"in-progress"}`, false},
		{`null`, false},
	} {
		assert.Equal(t, tc.want, reached(ResourceObjectRestore, json.RawMessage(tc.cur), planned), tc.cur)
	}
	// Other kinds compare by meaning, as before.
	assert.True(t, reached(ResourceObjectACL, json.RawMessage(`{"a":["x"]}`), json.RawMessage(`{"a":"x"}`)))
	assert.False(t, reached(ResourceObjectACL, json.RawMessage(`{"key":"k","storageClass":"GLACIER","restore":"restored"}`), planned))
}

func TestArchiveProgressCountsWhatIsReadableAndWhatIsNot(t *testing.T) {
	text, waiting := archiveProgress([]json.RawMessage{
		json.RawMessage(`{"key":"a","storageClass":"GLACIER","restore":"in-progress"}`),
		json.RawMessage(`{"key":"b","storageClass":"GLACIER","restore":"restored","expiry":"2026-12-10T00:00:00Z"}`),
		json.RawMessage(`{"key":"c","storageClass":"DEEP_ARCHIVE","restore":"restored","expiry":"2026-12-12T00:00:00Z"}`),
		json.RawMessage(`{"key":"d","storageClass":"INTELLIGENT_TIERING"}`),
	})
	assert.Equal(t, 1, waiting)
	assert.Equal(t, " Restores: 3 readable now, 1 still in progress. The restored copies expire from 2026-12-10T00:00:00Z to 2026-12-12T00:00:00Z. Resume the incident's changes later to check again (it sends nothing twice).", text)
}
