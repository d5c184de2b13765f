package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"s3responder/exposure"
)

// exitPublic is the exit status of `policy check` for a public bucket:
// distinct from a failure (1) and a usage mistake (2), so a script can
// stop a deployment on it and still tell "public" from "could not judge".
const exitPublic = 3

// runPolicy handles "policy check". It reads files only: it works on a
// machine with no AWS access and no incident database.
func runPolicy(ctx context.Context, args []string, d Deps) int {
	return sub(ctx, args, d, "policy", map[string]Command{
		"check": runPolicyCheck,
	}, policyUsage)
}

func policyUsage() string {
	return `Usage: s3responder policy check FILE|- [FLAGS]

Judges a bucket's public and shared access offline, from saved settings.

Subcommands:
  check   say whether a bucket policy (with its ACL and Block Public Access) makes the bucket public

Run 's3responder policy check --help' for details.
`
}

func policyCheckUsage() string {
	return `Usage: s3responder policy check FILE|- [--acl FILE] [--bpa FILE] [--account-bpa FILE]
                                     [--ownership VALUE|FILE] [--account ID] [--org ID]
                                     [--access-point-policy FILE [--access-point-bpa FILE]]...
                                     [--json]

Reads a bucket policy (FILE, or standard input for -) and says what the S3
console would show in its Access column: Public, Objects can be public,
Bucket and objects not public, or Only authorized users of this account,
whether other accounts have access, and why, statement by statement. Works
offline, from files saved with the AWS CLI or taken from evidence.

FILE is the policy document, or the output of 'aws s3api get-bucket-policy'
({"Policy": "..."}); an empty file means the bucket has no policy.

  --acl FILE           the bucket ACL ('aws s3api get-bucket-acl' output)
  --bpa FILE           the bucket's Block Public Access
                       ('aws s3api get-public-access-block' output)
  --account-bpa FILE   the account's Block Public Access
                       ('aws s3control get-public-access-block' output)
  --ownership VALUE    Object Ownership: BucketOwnerEnforced,
                       BucketOwnerPreferred or ObjectWriter, or a file with
                       'aws s3api get-bucket-ownership-controls' output
  --account ID         the bucket owner's account id, so that its own
                       principals are not reported as other accounts
  --org ID             the bucket owner's AWS Organizations id (o-...), so
                       that aws:PrincipalOrgID and aws:PrincipalOrgPaths of
                       the owner's own organisation are not reported as
                       external access
  --access-point-policy FILE
                       the policy of one of the bucket's access points
                       ('aws s3control get-access-point-policy' output);
                       repeat for each access point. The access point is
                       named after the ARN its policy grants on.
  --access-point-bpa FILE
                       that access point's settings: 'aws s3control
                       get-access-point' output (name, network origin and
                       Block Public Access) or its Block Public Access
                       alone. The Nth --access-point-bpa goes with the Nth
                       --access-point-policy; one not given is taken as
                       created with all four settings on (AWS's default)
                       and an Internet network origin.
  --json               print the verdict as JSON (access, public, shared,
                       sharedWith, reasons, statements, grants,
                       accessPoints[] with name, public, reasons, ...)

Settings not given are taken as not configured, as AWS does.

Exit status: 0 when the bucket is not public, 3 when it is public, 1 when a
file cannot be read or understood (the message names the line and column),
2 for a mistake in the command line.
`
}

func runPolicyCheck(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{
		Bools:  []string{"json"},
		Values: []string{"acl", "bpa", "account-bpa", "ownership", "account", "org", "access-point-policy", "access-point-bpa"},
	}, 1, 1, policyCheckUsage)
	if !ok {
		return code
	}
	if org := strings.TrimSpace(a.Value("org", "")); org != "" && !exposure.IsOrgID(org) {
		return usageError(d, fmt.Errorf("--org %q is not an AWS Organizations id (o- and 10 to 32 lowercase letters or digits)", org), policyCheckUsage)
	}
	if len(a.Values("access-point-bpa")) > len(a.Values("access-point-policy")) {
		return usageError(d, errors.New("each --access-point-bpa goes with the --access-point-policy before it: there are more of them"), policyCheckUsage)
	}
	in, err := policyInput(ctx, d, a)
	if err != nil {
		return fail(d, err)
	}
	res, err := exposure.Evaluate(in)
	if err != nil {
		return fail(d, fmt.Errorf("%s: %w", sourceName(a.Pos[0]), err))
	}
	if a.Bool("json") {
		if code := writeJSON(d, res); code != exitOK {
			return code
		}
	} else {
		printVerdict(d.Stdout, res)
	}
	if res.Public {
		return exitPublic
	}
	return exitOK
}

func sourceName(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}

// policyInput reads every file the flags name into the evaluator's input.
func policyInput(ctx context.Context, d Deps, a Args) (exposure.Input, error) {
	in := exposure.Input{OwnerAccount: strings.TrimSpace(a.Value("account", "")), OwnerOrgID: strings.TrimSpace(a.Value("org", ""))}
	data, err := readText(ctx, d, a.Pos[0], "the bucket policy", maxDocument)
	if err != nil {
		return in, err
	}
	in.Policy = unwrapPolicy(data)
	if f := a.Value("acl", ""); f != "" {
		raw, err := readText(ctx, d, f, "the bucket ACL", maxDocument)
		if err != nil {
			return in, err
		}
		if in.ACL, err = exposure.ParseACL(raw); err != nil {
			return in, fmt.Errorf("%s: %w", f, err)
		}
	}
	for _, b := range []struct {
		flag string
		dst  **exposure.BlockPublicAccess
	}{{"bpa", &in.BucketBPA}, {"account-bpa", &in.AccountBPA}} {
		f := a.Value(b.flag, "")
		if f == "" {
			continue
		}
		raw, err := readText(ctx, d, f, "--"+b.flag, maxDocument)
		if err != nil {
			return in, err
		}
		if *b.dst, err = exposure.ParseBlockPublicAccess(raw); err != nil {
			return in, fmt.Errorf("%s: %w", f, err)
		}
	}
	bpas := a.Values("access-point-bpa")
	for i, f := range a.Values("access-point-policy") {
		raw, err := os.ReadFile(f)
		if err != nil {
			return in, fmt.Errorf("read --access-point-policy: %w", err)
		}
		ap := exposure.AccessPoint{Policy: unwrapPolicy(raw), NetworkOrigin: exposure.OriginInternet}
		ap.Name = exposure.AccessPointNameOf(ap.Policy)
		if ap.Name == "" {
			ap.Name = filepath.Base(f)
		}
		if i < len(bpas) {
			raw, err := os.ReadFile(bpas[i])
			if err != nil {
				return in, fmt.Errorf("read --access-point-bpa: %w", err)
			}
			if err := exposure.ParseAccessPointConfig(raw, &ap); err != nil {
				return in, fmt.Errorf("%s: %w", bpas[i], err)
			}
		}
		in.AccessPoints = append(in.AccessPoints, ap)
	}
	if v := a.Value("ownership", ""); v != "" {
		// A value that names a file is the saved response; otherwise it
		// is the setting itself.
		if st, err := os.Stat(v); err == nil && st.Mode().IsRegular() {
			raw, err := readText(ctx, d, v, "--ownership", maxDocument)
			if err != nil {
				return in, err
			}
			v = string(raw)
		}
		if in.Ownership, err = exposure.ParseOwnership(v); err != nil {
			return in, err
		}
	}
	return in, nil
}

// unwrapPolicy accepts the AWS CLI's {"Policy": "<document>"} as well as
// the document itself.
func unwrapPolicy(data []byte) string {
	var wrapper map[string]json.RawMessage
	if json.Unmarshal(data, &wrapper) == nil && len(wrapper) == 1 {
		var doc string
		if raw, ok := wrapper["Policy"]; ok && json.Unmarshal(raw, &doc) == nil {
			return doc
		}
	}
	return string(data)
}

// printVerdict writes a verdict for a person: the label first, then yes/no
// answers, then the reasons.
func printVerdict(w io.Writer, res exposure.Result) {
	fmt.Fprintf(w, "Access: %s\n", res.Access)
	fmt.Fprintf(w, "Public: %s\n", yesNo(res.Public))
	shared := yesNo(res.Shared)
	if res.Shared {
		shared += " (" + strings.Join(res.SharedWith, ", ") + ")"
	}
	fmt.Fprintf(w, "Shared with other accounts: %s\n", shared)
	if res.Disagreement != "" {
		fmt.Fprintf(w, "\n!! %s\n", res.Disagreement)
	}
	fmt.Fprintln(w, "\nWhy:")
	for _, r := range res.Reasons {
		fmt.Fprintf(w, "  - %s\n", r)
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
