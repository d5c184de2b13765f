package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"s3responder/app"
	"s3responder/store"
)

// item returns an evidence item whose content is its title, as the tests
// store it: AddEvidence(ctx, id, ev, []byte(ev.Title), ...).
func item(id, title string, at time.Time) app.Evidence {
	sha := app.HashHex([]byte(title))
	return app.Evidence{
		ID: id, Title: title, Kind: "aws-response", MediaType: "application/json", Size: int64(len(title)), SHA256: sha,
		Source:      app.Source{Account: "111122223333", Region: "eu-west-1", API: "GetBucketPolicy", Params: map[string]string{"Bucket": "acme-logs"}},
		CollectedAt: at, CollectedBy: "alice", StepID: "p1.s2",
		Custody: []app.CustodyEvent{{At: at, Actor: "alice", Action: "collected", Note: "sha256 " + sha}},
	}
}

// snapshot is everything an evidence write may touch, read back for
// before/after comparisons.
type snapshot struct {
	c        app.Case
	entries  []app.Entry
	head     app.Head
	evidence []app.Evidence
}

func take(t *testing.T, db *store.DB, id string) snapshot {
	t.Helper()
	ctx := context.Background()
	c, err := db.Load(ctx, id)
	require.NoError(t, err)
	entries, head, err := db.Timeline(ctx, id)
	require.NoError(t, err)
	evs, err := db.Evidence(ctx, id)
	require.NoError(t, err)
	return snapshot{c, entries, head, evs}
}

func TestEvidenceRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	db := openAt(t, path)
	const id = "INC-20260101-AAAAAA"
	c := sampleCase(id)
	require.NoError(t, db.Create(ctx, c, []app.Entry{entryAt(0, "opened")}))

	// Added out of order: the list comes back by collection time, then id.
	late := item("EV-3", "trail summary: 3 GetObject from 203.0.113.9", t0.Add(2*time.Hour))
	early := item("EV-2", `{"Statement":[{"Effect":"Allow","Principal":"*"}]}`, t0.Add(time.Hour))
	twin := item("EV-1", "public access block: all false", t0.Add(time.Hour))
	empty := item("EV-0", "", t0.Add(3*time.Hour))
	for i, ev := range []app.Evidence{late, early, twin, empty} {
		e := entryAt(10+i, "Evidence "+ev.ID+" collected")
		e.Kind = app.KindEvidence
		e.Refs = []string{ev.ID}
		require.NoError(t, db.AddEvidence(ctx, id, ev, []byte(ev.Title), []app.Entry{e}))
	}
	require.NoError(t, db.AddCustody(ctx, id, "EV-2", app.CustodyEvent{At: t0.Add(5 * time.Hour), Actor: "bob", Action: "verified"}))

	// Reopen so everything below is read from the file.
	require.NoError(t, db.Close())
	db = openAt(t, path)

	got, err := db.Evidence(ctx, id)
	require.NoError(t, err)
	early.Custody = append(early.Custody, app.CustodyEvent{At: t0.Add(5 * time.Hour), Actor: "bob", Action: "verified"})
	assert.Equal(t, []app.Evidence{twin, early, late, empty}, got)

	for _, ev := range got {
		data, err := db.EvidenceContent(ctx, ev.SHA256)
		require.NoError(t, err, ev.ID)
		assert.Equal(t, []byte(ev.Title), data, ev.ID)
		assert.NotNil(t, data, "empty content is present, not missing")
	}
	// The returned content is a copy: changing it changes nothing stored.
	data, err := db.EvidenceContent(ctx, late.SHA256)
	require.NoError(t, err)
	data[0] ^= 0xff
	again, err := db.EvidenceContent(ctx, late.SHA256)
	require.NoError(t, err)
	assert.Equal(t, []byte(late.Title), again)

	s := take(t, db, id)
	require.Len(t, s.entries, 5)
	assert.Equal(t, "Evidence EV-0 collected", s.entries[4].Text)
	assert.Equal(t, []string{"EV-0"}, s.entries[4].Refs)
	require.NoError(t, app.VerifyChain(s.entries, s.head))
	assert.Equal(t, s.entries[4].RecordedAt, s.c.Incident.UpdatedAt, "the incident is bumped to the last entry")
	assert.Equal(t, c.Steps, s.c.Steps, "steps are left alone")
	want := c.Incident
	want.UpdatedAt = s.c.Incident.UpdatedAt
	assert.Equal(t, want, s.c.Incident, "only UpdatedAt changes")
}

func TestEvidenceContentIsSharedBetweenIncidents(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	db := openAt(t, path)
	a, b := "INC-20260101-AAAAAA", "INC-20260101-BBBBBB"
	for _, id := range []string{a, b} {
		require.NoError(t, db.Create(ctx, sampleCase(id), nil))
	}
	ev := item("EV-1", "same bucket policy", t0)
	require.NoError(t, db.AddEvidence(ctx, a, ev, []byte(ev.Title), nil))
	require.NoError(t, db.AddEvidence(ctx, b, ev, []byte(ev.Title), nil), "ids are per incident")
	for _, id := range []string{a, b} {
		got, err := db.Evidence(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, []app.Evidence{ev}, got)
	}
	inc, err := db.Load(ctx, a)
	require.NoError(t, err)
	assert.Equal(t, t0, inc.Incident.UpdatedAt, "no entries, no bump")
	require.NoError(t, db.Close())

	raw(t, path, func(tx *bbolt.Tx) error {
		assert.Equal(t, 1, tx.Bucket([]byte("blobs")).Stats().KeyN, "content is kept once")
		assert.Equal(t, []byte(ev.Title), tx.Bucket([]byte("blobs")).Get([]byte(ev.SHA256)))
		return nil
	})
}

func TestAddEvidenceRefusesAndWritesNothing(t *testing.T) {
	const id = "INC-20260101-AAAAAA"
	ok := item("EV-1", "first", t0)
	fresh := item("EV-2", "second", t0)
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		inc     string
		ev      app.Evidence
		content []byte
		want    error
		msg     string
	}{
		{name: "missing incident", inc: "INC-20260101-NOPE00", ev: fresh, content: []byte("second"),
			want: app.ErrNotFound, msg: "incident INC-20260101-NOPE00 not found"},
		{name: "duplicate id", inc: id, ev: item("EV-1", "second", t0), content: []byte("second"),
			want: app.ErrInvalid, msg: "evidence EV-1 already exists"},
		{name: "content does not match the hash", inc: id, ev: fresh, content: []byte("secont"),
			want: app.ErrInvalid, msg: "the content hashes to"},
		{name: "size does not match", inc: id, ev: func() app.Evidence { e := fresh; e.Size = 99; return e }(), content: []byte("second"),
			want: app.ErrInvalid, msg: "the content is 6 bytes, the item says 99"},
		{name: "no id", inc: id, ev: func() app.Evidence { e := fresh; e.ID = ""; return e }(), content: []byte("second"),
			want: app.ErrInvalid, msg: "no id"},
		{
			// The evidence is written before the entries; a failure while
			// appending them must take the evidence back out with it.
			name: "timeline append fails after the evidence is written",
			prepare: func(t *testing.T, path string) {
				raw(t, path, func(tx *bbolt.Tx) error {
					return tx.Bucket([]byte("timeline")).Bucket([]byte(id)).Put([]byte{0, 0, 0, 0, 0, 0, 0, 3}, []byte(`{}`))
				})
			},
			inc: id, ev: fresh, content: []byte("second"), msg: "already has timeline entry 3 beyond its head",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := dbPath(t)
			db := openAt(t, path)
			require.NoError(t, db.Create(ctx, sampleCase(id), []app.Entry{entryAt(0, "opened")}))
			require.NoError(t, db.AddEvidence(ctx, id, ok, []byte("first"), []app.Entry{entryAt(1, "EV-1")}))
			if tt.prepare != nil {
				require.NoError(t, db.Close())
				tt.prepare(t, path)
				db = openAt(t, path)
			}
			before := take(t, db, id)

			err := db.AddEvidence(ctx, tt.inc, tt.ev, tt.content, []app.Entry{entryAt(2, "should not be kept")})
			require.Error(t, err)
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
			}
			assert.Contains(t, err.Error(), tt.msg)
			assert.Contains(t, err.Error(), tt.inc)

			assert.Equal(t, before, take(t, db, id))
			_, err = db.EvidenceContent(ctx, fresh.SHA256)
			require.ErrorIs(t, err, app.ErrNotFound, "no content is left behind")
		})
	}
}

func TestEvidenceNotFound(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, dbPath(t))
	const id = "INC-20260101-AAAAAA"
	require.NoError(t, db.Create(ctx, sampleCase(id), nil))
	ev := item("EV-1", "policy", t0)
	require.NoError(t, db.AddEvidence(ctx, id, ev, []byte(ev.Title), nil))
	custody := app.CustodyEvent{At: t0, Actor: "bob", Action: "verified"}
	tests := []struct {
		name string
		call func() error
		msg  string
	}{
		{"list of a missing incident", func() error { _, err := db.Evidence(ctx, "INC-X"); return err }, "incident INC-X not found"},
		{"content never stored", func() error { _, err := db.EvidenceContent(ctx, app.HashHex([]byte("other"))); return err }, "evidence content"},
		{"custody of a missing item", func() error { return db.AddCustody(ctx, id, "EV-9", custody) }, "evidence EV-9 of incident " + id + " not found"},
		{"custody in a missing incident", func() error { return db.AddCustody(ctx, "INC-X", "EV-1", custody) }, "incident INC-X not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			require.ErrorIs(t, err, app.ErrNotFound)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
	got, err := db.Evidence(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, []app.Evidence{ev}, got, "failed custody writes changed nothing")

	require.NoError(t, db.Create(ctx, sampleCase("INC-20260101-BBBBBB"), nil))
	got, err = db.Evidence(ctx, "INC-20260101-BBBBBB")
	require.NoError(t, err)
	assert.NotNil(t, got)
	assert.Empty(t, got)
}

func TestEvidenceCanceledContext(t *testing.T) {
	db := openAt(t, dbPath(t))
	const id = "INC-20260101-AAAAAA"
	require.NoError(t, db.Create(context.Background(), sampleCase(id), nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ev := item("EV-1", "policy", t0)
	tests := map[string]func() error{
		"add":     func() error { return db.AddEvidence(ctx, id, ev, []byte(ev.Title), nil) },
		"list":    func() error { _, err := db.Evidence(ctx, id); return err },
		"content": func() error { _, err := db.EvidenceContent(ctx, ev.SHA256); return err },
		"custody": func() error { return db.AddCustody(ctx, id, ev.ID, app.CustodyEvent{}) },
		"import":  func() error { return db.Import(ctx, app.Bundle{Case: sampleCase("INC-20260101-BBBBBB")}, nil) },
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, call(), context.Canceled)
		})
	}
	got, err := db.Evidence(context.Background(), id)
	require.NoError(t, err)
	assert.Empty(t, got)
	list, err := db.List(context.Background())
	require.NoError(t, err)
	assert.Len(t, list, 1)
}
