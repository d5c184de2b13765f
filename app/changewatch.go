package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Containment is verified twice: the bucket's exposure is checked again
// right after a change (is it still public?), and CloudTrail is watched
// for a while for any further use of the credentials that were disabled
// (or of the role that was cut off), since a key used again, or a role
// assumed again, means the actor still has a way in.

// ContainmentCheck is the exposure of a bucket re-checked after a change.
type ContainmentCheck struct {
	Change string       `json:"change,omitempty"`
	Bucket string       `json:"bucket"`
	Report BucketReport `json:"report"`
	// NotPublic is true when the verdict no longer calls the bucket public.
	NotPublic bool `json:"notPublic"`
	// Summary is the line put on the timeline.
	Summary string `json:"summary"`
}

// changeBucket names the bucket a change is about, "" when none.
func changeBucket(plan Plan) string {
	if plan.Bulk != nil {
		return plan.Bulk.Bucket
	}
	return strings.TrimSpace(plan.Params["bucket"])
}

// VerifyContainment re-runs the exposure check of a bucket after a change
// and says whether the bucket is now "not public". The bucket is the
// change's own when bucket is "" (account-level and IAM changes name
// none: say which bucket). The responses, the verdict and the answer all
// land with the incident, like any exposure check.
func (s *Service) VerifyContainment(ctx context.Context, incidentID string, p Profile, changeID, bucket string) (ContainmentCheck, error) {
	check := ContainmentCheck{Change: changeID, Bucket: strings.TrimSpace(bucket)}
	var what string
	if changeID != "" {
		run, err := s.findRun(ctx, incidentID, changeID)
		if err != nil {
			return check, err
		}
		if run.Status == ChangePlanned {
			return check, fmt.Errorf("%w: change %s was never applied: there is nothing to verify yet", ErrInvalid, changeID)
		}
		if check.Bucket == "" {
			check.Bucket = changeBucket(run.Plan)
		}
		what = fmt.Sprintf(" after change %s (%s, %s)", changeID, run.Plan.Title, run.Status)
	}
	if check.Bucket == "" {
		return check, fmt.Errorf("%w: change %s names no bucket: say which bucket to check", ErrInvalid, changeID)
	}
	rep, saved, err := s.CollectBucketExposure(ctx, incidentID, p, check.Bucket)
	if err != nil {
		return check, err
	}
	check.Report, check.NotPublic = rep, !rep.Public && !rep.Undetermined
	switch {
	case rep.Undetermined:
		check.Summary = fmt.Sprintf("Containment check%s: whether bucket %s is public COULD NOT BE DETERMINED (%s).", what, check.Bucket, rep.Verdict)
		if len(rep.Reasons) > 0 {
			check.Summary += " " + rep.Reasons[0]
		}
	case rep.Public:
		check.Summary = fmt.Sprintf("Containment check%s: bucket %s is STILL PUBLIC (%s).", what, check.Bucket, rep.Verdict)
		if len(rep.Reasons) > 0 {
			check.Summary += " " + rep.Reasons[0]
		}
	default:
		check.Summary = fmt.Sprintf("Containment check%s: bucket %s is not public (%s).", what, check.Bucket, rep.Verdict)
	}
	if rep.Shared {
		check.Summary += " Still shared with " + strings.Join(rep.SharedWith, ", ") + "."
	}
	if len(rep.Problems) > 0 {
		check.Summary += fmt.Sprintf(" %d read(s) failed, so the verdict may lack an input.", len(rep.Problems))
	}
	refs := evidenceRefs(saved.Evidence)
	if changeID != "" {
		refs = append([]string{changeID}, refs...)
	}
	if err := s.record(context.WithoutCancel(ctx), incidentID, []Entry{s.entry(KindAction, check.Summary, time.Time{}, refs...)}); err != nil {
		return check, err
	}
	return check, nil
}

// CredentialQuery asks CloudTrail for calls made with an access key, or
// for sessions requested for a role, in a window.
type CredentialQuery struct {
	// AccessKeyID finds calls signed with the key.
	AccessKeyID string
	// RoleARN finds calls naming the role as their resource, AssumeRole
	// first of all: a new session of a role that was cut off.
	RoleARN      string
	Since, Until time.Time
	// Regions to search; empty lets the cloud choose.
	Regions []string
}

// CredentialEvent is one recorded call of a CredentialQuery.
type CredentialEvent struct {
	ID          string    `json:"eventId"`
	Name        string    `json:"eventName"`
	Source      string    `json:"eventSource,omitempty"`
	Time        time.Time `json:"eventTime"`
	Region      string    `json:"region,omitempty"`
	Actor       string    `json:"actor,omitempty"`
	AccessKeyID string    `json:"accessKeyId,omitempty"`
	SourceIP    string    `json:"sourceIP,omitempty"`
	// ErrorCode is set for a call that was refused (AccessDenied after a
	// deny-all policy, say): an attempt, but no success.
	ErrorCode string `json:"errorCode,omitempty"`
}

// CredentialWatcher is what a Cloud offers to look up the use of
// credentials (CloudTrail's event history for AWS).
type CredentialWatcher interface {
	CredentialEvents(ctx context.Context, q CredentialQuery) ([]CredentialEvent, error)
}

// Defaults of WatchCredentials.
const (
	DefaultWatchDuration = 30 * time.Minute
	DefaultWatchEvery    = 5 * time.Minute
)

// WatchRequest says what to watch and for how long.
type WatchRequest struct {
	AccessKeyID string
	RoleName    string
	// Duration is how long to watch (DefaultWatchDuration when 0); Every
	// how often to look (DefaultWatchEvery when 0).
	Duration, Every time.Duration
	// Since is where the search window starts (the watch's start when
	// zero): the time the credentials were disabled, say.
	Since time.Time
}

// WatchProgress is told after each look.
type WatchProgress struct {
	Poll int `json:"poll"`
	// Found counts every event found so far; New are this look's.
	Found int               `json:"found"`
	New   []CredentialEvent `json:"new,omitempty"`
	Next  time.Time         `json:"next,omitzero"`
}

// WatchResult is how a watch ended.
type WatchResult struct {
	Polls  int               `json:"polls"`
	Events []CredentialEvent `json:"events"`
	// Cancelled is true when the watch was stopped before its end.
	Cancelled bool `json:"cancelled"`
}

// credentialText is the timeline finding of one event.
func credentialText(what string, e CredentialEvent) string {
	text := fmt.Sprintf("Further use of %s after containment: %s", what, e.Name)
	if e.Actor != "" {
		text += " by " + e.Actor
	}
	if e.SourceIP != "" {
		text += " from " + e.SourceIP
	}
	if e.Region != "" {
		text += " in " + e.Region
	}
	if e.AccessKeyID != "" && !strings.Contains(what, e.AccessKeyID) {
		text += " with key " + e.AccessKeyID
	}
	if e.ErrorCode != "" {
		text += " (refused: " + e.ErrorCode + ")"
	} else {
		text += " (it succeeded)"
	}
	return text + "."
}

// WatchCredentials looks up CloudTrail every req.Every for req.Duration
// for calls made with a disabled access key, or for new sessions of a
// role, and puts each event found on the timeline at the time it
// happened (once, whatever the number of looks), then a summary. It
// stops early when ctx is cancelled, recording how far it got. Event
// history lags by some minutes, so the last look comes at the end of the
// window.
func (s *Service) WatchCredentials(ctx context.Context, incidentID string, p Profile, req WatchRequest, progress func(WatchProgress)) (WatchResult, error) {
	req.AccessKeyID, req.RoleName = strings.TrimSpace(req.AccessKeyID), strings.TrimSpace(req.RoleName)
	if (req.AccessKeyID == "") == (req.RoleName == "") {
		return WatchResult{}, fmt.Errorf("%w: watch one access key or one role", ErrInvalid)
	}
	if req.Duration <= 0 {
		req.Duration = DefaultWatchDuration
	}
	if req.Every <= 0 {
		req.Every = DefaultWatchEvery
	}
	conn, watcher, err := capability[CredentialWatcher](ctx, s, incidentID, p, "look up CloudTrail events")
	if err != nil {
		return WatchResult{}, err
	}
	start := s.now()
	if req.Since.IsZero() {
		req.Since = start
	}
	q := CredentialQuery{AccessKeyID: req.AccessKeyID, Since: req.Since}
	what := "access key " + req.AccessKeyID
	if req.RoleName != "" {
		parts := strings.SplitN(conn.id.ARN, ":", 3)
		partition := "aws"
		if len(parts) == 3 {
			partition = parts[1]
		}
		q = CredentialQuery{RoleARN: fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, conn.id.Account, req.RoleName), Since: req.Since}
		what = "role " + req.RoleName
	}
	saveCtx := context.WithoutCancel(ctx)
	startText := fmt.Sprintf("Watching CloudTrail for further use of %s since %s: a look every %s for %s, as %s.",
		what, req.Since.UTC().Format(time.RFC3339), req.Every, req.Duration, conn.id.ARN)
	if err := s.record(saveCtx, incidentID, []Entry{s.entry(KindAction, startText, time.Time{})}); err != nil {
		return WatchResult{}, err
	}
	var res WatchResult
	end := start.Add(req.Duration)
	for {
		q.Until = s.now()
		events, err := watcher.CredentialEvents(ctx, q)
		if err != nil && ctx.Err() == nil {
			return res, fmt.Errorf("watch %s: %w", what, err)
		}
		if err == nil {
			res.Polls++
			fresh, err := s.recordCredentialEvents(saveCtx, incidentID, what, events)
			if err != nil {
				return res, err
			}
			res.Events = append(res.Events, fresh...)
			if progress != nil {
				next := s.now().Add(req.Every)
				if !next.Before(end) {
					next = end
				}
				progress(WatchProgress{Poll: res.Polls, Found: len(res.Events), New: fresh, Next: next})
			}
		}
		left := end.Sub(s.now())
		if left <= 0 || ctx.Err() != nil {
			break
		}
		t := time.NewTimer(min(req.Every, left))
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	res.Cancelled = ctx.Err() != nil
	verdict := fmt.Sprintf("no use of %s was recorded", what)
	if n := len(res.Events); n > 0 {
		verdict = fmt.Sprintf("%d call(s) with %s were recorded (findings above): the actor may still have a way in", n, what)
	}
	how := "ended"
	if res.Cancelled {
		how = fmt.Sprintf("was stopped after %s", s.now().Sub(start).Round(time.Second))
	}
	text := fmt.Sprintf("CloudTrail watch of %s %s after %d look(s): %s. Event history lags by some minutes, so a call in the last minutes may not show yet.", what, how, res.Polls, verdict)
	if err := s.record(saveCtx, incidentID, []Entry{s.entry(KindAction, text, time.Time{})}); err != nil {
		return res, err
	}
	if res.Cancelled {
		return res, fmt.Errorf("watch of %s stopped: %w", what, ctx.Err())
	}
	return res, nil
}

// recordCredentialEvents puts the events not yet on the timeline there,
// each at its own time, and returns them.
func (s *Service) recordCredentialEvents(ctx context.Context, incidentID, what string, events []CredentialEvent) ([]CredentialEvent, error) {
	known, err := s.knownRefs(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	var fresh []CredentialEvent
	var entries []Entry
	for _, e := range events {
		ref := changeRef(e.ID)
		if e.ID == "" || known[ref] {
			continue
		}
		known[ref] = true
		fresh = append(fresh, e)
		entries = append(entries, s.entry(KindFinding, credentialText(what, e), e.Time, ref))
	}
	slices.SortFunc(entries, func(a, b Entry) int { return a.EventTime.Compare(b.EventTime) })
	if len(entries) > 0 {
		if err := s.record(ctx, incidentID, entries); err != nil {
			return nil, err
		}
	}
	return fresh, nil
}
