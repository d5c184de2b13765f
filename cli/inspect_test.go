package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inspect runs `s3responder inspect ARGS` on the env's database (the
// top-level dispatch is cli.go's; the command is tested here).
func (e *actEnv) inspect(args ...string) (int, string, string) {
	e.t.Helper()
	e.out.Reset()
	e.errb.Reset()
	d := e.deps
	d.db = e.db
	code := runInspect(context.Background(), args, d)
	return code, e.out.String(), e.errb.String()
}

const publicPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"]}]}`

func TestInspectPolicyFileOffline(t *testing.T) {
	e := newActEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "policy.json")
	require.NoError(t, os.WriteFile(file, []byte(strings.ReplaceAll(publicPolicy, "BUCKET", "shared-docs")), 0o600))

	code, out, errOut := e.inspect("s3.policy-review", "--policy-file", file, "--account", "111122223333")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Least-privilege review of the policy of bucket shared-docs (s3.policy-review)\n1 statement(s) reviewed: 2 high, 2 medium and 0 low finding(s).")
	assert.Contains(t, out, `  [high] statement 1 (Sid "PublicRead"): Wildcard principal`)
	assert.Contains(t, out, `          "AWS": "arn:aws:iam::111122223333:role/ROLE-THAT-NEEDS-ACCESS"`)
	assert.Contains(t, out, `  [medium] the policy: No statement denies requests made without TLS`)
	assert.Contains(t, out, "  aws s3api get-bucket-policy --bucket shared-docs --query Policy --output text\n")
	assert.NotContains(t, out, "Saved", "without an incident nothing is kept")

	// The AWS CLI's own output, from standard input, as JSON.
	wrapped, err := json.Marshal(map[string]string{"Policy": strings.ReplaceAll(publicPolicy, "BUCKET", "shared-docs")})
	require.NoError(t, err)
	e.deps.Stdin = strings.NewReader(string(wrapped))
	code, out, errOut = e.inspect("s3.policy-review", "--policy-file", "-", "--json")
	require.Equal(t, exitOK, code, errOut)
	var v struct {
		Action   string `json:"action"`
		Offline  bool   `json:"offline"`
		Findings []struct {
			Severity string `json:"severity"`
			Fix      string `json:"fix"`
		} `json:"findings"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	assert.Equal(t, "s3.policy-review", v.Action)
	assert.True(t, v.Offline)
	require.Len(t, v.Findings, 4)

	// Kept with an incident: the file and the review become evidence.
	id := e.newIncident()
	code, out, errOut = e.inspect("s3.policy-review", "--policy-file", file, "--incident", id)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Saved 2 evidence items to "+id+", collected by tester:")
	evidence := e.must("evidence", id, "list")
	assert.Contains(t, evidence, "Bucket policy reviewed ("+file+")")
	assert.Contains(t, e.must("timeline", id), `Statement 1 (Sid "PublicRead") (high, s3.policy-review): Wildcard action "s3:*"`)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"Statement":[{"Effect":"Allow",}]}`), 0o600))
	code, _, errOut = e.inspect("s3.policy-review", "--policy-file", bad)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "line 1")
	code, _, _ = e.inspect("s3.object-lock-status", "--policy-file", file)
	assert.Equal(t, exitUsage, code)
	code, _, _ = e.inspect("s3.policy-review", "--bucket", "x")
	assert.Equal(t, exitUsage, code, "online needs an incident")
}

func TestInspectOnKumo(t *testing.T) {
	e := newActEnv(t)
	ctx := context.Background()
	bucket := fmt.Sprintf("inspect-%d", time.Now().UnixNano()%1e9)
	_, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	require.NoError(t, err)
	_, err = e.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: sdkaws.String(strings.ReplaceAll(publicPolicy, "BUCKET", bucket))})
	require.NoError(t, err)
	id := e.newIncident()

	code, out, errOut := e.inspect("s3.policy-review", "--incident", id, "--bucket", bucket)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "2 high, 2 medium")
	assert.Contains(t, out, "Saved 2 evidence items to "+id)
	assert.Contains(t, out, "aws s3api get-bucket-policy --bucket "+bucket+" --query Policy --output text --region us-east-1")

	code, out, errOut = e.inspect("s3.mfa-delete-guide", "--incident", id, "--param", "bucket="+bucket)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, `aws s3api put-bucket-versioning --bucket `+bucket+` --versioning-configuration Status=Enabled,MFADelete=Enabled --mfa "SERIAL TOKEN"`)
	ver, err := e.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket})
	require.NoError(t, err)
	assert.Empty(t, ver.Status, "the guide sends nothing")

	code, _, errOut = e.inspect("s3.versioning", "--incident", id, "--bucket", bucket)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "changes the account: plan it as a change")

	code, out, _ = e.inspect("list", "--json")
	require.Equal(t, exitOK, code)
	var list []struct {
		Name   string `json:"name"`
		Title  string `json:"title"`
		Params []struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list, 6)
	assert.Equal(t, "ec2.find-role-instances", list[0].Name)
	assert.Equal(t, "Find instances that carry a role", list[0].Title)
	assert.Equal(t, "roleName", list[0].Params[0].Name)
}

// TestActEradicateOnKumo shows the Part 3 changes through `act` as any
// other: listed with their parameters, planned, applied with the bucket's
// name typed, undone.
func TestActEradicateOnKumo(t *testing.T) {
	e := newActEnv(t)
	ctx := context.Background()
	bucket := fmt.Sprintf("erad-%d", time.Now().UnixNano()%1e9)
	_, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	require.NoError(t, err)
	id := e.newIncident()

	var views []actionView
	require.NoError(t, json.Unmarshal([]byte(e.mustAct("list", "--json")), &views))
	avail := map[string]actionView{}
	for _, v := range views {
		avail[v.Name] = v
	}
	for _, name := range []string{"ec2.require-imdsv2", "ec2.delete-key-pair", "s3.default-encryption", "s3.versioning"} {
		assert.True(t, avail[name].Available, name)
		assert.Contains(t, avail[name].Parts, 3, name)
	}
	assert.Equal(t, "keyName", avail["ec2.delete-key-pair"].Params[0].Name)

	const key = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	out := e.mustAct("s3.default-encryption", "--incident", id, "--bucket", bucket, "--param", "kmsMasterKeyId="+key, "--dry-run")
	assert.Contains(t, out, "aws s3api put-bucket-encryption --bucket "+bucket)
	assert.Contains(t, out, "To apply: s3responder act apply "+id+" ")
	code, _, _ := e.act("s3.default-encryption", "--incident", id, "--bucket", bucket, "--param", "kmsMasterKeyId="+key, "--yes")
	assert.NotEqual(t, exitOK, code, "a whole bucket needs its name, not --yes")
	out = e.mustAct("s3.default-encryption", "--incident", id, "--bucket", bucket, "--param", "kmsMasterKeyId="+key, "--confirm", bucket)
	change := lastLine(out)
	enc, err := e.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &bucket})
	require.NoError(t, err)
	assert.Equal(t, types.ServerSideEncryptionAwsKms, enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm)
	e.mustAct("undo", id, change, "--confirm", bucket)
	_, err = e.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &bucket})
	require.Error(t, err, "undo removed the setting it added")

	out = e.mustAct("s3.versioning", "--incident", id, "--bucket", bucket, "--confirm", bucket)
	change = lastLine(out)
	assert.Contains(t, out, `Versioning can never return to "never enabled"`)
	e.mustAct("undo", id, change, "--confirm", bucket)
	ver, err := e.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket})
	require.NoError(t, err)
	assert.Equal(t, types.BucketVersioningStatusSuspended, ver.Status)
	assert.Contains(t, e.mustAct("journal", id), "verified")
}
