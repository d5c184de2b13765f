package tabletop

import (
	"context"

	"s3responder/app"
)

// Every response the simulated account hands out for the incident's
// record is marked with its scenario (Source.Params["SimulatedScenario"]),
// so that nobody mistakes an exercise's evidence for an answer of AWS,
// in the store, a report or a bundle. The aws package's code makes the
// responses; these methods mark them on their way out.

// SimulatedParam is the source parameter that names the scenario of a
// simulated response.
const SimulatedParam = "SimulatedScenario"

func (a *Account) mark(items []app.Collected) {
	for i := range items {
		p := make(map[string]string, len(items[i].Source.Params)+1)
		for k, v := range items[i].Source.Params {
			p[k] = v
		}
		p[SimulatedParam] = a.b.sc.ID
		items[i].Source.Params = p
	}
}

// CheckBucket judges one bucket (app.Cloud).
func (a *Account) CheckBucket(ctx context.Context, bucket string) (app.BucketReport, error) {
	r, err := a.ChangingCloud.CheckBucket(ctx, bucket)
	a.mark(r.Items)
	return r, err
}

// ScanAccount judges every bucket (app.Cloud).
func (a *Account) ScanAccount(ctx context.Context, progress app.Progress) ([]app.BucketReport, error) {
	rs, err := a.ChangingCloud.ScanAccount(ctx, progress)
	for i := range rs {
		a.mark(rs[i].Items)
	}
	return rs, err
}

// Snapshot reads a bucket's whole configuration (app.Cloud).
func (a *Account) Snapshot(ctx context.Context, bucket string) ([]app.Collected, error) {
	items, err := a.ChangingCloud.Snapshot(ctx, bucket)
	a.mark(items)
	return items, err
}

// AccessChanges looks up the changes of access (app.Cloud).
func (a *Account) AccessChanges(ctx context.Context, q app.ChangeQuery, progress app.Progress) (app.ChangeReport, error) {
	r, err := a.ChangingCloud.AccessChanges(ctx, q, progress)
	a.mark(r.Items)
	return r, err
}

// AccessFindings reads IAM Access Analyzer.
func (a *Account) AccessFindings(ctx context.Context, q app.AnalyzerQuery, progress app.Progress) (app.AnalyzerReport, error) {
	r, err := a.ChangingCloud.AccessFindings(ctx, q, progress)
	a.mark(r.Items)
	return r, err
}

// Insights reads CloudTrail Insights events.
func (a *Account) Insights(ctx context.Context, q app.InsightQuery, progress app.Progress) (app.InsightReport, error) {
	r, err := a.ChangingCloud.Insights(ctx, q, progress)
	a.mark(r.Items)
	return r, err
}

// MacieSummary reads Macie's bucket statistics.
func (a *Account) MacieSummary(ctx context.Context, q app.MacieQuery) (app.MacieReport, error) {
	r, err := a.ChangingCloud.MacieSummary(ctx, q)
	a.mark(r.Items)
	return r, err
}

// FindData searches the buckets for keys.
func (a *Account) FindData(ctx context.Context, q app.DataQuery, progress app.Progress) (app.DataReport, error) {
	r, err := a.ChangingCloud.FindData(ctx, q, progress)
	a.mark(r.Items)
	return r, err
}

// RunAthena runs a query over the simulated trail.
func (a *Account) RunAthena(ctx context.Context, run app.AthenaRun) (app.AthenaResult, error) {
	r, err := a.ChangingCloud.RunAthena(ctx, run)
	a.mark(r.Items)
	return r, err
}

// Inspect runs a read-only inspection (app.Inspector).
func (a *Account) Inspect(ctx context.Context, req app.InspectRequest, by app.Identity) (app.Inspection, error) {
	r, err := a.ChangingCloud.Inspect(ctx, req, by)
	a.mark(r.Items)
	return r, err
}
