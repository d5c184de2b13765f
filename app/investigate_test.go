package app_test

import (
	"context"
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
