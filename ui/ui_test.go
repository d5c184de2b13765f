package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/store"
)

// TestJourney walks one incident the way a responder would: create it
// through the form, find it in the list, tick steps, take the detour from
// Part 1 into Part 2, resolve Part 2, return, then reopen everything over
// the same store and find the state again.
func TestJourney(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	db, err := store.Open(path)
	require.NoError(t, err)
	closed := false
	t.Cleanup(func() {
		if !closed {
			assert.NoError(t, db.Close())
		}
	})
	pb := testPlaybook(t)
	h := newHarness(t, db, pb)

	ws := h.createIncident("Public bucket found by a researcher", true)
	id := ws.c.Incident.ID
	assert.Equal(t, "SEC-42", ws.c.Incident.Ticket)
	assert.Equal(t, []string{"customer-exports", "billing-archive"}, ws.c.Incident.Buckets)
	assert.Equal(t, "Europe/Paris", ws.c.Incident.TimeZone)
	assert.True(t, ws.exercise.Visible(), "exercise banner hidden on an exercise incident")
	assert.Contains(t, ws.heading.Text, "Public bucket found by a researcher")

	// Back to the list: the incident is there, marked as an exercise.
	test.Tap(ws.back)
	h.eventually(func() bool { l := h.list(); return l != nil && len(l.shown) == 1 }, "new incident not listed")
	l := h.list()
	row := newIncidentRow()
	l.updateRow(0, row)
	assert.Equal(t, id, row.id.Text)
	assert.True(t, row.exercise.Visible(), "EXERCISE marker missing in the list")
	assert.Equal(t, "open", row.status.Text)
	l.list.Select(0)
	ws = h.loadedWorkspace(id)

	// The first open step is selected and the banner names it.
	first := ws.next.Step
	require.NotNil(t, first)
	assert.Equal(t, first.ID, ws.playbook.selected)
	assert.Contains(t, ws.nextLabel.Text, "Step "+first.ID)

	// Tick steps until the detour question of Part 1 is next.
	q, opt := detour(t, pb)
	for ws.next.Step != nil && ws.next.Step.ID != q.ID {
		h.goAndResolve(ws)
	}
	require.NotNil(t, ws.next.Step, "never reached step %s", q.ID)

	// Answer it with the detour option.
	test.Tap(ws.goBtn)
	d := ws.playbook.detail
	require.Equal(t, q.ID, d.stepID)
	require.NotNil(t, d.single, "step %s should ask a single-choice question", q.ID)
	assert.Contains(t, d.routes.Text, "then come back to step "+opt.Return)
	d.single.SetSelected(d.optionText[opt.ID])
	test.Tap(d.record)
	target := pb.PartNumber(opt.Goto)
	h.eventually(func() bool { return ws.next.Step != nil && pb.PartNumber(ws.next.Step.ID) == target },
		"what's next did not move into Part %d: %q (last error: %v)", target, ws.nextLabel.Text, h.u.lastErr)
	assert.Contains(t, ws.nextLabel.Text, "afterwards return to step "+opt.Return)
	assert.True(t, ws.returnBtn.Hidden, "Return shown before the detour is done")
	// Steps the answer ruled out show greyed in Part 1.
	for _, x := range opt.Excludes {
		assert.Equal(t, q.ID, exclusionReasons(pb, ws.c)[x], "step %s should be ruled out by %s", x, q.ID)
	}

	// Resolve Part 2 through the banner.
	for ws.next.Step != nil {
		require.Equal(t, target, pb.PartNumber(ws.next.Step.ID), "left the detour early at %s", ws.next.Step.ID)
		h.goAndResolve(ws)
	}
	require.NotNil(t, ws.next.Return, "detour finished but no return offered: %q", ws.nextLabel.Text)
	assert.False(t, ws.returnBtn.Hidden)
	assert.Equal(t, "Return to step "+opt.Return, ws.returnBtn.Text)

	test.Tap(ws.returnBtn)
	h.eventually(func() bool { return ws.next.Step != nil && ws.next.Step.ID == opt.Return },
		"what's next is not step %s after returning: %q (last error: %v)", opt.Return, ws.nextLabel.Text, h.u.lastErr)
	assert.Contains(t, ws.nextLabel.Text, "Step "+opt.Return)
	assert.True(t, ws.returnBtn.Hidden)
	assert.Equal(t, opt.Return, ws.playbook.selected, "Return did not select the step")
	assert.Equal(t, 0, ws.playbook.part, "Return did not bring the stepper back to Part 1")

	// Part 1's checklist greys out what the answer ruled out, and the
	// stepper counts what is left.
	for _, x := range opt.Excludes {
		i := ws.playbook.rowOf(x)
		require.GreaterOrEqual(t, i, 0, "step %s not in the checklist", x)
		r := newStepRow()
		ws.playbook.updateRow(i, r)
		assert.Equal(t, "not applicable (by decision at "+q.ID+")", r.aside.Text)
		assert.Equal(t, widget.LowImportance, r.label.Importance)
	}
	for i, part := range pb.Parts {
		done, total := pb.Progress(ws.c, part.ID)
		assert.Equal(t, fmt.Sprintf("%d  ·  %d/%d", i+1, done, total), ws.playbook.partBtns[i].head.Text)
	}
	done2, total2 := pb.Progress(ws.c, pb.Parts[target-1].ID)
	assert.Equal(t, total2, done2, "Part %d not complete after the detour", target)

	// Every change is on the timeline, and the chain verifies.
	h.eventually(func() bool { return strings.Contains(timelineText(ws), "Returned from") }, "return not on the timeline")
	assert.Contains(t, timelineText(ws), "Detour from step "+q.ID)
	test.Tap(ws.timeline.verify)
	h.eventually(func() bool { return strings.HasPrefix(ws.timeline.verdict.Text, "Verified") }, "timeline did not verify: %q", ws.timeline.verdict.Text)
	wantSteps := ws.c.Steps
	wantEntries := len(ws.timeline.entries)
	require.NoError(t, h.u.lastErr)

	// Close the window and the database, then reopen the file with a new
	// service and UI, as the next start of the app would.
	h.u.Close()
	require.NoError(t, db.Close())
	closed = true
	db2, err := store.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, db2.Close()) })
	h2 := openUI(t, app.NewService(db2, pb, "tester"))
	h2.eventually(func() bool { l := h2.list(); return l != nil && len(l.shown) == 1 }, "incident not listed after reopening")
	h2.list().list.Select(0)
	ws2 := h2.loadedWorkspace(id)
	require.NotNil(t, ws2.next.Step)
	assert.Equal(t, opt.Return, ws2.next.Step.ID)
	assert.Equal(t, opt.Return, ws2.playbook.selected)
	assert.Equal(t, wantEntries, len(ws2.timeline.entries))
	for sid, want := range wantSteps {
		assert.Equal(t, want.Status, ws2.c.Step(sid).Status, "step %s", sid)
		assert.Equal(t, want.Choices, ws2.c.Step(sid).Choices, "step %s", sid)
	}
}

// TestSkipNeedsNote: skipping without a note shows the service's reason and
// keeps the choice; adding a note and saving then works.
func TestSkipNeedsNote(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	ws := h.createIncident("Skip test", false)
	d := ws.playbook.detail
	id := d.stepID
	require.NotEmpty(t, id)

	d.status.SetSelected(app.StepSkipped.Label())
	h.eventually(func() bool { return h.u.lastErr != nil }, "skipping without a note raised no error")
	assert.Equal(t, fmt.Sprintf("Could not save step %s: say why step %s is skipped (add a note)", id, id), h.u.lastErr.Error())
	assert.ErrorIs(t, h.u.lastErr, app.ErrInvalid)
	assert.Equal(t, app.StepSkipped.Label(), d.status.Selected, "the radio lost the user's choice")
	assert.True(t, d.unsaved.Visible(), "unsaved marker hidden after a failed save")
	assert.Equal(t, app.StepTodo, ws.c.Step(id).Status)

	h.u.lastErr = nil
	test.Type(d.note, "Out of scope: bucket belongs to a test account")
	test.Tap(d.save)
	h.eventually(func() bool { return ws.c.Step(id).Status == app.StepSkipped }, "skip with a note not saved (last error: %v)", h.u.lastErr)
	assert.Equal(t, "Out of scope: bucket belongs to a test account", ws.c.Step(id).Note)
	assert.False(t, d.unsaved.Visible())
	assert.NoError(t, h.u.lastErr)
}

// TestFailedSavesKeepText: when the store fails, the note in the step and
// the note on the timeline stay as typed and the error is shown.
func TestFailedSavesKeepText(t *testing.T) {
	st := newMemStore()
	h := newHarness(t, st, testPlaybook(t))
	ws := h.createIncident("Disk trouble", false)
	d := ws.playbook.detail
	id := d.stepID

	st.setFailUpdate(errors.New("write /data/incidents.db: no space left on device"))
	test.Type(d.note, "Checked the access logs")
	test.Tap(d.save)
	h.eventually(func() bool { return h.u.lastErr != nil }, "failed save showed no error")
	assert.Contains(t, h.u.lastErr.Error(), "Could not save step "+id+": ")
	assert.Contains(t, h.u.lastErr.Error(), "no space left on device")
	assert.Equal(t, "Checked the access logs", d.note.Text)
	assert.True(t, d.save.Disabled() == false, "Save stays disabled after a failure")

	h.u.lastErr = nil
	test.Type(ws.timeline.note, "Called the bucket owner")
	test.Tap(ws.timeline.add)
	h.eventually(func() bool { return h.u.lastErr != nil }, "failed note showed no error")
	assert.True(t, strings.HasPrefix(h.u.lastErr.Error(), "Could not add the note: "))
	assert.Equal(t, "Called the bucket owner", ws.timeline.note.Text)

	// Once the disk is back, the same text saves and the box empties.
	st.setFailUpdate(nil)
	before := len(ws.timeline.entries)
	test.Tap(ws.timeline.add)
	h.eventually(func() bool { return len(ws.timeline.entries) == before+1 }, "note not added after recovery")
	assert.Equal(t, "", ws.timeline.note.Text)
	assert.Equal(t, "Called the bucket owner", ws.timeline.entries[before].Text)
}

// TestFormValidation: the form refuses what the service would refuse and
// keeps the input.
func TestFormValidation(t *testing.T) {
	tests := []struct {
		name, title, zone, want string
	}{
		{"no title", "  ", "UTC", "Could not create the incident: give the incident a title"},
		{"unknown zone", "A title", "Mars/Olympus", `Could not create the incident: time zone "Mars/Olympus" is not known`},
		{"local zone", "A title", "Local", `Could not create the incident: name the zone`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMemStore()
			h := newHarness(t, st, testPlaybook(t))
			test.Tap(h.list().newBtn)
			f := h.form()
			test.Type(f.title, tt.title)
			f.timeZone.SetText(tt.zone)
			test.Tap(f.create)
			require.Error(t, h.u.lastErr)
			assert.True(t, strings.HasPrefix(h.u.lastErr.Error(), tt.want), "got %q", h.u.lastErr)
			assert.Same(t, f, h.form(), "left the form")
			assert.Equal(t, tt.title, f.title.Text)
			incs, err := st.List(context.Background())
			require.NoError(t, err)
			assert.Empty(t, incs)
		})
	}
}

// TestListFilters: search and status filter narrow the list.
func TestListFilters(t *testing.T) {
	st := newMemStore()
	pb := testPlaybook(t)
	svc := app.NewService(st, pb, "tester")
	ctx := context.Background()
	for _, n := range []app.NewIncident{
		{Title: "Public bucket", Buckets: []string{"web-assets"}},
		{Title: "Leaked key", Principals: []string{"AKIAEXAMPLE"}},
		{Title: "Game day", Exercise: true},
	} {
		_, err := svc.Create(ctx, n)
		require.NoError(t, err)
	}
	incs, err := svc.List(ctx)
	require.NoError(t, err)
	_, err = svc.SetStatus(ctx, incs[0].ID, app.StatusContained)
	require.NoError(t, err)

	test.NewTempApp(t)
	h := openUI(t, svc)
	h.eventually(func() bool { return h.list() != nil && len(h.list().shown) == 3 }, "incidents not listed")
	l := h.list()
	titles := func() []string {
		var out []string
		for _, inc := range l.shown {
			out = append(out, inc.Title)
		}
		return out
	}
	tests := []struct {
		name, search, status string
		want                 []string
	}{
		{"all", "", statusAll, []string{"Game day", "Leaked key", "Public bucket"}},
		{"bucket name", "web-assets", statusAll, []string{"Public bucket"}},
		{"principal, any case", "akiaexample", statusAll, []string{"Leaked key"}},
		{"status", "", string(app.StatusContained), []string{incs[0].Title}},
		{"status and search", "leaked", string(app.StatusOpen), []string{"Leaked key"}},
		{"nothing", "no such thing", statusAll, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l.search.SetText(tt.search)
			l.status.SetSelected(tt.status)
			assert.ElementsMatch(t, tt.want, titles())
			assert.Equal(t, len(tt.want) == 0, l.empty.Visible())
		})
	}
}

// TestStatusAndVerify: the header status writes a timeline entry, and a
// tampered timeline fails verification with a message naming the entry.
func TestStatusAndVerify(t *testing.T) {
	st := newMemStore()
	h := newHarness(t, st, testPlaybook(t))
	ws := h.createIncident("Status test", false)
	assert.False(t, ws.exercise.Visible(), "exercise banner on a real incident")

	ws.status.SetSelected(string(app.StatusContained))
	h.eventually(func() bool { return strings.Contains(timelineText(ws), "Status changed from open to contained") }, "status change not on the timeline")
	assert.Equal(t, app.StatusContained, ws.c.Incident.Status)

	test.Tap(ws.timeline.verify)
	h.eventually(func() bool { return strings.HasPrefix(ws.timeline.verdict.Text, "Verified") }, "clean timeline did not verify")

	st.tamper(ws.id, 1, "Nothing happened here")
	test.Tap(ws.timeline.verify)
	h.eventually(func() bool { return strings.HasPrefix(ws.timeline.verdict.Text, "NOT intact") }, "tampered timeline verified: %q", ws.timeline.verdict.Text)
	assert.Contains(t, ws.timeline.verdict.Text, "entry 1")
	assert.ErrorIs(t, h.u.lastErr, app.ErrChainBroken)
}

// TestTimelineTimes: entries show UTC and the incident's zone.
func TestTimelineTimes(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	tests := []struct {
		name string
		e    app.Entry
		loc  *time.Location
		want string
	}{
		{"utc only", app.Entry{Seq: 1, EventTime: time.Date(2026, 3, 1, 9, 5, 0, 0, time.UTC), RecordedAt: time.Date(2026, 3, 1, 9, 5, 0, 0, time.UTC), Actor: "ana", Kind: app.KindNote},
			time.UTC, "#1  ·  2026-03-01 09:05:00 UTC  ·  ana  ·  note"},
		{"zone same day", app.Entry{Seq: 2, EventTime: time.Date(2026, 3, 1, 9, 5, 0, 0, time.UTC), RecordedAt: time.Date(2026, 3, 1, 9, 5, 0, 0, time.UTC), Actor: "ana", Kind: app.KindStep},
			paris, "#2  ·  2026-03-01 09:05:00 UTC  ·  (10:05:00 CET Europe/Paris)  ·  ana  ·  step"},
		{"zone next day, recorded late", app.Entry{Seq: 3, EventTime: time.Date(2026, 7, 1, 23, 30, 0, 0, time.UTC), RecordedAt: time.Date(2026, 7, 2, 8, 0, 0, 0, time.UTC), Actor: "bo", Kind: app.KindNote},
			paris, "#3  ·  2026-07-01 23:30:00 UTC  ·  (2026-07-02 01:30:00 CEST Europe/Paris)  ·  bo  ·  note  ·  recorded 2026-07-02 08:00 UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, entryHeading(tt.e, tt.loc))
		})
	}
}

// TestCloseCancelsWork: closing the window cancels a load that is still
// waiting on the store, and Close returns promptly.
func TestCloseCancelsWork(t *testing.T) {
	st := newMemStore()
	pb := testPlaybook(t)
	svc := app.NewService(st, pb, "tester")
	c, err := svc.Create(context.Background(), app.NewIncident{Title: "Slow disk"})
	require.NoError(t, err)
	st.block = true

	test.NewTempApp(t)
	// Not a temp window: the test closes it, and the test driver panics
	// when a window is closed twice.
	h := openUIIn(t, test.NewWindow(nil), svc)
	h.u.openIncident(c.Incident.ID)
	require.NotNil(t, h.ws())
	start := time.Now()
	h.w.Close() // fires SetOnClosed -> Close
	assert.Less(t, time.Since(start), 2*time.Second, "Close waited for the store")
	st.mu.Lock()
	defer st.mu.Unlock()
	assert.Equal(t, 1, st.cancelled, "the blocked load never saw its context end")
}

// TestExplain: app errors become sentences without the call path.
func TestExplain(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"invalid", fmt.Errorf("update incident X: %w", fmt.Errorf("%w: say why", app.ErrInvalid)), "Saving: say why"},
		{"not found", fmt.Errorf("load incident X: incident X: %w", app.ErrNotFound), "Saving: load incident X: incident X: not found"},
		{"in use", fmt.Errorf("open db: %w", app.ErrInUse), "Saving: the incident database is open in another copy of S3 Responder; close it and try again"},
		{"other", errors.New("disk full"), "Saving: disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := explain("Saving", tt.err)
			assert.Equal(t, tt.want, got.Error())
			assert.ErrorIs(t, got, tt.err)
		})
	}
}

// TestTypingSurvivesRefresh: a save elsewhere in the workspace reloads the
// case, but a step note being typed is kept, and marked as not saved.
func TestTypingSurvivesRefresh(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	ws := h.createIncident("Typing test", false)
	d := ws.playbook.detail
	test.Type(d.note, "half a thought")
	assert.True(t, d.unsaved.Visible())

	test.Type(ws.timeline.note, "Paged the bucket owner")
	test.Tap(ws.timeline.add)
	h.eventually(func() bool { return len(ws.timeline.entries) == 2 }, "timeline note not added")
	assert.Equal(t, "half a thought", d.note.Text, "the step note was overwritten by a refresh")
	assert.True(t, d.unsaved.Visible())

	// Selecting another step and coming back shows what is stored.
	other := ws.playbook.rows[len(ws.playbook.rows)-1].step.ID
	id := d.stepID
	ws.playbook.selectStep(other)
	ws.playbook.selectStep(id)
	assert.Equal(t, "", d.note.Text)
	assert.False(t, d.unsaved.Visible())
}

// TestSplitList: the form's list fields accept commas, semicolons and lines.
func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"a", []string{"a"}},
		{"a, b", []string{"a", " b"}},
		{"a\nb\r\nc;d", []string{"a", "b", "c", "d"}},
		{",,a,,", []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, splitList(tt.in))
		})
	}
}
