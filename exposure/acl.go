package exposure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"s3responder/app"
)

// ACL is a bucket ACL in the shape GetBucketAcl returns it (the AWS CLI's
// `s3api get-bucket-acl` output, and the SDK output marshalled to JSON).
type ACL struct {
	Owner  *Owner  `json:"Owner,omitempty"`
	Grants []Grant `json:"Grants"`
}

// Owner is the bucket owner as an ACL names it.
type Owner struct {
	DisplayName string `json:"DisplayName,omitempty"`
	ID          string `json:"ID,omitempty"`
}

// Grant is one ACL grant.
type Grant struct {
	Grantee    Grantee `json:"Grantee"`
	Permission string  `json:"Permission"`
}

// Grantee is who a grant is for. Type is "CanonicalUser", "Group" or
// "AmazonCustomerByEmail".
type Grantee struct {
	Type         string `json:"Type"`
	URI          string `json:"URI,omitempty"`
	ID           string `json:"ID,omitempty"`
	DisplayName  string `json:"DisplayName,omitempty"`
	EmailAddress string `json:"EmailAddress,omitempty"`
}

// Predefined group URIs (S3 User Guide, "Access control list (ACL)
// overview", Amazon S3 predefined groups).
const (
	AllUsersURI           = "http://acs.amazonaws.com/groups/global/AllUsers"
	AuthenticatedUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	LogDeliveryURI        = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// GrantFinding is what one ACL grant gives.
type GrantFinding struct {
	Index      int    `json:"index"`
	Grantee    string `json:"grantee"`
	Permission string `json:"permission"`
	Public     bool   `json:"public"`
	Shared     bool   `json:"shared"`
	// Effective is false when S3 does not apply the grant: ACLs are
	// disabled (BucketOwnerEnforced), or a public grant is ignored
	// (IgnorePublicAcls).
	Effective bool   `json:"effective"`
	Reason    string `json:"reason"`
}

// ParseACL reads a GetBucketAcl response saved as JSON. Both the
// top-level object and a bare list of grants are accepted.
func ParseACL(data []byte) (*ACL, error) {
	trimmed := bytes.TrimSpace(data)
	var acl ACL
	var err error
	if len(trimmed) > 0 && trimmed[0] == '[' {
		err = json.Unmarshal(trimmed, &acl.Grants)
	} else {
		err = json.Unmarshal(trimmed, &acl)
	}
	if err != nil {
		return nil, jsonError("bucket ACL", trimmed, err)
	}
	for i, g := range acl.Grants {
		if g.Permission == "" {
			return nil, fmt.Errorf("bucket ACL grant %d has no Permission: %w", i+1, app.ErrInvalid)
		}
	}
	return &acl, nil
}

// jsonError turns encoding/json errors into positioned SyntaxErrors.
func jsonError(what string, src []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return newSyntaxError(what, src, se.Offset-1, se.Error())
	case errors.As(err, &te):
		return newSyntaxError(what, src, te.Offset-1, fmt.Sprintf("%s must be %s, not a JSON %s", te.Field, te.Type, te.Value))
	case len(src) == 0:
		return newSyntaxError(what, src, 0, "the document is empty")
	}
	return newSyntaxError(what, src, int64(len(src)), err.Error())
}

// permissionWords say what a bucket ACL permission lets the grantee do
// (S3 User Guide, "Access control list (ACL) overview", permissions table
// for buckets).
var permissionWords = map[string]string{
	"READ":         "list the objects in the bucket",
	"WRITE":        "create, overwrite and delete objects in the bucket",
	"READ_ACP":     "read the bucket's ACL",
	"WRITE_ACP":    "change the bucket's ACL, and so give themselves any other permission",
	"FULL_CONTROL": "list, create, overwrite and delete objects and read and change the bucket's ACL",
}

// granteeClass sorts a grantee. The Group ID forms "all-users" and
// "authenticated-users" are what versitygw returns instead of the URIs.
func granteeClass(g Grantee) (kind, words string) {
	uri := strings.TrimSpace(g.URI)
	switch {
	case uri == AllUsersURI || strings.EqualFold(g.ID, "all-users") || strings.HasSuffix(uri, "/global/AllUsers"):
		return "all", "everyone (the AllUsers group, no credentials needed)"
	case uri == AuthenticatedUsersURI || strings.EqualFold(g.ID, "authenticated-users") || strings.HasSuffix(uri, "/global/AuthenticatedUsers"):
		return "authenticated", "anyone with any AWS account (the AuthenticatedUsers group)"
	case uri == LogDeliveryURI || strings.HasSuffix(uri, "/s3/LogDelivery"):
		return "logdelivery", "the S3 log delivery group"
	case g.Type == "AmazonCustomerByEmail" || g.EmailAddress != "":
		return "email", "the AWS account with e-mail " + g.EmailAddress
	case g.Type == "Group":
		return "group", "the group " + firstNonEmpty(uri, g.ID)
	}
	name := g.ID
	if g.DisplayName != "" {
		name = fmt.Sprintf("%s (%s)", g.ID, g.DisplayName)
	}
	return "canonical", "canonical user " + name
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// judgeGrants evaluates an ACL. disabled: ACLs are off (BucketOwnerEnforced);
// ignorePublic: IgnorePublicAcls is in effect.
func judgeGrants(acl *ACL, o owner, disabled, ignorePublic bool) []GrantFinding {
	var out []GrantFinding
	for i, g := range acl.Grants {
		kind, who := granteeClass(g.Grantee)
		perm := strings.ToUpper(g.Permission)
		what, ok := permissionWords[perm]
		if !ok {
			what = "use the permission " + quote(g.Permission)
		}
		f := GrantFinding{Index: i, Grantee: who, Permission: perm, Effective: true}
		switch kind {
		case "all", "authenticated":
			f.Public = true
		case "email":
			f.Shared = true
		case "canonical":
			f.Shared = o.canonical == "" || g.Grantee.ID != o.canonical
		}
		label := fmt.Sprintf("ACL grant %d lets %s %s (%s)", i+1, who, what, perm)
		switch {
		case disabled && (f.Public || f.Shared):
			f.Effective = false
			f.Reason = label + ", but ACLs are disabled (Object Ownership is BucketOwnerEnforced), so it grants nothing."
		case f.Public && ignorePublic:
			f.Effective = false
			f.Reason = label + ", but IgnorePublicAcls is on, so S3 ignores it."
		case f.Public:
			f.Reason = label + ": the ACL is public."
		case f.Shared && o.canonical == "":
			f.Reason = label + ": external access unless that is the owner's own canonical id (the owner's id was not given)."
		case f.Shared:
			f.Reason = label + ": external access for another AWS account."
		case kind == "logdelivery":
			f.Reason = label + ": S3 uses this to deliver access logs; it is not public."
		default:
			f.Reason = label + ": this is the bucket owner."
		}
		out = append(out, f)
	}
	return out
}
