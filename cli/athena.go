package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"s3responder/app"
)

// shownRows is how many result rows the text output prints; the evidence
// CSV and --json have all that were fetched.
const shownRows = 50

var athenaQueryFlags = []string{"database", "table", "since", "until", "access-key", "bucket", "key", "top", "limit"}

const athenaQueryFlagsHelp = `  --database D      the Athena (Glue) database of the CloudTrail table (required)
  --table T         the CloudTrail table (required to write queries)
  --since TIME      start of the window on eventtime (2026-03-01 or an RFC 3339
                    time); without it Athena reads every log file of the table
  --until TIME      end of the window; a date alone includes that day
  --access-key K    the access key to trace (by-access-key)
  --bucket B        the bucket (by-bucket; narrows the others)
  --key K           the object key to trace (by-object-key)
  --top N           how many readers top-readers lists (default 25)
  --limit N         row limit of the other queries (default 1000)
`

func athenaUsage() string {
	return `Usage: s3responder athena ID queries --database D --table T [QUERY FLAGS] [--json]
       s3responder athena ID run NAME --database D --table T [QUERY FLAGS] [RUN FLAGS]
       s3responder athena ID run --sql-file FILE|- --database D [RUN FLAGS]

Athena searches the trail's log files in S3, data events included (who read
which object), at a scale no laptop can download. 'queries' writes the
queries the investigation needs against your CloudTrail table, for you to
review (nothing is run):

  by-access-key    S3 calls made with an access key
  by-bucket        every call on a bucket and its objects
  by-object-key    who touched an object, and in which bucket
  top-readers      who read the most, with bytes transferred out
  config-changes   changes of bucket, account and IAM configuration

'run NAME' runs one of them; 'run --sql-file' runs a query you edited (only
queries that read, SELECT or WITH, are run). The results (CSV) and Athena's
record of the run (the SQL as run, the data scanned) are saved as evidence
with incident ID, with a finding on the timeline. Ctrl-C stops the query in
Athena too. Athena charges by the data it scans: give a window.

Query flags:
` + athenaQueryFlagsHelp + `
Run flags:
  --output S3URL    where Athena writes the results (s3://bucket/prefix/);
                    default: the workgroup's result location
  --workgroup W     the Athena workgroup (default: primary)
  --max-rows N      fetch at most N rows back (default 10000; the whole result
                    stays at the output location)
  --sql-file FILE   the SQL to run; - reads it from standard input
` + awsFlagsHelp + `  --json            print the queries, or the result, as JSON
`
}

func runAthena(ctx context.Context, args []string, d Deps) int {
	if len(args) == 0 || hasHelp(args[:1]) || args[0] == "help" {
		if len(args) == 0 {
			return usageError(d, errors.New("athena needs an incident ID and a subcommand"), athenaUsage)
		}
		fmt.Fprint(d.Stdout, athenaUsage())
		return exitOK
	}
	// Both "athena ID run" and "athena run ID" are accepted.
	var id, subName string
	var rest []string
	switch {
	case args[0] == "queries" || args[0] == "run":
		subName, rest = args[0], args[1:]
		if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			id, rest = rest[0], rest[1:]
		}
	case len(args) > 1:
		id, subName, rest = args[0], args[1], args[2:]
	default:
		return usageError(d, errors.New("athena needs a subcommand: queries or run"), athenaUsage)
	}
	switch subName {
	case "queries":
		return runAthenaQueries(ctx, id, rest, d)
	case "run":
		return runAthenaRun(ctx, id, rest, d)
	}
	return usageError(d, fmt.Errorf("unknown athena subcommand %q (queries or run)", subName), athenaUsage)
}

// athenaParams reads the query flags.
func athenaParams(a Args) (app.AthenaParams, error) {
	p := app.AthenaParams{
		Database: a.Value("database", ""), Table: a.Value("table", ""),
		AccessKey: a.Value("access-key", ""), Bucket: a.Value("bucket", ""), Key: a.Value("key", ""),
	}
	var err error
	if p.Since, p.Until, err = windowFlags(a); err != nil {
		return p, err
	}
	for _, f := range []struct {
		name string
		to   *int
	}{{"top", &p.Top}, {"limit", &p.Limit}} {
		if v := a.Value(f.name, ""); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return p, fmt.Errorf("--%s must be a positive number, not %q", f.name, v)
			}
			*f.to = n
		}
	}
	return p, nil
}

func runAthenaQueries(ctx context.Context, id string, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: athenaQueryFlags}, 0, 0, athenaUsage)
	if !ok {
		return code
	}
	if id == "" {
		return usageError(d, errors.New("give the incident ID"), athenaUsage)
	}
	p, err := athenaParams(a)
	if err != nil {
		return usageError(d, err, athenaUsage)
	}
	return withService(d, func(svc *app.Service) int {
		if _, err := svc.Load(ctx, id); err != nil {
			return fail(d, err)
		}
		qs, err := app.AthenaQueries(p)
		if err != nil {
			return fail(d, err)
		}
		if a.Bool("json") {
			return writeJSON(d, qs)
		}
		flagOf := map[string]string{app.AthenaByAccessKey: "--access-key", app.AthenaByBucket: "--bucket", app.AthenaByObjectKey: "--key"}
		for _, q := range qs {
			if q.Missing != "" {
				fmt.Fprintf(d.Stdout, "-- [%s] %s: needs %s (%s)\n\n", q.Name, q.Title, q.Missing, flagOf[q.Name])
				continue
			}
			fmt.Fprintf(d.Stdout, "-- [%s] %s\n%s\n", q.Name, q.Title, q.SQL)
		}
		fmt.Fprintf(d.Stdout, "-- Run one with: s3responder athena %s run NAME (same flags) --output s3://BUCKET/PREFIX/\n", id)
		return exitOK
	})
}

func runAthenaRun(ctx context.Context, id string, args []string, d Deps) int {
	values := append(append([]string{"output", "workgroup", "max-rows", "sql-file"}, athenaQueryFlags...), awsFlags...)
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: values}, 0, 1, athenaUsage)
	if !ok {
		return code
	}
	if id == "" {
		return usageError(d, errors.New("give the incident ID"), athenaUsage)
	}
	run := app.AthenaRun{Database: a.Value("database", ""), Workgroup: a.Value("workgroup", ""), OutputLocation: a.Value("output", "")}
	if v := a.Value("max-rows", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return usageError(d, fmt.Errorf("--max-rows must be a positive number, not %q", v), athenaUsage)
		}
		run.MaxRows = n
	}
	switch file := a.Value("sql-file", ""); {
	case file != "" && len(a.Pos) > 0:
		return usageError(d, errors.New("give a query NAME or --sql-file, not both"), athenaUsage)
	case file != "":
		data, err := readText(ctx, d, file, "the query", maxDocument)
		if err != nil {
			return fail(d, err)
		}
		run.Name, run.SQL = "custom", string(data)
	case len(a.Pos) == 1:
		p, err := athenaParams(a)
		if err != nil {
			return usageError(d, err, athenaUsage)
		}
		q, err := app.AthenaQueryFor(a.Pos[0], p)
		if err != nil {
			return fail(d, err)
		}
		if q.Missing != "" {
			return usageError(d, fmt.Errorf("query %s needs %s", q.Name, q.Missing), athenaUsage)
		}
		run.Name, run.SQL = q.Name, q.SQL
	default:
		return usageError(d, errors.New("name the query to run, or give --sql-file"), athenaUsage)
	}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		fmt.Fprintf(d.Stderr, "Running Athena query %s (Ctrl-C stops it)...\n", run.Name)
		res, saved, err := svc.RunAthenaQuery(ctx, id, profileOf(ctx, a, d), run)
		if err != nil {
			return fail(d, err)
		}
		if a.Bool("json") {
			return writeJSON(d, struct {
				app.AthenaResult
				CollectedBy string         `json:"collectedBy"`
				Evidence    []evidenceView `json:"evidence"`
			}{res, saved.By.ARN, viewEvidence(saved.Evidence)})
		}
		fmt.Fprintf(d.Stdout, "Query %s (%s): %s, %d bytes scanned, %s.\n", run.Name, res.QueryID, plural(len(res.Rows), "row"), res.ScannedBytes, res.Duration)
		if res.Truncated {
			fmt.Fprintf(d.Stdout, "Only the first %d rows were fetched; the whole result is at %s.\n", len(res.Rows), res.OutputLocation)
		}
		tw := tabwriter.NewWriter(d.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(res.Columns, "\t"))
		for i, row := range res.Rows {
			if i == shownRows {
				break
			}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return fail(d, err)
		}
		if len(res.Rows) > shownRows {
			fmt.Fprintf(d.Stdout, "... %d more rows in the results saved as evidence (CSV)\n", len(res.Rows)-shownRows)
		}
		fmt.Fprintln(d.Stdout)
		printSaved(d.Stdout, id, saved)
		return exitOK
	})
}
