package aws

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
	"s3responder/changeplan"
	"s3responder/store"
)

// changeEnv is the whole change path on real parts: the app's use cases
// over a bbolt file, connected through WithChanges to a Session that talks
// to a local server.
type changeEnv struct {
	svc *app.Service
	db  *store.DB
	inc string
}

func newChangeEnv(t *testing.T, s *Session, exercise bool) *changeEnv {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "incidents.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	pb, err := app.ParsePlaybook("playbook.yaml", assets.Playbook)
	require.NoError(t, err)
	svc := app.NewService(db, pb, "responder")
	svc.SetConnector(WithChanges(func(context.Context, app.Profile) (app.Cloud, error) { return NewCloud(s), nil }))
	c, err := svc.Create(context.Background(), app.NewIncident{Title: "Exposed bucket", Exercise: exercise})
	require.NoError(t, err)
	return &changeEnv{svc: svc, db: db, inc: c.Incident.ID}
}

func (e *changeEnv) plan(t *testing.T, action string, params map[string]string) app.Plan {
	t.Helper()
	p, err := e.svc.PlanChange(context.Background(), e.inc, app.Profile{}, app.ChangeRequest{Action: action, Params: params})
	require.NoError(t, err)
	return p
}

func (e *changeEnv) apply(t *testing.T, p app.Plan) app.ChangeRun {
	t.Helper()
	run, err := e.svc.ApplyChange(context.Background(), e.inc, app.Profile{}, p.ID, p.ConfirmWord)
	require.NoError(t, err)
	require.Equal(t, app.ChangeDone, run.Status)
	require.True(t, run.Verified, "re-reading must show the change in place")
	return run
}

func (e *changeEnv) undo(t *testing.T, p app.Plan) app.ChangeRun {
	t.Helper()
	run, err := e.svc.UndoChange(context.Background(), e.inc, app.Profile{}, p.ID, p.ConfirmWord)
	require.NoError(t, err)
	require.True(t, run.Verified)
	return run
}

// timelineText is the incident's timeline, checked to verify.
func (e *changeEnv) timelineText(t *testing.T) string {
	t.Helper()
	_, err := e.svc.Verify(context.Background(), e.inc)
	require.NoError(t, err)
	entries, err := e.svc.Timeline(context.Background(), e.inc)
	require.NoError(t, err)
	var b strings.Builder
	for _, en := range entries {
		b.WriteString(string(en.Kind) + ": " + en.Text + "\n")
	}
	return b.String()
}

// awsCLI runs a command a plan printed, unchanged but for the endpoint, with
// the AWS CLI of the Debian package awscli (v2), in an environment that
// knows nothing but the given keys.
func awsCLI(t *testing.T, command, endpoint, access, secret string) string {
	t.Helper()
	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("%s is missing: install the Debian package awscli (scripts/deps.sh test)", cli)
	}
	require.True(t, strings.HasPrefix(command, "aws "), command)
	home := t.TempDir()
	cmd := exec.Command("sh", "-c", cli+strings.TrimPrefix(command, "aws")+" --endpoint-url "+endpoint)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "AWS_ACCESS_KEY_ID=" + access, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", command, out)
	return string(out)
}

func TestRevokePolicyIsTheDocumentedOne(t *testing.T) {
	got := RevokePolicy(time.Date(2026, 3, 14, 9, 30, 1, 0, time.FixedZone("CET", 3600)))
	assert.Equal(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-03-14T08:30:01Z"}}}]}`, string(got))
}

// recordingTransport answers every request itself, never touching the
// network, and notes where each would have gone.
type recordingTransport struct {
	mu    sync.Mutex
	hosts []string
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.hosts = append(r.hosts, req.Method+" "+req.URL.Host)
	r.mu.Unlock()
	return nil, errors.New("recording transport: nothing is sent from tests")
}

func (r *recordingTransport) sent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.hosts...)
}

// TestExerciseChangerNeverSendsToAWS builds changers on a session that
// resolves AWS's real endpoints, with a transport that records instead of
// sending: an exercise changer stops every mutating call before it reaches
// the transport; the same calls from a changer for a real incident do
// reach it, which shows that the guard, not chance, stopped them.
func TestExerciseChangerNeverSendsToAWS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		endpoint string
	}{
		{"default AWS endpoints", ""},
		{"an AWS endpoint set explicitly", "https://s3.us-east-1.amazonaws.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolate(t, "[default]\nregion = us-east-1\n", "[default]\naws_access_key_id = AKIAEXAMPLEKEY000001\naws_secret_access_key = fakesecretfakesecretfakesecret\n")
			if tc.endpoint != "" {
				t.Setenv("AWS_ENDPOINT_URL", tc.endpoint)
			}
			rec := &recordingTransport{}
			// One attempt per call: the transport fails every request.
			s, err := Connect(context.Background(), Options{HTTPClient: &http.Client{Transport: rec}, ExtraOptions: []func(*config.LoadOptions) error{config.WithRetryMaxAttempts(1)}})
			require.NoError(t, err)
			ctx := context.Background()
			writes := map[string]struct {
				r     app.Resource
				state string
			}{
				"PutPublicAccessBlock": {changeplan.BucketBPAResource("acme"), string(allBlocked)},
				"DeleteBucketPolicy":   {changeplan.BucketPolicyResource("acme"), "null"},
				"UpdateAccessKey":      {changeplan.AccessKeyResource(app.ResourceAccessKeyStatus, "bob", "AKIAEXAMPLE000000001"), `"Inactive"`},
				"PutRolePolicy":        {app.Resource{Kind: app.ResourceRoleInlinePolicy, ID: map[string]string{"roleName": "app", "policyName": revokePolicyName}, Name: "p"}, string(RevokePolicy(time.Now()))},
			}
			ex := NewChanger(s, true)
			ex.regions = map[string]string{"acme": "us-east-1"} // no location lookup needed
			assert.False(t, ex.Simulated())
			for name, w := range writes {
				err := ex.WriteState(ctx, w.r, json.RawMessage(w.state))
				require.ErrorIs(t, err, app.ErrExercise, name)
				require.ErrorIs(t, err, ErrRealEndpoint, name)
				assert.Contains(t, err.Error(), "amazonaws.com", name)
			}
			assert.Empty(t, rec.sent(), "nothing left the process")

			// Reads are not guarded: an exercise may look.
			_, err = ex.ReadState(ctx, changeplan.BucketPolicyResource("acme"))
			require.Error(t, err)
			assert.NotEmpty(t, rec.sent())

			real := NewChanger(s, false)
			real.regions = map[string]string{"acme": "us-east-1"}
			before := len(rec.sent())
			err = real.WriteState(ctx, writes["PutPublicAccessBlock"].r, allBlocked)
			require.Error(t, err)
			assert.NotErrorIs(t, err, app.ErrExercise)
			hosts := rec.sent()[before:]
			require.NotEmpty(t, hosts)
			assert.Contains(t, hosts[0], "amazonaws.com")
			assert.True(t, strings.HasPrefix(hosts[0], "PUT "), hosts[0])
		})
	}
}

func TestSimulatedOnlyWithExplicitNonAWSEndpoints(t *testing.T) {
	isolate(t, "[default]\nregion = us-east-1\n", "[default]\naws_access_key_id = AKIAEXAMPLEKEY000001\naws_secret_access_key = fakesecretfakesecretfakesecret\n")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
	s, err := Connect(context.Background(), Options{HTTPClient: loopbackClient(t)})
	require.NoError(t, err)
	assert.True(t, NewChanger(s, true).Simulated())
	t.Setenv("AWS_ENDPOINT_URL_IAM", "https://iam.amazonaws.com")
	s, err = Connect(context.Background(), Options{HTTPClient: loopbackClient(t)})
	require.NoError(t, err)
	assert.False(t, NewChanger(s, true).Simulated(), "IAM goes to AWS")
}

// TestBlockPublicAccessOnKumo turns Block Public Access on and back off on
// kumo, which stores the bucket setting (versitygw has none): a bucket
// without the setting gets it and loses it again on undo; a bucket with a
// partial setting gets its own flags back. The printed commands do the same
// through the AWS CLI.
func TestBlockPublicAccessOnKumo(t *testing.T) {
	k := newKumoAccount(t)
	ctx := context.Background()
	e := newChangeEnv(t, k.s, false)
	read := func(bucket string) (*types.PublicAccessBlockConfiguration, string) {
		out, err := k.s.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &bucket})
		if err != nil {
			return nil, errorCode(err)
		}
		return out.PublicAccessBlockConfiguration, ""
	}

	t.Run("no setting before", func(t *testing.T) {
		name := k.name("open")
		k.bucket(t, "open", publicReadPolicy("BUCKET"), nil)
		_, code := read(name)
		require.Equal(t, "NoSuchPublicAccessBlockConfiguration", code)
		p := e.plan(t, "s3.block-public-access.bucket", map[string]string{"bucket": name})
		assert.True(t, p.Broad)
		assert.Equal(t, name, p.ConfirmWord)
		assert.JSONEq(t, `{"Block Public Access of bucket `+name+`":null}`, string(p.Before))
		assert.Contains(t, p.Diff, "- (not set)\n+ {\n+   \"BlockPublicAcls\": true,")
		assert.Equal(t, "aws s3api put-public-access-block --bucket "+name+" --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true --region us-east-1", p.CLI[0])
		assert.Equal(t, "aws s3api delete-public-access-block --bucket "+name+" --region us-east-1", p.Steps[0].UndoCLI)
		assert.Contains(t, strings.Join(p.Impact, " "), "legitimate ones too")

		_, err := e.svc.ApplyChange(ctx, e.inc, app.Profile{}, p.ID, "yes")
		require.ErrorIs(t, err, app.ErrNotConfirmed)
		e.apply(t, p)
		cfg, _ := read(name)
		require.NotNil(t, cfg)
		assert.Equal(t, *allFour(), types.PublicAccessBlockConfiguration{BlockPublicAcls: cfg.BlockPublicAcls, IgnorePublicAcls: cfg.IgnorePublicAcls, BlockPublicPolicy: cfg.BlockPublicPolicy, RestrictPublicBuckets: cfg.RestrictPublicBuckets})
		_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.block-public-access.bucket", Params: map[string]string{"bucket": name}})
		require.ErrorIs(t, err, app.ErrNoChange)

		e.undo(t, p)
		_, code = read(name)
		assert.Equal(t, "NoSuchPublicAccessBlockConfiguration", code, "undo removes the setting it added")
		tl := e.timelineText(t)
		assert.Contains(t, tl, "AWS CLI equivalent: "+p.CLI[0])
		assert.Contains(t, tl, "AWS CLI equivalent: "+p.Steps[0].UndoCLI)
	})

	t.Run("partial setting before", func(t *testing.T) {
		name := k.name("partial")
		k.bucket(t, "partial", "", &types.PublicAccessBlockConfiguration{BlockPublicAcls: sdkaws.Bool(true), IgnorePublicAcls: sdkaws.Bool(false), BlockPublicPolicy: sdkaws.Bool(false), RestrictPublicBuckets: sdkaws.Bool(false)})
		p := e.plan(t, "s3.block-public-access.bucket", map[string]string{"bucket": name})
		e.apply(t, p)
		e.undo(t, p)
		cfg, _ := read(name)
		require.NotNil(t, cfg)
		assert.True(t, sdkaws.ToBool(cfg.BlockPublicAcls))
		assert.False(t, sdkaws.ToBool(cfg.IgnorePublicAcls))
		assert.False(t, sdkaws.ToBool(cfg.BlockPublicPolicy))
		assert.False(t, sdkaws.ToBool(cfg.RestrictPublicBuckets))
	})

	t.Run("the printed commands work", func(t *testing.T) {
		name := k.name("by-hand")
		k.bucket(t, "by-hand", "", nil)
		p := e.plan(t, "s3.block-public-access.bucket", map[string]string{"bucket": name})
		awsCLI(t, p.CLI[0], sdkaws.ToString(k.s.S3.Options().BaseEndpoint), "AKIAEXAMPLEKEY000001", "fakesecretfakesecretfakesecret")
		state, err := NewChanger(k.s, false).ReadState(ctx, changeplan.BucketBPAResource(name))
		require.NoError(t, err)
		assert.JSONEq(t, string(p.Steps[0].After), string(state))
		awsCLI(t, p.Steps[0].UndoCLI, sdkaws.ToString(k.s.S3.Options().BaseEndpoint), "AKIAEXAMPLEKEY000001", "fakesecretfakesecretfakesecret")
		_, code := read(name)
		assert.Equal(t, "NoSuchPublicAccessBlockConfiguration", code)
	})
}

// TestRemoveCrossAccountStatementsOnKumo covers what versitygw, a single
// account, cannot hold: a grant to another account. The public and the
// cross-account statements go; the grant to the account's own role and
// the Deny stay exactly as written.
func TestRemoveCrossAccountStatementsOnKumo(t *testing.T) {
	k := newKumoAccount(t)
	e := newChangeEnv(t, k.s, false)
	name := k.name("shared")
	own := `{"Sid":"OwnRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + k.id.Account + `:role/etl"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}`
	partner := `{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"]}`
	public := `{"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}`
	deny := `{"Sid":"NoDelete","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::BUCKET/*"}`
	k.bucket(t, "shared", `{"Version":"2012-10-17","Statement":[`+own+`,`+partner+`,`+public+`,`+deny+`]}`, nil)
	fill := func(s string) string { return strings.ReplaceAll(s, "BUCKET", name) }

	p := e.plan(t, "s3.remove-policy-statements", map[string]string{"bucket": name})
	assert.Contains(t, p.Title, "Remove 2 statement(s)")
	require.Len(t, p.Impact, 2)
	assert.Contains(t, p.Impact[0], "statement 1 (Partner)")
	assert.Contains(t, p.Impact[0], "ends for 444455556666")
	assert.Contains(t, p.Impact[1], "statement 2 (Anyone)")
	assert.Equal(t, `{"Version":"2012-10-17","Statement":[`+fill(own)+`,`+fill(deny)+`]}`, string(p.Steps[0].After))
	e.apply(t, p)
	out, err := k.s.S3.GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: &name})
	require.NoError(t, err)
	assert.JSONEq(t, string(p.Steps[0].After), sdkaws.ToString(out.Policy))
	e.undo(t, p)
	out, err = k.s.S3.GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: &name})
	require.NoError(t, err)
	assert.JSONEq(t, fill(`{"Version":"2012-10-17","Statement":[`+own+`,`+partner+`,`+public+`,`+deny+`]}`), sdkaws.ToString(out.Policy))
}
