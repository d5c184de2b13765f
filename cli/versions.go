package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"s3responder/app"
	"s3responder/trail"
)

func versionsUsage() string {
	return `Usage: s3responder versions ID --bucket B [--prefix P | --keys K1,K2 | --keys-file FILE]
                            [--since TIME [--until TIME] | --version-id V]
                            [--profile P] [--region R] [--json]

Lists the versions and delete markers of a versioned bucket's objects and
says what a window shows happened to each (deleted, overwritten, both,
created, changed after the window), when, by whom where the incident's
CloudTrail evidence says (Athena results naming the object: exact;
offline analyses limited to the bucket: probably), and the version that
brings it back. Keeps the whole list as evidence with a finding on the
timeline. The restores themselves are the actions s3.remove-delete-marker
and s3.restore-version (s3responder act).

  --since TIME    start of the window: the version to bring back is the
                  newest one from before it
  --until TIME    end of the window: keys changed after it are left alone
  --version-id V  with one key: what came after that version
  without --since nor --version-id: the keys a delete marker hides
` + awsFlagsHelp + `  --json          print the whole report as JSON

TIME is RFC 3339 (2026-03-01T14:05:00Z), the same without seconds or zone
(UTC), or a date.
`
}

// shownChanges is how many keys the text output prints.
const shownChanges = 50

func runVersions(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: append([]string{"bucket", "prefix", "keys", "keys-file", "since", "until", "version-id"}, awsFlags...)}, 1, 1, versionsUsage)
	if !ok {
		return code
	}
	q := app.HistoryQuery{Bucket: a.Value("bucket", ""), Prefix: a.Value("prefix", ""), Window: app.RestoreWindow{VersionID: a.Value("version-id", "")}}
	if q.Bucket == "" {
		return usageError(d, errors.New("name the bucket with --bucket"), versionsUsage)
	}
	keys := a.Value("keys", "")
	if f := a.Value("keys-file", ""); f != "" {
		if keys != "" {
			return usageError(d, errors.New("give --keys or --keys-file, not both"), versionsUsage)
		}
		data, err := readText(ctx, d, f, "the keys file", maxDocument)
		if err != nil {
			return fail(d, err)
		}
		keys = string(data)
	}
	for _, k := range strings.FieldsFunc(keys, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if k = strings.TrimSpace(k); k != "" {
			q.Keys = append(q.Keys, k)
		}
	}
	for _, f := range []struct {
		name string
		end  bool
		dst  *app.RestoreWindow
	}{{"since", false, &q.Window}, {"until", true, &q.Window}} {
		v := a.Value(f.name, "")
		if v == "" {
			continue
		}
		t, err := trail.ParseTime(v, f.end)
		if err != nil {
			return usageError(d, fmt.Errorf("--%s: %w", f.name, err), versionsUsage)
		}
		if f.end {
			f.dst.Until = t
		} else {
			f.dst.Since = t
		}
	}
	switch {
	case !q.Window.Until.IsZero() && q.Window.Since.IsZero():
		return usageError(d, errors.New("--until needs --since"), versionsUsage)
	case q.Window.VersionID != "" && len(q.Keys) != 1:
		return usageError(d, errors.New("--version-id names a version of one object: give exactly one key with --keys"), versionsUsage)
	}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		rep, saved, err := svc.ObjectHistory(ctx, a.Pos[0], profileOf(ctx, a, d), q)
		if err != nil {
			return fail(d, err)
		}
		if a.Bool("json") {
			return writeJSON(d, struct {
				app.HistoryReport
				Evidence []evidenceView `json:"evidence"`
			}{rep, viewEvidence(saved.Evidence)})
		}
		printHistory(d.Stdout, rep)
		fmt.Fprintln(d.Stdout)
		printSaved(d.Stdout, a.Pos[0], saved)
		return exitOK
	})
}

// printHistory prints the summary and, for each changed key, what
// happened, when, by whom and the version that brings it back.
func printHistory(w io.Writer, rep app.HistoryReport) {
	fmt.Fprintln(w, rep.Summary())
	for i, k := range rep.Changed {
		if i == shownChanges {
			fmt.Fprintf(w, "... and %d more changed keys (see --json or the evidence item)\n", len(rep.Changed)-shownChanges)
			break
		}
		fmt.Fprintf(w, "\n%s: %s\n", k.Key, k.Change)
		for _, m := range k.Made {
			what := "version " + m.VersionID
			if m.DeleteMarker {
				what = "delete marker " + m.VersionID
			}
			fmt.Fprintf(w, "  %s  %s\n", m.LastModified.UTC().Format("2006-01-02 15:04:05Z"), what)
		}
		for _, by := range k.By {
			how := "probably"
			if by.Exact {
				how = "by"
			}
			line := fmt.Sprintf("  %s %s (%s", how, by.Principal, by.EventName)
			if !by.EventTime.IsZero() {
				line += " at " + by.EventTime.UTC().Format("2006-01-02 15:04:05Z")
			}
			if by.SourceIP != "" {
				line += " from " + by.SourceIP
			}
			fmt.Fprintf(w, "%s; evidence %s)\n", line, by.Evidence)
		}
		if k.Restorable() && len(k.By) == 0 {
			fmt.Fprintln(w, "  by whom: unknown (no CloudTrail evidence names it)")
		}
		if k.Restore != nil {
			how := "copy it back (s3.restore-version)"
			if k.MarkerOnly {
				how = "delete the marker (s3.remove-delete-marker) or copy it back (s3.restore-version)"
			}
			fmt.Fprintf(w, "  bring back: version %s of %s, %d bytes: %s\n", k.Restore.VersionID, k.Restore.LastModified.UTC().Format("2006-01-02 15:04:05Z"), k.Restore.Size, how)
		}
	}
	if rep.Truncated {
		fmt.Fprintf(w, "(the report lists the first %d changed keys; the counts cover them all)\n", len(rep.Changed))
	}
}
