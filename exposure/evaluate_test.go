package exposure

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

const (
	ownCanonical   = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
	otherCanonical = "be2fe74dc7e8125d8f8fcae89de90e6dfdecabf896e1a69d55e949b009fd95a7"
)

var (
	publicPolicy  = doc(allow(`"*"`, `"s3:GetObject"`, ""))
	sharedPolicy  = doc(allow(`{"AWS":"arn:aws:iam::444455556666:root"}`, `"s3:GetObject"`, ""))
	privatePolicy = doc(allow(`{"AWS":"arn:aws:iam::111122223333:role/App"}`, `"s3:GetObject"`, ""))
	all4          = &BlockPublicAccess{true, true, true, true}
)

func ptr[T any](v T) *T { return &v }

func aclWith(grants ...Grant) *ACL {
	owner := Grant{Grantee: Grantee{Type: "CanonicalUser", ID: ownCanonical, DisplayName: "owner"}, Permission: "FULL_CONTROL"}
	return &ACL{Owner: &Owner{ID: ownCanonical, DisplayName: "owner"}, Grants: append([]Grant{owner}, grants...)}
}

func group(uri, perm string) Grant {
	return Grant{Grantee: Grantee{Type: "Group", URI: uri}, Permission: perm}
}

func TestEvaluateVerdicts(t *testing.T) {
	cases := []struct {
		name       string
		in         Input
		access     Access
		public     bool
		shared     bool
		sharedWith []string
		policyPub  bool
		aclPub     bool
		disagree   bool
		why        []string
	}{
		// ACL grants, one per permission.
		{name: "AllUsers READ", in: Input{ACL: aclWith(group(AllUsersURI, "READ"))}, access: AccessPublic, public: true, aclPub: true,
			why: []string{"ACL grant 2 lets everyone (the AllUsers group, no credentials needed) list the objects in the bucket (READ): the ACL is public.", "its ACL grants access to everyone"}},
		{name: "AllUsers WRITE", in: Input{ACL: aclWith(group(AllUsersURI, "WRITE"))}, access: AccessPublic, public: true, aclPub: true,
			why: []string{"create, overwrite and delete objects in the bucket (WRITE)"}},
		{name: "AllUsers READ_ACP", in: Input{ACL: aclWith(group(AllUsersURI, "READ_ACP"))}, access: AccessPublic, public: true, aclPub: true,
			why: []string{"read the bucket's ACL (READ_ACP)"}},
		{name: "AllUsers WRITE_ACP", in: Input{ACL: aclWith(group(AllUsersURI, "WRITE_ACP"))}, access: AccessPublic, public: true, aclPub: true,
			why: []string{"change the bucket's ACL, and so give themselves any other permission (WRITE_ACP)"}},
		{name: "AllUsers FULL_CONTROL", in: Input{ACL: aclWith(group(AllUsersURI, "FULL_CONTROL"))}, access: AccessPublic, public: true, aclPub: true,
			why: []string{"(FULL_CONTROL)"}},
		{name: "AuthenticatedUsers READ", in: Input{ACL: aclWith(group(AuthenticatedUsersURI, "READ"))}, access: AccessPublic, public: true, aclPub: true,
			why: []string{"anyone with any AWS account"}},
		{name: "emulator all-users group id", in: Input{ACL: aclWith(Grant{Grantee: Grantee{Type: "Group", ID: "all-users"}, Permission: "READ"})},
			access: AccessPublic, public: true, aclPub: true},
		{name: "LogDelivery is not public", in: Input{ACL: aclWith(group(LogDeliveryURI, "WRITE"))}, access: AccessObjectsCanBe},
		{name: "other canonical user", in: Input{ACL: aclWith(Grant{Grantee: Grantee{Type: "CanonicalUser", ID: otherCanonical}, Permission: "READ"})},
			access: AccessObjectsCanBe, shared: true, sharedWith: []string{"canonical user " + otherCanonical}, why: []string{"external access for another AWS account"}},
		{name: "grant by e-mail", in: Input{ACL: aclWith(Grant{Grantee: Grantee{Type: "AmazonCustomerByEmail", EmailAddress: "partner@example.com"}, Permission: "READ"})},
			access: AccessObjectsCanBe, shared: true, sharedWith: []string{"the AWS account with e-mail partner@example.com"}},
		{name: "public ACL, IgnorePublicAcls on bucket", in: Input{ACL: aclWith(group(AllUsersURI, "READ")), BucketBPA: &BlockPublicAccess{IgnorePublicAcls: true}},
			access: AccessObjectsCanBe, aclPub: true, why: []string{"IgnorePublicAcls is on, so S3 ignores it", "IgnorePublicAcls (bucket)"}},
		{name: "public ACL, only BlockPublicAcls: still public", in: Input{ACL: aclWith(group(AllUsersURI, "READ")), BucketBPA: &BlockPublicAccess{BlockPublicAcls: true}},
			access: AccessPublic, public: true, aclPub: true},
		{name: "public ACL, ACLs disabled", in: Input{ACL: aclWith(group(AllUsersURI, "READ")), Ownership: OwnershipEnforced},
			access: AccessObjectsCanBe, aclPub: true, why: []string{"ACLs are disabled (Object Ownership is BucketOwnerEnforced), so it grants nothing", "ACLs are disabled and grant nothing"}},
		{name: "shared ACL, ACLs disabled", in: Input{ACL: aclWith(Grant{Grantee: Grantee{Type: "CanonicalUser", ID: otherCanonical}, Permission: "READ"}), Ownership: OwnershipEnforced},
			access: AccessObjectsCanBe},
		{name: "public ACL, all four on", in: Input{ACL: aclWith(group(AllUsersURI, "READ")), BucketBPA: all4}, access: AccessNotPublic, aclPub: true},

		// Block Public Access combinations without a policy.
		{name: "nothing configured", in: Input{ACL: aclWith()}, access: AccessObjectsCanBe,
			why: []string{"Objects can be public: nothing makes the bucket public now, but BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets are off", "every setting is off", "There is no bucket policy."}},
		{name: "all four at bucket", in: Input{BucketBPA: all4}, access: AccessNotPublic, why: []string{"Bucket and objects not public", "BlockPublicAcls (bucket)"}},
		{name: "all four at account", in: Input{AccountBPA: all4}, access: AccessNotPublic, why: []string{"RestrictPublicBuckets (account)"}},
		{name: "split between bucket and account", in: Input{BucketBPA: &BlockPublicAccess{BlockPublicAcls: true, IgnorePublicAcls: true}, AccountBPA: &BlockPublicAccess{BlockPublicPolicy: true, RestrictPublicBuckets: true, IgnorePublicAcls: true}},
			access: AccessNotPublic, why: []string{"IgnorePublicAcls (bucket and account)", "BlockPublicPolicy (account)"}},
		{name: "RestrictPublicBuckets missing", in: Input{BucketBPA: &BlockPublicAccess{true, true, true, false}}, access: AccessObjectsCanBe,
			why: []string{"but RestrictPublicBuckets is off"}},
		{name: "ACL pair only", in: Input{BucketBPA: &BlockPublicAccess{BlockPublicAcls: true, IgnorePublicAcls: true}}, access: AccessObjectsCanBe},
		{name: "policy pair only", in: Input{AccountBPA: &BlockPublicAccess{BlockPublicPolicy: true, RestrictPublicBuckets: true}}, access: AccessObjectsCanBe},

		// Policies with Block Public Access.
		{name: "public policy, no BPA", in: Input{Policy: publicPolicy}, access: AccessPublic, public: true, policyPub: true,
			why: []string{"Public: its bucket policy is public and RestrictPublicBuckets is off."}},
		{name: "public policy, BlockPublicPolicy does not hide it", in: Input{Policy: publicPolicy, BucketBPA: &BlockPublicAccess{BlockPublicPolicy: true}},
			access: AccessPublic, public: true, policyPub: true},
		{name: "public policy, RestrictPublicBuckets at account", in: Input{Policy: publicPolicy, AccountBPA: &BlockPublicAccess{RestrictPublicBuckets: true}},
			access: AccessOnlyThisAccount, policyPub: true, why: []string{"RestrictPublicBuckets (account level) limits access"}},
		{name: "public policy, all four", in: Input{Policy: publicPolicy, BucketBPA: all4}, access: AccessOnlyThisAccount, policyPub: true},
		{name: "public policy restricted but public ACL not ignored", in: Input{Policy: publicPolicy, ACL: aclWith(group(AllUsersURI, "READ")), BucketBPA: &BlockPublicAccess{RestrictPublicBuckets: true}},
			access: AccessPublic, public: true, policyPub: true, aclPub: true},
		{name: "public policy and public ACL, both neutralised", in: Input{Policy: publicPolicy, ACL: aclWith(group(AllUsersURI, "READ")), AccountBPA: all4},
			access: AccessOnlyThisAccount, policyPub: true, aclPub: true},
		{name: "shared policy", in: Input{Policy: sharedPolicy, BucketBPA: all4}, access: AccessNotPublic, shared: true, sharedWith: []string{otherAcct},
			why: []string{"Shared: 444455556666 can reach the bucket."}},
		{name: "private policy", in: Input{Policy: privatePolicy, BucketBPA: all4}, access: AccessNotPublic},
		{name: "public narrowed by Deny: note", in: Input{Policy: doc(allow(`"*"`, `"s3:GetObject"`, ""), `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}`)},
			access: AccessPublic, public: true, policyPub: true, why: []string{"Statement 2 is a Deny: it may narrow the access above", "GetBucketPolicyStatus"}},
		{name: "own organisation is not external", in: Input{OwnerOrgID: "o-exampleorgid", Policy: doc(allow(`"*"`, `"s3:GetObject"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-exampleorgid"}}`)), BucketBPA: all4},
			access: AccessNotPublic},
		{name: "owner canonical id in policy", in: Input{OwnerCanonicalID: ownCanonical, Policy: doc(allow(`{"CanonicalUser":"`+ownCanonical+`"}`, `"s3:GetObject"`, "")), BucketBPA: all4},
			access: AccessNotPublic},

		// The User Guide's worked example: CloudTrail, Account-2 and "*".
		{name: "AWS example without RestrictPublicBuckets", in: Input{Policy: awsExample}, access: AccessPublic, public: true, shared: true, sharedWith: []string{otherAcct}, policyPub: true},
		{name: "AWS example with RestrictPublicBuckets: cross-account cut too", in: Input{Policy: awsExample, BucketBPA: &BlockPublicAccess{RestrictPublicBuckets: true}},
			access: AccessOnlyThisAccount, policyPub: true, why: []string{"the policy's grants to other accounts are blocked too"}},

		// S3's own verdict.
		{name: "S3 agrees", in: Input{Policy: publicPolicy, S3PolicyPublic: ptr(true)}, access: AccessPublic, public: true, policyPub: true},
		{name: "S3 says public, evaluator not: follow S3", in: Input{Policy: privatePolicy, S3PolicyPublic: ptr(true)}, access: AccessPublic, public: true, policyPub: true, disagree: true,
			why: []string{"S3 says the bucket policy is public, but no statement looks public"}},
		{name: "S3 says public under RestrictPublicBuckets", in: Input{Policy: privatePolicy, S3PolicyPublic: ptr(true), AccountBPA: all4}, access: AccessOnlyThisAccount, policyPub: true, disagree: true},
		{name: "S3 says not public, evaluator does: stay public", in: Input{Policy: doc(allow(`"*"`, `"s3:GetObject"`, ""), `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}`), S3PolicyPublic: ptr(false)},
			access: AccessPublic, public: true, policyPub: true, disagree: true, why: []string{"S3 says the bucket policy is not public, but S3 Responder's evaluator calls it public"}},
		{name: "no policy, S3 says not public", in: Input{S3PolicyPublic: ptr(false), BucketBPA: all4}, access: AccessNotPublic},

		// Inputs that could not be read.
		{name: "unknown inputs are said", in: Input{Unknown: []string{"bucket ACL (AccessDenied)"}}, access: AccessObjectsCanBe,
			why: []string{"Could not read bucket ACL (AccessDenied): the verdict treats it as not configured and may be wrong."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Bucket = "amzn-s3-demo-bucket"
			if in.OwnerAccount == "" {
				in.OwnerAccount = ownAcct
			}
			r, err := Evaluate(in)
			require.NoError(t, err)
			assert.Equal(t, tc.access, r.Access)
			assert.Equal(t, tc.public, r.Public, "public")
			assert.Equal(t, tc.shared, r.Shared, "shared")
			assert.Equal(t, tc.policyPub, r.PolicyPublic, "policyPublic")
			assert.Equal(t, tc.aclPub, r.ACLPublic, "aclPublic")
			if tc.sharedWith != nil {
				assert.Equal(t, tc.sharedWith, r.SharedWith)
			}
			assert.Equal(t, tc.disagree, r.Disagreement != "", "disagreement %q", r.Disagreement)
			require.NotEmpty(t, r.Reasons)
			assert.True(t, strings.HasPrefix(r.Reasons[0], string(r.Access)+":"), "verdict first: %q", r.Reasons[0])
			text := strings.Join(r.Reasons, "\n")
			for _, w := range tc.why {
				assert.Contains(t, text, w)
			}
		})
	}
}

// awsExample is the policy of the User Guide's "How Amazon S3 evaluates a
// bucket policy that contains both public and non-public access grants".
var awsExample = doc(
	allow(`{"Service":"cloudtrail.amazonaws.com"}`, `"s3:PutObject"`, ""),
	allow(`{"AWS":"arn:aws:iam::444455556666:root"}`, `"s3:GetObject"`, ""),
	allow(`"*"`, `"s3:GetObject"`, ""),
)

func TestEvaluateJSONContract(t *testing.T) {
	r, err := Evaluate(Input{Bucket: "b", OwnerAccount: ownAcct, Policy: publicPolicy})
	require.NoError(t, err)
	data, err := json.Marshal(r)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	for _, k := range []string{"bucket", "public", "shared", "access", "reasons", "policyPublic", "blockPublicAccess", "statements"} {
		assert.Contains(t, m, k)
	}
	assert.Equal(t, true, m["public"])
	assert.Equal(t, "Public", m["access"])
}

func TestEvaluateBadPolicy(t *testing.T) {
	_, err := Evaluate(Input{Policy: `{"Statement":[{"Effect":"Allow","Principal":"*"`})
	require.Error(t, err)
	assert.True(t, errors.Is(err, app.ErrInvalid))
	assert.Contains(t, err.Error(), "line 1 column")
}

func TestParseACL(t *testing.T) {
	cliOutput := `{
    "Owner": {"DisplayName": "owner", "ID": "` + ownCanonical + `"},
    "Grants": [
        {"Grantee": {"DisplayName": "owner", "ID": "` + ownCanonical + `", "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}
    ]
}`
	acl, err := ParseACL([]byte(cliOutput))
	require.NoError(t, err)
	require.Len(t, acl.Grants, 2)
	assert.Equal(t, ownCanonical, acl.Owner.ID)
	assert.Equal(t, AllUsersURI, acl.Grants[1].Grantee.URI)

	bare, err := ParseACL([]byte(`[{"Grantee":{"Type":"Group","ID":"all-users"},"Permission":"READ"}]`))
	require.NoError(t, err)
	require.Len(t, bare.Grants, 1)

	for name, bad := range map[string]string{
		"syntax":        `{"Grants": [}`,
		"wrong type":    `{"Grants": "READ"}`,
		"no permission": `{"Grants": [{"Grantee": {"Type": "Group"}}]}`,
		"empty":         ``,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseACL([]byte(bad))
			require.Error(t, err)
			assert.True(t, errors.Is(err, app.ErrInvalid), "%v", err)
		})
	}
	_, err = ParseACL([]byte("{\n \"Grants\": 5}"))
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 2, se.Line)
}

func TestParseBlockPublicAccess(t *testing.T) {
	wrapped := `{"PublicAccessBlockConfiguration":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":true}}`
	b, err := ParseBlockPublicAccess([]byte(wrapped))
	require.NoError(t, err)
	assert.Equal(t, BlockPublicAccess{true, true, false, true}, *b)

	bare, err := ParseBlockPublicAccess([]byte(`{"BlockPublicPolicy":true}`))
	require.NoError(t, err)
	assert.Equal(t, BlockPublicAccess{BlockPublicPolicy: true}, *bare)
	assert.False(t, bare.All())
	assert.True(t, all4.All())

	for name, bad := range map[string]string{
		"misspelt flag": `{"BlockPublicAcl":true}`,
		"not a bool":    `{"BlockPublicAcls":"yes"}`,
		"syntax":        `{"BlockPublicAcls":tru}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseBlockPublicAccess([]byte(bad))
			require.Error(t, err)
			assert.True(t, errors.Is(err, app.ErrInvalid), "%v", err)
		})
	}
}

func TestParseOwnership(t *testing.T) {
	cases := map[string]string{
		"BucketOwnerEnforced":  OwnershipEnforced,
		"bucketownerpreferred": OwnershipPreferred,
		" ObjectWriter ":       OwnershipWriter,
		`{"OwnershipControls":{"Rules":[{"ObjectOwnership":"BucketOwnerEnforced"}]}}`: OwnershipEnforced,
	}
	for in, want := range cases {
		got, err := ParseOwnership(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	for _, bad := range []string{"Enforced", "", `{"OwnershipControls":{"Rules":[]}}`, `{"x":`} {
		_, err := ParseOwnership(bad)
		assert.True(t, errors.Is(err, app.ErrInvalid), "%q: %v", bad, err)
	}
}
