package aws

import (
	"context"
	"fmt"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"s3responder/exposure"
)

// AccessPointAPI is the S3 Control reads of a bucket's access points:
// other doors to its data, each with a policy, a Block Public Access of
// its own and a network origin (S3-FACTS.md, access points).
type AccessPointAPI interface {
	ListAccessPoints(ctx context.Context, in *s3control.ListAccessPointsInput, optFns ...func(*s3control.Options)) (*s3control.ListAccessPointsOutput, error)
	GetAccessPoint(ctx context.Context, in *s3control.GetAccessPointInput, optFns ...func(*s3control.Options)) (*s3control.GetAccessPointOutput, error)
	GetAccessPointPolicy(ctx context.Context, in *s3control.GetAccessPointPolicyInput, optFns ...func(*s3control.Options)) (*s3control.GetAccessPointPolicyOutput, error)
	GetAccessPointPolicyStatus(ctx context.Context, in *s3control.GetAccessPointPolicyStatusInput, optFns ...func(*s3control.Options)) (*s3control.GetAccessPointPolicyStatusOutput, error)
}

var _ AccessPointAPI = (*s3control.Client)(nil)

// maxAccessPoints bounds the access points read per bucket (AWS allows
// 10,000 per account and region); past it the verdict says it stopped.
const maxAccessPoints = 1000

// accessPoints reads every access point of a bucket in its region, with
// its settings, policy and S3's verdict on the policy. What cannot be
// read goes into unknown, and the verdict then says so; an access point
// whose policy or settings cannot be read is kept with what is known
// (its settings unknown: taken as AWS's all-on default only when read).
func (x *ExposureChecker) accessPoints(ctx context.Context, bucket, region string, add func(Item, *Problem), unknown func(string, exposure.Unread, *Problem)) []exposure.AccessPoint {
	if x.AccessPoints == nil || x.Account == "" {
		return nil
	}
	// A read that failed leaves the verdict undetermined, as for the
	// account's settings (controlUnread).
	bit := func(p *Problem) exposure.Unread {
		if x.controlUnread(p) {
			return exposure.UnreadAccessPoints
		}
		return 0
	}
	opt := func(o *s3control.Options) {
		if region != "" {
			o.Region = region
		}
	}
	var names []string
	var listed []types.AccessPoint
	var token *string
	for {
		out, err := x.AccessPoints.ListAccessPoints(ctx, &s3control.ListAccessPointsInput{AccountId: &x.Account, Bucket: &bucket, NextToken: token}, opt)
		if err != nil {
			it, p := x.record("access-points", bucket, region, "s3control:ListAccessPoints", nil, err)
			add(it, p)
			unknown("access points", bit(p), p)
			return nil
		}
		listed = append(listed, out.AccessPointList...)
		for _, ap := range out.AccessPointList {
			names = append(names, sdkaws.ToString(ap.Name))
		}
		token = out.NextToken
		if token == nil || *token == "" || len(names) >= maxAccessPoints {
			break
		}
	}
	it, p := x.record("access-points", bucket, region, "s3control:ListAccessPoints", &s3control.ListAccessPointsOutput{AccessPointList: listed}, nil)
	add(it, p)
	if token != nil && *token != "" {
		unknown(fmt.Sprintf("access points beyond the first %d", len(names)), exposure.UnreadAccessPoints, &Problem{Code: "TooMany"})
	}
	var aps []exposure.AccessPoint
	for _, name := range names {
		if ctx.Err() != nil {
			return aps
		}
		ap := exposure.AccessPoint{Name: name, Account: x.Account}
		n := &name
		get, err := x.AccessPoints.GetAccessPoint(ctx, &s3control.GetAccessPointInput{AccountId: &x.Account, Name: n}, opt)
		it, p := x.record("access-point-"+name, bucket, region, "s3control:GetAccessPoint", get, err)
		add(it, p)
		unknown("settings of access point "+name, bit(p), p)
		if err == nil {
			ap.NetworkOrigin = string(get.NetworkOrigin)
			if c := get.PublicAccessBlockConfiguration; c != nil {
				ap.BPA = &exposure.BlockPublicAccess{
					BlockPublicAcls: sdkaws.ToBool(c.BlockPublicAcls), IgnorePublicAcls: sdkaws.ToBool(c.IgnorePublicAcls),
					BlockPublicPolicy: sdkaws.ToBool(c.BlockPublicPolicy), RestrictPublicBuckets: sdkaws.ToBool(c.RestrictPublicBuckets),
				}
			}
		} else {
			// Unknown settings: the unclear case is called public.
			ap.BPA = &exposure.BlockPublicAccess{}
		}
		pol, err := x.AccessPoints.GetAccessPointPolicy(ctx, &s3control.GetAccessPointPolicyInput{AccountId: &x.Account, Name: n}, opt)
		it, p = x.record("access-point-"+name+"-policy", bucket, region, "s3control:GetAccessPointPolicy", pol, err)
		add(it, p)
		unknown("policy of access point "+name, bit(p), p)
		if err == nil {
			ap.Policy = sdkaws.ToString(pol.Policy)
		}
		st, err := x.AccessPoints.GetAccessPointPolicyStatus(ctx, &s3control.GetAccessPointPolicyStatusInput{AccountId: &x.Account, Name: n}, opt)
		it, p = x.record("access-point-"+name+"-policy-status", bucket, region, "s3control:GetAccessPointPolicyStatus", st, err)
		add(it, p)
		if err == nil && st.PolicyStatus != nil {
			public := st.PolicyStatus.IsPublic
			ap.S3PolicyPublic = &public
		}
		aps = append(aps, ap)
	}
	return aps
}
