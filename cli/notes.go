package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"s3responder/app"
)

func noteUsage() string {
	return `Usage: s3responder note ID TEXT... [--at RFC3339]
       s3responder note ID --file FILE [--from LINE]

Records an observation on the incident's timeline. --at says when it
happened, if not now (for things learned late).

With --file, every non-empty line of FILE ("-" reads standard input) is one
observation, optionally prefixed with its time and a tab:
  2026-11-26T14:05:00Z<TAB>GetObject from 203.0.113.7 on invoices/
The file is UTF-8, or UTF-16 as Windows tools write it. Each line is saved
on its own as soon as it is read, so an interrupted import keeps what it
had done: the progress lines say which lines were saved, and --from LINE
starts at line LINE (the lines before it are skipped), so resume with the
number the message gives. A bad line (a wrong time, a line over 4 MiB) is
reported with its number and the others are still imported; an error that
is not the line's fault (a full disk, Ctrl-C) stops the import at once.
`
}

func runNote(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Values: []string{"at", "file", "from"}}, 1, -1, noteUsage)
	if !ok {
		return code
	}
	id := a.Pos[0]
	if a.Has("file") {
		if len(a.Pos) > 1 {
			return usageError(d, errors.New("give either TEXT or --file, not both"), noteUsage)
		}
		if a.Has("at") {
			return usageError(d, errors.New("--at applies to a single note; with --file put the time at the start of each line"), noteUsage)
		}
		from := 1
		if v := a.Value("from", ""); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return usageError(d, fmt.Errorf("--from %q is not a line number", v), noteUsage)
			}
			from = n
		}
		return importNotes(ctx, d, id, a.Value("file", ""), from)
	}
	if a.Has("from") {
		return usageError(d, errors.New("--from goes with --file"), noteUsage)
	}
	text := strings.TrimSpace(strings.Join(a.Pos[1:], " "))
	if text == "" {
		return usageError(d, errors.New("the note is empty"), noteUsage)
	}
	var at time.Time
	if v := a.Value("at", ""); v != "" {
		t, err := app.ParseNoteTime(v)
		if err != nil {
			return usageError(d, fmt.Errorf("--at: %w", err), noteUsage)
		}
		at = t
	}
	return withService(d, func(svc *app.Service) int {
		if _, err := svc.AddNote(ctx, id, text, at); err != nil {
			return fail(d, err)
		}
		fmt.Fprintf(d.Stdout, "Noted on %s\n", id)
		return exitOK
	})
}

func importNotes(ctx context.Context, d Deps, id, file string, from int) int {
	rc, name, err := openInput(ctx, d, file)
	if err != nil {
		return fail(d, fmt.Errorf("read notes: %w", err))
	}
	defer rc.Close()
	return withService(d, func(svc *app.Service) int {
		// Fail before reading anything if the incident is not there.
		if _, err := svc.Load(ctx, id); err != nil {
			return fail(d, err)
		}
		lines := app.NewNoteLines(rc, maxNoteLine)
		var saved, bad int
		for {
			line, lineNo, err := lines.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil && !errors.As(err, new(app.NoteLineTooLongError)) {
				// Nothing of this line was read: resume at it.
				fmt.Fprintf(d.Stderr, "s3responder: read %s at line %d: %v; lines before it that were reported saved are saved: resume with --from %d\n", name, lineNo+1, err, lineNo+1)
				return exitFail
			}
			if lineNo < from {
				continue
			}
			if err != nil {
				bad++
				fmt.Fprintf(d.Stderr, "%s:%d: %v; skipped\n", name, lineNo, err)
				continue
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			if ctx.Err() != nil {
				fmt.Fprintf(d.Stderr, "s3responder: interrupted before line %d; resume with --from %d\n", lineNo, lineNo)
				return exitFail
			}
			at, text, err := app.ParseNoteLine(line)
			if err == nil {
				// One transaction per line: a crash keeps every line
				// already reported as saved.
				_, err = svc.AddNote(ctx, id, text, at)
				if err != nil && !errors.Is(err, app.ErrInvalid) {
					// Not the line's fault (a full disk, a lost lock, an
					// interrupt): the next lines would fail the same way.
					fmt.Fprintf(d.Stderr, "s3responder: line %d of %s not saved: %v\nThe lines reported saved before it are saved; fix the cause and resume with --from %d\n", lineNo, name, err, lineNo)
					return exitFail
				}
			}
			if err != nil {
				bad++
				fmt.Fprintf(d.Stderr, "%s:%d: %v\n", name, lineNo, err)
				continue
			}
			saved++
			fmt.Fprintf(d.Stdout, "line %d saved\n", lineNo)
		}
		fmt.Fprintf(d.Stdout, "Imported %d notes from %s into %s", saved, name, id)
		if bad > 0 {
			fmt.Fprintf(d.Stdout, "; %d bad lines (see above)\n", bad)
			return exitFail
		}
		fmt.Fprintln(d.Stdout)
		return exitOK
	})
}

func timelineUsage() string {
	return `Usage: s3responder timeline ID [--json]

Prints the incident's timeline: when each thing happened, in UTC and in the
incident's time zone, who recorded it and what it was. Entries recorded
well after the event also show when they were recorded.
`
}

// entryView is a timeline entry with its times also in the incident's zone.
type entryView struct {
	app.Entry
	EventTimeLocal  string `json:"eventTimeLocal"`
	RecordedAtLocal string `json:"recordedAtLocal"`
	TimeZone        string `json:"timeZone"`
}

func runTimeline(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}}, 1, 1, timelineUsage)
	if !ok {
		return code
	}
	return withService(d, func(svc *app.Service) int {
		c, err := svc.Load(ctx, a.Pos[0])
		if err != nil {
			return fail(d, err)
		}
		entries, err := svc.Timeline(ctx, a.Pos[0])
		if err != nil {
			return fail(d, err)
		}
		loc := c.Incident.Location()
		if a.Bool("json") {
			out := make([]entryView, 0, len(entries))
			for _, e := range entries {
				out = append(out, entryView{Entry: e, TimeZone: loc.String(),
					EventTimeLocal:  e.EventTime.In(loc).Format(time.RFC3339),
					RecordedAtLocal: e.RecordedAt.In(loc).Format(time.RFC3339)})
			}
			return writeJSON(d, out)
		}
		tw := tabwriter.NewWriter(d.Stdout, 0, 0, 2, ' ', 0)
		if loc == time.UTC {
			fmt.Fprintln(tw, "#\tTIME (UTC)\tACTOR\tKIND\tWHAT")
		} else {
			fmt.Fprintf(tw, "#\tTIME (UTC)\tTIME (%s)\tACTOR\tKIND\tWHAT\n", loc)
		}
		for _, e := range entries {
			text := e.Text
			if e.RecordedAt.Sub(e.EventTime) > time.Minute {
				text += fmt.Sprintf(" [recorded %s]", e.RecordedAt.UTC().Format("2006-01-02 15:04:05Z"))
			}
			utc := e.EventTime.UTC().Format("2006-01-02 15:04:05Z")
			if loc == time.UTC {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Seq, utc, escapeTerm(e.Actor), e.Kind, escapeTerm(text))
			} else {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, utc, e.EventTime.In(loc).Format("2006-01-02 15:04:05 MST"), escapeTerm(e.Actor), e.Kind, escapeTerm(text))
			}
		}
		if err := tw.Flush(); err != nil {
			return fail(d, err)
		}
		return exitOK
	})
}

func verifyUsage() string {
	return `Usage: s3responder verify ID [--head HASH]

Checks the incident's timeline hash chain; the incident's fields, step
states and evidence items against the hashes the timeline sealed for them;
and every evidence item's content against its SHA-256 (recording a
"verified" custody event on each item that matches). Prints the chain's
head: keep it outside the database (a ticket, a message, a printed
report) to check the database against later.

  --head HASH   also check that the timeline still holds the entry with
                this hash, a head recorded earlier (from verify, a report
                or a bundle): a timeline that only grew since keeps it; a
                history rewritten and re-sealed does not.

Exits 0 when everything is as it was recorded, 1 naming the first timeline
entry that was changed, removed or reordered, every field, step or
evidence item changed outside the app, and a head the timeline lost.
`
}

func runVerify(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Values: []string{"head"}}, 1, 1, verifyUsage)
	if !ok {
		return code
	}
	id := a.Pos[0]
	return withService(d, func(svc *app.Service) int {
		code := exitOK
		n, err := svc.Verify(ctx, id)
		var ce *app.ChainError
		switch {
		case errors.As(err, &ce):
			fmt.Fprintf(d.Stdout, "timeline of %s is NOT intact: entry %d: %s\n", id, ce.Seq, escapeTerm(ce.Reason))
			fmt.Fprintf(d.Stderr, "s3responder: %v\n", err)
			code = exitFail
		case err != nil:
			return fail(d, err)
		default:
			head, err := svc.Head(ctx, id)
			if err != nil {
				return fail(d, err)
			}
			fmt.Fprintf(d.Stdout, "timeline of %s verified: %d entries\nchain head %s (entry %d)\n", id, n, head.Hash, head.Seq)
		}
		if want := a.Value("head", ""); want != "" {
			seq, err := svc.VerifyHead(ctx, id, want)
			switch {
			case errors.Is(err, app.ErrChainBroken):
				fmt.Fprintf(d.Stdout, "timeline of %s does NOT hold head %s recorded earlier: its history was rewritten\n", id, strings.ToLower(strings.TrimSpace(want)))
				fmt.Fprintf(d.Stderr, "s3responder: %v\n", err)
				code = exitFail
			case err != nil:
				return fail(d, err)
			default:
				fmt.Fprintf(d.Stdout, "timeline of %s holds head %s recorded earlier (entry %d): nothing before it changed\n", id, strings.ToLower(strings.TrimSpace(want)), seq)
			}
		}
		problems, err := svc.VerifyRecords(ctx, id)
		if err != nil {
			return fail(d, err)
		}
		if len(problems) > 0 {
			fmt.Fprintf(d.Stdout, "records of %s are NOT intact:\n", id)
			names := make([]string, len(problems))
			for i, p := range problems {
				fmt.Fprintf(d.Stdout, "  %s\n", p)
				names[i] = p.Item
			}
			fmt.Fprintf(d.Stderr, "s3responder: records of %s do not match the timeline's seals: %s\n", id, strings.Join(names, ", "))
			code = exitFail
		}
		// The evidence is checked too, whatever the timeline said: a
		// responder wants every problem at once.
		if verifyEvidence(ctx, svc, id, d) != exitOK {
			return exitFail
		}
		return code
	})
}
