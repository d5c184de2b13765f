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

// analyzerServer speaks IAM Access Analyzer's REST-JSON protocol for
// ListAnalyzers (GET /analyzer) and ListFindings (POST /finding), with
// bodies shaped like the API reference's examples. What it answers depends
// on the region the request was signed for: eu-west-1 has an analyzer of
// outside access with findings on two pages, us-east-1 has none, and
// ap-south-1 refuses.
type analyzerServer struct {
	*httptest.Server
	mu      sync.Mutex
	filters []map[string]map[string][]string
	calls   []string
}

const euAnalyzer = "arn:aws:access-analyzer:eu-west-1:111122223333:analyzer/ConsoleAnalyzer-eu"

// writeRESTJSONError answers like a REST-JSON service: the code in the
// X-Amzn-ErrorType header, the message in the body.
func writeRESTJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code+":http://internal.amazon.com/coral/com.amazon.coral.service/")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q}`, msg)
}

func newAnalyzerServer(t *testing.T) *analyzerServer {
	s := &analyzerServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		region := scopeAnyRE(r.Header.Get("Authorization"))
		s.mu.Lock()
		s.calls = append(s.calls, region+" "+r.Method+" "+r.URL.Path)
		s.mu.Unlock()
		if region == "ap-south-1" {
			writeRESTJSONError(w, http.StatusForbidden, "AccessDeniedException",
				"User: arn:aws:iam::111122223333:user/alice is not authorized to perform: access-analyzer:ListAnalyzers")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/analyzer":
			if region != "eu-west-1" {
				fmt.Fprint(w, `{"analyzers":[]}`)
				return
			}
			fmt.Fprint(w, `{"analyzers":[
  {"arn":"`+euAnalyzer+`","createdAt":"2025-11-20T15:57:17.262Z","lastResourceAnalyzed":"arn:aws:s3:::customer-data","lastResourceAnalyzedAt":"2026-03-10T12:05:17.262Z","name":"ConsoleAnalyzer-eu","status":"ACTIVE","tags":{},"type":"ACCOUNT"},
  {"arn":"arn:aws:access-analyzer:eu-west-1:111122223333:analyzer/unused","createdAt":"2025-11-20T15:57:17.262Z","name":"unused","status":"ACTIVE","type":"ACCOUNT_UNUSED_ACCESS","configuration":{"unusedAccess":{"unusedAccessAge":90}}},
  {"arn":"arn:aws:access-analyzer:eu-west-1:111122223333:analyzer/org","createdAt":"2025-11-20T15:57:17.262Z","name":"org","status":"FAILED","statusReason":{"code":"AWS_SERVICE_ACCESS_DISABLED"},"type":"ORGANIZATION"}]}`)
		case r.Method == http.MethodPost && r.URL.Path == "/finding":
			body, _ := io.ReadAll(r.Body)
			var in struct {
				AnalyzerArn string                         `json:"analyzerArn"`
				Filter      map[string]map[string][]string `json:"filter"`
				MaxResults  int                            `json:"maxResults"`
				NextToken   string                         `json:"nextToken"`
			}
			if err := json.Unmarshal(body, &in); err != nil || in.AnalyzerArn != euAnalyzer {
				t.Errorf("unexpected ListFindings body %s", body)
				writeRESTJSONError(w, http.StatusBadRequest, "ValidationException", "bad request")
				return
			}
			s.mu.Lock()
			s.filters = append(s.filters, in.Filter)
			s.mu.Unlock()
			if in.NextToken == "" {
				fmt.Fprint(w, `{"findings":[
  {"action":["s3:GetObject"],"analyzedAt":"2026-03-10T12:05:17.262Z","condition":{},"createdAt":"2026-03-10T12:05:17.262Z","id":"f-public-bucket","isPublic":true,"principal":{"AWS":"*"},"resource":"arn:aws:s3:::customer-data","resourceOwnerAccount":"111122223333","resourceType":"AWS::S3::Bucket","sources":[{"type":"POLICY"}],"status":"ACTIVE","updatedAt":"2026-03-10T12:05:17.262Z"}],
  "nextToken":"page-2"}`)
				return
			}
			fmt.Fprint(w, `{"findings":[
  {"action":["sts:AssumeRole"],"analyzedAt":"2026-03-09T08:00:00Z","condition":{},"createdAt":"2026-03-01T08:00:00Z","id":"f-role","isPublic":false,"principal":{"AWS":"444455556666"},"resource":"arn:aws:iam::111122223333:role/Partner","resourceOwnerAccount":"111122223333","resourceType":"AWS::IAM::Role","status":"ACTIVE","updatedAt":"2026-03-09T08:00:00Z"},
  {"action":["s3:GetObject","s3:ListBucket"],"analyzedAt":"2026-03-09T08:00:00Z","condition":{"aws:SourceIp":"203.0.113.0/24"},"createdAt":"2026-02-01T08:00:00Z","id":"f-shared-bucket","isPublic":false,"principal":{"AWS":"arn:aws:iam::444455556666:root"},"resource":"arn:aws:s3:::analytics","resourceOwnerAccount":"111122223333","resourceType":"AWS::S3::Bucket","sources":[{"type":"S3_ACCESS_POINT","detail":{"accessPointArn":"arn:aws:s3:eu-west-1:111122223333:accesspoint/partner"}}],"status":"ACTIVE","updatedAt":"2026-03-09T08:00:00Z"}]}`)
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			writeRESTJSONError(w, http.StatusNotFound, "ResourceNotFoundException", "no such route")
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// analyzerCloud is a Cloud whose STS and Access Analyzer are the fakes.
func analyzerCloud(t *testing.T) (*Cloud, *analyzerServer) {
	t.Helper()
	aa := newAnalyzerServer(t)
	s := connectTo(t, newSTSServer(t).URL)
	t.Setenv("AWS_ENDPOINT_URL_ACCESSANALYZER", aa.URL)
	s2, err := Connect(context.Background(), Options{HTTPClient: loopbackClient(t)})
	require.NoError(t, err)
	s.Analyzer = s2.Analyzer
	c := NewCloud(s)
	c.Now = func() time.Time { return fixedNow }
	return c, aa
}

func TestAccessFindings(t *testing.T) {
	c, srv := analyzerCloud(t)
	var progress []string
	rep, err := c.AccessFindings(context.Background(), app.AnalyzerQuery{Regions: []string{"eu-west-1", " us-east-1", "ap-south-1", "eu-west-1"}}, func(d, n int) {
		progress = append(progress, fmt.Sprintf("%d/%d", d, n))
	})
	require.NoError(t, err, "one refused region does not hide the others")
	assert.Equal(t, []string{"eu-west-1", "us-east-1", "ap-south-1"}, rep.Regions)
	assert.Equal(t, []string{"1/3", "2/3"}, progress, "the refused region counts no progress")

	require.Len(t, rep.Analyzers, 3)
	assert.True(t, rep.Analyzers[0].Read)
	assert.Equal(t, "ConsoleAnalyzer-eu", rep.Analyzers[0].Name)
	assert.False(t, rep.Analyzers[1].Read, "unused-access analyzers are listed, not read")
	assert.Equal(t, "AWS_SERVICE_ACCESS_DISABLED", rep.Analyzers[2].StatusReason)
	assert.False(t, rep.Analyzers[2].Read, "a failed analyzer is not read")

	var ids []string
	for _, f := range rep.Findings {
		ids = append(ids, f.ID)
		assert.Equal(t, euAnalyzer, f.Analyzer)
		assert.Equal(t, "eu-west-1", f.Region)
		assert.Equal(t, "ACTIVE", f.Status)
	}
	assert.Equal(t, []string{"f-public-bucket", "f-role", "f-shared-bucket"}, ids, "public first, both pages")
	pub, role, shared := rep.Findings[0], rep.Findings[1], rep.Findings[2]
	assert.Equal(t, "Bucket customer-data is public: everyone (*) may s3:GetObject without any condition (granted by POLICY).", pub.Summary())
	assert.Equal(t, time.Date(2026, 3, 10, 12, 5, 17, 262e6, time.UTC), pub.CreatedAt)
	assert.Equal(t, "Role Partner can be assumed from outside the account: AWS 444455556666 may sts:AssumeRole without any condition.", role.Summary())
	assert.Equal(t, "Bucket analytics is shared outside the account: AWS arn:aws:iam::444455556666:root may s3:GetObject, s3:ListBucket when aws:SourceIp = 203.0.113.0/24 (granted by S3_ACCESS_POINT arn:aws:s3:eu-west-1:111122223333:accesspoint/partner).", shared.Summary())
	assert.Equal(t, map[string]string{"aws:SourceIp": "203.0.113.0/24"}, shared.Condition)

	require.Len(t, rep.Notes, 2)
	assert.Contains(t, rep.Notes[0], "us-east-1 has no active analyzer of access from outside the account")
	assert.Contains(t, rep.Notes[1], "ap-south-1 could not be read")
	assert.Contains(t, rep.Notes[1], "lacks the permission access-analyzer:ListAnalyzers")

	srv.mu.Lock()
	filters := srv.filters
	srv.mu.Unlock()
	require.Len(t, filters, 2, "two pages of one analyzer")
	for _, f := range filters {
		assert.Equal(t, map[string]map[string][]string{"status": {"eq": {"ACTIVE"}}, "resourceType": {"eq": {"AWS::S3::Bucket", "AWS::IAM::Role"}}}, f)
	}

	var titles []string
	for _, it := range rep.Items {
		titles = append(titles, it.Title)
		assert.True(t, json.Valid(it.Data), it.Title)
		assert.Equal(t, "123456789012", it.Source.Account)
		assert.Equal(t, fixedNow, it.CollectedAt)
	}
	assert.Equal(t, []string{
		"IAM Access Analyzer analyzers in eu-west-1",
		"IAM Access Analyzer active findings on buckets and roles, analyzer ConsoleAnalyzer-eu in eu-west-1",
		"IAM Access Analyzer analyzers in us-east-1",
		"IAM Access Analyzer analyzers in ap-south-1 (failed)",
	}, titles)
	var findings struct{ Findings []map[string]any }
	require.NoError(t, json.Unmarshal(rep.Items[1].Data, &findings))
	assert.Len(t, findings.Findings, 3, "both pages in one answer")
	assert.Equal(t, "ListFindings", rep.Items[1].Source.API)
	assert.Contains(t, string(rep.Items[3].Data), "AccessDeniedException")
	assert.Contains(t, rep.Items[3].Problem, "access-analyzer:ListAnalyzers")

	t.Run("the only region refused is an error in words", func(t *testing.T) {
		_, err := c.AccessFindings(context.Background(), app.AnalyzerQuery{Regions: []string{"ap-south-1"}}, nil)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindDenied, e.Kind)
		assert.Equal(t, "access-analyzer:ListAnalyzers", e.Permission)
		assert.Contains(t, err.Error(), "list the analyzers in ap-south-1: Access denied for AccessAnalyzer ListAnalyzers")
	})
	t.Run("no region given: the profile's", func(t *testing.T) {
		rep, err := c.AccessFindings(context.Background(), app.AnalyzerQuery{}, nil)
		require.NoError(t, err)
		assert.Equal(t, []string{"us-east-1"}, rep.Regions)
		assert.Empty(t, rep.Findings)
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.AccessFindings(ctx, app.AnalyzerQuery{Regions: []string{"eu-west-1", "us-east-1"}}, nil)
		require.Error(t, err)
	})
}

// TestAccessFindingsIntoService runs the app's use case over the adapter
// and a real store: each active finding lands on the timeline once, at the
// time Access Analyzer reported it.
func TestAccessFindingsIntoService(t *testing.T) {
	aa := newAnalyzerServer(t)
	isolate(t, "[default]\nregion = eu-west-1\n", "[default]\naws_access_key_id = AKIAEXAMPLEKEY000001\naws_secret_access_key = fakesecretfakesecretfakesecret\n")
	t.Setenv("AWS_ENDPOINT_URL", newSTSServer(t).URL)
	t.Setenv("AWS_ENDPOINT_URL_ACCESSANALYZER", aa.URL)

	db, err := store.Open(filepath.Join(t.TempDir(), "incidents.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	pb, err := app.ParsePlaybook("built-in", assets.Playbook)
	require.NoError(t, err)
	svc := app.NewService(db, pb, "alice")
	svc.SetConnector(Connector(Options{HTTPClient: loopbackClient(t)}))
	ctx := context.Background()
	c, err := svc.Create(ctx, app.NewIncident{Title: "t"})
	require.NoError(t, err)

	rep, saved, err := svc.CollectAccessFindings(ctx, c.Incident.ID, app.Profile{}, app.AnalyzerQuery{}, nil)
	require.NoError(t, err)
	require.Len(t, rep.Findings, 3)
	require.Len(t, saved.Evidence, 2)
	assert.Equal(t, 4, saved.Entries, "three findings and the summary")
	for _, ev := range saved.Evidence {
		content, err := db.EvidenceContent(ctx, ev.SHA256)
		require.NoError(t, err)
		assert.Equal(t, app.HashHex(content), ev.SHA256)
		assert.Equal(t, "arn:aws:iam::123456789012:user/Alice", ev.CollectedBy)
	}
	entries, err := svc.Timeline(ctx, c.Incident.ID)
	require.NoError(t, err)
	var found []app.Entry
	for _, e := range entries {
		if strings.HasPrefix(e.Text, "IAM Access Analyzer: ") {
			found = append(found, e)
		}
	}
	require.Len(t, found, 3)
	assert.Equal(t, "IAM Access Analyzer: Bucket customer-data is public: everyone (*) may s3:GetObject without any condition (granted by POLICY). (finding f-public-bucket in eu-west-1)", found[0].Text)
	assert.Equal(t, time.Date(2026, 3, 10, 12, 5, 17, 262e6, time.UTC), found[0].EventTime)
	assert.Equal(t, app.KindFinding, found[0].Kind)
	assert.Contains(t, found[0].Refs, "access-analyzer:"+euAnalyzer+"/f-public-bucket")
	assert.Contains(t, found[0].Refs, saved.Evidence[1].ID)
	last := entries[len(entries)-1]
	assert.Contains(t, last.Text, "Read IAM Access Analyzer in eu-west-1 as arn:aws:iam::123456789012:user/Alice: 1 analyzer of outside access read, 3 active findings on buckets and roles (1 public), 3 new on the timeline.")

	_, again, err := svc.CollectAccessFindings(ctx, c.Incident.ID, app.Profile{}, app.AnalyzerQuery{}, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, again.Entries, "known findings are not recorded twice; only the summary")
	_, err = svc.Verify(ctx, c.Incident.ID)
	require.NoError(t, err)
}
