package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"s3responder/app"
)

// shownKeys is how many keys per bucket the text output prints; --json
// and the evidence item have them all (up to the cap).
const shownKeys = 20

func findDataUsage() string {
	return fmt.Sprintf(`Usage: s3responder find-data ID KEY-OR-PREFIX [--bucket B]... [--max-keys N]
                              [--profile P] [--region R] [--json]

Answers "which bucket holds this data": lists, in every bucket of the
account (or those named with --bucket), the objects whose key starts with
KEY-OR-PREFIX (S3 lists by prefix; a full key finds that object and any
whose key continues it), a few buckets at a time. Each bucket is mapped to
its application through its tags (the tag application or app, in any
case; the other tags are listed too). Saves the whole search, with S3's
responses, as one evidence item with incident ID and a finding on the
timeline. Ctrl-C stops the search; what was searched is kept.

  --bucket B      search only bucket B (repeat for more)
  --max-keys N    list at most N keys per bucket (default %d); the output
                  says where a bucket had more
`+awsFlagsHelp+`  --json          print the whole search and the saved items as JSON
`, app.DefaultDataMaxKeys)
}

func runFindData(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: append([]string{"bucket", "max-keys"}, awsFlags...)}, 2, 2, findDataUsage)
	if !ok {
		return code
	}
	id := a.Pos[0]
	q := app.DataQuery{Key: a.Pos[1], Buckets: trailList(a.Values("bucket"))}
	if v := a.Value("max-keys", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return usageError(d, fmt.Errorf("--max-keys must be a positive number, not %q", v), findDataUsage)
		}
		q.MaxKeys = n
	}
	if q.Key == "" {
		return usageError(d, errors.New("give the object key or the start of it"), findDataUsage)
	}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		rep, saved, err := svc.FindData(ctx, id, profileOf(ctx, a, d), q, progressLines(d, "buckets searched:"))
		if a.Bool("json") {
			if len(rep.Buckets) > 0 || err == nil {
				if code := writeJSON(d, struct {
					app.DataReport
					CollectedBy string         `json:"collectedBy"`
					Evidence    []evidenceView `json:"evidence"`
				}{rep, saved.By.ARN, viewEvidence(saved.Evidence)}); code != exitOK {
					return code
				}
			}
		} else if len(rep.Buckets) > 0 {
			printDataReport(d, rep)
			if len(saved.Evidence) > 0 {
				fmt.Fprintln(d.Stdout)
				printSaved(d.Stdout, id, saved)
			}
		}
		if err != nil {
			return fail(d, err)
		}
		return exitOK
	})
}

func printDataReport(d Deps, rep app.DataReport) {
	fmt.Fprintf(d.Stdout, "%s\n", rep.Summary())
	matches := rep.Matches()
	for _, m := range matches {
		fmt.Fprintf(d.Stdout, "\n%s (%s): %s\n", m.Bucket, m.Region, m.Owner())
		if m.Application != "" && len(m.Tags) > 1 {
			fmt.Fprintf(d.Stdout, "  tags: %s\n", app.TagsText(m.Tags))
		}
		for i, k := range m.Keys {
			if i == shownKeys {
				fmt.Fprintf(d.Stdout, "  ... %d more listed (see --json or the evidence item)\n", len(m.Keys)-shownKeys)
				break
			}
			fmt.Fprintf(d.Stdout, "  %12d  %s  %s\n", k.Size, k.LastModified.UTC().Format("2006-01-02 15:04Z"), k.Key)
		}
		if m.Truncated {
			fmt.Fprintf(d.Stdout, "  the bucket has more keys under this prefix than the cap of %d\n", rep.MaxKeys)
		}
		for _, p := range m.Problems {
			fmt.Fprintf(d.Stdout, "  ! %s\n", p)
		}
	}
	if len(matches) < len(rep.Buckets) {
		fmt.Fprintf(d.Stdout, "\nNot found in:\n")
		for _, b := range rep.Buckets {
			if b.Found() {
				continue
			}
			fmt.Fprintf(d.Stdout, "  %s (%s): %s\n", b.Bucket, b.Region, b.Owner())
			for _, p := range b.Problems {
				fmt.Fprintf(d.Stdout, "    ! %s\n", p)
			}
		}
	}
}
