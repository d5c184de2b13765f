package aws

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"s3responder/app"
)

// SnapshotAPI is the S3 reads of a configuration snapshot.
type SnapshotAPI interface {
	GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, optFns ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	GetBucketPolicyStatus(ctx context.Context, in *s3.GetBucketPolicyStatusInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyStatusOutput, error)
	GetBucketAcl(ctx context.Context, in *s3.GetBucketAclInput, optFns ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
	GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, optFns ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, optFns ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
	GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, optFns ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	GetBucketEncryption(ctx context.Context, in *s3.GetBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	GetBucketLogging(ctx context.Context, in *s3.GetBucketLoggingInput, optFns ...func(*s3.Options)) (*s3.GetBucketLoggingOutput, error)
	GetBucketReplication(ctx context.Context, in *s3.GetBucketReplicationInput, optFns ...func(*s3.Options)) (*s3.GetBucketReplicationOutput, error)
	GetBucketLifecycleConfiguration(ctx context.Context, in *s3.GetBucketLifecycleConfigurationInput, optFns ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error)
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, optFns ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
	GetObjectLockConfiguration(ctx context.Context, in *s3.GetObjectLockConfigurationInput, optFns ...func(*s3.Options)) (*s3.GetObjectLockConfigurationOutput, error)
	GetBucketWebsite(ctx context.Context, in *s3.GetBucketWebsiteInput, optFns ...func(*s3.Options)) (*s3.GetBucketWebsiteOutput, error)
}

var _ SnapshotAPI = (*s3.Client)(nil)

// Snapshotter takes one-click configuration snapshots of buckets before
// anything is changed.
type Snapshotter struct {
	S3      SnapshotAPI
	Account string // owner account id, for each item's source
	Region  string // used when S3 does not say where the bucket lives
	Profile string
	Now     func() time.Time
}

// snapshotRead is one configuration read.
type snapshotRead struct {
	name, api string
	call      func(ctx context.Context, api SnapshotAPI, b *string, opt func(*s3.Options)) (any, error)
}

// snapshotReads are the configurations a snapshot keeps, in the order the
// evidence lists them.
var snapshotReads = []snapshotRead{
	{"policy", "GetBucketPolicy", func(ctx context.Context, a SnapshotAPI, b *string, o func(*s3.Options)) (any, error) {
		return a.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b}, o)
	}},
	{"policy-status", "GetBucketPolicyStatus", func(ctx context.Context, a SnapshotAPI, b *string, o func(*s3.Options)) (any, error) {
		return a.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: b}, o)
	}},
	{"acl", "GetBucketAcl", func(ctx context.Context, a SnapshotAPI, b *string, o func(*s3.Options)) (any, error) {
		return a.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b}, o)
	}},
	{"public-access-block", "GetPublicAccessBlock", func(ctx context.Context, a SnapshotAPI, b *string, o func(*s3.Options)) (any, error) {
		return a.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b}, o)
	}},
	{"ownership", "GetBucketOwnershipControls", func(ctx context.Context, a SnapshotAPI, b *string, o func(*s3.Options)) (any, error) {
		return a.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: b}, o)
	}},
	{"versioning", "GetBucketVersioning", func(ctx context.Context, a SnapshotAPI, b *string, o func(*s3.Options)) (any, error) {
		return a.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b}, o)
	}},
	{"encryption", "GetBucketEncryption", func(ctx context.Context, a SnapshotAPI, b *string, o func(*s3.Options)) (any, error) {
		return a.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b}, o)
	}},
	{"logging", "GetBucketLogging", func(ctx context.Context, a SnapshotAPI, b *string, o func(*s3.Options)) (any, error) {
		return a.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: b}, o)
	}},
	{"replication", "GetBucketReplication", func(ctx context.Context, a SnapshotAPI, b *string, o func(*s3.Options)) (any, error) {
		return a.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: b}, o)
	}},
	{"lifecycle", "GetBucketLifecycleConfiguration", func(ctx context.Context, a SnapshotAPI, b *string, o func(*s3.Options)) (any, error) {
		return a.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: b}, o)
	}},
	{"tags", "GetBucketTagging", func(ctx context.Context, a SnapshotAPI, b *string, o func(*s3.Options)) (any, error) {
		return a.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b}, o)
	}},
	{"object-lock", "GetObjectLockConfiguration", func(ctx context.Context, a SnapshotAPI, b *string, o func(*s3.Options)) (any, error) {
		return a.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b}, o)
	}},
	{"website", "GetBucketWebsite", func(ctx context.Context, a SnapshotAPI, b *string, o func(*s3.Options)) (any, error) {
		return a.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: b}, o)
	}},
}

// SnapshotNames lists, in order, the configurations a snapshot holds
// (after "location").
func SnapshotNames() []string {
	out := make([]string, len(snapshotReads))
	for i, r := range snapshotReads {
		out[i] = r.name
	}
	return out
}

// Snapshot reads every configuration of a bucket that matters to an
// incident. Each becomes an Item: a configuration that is not set is an
// Item with StatusNotConfigured and its AWS error code, and a refused
// call is StatusFailed with the reason; neither stops the snapshot. The
// error is for cancellation and for a bucket that does not exist.
func (sn *Snapshotter) Snapshot(ctx context.Context, bucket string) ([]Item, error) {
	now := func() time.Time {
		if sn.Now != nil {
			return sn.Now().UTC()
		}
		return time.Now().UTC()
	}
	params := map[string]string{"Bucket": bucket}
	region, lerr := BucketRegion(ctx, sn.S3, bucket, sn.Region)
	loc := Item{Name: "location", Bucket: bucket, CollectedAt: now(), Source: source(sn.Account, region, "GetBucketLocation", params)}
	var locOut any
	if lerr == nil {
		locOut = map[string]string{"Region": region}
	}
	loc, _ = classify(loc, locOut, lerr, sn.Profile)
	if lerr != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", bucket, Explain(ctx.Err(), sn.Profile))
		}
		if errors.Is(Explain(lerr, sn.Profile), app.ErrNotFound) {
			return nil, fmt.Errorf("snapshot of %s: %w", bucket, Explain(lerr, sn.Profile))
		}
	}
	items := make([]Item, len(snapshotReads))
	opt := forRegion(region)
	// Four at a time: quick for one bucket, gentle on the account.
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, r := range snapshotReads {
		wg.Add(1)
		go func(i int, r snapshotRead) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out, err := r.call(ctx, sn.S3, &bucket, opt)
			it := Item{Name: r.name, Bucket: bucket, CollectedAt: now(), Source: source(sn.Account, region, r.api, params)}
			if err != nil {
				out = nil
			}
			items[i], _ = classify(it, out, err, sn.Profile)
		}(i, r)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", bucket, Explain(err, sn.Profile))
	}
	return append([]Item{loc}, items...), nil
}
