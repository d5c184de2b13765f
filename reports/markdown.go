package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"s3responder/app"
)

// Markdown writes the report with the same content as the PDF, for wikis,
// tickets and diff-friendly archives. The timeline chart becomes a table
// of phases.
func Markdown(w io.Writer, r app.Report) error {
	d := buildDocument(r)
	bw := bufio.NewWriter(w)
	m := mdWriter{w: bw}
	m.document(d)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write Markdown: %w", err)
	}
	return nil
}

type mdWriter struct{ w *bufio.Writer }

func (m mdWriter) line(s string) {
	m.w.WriteString(s)
	m.w.WriteByte('\n')
}

func (m mdWriter) document(d document) {
	if d.exercise {
		m.line("> **EXERCISE — NOT A REAL INCIDENT**")
		m.line("")
	}
	m.line("**" + mdEscape(d.banner) + "**")
	m.line("")
	m.line("# Post-incident report: " + mdEscape(d.title))
	m.line("")
	rows := make([][]cell, 0, len(d.cover)/2)
	for i := 0; i+1 < len(d.cover); i += 2 {
		rows = append(rows, []cell{d.cover[i], d.cover[i+1]})
	}
	m.table(table{keyValue: true, cols: []column{{}, {}}, rows: rows})
	m.line("## Contents")
	m.line("")
	for i, s := range d.sections {
		m.line(fmt.Sprintf("%d. [%s](#%s)", i+1, mdEscape(s.title), anchor(fmt.Sprintf("%d. %s", i+1, s.title))))
	}
	if len(d.sections) == 0 {
		m.line("_No section was selected for this report._")
	}
	m.line("")
	for i, s := range d.sections {
		m.line(fmt.Sprintf("## %d. %s", i+1, mdEscape(s.title)))
		m.line("")
		for _, b := range s.blocks {
			switch b := b.(type) {
			case heading:
				m.line("### " + mdEscape(b.text))
				m.line("")
			case paragraph:
				m.line(styled(cell(b), false))
				m.line("")
			case bulletList:
				for _, it := range b.items {
					m.line("- " + mdInline(it))
				}
				m.line("")
			case table:
				m.table(b)
			case phaseChart:
				m.chart(b)
			}
		}
	}
	m.line("---")
	m.line("")
	m.line(fmt.Sprintf("_%s · as of %s_", mdEscape(d.id), d.generated))
}

// anchor is the id GitHub-style renderers give a heading.
func anchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdEscape keeps user text literal: characters Markdown would read as
// formatting are escaped.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>#|~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdInline escapes text for one line: newlines become hard breaks.
func mdInline(s string) string {
	return strings.ReplaceAll(mdEscape(strings.TrimRight(s, "\n")), "\n", "<br>")
}

// mdCode wraps text as inline code, choosing a fence longer than any run
// of backticks inside it.
func mdCode(s string) string {
	run, longest := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	return fence + " " + s + " " + fence
}

func styled(c cell, mono bool) string {
	if strings.TrimSpace(c.text) == "" {
		return ""
	}
	if mono {
		var parts []string
		for _, l := range strings.Split(strings.TrimRight(c.text, "\n"), "\n") {
			if l == "" {
				continue
			}
			// Pipes inside code spans still end a table cell.
			parts = append(parts, strings.ReplaceAll(mdCode(l), "|", "\\|"))
		}
		return strings.Join(parts, "<br>")
	}
	s := mdInline(c.text)
	switch c.tone {
	case toneMuted:
		return "_" + s + "_"
	case toneAlert, toneStrong:
		return "**" + s + "**"
	}
	return s
}

func (m mdWriter) table(t table) {
	n := len(t.cols)
	if t.keyValue {
		m.line("| | |")
		m.line("|---|---|")
	} else {
		heads := make([]string, n)
		for i, c := range t.cols {
			heads[i] = mdInline(c.title)
		}
		m.line("| " + strings.Join(heads, " | ") + " |")
		m.line("|" + strings.Repeat("---|", n))
	}
	for _, row := range t.rows {
		cells := make([]string, n)
		for i := 0; i < n && i < len(row); i++ {
			c := row[i]
			if t.keyValue && i == 0 {
				c.tone = toneStrong
			}
			cells[i] = styled(c, t.cols[i].mono)
		}
		m.line("| " + strings.Join(cells, " | ") + " |")
	}
	m.line("")
}

func (m mdWriter) chart(c phaseChart) {
	t := table{cols: []column{{title: "Phase"}, {title: "From (UTC)"}, {title: "To (UTC)"}, {title: "Duration"}}}
	for _, b := range c.bars {
		to, dur := fmtUTC(b.to), fmtDuration(b.to.Sub(b.from))
		if b.ongoing {
			to, dur = "ongoing", dur+" so far"
		}
		t.rows = append(t.rows, []cell{plain(b.name), plain(fmtUTC(b.from)), plain(to), plain(dur)})
	}
	for _, name := range c.missing {
		t.rows = append(t.rows, []cell{plain(name), muted("not started"), plain(""), plain("")})
	}
	m.table(t)
	m.line(fmt.Sprintf("%s and %s between %s and %s.", titleCase(plural(len(c.entries), "timeline entry", "timeline entries")),
		plural(len(c.comms), "communication", "communications"), fmtUTC(c.start), fmtUTC(c.end)))
	if !c.reported.IsZero() {
		m.line("")
		m.line("Reported at " + c.reported.UTC().Format(time.RFC3339) + ".")
	}
	m.line("")
}
