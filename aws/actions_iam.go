package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"s3responder/app"
	"s3responder/changeplan"
)

// The IAM changes of containment beyond deactivation and revocation:
// deleting a key for good, neutralising a role with an inline deny-all
// policy, and rewriting a role's trust policy.

// denyAllPolicyName names the inline policy that neutralises a role.
const denyAllPolicyName = changeplan.DenyAllPolicyName

// DenyAllPolicy is the inline policy that neutralises a role: an explicit
// Deny of every action, which no Allow anywhere can outweigh.
var DenyAllPolicy = changeplan.DenyAllPolicy

func accessKeyLifeResource(user, key string) app.Resource {
	return app.Resource{Kind: app.ResourceAccessKey, ID: map[string]string{"userName": user, "accessKeyId": key},
		Name: fmt.Sprintf("access key %s of user %s", key, user)}
}

func trustPolicyResource(role string) app.Resource {
	return app.Resource{Kind: app.ResourceRoleTrustPolicy, ID: map[string]string{"roleName": role}, Name: "trust policy of role " + role}
}

// readAccessKey returns "Active", "Inactive", or null once the key is
// deleted; a user that does not exist is an error, not an absent key.
func (c *Changer) readAccessKey(ctx context.Context, user, key string) (json.RawMessage, error) {
	if user == "" || key == "" {
		return nil, fmt.Errorf("%w: an access key needs its user and id", app.ErrInvalid)
	}
	keys, err := c.listKeys(ctx, user)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if sdkaws.ToString(k.AccessKeyId) == key {
			return json.Marshal(string(k.Status))
		}
	}
	return json.RawMessage(nullState), nil
}

func (c *Changer) writeAccessKey(ctx context.Context, user, key string, state json.RawMessage, absent bool) error {
	if absent {
		_, err := c.IAM.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: &user, AccessKeyId: &key})
		return err
	}
	var status string
	if err := json.Unmarshal(state, &status); err != nil || (status != "Active" && status != "Inactive") {
		return fmt.Errorf("%w: access key status %s", app.ErrInvalid, state)
	}
	_, err := c.IAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: &user, AccessKeyId: &key, Status: iamtypes.StatusType(status)})
	return err
}

func (c *Changer) readTrustPolicy(ctx context.Context, role string) (json.RawMessage, error) {
	out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &role})
	if err != nil {
		return nil, Explain(err, c.Profile)
	}
	if out.Role == nil || sdkaws.ToString(out.Role.AssumeRolePolicyDocument) == "" {
		return nil, fmt.Errorf("role %s came back without a trust policy", role)
	}
	return policyState(sdkaws.ToString(out.Role.AssumeRolePolicyDocument), true)
}

func (c *Changer) writeTrustPolicy(ctx context.Context, role string, state json.RawMessage, absent bool) error {
	if absent {
		return fmt.Errorf("%w: a role always has a trust policy; it cannot be removed", app.ErrInvalid)
	}
	doc := string(state)
	_, err := c.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: &role, PolicyDocument: &doc})
	return err
}

// findKeyUser returns the user of an access key.
func (c *Changer) findKeyUser(ctx context.Context, key string) (string, error) {
	out, err := c.IAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: &key})
	if err != nil {
		return "", fmt.Errorf("find the user of access key %s: %w", key, Explain(err, c.Profile))
	}
	user := sdkaws.ToString(out.UserName)
	if user == "" {
		return "", fmt.Errorf("access key %s %w in this account", key, app.ErrNotFound)
	}
	return user, nil
}

// planDeleteKey deletes one key that is already inactive. Deleting is
// final, so the plan insists on the order the playbook recommends:
// deactivate, watch that nothing legitimate breaks, then delete.
func (c *Changer) planDeleteKey(ctx context.Context, user, key string) (app.Plan, error) {
	switch {
	case key == "":
		return app.Plan{}, fmt.Errorf("%w: name the key to delete (accessKeyId)", app.ErrInvalid)
	case strings.HasPrefix(key, "ASIA"):
		return app.Plan{}, fmt.Errorf("%w: %s is a temporary key of a session; it cannot be deleted, only outlived: revoke the sessions of the role or user that issued it", app.ErrInvalid, key)
	}
	if user == "" {
		u, err := c.findKeyUser(ctx, key)
		if err != nil {
			return app.Plan{}, err
		}
		user = u
	}
	r := accessKeyLifeResource(user, key)
	before, err := c.ReadState(ctx, r)
	if err != nil {
		return app.Plan{}, err
	}
	switch string(before) {
	case nullState:
		return app.Plan{}, fmt.Errorf("user %s has no access key %s (already deleted?): %w", user, key, app.ErrNotFound)
	case `"Active"`:
		return app.Plan{}, fmt.Errorf("%w: access key %s of user %s is still active: deactivate it first (iam.deactivate-access-key), make sure nothing legitimate breaks, then delete it", app.ErrInvalid, key, user)
	}
	call, cli := changeplan.SetCall(c.Profile, r, "", json.RawMessage(nullState))
	return app.Plan{
		Action: "iam.delete-access-key", Title: fmt.Sprintf("Delete access key %s of user %s for good", key, user),
		Target: "user " + user, Region: c.Region, Broad: true, ConfirmWord: key, Reversible: false,
		Steps: []app.ChangeStep{{Resource: r, Before: before, After: json.RawMessage(nullState), Call: call, CLI: cli}},
		Impact: []string{
			fmt.Sprintf("Access key %s is destroyed: AWS cannot bring it back, and its secret can never sign anything again (%s).", key, c.lastUse(ctx, key)),
			fmt.Sprintf("Any program or person that still needs programmatic access as %s must be given a new key.", user),
		},
		Notes: []string{
			"IRREVERSIBLE: there is no undo. The key is inactive already, which stops its use just as well; delete it once you are sure it is not needed and its evidence is saved.",
			"CloudTrail events keep the key id, so the evidence of its earlier use is not affected.",
		},
	}, nil
}

// checkRole reads a role and refuses service-linked roles, which AWS
// manages and does not let anyone attach policies to.
func (c *Changer) checkRole(ctx context.Context, role string) (*iam.GetRoleOutput, error) {
	if role == "" {
		return nil, fmt.Errorf("%w: name the role (roleName)", app.ErrInvalid)
	}
	out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &role})
	if err != nil {
		return nil, fmt.Errorf("read role %s: %w", role, Explain(err, c.Profile))
	}
	if out.Role != nil && strings.HasPrefix(sdkaws.ToString(out.Role.Path), "/aws-service-role/") {
		return nil, fmt.Errorf("%w: %s is a service-linked role; AWS does not let anyone change its policies", app.ErrInvalid, role)
	}
	return out, nil
}

func (c *Changer) planNeutralise(ctx context.Context, role string) (app.Plan, error) {
	if _, err := c.checkRole(ctx, role); err != nil {
		return app.Plan{}, err
	}
	r := app.Resource{Kind: app.ResourceRoleInlinePolicy, ID: map[string]string{"roleName": role, "policyName": denyAllPolicyName},
		Name: denyAllPolicyName + " policy of role " + role}
	before, err := c.ReadState(ctx, r)
	if err != nil {
		return app.Plan{}, err
	}
	if changeplan.SameJSON(before, DenyAllPolicy) {
		return app.Plan{}, fmt.Errorf("role %s is already neutralised by %s: %w", role, denyAllPolicyName, app.ErrNoChange)
	}
	return app.Plan{
		Action: "iam.neutralise-role", Title: "Neutralise role " + role + " (deny every action)",
		Target: "role " + role, Region: c.Region, Broad: true, ConfirmWord: role, Reversible: true,
		Steps: []app.ChangeStep{c.step(r, "", before, DenyAllPolicy)},
		Impact: []string{
			fmt.Sprintf("Every session of role %s, those issued before and those issued after, is denied every action: every user of the role stops working, legitimate ones too (applications, instances, functions, pipelines, people).", role),
			"An explicit Deny outweighs every Allow, so the role's other policies no longer matter while this one is attached; they are left as they are.",
			"The role can still be assumed; the new sessions can do nothing. Services that depend on it fail until the policy is removed.",
		},
		Notes: []string{
			"Use this when the actor keeps obtaining fresh credentials for the role; revoking earlier sessions (iam.revoke-role-sessions) is the narrower choice when it does not.",
			"Find and fix how the actor gets the role's credentials (trust policy, instance, key pair) before removing this policy.",
		},
		UndoNote: "Undo removes the deny-all policy: every session of the role, the actor's included if it still has one, can act again.",
	}, nil
}

func (c *Changer) planTrust(ctx context.Context, role, removeList, newDoc string) (app.Plan, error) {
	if err := changeplan.CheckTrustRequest(removeList, newDoc); err != nil {
		return app.Plan{}, err
	}
	out, err := c.checkRole(ctx, role)
	if err != nil {
		return app.Plan{}, err
	}
	r := trustPolicyResource(role)
	before, err := c.ReadState(ctx, r)
	if err != nil {
		return app.Plan{}, err
	}
	after, removed, err := changeplan.EditTrust(role, before, removeList, newDoc)
	if err != nil {
		return app.Plan{}, err
	}
	var impact []string
	if removed == nil {
		impact = append(impact, fmt.Sprintf("Only the principals the new policy allows can assume role %s from now on; anyone the old policy let in and the new one does not, legitimate callers included, is refused.", role))
	} else {
		impact = append(impact, fmt.Sprintf("%s can no longer assume role %s, whatever they use it for, legitimate work included.", strings.Join(removed, ", "), role))
	}
	if changeplan.SameJSON(before, after) {
		return app.Plan{}, fmt.Errorf("the trust policy of %s is already as asked: %w", role, app.ErrNoChange)
	}
	maxSession := time.Hour
	if out.Role != nil && out.Role.MaxSessionDuration != nil {
		maxSession = time.Duration(*out.Role.MaxSessionDuration) * time.Second
	}
	impact = append(impact, fmt.Sprintf("Sessions already issued stay valid until they expire, up to %s (the role's maximum session duration) after they were issued: the trust policy is only checked when a session is requested.", maxSession))
	return app.Plan{
		Action: "iam.update-trust-policy", Title: "Change who can assume role " + role,
		Target: "role " + role, Region: c.Region, Broad: true, ConfirmWord: role, Reversible: true,
		Steps:  []app.ChangeStep{c.step(r, "", before, after)},
		Impact: impact,
		Notes: []string{
			"WARNING: this does not end sessions already issued. Revoke them too (iam.revoke-role-sessions), or neutralise the role (iam.neutralise-role) if the actor must be stopped now.",
		},
		UndoNote: "Undo restores the earlier trust policy: whoever it allowed, the actor included, can assume the role again.",
	}, nil
}
