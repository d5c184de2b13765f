package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"s3responder/app"
)

// Cloud is the app's view of one AWS account (app.Cloud) over its
// Clients: it runs the checks of this package and hands back their
// results as app types, with every raw response ready to be kept as
// evidence. The clients are the SDK's for a real account (NewCloud) and a
// simulated account's for an exercise (NewSimulated).
type Cloud struct {
	API Clients
	// Profile is named in explanations; Region is the session's region.
	Profile, Region string
	// CustomEndpoint is true when S3 is reached at an endpoint of the
	// person's choosing (Session.CustomEndpoint).
	CustomEndpoint bool
	// Limiter spaces the CloudTrail lookups made through this Cloud; one
	// per account, since LookupEvents' quota is per account and region.
	Limiter *Limiter
	// Concurrency bounds parallel bucket checks of a scan (0: default).
	Concurrency int
	// Now is the clock of collection times and of the 90-day limit.
	Now func() time.Time

	// session is the SDK session of a real account, from which the
	// guarded mutating clients are built (WithChanges); nil when simulated.
	session *Session

	mu sync.Mutex
	id *Identity
	// org is the account's organisation id, "" when it has none or it
	// could not be read; orgRead says it was asked.
	org     string
	orgRead bool
}

var _ app.Cloud = (*Cloud)(nil)

// NewCloud wraps a Session's SDK clients.
func NewCloud(s *Session) *Cloud {
	return &Cloud{API: s.Clients(), Profile: s.Profile, Region: s.Region, CustomEndpoint: s.CustomEndpoint, Limiter: &Limiter{}, session: s}
}

// Connector returns how the app connects to AWS: Connect with the person's
// configuration for the chosen profile and region. base supplies what
// does not change per profile (the HTTP client, a default MFA prompt);
// a profile's own MFA prompt, when set, wins. It refuses a simulated
// exercise profile: only a simulated account may answer for those.
func Connector(base Options) app.Connector {
	return func(ctx context.Context, p app.Profile) (app.Cloud, error) {
		if p.Exercise {
			return nil, &Error{Kind: KindConfig, Err: app.ErrInvalid,
				Message: "An exercise uses a simulated account; S3 Responder never sends an exercise's calls to AWS."}
		}
		o := base
		o.Profile, o.Region = strings.TrimSpace(p.Name), strings.TrimSpace(p.Region)
		if p.MFA != nil {
			o.MFA = MFAPrompt(p.MFA)
		}
		s, err := Connect(ctx, o)
		if err != nil {
			return nil, err
		}
		return NewCloud(s), nil
	}
}

func (c *Cloud) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

// identity asks STS once per Cloud; the account id is needed by every
// check (S3 Control, own versus external principals).
func (c *Cloud) identity(ctx context.Context) (Identity, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.id != nil {
		return *c.id, nil
	}
	id, err := WhoAmI(ctx, c.API.STS, c.Profile)
	if err != nil {
		return Identity{}, err
	}
	c.id = &id
	return id, nil
}

// Identity says who the credentials belong to (app.Cloud).
func (c *Cloud) Identity(ctx context.Context) (app.Identity, error) {
	id, err := c.identity(ctx)
	return app.Identity(id), err
}

// organisation asks AWS Organizations once which organisation the account
// belongs to. An account outside any organisation, or one whose identity
// may not ask (organizations:DescribeOrganization), gets "": grants to an
// organisation are then reported as possibly external, which a person
// can check.
func (c *Cloud) organisation(ctx context.Context) string {
	if c.API.Organizations == nil {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.orgRead {
		return c.org
	}
	out, err := c.API.Organizations.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil && ctx.Err() != nil {
		return "" // asked again next time
	}
	c.orgRead = true
	if err == nil && out.Organization != nil {
		c.org = sdkaws.ToString(out.Organization.Id)
	}
	return c.org
}

// checker is a fresh ExposureChecker: it caches the account's Block Public
// Access, which the responder may change between two checks.
func (c *Cloud) checker(id Identity, org string) *ExposureChecker {
	aps, _ := c.API.Control.(AccessPointAPI)
	return &ExposureChecker{S3: c.API.S3, Buckets: c.API.S3, Control: c.API.Control, AccessPoints: aps, Account: id.Account, Org: org,
		Region: c.Region, Profile: c.Profile, Concurrency: c.Concurrency, Now: c.Now, CustomEndpoint: c.CustomEndpoint}
}

// collected turns an Item into the app's evidence-ready form.
func collected(it Item, collector string) app.Collected {
	ev := it.Evidence(collector)
	col := app.Collected{Title: ev.Title, Kind: ev.Kind, FileName: ev.FileName, MediaType: ev.MediaType,
		Source: ev.Source, CollectedAt: ev.CollectedAt, Data: it.Data}
	if it.Status == StatusFailed || it.Status == StatusNotSupported {
		col.Problem = it.Message
	}
	return col
}

func report(be BucketExposure, id Identity) app.BucketReport {
	r := app.BucketReport{
		Bucket: be.Bucket, Region: be.Region, Verdict: string(be.Access), Public: be.Public, Shared: be.Shared,
		SharedWith: be.SharedWith, Reasons: be.Reasons, Disagreement: be.Disagreement, Undetermined: be.Undetermined,
	}
	for _, p := range be.Problems {
		r.Problems = append(r.Problems, p.Message)
	}
	r.Detail, _ = json.MarshalIndent(be, "", "  ") // the verdict's types always marshal
	for _, it := range be.Items {
		r.Items = append(r.Items, collected(it, id.ARN))
	}
	return r
}

// CheckBucket judges one bucket (app.Cloud).
func (c *Cloud) CheckBucket(ctx context.Context, bucket string) (app.BucketReport, error) {
	id, err := c.identity(ctx)
	if err != nil {
		return app.BucketReport{}, err
	}
	be, err := c.checker(id, c.organisation(ctx)).CheckBucket(ctx, bucket)
	if err != nil {
		return app.BucketReport{}, err
	}
	return report(be, id), nil
}

// ScanAccount checks every bucket of the account (app.Cloud).
func (c *Cloud) ScanAccount(ctx context.Context, progress app.Progress) ([]app.BucketReport, error) {
	id, err := c.identity(ctx)
	if err != nil {
		return nil, err
	}
	all, err := c.checker(id, c.organisation(ctx)).CheckAll(ctx, func(done, total int, _ BucketExposure) {
		if progress != nil {
			progress(done, total)
		}
	})
	out := make([]app.BucketReport, 0, len(all))
	for _, be := range all {
		out = append(out, report(be, id))
	}
	return out, err
}

// Snapshot reads a bucket's whole configuration (app.Cloud).
func (c *Cloud) Snapshot(ctx context.Context, bucket string) ([]app.Collected, error) {
	id, err := c.identity(ctx)
	if err != nil {
		return nil, err
	}
	sn := &Snapshotter{S3: c.API.S3, Account: id.Account, Region: c.Region, Profile: c.Profile, Now: c.Now}
	items, err := sn.Snapshot(ctx, bucket)
	if err != nil {
		return nil, err
	}
	out := make([]app.Collected, len(items))
	for i, it := range items {
		out[i] = collected(it, id.ARN)
	}
	return out, nil
}

// changeRegions are the regions searched when the person names none: the
// session's, the bucket's, and us-east-1, where IAM records trust policy
// changes.
func (c *Cloud) changeRegions(ctx context.Context, q app.ChangeQuery) []string {
	var regions []string
	add := func(r string) {
		if r = strings.TrimSpace(r); r != "" && !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	for _, r := range q.Regions {
		add(r)
	}
	if len(regions) > 0 {
		return regions
	}
	add(c.Region)
	if q.Bucket != "" {
		if r, err := BucketRegion(ctx, c.API.S3, q.Bucket, ""); err == nil {
			add(r)
		}
	}
	add("us-east-1")
	return regions
}

// AccessChanges looks up, in CloudTrail's event history, the changes of
// bucket access and role trust in the window (app.Cloud). Without a start
// it searches the whole 90 days LookupEvents keeps; an earlier start is
// cut to that, and the report's Note says so.
func (c *Cloud) AccessChanges(ctx context.Context, q app.ChangeQuery, progress app.Progress) (app.ChangeReport, error) {
	id, err := c.identity(ctx)
	if err != nil {
		return app.ChangeReport{}, err
	}
	// One clock reading for the window and the lookup, so both cut the
	// window at the same instant.
	now := c.now()
	end := q.Until.UTC()
	if end.IsZero() || end.After(now) {
		end = now
	}
	start, note := q.Since.UTC(), ""
	if oldest := now.Add(-LookupWindow); start.Before(oldest) {
		if !q.Since.IsZero() {
			note = fmt.Sprintf("CloudTrail event history only reaches back 90 days, so the search started at %s instead of %s; older changes are only in the trail's log files (analyse them with `s3responder trail analyze`).",
				oldest.Format(time.RFC3339), start.Format(time.RFC3339))
		}
		start = oldest
	}
	regions := c.changeRegions(ctx, q)
	tq := TrailQuery{Start: start, End: end, Regions: regions, Bucket: q.Bucket}
	lim := c.Limiter
	if lim == nil {
		lim = &Limiter{}
	}
	tl := &TrailLookup{API: c.API.CloudTrail, Limiter: lim, Profile: c.Profile, Now: func() time.Time { return now }}
	total, done := len(regions)*len(AccessChangeEvents), 0
	events, _, err := tl.LookupAccessChanges(ctx, tq, func(string, string, int) {
		done++
		if progress != nil {
			progress(done, total)
		}
	})
	if err != nil {
		return app.ChangeReport{}, err
	}
	rep := app.ChangeReport{Since: start, Until: end, Regions: regions, Note: note}
	for _, e := range events {
		rep.Changes = append(rep.Changes, app.Change{
			ID: e.ID, Name: e.Name, Time: e.Time, Region: e.Region, Actor: e.Actor, AccessKeyID: e.AccessKeyID,
			SourceIP: e.SourceIP, Bucket: e.Bucket, Role: e.Role, ErrorCode: e.ErrorCode, Summary: e.Summary,
		})
	}
	item := collected(EventsItem(events, tq, id.Account, now), id.ARN)
	item.Title = fmt.Sprintf("CloudTrail access changes %s to %s (%d events)", start.Format(time.RFC3339), end.Format(time.RFC3339), len(events))
	if q.Bucket != "" {
		item.Title = fmt.Sprintf("CloudTrail access changes of bucket %s, %s to %s (%d events)", q.Bucket, start.Format(time.RFC3339), end.Format(time.RFC3339), len(events))
	}
	rep.Items = []app.Collected{item}
	return rep, nil
}
