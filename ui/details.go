package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// detailsPane edits what describes the incident: title, ticket, severity,
// data classification, scope and time zone. Each change is recorded on the
// timeline by the service, old value and new.
type detailsPane struct {
	ws       *workspace
	updating bool
	dirty    bool

	title          *widget.Entry
	ticket         *widget.Entry
	severity       *widget.Select
	classification *widget.SelectEntry
	accounts       *widget.Entry
	buckets        *widget.Entry
	principals     *widget.Entry
	application    *widget.Entry
	timeZone       *widget.Entry

	save    *widget.Button
	discard *widget.Button
	unsaved *widget.Label
	root    fyne.CanvasObject
}

func newDetailsPane(ws *workspace) pane {
	p := &detailsPane{ws: ws}
	p.title = widget.NewEntry()
	p.ticket = widget.NewEntry()
	p.ticket.SetPlaceHolder("e.g. SEC-1234")
	var sevs []string
	for _, sv := range app.Severities {
		sevs = append(sevs, sv.Describe())
	}
	p.severity = widget.NewSelect(sevs, func(string) { p.onChanged("") })
	p.classification = widget.NewSelectEntry([]string{"Public", "Internal", "Confidential", "Restricted"})
	p.classification.SetPlaceHolder("How sensitive is the data?")
	p.accounts = listEntry("123456789012, one per line or comma separated")
	p.buckets = listEntry("bucket names")
	p.principals = listEntry("IAM users, roles or access key ids")
	p.application = widget.NewEntry()
	p.application.SetPlaceHolder("Application or service that owns the data")
	p.timeZone = widget.NewEntry()
	p.timeZone.SetPlaceHolder("e.g. Europe/Paris; empty means UTC")
	p.timeZone.Validator = validZone
	for _, e := range []*widget.Entry{p.title, p.ticket, p.accounts, p.buckets, p.principals, p.application, p.timeZone} {
		e.OnChanged = p.onChanged
	}
	p.classification.OnChanged = p.onChanged

	form := widget.NewForm(
		widget.NewFormItem("Title", p.title),
		widget.NewFormItem("Ticket", p.ticket),
		widget.NewFormItem("Severity", p.severity),
		widget.NewFormItem("Data classification", p.classification),
		widget.NewFormItem("Accounts", p.accounts),
		widget.NewFormItem("Buckets", p.buckets),
		widget.NewFormItem("Principals", p.principals),
		widget.NewFormItem("Application", p.application),
		widget.NewFormItem("Time zone", p.timeZone),
	)
	form.Items[8].HintText = "Times you type elsewhere in this incident are read in this zone"

	p.save = widget.NewButtonWithIcon("Save details", theme.DocumentSaveIcon(), p.onSave)
	p.save.Importance = widget.HighImportance
	p.discard = widget.NewButtonWithIcon("Discard changes", theme.ContentUndoIcon(), p.onDiscard)
	p.unsaved = widget.NewLabel("Not saved yet")
	p.unsaved.Importance = widget.WarningImportance
	p.unsaved.Hide()
	note := lowLabel("Every change is written to the timeline with its old and new value. " +
		"The exercise flag and the playbook are fixed when the incident is opened.")

	bar := container.NewHBox(p.unsaved, layout.NewSpacer(), p.discard, p.save)
	p.root = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), bar), nil, nil,
		container.NewVScroll(container.NewPadded(container.NewVBox(form, note))))
	return p
}

func (p *detailsPane) object() fyne.CanvasObject { return p.root }

func (p *detailsPane) onChanged(string) {
	if p.updating {
		return
	}
	p.dirty = true
	p.unsaved.Show()
}

// show fills the form from the case unless the user is editing it.
func (p *detailsPane) show(c app.Case, _ *app.Playbook) {
	if !p.dirty {
		p.fill(c.Incident)
	}
}

// fill writes the incident into the form.
func (p *detailsPane) fill(inc app.Incident) {
	p.updating = true
	defer func() { p.updating = false }()
	p.title.SetText(inc.Title)
	p.ticket.SetText(inc.Ticket)
	p.severity.SetSelected(inc.Severity.Describe())
	p.classification.SetText(inc.Classification)
	p.accounts.SetText(strings.Join(inc.Accounts, "\n"))
	p.buckets.SetText(strings.Join(inc.Buckets, "\n"))
	p.principals.SetText(strings.Join(inc.Principals, "\n"))
	p.application.SetText(inc.Application)
	p.timeZone.SetText(inc.TimeZone)
	p.dirty = false
	p.unsaved.Hide()
}

// collect reads the form, checking what the service would refuse.
func (p *detailsPane) collect() (app.Details, error) {
	if strings.TrimSpace(p.title.Text) == "" {
		return app.Details{}, fmt.Errorf("%w: give the incident a title", app.ErrInvalid)
	}
	if err := validZone(p.timeZone.Text); err != nil {
		return app.Details{}, err
	}
	sev := p.ws.c.Incident.Severity
	for _, sv := range app.Severities {
		if sv.Describe() == p.severity.Selected {
			sev = sv
		}
	}
	return app.Details{
		Title: p.title.Text, Ticket: p.ticket.Text, Severity: sev, Classification: p.classification.Text,
		Accounts: splitList(p.accounts.Text), Buckets: splitList(p.buckets.Text), Principals: splitList(p.principals.Text),
		Application: p.application.Text, TimeZone: strings.TrimSpace(p.timeZone.Text),
	}, nil
}

// snapshot is the form's text, to tell whether it changed during a save.
func (p *detailsPane) snapshot() string {
	return strings.Join([]string{p.title.Text, p.ticket.Text, p.severity.Selected, p.classification.Text,
		p.accounts.Text, p.buckets.Text, p.principals.Text, p.application.Text, p.timeZone.Text}, "\x00")
}

// onSave stores the details; on failure the form keeps what was typed.
func (p *detailsPane) onSave() {
	const what = "Could not save the incident details"
	d, err := p.collect()
	if err != nil {
		p.ws.u.showError(what, err)
		return
	}
	snap, id := p.snapshot(), p.ws.id
	p.save.Disable()
	p.ws.save(what, func(ctx context.Context, svc *app.Service) (app.Case, error) {
		return svc.Edit(ctx, id, d)
	}, func(err error) {
		p.save.Enable()
		if err == nil && p.snapshot() == snap {
			p.dirty = false
			p.unsaved.Hide()
		}
	})
}

// onDiscard puts back what is stored.
func (p *detailsPane) onDiscard() {
	if p.ws.loaded {
		p.fill(p.ws.c.Incident)
	}
}
