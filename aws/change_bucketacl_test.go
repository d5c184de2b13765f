package aws

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/changeplan"
)

// The bucket ACL reset runs against versitygw, which keeps bucket ACLs
// once a bucket's Object Ownership allows them (new buckets are
// BucketOwnerEnforced, as on AWS since 2023), enforces a grant to another
// user by its access key id, and lists the group of everyone as
// {"Type":"Group","ID":"all-users"} where AWS names it by URI. It accepts
// that group only through the canned ACL public-read, so a public grant is
// made and removed here but not put back by undo; the grant to another
// user is.

// aclBucketOn makes a bucket on versitygw whose ACLs apply, with the
// owner's FULL_CONTROL and the given grants.
func aclBucketOn(t *testing.T, g *vgw, name string, grants ...s3types.Grant) {
	t.Helper()
	ctx := context.Background()
	_, err := g.s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name})
	require.NoError(t, err)
	_, err = g.s.S3.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: &name, OwnershipControls: &s3types.OwnershipControls{
		Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerPreferred}}}})
	require.NoError(t, err)
	own := s3types.Grant{Grantee: &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: sdkaws.String(vgwRoot)}, Permission: s3types.PermissionFullControl}
	_, err = g.s.S3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &name, AccessControlPolicy: &s3types.AccessControlPolicy{
		Owner: &s3types.Owner{ID: sdkaws.String(vgwRoot)}, Grants: append([]s3types.Grant{own}, grants...)}})
	require.NoError(t, err)
}

func userGrant(id string, perm s3types.Permission) s3types.Grant {
	return s3types.Grant{Grantee: &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: sdkaws.String(id)}, Permission: perm}
}

// canWrite reports whether a client may put an object in a bucket.
func canWrite(t *testing.T, c *s3.Client, bucket string) bool {
	t.Helper()
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: sdkaws.String("probe.txt"), Body: strings.NewReader("x")})
	if err != nil {
		require.Equal(t, "AccessDenied", errorCode(err), "%v", err)
		return false
	}
	return true
}

func TestResetBucketACLOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	ctx := context.Background()
	e := newChangeEnv(t, g.s, false)
	other := g.user(t, "partner", 1)[0]
	partner, _ := g.as(other)

	t.Run("a bucket whose ACLs are disabled is refused and left alone", func(t *testing.T) {
		g.bucket(t, "enforced", "", nil)
		_, err := e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.reset-bucket-acl", Params: map[string]string{"bucket": "enforced"}})
		require.ErrorIs(t, err, app.ErrNoChange)
		assert.Contains(t, err.Error(), "BucketOwnerEnforced: ACLs are disabled and already grant nothing")
	})

	t.Run("a grant to another user goes, and undo gives it back", func(t *testing.T) {
		const bucket = "shared-acl"
		aclBucketOn(t, g, bucket, userGrant(other[0], s3types.PermissionWrite), userGrant(other[0], s3types.PermissionRead))
		require.True(t, canWrite(t, partner, bucket), "the grant lets the partner write")

		p := e.plan(t, "s3.reset-bucket-acl", map[string]string{"bucket": bucket})
		assert.True(t, p.Broad)
		assert.Equal(t, bucket, p.ConfirmWord)
		assert.True(t, p.Reversible)
		require.Len(t, p.Steps, 1)
		st := p.Steps[0]
		assert.Equal(t, "PutBucketAcl", st.Call)
		assert.Equal(t, "PutBucketAcl", st.UndoCall)
		assert.JSONEq(t, `{"Grants":[{"Grantee":{"Type":"CanonicalUser","ID":"vgwroot"},"Permission":"FULL_CONTROL"}],"Owner":{"ID":"vgwroot"}}`, string(st.After))
		assert.Contains(t, string(st.Before), other[0])
		assert.Equal(t, `aws s3api put-bucket-acl --bucket shared-acl --access-control-policy '`+string(st.After)+`' --region us-east-1`, st.CLI)
		assert.Equal(t, `aws s3api put-bucket-acl --bucket shared-acl --access-control-policy '`+string(st.Before)+`' --region us-east-1`, st.UndoCLI)
		impact := strings.Join(p.Impact, " ")
		assert.Contains(t, impact, "the account with canonical id "+other[0]+" can no longer create objects in the bucket")
		assert.Contains(t, impact, "the account with canonical id "+other[0]+" can no longer list the bucket's objects")
		assert.Contains(t, impact, "does not cover the objects")
		assert.Contains(t, p.UndoNote, "BlockPublicAcls")

		run := e.apply(t, p)
		assert.NotEmpty(t, run.Evidence, "the ACL before is kept as evidence")
		assert.False(t, canWrite(t, partner, bucket), "without the grant the partner is refused")
		_, err := e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.reset-bucket-acl", Params: map[string]string{"bucket": bucket}})
		require.ErrorIs(t, err, app.ErrNoChange, "a private ACL needs no reset")

		e.undo(t, p)
		assert.True(t, canWrite(t, partner, bucket), "undo gives the grant back")
		tl := e.timelineText(t)
		assert.Contains(t, tl, "AWS CLI equivalent: "+st.CLI)
		assert.Contains(t, tl, "AWS CLI equivalent: "+st.UndoCLI)
	})

	t.Run("a public-read bucket stops answering anonymous listings", func(t *testing.T) {
		const bucket = "public-acl"
		aclBucketOn(t, g, bucket)
		_, err := g.s.S3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: sdkaws.String(bucket), ACL: s3types.BucketCannedACLPublicRead})
		require.NoError(t, err)
		code, _ := anonymous(t, g.s3URL+"/"+bucket)
		require.Equal(t, 200, code, "public-read lets anyone list")

		p := e.plan(t, "s3.reset-bucket-acl", map[string]string{"bucket": bucket})
		assert.Contains(t, strings.Join(p.Impact, " "), "group all-users can no longer list the bucket's objects (READ)")
		e.apply(t, p)
		code, _ = anonymous(t, g.s3URL+"/"+bucket)
		assert.Equal(t, 403, code, "after the reset anyone is refused")
	})

	t.Run("the printed commands work", func(t *testing.T) {
		const bucket = "by-hand-acl"
		aclBucketOn(t, g, bucket, userGrant(other[0], s3types.PermissionWrite))
		p := e.plan(t, "s3.reset-bucket-acl", map[string]string{"bucket": bucket})
		read := func() json.RawMessage {
			st, err := NewChanger(g.s, false).ReadState(ctx, changeplan.BucketACLResource(bucket))
			require.NoError(t, err)
			return st
		}
		awsCLI(t, p.CLI[0], g.s3URL, vgwRoot, vgwRootSecret)
		assert.JSONEq(t, string(p.Steps[0].After), string(read()))
		assert.False(t, canWrite(t, partner, bucket))
		awsCLI(t, p.Steps[0].UndoCLI, g.s3URL, vgwRoot, vgwRootSecret)
		assert.JSONEq(t, string(p.Steps[0].Before), string(read()))
		assert.True(t, canWrite(t, partner, bucket))
	})
}
