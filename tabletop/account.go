package tabletop

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"s3responder/app"
	"s3responder/exposure"
)

// Account is a simulated AWS account built from a Scenario: it answers
// every question of the wizard (app.Cloud and the optional readers) and
// carries out changes (app.Mutator) on its own state, without any network.
// Exposure verdicts come from the exposure package over the current state,
// so a change the team applies shows in the next check.
//
// An Account opened by the Service for an incident (ForIncident) starts
// from the scenario and replays the incident's change journal, so every
// process sees the changes applied so far; nothing is stored anywhere
// but in the incident's own journal.
type Account struct {
	sc       *Scenario
	incident string
	region   string
	now      func() time.Time

	mu sync.Mutex
	w  *world
	// own are the responders' changes replayed from the journal, which
	// the simulated CloudTrail records like any other call.
	own []ownChange
}

var (
	_ app.Cloud         = (*Account)(nil)
	_ app.Mutator       = (*Account)(nil)
	_ app.BulkMutator   = (*Account)(nil)
	_ app.IncidentCloud = (*Account)(nil)
)

// NewAccount opens the simulated account of a scenario in its pristine
// state. region, when set, is the session's region instead of the
// scenario's; now is the clock (nil: the system's).
func NewAccount(sc *Scenario, region string, now func() time.Time) *Account {
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	if region == "" {
		region = sc.Region
	}
	return &Account{sc: sc, region: region, now: now, w: newWorld(sc)}
}

// Scenario returns the scenario the account was built from.
func (a *Account) Scenario() *Scenario { return a.sc }

// Simulated is always true: every call stays in this process (app.Mutator).
// Exercise incidents accept only such an account.
func (a *Account) Simulated() bool { return true }

// Identity is the scenario's caller (app.Cloud).
func (a *Account) Identity(ctx context.Context) (app.Identity, error) {
	if err := ctx.Err(); err != nil {
		return app.Identity{}, err
	}
	return app.Identity{Account: a.sc.Account, ARN: a.sc.Caller.ARN, UserID: a.sc.Caller.UserID}, nil
}

// source names a simulated call in an evidence item; the scenario is in
// the parameters so nobody mistakes the item for an answer of AWS.
func (a *Account) source(region, api string, params map[string]string) app.Source {
	p := map[string]string{"SimulatedScenario": a.sc.ID}
	for k, v := range params {
		p[k] = v
	}
	return app.Source{Account: a.sc.Account, Region: region, API: api, Params: p}
}

// item is one simulated response, kept as the aws package keeps AWS's:
// the output as indented JSON, or a record of the error code when the
// configuration is not set.
func (a *Account) item(name, bucket, region, api string, out any, notSetCode string) app.Collected {
	params := map[string]string{"Bucket": bucket}
	if bucket == "" {
		params = map[string]string{"AccountId": a.sc.Account}
	}
	title := name
	file := name + ".json"
	if bucket != "" {
		title = fmt.Sprintf("%s of bucket %s", name, bucket)
		file = bucket + "-" + file
	}
	var data []byte
	if notSetCode != "" {
		title += " (not-configured)"
		data, _ = json.MarshalIndent(map[string]string{"status": "not-configured", "errorCode": notSetCode, "message": "not configured"}, "", "  ")
	} else {
		data, _ = json.MarshalIndent(out, "", "  ")
	}
	return app.Collected{Title: title, Kind: app.EvidenceAWSResponse, MediaType: "application/json", FileName: file,
		Source: a.source(region, api, params), CollectedAt: a.now(), Data: data}
}

func bpaOut(b *bpaState) map[string]any {
	return map[string]any{"PublicAccessBlockConfiguration": b}
}

func (b *bucket) aclOut() map[string]any {
	return map[string]any{"Owner": map[string]string{"ID": b.acl.Owner.ID}, "Grants": b.acl.Grants}
}

// exposureItems are the responses of an exposure check of one bucket.
func (a *Account) exposureItems(b *bucket, public *bool) []app.Collected {
	name, region := b.spec.Name, b.spec.Region
	var items []app.Collected
	if b.policy == "" {
		items = append(items, a.item("policy", name, region, "GetBucketPolicy", nil, "NoSuchBucketPolicy"),
			a.item("policy-status", name, region, "GetBucketPolicyStatus", nil, "NoSuchBucketPolicy"))
	} else {
		items = append(items, a.item("policy", name, region, "GetBucketPolicy", map[string]string{"Policy": b.policy}, ""),
			a.item("policy-status", name, region, "GetBucketPolicyStatus", map[string]any{"PolicyStatus": map[string]bool{"IsPublic": public != nil && *public}}, ""))
	}
	items = append(items, a.item("acl", name, region, "GetBucketAcl", b.aclOut(), ""))
	if b.bpa == nil {
		items = append(items, a.item("public-access-block", name, region, "GetPublicAccessBlock", nil, "NoSuchPublicAccessBlockConfiguration"))
	} else {
		items = append(items, a.item("public-access-block", name, region, "GetPublicAccessBlock", bpaOut(b.bpa), ""))
	}
	if b.ownership == "" {
		items = append(items, a.item("ownership", name, region, "GetBucketOwnershipControls", nil, "OwnershipControlsNotFoundError"))
	} else {
		items = append(items, a.item("ownership", name, region, "GetBucketOwnershipControls",
			map[string]any{"OwnershipControls": map[string]any{"Rules": []map[string]string{{"ObjectOwnership": b.ownership}}}}, ""))
	}
	if a.w.accountBPA == nil {
		items = append(items, a.item("account-public-access-block", "", a.region, "s3control:GetPublicAccessBlock", nil, "NoSuchPublicAccessBlockConfiguration"))
	} else {
		items = append(items, a.item("account-public-access-block", "", a.region, "s3control:GetPublicAccessBlock", bpaOut(a.w.accountBPA), ""))
	}
	return items
}

// report judges one bucket; the caller holds a.mu.
func (a *Account) report(b *bucket) (app.BucketReport, error) {
	res, err := a.w.evaluate(a.sc, b)
	if err != nil {
		return app.BucketReport{}, err
	}
	detail := struct {
		exposure.Result
		Region    string `json:"region,omitempty"`
		Simulated string `json:"simulatedScenario"`
	}{res, b.spec.Region, a.sc.ID}
	r := app.BucketReport{
		Bucket: b.spec.Name, Region: b.spec.Region, Verdict: string(res.Access), Public: res.Public, Shared: res.Shared,
		SharedWith: res.SharedWith, Reasons: res.Reasons, Disagreement: res.Disagreement,
		Items: a.exposureItems(b, res.S3PolicyPublic),
	}
	r.Detail, _ = json.MarshalIndent(detail, "", "  ") // plain types always marshal
	return r, nil
}

// CheckBucket judges one bucket of the simulated account (app.Cloud).
func (a *Account) CheckBucket(ctx context.Context, name string) (app.BucketReport, error) {
	if err := ctx.Err(); err != nil {
		return app.BucketReport{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	b, err := a.w.bucket(name)
	if err != nil {
		return app.BucketReport{}, fmt.Errorf("check bucket %s: %w", name, err)
	}
	return a.report(b)
}

// ScanAccount judges every bucket, in the scenario's order (app.Cloud).
func (a *Account) ScanAccount(ctx context.Context, progress app.Progress) ([]app.BucketReport, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]app.BucketReport, 0, len(a.w.buckets))
	for i, b := range a.w.buckets {
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("check buckets (%d of %d done): %w", i, len(a.w.buckets), err)
		}
		r, err := a.report(b)
		if err != nil {
			return out, err
		}
		out = append(out, r)
		if progress != nil {
			progress(i+1, len(a.w.buckets))
		}
	}
	return out, nil
}

// Snapshot reads a bucket's whole configuration, one item per
// configuration, as the aws package's snapshot does (app.Cloud).
func (a *Account) Snapshot(ctx context.Context, name string) ([]app.Collected, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	b, err := a.w.bucket(name)
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", name, err)
	}
	res, err := a.w.evaluate(a.sc, b)
	if err != nil {
		return nil, err
	}
	spec, region := b.spec, b.spec.Region
	items := []app.Collected{a.item("location", name, region, "GetBucketLocation", map[string]string{"Region": region}, "")}
	all := a.exposureItems(b, res.S3PolicyPublic)
	items = append(items, all[:len(all)-1]...) // the account's settings are not the bucket's
	if spec.Versioning == "" {
		items = append(items, a.item("versioning", name, region, "GetBucketVersioning", map[string]any{}, ""))
	} else {
		items = append(items, a.item("versioning", name, region, "GetBucketVersioning", map[string]string{"Status": spec.Versioning}, ""))
	}
	enc := Encryption{Algorithm: "AES256"} // S3 encrypts every new object since 2023
	if spec.Encryption != nil {
		enc = *spec.Encryption
	}
	rule := map[string]any{"ApplyServerSideEncryptionByDefault": map[string]string{"SSEAlgorithm": enc.Algorithm}, "BucketKeyEnabled": enc.BucketKey}
	if enc.KMSKeyID != "" {
		rule["ApplyServerSideEncryptionByDefault"].(map[string]string)["KMSMasterKeyID"] = enc.KMSKeyID
	}
	items = append(items, a.item("encryption", name, region, "GetBucketEncryption",
		map[string]any{"ServerSideEncryptionConfiguration": map[string]any{"Rules": []any{rule}}}, ""))
	if spec.Logging == nil {
		items = append(items, a.item("logging", name, region, "GetBucketLogging", map[string]any{}, ""))
	} else {
		items = append(items, a.item("logging", name, region, "GetBucketLogging",
			map[string]any{"LoggingEnabled": map[string]string{"TargetBucket": spec.Logging.TargetBucket, "TargetPrefix": spec.Logging.TargetPrefix}}, ""))
	}
	items = append(items, a.item("replication", name, region, "GetBucketReplication", nil, "ReplicationConfigurationNotFoundError"),
		a.item("lifecycle", name, region, "GetBucketLifecycleConfiguration", nil, "NoSuchLifecycleConfiguration"))
	if len(spec.Tags) == 0 {
		items = append(items, a.item("tags", name, region, "GetBucketTagging", nil, "NoSuchTagSet"))
	} else {
		var set []map[string]string
		for _, k := range sortedKeys(spec.Tags) {
			set = append(set, map[string]string{"Key": k, "Value": spec.Tags[k]})
		}
		items = append(items, a.item("tags", name, region, "GetBucketTagging", map[string]any{"TagSet": set}, ""))
	}
	items = append(items, a.item("object-lock", name, region, "GetObjectLockConfiguration", nil, "ObjectLockConfigurationNotFoundError"))
	if spec.Website == "" {
		items = append(items, a.item("website", name, region, "GetBucketWebsite", nil, "NoSuchWebsiteConfiguration"))
	} else {
		items = append(items, a.item("website", name, region, "GetBucketWebsite", map[string]any{"IndexDocument": map[string]string{"Suffix": spec.Website}}, ""))
	}
	return items, nil
}

// accessChangeEvents are the CloudTrail event names of changes of access
// (the same list the aws package searches).
var accessChangeEvents = []string{
	"PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl",
	"PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock",
	"PutBucketOwnershipControls", "DeleteBucketOwnershipControls",
	"PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock",
	"UpdateAssumeRolePolicy",
}

// lookupWindow is how far back CloudTrail's event history reaches.
const lookupWindow = 90 * 24 * time.Hour

// AccessChanges returns the scenario's changes of access in the window,
// and the responders' own (app.Cloud). The simulated event history keeps
// the whole story, however old, so a scenario can be run long after the
// dates it was written with; the report says when that goes beyond what
// CloudTrail keeps.
func (a *Account) AccessChanges(ctx context.Context, q app.ChangeQuery, progress app.Progress) (app.ChangeReport, error) {
	if err := ctx.Err(); err != nil {
		return app.ChangeReport{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	end := q.Until.UTC()
	if end.IsZero() || end.After(now) {
		end = now
	}
	start := q.Since.UTC()
	if start.IsZero() {
		start = now.Add(-lookupWindow)
	}
	regions := a.changeRegions(q)
	var events []trailEvent
	older := false
	for _, e := range a.events() {
		if !slices.Contains(accessChangeEvents, e.Name) || !slices.Contains(regions, e.Region) {
			continue
		}
		if q.Bucket != "" && e.Bucket != "" && e.Bucket != q.Bucket {
			continue
		}
		at := e.Time
		if at.Before(start) && !q.Since.IsZero() || at.After(end) {
			continue
		}
		if at.Before(start) {
			older = true
		}
		events = append(events, e)
	}
	slices.SortStableFunc(events, func(x, y trailEvent) int { return y.Time.Compare(x.Time) })
	rep := app.ChangeReport{Since: start, Until: end, Regions: regions}
	if older {
		rep.Note = "The simulated event history keeps every event of the scenario; CloudTrail's own keeps 90 days, so on AWS the oldest of these would be in the trail's log files only."
		rep.Since = events[len(events)-1].Time
	}
	raws := make([]json.RawMessage, 0, len(events))
	for _, e := range events {
		rep.Changes = append(rep.Changes, app.Change{ID: e.ID, Name: e.Name, Time: e.Time, Region: e.Region, Actor: e.Actor,
			AccessKeyID: e.AccessKeyID, SourceIP: e.SourceIP, Bucket: e.Bucket, Role: e.Role, ErrorCode: e.ErrorCode, Summary: e.summary()})
		raws = append(raws, e.record(a.sc.Account))
	}
	total := len(regions) * len(accessChangeEvents)
	if progress != nil {
		for i := 1; i <= total; i++ {
			progress(i, total)
		}
	}
	data, _ := json.MarshalIndent(map[string]any{"Records": raws}, "", "  ")
	params := map[string]string{"StartTime": start.Format(time.RFC3339), "EndTime": end.Format(time.RFC3339),
		"EventName": strings.Join(accessChangeEvents, ","), "Regions": strings.Join(regions, ",")}
	title := fmt.Sprintf("CloudTrail access changes %s to %s (%d events)", rep.Since.Format(time.RFC3339), end.Format(time.RFC3339), len(events))
	if q.Bucket != "" {
		params["Bucket"] = q.Bucket
		title = fmt.Sprintf("CloudTrail access changes of bucket %s, %s to %s (%d events)", q.Bucket, rep.Since.Format(time.RFC3339), end.Format(time.RFC3339), len(events))
	}
	rep.Items = []app.Collected{{Title: title, Kind: app.EvidenceAWSResponse, MediaType: "application/json", FileName: "cloudtrail-access-changes.json",
		Source: a.source(strings.Join(regions, ","), "LookupEvents", params), CollectedAt: now, Data: data}}
	return rep, nil
}

// changeRegions are the regions searched when the person names none: the
// session's, the bucket's and us-east-1, where IAM records its changes.
func (a *Account) changeRegions(q app.ChangeQuery) []string {
	var regions []string
	add := func(r string) {
		if r = strings.TrimSpace(r); r != "" && !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	for _, r := range q.Regions {
		add(r)
	}
	if len(regions) > 0 {
		return regions
	}
	add(a.region)
	if q.Bucket != "" {
		if b, err := a.w.bucket(q.Bucket); err == nil {
			add(b.spec.Region)
		}
	}
	add("us-east-1")
	return regions
}
