package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"

	"s3responder/app"
)

// bucketJournal holds each incident's change journal (schema 4).
var bucketJournal = []byte("journal")

var _ app.JournalStore = (*DB)(nil)

// journalKey is change id, a slash, and the record number as 8 big-endian
// bytes: a change's records sort together and in order, and change ids
// (CHG-<time>-<random>) sort by when they were planned.
func journalKey(change string, seq uint64) []byte {
	return append([]byte(change+"/"), seqKey(seq)...)
}

// lastJournalSeq returns the number of the change's last record, 0 if it
// has none.
func lastJournalSeq(jb *bbolt.Bucket, change string) uint64 {
	prefix := []byte(change + "/")
	var last uint64
	c := jb.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if rest := k[len(prefix):]; len(rest) == 8 {
			last = binary.BigEndian.Uint64(rest)
		}
	}
	return last
}

// AppendJournal writes one journal record, numbered after the change's
// last one, and seals and appends the timeline entries that report it, in
// one transaction of its own: when it returns, an intent is on disk before
// the AWS call it announces is made. The first record of a change must be
// its plan and a plan must be the first; the incident's updatedAt moves
// to the last entry's recordedAt.
func (db *DB) AppendJournal(ctx context.Context, incidentID string, rec app.JournalRecord, entries []app.Entry) (app.JournalRecord, error) {
	if err := ctx.Err(); err != nil {
		return app.JournalRecord{}, fmt.Errorf("write journal of %s: %w", incidentID, err)
	}
	if rec.Change == "" || strings.Contains(rec.Change, "/") {
		return app.JournalRecord{}, fmt.Errorf("write journal of %s: %w: change id %q", incidentID, app.ErrInvalid, rec.Change)
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
		jb, err := tx.Bucket(bucketJournal).CreateBucketIfNotExists([]byte(incidentID))
		if err != nil {
			return fmt.Errorf("journal bucket: %w", err)
		}
		last := lastJournalSeq(jb, rec.Change)
		switch {
		case rec.Kind == app.JournalPlanned && last > 0:
			return fmt.Errorf("%w: change %s already has a plan", app.ErrInvalid, rec.Change)
		case rec.Kind != app.JournalPlanned && last == 0:
			return fmt.Errorf("change %s %w (its plan must come first)", rec.Change, app.ErrNotFound)
		}
		rec.Seq = last + 1
		rec.At = rec.At.UTC()
		raw, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("encode journal record: %w", err)
		}
		if err := jb.Put(journalKey(rec.Change, rec.Seq), raw); err != nil {
			return fmt.Errorf("write journal record: %w", err)
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
		return app.JournalRecord{}, fmt.Errorf("write journal record %s of change %s: %w", rec.Kind, rec.Change, err)
	}
	return rec, nil
}

// Journal returns the incident's journal records ordered by change id and
// record number. The error wraps app.ErrNotFound when there is no such
// incident; an incident without changes has an empty journal.
func (db *DB) Journal(ctx context.Context, incidentID string) ([]app.JournalRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read journal of %s: %w", incidentID, err)
	}
	out := []app.JournalRecord{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if _, err := loadIncident(tx, incidentID); err != nil {
			return err
		}
		jb := tx.Bucket(bucketJournal).Bucket([]byte(incidentID))
		if jb == nil {
			return nil
		}
		return jb.ForEach(func(k, v []byte) error {
			var rec app.JournalRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("decode journal record %q: %w", k, err)
			}
			if !bytes.Equal(k, journalKey(rec.Change, rec.Seq)) {
				return fmt.Errorf("journal record %q holds change %s record %d: the database is damaged", k, rec.Change, rec.Seq)
			}
			out = append(out, rec)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read journal of %s: %w", incidentID, err)
	}
	return out, nil
}
