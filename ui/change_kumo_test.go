package ui

import (
	"context"
	"errors"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/aws"
)

// TestChangesOnKumo drives the pane through the real AWS connection, as
// main wires it (aws.WithChanges over aws.Connector), against kumo in
// process: Block Public Access on a public bucket, planned, confirmed with
// the bucket's name, applied, then undone, each read back from S3.
func TestChangesOnKumo(t *testing.T) {
	f := newAWSFixture(t, false)
	h, ws := f.h, f.ws
	client := awsLoopback(t)
	connect := aws.WithChanges(aws.Connector(aws.Options{HTTPClient: client}))
	h.svc.SetConnector(connect)
	p := paneOf[*changesPane](t, ws)
	cf := &changeUI{t: t, h: h, ws: ws, p: p, id: ws.id}
	cf.selectTab("Changes")

	ctx := context.Background()
	lc, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(client))
	require.NoError(t, err)
	admin := s3.NewFromConfig(lc, func(o *s3.Options) { o.UsePathStyle = true })
	bpa := func() (*s3.GetPublicAccessBlockOutput, string) {
		out, err := admin.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &f.bucket})
		var api smithy.APIError
		if errors.As(err, &api) {
			return nil, api.ErrorCode()
		}
		require.NoError(t, err)
		return out, ""
	}
	_, code := bpa()
	require.Equal(t, "NoSuchPublicAccessBlockConfiguration", code)

	p.openAction("s3.block-public-access.bucket")
	require.Equal(t, f.bucket, p.param("bucket").Text, "the incident's bucket is filled in")
	before := f.proxy.requests.Load()
	test.Tap(p.planBtn)
	cf.idle("plan")
	d := p.detail
	h.eventually(func() bool { return d.run != nil }, "the plan is not shown: %q", p.status.Text)
	plan := d.run.Plan
	assert.True(t, plan.Simulated, "kumo is a simulated account")
	assert.Contains(t, diffText(d.diff), "- (not set)\n+ {\n+   \"BlockPublicAcls\": true,")
	assert.Contains(t, d.cli.Text, "aws s3api put-public-access-block --bucket "+f.bucket+" --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true")
	assert.Greater(t, f.proxy.requests.Load(), before, "the plan read the bucket")
	_, code = bpa()
	assert.Equal(t, "NoSuchPublicAccessBlockConfiguration", code, "planning changed nothing")

	cf.confirmWith(f.bucket)
	require.Contains(t, p.status.Text, "applied and verified", p.status.Text)
	out, code := bpa()
	require.Empty(t, code)
	cfg := out.PublicAccessBlockConfiguration
	assert.True(t, *cfg.BlockPublicAcls && *cfg.IgnorePublicAcls && *cfg.BlockPublicPolicy && *cfg.RestrictPublicBuckets)

	h.eventually(func() bool { return !d.undoBt.Disabled() }, "Undo is not offered")
	test.Tap(d.undoBt)
	cf.idle("plan undo")
	h.eventually(func() bool { return d.run != nil && d.run.Plan.UndoOf == plan.ID }, "the undo is not shown: %q", p.status.Text)
	assert.Contains(t, d.cli.Text, "aws s3api delete-public-access-block --bucket "+f.bucket)
	cf.confirmWith(f.bucket)
	require.Contains(t, p.status.Text, "applied and verified", p.status.Text)
	_, code = bpa()
	assert.Equal(t, "NoSuchPublicAccessBlockConfiguration", code, "undo removed the setting it added")
}
