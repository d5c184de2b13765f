package trail

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"s3responder/app"
)

// MaxFindings caps how many findings one analysis puts on the timeline: a
// timeline is read by people, and the evidence keeps every row anyway.
const MaxFindings = 50

// Added is what AddToIncident recorded.
type Added struct {
	// Summary holds the whole result as JSON; Files the SHA-256 of every
	// log file read, in sha256sum's format.
	Summary app.Evidence
	Files   app.Evidence
	// Findings is the number of timeline entries written; Omitted the
	// findings left out by MaxFindings.
	Findings int
	Omitted  int
	// Unreadable counts files that could not be hashed (gone or unreadable
	// since the analysis); they are listed with a dashed hash.
	Unreadable int
}

// AddToIncident records an analysis in an incident, the same way from the
// GUI and the CLI: the full result (with the filter that produced it) and
// the hashes of the files read become evidence, and the findings become
// timeline entries at the times the events happened, each pointing at the
// result. paths are the files and folders the analysis was given.
func AddToIncident(ctx context.Context, svc *app.Service, incidentID string, res *Result, f Filter, paths []string) (Added, error) {
	var added Added
	if res == nil {
		return added, fmt.Errorf("%w: there is no analysis to add", app.ErrInvalid)
	}
	// Load first, so a mistyped incident fails before files are hashed.
	if _, err := svc.Load(ctx, incidentID); err != nil {
		return added, err
	}
	var js bytes.Buffer
	if err := res.WriteJSON(&js); err != nil {
		return added, fmt.Errorf("encode the analysis: %w", err)
	}
	list, unreadable, err := hashList(ctx, Expand(paths).Logs)
	if err != nil {
		return added, fmt.Errorf("hash the log files: %w", err)
	}
	added.Unreadable = unreadable

	title := "Offline CloudTrail analysis"
	if len(res.Summary) > 0 {
		title += ": " + res.Summary[0]
	}
	from := describePaths(paths)
	added.Summary, err = svc.AddUniqueEvidence(ctx, incidentID, app.Evidence{
		Title: title, Kind: app.EvidenceTrailSummary, MediaType: "application/json", FileName: "cloudtrail-analysis.json",
		Source: app.Source{API: "offline CloudTrail analysis", File: from, Params: filterParams(f)},
	}, js.Bytes())
	if err != nil {
		return added, err
	}
	added.Files, err = svc.AddUniqueEvidence(ctx, incidentID, app.Evidence{
		Title: fmt.Sprintf("CloudTrail log files analysed (%s, SHA-256)", Count(res.Files)), Kind: app.EvidenceFile, MediaType: "text/plain",
		FileName: "cloudtrail-files.sha256", Source: app.Source{File: from},
	}, list)
	if err != nil {
		return added, err
	}

	all := Findings(res)
	keep := all[:min(len(all), MaxFindings)]
	fs := make([]app.Finding, len(keep))
	for i, x := range keep {
		fs[i] = app.Finding{Text: "CloudTrail: " + x.Text, EventTime: x.Time, Refs: []string{added.Summary.ID}}
	}
	if _, err := svc.AddFindings(ctx, incidentID, fs); err != nil {
		return added, fmt.Errorf("record the findings: %w", err)
	}
	added.Findings, added.Omitted = len(fs), len(all)-len(fs)
	return added, nil
}

// Finding is one line of an analysis worth a timeline entry, at the time
// of the first event it describes.
type Finding struct {
	Text string
	Time time.Time
}

// Findings lists what an analysis found, in the order the result ranks
// it: the reads of each principal from each bucket (most data first), the
// access changes in time order, and the refused calls as one line.
func Findings(res *Result) []Finding {
	var out []Finding
	for _, g := range res.Reads {
		out = append(out, Finding{g.Sentence(), g.First})
	}
	for _, c := range res.ConfigChanges {
		out = append(out, Finding{c.Sentence(), c.EventTime})
	}
	if len(res.Denied) > 0 {
		first := res.Denied[0].First
		for _, x := range res.Denied {
			if x.First.Before(first) {
				first = x.First
			}
		}
		out = append(out, Finding{fmt.Sprintf("%s denied calls (AccessDenied and similar), the first at %s", Count(res.DeniedTotal), When(first)), first})
	}
	return out
}

// describePaths names the inputs in the evidence's source; a long list of
// single files is cut, since the file list evidence names every one.
func describePaths(paths []string) string {
	const shown = 5
	if len(paths) <= shown {
		return strings.Join(paths, "; ")
	}
	return strings.Join(paths[:shown], "; ") + fmt.Sprintf("; … and %d more (see cloudtrail-files.sha256)", len(paths)-shown)
}

// filterParams writes the filter as the evidence's parameters, so anyone
// can run the same analysis again.
func filterParams(f Filter) map[string]string {
	params := map[string]string{}
	add := func(k string, v []string) {
		if len(v) > 0 {
			params[k] = strings.Join(v, ",")
		}
	}
	add("bucket", f.Buckets)
	add("access-key", f.AccessKeys)
	add("principal", f.Principals)
	add("event", f.Events)
	add("error-code", f.ErrorCodes)
	var nets []string
	for _, n := range f.Networks {
		nets = append(nets, n.String())
	}
	add("source-ip", nets)
	if f.KeyPrefix != "" {
		params["key-prefix"] = f.KeyPrefix
	}
	if !f.Since.IsZero() {
		params["since"] = f.Since.UTC().Format(time.RFC3339)
	}
	if !f.Until.IsZero() {
		params["until"] = f.Until.UTC().Format(time.RFC3339)
	}
	if f.ReadOnly != nil {
		if *f.ReadOnly {
			params["read-only"] = "true"
		} else {
			params["write-only"] = "true"
		}
	}
	if len(params) == 0 {
		return nil
	}
	return params
}

// hashList hashes the files on every CPU (gigabytes of logs are common)
// and lists them in sha256sum's format, in the order given, so anyone can
// check later that the same bytes were read. A file that cannot be read
// gets a dashed hash and is counted.
func hashList(ctx context.Context, files []string) ([]byte, int, error) {
	sums := make([]string, len(files))
	var (
		next int
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	for range max(1, min(runtime.NumCPU(), len(files))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(files) {
					return
				}
				sums[i], _ = FileSHA256(ctx, files[i])
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	var b bytes.Buffer
	bad := 0
	for i, p := range files {
		sum := sums[i]
		if sum == "" {
			sum = strings.Repeat("-", 64)
			bad++
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, p)
	}
	return b.Bytes(), bad, nil
}

// FileSHA256 returns the SHA-256 of a file's bytes as they are on disk
// (compressed, for .json.gz), in lowercase hex.
func FileSHA256(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ctxReader stops a long read when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
