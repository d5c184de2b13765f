package tabletop

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"s3responder/app"
	"s3responder/exposure"
)

// The read-only inspections of Part 3 that the scenario's state can
// answer: the policy review (the same review aws runs, on the bucket's
// current policy), the Object Lock and MFA Delete settings (a scenario
// has neither, so both are off) and the review of the IAM principals the
// scenario defines. The EC2 lookups need instances no scenario has, so
// they are refused rather than answered with a made-up empty list.

var _ app.Inspector = (*Account)(nil)

// Inspect runs a read-only action of Part 3 on the simulated account
// (app.Inspector).
func (a *Account) Inspect(ctx context.Context, req app.InspectRequest, _ app.Identity) (app.Inspection, error) {
	if err := ctx.Err(); err != nil {
		return app.Inspection{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	bucket := strings.TrimSpace(req.Params["bucket"])
	switch req.Action {
	case exposure.PolicyReviewAction:
		return a.inspectPolicy(bucket)
	case "s3.object-lock-status":
		return a.inspectObjectLock(bucket)
	case "s3.mfa-delete-guide":
		return a.inspectMFADelete(bucket)
	case "iam.review-principals":
		return a.inspectPrincipals(req.Principals)
	}
	return app.Inspection{}, fmt.Errorf("%w: %s is not simulated by the tabletop account (the scenario has no EC2 instances); run it on a real account", app.ErrInvalid, req.Action)
}

func (a *Account) inspectBucket(name string) (*bucket, string, error) {
	if name == "" {
		return nil, "", fmt.Errorf("%w: a bucket name is needed", app.ErrInvalid)
	}
	b, err := a.w.bucket(name)
	if err != nil {
		return nil, "", err
	}
	region := b.spec.Region
	if region == "" {
		region = a.region
	}
	return b, region, nil
}

func (a *Account) inspectPolicy(name string) (app.Inspection, error) {
	b, region, err := a.inspectBucket(name)
	if err != nil {
		return app.Inspection{}, err
	}
	rep, err := exposure.ReviewPolicy(b.policy, name, a.sc.Account)
	if err != nil {
		return rep, fmt.Errorf("review the policy of %s: %w", name, err)
	}
	answer := any(map[string]string{"Policy": b.policy})
	title := "Policy of bucket " + name
	if b.policy == "" {
		answer, title = map[string]string{"Code": "NoSuchBucketPolicy"}, title+" (not configured)"
	}
	rep.Items = []app.Collected{a.jsonItem(title, name+"-policy.json", region, "GetBucketPolicy", map[string]string{"Bucket": name}, answer)}
	return rep, nil
}

// versioning is the bucket's versioning status as GetBucketVersioning
// words it; the scenario never has MFA Delete on.
func versioning(b *bucket) map[string]string {
	out := map[string]string{}
	if b.spec.Versioning != "" {
		out["Status"] = b.spec.Versioning
		out["MFADelete"] = "Disabled"
	}
	return out
}

func statusOf(b *bucket) string {
	if b.spec.Versioning == "" {
		return "never enabled"
	}
	return b.spec.Versioning
}

func (a *Account) inspectObjectLock(name string) (app.Inspection, error) {
	b, region, err := a.inspectBucket(name)
	if err != nil {
		return app.Inspection{}, err
	}
	params := map[string]string{"Bucket": name}
	status := statusOf(b)
	retention := "aws s3api put-object-lock-configuration --bucket " + name + ` --object-lock-configuration '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":30}}}'`
	rep := app.Inspection{Action: "s3.object-lock-status", Title: "Object Lock of bucket " + name, Target: "bucket " + name,
		Summary: fmt.Sprintf("Object Lock is off on %s (versioning %s): any principal allowed to can delete or overwrite every object version.", name, status),
		Findings: []app.InspectFinding{{Severity: app.SeverityLow, Subject: "bucket " + name,
			Text: "Object Lock is off. Where data must outlive a compromised administrator, it keeps versions from deletion for a retention period; once on, it stays on.",
			Fix:  retention}},
		Guidance: []string{
			"Object Lock works on versioned buckets only, and turning it on for an existing bucket is final: deletes that applications or lifecycle rules rely on may start failing.",
			"In governance mode a few privileged principals can still lift a retention; in compliance mode nobody can, so keep that for data that must legally be kept.",
			"The app never turns Object Lock on, since it cannot be undone; the commands show how.",
		},
		Commands: []string{"aws s3api get-object-lock-configuration --bucket " + name, retention},
		Items: []app.Collected{
			a.jsonItem("Object Lock configuration of bucket "+name+" (not configured)", name+"-object-lock.json", region, "GetObjectLockConfiguration", params,
				map[string]string{"Code": "ObjectLockConfigurationNotFoundError"}),
			a.jsonItem("Versioning of bucket "+name, name+"-versioning.json", region, "GetBucketVersioning", params, versioning(b)),
		},
	}
	rep.Detail = marshal(map[string]string{"bucket": name, "versioning": status, "objectLock": "off"})
	return rep, nil
}

func (a *Account) inspectMFADelete(name string) (app.Inspection, error) {
	b, region, err := a.inspectBucket(name)
	if err != nil {
		return app.Inspection{}, err
	}
	status := statusOf(b)
	command := "aws s3api put-bucket-versioning --bucket " + name + ` --versioning-configuration Status=Enabled,MFADelete=Enabled --mfa "SERIAL TOKEN"`
	rep := app.Inspection{Action: "s3.mfa-delete-guide", Title: "MFA Delete for bucket " + name, Target: "bucket " + name,
		Summary: fmt.Sprintf("MFA Delete is off for %s (versioning %s): only the root user can turn it on, with the command below.", name, status),
		Findings: []app.InspectFinding{{Severity: app.SeverityMedium, Subject: "bucket " + name,
			Text: "MFA Delete is off: whoever is allowed to can remove object versions for good or suspend versioning without a second factor.",
			Fix:  command}},
		Guidance: []string{
			"Only the account's root user, with its own MFA device, can turn MFA Delete on, and only through the CLI or API; the app never sends the command.",
			"Replace SERIAL with the root MFA device's serial or ARN (arn:aws:iam::" + a.sc.Account + ":mfa/...) and TOKEN with its current code.",
			"The command also turns versioning on; afterwards S3 refuses lifecycle rules on the bucket.",
		},
		Commands: []string{command, "aws s3api get-bucket-versioning --bucket " + name},
		Items: []app.Collected{a.jsonItem("Versioning and MFA Delete of bucket "+name, name+"-versioning.json", region, "GetBucketVersioning",
			map[string]string{"Bucket": name}, versioning(b))},
	}
	rep.Detail = marshal(map[string]string{"bucket": name, "versioning": status, "mfaDelete": "Disabled", "command": command})
	return rep, nil
}

// reviewedPrincipal is one principal of the review, as kept in Detail.
type reviewedPrincipal struct {
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	ARN        string   `json:"arn,omitempty"`
	Exists     bool     `json:"exists"`
	Found      []string `json:"found"`
	From       []string `json:"from"`
	ActiveKeys []string `json:"activeKeys,omitempty"`
	Policies   []string `json:"policies,omitempty"`
}

// resolve finds which user or role of the scenario a reference names:
// an ARN, an access key id, or a bare name.
func (a *Account) resolve(v string) (kind string, u *user, r *role) {
	name := v
	if i := strings.LastIndex(v, "/"); strings.HasPrefix(v, "arn:") && i >= 0 {
		name = v[i+1:]
		if strings.Contains(v, ":assumed-role/") {
			parts := strings.Split(v, "/")
			name = parts[1]
		}
	}
	if owner, _ := a.w.keyOwner(v); owner != nil {
		return "user", owner, nil
	}
	if x, err := a.w.user(name); err == nil && !strings.Contains(v, ":role/") && !strings.Contains(v, ":assumed-role/") {
		return "user", x, nil
	}
	if x, err := a.w.role(name); err == nil && !strings.Contains(v, ":user/") {
		return "role", nil, x
	}
	return "unknown", nil, nil
}

func (a *Account) inspectPrincipals(refs []app.PrincipalRef) (app.Inspection, error) {
	rep := app.Inspection{Action: "iam.review-principals", Title: "IAM principals involved in the incident", Target: "account " + a.sc.Account, Findings: []app.InspectFinding{}}
	var order []string
	seen := map[string]*reviewedPrincipal{}
	for _, ref := range refs {
		v := strings.TrimSpace(ref.Value)
		if v == "" {
			continue
		}
		kind, u, r := a.resolve(v)
		p := &reviewedPrincipal{Kind: kind, Name: v}
		switch {
		case u != nil:
			p.Name, p.ARN, p.Exists = u.spec.Name, u.arn, true
			for _, k := range u.keys {
				if !k.deleted && k.status == "Active" {
					p.ActiveKeys = append(p.ActiveKeys, k.spec.ID)
				}
			}
			p.Policies = policyNames(u.inline, u.spec.AttachedPolicies)
		case r != nil:
			p.Name, p.ARN, p.Exists = r.spec.Name, r.arn, true
			p.Policies = policyNames(r.inline, r.spec.AttachedPolicies)
		}
		key := p.Kind + "|" + p.Name
		if old, ok := seen[key]; ok {
			p = old
		} else {
			seen[key] = p
			order = append(order, key)
		}
		p.Found = appendNew(p.Found, v)
		for _, f := range ref.From {
			p.From = appendNew(p.From, f)
		}
	}
	var detail []*reviewedPrincipal
	users, roles := 0, 0
	for _, k := range order {
		p := seen[k]
		detail = append(detail, p)
		f := app.InspectFinding{Subject: p.Kind + " " + p.Name}
		switch {
		case p.Kind == "user" && len(p.ActiveKeys) > 0:
			users++
			f.Severity = app.SeverityHigh
			f.Text = fmt.Sprintf("User %s still has active access key(s) %s and policies %s: deactivate the keys involved and trim the policies to what the user needs.",
				p.Name, strings.Join(p.ActiveKeys, ", "), listOrNone(p.Policies))
			f.Fix = "aws iam update-access-key --user-name " + p.Name + " --access-key-id " + p.ActiveKeys[0] + " --status Inactive"
		case p.Kind == "user":
			users++
			f.Severity = app.SeverityMedium
			f.Text = fmt.Sprintf("User %s has no active access key; its policies (%s) still deserve a least-privilege review.", p.Name, listOrNone(p.Policies))
		case p.Kind == "role":
			roles++
			f.Severity = app.SeverityMedium
			f.Text = fmt.Sprintf("Role %s: review who may assume it (trust policy) and its policies (%s); revoke its current sessions if it was misused.", p.Name, listOrNone(p.Policies))
			f.Fix = "aws iam get-role --role-name " + p.Name
		default:
			f.Severity = app.SeverityInfo
			f.Text = fmt.Sprintf("%s names no user, role or access key of the simulated account.", p.Name)
		}
		rep.Findings = append(rep.Findings, f)
	}
	rep.Summary = fmt.Sprintf("%d principal(s) reviewed: %d user(s) and %d role(s) of the account.", len(order), users, roles)
	if len(order) == 0 {
		rep.Summary = "No principal to review: name some in the incident or in the parameter."
	}
	rep.Guidance = []string{
		"Deactivate (then delete) the access keys used in the incident, and give the user new ones only once the cause is understood.",
		"Trim each principal's policies to the actions and resources it uses; the IAM last-accessed data shows what that is.",
	}
	rep.Items = []app.Collected{a.jsonItem("IAM principals of the incident", "iam-principals.json", a.region, "GetUser/GetRole/ListAccessKeys", nil, detail)}
	rep.Detail = marshal(detail)
	return rep, nil
}

func policyNames(inline map[string]string, attached []string) []string {
	var out []string
	for name := range inline {
		out = append(out, "inline "+name)
	}
	slices.Sort(out)
	out = append(out, attached...)
	return out
}

func listOrNone(v []string) string {
	if len(v) == 0 {
		return "none"
	}
	return strings.Join(v, ", ")
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}
