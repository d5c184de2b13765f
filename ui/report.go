package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// reportFormat is one kind of document the pane saves.
type reportFormat struct {
	code, label string
	// sections tells whether the section choice applies: CSV is the
	// timeline and JSON the whole incident, whatever is ticked.
	sections bool
}

// reportFormats are the formats offered, in the order of the picker.
var reportFormats = []reportFormat{
	{"pdf", "PDF post-incident report (.pdf)", true},
	{"md", "Markdown report (.md)", true},
	{"json", "JSON export of the whole incident (.json)", false},
	{"csv", "CSV of the timeline (.csv)", false},
}

// sectionTitles are the names people see for app.ReportSections.
var sectionTitles = map[string]string{
	"summary": "Summary", "metrics": "Metrics", "timeline-chart": "Timeline chart", "timeline": "Timeline",
	"resources": "Resources", "findings": "Findings", "actions": "Actions taken", "evidence": "Evidence",
	"playbook": "Playbook progress", "communications": "Communications", "lessons": "Lessons learned",
	"action-items": "Action items", "appendix": "Appendix",
}

// maxLogo bounds the logo file: it is embedded in every report.
const maxLogo = 5 << 20

// reportPane saves the post-incident report: pick sections, a logo and a
// format, then a file. Gathering and rendering run off the UI goroutine,
// with a progress bar and a Cancel button; a failed or cancelled save
// leaves no half-written file behind.
type reportPane struct {
	ws *workspace

	checks   []*widget.Check
	all      *widget.Button
	none     *widget.Button
	format   *widget.Select
	scope    *widget.Label
	logoName *widget.Label
	logoBtn  *widget.Button
	noLogo   *widget.Button
	save     *widget.Button
	cancel   *widget.Button
	busy     *widget.ProgressBarInfinite
	status   *widget.Label
	root     fyne.CanvasObject

	logo []byte
	// running cancels the save in progress; nil when idle.
	running context.CancelFunc
}

func newReportPane(ws *workspace) pane {
	p := &reportPane{ws: ws}
	grid := container.NewGridWithColumns(3)
	for _, id := range app.ReportSections {
		title := sectionTitles[id]
		if title == "" {
			title = id
		}
		c := widget.NewCheck(title, nil)
		c.SetChecked(true)
		p.checks = append(p.checks, c)
		grid.Add(c)
	}
	p.all = widget.NewButton("All", func() { p.setAll(true) })
	p.none = widget.NewButton("None", func() { p.setAll(false) })

	var labels []string
	for _, f := range reportFormats {
		labels = append(labels, f.label)
	}
	p.format = widget.NewSelect(labels, p.onFormat)
	p.scope = lowLabel("")

	p.logoName = widget.NewLabel("No logo")
	p.logoName.Truncation = fyne.TextTruncateEllipsis
	p.logoBtn = widget.NewButtonWithIcon("Choose logo…", theme.FileImageIcon(), p.onLogo)
	p.noLogo = widget.NewButtonWithIcon("Remove", theme.ContentClearIcon(), p.onNoLogo)
	p.noLogo.Hide()

	p.save = widget.NewButtonWithIcon("Save report…", theme.DocumentSaveIcon(), p.onSave)
	p.save.Importance = widget.HighImportance
	p.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), p.onCancel)
	p.cancel.Hide()
	p.busy = widget.NewProgressBarInfinite()
	p.busy.Stop()
	p.busy.Hide()
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.status.Hide()

	p.format.SetSelectedIndex(0)

	body := container.NewVBox(
		sectionLabel("Format"), p.format, p.scope,
		widget.NewSeparator(),
		container.NewBorder(nil, nil, sectionLabel("Sections"), container.NewHBox(p.all, p.none)),
		grid,
		widget.NewSeparator(),
		sectionLabel("Logo on the cover (PNG or JPEG, optional)"),
		container.NewBorder(nil, nil, nil, container.NewHBox(p.noLogo, p.logoBtn), p.logoName),
	)
	bottom := container.NewVBox(widget.NewSeparator(), p.busy, p.status,
		container.NewBorder(nil, nil, nil, container.NewHBox(p.cancel, p.save)))
	p.root = container.NewBorder(nil, bottom, nil, nil, container.NewVScroll(container.NewPadded(body)))
	return p
}

func (p *reportPane) object() fyne.CanvasObject { return p.root }

// show has nothing to redraw: the report is gathered fresh at save time.
func (p *reportPane) show(app.Case, *app.Playbook) {}

func (p *reportPane) setAll(on bool) {
	for _, c := range p.checks {
		c.SetChecked(on)
	}
}

// selectedFormat is the format picked, PDF when nothing is.
func (p *reportPane) selectedFormat() reportFormat {
	if i := p.format.SelectedIndex(); i >= 0 && i < len(reportFormats) {
		return reportFormats[i]
	}
	return reportFormats[0]
}

// onFormat greys out the choices that do not apply to the format.
func (p *reportPane) onFormat(string) {
	f := p.selectedFormat()
	for _, c := range p.checks {
		if f.sections {
			c.Enable()
		} else {
			c.Disable()
		}
	}
	for _, b := range []*widget.Button{p.all, p.none, p.logoBtn} {
		if f.sections && p.running == nil {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	switch {
	case f.code == "csv":
		p.scope.SetText("One row per timeline entry with its hashes, for a spreadsheet. Sections and logo do not apply.")
	case f.code == "json":
		p.scope.SetText("The whole incident, timeline and evidence list, as `s3responder import` reads it. Sections and logo do not apply.")
	case f.code == "md":
		p.scope.SetText("Plain text with headings, for a wiki or a ticket. The logo is left out.")
	default:
		p.scope.SetText("The document to hand to management, legal or an auditor.")
	}
}

// sections returns the ticked section ids; nil when all are ticked, so a
// section added in a later version is included too.
func (p *reportPane) sections() []string {
	var out []string
	for i, c := range p.checks {
		if c.Checked {
			out = append(out, app.ReportSections[i])
		}
	}
	if len(out) == len(p.checks) {
		return nil
	}
	return out
}

// onLogo asks for an image file.
func (p *reportPane) onLogo() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			p.ws.u.showError("Could not open the logo", err)
			return
		}
		if rc != nil {
			p.loadLogo(rc)
		}
	}, p.ws.u.w)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".PNG", ".JPG", ".JPEG"}))
	d.Resize(fileDialogSize(p.ws.u.w))
	d.Show()
}

// loadLogo reads and checks the image off the UI goroutine.
func (p *reportPane) loadLogo(rc fyne.URIReadCloser) {
	name := rc.URI().Name()
	p.logoName.SetText("Reading " + name + "…")
	p.ws.jobs.read("logo", func(ctx context.Context) func() {
		data, err := readLogo(rc)
		return func() {
			if err != nil {
				p.showLogo()
				p.ws.u.showError("Could not use "+name+" as the logo", err)
				return
			}
			p.logo = data
			p.logoName.SetText(fmt.Sprintf("%s (%s)", name, byteSize(int64(len(data)))))
			p.noLogo.Show()
		}
	})
}

// readLogo reads rc, accepting only PNG and JPEG images of sensible size.
func readLogo(rc io.ReadCloser) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rc, maxLogo+1))
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("read logo: %w", err)
	}
	if len(data) > maxLogo {
		return nil, fmt.Errorf("%w: the logo is larger than %s", app.ErrInvalid, byteSize(maxLogo))
	}
	switch http.DetectContentType(data) {
	case "image/png", "image/jpeg":
		return data, nil
	}
	return nil, fmt.Errorf("%w: the logo must be a PNG or JPEG image", app.ErrInvalid)
}

// showLogo shows the logo kept, if any.
func (p *reportPane) showLogo() {
	if p.logo == nil {
		p.logoName.SetText("No logo")
		p.noLogo.Hide()
	}
}

func (p *reportPane) onNoLogo() {
	p.logo = nil
	p.showLogo()
}

// onSave asks where to save, then saves.
func (p *reportPane) onSave() {
	if p.ws.u.writeReport == nil {
		p.ws.u.showError("Could not save the report", errors.New("this build has no report writer"))
		return
	}
	f := p.selectedFormat()
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil {
			p.ws.u.showError("Could not save the report", err)
			return
		}
		if wc != nil {
			p.saveTo(wc)
		}
	}, p.ws.u.w)
	d.SetFileName(p.ws.id + "-report." + f.code)
	d.Resize(fileDialogSize(p.ws.u.w))
	d.Show()
}

// saveTo gathers the report and writes it to wc off the UI goroutine.
// The document is rendered in memory first, so that a failure or a
// cancel never leaves a half-written file: the file the save dialog
// created is removed instead.
func (p *reportPane) saveTo(wc fyne.URIWriteCloser) {
	ws := p.ws
	writer := ws.u.writeReport
	if writer == nil || p.running != nil {
		_ = wc.Close()
		return
	}
	f, sections, logo, id := p.selectedFormat(), p.sections(), p.logo, ws.id
	if !f.sections {
		sections, logo = nil, nil
	}
	ctx, cancel := context.WithCancel(ws.u.ctx)
	p.running = cancel
	p.setRunning(true)
	p.say(widget.MediumImportance, "Gathering the incident…")
	progress := func(text string) {
		ws.u.do(func() {
			if p.running != nil && ctx.Err() == nil {
				p.say(widget.MediumImportance, text)
			}
		})
	}
	svc := ws.u.svc
	ws.jobs.write(func(wctx context.Context) func() {
		// The write's context ends when the window closes; ctx when the
		// user cancels. Either stops the work.
		stop := context.AfterFunc(wctx, cancel)
		defer stop()
		n, err := writeReport(ctx, svc, writer, id, f.code, sections, logo, wc, progress)
		cancel()
		return func() {
			p.running = nil
			p.setRunning(false)
			switch {
			case errors.Is(err, context.Canceled):
				p.say(widget.MediumImportance, "Cancelled: nothing was saved.")
			case err != nil:
				p.say(widget.WarningImportance, explain("Could not save the report", err).Error())
				ws.u.showError("Could not save the report", err)
			default:
				p.say(widget.SuccessImportance, fmt.Sprintf("Saved %s (%s).", wc.URI().Path(), byteSize(n)))
			}
		}
	})
}

// writeReport builds, renders and writes one report; on failure it closes
// and removes the target. It runs off the UI goroutine.
func writeReport(ctx context.Context, svc *app.Service, render ReportWriter, id, format string,
	sections []string, logo []byte, wc fyne.URIWriteCloser, progress func(string)) (int64, error) {
	fail := func(err error) (int64, error) {
		_ = wc.Close()
		if derr := storage.Delete(wc.URI()); derr != nil {
			fyne.LogError("remove unfinished report "+wc.URI().String(), derr)
		}
		return 0, err
	}
	r, err := svc.BuildReport(ctx, id)
	if err != nil {
		return fail(fmt.Errorf("gather the incident: %w", err))
	}
	r.Sections, r.Logo = sections, logo
	progress("Writing the " + strings.ToUpper(format) + " report…")
	var buf bytes.Buffer
	if err := render(ctx, r, format, &buf); err != nil {
		return fail(fmt.Errorf("render the %s report: %w", format, err))
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	progress("Saving the file…")
	if _, err := wc.Write(buf.Bytes()); err != nil {
		return fail(fmt.Errorf("write %s: %w", wc.URI().Name(), err))
	}
	if err := wc.Close(); err != nil {
		_ = storage.Delete(wc.URI())
		return 0, fmt.Errorf("write %s: %w", wc.URI().Name(), err)
	}
	return int64(buf.Len()), nil
}

// setRunning switches the pane between idle and saving.
func (p *reportPane) setRunning(on bool) {
	if on {
		p.save.Disable()
		p.cancel.Enable()
		p.cancel.Show()
		p.busy.Show()
		p.busy.Start()
	} else {
		p.save.Enable()
		p.cancel.Hide()
		p.busy.Stop()
		p.busy.Hide()
	}
	p.onFormat("")
}

// onCancel stops the save in progress.
func (p *reportPane) onCancel() {
	if p.running != nil {
		p.running()
		p.cancel.Disable()
		p.say(widget.MediumImportance, "Cancelling…")
	}
}

// say shows a status line above the buttons.
func (p *reportPane) say(imp widget.Importance, text string) {
	p.status.Importance = imp
	p.status.SetText(text)
	p.status.Show()
}
