package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"s3responder/app"
	"s3responder/store"
)

var t0 = time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)

func sampleCase(id string) app.Case {
	return app.Case{
		Incident: app.Incident{
			ID: id, Title: "Bucket readable by everyone " + id, Severity: app.SeverityP2, Status: app.StatusOpen,
			CurrentPart: 1, Buckets: []string{"acme-logs"}, Accounts: []string{"111122223333"},
			Playbook:  app.PlaybookRef{ID: "builtin", Version: "1", SHA256: "abc"},
			CreatedAt: t0, UpdatedAt: t0,
		},
		Steps: map[string]app.StepState{
			"p1.s1": {StepID: "p1.s1", Status: app.StepDone, Note: "paged", By: "alice", At: t0},
			"p1.s2": {StepID: "p1.s2", Status: app.StepDoing, By: "alice", At: t0},
		},
	}
}

// entryAt returns an unsealed entry whose times depend on n.
func entryAt(n int, text string) app.Entry {
	at := t0.Add(time.Duration(n) * time.Minute)
	return app.Entry{EventTime: at, RecordedAt: at, Actor: "alice", Kind: app.KindNote, Text: text}
}

func appendNotes(t *testing.T, db *store.DB, id string, texts ...string) {
	t.Helper()
	_, err := db.Update(context.Background(), id, func(c *app.Case) ([]app.Entry, error) {
		var out []app.Entry
		for i, s := range texts {
			out = append(out, entryAt(i, s))
		}
		return out, nil
	})
	require.NoError(t, err)
}

func TestCreateLoadList(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, dbPath(t))
	a, b := sampleCase("INC-20260101-AAAAAA"), sampleCase("INC-20260102-BBBBBB")
	b.Steps = nil
	require.NoError(t, db.Create(ctx, a, []app.Entry{entryAt(0, "opened"), entryAt(1, "detected")}))
	require.NoError(t, db.Create(ctx, b, nil))

	got, err := db.Load(ctx, a.Incident.ID)
	require.NoError(t, err)
	assert.Equal(t, a, got)
	got, err = db.Load(ctx, b.Incident.ID)
	require.NoError(t, err)
	assert.Equal(t, b.Incident, got.Incident)
	assert.Empty(t, got.Steps)
	assert.NotNil(t, got.Steps, "callers may add steps to a loaded case")

	list, err := db.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []app.Incident{a.Incident, b.Incident}, list)

	entries, head, err := db.Timeline(ctx, a.Incident.ID)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, uint64(1), entries[0].Seq)
	assert.Equal(t, app.GenesisHash, entries[0].PrevHash)
	assert.Equal(t, "detected", entries[1].Text)
	assert.Equal(t, app.Head{Seq: 2, Hash: entries[1].Hash}, head)
	require.NoError(t, app.VerifyChain(entries, head))

	entries, head, err = db.Timeline(ctx, b.Incident.ID)
	require.NoError(t, err)
	assert.Empty(t, entries)
	assert.Equal(t, app.Head{}, head)
	require.NoError(t, app.VerifyChain(entries, head))

	err = db.Create(ctx, a, nil)
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "already exists")
	require.ErrorIs(t, db.Create(ctx, app.Case{}, nil), app.ErrInvalid)
}

func TestMissingIncident(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, dbPath(t))
	const id = "INC-20260101-NOPE00"
	tests := map[string]func() error{
		"load": func() error { _, err := db.Load(ctx, id); return err },
		"update": func() error {
			_, err := db.Update(ctx, id, func(*app.Case) ([]app.Entry, error) { return nil, nil })
			return err
		},
		"timeline": func() error { _, _, err := db.Timeline(ctx, id); return err },
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			err := call()
			require.ErrorIs(t, err, app.ErrNotFound)
			assert.Contains(t, err.Error(), id)
		})
	}
}

func TestCanceledContext(t *testing.T) {
	db := openAt(t, dbPath(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	tests := map[string]func() error{
		"create": func() error { return db.Create(ctx, sampleCase("INC-20260101-AAAAAA"), nil) },
		"load":   func() error { _, err := db.Load(ctx, "x"); return err },
		"list":   func() error { _, err := db.List(ctx); return err },
		"update": func() error {
			_, err := db.Update(ctx, "x", func(*app.Case) ([]app.Entry, error) { called = true; return nil, nil })
			return err
		},
		"timeline":      func() error { _, _, err := db.Timeline(ctx, "x"); return err },
		"save playbook": func() error { return db.SavePlaybook(ctx, "x", nil) },
		"playbooks":     func() error { _, err := db.Playbooks(ctx); return err },
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, call(), context.Canceled)
		})
	}
	assert.False(t, called)
	list, err := db.List(context.Background())
	require.NoError(t, err)
	assert.Empty(t, list, "a canceled create wrote nothing")
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	db := openAt(t, path)
	c := sampleCase("INC-20260101-AAAAAA")
	id := c.Incident.ID
	require.NoError(t, db.Create(ctx, c, []app.Entry{entryAt(0, "opened")}))

	got, err := db.Update(ctx, id, func(c *app.Case) ([]app.Entry, error) {
		c.Incident.Status = app.StatusContained
		c.Incident.Jumps = []app.Jump{{FromStep: "p1.s3", To: "p2", Return: "p1.s5"}}
		c.Steps["p1.s2"] = app.StepState{StepID: "p1.s2", Status: app.StepDone, By: "bob", At: t0.Add(time.Hour)}
		c.Steps["p2.s1"] = app.StepState{StepID: "p2.s1", Status: app.StepSkipped, Note: "no keys", Choices: []string{"a", "b"}, At: t0}
		delete(c.Steps, "p1.s1")
		return []app.Entry{entryAt(1, "contained"), entryAt(2, "skipped p2.s1")}, nil
	})
	require.NoError(t, err)
	assert.Equal(t, app.StatusContained, got.Incident.Status)

	// Reopen so the check reads the file, not anything kept in memory.
	require.NoError(t, db.Close())
	db = openAt(t, path)
	loaded, err := db.Load(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, got, loaded)
	assert.Equal(t, []app.Jump{{FromStep: "p1.s3", To: "p2", Return: "p1.s5"}}, loaded.Incident.Jumps)
	assert.NotContains(t, loaded.Steps, "p1.s1", "a step removed from the case is removed from the file")
	assert.Equal(t, app.StepDone, loaded.Steps["p1.s2"].Status)
	assert.Equal(t, []string{"a", "b"}, loaded.Steps["p2.s1"].Choices)

	entries, head, err := db.Timeline(ctx, id)
	require.NoError(t, err)
	require.Len(t, entries, 3)
	assert.Equal(t, []string{"opened", "contained", "skipped p2.s1"}, []string{entries[0].Text, entries[1].Text, entries[2].Text})
	assert.Equal(t, uint64(3), head.Seq)
	require.NoError(t, app.VerifyChain(entries, head))
}

func TestUpdateIsAtomic(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		fn   func(c *app.Case) ([]app.Entry, error)
		want error
	}{
		{
			name: "fn fails after changing everything",
			fn: func(c *app.Case) ([]app.Entry, error) {
				c.Incident.Title = "changed"
				c.Steps["p1.s1"] = app.StepState{StepID: "p1.s1", Status: app.StepTodo}
				c.Steps["p9"] = app.StepState{StepID: "p9", Status: app.StepDone}
				return []app.Entry{entryAt(5, "should not be kept")}, boom
			},
			want: boom,
		},
		{
			name: "fn changes the incident id",
			fn: func(c *app.Case) ([]app.Entry, error) {
				c.Incident.ID = "INC-20260101-OTHER0"
				return []app.Entry{entryAt(5, "should not be kept")}, nil
			},
			want: app.ErrInvalid,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openAt(t, dbPath(t))
			c := sampleCase("INC-20260101-AAAAAA")
			id := c.Incident.ID
			require.NoError(t, db.Create(ctx, c, []app.Entry{entryAt(0, "opened")}))
			appendNotes(t, db, id, "one", "two")
			beforeCase, err := db.Load(ctx, id)
			require.NoError(t, err)
			beforeEntries, beforeHead, err := db.Timeline(ctx, id)
			require.NoError(t, err)

			got, err := db.Update(ctx, id, tt.fn)
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), id)
			assert.Equal(t, app.Case{}, got)

			afterCase, err := db.Load(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, beforeCase, afterCase)
			afterEntries, afterHead, err := db.Timeline(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, beforeEntries, afterEntries)
			assert.Equal(t, beforeHead, afterHead)
			list, err := db.List(ctx)
			require.NoError(t, err)
			assert.Len(t, list, 1)
		})
	}
}

func TestChainVerifiesAfterManyUpdates(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, dbPath(t))
	ids := []string{"INC-20260101-AAAAAA", "INC-20260101-BBBBBB"}
	for _, id := range ids {
		require.NoError(t, db.Create(ctx, sampleCase(id), []app.Entry{entryAt(0, "opened")}))
	}
	want := map[string]int{ids[0]: 1, ids[1]: 1}
	for i := range 150 {
		id := ids[i%2]
		n := i % 3 // some updates record nothing, some several entries
		_, err := db.Update(ctx, id, func(c *app.Case) ([]app.Entry, error) {
			c.Incident.CurrentPart = i%5 + 1
			var out []app.Entry
			for j := range n {
				out = append(out, entryAt(i, fmt.Sprintf("update %d entry %d", i, j)))
			}
			return out, nil
		})
		require.NoError(t, err)
		want[id] += n
	}
	for _, id := range ids {
		entries, head, err := db.Timeline(ctx, id)
		require.NoError(t, err)
		assert.Len(t, entries, want[id])
		assert.Equal(t, uint64(want[id]), head.Seq)
		require.NoError(t, app.VerifyChain(entries, head))
	}
}

func TestTamperingIsDetected(t *testing.T) {
	const id = "INC-20260101-AAAAAA"
	key := func(seq uint64) []byte {
		k := make([]byte, 8)
		binary.BigEndian.PutUint64(k, seq)
		return k
	}
	tests := []struct {
		name    string
		tamper  func(tl *bbolt.Bucket) error
		wantSeq uint64
	}{
		{
			name: "edit an entry's text",
			tamper: func(tl *bbolt.Bucket) error {
				var e app.Entry
				if err := json.Unmarshal(tl.Get(key(3)), &e); err != nil {
					return err
				}
				e.Text = "nothing happened here"
				b, err := json.Marshal(e)
				if err != nil {
					return err
				}
				return tl.Put(key(3), b)
			},
			wantSeq: 3,
		},
		{
			name:    "delete a middle entry",
			tamper:  func(tl *bbolt.Bucket) error { return tl.Delete(key(3)) },
			wantSeq: 3,
		},
		{
			name:    "delete the last entry",
			tamper:  func(tl *bbolt.Bucket) error { return tl.Delete(key(5)) },
			wantSeq: 5,
		},
		{
			name: "swap two entries",
			tamper: func(tl *bbolt.Bucket) error {
				two, three := append([]byte(nil), tl.Get(key(2))...), append([]byte(nil), tl.Get(key(3))...)
				if err := tl.Put(key(2), three); err != nil {
					return err
				}
				return tl.Put(key(3), two)
			},
			wantSeq: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := dbPath(t)
			db := openAt(t, path)
			require.NoError(t, db.Create(ctx, sampleCase(id), []app.Entry{entryAt(0, "opened")}))
			appendNotes(t, db, id, "two", "three", "four", "five")
			entries, head, err := db.Timeline(ctx, id)
			require.NoError(t, err)
			require.NoError(t, app.VerifyChain(entries, head), "the untouched chain verifies")
			require.NoError(t, db.Close())

			raw(t, path, func(tx *bbolt.Tx) error {
				return tt.tamper(tx.Bucket([]byte("timeline")).Bucket([]byte(id)))
			})

			db = openAt(t, path)
			entries, head, err = db.Timeline(ctx, id)
			require.NoError(t, err)
			err = app.VerifyChain(entries, head)
			var ce *app.ChainError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.wantSeq, ce.Seq, ce.Error())
			assert.ErrorIs(t, err, app.ErrChainBroken)
		})
	}
}

func TestPlaybooks(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	db := openAt(t, path)
	got, err := db.Playbooks(ctx)
	require.NoError(t, err)
	assert.Empty(t, got)

	want := map[string][]byte{}
	for _, text := range []string{"id: one\n", "id: two\nversion: \"2\"\n"} {
		sum := sha256.Sum256([]byte(text))
		sha := hex.EncodeToString(sum[:])
		require.NoError(t, db.SavePlaybook(ctx, sha, []byte(text)))
		want[sha] = []byte(text)
	}
	err = db.SavePlaybook(ctx, "0123", []byte("id: three\n"))
	require.ErrorIs(t, err, app.ErrInvalid)

	require.NoError(t, db.Close())
	db = openAt(t, path)
	got, err = db.Playbooks(ctx)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}
