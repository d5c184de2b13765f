package tabletop

import (
	"context"
	"encoding/json"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// A bucket's findings follow the bucket's state, whoever changes it (the
// simulated S3 writes the same world): Block Public Access on the bucket
// resolves its public finding and leaves the other account's.
func TestBucketFindingsResolveWhenTheBucketStopsGrantingThem(t *testing.T) {
	ctx := context.Background()
	s := newAPISim(t)
	api := analyzerAPI{s.b}
	arn := s.b.analyzerARNOf(s.b.sc.AccessAnalyzer.Analyzers[0])
	status := func() map[string]aatypes.FindingStatus {
		out, err := api.ListFindings(ctx, &accessanalyzer.ListFindingsInput{AnalyzerArn: &arn,
			Filter: map[string]aatypes.Criterion{"resource": {Eq: []string{"arn:aws:s3:::acme-customer-exports"}}}})
		require.NoError(t, err)
		m := map[string]aatypes.FindingStatus{}
		for _, f := range out.Findings {
			m[sdkaws.ToString(f.Id)] = f.Status
		}
		return m
	}
	const public, shared = "0b5e2f9c-1a47-4c3d-8e21-6f9a7d3c5b10", "0b5e2f9c-1a47-4c3d-8e21-6f9a7d3c5b11"
	assert.Equal(t, map[string]aatypes.FindingStatus{public: "ACTIVE", shared: "ACTIVE"}, status())

	// The changes go through the simulated S3, as a responder's would.
	bucket := sdkaws.String("acme-customer-exports")
	write := func(kind, state string) {
		t.Helper()
		var err error
		switch kind {
		case app.ResourceBucketPolicy:
			_, err = s3API{s.b}.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bucket, Policy: &state})
		case app.ResourceBucketBPA:
			var c s3types.PublicAccessBlockConfiguration
			require.NoError(t, json.Unmarshal([]byte(state), &c))
			_, err = s3API{s.b}.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: bucket, PublicAccessBlockConfiguration: &c})
		}
		require.NoError(t, err)
	}
	// The public statement removed: the public finding resolves, the
	// other account's listing stays granted.
	write(app.ResourceBucketPolicy, `{"Version":"2012-10-17","Statement":[{"Sid":"SyncListing","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::acme-customer-exports"}]}`)
	assert.Equal(t, map[string]aatypes.FindingStatus{public: "RESOLVED", shared: "ACTIVE"}, status())

	// The public policy back under RestrictPublicBuckets: S3 limits the
	// bucket to service principals and the owner account, so neither
	// access is granted.
	write(app.ResourceBucketPolicy, s.b.sc.Buckets[0].Policy.JSON)
	assert.Equal(t, map[string]aatypes.FindingStatus{public: "ACTIVE", shared: "ACTIVE"}, status())
	write(app.ResourceBucketBPA, `{"BlockPublicAcls":false,"IgnorePublicAcls":false,"BlockPublicPolicy":false,"RestrictPublicBuckets":true}`)
	assert.Equal(t, map[string]aatypes.FindingStatus{public: "RESOLVED", shared: "RESOLVED"}, status())

	s.clock.add(time.Hour)
	out, err := api.ListFindings(ctx, &accessanalyzer.ListFindingsInput{AnalyzerArn: &arn,
		Filter: map[string]aatypes.Criterion{"status": {Eq: []string{"RESOLVED"}}, "isPublic": {Eq: []string{"true"}}}})
	require.NoError(t, err)
	require.Len(t, out.Findings, 1)
	assert.Equal(t, exerciseStart.Add(time.Hour), *out.Findings[0].UpdatedAt, "a resolved finding is updated at the clock of the read")

	_, err = api.ListFindings(ctx, &accessanalyzer.ListFindingsInput{AnalyzerArn: sdkaws.String("arn:aws:access-analyzer:eu-west-1:111122223333:analyzer/none")})
	assert.Equal(t, "ResourceNotFoundException", ec2Code(err))
}
