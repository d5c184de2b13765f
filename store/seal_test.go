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
}
