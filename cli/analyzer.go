package cli

import (
	"context"
	"fmt"
	"strings"

	"s3responder/app"
)

func analyzerUsage() string {
	return `Usage: s3responder analyzer ID [--regions R1,R2] [--profile P] [--region R] [--json]

Reads IAM Access Analyzer: the analyzers of each region and their active
findings on S3 buckets and IAM roles, that is, who outside the account (or
anyone) can reach a bucket or assume a role, with which actions, under
which conditions, and whether it is public. Saves the responses as
evidence with incident ID and puts each finding on the timeline at the
time Access Analyzer reported it (a finding already there is not added
again).

  --regions R1,R2   regions to read; default: the profile's. Analyzers are
                    regional: a bucket is analysed in its own region.
` + awsFlagsHelp + `  --json            print the analyzers, findings and saved items as JSON

A region without an analyzer of outside access is said so; create one
with 'aws accessanalyzer create-analyzer --type ACCOUNT' and read again.
`
}

func runAnalyzer(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: append([]string{"regions"}, awsFlags...)}, 1, 1, analyzerUsage)
	if !ok {
		return code
	}
	id := a.Pos[0]
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		q := app.AnalyzerQuery{Regions: trailList(a.Values("regions"))}
		rep, saved, err := svc.CollectAccessFindings(ctx, id, profileOf(ctx, a, d), q, progressLines(d, "regions read:"))
		if err != nil {
			return fail(d, err)
		}
		if a.Bool("json") {
			return writeJSON(d, struct {
				app.AnalyzerReport
				CollectedBy string         `json:"collectedBy"`
				Evidence    []evidenceView `json:"evidence"`
			}{rep, saved.By.ARN, viewEvidence(saved.Evidence)})
		}
		fmt.Fprintf(d.Stdout, "IAM Access Analyzer in %s:\n", strings.Join(rep.Regions, ", "))
		for _, an := range rep.Analyzers {
			state := "not read: only analyzers of outside access report who can reach buckets and roles"
			switch {
			case an.Read:
				state = "read"
			case an.Status != "ACTIVE":
				state = "not read: " + strings.ToLower(an.Status)
				if an.StatusReason != "" {
					state += " (" + an.StatusReason + ")"
				}
			}
			fmt.Fprintf(d.Stdout, "  analyzer %s (%s, %s): %s\n", an.Name, an.Type, an.Region, state)
		}
		for _, n := range rep.Notes {
			fmt.Fprintf(d.Stdout, "Note: %s\n", n)
		}
		fmt.Fprintf(d.Stdout, "\nActive findings on buckets and roles: %d\n", len(rep.Findings))
		for _, f := range rep.Findings {
			mark := "shared"
			if f.Public {
				mark = "PUBLIC"
			}
			fmt.Fprintf(d.Stdout, "  %-6s  %s\n          finding %s in %s, since %s\n", mark, f.Summary(), f.ID, f.Region, f.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"))
		}
		fmt.Fprintln(d.Stdout)
		printSaved(d.Stdout, id, saved)
		return exitOK
	})
}
