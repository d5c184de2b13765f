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
)

// A schema 4 file holds entries whose text was typed with bytes that are
// not UTF-8: those builds hashed them as \ufffd escapes but stored U+FFFD,
// so the chain never verified. After the migration it verifies, nothing
// sealed is rewritten, and the timeline says what the migration did.
func TestAVersion4TimelineWithTextThatIsNotUTF8VerifiesAfterTheMigration(t *testing.T) {
	ctx := context.Background()
	path := copyFixture(t, "v4.db")
	var before []app.Entry
	func() {
		b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
		require.NoError(t, err)
		defer func() { require.NoError(t, b.Close()) }()
		require.NoError(t, b.View(func(tx *bbolt.Tx) error {
			require.Equal(t, "4", string(tx.Bucket([]byte("meta")).Get([]byte("version"))))
			return tx.Bucket([]byte("timeline")).ForEach(func(k, _ []byte) error {
				return tx.Bucket([]byte("timeline")).Bucket(k).ForEach(func(_, v []byte) error {
					var e app.Entry
					require.NoError(t, json.Unmarshal(v, &e))
					before = append(before, e)
					return nil
				})
			})
		}))
	}()
	require.Len(t, before, 6)

	db := openAt(t, path)
	list, err := db.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	entries, head, err := db.Timeline(ctx, list[0].ID)
	require.NoError(t, err)
	require.NoError(t, app.VerifyChain(entries, head))
	require.Len(t, entries, len(before)+1)
	assert.Equal(t, before, entries[:len(before)], "no sealed entry is rewritten")
	last := entries[len(entries)-1]
	assert.Equal(t, app.Kind("seal"), last.Kind)
	assert.Contains(t, last.Text, "entries 3, 4 held bytes that are not UTF-8")
	assert.Contains(t, last.Text, "1 evidence items")

	// The migration sealed what the file held: it all matches now, and an
	// edit of the file afterwards is named.
	c, err := db.Load(ctx, list[0].ID)
	require.NoError(t, err)
	evs, err := db.Evidence(ctx, list[0].ID)
	require.NoError(t, err)
	assert.Empty(t, app.CheckSeals(entries, c, evs))
	c.Incident.Severity = app.SeverityP4
	assert.Equal(t, []app.SealProblem{{Item: "incident field severity", Reason: "differs from what timeline entry 7 sealed (changed outside the app)"}},
		app.CheckSeals(entries, c, evs))
}

// Import writes blobs before the incident's own transaction; when that
// transaction is refused, the blobs it wrote are removed again, and a
// blob another incident already held stays.
func TestARefusedImportLeavesNoContentBehind(t *testing.T) {
	ctx := context.Background()
	db := openAt(t, dbPath(t))
	c := sampleCase("INC-20260101-AAAAAA")
	require.NoError(t, db.Create(ctx, c, []app.Entry{entryAt(1, "opened")}))
	shared := item("EV-1", "content both incidents hold", t0)
	require.NoError(t, db.AddEvidence(ctx, c.Incident.ID, shared, []byte(shared.Title), []app.Entry{entryAt(2, "evidence")}))

	fresh := item("EV-2", "content only the refused bundle holds", t0)
	b := app.Bundle{Format: app.BundleFormat, Case: c, Evidence: []app.Evidence{shared, fresh}}
	err := db.Import(ctx, b, map[string][]byte{shared.SHA256: []byte(shared.Title), fresh.SHA256: []byte(fresh.Title)})
	require.ErrorContains(t, err, "already exists")

	_, err = db.EvidenceContent(ctx, fresh.SHA256)
	assert.ErrorIs(t, err, app.ErrNotFound, "the refused import's own content is gone")
	got, err := db.EvidenceContent(ctx, shared.SHA256)
	require.NoError(t, err)
	assert.Equal(t, shared.Title, string(got), "content another incident names stays")
}
