package tabletop

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"s3responder/app"
	"s3responder/changeplan"
	"s3responder/exposure"
)

// The simulated CloudTrail: the scenario's events, and one event for each
// call the responders made through the app, at the time the journal says
// it went through, so that a lookup after containment shows the team's own
// work beside the intruder's, as it would on AWS.

// trailEvent is one event of the simulated history.
type trailEvent struct {
	ID          string
	Name        string
	Source      string
	Time        time.Time
	Region      string
	Actor       string
	AccessKeyID string
	SourceIP    string
	UserAgent   string
	Bucket      string
	Key         string
	Role        string
	ErrorCode   string
	// Params is requestParameters as JSON ("" when none).
	Params string
}

// ownChange is one call the responders made, replayed from the journal.
type ownChange struct {
	change string
	step   string
	at     time.Time
	by     string
	res    app.Resource
	state  json.RawMessage
}

// events returns the scenario's events and the responders' own calls.
func (a *Account) events() []trailEvent {
	var out []trailEvent
	for _, e := range a.sc.CloudTrail {
		out = append(out, trailEvent{ID: e.ID, Name: e.Name, Source: e.Source, Time: e.Time.UTC(), Region: e.Region, Actor: e.Actor,
			AccessKeyID: e.AccessKeyID, SourceIP: e.SourceIP, UserAgent: e.UserAgent, Bucket: e.Bucket, Key: e.Key, Role: e.Role,
			ErrorCode: e.ErrorCode, Params: e.RequestParameters.JSON})
	}
	for _, c := range a.own {
		if e, ok := a.ownEvent(c); ok {
			out = append(out, e)
		}
	}
	return out
}

// ownEvent is the event CloudTrail would record for a responder's call.
func (a *Account) ownEvent(c ownChange) (trailEvent, bool) {
	id := c.res.ID
	sum := sha256.Sum256([]byte(c.change + "/" + c.step))
	h := hex.EncodeToString(sum[:16])
	e := trailEvent{
		ID: h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], Time: c.at.UTC(), Actor: c.by,
		AccessKeyID: a.sc.Caller.AccessKeyID, SourceIP: a.sc.Caller.SourceIP, UserAgent: "s3responder",
		Source: "iam.amazonaws.com", Region: "us-east-1",
	}
	params := map[string]any{}
	gone := absent(c.state)
	bucketCall := func(put, del string) {
		e.Source, e.Bucket = "s3.amazonaws.com", id["bucket"]
		e.Region = a.sc.Region
		if b, err := a.w.bucket(e.Bucket); err == nil {
			e.Region = b.spec.Region
		}
		params["bucketName"] = e.Bucket
		e.Name = put
		if gone {
			e.Name = del
		}
	}
	switch c.res.Kind {
	case app.ResourceBucketPolicy:
		bucketCall("PutBucketPolicy", "DeleteBucketPolicy")
		if !gone {
			params["bucketPolicy"] = c.state
		}
	case app.ResourceBucketBPA:
		bucketCall("PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock")
		if !gone {
			params["PublicAccessBlockConfiguration"] = c.state
		}
	case app.ResourceObjectACL:
		bucketCall("PutObjectAcl", "PutObjectAcl")
		e.Key = id["key"]
		params["key"] = e.Key
	case app.ResourceAccountBPA:
		e.Source, e.Region = "s3.amazonaws.com", a.region
		e.Name = "PutAccountPublicAccessBlock"
		if gone {
			e.Name = "DeleteAccountPublicAccessBlock"
		} else {
			params["PublicAccessBlockConfiguration"] = c.state
		}
	case app.ResourceAccessKeyStatus, app.ResourceAccessKey:
		e.Name = "UpdateAccessKey"
		params["userName"], params["accessKeyId"] = id["userName"], id["accessKeyId"]
		if gone {
			e.Name = "DeleteAccessKey"
		} else {
			var status string
			_ = json.Unmarshal(c.state, &status)
			params["status"] = status
		}
	case app.ResourceRoleInlinePolicy:
		e.Name, e.Role = "PutRolePolicy", id["roleName"]
		if gone {
			e.Name = "DeleteRolePolicy"
		}
		params["roleName"], params["policyName"] = id["roleName"], id["policyName"]
	case app.ResourceUserInlinePolicy:
		e.Name = "PutUserPolicy"
		if gone {
			e.Name = "DeleteUserPolicy"
		}
		params["userName"], params["policyName"] = id["userName"], id["policyName"]
	case app.ResourceRoleTrustPolicy:
		e.Name, e.Role = "UpdateAssumeRolePolicy", id["roleName"]
		params["roleName"], params["policyDocument"] = id["roleName"], string(c.state)
	default:
		return trailEvent{}, false
	}
	p, _ := json.Marshal(params)
	e.Params = string(p)
	return e, true
}

// record is the event as CloudTrail's own JSON record.
func (e trailEvent) record(account string) json.RawMessage {
	identity := map[string]any{"accountId": account}
	switch {
	case e.Actor == "" || e.Actor == "anonymous":
		identity = map[string]any{"type": "AWSAccount", "principalId": "", "accountId": "ANONYMOUS_PRINCIPAL"}
	case strings.Contains(e.Actor, ":assumed-role/"):
		identity["type"], identity["arn"] = "AssumedRole", e.Actor
		identity["accountId"] = arnAccount(e.Actor)
	case strings.Contains(e.Actor, ":user/"):
		identity["type"], identity["arn"] = "IAMUser", e.Actor
		identity["userName"] = e.Actor[strings.LastIndex(e.Actor, "/")+1:]
	default:
		identity["type"], identity["arn"] = "Unknown", e.Actor
	}
	if e.AccessKeyID != "" {
		identity["accessKeyId"] = e.AccessKeyID
	}
	rec := map[string]any{
		"eventVersion": "1.09", "userIdentity": identity, "eventTime": e.Time.Format(time.RFC3339), "eventSource": e.Source,
		"eventName": e.Name, "awsRegion": e.Region, "sourceIPAddress": e.SourceIP, "userAgent": e.UserAgent,
		"requestParameters": nil, "responseElements": nil, "eventID": e.ID, "readOnly": readOnlyCall(e.Name),
		"eventType": "AwsApiCall", "managementEvent": !dataEvent(e.Name), "recipientAccountId": account,
	}
	if e.Params != "" {
		rec["requestParameters"] = json.RawMessage(e.Params)
	}
	if e.ErrorCode != "" {
		rec["errorCode"] = e.ErrorCode
	}
	if dataEvent(e.Name) {
		rec["eventCategory"] = "Data"
		if e.Bucket != "" {
			arn := "arn:aws:s3:::" + e.Bucket
			res := []map[string]string{{"type": "AWS::S3::Bucket", "ARN": arn}}
			if e.Key != "" {
				res = append([]map[string]string{{"type": "AWS::S3::Object", "ARN": arn + "/" + e.Key}}, res...)
			}
			rec["resources"] = res
		}
	}
	return marshal(rec)
}

func readOnlyCall(name string) bool {
	for _, p := range []string{"Get", "List", "Head", "Describe", "Lookup"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// dataEvent reports whether CloudTrail records a call as a data event.
func dataEvent(name string) bool {
	switch name {
	case "GetObject", "PutObject", "DeleteObject", "HeadObject", "CopyObject", "DeleteObjects", "GetObjectAcl", "PutObjectAcl", "ListObjects", "ListObjectsV2", "ListObjectVersions":
		return true
	}
	return false
}

// param reads one string of the request parameters.
func (e trailEvent) param(key string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(e.Params), &m) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(m[key], &s) == nil {
		return s
	}
	return string(m[key])
}

// summary says what a change of access did, as the aws package says it
// of CloudTrail's events.
func (e trailEvent) summary() string {
	who := e.Actor
	if who == "" {
		who = "someone"
	}
	target := "bucket " + e.Bucket
	if e.Bucket == "" {
		target = "the account"
	}
	var s string
	switch e.Name {
	case "PutBucketPolicy":
		s = fmt.Sprintf("%s set the policy of %s", who, target)
		if doc := e.param("bucketPolicy"); doc != "" {
			if res, err := exposure.EvaluatePolicy(doc, ""); err == nil {
				if res.Public {
					s += "; the new policy is public"
				} else {
					s += "; the new policy is not public"
				}
				if res.Shared {
					s += " and names other accounts (" + strings.Join(res.SharedWith, ", ") + ")"
				}
			}
		}
	case "DeleteBucketPolicy":
		s = fmt.Sprintf("%s deleted the policy of %s", who, target)
	case "PutBucketAcl":
		s = fmt.Sprintf("%s changed the ACL of %s", who, target)
		if strings.Contains(e.Params, "AllUsers") || strings.Contains(e.Params, "AuthenticatedUsers") || strings.Contains(e.Params, "public-read") || strings.Contains(e.Params, "authenticated-read") {
			s += "; the new ACL grants access to everyone or to all AWS accounts"
		}
	case "PutBucketPublicAccessBlock", "PutAccountPublicAccessBlock":
		s = fmt.Sprintf("%s changed Block Public Access of %s", who, target)
		var cfg map[string]bool
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(e.Params), &m) == nil && json.Unmarshal(m["PublicAccessBlockConfiguration"], &cfg) == nil {
			var off []string
			for _, k := range []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"} {
				if !cfg[k] {
					off = append(off, k)
				}
			}
			if len(off) > 0 {
				s += "; now off: " + strings.Join(off, ", ")
			}
		}
	case "DeleteBucketPublicAccessBlock", "DeleteAccountPublicAccessBlock":
		s = fmt.Sprintf("%s removed Block Public Access from %s (every setting off)", who, target)
	case "PutBucketOwnershipControls":
		s = fmt.Sprintf("%s changed Object Ownership of %s", who, target)
	case "DeleteBucketOwnershipControls":
		s = fmt.Sprintf("%s removed Object Ownership controls of %s (ACLs work again)", who, target)
	case "UpdateAssumeRolePolicy":
		s = fmt.Sprintf("%s changed who can assume role %s", who, e.Role)
		if doc := e.param("policyDocument"); doc != "" {
			if outside := outsidePrincipals(doc, ""); len(outside) > 0 {
				s += "; the trust policy now names " + strings.Join(outside, ", ")
			}
		}
	default:
		s = fmt.Sprintf("%s called %s on %s", who, e.Name, target)
	}
	if e.ErrorCode != "" {
		s += fmt.Sprintf(" (the call failed: %s, so nothing changed)", e.ErrorCode)
	}
	return s + "."
}

// outsidePrincipals lists the AWS principals of a trust policy's Allow
// statements that are not of account (all of them when account is "").
func outsidePrincipals(doc, account string) []string {
	var p struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return nil
	}
	var stmts []map[string]json.RawMessage
	if json.Unmarshal(p.Statement, &stmts) != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(p.Statement, &one) != nil {
			return nil
		}
		stmts = []map[string]json.RawMessage{one}
	}
	var out []string
	for _, st := range stmts {
		var effect string
		_ = json.Unmarshal(st["Effect"], &effect)
		if effect != "Allow" {
			continue
		}
		var pr map[string]json.RawMessage
		if json.Unmarshal(st["Principal"], &pr) != nil {
			var star string
			if json.Unmarshal(st["Principal"], &star) == nil && star == "*" {
				out = append(out, "*")
			}
			continue
		}
		vals, _ := changeplan.StringList(pr["AWS"])
		for _, v := range vals {
			acct := v
			if strings.HasPrefix(v, "arn:") {
				acct = arnAccount(v)
			}
			if account == "" || acct != account {
				out = append(out, v)
			}
		}
	}
	return out
}
