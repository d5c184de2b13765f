package changeplan

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"s3responder/app"
)

// ACL is an object or bucket ACL as the state of a change, in the JSON
// shape the AWS CLI takes for --access-control-policy, so a saved state can
// be put back by hand with one command. Display names are left out: S3
// fills them in (or no longer does) by itself, and they must not make two
// equal ACLs differ.
type ACL struct {
	Grants []ACLGrant `json:"Grants"`
	Owner  ACLOwner   `json:"Owner"`
}

// ACLOwner is the owner of an ACL, by canonical id.
type ACLOwner struct {
	ID string `json:"ID"`
}

// ACLGrant is one grant of an ACL.
type ACLGrant struct {
	Grantee    ACLGrantee `json:"Grantee"`
	Permission string     `json:"Permission"`
}

// ACLGrantee is who a grant is for: a canonical user, a group or an email.
type ACLGrantee struct {
	Type         string `json:"Type"`
	ID           string `json:"ID,omitempty"`
	URI          string `json:"URI,omitempty"`
	EmailAddress string `json:"EmailAddress,omitempty"`
}

// SortGrants puts grants in one order, so that equal ACLs are equal JSON.
func SortGrants(g []ACLGrant) {
	slices.SortFunc(g, func(a, b ACLGrant) int {
		for _, c := range [][2]string{{a.Grantee.Type, b.Grantee.Type}, {a.Grantee.ID, b.Grantee.ID}, {a.Grantee.URI, b.Grantee.URI}, {a.Grantee.EmailAddress, b.Grantee.EmailAddress}, {a.Permission, b.Permission}} {
			if d := strings.Compare(c[0], c[1]); d != 0 {
				return d
			}
		}
		return 0
	})
}

// KeySeparators split a keys parameter: commas or line breaks.
var KeySeparators = regexp.MustCompile(`[,\r\n]+`)

// BulkTargets reads which objects a change object by object reaches: the
// keys (sorted, each once) or the prefix, not both, and how many objects
// it may change at once (0 when not given).
func BulkTargets(params map[string]string) (keys []string, prefix string, concurrency int, err error) {
	prefix = params["prefix"]
	if v := strings.TrimSpace(params["concurrency"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > app.MaxBulkConcurrency {
			return nil, "", 0, fmt.Errorf("%w: concurrency %q: give a number from 1 to %d", app.ErrInvalid, v, app.MaxBulkConcurrency)
		}
		concurrency = n
	}
	for _, k := range KeySeparators.Split(params["keys"], -1) {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if len(keys) > 0 && prefix != "" {
		return nil, "", 0, fmt.Errorf("%w: give keys or a prefix, not both", app.ErrInvalid)
	}
	return keys, prefix, concurrency, nil
}

// ResetACL is an object's ACL after s3.reset-object-acls: its owner stays
// (the bucket owner when the current ACL names none), and the one grant
// left is the bucket owner's (spec.Args["bucketOwner"]) FULL_CONTROL.
func ResetACL(spec app.BulkSpec, current json.RawMessage) (json.RawMessage, error) {
	owner := spec.Args["bucketOwner"]
	if owner == "" {
		return nil, fmt.Errorf("%w: the plan does not name the bucket owner", app.ErrInvalid)
	}
	return PrivateACL(owner, current)
}

// PrivateACL is an ACL made private keeping its owner, for an object
// (s3.reset-object-acls) or a bucket (s3.reset-bucket-acl): the owner
// stays (owner when the ACL names none, since an ACL cannot change it),
// and the one grant left is owner's FULL_CONTROL, as the canned ACL
// "private" leaves it.
func PrivateACL(owner string, current json.RawMessage) (json.RawMessage, error) {
	var cur ACL
	if err := json.Unmarshal(current, &cur); err != nil {
		return nil, fmt.Errorf("%w: ACL %s: %v", app.ErrInvalid, current, err)
	}
	if cur.Owner.ID == "" {
		cur.Owner.ID = owner
	}
	return json.Marshal(ACL{Owner: cur.Owner, Grants: []ACLGrant{{Grantee: ACLGrantee{Type: "CanonicalUser", ID: owner}, Permission: "FULL_CONTROL"}}})
}

// BucketACLResource is a bucket's ACL as a resource of a plan.
func BucketACLResource(bucket string) app.Resource {
	return app.Resource{Kind: app.ResourceBucketACL, ID: map[string]string{"bucket": bucket}, Name: "ACL of bucket " + bucket}
}
