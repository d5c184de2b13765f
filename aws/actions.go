package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"s3responder/app"
	"s3responder/changeplan"
	"s3responder/exposure"
)

// The names and documents every containment plan shares with the
// simulated account's (package changeplan).
const (
	revokePolicyName = changeplan.RevokePolicyName
	lockSid          = changeplan.LockSid
	revokeValidity   = changeplan.RevokeValidity
	maxBucketPolicy  = changeplan.MaxBucketPolicy
)

// allBlocked is Block Public Access with every flag on.
var allBlocked = changeplan.AllBlocked

// PlanChange reads the current state and works out one of the containment
// actions listed by app.ChangeActions. It changes nothing.
func (c *Changer) PlanChange(ctx context.Context, req app.ChangeRequest, by app.Identity) (app.Plan, error) {
	p := func(name string) string { return strings.TrimSpace(req.Params[name]) }
	switch req.Action {
	case "s3.block-public-access.bucket":
		return c.planBlockPublicAccess(ctx, p("bucket"))
	case "s3.remove-policy-statements":
		return c.planRemoveStatements(ctx, p("bucket"), p("statements"), by)
	case "s3.lock-control-plane":
		return c.planLock(ctx, p("bucket"), p("responders"), by)
	case "iam.deactivate-access-key":
		return c.planDeactivateKeys(ctx, p("userName"), p("accessKeyId"))
	case "iam.revoke-role-sessions":
		return c.planRevoke(ctx, app.ResourceRoleInlinePolicy, p("roleName"))
	case "iam.revoke-user-sessions":
		return c.planRevoke(ctx, app.ResourceUserInlinePolicy, p("userName"))
	case "s3control.block-public-access.account":
		return c.planAccountBPA(ctx, p("accountId"), by)
	case "iam.delete-access-key":
		return c.planDeleteKey(ctx, p("userName"), p("accessKeyId"))
	case "iam.neutralise-role":
		return c.planNeutralise(ctx, p("roleName"))
	case "iam.update-trust-policy":
		return c.planTrust(ctx, p("roleName"), p("removePrincipals"), p("policyDocument"))
	case "s3.reset-object-acls":
		return c.planResetACLs(ctx, req.Params)
	case "s3control.batch-job":
		return c.planBatchJob(ctx, req.Params, by)
	case "ec2.require-imdsv2", "ec2.delete-key-pair", "s3.default-encryption", "s3.versioning":
		return c.planEradicate(ctx, req)
	case "s3.restore-version", "s3.remove-delete-marker":
		return c.planRestore(ctx, req.Action, req.Params)
	case "s3.reset-bucket-acl":
		return c.planResetBucketACL(ctx, p("bucket"))
	case "s3.restore-archived":
		return c.planRestoreArchived(ctx, req.Params)
	case "s3.replica-restore":
		return c.planReplicaRestore(ctx, req.Params)
	}
	return app.Plan{}, fmt.Errorf("%w: the aws package cannot plan %s", app.ErrInvalid, req.Action)
}

// command renders an AWS CLI command line, with the region for regional
// services and the profile the app works as, so it can be pasted as is.
func (c *Changer) command(region string, args ...string) string {
	return changeplan.Command(c.Profile, region, args...)
}

// step builds a reversible step with its calls and commands both ways.
func (c *Changer) step(r app.Resource, region string, before, after json.RawMessage) app.ChangeStep {
	return changeplan.Step(c.Profile, r, region, before, after)
}

func needBucket(bucket string) error {
	if bucket == "" {
		return fmt.Errorf("%w: name the bucket", app.ErrInvalid)
	}
	return nil
}

func (c *Changer) planBlockPublicAccess(ctx context.Context, bucket string) (app.Plan, error) {
	if err := needBucket(bucket); err != nil {
		return app.Plan{}, err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.Plan{}, err
	}
	r := changeplan.BucketBPAResource(bucket)
	before, err := c.ReadState(ctx, r)
	if err != nil {
		return app.Plan{}, err
	}
	if changeplan.SameJSON(before, allBlocked) {
		return app.Plan{}, fmt.Errorf("bucket %s already blocks all public access: %w", bucket, app.ErrNoChange)
	}
	return app.Plan{
		Action: "s3.block-public-access.bucket", Title: "Block all public access to bucket " + bucket,
		Target: "bucket " + bucket, Region: region, Broad: true, ConfirmWord: bucket, Reversible: true,
		Steps: []app.ChangeStep{c.step(r, region, before, allBlocked)},
		Impact: []string{
			"Every object of " + bucket + " stops being reachable through public ACLs or a public bucket policy: anonymous readers lose access, legitimate ones too (a public website, downloads by URL, a CDN that fetches without its own identity).",
			"Grants to other accounts in a public policy stop working as well (RestrictPublicBuckets); grants to specific principals of this account keep working.",
			"New public ACLs and public policies are refused from now on, including by deployment tools.",
		},
		Notes:    []string{"The policy and the ACLs themselves are not edited: switching the flags off brings every public grant back. Remove the grants too (s3.remove-policy-statements)."},
		UndoNote: "Undo puts the earlier flags back (or removes the setting): every public grant still in the policy or ACLs works again.",
	}, nil
}

func (c *Changer) planRemoveStatements(ctx context.Context, bucket, which string, by app.Identity) (app.Plan, error) {
	if err := needBucket(bucket); err != nil {
		return app.Plan{}, err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.Plan{}, err
	}
	r := changeplan.BucketPolicyResource(bucket)
	before, err := c.ReadState(ctx, r)
	if err != nil {
		return app.Plan{}, err
	}
	if string(before) == nullState {
		return app.Plan{}, fmt.Errorf("bucket %s has no policy: %w", bucket, app.ErrNoChange)
	}
	verdict, err := exposure.EvaluatePolicy(string(before), by.Account)
	if err != nil {
		return app.Plan{}, fmt.Errorf("judge the policy of %s: %w", bucket, err)
	}
	after, dropped, err := changeplan.RemoveStatements(before, verdict, which, bucket)
	if err != nil {
		return app.Plan{}, err
	}
	var impact []string
	for _, f := range dropped {
		impact = append(impact, fmt.Sprintf("Removes %s: %s. Access through it ends for %s, legitimate uses included.", changeplan.StatementLabel(f), strings.TrimSuffix(f.Reason, "."), changeplan.LosesAccess(f)))
	}
	call := "rewritten without them"
	if string(after) == nullState {
		call = "deleted, as no statement is left"
	}
	notes := []string{fmt.Sprintf("Every other statement is kept exactly as written; the policy is %s.", call)}
	return app.Plan{
		Action: "s3.remove-policy-statements", Title: fmt.Sprintf("Remove %d statement(s) from the policy of bucket %s", len(dropped), bucket),
		Target: "bucket " + bucket, Region: region, Broad: true, ConfirmWord: bucket, Reversible: true,
		Steps:  []app.ChangeStep{c.step(r, region, before, after)},
		Impact: impact, Notes: notes,
		UndoNote: "Undo puts the removed statements back. If BlockPublicPolicy is on by then, S3 refuses a public policy and the undo fails until that flag is off.",
	}, nil
}

func (c *Changer) planLock(ctx context.Context, bucket, extra string, by app.Identity) (app.Plan, error) {
	if err := needBucket(bucket); err != nil {
		return app.Plan{}, err
	}
	responders, err := changeplan.Responders(by.ARN, extra, bucket)
	if err != nil {
		return app.Plan{}, err
	}
	partition := strings.SplitN(by.ARN, ":", 3)[1]
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.Plan{}, err
	}
	r := changeplan.BucketPolicyResource(bucket)
	before, err := c.ReadState(ctx, r)
	if err != nil {
		return app.Plan{}, err
	}
	lock := changeplan.LockStatement(partition, bucket, responders)
	after, err := changeplan.PutStatement(before, lockSid, lock)
	if err != nil {
		return app.Plan{}, err
	}
	if changeplan.SameJSON(before, after) {
		return app.Plan{}, fmt.Errorf("bucket %s is already locked for the same principals: %w", bucket, app.ErrNoChange)
	}
	if len(after) > maxBucketPolicy {
		return app.Plan{}, fmt.Errorf("%w: with the lock the policy of %s would be %d bytes, over S3's limit of %d", app.ErrInvalid, bucket, len(after), maxBucketPolicy)
	}
	notes := []string{
		"S3 checks s3:PutBucketPublicAccessBlock for deleting Block Public Access too, and s3:PutBucketOwnershipControls for deleting Object Ownership: the statement covers both.",
	}
	if len(responders) > 1 && strings.Contains(by.ARN, ":assumed-role/") {
		notes = append(notes, "You act through a role session; the exception names the role, so every session of that role keeps control.")
	}
	return app.Plan{
		Action: "s3.lock-control-plane", Title: "Lock the access settings of bucket " + bucket,
		Target: "bucket " + bucket, Region: region, Broad: true, ConfirmWord: bucket, Reversible: true,
		Steps: []app.ChangeStep{c.step(r, region, before, after)},
		Impact: []string{
			fmt.Sprintf("Nobody but %s can change the policy, the ACL, Block Public Access or Object Ownership of %s while the statement is in place: deployment pipelines, infrastructure-as-code and other administrators that manage the bucket fail with AccessDenied.", strings.Join(responders, ", "), bucket),
			"Reading and writing objects is not affected.",
			"Should the principals above become unusable, only the account's root user can still delete the bucket policy.",
		},
		Notes:    notes,
		UndoNote: "Undo restores the policy as it was before the lock, which also gives the bucket's control back to everyone the policy and IAM allow.",
	}, nil
}

func (c *Changer) planDeactivateKeys(ctx context.Context, user, key string) (app.Plan, error) {
	switch {
	case strings.HasPrefix(key, "ASIA"):
		return app.Plan{}, fmt.Errorf("%w: %s is a temporary key of a session; it cannot be deactivated: revoke the sessions of the role or user that issued it (iam.revoke-role-sessions, iam.revoke-user-sessions)", app.ErrInvalid, key)
	case user == "" && key == "":
		return app.Plan{}, fmt.Errorf("%w: name the user (userName), the key (accessKeyId) or both", app.ErrInvalid)
	}
	if user == "" {
		out, err := c.IAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: &key})
		if err != nil {
			return app.Plan{}, fmt.Errorf("find the user of access key %s: %w", key, Explain(err, c.Profile))
		}
		if user = sdkaws.ToString(out.UserName); user == "" {
			return app.Plan{}, fmt.Errorf("access key %s %w in this account", key, app.ErrNotFound)
		}
	}
	keys, err := c.listKeys(ctx, user)
	if err != nil {
		return app.Plan{}, fmt.Errorf("list the access keys of %s: %w", user, err)
	}
	var steps []app.ChangeStep
	var impact []string
	found := false
	for _, k := range keys {
		id := sdkaws.ToString(k.AccessKeyId)
		if key != "" && id != key {
			continue
		}
		found = true
		if k.Status != "Active" {
			continue
		}
		steps = append(steps, c.step(changeplan.AccessKeyResource(app.ResourceAccessKeyStatus, user, id), "", json.RawMessage(`"Active"`), json.RawMessage(`"Inactive"`)))
		impact = append(impact, fmt.Sprintf("Every request signed with %s is refused from now on: %s.", id, c.lastUse(ctx, id)))
	}
	switch {
	case key != "" && !found:
		return app.Plan{}, fmt.Errorf("user %s has no access key %s: %w", user, key, app.ErrNotFound)
	case len(steps) == 0:
		return app.Plan{}, fmt.Errorf("user %s has no active access key to deactivate: %w", user, app.ErrNoChange)
	}
	impact = append(impact, "Programs and people that legitimately use these keys fail too until they get new ones.")
	title := fmt.Sprintf("Deactivate access key %s of user %s", steps[0].Resource.ID["accessKeyId"], user)
	if len(steps) > 1 {
		title = fmt.Sprintf("Deactivate all %d active access keys of user %s", len(steps), user)
	}
	return app.Plan{
		Action: "iam.deactivate-access-key", Title: title, Target: "user " + user, Region: c.Region,
		Broad: len(steps) > 1, ConfirmWord: user, Reversible: true, Steps: steps, Impact: impact,
		Notes:    []string{"Sessions obtained earlier with these keys (GetSessionToken, AssumeRole) keep working until they expire: revoke them too (iam.revoke-user-sessions, iam.revoke-role-sessions)."},
		UndoNote: "Undo makes the keys active again: whoever holds them, the attacker included, can sign with them again.",
	}, nil
}

// lastUse says when and where a key was last used, for the impact: a key
// used yesterday by a production service is a warning worth reading.
func (c *Changer) lastUse(ctx context.Context, key string) string {
	out, err := c.IAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: &key})
	if err != nil || out.AccessKeyLastUsed == nil {
		return "its last use could not be read"
	}
	u := out.AccessKeyLastUsed
	if u.LastUsedDate == nil {
		return "AWS has no record of its use"
	}
	return fmt.Sprintf("it was last used %s with %s in %s", u.LastUsedDate.UTC().Format(time.RFC3339), sdkaws.ToString(u.ServiceName), sdkaws.ToString(u.Region))
}

// RevokePolicy is the inline policy that denies everything to sessions
// issued before cutoff (aws:TokenIssueTime), the document the IAM console
// writes when it revokes a role's sessions.
func RevokePolicy(cutoff time.Time) json.RawMessage { return changeplan.RevokePolicy(cutoff) }

func (c *Changer) planRevoke(ctx context.Context, kind, name string) (app.Plan, error) {
	var r app.Resource
	var impact []string
	var target, action string
	// The cut-off is the next whole second: every session issued up to
	// the moment of planning falls before it.
	cutoff := c.now().Truncate(time.Second).Add(time.Second)
	when := cutoff.Format(time.RFC3339)
	switch kind {
	case app.ResourceRoleInlinePolicy:
		if name == "" {
			return app.Plan{}, fmt.Errorf("%w: name the role (roleName)", app.ErrInvalid)
		}
		out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
		if err != nil {
			return app.Plan{}, fmt.Errorf("read role %s: %w", name, Explain(err, c.Profile))
		}
		if out.Role != nil && strings.HasPrefix(sdkaws.ToString(out.Role.Path), "/aws-service-role/") {
			return app.Plan{}, fmt.Errorf("%w: %s is a service-linked role; AWS does not let its sessions be revoked", app.ErrInvalid, name)
		}
		action, target = "iam.revoke-role-sessions", "role "+name
		r = app.Resource{Kind: kind, ID: map[string]string{"roleName": name, "policyName": revokePolicyName}, Name: revokePolicyName + " policy of role " + name}
		impact = []string{
			fmt.Sprintf("Every session of role %s issued before %s is denied every action, whoever holds it: applications, instances, functions and people using the role lose access until they get new credentials, legitimate ones too.", name, when),
			"Services that fetch the role's credentials by themselves (EC2 instance profiles, ECS tasks, Lambda) get new ones within minutes, and so does an attacker who controls such an instance: deal with the instance too.",
			fmt.Sprintf("Sessions issued after %s keep working.", when),
		}
	default:
		if name == "" {
			return app.Plan{}, fmt.Errorf("%w: name the user (userName)", app.ErrInvalid)
		}
		if _, err := c.IAM.GetUser(ctx, &iam.GetUserInput{UserName: &name}); err != nil {
			return app.Plan{}, fmt.Errorf("read user %s: %w", name, Explain(err, c.Profile))
		}
		action, target = "iam.revoke-user-sessions", "user "+name
		r = app.Resource{Kind: kind, ID: map[string]string{"userName": name, "policyName": revokePolicyName}, Name: revokePolicyName + " policy of user " + name}
		impact = []string{
			fmt.Sprintf("Temporary credentials that user %s obtained before %s (GetSessionToken, GetFederationToken) are denied every action, legitimate ones too.", name, when),
			"The user's access keys themselves keep working: deactivate them too (iam.deactivate-access-key).",
		}
	}
	before, err := c.ReadState(ctx, r)
	if err != nil {
		return app.Plan{}, err
	}
	after := RevokePolicy(cutoff)
	return app.Plan{
		Action: action, Title: fmt.Sprintf("Revoke the sessions of %s issued before %s", target, when), Target: target,
		Broad: true, ConfirmWord: name, Reversible: true, ValidFor: revokeValidity,
		Steps:  []app.ChangeStep{c.step(r, "", before, after)},
		Impact: impact,
		Notes: []string{
			"Apply within 15 minutes: sessions issued between the cut-off and the apply survive, so an older plan is refused.",
			"An existing " + revokePolicyName + " policy is replaced by this one, whose cut-off is later.",
		},
		UndoNote: fmt.Sprintf("Undo lets sessions issued before %s work again, the attacker's included.", when),
	}, nil
}
