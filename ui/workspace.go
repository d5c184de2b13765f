package ui

import (
	"context"
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// pane is one tab of the incident workspace. Features that live inside an
// incident (evidence, offline CloudTrail analysis, AWS actions, the report)
// plug in as panes: a constructor and one line in workspacePanes.
type pane interface {
	// object is the tab's content.
	object() fyne.CanvasObject
	// show is called on the UI goroutine with every case the workspace loads
	// or a save returns, with the playbook the incident follows.
	show(c app.Case, pb *app.Playbook)
}

// paneDef names a workspace tab and builds it. build may keep ws to read the
// case (ws.c), run jobs (ws.jobs), save through ws.save and select steps.
type paneDef struct {
	title string
	icon  fyne.Resource
	build func(ws *workspace) pane
}

// workspacePanes is the table of tabs in the incident workspace, in order.
func workspacePanes() []paneDef {
	return []paneDef{
		{title: "Playbook", icon: theme.ListIcon(), build: newPlaybookPane},
		{title: "Details", icon: theme.DocumentCreateIcon(), build: newDetailsPane},
		{title: "Evidence", icon: theme.StorageIcon(), build: newEvidencePane},
		{title: "CloudTrail logs", icon: theme.SearchIcon(), build: newTrailPane},
		{title: "AWS", icon: theme.VisibilityIcon(), build: newAWSPane},
		{title: "Changes", icon: theme.WarningIcon(), build: newChangesPane},
		{title: "Inspect", icon: theme.SearchReplaceIcon(), build: newInspectPane},
		{title: "Activity", icon: theme.MediaFastForwardIcon(), build: newActivityPane},
		{title: "Review", icon: theme.HistoryIcon(), build: newReviewPane},
		{title: "Report", icon: theme.DocumentPrintIcon(), build: newReportPane},
	}
}

// workspace is the screen of one incident: header, the "what's next"
// banner, the panes as tabs and the timeline beside them.
type workspace struct {
	u    *UI
	jobs *jobs
	id   string

	c      app.Case
	pb     *app.Playbook
	next   app.Next
	loaded bool
	// updating is set while loaded values are written into widgets, so
	// their OnChanged callbacks do not mistake that for user input.
	updating bool

	back      *widget.Button
	heading   *widget.Label
	meta      *widget.Label
	status    *widget.Select
	exercise  fyne.CanvasObject
	nextLabel *widget.Label
	goBtn     *widget.Button
	returnBtn *widget.Button

	panes       []pane
	tabs        *container.AppTabs
	playbook    *playbookPane
	playbookTab *container.TabItem
	timeline    *timelinePane
	root        fyne.CanvasObject
}

func newWorkspace(u *UI, id string) screen {
	ws := &workspace{u: u, jobs: u.newJobs(), id: id}

	ws.back = widget.NewButtonWithIcon("Incidents", theme.NavigateBackIcon(), ws.onBack)
	ws.heading = widget.NewLabelWithStyle(id, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	ws.heading.SizeName = theme.SizeNameSubHeadingText
	ws.heading.Truncation = fyne.TextTruncateEllipsis
	ws.meta = widget.NewLabel("Loading…")
	ws.meta.Truncation = fyne.TextTruncateEllipsis
	var statuses []string
	for _, st := range app.Statuses {
		statuses = append(statuses, string(st))
	}
	ws.status = widget.NewSelect(statuses, ws.onStatus)
	ws.status.Disable()
	header := container.NewBorder(nil, nil, container.NewCenter(ws.back),
		container.NewCenter(container.NewHBox(widget.NewLabel("Status"), ws.status)),
		container.NewVBox(ws.heading, ws.meta))

	ws.exercise = banner(theme.ColorNameWarning, widget.NewLabelWithStyle(
		"EXERCISE: this incident is a drill. Nothing here describes a real event.",
		fyne.TextAlignCenter, fyne.TextStyle{Bold: true}))
	ws.exercise.Hide()

	ws.nextLabel = widget.NewLabelWithStyle("What's next: loading…", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	ws.nextLabel.Wrapping = fyne.TextWrapWord
	ws.goBtn = widget.NewButtonWithIcon("Go there", theme.NavigateNextIcon(), ws.onGo)
	ws.goBtn.Importance = widget.HighImportance
	ws.goBtn.Disable()
	ws.returnBtn = widget.NewButtonWithIcon("Return", theme.MediaReplayIcon(), ws.onReturn)
	ws.returnBtn.Importance = widget.HighImportance
	ws.returnBtn.Hide()
	nextBar := banner(theme.ColorNameSelection, container.NewBorder(nil, nil,
		widget.NewIcon(theme.InfoIcon()), container.NewHBox(ws.returnBtn, ws.goBtn), ws.nextLabel))

	ws.timeline = newTimelinePane(ws)
	ws.tabs = container.NewAppTabs()
	for _, def := range workspacePanes() {
		p := def.build(ws)
		item := container.NewTabItemWithIcon(def.title, def.icon, p.object())
		ws.panes = append(ws.panes, p)
		if pp, ok := p.(*playbookPane); ok {
			ws.playbook, ws.playbookTab = pp, item
		}
		ws.tabs.Append(item)
	}

	split := container.NewHSplit(ws.tabs, ws.timeline.root)
	split.Offset = 0.68
	ws.root = container.NewBorder(
		container.NewVBox(header, ws.exercise, nextBar), nil, nil, nil, split)
	ws.load()
	return ws
}

func (ws *workspace) content() fyne.CanvasObject { return ws.root }

func (ws *workspace) leave() { ws.jobs.leave() }

// load reads the incident and shows it.
func (ws *workspace) load() {
	svc, id := ws.u.svc, ws.id
	ws.jobs.read("case", func(ctx context.Context) func() {
		c, err := svc.Load(ctx, id)
		return func() {
			if err != nil {
				ws.meta.SetText("This incident could not be loaded.")
				ws.u.showError("Could not open incident "+id, err)
				return
			}
			ws.apply(c)
		}
	})
}

// apply shows a case everywhere: header, banner, panes, timeline. The first
// time, it also selects the step to work on next.
func (ws *workspace) apply(c app.Case) {
	pb, err := ws.u.svc.PlaybookFor(c.Incident)
	if err != nil {
		ws.meta.SetText("The playbook of this incident is not loaded.")
		ws.u.showError("Could not open incident "+c.Incident.ID, err)
		return
	}
	first := !ws.loaded
	ws.c, ws.pb, ws.loaded = c, pb, true
	ws.next = pb.NextStep(c)

	inc := c.Incident
	ws.heading.SetText(inc.ID + "  " + inc.Title)
	ws.meta.SetText(incidentMeta(inc))
	ws.updating = true
	ws.status.SetSelected(string(inc.Status))
	ws.updating = false
	ws.status.Enable()
	if inc.Exercise {
		ws.exercise.Show()
	} else {
		ws.exercise.Hide()
	}
	ws.showNext()

	for _, p := range ws.panes {
		p.show(c, pb)
	}
	if first && ws.next.Step != nil {
		ws.playbook.selectStep(ws.next.Step.ID)
	}
	ws.timeline.load()
}

// showNext fills the "what's next" banner.
func (ws *workspace) showNext() {
	n := ws.next
	ws.nextLabel.SetText("What's next: " + n.Text)
	if n.Step != nil {
		ws.goBtn.Enable()
	} else {
		ws.goBtn.Disable()
	}
	if n.Return != nil {
		ws.returnBtn.SetText("Return to step " + n.Return.Return)
		ws.returnBtn.Show()
	} else {
		ws.returnBtn.Hide()
	}
}

// save runs a service call that changes the incident. On success the new
// case is shown everywhere; on failure the error is shown as "what: why".
// after (may be nil) runs first in both cases, with the error, so callers
// can re-enable buttons and keep or clear what the user typed.
func (ws *workspace) save(what string, call func(ctx context.Context, svc *app.Service) (app.Case, error), after func(err error)) {
	svc := ws.u.svc
	ws.jobs.write(func(ctx context.Context) func() {
		c, err := call(ctx, svc)
		return func() {
			if after != nil {
				after(err)
			}
			if err != nil {
				ws.u.showError(what, err)
				return
			}
			ws.apply(c)
		}
	})
}

func (ws *workspace) onBack() { ws.u.show(routeIncidents, "") }

// onGo selects the step the banner points at.
func (ws *workspace) onGo() {
	if ws.next.Step != nil {
		ws.tabs.Select(ws.playbookTab)
		ws.playbook.selectStep(ws.next.Step.ID)
	}
}

// onReturn ends the pending detour.
func (ws *workspace) onReturn() {
	if ws.next.Return == nil {
		return
	}
	target := ws.next.Return.Return
	ws.returnBtn.Disable()
	ws.save("Could not return to step "+target, func(ctx context.Context, svc *app.Service) (app.Case, error) {
		return svc.ReturnFromJump(ctx, ws.id)
	}, func(err error) {
		ws.returnBtn.Enable()
		if err == nil {
			ws.playbook.selectStep(target)
		}
	})
}

// onStatus saves the incident status picked in the header.
func (ws *workspace) onStatus(v string) {
	if ws.updating || !ws.loaded || v == string(ws.c.Incident.Status) {
		return
	}
	old := string(ws.c.Incident.Status)
	ws.save("Could not change the status to "+v, func(ctx context.Context, svc *app.Service) (app.Case, error) {
		return svc.SetStatus(ctx, ws.id, app.Status(v))
	}, func(err error) {
		if err != nil {
			ws.updating = true
			ws.status.SetSelected(old)
			ws.updating = false
		}
	})
}

// incidentMeta is the second header line: severity, ticket, scope.
func incidentMeta(inc app.Incident) string {
	parts := []string{inc.Severity.Describe()}
	if inc.Ticket != "" {
		parts = append(parts, "ticket "+inc.Ticket)
	}
	if inc.Classification != "" {
		parts = append(parts, "data: "+inc.Classification)
	}
	if len(inc.Buckets) > 0 {
		parts = append(parts, "buckets: "+strings.Join(inc.Buckets, ", "))
	}
	if len(inc.Accounts) > 0 {
		parts = append(parts, "accounts: "+strings.Join(inc.Accounts, ", "))
	}
	zone := inc.TimeZone
	if zone == "" {
		zone = "UTC"
	}
	parts = append(parts, "zone "+zone, fmt.Sprintf("playbook %s v%s", inc.Playbook.ID, inc.Playbook.Version))
	return strings.Join(parts, "  ·  ")
}

// banner draws content on a tinted strip of the theme colour name.
func banner(name fyne.ThemeColorName, content fyne.CanvasObject) fyne.CanvasObject {
	bg := canvas.NewRectangle(tint(theme.Color(name)))
	bg.CornerRadius = theme.InputRadiusSize()
	return container.NewStack(bg, container.NewPadded(content))
}

// tint makes a theme colour light enough to put text on.
func tint(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x60}
}
