package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
	"s3responder/aws"
	"s3responder/store"
)

// actEnv runs the act commands on a real database with the built-in
// playbook, connected through aws.WithChanges to kumo (which stores a
// bucket's Block Public Access) on loopback.
type actEnv struct {
	*testEnv
	s3 *s3.Client
}

func newActEnv(t *testing.T) *actEnv {
	t.Helper()
	isolateAWS(t, defaultConfig)
	srv := kumoServer()
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	e := &actEnv{testEnv: newEnv(t)}
	pb, err := app.ParsePlaybook("playbook.yaml", assets.Playbook)
	require.NoError(t, err)
	client := loopbackOnly(t)
	e.deps.Builtin = pb
	e.deps.OpenService = func(path string) (*app.Service, func() error, error) {
		db, err := store.Open(path)
		if err != nil {
			return nil, nil, err
		}
		svc := app.NewService(db, pb, "tester")
		svc.SetConnector(aws.WithChanges(aws.Connector(aws.Options{HTTPClient: client})))
		return svc, db.Close, nil
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithHTTPClient(client))
	require.NoError(t, err)
	e.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	return e
}

// act runs `s3responder act ARGS` on the env's database. The top-level
// dispatch of "act" is main's wiring; the command itself is tested here.
func (e *actEnv) act(args ...string) (int, string, string) {
	e.t.Helper()
	e.out.Reset()
	e.errb.Reset()
	d := e.deps
	d.db = e.db
	code := runAct(context.Background(), args, d)
	return code, e.out.String(), e.errb.String()
}

func (e *actEnv) mustAct(args ...string) string {
	e.t.Helper()
	code, out, errOut := e.act(args...)
	require.Equal(e.t, 0, code, "act %v\nstdout: %s\nstderr: %s", args, out, errOut)
	return out
}

func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

func (e *actEnv) bpa(bucket string) string {
	e.t.Helper()
	out, err := e.s3.GetPublicAccessBlock(context.Background(), &s3.GetPublicAccessBlockInput{Bucket: &bucket})
	if err != nil {
		return "none"
	}
	c := out.PublicAccessBlockConfiguration
	return fmt.Sprintf("%t %t %t %t", sdkaws.ToBool(c.BlockPublicAcls), sdkaws.ToBool(c.IgnorePublicAcls), sdkaws.ToBool(c.BlockPublicPolicy), sdkaws.ToBool(c.RestrictPublicBuckets))
}

func TestActList(t *testing.T) {
	e := newActEnv(t)
	var views []actionView
	require.NoError(t, json.Unmarshal([]byte(e.mustAct("list", "--json")), &views))
	byName := map[string]actionView{}
	for _, v := range views {
		byName[v.Name] = v
		assert.NotEmpty(t, v.Title, v.Name)
		assert.NotNil(t, v.Params, v.Name)
	}
	bpa := byName["s3.block-public-access.bucket"]
	assert.True(t, bpa.Mutating)
	assert.True(t, bpa.Available)
	assert.Equal(t, 2, bpa.Part, "a containment action")
	require.Len(t, bpa.Params, 1)
	assert.Equal(t, app.ParamSpec{Name: "bucket", Help: "bucket name", Required: true}, bpa.Params[0])
	for _, a := range app.ChangeActions() {
		assert.True(t, byName[a.ID].Available, a.ID)
	}
	assert.False(t, byName["s3.exposure.check"].Mutating)
	for _, v := range views {
		assert.False(t, v.Mutating && !v.Available, "every change of the playbook is carried out by this build: %s", v.Name)
	}

	out := e.mustAct("list")
	assert.Contains(t, out, "iam.deactivate-access-key")
	assert.Contains(t, out, "--accessKeyId  the key (AKIA...)")
	assert.Contains(t, out, "ec2.require-imdsv2")
	assert.NotContains(t, out, "(not in this build yet)")
	assert.Contains(t, out, "s3.replica-restore")
}

func TestActPlanApplyJournalUndo(t *testing.T) {
	e := newActEnv(t)
	ctx := context.Background()
	bucket := fmt.Sprintf("act-%d", time.Now().UnixNano()%1e9)
	_, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	require.NoError(t, err)
	id := e.newIncident()

	out := e.mustAct("plan", id, "s3.block-public-access.bucket", "--bucket", bucket)
	change := lastLine(out)
	require.Regexp(t, `^CHG-\d{8}T\d{6}-[0-9A-Z]{4}$`, change)
	assert.Contains(t, out, "Change "+change+" (planned, nothing sent): Block all public access to bucket "+bucket)
	assert.Contains(t, out, "What changes (- now, + after):\n=== Block Public Access of bucket "+bucket+" (PutPublicAccessBlock)\n- (not set)\n+ {\n")
	assert.Contains(t, out, "What it will break:\n  - Every object of "+bucket)
	assert.Contains(t, out, "The same with the AWS CLI:\n  aws s3api put-public-access-block --bucket "+bucket)
	assert.Contains(t, out, "To apply: s3responder act apply "+id+" "+change+" --confirm "+bucket)
	assert.Equal(t, "none", e.bpa(bucket), "a plan sends nothing")

	code, _, errOut := e.act("apply", id, change, "--yes")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, `not confirmed: type "`+bucket+`"`)
	code, _, errOut = e.act("apply", id, change)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "confirm the change with --confirm WORD")
	assert.Equal(t, "none", e.bpa(bucket))

	out = e.mustAct("apply", id, change, "--confirm", bucket)
	assert.Equal(t, change, lastLine(out))
	assert.Contains(t, out, change+" done: Block all public access to bucket "+bucket+" (1 of 1 steps applied), verified")
	assert.Equal(t, "true true true true", e.bpa(bucket))

	out = e.mustAct("journal", id)
	assert.Contains(t, out, "step 1 applied     PutPublicAccessBlock on Block Public Access of bucket "+bucket)
	assert.Contains(t, out, "state before the change: evidence EV-")
	var runs []app.ChangeRun
	require.NoError(t, json.Unmarshal([]byte(e.mustAct("journal", id, "--json")), &runs))
	require.Len(t, runs, 1)
	assert.Equal(t, app.ChangeDone, runs[0].Status)
	assert.True(t, runs[0].Verified)
	assert.Contains(t, e.mustAct("resume", id), "Nothing to resume")

	code, out, errOut = e.act("undo", id, change)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "aws s3api delete-public-access-block --bucket "+bucket)
	assert.Contains(t, errOut, "not undone: confirm with s3responder act undo "+id+" "+change+" --confirm "+bucket)
	assert.Equal(t, "true true true true", e.bpa(bucket))
	out = e.mustAct("undo", id, change, "--confirm", bucket)
	undo := lastLine(out)
	assert.NotEqual(t, change, undo)
	assert.Equal(t, "none", e.bpa(bucket))
	out = e.mustAct("journal", id)
	assert.Contains(t, out, change+" done: Block all public access to bucket "+bucket+" (1 of 1 steps applied), verified, undone by "+undo)

	timeline := e.must("timeline", id)
	assert.Contains(t, timeline, "AWS CLI equivalent: aws s3api put-public-access-block --bucket "+bucket)
	assert.Contains(t, timeline, "AWS CLI equivalent: aws s3api delete-public-access-block --bucket "+bucket)
	e.must("verify", id)
}

func TestActDirect(t *testing.T) {
	e := newActEnv(t)
	ctx := context.Background()
	bucket := fmt.Sprintf("direct-%d", time.Now().UnixNano()%1e9)
	_, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	require.NoError(t, err)
	id := e.newIncident()

	for _, tc := range []struct {
		args []string
		text string
	}{
		{[]string{"s3.block-public-access.bucket", "--param", "bucket=" + bucket}, "name the incident with --incident ID"},
		{[]string{"s3.block-public-access.bucket", "--incident", id, "--param", "bucket=" + bucket}, "say --dry-run to see the plan"},
		{[]string{"s3.block-public-access.bucket", "--incident", id, "--dry-run", "--yes"}, "--dry-run plans only"},
		{[]string{"s3.block-public-access.bucket", "--incident", id, "--param", "bucket", "--dry-run"}, `--param "bucket": write KEY=VALUE`},
	} {
		code, _, errOut := e.act(tc.args...)
		assert.Equal(t, exitUsage, code, "%v", tc.args)
		assert.Contains(t, errOut, tc.text)
	}
	code, _, errOut := e.act("s3.block-public-access.bucket", "--incident", id, "--dry-run")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "needs the parameter bucket")

	var plan app.Plan
	require.NoError(t, json.Unmarshal([]byte(e.mustAct("s3.block-public-access.bucket", "--incident", id, "--param", "bucket="+bucket, "--dry-run", "--json")), &plan))
	assert.Equal(t, bucket, plan.ConfirmWord)
	assert.Equal(t, "none", e.bpa(bucket))

	code, out, errOut := e.act("s3.block-public-access.bucket", "--incident", id, "--bucket", bucket, "--yes")
	assert.Equal(t, exitFail, code, "a broad change needs its name typed: %s", out)
	assert.Contains(t, errOut, `type "`+bucket+`"`)
	assert.Equal(t, "none", e.bpa(bucket))

	out = e.mustAct("s3.block-public-access.bucket", "--incident", id, "--bucket", bucket, "--confirm", bucket)
	change := lastLine(out)
	assert.Regexp(t, `^CHG-`, change)
	assert.Contains(t, out, "To apply:", "the plan is shown before it is applied")
	assert.Contains(t, out, change+" done:")
	assert.Equal(t, "true true true true", e.bpa(bucket))
}
