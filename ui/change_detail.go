package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// changeDetail shows one change of the journal the way a person checks it
// before confirming: what it is about, what it will break, the state now
// and after, the AWS CLI commands that do the same, whether it can be
// undone; and, once confirmed, what each step did and whether re-reading
// the account showed it in place.
type changeDetail struct {
	p   *changesPane
	run *app.ChangeRun
	// follow keeps the steps in view while the change shown runs, until
	// another change is shown.
	follow bool

	title    *widget.Label
	meta     *widget.Label
	state    *widget.Label
	impact   *widget.Label
	impactBx fyne.CanvasObject
	notes    *widget.Label
	diff     *widget.RichText
	// cli holds the commands; cliText is what it must show, so edits are
	// put back (Fyne has no read-only entry that still lets text be
	// selected).
	cli      *widget.Entry
	cliText  string
	copyBtn  *widget.Button
	undo     *widget.Label
	stepsHd  *widget.Label
	stepsBox *fyne.Container
	evidence *widget.Label

	apply  *widget.Button
	replan *widget.Button
	resume *widget.Button
	undoBt *widget.Button

	body *fyne.Container
	// shown holds everything about the change; hidden with none selected.
	shown  *fyne.Container
	empty  *widget.Label
	scroll *container.Scroll
	root   fyne.CanvasObject
}

func newChangeDetail(p *changesPane) *changeDetail {
	d := &changeDetail{p: p}
	d.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.title.Wrapping = fyne.TextWrapWord
	d.title.SizeName = theme.SizeNameSubHeadingText
	d.meta = widget.NewLabel("")
	d.meta.Wrapping = fyne.TextWrapWord
	d.meta.SizeName = theme.SizeNameCaptionText
	d.state = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.state.Wrapping = fyne.TextWrapWord

	d.impact = widget.NewLabel("")
	d.impact.Wrapping = fyne.TextWrapWord
	d.impactBx = banner(theme.ColorNameWarning, container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil,
		container.NewVBox(sectionLabel("What it will break"), d.impact)))
	d.notes = lowLabel("")
	d.diff = widget.NewRichText()
	d.diff.Wrapping = fyne.TextWrapBreak

	d.cli = widget.NewMultiLineEntry()
	d.cli.TextStyle = fyne.TextStyle{Monospace: true}
	d.cli.Wrapping = fyne.TextWrapBreak
	d.cli.OnChanged = func(s string) {
		if s != d.cliText {
			d.cli.SetText(d.cliText)
		}
	}
	d.copyBtn = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), d.onCopy)
	d.undo = widget.NewLabel("")
	d.undo.Wrapping = fyne.TextWrapWord
	d.stepsHd = sectionLabel("Steps")
	d.stepsBox = container.NewVBox()
	d.evidence = lowLabel("")

	d.apply = widget.NewButtonWithIcon("Apply…", theme.ConfirmIcon(), func() {
		if d.run != nil {
			p.onApply(d.run.Plan)
		}
	})
	d.apply.Importance = widget.DangerImportance
	d.replan = widget.NewButtonWithIcon("Plan again", theme.ViewRefreshIcon(), func() {
		if d.run != nil {
			p.onReplan(d.run.Plan)
		}
	})
	d.resume = widget.NewButtonWithIcon("Resume…", theme.MediaPlayIcon(), p.onResume)
	d.undoBt = widget.NewButtonWithIcon("Undo…", theme.ContentUndoIcon(), func() {
		if d.run != nil {
			p.onUndo(*d.run)
		}
	})

	d.body = container.NewVBox(
		d.impactBx,
		sectionLabel("What changes (lines with - are the state now, + after)"), d.diff,
		sectionLabel("The same with the AWS CLI"), container.NewBorder(nil, nil, nil, container.NewVBox(d.copyBtn), d.cli),
		d.undo, d.notes,
		d.stepsHd, d.stepsBox, d.evidence,
	)
	d.empty = lowLabel("Choose an action and press Plan: S3 Responder reads the account and shows what would change, what it will break and the AWS CLI commands that do the same. Nothing is sent until you confirm the plan.")
	d.scroll = container.NewVScroll(container.NewPadded(d.body))
	header := container.NewVBox(d.title, d.meta, d.state)
	buttons := container.NewHBox(d.apply, d.replan, d.resume, d.undoBt)
	bottom := container.NewVBox(p.progressRow, p.status, buttons)
	d.shown = container.NewBorder(container.NewPadded(header), nil, nil, nil, d.scroll)
	d.root = container.NewBorder(nil, container.NewPadded(bottom), nil, nil,
		container.NewStack(d.shown, container.NewVBox(container.NewPadded(d.empty))))
	d.show(nil)
	return d
}

// show draws run (nil: nothing selected).
func (d *changeDetail) show(run *app.ChangeRun) {
	changed := run == nil || d.run == nil || run.Plan.ID != d.run.Plan.ID
	if run == nil {
		d.run = nil
		d.shown.Hide()
		d.empty.Show()
		d.showButtons()
		return
	}
	cp := *run
	d.run = &cp
	d.shown.Show()
	d.empty.Hide()
	plan := run.Plan
	loc := d.p.ws.c.Incident.Location()

	title := plan.Title
	if plan.UndoOf != "" && !strings.HasPrefix(title, "Undo") {
		title = "Undo of " + plan.UndoOf + ": " + title
	}
	d.title.SetText(title)
	meta := []string{plan.ID, plan.Action, plan.Target, "account " + plan.Account}
	if plan.Region != "" {
		meta = append(meta, plan.Region)
	}
	if plan.Simulated {
		meta = append(meta, "SIMULATED account")
	}
	if b := plan.Bulk; b != nil {
		meta = append(meta, objectCount(b))
	}
	meta = append(meta, "as "+plan.Principal, "planned "+formatWhenZone(plan.CreatedAt, loc))
	d.meta.SetText(strings.Join(meta, "  ·  "))
	d.showState()

	if len(plan.Impact) > 0 {
		d.impact.SetText("• " + strings.Join(plan.Impact, "\n• "))
		d.impactBx.Show()
	} else {
		d.impactBx.Hide()
	}
	if len(plan.Notes) > 0 {
		d.notes.SetText(strings.Join(plan.Notes, "\n"))
		d.notes.Show()
	} else {
		d.notes.Hide()
	}
	d.diff.Segments = diffSegments(plan.Diff)
	d.diff.Refresh()
	d.cliText = strings.Join(plan.CLI, "\n")
	d.cli.SetText(d.cliText)
	d.cli.SetMinRowsVisible(cliRows(plan.CLI))
	switch {
	case plan.Reversible && plan.UndoNote != "":
		d.undo.SetText("Can be undone: Undo… plans the reverse and asks for the same confirmation. " + plan.UndoNote)
		d.undo.Importance = widget.MediumImportance
	case plan.Reversible:
		d.undo.SetText("Can be undone: Undo… plans the reverse and asks for the same confirmation.")
		d.undo.Importance = widget.MediumImportance
	default:
		d.undo.SetText("CANNOT be undone: S3 Responder has no way to reverse this change.")
		d.undo.Importance = widget.DangerImportance
	}
	d.undo.Refresh()
	d.showSteps()
	d.showButtons()
	switch {
	case changed:
		d.follow = false
		d.scroll.ScrollToTop()
	case d.follow:
		d.scroll.ScrollToBottom()
	}
}

// showState is the line under the title: where the change stands, and
// what re-reading the account showed.
func (d *changeDetail) showState() {
	r := *d.run
	text := runState(r)
	imp := runImportance(r)
	switch {
	case r.Status == app.ChangePlanned && d.expired():
		text = "This plan expired: press Plan again, so that what you confirm is the account as it is now."
		imp = widget.WarningImportance
	case r.Status == app.ChangePlanned:
		how := "Apply… asks you to confirm it"
		if r.Plan.Broad {
			how = "Apply… asks you to type " + r.Plan.ConfirmWord + " to confirm it"
		}
		text = fmt.Sprintf("Planned, nothing sent yet. %s (valid until %s).", how, formatWhenZone(r.Plan.ExpiresAt, d.p.ws.c.Incident.Location()))
	case r.Status == app.ChangeDone && r.Verified:
		text = "Applied and verified: re-reading the account shows every planned state in place."
	case len(r.Problems) > 0:
		text = runState(r) + ": " + strings.Join(r.Problems, "; ")
	case r.Status == app.ChangeIncomplete:
		text = runState(r) + ". Resume… re-reads the account and sends only what is not in place yet."
	}
	if r.UndoneBy != "" && !strings.Contains(text, r.UndoneBy) {
		text += " Undone by " + r.UndoneBy + "."
	}
	d.state.Importance = imp
	d.state.SetText(text)
}

// expired reports whether the plan shown is past its validity.
func (d *changeDetail) expired() bool {
	return d.run != nil && !d.run.Plan.ExpiresAt.IsZero() && d.p.ws.u.clock().After(d.run.Plan.ExpiresAt)
}

// showSteps lists each step with its outcome and the evidence of the
// state before.
func (d *changeDetail) showSteps() {
	d.stepsBox.RemoveAll()
	d.stepsHd.SetText("Steps")
	if d.run.Plan.Bulk != nil {
		d.stepsHd.SetText("Objects")
		d.showObjects()
	}
	for _, s := range d.run.Steps {
		l := widget.NewLabel(fmt.Sprintf("%d. %s: %s on %s", s.Step.N, s.Outcome, s.Step.Call, s.Step.Resource.Name))
		l.Wrapping = fyne.TextWrapWord
		l.Importance = outcomeImportance(s.Outcome)
		d.stepsBox.Add(l)
		if s.Error != "" {
			e := lowLabel("    " + s.Error)
			d.stepsBox.Add(e)
		}
	}
	if d.run.Evidence != "" {
		d.evidence.SetText(fmt.Sprintf("The state before the change is saved as evidence %s. Confirmed by %s at %s.",
			d.run.Evidence, d.run.ConfirmedBy, formatWhenZone(d.run.ConfirmedAt, d.p.ws.c.Incident.Location())))
		d.evidence.Show()
	} else {
		d.evidence.Hide()
	}
}

// shownOpenObjects caps the objects not yet in place listed by name: a
// bulk change may leave thousands, and their counts say the rest.
const shownOpenObjects = 20

// showObjects tells where a bulk change's objects stand: counts by
// outcome, whether the selection was gone through to its end, and the
// first objects not in place yet.
func (d *changeDetail) showObjects() {
	r := d.run
	add := func(text string, imp widget.Importance) {
		l := widget.NewLabel(text)
		l.Wrapping = fyne.TextWrapWord
		l.Importance = imp
		d.stepsBox.Add(l)
	}
	b := r.Bulk
	if b == nil || r.Status == app.ChangePlanned {
		add(fmt.Sprintf("%s: one %s each, %d at a time, journalled %d at a time.", objectCount(r.Plan.Bulk), r.Plan.Bulk.Call, r.Plan.Bulk.Concurrency, r.Plan.Bulk.BatchSize), widget.MediumImportance)
		return
	}
	imp := widget.SuccessImportance
	if b.Failed+b.Conflict+b.InDoubt > 0 {
		imp = widget.DangerImportance
	} else if b.Pending > 0 || !b.Listed {
		imp = widget.WarningImportance
	}
	batches := "1 batch"
	if b.Batches != 1 {
		batches = fmt.Sprintf("%d batches", b.Batches)
	}
	add(fmt.Sprintf("%d applied, %d already so, %d gone, %d failed, %d conflicting, %d in doubt, %d not sent, in %s.",
		b.Applied, b.Already, b.Gone, b.Failed, b.Conflict, b.InDoubt, b.Pending, batches), imp)
	if !b.Listed {
		text := "The selection was not gone through to its end: Resume… takes it up"
		if b.Last != "" {
			text += " after " + b.Last
		}
		add(text+".", widget.WarningImportance)
	}
	for i, o := range b.Open {
		if i == shownOpenObjects {
			add(fmt.Sprintf("… and %d more objects not in place.", len(b.Open)-shownOpenObjects), widget.LowImportance)
			break
		}
		add(fmt.Sprintf("%s: %s", o.Outcome, o.Key), outcomeImportance(o.Outcome))
		if o.Error != "" {
			d.stepsBox.Add(lowLabel("    " + o.Error))
		}
	}
}

// objectCount says how many objects a bulk change selects.
func objectCount(b *app.BulkSpec) string {
	if b.More {
		return fmt.Sprintf("more than %d objects", b.Objects)
	}
	return plural(b.Objects, "object")
}

// outcomeImportance colours a step: green once in place, red when it
// failed, conflicted or is in doubt.
func outcomeImportance(outcome string) widget.Importance {
	switch outcome {
	case app.OutcomeApplied, app.OutcomeAlready:
		return widget.SuccessImportance
	case app.OutcomeFailed, app.OutcomeConflict, app.OutcomeInDoubt:
		return widget.DangerImportance
	}
	return widget.MediumImportance
}

// showButtons offers what the change shown allows, and nothing while an
// operation runs.
func (d *changeDetail) showButtons() {
	set := func(b *widget.Button, on bool) {
		if on && !d.p.running {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if d.run == nil {
		for _, b := range []*widget.Button{d.apply, d.replan, d.undoBt} {
			b.Disable()
		}
		set(d.resume, len(openRuns(d.p.runs)) > 0)
		return
	}
	r := d.run
	planned := r.Status == app.ChangePlanned
	if r.Plan.UndoOf != "" {
		d.apply.SetText("Apply undo…")
	} else {
		d.apply.SetText("Apply…")
	}
	set(d.apply, planned && !d.expired())
	set(d.replan, planned && r.Plan.UndoOf == "")
	set(d.resume, len(openRuns(d.p.runs)) > 0)
	set(d.undoBt, r.Status == app.ChangeDone && r.Plan.Reversible && r.UndoneBy == "")
}

// onCopy puts the AWS CLI commands on the clipboard.
func (d *changeDetail) onCopy() {
	if d.cliText == "" {
		return
	}
	fyne.CurrentApp().Clipboard().SetContent(d.cliText)
	d.p.say(widget.MediumImportance, "The AWS CLI commands are on the clipboard.")
}

// diffSegments draws a plan's diff: the states in monospace, removed
// lines red, added lines green, each resource's heading bold.
func diffSegments(diff string) []widget.RichTextSegment {
	lines := strings.Split(strings.TrimRight(diff, "\n"), "\n")
	segs := make([]widget.RichTextSegment, 0, len(lines))
	for _, line := range lines {
		style := widget.RichTextStyleCodeBlock
		switch {
		case strings.HasPrefix(line, "=== "):
			// A heading, not a line of the document: bold prose (the
			// theme has no bold monospace).
			style.TextStyle = fyne.TextStyle{Bold: true}
			line = strings.TrimPrefix(line, "=== ")
		case strings.HasPrefix(line, "- "):
			style.ColorName = theme.ColorNameError
		case strings.HasPrefix(line, "+ "):
			style.ColorName = theme.ColorNameSuccess
		}
		if line == "" {
			line = " "
		}
		segs = append(segs, &widget.TextSegment{Style: style, Text: line})
	}
	return segs
}

// cliRows is how many rows the commands take once wrapped, roughly (the
// entry is about 55 monospace characters wide in a 1280-pixel window), so
// that they show whole instead of scrolling inside the pane's own scroll.
func cliRows(cmds []string) int {
	const perRow = 55
	rows := 0
	for _, c := range cmds {
		rows += (len(c) + perRow - 1) / perRow
	}
	return min(max(rows, 2), 12)
}
