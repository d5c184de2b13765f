package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// timelinePane shows the incident's timeline, newest first, with a box to
// add a note and a button to verify the hash chain.
type timelinePane struct {
	ws *workspace

	entries []app.Entry

	count   *widget.Label
	list    *fyne.Container
	note    *widget.Entry
	when    *widget.Entry
	add     *widget.Button
	verify  *widget.Button
	verdict *widget.Label
	root    fyne.CanvasObject
}

func newTimelinePane(ws *workspace) *timelinePane {
	t := &timelinePane{ws: ws}
	t.count = widget.NewLabelWithStyle("Timeline", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t.list = container.NewVBox()
	t.note = widget.NewMultiLineEntry()
	t.note.SetPlaceHolder("Something you observed or did, for the record")
	t.note.Wrapping = fyne.TextWrapWord
	t.note.SetMinRowsVisible(2)
	t.add = widget.NewButtonWithIcon("Add note", theme.ContentAddIcon(), t.onAdd)
	// Things are often learned late ("the key was used at 02:10"): the
	// note may carry the time it happened, in the incident's zone.
	t.when = widget.NewEntry()
	t.when.SetPlaceHolder("When it happened (blank = now)")
	t.verify = widget.NewButtonWithIcon("Verify timeline", theme.ConfirmIcon(), t.onVerify)
	t.verdict = widget.NewLabel("")
	t.verdict.Wrapping = fyne.TextWrapWord
	t.verdict.Hide()

	top := container.NewVBox(
		container.NewBorder(nil, nil, nil, t.verify, t.count),
		t.verdict,
	)
	bottom := container.NewVBox(widget.NewSeparator(), t.note, container.NewBorder(nil, nil, nil, t.add, t.when))
	t.root = container.NewBorder(top, bottom, nil, nil, container.NewVScroll(t.list))
	return t
}

// load reads the timeline again; the workspace calls it after every change.
func (t *timelinePane) load() {
	svc, id := t.ws.u.svc, t.ws.id
	t.ws.jobs.read("timeline", func(ctx context.Context) func() {
		entries, err := svc.Timeline(ctx, id)
		return func() {
			if err != nil {
				t.ws.u.showError("Could not read the timeline", err)
				return
			}
			t.entries = entries
			t.fill()
		}
	})
}

// fill draws the entries, newest first: during an incident the last thing
// recorded is what people look for.
func (t *timelinePane) fill() {
	if len(t.entries) == 1 {
		t.count.SetText("Timeline: 1 entry")
	} else {
		t.count.SetText(fmt.Sprintf("Timeline: %d entries, newest first", len(t.entries)))
	}
	loc := t.ws.c.Incident.Location()
	objs := make([]fyne.CanvasObject, 0, 2*len(t.entries))
	for i := len(t.entries) - 1; i >= 0; i-- {
		e := t.entries[i]
		head := widget.NewLabelWithStyle(entryHeading(e, loc), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		head.SizeName = theme.SizeNameCaptionText
		head.Wrapping = fyne.TextWrapWord
		text := widget.NewLabel(e.Text)
		text.Wrapping = fyne.TextWrapWord
		objs = append(objs, container.NewVBox(head, text), widget.NewSeparator())
	}
	t.list.Objects = objs
	t.list.Refresh()
}

// entryHeading is the line above an entry: number, event time in UTC and in
// the incident's zone, who, what kind, and when it was recorded if late.
func entryHeading(e app.Entry, loc *time.Location) string {
	ev := e.EventTime.UTC()
	parts := []string{fmt.Sprintf("#%d", e.Seq), ev.Format("2006-01-02 15:04:05 MST")}
	if loc != time.UTC {
		local := ev.In(loc)
		layout := "15:04:05 MST"
		if local.Format(time.DateOnly) != ev.Format(time.DateOnly) {
			layout = "2006-01-02 15:04:05 MST"
		}
		parts = append(parts, fmt.Sprintf("(%s %s)", local.Format(layout), loc.String()))
	}
	parts = append(parts, e.Actor, string(e.Kind))
	if e.RecordedAt.Sub(e.EventTime) > time.Minute {
		parts = append(parts, "recorded "+e.RecordedAt.UTC().Format("2006-01-02 15:04 MST"))
	}
	return strings.Join(parts, "  ·  ")
}

// onAdd records the note. The text stays in the box until the store has it.
func (t *timelinePane) onAdd() {
	text := t.note.Text
	if strings.TrimSpace(text) == "" {
		t.ws.u.showError("Could not add the note", fmt.Errorf("%w: the note is empty", app.ErrInvalid))
		return
	}
	var at time.Time
	when := t.when.Text
	if strings.TrimSpace(when) != "" {
		var err error
		loc := t.ws.c.Incident.Location()
		if at, err = parseWhen(when, loc); err != nil {
			t.ws.u.showError("Could not add the note", err)
			return
		}
		if at.After(t.ws.u.clock().Add(time.Minute)) {
			t.ws.u.showError("Could not add the note", fmt.Errorf("%w: %s is in the future: a note records what has happened", app.ErrInvalid, formatWhenZone(at, loc)))
			return
		}
	}
	id := t.ws.id
	t.add.Disable()
	t.ws.save("Could not add the note", func(ctx context.Context, svc *app.Service) (app.Case, error) {
		return svc.AddNote(ctx, id, text, at)
	}, func(err error) {
		t.add.Enable()
		if err == nil && t.note.Text == text && t.when.Text == when {
			t.note.SetText("")
			t.when.SetText("")
		}
	})
}

// onVerify checks the hash chain and says what it found.
func (t *timelinePane) onVerify() {
	svc, id := t.ws.u.svc, t.ws.id
	t.verify.Disable()
	t.ws.jobs.read("verify", func(ctx context.Context) func() {
		n, err := svc.Verify(ctx, id)
		return func() {
			t.verify.Enable()
			t.verdict.Show()
			var chain *app.ChainError
			switch {
			case err == nil:
				t.verdict.Importance = widget.SuccessImportance
				t.verdict.SetText(fmt.Sprintf("Verified: all %d entries are intact and in order.", n))
			case errors.As(err, &chain):
				t.verdict.Importance = widget.DangerImportance
				t.verdict.SetText(fmt.Sprintf("NOT intact: entry %d %s.", chain.Seq, chain.Reason))
				t.ws.u.showError("The timeline does not verify", err)
			default:
				t.verdict.Importance = widget.WarningImportance
				t.verdict.SetText("Could not verify the timeline.")
				t.ws.u.showError("Could not verify the timeline", err)
			}
		}
	})
}
