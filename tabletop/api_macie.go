package tabletop

import (
	"context"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/macie2"
	macietypes "github.com/aws/aws-sdk-go-v2/service/macie2/types"

	"s3responder/aws"
)

// macieAPI is the simulated Amazon Macie: the scenario's daily bucket
// counts per region. Macie counts once a day, so they do not follow the
// responders' changes; a region where the scenario has Macie off refuses
// as Macie does, with an AccessDeniedException saying it is not enabled.
type macieAPI struct{ *backend }

var _ aws.MacieAPI = macieAPI{}

func (m macieAPI) GetBucketStatistics(ctx context.Context, in *macie2.GetBucketStatisticsInput, optFns ...func(*macie2.Options)) (*macie2.GetBucketStatisticsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o := macie2.Options{Region: m.region}
	for _, f := range optFns {
		f(&o)
	}
	for _, r := range m.sc.Macie {
		if r.Region != o.Region || !r.Enabled {
			continue
		}
		return &macie2.GetBucketStatisticsOutput{
			BucketCount: sdkaws.Int64(r.Buckets), LastUpdated: sdkaws.Time(r.LastUpdated),
			BucketCountByEffectivePermission: &macietypes.BucketCountByEffectivePermission{
				PubliclyAccessible: sdkaws.Int64(r.PubliclyAccessible), PubliclyReadable: sdkaws.Int64(r.PubliclyReadable),
				PubliclyWritable: sdkaws.Int64(r.PubliclyWritable), Unknown: sdkaws.Int64(0)},
			BucketCountBySharedAccessType: &macietypes.BucketCountBySharedAccessType{
				External: sdkaws.Int64(r.SharedExternal), Internal: sdkaws.Int64(r.SharedInternal),
				NotShared: sdkaws.Int64(r.NotShared), Unknown: sdkaws.Int64(0)},
		}, nil
	}
	return nil, apiError("Macie2", "GetBucketStatistics", 403, "AccessDeniedException", "Macie is not enabled.")
}
