package ui

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/store"
)

// paneOf returns the workspace pane of type T.
func paneOf[T pane](t *testing.T, ws *workspace) T {
	t.Helper()
	for _, p := range ws.panes {
		if v, ok := p.(T); ok {
			return v
		}
	}
	var zero T
	t.Fatalf("no %T pane in the workspace", zero)
	return zero
}

// openStore opens a real database in a temp dir, closed at cleanup unless
// the test closes it first (the returned func).
func openStore(t *testing.T, path string) (*store.DB, func()) {
	t.Helper()
	db, err := store.Open(path)
	require.NoError(t, err)
	closed := false
	closeDB := func() {
		if !closed {
			closed = true
			require.NoError(t, db.Close())
		}
	}
	t.Cleanup(closeDB)
	return db, closeDB
}

// TestReviewSavedAndReopened fills the lessons-learned form, saves it,
// and finds it again after reopening the database.
func TestReviewSavedAndReopened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	db, closeDB := openStore(t, path)
	pb := testPlaybook(t)
	h := newHarness(t, db, pb)
	ws := h.createIncident("Review test", false)
	id := ws.c.Incident.ID
	f := paneOf[*reviewPane](t, ws).text

	typed := map[*widget.Entry]string{
		f.lessons:       "Paging worked; the bucket inventory was stale",
		f.information:   "An up-to-date list of buckets holding personal data",
		f.detection:     "An alert on bucket policy changes that grant Principal *",
		f.configuration: "Block Public Access at the account level",
		f.automation:    "A script to snapshot the bucket policy before containment",
		f.rootCause:     "A test policy copied to production",
		f.vectors:       "public bucket policy\n\npublic bucket policy\nleaked access key",
		f.misconfigs:    "BPA off on the account",
		f.risk:          "Raise the likelihood of accidental exposure to high",
	}
	// SetText, not test.Type: Fyne 2.7.1 word-wrapped entries sometimes
	// move a space typed at a wrap point (an upstream cursor bug), and
	// this test is about saving, not about Fyne's typing.
	for e, text := range typed {
		e.SetText(text)
	}
	assert.True(t, f.unsaved.Visible())
	test.Tap(f.save)
	h.eventually(func() bool { return ws.c.Incident.Review.RootCause != "" }, "review not saved (last error: %v)", h.u.lastErr)
	require.NoError(t, h.u.lastErr)
	assert.False(t, f.unsaved.Visible(), "still marked unsaved after a save")
	r := ws.c.Incident.Review
	assert.Equal(t, []string{"public bucket policy", "leaked access key"}, r.AttackVectors, "lines are trimmed and deduplicated")
	assert.Equal(t, "public bucket policy\nleaked access key", f.vectors.Text, "the form shows what was stored")
	h.eventually(func() bool {
		return strings.Contains(timelineText(ws), "Post-incident review updated: lessons learned")
	}, "review change not on the timeline")

	// Reopen the file with a new service and UI, as the next start would.
	h.u.Close()
	closeDB()
	db2, _ := openStore(t, path)
	h2 := openUI(t, app.NewService(db2, pb, "tester"))
	h2.eventually(func() bool { l := h2.list(); return l != nil && len(l.shown) == 1 }, "incident not listed after reopening")
	h2.list().list.Select(0)
	ws2 := h2.loadedWorkspace(id)
	f2 := paneOf[*reviewPane](t, ws2).text
	want := map[string]string{
		"lessons": typed[f.lessons], "information": typed[f.information], "detection": typed[f.detection],
		"configuration": typed[f.configuration], "automation": typed[f.automation], "root cause": typed[f.rootCause],
		"vectors": "public bucket policy\nleaked access key", "misconfigurations": typed[f.misconfigs], "risk": typed[f.risk],
	}
	got := map[string]string{
		"lessons": f2.lessons.Text, "information": f2.information.Text, "detection": f2.detection.Text,
		"configuration": f2.configuration.Text, "automation": f2.automation.Text, "root cause": f2.rootCause.Text,
		"vectors": f2.vectors.Text, "misconfigurations": f2.misconfigs.Text, "risk": f2.risk.Text,
	}
	assert.Equal(t, want, got)
	assert.False(t, f2.unsaved.Visible())
}

// TestReviewFailedSaveKeepsText: with the disk failing, the review form
// and the add forms keep what was typed and the error says why.
func TestReviewFailedSaveKeepsText(t *testing.T) {
	st := newMemStore()
	h := newHarness(t, st, testPlaybook(t))
	ws := h.createIncident("Disk trouble", false)
	p := paneOf[*reviewPane](t, ws)
	st.setFailUpdate(errors.New("write incidents.db: no space left on device"))

	tests := []struct {
		name string
		fill func()
		tap  *widget.Button
		want string
		kept func() string
		text string
	}{
		{"lessons", func() { test.Type(p.text.lessons, "We learned a lot") }, p.text.save,
			"Could not save the review: ", func() string { return p.text.lessons.Text }, "We learned a lot"},
		{"action item", func() { test.Type(p.items.desc, "Turn on BPA everywhere") }, p.items.save,
			"Could not add the action item: ", func() string { return p.items.desc.Text }, "Turn on BPA everywhere"},
		{"stakeholder", func() { p.people.role.SetSelected("legal"); test.Type(p.people.name, "Dana") }, p.people.addPerson,
			"Could not add the stakeholder: ", func() string { return p.people.name.Text }, "Dana"},
		{"communication", func() { p.people.audience.SetText("regulators"); test.Type(p.people.summary, "Initial notice") }, p.people.addComm,
			"Could not log the communication: ", func() string { return p.people.summary.Text }, "Initial notice"},
		{"deadline", func() { p.clock.preset.SetSelected(deadlinePresets[0].label) }, p.clock.addDl,
			"Could not start the deadline: ", func() string { return p.clock.dlName.Text }, deadlinePresets[0].name},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.u.lastErr = nil
			tt.fill()
			test.Tap(tt.tap)
			h.eventually(func() bool { return h.u.lastErr != nil }, "failed save showed no error")
			assert.True(t, strings.HasPrefix(h.u.lastErr.Error(), tt.want), "got %q", h.u.lastErr)
			assert.Contains(t, h.u.lastErr.Error(), "no space left on device")
			assert.Equal(t, tt.text, tt.kept(), "the typed text was lost")
			assert.False(t, tt.tap.Disabled(), "button stays disabled after a failure")
		})
	}
	assert.True(t, p.text.unsaved.Visible())

	// Once the disk is back the same text saves.
	st.setFailUpdate(nil)
	test.Tap(p.text.save)
	h.eventually(func() bool { return ws.c.Incident.Review.Lessons == "We learned a lot" }, "review not saved after recovery")
}

// TestActionItems: items with a past due date stand out as OVERDUE, others
// do not, and an item edited to done stops being overdue.
func TestActionItems(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	ws := h.createIncident("Action items", false)
	p := paneOf[*reviewPane](t, ws)
	a := p.items

	tests := []struct {
		name, desc, due, status string
		overdue                 bool
		wantDue, wantStatus     string
	}{
		{"past due", "Rotate the leaked key", "2020-01-15", "open", true, "2020-01-15", "OVERDUE · open"},
		{"past due with time", "Review bucket policies", "2021-06-01 09:30", "in progress", true, "2021-06-01 09:30", "OVERDUE · in progress"},
		{"future", "Train the team", "2099-01-01", "open", false, "2099-01-01", "open"},
		{"no due date", "Write a runbook", "", "open", false, "no due date", "open"},
		{"done late", "Enable BPA", "2020-01-01", "done", false, "2020-01-01", "done"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			test.Type(a.desc, tt.desc)
			test.Type(a.owner, "ana")
			test.Type(a.due, tt.due)
			a.status.SetSelected(tt.status)
			test.Tap(a.save)
			h.eventually(func() bool { return len(a.items) == i+1 }, "item not added (last error: %v)", h.u.lastErr)
			require.NoError(t, h.u.lastErr)
			assert.Equal(t, "", a.desc.Text, "form not emptied after the add")
			r := a.rowList[i]
			assert.Equal(t, tt.desc, r.desc.Text)
			assert.Equal(t, tt.wantDue, r.due.Text)
			assert.Equal(t, tt.wantStatus, r.status.Text)
			if tt.overdue {
				assert.Equal(t, widget.DangerImportance, r.status.Importance)
				assert.True(t, r.status.TextStyle.Bold)
			} else {
				assert.NotEqual(t, widget.DangerImportance, r.status.Importance)
			}
		})
	}
	assert.Contains(t, a.summary.Text, "2 OVERDUE")
	assert.Equal(t, "Action items (2 OVERDUE)", p.itemsTab.Text)
	h.eventually(func() bool {
		return strings.Contains(timelineText(ws), "Action item A1 raised: Rotate the leaked key (owner ana)")
	},
		"action item not on the timeline")

	// Edit the first item to done: it is no longer overdue.
	test.Tap(a.rowList[0].edit)
	assert.Equal(t, "Rotate the leaked key", a.desc.Text)
	assert.Equal(t, "2020-01-15", a.due.Text, "the due date is shown as it was typed")
	assert.Equal(t, "Save A1", a.save.Text)
	a.status.SetSelected("done")
	test.Tap(a.save)
	h.eventually(func() bool { return a.items[0].Status == "done" }, "edit not saved (last error: %v)", h.u.lastErr)
	assert.Equal(t, "done", a.rowList[0].status.Text)
	assert.Equal(t, "Action items (1 OVERDUE)", p.itemsTab.Text)
	assert.Equal(t, "Add item", a.save.Text, "the form did not go back to adding")
	assert.Len(t, a.items, len(tests))

	// A due date that is not a date is refused before any save.
	h.u.lastErr = nil
	test.Type(a.desc, "Something")
	test.Type(a.due, "next tuesday")
	test.Tap(a.save)
	require.Error(t, h.u.lastErr)
	assert.Contains(t, h.u.lastErr.Error(), `due date "next tuesday"`)
	assert.Equal(t, "next tuesday", a.due.Text)
}

// TestPeople: stakeholders and communications are listed once stored, and
// a named stakeholder becomes an audience to pick.
func TestPeople(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	ws := h.createIncident("People", false)
	s := paneOf[*reviewPane](t, ws).people

	s.role.SetSelected("regulators")
	test.Type(s.name, "Data protection authority")
	test.Type(s.contact, "breach@dpa.example")
	test.Tap(s.addPerson)
	h.eventually(func() bool { return len(s.stakeholders) == 1 }, "stakeholder not added (last error: %v)", h.u.lastErr)
	assert.Equal(t, "", s.name.Text)
	assert.Contains(t, s.audienceOptions, "Data protection authority")
	assert.False(t, s.stEmpty.Visible())

	test.Type(s.when, "2026-03-02 10:15")
	s.audience.SetText("Data protection authority")
	s.channel.SetText("email")
	test.Type(s.who, "ana")
	test.Type(s.summary, "Initial breach notice sent")
	test.Tap(s.addComm)
	h.eventually(func() bool { return len(s.comms) == 1 }, "communication not logged (last error: %v)", h.u.lastErr)
	// Europe/Paris is UTC+1 in March.
	assert.Equal(t, time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC), s.comms[0].At)
	row := s.cmRows.Objects[0].(*fyne.Container).Objects
	assert.Equal(t, "2026-03-02 10:15 CET", row[0].(*widget.Label).Text)
	assert.Equal(t, "Initial breach notice sent", row[4].(*widget.Label).Text)
	h.eventually(func() bool {
		return strings.Contains(timelineText(ws), "Communication to Data protection authority via email: Initial breach notice sent")
	}, "communication not on the timeline")

	// A communication in the future is refused.
	h.u.lastErr = nil
	test.Type(s.when, "2999-01-01 10:00")
	s.audience.SetText("legal")
	test.Type(s.summary, "Not yet")
	test.Tap(s.addComm)
	require.Error(t, h.u.lastErr)
	assert.Contains(t, h.u.lastErr.Error(), "is in the future")
}

// TestDeadlineCountdown: a 72-hour deadline counts down from the
// detection time, the ticker redraws it as the clock moves, and the ticker
// stops when the workspace is left.
func TestDeadlineCountdown(t *testing.T) {
	test.NewTempApp(t)
	h := openUI(t, app.NewService(newMemStore(), testPlaybook(t), "tester"))
	var offset atomic.Int64
	h.u.now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	h.u.tick = 20 * time.Millisecond
	ws := h.createIncident("Personal data exposed", false)
	p := paneOf[*reviewPane](t, ws)
	c := p.clock

	c.preset.SetSelected(deadlinePresets[0].label)
	assert.Equal(t, "72", c.dlHours.Text)
	assert.Equal(t, deadlinePresets[0].name, c.dlName.Text)
	test.Tap(c.addDl)
	h.eventually(func() bool { return len(c.deadlines) == 1 }, "deadline not added (last error: %v)", h.u.lastErr)
	d := c.deadlines[0]
	assert.Equal(t, 72, d.Hours)
	assert.Equal(t, ws.c.Incident.Times.Detected, d.Start, "a blank start is the detection time")
	cd := c.dlList[0].countdown
	assert.Regexp(t, regexp.MustCompile(`^(71h 59m|72h 00m) left$`), cd.Text)
	assert.Equal(t, "", c.dlName.Text, "form not emptied after the add")

	// Two hours later, with nothing else happening, the ticker redraws.
	offset.Store(int64(2 * time.Hour))
	h.eventually(func() bool { return regexp.MustCompile(`^(69h 59m|70h 00m) left$`).MatchString(cd.Text) },
		"countdown not redrawn: %q", cd.Text)
	offset.Store(int64(60*time.Hour + 30*time.Minute))
	h.eventually(func() bool { return cd.Importance == widget.DangerImportance }, "under 12h left is not red: %q", cd.Text)
	offset.Store(int64(73 * time.Hour))
	h.eventually(func() bool { return strings.HasPrefix(cd.Text, "MISSED by ") }, "missed deadline not said: %q", cd.Text)
	assert.Regexp(t, `^MISSED by 1h 0[01]m$`, cd.Text)

	// Leave the workspace: the ticker stops, so the label stays as it was.
	test.Tap(ws.back)
	h.eventually(func() bool { return h.list() != nil }, "did not leave the workspace")
	before := cd.Text
	offset.Store(int64(100 * time.Hour))
	time.Sleep(50 * time.Millisecond)
	h.loop.drain()
	assert.Equal(t, before, cd.Text, "the countdown kept ticking after the workspace was left")
}

// TestKeyTimes: key times are typed in the incident's zone or RFC 3339,
// and the durations follow.
func TestKeyTimes(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	ws := h.createIncident("Key times", false)
	c := paneOf[*reviewPane](t, ws).clock

	set := func(name, text string) {
		t.Helper()
		h.u.lastErr = nil
		e := c.keyEntry[name]
		e.SetText("")
		test.Type(e, text)
		test.Tap(c.keySet[name])
	}
	set("detected", "2026-03-01 09:00")
	h.eventually(func() bool { return ws.c.Incident.Times.Detected.Equal(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)) },
		"detected not set (last error: %v)", h.u.lastErr)
	set("contained", "2026-03-01T12:30:00Z")
	h.eventually(func() bool { return ws.c.Incident.Times.Contained.Equal(time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)) },
		"contained not set (last error: %v)", h.u.lastErr)
	assert.Equal(t, "2026-03-01 13:30", c.keyEntry["contained"].Text, "shown in the incident's zone")
	assert.Equal(t, "2026-03-01 12:30 UTC", c.keyUTC["contained"].Text)

	var got string
	for i := 0; i+1 < len(c.durations.Objects); i += 2 {
		if strings.HasPrefix(c.durations.Objects[i].(*widget.Label).Text, "Time to contain") {
			got = c.durations.Objects[i+1].(*widget.Label).Text
		}
	}
	assert.Equal(t, "4h 30m", got)
	h.eventually(func() bool {
		return strings.Contains(timelineText(ws), "Key time contained set to 2026-03-01T12:30:00Z")
	},
		"key time not on the timeline")

	set("eradicated", "yesterday")
	require.Error(t, h.u.lastErr)
	assert.Contains(t, h.u.lastErr.Error(), `"yesterday" is not a time`)
	assert.Equal(t, "yesterday", c.keyEntry["eradicated"].Text, "the typed text was replaced")
}

func TestParseWhen(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	tests := []struct {
		in      string
		due     bool
		want    time.Time
		wantErr string
	}{
		{"2026-03-01 14:30", false, time.Date(2026, 3, 1, 13, 30, 0, 0, time.UTC), ""},
		{" 2026-07-01 14:30:15 ", false, time.Date(2026, 7, 1, 12, 30, 15, 0, time.UTC), ""},
		{"2026-03-01T14:30", false, time.Date(2026, 3, 1, 13, 30, 0, 0, time.UTC), ""},
		{"2026-03-01T14:30:00Z", false, time.Date(2026, 3, 1, 14, 30, 0, 0, time.UTC), ""},
		{"2026-03-01T14:30:00-05:00", false, time.Date(2026, 3, 1, 19, 30, 0, 0, time.UTC), ""},
		{"2026-03-01", false, time.Time{}, "is not a time"},
		{"", false, time.Time{}, "enter a time"},
		{"2026-03-01", true, time.Date(2026, 3, 1, 22, 59, 0, 0, time.UTC), ""},
		{"2026-03-01 08:00", true, time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC), ""},
		{"soon", true, time.Time{}, `due date "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got time.Time
			var err error
			if tt.due {
				got, err = parseDue(tt.in, paris)
			} else {
				got, err = parseWhen(tt.in, paris)
			}
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, app.ErrInvalid)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "got %s, want %s", got, tt.want)
		})
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{45 * time.Second, "45s"},
		{59*time.Minute + 59*time.Second, "59m"},
		{72 * time.Hour, "72h 00m"},
		{71*time.Hour + 59*time.Minute + 59*time.Second, "71h 59m"},
		{-90 * time.Minute, "-1h 30m"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, humanDuration(tt.d))
		})
	}
}
