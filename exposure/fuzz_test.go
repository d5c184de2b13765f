package exposure

import (
	"errors"
	"strings"
	"testing"

	"s3responder/app"
)

// FuzzEvaluatePolicy checks that no document, however broken, panics the
// evaluator, that errors are positioned and wrap app.ErrInvalid, and that
// verdicts keep their invariants.
func FuzzEvaluatePolicy(f *testing.F) {
	seeds := []string{
		publicPolicy, sharedPolicy, privatePolicy, awsExample,
		doc(allow(`"*"`, `"s3:PutObject"`, `{"StringLike":{"aws:SourceVpc":"vpc-*"}}`)),
		doc(allow(`"*"`, `"s3:GetObject"`, `{"IpAddress":{"aws:SourceIp":["0.0.0.0/1","2001:db8::/16"]}}`)),
		doc(allow(`"*"`, `"s3:GetObject"`, `{"ForAnyValue:StringLikeIfExists":{"aws:userid":"AROAEXAMPLE:*"}}`)),
		doc(allow(`"*"`, `"s3:GetObject"`, `{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-west-2:*:accesspoint/*"}}`)),
		doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"NotAction":"s3:Delete*","Resource":"*"}`),
		doc(`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:TlsVersion":1.2}}}`),
		`{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"],"Service":"s3.amazonaws.com"},"Action":["s3:*"]}}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"CanonicalUser":"abc","Federated":"x"},"Action":"a","Condition":{"StringEquals":{"aws:PrincipalOrgID":"${aws:PrincipalOrgID}"}}}]}`,
		`{"Statement":[`, `[]`, `null`, `"*"`, ``, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"a","Condition":{"IpAddress":{"aws:SourceIp":"::ffff:1.2.3.4/100"}}}]}`,
	}
	for _, s := range seeds {
		f.Add(s, ownAcct)
	}
	f.Fuzz(func(t *testing.T, policy, owner string) {
		r, err := EvaluatePolicy(policy, owner)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, app.ErrInvalid) {
				t.Fatalf("error is not a positioned invalid-input error: %v", err)
			}
			if se.Line < 1 || se.Column < 1 || se.Offset < 0 || se.Offset > int64(len(policy)) {
				t.Fatalf("bad position %+v for %d bytes", se, len(policy))
			}
			return
		}
		public := false
		for _, s := range r.Statements {
			if s.Reason == "" {
				t.Fatalf("statement %d has no reason", s.Index)
			}
			if s.Effect == "Deny" && (s.Public || s.Shared) {
				t.Fatalf("a Deny made the policy public or shared: %+v", s)
			}
			if s.Public && s.Shared {
				t.Fatalf("a statement is both public and shared: %+v", s)
			}
			public = public || s.Public
		}
		if public != r.Public {
			t.Fatalf("policy verdict %v disagrees with its statements", r.Public)
		}
		res, err := Evaluate(Input{Policy: policy, OwnerAccount: owner, BucketBPA: &BlockPublicAccess{RestrictPublicBuckets: true}})
		if err != nil {
			t.Fatalf("Evaluate failed where EvaluatePolicy did not: %v", err)
		}
		switch {
		case r.Public && res.Access != AccessOnlyThisAccount:
			t.Fatalf("public policy under RestrictPublicBuckets gave %q", res.Access)
		case !r.Public && res.Access != AccessObjectsCanBe:
			t.Fatalf("non-public policy with one flag gave %q", res.Access)
		case len(res.Reasons) == 0 || !strings.HasPrefix(res.Reasons[0], string(res.Access)):
			t.Fatalf("verdict not stated first: %q", res.Reasons)
		}
	})
}
