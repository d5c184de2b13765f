package aws

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/macie2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The APIs of one account, per service: the union of the small interfaces
// the checks, plans and changes of this package take. The SDK's clients
// answer them for a real account; a simulated account (package tabletop)
// answers them for an exercise, so both run the very same code.
type (
	// S3API is every S3 call of the package.
	S3API interface {
		ChangeS3API
		ExposureAPI
		SnapshotAPI
		VersionAPI
		DataAPI
		EradicateS3API
		LogsAPI
	}
	// IAMAPI is every IAM call of the package.
	IAMAPI interface {
		ChangeIAMAPI
		EradicateIAMAPI
	}
	// ControlAPI is every S3 Control call of the package.
	ControlAPI interface {
		ChangeControlAPI
		AccountBPAAPI
	}
	// CloudTrailAPI is the CloudTrail event history lookup.
	CloudTrailAPI = cloudtrail.LookupEventsAPIClient
	// OrganizationAPI tells which AWS Organizations organisation the
	// account belongs to, so that grants to it are not called external.
	OrganizationAPI interface {
		DescribeOrganization(ctx context.Context, in *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	}
)

var (
	_ S3API             = (*s3.Client)(nil)
	_ IAMAPI            = (*iam.Client)(nil)
	_ ControlAPI        = (*s3control.Client)(nil)
	_ ChangeEC2API      = (*ec2.Client)(nil)
	_ CallerIdentityAPI = (*sts.Client)(nil)
	_ CloudTrailAPI     = (*cloudtrail.Client)(nil)
	_ AnalyzerAPI       = (*accessanalyzer.Client)(nil)
	_ MacieAPI          = (*macie2.Client)(nil)
	_ AthenaAPI         = (*athena.Client)(nil)
	_ OrganizationAPI   = (*organizations.Client)(nil)
)

// Clients are the APIs one account is reached through, for one profile
// and region. A nil API is one the connection cannot reach; the checks
// that need it say so.
type Clients struct {
	S3         S3API
	Control    ControlAPI
	IAM        IAMAPI
	EC2        ChangeEC2API
	STS        CallerIdentityAPI
	CloudTrail CloudTrailAPI
	Analyzer   AnalyzerAPI
	Macie      MacieAPI
	Athena     AthenaAPI
	// Organizations may be nil: the account's organisation is then not
	// known, and grants to an organisation are reported as external.
	Organizations OrganizationAPI
}

// NewSimulated opens an account whose every API is answered in this
// process (a tabletop exercise's simulated account): the same checks,
// plans, changes, verification and undo as for AWS, over api. Its changes
// are marked simulated, which exercise incidents demand.
func NewSimulated(api Clients, profile, region string, now func() time.Time) *ChangingCloud {
	// No pacing of CloudTrail lookups: the simulated trail has no quota
	// to respect, and an exercise should not wait for one.
	c := &Cloud{API: api, Profile: profile, Region: region, CustomEndpoint: true, Limiter: &Limiter{Interval: time.Nanosecond}, Now: now}
	ch := &Changer{S3: api.S3, IAM: api.IAM, Control: api.Control, EC2: api.EC2, Region: region, Profile: profile, Now: now, simulated: true}
	return &ChangingCloud{Cloud: c, Changer: ch}
}
