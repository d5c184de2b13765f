package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// maxEvidenceFile is the largest file the pane attaches. Evidence content
// lives in the incident database and is read whole to be hashed and
// stored; larger artifacts (disk images, log archives) belong in an
// evidence store of their own, with their hash noted here.
const maxEvidenceFile = 256 << 20

// evidencePane lists the incident's evidence with its hashes, attaches
// files, re-verifies everything, and shows the chain of custody of the
// selected item.
type evidencePane struct {
	ws *workspace

	items    []app.Evidence
	selected string

	attach  *widget.Button
	verify  *widget.Button
	busy    *widget.ProgressBarInfinite
	status  *widget.Label
	list    *widget.List
	empty   *widget.Label
	detail  *widget.Label
	custody *widget.Label
	root    fyne.CanvasObject
}

func newEvidencePane(ws *workspace) pane {
	p := &evidencePane{ws: ws}
	p.attach = widget.NewButtonWithIcon("Attach file…", theme.ContentAddIcon(), p.onAttach)
	p.attach.Importance = widget.HighImportance
	p.verify = widget.NewButtonWithIcon("Verify all", theme.ConfirmIcon(), p.onVerify)
	p.busy = widget.NewProgressBarInfinite()
	p.busy.Stop()
	p.busy.Hide()
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.status.Hide()

	p.list = widget.NewList(p.length, p.createRow, p.updateRow)
	p.list.OnSelected = p.onRow
	p.empty = lowLabel("No evidence yet. Attach files (exports, screenshots, mails) so they are hashed and kept with the case.")
	p.empty.Alignment = fyne.TextAlignCenter

	p.detail = widget.NewLabel("Select an item to see where it came from and its chain of custody.")
	p.detail.Wrapping = fyne.TextWrapWord
	p.detail.Selectable = true
	p.custody = widget.NewLabel("")
	p.custody.Wrapping = fyne.TextWrapWord
	p.custody.Selectable = true

	bar := container.NewBorder(nil, nil, nil, container.NewHBox(p.verify, p.attach),
		sectionLabel("Evidence"))
	top := container.NewVBox(bar, p.busy, p.status, widget.NewSeparator())
	detail := container.NewVScroll(container.NewPadded(container.NewVBox(
		p.detail, sectionLabel("Chain of custody"), p.custody)))
	// The hint spans the list's width: a wrapped label in a Center
	// container has no width to wrap to and grows one word per line.
	split := container.NewVSplit(container.NewStack(p.list, container.NewVBox(p.empty)), detail)
	split.Offset = 0.55
	p.root = container.NewBorder(top, nil, nil, nil, split)
	return p
}

func (p *evidencePane) object() fyne.CanvasObject { return p.root }

// show reloads the list: evidence is kept beside the case, and other panes
// (the CloudTrail analysis) add to it.
func (p *evidencePane) show(app.Case, *app.Playbook) { p.load() }

// load reads the evidence list. A failure is said in the pane rather than
// in a dialog: it repeats with every change to the case, and the dialog
// would keep coming back.
func (p *evidencePane) load() {
	svc, id := p.ws.u.svc, p.ws.id
	p.ws.jobs.read("evidence", func(ctx context.Context) func() {
		items, err := svc.ListEvidence(ctx, id)
		return func() {
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					fyne.LogError("list evidence of "+id, err)
					p.say(widget.WarningImportance, explain("Could not list the evidence", err).Error())
				}
				return
			}
			p.items = items
			p.list.Refresh()
			showIf(p.empty, len(items) == 0)
			p.showSelected()
		}
	})
}

// say shows a status line over the list.
func (p *evidencePane) say(imp widget.Importance, text string) {
	p.status.Importance = imp
	p.status.SetText(text)
	p.status.Show()
}

func (p *evidencePane) length() int { return len(p.items) }

// evidenceRow is one item of the list: title, then what it is, then its
// full SHA-256 (people compare hashes character by character).
type evidenceRow struct {
	title, meta, sha *widget.Label
}

func (p *evidencePane) createRow() fyne.CanvasObject {
	r := &evidenceRow{
		title: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		meta:  widget.NewLabel(""),
		sha:   widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}),
	}
	for _, l := range []*widget.Label{r.title, r.meta, r.sha} {
		l.Truncation = fyne.TextTruncateEllipsis
	}
	r.meta.SizeName = theme.SizeNameCaptionText
	r.sha.SizeName = theme.SizeNameCaptionText
	b := &evidenceRowBox{row: r, box: container.New(&tightVBox{}, r.title, r.meta, r.sha)}
	b.ExtendBaseWidget(b)
	return b
}

// evidenceRowBox holds a row's labels with the box that draws them, so
// updateRow can reach the labels.
type evidenceRowBox struct {
	widget.BaseWidget
	row *evidenceRow
	box *fyne.Container
}

// CreateRenderer draws the row's labels.
func (b *evidenceRowBox) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(b.box)
}

func (p *evidencePane) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i < 0 || i >= len(p.items) {
		return
	}
	ev, r := p.items[i], o.(*evidenceRowBox).row
	loc := p.ws.c.Incident.Location()
	r.title.SetText(ev.Title)
	r.meta.SetText(strings.Join([]string{
		ev.ID, ev.Kind, byteSize(ev.Size),
		"collected " + formatWhenZone(ev.CollectedAt, loc) + " by " + ev.CollectedBy,
		plural(len(ev.Custody), "custody event"),
	}, "  ·  "))
	r.sha.SetText("sha256 " + ev.SHA256)
}

// byteSize writes n bytes for people.
func byteSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

// plural is "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

func (p *evidencePane) onRow(i widget.ListItemID) {
	if i >= 0 && i < len(p.items) {
		p.selected = p.items[i].ID
		p.showSelected()
	}
}

// showSelected fills the detail with the selected item, if it is listed.
func (p *evidencePane) showSelected() {
	var ev *app.Evidence
	for i := range p.items {
		if p.items[i].ID == p.selected {
			ev = &p.items[i]
			p.list.Select(i)
		}
	}
	if ev == nil {
		p.detail.SetText("Select an item to see where it came from and its chain of custody.")
		p.custody.SetText("")
		return
	}
	loc := p.ws.c.Incident.Location()
	lines := []string{
		ev.Title,
		"Id: " + ev.ID + "    Kind: " + ev.Kind + "    Size: " + byteSize(ev.Size) + fmt.Sprintf(" (%d bytes)", ev.Size),
		"SHA-256: " + ev.SHA256,
		"Collected " + formatWhenZone(ev.CollectedAt, loc) + " by " + ev.CollectedBy,
	}
	if ev.FileName != "" {
		lines = append(lines, "File: "+ev.FileName)
	}
	if ev.MediaType != "" {
		lines = append(lines, "Media type: "+ev.MediaType)
	}
	if src := describeSource(ev.Source); src != "" {
		lines = append(lines, "Source: "+src)
	}
	if ev.StepID != "" {
		lines = append(lines, "Playbook step: "+ev.StepID)
	}
	p.detail.SetText(strings.Join(lines, "\n"))

	var cust []string
	for i, c := range ev.Custody {
		line := fmt.Sprintf("%d. %s  %s by %s", i+1, formatWhenZone(c.At, loc), c.Action, c.Actor)
		if c.Note != "" {
			line += ": " + c.Note
		}
		cust = append(cust, line)
	}
	if len(cust) == 0 {
		cust = []string{"No custody events recorded."}
	}
	p.custody.SetText(strings.Join(cust, "\n"))
}

// describeSource says where an item came from so it can be collected again.
func describeSource(s app.Source) string {
	var parts []string
	if s.File != "" {
		parts = append(parts, "file "+s.File)
	}
	if s.API != "" {
		parts = append(parts, "API "+s.API)
	}
	if s.Account != "" {
		parts = append(parts, "account "+s.Account)
	}
	if s.Region != "" {
		parts = append(parts, "region "+s.Region)
	}
	for k, v := range s.Params {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ", ")
}

// onAttach asks for a file to attach.
func (p *evidencePane) onAttach() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			p.ws.u.showError("Could not open the file", err)
			return
		}
		if rc == nil {
			return // the user cancelled
		}
		p.attachFrom(rc)
	}, p.ws.u.w)
	d.SetConfirmText("Attach")
	d.Resize(fileDialogSize(p.ws.u.w))
	d.Show()
}

// fileDialogSize makes file dialogs use most of the window: the default
// is cramped for long file names.
func fileDialogSize(w fyne.Window) fyne.Size {
	s := w.Canvas().Size()
	return fyne.NewSize(max(s.Width*0.8, 600), max(s.Height*0.8, 400))
}

// attachFrom reads the file off the UI goroutine, hashes and stores it.
// The file's base name is its title and its recorded source: the full
// path says something about the responder's machine and nothing about the
// case.
func (p *evidencePane) attachFrom(rc fyne.URIReadCloser) {
	ws := p.ws
	name, mime, id := rc.URI().Name(), rc.URI().MimeType(), ws.id
	what := "Could not attach " + name
	p.attach.Disable()
	p.busy.Show()
	p.busy.Start()
	p.say(widget.MediumImportance, "Reading and hashing "+name+"…")
	svc := ws.u.svc
	ws.jobs.write(func(ctx context.Context) func() {
		ev, err := readEvidence(ctx, svc, id, rc, name, mime)
		return func() {
			p.attach.Enable()
			p.busy.Stop()
			p.busy.Hide()
			if err != nil {
				p.say(widget.WarningImportance, explain(what, err).Error())
				ws.u.showError(what, err)
				return
			}
			p.say(widget.SuccessImportance, fmt.Sprintf("Attached %s as %s (%s, sha256 %s).", name, ev.ID, byteSize(ev.Size), ev.SHA256))
			p.selected = ev.ID
			p.load()
			ws.timeline.load()
		}
	})
}

// readEvidence reads rc whole (refusing files over maxEvidenceFile) and
// stores it as a file item.
func readEvidence(ctx context.Context, svc *app.Service, id string, rc io.ReadCloser, name, mime string) (app.Evidence, error) {
	data, err := io.ReadAll(io.LimitReader(rc, maxEvidenceFile+1))
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return app.Evidence{}, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxEvidenceFile {
		return app.Evidence{}, fmt.Errorf("%w: %s is larger than %s: keep it in an evidence store and record its SHA-256 in a note",
			app.ErrInvalid, name, byteSize(maxEvidenceFile))
	}
	if err := ctx.Err(); err != nil {
		return app.Evidence{}, err
	}
	return svc.AddEvidence(ctx, id, app.Evidence{
		Title: name, Kind: app.EvidenceFile, FileName: name, MediaType: mime,
		Source: app.Source{File: name},
	}, data)
}

// onVerify re-hashes every item. Each item that verifies gets a custody
// event, so this is a write, queued behind any attach in progress.
func (p *evidencePane) onVerify() {
	ws := p.ws
	svc, id := ws.u.svc, ws.id
	p.verify.Disable()
	p.busy.Show()
	p.busy.Start()
	p.say(widget.MediumImportance, "Verifying every item against its SHA-256…")
	ws.jobs.write(func(ctx context.Context) func() {
		n, problems, err := svc.VerifyEvidence(ctx, id)
		return func() {
			p.verify.Enable()
			p.busy.Stop()
			p.busy.Hide()
			switch {
			case err != nil:
				p.say(widget.WarningImportance, "Could not verify the evidence.")
				ws.u.showError("Could not verify the evidence", err)
			case len(problems) > 0:
				lines := []string{fmt.Sprintf("%d of %d items do NOT verify:", len(problems), n)}
				for _, pr := range problems {
					lines = append(lines, pr.ID+": "+pr.Reason)
				}
				p.say(widget.DangerImportance, strings.Join(lines, "\n"))
				ws.u.showError("The evidence does not verify", errors.New(strings.Join(lines, "\n")))
			case n == 0:
				p.say(widget.MediumImportance, "Nothing to verify: no evidence yet.")
			default:
				p.say(widget.SuccessImportance, fmt.Sprintf("Verified: all %s match their SHA-256. A custody event records the check.", plural(n, "item")))
			}
			p.load()
		}
	})
}
