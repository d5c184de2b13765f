package reports

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"s3responder/app"
)

// The document model sits between app.Report and the renderers: every
// sentence, table and chart is decided here once, so the PDF and the
// Markdown carry the same content and differ only in how they draw it.

// tone is how a piece of text should stand out.
type tone int

const (
	toneNormal tone = iota
	// toneMuted is for placeholders such as "none recorded yet".
	toneMuted
	// toneAlert is for what a reader must not miss: overdue items, a
	// timeline that does not verify.
	toneAlert
	// toneStrong is for emphasis without alarm.
	toneStrong
)

type cell struct {
	text string
	tone tone
}

type column struct {
	title string
	// width is relative; the renderer scales the columns to the page.
	width float64
	// mono cells hold hashes, ids and commands: a fixed-width font keeps
	// long hex strings readable and comparable.
	mono bool
}

type table struct {
	cols []column
	rows [][]cell
	// keyValue tables have no header; their first column is a label.
	keyValue bool
}

type heading struct{ text string }

type paragraph struct {
	text string
	tone tone
}

type bulletList struct{ items []string }

// phaseBar is one phase of the response in the timeline chart.
type phaseBar struct {
	name     string
	from, to time.Time
	// ongoing bars started but have not ended at the time of the report;
	// they run to the end of the chart.
	ongoing bool
}

// phaseChart is the incident drawn over time: phases as bars, timeline
// entries and communications as ticks.
type phaseChart struct {
	start, end time.Time
	bars       []phaseBar
	// missing names phases that have not started, for the legend.
	missing  []string
	reported time.Time
	entries  []time.Time
	comms    []time.Time
}

// block is one of heading, paragraph, bulletList, table, phaseChart.
type block any

type section struct {
	id     string
	title  string
	blocks []block
}

type document struct {
	title    string
	id       string
	exercise bool
	// banner is the classification line printed on every page.
	banner    string
	generated string
	cover     []cell // pairs: label, value
	sections  []section
}

// sectionTitles names the selectable sections (app.ReportSections).
var sectionTitles = map[string]string{
	"summary":        "Executive summary",
	"metrics":        "Key metrics and durations",
	"timeline-chart": "Timeline chart",
	"timeline":       "Full timeline",
	"resources":      "Affected resources",
	"findings":       "Findings",
	"actions":        "Actions taken",
	"evidence":       "Evidence and chain of custody",
	"playbook":       "Playbook completion",
	"communications": "Stakeholders, communications and deadlines",
	"lessons":        "Lessons learned",
	"action-items":   "Action items",
	"appendix":       "Appendix: configuration before and after",
}

const noneYet = "None recorded yet."

// Evidence kinds the report treats specially.
const (
	kindSnapshot     = app.EvidenceSnapshot
	kindTrailSummary = app.EvidenceTrailSummary
	kindExposure     = app.EvidenceExposure
)

// builder carries what every section needs.
type builder struct {
	r   app.Report
	inc app.Incident
	loc *time.Location
	// local is false when the incident's zone is UTC, so times are not
	// printed twice.
	local bool
}

func buildDocument(r app.Report) document {
	inc := r.Case.Incident
	b := builder{r: r, inc: inc, loc: inc.Location()}
	b.local = b.loc != time.UTC && b.loc.String() != "UTC"
	d := document{
		title:     orDefault(inc.Title, "Untitled incident"),
		id:        inc.ID,
		exercise:  inc.Exercise,
		banner:    banner(inc),
		generated: fmtUTC(r.GeneratedAt),
	}
	d.cover = b.cover()
	builders := map[string]func() []block{
		"summary": b.summary, "metrics": b.metrics, "timeline-chart": b.chart, "timeline": b.timeline,
		"resources": b.resources, "findings": b.findings, "actions": b.actions, "evidence": b.evidence,
		"playbook": b.playbook, "communications": b.communications, "lessons": b.lessons,
		"action-items": b.actionItems, "appendix": b.appendix,
	}
	for _, id := range app.ReportSections {
		build, ok := builders[id]
		if !ok || !r.Includes(id) {
			continue
		}
		d.sections = append(d.sections, section{id: id, title: sectionTitles[id], blocks: build()})
	}
	return d
}

func banner(inc app.Incident) string {
	c := strings.ToUpper(strings.TrimSpace(inc.Classification))
	if c == "" {
		c = "CLASSIFICATION NOT SET"
	}
	if inc.Exercise {
		return "EXERCISE · " + c
	}
	return c
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// ---------------------------------------------------------------- times

func fmtUTC(t time.Time) string {
	if t.IsZero() {
		return "not recorded"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func (b builder) fmtLocal(t time.Time) string {
	if t.IsZero() {
		return "not recorded"
	}
	return t.In(b.loc).Format("2006-01-02 15:04:05 MST")
}

// both gives a time in UTC and, when the incident has another zone, in
// that zone too; readers in the incident's office think in local time.
func (b builder) both(t time.Time) string {
	if t.IsZero() {
		return "not recorded"
	}
	if !b.local {
		return fmtUTC(t)
	}
	return fmtUTC(t) + " (" + b.fmtLocal(t) + ")"
}

// fmtDuration writes a duration the way people say it: "3 h 20 min".
func fmtDuration(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	mins := int(d % time.Hour / time.Minute)
	secs := int(d % time.Minute / time.Second)
	var s string
	switch {
	case days > 0:
		s = fmt.Sprintf("%d d %d h", days, hours)
		if days < 3 && mins > 0 {
			s += fmt.Sprintf(" %d min", mins)
		}
	case hours > 0:
		s = fmt.Sprintf("%d h %d min", hours, mins)
	case mins > 0:
		s = fmt.Sprintf("%d min", mins)
		if mins < 10 && secs > 0 {
			s += fmt.Sprintf(" %d s", secs)
		}
	default:
		s = fmt.Sprintf("%d s", secs)
	}
	if neg {
		return "minus " + s
	}
	return s
}

func muted(s string) cell  { return cell{text: s, tone: toneMuted} }
func plain(s string) cell  { return cell{text: s} }
func strong(s string) cell { return cell{text: s, tone: toneStrong} }

func timeCell(t time.Time, text string) cell {
	if t.IsZero() {
		return muted("not recorded")
	}
	return plain(text)
}

// list joins names for a sentence: "a", "a and b", "a, b and c", and
// "a, b, c and 4 more" past max.
func list(items []string, max int) string {
	if len(items) > max {
		return strings.Join(items[:max], ", ") + fmt.Sprintf(" and %d more", len(items)-max)
	}
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// ---------------------------------------------------------------- cover

func (b builder) cover() []cell {
	inc := b.inc
	kind := "Real incident"
	if inc.Exercise {
		kind = "Exercise (not a real incident)"
	}
	pb := inc.Playbook
	chain := fmt.Sprintf("Verifies (%s)", plural(len(b.r.Timeline), "entry", "entries"))
	chainTone := toneNormal
	if !b.r.ChainOK {
		chain, chainTone = "DOES NOT VERIFY: "+b.r.ChainProblem, toneAlert
	}
	// The full head, not a prefix: kept outside the database, it is what
	// "verify ID --head HASH" checks a later copy against.
	head := fmt.Sprintf("entry %d, sha256 %s (keep it apart from the database: the head option of the verify command checks a database against it)", b.r.Head.Seq, b.r.Head.Hash)
	rows := []cell{
		plain("Incident"), strong(inc.ID),
		plain("Type"), plain(kind),
		plain("Severity"), plain(inc.Severity.Describe()),
		plain("Classification"), plain(orDefault(inc.Classification, "not set")),
		plain("Status"), plain(string(inc.Status)),
		plain("Ticket"), plain(orDefault(inc.Ticket, "none")),
		plain("Opened"), plain(b.both(inc.CreatedAt)),
		plain("Detected"), timeCell(inc.Times.Detected, b.both(inc.Times.Detected)),
		plain("Closed"), timeCell(inc.Times.Closed, b.both(inc.Times.Closed)),
		plain("Report as of"), plain(b.both(b.r.GeneratedAt)),
		plain("Time zone"), plain(orDefault(inc.TimeZone, "UTC")),
		plain("Playbook"), plain(fmt.Sprintf("%s version %s, sha256 %s", pb.ID, pb.Version, pb.SHA256)),
		plain("Timeline integrity"), {text: chain, tone: chainTone},
		plain("Chain head"), plain(head),
	}
	return rows
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12] + "…"
	}
	if hash == "" {
		return "empty"
	}
	return hash
}

// ---------------------------------------------------------------- data views

func (b builder) evidenceOf(kinds ...string) []app.Evidence {
	var out []app.Evidence
	for _, ev := range b.r.Evidence {
		if slices.Contains(kinds, ev.Kind) {
			out = append(out, ev)
		}
	}
	return out
}

func (b builder) entriesOf(kind app.Kind) []app.Entry {
	var out []app.Entry
	for _, e := range b.r.Timeline {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// progress counts resolved and applicable leaf steps over every part.
func (b builder) progress() (resolved, total int) {
	pb := b.r.Playbook
	if pb == nil {
		return 0, 0
	}
	for _, part := range pb.Parts {
		r, t := pb.Progress(b.r.Case, part.ID)
		resolved, total = resolved+r, total+t
	}
	return resolved, total
}

func (b builder) overdue() (open, overdue int) {
	for _, a := range b.inc.Review.ActionItems {
		if a.Status != "done" {
			open++
		}
		if a.Overdue(b.r.GeneratedAt) {
			overdue++
		}
	}
	return open, overdue
}

// splitCLI separates the AWS CLI equivalents of an action from its prose:
// refs of the form "aws ..." or "cli:...", and text lines starting with
// "aws " or "$ aws ".
func splitCLI(e app.Entry) (text string, cmds []string) {
	for _, ref := range e.Refs {
		switch {
		case strings.HasPrefix(ref, "aws "):
			cmds = append(cmds, ref)
		case strings.HasPrefix(ref, "cli:"):
			cmds = append(cmds, strings.TrimSpace(strings.TrimPrefix(ref, "cli:")))
		}
	}
	var prose []string
	for _, line := range strings.Split(e.Text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "$ aws "):
			cmds = append(cmds, strings.TrimPrefix(t, "$ "))
		case strings.HasPrefix(t, "aws "):
			cmds = append(cmds, t)
		default:
			prose = append(prose, line)
		}
	}
	return strings.TrimSpace(strings.Join(prose, "\n")), cmds
}

// plainRefs are the refs that are not CLI commands, for display.
func plainRefs(e app.Entry) []string {
	var out []string
	for _, ref := range e.Refs {
		if !strings.HasPrefix(ref, "aws ") && !strings.HasPrefix(ref, "cli:") {
			out = append(out, ref)
		}
	}
	return out
}

func sourceText(s app.Source) string {
	var parts []string
	if s.API != "" {
		parts = append(parts, s.API)
	}
	if s.Account != "" {
		parts = append(parts, "account "+s.Account)
	}
	if s.Region != "" {
		parts = append(parts, s.Region)
	}
	keys := make([]string, 0, len(s.Params))
	for k := range s.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+s.Params[k])
	}
	if s.File != "" {
		parts = append(parts, "file "+s.File)
	}
	if len(parts) == 0 {
		return "source not recorded"
	}
	return strings.Join(parts, ", ")
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
