package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"s3responder/app"
	"s3responder/trail"
)

// exitContinues is the exit status of `activity` when a suspect still
// succeeds after the mitigations, for scripts that watch.
const exitContinues = 1

func activityUsage() string {
	return `Usage: s3responder activity ID --bucket B [--before TIME] [--after TIME] [--json]

Compares the activity on a bucket before and after the mitigations (step
4.6), from the CloudTrail events the incident's evidence holds: Athena
results (each principal on its own) and offline CloudTrail analyses limited
to the bucket. Prints events per hour for each principal and a verdict in
plain words: stopped, continues (exit 1) or unclear. Reads nothing from AWS.

  --before TIME   end of the period before the mitigations (default: the
                  incident's containment time, else the first change applied)
  --after TIME    start of the period after them (default: the last change
                  applied, else --before)
  --json          print the whole comparison, every series bin by bin

TIME is RFC 3339 (2026-03-01T14:05:00Z), the same without seconds or zone
(UTC), or a date.
`
}

func runActivity(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: []string{"bucket", "before", "after"}}, 1, 1, activityUsage)
	if !ok {
		return code
	}
	q := app.ActivityQuery{Bucket: a.Value("bucket", "")}
	if q.Bucket == "" {
		return usageError(d, errors.New("name the bucket with --bucket"), activityUsage)
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"before", &q.Before}, {"after", &q.After}} {
		if v := a.Value(f.name, ""); v != "" {
			t, err := trail.ParseTime(v, false)
			if err != nil {
				return usageError(d, fmt.Errorf("--%s: %w", f.name, err), activityUsage)
			}
			*f.dst = t
		}
	}
	return withService(d, func(svc *app.Service) int {
		rep, err := svc.Activity(ctx, a.Pos[0], q)
		if err != nil {
			return fail(d, err)
		}
		if a.Bool("json") {
			if code := writeJSON(d, rep); code != exitOK {
				return code
			}
		} else {
			printActivity(d.Stdout, rep)
		}
		if rep.Verdict == app.ActivityContinues {
			return exitContinues
		}
		return exitOK
	})
}

// sparkWidth is the most columns a series' line takes.
const sparkWidth = 60

// printActivity prints the verdict, then one line per principal: events
// before and after, and the series as a line of bars, oldest first, with
// "|" where the mitigations took effect.
func printActivity(w io.Writer, rep app.ActivityReport) {
	fmt.Fprintf(w, "Activity on bucket %s: %s\n", rep.Bucket, strings.ToUpper(rep.Verdict))
	for _, r := range rep.Reasons {
		fmt.Fprintf(w, "  %s\n", r)
	}
	if len(rep.Series) == 0 {
		return
	}
	starts := rep.BinStarts()
	per := (len(starts) + sparkWidth - 1) / sparkWidth
	width := time.Duration(rep.BinSeconds) * time.Second
	fmt.Fprintf(w, "\nEvents per %s from %s to %s (each mark %d bin(s); | the mitigations at %s):\n",
		hoursName(rep.BinSeconds), starts[0].Format("2006-01-02 15:04Z"), starts[len(starts)-1].Add(width).Format("2006-01-02 15:04Z"), per, rep.After.Format("2006-01-02 15:04Z"))
	fmt.Fprintf(w, "  %-8s %8s %8s %8s  %-17s %s\n", "", "before", "after", "refused", "last seen", "principal")
	for _, s := range rep.Series {
		mark := ""
		if s.Suspect {
			mark = "suspect"
		}
		fmt.Fprintf(w, "  %-8s %8d %8d %8d  %-17s %s\n", mark, s.BeforeEvents, s.AfterEvents, s.AfterEvents-s.AfterAllowed, s.Last.Format("2006-01-02 15:04Z"), s.Principal)
		fmt.Fprintf(w, "  %s\n", spark(s.Bins, per, rep.After))
	}
}

func hoursName(sec int64) string {
	if sec == 3600 {
		return "hour"
	}
	return fmt.Sprintf("%d hours", sec/3600)
}

// spark draws bins as a line of block characters, per bins a mark, with
// "|" before the first mark at or after the cut.
func spark(bins []app.ActivityBin, per int, cut time.Time) string {
	const levels = " ▁▂▃▄▅▆▇█"
	var sums []int64
	var starts []time.Time
	for i := 0; i < len(bins); i += per {
		var n int64
		for _, b := range bins[i:min(i+per, len(bins))] {
			n += b.Events
		}
		sums, starts = append(sums, n), append(starts, bins[i].Start)
	}
	peak := int64(1)
	for _, n := range sums {
		peak = max(peak, n)
	}
	marks := []rune(levels)
	var b strings.Builder
	placed := false
	for i, n := range sums {
		if !placed && !starts[i].Before(cut) {
			b.WriteRune('|')
			placed = true
		}
		level := int(n * int64(len(marks)-1) / peak)
		if n > 0 && level == 0 {
			level = 1
		}
		b.WriteRune(marks[level])
	}
	if !placed {
		b.WriteRune('|')
	}
	return b.String()
}
