package tabletop

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"s3responder/app"
	"s3responder/changeplan"
	"s3responder/exposure"
)

// Changes to the simulated account (app.Mutator). The plans follow the aws
// package's: the same resources, states, calls, confirmations and
// warnings, so that a team trains on what the real account will show
// them. The AWS CLI commands are printed without a profile: they are what
// the team would run against AWS, not a way into the simulation.

// ReadState returns a resource's current state (app.Mutator).
func (a *Account) ReadState(ctx context.Context, r app.Resource) (json.RawMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	st, err := a.w.readState(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", r.Name, err)
	}
	return st, nil
}

// WriteState sets a resource as the step's one AWS call would, refusing
// what AWS refuses (app.Mutator).
func (a *Account) WriteState(ctx context.Context, r app.Resource, state json.RawMessage) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.w.writeState(r, state, true); err != nil {
		return fmt.Errorf("set %s: %w", r.Name, err)
	}
	return nil
}

// The names and documents every containment plan shares with the aws
// package's (package changeplan).
const (
	revokePolicyName  = changeplan.RevokePolicyName
	denyAllPolicyName = changeplan.DenyAllPolicyName
	revokeValidity    = changeplan.RevokeValidity
	maxBucketPolicy   = changeplan.MaxBucketPolicy
)

var (
	allBlocked    = changeplan.AllBlocked
	denyAllPolicy = changeplan.DenyAllPolicy
)

// PlanChange works out an action of app.ChangeActions on the simulated
// account without changing anything (app.Mutator).
func (a *Account) PlanChange(ctx context.Context, req app.ChangeRequest, by app.Identity) (app.Plan, error) {
	if err := ctx.Err(); err != nil {
		return app.Plan{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	p := func(name string) string { return strings.TrimSpace(req.Params[name]) }
	var plan app.Plan
	var err error
	switch req.Action {
	case "s3.block-public-access.bucket":
		plan, err = a.planBucketBPA(p("bucket"))
	case "s3.remove-policy-statements":
		plan, err = a.planRemoveStatements(p("bucket"), p("statements"), by)
	case "s3.lock-control-plane":
		plan, err = a.planLock(p("bucket"), p("responders"), by)
	case "iam.deactivate-access-key":
		plan, err = a.planDeactivate(p("userName"), p("accessKeyId"))
	case "iam.revoke-role-sessions":
		plan, err = a.planRevoke(true, p("roleName"))
	case "iam.revoke-user-sessions":
		plan, err = a.planRevoke(false, p("userName"))
	case "s3control.block-public-access.account":
		plan, err = a.planAccountBPA(p("accountId"), by)
	case "iam.delete-access-key":
		plan, err = a.planDeleteKey(p("userName"), p("accessKeyId"))
	case "iam.neutralise-role":
		plan, err = a.planNeutralise(p("roleName"))
	case "iam.update-trust-policy":
		plan, err = a.planTrust(p("roleName"), p("removePrincipals"), p("policyDocument"))
	case "s3.reset-object-acls":
		plan, err = a.planResetACLs(req.Params)
	case "s3control.batch-job":
		err = fmt.Errorf("%w: the simulated account runs no S3 Batch Operations jobs: reset the object ACLs with s3.reset-object-acls instead, which the exercise carries out object by object", app.ErrInvalid)
	default:
		err = fmt.Errorf("%w: the simulated account cannot plan %s", app.ErrInvalid, req.Action)
	}
	if err != nil {
		return app.Plan{}, err
	}
	plan.Notes = append(plan.Notes, fmt.Sprintf("Simulated account of scenario %q: the AWS CLI commands are what you would run against AWS, for the record; nothing leaves S3 Responder.", a.sc.ID))
	return plan, nil
}

// command renders an AWS CLI command line, without a profile.
func command(region string, args ...string) string { return changeplan.Command("", region, args...) }

// step builds a reversible step with its calls and commands both ways.
func step(r app.Resource, region string, before, after json.RawMessage) app.ChangeStep {
	return changeplan.Step("", r, region, before, after)
}

func (a *Account) needBucket(name string) (*bucket, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: name the bucket", app.ErrInvalid)
	}
	return a.w.bucket(name)
}

func (a *Account) planBucketBPA(name string) (app.Plan, error) {
	b, err := a.needBucket(name)
	if err != nil {
		return app.Plan{}, err
	}
	r := changeplan.BucketBPAResource(name)
	before, _ := a.w.readState(r)
	if changeplan.SameJSON(before, allBlocked) {
		return app.Plan{}, fmt.Errorf("bucket %s already blocks all public access: %w", name, app.ErrNoChange)
	}
	return app.Plan{
		Action: "s3.block-public-access.bucket", Title: "Block all public access to bucket " + name,
		Target: "bucket " + name, Region: b.spec.Region, Broad: true, ConfirmWord: name, Reversible: true,
		Steps: []app.ChangeStep{step(r, b.spec.Region, before, allBlocked)},
		Impact: []string{
			"Public ACLs and public policy grants on " + name + " stop working at once: anonymous readers lose access, legitimate ones as well (a public website, download links, a CDN fetching without an identity of its own).",
			"Grants to other accounts inside a public policy stop too (RestrictPublicBuckets); grants to named principals of this account go on working.",
			"Any new public ACL or public policy is refused from now on, deployment tools included.",
		},
		Notes:    []string{"The flags leave the policy and the ACLs as written: turning them off brings every public grant back. Remove the grants as well (s3.remove-policy-statements)."},
		UndoNote: "Undo restores the earlier flags (or removes the setting), and every public grant still in the policy or the ACLs works again.",
	}, nil
}

func (a *Account) planRemoveStatements(name, which string, by app.Identity) (app.Plan, error) {
	b, err := a.needBucket(name)
	if err != nil {
		return app.Plan{}, err
	}
	r := changeplan.BucketPolicyResource(name)
	before, _ := a.w.readState(r)
	if absent(before) {
		return app.Plan{}, fmt.Errorf("bucket %s has no policy: %w", name, app.ErrNoChange)
	}
	verdict, err := exposure.EvaluatePolicy(string(before), by.Account)
	if err != nil {
		return app.Plan{}, fmt.Errorf("judge the policy of %s: %w", name, err)
	}
	after, dropped, err := changeplan.RemoveStatements(before, verdict, which, name)
	if err != nil {
		return app.Plan{}, err
	}
	var impact []string
	for _, f := range dropped {
		impact = append(impact, fmt.Sprintf("Removes %s: %s. Whatever access it gave ends for %s, legitimate uses included.", changeplan.StatementLabel(f), strings.TrimSuffix(f.Reason, "."), changeplan.LosesAccess(f)))
	}
	what := "rewritten without them"
	if absent(after) {
		what = "deleted, since no statement is left"
	}
	return app.Plan{
		Action: "s3.remove-policy-statements", Title: fmt.Sprintf("Remove %d statement(s) from the policy of bucket %s", len(dropped), name),
		Target: "bucket " + name, Region: b.spec.Region, Broad: true, ConfirmWord: name, Reversible: true,
		Steps:    []app.ChangeStep{step(r, b.spec.Region, before, after)},
		Impact:   impact,
		Notes:    []string{fmt.Sprintf("The other statements stay exactly as written; the policy is %s.", what)},
		UndoNote: "Undo puts the removed statements back. With BlockPublicPolicy on by then, S3 refuses a public policy and the undo fails until the flag is off.",
	}, nil
}

func (a *Account) planLock(name, extra string, by app.Identity) (app.Plan, error) {
	b, err := a.needBucket(name)
	if err != nil {
		return app.Plan{}, err
	}
	responders, err := changeplan.Responders(by.ARN, extra, name)
	if err != nil {
		return app.Plan{}, err
	}
	r := changeplan.BucketPolicyResource(name)
	before, _ := a.w.readState(r)
	lock := changeplan.LockStatement("aws", name, responders)
	after, err := changeplan.PutStatement(before, changeplan.LockSid, lock)
	if err != nil {
		return app.Plan{}, err
	}
	if changeplan.SameJSON(before, after) {
		return app.Plan{}, fmt.Errorf("bucket %s is already locked for the same principals: %w", name, app.ErrNoChange)
	}
	if len(after) > maxBucketPolicy {
		return app.Plan{}, fmt.Errorf("%w: with the lock the policy of %s would be %d bytes, over S3's limit of %d", app.ErrInvalid, name, len(after), maxBucketPolicy)
	}
	return app.Plan{
		Action: "s3.lock-control-plane", Title: "Lock the access settings of bucket " + name,
		Target: "bucket " + name, Region: b.spec.Region, Broad: true, ConfirmWord: name, Reversible: true,
		Steps: []app.ChangeStep{step(r, b.spec.Region, before, after)},
		Impact: []string{
			fmt.Sprintf("Only %s can change the policy, the ACL, Block Public Access or Object Ownership of %s while the statement stands: pipelines, infrastructure-as-code and other administrators get AccessDenied.", strings.Join(responders, ", "), name),
			"Reading and writing objects goes on as before.",
			"Should those principals become unusable, only the account's root user can still delete the bucket policy.",
		},
		Notes:    []string{"Deleting Block Public Access needs s3:PutBucketPublicAccessBlock and deleting Object Ownership s3:PutBucketOwnershipControls, so the statement covers both."},
		UndoNote: "Undo restores the policy as it was before the lock, handing control of the bucket back to everyone the policy and IAM allow.",
	}, nil
}

// lastUse says when and where a key was last used, for the impact.
func lastUse(k *accessKey) string {
	u := k.spec.LastUsed
	if u == nil || u.Time.IsZero() {
		return "AWS has no record of its use"
	}
	return fmt.Sprintf("it was last used %s with %s in %s", u.Time.UTC().Format(time.RFC3339), u.Service, u.Region)
}

// findKeyUser returns the user of an access key, as GetAccessKeyLastUsed does.
func (a *Account) findKeyUser(key string) (string, error) {
	if u, _ := a.w.keyOwner(key); u != nil {
		return u.spec.Name, nil
	}
	return "", fmt.Errorf("access key %s %w in this account", key, app.ErrNotFound)
}

func (a *Account) planDeactivate(userName, key string) (app.Plan, error) {
	switch {
	case strings.HasPrefix(key, "ASIA"):
		return app.Plan{}, fmt.Errorf("%w: %s is a temporary key of a session; it cannot be deactivated: revoke the sessions of the role or user that issued it (iam.revoke-role-sessions, iam.revoke-user-sessions)", app.ErrInvalid, key)
	case userName == "" && key == "":
		return app.Plan{}, fmt.Errorf("%w: name the user (userName), the key (accessKeyId) or both", app.ErrInvalid)
	}
	if userName == "" {
		u, err := a.findKeyUser(key)
		if err != nil {
			return app.Plan{}, fmt.Errorf("find the user of access key %s: %w", key, err)
		}
		userName = u
	}
	u, err := a.w.user(userName)
	if err != nil {
		return app.Plan{}, err
	}
	var steps []app.ChangeStep
	var impact []string
	found := false
	for _, k := range u.keys {
		if k.deleted || (key != "" && k.spec.ID != key) {
			continue
		}
		found = true
		if k.status != "Active" {
			continue
		}
		steps = append(steps, step(changeplan.AccessKeyResource(app.ResourceAccessKeyStatus, userName, k.spec.ID), "", json.RawMessage(`"Active"`), json.RawMessage(`"Inactive"`)))
		impact = append(impact, fmt.Sprintf("Every request signed with %s is refused from now on: %s.", k.spec.ID, lastUse(k)))
	}
	switch {
	case key != "" && !found:
		return app.Plan{}, fmt.Errorf("user %s has no access key %s: %w", userName, key, app.ErrNotFound)
	case len(steps) == 0:
		return app.Plan{}, fmt.Errorf("user %s has no active access key to deactivate: %w", userName, app.ErrNoChange)
	}
	impact = append(impact, "Programs and people that rely on these keys for legitimate work fail as well until they get new ones.")
	title := fmt.Sprintf("Deactivate access key %s of user %s", steps[0].Resource.ID["accessKeyId"], userName)
	if len(steps) > 1 {
		title = fmt.Sprintf("Deactivate all %d active access keys of user %s", len(steps), userName)
	}
	return app.Plan{
		Action: "iam.deactivate-access-key", Title: title, Target: "user " + userName, Region: a.region,
		Broad: len(steps) > 1, ConfirmWord: userName, Reversible: true, Steps: steps, Impact: impact,
		Notes:    []string{"Sessions obtained earlier with these keys (GetSessionToken, AssumeRole) keep working until they expire: revoke them as well (iam.revoke-user-sessions, iam.revoke-role-sessions)."},
		UndoNote: "Undo makes the keys active again: whoever holds them, the intruder included, can sign with them again.",
	}, nil
}

// revokePolicy denies everything to sessions issued before cutoff, the
// document the IAM console writes when it revokes a role's sessions.
func revokePolicy(cutoff time.Time) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"%s"}}}]}`,
		cutoff.UTC().Format("2006-01-02T15:04:05Z")))
}

func (a *Account) planRevoke(isRole bool, name string) (app.Plan, error) {
	cutoff := a.now().Truncate(time.Second).Add(time.Second)
	when := cutoff.Format(time.RFC3339)
	var r app.Resource
	var action, target string
	var impact []string
	if isRole {
		if name == "" {
			return app.Plan{}, fmt.Errorf("%w: name the role (roleName)", app.ErrInvalid)
		}
		ro, err := a.w.role(name)
		if err != nil {
			return app.Plan{}, fmt.Errorf("read role %s: %w", name, err)
		}
		if strings.HasPrefix(ro.spec.Path, "/aws-service-role/") {
			return app.Plan{}, fmt.Errorf("%w: %s is a service-linked role; AWS does not let its sessions be revoked", app.ErrInvalid, name)
		}
		action, target = "iam.revoke-role-sessions", "role "+name
		r = app.Resource{Kind: app.ResourceRoleInlinePolicy, ID: map[string]string{"roleName": name, "policyName": revokePolicyName}, Name: revokePolicyName + " policy of role " + name}
		impact = []string{
			fmt.Sprintf("Every session of role %s issued before %s is denied every action, whoever holds it: applications, instances, functions and people using the role must get new credentials, legitimate ones too.", name, when),
			"Services that fetch the role's credentials by themselves (instance profiles, tasks, functions) get new ones within minutes, and so would an intruder controlling such a machine: deal with the machine too.",
			fmt.Sprintf("Sessions issued after %s keep working.", when),
		}
	} else {
		if name == "" {
			return app.Plan{}, fmt.Errorf("%w: name the user (userName)", app.ErrInvalid)
		}
		if _, err := a.w.user(name); err != nil {
			return app.Plan{}, fmt.Errorf("read user %s: %w", name, err)
		}
		action, target = "iam.revoke-user-sessions", "user "+name
		r = app.Resource{Kind: app.ResourceUserInlinePolicy, ID: map[string]string{"userName": name, "policyName": revokePolicyName}, Name: revokePolicyName + " policy of user " + name}
		impact = []string{
			fmt.Sprintf("Temporary credentials user %s obtained before %s (GetSessionToken, GetFederationToken) are denied every action, legitimate ones too.", name, when),
			"The user's access keys themselves keep working: deactivate them as well (iam.deactivate-access-key).",
		}
	}
	before, err := a.w.readState(r)
	if err != nil {
		return app.Plan{}, err
	}
	return app.Plan{
		Action: action, Title: fmt.Sprintf("Revoke the sessions of %s issued before %s", target, when), Target: target,
		Broad: true, ConfirmWord: name, Reversible: true, ValidFor: revokeValidity,
		Steps:  []app.ChangeStep{step(r, "", before, revokePolicy(cutoff))},
		Impact: impact,
		Notes: []string{
			"Apply within 15 minutes: sessions issued between the cut-off and the apply survive, so an older plan is refused.",
			"An existing " + revokePolicyName + " policy is replaced by this one, whose cut-off is later.",
		},
		UndoNote: fmt.Sprintf("Undo lets sessions issued before %s work again, the intruder's included.", when),
	}, nil
}

func (a *Account) planAccountBPA(account string, by app.Identity) (app.Plan, error) {
	if account == "" {
		account = by.Account
	}
	if account != a.sc.Account {
		return app.Plan{}, fmt.Errorf("%w: the connection acts in account %s and cannot set Block Public Access of account %s: connect with a profile of that account", app.ErrInvalid, a.sc.Account, account)
	}
	r := app.Resource{Kind: app.ResourceAccountBPA, ID: map[string]string{"accountId": account}, Name: "Block Public Access of account " + account}
	before, _ := a.w.readState(r)
	if changeplan.SameJSON(before, allBlocked) {
		return app.Plan{}, fmt.Errorf("account %s already blocks all public access: %w", account, app.ErrNoChange)
	}
	names := make([]string, 0, len(a.w.buckets))
	var public []string
	for _, b := range a.w.buckets {
		names = append(names, b.spec.Name)
		if res, err := a.w.evaluate(a.sc, b); err == nil && res.Public {
			public = append(public, b.spec.Name)
		}
	}
	count := fmt.Sprintf("%d bucket(s) today: %s.", len(names), strings.Join(names, ", "))
	if len(names) == 0 {
		count = "the account has no bucket yet."
	}
	impact := []string{
		fmt.Sprintf("Every bucket of account %s, and every bucket created later, stops honouring public ACLs and public bucket policies: %s", account, count),
		"Buckets public on purpose stop serving anonymous readers, legitimate ones too: static websites, public downloads and data sets, CDN origins fetched without an identity of their own.",
		"Grants to other accounts inside a public bucket policy stop too (RestrictPublicBuckets); grants to named principals of this account go on working.",
		"New public ACLs and public bucket policies are refused across the account, deployment tools and infrastructure-as-code included.",
	}
	if len(public) > 0 {
		impact = append(impact, "Public right now, and no longer after this: "+strings.Join(public, ", ")+".")
	}
	return app.Plan{
		Action: "s3control.block-public-access.account", Title: "Block all public access in account " + account,
		Target: "account " + account, Region: a.region, Broad: true, ConfirmWord: account, Reversible: true,
		Steps:  []app.ChangeStep{step(r, a.region, before, allBlocked)},
		Impact: impact,
		Notes: []string{
			"This setting reaches every bucket of the account, not only the one of this incident: make sure the account's owners know before you confirm.",
			"The policies and ACLs stay as written: turning the flags off brings every public grant back. Remove the grants too.",
		},
		UndoNote: "Undo restores the account's earlier flags (or removes the setting), and every public grant still in its buckets works again.",
	}, nil
}

func (a *Account) planDeleteKey(userName, key string) (app.Plan, error) {
	switch {
	case key == "":
		return app.Plan{}, fmt.Errorf("%w: name the key to delete (accessKeyId)", app.ErrInvalid)
	case strings.HasPrefix(key, "ASIA"):
		return app.Plan{}, fmt.Errorf("%w: %s is a temporary key of a session; it cannot be deleted, only outlived: revoke the sessions of the role or user that issued it", app.ErrInvalid, key)
	}
	if userName == "" {
		u, err := a.findKeyUser(key)
		if err != nil {
			return app.Plan{}, fmt.Errorf("find the user of access key %s: %w", key, err)
		}
		userName = u
	}
	r := changeplan.AccessKeyResource(app.ResourceAccessKey, userName, key)
	before, err := a.w.readState(r)
	if err != nil {
		return app.Plan{}, err
	}
	switch string(before) {
	case nullState:
		return app.Plan{}, fmt.Errorf("user %s has no access key %s (already deleted?): %w", userName, key, app.ErrNotFound)
	case `"Active"`:
		return app.Plan{}, fmt.Errorf("%w: access key %s of user %s is still active: deactivate it first (iam.deactivate-access-key), make sure nothing legitimate breaks, then delete it", app.ErrInvalid, key, userName)
	}
	_, k := a.w.keyOwner(key)
	use := "AWS has no record of its use"
	if k != nil {
		use = lastUse(k)
	}
	call, cli := changeplan.SetCall("", r, "", json.RawMessage(nullState))
	return app.Plan{
		Action: "iam.delete-access-key", Title: fmt.Sprintf("Delete access key %s of user %s for good", key, userName),
		Target: "user " + userName, Region: a.region, Broad: true, ConfirmWord: key, Reversible: false,
		Steps: []app.ChangeStep{{Resource: r, Before: before, After: json.RawMessage(nullState), Call: call, CLI: cli}},
		Impact: []string{
			fmt.Sprintf("Access key %s is destroyed: AWS cannot bring it back, and its secret can never sign again (%s).", key, use),
			fmt.Sprintf("Any program or person still needing programmatic access as %s must be given a new key.", userName),
		},
		Notes: []string{
			"IRREVERSIBLE: there is no undo. An inactive key is already useless to anyone; delete it once you are sure nothing needs it and its evidence is saved.",
			"CloudTrail events keep the key id, so the record of its earlier use stays.",
		},
	}, nil
}

func (a *Account) checkRole(name string) (*role, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: name the role (roleName)", app.ErrInvalid)
	}
	ro, err := a.w.role(name)
	if err != nil {
		return nil, fmt.Errorf("read role %s: %w", name, err)
	}
	if strings.HasPrefix(ro.spec.Path, "/aws-service-role/") {
		return nil, fmt.Errorf("%w: %s is a service-linked role; AWS does not let anyone change its policies", app.ErrInvalid, name)
	}
	return ro, nil
}

func (a *Account) planNeutralise(name string) (app.Plan, error) {
	if _, err := a.checkRole(name); err != nil {
		return app.Plan{}, err
	}
	r := app.Resource{Kind: app.ResourceRoleInlinePolicy, ID: map[string]string{"roleName": name, "policyName": denyAllPolicyName}, Name: denyAllPolicyName + " policy of role " + name}
	before, _ := a.w.readState(r)
	if changeplan.SameJSON(before, denyAllPolicy) {
		return app.Plan{}, fmt.Errorf("role %s is already neutralised by %s: %w", name, denyAllPolicyName, app.ErrNoChange)
	}
	return app.Plan{
		Action: "iam.neutralise-role", Title: "Neutralise role " + name + " (deny every action)",
		Target: "role " + name, Region: a.region, Broad: true, ConfirmWord: name, Reversible: true,
		Steps: []app.ChangeStep{step(r, "", before, denyAllPolicy)},
		Impact: []string{
			fmt.Sprintf("Every session of role %s, old and new, is denied every action: everything that uses the role stops working, legitimate users too (applications, instances, functions, pipelines, people).", name),
			"An explicit Deny outweighs every Allow, so the role's other policies no longer matter while this one is attached; they stay as they are.",
			"The role can still be assumed, but its new sessions can do nothing.",
		},
		Notes:    []string{"Find out how the intruder gets the role's credentials (trust policy, instance, key) before removing this policy."},
		UndoNote: "Undo removes the deny-all policy: every session of the role, the intruder's included if one is left, can act again.",
	}, nil
}

func (a *Account) planTrust(name, removeList, newDoc string) (app.Plan, error) {
	if err := changeplan.CheckTrustRequest(removeList, newDoc); err != nil {
		return app.Plan{}, err
	}
	ro, err := a.checkRole(name)
	if err != nil {
		return app.Plan{}, err
	}
	r := app.Resource{Kind: app.ResourceRoleTrustPolicy, ID: map[string]string{"roleName": name}, Name: "trust policy of role " + name}
	before := compact(ro.trust)
	after, removed, err := changeplan.EditTrust(name, before, removeList, newDoc)
	if err != nil {
		return app.Plan{}, err
	}
	var impact []string
	if removed == nil {
		impact = append(impact, fmt.Sprintf("Only the principals the new policy allows can assume role %s from now on; anyone the old one let in and the new one does not, legitimate callers included, is refused.", name))
	} else {
		impact = append(impact, fmt.Sprintf("%s can no longer assume role %s, whatever for, legitimate work included.", strings.Join(removed, ", "), name))
	}
	if changeplan.SameJSON(before, after) {
		return app.Plan{}, fmt.Errorf("the trust policy of %s is already as asked: %w", name, app.ErrNoChange)
	}
	maxSession := time.Duration(ro.spec.MaxSessionDuration) * time.Second
	impact = append(impact, fmt.Sprintf("Sessions already issued stay valid until they expire, up to %s (the role's maximum session duration) after they were issued: the trust policy is checked only when a session is asked for.", maxSession))
	return app.Plan{
		Action: "iam.update-trust-policy", Title: "Change who can assume role " + name,
		Target: "role " + name, Region: a.region, Broad: true, ConfirmWord: name, Reversible: true,
		Steps:    []app.ChangeStep{step(r, "", before, after)},
		Impact:   impact,
		Notes:    []string{"WARNING: sessions already issued are not ended. Revoke them too (iam.revoke-role-sessions), or neutralise the role (iam.neutralise-role) if the intruder must be stopped now."},
		UndoNote: "Undo restores the earlier trust policy: whoever it allowed, the intruder included, can assume the role again.",
	}, nil
}
