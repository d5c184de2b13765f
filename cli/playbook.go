package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"s3responder/app"
)

func runPlaybook(ctx context.Context, args []string, d Deps) int {
	return sub(ctx, args, d, "playbook", map[string]Command{
		"show":     runPlaybookShow,
		"list":     runPlaybookList,
		"validate": runPlaybookValidate,
		"import":   runPlaybookImport,
	}, playbookUsage)
}

func playbookUsage() string {
	return `Usage: s3responder playbook SUBCOMMAND [ARGS]

Subcommands:
  show      print a playbook's parts, steps and questions
  list      list the playbooks new incidents can follow
  validate  check a playbook file and print every problem with its line
  import    check a playbook file and save it for new incidents

Run 's3responder playbook SUBCOMMAND --help' for details.
`
}

func playbookShowUsage() string {
	return `Usage: s3responder playbook show [--json] [--playbook SHA256]

Prints the built-in playbook, or an imported one chosen by its SHA-256 (a
unique prefix is enough): parts, steps, their questions and where each
answer leads. --json prints the whole tree.
`
}

func runPlaybookShow(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: []string{"playbook"}}, 0, 0, playbookShowUsage)
	if !ok {
		return code
	}
	show := func(pb *app.Playbook) int {
		if a.Bool("json") {
			return writeJSON(d, pb)
		}
		printPlaybook(d.Stdout, pb)
		return exitOK
	}
	sha := a.Value("playbook", "")
	if sha == "" || (d.Builtin != nil && strings.HasPrefix(d.Builtin.SHA256, sha) && len(sha) >= 8) {
		// The built-in playbook needs no database.
		if d.Builtin == nil {
			return fail(d, errors.New("this build carries no built-in playbook"))
		}
		return show(d.Builtin)
	}
	return withService(d, func(svc *app.Service) int {
		pb, err := findPlaybook(svc, sha)
		if err != nil {
			return fail(d, err)
		}
		return show(pb)
	})
}

// findPlaybook resolves a SHA-256 or a unique prefix of one.
func findPlaybook(svc *app.Service, sha string) (*app.Playbook, error) {
	var found []*app.Playbook
	for _, pb := range svc.Playbooks() {
		if strings.HasPrefix(pb.SHA256, strings.ToLower(sha)) {
			found = append(found, pb)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: no playbook has sha256 %s (see 'playbook list')", app.ErrNotFound, sha)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%w: %d playbooks have a sha256 starting with %s: give more of it", app.ErrInvalid, len(found), sha)
}

func printPlaybook(w io.Writer, pb *app.Playbook) {
	fmt.Fprintf(w, "%s (%s version %s)\nsha256 %s\n", pb.Title, pb.ID, pb.Version, pb.SHA256)
	if pb.Description != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(pb.Description))
	}
	for _, s := range pb.Steps() {
		depth := pb.Depth(s.ID)
		indent := strings.Repeat("  ", depth)
		if depth == 0 {
			fmt.Fprintf(w, "\nPart %s: %s\n", s.ID, s.Title)
		} else {
			fmt.Fprintf(w, "%s%s %s\n", indent, s.ID, s.Title)
		}
		if s.Handoff != "" {
			fmt.Fprintf(w, "%s    hand-off: %s\n", indent, s.Handoff)
		}
		if q := s.Decision; q != nil {
			multi := ""
			if q.Multiple {
				multi = " (several answers allowed)"
			}
			fmt.Fprintf(w, "%s    question: %s%s\n", indent, q.Question, multi)
			for _, o := range q.Options {
				var route []string
				if o.Goto != "" {
					route = append(route, "go to "+o.Goto)
				}
				if o.Return != "" {
					route = append(route, "then return to "+o.Return)
				}
				if len(o.Excludes) > 0 {
					route = append(route, "rules out "+strings.Join(o.Excludes, ", "))
				}
				r := ""
				if len(route) > 0 {
					r = " -> " + strings.Join(route, ", ")
				}
				fmt.Fprintf(w, "%s      %s: %s%s\n", indent, o.ID, o.Label, r)
			}
		}
	}
}

func playbookListUsage() string {
	return `Usage: s3responder playbook list

Lists the built-in playbook and every imported one, with the SHA-256 that
'incident new --playbook' takes.
`
}

func runPlaybookList(_ context.Context, args []string, d Deps) int {
	if _, code, ok := parse(d, args, Spec{}, 0, 0, playbookListUsage); !ok {
		return code
	}
	return withService(d, func(svc *app.Service) int {
		for i, pb := range svc.Playbooks() {
			origin := "imported"
			if i == 0 {
				origin = "built-in"
			}
			fmt.Fprintf(d.Stdout, "%s  %-8s  %s version %s: %s\n", pb.SHA256, origin, pb.ID, pb.Version, pb.Title)
		}
		return exitOK
	})
}

func playbookValidateUsage() string {
	return `Usage: s3responder playbook validate FILE

Checks a playbook file (YAML) and prints every problem as FILE:LINE:COL.
Exits 1 when there is any.
`
}

// readPlaybook reads and parses a playbook file, printing every problem.
func readPlaybook(ctx context.Context, d Deps, file string) (*app.Playbook, []byte, int) {
	// As given: the playbook is pinned by the SHA-256 of these bytes, and
	// app.ParsePlaybook decodes them itself.
	data, err := readInput(ctx, d, file, "the playbook", maxDocument)
	if err != nil {
		return nil, nil, fail(d, err)
	}
	pb, err := app.ParsePlaybook(file, data)
	if err != nil {
		var pe app.PlaybookErrors
		if errors.As(err, &pe) {
			for _, e := range pe {
				fmt.Fprintln(d.Stderr, e.Error())
			}
			fmt.Fprintf(d.Stderr, "%s: %d problems\n", file, len(pe))
			return nil, nil, exitFail
		}
		return nil, nil, fail(d, err)
	}
	return pb, data, exitOK
}

func runPlaybookValidate(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{}, 1, 1, playbookValidateUsage)
	if !ok {
		return code
	}
	pb, _, code := readPlaybook(ctx, d, a.Pos[0])
	if pb == nil {
		return code
	}
	fmt.Fprintf(d.Stdout, "%s: valid playbook %s version %s, %d parts and steps (sha256 %s)\n", a.Pos[0], pb.ID, pb.Version, len(pb.Steps()), pb.SHA256)
	return exitOK
}

func playbookImportUsage() string {
	return `Usage: s3responder playbook import FILE

Checks a playbook file and saves it in the database, so new incidents can
follow it with 'incident new --playbook SHA256'. Incidents keep the exact
playbook they were opened with.
`
}

func runPlaybookImport(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{}, 1, 1, playbookImportUsage)
	if !ok {
		return code
	}
	pb, data, code := readPlaybook(ctx, d, a.Pos[0])
	if pb == nil {
		return code
	}
	return withService(d, func(svc *app.Service) int {
		pb, err := svc.ImportPlaybook(ctx, a.Pos[0], data)
		if err != nil {
			return fail(d, err)
		}
		fmt.Fprintf(d.Stdout, "Imported playbook %s version %s\nsha256 %s\n", pb.ID, pb.Version, pb.SHA256)
		return exitOK
	})
}
