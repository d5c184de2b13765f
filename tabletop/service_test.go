package tabletop_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
	"s3responder/store"
	"s3responder/tabletop"
)

// These tests drive exercise incidents through app.Service, on a real
// bbolt store, with main's wiring: the tabletop connector in front of a
// "real" connector that fails the test if it is ever called.

const (
	exports   = "acme-customer-exports"
	leakedKey = "AKIAIOSFODNN7EXAMPLE"
	ciUser    = "ci-deploy"
)

var sim = app.Profile{Name: app.SimulatedProfileName, Exercise: true}

// forbidden is a real connector that must never be reached.
type forbidden struct {
	t     *testing.T
	calls atomic.Int64
}

func (f *forbidden) connect(_ context.Context, p app.Profile) (app.Cloud, error) {
	f.calls.Add(1)
	if p.Exercise {
		f.t.Errorf("the real connector was asked for an exercise profile: %+v", p)
	}
	return nil, app.ErrNotFound
}

type env struct {
	t    *testing.T
	path string
	real *forbidden
	svc  *app.Service
	db   *store.DB
	now  func() time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "incidents.db"), real: &forbidden{t: t}}
	e.open()
	t.Cleanup(func() {
		if e.db != nil {
			_ = e.db.Close()
		}
		assert.Zero(t, e.real.calls.Load(), "the real connector was called")
	})
	return e
}

// open opens the database as a new process would: nothing of the earlier
// service (its connections, the simulator's memory) survives.
func (e *env) open() {
	e.t.Helper()
	if e.db != nil {
		require.NoError(e.t, e.db.Close())
	}
	db, err := store.Open(e.path)
	require.NoError(e.t, err)
	pb, err := app.ParsePlaybook("built-in", assets.Playbook)
	require.NoError(e.t, err)
	e.db = db
	e.svc = app.NewService(db, pb, "facilitator")
	if e.now != nil {
		e.svc.SetClock(e.now)
	}
	e.svc.SetConnector(tabletop.Connector(e.real.connect))
}

func (e *env) exercise() string {
	e.t.Helper()
	c, err := e.svc.Create(context.Background(), app.NewIncident{Title: "Drill: public exports", Exercise: true, Buckets: []string{exports}})
	require.NoError(e.t, err)
	return c.Incident.ID
}

func (e *env) exposure(id string) app.BucketReport {
	e.t.Helper()
	rep, saved, err := e.svc.CollectBucketExposure(context.Background(), id, sim, exports)
	require.NoError(e.t, err)
	require.NotEmpty(e.t, saved.Evidence)
	return rep
}

func (e *env) apply(id string, req app.ChangeRequest) app.ChangeRun {
	e.t.Helper()
	plan, err := e.svc.PlanChange(context.Background(), id, sim, req)
	require.NoError(e.t, err)
	assert.True(e.t, plan.Simulated)
	run, err := e.svc.ApplyChange(context.Background(), id, sim, plan.ID, plan.ConfirmWord)
	require.NoError(e.t, err)
	require.Equal(e.t, app.ChangeDone, run.Status)
	require.True(e.t, run.Verified, run.Report())
	return run
}

// state reads a resource of the incident's simulated account, opened
// the way the service opens it: from the stored journal.
func (e *env) state(id string, r app.Resource) string {
	e.t.Helper()
	ctx := context.Background()
	recs, err := e.db.Journal(ctx, id)
	require.NoError(e.t, err)
	cl, err := tabletop.Connector(e.real.connect)(ctx, sim)
	require.NoError(e.t, err)
	scoped, err := cl.(app.IncidentCloud).ForIncident(ctx, id, recs)
	require.NoError(e.t, err)
	st, err := scoped.(app.Mutator).ReadState(ctx, r)
	require.NoError(e.t, err)
	return string(st)
}

func TestExerciseEndToEnd(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.exercise()

	// The scenario's bucket is public through the intruder's statement
	// and shared with the intruder's account.
	rep := e.exposure(id)
	assert.Equal(t, "Public", rep.Verdict)
	assert.True(t, rep.Public)
	assert.Equal(t, "Public: its bucket policy is public and RestrictPublicBuckets is off.", rep.Reasons[0])
	assert.Contains(t, strings.Join(rep.Reasons, "\n"), "PublicReadExports")
	assert.Equal(t, []string{"444455556666"}, rep.SharedWith)
	assert.Empty(t, rep.Disagreement)
	for _, it := range rep.Items {
		assert.Equal(t, "public-exports", it.Source.Params[tabletop.SimulatedParam], "every simulated response names its scenario")
	}

	// Remove the statements that make it public or shared.
	run := e.apply(id, app.ChangeRequest{Action: "s3.remove-policy-statements", Params: map[string]string{"bucket": exports}})
	assert.Equal(t, "PutBucketPolicy", run.Plan.Steps[0].Call)
	assert.Contains(t, run.Plan.Steps[0].CLI, "aws s3api put-bucket-policy --bucket acme-customer-exports")
	assert.NotContains(t, run.Plan.Steps[0].CLI, "--profile", "the simulated account has no AWS profile to print")
	assert.Contains(t, string(run.Plan.Steps[0].After), "DenyInsecureTransport")
	assert.NotContains(t, string(run.Plan.Steps[0].After), "PublicReadExports")

	rep = e.exposure(id)
	assert.False(t, rep.Public)
	assert.False(t, rep.Shared)
	assert.Equal(t, "Objects can be public", rep.Verdict, "Block Public Access is still off")

	// A new process sees the same account: the state comes back from the
	// incident's journal, nowhere else.
	e.open()
	rep = e.exposure(id)
	assert.False(t, rep.Public, "the removal must survive a restart")

	// Undo puts the statements back, and the bucket is public again.
	undo, err := e.svc.UndoChange(ctx, id, sim, run.Plan.ID, run.Plan.ConfirmWord)
	require.NoError(t, err)
	require.Equal(t, app.ChangeDone, undo.Status)
	require.True(t, undo.Verified)
	rep = e.exposure(id)
	assert.True(t, rep.Public)
	e.open()
	assert.True(t, e.exposure(id).Public, "the undo must survive a restart")

	// Deactivate the leaked key, found by its id alone.
	keyRun := e.apply(id, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"accessKeyId": leakedKey}})
	assert.Equal(t, "user "+ciUser, keyRun.Plan.Target)
	assert.Equal(t, "yes", keyRun.Plan.ConfirmWord, "one key is a narrow change")
	assert.Contains(t, strings.Join(keyRun.Plan.Impact, " "), "last used 2026-11-24T02:03:40Z with iam in us-east-1")
	e.open()
	key := app.Resource{Kind: app.ResourceAccessKeyStatus, ID: map[string]string{"userName": ciUser, "accessKeyId": leakedKey}, Name: "the leaked key"}
	assert.Equal(t, `"Inactive"`, e.state(id, key))
	_, err = e.svc.PlanChange(ctx, id, sim, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": ciUser}})
	require.ErrorIs(t, err, app.ErrNoChange, "the user has no active key left")

	// CloudTrail's history has the intruder's PutBucketPolicy at its own
	// time, and the responders' calls after it.
	chg, _, err := e.svc.CollectAccessChanges(ctx, id, sim, app.ChangeQuery{Bucket: exports, Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}, nil)
	require.NoError(t, err)
	var put *app.Change
	var own []app.Change
	for i, c := range chg.Changes {
		switch {
		case c.Name == "PutBucketPolicy" && c.AccessKeyID == leakedKey:
			put = &chg.Changes[i]
		case strings.Contains(c.Actor, "assumed-role/IncidentResponder"):
			own = append(own, c)
		}
	}
	require.NotNil(t, put, "%+v", chg.Changes)
	assert.Equal(t, time.Date(2026, 11, 24, 1, 57, 12, 0, time.UTC), put.Time)
	assert.Equal(t, "203.0.113.77", put.SourceIP)
	assert.Equal(t, "eu-west-1", put.Region)
	assert.Contains(t, put.Summary, "the new policy is public and names other accounts (444455556666)")
	require.Len(t, own, 2, "the removal and its undo are on record: %+v", chg.Changes)
	assert.Equal(t, "PutBucketPolicy", own[0].Name)
	assert.Contains(t, own[0].Summary, "the new policy is public", "the newest first: the undo restored the public policy")
	assert.Contains(t, own[1].Summary, "the new policy is not public")
	tl, err := e.svc.Timeline(ctx, id)
	require.NoError(t, err)
	found := false
	for _, en := range tl {
		if strings.Contains(en.Text, "set the policy of bucket acme-customer-exports; the new policy is public") && en.EventTime.Equal(put.Time) {
			found = true
		}
	}
	assert.True(t, found, "the intruder's change is on the timeline at the time it happened")
}

func TestIncidentsDoNotShareState(t *testing.T) {
	e := newEnv(t)
	a, b := e.exercise(), e.exercise()
	e.apply(a, app.ChangeRequest{Action: "s3.block-public-access.bucket", Params: map[string]string{"bucket": exports}})
	assert.False(t, e.exposure(a).Public)
	assert.True(t, e.exposure(b).Public, "incident %s's change must not reach incident %s", a, b)
}

func TestGuardKeepsRealAndSimulatedApart(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	drill := e.exercise()
	c, err := e.svc.Create(ctx, app.NewIncident{Title: "Real one", Buckets: []string{exports}})
	require.NoError(t, err)
	realID := c.Incident.ID

	// An exercise with a real profile is refused by the app's guard
	// before any connector is asked.
	_, _, err = e.svc.CollectBucketExposure(ctx, drill, app.Profile{Name: "prod"}, exports)
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "is an exercise")

	// A real incident never takes the simulated account's answers.
	_, _, err = e.svc.CollectBucketExposure(ctx, realID, sim, exports)
	require.ErrorIs(t, err, app.ErrInvalid)
	_, err = e.svc.PlanChange(ctx, realID, sim, app.ChangeRequest{Action: "s3.block-public-access.bucket", Params: map[string]string{"bucket": exports}})
	require.ErrorIs(t, err, app.ErrInvalid)

	// The simulated account's name without the exercise mark is refused by
	// the tabletop connector, not looked up in the AWS configuration.
	_, err = e.svc.CheckConnection(ctx, "", app.Profile{Name: "tabletop"})
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "simulated account of tabletop exercises")

	// An exercise profile naming an AWS profile is refused with the way out.
	_, err = e.svc.CheckConnection(ctx, drill, app.Profile{Name: "prod", Exercise: true})
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "choose profile tabletop")
	assert.Zero(t, e.real.calls.Load())

	// A real profile of a real incident does go to the real connector.
	_, err = e.svc.CheckConnection(ctx, realID, app.Profile{Name: "prod"})
	require.Error(t, err)
	assert.Equal(t, int64(1), e.real.calls.Load())
	e.real.calls.Store(0)
}

// TestEveryActionAppliesAndUndoes plans, applies, verifies and undoes each
// action on the simulated account, in a process of its own each time, so
// every plan passes the app's checks and every state round-trips through
// the journal.
func TestEveryActionAppliesAndUndoes(t *testing.T) {
	ctx := context.Background()
	type check struct {
		res  app.Resource
		want string
	}
	tests := []struct {
		name   string
		req    app.ChangeRequest
		check  check
		noUndo bool
	}{
		{"bucket BPA", app.ChangeRequest{Action: "s3.block-public-access.bucket", Params: map[string]string{"bucket": exports}},
			check{app.Resource{Kind: app.ResourceBucketBPA, ID: map[string]string{"bucket": exports}}, `{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}`}, false},
		{"lock", app.ChangeRequest{Action: "s3.lock-control-plane", Params: map[string]string{"bucket": "acme-web-assets"}},
			check{app.Resource{Kind: app.ResourceBucketPolicy, ID: map[string]string{"bucket": "acme-web-assets"}}, `"StringNotLike":{"aws:PrincipalArn":["arn:aws:iam::111122223333:role/IncidentResponder","arn:aws:iam::111122223333:role/*/IncidentResponder"]}`}, false},
		{"revoke role", app.ChangeRequest{Action: "iam.revoke-role-sessions", Params: map[string]string{"roleName": "DataPipelineRole"}},
			check{app.Resource{Kind: app.ResourceRoleInlinePolicy, ID: map[string]string{"roleName": "DataPipelineRole", "policyName": "AWSRevokeOlderSessions"}}, `"aws:TokenIssueTime"`}, false},
		{"revoke user", app.ChangeRequest{Action: "iam.revoke-user-sessions", Params: map[string]string{"userName": ciUser}},
			check{app.Resource{Kind: app.ResourceUserInlinePolicy, ID: map[string]string{"userName": ciUser, "policyName": "AWSRevokeOlderSessions"}}, `"Effect":"Deny"`}, false},
		{"account BPA", app.ChangeRequest{Action: "s3control.block-public-access.account"},
			check{app.Resource{Kind: app.ResourceAccountBPA, ID: map[string]string{"accountId": "111122223333"}}, `"RestrictPublicBuckets":true`}, false},
		{"neutralise", app.ChangeRequest{Action: "iam.neutralise-role", Params: map[string]string{"roleName": "DataPipelineRole"}},
			check{app.Resource{Kind: app.ResourceRoleInlinePolicy, ID: map[string]string{"roleName": "DataPipelineRole", "policyName": "S3ResponderDenyAll"}}, `"Sid":"S3ResponderDenyAll"`}, false},
		{"trust", app.ChangeRequest{Action: "iam.update-trust-policy", Params: map[string]string{"roleName": "DataPipelineRole", "removePrincipals": "444455556666"}},
			check{app.Resource{Kind: app.ResourceRoleTrustPolicy, ID: map[string]string{"roleName": "DataPipelineRole"}}, `{"Version":"2012-10-17","Statement":[{"Sid":"GlueJobs","Effect":"Allow","Principal":{"Service":"glue.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}, false},
		{"delete inactive key", app.ChangeRequest{Action: "iam.delete-access-key", Params: map[string]string{"accessKeyId": "AKIAJ2QX5EXAMPLE0002"}},
			check{app.Resource{Kind: app.ResourceAccessKey, ID: map[string]string{"userName": "dana.ops", "accessKeyId": "AKIAJ2QX5EXAMPLE0002"}}, `null`}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.exercise()
			before := e.state(id, tc.check.res)
			run := e.apply(id, tc.req)
			e.open()
			after := e.state(id, tc.check.res)
			if tc.check.want == "null" {
				assert.Equal(t, "null", after)
			} else {
				assert.Contains(t, after, tc.check.want)
			}
			assert.NotEqual(t, before, after)
			if tc.noUndo {
				_, err := e.svc.PlanUndo(ctx, id, sim, run.Plan.ID)
				require.ErrorIs(t, err, app.ErrInvalid)
				return
			}
			undo, err := e.svc.UndoChange(ctx, id, sim, run.Plan.ID, run.Plan.ConfirmWord)
			require.NoError(t, err)
			require.True(t, undo.Verified)
			e.open()
			assert.JSONEq(t, before, e.state(id, tc.check.res))
		})
	}
}

func TestAccountBPAClosesTheWebsiteToo(t *testing.T) {
	e := newEnv(t)
	id := e.exercise()
	plan, err := e.svc.PlanChange(context.Background(), id, sim, app.ChangeRequest{Action: "s3control.block-public-access.account"})
	require.NoError(t, err)
	assert.Contains(t, strings.Join(plan.Impact, " "), "Public right now, and no longer after this: acme-customer-exports, acme-web-assets.")
	assert.Equal(t, "111122223333", plan.ConfirmWord)
}

func TestUndoRefusedUnderBlockPublicPolicy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.exercise()
	removal := e.apply(id, app.ChangeRequest{Action: "s3.remove-policy-statements", Params: map[string]string{"bucket": exports}})
	e.apply(id, app.ChangeRequest{Action: "s3.block-public-access.bucket", Params: map[string]string{"bucket": exports}})
	// As on AWS: with BlockPublicPolicy on, S3 refuses the public policy
	// the undo would put back.
	_, err := e.svc.UndoChange(ctx, id, sim, removal.Plan.ID, removal.Plan.ConfirmWord)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "BlockPublicPolicy")
	e.open()
	assert.False(t, e.exposure(id).Public)
}

// TestReplayWithAFixedClock replays writes journalled at the same instant
// in the only order in which they can have succeeded.
func TestReplayWithAFixedClock(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	at := time.Now().UTC().Truncate(time.Second)
	e.now = func() time.Time { return at }
	e.open()
	id := e.exercise()
	pol := app.Resource{Kind: app.ResourceBucketPolicy, ID: map[string]string{"bucket": exports}}
	original := e.state(id, pol)
	lock := e.apply(id, app.ChangeRequest{Action: "s3.lock-control-plane", Params: map[string]string{"bucket": exports}})
	e.apply(id, app.ChangeRequest{Action: "s3.remove-policy-statements", Params: map[string]string{"bucket": exports, "statements": "PublicReadExports"}})
	e.open()
	st := e.state(id, pol)
	assert.Contains(t, st, "S3ResponderLockControlPlane")
	assert.NotContains(t, st, "PublicReadExports")
	assert.Contains(t, st, "SyncListing")
	_, err := e.svc.UndoChange(ctx, id, sim, lock.Plan.ID, lock.Plan.ConfirmWord)
	require.ErrorIs(t, err, app.ErrConflict, "the lock's undo would drop the later removal: the app refuses")
	e.open()
	assert.Equal(t, st, e.state(id, pol))
	assert.NotEqual(t, original, st)
}

func TestBulkResetOfObjectACLs(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.exercise()
	const legacy = "acme-legacy-reports"
	obj := app.Resource{Kind: app.ResourceObjectACL, ID: map[string]string{"bucket": legacy, "key": "reports/2019/q1-summary.pdf"}}
	require.Contains(t, e.state(id, obj), "AllUsers")
	plan, err := e.svc.PlanChange(ctx, id, sim, app.ChangeRequest{Action: "s3.reset-object-acls", Params: map[string]string{"bucket": legacy, "prefix": "reports/2019/"}})
	require.NoError(t, err)
	require.NotNil(t, plan.Bulk)
	assert.Equal(t, 2, plan.Bulk.Objects)
	run, err := e.svc.ApplyChange(ctx, id, sim, plan.ID, legacy)
	require.NoError(t, err)
	require.Equal(t, app.ChangeDone, run.Status, run.Report())
	e.open()
	assert.NotContains(t, e.state(id, obj), "AllUsers")
	undo, err := e.svc.UndoChange(ctx, id, sim, plan.ID, legacy)
	require.NoError(t, err)
	require.Equal(t, app.ChangeDone, undo.Status)
	e.open()
	assert.Contains(t, e.state(id, obj), "AllUsers")

	// Ownership enforced: no ACL to reset, as on AWS.
	_, err = e.svc.PlanChange(ctx, id, sim, app.ChangeRequest{Action: "s3.reset-object-acls", Params: map[string]string{"bucket": exports}})
	require.ErrorIs(t, err, app.ErrNoChange)
}

func TestInvestigationReaders(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.exercise()

	aa, _, err := e.svc.CollectAccessFindings(ctx, id, sim, app.AnalyzerQuery{}, nil)
	require.NoError(t, err)
	require.Len(t, aa.Findings, 4)
	e.apply(id, app.ChangeRequest{Action: "iam.update-trust-policy", Params: map[string]string{"roleName": "DataPipelineRole", "removePrincipals": "444455556666"}})
	e.apply(id, app.ChangeRequest{Action: "s3.remove-policy-statements", Params: map[string]string{"bucket": exports}})
	aa, _, err = e.svc.CollectAccessFindings(ctx, id, sim, app.AnalyzerQuery{}, nil)
	require.NoError(t, err)
	require.Len(t, aa.Findings, 1, "only the website's finding stays active: %+v", aa.Findings)
	assert.Equal(t, "bucket acme-web-assets", aa.Findings[0].ResourceName())
	aa, _, err = e.svc.CollectAccessFindings(ctx, id, sim, app.AnalyzerQuery{Regions: []string{"us-east-1"}}, nil)
	require.NoError(t, err)
	assert.Empty(t, aa.Findings)
	assert.Contains(t, strings.Join(aa.Notes, " "), "us-east-1 has no active analyzer")

	in, _, err := e.svc.CollectInsights(ctx, id, sim, app.InsightQuery{}, nil)
	require.NoError(t, err)
	require.Len(t, in.Insights, 2)
	var ended []time.Duration
	for _, ev := range in.Insights {
		if ev.State == "End" {
			ended = append(ended, ev.Duration)
		}
	}
	assert.Equal(t, []time.Duration{11 * time.Minute}, ended, "the End event says how long it lasted")

	mac, _, err := e.svc.CollectMacieSummary(ctx, id, sim, app.MacieQuery{Regions: []string{"eu-west-1", "us-east-1"}})
	require.NoError(t, err)
	require.Len(t, mac.Regions, 2)
	assert.Equal(t, int64(1), mac.Regions[0].PubliclyAccessible, "Macie's counts are a day old")
	assert.False(t, mac.Regions[1].Enabled)

	data, _, err := e.svc.FindData(ctx, id, sim, app.DataQuery{Key: "exports/2026-11/customers-full.csv"}, nil)
	require.NoError(t, err)
	require.Len(t, data.Matches(), 2, "the export and its replica")
	assert.Equal(t, "acme-customer-exports-replica", data.Matches()[1].Bucket)
	m := data.Matches()[0]
	assert.Equal(t, exports, m.Bucket)
	assert.Equal(t, "customer-exports", m.Application)
	assert.True(t, m.Exact)
	gone, _, err := e.svc.FindData(ctx, id, sim, app.DataQuery{Key: "tmp/"}, nil)
	require.NoError(t, err)
	assert.Empty(t, gone.Matches(), "an object behind a delete marker does not list")

	saved, err := e.svc.SnapshotBucket(ctx, id, sim, exports)
	require.NoError(t, err)
	require.Len(t, saved.Evidence, 14)
	titles := make([]string, 0, len(saved.Evidence))
	for _, ev := range saved.Evidence {
		titles = append(titles, ev.Title)
		assert.Equal(t, "public-exports", ev.Source.Params["SimulatedScenario"])
	}
	assert.Contains(t, titles, "versioning of bucket acme-customer-exports")
	assert.Contains(t, titles, "replication of bucket acme-customer-exports", "the exports replicate to the replica bucket")

	reps, _, err := e.svc.CollectAccountExposure(ctx, id, sim, nil)
	require.NoError(t, err)
	verdicts := map[string]string{}
	for _, r := range reps {
		verdicts[r.Bucket] = r.Verdict
	}
	assert.Equal(t, map[string]string{
		exports: "Objects can be public", "acme-web-assets": "Public",
		"acme-legacy-reports": "Objects can be public", "acme-cloudtrail-logs": "Bucket and objects not public",
		"acme-customer-exports-replica": "Bucket and objects not public",
	}, verdicts)
}

func TestScenarioFileProfile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "small.yaml")
	require.NoError(t, writeFile(file, smallScenario))
	e := newEnv(t)
	id := e.exercise()
	p := app.Profile{Name: "tabletop:" + file, Exercise: true}
	who, err := e.svc.CheckConnection(ctx, id, p)
	require.NoError(t, err)
	assert.Equal(t, "210987654321", who.Account)
	rep, _, err := e.svc.CollectBucketExposure(ctx, id, p, "small-open")
	require.NoError(t, err)
	assert.Equal(t, "Public", rep.Verdict)
	assert.Contains(t, rep.Reasons[0], "ACL grants access to everyone")

	// The built-in scenario by its id.
	who, err = e.svc.CheckConnection(ctx, id, app.Profile{Name: "tabletop:public-exports", Exercise: true})
	require.NoError(t, err)
	assert.Equal(t, "111122223333", who.Account)

	// A file that does not parse says where.
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, writeFile(bad, strings.Replace(smallScenario, "acl: public-read", "acl: public-reed", 1)))
	_, err = e.svc.CheckConnection(ctx, id, app.Profile{Name: "tabletop:" + bad, Exercise: true})
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), bad+":7:10: acl \"public-reed\" is not a canned ACL")
}

func TestJournalOfAnotherScenarioIsIgnored(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "small.yaml")
	require.NoError(t, writeFile(file, smallScenario))
	e := newEnv(t)
	id := e.exercise()
	e.apply(id, app.ChangeRequest{Action: "s3.block-public-access.bucket", Params: map[string]string{"bucket": exports}})
	// The same incident on another scenario's account starts clean: the
	// journal's plan was made on account 111122223333.
	p := app.Profile{Name: "tabletop:" + file, Exercise: true}
	rep, _, err := e.svc.CollectBucketExposure(context.Background(), id, p, "small-open")
	require.NoError(t, err)
	assert.True(t, rep.Public)
}

func TestCredentialEvents(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.exercise()
	conn, err := tabletop.Connector(e.real.connect)(ctx, sim)
	require.NoError(t, err)
	w := conn.(app.CredentialWatcher)
	since := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	byKey, err := w.CredentialEvents(ctx, app.CredentialQuery{AccessKeyID: leakedKey, Since: since})
	require.NoError(t, err)
	names := make([]string, 0, len(byKey))
	for _, ev := range byKey {
		names = append(names, ev.Name)
	}
	assert.Equal(t, []string{"GetCallerIdentity", "ListBuckets", "DeleteBucketPublicAccessBlock", "PutBucketPolicy", "UpdateAssumeRolePolicy"}, names)
	byRole, err := w.CredentialEvents(ctx, app.CredentialQuery{RoleARN: "arn:aws:iam::111122223333:role/DataPipelineRole", Since: since})
	require.NoError(t, err)
	// CloudTrail finds a role by resource name in the calls that name it
	// as a resource: the outside AssumeRole. What the session then did is
	// found by the session's own key, as on AWS.
	require.Len(t, byRole, 1, "the outside AssumeRole: %+v", byRole)
	assert.Equal(t, "AssumeRole", byRole[0].Name)
	assert.Equal(t, "arn:aws:iam::444455556666:user/sync-bot", byRole[0].Actor)

	// Watching after containment finds nothing: the story's calls are
	// all older than the watch.
	res, err := e.svc.WatchCredentials(ctx, id, sim, app.WatchRequest{AccessKeyID: leakedKey, Duration: time.Millisecond, Every: time.Millisecond}, nil)
	require.NoError(t, err)
	assert.Empty(t, res.Events)
	res, err = e.svc.WatchCredentials(ctx, id, sim, app.WatchRequest{AccessKeyID: leakedKey, Since: since, Duration: time.Millisecond, Every: time.Millisecond}, nil)
	require.NoError(t, err)
	assert.Len(t, res.Events, 5)
}
