package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A real `act apply` of s3.restore-version over 2,400 objects of a
// versioned bucket on versitygw is killed with SIGKILL in the middle of
// its third batch; `act resume` finishes it from the journal. "The
// attacker" overwrote half the objects and deleted the other half. A
// proxy in front of versitygw counts every CopyObject the gateway
// accepted, per key, and kills the child the moment the 1,100th is
// accepted, so copies of the batch are in flight, some through and some
// not. At the end every object must hold its original bytes, have been
// copied exactly once across both processes (one new version each in the
// listing), and nothing the attacker left may be gone from the history.

const restoreObjects = 2400

// copyKillProxy forwards to versitygw, counts accepted CopyObject calls
// per key, and kills the child after the n-th.
type copyKillProxy struct {
	mu     sync.Mutex
	copies map[string]int
	total  int
	n      int
	child  *os.Process
	exited chan struct{}
	active sync.WaitGroup
	killed atomic.Bool
}

func (p *copyKillProxy) handler(target *url.URL) http.Handler {
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(res *http.Response) error {
		r := res.Request
		if r.Method != http.MethodPut || r.Header.Get("X-Amz-Copy-Source") == "" || res.StatusCode != http.StatusOK {
			return nil
		}
		p.mu.Lock()
		p.copies[r.URL.Path]++
		p.total++
		kill := p.child != nil && p.total == p.n
		child := p.child
		p.mu.Unlock()
		if kill {
			p.killed.Store(true)
			_ = child.Signal(syscall.SIGKILL)
			<-p.exited
		}
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.active.Add(1)
		defer p.active.Done()
		// A call the gateway receives runs to its end and is counted even
		// when the child that sent it is gone by then.
		ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
		defer cancel()
		rp.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (p *copyKillProxy) counts() (map[string]int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.copies {
		out[k] = v
	}
	return out, p.total
}

func TestActRestoreResumesAfterSIGKILL(t *testing.T) {
	bin := versityGW(t)
	sockDir, err := os.MkdirTemp("", "vgw")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(sockDir) })
	sock, dir := filepath.Join(sockDir, "iam.sock"), t.TempDir()
	for _, d := range []string{"iam", "data", "versions"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o700))
	}
	const root, secret = "restoreroot", "restoreroot-secret-for-tests"
	iamAddr, s3Addr := listenAddr(t), listenAddr(t)
	runUntilListening(t, iamAddr, bin, "--access", root, "--secret", secret, "--port", iamAddr, "--quiet", "iam", "--dir", filepath.Join(dir, "iam"), "--private-ports", sock)
	runUntilListening(t, s3Addr, bin, "--access", root, "--secret", secret, "--port", s3Addr, "--quiet", "--iam-standalone-endpoint", sock, "--iam-cache-disable",
		"posix", "--versioning-dir", filepath.Join(dir, "versions"), filepath.Join(dir, "data"))
	target, err := url.Parse("http://" + s3Addr)
	require.NoError(t, err)
	proxy := &copyKillProxy{copies: map[string]int{}, n: 1100, exited: make(chan struct{})}
	ps := httptest.NewServer(proxy.handler(target))
	t.Cleanup(ps.Close)

	e := newActEnv(t) // isolates the AWS configuration first
	cred := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	require.NoError(t, os.WriteFile(cred, []byte("[default]\naws_access_key_id = "+root+"\naws_secret_access_key = "+secret+"\n"), 0o600))
	t.Setenv("AWS_ENDPOINT_URL", ps.URL)
	t.Setenv("AWS_ENDPOINT_URL_IAM", "http://"+iamAddr)
	t.Setenv("AWS_ENDPOINT_URL_STS", "http://"+iamAddr)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(loopbackOnly(t)))
	require.NoError(t, err)
	// The test's own setup and checks go to the gateway directly.
	direct := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true; o.BaseEndpoint = sdkaws.String("http://" + s3Addr) })
	const bucket = "restore-kill"
	_, err = direct.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String(bucket)})
	require.NoError(t, err)
	_, err = direct.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: sdkaws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	require.NoError(t, err)
	key := func(i int) string { return fmt.Sprintf("data/%05d.csv", i) }
	content := func(i int) []byte { return []byte(fmt.Sprintf("id,amount\n%d,%d\n", i, i*37%1000)) }
	parallelDo := func(f func(i int)) {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		for i := range restoreObjects {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				f(i)
			}()
		}
		wg.Wait()
	}
	parallelDo(func(i int) {
		_, err := direct.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String(bucket), Key: sdkaws.String(key(i)), Body: bytes.NewReader(content(i))})
		require.NoError(t, err)
	})
	time.Sleep(1100 * time.Millisecond)
	since := time.Now().UTC().Truncate(time.Second)
	time.Sleep(1100 * time.Millisecond)
	parallelDo(func(i int) {
		var err error
		if i%2 == 0 {
			_, err = direct.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String(bucket), Key: sdkaws.String(key(i)), Body: strings.NewReader("encrypted by the attacker")})
		} else {
			_, err = direct.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: sdkaws.String(bucket), Key: sdkaws.String(key(i))})
		}
		require.NoError(t, err)
	})
	// entries counts each key's versions and delete markers. versitygw
	// repeats an entry at some page boundaries: each is counted once.
	entries := func() map[string]int {
		seen := map[string]bool{}
		out := map[string]int{}
		count := func(k, id *string) {
			if id := sdkaws.ToString(k) + "\x00" + sdkaws.ToString(id); !seen[id] {
				seen[id] = true
				out[sdkaws.ToString(k)]++
			}
		}
		pages := s3.NewListObjectVersionsPaginator(direct, &s3.ListObjectVersionsInput{Bucket: sdkaws.String(bucket)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			require.NoError(t, err)
			for _, v := range page.Versions {
				count(v.Key, v.VersionId)
			}
			for _, m := range page.DeleteMarkers {
				count(m.Key, m.VersionId)
			}
		}
		return out
	}
	before := entries()
	require.Len(t, before, restoreObjects)

	id := e.newIncident()
	out := e.mustAct("plan", id, "s3.restore-version", "--bucket", bucket, "--prefix", "data/", "--param", "since="+since.Format(time.RFC3339), "--concurrency", "32")
	change := lastLine(out)
	require.Regexp(t, `^CHG-`, change)
	assert.Contains(t, out, "1200 deleted, 1200 overwritten.")

	cmd := exec.Command(os.Args[0], "-test.run=^TestActChildProcess$", "--", "apply", id, change, "--confirm", bucket)
	cmd.Env = append(os.Environ(), childEnv+"=1", EnvDB+"="+e.db)
	var childOut strings.Builder
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
	require.True(t, proxy.killed.Load())
	proxy.active.Wait()
	_, atKill := proxy.counts()
	assert.GreaterOrEqual(t, atKill, 1100)
	assert.Less(t, atKill, 1500, "the third batch was cut short")
	assert.Contains(t, childOut.String(), "objects 1000 of 2400 done", "progress was printed after each batch")

	out = e.mustAct("journal", id)
	assert.Contains(t, out, change+" incomplete: Restore 2400 object(s) of bucket restore-kill")
	assert.Contains(t, out, "(3 batches, last key \"data/01499.csv\", selection not finished)")
	assert.Contains(t, out, "1000 applied, 0 already so, 0 gone, 0 failed, 0 conflicting, 500 in doubt, 0 not sent")

	out = e.mustAct("resume", id, "--yes")
	assert.Contains(t, out, change+" done: Restore 2400 object(s)")
	assert.Contains(t, out, "(2400 of 2400 objects done), verified")

	copies, total := proxy.counts()
	var wrong []string
	for i := range restoreObjects {
		if c := copies["/"+bucket+"/"+key(i)]; c != 1 {
			wrong = append(wrong, fmt.Sprintf("%s copied %d times", key(i), c))
		}
	}
	assert.Empty(t, wrong, "every object restored exactly once across both processes")
	assert.Equal(t, restoreObjects, total, "the in-doubt objects that had gone through were re-read and not copied again")
	after := entries()
	var grown []string
	for i := range restoreObjects {
		if after[key(i)] != before[key(i)]+1 {
			grown = append(grown, fmt.Sprintf("%s: %d entries before, %d after", key(i), before[key(i)], after[key(i)]))
		}
	}
	assert.Empty(t, grown, "one new version per object, and nothing of the history lost")
	if len(grown) > 0 {
		k := strings.SplitN(grown[0], ":", 2)[0]
		out, err := direct.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: sdkaws.String(bucket), Prefix: sdkaws.String(k)})
		require.NoError(t, err)
		for _, v := range out.Versions {
			t.Logf("version %s latest=%v %s %s", sdkaws.ToString(v.VersionId), sdkaws.ToBool(v.IsLatest), sdkaws.ToTime(v.LastModified), sdkaws.ToString(v.ETag))
		}
		for _, v := range out.DeleteMarkers {
			t.Logf("marker %s latest=%v %s", sdkaws.ToString(v.VersionId), sdkaws.ToBool(v.IsLatest), sdkaws.ToTime(v.LastModified))
		}
	}
	var differ []string
	parallelDo(func(i int) {
		obj, err := direct.GetObject(ctx, &s3.GetObjectInput{Bucket: sdkaws.String(bucket), Key: sdkaws.String(key(i))})
		require.NoError(t, err, key(i))
		defer obj.Body.Close()
		got, err := io.ReadAll(obj.Body)
		require.NoError(t, err)
		if sha256.Sum256(got) != sha256.Sum256(content(i)) {
			proxy.mu.Lock()
			differ = append(differ, key(i))
			proxy.mu.Unlock()
		}
	})
	assert.Empty(t, differ, "every object holds its original bytes")
	timeline := e.must("timeline", id)
	assert.Contains(t, timeline, "Resuming change "+change)
	assert.Contains(t, timeline, "Change "+change+" verified: re-reading the 2400 object(s)")
	e.must("verify", id)
}
