package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"s3responder/app"
	"s3responder/reports"
)

// The request command drafts, for the owner of a bucket we do not
// administer, what we found and what we ask them to change, with the
// commands, as Markdown or PDF. It reads the incident only and keeps the
// document as evidence. main dispatches it as "request".

func requestUsage() string {
	return `Usage: s3responder request ID --bucket B --out FILE [--format md|pdf]

Writes a request for action to the owner of bucket B, a bucket your team
cannot change (playbook step 1.6): why you write, what the incident found
about the bucket (its last exposure verdict, the findings, the evidence),
what you ask them to change with the exact AWS CLI commands, and what to
send back as proof. The format follows the file's extension (.md or
.pdf) unless --format says otherwise. Nothing is sent to AWS; the
document is kept with the incident as evidence and noted on the timeline.

Flags:
  --bucket B       the bucket the request is about (required)
  --out FILE       where to write (required); an existing file is replaced
                   only with --force
  --force          replace FILE if it exists
  --format F       md or pdf
`
}

func runRequest(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"force"}, Values: []string{"bucket", "out", "format"}}, 1, 1, requestUsage)
	if !ok {
		return code
	}
	bucket, out := strings.TrimSpace(a.Value("bucket", "")), a.Value("out", "")
	if bucket == "" || out == "" || out == "-" {
		return usageError(d, errors.New("name the bucket (--bucket) and the file to write (--out)"), requestUsage)
	}
	format := strings.ToLower(a.Value("format", strings.TrimPrefix(filepath.Ext(out), ".")))
	var render func(io.Writer, app.ActionRequest) error
	var media string
	switch format {
	case "md", "markdown":
		render, media = reports.RequestMarkdown, "text/markdown"
	case "pdf":
		render, media = reports.RequestPDF, "application/pdf"
	default:
		return usageError(d, fmt.Errorf("cannot tell the format of %q: use a .md or .pdf file, or --format", out), requestUsage)
	}
	if err := outputFree(out, a.Bool("force")); err != nil {
		return fail(d, err)
	}
	return withService(d, func(svc *app.Service) int {
		req, err := svc.BuildActionRequest(ctx, a.Pos[0], bucket)
		if err != nil {
			return fail(d, err)
		}
		var buf bytes.Buffer
		if err := render(&buf, req); err != nil {
			return fail(d, fmt.Errorf("write the request: %w", err))
		}
		n, sum, err := writeOutput(d, out, a.Bool("force"), func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err })
		if err != nil {
			return fail(d, fmt.Errorf("write %s: %w", out, err))
		}
		ev, err := svc.RecordActionRequest(ctx, a.Pos[0], req, filepath.Base(out), media, buf.Bytes())
		if err != nil {
			return fail(d, err)
		}
		fmt.Fprintf(d.Stdout, "Wrote %s (%d bytes, sha256 %s): %d request(s) to the owner of bucket %s, %d finding(s), %d evidence item(s) cited. Kept as evidence %s.\n",
			out, n, sum, len(req.Asks), bucket, len(req.Findings), len(req.Evidence), ev.ID)
		return exitOK
	})
}
