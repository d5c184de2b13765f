package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"s3responder/app"
	"s3responder/store"
)

// servicePlaybook is a small playbook for driving app.Service against the
// real store; the built-in one lives in assets, which store does not need.
const servicePlaybook = `id: store-test
title: Store test playbook
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

// newService runs the use cases on db with a clock that ticks a minute a call.
func newService(t *testing.T, db *store.DB, actor string) *app.Service {
	t.Helper()
	pb, err := app.ParsePlaybook("builtin", []byte(servicePlaybook))
	require.NoError(t, err)
	svc := app.NewService(db, pb, actor)
	clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	svc.SetClock(func() time.Time { clock = clock.Add(time.Minute); return clock })
	return svc
}

// workedIncident creates an incident with step changes, a note and three
// evidence items, two of them sharing their content.
func workedIncident(t *testing.T, svc *app.Service) (string, []app.Evidence) {
	t.Helper()
	ctx := context.Background()
	c, err := svc.Create(ctx, app.NewIncident{Title: "Bucket öffentlich — Zoë", Severity: app.SeverityP1,
		Buckets: []string{"acme-data"}, Accounts: []string{"111122223333"}, TimeZone: "Europe/Warsaw"})
	require.NoError(t, err)
	id := c.Incident.ID
	_, err = svc.SetStep(ctx, id, "1.1", app.StepDone, "checked")
	require.NoError(t, err)
	_, err = svc.SetStep(ctx, id, "1.2", app.StepSkipped, "owner is on leave")
	require.NoError(t, err)
	_, err = svc.AddNote(ctx, id, "first note", time.Time{}, "1.1")
	require.NoError(t, err)
	var evs []app.Evidence
	for _, x := range []struct{ title, content string }{
		{"Bucket policy", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`},
		{"Trail summary", "3 GetObject calls from 203.0.113.9"},
		{"Bucket policy again", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`},
	} {
		ev, err := svc.AddEvidence(ctx, id, app.Evidence{ID: "EV-" + x.title, Title: x.title, Kind: "snapshot",
			Source: app.Source{Account: "111122223333", API: "GetBucketPolicy", Params: map[string]string{"Bucket": "acme-data"}}},
			[]byte(x.content))
		require.NoError(t, err)
		evs = append(evs, ev)
	}
	return id, evs
}

func TestServiceEvidenceVerifies(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	db := openAt(t, path)
	svc := newService(t, db, "alice")
	id, added := workedIncident(t, svc)

	listed, err := svc.ListEvidence(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, added, listed)
	n, err := svc.Verify(ctx, id)
	require.NoError(t, err)
	entries, err := svc.Timeline(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, len(entries), n)
	assert.Equal(t, app.KindEvidence, entries[len(entries)-1].Kind)

	count, problems, err := svc.VerifyEvidence(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, 3, count)
	assert.Empty(t, problems)
	listed, err = svc.ListEvidence(ctx, id)
	require.NoError(t, err)
	for _, ev := range listed {
		assert.Equal(t, []string{"collected", "verified"}, actions(ev), ev.ID)
	}

	// Flip one byte of the trail summary's content behind the app's back.
	trail := added[1]
	require.NoError(t, db.Close())
	raw(t, path, func(tx *bbolt.Tx) error {
		blobs := tx.Bucket([]byte("blobs"))
		data := append([]byte(nil), blobs.Get([]byte(trail.SHA256))...)
		data[0] ^= 0x01
		return blobs.Put([]byte(trail.SHA256), data)
	})
	db = openAt(t, path)
	svc = newService(t, db, "bob")

	count, problems, err = svc.VerifyEvidence(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, 3, count)
	assert.Equal(t, []app.EvidenceProblem{{ID: trail.ID, Reason: "content does not match its SHA-256"}}, problems)
	listed, err = svc.ListEvidence(ctx, id)
	require.NoError(t, err)
	for _, ev := range listed {
		want := []string{"collected", "verified", "verified"}
		if ev.ID == trail.ID {
			want = want[:2] // a damaged item gets no "verified" event
		}
		assert.Equal(t, want, actions(ev), ev.ID)
	}
	// The damaged item cannot be exported either.
	_, _, err = svc.ExportBundle(ctx, id)
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), trail.ID)
}

func actions(ev app.Evidence) []string {
	var out []string
	for _, c := range ev.Custody {
		out = append(out, c.Action)
	}
	return out
}

func TestExportImportBetweenDatabases(t *testing.T) {
	ctx := context.Background()
	src := openAt(t, dbPath(t))
	svcA := newService(t, src, "alice")
	id, _ := workedIncident(t, svcA)

	b, contents, err := svcA.ExportBundle(ctx, id)
	require.NoError(t, err)
	require.Len(t, b.Evidence, 3)
	require.Len(t, contents, 2, "two items share their content")
	// Through JSON, as the bundle file carries it.
	data, err := json.Marshal(b)
	require.NoError(t, err)
	var travelled app.Bundle
	require.NoError(t, json.Unmarshal(data, &travelled))

	dstPath := dbPath(t)
	dst := openAt(t, dstPath)
	svcB := newService(t, dst, "bob")
	require.NoError(t, svcB.ImportBundle(ctx, travelled, contents, nil))
	// Reopen so the comparison reads the file.
	require.NoError(t, dst.Close())
	dst = openAt(t, dstPath)
	svcB = newService(t, dst, "bob")

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
	count, problems, err := svcB.VerifyEvidence(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, 3, count)
	assert.Empty(t, problems)

	// The imported incident carries on: a new note chains onto the old head.
	_, err = svcB.AddNote(ctx, id, "picked up on the second machine", time.Time{})
	require.NoError(t, err)
	entries, head, err := dst.Timeline(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, wantHead.Hash, entries[len(entries)-1].PrevHash)
	require.NoError(t, app.VerifyChain(entries, head))

	// A second import of the same incident is refused, by the service and
	// by the store itself, and changes nothing.
	before := take(t, dst, id)
	err = svcB.ImportBundle(ctx, travelled, contents, nil)
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "incident "+id+" already exists in this database")
	err = dst.Import(ctx, travelled, contents)
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "incident "+id+" already exists in this database")
	assert.Equal(t, before, take(t, dst, id))
}

func TestImportRefusesIncoherentBundles(t *testing.T) {
	ctx := context.Background()
	src := openAt(t, dbPath(t))
	id, _ := workedIncident(t, newService(t, src, "alice"))

	tests := []struct {
		name   string
		tamper func(b *app.Bundle, contents map[string][]byte)
		want   string
	}{
		{"missing content", func(b *app.Bundle, contents map[string][]byte) { delete(contents, b.Evidence[1].SHA256) },
			"no content for evidence " + "EV-Trail summary"},
		{"content under another hash", func(b *app.Bundle, contents map[string][]byte) {
			contents[b.Evidence[1].SHA256] = []byte("something else")
		}, "hashes to"},
		{"duplicate evidence id", func(b *app.Bundle, _ map[string][]byte) { b.Evidence[2].ID = b.Evidence[0].ID },
			"evidence ids must be present and unique"},
		{"entry out of sequence", func(b *app.Bundle, _ map[string][]byte) { b.Timeline[2].Seq = 2 },
			"timeline entry 3 carries sequence number 2"},
		{"head does not count the entries", func(b *app.Bundle, _ map[string][]byte) { b.Head.Seq++ },
			"the head is at entry"},
		{"no incident id", func(b *app.Bundle, _ map[string][]byte) { b.Case.Incident.ID = "" }, "the incident has no id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, contents, err := newService(t, src, "alice").ExportBundle(ctx, id)
			require.NoError(t, err)
			tt.tamper(&b, contents)
			dst := openAt(t, dbPath(t))
			err = dst.Import(ctx, b, contents)
			require.ErrorIs(t, err, app.ErrInvalid)
			assert.Contains(t, err.Error(), tt.want)
			list, err := dst.List(ctx)
			require.NoError(t, err)
			assert.Empty(t, list)
			_, err = dst.EvidenceContent(ctx, b.Evidence[0].SHA256)
			require.ErrorIs(t, err, app.ErrNotFound)
		})
	}
}

func TestImportWithoutEvidence(t *testing.T) {
	ctx := context.Background()
	src := openAt(t, dbPath(t))
	svcA := newService(t, src, "alice")
	c, err := svcA.Create(ctx, app.NewIncident{Title: "quiet one"})
	require.NoError(t, err)
	b, contents, err := svcA.ExportBundle(ctx, c.Incident.ID)
	require.NoError(t, err)

	dst := openAt(t, dbPath(t))
	svcB := newService(t, dst, "bob")
	require.NoError(t, svcB.ImportBundle(ctx, b, contents, nil))
	got, err := svcB.ListEvidence(ctx, c.Incident.ID)
	require.NoError(t, err)
	assert.Empty(t, got)
	_, err = svcB.AddEvidence(ctx, c.Incident.ID, app.Evidence{ID: "EV-late", Title: "late"}, []byte("late"))
	require.NoError(t, err, "an imported incident takes new evidence")
	_, err = svcB.Verify(ctx, c.Incident.ID)
	require.NoError(t, err)
}
