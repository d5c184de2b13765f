package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// stakeholderRoles are the groups a data-access incident usually involves.
var stakeholderRoles = []string{"legal", "PR", "technical", "executives", "regulators", "customers", "law enforcement", "other"}

// channels are the usual ways people are told; the field takes any text.
var channels = []string{"email", "phone", "video call", "chat", "meeting", "ticket", "status page", "letter", "press release"}

// Column layouts of the two tables and their forms.
var (
	stakeholderColumns = columns{weights: []float32{1, 1.6, 2}}
	stakeholderForm    = columns{weights: []float32{1, 1.6, 2, 0}}
	commColumns        = columns{weights: []float32{1.3, 1.1, 1, 0.9, 3}}
)

// peopleSection lists the stakeholders and the communications log, each
// with a one-line form to add to it.
type peopleSection struct {
	p *reviewPane

	stakeholders []app.Stakeholder
	comms        []app.Communication
	// audienceOptions are the audiences offered: the roles, then the
	// stakeholders' names.
	audienceOptions []string

	stRows    *fyne.Container
	stEmpty   *widget.Label
	role      *widget.Select
	name      *widget.Entry
	contact   *widget.Entry
	addPerson *widget.Button

	cmRows   *fyne.Container
	cmEmpty  *widget.Label
	when     *widget.Entry
	audience *widget.SelectEntry
	who      *widget.Entry
	channel  *widget.SelectEntry
	summary  *widget.Entry
	addComm  *widget.Button

	root fyne.CanvasObject
}

func newPeopleSection(p *reviewPane) *peopleSection {
	s := &peopleSection{p: p}

	s.stRows = container.NewVBox()
	s.stEmpty = lowLabel("Nobody recorded yet: legal, PR, the data owner, executives, regulators…")
	s.role = widget.NewSelect(stakeholderRoles, nil)
	s.role.PlaceHolder = "Role"
	s.name = widget.NewEntry()
	s.name.SetPlaceHolder("Name or team (required)")
	s.contact = widget.NewEntry()
	s.contact.SetPlaceHolder("Contact: mail, phone")
	s.addPerson = widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), s.onAddPerson)

	s.cmRows = container.NewVBox()
	s.cmEmpty = lowLabel("No communication logged yet. Log every notice: who was told what, when and how.")
	s.when = widget.NewEntry()
	s.when.SetPlaceHolder("When (blank = now)")
	s.audience = widget.NewSelectEntry(stakeholderRoles)
	s.audience.SetPlaceHolder("Audience (required)")
	s.who = widget.NewEntry()
	s.who.SetPlaceHolder("Sent by")
	s.channel = widget.NewSelectEntry(channels)
	s.channel.SetPlaceHolder("Channel")
	s.summary = widget.NewEntry()
	s.summary.SetPlaceHolder("What was said (required)")
	s.addComm = widget.NewButtonWithIcon("Log", theme.ContentAddIcon(), s.onAddComm)

	people := container.NewBorder(
		container.NewVBox(sectionLabel("Stakeholders"),
			container.New(stakeholderColumns, boldCell("Role"), boldCell("Name"), boldCell("Contact")),
			widget.NewSeparator()),
		container.NewVBox(widget.NewSeparator(),
			container.New(stakeholderForm, s.role, s.name, s.contact, s.addPerson)),
		nil, nil,
		container.NewVScroll(container.NewVBox(s.stRows, s.stEmpty)))
	comms := container.NewBorder(
		container.NewVBox(sectionLabel("Communications log"),
			container.New(commColumns, boldCell("When"), boldCell("Audience"), boldCell("By"), boldCell("Channel"), boldCell("Summary")),
			widget.NewSeparator()),
		container.NewVBox(widget.NewSeparator(),
			container.New(columns{weights: []float32{1.3, 1.3, 1, 1}}, s.when, s.audience, s.who, s.channel),
			container.New(columns{weights: []float32{1, 0}}, s.summary, s.addComm)),
		nil, nil,
		container.NewVScroll(container.NewVBox(s.cmRows, s.cmEmpty)))
	split := container.NewVSplit(container.NewPadded(people), container.NewPadded(comms))
	split.Offset = 0.4
	s.root = split
	return s
}

// lowLabel is a wrapped hint in the quiet colour.
func lowLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.LowImportance
	return l
}

// boldCell is a table header cell.
func boldCell(s string) *widget.Label {
	l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// cell is a table cell that shortens long text.
func cell(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// show redraws both tables from a new case. The forms keep their text.
func (s *peopleSection) show(c app.Case) {
	r := c.Incident.Review
	loc := c.Incident.Location()
	s.stakeholders, s.comms = r.Stakeholders, r.Communications

	s.stRows.RemoveAll()
	for _, st := range s.stakeholders {
		s.stRows.Add(container.New(stakeholderColumns, cell(st.Role), cell(st.Name), cell(orDash(st.Contact))))
	}
	showIf(s.stEmpty, len(s.stakeholders) == 0)

	s.cmRows.RemoveAll()
	for _, m := range s.comms {
		s.cmRows.Add(container.New(commColumns, cell(formatWhenZone(m.At, loc)), cell(m.Audience),
			cell(orDash(m.Who)), cell(orDash(m.Channel)), cell(m.Summary)))
	}
	showIf(s.cmEmpty, len(s.comms) == 0)

	// Offer the people already named as audiences.
	opts := append([]string(nil), stakeholderRoles...)
	for _, st := range s.stakeholders {
		if n := st.Name; !containsFold(opts, n) {
			opts = append(opts, n)
		}
	}
	s.audienceOptions = opts
	s.audience.SetOptions(opts)
}

// containsFold reports whether list holds s in any letter case.
func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// showIf shows o when cond holds, hides it otherwise.
func showIf(o fyne.CanvasObject, cond bool) {
	if cond {
		o.Show()
	} else {
		o.Hide()
	}
}

// onAddPerson records a stakeholder; the form empties once it is stored.
func (s *peopleSection) onAddPerson() {
	ws := s.p.ws
	st := app.Stakeholder{Role: s.role.Selected, Name: s.name.Text, Contact: strings.TrimSpace(s.contact.Text)}
	if st.Role == "" || strings.TrimSpace(st.Name) == "" {
		ws.u.showError("Could not add the stakeholder", fmt.Errorf("%w: pick a role and give a name", app.ErrInvalid))
		return
	}
	snap := func() string { return s.role.Selected + "\x00" + s.name.Text + "\x00" + s.contact.Text }
	before, id := snap(), ws.id
	s.addPerson.Disable()
	ws.save("Could not add the stakeholder", func(ctx context.Context, svc *app.Service) (app.Case, error) {
		return svc.AddStakeholder(ctx, id, st)
	}, func(err error) {
		s.addPerson.Enable()
		if err == nil && snap() == before {
			s.role.ClearSelected()
			s.name.SetText("")
			s.contact.SetText("")
		}
	})
}

// onAddComm logs a communication; blank "when" means now.
func (s *peopleSection) onAddComm() {
	ws := s.p.ws
	m := app.Communication{Audience: s.audience.Text, Who: strings.TrimSpace(s.who.Text),
		Channel: strings.TrimSpace(s.channel.Text), Summary: s.summary.Text}
	if strings.TrimSpace(s.when.Text) != "" {
		at, err := parseWhen(s.when.Text, ws.c.Incident.Location())
		if err != nil {
			ws.u.showError("Could not log the communication", err)
			return
		}
		m.At = at
	} else {
		m.At = ws.u.clock()
	}
	if m.At.After(ws.u.clock().Add(time.Minute)) {
		ws.u.showError("Could not log the communication", fmt.Errorf("%w: %s is in the future: log a communication once it has happened", app.ErrInvalid, formatWhenZone(m.At, ws.c.Incident.Location())))
		return
	}
	snap := func() string {
		return strings.Join([]string{s.when.Text, s.audience.Text, s.who.Text, s.channel.Text, s.summary.Text}, "\x00")
	}
	before, id := snap(), ws.id
	s.addComm.Disable()
	ws.save("Could not log the communication", func(ctx context.Context, svc *app.Service) (app.Case, error) {
		return svc.AddCommunication(ctx, id, m)
	}, func(err error) {
		s.addComm.Enable()
		if err == nil && snap() == before {
			for _, e := range []*widget.Entry{s.when, s.who, s.summary} {
				e.SetText("")
			}
			s.audience.SetText("")
			s.channel.SetText("")
		}
	})
}
