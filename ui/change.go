package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// changesPane is where the account gets changed. It drives the same use
// cases as `s3responder act`, in the same two moves: a plan that shows the
// state before and after, what the change will break and the AWS CLI
// commands that do the same; then, only after the person typed the word
// the plan asks for, the apply. The journal of every change of the
// incident sits beside it, with Resume for changes a crash or a lost
// connection left half done and Undo for those that can be reversed.
type changesPane struct {
	ws *workspace

	// The form. params keeps one entry per parameter name across actions,
	// so switching action and back loses nothing typed.
	pb         *app.Playbook
	offered    []app.ChangeAction
	actionText map[string]string // action id -> text in the picker
	action     *widget.Select
	about      *widget.Label
	params     map[string]*paramField
	paramBox   *fyne.Container
	planBtn    *widget.Button
	// watchBtn starts, or stops, a CloudTrail watch (watch.go).
	watchBtn *widget.Button
	watch    *credentialWatch

	exercise    fyne.CanvasObject
	progress    *widget.ProgressBar
	busy        *widget.ProgressBarInfinite
	cancelBtn   *widget.Button
	progressRow *fyne.Container
	status      *widget.Label

	// The journal, newest first, and the change shown beside it.
	runs     []app.ChangeRun
	list     *widget.List
	empty    *widget.Label
	selected string
	detail   *changeDetail

	// confirm is the confirmation dialog on screen, if any.
	confirm *confirmDialog

	root fyne.CanvasObject

	// running is true while an operation runs (UI goroutine only).
	running bool
	awsAccess
}

// paramLabels names the actions' parameters for people; a parameter the
// table does not know shows its own name.
var paramLabels = map[string]string{
	"bucket":           "Bucket",
	"userName":         "IAM user",
	"accessKeyId":      "Access key id",
	"roleName":         "Role",
	"statements":       "Statements",
	"responders":       "Responders",
	"accountId":        "Account id",
	"removePrincipals": "Remove principals",
	"policyDocument":   "New trust policy",
	"keys":             "Object keys",
	"prefix":           "Key prefix",
	"concurrency":      "Calls at once",
	"manifestBucket":   "Manifest bucket",
	"reportBucket":     "Report bucket",
	"roleArn":          "Batch role ARN",
}

// paramField is the entry of one parameter: a picker of what the incident
// already names where that helps, a multi-line entry for documents and
// lists of keys, a plain entry otherwise.
type paramField struct {
	entry *widget.Entry
	// pick is set when the field offers choices.
	pick *widget.SelectEntry
	obj  fyne.CanvasObject
}

// newParamField makes the field a parameter needs.
func newParamField(spec app.ParamSpec) *paramField {
	if spec.Name == "policyDocument" || spec.Name == "keys" || strings.Contains(spec.Help, "JSON") || strings.Contains(spec.Help, "newline") {
		e := widget.NewMultiLineEntry()
		e.SetMinRowsVisible(4)
		if strings.Contains(spec.Help, "JSON") || spec.Name == "policyDocument" {
			e.TextStyle = fyne.TextStyle{Monospace: true}
		}
		return &paramField{entry: e, obj: e}
	}
	if choicesFor(spec.Name) {
		se := widget.NewSelectEntry(nil)
		return &paramField{entry: &se.Entry, pick: se, obj: se}
	}
	e := widget.NewEntry()
	return &paramField{entry: e, obj: e}
}

func paramLabel(name string) string {
	if l, ok := paramLabels[name]; ok {
		return l
	}
	return name
}

func newChangesPane(ws *workspace) pane {
	p := &changesPane{ws: ws, params: map[string]*paramField{}, actionText: map[string]string{}}
	p.awsAccess = newAWSAccess(ws)

	p.action = widget.NewSelect(nil, func(string) { p.showParams() })
	p.action.PlaceHolder = "Choose what to change"
	p.about = lowLabel("")
	p.about.SizeName = theme.SizeNameCaptionText
	p.about.Hide()
	p.paramBox = container.NewVBox()
	p.planBtn = widget.NewButtonWithIcon("Plan", theme.SearchIcon(), p.onPlan)
	p.planBtn.Importance = widget.HighImportance
	p.watchBtn = widget.NewButtonWithIcon("Watch credentials…", theme.VisibilityIcon(), p.onWatch)

	drill := widget.NewLabelWithStyle(
		"EXERCISE: changes go only to a simulated account; S3 Responder refuses to send them to AWS.",
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	drill.Wrapping = fyne.TextWrapWord
	p.exercise = banner(theme.ColorNameWarning, drill)
	p.exercise.Hide()
	p.progress = widget.NewProgressBar()
	p.progress.Hide()
	p.busy = widget.NewProgressBarInfinite()
	p.busy.Stop()
	p.busy.Hide()
	p.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), p.onCancel)
	p.cancelBtn.Disable()
	p.progressRow = container.NewBorder(nil, nil, nil, p.cancelBtn, container.NewStack(p.progress, p.busy))
	p.progressRow.Hide()
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.status.Hide()

	p.list = widget.NewList(func() int { return len(p.runs) }, newChangeRow, p.updateRow)
	p.list.OnSelected = p.onRow
	p.empty = lowLabel("No change planned yet. Plan one above: nothing is sent until you confirm it.")
	p.detail = newChangeDetail(p)

	// The form and the journal share the left column; the change shown
	// takes the rest, with the status and progress of what runs next to
	// its buttons, where the person's eyes are after pressing one.
	p.profile.SetPlaceHolder("profile")
	p.region.SetPlaceHolder("region")
	// Labels above their fields: the column is narrow, and a policy
	// document needs the width.
	top := container.NewVBox(sectionLabel("New change"),
		fieldBox("Action", p.action), p.about, p.paramBox,
		fieldBox("AWS profile and region", container.NewGridWithColumns(2, p.profile, p.region)),
		container.NewHBox(p.watchBtn, layout.NewSpacer(), p.planBtn))
	journal := container.NewBorder(sectionLabel("Changes of this incident"), nil, nil, nil,
		container.NewStack(p.list, container.NewVBox(p.empty)))
	left := container.NewVSplit(container.NewVScroll(top), journal)
	left.Offset = 0.62
	split := container.NewHSplit(left, p.detail.root)
	split.Offset = 0.4
	p.root = container.NewBorder(p.exercise, nil, nil, nil, split)
	p.loadProfiles("changes-profiles")
	return p
}

func (p *changesPane) object() fyne.CanvasObject { return p.root }

// show offers the playbook's changes this build can make, the incident's
// buckets and principals as parameter choices, and reads the journal.
func (p *changesPane) show(c app.Case, pb *app.Playbook) {
	if pb != p.pb {
		p.pb = pb
		p.offerActions(pb)
	}
	for name, f := range p.params {
		if f.pick != nil {
			f.pick.SetOptions(paramChoices(c.Incident, name))
		}
	}
	showIf(p.exercise, c.Incident.Exercise)
	if c.Incident.Exercise && !app.IsSimulatedProfileName(p.profile.Text) {
		p.profile.SetText(app.SimulatedProfileName)
	}
	p.loadJournal()
}

// offerActions fills the picker with the mutating actions of the playbook
// that this build can carry out, in the playbook's order.
func (p *changesPane) offerActions(pb *app.Playbook) {
	impl := map[string]app.ChangeAction{}
	for _, a := range app.ChangeActions() {
		impl[a.ID] = a
	}
	p.offered = nil
	p.actionText = map[string]string{}
	var texts []string
	for _, def := range pb.Actions {
		a, ok := impl[def.ID]
		if !ok || !def.Mutating {
			continue
		}
		text := def.Title
		if text == "" || slices.Contains(texts, text) {
			text += " (" + def.ID + ")"
		}
		p.offered = append(p.offered, a)
		p.actionText[a.ID] = text
		texts = append(texts, text)
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

// plannable reports whether the playbook's action is one this pane can
// plan: mutating, and carried out by this build.
func plannable(pb *app.Playbook, id string) bool {
	def, ok := pb.Action(id)
	if !ok || !def.Mutating {
		return false
	}
	return slices.ContainsFunc(app.ChangeActions(), func(a app.ChangeAction) bool { return a.ID == id })
}

// paramChoices offers what the incident already names for a parameter.
func paramChoices(inc app.Incident, name string) []string {
	switch name {
	case "bucket", "manifestBucket", "reportBucket":
		return inc.Buckets
	case "userName", "roleName", "accessKeyId", "responders", "removePrincipals", "roleArn":
		return inc.Principals
	case "accountId":
		return inc.Accounts
	}
	return nil
}

// choicesFor reports whether paramChoices has anything to offer for name.
func choicesFor(name string) bool {
	return paramChoices(app.Incident{Buckets: []string{""}, Principals: []string{""}, Accounts: []string{""}}, name) != nil
}

// selectedAction is the action the picker shows.
func (p *changesPane) selectedAction() (app.ChangeAction, bool) {
	for _, a := range p.offered {
		if p.actionText[a.ID] == p.action.Selected {
			return a, true
		}
	}
	return app.ChangeAction{}, false
}

// showParams lays out the chosen action's parameters, each with its help.
func (p *changesPane) showParams() {
	p.paramBox.RemoveAll()
	a, ok := p.selectedAction()
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
}

// field returns the field of a parameter, made on first use. The same
// parameter name keeps one field for every action that takes it.
func (p *changesPane) field(spec app.ParamSpec) *paramField {
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

// fieldBox puts a label above a field.
func fieldBox(label string, field fyne.CanvasObject) fyne.CanvasObject {
	return container.New(&tightVBox{}, widget.NewLabel(label), field)
}

// param returns the entry of a parameter by name.
func (p *changesPane) param(name string) *widget.Entry {
	if a, ok := p.selectedAction(); ok {
		for _, spec := range a.Params {
			if spec.Name == name {
				return p.field(spec).entry
			}
		}
	}
	return p.field(app.ParamSpec{Name: name}).entry
}

// request reads the form. A missing required parameter is reported here,
// before anything runs.
func (p *changesPane) request() (app.ChangeRequest, string, error) {
	a, ok := p.selectedAction()
	if !ok {
		return app.ChangeRequest{}, "", errors.New("choose an action first")
	}
	req := app.ChangeRequest{Action: a.ID, Params: map[string]string{}}
	for _, spec := range a.Params {
		v := strings.TrimSpace(p.param(spec.Name).Text)
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

// openAction brings the pane forward with an action of the playbook
// chosen, as the Plan… buttons of a step do. Parameters already typed are
// kept; an empty bucket gets the incident's first.
func (p *changesPane) openAction(id string) {
	if text, ok := p.actionText[id]; ok {
		p.action.SetSelected(text)
	}
	if a, ok := p.selectedAction(); ok && a.ID == id {
		for _, spec := range a.Params {
			e := p.param(spec.Name)
			if choices := paramChoices(p.ws.c.Incident, spec.Name); e.Text == "" && spec.Name == "bucket" && len(choices) > 0 {
				e.SetText(choices[0])
			}
		}
		p.say(widget.MediumImportance, "Check the parameters and press Plan. Nothing is sent to AWS until you confirm the plan.")
	}
	for i, other := range p.ws.panes {
		if other == pane(p) && i < len(p.ws.tabs.Items) {
			p.ws.tabs.SelectIndex(i)
		}
	}
}

// loadJournal reads every change of the incident.
func (p *changesPane) loadJournal() {
	svc, id := p.ws.u.svc, p.ws.id
	p.ws.jobs.read("changes-journal", func(ctx context.Context) func() {
		runs, err := svc.ChangeJournal(ctx, id)
		return func() {
			if err != nil {
				p.failed("Could not read the change journal", err)
				return
			}
			p.showRuns(runs)
		}
	})
}

// showRuns lists the changes newest first and redraws the one selected
// (the newest when none is).
func (p *changesPane) showRuns(runs []app.ChangeRun) {
	runs = slices.Clone(runs)
	slices.Reverse(runs)
	p.runs = runs
	p.list.Refresh()
	showIf(p.empty, len(runs) == 0)
	i := slices.IndexFunc(runs, func(r app.ChangeRun) bool { return r.Plan.ID == p.selected })
	if i < 0 && len(runs) > 0 {
		i = 0
	}
	if i < 0 {
		p.selected = ""
		p.detail.show(nil)
		return
	}
	p.selected = runs[i].Plan.ID
	p.list.Select(i)
	p.detail.show(&p.runs[i])
}

// run returns the change of the journal with id.
func (p *changesPane) run(id string) (app.ChangeRun, bool) {
	for _, r := range p.runs {
		if r.Plan.ID == id {
			return r, true
		}
	}
	return app.ChangeRun{}, false
}

func (p *changesPane) onRow(i widget.ListItemID) {
	if i < 0 || i >= len(p.runs) {
		return
	}
	p.selected = p.runs[i].Plan.ID
	p.detail.show(&p.runs[i])
}

// changeRow is one line of the journal: the change's title in the colour
// of its state and its summary under it.
type changeRow struct {
	widget.BaseWidget
	title, sub *widget.Label
	box        *fyne.Container
}

// CreateRenderer draws the row's labels.
func (r *changeRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.box) }

func newChangeRow() fyne.CanvasObject {
	r := &changeRow{
		title: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		sub:   widget.NewLabel(""),
	}
	r.title.Truncation = fyne.TextTruncateEllipsis
	r.sub.Truncation = fyne.TextTruncateEllipsis
	r.sub.SizeName = theme.SizeNameCaptionText
	r.box = container.New(&tightVBox{}, r.title, r.sub)
	r.ExtendBaseWidget(r)
	return r
}

func (p *changesPane) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i < 0 || i >= len(p.runs) {
		return
	}
	r, row := p.runs[i], o.(*changeRow)
	row.title.Importance = runImportance(r)
	row.title.SetText(r.Plan.Title)
	row.sub.SetText(r.Plan.ID + "  ·  " + runState(r))
}

// runState says where a change stands, in words.
func runState(r app.ChangeRun) string {
	done, open := r.Counts()
	unit := "steps applied"
	if r.Plan.Bulk != nil {
		unit = "objects done"
	}
	var s string
	switch r.Status {
	case app.ChangePlanned:
		s = "planned, nothing sent"
	case app.ChangeIncomplete:
		s = fmt.Sprintf("INCOMPLETE: %d of %d %s", done, done+open, unit)
		doubt := 0
		for _, st := range r.Steps {
			if st.Outcome == app.OutcomeInDoubt {
				doubt++
			}
		}
		if r.Bulk != nil {
			doubt += r.Bulk.InDoubt
		}
		switch {
		case doubt == 1:
			s += ", one in doubt"
		case doubt > 1:
			s += fmt.Sprintf(", %d in doubt", doubt)
		}
	case app.ChangeDone:
		s = "applied"
		switch {
		case r.Verified:
			s += " and verified"
		case !r.VerifiedAt.IsZero():
			s += ", but it does NOT hold on re-reading"
		default:
			s += ", not verified yet"
		}
	default:
		s = string(r.Status)
	}
	if r.UndoneBy != "" {
		s += ", undone by " + r.UndoneBy
	}
	return s
}

// runImportance colours a change: red when it needs attention, green when
// it holds, quiet once undone.
func runImportance(r app.ChangeRun) widget.Importance {
	switch {
	case r.UndoneBy != "":
		return widget.LowImportance
	case r.Status == app.ChangeIncomplete, r.Status == app.ChangeDone && !r.VerifiedAt.IsZero() && !r.Verified:
		return widget.DangerImportance
	case r.Status == app.ChangeDone && r.Verified:
		return widget.SuccessImportance
	case r.Status == app.ChangeDone:
		return widget.WarningImportance
	}
	return widget.MediumImportance
}

// say sets the status line.
func (p *changesPane) say(imp widget.Importance, text string) {
	p.status.Importance = imp
	p.status.SetText(text)
	p.status.Show()
}

// failed explains why an operation failed. The form keeps what was typed.
func (p *changesPane) failed(what string, err error) {
	if !errors.Is(err, context.Canceled) {
		fyne.LogError(what, err)
	}
	p.say(widget.DangerImportance, explainChange(what, err))
}

// explainChange puts the errors of changes in words a responder can act
// on; the others go through explain like everywhere in the window.
func explainChange(what string, err error) string {
	after := func(sentinel error) string {
		msg := err.Error()
		if i := strings.LastIndex(msg, sentinel.Error()); i >= 0 {
			return strings.TrimLeft(msg[i+len(sentinel.Error()):], ": ")
		}
		return ""
	}
	switch {
	case errors.Is(err, context.Canceled):
		return what + ": cancelled. Nothing more was sent; the journal keeps every call already made, and Resume finishes a change that was under way."
	case errors.Is(err, app.ErrExercise):
		return what + ": this incident is an exercise and the connection reaches a real AWS account. An exercise may only change a simulated account, so nothing was sent."
	case errors.Is(err, app.ErrNoChange):
		return what + ": nothing to change, the account is already as this action would leave it."
	case errors.Is(err, app.ErrConflict):
		s := what + ": the account changed since the plan was made, so nothing was sent for that resource. Plan the change again to see the account as it is now."
		if rest := after(app.ErrConflict); rest != "" {
			s += " (" + rest + ")"
		}
		return s
	case errors.Is(err, app.ErrNotConfirmed):
		return what + ": not confirmed, nothing was sent. " + after(app.ErrNotConfirmed)
	}
	return explain(what, err).Error()
}

// setRunning enables what makes sense now.
func (p *changesPane) setRunning(running bool) {
	p.running = running
	if running {
		p.planBtn.Disable()
		p.cancelBtn.Enable()
		p.progressRow.Show()
	} else {
		p.planBtn.Enable()
		p.cancelBtn.Disable()
		p.progressRow.Hide()
		p.busy.Stop()
		p.busy.Hide()
		p.progress.Hide()
	}
	p.detail.showButtons()
}

// begin starts an operation on the UI goroutine: bar, buttons, status.
func (p *changesPane) begin(what string) bool {
	if p.running {
		return false
	}
	p.setRunning(true)
	p.say(widget.MediumImportance, what+"…")
	p.progress.SetValue(0)
	p.progress.Hide()
	p.busy.Show()
	p.busy.Start()
	return true
}

// track makes ctx the running operation's, so Cancel and the MFA dialog
// reach it; the returned func forgets it.
func (p *changesPane) track(ctx context.Context, cancel context.CancelFunc) func() {
	p.mu.Lock()
	p.cancel, p.opCtx = cancel, ctx
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		p.cancel, p.opCtx = nil, nil
		p.mu.Unlock()
	}
}

// plan runs a planning call (a plan or the plan of an undo) as a keyed
// read of the workspace: leaving the incident cancels it, and a plan sends
// nothing, so nothing is lost.
func (p *changesPane) plan(what string, work func(ctx context.Context) func()) {
	if !p.begin(what) {
		return
	}
	p.ws.jobs.read("changes", func(ctx context.Context) func() {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer p.track(ctx, cancel)()
		apply := work(ctx)
		return func() {
			p.setRunning(false)
			apply()
		}
	})
}

// onCancel stops the running operation. A call already sent is not taken
// back: the journal records its answer, and Resume finds out what it did.
func (p *changesPane) onCancel() {
	p.mu.Lock()
	cancel := p.cancel
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		p.say(widget.WarningImportance, "Cancelling: no further call will be sent…")
	}
}

// onPlan works out the change the form describes, without sending it.
func (p *changesPane) onPlan() {
	req, title, err := p.request()
	if err != nil {
		p.say(widget.WarningImportance, "Cannot plan yet: "+err.Error()+".")
		return
	}
	prof := p.appProfile()
	svc, id := p.ws.u.svc, p.ws.id
	p.plan("Planning “"+title+"” with "+prof.String()+": reading the account", func(ctx context.Context) func() {
		plan, err := svc.PlanChange(ctx, id, prof, req)
		return func() {
			if err != nil {
				p.failed("Could not plan “"+title+"”", err)
				return
			}
			// The change shown says the rest: planned, nothing sent,
			// how to confirm it.
			p.selected = plan.ID
			p.status.Hide()
			p.ws.load()
		}
	})
}

// onReplan fills the form from a plan and plans it again: a plan that
// expired, or one the account no longer matches.
func (p *changesPane) onReplan(plan app.Plan) {
	if text, ok := p.actionText[plan.Action]; ok {
		p.action.SetSelected(text)
	}
	if a, ok := p.selectedAction(); ok {
		for _, spec := range a.Params {
			p.param(spec.Name).SetText(plan.Params[spec.Name])
		}
	}
	if plan.Region != "" && strings.TrimSpace(p.region.Text) == "" {
		p.region.SetText(plan.Region)
	}
	p.onPlan()
}

// onUndo plans the undo of a change and shows it; applying it takes the
// same confirmation as the change.
func (p *changesPane) onUndo(run app.ChangeRun) {
	prof := p.appProfile()
	svc, id, changeID := p.ws.u.svc, p.ws.id, run.Plan.ID
	p.plan("Planning the undo of "+changeID+": reading the account", func(ctx context.Context) func() {
		plan, err := svc.PlanUndo(ctx, id, prof, changeID)
		return func() {
			if err != nil {
				p.failed("Could not plan the undo of "+changeID, err)
				return
			}
			p.selected = plan.ID
			p.say(widget.MediumImportance, fmt.Sprintf("Undo planned as %s. Nothing was sent. Read what it restores, then press Apply undo… to confirm it.", plan.ID))
			p.ws.load()
		}
	})
}

// change runs a call that changes the account: apply or resume. It is a
// write of the workspace, not a read, so leaving the incident does not
// cut it off between two calls; Cancel does, before the next call. While
// it runs the journal is re-read a few times a second, so the bar and
// each step's outcome follow the calls as the service records them.
//
// A bulk change (one call per object, thousands of them) tells its
// progress after each batch instead: its journal is too long to re-read
// that often.
func (p *changesPane) change(what string, ids []string, bulk bool, work func(ctx context.Context, progress app.ChangeProgress) func()) {
	if !p.begin(what) {
		return
	}
	// The steps are at the end of the change shown: keep them in view,
	// since they are what moves now.
	p.detail.follow = true
	p.detail.scroll.ScrollToBottom()
	u := p.ws.u
	p.ws.jobs.write(func(ctx context.Context) func() {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		forget := p.track(ctx, cancel)
		progress := func(bp app.BulkProgress) { u.do(func() { p.showBulkProgress(bp) }) }
		stop, polled := make(chan struct{}), make(chan struct{})
		if bulk {
			close(polled)
		} else {
			go p.poll(stop, polled, ids)
		}
		apply := work(ctx, progress)
		close(stop)
		<-polled
		forget()
		return func() {
			p.setRunning(false)
			apply()
		}
	})
}

// poll re-reads the journal a few times a second until stop is closed,
// and shows what it says about the changes ids. It reads on when the
// change is cancelled (the journal still records the calls in flight),
// not when the window closes.
func (p *changesPane) poll(stop <-chan struct{}, polled chan<- struct{}, ids []string) {
	defer close(polled)
	u, svc, incident := p.ws.u, p.ws.u.svc, p.ws.id
	t := time.NewTicker(150 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		runs, err := svc.ChangeJournal(u.ctx, incident)
		if err != nil {
			continue
		}
		u.do(func() { p.showProgress(ids, runs) })
	}
}

// showBulkProgress moves the bar as a bulk change's batches go through.
func (p *changesPane) showBulkProgress(bp app.BulkProgress) {
	if !p.running {
		return
	}
	if bp.Total > 0 {
		p.busy.Stop()
		p.busy.Hide()
		p.progress.Max = float64(max(bp.Total, bp.Done))
		p.progress.SetValue(float64(bp.Done))
		p.progress.Show()
	}
	p.say(widget.MediumImportance, fmt.Sprintf("Change %s: %d of %d objects done after batch %d (%d applied, %d already so, %d gone, %d failed, %d conflicting)…",
		bp.Change, bp.Done, bp.Total, bp.Batch, bp.Applied, bp.Already, bp.Gone, bp.Failed, bp.Conflict))
}

// showProgress moves the bar to the steps the journal says are applied
// and redraws the journal, while a change runs.
func (p *changesPane) showProgress(ids []string, runs []app.ChangeRun) {
	if !p.running {
		return
	}
	done, total := 0, 0
	for _, r := range runs {
		if slices.Contains(ids, r.Plan.ID) {
			d, _ := r.Counts()
			done += d
			total += len(r.Steps)
		}
	}
	if total > 0 {
		p.busy.Stop()
		p.busy.Hide()
		p.progress.Max = float64(total)
		p.progress.SetValue(float64(done))
		p.progress.Show()
	}
	p.showRuns(runs)
}

// onApply asks for the plan's confirmation and, only once it is given,
// applies the plan.
func (p *changesPane) onApply(plan app.Plan) {
	p.askConfirm(plan, func(word string) { p.apply(plan, word) })
}

// apply sends a confirmed plan.
func (p *changesPane) apply(plan app.Plan, word string) {
	prof := p.appProfile()
	svc, id := p.ws.u.svc, p.ws.id
	p.selected = plan.ID
	p.change("Applying "+plan.ID+" with "+prof.String(), []string{plan.ID}, plan.Bulk != nil, func(ctx context.Context, progress app.ChangeProgress) func() {
		run, err := svc.ApplyChangeWithProgress(ctx, id, prof, plan.ID, word, progress)
		return func() {
			p.finished("Change "+plan.ID, []app.ChangeRun{run}, err)
			p.ws.load()
		}
	})
}

// onResume shows what resuming would do, asks, and resumes.
func (p *changesPane) onResume() {
	open := openRuns(p.runs)
	if len(open) == 0 {
		p.say(widget.SuccessImportance, "Nothing to resume: every confirmed change is finished.")
		return
	}
	p.askResume(open, func() {
		prof := p.appProfile()
		svc, id := p.ws.u.svc, p.ws.id
		var ids []string
		bulk := false
		for _, r := range open {
			ids = append(ids, r.Plan.ID)
			bulk = bulk || r.Plan.Bulk != nil
		}
		p.change("Resuming "+strings.Join(ids, ", ")+" with "+prof.String(), ids, bulk, func(ctx context.Context, progress app.ChangeProgress) func() {
			done, err := svc.ResumeChangesWithProgress(ctx, id, prof, progress)
			return func() {
				p.finished("Resuming", done, err)
				p.ws.load()
			}
		})
	})
}

// openRuns are the changes resume would work on, oldest first.
func openRuns(runs []app.ChangeRun) []app.ChangeRun {
	var out []app.ChangeRun
	for _, r := range runs {
		if r.Resumable() {
			out = append(out, r)
		}
	}
	slices.Reverse(out) // p.runs is newest first
	return out
}

// finished says how changes ended: verified, not holding, or stopped (and
// then how to finish them).
func (p *changesPane) finished(what string, runs []app.ChangeRun, err error) {
	if err != nil {
		msg := explainChange(what+" did not finish", err)
		// The service names the change again ("change CHG-…: step 1: …");
		// what says it already.
		for _, r := range runs {
			msg = strings.Replace(msg, ": change "+r.Plan.ID+" ", ": ", 1)
		}
		msg = strings.TrimRight(msg, ".") + "."
		if slices.ContainsFunc(runs, func(r app.ChangeRun) bool { return r.Status == app.ChangeIncomplete }) {
			msg += " Its steps say what was sent; Resume… finishes it."
		}
		if !errors.Is(err, context.Canceled) {
			fyne.LogError(what, err)
		}
		p.say(widget.DangerImportance, msg)
		return
	}
	if len(runs) == 0 {
		p.say(widget.SuccessImportance, "Nothing to resume.")
		return
	}
	var parts []string
	for _, r := range runs {
		parts = append(parts, fmt.Sprintf("Change %s %s.", r.Plan.ID, runState(r)))
	}
	p.say(widget.SuccessImportance, strings.Join(parts, " ")+" Each call is on the timeline with its AWS CLI equivalent.")
}

// planButton is the Plan… button of a step's action: it opens the action
// in the Changes pane.
func (ws *workspace) planButton(actionID string) *widget.Button {
	return widget.NewButtonWithIcon("Plan…", theme.SearchIcon(), func() {
		for _, p := range ws.panes {
			if cp, ok := p.(*changesPane); ok {
				cp.openAction(actionID)
				return
			}
		}
	})
}
