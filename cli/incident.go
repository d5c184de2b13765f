package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"s3responder/app"
)

func runIncident(ctx context.Context, args []string, d Deps) int {
	return sub(ctx, args, d, "incident", map[string]Command{
		"new":    runIncidentNew,
		"list":   runIncidentList,
		"show":   runIncidentShow,
		"status": runIncidentStatus,
	}, incidentUsage)
}

func incidentUsage() string {
	return `Usage: s3responder incident SUBCOMMAND [ARGS]

Subcommands:
  new      open an incident (prints its id last)
  list     list incidents
  show     show an incident, its steps and what to do next
  status   move an incident along its life cycle

Run 's3responder incident SUBCOMMAND --help' for details.
`
}

func incidentNewUsage() string {
	return `Usage: s3responder incident new --title TITLE [FLAGS]

Opens an incident and prints its id as the last word of the output.

Flags:
  --title TEXT            what happened, in a few words (required)
  --severity P1..P4       P1 is the most urgent (default P3)
  --ticket ID             your ticketing system's reference
  --classification TEXT   classification of the data involved
  --exercise              mark it as an exercise, not a real incident
  --account ID            AWS account involved (repeat, or comma-separated)
  --bucket NAME           S3 bucket involved (repeat, or comma-separated)
  --principal ARN         IAM principal involved (repeat, or comma-separated)
  --application NAME      the application that owns the data
  --tz ZONE               time zone for displaying times, e.g. Europe/Paris
  --playbook SHA256       follow an imported playbook instead of the built-in
  --detected RFC3339      when the possible access was noticed, if before now
`
}

// splitList accepts repeated flags and comma-separated values alike.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func runIncidentNew(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{
		Bools:  []string{"exercise"},
		Values: []string{"title", "severity", "ticket", "classification", "account", "bucket", "principal", "application", "tz", "playbook", "detected"},
	}, 0, 0, incidentNewUsage)
	if !ok {
		return code
	}
	if strings.TrimSpace(a.Value("title", "")) == "" {
		return usageError(d, fmt.Errorf("--title is required"), incidentNewUsage)
	}
	n := app.NewIncident{
		Title:          a.Value("title", ""),
		Ticket:         a.Value("ticket", ""),
		Severity:       app.Severity(a.Value("severity", "")),
		Classification: a.Value("classification", ""),
		Exercise:       a.Bool("exercise"),
		Accounts:       splitList(a.Values("account")),
		Buckets:        splitList(a.Values("bucket")),
		Principals:     splitList(a.Values("principal")),
		Application:    a.Value("application", ""),
		TimeZone:       a.Value("tz", ""),
		Playbook:       a.Value("playbook", ""),
	}
	// Mistakes in the command line are usage errors (exit 2), like a bad
	// --status, not failures found while working.
	if _, err := app.ParseSeverity(a.Value("severity", "")); err != nil {
		return usageError(d, fmt.Errorf("--severity: %w", err), incidentNewUsage)
	}
	if tz := a.Value("tz", ""); tz != "" {
		if _, err := time.LoadLocation(tz); err != nil {
			return usageError(d, fmt.Errorf("--tz %q is not a time zone known on this machine (use an IANA name such as Europe/Paris or UTC)", tz), incidentNewUsage)
		}
	}
	if v := a.Value("detected", ""); v != "" {
		t, err := parseTime(v)
		if err != nil {
			return usageError(d, fmt.Errorf("--detected: %w", err), incidentNewUsage)
		}
		n.DetectedAt = t
	}
	return withService(d, func(svc *app.Service) int {
		c, err := svc.Create(ctx, n)
		if err != nil {
			return fail(d, err)
		}
		fmt.Fprintf(d.Stdout, "Created incident %s\n", c.Incident.ID)
		return exitOK
	})
}

func incidentListUsage() string {
	return `Usage: s3responder incident list [--json] [--status STATUS] [--search TEXT]

Lists incidents, most recently updated first.

Flags:
  --json            print JSON instead of a table
  --status STATUS   only incidents in this status (open, contained,
                    eradicated, recovered, closed)
  --search TEXT     only incidents whose id, title, ticket, accounts,
                    buckets or principals contain TEXT
`
}

func runIncidentList(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: []string{"status", "search"}}, 0, 0, incidentListUsage)
	if !ok {
		return code
	}
	var status app.Status
	if v := a.Value("status", ""); v != "" {
		s, err := app.ParseStatus(v)
		if err != nil {
			return usageError(d, err, incidentListUsage)
		}
		status = s
	}
	return withService(d, func(svc *app.Service) int {
		incs, err := svc.List(ctx)
		if err != nil {
			return fail(d, err)
		}
		out := []app.Incident{}
		for _, inc := range incs {
			if (status == "" || inc.Status == status) && inc.Matches(a.Value("search", "")) {
				out = append(out, inc)
			}
		}
		if a.Bool("json") {
			return writeJSON(d, out)
		}
		if len(out) == 0 {
			fmt.Fprintln(d.Stdout, "No incidents.")
			return exitOK
		}
		tw := tabwriter.NewWriter(d.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tSEV\tPART\tUPDATED (UTC)\tTITLE")
		for _, inc := range out {
			title := inc.Title
			if inc.Exercise {
				title = "[exercise] " + title
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", escapeTerm(inc.ID), escapeTerm(string(inc.Status)), escapeTerm(string(inc.Severity)), inc.CurrentPart, inc.UpdatedAt.UTC().Format("2006-01-02 15:04"), escapeTerm(title))
		}
		if err := tw.Flush(); err != nil {
			return fail(d, err)
		}
		return exitOK
	})
}

func incidentShowUsage() string {
	return `Usage: s3responder incident show ID [--json]

Shows an incident's details, the state of every playbook step and what to
do next.
`
}

// stepView is one playbook step as `incident show` reports it.
type stepView struct {
	ID      string         `json:"id"`
	Title   string         `json:"title"`
	Depth   int            `json:"depth"`
	Status  app.StepStatus `json:"status"`
	Applies bool           `json:"applies"`
	Choices []string       `json:"choices,omitempty"`
	Note    string         `json:"note,omitempty"`
	By      string         `json:"by,omitempty"`
	At      *time.Time     `json:"at,omitempty"`
}

// nextView is the answer to "what's next" in JSON.
type nextView struct {
	Step   string    `json:"step,omitempty"`
	Title  string    `json:"title,omitempty"`
	Part   int       `json:"part,omitempty"`
	Return *app.Jump `json:"return,omitempty"`
	Done   bool      `json:"done"`
	Text   string    `json:"text"`
}

func viewNext(pb *app.Playbook, n app.Next) nextView {
	v := nextView{Return: n.Return, Done: n.Done, Text: n.Text}
	if n.Step != nil {
		v.Step, v.Title, v.Part = n.Step.ID, n.Step.Title, pb.PartNumber(n.Step.ID)
	}
	return v
}

func viewSteps(pb *app.Playbook, c app.Case) []stepView {
	excluded := pb.Excluded(c)
	var out []stepView
	for _, s := range pb.Steps() {
		st := c.Step(s.ID)
		v := stepView{ID: s.ID, Title: s.Title, Depth: pb.Depth(s.ID), Status: st.Status,
			Applies: pb.Applies(c, s.ID, excluded), Choices: st.Choices, Note: st.Note, By: st.By}
		if !st.At.IsZero() {
			at := st.At
			v.At = &at
		}
		out = append(out, v)
	}
	return out
}

func runIncidentShow(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}}, 1, 1, incidentShowUsage)
	if !ok {
		return code
	}
	return withService(d, func(svc *app.Service) int {
		c, err := svc.Load(ctx, a.Pos[0])
		if err != nil {
			return fail(d, err)
		}
		pb, err := svc.PlaybookFor(c.Incident)
		if err != nil {
			return fail(d, err)
		}
		next := pb.NextStep(c)
		if a.Bool("json") {
			return writeJSON(d, struct {
				Incident app.Incident `json:"incident"`
				Steps    []stepView   `json:"steps"`
				Next     nextView     `json:"next"`
			}{c.Incident, viewSteps(pb, c), viewNext(pb, next)})
		}
		showIncident(d.Stdout, pb, c, next)
		return exitOK
	})
}

func showIncident(w io.Writer, pb *app.Playbook, c app.Case, next app.Next) {
	inc := c.Incident
	loc := inc.Location()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	field := func(name, value string) {
		if value != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", name, escapeTerm(value))
		}
	}
	field("Incident", inc.ID)
	field("Title", inc.Title)
	if inc.Exercise {
		field("Exercise", "yes (not a real incident)")
	}
	field("Severity", inc.Severity.Describe())
	field("Status", string(inc.Status))
	field("Ticket", inc.Ticket)
	field("Classification", inc.Classification)
	field("Accounts", strings.Join(inc.Accounts, ", "))
	field("Buckets", strings.Join(inc.Buckets, ", "))
	field("Principals", strings.Join(inc.Principals, ", "))
	field("Application", inc.Application)
	field("Time zone", inc.TimeZone)
	field("Playbook", fmt.Sprintf("%s version %s (sha256 %s)", inc.Playbook.ID, inc.Playbook.Version, inc.Playbook.SHA256))
	field("Created", bothZones(inc.CreatedAt, loc))
	field("Updated", bothZones(inc.UpdatedAt, loc))
	_ = tw.Flush()

	fmt.Fprintln(w, "\nSteps:")
	for _, s := range viewSteps(pb, c) {
		mark := stepMark(s.Status)
		if !s.Applies {
			mark = "[-]"
		}
		line := fmt.Sprintf("%s%s %s %s", strings.Repeat("  ", s.Depth+1), mark, s.ID, s.Title)
		switch {
		case !s.Applies:
			line += " (ruled out by a decision)"
		case s.Status != app.StepTodo:
			line += " (" + s.Status.Label() + ")"
		}
		fmt.Fprintln(w, line)
		if len(s.Choices) > 0 {
			step, _ := pb.Step(s.ID)
			fmt.Fprintf(w, "%s      answer: %s\n", strings.Repeat("  ", s.Depth+1), step.OptionLabels(s.Choices))
		}
		if s.Note != "" {
			fmt.Fprintf(w, "%s      note: %s\n", strings.Repeat("  ", s.Depth+1), escapeTerm(s.Note))
		}
	}
	if len(inc.Jumps) > 0 {
		fmt.Fprintln(w, "\nDetours in progress (most recent last):")
		for _, j := range inc.Jumps {
			fmt.Fprintf(w, "  from step %s to %s, then return to step %s\n", j.FromStep, j.To, j.Return)
		}
	}
	fmt.Fprintf(w, "\nNext: %s\n", next.Text)
}

func stepMark(s app.StepStatus) string {
	switch s {
	case app.StepDone:
		return "[x]"
	case app.StepDoing:
		return "[>]"
	case app.StepSkipped:
		return "[s]"
	case app.StepNA:
		return "[n]"
	}
	return "[ ]"
}

func incidentStatusUsage() string {
	return `Usage: s3responder incident status ID STATUS

Sets the incident's status: open, contained, eradicated, recovered or closed.
`
}

func runIncidentStatus(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{}, 2, 2, incidentStatusUsage)
	if !ok {
		return code
	}
	status, err := app.ParseStatus(a.Pos[1])
	if err != nil {
		return usageError(d, err, incidentStatusUsage)
	}
	return withService(d, func(svc *app.Service) int {
		c, err := svc.SetStatus(ctx, a.Pos[0], status)
		if err != nil {
			return fail(d, err)
		}
		fmt.Fprintf(d.Stdout, "Incident %s is now %s\n", c.Incident.ID, c.Incident.Status)
		return exitOK
	})
}

// bothZones formats t in UTC and, when it differs, in the incident's zone.
func bothZones(t time.Time, loc *time.Location) string {
	u := t.UTC().Format("2006-01-02 15:04:05 UTC")
	if loc == nil || loc == time.UTC {
		return u
	}
	return u + " / " + t.In(loc).Format("2006-01-02 15:04:05 MST")
}

// parseTime accepts RFC 3339 with or without fractional seconds.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-11-26T14:05:00Z", s)
	}
	return t, nil
}

func writeJSON(d Deps, v any) int {
	enc := json.NewEncoder(d.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fail(d, fmt.Errorf("write JSON: %w", err))
	}
	return exitOK
}
