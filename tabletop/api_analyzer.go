package tabletop

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"

	"s3responder/aws"
)

// analyzerAPI is the simulated IAM Access Analyzer: the scenario's
// analyzers in their regions and their findings, each ACTIVE while the
// account's current state still grants the access it reports and
// RESOLVED once it does not, as the real analyzer re-evaluates a
// resource after it changes.
type analyzerAPI struct{ *backend }

var _ aws.AnalyzerAPI = analyzerAPI{}

func aaErr(op string, status int, code, msg string) error {
	return apiError("AccessAnalyzer", op, status, code, msg)
}

func (b *backend) aaRegion(optFns []func(*accessanalyzer.Options)) string {
	o := accessanalyzer.Options{Region: b.region}
	for _, f := range optFns {
		f(&o)
	}
	return o.Region
}

func (b *backend) analyzerARNOf(d AnalyzerDef) string {
	return fmt.Sprintf("arn:aws:access-analyzer:%s:%s:analyzer/%s", d.Region, b.sc.Account, d.Name)
}

// aaPage cuts a list at a NextToken of Access Analyzer.
func aaPage[T any](op string, all []T, token *string, maxResults *int32) ([]T, *string, error) {
	limit := 100
	if maxResults != nil && *maxResults > 0 {
		limit = int(*maxResults)
	}
	page, next, ok := cutPage(all, token, "aa-", limit)
	if !ok {
		return nil, nil, aaErr(op, 400, "ValidationException", "Invalid pagination token.")
	}
	return page, next, nil
}

func (a analyzerAPI) ListAnalyzers(ctx context.Context, in *accessanalyzer.ListAnalyzersInput, optFns ...func(*accessanalyzer.Options)) (*accessanalyzer.ListAnalyzersOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	region := a.aaRegion(optFns)
	var all []aatypes.AnalyzerSummary
	if setup := a.sc.AccessAnalyzer; setup != nil {
		for _, d := range setup.Analyzers {
			if d.Region != region || (in.Type != "" && string(in.Type) != d.Type) {
				continue
			}
			all = append(all, aatypes.AnalyzerSummary{Name: sdkaws.String(d.Name), Arn: sdkaws.String(a.analyzerARNOf(d)),
				Type: aatypes.Type(d.Type), Status: aatypes.AnalyzerStatus(d.Status), CreatedAt: sdkaws.Time(d.Created)})
		}
	}
	got, next, err := aaPage("ListAnalyzers", all, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &accessanalyzer.ListAnalyzersOutput{Analyzers: got, NextToken: next}, nil
}

// granted reports whether the account still grants what a finding
// reports: a bucket still public (or shared, for a finding on another
// account), a role whose trust policy still names the principal. The
// caller holds b.mu.
func (b *backend) granted(f FindingDef) bool {
	if f.Bucket != "" {
		bk, err := b.w.bucket(f.Bucket)
		if err != nil {
			return false
		}
		res, err := b.w.evaluate(b.sc, bk)
		if err != nil {
			return true
		}
		if f.Public {
			return res.Public
		}
		return res.Shared || res.Public
	}
	r, err := b.w.role(f.Role)
	if err != nil {
		return false
	}
	outside := outsidePrincipals(r.trust, b.sc.Account)
	for _, v := range f.Principal {
		for _, o := range outside {
			if o == v || o == "*" || arnAccount(o) == v {
				return true
			}
		}
	}
	return false
}

// findingSummary is a finding as ListFindings returns it, with its
// status judged on the current state. A resolved finding's UpdatedAt is
// the clock of the read: the simulation does not keep when the state
// changed, only what it is.
func (b *backend) findingSummary(f FindingDef) aatypes.FindingSummary {
	status, updated := aatypes.FindingStatusActive, f.Created
	if !b.granted(f) {
		status, updated = aatypes.FindingStatusResolved, b.now()
	}
	out := aatypes.FindingSummary{Id: sdkaws.String(f.ID), Status: status, ResourceOwnerAccount: sdkaws.String(b.sc.Account),
		Principal: f.Principal, Action: f.Actions, Condition: f.Condition, IsPublic: sdkaws.Bool(f.Public),
		CreatedAt: sdkaws.Time(f.Created), UpdatedAt: sdkaws.Time(updated), AnalyzedAt: sdkaws.Time(timeOr(f.Created, b.now()))}
	if out.Condition == nil {
		out.Condition = map[string]string{}
	}
	if f.Bucket != "" {
		out.ResourceType, out.Resource = aatypes.ResourceTypeAwsS3Bucket, sdkaws.String("arn:aws:s3:::"+f.Bucket)
	} else {
		out.ResourceType, out.Resource = aatypes.ResourceTypeAwsIamRole, sdkaws.String(fmt.Sprintf("arn:aws:iam::%s:role/%s", b.sc.Account, f.Role))
		if r, err := b.w.role(f.Role); err == nil {
			out.Resource = sdkaws.String(r.arn)
		}
	}
	for _, s := range f.Sources {
		out.Sources = append(out.Sources, aatypes.FindingSource{Type: aatypes.FindingSourceType(s)})
	}
	return out
}

// criterion applies one filter criterion to a finding's values: Eq's
// values are alternatives, Neq's all excluded, Contains' all required.
func criterion(values []string, c aatypes.Criterion) bool {
	if len(c.Eq) > 0 && !slices.ContainsFunc(c.Eq, func(v string) bool { return slices.Contains(values, v) }) {
		return false
	}
	if slices.ContainsFunc(c.Neq, func(v string) bool { return slices.Contains(values, v) }) {
		return false
	}
	for _, v := range c.Contains {
		if !slices.ContainsFunc(values, func(x string) bool { return strings.Contains(x, v) }) {
			return false
		}
	}
	return c.Exists == nil || *c.Exists == (len(values) > 0)
}

// findingFilterKeys are the filter keys of ListFindings the simulation
// applies.
var findingFilterKeys = []string{"status", "resourceType", "resource", "isPublic", "resourceOwnerAccount", "id", "principal.AWS"}

func (a analyzerAPI) ListFindings(ctx context.Context, in *accessanalyzer.ListFindingsInput, optFns ...func(*accessanalyzer.Options)) (*accessanalyzer.ListFindingsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	const op = "ListFindings"
	region := a.aaRegion(optFns)
	arn := sdkaws.ToString(in.AnalyzerArn)
	var an *AnalyzerDef
	if setup := a.sc.AccessAnalyzer; setup != nil {
		for i, d := range setup.Analyzers {
			if d.Region == region && a.analyzerARNOf(d) == arn {
				an = &setup.Analyzers[i]
			}
		}
	}
	if an == nil {
		return nil, aaErr(op, 404, "ResourceNotFoundException", fmt.Sprintf("Analyzer %s not found.", arn))
	}
	if an.Type != "ACCOUNT" && an.Type != "ORGANIZATION" {
		return nil, aaErr(op, 400, "ValidationException", "ListFindings is not supported for this analyzer type; use ListFindingsV2.")
	}
	for key := range in.Filter {
		if !slices.Contains(findingFilterKeys, key) {
			return nil, aaErr(op, 400, "ValidationException", fmt.Sprintf("Invalid filter key: %s", key))
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var all []aatypes.FindingSummary
	for _, f := range a.sc.AccessAnalyzer.Findings {
		if f.Analyzer != an.Name {
			continue
		}
		s := a.findingSummary(f)
		fields := map[string][]string{
			"status": {string(s.Status)}, "resourceType": {string(s.ResourceType)}, "resource": {sdkaws.ToString(s.Resource)},
			"isPublic": {strconv.FormatBool(f.Public)}, "resourceOwnerAccount": {a.sc.Account}, "id": {f.ID},
		}
		for _, v := range f.Principal {
			fields["principal.AWS"] = append(fields["principal.AWS"], v)
		}
		keep := true
		for key, c := range in.Filter {
			keep = keep && criterion(fields[key], c)
		}
		if keep {
			all = append(all, s)
		}
	}
	got, next, err := aaPage(op, all, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &accessanalyzer.ListFindingsOutput{Findings: got, NextToken: next}, nil
}
