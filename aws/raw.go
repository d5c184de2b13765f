package aws

import (
	"encoding/json"
	"fmt"
	"time"

	"s3responder/app"
)

// ItemStatus says how reading one configuration went.
type ItemStatus string

// Item statuses. NotConfigured is a normal answer (AWS's NoSuch... codes),
// not a failure; Failed is a refusal or an error, explained in Message.
const (
	StatusCollected     ItemStatus = "collected"
	StatusNotConfigured ItemStatus = "not-configured"
	StatusNotSupported  ItemStatus = "not-supported"
	StatusFailed        ItemStatus = "failed"
)

// Item is one AWS response kept for evidence: the response as JSON (the
// SDK's decoded output, without transport metadata), or, when the
// configuration is absent or the call failed, a small JSON record of the
// AWS error code, so that "not configured" is evidence too.
type Item struct {
	// Name is the configuration: "policy", "acl", "public-access-block",
	// "account-public-access-block", "ownership", "versioning",
	// "encryption", "logging", "replication", "lifecycle", "tags",
	// "object-lock", "website", "policy-status", "location".
	Name        string     `json:"name"`
	Bucket      string     `json:"bucket,omitempty"`
	Status      ItemStatus `json:"status"`
	ErrorCode   string     `json:"errorCode,omitempty"`
	Message     string     `json:"message,omitempty"`
	Data        []byte     `json:"-"`
	Source      app.Source `json:"source"`
	CollectedAt time.Time  `json:"collectedAt"`
}

// Evidence describes the item as an app.Evidence, ready for
// app.Service.AddEvidence(ctx, incidentID, ev, item.Data); collector is
// the caller's ARN from WhoAmI.
func (it Item) Evidence(collector string) app.Evidence {
	title := fmt.Sprintf("%s of bucket %s", it.Name, it.Bucket)
	if it.Bucket == "" {
		title = it.Name
	}
	if it.Status != StatusCollected {
		title += " (" + string(it.Status) + ")"
	}
	name := it.Name + ".json"
	if it.Bucket != "" {
		name = it.Bucket + "-" + name
	}
	return app.Evidence{
		Title:       title,
		Kind:        "aws-response",
		MediaType:   "application/json",
		FileName:    name,
		Source:      it.Source,
		CollectedAt: it.CollectedAt,
		CollectedBy: collector,
	}
}

// rawJSON marshals an SDK output without its ResultMetadata (transport
// details that change on every call and are not AWS's answer). Keys are
// sorted and indented so the same configuration hashes the same.
func rawJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		return []byte(fmt.Sprintf(`{"marshalError":%q}`, err.Error()))
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return data
	}
	delete(m, "ResultMetadata")
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return data
	}
	return out
}

// errorJSON records an absent configuration or a failure as evidence.
func errorJSON(status ItemStatus, code, message string) []byte {
	out, _ := json.MarshalIndent(map[string]string{"status": string(status), "errorCode": code, "message": message}, "", "  ")
	return out
}

// source builds the app.Source of a call.
func source(account, region, api string, params map[string]string) app.Source {
	return app.Source{Account: account, Region: region, API: api, Params: params}
}
