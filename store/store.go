// Package store keeps S3 Responder's incidents, step states, timelines,
// evidence, change journals and custom playbooks in one bbolt file. It
// implements app.Store, app.EvidenceStore, app.JournalStore and
// app.Importer; the bucket layout, its versions and
// the migrations between them are described in SCHEMA.md next to this file.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"s3responder/app"
)

// Bucket and key names of the current schema (see SCHEMA.md).
var (
	bucketMeta      = []byte("meta")
	bucketIncidents = []byte("incidents")
	bucketSteps     = []byte("steps")
	bucketTimeline  = []byte("timeline")
	bucketHeads     = []byte("heads")
	bucketPlaybooks = []byte("playbooks")
	bucketEvidence  = []byte("evidence")
	bucketBlobs     = []byte("blobs")
	keyVersion      = []byte("version")
)

// lockTimeout bounds how long Open waits for another process's file lock:
// long enough to ride out an instance that is just closing, short enough
// that a person is told at once why nothing opens.
const lockTimeout = time.Second

// DB is the incident database: one bbolt file, used by one process at a time.
type DB struct {
	bolt *bbolt.DB
	path string
}

var (
	_ app.Store         = (*DB)(nil)
	_ app.EvidenceStore = (*DB)(nil)
	_ app.Importer      = (*DB)(nil)
)

// Open opens or creates the database at path and brings its schema up to
// date. The file holds incident evidence, so it is private to its owner
// (0600, in a 0700 directory when Open creates the directory). When another
// instance holds the file, the error wraps app.ErrInUse.
func Open(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open database %s: create its directory: %w", path, err)
	}
	exists, err := checkFile(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if exists {
		if err := tighten(path); err != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
	}
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("database %s is %w of S3 Responder (close it, or use --db for another file)", path, app.ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path}
	if err := db.upgrade(); err != nil {
		_ = b.Close() // the upgrade error is the one worth reporting
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// tighten removes group and other permissions from an existing database
// file, which may have been copied in with a looser mode; Open calls it
// only on a file checkFile recognised as a database.
func tighten(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("make the file private to its owner: %w", err)
	}
	return nil
}

// Close releases the file and its lock.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	return nil
}

// Path is the file the database lives in, for messages and the about box.
func (db *DB) Path() string { return db.path }

// seqKey encodes a timeline sequence number so that byte order is numeric
// order and a cursor walks the timeline from first to last.
func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}
