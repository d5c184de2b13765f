package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"s3responder/app"
)

// The act commands change an AWS account: plan, apply, resume, undo. They
// only ever go through the service's change use cases, which journal every
// call and refuse without the exact confirmation.

// actParams are the action parameters that may be given as flags of their
// own (--bucket B) besides --param bucket=B.
var actParams = []string{"bucket", "userName", "accessKeyId", "roleName", "statements", "responders",
	"accountId", "removePrincipals", "policyDocument", "keys", "prefix", "concurrency",
	"manifestBucket", "reportBucket", "roleArn", "since", "until", "versionId"}

func actUsage() string {
	return `Usage:
  s3responder act list [--json]
  s3responder act plan ID ACTION [--param KEY=VALUE]... [--bucket B] [--userName U]
                       [--accessKeyId K] [--roleName R] [--statements S] [--responders ARNS]
                       [--accountId A] [--removePrincipals P] [--policyDocument JSON]
                       [--keys K1,K2 | --keys-file FILE | --prefix P] [--concurrency N]
                       [--manifestBucket B] [--reportBucket B] [--roleArn ARN]
                       [--profile P] [--region R] [--json]
  s3responder act apply ID CHANGE-ID (--confirm WORD | --yes) [--profile P] [--region R] [--json]
  s3responder act journal ID [--json]
  s3responder act resume ID [--yes] [--profile P] [--region R] [--json]
  s3responder act undo ID CHANGE-ID (--confirm WORD | --yes) [--profile P] [--region R] [--json]
  s3responder act ACTION --incident ID [--param KEY=VALUE]... (--dry-run | --yes | --confirm WORD)
  s3responder act job ID CHANGE-ID [--every 30s] [--once] [--profile P] [--region R] [--json]
  s3responder act verify ID [CHANGE-ID] [--bucket B] [--profile P] [--region R] [--json]
  s3responder act watch ID (--access-key K | --role R) [--minutes 30] [--every 5m]
                       [--since TIME] [--profile P] [--region R] [--json]

Changes an AWS account for an incident, always in two moves: a plan that
shows the state before and after, what the change will break and the AWS
CLI commands that do the same; then the apply, which needs the word the
plan names (the bucket, role or user for broad changes, otherwise "yes",
which --yes gives). Before the first call the state is saved as evidence;
every call is written to the incident's journal before it is made and
after it returns, and lands on the timeline with its AWS CLI equivalent.

  list      the actions of the playbook, and the parameters of those this
            build can carry out
  plan      work out a change without making it; prints the change id last
  apply     make a planned change
  journal   what every change did, step by step: after a crash, what was
            and was not applied
  resume    finish changes a crash, a lost connection or a failed call
            interrupted; without --yes only says what it would do
  undo      restore the state a change replaced
  job       follow the S3 Batch Operations job a change created until it
            ends, each new status on the timeline (--once: read it once)
  verify    check the exposure of the change's bucket (or --bucket) again
            and say whether it is now not public; exit 1 when it still is
  watch     look up CloudTrail every --every (default 5m) for --minutes
            (default 30) for further use of a disabled access key, or for
            new sessions of a role; every call found goes on the timeline;
            Ctrl-C stops it; exit 1 when any call was found
  ACTION    plan (--dry-run) or plan and apply in one go; the last line is
            the change id

Changes of many objects (s3.reset-object-acls) print their progress on
stderr after each batch of 500; Ctrl-C stops them after the calls in
flight, with every outcome journalled, and resume finishes them. Give
the keys with --keys (comma-separated), --keys-file (one per line) or
--prefix; without any, every object of the bucket.

` + awsFlagsHelp
}

func runAct(ctx context.Context, args []string, d Deps) int {
	if len(args) > 0 && strings.Contains(args[0], ".") && !strings.HasPrefix(args[0], "-") {
		return runActDirect(ctx, args, d)
	}
	return sub(ctx, args, d, "act", map[string]Command{
		"list":    runActList,
		"plan":    runActPlan,
		"apply":   runActApply,
		"journal": runActJournal,
		"resume":  runActResume,
		"undo":    runActUndo,
		"job":     runActJob,
		"verify":  runActVerify,
		"watch":   runActWatch,
	}, actUsage)
}

// actionView is one action of `act list --json`.
type actionView struct {
	Name        string          `json:"name"`
	Part        int             `json:"part"`
	Parts       []int           `json:"parts,omitempty"`
	Title       string          `json:"title"`
	Description string          `json:"description,omitempty"`
	Service     string          `json:"service,omitempty"`
	Mutating    bool            `json:"mutating"`
	Available   bool            `json:"available"`
	Params      []app.ParamSpec `json:"params"`
}

// actionViews lists the playbook's actions with the parts whose steps
// offer them and, for the changes this build can make, their parameters.
func actionViews(pb *app.Playbook) []actionView {
	parts := map[string][]int{}
	for _, s := range pb.Steps() {
		for _, a := range s.Actions {
			if n := pb.PartNumber(s.ID); n > 0 && !slices.Contains(parts[a], n) {
				parts[a] = append(parts[a], n)
			}
		}
	}
	impl := map[string][]app.ParamSpec{}
	for _, a := range app.ChangeActions() {
		impl[a.ID] = a.Params
	}
	out := make([]actionView, 0, len(pb.Actions))
	for _, a := range pb.Actions {
		ps := parts[a.ID]
		sort.Ints(ps)
		v := actionView{Name: a.ID, Parts: ps, Title: a.Title, Description: a.Description, Service: a.Service, Mutating: a.Mutating, Params: []app.ParamSpec{}}
		if len(ps) > 0 {
			v.Part = ps[0]
		}
		if p, ok := impl[a.ID]; ok {
			v.Available, v.Params = true, p
		}
		out = append(out, v)
	}
	return out
}

func runActList(_ context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}}, 0, 0, actUsage)
	if !ok {
		return code
	}
	if d.Builtin == nil {
		return fail(d, errors.New("this build has no playbook"))
	}
	views := actionViews(d.Builtin)
	if a.Bool("json") {
		return writeJSON(d, views)
	}
	for _, v := range views {
		kind := "read-only"
		if v.Mutating {
			kind = "changes the account"
			if !v.Available {
				kind += " (not in this build yet)"
			}
		}
		part := "-"
		if v.Part > 0 {
			part = fmt.Sprint(v.Part)
		}
		fmt.Fprintf(d.Stdout, "%-40s part %s  %s: %s\n", v.Name, part, kind, v.Title)
		for _, p := range v.Params {
			req := ""
			if p.Required {
				req = " (required)"
			}
			fmt.Fprintf(d.Stdout, "    --%s%s  %s\n", p.Name, req, p.Help)
		}
	}
	return exitOK
}

// actSpec is the flags of the commands that plan.
func actSpec(bools ...string) Spec {
	return Spec{Bools: append([]string{"json"}, bools...), Values: append(append([]string{"param", "incident", "confirm", "keys-file"}, awsFlags...), actParams...)}
}

// actionParams gathers --param KEY=VALUE and the parameter flags.
func actionParams(ctx context.Context, d Deps, a Args) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range a.Values("param") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--param %q: write KEY=VALUE", kv)
		}
		out[strings.TrimSpace(k)] = v
	}
	for _, name := range actParams {
		if a.Has(name) {
			out[name] = a.Value(name, "")
		}
	}
	if f := a.Value("keys-file", ""); f != "" {
		if _, both := out["keys"]; both {
			return nil, errors.New("give --keys or --keys-file, not both")
		}
		data, err := readText(ctx, d, f, "the keys file", maxDocument)
		if err != nil {
			return nil, err
		}
		out["keys"] = string(data)
	}
	return out, nil
}

// bulkProgress prints how a change of many objects advances, on stderr.
func bulkProgress(d Deps) app.ChangeProgress {
	return func(p app.BulkProgress) {
		fmt.Fprintf(d.Stderr, "objects %d of %d done (%d applied, %d already so, %d gone, %d failed, %d conflicting), batch %d\n",
			p.Done, p.Total, p.Applied, p.Already, p.Gone, p.Failed, p.Conflict, p.Batch)
	}
}

// confirmation is what the person typed to confirm: --confirm WORD, or
// "yes" for --yes.
func confirmation(a Args) (string, bool) {
	if a.Has("confirm") {
		return a.Value("confirm", ""), true
	}
	if a.Bool("yes") {
		return "yes", true
	}
	return "", false
}

func runActPlan(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, actSpec(), 2, 2, actUsage)
	if !ok {
		return code
	}
	params, err := actionParams(ctx, d, a)
	if err != nil {
		return usageError(d, err, actUsage)
	}
	return planAndMaybeApply(ctx, d, a, a.Pos[0], a.Pos[1], params, false)
}

// runActDirect is `act ACTION --incident ID ...`: a dry run, or the plan
// applied at once with the confirmation given on the line.
func runActDirect(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, actSpec("dry-run", "yes"), 1, 1, actUsage)
	if !ok {
		return code
	}
	id := a.Value("incident", "")
	if id == "" {
		return usageError(d, errors.New("name the incident with --incident ID"), actUsage)
	}
	params, err := actionParams(ctx, d, a)
	if err != nil {
		return usageError(d, err, actUsage)
	}
	_, confirmed := confirmation(a)
	switch {
	case a.Bool("dry-run") && confirmed:
		return usageError(d, errors.New("--dry-run plans only; it cannot go with --yes or --confirm"), actUsage)
	case !a.Bool("dry-run") && !confirmed:
		return usageError(d, errors.New("say --dry-run to see the plan, or confirm it with --yes or --confirm WORD"), actUsage)
	}
	return planAndMaybeApply(ctx, d, a, id, a.Pos[0], params, confirmed)
}

func planAndMaybeApply(ctx context.Context, d Deps, a Args, id, action string, params map[string]string, apply bool) int {
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		p := profileOf(ctx, a, d)
		plan, err := svc.PlanChange(ctx, id, p, app.ChangeRequest{Action: action, Params: params})
		if err != nil {
			return fail(d, err)
		}
		if !apply {
			if a.Bool("json") {
				return writeJSON(d, plan)
			}
			printPlan(d.Stdout, plan)
			fmt.Fprintln(d.Stdout, plan.ID)
			return exitOK
		}
		if !a.Bool("json") {
			printPlan(d.Stdout, plan)
		}
		word, _ := confirmation(a)
		run, err := svc.ApplyChangeWithProgress(ctx, id, p, plan.ID, word, bulkProgress(d))
		return finishRun(d, a, run, err)
	})
}

// finishRun prints what a change did and ends with its id; on error the
// run still says how far it got.
func finishRun(d Deps, a Args, run app.ChangeRun, err error) int {
	if a.Bool("json") {
		if code := writeJSON(d, run); code != exitOK {
			return code
		}
	} else if run.Plan.ID != "" {
		fmt.Fprint(d.Stdout, run.Report())
	}
	if err != nil {
		if run.Status == app.ChangeIncomplete {
			fmt.Fprintf(d.Stderr, "s3responder: the change is incomplete; `s3responder act journal %s` shows each step, `s3responder act resume %s --yes` finishes it\n", run.Plan.Incident, run.Plan.Incident)
		}
		return fail(d, err)
	}
	if !a.Bool("json") {
		fmt.Fprintln(d.Stdout, run.Plan.ID)
	}
	return exitOK
}

// printPlan shows a plan the way a person checks it before confirming.
func printPlan(w io.Writer, p app.Plan) {
	state := "planned, nothing sent"
	if p.UndoOf != "" {
		state = "undo of " + p.UndoOf + ", planned, nothing sent"
	}
	fmt.Fprintf(w, "Change %s (%s): %s\n", p.ID, state, p.Title)
	fmt.Fprintf(w, "  action   %s\n  target   %s\n  account  %s", p.Action, p.Target, p.Account)
	if p.Region != "" {
		fmt.Fprintf(w, " (%s)", p.Region)
	}
	if p.Simulated {
		fmt.Fprint(w, ", simulated")
	}
	fmt.Fprintf(w, "\n  as       %s\n  valid    until %s\n\n", p.Principal, p.ExpiresAt.Format(time.RFC3339))
	fmt.Fprintf(w, "What changes (- now, + after):\n%s\n", p.Diff)
	if len(p.Impact) > 0 {
		fmt.Fprintln(w, "What it will break:")
		for _, s := range p.Impact {
			fmt.Fprintf(w, "  - %s\n", s)
		}
		fmt.Fprintln(w)
	}
	if len(p.Notes) > 0 {
		fmt.Fprintln(w, "Notes:")
		for _, s := range p.Notes {
			fmt.Fprintf(w, "  - %s\n", s)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "The same with the AWS CLI:")
	for _, c := range p.CLI {
		fmt.Fprintf(w, "  %s\n", c)
	}
	fmt.Fprintln(w)
	if p.Reversible {
		undo := "can be undone (s3responder act undo)"
		if p.UndoNote != "" {
			undo += ": " + p.UndoNote
		}
		fmt.Fprintf(w, "Undo: %s\n", undo)
	} else {
		fmt.Fprintln(w, "Undo: not possible")
	}
	how := "--yes"
	if p.Broad {
		how = "--confirm " + p.ConfirmWord
	}
	fmt.Fprintf(w, "To apply: s3responder act apply %s %s %s\n", p.Incident, p.ID, how)
}

func runActApply(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json", "yes"}, Values: append([]string{"confirm"}, awsFlags...)}, 2, 2, actUsage)
	if !ok {
		return code
	}
	word, confirmed := confirmation(a)
	if !confirmed {
		return usageError(d, errors.New("confirm the change with --confirm WORD (the word its plan names) or --yes"), actUsage)
	}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		run, err := svc.ApplyChangeWithProgress(ctx, a.Pos[0], profileOf(ctx, a, d), a.Pos[1], word, bulkProgress(d))
		return finishRun(d, a, run, err)
	})
}

func runActJournal(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}}, 1, 1, actUsage)
	if !ok {
		return code
	}
	return withService(d, func(svc *app.Service) int {
		runs, err := svc.ChangeJournal(ctx, a.Pos[0])
		if err != nil {
			return fail(d, err)
		}
		if a.Bool("json") {
			return writeJSON(d, runs)
		}
		if len(runs) == 0 {
			fmt.Fprintf(d.Stdout, "No change was planned for %s.\n", a.Pos[0])
			return exitOK
		}
		for _, r := range runs {
			fmt.Fprint(d.Stdout, r.Report())
		}
		return exitOK
	})
}

func runActResume(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json", "yes"}, Values: awsFlags}, 1, 1, actUsage)
	if !ok {
		return code
	}
	id := a.Pos[0]
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		runs, err := svc.ChangeJournal(ctx, id)
		if err != nil {
			return fail(d, err)
		}
		var open []app.ChangeRun
		for _, r := range runs {
			if r.Resumable() {
				open = append(open, r)
			}
		}
		if len(open) == 0 {
			fmt.Fprintf(d.Stdout, "Nothing to resume: every confirmed change of %s is finished.\n", id)
			return exitOK
		}
		if !a.Bool("yes") {
			fmt.Fprintln(d.Stdout, "These changes are unfinished; resuming re-reads each resource and sends only what is not yet in place:")
			for _, r := range open {
				fmt.Fprint(d.Stdout, r.Report())
			}
			fmt.Fprintf(d.Stdout, "To resume: s3responder act resume %s --yes\n", id)
			return exitOK
		}
		done, err := svc.ResumeChangesWithProgress(ctx, id, profileOf(ctx, a, d), bulkProgress(d))
		if a.Bool("json") {
			if code := writeJSON(d, done); code != exitOK {
				return code
			}
		} else {
			for _, r := range done {
				fmt.Fprint(d.Stdout, r.Report())
			}
		}
		if err != nil {
			return fail(d, err)
		}
		return exitOK
	})
}

func runActUndo(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json", "yes"}, Values: append([]string{"confirm"}, awsFlags...)}, 2, 2, actUsage)
	if !ok {
		return code
	}
	id, change := a.Pos[0], a.Pos[1]
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		word, confirmed := confirmation(a)
		if !confirmed {
			runs, err := svc.ChangeJournal(ctx, id)
			if err != nil {
				return fail(d, err)
			}
			for _, r := range runs {
				if r.Plan.ID != change {
					continue
				}
				fmt.Fprintf(d.Stdout, "Undoing %s would send, in this order:\n", change)
				if r.Bulk != nil && r.Plan.Bulk != nil {
					fmt.Fprintf(d.Stdout, "  one %s per object it set (%d), each with the object's own saved state: %s\n", r.Plan.Bulk.UndoCall, r.Bulk.Applied, r.Plan.Bulk.UndoCLI)
				}
				for i := len(r.Steps) - 1; i >= 0; i-- {
					if s := r.Steps[i]; s.Outcome == app.OutcomeApplied {
						fmt.Fprintf(d.Stdout, "  %s\n", s.Step.UndoCLI)
					}
				}
				how := "--yes"
				if r.Plan.Broad {
					how = "--confirm " + r.Plan.ConfirmWord
				}
				return fail(d, fmt.Errorf("not undone: confirm with s3responder act undo %s %s %s", id, change, how))
			}
			return fail(d, fmt.Errorf("change %s of %s %w", change, id, app.ErrNotFound))
		}
		run, err := svc.UndoChangeWithProgress(ctx, id, profileOf(ctx, a, d), change, word, bulkProgress(d))
		return finishRun(d, a, run, err)
	})
}

func runActJob(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json", "once"}, Values: append([]string{"every"}, awsFlags...)}, 2, 2, actUsage)
	if !ok {
		return code
	}
	every := app.DefaultJobPoll
	if v := a.Value("every", ""); v != "" {
		dur, err := time.ParseDuration(v)
		if err != nil || dur < time.Second {
			return usageError(d, fmt.Errorf("--every %q: give a duration of a second or more, like 30s or 2m", v), actUsage)
		}
		every = dur
	}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		jobCtx := ctx
		if a.Bool("once") {
			// One read: the watch returns after its first read when the
			// context is already done waiting.
			var cancel context.CancelFunc
			jobCtx, cancel = context.WithCancel(ctx)
			defer cancel()
			every = time.Nanosecond
			progress := func(app.BatchJob) { cancel() }
			job, err := svc.WatchBatchJob(jobCtx, a.Pos[0], profileOf(ctx, a, d), a.Pos[1], every, progress)
			if err != nil && !errors.Is(err, context.Canceled) {
				return fail(d, err)
			}
			return printJob(d, a, job)
		}
		job, err := svc.WatchBatchJob(jobCtx, a.Pos[0], profileOf(ctx, a, d), a.Pos[1], every, func(j app.BatchJob) {
			if !j.Terminal {
				fmt.Fprintln(d.Stderr, j.Summary())
			}
		})
		if err != nil {
			return fail(d, err)
		}
		return printJob(d, a, job)
	})
}

func printJob(d Deps, a Args, job app.BatchJob) int {
	if a.Bool("json") {
		return writeJSON(d, job)
	}
	fmt.Fprintln(d.Stdout, job.Summary())
	return exitOK
}

func runActVerify(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: append([]string{"bucket"}, awsFlags...)}, 1, 2, actUsage)
	if !ok {
		return code
	}
	change := ""
	if len(a.Pos) == 2 {
		change = a.Pos[1]
	}
	if change == "" && a.Value("bucket", "") == "" {
		return usageError(d, errors.New("name the change or the bucket (--bucket) to check"), actUsage)
	}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		check, err := svc.VerifyContainment(ctx, a.Pos[0], profileOf(ctx, a, d), change, a.Value("bucket", ""))
		if err != nil {
			return fail(d, err)
		}
		if a.Bool("json") {
			if code := writeJSON(d, check); code != exitOK {
				return code
			}
		} else {
			fmt.Fprintln(d.Stdout, check.Summary)
		}
		if !check.NotPublic {
			return exitFail
		}
		return exitOK
	})
}

func runActWatch(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: append([]string{"access-key", "role", "minutes", "every", "since"}, awsFlags...)}, 1, 1, actUsage)
	if !ok {
		return code
	}
	req := app.WatchRequest{AccessKeyID: a.Value("access-key", ""), RoleName: a.Value("role", "")}
	if (req.AccessKeyID == "") == (req.RoleName == "") {
		return usageError(d, errors.New("watch one access key (--access-key) or one role (--role)"), actUsage)
	}
	if v := a.Value("minutes", ""); v != "" {
		m, err := strconv.ParseFloat(v, 64)
		if err != nil || m <= 0 || m > 24*60 {
			return usageError(d, fmt.Errorf("--minutes %q: give a number of minutes, at most a day", v), actUsage)
		}
		req.Duration = time.Duration(m * float64(time.Minute))
	}
	if v := a.Value("every", ""); v != "" {
		dur, err := time.ParseDuration(v)
		if err != nil || dur <= 0 {
			return usageError(d, fmt.Errorf("--every %q: give a duration like 5m or 30s", v), actUsage)
		}
		req.Every = dur
	}
	if v := a.Value("since", ""); v != "" {
		t, err := parseTime(v)
		if err != nil {
			return usageError(d, fmt.Errorf("--since: %w", err), actUsage)
		}
		req.Since = t
	}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		res, err := svc.WatchCredentials(ctx, a.Pos[0], profileOf(ctx, a, d), req, func(p app.WatchProgress) {
			for _, e := range p.New {
				fmt.Fprintf(d.Stderr, "FOUND %s %s by %s from %s %s\n", e.Time.UTC().Format(time.RFC3339), e.Name, e.Actor, e.SourceIP, e.ErrorCode)
			}
			fmt.Fprintf(d.Stderr, "look %d: %d call(s) found so far; next look at %s\n", p.Poll, p.Found, p.Next.UTC().Format(time.RFC3339))
		})
		if a.Bool("json") {
			if code := writeJSON(d, res); code != exitOK {
				return code
			}
		}
		if err != nil && !(res.Cancelled && errors.Is(err, context.Canceled)) {
			return fail(d, err)
		}
		if !a.Bool("json") {
			what := "stopped"
			if !res.Cancelled {
				what = "ended"
			}
			fmt.Fprintf(d.Stdout, "Watch %s after %d look(s): %d call(s) found.\n", what, res.Polls, len(res.Events))
		}
		if len(res.Events) > 0 {
			return exitFail
		}
		return exitOK
	})
}
