package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// Object ACL resets run against kumo, which stores object ACLs and
// returns them as S3 does (versitygw has none). kumo accepts any
// credentials, so these tests prove the calls, the states and the
// journal, not that S3 would then refuse an anonymous reader. A counting
// proxy in front of kumo records every PutObjectAcl per key, so "no
// object is set twice" is checked on the wire.

const allUsers = "http://acs.amazonaws.com/groups/global/AllUsers"

// aclProxy forwards to kumo and counts PutObjectAcl calls per key.
type aclProxy struct {
	*httptest.Server
	mu   sync.Mutex
	puts map[string]int
}

func newACLProxy(t *testing.T, target string) *aclProxy {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	p := &aclProxy{puts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Query().Has("acl") {
			p.mu.Lock()
			p.puts[r.URL.Path]++
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *aclProxy) counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.puts {
		out[k] = v
	}
	return out
}

// aclBucket is a kumo bucket of objects, some with public ACLs.
type aclBucket struct {
	name   string
	owner  string
	s3     *s3.Client
	proxy  *aclProxy
	kumo   string
	public map[string]bool
}

// newACLBucket makes a bucket on kumo (behind a counting proxy) whose
// objects grant READ to AllUsers, except every tenth under "public/",
// which is private already; keys hold spaces, plus signs, percent signs
// and non-ASCII letters.
func newACLBucket(t *testing.T, n int) (*aclBucket, *Session) {
	t.Helper()
	srv := kumoServer()
	proxy := newACLProxy(t, srv.URL)
	s := connectTo(t, proxy.URL)
	ctx := context.Background()
	b := &aclBucket{name: fmt.Sprintf("acl-%d", kumoRuns.Add(1)), s3: s.S3, proxy: proxy, kumo: srv.URL, public: map[string]bool{}}
	_, err := s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b.name})
	require.NoError(t, err)
	acl, err := s.S3.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &b.name})
	require.NoError(t, err)
	b.owner = sdkaws.ToString(acl.Owner.ID)
	require.NotEmpty(t, b.owner)
	keys := []string{"other/keep.txt"}
	for i := range n {
		keys = append(keys, fmt.Sprintf("public/file %04d+%%20ü.txt", i))
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	var mu sync.Mutex
	for i, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &b.name, Key: &k, Body: strings.NewReader("data " + k)})
			require.NoError(t, err)
			if (i-1)%10 == 0 && strings.HasPrefix(k, "public/") {
				return // every tenth stays private
			}
			b.setPublic(t, k)
			mu.Lock()
			b.public[k] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	// Setting them up is not part of what is counted.
	proxy.mu.Lock()
	proxy.puts = map[string]int{}
	proxy.mu.Unlock()
	return b, s
}

func (b *aclBucket) setPublic(t *testing.T, key string) {
	_, err := b.s3.PutObjectAcl(context.Background(), &s3.PutObjectAclInput{Bucket: &b.name, Key: &key, AccessControlPolicy: &s3types.AccessControlPolicy{
		Owner: &s3types.Owner{ID: &b.owner},
		Grants: []s3types.Grant{
			{Grantee: &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: &b.owner}, Permission: s3types.PermissionFullControl},
			{Grantee: &s3types.Grantee{Type: s3types.TypeGroup, URI: sdkaws.String(allUsers)}, Permission: s3types.PermissionRead},
		},
	}})
	require.NoError(t, err)
}

// acl reads an object's grants as "TYPE:who:PERMISSION" sorted.
func (b *aclBucket) acl(t *testing.T, key string) string {
	out, err := b.s3.GetObjectAcl(context.Background(), &s3.GetObjectAclInput{Bucket: &b.name, Key: &key})
	require.NoError(t, err)
	var g []string
	for _, gr := range out.Grants {
		who := sdkaws.ToString(gr.Grantee.ID) + sdkaws.ToString(gr.Grantee.URI)
		g = append(g, string(gr.Grantee.Type)+":"+who+":"+string(gr.Permission))
	}
	slices.Sort(g)
	return strings.Join(g, " ")
}

func (b *aclBucket) keys(t *testing.T, prefix string) []string {
	var keys []string
	c := &Changer{S3: b.s3}
	require.NoError(t, c.ListKeys(context.Background(), b.name, prefix, "", func(k []string) error { keys = append(keys, k...); return nil }))
	return keys
}

func TestResetObjectACLsOnKumo(t *testing.T) {
	const n = 1234
	b, s := newACLBucket(t, n)
	e := newChangeEnv(t, s, false)
	ctx := context.Background()
	keys := b.keys(t, "public/")
	require.Len(t, keys, n)
	require.True(t, slices.IsSorted(keys))
	ownerOnly := "CanonicalUser:" + b.owner + ":FULL_CONTROL"
	publicACL := "CanonicalUser:" + b.owner + ":FULL_CONTROL Group:" + allUsers + ":READ"
	before := map[string]string{}
	for _, k := range keys {
		before[k] = b.acl(t, k)
	}
	assert.Equal(t, ownerOnly, before[keys[0]], "every tenth is private already")
	assert.Equal(t, publicACL, before[keys[1]])

	p := e.plan(t, "s3.reset-object-acls", map[string]string{"bucket": b.name, "prefix": "public/", "concurrency": "24"})
	require.NotNil(t, p.Bulk)
	assert.Equal(t, n, p.Bulk.Objects)
	assert.Equal(t, 24, p.Bulk.Concurrency)
	assert.Equal(t, b.name, p.ConfirmWord)
	assert.Equal(t, fmt.Sprintf("Reset the ACLs of %d object(s) under \"public/\" in bucket %s to owner-only", n, b.name), p.Title)
	assert.Contains(t, p.Diff, fmt.Sprintf("=== every object of bucket %s under \"public/\": %d object(s)", b.name, n))
	assert.Regexp(t, `(?m)^- +"URI": "`+allUsers+`"$`, p.Diff)
	assert.Contains(t, p.Diff, "(already as planned: nothing will be sent)")
	assert.Equal(t, "aws s3api put-object-acl --bucket "+b.name+" --key {key} --grant-full-control id="+b.owner+" --region us-east-1", p.Bulk.CLI)
	assert.Equal(t, "aws s3api list-objects-v2 --bucket "+b.name+" --prefix public/ --query 'Contents[].[Key]' --output text --region us-east-1 | while IFS= read -r key; do aws s3api put-object-acl --bucket "+b.name+` --key "$key" --grant-full-control id=`+b.owner+" --region us-east-1; done", p.CLI[0])

	var seen []app.BulkProgress
	run, err := e.svc.ApplyChangeWithProgress(ctx, e.inc, app.Profile{}, p.ID, b.name, func(bp app.BulkProgress) { seen = append(seen, bp) })
	require.NoError(t, err)
	assert.Equal(t, app.ChangeDone, run.Status)
	assert.True(t, run.Verified)
	require.NotNil(t, run.Bulk)
	wantPublic := 0
	require.True(t, b.public["other/keep.txt"])
	for _, k := range keys {
		if b.public[k] {
			wantPublic++
		}
	}
	assert.Equal(t, wantPublic, run.Bulk.Applied)
	assert.Equal(t, n-wantPublic, run.Bulk.Already)
	assert.Equal(t, 3, run.Bulk.Batches, "500 objects a batch")
	assert.True(t, run.Bulk.Listed)
	require.Len(t, seen, 3)
	assert.Equal(t, app.BulkProgress{Change: p.ID, Done: n, Total: n, Applied: wantPublic, Already: n - wantPublic, Batch: 3}, seen[2])
	assert.Equal(t, 500, seen[0].Done)
	for _, k := range keys {
		require.Equal(t, ownerOnly, b.acl(t, k), k)
	}
	assert.Equal(t, publicACL, b.acl(t, "other/keep.txt"), "outside the prefix nothing changes")
	puts := b.proxy.counts()
	assert.Len(t, puts, wantPublic, "one PutObjectAcl per public object, none for the private ones")
	for k, c := range puts {
		assert.Equal(t, 1, c, k)
	}

	// The journal holds one record per batch and one per batch result,
	// not two per object.
	recs, err := e.db.Journal(ctx, e.inc)
	require.NoError(t, err)
	kinds := map[app.JournalKind]int{}
	for _, r := range recs {
		if r.Change == p.ID {
			kinds[r.Kind]++
		}
	}
	assert.Equal(t, map[app.JournalKind]int{app.JournalPlanned: 1, app.JournalConfirmed: 1, app.JournalBatch: 3, app.JournalBatchResult: 3, app.JournalListed: 1, app.JournalNote: 1, app.JournalVerified: 1}, kinds)
	evs, err := e.svc.ListEvidence(ctx, e.inc)
	require.NoError(t, err)
	var states *app.Evidence
	for i := range evs {
		if strings.HasSuffix(evs[i].FileName, "-before.jsonl") {
			states = &evs[i]
		}
	}
	require.NotNil(t, states, "every object's earlier ACL is kept as evidence")
	assert.Contains(t, states.Title, fmt.Sprintf("of %d object(s)", wantPublic))
	tl := e.timelineText(t)
	assert.Contains(t, tl, fmt.Sprintf("Change %s carried out on %d object(s) of bucket %s: %d applied, %d already so", p.ID, n, b.name, wantPublic, n-wantPublic))
	assert.Contains(t, tl, fmt.Sprintf("Change %s verified: re-reading the %d object(s)", p.ID, n))

	// Undo puts each object's own ACL back, with one call per object the
	// change set.
	b.proxy.mu.Lock()
	b.proxy.puts = map[string]int{}
	b.proxy.mu.Unlock()
	undo, err := e.svc.UndoChange(ctx, e.inc, app.Profile{}, p.ID, b.name)
	require.NoError(t, err)
	assert.True(t, undo.Verified)
	assert.Equal(t, wantPublic, undo.Bulk.Applied)
	assert.Equal(t, 0, undo.Bulk.Already)
	for _, k := range keys {
		require.Equal(t, before[k], b.acl(t, k), k)
	}
	assert.Len(t, b.proxy.counts(), wantPublic)
	runs, err := e.svc.ChangeJournal(ctx, e.inc)
	require.NoError(t, err)
	for _, r := range runs {
		if r.Plan.ID == p.ID {
			assert.Equal(t, undo.Plan.ID, r.UndoneBy)
		}
	}
}

func TestResetObjectACLsStopAndResume(t *testing.T) {
	const n = 1100
	b, s := newACLBucket(t, n)
	e := newChangeEnv(t, s, false)
	keys := b.keys(t, "public/")
	p := e.plan(t, "s3.reset-object-acls", map[string]string{"bucket": b.name, "prefix": "public/"})

	// Cancel after the first batch: the run stops between batches with
	// every outcome journalled.
	ctx, cancel := context.WithCancel(context.Background())
	run, err := e.svc.ApplyChangeWithProgress(ctx, e.inc, app.Profile{}, p.ID, b.name, func(bp app.BulkProgress) {
		if bp.Batch == 1 {
			cancel()
		}
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, app.ChangeIncomplete, run.Status)
	assert.Equal(t, 500, run.Bulk.Objects)
	assert.False(t, run.Bulk.Listed)
	assert.Equal(t, keys[499], run.Bulk.Last)
	runs, err := e.svc.ChangeJournal(context.Background(), e.inc)
	require.NoError(t, err)
	assert.Contains(t, runs[0].Report(), `selection not finished`)
	assert.Contains(t, e.timelineText(t), "interrupted (stopped at your request) after 500 object(s)")

	// A public grant put back by someone on an object already done is
	// not this change's business any more: resume goes on after the
	// last key journalled.
	b.setPublic(t, keys[11])
	b.proxy.mu.Lock()
	b.proxy.puts["/"+b.name+"/"+keys[11]]-- // the test's own call
	b.proxy.mu.Unlock()
	resumed, err := e.svc.ResumeChanges(context.Background(), e.inc, app.Profile{})
	require.Error(t, err, "verification re-reads every object, those of the first run too")
	assert.Contains(t, err.Error(), "does not hold for 1 object(s)")
	require.Len(t, resumed, 1)
	assert.Equal(t, app.ChangeDone, resumed[0].Status, "every object was handled")
	assert.False(t, resumed[0].Verified)
	require.Len(t, resumed[0].Problems, 1)
	assert.Contains(t, resumed[0].Problems[0], keys[11])
	for _, k := range keys[12:] {
		require.Equal(t, "CanonicalUser:"+b.owner+":FULL_CONTROL", b.acl(t, k), k)
	}
	for k, c := range b.proxy.counts() {
		assert.Equal(t, 1, c, "%s set once across both runs", k)
	}
}

// TestResetListedKeys covers an explicit list of keys, the per-key
// commands, and the printed commands run with the AWS CLI.
func TestResetListedKeys(t *testing.T) {
	b, s := newACLBucket(t, 30)
	e := newChangeEnv(t, s, false)
	keys := b.keys(t, "public/")
	pick := []string{keys[1], keys[2], keys[3], "public/missing"}
	p := e.plan(t, "s3.reset-object-acls", map[string]string{"bucket": b.name, "keys": strings.Join(pick, "\n")})
	assert.Equal(t, 4, p.Bulk.Objects)
	assert.Equal(t, "aws s3api put-object-acl --bucket "+b.name+" --key '"+keys[1]+"' --grant-full-control id="+b.owner+" --region us-east-1", p.CLI[0])
	require.Len(t, p.CLI, 4)
	run, err := e.svc.ApplyChange(context.Background(), e.inc, app.Profile{}, p.ID, b.name)
	require.NoError(t, err)
	assert.Equal(t, 3, run.Bulk.Applied)
	assert.Equal(t, 1, run.Bulk.Gone, "a key that does not exist is reported, nothing is sent")
	assert.Equal(t, "CanonicalUser:"+b.owner+":FULL_CONTROL Group:"+allUsers+":READ", b.acl(t, keys[4]))

	// The loop and a per-key command, with the AWS CLI, against kumo.
	p2 := e.plan(t, "s3.reset-object-acls", map[string]string{"bucket": b.name, "prefix": "public/"})
	runCLI(t, p2.CLI[0], b.kumo, "http://127.0.0.1:9")
	for _, k := range keys {
		require.Equal(t, "CanonicalUser:"+b.owner+":FULL_CONTROL", b.acl(t, k), k)
	}
	b.setPublic(t, keys[5])
	runCLI(t, app.ObjectCommand(p2.Bulk.CLI, keys[5], nil), b.kumo, "http://127.0.0.1:9")
	assert.Equal(t, "CanonicalUser:"+b.owner+":FULL_CONTROL", b.acl(t, keys[5]))
	// An undo command with a saved state restores it.
	state, err := json.Marshal(aclState{Owner: aclOwner{ID: b.owner}, Grants: []aclGrant{
		{Grantee: aclGrantee{Type: "CanonicalUser", ID: b.owner}, Permission: "FULL_CONTROL"},
		{Grantee: aclGrantee{Type: "Group", URI: allUsers}, Permission: "READ"}}})
	require.NoError(t, err)
	runCLI(t, app.ObjectCommand(p2.Bulk.UndoCLI, keys[5], state), b.kumo, "http://127.0.0.1:9")
	assert.Equal(t, "CanonicalUser:"+b.owner+":FULL_CONTROL Group:"+allUsers+":READ", b.acl(t, keys[5]))

	_, err = e.svc.PlanChange(context.Background(), e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.reset-object-acls", Params: map[string]string{"bucket": b.name, "prefix": "nothing-here/"}})
	require.ErrorIs(t, err, app.ErrNoChange)
	_, err = e.svc.PlanChange(context.Background(), e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.reset-object-acls", Params: map[string]string{"bucket": b.name, "concurrency": "0"}})
	require.ErrorIs(t, err, app.ErrInvalid)
}
