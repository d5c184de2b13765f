package ui

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/aws"
	"s3responder/tabletop"
)

// inspectUI is an exercise incident on a real database, its workspace
// open on the Inspect tab, over the tabletop simulated account.
type inspectUI struct {
	t  *testing.T
	h  *harness
	ws *workspace
	p  *inspectPane
	id string
}

func newInspectUI(t *testing.T) *inspectUI {
	t.Helper()
	test.NewTempApp(t)
	db, _ := openStore(t, filepath.Join(t.TempDir(), "incidents.db"))
	svc := app.NewService(db, testPlaybook(t), "tester")
	failIfCalled := func(context.Context, app.Profile) (app.Cloud, error) {
		t.Error("an exercise reached the real AWS connector")
		return nil, errors.New("not for exercises")
	}
	svc.SetConnector(tabletop.Connector(failIfCalled))
	c, err := svc.Create(context.Background(), app.NewIncident{Title: "Tabletop exports", Buckets: []string{"acme-customer-exports"},
		Principals: []string{"bob"}, Exercise: true, TimeZone: "Europe/Paris"})
	require.NoError(t, err)
	h := openUI(t, svc)
	h.eventually(func() bool { return h.list() != nil && h.list().loading.Hidden }, "list never loaded")
	h.u.openIncident(c.Incident.ID)
	ws := h.loadedWorkspace(c.Incident.ID)
	f := &inspectUI{t: t, h: h, ws: ws, p: paneOf[*inspectPane](t, ws), id: c.Incident.ID}
	for _, it := range ws.tabs.Items {
		if it.Text == "Inspect" {
			ws.tabs.Select(it)
		}
	}
	return f
}

func (f *inspectUI) choose(action string) {
	f.t.Helper()
	text, ok := f.p.actionText[action]
	require.True(f.t, ok, "action %s not offered", action)
	f.p.action.SetSelected(text)
}

func (f *inspectUI) idle(what string) {
	f.t.Helper()
	f.h.eventually(func() bool { return !f.p.running }, "%s never finished: %q", what, f.p.status.Text)
}

// resultText is every label and box of the result, in order.
func (f *inspectUI) resultText() string {
	var parts []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			parts = append(parts, v.Text)
		case *widget.Entry:
			parts = append(parts, v.Text)
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		}
	}
	walk(f.p.result)
	return strings.Join(parts, "\n")
}

func TestInspectOffersThePlaybooksReadOnlyActions(t *testing.T) {
	f := newInspectUI(t)
	require.Len(t, f.p.offered, len(app.InspectActions()))
	for _, a := range app.InspectActions() {
		def, ok := f.ws.pb.Action(a.ID)
		require.True(t, ok, a.ID)
		assert.Contains(t, f.p.actionText[a.ID], def.Title, "%s under the playbook's title", a.ID)
	}
	assert.True(t, f.p.exercise.Visible())
	assert.Equal(t, app.SimulatedProfileName, f.p.profile.Text, "an exercise starts on the simulated account")
	assert.True(t, f.p.appProfile().Exercise)

	f.choose("s3.policy-review")
	assert.Equal(t, "acme-customer-exports", f.p.params["bucket"].entry.Text, "the incident's bucket is filled in")
	f.choose("iam.review-principals")
	require.NotNil(t, f.p.params["principals"])

	// A required parameter left empty stops the run before anything is sent.
	f.choose("ec2.find-role-instances")
	test.Tap(f.p.runBtn)
	assert.False(t, f.p.running)
	assert.Contains(t, f.p.status.Text, "Role is needed")
}

// assertKept checks the result names the review and its findings, and
// that the incident's evidence gained the inspection, named in the note.
func (f *inspectUI) assertKept(before []app.Evidence) {
	f.t.Helper()
	t := f.t
	require.Equal(t, widget.SuccessImportance, f.p.status.Importance, f.p.status.Text)
	assert.False(t, f.p.empty.Visible())
	text := f.resultText()
	assert.Contains(t, text, "s3.policy-review")
	assert.Regexp(t, `(?m)^(HIGH|MEDIUM)  ·  `, text, "findings with their severity")
	assert.Contains(t, text, "Kept as evidence")
	after, err := f.h.svc.ListEvidence(context.Background(), f.id)
	require.NoError(t, err)
	require.Greater(t, len(after), len(before), "the inspection was kept as evidence")
	var kept bool
	for _, ev := range after {
		if ev.Source.Params["action"] == "s3.policy-review" {
			kept = true
			assert.Contains(t, text, ev.ID, "the note names the evidence item")
		}
	}
	assert.True(t, kept, "the inspection itself is an evidence item")
}

// scenarioPolicy is the bucket policy the built-in tabletop scenario
// gives bucket.
func scenarioPolicy(t *testing.T, bucket string) string {
	t.Helper()
	list, err := tabletop.Builtin()
	require.NoError(t, err)
	for _, sc := range list {
		for _, b := range sc.Buckets {
			if b.Name == bucket && b.Policy.JSON != "" {
				return b.Policy.JSON
			}
		}
	}
	t.Fatalf("no scenario bucket %s with a policy", bucket)
	return ""
}

func TestInspectPolicyReviewOnTheExercise(t *testing.T) {
	f := newInspectUI(t)
	ctx := context.Background()
	before, err := f.h.svc.ListEvidence(ctx, f.id)
	require.NoError(t, err)

	f.choose("s3.policy-review")
	assert.True(t, f.p.savedBox.Visible(), "the policy review offers a saved policy")
	f.p.params["bucket"].entry.SetText("acme-customer-exports")
	test.Tap(f.p.runBtn)
	f.idle("policy review")
	// The simulated account reviews the bucket's current policy; the real
	// connector is never reached (failIfCalled) and the review is kept.
	require.Equal(t, widget.SuccessImportance, f.p.status.Importance, "the simulated review ran: %q", f.p.status.Text)
	f.assertKept(before)
	assert.NotContains(t, f.p.status.Text, "no AWS call", "a simulated run, not the offline review of a pasted policy")
	require.Contains(t, scenarioPolicy(t, "acme-customer-exports"), `"PublicReadExports"`)
	assert.Contains(t, f.resultText(), `HIGH  ·  statement 2 (Sid "PublicReadExports")`, "the public statement of the scenario is the high finding")
}

// TestInspectPolicyReviewOnKumo runs the review through the service with
// the connector main wires, on kumo, over a bucket public by policy.
func TestInspectPolicyReviewOnKumo(t *testing.T) {
	fx := newAWSFixture(t, false)
	fx.h.svc.SetConnector(aws.WithChanges(aws.Connector(aws.Options{HTTPClient: awsLoopback(t)})))
	f := &inspectUI{t: t, h: fx.h, ws: fx.ws, p: paneOf[*inspectPane](t, fx.ws), id: fx.ws.id}
	before, err := f.h.svc.ListEvidence(context.Background(), f.id)
	require.NoError(t, err)
	f.choose("s3.policy-review")
	assert.Equal(t, fx.bucket, f.p.params["bucket"].entry.Text)
	f.p.profile.SetText("default")
	test.Tap(f.p.runBtn)
	assert.True(t, f.p.running || f.p.status.Importance == widget.SuccessImportance)
	f.idle("policy review on kumo")
	f.assertKept(before)
	assert.Contains(t, f.resultText(), "PublicRead")
}
