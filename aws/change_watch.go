package aws

import (
	"context"
	"fmt"
	"slices"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"s3responder/app"
)

// The CloudTrail side of the containment watch: LookupEvents by access
// key (calls signed with it) or by resource name (calls naming a role,
// AssumeRole above all), in the session's region and in us-east-1, where
// IAM and global STS record their events.

var _ app.CredentialWatcher = (*ChangingCloud)(nil)

// watchRegions are the regions searched when the query names none.
func (c *ChangingCloud) watchRegions(q app.CredentialQuery) []string {
	regions := slices.Clone(q.Regions)
	if len(regions) == 0 {
		regions = []string{c.Cloud.Region, "us-east-1"}
	}
	slices.Sort(regions)
	return slices.Compact(regions)
}

// CredentialEvents looks up the calls of a CredentialQuery, oldest first,
// through the Cloud's limiter (about two lookups a second per account
// and region).
func (c *ChangingCloud) CredentialEvents(ctx context.Context, q app.CredentialQuery) ([]app.CredentialEvent, error) {
	attr := cttypes.LookupAttribute{AttributeKey: cttypes.LookupAttributeKeyAccessKeyId, AttributeValue: sdkaws.String(q.AccessKeyID)}
	if q.AccessKeyID == "" {
		if q.RoleARN == "" {
			return nil, fmt.Errorf("%w: name an access key or a role to look up", app.ErrInvalid)
		}
		attr = cttypes.LookupAttribute{AttributeKey: cttypes.LookupAttributeKeyResourceName, AttributeValue: sdkaws.String(q.RoleARN)}
	}
	until := q.Until
	if until.IsZero() {
		until = time.Now().UTC()
	}
	since := q.Since
	if oldest := until.Add(-LookupWindow); since.Before(oldest) {
		since = oldest
	}
	tl := &TrailLookup{API: c.Cloud.API.CloudTrail, Limiter: c.Cloud.Limiter, Profile: c.Cloud.Profile}
	lim := tl.Limiter
	if lim == nil {
		lim = &Limiter{}
	}
	seen := map[string]bool{}
	var out []app.CredentialEvent
	for _, region := range c.watchRegions(q) {
		opt := func(o *cloudtrail.Options) {
			if region != "" {
				o.Region = region
			}
		}
		in := &cloudtrail.LookupEventsInput{StartTime: sdkaws.Time(since), EndTime: sdkaws.Time(until), MaxResults: sdkaws.Int32(50),
			LookupAttributes: []cttypes.LookupAttribute{attr}}
		pages := cloudtrail.NewLookupEventsPaginator(tl.API, in)
		for pages.HasMorePages() {
			page, err := tl.nextPage(ctx, lim, pages, opt)
			if err != nil {
				return out, fmt.Errorf("look up CloudTrail events of %s in %s: %w", sdkaws.ToString(attr.AttributeValue), regionWords(region), Explain(err, tl.Profile))
			}
			for _, ev := range page.Events {
				te := convertEvent(ev)
				if seen[te.ID] {
					continue
				}
				seen[te.ID] = true
				out = append(out, app.CredentialEvent{ID: te.ID, Name: te.Name, Source: te.Source, Time: te.Time, Region: te.Region,
					Actor: te.Actor, AccessKeyID: te.AccessKeyID, SourceIP: te.SourceIP, ErrorCode: te.ErrorCode})
			}
		}
	}
	slices.SortFunc(out, func(a, b app.CredentialEvent) int { return a.Time.Compare(b.Time) })
	return out, nil
}
