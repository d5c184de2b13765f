package ui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
	"s3responder/trail"
)

// The offline CloudTrail pane reads log files the responder has on disk
// (copied from the log bucket, or handed over on a drive), because S3 data
// events never show in LookupEvents. It imports trail directly, as the CLI
// does: the analysis is local computation with its own result types, and
// only "Add to incident" goes through app.

// trailPane is the workspace tab for offline CloudTrail analysis: choose
// files or folders, set filters, run the analysis off the UI goroutine with
// progress, browse the answers as sortable tables and a chart, and add them
// to the incident as evidence and timeline entries.
type trailPane struct {
	ws    *workspace
	paths []string

	pathsLabel *widget.Label
	pathEntry  *widget.Entry

	bucket, keyPrefix, accessKey, principal *widget.Entry
	sourceIP, event, errorCode, since       *widget.Entry
	until                                   *widget.Entry
	mode                                    *widget.Select

	runBtn, cancelBtn, addBtn *widget.Button
	progress                  *widget.ProgressBar
	status                    *widget.Label
	summary                   *widget.Label
	chart                     *histChart
	tabs                      *container.AppTabs

	principals *sortTable[trail.Principal]
	objects    *sortTable[trail.ObjectRead]
	changes    *sortTable[trail.ConfigChange]
	denied     *sortTable[trail.DeniedGroup]
	problems   *sortTable[trail.FileError]

	root fyne.CanvasObject

	// res and filter are the last result and the filter that produced it;
	// UI goroutine only.
	res    *trail.Result
	filter trail.Filter

	// The "Download from S3…" row copies a prefix of the log bucket into
	// the cache folder and adds the copy to the paths.
	s3URL, s3Profile, s3Region *widget.Entry
	dlBtn, dlCancelBtn         *widget.Button
	dlProgress                 *widget.ProgressBar
	dlStatus                   *widget.Label

	mu       sync.Mutex
	cancel   context.CancelFunc // of the running analysis; guarded by mu
	dlCancel context.CancelFunc // of the running download; guarded by mu
}

const (
	modeAll   = "All events"
	modeRead  = "Read-only events"
	modeWrite = "Changing events"
)

func newTrailPane(ws *workspace) pane {
	p := &trailPane{ws: ws}
	p.pathsLabel = widget.NewLabel("No log files chosen yet.")
	p.pathsLabel.Wrapping = fyne.TextWrapWord
	p.pathEntry = widget.NewEntry()
	p.pathEntry.SetPlaceHolder("…or type a path and press Enter")
	p.pathEntry.OnSubmitted = func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			p.addPaths(s)
			p.pathEntry.SetText("")
		}
	}
	files := widget.NewButtonWithIcon("Add file…", theme.FileIcon(), p.onAddFile)
	folder := widget.NewButtonWithIcon("Add folder…", theme.FolderOpenIcon(), p.onAddFolder)
	clearBtn := widget.NewButtonWithIcon("Clear", theme.ContentClearIcon(), func() { p.setPaths(nil) })

	entry := func(hint string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(hint)
		return e
	}
	p.bucket = entry("bucket name")
	p.keyPrefix = entry("object key prefix")
	p.accessKey = entry("AKIA… / ASIA…")
	p.principal = entry("user, role or session ARN (* at the end for a prefix)")
	p.sourceIP = entry("address or CIDR block")
	p.event = entry("GetObject, PutBucketPolicy, …")
	p.errorCode = entry("AccessDenied, … (* for any error)")
	p.since = entry("2026-03-01 or 2026-03-01T14:05:00Z")
	p.until = entry("a date alone includes that day")
	p.mode = widget.NewSelect([]string{modeAll, modeRead, modeWrite}, nil)
	p.mode.SetSelected(modeAll)
	form := widget.NewForm(
		widget.NewFormItem("Bucket", p.bucket), widget.NewFormItem("Key prefix", p.keyPrefix),
		widget.NewFormItem("Access key", p.accessKey), widget.NewFormItem("Principal", p.principal),
		widget.NewFormItem("Source IP", p.sourceIP), widget.NewFormItem("Event", p.event),
		widget.NewFormItem("Error code", p.errorCode), widget.NewFormItem("Since (UTC)", p.since),
		widget.NewFormItem("Until (UTC)", p.until), widget.NewFormItem("Events", p.mode),
	)

	p.runBtn = widget.NewButtonWithIcon("Analyse", theme.SearchIcon(), p.onRun)
	p.runBtn.Importance = widget.HighImportance
	p.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), p.onCancel)
	p.cancelBtn.Disable()
	p.addBtn = widget.NewButtonWithIcon("Add to incident", theme.ContentAddIcon(), p.onAdd)
	p.addBtn.Disable()
	p.progress = widget.NewProgressBar()
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.summary = widget.NewLabel("")
	p.summary.Wrapping = fyne.TextWrapWord
	p.chart = newHistChart()

	p.principals = newSortTable([]column[trail.Principal]{
		{"Access key", 190, func(x trail.Principal) string { return x.AccessKeyID }, func(a, b trail.Principal) int { return cmp.Compare(a.AccessKeyID, b.AccessKeyID) }},
		{"Principal", 330, func(x trail.Principal) string { return x.Name }, func(a, b trail.Principal) int { return cmp.Compare(a.Name, b.Name) }},
		{"Events", 80, func(x trail.Principal) string { return trail.Count(x.Events) }, func(a, b trail.Principal) int { return cmp.Compare(a.Events, b.Events) }},
		{"GetObject", 90, func(x trail.Principal) string { return trail.Count(x.GetObject) }, func(a, b trail.Principal) int { return cmp.Compare(a.GetObject, b.GetObject) }},
		{"Data read", 90, func(x trail.Principal) string { return trail.Bytes(x.BytesRead) }, func(a, b trail.Principal) int { return cmp.Compare(a.BytesRead, b.BytesRead) }},
		{"Other out", 90, func(x trail.Principal) string { return trail.Bytes(x.OtherBytesOut) }, func(a, b trail.Principal) int { return cmp.Compare(a.OtherBytesOut, b.OtherBytesOut) }},
		{"Denied", 70, func(x trail.Principal) string { return trail.Count(x.Denied) }, func(a, b trail.Principal) int { return cmp.Compare(a.Denied, b.Denied) }},
		{"Source IPs", 220, func(x trail.Principal) string { return strings.Join(x.SourceIPs, ", ") }, func(a, b trail.Principal) int { return cmp.Compare(len(a.SourceIPs), len(b.SourceIPs)) }},
		{"User agents", 260, func(x trail.Principal) string { return strings.Join(x.UserAgents, " | ") }, func(a, b trail.Principal) int {
			return cmp.Compare(strings.Join(a.UserAgents, ""), strings.Join(b.UserAgents, ""))
		}},
		{"First seen", 170, func(x trail.Principal) string { return trail.When(x.FirstSeen) }, func(a, b trail.Principal) int { return a.FirstSeen.Compare(b.FirstSeen) }},
		{"Last seen", 170, func(x trail.Principal) string { return trail.When(x.LastSeen) }, func(a, b trail.Principal) int { return a.LastSeen.Compare(b.LastSeen) }},
	})
	p.objects = newSortTable([]column[trail.ObjectRead]{
		{"Bucket", 180, func(x trail.ObjectRead) string { return x.Bucket }, func(a, b trail.ObjectRead) int { return cmp.Compare(a.Bucket, b.Bucket) }},
		{"Key", 340, func(x trail.ObjectRead) string { return x.Key }, func(a, b trail.ObjectRead) int { return cmp.Compare(a.Key, b.Key) }},
		{"Reads", 70, func(x trail.ObjectRead) string { return trail.Count(x.Reads) }, func(a, b trail.ObjectRead) int { return cmp.Compare(a.Reads, b.Reads) }},
		{"Data read", 90, func(x trail.ObjectRead) string { return trail.Bytes(x.BytesOut) }, func(a, b trail.ObjectRead) int { return cmp.Compare(a.BytesOut, b.BytesOut) }},
		{"Read by", 260, func(x trail.ObjectRead) string { return strings.Join(x.Readers, ", ") }, func(a, b trail.ObjectRead) int {
			return cmp.Compare(strings.Join(a.Readers, ""), strings.Join(b.Readers, ""))
		}},
		{"First read", 170, func(x trail.ObjectRead) string { return trail.When(x.FirstRead) }, func(a, b trail.ObjectRead) int { return a.FirstRead.Compare(b.FirstRead) }},
	})
	p.changes = newSortTable([]column[trail.ConfigChange]{
		{"Time", 170, func(x trail.ConfigChange) string { return trail.When(x.EventTime) }, func(a, b trail.ConfigChange) int { return a.EventTime.Compare(b.EventTime) }},
		{"Event", 200, func(x trail.ConfigChange) string { return x.EventName }, func(a, b trail.ConfigChange) int { return cmp.Compare(a.EventName, b.EventName) }},
		{"On", 220, func(x trail.ConfigChange) string { return cmp.Or(x.Target, x.Bucket) }, func(a, b trail.ConfigChange) int {
			return cmp.Compare(cmp.Or(a.Target, a.Bucket), cmp.Or(b.Target, b.Bucket))
		}},
		{"Principal", 300, func(x trail.ConfigChange) string { return x.Principal }, func(a, b trail.ConfigChange) int { return cmp.Compare(a.Principal, b.Principal) }},
		{"Source IP", 130, func(x trail.ConfigChange) string { return x.SourceIP }, func(a, b trail.ConfigChange) int { return cmp.Compare(a.SourceIP, b.SourceIP) }},
		{"Refused", 130, func(x trail.ConfigChange) string { return x.ErrorCode }, func(a, b trail.ConfigChange) int { return cmp.Compare(a.ErrorCode, b.ErrorCode) }},
	})
	p.denied = newSortTable([]column[trail.DeniedGroup]{
		{"Count", 70, func(x trail.DeniedGroup) string { return trail.Count(x.Count) }, func(a, b trail.DeniedGroup) int { return cmp.Compare(a.Count, b.Count) }},
		{"Event", 170, func(x trail.DeniedGroup) string { return x.EventName }, func(a, b trail.DeniedGroup) int { return cmp.Compare(a.EventName, b.EventName) }},
		{"Error", 150, func(x trail.DeniedGroup) string { return x.ErrorCode }, func(a, b trail.DeniedGroup) int { return cmp.Compare(a.ErrorCode, b.ErrorCode) }},
		{"Bucket", 170, func(x trail.DeniedGroup) string { return x.Bucket }, func(a, b trail.DeniedGroup) int { return cmp.Compare(a.Bucket, b.Bucket) }},
		{"Principal", 300, func(x trail.DeniedGroup) string { return x.Principal }, func(a, b trail.DeniedGroup) int { return cmp.Compare(a.Principal, b.Principal) }},
		{"Source IPs", 200, func(x trail.DeniedGroup) string { return strings.Join(x.SourceIPs, ", ") }, func(a, b trail.DeniedGroup) int { return cmp.Compare(len(a.SourceIPs), len(b.SourceIPs)) }},
		{"First", 170, func(x trail.DeniedGroup) string { return trail.When(x.First) }, func(a, b trail.DeniedGroup) int { return a.First.Compare(b.First) }},
	})
	p.problems = newSortTable([]column[trail.FileError]{
		{"File", 420, func(x trail.FileError) string { return x.File }, func(a, b trail.FileError) int { return cmp.Compare(a.File, b.File) }},
		{"Records read", 110, func(x trail.FileError) string { return trail.Count(x.Records) }, func(a, b trail.FileError) int { return cmp.Compare(a.Records, b.Records) }},
		{"Problem", 460, func(x trail.FileError) string { return x.Reason }, func(a, b trail.FileError) int { return cmp.Compare(a.Reason, b.Reason) }},
	})

	p.tabs = container.NewAppTabs(
		container.NewTabItem("Summary", container.NewBorder(nil, p.chart.legend, nil, nil,
			container.NewVSplit(container.NewVScroll(p.summary), p.chart))),
		container.NewTabItem("Principals", p.principals.table),
		container.NewTabItem("Objects read", p.objects.table),
		container.NewTabItem("Access changes", p.changes.table),
		container.NewTabItem("Denied", p.denied.table),
		container.NewTabItem("Files with problems", p.problems.table),
	)

	sources := container.NewVBox(
		widget.NewLabelWithStyle("CloudTrail log files (.json.gz or .json; folders are searched)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(files, folder, clearBtn), p.pathEntry, p.pathsLabel, p.newDownloadRow())
	actions := container.NewBorder(nil, nil, container.NewHBox(p.runBtn, p.cancelBtn), p.addBtn, p.progress)
	left := container.NewVScroll(container.NewVBox(sources, widget.NewSeparator(), form))
	right := container.NewBorder(container.NewVBox(actions, p.status), nil, nil, nil, p.tabs)
	split := container.NewHSplit(left, right)
	split.Offset = 0.32
	p.root = split
	return p
}

// newDownloadRow builds the "Download from S3…" row, folded away until
// opened: most responders are handed the files.
func (p *trailPane) newDownloadRow() fyne.CanvasObject {
	p.s3URL = widget.NewEntry()
	p.s3URL.SetPlaceHolder("s3://log-bucket/AWSLogs/111122223333/CloudTrail/")
	p.s3URL.OnSubmitted = func(string) { p.onDownload() }
	p.s3Profile = widget.NewEntry()
	p.s3Profile.SetPlaceHolder("AWS profile (default)")
	p.s3Region = widget.NewEntry()
	p.s3Region.SetPlaceHolder("region (the profile's)")
	p.dlBtn = widget.NewButtonWithIcon("Download", theme.DownloadIcon(), p.onDownload)
	p.dlCancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), p.onDownloadCancel)
	p.dlCancelBtn.Disable()
	p.dlProgress = widget.NewProgressBar()
	p.dlStatus = widget.NewLabel("Copies the prefix into this computer's cache folder; files already there are not fetched again.")
	p.dlStatus.Wrapping = fyne.TextWrapWord
	box := container.NewVBox(p.s3URL, container.NewGridWithColumns(2, p.s3Profile, p.s3Region),
		container.NewBorder(nil, nil, container.NewHBox(p.dlBtn, p.dlCancelBtn), nil, p.dlProgress), p.dlStatus)
	return widget.NewAccordion(widget.NewAccordionItem("Download from S3…", box))
}

func (p *trailPane) object() fyne.CanvasObject { return p.root }

// show is part of pane; the analysis does not depend on the case.
func (p *trailPane) show(app.Case, *app.Playbook) {}

// addPaths is also for the window's drag and drop: dropped files and folders
// join the list to analyse.
func (p *trailPane) addPaths(paths ...string) {
	next := slices.Clone(p.paths)
	for _, x := range paths {
		if !slices.Contains(next, x) {
			next = append(next, x)
		}
	}
	p.setPaths(next)
}

func (p *trailPane) setPaths(paths []string) {
	p.paths = paths
	switch len(paths) {
	case 0:
		p.pathsLabel.SetText("No log files chosen yet.")
	case 1, 2, 3:
		p.pathsLabel.SetText(strings.Join(paths, "\n"))
	default:
		p.pathsLabel.SetText(strings.Join(paths[:3], "\n") + fmt.Sprintf("\n… and %d more", len(paths)-3))
	}
}

func (p *trailPane) onAddFile() {
	dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return
		}
		path := rc.URI().Path()
		_ = rc.Close()
		p.addPaths(path)
	}, p.ws.u.w).Show()
}

func (p *trailPane) onAddFolder() {
	dialog.NewFolderOpen(func(l fyne.ListableURI, err error) {
		if err != nil || l == nil {
			return
		}
		p.addPaths(l.Path())
	}, p.ws.u.w).Show()
}

// readFilter turns the form into a filter, or says which field is wrong.
func (p *trailPane) readFilter() (trail.Filter, error) {
	list := func(e *widget.Entry) []string {
		var out []string
		for _, s := range strings.Split(e.Text, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	f := trail.Filter{Buckets: list(p.bucket), KeyPrefix: strings.TrimSpace(p.keyPrefix.Text), AccessKeys: list(p.accessKey),
		Principals: list(p.principal), Events: list(p.event), ErrorCodes: list(p.errorCode)}
	for _, s := range list(p.sourceIP) {
		n, err := trail.ParseNetwork(s)
		if err != nil {
			return f, fmt.Errorf("source IP: %w", err)
		}
		f.Networks = append(f.Networks, n)
	}
	var err error
	if s := strings.TrimSpace(p.since.Text); s != "" {
		if f.Since, err = trail.ParseTime(s, false); err != nil {
			return f, fmt.Errorf("since: %w", err)
		}
	}
	if s := strings.TrimSpace(p.until.Text); s != "" {
		if f.Until, err = trail.ParseTime(s, true); err != nil {
			return f, fmt.Errorf("until: %w", err)
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, errors.New("since must come before until")
	}
	switch p.mode.Selected {
	case modeRead:
		v := true
		f.ReadOnly = &v
	case modeWrite:
		v := false
		f.ReadOnly = &v
	}
	return f, nil
}

func (p *trailPane) setCancel(c context.CancelFunc) {
	p.mu.Lock()
	p.cancel = c
	p.mu.Unlock()
}

func (p *trailPane) onCancel() {
	p.mu.Lock()
	c := p.cancel
	p.mu.Unlock()
	if c != nil {
		c()
	}
}

func (p *trailPane) setDownloadCancel(c context.CancelFunc) {
	p.mu.Lock()
	p.dlCancel = c
	p.mu.Unlock()
}

func (p *trailPane) onDownloadCancel() {
	p.mu.Lock()
	c := p.dlCancel
	p.mu.Unlock()
	if c != nil {
		c()
	}
}

// onDownload copies the prefix through the incident's AWS connection on
// a job goroutine, with progress, and adds the copy to the paths. A
// cancelled or failed download can simply be started again: what is
// already in the cache is kept.
func (p *trailPane) onDownload() {
	if p.ws.loaded && p.ws.c.Incident.Exercise {
		p.dlStatus.SetText("This incident is an exercise: S3 Responder never calls AWS for it. Add log files from disk instead.")
		return
	}
	bucket, prefix, err := app.ParseS3URL(p.s3URL.Text)
	if err != nil {
		p.dlStatus.SetText("Write the location as s3://BUCKET/PREFIX.")
		return
	}
	dir, err := trail.CacheDir(bucket)
	if err != nil {
		p.dlStatus.SetText("No cache folder to copy into: " + err.Error())
		return
	}
	profile := app.Profile{Name: strings.TrimSpace(p.s3Profile.Text), Region: strings.TrimSpace(p.s3Region.Text)}
	req := app.LogDownload{Bucket: bucket, Prefix: prefix, Dir: dir}
	where := "s3://" + bucket + "/" + prefix
	p.dlBtn.Disable()
	p.dlCancelBtn.Enable()
	p.dlProgress.SetValue(0)
	p.dlStatus.SetText("Connecting to list " + where + "…")
	u, svc, id := p.ws.u, p.ws.u.svc, p.ws.id
	p.ws.jobs.read("trail-download", func(ctx context.Context) func() {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		p.setDownloadCancel(cancel)
		progress, stop := throttle(u.do, progressEvery, p.onDownloadProgress)
		res, who, err := svc.DownloadLogs(ctx, id, profile, req, progress)
		stop()
		return func() {
			p.setDownloadCancel(nil)
			p.dlBtn.Enable()
			p.dlCancelBtn.Disable()
			p.downloaded(where, res, who, err)
		}
	})
}

func (p *trailPane) onDownloadProgress(pr app.LogDownloadProgress) {
	if pr.Listing {
		p.dlStatus.SetText(fmt.Sprintf("Listing: %s files (%s) so far…", trail.Count(int64(pr.FilesTotal)), trail.Bytes(pr.BytesTotal)))
		return
	}
	if pr.BytesTotal > 0 {
		p.dlProgress.SetValue(float64(pr.BytesDone) / float64(pr.BytesTotal))
	}
	p.dlStatus.SetText(fmt.Sprintf("Copying: %s of %s files, %s of %s…", trail.Count(int64(pr.FilesDone)), trail.Count(int64(pr.FilesTotal)),
		trail.Bytes(pr.BytesDone), trail.Bytes(pr.BytesTotal)))
}

// downloaded reports how a download ended and, unless it was stopped,
// adds the copy to the paths to analyse.
func (p *trailPane) downloaded(where string, res app.LogDownloadResult, who app.Identity, err error) {
	switch {
	case errors.Is(err, context.Canceled):
		p.dlStatus.SetText(fmt.Sprintf("Download cancelled after %s files; press Download again to fetch the rest.", trail.Count(int64(res.Downloaded))))
		return
	case err != nil:
		p.dlStatus.SetText("The download failed.")
		p.ws.u.showError("Could not download the log files", err)
		return
	}
	p.dlProgress.SetValue(1)
	paths := trail.DownloadedPaths(res)
	if len(res.Files) > 0 {
		p.addPaths(paths...)
	}
	msg := fmt.Sprintf("Copied %s files (%s) from %s as %s into %s; %s were already there.", trail.Count(int64(res.Downloaded)), trail.Bytes(res.Bytes),
		where, who.ARN, res.Dir, trail.Count(int64(res.Skipped)))
	if len(res.Files) == 0 {
		msg = "No object under " + where + ": check the bucket and the prefix."
	}
	if n := len(res.Failed); n > 0 {
		msg += fmt.Sprintf(" %s could not be copied (first: %s: %s); press Download again to retry them.", trail.Count(int64(n)), res.Failed[0].Key, res.Failed[0].Reason)
	}
	p.dlStatus.SetText(msg)
}

// onRun starts the analysis on a job goroutine; progress comes back through
// the UI's do, at most ten times a second.
func (p *trailPane) onRun() {
	f, err := p.readFilter()
	if err != nil {
		p.status.SetText("Check the filter: " + err.Error())
		return
	}
	if len(p.paths) == 0 {
		p.status.SetText("Add log files or folders first.")
		return
	}
	paths := slices.Clone(p.paths)
	p.runBtn.Disable()
	p.cancelBtn.Enable()
	p.addBtn.Disable()
	p.progress.SetValue(0)
	p.status.SetText("Reading the log files…")
	u := p.ws.u
	p.ws.jobs.read("trail", func(ctx context.Context) func() {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		p.setCancel(cancel)
		progress, stop := throttle(u.do, progressEvery, p.onProgress)
		res, err := trail.Analyze(ctx, paths, trail.Options{Filter: f, Progress: progress})
		stop()
		return func() {
			p.setCancel(nil)
			p.runBtn.Enable()
			p.cancelBtn.Disable()
			if err != nil {
				p.status.SetText("Analysis cancelled: the tables show nothing.")
				return
			}
			p.showResult(res, f)
		}
	})
}

func (p *trailPane) onProgress(pr trail.Progress) {
	if pr.BytesTotal > 0 {
		p.progress.SetValue(float64(pr.BytesDone) / float64(pr.BytesTotal))
	}
	p.status.SetText(fmt.Sprintf("Read %s of %s files, %s records…", trail.Count(pr.FilesDone), trail.Count(pr.FilesTotal), trail.Count(pr.Records)))
}

// showResult fills the tables, the chart and the summary.
func (p *trailPane) showResult(res *trail.Result, f trail.Filter) {
	p.res, p.filter = res, f
	p.progress.SetValue(1)
	p.summary.SetText(strings.Join(res.Summary, "\n"))
	p.principals.set(res.Principals)
	p.objects.set(res.ObjectsRead)
	p.changes.set(res.ConfigChanges)
	p.denied.set(res.Denied)
	p.problems.set(res.Errors)
	p.chart.set(res.Histogram)
	p.tabs.Items[5].Text = fmt.Sprintf("Files with problems (%d)", len(res.Errors))
	p.tabs.Refresh()
	p.status.SetText(fmt.Sprintf("%s files, %s records, %s matching events.", trail.Count(res.Files), trail.Count(res.Records), trail.Count(res.Matched)))
	if res.Files > 0 {
		p.addBtn.Enable()
	}
}

// onAdd records the analysis in the incident: the full result and the
// hashes of the files read as evidence, and the findings as timeline
// entries at the times they happened.
func (p *trailPane) onAdd() {
	res, f, paths := p.res, p.filter, slices.Clone(p.paths)
	if res == nil {
		return
	}
	svc, id := p.ws.u.svc, p.ws.id
	p.addBtn.Disable()
	p.status.SetText("Adding the analysis to the incident…")
	p.ws.jobs.write(func(ctx context.Context) func() {
		added, err := trail.AddToIncident(ctx, svc, id, res, f, paths)
		return func() {
			p.addBtn.Enable()
			if err != nil {
				p.status.SetText("The analysis was not added.")
				p.ws.u.showError("Could not add the analysis to the incident", err)
				return
			}
			p.status.SetText(addedText(added))
			p.ws.load()
		}
	})
}

// addedText says what "Add to incident" recorded.
func addedText(a trail.Added) string {
	s := fmt.Sprintf("Added to the incident: 2 evidence items and %d findings on the timeline.", a.Findings)
	if a.Omitted > 0 {
		s += fmt.Sprintf(" %d more findings are in the evidence only.", a.Omitted)
	}
	if a.Unreadable > 0 {
		s += fmt.Sprintf(" %d files could no longer be read to hash them.", a.Unreadable)
	}
	return s
}

// column is one column of a sortable table.
type column[T any] struct {
	title string
	width float32
	text  func(T) string
	cmp   func(a, b T) int
}

// sortTable is a table whose header buttons sort it: a first tap sorts
// descending (largest counts, latest times first), a second tap ascending.
type sortTable[T any] struct {
	cols  []column[T]
	rows  []T
	by    int
	asc   bool
	table *widget.Table
}

func newSortTable[T any](cols []column[T]) *sortTable[T] {
	s := &sortTable[T]{cols: cols, by: -1}
	s.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(s.rows), len(s.cols) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			if id.Row >= 0 && id.Row < len(s.rows) && id.Col >= 0 && id.Col < len(s.cols) {
				o.(*widget.Label).SetText(s.cols[id.Col].text(s.rows[id.Row]))
			}
		})
	s.table.ShowHeaderColumn = false
	s.table.CreateHeader = func() fyne.CanvasObject { return widget.NewButton("", nil) }
	s.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		b := o.(*widget.Button)
		if id.Col < 0 || id.Col >= len(s.cols) {
			b.SetText("")
			b.OnTapped = nil
			return
		}
		title := s.cols[id.Col].title
		if id.Col == s.by {
			if s.asc {
				title += " ▲"
			} else {
				title += " ▼"
			}
		}
		b.SetText(title)
		col := id.Col
		b.OnTapped = func() { s.sortBy(col) }
	}
	for i, c := range cols {
		s.table.SetColumnWidth(i, c.width)
	}
	return s
}

func (s *sortTable[T]) set(rows []T) {
	s.rows = slices.Clone(rows)
	s.sort()
	s.table.Refresh()
}

func (s *sortTable[T]) sortBy(col int) {
	if s.by == col {
		s.asc = !s.asc
	} else {
		s.by, s.asc = col, false
	}
	s.sort()
	s.table.Refresh()
}

func (s *sortTable[T]) sort() {
	if s.by < 0 {
		return
	}
	c := s.cols[s.by].cmp
	slices.SortStableFunc(s.rows, func(a, b T) int {
		if s.asc {
			return c(a, b)
		}
		return c(b, a)
	})
}

// histChart draws matched events over time as bars.
type histChart struct {
	widget.BaseWidget
	h      trail.Histogram
	legend *widget.Label
}

func newHistChart() *histChart {
	c := &histChart{legend: widget.NewLabel("")}
	c.ExtendBaseWidget(c)
	return c
}

func (c *histChart) set(h trail.Histogram) {
	c.h = h
	if len(h.Bins) == 0 {
		c.legend.SetText("")
	} else {
		peak := int64(0)
		for _, b := range h.Bins {
			peak = max(peak, b.Events)
		}
		c.legend.SetText(fmt.Sprintf("Events per %s from %s to %s (tallest bar: %s); reads in the darker part.",
			binName(h.BinSeconds), trail.When(h.Bins[0].Start), trail.When(h.Bins[len(h.Bins)-1].Start), trail.Count(peak)))
	}
	c.Refresh()
}

func binName(sec int64) string {
	switch {
	case sec == 3600:
		return "hour"
	case sec == 86400:
		return "day"
	case sec%86400 == 0:
		return fmt.Sprintf("%d days", sec/86400)
	}
	return fmt.Sprintf("%d hours", sec/3600)
}

func (c *histChart) CreateRenderer() fyne.WidgetRenderer {
	return &histRenderer{c: c}
}

type histRenderer struct {
	c     *histChart
	bars  []*canvas.Rectangle
	reads []*canvas.Rectangle
	objs  []fyne.CanvasObject
}

func (r *histRenderer) MinSize() fyne.Size { return fyne.NewSize(200, 120) }

func (r *histRenderer) Layout(size fyne.Size) {
	bins := r.c.h.Bins
	if len(r.bars) != len(bins) {
		r.rebuild()
	}
	peak := int64(1)
	for _, b := range bins {
		peak = max(peak, b.Events)
	}
	w := size.Width / float32(max(1, len(bins)))
	for i, b := range bins {
		h := size.Height * float32(b.Events) / float32(peak)
		r.bars[i].Move(fyne.NewPos(float32(i)*w, size.Height-h))
		r.bars[i].Resize(fyne.NewSize(max(1, w-1), h))
		rh := size.Height * float32(b.Reads) / float32(peak)
		r.reads[i].Move(fyne.NewPos(float32(i)*w, size.Height-rh))
		r.reads[i].Resize(fyne.NewSize(max(1, w-1), rh))
	}
}

func (r *histRenderer) rebuild() {
	r.bars, r.reads, r.objs = nil, nil, nil
	primary := theme.Color(theme.ColorNamePrimary)
	pr, pg, pb, _ := primary.RGBA()
	light := color.NRGBA{R: uint8(pr >> 8), G: uint8(pg >> 8), B: uint8(pb >> 8), A: 0x70}
	for range r.c.h.Bins {
		b := canvas.NewRectangle(light)
		d := canvas.NewRectangle(primary)
		r.bars, r.reads = append(r.bars, b), append(r.reads, d)
		r.objs = append(r.objs, b, d)
	}
}

func (r *histRenderer) Refresh() {
	r.rebuild()
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

func (r *histRenderer) Objects() []fyne.CanvasObject {
	if len(r.bars) != len(r.c.h.Bins) {
		r.rebuild()
	}
	return r.objs
}

func (r *histRenderer) Destroy() {}

// dropLogs hands dropped paths to the workspace's CloudTrail logs pane and
// selects its tab.
func (ws *workspace) dropLogs(paths []string) {
	for i, p := range ws.panes {
		tp, ok := p.(*trailPane)
		if !ok {
			continue
		}
		tp.addPaths(paths...)
		ws.tabs.SelectIndex(i)
		return
	}
}
