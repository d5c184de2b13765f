// Command genv4 writes a schema version 4 incident database as builds of
// that schema left it: nothing but the timeline sealed, and a note and a
// step note typed with bytes that are not UTF-8, hashed the way those
// builds did (encoding/json's \ufffd escape) although the file stores the
// U+FFFD character. The migration to schema 5 is tested against it.
//
//	go run ./store/testdata/genv4 store/testdata/v4.db
//
// The hash is computed here, not by app.Entry.Seal, so that the file keeps
// the old encoding whatever the current code does.
package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"go.etcd.io/bbolt"

	"s3responder/app"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genv4 OUT.db")
		os.Exit(2)
	}
	if err := write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "genv4:", err)
		os.Exit(1)
	}
}

// putJSON stores v as JSON under key, as schema 3 does for every value.
func putJSON(b *bbolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

func hexSum(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func write(out string) error {
	if err := os.Remove(out); err != nil && !os.IsNotExist(err) {
		return err
	}
	db, err := bbolt.Open(out, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	playbook := []byte("id: team-s3\ntitle: Team S3 variant\nversion: \"3\"\nparts:\n  - id: p1\n    title: Look\n")
	inc, steps, entries, ev, content := fixture()
	err = db.Update(func(tx *bbolt.Tx) error {
		names := []string{"meta", "incidents", "steps", "timeline", "heads", "playbooks", "evidence", "blobs", "journal"}
		bs := map[string]*bbolt.Bucket{}
		for _, n := range names {
			b, err := tx.CreateBucket([]byte(n))
			if err != nil {
				return err
			}
			bs[n] = b
		}
		if err := bs["meta"].Put([]byte("version"), []byte("4")); err != nil {
			return err
		}
		if err := bs["playbooks"].Put([]byte(hexSum(playbook)), playbook); err != nil {
			return err
		}
		if err := putJSON(bs["incidents"], inc.ID, inc); err != nil {
			return err
		}
		sb, err := bs["steps"].CreateBucket([]byte(inc.ID))
		if err != nil {
			return err
		}
		for id, st := range steps {
			if err := putJSON(sb, id, st); err != nil {
				return err
			}
		}
		eb, err := bs["evidence"].CreateBucket([]byte(inc.ID))
		if err != nil {
			return err
		}
		if err := putJSON(eb, ev.ID, ev); err != nil {
			return err
		}
		if err := bs["blobs"].Put([]byte(ev.SHA256), content); err != nil {
			return err
		}
		tb, err := bs["timeline"].CreateBucket([]byte(inc.ID))
		if err != nil {
			return err
		}
		head := app.Head{}
		prev := app.GenesisHash
		for i, e := range entries {
			legacySeal(&e, uint64(i+1), prev)
			prev = e.Hash
			raw, err := json.Marshal(e)
			if err != nil {
				return err
			}
			key := make([]byte, 8)
			binary.BigEndian.PutUint64(key, e.Seq)
			if err := tb.Put(key, raw); err != nil {
				return err
			}
			head = app.Head{Seq: e.Seq, Hash: e.Hash}
		}
		return putJSON(bs["heads"], inc.ID, head)
	})
	if err != nil {
		_ = db.Close()
		return err
	}
	return db.Close()
}

// legacySeal is app.Entry.Seal as schema 4 builds had it: the raw fields
// marshalled, so bytes that are not UTF-8 are hashed as \ufffd escapes.
func legacySeal(e *app.Entry, seq uint64, prev string) {
	e.Seq, e.PrevHash = seq, prev
	e.EventTime, e.RecordedAt = e.EventTime.UTC(), e.RecordedAt.UTC()
	canon := struct {
		Seq        uint64   `json:"seq"`
		EventTime  string   `json:"eventTime"`
		RecordedAt string   `json:"recordedAt"`
		Actor      string   `json:"actor"`
		Kind       app.Kind `json:"kind"`
		Text       string   `json:"text"`
		Refs       []string `json:"refs"`
		PrevHash   string   `json:"prevHash"`
	}{e.Seq, e.EventTime.Format(time.RFC3339Nano), e.RecordedAt.Format(time.RFC3339Nano), e.Actor, e.Kind, e.Text, e.Refs, e.PrevHash}
	raw, err := json.Marshal(canon)
	if err != nil {
		panic(err)
	}
	e.Hash = hexSum(raw)
}

// fixture returns one incident in containment with step states, one
// evidence item and its content, and a timeline that records the item.
func fixture() (app.Incident, map[string]app.StepState, []app.Entry, app.Evidence, []byte) {
	t0 := time.Date(2026, 2, 11, 8, 40, 0, 0, time.UTC)
	inc := app.Incident{
		ID: "INC-20260211-M3KP8D", Title: "Public listing of exports bucket", Ticket: "SEC-1204",
		Severity: app.SeverityP2, Classification: "internal", Status: app.StatusOpen, CurrentPart: 2,
		Accounts: []string{"444455556666"}, Buckets: []string{"acme-exports"}, TimeZone: "Europe/Berlin",
		Playbook:  app.PlaybookRef{ID: "aws-irp-s3-data-access", Version: "2026.1", SHA256: "4b1d6f0e8a2c4e6a8c0e2a4c6e8a0c2e4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e4a"},
		CreatedAt: t0, UpdatedAt: t0.Add(20 * time.Minute),
		Times: app.KeyTimes{Detected: t0, Reported: t0.Add(2 * time.Minute)},
	}
	steps := map[string]app.StepState{
		"p1.s1": {StepID: "p1.s1", Status: app.StepDone, Note: "Access Analyzer finding \xfe\xff", By: "kim", At: t0.Add(5 * time.Minute)},
		"p2.s1": {StepID: "p2.s1", Status: app.StepDoing, Choices: []string{"policy"}, By: "kim", At: t0.Add(15 * time.Minute)},
	}
	content := []byte(`{"Policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:ListBucket\",\"Resource\":\"arn:aws:s3:::acme-exports\"}]}"}`)
	at := t0.Add(20 * time.Minute)
	ev := app.Evidence{
		ID: "EV-20260211T090000-" + hexSum(content)[:8], Title: "policy of bucket acme-exports", Kind: "aws-response",
		MediaType: "application/json", FileName: "acme-exports-policy.json", Size: int64(len(content)), SHA256: hexSum(content),
		Source:      app.Source{Account: "444455556666", Region: "eu-central-1", API: "GetBucketPolicy", Params: map[string]string{"Bucket": "acme-exports"}},
		CollectedAt: at, CollectedBy: "arn:aws:sts::444455556666:assumed-role/IR/kim",
		Custody: []app.CustodyEvent{{At: at, Actor: "kim", Action: "collected", Note: "sha256 " + hexSum(content)}},
	}
	entry := func(at time.Time, actor string, kind app.Kind, text string, refs ...string) app.Entry {
		return app.Entry{EventTime: at, RecordedAt: at.Add(time.Second), Actor: actor, Kind: kind, Text: text, Refs: refs}
	}
	entries := []app.Entry{
		entry(t0, "kim", app.KindCreated, "Opened incident \"Public listing of exports bucket\", severity P2"),
		entry(t0.Add(5*time.Minute), "kim", app.KindStep, "Step p1.s1 Done", "p1.s1"),
		entry(t0.Add(6*time.Minute), "kim", app.KindNote, "Note on step p1.s1: Access Analyzer finding \xfe\xff", "p1.s1"),
		entry(t0.Add(7*time.Minute), "kim", app.KindNote, "GetObject from x\xffy"),
		entry(t0.Add(15*time.Minute), "kim", app.KindDecision, "Step p2.s1: which vector? bucket policy", "p2.s1"),
		entry(at, "kim", app.KindEvidence, fmt.Sprintf("Evidence %s collected: %s (%d bytes, sha256 %s)", ev.ID, ev.Title, ev.Size, ev.SHA256), ev.ID),
	}
	return inc, steps, entries, ev, content
}
