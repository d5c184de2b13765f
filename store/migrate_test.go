package store_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"s3responder/app"
)

// v1File is what a schema 1 file holds, read with bare bbolt so the
// expectations do not depend on the code under test.
type v1File struct {
	incidents map[string]app.Case
	timelines map[string][]app.Entry
	playbooks map[string][]byte
}

func readV1(t *testing.T, path string) v1File {
	t.Helper()
	f := v1File{incidents: map[string]app.Case{}, timelines: map[string][]app.Entry{}, playbooks: map[string][]byte{}}
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer func() { require.NoError(t, b.Close()) }()
	require.NoError(t, b.View(func(tx *bbolt.Tx) error {
		require.Equal(t, "1", string(tx.Bucket([]byte("meta")).Get([]byte("version"))))
		require.Nil(t, tx.Bucket([]byte("heads")))
		require.NoError(t, tx.Bucket([]byte("incidents")).ForEach(func(k, v []byte) error {
			var rec struct {
				Incident app.Incident             `json:"incident"`
				Steps    map[string]app.StepState `json:"steps"`
			}
			require.NoError(t, json.Unmarshal(v, &rec))
			f.incidents[string(k)] = app.Case{Incident: rec.Incident, Steps: rec.Steps}
			tl := tx.Bucket([]byte("timeline")).Bucket(k)
			if tl == nil {
				return nil
			}
			return tl.ForEach(func(_, v []byte) error {
				var e app.Entry
				require.NoError(t, json.Unmarshal(v, &e))
				f.timelines[string(k)] = append(f.timelines[string(k)], e)
				return nil
			})
		}))
		return tx.Bucket([]byte("playbooks")).ForEach(func(k, v []byte) error {
			f.playbooks[string(k)] = append([]byte(nil), v...)
			return nil
		})
	}))
	return f
}

// copyFixture puts a private copy of testdata/<name> where Open can change it.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

func TestMigrateFromV1(t *testing.T) {
	ctx := context.Background()
	path := copyFixture(t, "v1.db")
	want := readV1(t, path)
	// The fixture must give the migration something to move.
	require.Len(t, want.incidents, 2)
	require.Len(t, want.playbooks, 1)
	for id, c := range want.incidents {
		require.NotEmpty(t, c.Steps, id)
		require.GreaterOrEqual(t, len(want.timelines[id]), 3, id)
	}

	db := openAt(t, path)
	list, err := db.List(ctx)
	require.NoError(t, err)
	assert.Len(t, list, len(want.incidents))
	for id, wc := range want.incidents {
		t.Run(id, func(t *testing.T) {
			got, err := db.Load(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, wc, got)
			assert.Contains(t, list, wc.Incident)

			entries, head, err := db.Timeline(ctx, id)
			require.NoError(t, err)
			require.Len(t, entries, len(want.timelines[id])+1)
			assert.Equal(t, want.timelines[id], entries[:len(entries)-1], "no sealed entry is rewritten")
			last := entries[len(entries)-1]
			assert.Equal(t, app.KindSeal, last.Kind, "the migration to 5 seals the fields on the timeline")
			assert.Empty(t, app.CheckSeals(entries, got, nil))
			assert.Equal(t, app.Head{Seq: last.Seq, Hash: last.Hash}, head)
			require.NoError(t, app.VerifyChain(entries, head))

			// The migrated incident keeps working: an update chains on.
			_, err = db.Update(ctx, id, func(c *app.Case) ([]app.Entry, error) {
				return []app.Entry{entryAt(0, "after migration")}, nil
			})
			require.NoError(t, err)
			entries, head, err = db.Timeline(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, last.Hash, entries[len(entries)-1].PrevHash)
			require.NoError(t, app.VerifyChain(entries, head))
		})
	}
	pbs, err := db.Playbooks(ctx)
	require.NoError(t, err)
	assert.Equal(t, want.playbooks, pbs)
	require.NoError(t, db.Close())

	raw(t, path, func(tx *bbolt.Tx) error {
		assert.Equal(t, "5", string(tx.Bucket([]byte("meta")).Get([]byte("version"))), "1 to 2 to 3 to 4 to 5 in one open")
		assert.NotNil(t, tx.Bucket([]byte("journal")))
		assert.NotNil(t, tx.Bucket([]byte("heads")))
		assert.NotNil(t, tx.Bucket([]byte("evidence")))
		assert.NotNil(t, tx.Bucket([]byte("blobs")))
		return tx.Bucket([]byte("incidents")).ForEach(func(k, v []byte) error {
			var plain map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(v, &plain))
			assert.NotContains(t, plain, "steps", "steps moved out of %s", k)
			assert.Contains(t, plain, "id")
			return nil
		})
	})
	// Opening again finds the current schema and leaves it alone; the
	// migrated incidents take evidence like any other.
	db = openAt(t, path)
	list, err = db.List(ctx)
	require.NoError(t, err)
	assert.Len(t, list, 2)
	for id := range want.incidents {
		ev := item("EV-after-migration", "snapshot after migration", t0)
		require.NoError(t, db.AddEvidence(ctx, id, ev, []byte(ev.Title), []app.Entry{entryAt(0, "evidence after migration")}))
		got, err := db.Evidence(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, []app.Evidence{ev}, got)
		entries, head, err := db.Timeline(ctx, id)
		require.NoError(t, err)
		require.NoError(t, app.VerifyChain(entries, head))
	}
}

// readV2 reads a schema 2 file with bare bbolt: incidents with their
// steps, timelines with heads, playbooks.
func readV2(t *testing.T, path string) (map[string]app.Case, map[string][]app.Entry, map[string]app.Head, map[string][]byte) {
	t.Helper()
	cases, timelines, heads, pbs := map[string]app.Case{}, map[string][]app.Entry{}, map[string]app.Head{}, map[string][]byte{}
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer func() { require.NoError(t, b.Close()) }()
	require.NoError(t, b.View(func(tx *bbolt.Tx) error {
		require.Equal(t, "2", string(tx.Bucket([]byte("meta")).Get([]byte("version"))))
		require.Nil(t, tx.Bucket([]byte("evidence")))
		require.Nil(t, tx.Bucket([]byte("blobs")))
		require.NoError(t, tx.Bucket([]byte("incidents")).ForEach(func(k, v []byte) error {
			c := app.Case{Steps: map[string]app.StepState{}}
			require.NoError(t, json.Unmarshal(v, &c.Incident))
			require.NoError(t, tx.Bucket([]byte("steps")).Bucket(k).ForEach(func(sk, sv []byte) error {
				var st app.StepState
				require.NoError(t, json.Unmarshal(sv, &st))
				c.Steps[string(sk)] = st
				return nil
			}))
			cases[string(k)] = c
			var h app.Head
			require.NoError(t, json.Unmarshal(tx.Bucket([]byte("heads")).Get(k), &h))
			heads[string(k)] = h
			return tx.Bucket([]byte("timeline")).Bucket(k).ForEach(func(_, v []byte) error {
				var e app.Entry
				require.NoError(t, json.Unmarshal(v, &e))
				timelines[string(k)] = append(timelines[string(k)], e)
				return nil
			})
		}))
		return tx.Bucket([]byte("playbooks")).ForEach(func(k, v []byte) error {
			pbs[string(k)] = append([]byte(nil), v...)
			return nil
		})
	}))
	return cases, timelines, heads, pbs
}

func TestMigrateFromV2(t *testing.T) {
	ctx := context.Background()
	path := copyFixture(t, "v2.db")
	cases, timelines, heads, pbs := readV2(t, path)
	require.Len(t, cases, 1)
	require.Len(t, pbs, 1)

	db := openAt(t, path)
	for id, wc := range cases {
		got, err := db.Load(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, wc, got)
		entries, head, err := db.Timeline(ctx, id)
		require.NoError(t, err)
		require.Len(t, entries, len(timelines[id])+1)
		assert.Equal(t, timelines[id], entries[:len(entries)-1], "no sealed entry is rewritten")
		assert.Equal(t, heads[id].Hash, entries[len(entries)-1].PrevHash, "the seal of the migration to 5 chains on the old head")
		require.NoError(t, app.VerifyChain(entries, head))
		assert.Empty(t, app.CheckSeals(entries, got, nil))
		evs, err := db.Evidence(ctx, id)
		require.NoError(t, err)
		assert.Empty(t, evs)

		ev := item("EV-1", "policy after migration", t0)
		require.NoError(t, db.AddEvidence(ctx, id, ev, []byte(ev.Title), []app.Entry{entryAt(0, "evidence")}))
		entries, head, err = db.Timeline(ctx, id)
		require.NoError(t, err)
		assert.Len(t, entries, len(timelines[id])+2)
		require.NoError(t, app.VerifyChain(entries, head))
	}
	got, err := db.Playbooks(ctx)
	require.NoError(t, err)
	assert.Equal(t, pbs, got)
	require.NoError(t, db.Close())

	raw(t, path, func(tx *bbolt.Tx) error {
		assert.Equal(t, "5", string(tx.Bucket([]byte("meta")).Get([]byte("version"))))
		assert.NotNil(t, tx.Bucket([]byte("journal")))
		assert.NotNil(t, tx.Bucket([]byte("evidence")))
		assert.NotNil(t, tx.Bucket([]byte("blobs")))
		return nil
	})
}

func TestFailedMigrationLeavesV1Intact(t *testing.T) {
	path := copyFixture(t, "v1.db")
	// A record whose incident does not carry its own key cannot be moved.
	raw(t, path, func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("incidents")).Put([]byte("INC-20250501-BROKEN"), []byte(`{"incident":{"id":"INC-other"},"steps":{}}`))
	})
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	_, err = openAtErr(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "migrate schema 1 to 2")
	assert.Contains(t, err.Error(), "INC-20250501-BROKEN")

	readV1(t, path) // still version 1, still no heads
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after)
}
