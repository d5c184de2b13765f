package changeplan

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

func TestStepCommandsBothWays(t *testing.T) {
	for _, tc := range []struct {
		name, profile  string
		r              app.Resource
		region         string
		before, after  string
		call, cli      string
		undoCall, undo string
	}{
		{name: "bucket policy removed, with a profile", profile: "ir", r: BucketPolicyResource("acme"), region: "eu-west-1",
			before: `{ "Statement": [] }`, after: Null,
			call: "DeleteBucketPolicy", cli: "aws s3api delete-bucket-policy --bucket acme --region eu-west-1 --profile ir",
			undoCall: "PutBucketPolicy", undo: `aws s3api put-bucket-policy --bucket acme --policy '{"Statement":[]}' --region eu-west-1 --profile ir`},
		{name: "bucket flags, without a profile", r: BucketBPAResource("acme"), region: "us-east-1",
			before: Null, after: string(AllBlocked),
			call: "PutPublicAccessBlock", cli: "aws s3api put-public-access-block --bucket acme --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true --region us-east-1",
			undoCall: "DeletePublicAccessBlock", undo: "aws s3api delete-public-access-block --bucket acme --region us-east-1"},
		{name: "key status", r: AccessKeyResource(app.ResourceAccessKeyStatus, "bob", "AKIAEXAMPLE"),
			before: `"Active"`, after: `"Inactive"`,
			call: "UpdateAccessKey", cli: "aws iam update-access-key --user-name bob --access-key-id AKIAEXAMPLE --status Inactive",
			undoCall: "UpdateAccessKey", undo: "aws iam update-access-key --user-name bob --access-key-id AKIAEXAMPLE --status Active"},
		{name: "unknown kind", r: app.Resource{Kind: "other"}, before: Null, after: `1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Step(tc.profile, tc.r, tc.region, json.RawMessage(tc.before), json.RawMessage(tc.after))
			assert.Equal(t, tc.call, s.Call)
			assert.Equal(t, tc.cli, s.CLI)
			assert.Equal(t, tc.undoCall, s.UndoCall)
			assert.Equal(t, tc.undo, s.UndoCLI)
			assert.Equal(t, string(Compact([]byte(tc.before))), string(s.Before), "states are kept compact")
		})
	}
}

func TestLockStatement(t *testing.T) {
	got := LockStatement("aws-cn", "acme", []string{"arn:aws-cn:iam::111122223333:role/IR"})
	assert.JSONEq(t, `{"Sid":"S3ResponderLockControlPlane","Effect":"Deny","Principal":"*",
		"Action":["s3:PutBucketPolicy","s3:DeleteBucketPolicy","s3:PutBucketAcl","s3:PutBucketPublicAccessBlock","s3:PutBucketOwnershipControls"],
		"Resource":"arn:aws-cn:s3:::acme","Condition":{"StringNotLike":{"aws:PrincipalArn":["arn:aws-cn:iam::111122223333:role/IR"]}}}`, string(got))
	assert.Equal(t, LockSid, StatementSid(got))
}

func TestEditTrust(t *testing.T) {
	trust := json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["a","b"]},"Action":"sts:AssumeRole"}]}`)
	for _, tc := range []struct {
		name, remove, doc, after, removed string
		err                               error
	}{
		{name: "neither", err: app.ErrInvalid},
		{name: "both", remove: "a", doc: `{"Statement":[]}`, err: app.ErrInvalid},
		{name: "new document", doc: `{ "Statement" : [] }`, after: `{"Statement":[]}`},
		{name: "bad document", doc: `[]`, err: app.ErrInvalid},
		{name: "remove", remove: " b ,", after: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"a"},"Action":"sts:AssumeRole"}]}`, removed: "b"},
		{name: "not there", remove: "c", err: app.ErrNoChange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTrustRequest(tc.remove, tc.doc)
			var after json.RawMessage
			var removed []string
			if err == nil {
				after, removed, err = EditTrust("r", trust, tc.remove, tc.doc)
			}
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.after, string(after))
			if tc.removed == "" {
				assert.Nil(t, removed)
			} else {
				assert.Equal(t, []string{tc.removed}, removed)
			}
		})
	}
}
