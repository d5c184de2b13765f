package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/bbolt"

	"s3responder/app"
)

// currentVersion is the schema this build reads and writes. Raising it
// means adding a case to migrate and a section to SCHEMA.md.
const currentVersion = 5

// errNewer is the refusal to open a file from a later build: migrating
// backwards would lose whatever the newer schema added.
var errNewer = errors.New("database was written by a newer S3 Responder")

// upgrade brings the file to currentVersion: an empty file gets the current
// layout, an older one is migrated step by step in a single transaction so a
// crash mid-way leaves the old schema intact, and a newer one is refused
// without writing anything.
func (db *DB) upgrade() error {
	var v int
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		v, err = storedVersion(tx)
		return err
	}); err != nil {
		return err
	}
	switch {
	case v == currentVersion:
		return nil
	case v > currentVersion:
		return fmt.Errorf("%w (schema %d); this build knows up to %d", errNewer, v, currentVersion)
	}
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		// A new file (v == 0) has nothing to migrate, only buckets to lay out.
		for from := v; v > 0 && from < currentVersion; from++ {
			if err := migrate(tx, from); err != nil {
				return fmt.Errorf("migrate schema %d to %d: %w", from, from+1, err)
			}
		}
		for _, name := range [][]byte{bucketMeta, bucketIncidents, bucketSteps, bucketTimeline, bucketHeads, bucketPlaybooks, bucketEvidence, bucketBlobs, bucketJournal} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return tx.Bucket(bucketMeta).Put(keyVersion, []byte(strconv.Itoa(currentVersion)))
	})
}

// storedVersion reads meta/version; 0 means a brand-new, empty file.
func storedVersion(tx *bbolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty := true
		_ = tx.ForEach(func([]byte, *bbolt.Bucket) error { empty = false; return nil })
		if empty {
			return 0, nil
		}
		return 0, errors.New("not an S3 Responder database: it has no meta bucket")
	}
	raw := meta.Get(keyVersion)
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 1 {
		return 0, fmt.Errorf("not an S3 Responder database: schema version %q is not a positive number", raw)
	}
	return v, nil
}

// migrate turns a schema from database into schema from+1 inside tx.
func migrate(tx *bbolt.Tx, from int) error {
	switch from {
	case 1:
		return migrate1to2(tx)
	case 2:
		return migrate2to3(tx)
	case 3:
		return migrate3to4(tx)
	case 4:
		return migrate4to5(tx)
	}
	return fmt.Errorf("no migration from schema %d", from)
}

// v1Incident is a schema 1 incidents value: the incident with its step
// states inline. Both parts stay raw so the move loses no field.
type v1Incident struct {
	Incident json.RawMessage            `json:"incident"`
	Steps    map[string]json.RawMessage `json:"steps"`
}

// migrate1to2 moves inline step states into steps/<id>/, leaves plain
// incident JSON in incidents, and anchors each existing timeline with a head
// built from its last entry (schema 1 kept no head).
func migrate1to2(tx *bbolt.Tx) error {
	incidents, err := tx.CreateBucketIfNotExists(bucketIncidents)
	if err != nil {
		return err
	}
	// Collect first: bbolt forbids writing to a bucket inside its ForEach.
	old := map[string]v1Incident{}
	if err := incidents.ForEach(func(k, v []byte) error {
		var rec v1Incident
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("incident %s: %w", k, err)
		}
		old[string(k)] = rec
		return nil
	}); err != nil {
		return err
	}
	steps, err := tx.CreateBucketIfNotExists(bucketSteps)
	if err != nil {
		return err
	}
	timeline, err := tx.CreateBucketIfNotExists(bucketTimeline)
	if err != nil {
		return err
	}
	heads, err := tx.CreateBucketIfNotExists(bucketHeads)
	if err != nil {
		return err
	}
	for id, rec := range old {
		var inc app.Incident
		if err := json.Unmarshal(rec.Incident, &inc); err != nil || inc.ID != id {
			return fmt.Errorf("incident %s: the record does not hold that incident", id)
		}
		if err := incidents.Put([]byte(id), rec.Incident); err != nil {
			return err
		}
		sb, err := steps.CreateBucketIfNotExists([]byte(id))
		if err != nil {
			return err
		}
		for stepID, raw := range rec.Steps {
			var st app.StepState
			if err := json.Unmarshal(raw, &st); err != nil {
				return fmt.Errorf("incident %s step %s: %w", id, stepID, err)
			}
			if err := sb.Put([]byte(stepID), raw); err != nil {
				return err
			}
		}
		tb, err := timeline.CreateBucketIfNotExists([]byte(id))
		if err != nil {
			return err
		}
		var head app.Head
		if _, last := tb.Cursor().Last(); last != nil {
			var e app.Entry
			if err := json.Unmarshal(last, &e); err != nil {
				return fmt.Errorf("incident %s last timeline entry: %w", id, err)
			}
			head = app.Head{Seq: e.Seq, Hash: e.Hash}
		}
		if err := putJSON(heads, id, head); err != nil {
			return err
		}
	}
	return nil
}

// migrate2to3 adds the evidence and blobs buckets. Nothing older changes:
// schema 2 had no evidence, so there is nothing to move.
func migrate2to3(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketEvidence, bucketBlobs} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// migrate3to4 adds the change journal. Schema 3 changed no account, so
// there is nothing to move.
func migrate3to4(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketJournal); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketJournal, err)
	}
	return nil
}

// migrate4to5 seals, on each incident's timeline, what schema 4 left
// outside it: the incident's fields, its step states and its evidence
// items, as the file holds them now. Nothing is rewritten: one entry is
// appended per incident (app.MigrationSeal), which says so and names the
// entries that verify only under the older encoding of text that was not
// UTF-8. A timeline that no longer verifies gets the entry too; verify
// still names its first bad entry.
func migrate4to5(tx *bbolt.Tx) error {
	var ids []string
	if err := tx.Bucket(bucketIncidents).ForEach(func(k, _ []byte) error {
		ids = append(ids, string(k))
		return nil
	}); err != nil {
		return err
	}
	now := time.Now().UTC()
	for _, id := range ids {
		c, err := load(tx, id)
		if err != nil {
			return err
		}
		var items []app.Evidence
		if eb := tx.Bucket(bucketEvidence).Bucket([]byte(id)); eb != nil {
			if err := eb.ForEach(func(k, v []byte) error {
				var ev app.Evidence
				if err := json.Unmarshal(v, &ev); err != nil {
					return fmt.Errorf("incident %s evidence %s: %w", id, k, err)
				}
				items = append(items, ev)
				return nil
			}); err != nil {
				return err
			}
		}
		var entries []app.Entry
		if tb := tx.Bucket(bucketTimeline).Bucket([]byte(id)); tb != nil {
			if err := tb.ForEach(func(k, v []byte) error {
				var e app.Entry
				if err := json.Unmarshal(v, &e); err != nil {
					return fmt.Errorf("incident %s timeline entry %x: %w", id, k, err)
				}
				entries = append(entries, e)
				return nil
			}); err != nil {
				return err
			}
		}
		head, err := chainHead(tx, id)
		if err != nil {
			return err
		}
		if _, err := appendEntries(tx, id, head, []app.Entry{app.MigrationSeal(c, items, entries, 5, now)}); err != nil {
			return err
		}
	}
	return nil
}
