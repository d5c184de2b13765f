package aws

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// The review of the principals involved, against versitygw's IAM: users
// and keys it keeps with their last use (it records every signed S3
// request), roles with trust policies. What versitygw does not implement
// (groups, attached policies, instance profiles) comes back as problems of
// the principal, not as a failed review.

func TestReviewPrincipalsOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	e := newChangeEnv(t, g.s, false)
	ctx := context.Background()
	leaky := g.user(t, "leaky", 2)
	intern := g.user(t, "intern", 1)
	g.bucket(t, "payroll", "", map[string]string{"a.csv": "1"})
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	for _, r := range []struct{ name, path string }{{"etl", "/"}, {"linked", "/aws-service-role/example/"}} {
		_, err := g.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: sdkaws.String(r.name), Path: sdkaws.String(r.path), AssumeRolePolicyDocument: &trust})
		require.NoError(t, err)
	}
	_, err := g.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: sdkaws.String("etl"), PolicyName: sdkaws.String("read-payroll"),
		PolicyDocument: sdkaws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	require.NoError(t, err)
	// The leaky key is used (versitygw records it); the other one is
	// already inactive.
	asLeaky, _ := g.as(leaky[0])
	_, _ = asLeaky.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: sdkaws.String("payroll")})
	_, err = g.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: sdkaws.String("leaky"), AccessKeyId: &leaky[1][0], Status: "Inactive"})
	require.NoError(t, err)

	_, err = e.svc.Edit(ctx, e.inc, app.Details{Title: "Exposed bucket", Principals: []string{
		"arn:aws:iam::" + vgwAccount + ":user/leaky",
		intern[0][0],
		"arn:aws:sts::" + vgwAccount + ":assumed-role/etl/nightly-run",
		"arn:aws:iam::444455556666:role/partner",
		"ASIAEXAMPLETEMPKEY01",
	}})
	require.NoError(t, err)
	// A CloudTrail record kept as evidence names two more principals: a
	// user that no longer exists, and the etl role again (by ARN).
	trail := `{"Records":[{"eventName":"GetObject","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::` + vgwAccount + `:user/intruder","accessKeyId":"` + leaky[0][0] + `"}},` +
		`{"eventName":"GetObject","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::` + vgwAccount + `:assumed-role/etl/nightly-run"}}]}`
	ev, err := e.svc.AddEvidence(ctx, e.inc, app.Evidence{Title: "CloudTrail extract", Kind: app.EvidenceFile, MediaType: "application/json", FileName: "trail.json"}, []byte(trail))
	require.NoError(t, err)

	rep, saved, err := e.svc.Inspect(ctx, e.inc, app.Profile{}, app.InspectRequest{Action: "iam.review-principals",
		Params: map[string]string{"principals": "arn:aws:iam::" + vgwAccount + ":role/linked"}})
	require.NoError(t, err)
	bySubject := map[string]app.InspectFinding{}
	var subjects []string
	for _, f := range rep.Findings {
		bySubject[f.Subject] = f
		subjects = append(subjects, f.Subject)
	}
	assert.ElementsMatch(t, []string{"role linked", "user leaky", "user intern", "role etl", "account 444455556666", "temporary key ASIAEXAMPLETEMPKEY01", "user intruder"}, subjects)

	u := bySubject["user leaky"]
	assert.Equal(t, app.SeverityHigh, u.Severity, "an active key is still out there")
	assert.Contains(t, u.Text, leaky[0][0]+" Active")
	assert.Contains(t, u.Text, leaky[1][0]+" Inactive")
	assert.Contains(t, u.Text, "with s3", "the key's last use, as IAM records it")
	assert.Contains(t, u.Text, "named by incident, evidence "+ev.ID)
	fix := strings.Split(u.Fix, "\n")
	assert.Equal(t, "aws iam update-access-key --user-name leaky --access-key-id "+leaky[0][0]+" --status Inactive", fix[0], "deactivate first")
	assert.Equal(t, "aws iam delete-user --user-name leaky", fix[len(fix)-1], "the user goes last")

	in := bySubject["user intern"]
	assert.Contains(t, in.Text, "named by incident", "found through its access key")
	assert.Contains(t, in.Text, "never used")

	role := bySubject["role etl"]
	assert.Equal(t, app.SeverityMedium, role.Severity)
	assert.Contains(t, role.Text, "sessions seen: nightly-run")
	assert.Contains(t, role.Text, "Inline policies: read-payroll")
	assert.Contains(t, role.Text, "arn:aws:iam::444455556666:root", "the trust policy is shown")
	assert.Equal(t, "aws iam delete-role-policy --role-name etl --policy-name read-payroll\naws iam delete-role --role-name etl", role.Fix)
	assert.Equal(t, app.SeverityInfo, bySubject["role linked"].Severity)
	assert.Contains(t, bySubject["role linked"].Text, "service-linked")
	assert.Equal(t, app.SeverityLow, bySubject["user intruder"].Severity)
	assert.Contains(t, bySubject["user intruder"].Text, "No such user")
	assert.Contains(t, bySubject["account 444455556666"].Text, "cannot be read from here")
	assert.Contains(t, bySubject["temporary key ASIAEXAMPLETEMPKEY01"].Text, "revoke that role's or user's sessions")

	// The detail says what versitygw could not answer, per principal.
	var detail []principalReview
	require.NoError(t, json.Unmarshal(rep.Detail, &detail))
	for _, p := range detail {
		if p.Kind == "user" && p.Name == "leaky" {
			require.Len(t, p.AccessKeys, 2)
			for _, k := range p.AccessKeys {
				if k.ID == leaky[0][0] {
					assert.False(t, k.LastUsed.IsZero())
					assert.Equal(t, "s3", k.LastService)
					assert.True(t, k.Named, "the evidence names this key")
				} else {
					assert.True(t, k.LastUsed.IsZero())
					assert.False(t, k.Named)
				}
			}
			assert.Contains(t, strings.Join(p.Problems, "\n"), "ListGroupsForUser", "versitygw has no groups")
		}
	}
	require.Len(t, saved.Evidence, 2)
	answers := e.evidenceContent(t, "IAM answers about the principals involved")
	assert.Contains(t, answers, "GetAccessKeyLastUsed "+leaky[0][0])
	assert.Contains(t, answers, `"GetUser leaky"`)
	tl := e.timelineText(t)
	assert.Contains(t, tl, "finding: User leaky (high, iam.review-principals)")

	// The first commands of a finding run as printed: the intern's key is
	// deleted and the user with it.
	for _, line := range strings.Split(in.Fix, "\n") {
		if strings.Contains(line, "delete-access-key") || strings.Contains(line, "update-access-key") || strings.Contains(line, "delete-user ") {
			awsCLI(t, line, g.iamURL, vgwRoot, vgwRootSecret)
		}
	}
	_, err = g.iam.GetUser(ctx, &iam.GetUserInput{UserName: sdkaws.String("intern")})
	assert.Equal(t, "NoSuchEntity", errorCode(err))
}

func TestPrincipalKey(t *testing.T) {
	for _, tc := range []struct {
		in, kind, account, name, extra string
	}{
		{"arn:aws:iam::111122223333:user/ops/alice", "user", "111122223333", "alice", ""},
		{"arn:aws:iam::111122223333:role/service/app", "role", "111122223333", "app", ""},
		{"arn:aws:sts::111122223333:assumed-role/app/i-0abc", "role", "111122223333", "app", "i-0abc"},
		{"arn:aws:iam::444455556666:user/x", "other-account", "444455556666", "", "arn:aws:iam::444455556666:user/x"},
		{"arn:aws:iam::111122223333:root", "account", "111122223333", "", ""},
		{"AKIAIOSFODNN7EXAMPLE", "access-key", "111122223333", "", "AKIAIOSFODNN7EXAMPLE"},
		{"ASIAIOSFODNN7EXAMPLE", "temporary-key", "111122223333", "ASIAIOSFODNN7EXAMPLE", ""},
		{"444455556666", "other-account", "444455556666", "", "444455556666"},
		{"alice", "name", "111122223333", "alice", ""},
		{"not a principal", "unknown", "", "not a principal", ""},
	} {
		kind, account, name, extra := principalKey(tc.in, "111122223333")
		assert.Equal(t, []string{tc.kind, tc.account, tc.name, tc.extra}, []string{kind, account, name, extra}, tc.in)
	}
}
