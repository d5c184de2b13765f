package app

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Finding is one thing an analysis established, to be put on the timeline
// at the time it happened (not when it was found), with references to the
// evidence it rests on.
type Finding struct {
	Text      string
	EventTime time.Time
	Refs      []string
}

// AddFinding records one finding on the timeline. eventTime is when the
// thing happened (a read seen in old logs, say); zero means now.
func (s *Service) AddFinding(ctx context.Context, id, text string, eventTime time.Time, refs ...string) (Case, error) {
	return s.AddFindings(ctx, id, []Finding{{Text: text, EventTime: eventTime, Refs: refs}})
}

// AddFindings records several findings in one transaction, so an analysis
// lands on the timeline whole or not at all. Empty texts are refused before
// anything is written.
func (s *Service) AddFindings(ctx context.Context, id string, findings []Finding) (Case, error) {
	entries := make([]Entry, 0, len(findings))
	for i, f := range findings {
		text := strings.TrimSpace(f.Text)
		if text == "" {
			return Case{}, fmt.Errorf("%w: finding %d has no text", ErrInvalid, i+1)
		}
		entries = append(entries, s.entry(KindFinding, text, f.EventTime, f.Refs...))
	}
	if len(entries) == 0 {
		return s.Load(ctx, id)
	}
	return s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) { return entries, nil })
}

// AddUniqueEvidence is AddEvidence with an id no other item of the incident
// has. The default id (collection time to the second and the start of the
// hash) repeats when the same content is kept twice within a second, as
// when an analysis of the same files is added again with another filter.
func (s *Service) AddUniqueEvidence(ctx context.Context, incidentID string, ev Evidence, content []byte) (Evidence, error) {
	if ev.ID == "" {
		ids, err := s.newEvidenceIDs(ctx, incidentID)
		if err != nil {
			return Evidence{}, err
		}
		ev.ID = ids.next(content)
	}
	return s.AddEvidence(ctx, incidentID, ev, content)
}
