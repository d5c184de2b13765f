package cli

import (
	"context"
	"fmt"

	"s3responder/app"
)

func stepUsage() string {
	return `Usage: s3responder step ID STEP-ID STATUS [--note TEXT]

Sets a playbook step's status: todo, doing, done, skipped or na (not
applicable). Skipping a step needs a --note saying why.
`
}

func runStep(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Values: []string{"note"}}, 3, 3, stepUsage)
	if !ok {
		return code
	}
	status, err := app.ParseStepStatus(a.Pos[2])
	if err != nil {
		return usageError(d, err, stepUsage)
	}
	return withService(d, func(svc *app.Service) int {
		c, err := svc.SetStep(ctx, a.Pos[0], a.Pos[1], status, a.Value("note", ""))
		if err != nil {
			return fail(d, err)
		}
		fmt.Fprintf(d.Stdout, "Step %s: %s\n", a.Pos[1], c.Step(a.Pos[1]).Status.Label())
		return printNext(d, svc, c)
	})
}

func chooseUsage() string {
	return `Usage: s3responder choose ID STEP-ID OPTION...

Answers the question a step asks. Option ids are listed by
'incident show ID' and 'playbook show'. Some questions take several
answers. An answer that starts a detour (to another part of the playbook)
is ended with 'return ID'.
`
}

func runChoose(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{}, 3, -1, chooseUsage)
	if !ok {
		return code
	}
	return withService(d, func(svc *app.Service) int {
		c, err := svc.Choose(ctx, a.Pos[0], a.Pos[1], a.Pos[2:])
		if err != nil {
			return fail(d, err)
		}
		pb, err := svc.PlaybookFor(c.Incident)
		if err != nil {
			return fail(d, err)
		}
		step, _ := pb.Step(a.Pos[1])
		fmt.Fprintf(d.Stdout, "Step %s answered: %s\n", step.ID, step.OptionLabels(c.Step(step.ID).Choices))
		return printNext(d, svc, c)
	})
}

func returnUsage() string {
	return `Usage: s3responder return ID

Ends the current detour and goes back to the step it said to return to.
`
}

func runReturn(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{}, 1, 1, returnUsage)
	if !ok {
		return code
	}
	return withService(d, func(svc *app.Service) int {
		before, err := svc.Load(ctx, a.Pos[0])
		if err != nil {
			return fail(d, err)
		}
		c, err := svc.ReturnFromJump(ctx, a.Pos[0])
		if err != nil {
			return fail(d, err)
		}
		if n := len(before.Incident.Jumps); n > 0 {
			fmt.Fprintf(d.Stdout, "Returned to step %s\n", before.Incident.Jumps[n-1].Return)
		}
		return printNext(d, svc, c)
	})
}

func nextUsage() string {
	return `Usage: s3responder next ID [--json]

Says what to do next on the incident: the next open step, or the end of a
detour.
`
}

func runNext(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}}, 1, 1, nextUsage)
	if !ok {
		return code
	}
	return withService(d, func(svc *app.Service) int {
		c, err := svc.Load(ctx, a.Pos[0])
		if err != nil {
			return fail(d, err)
		}
		pb, err := svc.PlaybookFor(c.Incident)
		if err != nil {
			return fail(d, err)
		}
		n := pb.NextStep(c)
		if a.Bool("json") {
			return writeJSON(d, viewNext(pb, n))
		}
		fmt.Fprintf(d.Stdout, "Next: %s\n", n.Text)
		if n.Step != nil {
			if n.Step.Warning != "" {
				fmt.Fprintf(d.Stdout, "\nWarning: %s\n", n.Step.Warning)
			}
			if n.Step.Guidance != "" {
				fmt.Fprintf(d.Stdout, "\n%s\n", n.Step.Guidance)
			}
			if q := n.Step.Decision; q != nil && len(c.Step(n.Step.ID).Choices) == 0 {
				fmt.Fprintf(d.Stdout, "\n%s\n", q.Question)
				for _, o := range q.Options {
					fmt.Fprintf(d.Stdout, "  %-12s %s\n", o.ID, o.Label)
				}
				more := ""
				if q.Multiple {
					more = " (several allowed)"
				}
				fmt.Fprintf(d.Stdout, "Answer with: s3responder choose %s %s OPTION%s\n", c.Incident.ID, n.Step.ID, more)
			}
		}
		return exitOK
	})
}

// printNext ends a state-changing command with the "what's next" line, so
// a responder at the terminal never has to ask.
func printNext(d Deps, svc *app.Service, c app.Case) int {
	n, err := svc.NextStep(c)
	if err != nil {
		return fail(d, err)
	}
	fmt.Fprintf(d.Stdout, "Next: %s\n", n.Text)
	return exitOK
}
