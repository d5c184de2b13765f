package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// What the evidence says about calls on a bucket: who deleted or
// overwrote an object (recovery), and how activity evolved before and
// after the mitigations (the comparison of step 4.6). Two kinds of
// evidence carry CloudTrail events:
//
//   - Athena results (CSV evidence of the athena queries): one row per
//     event, with its time, name, object key and principal: exact;
//   - offline CloudTrail analyses (trail-summary evidence, the trail
//     package's JSON): totals per principal with their first and last
//     event, and a histogram of all matched events over time. They name
//     no object, so they can only point at principals that made such
//     calls around that time.
//
// The app package reads both formats by their field names; it does not
// import the packages that write them.

// DataEvent is one CloudTrail event read from a row of Athena results.
type DataEvent struct {
	Time        time.Time `json:"time"`
	EventName   string    `json:"eventName"`
	Bucket      string    `json:"bucket,omitempty"`
	Key         string    `json:"key,omitempty"`
	Principal   string    `json:"principal"`
	AccessKeyID string    `json:"accessKeyId,omitempty"`
	SourceIP    string    `json:"sourceIP,omitempty"`
	ErrorCode   string    `json:"errorCode,omitempty"`
	Evidence    string    `json:"evidence"`
}

// trailSummary is the part of an offline CloudTrail analysis (the trail
// package's Result as JSON) that activity and attribution use.
type trailSummary struct {
	FirstEvent *time.Time `json:"firstEvent"`
	LastEvent  *time.Time `json:"lastEvent"`
	Principals []struct {
		AccessKeyID string `json:"accessKeyId"`
		ARN         string `json:"arn"`
		Name        string `json:"name"`
		Events      int64  `json:"events"`
		EventNames  []struct {
			Name  string `json:"name"`
			Count int64  `json:"count"`
		} `json:"eventNames"`
		FirstSeen time.Time `json:"firstSeen"`
		LastSeen  time.Time `json:"lastSeen"`
		SourceIPs []string  `json:"sourceIPs"`
	} `json:"principals"`
	Histogram struct {
		BinSeconds int64 `json:"binSeconds"`
		Bins       []struct {
			Start  time.Time `json:"start"`
			Events int64     `json:"events"`
			Reads  int64     `json:"reads"`
			Denied int64     `json:"denied"`
		} `json:"bins"`
	} `json:"histogram"`
}

// summaryEvidence is one analysis with what its filter says about it.
type summaryEvidence struct {
	ID string
	// OnBucket is true when the analysis was filtered to the bucket, so
	// every event it counts concerns it.
	OnBucket bool
	// Principal is the one principal or access key the analysis was
	// filtered to, "" when it counts everyone.
	Principal string
	S         trailSummary
}

// bucketEvidence is what the incident's evidence says about one bucket.
type bucketEvidence struct {
	Events    []DataEvent
	Summaries []summaryEvidence
	// Sources are the evidence items read, by id.
	Sources []string
	// byKey indexes Events by object key; batch deletes name no key.
	byKey map[string][]int
}

// index builds byKey, the events of each key and those naming none.
func (b *bucketEvidence) index() {
	b.byKey = map[string][]int{}
	for i, e := range b.Events {
		b.byKey[e.Key] = append(b.byKey[e.Key], i)
	}
}

// evidenceContent reads the content of an evidence item.
func (s *Service) evidenceContent(ctx context.Context, ev Evidence) ([]byte, error) {
	es, err := s.evidenceStore()
	if err != nil {
		return nil, err
	}
	data, err := es.EvidenceContent(ctx, ev.SHA256)
	if err != nil {
		return nil, fmt.Errorf("read evidence %s: %w", ev.ID, err)
	}
	return data, nil
}

// gatherBucketEvidence reads the events on bucket from the incident's
// Athena results and CloudTrail analyses.
func (s *Service) gatherBucketEvidence(ctx context.Context, incidentID, bucket string) (*bucketEvidence, error) {
	items, err := s.ListEvidence(ctx, incidentID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	out := &bucketEvidence{}
	contents := map[string][]byte{}
	read := func(ev Evidence) ([]byte, error) {
		if c, ok := contents[ev.ID]; ok {
			return c, nil
		}
		c, err := s.evidenceContent(ctx, ev)
		if err == nil {
			contents[ev.ID] = c
		}
		return c, err
	}
	for _, ev := range items {
		switch {
		case ev.Kind == EvidenceTrailSummary:
			data, err := read(ev)
			if err != nil {
				return nil, err
			}
			var sum trailSummary
			if err := json.Unmarshal(data, &sum); err != nil {
				continue // not the analysis format: nothing to read from it
			}
			se := summaryEvidence{ID: ev.ID, S: sum}
			if b := ev.Source.Params["bucket"]; b != "" {
				if !slices.Contains(strings.Split(b, ","), bucket) {
					continue
				}
				se.OnBucket = true
			}
			for _, p := range []string{"principal", "access-key"} {
				if v := ev.Source.Params[p]; v != "" && !strings.Contains(v, ",") {
					se.Principal = v
				}
			}
			out.Summaries = append(out.Summaries, se)
			out.Sources = append(out.Sources, ev.ID)
		case ev.MediaType == "text/csv" && ev.Source.Params["QueryExecutionId"] != "":
			data, err := read(ev)
			if err != nil {
				return nil, err
			}
			named := func() bool { return s.queryNamesBucket(ctx, items, read, ev.Source.Params["QueryExecutionId"], bucket) }
			events, ok := athenaEvents(data, ev.ID, bucket, named)
			if !ok {
				continue
			}
			out.Events = append(out.Events, events...)
			out.Sources = append(out.Sources, ev.ID)
		}
	}
	slices.SortStableFunc(out.Events, func(a, b DataEvent) int { return a.Time.Compare(b.Time) })
	out.index()
	return out, nil
}

// queryNamesBucket reports whether the SQL of an Athena query, kept in
// its execution's evidence, selects the bucket: results without a bucket
// column (the by-bucket query) say which bucket only there.
func (s *Service) queryNamesBucket(ctx context.Context, items []Evidence, read func(Evidence) ([]byte, error), queryID, bucket string) bool {
	literal := []byte("'" + strings.ReplaceAll(bucket, "'", "''") + "'")
	for _, ev := range items {
		if ev.Source.Params["QueryExecutionId"] != queryID || ev.MediaType == "text/csv" {
			continue
		}
		if data, err := read(ev); err == nil && bytes.Contains(data, literal) {
			return true
		}
	}
	return false
}

// athenaEvents reads the rows of an Athena result that are CloudTrail
// events on bucket. ok is false when the result has no event rows (a
// grouped query) or is about another bucket.
func athenaEvents(data []byte, evidenceID, bucket string, namesBucket func() bool) ([]DataEvent, bool) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, false
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	_, hasTime := col["eventtime"]
	_, hasName := col["eventname"]
	_, hasWho := col["principal"]
	if !hasTime || !hasName || !hasWho {
		return nil, false
	}
	_, hasBucket := col["bucket"]
	if !hasBucket && !namesBucket() {
		return nil, false
	}
	get := func(row []string, name string) string {
		if i, ok := col[name]; ok && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	var out []DataEvent
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, len(out) > 0
		}
		t, err := time.Parse(time.RFC3339Nano, get(row, "eventtime"))
		if err != nil {
			continue
		}
		e := DataEvent{Time: t.UTC(), EventName: get(row, "eventname"), Bucket: get(row, "bucket"), Key: get(row, "object_key"),
			Principal: get(row, "principal"), AccessKeyID: get(row, "access_key"), SourceIP: get(row, "sourceipaddress"),
			ErrorCode: get(row, "errorcode"), Evidence: evidenceID}
		if e.Bucket == "" {
			e.Bucket = bucket
		}
		if e.Bucket != bucket {
			continue
		}
		if e.Principal == "" {
			e.Principal = e.AccessKeyID
		}
		out = append(out, e)
	}
	return out, true
}

// ChangeAuthor says who made one change to an object, as far as the
// evidence shows.
type ChangeAuthor struct {
	Principal   string    `json:"principal"`
	AccessKeyID string    `json:"accessKeyId,omitempty"`
	SourceIP    string    `json:"sourceIP,omitempty"`
	EventName   string    `json:"eventName,omitempty"`
	EventTime   time.Time `json:"eventTime,omitzero"`
	// Exact is true for a CloudTrail event naming the object at the time
	// of the change; otherwise the principal made such calls on the
	// bucket around that time, which points at it without proving it.
	Exact    bool   `json:"exact"`
	Evidence string `json:"evidence"`
}

// attributionSlack is how far apart the time S3 gives a version and the
// time CloudTrail gives its call may be.
const attributionSlack = 2 * time.Minute

// calls that make a version or a delete marker.
var (
	versionCalls = []string{"PutObject", "CopyObject", "CompleteMultipartUpload", "RestoreObject"}
	markerCalls  = []string{"DeleteObject", "DeleteObjects"}
)

// attribute says who made each entry of a key's change, where the
// evidence says: an exact event first, else the principals of the
// analyses that made such calls around that time.
func (b *bucketEvidence) attribute(k *KeyChange) {
	seen := map[string]bool{}
	add := func(a ChangeAuthor) {
		id := a.Principal + "|" + a.EventName + "|" + a.EventTime.String()
		if !seen[id] {
			seen[id] = true
			k.By = append(k.By, a)
		}
	}
	for _, e := range k.Made {
		calls := versionCalls
		if e.DeleteMarker {
			calls = markerCalls
		}
		if a, ok := b.exact(k.Key, e, calls); ok {
			add(a)
			continue
		}
		for _, a := range b.likely(e, calls) {
			add(a)
		}
	}
}

// exact finds the event that made an entry: its call on its key, the
// closest in time within the slack (a DeleteObjects names no key).
func (b *bucketEvidence) exact(key string, e ObjectVersion, calls []string) (ChangeAuthor, bool) {
	var best *DataEvent
	for _, i := range append(slices.Clone(b.byKey[key]), b.byKey[""]...) {
		ev := &b.Events[i]
		if ev.ErrorCode != "" || !slices.Contains(calls, ev.EventName) || (ev.Key != key && ev.EventName != "DeleteObjects") {
			continue
		}
		d := ev.Time.Sub(e.LastModified).Abs()
		if d > attributionSlack {
			continue
		}
		if best == nil || d < best.Time.Sub(e.LastModified).Abs() || (best.EventName == "DeleteObjects" && ev.EventName != "DeleteObjects") {
			best = ev
		}
	}
	if best == nil {
		return ChangeAuthor{}, false
	}
	return ChangeAuthor{Principal: best.Principal, AccessKeyID: best.AccessKeyID, SourceIP: best.SourceIP, EventName: best.EventName,
		EventTime: best.Time, Exact: best.EventName != "DeleteObjects", Evidence: best.Evidence}, true
}

// likely lists the principals of the analyses that made such calls while
// they were active around the entry's time.
func (b *bucketEvidence) likely(e ObjectVersion, calls []string) []ChangeAuthor {
	var out []ChangeAuthor
	for _, s := range b.Summaries {
		if !s.OnBucket {
			continue // its calls may be on any bucket
		}
		for _, p := range s.S.Principals {
			if e.LastModified.Before(p.FirstSeen.Add(-attributionSlack)) || e.LastModified.After(p.LastSeen.Add(attributionSlack)) {
				continue
			}
			for _, n := range p.EventNames {
				if n.Count > 0 && slices.Contains(calls, n.Name) {
					name := p.ARN
					if name == "" {
						name = p.Name
					}
					ip := ""
					if len(p.SourceIPs) == 1 {
						ip = p.SourceIPs[0]
					}
					out = append(out, ChangeAuthor{Principal: name, AccessKeyID: p.AccessKeyID, SourceIP: ip, EventName: n.Name, Evidence: s.ID})
					break
				}
			}
		}
	}
	return out
}

// PrincipalCount is how many changed objects the evidence ties to one
// principal.
type PrincipalCount struct {
	Principal string `json:"principal"`
	// Exact counts objects with a CloudTrail event naming them; Likely
	// those where the principal only made such calls around then.
	Exact    int      `json:"exact"`
	Likely   int      `json:"likely"`
	Evidence []string `json:"evidence"`
}

// whoDidIt sums the attributions of changed keys up by principal, most
// objects first, and counts the keys nobody could be tied to.
func whoDidIt(keys []KeyChange) ([]PrincipalCount, int) {
	by := map[string]*PrincipalCount{}
	unknown := 0
	for _, k := range keys {
		if len(k.By) == 0 {
			unknown++
			continue
		}
		exact := map[string]bool{}
		likely := map[string]bool{}
		for _, a := range k.By {
			pc := by[a.Principal]
			if pc == nil {
				pc = &PrincipalCount{Principal: a.Principal}
				by[a.Principal] = pc
			}
			if !slices.Contains(pc.Evidence, a.Evidence) {
				pc.Evidence = append(pc.Evidence, a.Evidence)
			}
			if a.Exact {
				exact[a.Principal] = true
			} else {
				likely[a.Principal] = true
			}
		}
		for p := range exact {
			by[p].Exact++
		}
		for p := range likely {
			if !exact[p] {
				by[p].Likely++
			}
		}
	}
	out := make([]PrincipalCount, 0, len(by))
	for _, pc := range by {
		slices.Sort(pc.Evidence)
		out = append(out, *pc)
	}
	slices.SortFunc(out, func(a, b PrincipalCount) int {
		if d := (b.Exact + b.Likely) - (a.Exact + a.Likely); d != 0 {
			return d
		}
		return strings.Compare(a.Principal, b.Principal)
	})
	return out, unknown
}

// whoWords says the sums of whoDidIt in a sentence.
func whoWords(by []PrincipalCount, unknown, total int) string {
	if len(by) == 0 {
		return fmt.Sprintf("Who made the changes: unknown for all %d object(s); no CloudTrail evidence of the bucket's object calls covers them (run the Athena by-bucket query or analyse the trail's data events, then look again).", total)
	}
	var parts []string
	for _, pc := range by {
		switch {
		case pc.Likely == 0:
			parts = append(parts, fmt.Sprintf("%s for %d object(s) (CloudTrail events naming them, evidence %s)", pc.Principal, pc.Exact, strings.Join(pc.Evidence, ", ")))
		case pc.Exact == 0:
			parts = append(parts, fmt.Sprintf("probably %s for %d object(s) (made such calls on the bucket then, evidence %s)", pc.Principal, pc.Likely, strings.Join(pc.Evidence, ", ")))
		default:
			parts = append(parts, fmt.Sprintf("%s for %d object(s), probably %d more (evidence %s)", pc.Principal, pc.Exact, pc.Likely, strings.Join(pc.Evidence, ", ")))
		}
	}
	text := "Who made the changes, as the evidence shows: " + strings.Join(parts, "; ")
	if unknown > 0 {
		text += fmt.Sprintf("; unknown for %d object(s)", unknown)
	}
	return text + "."
}
