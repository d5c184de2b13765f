package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// stepDetail shows one step: what to do, what to keep, its status and note,
// and its question when it asks one.
//
// The status, note and answer widgets live as long as the panel and are
// only reset when another step is selected: a save elsewhere (a timeline
// note, a status change) must not wipe what the user is typing here.
type stepDetail struct {
	p      *playbookPane
	stepID string
	// updating is set while loaded values are written into widgets.
	updating bool
	// Dirty flags: the user changed the widget and it is not saved yet.
	statusDirty, noteDirty, answerDirty bool

	title      *widget.Label
	where      *widget.Label
	excluded   *widget.Label
	guidance   *widget.Label
	warning    *widget.Label
	warningBox fyne.CanvasObject
	handoff    *widget.Label
	evidence   *widget.Label
	evidenceBx fyne.CanvasObject
	actions    *fyne.Container
	actionsBx  fyne.CanvasObject

	status  *widget.Select
	done    *widget.Button
	note    *widget.Entry
	save    *widget.Button
	unsaved *widget.Label

	decisionBx fyne.CanvasObject
	question   *widget.Label
	answerBox  *fyne.Container
	single     *widget.RadioGroup
	multi      *widget.CheckGroup
	routes     *widget.Label
	record     *widget.Button
	// optionText maps an option id to the text its radio or check shows.
	optionText map[string]string

	empty *widget.Label
	body  *fyne.Container
	root  *container.Scroll
}

func newStepDetail(p *playbookPane) *stepDetail {
	d := &stepDetail{p: p, optionText: map[string]string{}}
	d.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.title.Wrapping = fyne.TextWrapWord
	d.title.SizeName = theme.SizeNameSubHeadingText
	d.where = widget.NewLabel("")
	d.where.Importance = widget.LowImportance
	d.where.SizeName = theme.SizeNameCaptionText
	d.excluded = widget.NewLabel("")
	d.excluded.Importance = widget.LowImportance
	d.excluded.Wrapping = fyne.TextWrapWord
	// Plain labels, not Markdown: playbook text is prose, and a custom
	// playbook's "1. " or "*" must show as typed.
	d.guidance = widget.NewLabel("")
	d.guidance.Wrapping = fyne.TextWrapWord

	d.warning = widget.NewLabel("")
	d.warning.Wrapping = fyne.TextWrapWord
	d.warning.TextStyle = fyne.TextStyle{Bold: true}
	d.warningBox = banner(theme.ColorNameWarning, container.NewBorder(nil, nil,
		widget.NewIcon(theme.WarningIcon()), nil, d.warning))
	d.handoff = widget.NewLabel("")
	d.handoff.Wrapping = fyne.TextWrapWord

	d.evidence = widget.NewLabel("")
	d.evidence.Wrapping = fyne.TextWrapWord
	d.evidenceBx = container.NewVBox(sectionLabel("Evidence to keep"), d.evidence)

	d.actions = container.NewVBox()
	comingSoon := widget.NewLabel("Plan… opens the change in the Changes tab, where you check it and confirm it before anything is sent. The other actions are not run from this step: do them in the AWS console or with the AWS CLI, and record what you did in the note.")
	comingSoon.Wrapping = fyne.TextWrapWord
	comingSoon.Importance = widget.LowImportance
	d.actionsBx = container.NewVBox(sectionLabel("AWS actions"), d.actions, comingSoon)

	d.question = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.question.Wrapping = fyne.TextWrapWord
	d.answerBox = container.NewVBox()
	d.routes = widget.NewLabel("")
	d.routes.Wrapping = fyne.TextWrapWord
	d.routes.Importance = widget.LowImportance
	d.record = widget.NewButtonWithIcon("Record answer", theme.ConfirmIcon(), d.onRecord)
	d.record.Importance = widget.HighImportance
	d.decisionBx = banner(theme.ColorNameSelection, container.NewVBox(
		d.question, d.answerBox, d.routes, container.NewHBox(d.record)))

	var labels []string
	for _, st := range app.StepStatuses {
		labels = append(labels, st.Label())
	}
	// A select rather than a row of radios: five statuses side by side do
	// not fit the detail column, and "Mark done" covers the common case in
	// one click.
	d.status = widget.NewSelect(labels, d.onStatus)
	d.done = widget.NewButtonWithIcon("Mark done", theme.ConfirmIcon(), d.onDone)
	d.done.Importance = widget.SuccessImportance
	d.note = widget.NewMultiLineEntry()
	d.note.SetPlaceHolder("What you found or did; required to skip a step")
	d.note.Wrapping = fyne.TextWrapWord
	d.note.SetMinRowsVisible(3)
	d.note.OnChanged = d.onNoteChanged
	d.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), d.onSave)
	d.unsaved = widget.NewLabel("Not saved yet")
	d.unsaved.Importance = widget.WarningImportance
	d.unsaved.Hide()

	d.body = container.NewVBox(
		d.title, d.where, d.excluded, d.warningBox, d.guidance, d.handoff, d.decisionBx,
		d.evidenceBx, d.actionsBx, widget.NewSeparator(),
		sectionLabel("Status"), container.NewBorder(nil, nil, nil, d.done, d.status),
		sectionLabel("Note"), d.note, container.NewHBox(d.save, d.unsaved),
	)
	d.empty = widget.NewLabel("Select a step in the checklist.")
	d.root = container.NewVScroll(container.NewStack(container.NewPadded(d.body), container.NewCenter(d.empty)))
	d.show("")
	return d
}

// sectionLabel is a small bold heading inside the detail panel.
func sectionLabel(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// show displays step id (empty: nothing selected) from the workspace's case.
// Selecting another step resets the editable widgets; showing the same step
// again keeps whatever the user changed and has not saved.
func (d *stepDetail) show(id string) {
	ws := d.p.ws
	var step *app.Step
	if ws.pb != nil && id != "" {
		step, _ = ws.pb.Step(id)
	}
	if step == nil {
		d.stepID = ""
		d.body.Hide()
		d.empty.Show()
		return
	}
	d.empty.Hide()
	d.body.Show()
	changed := id != d.stepID
	d.stepID = id
	if changed {
		d.statusDirty, d.noteDirty, d.answerDirty = false, false, false
		d.root.ScrollToTop()
	}
	st := ws.c.Step(id)
	d.updating = true
	defer func() { d.updating = false }()

	if ws.pb.Parent(id) == nil {
		d.title.SetText(fmt.Sprintf("Part %d: %s", ws.pb.PartNumber(id), step.Title))
		d.where.SetText("About this part as a whole")
	} else {
		d.title.SetText("Step " + step.ID + ": " + step.Title)
		d.where.SetText(fmt.Sprintf("Part %d: %s", ws.pb.PartNumber(id), ws.pb.PartOf(id).Title))
	}
	if by := exclusionReasons(ws.pb, ws.c)[id]; by != "" {
		d.excluded.SetText("Not applicable: ruled out by the answer at step " + by + ". Nothing to do here unless that answer changes.")
		d.excluded.Show()
	} else {
		d.excluded.Hide()
	}
	showText(d.warningBox, d.warning, step.Warning)
	showText(d.guidance, d.guidance, strings.TrimSpace(step.Guidance))
	if step.Handoff != "" {
		d.handoff.SetText("Hand-off: " + step.Handoff)
		d.handoff.Show()
	} else {
		d.handoff.Hide()
	}
	if len(step.Evidence) > 0 {
		d.evidence.SetText("• " + strings.Join(step.Evidence, "\n• "))
		d.evidenceBx.Show()
	} else {
		d.evidenceBx.Hide()
	}
	d.showActions(step)
	d.showDecision(step, st, changed)

	if !d.statusDirty {
		d.status.SetSelected(st.Status.Label())
	}
	if st.Status == app.StepDone {
		d.done.Disable()
	} else {
		d.done.Enable()
	}
	if !d.noteDirty {
		d.note.SetText(st.Note)
	}
	d.showUnsaved()
}

// showText shows box with text in label, or hides box when text is empty.
func showText(box fyne.CanvasObject, label *widget.Label, text string) {
	if text == "" {
		box.Hide()
		return
	}
	label.SetText(text)
	box.Show()
}

// showActions lists the step's AWS actions; those this build can carry
// out get a Plan… button that opens them in the Changes pane.
func (d *stepDetail) showActions(step *app.Step) {
	d.actions.RemoveAll()
	if len(step.Actions) == 0 {
		d.actionsBx.Hide()
		return
	}
	for _, id := range step.Actions {
		text := id
		if a, ok := d.p.ws.pb.Action(id); ok {
			text = a.Title
			if a.Mutating {
				text += " (changes the account: will ask for confirmation)"
			}
		}
		l := widget.NewLabel("• " + text)
		l.Wrapping = fyne.TextWrapWord
		if plannable(d.p.ws.pb, id) {
			d.actions.Add(container.NewBorder(nil, nil, nil, d.p.ws.planButton(id), l))
			continue
		}
		d.actions.Add(l)
	}
	d.actionsBx.Show()
}

// showDecision shows the step's question. The answer widget is rebuilt when
// the step changes; otherwise it keeps an unsaved answer.
func (d *stepDetail) showDecision(step *app.Step, st app.StepState, changed bool) {
	if step.Decision == nil {
		d.decisionBx.Hide()
		return
	}
	dec := step.Decision
	d.question.SetText(dec.Question)
	if changed || d.single == nil && d.multi == nil {
		d.optionText = map[string]string{}
		var texts []string
		for _, o := range dec.Options {
			text := o.Label
			if slices.Contains(texts, text) {
				text += " (" + o.ID + ")"
			}
			d.optionText[o.ID] = text
			texts = append(texts, text)
		}
		d.answerBox.RemoveAll()
		d.single, d.multi = nil, nil
		if dec.Multiple {
			d.multi = widget.NewCheckGroup(texts, d.onAnswer)
			d.answerBox.Add(d.multi)
		} else {
			d.single = widget.NewRadioGroup(texts, d.onAnswerOne)
			d.answerBox.Add(d.single)
		}
		d.routes.SetText(routeHints(d.p.ws.pb, step, d.optionText))
		if d.routes.Text == "" {
			d.routes.Hide()
		} else {
			d.routes.Show()
		}
	}
	if !d.answerDirty {
		var chosen []string
		for _, id := range st.Choices {
			if t, ok := d.optionText[id]; ok {
				chosen = append(chosen, t)
			}
		}
		if d.multi != nil {
			d.multi.SetSelected(chosen)
		} else if len(chosen) > 0 {
			d.single.SetSelected(chosen[0])
		} else {
			d.single.SetSelected("")
		}
	}
	if len(st.Choices) > 0 {
		d.record.SetText("Change answer")
	} else {
		d.record.SetText("Record answer")
	}
	d.decisionBx.Show()
}

// routeHints says where each answer leads, so the responder knows before
// answering that "yes" means a detour through another part.
func routeHints(pb *app.Playbook, step *app.Step, texts map[string]string) string {
	var lines []string
	for _, o := range step.Decision.Options {
		var what []string
		switch {
		case o.Goto != "" && o.Return != "":
			what = append(what, fmt.Sprintf("work through %s first, then come back to step %s", stepName(pb, o.Goto), o.Return))
		case o.Goto != "":
			what = append(what, "continue at "+stepName(pb, o.Goto))
		}
		switch len(o.Excludes) {
		case 0:
		case 1:
			what = append(what, "step "+o.Excludes[0]+" will not apply")
		default:
			what = append(what, "steps "+strings.Join(o.Excludes, ", ")+" will not apply")
		}
		if len(what) > 0 {
			lines = append(lines, fmt.Sprintf("“%s”: %s.", texts[o.ID], strings.Join(what, "; ")))
		}
	}
	return strings.Join(lines, "\n")
}

// stepName is "Part 2 (Containment)" for a part, "step 1.5" otherwise.
func stepName(pb *app.Playbook, id string) string {
	s, ok := pb.Step(id)
	if !ok {
		return id
	}
	if pb.Parent(id) == nil {
		return fmt.Sprintf("Part %d (%s)", pb.PartNumber(id), s.Title)
	}
	return "step " + id
}

// selectedStatus is the status the radio shows.
func (d *stepDetail) selectedStatus() app.StepStatus {
	for _, st := range app.StepStatuses {
		if st.Label() == d.status.Selected {
			return st
		}
	}
	return app.StepTodo
}

// showUnsaved flags edits that have not reached the store.
func (d *stepDetail) showUnsaved() {
	if d.statusDirty || d.noteDirty {
		d.unsaved.Show()
	} else {
		d.unsaved.Hide()
	}
}

// onStatus saves a status as soon as it is picked: ticking a step should be
// one click. The note typed so far goes with it (skipping needs one).
func (d *stepDetail) onStatus(string) {
	if d.updating || d.stepID == "" {
		return
	}
	d.statusDirty = true
	d.onSave()
}

// onDone marks the step done, the one-click tick.
func (d *stepDetail) onDone() {
	switch {
	case d.stepID == "":
	case d.status.Selected == app.StepDone.Label():
		d.onSave() // picked earlier but not saved: save it now
	default:
		d.status.SetSelected(app.StepDone.Label())
	}
}

func (d *stepDetail) onNoteChanged(string) {
	if d.updating {
		return
	}
	d.noteDirty = true
	d.showUnsaved()
}

// onSave stores the step's status and note. If it fails, the radio and the
// note keep what the user chose and typed, and the error says why.
func (d *stepDetail) onSave() {
	ws := d.p.ws
	id, status, note := d.stepID, d.selectedStatus(), d.note.Text
	if id == "" {
		return
	}
	d.save.Disable()
	d.showUnsaved()
	ws.save("Could not save step "+id, func(ctx context.Context, svc *app.Service) (app.Case, error) {
		return svc.SetStep(ctx, ws.id, id, status, note)
	}, func(err error) {
		d.save.Enable()
		if err != nil || d.stepID != id {
			return
		}
		// Only what was sent is saved: keep later edits marked.
		if d.selectedStatus() == status {
			d.statusDirty = false
		}
		if d.note.Text == note {
			d.noteDirty = false
		}
	})
}

func (d *stepDetail) onAnswerOne(string) {
	if !d.updating {
		d.answerDirty = true
	}
}

func (d *stepDetail) onAnswer([]string) {
	if !d.updating {
		d.answerDirty = true
	}
}

// chosenOptions maps the ticked answers back to option ids.
func (d *stepDetail) chosenOptions() []string {
	var texts []string
	if d.multi != nil {
		texts = d.multi.Selected
	} else if d.single != nil && d.single.Selected != "" {
		texts = []string{d.single.Selected}
	}
	var ids []string
	for id, t := range d.optionText {
		if slices.Contains(texts, t) {
			ids = append(ids, id)
		}
	}
	// Keep the playbook's option order, not the map's.
	if step, ok := d.p.ws.pb.Step(d.stepID); ok && step.Decision != nil {
		var ordered []string
		for _, o := range step.Decision.Options {
			if slices.Contains(ids, o.ID) {
				ordered = append(ordered, o.ID)
			}
		}
		ids = ordered
	}
	return ids
}

// onRecord saves the answer to the step's question; the service records any
// detour it implies and the banner follows it.
func (d *stepDetail) onRecord() {
	ws := d.p.ws
	id, opts := d.stepID, d.chosenOptions()
	if id == "" {
		return
	}
	d.record.Disable()
	ws.save("Could not record the answer to step "+id, func(ctx context.Context, svc *app.Service) (app.Case, error) {
		return svc.Choose(ctx, ws.id, id, opts)
	}, func(err error) {
		d.record.Enable()
		if err == nil && d.stepID == id {
			d.answerDirty = false
		}
	})
}
