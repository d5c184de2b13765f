package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/store"
)

// uiAccount is an account held in memory for the Changes pane: resources
// with JSON states, a log of every write, and hooks to fail or hold a
// call. It is both the Cloud the connector hands out and the Mutator the
// change use cases look for in it. The real AWS actions are tested in the
// aws package; here the pane's flow is what is under test.
type uiAccount struct {
	mu        sync.Mutex
	simulated bool
	states    map[string]string
	writes    []string
	reads     int
	profiles  []app.Profile
	// afterWrite runs after the n-th write took effect; an error is the
	// call's answer (lost, though the change holds).
	afterWrite func(n int) error
	// objects are the keys of each bucket, for bulk changes.
	objects map[string][]string
	// writeGate, when set, runs before the n-th write takes effect (to
	// hold a call in flight).
	writeGate func(n int)
	// holdReads, when set, keeps every read waiting until it is closed or
	// the call is cancelled.
	holdReads chan struct{}
}

func newUIAccount(simulated bool) *uiAccount {
	return &uiAccount{simulated: simulated, states: map[string]string{}, objects: map[string][]string{}}
}

func resKey(r app.Resource) string {
	var parts []string
	for k, v := range r.ID {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return r.Kind + " " + strings.Join(parts, ",")
}

func bpaResource(bucket string) app.Resource {
	return app.Resource{Kind: app.ResourceBucketBPA, ID: map[string]string{"bucket": bucket}, Name: "Block Public Access of bucket " + bucket}
}

func keyRes(user, key string) app.Resource {
	return app.Resource{Kind: app.ResourceAccessKeyStatus, ID: map[string]string{"userName": user, "accessKeyId": key}, Name: "access key " + key + " of " + user}
}

func (a *uiAccount) set(r app.Resource, state string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.states[resKey(r)] = state
}

func (a *uiAccount) get(r app.Resource) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.states[resKey(r)]; ok {
		return s
	}
	return "null"
}

func (a *uiAccount) writeLog() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.writes)
}

func (a *uiAccount) readCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reads
}

func (a *uiAccount) Identity(context.Context) (app.Identity, error) {
	return app.Identity{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/responder", UserID: "AIDARESPONDER"}, nil
}
func (a *uiAccount) CheckBucket(context.Context, string) (app.BucketReport, error) {
	return app.BucketReport{}, errors.New("not used")
}
func (a *uiAccount) ScanAccount(context.Context, app.Progress) ([]app.BucketReport, error) {
	return nil, errors.New("not used")
}
func (a *uiAccount) Snapshot(context.Context, string) ([]app.Collected, error) {
	return nil, errors.New("not used")
}
func (a *uiAccount) AccessChanges(context.Context, app.ChangeQuery, app.Progress) (app.ChangeReport, error) {
	return app.ChangeReport{}, errors.New("not used")
}
func (a *uiAccount) Simulated() bool { return a.simulated }

const allBlocked = `{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}`

// PlanChange knows Block Public Access on a bucket (broad: its word is
// the bucket) and deactivating keys (broad only for several keys).
func (a *uiAccount) PlanChange(ctx context.Context, req app.ChangeRequest, _ app.Identity) (app.Plan, error) {
	if _, err := a.ReadState(ctx, app.Resource{}); err != nil {
		return app.Plan{}, err
	}
	switch req.Action {
	case "s3.block-public-access.bucket":
		b := req.Params["bucket"]
		r := bpaResource(b)
		before := a.get(r)
		if before == allBlocked {
			return app.Plan{Action: req.Action}, nil
		}
		return app.Plan{Action: req.Action, Title: "Block public access to " + b, Target: "bucket " + b, Broad: true, ConfirmWord: b, Reversible: true,
			Impact: []string{"Every anonymous reader of the bucket is refused, legitimate ones too (a public website, say)."},
			Steps: []app.ChangeStep{{Resource: r, Before: json.RawMessage(before), After: json.RawMessage(allBlocked),
				Call: "PutPublicAccessBlock", UndoCall: "DeletePublicAccessBlock",
				CLI:     "aws s3api put-public-access-block --bucket " + b + " --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
				UndoCLI: "aws s3api delete-public-access-block --bucket " + b}}}, nil
	case "iam.deactivate-access-key":
		user := req.Params["userName"]
		var keys []string
		if k := req.Params["accessKeyId"]; k != "" {
			keys = []string{k}
		} else {
			a.mu.Lock()
			for k, s := range a.states {
				prefix := app.ResourceAccessKeyStatus + " accessKeyId="
				if strings.HasPrefix(k, prefix) && strings.HasSuffix(k, ",userName="+user) && s == `"Active"` {
					keys = append(keys, strings.TrimSuffix(strings.TrimPrefix(k, prefix), ",userName="+user))
				}
			}
			a.mu.Unlock()
			slices.Sort(keys)
		}
		plan := app.Plan{Action: req.Action, Title: "Deactivate access keys of " + user, Target: "user " + user, Reversible: true,
			Impact: []string{"Every program signing with these keys stops working, legitimate ones too."}}
		for _, k := range keys {
			plan.Steps = append(plan.Steps, app.ChangeStep{Resource: keyRes(user, k), Before: json.RawMessage(`"Active"`), After: json.RawMessage(`"Inactive"`),
				Call: "UpdateAccessKey", UndoCall: "UpdateAccessKey",
				CLI:     fmt.Sprintf("aws iam update-access-key --user-name %s --access-key-id %s --status Inactive", user, k),
				UndoCLI: fmt.Sprintf("aws iam update-access-key --user-name %s --access-key-id %s --status Active", user, k)})
		}
		if len(keys) > 1 {
			plan.Broad, plan.ConfirmWord = true, user
		}
		return plan, nil
	case "s3.reset-object-acls":
		b := req.Params["bucket"]
		a.mu.Lock()
		keys := slices.Clone(a.objects[b])
		a.mu.Unlock()
		spec := &app.BulkSpec{Bucket: b, Objects: len(keys), Resource: app.ResourceObjectACL, Call: "PutObjectAcl", UndoCall: "PutObjectAcl",
			CLI: "aws s3api put-object-acl --bucket " + b + " --key {key} --acl private", UndoCLI: "aws s3api put-object-acl --bucket " + b + " --key {key} --access-control-policy {state}",
			Concurrency: 2, BatchSize: 2}
		for _, k := range keys[:min(2, len(keys))] {
			spec.Sample = append(spec.Sample, app.ObjectChange{Key: k, Before: json.RawMessage(a.get(objectRes(b, k))), After: json.RawMessage(`"private"`)})
		}
		return app.Plan{Action: req.Action, Title: "Make the object ACLs of " + b + " private", Target: "bucket " + b, Broad: true, ConfirmWord: b, Reversible: true,
			Impact: []string{"Readers who relied on an object's ACL are refused."}, Bulk: spec}, nil
	}
	return app.Plan{}, fmt.Errorf("the test account cannot plan %s", req.Action)
}

func objectRes(bucket, key string) app.Resource {
	return app.Resource{Kind: app.ResourceObjectACL, ID: map[string]string{"bucket": bucket, "key": key}, Name: "s3://" + bucket + "/" + key}
}

// ListKeys lists a bucket's keys in order, a page of two at a time.
func (a *uiAccount) ListKeys(ctx context.Context, bucket, prefix, startAfter string, page func(keys []string) error) error {
	a.mu.Lock()
	keys := slices.Clone(a.objects[bucket])
	a.mu.Unlock()
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		if k > startAfter && strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	for len(out) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(2, len(out))
		if err := page(out[:n]); err != nil {
			return err
		}
		out = out[n:]
	}
	return nil
}

// TargetState is the same for every object: private.
func (a *uiAccount) TargetState(string, app.BulkSpec, json.RawMessage) (json.RawMessage, error) {
	return json.RawMessage(`"private"`), nil
}

func (a *uiAccount) ReadState(ctx context.Context, r app.Resource) (json.RawMessage, error) {
	a.mu.Lock()
	hold := a.holdReads
	a.reads++
	a.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return json.RawMessage(a.get(r)), nil
}

func (a *uiAccount) WriteState(ctx context.Context, r app.Resource, state json.RawMessage) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a.mu.Lock()
	gate := a.writeGate
	n := len(a.writes) + 1
	a.mu.Unlock()
	if gate != nil {
		gate(n)
	}
	a.mu.Lock()
	a.writes = append(a.writes, resKey(r)+" -> "+string(state))
	a.states[resKey(r)] = string(state)
	after := a.afterWrite
	a.mu.Unlock()
	if after != nil {
		return after(n)
	}
	return nil
}

var (
	_ app.Cloud       = (*uiAccount)(nil)
	_ app.Mutator     = (*uiAccount)(nil)
	_ app.BulkMutator = (*uiAccount)(nil)
)

// changeUI is an incident on a real database, its workspace open on the
// Changes tab, over the in-memory account.
type changeUI struct {
	t    *testing.T
	h    *harness
	ws   *workspace
	p    *changesPane
	acct *uiAccount
	db   *store.DB
	id   string
}

const testBucket = "customer-exports"

func newChangeUI(t *testing.T, exercise, simulated bool) *changeUI {
	t.Helper()
	test.NewTempApp(t)
	db, _ := openStore(t, filepath.Join(t.TempDir(), "incidents.db"))
	svc := app.NewService(db, testPlaybook(t), "tester")
	acct := newUIAccount(simulated)
	svc.SetConnector(func(_ context.Context, p app.Profile) (app.Cloud, error) {
		acct.mu.Lock()
		acct.profiles = append(acct.profiles, p)
		acct.mu.Unlock()
		return acct, nil
	})
	c, err := svc.Create(context.Background(), app.NewIncident{Title: "Public exports", Buckets: []string{testBucket, "billing-archive"},
		Principals: []string{"bob"}, Exercise: exercise, TimeZone: "Europe/Paris"})
	require.NoError(t, err)
	h := openUI(t, svc)
	h.eventually(func() bool { return h.list() != nil && h.list().loading.Hidden }, "list never loaded")
	h.u.openIncident(c.Incident.ID)
	ws := h.loadedWorkspace(c.Incident.ID)
	f := &changeUI{t: t, h: h, ws: ws, p: paneOf[*changesPane](t, ws), acct: acct, db: db, id: c.Incident.ID}
	f.selectTab("Changes")
	return f
}

func (f *changeUI) selectTab(title string) {
	f.t.Helper()
	for _, it := range f.ws.tabs.Items {
		if it.Text == title {
			f.ws.tabs.Select(it)
			return
		}
	}
	f.t.Fatalf("no tab %q", title)
}

// idle waits until the pane's operation is over.
func (f *changeUI) idle(what string) {
	f.t.Helper()
	f.h.eventually(func() bool { return !f.p.running }, "%s never finished: %q", what, f.p.status.Text)
}

// plan fills the form like a person and presses Plan; it returns the plan
// the pane then shows.
func (f *changeUI) plan(action string, params map[string]string) app.Plan {
	f.t.Helper()
	text, ok := f.p.actionText[action]
	require.True(f.t, ok, "action %s not offered", action)
	f.p.action.SetSelected(text)
	for k, v := range params {
		f.p.param(k).SetText(v)
	}
	before := f.p.selected
	test.Tap(f.p.planBtn)
	f.idle("plan")
	f.h.eventually(func() bool {
		return f.p.selected != before && f.p.detail.run != nil && f.p.detail.run.Plan.ID == f.p.selected
	}, "the plan is not shown: %q", f.p.status.Text)
	return f.p.detail.run.Plan
}

// runOf is the change as the journal tells it now.
func (f *changeUI) runOf(changeID string) app.ChangeRun {
	f.t.Helper()
	runs, err := f.h.svc.ChangeJournal(context.Background(), f.id)
	require.NoError(f.t, err)
	for _, r := range runs {
		if r.Plan.ID == changeID {
			return r
		}
	}
	f.t.Fatalf("change %s is not in the journal", changeID)
	return app.ChangeRun{}
}

// kinds lists the journal record kinds of a change, in order.
func (f *changeUI) kinds(changeID string) []string {
	f.t.Helper()
	recs, err := f.db.Journal(context.Background(), f.id)
	require.NoError(f.t, err)
	var out []string
	for _, r := range recs {
		if r.Change == changeID {
			out = append(out, string(r.Kind))
		}
	}
	return out
}

// confirmWith opens the confirmation of the plan shown, types word (if
// the dialog asks for one) and presses the button.
func (f *changeUI) confirmWith(word string) {
	f.t.Helper()
	test.Tap(f.p.detail.apply)
	cd := f.p.confirm
	require.NotNil(f.t, cd, "Apply did not ask for a confirmation")
	if cd.word != nil {
		test.Type(cd.word, word)
	}
	require.False(f.t, cd.ok.Disabled(), "the confirmation button stays disabled after typing %q", word)
	test.Tap(cd.ok)
	f.idle("apply")
}

// diffText is what the diff shows, line by line.
func diffText(rt *widget.RichText) string {
	var b strings.Builder
	for _, s := range rt.Segments {
		b.WriteString(s.Textual())
		b.WriteByte('\n')
	}
	return b.String()
}

// diffColour is the colour of the diff line with text.
func diffColour(t *testing.T, rt *widget.RichText, text string) fyne.ThemeColorName {
	t.Helper()
	for _, s := range rt.Segments {
		if ts, ok := s.(*widget.TextSegment); ok && ts.Text == text {
			return ts.Style.ColorName
		}
	}
	t.Fatalf("no diff line %q in\n%s", text, diffText(rt))
	return ""
}

func TestChangesOffersTheImplementedActions(t *testing.T) {
	f := newChangeUI(t, false, false)
	var want []string
	for _, def := range f.ws.pb.Actions {
		if def.Mutating && slices.ContainsFunc(app.ChangeActions(), func(a app.ChangeAction) bool { return a.ID == def.ID }) {
			want = append(want, f.p.actionText[def.ID])
		}
	}
	require.NotEmpty(t, want)
	assert.Equal(t, want, f.p.action.Options, "the playbook's mutating actions this build carries out, in its order")
	assert.NotContains(t, f.p.actionText, "s3.exposure.check", "read-only actions are not changes")
	assert.True(t, f.p.empty.Visible(), "an empty journal says so")
	assert.True(t, f.p.detail.apply.Disabled())
	assert.False(t, f.p.exercise.Visible(), "no exercise banner for a real incident")

	// Parameters are laid out per action, with their help; a value typed
	// for one action is still there after switching away and back.
	f.p.action.SetSelected(f.p.actionText["iam.deactivate-access-key"])
	f.p.param("userName").SetText("bob")
	f.p.action.SetSelected(f.p.actionText["s3.block-public-access.bucket"])
	assert.Len(t, f.p.paramBox.Objects, 1, "one field: the bucket")
	f.p.action.SetSelected(f.p.actionText["iam.deactivate-access-key"])
	assert.Equal(t, "bob", f.p.param("userName").Text)
	def, _ := f.ws.pb.Action("iam.deactivate-access-key")
	assert.Equal(t, def.Description, f.p.about.Text, "the playbook's description is shown")
	assert.True(t, f.p.about.Visible())

	// A required parameter missing is said before anything is asked of AWS.
	f.p.action.SetSelected(f.p.actionText["s3.block-public-access.bucket"])
	f.p.param("bucket").SetText("")
	test.Tap(f.p.planBtn)
	assert.False(t, f.p.running)
	assert.Equal(t, "Cannot plan yet: Bucket is needed: bucket name.", f.p.status.Text)
	assert.Equal(t, 0, f.acct.readCount(), "nothing was read")
}

func TestChangesPlanShowsDiffImpactAndCLI(t *testing.T) {
	f := newChangeUI(t, false, false)
	plan := f.plan("s3.block-public-access.bucket", map[string]string{"bucket": testBucket})
	d := f.p.detail

	assert.Equal(t, "Block public access to "+testBucket, d.title.Text)
	assert.Contains(t, d.meta.Text, "account 111122223333")
	assert.Equal(t, "Planned, nothing sent yet. Apply… asks you to type "+testBucket+" to confirm it (valid until "+
		formatWhenZone(plan.ExpiresAt, f.ws.c.Incident.Location())+").", d.state.Text)

	text := diffText(d.diff)
	assert.Contains(t, text, "Block Public Access of bucket "+testBucket+" (PutPublicAccessBlock)\n- (not set)\n+ {\n+   \"BlockPublicAcls\": true,\n")
	assert.Equal(t, theme.ColorNameError, diffColour(t, d.diff, "- (not set)"), "the state now in red")
	assert.Equal(t, theme.ColorNameSuccess, diffColour(t, d.diff, `+   "BlockPublicAcls": true,`), "the state after in green")
	for _, s := range d.diff.Segments[1:] {
		assert.True(t, s.(*widget.TextSegment).Style.TextStyle.Monospace, "the states are monospace: %q", s.Textual())
	}

	assert.True(t, d.impactBx.Visible())
	assert.Equal(t, "• Every anonymous reader of the bucket is refused, legitimate ones too (a public website, say).", d.impact.Text)
	assert.Equal(t, plan.CLI[0], d.cli.Text)
	assert.True(t, strings.HasPrefix(d.cli.Text, "aws s3api put-public-access-block --bucket "+testBucket))
	test.Type(d.cli, "rm -rf ")
	assert.Equal(t, plan.CLI[0], d.cli.Text, "the commands cannot be edited")
	test.Tap(d.copyBtn)
	assert.Equal(t, plan.CLI[0], fyne.CurrentApp().Clipboard().Content(), "Copy puts the commands on the clipboard")
	assert.Contains(t, d.undo.Text, "Can be undone")
	require.Len(t, d.stepsBox.Objects, 1)
	assert.Equal(t, "1. not applied: PutPublicAccessBlock on Block Public Access of bucket "+testBucket, d.stepsBox.Objects[0].(*widget.Label).Text)

	assert.False(t, d.apply.Disabled())
	assert.False(t, d.replan.Disabled())
	assert.True(t, d.undoBt.Disabled(), "nothing applied, nothing to undo")
	assert.True(t, d.resume.Disabled())

	assert.Empty(t, f.acct.writeLog(), "planning sends nothing")
	assert.Equal(t, []string{"planned"}, f.kinds(plan.ID))
	f.h.eventually(func() bool { return strings.Contains(timelineText(f.ws), "Planned change "+plan.ID) }, "the plan is not on the timeline")
	require.Len(t, f.p.runs, 1)
	assert.Equal(t, "planned, nothing sent", runState(f.p.runs[0]))
}

func TestChangesApplyRefusedUntilTheWordIsTyped(t *testing.T) {
	f := newChangeUI(t, false, false)
	plan := f.plan("s3.block-public-access.bucket", map[string]string{"bucket": testBucket})
	d := f.p.detail

	test.Tap(d.apply)
	cd := f.p.confirm
	require.NotNil(t, cd)
	require.NotNil(t, cd.word, "a broad change asks for its word")
	assert.True(t, cd.ok.Disabled())
	for _, wrong := range []string{"yes", "customer-export", "Customer-Exports", testBucket + " "} {
		cd.word.SetText(wrong)
		assert.True(t, cd.ok.Disabled(), "%q must not confirm", wrong)
		test.Tap(cd.ok)
		cd.word.OnSubmitted(wrong)
	}
	assert.NotNil(t, f.p.confirm, "the dialog stays up")
	test.Tap(cd.cancel)
	assert.Nil(t, f.p.confirm)
	f.h.loop.drain()
	assert.False(t, f.p.running)
	assert.Empty(t, f.acct.writeLog(), "nothing sent without the word")
	assert.Equal(t, []string{"planned"}, f.kinds(plan.ID))

	f.confirmWith(testBucket)
	assert.Equal(t, widget.SuccessImportance, f.p.status.Importance, f.p.status.Text)
	assert.Equal(t, "Change "+plan.ID+" applied and verified. Each call is on the timeline with its AWS CLI equivalent.", f.p.status.Text)
	assert.Equal(t, []string{app.ResourceBucketBPA + " bucket=" + testBucket + " -> " + allBlocked}, f.acct.writeLog())
	assert.Equal(t, []string{"planned", "confirmed", "intent", "result", "verified"}, f.kinds(plan.ID))

	f.h.eventually(func() bool { return d.run != nil && d.run.Status == app.ChangeDone }, "the pane does not show the change done")
	assert.Equal(t, "Applied and verified: re-reading the account shows every planned state in place.", d.state.Text)
	assert.Equal(t, widget.SuccessImportance, d.state.Importance)
	assert.Equal(t, "1. applied: PutPublicAccessBlock on Block Public Access of bucket "+testBucket, d.stepsBox.Objects[0].(*widget.Label).Text)
	assert.Contains(t, d.evidence.Text, "The state before the change is saved as evidence EV-")
	assert.True(t, d.apply.Disabled(), "a change is applied once")
	assert.False(t, d.undoBt.Disabled())
	assert.False(t, f.p.progressRow.Visible(), "the bar goes away at the end")

	f.h.eventually(func() bool {
		tl := timelineText(f.ws)
		return strings.Contains(tl, "Change "+plan.ID+" step 1/1 applied: PutPublicAccessBlock") && strings.Contains(tl, "Change "+plan.ID+" verified")
	}, "the timeline was not refreshed:\n%s", timelineText(f.ws))
	assert.Contains(t, timelineText(f.ws), "AWS CLI equivalent: "+plan.CLI[0])
	evs, err := f.h.svc.ListEvidence(context.Background(), f.id)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "State before change "+plan.ID+": "+plan.Title, evs[0].Title)
}

func TestChangesNarrowChangeIsAPlainConfirm(t *testing.T) {
	f := newChangeUI(t, false, false)
	key := keyRes("bob", "AKIAEXAMPLE000000001")
	f.acct.set(key, `"Active"`)
	plan := f.plan("iam.deactivate-access-key", map[string]string{"userName": "bob", "accessKeyId": "AKIAEXAMPLE000000001"})
	assert.False(t, plan.Broad)
	assert.Contains(t, f.p.detail.state.Text, "Apply… asks you to confirm it (valid until ")
	test.Tap(f.p.detail.apply)
	cd := f.p.confirm
	require.NotNil(t, cd)
	assert.Nil(t, cd.word, "no word to type for a narrow change")
	assert.False(t, cd.ok.Disabled())
	assert.Empty(t, f.acct.writeLog(), "opening the dialog sends nothing")
	test.Tap(cd.ok)
	f.idle("apply")
	assert.Equal(t, `"Inactive"`, f.acct.get(key))
	assert.Equal(t, app.ChangeDone, f.runOf(plan.ID).Status)
}

func TestChangesProgressFollowsTheJournal(t *testing.T) {
	f := newChangeUI(t, false, false)
	k1, k2 := keyRes("bob", "AKIAEXAMPLE000000001"), keyRes("bob", "AKIAEXAMPLE000000002")
	f.acct.set(k1, `"Active"`)
	f.acct.set(k2, `"Active"`)
	gate, held := make(chan struct{}), make(chan struct{})
	f.acct.writeGate = func(n int) {
		if n == 2 {
			close(held)
			<-gate
		}
	}
	f.plan("iam.deactivate-access-key", map[string]string{"userName": "bob"})
	test.Tap(f.p.detail.apply)
	test.Type(f.p.confirm.word, "bob")
	test.Tap(f.p.confirm.ok)
	<-held
	// The second call is in flight: the bar and the steps say so, from
	// what the service has journalled.
	d := f.p.detail
	f.h.eventually(func() bool {
		return f.p.progress.Visible() && f.p.progress.Max == 2 && f.p.progress.Value == 1 &&
			d.run != nil && len(d.run.Steps) == 2 && d.run.Steps[1].Outcome == app.OutcomeInDoubt
	}, "the progress does not follow the calls")
	assert.True(t, f.p.running)
	assert.Equal(t, app.OutcomeApplied, d.run.Steps[0].Outcome)
	assert.Equal(t, "2. in doubt: UpdateAccessKey on access key AKIAEXAMPLE000000002 of bob", d.stepsBox.Objects[1].(*widget.Label).Text)
	assert.True(t, d.undoBt.Disabled(), "nothing else while a change runs")
	assert.True(t, d.resume.Disabled())
	assert.True(t, f.p.planBtn.Disabled())
	close(gate)
	f.idle("apply")
	assert.False(t, f.p.progressRow.Visible())
	f.h.eventually(func() bool { return d.run.Status == app.ChangeDone && d.run.Verified }, "the change is not shown done")
}

func TestChangesBulk(t *testing.T) {
	f := newChangeUI(t, false, false)
	var keys []string
	for i := range 5 {
		k := fmt.Sprintf("exports/2026-03-%02d.csv", i+1)
		keys = append(keys, k)
		f.acct.set(objectRes(testBucket, k), `"public-read"`)
	}
	f.acct.objects[testBucket] = keys
	plan := f.plan("s3.reset-object-acls", map[string]string{"bucket": testBucket})
	d := f.p.detail
	require.NotNil(t, plan.Bulk)
	assert.Contains(t, d.meta.Text, "5 objects")
	text := diffText(d.diff)
	assert.Contains(t, text, "every object of bucket "+testBucket+": 5 object(s)")
	assert.Contains(t, text, "- \"public-read\"\n+ \"private\"")
	assert.Equal(t, "Objects", d.stepsHd.Text)
	require.Len(t, d.stepsBox.Objects, 1)
	assert.Equal(t, "5 objects: one PutObjectAcl each, 2 at a time, journalled 2 at a time.", d.stepsBox.Objects[0].(*widget.Label).Text)

	test.Tap(d.apply)
	require.NotNil(t, f.p.confirm.word)
	test.Type(f.p.confirm.word, testBucket)
	test.Tap(f.p.confirm.ok)
	f.idle("bulk apply")
	assert.Equal(t, widget.SuccessImportance, f.p.status.Importance, f.p.status.Text)
	assert.Equal(t, float64(5), f.p.progress.Max, "the bar counted objects")
	assert.Equal(t, float64(5), f.p.progress.Value)
	for _, k := range keys {
		assert.Equal(t, `"private"`, f.acct.get(objectRes(testBucket, k)), k)
	}
	assert.Len(t, f.acct.writeLog(), 5)
	f.h.eventually(func() bool { return d.run != nil && d.run.Status == app.ChangeDone }, "the bulk change is not shown done")
	assert.Equal(t, "applied and verified", runState(*d.run))
	assert.Equal(t, "5 applied, 0 already so, 0 gone, 0 failed, 0 conflicting, 0 in doubt, 0 not sent, in 3 batches.", d.stepsBox.Objects[0].(*widget.Label).Text)
	assert.Equal(t, widget.SuccessImportance, d.stepsBox.Objects[0].(*widget.Label).Importance)
}

func TestChangesUndo(t *testing.T) {
	f := newChangeUI(t, false, false)
	plan := f.plan("s3.block-public-access.bucket", map[string]string{"bucket": testBucket})
	f.confirmWith(testBucket)
	require.Equal(t, allBlocked, f.acct.get(bpaResource(testBucket)))
	d := f.p.detail
	f.h.eventually(func() bool { return !d.undoBt.Disabled() }, "Undo is not offered")

	test.Tap(d.undoBt)
	f.idle("plan undo")
	f.h.eventually(func() bool { return d.run != nil && d.run.Plan.UndoOf == plan.ID }, "the undo plan is not shown: %q", f.p.status.Text)
	undo := d.run.Plan
	assert.Equal(t, "Undo "+plan.ID+": "+plan.Title, d.title.Text)
	assert.Equal(t, "Apply undo…", d.apply.Text)
	assert.Contains(t, diffText(d.diff), "+ (not set)")
	assert.Equal(t, "aws s3api delete-public-access-block --bucket "+testBucket, d.cli.Text)
	assert.Contains(t, f.p.status.Text, "Undo planned as "+undo.ID+". Nothing was sent.")
	assert.Contains(t, d.state.Text, "Planned, nothing sent yet.")
	assert.Len(t, f.acct.writeLog(), 1, "planning the undo sends nothing")

	test.Tap(d.apply)
	require.NotNil(t, f.p.confirm)
	require.NotNil(t, f.p.confirm.word, "the undo asks for the same word as the change")
	assert.True(t, f.p.confirm.ok.Disabled())
	test.Tap(f.p.confirm.cancel)
	f.confirmWith(testBucket)
	assert.Equal(t, "null", f.acct.get(bpaResource(testBucket)), "undo restores the state before")
	assert.Len(t, f.acct.writeLog(), 2)
	assert.Equal(t, undo.ID, f.runOf(plan.ID).UndoneBy)

	f.h.eventually(func() bool {
		r, ok := f.p.run(plan.ID)
		return ok && r.UndoneBy == undo.ID
	}, "the journal does not show the undo")
	r, _ := f.p.run(plan.ID)
	assert.Equal(t, "applied and verified, undone by "+undo.ID, runState(r))
	assert.Equal(t, widget.LowImportance, runImportance(r))
	f.p.list.Select(slices.IndexFunc(f.p.runs, func(r app.ChangeRun) bool { return r.Plan.ID == plan.ID }))
	assert.Equal(t, plan.ID, d.run.Plan.ID)
	assert.True(t, d.undoBt.Disabled(), "a change is undone once")
}

func TestChangesResumeAfterALostAnswer(t *testing.T) {
	f := newChangeUI(t, false, false)
	k1, k2 := keyRes("bob", "AKIAEXAMPLE000000001"), keyRes("bob", "AKIAEXAMPLE000000002")
	f.acct.set(k1, `"Active"`)
	f.acct.set(k2, `"Active"`)
	// The first call reaches IAM and takes effect, but its answer is lost.
	f.acct.afterWrite = func(n int) error {
		if n == 1 {
			return errors.New("read tcp 10.0.0.5:50012->52.94.225.1:443: read: connection reset by peer")
		}
		return nil
	}
	plan := f.plan("iam.deactivate-access-key", map[string]string{"userName": "bob"})
	require.True(t, plan.Broad)
	f.confirmWith("bob")
	assert.Equal(t, widget.DangerImportance, f.p.status.Importance)
	assert.Equal(t, "Change "+plan.ID+" did not finish: step 1: UpdateAccessKey on access key AKIAEXAMPLE000000001 of bob: "+
		"read tcp 10.0.0.5:50012->52.94.225.1:443: read: connection reset by peer. Its steps say what was sent; Resume… finishes it.", f.p.status.Text)
	d := f.p.detail
	f.h.eventually(func() bool { return d.run != nil && d.run.Status == app.ChangeIncomplete }, "the change is not shown incomplete")
	assert.Equal(t, "1. failed: UpdateAccessKey on access key AKIAEXAMPLE000000001 of bob", d.stepsBox.Objects[0].(*widget.Label).Text)
	assert.Equal(t, widget.DangerImportance, d.stepsBox.Objects[0].(*widget.Label).Importance)
	assert.Contains(t, d.stepsBox.Objects[1].(*widget.Label).Text, "connection reset by peer")
	assert.Equal(t, "2. not applied: UpdateAccessKey on access key AKIAEXAMPLE000000002 of bob", d.stepsBox.Objects[2].(*widget.Label).Text)
	assert.False(t, d.resume.Disabled())
	assert.True(t, d.apply.Disabled(), "a confirmed change is finished with Resume, not applied again")

	f.acct.afterWrite = nil
	test.Tap(d.resume)
	require.NotNil(t, f.p.confirm, "Resume shows what it would do first")
	assert.Nil(t, f.p.confirm.word)
	test.Tap(f.p.confirm.cancel)
	f.h.loop.drain()
	assert.Len(t, f.acct.writeLog(), 1, "nothing resumed without the confirmation")

	test.Tap(d.resume)
	test.Tap(f.p.confirm.ok)
	f.idle("resume")
	assert.Equal(t, widget.SuccessImportance, f.p.status.Importance, f.p.status.Text)
	assert.Equal(t, []string{
		resKey(k1) + ` -> "Inactive"`,
		resKey(k2) + ` -> "Inactive"`,
	}, f.acct.writeLog(), "the first key is re-read and not sent again")
	run := f.runOf(plan.ID)
	assert.Equal(t, app.ChangeDone, run.Status)
	assert.True(t, run.Verified)
	assert.Equal(t, app.OutcomeApplied, run.Steps[0].Outcome, "the lost call counts as this change's")
}

func TestChangesResumeAStepInDoubt(t *testing.T) {
	f := newChangeUI(t, false, false)
	ctx := context.Background()
	k1, k2 := keyRes("bob", "AKIAEXAMPLE000000001"), keyRes("bob", "AKIAEXAMPLE000000002")
	f.acct.set(k1, `"Active"`)
	f.acct.set(k2, `"Active"`)
	// A crash during the first call: the journal has its intent and no
	// result, and the call went through.
	plan, err := f.h.svc.PlanChange(ctx, f.id, app.Profile{}, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "bob"}})
	require.NoError(t, err)
	now := time.Now().UTC()
	_, err = f.db.AppendJournal(ctx, f.id, app.JournalRecord{Change: plan.ID, Kind: app.JournalConfirmed, Actor: "tester", At: now}, nil)
	require.NoError(t, err)
	_, err = f.db.AppendJournal(ctx, f.id, app.JournalRecord{Change: plan.ID, Kind: app.JournalIntent, Step: 1, State: json.RawMessage(`"Active"`), Actor: "tester", At: now}, nil)
	require.NoError(t, err)
	f.acct.set(k1, `"Inactive"`)

	f.ws.load()
	d := f.p.detail
	f.h.eventually(func() bool { return d.run != nil && d.run.Plan.ID == plan.ID && d.run.Status == app.ChangeIncomplete }, "the interrupted change is not shown")
	assert.Equal(t, "INCOMPLETE: 0 of 2 steps applied, one in doubt", runState(*d.run))
	assert.Equal(t, "1. in doubt: UpdateAccessKey on access key AKIAEXAMPLE000000001 of bob", d.stepsBox.Objects[0].(*widget.Label).Text)
	assert.Equal(t, widget.DangerImportance, d.stepsBox.Objects[0].(*widget.Label).Importance)
	assert.Equal(t, widget.DangerImportance, runImportance(*d.run))

	test.Tap(d.resume)
	require.NotNil(t, f.p.confirm)
	test.Tap(f.p.confirm.ok)
	f.idle("resume")
	assert.Equal(t, []string{resKey(k2) + ` -> "Inactive"`}, f.acct.writeLog(), "only the step not in place is sent")
	f.h.eventually(func() bool { return d.run != nil && d.run.Status == app.ChangeDone && d.run.Verified }, "the resumed change is not shown done")
	assert.Equal(t, app.OutcomeApplied, d.run.Steps[0].Outcome)
	assert.True(t, d.resume.Disabled(), "nothing left to resume")
	f.h.eventually(func() bool { return strings.Contains(timelineText(f.ws), "Resuming change "+plan.ID) }, "the resume is not on the timeline")
}

func TestChangesExercise(t *testing.T) {
	t.Run("a real account is refused, in words", func(t *testing.T) {
		f := newChangeUI(t, true, false)
		assert.True(t, f.p.exercise.Visible(), "the exercise banner shows")
		f.p.openAction("s3.block-public-access.bucket")
		test.Tap(f.p.planBtn)
		f.idle("plan")
		assert.Equal(t, widget.DangerImportance, f.p.status.Importance)
		assert.Equal(t, "Could not plan “"+f.p.actionText["s3.block-public-access.bucket"]+"”: this incident is an exercise and the connection reaches a real AWS account. An exercise may only change a simulated account, so nothing was sent.", f.p.status.Text)
		assert.Empty(t, f.p.runs)
		assert.Equal(t, testBucket, f.p.param("bucket").Text, "what was typed stays")
		require.NotEmpty(t, f.acct.profiles)
		assert.True(t, f.acct.profiles[0].Exercise, "an exercise asks for a simulated account")
	})
	t.Run("a simulated account works and says so", func(t *testing.T) {
		f := newChangeUI(t, true, true)
		assert.True(t, f.p.exercise.Visible())
		plan := f.plan("s3.block-public-access.bucket", map[string]string{"bucket": testBucket})
		assert.True(t, plan.Simulated)
		assert.Contains(t, f.p.detail.meta.Text, "SIMULATED account")
		assert.Contains(t, f.p.detail.notes.Text, "exercise incident")
		f.confirmWith(testBucket)
		assert.Equal(t, allBlocked, f.acct.get(bpaResource(testBucket)))
	})
}

func TestChangesCancelAndKeepWhatWasTyped(t *testing.T) {
	f := newChangeUI(t, false, false)
	hold := make(chan struct{})
	f.acct.holdReads = hold
	f.p.openAction("s3.block-public-access.bucket")
	f.p.profile.SetText("prod-admin")
	f.p.region.SetText("eu-west-1")
	test.Tap(f.p.planBtn)
	f.h.eventually(func() bool { return f.acct.readCount() > 0 }, "planning never read the account")
	assert.True(t, f.p.planBtn.Disabled(), "one operation at a time")
	assert.True(t, f.p.progressRow.Visible())
	test.Tap(f.p.cancelBtn)
	f.idle("cancelled plan")
	close(hold)
	assert.Contains(t, f.p.status.Text, "cancelled")
	assert.Empty(t, f.p.runs)
	assert.Equal(t, "prod-admin", f.p.profile.Text)
	assert.Equal(t, "eu-west-1", f.p.region.Text)
	assert.Equal(t, testBucket, f.p.param("bucket").Text)
	require.NotEmpty(t, f.acct.profiles)
	assert.Equal(t, "prod-admin", f.acct.profiles[0].Name)
	assert.Equal(t, "eu-west-1", f.acct.profiles[0].Region)

	// The account moved on after the plan: the apply is refused whole, in
	// words, and Plan again plans it afresh from the same parameters.
	f.acct.holdReads = nil
	plan := f.plan("s3.block-public-access.bucket", nil)
	f.acct.set(bpaResource(testBucket), `{"BlockPublicAcls":true,"IgnorePublicAcls":false,"BlockPublicPolicy":false,"RestrictPublicBuckets":false}`)
	f.confirmWith(testBucket)
	assert.Contains(t, f.p.status.Text, "the account changed since the plan was made, so nothing was sent for that resource. Plan the change again")
	assert.Empty(t, f.acct.writeLog())
	test.Tap(f.p.detail.replan)
	f.idle("plan again")
	f.h.eventually(func() bool { return f.p.detail.run != nil && f.p.detail.run.Plan.ID != plan.ID }, "Plan again did not plan")
	assert.Contains(t, diffText(f.p.detail.diff), `-   "IgnorePublicAcls": false,`)
}

func TestChangesFromAStep(t *testing.T) {
	f := newChangeUI(t, false, false)
	pb := f.ws.pb
	var withPlan, without *app.Step
	for _, s := range pb.Steps() {
		for _, a := range s.Actions {
			def, _ := pb.Action(a)
			switch {
			case withPlan == nil && a == "s3.block-public-access.bucket":
				withPlan = s
			case without == nil && def.Mutating && !plannable(pb, a):
				without = s
			}
		}
	}
	require.NotNil(t, withPlan)

	buttons := func() []*widget.Button {
		var out []*widget.Button
		for _, o := range f.ws.playbook.detail.actions.Objects {
			if c, ok := o.(*fyne.Container); ok {
				for _, x := range c.Objects {
					if b, ok := x.(*widget.Button); ok {
						out = append(out, b)
					}
				}
			}
		}
		return out
	}
	f.selectTab("Playbook")
	if without != nil { // until this build carries out every change of the playbook
		f.ws.playbook.selectStep(without.ID)
		var plannableThere int
		for _, a := range without.Actions {
			if plannable(pb, a) {
				plannableThere++
			}
		}
		assert.Len(t, buttons(), plannableThere, "no Plan… for actions this build cannot carry out (step %s)", without.ID)
	}

	f.ws.playbook.selectStep(withPlan.ID)
	bs := buttons()
	require.NotEmpty(t, bs)
	assert.Equal(t, "Plan…", bs[0].Text)
	idx := 0
	for _, a := range withPlan.Actions {
		if a == "s3.block-public-access.bucket" {
			break
		}
		if plannable(pb, a) {
			idx++
		}
	}
	require.Less(t, idx, len(bs))
	btn := bs[idx]
	test.Tap(btn)
	assert.Equal(t, "Changes", f.ws.tabs.Selected().Text)
	assert.Equal(t, f.p.actionText["s3.block-public-access.bucket"], f.p.action.Selected)
	assert.Equal(t, testBucket, f.p.param("bucket").Text, "the incident's first bucket")
	assert.Contains(t, f.p.status.Text, "press Plan")
}

// TestChangesScreenshots renders the pane at 1280x800 at each stage and
// checks it fits the window. Set UI_SCREENSHOT_DIR to keep copies.
func TestChangesScreenshots(t *testing.T) {
	f := newChangeUI(t, true, true)
	k1, k2 := keyRes("bob", "AKIAEXAMPLE000000001"), keyRes("bob", "AKIAEXAMPLE000000002")
	f.acct.set(k1, `"Active"`)
	f.acct.set(k2, `"Active"`)
	f.acct.set(bpaResource(testBucket), `{"BlockPublicAcls":true,"IgnorePublicAcls":false,"BlockPublicPolicy":false,"RestrictPublicBuckets":false}`)
	shots := map[string]image.Image{}
	// Wrapped labels know their height only once laid out at their width;
	// the real driver lays out again on the next frame, so capture twice.
	settled := func() image.Image {
		capture(f.h)
		return capture(f.h)
	}
	shots["empty"] = settled()
	f.plan("s3.block-public-access.bucket", map[string]string{"bucket": testBucket})
	shots["plan"] = settled()
	test.Tap(f.p.detail.apply)
	test.Type(f.p.confirm.word, "customer")
	shots["confirm"] = settled()
	test.Type(f.p.confirm.word, "-exports")
	test.Tap(f.p.confirm.ok)
	f.idle("apply")
	f.h.eventually(func() bool { return f.p.detail.run.Status == app.ChangeDone }, "not applied")
	shots["applied"] = settled()
	f.acct.afterWrite = func(n int) error {
		if n == 2 {
			return errors.New("connection reset by peer")
		}
		return nil
	}
	f.plan("iam.deactivate-access-key", map[string]string{"userName": "bob"})
	f.confirmWith("bob")
	f.h.eventually(func() bool { return f.p.detail.run.Status == app.ChangeIncomplete }, "not incomplete")
	shots["incomplete"] = settled()
	test.Tap(f.p.detail.resume)
	shots["resume"] = settled()
	test.Tap(f.p.confirm.cancel)

	keep := os.Getenv("UI_SCREENSHOT_DIR")
	for name, img := range shots {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, image.Pt(1280, 800), img.Bounds().Size(), "the Changes pane (%s) does not fit the window", name)
			assert.Greater(t, distinctColours(img), 50, "the Changes pane (%s) looks blank", name)
			if keep != "" {
				out, err := os.Create(filepath.Join(keep, "pane-changes-"+name+".png"))
				require.NoError(t, err)
				require.NoError(t, png.Encode(out, img))
				require.NoError(t, out.Close())
			}
		})
	}
}
