package cli

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
	"s3responder/aws"
	"s3responder/store"
)

// This test kills a real `act apply` process with SIGKILL in the middle of
// a change and resumes it from the journal: the child is this test binary
// running the CLI, the account is versitygw with its IAM service, and the
// kill comes from a proxy in front of IAM the moment the second
// UpdateAccessKey has reached the server and before its answer reaches
// the child.

const childEnv = "S3RESPONDER_ACT_CHILD"

// TestActChildProcess is the child: it runs `act` with the arguments after
// "--" on the database of S3RESPONDER_DB and exits with its code. It does
// nothing in a normal test run.
func TestActChildProcess(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	pb, err := app.ParsePlaybook("playbook.yaml", assets.Playbook)
	if err != nil {
		os.Exit(3)
	}
	d := Deps{
		Stdout: os.Stdout, Stderr: os.Stderr, Stdin: strings.NewReader(""), Getenv: os.Getenv, Builtin: pb,
		OpenService: func(path string) (*app.Service, func() error, error) {
			db, err := store.Open(path)
			if err != nil {
				return nil, nil, err
			}
			svc := app.NewService(db, pb, "child")
			svc.SetConnector(aws.WithChanges(aws.Connector(aws.Options{HTTPClient: &http.Client{Timeout: 30 * time.Second}})))
			return svc, db.Close, nil
		},
	}
	os.Exit(runAct(context.Background(), args, d))
}

// versityGW installs (once) and returns the pinned versitygw binary.
func versityGW(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VERSITYGW"); p != "" {
		return p
	}
	script, err := filepath.Abs(filepath.Join("..", "scripts", "install-versitygw.sh"))
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd := exec.Command("sh", script)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "install versitygw with %s: %s", script, stderr.String())
	return strings.TrimSpace(string(out))
}

func listenAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func runUntilListening(t *testing.T, addr string, bin string, args ...string) {
	t.Helper()
	// The process's output is copied in by exec's goroutine while this one
	// may read it for a failure message: through a lock.
	var logs lockedBuffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		select {
		case <-done:
			t.Fatalf("versitygw exited: %s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s: %s", addr, logs.String())
		}
	}
}

// lockedBuffer is an output buffer safe to write and read at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// killingProxy forwards to IAM and, once armed, kills the child right
// after the n-th UpdateAccessKey came back from the server.
type killingProxy struct {
	mu      sync.Mutex
	child   *os.Process
	n       int
	updates []string
	// exited is closed by the test once it has seen the child die, so the
	// proxy answers only a dead client.
	exited chan struct{}
}

func (p *killingProxy) handler(target *url.URL) http.Handler {
	rp := httputil.NewSingleHostReverseProxy(target)
	keyID := regexp.MustCompile(`AccessKeyId=([A-Z0-9]+)`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		update := bytes.Contains(body, []byte("Action=UpdateAccessKey"))
		var kill *os.Process
		if update {
			p.mu.Lock()
			if m := keyID.FindSubmatch(body); m != nil {
				p.updates = append(p.updates, string(m[1]))
			}
			if p.child != nil && len(p.updates) == p.n {
				kill = p.child
			}
			p.mu.Unlock()
		}
		if kill == nil {
			rp.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		rp.ServeHTTP(rec, r) // the server applies the call...
		_ = kill.Signal(syscall.SIGKILL)
		<-p.exited
		// ...and its answer never reaches anyone.
		http.Error(w, "the client is gone", http.StatusBadGateway)
	})
}

func TestActResumesAfterSIGKILL(t *testing.T) {
	bin := versityGW(t)
	sockDir, err := os.MkdirTemp("", "vgw")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(sockDir) })
	sock, dir := filepath.Join(sockDir, "iam.sock"), t.TempDir()
	for _, d := range []string{"iam", "data", "versions"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o700))
	}
	const root, secret = "killroot", "killroot-secret-for-tests"
	iamAddr, s3Addr := listenAddr(t), listenAddr(t)
	runUntilListening(t, iamAddr, bin, "--access", root, "--secret", secret, "--port", iamAddr, "--quiet", "iam", "--dir", filepath.Join(dir, "iam"), "--private-ports", sock)
	runUntilListening(t, s3Addr, bin, "--access", root, "--secret", secret, "--port", s3Addr, "--quiet", "--iam-standalone-endpoint", sock, "--iam-cache-disable",
		"posix", "--versioning-dir", filepath.Join(dir, "versions"), filepath.Join(dir, "data"))
	iamURL, err := url.Parse("http://" + iamAddr)
	require.NoError(t, err)
	proxy := &killingProxy{n: 2, exited: make(chan struct{})}
	ps := httptest.NewServer(proxy.handler(iamURL))
	t.Cleanup(ps.Close)

	// The env first: it isolates the AWS configuration, which the lines
	// after it fill in.
	e := newActEnv(t)
	cred := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	require.NoError(t, os.WriteFile(cred, []byte("[default]\naws_access_key_id = "+root+"\naws_secret_access_key = "+secret+"\n"), 0o600))
	t.Setenv("AWS_ENDPOINT_URL", "http://"+s3Addr)
	t.Setenv("AWS_ENDPOINT_URL_IAM", ps.URL)
	t.Setenv("AWS_ENDPOINT_URL_STS", ps.URL)

	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(loopbackOnly(t)))
	require.NoError(t, err)
	admin := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = sdkaws.String(iamURL.String()) })
	_, err = admin.CreateUser(ctx, &iam.CreateUserInput{UserName: sdkaws.String("leaky")})
	require.NoError(t, err)
	for range 2 {
		_, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: sdkaws.String("leaky")})
		require.NoError(t, err)
	}
	status := func() map[string]string {
		out, err := admin.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: sdkaws.String("leaky")})
		require.NoError(t, err)
		m := map[string]string{}
		for _, k := range out.AccessKeyMetadata {
			m[sdkaws.ToString(k.AccessKeyId)] = string(k.Status)
		}
		return m
	}

	// Plan in this process, apply in a child that is killed mid-way.
	id := e.newIncident()
	change := lastLine(e.mustAct("plan", id, "iam.deactivate-access-key", "--userName", "leaky"))
	require.Regexp(t, `^CHG-`, change)

	cmd := exec.Command(os.Args[0], "-test.run=^TestActChildProcess$", "--", "apply", id, change, "--confirm", "leaky")
	cmd.Env = append(os.Environ(), childEnv+"=1", EnvDB+"="+e.db)
	var childOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &childOut, &childOut
	require.NoError(t, cmd.Start())
	proxy.mu.Lock()
	proxy.child = cmd.Process
	proxy.mu.Unlock()
	err = cmd.Wait()
	close(proxy.exited)
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the child must be killed, not finish: %s", childOut.String())
	ws, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "killed by SIGKILL: %v\n%s", err, childOut.String())
	require.Len(t, proxy.updates, 2)
	for _, s := range status() {
		assert.Equal(t, "Inactive", s, "both calls reached the server before the kill")
	}

	// The journal says exactly what happened.
	out := e.mustAct("journal", id)
	assert.Contains(t, out, change+" incomplete: Deactivate all 2 active access keys of user leaky (1 of 2 steps applied)")
	assert.Contains(t, out, "step 1 applied     UpdateAccessKey")
	assert.Contains(t, out, "step 2 in doubt    UpdateAccessKey")
	out = e.mustAct("resume", id)
	assert.Contains(t, out, "These changes are unfinished")
	assert.Contains(t, out, "To resume: s3responder act resume "+id+" --yes")

	out = e.mustAct("resume", id, "--yes")
	assert.Contains(t, out, change+" done: Deactivate all 2 active access keys of user leaky (2 of 2 steps applied), verified")
	assert.Len(t, proxy.updates, 2, "resuming re-read the key and sent nothing again")
	timeline := e.must("timeline", id)
	assert.Contains(t, timeline, "Resuming change "+change+" (Deactivate all 2 active access keys of user leaky) from its journal: step 1 applied, step 2 in doubt.")
	assert.Contains(t, timeline, "re-reading shows that the UpdateAccessKey sent before the interruption took effect")
	e.must("verify", id)

	// And the killed change undoes like any other.
	e.mustAct("undo", id, change, "--confirm", "leaky")
	for _, s := range status() {
		assert.Equal(t, "Active", s)
	}
}
