package exposure

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

// StatementFinding is what one Allow statement of a bucket policy grants,
// in the terms S3 uses to decide whether a policy is public.
type StatementFinding struct {
	// Index is the zero-based position of the statement in the policy.
	Index  int    `json:"index"`
	Sid    string `json:"sid,omitempty"`
	Effect string `json:"effect"`
	// Public: S3 would count this statement as making the policy public.
	Public bool `json:"public"`
	// Shared: the statement grants access to other AWS accounts (or an
	// organisation) by name; not public, but external access.
	Shared bool `json:"shared"`
	// Grants are the kinds of access given: "read", "list", "write",
	// "permissions" (change policy/ACL/BPA) and "other".
	Grants []string `json:"grants,omitempty"`
	// SharedWith lists the other accounts, organisations and canonical
	// users the statement names.
	SharedWith []string `json:"sharedWith,omitempty"`
	Reason     string   `json:"reason"`
}

func (f StatementFinding) label() string {
	if f.Sid != "" {
		return fmt.Sprintf("Statement %d (Sid %s)", f.Index+1, quote(f.Sid))
	}
	return fmt.Sprintf("Statement %d", f.Index+1)
}

// keyKind says how a restricting condition key's values are judged.
type keyKind int

const (
	keyPlain          keyKind = iota // any fixed string
	keyIP                            // CIDR blocks, not too wide
	keyUserID                        // not of the form ROLEID:*
	keyAccessPointArn                // the access point name may be a wildcard
	keyOrgPath                       // the organisation id must be fixed
)

// shareKind says what a fixed value of the key tells about who is let in.
type shareKind int

const (
	shareNone    shareKind = iota // a network or key: not another account
	shareAccount                  // the value is an account id
	shareArn                      // the value is an ARN carrying an account id
	shareOrg                      // the value is an organisation id
	shareOrgPath                  // the value is a path that starts with an organisation id
)

type keySpec struct {
	name  string
	kind  keyKind
	share shareKind
}

// restrictingKeys are the condition keys whose fixed values make a grant to
// "*" non-public. The list follows S3-FACTS.md and the S3 User Guide,
// "Blocking public access to your Amazon S3 storage", section "The meaning
// of 'public'" (access-control-block-public-access.html): an AWS principal
// (aws:PrincipalOrgID is given as an example), aws:SourceIp,
// aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner,
// aws:SourceAccount, s3:x-amz-server-side-encryption-aws-kms-key-id,
// aws:userid (outside "AROLEID:*"), s3:DataAccessPointArn,
// s3:DataAccessPointAccount.
//
// aws:PrincipalAccount and aws:PrincipalArn are not named in either text.
// We count them because they are the condition-key form of "a specific AWS
// principal" (an account, a user or role ARN), which both texts accept as
// the Principal; a grant to "*" pinned by StringEquals to one account is a
// grant to that account. aws:PrincipalOrgPaths counts for the same reason
// as aws:PrincipalOrgID, which the guide gives as an example: a path that
// starts with a fixed organisation id ("o-a1b2c3d4e5/r-ab12/ou-ab12-1/*")
// can only match principals of that organisation, whatever wildcard
// follows; a path whose organisation id is a wildcard matches anyone's.
var restrictingKeys = func() map[string]keySpec {
	m := map[string]keySpec{}
	for _, k := range []keySpec{
		{"aws:SourceIp", keyIP, shareNone},
		{"aws:SourceArn", keyPlain, shareArn},
		{"aws:SourceVpc", keyPlain, shareNone},
		{"aws:SourceVpce", keyPlain, shareNone},
		{"aws:SourceOwner", keyPlain, shareAccount},
		{"aws:SourceAccount", keyPlain, shareAccount},
		{"s3:x-amz-server-side-encryption-aws-kms-key-id", keyPlain, shareNone},
		{"aws:userid", keyUserID, shareNone},
		{"s3:DataAccessPointArn", keyAccessPointArn, shareArn},
		{"s3:DataAccessPointAccount", keyPlain, shareAccount},
		{"aws:PrincipalOrgID", keyPlain, shareOrg},
		{"aws:PrincipalOrgPaths", keyOrgPath, shareOrgPath},
		{"aws:PrincipalAccount", keyPlain, shareAccount},
		{"aws:PrincipalArn", keyPlain, shareArn},
	} {
		m[strings.ToLower(k.name)] = k
	}
	return m
}()

// callerControlled are keys often mistaken for a restriction. They get a
// sentence of their own because responders meet them in real policies
// ("only from our website", "only over HTTPS").
var callerControlled = map[string]string{
	"aws:referer":         "the Referer header is set by the caller, so anyone can send the expected value",
	"aws:useragent":       "the User-Agent header is set by the caller, so anyone can send the expected value",
	"aws:securetransport": "it only requires HTTPS, not any particular caller",
}

// positiveOps are the operators that can pin a key to listed values.
// Negated operators (StringNotEquals, ArnNotLike, NotIpAddress) let in
// every value but the listed ones, and Null, Bool, Numeric and Date
// operators do not compare with a fixed identity at all.
var positiveOps = map[string]bool{
	"StringEquals": true, "StringEqualsIgnoreCase": true, "StringLike": true,
	"ArnEquals": true, "ArnLike": true,
}

// restriction is the judgement of one condition on a "*" grant.
type restriction struct {
	limits bool
	why    string
	spec   keySpec
}

// judgeCondition decides whether one condition limits a grant to "*" to
// fixed values, and says why in words.
func judgeCondition(c Condition) restriction {
	lk := strings.ToLower(c.Key)
	spec, ok := restrictingKeys[lk]
	if !ok {
		if why, ok := callerControlled[lk]; ok {
			return restriction{why: fmt.Sprintf("%s on %s does not limit who can call: %s", c.Operator, c.Key, why)}
		}
		return restriction{why: fmt.Sprintf("%s on %s does not limit who can call: S3 accepts only fixed values of the principal, source network, source account or ARN, access point, KMS key or user id keys", c.Operator, c.Key)}
	}
	switch {
	case c.IfExists:
		return restriction{why: fmt.Sprintf("%s on %s also matches requests that carry no %s at all (for example a request from the internet)", c.Operator, c.Key, c.Key)}
	case c.Qualifier == "ForAllValues":
		return restriction{why: fmt.Sprintf("%s on %s also matches requests that carry no %s at all, because ForAllValues is true for an empty set", c.Operator, c.Key, c.Key)}
	}
	if spec.kind == keyIP {
		switch c.Base {
		case "IpAddress":
		case "NotIpAddress":
			return restriction{why: fmt.Sprintf("NotIpAddress on aws:SourceIp lets in every address except %s", quoteList(c.Values))}
		default:
			return restriction{why: fmt.Sprintf("%s on aws:SourceIp does not limit the caller to a set of addresses; only IpAddress does", c.Operator)}
		}
	} else if !positiveOps[c.Base] {
		if strings.Contains(c.Base, "Not") {
			return restriction{why: fmt.Sprintf("%s on %s lets in every value except %s", c.Operator, c.Key, quoteList(c.Values))}
		}
		return restriction{why: fmt.Sprintf("%s on %s does not pin %s to fixed values", c.Operator, c.Key, c.Key)}
	}
	if len(c.Values) == 0 {
		return restriction{why: fmt.Sprintf("%s on %s lists no values", c.Operator, c.Key)}
	}
	for _, v := range c.Values {
		if why := unfixedValue(spec, c.Key, v); why != "" {
			return restriction{why: why}
		}
	}
	return restriction{limits: true, spec: spec, why: fmt.Sprintf("%s is limited to %s", c.Key, quoteList(c.Values))}
}

// hasWildcard reports IAM wildcards. For StringEquals a "*" is literally
// an asterisk, but S3 is documented to judge "values that don't contain a
// wildcard", and a literal asterisk in an account id or VPC id is not a
// real value anyway, so any * or ? counts.
func hasWildcard(v string) bool { return strings.ContainsAny(v, "*?") }

func hasVariable(v string) bool { return strings.Contains(v, "${") }

// unfixedValue returns why v is not a fixed value for the key, or "".
func unfixedValue(spec keySpec, key, v string) string {
	if hasVariable(v) {
		return fmt.Sprintf("%s is compared with the policy variable %s, which is not a fixed value", key, quote(v))
	}
	switch spec.kind {
	case keyIP:
		return broadCIDR(v)
	case keyUserID:
		if strings.HasSuffix(v, ":*") && !hasWildcard(strings.TrimSuffix(v, ":*")) {
			return fmt.Sprintf("aws:userid %s matches every session of a role (the ROLEID:* form), which S3 does not count as a fixed value", quote(v))
		}
	case keyAccessPointArn:
		return accessPointArnProblem(v)
	case keyOrgPath:
		if org, _, _ := strings.Cut(v, "/"); hasWildcard(org) || !orgRE.MatchString(org) {
			return fmt.Sprintf("%s %s does not start with a fixed organisation id (o- and 10 to 32 letters or digits), so it can match principals of any organisation", key, quote(v))
		}
		return ""
	}
	if hasWildcard(v) {
		return fmt.Sprintf("%s is matched with the wildcard value %s, not a fixed value", key, quote(v))
	}
	return ""
}

// broadCIDR judges one aws:SourceIp value. The S3 User Guide ("The meaning
// of 'public'", note under aws:SourceIp) says ranges broader than /8 for
// IPv4 or /32 for IPv6 count as public, RFC 1918 private ranges excepted;
// an IPv4 range wider than /8 can never lie inside an RFC 1918 range
// (10.0.0.0/8 is the widest), so the exception needs no code.
func broadCIDR(v string) string {
	if hasWildcard(v) {
		return fmt.Sprintf("aws:SourceIp is matched with the wildcard value %s, not a fixed range", quote(v))
	}
	var p netip.Prefix
	var err error
	if strings.Contains(v, "/") {
		p, err = netip.ParsePrefix(v)
	} else {
		var a netip.Addr
		a, err = netip.ParseAddr(v)
		if err == nil {
			p = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if err != nil {
		return fmt.Sprintf("aws:SourceIp value %s is not an IP address or CIDR block, so it does not limit the caller", quote(v))
	}
	if p.Addr().Is4() && p.Bits() < 8 {
		return fmt.Sprintf("aws:SourceIp %s is wider than /8, which S3 counts as public", v)
	}
	if p.Addr().Is6() && !p.Addr().Is4In6() && p.Bits() < 32 {
		return fmt.Sprintf("aws:SourceIp %s is wider than /32 for IPv6, which S3 counts as public", v)
	}
	return ""
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	orgRE     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// accessPointArnProblem: in a bucket policy, s3:DataAccessPointArn may
// use a wildcard for the access point name but not for the account (S3
// User Guide, note under s3:DataAccessPointArn). We also require the
// partition, service and region to be written out: the guide's example
// only relaxes the name, and an unclear case is called public.
func accessPointArnProblem(v string) string {
	parts := strings.SplitN(v, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[5], "accesspoint/") {
		if hasWildcard(v) {
			return fmt.Sprintf("s3:DataAccessPointArn is matched with the wildcard value %s, not an access point ARN of a fixed account", quote(v))
		}
		return ""
	}
	if hasWildcard(parts[4]) || !accountRE.MatchString(parts[4]) {
		return fmt.Sprintf("s3:DataAccessPointArn %s leaves the account open (%s); only the access point name may be a wildcard", quote(v), quote(parts[4]))
	}
	if hasWildcard(strings.Join(parts[:4], ":")) {
		return fmt.Sprintf("s3:DataAccessPointArn %s uses a wildcard outside the access point name", quote(v))
	}
	return ""
}

// IsOrgID reports whether s is an AWS Organizations id (o-a1b2c3d4e5).
func IsOrgID(s string) bool { return orgRE.MatchString(s) }

// principalAccount returns the account id a fixed AWS principal belongs to,
// or "" when the value carries none (a unique id such as AROA..., left
// behind when a role is deleted).
func principalAccount(v string) string {
	if accountRE.MatchString(v) {
		return v
	}
	if parts := strings.SplitN(v, ":", 6); len(parts) == 6 && parts[0] == "arn" {
		return parts[4]
	}
	return ""
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(v string) string {
	if parts := strings.SplitN(v, ":", 6); len(parts) == 6 && parts[0] == "arn" && accountRE.MatchString(parts[4]) {
		return parts[4]
	}
	return ""
}

func isOAI(v string) bool {
	return strings.Contains(v, ":iam::cloudfront:user/CloudFront Origin Access Identity")
}

// capability is a kind of access, tested through one representative
// action; its name is what the UI shows.
type capability struct {
	name    string
	actions []string
	words   string
}

// capabilities follow the "bad actions" of the older wording of the rule
// (s3:Get*, s3:List*, s3:Put*, s3:Delete*, s3:AbortMultipartUpload,
// s3:RestoreObject), split into what a responder needs to grade damage.
var capabilities = []capability{
	{"read", []string{"s3:GetObject", "s3:GetObjectVersion"}, "read objects"},
	{"list", []string{"s3:ListBucket", "s3:ListBucketVersions"}, "list objects"},
	{"write", []string{"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:RestoreObject", "s3:AbortMultipartUpload"}, "write or delete objects"},
	{"permissions", []string{"s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls"}, "change the bucket's permissions"},
}

// grantsOf works out which capabilities a statement's Action or NotAction
// gives, and the words for them.
func grantsOf(st Statement) ([]string, string) {
	matches := func(patterns []string, action string) bool {
		for _, p := range patterns {
			if globMatch(strings.ToLower(p), strings.ToLower(action)) {
				return true
			}
		}
		return false
	}
	var names, words []string
	for _, c := range capabilities {
		hit := false
		for _, a := range c.actions {
			if st.NotAction != nil {
				hit = hit || !matches(st.NotAction, a)
			} else {
				hit = hit || matches(st.Action, a)
			}
		}
		if hit {
			names = append(names, c.name)
			words = append(words, c.words)
		}
	}
	switch {
	case st.NotAction != nil:
		names = append(names, "other")
		return names, "do every action except " + quoteList(st.NotAction) + joinWords(words, " (so: ", ")")
	case len(names) == 0:
		return []string{"other"}, "use " + quoteList(st.Action) + " (not an object read, list or write action, but S3 counts any grant to everyone as public)"
	}
	return names, strings.Join(words, ", ") + " (" + quoteList(st.Action) + ")"
}

func joinWords(words []string, pre, post string) string {
	if len(words) == 0 {
		return ""
	}
	return pre + strings.Join(words, ", ") + post
}

// globMatch matches IAM wildcards (* any run, ? one character) without
// recursion, in O(len(p)*len(s)) at worst.
func globMatch(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// judgeStatement evaluates one statement. owner is the bucket owner's
// account id ("" when unknown); ownerCanonical and ownerOrg likewise.
func judgeStatement(st Statement, o owner) StatementFinding {
	f := StatementFinding{Index: st.Index, Sid: st.Sid, Effect: st.Effect}
	if st.Effect != "Allow" {
		f.Reason = fmt.Sprintf("%s denies access; a Deny never makes a bucket public or shared.", f.label())
		return f
	}
	grants, grantWords := grantsOf(st)
	f.Grants = grants
	if st.NotPrincipal != nil {
		f.Public = true
		f.Reason = fmt.Sprintf("%s uses NotPrincipal with Allow: it lets everyone except %s %s.", f.label(), describePrincipal(st.NotPrincipal), grantWords)
		return f
	}
	who, wildcard := wildcardPrincipal(st.Principal)
	if !wildcard {
		return judgeFixed(f, st, o, grantWords)
	}
	var notes []string
	var limits []restriction
	for _, c := range st.Conditions {
		r := judgeCondition(c)
		if r.limits {
			limits = append(limits, r)
		} else {
			notes = append(notes, r.why)
		}
	}
	if len(limits) == 0 {
		f.Public = true
		switch {
		case len(st.Conditions) == 0:
			f.Reason = fmt.Sprintf("%s lets %s %s, with no condition that limits who can call.", f.label(), who, grantWords)
		default:
			f.Reason = fmt.Sprintf("%s lets %s %s; none of its conditions limits access to fixed values: %s.", f.label(), who, grantWords, strings.Join(notes, "; "))
		}
		return f
	}
	// Conditions are ANDed, so one fixed limit is enough. Who gets in
	// then depends on the limiting keys: an account or organisation other
	// than the owner's means shared; a network limit means anyone from
	// that network, with or without credentials.
	var limitWords []string
	ownOnly := false
	var others, impossible []string
	for _, r := range limits {
		limitWords = append(limitWords, r.why)
		for _, v := range valuesOf(st.Conditions, r.spec.name) {
			switch r.spec.share {
			case shareAccount:
				switch {
				case !accountRE.MatchString(v):
					// No account has such an id: the value lets nobody
					// in, and names nobody to share with.
					impossible = append(impossible, v)
				case o.account != "" && v == o.account:
					ownOnly = true
				default:
					others = append(others, v)
				}
			case shareArn:
				acct := arnAccount(v)
				switch {
				case acct == "":
				case o.account != "" && acct == o.account:
					ownOnly = true
				default:
					others = append(others, acct)
				}
			case shareOrg, shareOrgPath:
				org := v
				if r.spec.share == shareOrgPath {
					org, _, _ = strings.Cut(v, "/")
				}
				if o.org != "" && org == o.org {
					ownOnly = true
				} else {
					others = append(others, org)
				}
			}
		}
	}
	f.Reason = fmt.Sprintf("%s lets %s %s, but only where %s, so S3 does not count it as public.", f.label(), who, grantWords, strings.Join(limitWords, " and "))
	if len(impossible) > 0 {
		f.Reason += fmt.Sprintf(" %s %s not a twelve-digit account id, so no account matches %s.", quoteList(uniqueSorted(impossible)), isAre(len(impossible)), itThem(len(impossible)))
	}
	if !ownOnly && len(others) > 0 {
		f.Shared = true
		f.SharedWith = uniqueSorted(others)
		f.Reason += " " + sharedSentence(f.SharedWith, o)
	}
	return f
}

// valuesOf returns the values of the conditions on key (any case).
func valuesOf(conds []Condition, key string) []string {
	var out []string
	for _, c := range conds {
		if strings.EqualFold(c.Key, key) {
			out = append(out, c.Values...)
		}
	}
	return out
}

// wildcardPrincipal reports whether a Principal can be anyone: "*",
// {"AWS":"*"}, or any value with a wildcard or policy variable (not a
// fixed principal). who describes it for a reason.
func wildcardPrincipal(p *Principal) (string, bool) {
	if p.Anyone {
		return "anyone (Principal \"*\")", true
	}
	for _, group := range [][]string{p.AWS, p.Service, p.CanonicalUser, p.Federated} {
		for _, v := range group {
			if hasWildcard(v) || hasVariable(v) {
				return fmt.Sprintf("any principal matching %s", quote(v)), true
			}
		}
	}
	// A Federated principal is whoever the web identity or SAML provider
	// signs in: for graph.facebook.com or accounts.google.com, anyone
	// with an account there. The S3 User Guide lists such a policy among
	// its first examples of public ones; only the fixed-value conditions
	// make it non-public, as for "*".
	if len(p.Federated) > 0 {
		return fmt.Sprintf("any identity signed in by the federated provider %s", quoteList(p.Federated)), true
	}
	return "", false
}

func describePrincipal(p *Principal) string {
	var all []string
	if p.Anyone {
		all = append(all, "*")
	}
	for _, g := range [][]string{p.AWS, p.Service, p.CanonicalUser, p.Federated} {
		all = append(all, g...)
	}
	if len(all) == 0 {
		return "nobody in particular"
	}
	return quoteList(all)
}

// judgeFixed handles a statement whose principals are all fixed: never
// public; shared when it names another account.
func judgeFixed(f StatementFinding, st Statement, o owner, grantWords string) StatementFinding {
	p := st.Principal
	var others, services, unresolved []string
	for _, v := range p.AWS {
		switch acct := principalAccount(v); {
		case isOAI(v):
			services = append(services, "CloudFront origin access identity")
		case acct == "" || !accountRE.MatchString(acct):
			unresolved = append(unresolved, v)
		case o.account == "" || acct != o.account:
			others = append(others, acct)
		}
	}
	services = append(services, p.Service...)
	for _, v := range p.CanonicalUser {
		if o.canonical == "" || v != o.canonical {
			others = append(others, "canonical user "+v)
		}
	}
	var parts []string
	parts = append(parts, fmt.Sprintf("%s lets %s %s.", f.label(), describePrincipal(p), grantWords))
	if len(services) > 0 {
		parts = append(parts, fmt.Sprintf("AWS services (%s) acting for the bucket owner are not public access.", strings.Join(uniqueSorted(services), ", ")))
	}
	if len(unresolved) > 0 {
		parts = append(parts, fmt.Sprintf("%s names no account: a policy shows such a unique id when the user or role it named has been deleted.", quoteList(unresolved)))
	}
	if len(others) > 0 {
		f.Shared = true
		f.SharedWith = uniqueSorted(others)
		parts = append(parts, sharedSentence(f.SharedWith, o))
	} else {
		parts = append(parts, "It names only fixed principals, so it is not public.")
	}
	f.Reason = strings.Join(parts, " ")
	return f
}

func sharedSentence(with []string, o owner) string {
	if o.account == "" {
		return fmt.Sprintf("It is external access for %s unless that is the bucket owner's own account or organisation (the owner was not given).", strings.Join(with, ", "))
	}
	return fmt.Sprintf("It is external access: %s %s not the bucket owner's account %s.", strings.Join(with, ", "), isAre(len(with)), o.account)
}

func itThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func uniqueSorted(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}
