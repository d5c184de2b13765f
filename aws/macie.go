package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/macie2"
	"github.com/aws/smithy-go"

	"s3responder/app"
)

// MacieAPI is the Macie call the summary needs.
type MacieAPI interface {
	GetBucketStatistics(ctx context.Context, in *macie2.GetBucketStatisticsInput, optFns ...func(*macie2.Options)) (*macie2.GetBucketStatisticsOutput, error)
}

var _ MacieAPI = (*macie2.Client)(nil)

// macieOff reports whether err is Macie saying it is not turned on in the
// region: an AccessDeniedException whose message says so, which must not
// be mistaken for a missing permission.
func macieOff(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	return deniedCodes[apiErr.ErrorCode()] && strings.Contains(strings.ToLower(apiErr.ErrorMessage()), "not enabled")
}

// MacieSummary reads Macie's bucket statistics in the query's regions, or
// the session's (app.MacieReader). A region where Macie is off is a
// normal answer, said in words; a region that refuses is a note when
// others answer, and the error when none does.
func (c *Cloud) MacieSummary(ctx context.Context, q app.MacieQuery) (app.MacieReport, error) {
	id, err := c.identity(ctx)
	if err != nil {
		return app.MacieReport{}, err
	}
	regions := cleanRegions(q.Regions)
	if len(regions) == 0 {
		regions = []string{c.Region}
	}
	var rep app.MacieReport
	var firstErr error
	failed := 0
	for _, region := range regions {
		st, item, err := c.macieRegion(ctx, c.API.Macie, id, region)
		col := collected(item, id.ARN)
		col.Title = "Amazon Macie bucket statistics in " + region
		if item.Status != StatusCollected {
			col.Title += " (" + string(item.Status) + ")"
		}
		col.FileName = "macie-bucket-statistics-" + region + ".json"
		rep.Items = append(rep.Items, col)
		if err != nil {
			if ctx.Err() != nil {
				return rep, err
			}
			failed++
			if firstErr == nil {
				firstErr = err
			}
		}
		rep.Regions = append(rep.Regions, st)
	}
	if failed == len(regions) {
		return rep, firstErr
	}
	return rep, nil
}

func (c *Cloud) macieRegion(ctx context.Context, api MacieAPI, id Identity, region string) (app.MacieStats, Item, error) {
	st := app.MacieStats{Region: region}
	it := Item{Name: "macie-bucket-statistics", Source: source(id.Account, region, "GetBucketStatistics", nil), CollectedAt: c.now()}
	out, err := api.GetBucketStatistics(ctx, &macie2.GetBucketStatisticsInput{}, func(o *macie2.Options) { o.Region = region })
	if err != nil {
		it.ErrorCode = errorCode(err)
		if macieOff(err) {
			st.Note = "Amazon Macie is not enabled in " + region + ", so it has no summary of the buckets there (turning it on starts a charged service)"
			it.Status, it.Message = StatusNotConfigured, st.Note
			it.Data = errorJSON(it.Status, it.ErrorCode, st.Note)
			return st, it, nil
		}
		e := Explain(err, c.Profile)
		it.Status, it.Message = StatusFailed, e.Error()
		it.Data = errorJSON(it.Status, it.ErrorCode, it.Message)
		st.Note = "could not be read: " + e.Error()
		return st, it, fmt.Errorf("read Macie's bucket statistics in %s: %w", region, e)
	}
	it.Status, it.Data = StatusCollected, rawJSON(out)
	st.Enabled = true
	st.Buckets = sdkaws.ToInt64(out.BucketCount)
	st.LastUpdated = sdkaws.ToTime(out.LastUpdated).UTC()
	if p := out.BucketCountByEffectivePermission; p != nil {
		st.PubliclyAccessible, st.PubliclyReadable = sdkaws.ToInt64(p.PubliclyAccessible), sdkaws.ToInt64(p.PubliclyReadable)
		st.PubliclyWritable, st.PermissionUnknown = sdkaws.ToInt64(p.PubliclyWritable), sdkaws.ToInt64(p.Unknown)
	}
	if s := out.BucketCountBySharedAccessType; s != nil {
		st.SharedExternal, st.SharedInternal = sdkaws.ToInt64(s.External), sdkaws.ToInt64(s.Internal)
		st.NotShared, st.SharedUnknown = sdkaws.ToInt64(s.NotShared), sdkaws.ToInt64(s.Unknown)
	}
	return st, it, nil
}

var _ app.MacieReader = (*Cloud)(nil)
