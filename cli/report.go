package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"s3responder/app"
	"s3responder/reports"
)

func reportUsage() string {
	return `Usage: s3responder report ID --out FILE [FLAGS]

Writes the incident's post-incident report. The format follows the file's
extension (.pdf, .md, .json, .csv) unless --format says otherwise; --out -
writes to standard output (give --format then).

  pdf    the post-mortem document: cover, contents, executive summary,
         metrics, timeline chart and full timeline, resources, findings,
         actions, evidence and custody, playbook completion,
         communications, lessons, action items, appendix
  md     the same content in Markdown
  json   the whole incident, as 'import' reads it back
  csv    the timeline, one entry a row, with its hashes

Flags:
  --out FILE           where to write (required); an existing file is
                       replaced only with --force
  --force              replace FILE if it exists
  --format FORMAT      pdf, md, json or csv
  --sections LIST      only these sections (pdf and md; comma-separated):
                       ` + strings.Join(app.ReportSections, ", ") + `
  --logo FILE          a PNG or JPEG for the cover (pdf)
`
}

func exportUsage() string {
	return `Usage: s3responder export ID --out FILE.zip

Writes an evidence bundle: the incident as JSON, every evidence file under
evidence/<sha256>, the PDF report, and manifest.json with the SHA-256 of
each file and the chain's head. The report's hash is sealed on the
timeline first, so every file is covered by the hash chain. 'import'
checks all of it before it accepts the bundle. Each evidence item's chain
of custody records the export and the bundle's hash. The incident's
timeline, records and evidence must verify.

Prints the bundle's own SHA-256 and the chain's head: send them to the
receiver over another channel (a call, a ticket) so they can compare.

  --out FILE.zip    where to write (required); an existing file is
                    replaced only with --force
  --force           replace FILE.zip if it exists
`
}

func importUsage() string {
	return `Usage: s3responder import FILE [--max-size MIB]

Takes in an incident exported elsewhere: an evidence bundle (.zip) from
'export', or the JSON from 'report --format json' (an incident with evidence
needs the bundle, which carries the evidence files). Nothing is written
unless every check passes: each file's size and hash against the bundle's
manifest, every field of the incident as if typed here, the timeline's
hash chain, the incident's fields, steps, evidence items and report
against the hashes the timeline sealed, and every evidence file against
its SHA-256. A refused bundle is reported with the name of the file, field
or item that failed. Prints the bundle's SHA-256 and chain head, to compare
with what the sender printed.

  --max-size MIB   the most content a bundle may hold, in MiB (default ` + fmt.Sprint(reports.DefaultMaxBundleContent>>20) + `),
                   checked against the manifest before anything is
                   unpacked; the import holds it in memory
`
}

// reportFormats maps file extensions to report formats.
var reportFormats = map[string]string{".pdf": "pdf", ".md": "md", ".markdown": "md", ".json": "json", ".csv": "csv"}

func runReport(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"force"}, Values: []string{"out", "format", "sections", "logo"}}, 1, 1, reportUsage)
	if !ok {
		return code
	}
	id, out := a.Pos[0], a.Value("out", "")
	if out == "" {
		return usageError(d, errors.New("--out is required"), reportUsage)
	}
	format := strings.ToLower(strings.TrimPrefix(a.Value("format", ""), "."))
	if format == "markdown" {
		format = "md"
	}
	if format == "" {
		if out == "-" {
			return usageError(d, errors.New("--out - needs --format"), reportUsage)
		}
		format = reportFormats[strings.ToLower(filepath.Ext(out))]
		if format == "" {
			return usageError(d, fmt.Errorf("cannot tell the format from %q: use --format pdf, md, json or csv", out), reportUsage)
		}
	}
	if !slices.Contains([]string{"pdf", "md", "json", "csv"}, format) {
		return usageError(d, fmt.Errorf("unknown format %q: use pdf, md, json or csv", format), reportUsage)
	}
	sections := splitList(a.Values("sections"))
	for _, s := range sections {
		if !slices.Contains(app.ReportSections, s) {
			return usageError(d, fmt.Errorf("unknown section %q: use %s", s, strings.Join(app.ReportSections, ", ")), reportUsage)
		}
	}
	if len(sections) > 0 && format != "pdf" && format != "md" {
		return usageError(d, fmt.Errorf("--sections applies to pdf and md, not %s", format), reportUsage)
	}
	if err := outputFree(out, a.Bool("force")); err != nil {
		return fail(d, err)
	}
	var logo []byte
	if file := a.Value("logo", ""); file != "" {
		if format != "pdf" {
			return usageError(d, fmt.Errorf("--logo applies to pdf, not %s", format), reportUsage)
		}
		var err error
		if logo, err = readInput(ctx, d, file, "logo", maxDocument); err != nil {
			return fail(d, err)
		}
	}
	return withService(d, func(svc *app.Service) int {
		render, err := reportRenderer(ctx, svc, id, format, sections, logo)
		if err != nil {
			return fail(d, err)
		}
		n, _, err := writeOutput(d, out, a.Bool("force"), render)
		if err != nil {
			return fail(d, fmt.Errorf("write %s report of %s: %w", format, id, err))
		}
		if out != "-" {
			fmt.Fprintf(d.Stdout, "wrote the %s report of %s to %s (%d bytes)\n", format, id, out, n)
		}
		return exitOK
	})
}

// reportRenderer gathers the data first, so that nothing is written when
// the incident cannot be read.
func reportRenderer(ctx context.Context, svc *app.Service, id, format string, sections []string, logo []byte) (func(io.Writer) error, error) {
	if format == "json" {
		// The JSON is the re-importable incident: it comes from the same
		// verified export as a bundle, custom playbook text included.
		b, _, err := svc.ExportBundle(ctx, id)
		if err != nil {
			return nil, err
		}
		return func(w io.Writer) error { return reports.JSON(w, b) }, nil
	}
	r, err := svc.BuildReport(ctx, id)
	if err != nil {
		return nil, err
	}
	r.Sections, r.Logo = sections, logo
	switch format {
	case "md":
		return func(w io.Writer) error { return reports.Markdown(w, r) }, nil
	case "csv":
		return func(w io.Writer) error { return reports.CSV(w, r.Timeline) }, nil
	}
	// Render the PDF before opening the file, so a bad logo leaves no
	// half-written report behind.
	var buf bytes.Buffer
	if err := reports.PDF(&buf, r); err != nil {
		return nil, err
	}
	return func(w io.Writer) error { _, err := w.Write(buf.Bytes()); return err }, nil
}

// outputFree refuses an --out file that exists, unless force: a report or
// bundle must not silently replace one written earlier (perhaps the only
// copy of an older state). Checked before any work; writeOutput checks
// again as it puts the file in place.
func outputFree(path string, force bool) error {
	if path == "-" || force {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s already exists: give --force to replace it, or another --out", path)
	}
	return nil
}

// writeOutput writes to standard output for "-", or else to a temporary
// file beside the target that is moved to it once complete: a report or
// bundle is never left half-written under its real name, and without
// force an existing file is never replaced (a hard link, which fails if
// the name is taken, puts it in place). It returns the size and SHA-256 of
// what was written.
func writeOutput(d Deps, path string, force bool, render func(io.Writer) error) (int64, string, error) {
	h := sha256.New()
	if path == "-" {
		raw := d.rawStdout
		if raw == nil {
			raw = d.Stdout
		}
		cw := &countingWriter{w: io.MultiWriter(raw, h)}
		err := render(cw)
		return cw.n, hex.EncodeToString(h.Sum(nil)), err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return 0, "", err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	cw := &countingWriter{w: io.MultiWriter(bw, h)}
	if err := render(cw); err != nil {
		return 0, "", err
	}
	if err := bw.Flush(); err != nil {
		return 0, "", err
	}
	if err := tmp.Sync(); err != nil {
		return 0, "", err
	}
	if err := tmp.Close(); err != nil {
		return 0, "", err
	}
	if err := placeOutput(tmp.Name(), path, force); err != nil {
		os.Remove(tmp.Name())
		done = true
		return 0, "", err
	}
	done = true
	return cw.n, hex.EncodeToString(h.Sum(nil)), nil
}

// placeOutput moves the finished temporary file to path.
func placeOutput(tmp, path string, force bool) error {
	if force {
		return os.Rename(tmp, path)
	}
	err := os.Link(tmp, path)
	switch {
	case err == nil:
		return os.Remove(tmp)
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s already exists: give --force to replace it, or another --out", path)
	}
	// No hard links here (some file systems): check, then rename.
	if err := outputFree(path, false); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func runExport(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"force"}, Values: []string{"out"}}, 1, 1, exportUsage)
	if !ok {
		return code
	}
	id, out := a.Pos[0], a.Value("out", "")
	if out == "" || out == "-" {
		return usageError(d, errors.New("--out FILE.zip is required"), exportUsage)
	}
	return withService(d, func(svc *app.Service) int {
		b, contents, err := svc.ExportBundle(ctx, id)
		if err != nil {
			return fail(d, err)
		}
		r, err := svc.BuildReport(ctx, id)
		if err != nil {
			return fail(d, err)
		}
		var pdf bytes.Buffer
		if err := reports.PDF(&pdf, r); err != nil {
			return fail(d, fmt.Errorf("export %s: %w", id, err))
		}
		if err := svc.SealBundleFiles(ctx, &b, map[string][]byte{reports.BundleReport: pdf.Bytes()}); err != nil {
			return fail(d, fmt.Errorf("export %s: %w", id, err))
		}
		n, sum, err := writeOutput(d, out, a.Bool("force"), func(w io.Writer) error { return reports.WriteBundle(w, b, contents, pdf.Bytes()) })
		if err != nil {
			return fail(d, fmt.Errorf("write bundle of %s: %w", id, err))
		}
		if err := svc.RecordExport(ctx, id, fmt.Sprintf("evidence bundle %s, sha256 %s", filepath.Base(out), sum)); err != nil {
			return fail(d, fmt.Errorf("the bundle is written but its export is not recorded in the chain of custody: %w", err))
		}
		fmt.Fprintf(d.Stdout, "exported %s to %s: %d timeline entries, %d evidence items, %d bytes\n", id, out, len(b.Timeline), len(b.Evidence), n)
		fmt.Fprintf(d.Stdout, "bundle sha256 %s\nchain head %s (entry %d)\n", sum, b.Head.Hash, b.Head.Seq)
		return exitOK
	})
}

func runImport(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Values: []string{"max-size"}}, 1, 1, importUsage)
	if !ok {
		return code
	}
	limit := int64(reports.DefaultMaxBundleContent)
	if v := a.Value("max-size", ""); v != "" {
		mib, err := strconv.ParseInt(v, 10, 64)
		if err != nil || mib <= 0 || mib > 1<<20 {
			return usageError(d, fmt.Errorf("--max-size %q: give a whole number of MiB", v), importUsage)
		}
		limit = mib << 20
	}
	// A soft limit makes the collector work before the heap doubles
	// (its default pacing): the content is held once and copied by bbolt
	// as it is written, and the copies are garbage a moment later.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit*2 + 32<<20))
	file := a.Pos[0]
	in, err := readImport(file, limit)
	if err != nil {
		return fail(d, fmt.Errorf("import %s: %w", file, err))
	}
	return withService(d, func(svc *app.Service) int {
		if err := svc.ImportBundle(ctx, in.bundle, in.contents, in.files); err != nil {
			return fail(d, fmt.Errorf("import %s: %w", file, err))
		}
		b := in.bundle
		inc := b.Case.Incident
		fmt.Fprintf(d.Stdout, "imported %s %q: %d timeline entries (hash chain verified), %d evidence items (SHA-256 verified), fields and files checked against the timeline's seals\n",
			inc.ID, inc.Title, len(b.Timeline), len(b.Evidence))
		fmt.Fprintf(d.Stdout, "bundle sha256 %s\nchain head %s (entry %d)\n", in.sha256, b.Head.Hash, b.Head.Seq)
		return exitOK
	})
}

// imported is what readImport found in a file.
type imported struct {
	bundle   app.Bundle
	contents map[string][]byte
	files    map[string]string // files beside the incident (the report): name to SHA-256
	sha256   string            // of the whole file, to compare with the sender's
}

// readImport reads a zip bundle, or the JSON of 'report --format json'.
func readImport(file string, limit int64) (imported, error) {
	f, err := os.Open(file)
	if err != nil {
		return imported{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return imported{}, err
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return imported{}, err
	}
	in := imported{files: map[string]string{}, sha256: hex.EncodeToString(h.Sum(nil))}
	head := make([]byte, 1)
	if _, err := f.ReadAt(head, 0); err != nil {
		return imported{}, fmt.Errorf("%w: the file is empty", app.ErrInvalid)
	}
	if strings.EqualFold(filepath.Ext(file), ".json") || head[0] == '{' {
		if st.Size() > limit {
			return imported{}, fmt.Errorf("%w: the file is %d MiB, over the import limit of %d MiB (--max-size)", app.ErrInvalid, st.Size()>>20, limit>>20)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return imported{}, err
		}
		in.bundle, err = reports.ReadJSON(bufio.NewReader(f))
		in.contents = map[string][]byte{}
		return in, err
	}
	var pdf []byte
	in.bundle, in.contents, pdf, err = reports.ReadBundle(f, st.Size(), limit)
	if pdf != nil {
		in.files[reports.BundleReport] = app.HashHex(pdf)
	}
	return in, err
}
