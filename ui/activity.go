package ui

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
	"s3responder/trail"
)

// activityPane compares the activity on a bucket before and after the
// mitigations (step 4.6), from the CloudTrail events the incident's
// evidence holds: the verdict in words, then a chart of events per bin
// stacked by principal, the mitigations marked. The times may be left
// empty: the incident's containment time or its changes fill them in.
type activityPane struct {
	ws *workspace

	bucket  *widget.SelectEntry
	before  *widget.Entry
	after   *widget.Entry
	compare *widget.Button
	verdict *widget.Label
	reasons *widget.Label
	chart   *activityChart
	legend  *fyne.Container
	root    fyne.CanvasObject
}

func newActivityPane(ws *workspace) pane {
	p := &activityPane{ws: ws}
	p.bucket = widget.NewSelectEntry(nil)
	p.bucket.SetPlaceHolder("bucket")
	p.before = widget.NewEntry()
	p.before.SetPlaceHolder("end of the period before (default: containment)")
	p.after = widget.NewEntry()
	p.after.SetPlaceHolder("start of the period after (default: last change)")
	p.compare = widget.NewButtonWithIcon("Compare", theme.SearchIcon(), p.onCompare)
	p.compare.Importance = widget.HighImportance
	p.verdict = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.reasons = widget.NewLabel("Compares the bucket's CloudTrail events in the evidence (Athena results, CloudTrail analyses limited to the bucket) before and after the mitigations.")
	p.reasons.Wrapping = fyne.TextWrapWord
	p.chart = newActivityChart()
	p.legend = container.NewGridWithColumns(2)
	form := container.New(layout.NewFormLayout(),
		widget.NewLabel("Bucket"), p.bucket,
		widget.NewLabel("Before"), p.before,
		widget.NewLabel("After"), p.after,
	)
	top := container.NewVBox(form, container.NewBorder(nil, nil, nil, p.compare), widget.NewSeparator(), p.verdict, p.reasons)
	bottom := container.NewVBox(p.chart.caption, p.legend)
	p.root = container.NewBorder(container.NewPadded(top), container.NewPadded(bottom), nil, nil, container.NewPadded(p.chart))
	return p
}

func (p *activityPane) object() fyne.CanvasObject { return p.root }

// show offers the incident's buckets.
func (p *activityPane) show(c app.Case, _ *app.Playbook) {
	p.bucket.SetOptions(c.Incident.Buckets)
	if p.bucket.Text == "" && len(c.Incident.Buckets) > 0 {
		p.bucket.SetText(c.Incident.Buckets[0])
	}
}

// onCompare reads the evidence off the UI goroutine and shows the result.
func (p *activityPane) onCompare() {
	q := app.ActivityQuery{Bucket: strings.TrimSpace(p.bucket.Text)}
	for _, f := range []struct {
		name string
		e    *widget.Entry
		dst  *time.Time
	}{{"before", p.before, &q.Before}, {"after", p.after, &q.After}} {
		if v := strings.TrimSpace(f.e.Text); v != "" {
			t, err := trail.ParseTime(v, false)
			if err != nil {
				p.ws.u.showError("Compare activity", fmt.Errorf("%w: %s: %v", app.ErrInvalid, f.name, err))
				return
			}
			*f.dst = t
		}
	}
	svc, id := p.ws.u.svc, p.ws.id
	p.compare.Disable()
	p.ws.jobs.read("activity", func(ctx context.Context) func() {
		rep, err := svc.Activity(ctx, id, q)
		return func() {
			p.compare.Enable()
			if err != nil {
				p.ws.u.showError("Compare activity", err)
				return
			}
			p.set(rep)
		}
	})
}

// set shows a comparison.
func (p *activityPane) set(rep app.ActivityReport) {
	p.verdict.SetText(fmt.Sprintf("Activity on %s: %s", rep.Bucket, strings.ToUpper(rep.Verdict)))
	switch rep.Verdict {
	case app.ActivityContinues:
		p.verdict.Importance = widget.DangerImportance
	case app.ActivityStopped:
		p.verdict.Importance = widget.SuccessImportance
	default:
		p.verdict.Importance = widget.WarningImportance
	}
	p.verdict.Refresh()
	p.reasons.SetText(strings.Join(rep.Reasons, "\n"))
	p.chart.set(rep)
	p.legend.RemoveAll()
	for i, s := range p.chart.series {
		sw := canvas.NewRectangle(p.chart.colors[i])
		sw.SetMinSize(fyne.NewSize(14, 14))
		text := fmt.Sprintf("%s: %d before, %d after", s.Principal, s.BeforeEvents, s.AfterEvents)
		if s.Suspect {
			text += " (named in the incident)"
		}
		p.legend.Add(container.NewHBox(container.NewCenter(sw), widget.NewLabel(text)))
	}
}

// maxChartSeries is how many principals the chart tells apart; the rest
// are drawn together as "others".
const maxChartSeries = 7

// activityChart draws the events of each bin as bars stacked by
// principal, with a line where the mitigations took effect (two lines and
// a shaded band when they took a while).
type activityChart struct {
	widget.BaseWidget
	rep     app.ActivityReport
	series  []app.ActivitySeries
	colors  []color.Color
	caption *widget.Label
}

func newActivityChart() *activityChart {
	c := &activityChart{caption: lowLabel("")}
	c.ExtendBaseWidget(c)
	return c
}

// chartPalette colours the principals after the suspects' red.
var chartPalette = []color.NRGBA{
	{R: 0x29, G: 0x79, B: 0xff, A: 0xff}, {R: 0x00, G: 0x96, B: 0x88, A: 0xff}, {R: 0xff, G: 0x98, B: 0x00, A: 0xff},
	{R: 0x9c, G: 0x27, B: 0xb0, A: 0xff}, {R: 0x79, G: 0x55, B: 0x48, A: 0xff}, {R: 0x60, G: 0x7d, B: 0x8b, A: 0xff},
	{R: 0xcd, G: 0xdc, B: 0x39, A: 0xff},
}

func (c *activityChart) set(rep app.ActivityReport) {
	c.rep = rep
	c.series = rep.Series
	if len(c.series) > maxChartSeries {
		others := app.ActivitySeries{Principal: fmt.Sprintf("%d others", len(c.series)-maxChartSeries+1), Bins: make([]app.ActivityBin, len(c.series[0].Bins))}
		for _, s := range c.series[maxChartSeries-1:] {
			for i, b := range s.Bins {
				others.Bins[i].Start = b.Start
				others.Bins[i].Events += b.Events
			}
			others.BeforeEvents += s.BeforeEvents
			others.AfterEvents += s.AfterEvents
		}
		c.series = append(append([]app.ActivitySeries{}, c.series[:maxChartSeries-1]...), others)
	}
	c.colors = nil
	next := 0
	for _, s := range c.series {
		if s.Suspect {
			c.colors = append(c.colors, theme.Color(theme.ColorNameError))
			continue
		}
		c.colors = append(c.colors, chartPalette[next%len(chartPalette)])
		next++
	}
	starts := rep.BinStarts()
	if len(starts) == 0 {
		c.caption.SetText("")
	} else {
		peak := int64(0)
		for i := range starts {
			peak = max(peak, c.total(i))
		}
		end := starts[len(starts)-1].Add(time.Duration(rep.BinSeconds) * time.Second)
		c.caption.SetText(fmt.Sprintf("Events per %s on %s from %s to %s (tallest bar: %s); the line marks the mitigations at %s.",
			binName(rep.BinSeconds), rep.Bucket, trail.When(starts[0]), trail.When(end), trail.Count(peak), trail.When(rep.After)))
	}
	c.Refresh()
}

// total is all events of bin i.
func (c *activityChart) total(i int) int64 {
	var n int64
	for _, s := range c.series {
		n += s.Bins[i].Events
	}
	return n
}

func (c *activityChart) CreateRenderer() fyne.WidgetRenderer { return &activityRenderer{c: c} }

type activityRenderer struct {
	c *activityChart
	// bars[i][j] is series j's part of bin i.
	bars [][]*canvas.Rectangle
	band *canvas.Rectangle
	cuts [2]*canvas.Rectangle
	objs []fyne.CanvasObject
}

func (r *activityRenderer) MinSize() fyne.Size { return fyne.NewSize(240, 140) }

// x is where a time falls on a chart of the given width.
func (r *activityRenderer) x(t time.Time, width float32) float32 {
	starts := r.c.rep.BinStarts()
	if len(starts) == 0 {
		return 0
	}
	span := time.Duration(len(starts)) * time.Duration(r.c.rep.BinSeconds) * time.Second
	f := float32(t.Sub(starts[0])) / float32(span)
	return min(max(f, 0), 1) * width
}

func (r *activityRenderer) Layout(size fyne.Size) {
	if r.needsRebuild() {
		r.rebuild()
	}
	n := len(r.bars)
	peak := int64(1)
	for i := range n {
		peak = max(peak, r.c.total(i))
	}
	w := size.Width / float32(max(1, n))
	for i, stack := range r.bars {
		y := size.Height
		for j, b := range stack {
			h := size.Height * float32(r.c.series[j].Bins[i].Events) / float32(peak)
			y -= h
			b.Move(fyne.NewPos(float32(i)*w, y))
			b.Resize(fyne.NewSize(max(1, w-1), h))
		}
	}
	before, after := r.x(r.c.rep.Before, size.Width), r.x(r.c.rep.After, size.Width)
	r.band.Move(fyne.NewPos(before, 0))
	r.band.Resize(fyne.NewSize(after-before, size.Height))
	for i, x := range []float32{before, after} {
		r.cuts[i].Move(fyne.NewPos(x-1, 0))
		r.cuts[i].Resize(fyne.NewSize(2, size.Height))
	}
}

func (r *activityRenderer) needsRebuild() bool {
	if r.band == nil || len(r.bars) != len(r.c.rep.BinStarts()) {
		return true
	}
	return len(r.bars) > 0 && len(r.bars[0]) != len(r.c.series)
}

func (r *activityRenderer) rebuild() {
	r.bars, r.objs = nil, nil
	fg := theme.Color(theme.ColorNameForeground)
	fr, fgg, fb, _ := fg.RGBA()
	r.band = canvas.NewRectangle(color.NRGBA{R: uint8(fr >> 8), G: uint8(fgg >> 8), B: uint8(fb >> 8), A: 0x18})
	r.objs = append(r.objs, r.band)
	for range r.c.rep.BinStarts() {
		var stack []*canvas.Rectangle
		for j := range r.c.series {
			b := canvas.NewRectangle(r.c.colors[j])
			stack = append(stack, b)
			r.objs = append(r.objs, b)
		}
		r.bars = append(r.bars, stack)
	}
	for i := range r.cuts {
		r.cuts[i] = canvas.NewRectangle(fg)
		r.objs = append(r.objs, r.cuts[i])
	}
	if len(r.bars) == 0 {
		r.band.Hide()
		r.cuts[0].Hide()
		r.cuts[1].Hide()
	}
}

func (r *activityRenderer) Refresh() {
	r.rebuild()
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

func (r *activityRenderer) Objects() []fyne.CanvasObject {
	if r.needsRebuild() {
		r.rebuild()
	}
	return r.objs
}

func (r *activityRenderer) Destroy() {}
