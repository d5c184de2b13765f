package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// deadlinePreset is a common notification clock.
type deadlinePreset struct {
	label, name string
	hours       int
}

// deadlinePresets are offered in the deadline form. The first is the
// 72-hour clock many data-protection laws give to notify a regulator.
var deadlinePresets = []deadlinePreset{
	{"72 hours (GDPR-style regulator notification)", "Notify the data-protection regulator", 72},
	{"24 hours (internal escalation)", "Escalate to executives", 24},
	{"96 hours (customer notification)", "Notify affected customers", 96},
	{"Custom", "", 0},
}

// deadlineColumns is the layout of the deadline table.
var deadlineColumns = columns{weights: []float32{2.2, 1.6, 1.8}}

// clockSection shows the key times of the incident with what they measure,
// and the running deadlines with a live countdown.
type clockSection struct {
	p *reviewPane

	zone      *widget.Label
	keyEntry  map[string]*widget.Entry
	keySet    map[string]*widget.Button
	keyDirty  map[string]bool
	keyUTC    map[string]*widget.Label
	durations *fyne.Container
	updating  bool

	deadlines []app.Deadline
	dlRows    *fyne.Container
	dlList    []*deadlineRow
	dlEmpty   *widget.Label
	preset    *widget.Select
	dlName    *widget.Entry
	dlStart   *widget.Entry
	dlHours   *widget.Entry
	addDl     *widget.Button

	root fyne.CanvasObject
}

// deadlineRow is one line of the deadline table.
type deadlineRow struct {
	name, due, countdown *widget.Label
	root                 *fyne.Container
}

func newClockSection(p *reviewPane) *clockSection {
	s := &clockSection{p: p, keyEntry: map[string]*widget.Entry{}, keySet: map[string]*widget.Button{},
		keyDirty: map[string]bool{}, keyUTC: map[string]*widget.Label{}}

	s.zone = lowLabel("")
	keys := container.New(layout.NewFormLayout())
	for _, name := range app.KeyTimeNames {
		e := widget.NewEntry()
		e.SetPlaceHolder("not set")
		e.OnChanged = func(string) {
			if !s.updating {
				s.keyDirty[name] = true
			}
		}
		set := widget.NewButton("Set", func() { s.onSetKey(name) })
		utc := widget.NewLabel("")
		utc.Importance = widget.LowImportance
		utc.SizeName = theme.SizeNameCaptionText
		s.keyEntry[name], s.keySet[name], s.keyUTC[name] = e, set, utc
		keys.Add(widget.NewLabel(keyTimeTitle(name)))
		// A time fits a fixed width; the UTC reading sits beside it.
		sized := container.NewGridWrap(fyne.NewSize(11*theme.TextSize(), e.MinSize().Height), e)
		keys.Add(container.NewHBox(sized, set, container.NewCenter(utc)))
	}
	s.durations = container.New(layout.NewFormLayout())

	s.dlRows = container.NewVBox()
	s.dlEmpty = lowLabel("No deadline running. Start one when a law or a contract sets a time to notify someone.")
	var labels []string
	for _, d := range deadlinePresets {
		labels = append(labels, d.label)
	}
	s.preset = widget.NewSelect(labels, s.onPreset)
	s.preset.PlaceHolder = "Preset"
	s.dlName = widget.NewEntry()
	s.dlName.SetPlaceHolder("What must happen (required)")
	s.dlStart = widget.NewEntry()
	s.dlStart.SetPlaceHolder("Starts (blank = detected)")
	s.dlHours = widget.NewEntry()
	s.dlHours.SetPlaceHolder("Hours")
	s.addDl = widget.NewButtonWithIcon("Start", theme.ContentAddIcon(), s.onAddDeadline)

	// Deadlines first: a running regulator clock is what people come
	// here to see.
	body := container.NewVBox(
		sectionLabel("Deadlines"),
		container.New(deadlineColumns, boldCell("Deadline"), boldCell("Due"), boldCell("Time left")),
		s.dlRows, s.dlEmpty,
		container.New(columns{weights: []float32{1.9, 2, 1.3, 0.6, 0}}, s.preset, s.dlName, s.dlStart, s.dlHours, s.addDl),
		widget.NewSeparator(),
		sectionLabel("Key times"), s.zone, keys,
		sectionLabel("What they measure"), s.durations,
	)
	s.root = container.NewVScroll(container.NewPadded(body))
	return s
}

// keyTimeTitle is the form label of a key time.
func keyTimeTitle(name string) string {
	return strings.ToUpper(name[:1]) + name[1:]
}

// show fills key times (keeping edits in progress), durations and deadlines.
func (s *clockSection) show(c app.Case) {
	inc := c.Incident
	loc := inc.Location()
	s.zone.SetText(fmt.Sprintf("Times are in %s. Type 2026-03-01 14:30, or RFC 3339 with its offset, then Set.", zoneName(loc)))
	s.updating = true
	for _, name := range app.KeyTimeNames {
		t := inc.Times.Get(name)
		if !s.keyDirty[name] {
			s.keyEntry[name].SetText(formatWhen(t, loc))
		}
		if t.IsZero() {
			s.keyUTC[name].SetText("")
		} else {
			s.keyUTC[name].SetText(t.UTC().Format("2006-01-02 15:04 UTC"))
		}
	}
	s.updating = false

	s.durations.RemoveAll()
	for _, d := range inc.Times.Durations() {
		v := widget.NewLabel("not known yet")
		if d.Known {
			v.SetText(humanDuration(d.Value))
			if d.Value < 0 {
				v.SetText(humanDuration(d.Value) + " (the times are out of order: check them)")
				v.Importance = widget.WarningImportance
			}
		} else {
			v.Importance = widget.LowImportance
		}
		s.durations.Add(widget.NewLabel(d.Name))
		s.durations.Add(v)
	}

	s.deadlines = inc.Review.Deadlines
	s.showDeadlines()
}

// showDeadlines draws the deadlines with the time left now; the clock
// calls it every tick.
func (s *clockSection) showDeadlines() {
	loc := s.p.ws.c.Incident.Location()
	for len(s.dlList) < len(s.deadlines) {
		r := &deadlineRow{name: cell(""), due: cell(""), countdown: cell("")}
		r.root = container.New(deadlineColumns, r.name, r.due, r.countdown)
		s.dlList = append(s.dlList, r)
		s.dlRows.Add(r.root)
	}
	if len(s.dlList) > len(s.deadlines) {
		s.dlList = s.dlList[:len(s.deadlines)]
		s.dlRows.Objects = s.dlRows.Objects[:len(s.deadlines)]
		s.dlRows.Refresh()
	}
	now := s.p.ws.u.clock()
	for i, d := range s.deadlines {
		r := s.dlList[i]
		r.name.SetText(fmt.Sprintf("%s (%dh)", d.Name, d.Hours))
		r.due.SetText(formatWhenZone(d.Due(), loc))
		text, imp := countdown(d, now)
		r.countdown.Importance = imp
		r.countdown.TextStyle = fyne.TextStyle{Bold: imp == widget.DangerImportance || imp == widget.WarningImportance}
		r.countdown.SetText(text)
	}
	showIf(s.dlEmpty, len(s.deadlines) == 0)
}

// countdown says how long is left before d at now, and how urgent that is.
func countdown(d app.Deadline, now time.Time) (string, widget.Importance) {
	left := d.Remaining(now)
	switch {
	case left <= 0:
		return "MISSED by " + humanDuration(-left), widget.DangerImportance
	case left < 12*time.Hour:
		return humanDuration(left) + " left", widget.DangerImportance
	case left < 24*time.Hour:
		return humanDuration(left) + " left", widget.WarningImportance
	}
	return humanDuration(left) + " left", widget.MediumImportance
}

// onSetKey records or corrects one key time.
func (s *clockSection) onSetKey(name string) {
	ws := s.p.ws
	e := s.keyEntry[name]
	what := "Could not set the " + name + " time"
	at, err := parseWhen(e.Text, ws.c.Incident.Location())
	if err != nil {
		ws.u.showError(what, err)
		return
	}
	sent, id, btn := e.Text, ws.id, s.keySet[name]
	btn.Disable()
	ws.save(what, func(ctx context.Context, svc *app.Service) (app.Case, error) {
		return svc.SetKeyTime(ctx, id, name, at)
	}, func(err error) {
		btn.Enable()
		if err == nil && e.Text == sent {
			s.keyDirty[name] = false
		}
	})
}

// onPreset fills the deadline form from a preset.
func (s *clockSection) onPreset(label string) {
	for _, d := range deadlinePresets {
		if d.label == label && d.hours > 0 {
			s.dlName.SetText(d.name)
			s.dlHours.SetText(strconv.Itoa(d.hours))
		}
	}
}

// onAddDeadline starts a countdown. A blank start means the detection
// time, from which such clocks usually run.
func (s *clockSection) onAddDeadline() {
	ws := s.p.ws
	const what = "Could not start the deadline"
	loc := ws.c.Incident.Location()
	hours, err := strconv.Atoi(strings.TrimSpace(s.dlHours.Text))
	if err != nil || hours <= 0 {
		ws.u.showError(what, fmt.Errorf("%w: hours must be a whole number above zero, e.g. 72", app.ErrInvalid))
		return
	}
	start := ws.c.Incident.Times.Detected
	if strings.TrimSpace(s.dlStart.Text) != "" {
		if start, err = parseWhen(s.dlStart.Text, loc); err != nil {
			ws.u.showError(what, err)
			return
		}
	}
	if start.IsZero() {
		start = ws.u.clock()
	}
	d := app.Deadline{Name: s.dlName.Text, Start: start, Hours: hours}
	snap := func() string { return strings.Join([]string{s.dlName.Text, s.dlStart.Text, s.dlHours.Text}, "\x00") }
	before, id := snap(), ws.id
	s.addDl.Disable()
	ws.save(what, func(ctx context.Context, svc *app.Service) (app.Case, error) {
		return svc.AddDeadline(ctx, id, d)
	}, func(err error) {
		s.addDl.Enable()
		if err == nil && snap() == before {
			s.preset.ClearSelected()
			for _, e := range []*widget.Entry{s.dlName, s.dlStart, s.dlHours} {
				e.SetText("")
			}
		}
	})
}
