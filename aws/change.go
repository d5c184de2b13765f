package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"s3responder/app"
	"s3responder/changeplan"
	"s3responder/exposure"
)

// ChangeS3API is the S3 calls of changes to buckets, with the SDK's exact
// signatures.
type ChangeS3API interface {
	GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, optFns ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
	DeleteBucketPolicy(ctx context.Context, in *s3.DeleteBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error)
	GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, optFns ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(ctx context.Context, in *s3.PutPublicAccessBlockInput, optFns ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	DeletePublicAccessBlock(ctx context.Context, in *s3.DeletePublicAccessBlockInput, optFns ...func(*s3.Options)) (*s3.DeletePublicAccessBlockOutput, error)
	// The calls of account-wide, object and batch changes.
	ListBuckets(ctx context.Context, in *s3.ListBucketsInput, optFns ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	GetBucketAcl(ctx context.Context, in *s3.GetBucketAclInput, optFns ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
	GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObjectAcl(ctx context.Context, in *s3.GetObjectAclInput, optFns ...func(*s3.Options)) (*s3.GetObjectAclOutput, error)
	PutObjectAcl(ctx context.Context, in *s3.PutObjectAclInput, optFns ...func(*s3.Options)) (*s3.PutObjectAclOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	// The calls of the bucket ACL reset, archive restores and replica
	// restores.
	PutBucketAcl(ctx context.Context, in *s3.PutBucketAclInput, optFns ...func(*s3.Options)) (*s3.PutBucketAclOutput, error)
	RestoreObject(ctx context.Context, in *s3.RestoreObjectInput, optFns ...func(*s3.Options)) (*s3.RestoreObjectOutput, error)
	GetBucketReplication(ctx context.Context, in *s3.GetBucketReplicationInput, optFns ...func(*s3.Options)) (*s3.GetBucketReplicationOutput, error)
}

// ChangeControlAPI is the S3 Control calls of account-level Block Public
// Access and of S3 Batch Operations jobs.
type ChangeControlAPI interface {
	GetPublicAccessBlock(ctx context.Context, in *s3control.GetPublicAccessBlockInput, optFns ...func(*s3control.Options)) (*s3control.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(ctx context.Context, in *s3control.PutPublicAccessBlockInput, optFns ...func(*s3control.Options)) (*s3control.PutPublicAccessBlockOutput, error)
	DeletePublicAccessBlock(ctx context.Context, in *s3control.DeletePublicAccessBlockInput, optFns ...func(*s3control.Options)) (*s3control.DeletePublicAccessBlockOutput, error)
	CreateJob(ctx context.Context, in *s3control.CreateJobInput, optFns ...func(*s3control.Options)) (*s3control.CreateJobOutput, error)
	DescribeJob(ctx context.Context, in *s3control.DescribeJobInput, optFns ...func(*s3control.Options)) (*s3control.DescribeJobOutput, error)
	ListJobs(ctx context.Context, in *s3control.ListJobsInput, optFns ...func(*s3control.Options)) (*s3control.ListJobsOutput, error)
}

// ChangeIAMAPI is the IAM calls of changes to keys and inline policies.
type ChangeIAMAPI interface {
	GetUser(ctx context.Context, in *iam.GetUserInput, optFns ...func(*iam.Options)) (*iam.GetUserOutput, error)
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, optFns ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
	UpdateAccessKey(ctx context.Context, in *iam.UpdateAccessKeyInput, optFns ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, optFns ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	PutRolePolicy(ctx context.Context, in *iam.PutRolePolicyInput, optFns ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	DeleteRolePolicy(ctx context.Context, in *iam.DeleteRolePolicyInput, optFns ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
	GetUserPolicy(ctx context.Context, in *iam.GetUserPolicyInput, optFns ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error)
	PutUserPolicy(ctx context.Context, in *iam.PutUserPolicyInput, optFns ...func(*iam.Options)) (*iam.PutUserPolicyOutput, error)
	DeleteUserPolicy(ctx context.Context, in *iam.DeleteUserPolicyInput, optFns ...func(*iam.Options)) (*iam.DeleteUserPolicyOutput, error)
	DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, optFns ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
	UpdateAssumeRolePolicy(ctx context.Context, in *iam.UpdateAssumeRolePolicyInput, optFns ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
}

var (
	_ ChangeS3API      = (*s3.Client)(nil)
	_ ChangeIAMAPI     = (*iam.Client)(nil)
	_ ChangeControlAPI = (*s3control.Client)(nil)
	_ app.Mutator      = (*Changer)(nil)
)

// Changer carries out changes to an account for the app's change use
// cases (app.Mutator): it reads and sets bucket policies, bucket Block
// Public Access, access key status and inline policies, and plans the
// containment actions (actions.go). Build it with NewChanger, which puts
// the exercise guard on its clients.
type Changer struct {
	S3  ChangeS3API
	IAM ChangeIAMAPI
	// Control sets account-level Block Public Access and runs S3 Batch
	// Operations jobs.
	Control ChangeControlAPI
	// EC2 requires IMDSv2 and deletes key pairs (eradicate.go).
	EC2 ChangeEC2API
	// Region is where buckets are assumed to be when S3 does not say, and
	// the region printed in commands.
	Region string
	// Profile is named in explanations and printed in commands.
	Profile string
	// Now is the clock of revocation times (tests fix it).
	Now func() time.Time

	simulated bool
	mu        sync.Mutex
	regions   map[string]string
	// objOnce builds objS3, the client of bulk object calls (objects()).
	objOnce sync.Once
	objS3   ChangeS3API
	// restores remembers the versions restores copy (recover.go).
	restores restoreCache
}

// ErrRealEndpoint is returned, before anything is sent, for a change an
// exercise connection would send to AWS. It wraps app.ErrExercise.
var ErrRealEndpoint = fmt.Errorf("refused to send to a real AWS endpoint: %w", app.ErrExercise)

// NewChanger builds the mutating clients of a session. exercise is true
// when the connection serves an exercise incident: every client then
// carries a guard that refuses, at the moment of sending, any operation
// other than a read whose request goes to an AWS host, whatever endpoint
// configuration led there. A Changer is simulated when both S3 and IAM
// and S3 Control are explicitly pointed at hosts outside AWS.
func NewChanger(s *Session, exercise bool) *Changer {
	guard := func(stack *middleware.Stack) error { return nil }
	if exercise {
		guard = exerciseGuard
	}
	s3c := s3.New(s.S3.Options(), func(o *s3.Options) { o.APIOptions = append(o.APIOptions, guard) })
	iamc := iam.NewFromConfig(s.Config, func(o *iam.Options) { o.APIOptions = append(o.APIOptions, guard) })
	ctl := s3control.New(s.Control.Options(), func(o *s3control.Options) { o.APIOptions = append(o.APIOptions, guard) })
	// S3 Control counts too: an account-wide change of a simulated
	// account must not reach AWS's.
	sim := endpointOutsideAWS(s3c.Options().BaseEndpoint) && endpointOutsideAWS(iamc.Options().BaseEndpoint) &&
		endpointOutsideAWS(ctl.Options().BaseEndpoint)
	return &Changer{S3: s3c, IAM: iamc, Control: ctl, EC2: newEC2(s, guard), Region: s.Region, Profile: s.Profile, simulated: sim}
}

// awsDomains are the DNS suffixes of AWS's partitions' service endpoints.
var awsDomains = []string{"amazonaws.com", "amazonaws.com.cn", "api.aws", "amazonaws.eu", "c2s.ic.gov", "sc2s.sgov.gov", "cloud.adc-e.uk", "csp.hci.ic.gov"}

// isAWSHost reports whether a host name belongs to AWS's endpoints.
func isAWSHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range awsDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// endpointOutsideAWS reports whether an explicit endpoint names a host
// that is not AWS's. No endpoint means the SDK resolves AWS's own.
func endpointOutsideAWS(ep *string) bool {
	if ep == nil || *ep == "" {
		return false
	}
	u, err := url.Parse(*ep)
	if err != nil || u.Hostname() == "" {
		return false
	}
	return !isAWSHost(u.Hostname())
}

// readOnly reports whether an operation only reads.
func readOnly(op string) bool {
	for _, p := range []string{"Get", "List", "Head", "Describe"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// exerciseGuard adds, at the very end of the finalize step (after the
// endpoint is resolved and the request signed, just before it is sent),
// a check of the request's host.
func exerciseGuard(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("S3ResponderExerciseGuard",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			op := awsmiddleware.GetOperationName(ctx)
			req, ok := in.Request.(*smithyhttp.Request)
			if !ok {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("%s: %w (request of unknown type)", op, ErrRealEndpoint)
			}
			host := req.URL.Hostname()
			if !readOnly(op) && isAWSHost(host) {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("%s to %s: %w", op, host, ErrRealEndpoint)
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

// ChangingCloud is a Cloud that can also change the account: what the
// app's change use cases look for in the connections they are given.
type ChangingCloud struct {
	*Cloud
	*Changer
}

var (
	_ app.Cloud   = (*ChangingCloud)(nil)
	_ app.Mutator = (*ChangingCloud)(nil)
)

// WithChanges wraps a connector so that every AWS connection it opens can
// also carry out changes, its mutating clients built for the profile's
// kind of incident (p.Exercise). main wires
// aws.WithChanges(aws.Connector(opts)).
func WithChanges(next app.Connector) app.Connector {
	return func(ctx context.Context, p app.Profile) (app.Cloud, error) {
		cl, err := next(ctx, p)
		if err != nil {
			return nil, err
		}
		c, ok := cl.(*Cloud)
		if !ok || c.session == nil {
			return cl, nil
		}
		return &ChangingCloud{Cloud: c, Changer: NewChanger(c.session, p.Exercise)}, nil
	}
}

// Simulated reports whether S3 and IAM both go to explicit endpoints
// outside AWS (a local emulator or an S3-compatible test store).
func (c *Changer) Simulated() bool { return c.simulated }

func (c *Changer) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

// bucketRegion asks S3 once per bucket where it lives.
func (c *Changer) bucketRegion(ctx context.Context, bucket string) (string, error) {
	c.mu.Lock()
	r, ok := c.regions[bucket]
	c.mu.Unlock()
	if ok {
		return r, nil
	}
	r = c.Region
	out, err := c.S3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &bucket})
	if err == nil {
		r = locationRegion(string(out.LocationConstraint))
	} else {
		e := Explain(err, c.Profile)
		if errors.Is(e, app.ErrNotFound) || ctx.Err() != nil {
			return "", fmt.Errorf("find bucket %s: %w", bucket, e)
		}
		// Some S3-compatible stores do not answer GetBucketLocation; the
		// calls themselves say if the bucket is elsewhere.
	}
	c.mu.Lock()
	if c.regions == nil {
		c.regions = map[string]string{}
	}
	c.regions[bucket] = r
	c.mu.Unlock()
	return r, nil
}

// locationRegion turns a LocationConstraint into a region: "" is
// us-east-1 and "EU" the old name of eu-west-1 (as BucketRegion does).
func locationRegion(loc string) string {
	switch loc {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return loc
}

// bpaJSON is Block Public Access as the state of a step: the four flags in
// AWS's order.
type bpaJSON struct {
	BlockPublicAcls       bool `json:"BlockPublicAcls"`
	IgnorePublicAcls      bool `json:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `json:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `json:"RestrictPublicBuckets"`
}

const nullState = "null"

// policyState checks a policy document and returns it compact. AWS hands
// back IAM policies URL-encoded; S3 policies come as they were stored.
func policyState(doc string, encoded bool) (json.RawMessage, error) {
	if encoded {
		d, err := url.QueryUnescape(doc)
		if err != nil {
			return nil, fmt.Errorf("decode the policy document: %w", err)
		}
		doc = d
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return nil, fmt.Errorf("the policy AWS returned is not a JSON object: %w", err)
	}
	return changeplan.Compact([]byte(doc)), nil
}

// ReadState reads one resource's state: a policy document, the four Block
// Public Access flags, "Active"/"Inactive", or null when nothing is set.
func (c *Changer) ReadState(ctx context.Context, r app.Resource) (json.RawMessage, error) {
	st, err := c.readState(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", r.Name, err)
	}
	return st, nil
}

func (c *Changer) readState(ctx context.Context, r app.Resource) (json.RawMessage, error) {
	id := r.ID
	switch r.Kind {
	case app.ResourceBucketPolicy:
		b := id["bucket"]
		region, err := c.bucketRegion(ctx, b)
		if err != nil {
			return nil, err
		}
		out, err := c.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &b}, forRegion(region))
		if errorCode(err) == "NoSuchBucketPolicy" {
			return json.RawMessage(nullState), nil
		}
		if err != nil {
			return nil, Explain(err, c.Profile)
		}
		return policyState(sdkaws.ToString(out.Policy), false)
	case app.ResourceBucketBPA:
		b := id["bucket"]
		region, err := c.bucketRegion(ctx, b)
		if err != nil {
			return nil, err
		}
		out, err := c.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &b}, forRegion(region))
		if errorCode(err) == "NoSuchPublicAccessBlockConfiguration" {
			return json.RawMessage(nullState), nil
		}
		if err != nil {
			return nil, Explain(err, c.Profile)
		}
		var v bpaJSON
		if cfg := out.PublicAccessBlockConfiguration; cfg != nil {
			v = bpaJSON{sdkaws.ToBool(cfg.BlockPublicAcls), sdkaws.ToBool(cfg.IgnorePublicAcls), sdkaws.ToBool(cfg.BlockPublicPolicy), sdkaws.ToBool(cfg.RestrictPublicBuckets)}
		}
		return json.Marshal(v)
	case app.ResourceAccessKeyStatus:
		keys, err := c.listKeys(ctx, id["userName"])
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if sdkaws.ToString(k.AccessKeyId) == id["accessKeyId"] {
				return json.Marshal(string(k.Status))
			}
		}
		return nil, fmt.Errorf("access key %s of user %s %w (deleted?)", id["accessKeyId"], id["userName"], app.ErrNotFound)
	case app.ResourceRoleInlinePolicy:
		role, name := id["roleName"], id["policyName"]
		out, err := c.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: &role, PolicyName: &name})
		if errorCode(err) == "NoSuchEntity" {
			// The role itself may be missing: that is not "no policy".
			if _, rerr := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &role}); rerr != nil {
				return nil, Explain(rerr, c.Profile)
			}
			return json.RawMessage(nullState), nil
		}
		if err != nil {
			return nil, Explain(err, c.Profile)
		}
		return policyState(sdkaws.ToString(out.PolicyDocument), true)
	case app.ResourceUserInlinePolicy:
		user, name := id["userName"], id["policyName"]
		out, err := c.IAM.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: &user, PolicyName: &name})
		if errorCode(err) == "NoSuchEntity" {
			if _, uerr := c.IAM.GetUser(ctx, &iam.GetUserInput{UserName: &user}); uerr != nil {
				return nil, Explain(uerr, c.Profile)
			}
			return json.RawMessage(nullState), nil
		}
		if err != nil {
			return nil, Explain(err, c.Profile)
		}
		return policyState(sdkaws.ToString(out.PolicyDocument), true)
	case app.ResourceAccountBPA:
		return c.readAccountBPA(ctx, id["accountId"])
	case app.ResourceAccessKey:
		return c.readAccessKey(ctx, id["userName"], id["accessKeyId"])
	case app.ResourceRoleTrustPolicy:
		return c.readTrustPolicy(ctx, id["roleName"])
	case app.ResourceObjectACL:
		return c.readObjectACL(ctx, id["bucket"], id["key"])
	case app.ResourceBucketACL:
		return c.readBucketACL(ctx, id["bucket"])
	case app.ResourceObjectRestore:
		return c.readArchiveState(ctx, id["bucket"], id["key"])
	case app.ResourceObjectReplica:
		return c.readReplicaState(ctx, id["bucket"], id["key"])
	case app.ResourceBatchManifest:
		return c.readManifest(ctx, r)
	case app.ResourceBatchJob:
		return c.readBatchJob(ctx, r)
	case app.ResourceInstanceMetadata, app.ResourceKeyPair, app.ResourceBucketEncryption, app.ResourceBucketVersioning:
		return c.readEradicate(ctx, r)
	case app.ResourceObjectVersion, app.ResourceObjectMarker:
		return c.readObjectVersion(ctx, id["bucket"], id["key"])
	}
	return nil, fmt.Errorf("%w: resource kind %q", app.ErrInvalid, r.Kind)
}

// listKeys returns every access key of a user, all pages.
func (c *Changer) listKeys(ctx context.Context, user string) ([]iamtypes.AccessKeyMetadata, error) {
	var out []iamtypes.AccessKeyMetadata
	in := &iam.ListAccessKeysInput{UserName: &user}
	for {
		page, err := c.IAM.ListAccessKeys(ctx, in)
		if err != nil {
			return nil, Explain(err, c.Profile)
		}
		out = append(out, page.AccessKeyMetadata...)
		if !page.IsTruncated || page.Marker == nil {
			return out, nil
		}
		in.Marker = page.Marker
	}
}

// WriteState sets one resource to state with exactly one AWS call: a Put
// or Update, or the Delete that makes a policy or configuration absent.
func (c *Changer) WriteState(ctx context.Context, r app.Resource, state json.RawMessage) error {
	if err := c.writeState(ctx, r, state); err != nil {
		return fmt.Errorf("set %s: %w", r.Name, err)
	}
	return nil
}

func (c *Changer) writeState(ctx context.Context, r app.Resource, state json.RawMessage) error {
	id := r.ID
	absent := strings.TrimSpace(string(state)) == nullState
	var err error
	switch r.Kind {
	case app.ResourceBucketPolicy:
		b := id["bucket"]
		region, rerr := c.bucketRegion(ctx, b)
		if rerr != nil {
			return rerr
		}
		if absent {
			_, err = c.S3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: &b}, forRegion(region))
		} else {
			doc := string(state)
			_, err = c.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &b, Policy: &doc}, forRegion(region))
			if err != nil && errorCode(err) == "AccessDenied" {
				// S3 refuses a public policy under BlockPublicPolicy with a
				// bare AccessDenied: say which it may be before the person
				// goes asking for permissions.
				if pol, perr := exposure.EvaluatePolicy(doc, ""); perr == nil && pol.Public {
					return fmt.Errorf("%w (this policy is public: S3 answers AccessDenied when BlockPublicPolicy, on the bucket or the account, refuses a public policy; the permission s3:PutBucketPolicy may be there)", Explain(err, c.Profile))
				}
			}
		}
	case app.ResourceBucketBPA:
		b := id["bucket"]
		region, rerr := c.bucketRegion(ctx, b)
		if rerr != nil {
			return rerr
		}
		if absent {
			_, err = c.S3.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: &b}, forRegion(region))
			break
		}
		var v bpaJSON
		if jerr := json.Unmarshal(state, &v); jerr != nil {
			return fmt.Errorf("%w: Block Public Access state %s: %v", app.ErrInvalid, state, jerr)
		}
		_, err = c.S3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: &b, PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: &v.BlockPublicAcls, IgnorePublicAcls: &v.IgnorePublicAcls, BlockPublicPolicy: &v.BlockPublicPolicy, RestrictPublicBuckets: &v.RestrictPublicBuckets,
		}}, forRegion(region))
	case app.ResourceAccessKeyStatus:
		var status string
		if jerr := json.Unmarshal(state, &status); jerr != nil || (status != "Active" && status != "Inactive") {
			return fmt.Errorf("%w: access key status %s", app.ErrInvalid, state)
		}
		user, key := id["userName"], id["accessKeyId"]
		_, err = c.IAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: &user, AccessKeyId: &key, Status: iamtypes.StatusType(status)})
	case app.ResourceRoleInlinePolicy:
		role, name := id["roleName"], id["policyName"]
		if absent {
			_, err = c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: &role, PolicyName: &name})
		} else {
			doc := string(state)
			_, err = c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: &role, PolicyName: &name, PolicyDocument: &doc})
		}
	case app.ResourceUserInlinePolicy:
		user, name := id["userName"], id["policyName"]
		if absent {
			_, err = c.IAM.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: &user, PolicyName: &name})
		} else {
			doc := string(state)
			_, err = c.IAM.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: &user, PolicyName: &name, PolicyDocument: &doc})
		}
	case app.ResourceAccountBPA:
		err = c.writeAccountBPA(ctx, id["accountId"], state, absent)
	case app.ResourceAccessKey:
		err = c.writeAccessKey(ctx, id["userName"], id["accessKeyId"], state, absent)
	case app.ResourceRoleTrustPolicy:
		err = c.writeTrustPolicy(ctx, id["roleName"], state, absent)
	case app.ResourceObjectACL:
		err = c.writeObjectACL(ctx, id["bucket"], id["key"], state)
	case app.ResourceBucketACL:
		err = c.writeBucketACL(ctx, id["bucket"], state)
	case app.ResourceObjectRestore:
		err = c.writeArchiveState(ctx, id["bucket"], id["key"], state)
	case app.ResourceObjectReplica:
		err = c.writeReplicaState(ctx, id["bucket"], id["key"], id["from"], state)
	case app.ResourceBatchManifest:
		err = c.writeManifest(ctx, r, state, absent)
	case app.ResourceBatchJob:
		err = c.writeBatchJob(ctx, r, state, absent)
	case app.ResourceInstanceMetadata, app.ResourceKeyPair, app.ResourceBucketEncryption, app.ResourceBucketVersioning:
		err = c.writeEradicate(ctx, r, state)
	case app.ResourceObjectVersion, app.ResourceObjectMarker:
		err = c.writeObjectVersion(ctx, r.Kind, id["bucket"], id["key"], state)
	default:
		return fmt.Errorf("%w: resource kind %q", app.ErrInvalid, r.Kind)
	}
	if err != nil {
		if errors.Is(err, app.ErrExercise) {
			return err
		}
		return Explain(err, c.Profile)
	}
	return nil
}
