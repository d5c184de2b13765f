package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
	"s3responder/store"
)

// insightRecord builds a CloudTrail Insights event record shaped like the
// example in the CloudTrail user guide.
func insightRecordJSON(id, state, typ, source, name, errorCode string, at time.Time, avg, base float64, duration int, who string) string {
	code := ""
	if errorCode != "" {
		code = `"errorCode":"` + errorCode + `",`
	}
	return fmt.Sprintf(`{"eventVersion":"1.08","eventTime":"%s","awsRegion":"eu-west-1","eventID":"%s","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"12edc982-3348-4794-83d3-example","insightDetails":{"state":"%s","eventSource":"%s","eventName":"%s",%s"insightType":"%s","insightContext":{"statistics":{"baseline":{"average":%g},"insight":{"average":%g},"insightDuration":%d,"baselineDuration":10079},"attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:aws:iam::111122223333:user/quiet","average":0.5},{"value":"%s","average":%g}],"baseline":[{"value":"%s","average":0.01}]},{"attribute":"userAgent","insight":[{"value":"aws-cli/2.15.0","average":%g}],"baseline":[]},{"attribute":"errorCode","insight":[{"value":"null","average":%g}],"baseline":[]}]}},"eventCategory":"Insight"}`,
		at.Format(time.RFC3339), id, state, source, name, code, typ, base, avg, duration, who, avg, who, avg, avg)
}

// insightServer speaks CloudTrail's JSON 1.1 LookupEvents for the insight
// category: a Start and an End event over two pages in eu-west-1, an
// error-rate event in us-east-1.
type insightServer struct {
	*httptest.Server
	mu    sync.Mutex
	calls []string
}

var insightStart = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)

func newInsightServer(t *testing.T) *insightServer {
	s := &insightServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var in struct {
			EventCategory    string
			MaxResults       int
			NextToken        string
			LookupAttributes []any
			StartTime        float64
		}
		if r.Header.Get("X-Amz-Target") != "CloudTrail_20131101.LookupEvents" || json.Unmarshal(body, &in) != nil ||
			in.EventCategory != "insight" || len(in.LookupAttributes) != 0 || in.MaxResults != 50 {
			t.Errorf("unexpected Insights request %s %s", r.Header.Get("X-Amz-Target"), body)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		region := scopeAnyRE(r.Header.Get("Authorization"))
		s.mu.Lock()
		s.calls = append(s.calls, region+" "+in.NextToken)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		ev := func(id, name, rec string, at time.Time) map[string]any {
			return map[string]any{"EventId": id, "EventName": name, "EventTime": float64(at.Unix()), "EventSource": "s3.amazonaws.com", "ReadOnly": "true", "CloudTrailEvent": rec}
		}
		out := map[string]any{"Events": []any{}}
		switch {
		case region == "eu-west-1" && in.NextToken == "":
			out["Events"] = []any{ev("ins-end", "GetObject", insightRecordJSON("ins-end", "End", "ApiCallRateInsight", "s3.amazonaws.com", "GetObject", "", insightStart.Add(47*time.Minute), 812.5, 3.2, 47, "arn:aws:iam::111122223333:user/mallory"), insightStart.Add(47*time.Minute))}
			out["NextToken"] = "p2"
		case region == "eu-west-1":
			out["Events"] = []any{ev("ins-start", "GetObject", insightRecordJSON("ins-start", "Start", "ApiCallRateInsight", "s3.amazonaws.com", "GetObject", "", insightStart, 812.5, 3.2, 1, "arn:aws:iam::111122223333:user/mallory"), insightStart)}
		case region == "us-east-1":
			rec := strings.Replace(insightRecordJSON("ins-err", "Start", "ApiErrorRateInsight", "s3.amazonaws.com", "ListBuckets", "AccessDenied", insightStart.Add(-time.Hour), 40, 0.1, 1, "arn:aws:iam::111122223333:user/mallory"), `"awsRegion":"eu-west-1"`, `"awsRegion":"us-east-1"`, 1)
			out["Events"] = []any{ev("ins-err", "ListBuckets", rec, insightStart.Add(-time.Hour))}
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestInsights(t *testing.T) {
	srv := newInsightServer(t)
	s := connectTo(t, newSTSServer(t).URL)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", srv.URL)
	s2, err := Connect(context.Background(), Options{HTTPClient: loopbackClient(t)})
	require.NoError(t, err)
	s.CloudTrail = s2.CloudTrail
	c := NewCloud(s)
	now := insightStart.Add(24 * time.Hour)
	c.Now = func() time.Time { return now }
	c.Limiter = &Limiter{Interval: time.Millisecond}

	var progress []string
	rep, err := c.Insights(context.Background(), app.InsightQuery{Since: now.Add(-200 * 24 * time.Hour)}, func(d, n int) {
		progress = append(progress, fmt.Sprintf("%d/%d", d, n))
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"us-east-1"}, rep.Regions, "the session's region (us-east-1) once")
	assert.Equal(t, []string{"1/1"}, progress)
	assert.Contains(t, rep.Note, "only reaches back 90 days")
	assert.Equal(t, now.Add(-LookupWindow), rep.Since)
	require.Len(t, rep.Insights, 1)
	errIns := rep.Insights[0]
	assert.Equal(t, "ApiErrorRateInsight", errIns.Type)
	assert.Equal(t, "An unusual rate of AccessDenied errors on ListBuckets (s3.amazonaws.com) started: 40 per minute against a usual 0.1; mostly by arn:aws:iam::111122223333:user/mallory (40 per minute), with user agent aws-cli/2.15.0 (40 per minute).", errIns.Summary())

	rep, err = c.Insights(context.Background(), app.InsightQuery{Regions: []string{"eu-west-1", "us-east-1"}}, nil)
	require.NoError(t, err)
	assert.Empty(t, rep.Note)
	var ids []string
	for _, in := range rep.Insights {
		ids = append(ids, in.ID)
	}
	assert.Equal(t, []string{"ins-end", "ins-start", "ins-err"}, ids, "newest first, both pages, both regions")
	end, start := rep.Insights[0], rep.Insights[1]
	assert.Equal(t, "End", end.State)
	assert.Equal(t, 47*time.Minute, end.Duration)
	assert.Equal(t, "eu-west-1", end.Region)
	assert.Equal(t, insightStart, start.Time)
	assert.Equal(t, 812.5, start.Average)
	assert.Equal(t, 3.2, start.Baseline)
	require.Len(t, start.Attributions, 3)
	assert.Equal(t, app.Attribution{Attribute: "userIdentityArn", Value: "arn:aws:iam::111122223333:user/mallory", Average: 812.5, Baseline: 0.01}, start.Attributions[0], "the top value, with its usual rate")
	assert.Equal(t, "An unusual rate of calls of GetObject (s3.amazonaws.com) ended after 47m0s: 812.5 per minute against a usual 3.2; mostly by arn:aws:iam::111122223333:user/mallory (812.5 per minute), with user agent aws-cli/2.15.0 (812.5 per minute).", end.Summary())

	require.Len(t, rep.Items, 1)
	it := rep.Items[0]
	assert.Equal(t, "LookupEvents", it.Source.API)
	assert.Equal(t, "insight", it.Source.Params["EventCategory"])
	assert.Contains(t, it.Title, "(3 events)")
	var doc struct{ Records []map[string]any }
	require.NoError(t, json.Unmarshal(it.Data, &doc))
	require.Len(t, doc.Records, 3)
	assert.Equal(t, "AwsCloudTrailInsight", doc.Records[0]["eventType"], "CloudTrail's own records are kept")

	t.Run("nothing found says Insights may be off", func(t *testing.T) {
		rep, err := c.Insights(context.Background(), app.InsightQuery{Regions: []string{"ap-south-1"}}, nil)
		require.NoError(t, err)
		assert.Empty(t, rep.Insights)
		assert.Contains(t, rep.Note, "no trail has CloudTrail Insights turned on")
	})
}

func TestInsightsIntoService(t *testing.T) {
	isolate(t, "[default]\nregion = eu-west-1\n", "[default]\naws_access_key_id = AKIAEXAMPLEKEY000001\naws_secret_access_key = fakesecretfakesecretfakesecret\n")
	t.Setenv("AWS_ENDPOINT_URL", newSTSServer(t).URL)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", newInsightServer(t).URL)
	db, err := store.Open(filepath.Join(t.TempDir(), "incidents.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	pb, err := app.ParsePlaybook("built-in", assets.Playbook)
	require.NoError(t, err)
	svc := app.NewService(db, pb, "alice")
	connect := Connector(Options{HTTPClient: loopbackClient(t)})
	svc.SetConnector(func(ctx context.Context, p app.Profile) (app.Cloud, error) {
		cl, err := connect(ctx, p)
		if c, ok := cl.(*Cloud); ok {
			c.Now = func() time.Time { return insightStart.Add(24 * time.Hour) }
			c.Limiter = &Limiter{Interval: time.Millisecond}
		}
		return cl, err
	})
	ctx := context.Background()
	c, err := svc.Create(ctx, app.NewIncident{Title: "t"})
	require.NoError(t, err)

	q := app.InsightQuery{Since: insightStart.Add(-2 * time.Hour), Until: insightStart.Add(2 * time.Hour)}
	rep, saved, err := svc.CollectInsights(ctx, c.Incident.ID, app.Profile{}, q, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"eu-west-1", "us-east-1"}, rep.Regions)
	require.Len(t, rep.Insights, 3)
	require.Len(t, saved.Evidence, 1)
	assert.Equal(t, 4, saved.Entries)
	entries, err := svc.Timeline(ctx, c.Incident.ID)
	require.NoError(t, err)
	var at []time.Time
	for _, e := range entries {
		if strings.HasPrefix(e.Text, "CloudTrail Insights: ") {
			at = append(at, e.EventTime)
			assert.Equal(t, app.KindFinding, e.Kind)
			assert.Contains(t, e.Refs, saved.Evidence[0].ID)
		}
	}
	assert.ElementsMatch(t, []time.Time{insightStart.Add(47 * time.Minute), insightStart, insightStart.Add(-time.Hour)}, at, "each at its own time")

	_, again, err := svc.CollectInsights(ctx, c.Incident.ID, app.Profile{}, q, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, again.Entries, "known events are not recorded twice")

	_, _, err = svc.CollectInsights(ctx, c.Incident.ID, app.Profile{}, app.InsightQuery{Since: insightStart, Until: insightStart}, nil)
	require.ErrorIs(t, err, app.ErrInvalid)
}
