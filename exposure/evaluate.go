package exposure

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"s3responder/app"
)

// Access is the S3 console's label for a bucket's public access (the
// "Access" column of the bucket list).
type Access string

// The four labels. The S3 console user guide ("Viewing access status")
// defines them as: Public, everyone can list, write or read and write;
// Objects can be public, the bucket is not public but someone with the
// right permissions can make objects public; not public, no public access
// at all; Only authorized users of this account, a policy grants public
// access but access is limited to the account's own users and roles and
// AWS service principals. The console user guide spells the third one
// "Buckets and objects not public"; the console itself and our issue use
// the singular, which we keep.
const (
	AccessPublic          Access = "Public"
	AccessObjectsCanBe    Access = "Objects can be public"
	AccessNotPublic       Access = "Bucket and objects not public"
	AccessOnlyThisAccount Access = "Only authorized users of this account"
	// AccessUnknown is ours, not the console's: a setting the verdict
	// depends on could not be read (access denied, a failed call).
	AccessUnknown Access = "Could not be determined"
)

// Unread marks inputs whose read failed. A refused read is not an empty
// setting: treating a denied GetBucketPolicy as "no policy" would call a
// public bucket not public. Evaluate gives no verdict that depends on an
// unread input.
type Unread uint8

// The inputs that can be unread.
const (
	UnreadPolicy Unread = 1 << iota
	UnreadACL
	UnreadBucketBPA
	UnreadAccountBPA
	UnreadOwnership
	UnreadAccessPoints
)

// names lists the unread inputs in words.
func (u Unread) names() []string {
	var out []string
	for _, n := range []struct {
		bit  Unread
		name string
	}{{UnreadPolicy, "the bucket policy"}, {UnreadACL, "the bucket ACL"}, {UnreadBucketBPA, "the bucket Block Public Access"},
		{UnreadAccountBPA, "the account Block Public Access"}, {UnreadOwnership, "Object Ownership"},
		{UnreadAccessPoints, "the bucket's access points"}} {
		if u&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Object Ownership settings (GetBucketOwnershipControls).
const (
	OwnershipEnforced  = "BucketOwnerEnforced"
	OwnershipPreferred = "BucketOwnerPreferred"
	OwnershipWriter    = "ObjectWriter"
)

// BlockPublicAccess is a PublicAccessBlockConfiguration, at bucket or
// account level; the JSON names are AWS's.
type BlockPublicAccess struct {
	BlockPublicAcls       bool `json:"BlockPublicAcls"`
	IgnorePublicAcls      bool `json:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `json:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `json:"RestrictPublicBuckets"`
}

// All reports whether all four settings are on.
func (b BlockPublicAccess) All() bool {
	return b.BlockPublicAcls && b.IgnorePublicAcls && b.BlockPublicPolicy && b.RestrictPublicBuckets
}

// ParseBlockPublicAccess reads a saved GetPublicAccessBlock response: the
// CLI's {"PublicAccessBlockConfiguration": {...}} or the bare settings.
// A setting that is left out is off, as in AWS.
func ParseBlockPublicAccess(data []byte) (*BlockPublicAccess, error) {
	const what = "Block Public Access configuration"
	trimmed := bytes.TrimSpace(data)
	var wrapper map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &wrapper); err != nil {
		return nil, jsonError(what, trimmed, err)
	}
	body := trimmed
	if inner, ok := wrapper["PublicAccessBlockConfiguration"]; ok {
		body = inner
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var b BlockPublicAccess
	if err := dec.Decode(&b); err != nil {
		return nil, jsonError(what, body, err)
	}
	return &b, nil
}

// ParseOwnership accepts an Object Ownership value in any case, or a saved
// GetBucketOwnershipControls response.
func ParseOwnership(s string) (string, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") {
		var resp struct {
			OwnershipControls struct {
				Rules []struct{ ObjectOwnership string }
			}
			Rules []struct{ ObjectOwnership string }
		}
		if err := json.Unmarshal([]byte(t), &resp); err != nil {
			return "", jsonError("ownership controls", []byte(t), err)
		}
		rules := append(resp.OwnershipControls.Rules, resp.Rules...)
		if len(rules) == 0 {
			return "", fmt.Errorf("ownership controls list no rule: %w", app.ErrInvalid)
		}
		t = rules[0].ObjectOwnership
	}
	for _, v := range []string{OwnershipEnforced, OwnershipPreferred, OwnershipWriter} {
		if strings.EqualFold(t, v) {
			return v, nil
		}
	}
	return "", fmt.Errorf("object ownership %s is not one of %s, %s, %s: %w", quote(s), OwnershipEnforced, OwnershipPreferred, OwnershipWriter, app.ErrInvalid)
}

// Input is everything the verdict depends on, as read from AWS or from
// saved evidence. Nil pointers mean "not configured" (AWS's
// NoSuchBucketPolicy / NoSuchPublicAccessBlockConfiguration); what could
// not be read at all goes in Unknown so the verdict can say so.
type Input struct {
	Bucket string
	// OwnerAccount is the bucket owner's account id; without it every
	// named account is reported as possibly external.
	OwnerAccount string
	// OwnerCanonicalID is the owner's canonical user id; when empty the
	// ACL's Owner.ID is used.
	OwnerCanonicalID string
	// OwnerOrgID is the owner's AWS Organizations id, if known, so that
	// aws:PrincipalOrgID of the own organisation is not called external.
	OwnerOrgID string
	// Policy is the bucket policy document; "" means no policy.
	Policy     string
	ACL        *ACL
	BucketBPA  *BlockPublicAccess
	AccountBPA *BlockPublicAccess
	// Ownership is the Object Ownership setting; "" when not configured
	// (buckets from before ownership controls behave as ObjectWriter).
	Ownership string
	// Unknown names inputs that could not be read, with why, for
	// example "bucket ACL (AccessDenied)".
	Unknown []string
	// Unread says which inputs could not be read (their fields are then
	// empty). Inputs in Unknown but not in Unread (an API the server does
	// not implement) are taken as not configured.
	Unread Unread
	// S3PolicyPublic is S3's own verdict (GetBucketPolicyStatus.IsPublic)
	// when online, nil offline. When S3 calls the policy public and this
	// evaluator does not, the verdict follows S3: S3 is the authority,
	// and a missed exposure costs more than a false alarm.
	S3PolicyPublic *bool
	// AccessPoints are the bucket's access points (accesspoint.go); their
	// policies can expose the bucket's data when the bucket policy
	// delegates to them.
	AccessPoints []AccessPoint
}

// Result is the verdict on one bucket.
type Result struct {
	Bucket string `json:"bucket,omitempty"`
	// Access is the console's label.
	Access Access `json:"access"`
	// Public: anyone can reach the bucket now (Access is "Public").
	Public bool `json:"public"`
	// Shared: other AWS accounts (or an organisation) have access now.
	Shared bool `json:"shared"`
	// PolicyPublic is S3's notion of a public policy before Block Public
	// Access; it is what GetBucketPolicyStatus.IsPublic reports.
	PolicyPublic bool `json:"policyPublic"`
	// ACLPublic: the ACL has grants to AllUsers or AuthenticatedUsers,
	// whether or not S3 applies them.
	ACLPublic bool `json:"aclPublic"`
	// ACLsDisabled: Object Ownership is BucketOwnerEnforced.
	ACLsDisabled bool `json:"aclsDisabled"`
	// BlockPublicAccess is the effective (most restrictive) combination of
	// the bucket and account settings.
	BlockPublicAccess BlockPublicAccess  `json:"blockPublicAccess"`
	Statements        []StatementFinding `json:"statements,omitempty"`
	Grants            []GrantFinding     `json:"grants,omitempty"`
	// SharedWith lists the accounts, organisations and canonical users
	// with external access now.
	SharedWith []string `json:"sharedWith,omitempty"`
	// S3PolicyPublic repeats S3's own verdict when it was asked.
	S3PolicyPublic *bool `json:"s3PolicyPublic,omitempty"`
	// Disagreement, when not empty, says how S3's verdict and this
	// evaluator's differ; the UI should show it prominently.
	Disagreement string `json:"disagreement,omitempty"`
	// Reasons are sentences for a person, the verdict first.
	Reasons []string `json:"reasons"`
	// AccessPoints are the verdicts on the bucket's access points; one
	// that is public makes the bucket public.
	AccessPoints []AccessPointResult `json:"accessPoints,omitempty"`
	// Undetermined: an input the verdict depends on could not be read, so
	// Access is AccessUnknown and Public and Shared are only what the
	// inputs that were read show.
	Undetermined bool `json:"undetermined,omitempty"`
}

type owner struct {
	account   string
	canonical string
	org       string
}

// PolicyResult is the verdict on a bucket policy alone.
type PolicyResult struct {
	Public     bool
	Shared     bool
	Statements []StatementFinding
	SharedWith []string
}

// EvaluatePolicy parses and judges a bucket policy by S3's rule: a policy
// is public unless every Allow grants only to fixed principals or is
// limited by a fixed value of one of the restricting condition keys.
// ownerAccount may be "" when unknown.
func EvaluatePolicy(doc, ownerAccount string) (PolicyResult, error) {
	return evaluatePolicy(doc, owner{account: ownerAccount})
}

func evaluatePolicy(doc string, o owner) (PolicyResult, error) {
	var r PolicyResult
	if strings.TrimSpace(doc) == "" {
		return r, nil
	}
	p, err := ParsePolicy(doc)
	if err != nil {
		return r, err
	}
	var shared []string
	for _, st := range p.Statements {
		f := judgeStatement(st, o)
		r.Public = r.Public || f.Public
		if f.Shared {
			r.Shared = true
			shared = append(shared, f.SharedWith...)
		}
		r.Statements = append(r.Statements, f)
	}
	r.SharedWith = uniqueSorted(shared)
	return r, nil
}

// Evaluate decides the console's verdict for a bucket. The only error is a
// policy (or nothing else) that cannot be parsed; it names the position.
//
// The rules, in order (sources: S3 User Guide "Blocking public access to
// your Amazon S3 storage", access-control-block-public-access.html, table
// "Block public access settings"; S3 console user guide "Viewing access
// status"; S3-FACTS.md):
//
//  1. The effective settings are the bucket's and the account's, each flag
//     on if on at either level ("the most restrictive combination").
//  2. "Public" when the policy is public and RestrictPublicBuckets is off,
//     or when the ACL grants to AllUsers/AuthenticatedUsers, ACLs are not
//     disabled by BucketOwnerEnforced and IgnorePublicAcls is off.
//     BlockPublicAcls and BlockPublicPolicy do not matter here: they only
//     reject new public ACLs or policies and leave existing ones working.
//  3. "Only authorized users of this account" when the policy is public but
//     RestrictPublicBuckets is on (and no ACL makes it public): S3 then lets
//     in only AWS service principals and the owner account's users, and it
//     also blocks every cross-account grant of that policy, even to named
//     accounts.
//  4. "Objects can be public" when nothing makes the bucket public now but
//     one of the four settings is off, so someone with the permission can
//     still make it or its objects public: BlockPublicAcls plus
//     IgnorePublicAcls close the ACL way (new and existing, including
//     object ACLs, which a bucket check does not read), BlockPublicPolicy
//     plus RestrictPublicBuckets close the policy way. Like the console we
//     look only at the four settings, not at Object Ownership, which can
//     be switched back without touching Block Public Access.
//  5. Otherwise "Bucket and objects not public".
func Evaluate(in Input) (Result, error) {
	o := owner{account: in.OwnerAccount, canonical: in.OwnerCanonicalID, org: in.OwnerOrgID}
	if o.canonical == "" && in.ACL != nil && in.ACL.Owner != nil {
		o.canonical = in.ACL.Owner.ID
	}
	res := Result{Bucket: in.Bucket}
	pol, err := evaluatePolicy(in.Policy, o)
	if err != nil {
		return res, err
	}
	eff, from := effectiveBPA(in.BucketBPA, in.AccountBPA)
	res.BlockPublicAccess = eff
	res.S3PolicyPublic = in.S3PolicyPublic
	if s3 := in.S3PolicyPublic; s3 != nil && *s3 != pol.Public {
		if *s3 {
			res.Disagreement = "S3 says the bucket policy is public, but no statement looks public to S3 Responder's evaluator. The verdict follows S3; review the policy statement by statement."
			pol.Public = true
		} else {
			res.Disagreement = "S3 says the bucket policy is not public, but S3 Responder's evaluator calls it public (see the statement reasons). S3 may credit a Deny or a condition that the stricter offline rule does not; the verdict stays public until a person has checked."
		}
	}
	res.PolicyPublic = pol.Public
	res.Statements = pol.Statements
	res.ACLsDisabled = in.Ownership == OwnershipEnforced

	var aclPublicNow, aclShared bool
	var aclSharedWith []string
	if in.ACL != nil {
		res.Grants = judgeGrants(in.ACL, o, res.ACLsDisabled, eff.IgnorePublicAcls)
		for _, g := range res.Grants {
			res.ACLPublic = res.ACLPublic || g.Public
			aclPublicNow = aclPublicNow || (g.Public && g.Effective)
			if g.Shared && g.Effective {
				aclShared = true
				aclSharedWith = append(aclSharedWith, g.Grantee)
			}
		}
	}
	policyPublicNow := pol.Public && !eff.RestrictPublicBuckets
	// RestrictPublicBuckets on a public policy also cuts the policy's
	// grants to named accounts (User Guide, RestrictPublicBuckets row).
	policySharedNow := pol.Shared && !(pol.Public && eff.RestrictPublicBuckets)

	var viaAP []string
	if len(in.AccessPoints) > 0 {
		var bucketPol *Policy
		if strings.TrimSpace(in.Policy) != "" {
			bucketPol, _ = ParsePolicy(in.Policy) // parsed above without error
		}
		for _, ap := range in.AccessPoints {
			ar, err := evaluateAccessPoint(ap, bucketPol, pol.Public, in.BucketBPA, in.AccountBPA, o)
			if err != nil {
				return res, err
			}
			if ar.Public {
				viaAP = append(viaAP, ap.Name)
			}
			res.AccessPoints = append(res.AccessPoints, ar)
		}
	}

	switch {
	case policyPublicNow || aclPublicNow || len(viaAP) > 0:
		res.Access = AccessPublic
	case pol.Public:
		res.Access = AccessOnlyThisAccount
	case !(eff.BlockPublicAcls && eff.IgnorePublicAcls && eff.BlockPublicPolicy && eff.RestrictPublicBuckets):
		res.Access = AccessObjectsCanBe
	default:
		res.Access = AccessNotPublic
	}
	// With unread inputs only a verdict they cannot change stands: public
	// by a policy that was read, with RestrictPublicBuckets known off, or
	// by an ACL grant, with IgnorePublicAcls known off and ACLs known on.
	if in.Unread != 0 {
		bpaRead := in.Unread&(UnreadBucketBPA|UnreadAccountBPA) == 0
		certain := (policyPublicNow && in.Unread&UnreadPolicy == 0 && bpaRead) ||
			(aclPublicNow && in.Unread&(UnreadACL|UnreadOwnership) == 0 && bpaRead)
		if !certain {
			res.Access = AccessUnknown
			res.Undetermined = true
		}
	}
	res.Public = res.Access == AccessPublic
	res.Shared = policySharedNow || aclShared
	if policySharedNow {
		res.SharedWith = append(res.SharedWith, pol.SharedWith...)
	}
	res.SharedWith = uniqueSorted(append(res.SharedWith, aclSharedWith...))
	res.Reasons = reasons(res, pol, eff, from, policyPublicNow, aclPublicNow, in)
	return res, nil
}

// effectiveBPA combines bucket and account settings and records where each
// flag that is on comes from.
func effectiveBPA(bucket, account *BlockPublicAccess) (BlockPublicAccess, map[string]string) {
	var b, a BlockPublicAccess
	if bucket != nil {
		b = *bucket
	}
	if account != nil {
		a = *account
	}
	from := map[string]string{}
	level := func(name string, atBucket, atAccount bool) bool {
		switch {
		case atBucket && atAccount:
			from[name] = "bucket and account"
		case atBucket:
			from[name] = "bucket"
		case atAccount:
			from[name] = "account"
		}
		return atBucket || atAccount
	}
	return BlockPublicAccess{
		BlockPublicAcls:       level("BlockPublicAcls", b.BlockPublicAcls, a.BlockPublicAcls),
		IgnorePublicAcls:      level("IgnorePublicAcls", b.IgnorePublicAcls, a.IgnorePublicAcls),
		BlockPublicPolicy:     level("BlockPublicPolicy", b.BlockPublicPolicy, a.BlockPublicPolicy),
		RestrictPublicBuckets: level("RestrictPublicBuckets", b.RestrictPublicBuckets, a.RestrictPublicBuckets),
	}, from
}

var flagNames = []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}

func flagOn(b BlockPublicAccess, name string) bool {
	switch name {
	case "BlockPublicAcls":
		return b.BlockPublicAcls
	case "IgnorePublicAcls":
		return b.IgnorePublicAcls
	case "BlockPublicPolicy":
		return b.BlockPublicPolicy
	}
	return b.RestrictPublicBuckets
}

func reasons(res Result, pol PolicyResult, eff BlockPublicAccess, from map[string]string, policyPublicNow, aclPublicNow bool, in Input) []string {
	var out []string
	var off []string
	for _, n := range flagNames {
		if !flagOn(eff, n) {
			off = append(off, n)
		}
	}
	switch res.Access {
	case AccessPublic:
		var causes []string
		if policyPublicNow {
			causes = append(causes, "its bucket policy is public and RestrictPublicBuckets is off")
		}
		if aclPublicNow {
			causes = append(causes, "its ACL grants access to everyone or to all AWS accounts and IgnorePublicAcls is off")
		}
		for _, ap := range res.AccessPoints {
			if ap.Public {
				causes = append(causes, fmt.Sprintf("access point %s has a public policy that the bucket policy delegates to", quote(ap.Name)))
			}
		}
		out = append(out, "Public: "+strings.Join(causes, ", and ")+".")
	case AccessOnlyThisAccount:
		out = append(out, fmt.Sprintf("Only authorized users of this account: the bucket policy is public, but RestrictPublicBuckets (%s level) limits access to AWS service principals and users of the owner's account; the policy's grants to other accounts are blocked too. Turning RestrictPublicBuckets off would expose the bucket again.", from["RestrictPublicBuckets"]))
	case AccessObjectsCanBe:
		out = append(out, fmt.Sprintf("Objects can be public: nothing makes the bucket public now, but %s %s off, so someone with the permission can still make the bucket or its objects public.", strings.Join(off, ", "), isAre(len(off))))
	case AccessNotPublic:
		out = append(out, "Bucket and objects not public: no public policy or ACL, and all four Block Public Access settings are on.")
	case AccessUnknown:
		out = append(out, fmt.Sprintf("Could not be determined: %s could not be read, and a read that is refused is not the same as having none. Run the check with an identity allowed to read them (see 'aws preflight'), or from the bucket owner's account.", strings.Join(in.Unread.names(), ", ")))
	}
	if res.Disagreement != "" {
		out = append(out, res.Disagreement)
	}
	if res.Shared {
		out = append(out, fmt.Sprintf("Shared: %s can reach the bucket.", strings.Join(res.SharedWith, ", ")))
	}
	for _, f := range pol.Statements {
		if f.Effect == "Allow" {
			out = append(out, f.Reason)
		}
	}
	if pol.Public {
		for _, f := range pol.Statements {
			if f.Effect == "Deny" {
				out = append(out, fmt.Sprintf("%s is a Deny: it may narrow the access above, but by S3's rule a Deny never changes whether a policy is public; compare with S3's own check (GetBucketPolicyStatus) when online.", f.label()))
			}
		}
	}
	if strings.TrimSpace(in.Policy) == "" && in.Unread&UnreadPolicy == 0 {
		out = append(out, "There is no bucket policy.")
	}
	for _, g := range res.Grants {
		if g.Public || g.Shared {
			out = append(out, g.Reason)
		}
	}
	var on []string
	for _, n := range flagNames {
		if flagOn(eff, n) {
			on = append(on, fmt.Sprintf("%s (%s)", n, from[n]))
		}
	}
	switch {
	case in.Unread&(UnreadBucketBPA|UnreadAccountBPA) != 0 && len(off) == 0:
		out = append(out, "Block Public Access: all four settings are on: "+strings.Join(on, ", ")+".")
	case in.Unread&(UnreadBucketBPA|UnreadAccountBPA) != 0 && len(on) == 0:
		out = append(out, "Block Public Access: no setting is on at the level that could be read.")
	case in.Unread&(UnreadBucketBPA|UnreadAccountBPA) != 0:
		out = append(out, fmt.Sprintf("Block Public Access: on: %s; not on at the level that could be read: %s.", strings.Join(on, ", "), strings.Join(off, ", ")))
	case len(on) == 0:
		out = append(out, "Block Public Access: every setting is off at both bucket and account level.")
	case len(off) == 0:
		out = append(out, "Block Public Access: all four settings are on: "+strings.Join(on, ", ")+".")
	default:
		out = append(out, fmt.Sprintf("Block Public Access: on: %s; off: %s.", strings.Join(on, ", "), strings.Join(off, ", ")))
	}
	if res.ACLsDisabled {
		out = append(out, "Object Ownership is BucketOwnerEnforced: ACLs are disabled and grant nothing.")
	}
	for _, ap := range res.AccessPoints {
		out = append(out, ap.Reasons...)
	}
	for _, u := range in.Unknown {
		if res.Undetermined {
			out = append(out, fmt.Sprintf("Could not read %s.", u))
		} else {
			out = append(out, fmt.Sprintf("Could not read %s: the verdict treats it as not configured and may be wrong.", u))
		}
	}
	return out
}
