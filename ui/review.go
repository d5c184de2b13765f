package ui

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// reviewPane is Part 5 of the playbook, the post-incident review: what the
// team learned, what it will change (action items), who was involved and
// told, and the clock of the incident (key times, deadlines).
//
// Like the step detail, every form here keeps what the user typed until
// the store has it: a save elsewhere reloads the case but does not wipe a
// form marked dirty, and a failed save leaves the text where it was.
type reviewPane struct {
	ws           *workspace
	clockStarted bool

	text   *lessonsForm
	items  *actionItems
	people *peopleSection
	clock  *clockSection

	tabs     *container.AppTabs
	itemsTab *container.TabItem
	root     fyne.CanvasObject
}

func newReviewPane(ws *workspace) pane {
	p := &reviewPane{ws: ws}
	p.text = newLessonsForm(p)
	p.items = newActionItems(p)
	p.people = newPeopleSection(p)
	p.clock = newClockSection(p)
	p.itemsTab = container.NewTabItem("Action items", p.items.root)
	p.tabs = container.NewAppTabs(
		container.NewTabItem("Lessons learned", p.text.root),
		p.itemsTab,
		container.NewTabItem("People & communications", p.people.root),
		container.NewTabItem("Key times & deadlines", p.clock.root),
	)
	p.root = p.tabs
	return p
}

func (p *reviewPane) object() fyne.CanvasObject { return p.root }

// show fills every section from a new case, keeping unsaved edits.
func (p *reviewPane) show(c app.Case, _ *app.Playbook) {
	p.text.show(c)
	p.items.show(c)
	p.people.show(c)
	p.clock.show(c)
	p.showItemsTab()
	if !p.clockStarted {
		p.clockStarted = true
		p.startClock()
	}
}

// showItemsTab puts the number of overdue items in the tab title, so they
// are seen without opening the tab.
func (p *reviewPane) showItemsTab() {
	title := "Action items"
	if n := p.items.overdue(); n > 0 {
		title = fmt.Sprintf("Action items (%d OVERDUE)", n)
	}
	if p.itemsTab.Text != title {
		p.itemsTab.Text = title
		p.tabs.Refresh()
	}
}

// startClock redraws the countdowns and overdue marks every tick until the
// workspace is left or the window closes: it runs as one of the
// workspace's reads, whose context both of those cancel.
func (p *reviewPane) startClock() {
	every, do := p.ws.u.countdownEvery(), p.ws.u.do
	p.ws.jobs.read("review-clock", func(ctx context.Context) func() {
		t := time.NewTicker(every)
		defer t.Stop()
		// At most one redraw waits for the UI goroutine: a busy window
		// gets one late redraw, not a backlog of them.
		var pending atomic.Bool
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				if !pending.CompareAndSwap(false, true) {
					continue
				}
				do(func() {
					pending.Store(false)
					// Leaving the workspace cancels ctx on this goroutine
					// before any later tick runs here.
					if ctx.Err() == nil {
						p.tick()
					}
				})
			}
		}
	})
}

// tick redraws what depends on the clock.
func (p *reviewPane) tick() {
	p.clock.showDeadlines()
	p.items.fill()
	p.showItemsTab()
}

// lessonsForm is the free text of the review: lessons learned, the four
// questions of Part 5, root cause, attack vectors, misconfigurations and
// risk-register updates.
type lessonsForm struct {
	p        *reviewPane
	updating bool
	dirty    bool

	lessons, information, detection, configuration, automation *widget.Entry
	rootCause, vectors, misconfigs, risk                       *widget.Entry

	save    *widget.Button
	unsaved *widget.Label
	root    fyne.CanvasObject
}

func newLessonsForm(p *reviewPane) *lessonsForm {
	f := &lessonsForm{p: p}
	entry := func(placeholder string, rows int) *widget.Entry {
		e := widget.NewMultiLineEntry()
		e.SetPlaceHolder(placeholder)
		e.Wrapping = fyne.TextWrapWord
		e.SetMinRowsVisible(rows)
		e.OnChanged = f.onChanged
		return e
	}
	f.lessons = entry("What went well, what did not, and what the team would do differently", 4)
	f.information = entry("Which data, logs or inventories were missing or slow to get?", 3)
	f.detection = entry("Which alert or check would have caught this earlier?", 3)
	f.configuration = entry("Which setting or guardrail would have stopped the access?", 3)
	f.automation = entry("Which manual steps should a tool do next time?", 3)
	f.rootCause = entry("Why the access was possible in the first place", 3)
	f.vectors = entry("One per line, e.g. public bucket policy", 3)
	f.misconfigs = entry("One per line, e.g. Block Public Access off on the account", 3)
	f.risk = entry("Risks to add, re-rate or close in the risk register", 3)

	f.save = widget.NewButtonWithIcon("Save review", theme.DocumentSaveIcon(), f.onSave)
	f.save.Importance = widget.HighImportance
	f.unsaved = widget.NewLabel("Not saved yet")
	f.unsaved.Importance = widget.WarningImportance
	f.unsaved.Hide()

	block := func(title string, e *widget.Entry) fyne.CanvasObject {
		return container.NewBorder(sectionLabel(title), nil, nil, nil, e)
	}
	body := container.NewVBox(
		block("Lessons learned", f.lessons),
		sectionLabel("What would have helped"),
		container.NewGridWithColumns(2,
			block("Information", f.information),
			block("Detection", f.detection),
			block("Configuration", f.configuration),
			block("Automation", f.automation),
		),
		block("Root cause", f.rootCause),
		container.NewGridWithColumns(2,
			block("Attack vectors", f.vectors),
			block("Misconfigurations", f.misconfigs),
		),
		block("Risk register updates", f.risk),
	)
	bar := container.NewHBox(f.save, f.unsaved)
	f.root = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), bar), nil, nil,
		container.NewVScroll(container.NewPadded(body)))
	return f
}

func (f *lessonsForm) entries() []*widget.Entry {
	return []*widget.Entry{f.lessons, f.information, f.detection, f.configuration, f.automation,
		f.rootCause, f.vectors, f.misconfigs, f.risk}
}

func (f *lessonsForm) onChanged(string) {
	if f.updating {
		return
	}
	f.dirty = true
	f.unsaved.Show()
}

// show fills the form from the case unless the user has unsaved edits.
func (f *lessonsForm) show(c app.Case) {
	if f.dirty {
		return
	}
	r := c.Incident.Review
	f.updating = true
	defer func() { f.updating = false }()
	for e, v := range map[*widget.Entry]string{
		f.lessons: r.Lessons, f.information: r.Information, f.detection: r.Detection,
		f.configuration: r.Configuration, f.automation: r.Automation, f.rootCause: r.RootCause,
		f.vectors: strings.Join(r.AttackVectors, "\n"), f.misconfigs: strings.Join(r.Misconfigurations, "\n"),
		f.risk: r.RiskUpdates,
	} {
		if e.Text != v {
			e.SetText(v)
		}
	}
}

// collect reads the form into the service's input.
func (f *lessonsForm) collect() app.ReviewText {
	return app.ReviewText{
		Lessons: f.lessons.Text, Information: f.information.Text, Detection: f.detection.Text,
		Configuration: f.configuration.Text, Automation: f.automation.Text,
		RootCause: f.rootCause.Text, RiskUpdates: f.risk.Text,
		AttackVectors: strings.Split(f.vectors.Text, "\n"), Misconfigurations: strings.Split(f.misconfigs.Text, "\n"),
	}
}

// snapshot is everything typed, to tell whether the form changed while a
// save was on its way.
func (f *lessonsForm) snapshot() string {
	var b strings.Builder
	for _, e := range f.entries() {
		b.WriteString(e.Text)
		b.WriteByte(0)
	}
	return b.String()
}

// onSave stores the text. On failure everything stays as typed.
func (f *lessonsForm) onSave() {
	ws := f.p.ws
	t, snap, id := f.collect(), f.snapshot(), ws.id
	f.save.Disable()
	ws.save("Could not save the review", func(ctx context.Context, svc *app.Service) (app.Case, error) {
		return svc.SaveReviewText(ctx, id, t)
	}, func(err error) {
		f.save.Enable()
		if err == nil && f.snapshot() == snap {
			f.dirty = false
			f.unsaved.Hide()
		}
	})
}

// actionItems is the table of follow-ups with a form to add or edit one.
type actionItems struct {
	p     *reviewPane
	items []app.ActionItem

	summary *widget.Label
	rows    *fyne.Container
	rowList []*itemRow
	empty   *widget.Label

	// editing is the id of the item in the form, empty for a new one.
	editing   string
	formTitle *widget.Label
	desc      *widget.Entry
	owner     *widget.Entry
	due       *widget.Entry
	status    *widget.Select
	notes     *widget.Entry
	save      *widget.Button
	clear     *widget.Button
	root      fyne.CanvasObject
}

// itemStatuses are the states an action item moves through.
var itemStatuses = []string{"open", "in progress", "done"}

// itemColumns is the layout of the action item table.
var itemColumns = columns{weights: []float32{0.45, 2.6, 1.2, 1.3, 1.9, 1.2, 0}}

// itemRow is one line of the action item table.
type itemRow struct {
	id, desc, owner, due, status, notes *widget.Label
	edit                                *widget.Button
	root                                *fyne.Container
}

func newItemRow(onEdit func()) *itemRow {
	cell := func() *widget.Label {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}
	r := &itemRow{id: cell(), desc: cell(), owner: cell(), due: cell(), status: cell(), notes: cell()}
	r.edit = widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), onEdit)
	r.root = container.New(itemColumns, r.id, r.desc, r.owner, r.due, r.status, r.notes, r.edit)
	return r
}

func newActionItems(p *reviewPane) *actionItems {
	a := &actionItems{p: p}
	a.summary = widget.NewLabel("")
	a.summary.Wrapping = fyne.TextWrapWord
	a.rows = container.NewVBox()
	a.empty = widget.NewLabel("No action items yet. Add what the team will change, with an owner and a due date.")
	a.empty.Wrapping = fyne.TextWrapWord
	a.empty.Importance = widget.LowImportance

	head := func(s string) *widget.Label {
		l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}
	// The header's last cell is as wide as the rows' edit buttons, so the
	// columns line up.
	editWidth := widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), nil).MinSize().Width
	header := container.New(itemColumns, head("Id"), head("Description"), head("Owner"), head("Due"),
		head("Status"), head("Notes"), newFixedWidth(editWidth))

	a.formTitle = sectionLabel("New action item")
	a.desc = widget.NewEntry()
	a.desc.SetPlaceHolder("What will be done (required)")
	a.owner = widget.NewEntry()
	a.owner.SetPlaceHolder("Who owns it")
	a.due = widget.NewEntry()
	a.due.SetPlaceHolder("2026-03-31 or 2026-03-31 17:00")
	a.status = widget.NewSelect(itemStatuses, nil)
	a.status.SetSelected("open")
	a.notes = widget.NewEntry()
	a.notes.SetPlaceHolder("Notes, links, ticket")
	a.save = widget.NewButtonWithIcon("Add item", theme.ContentAddIcon(), a.onSave)
	a.save.Importance = widget.HighImportance
	a.clear = widget.NewButtonWithIcon("New item", theme.ContentClearIcon(), a.resetForm)

	form := container.NewVBox(
		a.formTitle,
		container.New(columns{weights: []float32{0, 3}}, widget.NewLabel("Description"), a.desc),
		container.New(columns{weights: []float32{0, 1.5, 0, 1.5, 0, 1}},
			widget.NewLabel("Owner"), a.owner, widget.NewLabel("Due"), a.due, widget.NewLabel("Status"), a.status),
		container.New(columns{weights: []float32{0, 3}}, widget.NewLabel("Notes"), a.notes),
		container.NewHBox(layout.NewSpacer(), a.clear, a.save),
	)
	table := container.NewBorder(container.NewVBox(a.summary, header, widget.NewSeparator()), nil, nil, nil,
		container.NewVScroll(container.NewVBox(a.rows, a.empty)))
	a.root = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), form), nil, nil, container.NewPadded(table))
	return a
}

// show takes the items of a new case.
func (a *actionItems) show(c app.Case) {
	a.items = c.Incident.Review.ActionItems
	a.fill()
}

// overdue counts the items past due and not done.
func (a *actionItems) overdue() int {
	n := 0
	now := a.p.ws.u.clock()
	for _, it := range a.items {
		if it.Overdue(now) {
			n++
		}
	}
	return n
}

// fill draws the rows and the summary; the clock calls it too, as items
// become overdue while the window is open.
func (a *actionItems) fill() {
	for len(a.rowList) < len(a.items) {
		i := len(a.rowList)
		r := newItemRow(func() { a.edit(i) })
		a.rowList = append(a.rowList, r)
		a.rows.Add(r.root)
	}
	if len(a.rowList) > len(a.items) {
		a.rowList = a.rowList[:len(a.items)]
		a.rows.Objects = a.rows.Objects[:len(a.items)]
		a.rows.Refresh()
	}
	for i, r := range a.rowList {
		a.updateRow(i, r)
	}
	showIf(a.empty, len(a.items) == 0)
	showIf(a.summary, len(a.items) > 0)
	counts := map[string]int{}
	for _, it := range a.items {
		counts[it.Status]++
	}
	text := fmt.Sprintf("%d action items: %d open, %d in progress, %d done.",
		len(a.items), counts["open"], counts["in progress"], counts["done"])
	if n := a.overdue(); n > 0 {
		text += fmt.Sprintf(" %d OVERDUE.", n)
		a.summary.Importance = widget.DangerImportance
		a.summary.TextStyle = fyne.TextStyle{Bold: true}
	} else {
		a.summary.Importance = widget.MediumImportance
		a.summary.TextStyle = fyne.TextStyle{}
	}
	a.summary.SetText(text)
}

// updateRow shows item i in r. An overdue item is marked in red, bold, with
// the word OVERDUE, so it cannot be missed in a long list.
func (a *actionItems) updateRow(i int, r *itemRow) {
	it := a.items[i]
	loc := a.p.ws.c.Incident.Location()
	r.id.SetText(it.ID)
	r.desc.SetText(it.Description)
	r.owner.SetText(orDash(it.Owner))
	r.notes.SetText(orDash(it.Notes))
	due := "no due date"
	if !it.Due.IsZero() {
		due = formatDue(it.Due, loc)
	}
	style, imp := fyne.TextStyle{}, widget.MediumImportance
	status := it.Status
	switch {
	case it.Overdue(a.p.ws.u.clock()):
		style, imp = fyne.TextStyle{Bold: true}, widget.DangerImportance
		status = "OVERDUE · " + it.Status
	case it.Status == "done":
		imp = widget.SuccessImportance
	}
	for _, l := range []*widget.Label{r.due, r.status} {
		l.TextStyle, l.Importance = style, imp
	}
	r.due.SetText(due)
	r.status.SetText(status)
}

// orDash shows an empty cell as a dash, so a blank is clearly "none".
func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "–"
	}
	return s
}

// edit loads item i into the form.
func (a *actionItems) edit(i int) {
	if i >= len(a.items) {
		return
	}
	it := a.items[i]
	a.editing = it.ID
	a.formTitle.SetText("Editing action item " + it.ID)
	a.save.SetText("Save " + it.ID)
	a.save.SetIcon(theme.DocumentSaveIcon())
	a.desc.SetText(it.Description)
	a.owner.SetText(it.Owner)
	a.due.SetText(formatDue(it.Due, a.p.ws.c.Incident.Location()))
	a.status.SetSelected(it.Status)
	a.notes.SetText(it.Notes)
}

// resetForm empties the form for a new item.
func (a *actionItems) resetForm() {
	a.editing = ""
	a.formTitle.SetText("New action item")
	a.save.SetText("Add item")
	a.save.SetIcon(theme.ContentAddIcon())
	for _, e := range []*widget.Entry{a.desc, a.owner, a.due, a.notes} {
		e.SetText("")
	}
	a.status.SetSelected("open")
}

// formText is what the form holds, to tell whether it changed during a save.
func (a *actionItems) formText() string {
	return strings.Join([]string{a.editing, a.desc.Text, a.owner.Text, a.due.Text, a.status.Selected, a.notes.Text}, "\x00")
}

// onSave adds or updates the item in the form. The form is emptied only
// once the store has the item and the user has not changed it meanwhile.
func (a *actionItems) onSave() {
	ws := a.p.ws
	item := app.ActionItem{ID: a.editing, Description: a.desc.Text, Owner: strings.TrimSpace(a.owner.Text),
		Status: a.status.Selected, Notes: strings.TrimSpace(a.notes.Text)}
	what := "Could not add the action item"
	if a.editing != "" {
		what = "Could not save action item " + a.editing
	}
	if strings.TrimSpace(a.due.Text) != "" {
		due, err := parseDue(a.due.Text, ws.c.Incident.Location())
		if err != nil {
			ws.u.showError(what, err)
			return
		}
		item.Due = due
	}
	snap, id := a.formText(), ws.id
	a.save.Disable()
	ws.save(what, func(ctx context.Context, svc *app.Service) (app.Case, error) {
		return svc.SaveActionItem(ctx, id, item)
	}, func(err error) {
		a.save.Enable()
		if err == nil && a.formText() == snap {
			a.resetForm()
		}
	})
}

// fixedWidth is an empty object of a given width, to line a header up
// with rows that end in a button.
type fixedWidth struct {
	widget.BaseWidget
	w float32
}

func newFixedWidth(w float32) *fixedWidth {
	f := &fixedWidth{w: w}
	f.ExtendBaseWidget(f)
	return f
}

// MinSize is the width asked for, no height.
func (f *fixedWidth) MinSize() fyne.Size { return fyne.NewSize(f.w, 0) }

// CreateRenderer draws nothing.
func (f *fixedWidth) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(layout.NewSpacer())
}
