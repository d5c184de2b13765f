package exposure

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

const tlsDeny = `{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::reports","arn:aws:s3:::reports/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`

func policyOf(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

// short is a finding as "severity subject: first words", enough to tell
// findings apart in a table.
func short(f app.InspectFinding) string {
	words := strings.Fields(f.Text)
	if len(words) > 3 {
		words = words[:3]
	}
	return f.Severity + " " + f.Subject + ": " + strings.Join(words, " ")
}

func shorts(rep app.Inspection) []string {
	out := []string{}
	for _, f := range rep.Findings {
		out = append(out, short(f))
	}
	return out
}

func TestReviewPolicy(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{
			name: "public read: wildcard principal, no condition, no TLS deny",
			doc:  policyOf(`{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}`),
			want: []string{
				`high statement 1 (Sid "PublicRead"): Wildcard principal: it`,
				`medium statement 1 (Sid "PublicRead"): Broad grant (to`,
				"medium the policy: No statement denies",
			},
		},
		{
			name: "s3:* to a role of the account",
			doc:  policyOf(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"s3:*","Resource":["arn:aws:s3:::reports","arn:aws:s3:::reports/*"]}`, tlsDeny),
			want: []string{"high statement 1: Wildcard action \"s3:*\"", "medium statement 1: Broad grant (of"},
		},
		{
			name: "s3:Get* with a condition",
			doc:  policyOf(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"s3:Get*","Resource":"arn:aws:s3:::reports/*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}`, tlsDeny),
			want: []string{"medium statement 1: Wildcard action \"s3:Get*\""},
		},
		{
			name: "NotAction and NotPrincipal",
			doc:  policyOf(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/x"},"NotAction":"s3:DeleteObject","Resource":"arn:aws:s3:::reports/*"}`, tlsDeny),
			want: []string{"high statement 1: Allow with NotPrincipal", "high statement 1: Allow with NotAction", "medium statement 1: Broad grant (to"},
		},
		{
			name: "another account without a condition",
			doc:  policyOf(`{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}`, tlsDeny),
			want: []string{`medium statement 1 (Sid "Partner"): Broad grant (to`},
		},
		{
			name: "wildcard principal pinned to the organisation",
			doc:  policyOf(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123def4"}}}`, tlsDeny),
			want: []string{"low statement 1: Wildcard principal (anyone"},
		},
		{
			name: "TLS deny on the objects only",
			doc:  policyOf(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}`, `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::reports/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`),
			want: []string{"low the policy: statement 2 denies"},
		},
		{
			name: "least privilege already",
			doc:  policyOf(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::reports/*"}`, tlsDeny),
			want: []string{},
		},
		{
			name: "no policy",
			doc:  "",
			want: []string{"info the bucket: The bucket has", "medium the policy: No statement denies"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := ReviewPolicy(tc.doc, "reports", "111122223333")
			require.NoError(t, err)
			assert.Equal(t, tc.want, shorts(rep))
			assert.Equal(t, PolicyReviewAction, rep.Action)
			assert.Equal(t, "bucket reports", rep.Target)
			var d ReviewDetail
			require.NoError(t, json.Unmarshal(rep.Detail, &d))
			assert.Equal(t, tc.doc, d.Policy)
			// Every fix is a statement a policy can hold.
			for _, f := range rep.Findings {
				if f.Fix == "" {
					continue
				}
				_, err := ParsePolicy(policyOf(f.Fix))
				require.NoError(t, err, f.Fix)
			}
		})
	}
}

// Each fix, put in place of the statement (or added, for the policy-wide
// finding), makes its own finding go away.
func TestReviewFixesRemoveTheirFinding(t *testing.T) {
	public := `{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::reports/*"}`
	rep, err := ReviewPolicy(policyOf(public), "", "111122223333")
	require.NoError(t, err)
	assert.Equal(t, "bucket reports", rep.Target, "the bucket is read from the policy's resources")
	byStart := map[string]app.InspectFinding{}
	for _, f := range rep.Findings {
		byStart[strings.Join(strings.Fields(f.Text)[:2], " ")] = f
	}
	require.Len(t, byStart, 4, shorts(rep))

	principal := byStart["Wildcard principal:"]
	assert.Contains(t, principal.Fix, `"AWS": "arn:aws:iam::111122223333:role/ROLE-THAT-NEEDS-ACCESS"`)
	again, err := ReviewPolicy(policyOf(principal.Fix), "reports", "111122223333")
	require.NoError(t, err)
	assert.NotContains(t, strings.Join(shorts(again), "\n"), "Wildcard principal")

	action := byStart["Wildcard action"]
	assert.Contains(t, action.Fix, `"Action": [
    "s3:GetObject",
    "s3:PutObject"
  ]`, "object actions only, as the statement names only objects")
	assert.NotContains(t, action.Fix, "s3:*")
	again, err = ReviewPolicy(policyOf(action.Fix), "reports", "111122223333")
	require.NoError(t, err)
	assert.NotContains(t, strings.Join(shorts(again), "\n"), "Wildcard action")

	cond := byStart["Broad grant"]
	assert.Contains(t, cond.Fix, `"aws:PrincipalOrgID": "o-xxxxxxxxxx"`)
	again, err = ReviewPolicy(policyOf(cond.Fix), "reports", "111122223333")
	require.NoError(t, err)
	assert.NotContains(t, strings.Join(shorts(again), "\n"), "Broad grant")
	assert.Contains(t, strings.Join(shorts(again), "\n"), "low statement 1 (Sid \"PublicRead\"): Wildcard principal", "pinned to the organisation, the wildcard is only low")

	tls := byStart["No statement"]
	assert.Contains(t, tls.Fix, `"arn:aws:s3:::reports"`)
	assert.Contains(t, tls.Fix, `"arn:aws:s3:::reports/*"`)
	again, err = ReviewPolicy(policyOf(public, tls.Fix), "reports", "111122223333")
	require.NoError(t, err)
	assert.NotContains(t, strings.Join(shorts(again), "\n"), "No statement denies")
	var d ReviewDetail
	require.NoError(t, json.Unmarshal(again.Detail, &d))
	assert.True(t, d.SecureTransport)
}

func TestExplicitActions(t *testing.T) {
	for _, tc := range []struct {
		grants, resources, want []string
	}{
		{[]string{"read", "list", "write", "permissions"}, []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"}, []string{"s3:GetObject", "s3:ListBucket", "s3:PutObject"}},
		{[]string{"read", "list"}, []string{"arn:aws:s3:::b"}, []string{"s3:ListBucket"}},
		{[]string{"permissions"}, []string{"arn:aws:s3:::b"}, []string{"s3:ListBucket"}},
		{[]string{"other"}, []string{"arn:aws:s3:::b/logs/*"}, []string{"s3:GetObject"}},
		{[]string{"read", "list"}, []string{"*"}, []string{"s3:GetObject", "s3:ListBucket"}},
	} {
		assert.Equal(t, tc.want, explicitActions(tc.grants, tc.resources), "%v on %v", tc.grants, tc.resources)
	}
}

func TestReviewPolicyErrorsAndPartition(t *testing.T) {
	_, err := ReviewPolicy(`{"Statement":[{"Effect":"Allow",}]}`, "b", "")
	require.ErrorIs(t, err, app.ErrInvalid)
	rep, err := ReviewPolicy(policyOf(`{"Effect":"Allow","Principal":{"AWS":"arn:aws-cn:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws-cn:s3:::cn-bucket/*"}`), "", "")
	require.NoError(t, err)
	require.NotEmpty(t, rep.Findings)
	last := rep.Findings[len(rep.Findings)-1]
	assert.Contains(t, last.Fix, `"arn:aws-cn:s3:::cn-bucket/*"`, "the TLS deny uses the policy's partition")
	assert.Equal(t, []string{"aws s3api get-bucket-policy --bucket cn-bucket --query Policy --output text", "aws s3api put-bucket-policy --bucket cn-bucket --policy file://reviewed-policy.json"}, rep.Commands)
}
