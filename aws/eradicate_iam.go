package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"s3responder/app"
)

// The review of the IAM principals an incident involves (playbook 3.3.3):
// each user, role and access key named on the incident or in its evidence,
// read back from IAM with when it was last used, so the responder can
// decide what to remove. It only reads.

// keyReview is one access key of a reviewed user.
type keyReview struct {
	ID          string    `json:"accessKeyId"`
	Status      string    `json:"status"`
	Created     time.Time `json:"created,omitzero"`
	LastUsed    time.Time `json:"lastUsed,omitzero"`
	LastService string    `json:"lastUsedService,omitempty"`
	LastRegion  string    `json:"lastUsedRegion,omitempty"`
	// Named is true when the incident or its evidence names this key.
	Named bool `json:"named,omitempty"`
}

// principalReview is what IAM says about one principal.
type principalReview struct {
	// Kind is user, role, temporary-key, other-account, account or
	// unknown.
	Kind    string   `json:"kind"`
	Name    string   `json:"name,omitempty"`
	Account string   `json:"account,omitempty"`
	ARN     string   `json:"arn,omitempty"`
	Found   []string `json:"found"`
	From    []string `json:"from"`
	Exists  bool     `json:"exists"`
	Path    string   `json:"path,omitempty"`

	Created          time.Time   `json:"created,omitzero"`
	PasswordLastUsed time.Time   `json:"passwordLastUsed,omitzero"`
	AccessKeys       []keyReview `json:"accessKeys,omitempty"`
	Groups           []string    `json:"groups,omitempty"`

	LastUsed         time.Time `json:"roleLastUsed,omitzero"`
	LastUsedRegion   string    `json:"roleLastUsedRegion,omitempty"`
	TrustPolicy      string    `json:"trustPolicy,omitempty"`
	Sessions         []string  `json:"sessions,omitempty"`
	InstanceProfiles []string  `json:"instanceProfiles,omitempty"`

	AttachedPolicies []string `json:"attachedPolicies,omitempty"`
	InlinePolicies   []string `json:"inlinePolicies,omitempty"`
	Problems         []string `json:"problems,omitempty"`
}

var (
	longKeyRE  = regexp.MustCompile(`^AKIA[A-Z0-9]{16,124}$`)
	tempKeyRE  = regexp.MustCompile(`^ASIA[A-Z0-9]{16,124}$`)
	iamNameRE  = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	accountIDs = regexp.MustCompile(`^[0-9]{12}$`)
)

// principalKey says which IAM entity a value names: kind, account, name,
// and for a role session or a key, the session or key.
func principalKey(v, own string) (kind, account, name, extra string) {
	switch {
	case strings.HasPrefix(v, "arn:"):
		parts := strings.SplitN(v, ":", 6)
		if len(parts) != 6 {
			return "unknown", "", v, ""
		}
		account, res := parts[4], parts[5]
		if own != "" && account != own {
			return "other-account", account, "", v
		}
		seg := strings.Split(res, "/")
		switch {
		case parts[2] == "iam" && seg[0] == "user" && len(seg) > 1:
			return "user", account, seg[len(seg)-1], ""
		case parts[2] == "iam" && seg[0] == "role" && len(seg) > 1:
			return "role", account, seg[len(seg)-1], ""
		case parts[2] == "sts" && seg[0] == "assumed-role" && len(seg) > 2:
			return "role", account, seg[1], seg[2]
		case res == "root":
			return "account", account, "", ""
		}
		return "unknown", account, v, ""
	case longKeyRE.MatchString(v):
		return "access-key", own, "", v
	case tempKeyRE.MatchString(v):
		return "temporary-key", own, v, ""
	case accountIDs.MatchString(v):
		if v == own {
			return "account", v, "", ""
		}
		return "other-account", v, "", v
	case iamNameRE.MatchString(v):
		return "name", own, v, ""
	}
	return "unknown", "", v, ""
}

// iamCalls keeps every IAM answer of the review, keyed by call, for
// evidence.
type iamCalls map[string]json.RawMessage

func (m iamCalls) add(call string, out any, err error) {
	if err != nil {
		m[call] = errorJSON(StatusFailed, errorCode(err), err.Error())
		return
	}
	m[call] = rawJSON(out)
}

func (c *Changer) inspectPrincipals(ctx context.Context, refs []app.PrincipalRef, by app.Identity) (app.Inspection, error) {
	ix, err := c.iamx()
	if err != nil {
		return app.Inspection{}, err
	}
	rep := app.Inspection{Action: "iam.review-principals", Title: "IAM principals involved in the incident", Target: "account " + by.Account, Findings: []app.InspectFinding{}}
	calls := iamCalls{}
	byKey := map[string]*principalReview{}
	var order []string
	namedKeys := map[string]bool{}
	entry := func(kind, account, name string) *principalReview {
		k := kind + "|" + account + "|" + name
		if p, ok := byKey[k]; ok {
			return p
		}
		p := &principalReview{Kind: kind, Account: account, Name: name, Found: []string{}, From: []string{}}
		byKey[k] = p
		order = append(order, k)
		return p
	}
	note := func(p *principalReview, ref app.PrincipalRef) {
		p.Found = appendNew(p.Found, ref.Value)
		for _, f := range ref.From {
			p.From = appendNew(p.From, f)
		}
	}
	for _, ref := range refs {
		kind, account, name, extra := principalKey(ref.Value, by.Account)
		switch kind {
		case "access-key":
			namedKeys[extra] = true
			out, err := c.IAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: &extra})
			calls.add("GetAccessKeyLastUsed "+extra, out, err)
			if err != nil || sdkaws.ToString(out.UserName) == "" {
				p := entry("access-key", account, extra)
				note(p, ref)
				p.Problems = append(p.Problems, "no user of this account holds the key (deleted, or another account's)")
				continue
			}
			note(entry("user", account, sdkaws.ToString(out.UserName)), ref)
		case "name":
			if _, err := c.IAM.GetUser(ctx, &iam.GetUserInput{UserName: &name}); err == nil {
				note(entry("user", account, name), ref)
			} else {
				note(entry("role", account, name), ref)
			}
		case "role":
			p := entry(kind, account, name)
			note(p, ref)
			if extra != "" {
				p.Sessions = appendNew(p.Sessions, extra)
			}
		default:
			note(entry(kind, account, name), ref)
		}
	}
	var out []*principalReview
	for _, k := range order {
		p := byKey[k]
		switch p.Kind {
		case "user":
			c.reviewUser(ctx, ix, p, calls, namedKeys)
		case "role":
			c.reviewRole(ctx, ix, p, calls)
		}
		rep.Findings = append(rep.Findings, c.principalFinding(p, by))
		out = append(out, p)
	}
	users, roles := 0, 0
	for _, p := range out {
		switch {
		case p.Kind == "user" && p.Exists:
			users++
		case p.Kind == "role" && p.Exists:
			roles++
		}
	}
	rep.Summary = fmt.Sprintf("%d principal(s) reviewed from %d reference(s): %d IAM user(s) and %d role(s) of this account exist; %d finding(s) are high.", len(out), len(refs), users, roles, rep.Count(app.SeverityHigh))
	if len(refs) == 0 {
		rep.Summary = "No principal is named on the incident or in its evidence: add them to the incident (or the principals parameter) and review again."
	}
	rep.Guidance = []string{
		"For each principal decide: legitimate (keep, maybe narrow its policies), compromised (rotate or remove), or created by the actor (remove). CloudTrail's CreateUser, CreateRole, CreateAccessKey and UpdateAssumeRolePolicy events show what was added.",
		"Deactivate an access key before deleting it, and delete it only once nothing legitimate uses it (iam.deactivate-access-key, iam.delete-access-key). A role can be neutralised at once (iam.neutralise-role) and deleted later.",
		"Removing a user takes its access keys, login profile, MFA devices, group memberships and policies first; removing a role takes its policies and instance profiles first. The commands in each finding go in that order.",
		"Principals of other accounts cannot be read from here: remove them from the bucket policy and trust policies, and tell that account's owner.",
	}
	rep.Commands = []string{c.command("", "iam", "get-account-authorization-details", "--filter", "User", "Role")}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return rep, fmt.Errorf("encode the principals: %w", err)
	}
	rep.Detail = data
	raw, err := json.MarshalIndent(calls, "", "  ")
	if err != nil {
		return rep, fmt.Errorf("encode the IAM answers: %w", err)
	}
	rep.Items = []app.Collected{{Title: "IAM answers about the principals involved (users, keys with last use, roles)", Kind: app.EvidenceAWSResponse,
		MediaType: "application/json", FileName: "iam-principals.json", CollectedAt: c.now(), Data: raw,
		Source: source(by.Account, "", "GetUser, ListAccessKeys, GetAccessKeyLastUsed, ListGroupsForUser, ListAttachedUserPolicies, ListUserPolicies, GetRole, ListAttachedRolePolicies, ListRolePolicies, ListInstanceProfilesForRole", nil)}}
	return rep, nil
}

func appendNew(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func (c *Changer) reviewUser(ctx context.Context, ix EradicateIAMAPI, p *principalReview, calls iamCalls, named map[string]bool) {
	name := p.Name
	u, err := c.IAM.GetUser(ctx, &iam.GetUserInput{UserName: &name})
	calls.add("GetUser "+name, u, err)
	if err != nil {
		p.Problems = append(p.Problems, "GetUser: "+Explain(err, c.Profile).Error())
		return
	}
	p.Exists = true
	if u.User != nil {
		p.ARN, p.Path = sdkaws.ToString(u.User.Arn), sdkaws.ToString(u.User.Path)
		if u.User.CreateDate != nil {
			p.Created = u.User.CreateDate.UTC()
		}
		if u.User.PasswordLastUsed != nil {
			p.PasswordLastUsed = u.User.PasswordLastUsed.UTC()
		}
	}
	keys, err := c.listKeys(ctx, name)
	calls.add("ListAccessKeys "+name, map[string]any{"AccessKeyMetadata": keys}, err)
	if err != nil {
		p.Problems = append(p.Problems, "ListAccessKeys: "+err.Error())
	}
	for _, k := range keys {
		kr := keyReview{ID: sdkaws.ToString(k.AccessKeyId), Status: string(k.Status), Named: named[sdkaws.ToString(k.AccessKeyId)]}
		if k.CreateDate != nil {
			kr.Created = k.CreateDate.UTC()
		}
		lu, err := c.IAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
		calls.add("GetAccessKeyLastUsed "+kr.ID, lu, err)
		switch {
		case err != nil:
			p.Problems = append(p.Problems, "GetAccessKeyLastUsed "+kr.ID+": "+Explain(err, c.Profile).Error())
		case lu.AccessKeyLastUsed != nil:
			if lu.AccessKeyLastUsed.LastUsedDate != nil {
				kr.LastUsed = lu.AccessKeyLastUsed.LastUsedDate.UTC()
			}
			kr.LastService, kr.LastRegion = sdkaws.ToString(lu.AccessKeyLastUsed.ServiceName), sdkaws.ToString(lu.AccessKeyLastUsed.Region)
		}
		p.AccessKeys = append(p.AccessKeys, kr)
	}
	if g, err := ix.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: &name}); err != nil {
		calls.add("ListGroupsForUser "+name, nil, err)
		p.Problems = append(p.Problems, "ListGroupsForUser: "+Explain(err, c.Profile).Error())
	} else {
		calls.add("ListGroupsForUser "+name, g, nil)
		for _, gr := range g.Groups {
			p.Groups = append(p.Groups, sdkaws.ToString(gr.GroupName))
		}
	}
	if a, err := ix.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: &name}); err != nil {
		calls.add("ListAttachedUserPolicies "+name, nil, err)
		p.Problems = append(p.Problems, "ListAttachedUserPolicies: "+Explain(err, c.Profile).Error())
	} else {
		calls.add("ListAttachedUserPolicies "+name, a, nil)
		for _, ap := range a.AttachedPolicies {
			p.AttachedPolicies = append(p.AttachedPolicies, sdkaws.ToString(ap.PolicyArn))
		}
	}
	if l, err := ix.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: &name}); err != nil {
		calls.add("ListUserPolicies "+name, nil, err)
		p.Problems = append(p.Problems, "ListUserPolicies: "+Explain(err, c.Profile).Error())
	} else {
		calls.add("ListUserPolicies "+name, l, nil)
		p.InlinePolicies = append(p.InlinePolicies, l.PolicyNames...)
	}
}

func (c *Changer) reviewRole(ctx context.Context, ix EradicateIAMAPI, p *principalReview, calls iamCalls) {
	name := p.Name
	r, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: &name})
	calls.add("GetRole "+name, r, err)
	if err != nil {
		p.Problems = append(p.Problems, "GetRole: "+Explain(err, c.Profile).Error())
		return
	}
	p.Exists = true
	if r.Role != nil {
		p.ARN, p.Path = sdkaws.ToString(r.Role.Arn), sdkaws.ToString(r.Role.Path)
		if r.Role.CreateDate != nil {
			p.Created = r.Role.CreateDate.UTC()
		}
		if lu := r.Role.RoleLastUsed; lu != nil && lu.LastUsedDate != nil {
			p.LastUsed, p.LastUsedRegion = lu.LastUsedDate.UTC(), sdkaws.ToString(lu.Region)
		}
		if doc, err := url.QueryUnescape(sdkaws.ToString(r.Role.AssumeRolePolicyDocument)); err == nil {
			p.TrustPolicy = doc
		}
	}
	if a, err := ix.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: &name}); err != nil {
		calls.add("ListAttachedRolePolicies "+name, nil, err)
		p.Problems = append(p.Problems, "ListAttachedRolePolicies: "+Explain(err, c.Profile).Error())
	} else {
		calls.add("ListAttachedRolePolicies "+name, a, nil)
		for _, ap := range a.AttachedPolicies {
			p.AttachedPolicies = append(p.AttachedPolicies, sdkaws.ToString(ap.PolicyArn))
		}
	}
	if l, err := ix.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: &name}); err != nil {
		calls.add("ListRolePolicies "+name, nil, err)
		p.Problems = append(p.Problems, "ListRolePolicies: "+Explain(err, c.Profile).Error())
	} else {
		calls.add("ListRolePolicies "+name, l, nil)
		p.InlinePolicies = append(p.InlinePolicies, l.PolicyNames...)
	}
	if ip, err := ix.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: &name}); err != nil {
		calls.add("ListInstanceProfilesForRole "+name, nil, err)
		p.Problems = append(p.Problems, "ListInstanceProfilesForRole: "+Explain(err, c.Profile).Error())
	} else {
		calls.add("ListInstanceProfilesForRole "+name, ip, nil)
		for _, pr := range ip.InstanceProfiles {
			p.InstanceProfiles = append(p.InstanceProfiles, sdkaws.ToString(pr.InstanceProfileName))
		}
	}
	sort.Strings(p.Sessions)
}

// when writes a time for a finding, "never" when zero.
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format(time.RFC3339)
}

// principalFinding says what was found about a principal and the
// commands that would remove it, in the order IAM requires.
func (c *Changer) principalFinding(p *principalReview, by app.Identity) app.InspectFinding {
	from := " (named by " + strings.Join(p.From, ", ") + ")"
	switch p.Kind {
	case "user":
		f := app.InspectFinding{Severity: app.SeverityMedium, Subject: "user " + p.Name}
		if !p.Exists {
			f.Severity, f.Text = app.SeverityLow, "No such user in account "+by.Account+" (already deleted?)"+from+"."
			return f
		}
		var keys []string
		active := 0
		var fix []string
		for _, k := range p.AccessKeys {
			use := "never used"
			if !k.LastUsed.IsZero() {
				use = fmt.Sprintf("last used %s with %s in %s", when(k.LastUsed), k.LastService, k.LastRegion)
			}
			keys = append(keys, fmt.Sprintf("%s %s, created %s, %s", k.ID, k.Status, when(k.Created), use))
			if k.Status == "Active" {
				active++
				fix = append(fix, c.command("", "iam", "update-access-key", "--user-name", p.Name, "--access-key-id", k.ID, "--status", "Inactive"))
			}
		}
		for _, k := range p.AccessKeys {
			fix = append(fix, c.command("", "iam", "delete-access-key", "--user-name", p.Name, "--access-key-id", k.ID))
		}
		if active > 0 {
			f.Severity = app.SeverityHigh
		}
		text := fmt.Sprintf("User %s%s: created %s, console password last used %s; %d access key(s)", p.Name, from, when(p.Created), when(p.PasswordLastUsed), len(p.AccessKeys))
		if len(keys) > 0 {
			text += ": " + strings.Join(keys, "; ")
		}
		text += fmt.Sprintf(". Groups: %s. Attached policies: %s. Inline policies: %s.", listOrNone(p.Groups), listOrNone(p.AttachedPolicies), listOrNone(p.InlinePolicies))
		if active > 0 {
			text += fmt.Sprintf(" %d key(s) still active: whoever holds them can still sign requests.", active)
		}
		f.Text = text
		fix = append(fix, c.command("", "iam", "delete-login-profile", "--user-name", p.Name))
		for _, g := range p.Groups {
			fix = append(fix, c.command("", "iam", "remove-user-from-group", "--user-name", p.Name, "--group-name", g))
		}
		for _, a := range p.AttachedPolicies {
			fix = append(fix, c.command("", "iam", "detach-user-policy", "--user-name", p.Name, "--policy-arn", a))
		}
		for _, n := range p.InlinePolicies {
			fix = append(fix, c.command("", "iam", "delete-user-policy", "--user-name", p.Name, "--policy-name", n))
		}
		fix = append(fix, c.command("", "iam", "delete-user", "--user-name", p.Name))
		f.Fix = strings.Join(fix, "\n")
		return f
	case "role":
		f := app.InspectFinding{Severity: app.SeverityMedium, Subject: "role " + p.Name}
		if !p.Exists {
			f.Severity, f.Text = app.SeverityLow, "No such role in account "+by.Account+" (already deleted?)"+from+"."
			return f
		}
		text := fmt.Sprintf("Role %s%s: created %s, last used %s", p.Name, from, when(p.Created), when(p.LastUsed))
		if p.LastUsedRegion != "" {
			text += " in " + p.LastUsedRegion
		}
		if len(p.Sessions) > 0 {
			text += "; sessions seen: " + strings.Join(p.Sessions, ", ")
		}
		text += fmt.Sprintf(". Attached policies: %s. Inline policies: %s. Instance profiles: %s. Trust policy: %s", listOrNone(p.AttachedPolicies), listOrNone(p.InlinePolicies), listOrNone(p.InstanceProfiles), p.TrustPolicy)
		if strings.HasPrefix(p.Path, "/aws-service-role/") {
			f.Severity = app.SeverityInfo
			f.Text = text + ". It is a service-linked role: AWS manages it and only the service can delete it."
			return f
		}
		f.Text = text
		var fix []string
		for _, ip := range p.InstanceProfiles {
			fix = append(fix, c.command("", "iam", "remove-role-from-instance-profile", "--instance-profile-name", ip, "--role-name", p.Name))
		}
		for _, a := range p.AttachedPolicies {
			fix = append(fix, c.command("", "iam", "detach-role-policy", "--role-name", p.Name, "--policy-arn", a))
		}
		for _, n := range p.InlinePolicies {
			fix = append(fix, c.command("", "iam", "delete-role-policy", "--role-name", p.Name, "--policy-name", n))
		}
		fix = append(fix, c.command("", "iam", "delete-role", "--role-name", p.Name))
		f.Fix = strings.Join(fix, "\n")
		return f
	case "temporary-key":
		return app.InspectFinding{Severity: app.SeverityMedium, Subject: "temporary key " + p.Name,
			Text: "Temporary credentials" + from + " cannot be listed, deactivated or deleted: find the role or user that issued them in the userIdentity of their CloudTrail events and revoke that role's or user's sessions (iam.revoke-role-sessions, iam.revoke-user-sessions)."}
	case "other-account":
		return app.InspectFinding{Severity: app.SeverityMedium, Subject: "account " + p.Account,
			Text: fmt.Sprintf("%s belongs to account %s, not %s%s: it cannot be read from here. Remove it from the bucket policy and trust policies, and tell that account's owner.", strings.Join(p.Found, ", "), p.Account, by.Account, from)}
	case "account":
		return app.InspectFinding{Severity: app.SeverityInfo, Subject: "account " + p.Account,
			Text: "The account itself (its root)" + from + ": check that the root user has MFA and no access keys."}
	case "access-key":
		return app.InspectFinding{Severity: app.SeverityLow, Subject: "access key " + p.Name,
			Text: "Access key " + p.Name + from + ": " + strings.Join(p.Problems, "; ") + "."}
	}
	return app.InspectFinding{Severity: app.SeverityInfo, Subject: strings.Join(p.Found, ", "),
		Text: "Not an IAM user, role, access key or account id" + from + ": nothing to read in IAM."}
}

func listOrNone(v []string) string {
	if len(v) == 0 {
		return "none"
	}
	return strings.Join(v, ", ")
}
