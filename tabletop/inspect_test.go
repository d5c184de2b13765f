package tabletop_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// TestInspectionsOnTheExercise runs Part 3's read-only inspections
// through app.Service on an exercise incident: the simulated account
// answers them from the scenario's state and the service keeps them.
func TestInspectionsOnTheExercise(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		req      app.InspectRequest
		severity string // one finding at least has it
		want     string // in the summary
		apis     []string
	}{
		{"policy review", app.InspectRequest{Action: "s3.policy-review", Params: map[string]string{"bucket": exports}},
			app.SeverityHigh, "statement(s) reviewed", []string{"GetBucketPolicy"}},
		{"object lock", app.InspectRequest{Action: "s3.object-lock-status", Params: map[string]string{"bucket": exports}},
			app.SeverityLow, "Object Lock is off", []string{"GetObjectLockConfiguration", "GetBucketVersioning"}},
		{"mfa delete", app.InspectRequest{Action: "s3.mfa-delete-guide", Params: map[string]string{"bucket": exports}},
			app.SeverityMedium, "MFA Delete is off", []string{"GetBucketVersioning"}},
		{"principals", app.InspectRequest{Action: "iam.review-principals", Params: map[string]string{"principals": leakedKey + ",nobody-here"}},
			app.SeverityHigh, "1 IAM user(s)", []string{"GetUser, ListAccessKeys, GetAccessKeyLastUsed, ListGroupsForUser, ListAttachedUserPolicies, ListUserPolicies, GetRole, ListAttachedRolePolicies, ListRolePolicies, ListInstanceProfilesForRole"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.exercise()
			rep, saved, err := e.svc.Inspect(ctx, id, sim, tc.req)
			require.NoError(t, err)
			assert.Equal(t, tc.req.Action, rep.Action)
			assert.Contains(t, rep.Summary, tc.want)
			assert.Positive(t, rep.Count(tc.severity), "findings: %+v", rep.Findings)
			require.NotEmpty(t, saved.Evidence)
			evs, err := e.svc.ListEvidence(ctx, id)
			require.NoError(t, err)
			var apis []string
			kept := false
			for _, ev := range evs {
				apis = append(apis, ev.Source.API)
				if ev.Source.Params["action"] == tc.req.Action {
					kept = true
				}
			}
			assert.True(t, kept, "the inspection itself is evidence")
			for _, api := range tc.apis {
				assert.Contains(t, apis, api)
			}
		})
	}
}

func TestPolicyReviewFollowsTheCurrentPolicy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.exercise()
	req := app.InspectRequest{Action: "s3.policy-review", Params: map[string]string{"bucket": exports}}
	rep, _, err := e.svc.Inspect(ctx, id, sim, req)
	require.NoError(t, err)
	var detail struct {
		Policy string `json:"policy"`
	}
	require.NoError(t, json.Unmarshal(rep.Detail, &detail))
	assert.JSONEq(t, e.state(id, app.Resource{Kind: app.ResourceBucketPolicy, ID: map[string]string{"bucket": exports}}), detail.Policy)
	assert.Positive(t, rep.Count(app.SeverityHigh))
}

// The EC2 and S3 inspections run on the simulated account as on AWS, so a
// resource that does not exist gets AWS's refusal.
func TestInspectionsOfMissingResourcesGetAWSsRefusal(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id := e.exercise()
	_, _, err := e.svc.Inspect(ctx, id, sim, app.InspectRequest{Action: "ec2.find-role-instances", Params: map[string]string{"roleName": "any"}})
	assert.ErrorContains(t, err, "NoSuchEntity")
	_, _, err = e.svc.Inspect(ctx, id, sim, app.InspectRequest{Action: "s3.policy-review", Params: map[string]string{"bucket": "no-such-bucket"}})
	assert.ErrorContains(t, err, "does not exist")
}
