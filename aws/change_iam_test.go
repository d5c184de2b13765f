package aws

import (
	"context"
	"net/url"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// The IAM actions beyond deactivation and revocation, against versitygw's
// IAM service: access keys it checks on every S3 request, and roles with
// inline and trust policies it stores (it issues no role sessions, so
// what a deny-all policy does to a session is AWS's documented rule, not
// shown here).

func TestDeleteAccessKeyOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	e := newChangeEnv(t, g.s, false)
	ctx := context.Background()
	keys := g.user(t, "leaky", 2)
	g.bucket(t, "evidence-bucket", "", map[string]string{"a.txt": "a"})
	key, other := keys[0], keys[1]
	asKey, stsKey := g.as(key)
	_, err := stsKey.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err, "the key works before")
	_, err = asKey.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: sdkaws.String("evidence-bucket")})
	assert.Equal(t, "AccessDenied", errorCode(err), "S3 knows the key (the user may not list)")

	// An active key is not deleted: deactivate first.
	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "iam.delete-access-key", Params: map[string]string{"accessKeyId": key[0]}})
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "still active: deactivate it first")
	e.apply(t, e.plan(t, "iam.deactivate-access-key", map[string]string{"userName": "leaky", "accessKeyId": key[0]}))

	// Without userName the key's user is looked up.
	p := e.plan(t, "iam.delete-access-key", map[string]string{"accessKeyId": key[0]})
	assert.Equal(t, "user leaky", p.Target)
	assert.True(t, p.Broad)
	assert.Equal(t, key[0], p.ConfirmWord, "the key id is typed to confirm")
	assert.False(t, p.Reversible)
	assert.Contains(t, strings.Join(p.Notes, " "), "IRREVERSIBLE: there is no undo")
	assert.Equal(t, "aws iam delete-access-key --user-name leaky --access-key-id "+key[0], p.CLI[0])
	assert.Contains(t, p.Diff, `- "Inactive"`)
	assert.Contains(t, p.Diff, "+ (not set)")
	for _, word := range []string{"yes", "leaky"} {
		_, err := e.svc.ApplyChange(ctx, e.inc, app.Profile{}, p.ID, word)
		require.ErrorIs(t, err, app.ErrNotConfirmed, word)
	}
	run := e.apply(t, p)
	assert.Equal(t, app.OutcomeApplied, run.Steps[0].Outcome)
	out, err := g.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: sdkaws.String("leaky")})
	require.NoError(t, err)
	require.Len(t, out.AccessKeyMetadata, 1)
	assert.Equal(t, other[0], sdkaws.ToString(out.AccessKeyMetadata[0].AccessKeyId), "only the named key is gone")
	_, err = asKey.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: sdkaws.String("evidence-bucket")})
	assert.Equal(t, "InvalidAccessKeyId", errorCode(err), "S3 no longer knows the deleted key")
	_, err = stsKey.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.Error(t, err, "STS refuses it too")

	_, err = e.svc.PlanUndo(ctx, e.inc, app.Profile{}, p.ID)
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "cannot be undone")
	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "iam.delete-access-key", Params: map[string]string{"userName": "leaky", "accessKeyId": key[0]}})
	require.ErrorIs(t, err, app.ErrNotFound, "already deleted")
	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "iam.delete-access-key", Params: map[string]string{"accessKeyId": "ASIAEXAMPLE000000001"}})
	require.ErrorIs(t, err, app.ErrInvalid)

	// The printed command deletes the other key the same way.
	_, err = g.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: sdkaws.String("leaky"), AccessKeyId: &other[0], Status: "Inactive"})
	require.NoError(t, err)
	p2 := e.plan(t, "iam.delete-access-key", map[string]string{"userName": "leaky", "accessKeyId": other[0]})
	awsCLI(t, p2.CLI[0], g.iamURL, vgwRoot, vgwRootSecret)
	out, err = g.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: sdkaws.String("leaky")})
	require.NoError(t, err)
	assert.Empty(t, out.AccessKeyMetadata)
	assert.Contains(t, e.timelineText(t), "Change "+p.ID+" step 1/1 applied: DeleteAccessKey on access key "+key[0]+" of user leaky")
}

// rolePolicyDoc reads an inline policy of a role, "" when absent.
func (g *vgw) rolePolicyDoc(t *testing.T, role, name string) string {
	t.Helper()
	out, err := g.iam.GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: &role, PolicyName: &name})
	if errorCode(err) == "NoSuchEntity" {
		return ""
	}
	require.NoError(t, err)
	doc, err := url.QueryUnescape(sdkaws.ToString(out.PolicyDocument))
	require.NoError(t, err)
	return doc
}

func (g *vgw) trustDoc(t *testing.T, role string) string {
	t.Helper()
	out, err := g.iam.GetRole(context.Background(), &iam.GetRoleInput{RoleName: &role})
	require.NoError(t, err)
	doc, err := url.QueryUnescape(sdkaws.ToString(out.Role.AssumeRolePolicyDocument))
	require.NoError(t, err)
	return doc
}

func TestNeutraliseRoleOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	e := newChangeEnv(t, g.s, false)
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`
	for _, r := range []struct{ name, path string }{{"etl", "/"}, {"etl-2", "/"}, {"linked", "/aws-service-role/example/"}} {
		_, err := g.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: sdkaws.String(r.name), Path: sdkaws.String(r.path), AssumeRolePolicyDocument: &trust})
		require.NoError(t, err)
	}
	p := e.plan(t, "iam.neutralise-role", map[string]string{"roleName": "etl"})
	assert.Equal(t, "etl", p.ConfirmWord)
	assert.True(t, p.Reversible)
	assert.Contains(t, p.Impact[0], "every user of the role stops working, legitimate ones too")
	assert.Equal(t, "aws iam put-role-policy --role-name etl --policy-name S3ResponderDenyAll --policy-document '"+string(DenyAllPolicy)+"'", p.CLI[0])
	assert.Equal(t, "aws iam delete-role-policy --role-name etl --policy-name S3ResponderDenyAll", p.Steps[0].UndoCLI)
	e.apply(t, p)
	assert.JSONEq(t, string(DenyAllPolicy), g.rolePolicyDoc(t, "etl", denyAllPolicyName))
	_, err := e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "iam.neutralise-role", Params: map[string]string{"roleName": "etl"}})
	require.ErrorIs(t, err, app.ErrNoChange)
	e.undo(t, p)
	assert.Empty(t, g.rolePolicyDoc(t, "etl", denyAllPolicyName), "undo removes the policy it added")

	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "iam.neutralise-role", Params: map[string]string{"roleName": "linked"}})
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "service-linked role")

	p2 := e.plan(t, "iam.neutralise-role", map[string]string{"roleName": "etl-2"})
	awsCLI(t, p2.CLI[0], g.iamURL, vgwRoot, vgwRootSecret)
	assert.JSONEq(t, string(DenyAllPolicy), g.rolePolicyDoc(t, "etl-2", denyAllPolicyName))
	awsCLI(t, p2.Steps[0].UndoCLI, g.iamURL, vgwRoot, vgwRootSecret)
	assert.Empty(t, g.rolePolicyDoc(t, "etl-2", denyAllPolicyName))
}

func TestUpdateTrustPolicyOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	e := newChangeEnv(t, g.s, false)
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"Own","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::000000000000:root","arn:aws:iam::444455556666:root"]},"Action":"sts:AssumeRole"},` +
		`{"Sid":"Ops","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/ops"},"Action":"sts:AssumeRole"}]}`
	_, err := g.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: sdkaws.String("reports"), AssumeRolePolicyDocument: &trust, MaxSessionDuration: sdkaws.Int32(7200)})
	require.NoError(t, err)

	p := e.plan(t, "iam.update-trust-policy", map[string]string{"roleName": "reports", "removePrincipals": "444455556666"})
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"Own","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"},{"Sid":"Ops","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/ops"},"Action":"sts:AssumeRole"}]}`
	assert.Equal(t, want, string(p.Steps[0].After), "only the named account goes; the rest stays as written")
	assert.Equal(t, "reports", p.ConfirmWord)
	assert.Contains(t, p.Impact[0], "arn:aws:iam::444455556666:root can no longer assume role reports")
	assert.Contains(t, p.Impact[1], "Sessions already issued stay valid")
	assert.Contains(t, strings.Join(p.Notes, " "), "WARNING: this does not end sessions already issued")
	assert.Contains(t, p.Diff, "-           \"arn:aws:iam::444455556666:root\"\n")
	assert.True(t, strings.HasPrefix(p.CLI[0], "aws iam update-assume-role-policy --role-name reports --policy-document '"), p.CLI[0])
	e.apply(t, p)
	assert.JSONEq(t, want, g.trustDoc(t, "reports"))
	e.undo(t, p)
	assert.JSONEq(t, trust, g.trustDoc(t, "reports"), "undo restores the earlier trust policy")

	// A whole new document, and the printed commands.
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/ops"},"Action":"sts:AssumeRole"}]}`
	p2 := e.plan(t, "iam.update-trust-policy", map[string]string{"roleName": "reports", "policyDocument": doc})
	awsCLI(t, p2.CLI[0], g.iamURL, vgwRoot, vgwRootSecret)
	assert.JSONEq(t, doc, g.trustDoc(t, "reports"))
	awsCLI(t, p2.Steps[0].UndoCLI, g.iamURL, vgwRoot, vgwRootSecret)
	assert.JSONEq(t, trust, g.trustDoc(t, "reports"))

	for _, bad := range []map[string]string{
		{"roleName": "reports"},
		{"roleName": "reports", "removePrincipals": "x", "policyDocument": doc},
		{"roleName": "reports", "policyDocument": `{"Version":"2012-10-17"}`},
	} {
		_, err := e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "iam.update-trust-policy", Params: bad})
		require.ErrorIs(t, err, app.ErrInvalid, bad)
	}
	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "iam.update-trust-policy", Params: map[string]string{"roleName": "reports", "removePrincipals": "999999999999"}})
	require.ErrorIs(t, err, app.ErrNoChange)
}
