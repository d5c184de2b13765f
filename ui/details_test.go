package ui

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// TestDetailsEdit: editing the details saves them, the header follows and
// the timeline records old and new values; a failed save keeps the edit.
func TestDetailsEdit(t *testing.T) {
	db, _ := openStore(t, filepath.Join(t.TempDir(), "incidents.db"))
	h := newHarness(t, db, testPlaybook(t))
	ws := h.createIncident("Public bucket", false)
	p := paneOf[*detailsPane](t, ws)
	assert.Equal(t, "Public bucket", p.title.Text)
	assert.Equal(t, "customer-exports\nbilling-archive", p.buckets.Text)
	assert.False(t, p.unsaved.Visible())

	p.title.SetText("")
	test.Type(p.title, "Public bucket with customer exports")
	p.severity.SetSelected(app.SeverityP1.Describe())
	test.Type(p.principals, "arn:aws:iam::111122223333:user/ci")
	assert.True(t, p.unsaved.Visible())
	test.Tap(p.save)
	h.eventually(func() bool { return ws.c.Incident.Severity == app.SeverityP1 }, "details not saved (last error: %v)", h.u.lastErr)
	require.NoError(t, h.u.lastErr)
	assert.Equal(t, "Public bucket with customer exports", ws.c.Incident.Title)
	assert.Equal(t, []string{"arn:aws:iam::111122223333:user/ci"}, ws.c.Incident.Principals)
	assert.Contains(t, ws.heading.Text, "Public bucket with customer exports")
	assert.Contains(t, ws.meta.Text, "P1 critical")
	assert.False(t, p.unsaved.Visible())
	h.eventually(func() bool { return strings.Contains(timelineText(ws), "Details changed: title: ") }, "edit not on the timeline")
	text := timelineText(ws)
	assert.Contains(t, text, `title: "Public bucket" → "Public bucket with customer exports"`)
	assert.Regexp(t, `severity: "?P3"? → "?P1"?`, text)

	// Validation happens before any save and keeps the input.
	h.u.lastErr = nil
	p.timeZone.SetText("Mars/Olympus")
	test.Tap(p.save)
	require.Error(t, h.u.lastErr)
	assert.Contains(t, h.u.lastErr.Error(), `time zone "Mars/Olympus" is not known`)
	assert.Equal(t, "Mars/Olympus", p.timeZone.Text)

	// Discard puts back what is stored.
	test.Tap(p.discard)
	assert.Equal(t, "Europe/Paris", p.timeZone.Text)
	assert.False(t, p.unsaved.Visible())
}

// TestDetailsFailedSaveKeepsText: the store fails, the edit stays.
func TestDetailsFailedSaveKeepsText(t *testing.T) {
	st := newMemStore()
	h := newHarness(t, st, testPlaybook(t))
	ws := h.createIncident("Disk trouble", false)
	p := paneOf[*detailsPane](t, ws)
	st.setFailUpdate(errors.New("write incidents.db: no space left on device"))
	p.ticket.SetText("SEC-42-2")
	test.Tap(p.save)
	h.eventually(func() bool { return h.u.lastErr != nil }, "failed save showed no error")
	assert.True(t, strings.HasPrefix(h.u.lastErr.Error(), "Could not save the incident details: "))
	assert.Equal(t, "SEC-42-2", p.ticket.Text)
	assert.True(t, p.unsaved.Visible())

	// A save elsewhere reloads the case but leaves the edit alone.
	st.setFailUpdate(nil)
	test.Type(ws.timeline.note, "Paged the owner")
	test.Tap(ws.timeline.add)
	h.eventually(func() bool { return strings.Contains(timelineText(ws), "Paged the owner") }, "note not added")
	assert.Equal(t, "SEC-42-2", p.ticket.Text)
	assert.True(t, p.unsaved.Visible())
}

// TestBackdatedNote: a note may carry the time it happened, typed in the
// incident's zone; a bad or future time is refused and the text kept.
func TestBackdatedNote(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	ws := h.createIncident("Late news", false)
	tl := ws.timeline
	h.eventually(func() bool { return len(tl.entries) > 0 }, "timeline never loaded")

	tests := []struct {
		name, when, wantErr string
		want                time.Time
	}{
		{"wall clock in the incident zone", "2026-01-02 03:04", "", time.Date(2026, 1, 2, 2, 4, 0, 0, time.UTC)},
		{"RFC 3339", "2026-01-02T03:04:00Z", "", time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)},
		{"not a time", "last night", `"last night" is not a time`, time.Time{}},
		{"future", "2999-01-01 00:00", "is in the future", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.u.lastErr = nil
			before := len(tl.entries)
			note := "Key used from 203.0.113.7 (" + tt.name + ")"
			tl.note.SetText(note)
			tl.when.SetText(tt.when)
			test.Tap(tl.add)
			if tt.wantErr != "" {
				require.Error(t, h.u.lastErr)
				assert.Contains(t, h.u.lastErr.Error(), tt.wantErr)
				assert.Equal(t, note, tl.note.Text)
				assert.Equal(t, tt.when, tl.when.Text)
				return
			}
			h.eventually(func() bool { return len(tl.entries) == before+1 }, "note not added (last error: %v)", h.u.lastErr)
			e := tl.entries[before]
			assert.Equal(t, note, e.Text)
			assert.True(t, tt.want.Equal(e.EventTime), "event time %s, want %s", e.EventTime, tt.want)
			assert.Contains(t, entryHeading(e, ws.c.Incident.Location()), "recorded ", "a late note must say when it was recorded")
			assert.Equal(t, "", tl.when.Text)
			assert.Equal(t, "", tl.note.Text)
		})
	}
}
