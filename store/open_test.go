package store_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"
)

func TestOpenLeavesADirectoryItDoesNotRecogniseUntouched(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my-folder")
	require.NoError(t, os.Mkdir(dir, 0o755))

	db, err := openAtErr(dir)
	require.Error(t, err)
	assert.Nil(t, db)
	assert.Contains(t, err.Error(), "is a directory")
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm(), "the folder's permissions must not change")
}

func TestOpenLeavesAFileItDoesNotRecogniseUntouched(t *testing.T) {
	for name, content := range map[string][]byte{
		"text":            []byte("my notes, not a database\n"),
		"a page of zeros": make([]byte, 8192),
		"one byte":        {'x'},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "notes.txt")
			require.NoError(t, os.WriteFile(path, content, 0o644))

			_, err := openAtErr(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "not an S3 Responder database")
			fi, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), "the file's permissions must not change")
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, content, after)
		})
	}
}

// filledDB makes a database of many pages and returns its path and size.
func filledDB(t *testing.T) (string, int64) {
	t.Helper()
	path := dbPath(t)
	require.NoError(t, openAt(t, path).Close())
	raw(t, path, func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("filler"))
		if err != nil {
			return err
		}
		for i := range 400 {
			if err := b.Put(fmt.Appendf(nil, "k%04d", i), bytes.Repeat([]byte{byte(i)}, 3000)); err != nil {
				return err
			}
		}
		return nil
	})
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return path, fi.Size()
}

func TestATruncatedDatabaseIsRefusedAtOpenWithHowToRecover(t *testing.T) {
	path, size := filledDB(t)
	require.NoError(t, os.Truncate(path, size/2))
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	_, err = openAtErr(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "truncated")
	assert.Contains(t, err.Error(), fmt.Sprint(size/2))
	assert.Contains(t, err.Error(), "backup")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a refused file must not be touched")
}

func TestADatabaseCutInsideItsFirstPageIsRefused(t *testing.T) {
	path, _ := filledDB(t)
	require.NoError(t, os.Truncate(path, 100))
	_, err := openAtErr(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "truncated: it is 100 bytes")
}

func TestAnEmptyFileBecomesANewDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incidents.db")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	openAt(t, path)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestADatabaseWithATornFirstMetaPageStillOpens(t *testing.T) {
	// bbolt keeps two meta pages so that a crash while writing one leaves
	// the other; the check before opening must fall back the same way.
	path, _ := filledDB(t)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte{0xff, 0xff}, 16+48) // inside the first meta's txid
	require.NoError(t, err)
	require.NoError(t, f.Close())
	openAt(t, path)
}
