package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// insightsFake speaks CloudTrail's JSON 1.1 LookupEvents for the insight
// category, with one Start event shaped like the user guide's example.
func insightsFake(t *testing.T, at time.Time) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var in struct{ EventCategory string }
		if json.Unmarshal(body, &in) != nil || in.EventCategory != "insight" {
			t.Errorf("unexpected CloudTrail request %s", body)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		rec := fmt.Sprintf(`{"eventVersion":"1.08","eventTime":"%s","awsRegion":"us-east-1","eventID":"ins-1","eventType":"AwsCloudTrailInsight","recipientAccountId":"000000000000","insightDetails":{"state":"Start","eventSource":"s3.amazonaws.com","eventName":"GetObject","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":2},"insight":{"average":600},"insightDuration":1},"attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:aws:iam::000000000000:user/mallory","average":600}],"baseline":[]}]}},"eventCategory":"Insight"}`,
			at.Format(time.RFC3339))
		_ = json.NewEncoder(w).Encode(map[string]any{"Events": []any{map[string]any{
			"EventId": "ins-1", "EventName": "GetObject", "EventTime": float64(at.Unix()), "EventSource": "s3.amazonaws.com", "CloudTrailEvent": rec,
		}}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestInsightsCommand(t *testing.T) {
	e := newAWSEnv(t, defaultConfig)
	at := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", insightsFake(t, at).URL)
	id := e.newIncident()

	code, out, errOut := e.call(runInsights, "", id, "--regions", "us-east-1")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "in us-east-1: 1\n")
	assert.Contains(t, out, at.Format("2006-01-02 15:04:05Z")+"  Start  An unusual rate of calls of GetObject (s3.amazonaws.com) started: 600 per minute against a usual 2; mostly by arn:aws:iam::000000000000:user/mallory (600 per minute).\n")
	assert.Contains(t, out, "Saved 1 evidence item to "+id)

	evs, contents := e.stored(id)
	require.Len(t, evs, 1)
	assert.Contains(t, string(contents[evs[0].ID]), `"eventType": "AwsCloudTrailInsight"`)

	code, out, errOut = e.call(runInsights, "", id, "--json", "--regions", "us-east-1")
	require.Equal(t, exitOK, code, errOut)
	var got struct {
		Insights []struct {
			ID    string `json:"eventId"`
			State string `json:"state"`
		} `json:"insights"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Len(t, got.Insights, 1)
	assert.Equal(t, "ins-1", got.Insights[0].ID)

	t.Run("a window that ends before it starts", func(t *testing.T) {
		code, _, errOut := e.call(runInsights, "", id, "--since", "2026-03-02", "--until", "2026-03-01")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, "--since must come before --until")
	})
}
