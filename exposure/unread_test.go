package exposure

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEveryReadDeniedGivesNoVerdict(t *testing.T) {
	res, err := Evaluate(Input{Bucket: "b", Unread: UnreadPolicy | UnreadACL | UnreadBucketBPA | UnreadAccountBPA | UnreadOwnership,
		Unknown: []string{"bucket policy (AccessDenied)", "bucket ACL (AccessDenied)"}})
	require.NoError(t, err)
	assert.Equal(t, AccessUnknown, res.Access)
	assert.False(t, res.Public)
	assert.True(t, res.Undetermined)
	all := strings.Join(res.Reasons, "\n")
	assert.NotContains(t, all, "There is no bucket policy")
	assert.NotContains(t, all, "Objects can be public")
	assert.NotContains(t, all, "every setting is off")
	assert.Contains(t, res.Reasons[0], "bucket policy")
	assert.Contains(t, res.Reasons[0], "not the same as having none")
	assert.Contains(t, all, "Could not read bucket policy (AccessDenied)")
}

func TestAPublicPolicyIsPublicWhateverElseWasDenied(t *testing.T) {
	// Known public policy, Block Public Access known to be off: public,
	// however the ACL reads ended.
	res, err := Evaluate(Input{Bucket: "b", Policy: publicPolicy, Unread: UnreadACL | UnreadOwnership,
		Unknown: []string{"bucket ACL (AccessDenied)"}})
	require.NoError(t, err)
	assert.Equal(t, AccessPublic, res.Access)
	assert.True(t, res.Public)
	assert.False(t, res.Undetermined)
}

func TestAPublicPolicyWithUnreadBlockPublicAccessIsUndetermined(t *testing.T) {
	// RestrictPublicBuckets may be on in the account setting nobody could read.
	res, err := Evaluate(Input{Bucket: "b", Policy: publicPolicy, Unread: UnreadAccountBPA})
	require.NoError(t, err)
	assert.Equal(t, AccessUnknown, res.Access)
	assert.Contains(t, res.Reasons[0], "account Block Public Access")
}

func TestAllFourSettingsOnAtAReadableLevelStillNeedThePolicyForALabel(t *testing.T) {
	on := &BlockPublicAccess{true, true, true, true}
	res, err := Evaluate(Input{Bucket: "b", AccountBPA: on, Unread: UnreadPolicy})
	require.NoError(t, err)
	assert.Equal(t, AccessUnknown, res.Access)
	assert.False(t, res.Public)
	assert.Contains(t, strings.Join(res.Reasons, "\n"), "all four settings are on")
}
