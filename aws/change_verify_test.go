package aws

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// TestVerifyContainmentOnVersityGW re-checks a bucket's exposure after the
// change that removed its public statement, on versitygw, which enforces
// the policy: the verdict turns to "not public" exactly when an anonymous
// GET stops working.
func TestVerifyContainmentOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	ctx := context.Background()
	g.bucket(t, "leaky", publicReadPolicy("leaky"), map[string]string{"a.csv": "x"})
	code, _ := anonymous(t, g.s3URL+"/leaky/a.csv")
	require.Equal(t, http.StatusOK, code)
	e := newChangeEnv(t, g.s, false)

	before, err := e.svc.VerifyContainment(ctx, e.inc, app.Profile{}, "", "leaky")
	require.NoError(t, err)
	assert.False(t, before.NotPublic)
	assert.Contains(t, before.Summary, "Containment check: bucket leaky is STILL PUBLIC (Public).")

	p := e.plan(t, "s3.remove-policy-statements", map[string]string{"bucket": "leaky"})
	_, err = e.svc.VerifyContainment(ctx, e.inc, app.Profile{}, p.ID, "")
	require.ErrorIs(t, err, app.ErrInvalid, "a plan never applied has nothing to verify")
	e.apply(t, p)
	code, _ = anonymous(t, g.s3URL+"/leaky/a.csv")
	require.Equal(t, http.StatusForbidden, code)

	after, err := e.svc.VerifyContainment(ctx, e.inc, app.Profile{}, p.ID, "")
	require.NoError(t, err)
	assert.Equal(t, "leaky", after.Bucket, "the change's own bucket")
	assert.True(t, after.NotPublic)
	assert.False(t, after.Report.Public)
	assert.Contains(t, after.Summary, "Containment check after change "+p.ID+" (Remove 1 statement(s) from the policy of bucket leaky, done): bucket leaky is not public (")
	tl := e.timelineText(t)
	assert.Contains(t, tl, "action: "+after.Summary)
	assert.Contains(t, tl, "finding: Exposure of bucket leaky", "the exposure check itself is kept as usual")

	key := e.plan(t, "iam.deactivate-access-key", map[string]string{"userName": "someone", "accessKeyId": g.user(t, "someone", 1)[0][0]})
	e.apply(t, key)
	_, err = e.svc.VerifyContainment(ctx, e.inc, app.Profile{}, key.ID, "")
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "names no bucket")
}
