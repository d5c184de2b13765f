package tabletop

import (
	"encoding/json"
	"strings"
	"time"

	"s3responder/changeplan"
)

// The events of the simulated CloudTrail (api_trail.go serves them): the
// scenario's, and one for each call the responders made through the
// simulated APIs, at the time it went through, so that a lookup after
// containment shows the team's own work beside the intruder's, as it
// would on AWS.

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
