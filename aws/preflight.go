package aws

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"s3responder/app"
)

// preflightProbe is one read the wizard relies on, tried for real: IAM
// has no way to ask "may I?" that works for every kind of identity (the
// policy simulator needs permissions of its own and ignores SCPs and
// bucket policies), and a read that works is the only proof that it will.
type preflightProbe struct {
	permission, purpose string
	call                func(ctx context.Context) error
}

// Preflight tries, read-only, every call the investigation makes, and
// says in words which ones the identity may not make and what it will
// then miss (app.Preflighter). bucket, when set, is used for the bucket
// reads; without it they are not tried.
func (c *Cloud) Preflight(ctx context.Context, bucket string) ([]app.PermissionCheck, error) {
	id, err := c.identity(ctx)
	if err != nil {
		return nil, err
	}
	s := c.API
	probes := []preflightProbe{
		{"s3:ListAllMyBuckets", "list the account's buckets, to scan them all", func(ctx context.Context) error {
			_, err := s.S3.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: sdkaws.Int32(1)})
			return err
		}},
		{"s3:GetAccountPublicAccessBlock", "read the account's Block Public Access, part of every exposure verdict", func(ctx context.Context) error {
			_, err := s.Control.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: &id.Account})
			return err
		}},
		{"cloudtrail:LookupEvents", "find who changed bucket access (CloudTrail event history)", func(ctx context.Context) error {
			// The same shape of request as the real lookups make.
			end := c.now()
			_, err := s.CloudTrail.LookupEvents(ctx, &cloudtrail.LookupEventsInput{
				StartTime: sdkaws.Time(end.Add(-time.Hour)), EndTime: sdkaws.Time(end), MaxResults: sdkaws.Int32(50),
				LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: sdkaws.String("PutBucketPolicy")}}})
			return err
		}},
	}
	if aps, ok := s.Control.(AccessPointAPI); ok {
		probes = append(probes, preflightProbe{"s3:ListAccessPoints", "list the access points that can expose a bucket's data", func(ctx context.Context) error {
			_, err := aps.ListAccessPoints(ctx, &s3control.ListAccessPointsInput{AccountId: &id.Account, MaxResults: 1})
			return err
		}})
	}
	if bucket != "" {
		region, _ := BucketRegion(ctx, s.S3, bucket, c.Region)
		opt := forRegion(region)
		probes = append(probes, preflightProbe{permissionFor("S3", "GetBucketLocation"), "find the region of bucket " + bucket, func(ctx context.Context) error {
			_, err := s.S3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &bucket})
			return err
		}})
		exposureReads := map[string]bool{"policy": true, "policy-status": true, "acl": true, "public-access-block": true, "ownership": true}
		for _, r := range snapshotReads {
			purpose := "snapshot the " + r.name + " of bucket " + bucket
			if exposureReads[r.name] {
				purpose = "judge the exposure of bucket " + bucket + " (" + r.name + ")"
			}
			probes = append(probes, preflightProbe{permissionFor("S3", r.api), purpose, func(ctx context.Context) error {
				_, err := r.call(ctx, s.S3, &bucket, opt)
				return err
			}})
		}
	}

	out := make([]app.PermissionCheck, len(probes))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, pr := range probes {
		wg.Add(1)
		go func(i int, pr preflightProbe) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = c.judgeProbe(pr, pr.call(ctx))
		}(i, pr)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, Explain(err, c.Profile)
	}
	return out, nil
}

// judgeProbe turns a probe's outcome into words. A configuration that is
// not set (NoSuchBucketPolicy and the like) proves the permission as
// well as an answer does.
func (c *Cloud) judgeProbe(pr preflightProbe, err error) app.PermissionCheck {
	pc := app.PermissionCheck{Permission: pr.permission, Purpose: pr.purpose, OK: true}
	if err == nil || notConfigured[errorCode(err)] {
		return pc
	}
	pc.OK = false
	var e *Error
	if !errors.As(Explain(err, c.Profile), &e) {
		pc.Problem = err.Error()
		return pc
	}
	switch e.Kind {
	case KindDenied:
		pc.Problem = fmt.Sprintf("refused: without %s S3 Responder cannot %s.", pr.permission, pr.purpose)
	case KindNotSupported:
		pc.Problem = "this server does not support it: " + e.Message
	default:
		pc.Problem = e.Message
	}
	return pc
}
