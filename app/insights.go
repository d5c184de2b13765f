package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// InsightQuery asks for CloudTrail Insights events in a time window.
type InsightQuery struct {
	// Since and Until bound the window; zero means as far back as the
	// cloud keeps events, and now.
	Since, Until time.Time
	// Regions to search; empty lets the cloud choose.
	Regions []string
}

// Attribution is one value that stood out during an unusual period (a
// caller, a user agent, an error code) and its rate then and usually.
type Attribution struct {
	Attribute string  `json:"attribute"` // userIdentityArn, userAgent, errorCode
	Value     string  `json:"value"`
	Average   float64 `json:"average"`
	Baseline  float64 `json:"baseline,omitempty"`
}

// Insight is one CloudTrail Insights event: the start or end of a period
// in which an API was called, or failed, far more often than usual.
type Insight struct {
	ID     string    `json:"eventId"`
	Time   time.Time `json:"eventTime"`
	Region string    `json:"region,omitempty"`
	// State is Start or End.
	State string `json:"state"`
	// Type is ApiCallRateInsight or ApiErrorRateInsight.
	Type        string `json:"insightType"`
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	// ErrorCode is the error an ApiErrorRateInsight is about.
	ErrorCode string `json:"errorCode,omitempty"`
	// Average and Baseline are the rates per minute during the unusual
	// period and usually; Duration is how long it lasted (End events).
	Average      float64       `json:"average"`
	Baseline     float64       `json:"baseline"`
	Duration     time.Duration `json:"durationNs,omitempty"`
	Attributions []Attribution `json:"attributions,omitempty"`
}

// Summary says in words what the Insights event means.
func (in Insight) Summary() string {
	what := fmt.Sprintf("calls of %s (%s)", in.EventName, in.EventSource)
	if in.Type == "ApiErrorRateInsight" {
		what = fmt.Sprintf("failed calls of %s (%s)", in.EventName, in.EventSource)
		if in.ErrorCode != "" {
			what = fmt.Sprintf("%s errors on %s (%s)", in.ErrorCode, in.EventName, in.EventSource)
		}
	}
	var b strings.Builder
	if in.State == "End" {
		fmt.Fprintf(&b, "An unusual rate of %s ended", what)
		if in.Duration > 0 {
			fmt.Fprintf(&b, " after %s", in.Duration)
		}
	} else {
		fmt.Fprintf(&b, "An unusual rate of %s started", what)
	}
	fmt.Fprintf(&b, ": %.4g per minute against a usual %.4g", in.Average, in.Baseline)
	var by []string
	for _, a := range in.Attributions {
		if a.Value == "" || a.Value == "null" {
			continue
		}
		by = append(by, fmt.Sprintf("%s %s (%.4g per minute)", attributeWords(a.Attribute), a.Value, a.Average))
	}
	if len(by) > 0 {
		b.WriteString("; mostly " + strings.Join(by, ", "))
	}
	return b.String() + "."
}

func attributeWords(a string) string {
	switch a {
	case "userIdentityArn":
		return "by"
	case "userAgent":
		return "with user agent"
	case "errorCode":
		return "failing with"
	}
	return a
}

// InsightReport is the answer to an InsightQuery.
type InsightReport struct {
	Insights []Insight `json:"insights"`
	// Since, Until and Regions are the window and regions searched.
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until"`
	Regions []string  `json:"regions"`
	// Note tells the person about a limit of the search.
	Note  string      `json:"note,omitempty"`
	Items []Collected `json:"-"`
}

// InsightReader is a Cloud that can look up CloudTrail Insights events.
type InsightReader interface {
	Insights(ctx context.Context, q InsightQuery, progress Progress) (InsightReport, error)
}

// CollectInsights looks up CloudTrail Insights events in a window, keeps
// them as one evidence item, and puts each on the timeline at its own
// time (once: an event already there is not added again).
func (s *Service) CollectInsights(ctx context.Context, incidentID string, p Profile, q InsightQuery, progress Progress) (InsightReport, Saved, error) {
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return InsightReport{}, Saved{}, fmt.Errorf("%w: the window starts (%s) after it ends (%s)", ErrInvalid, q.Since.UTC().Format(time.RFC3339), q.Until.UTC().Format(time.RFC3339))
	}
	conn, ir, err := capability[InsightReader](ctx, s, incidentID, p, "look up CloudTrail Insights events")
	if err != nil {
		return InsightReport{}, Saved{}, err
	}
	rep, err := ir.Insights(ctx, q, progress)
	if err != nil {
		return rep, Saved{}, fmt.Errorf("look up CloudTrail Insights events: %w", err)
	}
	saved, err := s.keep(ctx, incidentID, conn.id, rep.Items, "the Insights events", func(refs []string) ([]Entry, error) {
		known, err := s.knownRefs(context.WithoutCancel(ctx), incidentID)
		if err != nil {
			return nil, err
		}
		var entries []Entry
		for _, in := range rep.Insights {
			r := refs
			if in.ID != "" {
				if known[changeRef(in.ID)] {
					continue
				}
				r = append(slices.Clone(refs), changeRef(in.ID))
			}
			text := "CloudTrail Insights: " + in.Summary()
			if in.Region != "" {
				text += " (" + in.Region + ")"
			}
			entries = append(entries, s.entry(KindFinding, text, in.Time, r...))
		}
		summary := fmt.Sprintf("Looked up CloudTrail Insights events from %s to %s in %s as %s: %d found, %d new on the timeline.",
			rep.Since.UTC().Format(time.RFC3339), rep.Until.UTC().Format(time.RFC3339), strings.Join(rep.Regions, ", "), conn.id.ARN, len(rep.Insights), len(entries))
		if rep.Note != "" {
			summary += " " + rep.Note
		}
		return append(entries, s.entry(KindEvidence, summary, time.Time{}, refs...)), nil
	})
	return rep, saved, err
}
