package tabletop

import (
	"fmt"
	"strconv"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
)

// cutPage cuts one page of at most limit items from all, starting where
// token says (the index after prefix; nil or empty for the first page),
// as the simulated APIs page their lists. next is nil on the last page;
// ok is false for a token this list did not hand out, which each service
// refuses with its own error.
func cutPage[T any](all []T, token *string, prefix string, limit int) (page []T, next *string, ok bool) {
	start := 0
	if t := sdkaws.ToString(token); t != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(t, prefix))
		if err != nil || !strings.HasPrefix(t, prefix) || n < 0 || n > len(all) {
			return nil, nil, false
		}
		start = n
	}
	end := min(start+limit, len(all))
	if end < len(all) {
		next = sdkaws.String(fmt.Sprintf("%s%d", prefix, end))
	}
	return all[start:end], next, true
}
