package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// statusAll is the status filter entry that shows every incident.
const statusAll = "All"

// listScreen is the list of incidents with a search and a status filter.
type listScreen struct {
	u    *UI
	jobs *jobs

	all   []app.Incident
	shown []app.Incident

	search *widget.Entry
	status *widget.Select
	list   *widget.List
	empty  *widget.Label
	newBtn *widget.Button
	pbBtn  *widget.Button
	// lastInfo is the last confirmation shown, for tests.
	lastInfo string
	loading  *widget.ProgressBarInfinite
	root     fyne.CanvasObject
}

func newListScreen(u *UI, _ string) screen {
	s := &listScreen{u: u, jobs: u.newJobs()}
	s.search = widget.NewEntry()
	s.search.SetPlaceHolder("Search id, title, ticket, bucket, account, principal…")
	s.search.OnChanged = s.onSearch

	opts := []string{statusAll}
	for _, st := range app.Statuses {
		opts = append(opts, string(st))
	}
	s.status = widget.NewSelect(opts, s.onStatus)
	s.status.SetSelected(statusAll)

	s.newBtn = widget.NewButtonWithIcon("New incident", theme.ContentAddIcon(), s.onNew)
	s.newBtn.Importance = widget.HighImportance

	s.pbBtn = widget.NewButtonWithIcon("Import playbook…", theme.FolderOpenIcon(), s.onImportPlaybook)

	s.list = widget.NewList(s.length, s.createRow, s.updateRow)
	s.list.OnSelected = s.onSelected

	s.empty = widget.NewLabel("")
	s.empty.Alignment = fyne.TextAlignCenter
	s.empty.Wrapping = fyne.TextWrapWord
	s.loading = widget.NewProgressBarInfinite()

	heading := widget.NewLabelWithStyle("Incidents", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	heading.SizeName = theme.SizeNameSubHeadingText
	bar := container.NewBorder(nil, nil, heading, container.NewHBox(s.status, s.pbBtn, s.newBtn), s.search)
	s.root = container.NewBorder(container.NewVBox(bar, s.loading, widget.NewSeparator()), nil, nil, nil,
		container.NewStack(s.list, container.NewCenter(s.empty)))
	s.load()
	return s
}

func (s *listScreen) content() fyne.CanvasObject { return s.root }

func (s *listScreen) leave() { s.jobs.leave() }

// load fetches the incidents and shows those that pass the filters.
func (s *listScreen) load() {
	s.loading.Show()
	svc := s.u.svc
	s.jobs.read("list", func(ctx context.Context) func() {
		incs, err := svc.List(ctx)
		return func() {
			s.loading.Hide()
			if err != nil {
				s.u.showError("Could not list the incidents", err)
				return
			}
			s.all = incs
			s.filter()
		}
	})
}

// filter applies the search text and the status filter to the loaded list.
func (s *listScreen) filter() {
	s.shown = s.shown[:0]
	for _, inc := range s.all {
		if s.status.Selected != "" && s.status.Selected != statusAll && string(inc.Status) != s.status.Selected {
			continue
		}
		if !inc.Matches(s.search.Text) {
			continue
		}
		s.shown = append(s.shown, inc)
	}
	switch {
	case len(s.all) == 0:
		s.empty.SetText("No incidents yet. Start one with New incident.")
		s.empty.Show()
	case len(s.shown) == 0:
		s.empty.SetText("No incident matches the search and status filter.")
		s.empty.Show()
	default:
		s.empty.Hide()
	}
	s.list.UnselectAll()
	s.list.Refresh()
}

func (s *listScreen) onSearch(string) { s.filter() }

func (s *listScreen) onStatus(string) {
	// SetSelected in the constructor fires before the list exists.
	if s.list != nil {
		s.filter()
	}
}

func (s *listScreen) onNew() { s.u.show(routeNew, "") }

func (s *listScreen) onSelected(i widget.ListItemID) {
	if i < 0 || i >= len(s.shown) {
		return
	}
	s.u.openIncident(s.shown[i].ID)
}

func (s *listScreen) length() int { return len(s.shown) }

func (s *listScreen) createRow() fyne.CanvasObject { return newIncidentRow() }

func (s *listScreen) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i < len(s.shown) {
		o.(*incidentRow).set(s.shown[i])
	}
}

// incidentRow is one line of the incident list.
type incidentRow struct {
	widget.BaseWidget
	severity, id, exercise, title, status, updated *widget.Label
	root                                           fyne.CanvasObject
}

func newIncidentRow() *incidentRow {
	r := &incidentRow{
		severity: widget.NewLabelWithStyle("P0", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		id:       widget.NewLabelWithStyle("INC-00000000-XXXXXX", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}),
		exercise: widget.NewLabelWithStyle("EXERCISE", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		title:    widget.NewLabel(""),
		status:   widget.NewLabel("eradicated"),
		updated:  widget.NewLabel("updated 2006-01-02 15:04 MST"),
	}
	r.exercise.Importance = widget.WarningImportance
	r.title.Truncation = fyne.TextTruncateEllipsis
	r.status.Alignment = fyne.TextAlignTrailing
	r.root = container.NewBorder(nil, nil,
		container.NewHBox(r.severity, r.id, r.exercise),
		container.NewHBox(r.status, r.updated),
		r.title)
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer draws the row's labels.
func (r *incidentRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.root) }

func (r *incidentRow) set(inc app.Incident) {
	r.severity.SetText(string(inc.Severity))
	switch inc.Severity {
	case app.SeverityP1:
		r.severity.Importance = widget.DangerImportance
	case app.SeverityP2:
		r.severity.Importance = widget.WarningImportance
	default:
		r.severity.Importance = widget.MediumImportance
	}
	r.severity.Refresh()
	r.id.SetText(inc.ID)
	if inc.Exercise {
		r.exercise.Show()
	} else {
		r.exercise.Hide()
	}
	r.title.SetText(inc.Title)
	r.status.SetText(string(inc.Status))
	r.updated.SetText("updated " + inc.UpdatedAt.In(inc.Location()).Format("2006-01-02 15:04 MST"))
	r.root.Refresh() // the labels' widths changed: lay the row out again
}
