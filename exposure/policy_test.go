package exposure

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

const (
	ownAcct   = "111122223333"
	otherAcct = "444455556666"
)

// doc wraps statements into a policy document shaped like the ones
// GetBucketPolicy returns.
func doc(statements ...string) string {
	return `{"Version":"2012-10-17","Id":"ExamplePolicy","Statement":[` + strings.Join(statements, ",") + `]}`
}

// allow builds an Allow statement on the example bucket's objects.
func allow(principal, action, condition string) string {
	s := `{"Sid":"S","Effect":"Allow","Principal":` + principal + `,"Action":` + action +
		`,"Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"]`
	if condition != "" {
		s += `,"Condition":` + condition
	}
	return s + "}"
}

type policyCase struct {
	name       string
	policy     string
	public     bool
	shared     bool
	sharedWith []string
	grants     []string // of the first statement, when set
	why        []string // substrings the reasons must contain
}

func TestEvaluatePolicyTable(t *testing.T) {
	get := `"s3:GetObject"`
	cases := []policyCase{
		// Principals.
		{name: "star principal, no condition", policy: doc(allow(`"*"`, get, "")), public: true,
			grants: []string{"read"}, why: []string{`Statement 1 (Sid "S") lets anyone (Principal "*") read objects`, "no condition that limits"}},
		{name: "AWS star principal", policy: doc(allow(`{"AWS":"*"}`, get, "")), public: true},
		{name: "AWS star in a list", policy: doc(allow(`{"AWS":["arn:aws:iam::111122223333:root","*"]}`, get, "")), public: true},
		{name: "own account root", policy: doc(allow(`{"AWS":"arn:aws:iam::111122223333:root"}`, get, "")),
			why: []string{"only fixed principals"}},
		{name: "own account bare id", policy: doc(allow(`{"AWS":"111122223333"}`, get, ""))},
		{name: "other account role", policy: doc(allow(`{"AWS":"arn:aws:iam::444455556666:role/Reader"}`, get, "")),
			shared: true, sharedWith: []string{otherAcct}, why: []string{"external access: 444455556666 is not the bucket owner's account 111122223333"}},
		{name: "mixed own and other accounts", policy: doc(allow(`{"AWS":["arn:aws:iam::111122223333:role/App","444455556666"]}`, get, "")),
			shared: true, sharedWith: []string{otherAcct}},
		{name: "assumed-role session of other account", policy: doc(allow(`{"AWS":"arn:aws:sts::444455556666:assumed-role/R/session"}`, get, "")),
			shared: true, sharedWith: []string{otherAcct}},
		{name: "service principal", policy: doc(allow(`{"Service":"cloudtrail.amazonaws.com"}`, `"s3:PutObject"`, "")),
			grants: []string{"write"}, why: []string{"AWS services (cloudtrail.amazonaws.com)"}},
		{name: "service principal list", policy: doc(allow(`{"Service":["logging.s3.amazonaws.com","delivery.logs.amazonaws.com"]}`, `"s3:PutObject"`, ""))},
		// The S3 User Guide's meaning of public lists a grant to a web
		// identity provider among its first public examples: anyone who can
		// sign in there gets in.
		{name: "federated principal is public", policy: doc(allow(`{"Federated":"graph.facebook.com"}`, get, "")), public: true,
			why: []string{`any identity signed in by the federated provider "graph.facebook.com"`, "no condition that limits"}},
		{name: "federated Cognito principal is public", policy: doc(allow(`{"Federated":"cognito-identity.amazonaws.com"}`, get, "")), public: true},
		{name: "SAML provider principal is public", policy: doc(allow(`{"Federated":"arn:aws:iam::111122223333:saml-provider/Corp"}`, get, "")), public: true},
		{name: "federated principal next to a fixed account is public", policy: doc(allow(`{"AWS":"111122223333","Federated":"accounts.google.com"}`, get, "")), public: true},
		{name: "federated principal limited to a source network is not public", policy: doc(allow(`{"Federated":"graph.facebook.com"}`, get, `{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`)),
			why: []string{"aws:SourceIp is limited to"}},
		{name: "federated principal limited by a caller-controlled header stays public", policy: doc(allow(`{"Federated":"graph.facebook.com"}`, get, `{"StringLike":{"aws:Referer":"https://example.com/*"}}`)), public: true},

		// Fixed values that no account can have.
		{name: "SourceAccount that is not twelve digits lets nobody in and shares with nobody", policy: doc(allow(`"*"`, get, `{"StringEquals":{"aws:SourceAccount":"12345"}}`)),
			why: []string{`"12345" is not a twelve-digit account id, so no account matches it`}},
		{name: "PrincipalAccount that is not an account id shares with nobody", policy: doc(allow(`"*"`, get, `{"StringEquals":{"aws:PrincipalAccount":["abc","4444555566667"]}}`)),
			why: []string{`"4444555566667", "abc" are not a twelve-digit account id`}},
		{name: "valid and impossible account values share with the valid one", policy: doc(allow(`"*"`, get, `{"StringEquals":{"aws:SourceAccount":["444455556666","x"]}}`)),
			shared: true, sharedWith: []string{otherAcct}},

		// Organisation paths (aws:PrincipalOrgPaths), judged as
		// aws:PrincipalOrgID: the organisation id must be fixed.
		{name: "PrincipalOrgPaths with a fixed organisation is not public but shared", policy: doc(allow(`"*"`, get, `{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"}}`)),
			shared: true, sharedWith: []string{"o-a1b2c3d4e5"}},
		{name: "PrincipalOrgPaths exact path is not public", policy: doc(allow(`"*"`, get, `{"ForAnyValue:StringEquals":{"aws:PrincipalOrgPaths":["o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"]}}`)),
			shared: true, sharedWith: []string{"o-a1b2c3d4e5"}},
		{name: "PrincipalOrgPaths with a wildcard organisation is public", policy: doc(allow(`"*"`, get, `{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-*/r-ab12/*"}}`)), public: true,
			why: []string{"does not start with a fixed organisation id"}},
		{name: "PrincipalOrgPaths that is not an organisation is public", policy: doc(allow(`"*"`, get, `{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"*/ou-ab12-11111111/*"}}`)), public: true},
		{name: "CloudFront origin access identity", policy: doc(allow(`{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLE"}`, get, "")),
			why: []string{"CloudFront origin access identity"}},
		{name: "canonical user, owner id unknown", policy: doc(allow(`{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`, get, "")),
			shared: true, sharedWith: []string{"canonical user 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}},
		{name: "deleted role unique id", policy: doc(allow(`{"AWS":"AROAEXAMPLEROLEID1234"}`, get, "")),
			why: []string{"names no account"}},
		{name: "principal with policy variable", policy: doc(allow(`{"AWS":"arn:aws:iam::111122223333:user/${aws:username}"}`, get, "")),
			public: true, why: []string{"any principal matching"}},
		{name: "principal with wildcard user", policy: doc(allow(`{"AWS":"arn:aws:iam::111122223333:user/*"}`, get, "")), public: true},
		{name: "service wildcard", policy: doc(allow(`{"Service":"*"}`, get, "")), public: true},

		// aws:SourceVpc / aws:SourceVpce, AWS's own examples.
		{name: "SourceVpc fixed (AWS example)", policy: doc(allow(`"*"`, `"s3:PutObject"`, `{"StringEquals":{"aws:SourceVpc":"vpc-91237329"}}`)),
			why: []string{`aws:SourceVpc is limited to "vpc-91237329"`, "does not count it as public"}},
		{name: "SourceVpc StringLike vpc-* (AWS example)", policy: doc(allow(`"*"`, `"s3:PutObject"`, `{"StringLike":{"aws:SourceVpc":"vpc-*"}}`)),
			public: true, why: []string{`wildcard value "vpc-*"`}},
		{name: "SourceVpc StringLike with a fixed value", policy: doc(allow(`"*"`, get, `{"StringLike":{"aws:SourceVpc":"vpc-91237329"}}`))},
		{name: "SourceVpc one of two values wildcard", policy: doc(allow(`"*"`, get, `{"StringEquals":{"aws:SourceVpc":["vpc-1a2b3c4d","vpc-*"]}}`)), public: true},
		{name: "SourceVpce fixed", policy: doc(allow(`"*"`, get, `{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}`))},
		{name: "condition key in other case", policy: doc(allow(`"*"`, get, `{"StringEquals":{"AWS:SOURCEVPC":"vpc-1a2b3c4d"}}`))},
		{name: "SourceVpc IfExists", policy: doc(allow(`"*"`, get, `{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-1a2b3c4d"}}`)),
			public: true, why: []string{"StringEqualsIfExists on aws:SourceVpc also matches requests that carry no aws:SourceVpc"}},
		{name: "SourceVpc ForAllValues", policy: doc(allow(`"*"`, get, `{"ForAllValues:StringEquals":{"aws:SourceVpc":"vpc-1a2b3c4d"}}`)),
			public: true, why: []string{"ForAllValues is true for an empty set"}},
		{name: "SourceVpc ForAnyValue", policy: doc(allow(`"*"`, get, `{"ForAnyValue:StringEquals":{"aws:SourceVpc":"vpc-1a2b3c4d"}}`))},
		{name: "SourceVpc ForAnyValue IfExists", policy: doc(allow(`"*"`, get, `{"ForAnyValue:StringLikeIfExists":{"aws:SourceVpc":"vpc-1a2b3c4d"}}`)), public: true},
		{name: "SourceVpc StringNotEquals", policy: doc(allow(`"*"`, get, `{"StringNotEquals":{"aws:SourceVpc":"vpc-1a2b3c4d"}}`)),
			public: true, why: []string{"lets in every value except"}},
		{name: "SourceVpc Null false", policy: doc(allow(`"*"`, get, `{"Null":{"aws:SourceVpc":"false"}}`)),
			public: true, why: []string{"does not pin aws:SourceVpc to fixed values"}},

		// aws:SourceIp.
		{name: "SourceIp IPv4 CIDR", policy: doc(allow(`"*"`, get, `{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`))},
		{name: "SourceIp IPv4 and IPv6", policy: doc(allow(`"*"`, get, `{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:DB8:1234:5678::/64"]}}`))},
		{name: "SourceIp single address", policy: doc(allow(`"*"`, get, `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`))},
		{name: "SourceIp exactly /8", policy: doc(allow(`"*"`, get, `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`))},
		{name: "SourceIp 0.0.0.0/0", policy: doc(allow(`"*"`, get, `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`)),
			public: true, why: []string{"0.0.0.0/0 is wider than /8"}},
		{name: "SourceIp 0.0.0.0/1 (AWS example)", policy: doc(allow(`"*"`, get, `{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}`)), public: true},
		{name: "SourceIp one narrow one broad", policy: doc(allow(`"*"`, get, `{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","64.0.0.0/2"]}}`)), public: true},
		{name: "SourceIp IPv6 /16", policy: doc(allow(`"*"`, get, `{"IpAddress":{"aws:SourceIp":"2001:db8::/16"}}`)),
			public: true, why: []string{"wider than /32 for IPv6"}},
		{name: "SourceIp IPv6 /32", policy: doc(allow(`"*"`, get, `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`))},
		{name: "SourceIp IPv6 ::/0", policy: doc(allow(`"*"`, get, `{"IpAddress":{"aws:SourceIp":"::/0"}}`)), public: true},
		{name: "SourceIp NotIpAddress", policy: doc(allow(`"*"`, get, `{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`)),
			public: true, why: []string{"lets in every address except"}},
		{name: "SourceIp not an address", policy: doc(allow(`"*"`, get, `{"IpAddress":{"aws:SourceIp":"office"}}`)),
			public: true, why: []string{"not an IP address or CIDR block"}},
		{name: "SourceIp with StringEquals", policy: doc(allow(`"*"`, get, `{"StringEquals":{"aws:SourceIp":"192.0.2.1"}}`)), public: true},

		// Keys that do not count.
		{name: "Referer only", policy: doc(allow(`"*"`, get, `{"StringLike":{"aws:Referer":["http://www.example.com/*","http://example.com/*"]}}`)),
			public: true, why: []string{"aws:Referer does not limit who can call", "Referer header is set by the caller"}},
		{name: "UserAgent only", policy: doc(allow(`"*"`, get, `{"StringEquals":{"aws:UserAgent":"MyApp/1.0"}}`)),
			public: true, why: []string{"User-Agent header"}},
		{name: "SecureTransport only, JSON bool", policy: doc(allow(`"*"`, get, `{"Bool":{"aws:SecureTransport":true}}`)),
			public: true, why: []string{"only requires HTTPS"}},
		{name: "unlisted key s3:prefix", policy: doc(allow(`"*"`, `"s3:ListBucket"`, `{"StringEquals":{"s3:prefix":"public/"}}`)),
			public: true, grants: []string{"list"}},
		{name: "Referer and a fixed SourceVpc", policy: doc(allow(`"*"`, get, `{"StringLike":{"aws:Referer":"https://example.com/*"},"StringEquals":{"aws:SourceVpc":"vpc-1a2b3c4d"}}`))},

		// Account, ARN and organisation keys.
		{name: "SourceAccount own", policy: doc(allow(`"*"`, `"s3:PutObject"`, `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`))},
		{name: "SourceAccount other", policy: doc(allow(`"*"`, `"s3:PutObject"`, `{"StringEquals":{"aws:SourceAccount":"444455556666"}}`)),
			shared: true, sharedWith: []string{otherAcct}},
		{name: "SourceOwner other", policy: doc(allow(`"*"`, `"s3:PutObject"`, `{"StringEquals":{"aws:SourceOwner":"444455556666"}}`)),
			shared: true, sharedWith: []string{otherAcct}},
		{name: "SourceArn fixed", policy: doc(allow(`"*"`, get, `{"ArnLike":{"aws:SourceArn":"arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"}}`))},
		{name: "SourceArn wildcard account", policy: doc(allow(`"*"`, get, `{"ArnLike":{"aws:SourceArn":"arn:aws:cloudfront::*:distribution/*"}}`)), public: true},
		{name: "SourceArn ArnNotEquals", policy: doc(allow(`"*"`, get, `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:t"}}`)), public: true},
		{name: "KMS key id fixed", policy: doc(allow(`"*"`, `"s3:PutObject"`, `{"StringEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}`))},
		{name: "userid fixed", policy: doc(allow(`"*"`, get, `{"StringEquals":{"aws:userid":"AIDAEXAMPLEUSERID"}}`))},
		{name: "userid AROLEID:*", policy: doc(allow(`"*"`, get, `{"StringLike":{"aws:userid":"AROAEXAMPLEROLEID:*"}}`)),
			public: true, why: []string{`aws:userid "AROAEXAMPLEROLEID:*" matches every session of a role`}},
		{name: "userid policy variable", policy: doc(allow(`"*"`, get, `{"StringEquals":{"aws:userid":"${aws:userid}"}}`)),
			public: true, why: []string{"policy variable"}},
		{name: "DataAccessPointArn name wildcard", policy: doc(allow(`"*"`, get, `{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:111122223333:accesspoint/*"}}`))},
		{name: "DataAccessPointArn account wildcard", policy: doc(allow(`"*"`, get, `{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:*:accesspoint/*"}}`)),
			public: true, why: []string{"leaves the account open"}},
		{name: "DataAccessPointArn other account", policy: doc(allow(`"*"`, get, `{"StringEquals":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:444455556666:accesspoint/ap"}}`)),
			shared: true, sharedWith: []string{otherAcct}},
		{name: "DataAccessPointAccount own", policy: doc(allow(`"*"`, get, `{"StringEquals":{"s3:DataAccessPointAccount":"111122223333"}}`))},
		{name: "PrincipalOrgID fixed", policy: doc(allow(`"*"`, get, `{"StringEquals":{"aws:PrincipalOrgID":"o-exampleorgid"}}`)),
			shared: true, sharedWith: []string{"o-exampleorgid"}},
		{name: "PrincipalOrgID wildcard", policy: doc(allow(`"*"`, get, `{"StringLike":{"aws:PrincipalOrgID":"o-*"}}`)), public: true},
		{name: "PrincipalAccount other", policy: doc(allow(`"*"`, get, `{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}`)),
			shared: true, sharedWith: []string{otherAcct}},
		{name: "PrincipalArn other", policy: doc(allow(`"*"`, get, `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::444455556666:role/X"}}`)),
			shared: true, sharedWith: []string{otherAcct}},
		{name: "own account limit wins over other", policy: doc(allow(`"*"`, get, `{"StringEquals":{"aws:SourceAccount":"111122223333","aws:PrincipalOrgID":"o-other"}}`))},

		// Effects, NotPrincipal, actions.
		{name: "Deny only, SecureTransport", policy: doc(`{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`)},
		{name: "public Allow with narrowing Deny", policy: doc(allow(`"*"`, get, ""), `{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1a2b3c4d"}}}`),
			public: true, why: []string{"Statement 2 denies access; a Deny never makes a bucket public"}},
		{name: "NotPrincipal with Allow", policy: doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			public: true, why: []string{"uses NotPrincipal with Allow", "everyone except"}},
		{name: "NotPrincipal with Deny", policy: doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}`)},
		{name: "NotAction with star", policy: doc(`{"Effect":"Allow","Principal":"*","NotAction":"s3:DeleteObject","Resource":"*"}`),
			public: true, grants: []string{"read", "list", "write", "permissions", "other"}, why: []string{`every action except "s3:DeleteObject"`}},
		{name: "PutBucketPolicy to everyone", policy: doc(allow(`"*"`, `"s3:PutBucketPolicy"`, "")),
			public: true, grants: []string{"permissions"}},
		{name: "non-bad action still public", policy: doc(allow(`"*"`, `"s3:ReplicateObject"`, "")),
			public: true, grants: []string{"other"}, why: []string{"S3 counts any grant to everyone as public"}},
		{name: "Get* wildcard action", policy: doc(allow(`"*"`, `"s3:Get*"`, "")), public: true, grants: []string{"read"}},
		{name: "star action", policy: doc(allow(`"*"`, `"*"`, "")), public: true, grants: []string{"read", "list", "write", "permissions"}},
		{name: "action case-insensitive", policy: doc(allow(`"*"`, `["S3:getobject","s3:listbucket"]`, "")), public: true, grants: []string{"read", "list"}},
		{name: "single Statement object", policy: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`, public: true},
		{name: "no policy", policy: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := EvaluatePolicy(tc.policy, ownAcct)
			require.NoError(t, err)
			assert.Equal(t, tc.public, r.Public, "public")
			assert.Equal(t, tc.shared, r.Shared, "shared")
			if tc.sharedWith != nil {
				assert.Equal(t, tc.sharedWith, r.SharedWith)
			}
			var all []string
			for _, f := range r.Statements {
				all = append(all, f.Reason)
			}
			if tc.grants != nil {
				require.NotEmpty(t, r.Statements)
				assert.Equal(t, tc.grants, r.Statements[0].Grants)
			}
			text := strings.Join(all, "\n")
			for _, w := range tc.why {
				assert.Contains(t, text, w)
			}
			if tc.policy != "" {
				for _, f := range r.Statements {
					assert.NotEmpty(t, f.Reason)
					assert.True(t, strings.HasSuffix(f.Reason, "."), "reason is a sentence: %q", f.Reason)
				}
			}
		})
	}
	require.GreaterOrEqual(t, len(cases), 40)
}

func TestEvaluatePolicyUnknownOwner(t *testing.T) {
	r, err := EvaluatePolicy(doc(allow(`{"AWS":"arn:aws:iam::111122223333:root"}`, `"s3:GetObject"`, "")), "")
	require.NoError(t, err)
	assert.True(t, r.Shared, "without the owner, a named account may be external")
	assert.Contains(t, r.Statements[0].Reason, "the owner was not given")
}

func TestParsePolicyErrors(t *testing.T) {
	cases := []struct {
		name      string
		policy    string
		line, col int
		msg       string
	}{
		{"broken JSON", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\",, }\n  ]\n}", 4, 24, "invalid character ','"},
		{"Effect in lower case", "{\"Statement\":[\n {\"Effect\":\"allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\"}]}", 2, 12, `Effect must be "Allow" or "Deny"`},
		{"Principal is a number", `{"Statement":[{"Effect":"Allow","Principal":5,"Action":"s3:GetObject"}]}`, 1, 45, "Principal must be"},
		{"Principal string not star", `{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::1:root","Action":"x"}]}`, 1, 45, `name principals as {"AWS": ...}`},
		{"no Principal", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`, 1, 15, "has no Principal"},
		{"no Action", `{"Statement":[{"Effect":"Allow","Principal":"*"}]}`, 1, 15, "no Action or NotAction"},
		{"unknown operator", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{"StringEqual":{"aws:SourceVpc":"vpc-1"}}}]}`, 1, 86, `unknown condition operator "StringEqual"`},
		{"unknown qualifier", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a","Condition":{"ForSome:StringEquals":{"k":"v"}}}]}`, 1, 75, "unknown condition qualifier"},
		{"misspelt element", `{"Statement":[{"Efect":"Allow","Principal":"*","Action":"a"}]}`, 1, 16, `unknown statement element "Efect"`},
		{"condition value object", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a","Condition":{"StringEquals":{"k":{"x":1}}}}]}`, 1, 95, "the value of k must be a string"},
		{"top-level list", `[]`, 1, 1, "must be a JSON object"},
		{"no Statement", `{"Version":"2012-10-17"}`, 1, 1, "has no Statement"},
		{"trailing data", `{"Statement":[]} x`, 1, 18, "invalid character 'x' after top-level value"},
		{"second document", `{"Statement":[]} {}`, 1, 18, "after the end of the document"},
		{"truncated", `{"Statement":[{"Effect":`, 1, 25, "ends too early"},
		{"empty object text", "   ", 1, 1, "empty"},
		{"unknown principal type", `{"Statement":[{"Effect":"Allow","Principal":{"Aws":"*"},"Action":"a"}]}`, 1, 46, `unknown principal type "Aws"`},
		{"multibyte column", "{\"Sid\":\"é\", \"Statement\":[]}", 1, 2, `unknown policy element "Sid"`},
		{"too deep", strings.Repeat("[", 200) + strings.Repeat("]", 200), 1, 66, "nested more than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePolicy(tc.policy)
			require.Error(t, err)
			assert.True(t, errors.Is(err, app.ErrInvalid), "wraps app.ErrInvalid: %v", err)
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.line, se.Line, "line of %v", err)
			assert.Equal(t, tc.col, se.Column, "column of %v", err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Contains(t, err.Error(), "bucket policy, line ")
		})
	}
}
