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
	// Snapshots holds the content of configuration snapshots by SHA-256,
	// each cut to SnapshotLimit bytes, for the before/after appendix.
	Snapshots map[string][]byte
	// GeneratedAt is fixed from the incident (its last update), not the
	// clock, so the same incident always renders the same bytes.
	GeneratedAt time.Time
	// Sections, when not empty, limits the document to these section ids
	// (see ReportSections).
	Sections []string
	// Logo is an optional PNG or JPEG shown on the cover.
	Logo []byte
}

// SnapshotLimit caps how much of one snapshot a report prints: a policy or
// a configuration fits; a huge document is cut and says so.
const SnapshotLimit = 16 << 10

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
		es, _ := s.store.(EvidenceStore)
		for _, e := range ev {
			if e.Kind != EvidenceSnapshot || r.Snapshots[e.SHA256] != nil {
				continue
			}
			data, err := es.EvidenceContent(ctx, e.SHA256)
			if err != nil {
				continue // the evidence table and verify report a missing blob
			}
			if len(data) > SnapshotLimit {
				data = append(data[:SnapshotLimit:SnapshotLimit], []byte("\n… cut here: the whole content is in the evidence store")...)
			}
			if r.Snapshots == nil {
				r.Snapshots = map[string][]byte{}
			}
			r.Snapshots[e.SHA256] = data
		}
	}
	return r, nil
}
