package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// formScreen collects what a new incident needs.
type formScreen struct {
	u    *UI
	jobs *jobs

	playbooks []*app.Playbook

	title          *widget.Entry
	ticket         *widget.Entry
	severity       *widget.Select
	classification *widget.SelectEntry
	exercise       *widget.Check
	accounts       *widget.Entry
	buckets        *widget.Entry
	principals     *widget.Entry
	application    *widget.Entry
	timeZone       *widget.Entry
	playbook       *widget.Select
	create         *widget.Button
	cancel         *widget.Button
	root           fyne.CanvasObject
}

func newFormScreen(u *UI, _ string) screen {
	s := &formScreen{u: u, jobs: u.newJobs(), playbooks: u.svc.Playbooks()}

	s.title = widget.NewEntry()
	s.title.SetPlaceHolder("What happened, in a few words (required)")
	s.ticket = widget.NewEntry()
	s.ticket.SetPlaceHolder("e.g. SEC-1234")

	var sevs []string
	for _, sv := range app.Severities {
		sevs = append(sevs, sv.Describe())
	}
	s.severity = widget.NewSelect(sevs, nil)
	s.severity.SetSelected(app.SeverityP3.Describe())

	s.classification = widget.NewSelectEntry([]string{"Public", "Internal", "Confidential", "Restricted"})
	s.classification.SetPlaceHolder("How sensitive is the data?")
	s.exercise = widget.NewCheck("This is an exercise (game day), not a real incident", nil)

	s.accounts = listEntry("123456789012, one per line or comma separated")
	s.buckets = listEntry("bucket names")
	s.principals = listEntry("IAM users, roles or access key ids")
	s.application = widget.NewEntry()
	s.application.SetPlaceHolder("Application or service that owns the data")

	s.timeZone = widget.NewEntry()
	s.timeZone.SetText(localZoneName())
	s.timeZone.SetPlaceHolder("e.g. Europe/Paris; empty means UTC")
	s.timeZone.Validator = validZone

	var pbs []string
	for i, pb := range s.playbooks {
		pbs = append(pbs, playbookName(pb, i == 0))
	}
	s.playbook = widget.NewSelect(pbs, nil)
	s.playbook.SetSelectedIndex(0)

	form := widget.NewForm(
		widget.NewFormItem("Title", s.title),
		widget.NewFormItem("Ticket", s.ticket),
		widget.NewFormItem("Severity", s.severity),
		widget.NewFormItem("Data classification", s.classification),
		widget.NewFormItem("", s.exercise),
		widget.NewFormItem("Accounts", s.accounts),
		widget.NewFormItem("Buckets", s.buckets),
		widget.NewFormItem("Principals", s.principals),
		widget.NewFormItem("Application", s.application),
		widget.NewFormItem("Time zone", s.timeZone),
		widget.NewFormItem("Playbook", s.playbook),
	)
	form.Items[9].HintText = "Timeline times are shown in UTC and in this zone"

	s.create = widget.NewButtonWithIcon("Create", theme.ConfirmIcon(), s.onCreate)
	s.create.Importance = widget.HighImportance
	s.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), s.onCancel)

	heading := widget.NewLabelWithStyle("New incident", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	heading.SizeName = theme.SizeNameSubHeadingText
	buttons := container.NewHBox(layout.NewSpacer(), s.cancel, s.create)
	s.root = container.NewBorder(container.NewVBox(heading, widget.NewSeparator()), buttons, nil, nil,
		container.NewVScroll(container.NewPadded(form)))
	return s
}

func (s *formScreen) content() fyne.CanvasObject { return s.root }

func (s *formScreen) leave() { s.jobs.leave() }

func (s *formScreen) onCancel() { s.u.show(routeIncidents, "") }

// onCreate checks the form, then creates the incident off the UI goroutine
// and opens its workspace. On failure the form keeps everything typed.
func (s *formScreen) onCreate() {
	n, err := s.collect()
	if err != nil {
		s.u.showError("Could not create the incident", err)
		return
	}
	s.create.Disable()
	svc := s.u.svc
	s.jobs.write(func(ctx context.Context) func() {
		c, err := svc.Create(ctx, n)
		return func() {
			s.create.Enable()
			if err != nil {
				s.u.showError("Could not create the incident", err)
				return
			}
			s.u.openIncident(c.Incident.ID)
		}
	})
}

// collect reads the form into the service's input, checking what the
// service would reject so the user hears about it before any work starts.
func (s *formScreen) collect() (app.NewIncident, error) {
	if strings.TrimSpace(s.title.Text) == "" {
		return app.NewIncident{}, fmt.Errorf("%w: give the incident a title", app.ErrInvalid)
	}
	if err := validZone(s.timeZone.Text); err != nil {
		return app.NewIncident{}, err
	}
	sev := app.SeverityP3
	for _, sv := range app.Severities {
		if sv.Describe() == s.severity.Selected {
			sev = sv
		}
	}
	var pb string
	if i := s.playbook.SelectedIndex(); i > 0 && i < len(s.playbooks) {
		pb = s.playbooks[i].SHA256
	}
	return app.NewIncident{
		Title:          s.title.Text,
		Ticket:         s.ticket.Text,
		Severity:       sev,
		Classification: s.classification.Text,
		Exercise:       s.exercise.Checked,
		Accounts:       splitList(s.accounts.Text),
		Buckets:        splitList(s.buckets.Text),
		Principals:     splitList(s.principals.Text),
		Application:    s.application.Text,
		TimeZone:       strings.TrimSpace(s.timeZone.Text),
		Playbook:       pb,
	}, nil
}

// listEntry is a short multi-line entry for comma or newline separated lists.
func listEntry(placeholder string) *widget.Entry {
	e := widget.NewMultiLineEntry()
	e.SetPlaceHolder(placeholder)
	e.SetMinRowsVisible(2)
	e.Wrapping = fyne.TextWrapWord
	return e
}

// splitList splits on commas and newlines; the service trims and dedups.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ';' })
}

// validZone accepts an IANA zone name or nothing (UTC). "Local" is refused:
// it would mean a different zone on every machine that opens the incident.
func validZone(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if strings.EqualFold(s, "local") {
		return errors.New("name the zone, e.g. Europe/Paris: \"Local\" differs from machine to machine")
	}
	if _, err := time.LoadLocation(s); err != nil {
		return fmt.Errorf("%w: time zone %q is not known on this machine (use a name like Europe/Paris or UTC)", app.ErrInvalid, s)
	}
	return nil
}

// localZoneName guesses the IANA name of this machine's zone: TZ, then the
// target of /etc/localtime, then UTC. time.Local only knows itself as
// "Local", which is useless in a record read on another machine.
func localZoneName() string {
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" && validZone(tz) == nil {
		return tz
	}
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if i := strings.LastIndex(target, "zoneinfo/"); i >= 0 {
			if name := target[i+len("zoneinfo/"):]; validZone(name) == nil {
				return name
			}
		}
	}
	return "UTC"
}

// playbookName is how a playbook appears in the picker.
func playbookName(pb *app.Playbook, builtin bool) string {
	name := pb.Title
	if name == "" {
		name = pb.ID
	}
	name += " (version " + pb.Version + ")"
	if builtin {
		name += ", built in"
	} else {
		name += ", sha256 " + pb.SHA256[:min(12, len(pb.SHA256))]
	}
	return name
}
