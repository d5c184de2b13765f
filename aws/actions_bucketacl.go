package aws

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"s3responder/app"
	"s3responder/changeplan"
)

// The bucket ACL reset (s3.reset-bucket-acl): one step, the bucket's ACL
// from what it is to the owner's FULL_CONTROL alone, the same private ACL
// the object reset writes (changeplan.PrivateACL). Undo puts the saved
// ACL back with one PutBucketAcl.

// readBucketACL returns a bucket's ACL.
func (c *Changer) readBucketACL(ctx context.Context, bucket string) (json.RawMessage, error) {
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return nil, err
	}
	out, err := c.S3.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &bucket}, forRegion(region))
	if err != nil {
		return nil, Explain(err, c.Profile)
	}
	return json.Marshal(aclFrom(out.Owner, out.Grants))
}

// writeBucketACL sets a bucket's whole ACL with one PutBucketAcl.
func (c *Changer) writeBucketACL(ctx context.Context, bucket string, state json.RawMessage) error {
	policy, err := aclPolicy(state)
	if err != nil {
		return err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return err
	}
	_, err = c.S3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: &bucket, AccessControlPolicy: policy}, forRegion(region))
	return err
}

// Grantee groups S3 defines.
const (
	groupAllUsers      = "http://acs.amazonaws.com/groups/global/AllUsers"
	groupAuthenticated = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	groupLogDelivery   = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// bucketGrantWords says who a bucket grant is for and what it lets them do.
func bucketGrantWords(g aclGrant) string {
	who := "grantee " + g.Grantee.Type
	switch {
	case g.Grantee.URI == groupAllUsers:
		who = "anyone on the internet (AllUsers)"
	case g.Grantee.URI == groupAuthenticated:
		who = "anyone with any AWS account (AuthenticatedUsers)"
	case g.Grantee.URI == groupLogDelivery:
		who = "S3 log delivery (LogDelivery)"
	case g.Grantee.URI != "":
		who = "group " + g.Grantee.URI
	case g.Grantee.Type == "Group":
		who = "group " + g.Grantee.ID
	case g.Grantee.ID != "":
		who = "the account with canonical id " + g.Grantee.ID
	case g.Grantee.EmailAddress != "":
		who = "the account of " + g.Grantee.EmailAddress
	}
	what := map[string]string{
		"READ":         "list the bucket's objects",
		"WRITE":        "create objects in the bucket (and overwrite or delete objects it owns)",
		"READ_ACP":     "read the bucket's ACL",
		"WRITE_ACP":    "change the bucket's ACL, and so give itself any of these",
		"FULL_CONTROL": "list, write, and read and change the ACL of the bucket",
	}[g.Permission]
	if what == "" {
		what = "use permission " + g.Permission
	}
	return fmt.Sprintf("%s can no longer %s (%s)", who, what, g.Permission)
}

func (c *Changer) planResetBucketACL(ctx context.Context, bucket string) (app.Plan, error) {
	if err := needBucket(bucket); err != nil {
		return app.Plan{}, err
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
	r := changeplan.BucketACLResource(bucket)
	before, err := c.ReadState(ctx, r)
	if err != nil {
		return app.Plan{}, err
	}
	var cur aclState
	if err := json.Unmarshal(before, &cur); err != nil || cur.Owner.ID == "" {
		return app.Plan{}, fmt.Errorf("bucket %s: S3 did not name the bucket's owner in its ACL", bucket)
	}
	after, err := changeplan.PrivateACL(cur.Owner.ID, before)
	if err != nil {
		return app.Plan{}, err
	}
	if changeplan.SameJSON(before, after) {
		return app.Plan{}, fmt.Errorf("the ACL of bucket %s already grants FULL_CONTROL to its owner alone: %w", bucket, app.ErrNoChange)
	}
	var impact []string
	logDelivery := false
	for _, g := range cur.Grants {
		if g.Grantee.Type == "CanonicalUser" && g.Grantee.ID == cur.Owner.ID && g.Permission == "FULL_CONTROL" {
			continue
		}
		impact = append(impact, "Removes a grant: "+bucketGrantWords(g)+".")
		logDelivery = logDelivery || g.Grantee.URI == groupLogDelivery
	}
	if logDelivery {
		impact = append(impact, "If this bucket receives S3 server access logs through its ACL, log delivery to it stops: grant the logging service principal (logging.s3.amazonaws.com) in the bucket policy first.")
	}
	impact = append(impact,
		"The owner keeps FULL_CONTROL. Access given by the bucket policy, access points and IAM is not affected.",
		"The bucket ACL does not cover the objects: an object with its own public ACL stays public (s3.reset-object-acls).",
	)
	notes = append(notes, "The same ACL as the canned one: "+c.command(region, "s3api", "put-bucket-acl", "--bucket", bucket, "--acl", "private")+" (the command above states the owner and grant in full).")
	return app.Plan{
		Action: "s3.reset-bucket-acl", Title: "Make the ACL of bucket " + bucket + " private (owner only)",
		Target: "bucket " + bucket, Region: region, Broad: true, ConfirmWord: bucket, Reversible: true,
		Steps:  []app.ChangeStep{c.step(r, region, before, after)},
		Impact: impact, Notes: notes,
		UndoNote: "Undo puts every removed grant back, public ones included; while BlockPublicAcls is on, S3 refuses a public ACL and the undo fails until that flag is off.",
	}, nil
}
