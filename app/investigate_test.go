package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// investigateCloud is a scripted account with the optional investigation
// capabilities on top of fakeCloud's basic ones.
type investigateCloud struct {
	*fakeCloud
	analyzer app.AnalyzerReport
	gotQuery app.AnalyzerQuery
	data     app.DataReport
	dataErr  error
	gotData  app.DataQuery
	athena   app.AthenaResult
	gotRun   app.AthenaRun
}

func (c *investigateCloud) RunAthena(_ context.Context, run app.AthenaRun) (app.AthenaResult, error) {
	c.called("RunAthena " + run.Name)
	c.gotRun = run
	return c.athena, nil
}

func (c *investigateCloud) FindData(_ context.Context, q app.DataQuery, _ app.Progress) (app.DataReport, error) {
	c.called("FindData " + q.Key)
	c.gotData = q
	return c.data, c.dataErr
}

func (c *investigateCloud) AccessFindings(_ context.Context, q app.AnalyzerQuery, progress app.Progress) (app.AnalyzerReport, error) {
	c.called("AccessFindings")
	c.gotQuery = q
	if progress != nil {
		progress(1, 1)
	}
	return c.analyzer, nil
}

// newInvestigateFixture is newCloudFixture whose connector hands out an
// investigateCloud over the same scripted account.
func newInvestigateFixture(t *testing.T) (*cloudFixture, *investigateCloud) {
	t.Helper()
	f := newCloudFixture(t)
	ic := &investigateCloud{fakeCloud: f.cloud}
	f.svc.SetConnector(func(_ context.Context, p app.Profile) (app.Cloud, error) {
		f.connects = append(f.connects, p)
		return ic, nil
	})
	return f, ic
}

func TestCapabilityMissingAndExerciseGuard(t *testing.T) {
	f := newCloudFixture(t) // a plain Cloud: none of the optional reads
	real := f.incident(t, false)
	ctx := context.Background()

	_, _, err := f.svc.CollectAccessFindings(ctx, real, app.Profile{Name: "prod"}, app.AnalyzerQuery{}, nil)
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), `the account of profile "prod" cannot read IAM Access Analyzer`)

	f2, ic := newInvestigateFixture(t)
	drill := f2.incident(t, true)
	_, _, err = f2.svc.CollectAccessFindings(ctx, drill, app.Profile{Name: "prod"}, app.AnalyzerQuery{}, nil)
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "is an exercise")
	assert.Empty(t, ic.calls, "an exercise never reaches a real account")
}

func TestCollectAccessFindings(t *testing.T) {
	f, ic := newInvestigateFixture(t)
	id := f.incident(t, false)
	ctx := context.Background()
	created := time.Date(2026, 3, 10, 12, 5, 17, 0, time.UTC)
	ic.analyzer = app.AnalyzerReport{
		Regions:   []string{"eu-west-1"},
		Analyzers: []app.Analyzer{{Name: "eu", ARN: "arn:aws:access-analyzer:eu-west-1:111122223333:analyzer/eu", Region: "eu-west-1", Type: "ACCOUNT", Status: "ACTIVE", Read: true}},
		Findings: []app.AccessFinding{
			{ID: "f1", Analyzer: "arn:aws:access-analyzer:eu-west-1:111122223333:analyzer/eu", Region: "eu-west-1", ResourceType: "AWS::S3::Bucket",
				Resource: "arn:aws:s3:::customer-data", Principal: map[string]string{"AWS": "*"}, Actions: []string{"s3:GetObject"}, Public: true, CreatedAt: created},
			{ID: "f2", Analyzer: "arn:aws:access-analyzer:eu-west-1:111122223333:analyzer/eu", Region: "eu-west-1", ResourceType: "AWS::IAM::Role",
				Resource: "arn:aws:iam::111122223333:role/path/Partner", Principal: map[string]string{"AWS": "444455556666"}, Actions: []string{"sts:AssumeRole"},
				Condition: map[string]string{"sts:ExternalId": "x1"}, CreatedAt: created.Add(-time.Hour)},
		},
		Notes: []string{"us-east-1 has no active analyzer."},
		Items: []app.Collected{item("analyzers", "ListAnalyzers", `{"Analyzers":[]}`), item("findings", "ListFindings", `{"Findings":[]}`)},
	}
	rep, saved, err := f.svc.CollectAccessFindings(ctx, id, app.Profile{Region: "eu-west-1"}, app.AnalyzerQuery{Regions: []string{"eu-west-1"}}, nil)
	require.NoError(t, err)
	assert.Len(t, rep.Findings, 2)
	assert.Equal(t, []string{"eu-west-1"}, ic.gotQuery.Regions)
	require.Len(t, saved.Evidence, 2)
	assert.Equal(t, aliceARN, saved.Evidence[0].CollectedBy)
	assert.Equal(t, 3, saved.Entries)
	f.checkStored(t, id, saved.Evidence[1], []byte(`{"Findings":[]}`))

	entries, err := f.svc.Timeline(ctx, id)
	require.NoError(t, err)
	public, role, summary := byPrefix(t, entries, "IAM Access Analyzer: Bucket"), byPrefix(t, entries, "IAM Access Analyzer: Role"), byPrefix(t, entries, "Read IAM Access Analyzer")
	assert.Equal(t, "IAM Access Analyzer: Bucket customer-data is public: everyone (*) may s3:GetObject without any condition. (finding f1 in eu-west-1)", public.Text)
	assert.Equal(t, created, public.EventTime, "at the time Access Analyzer reported it")
	assert.Equal(t, "IAM Access Analyzer: Role Partner can be assumed from outside the account: AWS 444455556666 may sts:AssumeRole when sts:ExternalId = x1. (finding f2 in eu-west-1)", role.Text)
	assert.Equal(t, app.KindFinding, role.Kind)
	assert.Equal(t, app.KindEvidence, summary.Kind)
	assert.Equal(t, "Read IAM Access Analyzer in eu-west-1 as "+aliceARN+": 1 analyzer of outside access read, 2 active findings on buckets and roles (1 public), 2 new on the timeline. us-east-1 has no active analyzer.", summary.Text)
	assert.Equal(t, cloudNow, summary.EventTime)
	for _, e := range []app.Entry{role, public, summary} {
		assert.Contains(t, e.Refs, saved.Evidence[0].ID)
	}

	_, again, err := f.svc.CollectAccessFindings(ctx, id, app.Profile{Region: "eu-west-1"}, app.AnalyzerQuery{}, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, again.Entries, "only the summary: the findings are on the timeline already")
	entries, err = f.svc.Timeline(ctx, id)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(entries[len(entries)-1].Text, "0 new on the timeline. us-east-1 has no active analyzer."))
}

// byPrefix is the one timeline entry whose text starts with prefix.
func byPrefix(t *testing.T, entries []app.Entry, prefix string) app.Entry {
	t.Helper()
	var found []app.Entry
	for _, e := range entries {
		if strings.HasPrefix(e.Text, prefix) {
			found = append(found, e)
		}
	}
	require.Len(t, found, 1, "entries starting with %q", prefix)
	return found[0]
}

func TestFindData(t *testing.T) {
	f, ic := newInvestigateFixture(t)
	id := f.incident(t, false)
	ctx := context.Background()
	p := app.Profile{Name: "prod"}

	_, _, err := f.svc.FindData(ctx, id, p, app.DataQuery{}, nil)
	require.ErrorIs(t, err, app.ErrInvalid)
	_, _, err = f.svc.FindData(ctx, id, p, app.DataQuery{Key: "x", MaxKeys: -1}, nil)
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Empty(t, ic.calls, "nothing asked of the account for a bad query")

	ic.data = app.DataReport{Key: "exports/", MaxKeys: 1000, Total: 3, Buckets: []app.BucketData{
		{Bucket: "billing", Region: "eu-west-1", Application: "billing", AppTag: "app", Tags: map[string]string{"app": "billing"},
			Keys: []app.ObjectHit{{Key: "exports/a.csv", Size: 10}}, Exact: false},
		{Bucket: "logs", Region: "eu-west-1", Problems: []string{"could not list the objects: Access denied"}},
	}, Items: []app.Collected{item("search", "ListObjectsV2", `{"buckets":[]}`)}}
	ic.dataErr = errors.New("check buckets (2 of 3 done): the AWS call was cancelled")
	rep, saved, err := f.svc.FindData(ctx, id, p, app.DataQuery{Key: "exports/", Buckets: []string{" billing ", "", "logs"}}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `search for "exports/" (2 of 3 buckets searched, kept)`)
	assert.Equal(t, app.DataQuery{Key: "exports/", Buckets: []string{"billing", "logs"}, MaxKeys: app.DefaultDataMaxKeys}, ic.gotData, "names trimmed, the default cap set")
	require.Len(t, saved.Evidence, 1, "what was searched is kept")
	assert.Len(t, rep.Matches(), 1)
	entries, err := f.svc.Timeline(ctx, id)
	require.NoError(t, err)
	last := entries[len(entries)-1]
	assert.Equal(t, app.KindFinding, last.Kind)
	assert.Equal(t, `Searched 2 buckets for objects whose key starts with "exports/" (at most 1000 keys listed per bucket), 2 of 3 before the search stopped: found in billing (application billing (tag app); 1 key). 1 bucket could not be fully read. As `+aliceARN+`. The search stopped early: check buckets (2 of 3 done): the AWS call was cancelled`, last.Text)
	assert.Equal(t, []string{saved.Evidence[0].ID}, last.Refs)

	t.Run("nothing searched: nothing kept", func(t *testing.T) {
		ic.data = app.DataReport{Key: "x", Total: 3}
		_, saved, err := f.svc.FindData(ctx, id, p, app.DataQuery{Key: "x"}, nil)
		require.Error(t, err)
		assert.Empty(t, saved.Evidence)
	})
}

func TestApplicationOf(t *testing.T) {
	for _, tc := range []struct {
		name      string
		tags      map[string]string
		app, from string
	}{
		{"application wins over app", map[string]string{"app": "b", "Application": "a"}, "a", "Application"},
		{"any case", map[string]string{"APP": "x"}, "x", "APP"},
		{"blank values are skipped", map[string]string{"application": " ", "app": "y"}, "y", "app"},
		{"none", map[string]string{"owner": "z"}, "", ""},
		{"no tags", nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, from := app.ApplicationOf(tc.tags)
			assert.Equal(t, tc.app, got)
			assert.Equal(t, tc.from, from)
		})
	}
}

func TestRunAthenaQuery(t *testing.T) {
	f, ic := newInvestigateFixture(t)
	id := f.incident(t, false)
	ctx := context.Background()
	p := app.Profile{Name: "prod"}
	for _, tc := range []struct {
		name string
		run  app.AthenaRun
		want string
	}{
		{"writes", app.AthenaRun{SQL: "INSERT INTO t VALUES (1)", Database: "db"}, "only queries that read"},
		{"no database", app.AthenaRun{SQL: "SELECT 1"}, "name the Athena database"},
		{"not S3", app.AthenaRun{SQL: "SELECT 1", Database: "db", OutputLocation: "/tmp/out"}, "must be an S3 address"},
		{"negative cap", app.AthenaRun{SQL: "SELECT 1", Database: "db", MaxRows: -1}, "row cap must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := f.svc.RunAthenaQuery(ctx, id, p, tc.run)
			require.ErrorIs(t, err, app.ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	assert.Empty(t, ic.calls, "nothing run for a refused query")

	ic.athena = app.AthenaResult{QueryID: "q-1", State: "SUCCEEDED", Columns: []string{"principal", "bytes_out"},
		Rows: [][]string{{"arn:aws:iam::444455556666:user/x", "734003200"}, {"arn:aws:iam::111122223333:role/etl", ""}}, Truncated: true,
		OutputLocation: "s3://results/q-1.csv", ScannedBytes: 3 << 30,
		Items: []app.Collected{item("results", "GetQueryResults", "principal,bytes_out\n"), item("execution", "GetQueryExecution", "{}")}}
	res, saved, err := f.svc.RunAthenaQuery(ctx, id, p, app.AthenaRun{Name: " ", SQL: "-- top\nSELECT 1", Database: "db"})
	require.NoError(t, err)
	assert.Equal(t, "q-1", res.QueryID)
	assert.Equal(t, "custom", ic.gotRun.Name)
	assert.Equal(t, app.DefaultAthenaMaxRows, ic.gotRun.MaxRows)
	require.Len(t, saved.Evidence, 2)
	entries, err := f.svc.Timeline(ctx, id)
	require.NoError(t, err)
	last := entries[len(entries)-1]
	assert.Equal(t, "Athena query custom (execution q-1, as "+aliceARN+") returned more than 2 rows (the first 2 fetched; all are in s3://results/q-1.csv), scanning 3.0 GiB. First row: principal=arn:aws:iam::444455556666:user/x, bytes_out=734003200.", last.Text)
	assert.Equal(t, app.KindFinding, last.Kind)
}
