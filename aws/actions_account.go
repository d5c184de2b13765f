package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"s3responder/app"
	"s3responder/changeplan"
)

// Account-level Block Public Access: the same four flags as a bucket's,
// set once through S3 Control for every bucket of the account, present
// and future. S3 Control addresses the account in the host name
// (<account>.s3-control...), so the account id is part of every call.

func accountBPAResource(account string) app.Resource {
	return app.Resource{Kind: app.ResourceAccountBPA, ID: map[string]string{"accountId": account},
		Name: "Block Public Access of account " + account}
}

func (c *Changer) readAccountBPA(ctx context.Context, account string) (json.RawMessage, error) {
	if c.Control == nil {
		return nil, fmt.Errorf("%w: this connection has no S3 Control client", app.ErrInvalid)
	}
	out, err := c.Control.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: &account})
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
}

func (c *Changer) writeAccountBPA(ctx context.Context, account string, state json.RawMessage, absent bool) error {
	if c.Control == nil {
		return fmt.Errorf("%w: this connection has no S3 Control client", app.ErrInvalid)
	}
	if absent {
		_, err := c.Control.DeletePublicAccessBlock(ctx, &s3control.DeletePublicAccessBlockInput{AccountId: &account})
		return err
	}
	var v bpaJSON
	if err := json.Unmarshal(state, &v); err != nil {
		return fmt.Errorf("%w: Block Public Access state %s: %v", app.ErrInvalid, state, err)
	}
	_, err := c.Control.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{AccountId: &account,
		PublicAccessBlockConfiguration: &s3ctltypes.PublicAccessBlockConfiguration{
			BlockPublicAcls: &v.BlockPublicAcls, IgnorePublicAcls: &v.IgnorePublicAcls, BlockPublicPolicy: &v.BlockPublicPolicy, RestrictPublicBuckets: &v.RestrictPublicBuckets,
		}})
	return err
}

// planAccountBPA turns on all four flags for the connection's own account.
// S3 Control would accept another account's id only for a caller of that
// account, so naming another one is refused here with a clear reason.
func (c *Changer) planAccountBPA(ctx context.Context, account string, by app.Identity) (app.Plan, error) {
	if by.Account == "" {
		return app.Plan{}, fmt.Errorf("%w: the connection's account is unknown", app.ErrInvalid)
	}
	if account == "" {
		account = by.Account
	}
	if account != by.Account {
		return app.Plan{}, fmt.Errorf("%w: the connection acts in account %s and cannot set Block Public Access of account %s: connect with a profile of that account", app.ErrInvalid, by.Account, account)
	}
	r := accountBPAResource(account)
	before, err := c.ReadState(ctx, r)
	if err != nil {
		return app.Plan{}, err
	}
	if changeplan.SameJSON(before, allBlocked) {
		return app.Plan{}, fmt.Errorf("account %s already blocks all public access: %w", account, app.ErrNoChange)
	}
	impact := []string{
		fmt.Sprintf("Every bucket of account %s, and every bucket created in it from now on, stops honouring public ACLs and public bucket policies: %s", account, c.bucketCount(ctx)),
		"Buckets that are public on purpose stop serving anonymous readers, legitimate ones too: static websites, public downloads and data sets, CDN origins fetched without an identity of their own.",
		"Grants to other accounts in a public bucket policy stop working (RestrictPublicBuckets); grants to specific principals of this account keep working.",
		"New public ACLs and public bucket policies are refused anywhere in the account, including by deployment tools and infrastructure-as-code.",
	}
	if line := c.publicNow(ctx, account); line != "" {
		impact = append(impact, line)
	}
	return app.Plan{
		Action: "s3control.block-public-access.account", Title: "Block all public access in account " + account,
		Target: "account " + account, Region: c.Region, Broad: true, ConfirmWord: account, Reversible: true,
		Steps:  []app.ChangeStep{c.step(r, c.Region, before, allBlocked)},
		Impact: impact,
		Notes: []string{
			"This setting affects every bucket of the account, not only the one of this incident: make sure the account's owners know before you confirm.",
			"The policies and ACLs themselves are not edited: switching the flags off brings every public grant back. Remove the grants too.",
			"Access points and buckets with their own Block Public Access keep it; the most restrictive of the account's and the bucket's flags applies.",
		},
		UndoNote: "Undo puts the account's earlier flags back (or removes the setting): every public grant still present in the account's buckets works again.",
	}, nil
}

// maxPublicNowBuckets bounds the exposure checks a plan of the account's
// Block Public Access makes to name what it closes: past it, the plan
// says so instead of checking hundreds of buckets before a confirmation.
const maxPublicNowBuckets = 100

// publicNow names the buckets that are public right now, which the
// account's Block Public Access closes (the website that goes dark with
// the exposed bucket), or says why it cannot; "" when none is public.
func (c *Changer) publicNow(ctx context.Context, account string) string {
	ex, ok := c.S3.(ExposureAPI)
	if !ok {
		return ""
	}
	x := &ExposureChecker{S3: ex, Buckets: c.S3, Account: account, Region: c.Region, Profile: c.Profile, Now: c.Now, Concurrency: 8}
	if c.Control != nil {
		x.Control = c.Control
	}
	out, err := c.S3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(out.Buckets) > maxPublicNowBuckets {
		return ""
	}
	all, err := x.CheckAll(ctx, nil)
	if err != nil {
		return ""
	}
	var public []string
	for _, be := range all {
		if be.Public {
			public = append(public, be.Bucket)
		}
	}
	if len(public) == 0 {
		return ""
	}
	slices.Sort(public)
	return "Public right now, and no longer after this: " + strings.Join(public, ", ") + "."
}

// bucketCount says how many buckets the account has, for the impact; a
// refused ListBuckets only weakens the sentence.
func (c *Changer) bucketCount(ctx context.Context) string {
	out, err := c.S3.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		return "the bucket count could not be read (s3:ListAllMyBuckets)."
	}
	names := make([]string, 0, len(out.Buckets))
	for _, b := range out.Buckets {
		names = append(names, sdkaws.ToString(b.Name))
	}
	switch n := len(names); {
	case n == 0:
		return "the account has no bucket yet."
	case n <= 10:
		return fmt.Sprintf("%d bucket(s) today: %s.", n, strings.Join(names, ", "))
	default:
		return fmt.Sprintf("%d buckets today, among them %s and %d more.", n, strings.Join(names[:10], ", "), n-10)
	}
}
