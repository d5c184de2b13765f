package exposure

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"s3responder/app"
)

// Network origins of an access point (GetAccessPoint's NetworkOrigin).
const (
	OriginInternet = "Internet"
	OriginVPC      = "VPC"
)

// AccessPoint is one access point of a bucket: another door to its data,
// with its own policy, its own Block Public Access (fixed when the access
// point was created) and a network origin.
type AccessPoint struct {
	Name string `json:"name"`
	// Account owns the access point; "" means the bucket owner's.
	Account string `json:"account,omitempty"`
	// Policy is the access point policy; "" means none.
	Policy string `json:"policy,omitempty"`
	// BPA is the access point's own Block Public Access; nil when not
	// known (an access point always has one: AWS turns all four on unless
	// told otherwise at creation).
	BPA *BlockPublicAccess `json:"blockPublicAccess,omitempty"`
	// NetworkOrigin is Internet or VPC; "" when not known (taken as
	// Internet: the unclear case is called public).
	NetworkOrigin string `json:"networkOrigin,omitempty"`
	// S3PolicyPublic is S3's verdict on the access point policy
	// (GetAccessPointPolicyStatus), nil offline.
	S3PolicyPublic *bool `json:"s3PolicyPublic,omitempty"`
}

// AccessPointResult is the verdict on one access point.
type AccessPointResult struct {
	Name string `json:"name"`
	// Public: anyone on the internet can reach the bucket's data through
	// this access point now.
	Public bool `json:"public"`
	// PolicyPublic: the access point policy is public by S3's rule,
	// whatever blocks it.
	PolicyPublic bool `json:"policyPublic"`
	// Delegated: the bucket policy lets requests through access points
	// decide (s3:DataAccessPointAccount or s3:DataAccessPointArn).
	Delegated     bool               `json:"delegated"`
	NetworkOrigin string             `json:"networkOrigin,omitempty"`
	Statements    []StatementFinding `json:"statements,omitempty"`
	SharedWith    []string           `json:"sharedWith,omitempty"`
	Reasons       []string           `json:"reasons"`
}

// delegation reports whether the bucket policy lets requests that come
// through the access point be decided by the access point's policy: an
// Allow to "*" limited by a fixed s3:DataAccessPointAccount (the access
// point's account) or s3:DataAccessPointArn matching the access point.
// A bucket policy that is itself public lets everyone in anyway.
func delegation(bucket *Policy, ap AccessPoint, o owner) (bool, string) {
	if bucket == nil {
		return false, "the bucket has no policy, so it delegates nothing to access points"
	}
	acct := ap.Account
	if acct == "" {
		acct = o.account
	}
	for _, st := range bucket.Statements {
		if st.Effect != "Allow" || st.NotPrincipal != nil {
			continue
		}
		if _, wild := wildcardPrincipal(st.Principal); !wild {
			continue
		}
		for _, c := range st.Conditions {
			if c.IfExists || !positiveOps[c.Base] {
				continue
			}
			switch strings.ToLower(c.Key) {
			case "s3:dataaccesspointaccount":
				for _, v := range c.Values {
					if acct == "" || v == acct {
						return true, fmt.Sprintf("%s delegates access to the access points of account %s (s3:DataAccessPointAccount)", StatementFinding{Index: st.Index, Sid: st.Sid}.label(), v)
					}
				}
			case "s3:dataaccesspointarn":
				for _, v := range c.Values {
					parts := strings.SplitN(v, ":", 6)
					if len(parts) == 6 && (acct == "" || parts[4] == acct) && globMatch(strings.TrimPrefix(parts[5], "accesspoint/"), ap.Name) {
						return true, fmt.Sprintf("%s delegates access to access point %s (s3:DataAccessPointArn %s)", StatementFinding{Index: st.Index, Sid: st.Sid}.label(), quote(ap.Name), quote(v))
					}
				}
			}
		}
	}
	return false, "the bucket policy does not delegate access to this access point (no Allow to \"*\" limited by s3:DataAccessPointAccount or s3:DataAccessPointArn)"
}

// evaluateAccessPoint judges one access point. A request through it must
// pass the access point policy and the bucket policy, and is refused when
// the access point's, the bucket's or the account's Block Public Access
// blocks it (S3 User Guide, access points and Block Public Access).
func evaluateAccessPoint(ap AccessPoint, bucket *Policy, bucketPublic bool, bucketBPA, accountBPA *BlockPublicAccess, o owner) (AccessPointResult, error) {
	r := AccessPointResult{Name: ap.Name, NetworkOrigin: ap.NetworkOrigin}
	label := fmt.Sprintf("Access point %s", quote(ap.Name))
	pol, err := evaluatePolicy(ap.Policy, o)
	if err != nil {
		return r, fmt.Errorf("access point %s policy: %w", ap.Name, err)
	}
	r.Statements = pol.Statements
	r.PolicyPublic = pol.Public
	if s3 := ap.S3PolicyPublic; s3 != nil && *s3 && !pol.Public {
		r.PolicyPublic = true
		r.Reasons = append(r.Reasons, label+": S3 says its policy is public though no statement looks public to S3 Responder's evaluator; the verdict follows S3.")
	}
	r.Delegated, _ = delegation(bucket, ap, o)
	apBPA := BlockPublicAccess{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	bpaKnown := ap.BPA != nil
	if bpaKnown {
		apBPA = *ap.BPA
	}
	levels := map[string]*BlockPublicAccess{"access point": &apBPA, "bucket": bucketBPA, "account": accountBPA}
	var restrictedBy []string
	for _, lv := range []string{"access point", "bucket", "account"} {
		if b := levels[lv]; b != nil && b.RestrictPublicBuckets {
			restrictedBy = append(restrictedBy, lv)
		}
	}
	vpc := strings.EqualFold(ap.NetworkOrigin, OriginVPC)
	_, delegWhy := delegation(bucket, ap, o)
	switch {
	case !r.PolicyPublic:
		r.Reasons = append(r.Reasons, label+": its policy is not public.")
		if pol.Shared {
			r.SharedWith = pol.SharedWith
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s: its policy shares access with %s.", label, strings.Join(pol.SharedWith, ", ")))
		}
	case vpc:
		r.Reasons = append(r.Reasons, label+": its policy is public, but its network origin is VPC, so it takes no request from the internet.")
	case len(restrictedBy) > 0:
		r.Reasons = append(r.Reasons, fmt.Sprintf("%s: its policy is public, but RestrictPublicBuckets (%s) limits it to AWS service principals and the owner's account.", label, strings.Join(restrictedBy, ", ")))
	case !r.Delegated && !bucketPublic:
		r.Reasons = append(r.Reasons, fmt.Sprintf("%s: its policy is public, but %s, and a request must pass the bucket policy too.", label, delegWhy))
	default:
		r.Public = true
		why := delegWhy
		if !r.Delegated {
			why = "the bucket policy is public itself"
		}
		r.Reasons = append(r.Reasons, fmt.Sprintf("%s: public: its policy is public, RestrictPublicBuckets is off at the access point, bucket and account, its network origin is %s, and %s.", label, originWords(ap.NetworkOrigin), why))
	}
	if !bpaKnown {
		r.Reasons = append(r.Reasons, label+": its own Block Public Access was not given; taken as all on, the default at creation.")
	}
	for _, f := range pol.Statements {
		if f.Effect == "Allow" && (f.Public || f.Shared) {
			r.Reasons = append(r.Reasons, label+": "+f.Reason)
		}
	}
	return r, nil
}

func originWords(o string) string {
	if o == "" {
		return "not known (taken as Internet)"
	}
	return o
}

// ParseAccessPointConfig reads a saved 'aws s3control get-access-point'
// response (its Name, NetworkOrigin and PublicAccessBlockConfiguration
// fill ap) or a bare Block Public Access configuration (only ap.BPA).
func ParseAccessPointConfig(data []byte, ap *AccessPoint) error {
	var resp struct {
		Name          string
		NetworkOrigin string
		Bucket        string
	}
	if json.Unmarshal(bytes.TrimSpace(data), &resp) == nil && (resp.Name != "" || resp.NetworkOrigin != "") {
		var whole map[string]json.RawMessage
		_ = json.Unmarshal(bytes.TrimSpace(data), &whole) // decoded above
		if resp.Name != "" {
			ap.Name = resp.Name
		}
		switch {
		case strings.EqualFold(resp.NetworkOrigin, OriginVPC):
			ap.NetworkOrigin = OriginVPC
		case strings.EqualFold(resp.NetworkOrigin, OriginInternet):
			ap.NetworkOrigin = OriginInternet
		case resp.NetworkOrigin != "":
			return fmt.Errorf("access point network origin %s is neither %s nor %s: %w", quote(resp.NetworkOrigin), OriginInternet, OriginVPC, app.ErrInvalid)
		}
		raw, ok := whole["PublicAccessBlockConfiguration"]
		if !ok {
			return nil
		}
		data = raw
	}
	b, err := ParseBlockPublicAccess(data)
	if err != nil {
		return err
	}
	ap.BPA = b
	return nil
}

// AccessPointNameOf returns the access point a policy's resources name
// (arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/...), or "".
func AccessPointNameOf(doc string) string {
	p, err := ParsePolicy(doc)
	if err != nil {
		return ""
	}
	for _, st := range p.Statements {
		for _, r := range st.Resource {
			parts := strings.SplitN(r, ":", 6)
			if len(parts) == 6 && parts[0] == "arn" {
				if rest, ok := strings.CutPrefix(parts[5], "accesspoint/"); ok {
					name, _, _ := strings.Cut(rest, "/")
					if name != "" && !hasWildcard(name) {
						return name
					}
				}
			}
		}
	}
	return ""
}
