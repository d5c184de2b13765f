package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"

	"s3responder/app"
)

// AnalyzerAPI is what reading IAM Access Analyzer needs.
type AnalyzerAPI interface {
	accessanalyzer.ListAnalyzersAPIClient
	accessanalyzer.ListFindingsAPIClient
}

var _ AnalyzerAPI = (*accessanalyzer.Client)(nil)

// FindingResourceTypes are the resources whose findings the wizard reads:
// buckets (who outside can reach the data) and roles (who outside can
// assume them, and so act inside the account).
var FindingResourceTypes = []string{"AWS::S3::Bucket", "AWS::IAM::Role"}

// AnalyzerReader reads analyzers and their active findings, one region
// after the other.
type AnalyzerReader struct {
	API     AnalyzerAPI
	Account string
	Profile string
	Now     func() time.Time
}

func (r *AnalyzerReader) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

// findingsFilter keeps the active findings on buckets and roles.
func findingsFilter() map[string]aatypes.Criterion {
	return map[string]aatypes.Criterion{
		"status":       {Eq: []string{string(aatypes.FindingStatusActive)}},
		"resourceType": {Eq: FindingResourceTypes},
	}
}

// outsideAccess reports whether an analyzer looks for access from outside
// its zone of trust, the only kind ListFindings answers for; the others
// (unused access, internal access) need other calls and say other things.
func outsideAccess(t aatypes.Type) bool {
	return t == aatypes.TypeAccount || t == aatypes.TypeOrganization
}

// Read reads every region in turn. A region that cannot be read is a note
// and a failed item, so one refused region does not hide the others; when
// no region could be read at all the first error is returned, explained.
func (r *AnalyzerReader) Read(ctx context.Context, regions []string, progress app.Progress) (app.AnalyzerReport, []Item, error) {
	rep := app.AnalyzerReport{Regions: regions, Analyzers: []app.Analyzer{}, Findings: []app.AccessFinding{}}
	var items []Item
	var firstErr error
	failed := 0
	for i, region := range regions {
		analyzers, item, err := r.analyzers(ctx, region)
		items = append(items, item)
		if err != nil {
			if ctx.Err() != nil {
				return rep, items, err
			}
			failed++
			if firstErr == nil {
				firstErr = err
			}
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s could not be read: %s", region, err.Error()))
			continue
		}
		active := 0
		for _, a := range analyzers {
			an := app.Analyzer{
				Name: sdkaws.ToString(a.Name), ARN: sdkaws.ToString(a.Arn), Region: region, Type: string(a.Type),
				Status: string(a.Status), CreatedAt: sdkaws.ToTime(a.CreatedAt).UTC(),
			}
			if a.StatusReason != nil {
				an.StatusReason = string(a.StatusReason.Code)
			}
			if outsideAccess(a.Type) && a.Status == aatypes.AnalyzerStatusActive {
				active++
				findings, fitem, err := r.findings(ctx, region, an.ARN)
				items = append(items, fitem)
				if err != nil {
					if ctx.Err() != nil {
						return rep, items, err
					}
					rep.Notes = append(rep.Notes, fmt.Sprintf("The findings of analyzer %s in %s could not be read: %s", an.Name, region, err.Error()))
				} else {
					an.Read = true
					rep.Findings = append(rep.Findings, findings...)
				}
			}
			rep.Analyzers = append(rep.Analyzers, an)
		}
		if active == 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s has no active analyzer of access from outside the account, so Access Analyzer says nothing about its buckets: create one (aws accessanalyzer create-analyzer --analyzer-name s3responder --type ACCOUNT --region %s) and read it again in a few minutes.", region, region))
		}
		if progress != nil {
			progress(i+1, len(regions))
		}
	}
	if failed == len(regions) && firstErr != nil {
		return rep, items, firstErr
	}
	slices.SortStableFunc(rep.Findings, func(a, b app.AccessFinding) int {
		switch {
		case a.Public != b.Public:
			if a.Public {
				return -1
			}
			return 1
		case a.Resource != b.Resource:
			return strings.Compare(a.Resource, b.Resource)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return rep, items, nil
}

func inRegion(region string) func(*accessanalyzer.Options) {
	return func(o *accessanalyzer.Options) {
		if region != "" {
			o.Region = region
		}
	}
}

// analyzers lists a region's analyzers of every type, so the evidence
// shows which kinds exist even where only some are read.
func (r *AnalyzerReader) analyzers(ctx context.Context, region string) ([]aatypes.AnalyzerSummary, Item, error) {
	it := Item{Name: "access-analyzer-analyzers", Source: source(r.Account, region, "ListAnalyzers", nil)}
	var all []aatypes.AnalyzerSummary
	pages := accessanalyzer.NewListAnalyzersPaginator(r.API, &accessanalyzer.ListAnalyzersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx, inRegion(region))
		if err != nil {
			return nil, r.failedItem(it, err), fmt.Errorf("list the analyzers in %s: %w", region, Explain(err, r.Profile))
		}
		all = append(all, page.Analyzers...)
	}
	it.Status, it.CollectedAt = StatusCollected, r.now()
	// The pages joined into one answer, as AWS shapes a single page.
	it.Data = rawJSON(&accessanalyzer.ListAnalyzersOutput{Analyzers: all})
	return all, it, nil
}

// findings lists one analyzer's active findings on buckets and roles.
func (r *AnalyzerReader) findings(ctx context.Context, region, arn string) ([]app.AccessFinding, Item, error) {
	it := Item{Name: "access-analyzer-findings", Source: source(r.Account, region, "ListFindings", map[string]string{
		"analyzerArn": arn, "filter": "status = ACTIVE, resourceType in " + strings.Join(FindingResourceTypes, ", "),
	})}
	var all []aatypes.FindingSummary
	pages := accessanalyzer.NewListFindingsPaginator(r.API, &accessanalyzer.ListFindingsInput{
		AnalyzerArn: &arn, Filter: findingsFilter(), MaxResults: sdkaws.Int32(100),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx, inRegion(region))
		if err != nil {
			return nil, r.failedItem(it, err), fmt.Errorf("list the findings of %s: %w", arn, Explain(err, r.Profile))
		}
		all = append(all, page.Findings...)
	}
	it.Status, it.CollectedAt = StatusCollected, r.now()
	it.Data = rawJSON(&accessanalyzer.ListFindingsOutput{Findings: all})
	out := make([]app.AccessFinding, 0, len(all))
	for _, f := range all {
		out = append(out, convertFinding(f, arn, region))
	}
	return out, it, nil
}

// failedItem records a refused or failed read as evidence too.
func (r *AnalyzerReader) failedItem(it Item, err error) Item {
	it.Status, it.CollectedAt = StatusFailed, r.now()
	it.ErrorCode = errorCode(err)
	var e *Error
	if errors.As(Explain(err, r.Profile), &e) {
		it.Message = e.Message
	} else {
		it.Message = err.Error()
	}
	it.Data = errorJSON(it.Status, it.ErrorCode, it.Message)
	return it
}

func convertFinding(f aatypes.FindingSummary, analyzer, region string) app.AccessFinding {
	af := app.AccessFinding{
		ID: sdkaws.ToString(f.Id), Analyzer: analyzer, Region: region, ResourceType: string(f.ResourceType),
		Resource: sdkaws.ToString(f.Resource), Owner: sdkaws.ToString(f.ResourceOwnerAccount),
		Principal: f.Principal, Actions: f.Action, Condition: f.Condition, Public: sdkaws.ToBool(f.IsPublic),
		Status: string(f.Status), CreatedAt: sdkaws.ToTime(f.CreatedAt).UTC(), UpdatedAt: sdkaws.ToTime(f.UpdatedAt).UTC(),
		AnalyzedAt: sdkaws.ToTime(f.AnalyzedAt).UTC(), Error: sdkaws.ToString(f.Error),
	}
	for _, s := range f.Sources {
		src := string(s.Type)
		if s.Detail != nil && s.Detail.AccessPointArn != nil {
			src += " " + *s.Detail.AccessPointArn
		}
		af.Sources = append(af.Sources, src)
	}
	return af
}

// AccessFindings reads IAM Access Analyzer in the query's regions, or the
// session's (app.AccessAnalyzer).
func (c *Cloud) AccessFindings(ctx context.Context, q app.AnalyzerQuery, progress app.Progress) (app.AnalyzerReport, error) {
	id, err := c.identity(ctx)
	if err != nil {
		return app.AnalyzerReport{}, err
	}
	regions := cleanRegions(q.Regions)
	if len(regions) == 0 {
		regions = []string{c.Region}
	}
	r := &AnalyzerReader{API: c.API.Analyzer, Account: id.Account, Profile: c.Profile, Now: c.Now}
	rep, items, err := r.Read(ctx, regions, progress)
	if err != nil {
		return rep, err
	}
	for _, it := range items {
		col := collected(it, id.ARN)
		switch it.Name {
		case "access-analyzer-analyzers":
			col.Title = "IAM Access Analyzer analyzers in " + it.Source.Region
		default:
			col.Title = "IAM Access Analyzer active findings on buckets and roles, analyzer " + analyzerName(it.Source.Params["analyzerArn"]) + " in " + it.Source.Region
		}
		if it.Status != StatusCollected {
			col.Title += " (" + string(it.Status) + ")"
		}
		col.FileName = it.Name + "-" + it.Source.Region + ".json"
		rep.Items = append(rep.Items, col)
	}
	return rep, nil
}

// analyzerName is the last part of an analyzer's ARN.
func analyzerName(arn string) string {
	return arn[strings.LastIndex(arn, "/")+1:]
}

// cleanRegions trims the regions and drops blanks and repeats.
func cleanRegions(in []string) []string {
	var out []string
	for _, r := range in {
		if r = strings.TrimSpace(r); r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

var _ app.AccessAnalyzer = (*Cloud)(nil)
