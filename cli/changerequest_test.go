package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRequestForAction checks a public bucket on kumo into an incident,
// writes the request for its owner as Markdown and PDF, and runs the
// commands it asks for with the AWS CLI: against the same kumo, except the
// bucket ACL and Object Ownership ones, which kumo does not implement and
// versitygw does (on a bucket of the same name there).
func TestRequestForAction(t *testing.T) {
	e := newActEnv(t)
	ctx := context.Background()
	bucket := fmt.Sprintf("partner-%d", time.Now().UnixNano()%1e9)
	_, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	require.NoError(t, err)
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"AnyoneRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"},` +
		`{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
	_, err = e.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: sdkaws.String(policy)})
	require.NoError(t, err)
	id := e.newIncident()
	e.must("exposure", id, bucket)

	dir := t.TempDir()
	md := filepath.Join(dir, "request.md")
	d := e.deps
	d.db = e.db
	e.out.Reset()
	require.Equal(t, exitOK, runRequest(ctx, []string{id, "--bucket", bucket, "--out", md}, d), e.errb.String())
	assert.Regexp(t, `^Wrote .*request.md \(\d+ bytes, sha256 [0-9a-f]{64}\): \d request\(s\) to the owner of bucket `+bucket+`, 1 finding\(s\), \d+ evidence item\(s\) cited. Kept as evidence EV-`, e.out.String())
	data, err := os.ReadFile(md)
	require.NoError(t, err)
	text := string(data)
	assert.Contains(t, text, "# Request for action: bucket "+bucket)
	assert.Contains(t, text, "rated it: Public.")
	assert.Contains(t, text, "statement 0 (Sid AnyoneRead)")
	assert.Contains(t, text, "statement 1 (Sid Partner)")
	assert.Contains(t, text, "### 1. Remove the public and cross-account statements from the bucket policy")
	assert.Contains(t, text, "aws s3api put-public-access-block --bucket "+bucket+" --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true")

	pdf := filepath.Join(dir, "request.pdf")
	require.Equal(t, exitOK, runRequest(ctx, []string{id, "--bucket", bucket, "--out", pdf}, d), e.errb.String())
	raw, err := exec.Command("pdftotext", pdf, "-").Output()
	require.NoError(t, err)
	assert.Contains(t, string(raw), "Request for action: bucket "+bucket)
	assert.Contains(t, string(raw), "What to send back")
	timeline := e.must("timeline", id)
	assert.Equal(t, 2, strings.Count(timeline, "Request for action drafted for the owner of bucket "+bucket))

	// Every command of the request runs unchanged with the AWS CLI
	// (the step that edits policy.json by hand is left out).
	var cmds []string
	block := regexp.MustCompile("(?s)```sh\n(.*?)```")
	for _, m := range block.FindAllStringSubmatch(text, -1) {
		for _, l := range strings.Split(strings.TrimSpace(m[1]), "\n") {
			if strings.HasPrefix(l, "aws ") {
				cmds = append(cmds, l)
			}
		}
	}
	require.GreaterOrEqual(t, len(cmds), 8)
	vgwAddr := listenAddr(t)
	runUntilListening(t, vgwAddr, versityGW(t), "--access", "vgwtest", "--secret", "vgwtest-secret", "--port", vgwAddr, "--quiet", "posix", t.TempDir())
	home := t.TempDir()
	aws := func(c, endpoint, access, secret string) {
		cmd := exec.Command("bash", "-c", "set -euo pipefail; aws() { /usr/bin/aws --endpoint-url \"$EP\" \"$@\"; }; "+c)
		cmd.Dir = home
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "EP=" + endpoint, "AWS_ACCESS_KEY_ID=" + access, "AWS_SECRET_ACCESS_KEY=" + secret,
			"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"), "AWS_PAGER="}
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "%s\n%s", c, out)
	}
	aws("aws s3api create-bucket --bucket "+bucket, "http://"+vgwAddr, "vgwtest", "vgwtest-secret")
	for _, c := range cmds {
		if strings.Contains(c, "bucket-acl ") || strings.Contains(c, "ownership-controls ") {
			aws(c, "http://"+vgwAddr, "vgwtest", "vgwtest-secret")
			continue
		}
		aws(c, os.Getenv("AWS_ENDPOINT_URL"), "AKIAEXAMPLEKEY000001", "x")
	}
	got, err := e.s3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &bucket})
	require.NoError(t, err)
	assert.True(t, sdkaws.ToBool(got.PublicAccessBlockConfiguration.RestrictPublicBuckets), "the owner's commands took effect")
}
