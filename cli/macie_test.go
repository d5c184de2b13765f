package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// macieFake speaks Macie's REST-JSON GetBucketStatistics: counts shaped
// like the API reference's example, or, when off is set, Macie's answer
// where it is not enabled.
func macieFake(t *testing.T, off bool) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/datasources/s3/statistics" {
			t.Errorf("unexpected Macie request %s %s", r.Method, r.URL)
		}
		w.Header().Set("Content-Type", "application/json")
		if off {
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"Macie is not enabled."}`)
			return
		}
		fmt.Fprint(w, `{"bucketCount":4,"bucketCountByEffectivePermission":{"publiclyAccessible":1,"publiclyReadable":1,"publiclyWritable":0,"unknown":0},"bucketCountBySharedAccessType":{"external":1,"internal":0,"notShared":3,"unknown":0},"lastUpdated":"2026-03-10T06:12:44Z"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestMacieCommand(t *testing.T) {
	e := newAWSEnv(t, defaultConfig)
	t.Setenv("AWS_ENDPOINT_URL_MACIE2", macieFake(t, false).URL)
	id := e.newIncident()

	code, out, errOut := e.call(runMacie, "", id)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "  us-east-1: 4 buckets; 1 publicly accessible (1 readable, 0 writable by anyone), 1 shared with other accounts, 0 shared inside the organisation, 3 not shared (Macie's counts as of 2026-03-10T06:12:44Z).\n")
	assert.Contains(t, out, "Saved 1 evidence item to "+id)

	t.Run("Macie off is said, not an error", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_MACIE2", macieFake(t, true).URL)
		code, out, errOut := e.call(runMacie, "", id, "--json")
		require.Equal(t, exitOK, code, errOut)
		var got struct {
			Regions []struct {
				Enabled bool   `json:"enabled"`
				Note    string `json:"note"`
			} `json:"regions"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &got))
		require.Len(t, got.Regions, 1)
		assert.False(t, got.Regions[0].Enabled)
		assert.Contains(t, got.Regions[0].Note, "Amazon Macie is not enabled in us-east-1")
	})
}
