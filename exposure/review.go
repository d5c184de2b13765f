package exposure

import (
	"encoding/json"
	"fmt"
	"strings"

	"s3responder/app"
)

// The least-privilege review of a bucket policy (playbook step 3.2.2). It
// goes further than the public/shared verdict: a policy that is not public
// can still grant more than anyone needs. It works on the document alone,
// so it runs the same online, on evidence and on a saved file.
//
// What it looks for, each with a suggested fix as a policy snippet:
//   - wildcard principals ("*", {"AWS":"*"}, a wildcard in an ARN) and
//     Allow with NotPrincipal;
//   - wildcard actions ("*", "s3:*", "s3:Get*") and Allow with NotAction;
//   - broad grants (to anyone, to another account, or of wildcard
//     actions) with no condition at all;
//   - no statement that denies requests made without TLS
//     (aws:SecureTransport false).

// PolicyReviewAction is the playbook's id of the review.
const PolicyReviewAction = "s3.policy-review"

// ReviewDetail is the review's own data, kept in Inspection.Detail.
type ReviewDetail struct {
	Bucket string `json:"bucket,omitempty"`
	Owner  string `json:"ownerAccount,omitempty"`
	// Policy is the document reviewed, as given ("" when the bucket has
	// none).
	Policy     string             `json:"policy"`
	Statements []StatementFinding `json:"statements,omitempty"`
	// SecureTransport says whether a Deny of requests without TLS covers
	// every action on the bucket and its objects.
	SecureTransport bool `json:"secureTransportDenied"`
}

// ReviewPolicy reviews a bucket policy for least privilege. bucket and
// ownerAccount may be "" when unknown (a file reviewed offline): the
// bucket is then taken from the policy's resources, and grants to named
// accounts are reported as possibly external. An empty doc means the
// bucket has no policy. A document that cannot be parsed is an error
// naming the position (it wraps app.ErrInvalid).
func ReviewPolicy(doc, bucket, ownerAccount string) (app.Inspection, error) {
	rep := app.Inspection{Action: PolicyReviewAction, Findings: []app.InspectFinding{}}
	detail := ReviewDetail{Bucket: bucket, Owner: ownerAccount, Policy: doc}
	var p *Policy
	if strings.TrimSpace(doc) != "" {
		var err error
		if p, err = ParsePolicy(doc); err != nil {
			return rep, err
		}
	}
	partition := "aws"
	if p != nil {
		if b, part := bucketOf(p); b != "" {
			partition = part
			if bucket == "" {
				bucket = b
			}
		}
	}
	detail.Bucket = bucket
	name := bucket
	if name == "" {
		name = "BUCKET"
	}
	rep.Target = "bucket " + name
	rep.Title = "Least-privilege review of the policy of bucket " + name
	if bucket == "" {
		rep.Title = "Least-privilege review of a bucket policy"
		rep.Target = "a bucket policy"
	}
	o := owner{account: ownerAccount}
	partial := false
	if p == nil {
		rep.Findings = append(rep.Findings, app.InspectFinding{Severity: app.SeverityInfo, Subject: "the bucket",
			Text: "The bucket has no policy: who can reach it is decided by IAM policies and ACLs alone."})
	} else {
		for _, st := range p.Statements {
			f := judgeStatement(st, o)
			detail.Statements = append(detail.Statements, f)
			if st.Effect == "Allow" {
				rep.Findings = append(rep.Findings, reviewAllow(st, f, ownerAccount)...)
			}
		}
		detail.SecureTransport, partial = secureTransportFinding(p, &rep, bucket, partition)
	}
	if !detail.SecureTransport && !partial {
		rep.Findings = append(rep.Findings, app.InspectFinding{Severity: app.SeverityMedium, Subject: "the policy",
			Text: "No statement denies requests made without TLS (aws:SecureTransport false): S3 also answers plain HTTP, where keys, data and signed requests travel readable by anyone on the path.",
			Fix:  snippet(secureTransportDeny(name, partition))})
	}
	high, medium, low := rep.Count(app.SeverityHigh), rep.Count(app.SeverityMedium), rep.Count(app.SeverityLow)
	n := 0
	if p != nil {
		n = len(p.Statements)
	}
	rep.Summary = fmt.Sprintf("%d statement(s) reviewed: %d high, %d medium and %d low finding(s).", n, high, medium, low)
	if high+medium+low == 0 {
		rep.Summary = fmt.Sprintf("%d statement(s) reviewed: nothing broader than needed was found.", n)
	}
	rep.Guidance = []string{
		"Give each principal only the actions it uses, on the resources it uses: ListBucket on the bucket, object actions on the objects (or a prefix of them).",
		"Name principals by ARN. Where a grant must stay wide, pin it with a condition S3 accepts as a fixed limit: aws:PrincipalOrgID, aws:SourceVpce, aws:SourceAccount or aws:SourceArn.",
		"Keep permission-changing actions (PutBucketPolicy, PutBucketAcl, PutBucketPublicAccessBlock) out of data-access grants; only administrators need them.",
		"Review the new policy with this review and with the exposure check before putting it in place, and keep the old one as evidence (s3.remove-policy-statements does both for removals).",
	}
	if bucket != "" {
		rep.Commands = []string{
			"aws s3api get-bucket-policy --bucket " + bucket + " --query Policy --output text",
			"aws s3api put-bucket-policy --bucket " + bucket + " --policy file://reviewed-policy.json",
		}
	}
	data, err := json.MarshalIndent(detail, "", "  ")
	if err != nil {
		return rep, fmt.Errorf("encode the review: %w", err)
	}
	rep.Detail = data
	return rep, nil
}

// label names a statement the way the reasons do.
func label(st Statement) string {
	if st.Sid != "" {
		return fmt.Sprintf("statement %d (Sid %s)", st.Index+1, quote(st.Sid))
	}
	return fmt.Sprintf("statement %d", st.Index+1)
}

// broadActions returns the wildcard actions of a statement's Action.
func broadActions(st Statement) (all, some []string) {
	for _, a := range st.Action {
		switch {
		case a == "*" || strings.EqualFold(a, "s3:*"):
			all = append(all, a)
		case hasWildcard(a):
			some = append(some, a)
		}
	}
	return all, some
}

// reviewAllow reviews one Allow statement.
func reviewAllow(st Statement, f StatementFinding, ownerAccount string) []app.InspectFinding {
	var out []app.InspectFinding
	subject := label(st)
	who, wildcard := "", false
	if st.Principal != nil {
		who, wildcard = wildcardPrincipal(st.Principal)
	}
	principalFix := func() string {
		fixed := statementJSON(st)
		acct := ownerAccount
		if acct == "" {
			acct = "111122223333"
		}
		fixed["Principal"] = map[string]any{"AWS": "arn:aws:iam::" + acct + ":role/ROLE-THAT-NEEDS-ACCESS"}
		delete(fixed, "NotPrincipal")
		return snippet(fixed)
	}
	switch {
	case st.NotPrincipal != nil:
		out = append(out, app.InspectFinding{Severity: app.SeverityHigh, Subject: subject,
			Text: fmt.Sprintf("Allow with NotPrincipal grants to every principal in the world except %s.", describePrincipal(st.NotPrincipal)),
			Fix:  principalFix()})
	case wildcard && f.Public:
		out = append(out, app.InspectFinding{Severity: app.SeverityHigh, Subject: subject,
			Text: fmt.Sprintf("Wildcard principal: it lets %s in, and no condition pins it to fixed values, so the grant is public. Name the principals that need access, or if it must stay wide, add a condition on aws:PrincipalOrgID, aws:SourceVpce or aws:SourceAccount.", who),
			Fix:  principalFix()})
	case wildcard:
		out = append(out, app.InspectFinding{Severity: app.SeverityLow, Subject: subject,
			Text: fmt.Sprintf("Wildcard principal (%s), limited by a condition S3 accepts as fixed. Naming the principals is still narrower.", who),
			Fix:  principalFix()})
	}
	all, some := broadActions(st)
	actionFix := func() string {
		fixed := statementJSON(st)
		delete(fixed, "NotAction")
		fixed["Action"] = oneOrList(explicitActions(f.Grants, st.Resource))
		return snippet(fixed)
	}
	switch {
	case st.NotAction != nil:
		out = append(out, app.InspectFinding{Severity: app.SeverityHigh, Subject: subject,
			Text: fmt.Sprintf("Allow with NotAction grants every action except %s, including actions S3 adds later.", quoteList(st.NotAction)),
			Fix:  actionFix()})
	case len(all) > 0:
		out = append(out, app.InspectFinding{Severity: app.SeverityHigh, Subject: subject,
			Text: fmt.Sprintf("Wildcard action %s grants every S3 action, including changing the bucket's policy, ACL and Block Public Access and deleting every object version. List only the actions needed.", quoteList(all)),
			Fix:  actionFix()})
	case len(some) > 0:
		out = append(out, app.InspectFinding{Severity: app.SeverityMedium, Subject: subject,
			Text: fmt.Sprintf("Wildcard action %s grants every action whose name matches, including ones S3 adds later. List only the actions needed.", quoteList(some)),
			Fix:  actionFix()})
	}
	broad := wildcard || st.NotPrincipal != nil || f.Shared || st.NotAction != nil || len(all)+len(some) > 0
	if broad && len(st.Conditions) == 0 {
		why := []string{}
		switch {
		case wildcard || st.NotPrincipal != nil:
			why = append(why, "to any principal")
		case f.Shared:
			why = append(why, "to another account ("+strings.Join(f.SharedWith, ", ")+")")
		}
		if st.NotAction != nil || len(all)+len(some) > 0 {
			why = append(why, "of wildcard actions")
		}
		fixed := statementJSON(st)
		fixed["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-xxxxxxxxxx"}}
		out = append(out, app.InspectFinding{Severity: app.SeverityMedium, Subject: subject,
			Text: fmt.Sprintf("Broad grant (%s) with no condition: nothing limits where the requests come from. Add a condition such as aws:PrincipalOrgID (your organisation), aws:SourceVpce (your VPC endpoint) or aws:SourceIp.", strings.Join(why, ", ")),
			Fix:  snippet(fixed)})
	}
	return out
}

// explicitActions turns the kinds of access a statement grants into the
// one action of each that data access needs, on the resources it names:
// ListBucket applies to the bucket, object actions to objects.
// Permission changes are left out on purpose.
func explicitActions(grants, resources []string) []string {
	bucketRes, objectRes := false, false
	for _, r := range resources {
		_, rest, _ := strings.Cut(r, ":::")
		switch {
		case r == "*" || strings.HasSuffix(rest, "*") && !strings.Contains(rest, "/"):
			bucketRes, objectRes = true, true
		case strings.Contains(rest, "/"):
			objectRes = true
		default:
			bucketRes = true
		}
	}
	var out []string
	for _, g := range grants {
		switch {
		case g == "read" && objectRes:
			out = append(out, "s3:GetObject")
		case g == "list" && bucketRes:
			out = append(out, "s3:ListBucket")
		case g == "write" && objectRes:
			out = append(out, "s3:PutObject")
		}
	}
	switch {
	case len(out) > 0:
	case objectRes:
		out = []string{"s3:GetObject"}
	default:
		out = []string{"s3:ListBucket"}
	}
	return out
}

// secureTransportFinding looks for a Deny of requests without TLS and
// reports one that does not cover everything. It returns whether a
// complete one is there, and whether an incomplete one was reported.
func secureTransportFinding(p *Policy, rep *app.Inspection, bucket, partition string) (complete, incomplete bool) {
	var partial []string
	for _, st := range p.Statements {
		if st.Effect != "Deny" || !deniesInsecure(st) {
			continue
		}
		var gaps []string
		if st.Principal == nil || !st.Principal.Anyone {
			gaps = append(gaps, "it does not apply to every principal (Principal \"*\")")
		}
		if st.NotAction != nil || !coversAll(st.Action, "s3:*") {
			gaps = append(gaps, "it does not cover every action (s3:*)")
		}
		if st.NotResource != nil || !coversBucket(st.Resource) {
			gaps = append(gaps, "it does not cover both the bucket and its objects")
		}
		if len(gaps) == 0 {
			return true, false
		}
		partial = append(partial, fmt.Sprintf("%s denies requests without TLS, but %s", label(st), strings.Join(gaps, ", ")))
	}
	if len(partial) > 0 {
		name := bucket
		if name == "" {
			name = "BUCKET"
		}
		rep.Findings = append(rep.Findings, app.InspectFinding{Severity: app.SeverityLow, Subject: "the policy",
			Text: strings.Join(partial, "; ") + ": requests outside it still work over plain HTTP (aws:SecureTransport).",
			Fix:  snippet(secureTransportDeny(name, partition))})
	}
	return false, len(partial) > 0
}

// deniesInsecure reports whether a statement's conditions match requests
// made without TLS.
func deniesInsecure(st Statement) bool {
	for _, c := range st.Conditions {
		if strings.EqualFold(c.Key, "aws:SecureTransport") && c.Base == "Bool" {
			for _, v := range c.Values {
				if strings.EqualFold(v, "false") {
					return true
				}
			}
		}
	}
	return false
}

// coversAll reports whether one of the patterns matches every action the
// wildcard want stands for.
func coversAll(patterns []string, want string) bool {
	for _, a := range patterns {
		if a == "*" || strings.EqualFold(a, want) {
			return true
		}
	}
	return false
}

// coversBucket reports whether the resources cover a bucket and all its
// objects.
func coversBucket(resources []string) bool {
	var bucketARN, objects bool
	for _, r := range resources {
		if r == "*" {
			return true
		}
		parts := strings.SplitN(r, ":::", 2)
		if len(parts) != 2 {
			continue
		}
		name, rest, hasSlash := strings.Cut(parts[1], "/")
		switch {
		case !hasSlash && strings.HasSuffix(name, "*"):
			// arn:aws:s3:::bucket* matches the bucket and its objects.
			bucketARN, objects = true, true
		case !hasSlash:
			bucketARN = true
		case rest == "*":
			objects = true
		}
	}
	return bucketARN && objects
}

// bucketOf finds the bucket and partition a policy's resources name.
func bucketOf(p *Policy) (string, string) {
	for _, st := range p.Statements {
		for _, r := range st.Resource {
			parts := strings.SplitN(r, ":", 6)
			if len(parts) != 6 || parts[0] != "arn" || parts[2] != "s3" || parts[3] != "" || parts[4] != "" {
				continue
			}
			name, _, _ := strings.Cut(parts[5], "/")
			if name != "" && !hasWildcard(name) {
				return name, parts[1]
			}
		}
	}
	return "", ""
}

// secureTransportDeny is the statement that refuses every request to the
// bucket made without TLS.
func secureTransportDeny(bucket, partition string) map[string]any {
	arn := "arn:" + partition + ":s3:::" + bucket
	return map[string]any{
		"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
		"Resource":  []string{arn, arn + "/*"},
		"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	}
}

// statementJSON rebuilds a statement as a JSON object, the base of a fix.
func statementJSON(st Statement) map[string]any {
	m := map[string]any{"Effect": st.Effect}
	if st.Sid != "" {
		m["Sid"] = st.Sid
	}
	if st.Principal != nil {
		m["Principal"] = principalJSON(st.Principal)
	}
	if st.NotPrincipal != nil {
		m["NotPrincipal"] = principalJSON(st.NotPrincipal)
	}
	if st.Action != nil {
		m["Action"] = oneOrList(st.Action)
	}
	if st.NotAction != nil {
		m["NotAction"] = oneOrList(st.NotAction)
	}
	if st.Resource != nil {
		m["Resource"] = oneOrList(st.Resource)
	}
	if st.NotResource != nil {
		m["NotResource"] = oneOrList(st.NotResource)
	}
	if len(st.Conditions) > 0 {
		cond := map[string]any{}
		for _, c := range st.Conditions {
			op, _ := cond[c.Operator].(map[string]any)
			if op == nil {
				op = map[string]any{}
				cond[c.Operator] = op
			}
			op[c.Key] = oneOrList(c.Values)
		}
		m["Condition"] = cond
	}
	return m
}

func principalJSON(p *Principal) any {
	if p.Anyone && len(p.AWS)+len(p.Service)+len(p.CanonicalUser)+len(p.Federated) == 0 {
		return "*"
	}
	m := map[string]any{}
	aws := p.AWS
	if p.Anyone {
		aws = append([]string{"*"}, aws...)
	}
	for k, v := range map[string][]string{"AWS": aws, "Service": p.Service, "CanonicalUser": p.CanonicalUser, "Federated": p.Federated} {
		if len(v) > 0 {
			m[k] = oneOrList(v)
		}
	}
	return m
}

func oneOrList(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

// snippet renders a statement as indented JSON, keys in the order IAM's
// documentation writes them.
func snippet(st map[string]any) string {
	order := []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
	var b strings.Builder
	b.WriteString("{\n")
	first := true
	for _, k := range order {
		v, ok := st[k]
		if !ok {
			continue
		}
		if !first {
			b.WriteString(",\n")
		}
		first = false
		val, _ := json.MarshalIndent(v, "  ", "  ") // maps and strings always marshal
		fmt.Fprintf(&b, "  %q: %s", k, val)
	}
	b.WriteString("\n}")
	return b.String()
}
