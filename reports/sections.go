package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"s3responder/app"
)

// ---------------------------------------------------------------- summary

// summary is written for an executive: what happened, what it affects,
// where things stand, and whether the record can be trusted, in sentences
// generated from the data rather than copied from a template.
func (b builder) summary() []block {
	inc := b.inc
	var what strings.Builder
	if inc.Exercise {
		what.WriteString("This record is an exercise, not a real incident. ")
	}
	target := "one or more S3 buckets not identified yet"
	switch n := len(inc.Buckets); {
	case n == 1:
		target = "the S3 bucket " + inc.Buckets[0]
	case n > 1:
		target = fmt.Sprintf("%d S3 buckets (%s)", n, list(inc.Buckets, 5))
	}
	if len(inc.Accounts) == 1 {
		target += " in AWS account " + inc.Accounts[0]
	} else if len(inc.Accounts) > 1 {
		target += " in AWS accounts " + list(inc.Accounts, 5)
	}
	if det := inc.Times.Detected; !det.IsZero() {
		fmt.Fprintf(&what, "On %s, possible unintended access to %s was detected. ", b.both(det), target)
	} else {
		fmt.Fprintf(&what, "Possible unintended access to %s was reported; the time of detection is not recorded. ", target)
	}
	if inc.Application != "" {
		fmt.Fprintf(&what, "The data belongs to the application %s. ", inc.Application)
	}
	if inc.Classification != "" {
		fmt.Fprintf(&what, "The data is classified %s. ", inc.Classification)
	} else {
		what.WriteString("The classification of the data has not been recorded. ")
	}
	fmt.Fprintf(&what, "The response team rated the incident %s. ", inc.Severity.Describe())
	fmt.Fprintf(&what, "It is tracked as %s, “%s”", inc.ID, inc.Title)
	if inc.Ticket != "" {
		fmt.Fprintf(&what, ", ticket %s", inc.Ticket)
	}
	what.WriteString(".")

	var impact strings.Builder
	if len(inc.Principals) > 0 {
		fmt.Fprintf(&impact, "Principals involved: %s. ", list(inc.Principals, 5))
	} else {
		impact.WriteString("No principal has been identified yet. ")
	}
	findings := b.evidenceOf(kindExposure, kindTrailSummary)
	findingEntries := b.entriesOf(app.KindFinding)
	if n := len(findings) + len(findingEntries); n > 0 {
		var names []string
		for _, ev := range findings {
			names = append(names, ev.Title)
		}
		for _, e := range findingEntries {
			names = append(names, firstLine(e.Text, 80))
		}
		fmt.Fprintf(&impact, "%s recorded: %s. ", titleCase(plural(n, "finding is", "findings are")), list(names, 3))
	} else {
		impact.WriteString("No finding on exposure has been recorded yet, so whether data was actually read or changed is not established. ")
	}
	rv := inc.Review
	if rv.RootCause != "" {
		fmt.Fprintf(&impact, "Root cause: %s. ", strings.TrimRight(rv.RootCause, ". "))
	}
	if len(rv.AttackVectors) > 0 {
		fmt.Fprintf(&impact, "Attack vectors: %s. ", strings.Join(rv.AttackVectors, "; "))
	}
	if n := len(rv.Misconfigurations); n > 0 {
		fmt.Fprintf(&impact, "%s found. ", titleCase(plural(n, "misconfiguration was", "misconfigurations were")))
	}

	var status strings.Builder
	fmt.Fprintf(&status, "As of %s, the incident is %s. ", fmtUTC(b.r.GeneratedAt), inc.Status)
	ds := inc.Times.Durations()
	byTo := map[string]app.Duration{}
	for _, d := range ds {
		byTo[d.To] = d
	}
	if d := byTo["contained"]; d.Known {
		fmt.Fprintf(&status, "It was contained %s after detection. ", fmtDuration(d.Value))
	} else {
		status.WriteString("It has not been contained yet. ")
	}
	if d := byTo["eradicated"]; d.Known {
		fmt.Fprintf(&status, "Eradication took %s. ", fmtDuration(d.Value))
	}
	if d := byTo["recovered"]; d.Known {
		fmt.Fprintf(&status, "Recovery took %s. ", fmtDuration(d.Value))
	}
	if d := byTo["closed"]; d.Known {
		fmt.Fprintf(&status, "It was closed %s after detection. ", fmtDuration(d.Value))
	}
	if res, tot := b.progress(); tot > 0 {
		fmt.Fprintf(&status, "%d of %d applicable playbook steps are resolved", res, tot)
		if pb := b.r.Playbook; pb != nil && inc.CurrentPart >= 1 && inc.CurrentPart <= len(pb.Parts) && res < tot {
			fmt.Fprintf(&status, "; work is in Part %d (%s)", inc.CurrentPart, pb.Parts[inc.CurrentPart-1].Title)
		}
		status.WriteString(". ")
	}
	if n := len(rv.ActionItems); n > 0 {
		open, late := b.overdue()
		fmt.Fprintf(&status, "%s raised: %d still open, %d overdue. ", titleCase(plural(n, "action item was", "action items were")), open, late)
	}
	for _, dl := range rv.Deadlines {
		if left := dl.Remaining(b.r.GeneratedAt); left < 0 {
			fmt.Fprintf(&status, "The deadline “%s” was due %s and has passed. ", dl.Name, fmtUTC(dl.Due()))
		} else {
			fmt.Fprintf(&status, "The deadline “%s” is due %s, %s after this report. ", dl.Name, fmtUTC(dl.Due()), fmtDuration(left))
		}
	}
	if n := len(rv.Communications); n > 0 {
		var aud []string
		for _, c := range rv.Communications {
			if !slices.Contains(aud, c.Audience) {
				aud = append(aud, c.Audience)
			}
		}
		fmt.Fprintf(&status, "%s logged (%s).", titleCase(plural(n, "communication is", "communications are")), list(aud, 5))
	}

	integrity := paragraph{text: fmt.Sprintf("The timeline holds %s and every entry verifies against the hash chain (last hash %s). %s listed with their SHA-256.",
		plural(len(b.r.Timeline), "entry", "entries"), short(b.r.Head.Hash), titleCase(plural(len(b.r.Evidence), "evidence item is", "evidence items are")))}
	if !b.r.ChainOK {
		integrity = paragraph{tone: toneAlert, text: "WARNING: the timeline does not verify (" + b.r.ChainProblem +
			"). Entries may have been changed, removed or reordered after they were recorded: treat the timeline in this report with caution."}
	}
	return []block{
		heading{"What happened"}, paragraph{text: what.String()},
		heading{"Impact"}, paragraph{text: strings.TrimSpace(impact.String())},
		heading{"Current status"}, paragraph{text: strings.TrimSpace(status.String())},
		heading{"Integrity of this record"}, integrity,
	}
}

func firstLine(s string, max int) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

// ---------------------------------------------------------------- metrics

func (b builder) metrics() []block {
	inc := b.inc
	times := table{cols: []column{{title: "Moment", width: 2}, {title: "UTC", width: 3}, {title: "Local (" + orDefault(inc.TimeZone, "UTC") + ")", width: 3}}}
	for _, name := range app.KeyTimeNames {
		t := inc.Times.Get(name)
		times.rows = append(times.rows, []cell{plain(titleCase(name)), timeCell(t, fmtUTC(t)), timeCell(t, b.fmtLocal(t))})
	}
	durs := table{cols: []column{{title: "Interval", width: 3}, {title: "Duration", width: 2}}}
	for _, d := range inc.Times.Durations() {
		c := muted("not reached yet")
		if d.Known {
			c = plain(fmtDuration(d.Value))
			if d.Value < 0 {
				c = cell{text: fmtDuration(d.Value) + " (the key times are out of order)", tone: toneAlert}
			}
		}
		durs.rows = append(durs.rows, []cell{plain(d.Name), c})
	}
	res, tot := b.progress()
	open, late := b.overdue()
	rv := inc.Review
	counts := table{keyValue: true, cols: []column{{width: 2}, {width: 3}}, rows: [][]cell{
		{plain("Timeline entries"), plain(fmt.Sprint(len(b.r.Timeline)))},
		{plain("Evidence items"), plain(fmt.Sprint(len(b.r.Evidence)))},
		{plain("Actions taken"), plain(fmt.Sprint(len(b.entriesOf(app.KindAction))))},
		{plain("Findings"), plain(fmt.Sprint(len(b.evidenceOf(kindExposure, kindTrailSummary)) + len(b.entriesOf(app.KindFinding))))},
		{plain("Playbook steps resolved"), plain(fmt.Sprintf("%d of %d applicable", res, tot))},
		{plain("Action items"), plain(fmt.Sprintf("%d (%d open, %d overdue)", len(rv.ActionItems), open, late))},
		{plain("Communications logged"), plain(fmt.Sprint(len(rv.Communications)))},
		{plain("Stakeholders"), plain(fmt.Sprint(len(rv.Stakeholders)))},
	}}
	if late > 0 {
		counts.rows[5][1].tone = toneAlert
	}
	return []block{heading{"Key times"}, times, heading{"Durations"}, durs, heading{"Counts"}, counts}
}

// ---------------------------------------------------------------- chart

func (b builder) chart() []block {
	kt := b.inc.Times
	c := phaseChart{reported: kt.Reported}
	var all []time.Time
	add := func(t time.Time) {
		if !t.IsZero() {
			all = append(all, t)
		}
	}
	for _, name := range app.KeyTimeNames {
		add(kt.Get(name))
	}
	for _, e := range b.r.Timeline {
		c.entries = append(c.entries, e.EventTime)
		add(e.EventTime)
	}
	for _, m := range b.inc.Review.Communications {
		c.comms = append(c.comms, m.At)
		add(m.At)
	}
	closed := !kt.Closed.IsZero()
	if !closed {
		add(b.r.GeneratedAt)
	}
	if len(all) == 0 {
		return []block{paragraph{text: "Nothing to draw yet: no key time and no timeline entry is recorded.", tone: toneMuted}}
	}
	c.start, c.end = slices.MinFunc(all, time.Time.Compare), slices.MaxFunc(all, time.Time.Compare)
	if !c.end.After(c.start) {
		c.end = c.start.Add(time.Hour)
	}
	phases := []struct{ name, from, to string }{
		{"Containment", "detected", "contained"},
		{"Eradication", "contained", "eradicated"},
		{"Recovery", "eradicated", "recovered"},
		{"Closure", "recovered", "closed"},
	}
	for _, p := range phases {
		from, to := kt.Get(p.from), kt.Get(p.to)
		switch {
		case from.IsZero():
			c.missing = append(c.missing, p.name)
		case to.IsZero():
			c.bars = append(c.bars, phaseBar{name: p.name, from: from, to: c.end, ongoing: true})
		default:
			c.bars = append(c.bars, phaseBar{name: p.name, from: from, to: to})
		}
	}
	legend := "Each bar runs from the key time that starts a phase to the one that ends it; a pale bar has not ended at the time of this report. " +
		"Ticks below mark timeline entries and communications. Times are UTC."
	if len(c.missing) > 0 {
		legend += " Not started yet: " + strings.Join(c.missing, ", ") + "."
	}
	return []block{c, paragraph{text: legend, tone: toneMuted}}
}

// ---------------------------------------------------------------- timeline

// partOf returns the playbook part an entry belongs to: that of the first
// ref naming a step, 0 (General) otherwise.
func (b builder) partOf(e app.Entry) int {
	pb := b.r.Playbook
	if pb == nil {
		return 0
	}
	for _, ref := range e.Refs {
		if _, ok := pb.Step(ref); ok {
			if n := pb.PartNumber(ref); n > 0 {
				return n
			}
		}
	}
	return 0
}

func (b builder) whenCell(e app.Entry) cell {
	s := fmtUTC(e.EventTime)
	if b.local {
		s += "\n" + b.fmtLocal(e.EventTime)
	}
	// An entry written well after the fact is flagged: the gap matters to
	// anyone weighing the record.
	if d := e.RecordedAt.Sub(e.EventTime); d > time.Minute || d < -time.Minute {
		s += "\nrecorded " + fmtUTC(e.RecordedAt)
	}
	return plain(s)
}

func (b builder) timeline() []block {
	if len(b.r.Timeline) == 0 {
		return []block{paragraph{text: noneYet, tone: toneMuted}}
	}
	intro := "Times are UTC"
	if b.local {
		intro += " with the incident's time zone (" + b.inc.TimeZone + ") below"
	}
	intro += ". Entries are grouped by the playbook part they refer to; entries that refer to no step are under General. " +
		"The first column gives each entry's position in the hash chain and the start of its hash."
	blocks := []block{paragraph{text: intro}}
	groups := map[int][]app.Entry{}
	for _, e := range b.r.Timeline {
		n := b.partOf(e)
		groups[n] = append(groups[n], e)
	}
	var order []int
	for n := range groups {
		order = append(order, n)
	}
	// Parts in playbook order, General last.
	slices.SortFunc(order, func(x, y int) int {
		if x == 0 {
			return 1
		}
		if y == 0 {
			return -1
		}
		return x - y
	})
	for _, n := range order {
		entries := groups[n]
		title := "General"
		if n > 0 {
			title = fmt.Sprintf("Part %d: %s", n, b.r.Playbook.Parts[n-1].Title)
		}
		blocks = append(blocks, heading{fmt.Sprintf("%s (%s)", title, plural(len(entries), "entry", "entries"))})
		t := table{cols: []column{{title: "#", width: 1.3, mono: true}, {title: "When", width: 3.1}, {title: "Who and kind", width: 2.3},
			{title: "Entry", width: 9.3}}}
		t.rows = make([][]cell, 0, len(entries))
		for _, e := range entries {
			text := e.Text
			if refs := e.Refs; len(refs) > 0 {
				text += " [" + strings.Join(refs, ", ") + "]"
			}
			hash := e.Hash
			if len(hash) > 8 {
				hash = hash[:8]
			}
			t.rows = append(t.rows, []cell{plain(fmt.Sprintf("%d\n%s", e.Seq, hash)), b.whenCell(e), plain(e.Actor + "\n" + string(e.Kind)), plain(text)})
		}
		blocks = append(blocks, t)
	}
	return blocks
}

// ---------------------------------------------------------------- resources

func (b builder) resources() []block {
	inc := b.inc
	lines := func(items []string) cell {
		if len(items) == 0 {
			return muted("none recorded")
		}
		return plain(strings.Join(items, "\n"))
	}
	one := func(s string) cell {
		if strings.TrimSpace(s) == "" {
			return muted("not recorded")
		}
		return plain(s)
	}
	return []block{table{keyValue: true, cols: []column{{width: 2}, {width: 5}}, rows: [][]cell{
		{plain("AWS accounts"), lines(inc.Accounts)},
		{plain("S3 buckets"), lines(inc.Buckets)},
		{plain("Principals"), lines(inc.Principals)},
		{plain("Application"), one(inc.Application)},
		{plain("Data classification"), one(inc.Classification)},
		{plain("Ticket"), one(inc.Ticket)},
		{plain("Time zone"), one(inc.TimeZone)},
	}}}
}

// ---------------------------------------------------------------- findings

func (b builder) evidenceTable(items []app.Evidence) table {
	t := table{cols: []column{{title: "Item", width: 4}, {title: "Collected", width: 3.5}, {title: "Source", width: 3.5}, {title: "SHA-256", width: 3.2, mono: true}}}
	for _, ev := range items {
		t.rows = append(t.rows, []cell{
			plain(fmt.Sprintf("%s\n%s (%s)", ev.Title, ev.ID, ev.Kind)),
			plain(fmtUTC(ev.CollectedAt) + "\nby " + orDefault(ev.CollectedBy, "unknown")),
			plain(sourceText(ev.Source)),
			plain(ev.SHA256),
		})
	}
	return t
}

func (b builder) findings() []block {
	blocks := []block{heading{"Exposure verdicts and trail summaries"}}
	if items := b.evidenceOf(kindExposure, kindTrailSummary); len(items) > 0 {
		blocks = append(blocks, paragraph{text: "The content of each item is kept as evidence under its SHA-256; this report lists what was found and where it came from."},
			b.evidenceTable(items))
	} else {
		blocks = append(blocks, paragraph{text: noneYet, tone: toneMuted})
	}
	blocks = append(blocks, heading{"Findings on the timeline"})
	entries := b.entriesOf(app.KindFinding)
	if len(entries) == 0 {
		return append(blocks, paragraph{text: noneYet, tone: toneMuted})
	}
	t := table{cols: []column{{title: "When", width: 3}, {title: "By", width: 2}, {title: "Finding", width: 10}}}
	for _, e := range entries {
		t.rows = append(t.rows, []cell{b.whenCell(e), plain(e.Actor), plain(e.Text)})
	}
	return append(blocks, t)
}

// ---------------------------------------------------------------- actions

func (b builder) actions() []block {
	entries := b.entriesOf(app.KindAction)
	if len(entries) == 0 {
		return []block{paragraph{text: "No action on AWS has been recorded yet.", tone: toneMuted}}
	}
	t := table{cols: []column{{title: "When", width: 3}, {title: "By", width: 1.8}, {title: "Action and result", width: 5.7}, {title: "CLI equivalent", width: 5.5, mono: true}}}
	for _, e := range entries {
		text, cmds := splitCLI(e)
		if refs := plainRefs(e); len(refs) > 0 {
			text += "\n[" + strings.Join(refs, ", ") + "]"
		}
		c := plain(strings.Join(cmds, "\n"))
		if len(cmds) == 0 {
			c = muted("none recorded")
		}
		t.rows = append(t.rows, []cell{b.whenCell(e), plain(e.Actor), plain(text), c})
	}
	return []block{paragraph{text: "Each action is listed with its result as recorded, and the AWS CLI command that does the same, so it can be repeated or audited."}, t}
}

// ---------------------------------------------------------------- evidence

func (b builder) evidence() []block {
	items := b.r.Evidence
	if len(items) == 0 {
		return []block{paragraph{text: "No evidence has been collected yet.", tone: toneMuted}}
	}
	var size int64
	for _, ev := range items {
		size += ev.Size
	}
	t := table{cols: []column{{title: "Item", width: 3.6}, {title: "Collected", width: 3.4}, {title: "SHA-256 and size", width: 3.2, mono: true}, {title: "Chain of custody", width: 5}}}
	t.rows = make([][]cell, 0, len(items))
	for _, ev := range items {
		item := fmt.Sprintf("%s\n%s\nkind %s", ev.Title, ev.ID, ev.Kind)
		if ev.StepID != "" {
			item += ", step " + ev.StepID
		}
		if ev.FileName != "" {
			item += "\nfile " + ev.FileName
		}
		var custody []string
		for _, c := range ev.Custody {
			line := fmt.Sprintf("%s %s by %s", fmtUTC(c.At), c.Action, orDefault(c.Actor, "unknown"))
			if c.Note != "" {
				line += ": " + c.Note
			}
			custody = append(custody, line)
		}
		cust := plain(strings.Join(custody, "\n"))
		if len(custody) == 0 {
			cust = cell{text: "no custody event recorded", tone: toneAlert}
		}
		t.rows = append(t.rows, []cell{
			plain(item),
			plain(fmtUTC(ev.CollectedAt) + "\nby " + orDefault(ev.CollectedBy, "unknown") + "\n" + sourceText(ev.Source)),
			plain(fmt.Sprintf("%s\n%d bytes", ev.SHA256, ev.Size)),
			cust,
		})
	}
	return []block{paragraph{text: fmt.Sprintf("%s, %d bytes in all. Each item's content is stored under its SHA-256; anyone holding the content can recompute the hash and compare.",
		titleCase(plural(len(items), "item", "items")), size)}, t}
}

// ---------------------------------------------------------------- playbook

func (b builder) playbook() []block {
	ref := b.inc.Playbook
	intro := paragraph{text: fmt.Sprintf("Playbook followed: %s version %s (sha256 %s).", ref.ID, ref.Version, ref.SHA256)}
	pb := b.r.Playbook
	c := b.r.Case
	if pb == nil {
		t := table{cols: []column{{title: "Step", width: 2}, {title: "Status", width: 2}, {title: "Note", width: 8}}}
		ids := make([]string, 0, len(c.Steps))
		for id := range c.Steps {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			st := c.Steps[id]
			t.rows = append(t.rows, []cell{plain(id), plain(st.Status.Label()), plain(st.Note)})
		}
		return []block{intro, paragraph{text: "This playbook is not loaded, so steps are listed by id without their titles.", tone: toneAlert}, t}
	}
	res, tot := b.progress()
	blocks := []block{intro, paragraph{text: fmt.Sprintf("%d of %d applicable steps are resolved.", res, tot)}}
	excluded := pb.Excluded(c)
	var skipped, out []string
	for i, part := range pb.Parts {
		r, t := pb.Progress(c, part.ID)
		blocks = append(blocks, heading{fmt.Sprintf("Part %d: %s (%d of %d resolved)", i+1, part.Title, r, t)})
		tb := table{cols: []column{{title: "Step", width: 6}, {title: "Status", width: 2.2}, {title: "Answer, note or reason", width: 6}}}
		var walk func(steps []*app.Step, depth int)
		walk = func(steps []*app.Step, depth int) {
			for _, s := range steps {
				st := c.Step(s.ID)
				label := strings.Repeat("   ", depth) + s.ID + "  " + s.Title
				status := plain(st.Status.Label())
				var detail []string
				if s.Decision != nil && len(st.Choices) > 0 {
					detail = append(detail, "Answer: "+s.OptionLabels(st.Choices))
				}
				switch {
				case !pb.Applies(c, s.ID, excluded):
					status = muted("Excluded by decision")
					if excluded[s.ID] {
						out = append(out, s.ID+" "+s.Title)
					}
				case st.Status == app.StepSkipped:
					status = cell{text: "Skipped", tone: toneStrong}
					detail = append(detail, "Reason: "+orDefault(st.Note, "none given"))
					skipped = append(skipped, fmt.Sprintf("%s %s: %s", s.ID, s.Title, orDefault(st.Note, "no reason given")))
				case st.Note != "":
					detail = append(detail, st.Note)
				}
				if len(s.Steps) > 0 && st.Status == app.StepTodo && pb.Applies(c, s.ID, excluded) {
					// A step with sub-steps is usually not marked itself:
					// its sub-steps say how far it got.
					r, t := pb.Progress(c, s.ID)
					status = plain(fmt.Sprintf("%d of %d sub-steps resolved", r, t))
				}
				if st.By != "" && !st.At.IsZero() {
					detail = append(detail, fmt.Sprintf("by %s, %s", st.By, fmtUTC(st.At)))
				}
				tb.rows = append(tb.rows, []cell{plain(label), status, plain(strings.Join(detail, "\n"))})
				walk(s.Steps, depth+1)
			}
		}
		walk(part.Steps, 0)
		blocks = append(blocks, tb)
	}
	blocks = append(blocks, heading{"Skipped steps and their reasons"})
	if len(skipped) > 0 {
		blocks = append(blocks, bulletList{skipped})
	} else {
		blocks = append(blocks, paragraph{text: "No step was skipped.", tone: toneMuted})
	}
	blocks = append(blocks, heading{"Steps excluded by decisions"})
	if len(out) > 0 {
		blocks = append(blocks, bulletList{out})
	} else {
		blocks = append(blocks, paragraph{text: "No step was ruled out by a decision.", tone: toneMuted})
	}
	return blocks
}

// ---------------------------------------------------------------- communications

func (b builder) communications() []block {
	rv := b.inc.Review
	blocks := []block{heading{"Stakeholders"}}
	if len(rv.Stakeholders) == 0 {
		blocks = append(blocks, paragraph{text: noneYet, tone: toneMuted})
	} else {
		t := table{cols: []column{{title: "Role", width: 2}, {title: "Name", width: 3}, {title: "Contact", width: 4}}}
		for _, s := range rv.Stakeholders {
			t.rows = append(t.rows, []cell{plain(s.Role), plain(s.Name), plain(s.Contact)})
		}
		blocks = append(blocks, t)
	}
	blocks = append(blocks, heading{"Communications log"})
	if len(rv.Communications) == 0 {
		blocks = append(blocks, paragraph{text: noneYet, tone: toneMuted})
	} else {
		t := table{cols: []column{{title: "When", width: 3}, {title: "Audience", width: 2}, {title: "Who", width: 2}, {title: "Channel", width: 1.6}, {title: "What was said", width: 6}}}
		for _, m := range rv.Communications {
			when := fmtUTC(m.At)
			if b.local {
				when += "\n" + b.fmtLocal(m.At)
			}
			t.rows = append(t.rows, []cell{plain(when), plain(m.Audience), plain(m.Who), plain(m.Channel), plain(m.Summary)})
		}
		blocks = append(blocks, t)
	}
	blocks = append(blocks, heading{"Deadlines"})
	if len(rv.Deadlines) == 0 {
		return append(blocks, paragraph{text: noneYet, tone: toneMuted})
	}
	t := table{cols: []column{{title: "Deadline", width: 3}, {title: "Runs from", width: 3}, {title: "Hours", width: 1}, {title: "Due", width: 3}, {title: "At the time of this report", width: 3}}}
	for _, d := range rv.Deadlines {
		state := plain(fmtDuration(d.Remaining(b.r.GeneratedAt)) + " left")
		if d.Remaining(b.r.GeneratedAt) < 0 {
			state = cell{text: "passed " + fmtDuration(-d.Remaining(b.r.GeneratedAt)) + " ago", tone: toneAlert}
		}
		t.rows = append(t.rows, []cell{plain(d.Name), plain(b.both(d.Start)), plain(fmt.Sprint(d.Hours)), plain(b.both(d.Due())), state})
	}
	return append(blocks, t)
}

// ---------------------------------------------------------------- lessons

func (b builder) lessons() []block {
	rv := b.inc.Review
	text := func(title, s string) []block {
		if strings.TrimSpace(s) == "" {
			return []block{heading{title}, paragraph{text: "Not recorded yet.", tone: toneMuted}}
		}
		return []block{heading{title}, paragraph{text: s}}
	}
	items := func(title string, xs []string) []block {
		if len(xs) == 0 {
			return []block{heading{title}, paragraph{text: "Not recorded yet.", tone: toneMuted}}
		}
		return []block{heading{title}, bulletList{xs}}
	}
	var blocks []block
	blocks = append(blocks, text("Lessons learned", rv.Lessons)...)
	blocks = append(blocks, text("What information would have helped", rv.Information)...)
	blocks = append(blocks, text("What detection would have raised the alarm sooner", rv.Detection)...)
	blocks = append(blocks, text("What configuration would have prevented it", rv.Configuration)...)
	blocks = append(blocks, text("What automation would have helped", rv.Automation)...)
	blocks = append(blocks, text("Root cause", rv.RootCause)...)
	blocks = append(blocks, items("Attack vectors", rv.AttackVectors)...)
	blocks = append(blocks, items("Misconfigurations found", rv.Misconfigurations)...)
	blocks = append(blocks, text("Risk register updates", rv.RiskUpdates)...)
	return blocks
}

// ---------------------------------------------------------------- action items

func (b builder) actionItems() []block {
	items := b.inc.Review.ActionItems
	if len(items) == 0 {
		return []block{paragraph{text: noneYet, tone: toneMuted}}
	}
	open, late := b.overdue()
	intro := paragraph{text: fmt.Sprintf("%s: %d open, %d overdue as of %s.", titleCase(plural(len(items), "action item", "action items")), open, late, fmtUTC(b.r.GeneratedAt))}
	if late > 0 {
		intro.tone = toneAlert
	}
	t := table{cols: []column{{title: "ID", width: 1}, {title: "Description", width: 5}, {title: "Owner", width: 2}, {title: "Due", width: 2.6}, {title: "Status", width: 1.8}, {title: "Notes", width: 3.6}}}
	for _, a := range items {
		status := plain(a.Status)
		if a.Overdue(b.r.GeneratedAt) {
			status = cell{text: "OVERDUE (" + a.Status + ")", tone: toneAlert}
		}
		due := muted("no date")
		if !a.Due.IsZero() {
			due = plain(fmtUTC(a.Due))
		}
		t.rows = append(t.rows, []cell{plain(a.ID), plain(a.Description), plain(orDefault(a.Owner, "unassigned")), due, status, plain(a.Notes)})
	}
	return []block{intro, t}
}

// ---------------------------------------------------------------- appendix

// snapshotText shows a snapshot as indented JSON when it is JSON, as text
// otherwise.
func snapshotText(data []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, data, "", "  ") == nil {
		return out.String()
	}
	return strings.ToValidUTF8(string(data), "?")
}

// appendix lists configuration snapshots grouped by what they captured, so
// the state before the response and after it sit side by side. The report
// carries metadata only: the content is in the evidence store and bundle.
func (b builder) appendix() []block {
	snaps := b.evidenceOf(kindSnapshot)
	note := paragraph{text: "Each snapshot is listed with its hash and, below, its content (cut after 16 KB; unchanged repeats are not printed again). " +
		"The full configuration is kept as evidence (in the incident database and under evidence/<sha256> in an exported bundle), where its hash can be checked."}
	if len(snaps) == 0 {
		return []block{note, paragraph{text: "No configuration snapshot has been recorded yet.", tone: toneMuted}}
	}
	groups := map[string][]app.Evidence{}
	var keys []string
	for _, ev := range snaps {
		k := sourceText(ev.Source)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], ev)
	}
	blocks := []block{note}
	for _, k := range keys {
		evs := groups[k]
		slices.SortStableFunc(evs, func(x, y app.Evidence) int { return x.CollectedAt.Compare(y.CollectedAt) })
		blocks = append(blocks, heading{k})
		t := table{cols: []column{{title: "State", width: 1.4}, {title: "Snapshot", width: 4.5}, {title: "Collected", width: 3}, {title: "SHA-256 and size", width: 3.4, mono: true}}}
		for i, ev := range evs {
			role := "Before"
			switch {
			case len(evs) == 1:
				role = "Only snapshot"
			case i == len(evs)-1:
				role = "After"
			case i > 0:
				role = "During"
			}
			t.rows = append(t.rows, []cell{strong(role), plain(ev.Title + "\n" + ev.ID), plain(fmtUTC(ev.CollectedAt) + "\nby " + orDefault(ev.CollectedBy, "unknown")),
				plain(fmt.Sprintf("%s\n%d bytes", ev.SHA256, ev.Size))})
		}
		blocks = append(blocks, t)
		for i, ev := range evs {
			data, ok := b.r.Snapshots[ev.SHA256]
			if !ok || (i > 0 && bytes.Equal(data, b.r.Snapshots[evs[i-1].SHA256])) {
				continue
			}
			blocks = append(blocks, table{cols: []column{{title: "Content of " + ev.ID, width: 1, mono: true}},
				rows: [][]cell{{plain(snapshotText(data))}}})
		}
	}
	return blocks
}
