package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAnalyzer speaks IAM Access Analyzer's REST-JSON protocol: one
// analyzer of outside access, a public bucket and a role trusted by
// another account.
func fakeAnalyzer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/analyzer":
			fmt.Fprint(w, `{"analyzers":[{"arn":"arn:aws:access-analyzer:us-east-1:000000000000:analyzer/main","createdAt":"2025-11-20T15:57:17Z","name":"main","status":"ACTIVE","type":"ACCOUNT"}]}`)
		case "/finding":
			fmt.Fprint(w, `{"findings":[
{"action":["sts:AssumeRole"],"condition":{"sts:ExternalId":"x1"},"createdAt":"2026-03-01T08:00:00Z","analyzedAt":"2026-03-09T08:00:00Z","updatedAt":"2026-03-09T08:00:00Z","id":"f-role","isPublic":false,"principal":{"AWS":"444455556666"},"resource":"arn:aws:iam::000000000000:role/Partner","resourceOwnerAccount":"000000000000","resourceType":"AWS::IAM::Role","status":"ACTIVE"},
{"action":["s3:GetObject"],"condition":{},"createdAt":"2026-03-10T12:05:17Z","analyzedAt":"2026-03-10T12:05:17Z","updatedAt":"2026-03-10T12:05:17Z","id":"f-public","isPublic":true,"principal":{"AWS":"*"},"resource":"arn:aws:s3:::customer-data","resourceOwnerAccount":"000000000000","resourceType":"AWS::S3::Bucket","sources":[{"type":"POLICY"}],"status":"ACTIVE"}]}`)
		default:
			t.Errorf("unexpected Access Analyzer request %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAWSPaneAccessAnalyzer(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_ACCESSANALYZER", fakeAnalyzer(t))
	f := newAWSFixture(t, false)
	p, h := f.p, f.h

	test.Tap(p.more.analyzer)
	assert.True(t, p.exposure.Disabled(), "one operation at a time")
	f.idle("access analyzer")
	require.Len(t, p.rows, 2, p.status.Text)
	assert.Equal(t, "PUBLIC  ·  bucket customer-data", p.rows[0].title, "public first")
	assert.Equal(t, widget.DangerImportance, p.rows[0].imp)
	assert.Equal(t, "shared  ·  role Partner", p.rows[1].title)
	assert.Equal(t, "Role Partner can be assumed from outside the account: AWS 444455556666 may sts:AssumeRole when sts:ExternalId = x1.", p.rows[1].sub)
	assert.Contains(t, p.detail.Text, "Reported since: 2026-03-10 13:05 CET", "times in the incident's zone")
	assert.Equal(t, widget.DangerImportance, p.status.Importance)
	assert.True(t, strings.HasPrefix(p.status.Text, "Access Analyzer in us-east-1: 1 analyzer read, 2 active findings on buckets and roles, 1 public; each on the timeline. Saved 2 items as evidence"), p.status.Text)

	entries, err := h.svc.Timeline(context.Background(), f.ws.id)
	require.NoError(t, err)
	var at []time.Time
	for _, e := range entries {
		if strings.HasPrefix(e.Text, "IAM Access Analyzer: ") {
			at = append(at, e.EventTime)
		}
	}
	assert.ElementsMatch(t, []time.Time{time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 12, 5, 17, 0, time.UTC)}, at)

	t.Run("an exercise works on the simulated account", func(t *testing.T) {
		g := newAWSFixture(t, true)
		assert.False(t, g.p.more.analyzer.Disabled())
		assert.Equal(t, "tabletop", g.p.profile.Text)
	})
}

// fakeInsights speaks CloudTrail's JSON 1.1 LookupEvents for the insight
// category: one Start event at "at".
func fakeInsights(t *testing.T, at time.Time) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		rec := fmt.Sprintf(`{"eventVersion":"1.08","eventTime":"%s","awsRegion":"us-east-1","eventID":"ins-1","eventType":"AwsCloudTrailInsight","insightDetails":{"state":"Start","eventSource":"s3.amazonaws.com","eventName":"GetObject","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":2},"insight":{"average":600},"insightDuration":1},"attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:aws:iam::000000000000:user/mallory","average":600}],"baseline":[]}]}},"eventCategory":"Insight"}`, at.Format(time.RFC3339))
		_ = json.NewEncoder(w).Encode(map[string]any{"Events": []any{map[string]any{"EventId": "ins-1", "EventName": "GetObject", "EventTime": float64(at.Unix()), "CloudTrailEvent": rec}}})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAWSPaneInsights(t *testing.T) {
	at := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Minute)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", fakeInsights(t, at))
	f := newAWSFixture(t, false)
	p := f.p

	p.until.SetText("yesterday-ish")
	test.Tap(p.more.insights)
	assert.False(t, p.running, "a bad window is caught before any call")
	assert.Contains(t, p.status.Text, "Check the window: until: ")

	p.until.SetText("")
	p.regions.SetText("us-east-1")
	test.Tap(p.more.insights)
	f.idle("insights")
	require.Len(t, p.rows, 1, p.status.Text)
	loc := f.ws.c.Incident.Location()
	assert.Equal(t, formatWhenZone(at, loc)+"  Start  GetObject", p.rows[0].title)
	assert.Equal(t, "An unusual rate of calls of GetObject (s3.amazonaws.com) started: 600 per minute against a usual 2; mostly by arn:aws:iam::000000000000:user/mallory (600 per minute).", p.rows[0].sub)
	assert.True(t, strings.HasPrefix(p.status.Text, "1 Insights event between "), p.status.Text)
	assert.Contains(t, p.status.Text, "Saved 1 item as evidence")

	entries, err := f.h.svc.Timeline(context.Background(), f.ws.id)
	require.NoError(t, err)
	found := false
	for _, e := range entries {
		if strings.HasPrefix(e.Text, "CloudTrail Insights: ") {
			found = true
			assert.Equal(t, at, e.EventTime)
		}
	}
	assert.True(t, found, "the event is on the timeline")
}

func TestAWSPaneFindData(t *testing.T) {
	f := newAWSFixture(t, false)
	p := f.p
	ctx := context.Background()
	lc, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(awsLoopback(t)))
	require.NoError(t, err)
	admin := s3.NewFromConfig(lc, func(o *s3.Options) { o.UsePathStyle = true })
	prefix := f.bucket + "/exports/"
	for _, k := range []string{prefix + "a.csv", prefix + "b.csv", prefix + "c.csv"} {
		_, err := admin.PutObject(ctx, &s3.PutObjectInput{Bucket: &f.bucket, Key: sdkaws.String(k), Body: strings.NewReader("x")})
		require.NoError(t, err)
	}
	_, err = admin.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &f.bucket, Tagging: &types.Tagging{TagSet: []types.Tag{{Key: sdkaws.String("App"), Value: sdkaws.String("website")}}}})
	require.NoError(t, err)

	test.Tap(p.more.findData)
	assert.False(t, p.running)
	assert.Equal(t, "Type the object key, or the start of it, to look for.", p.status.Text)
	p.more.dataKey.SetText(prefix)
	p.more.dataCap.SetText("zero")
	test.Tap(p.more.findData)
	assert.Equal(t, "The cap on keys per bucket must be a positive number.", p.status.Text)

	p.more.dataCap.SetText("2")
	test.Tap(p.more.findData)
	f.idle("find data")
	require.NotEmpty(t, p.rows, p.status.Text)
	assert.Equal(t, "found  ·  "+f.bucket+" (us-east-1)", p.rows[0].title, "the bucket holding the data first")
	assert.Equal(t, "application website (tag App)  ·  more than 2 keys (the cap)", p.rows[0].sub)
	assert.Contains(t, p.detail.Text, prefix+"a.csv  (1 bytes, ")
	assert.NotContains(t, p.detail.Text, prefix+"c.csv", "the cap holds")
	assert.Contains(t, p.status.Text, "(at most 2 keys listed per bucket): found in "+f.bucket+" (application website (tag App); more than 2 keys (the cap)).")
	assert.Contains(t, p.status.Text, "Saved 1 item as evidence")
	for _, r := range p.rows[1:] {
		assert.True(t, strings.HasPrefix(r.title, "not found  ·  "), r.title)
	}

	t.Run("cancel", func(t *testing.T) {
		hold := make(chan struct{})
		f.proxy.hold.Store(&hold)
		before := f.proxy.requests.Load()
		test.Tap(p.more.findData)
		f.h.eventually(func() bool { return f.proxy.requests.Load() > before }, "the search never reached S3")
		test.Tap(p.cancelBtn)
		f.idle("cancelled search")
		f.proxy.hold.Store(nil)
		close(hold)
		assert.Contains(t, p.status.Text, "cancelled")
		assert.False(t, p.more.findData.Disabled())
	})
	t.Run("cancel before the work has started", func(t *testing.T) {
		hold := make(chan struct{})
		f.proxy.hold.Store(&hold)
		defer close(hold)
		defer f.proxy.hold.Store(nil)
		test.Tap(p.more.findData)
		test.Tap(p.cancelBtn) // at once: the goroutine may not have begun
		f.idle("search cancelled at once")
		assert.Contains(t, p.status.Text, "cancelled")
	})
}

// fakeMacie speaks Macie's REST-JSON GetBucketStatistics: not enabled in
// us-east-1, counts in eu-west-1.
func fakeMacie(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.Header.Get("Authorization"), "/us-east-1/") {
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"Macie is not enabled."}`)
			return
		}
		fmt.Fprint(w, `{"bucketCount":4,"bucketCountByEffectivePermission":{"publiclyAccessible":1,"publiclyReadable":1,"publiclyWritable":0,"unknown":0},"bucketCountBySharedAccessType":{"external":2,"internal":0,"notShared":2,"unknown":0},"lastUpdated":"2026-03-10T06:12:44Z"}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAWSPaneMacie(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_MACIE2", fakeMacie(t))
	f := newAWSFixture(t, false)
	p := f.p

	test.Tap(p.more.macie)
	f.idle("macie, default region")
	require.Len(t, p.rows, 1, p.status.Text)
	assert.Equal(t, "Macie  ·  us-east-1  ·  not available", p.rows[0].title)
	assert.Contains(t, p.rows[0].sub, "Amazon Macie is not enabled in us-east-1")
	assert.Equal(t, widget.WarningImportance, p.status.Importance)

	p.regions.SetText("eu-west-1, us-east-1")
	test.Tap(p.more.macie)
	f.idle("macie, two regions")
	require.Len(t, p.rows, 2, p.status.Text)
	assert.Equal(t, widget.DangerImportance, p.rows[0].imp)
	assert.Equal(t, "eu-west-1: 4 buckets; 1 publicly accessible (1 readable, 0 writable by anyone), 2 shared with other accounts, 0 shared inside the organisation, 2 not shared (Macie's counts as of 2026-03-10T06:12:44Z)", p.rows[0].sub)
	assert.True(t, strings.HasPrefix(p.status.Text, "Macie counts 1 publicly accessible and 2 shared buckets in 1 region; it gave no summary in 1 region (see the list). Saved 2 items as evidence"), p.status.Text)
	assert.Equal(t, widget.DangerImportance, p.status.Importance)
}

func TestAWSPaneAthena(t *testing.T) {
	f := newAWSFixture(t, false) // kumo answers Athena with fixed rows
	p := f.p
	a := p.more.athena

	test.Tap(p.more.athenaBtn)
	require.NotNil(t, a.dlg)
	assert.NotNil(t, f.h.w.Canvas().Overlays().Top(), "the dialog is over the window")

	a.query.SetSelected(a.query.Options[1]) // by-bucket, before the table is named
	assert.Contains(t, a.note.Text, "name the Athena database and the CloudTrail table")
	assert.Empty(t, a.sql.Text)

	a.database.SetText("security")
	a.table.SetText("cloudtrail_logs")
	p.since.SetText("2026-03-01")
	test.Tap(a.write)
	if dir := os.Getenv("UI_SCREENSHOT_DIR"); dir != "" {
		out, err := os.Create(filepath.Join(dir, "dialog-athena.png"))
		require.NoError(t, err)
		require.NoError(t, png.Encode(out, capture(f.h)))
		require.NoError(t, out.Close())
	}
	assert.Contains(t, a.sql.Text, `FROM "security"."cloudtrail_logs"`)
	assert.Contains(t, a.sql.Text, "json_extract_scalar(requestparameters, '$.bucketName') = '"+f.bucket+"'", "the pane's bucket")
	assert.Contains(t, a.sql.Text, "eventtime >= '2026-02-28T23:00:00Z'", "the pane's window, from the incident's zone to UTC")

	a.query.SetSelected(a.query.Options[0]) // by-access-key, without a key
	assert.Equal(t, "The query by-access-key needs the access key to trace.", a.note.Text)
	assert.Empty(t, a.sql.Text)

	a.sql.SetText("DROP TABLE security.cloudtrail_logs")
	test.Tap(a.runBtn)
	assert.Contains(t, a.note.Text, "only queries that read")
	assert.False(t, p.running, "nothing runs")

	a.query.SetSelected(a.query.Options[3]) // top-readers
	a.sql.SetText("-- edited by the responder\n" + a.sql.Text)
	a.output.SetText("s3://athena-results/s3responder/")
	test.Tap(a.runBtn)
	f.idle("athena")
	require.Len(t, p.rows, 1, p.status.Text)
	assert.Equal(t, "value1  ·  value2", p.rows[0].title)
	assert.Equal(t, "column1: value1\ncolumn2: value2", p.detail.Text)
	assert.Regexp(t, `^Athena query top-readers \([0-9a-f-]+\): 1 row, 1\.0 KiB scanned\. Saved 2 items as evidence`, p.status.Text)

	evs, err := f.h.svc.ListEvidence(context.Background(), f.ws.id)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	var csv []string
	for _, ev := range evs {
		if ev.MediaType == "text/csv" {
			csv = append(csv, ev.Title)
		}
	}
	require.Len(t, csv, 1)
	assert.Contains(t, csv[0], "Athena results of query top-readers")

	test.Tap(p.more.athenaBtn)
	assert.Equal(t, "security", a.database.Text, "the dialog remembers the table")
}
