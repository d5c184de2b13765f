package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"s3responder/app"
	"s3responder/changeplan"
)

// Part 3 of the playbook (eradicate): the changes that close the way in
// (IMDSv2 on the instances of a role, deleting a key pair, default
// encryption with KMS, versioning) and the read-only inspections that go
// with them. The changes are steps of the same framework as containment:
// actions.go dispatches their plans here, change.go their reads and
// writes.

// ChangeEC2API is the EC2 calls of Part 3, with the SDK's signatures.
type ChangeEC2API interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	ModifyInstanceMetadataOptions(ctx context.Context, in *ec2.ModifyInstanceMetadataOptionsInput, optFns ...func(*ec2.Options)) (*ec2.ModifyInstanceMetadataOptionsOutput, error)
	DescribeKeyPairs(ctx context.Context, in *ec2.DescribeKeyPairsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeKeyPairsOutput, error)
	DeleteKeyPair(ctx context.Context, in *ec2.DeleteKeyPairInput, optFns ...func(*ec2.Options)) (*ec2.DeleteKeyPairOutput, error)
	DescribeLaunchTemplateVersions(ctx context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error)
}

// EradicateS3API is the S3 calls of Part 3 beyond ChangeS3API.
type EradicateS3API interface {
	GetBucketEncryption(ctx context.Context, in *s3.GetBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	PutBucketEncryption(ctx context.Context, in *s3.PutBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	DeleteBucketEncryption(ctx context.Context, in *s3.DeleteBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.DeleteBucketEncryptionOutput, error)
	GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, optFns ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	PutBucketVersioning(ctx context.Context, in *s3.PutBucketVersioningInput, optFns ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error)
	GetObjectLockConfiguration(ctx context.Context, in *s3.GetObjectLockConfigurationInput, optFns ...func(*s3.Options)) (*s3.GetObjectLockConfigurationOutput, error)
}

// EradicateIAMAPI is the IAM reads of Part 3 beyond ChangeIAMAPI: the
// instance profiles of a role, and what the review of principals lists.
type EradicateIAMAPI interface {
	ListInstanceProfilesForRole(ctx context.Context, in *iam.ListInstanceProfilesForRoleInput, optFns ...func(*iam.Options)) (*iam.ListInstanceProfilesForRoleOutput, error)
	ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
	ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, optFns ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error)
	ListGroupsForUser(ctx context.Context, in *iam.ListGroupsForUserInput, optFns ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, optFns ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
}

var (
	_ ChangeEC2API    = (*ec2.Client)(nil)
	_ EradicateS3API  = (*s3.Client)(nil)
	_ EradicateIAMAPI = (*iam.Client)(nil)
	_ app.Inspector   = (*Changer)(nil)
)

// newEC2 builds the EC2 client of a Changer, with the same guard as the
// others: an exercise's ModifyInstanceMetadataOptions or DeleteKeyPair
// never reaches AWS.
func newEC2(s *Session, guard func(*middleware.Stack) error) *ec2.Client {
	return ec2.NewFromConfig(s.Config, func(o *ec2.Options) { o.APIOptions = append(o.APIOptions, guard) })
}

// ec2Client returns the EC2 client, refusing one that would reach AWS from
// a connection otherwise simulated: a plan marked simulated must not
// change a real instance.
func (c *Changer) ec2Client() (ChangeEC2API, error) {
	if c.EC2 == nil {
		return nil, fmt.Errorf("%w: this connection has no EC2 client", app.ErrInvalid)
	}
	if cl, ok := c.EC2.(*ec2.Client); ok && c.simulated && !endpointOutsideAWS(cl.Options().BaseEndpoint) {
		return nil, fmt.Errorf("%w: S3 and IAM go to a local endpoint but EC2 would go to AWS; point it elsewhere too (AWS_ENDPOINT_URL_EC2)", app.ErrInvalid)
	}
	return c.EC2, nil
}

func (c *Changer) s3x() (EradicateS3API, error) {
	x, ok := c.S3.(EradicateS3API)
	if !ok {
		return nil, fmt.Errorf("%w: this connection's S3 client cannot read encryption, versioning or Object Lock", app.ErrInvalid)
	}
	return x, nil
}

func (c *Changer) iamx() (EradicateIAMAPI, error) {
	x, ok := c.IAM.(EradicateIAMAPI)
	if !ok {
		return nil, fmt.Errorf("%w: this connection's IAM client cannot list instance profiles and policies", app.ErrInvalid)
	}
	return x, nil
}

// planEradicate plans the changes of Part 3 (called by PlanChange).
func (c *Changer) planEradicate(ctx context.Context, req app.ChangeRequest) (app.Plan, error) {
	p := func(name string) string { return strings.TrimSpace(req.Params[name]) }
	switch req.Action {
	case "ec2.require-imdsv2":
		return c.planIMDSv2(ctx, p("roleName"), p("instanceId"))
	case "ec2.delete-key-pair":
		return c.planDeleteKeyPair(ctx, p("keyName"))
	case "s3.default-encryption":
		return c.planEncryption(ctx, p("bucket"), p("kmsMasterKeyId"), p("bucketKeyEnabled"))
	case "s3.versioning":
		return c.planVersioning(ctx, p("bucket"))
	}
	return app.Plan{}, fmt.Errorf("%w: the aws package cannot plan %s", app.ErrInvalid, req.Action)
}

// readEradicate reads the state of a Part 3 resource (called by
// readState).
func (c *Changer) readEradicate(ctx context.Context, r app.Resource) (json.RawMessage, error) {
	switch r.Kind {
	case app.ResourceInstanceMetadata:
		return c.readMetadataOptions(ctx, r.ID["instanceId"])
	case app.ResourceKeyPair:
		return c.readKeyPair(ctx, r.ID["keyName"])
	case app.ResourceBucketEncryption:
		return c.readEncryption(ctx, r.ID["bucket"])
	case app.ResourceBucketVersioning:
		st, _, err := c.readVersioning(ctx, r.ID["bucket"])
		return st, err
	}
	return nil, fmt.Errorf("%w: resource kind %q", app.ErrInvalid, r.Kind)
}

// writeEradicate sets a Part 3 resource with one call (called by
// writeState, which explains the errors).
func (c *Changer) writeEradicate(ctx context.Context, r app.Resource, state json.RawMessage) error {
	absent := strings.TrimSpace(string(state)) == nullState
	switch r.Kind {
	case app.ResourceInstanceMetadata:
		return c.writeMetadataOptions(ctx, r.ID["instanceId"], state)
	case app.ResourceKeyPair:
		return c.writeKeyPair(ctx, r.ID["keyName"], absent)
	case app.ResourceBucketEncryption:
		return c.writeEncryption(ctx, r.ID["bucket"], state, absent)
	case app.ResourceBucketVersioning:
		return c.writeVersioning(ctx, r.ID["bucket"], state, absent)
	}
	return fmt.Errorf("%w: resource kind %q", app.ErrInvalid, r.Kind)
}

// eradicateCall names the AWS call and the CLI command that set a Part 3
// resource to state.
func (c *Changer) eradicateCall(r app.Resource, region string, state json.RawMessage) (string, string) {
	absent := string(state) == nullState
	id := r.ID
	switch r.Kind {
	case app.ResourceInstanceMetadata:
		var v metadataState
		_ = json.Unmarshal(state, &v) // states come from metadataState
		return "ModifyInstanceMetadataOptions", c.command(region, "ec2", "modify-instance-metadata-options", "--instance-id", id["instanceId"], "--http-tokens", v.HttpTokens)
	case app.ResourceKeyPair:
		if absent {
			return "DeleteKeyPair", c.command(region, "ec2", "delete-key-pair", "--key-name", id["keyName"])
		}
	case app.ResourceBucketEncryption:
		if absent {
			return "DeleteBucketEncryption", c.command(region, "s3api", "delete-bucket-encryption", "--bucket", id["bucket"])
		}
		return "PutBucketEncryption", c.command(region, "s3api", "put-bucket-encryption", "--bucket", id["bucket"], "--server-side-encryption-configuration", string(state))
	case app.ResourceBucketVersioning:
		var status string
		_ = json.Unmarshal(state, &status)
		return "PutBucketVersioning", c.command(region, "s3api", "put-bucket-versioning", "--bucket", id["bucket"], "--versioning-configuration", "Status="+status)
	}
	return "", ""
}

// eradicateStep builds a reversible step of Part 3.
func (c *Changer) eradicateStep(r app.Resource, region string, before, after json.RawMessage) app.ChangeStep {
	before, after = changeplan.Compact(before), changeplan.Compact(after)
	call, cli := c.eradicateCall(r, region, after)
	undoCall, undoCLI := c.eradicateCall(r, region, before)
	return app.ChangeStep{Resource: r, Before: before, After: after, Call: call, CLI: cli, UndoCall: undoCall, UndoCLI: undoCLI}
}

// Inspect runs the read-only actions of Part 3 (app.Inspector).
func (c *Changer) Inspect(ctx context.Context, req app.InspectRequest, by app.Identity) (app.Inspection, error) {
	p := func(name string) string { return strings.TrimSpace(req.Params[name]) }
	switch req.Action {
	case "ec2.find-role-instances":
		return c.inspectRoleInstances(ctx, p("roleName"), by)
	case "ec2.find-key-pair-instances":
		return c.inspectKeyPair(ctx, p("keyName"), by)
	case "s3.object-lock-status":
		return c.inspectObjectLock(ctx, p("bucket"), by)
	case "s3.mfa-delete-guide":
		return c.inspectMFADelete(ctx, p("bucket"), by)
	case "s3.policy-review":
		return c.inspectPolicy(ctx, p("bucket"), by)
	case "iam.review-principals":
		return c.inspectPrincipals(ctx, req.Principals, by)
	}
	return app.Inspection{}, fmt.Errorf("%w: the aws package cannot run %s", app.ErrInvalid, req.Action)
}

// response keeps one AWS answer (or its error) as evidence of an
// inspection. An error whose code is one of absent means the setting is
// not configured, which is an answer too; any other error is a failed
// read.
func (c *Changer) response(by app.Identity, region, api, title, file string, params map[string]string, out any, err error, absent ...string) app.Collected {
	col := app.Collected{Title: title, Kind: app.EvidenceAWSResponse, MediaType: "application/json", FileName: file,
		Source: source(by.Account, region, api, params), CollectedAt: c.now()}
	switch code := errorCode(err); {
	case err != nil && code != "" && slices.Contains(absent, code):
		col.Title += " (not configured)"
		col.Data = errorJSON(StatusNotConfigured, code, err.Error())
	case err != nil:
		col.Title += " (failed)"
		col.Data = errorJSON(StatusFailed, code, err.Error())
		col.Problem = Explain(err, c.Profile).Error()
	default:
		col.Data = rawJSON(out)
	}
	return col
}
