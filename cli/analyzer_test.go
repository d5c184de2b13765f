package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// analyzerFake speaks IAM Access Analyzer's REST-JSON protocol: one
// analyzer of outside access with one public bucket finding, or, when
// deny is set, AccessDeniedException for everything.
func analyzerFake(t *testing.T, deny bool) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if deny {
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"User is not authorized to perform: access-analyzer:ListAnalyzers"}`)
			return
		}
		switch r.URL.Path {
		case "/analyzer":
			fmt.Fprint(w, `{"analyzers":[{"arn":"arn:aws:access-analyzer:us-east-1:000000000000:analyzer/main","createdAt":"2025-11-20T15:57:17Z","name":"main","status":"ACTIVE","type":"ACCOUNT"}]}`)
		case "/finding":
			fmt.Fprint(w, `{"findings":[{"action":["s3:GetObject"],"analyzedAt":"2026-03-10T12:05:17Z","condition":{},"createdAt":"2026-03-10T12:05:17Z","id":"f-1","isPublic":true,"principal":{"AWS":"*"},"resource":"arn:aws:s3:::customer-data","resourceOwnerAccount":"000000000000","resourceType":"AWS::S3::Bucket","sources":[{"type":"POLICY"}],"status":"ACTIVE","updatedAt":"2026-03-10T12:05:17Z"}]}`)
		default:
			t.Errorf("unexpected Access Analyzer request %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAnalyzerCommand(t *testing.T) {
	e := newAWSEnv(t, defaultConfig)
	t.Setenv("AWS_ENDPOINT_URL_ACCESSANALYZER", analyzerFake(t, false).URL)
	id := e.newIncident()

	code, out, errOut := e.call(runAnalyzer, "", id)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "IAM Access Analyzer in us-east-1:\n  analyzer main (ACCOUNT, us-east-1): read\n")
	assert.Contains(t, out, "  PUBLIC  Bucket customer-data is public: everyone (*) may s3:GetObject without any condition (granted by POLICY).\n          finding f-1 in us-east-1, since 2026-03-10 12:05:17Z\n")
	assert.Contains(t, out, "Saved 2 evidence items to "+id)
	assert.Contains(t, errOut, "regions read: 1 of 1")

	evs, contents := e.stored(id)
	require.Len(t, evs, 2)
	assert.Equal(t, "IAM Access Analyzer analyzers in us-east-1", evs[0].Title)
	assert.Contains(t, string(contents[evs[1].ID]), `"Id": "f-1"`)

	code, out, errOut = e.call(runAnalyzer, "", id, "--json", "--regions", "us-east-1")
	require.Equal(t, exitOK, code, errOut)
	var got struct {
		Findings []struct {
			ID       string `json:"id"`
			IsPublic bool   `json:"isPublic"`
		} `json:"findings"`
		Evidence []struct{ ID string } `json:"evidence"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Len(t, got.Findings, 1)
	assert.True(t, got.Findings[0].IsPublic)
	assert.Len(t, got.Evidence, 2)

	t.Run("refused: a message in words and exit 1", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_ACCESSANALYZER", analyzerFake(t, true).URL)
		code, _, errOut := e.call(runAnalyzer, "", id, "--profile", "default")
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "lacks the permission access-analyzer:ListAnalyzers")
	})
	t.Run("usage", func(t *testing.T) {
		code, _, errOut := e.call(runAnalyzer, "")
		assert.Equal(t, exitUsage, code)
		assert.True(t, strings.Contains(errOut, "Usage: s3responder analyzer ID"), errOut)
	})
}
