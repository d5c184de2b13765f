package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"s3responder/app"
	"s3responder/exposure"
)

// The inspect command runs the read-only actions of the playbook's Part 3
// (eradicate): they change nothing, and keep what they read as evidence of
// the incident. The least-privilege review of a bucket policy also works
// offline on a saved file. main dispatches it as "inspect".

// inspectParams are the parameters that may be given as flags of their
// own besides --param KEY=VALUE.
var inspectParams = []string{"bucket", "roleName", "keyName", "principals"}

func inspectUsage() string {
	return `Usage:
  s3responder inspect list [--json]
  s3responder inspect ACTION --incident ID [--param KEY=VALUE]... [--bucket B]
                      [--roleName R] [--keyName K] [--principals P1,P2]
                      [--profile P] [--region R] [--json]
  s3responder inspect s3.policy-review --policy-file FILE|- [--bucket B]
                      [--account ID] [--incident ID] [--json]

Runs a read-only action of the playbook's eradication part. Nothing is
changed; what AWS answered and what the inspection found are kept as
evidence of the incident, and its high and medium findings go on the
timeline. Each finding comes with what to do about it: a policy snippet
or the AWS CLI commands.

  ec2.find-role-instances      the instances that carry role --roleName, and
                               whether they still answer IMDSv1
  ec2.find-key-pair-instances  the instances and launch templates that use
                               key pair --keyName, and how to replace it
  s3.object-lock-status        Object Lock and default retention of --bucket
  s3.mfa-delete-guide          whether MFA Delete is on for --bucket, and
                               the command only the root user can run
  s3.policy-review             least-privilege review of the policy of
                               --bucket: wildcard principals and actions,
                               broad grants without conditions, no TLS deny
  iam.review-principals        the IAM users, roles and keys the incident
                               names (and its evidence, and --principals),
                               with their last use, for review and removal

With --policy-file the policy review reads a saved policy (the document,
or 'aws s3api get-bucket-policy' output; - for standard input) and calls
no AWS API; with --incident as well, the review is kept as evidence.

` + awsFlagsHelp + `  --json        print the inspection (and the evidence saved) as JSON
`
}

func runInspect(ctx context.Context, args []string, d Deps) int {
	if len(args) > 0 && args[0] == "list" {
		return runInspectList(ctx, args[1:], d)
	}
	spec := Spec{Bools: []string{"json"}, Values: append(append([]string{"param", "incident", "policy-file", "account"}, awsFlags...), inspectParams...)}
	a, code, ok := parse(d, args, spec, 1, 1, inspectUsage)
	if !ok {
		return code
	}
	action := a.Pos[0]
	params, err := inspectParamsOf(a)
	if err != nil {
		return usageError(d, err, inspectUsage)
	}
	id := a.Value("incident", "")
	if a.Has("policy-file") {
		if action != exposure.PolicyReviewAction {
			return usageError(d, fmt.Errorf("--policy-file goes with %s only", exposure.PolicyReviewAction), inspectUsage)
		}
		return reviewPolicyFile(ctx, d, a, id, params["bucket"])
	}
	if id == "" {
		return usageError(d, errors.New("name the incident with --incident ID (or review a saved policy with --policy-file)"), inspectUsage)
	}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		rep, saved, err := svc.Inspect(ctx, id, profileOf(ctx, a, d), app.InspectRequest{Action: action, Params: params})
		if err != nil {
			return fail(d, err)
		}
		return printInspection(d, a, id, rep, saved)
	})
}

func inspectParamsOf(a Args) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range a.Values("param") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("--param %q: write KEY=VALUE", kv)
		}
		out[strings.TrimSpace(k)] = v
	}
	for _, name := range inspectParams {
		if a.Has(name) {
			out[name] = a.Value(name, "")
		}
	}
	return out, nil
}

// reviewPolicyFile reviews a saved policy without AWS, and keeps the
// review with the incident when one is named.
func reviewPolicyFile(ctx context.Context, d Deps, a Args, id, bucket string) int {
	file := a.Value("policy-file", "")
	data, err := readText(ctx, d, file, "the bucket policy", maxDocument)
	if err != nil {
		return fail(d, err)
	}
	rep, err := exposure.ReviewPolicy(unwrapPolicy(data), strings.TrimSpace(bucket), strings.TrimSpace(a.Value("account", "")))
	if err != nil {
		return fail(d, fmt.Errorf("%s: %w", sourceName(file), err))
	}
	rep.Offline = true
	rep.Items = []app.Collected{{Title: "Bucket policy reviewed (" + sourceName(file) + ")", Kind: app.EvidenceFile, MediaType: "application/json",
		FileName: "reviewed-policy.json", Data: data, Source: app.Source{File: file}}}
	if id == "" {
		return printInspection(d, a, "", rep, app.Saved{})
	}
	return withService(d, func(svc *app.Service) int {
		saved, err := svc.KeepInspection(ctx, id, rep, app.Identity{})
		if err != nil {
			return fail(d, err)
		}
		return printInspection(d, a, id, rep, saved)
	})
}

// inspectionView is the JSON of an inspection with what was saved.
type inspectionView struct {
	app.Inspection
	Evidence []evidenceView `json:"evidence"`
}

func printInspection(d Deps, a Args, id string, rep app.Inspection, saved app.Saved) int {
	if a.Bool("json") {
		return writeJSON(d, inspectionView{Inspection: rep, Evidence: viewEvidence(saved.Evidence)})
	}
	w := d.Stdout
	fmt.Fprintf(w, "%s (%s)\n%s\n", rep.Title, rep.Action, rep.Summary)
	if len(rep.Findings) > 0 {
		fmt.Fprintln(w, "\nFindings:")
		for _, f := range rep.Findings {
			fmt.Fprintf(w, "  [%s] %s: %s\n", f.Severity, f.Subject, f.Text)
			if f.Fix != "" {
				fmt.Fprintln(w, "      Fix:")
				for _, l := range strings.Split(f.Fix, "\n") {
					fmt.Fprintf(w, "        %s\n", l)
				}
			}
		}
	}
	if len(rep.Problems) > 0 {
		fmt.Fprintln(w, "\nNot read (the inspection lacks what these would say):")
		for _, p := range rep.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
	}
	if len(rep.Guidance) > 0 {
		fmt.Fprintln(w, "\nWhat to do:")
		for _, g := range rep.Guidance {
			fmt.Fprintf(w, "  - %s\n", g)
		}
	}
	if len(rep.Commands) > 0 {
		fmt.Fprintln(w, "\nAWS CLI:")
		for _, c := range rep.Commands {
			fmt.Fprintf(w, "  %s\n", c)
		}
	}
	if id != "" {
		fmt.Fprintln(w)
		printSaved(w, id, saved)
	}
	return exitOK
}

func runInspectList(_ context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}}, 0, 0, inspectUsage)
	if !ok {
		return code
	}
	type view struct {
		Name        string          `json:"name"`
		Title       string          `json:"title,omitempty"`
		Description string          `json:"description,omitempty"`
		Params      []app.ParamSpec `json:"params"`
	}
	var out []view
	for _, ia := range app.InspectActions() {
		v := view{Name: ia.ID, Params: ia.Params}
		if d.Builtin != nil {
			if def, ok := d.Builtin.Action(ia.ID); ok {
				v.Title, v.Description = def.Title, def.Description
			}
		}
		out = append(out, v)
	}
	if a.Bool("json") {
		return writeJSON(d, out)
	}
	for _, v := range out {
		fmt.Fprintf(d.Stdout, "%-30s %s\n", v.Name, v.Title)
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
