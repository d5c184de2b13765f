package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// bulkAccount is an account of objects in memory, each with a state
// ("public" or "private" as JSON strings), for the bulk change use cases:
// it lists keys, reads and writes each object, and counts the writes.
type bulkAccount struct {
	*fakeAccount
	omu     sync.Mutex
	objects map[string]string
	writes  map[string]int
	// failWrite, when set, fails the writes it returns an error for.
	failWrite func(key string) error
	// onWrite runs after a write took effect.
	onWrite func(key string)
}

func newBulkAccount(n int) *bulkAccount {
	b := &bulkAccount{fakeAccount: newFakeAccount(), objects: map[string]string{}, writes: map[string]int{}}
	for i := range n {
		b.objects[fmt.Sprintf("k/%04d", i)] = `"public"`
	}
	return b
}

func (b *bulkAccount) PlanChange(ctx context.Context, req app.ChangeRequest, by app.Identity) (app.Plan, error) {
	b.omu.Lock()
	n := len(b.objects)
	b.omu.Unlock()
	return app.Plan{Action: "s3.reset-object-acls", Title: "Make objects private", Target: "bucket b", Broad: true, ConfirmWord: "b", Reversible: true,
		Bulk: &app.BulkSpec{Bucket: "b", Objects: n, Resource: app.ResourceObjectACL, Call: "PutObjectAcl", UndoCall: "PutObjectAcl",
			CLI: "aws s3api put-object-acl --bucket b --key {key} --acl private", UndoCLI: "aws s3api put-object-acl --bucket b --key {key} --access-control-policy {state}", Concurrency: 8},
		Impact: []string{"Readers through ACLs lose access, legitimate ones too."}}, nil
}

func (b *bulkAccount) ReadState(ctx context.Context, r app.Resource) (json.RawMessage, error) {
	if r.Kind != app.ResourceObjectACL {
		return b.fakeAccount.ReadState(ctx, r)
	}
	b.omu.Lock()
	defer b.omu.Unlock()
	s, ok := b.objects[r.ID["key"]]
	if !ok {
		return json.RawMessage("null"), nil
	}
	return json.RawMessage(s), nil
}

func (b *bulkAccount) WriteState(ctx context.Context, r app.Resource, state json.RawMessage) error {
	key := r.ID["key"]
	if b.failWrite != nil {
		if err := b.failWrite(key); err != nil {
			return err
		}
	}
	b.omu.Lock()
	b.objects[key] = string(state)
	b.writes[key]++
	hook := b.onWrite
	b.omu.Unlock()
	if hook != nil {
		hook(key)
	}
	return nil
}

func (b *bulkAccount) ListKeys(ctx context.Context, bucket, prefix, startAfter string, page func([]string) error) error {
	b.omu.Lock()
	var keys []string
	for k := range b.objects {
		if k > startAfter && strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	b.omu.Unlock()
	slices.Sort(keys)
	for len(keys) > 0 {
		n := min(len(keys), 300)
		if err := page(keys[:n]); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

func (b *bulkAccount) TargetState(action string, spec app.BulkSpec, current json.RawMessage) (json.RawMessage, error) {
	return json.RawMessage(`"private"`), nil
}

func (b *bulkAccount) state(key string) string {
	b.omu.Lock()
	defer b.omu.Unlock()
	return b.objects[key]
}

func (b *bulkAccount) set(key, state string) {
	b.omu.Lock()
	defer b.omu.Unlock()
	b.objects[key] = state
}

func (b *bulkAccount) writeCounts() map[string]int {
	b.omu.Lock()
	defer b.omu.Unlock()
	out := map[string]int{}
	for k, v := range b.writes {
		out[k] = v
	}
	return out
}

var (
	_ app.Mutator     = (*bulkAccount)(nil)
	_ app.BulkMutator = (*bulkAccount)(nil)
)

func bulkFixture(t *testing.T, n int) (*changeFixture, *bulkAccount, string) {
	f := newChangeFixture(t)
	acct := newBulkAccount(n)
	acct.simulated = true
	f.svc.SetConnector(func(context.Context, app.Profile) (app.Cloud, error) { return acct, nil })
	return f, acct, f.incident(t, false)
}

func TestBulkEveryCallFailing(t *testing.T) {
	f, acct, id := bulkFixture(t, 1200)
	ctx := context.Background()
	acct.failWrite = func(string) error { return errors.New("AccessDenied: s3:PutObjectAcl") }
	plan, err := f.svc.PlanChange(ctx, id, app.Profile{}, app.ChangeRequest{Action: "s3.reset-object-acls", Params: map[string]string{"bucket": "b"}})
	require.NoError(t, err)
	run, err := f.svc.ApplyChange(ctx, id, app.Profile{}, plan.ID, "b")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "every call of the batch failed (batch 1, 500 calls): AccessDenied")
	assert.Equal(t, app.ChangeIncomplete, run.Status)
	assert.Equal(t, 500, run.Bulk.Failed, "it stops after the first batch instead of failing 1,200 times")
	assert.Len(t, run.Bulk.Open, 500)
	assert.Empty(t, acct.writeCounts())

	// With the permission granted, resume retries the failed ones (after
	// reading them) and goes on with the rest.
	acct.failWrite = nil
	runs, err := f.svc.ResumeChanges(ctx, id, app.Profile{})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, app.ChangeDone, runs[0].Status)
	assert.True(t, runs[0].Verified)
	assert.Equal(t, 1200, runs[0].Bulk.Applied)
	assert.Equal(t, 3, runs[0].Bulk.Batches-1, "one retry batch and three of the rest")
	for k, c := range acct.writeCounts() {
		require.Equal(t, 1, c, k)
	}
	assert.Len(t, acct.writeCounts(), 1200)
}

func TestBulkCancelConflictGoneAndUndo(t *testing.T) {
	f, acct, id := bulkFixture(t, 700)
	ctx, cancel := context.WithCancel(context.Background())
	plan, err := f.svc.PlanChange(ctx, id, app.Profile{}, app.ChangeRequest{Action: "s3.reset-object-acls", Params: map[string]string{"bucket": "b"}})
	require.NoError(t, err)
	acct.set("k/0003", `"private"`) // already as planned: never written
	var once sync.Once
	acct.onWrite = func(string) {
		if len(acct.writeCounts()) == 100 {
			once.Do(cancel) // stop in the middle of the first batch's calls
		}
	}
	run, err := f.svc.ApplyChange(ctx, id, app.Profile{}, plan.ID, "b")
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, app.ChangeIncomplete, run.Status)
	b := run.Bulk
	assert.Equal(t, 500, b.Objects)
	assert.Equal(t, 1, b.Already)
	assert.Equal(t, b.Applied+b.Pending, 499, "every object of the batch sent or left unsent, none lost")
	assert.Greater(t, b.Pending, 0)
	acct.onWrite = nil

	// Someone changes an object left unsent, and deletes another.
	var unsent []string
	for _, o := range b.Open {
		unsent = append(unsent, o.Key)
	}
	require.GreaterOrEqual(t, len(unsent), 2)
	acct.set(unsent[0], `"shared-with-partner"`)
	acct.omu.Lock()
	delete(acct.objects, unsent[1])
	acct.omu.Unlock()

	runs, err := f.svc.ResumeChanges(context.Background(), id, app.Profile{})
	require.ErrorContains(t, err, "1 object(s) are not in their planned state")
	require.Len(t, runs, 1)
	r := runs[0]
	assert.Equal(t, app.ChangeIncomplete, r.Status)
	assert.Equal(t, 1, r.Bulk.Conflict)
	assert.Equal(t, 1, r.Bulk.Gone)
	assert.Equal(t, 697, r.Bulk.Applied)
	assert.Equal(t, `"shared-with-partner"`, acct.state(unsent[0]), "a resource someone else changed is left alone")
	assert.Contains(t, r.Report(), "object conflict    "+unsent[0])
	for k, c := range acct.writeCounts() {
		require.Equal(t, 1, c, k)
	}

	// The person fixes it by hand; resume then finds it already so.
	acct.set(unsent[0], `"public"`)
	runs, err = f.svc.ResumeChanges(context.Background(), id, app.Profile{})
	require.NoError(t, err)
	assert.Equal(t, app.ChangeDone, runs[0].Status)
	assert.True(t, runs[0].Verified)
	assert.Equal(t, 698, runs[0].Bulk.Applied)

	// Undo restores every object this change set, and leaves alone one
	// that changed again since. Which objects the cancelled apply reached
	// depends on scheduling (the first batch's calls run concurrently), so
	// the two objects are taken from those the change wrote, in key order.
	var set []string
	for k := range acct.writeCounts() {
		set = append(set, k)
	}
	slices.Sort(set)
	require.Len(t, set, 698)
	first, again := set[0], set[1]
	acct.set(again, `"changed-again"`)
	undo, err := f.svc.UndoChange(context.Background(), id, app.Profile{}, plan.ID, "b")
	require.ErrorContains(t, err, "1 object(s) are not in their planned state")
	assert.Equal(t, 697, undo.Bulk.Applied)
	assert.Equal(t, 1, undo.Bulk.Conflict)
	assert.Equal(t, `"private"`, acct.state("k/0003"), "an object the change did not set is not undone")
	assert.Equal(t, `"public"`, acct.state(first))
	assert.Equal(t, `"changed-again"`, acct.state(again))
	assert.Contains(t, undo.Plan.CLI[0], "aws s3api put-object-acl --bucket b --key "+first+" --access-control-policy '\"public\"'")
	entries := f.timeline(t, id)
	var texts []string
	for _, e := range entries {
		texts = append(texts, e.Text)
	}
	all := strings.Join(texts, "\n")
	assert.Contains(t, all, "interrupted (stopped at your request) after 500 object(s)")
	assert.Contains(t, all, "Resuming change "+plan.ID)
}
