package tabletop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"s3responder/aws"
)

// trailAPI is the simulated CloudTrail event history: LookupEvents over
// the scenario's events, its Insights events, and every change the
// responders made through the simulated APIs (recorded by record), each
// in the region CloudTrail files it under, newest first, with the
// CloudTrail record JSON the aws package reads.
type trailAPI struct{ *backend }

var _ aws.CloudTrailAPI = trailAPI{}

// trailResource is a resource a recorded call names, as LookupEvents
// lists it (and finds it by ResourceName).
type trailResource struct{ Type, Name string }

// record adds a call the responders made through a simulated API to the
// simulated CloudTrail, at the backend's clock, by the scenario's caller:
// every mutating simulated call calls it once it has succeeded, with the
// caller holding b.mu. source is the service (iam.amazonaws.com), name the
// event name (CloudTrail's, which for S3 Control's account setting is
// PutAccountPublicAccessBlock), params the requestParameters as
// CloudTrail writes them. The region is us-east-1 for IAM and STS, the
// bucket's for a call naming bucketName, else the backend's; roleName,
// bucketName and key make the event's resources, to which resources adds.
func (b *backend) record(source, name string, params map[string]any, resources ...trailResource) {
	b.recordIn("", source, name, params, resources...)
}

// recordIn is record for a call of a regional service made to a region
// other than the backend's ("" for the backend's, or as record decides).
func (b *backend) recordIn(region, source, name string, params map[string]any, resources ...trailResource) {
	e := trailEvent{Name: name, Source: source, Time: b.now().UTC(), Region: b.region, Actor: b.sc.Caller.ARN,
		AccessKeyID: b.sc.Caller.AccessKeyID, SourceIP: b.sc.Caller.SourceIP, UserAgent: "s3responder"}
	str := func(k string) string { s, _ := params[k].(string); return s }
	e.Bucket, e.Key, e.Role = str("bucketName"), str("key"), str("roleName")
	switch {
	case strings.HasPrefix(source, "iam.") || strings.HasPrefix(source, "sts."):
		e.Region = "us-east-1"
	case region != "":
		e.Region = region
	case e.Bucket != "":
		if bk, err := b.w.bucket(e.Bucket); err == nil {
			e.Region = bk.spec.Region
		}
	}
	if len(params) > 0 {
		p, err := json.Marshal(params)
		if err == nil {
			e.Params = string(p)
		}
	}
	n := len(b.w.recorded)
	sum := sha256.Sum256(fmt.Appendf(nil, "%s recorded %d %s %s", b.sc.ID, n, name, e.Time.Format(time.RFC3339Nano)))
	h := hex.EncodeToString(sum[:16])
	e.ID = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	b.w.recorded = append(b.w.recorded, simEvent{trailEvent: e, resources: resources})
}

// simEvent is one event of the history with what LookupEvents returns.
type simEvent struct {
	trailEvent
	insight   *Insight
	resources []trailResource
}

// history is every event up to now, the scenario's and the recorded
// ones: a scenario event later than the clock has not happened yet (a
// facilitator's inject shows once the exercise reaches it). The caller
// holds b.mu.
func (b *backend) history() []simEvent {
	var out []simEvent
	now := b.now()
	for _, e := range b.sc.CloudTrail {
		if e.Time.After(now) {
			continue
		}
		out = append(out, simEvent{trailEvent: trailEvent{ID: e.ID, Name: e.Name, Source: e.Source, Time: e.Time.UTC(), Region: e.Region, Actor: e.Actor,
			AccessKeyID: e.AccessKeyID, SourceIP: e.SourceIP, UserAgent: e.UserAgent, Bucket: e.Bucket, Key: e.Key, Role: e.Role,
			ErrorCode: e.ErrorCode, Params: e.RequestParameters.JSON}})
	}
	out = append(out, b.w.recorded...)
	for i := range b.sc.Insights {
		in := &b.sc.Insights[i]
		if in.Time.After(now) {
			continue
		}
		region := in.Region
		if region == "" {
			region = b.sc.Region
		}
		src := in.EventSource
		if src == "" {
			src = sourceOf(in.EventName, "")
		}
		out = append(out, simEvent{trailEvent: trailEvent{ID: in.ID, Name: in.EventName, Source: src, Time: in.Time.UTC(), Region: region}, insight: in})
	}
	return out
}

// resourcesOf are the resources CloudTrail lists for an event: the bucket
// and object it names, the role (by ARN, as AssumeRole lists it) and the
// access key of IAM's key calls.
func (b *backend) resourcesOf(e simEvent) []trailResource {
	var out []trailResource
	if e.Bucket != "" {
		out = append(out, trailResource{"AWS::S3::Bucket", e.Bucket})
		if e.Key != "" {
			out = append(out, trailResource{"AWS::S3::Object", "arn:aws:s3:::" + e.Bucket + "/" + e.Key})
		}
	}
	if e.Role != "" {
		arn := fmt.Sprintf("arn:aws:iam::%s:role/%s", b.sc.Account, e.Role)
		if r, err := b.w.role(e.Role); err == nil {
			arn = r.arn
		}
		if e.Name == "AssumeRole" {
			out = append(out, trailResource{"AWS::IAM::Role", arn})
		} else {
			out = append(out, trailResource{"AWS::IAM::Role", e.Role})
		}
	}
	if arn := e.param("roleArn"); arn != "" && e.Role == "" {
		out = append(out, trailResource{"AWS::IAM::Role", arn})
	}
	if k := e.param("accessKeyId"); k != "" {
		out = append(out, trailResource{"AWS::IAM::AccessKey", k})
	}
	if u := e.param("userName"); u != "" {
		out = append(out, trailResource{"AWS::IAM::User", u})
	}
	return append(out, e.resources...)
}

// username is LookupEvents' Username: the user's name, or the session
// name of a role session.
func username(actor string) string {
	switch {
	case strings.Contains(actor, ":user/"), strings.Contains(actor, ":assumed-role/"):
		return actor[strings.LastIndex(actor, "/")+1:]
	case strings.HasSuffix(actor, ":root"):
		return "root"
	}
	return ""
}

func ctErr(status int, code, msg string) error {
	return apiError("CloudTrail", "LookupEvents", status, code, msg)
}

// insightRecord is an Insights event as CloudTrail writes it.
func (b *backend) insightRecord(e simEvent) json.RawMessage {
	in := e.insight
	attrs := []map[string]any{}
	for _, at := range in.Attributions {
		attrs = append(attrs, map[string]any{"attribute": at.Attribute,
			"insight":  []map[string]any{{"value": at.Value, "average": at.Average}},
			"baseline": []map[string]any{{"value": at.Value, "average": at.Baseline}}})
	}
	stats := map[string]any{"baseline": map[string]any{"average": in.Baseline}, "insight": map[string]any{"average": in.Average}}
	if in.State == "End" {
		stats["insightDuration"] = in.Duration.Minutes()
	}
	details := map[string]any{"state": in.State, "eventSource": e.Source, "eventName": in.EventName, "insightType": in.Type,
		"insightContext": map[string]any{"statistics": stats, "attributions": attrs}}
	if in.ErrorCode != "" {
		details["errorCode"] = in.ErrorCode
	}
	return marshal(map[string]any{"eventVersion": "1.08", "eventTime": e.Time.Format(time.RFC3339), "awsRegion": e.Region, "eventID": e.ID,
		"eventType": "AwsCloudTrailInsight", "recipientAccountId": b.sc.Account, "sharedEventID": e.ID, "insightDetails": details,
		"eventCategory": "Insight"})
}

// eventJSON is the CloudTrail record of an event.
func (b *backend) eventJSON(e simEvent) string {
	if e.insight != nil {
		return string(b.insightRecord(e))
	}
	return string(e.record(b.sc.Account))
}

// LookupEvents answers one page of the history of the call's region, as
// far back as CloudTrail keeps it (90 days): at most one lookup attribute, the window, MaxResults (1 to 50) and
// NextToken as CloudTrail takes them.
func (t trailAPI) LookupEvents(ctx context.Context, in *cloudtrail.LookupEventsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o := cloudtrail.Options{Region: t.region}
	for _, f := range optFns {
		f(&o)
	}
	if len(in.LookupAttributes) > 1 {
		return nil, ctErr(400, "InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
	}
	limit := 50
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
		if limit < 1 || limit > 50 {
			return nil, ctErr(400, "InvalidMaxResultsException", "Maximum results must be between 1 and 50.")
		}
	}
	if in.StartTime != nil && in.EndTime != nil && in.StartTime.After(*in.EndTime) {
		return nil, ctErr(400, "InvalidTimeRangeException", "Start time must be before end time.")
	}
	insights := false
	switch in.EventCategory {
	case "":
	case cttypes.EventCategoryInsight:
		insights = true
	default:
		return nil, ctErr(400, "InvalidEventCategoryException", fmt.Sprintf("Event category %s is not valid.", in.EventCategory))
	}
	var attr cttypes.LookupAttribute
	if len(in.LookupAttributes) == 1 {
		attr = in.LookupAttributes[0]
		if !slices.Contains(attr.AttributeKey.Values(), attr.AttributeKey) {
			return nil, ctErr(400, "InvalidLookupAttributesException", fmt.Sprintf("Lookup attribute key %s is not valid.", attr.AttributeKey))
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var match []simEvent
	kept := t.now().Add(-aws.LookupWindow)
	for _, e := range t.history() {
		switch {
		case e.Region != o.Region, e.Time.Before(kept), (e.insight != nil) != insights, dataEvent(e.Name),
			in.StartTime != nil && e.Time.Before(*in.StartTime), in.EndTime != nil && e.Time.After(*in.EndTime),
			attr.AttributeKey != "" && !t.matches(e, attr):
			continue
		}
		match = append(match, e)
	}
	slices.SortStableFunc(match, func(x, y simEvent) int {
		if c := y.Time.Compare(x.Time); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	page, next, ok := cutPage(match, in.NextToken, "ct-", limit)
	if !ok {
		return nil, ctErr(400, "InvalidNextTokenException", "Invalid NextToken.")
	}
	out := &cloudtrail.LookupEventsOutput{Events: []cttypes.Event{}, NextToken: next}
	for _, e := range page {
		ev := cttypes.Event{EventId: sdkaws.String(e.ID), EventName: sdkaws.String(e.Name), EventSource: sdkaws.String(e.Source),
			EventTime: sdkaws.Time(e.Time), CloudTrailEvent: sdkaws.String(t.eventJSON(e)), ReadOnly: sdkaws.String(strconv.FormatBool(readOnlyCall(e.Name)))}
		if e.insight == nil {
			if u := username(e.Actor); u != "" {
				ev.Username = sdkaws.String(u)
			}
			if e.AccessKeyID != "" {
				ev.AccessKeyId = sdkaws.String(e.AccessKeyID)
			}
			for _, r := range t.resourcesOf(e) {
				ev.Resources = append(ev.Resources, cttypes.Resource{ResourceType: sdkaws.String(r.Type), ResourceName: sdkaws.String(r.Name)})
			}
		}
		out.Events = append(out.Events, ev)
	}
	return out, nil
}

// matches reports whether an event has the lookup attribute's value.
func (b *backend) matches(e simEvent, a cttypes.LookupAttribute) bool {
	v := sdkaws.ToString(a.AttributeValue)
	switch a.AttributeKey {
	case cttypes.LookupAttributeKeyEventId:
		return e.ID == v
	case cttypes.LookupAttributeKeyEventName:
		return e.Name == v
	case cttypes.LookupAttributeKeyEventSource:
		return e.Source == v
	case cttypes.LookupAttributeKeyReadOnly:
		return strconv.FormatBool(readOnlyCall(e.Name)) == v
	case cttypes.LookupAttributeKeyUsername:
		return username(e.Actor) == v
	case cttypes.LookupAttributeKeyAccessKeyId:
		return e.AccessKeyID == v
	case cttypes.LookupAttributeKeyResourceType, cttypes.LookupAttributeKeyResourceName:
		for _, r := range b.resourcesOf(e) {
			if (a.AttributeKey == cttypes.LookupAttributeKeyResourceType && r.Type == v) || (a.AttributeKey == cttypes.LookupAttributeKeyResourceName && r.Name == v) {
				return true
			}
		}
	}
	return false
}
