package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"s3responder/app"
)

// AddEvidence saves an evidence item, its content and the timeline entries
// that record it in one transaction, so the timeline never mentions an item
// the database does not hold, nor holds an item the timeline never
// mentioned. The incident's UpdatedAt moves to the last entry's RecordedAt.
// The content must hash to ev.SHA256 and the item id must be new.
func (db *DB) AddEvidence(ctx context.Context, incidentID string, ev app.Evidence, content []byte, entries []app.Entry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("add evidence %s to incident %s: %w", ev.ID, incidentID, err)
	}
	if err := checkItem(ev, content); err != nil {
		return fmt.Errorf("add evidence %s to incident %s: %w", ev.ID, incidentID, err)
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		inc, err := loadIncident(tx, incidentID)
		if err != nil {
			return err
		}
		head, err := chainHead(tx, incidentID)
		if err != nil {
			return err
		}
		eb, err := tx.Bucket(bucketEvidence).CreateBucketIfNotExists([]byte(incidentID))
		if err != nil {
			return fmt.Errorf("evidence bucket: %w", err)
		}
		if eb.Get([]byte(ev.ID)) != nil {
			return fmt.Errorf("%w: evidence %s already exists", app.ErrInvalid, ev.ID)
		}
		if err := putBlob(tx, ev.SHA256, content); err != nil {
			return err
		}
		if err := putJSON(eb, ev.ID, ev); err != nil {
			return err
		}
		if n := len(entries); n > 0 {
			if at := entries[n-1].RecordedAt.UTC(); at.After(inc.UpdatedAt) {
				inc.UpdatedAt = at
				if err := putJSON(tx.Bucket(bucketIncidents), incidentID, inc); err != nil {
					return err
				}
			}
		}
		_, err = appendEntries(tx, incidentID, head, entries)
		return err
	})
	if err != nil {
		return fmt.Errorf("add evidence %s to incident %s: %w", ev.ID, incidentID, err)
	}
	return nil
}

// Evidence returns the incident's evidence items ordered by collection
// time, then id, so lists and reports read in the order things were found.
// The error wraps app.ErrNotFound when there is no such incident.
func (db *DB) Evidence(ctx context.Context, incidentID string) ([]app.Evidence, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read evidence of %s: %w", incidentID, err)
	}
	out := []app.Evidence{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if _, err := loadIncident(tx, incidentID); err != nil {
			return err
		}
		eb := tx.Bucket(bucketEvidence).Bucket([]byte(incidentID))
		if eb == nil {
			return nil // no evidence collected yet
		}
		return eb.ForEach(func(k, v []byte) error {
			var ev app.Evidence
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("decode evidence %s: %w", k, err)
			}
			out = append(out, ev)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read evidence of %s: %w", incidentID, err)
	}
	slices.SortStableFunc(out, func(a, b app.Evidence) int {
		return cmp.Or(a.CollectedAt.Compare(b.CollectedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// EvidenceContent returns a copy of the content stored under sha, exactly
// as stored: it does not check the hash, because VerifyEvidence needs to
// see damaged content to report it. The error wraps app.ErrNotFound when
// nothing is stored under sha.
func (db *DB) EvidenceContent(ctx context.Context, sha string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read evidence content %s: %w", sha, err)
	}
	var out []byte
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketBlobs).Get([]byte(sha))
		if v == nil {
			return fmt.Errorf("evidence content %s %w", sha, app.ErrNotFound)
		}
		out = bytes.Clone(v) // v dies with the transaction
		if out == nil {
			out = []byte{} // empty content is content, not absence
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read evidence content %s: %w", sha, err)
	}
	return out, nil
}

// AddCustody appends a custody event to an evidence item. The error wraps
// app.ErrNotFound when the incident or the item does not exist.
func (db *DB) AddCustody(ctx context.Context, incidentID, evidenceID string, ce app.CustodyEvent) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("record custody of evidence %s: %w", evidenceID, err)
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if _, err := loadIncident(tx, incidentID); err != nil {
			return err
		}
		var raw []byte
		eb := tx.Bucket(bucketEvidence).Bucket([]byte(incidentID))
		if eb != nil {
			raw = eb.Get([]byte(evidenceID))
		}
		if raw == nil {
			return fmt.Errorf("evidence %s of incident %s %w", evidenceID, incidentID, app.ErrNotFound)
		}
		var ev app.Evidence
		if err := json.Unmarshal(raw, &ev); err != nil {
			return fmt.Errorf("decode evidence %s: %w", evidenceID, err)
		}
		ce.At = ce.At.UTC()
		ev.Custody = append(ev.Custody, ce)
		return putJSON(eb, evidenceID, ev)
	})
	if err != nil {
		return fmt.Errorf("record custody of evidence %s: %w", evidenceID, err)
	}
	return nil
}

// checkItem refuses an item the evidence bucket could not hold faithfully:
// without an id it has no key, and content that does not hash to its
// SHA-256 would break the blobs bucket's rule that the key is the hash.
func checkItem(ev app.Evidence, content []byte) error {
	if ev.ID == "" {
		return fmt.Errorf("%w: the evidence item has no id", app.ErrInvalid)
	}
	if got := app.HashHex(content); got != ev.SHA256 {
		return fmt.Errorf("%w: the content hashes to %s, the item says %s", app.ErrInvalid, got, ev.SHA256)
	}
	if int64(len(content)) != ev.Size {
		return fmt.Errorf("%w: the content is %d bytes, the item says %d", app.ErrInvalid, len(content), ev.Size)
	}
	return nil
}

// putBlob stores content under its SHA-256 unless something is already
// there. Blobs are write-once: identical content collected twice (or in
// two incidents) is kept once, and a blob damaged on disk is never quietly
// repaired by a later add, so VerifyEvidence still reports it.
func putBlob(tx *bbolt.Tx, sha string, content []byte) error {
	blobs := tx.Bucket(bucketBlobs)
	if blobs.Get([]byte(sha)) != nil {
		return nil
	}
	if content == nil {
		content = []byte{} // bbolt stores nil and empty alike; be explicit
	}
	if err := blobs.Put([]byte(sha), content); err != nil {
		return fmt.Errorf("write evidence content %s: %w", sha, err)
	}
	return nil
}

// loadIncident reads the incident record alone, for writes that touch
// neither its steps nor its timeline's past.
func loadIncident(tx *bbolt.Tx, id string) (app.Incident, error) {
	raw := tx.Bucket(bucketIncidents).Get([]byte(id))
	if raw == nil {
		return app.Incident{}, fmt.Errorf("incident %s %w", id, app.ErrNotFound)
	}
	var inc app.Incident
	if err := json.Unmarshal(raw, &inc); err != nil {
		return app.Incident{}, fmt.Errorf("decode incident %s: %w", id, err)
	}
	return inc, nil
}
