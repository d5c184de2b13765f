package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"s3responder/app"
)

// wallLayouts are the wall-clock forms a person types, read in the
// incident's time zone. RFC 3339 (with its own offset) is accepted too.
var wallLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"}

// wallFormat is how times are shown in entries, so that what is shown can
// be edited and saved back unchanged.
const wallFormat = "2006-01-02 15:04"

// parseWhen reads a time typed by the user: RFC 3339, or "2006-01-02 15:04"
// in loc (the incident's zone, where the responder's notes live).
func parseWhen(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("%w: enter a time, e.g. 2026-03-01 14:30", app.ErrInvalid)
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range wallLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %q is not a time: write 2026-03-01 14:30 (%s) or RFC 3339 such as 2026-03-01T14:30:00Z",
		app.ErrInvalid, s, zoneName(loc))
}

// parseDue reads a due date: a time as parseWhen takes it, or a bare date,
// which means the end of that day in loc (an item due on the 3rd is not
// late on the morning of the 3rd).
func parseDue(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return d.AddDate(0, 0, 1).Add(-time.Minute), nil
	}
	t, err := parseWhen(s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: due date %q: write 2026-03-01, 2026-03-01 17:00 (%s) or RFC 3339",
			app.ErrInvalid, s, zoneName(loc))
	}
	return t, nil
}

// formatWhen shows t in loc as wallFormat, empty for the zero time.
func formatWhen(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(wallFormat)
}

// formatDue shows a due time as parseDue reads it back: a bare date for
// the end of a day, the date and time otherwise.
func formatDue(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	l := t.In(loc)
	if l.Hour() == 23 && l.Minute() == 59 {
		return l.Format(time.DateOnly)
	}
	return l.Format(wallFormat)
}

// formatWhenZone is formatWhen with the zone abbreviation, for read-only text.
func formatWhenZone(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "not set"
	}
	return t.In(loc).Format(wallFormat + " MST")
}

// zoneName names a location for people: UTC rather than an empty name.
func zoneName(loc *time.Location) string {
	if loc == nil || loc.String() == "" {
		return "UTC"
	}
	return loc.String()
}

// humanDuration writes d in hours and minutes ("71h 59m"): deadlines such
// as a regulator's are counted in hours, and so are incident metrics.
func humanDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d/time.Minute))
	default:
		d = d.Truncate(time.Minute)
		s = fmt.Sprintf("%dh %02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	if neg {
		return "-" + s
	}
	return s
}

// columns lays cells out in one row: a cell with weight 0 gets its minimum
// width, the others share what is left in proportion to their weights.
// Rows built with the same weights line up as a table, and text cells
// (truncated labels) shrink instead of pushing the row wider than the pane.
type columns struct{ weights []float32 }

func (c columns) weight(i int) float32 {
	if i < len(c.weights) {
		return c.weights[i]
	}
	return 1
}

func (c columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	visible := 0
	for i, o := range objs {
		if !o.Visible() {
			continue
		}
		visible++
		m := o.MinSize()
		s.Height = max(s.Height, m.Height)
		if c.weight(i) == 0 {
			s.Width += m.Width
		} else {
			// Enough for an ellipsis and a few letters.
			s.Width += min(m.Width, 4*theme.TextSize())
		}
	}
	if visible > 1 {
		s.Width += float32(visible-1) * theme.Padding()
	}
	return s
}

func (c columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var fixed, total float32
	visible := 0
	for i, o := range objs {
		if !o.Visible() {
			continue
		}
		visible++
		if w := c.weight(i); w == 0 {
			fixed += o.MinSize().Width
		} else {
			total += w
		}
	}
	if visible > 1 {
		fixed += float32(visible-1) * theme.Padding()
	}
	free := max(size.Width-fixed, 0)
	x := float32(0)
	for i, o := range objs {
		if !o.Visible() {
			continue
		}
		w := o.MinSize().Width
		if cw := c.weight(i); cw > 0 {
			w = free * cw / total
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + theme.Padding()
	}
}
