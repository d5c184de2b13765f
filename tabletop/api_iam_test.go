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
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/changeplan"
)

// walk plans an action with the aws package's own code over the
// simulated account, applies each step (WriteState of After), verifies it
// (ReadState == After) and, where AWS allows, undoes it (WriteState of
// Before, in reverse order) and verifies that too.
func (s apiSim) walk(t *testing.T, req app.ChangeRequest) app.Plan {
	t.Helper()
	ctx := context.Background()
	ch := s.cloud.Changer
	plan, err := ch.PlanChange(ctx, req, s.by)
	require.NoError(t, err, req.Action)
	require.NotEmpty(t, plan.Steps, req.Action)
	assert.Equal(t, req.Action, plan.Action)
	assert.NotEmpty(t, plan.Impact, req.Action)
	for _, st := range plan.Steps {
		now, err := ch.ReadState(ctx, st.Resource)
		require.NoError(t, err)
		assert.True(t, changeplan.SameJSON(st.Before, now), "%s: the plan's Before is the state: %s vs %s", st.Resource.Name, st.Before, now)
		require.NoError(t, ch.WriteState(ctx, st.Resource, st.After), st.Resource.Name)
		got, err := ch.ReadState(ctx, st.Resource)
		require.NoError(t, err)
		assert.True(t, changeplan.SameJSON(st.After, got), "%s: verify after apply: want %s, got %s", st.Resource.Name, st.After, got)
	}
	if !plan.Reversible {
		return plan
	}
	for i := len(plan.Steps) - 1; i >= 0; i-- {
		st := plan.Steps[i]
		require.NoError(t, ch.WriteState(ctx, st.Resource, st.Before), "undo "+st.Resource.Name)
		got, err := ch.ReadState(ctx, st.Resource)
		require.NoError(t, err)
		assert.True(t, changeplan.SameJSON(st.Before, got), "%s: verify after undo: want %s, got %s", st.Resource.Name, st.Before, got)
	}
	return plan
}

// recordedNames are the names of the calls the simulated trail recorded.
func (s apiSim) recordedNames() []string {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	var out []string
	for _, e := range s.b.w.recorded {
		out = append(out, e.Name)
	}
	return out
}

func TestEveryIAMAndEC2ChangeWalksOnTheSimulatedAccount(t *testing.T) {
	tests := []struct {
		req   app.ChangeRequest
		calls []string // recorded by apply and undo
		undo  bool
	}{
		{app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "ci-deploy"}},
			[]string{"UpdateAccessKey", "UpdateAccessKey"}, true},
		{app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"accessKeyId": "AKIAIOSFODNN7EXAMPLE"}},
			[]string{"UpdateAccessKey", "UpdateAccessKey"}, true},
		{app.ChangeRequest{Action: "iam.delete-access-key", Params: map[string]string{"accessKeyId": "AKIAJ2QX5EXAMPLE0002"}},
			[]string{"DeleteAccessKey"}, false},
		{app.ChangeRequest{Action: "iam.revoke-role-sessions", Params: map[string]string{"roleName": "DataPipelineRole"}},
			[]string{"PutRolePolicy", "DeleteRolePolicy"}, true},
		{app.ChangeRequest{Action: "iam.revoke-user-sessions", Params: map[string]string{"userName": "ci-deploy"}},
			[]string{"PutUserPolicy", "DeleteUserPolicy"}, true},
		{app.ChangeRequest{Action: "iam.neutralise-role", Params: map[string]string{"roleName": "DataPipelineRole"}},
			[]string{"PutRolePolicy", "DeleteRolePolicy"}, true},
		{app.ChangeRequest{Action: "iam.update-trust-policy", Params: map[string]string{"roleName": "DataPipelineRole", "removePrincipals": "arn:aws:iam::444455556666:root"}},
			[]string{"UpdateAssumeRolePolicy", "UpdateAssumeRolePolicy"}, true},
		{app.ChangeRequest{Action: "ec2.require-imdsv2", Params: map[string]string{"roleName": "DataPipelineRole"}},
			[]string{"ModifyInstanceMetadataOptions", "ModifyInstanceMetadataOptions"}, true},
		{app.ChangeRequest{Action: "ec2.delete-key-pair", Params: map[string]string{"keyName": "ci-build-2025"}},
			[]string{"DeleteKeyPair"}, false},
	}
	// Every IAM and EC2 change of the app is walked here.
	walked := map[string]bool{}
	for _, tt := range tests {
		walked[tt.req.Action] = true
	}
	for _, a := range app.ChangeActions() {
		if strings.HasPrefix(a.ID, "iam.") || strings.HasPrefix(a.ID, "ec2.") {
			assert.True(t, walked[a.ID], "%s is not walked on the simulated account", a.ID)
		}
	}
	for _, tt := range tests {
		t.Run(tt.req.Action, func(t *testing.T) {
			s := newAPISim(t)
			plan := s.walk(t, tt.req)
			assert.Equal(t, tt.undo, plan.Reversible)
			assert.Equal(t, tt.calls, s.recordedNames(), "every call of apply and undo is in the simulated trail")
		})
	}
}

func TestIrreversibleChangesAreRefusedAsAWSRefusesThem(t *testing.T) {
	ctx := context.Background()
	s := newAPISim(t)
	plan := s.walk(t, app.ChangeRequest{Action: "iam.delete-access-key", Params: map[string]string{"accessKeyId": "AKIAJ2QX5EXAMPLE0002"}})
	err := s.cloud.Changer.WriteState(ctx, plan.Steps[0].Resource, plan.Steps[0].Before)
	require.Error(t, err)
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, "NoSuchEntity", apiErr.ErrorCode())

	plan = s.walk(t, app.ChangeRequest{Action: "ec2.delete-key-pair", Params: map[string]string{"keyName": "ci-build-2025"}})
	err = s.cloud.Changer.WriteState(ctx, plan.Steps[0].Resource, plan.Steps[0].Before)
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "cannot be brought back")

	_, err = s.cloud.Changer.PlanChange(ctx, app.ChangeRequest{Action: "ec2.delete-key-pair", Params: map[string]string{"keyName": "ci-build-2025"}}, s.by)
	require.ErrorIs(t, err, app.ErrNotFound, "the pair is gone")
	_, err = s.cloud.Changer.PlanChange(ctx, app.ChangeRequest{Action: "iam.delete-access-key", Params: map[string]string{"accessKeyId": "AKIAIOSFODNN7EXAMPLE"}}, s.by)
	require.ErrorIs(t, err, app.ErrInvalid, "an active key must be deactivated first")
}

func TestIAMRefusesWhatIAMRefuses(t *testing.T) {
	ctx := context.Background()
	s := newAPISim(t)
	api := iamAPI{s.b}
	code := func(err error) string {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			return apiErr.ErrorCode()
		}
		return ""
	}
	_, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: sdkaws.String("NoSuchRole")})
	assert.Equal(t, "NoSuchEntity", code(err))
	assert.Contains(t, err.Error(), "The role with name NoSuchRole cannot be found.")
	_, err = api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: sdkaws.String("AWSServiceRoleForAccessAnalyzer"), PolicyName: sdkaws.String("x"),
		PolicyDocument: sdkaws.String(string(changeplan.DenyAllPolicy))})
	assert.Equal(t, "UnmodifiableEntity", code(err))
	_, err = api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: sdkaws.String("DataPipelineRole"), PolicyName: sdkaws.String("x"), PolicyDocument: sdkaws.String(`{"Version":"2012-10-17"}`)})
	assert.Equal(t, "MalformedPolicyDocument", code(err))
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("a", 2100) + `"}]}`
	_, err = api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: sdkaws.String("dana.ops"), PolicyName: sdkaws.String("big"), PolicyDocument: &big})
	assert.Equal(t, "LimitExceeded", code(err))
	_, err = api.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: sdkaws.String("dana.ops"), AccessKeyId: sdkaws.String("AKIAIOSFODNN7EXAMPLE"), Status: "Inactive"})
	assert.Equal(t, "NoSuchEntity", code(err), "the key is another user's")
	_, err = api.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: sdkaws.String("AKIAZZZZZZZZZZZZZZZZ")})
	assert.Equal(t, "AccessDenied", code(err))
	assert.Empty(t, s.recordedNames(), "refused calls change nothing and are not recorded as changes")

	// The service-linked role is refused by the plan before any call.
	_, err = s.cloud.Changer.PlanChange(ctx, app.ChangeRequest{Action: "iam.neutralise-role", Params: map[string]string{"roleName": "AWSServiceRoleForAccessAnalyzer"}}, s.by)
	require.ErrorIs(t, err, app.ErrInvalid)
	_, err = s.cloud.Changer.PlanChange(ctx, app.ChangeRequest{Action: "iam.revoke-role-sessions", Params: map[string]string{"roleName": "NoSuchRole"}}, s.by)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "NoSuchRole")
}

func TestTrustPoliciesComeBackURLEncodedAsIAMReturnsThem(t *testing.T) {
	ctx := context.Background()
	s := newAPISim(t)
	out, err := iamAPI{s.b}.GetRole(ctx, &iam.GetRoleInput{RoleName: sdkaws.String("DataPipelineRole")})
	require.NoError(t, err)
	doc := sdkaws.ToString(out.Role.AssumeRolePolicyDocument)
	assert.True(t, strings.HasPrefix(doc, "%7B%22Version%22"), doc)
	assert.NotContains(t, doc, "+", "spaces are %20 and plus signs %2B, as IAM encodes them")
	assert.Equal(t, "arn:aws:iam::111122223333:role/DataPipelineRole", sdkaws.ToString(out.Role.Arn))
	assert.Equal(t, int32(3600), sdkaws.ToInt32(out.Role.MaxSessionDuration))
	require.NotNil(t, out.Role.RoleLastUsed.LastUsedDate, "the story's AssumeRole is the role's last use")
	assert.Equal(t, time.Date(2026, 11, 24, 2, 5, 11, 0, time.UTC), *out.Role.RoleLastUsed.LastUsedDate)
}

func TestTheResponderChangesAppearInCloudTrailAtTheClockByTheCaller(t *testing.T) {
	ctx := context.Background()
	s := newAPISim(t)
	s.clock.add(10 * time.Minute)
	plan, err := s.cloud.Changer.PlanChange(ctx, app.ChangeRequest{Action: "iam.update-trust-policy",
		Params: map[string]string{"roleName": "DataPipelineRole", "removePrincipals": "arn:aws:iam::444455556666:root"}}, s.by)
	require.NoError(t, err)
	require.NoError(t, s.cloud.Changer.WriteState(ctx, plan.Steps[0].Resource, plan.Steps[0].After))
	out, err := trailAPI{s.b}.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: sdkaws.String("UpdateAssumeRolePolicy")}}},
		func(o *cloudtrail.Options) { o.Region = "us-east-1" })
	require.NoError(t, err)
	require.Len(t, out.Events, 2, "the intruder's change and the responders'")
	mine := out.Events[0]
	assert.Equal(t, exerciseStart.Add(10*time.Minute), *mine.EventTime, "newest first, at the clock")
	var rec struct {
		UserIdentity struct {
			ARN         string `json:"arn"`
			AccessKeyID string `json:"accessKeyId"`
		} `json:"userIdentity"`
		AWSRegion         string            `json:"awsRegion"`
		RequestParameters map[string]string `json:"requestParameters"`
	}
	require.NoError(t, json.Unmarshal([]byte(sdkaws.ToString(mine.CloudTrailEvent)), &rec))
	assert.Equal(t, s.b.sc.Caller.ARN, rec.UserIdentity.ARN)
	assert.Equal(t, s.b.sc.Caller.AccessKeyID, rec.UserIdentity.AccessKeyID)
	assert.Equal(t, "us-east-1", rec.AWSRegion)
	assert.Equal(t, "DataPipelineRole", rec.RequestParameters["roleName"])
	assert.NotContains(t, rec.RequestParameters["policyDocument"], "444455556666")
	// IAM's events are in us-east-1 only.
	out, err = trailAPI{s.b}.LookupEvents(ctx, &cloudtrail.LookupEventsInput{LookupAttributes: []cttypes.LookupAttribute{
		{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: sdkaws.String("UpdateAssumeRolePolicy")}}})
	require.NoError(t, err)
	assert.Empty(t, out.Events, "the session region %s has none", s.b.region)
}

func TestIAMListsPageWithMarkers(t *testing.T) {
	ctx := context.Background()
	sc, err := ParseScenario("two-keys", []byte(`id: two-keys
title: a user with two keys
account: "123456789012"
users:
  - name: ci
    accessKeys: [{id: AKIAAAAAAAAAAAAAAAA1}, {id: AKIAAAAAAAAAAAAAAAA2, status: Inactive}]
`))
	require.NoError(t, err)
	api := iamAPI{newBackend(sc, "", nil)}
	var ids []string
	pages := iam.NewListAccessKeysPaginator(api, &iam.ListAccessKeysInput{UserName: sdkaws.String("ci"), MaxItems: sdkaws.Int32(1)})
	n := 0
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx)
		require.NoError(t, err)
		n++
		for _, k := range p.AccessKeyMetadata {
			ids = append(ids, sdkaws.ToString(k.AccessKeyId)+" "+string(k.Status))
		}
	}
	assert.Equal(t, 2, n)
	assert.Equal(t, []string{"AKIAAAAAAAAAAAAAAAA1 Active", "AKIAAAAAAAAAAAAAAAA2 Inactive"}, ids)
	_, err = api.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: sdkaws.String("ci"), Marker: sdkaws.String("x7")})
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, "ValidationError", apiErr.ErrorCode())
	_, err = api.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, "ValidationError", apiErr.ErrorCode(), "a role session must name the user")
}
