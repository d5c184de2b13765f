package changeplan

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"s3responder/app"
)

// shellSafe are arguments the shell takes as they are.
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// ShellQuote quotes an argument for a POSIX shell: single quotes, with
// each single quote inside ending the quoted part, escaped, and reopening it.
func ShellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Command renders an AWS CLI command line, with the region for regional
// services and the profile when there is one, so that it can be pasted as
// is. The simulated account gives no profile: its commands are what a team
// would run against AWS.
func Command(profile, region string, args ...string) string {
	parts := []string{"aws"}
	for _, a := range args {
		parts = append(parts, ShellQuote(a))
	}
	if region != "" {
		parts = append(parts, "--region", ShellQuote(region))
	}
	if profile != "" {
		parts = append(parts, "--profile", ShellQuote(profile))
	}
	return strings.Join(parts, " ")
}

// bpaState is Block Public Access as the plans write it.
type bpaState struct {
	BlockPublicAcls       bool `json:"BlockPublicAcls"`
	IgnorePublicAcls      bool `json:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `json:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `json:"RestrictPublicBuckets"`
}

// BPAFlags renders a Block Public Access state as the AWS CLI's
// --public-access-block-configuration shorthand.
func BPAFlags(state json.RawMessage) string {
	var v bpaState
	_ = json.Unmarshal(state, &v) // states come from the plans' own JSON
	return fmt.Sprintf("BlockPublicAcls=%t,IgnorePublicAcls=%t,BlockPublicPolicy=%t,RestrictPublicBuckets=%t",
		v.BlockPublicAcls, v.IgnorePublicAcls, v.BlockPublicPolicy, v.RestrictPublicBuckets)
}

// SetCall names the AWS call and the CLI command that set r to state
// (Null: remove it); both are empty for a kind it does not know.
func SetCall(profile string, r app.Resource, region string, state json.RawMessage) (string, string) {
	absent := string(state) == Null
	id := r.ID
	cmd := func(region string, args ...string) string { return Command(profile, region, args...) }
	switch r.Kind {
	case app.ResourceBucketPolicy:
		if absent {
			return "DeleteBucketPolicy", cmd(region, "s3api", "delete-bucket-policy", "--bucket", id["bucket"])
		}
		return "PutBucketPolicy", cmd(region, "s3api", "put-bucket-policy", "--bucket", id["bucket"], "--policy", string(state))
	case app.ResourceBucketBPA:
		if absent {
			return "DeletePublicAccessBlock", cmd(region, "s3api", "delete-public-access-block", "--bucket", id["bucket"])
		}
		return "PutPublicAccessBlock", cmd(region, "s3api", "put-public-access-block", "--bucket", id["bucket"], "--public-access-block-configuration", BPAFlags(state))
	case app.ResourceAccountBPA:
		if absent {
			return "DeletePublicAccessBlock", cmd(region, "s3control", "delete-public-access-block", "--account-id", id["accountId"])
		}
		return "PutPublicAccessBlock", cmd(region, "s3control", "put-public-access-block", "--account-id", id["accountId"], "--public-access-block-configuration", BPAFlags(state))
	case app.ResourceAccessKeyStatus, app.ResourceAccessKey:
		if absent {
			return "DeleteAccessKey", cmd("", "iam", "delete-access-key", "--user-name", id["userName"], "--access-key-id", id["accessKeyId"])
		}
		var status string
		_ = json.Unmarshal(state, &status)
		return "UpdateAccessKey", cmd("", "iam", "update-access-key", "--user-name", id["userName"], "--access-key-id", id["accessKeyId"], "--status", status)
	case app.ResourceRoleInlinePolicy:
		if absent {
			return "DeleteRolePolicy", cmd("", "iam", "delete-role-policy", "--role-name", id["roleName"], "--policy-name", id["policyName"])
		}
		return "PutRolePolicy", cmd("", "iam", "put-role-policy", "--role-name", id["roleName"], "--policy-name", id["policyName"], "--policy-document", string(state))
	case app.ResourceUserInlinePolicy:
		if absent {
			return "DeleteUserPolicy", cmd("", "iam", "delete-user-policy", "--user-name", id["userName"], "--policy-name", id["policyName"])
		}
		return "PutUserPolicy", cmd("", "iam", "put-user-policy", "--user-name", id["userName"], "--policy-name", id["policyName"], "--policy-document", string(state))
	case app.ResourceBucketACL:
		return "PutBucketAcl", cmd(region, "s3api", "put-bucket-acl", "--bucket", id["bucket"], "--access-control-policy", string(state))
	case app.ResourceRoleTrustPolicy:
		return "UpdateAssumeRolePolicy", cmd("", "iam", "update-assume-role-policy", "--role-name", id["roleName"], "--policy-document", string(state))
	}
	return "", ""
}

// Step builds a reversible step with its calls and commands both ways.
func Step(profile string, r app.Resource, region string, before, after json.RawMessage) app.ChangeStep {
	before, after = Compact(before), Compact(after)
	call, cli := SetCall(profile, r, region, after)
	undoCall, undoCLI := SetCall(profile, r, region, before)
	return app.ChangeStep{Resource: r, Before: before, After: after, Call: call, CLI: cli, UndoCall: undoCall, UndoCLI: undoCLI}
}
