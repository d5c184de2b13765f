package changeplan

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"s3responder/app"
)

// RevokePolicy is the inline policy that denies everything to sessions
// issued before cutoff (aws:TokenIssueTime), the document the IAM console
// writes when it revokes a role's sessions.
func RevokePolicy(cutoff time.Time) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"%s"}}}]}`,
		cutoff.UTC().Format("2006-01-02T15:04:05Z")))
}

// PrincipalPatterns turns the caller's ARN into the aws:PrincipalArn
// values that match it. A role session's aws:PrincipalArn is the role's
// ARN, with its path, which the session ARN does not show: both the
// pathless ARN and any path are matched (role names are unique in an
// account whatever their path).
func PrincipalPatterns(arn string) ([]string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return nil, fmt.Errorf("%w: %q is not an ARN", app.ErrInvalid, arn)
	}
	partition, service, account, resource := parts[1], parts[2], parts[4], parts[5]
	if service == "sts" && strings.HasPrefix(resource, "assumed-role/") {
		role := strings.SplitN(strings.TrimPrefix(resource, "assumed-role/"), "/", 2)[0]
		base := fmt.Sprintf("arn:%s:iam::%s:role/", partition, account)
		return []string{base + role, base + "*/" + role}, nil
	}
	return []string{arn}, nil
}

// principalMatches reports whether a principal of a trust policy is one
// the person asked to remove: the same string, or an account id given
// for that account's root ARN (IAM stores "123456789012" as
// "arn:aws:iam::123456789012:root").
func principalMatches(value string, remove []string) bool {
	for _, r := range remove {
		if value == r {
			return true
		}
		if len(r) == 12 && strings.HasPrefix(value, "arn:") && strings.HasSuffix(value, ":iam::"+r+":root") {
			return true
		}
	}
	return false
}

// RemovePrincipals drops the named principals from the Allow statements of
// a trust policy. A principal type left empty goes, and a statement left
// without principals goes. It returns the new policy and what it removed.
func RemovePrincipals(trust json.RawMessage, remove []string) (json.RawMessage, []string, error) {
	doc, err := ParsePolicy(trust)
	if err != nil {
		return nil, nil, err
	}
	var kept []json.RawMessage
	var removed []string
	for _, st := range doc.Statements {
		obj, err := ParseObject(st)
		if err != nil {
			return nil, nil, fmt.Errorf("read a statement of the trust policy: %w", err)
		}
		var effect string
		e, _ := obj.Get("Effect")
		_ = json.Unmarshal(e, &effect)
		pr, ok := obj.Get("Principal")
		if effect != "Allow" || !ok {
			kept = append(kept, st)
			continue
		}
		if vals, ok := StringList(pr); ok { // "Principal": "*"
			if principalMatches(strings.Join(vals, ""), remove) {
				removed = append(removed, vals...)
				continue
			}
			kept = append(kept, st)
			continue
		}
		types, err := ParseObject(pr)
		if err != nil {
			return nil, nil, fmt.Errorf("read the Principal of a trust statement: %w", err)
		}
		changed := false
		for _, typ := range types.Keys() {
			v, _ := types.Get(typ)
			vals, ok := StringList(v)
			if !ok {
				continue
			}
			left := slices.DeleteFunc(slices.Clone(vals), func(v string) bool { return principalMatches(v, remove) })
			if len(left) == len(vals) {
				continue
			}
			for _, v := range vals {
				if principalMatches(v, remove) {
					removed = append(removed, v)
				}
			}
			changed = true
			switch len(left) {
			case 0:
				types.Remove(typ)
			case 1:
				b, _ := json.Marshal(left[0])
				types.Set(typ, b)
			default:
				b, _ := json.Marshal(left)
				types.Set(typ, b)
			}
		}
		switch {
		case !changed:
			kept = append(kept, st)
		case len(types.Keys()) == 0:
			// Nobody is left to assume the role through this statement.
		default:
			obj.Set("Principal", types.Encode())
			kept = append(kept, obj.Encode())
		}
	}
	if len(removed) == 0 {
		return nil, nil, fmt.Errorf("%w: no Allow statement of the trust policy names %s", app.ErrNoChange, strings.Join(remove, ", "))
	}
	if len(kept) == 0 {
		return nil, nil, fmt.Errorf("%w: removing %s would leave the trust policy without any statement, which IAM refuses; neutralise the role instead (iam.neutralise-role) or give the whole new policy (policyDocument)", app.ErrInvalid, strings.Join(removed, ", "))
	}
	doc.Statements = kept
	return doc.Encode(), removed, nil
}

// CheckTrustRequest refuses a trust-policy change that names neither the
// principals to remove nor the new policy, or both.
func CheckTrustRequest(removeList, newDoc string) error {
	switch {
	case removeList == "" && newDoc == "":
		return fmt.Errorf("%w: say which principals to remove (removePrincipals) or give the new trust policy (policyDocument)", app.ErrInvalid)
	case removeList != "" && newDoc != "":
		return fmt.Errorf("%w: give removePrincipals or policyDocument, not both", app.ErrInvalid)
	}
	return nil
}

// EditTrust works out role's new trust policy from the current one:
// newDoc as it is when given, otherwise the current policy without the
// principals of removeList (comma separated), which it returns as removed.
func EditTrust(role string, before json.RawMessage, removeList, newDoc string) (after json.RawMessage, removed []string, err error) {
	if newDoc != "" {
		if _, err := ParsePolicy(json.RawMessage(newDoc)); err != nil {
			return nil, nil, fmt.Errorf("the new trust policy: %w", err)
		}
		return Compact([]byte(newDoc)), nil, nil
	}
	var remove []string
	for _, p := range strings.Split(removeList, ",") {
		if p = strings.TrimSpace(p); p != "" {
			remove = append(remove, p)
		}
	}
	if after, removed, err = RemovePrincipals(before, remove); err != nil {
		return nil, nil, fmt.Errorf("role %s: %w", role, err)
	}
	return after, removed, nil
}

// Responders are the aws:PrincipalArn patterns a bucket lock leaves in
// control: the caller's (PrincipalPatterns) and the ARNs of extra, comma
// separated, each once. bucket is only for the errors.
func Responders(callerARN, extra, bucket string) ([]string, error) {
	responders, err := PrincipalPatterns(callerARN)
	if err != nil {
		return nil, fmt.Errorf("lock bucket %s: who the connection acts as: %w", bucket, err)
	}
	for _, a := range strings.Split(extra, ",") {
		if a = strings.TrimSpace(a); a != "" && !slices.Contains(responders, a) {
			if !strings.HasPrefix(a, "arn:") {
				return nil, fmt.Errorf("%w: responder %q is not an ARN", app.ErrInvalid, a)
			}
			responders = append(responders, a)
		}
	}
	return responders, nil
}
