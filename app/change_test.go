package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
	"s3responder/store"
)

// fakeAccount is an account held in memory: resources with JSON states,
// a log of every write, and hooks that let a test fail, cancel or inspect
// the world at the moment of a call. It is both the Cloud the connector
// hands out and the Mutator the change use cases look for in it.
type fakeAccount struct {
	mu        sync.Mutex
	id        app.Identity
	simulated bool
	states    map[string]string
	writes    []string
	reads     int
	// beforeWrite runs before the n-th write (1-based); an error fails the
	// write without changing anything.
	beforeWrite func(n int, r app.Resource) error
	// afterWrite runs after the n-th write took effect; an error is
	// returned as the call's error (the answer was lost, the change holds).
	afterWrite func(n int, r app.Resource) error
}

func newFakeAccount() *fakeAccount {
	return &fakeAccount{id: app.Identity{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/responder", UserID: "AIDARESPONDER"}, states: map[string]string{}}
}

func keyOf(r app.Resource) string {
	var parts []string
	for k, v := range r.ID {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return r.Kind + " " + strings.Join(parts, ",")
}

func keyResource(user, key string) app.Resource {
	return app.Resource{Kind: app.ResourceAccessKeyStatus, ID: map[string]string{"userName": user, "accessKeyId": key}, Name: "access key " + key + " of " + user}
}

func (f *fakeAccount) set(r app.Resource, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.states[keyOf(r)] = state
}

func (f *fakeAccount) get(r app.Resource) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.states[keyOf(r)]; ok {
		return s
	}
	return "null"
}

func (f *fakeAccount) writeLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.writes)
}

func (f *fakeAccount) Identity(context.Context) (app.Identity, error) { return f.id, nil }
func (f *fakeAccount) CheckBucket(context.Context, string) (app.BucketReport, error) {
	return app.BucketReport{}, errors.New("not used")
}
func (f *fakeAccount) ScanAccount(context.Context, app.Progress) ([]app.BucketReport, error) {
	return nil, errors.New("not used")
}
func (f *fakeAccount) Snapshot(context.Context, string) ([]app.Collected, error) {
	return nil, errors.New("not used")
}
func (f *fakeAccount) AccessChanges(context.Context, app.ChangeQuery, app.Progress) (app.ChangeReport, error) {
	return app.ChangeReport{}, errors.New("not used")
}

func (f *fakeAccount) Simulated() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.simulated
}

// PlanChange knows two actions: deactivating keys (every active key of a
// user, or one) and Block Public Access on a bucket.
func (f *fakeAccount) PlanChange(ctx context.Context, req app.ChangeRequest, by app.Identity) (app.Plan, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch req.Action {
	case "iam.deactivate-access-key":
		user := req.Params["userName"]
		var keys []string
		for k, s := range f.states {
			prefix := app.ResourceAccessKeyStatus + " accessKeyId="
			if strings.HasPrefix(k, prefix) && strings.HasSuffix(k, ",userName="+user) && s == `"Active"` {
				keys = append(keys, strings.TrimSuffix(strings.TrimPrefix(k, prefix), ",userName="+user))
			}
		}
		slices.Sort(keys)
		if one := req.Params["accessKeyId"]; one != "" {
			keys = []string{one}
		}
		plan := app.Plan{Action: req.Action, Title: "Deactivate access keys of " + user, Target: "user " + user, Reversible: true,
			Impact: []string{"Every program signing with these keys stops working, legitimate ones too."}}
		for _, k := range keys {
			plan.Steps = append(plan.Steps, app.ChangeStep{Resource: keyResource(user, k), Before: json.RawMessage(`"Active"`), After: json.RawMessage(`"Inactive"`),
				Call: "UpdateAccessKey", UndoCall: "UpdateAccessKey",
				CLI:     fmt.Sprintf("aws iam update-access-key --user-name %s --access-key-id %s --status Inactive", user, k),
				UndoCLI: fmt.Sprintf("aws iam update-access-key --user-name %s --access-key-id %s --status Active", user, k)})
		}
		if len(keys) > 1 {
			plan.Broad, plan.ConfirmWord = true, user
		}
		return plan, nil
	case "s3.block-public-access.bucket":
		b := req.Params["bucket"]
		r := app.Resource{Kind: app.ResourceBucketBPA, ID: map[string]string{"bucket": b}, Name: "Block Public Access of bucket " + b}
		before, ok := f.states[keyOf(r)]
		if !ok {
			before = "null"
		}
		return app.Plan{Action: req.Action, Title: "Block public access to " + b, Target: "bucket " + b, Broad: true, ConfirmWord: b, Reversible: true,
			Steps: []app.ChangeStep{{Resource: r, Before: json.RawMessage(before),
				After: json.RawMessage(`{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}`),
				Call:  "PutPublicAccessBlock", UndoCall: "DeletePublicAccessBlock",
				CLI: "aws s3api put-public-access-block --bucket " + b + " --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true", UndoCLI: "aws s3api delete-public-access-block --bucket " + b}}}, nil
	}
	return app.Plan{}, fmt.Errorf("fake cannot plan %s", req.Action)
}

func (f *fakeAccount) ReadState(ctx context.Context, r app.Resource) (json.RawMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.reads++
	f.mu.Unlock()
	return json.RawMessage(f.get(r)), nil
}

func (f *fakeAccount) WriteState(ctx context.Context, r app.Resource, state json.RawMessage) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	n := len(f.writes) + 1
	before, after := f.beforeWrite, f.afterWrite
	f.mu.Unlock()
	if before != nil {
		if err := before(n, r); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.writes = append(f.writes, keyOf(r)+" -> "+string(state))
	f.states[keyOf(r)] = string(state)
	f.mu.Unlock()
	if after != nil {
		return after(n, r)
	}
	return nil
}

var _ app.Mutator = (*fakeAccount)(nil)
var _ app.Cloud = (*fakeAccount)(nil)

// changeFixture is a service over a real bbolt file whose connector hands
// out the fake account, with a clock the test can move.
type changeFixture struct {
	svc   *app.Service
	db    *store.DB
	acct  *fakeAccount
	now   time.Time
	nowMu sync.Mutex
}

func newChangeFixture(t *testing.T) *changeFixture {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "incidents.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	f := &changeFixture{db: db, acct: newFakeAccount(), now: time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)}
	f.svc = app.NewService(db, builtin(t), "alice")
	f.svc.SetClock(func() time.Time {
		f.nowMu.Lock()
		defer f.nowMu.Unlock()
		f.now = f.now.Add(time.Second)
		return f.now
	})
	f.svc.SetConnector(func(context.Context, app.Profile) (app.Cloud, error) { return f.acct, nil })
	return f
}

func (f *changeFixture) advance(d time.Duration) {
	f.nowMu.Lock()
	defer f.nowMu.Unlock()
	f.now = f.now.Add(d)
}

func (f *changeFixture) incident(t *testing.T, exercise bool) string {
	t.Helper()
	c, err := f.svc.Create(context.Background(), app.NewIncident{Title: "Leaked keys", Exercise: exercise})
	require.NoError(t, err)
	return c.Incident.ID
}

// keys gives user bob n active keys.
func (f *changeFixture) keys(n int) []app.Resource {
	var out []app.Resource
	for i := range n {
		r := keyResource("bob", fmt.Sprintf("AKIAEXAMPLE%09d", i+1))
		f.acct.set(r, `"Active"`)
		out = append(out, r)
	}
	return out
}

func (f *changeFixture) timeline(t *testing.T, id string) []app.Entry {
	t.Helper()
	entries, err := f.svc.Timeline(context.Background(), id)
	require.NoError(t, err)
	_, err = f.svc.Verify(context.Background(), id)
	require.NoError(t, err, "the timeline chain must verify")
	return entries
}

func (f *changeFixture) journal(t *testing.T, id string) []app.JournalRecord {
	t.Helper()
	recs, err := f.db.Journal(context.Background(), id)
	require.NoError(t, err)
	return recs
}

var prod = app.Profile{Name: "prod"}

func TestPlanShowsEverythingAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	f := newChangeFixture(t)
	id := f.incident(t, false)
	keys := f.keys(2)

	plan, err := f.svc.PlanChange(ctx, id, prod, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "bob"}})
	require.NoError(t, err)
	assert.Regexp(t, `^CHG-20260314T0930\d\d-[2-9A-Z]{4}$`, plan.ID)
	assert.Equal(t, id, plan.Incident)
	assert.Equal(t, "111122223333", plan.Account)
	assert.Equal(t, f.acct.id.ARN, plan.Principal)
	assert.Equal(t, map[string]string{"userName": "bob"}, plan.Params)
	assert.True(t, plan.Broad)
	assert.Equal(t, "bob", plan.ConfirmWord, "two keys at once: the user's name must be typed")
	assert.True(t, plan.Reversible)
	assert.Equal(t, plan.CreatedAt.Add(time.Hour), plan.ExpiresAt)
	require.Len(t, plan.Steps, 2)
	assert.Equal(t, []int{1, 2}, []int{plan.Steps[0].N, plan.Steps[1].N})
	assert.JSONEq(t, `{"access key AKIAEXAMPLE000000001 of bob":"Active","access key AKIAEXAMPLE000000002 of bob":"Active"}`, string(plan.Before))
	assert.JSONEq(t, `{"access key AKIAEXAMPLE000000001 of bob":"Inactive","access key AKIAEXAMPLE000000002 of bob":"Inactive"}`, string(plan.After))
	assert.Equal(t, "=== access key AKIAEXAMPLE000000001 of bob (UpdateAccessKey)\n- \"Active\"\n+ \"Inactive\"\n"+
		"=== access key AKIAEXAMPLE000000002 of bob (UpdateAccessKey)\n- \"Active\"\n+ \"Inactive\"\n", plan.Diff)
	assert.Equal(t, []string{
		"aws iam update-access-key --user-name bob --access-key-id AKIAEXAMPLE000000001 --status Inactive",
		"aws iam update-access-key --user-name bob --access-key-id AKIAEXAMPLE000000002 --status Inactive",
	}, plan.CLI)

	assert.Empty(t, f.acct.writeLog(), "planning never writes")
	for _, r := range keys {
		assert.Equal(t, `"Active"`, f.acct.get(r))
	}
	runs, err := f.svc.ChangeJournal(ctx, id)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, app.ChangePlanned, runs[0].Status)
	assert.Equal(t, plan, runs[0].Plan, "the journal keeps the plan exactly as shown")
	entries := f.timeline(t, id)
	last := entries[len(entries)-1]
	assert.Equal(t, app.KindAction, last.Kind)
	assert.Contains(t, last.Text, "Planned change "+plan.ID)
	assert.Contains(t, last.Text, "Nothing sent yet")
	assert.Contains(t, last.Text, plan.CLI[1])

	one, err := f.svc.PlanChange(ctx, id, prod, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "bob", "accessKeyId": "AKIAEXAMPLE000000001"}})
	require.NoError(t, err)
	assert.False(t, one.Broad)
	assert.Equal(t, "yes", one.ConfirmWord, "one reversible key is confirmed with yes")
}

func TestPlanRefusesBadRequests(t *testing.T) {
	ctx := context.Background()
	f := newChangeFixture(t)
	id := f.incident(t, false)
	f.keys(1)
	for _, tc := range []struct {
		name   string
		req    app.ChangeRequest
		target error
		text   string
	}{
		{"not in the playbook", app.ChangeRequest{Action: "s3.delete-everything"}, app.ErrNotFound, "not in playbook"},
		{"read-only action", app.ChangeRequest{Action: "s3.exposure.check"}, app.ErrInvalid, "does not change the account"},
		{"unknown parameter", app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"user": "bob"}}, app.ErrInvalid, `takes no parameter "user"`},
		{"missing parameter", app.ChangeRequest{Action: "s3.block-public-access.bucket"}, app.ErrInvalid, "needs the parameter bucket"},
		{"nothing to change", app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "carol"}}, app.ErrNoChange, "nothing to change"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.PlanChange(ctx, id, prod, tc.req)
			require.ErrorIs(t, err, tc.target)
			assert.Contains(t, err.Error(), tc.text)
			runs, err := f.svc.ChangeJournal(ctx, id)
			require.NoError(t, err)
			assert.Empty(t, runs)
		})
	}
}

func TestApplyOrderEvidenceIntentCallResult(t *testing.T) {
	ctx := context.Background()
	f := newChangeFixture(t)
	id := f.incident(t, false)
	keys := f.keys(2)
	plan, err := f.svc.PlanChange(ctx, id, prod, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "bob"}})
	require.NoError(t, err)

	for _, typed := range []string{"", "yes", "Bob", "bob "} {
		_, err := f.svc.ApplyChange(ctx, id, prod, plan.ID, typed)
		require.ErrorIs(t, err, app.ErrNotConfirmed, "%q", typed)
		assert.Contains(t, err.Error(), `type "bob"`)
	}
	assert.Empty(t, f.acct.writeLog())
	assert.Len(t, f.journal(t, id), 1, "a refused confirmation writes nothing")
	evs, err := f.svc.ListEvidence(ctx, id)
	require.NoError(t, err)
	assert.Empty(t, evs)

	// At the moment of each call the evidence of the state before is
	// saved and the step's intent is the last committed record.
	var seen []string
	f.acct.beforeWrite = func(n int, r app.Resource) error {
		evs, err := f.db.Evidence(ctx, id)
		require.NoError(t, err)
		require.Len(t, evs, 1, "evidence first")
		recs := f.journal(t, id)
		last := recs[len(recs)-1]
		seen = append(seen, fmt.Sprintf("%s step %d", last.Kind, last.Step))
		assert.JSONEq(t, `"Active"`, string(last.State), "the intent records the state re-read just before")
		return nil
	}
	run, err := f.svc.ApplyChange(ctx, id, prod, plan.ID, "bob")
	require.NoError(t, err)
	assert.Equal(t, []string{"intent step 1", "intent step 2"}, seen)
	assert.Equal(t, app.ChangeDone, run.Status)
	assert.True(t, run.Verified)
	assert.Equal(t, "alice", run.ConfirmedBy)
	for _, r := range keys {
		assert.Equal(t, `"Inactive"`, f.acct.get(r))
	}
	assert.Len(t, f.acct.writeLog(), 2)

	evs, err = f.svc.ListEvidence(ctx, id)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, run.Evidence, evs[0].ID)
	assert.Equal(t, f.acct.id.ARN, evs[0].CollectedBy)
	assert.Equal(t, "State before change "+plan.ID+": Deactivate access keys of bob", evs[0].Title)
	content, err := f.db.EvidenceContent(ctx, evs[0].SHA256)
	require.NoError(t, err)
	assert.JSONEq(t, string(plan.Before), string(content))

	var kinds []string
	for _, r := range f.journal(t, id) {
		kinds = append(kinds, fmt.Sprintf("%s %d %s", r.Kind, r.Step, r.Outcome))
	}
	assert.Equal(t, []string{"planned 0 ", "confirmed 0 ", "intent 1 ", "result 1 applied", "intent 2 ", "result 2 applied", "verified 0 holds"}, kinds)

	var actions []string
	for _, e := range f.timeline(t, id) {
		if e.Kind == app.KindAction {
			actions = append(actions, e.Text)
		}
	}
	require.Len(t, actions, 5)
	assert.Contains(t, actions[1], "confirmed by alice")
	assert.Contains(t, actions[1], evs[0].ID)
	assert.Contains(t, actions[2], "step 1/2 applied: UpdateAccessKey on access key AKIAEXAMPLE000000001 of bob. AWS CLI equivalent: "+plan.CLI[0])
	assert.Contains(t, actions[3], "AWS CLI equivalent: "+plan.CLI[1])
	assert.Contains(t, actions[4], "verified")

	_, err = f.svc.ApplyChange(ctx, id, prod, plan.ID, "bob")
	require.ErrorIs(t, err, app.ErrInvalid, "a change is applied once; resume and undo do the rest")
	assert.Contains(t, err.Error(), "is done")
	assert.Len(t, f.acct.writeLog(), 2)
}

func TestApplyRefusesDriftStalenessAndOtherAccounts(t *testing.T) {
	ctx := context.Background()
	plan := func(t *testing.T, f *changeFixture, id string) app.Plan {
		t.Helper()
		p, err := f.svc.PlanChange(ctx, id, prod, app.ChangeRequest{Action: "s3.block-public-access.bucket", Params: map[string]string{"bucket": "acme"}})
		require.NoError(t, err)
		return p
	}
	bpa := app.Resource{Kind: app.ResourceBucketBPA, ID: map[string]string{"bucket": "acme"}}
	for _, tc := range []struct {
		name   string
		meddle func(f *changeFixture)
		target error
		text   string
	}{
		{"someone changed the resource", func(f *changeFixture) {
			f.acct.set(bpa, `{"BlockPublicAcls":true,"IgnorePublicAcls":false,"BlockPublicPolicy":false,"RestrictPublicBuckets":false}`)
		}, app.ErrConflict, "plan it again"},
		{"the plan is old", func(f *changeFixture) { f.advance(61 * time.Minute) }, app.ErrInvalid, "expired"},
		{"another account", func(f *changeFixture) {
			f.acct.id.Account = "999988887777"
			f.svc.SetConnector(func(context.Context, app.Profile) (app.Cloud, error) { return f.acct, nil })
		}, app.ErrInvalid, "planned in account 111122223333; the connection is to account 999988887777"},
		{"a simulated account for a real plan", func(f *changeFixture) { f.acct.simulated = true }, app.ErrInvalid, "planned on a real account and cannot be applied to a simulated one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newChangeFixture(t)
			id := f.incident(t, false)
			p := plan(t, f, id)
			tc.meddle(f)
			_, err := f.svc.ApplyChange(ctx, id, prod, p.ID, "acme")
			require.ErrorIs(t, err, tc.target)
			assert.Contains(t, err.Error(), tc.text)
			assert.Empty(t, f.acct.writeLog())
			evs, err := f.svc.ListEvidence(ctx, id)
			require.NoError(t, err)
			assert.Empty(t, evs)
			runs, err := f.svc.ChangeJournal(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, app.ChangePlanned, runs[0].Status)
		})
	}
}

func TestExerciseNeverChangesARealAccount(t *testing.T) {
	ctx := context.Background()
	exercise := app.Profile{Name: "drill", Exercise: true}
	t.Run("the mutator is not simulated", func(t *testing.T) {
		f := newChangeFixture(t)
		id := f.incident(t, true)
		f.keys(1)
		_, err := f.svc.PlanChange(ctx, id, exercise, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "bob"}})
		require.ErrorIs(t, err, app.ErrExercise)
		assert.Zero(t, f.acct.reads)

		// A plan made while the account was simulated cannot be applied
		// once the connection points at a real one.
		f.acct.simulated = true
		plan, err := f.svc.PlanChange(ctx, id, exercise, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "bob"}})
		require.NoError(t, err)
		assert.True(t, plan.Simulated)
		assert.Contains(t, strings.Join(plan.Notes, " "), "exercise incident")
		f.acct.simulated = false
		_, err = f.svc.ApplyChange(ctx, id, exercise, plan.ID, "yes")
		require.ErrorIs(t, err, app.ErrExercise)
		_, err = f.svc.ResumeChanges(ctx, id, exercise)
		require.NoError(t, err, "nothing confirmed, nothing to resume")
		assert.Empty(t, f.acct.writeLog())
	})
	t.Run("a simulated account works", func(t *testing.T) {
		f := newChangeFixture(t)
		f.acct.simulated = true
		id := f.incident(t, true)
		keys := f.keys(1)
		plan, err := f.svc.PlanChange(ctx, id, exercise, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "bob"}})
		require.NoError(t, err)
		_, err = f.svc.ApplyChange(ctx, id, exercise, plan.ID, "yes")
		require.NoError(t, err)
		assert.Equal(t, `"Inactive"`, f.acct.get(keys[0]))
	})
	t.Run("a real profile is refused before connecting", func(t *testing.T) {
		f := newChangeFixture(t)
		f.acct.simulated = true
		id := f.incident(t, true)
		_, err := f.svc.PlanChange(ctx, id, prod, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "bob"}})
		require.ErrorIs(t, err, app.ErrInvalid)
		assert.Contains(t, err.Error(), "is an exercise")
	})
}

// journalFailer fails the n-th journal append, as a full disk would.
type journalFailer struct {
	*store.DB
	mu    sync.Mutex
	calls int
	fail  int
}

func (j *journalFailer) AppendJournal(ctx context.Context, id string, rec app.JournalRecord, entries []app.Entry) (app.JournalRecord, error) {
	j.mu.Lock()
	j.calls++
	n := j.calls
	j.mu.Unlock()
	if n == j.fail {
		return app.JournalRecord{}, errors.New("write journal: no space left on device")
	}
	return j.DB.AppendJournal(ctx, id, rec, entries)
}

func TestResumeAfterEveryKindOfInterruption(t *testing.T) {
	ctx := context.Background()
	req := app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "bob"}}
	for _, tc := range []struct {
		name string
		// setup arranges the interruption of the first apply, which must
		// fail; the service is rebuilt afterwards, as after a restart.
		setup     func(f *changeFixture, cancel context.CancelFunc)
		failStore int
		// journal is what the journal says before the resume.
		journal []string
		// writes counts calls that reached the account, before and after.
		writesBefore, writesAfter int
	}{
		{
			name: "cancelled after the first call",
			setup: func(f *changeFixture, cancel context.CancelFunc) {
				f.acct.afterWrite = func(n int, _ app.Resource) error {
					if n == 1 {
						cancel()
					}
					return nil
				}
			},
			journal:      []string{app.OutcomeApplied, app.OutcomePending, app.OutcomePending},
			writesBefore: 1, writesAfter: 3,
		},
		{
			name: "the answer of the second call was lost",
			setup: func(f *changeFixture, _ context.CancelFunc) {
				f.acct.afterWrite = func(n int, _ app.Resource) error {
					if n == 2 {
						return errors.New("read tcp: connection reset by peer")
					}
					return nil
				}
			},
			journal:      []string{app.OutcomeApplied, app.OutcomeFailed, app.OutcomePending},
			writesBefore: 2, writesAfter: 3,
		},
		{
			name: "the second call was refused",
			setup: func(f *changeFixture, _ context.CancelFunc) {
				f.acct.beforeWrite = func(n int, _ app.Resource) error {
					if n == 2 {
						return errors.New("The credentials of the AWS profile \"prod\" have expired")
					}
					return nil
				}
			},
			journal:      []string{app.OutcomeApplied, app.OutcomeFailed, app.OutcomePending},
			writesBefore: 1, writesAfter: 3,
		},
		{
			// plan, confirmed, intent 1, result 1, intent 2, result 2: the
			// sixth append fails after the second call went through, as if
			// the process died between the call and its result.
			name:         "the result of the second call never reached the disk",
			failStore:    6,
			journal:      []string{app.OutcomeApplied, app.OutcomeInDoubt, app.OutcomePending},
			writesBefore: 2, writesAfter: 3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newChangeFixture(t)
			keys := f.keys(3)
			var st app.Store = f.db
			if tc.failStore > 0 {
				st = &journalFailer{DB: f.db, fail: tc.failStore}
			}
			f.svc = app.NewService(st, builtin(t), "alice")
			f.svc.SetClock(func() time.Time { f.advance(time.Second); return f.now })
			f.svc.SetConnector(func(context.Context, app.Profile) (app.Cloud, error) { return f.acct, nil })
			id := f.incident(t, false)
			plan, err := f.svc.PlanChange(ctx, id, prod, req)
			require.NoError(t, err)
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			if tc.setup != nil {
				tc.setup(f, cancel)
			}
			_, err = f.svc.ApplyChange(cctx, id, prod, plan.ID, "bob")
			require.Error(t, err)
			assert.Len(t, f.acct.writeLog(), tc.writesBefore)

			// Restart: a new service over the same file, healthy account.
			f.acct.beforeWrite, f.acct.afterWrite = nil, nil
			f.svc = app.NewService(f.db, builtin(t), "alice")
			f.svc.SetClock(func() time.Time { f.advance(time.Second); return f.now })
			f.svc.SetConnector(func(context.Context, app.Profile) (app.Cloud, error) { return f.acct, nil })
			runs, err := f.svc.ChangeJournal(ctx, id)
			require.NoError(t, err)
			require.Len(t, runs, 1)
			assert.Equal(t, app.ChangeIncomplete, runs[0].Status)
			var outcomes []string
			for _, s := range runs[0].Steps {
				outcomes = append(outcomes, s.Outcome)
			}
			assert.Equal(t, tc.journal, outcomes)
			report := runs[0].Report()
			assert.Contains(t, report, "step 1 applied")
			assert.Contains(t, report, "step 3 not applied")

			done, err := f.svc.ResumeChanges(ctx, id, prod)
			require.NoError(t, err)
			require.Len(t, done, 1)
			assert.Equal(t, app.ChangeDone, done[0].Status)
			assert.True(t, done[0].Verified)
			for _, r := range keys {
				assert.Equal(t, `"Inactive"`, f.acct.get(r))
			}
			// Every key was set exactly once across both runs.
			writes := f.acct.writeLog()
			assert.Len(t, writes, tc.writesAfter)
			counts := map[string]int{}
			for _, w := range writes {
				counts[w]++
			}
			for w, n := range counts {
				assert.Equal(t, 1, n, "written twice: %s", w)
			}
			for _, s := range done[0].Steps {
				assert.Equal(t, app.OutcomeApplied, s.Outcome, "step %d: every key was set by this change, even where the answer was lost", s.Step.N)
			}
			again, err := f.svc.ResumeChanges(ctx, id, prod)
			require.NoError(t, err)
			assert.Empty(t, again, "nothing left to resume")
			assert.Len(t, f.acct.writeLog(), tc.writesAfter)
			// So undo reverses all of them.
			_, err = f.svc.UndoChange(ctx, id, prod, plan.ID, "bob")
			require.NoError(t, err)
			for _, r := range keys {
				assert.Equal(t, `"Active"`, f.acct.get(r))
			}
			text := ""
			for _, e := range f.timeline(t, id) {
				text += e.Text + "\n"
			}
			assert.Contains(t, text, "Resuming change "+plan.ID)
		})
	}
}

func TestResumeStopsAtSomeoneElsesChange(t *testing.T) {
	ctx := context.Background()
	f := newChangeFixture(t)
	id := f.incident(t, false)
	keys := f.keys(2)
	plan, err := f.svc.PlanChange(ctx, id, prod, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "bob"}})
	require.NoError(t, err)
	cctx, cancel := context.WithCancel(ctx)
	f.acct.afterWrite = func(n int, _ app.Resource) error { cancel(); return nil }
	_, err = f.svc.ApplyChange(cctx, id, prod, plan.ID, "bob")
	require.Error(t, err)
	f.acct.afterWrite = nil
	// Meanwhile the second key was deleted and recreated... or simply
	// changed into something the plan did not foresee.
	f.acct.set(keys[1], `"Deleted"`)
	runs, err := f.svc.ResumeChanges(ctx, id, prod)
	require.ErrorIs(t, err, app.ErrConflict)
	require.Len(t, runs, 1)
	assert.Equal(t, app.OutcomeConflict, runs[0].Steps[1].Outcome)
	assert.Equal(t, `"Deleted"`, f.acct.get(keys[1]), "left alone")
	assert.Len(t, f.acct.writeLog(), 1)
}

func TestUndoRestoresThePreviousState(t *testing.T) {
	ctx := context.Background()
	f := newChangeFixture(t)
	id := f.incident(t, false)
	keys := f.keys(3)
	// The third key was already inactive: the change does not set it, so
	// undo must not activate it.
	f.acct.set(keys[2], `"Inactive"`)
	plan, err := f.svc.PlanChange(ctx, id, prod, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "bob"}})
	require.NoError(t, err)
	require.Len(t, plan.Steps, 2)
	// Between plan and apply someone else deactivates the second key.
	f.acct.set(keys[1], `"Inactive"`)
	run, err := f.svc.ApplyChange(ctx, id, prod, plan.ID, "bob")
	require.NoError(t, err)
	assert.Equal(t, []string{app.OutcomeApplied, app.OutcomeAlready}, []string{run.Steps[0].Outcome, run.Steps[1].Outcome})
	assert.Len(t, f.acct.writeLog(), 1)

	_, err = f.svc.UndoChange(ctx, id, prod, plan.ID, "yes")
	require.ErrorIs(t, err, app.ErrNotConfirmed)
	assert.Len(t, f.acct.writeLog(), 1)

	undo, err := f.svc.UndoChange(ctx, id, prod, plan.ID, "bob")
	require.NoError(t, err)
	assert.Equal(t, app.ChangeDone, undo.Status)
	assert.True(t, undo.Verified)
	assert.Equal(t, plan.ID, undo.Plan.UndoOf)
	require.Len(t, undo.Plan.Steps, 1, "only what the change itself set")
	assert.Equal(t, "aws iam update-access-key --user-name bob --access-key-id AKIAEXAMPLE000000001 --status Active", undo.Plan.CLI[0])
	assert.Equal(t, `"Active"`, f.acct.get(keys[0]))
	assert.Equal(t, `"Inactive"`, f.acct.get(keys[1]))
	assert.Equal(t, `"Inactive"`, f.acct.get(keys[2]))

	runs, err := f.svc.ChangeJournal(ctx, id)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, undo.Plan.ID, runs[0].UndoneBy)
	assert.Contains(t, runs[0].Summary(), "undone by "+undo.Plan.ID)
	_, err = f.svc.UndoChange(ctx, id, prod, plan.ID, "bob")
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "already undone")

	evs, err := f.svc.ListEvidence(ctx, id)
	require.NoError(t, err)
	assert.Len(t, evs, 2, "the undo saved the state it replaced too")
}

func TestUndoRefusesDriftAndUnfinishedChanges(t *testing.T) {
	ctx := context.Background()
	f := newChangeFixture(t)
	id := f.incident(t, false)
	f.keys(2)
	plan, err := f.svc.PlanChange(ctx, id, prod, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "bob"}})
	require.NoError(t, err)
	_, err = f.svc.UndoChange(ctx, id, prod, plan.ID, "bob")
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "was never applied")

	bpa := app.Resource{Kind: app.ResourceBucketBPA, ID: map[string]string{"bucket": "acme"}}
	plan, err = f.svc.PlanChange(ctx, id, prod, app.ChangeRequest{Action: "s3.block-public-access.bucket", Params: map[string]string{"bucket": "acme"}})
	require.NoError(t, err)
	_, err = f.svc.ApplyChange(ctx, id, prod, plan.ID, "acme")
	require.NoError(t, err)
	// Someone loosened one flag meanwhile: undoing would overwrite their
	// change with ours, so it is refused.
	drift := `{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":true}`
	f.acct.set(bpa, drift)
	_, err = f.svc.UndoChange(ctx, id, prod, plan.ID, "acme")
	require.ErrorIs(t, err, app.ErrConflict)
	assert.Len(t, f.acct.writeLog(), 1)
	assert.Equal(t, drift, f.acct.get(bpa), "left alone")
}

func TestChangeStateComparisonAndDiff(t *testing.T) {
	ctx := context.Background()
	f := newChangeFixture(t)
	id := f.incident(t, false)
	bpa := app.Resource{Kind: app.ResourceBucketBPA, ID: map[string]string{"bucket": "acme"}}
	// AWS answers with keys in its own order and lists of one as scalars:
	// the same state, so the plan applies and verifies.
	f.acct.set(bpa, `{"RestrictPublicBuckets":false,"BlockPublicPolicy":false,"IgnorePublicAcls":false,"BlockPublicAcls":true}`)
	plan, err := f.svc.PlanChange(ctx, id, prod, app.ChangeRequest{Action: "s3.block-public-access.bucket", Params: map[string]string{"bucket": "acme"}})
	require.NoError(t, err)
	assert.Equal(t, "=== Block Public Access of bucket acme (PutPublicAccessBlock)\n"+
		"  {\n"+
		"-   \"RestrictPublicBuckets\": false,\n"+
		"-   \"BlockPublicPolicy\": false,\n"+
		"-   \"IgnorePublicAcls\": false,\n"+
		"-   \"BlockPublicAcls\": true\n"+
		"+   \"BlockPublicAcls\": true,\n"+
		"+   \"IgnorePublicAcls\": true,\n"+
		"+   \"BlockPublicPolicy\": true,\n"+
		"+   \"RestrictPublicBuckets\": true\n"+
		"  }\n", plan.Diff)
	f.acct.set(bpa, `{ "BlockPublicAcls" : true , "IgnorePublicAcls":false,"BlockPublicPolicy":false,"RestrictPublicBuckets":false}`)
	run, err := f.svc.ApplyChange(ctx, id, prod, plan.ID, "acme")
	require.NoError(t, err)
	assert.True(t, run.Verified)

	plan, err = f.svc.PlanChange(ctx, id, prod, app.ChangeRequest{Action: "s3.block-public-access.bucket", Params: map[string]string{"bucket": "fresh"}})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(plan.Diff, "=== Block Public Access of bucket fresh (PutPublicAccessBlock)\n- (not set)\n+ {\n"), plan.Diff)
	assert.JSONEq(t, `{"Block Public Access of bucket fresh":null}`, string(plan.Before))
}

// TestAPlaybookActionThisBuildDoesNotKnowIsRefused: every change of the
// built-in playbook is carried out, but a team's own playbook may name
// one this build has no implementation of.
func TestAPlaybookActionThisBuildDoesNotKnowIsRefused(t *testing.T) {
	ctx := context.Background()
	text := strings.Replace(string(assets.Playbook), "\nparts:\n", `
  - id: s3.custom-quarantine
    title: Move objects to a quarantine bucket
    description: >-
      A team's own action.
    service: s3
    mutating: true

parts:
`, 1)
	pb, err := app.ParsePlaybook("team.yaml", []byte(text))
	require.NoError(t, err)
	f := newChangeFixture(t)
	f.svc = app.NewService(f.db, pb, "alice")
	f.svc.SetConnector(func(context.Context, app.Profile) (app.Cloud, error) { return f.acct, nil })
	id := f.incident(t, false)
	_, err = f.svc.PlanChange(ctx, id, prod, app.ChangeRequest{Action: "s3.custom-quarantine"})
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "this build cannot carry out s3.custom-quarantine yet")
	runs, err := f.svc.ChangeJournal(ctx, id)
	require.NoError(t, err)
	assert.Empty(t, runs)
}
