package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultHistoryLimit is how many changed keys a history report lists;
// its counts cover every key.
const DefaultHistoryLimit = 10_000

// HistoryQuery asks what happened to a bucket's objects in a window
// (s3.list-versions): the keys under Prefix, or Keys, or every key.
type HistoryQuery struct {
	Bucket string
	Prefix string
	Keys   []string
	Window RestoreWindow
	// Limit caps the changed keys listed (DefaultHistoryLimit when 0).
	Limit int
}

// HistoryReport is what a bucket's versions and delete markers show of a
// window: each key deleted or overwritten, when, by whom where the
// evidence says, and the version that brings it back.
type HistoryReport struct {
	Bucket string        `json:"bucket"`
	Prefix string        `json:"prefix,omitempty"`
	Window RestoreWindow `json:"window"`
	// Keys counts the keys listed; Counts how many of them the window
	// shows changed, by change.
	Keys   int            `json:"keys"`
	Counts map[string]int `json:"counts"`
	// Changed lists the keys not unchanged, by key, up to the limit.
	Changed   []KeyChange `json:"changed"`
	Truncated bool        `json:"truncated,omitempty"`
	// By sums up who made the changes; Unknown counts the restorable
	// keys nobody could be tied to.
	By      []PrincipalCount `json:"by"`
	Unknown int              `json:"unknown"`
	// Sources are the evidence items the attribution read.
	Sources []string `json:"sources,omitempty"`
}

// Restorable counts the keys a restore would bring back.
func (r HistoryReport) Restorable() int {
	return r.Counts[KeyDeleted] + r.Counts[KeyOverwritten] + r.Counts[KeyOverwrittenDeleted]
}

// Summary says the report in a sentence or two.
func (r HistoryReport) Summary() string {
	where := "bucket " + r.Bucket
	if r.Prefix != "" {
		where += fmt.Sprintf(" under %q", r.Prefix)
	}
	var parts []string
	for _, c := range []string{KeyDeleted, KeyOverwritten, KeyOverwrittenDeleted, KeyCreated, KeyLater} {
		if n := r.Counts[c]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c))
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("Versions of %s for %s: none of its %d key(s) changed.", where, r.Window, r.Keys)
	}
	text := fmt.Sprintf("Versions of %s for %s: of %d key(s), %s; %d can be brought back from earlier versions.", where, r.Window, r.Keys, strings.Join(parts, ", "), r.Restorable())
	if r.Restorable() > 0 {
		text += " " + whoWords(r.By, r.Unknown, r.Restorable())
	}
	return text
}

// ObjectHistory lists a bucket's versions and delete markers, works out
// what the window shows happened to each key and the version that
// brings it back, says who made the changes where the incident's
// CloudTrail evidence shows it, and keeps the report as evidence with a
// finding on the timeline.
func (s *Service) ObjectHistory(ctx context.Context, incidentID string, p Profile, q HistoryQuery) (HistoryReport, Saved, error) {
	q.Bucket = strings.TrimSpace(q.Bucket)
	if q.Bucket == "" {
		return HistoryReport{}, Saved{}, fmt.Errorf("%w: name the bucket", ErrInvalid)
	}
	if len(q.Keys) > 0 && q.Prefix != "" {
		return HistoryReport{}, Saved{}, fmt.Errorf("%w: give keys or a prefix, not both", ErrInvalid)
	}
	if q.Limit <= 0 {
		q.Limit = DefaultHistoryLimit
	}
	conn, lister, err := capability[VersionLister](ctx, s, incidentID, p, "list object versions")
	if err != nil {
		return HistoryReport{}, Saved{}, err
	}
	ev, err := s.gatherBucketEvidence(ctx, incidentID, q.Bucket)
	if err != nil {
		return HistoryReport{}, Saved{}, err
	}
	rep := HistoryReport{Bucket: q.Bucket, Prefix: q.Prefix, Window: q.Window, Counts: map[string]int{}, Sources: ev.Sources}
	var restorable []KeyChange
	err = lister.ListVersions(ctx, q.Bucket, q.Prefix, q.Keys, func(hs []KeyHistory) error {
		for _, h := range hs {
			rep.Keys++
			k := ClassifyKey(h, q.Window)
			if k.Change == KeyUnchanged {
				continue
			}
			rep.Counts[k.Change]++
			if k.Restorable() {
				ev.attribute(&k)
				restorable = append(restorable, KeyChange{Key: k.Key, By: k.By})
			}
			if len(rep.Changed) == q.Limit {
				rep.Truncated = true
				continue
			}
			rep.Changed = append(rep.Changed, k)
		}
		return nil
	})
	if err != nil {
		return rep, Saved{}, fmt.Errorf("list the versions of %s: %w", q.Bucket, err)
	}
	rep.By, rep.Unknown = whoDidIt(restorable)
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return rep, Saved{}, fmt.Errorf("encode the versions of %s: %w", q.Bucket, err)
	}
	params := map[string]string{"bucket": q.Bucket}
	if q.Prefix != "" {
		params["prefix"] = q.Prefix
	}
	if len(q.Keys) > 0 {
		params["keys"] = fmt.Sprint(len(q.Keys))
	}
	if !q.Window.Since.IsZero() {
		params["since"] = q.Window.Since.UTC().Format(time.RFC3339)
	}
	if !q.Window.Until.IsZero() {
		params["until"] = q.Window.Until.UTC().Format(time.RFC3339)
	}
	if q.Window.VersionID != "" {
		params["versionId"] = q.Window.VersionID
	}
	item := Collected{
		Title: fmt.Sprintf("Versions and delete markers of bucket %s: %d key(s) changed for %s", q.Bucket, len(rep.Changed), q.Window),
		Kind:  EvidenceSnapshot, MediaType: "application/json", FileName: q.Bucket + "-versions.json",
		Source: Source{Account: conn.id.Account, API: "ListObjectVersions", Params: params}, CollectedAt: s.now(), Data: append(data, '\n'),
	}
	saved, err := s.keep(ctx, incidentID, conn.id, []Collected{item}, "the version history", func(refs []string) ([]Entry, error) {
		return []Entry{s.entry(KindFinding, rep.Summary()+" As "+conn.id.ARN+".", time.Time{}, refs...)}, nil
	})
	return rep, saved, err
}

// explainRestore adds to a restore plan who made the changes it undoes,
// as far as the incident's evidence shows, so the person confirming it
// sees it. A plan is never refused for want of evidence.
func (s *Service) explainRestore(ctx context.Context, incidentID string, plan *Plan) {
	if !IsRestoreAction(plan.Action) || plan.Bulk == nil {
		return
	}
	ev, err := s.gatherBucketEvidence(ctx, incidentID, plan.Bulk.Bucket)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		plan.Notes = append(plan.Notes, "Who made the changes could not be looked up in the evidence: "+err.Error())
		return
	}
	targets := RestoreTargets(*plan.Bulk)
	keys := make([]KeyChange, 0, len(targets))
	for key, t := range targets {
		k := KeyChange{Key: key, Change: t.Change, Made: t.Made}
		ev.attribute(&k)
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b KeyChange) int { return strings.Compare(a.Key, b.Key) })
	by, unknown := whoDidIt(keys)
	plan.Notes = append(plan.Notes, whoWords(by, unknown, len(keys)))
}
