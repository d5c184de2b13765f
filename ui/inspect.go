package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
	"s3responder/exposure"
)

// inspectPane runs the read-only actions of the playbook's Part 3, as
// `s3responder inspect` does: it changes nothing in the account, and the
// service keeps what was read, and the inspection itself, as evidence of
// the incident. The form is the Changes pane's (same parameter fields and
// choices); the result shows beside it.
type inspectPane struct {
	ws *workspace

	pb         *app.Playbook
	offered    []app.ChangeAction
	actionText map[string]string // action id -> text in the picker
	action     *widget.Select
	about      *widget.Label
	params     map[string]*paramField
	paramBox   *fyne.Container
	runBtn     *widget.Button

	// The review of a saved bucket policy, without AWS (the CLI's
	// --policy-file): for a policy copied from a ticket or a console, or
	// an account the connection cannot inspect.
	savedPolicy *widget.Entry
	savedBtn    *widget.Button
	savedBox    fyne.CanvasObject

	exercise    fyne.CanvasObject
	busy        *widget.ProgressBarInfinite
	cancelBtn   *widget.Button
	progressRow *fyne.Container
	status      *widget.Label

	// The result of the last inspection.
	result *fyne.Container
	empty  *widget.Label

	root fyne.CanvasObject

	// running is true while an inspection runs (UI goroutine only).
	running bool
	awsAccess
}

func newInspectPane(ws *workspace) pane {
	p := &inspectPane{ws: ws, params: map[string]*paramField{}, actionText: map[string]string{}}
	p.awsAccess = newAWSAccess(ws)

	p.action = widget.NewSelect(nil, func(string) { p.showParams() })
	p.action.PlaceHolder = "Choose what to inspect"
	p.about = lowLabel("")
	p.about.SizeName = theme.SizeNameCaptionText
	p.about.Hide()
	p.paramBox = container.NewVBox()
	p.profile.SetPlaceHolder("profile")
	p.region.SetPlaceHolder("region")
	p.runBtn = widget.NewButtonWithIcon("Run", theme.MediaPlayIcon(), p.onRun)
	p.runBtn.Importance = widget.HighImportance

	p.savedPolicy = widget.NewMultiLineEntry()
	p.savedPolicy.TextStyle = fyne.TextStyle{Monospace: true}
	p.savedPolicy.SetMinRowsVisible(4)
	p.savedPolicy.SetPlaceHolder(`{"Version":"2012-10-17","Statement":[...]}`)
	p.savedBtn = widget.NewButtonWithIcon("Review this policy", theme.DocumentIcon(), p.onReviewSaved)
	p.savedBox = fieldBox("Or review a saved policy (no AWS call)", container.New(&tightVBox{},
		p.savedPolicy, lowLabel("The policy document, or what get-bucket-policy printed."),
		container.NewHBox(layout.NewSpacer(), p.savedBtn)))
	p.savedBox.Hide()

	drill := widget.NewLabelWithStyle(
		"EXERCISE: inspections read only a simulated account; S3 Responder refuses to call AWS.",
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	drill.Wrapping = fyne.TextWrapWord
	p.exercise = banner(theme.ColorNameWarning, drill)
	p.exercise.Hide()
	p.busy = widget.NewProgressBarInfinite()
	p.busy.Stop()
	p.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), p.onCancel)
	p.cancelBtn.Disable()
	p.progressRow = container.NewBorder(nil, nil, nil, p.cancelBtn, p.busy)
	p.progressRow.Hide()
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.status.Hide()

	p.empty = lowLabel("Nothing inspected yet. An inspection only reads: it changes nothing, and what it reads is kept as evidence.")
	p.result = container.NewVBox()

	intro := lowLabel("Read-only reviews of the eradication part of the playbook.")
	intro.SizeName = theme.SizeNameCaptionText
	form := container.NewVBox(sectionLabel("Inspect"), intro,
		fieldBox("Action", p.action), p.about, p.paramBox,
		fieldBox("AWS profile and region", container.NewGridWithColumns(2, p.profile, p.region)),
		container.NewHBox(layout.NewSpacer(), p.runBtn),
		p.savedBox, p.progressRow, p.status)
	right := container.NewBorder(sectionLabel("Result"), nil, nil, nil,
		container.NewVScroll(container.NewVBox(p.empty, p.result)))
	split := container.NewHSplit(container.NewVScroll(form), right)
	split.Offset = 0.4
	p.root = container.NewBorder(p.exercise, nil, nil, nil, split)
	p.loadProfiles("inspect-profiles")
	return p
}

func (p *inspectPane) object() fyne.CanvasObject { return p.root }

// show offers the inspections of the playbook, the incident's buckets and
// principals as parameter choices, and the simulated account for an
// exercise.
func (p *inspectPane) show(c app.Case, pb *app.Playbook) {
	if pb != p.pb {
		p.pb = pb
		p.offerActions(pb)
	}
	for name, f := range p.params {
		if f.pick != nil {
			f.pick.SetOptions(paramChoices(c.Incident, name))
		}
	}
	p.prefill()
	showIf(p.exercise, c.Incident.Exercise)
	if c.Incident.Exercise && !app.IsSimulatedProfileName(p.profile.Text) {
		p.profile.SetText(app.SimulatedProfileName)
	}
}

// offerActions fills the picker with the read-only actions this build can
// run, under the playbook's titles and in the playbook's order; one the
// playbook does not list comes last under its id.
func (p *inspectPane) offerActions(pb *app.Playbook) {
	p.offered = nil
	p.actionText = map[string]string{}
	var texts []string
	add := func(a app.ChangeAction, title string) {
		text := title
		if text == "" {
			text = a.ID
		} else if slices.Contains(texts, text) {
			text += " (" + a.ID + ")"
		}
		p.offered = append(p.offered, a)
		p.actionText[a.ID] = text
		texts = append(texts, text)
	}
	impl := app.InspectActions()
	if pb != nil {
		for _, def := range pb.Actions {
			if i := slices.IndexFunc(impl, func(a app.ChangeAction) bool { return a.ID == def.ID }); i >= 0 {
				add(impl[i], def.Title)
			}
		}
	}
	for _, a := range impl {
		if _, ok := p.actionText[a.ID]; !ok {
			add(a, "")
		}
	}
	keep := p.action.Selected
	p.action.SetOptions(texts)
	if slices.Contains(texts, keep) {
		p.action.SetSelected(keep)
	} else {
		p.action.ClearSelected()
	}
	p.showParams()
}

// selectedAction is the action the picker shows.
func (p *inspectPane) selectedAction() (app.ChangeAction, bool) {
	for _, a := range p.offered {
		if p.actionText[a.ID] == p.action.Selected {
			return a, true
		}
	}
	return app.ChangeAction{}, false
}

// showParams lays out the chosen action's parameters, each with its help.
func (p *inspectPane) showParams() {
	p.paramBox.RemoveAll()
	a, ok := p.selectedAction()
	showIf(p.savedBox, ok && a.ID == exposure.PolicyReviewAction)
	if !ok {
		p.about.Hide()
		return
	}
	if def, ok := p.pb.Action(a.ID); ok && def.Description != "" {
		p.about.SetText(def.Description)
		p.about.Show()
	} else {
		p.about.Hide()
	}
	for _, spec := range a.Params {
		f := p.field(spec)
		if spec.Required {
			f.entry.SetPlaceHolder("required")
		} else {
			f.entry.SetPlaceHolder("optional")
		}
		help := lowLabel(spec.Help)
		help.SizeName = theme.SizeNameCaptionText
		p.paramBox.Add(fieldBox(paramLabel(spec.Name), container.New(&tightVBox{}, f.obj, help)))
	}
	p.prefill()
}

// field returns the field of a parameter, made on first use and kept
// across actions.
func (p *inspectPane) field(spec app.ParamSpec) *paramField {
	if f, ok := p.params[spec.Name]; ok {
		return f
	}
	f := newParamField(spec)
	if f.pick != nil && p.ws.loaded {
		f.pick.SetOptions(paramChoices(p.ws.c.Incident, spec.Name))
	}
	p.params[spec.Name] = f
	return f
}

// prefill puts the incident's only sensible value in an empty field: its
// first bucket. Principals stay choices: which one is the role or key
// pair to inspect is the person's call.
func (p *inspectPane) prefill() {
	if !p.ws.loaded {
		return
	}
	f, ok := p.params["bucket"]
	if !ok || f.entry.Text != "" {
		return
	}
	if choices := paramChoices(p.ws.c.Incident, "bucket"); len(choices) > 0 {
		f.entry.SetText(choices[0])
	}
}

// request reads the form; a missing required parameter is reported
// before anything runs.
func (p *inspectPane) request() (app.InspectRequest, string, error) {
	a, ok := p.selectedAction()
	if !ok {
		return app.InspectRequest{}, "", errors.New("choose an action first")
	}
	req := app.InspectRequest{Action: a.ID, Params: map[string]string{}}
	for _, spec := range a.Params {
		v := strings.TrimSpace(p.field(spec).entry.Text)
		if v == "" {
			if spec.Required {
				return req, "", fmt.Errorf("%s is needed: %s", paramLabel(spec.Name), spec.Help)
			}
			continue
		}
		req.Params[spec.Name] = v
	}
	return req, p.actionText[a.ID], nil
}

// say sets the status line.
func (p *inspectPane) say(imp widget.Importance, text string) {
	p.status.Importance = imp
	p.status.SetText(text)
	p.status.Show()
}

// setRunning enables what makes sense now.
func (p *inspectPane) setRunning(running bool) {
	p.running = running
	if running {
		p.runBtn.Disable()
		p.savedBtn.Disable()
		p.cancelBtn.Enable()
		p.progressRow.Show()
		p.busy.Start()
		return
	}
	p.runBtn.Enable()
	p.savedBtn.Enable()
	p.cancelBtn.Disable()
	p.busy.Stop()
	p.progressRow.Hide()
}

// onRun runs the inspection the form describes. It is a write of the
// workspace, not a read: it saves evidence, so leaving the incident does
// not cut it off halfway; Cancel does.
func (p *inspectPane) onRun() {
	if p.running {
		return
	}
	req, title, err := p.request()
	if err != nil {
		p.say(widget.WarningImportance, "Cannot run yet: "+err.Error()+".")
		return
	}
	prof := p.appProfile()
	svc, id := p.ws.u.svc, p.ws.id
	p.setRunning(true)
	p.say(widget.MediumImportance, "Running “"+title+"” with "+prof.String()+": reading the account…")
	p.ws.jobs.write(func(ctx context.Context) func() {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		p.mu.Lock()
		p.cancel, p.opCtx = cancel, ctx
		p.mu.Unlock()
		rep, saved, err := svc.Inspect(ctx, id, prof, req)
		p.mu.Lock()
		p.cancel, p.opCtx = nil, nil
		p.mu.Unlock()
		return func() {
			p.setRunning(false)
			if err != nil {
				p.failed("Could not run “"+title+"”", err)
				if req.Action == exposure.PolicyReviewAction && errors.Is(err, app.ErrInvalid) {
					p.say(widget.DangerImportance, p.status.Text+" A saved copy of the policy can be reviewed below instead, with no AWS call.")
				}
				return
			}
			p.showResult(rep, saved)
			p.say(widget.SuccessImportance, "“"+title+"” done: nothing was changed in the account.")
			p.ws.load()
		}
	})
}

// onReviewSaved reviews the pasted policy with no AWS call, as
// `inspect s3.policy-review --policy-file` does, and keeps the review and
// the policy reviewed as evidence of the incident.
func (p *inspectPane) onReviewSaved() {
	if p.running {
		return
	}
	data := []byte(strings.TrimSpace(p.savedPolicy.Text))
	if len(data) == 0 {
		p.say(widget.WarningImportance, "Cannot review yet: paste the bucket policy first.")
		return
	}
	bucket := ""
	if f, ok := p.params["bucket"]; ok {
		bucket = strings.TrimSpace(f.entry.Text)
	}
	svc, id := p.ws.u.svc, p.ws.id
	p.setRunning(true)
	p.say(widget.MediumImportance, "Reviewing the saved policy…")
	p.ws.jobs.write(func(ctx context.Context) func() {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		p.mu.Lock()
		p.cancel, p.opCtx = cancel, ctx
		p.mu.Unlock()
		rep, saved, err := reviewSavedPolicy(ctx, svc, id, data, bucket)
		p.mu.Lock()
		p.cancel, p.opCtx = nil, nil
		p.mu.Unlock()
		return func() {
			p.setRunning(false)
			if err != nil {
				p.failed("Could not review the saved policy", err)
				return
			}
			p.showResult(rep, saved)
			p.say(widget.SuccessImportance, "Saved policy reviewed: no AWS call was made.")
			p.ws.load()
		}
	})
}

// reviewSavedPolicy reviews a policy document (or get-bucket-policy's
// output, which wraps it) and keeps it, and the review, with the incident.
func reviewSavedPolicy(ctx context.Context, svc *app.Service, id string, data []byte, bucket string) (app.Inspection, app.Saved, error) {
	doc := string(data)
	var wrapper struct{ Policy *string }
	if json.Unmarshal(data, &wrapper) == nil && wrapper.Policy != nil {
		doc = *wrapper.Policy
	}
	rep, err := exposure.ReviewPolicy(doc, bucket, "")
	if err != nil {
		return rep, app.Saved{}, fmt.Errorf("review the saved policy: %w", err)
	}
	rep.Offline = true
	rep.Items = []app.Collected{{Title: "Bucket policy reviewed (pasted)", Kind: app.EvidenceFile, MediaType: "application/json",
		FileName: "reviewed-policy.json", Data: data, Source: app.Source{File: "pasted into S3 Responder"}}}
	saved, err := svc.KeepInspection(ctx, id, rep, app.Identity{})
	return rep, saved, err
}

// onCancel stops the running inspection; the reads already answered are
// not kept, since the inspection did not finish.
func (p *inspectPane) onCancel() {
	p.mu.Lock()
	cancel := p.cancel
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		p.say(widget.WarningImportance, "Cancelling…")
	}
}

// failed explains why an inspection failed; the form keeps what was typed.
func (p *inspectPane) failed(what string, err error) {
	switch {
	case errors.Is(err, context.Canceled):
		p.say(widget.WarningImportance, what+": cancelled. Nothing was kept.")
		return
	case errors.Is(err, app.ErrExercise):
		p.say(widget.DangerImportance, what+": this incident is an exercise and the connection reaches a real AWS account. An exercise may only read a simulated account, so nothing was sent.")
		return
	}
	fyne.LogError(what, err)
	p.say(widget.DangerImportance, explain(what, err).Error())
}

// severityImportance colours a finding by its severity.
func severityImportance(s string) widget.Importance {
	switch s {
	case app.SeverityHigh:
		return widget.DangerImportance
	case app.SeverityMedium:
		return widget.WarningImportance
	case app.SeverityLow:
		return widget.MediumImportance
	}
	return widget.LowImportance
}

// readOnlyCode is a monospace box whose text can be selected and copied
// but not edited: a suggested fix to paste elsewhere.
func readOnlyCode(text string) *widget.Entry {
	e := widget.NewMultiLineEntry()
	e.TextStyle = fyne.TextStyle{Monospace: true}
	e.Wrapping = fyne.TextWrapBreak
	e.SetText(text)
	e.SetMinRowsVisible(min(max(strings.Count(text, "\n")+1, 2), 12))
	e.OnChanged = func(s string) {
		if s != text {
			e.SetText(text)
		}
	}
	return e
}

// wrapped is a label that wraps at words.
func wrapped(text string, imp widget.Importance, style fyne.TextStyle) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, style)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = imp
	return l
}

// showResult lays out an inspection: its summary, each finding with its
// suggested fix, what could not be read, the guidance and the commands,
// and where it was kept.
func (p *inspectPane) showResult(rep app.Inspection, saved app.Saved) {
	p.empty.Hide()
	p.result.RemoveAll()
	p.result.Add(wrapped(fmt.Sprintf("%s (%s)", rep.Title, rep.Action), widget.MediumImportance, fyne.TextStyle{Bold: true}))
	if rep.Target != "" {
		p.result.Add(lowLabel("Target: " + rep.Target))
	}
	p.result.Add(wrapped(rep.Summary, widget.MediumImportance, fyne.TextStyle{}))

	if len(rep.Findings) == 0 {
		p.result.Add(lowLabel("No findings."))
	} else {
		p.result.Add(sectionLabel(fmt.Sprintf("Findings (%d high, %d medium, %d low)",
			rep.Count(app.SeverityHigh), rep.Count(app.SeverityMedium), rep.Count(app.SeverityLow))))
		for _, f := range rep.Findings {
			head := strings.ToUpper(f.Severity)
			if f.Subject != "" {
				head += "  ·  " + f.Subject
			}
			p.result.Add(wrapped(head, severityImportance(f.Severity), fyne.TextStyle{Bold: true}))
			p.result.Add(wrapped(f.Text, widget.MediumImportance, fyne.TextStyle{}))
			if f.Fix != "" {
				p.result.Add(fieldBox("Suggested fix", readOnlyCode(f.Fix)))
			}
		}
	}
	if len(rep.Problems) > 0 {
		p.result.Add(sectionLabel("Not read (the inspection lacks what these would say)"))
		for _, pr := range rep.Problems {
			p.result.Add(wrapped("• "+pr, widget.WarningImportance, fyne.TextStyle{}))
		}
	}
	if len(rep.Guidance) > 0 {
		p.result.Add(sectionLabel("What to do"))
		for _, g := range rep.Guidance {
			p.result.Add(wrapped("• "+g, widget.MediumImportance, fyne.TextStyle{}))
		}
	}
	if len(rep.Commands) > 0 {
		p.result.Add(fieldBox("The same with the AWS CLI", readOnlyCode(strings.Join(rep.Commands, "\n"))))
	}
	p.result.Add(wrapped(keptNote(saved), widget.SuccessImportance, fyne.TextStyle{}))
	p.result.Refresh()
}

// keptNote says which evidence items hold the inspection.
func keptNote(saved app.Saved) string {
	if len(saved.Evidence) == 0 {
		return "Not kept as evidence."
	}
	ids := make([]string, 0, len(saved.Evidence))
	for _, ev := range saved.Evidence {
		ids = append(ids, ev.ID)
	}
	return fmt.Sprintf("Kept as evidence of the incident (%s), with its high and medium findings on the timeline.", strings.Join(ids, ", "))
}
