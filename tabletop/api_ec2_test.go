package tabletop

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ec2Code(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func TestDescribeInstancesFiltersAndPagesAsEC2Does(t *testing.T) {
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("id: many\ntitle: many instances\naccount: \"123456789012\"\nregion: eu-west-1\nec2:\n  instances:\n")
	for i := range 7 {
		fmt.Fprintf(&b, "    - {id: i-0123456789abcde%02x, name: web-%d, keyName: %s}\n", i, i, map[bool]string{true: "even", false: "odd"}[i%2 == 0])
	}
	b.WriteString("    - {id: i-0fffffffffffffff0, region: us-east-1, keyName: even}\n")
	sc, err := ParseScenario("many", []byte(b.String()))
	require.NoError(t, err)
	api := ec2API{newBackend(sc, "", nil)}

	var ids []string
	pages := ec2.NewDescribeInstancesPaginator(api, &ec2.DescribeInstancesInput{MaxResults: sdkaws.Int32(5)})
	n := 0
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx)
		require.NoError(t, err)
		n++
		for _, r := range p.Reservations {
			for _, in := range r.Instances {
				ids = append(ids, sdkaws.ToString(in.InstanceId))
			}
		}
	}
	assert.Equal(t, 2, n, "7 instances in pages of 5")
	assert.Len(t, ids, 7, "the us-east-1 instance is not in eu-west-1")

	out, err := api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: sdkaws.String("key-name"), Values: []string{"even"}},
		{Name: sdkaws.String("tag:Name"), Values: []string{"web-?", "nothing"}}}})
	require.NoError(t, err)
	assert.Len(t, out.Reservations, 4, "filters are ANDed, values ORed, ? matches one character")
	out, err = api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: sdkaws.String("key-name"), Values: []string{"even"}}}},
		func(o *ec2.Options) { o.Region = "us-east-1" })
	require.NoError(t, err)
	assert.Len(t, out.Reservations, 1, "the region is the call's")

	_, err = api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0aaaaaaaaaaaaaaaa"}})
	assert.Equal(t, "InvalidInstanceID.NotFound", ec2Code(err))
	_, err = api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{"web-1"}})
	assert.Equal(t, "InvalidInstanceID.Malformed", ec2Code(err))
	_, err = api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: sdkaws.String("owner-shoe-size"), Values: []string{"9"}}}})
	assert.Equal(t, "InvalidParameterValue", ec2Code(err))
	_, err = api.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: sdkaws.String("i-0aaaaaaaaaaaaaaaa"), HttpTokens: "required"})
	assert.Equal(t, "InvalidInstanceID.NotFound", ec2Code(err))

	// A change shows as pending at the next look, then as applied.
	id := sdkaws.String("i-0123456789abcde00")
	mod, err := api.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: id, HttpTokens: "required", HttpPutResponseHopLimit: sdkaws.Int32(2)})
	require.NoError(t, err)
	assert.Equal(t, ec2types.InstanceMetadataOptionsStatePending, mod.InstanceMetadataOptions.State)
	for _, want := range []ec2types.InstanceMetadataOptionsState{"pending", "applied"} {
		out, err := api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{*id}})
		require.NoError(t, err)
		m := out.Reservations[0].Instances[0].MetadataOptions
		assert.Equal(t, want, m.State)
		assert.Equal(t, ec2types.HttpTokensStateRequired, m.HttpTokens)
		assert.Equal(t, int32(2), sdkaws.ToInt32(m.HttpPutResponseHopLimit))
		assert.Equal(t, ec2types.InstanceMetadataEndpointStateEnabled, m.HttpEndpoint)
	}
	_, err = api.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: id, HttpPutResponseHopLimit: sdkaws.Int32(99)})
	assert.Equal(t, "InvalidParameterValue", ec2Code(err))

	// The change is filed in the simulated trail of the call's region.
	_, err = api.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: sdkaws.String("i-0fffffffffffffff0"), HttpTokens: "required"},
		func(o *ec2.Options) { o.Region = "us-east-1" })
	require.NoError(t, err)
	rec := api.w.recorded
	require.Len(t, rec, 2)
	assert.Equal(t, "eu-west-1", rec[0].Region)
	assert.Equal(t, "us-east-1", rec[1].Region)
	assert.JSONEq(t, `{"ModifyInstanceMetadataOptionsRequest":{"InstanceId":"i-0fffffffffffffff0","HttpTokens":"required"}}`, rec[1].Params)
}

func TestKeyPairsAndLaunchTemplatesAnswerAsEC2Does(t *testing.T) {
	ctx := context.Background()
	s := newAPISim(t)
	api := ec2API{s.b}
	_, err := api.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{"no-such"}})
	assert.Equal(t, "InvalidKeyPair.NotFound", ec2Code(err))
	kp, err := api.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{})
	require.NoError(t, err)
	assert.Len(t, kp.KeyPairs, 2)

	del, err := api.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: sdkaws.String("no-such")})
	require.NoError(t, err, "EC2 deletes a missing pair without complaint")
	assert.Nil(t, del.KeyPairId)
	del, err = api.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: sdkaws.String("web-admin")})
	require.NoError(t, err)
	assert.Equal(t, s.b.sc.EC2.KeyPairs[1].ID, sdkaws.ToString(del.KeyPairId))
	kp, err = api.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{})
	require.NoError(t, err)
	assert.Len(t, kp.KeyPairs, 1)

	lt, err := api.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: sdkaws.String("etl-workers")})
	require.NoError(t, err)
	require.Len(t, lt.LaunchTemplateVersions, 2)
	assert.True(t, sdkaws.ToBool(lt.LaunchTemplateVersions[0].DefaultVersion))
	assert.Equal(t, "ci-build-2025", sdkaws.ToString(lt.LaunchTemplateVersions[1].LaunchTemplateData.KeyName))
	lt, err = api.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{"$Latest"}})
	require.NoError(t, err)
	require.Len(t, lt.LaunchTemplateVersions, 1)
	assert.Equal(t, int64(2), sdkaws.ToInt64(lt.LaunchTemplateVersions[0].VersionNumber))
	_, err = api.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: sdkaws.String("nope")})
	assert.Equal(t, "InvalidLaunchTemplateName.NotFoundException", ec2Code(err))
	_, err = api.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: sdkaws.String("etl-workers"), Versions: []string{"9"}})
	assert.Equal(t, "InvalidLaunchTemplateId.VersionNotFound", ec2Code(err))
}
