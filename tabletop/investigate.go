package tabletop

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"s3responder/app"
)

// The optional readers of the investigation that a scenario can feed:
// IAM Access Analyzer (findings that resolve when the access they report
// is gone), CloudTrail Insights and Amazon Macie (as the story has them),
// and the search for data (over the scenario's objects and tags).

var (
	_ app.AccessAnalyzer    = (*Account)(nil)
	_ app.InsightReader     = (*Account)(nil)
	_ app.MacieReader       = (*Account)(nil)
	_ app.DataFinder        = (*Account)(nil)
	_ app.CredentialWatcher = (*Account)(nil)
)

func (a *Account) regionsOr(asked []string) []string {
	var out []string
	for _, r := range asked {
		if r = strings.TrimSpace(r); r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		out = []string{a.region}
	}
	return out
}

func (a *Account) jsonItem(title, file, region, api string, params map[string]string, v any) app.Collected {
	data, _ := json.MarshalIndent(v, "", "  ")
	return app.Collected{Title: title, Kind: app.EvidenceAWSResponse, MediaType: "application/json", FileName: file,
		Source: a.source(region, api, params), CollectedAt: a.now(), Data: data}
}

// AccessFindings reads the scenario's analyzers and their findings that
// are still active (app.AccessAnalyzer).
func (a *Account) AccessFindings(ctx context.Context, q app.AnalyzerQuery, progress app.Progress) (app.AnalyzerReport, error) {
	if err := ctx.Err(); err != nil {
		return app.AnalyzerReport{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	regions := a.regionsOr(q.Regions)
	rep := app.AnalyzerReport{Regions: regions}
	setup := a.sc.AccessAnalyzer
	for i, region := range regions {
		var analyzers []app.Analyzer
		if setup != nil {
			for _, d := range setup.Analyzers {
				if d.Region != region {
					continue
				}
				an := app.Analyzer{Name: d.Name, ARN: a.analyzerARN(d), Region: d.Region, Type: d.Type, Status: d.Status, CreatedAt: d.Created,
					Read: (d.Type == "ACCOUNT" || d.Type == "ORGANIZATION") && d.Status == "ACTIVE"}
				analyzers = append(analyzers, an)
			}
		}
		var findings []app.AccessFinding
		read := false
		for _, an := range analyzers {
			if !an.Read {
				continue
			}
			read = true
			for _, f := range setup.Findings {
				if f.Analyzer != an.Name || !a.stillGranted(f) {
					continue
				}
				findings = append(findings, a.finding(f, an))
			}
		}
		if !read {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%s has no active analyzer of access from outside the account: nothing watches its buckets and roles there.", region))
		}
		rep.Analyzers = append(rep.Analyzers, analyzers...)
		rep.Findings = append(rep.Findings, findings...)
		rep.Items = append(rep.Items, a.jsonItem(fmt.Sprintf("IAM Access Analyzer in %s (%d analyzers, %d active findings)", region, len(analyzers), len(findings)),
			"access-analyzer-"+region+".json", region, "ListAnalyzers, ListFindingsV2", map[string]string{"status": "ACTIVE"},
			map[string]any{"analyzers": analyzers, "findings": findings}))
		if progress != nil {
			progress(i+1, len(regions))
		}
	}
	return rep, nil
}

func (a *Account) analyzerARN(d AnalyzerDef) string {
	return fmt.Sprintf("arn:aws:access-analyzer:%s:%s:analyzer/%s", d.Region, a.sc.Account, d.Name)
}

func (a *Account) finding(f FindingDef, an app.Analyzer) app.AccessFinding {
	out := app.AccessFinding{ID: f.ID, Analyzer: an.ARN, Region: an.Region, Owner: a.sc.Account, Principal: f.Principal,
		Actions: f.Actions, Condition: f.Condition, Public: f.Public, Sources: f.Sources, Status: "ACTIVE",
		CreatedAt: f.Created, UpdatedAt: f.Created, AnalyzedAt: timeOr(f.Created, a.now())}
	if f.Bucket != "" {
		out.ResourceType, out.Resource = "AWS::S3::Bucket", "arn:aws:s3:::"+f.Bucket
	} else {
		out.ResourceType, out.Resource = "AWS::IAM::Role", fmt.Sprintf("arn:aws:iam::%s:role/%s", a.sc.Account, f.Role)
		if ro, err := a.w.role(f.Role); err == nil {
			out.Resource = ro.arn
		}
	}
	return out
}

// stillGranted reports whether the account still grants what a finding
// reports; the caller holds a.mu.
func (a *Account) stillGranted(f FindingDef) bool {
	if f.Bucket != "" {
		b, err := a.w.bucket(f.Bucket)
		if err != nil {
			return false
		}
		res, err := a.w.evaluate(a.sc, b)
		if err != nil {
			return true
		}
		if f.Public {
			return res.Public
		}
		return res.Shared || res.Public
	}
	ro, err := a.w.role(f.Role)
	if err != nil {
		return false
	}
	outside := outsidePrincipals(ro.trust, a.sc.Account)
	for _, v := range f.Principal {
		for _, o := range outside {
			if o == v || o == "*" || arnAccount(o) == v {
				return true
			}
		}
	}
	return false
}

// Insights returns the scenario's CloudTrail Insights events in the
// window and regions (app.InsightReader).
func (a *Account) Insights(ctx context.Context, q app.InsightQuery, progress app.Progress) (app.InsightReport, error) {
	if err := ctx.Err(); err != nil {
		return app.InsightReport{}, err
	}
	now := a.now()
	end := q.Until.UTC()
	if end.IsZero() || end.After(now) {
		end = now
	}
	start := q.Since.UTC()
	regions := a.regionsOr(q.Regions)
	rep := app.InsightReport{Until: end, Regions: regions, Since: start}
	if start.IsZero() {
		rep.Since = now.Add(-lookupWindow)
	}
	for _, in := range a.sc.Insights {
		region := in.Region
		if region == "" {
			region = a.sc.Region
		}
		if !slices.Contains(regions, region) || in.Time.After(end) || (!start.IsZero() && in.Time.Before(start)) {
			continue
		}
		out := app.Insight{ID: in.ID, Time: in.Time.UTC(), Region: region, State: in.State, Type: in.Type, EventSource: in.EventSource,
			EventName: in.EventName, ErrorCode: in.ErrorCode, Average: in.Average, Baseline: in.Baseline, Duration: in.Duration}
		if out.EventSource == "" {
			out.EventSource = sourceOf(in.EventName, "")
		}
		for _, at := range in.Attributions {
			out.Attributions = append(out.Attributions, app.Attribution(at))
		}
		if out.Time.Before(rep.Since) {
			rep.Since = out.Time
		}
		rep.Insights = append(rep.Insights, out)
	}
	slices.SortStableFunc(rep.Insights, func(x, y app.Insight) int { return x.Time.Compare(y.Time) })
	if progress != nil {
		progress(len(regions), len(regions))
	}
	rep.Items = []app.Collected{a.jsonItem(fmt.Sprintf("CloudTrail Insights events %s to %s (%d events)", rep.Since.Format(time.RFC3339), end.Format(time.RFC3339), len(rep.Insights)),
		"cloudtrail-insights.json", strings.Join(regions, ","), "LookupEvents", map[string]string{"EventCategory": "insight"}, map[string]any{"Events": rep.Insights})}
	return rep, nil
}

// MacieSummary returns Macie's counts as the scenario has them: Macie
// counts once a day, so they lag the responders' changes, as on AWS
// (app.MacieReader).
func (a *Account) MacieSummary(ctx context.Context, q app.MacieQuery) (app.MacieReport, error) {
	if err := ctx.Err(); err != nil {
		return app.MacieReport{}, err
	}
	var rep app.MacieReport
	for _, region := range a.regionsOr(q.Regions) {
		st := app.MacieStats{Region: region, Note: "Amazon Macie is not enabled in " + region + "."}
		for _, m := range a.sc.Macie {
			if m.Region == region && m.Enabled {
				st = app.MacieStats{Region: region, Enabled: true, LastUpdated: m.LastUpdated, Buckets: m.Buckets,
					PubliclyAccessible: m.PubliclyAccessible, PubliclyReadable: m.PubliclyReadable, PubliclyWritable: m.PubliclyWritable,
					SharedExternal: m.SharedExternal, SharedInternal: m.SharedInternal, NotShared: m.NotShared}
			}
		}
		rep.Regions = append(rep.Regions, st)
		rep.Items = append(rep.Items, a.jsonItem("Amazon Macie bucket statistics in "+region, "macie-"+region+".json", region, "GetBucketStatistics", nil, st))
	}
	return rep, nil
}

// FindData searches the scenario's buckets for current objects under a
// key and maps each bucket to its application by its tags (app.DataFinder).
func (a *Account) FindData(ctx context.Context, q app.DataQuery, progress app.Progress) (app.DataReport, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	limit := q.MaxKeys
	if limit <= 0 {
		limit = app.DefaultDataMaxKeys
	}
	var buckets []*bucket
	if len(q.Buckets) == 0 {
		buckets = a.w.buckets
	} else {
		for _, name := range q.Buckets {
			b, err := a.w.bucket(name)
			if err != nil {
				return app.DataReport{}, fmt.Errorf("search bucket %s: %w", name, err)
			}
			buckets = append(buckets, b)
		}
	}
	rep := app.DataReport{Key: q.Key, MaxKeys: limit, Total: len(buckets)}
	for i, b := range buckets {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		bd := app.BucketData{Bucket: b.spec.Name, Region: b.spec.Region, Tags: b.spec.Tags}
		bd.Application, bd.AppTag = app.ApplicationOf(b.spec.Tags)
		for _, o := range b.objects {
			if !o.live() || !strings.HasPrefix(o.spec.Key, q.Key) {
				continue
			}
			if len(bd.Keys) == limit {
				bd.Truncated = true
				break
			}
			bd.Keys = append(bd.Keys, app.ObjectHit{Key: o.spec.Key, Size: o.spec.Size, LastModified: o.spec.LastModified, StorageClass: o.spec.StorageClass})
			bd.Exact = bd.Exact || o.spec.Key == q.Key
		}
		rep.Buckets = append(rep.Buckets, bd)
		if progress != nil {
			progress(i+1, len(buckets))
		}
	}
	slices.SortStableFunc(rep.Buckets, func(x, y app.BucketData) int {
		switch {
		case x.Found() == y.Found():
			return 0
		case x.Found():
			return -1
		}
		return 1
	})
	rep.Items = []app.Collected{a.jsonItem(fmt.Sprintf("Search for objects under %q in %d bucket(s)", q.Key, len(rep.Buckets)), "find-data.json",
		a.region, "ListObjectsV2, GetBucketTagging", map[string]string{"Prefix": q.Key}, rep)}
	return rep, nil
}

// CredentialEvents finds the calls signed with an access key, or the
// calls naming a role (AssumeRole first of all) and those its sessions
// made, in the window, among the scenario's events and the responders'
// own (app.CredentialWatcher).
func (a *Account) CredentialEvents(ctx context.Context, q app.CredentialQuery) ([]app.CredentialEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	role := ""
	if i := strings.Index(q.RoleARN, ":role/"); i >= 0 {
		role = q.RoleARN[strings.LastIndex(q.RoleARN, "/")+1:]
	}
	var out []app.CredentialEvent
	for _, e := range a.events() {
		if (!q.Since.IsZero() && e.Time.Before(q.Since)) || (!q.Until.IsZero() && e.Time.After(q.Until)) {
			continue
		}
		match := false
		switch {
		case q.AccessKeyID != "":
			match = e.AccessKeyID == q.AccessKeyID
		case role != "":
			match = e.Role == role || e.param("roleArn") == q.RoleARN || strings.Contains(e.Actor, ":assumed-role/"+role+"/")
		}
		if !match {
			continue
		}
		out = append(out, app.CredentialEvent{ID: e.ID, Name: e.Name, Source: e.Source, Time: e.Time, Region: e.Region,
			Actor: e.Actor, AccessKeyID: e.AccessKeyID, SourceIP: e.SourceIP, ErrorCode: e.ErrorCode})
	}
	slices.SortStableFunc(out, func(x, y app.CredentialEvent) int { return x.Time.Compare(y.Time) })
	return out, nil
}
