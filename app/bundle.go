package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// BundleFormat names the version of the Bundle layout. An importer refuses
// a format it does not know rather than guessing at fields. Version 2
// seals the incident's fields, its evidence items and the bundle's report
// on the timeline; version 1 bundles could not prove them and are refused.
const BundleFormat = "s3responder-incident/2"

// Bundle is a whole incident in one value: what the JSON export writes and
// what an evidence bundle carries to another machine. Evidence content is
// not in it (it travels beside it, keyed by SHA-256), so the JSON stays
// readable however large the artifacts are.
type Bundle struct {
	Format   string     `json:"format"`
	Case     Case       `json:"case"`
	Timeline []Entry    `json:"timeline"`
	Head     Head       `json:"head"`
	Evidence []Evidence `json:"evidence"`
	// Playbook is the text of the custom playbook the incident follows,
	// empty for the built-in one. Without it the receiving machine could
	// store the incident but never open it.
	Playbook string `json:"playbook,omitempty"`
}

// Importer is the optional store capability of taking in a whole incident
// at once: case, timeline as sealed (not re-sealed), evidence metadata and
// content, in one transaction. It must refuse an incident id that exists.
type Importer interface {
	Import(ctx context.Context, b Bundle, contents map[string][]byte) error
}

// Bundle returns the report's incident as a bundle without evidence
// content or playbook text: the JSON export of a report.
func (r Report) Bundle() Bundle {
	return Bundle{Format: BundleFormat, Case: r.Case, Timeline: r.Timeline, Head: r.Head, Evidence: r.Evidence}
}

// ExportBundle reads an incident with its evidence content. It refuses an
// incident whose timeline or evidence no longer verifies: a bundle is
// meant to be trusted by whoever imports it, and the import would refuse it
// anyway, far from the person who could investigate.
func (s *Service) ExportBundle(ctx context.Context, id string) (Bundle, map[string][]byte, error) {
	c, err := s.Load(ctx, id)
	if err != nil {
		return Bundle{}, nil, err
	}
	entries, head, err := s.store.Timeline(ctx, id)
	if err != nil {
		return Bundle{}, nil, fmt.Errorf("read timeline of %s: %w", id, err)
	}
	if err := VerifyChain(entries, head); err != nil {
		return Bundle{}, nil, fmt.Errorf("export %s: %w", id, err)
	}
	b := Bundle{Format: BundleFormat, Case: c, Timeline: entries, Head: head}
	if c.Incident.Playbook.SHA256 != s.builtin.SHA256 {
		raw, err := s.store.Playbooks(ctx)
		if err != nil {
			return Bundle{}, nil, fmt.Errorf("export %s: read saved playbooks: %w", id, err)
		}
		// A playbook that is not saved (an older built-in one) leaves the
		// field empty: the importing machine then needs it loaded already,
		// and says so by its hash.
		b.Playbook = string(raw[c.Incident.Playbook.SHA256])
	}
	contents := map[string][]byte{}
	var items []Evidence
	es, ok := s.store.(EvidenceStore)
	if ok {
		if items, err = es.Evidence(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
			return Bundle{}, nil, fmt.Errorf("export %s: read evidence: %w", id, err)
		}
	}
	if problems := CheckSeals(entries, c, items); len(problems) > 0 {
		return Bundle{}, nil, fmt.Errorf("export %s: %w", id, &SealsError{problems})
	}
	if !ok {
		return b, contents, nil
	}
	for _, ev := range items {
		if err := ctx.Err(); err != nil {
			return Bundle{}, nil, err
		}
		if _, done := contents[ev.SHA256]; done {
			continue
		}
		data, err := es.EvidenceContent(ctx, ev.SHA256)
		if err != nil {
			return Bundle{}, nil, fmt.Errorf("export %s: content of evidence %s: %w", id, ev.ID, err)
		}
		if HashHex(data) != ev.SHA256 {
			return Bundle{}, nil, fmt.Errorf("export %s: %w: the stored content of evidence %s does not match its SHA-256", id, ErrInvalid, ev.ID)
		}
		contents[ev.SHA256] = data
	}
	b.Evidence = items
	return b, contents, nil
}

// RecordExport adds an "exported" custody event to every evidence item of
// the incident. Callers record it once the bundle is safely written, with
// a note saying where it went (and the bundle's own SHA-256), so custody
// never claims an export that failed.
func (s *Service) RecordExport(ctx context.Context, id, note string) error {
	es, ok := s.store.(EvidenceStore)
	if !ok {
		return nil
	}
	items, err := es.Evidence(ctx, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("record export of %s: %w", id, err)
	}
	for _, ev := range items {
		if err := es.AddCustody(ctx, id, ev.ID, CustodyEvent{At: s.now(), Actor: s.actor, Action: "exported", Note: note}); err != nil {
			return fmt.Errorf("record export of evidence %s: %w", ev.ID, err)
		}
	}
	return nil
}

// SealBundleFiles seals files an export adds beside the incident (the PDF
// report) with one timeline entry, and brings the bundle's case, timeline
// and head up to it. The files are made from the incident, so they cannot
// be sealed before they exist; the entry that seals them travels in the
// bundle, and the importer checks each file against it.
func (s *Service) SealBundleFiles(ctx context.Context, b *Bundle, files map[string][]byte) error {
	if len(files) == 0 {
		return nil
	}
	id := b.Case.Incident.ID
	seals := map[string]string{}
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(files)) {
		sum := HashHex(files[name])
		seals[sealBundle+name] = sum
		parts = append(parts, fmt.Sprintf("%s (sha256 %s)", name, sum))
	}
	e := s.entry(KindSeal, "Evidence bundle written: "+strings.Join(parts, ", ")+" sealed", time.Time{})
	e.Seals = seals
	c, err := s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) { return []Entry{e}, nil })
	if err != nil {
		return fmt.Errorf("seal the files of the bundle of %s: %w", id, err)
	}
	entries, head, err := s.store.Timeline(ctx, id)
	if err != nil {
		return fmt.Errorf("read timeline of %s: %w", id, err)
	}
	b.Case, b.Timeline, b.Head = c, entries, head
	return nil
}

// VerifyBundle checks everything ImportBundle relies on, without writing:
// the format, every field of the incident as a person typing it would be
// held to, the timeline chain, the incident, steps and evidence items
// against the chain's seals, every evidence content against its SHA-256
// and size, each file the archive carries beside them (files: name to
// SHA-256, the report) against the seal of the export that wrote it, and
// the custom playbook text against the hash the incident pins. It returns
// the playbook the incident follows.
func (s *Service) VerifyBundle(b Bundle, contents map[string][]byte, files map[string]string) (*Playbook, error) {
	if b.Format != BundleFormat {
		return nil, fmt.Errorf("%w: bundle format %q: this version reads %q (export the incident again with this version)", ErrInvalid, b.Format, BundleFormat)
	}
	inc := b.Case.Incident
	if err := CheckIncident(b.Case); err != nil {
		return nil, err
	}
	if err := VerifyChain(b.Timeline, b.Head); err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", inc.ID, err)
	}
	seen := map[string]bool{}
	for _, ev := range b.Evidence {
		if err := checkEvidence(ev); err != nil {
			return nil, err
		}
		if seen[ev.ID] {
			return nil, fmt.Errorf("%w: evidence id %s appears twice", ErrInvalid, ev.ID)
		}
		seen[ev.ID] = true
		data, ok := contents[ev.SHA256]
		if !ok {
			return nil, fmt.Errorf("%w: the content of evidence %s (sha256 %s) is missing", ErrInvalid, ev.ID, ev.SHA256)
		}
		if got := HashHex(data); got != ev.SHA256 {
			return nil, fmt.Errorf("%w: the content of evidence %s has sha256 %s, expected %s", ErrInvalid, ev.ID, got, ev.SHA256)
		}
		if int64(len(data)) != ev.Size {
			return nil, fmt.Errorf("%w: the content of evidence %s is %d bytes, expected %d", ErrInvalid, ev.ID, len(data), ev.Size)
		}
	}
	for sha, data := range contents {
		if HashHex(data) != sha {
			return nil, fmt.Errorf("%w: evidence content filed under sha256 %s does not match it", ErrInvalid, sha)
		}
	}
	if problems := CheckSeals(b.Timeline, b.Case, b.Evidence); len(problems) > 0 {
		return nil, fmt.Errorf("incident %s: %w", inc.ID, &SealsError{problems})
	}
	sealed := replaySeals(b.Timeline)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		s, ok := sealed[sealBundle+name]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: bundle file %s is not sealed on the incident's timeline", ErrInvalid, name)
		case s.digest != files[name]:
			return nil, fmt.Errorf("%w: bundle file %s has sha256 %s but timeline entry %d sealed %s (the file was replaced)", ErrInvalid, name, files[name], s.seq, s.digest)
		}
	}
	if b.Playbook != "" {
		pb, err := ParsePlaybook("playbook of "+inc.ID, []byte(b.Playbook))
		if err != nil {
			return nil, err
		}
		if pb.SHA256 != inc.Playbook.SHA256 {
			return nil, fmt.Errorf("%w: the bundle's playbook has sha256 %s but the incident follows %s", ErrInvalid, pb.SHA256, inc.Playbook.SHA256)
		}
		return pb, nil
	}
	return s.PlaybookFor(inc)
}

// ImportBundle takes in an incident exported elsewhere. Everything is
// verified before anything is written; the timeline is kept exactly as
// sealed, so the imported copy verifies against the same hashes. Each
// evidence item gains an "imported" custody event.
func (s *Service) ImportBundle(ctx context.Context, b Bundle, contents map[string][]byte, files map[string]string) error {
	imp, ok := s.store.(Importer)
	if !ok {
		return fmt.Errorf("%w: this database cannot import incidents", ErrInvalid)
	}
	pb, err := s.VerifyBundle(b, contents, files)
	if err != nil {
		return fmt.Errorf("import bundle: %w", err)
	}
	id := b.Case.Incident.ID
	switch _, err := s.store.Load(ctx, id); {
	case err == nil:
		return fmt.Errorf("import bundle: %w: incident %s already exists in this database", ErrInvalid, id)
	case !errors.Is(err, ErrNotFound):
		return fmt.Errorf("import bundle: look for incident %s: %w", id, err)
	}
	if b.Playbook != "" {
		if _, known := s.playbook(pb.SHA256); !known {
			if err := s.store.SavePlaybook(ctx, pb.SHA256, []byte(b.Playbook)); err != nil {
				return fmt.Errorf("import bundle: save playbook %s: %w", pb.ID, err)
			}
			s.addPlaybook(pb)
		}
	}
	now := s.now()
	evidence := make([]Evidence, len(b.Evidence))
	for i, ev := range b.Evidence {
		ev.Custody = append(append([]CustodyEvent(nil), ev.Custody...),
			CustodyEvent{At: now, Actor: s.actor, Action: "imported", Note: "from an evidence bundle; sha256 verified"})
		evidence[i] = ev
	}
	b.Evidence = evidence
	if err := imp.Import(ctx, b, contents); err != nil {
		return fmt.Errorf("import incident %s: %w", id, err)
	}
	return nil
}
