package store_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"s3responder/app"
	"s3responder/store"
)

// holdEnv makes the test binary, re-executed as a child, open a database and
// hold it until its stdin closes: another instance of the app, in effect.
const holdEnv = "STORE_TEST_HOLD_DB"

func TestMain(m *testing.M) {
	if path := os.Getenv(holdEnv); path != "" {
		db, err := store.Open(path)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		_, _ = io.Copy(io.Discard, os.Stdin)
		if err := db.Close(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// dbPath returns a database path in a directory that does not exist yet.
func dbPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "state", "incidents.db")
}

// openAt opens the store at path and closes it when the test ends.
func openAt(t testing.TB, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// raw runs fn in a write transaction on the bare bbolt file, the way a
// person with a hex editor (or another tool) could change it.
func raw(t *testing.T, path string, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	require.NoError(t, err)
	require.NoError(t, b.Update(fn))
	require.NoError(t, b.Close())
}

func TestOpenCreatesPrivateFileWithCurrentLayout(t *testing.T) {
	path := dbPath(t)
	db := openAt(t, path)
	assert.Equal(t, path, db.Path())

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())

	ctx := context.Background()
	c := sampleCase("INC-20260101-AAAAAA")
	require.NoError(t, db.Create(ctx, c, []app.Entry{entryAt(1, "opened"), entryAt(2, "looked")}))
	require.NoError(t, db.Close())

	// Another helper's end-to-end test edits this layout directly: pin it.
	raw(t, path, func(tx *bbolt.Tx) error {
		assert.Equal(t, "5", string(tx.Bucket([]byte("meta")).Get([]byte("version"))))
		assert.NotNil(t, tx.Bucket([]byte("journal")))
		var inc app.Incident
		require.NoError(t, json.Unmarshal(tx.Bucket([]byte("incidents")).Get([]byte(c.Incident.ID)), &inc))
		assert.Equal(t, c.Incident, inc)
		var st app.StepState
		require.NoError(t, json.Unmarshal(tx.Bucket([]byte("steps")).Bucket([]byte(c.Incident.ID)).Get([]byte("p1.s1")), &st))
		assert.Equal(t, c.Steps["p1.s1"], st)
		var e app.Entry
		tl := tx.Bucket([]byte("timeline")).Bucket([]byte(c.Incident.ID))
		require.NoError(t, json.Unmarshal(tl.Get([]byte{0, 0, 0, 0, 0, 0, 0, 2}), &e))
		assert.Equal(t, "looked", e.Text)
		var h app.Head
		require.NoError(t, json.Unmarshal(tx.Bucket([]byte("heads")).Get([]byte(c.Incident.ID)), &h))
		assert.Equal(t, app.Head{Seq: 2, Hash: e.Hash}, h)
		assert.NotNil(t, tx.Bucket([]byte("playbooks")))
		assert.NotNil(t, tx.Bucket([]byte("evidence")))
		assert.NotNil(t, tx.Bucket([]byte("blobs")))
		return nil
	})
}

func TestOpenTightensLooseFile(t *testing.T) {
	path := dbPath(t)
	require.NoError(t, openAt(t, path).Close())
	require.NoError(t, os.Chmod(path, 0o644))

	openAt(t, path)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

// assertInUse opens path while something else holds it.
func assertInUse(t *testing.T, path string) {
	t.Helper()
	start := time.Now()
	db, err := store.Open(path)
	elapsed := time.Since(start)
	if db != nil {
		_ = db.Close()
	}
	require.ErrorIs(t, err, app.ErrInUse)
	assert.Less(t, elapsed, 2*time.Second)
	assert.Equal(t, "database "+path+" is in use by another instance of S3 Responder (close it, or use --db for another file)", err.Error())
}

func TestOpenInUseSameProcess(t *testing.T) {
	// flock locks belong to the open file, not the process, so a second
	// Open in this process is refused just like another process would be.
	path := dbPath(t)
	first := openAt(t, path)
	assertInUse(t, path)
	require.NoError(t, first.Close())
	openAt(t, path)
}

func TestOpenInUseOtherProcess(t *testing.T) {
	path := dbPath(t)
	require.NoError(t, openAt(t, path).Close())

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "ready\n", line)

	assertInUse(t, path)

	require.NoError(t, stdin.Close())
	require.NoError(t, cmd.Wait())
	openAt(t, path)
}

func TestOpenRefusesFilesItCannotRead(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    string
	}{
		{
			name: "newer schema",
			prepare: func(t *testing.T, path string) {
				require.NoError(t, openAt(t, path).Close())
				raw(t, path, func(tx *bbolt.Tx) error {
					return tx.Bucket([]byte("meta")).Put([]byte("version"), []byte("6"))
				})
			},
			want: "database was written by a newer S3 Responder (schema 6); this build knows up to 5",
		},
		{
			name: "bbolt file of another program",
			prepare: func(t *testing.T, path string) {
				raw(t, path, func(tx *bbolt.Tx) error {
					_, err := tx.CreateBucket([]byte("users"))
					return err
				})
			},
			want: "not an S3 Responder database: it has no meta bucket",
		},
		{
			name: "garbled version",
			prepare: func(t *testing.T, path string) {
				raw(t, path, func(tx *bbolt.Tx) error {
					b, err := tx.CreateBucket([]byte("meta"))
					if err != nil {
						return err
					}
					return b.Put([]byte("version"), []byte("two"))
				})
			},
			want: `schema version "two" is not a positive number`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := dbPath(t)
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
			tt.prepare(t, path)
			before, err := os.ReadFile(path)
			require.NoError(t, err)

			db, err := store.Open(path)
			require.Error(t, err)
			assert.Nil(t, db)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), path)

			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, before, after, "a refused file must not be touched")
		})
	}
}

// openAtErr opens the store expecting failure; a success is closed at once.
func openAtErr(path string) (*store.DB, error) {
	db, err := store.Open(path)
	if err == nil {
		_ = db.Close()
	}
	return db, err
}
