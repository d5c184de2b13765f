package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"

	"s3responder/app"
)

// Create stores a new incident with its step states and seals its first
// timeline entries. It refuses an id that is already taken.
func (db *DB) Create(ctx context.Context, c app.Case, entries []app.Entry) error {
	id := c.Incident.ID
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create incident %s: %w", id, err)
	}
	if id == "" {
		return fmt.Errorf("create incident: %w: the incident has no id", app.ErrInvalid)
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := claimID(tx, id); err != nil {
			return err
		}
		return save(tx, c, app.Head{}, entries)
	})
	if err != nil {
		return fmt.Errorf("create incident %s: %w", id, err)
	}
	return nil
}

// Load returns the incident and its step states; the error wraps
// app.ErrNotFound when there is no such incident.
func (db *DB) Load(ctx context.Context, id string) (app.Case, error) {
	if err := ctx.Err(); err != nil {
		return app.Case{}, fmt.Errorf("load incident %s: %w", id, err)
	}
	var c app.Case
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		c, err = load(tx, id)
		return err
	})
	if err != nil {
		return app.Case{}, fmt.Errorf("load incident %s: %w", id, err)
	}
	return c, nil
}

// List returns every incident in id order (ids start with the creation
// date, so that is roughly oldest first); callers sort as they need.
func (db *DB) List(ctx context.Context) ([]app.Incident, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	out := []app.Incident{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketIncidents).ForEach(func(k, v []byte) error {
			var inc app.Incident
			if err := json.Unmarshal(v, &inc); err != nil {
				return fmt.Errorf("decode incident %s: %w", k, err)
			}
			out = append(out, inc)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return out, nil
}

// Update loads the case, lets fn change it, then writes the case and seals
// and appends the entries fn returned, all in one transaction. If fn fails
// nothing is written and its error comes back wrapped.
func (db *DB) Update(ctx context.Context, id string, fn func(c *app.Case) ([]app.Entry, error)) (app.Case, error) {
	if err := ctx.Err(); err != nil {
		return app.Case{}, fmt.Errorf("update incident %s: %w", id, err)
	}
	var out app.Case
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		c, err := load(tx, id)
		if err != nil {
			return err
		}
		head, err := chainHead(tx, id)
		if err != nil {
			return err
		}
		entries, err := fn(&c)
		if err != nil {
			return fmt.Errorf("nothing saved: %w", err)
		}
		if c.Incident.ID != id {
			return fmt.Errorf("%w: an update cannot change the incident id (%s to %s)", app.ErrInvalid, id, c.Incident.ID)
		}
		if err := save(tx, c, head, entries); err != nil {
			return err
		}
		out = c
		return nil
	})
	if err != nil {
		return app.Case{}, fmt.Errorf("update incident %s: %w", id, err)
	}
	return out, nil
}

// Timeline returns the incident's entries in stored order with its head,
// without judging them: app.VerifyChain does that. A missing head comes back
// as the zero Head, which VerifyChain reports for a non-empty timeline.
func (db *DB) Timeline(ctx context.Context, id string) ([]app.Entry, app.Head, error) {
	if err := ctx.Err(); err != nil {
		return nil, app.Head{}, fmt.Errorf("read timeline of %s: %w", id, err)
	}
	var (
		entries []app.Entry
		head    app.Head
	)
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketIncidents).Get([]byte(id)) == nil {
			return fmt.Errorf("incident %s %w", id, app.ErrNotFound)
		}
		var err error
		if head, _, err = readHead(tx, id); err != nil {
			return err
		}
		tb := tx.Bucket(bucketTimeline).Bucket([]byte(id))
		if tb == nil {
			return nil
		}
		entries = make([]app.Entry, 0, head.Seq)
		return tb.ForEach(func(k, v []byte) error {
			var e app.Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode timeline entry %x: %w", k, err)
			}
			entries = append(entries, e)
			return nil
		})
	})
	if err != nil {
		return nil, app.Head{}, fmt.Errorf("read timeline of %s: %w", id, err)
	}
	return entries, head, nil
}

// SavePlaybook keeps a custom playbook's bytes under their SHA-256. The
// hash is checked so an incident's pin can never point at other text.
func (db *DB) SavePlaybook(ctx context.Context, sha string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save playbook %s: %w", sha, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != sha {
		return fmt.Errorf("save playbook %s: %w: the bytes hash to %s", sha, app.ErrInvalid, got)
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketPlaybooks).Put([]byte(sha), data)
	})
	if err != nil {
		return fmt.Errorf("save playbook %s: %w", sha, err)
	}
	return nil
}

// Playbooks returns every saved playbook's bytes keyed by SHA-256.
func (db *DB) Playbooks(ctx context.Context) (map[string][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read saved playbooks: %w", err)
	}
	out := map[string][]byte{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketPlaybooks).ForEach(func(k, v []byte) error {
			out[string(k)] = bytes.Clone(v) // v dies with the transaction
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read saved playbooks: %w", err)
	}
	return out, nil
}

// load reads one case inside tx. json.Unmarshal copies what it decodes, so
// nothing in the result points into bbolt's memory map.
func load(tx *bbolt.Tx, id string) (app.Case, error) {
	inc, err := loadIncident(tx, id)
	if err != nil {
		return app.Case{}, err
	}
	c := app.Case{Incident: inc, Steps: map[string]app.StepState{}}
	sb := tx.Bucket(bucketSteps).Bucket([]byte(id))
	if sb == nil {
		return c, nil
	}
	err = sb.ForEach(func(k, v []byte) error {
		var st app.StepState
		if err := json.Unmarshal(v, &st); err != nil {
			return fmt.Errorf("decode incident %s step %s: %w", id, k, err)
		}
		c.Steps[string(k)] = st
		return nil
	})
	return c, err
}

// claimID checks that id is free and creates the incident's steps and
// timeline buckets, for Create and Import. CreateBucket, not
// ...IfNotExists: a leftover timeline or evidence under this id would
// otherwise be continued by an unrelated incident.
func claimID(tx *bbolt.Tx, id string) error {
	if tx.Bucket(bucketIncidents).Get([]byte(id)) != nil {
		return fmt.Errorf("%w: incident %s already exists in this database", app.ErrInvalid, id)
	}
	if _, err := tx.Bucket(bucketSteps).CreateBucket([]byte(id)); err != nil {
		return fmt.Errorf("steps bucket: %w", err)
	}
	if _, err := tx.Bucket(bucketTimeline).CreateBucket([]byte(id)); err != nil {
		return fmt.Errorf("timeline bucket: %w", err)
	}
	if tx.Bucket(bucketEvidence).Bucket([]byte(id)) != nil {
		return fmt.Errorf("incident %s is new but evidence is already filed under its id: the database is damaged", id)
	}
	return nil
}

// save writes the incident and its full set of step states, then appends
// the entries to its chain after head.
func save(tx *bbolt.Tx, c app.Case, head app.Head, entries []app.Entry) error {
	if err := putCase(tx, c); err != nil {
		return err
	}
	_, err := appendEntries(tx, c.Incident.ID, head, entries)
	return err
}

// putCase writes the incident and makes its stored step states exactly
// c.Steps: a step dropped from the case is deleted.
func putCase(tx *bbolt.Tx, c app.Case) error {
	id := c.Incident.ID
	if err := putJSON(tx.Bucket(bucketIncidents), id, c.Incident); err != nil {
		return err
	}
	sb, err := tx.Bucket(bucketSteps).CreateBucketIfNotExists([]byte(id))
	if err != nil {
		return fmt.Errorf("steps bucket: %w", err)
	}
	var gone [][]byte
	if err := sb.ForEach(func(k, _ []byte) error {
		if _, ok := c.Steps[string(k)]; !ok {
			gone = append(gone, bytes.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range gone {
		if err := sb.Delete(k); err != nil {
			return fmt.Errorf("delete step %s: %w", k, err)
		}
	}
	for stepID, st := range c.Steps {
		if err := putJSON(sb, stepID, st); err != nil {
			return err
		}
	}
	return nil
}

// appendEntries is the one place entries join a timeline: each is sealed
// with the next sequence number and the hash before it, written, and the
// head moved to it; the new head is stored and returned. Every write path
// (Create, Update, AddEvidence) goes through here so they cannot disagree
// on how a chain grows.
func appendEntries(tx *bbolt.Tx, id string, head app.Head, entries []app.Entry) (app.Head, error) {
	tb := tx.Bucket(bucketTimeline).Bucket([]byte(id))
	if tb == nil {
		return app.Head{}, fmt.Errorf("incident %s has no timeline bucket: the database is damaged", id)
	}
	for _, e := range entries {
		prev := head.Hash
		if head.Seq == 0 {
			prev = app.GenesisHash
		}
		e.Seal(head.Seq+1, prev)
		if tb.Get(seqKey(e.Seq)) != nil {
			return app.Head{}, fmt.Errorf("incident %s already has timeline entry %d beyond its head: the database is damaged", id, e.Seq)
		}
		if err := putEntry(tb, e); err != nil {
			return app.Head{}, err
		}
		head = app.Head{Seq: e.Seq, Hash: e.Hash}
	}
	if err := putJSON(tx.Bucket(bucketHeads), id, head); err != nil {
		return app.Head{}, err
	}
	return head, nil
}

// putEntry writes an entry, already sealed, under its sequence number.
func putEntry(tb *bbolt.Bucket, e app.Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode timeline entry %d: %w", e.Seq, err)
	}
	if err := tb.Put(seqKey(e.Seq), b); err != nil {
		return fmt.Errorf("write timeline entry %d: %w", e.Seq, err)
	}
	return nil
}

// chainHead returns the head a write appends after. A missing head is
// damage, not an empty timeline: appending without one would restart at
// seq 1 and overwrite the first entries.
func chainHead(tx *bbolt.Tx, id string) (app.Head, error) {
	head, ok, err := readHead(tx, id)
	if err != nil {
		return app.Head{}, err
	}
	if !ok {
		return app.Head{}, fmt.Errorf("incident %s has no timeline head: the database is damaged", id)
	}
	return head, nil
}

// readHead returns the incident's chain head and whether one is stored.
func readHead(tx *bbolt.Tx, id string) (app.Head, bool, error) {
	raw := tx.Bucket(bucketHeads).Get([]byte(id))
	if raw == nil {
		return app.Head{}, false, nil
	}
	var h app.Head
	if err := json.Unmarshal(raw, &h); err != nil {
		return app.Head{}, false, fmt.Errorf("decode timeline head of %s: %w", id, err)
	}
	return h, true, nil
}

// putJSON stores v as JSON under key.
func putJSON(b *bbolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	if err := b.Put([]byte(key), raw); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}
