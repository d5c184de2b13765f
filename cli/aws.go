package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"s3responder/app"
	"s3responder/exposure"
	"s3responder/trail"
)

// The AWS commands reach AWS only through the service's connector (main
// sets it), so that everything they collect is saved by the same use cases
// as in the window, with the same checks (an exercise never calls AWS).

// awsFlags are the flags every AWS command takes.
var awsFlags = []string{"profile", "region", "scenario"}

const awsFlagsHelp = `  --profile P   the AWS profile to use (from your AWS config files; default:
                $AWS_PROFILE, else the default chain: environment, default
                profile, SSO, instance role); "tabletop" or "tabletop:ID"
                is the simulated account of an exercise incident
  --region R    the region, if not the profile's
  --scenario F  an exercise's simulated account from scenario file F
                (the same as --profile tabletop:F)
`

// lockedWriter serialises writes: MFA prompts and progress come from SDK
// and worker goroutines while the command writes its own lines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// awsDeps makes stderr safe to write from several goroutines.
func awsDeps(d Deps) Deps {
	d.Stderr = &lockedWriter{w: d.Stderr}
	return d
}

// terminalMFA asks for MFA codes on the terminal: the prompt on stderr,
// the code read as one line of stdin. It is called from an SDK goroutine
// and blocks it until the line is read, or Ctrl-C (ctx).
func terminalMFA(ctx context.Context, d Deps) app.MFAPrompt {
	var mu sync.Mutex
	var r *bufio.Reader
	return func(profile, serial string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if r == nil {
			r = bufio.NewReader(newCtxReader(ctx, "standard input", d.Stdin, nil))
		}
		who := "the default profile"
		if profile != "" {
			who = "profile " + profile
		}
		fmt.Fprintf(d.Stderr, "MFA code for %s (%s): ", serial, who)
		line, err := r.ReadString('\n')
		code := strings.TrimSpace(line)
		if code == "" {
			if err != nil {
				return "", fmt.Errorf("the input ended before a code was typed: %w", err)
			}
			return "", errors.New("an empty line was typed")
		}
		return code, nil
	}
}

// profileOf builds the profile the flags choose. A simulated account's
// name (app.IsSimulatedProfileName) marks the profile as an exercise's,
// which the app then accepts for exercise incidents only.
func profileOf(ctx context.Context, a Args, d Deps) app.Profile {
	name := strings.TrimSpace(a.Value("profile", ""))
	if f := strings.TrimSpace(a.Value("scenario", "")); f != "" {
		name = app.SimulatedProfileName + ":" + f
	}
	return app.Profile{
		Name:     name,
		Region:   strings.TrimSpace(a.Value("region", "")),
		Exercise: app.IsSimulatedProfileName(name),
		MFA:      terminalMFA(ctx, d),
	}
}

// progressLines prints "what n of m" to stderr about ten times over a long
// task, and at the end.
func progressLines(d Deps, what string) app.Progress {
	return func(done, total int) {
		step := max(1, total/10)
		if done == total || done%step == 0 {
			fmt.Fprintf(d.Stderr, "%s %d of %d\n", what, done, total)
		}
	}
}

// evidenceView is how the AWS commands list what they saved.
type evidenceView struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

func viewEvidence(evs []app.Evidence) []evidenceView {
	out := make([]evidenceView, 0, len(evs))
	for _, ev := range evs {
		out = append(out, evidenceView{ev.ID, ev.Title, ev.SHA256, ev.Size})
	}
	return out
}

func printSaved(w io.Writer, id string, s app.Saved) {
	fmt.Fprintf(w, "Saved %s to %s, collected by %s:\n", plural(len(s.Evidence), "evidence item"), id, s.By.ARN)
	for _, ev := range s.Evidence {
		fmt.Fprintf(w, "  %s  sha256 %s  %s\n", ev.ID, ev.SHA256, ev.Title)
	}
}

func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// printReport writes one bucket's verdict; brief leaves out the reasons of
// buckets nobody needs to look at (scans of whole accounts).
func printReport(w io.Writer, r app.BucketReport, brief bool) {
	where := r.Bucket
	if r.Region != "" {
		where += " (" + r.Region + ")"
	}
	fmt.Fprintf(w, "%s: %s\n", where, r.Verdict)
	if r.Shared {
		fmt.Fprintf(w, "  Shared with other accounts: %s\n", strings.Join(r.SharedWith, ", "))
	}
	if r.Disagreement != "" {
		fmt.Fprintf(w, "  !! %s\n", r.Disagreement)
	}
	if brief && !r.Public && !r.Shared && r.Disagreement == "" && len(r.Problems) == 0 {
		return
	}
	for _, reason := range r.Reasons {
		fmt.Fprintf(w, "  - %s\n", reason)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  ! %s\n", p)
	}
}

// runAWS handles "aws whoami".
func runAWS(ctx context.Context, args []string, d Deps) int {
	return sub(ctx, args, d, "aws", map[string]Command{
		"whoami":    runWhoAmI,
		"preflight": runPreflight,
	}, awsUsage)
}

func awsUsage() string {
	return `Usage: s3responder aws SUBCOMMAND [FLAGS]

Subcommands:
  whoami      check the connection to AWS and say who you are
  preflight   try the reads the investigation makes and say which are refused

The investigation commands that save evidence are 'exposure', 'snapshot',
'changes', 'analyzer' (IAM Access Analyzer), 'insights' (CloudTrail
Insights), 'find-data' (which bucket holds an object), 'macie' and
'athena' (queries over the trail's log files); 'scan' looks at an account
without saving anything. 'evidence ID list|add|verify' looks after what
was saved.
`
}

func whoamiUsage() string {
	return `Usage: s3responder aws whoami [--profile P] [--region R] [--json]

Connects with your AWS configuration and asks AWS who the credentials
belong to (STS GetCallerIdentity, which needs no permission). A profile
that assumes a role with MFA asks for the code here.

` + awsFlagsHelp + `  --json        print account, arn and userId as JSON
`
}

func runWhoAmI(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: awsFlags}, 0, 0, whoamiUsage)
	if !ok {
		return code
	}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		p := profileOf(ctx, a, d)
		id, err := svc.CheckConnection(ctx, "", p)
		if err != nil {
			return fail(d, err)
		}
		if a.Bool("json") {
			return writeJSON(d, id)
		}
		fmt.Fprintf(d.Stdout, "Account: %s\nARN:     %s\nUser id: %s\n", id.Account, id.ARN, id.UserID)
		return exitOK
	})
}

func preflightUsage() string {
	return `Usage: s3responder aws preflight [--bucket B] [--profile P] [--region R] [--json]

Tries, without changing anything, every read the investigation makes:
listing buckets, the account's Block Public Access, CloudTrail's event
history and, with --bucket, each configuration read of that bucket. Says
which permissions are missing and what S3 Responder cannot do without them.
A real call is the only sure test: IAM policies, SCPs, permission
boundaries and bucket policies all take part.

  --bucket B    also try the reads of bucket B
` + awsFlagsHelp + `  --json        print the checks as JSON (permission, purpose, ok, problem)

Exit status: 0 when every read works, 1 when one is refused or fails.
`
}

func runPreflight(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: append([]string{"bucket"}, awsFlags...)}, 0, 0, preflightUsage)
	if !ok {
		return code
	}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		p := profileOf(ctx, a, d)
		id, err := svc.CheckConnection(ctx, "", p)
		if err != nil {
			return fail(d, err)
		}
		checks, err := svc.CheckPermissions(ctx, "", p, a.Value("bucket", ""))
		if err != nil {
			return fail(d, err)
		}
		missing := 0
		for _, c := range checks {
			if !c.OK {
				missing++
			}
		}
		if a.Bool("json") {
			if code := writeJSON(d, checks); code != exitOK {
				return code
			}
		} else {
			fmt.Fprintf(d.Stdout, "As %s (account %s):\n", id.ARN, id.Account)
			for _, c := range checks {
				if c.OK {
					fmt.Fprintf(d.Stdout, "  ok       %-38s %s\n", c.Permission, c.Purpose)
				} else {
					fmt.Fprintf(d.Stdout, "  MISSING  %-38s %s\n", c.Permission, c.Problem)
				}
			}
			if missing == 0 {
				fmt.Fprintf(d.Stdout, "All %d reads work.\n", len(checks))
			} else {
				fmt.Fprintf(d.Stdout, "%d of %d reads do not work.\n", missing, len(checks))
			}
		}
		if missing > 0 {
			return exitFail
		}
		return exitOK
	})
}

func scanUsage() string {
	return `Usage: s3responder scan [--profile P] [--region R] [--json]

Checks every bucket of the account for public and shared access, as the
S3 console's Access column would show it, with the reasons. Nothing is
saved: to keep the scan as evidence of an incident, use
's3responder exposure ID --all'. A call the account or server refuses is
reported on its bucket and the scan goes on; a bucket whose verdict depends
on a refused read is "Could not be determined", and the exit status is 1.

` + awsFlagsHelp + `  --json        print one object per bucket (bucket, region, access, public,
                shared, sharedWith, reasons, disagreement, problems)
`
}

func runScan(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: awsFlags}, 0, 0, scanUsage)
	if !ok {
		return code
	}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		reps, id, err := svc.ScanExposure(ctx, profileOf(ctx, a, d), progressLines(d, "checked buckets:"))
		if a.Bool("json") {
			if code := writeJSON(d, nonNil(reps)); code != exitOK {
				return code
			}
		} else {
			if id.Account != "" {
				fmt.Fprintf(d.Stdout, "Account %s, as %s: %s\n\n", id.Account, id.ARN, plural(len(reps), "bucket"))
			}
			for _, r := range reps {
				printReport(d.Stdout, r, true)
			}
		}
		if err != nil {
			return fail(d, err)
		}
		return undetermined(d, reps)
	})
}

// undetermined names the buckets whose exposure could not be judged
// because a read was refused or failed, and gives the exit status: 1 if
// there is any, since a scripted check must not take them as not public.
func undetermined(d Deps, reps []app.BucketReport) int {
	code := exitOK
	for _, r := range reps {
		if r.Undetermined {
			why := ""
			if len(r.Reasons) > 0 {
				why = ": " + r.Reasons[0]
			}
			fmt.Fprintf(d.Stderr, "s3responder: bucket %s: public access %s\n", r.Bucket, strings.ToLower(string(exposure.AccessUnknown))+why)
			code = exitFail
		}
	}
	return code
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func exposureUsage() string {
	return `Usage: s3responder exposure ID BUCKET... [--profile P] [--region R] [--json]
       s3responder exposure ID --all [--profile P] [--region R] [--json]

Checks buckets for public and shared access (policy, policy status, ACL,
bucket and account Block Public Access, Object Ownership) and saves it all
with incident ID: every AWS response as an evidence item with its SHA-256,
where it came from and who collected it (your ARN), the verdict, and a
finding on the timeline. When S3's own verdict and S3 Responder's differ,
the output and the finding say so.

With --all every bucket of the account is checked; the scan is saved as
one evidence item, with a finding for each public or shared bucket. If the
scan is interrupted (Ctrl-C), the buckets already checked are saved.

` + awsFlagsHelp + `  --json        print the verdicts and the saved items as JSON

A bucket that does not exist is reported and the others are still checked;
the exit status is then 1. So it is when a read the verdict depends on was
refused or failed: a refused read is not an empty setting, so the bucket is
reported as "Could not be determined", naming what could not be read (the
refusals are saved as evidence too).
`
}

func runExposure(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"all", "json"}, Values: awsFlags}, 1, -1, exposureUsage)
	if !ok {
		return code
	}
	id, buckets := a.Pos[0], a.Pos[1:]
	switch {
	case a.Bool("all") && len(buckets) > 0:
		return usageError(d, errors.New("give bucket names or --all, not both"), exposureUsage)
	case !a.Bool("all") && len(buckets) == 0:
		return usageError(d, errors.New("name a bucket to check, or use --all for every bucket"), exposureUsage)
	}
	d = awsDeps(d)
	type result struct {
		Incident    string             `json:"incident"`
		CollectedBy string             `json:"collectedBy"`
		Buckets     []app.BucketReport `json:"buckets"`
		Evidence    []evidenceView     `json:"evidence"`
		Errors      []string           `json:"errors,omitempty"`
	}
	return withService(d, func(svc *app.Service) int {
		if _, err := svc.Load(ctx, id); err != nil {
			return fail(d, err)
		}
		p := profileOf(ctx, a, d)
		out := result{Incident: id, Buckets: []app.BucketReport{}, Evidence: []evidenceView{}}
		var saves []app.Saved
		var failed error
		if a.Bool("all") {
			reps, saved, err := svc.CollectAccountExposure(ctx, id, p, progressLines(d, "checked buckets:"))
			out.Buckets = append(out.Buckets, reps...)
			saves = append(saves, saved)
			failed = err
		} else {
			for _, b := range buckets {
				rep, saved, err := svc.CollectBucketExposure(ctx, id, p, b)
				if err != nil {
					failed = err
					// A missing bucket does not stop the others; a
					// connection, permission or exercise problem would
					// only repeat.
					if !errors.Is(err, app.ErrNotFound) {
						break
					}
					fmt.Fprintf(d.Stderr, "s3responder: %v\n", err)
					out.Errors = append(out.Errors, err.Error())
					continue
				}
				out.Buckets = append(out.Buckets, rep)
				saves = append(saves, saved)
			}
		}
		for _, s := range saves {
			if s.By.ARN != "" {
				out.CollectedBy = s.By.ARN
			}
			out.Evidence = append(out.Evidence, viewEvidence(s.Evidence)...)
		}
		if a.Bool("json") {
			if code := writeJSON(d, out); code != exitOK {
				return code
			}
		} else {
			for _, r := range out.Buckets {
				printReport(d.Stdout, r, a.Bool("all"))
			}
			for _, s := range saves {
				if len(s.Evidence) > 0 {
					fmt.Fprintln(d.Stdout)
					printSaved(d.Stdout, id, s)
				}
			}
		}
		if failed != nil {
			if errors.Is(failed, app.ErrNotFound) && len(out.Errors) > 0 {
				undetermined(d, out.Buckets)
				return exitFail // already reported, bucket by bucket
			}
			return fail(d, failed)
		}
		return undetermined(d, out.Buckets)
	})
}

func snapshotUsage() string {
	return `Usage: s3responder snapshot ID BUCKET... [--profile P] [--region R] [--json]

Before anything is changed, saves the whole configuration of each bucket
with incident ID, one evidence item per setting: location, policy, policy
status, ACL, Block Public Access, Object Ownership, versioning, encryption,
logging, replication, lifecycle, tags, Object Lock and website. A setting
that is not configured, or that could not be read, is saved too, saying so.

` + awsFlagsHelp + `  --json        print the saved items as JSON
`
}

func runSnapshot(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: awsFlags}, 2, -1, snapshotUsage)
	if !ok {
		return code
	}
	id := a.Pos[0]
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		p := profileOf(ctx, a, d)
		all := map[string][]evidenceView{}
		for _, b := range a.Pos[1:] {
			saved, err := svc.SnapshotBucket(ctx, id, p, b)
			if err != nil {
				if a.Bool("json") && len(all) > 0 {
					_ = writeJSON(d, all)
				}
				return fail(d, err)
			}
			all[b] = viewEvidence(saved.Evidence)
			if !a.Bool("json") {
				fmt.Fprintf(d.Stdout, "Snapshot of bucket %s: ", b)
				printSaved(d.Stdout, id, saved)
				for _, ev := range saved.Evidence {
					if strings.HasSuffix(ev.Title, "(failed)") || strings.HasSuffix(ev.Title, "(not-supported)") {
						fmt.Fprintf(d.Stdout, "  ! %s could not be read (see the item)\n", ev.Title)
					}
				}
			}
		}
		if a.Bool("json") {
			return writeJSON(d, all)
		}
		return exitOK
	})
}

func changesUsage() string {
	return `Usage: s3responder changes ID [--bucket B] [--since TIME] [--until TIME]
                            [--regions R1,R2] [--profile P] [--region R] [--json]

Looks up, in CloudTrail's event history (LookupEvents), who changed bucket
access in the window: bucket policies, ACLs, Block Public Access at bucket
and account level, Object Ownership, and role trust policies. Saves the
events as one evidence item with incident ID and puts each change on the
timeline at the time it happened. A change already on the timeline is not
added again.

  --bucket B        only changes of bucket B (and account-level and IAM ones)
  --since TIME      start of the window (2026-03-01T14:05:00Z or 2026-03-01);
                    default and earliest: 90 days ago, all the history keeps
  --until TIME      end of the window; a date alone includes that day
  --regions R1,R2   regions to search; default: the profile's, the bucket's,
                    and us-east-1 (where IAM changes are recorded)
` + awsFlagsHelp + `  --json            print the changes and the saved items as JSON

LookupEvents allows about two calls a second and one event name per call,
so a search takes a few seconds per region. Data events (who read which
object) are not in the event history: analyse the trail's log files with
's3responder trail analyze'.
`
}

func runChanges(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"},
		Values: append([]string{"bucket", "since", "until", "regions"}, awsFlags...)}, 1, 1, changesUsage)
	if !ok {
		return code
	}
	id := a.Pos[0]
	q := app.ChangeQuery{Bucket: strings.TrimSpace(a.Value("bucket", "")), Regions: trailList(a.Values("regions"))}
	var err error
	if s := a.Value("since", ""); s != "" {
		if q.Since, err = trail.ParseTime(s, false); err != nil {
			return usageError(d, fmt.Errorf("--since: %w", err), changesUsage)
		}
	}
	if s := a.Value("until", ""); s != "" {
		if q.Until, err = trail.ParseTime(s, true); err != nil {
			return usageError(d, fmt.Errorf("--until: %w", err), changesUsage)
		}
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return usageError(d, errors.New("--since must come before --until"), changesUsage)
	}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		rep, saved, err := svc.CollectAccessChanges(ctx, id, profileOf(ctx, a, d), q, progressLines(d, "CloudTrail lookups:"))
		if err != nil {
			return fail(d, err)
		}
		if a.Bool("json") {
			return writeJSON(d, struct {
				app.ChangeReport
				CollectedBy string         `json:"collectedBy"`
				Evidence    []evidenceView `json:"evidence"`
			}{rep, saved.By.ARN, viewEvidence(saved.Evidence)})
		}
		fmt.Fprintf(d.Stdout, "Changes of access from %s to %s in %s: %d\n", rep.Since.Format(time.RFC3339), rep.Until.Format(time.RFC3339), strings.Join(rep.Regions, ", "), len(rep.Changes))
		if rep.Note != "" {
			fmt.Fprintf(d.Stdout, "Note: %s\n", rep.Note)
		}
		for _, c := range rep.Changes {
			fmt.Fprintf(d.Stdout, "  %s  %s\n", c.Time.UTC().Format("2006-01-02 15:04:05Z"), c.Summary)
		}
		fmt.Fprintln(d.Stdout)
		printSaved(d.Stdout, id, saved)
		return exitOK
	})
}
