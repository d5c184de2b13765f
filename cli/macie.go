package cli

import (
	"context"
	"fmt"

	"s3responder/app"
)

func macieUsage() string {
	return `Usage: s3responder macie ID [--regions R1,R2] [--profile P] [--region R] [--json]

Reads Amazon Macie's summary of the account's buckets (GetBucketStatistics):
how many are publicly accessible, readable or writable by anyone, and how
many are shared with other accounts or inside the organisation. Macie
refreshes these counts about once a day; 'exposure ID --all' checks live.
Where Macie is not enabled the output says so (that is not an error).
Saves each response as evidence with incident ID and the summary as a
finding.

  --regions R1,R2   regions to read; default: the profile's. Macie is
                    regional: each region counts its own buckets.
` + awsFlagsHelp + `  --json            print the counts and the saved items as JSON
`
}

func runMacie(ctx context.Context, args []string, d Deps) int {
	a, code, ok := parse(d, args, Spec{Bools: []string{"json"}, Values: append([]string{"regions"}, awsFlags...)}, 1, 1, macieUsage)
	if !ok {
		return code
	}
	id := a.Pos[0]
	d = awsDeps(d)
	return withService(d, func(svc *app.Service) int {
		rep, saved, err := svc.CollectMacieSummary(ctx, id, profileOf(ctx, a, d), app.MacieQuery{Regions: trailList(a.Values("regions"))})
		if err != nil {
			return fail(d, err)
		}
		if a.Bool("json") {
			return writeJSON(d, struct {
				app.MacieReport
				CollectedBy string         `json:"collectedBy"`
				Evidence    []evidenceView `json:"evidence"`
			}{rep, saved.By.ARN, viewEvidence(saved.Evidence)})
		}
		fmt.Fprintln(d.Stdout, "Amazon Macie's bucket summary:")
		for _, r := range rep.Regions {
			fmt.Fprintf(d.Stdout, "  %s.\n", r.Summary())
		}
		fmt.Fprintln(d.Stdout)
		printSaved(d.Stdout, id, saved)
		return exitOK
	})
}
