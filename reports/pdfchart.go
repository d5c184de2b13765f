package reports

import (
	"fmt"
	"time"
)

// Phase colours: full for a finished phase, pale for one still running.
var phaseColors = map[string][2]rgb{
	"Containment": {{196, 62, 48}, {238, 196, 190}},
	"Eradication": {{214, 140, 30}, {244, 220, 180}},
	"Recovery":    {{48, 130, 90}, {190, 224, 205}},
	"Closure":     {{70, 90, 130}, {200, 208, 225}},
}

// chart draws the phases of the response as bars on a time axis, with a
// row of ticks for timeline entries and one for communications. Ticks
// closer than a fraction of a millimetre are drawn once, so ten thousand
// entries cost a few hundred strokes.
func (d *pdfDoc) chart(c phaseChart) {
	const (
		labelW = 36.0
		rowH   = 8.0
		barH   = 5.0
	)
	rows := []string{"Containment", "Eradication", "Recovery", "Closure", "Timeline entries", "Communications"}
	height := float64(len(rows))*rowH + 19
	d.ensure(height)
	x0 := marginX + labelW
	plotW := contentW - labelW - 2
	span := c.end.Sub(c.start)
	xOf := func(t time.Time) float64 {
		if span <= 0 {
			return x0
		}
		f := float64(t.Sub(c.start)) / float64(span)
		return x0 + plotW*min(max(f, 0), 1)
	}
	top := d.y + 3 // room for the "reported" label
	bars := map[string]phaseBar{}
	for _, b := range c.bars {
		bars[b.name] = b
	}
	d.f.SetDrawColor(colRule.r, colRule.g, colRule.b)
	d.f.SetLineWidth(0.1)
	for i, name := range rows {
		y := top + float64(i)*rowH
		if i%2 == 0 {
			d.fillRect(colZebra, marginX, y, contentW, rowH)
		}
		d.toneFont(toneNormal, sizeTable)
		d.text(marginX+1, y+(rowH-sizeTable*ptToMM)/2-0.4, name)
		by := y + (rowH-barH)/2
		switch name {
		case "Timeline entries":
			d.ticks(c.entries, xOf, by, barH, colAccent)
		case "Communications":
			d.ticks(c.comms, xOf, by, barH, rgb{120, 60, 140})
		default:
			b, ok := bars[name]
			if !ok {
				d.toneFont(toneMuted, sizeTable)
				d.text(x0+1, y+(rowH-sizeTable*ptToMM)/2-0.4, "not started")
				continue
			}
			col := phaseColors[name]
			fill := col[0]
			if b.ongoing {
				fill = col[1]
			}
			bx, bw := xOf(b.from), max(xOf(b.to)-xOf(b.from), 0.6)
			d.fillRect(fill, bx, by, bw, barH)
			label := fmtDuration(b.to.Sub(b.from))
			if b.ongoing {
				label = "ongoing, " + label + " so far"
			}
			d.setFont(sans, "", sizeMono)
			lw := d.width(label)
			ly := y + (rowH-sizeMono*ptToMM)/2 - 0.3
			switch {
			case lw+2 < bw:
				if b.ongoing {
					d.color(colText)
				} else {
					d.color(rgb{255, 255, 255})
				}
				d.text(bx+1, ly, label)
			case bx+bw+1+lw <= x0+plotW:
				d.color(colText)
				d.text(bx+bw+1, ly, label)
			default:
				d.color(colText)
				d.text(max(bx-1-lw, x0), ly, label)
			}
		}
	}
	bottom := top + float64(len(rows))*rowH
	if !c.reported.IsZero() {
		x := xOf(c.reported)
		d.f.SetDrawColor(colAlert.r, colAlert.g, colAlert.b)
		d.f.SetLineWidth(0.2)
		d.f.SetDashPattern([]float64{0.8, 0.8}, 0)
		d.f.Line(x, top, x, bottom)
		d.f.SetDashPattern([]float64{}, 0)
		d.setFont(sans, "I", sizeMono)
		d.color(colAlert)
		d.text(x+0.6, top-2.6, "reported")
	}
	// Axis with five labelled ticks.
	d.f.SetDrawColor(colText.r, colText.g, colText.b)
	d.f.SetLineWidth(0.2)
	d.f.Line(x0, bottom, x0+plotW, bottom)
	d.setFont(sans, "", sizeMono)
	d.color(colText)
	layout := "15:04"
	if span > 20*time.Hour {
		layout = "2006-01-02 15:04"
	}
	for i := 0; i <= 4; i++ {
		t := c.start.Add(time.Duration(float64(span) * float64(i) / 4))
		x := x0 + plotW*float64(i)/4
		d.f.Line(x, bottom, x, bottom+1.2)
		label := t.UTC().Format(layout)
		lw := d.width(label)
		lx := min(max(x-lw/2, x0-labelW/2), x0+plotW-lw)
		d.text(lx, bottom+1.8, label)
	}
	d.setFont(sans, "I", sizeMono)
	d.color(colMuted)
	d.text(x0, bottom+5.5, fmt.Sprintf("UTC, from %s to %s", fmtUTC(c.start), fmtUTC(c.end)))
	d.y = bottom + 11
}

func (d *pdfDoc) ticks(ts []time.Time, xOf func(time.Time) float64, y, h float64, col rgb) {
	d.f.SetDrawColor(col.r, col.g, col.b)
	d.f.SetLineWidth(0.15)
	seen := map[int]bool{}
	for _, t := range ts {
		x := xOf(t)
		k := int(x * 4) // a quarter of a millimetre
		if seen[k] {
			continue
		}
		seen[k] = true
		d.f.Line(x, y, x, y+h)
	}
}
