package tabletop

import (
	"context"
	"fmt"
	"sync"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Bulk changes and the watch call the simulated APIs from many goroutines
// at once; under -race this shows they share the one world safely, and
// that every change is recorded exactly once.
func TestTheSimulatedAPIsServeConcurrentCallers(t *testing.T) {
	ctx := context.Background()
	s := newAPISim(t)
	ia, ea, ta, aa := iamAPI{s.b}, ec2API{s.b}, trailAPI{s.b}, analyzerAPI{s.b}
	arn := s.b.analyzerARNOf(s.b.sc.AccessAnalyzer.Analyzers[0])
	const workers, rounds = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*5)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				status := "Inactive"
				if (w+r)%2 == 0 {
					status = "Active"
				}
				_, err := ia.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: sdkaws.String("ci-deploy"), AccessKeyId: sdkaws.String("AKIAIOSFODNN7EXAMPLE"), Status: iamtypes.StatusType(status)})
				errs <- err
				_, err = ia.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: sdkaws.String("DataPipelineRole"), PolicyName: sdkaws.String(fmt.Sprintf("w%d", w)),
					PolicyDocument: sdkaws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`)})
				errs <- err
				_, err = ea.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: sdkaws.String("i-0a1b2c3d4e5f60718"), HttpTokens: map[string]ec2types.HttpTokensState{"Active": "required", "Inactive": "optional"}[status]})
				errs <- err
				_, err = ta.LookupEvents(ctx, &cloudtrail.LookupEventsInput{}, func(o *cloudtrail.Options) { o.Region = "us-east-1" })
				errs <- err
				_, err = aa.ListFindings(ctx, &accessanalyzer.ListFindingsInput{AnalyzerArn: &arn})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	counts := map[string]int{}
	for _, n := range s.recordedNames() {
		counts[n]++
	}
	assert.Equal(t, map[string]int{"UpdateAccessKey": workers * rounds, "PutRolePolicy": workers * rounds, "ModifyInstanceMetadataOptions": workers * rounds}, counts)
	out, err := ia.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: sdkaws.String("DataPipelineRole")})
	require.NoError(t, err)
	assert.Len(t, out.PolicyNames, workers+1, "one policy per worker beside the role's own")
}
