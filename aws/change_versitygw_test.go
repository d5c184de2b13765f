package aws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// These tests run the changes against versitygw with its standalone IAM
// service: a real S3 gateway that enforces bucket policies for anonymous
// and signed callers, and a real IAM query API (users, access keys, roles,
// inline policies) whose keys the gateway checks on every request. What
// versitygw cannot show is said where it matters: it evaluates no
// aws:TokenIssueTime (it issues no role sessions but web-identity ones) and
// leaves aws:PrincipalArn out of bucket-policy conditions.

const (
	vgwRoot       = "vgwroot"
	vgwRootSecret = "vgwroot-secret-for-tests-only"
	vgwAccount    = "000000000000"
)

// vgw is a running gateway and IAM service.
type vgw struct {
	s3URL, iamURL string
	s             *Session
	iam           *iam.Client
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// startProcess runs a versitygw process until the test ends and waits for
// addr to listen.
func startProcess(t *testing.T, addr string, args ...string) {
	t.Helper()
	var logs bytes.Buffer
	cmd := exec.Command(versityGWBinary(t), args...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case err := <-exited:
			t.Fatalf("versitygw %s exited: %v\n%s", args[len(args)-1], err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s: %s", addr, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startVersityIAM starts the IAM service and a gateway that asks it about
// every key, and a Session as the root user with S3 on the gateway and
// IAM and STS on the IAM service (through the standard variables).
func startVersityIAM(t *testing.T, extra ...func(*config.LoadOptions) error) *vgw {
	t.Helper()
	// A unix socket path must be short; t.TempDir's can be too long.
	sockDir, err := os.MkdirTemp("", "vgw")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "iam.sock")
	dir := t.TempDir()
	for _, d := range []string{"iam", "data", "versions"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o700))
	}
	iamAddr, s3Addr := freeAddr(t), freeAddr(t)
	startProcess(t, iamAddr, "--access", vgwRoot, "--secret", vgwRootSecret, "--port", iamAddr, "--quiet",
		"iam", "--dir", filepath.Join(dir, "iam"), "--private-ports", sock)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the IAM service made no socket")
	}
	startProcess(t, s3Addr, "--access", vgwRoot, "--secret", vgwRootSecret, "--port", s3Addr, "--quiet",
		"--iam-standalone-endpoint", sock, "--iam-cache-disable",
		"posix", "--versioning-dir", filepath.Join(dir, "versions"), filepath.Join(dir, "data"))

	g := &vgw{s3URL: "http://" + s3Addr, iamURL: "http://" + iamAddr}
	isolate(t, "[default]\nregion = us-east-1\n", "[default]\naws_access_key_id = "+vgwRoot+"\naws_secret_access_key = "+vgwRootSecret+"\n")
	t.Setenv("AWS_ENDPOINT_URL", g.s3URL)
	t.Setenv("AWS_ENDPOINT_URL_IAM", g.iamURL)
	t.Setenv("AWS_ENDPOINT_URL_STS", g.iamURL)
	opts := Options{HTTPClient: loopbackClient(t), ExtraOptions: extra}
	g.s, err = Connect(context.Background(), opts)
	require.NoError(t, err)
	g.iam = iam.NewFromConfig(g.s.Config)
	id, err := WhoAmI(context.Background(), g.s.STS, "")
	require.NoError(t, err)
	require.Equal(t, "arn:aws:iam::"+vgwAccount+":root", id.ARN)
	return g
}

// user creates an IAM user with n access keys and returns the keys' ids
// and secrets.
func (g *vgw) user(t *testing.T, name string, n int) [][2]string {
	t.Helper()
	ctx := context.Background()
	_, err := g.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: &name})
	require.NoError(t, err)
	var keys [][2]string
	for range n {
		out, err := g.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: &name})
		require.NoError(t, err)
		keys = append(keys, [2]string{sdkaws.ToString(out.AccessKey.AccessKeyId), sdkaws.ToString(out.AccessKey.SecretAccessKey)})
	}
	return keys
}

// as returns S3 and STS clients that sign with another key.
func (g *vgw) as(key [2]string) (*s3.Client, *sts.Client) {
	creds := credentials.NewStaticCredentialsProvider(key[0], key[1], "")
	return s3.New(g.s.S3.Options(), func(o *s3.Options) { o.Credentials = creds; o.RetryMaxAttempts = 1 }),
		sts.New(g.s.STS.Options(), func(o *sts.Options) { o.Credentials = creds; o.RetryMaxAttempts = 1 })
}

func (g *vgw) bucket(t *testing.T, name, policy string, objects map[string]string) {
	t.Helper()
	ctx := context.Background()
	_, err := g.s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name})
	require.NoError(t, err)
	for k, v := range objects {
		_, err := g.s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &name, Key: sdkaws.String(k), Body: strings.NewReader(v)})
		require.NoError(t, err)
	}
	if policy != "" {
		_, err = g.s.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &name, Policy: &policy})
		require.NoError(t, err)
	}
}

// statements decodes a policy's statements for comparisons by meaning.
func statements(t *testing.T, doc string) []map[string]any {
	t.Helper()
	var p struct{ Statement []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(doc), &p), doc)
	return p.Statement
}

func (g *vgw) policy(t *testing.T, bucket string) string {
	t.Helper()
	out, err := g.s.S3.GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: &bucket})
	if errorCode(err) == "NoSuchBucketPolicy" {
		return ""
	}
	require.NoError(t, err)
	return sdkaws.ToString(out.Policy)
}

func TestRemovePublicStatementsOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	ctx := context.Background()
	writer := g.user(t, "writer", 1)[0]
	const bucket = "reports"
	original := `{"Version":"2012-10-17","Statement":[
	 {"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"},
	 {"Sid":"TeamWrite","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::000000000000:user/writer"]},"Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::reports/*"},
	 {"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::reports","arn:aws:s3:::reports/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"},"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]}`
	g.bucket(t, bucket, original, map[string]string{"q1.csv": "revenue,42\n"})
	url := g.s3URL + "/reports/q1.csv"
	code, body := anonymous(t, url)
	require.Equal(t, http.StatusOK, code, "public before: %s", body)
	require.Equal(t, "revenue,42\n", body)

	e := newChangeEnv(t, g.s, false)
	p := e.plan(t, "s3.remove-policy-statements", map[string]string{"bucket": bucket})
	require.Len(t, p.Steps, 1)
	assert.Equal(t, "PutBucketPolicy", p.Steps[0].Call)
	assert.Equal(t, bucket, p.ConfirmWord)
	assert.Contains(t, p.Title, "Remove 1 statement(s)")
	require.Len(t, p.Impact, 1)
	assert.Contains(t, p.Impact[0], "statement 0 (PublicRead)")
	assert.Contains(t, p.Diff, "-       \"Sid\": \"PublicRead\",\n")
	assert.Contains(t, p.Diff, "\n        \"Sid\": \"TeamWrite\",\n", "kept lines are shown unmarked")
	assert.NotContains(t, p.Diff, "+ ", "nothing is added")
	all := statements(t, original)
	assert.Equal(t, all[1:], statements(t, string(p.Steps[0].After)), "every other statement kept as written")

	e.apply(t, p)
	code, _ = anonymous(t, url)
	assert.Equal(t, http.StatusForbidden, code, "denied after the change")
	assert.Equal(t, all[1:], statements(t, g.policy(t, bucket)))
	ws3, _ := g.as(writer)
	_, err := ws3.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String(bucket), Key: sdkaws.String("q2.csv"), Body: strings.NewReader("x")})
	require.NoError(t, err, "the grant that was kept still works")

	e.undo(t, p)
	code, body = anonymous(t, url)
	assert.Equal(t, http.StatusOK, code, "undo brings the old policy back: %s", body)
	assert.Equal(t, all, statements(t, g.policy(t, bucket)))
	tl := e.timelineText(t)
	assert.Contains(t, tl, "AWS CLI equivalent: aws s3api put-bucket-policy --bucket reports --policy '{")

	// The commands the plan prints do the same through the AWS CLI.
	p2 := e.plan(t, "s3.remove-policy-statements", map[string]string{"bucket": bucket, "statements": "PublicRead"})
	awsCLI(t, p2.CLI[0], g.s3URL, vgwRoot, vgwRootSecret)
	code, _ = anonymous(t, url)
	assert.Equal(t, http.StatusForbidden, code)
	assert.Equal(t, all[1:], statements(t, g.policy(t, bucket)))
	awsCLI(t, p2.Steps[0].UndoCLI, g.s3URL, vgwRoot, vgwRootSecret)
	code, _ = anonymous(t, url)
	assert.Equal(t, http.StatusOK, code)

	// Choosing statements by position and by Sid; unknown ones refused.
	p3 := e.plan(t, "s3.remove-policy-statements", map[string]string{"bucket": bucket, "statements": "0, TLSOnly"})
	assert.Equal(t, all[1:2], statements(t, string(p3.Steps[0].After)))
	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.remove-policy-statements", Params: map[string]string{"bucket": bucket, "statements": "Nope"}})
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), `no statement "Nope"`)

	// With nothing but the public statement, the policy is deleted.
	g.bucket(t, "public-only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::public-only/*"}]}`, map[string]string{"a": "b"})
	p4 := e.plan(t, "s3.remove-policy-statements", map[string]string{"bucket": "public-only"})
	assert.Equal(t, "DeleteBucketPolicy", p4.Steps[0].Call)
	assert.Equal(t, "aws s3api delete-bucket-policy --bucket public-only --region us-east-1", p4.CLI[0])
	e.apply(t, p4)
	assert.Empty(t, g.policy(t, "public-only"))
	code, _ = anonymous(t, g.s3URL+"/public-only/a")
	assert.Equal(t, http.StatusForbidden, code)
	e.undo(t, p4)
	code, _ = anonymous(t, g.s3URL+"/public-only/a")
	assert.Equal(t, http.StatusOK, code)
}

func TestLockControlPlaneOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	ctx := context.Background()
	attacker := g.user(t, "attacker", 1)[0]
	const bucket = "vault"
	grant := `{"Sid":"Ops","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/attacker"},"Action":"s3:*","Resource":["arn:aws:s3:::vault","arn:aws:s3:::vault/*"]}`
	original := `{"Version":"2012-10-17","Statement":[` + grant + `]}`
	g.bucket(t, bucket, original, map[string]string{"secret.txt": "s3cr3t"})
	as3, _ := g.as(attacker)
	putPolicy := func() error {
		_, err := as3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: sdkaws.String(bucket), Policy: sdkaws.String(original)})
		return err
	}
	require.NoError(t, putPolicy(), "before the lock the attacker may rewrite the policy")

	e := newChangeEnv(t, g.s, false)
	p := e.plan(t, "s3.lock-control-plane", map[string]string{"bucket": bucket, "responders": "arn:aws:iam::000000000000:user/ir-*"})
	after := statements(t, string(p.Steps[0].After))
	require.Len(t, after, 2)
	assert.Equal(t, statements(t, original)[0], after[0], "the existing statement is kept")
	assert.Equal(t, map[string]any{
		"Sid": "S3ResponderLockControlPlane", "Effect": "Deny", "Principal": "*",
		"Action":    []any{"s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls"},
		"Resource":  "arn:aws:s3:::vault",
		"Condition": map[string]any{"StringNotLike": map[string]any{"aws:PrincipalArn": []any{"arn:aws:iam::000000000000:root", "arn:aws:iam::000000000000:user/ir-*"}}},
	}, after[1])
	assert.Contains(t, strings.Join(p.Impact, " "), "Nobody but arn:aws:iam::000000000000:root, arn:aws:iam::000000000000:user/ir-* can change")
	e.apply(t, p)

	err := putPolicy()
	require.Error(t, err, "after the lock the attacker may not")
	assert.Equal(t, "AccessDenied", errorCode(err))
	assert.Contains(t, err.Error(), "explicit deny")
	_, err = as3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: sdkaws.String(bucket)})
	assert.Equal(t, "AccessDenied", errorCode(err))
	obj, err := as3.GetObject(ctx, &s3.GetObjectInput{Bucket: sdkaws.String(bucket), Key: sdkaws.String("secret.txt")})
	require.NoError(t, err, "the lock leaves object access alone (other actions contain that)")
	_ = obj.Body.Close()

	// The responder (the root user here: versitygw has no aws:PrincipalArn
	// for bucket policies, so only the root user, which it never holds to
	// a bucket policy, shows the exception) can still undo.
	e.undo(t, p)
	assert.Equal(t, statements(t, original), statements(t, g.policy(t, bucket)))
	require.NoError(t, putPolicy(), "unlocked again")

	// Locking a bucket without a policy creates one holding the lock only;
	// undo deletes it again.
	g.bucket(t, "empty", "", nil)
	p2 := e.plan(t, "s3.lock-control-plane", map[string]string{"bucket": "empty"})
	assert.Contains(t, p2.Diff, "- (not set)")
	awsCLI(t, p2.CLI[0], g.s3URL, vgwRoot, vgwRootSecret)
	require.Len(t, statements(t, g.policy(t, "empty")), 1)
	awsCLI(t, p2.Steps[0].UndoCLI, g.s3URL, vgwRoot, vgwRootSecret)
	assert.Empty(t, g.policy(t, "empty"))
}

// faultyTransport forwards requests until the n-th UpdateAccessKey has
// reached the server; it then loses that call's answer and every request
// after it, as a network that drops at the worst moment.
type faultyTransport struct {
	next    http.RoundTripper
	mu      sync.Mutex
	n, seen int
	dead    bool
	updates []string // access key ids of the UpdateAccessKey calls that reached the server
}

func (f *faultyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	f.mu.Lock()
	if f.dead {
		f.mu.Unlock()
		return nil, errors.New("faulty transport: network is down")
	}
	update := bytes.Contains(body, []byte("Action=UpdateAccessKey"))
	if update {
		f.seen++
		if m := regexp.MustCompile(`AccessKeyId=([A-Z0-9]+)`).FindSubmatch(body); m != nil {
			f.updates = append(f.updates, string(m[1]))
		}
	}
	drop := update && f.seen == f.n
	f.mu.Unlock()
	resp, err := f.next.RoundTrip(req)
	if drop {
		if resp != nil {
			_ = resp.Body.Close()
		}
		f.mu.Lock()
		f.dead = true
		f.mu.Unlock()
		return nil, errors.New("faulty transport: connection reset by peer")
	}
	return resp, err
}

func (f *faultyTransport) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dead, f.n = false, 0
}

func TestDeactivateKeysSurvivesALostNetworkOnVersityGW(t *testing.T) {
	// Retries as usual, but without waiting, so the dead network is tried
	// again quickly.
	retryer := config.WithRetryer(func() sdkaws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
		})
	})
	g := startVersityIAM(t, retryer)
	ctx := context.Background()
	keys := g.user(t, "leaky", 2)
	const bucket = "payroll"
	g.bucket(t, bucket, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/leaky"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::payroll/*"}]}`,
		map[string]string{"march.csv": "alice,100\n"})
	works := func(key [2]string) error {
		c3, cs := g.as(key)
		out, err := c3.GetObject(ctx, &s3.GetObjectInput{Bucket: sdkaws.String(bucket), Key: sdkaws.String("march.csv")})
		if err != nil {
			return err
		}
		_ = out.Body.Close()
		_, err = cs.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}
	for _, k := range keys {
		require.NoError(t, works(k), "the key works before")
	}

	// The responder's connection goes through the faulty transport.
	ft := &faultyTransport{next: g.s.S3.Options().HTTPClient.(*http.Client).Transport, n: 2}
	g.s.Config.HTTPClient = &http.Client{Transport: ft}
	g.s.S3 = s3.New(g.s.S3.Options(), func(o *s3.Options) { o.HTTPClient = g.s.Config.HTTPClient })
	e := newChangeEnv(t, g.s, false)
	p := e.plan(t, "iam.deactivate-access-key", map[string]string{"userName": "leaky"})
	require.Len(t, p.Steps, 2)
	assert.True(t, p.Broad)
	assert.Equal(t, "leaky", p.ConfirmWord)
	assert.Contains(t, strings.Join(p.Impact, " "), "Every request signed with "+keys[0][0]+" is refused from now on")

	_, err := e.svc.ApplyChange(ctx, e.inc, app.Profile{}, p.ID, "leaky")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "step 2")
	runs, err := e.svc.ChangeJournal(ctx, e.inc)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, app.ChangeIncomplete, runs[0].Status)
	assert.Equal(t, app.OutcomeApplied, runs[0].Steps[0].Outcome)
	assert.Equal(t, app.OutcomeFailed, runs[0].Steps[1].Outcome, "the answer was lost: the journal cannot know")
	assert.Contains(t, runs[0].Report(), "step 2 failed")

	ft.heal()
	done, err := e.svc.ResumeChanges(ctx, e.inc, app.Profile{})
	require.NoError(t, err)
	require.Len(t, done, 1)
	assert.Equal(t, app.OutcomeApplied, done[0].Steps[1].Outcome, "re-reading found the lost call had gone through")
	assert.True(t, done[0].Verified)
	assert.ElementsMatch(t, []string{keys[0][0], keys[1][0]}, ft.updates, "each key was updated exactly once")
	for _, k := range keys {
		err := works(k)
		require.Error(t, err, "a deactivated key is refused")
		assert.Equal(t, "InvalidAccessKeyId", errorCode(err))
		_, cs := g.as(k)
		_, err = cs.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		require.Error(t, err, "by STS too")
	}

	e.undo(t, p)
	for _, k := range keys {
		require.NoError(t, works(k), "undo reactivates the key")
	}

	// One key by its id alone: the user is looked up; "yes" confirms it;
	// the printed command does the same through the AWS CLI.
	one := e.plan(t, "iam.deactivate-access-key", map[string]string{"accessKeyId": keys[1][0]})
	assert.False(t, one.Broad)
	assert.Equal(t, "yes", one.ConfirmWord)
	assert.Equal(t, "aws iam update-access-key --user-name leaky --access-key-id "+keys[1][0]+" --status Inactive", one.CLI[0])
	awsCLI(t, one.CLI[0], g.iamURL, vgwRoot, vgwRootSecret)
	assert.Equal(t, "InvalidAccessKeyId", errorCode(works(keys[1])))
	require.NoError(t, works(keys[0]))
	awsCLI(t, one.Steps[0].UndoCLI, g.iamURL, vgwRoot, vgwRootSecret)
	require.NoError(t, works(keys[1]))

	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"accessKeyId": "ASIAEXAMPLETEMPORARY"}})
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "temporary key")
}

var revokeDoc = regexp.MustCompile(`^\{"Version":"2012-10-17","Statement":\[\{"Effect":"Deny","Action":"\*","Resource":"\*","Condition":\{"DateLessThan":\{"aws:TokenIssueTime":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"\}\}\}\]\}$`)

func TestRevokeSessionsOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`
	for _, r := range []struct{ name, path string }{{"app-role", "/"}, {"old-role", "/apps/"}, {"linked", "/aws-service-role/example/"}} {
		_, err := g.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: sdkaws.String(r.name), Path: sdkaws.String(r.path), AssumeRolePolicyDocument: &trust})
		require.NoError(t, err)
	}
	rolePolicy := func(role string) string {
		out, err := g.iam.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &role, PolicyName: sdkaws.String(revokePolicyName)})
		if errorCode(err) == "NoSuchEntity" {
			return ""
		}
		require.NoError(t, err)
		doc, err := policyState(sdkaws.ToString(out.PolicyDocument), true)
		require.NoError(t, err)
		return string(doc)
	}
	e := newChangeEnv(t, g.s, false)
	start := time.Now().UTC()
	p := e.plan(t, "iam.revoke-role-sessions", map[string]string{"roleName": "app-role"})
	m := revokeDoc.FindStringSubmatch(string(p.Steps[0].After))
	require.NotNil(t, m, "the documented policy: %s", p.Steps[0].After)
	cutoff, err := time.Parse(time.RFC3339, m[1])
	require.NoError(t, err)
	assert.True(t, cutoff.After(start) && cutoff.Before(start.Add(3*time.Second)), "cut-off %s just after planning at %s", cutoff, start)
	assert.Equal(t, "app-role", p.ConfirmWord)
	assert.Equal(t, 15*time.Minute, p.ExpiresAt.Sub(p.CreatedAt))
	assert.Contains(t, strings.Join(p.Impact, " "), "legitimate ones too")
	assert.Equal(t, "PutRolePolicy", p.Steps[0].Call)
	assert.Equal(t, "DeleteRolePolicy", p.Steps[0].UndoCall)
	e.apply(t, p)
	assert.Equal(t, string(p.Steps[0].After), rolePolicy("app-role"))
	e.undo(t, p)
	assert.Empty(t, rolePolicy("app-role"), "undo removes the policy it added")

	// An earlier revocation is replaced, and undo puts it back.
	earlier := string(RevokePolicy(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
	_, err = g.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: sdkaws.String("old-role"), PolicyName: sdkaws.String(revokePolicyName), PolicyDocument: &earlier})
	require.NoError(t, err)
	p2 := e.plan(t, "iam.revoke-role-sessions", map[string]string{"roleName": "old-role"})
	assert.Equal(t, earlier, string(p2.Steps[0].Before))
	assert.Contains(t, p2.Diff, `-           "aws:TokenIssueTime": "2026-01-02T03:04:05Z"`)
	e.apply(t, p2)
	e.undo(t, p2)
	assert.Equal(t, earlier, rolePolicy("old-role"))

	// The printed command works with the AWS CLI.
	p3 := e.plan(t, "iam.revoke-role-sessions", map[string]string{"roleName": "app-role"})
	awsCLI(t, p3.CLI[0], g.iamURL, vgwRoot, vgwRootSecret)
	assert.Equal(t, string(p3.Steps[0].After), rolePolicy("app-role"))
	awsCLI(t, p3.Steps[0].UndoCLI, g.iamURL, vgwRoot, vgwRootSecret)
	assert.Empty(t, rolePolicy("app-role"))

	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "iam.revoke-role-sessions", Params: map[string]string{"roleName": "linked"}})
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "service-linked role")
	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "iam.revoke-role-sessions", Params: map[string]string{"roleName": "nobody"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read role nobody")

	// The same policy on a user cuts off its earlier temporary credentials.
	g.user(t, "contractor", 0)
	pu := e.plan(t, "iam.revoke-user-sessions", map[string]string{"userName": "contractor"})
	assert.Regexp(t, revokeDoc, string(pu.Steps[0].After))
	assert.Equal(t, "aws iam delete-user-policy --user-name contractor --policy-name AWSRevokeOlderSessions", pu.Steps[0].UndoCLI)
	e.apply(t, pu)
	out, err := g.iam.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: sdkaws.String("contractor"), PolicyName: sdkaws.String(revokePolicyName)})
	require.NoError(t, err)
	got, err := policyState(sdkaws.ToString(out.PolicyDocument), true)
	require.NoError(t, err)
	assert.JSONEq(t, string(pu.Steps[0].After), string(got))
	e.undo(t, pu)
}
