package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"s3responder/exposure"
)

var _ cloudtrail.LookupEventsAPIClient = (*cloudtrail.Client)(nil)

// AccessChangeEvents are the management events that change who can reach
// a bucket, plus role trust policy changes (S3-FACTS.md, CloudTrail).
// Event names, not API names: CloudTrail records the account-level
// setting as PutAccountPublicAccessBlock.
var AccessChangeEvents = []string{
	"PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl",
	"PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock",
	"PutBucketOwnershipControls", "DeleteBucketOwnershipControls",
	"PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock",
	"UpdateAssumeRolePolicy",
}

// LookupWindow is how far back LookupEvents reaches.
const LookupWindow = 90 * 24 * time.Hour

// TrailQuery asks for access changes in a time window.
type TrailQuery struct {
	Start, End time.Time
	// Regions to search, one call per region and event name; empty means
	// the client's own region. Bucket changes are recorded in the
	// bucket's region, IAM changes in us-east-1.
	Regions []string
	// EventNames defaults to AccessChangeEvents.
	EventNames []string
	// Bucket, when set, keeps only events about that bucket (and the
	// account-level and IAM ones, which name no bucket).
	Bucket string
}

// TrailEvent is one CloudTrail event, with the fields a responder reads
// first taken out of the raw record, which is kept whole for evidence.
type TrailEvent struct {
	ID          string    `json:"eventId"`
	Name        string    `json:"eventName"`
	Source      string    `json:"eventSource"`
	Time        time.Time `json:"eventTime"`
	Region      string    `json:"awsRegion"`
	Actor       string    `json:"actor"` // userIdentity.arn, or the user name
	AccessKeyID string    `json:"accessKeyId,omitempty"`
	SourceIP    string    `json:"sourceIPAddress,omitempty"`
	UserAgent   string    `json:"userAgent,omitempty"`
	Bucket      string    `json:"bucket,omitempty"`
	Role        string    `json:"roleName,omitempty"`
	ErrorCode   string    `json:"errorCode,omitempty"`
	// Summary says in words what the change did, for PutBucketPolicy
	// with the exposure evaluator's verdict on the new policy.
	Summary string          `json:"summary"`
	Raw     json.RawMessage `json:"cloudTrailEvent"`
}

// Limiter spaces calls: LookupEvents allows about two requests per second
// per account and region. The zero value allows one call every 500 ms.
type Limiter struct {
	Interval time.Duration
	mu       sync.Mutex
	next     time.Time
}

// Wait blocks until the next call may go, or ctx ends.
func (l *Limiter) Wait(ctx context.Context) error {
	interval := l.Interval
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(interval)
	l.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// TrailLookup runs LookupEvents queries.
type TrailLookup struct {
	API     cloudtrail.LookupEventsAPIClient
	Limiter *Limiter
	Profile string
	// Now is the clock for the 90-day limit (tests fix it).
	Now func() time.Time
	// Backoff is the pause after a throttled call before it is tried
	// again, doubling each time (the SDK's own retries come first);
	// default one second.
	Backoff time.Duration
}

// TrailProgress is told after each call: which region and event name, and
// how many events so far.
type TrailProgress func(region, eventName string, events int)

// LookupAccessChanges finds the events of q, newest first. LookupEvents
// takes one lookup attribute per call, so it makes one query per region
// and event name, each paginated (50 per page), all through the limiter.
// A window older than 90 days is cut to 90 days, and the returned note
// says so. The error is for a failed call (explained) or cancellation.
func (tl *TrailLookup) LookupAccessChanges(ctx context.Context, q TrailQuery, progress TrailProgress) ([]TrailEvent, string, error) {
	now := time.Now().UTC()
	if tl.Now != nil {
		now = tl.Now().UTC()
	}
	end := q.End
	if end.IsZero() || end.After(now) {
		end = now
	}
	start, note := q.Start, ""
	if oldest := now.Add(-LookupWindow); start.Before(oldest) {
		start = oldest
		note = fmt.Sprintf("CloudTrail event history only reaches back 90 days: the search starts at %s. Older changes need the trail's log files in S3 (Athena or CloudTrail Lake).", start.Format(time.RFC3339))
	}
	if !start.Before(end) {
		return nil, note, fmt.Errorf("look up CloudTrail events: the window %s to %s is empty", start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	names := q.EventNames
	if len(names) == 0 {
		names = AccessChangeEvents
	}
	regions := q.Regions
	if len(regions) == 0 {
		regions = []string{""}
	}
	lim := tl.Limiter
	if lim == nil {
		lim = &Limiter{}
	}
	seen := map[string]bool{}
	var out []TrailEvent
	for _, region := range regions {
		opt := func(o *cloudtrail.Options) {
			if region != "" {
				o.Region = region
			}
		}
		for _, name := range names {
			in := &cloudtrail.LookupEventsInput{
				StartTime: sdkaws.Time(start), EndTime: sdkaws.Time(end), MaxResults: sdkaws.Int32(50),
				LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: sdkaws.String(name)}},
			}
			pages := cloudtrail.NewLookupEventsPaginator(tl.API, in)
			for pages.HasMorePages() {
				page, err := tl.nextPage(ctx, lim, pages, opt)
				if err != nil {
					return out, note, fmt.Errorf("look up %s events in %s: %w", name, regionWords(region), Explain(err, tl.Profile))
				}
				for _, ev := range page.Events {
					te := convertEvent(ev)
					if seen[te.ID] || !wanted(te, q.Bucket) {
						continue
					}
					seen[te.ID] = true
					out = append(out, te)
				}
			}
			if progress != nil {
				progress(region, name, len(out))
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Time.After(out[b].Time) })
	return out, note, nil
}

// nextPage waits for the limiter and fetches a page; when CloudTrail still
// throttles after the SDK's retries, it waits and tries again, doubling
// the pause, up to four times.
func (tl *TrailLookup) nextPage(ctx context.Context, lim *Limiter, pages *cloudtrail.LookupEventsPaginator, opt func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	pause := tl.Backoff
	if pause <= 0 {
		pause = time.Second
	}
	for attempt := 0; ; attempt++ {
		if err := lim.Wait(ctx); err != nil {
			return nil, err
		}
		page, err := pages.NextPage(ctx, opt)
		if err == nil || !throttleCodes[errorCode(err)] || attempt == 4 {
			return page, err
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		pause *= 2
	}
}

// EventsItem keeps the events of a lookup as one evidence item: a JSON
// list of CloudTrail's own records, as CloudTrail returned them.
func EventsItem(events []TrailEvent, q TrailQuery, account string, collectedAt time.Time) Item {
	raws := make([]json.RawMessage, 0, len(events))
	for _, e := range events {
		if len(e.Raw) > 0 {
			raws = append(raws, e.Raw)
		}
	}
	data, _ := json.MarshalIndent(map[string]any{"Records": raws}, "", "  ")
	names := q.EventNames
	if len(names) == 0 {
		names = AccessChangeEvents
	}
	params := map[string]string{
		"StartTime": q.Start.UTC().Format(time.RFC3339), "EndTime": q.End.UTC().Format(time.RFC3339),
		"EventName": strings.Join(names, ","), "Regions": strings.Join(q.Regions, ","),
	}
	if q.Bucket != "" {
		params["Bucket"] = q.Bucket
	}
	return Item{Name: "cloudtrail-access-changes", Bucket: q.Bucket, Status: StatusCollected, Data: data,
		Source: source(account, strings.Join(q.Regions, ","), "LookupEvents", params), CollectedAt: collectedAt.UTC()}
}

func regionWords(region string) string {
	if region == "" {
		return "the session region"
	}
	return region
}

func wanted(te TrailEvent, bucket string) bool {
	return bucket == "" || te.Bucket == "" || te.Bucket == bucket
}

// record is the part of a CloudTrail record we read.
type record struct {
	EventTime    time.Time `json:"eventTime"`
	AWSRegion    string    `json:"awsRegion"`
	SourceIP     string    `json:"sourceIPAddress"`
	UserAgent    string    `json:"userAgent"`
	ErrorCode    string    `json:"errorCode"`
	ErrorMessage string    `json:"errorMessage"`
	UserIdentity struct {
		Type        string `json:"type"`
		ARN         string `json:"arn"`
		AccessKeyID string `json:"accessKeyId"`
	} `json:"userIdentity"`
	RequestParameters map[string]json.RawMessage `json:"requestParameters"`
}

func convertEvent(ev cttypes.Event) TrailEvent {
	te := TrailEvent{
		ID: sdkaws.ToString(ev.EventId), Name: sdkaws.ToString(ev.EventName), Source: sdkaws.ToString(ev.EventSource),
		Time: sdkaws.ToTime(ev.EventTime).UTC(), Actor: sdkaws.ToString(ev.Username), AccessKeyID: sdkaws.ToString(ev.AccessKeyId),
	}
	raw := sdkaws.ToString(ev.CloudTrailEvent)
	if json.Valid([]byte(raw)) {
		te.Raw = json.RawMessage(raw)
	}
	var r record
	if json.Unmarshal([]byte(raw), &r) == nil {
		te.Region, te.SourceIP, te.UserAgent, te.ErrorCode = r.AWSRegion, r.SourceIP, r.UserAgent, r.ErrorCode
		if r.UserIdentity.ARN != "" {
			te.Actor = r.UserIdentity.ARN
		}
		if r.UserIdentity.AccessKeyID != "" {
			te.AccessKeyID = r.UserIdentity.AccessKeyID
		}
		te.Bucket = stringParam(r.RequestParameters, "bucketName")
		te.Role = stringParam(r.RequestParameters, "roleName")
	}
	for _, res := range ev.Resources {
		if te.Bucket == "" && sdkaws.ToString(res.ResourceType) == "AWS::S3::Bucket" {
			te.Bucket = sdkaws.ToString(res.ResourceName)
		}
	}
	te.Summary = summarize(te, r)
	return te
}

func stringParam(params map[string]json.RawMessage, key string) string {
	var s string
	if v, ok := params[key]; ok && json.Unmarshal(v, &s) == nil {
		return s
	}
	return ""
}

// summarize says what an access change did.
func summarize(te TrailEvent, r record) string {
	who := te.Actor
	if who == "" {
		who = "someone"
	}
	target := "bucket " + te.Bucket
	if te.Bucket == "" {
		target = "the account"
	}
	var s string
	switch te.Name {
	case "PutBucketPolicy":
		s = fmt.Sprintf("%s set the policy of %s", who, target)
		if doc := policyParam(r.RequestParameters["bucketPolicy"]); doc != "" {
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
		if acl := string(r.RequestParameters["AccessControlPolicy"]) + string(r.RequestParameters["x-amz-acl"]); strings.Contains(acl, "AllUsers") || strings.Contains(acl, "AuthenticatedUsers") || strings.Contains(acl, "public-read") || strings.Contains(acl, "authenticated-read") {
			s += "; the new ACL grants access to everyone or to all AWS accounts"
		}
	case "PutBucketPublicAccessBlock", "PutAccountPublicAccessBlock":
		s = fmt.Sprintf("%s changed Block Public Access of %s", who, target)
		if off := bpaOff(r.RequestParameters["PublicAccessBlockConfiguration"]); off != "" {
			s += "; now off: " + off
		}
	case "DeleteBucketPublicAccessBlock", "DeleteAccountPublicAccessBlock":
		s = fmt.Sprintf("%s removed Block Public Access from %s (every setting off)", who, target)
	case "PutBucketOwnershipControls":
		s = fmt.Sprintf("%s changed Object Ownership of %s", who, target)
	case "DeleteBucketOwnershipControls":
		s = fmt.Sprintf("%s removed Object Ownership controls of %s (ACLs work again)", who, target)
	case "UpdateAssumeRolePolicy":
		s = fmt.Sprintf("%s changed who can assume role %s", who, te.Role)
	default:
		s = fmt.Sprintf("%s called %s on %s", who, te.Name, target)
	}
	if te.ErrorCode != "" {
		s += fmt.Sprintf(" (the call failed: %s, so nothing changed)", te.ErrorCode)
	}
	return s + "."
}

// policyParam reads requestParameters.bucketPolicy, which CloudTrail
// records as a JSON object (sometimes as a string).
func policyParam(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

func bpaOff(v json.RawMessage) string {
	var c map[string]any
	if json.Unmarshal(v, &c) != nil {
		return ""
	}
	var off []string
	for _, k := range []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"} {
		if b, ok := c[k].(bool); !ok || !b {
			off = append(off, k)
		}
	}
	return strings.Join(off, ", ")
}
