package aws

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"s3responder/app"
	"s3responder/exposure"
)

// ExposureAPI is the S3 calls of the exposure check, with the SDK's exact
// signatures, so a simulated account can stand in for S3.
type ExposureAPI interface {
	GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, optFns ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	GetBucketPolicyStatus(ctx context.Context, in *s3.GetBucketPolicyStatusInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyStatusOutput, error)
	GetBucketAcl(ctx context.Context, in *s3.GetBucketAclInput, optFns ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
	GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, optFns ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
}

// AccountBPAAPI reads the account-level Block Public Access (S3 Control).
type AccountBPAAPI interface {
	GetPublicAccessBlock(ctx context.Context, in *s3control.GetPublicAccessBlockInput, optFns ...func(*s3control.Options)) (*s3control.GetPublicAccessBlockOutput, error)
}

var (
	_ ExposureAPI             = (*s3.Client)(nil)
	_ s3.ListBucketsAPIClient = (*s3.Client)(nil)
	_ AccountBPAAPI           = (*s3control.Client)(nil)
)

// Problem is one API call that failed for a bucket. The scan goes on; the
// verdict then says which input it lacked.
type Problem struct {
	API     string `json:"api"`
	Code    string `json:"code,omitempty"`
	Kind    Kind   `json:"kind"`
	Message string `json:"message"`
}

// BucketExposure is the exposure of one bucket: the evaluator's verdict
// (flattened into the JSON: bucket, access, public, shared, reasons, ...),
// where the bucket lives, what failed, and the raw responses it rests on.
type BucketExposure struct {
	exposure.Result
	Region   string    `json:"region,omitempty"`
	Problems []Problem `json:"problems,omitempty"`
	// Items are the responses the verdict was made from, for evidence.
	Items []Item `json:"-"`
}

// ExposureChecker checks buckets of one account. Build it once per
// connection; it caches the account-level settings.
type ExposureChecker struct {
	S3      ExposureAPI
	Buckets s3.ListBucketsAPIClient // for CheckAll
	// Control reads the account's Block Public Access; nil means it is
	// not read (and every verdict says so).
	Control AccountBPAAPI
	// AccessPoints reads the buckets' access points; nil means they are
	// not read (a connection that has none, such as a saved snapshot).
	AccessPoints AccessPointAPI
	// Account is the owner account id (WhoAmI); needed by S3 Control and
	// to tell own from external principals.
	Account string
	// Org is the owner's AWS Organizations id, when known, so that grants
	// to the owner's own organisation are not called external.
	Org string
	// Region is where buckets are assumed to be when S3 does not say.
	Region  string
	Profile string
	// Concurrency bounds parallel bucket checks (default 4: each check is
	// six calls, and adaptive retry backs off if S3 throttles).
	Concurrency int
	// Now is the clock for CollectedAt (tests fix it).
	Now func() time.Time
	// CustomEndpoint is true for an S3-compatible server chosen by the
	// person (Session.CustomEndpoint): such servers have no S3 Control,
	// so an account-level read that fails other than by a refusal means
	// there is no account setting.
	CustomEndpoint bool

	mu         sync.Mutex
	accountBPA *accountBPA
}

type accountBPA struct {
	bpa     *exposure.BlockPublicAccess
	unknown string
	item    Item
	problem *Problem
}

func (x *ExposureChecker) now() time.Time {
	if x.Now != nil {
		return x.Now().UTC()
	}
	return time.Now().UTC()
}

// notConfigured lists the error codes that mean "there is none".
var notConfigured = set(
	"NoSuchBucketPolicy", "NoSuchPublicAccessBlockConfiguration", "OwnershipControlsNotFoundError",
	"ServerSideEncryptionConfigurationNotFoundError", "ReplicationConfigurationNotFoundError",
	"NoSuchLifecycleConfiguration", "NoSuchTagSet", "NoSuchTagSetError", "ObjectLockConfigurationNotFoundError",
	"NoSuchWebsiteConfiguration", "NoSuchCORSConfiguration", "NoSuchAccessPointPolicy",
)

// call runs one read, classifies the outcome and keeps the response as an
// Item. out is the SDK output (nil on error).
func (x *ExposureChecker) record(name, bucket, region, api string, out any, err error) (Item, *Problem) {
	it := Item{Name: name, Bucket: bucket, CollectedAt: x.now(),
		Source: source(x.Account, region, api, map[string]string{"Bucket": bucket})}
	if bucket == "" {
		it.Source.Params = map[string]string{"AccountId": x.Account}
	}
	return classify(it, out, err, x.Profile)
}

func classify(it Item, out any, err error, profile string) (Item, *Problem) {
	if err == nil {
		it.Status = StatusCollected
		it.Data = rawJSON(out)
		return it, nil
	}
	code := errorCode(err)
	if notConfigured[code] {
		it.Status, it.ErrorCode = StatusNotConfigured, code
		it.Message = "not configured"
		it.Data = errorJSON(it.Status, code, it.Message)
		return it, nil
	}
	var e *Error
	errors.As(Explain(err, profile), &e)
	it.ErrorCode, it.Message = code, e.Message
	it.Status = StatusFailed
	if e.Kind == KindNotSupported {
		it.Status = StatusNotSupported
	}
	it.Data = errorJSON(it.Status, code, e.Message)
	return it, &Problem{API: it.Source.API, Code: code, Kind: e.Kind, Message: e.Message}
}

// forRegion makes a call go to the bucket's region.
func forRegion(region string) func(*s3.Options) {
	return func(o *s3.Options) {
		if region != "" {
			o.Region = region
		}
	}
}

// BucketRegion asks S3 where a bucket lives ("" location means
// us-east-1, "EU" the old name of eu-west-1).
func BucketRegion(ctx context.Context, api ExposureAPI, bucket, fallback string) (string, error) {
	out, err := api.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &bucket})
	if err != nil {
		return fallback, err
	}
	switch loc := string(out.LocationConstraint); loc {
	case "":
		return "us-east-1", nil
	case "EU":
		return "eu-west-1", nil
	default:
		return loc, nil
	}
}

// CheckBucket reads one bucket's access configuration and judges it.
// Failures of single calls are reported in Problems, not returned; the
// error is only for cancellation or a bucket that does not exist.
func (x *ExposureChecker) CheckBucket(ctx context.Context, bucket string) (BucketExposure, error) {
	region, err := BucketRegion(ctx, x.S3, bucket, x.Region)
	if err != nil {
		if ctx.Err() != nil {
			return BucketExposure{}, Explain(ctx.Err(), x.Profile)
		}
		if e := Explain(err, x.Profile); errors.Is(e, app.ErrNotFound) {
			return BucketExposure{}, fmt.Errorf("check bucket %s: %w", bucket, e)
		}
	}
	return x.check(ctx, bucket, region, "")
}

func (x *ExposureChecker) check(ctx context.Context, bucket, region, ownerCanonical string) (BucketExposure, error) {
	be := BucketExposure{Region: region}
	in := exposure.Input{Bucket: bucket, OwnerAccount: x.Account, OwnerCanonicalID: ownerCanonical, OwnerOrgID: x.Org}
	opt := forRegion(region)
	b := &bucket
	add := func(it Item, p *Problem) {
		be.Items = append(be.Items, it)
		if p != nil {
			be.Problems = append(be.Problems, *p)
		}
	}
	// A failed read is unknown, not "not configured"; a server that does
	// not implement the API (an S3-compatible store) has no such setting.
	unknown := func(what string, bit exposure.Unread, p *Problem) {
		if p != nil {
			in.Unknown = append(in.Unknown, fmt.Sprintf("%s (%s)", what, firstNonEmpty(p.Code, string(p.Kind))))
			if p.Kind != KindNotSupported {
				in.Unread |= bit
			}
		}
	}

	pol, err := x.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b}, opt)
	it, p := x.record("policy", bucket, region, "GetBucketPolicy", pol, err)
	add(it, p)
	unknown("bucket policy", exposure.UnreadPolicy, p)
	if err == nil {
		in.Policy = sdkaws.ToString(pol.Policy)
	}
	if ctx.Err() != nil {
		return be, Explain(ctx.Err(), x.Profile)
	}

	st, err := x.S3.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: b}, opt)
	it, p = x.record("policy-status", bucket, region, "GetBucketPolicyStatus", st, err)
	add(it, p)
	switch {
	case err == nil && st.PolicyStatus != nil && st.PolicyStatus.IsPublic != nil:
		in.S3PolicyPublic = st.PolicyStatus.IsPublic
	case it.Status == StatusNotConfigured: // no policy: S3 would say not public
		f := false
		in.S3PolicyPublic = &f
	}

	// GetBucketAcl returns the ACL S3 enforces: with IgnorePublicAcls on,
	// public grants are left out of the answer even though they are still
	// stored (S3 User Guide, Block public access settings, "Important").
	// The verdict is the same either way, but turning the setting off
	// would bring back grants this answer cannot show.
	acl, err := x.S3.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b}, opt)
	it, p = x.record("acl", bucket, region, "GetBucketAcl", acl, err)
	add(it, p)
	unknown("bucket ACL", exposure.UnreadACL, p)
	if err == nil {
		in.ACL = convertACL(acl)
	}

	pab, err := x.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b}, opt)
	it, p = x.record("public-access-block", bucket, region, "GetPublicAccessBlock", pab, err)
	add(it, p)
	unknown("bucket Block Public Access", exposure.UnreadBucketBPA, p)
	if err == nil && pab.PublicAccessBlockConfiguration != nil {
		c := pab.PublicAccessBlockConfiguration
		in.BucketBPA = &exposure.BlockPublicAccess{
			BlockPublicAcls: sdkaws.ToBool(c.BlockPublicAcls), IgnorePublicAcls: sdkaws.ToBool(c.IgnorePublicAcls),
			BlockPublicPolicy: sdkaws.ToBool(c.BlockPublicPolicy), RestrictPublicBuckets: sdkaws.ToBool(c.RestrictPublicBuckets),
		}
	}

	own, err := x.S3.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: b}, opt)
	it, p = x.record("ownership", bucket, region, "GetBucketOwnershipControls", own, err)
	add(it, p)
	unknown("Object Ownership", exposure.UnreadOwnership, p)
	if err == nil && own.OwnershipControls != nil && len(own.OwnershipControls.Rules) > 0 {
		in.Ownership = string(own.OwnershipControls.Rules[0].ObjectOwnership)
	}

	acct := x.account(ctx)
	in.AccountBPA = acct.bpa
	if acct.unknown != "" {
		in.Unknown = append(in.Unknown, acct.unknown)
		if x.controlUnread(acct.problem) {
			in.Unread |= exposure.UnreadAccountBPA
		}
	}
	be.Items = append(be.Items, acct.item)
	if acct.problem != nil {
		be.Problems = append(be.Problems, *acct.problem)
	}
	in.AccessPoints = x.accessPoints(ctx, bucket, region, add, unknown)
	if ctx.Err() != nil {
		return be, Explain(ctx.Err(), x.Profile)
	}

	res, err := exposure.Evaluate(in)
	if err != nil {
		// AWS validates policies on PUT, so this means a server that does
		// not; judge the rest and say the policy could not be read.
		be.Problems = append(be.Problems, Problem{API: "GetBucketPolicy", Kind: KindOther, Message: "S3 Responder could not read the bucket policy: " + err.Error()})
		in.Policy = ""
		in.Unknown = append(in.Unknown, "bucket policy (not understood)")
		res, _ = exposure.Evaluate(in)
	}
	be.Result = res
	return be, nil
}

// controlUnread says whether an S3 Control read (the account's Block
// Public Access, the access points) must count as unread (no verdict may
// depend on it) rather than as not configured: when it was refused, or
// failed against AWS. An S3-compatible server has no S3 Control, so there
// only a refusal counts. Without an S3 Control client or an account id it
// was not asked for at all, and verdicts say so.
func (x *ExposureChecker) controlUnread(p *Problem) bool {
	switch {
	case p == nil, p.Kind == KindNotSupported:
		return false
	case x.CustomEndpoint:
		return p.Kind == KindDenied
	}
	return true
}

// account reads the account-level Block Public Access once.
func (x *ExposureChecker) account(ctx context.Context) accountBPA {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.accountBPA != nil {
		return *x.accountBPA
	}
	var a accountBPA
	if x.Control == nil || x.Account == "" {
		a.unknown = "account Block Public Access (not read: no account id or S3 Control client)"
		a.item = Item{Name: "account-public-access-block", Status: StatusFailed, Message: a.unknown, CollectedAt: x.now(),
			Source: source(x.Account, x.Region, "GetPublicAccessBlock", nil)}
		a.item.Data = errorJSON(a.item.Status, "", a.unknown)
		return a // not cached: a later call with a client may succeed
	}
	out, err := x.Control.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: &x.Account})
	a.item, a.problem = x.record("account-public-access-block", "", x.Region, "s3control:GetPublicAccessBlock", out, err)
	if a.problem != nil {
		a.unknown = fmt.Sprintf("account Block Public Access (%s)", firstNonEmpty(a.problem.Code, string(a.problem.Kind)))
	}
	if err == nil && out.PublicAccessBlockConfiguration != nil {
		c := out.PublicAccessBlockConfiguration
		a.bpa = &exposure.BlockPublicAccess{
			BlockPublicAcls: sdkaws.ToBool(c.BlockPublicAcls), IgnorePublicAcls: sdkaws.ToBool(c.IgnorePublicAcls),
			BlockPublicPolicy: sdkaws.ToBool(c.BlockPublicPolicy), RestrictPublicBuckets: sdkaws.ToBool(c.RestrictPublicBuckets),
		}
	}
	if ctx.Err() == nil {
		x.accountBPA = &a
	}
	return a
}

func convertACL(out *s3.GetBucketAclOutput) *exposure.ACL {
	acl := &exposure.ACL{}
	if out.Owner != nil {
		acl.Owner = &exposure.Owner{ID: sdkaws.ToString(out.Owner.ID), DisplayName: sdkaws.ToString(out.Owner.DisplayName)}
	}
	for _, g := range out.Grants {
		eg := exposure.Grant{Permission: string(g.Permission)}
		if g.Grantee != nil {
			eg.Grantee = exposure.Grantee{
				Type: string(g.Grantee.Type), URI: sdkaws.ToString(g.Grantee.URI), ID: sdkaws.ToString(g.Grantee.ID),
				DisplayName: sdkaws.ToString(g.Grantee.DisplayName), EmailAddress: sdkaws.ToString(g.Grantee.EmailAddress),
			}
		}
		acl.Grants = append(acl.Grants, eg)
	}
	return acl
}

// Progress is told about each finished bucket, from a worker goroutine
// (a GUI must hand widget updates to fyne.Do); calls are serialised and
// done counts up to total.
type Progress func(done, total int, b BucketExposure)

// CheckAll lists the account's buckets and checks each, at most
// Concurrency at a time, in the order ListBuckets returns them. A bucket
// whose checks fail is reported with its Problems; the error is for a
// failed listing or cancellation, with the buckets finished so far.
func (x *ExposureChecker) CheckAll(ctx context.Context, progress Progress) ([]BucketExposure, error) {
	type bucketRef struct{ name, region string }
	var refs []bucketRef
	ownerCanonical := ""
	pages := s3.NewListBucketsPaginator(x.Buckets, &s3.ListBucketsInput{MaxBuckets: sdkaws.Int32(1000)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list buckets: %w", Explain(err, x.Profile))
		}
		if page.Owner != nil && ownerCanonical == "" {
			ownerCanonical = sdkaws.ToString(page.Owner.ID)
		}
		for _, b := range page.Buckets {
			refs = append(refs, bucketRef{sdkaws.ToString(b.Name), sdkaws.ToString(b.BucketRegion)})
		}
	}
	n := x.Concurrency
	if n <= 0 {
		n = 4
	}
	results := make([]BucketExposure, len(refs))
	finished := make([]bool, len(refs))
	var mu sync.Mutex
	done := 0
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, ref := range refs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int, ref bucketRef) {
			defer wg.Done()
			defer func() { <-sem }()
			region := ref.region
			if region == "" {
				var err error
				region, err = BucketRegion(ctx, x.S3, ref.name, x.Region)
				_ = err // the checks below report the same failure on the bucket
			}
			be, err := x.check(ctx, ref.name, region, ownerCanonical)
			if err != nil {
				return // cancelled
			}
			mu.Lock()
			defer mu.Unlock()
			results[i], finished[i] = be, true
			done++
			if progress != nil {
				progress(done, len(refs), be)
			}
		}(i, ref)
	}
	wg.Wait()
	var out []BucketExposure
	for i, ok := range finished {
		if ok {
			out = append(out, results[i])
		}
	}
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("check buckets (%d of %d done): %w", len(out), len(refs), Explain(err, x.Profile))
	}
	return out, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
