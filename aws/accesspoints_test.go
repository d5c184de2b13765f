package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/exposure"
)

// A bucket on kumo whose policy delegates to the account's access points,
// with the access points served by the S3 Control wire fake (no local
// server has access points): the verdict follows the access point.
func TestAPublicAccessPointTheBucketDelegatesToMakesTheBucketPublic(t *testing.T) {
	k := newKumoAccount(t)
	delegate := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"],"Condition":{"StringEquals":{"s3:DataAccessPointAccount":"` + k.id.Account + `"}}}]}`
	k.bucket(t, "delegating", delegate, nil)
	bucket := k.name("delegating")
	apPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:us-east-1:` + k.id.Account + `:accesspoint/open-door/object/*"}]}`
	k.control.mu.Lock()
	k.control.points = map[string][]fakeAccessPoint{bucket: {
		{name: "open-door", origin: "Internet", policy: apPolicy, public: true},
		{name: "analysts", origin: "VPC", bpa: [4]bool{true, true, true, true}},
	}}
	k.control.mu.Unlock()

	x := k.checker()
	x.AccessPoints = k.s.Control
	be, err := x.CheckBucket(context.Background(), bucket)
	require.NoError(t, err)
	assert.Empty(t, be.Problems)
	assert.Equal(t, exposure.AccessPublic, be.Access)
	require.Len(t, be.AccessPoints, 2)
	assert.True(t, be.AccessPoints[0].Public, "open-door")
	assert.True(t, be.AccessPoints[0].Delegated)
	assert.False(t, be.AccessPoints[1].Public, "a VPC access point with Block Public Access on")
	reasons := strings.Join(be.Reasons, "\n")
	assert.Contains(t, reasons, `access point "open-door" has a public policy that the bucket policy delegates to`)
	names := map[string]Item{}
	for _, it := range be.Items {
		names[it.Name] = it
	}
	for _, n := range []string{"access-points", "access-point-open-door", "access-point-open-door-policy", "access-point-open-door-policy-status", "access-point-analysts-policy"} {
		require.Contains(t, names, n)
	}
	assert.Equal(t, StatusNotConfigured, names["access-point-analysts-policy"].Status, "no policy is not a failure")
	assert.Equal(t, "s3control:GetAccessPointPolicy", names["access-point-open-door-policy"].Source.API)
	assert.Contains(t, string(names["access-point-open-door-policy"].Data), "open-door/object")

	t.Run("the account's RestrictPublicBuckets closes the access point", func(t *testing.T) {
		k.control.set(false, false, false, true)
		be, err := k.checkerWithAccessPoints().CheckBucket(context.Background(), bucket)
		require.NoError(t, err)
		assert.False(t, be.Public)
		assert.False(t, be.AccessPoints[0].Public)
		assert.Contains(t, strings.Join(be.Reasons, "\n"), "RestrictPublicBuckets (account)")
	})
	t.Run("access points that cannot be listed are named in the verdict", func(t *testing.T) {
		k.control.set(false, false, false, false)
		k.control.mu.Lock()
		k.control.denyPoints = true
		k.control.mu.Unlock()
		be, err := k.checkerWithAccessPoints().CheckBucket(context.Background(), bucket)
		require.NoError(t, err)
		assert.Empty(t, be.AccessPoints)
		require.Len(t, be.Problems, 1)
		assert.Equal(t, KindDenied, be.Problems[0].Kind)
		assert.Contains(t, be.Problems[0].Message, "s3:ListAccessPoints")
		assert.Contains(t, strings.Join(be.Reasons, "\n"), "Could not read access points (AccessDenied)")
	})
}

func (k kumoAccount) checkerWithAccessPoints() *ExposureChecker {
	x := k.checker()
	x.AccessPoints = k.s.Control
	return x
}
