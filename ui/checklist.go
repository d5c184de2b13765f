package ui

import (
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// playbookPane is the checklist: a stepper over the playbook's parts, the
// selected part's steps indented by depth, and the selected step's detail.
type playbookPane struct {
	ws *workspace

	part     int // index into pb.Parts
	selected string
	rows     []checkItem

	stepper  *fyne.Container
	partBtns []*partButton
	list     *widget.List
	detail   *stepDetail
	root     fyne.CanvasObject
}

// checkItem is what one checklist row shows.
type checkItem struct {
	step  *app.Step
	label string
	depth int
	state app.StepState
	// excludedBy is the decision step whose answer ruled this step out,
	// empty when the step applies.
	excludedBy string
	next       bool
}

func newPlaybookPane(ws *workspace) pane {
	p := &playbookPane{ws: ws}
	p.stepper = container.NewGridWithRows(1)
	p.list = widget.NewList(p.length, p.createRow, p.updateRow)
	p.list.OnSelected = p.onRow
	p.detail = newStepDetail(p)

	split := container.NewHSplit(p.list, p.detail.root)
	split.Offset = 0.45
	p.root = container.NewBorder(p.stepper, nil, nil, nil, split)
	return p
}

func (p *playbookPane) object() fyne.CanvasObject { return p.root }

// show refreshes the stepper, the rows and the detail from a new case.
func (p *playbookPane) show(c app.Case, pb *app.Playbook) {
	if len(p.partBtns) != len(pb.Parts) {
		p.stepper.RemoveAll()
		p.partBtns = nil
		for i := range pb.Parts {
			b := newPartButton(func() { p.onPart(i) })
			p.partBtns = append(p.partBtns, b)
			p.stepper.Add(b)
		}
	}
	for i, part := range pb.Parts {
		done, total := pb.Progress(c, part.ID)
		p.partBtns[i].set(fmt.Sprintf("%d  ·  %d/%d", i+1, done, total), part.Title, i == p.part, total > 0 && done == total)
	}
	p.fillRows()
	p.detail.show(p.selected)
}

// fillRows lists the current part and its steps and sub-steps in document
// order. The part has a row of its own: it may carry guidance and a question
// (Part 2 asks which vectors are involved).
func (p *playbookPane) fillRows() {
	ws := p.ws
	pb, c := ws.pb, ws.c
	p.rows = p.rows[:0]
	if p.part >= len(pb.Parts) {
		p.list.Refresh()
		return
	}
	part := pb.Parts[p.part]
	reasons := exclusionReasons(pb, c)
	var nextID string
	if ws.next.Step != nil {
		nextID = ws.next.Step.ID
	}
	var walk func(steps []*app.Step)
	walk = func(steps []*app.Step) {
		for _, s := range steps {
			label := s.ID + "  " + s.Title
			if s == part {
				label = fmt.Sprintf("Part %d: %s", p.part+1, s.Title)
			}
			p.rows = append(p.rows, checkItem{
				step: s, label: label, depth: pb.Depth(s.ID), state: c.Step(s.ID),
				excludedBy: reasons[s.ID], next: s.ID == nextID,
			})
			walk(s.Steps)
		}
	}
	walk([]*app.Step{part})
	p.list.Refresh()
	// Keep the list selection on the selected step (rows may have moved).
	if i := p.rowOf(p.selected); i >= 0 {
		p.list.Select(i)
	} else {
		p.list.UnselectAll()
	}
}

// rowOf returns the row index of a step in the current part, -1 if absent.
func (p *playbookPane) rowOf(id string) int {
	for i, r := range p.rows {
		if r.step.ID == id {
			return i
		}
	}
	return -1
}

// selectStep shows the step's part and the step's detail.
func (p *playbookPane) selectStep(id string) {
	pb := p.ws.pb
	if pb == nil {
		return
	}
	if _, ok := pb.Step(id); !ok {
		return
	}
	p.selected = id
	if n := pb.PartNumber(id) - 1; n >= 0 && n != p.part {
		p.part = n
		p.show(p.ws.c, pb)
		return
	}
	if i := p.rowOf(id); i >= 0 {
		p.list.Select(i)
		p.list.ScrollTo(i)
	}
	p.detail.show(id)
}

// onPart switches the stepper to part i and selects its first open step.
func (p *playbookPane) onPart(i int) {
	pb := p.ws.pb
	if pb == nil || i >= len(pb.Parts) {
		return
	}
	p.part = i
	p.selected = ""
	p.show(p.ws.c, pb)
	for _, r := range p.rows {
		if r.excludedBy == "" && !r.state.Status.Resolved() {
			p.selectStep(r.step.ID)
			return
		}
	}
	if len(p.rows) > 0 {
		p.selectStep(p.rows[0].step.ID)
	}
}

func (p *playbookPane) onRow(i widget.ListItemID) {
	if i < 0 || i >= len(p.rows) {
		return
	}
	if id := p.rows[i].step.ID; id != p.selected {
		p.selected = id
		p.detail.show(id)
	}
}

func (p *playbookPane) length() int { return len(p.rows) }

func (p *playbookPane) createRow() fyne.CanvasObject { return newStepRow() }

func (p *playbookPane) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i < len(p.rows) {
		o.(*stepRow).set(p.rows[i])
	}
}

// stepRow is one line of the checklist.
type stepRow struct {
	widget.BaseWidget
	indent *canvas.Rectangle
	icon   *widget.Icon
	label  *widget.Label
	aside  *widget.Label
	root   fyne.CanvasObject
}

// indentWidth is the indent per level of sub-step.
const indentWidth = 18

func newStepRow() *stepRow {
	r := &stepRow{
		indent: canvas.NewRectangle(color.Transparent),
		icon:   widget.NewIcon(theme.CheckButtonIcon()),
		label:  widget.NewLabel(""),
		aside:  widget.NewLabel(""),
	}
	r.label.Truncation = fyne.TextTruncateEllipsis
	r.aside.Importance = widget.LowImportance
	r.aside.SizeName = theme.SizeNameCaptionText
	r.root = container.NewBorder(nil, nil, container.NewHBox(r.indent, r.icon), r.aside, r.label)
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer draws the row.
func (r *stepRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.root) }

func (r *stepRow) set(it checkItem) {
	r.indent.SetMinSize(fyne.NewSize(float32(it.depth*indentWidth), 1))
	r.label.SetText(it.label)
	r.label.TextStyle = fyne.TextStyle{Bold: it.next || it.depth == 0}
	switch {
	case it.excludedBy != "":
		r.icon.SetResource(theme.NewDisabledResource(theme.ContentRemoveIcon()))
		r.label.Importance = widget.LowImportance
		r.aside.SetText("not applicable (by decision at " + it.excludedBy + ")")
	default:
		r.icon.SetResource(statusIcon(it))
		r.label.Importance = widget.MediumImportance
		switch {
		case it.next:
			r.aside.SetText("next")
		case it.step.Decision != nil && len(it.state.Choices) == 0:
			r.aside.SetText("question")
		default:
			r.aside.SetText("")
		}
	}
	r.label.Refresh()
	r.root.Refresh()
}

// statusIcon is the checklist icon of a step's status.
func statusIcon(it checkItem) fyne.Resource {
	if it.step.Decision != nil && len(it.state.Choices) == 0 && !it.state.Status.Resolved() {
		return theme.NewPrimaryThemedResource(theme.QuestionIcon())
	}
	switch it.state.Status {
	case app.StepDoing:
		return theme.NewPrimaryThemedResource(theme.MediaPlayIcon())
	case app.StepDone:
		return theme.NewSuccessThemedResource(theme.CheckButtonCheckedIcon())
	case app.StepSkipped:
		return theme.NewWarningThemedResource(theme.MediaSkipNextIcon())
	case app.StepNA:
		return theme.NewDisabledResource(theme.ContentRemoveIcon())
	}
	return theme.CheckButtonIcon()
}

// exclusionReasons maps each step ruled out by a decision (and its
// sub-steps) to the id of the decision step that ruled it out.
func exclusionReasons(pb *app.Playbook, c app.Case) map[string]string {
	excluded := pb.Excluded(c)
	out := map[string]string{}
	for _, s := range pb.Steps() {
		if s.Decision == nil {
			continue
		}
		for _, oid := range c.Step(s.ID).Choices {
			o, ok := s.Option(oid)
			if !ok {
				continue
			}
			for _, x := range o.Excludes {
				if excluded[x] && out[x] == "" {
					out[x] = s.ID
				}
			}
		}
	}
	// Steps() is in document order, so a parent is settled before its
	// children inherit from it.
	for _, s := range pb.Steps() {
		if out[s.ID] != "" {
			continue
		}
		if parent := pb.Parent(s.ID); parent != nil && out[parent.ID] != "" {
			out[s.ID] = out[parent.ID]
		}
	}
	return out
}
