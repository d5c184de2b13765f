package store

import (
	"context"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"s3responder/app"
)

// Import takes in a whole incident exported elsewhere: the content of its
// evidence first (importBlobs), then in one transaction the case, timeline
// entries exactly as sealed (same seq, hashes and times, so the copy
// verifies against the same chain), head and evidence items. It refuses an
// incident id this database already has, and then leaves no content
// behind that nothing names.
//
// The caller (app.Service.ImportBundle) has verified the chain and the
// evidence hashes; Import checks only what the layout itself needs to stay
// coherent: sequence numbers that make distinct, ordered keys, a head that
// counts the entries, unique evidence ids, and content for every item,
// stored under its own SHA-256. Content no item names is not stored.
func (db *DB) Import(ctx context.Context, b app.Bundle, contents map[string][]byte) error {
	id := b.Case.Incident.ID
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import incident %s: %w", id, err)
	}
	if err := checkImport(b, contents); err != nil {
		return fmt.Errorf("import incident %s: %w", id, err)
	}
	added, err := db.importBlobs(b, contents)
	if err != nil {
		return fmt.Errorf("import incident %s: %w", id, err)
	}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := claimID(tx, id); err != nil {
			return err
		}
		if err := putCase(tx, b.Case); err != nil {
			return err
		}
		tb := tx.Bucket(bucketTimeline).Bucket([]byte(id))
		for _, e := range b.Timeline {
			if err := putEntry(tb, e); err != nil {
				return err
			}
		}
		if err := putJSON(tx.Bucket(bucketHeads), id, b.Head); err != nil {
			return err
		}
		if len(b.Evidence) == 0 {
			return nil
		}
		eb, err := tx.Bucket(bucketEvidence).CreateBucket([]byte(id))
		if err != nil {
			return fmt.Errorf("evidence bucket: %w", err)
		}
		for _, ev := range b.Evidence {
			if tx.Bucket(bucketBlobs).Get([]byte(ev.SHA256)) == nil {
				return fmt.Errorf("the content of evidence %s is not in the database: the database is damaged", ev.ID)
			}
			if err := putJSON(eb, ev.ID, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if cerr := db.dropUnreferencedBlobs(added); cerr != nil {
			err = fmt.Errorf("%w (and the content written before it could not be removed: %v)", err, cerr)
		}
		return fmt.Errorf("import incident %s: %w", id, err)
	}
	return nil
}

// importBlobs writes the content of an import before the rest, each blob
// in a transaction of its own, and returns the SHA-256 of those it added.
// One transaction for everything would hold every blob in memory three
// times over (the caller's copy, bbolt's pages, and bbolt's copy when the
// growing file is mapped again); one each bounds that by the largest.
// Blobs are content-addressed and write-once, so one written for an
// import that then fails is harmless and is removed again.
func (db *DB) importBlobs(b app.Bundle, contents map[string][]byte) ([]string, error) {
	var added []string
	for _, ev := range b.Evidence {
		err := db.bolt.Update(func(tx *bbolt.Tx) error {
			if tx.Bucket(bucketBlobs).Get([]byte(ev.SHA256)) != nil {
				return nil
			}
			added = append(added, ev.SHA256)
			return putBlob(tx, ev.SHA256, contents[ev.SHA256])
		})
		if err != nil {
			if cerr := db.dropUnreferencedBlobs(added); cerr != nil {
				err = fmt.Errorf("%w (and the content written before it could not be removed: %v)", err, cerr)
			}
			return nil, err
		}
	}
	return added, nil
}

// dropUnreferencedBlobs removes the blobs of shas that no evidence item
// of any incident names: those a failed import wrote, unless something
// else has come to use them meanwhile.
func (db *DB) dropUnreferencedBlobs(shas []string) error {
	if len(shas) == 0 {
		return nil
	}
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		used := map[string]bool{}
		err := tx.Bucket(bucketEvidence).ForEachBucket(func(k []byte) error {
			return tx.Bucket(bucketEvidence).Bucket(k).ForEach(func(_, v []byte) error {
				var ev struct {
					SHA256 string `json:"sha256"`
				}
				if err := json.Unmarshal(v, &ev); err != nil {
					return fmt.Errorf("decode evidence of %s: %w", k, err)
				}
				used[ev.SHA256] = true
				return nil
			})
		})
		if err != nil {
			return err
		}
		for _, sha := range shas {
			if !used[sha] {
				if err := tx.Bucket(bucketBlobs).Delete([]byte(sha)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// checkImport refuses a bundle that the buckets could not hold as it is:
// entries keyed by seq must be 1..n with the head at n (a gap or repeat
// would drop or reorder entries on write), evidence ids are keys and must
// be unique, and every item's content must be present and filed under its
// real SHA-256, the blobs bucket's one rule.
func checkImport(b app.Bundle, contents map[string][]byte) error {
	if b.Case.Incident.ID == "" {
		return fmt.Errorf("%w: the incident has no id", app.ErrInvalid)
	}
	for i, e := range b.Timeline {
		if e.Seq != uint64(i+1) {
			return fmt.Errorf("%w: timeline entry %d carries sequence number %d", app.ErrInvalid, i+1, e.Seq)
		}
	}
	if n := uint64(len(b.Timeline)); b.Head.Seq != n {
		return fmt.Errorf("%w: the head is at entry %d but the timeline holds %d", app.ErrInvalid, b.Head.Seq, n)
	}
	seen := map[string]bool{}
	for _, ev := range b.Evidence {
		if ev.ID == "" || seen[ev.ID] {
			return fmt.Errorf("%w: evidence ids must be present and unique (%q)", app.ErrInvalid, ev.ID)
		}
		seen[ev.ID] = true
		data, ok := contents[ev.SHA256]
		if !ok {
			return fmt.Errorf("%w: no content for evidence %s (sha256 %s)", app.ErrInvalid, ev.ID, ev.SHA256)
		}
		if got := app.HashHex(data); got != ev.SHA256 {
			return fmt.Errorf("%w: the content of evidence %s hashes to %s, not %s", app.ErrInvalid, ev.ID, got, ev.SHA256)
		}
	}
	return nil
}
