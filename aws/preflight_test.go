package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

func TestPreflight(t *testing.T) {
	c, k, _ := cloudAccount(t)
	ctx := context.Background()
	k.bucket(t, "pf", publicReadPolicy("BUCKET"), nil)
	k.control.deny = true

	checks, err := c.Preflight(ctx, k.name("pf"))
	require.NoError(t, err)
	byPerm := map[string]app.PermissionCheck{}
	for _, pc := range checks {
		byPerm[pc.Permission] = pc
	}
	require.Len(t, checks, 4+1+len(SnapshotNames()), "account reads (with the access points), location, and every snapshot read")
	denied := byPerm["s3:GetAccountPublicAccessBlock"]
	assert.False(t, denied.OK)
	assert.Equal(t, "refused: without s3:GetAccountPublicAccessBlock S3 Responder cannot read the account's Block Public Access, part of every exposure verdict.", denied.Problem)
	for _, perm := range []string{"s3:ListAllMyBuckets", "cloudtrail:LookupEvents", "s3:ListAccessPoints", "s3:GetBucketLocation", "s3:GetBucketPolicy",
		"s3:GetBucketPolicyStatus", "s3:GetBucketAcl", "s3:GetBucketPublicAccessBlock", "s3:GetBucketOwnershipControls",
		"s3:GetEncryptionConfiguration", "s3:GetReplicationConfiguration", "s3:GetBucketWebsite"} {
		pc, ok := byPerm[perm]
		require.True(t, ok, perm)
		assert.True(t, pc.OK, "%s: %s", perm, pc.Problem)
		assert.NotEmpty(t, pc.Purpose)
	}
	assert.Contains(t, byPerm["s3:GetBucketAcl"].Purpose, "judge the exposure of bucket "+k.name("pf"))
	assert.Contains(t, byPerm["s3:GetBucketWebsite"].Purpose, "snapshot the website of bucket")

	t.Run("without a bucket only the account reads", func(t *testing.T) {
		checks, err := c.Preflight(ctx, "")
		require.NoError(t, err)
		assert.Len(t, checks, 4)
	})
	t.Run("a refusing server", func(t *testing.T) {
		srv := newS3ErrorServer(t, map[string][2]string{"acl": {"AccessDenied", "403"}, "website": {"NotImplemented", "501"}})
		c := NewCloud(connectTo(t, srv.URL))
		c.id = &Identity{Account: "123456789012"}
		checks, err := c.Preflight(ctx, "b")
		require.NoError(t, err)
		var bad []string
		for _, pc := range checks {
			if !pc.OK {
				bad = append(bad, pc.Permission+": "+pc.Problem)
			}
		}
		joined := strings.Join(bad, "\n")
		assert.Contains(t, joined, "s3:GetBucketAcl: refused: without s3:GetBucketAcl S3 Responder cannot judge the exposure of bucket b (acl).")
		assert.Contains(t, joined, "s3:GetBucketWebsite: this server does not support it")
	})
}
