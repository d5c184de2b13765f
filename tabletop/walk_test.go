package tabletop_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// walkStep is how one action of the catalogue is walked on the built-in
// scenario: with which parameters, after which other change, and what
// AWS would say instead of carrying it out, if it would refuse.
type walkStep struct {
	params map[string]string
	// first is a change applied (and kept) before: a key is deleted only
	// once it is inactive.
	first *app.ChangeRequest
	// refused, when set, is the refusal the plan must give, in AWS's or
	// the app's words, because the scenario's account cannot take it.
	refused string
}

var legacy = "acme-legacy-reports"

// walks covers every change action this build can carry out; an action
// added to the catalogue without a walk fails the test below.
var walks = map[string]walkStep{
	"s3.block-public-access.bucket":         {params: map[string]string{"bucket": exports}},
	"s3.remove-policy-statements":           {params: map[string]string{"bucket": exports}},
	"s3.lock-control-plane":                 {params: map[string]string{"bucket": exports}},
	"iam.deactivate-access-key":             {params: map[string]string{"userName": ciUser}},
	"iam.revoke-role-sessions":              {params: map[string]string{"roleName": "DataPipelineRole"}},
	"iam.revoke-user-sessions":              {params: map[string]string{"userName": ciUser}},
	"s3control.block-public-access.account": {params: map[string]string{}},
	"iam.delete-access-key": {params: map[string]string{"accessKeyId": leakedKey},
		first: &app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"accessKeyId": leakedKey}}},
	"iam.neutralise-role":     {params: map[string]string{"roleName": "DataPipelineRole"}},
	"iam.update-trust-policy": {params: map[string]string{"roleName": "DataPipelineRole", "removePrincipals": "444455556666"}},
	"s3.reset-object-acls":    {params: map[string]string{"bucket": legacy}},
	"s3control.batch-job": {params: map[string]string{"bucket": legacy, "manifestBucket": "acme-cloudtrail-logs",
		"roleArn": "arn:aws:iam::111122223333:role/IncidentResponder"}},
	"ec2.require-imdsv2":      {params: map[string]string{"roleName": "DataPipelineRole"}},
	"ec2.delete-key-pair":     {params: map[string]string{"keyName": "ci-build-2025"}},
	"s3.default-encryption":   {params: map[string]string{"bucket": legacy, "kmsMasterKeyId": "arn:aws:kms:us-east-1:111122223333:key/3f1c9a52-0b7e-4d1a-9c55-7e2f0d6b8a41"}},
	"s3.versioning":           {params: map[string]string{"bucket": legacy}},
	"s3.restore-version":      {params: map[string]string{"bucket": exports, "since": "2026-11-17T00:00:00Z"}},
	"s3.remove-delete-marker": {params: map[string]string{"bucket": exports, "since": "2026-11-20T14:00:00Z"}},
	"s3.reset-bucket-acl":     {params: map[string]string{"bucket": legacy}},
	"s3.restore-archived":     {params: map[string]string{"bucket": legacy, "prefix": "archive/", "tier": "Standard"}},
	"s3.replica-restore":      {params: map[string]string{"bucket": exports, "replicaBucket": "acme-customer-exports-replica", "prefix": "exports/"}},
}

// TestEveryChangeActionWalksOnTheBuiltInExercise plans, applies, verifies
// and undoes every change action of the catalogue on the built-in
// scenario, through the Service and a real store, reopening the store
// between steps as a new process would (the simulated account is rebuilt
// from the journal each time).
func TestEveryChangeActionWalksOnTheBuiltInExercise(t *testing.T) {
	ctx := context.Background()
	for _, a := range app.ChangeActions() {
		w, ok := walks[a.ID]
		if !assert.True(t, ok, "action %s has no walk on the built-in scenario", a.ID) {
			continue
		}
		t.Run(a.ID, func(t *testing.T) {
			e := newEnv(t)
			id := e.exercise()
			if w.first != nil {
				e.apply(id, *w.first)
			}
			plan, err := e.svc.PlanChange(ctx, id, sim, app.ChangeRequest{Action: a.ID, Params: w.params})
			if w.refused != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), w.refused)
				return
			}
			require.NoError(t, err)
			assert.True(t, plan.Simulated)
			assert.NotEmpty(t, plan.Impact, "what it will break")
			if plan.Bulk == nil {
				require.NotEmpty(t, plan.Steps)
				for _, st := range plan.Steps {
					assert.NotEmpty(t, st.CLI, "AWS CLI equivalent of %s", st.Resource.Name)
				}
			}
			run, err := e.svc.ApplyChange(ctx, id, sim, plan.ID, plan.ConfirmWord)
			require.NoError(t, err)
			if plan.Action == "s3control.batch-job" {
				// The job runs on the exercise's clock; the change is done
				// once S3 has accepted it.
				assert.NotEqual(t, app.ChangeIncomplete, run.Status, run.Report())
			} else {
				require.Equal(t, app.ChangeDone, run.Status, run.Report())
				require.True(t, run.Verified, run.Report())
			}

			e.open() // a new process: the account is the journal replayed
			if !plan.Reversible {
				_, err := e.svc.PlanUndo(ctx, id, sim, plan.ID)
				require.ErrorIs(t, err, app.ErrInvalid, "%s cannot be undone", a.ID)
				return
			}
			undo, err := e.svc.UndoChange(ctx, id, sim, plan.ID, plan.ConfirmWord)
			require.NoError(t, err)
			require.True(t, undo.Verified, undo.Report())
			e.open()
			for _, st := range plan.Steps {
				want := st.Before
				if st.UndoTo != nil {
					want = st.UndoTo
				}
				assert.JSONEq(t, string(want), e.state(id, st.Resource), "%s is back after the undo", st.Resource.Name)
			}
		})
	}
}

// TestEveryInspectionAndInvestigationRunsOnTheBuiltInExercise runs the
// read-only work the wizard offers on the simulated account and checks
// each keeps evidence.
func TestEveryInspectionAndInvestigationRunsOnTheBuiltInExercise(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.exercise()
	params := map[string]map[string]string{
		"ec2.find-role-instances":     {"roleName": "DataPipelineRole"},
		"ec2.find-key-pair-instances": {"keyName": "ci-build-2025"},
		"s3.object-lock-status":       {"bucket": exports},
		"s3.mfa-delete-guide":         {"bucket": exports},
		"s3.policy-review":            {"bucket": exports},
		"iam.review-principals":       {"principals": leakedKey},
	}
	for _, a := range app.InspectActions() {
		p, ok := params[a.ID]
		if !assert.True(t, ok, "inspection %s has no walk", a.ID) {
			continue
		}
		ins, saved, err := e.svc.Inspect(ctx, id, sim, app.InspectRequest{Action: a.ID, Params: p})
		require.NoError(t, err, a.ID)
		assert.NotEmpty(t, ins.Summary, a.ID)
		assert.NotEmpty(t, saved.Evidence, "%s keeps evidence", a.ID)
	}

	rep, saved, err := e.svc.CollectBucketExposure(ctx, id, sim, exports)
	require.NoError(t, err)
	assert.True(t, rep.Public)
	assert.NotEmpty(t, saved.Evidence)
	reps, _, err := e.svc.CollectAccountExposure(ctx, id, sim, nil)
	require.NoError(t, err)
	assert.Len(t, reps, 5)
	_, err = e.svc.SnapshotBucket(ctx, id, sim, exports)
	require.NoError(t, err)
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	changes, _, err := e.svc.CollectAccessChanges(ctx, id, sim, app.ChangeQuery{Bucket: exports, Since: since}, nil)
	require.NoError(t, err)
	assert.NotEmpty(t, changes.Changes, "the intruder's changes of the bucket")
	findings, _, err := e.svc.CollectAccessFindings(ctx, id, sim, app.AnalyzerQuery{}, nil)
	require.NoError(t, err)
	assert.NotEmpty(t, findings.Findings)
	_, _, err = e.svc.CollectInsights(ctx, id, sim, app.InsightQuery{Since: since}, nil)
	require.NoError(t, err)
	_, _, err = e.svc.CollectMacieSummary(ctx, id, sim, app.MacieQuery{})
	require.NoError(t, err)
	data, _, err := e.svc.FindData(ctx, id, sim, app.DataQuery{Key: "exports/"}, nil)
	require.NoError(t, err)
	require.NotEmpty(t, data.Buckets)
	assert.Equal(t, exports, data.Buckets[0].Bucket, "the bucket holding exports/ comes first")
	assert.NotEmpty(t, data.Buckets[0].Keys)
	hist, _, err := e.svc.ObjectHistory(ctx, id, sim, app.HistoryQuery{Bucket: exports, Window: app.RestoreWindow{Since: time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC)}})
	require.NoError(t, err)
	assert.NotEmpty(t, hist.Changed, "the overwritten export and the deleted dump")
}
