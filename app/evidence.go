package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Source says where an evidence item came from, so that anyone can repeat
// the collection: the AWS account, region, API and its parameters, or the
// file it was read from.
type Source struct {
	Account string            `json:"account,omitempty"`
	Region  string            `json:"region,omitempty"`
	API     string            `json:"api,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
	File    string            `json:"file,omitempty"`
}

// Evidence kinds. Reports group evidence by kind (findings, appendix), so
// every producer uses these names.
const (
	EvidenceAWSResponse  = "aws-response"  // a raw AWS API response
	EvidenceSnapshot     = "snapshot"      // a configuration as it stood at a moment
	EvidenceExposure     = "exposure"      // an exposure verdict with its reasons
	EvidenceTrailSummary = "trail-summary" // an offline CloudTrail analysis
	EvidenceFile         = "file"          // a file the responder attached
)

// CustodyEvent is one link of an evidence item's chain of custody.
type CustodyEvent struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"` // collected, exported, verified, imported
	Note   string    `json:"note,omitempty"`
}

// Evidence is an artifact kept for the case: a raw AWS response, a
// configuration snapshot, a log summary or an attached file. Its content is
// stored separately under its SHA-256; the item is the metadata.
type Evidence struct {
	ID          string         `json:"id"`
	Title       string         `json:"title"`
	Kind        string         `json:"kind"` // aws-response, snapshot, file, trail-summary, note
	MediaType   string         `json:"mediaType,omitempty"`
	FileName    string         `json:"fileName,omitempty"`
	Size        int64          `json:"size"`
	SHA256      string         `json:"sha256"`
	Source      Source         `json:"source"`
	CollectedAt time.Time      `json:"collectedAt"`
	CollectedBy string         `json:"collectedBy"`
	StepID      string         `json:"step,omitempty"`
	Custody     []CustodyEvent `json:"custody,omitempty"`
}

// EvidenceStore keeps evidence metadata and content. It is separate from
// Store so that small fakes of Store stay small; the bbolt store has both.
type EvidenceStore interface {
	// AddEvidence saves the item and its content in one transaction with
	// the timeline entries that record it.
	AddEvidence(ctx context.Context, incidentID string, ev Evidence, content []byte, entries []Entry) error
	Evidence(ctx context.Context, incidentID string) ([]Evidence, error)
	EvidenceContent(ctx context.Context, sha string) ([]byte, error)
	// AddCustody appends a custody event to an item.
	AddCustody(ctx context.Context, incidentID, evidenceID string, ev CustodyEvent) error
}

// HashHex returns the SHA-256 of data as lowercase hex.
func HashHex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (s *Service) evidenceStore() (EvidenceStore, error) {
	es, ok := s.store.(EvidenceStore)
	if !ok {
		return nil, fmt.Errorf("%w: this store keeps no evidence", ErrInvalid)
	}
	return es, nil
}

// AddEvidence hashes content and records it as evidence of the incident,
// with a custody event and a timeline entry.
func (s *Service) AddEvidence(ctx context.Context, incidentID string, ev Evidence, content []byte) (Evidence, error) {
	es, err := s.evidenceStore()
	if err != nil {
		return Evidence{}, err
	}
	if strings.TrimSpace(ev.Title) == "" {
		return Evidence{}, fmt.Errorf("%w: evidence needs a title", ErrInvalid)
	}
	now := s.now()
	ev.SHA256 = HashHex(content)
	ev.Size = int64(len(content))
	if ev.ID == "" {
		ev.ID = "EV-" + now.Format("20060102T150405") + "-" + ev.SHA256[:8]
	}
	if ev.CollectedAt.IsZero() {
		ev.CollectedAt = now
	}
	if ev.CollectedBy == "" {
		ev.CollectedBy = s.actor
	}
	ev.Custody = append(ev.Custody, CustodyEvent{At: now, Actor: s.actor, Action: "collected", Note: "sha256 " + ev.SHA256})
	if err := checkEvidence(ev); err != nil {
		return Evidence{}, err
	}
	// The item as the store will give it back (text that is not UTF-8
	// becomes U+FFFD), so the caller sees what was sealed.
	var stored Evidence
	if err := json.Unmarshal(canonicalJSON(ev), &stored); err != nil {
		return Evidence{}, fmt.Errorf("evidence %q: %w", ev.Title, err)
	}
	ev = stored
	entry := s.entry(KindEvidence, fmt.Sprintf("Evidence %s collected: %s (%d bytes, sha256 %s)", ev.ID, ev.Title, ev.Size, ev.SHA256), ev.CollectedAt, ev.ID)
	k, v := EvidenceSeal(ev)
	entry.Seals = map[string]string{k: v}
	if err := es.AddEvidence(ctx, incidentID, ev, content, []Entry{entry}); err != nil {
		return Evidence{}, fmt.Errorf("save evidence %q: %w", ev.Title, err)
	}
	return ev, nil
}

// ListEvidence returns the incident's evidence items.
func (s *Service) ListEvidence(ctx context.Context, incidentID string) ([]Evidence, error) {
	es, err := s.evidenceStore()
	if err != nil {
		return nil, err
	}
	return es.Evidence(ctx, incidentID)
}

// EvidenceProblem is an item whose stored content no longer matches its hash.
type EvidenceProblem struct {
	ID     string
	Reason string
}

// VerifyEvidence re-hashes every item's content, checks each item against
// the seal the timeline holds for it (so content swapped together with
// its recorded hash is caught), and records a custody event on each item
// that verifies.
func (s *Service) VerifyEvidence(ctx context.Context, incidentID string) (int, []EvidenceProblem, error) {
	es, err := s.evidenceStore()
	if err != nil {
		return 0, nil, err
	}
	items, err := es.Evidence(ctx, incidentID)
	if err != nil {
		return 0, nil, err
	}
	entries, _, err := s.store.Timeline(ctx, incidentID)
	if err != nil {
		return 0, nil, fmt.Errorf("read timeline of %s: %w", incidentID, err)
	}
	sealed := replaySeals(entries)
	var bad []EvidenceProblem
	for _, ev := range items {
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
		key, digest := EvidenceSeal(ev)
		seal, wasSealed := sealed[key]
		data, err := es.EvidenceContent(ctx, ev.SHA256)
		switch {
		case !wasSealed:
			bad = append(bad, EvidenceProblem{ev.ID, "is not sealed on the timeline (added outside the app)"})
		case seal.digest != digest:
			bad = append(bad, EvidenceProblem{ev.ID, fmt.Sprintf("its record (sha256, size, source) differs from what timeline entry %d sealed: content and hash replaced", seal.seq)})
		case err != nil:
			bad = append(bad, EvidenceProblem{ev.ID, "content missing: " + err.Error()})
		case HashHex(data) != ev.SHA256:
			bad = append(bad, EvidenceProblem{ev.ID, "content does not match its SHA-256"})
		default:
			if err := es.AddCustody(ctx, incidentID, ev.ID, CustodyEvent{At: s.now(), Actor: s.actor, Action: "verified"}); err != nil {
				return 0, nil, err
			}
		}
	}
	return len(items), bad, nil
}
