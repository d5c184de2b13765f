package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
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

// A real `act apply` of an object ACL reset over 2,400 objects is killed
// with SIGKILL in the middle of its third batch; `act resume` finishes it
// from the journal. kumo (in this test process) holds the objects; a
// proxy in front of it counts every PutObjectAcl that kumo accepted, per
// key, and kills the child the moment the 1,100th is accepted, so calls
// of the batch are in flight, some through and some not. At the end every
// object must have been set exactly once across both processes.

const aclObjects = 2400

// aclKillProxy forwards to kumo, counts accepted PutObjectAcl calls per
// key, and kills the child after the n-th.
type aclKillProxy struct {
	mu     sync.Mutex
	puts   map[string]int
	total  int
	n      int
	child  *os.Process
	exited chan struct{}
	active sync.WaitGroup
	killed atomic.Bool
}

func (p *aclKillProxy) handler(target *url.URL) http.Handler {
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = func(res *http.Response) error {
		r := res.Request
		if r.Method != http.MethodPut || !r.URL.Query().Has("acl") || res.StatusCode != http.StatusOK {
			return nil
		}
		p.mu.Lock()
		p.puts[r.URL.Path]++
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
		// A call kumo receives runs to its end and is counted even when
		// the child that sent it is gone by then. The context must have a
		// Done channel, or the proxy cancels on the client's disconnect
		// by itself.
		ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
		defer cancel()
		rp.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (p *aclKillProxy) counts() (map[string]int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.puts {
		out[k] = v
	}
	return out, p.total
}

func TestActACLResetResumesAfterSIGKILL(t *testing.T) {
	srv := kumoServer()
	target, err := url.Parse(srv.URL)
	require.NoError(t, err)
	proxy := &aclKillProxy{puts: map[string]int{}, n: 1100, exited: make(chan struct{})}
	ps := httptest.NewServer(proxy.handler(target))
	t.Cleanup(ps.Close)

	e := newActEnv(t) // isolates the AWS configuration first
	t.Setenv("AWS_ENDPOINT_URL", ps.URL)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(loopbackOnly(t)))
	require.NoError(t, err)
	// The test's own setup goes to kumo directly, past the proxy.
	direct := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true; o.BaseEndpoint = sdkaws.String(srv.URL) })
	bucket := fmt.Sprintf("killacl-%d", time.Now().UnixNano()%1e9)
	_, err = direct.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	require.NoError(t, err)
	acl, err := direct.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &bucket})
	require.NoError(t, err)
	owner := sdkaws.ToString(acl.Owner.ID)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range aclObjects {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			key := fmt.Sprintf("leak/%05d.csv", i)
			_, err := direct.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader("row")})
			require.NoError(t, err)
			_, err = direct.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: &key, AccessControlPolicy: &s3types.AccessControlPolicy{
				Owner: &s3types.Owner{ID: &owner},
				Grants: []s3types.Grant{
					{Grantee: &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: &owner}, Permission: s3types.PermissionFullControl},
					{Grantee: &s3types.Grantee{Type: s3types.TypeGroup, URI: sdkaws.String("http://acs.amazonaws.com/groups/global/AllUsers")}, Permission: s3types.PermissionRead},
				}}})
			require.NoError(t, err)
		}()
	}
	wg.Wait()
	grants := func(key string) int {
		out, err := direct.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &bucket, Key: &key})
		require.NoError(t, err)
		return len(out.Grants)
	}

	id := e.newIncident()
	change := lastLine(e.mustAct("plan", id, "s3.reset-object-acls", "--bucket", bucket, "--prefix", "leak/", "--concurrency", "32"))
	require.Regexp(t, `^CHG-`, change)

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
	proxy.active.Wait() // calls in flight at the kill reach kumo or not, but end
	_, atKill := proxy.counts()
	assert.GreaterOrEqual(t, atKill, 1100)
	assert.Less(t, atKill, 1500, "the third batch was cut short")
	assert.Contains(t, childOut.String(), "objects 1000 of 2400 done", "progress was printed after each batch")

	// The journal tells how far the killed run got, before any AWS call.
	out := e.mustAct("journal", id)
	assert.Contains(t, out, change+" incomplete: Reset the ACLs of 2400 object(s) under \"leak/\"")
	assert.Contains(t, out, "in doubt")
	assert.Contains(t, out, "(3 batches, last key \"leak/01499.csv\", selection not finished)")
	assert.Contains(t, out, "1000 applied, 0 already so, 0 gone, 0 failed, 0 conflicting, 500 in doubt, 0 not sent")

	out = e.mustAct("resume", id, "--yes")
	assert.Contains(t, out, change+" done: Reset the ACLs of 2400 object(s)")
	assert.Contains(t, out, "(2400 of 2400 objects done), verified")
	puts, total := proxy.counts()
	var wrong []string
	for i := range aclObjects {
		path := "/" + bucket + fmt.Sprintf("/leak/%05d.csv", i)
		if c := puts[path]; c != 1 {
			wrong = append(wrong, fmt.Sprintf("%s set %d times", path, c))
		}
	}
	assert.Empty(t, wrong, "every object set exactly once across both processes")
	assert.Equal(t, aclObjects, total, "the in-doubt objects that had gone through were re-read and not sent again")
	for i := range aclObjects {
		require.Equal(t, 1, grants(fmt.Sprintf("leak/%05d.csv", i)), "owner-only")
	}
	timeline := e.must("timeline", id)
	assert.Contains(t, timeline, "Resuming change "+change)
	assert.Contains(t, timeline, "500 in doubt")
	assert.Contains(t, timeline, "Change "+change+" verified: re-reading the 2400 object(s)")
	e.must("verify", id)

	// And the killed change undoes like any other: every object gets its
	// public grant back.
	e.mustAct("undo", id, change, "--confirm", bucket)
	for i := range aclObjects {
		require.Equal(t, 2, grants(fmt.Sprintf("leak/%05d.csv", i)))
	}
}
