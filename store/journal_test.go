package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"s3responder/app"
)

func planRecord(change string) app.JournalRecord {
	return app.JournalRecord{Change: change, Kind: app.JournalPlanned, Actor: "alice", At: t0,
		Plan: &app.Plan{ID: change, Action: "iam.deactivate-access-key", Title: "Deactivate key", Steps: []app.ChangeStep{{N: 1, Call: "UpdateAccessKey"}}}}
}

func TestJournalAppendAndRead(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	db := openAt(t, path)
	c := sampleCase("INC-20260101-AAAAAA")
	require.NoError(t, db.Create(ctx, c, []app.Entry{entryAt(0, "opened")}))

	empty, err := db.Journal(ctx, c.Incident.ID)
	require.NoError(t, err)
	assert.Empty(t, empty)

	// Two changes interleaved, as a resume of one during another would.
	a, b := "CHG-20260101T080000-AAAA", "CHG-20260101T080500-BBBB"
	var recs []app.JournalRecord
	add := func(rec app.JournalRecord, entries ...app.Entry) app.JournalRecord {
		t.Helper()
		got, err := db.AppendJournal(ctx, c.Incident.ID, rec, entries)
		require.NoError(t, err)
		recs = append(recs, got)
		return got
	}
	assert.Equal(t, uint64(1), add(planRecord(b), entryAt(1, "planned b")).Seq)
	assert.Equal(t, uint64(1), add(planRecord(a)).Seq)
	assert.Equal(t, uint64(2), add(app.JournalRecord{Change: b, Kind: app.JournalConfirmed, Evidence: "EV-1", Actor: "alice", At: t0}).Seq)
	assert.Equal(t, uint64(3), add(app.JournalRecord{Change: b, Kind: app.JournalIntent, Step: 1, State: json.RawMessage(`"Active"`), Actor: "alice", At: t0}).Seq)
	assert.Equal(t, uint64(4), add(app.JournalRecord{Change: b, Kind: app.JournalResult, Step: 1, Outcome: app.OutcomeApplied, Actor: "alice", At: t0},
		entryAt(2, "applied b step 1")).Seq)
	assert.Equal(t, uint64(2), add(app.JournalRecord{Change: a, Kind: app.JournalConfirmed, Actor: "alice", At: t0}).Seq)

	// Each record was committed on its own: a fresh open sees them all,
	// ordered by change, then number.
	require.NoError(t, db.Close())
	db = openAt(t, path)
	got, err := db.Journal(ctx, c.Incident.ID)
	require.NoError(t, err)
	require.Len(t, got, 6)
	var keys []string
	for _, r := range got {
		keys = append(keys, r.Change[len(r.Change)-4:]+" "+string(r.Kind))
	}
	assert.Equal(t, []string{"AAAA planned", "AAAA confirmed", "BBBB planned", "BBBB confirmed", "BBBB intent", "BBBB result"}, keys)
	assert.Equal(t, recs[3], got[4], "an intent reads back exactly")
	assert.JSONEq(t, `"Active"`, string(got[4].State))
	require.NotNil(t, got[2].Plan)
	assert.Equal(t, "UpdateAccessKey", got[2].Plan.Steps[0].Call)

	// The timeline entries went in with their records and chain on.
	entries, head, err := db.Timeline(ctx, c.Incident.ID)
	require.NoError(t, err)
	require.NoError(t, app.VerifyChain(entries, head))
	require.Len(t, entries, 3)
	assert.Equal(t, "applied b step 1", entries[2].Text)
	inc, err := db.Load(ctx, c.Incident.ID)
	require.NoError(t, err)
	assert.Equal(t, entries[2].RecordedAt, inc.Incident.UpdatedAt)
}

func TestJournalRefusesAndWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, dbPath(t))
	c := sampleCase("INC-20260101-AAAAAA")
	require.NoError(t, db.Create(ctx, c, []app.Entry{entryAt(0, "opened")}))
	const chg = "CHG-20260101T080000-AAAA"
	_, err := db.AppendJournal(ctx, c.Incident.ID, planRecord(chg), nil)
	require.NoError(t, err)
	before := take(t, db, c.Incident.ID)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()

	for _, tc := range []struct {
		name   string
		ctx    context.Context
		inc    string
		rec    app.JournalRecord
		target error
		text   string
	}{
		{"second plan", ctx, c.Incident.ID, planRecord(chg), app.ErrInvalid, "already has a plan"},
		{"record before its plan", ctx, c.Incident.ID, app.JournalRecord{Change: "CHG-20260101T090000-ZZZZ", Kind: app.JournalIntent, Step: 1}, app.ErrNotFound, "plan must come first"},
		{"no change id", ctx, c.Incident.ID, app.JournalRecord{Kind: app.JournalPlanned}, app.ErrInvalid, "change id"},
		{"slash in the id", ctx, c.Incident.ID, app.JournalRecord{Change: "CHG/1", Kind: app.JournalPlanned}, app.ErrInvalid, "change id"},
		{"unknown incident", ctx, "INC-20990101-NOPE00", planRecord("CHG-20260101T090000-YYYY"), app.ErrNotFound, "INC-20990101-NOPE00"},
		{"cancelled", cancelled, c.Incident.ID, app.JournalRecord{Change: chg, Kind: app.JournalConfirmed}, context.Canceled, "journal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.AppendJournal(tc.ctx, tc.inc, tc.rec, []app.Entry{entryAt(5, "must not appear")})
			require.Error(t, err)
			assert.True(t, errors.Is(err, tc.target), "%v", err)
			assert.Contains(t, err.Error(), tc.text)
			assert.Equal(t, before, take(t, db, c.Incident.ID))
			got, err := db.Journal(ctx, c.Incident.ID)
			require.NoError(t, err)
			assert.Len(t, got, 1)
		})
	}
	_, err = db.Journal(ctx, "INC-20990101-NOPE00")
	assert.ErrorIs(t, err, app.ErrNotFound)
}

func TestJournalDetectsMisfiledRecord(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	db := openAt(t, path)
	c := sampleCase("INC-20260101-AAAAAA")
	require.NoError(t, db.Create(ctx, c, nil))
	_, err := db.AppendJournal(ctx, c.Incident.ID, planRecord("CHG-20260101T080000-AAAA"), nil)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	// A record copied under another change's key must not pass for it.
	raw(t, path, func(tx *bbolt.Tx) error {
		jb := tx.Bucket([]byte("journal")).Bucket([]byte(c.Incident.ID))
		v := jb.Get(append([]byte("CHG-20260101T080000-AAAA/"), 0, 0, 0, 0, 0, 0, 0, 1))
		require.NotNil(t, v)
		return jb.Put(append([]byte("CHG-20260101T080000-BBBB/"), 0, 0, 0, 0, 0, 0, 0, 1), v)
	})
	db = openAt(t, path)
	_, err = db.Journal(ctx, c.Incident.ID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "damaged")
}

func TestMigrateFromV3(t *testing.T) {
	ctx := context.Background()
	path := copyFixture(t, "v3.db")
	// The fixture must hold what schema 3 added, so that keeping it
	// untouched means something.
	var before map[string]map[string]string
	func() {
		b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
		require.NoError(t, err)
		defer func() { require.NoError(t, b.Close()) }()
		before = dump(t, b)
	}()
	require.Equal(t, "3", before["meta"]["version"])
	require.NotEmpty(t, before["evidence"])
	require.NotEmpty(t, before["blobs"])
	require.NotContains(t, before, "journal")

	db := openAt(t, path)
	list, err := db.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	id := list[0].ID
	evs, err := db.Evidence(ctx, id)
	require.NoError(t, err)
	require.Len(t, evs, 1)
	content, err := db.EvidenceContent(ctx, evs[0].SHA256)
	require.NoError(t, err)
	assert.Equal(t, evs[0].SHA256, app.HashHex(content))
	entries, head, err := db.Timeline(ctx, id)
	require.NoError(t, err)
	require.NoError(t, app.VerifyChain(entries, head))
	journal, err := db.Journal(ctx, id)
	require.NoError(t, err)
	assert.Empty(t, journal)
	require.NoError(t, db.Close())

	// Every bucket of schema 3 is byte for byte as it was; the journal is
	// new and empty; the version moved to 4.
	var after map[string]map[string]string
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	require.NoError(t, err)
	after = dump(t, b)
	require.NoError(t, b.Close())
	assert.Equal(t, "5", after["meta"]["version"])
	assert.Equal(t, map[string]string{}, after["journal"])
	for name, kv := range before {
		// The timeline gains the migration to 5's seal entry (its own
		// test checks it) and the head moves to it.
		if name == "meta" || name == "timeline" || name == "heads" {
			continue
		}
		assert.Equal(t, kv, after[name], "bucket %s changed", name)
	}

	// The migrated incident takes journal records like any other.
	db = openAt(t, path)
	_, err = db.AppendJournal(ctx, id, planRecord("CHG-20260301T080000-AAAA"), []app.Entry{entryAt(9, "planned after migration")})
	require.NoError(t, err)
	entries, head, err = db.Timeline(ctx, id)
	require.NoError(t, err)
	require.NoError(t, app.VerifyChain(entries, head))
	assert.Equal(t, "planned after migration", entries[len(entries)-1].Text)
}

// dump reads every top-level bucket of a bbolt file as key to raw value,
// nested buckets flattened to "outer/inner" keys.
func dump(t *testing.T, b *bbolt.DB) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	var walk func(dst map[string]string, prefix string, bk *bbolt.Bucket) error
	walk = func(dst map[string]string, prefix string, bk *bbolt.Bucket) error {
		return bk.ForEach(func(k, v []byte) error {
			if v == nil {
				return walk(dst, prefix+string(k)+"/", bk.Bucket(k))
			}
			dst[prefix+string(k)] = string(v)
			return nil
		})
	}
	require.NoError(t, b.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bbolt.Bucket) error {
			dst := map[string]string{}
			out[string(name)] = dst
			return walk(dst, "", bk)
		})
	}))
	return out
}
