package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
)

// uiLoop stands in for the Fyne event loop in tests: background jobs post
// their widget updates here and the test runs them from its polling
// condition, so widgets are only ever touched by one goroutine at a time
// (the test driver's fyne.Do would run them on the job's goroutine).
type uiLoop struct{ ch chan func() }

func newUILoop() *uiLoop { return &uiLoop{ch: make(chan func(), 4096)} }

func (l *uiLoop) post(f func()) { l.ch <- f }

func (l *uiLoop) drain() {
	for {
		select {
		case f := <-l.ch:
			f()
		default:
			return
		}
	}
}

// harness is one window of the app over a service, driven like a user.
type harness struct {
	t    *testing.T
	w    fyne.Window
	u    *UI
	svc  *app.Service
	loop *uiLoop
}

// testPlaybook is the playbook the UI tests follow.
// It is the built-in one: the screens must cope with its real shape (a part
// that asks a question, nested questions, detours) and wording.
func testPlaybook(t *testing.T) *app.Playbook {
	t.Helper()
	pb, err := app.ParsePlaybook("built-in playbook", assets.Playbook)
	require.NoError(t, err)
	return pb
}

// openUI builds the UI in a fresh 1280x800 test window over svc. The test
// must have called test.NewTempApp first.
func openUI(t *testing.T, svc *app.Service) *harness {
	t.Helper()
	return openUIIn(t, test.NewTempWindow(t, nil), svc)
}

// openUIIn is openUI in a window the test manages itself.
func openUIIn(t *testing.T, w fyne.Window, svc *app.Service) *harness {
	t.Helper()
	w.Resize(fyne.NewSize(1280, 800))
	loop := newUILoop()
	u := newUI(w, svc, loop.post)
	t.Cleanup(u.Close)
	return &harness{t: t, w: w, u: u, svc: svc, loop: loop}
}

// newHarness starts a test app and opens the UI over a fresh service on st.
func newHarness(t *testing.T, st app.Store, pb *app.Playbook) *harness {
	t.Helper()
	test.NewTempApp(t)
	return openUI(t, app.NewService(st, pb, "tester"))
}

// eventually polls cond, running the UI updates jobs posted in between.
// The limit is generous: under the race detector on a busy two-core
// machine, building a workspace with all its panes takes seconds.
func (h *harness) eventually(cond func() bool, msg string, args ...any) {
	h.t.Helper()
	poll(h.t, h.loop, 30*time.Second, cond, msg, args...)
}

// poll drains the loop and checks cond on the test's own goroutine until
// cond holds or the limit passes. Not require.Eventually: it runs cond on
// a goroutine of its own and gives up on it at the limit, so a drain that
// outlives the limit (a workspace built on a loaded machine) kept touching
// widgets after the test ended, racing with the next test's. The limit is
// checked between polls, so one slow drain cannot end the wait early
// either. Arguments are formatted at the failure: pass now(...) for a
// widget's text to see its value then rather than when the wait began.
func poll(t testing.TB, loop *uiLoop, limit time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		loop.drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition never satisfied within %s: "+msg, append([]any{limit}, args...)...)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// now defers reading a value to the moment a failure message is
// formatted (fmt calls String then), so the message shows the state the
// wait ended in.
type now func() string

func (n now) String() string { return n() }

// list returns the incident list screen, nil when another screen shows.
func (h *harness) list() *listScreen {
	s, _ := h.u.current.(*listScreen)
	return s
}

// form returns the new-incident form, nil when another screen shows.
func (h *harness) form() *formScreen {
	s, _ := h.u.current.(*formScreen)
	return s
}

// ws returns the incident workspace, nil when another screen shows.
func (h *harness) ws() *workspace {
	s, _ := h.u.current.(*workspace)
	return s
}

// loadedWorkspace waits until the workspace of id shows its case.
func (h *harness) loadedWorkspace(id string) *workspace {
	h.t.Helper()
	h.eventually(func() bool {
		ws := h.ws()
		return ws != nil && ws.loaded && ws.c.Incident.ID == id && len(ws.timeline.entries) > 0
	}, "workspace of %s never loaded", id)
	return h.ws()
}

// createIncident fills the form like a user and returns the new workspace.
func (h *harness) createIncident(title string, exercise bool) *workspace {
	h.t.Helper()
	h.eventually(func() bool { return h.list() != nil && h.list().loading.Hidden }, "list never loaded")
	test.Tap(h.list().newBtn)
	f := h.form()
	require.NotNil(h.t, f, "New incident did not open the form")
	test.Type(f.title, title)
	test.Type(f.ticket, "SEC-42")
	test.Type(f.buckets, "customer-exports, billing-archive")
	f.timeZone.SetText("Europe/Paris")
	if exercise {
		test.Tap(f.exercise)
	}
	test.Tap(f.create)
	h.eventually(func() bool { ws := h.ws(); return ws != nil && ws.loaded }, "Create did not open the workspace (last error: %v)", h.u.lastErr)
	return h.ws()
}

// resolve does what the user does to finish the selected step: answer its
// question with an option that does not leave the current route, or mark
// it done.
func (h *harness) resolve(ws *workspace) {
	h.t.Helper()
	d := ws.playbook.detail
	step, ok := ws.pb.Step(d.stepID)
	require.True(h.t, ok, "no step selected")
	if step.Decision == nil {
		d.status.SetSelected(app.StepDone.Label())
		return
	}
	opt := step.Decision.Options[0]
	for _, o := range step.Decision.Options {
		if o.Goto == "" {
			opt = o
			break
		}
	}
	if d.multi != nil {
		d.multi.SetSelected([]string{d.optionText[opt.ID]})
	} else {
		d.single.SetSelected(d.optionText[opt.ID])
	}
	test.Tap(d.record)
}

// goAndResolve taps "Go there", resolves that step and waits until the
// banner moves on.
func (h *harness) goAndResolve(ws *workspace) {
	h.t.Helper()
	require.NotNil(h.t, ws.next.Step, "nothing to go to: %s", ws.next.Text)
	id := ws.next.Step.ID
	test.Tap(ws.goBtn)
	require.Equal(h.t, id, ws.playbook.selected, "Go there did not select step %s", id)
	h.resolve(ws)
	h.eventually(func() bool { return ws.next.Step == nil || ws.next.Step.ID != id },
		"resolving step %s did not move what's next (last error: %v)", id, h.u.lastErr)
}

// detour finds the first decision in Part 1 with an option that detours to
// another part and returns.
func detour(t *testing.T, pb *app.Playbook) (*app.Step, app.Option) {
	t.Helper()
	part := pb.Parts[0]
	for _, s := range pb.Steps() {
		if s.Decision == nil || pb.PartOf(s.ID) != part {
			continue
		}
		for _, o := range s.Decision.Options {
			if o.Goto != "" && o.Return != "" && pb.PartOf(o.Goto) != part {
				return s, o
			}
		}
	}
	t.Fatalf("playbook %s has no detour out of Part 1", pb.ID)
	return nil, app.Option{}
}

// timelineText joins the timeline entries' texts for assertions.
func timelineText(ws *workspace) string {
	var b strings.Builder
	for _, e := range ws.timeline.entries {
		b.WriteString(e.Text)
		b.WriteByte('\n')
	}
	return b.String()
}
