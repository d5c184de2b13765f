package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"s3responder/app"
	"s3responder/trail"
)

// runTrail handles "trail analyze", "trail verify" and "trail download".
// Analysing and verifying files on disk never opens the incident database,
// so they work on a machine that has nothing but the logs; the database is
// opened only to reach AWS (s3:// locations, download) with the connection
// the other AWS commands use, and to record an analysis in an incident.
func runTrail(ctx context.Context, args []string, d Deps) int {
	return sub(ctx, args, d, "trail", map[string]Command{
		"analyze":  runTrailAnalyze,
		"verify":   runTrailVerify,
		"download": runTrailDownload,
	}, trailUsage)
}

func trailUsage() string {
	return `Usage: s3responder trail SUBCOMMAND PATH... [FLAGS]

Offline analysis of CloudTrail log files (.json.gz or .json, single files or
AWSLogs/ folder trees), for S3 data events that LookupEvents never shows.

Subcommands:
  analyze   who read which objects, from where, what access changed, what was denied
  verify    check log files against CloudTrail digest files (hashes, chain, signatures)
  download  copy a prefix of the log bucket to a local folder (resumable)

Run 's3responder trail SUBCOMMAND --help' for details.
`
}

func trailAnalyzeUsage() string {
	return `Usage: s3responder trail analyze PATH... [FLAGS]

Reads every log file under PATH (digest files are left out) and reports the
principals, the objects read, changes to bucket access and IAM, denied calls,
events over time and a plain-language summary. Files that cannot be read are
listed with the reason; the rest are still analysed.

Files may be CloudTrail's own ({"Records":[...]}), JSON Lines (one record per
line, as CloudTrail Lake and log pipelines export them) or a bare JSON array
of records, compressed or not, in UTF-8 or UTF-16. Event times may also be
written as exports write them (2025-01-21 17:49:47.000000000, UTC). A record
larger than 8 MB is skipped and reported; the rest of its file is read.
Events whose eventID was already counted (a file given twice, a .json copy
beside its .json.gz) are counted once, and the summary says how many were
left out; so are events whose time cannot be read.

"Data read" is object data: the bytes of successful GetObject calls. The
bytes of every other response (error documents, listings) are "other out".
Lists within a row (addresses, user agents, event names, readers) show the
most frequent with exact counts and say how many more there were; the
result is the same for the same input, whatever --workers.

A PATH of the form s3://BUCKET/PREFIX is first copied from the log bucket
into the cache folder (what is already there with the right size is not
fetched again; see 'trail download'), with --profile and --region.

Filters (all given must match; repeat a flag or separate values by commas):
  --bucket NAME          events on this bucket
  --key-prefix PREFIX    object keys starting with PREFIX
  --access-key KEY       userIdentity.accessKeyId
  --principal ARN        userIdentity.arn, or the role behind a session; a
                         trailing * matches a prefix
  --source-ip IP/CIDR    sourceIPAddress within the address or block
  --event NAME           eventName (GetObject, PutBucketPolicy, ...)
  --error-code CODE      errorCode (AccessDenied, ...); * for any error
  --since TIME           events at or after TIME (2026-03-01T14:05:00Z or 2026-03-01)
  --until TIME           events before TIME; a date alone includes that day
  --read-only            only events CloudTrail marks readOnly
  --write-only           only events that are not readOnly

Output:
  --json                 one JSON object (files, records, duplicateRecords,
                         unreadableTimeRecords, errors, principals with
                         bytesRead and otherBytesOut, objectsRead,
                         configChanges, ...; lists cut to the limit say how
                         many they omit: sourceIPsOmitted, ...)
  --top N                rows per table in the text report (default 20)
  --workers N            files read at once (default: one per CPU)

Incident:
  --incident ID          also record the analysis in incident ID: the result
                         (JSON) and the SHA-256 of every file read become
                         evidence, the findings timeline entries at the time
                         the events happened

AWS (for s3:// paths):
` + awsFlagsHelp
}

func trailVerifyUsage() string {
	return `Usage: s3responder trail verify PATH... [--public-key FILE] [--json]

Checks the log files under PATH against the CloudTrail-Digest files under
PATH: each log file's SHA-256 (of its uncompressed content) against the value
its digest recorded, and the chain of digests, each of which records its
predecessor's hash and signature, as 'aws cloudtrail validate-logs' does
offline. Reports altered files, files a digest lists that are missing, log
files no digest lists, gaps and breaks in the chain, renamed digests, and
digests whose signature is in no file. Only the files given are checked: a
chain that goes on before the oldest digest given is noted.

  --public-key FILE   CloudTrail's public key(s) for the Region and period,
                      as PEM or as the base64 values of
                      'aws cloudtrail list-public-keys'; with it each
                      digest's RSA signature is verified too. Without it
                      nothing shows the files came from CloudTrail.
  --json              print the result as JSON

The newest digest's signature is kept only in S3 object metadata
(x-amz-meta-signature): save it as DIGESTFILE.sig, or the newest digest is
reported as unsigned.

Exit status: 0 when nothing is wrong, 1 when a file is altered, missing or
listed in no digest, the chain is broken, or a signature is missing or does
not verify.
`
}

// trailList accepts repeated flags and comma-separated values alike.
func trailList(values []string) []string {
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

func runTrailAnalyze(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{
		Bools:  []string{"json", "read-only", "write-only"},
		Values: append([]string{"bucket", "key-prefix", "access-key", "principal", "source-ip", "event", "error-code", "since", "until", "top", "workers", "incident"}, awsFlags...),
	}, 1, -1, trailAnalyzeUsage)
	if !ok {
		return code
	}
	f := trail.Filter{
		Buckets:    trailList(a.Values("bucket")),
		KeyPrefix:  a.Value("key-prefix", ""),
		AccessKeys: trailList(a.Values("access-key")),
		Principals: trailList(a.Values("principal")),
		Events:     trailList(a.Values("event")),
		ErrorCodes: trailList(a.Values("error-code")),
	}
	for _, s := range trailList(a.Values("source-ip")) {
		n, err := trail.ParseNetwork(s)
		if err != nil {
			return usageError(d, fmt.Errorf("--source-ip: %w", err), trailAnalyzeUsage)
		}
		f.Networks = append(f.Networks, n)
	}
	var err error
	if s := a.Value("since", ""); s != "" {
		if f.Since, err = trail.ParseTime(s, false); err != nil {
			return usageError(d, fmt.Errorf("--since: %w", err), trailAnalyzeUsage)
		}
	}
	if s := a.Value("until", ""); s != "" {
		if f.Until, err = trail.ParseTime(s, true); err != nil {
			return usageError(d, fmt.Errorf("--until: %w", err), trailAnalyzeUsage)
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return usageError(d, errors.New("--since must come before --until"), trailAnalyzeUsage)
	}
	switch {
	case a.Bool("read-only") && a.Bool("write-only"):
		return usageError(d, errors.New("--read-only and --write-only exclude each other"), trailAnalyzeUsage)
	case a.Bool("read-only"):
		v := true
		f.ReadOnly = &v
	case a.Bool("write-only"):
		v := false
		f.ReadOnly = &v
	}
	top, err := trailInt(a.Value("top", "20"), "--top")
	if err != nil {
		return usageError(d, err, trailAnalyzeUsage)
	}
	workers, err := trailInt(a.Value("workers", "0"), "--workers")
	if err != nil {
		return usageError(d, err, trailAnalyzeUsage)
	}

	incident := strings.TrimSpace(a.Value("incident", ""))
	if a.Has("incident") && incident == "" {
		return usageError(d, errors.New("--incident needs an incident id"), trailAnalyzeUsage)
	}
	paths := a.Pos
	if incident != "" || slices.ContainsFunc(paths, app.IsS3URL) {
		// Before the analysis, which may take minutes: a mistyped incident
		// or a bucket out of reach should fail first.
		var code int
		if paths, code = trailPrepare(ctx, a, awsDeps(d), incident); code != exitOK {
			return code
		}
	}

	// The analysis keeps its tables bounded, but Go's collector lets the
	// heap grow to twice what is live before it runs. A soft limit makes it
	// collect sooner instead, so the process stays well under 256 MB even
	// when every table is full. GOMEMLIMIT, when set, wins.
	if d.Getenv == nil || d.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(trailMemoryLimit))
	}
	res, err := trail.Analyze(ctx, paths, trail.Options{Filter: f, Workers: workers})
	if err != nil {
		return fail(d, fmt.Errorf("analyse CloudTrail logs: %w", err))
	}
	if a.Bool("json") {
		if err := res.WriteJSON(d.Stdout); err != nil {
			return fail(d, fmt.Errorf("write JSON: %w", err))
		}
	} else if err := writeTrailReport(d.Stdout, res, top); err != nil {
		return fail(d, fmt.Errorf("write report: %w", err))
	}
	if res.Files == 0 {
		fmt.Fprintln(d.Stderr, "s3responder: no CloudTrail log file (.json or .json.gz) found under the paths given")
		return exitFail
	}
	if int64(len(res.Errors)) >= res.Files && res.Records == 0 {
		fmt.Fprintln(d.Stderr, "s3responder: no log file could be read")
		return exitFail
	}
	if incident != "" {
		// With --json stdout holds one JSON object; what was added goes to
		// stderr then.
		w := d.Stdout
		if a.Bool("json") {
			w = d.Stderr
		}
		return withService(d, func(svc *app.Service) int {
			added, err := trail.AddToIncident(ctx, svc, incident, res, f, paths)
			if err != nil {
				return fail(d, fmt.Errorf("add the analysis to incident %s: %w", incident, err))
			}
			printAdded(w, incident, added)
			return exitOK
		})
	}
	return exitOK
}

// printAdded says what an analysis added to an incident.
func printAdded(w io.Writer, id string, a trail.Added) {
	fmt.Fprintf(w, "\nAdded to incident %s:\n", id)
	for _, ev := range []app.Evidence{a.Summary, a.Files} {
		fmt.Fprintf(w, "  evidence %s  sha256 %s  %s\n", ev.ID, ev.SHA256, ev.Title)
	}
	fmt.Fprintf(w, "  %s on the timeline at the times the events happened", plural(a.Findings, "finding"))
	if a.Omitted > 0 {
		fmt.Fprintf(w, " (%d more in the evidence only)", a.Omitted)
	}
	fmt.Fprintln(w)
	if a.Unreadable > 0 {
		fmt.Fprintf(w, "  %s could not be read again to hash them (listed with a dashed hash)\n", plural(a.Unreadable, "file"))
	}
}

// trailPrepare opens the database once before an analysis: it checks that
// the incident exists and copies every s3:// path into the cache folder,
// returning the local paths to analyse in its place.
func trailPrepare(ctx context.Context, a Args, d Deps, incident string) ([]string, int) {
	var paths []string
	code := withService(d, func(svc *app.Service) int {
		if incident != "" {
			if _, err := svc.Load(ctx, incident); err != nil {
				return fail(d, err)
			}
		}
		for _, p := range a.Pos {
			if !app.IsS3URL(p) {
				paths = append(paths, p)
				continue
			}
			bucket, prefix, err := app.ParseS3URL(p)
			if err != nil {
				return usageError(d, err, trailAnalyzeUsage)
			}
			dir, err := trail.CacheDir(bucket)
			if err != nil {
				return fail(d, err)
			}
			res, code := trailFetch(ctx, svc, a, d, incident, app.LogDownload{Bucket: bucket, Prefix: prefix, Dir: dir})
			if code != exitOK {
				return code
			}
			if len(res.Failed) > 0 {
				fmt.Fprintf(d.Stderr, "s3responder: warning: %s of s3://%s/%s could not be copied and are left out of the analysis\n", plural(len(res.Failed), "file"), bucket, prefix)
			}
			paths = append(paths, trail.DownloadedPaths(res)...)
		}
		return exitOK
	})
	return paths, code
}

// trailFetch copies one prefix with progress on stderr.
func trailFetch(ctx context.Context, svc *app.Service, a Args, d Deps, incident string, req app.LogDownload) (app.LogDownloadResult, int) {
	fmt.Fprintf(d.Stderr, "Copying s3://%s/%s into %s\n", req.Bucket, req.Prefix, req.Dir)
	res, id, err := svc.DownloadLogs(ctx, incident, profileOf(ctx, a, d), req, downloadProgress(d))
	if err != nil {
		return res, fail(d, err)
	}
	fmt.Fprintf(d.Stderr, "Copied %s (%s) as %s; %s already there; %s failed\n", plural(res.Downloaded, "file"), trail.Bytes(res.Bytes),
		id.ARN, plural(res.Skipped, "file"), plural(len(res.Failed), "file"))
	return res, exitOK
}

// downloadProgress prints the running totals of a download on stderr, at
// most once a second, and at the end.
func downloadProgress(d Deps) func(app.LogDownloadProgress) {
	var last time.Time
	return func(p app.LogDownloadProgress) {
		end := !p.Listing && p.FilesDone == p.FilesTotal
		if now := time.Now(); end || now.Sub(last) >= time.Second {
			last = now
			if p.Listing {
				fmt.Fprintf(d.Stderr, "  listing: %s files (%s) so far\n", trail.Count(int64(p.FilesTotal)), trail.Bytes(p.BytesTotal))
				return
			}
			fmt.Fprintf(d.Stderr, "  %s of %s files, %s of %s\n", trail.Count(int64(p.FilesDone)), trail.Count(int64(p.FilesTotal)), trail.Bytes(p.BytesDone), trail.Bytes(p.BytesTotal))
		}
	}
}

func trailDownloadUsage() string {
	return `Usage: s3responder trail download s3://BUCKET/PREFIX --out DIR [FLAGS]

Copies every object under PREFIX of the log bucket into DIR, keeping the
keys as paths (DIR/AWSLogs/<account>/CloudTrail/<region>/...), so that
'trail analyze DIR' and 'trail verify DIR' can read them. Files already in
DIR with the size of the object are not fetched again, so an interrupted
copy resumes; each new file appears whole or not at all. Objects that
cannot be copied are listed; the others are still copied.

  --out DIR     the local folder (created if needed)
  --workers N   objects fetched at once (default 8)
  --json        print the result (every file with its SHA-256) as JSON
` + awsFlagsHelp + `
Exit status: 0 when every object was copied, 1 otherwise.
`
}

func runTrailDownload(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{
		Bools:  []string{"json"},
		Values: append([]string{"out", "workers"}, awsFlags...),
	}, 1, 1, trailDownloadUsage)
	if !ok {
		return code
	}
	bucket, prefix, err := app.ParseS3URL(a.Pos[0])
	if err != nil {
		return usageError(d, err, trailDownloadUsage)
	}
	out := strings.TrimSpace(a.Value("out", ""))
	if out == "" {
		return usageError(d, errors.New("--out DIR is required: say where to put the files"), trailDownloadUsage)
	}
	workers, err := trailInt(a.Value("workers", "0"), "--workers")
	if err != nil {
		return usageError(d, err, trailDownloadUsage)
	}
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		res, code := trailFetch(ctx, svc, a, d, "", app.LogDownload{Bucket: bucket, Prefix: prefix, Dir: out, Concurrency: workers})
		if code != exitOK {
			return code
		}
		if a.Bool("json") {
			if code := trailJSON(d, res); code != exitOK {
				return code
			}
		} else {
			fmt.Fprintf(d.Stdout, "s3://%s/%s -> %s: %s copied (%s), %s already there, %s failed\n", bucket, prefix, res.Dir,
				plural(res.Downloaded, "file"), trail.Bytes(res.Bytes), plural(res.Skipped, "file"), plural(len(res.Failed), "file"))
			if res.Ignored > 0 {
				fmt.Fprintf(d.Stdout, "%s left out (folder markers, or keys that would land outside %s)\n", plural(res.Ignored, "key"), res.Dir)
			}
			for _, f := range res.Failed {
				fmt.Fprintf(d.Stdout, "  FAILED %s: %s\n", f.Key, f.Reason)
			}
		}
		if len(res.Failed) > 0 {
			return exitFail
		}
		return exitOK
	})
}

// trailMemoryLimit is the soft heap limit during an analysis.
const trailMemoryLimit = 160 << 20

func trailInt(s, flag string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s takes a whole number, not %q", flag, s)
	}
	return n, nil
}

func trailJSON(d Deps, v any) int {
	enc := json.NewEncoder(d.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fail(d, fmt.Errorf("write JSON: %w", err))
	}
	return exitOK
}

// writeTrailReport prints the analysis for a person: the summary first,
// then each table cut to top rows.
func writeTrailReport(w io.Writer, r *trail.Result, top int) error {
	if top <= 0 {
		top = 20
	}
	var b strings.Builder
	b.WriteString("Summary\n")
	for _, l := range r.Summary {
		b.WriteString("  " + l + "\n")
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	head := func(title string, shown, total int) {
		tw.Flush()
		if total > shown {
			fmt.Fprintf(&b, "\n%s (top %d of %s)\n", title, shown, trail.Count(int64(total)))
		} else {
			fmt.Fprintf(&b, "\n%s (%s)\n", title, trail.Count(int64(total)))
		}
	}
	if n := min(top, len(r.Principals)); n > 0 {
		head("Principals", n, len(r.Principals))
		fmt.Fprintln(tw, "ACCESS KEY\tPRINCIPAL\tEVENTS\tGETOBJECT\tDATA READ\tOTHER OUT\tDENIED\tSOURCE IPS\tFIRST SEEN\tLAST SEEN")
		for _, p := range r.Principals[:n] {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", dash(p.AccessKeyID), p.Name, trail.Count(p.Events), trail.Count(p.GetObject),
				trail.Bytes(p.BytesRead), trail.Bytes(p.OtherBytesOut), trail.Count(p.Denied), ipList(p.SourceIPs, p.SourceIPsOmitted), trail.When(p.FirstSeen), trail.When(p.LastSeen))
		}
	}
	if n := min(top, len(r.BucketsRead)); n > 0 {
		head("Buckets read", n, len(r.BucketsRead))
		fmt.Fprintln(tw, "BUCKET\tREADS\tOBJECTS\tDATA READ")
		for _, x := range r.BucketsRead[:n] {
			objects := trail.Count(x.Objects)
			if x.Estimated {
				objects = "~" + objects
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.Bucket, trail.Count(x.Reads), objects, trail.Bytes(x.BytesOut))
		}
	}
	if n := min(top, len(r.ObjectsRead)); n > 0 {
		head("Objects read", n, len(r.ObjectsRead))
		fmt.Fprintln(tw, "BUCKET\tKEY\tREADS\tDATA READ\tREADERS")
		for _, o := range r.ObjectsRead[:n] {
			readers := strings.Join(o.Readers, ", ")
			if o.ReadersOmitted > 0 {
				readers += " +" + trail.Count(o.ReadersOmitted)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.Bucket, o.Key, trail.Count(o.Reads), trail.Bytes(o.BytesOut), readers)
		}
	}
	if len(r.ConfigChanges) > 0 {
		n := min(top*5, len(r.ConfigChanges))
		head("Changes to bucket access and IAM, in time order", n, len(r.ConfigChanges))
		fmt.Fprintln(tw, "TIME\tEVENT\tON\tPRINCIPAL\tACCESS KEY\tSOURCE IP\tERROR")
		for _, c := range r.ConfigChanges[:n] {
			on := c.Bucket
			if c.Target != "" {
				on = c.Target
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", trail.When(c.EventTime), c.EventName, dash(on), c.Principal, dash(c.AccessKeyID), c.SourceIP, dash(c.ErrorCode))
		}
	}
	if n := min(top, len(r.Denied)); n > 0 {
		head("Denied calls", n, len(r.Denied))
		fmt.Fprintln(tw, "COUNT\tEVENT\tERROR\tBUCKET\tPRINCIPAL\tACCESS KEY\tSOURCE IPS\tFIRST\tLAST")
		for _, x := range r.Denied[:n] {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", trail.Count(x.Count), x.EventName, x.ErrorCode, dash(x.Bucket), x.Principal,
				dash(x.AccessKeyID), ipList(x.SourceIPs, x.SourceIPsOmitted), trail.When(x.First), trail.When(x.Last))
		}
	}
	if bins := r.Histogram.Bins; len(bins) > 0 {
		tw.Flush()
		fmt.Fprintf(&b, "\nEvents over time (one row per %s)\n", binWidth(r.Histogram.BinSeconds))
		peak := int64(1)
		for _, x := range bins {
			peak = max(peak, x.Events)
		}
		for _, x := range bins {
			bar := strings.Repeat("#", int((x.Events*40+peak-1)/peak))
			fmt.Fprintf(tw, "%s\t%s\t%s\n", x.Start.UTC().Format("2006-01-02 15:04"), trail.Count(x.Events), bar)
		}
	}
	if len(r.Errors) > 0 {
		head("Files with problems", len(r.Errors), len(r.Errors))
		fmt.Fprintln(tw, "FILE\tRECORDS READ\tPROBLEM")
		for _, e := range r.Errors {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", e.File, trail.Count(e.Records), e.Reason)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ipList shows the first three addresses and how many more there were,
// listed or left out of the list.
func ipList(ips []string, omitted int64) string {
	if more := int64(len(ips)) - 3 + omitted; more > 0 {
		return strings.Join(ips[:min(3, len(ips))], ", ") + fmt.Sprintf(" +%s", trail.Count(more))
	}
	return dash(strings.Join(ips, ", "))
}

func binWidth(sec int64) string {
	switch {
	case sec%(24*3600) == 0 && sec/(24*3600) == 1:
		return "day"
	case sec%(24*3600) == 0:
		return strconv.FormatInt(sec/(24*3600), 10) + " days"
	case sec == 3600:
		return "hour"
	}
	return strconv.FormatInt(sec/3600, 10) + " hours"
}

func runTrailVerify(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{
		Bools:  []string{"json"},
		Values: []string{"public-key", "workers"},
	}, 1, -1, trailVerifyUsage)
	if !ok {
		return code
	}
	var opt trail.VerifyOptions
	if p := a.Value("public-key", ""); p != "" {
		data, err := readText(ctx, d, p, "the public key", maxDocument)
		if err != nil {
			return fail(d, fmt.Errorf("read public key: %w", err))
		}
		if opt.PublicKeys, err = trail.ParsePublicKeys(data); err != nil {
			return fail(d, fmt.Errorf("read public key %s: %w", p, err))
		}
	}
	workers, err := trailInt(a.Value("workers", "0"), "--workers")
	if err != nil {
		return usageError(d, err, trailVerifyUsage)
	}
	opt.Workers = workers
	res, err := trail.Verify(ctx, a.Pos, opt)
	if err != nil {
		return fail(d, fmt.Errorf("verify CloudTrail logs: %w", err))
	}
	if a.Bool("json") {
		if code := trailJSON(d, res); code != exitOK {
			return code
		}
	} else {
		var b strings.Builder
		fmt.Fprintf(&b, "Digest files: %d; log files given: %d, listed in the digests: %d\n", res.Digests, res.LogFiles, res.LogsListed)
		fmt.Fprintf(&b, "Log files: %d verified, %d altered, %d missing, %d not listed in any digest\n",
			res.LogsVerified, res.LogsAltered, res.LogsMissing, res.LogsUnlisted)
		fmt.Fprintf(&b, "Digest chain: %d breaks\n", res.ChainBreaks)
		if len(opt.PublicKeys) == 0 {
			b.WriteString("Signatures: not checked (no --public-key)\n")
		} else {
			fmt.Fprintf(&b, "Signatures: %d valid, %d invalid, %d not checked\n", res.SignaturesOK, res.SignaturesBad, res.SignaturesUnchecked)
		}
		if len(res.Problems) > 0 {
			b.WriteString("\n")
			tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SEVERITY\tKIND\tFILE\tDETAIL")
			for _, p := range res.Problems {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Severity, p.Kind, escapeTerm(p.File), escapeTerm(p.Detail))
			}
			tw.Flush()
		}
		if res.OK && len(opt.PublicKeys) == 0 {
			b.WriteString("\nResult: hashes and digest chain intact; signatures not checked, so nothing shows the files came from CloudTrail (use --public-key).\n")
		} else if res.OK {
			b.WriteString("\nResult: no integrity problem found.\n")
		} else {
			b.WriteString("\nResult: INTEGRITY PROBLEMS FOUND (see above).\n")
		}
		if _, err := io.WriteString(d.Stdout, b.String()); err != nil {
			return fail(d, fmt.Errorf("write report: %w", err))
		}
	}
	if res.Digests == 0 {
		fmt.Fprintln(d.Stderr, "s3responder: no CloudTrail-Digest file found under the paths given")
		return exitFail
	}
	if !res.OK {
		return exitFail
	}
	return exitOK
}
