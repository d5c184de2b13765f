package app

import (
	"context"
	"fmt"
)

// The investigation reads below (Access Analyzer, CloudTrail Insights, the
// search for data, Macie, Athena) are optional capabilities of a Cloud,
// like Preflighter: a simulated account for an exercise may offer only
// some of them, and a use case whose capability is missing says so
// instead of failing obscurely.

// capability returns the incident's connection for p and its cloud as C,
// or an error naming what the account cannot do.
func capability[C any](ctx context.Context, s *Service, incidentID string, p Profile, what string) (connection, C, error) {
	var zero C
	conn, err := s.cloudFor(ctx, incidentID, p, false)
	if err != nil {
		return connection{}, zero, err
	}
	c, ok := conn.cloud.(C)
	if !ok {
		return connection{}, zero, fmt.Errorf("%w: the account of %s cannot %s", ErrInvalid, p, what)
	}
	return conn, c, nil
}

// knownRefs are the references already on the incident's timeline, so a
// second collection over the same ground does not record a thing twice.
func (s *Service) knownRefs(ctx context.Context, incidentID string) (map[string]bool, error) {
	timeline, err := s.Timeline(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, e := range timeline {
		for _, r := range e.Refs {
			known[r] = true
		}
	}
	return known, nil
}

// keep saves a collection's items as evidence and then the timeline
// entries built from their references, in that order, so every entry can
// name the items it rests on. It runs without ctx's cancellation: what
// the cloud already answered is kept even if the person cancels now.
func (s *Service) keep(ctx context.Context, incidentID string, by Identity, items []Collected, what string, entries func(refs []string) ([]Entry, error)) (Saved, error) {
	saveCtx := context.WithoutCancel(ctx)
	saved := Saved{By: by}
	var err error
	saved.Evidence, err = s.saveCollected(saveCtx, incidentID, by, items)
	if err != nil {
		return saved, fmt.Errorf("save %s: %w", what, err)
	}
	list, err := entries(evidenceRefs(saved.Evidence))
	if err != nil {
		return saved, fmt.Errorf("record %s: %w", what, err)
	}
	if err := s.record(saveCtx, incidentID, list); err != nil {
		return saved, fmt.Errorf("record %s: %w", what, err)
	}
	saved.Entries = len(list)
	return saved, nil
}
