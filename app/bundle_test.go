package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bundleFakeStore keeps everything in memory, round-tripping records
// through JSON as a real store does, so nil-versus-empty differences show.
type bundleFakeStore struct {
	mu        sync.Mutex
	cases     map[string][]byte
	timelines map[string][]Entry
	heads     map[string]Head
	evidence  map[string][]Evidence
	contents  map[string][]byte
	playbooks map[string][]byte
	imports   int
}

var (
	_ Store         = (*bundleFakeStore)(nil)
	_ EvidenceStore = (*bundleFakeStore)(nil)
	_ Importer      = (*bundleFakeStore)(nil)
)

func newBundleFakeStore() *bundleFakeStore {
	return &bundleFakeStore{cases: map[string][]byte{}, timelines: map[string][]Entry{}, heads: map[string]Head{},
		evidence: map[string][]Evidence{}, contents: map[string][]byte{}, playbooks: map[string][]byte{}}
}

func roundTrip[T any](t T) T {
	b, err := json.Marshal(t)
	if err != nil {
		panic(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func (f *bundleFakeStore) appendLocked(id string, entries []Entry) {
	h := f.heads[id]
	for _, e := range entries {
		e.Seal(h.Seq+1, orGenesis(h.Hash))
		h = Head{Seq: e.Seq, Hash: e.Hash}
		f.timelines[id] = append(f.timelines[id], roundTrip(e))
	}
	f.heads[id] = h
}

func orGenesis(h string) string {
	if h == "" {
		return GenesisHash
	}
	return h
}

func (f *bundleFakeStore) Create(_ context.Context, c Case, entries []Entry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.cases[c.Incident.ID]; ok {
		return fmt.Errorf("%w: exists", ErrInvalid)
	}
	b, _ := json.Marshal(c)
	f.cases[c.Incident.ID] = b
	f.appendLocked(c.Incident.ID, entries)
	return nil
}

func (f *bundleFakeStore) Load(_ context.Context, id string) (Case, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.cases[id]
	if !ok {
		return Case{}, fmt.Errorf("incident %s %w", id, ErrNotFound)
	}
	var c Case
	return c, json.Unmarshal(b, &c)
}

func (f *bundleFakeStore) List(context.Context) ([]Incident, error) { return nil, nil }

func (f *bundleFakeStore) Update(ctx context.Context, id string, fn func(c *Case) ([]Entry, error)) (Case, error) {
	c, err := f.Load(ctx, id)
	if err != nil {
		return Case{}, err
	}
	entries, err := fn(&c)
	if err != nil {
		return Case{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := json.Marshal(c)
	f.cases[id] = b
	f.appendLocked(id, entries)
	return roundTrip(c), nil
}

func (f *bundleFakeStore) Timeline(_ context.Context, id string) ([]Entry, Head, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Entry(nil), f.timelines[id]...), f.heads[id], nil
}

func (f *bundleFakeStore) SavePlaybook(_ context.Context, sha string, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.playbooks[sha] = data
	return nil
}

func (f *bundleFakeStore) Playbooks(context.Context) (map[string][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]byte{}
	for k, v := range f.playbooks {
		out[k] = v
	}
	return out, nil
}

func (f *bundleFakeStore) AddEvidence(_ context.Context, id string, ev Evidence, content []byte, entries []Entry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.evidence[id] = append(f.evidence[id], roundTrip(ev))
	f.contents[ev.SHA256] = append([]byte(nil), content...)
	f.appendLocked(id, entries)
	return nil
}

func (f *bundleFakeStore) Evidence(_ context.Context, id string) ([]Evidence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return roundTrip(f.evidence[id]), nil
}

func (f *bundleFakeStore) EvidenceContent(_ context.Context, sha string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.contents[sha]
	if !ok {
		return nil, fmt.Errorf("content %s %w", sha, ErrNotFound)
	}
	return append([]byte(nil), b...), nil
}

func (f *bundleFakeStore) AddCustody(_ context.Context, id, evID string, ev CustodyEvent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.evidence[id] {
		if f.evidence[id][i].ID == evID {
			f.evidence[id][i].Custody = append(f.evidence[id][i].Custody, roundTrip(ev))
			return nil
		}
	}
	return fmt.Errorf("evidence %s %w", evID, ErrNotFound)
}

func (f *bundleFakeStore) Import(_ context.Context, b Bundle, contents map[string][]byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := b.Case.Incident.ID
	if _, ok := f.cases[id]; ok {
		return fmt.Errorf("%w: exists", ErrInvalid)
	}
	f.imports++
	c, _ := json.Marshal(b.Case)
	f.cases[id] = c
	f.timelines[id] = roundTrip(b.Timeline)
	f.heads[id] = b.Head
	f.evidence[id] = roundTrip(b.Evidence)
	for sha, data := range contents {
		f.contents[sha] = append([]byte(nil), data...)
	}
	return nil
}

const bundleTestPlaybook = `id: bundle-test
title: Bundle test playbook
version: "1"
parts:
  - id: "1"
    title: Triage
    steps:
      - id: "1.1"
        title: Look at the bucket
      - id: "1.2"
        title: Tell the owner
  - id: "2"
    title: Containment
    steps:
      - id: "2.1"
        title: Remove the access
`

func bundleTestService(t *testing.T, st *bundleFakeStore, actor string) *Service {
	t.Helper()
	pb, err := ParsePlaybook("builtin", []byte(bundleTestPlaybook))
	require.NoError(t, err)
	svc := NewService(st, pb, actor)
	clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	svc.SetClock(func() time.Time { clock = clock.Add(time.Minute); return clock })
	return svc
}

// richIncident creates an incident with steps, notes, review data and two
// evidence items sharing nothing.
func richIncident(t *testing.T, svc *Service) string {
	t.Helper()
	ctx := context.Background()
	c, err := svc.Create(ctx, NewIncident{Title: "Bucket öffentlich — Zoë Łódź", Severity: SeverityP1, Buckets: []string{"acme-data"},
		Accounts: []string{"111122223333"}, TimeZone: "Europe/Warsaw", Exercise: true})
	require.NoError(t, err)
	id := c.Incident.ID
	_, err = svc.SetStep(ctx, id, "1.1", StepDone, "checked")
	require.NoError(t, err)
	_, err = svc.SetStep(ctx, id, "1.2", StepSkipped, "owner is on leave")
	require.NoError(t, err)
	_, err = svc.AddNote(ctx, id, "first note", time.Time{}, "1.1")
	require.NoError(t, err)
	_, err = svc.SaveActionItem(ctx, id, ActionItem{Description: "Turn on Block Public Access", Owner: "Zoë"})
	require.NoError(t, err)
	_, err = svc.AddEvidence(ctx, id, Evidence{Title: "Bucket policy", Kind: "snapshot"}, []byte(`{"Statement":[]}`))
	require.NoError(t, err)
	_, err = svc.AddEvidence(ctx, id, Evidence{Title: "Trail summary", Kind: "trail-summary"}, []byte("3 GetObject calls from 203.0.113.9"))
	require.NoError(t, err)
	return id
}

func TestBundleRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := newBundleFakeStore()
	svcA := bundleTestService(t, src, "alice")
	id := richIncident(t, svcA)

	b, contents, err := svcA.ExportBundle(ctx, id)
	require.NoError(t, err)
	require.Len(t, b.Evidence, 2)
	require.Len(t, contents, 2)
	assert.Empty(t, b.Playbook, "the built-in playbook is not carried")

	// Through JSON, as the zip carries it.
	b = roundTrip(b)

	dst := newBundleFakeStore()
	svcB := bundleTestService(t, dst, "bob")
	require.NoError(t, svcB.ImportBundle(ctx, b, contents, nil))

	wantCase, err := svcA.Load(ctx, id)
	require.NoError(t, err)
	gotCase, err := svcB.Load(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, wantCase, gotCase)

	wantTL, wantHead, err := src.Timeline(ctx, id)
	require.NoError(t, err)
	gotTL, gotHead, err := dst.Timeline(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, wantTL, gotTL)
	assert.Equal(t, wantHead, gotHead)
	n, err := svcB.Verify(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, len(wantTL), n)

	wantEv, err := svcA.ListEvidence(ctx, id)
	require.NoError(t, err)
	gotEv, err := svcB.ListEvidence(ctx, id)
	require.NoError(t, err)
	require.Len(t, gotEv, len(wantEv))
	for i := range gotEv {
		last := gotEv[i].Custody[len(gotEv[i].Custody)-1]
		assert.Equal(t, "imported", last.Action)
		assert.Equal(t, "bob", last.Actor)
		gotEv[i].Custody = gotEv[i].Custody[:len(gotEv[i].Custody)-1]
	}
	assert.Equal(t, wantEv, gotEv, "evidence is the same apart from the import custody event")
	for _, ev := range gotEv {
		data, err := dst.EvidenceContent(ctx, ev.SHA256)
		require.NoError(t, err)
		assert.Equal(t, ev.SHA256, HashHex(data))
	}

	// A second import of the same incident is refused.
	err = svcB.ImportBundle(ctx, b, contents, nil)
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "already exists")
	assert.Equal(t, 1, dst.imports)
}

func TestImportBundleRefusesBeforeWriting(t *testing.T) {
	ctx := context.Background()
	src := newBundleFakeStore()
	svcA := bundleTestService(t, src, "alice")
	id := richIncident(t, svcA)

	tests := []struct {
		name   string
		tamper func(b *Bundle, contents map[string][]byte)
		want   string
	}{
		{"edited entry", func(b *Bundle, _ map[string][]byte) { b.Timeline[2].Text = "rewritten" }, "entry 3"},
		{"dropped last entry", func(b *Bundle, _ map[string][]byte) { b.Timeline = b.Timeline[:len(b.Timeline)-1] }, "entries removed from the end"},
		{"changed evidence content", func(b *Bundle, contents map[string][]byte) {
			sha := b.Evidence[0].SHA256
			contents[sha] = append([]byte("x"), contents[sha]...)
		}, "content of evidence"},
		{"missing evidence content", func(b *Bundle, contents map[string][]byte) { delete(contents, b.Evidence[1].SHA256) }, "is missing"},
		{"unknown format", func(b *Bundle, _ map[string][]byte) { b.Format = "something/9" }, "bundle format"},
		{"wrong playbook text", func(b *Bundle, _ map[string][]byte) {
			b.Playbook = bundleTestPlaybook + "description: altered\n"
		}, "playbook has sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, contents, err := svcA.ExportBundle(ctx, id)
			require.NoError(t, err)
			b = roundTrip(b)
			tt.tamper(&b, contents)
			dst := newBundleFakeStore()
			err = bundleTestService(t, dst, "bob").ImportBundle(ctx, b, contents, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Zero(t, dst.imports)
			assert.Empty(t, dst.cases)
			assert.Empty(t, dst.playbooks)
		})
	}
}

func TestExportRefusesBrokenChain(t *testing.T) {
	ctx := context.Background()
	st := newBundleFakeStore()
	svc := bundleTestService(t, st, "alice")
	id := richIncident(t, svc)
	st.timelines[id][1].Text = "edited behind the app's back"
	_, _, err := svc.ExportBundle(ctx, id)
	require.ErrorIs(t, err, ErrChainBroken)
}

func TestCustomPlaybookTravelsWithTheBundle(t *testing.T) {
	ctx := context.Background()
	src := newBundleFakeStore()
	svcA := bundleTestService(t, src, "alice")
	custom := bundleTestPlaybook + "description: a custom copy\n"
	pb, err := svcA.ImportPlaybook(ctx, "custom.yaml", []byte(custom))
	require.NoError(t, err)
	c, err := svcA.Create(ctx, NewIncident{Title: "custom", Playbook: pb.SHA256})
	require.NoError(t, err)

	b, contents, err := svcA.ExportBundle(ctx, c.Incident.ID)
	require.NoError(t, err)
	assert.Equal(t, custom, b.Playbook)

	dst := newBundleFakeStore()
	svcB := bundleTestService(t, dst, "bob")
	require.NoError(t, svcB.ImportBundle(ctx, roundTrip(b), contents, nil))
	got, err := svcB.PlaybookFor(c.Incident)
	require.NoError(t, err)
	assert.Equal(t, pb.SHA256, got.SHA256)
	assert.Equal(t, []byte(custom), dst.playbooks[pb.SHA256])
}

func TestRecordExport(t *testing.T) {
	ctx := context.Background()
	st := newBundleFakeStore()
	svc := bundleTestService(t, st, "alice")
	id := richIncident(t, svc)
	require.NoError(t, svc.RecordExport(ctx, id, "bundle x.zip sha256 abc"))
	evs, err := svc.ListEvidence(ctx, id)
	require.NoError(t, err)
	for _, ev := range evs {
		last := ev.Custody[len(ev.Custody)-1]
		assert.Equal(t, "exported", last.Action)
		assert.Equal(t, "bundle x.zip sha256 abc", last.Note)
	}
}
