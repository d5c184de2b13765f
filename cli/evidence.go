package cli

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"s3responder/app"
)

func evidenceUsage() string {
	return `Usage: s3responder evidence ID list [--json]
       s3responder evidence ID add FILE [--title T]
       s3responder evidence ID verify
(also: evidence list ID, evidence add ID FILE, evidence verify ID)

  list     the incident's evidence items: id, when and by whom collected,
           kind, size, SHA-256 and title; --json prints every field,
           source and chain of custody included
  add      keep a file (a screenshot, an email, a ticket export) as an
           evidence item: its SHA-256, where it came from and who added it
           are recorded, with an entry on the timeline
           --title T   the item's title (default: the file's name)
  verify   hash every item's stored content again and compare it with the
           SHA-256 recorded when it was collected; each item that matches
           gets a "verified" custody event. Exit status 1, naming the
           items, when any does not match or is missing.
`
}

// runEvidence dispatches "evidence ID list|add|verify" and the spec's
// order "evidence list|add|verify ID".
func runEvidence(ctx context.Context, args []string, d Deps) int {
	if len(args) == 0 {
		return usageError(d, errors.New("evidence needs an incident ID and a subcommand"), evidenceUsage)
	}
	if hasHelp(args[:1]) || args[0] == "help" {
		fmt.Fprint(d.Stdout, evidenceUsage())
		return exitOK
	}
	subs := map[string]func(context.Context, string, []string, Deps) int{
		"list": runEvidenceList, "add": runEvidenceAdd, "verify": runEvidenceVerify,
	}
	var id string
	var run func(context.Context, string, []string, Deps) int
	var rest []string
	if f, ok := subs[args[0]]; ok {
		run, rest = f, args[1:]
		// The ID is the first argument that is neither a flag nor the
		// value of --title.
		for i := 0; i < len(rest); i++ {
			a := rest[i]
			if a == "--title" || a == "-title" {
				i++
				continue
			}
			if !strings.HasPrefix(a, "-") {
				id, rest = a, append(append([]string{}, rest[:i]...), rest[i+1:]...)
				break
			}
		}
	} else if len(args) > 1 {
		id, rest = args[0], args[2:]
		run = subs[args[1]]
		if run == nil {
			return usageError(d, fmt.Errorf("unknown evidence subcommand %q (list, add or verify)", args[1]), evidenceUsage)
		}
	} else {
		return usageError(d, errors.New("evidence needs a subcommand: list, add or verify"), evidenceUsage)
	}
	if id == "" {
		return usageError(d, errors.New("give the incident ID"), evidenceUsage)
	}
	return run(ctx, id, rest, d)
}

func runEvidenceList(ctx context.Context, id string, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}}, 0, 0, evidenceUsage)
	if !ok {
		return code
	}
	return withService(d, func(svc *app.Service) int {
		if _, err := svc.Load(ctx, id); err != nil {
			return fail(d, err)
		}
		items, err := svc.ListEvidence(ctx, id)
		if err != nil && !errors.Is(err, app.ErrNotFound) {
			return fail(d, err)
		}
		if a.Bool("json") {
			return writeJSON(d, nonNil(items))
		}
		if len(items) == 0 {
			fmt.Fprintf(d.Stdout, "No evidence yet for %s.\n", id)
			return exitOK
		}
		tw := tabwriter.NewWriter(d.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCOLLECTED\tKIND\tSIZE\tSHA-256\tTITLE")
		for _, ev := range items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", ev.ID, ev.CollectedAt.UTC().Format("2006-01-02 15:04:05Z"), ev.Kind, ev.Size, ev.SHA256[:16]+"…", escapeTerm(ev.Title))
		}
		if err := tw.Flush(); err != nil {
			return fail(d, err)
		}
		fmt.Fprintf(d.Stdout, "%s. Full hashes, sources and custody: --json.\n", plural(len(items), "item"))
		return exitOK
	})
}

// maxAttachment bounds a file kept as evidence: it is held in memory and
// in the incident database, which is no place for disk images.
const maxAttachment = 256 << 20

func runEvidenceAdd(ctx context.Context, id string, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Values: []string{"title"}}, 1, 1, evidenceUsage)
	if !ok {
		return code
	}
	path := a.Pos[0]
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return fail(d, fmt.Errorf("read %s: %w", path, err))
	case info.IsDir():
		return fail(d, fmt.Errorf("%s is a folder: add its files one by one (or zip it first)", path))
	case info.Size() > maxAttachment:
		return fail(d, fmt.Errorf("%s is %d MiB: files over %d MiB are not kept in the incident database; keep it elsewhere and add a note with its SHA-256", path, info.Size()>>20, maxAttachment>>20))
	}
	// A FIFO's size says nothing: the reader's limit and Ctrl-C apply.
	data, err := readInput(ctx, d, path, "the evidence file", maxAttachment)
	if err != nil {
		return fail(d, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	name := filepath.Base(path)
	title := strings.TrimSpace(a.Value("title", ""))
	if title == "" {
		title = name
	}
	mediaType := mime.TypeByExtension(filepath.Ext(name))
	if mediaType == "" {
		mediaType = http.DetectContentType(data)
	}
	return withService(d, func(svc *app.Service) int {
		ev, err := svc.AddUniqueEvidence(ctx, id, app.Evidence{
			Title: title, Kind: app.EvidenceFile, MediaType: mediaType, FileName: name,
			Source: app.Source{File: abs},
		}, data)
		if err != nil {
			return fail(d, err)
		}
		fmt.Fprintf(d.Stdout, "Added %s to %s: %s (%d bytes, sha256 %s)\n", ev.ID, id, escapeTerm(ev.Title), ev.Size, ev.SHA256)
		return exitOK
	})
}

func runEvidenceVerify(ctx context.Context, id string, args []string, d Deps) int {
	if _, code, ok := parse(d, args, Spec{}, 0, 0, evidenceUsage); !ok {
		return code
	}
	return withService(d, func(svc *app.Service) int {
		if _, err := svc.Load(ctx, id); err != nil {
			return fail(d, err)
		}
		return verifyEvidence(ctx, svc, id, d)
	})
}

// verifyEvidence re-hashes every evidence item of the incident, prints the
// outcome and returns the exit status; `verify` and `evidence verify` share it.
func verifyEvidence(ctx context.Context, svc *app.Service, id string, d Deps) int {
	n, bad, err := svc.VerifyEvidence(ctx, id)
	if err != nil && !errors.Is(err, app.ErrNotFound) {
		return fail(d, err)
	}
	if len(bad) == 0 {
		fmt.Fprintf(d.Stdout, "evidence of %s verified: %s, every SHA-256 matches\n", id, plural(n, "item"))
		return exitOK
	}
	fmt.Fprintf(d.Stdout, "evidence of %s is NOT intact: %d of %d items fail:\n", id, len(bad), n)
	for _, b := range bad {
		fmt.Fprintf(d.Stdout, "  %s: %s\n", b.ID, escapeTerm(b.Reason))
	}
	names := make([]string, len(bad))
	for i, b := range bad {
		names[i] = b.ID
	}
	fmt.Fprintf(d.Stderr, "s3responder: evidence of %s does not verify: %s\n", id, strings.Join(names, ", "))
	return exitFail
}
