package tabletop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"s3responder/app"
	"s3responder/changeplan"
	"s3responder/exposure"
)

// The simulated account's state: what the responders can change. It is
// built afresh from the scenario and changed only through writeState, one
// resource at a time, in the same JSON forms the aws package reads and
// writes (app.Resource kinds), so plans, the journal, verify, resume and
// undo work on it exactly as on AWS.

// Group grantee URIs of S3 ACLs.
const (
	allUsersURI      = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsersURI     = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	logDeliveryURI   = "http://acs.amazonaws.com/groups/s3/LogDelivery"
	granteeCanonical = "CanonicalUser"
	granteeGroup     = "Group"
	granteeEmail     = "AmazonCustomerByEmail"
)

// The ACL state of a change is the shared one of package changeplan.
type (
	aclState   = changeplan.ACL
	aclOwner   = changeplan.ACLOwner
	aclGrant   = changeplan.ACLGrant
	aclGrantee = changeplan.ACLGrantee
)

// sortGrants puts grants in one order, so that equal ACLs are equal JSON.
func sortGrants(g []aclGrant) { changeplan.SortGrants(g) }

// granteeOf reads a scenario grantee: AllUsers, AuthenticatedUsers,
// LogDelivery, owner, id:CANONICAL or email:ADDRESS.
func granteeOf(s, owner string) (aclGrantee, error) {
	switch {
	case strings.EqualFold(s, "AllUsers"):
		return aclGrantee{Type: granteeGroup, URI: allUsersURI}, nil
	case strings.EqualFold(s, "AuthenticatedUsers"):
		return aclGrantee{Type: granteeGroup, URI: authUsersURI}, nil
	case strings.EqualFold(s, "LogDelivery"):
		return aclGrantee{Type: granteeGroup, URI: logDeliveryURI}, nil
	case s == "owner":
		return aclGrantee{Type: granteeCanonical, ID: owner}, nil
	case strings.HasPrefix(s, "id:") && canonRe.MatchString(s[3:]):
		return aclGrantee{Type: granteeCanonical, ID: s[3:]}, nil
	case strings.HasPrefix(s, "email:") && strings.Contains(s, "@"):
		return aclGrantee{Type: granteeEmail, EmailAddress: s[6:]}, nil
	}
	return aclGrantee{}, fmt.Errorf("grantee %q is not AllUsers, AuthenticatedUsers, LogDelivery, owner, id:CANONICAL-ID (64 hex digits) or email:ADDRESS", s)
}

// buildACL turns a canned ACL and extra grants into an ACL owned by owner.
func buildACL(canned string, grants []Grant, owner string) aclState {
	st := aclState{Owner: aclOwner{ID: owner}, Grants: []aclGrant{{Grantee: aclGrantee{Type: granteeCanonical, ID: owner}, Permission: "FULL_CONTROL"}}}
	add := func(uri, perm string) {
		st.Grants = append(st.Grants, aclGrant{Grantee: aclGrantee{Type: granteeGroup, URI: uri}, Permission: perm})
	}
	switch canned {
	case "public-read":
		add(allUsersURI, "READ")
	case "public-read-write":
		add(allUsersURI, "READ")
		add(allUsersURI, "WRITE")
	case "authenticated-read":
		add(authUsersURI, "READ")
	case "log-delivery-write":
		add(logDeliveryURI, "WRITE")
		add(logDeliveryURI, "READ_ACP")
	}
	for _, g := range grants {
		ge, err := granteeOf(g.Grantee, owner)
		if err == nil { // the scenario was validated
			st.Grants = append(st.Grants, aclGrant{Grantee: ge, Permission: g.Permission})
		}
	}
	sortGrants(st.Grants)
	st.Grants = slices.Compact(st.Grants)
	return st
}

// aclExposure turns an ACL state into the evaluator's form.
func aclExposure(a aclState) *exposure.ACL {
	out := &exposure.ACL{Owner: &exposure.Owner{ID: a.Owner.ID}, Grants: []exposure.Grant{}}
	for _, g := range a.Grants {
		out.Grants = append(out.Grants, exposure.Grant{Permission: g.Permission, Grantee: exposure.Grantee{
			Type: g.Grantee.Type, ID: g.Grantee.ID, URI: g.Grantee.URI, EmailAddress: g.Grantee.EmailAddress}})
	}
	return out
}

// bpaState is Block Public Access as a state: the four flags in AWS's order.
type bpaState struct {
	BlockPublicAcls       bool `json:"BlockPublicAcls"`
	IgnorePublicAcls      bool `json:"IgnorePublicAcls"`
	BlockPublicPolicy     bool `json:"BlockPublicPolicy"`
	RestrictPublicBuckets bool `json:"RestrictPublicBuckets"`
}

func bpaOf(b *BPA) *bpaState {
	if b == nil {
		return nil
	}
	return &bpaState{b.BlockPublicAcls, b.IgnorePublicAcls, b.BlockPublicPolicy, b.RestrictPublicBuckets}
}

func (b *bpaState) exposure() *exposure.BlockPublicAccess {
	if b == nil {
		return nil
	}
	return &exposure.BlockPublicAccess{BlockPublicAcls: b.BlockPublicAcls, IgnorePublicAcls: b.IgnorePublicAcls,
		BlockPublicPolicy: b.BlockPublicPolicy, RestrictPublicBuckets: b.RestrictPublicBuckets}
}

// world is everything of the account that a change can set.
type world struct {
	accountBPA *bpaState
	buckets    []*bucket
	users      []*user
	roles      []*role
	jobs       []*batchJob    // S3 Batch Operations jobs (api_control.go)
	ec2        ec2World       // instances, key pairs, launch templates (api_ec2.go)
	recorded   []simEvent     // the responders' calls through the simulated APIs (api_trail.go)
	athena     []*athenaQuery // query executions (api_athena.go)
}

type bucket struct {
	spec      *Bucket
	policy    string // compact JSON; "" when there is none
	bpa       *bpaState
	ownership string
	acl       aclState
	objects   []*object // by key
	s3        *bucketS3 // versions and configurations of the S3 API (api_s3.go)
}

type object struct {
	spec *Object
	acl  aclState
}

type user struct {
	spec   *User
	arn    string
	keys   []*accessKey
	inline map[string]string
}

type accessKey struct {
	spec    *AccessKey
	status  string
	deleted bool
}

type role struct {
	spec   *Role
	arn    string
	trust  string
	inline map[string]string
}

// newWorld builds the state the scenario describes.
func newWorld(sc *Scenario) *world {
	w := &world{accountBPA: bpaOf(sc.AccountPublicAccessBlock)}
	for i := range sc.Buckets {
		spec := &sc.Buckets[i]
		b := &bucket{spec: spec, policy: spec.Policy.JSON, bpa: bpaOf(spec.PublicAccessBlock), ownership: spec.Ownership,
			acl: buildACL(spec.ACL, spec.Grants, sc.CanonicalID)}
		for j := range spec.Objects {
			o := &spec.Objects[j]
			b.objects = append(b.objects, &object{spec: o, acl: buildACL(o.ACL, o.Grants, sc.CanonicalID)})
		}
		slices.SortFunc(b.objects, func(x, y *object) int { return strings.Compare(x.spec.Key, y.spec.Key) })
		w.buckets = append(w.buckets, b)
	}
	for i := range sc.Users {
		spec := &sc.Users[i]
		u := &user{spec: spec, arn: fmt.Sprintf("arn:aws:iam::%s:user%s%s", sc.Account, spec.Path, spec.Name), inline: map[string]string{}}
		for j := range spec.AccessKeys {
			k := &spec.AccessKeys[j]
			u.keys = append(u.keys, &accessKey{spec: k, status: k.Status})
		}
		for name, d := range spec.InlinePolicies {
			u.inline[name] = d.JSON
		}
		w.users = append(w.users, u)
	}
	for i := range sc.Roles {
		spec := &sc.Roles[i]
		r := &role{spec: spec, arn: fmt.Sprintf("arn:aws:iam::%s:role%s%s", sc.Account, spec.Path, spec.Name), trust: spec.TrustPolicy.JSON, inline: map[string]string{}}
		for name, d := range spec.InlinePolicies {
			r.inline[name] = d.JSON
		}
		w.roles = append(w.roles, r)
	}
	w.ec2 = newEC2World(sc)
	return w
}

func (w *world) bucket(name string) (*bucket, error) {
	for _, b := range w.buckets {
		if b.spec.Name == name {
			return b, nil
		}
	}
	return nil, fmt.Errorf("bucket %s %w in the simulated account (NoSuchBucket)", name, app.ErrNotFound)
}

func (w *world) user(name string) (*user, error) {
	for _, u := range w.users {
		if u.spec.Name == name {
			return u, nil
		}
	}
	return nil, fmt.Errorf("IAM user %s %w in the simulated account (NoSuchEntity)", name, app.ErrNotFound)
}

func (w *world) role(name string) (*role, error) {
	for _, r := range w.roles {
		if r.spec.Name == name {
			return r, nil
		}
	}
	return nil, fmt.Errorf("IAM role %s %w in the simulated account (NoSuchEntity)", name, app.ErrNotFound)
}

// keyOwner finds the user of an access key, deleted keys excluded.
func (w *world) keyOwner(id string) (*user, *accessKey) {
	for _, u := range w.users {
		for _, k := range u.keys {
			if k.spec.ID == id && !k.deleted {
				return u, k
			}
		}
	}
	return nil, nil
}

func marshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only the package's own plain types are marshalled
	}
	return b
}

func compact(doc string) json.RawMessage {
	var out bytes.Buffer
	if err := json.Compact(&out, []byte(doc)); err != nil {
		return json.RawMessage(doc)
	}
	return out.Bytes()
}

// effective combines a bucket's Block Public Access with the account's.
func (w *world) effective(b *bucket) bpaState {
	var e bpaState
	for _, s := range []*bpaState{b.bpa, w.accountBPA} {
		if s != nil {
			e.BlockPublicAcls = e.BlockPublicAcls || s.BlockPublicAcls
			e.IgnorePublicAcls = e.IgnorePublicAcls || s.IgnorePublicAcls
			e.BlockPublicPolicy = e.BlockPublicPolicy || s.BlockPublicPolicy
			e.RestrictPublicBuckets = e.RestrictPublicBuckets || s.RestrictPublicBuckets
		}
	}
	return e
}

// evaluate judges a bucket with the exposure package, S3's own policy
// status included (the simulated S3 answers with the same evaluator).
func (w *world) evaluate(sc *Scenario, b *bucket) (exposure.Result, error) {
	in := exposure.Input{
		Bucket: b.spec.Name, OwnerAccount: sc.Account, OwnerCanonicalID: sc.CanonicalID,
		Policy: b.policy, ACL: aclExposure(b.acl), BucketBPA: b.bpa.exposure(), AccountBPA: w.accountBPA.exposure(),
		Ownership: b.ownership,
	}
	if b.policy != "" {
		pol, err := exposure.EvaluatePolicy(b.policy, sc.Account)
		if err != nil {
			return exposure.Result{}, fmt.Errorf("judge the policy of bucket %s: %w", b.spec.Name, err)
		}
		in.S3PolicyPublic = &pol.Public
	}
	return exposure.Evaluate(in)
}

// timeOr returns t, or def when t is zero.
func timeOr(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}
