package tabletop

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/aws"
)

// The investigations and inspections of the aws package over the
// simulated APIs give the built-in scenario's answers.

func findingOf(t *testing.T, rep app.Inspection, subject string) app.InspectFinding {
	t.Helper()
	for _, f := range rep.Findings {
		if f.Subject == subject {
			return f
		}
	}
	t.Fatalf("no finding about %s in %+v", subject, rep.Findings)
	return app.InspectFinding{}
}

func TestTheInspectionsGiveTheScenarioAnswers(t *testing.T) {
	ctx := context.Background()
	s := newAPISim(t)
	ch := s.cloud.Changer

	// Every IAM and EC2 inspection of the app is run here.
	for _, a := range app.InspectActions() {
		if strings.HasPrefix(a.ID, "iam.") || strings.HasPrefix(a.ID, "ec2.") {
			assert.Contains(t, []string{"ec2.find-role-instances", "ec2.find-key-pair-instances", "iam.review-principals"}, a.ID)
		}
	}
	rep, err := ch.Inspect(ctx, app.InspectRequest{Action: "ec2.find-role-instances", Params: map[string]string{"roleName": "DataPipelineRole"}}, s.by)
	require.NoError(t, err)
	assert.Equal(t, "2 instance(s) in eu-west-1 carry role DataPipelineRole; 1 still accept IMDSv1.", rep.Summary, "the terminated worker is left out")
	assert.Equal(t, app.SeverityMedium, findingOf(t, rep, "instance i-0a1b2c3d4e5f60718 (etl-worker-1)").Severity)
	assert.Equal(t, app.SeverityInfo, findingOf(t, rep, "instance i-0a1b2c3d4e5f60719 (etl-worker-2)").Severity)

	rep, err = ch.Inspect(ctx, app.InspectRequest{Action: "ec2.find-key-pair-instances", Params: map[string]string{"keyName": "ci-build-2025"}}, s.by)
	require.NoError(t, err)
	assert.Equal(t, "3 running or stopped instance(s) and 2 launch template version(s) in eu-west-1 use key pair ci-build-2025.", rep.Summary)
	assert.Empty(t, rep.Problems)
	assert.Contains(t, findingOf(t, rep, "launch template etl-workers (lt-"+s.b.sc.EC2.LaunchTemplates[0].ID[3:]+")").Text, "version")

	rep, err = ch.Inspect(ctx, app.InspectRequest{Action: "iam.review-principals", Principals: []app.PrincipalRef{
		{Value: "AKIAIOSFODNN7EXAMPLE", From: []string{"incident"}},
		{Value: "arn:aws:sts::111122223333:assumed-role/DataPipelineRole/sync", From: []string{"evidence EV-1"}},
		{Value: "dana.ops", From: []string{"parameter"}},
		{Value: "arn:aws:iam::444455556666:root", From: []string{"evidence EV-1"}},
		{Value: "AKIAZZZZZZZZZZZZZZZZ", From: []string{"parameter"}},
	}}, s.by)
	require.NoError(t, err)
	ci := findingOf(t, rep, "user ci-deploy")
	assert.Equal(t, app.SeverityHigh, ci.Severity, "its key is active")
	assert.Contains(t, ci.Text, "AKIAIOSFODNN7EXAMPLE Active, created 2026-09-02T14:11:30Z, last used 2026-11-24T02:03:40Z with iam in us-east-1")
	assert.Contains(t, ci.Text, "Inline policies: ci-deploy-access.")
	role := findingOf(t, rep, "role DataPipelineRole")
	assert.Contains(t, role.Text, "last used 2026-11-24T02:05:11Z in us-east-1; sessions seen: sync")
	assert.Contains(t, role.Text, "Instance profiles: DataPipelineProfile.")
	assert.Contains(t, role.Fix, "remove-role-from-instance-profile --instance-profile-name DataPipelineProfile")
	dana := findingOf(t, rep, "user dana.ops")
	assert.Contains(t, dana.Text, "Groups: operations. Attached policies: arn:aws:iam::aws:policy/ReadOnlyAccess.")
	assert.Equal(t, app.SeverityMedium, findingOf(t, rep, "account 444455556666").Severity)
	assert.Contains(t, findingOf(t, rep, "access key AKIAZZZZZZZZZZZZZZZZ").Text, "no user of this account holds the key")
	assert.Contains(t, rep.Summary, "2 IAM user(s) and 1 role(s) of this account exist")
}

func TestTheTrailLookupFindsTheStoryAndPagesNewestFirst(t *testing.T) {
	ctx := context.Background()
	s := newAPISim(t)
	tl := &aws.TrailLookup{API: trailAPI{s.b}, Now: s.clock.now, Limiter: s.cloud.Cloud.Limiter}
	events, note, err := tl.LookupAccessChanges(ctx, aws.TrailQuery{Start: exerciseStart.Add(-365 * 24 * time.Hour), End: exerciseStart,
		Regions: []string{"eu-west-1", "us-east-1"}}, nil)
	require.NoError(t, err)
	assert.Contains(t, note, "90 days", "the 2025 ownership change is beyond the event history")
	var names []string
	for _, e := range events {
		names = append(names, e.Name)
	}
	assert.Equal(t, []string{"UpdateAssumeRolePolicy", "PutBucketPolicy", "DeleteBucketPublicAccessBlock"}, names)
	assert.Equal(t, "acme-customer-exports", events[1].Bucket)
	assert.Contains(t, events[1].Summary, "public")
	assert.Equal(t, "DataPipelineRole", events[0].Role)
	assert.Equal(t, "AKIAIOSFODNN7EXAMPLE", events[0].AccessKeyID)

	// Paging: two at a time, newest first, every event once.
	api := trailAPI{s.b}
	in := &cloudtrail.LookupEventsInput{MaxResults: sdkaws.Int32(2), StartTime: sdkaws.Time(exerciseStart.Add(-24 * time.Hour)), EndTime: sdkaws.Time(exerciseStart)}
	var all []cttypes.Event
	pages := cloudtrail.NewLookupEventsPaginator(api, in)
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(p.Events), 2)
		all = append(all, p.Events...)
	}
	require.Len(t, all, 3, "eu-west-1's management events of the night: ListBuckets, DeleteBucketPublicAccessBlock, PutBucketPolicy (data events are not in the event history)")
	for i := 1; i < len(all); i++ {
		assert.False(t, all[i].EventTime.After(*all[i-1].EventTime), "newest first")
	}

	// The event history keeps 90 days, whatever the window asked.
	old, err := api.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: sdkaws.String("PutBucketOwnershipControls")}}},
		func(o *cloudtrail.Options) { o.Region = "us-east-1" })
	require.NoError(t, err)
	assert.Empty(t, old.Events, "the 2025 change is older than 90 days")

	_, err = api.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: sdkaws.String("a")},
		{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: sdkaws.String("b")}}})
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, "InvalidLookupAttributesException", apiErr.ErrorCode())
	_, err = api.LookupEvents(ctx, &cloudtrail.LookupEventsInput{NextToken: sdkaws.String("bogus")})
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, "InvalidNextTokenException", apiErr.ErrorCode())
}

func TestTheWatchFindsAKeyUsedAfterItWasDeactivated(t *testing.T) {
	ctx := context.Background()
	s := newAPISim(t)
	// A facilitator's inject: the intruder tries the key again at 09:10.
	s.b.sc.CloudTrail = append(s.b.sc.CloudTrail, Event{ID: "inject-1", Time: exerciseStart.Add(40 * time.Minute), Name: "ListBuckets", Source: "s3.amazonaws.com",
		Region: "eu-west-1", Actor: "arn:aws:iam::111122223333:user/service/ci-deploy", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SourceIP: "203.0.113.77",
		ErrorCode: "InvalidAccessKeyId"})
	plan, err := s.cloud.Changer.PlanChange(ctx, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"accessKeyId": "AKIAIOSFODNN7EXAMPLE"}}, s.by)
	require.NoError(t, err)
	s.clock.add(5 * time.Minute)
	applied := s.clock.now()
	require.NoError(t, s.cloud.Changer.WriteState(ctx, plan.Steps[0].Resource, plan.Steps[0].After))

	q := app.CredentialQuery{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Since: applied.Add(time.Second)}
	got, err := s.cloud.CredentialEvents(ctx, q)
	require.NoError(t, err)
	assert.Empty(t, got, "the inject has not happened yet")

	s.clock.add(time.Hour)
	got, err = s.cloud.CredentialEvents(ctx, q)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "inject-1", got[0].ID)
	assert.Equal(t, "InvalidAccessKeyId", got[0].ErrorCode)
	assert.Equal(t, "203.0.113.77", got[0].SourceIP)

	// The whole story of the key, in both regions, oldest first.
	got, err = s.cloud.CredentialEvents(ctx, app.CredentialQuery{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Since: exerciseStart.Add(-24 * time.Hour)})
	require.NoError(t, err)
	var names []string
	for _, e := range got {
		names = append(names, e.Name)
	}
	assert.Equal(t, []string{"GetCallerIdentity", "ListBuckets", "DeleteBucketPublicAccessBlock", "PutBucketPolicy", "UpdateAssumeRolePolicy", "ListBuckets"}, names)

	// By role: the AssumeRole from the other account names the role.
	got, err = s.cloud.CredentialEvents(ctx, app.CredentialQuery{RoleARN: "arn:aws:iam::111122223333:role/DataPipelineRole", Since: exerciseStart.Add(-24 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "AssumeRole", got[0].Name)
	assert.Equal(t, "arn:aws:iam::444455556666:user/sync-bot", got[0].Actor)
}

func TestInsightsAnalyzerAndMacieReadTheScenario(t *testing.T) {
	ctx := context.Background()
	s := newAPISim(t)

	ins, err := s.cloud.Insights(ctx, app.InsightQuery{Since: exerciseStart.Add(-48 * time.Hour)}, nil)
	require.NoError(t, err)
	require.Len(t, ins.Insights, 2)
	end, start := ins.Insights[0], ins.Insights[1]
	assert.Equal(t, "End", end.State)
	assert.Equal(t, 11*time.Minute, end.Duration)
	assert.Equal(t, "Start", start.State)
	assert.Equal(t, "ApiErrorRateInsight", start.Type)
	assert.Equal(t, "NoSuchBucketPolicy", start.ErrorCode)
	assert.Equal(t, "s3.amazonaws.com", start.EventSource)
	assert.InDelta(t, 9.4, start.Average, 1e-9)
	require.Len(t, start.Attributions, 1)
	assert.Equal(t, "arn:aws:iam::111122223333:user/service/ci-deploy", start.Attributions[0].Value)

	aa, err := s.cloud.AccessFindings(ctx, app.AnalyzerQuery{}, nil)
	require.NoError(t, err)
	require.Len(t, aa.Analyzers, 1)
	assert.True(t, aa.Analyzers[0].Read)
	assert.Len(t, aa.Findings, 4)
	assert.True(t, aa.Findings[0].Public, "public findings first")
	// Removing the other account from the trust policy resolves the
	// role's finding.
	plan := s.walkApplyOnly(t, app.ChangeRequest{Action: "iam.update-trust-policy",
		Params: map[string]string{"roleName": "DataPipelineRole", "removePrincipals": "arn:aws:iam::444455556666:root"}})
	require.NotEmpty(t, plan.Steps)
	aa, err = s.cloud.AccessFindings(ctx, app.AnalyzerQuery{}, nil)
	require.NoError(t, err)
	assert.Len(t, aa.Findings, 3)
	for _, f := range aa.Findings {
		assert.NotEqual(t, "AWS::IAM::Role", f.ResourceType)
	}
	aa, err = s.cloud.AccessFindings(ctx, app.AnalyzerQuery{Regions: []string{"us-east-1"}}, nil)
	require.NoError(t, err)
	assert.Empty(t, aa.Findings)
	require.Len(t, aa.Notes, 1)
	assert.Contains(t, aa.Notes[0], "no active analyzer")

	mac, err := s.cloud.MacieSummary(ctx, app.MacieQuery{Regions: []string{"eu-west-1", "us-east-1"}})
	require.NoError(t, err)
	require.Len(t, mac.Regions, 2)
	assert.True(t, mac.Regions[0].Enabled)
	assert.Equal(t, int64(3), mac.Regions[0].Buckets)
	assert.Equal(t, int64(1), mac.Regions[0].PubliclyAccessible)
	assert.False(t, mac.Regions[1].Enabled)
	assert.Contains(t, mac.Regions[1].Note, "not enabled")
}

// walkApplyOnly plans and applies an action, as a team would.
func (s apiSim) walkApplyOnly(t *testing.T, req app.ChangeRequest) app.Plan {
	t.Helper()
	ctx := context.Background()
	plan, err := s.cloud.Changer.PlanChange(ctx, req, s.by)
	require.NoError(t, err)
	for _, st := range plan.Steps {
		require.NoError(t, s.cloud.Changer.WriteState(ctx, st.Resource, st.After))
	}
	return plan
}

func TestAthenaAnswersTheAppsQueriesOverTheSimulatedTrail(t *testing.T) {
	ctx := context.Background()
	s := newAPISim(t)
	params := app.AthenaParams{Database: "security", Table: "cloudtrail_logs", Since: exerciseStart.Add(-24 * time.Hour), Until: exerciseStart}
	run := func(name string, p app.AthenaParams) app.AthenaResult {
		t.Helper()
		q, err := app.AthenaQueryFor(name, p)
		require.NoError(t, err)
		require.NotEmpty(t, q.SQL, q.Missing)
		res, err := s.cloud.RunAthena(ctx, app.AthenaRun{Name: name, SQL: q.SQL, Database: p.Database})
		require.NoError(t, err)
		assert.Equal(t, "SUCCEEDED", res.State)
		assert.Positive(t, res.ScannedBytes)
		return res
	}

	top := run(app.AthenaTopReaders, app.AthenaParams{Database: "security", Table: "cloudtrail_logs", Bucket: "acme-customer-exports"})
	assert.Equal(t, []string{"principal", "access_key", "sourceipaddress", "reads", "objects", "bytes_out", "first_read", "last_read"}, top.Columns)
	require.Len(t, top.Rows, 3)
	assert.Equal(t, []string{"", "", "198.51.100.23", "2", "2", "61090718", "2026-11-24T02:14:31Z", "2026-11-24T02:15:02Z"}, top.Rows[0], "anonymous reads have no principal")

	p := params
	p.Bucket = "acme-customer-exports"
	byBucket := run(app.AthenaByBucket, p)
	var names []string
	for _, r := range byBucket.Rows {
		names = append(names, r[1])
	}
	assert.Equal(t, []string{"DeleteBucketPublicAccessBlock", "PutBucketPolicy", "ListObjectsV2", "GetObject", "GetObject", "GetObject", "GetObject"}, names)
	assert.Equal(t, "4.8213307E7", byBucket.Rows[3][8], "bytes out as Athena writes a double")

	p = params
	p.AccessKey = "AKIAIOSFODNN7EXAMPLE"
	byKey := run(app.AthenaByAccessKey, p)
	require.Len(t, byKey.Rows, 3, "ListBuckets and the two bucket changes are S3 calls; GetCallerIdentity and UpdateAssumeRolePolicy are not")

	// The responders' own change shows among the configuration changes.
	s.walkApplyOnly(t, app.ChangeRequest{Action: "iam.revoke-role-sessions", Params: map[string]string{"roleName": "DataPipelineRole"}})
	s.clock.add(time.Minute)
	cfg := run(app.AthenaConfigChanges, app.AthenaParams{Database: "security", Table: "cloudtrail_logs"})
	names = nil
	for _, r := range cfg.Rows {
		names = append(names, r[2])
	}
	assert.Equal(t, []string{"PutBucketOwnershipControls", "DeleteBucketPublicAccessBlock", "PutBucketPolicy", "UpdateAssumeRolePolicy", "PutRolePolicy"}, names)
	last := cfg.Rows[len(cfg.Rows)-1]
	assert.Equal(t, s.b.sc.Caller.ARN, last[5])
	var rp map[string]any
	require.NoError(t, json.Unmarshal([]byte(last[9]), &rp))
	assert.Equal(t, "DataPipelineRole", rp["roleName"])

	// Edited SQL is refused in words, with Athena's error.
	q, err := app.AthenaQueryFor(app.AthenaByAccessKey, p)
	require.NoError(t, err)
	_, err = s.cloud.RunAthena(ctx, app.AthenaRun{Name: "custom", SQL: strings.Replace(q.SQL, "LIMIT 1000", "LIMIT 5 OFFSET 2", 1), Database: "security"})
	require.Error(t, err)
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, "InvalidRequestException", apiErr.ErrorCode())
	assert.Contains(t, err.Error(), "answers only the queries S3 Responder writes")
}
