package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// awsPane is Part 1's investigation against the live account: who am I,
// is this bucket (or any bucket) public or shared, what is its whole
// configuration, and who changed its access. Every answer is saved as
// evidence by the service as soon as it arrives; the pane shows the
// verdicts and says what was saved.
type awsPane struct {
	ws *workspace

	profile *widget.SelectEntry
	// profiles and buckets are the pickers' options (SelectEntry does not
	// say what it offers).
	profiles, buckets []string
	region            *widget.Entry
	connect           *widget.Button
	who               *widget.Label

	bucket   *widget.SelectEntry
	exposure *widget.Button
	scan     *widget.Button
	snapshot *widget.Button

	since   *widget.Entry
	until   *widget.Entry
	regions *widget.Entry
	changes *widget.Button
	// more are the further reads (aws_more.go).
	more *awsMore

	progress  *widget.ProgressBar
	busy      *widget.ProgressBarInfinite
	cancelBtn *widget.Button
	// progressRow holds the bars and Cancel; shown while something runs.
	progressRow *fyne.Container
	status      *widget.Label
	exercise    fyne.CanvasObject
	disagree    *widget.Label
	disBanner   fyne.CanvasObject

	rows   []awsRow
	list   *widget.List
	empty  *widget.Label
	detail *widget.Label
	root   fyne.CanvasObject

	// running is true while an operation runs (UI goroutine only).
	running bool
	// mfa is the MFA dialog on screen, if any (UI goroutine only).
	mfa *mfaDialog

	mu     sync.Mutex
	cancel context.CancelFunc // of the running operation
	opCtx  context.Context    // of the running operation, for the MFA dialog
	// cancelAsked is a Cancel pressed before the operation's goroutine
	// started: it cancels as soon as it does.
	cancelAsked bool
}

// awsRow is one line of the results: a bucket's verdict, a change, or a
// snapshot, with the full text shown when it is selected.
type awsRow struct {
	title, sub string
	imp        widget.Importance
	detail     string
}

func newAWSPane(ws *workspace) pane {
	p := &awsPane{ws: ws}
	p.profile = widget.NewSelectEntry(nil)
	p.profile.SetPlaceHolder("default (or $AWS_PROFILE)")
	p.region = widget.NewEntry()
	p.region.SetPlaceHolder("the profile's region")
	p.connect = widget.NewButtonWithIcon("Check connection", theme.LoginIcon(), p.onConnect)
	p.who = widget.NewLabel("Not connected yet. The app uses your AWS configuration: profiles, SSO (run `aws sso login` first), roles with MFA, environment keys.")
	p.who.Wrapping = fyne.TextWrapWord

	p.bucket = widget.NewSelectEntry(nil)
	p.bucket.SetPlaceHolder("bucket name")
	p.exposure = widget.NewButtonWithIcon("Check exposure", theme.SearchIcon(), p.onExposure)
	p.exposure.Importance = widget.HighImportance
	p.scan = widget.NewButtonWithIcon("Scan account", theme.ViewRefreshIcon(), p.onScan)
	p.snapshot = widget.NewButtonWithIcon("Snapshot configuration", theme.DocumentSaveIcon(), p.onSnapshot)

	p.since = widget.NewEntry()
	p.since.SetPlaceHolder("90 days ago")
	p.until = widget.NewEntry()
	p.until.SetPlaceHolder("now")
	p.regions = widget.NewEntry()
	p.regions.SetPlaceHolder("usual regions")
	p.changes = widget.NewButtonWithIcon("Look up access changes", theme.HistoryIcon(), p.onChanges)
	p.more = newAWSMore(p)

	p.progress = widget.NewProgressBar()
	p.progress.Hide()
	p.busy = widget.NewProgressBarInfinite()
	p.busy.Stop()
	p.busy.Hide()
	p.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), p.onCancel)
	p.cancelBtn.Disable()
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.status.Hide()

	p.exercise = banner(theme.ColorNameWarning, widget.NewLabelWithStyle(
		"This incident is an exercise: this pane works on the simulated account (profile \"tabletop\", or \"tabletop:FILE\" for a scenario of your own) and never calls AWS.",
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	p.exercise.Hide()
	p.disagree = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.disagree.Wrapping = fyne.TextWrapWord
	p.disBanner = banner(theme.ColorNameError, p.disagree)
	p.disBanner.Hide()

	p.list = widget.NewList(func() int { return len(p.rows) }, p.createRow, p.updateRow)
	p.list.OnSelected = p.onRow
	p.empty = lowLabel("Results appear here. Everything AWS answers is saved with the incident as evidence, with its SHA-256, where it came from and who collected it.")
	p.detail = widget.NewLabel("")
	p.detail.Wrapping = fyne.TextWrapWord
	p.detail.Selectable = true

	// Compact rows: the results below need the height.
	label := func(s string) fyne.CanvasObject { return widget.NewLabel(s) }
	account := container.NewBorder(nil, nil, nil, p.connect, container.NewGridWithColumns(2,
		container.NewBorder(nil, nil, label("Profile"), nil, p.profile),
		container.NewBorder(nil, nil, label("Region"), nil, p.region)))
	buckets := container.NewBorder(nil, nil, label("Bucket"), container.NewHBox(p.exposure, p.scan, p.snapshot), p.bucket)
	window := container.NewBorder(nil, nil, label("Access changes since"), p.changes, container.NewGridWithColumns(3,
		p.since,
		container.NewBorder(nil, nil, label("until"), nil, p.until),
		container.NewBorder(nil, nil, label("in"), nil, p.regions)))
	p.progressRow = container.NewBorder(nil, nil, nil, p.cancelBtn, container.NewStack(p.progress, p.busy))
	p.progressRow.Hide()
	top := container.NewVBox(p.exercise, account, p.who, widget.NewSeparator(), buckets, window, p.more.row(), p.progressRow, p.status, p.disBanner)
	results := container.NewHSplit(container.NewStack(p.list, container.NewVBox(p.empty)),
		container.NewVScroll(container.NewPadded(p.detail)))
	results.Offset = 0.45
	// The form scrolls sideways in a narrow window rather than widening the
	// whole workspace past the screen (its rows of buttons are long).
	p.root = container.NewBorder(container.NewHScroll(top), nil, nil, nil, results)
	p.loadProfiles()
	return p
}

func (p *awsPane) object() fyne.CanvasObject { return p.root }

// show offers the incident's buckets; an exercise gets the simulated account.
func (p *awsPane) show(c app.Case, _ *app.Playbook) {
	p.buckets = c.Incident.Buckets
	p.bucket.SetOptions(p.buckets)
	if p.bucket.Text == "" && len(c.Incident.Buckets) > 0 {
		p.bucket.SetText(c.Incident.Buckets[0])
	}
	showIf(p.exercise, c.Incident.Exercise)
	if c.Incident.Exercise && !app.IsSimulatedProfileName(p.profile.Text) {
		p.profile.SetText(app.SimulatedProfileName)
	}
	p.setRunning(p.running)
}

// loadProfiles fills the profile picker from the AWS config files, off
// the UI goroutine (a home directory may be on a slow network share).
func (p *awsPane) loadProfiles() {
	p.ws.jobs.read("aws-profiles", func(context.Context) func() {
		names := awsProfileNames(os.Getenv)
		return func() {
			p.profiles = names
			p.profile.SetOptions(names)
		}
	})
}

// appProfile is the profile the entries choose, with the MFA dialog.
func (p *awsPane) appProfile() app.Profile {
	return app.Profile{
		Name:     strings.TrimSpace(p.profile.Text),
		Region:   strings.TrimSpace(p.region.Text),
		Exercise: p.ws.loaded && p.ws.c.Incident.Exercise,
		MFA: func(profile, serial string) (string, error) {
			return p.askMFA(p.currentCtx(), profile, serial)
		},
	}
}

// currentCtx is the running operation's context: cancelling it also
// closes an MFA dialog that operation opened.
func (p *awsPane) currentCtx() context.Context {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.opCtx != nil {
		return p.opCtx
	}
	return p.ws.u.ctx
}

// setRunning enables the buttons that make sense now.
func (p *awsPane) setRunning(running bool) {
	p.running = running
	for _, b := range append([]*widget.Button{p.exposure, p.scan, p.snapshot, p.changes}, p.more.buttons()...) {
		if running {
			b.Disable()
		} else {
			b.Enable()
		}
	}
	if running {
		p.connect.Disable()
		p.cancelBtn.Enable()
		p.progressRow.Show()
	} else {
		p.connect.Enable()
		p.cancelBtn.Disable()
		p.progressRow.Hide()
	}
}

// say sets the status line.
func (p *awsPane) say(imp widget.Importance, text string) {
	p.status.Importance = imp
	p.status.SetText(text)
	p.status.Show()
}

// run starts an operation: progress shown, buttons off, Cancel on. work
// runs off the UI goroutine and returns what to show; reporting progress
// (done of total) switches the bar from "busy" to a measured one. The
// work is a keyed read of the workspace: leaving the incident cancels it,
// and the service still keeps whatever AWS had already answered.
func (p *awsPane) run(what string, work func(ctx context.Context, progress app.Progress) func()) {
	if p.running {
		return
	}
	p.setRunning(true)
	p.say(widget.MediumImportance, what+"…")
	p.progress.SetValue(0)
	p.progress.Hide()
	p.busy.Show()
	p.busy.Start()
	p.mu.Lock()
	p.cancelAsked = false
	p.mu.Unlock()
	u := p.ws.u
	p.ws.jobs.read("aws", func(ctx context.Context) func() {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		p.mu.Lock()
		p.cancel, p.opCtx = cancel, ctx
		if p.cancelAsked {
			cancel()
		}
		p.mu.Unlock()
		progress := func(done, total int) {
			u.do(func() {
				if !p.running || total <= 0 {
					return
				}
				p.busy.Stop()
				p.busy.Hide()
				p.progress.Max = float64(total)
				p.progress.SetValue(float64(done))
				p.progress.Show()
			})
		}
		apply := work(ctx, progress)
		p.mu.Lock()
		p.cancel, p.opCtx = nil, nil
		p.mu.Unlock()
		return func() {
			p.busy.Stop()
			p.busy.Hide()
			p.progress.Hide()
			p.setRunning(false)
			apply()
		}
	})
}

func (p *awsPane) onCancel() {
	if !p.running {
		return
	}
	p.mu.Lock()
	cancel := p.cancel
	p.cancelAsked = cancel == nil
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	p.say(widget.WarningImportance, "Cancelling…")
}

// failed shows why an operation failed, in the pane: the entries keep
// what was typed, so the person fixes one thing and tries again.
func (p *awsPane) failed(what string, err error) {
	if errors.Is(err, context.Canceled) {
		p.say(widget.WarningImportance, what+": cancelled. Nothing more was asked of AWS.")
		return
	}
	fyne.LogError(what, err)
	p.say(widget.DangerImportance, explain(what, err).Error())
}

// savedText says what a collection kept.
func savedText(s app.Saved) string {
	ids := make([]string, 0, len(s.Evidence))
	for _, ev := range s.Evidence {
		ids = append(ids, ev.ID)
	}
	text := fmt.Sprintf("Saved %s as evidence", plural(len(s.Evidence), "item"))
	if s.By.ARN != "" {
		text += ", collected by " + s.By.ARN
	}
	if len(ids) > 0 && len(ids) <= 3 {
		text += " (" + strings.Join(ids, ", ") + ")"
	}
	return text + "."
}

// refreshCase reloads the incident so the Evidence pane and the timeline
// show what was just saved.
func (p *awsPane) refreshCase() { p.ws.load() }

// onConnect connects afresh, says who the profile is, and tries the reads
// the investigation makes (with the chosen bucket's), listing the ones
// refused and what will be missed without them.
func (p *awsPane) onConnect() {
	prof := p.appProfile()
	bucket := strings.TrimSpace(p.bucket.Text)
	svc, id := p.ws.u.svc, p.ws.id
	p.run("Connecting with "+prof.String(), func(ctx context.Context, _ app.Progress) func() {
		who, err := svc.CheckConnection(ctx, id, prof)
		var checks []app.PermissionCheck
		var perr error
		if err == nil {
			checks, perr = svc.CheckPermissions(ctx, id, prof, bucket)
		}
		return func() {
			if err != nil {
				p.who.SetText("Not connected.")
				p.failed("Could not connect", err)
				return
			}
			p.who.SetText(fmt.Sprintf("Connected to account %s as %s.", who.Account, who.ARN))
			if perr != nil {
				p.failed("Connected, but could not check the permissions", perr)
				return
			}
			p.showChecks(checks)
		}
	})
}

// showChecks lists the permission checks, refused ones first.
func (p *awsPane) showChecks(checks []app.PermissionCheck) {
	var rows, ok []awsRow
	for _, c := range checks {
		if c.OK {
			ok = append(ok, awsRow{title: "ok  ·  " + c.Permission, sub: c.Purpose, imp: widget.SuccessImportance,
				detail: c.Permission + " works: S3 Responder can " + c.Purpose + "."})
			continue
		}
		rows = append(rows, awsRow{title: "missing  ·  " + c.Permission, sub: c.Problem, imp: widget.WarningImportance,
			detail: c.Permission + "\n\n" + c.Problem + "\n\nAsk for it to be granted (or use a profile that has it); the rest of the investigation still works."})
	}
	missing := len(rows)
	p.setRows(append(rows, ok...))
	p.disBanner.Hide()
	if missing == 0 {
		p.say(widget.SuccessImportance, fmt.Sprintf("Connected. All %d reads the investigation makes work.", len(checks)))
		return
	}
	p.say(widget.WarningImportance, fmt.Sprintf("Connected, but %d of %d reads are refused: see the list. What they would show will be missing.", missing, len(checks)))
}

func (p *awsPane) onExposure() {
	bucket := strings.TrimSpace(p.bucket.Text)
	if bucket == "" {
		p.say(widget.WarningImportance, "Choose or type a bucket first.")
		return
	}
	prof := p.appProfile()
	svc, id := p.ws.u.svc, p.ws.id
	p.run("Checking bucket "+bucket, func(ctx context.Context, _ app.Progress) func() {
		rep, saved, err := svc.CollectBucketExposure(ctx, id, prof, bucket)
		return func() {
			if err != nil {
				p.failed("Could not check bucket "+bucket, err)
				return
			}
			p.showReports([]app.BucketReport{rep})
			p.say(verdictImportance(rep), fmt.Sprintf("Bucket %s: %s. %s", bucket, rep.Verdict, savedText(saved)))
			p.refreshCase()
		}
	})
}

func (p *awsPane) onScan() {
	prof := p.appProfile()
	svc, id := p.ws.u.svc, p.ws.id
	p.run("Scanning every bucket of the account", func(ctx context.Context, progress app.Progress) func() {
		reps, saved, err := svc.CollectAccountExposure(ctx, id, prof, progress)
		return func() {
			if len(reps) > 0 {
				p.showReports(reps)
			}
			public := 0
			for _, r := range reps {
				if r.Public {
					public++
				}
			}
			summary := fmt.Sprintf("%s checked, %d public. %s", plural(len(reps), "bucket"), public, savedText(saved))
			if err != nil {
				if len(saved.Evidence) > 0 {
					p.failed("The scan stopped after "+summary, err)
				} else {
					p.failed("Could not scan the account", err)
				}
				p.refreshCase()
				return
			}
			imp := widget.SuccessImportance
			if public > 0 {
				imp = widget.DangerImportance
			}
			p.say(imp, summary)
			p.refreshCase()
		}
	})
}

func (p *awsPane) onSnapshot() {
	bucket := strings.TrimSpace(p.bucket.Text)
	if bucket == "" {
		p.say(widget.WarningImportance, "Choose or type a bucket first.")
		return
	}
	prof := p.appProfile()
	svc, id := p.ws.u.svc, p.ws.id
	p.run("Saving the configuration of bucket "+bucket, func(ctx context.Context, _ app.Progress) func() {
		saved, err := svc.SnapshotBucket(ctx, id, prof, bucket)
		return func() {
			if err != nil {
				p.failed("Could not snapshot bucket "+bucket, err)
				return
			}
			var lines []string
			failed := 0
			for _, ev := range saved.Evidence {
				lines = append(lines, fmt.Sprintf("%s  %s\n    sha256 %s", ev.ID, ev.Title, ev.SHA256))
				if strings.HasSuffix(ev.Title, "(failed)") || strings.HasSuffix(ev.Title, "(not-supported)") {
					failed++
				}
			}
			row := awsRow{title: "Snapshot of bucket " + bucket, imp: widget.SuccessImportance,
				sub: plural(len(saved.Evidence), "setting") + " saved", detail: strings.Join(lines, "\n")}
			if failed > 0 {
				row.imp, row.sub = widget.WarningImportance, fmt.Sprintf("%s; %d could not be read", row.sub, failed)
			}
			p.setRows([]awsRow{row})
			p.disBanner.Hide()
			p.say(row.imp, fmt.Sprintf("Configuration of bucket %s: %s.", bucket, savedText(saved)))
			p.refreshCase()
		}
	})
}

// parseSince reads the window's start: a date (its first minute) or a time
// as parseWhen takes it, in the incident's zone.
func parseSince(s string, loc *time.Location) (time.Time, error) {
	if d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), loc); err == nil {
		return d, nil
	}
	return parseWhen(s, loc)
}

// changeQuery reads the window and regions from the entries.
func (p *awsPane) changeQuery() (app.ChangeQuery, error) {
	loc := p.ws.c.Incident.Location()
	q := app.ChangeQuery{Bucket: strings.TrimSpace(p.bucket.Text)}
	var err error
	if s := strings.TrimSpace(p.since.Text); s != "" {
		if q.Since, err = parseSince(s, loc); err != nil {
			return q, errors.New("since: " + explain("", err).msg)
		}
	}
	if s := strings.TrimSpace(p.until.Text); s != "" {
		if q.Until, err = parseDue(s, loc); err != nil {
			return q, errors.New("until: " + explain("", err).msg)
		}
	}
	q.Regions = strings.FieldsFunc(p.regions.Text, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
	return q, nil
}

func (p *awsPane) onChanges() {
	q, err := p.changeQuery()
	if err != nil {
		p.say(widget.WarningImportance, "Check the window: "+err.Error())
		return
	}
	prof := p.appProfile()
	svc, id := p.ws.u.svc, p.ws.id
	loc := p.ws.c.Incident.Location()
	what := "Looking up access changes"
	if q.Bucket != "" {
		what += " of bucket " + q.Bucket
	}
	p.run(what, func(ctx context.Context, progress app.Progress) func() {
		rep, saved, err := svc.CollectAccessChanges(ctx, id, prof, q, progress)
		return func() {
			if err != nil {
				p.failed("Could not look up access changes", err)
				return
			}
			rows := make([]awsRow, 0, len(rep.Changes))
			for _, c := range rep.Changes {
				imp := widget.WarningImportance
				if c.ErrorCode != "" {
					imp = widget.LowImportance
				}
				detail := []string{c.Summary, "", "Event " + c.Name + " (" + c.ID + ")", "When: " + formatWhenZone(c.Time, loc) + " (" + c.Time.UTC().Format(time.RFC3339) + ")"}
				for _, kv := range [][2]string{{"Region", c.Region}, {"Who", c.Actor}, {"Access key", c.AccessKeyID}, {"From", c.SourceIP}, {"Bucket", c.Bucket}, {"Role", c.Role}, {"Error", c.ErrorCode}} {
					if kv[1] != "" {
						detail = append(detail, kv[0]+": "+kv[1])
					}
				}
				rows = append(rows, awsRow{title: formatWhenZone(c.Time, loc) + "  " + c.Name, sub: c.Summary, imp: imp, detail: strings.Join(detail, "\n")})
			}
			p.setRows(rows)
			p.disBanner.Hide()
			text := fmt.Sprintf("%s between %s and %s in %s, each on the timeline at its own time. %s",
				plural(len(rep.Changes), "change"), formatWhenZone(rep.Since, loc), formatWhenZone(rep.Until, loc), strings.Join(rep.Regions, ", "), savedText(saved))
			if rep.Note != "" {
				text += " " + rep.Note
			}
			p.say(widget.SuccessImportance, text)
			p.refreshCase()
		}
	})
}

// verdictImportance colours a verdict: red when public, amber when it is
// shared, could become public or the two verdicts disagree.
func verdictImportance(r app.BucketReport) widget.Importance {
	switch {
	case r.Public:
		return widget.DangerImportance
	case r.Shared, r.Disagreement != "", len(r.Problems) > 0, r.Verdict == "Objects can be public":
		return widget.WarningImportance
	}
	return widget.SuccessImportance
}

// showReports lists verdicts, the ones needing attention first, and puts
// any disagreement between S3 and the evaluator in a red banner.
func (p *awsPane) showReports(reps []app.BucketReport) {
	reps = slices.Clone(reps)
	rank := func(r app.BucketReport) int {
		switch verdictImportance(r) {
		case widget.DangerImportance:
			return 0
		case widget.WarningImportance:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(reps, func(a, b app.BucketReport) int { return rank(a) - rank(b) })
	rows := make([]awsRow, 0, len(reps))
	var disagreements []string
	for _, r := range reps {
		where := r.Bucket
		if r.Region != "" {
			where += " (" + r.Region + ")"
		}
		sub := ""
		if len(r.Reasons) > 0 {
			sub = r.Reasons[0]
		}
		var detail []string
		detail = append(detail, where+": "+r.Verdict)
		if r.Shared {
			detail = append(detail, "Shared with: "+strings.Join(r.SharedWith, ", "))
		}
		if r.Disagreement != "" {
			detail = append(detail, "", "DISAGREEMENT: "+r.Disagreement)
			disagreements = append(disagreements, r.Bucket+": "+r.Disagreement)
		}
		detail = append(detail, "", "Why:")
		for _, reason := range r.Reasons {
			if reason != r.Disagreement { // said above already
				detail = append(detail, "• "+reason)
			}
		}
		if len(r.Problems) > 0 {
			detail = append(detail, "", "Could not read:")
			for _, pr := range r.Problems {
				detail = append(detail, "• "+pr)
			}
		}
		title := r.Verdict + "  ·  " + where
		if r.Shared {
			title += "  ·  shared"
		}
		rows = append(rows, awsRow{title: title, sub: sub, imp: verdictImportance(r), detail: strings.Join(detail, "\n")})
	}
	p.setRows(rows)
	if len(disagreements) > 0 {
		p.disagree.SetText("S3 and S3 Responder judge these buckets differently; check the policy statement by statement:\n" + strings.Join(disagreements, "\n"))
		p.disBanner.Show()
	} else {
		p.disBanner.Hide()
	}
}

func (p *awsPane) setRows(rows []awsRow) {
	p.rows = rows
	p.list.UnselectAll()
	p.list.Refresh()
	showIf(p.empty, len(rows) == 0)
	if len(rows) > 0 {
		p.list.Select(0)
	} else {
		p.detail.SetText("")
	}
}

// awsRowBox is one list row: the title in the verdict's colour and the
// first reason under it.
type awsRowBox struct {
	widget.BaseWidget
	title, sub *widget.Label
	box        *fyne.Container
}

// CreateRenderer draws the row's labels.
func (b *awsRowBox) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(b.box) }

func (p *awsPane) createRow() fyne.CanvasObject {
	b := &awsRowBox{
		title: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		sub:   widget.NewLabel(""),
	}
	b.title.Truncation = fyne.TextTruncateEllipsis
	b.sub.Truncation = fyne.TextTruncateEllipsis
	b.sub.SizeName = theme.SizeNameCaptionText
	b.box = container.New(&tightVBox{}, b.title, b.sub)
	b.ExtendBaseWidget(b)
	return b
}

func (p *awsPane) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i < 0 || i >= len(p.rows) {
		return
	}
	r, b := p.rows[i], o.(*awsRowBox)
	b.title.Importance = r.imp
	b.title.SetText(r.title)
	b.sub.SetText(r.sub)
}

func (p *awsPane) onRow(i widget.ListItemID) {
	if i >= 0 && i < len(p.rows) {
		p.detail.SetText(p.rows[i].detail)
	}
}
