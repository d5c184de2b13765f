package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"s3responder/app"
)

// memStore is an in-memory app.Store for UI tests: cases are kept as JSON
// so no caller can alias another's maps, and timelines are sealed like the
// real store seals them.
type memStore struct {
	mu        sync.Mutex
	cases     map[string][]byte
	timelines map[string][]app.Entry
	heads     map[string]app.Head
	playbooks map[string][]byte
	evidence  map[string][]app.Evidence
	blobs     map[string][]byte

	// failUpdate, when set, makes every Update fail with it.
	failUpdate error
	// failEvidence, when set, makes AddEvidence fail with it.
	failEvidence error
	// block, when set, makes Load wait until its context is cancelled.
	block bool
	// cancelled counts calls that gave up because their context ended.
	cancelled int
}

var (
	_ app.Store         = (*memStore)(nil)
	_ app.EvidenceStore = (*memStore)(nil)
)

func newMemStore() *memStore {
	return &memStore{
		cases:     map[string][]byte{},
		timelines: map[string][]app.Entry{},
		heads:     map[string]app.Head{},
		playbooks: map[string][]byte{},
		evidence:  map[string][]app.Evidence{},
		blobs:     map[string][]byte{},
	}
}

func (m *memStore) append(id string, entries []app.Entry) {
	h := m.heads[id]
	prev := h.Hash
	if prev == "" {
		prev = app.GenesisHash
	}
	for _, e := range entries {
		h.Seq++
		e.Seal(h.Seq, prev)
		prev = e.Hash
		h.Hash = e.Hash
		m.timelines[id] = append(m.timelines[id], e)
	}
	m.heads[id] = h
}

func (m *memStore) Create(ctx context.Context, c app.Case, entries []app.Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := c.Incident.ID
	if _, ok := m.cases[id]; ok {
		return fmt.Errorf("create %s: %w: already exists", id, app.ErrInvalid)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	m.cases[id] = b
	m.append(id, entries)
	return nil
}

func (m *memStore) Load(ctx context.Context, id string) (app.Case, error) {
	m.mu.Lock()
	block := m.block
	m.mu.Unlock()
	if block {
		<-ctx.Done()
		m.mu.Lock()
		m.cancelled++
		m.mu.Unlock()
		return app.Case{}, ctx.Err()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.load(id)
}

func (m *memStore) load(id string) (app.Case, error) {
	b, ok := m.cases[id]
	if !ok {
		return app.Case{}, fmt.Errorf("incident %s: %w", id, app.ErrNotFound)
	}
	var c app.Case
	err := json.Unmarshal(b, &c)
	return c, err
}

func (m *memStore) List(ctx context.Context) ([]app.Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []app.Incident
	for id := range m.cases {
		c, err := m.load(id)
		if err != nil {
			return nil, err
		}
		out = append(out, c.Incident)
	}
	return out, nil
}

func (m *memStore) Update(ctx context.Context, id string, fn func(c *app.Case) ([]app.Entry, error)) (app.Case, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failUpdate != nil {
		return app.Case{}, m.failUpdate
	}
	c, err := m.load(id)
	if err != nil {
		return app.Case{}, err
	}
	entries, err := fn(&c)
	if err != nil {
		return app.Case{}, err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return app.Case{}, err
	}
	m.cases[id] = b
	m.append(id, entries)
	return m.load(id)
}

func (m *memStore) Timeline(ctx context.Context, id string) ([]app.Entry, app.Head, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.cases[id]; !ok {
		return nil, app.Head{}, fmt.Errorf("incident %s: %w", id, app.ErrNotFound)
	}
	return append([]app.Entry(nil), m.timelines[id]...), m.heads[id], nil
}

func (m *memStore) SavePlaybook(ctx context.Context, sha string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.playbooks[sha] = append([]byte(nil), data...)
	return nil
}

func (m *memStore) Playbooks(ctx context.Context) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]byte{}
	for k, v := range m.playbooks {
		out[k] = v
	}
	return out, nil
}

// tamper edits the text of one stored timeline entry behind the chain's back.
func (m *memStore) tamper(id string, seq int, text string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.timelines[id][seq-1].Text = text
}

func (m *memStore) setFailUpdate(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failUpdate = err
}

func (m *memStore) AddEvidence(ctx context.Context, id string, ev app.Evidence, content []byte, entries []app.Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failEvidence != nil {
		return m.failEvidence
	}
	if _, ok := m.cases[id]; !ok {
		return fmt.Errorf("incident %s: %w", id, app.ErrNotFound)
	}
	m.evidence[id] = append(m.evidence[id], ev)
	m.blobs[ev.SHA256] = append([]byte(nil), content...)
	m.append(id, entries)
	return nil
}

func (m *memStore) Evidence(ctx context.Context, id string) ([]app.Evidence, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.cases[id]; !ok {
		return nil, fmt.Errorf("incident %s: %w", id, app.ErrNotFound)
	}
	// A JSON round trip, so callers never share custody slices.
	b, err := json.Marshal(m.evidence[id])
	if err != nil {
		return nil, err
	}
	out := []app.Evidence{}
	return out, json.Unmarshal(b, &out)
}

func (m *memStore) EvidenceContent(ctx context.Context, sha string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[sha]
	if !ok {
		return nil, fmt.Errorf("content %s: %w", sha, app.ErrNotFound)
	}
	return append([]byte{}, b...), nil
}

func (m *memStore) AddCustody(ctx context.Context, id, evidenceID string, ce app.CustodyEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, ev := range m.evidence[id] {
		if ev.ID == evidenceID {
			m.evidence[id][i].Custody = append(m.evidence[id][i].Custody, ce)
			return nil
		}
	}
	return fmt.Errorf("evidence %s: %w", evidenceID, app.ErrNotFound)
}

// tamperBlob changes stored evidence content behind its hash's back.
func (m *memStore) tamperBlob(sha string, content []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blobs[sha] = content
}

func (m *memStore) setFailEvidence(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failEvidence = err
}
