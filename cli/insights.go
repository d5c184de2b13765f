package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"s3responder/app"
	"s3responder/trail"
)

func insightsUsage() string {
	return `Usage: s3responder insights ID [--since TIME] [--until TIME] [--regions R1,R2]
                             [--profile P] [--region R] [--json]

Looks up CloudTrail Insights events in the window: the periods in which an
API was called, or failed, far more often than usual (a burst of GetObject
or of AccessDenied, say), with who and what stood out. Saves the events as
one evidence item with incident ID and puts each on the timeline at the
time it happened. An event already on the timeline is not added again.

  --since TIME      start of the window (2026-03-01T14:05:00Z or 2026-03-01);
                    default and earliest: 90 days ago
  --until TIME      end of the window; a date alone includes that day
  --regions R1,R2   regions to search; default: the profile's and us-east-1
` + awsFlagsHelp + `  --json            print the events and the saved items as JSON

Insights must have been turned on for a trail before the activity (it is
off by default): when nothing is found, the output says so.
`
}

// windowFlags reads --since and --until as 'changes' does.
func windowFlags(a Args) (since, until time.Time, err error) {
	if s := a.Value("since", ""); s != "" {
		if since, err = trail.ParseTime(s, false); err != nil {
			return since, until, fmt.Errorf("--since: %w", err)
		}
	}
	if s := a.Value("until", ""); s != "" {
		if until, err = trail.ParseTime(s, true); err != nil {
			return since, until, fmt.Errorf("--until: %w", err)
		}
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return since, until, errors.New("--since must come before --until")
	}
	return since, until, nil
}

func runInsights(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: append([]string{"since", "until", "regions"}, awsFlags...)}, 1, 1, insightsUsage)
	if !ok {
		return code
	}
	id := a.Pos[0]
	since, until, err := windowFlags(a)
	if err != nil {
		return usageError(d, err, insightsUsage)
	}
	q := app.InsightQuery{Since: since, Until: until, Regions: trailList(a.Values("regions"))}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		rep, saved, err := svc.CollectInsights(ctx, id, profileOf(ctx, a, d), q, progressLines(d, "regions searched:"))
		if err != nil {
			return fail(d, err)
		}
		if a.Bool("json") {
			return writeJSON(d, struct {
				app.InsightReport
				CollectedBy string         `json:"collectedBy"`
				Evidence    []evidenceView `json:"evidence"`
			}{rep, saved.By.ARN, viewEvidence(saved.Evidence)})
		}
		fmt.Fprintf(d.Stdout, "CloudTrail Insights events from %s to %s in %s: %d\n", rep.Since.Format(time.RFC3339), rep.Until.Format(time.RFC3339), strings.Join(rep.Regions, ", "), len(rep.Insights))
		if rep.Note != "" {
			fmt.Fprintf(d.Stdout, "Note: %s\n", rep.Note)
		}
		for _, in := range rep.Insights {
			fmt.Fprintf(d.Stdout, "  %s  %-5s  %s\n", in.Time.UTC().Format("2006-01-02 15:04:05Z"), in.State, in.Summary())
		}
		fmt.Fprintln(d.Stdout)
		printSaved(d.Stdout, id, saved)
		return exitOK
	})
}
