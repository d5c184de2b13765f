package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"s3responder/app"
	"s3responder/changeplan"
)

// Object ACLs reset to owner-only: the bucket owner keeps FULL_CONTROL,
// every other grant (AllUsers, AuthenticatedUsers, other accounts, log
// delivery) goes. Each object's ACL is a state of its own (app's bulk
// changes): read and journalled before its PutObjectAcl, restored by undo.

var (
	_ app.BulkMutator = (*Changer)(nil)
)

// The ACL state of a change is the shared one of package changeplan.
type (
	aclState   = changeplan.ACL
	aclOwner   = changeplan.ACLOwner
	aclGrant   = changeplan.ACLGrant
	aclGrantee = changeplan.ACLGrantee
)

// sortGrants puts grants in one order, so that equal ACLs are equal JSON.
func sortGrants(g []aclGrant) { changeplan.SortGrants(g) }

// readObjectACL returns an object's ACL, or null when the object is gone.
func (c *Changer) readObjectACL(ctx context.Context, bucket, key string) (json.RawMessage, error) {
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return nil, err
	}
	out, err := c.objects().GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &bucket, Key: &key}, forRegion(region))
	if code := errorCode(err); code == "NoSuchKey" || code == "NotFound" {
		return json.RawMessage(nullState), nil
	}
	if err != nil {
		return nil, Explain(err, c.Profile)
	}
	return json.Marshal(aclFrom(out.Owner, out.Grants))
}

// aclFrom turns an ACL as S3 returns it into the state of a change.
func aclFrom(owner *s3types.Owner, grants []s3types.Grant) aclState {
	st := aclState{Grants: []aclGrant{}}
	if owner != nil {
		st.Owner.ID = sdkaws.ToString(owner.ID)
	}
	for _, g := range grants {
		if g.Grantee == nil {
			continue
		}
		st.Grants = append(st.Grants, aclGrant{Permission: string(g.Permission), Grantee: aclGrantee{
			Type: string(g.Grantee.Type), ID: sdkaws.ToString(g.Grantee.ID), URI: sdkaws.ToString(g.Grantee.URI), EmailAddress: sdkaws.ToString(g.Grantee.EmailAddress),
		}})
	}
	sortGrants(st.Grants)
	// A grant given twice gives nothing more: some stores (versitygw)
	// list the owner's FULL_CONTROL twice once an ACL names it.
	st.Grants = slices.Compact(st.Grants)
	return st
}

// aclPolicy turns an ACL state into the AccessControlPolicy of a put.
func aclPolicy(state json.RawMessage) (*s3types.AccessControlPolicy, error) {
	var st aclState
	if err := json.Unmarshal(state, &st); err != nil || st.Owner.ID == "" {
		return nil, fmt.Errorf("%w: ACL state %s", app.ErrInvalid, state)
	}
	return ACLPolicy(st), nil
}

// ACLPolicy is an ACL in S3's terms: the policy a PutObjectAcl or
// PutBucketAcl sends, and a GetObjectAcl or GetBucketAcl returns (the
// simulated account answers with it too).
func ACLPolicy(st changeplan.ACL) *s3types.AccessControlPolicy {
	policy := &s3types.AccessControlPolicy{Owner: &s3types.Owner{ID: sdkaws.String(st.Owner.ID)}, Grants: []s3types.Grant{}}
	for _, g := range st.Grants {
		ge := &s3types.Grantee{Type: s3types.Type(g.Grantee.Type)}
		if g.Grantee.ID != "" {
			ge.ID = sdkaws.String(g.Grantee.ID)
		}
		if g.Grantee.URI != "" {
			ge.URI = sdkaws.String(g.Grantee.URI)
		}
		if g.Grantee.EmailAddress != "" {
			ge.EmailAddress = sdkaws.String(g.Grantee.EmailAddress)
		}
		policy.Grants = append(policy.Grants, s3types.Grant{Grantee: ge, Permission: s3types.Permission(g.Permission)})
	}
	return policy
}

// writeObjectACL sets an object's whole ACL with one PutObjectAcl.
func (c *Changer) writeObjectACL(ctx context.Context, bucket, key string, state json.RawMessage) error {
	policy, err := aclPolicy(state)
	if err != nil {
		return err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return err
	}
	_, err = c.objects().PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: &key, AccessControlPolicy: policy}, forRegion(region))
	return err
}

// objects returns the client of object calls: the S3 client, with a
// connection pool as large as the most calls a bulk change keeps in
// flight, so connections are reused instead of opened per call.
func (c *Changer) objects() ChangeS3API {
	c.objOnce.Do(func() {
		c.objS3 = c.S3
		cl, ok := c.S3.(*s3.Client)
		if !ok {
			return
		}
		hc, ok := cl.Options().HTTPClient.(*awshttp.BuildableClient)
		if !ok {
			return
		}
		c.objS3 = s3.New(cl.Options(), func(o *s3.Options) {
			o.HTTPClient = hc.WithTransportOptions(func(tr *http.Transport) {
				tr.MaxIdleConnsPerHost = app.MaxBulkConcurrency
				tr.MaxIdleConns = max(tr.MaxIdleConns, app.MaxBulkConcurrency)
			})
		})
	})
	return c.objS3
}

// ListKeys lists a bucket's keys under prefix after startAfter, in S3's
// (ascending UTF-8) order, 1,000 a page.
func (c *Changer) ListKeys(ctx context.Context, bucket, prefix, startAfter string, page func(keys []string) error) error {
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return err
	}
	in := &s3.ListObjectsV2Input{Bucket: &bucket}
	if prefix != "" {
		in.Prefix = &prefix
	}
	if startAfter != "" {
		in.StartAfter = &startAfter
	}
	for {
		out, err := c.objects().ListObjectsV2(ctx, in, forRegion(region))
		if err != nil {
			return fmt.Errorf("list the objects of %s: %w", bucket, Explain(err, c.Profile))
		}
		keys := make([]string, 0, len(out.Contents))
		for _, o := range out.Contents {
			keys = append(keys, sdkaws.ToString(o.Key))
		}
		if len(keys) > 0 {
			if err := page(keys); err != nil {
				return err
			}
		}
		if !sdkaws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

// TargetState is an object's planned state (app.BulkMutator): for an ACL
// reset, its ACL with its owner kept (an ACL cannot change it) and the
// bucket owner's FULL_CONTROL as the one grant; for the restores, the
// content or restore the plan fixed.
func (c *Changer) TargetState(action string, spec app.BulkSpec, current json.RawMessage) (json.RawMessage, error) {
	if app.IsRestoreAction(action) {
		return c.restoreTargetState(spec, current)
	}
	switch action {
	case "s3.restore-archived":
		return archiveTarget(spec, current)
	case "s3.replica-restore":
		return replicaTarget(spec, current)
	}
	if action != "s3.reset-object-acls" {
		return nil, fmt.Errorf("%w: no per-object target for %s", app.ErrInvalid, action)
	}
	return changeplan.ResetACL(spec, current)
}

// aclsApply refuses, with app.ErrNoChange, a bucket whose Object
// Ownership is BucketOwnerEnforced: its ACLs are disabled and grant
// nothing, so there is no ACL to reset. It returns a note when the
// setting could not be read.
func (c *Changer) aclsApply(ctx context.Context, bucket, region string) (string, error) {
	oc, err := c.S3.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: &bucket}, forRegion(region))
	switch {
	case err == nil && oc.OwnershipControls != nil:
		for _, r := range oc.OwnershipControls.Rules {
			if r.ObjectOwnership == s3types.ObjectOwnershipBucketOwnerEnforced {
				return "", fmt.Errorf("bucket %s has Object Ownership BucketOwnerEnforced: ACLs are disabled and already grant nothing, to the bucket or its objects, so there is no ACL to reset: %w", bucket, app.ErrNoChange)
			}
		}
	case errorCode(err) == "OwnershipControlsNotFoundError":
	case err != nil:
		return "Object Ownership could not be read (" + Explain(err, c.Profile).Error() + "): if it is BucketOwnerEnforced, ACLs are disabled and every call will fail.", nil
	}
	return "", nil
}

// keySeparators split the keys parameter: commas or line breaks.
var keySeparators = changeplan.KeySeparators

// errEnough stops a listing that has seen enough keys.
var errEnough = errors.New("enough keys")

// sampleSize is how many objects a plan reads to show their ACLs.
const sampleSize = 10

func (c *Changer) planResetACLs(ctx context.Context, params map[string]string) (app.Plan, error) {
	p := func(name string) string { return strings.TrimSpace(params[name]) }
	bucket, prefix := p("bucket"), params["prefix"]
	if err := needBucket(bucket); err != nil {
		return app.Plan{}, err
	}
	spec := app.BulkSpec{Bucket: bucket, Prefix: prefix, Resource: app.ResourceObjectACL, Call: "PutObjectAcl", UndoCall: "PutObjectAcl"}
	var err error
	if spec.Keys, _, spec.Concurrency, err = changeplan.BulkTargets(params); err != nil {
		return app.Plan{}, err
	}
	if len(spec.Keys) > app.BulkThreshold {
		return app.Plan{}, fmt.Errorf("%w: %d keys is more than %d: use an S3 Batch Operations job (s3control.batch-job)", app.ErrInvalid, len(spec.Keys), app.BulkThreshold)
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.Plan{}, err
	}
	var notes []string
	if note, err := c.aclsApply(ctx, bucket, region); err != nil {
		return app.Plan{}, err
	} else if note != "" {
		notes = append(notes, note)
	}
	acl, err := c.S3.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &bucket}, forRegion(region))
	if err != nil {
		return app.Plan{}, fmt.Errorf("read the owner of bucket %s: %w", bucket, Explain(err, c.Profile))
	}
	owner := ""
	if acl.Owner != nil {
		owner = sdkaws.ToString(acl.Owner.ID)
	}
	if owner == "" {
		return app.Plan{}, fmt.Errorf("bucket %s: S3 did not name the bucket's owner", bucket)
	}
	spec.Args = map[string]string{"bucketOwner": owner}

	// Count the selection, up to the threshold, and keep the first keys
	// for the sample.
	var first []string
	if len(spec.Keys) > 0 {
		spec.Objects = len(spec.Keys)
		first = spec.Keys[:min(sampleSize, len(spec.Keys))]
	} else {
		err := c.ListKeys(ctx, bucket, prefix, "", func(keys []string) error {
			if len(first) < sampleSize {
				first = append(first, keys[:min(len(keys), sampleSize-len(first))]...)
			}
			spec.Objects += len(keys)
			if spec.Objects > app.BulkThreshold {
				spec.Objects, spec.More = app.BulkThreshold, true
				return errEnough
			}
			return nil
		})
		if err != nil && !errors.Is(err, errEnough) {
			return app.Plan{}, err
		}
		if spec.Objects == 0 {
			where := "bucket " + bucket
			if prefix != "" {
				where += fmt.Sprintf(" has no object under %q", prefix)
			} else {
				where += " has no object"
			}
			return app.Plan{}, fmt.Errorf("%s: %w", where, app.ErrNoChange)
		}
	}
	samples := make([]app.ObjectChange, len(first))
	var mu sync.Mutex
	var sampleErr error
	var wg sync.WaitGroup
	for i, k := range first {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := app.ObjectChange{Key: k}
			cur, err := c.readObjectACL(ctx, bucket, k)
			if err == nil && string(cur) != nullState {
				o.Before = cur
				o.After, err = c.TargetState("s3.reset-object-acls", spec, cur)
			}
			if err != nil {
				mu.Lock()
				sampleErr = errors.Join(sampleErr, fmt.Errorf("read the ACL of s3://%s/%s: %w", bucket, k, err))
				mu.Unlock()
			}
			samples[i] = o
		}()
	}
	wg.Wait()
	if sampleErr != nil {
		return app.Plan{}, sampleErr
	}
	for _, o := range samples {
		if o.Before != nil {
			spec.Sample = append(spec.Sample, o)
		}
	}

	spec.CLI = strings.Replace(c.command(region, "s3api", "put-object-acl", "--bucket", bucket, "--key", "__KEY__", "--grant-full-control", "id="+owner), "__KEY__", "{key}", 1)
	spec.UndoCLI = strings.Replace(strings.Replace(c.command(region, "s3api", "put-object-acl", "--bucket", bucket, "--key", "__KEY__", "--access-control-policy", "__STATE__"),
		"__KEY__", "{key}", 1), "__STATE__", "{state}", 1)
	var cli []string
	switch {
	case len(spec.Keys) > 0:
		for i, k := range spec.Keys {
			if i == 20 {
				cli = append(cli, fmt.Sprintf("# ... and %d more: the same command for each listed key", len(spec.Keys)-20))
				break
			}
			cli = append(cli, app.ObjectCommand(spec.CLI, k, nil))
		}
	default:
		list := []string{"s3api", "list-objects-v2", "--bucket", bucket}
		if prefix != "" {
			list = append(list, "--prefix", prefix)
		}
		list = append(list, "--query", "Contents[].[Key]", "--output", "text")
		cli = append(cli, c.command(region, list...)+` | while IFS= read -r key; do `+strings.Replace(spec.CLI, "{key}", `"$key"`, 1)+`; done`)
	}

	what := fmt.Sprintf("%d object(s)", spec.Objects)
	switch {
	case spec.More:
		what = fmt.Sprintf("more than %d objects", app.BulkThreshold)
		notes = append([]string{fmt.Sprintf("LARGE: the selection holds more than %d objects. One laptop would make two calls per object for hours; an S3 Batch Operations job (s3control.batch-job) does the same reset inside AWS, with a completion report. Consider it instead.", app.BulkThreshold)}, notes...)
	case len(spec.Keys) > 0:
		what = fmt.Sprintf("%d listed object(s)", spec.Objects)
	case prefix != "":
		what = fmt.Sprintf("%d object(s) under %q", spec.Objects, prefix)
	}
	notes = append(notes,
		"Each object's ACL is read and written to the journal, in batches of 500, before its call: undo puts every object's own ACL back, and a crash loses nothing.",
		"Objects added to the selection after the plan are reset too; objects deleted meanwhile are skipped.",
		"The equivalent shell loop above handles keys without line breaks only; the app has no such limit.",
	)
	return app.Plan{
		Action: "s3.reset-object-acls", Title: fmt.Sprintf("Reset the ACLs of %s in bucket %s to owner-only", what, bucket),
		Target: "bucket " + bucket, Region: region, Broad: true, ConfirmWord: bucket, Reversible: true,
		Bulk: &spec, CLI: cli,
		Impact: []string{
			"Every grant on these objects other than the bucket owner's FULL_CONTROL is removed: anonymous readers (AllUsers), any AWS account (AuthenticatedUsers), other accounts and log delivery lose what the ACLs gave them, legitimate readers included.",
			"Access through the bucket policy, access points and IAM is not affected: check the policy too (s3.remove-policy-statements).",
			"Objects owned by another account keep that owner; only the owner or the grants can change such an object's ACL, so those calls may be refused and are reported one by one.",
		},
		Notes:    notes,
		UndoNote: "Undo writes each object's saved ACL back, public grants included.",
	}, nil
}
