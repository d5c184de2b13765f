package app

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Report is everything a post-incident document shows, gathered once so
// that renderers (PDF, Markdown, CSV, JSON) are pure functions of it.
type Report struct {
	Case     Case
	Playbook *Playbook
	Timeline []Entry
	Head     Head
	// ChainOK and ChainProblem are the result of verifying the timeline
	// when the report was made: a report must say if its source was altered.
	ChainOK      bool
	ChainProblem string
	Evidence     []Evidence
	// GeneratedAt is fixed from the incident (its last update), not the
	// clock, so the same incident always renders the same bytes.
	GeneratedAt time.Time
	// Sections, when not empty, limits the document to these section ids
	// (see ReportSections).
	Sections []string
	// Logo is an optional PNG or JPEG shown on the cover.
	Logo []byte
}

// ReportSections are the ids of the sections a responder may choose.
var ReportSections = []string{
	"summary", "metrics", "timeline-chart", "timeline", "resources", "findings",
	"actions", "evidence", "playbook", "communications", "lessons", "action-items", "appendix",
}

// Includes reports whether a section is part of the report.
func (r Report) Includes(section string) bool {
	if len(r.Sections) == 0 {
		return true
	}
	for _, s := range r.Sections {
		if s == section {
			return true
		}
	}
	return false
}

// BuildReport gathers the report data for an incident.
func (s *Service) BuildReport(ctx context.Context, id string) (Report, error) {
	c, err := s.Load(ctx, id)
	if err != nil {
		return Report{}, err
	}
	pb, err := s.PlaybookFor(c.Incident)
	if err != nil {
		return Report{}, err
	}
	entries, head, err := s.store.Timeline(ctx, id)
	if err != nil {
		return Report{}, fmt.Errorf("read timeline of %s: %w", id, err)
	}
	r := Report{Case: c, Playbook: pb, Timeline: entries, Head: head, GeneratedAt: c.Incident.UpdatedAt, ChainOK: true}
	if err := VerifyChain(entries, head); err != nil {
		r.ChainOK, r.ChainProblem = false, err.Error()
	}
	if _, ok := s.store.(EvidenceStore); ok {
		ev, err := s.ListEvidence(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Report{}, fmt.Errorf("read evidence of %s: %w", id, err)
		}
		r.Evidence = ev
	}
	return r, nil
}
