// Command genv2 writes a schema version 2 incident database, the layout
// before evidence was stored, so the store's migration to the current
// schema is tested against a real file rather than a description of one.
//
//	go run ./store/testdata/genv2 store/testdata/v2.db
//
// Schema 2 has the meta, incidents, steps, timeline, heads and playbooks
// buckets and no evidence or blobs bucket; see store/SCHEMA.md.
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
		fmt.Fprintln(os.Stderr, "usage: genv2 OUT.db")
		os.Exit(2)
	}
	if err := write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "genv2:", err)
		os.Exit(1)
	}
}

// putJSON stores v as JSON under key, as schema 2 does for every value.
func putJSON(b *bbolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

func write(out string) error {
	if err := os.Remove(out); err != nil && !os.IsNotExist(err) {
		return err
	}
	db, err := bbolt.Open(out, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	playbook := []byte("id: team-s3\ntitle: Team S3 variant\nversion: \"2\"\nparts:\n  - id: p1\n    title: Look\n")
	sum := sha256.Sum256(playbook)
	inc, steps, entries := fixture()
	err = db.Update(func(tx *bbolt.Tx) error {
		names := []string{"meta", "incidents", "steps", "timeline", "heads", "playbooks"}
		bs := map[string]*bbolt.Bucket{}
		for _, n := range names {
			b, err := tx.CreateBucket([]byte(n))
			if err != nil {
				return err
			}
			bs[n] = b
		}
		if err := bs["meta"].Put([]byte("version"), []byte("2")); err != nil {
			return err
		}
		if err := bs["playbooks"].Put([]byte(hex.EncodeToString(sum[:])), playbook); err != nil {
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
		tb, err := bs["timeline"].CreateBucket([]byte(inc.ID))
		if err != nil {
			return err
		}
		head := app.Head{}
		prev := app.GenesisHash
		for i, e := range entries {
			e.Seal(uint64(i+1), prev)
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

// fixture returns one incident part-way through containment, with step
// states and a short timeline.
func fixture() (app.Incident, map[string]app.StepState, []app.Entry) {
	t0 := time.Date(2025, 9, 3, 14, 10, 0, 0, time.UTC)
	inc := app.Incident{
		ID: "INC-20250903-Q4WZ7N", Title: "Cross-account read on reports bucket", Ticket: "SEC-977",
		Severity: app.SeverityP1, Classification: "restricted", Status: app.StatusContained, CurrentPart: 3,
		Accounts: []string{"777788889999"}, Buckets: []string{"acme-reports"},
		Principals: []string{"arn:aws:iam::222233334444:role/partner-sync"}, TimeZone: "America/Chicago",
		Playbook:  app.PlaybookRef{ID: "aws-irp-s3-data-access", Version: "2025.2", SHA256: "9c2e4a6b8d0f1e3c5a7b9d1f3e5c7a9b1d3f5e7c9a1b3d5f7e9c1a3b5d7f9e1a"},
		CreatedAt: t0, UpdatedAt: t0.Add(95 * time.Minute),
		Times: app.KeyTimes{Detected: t0, Reported: t0.Add(3 * time.Minute)},
	}
	steps := map[string]app.StepState{
		"p1.s1": {StepID: "p1.s1", Status: app.StepDone, Note: "GuardDuty finding", By: "dana", At: t0.Add(4 * time.Minute)},
		"p2.s1": {StepID: "p2.s1", Status: app.StepDone, Choices: []string{"policy"}, By: "dana", At: t0.Add(50 * time.Minute)},
		"p2.s2": {StepID: "p2.s2", Status: app.StepDone, Note: "partner role removed from the policy", By: "erik", At: t0.Add(95 * time.Minute)},
	}
	entry := func(at time.Time, actor string, kind app.Kind, text string, refs ...string) app.Entry {
		return app.Entry{EventTime: at, RecordedAt: at.Add(time.Second), Actor: actor, Kind: kind, Text: text, Refs: refs}
	}
	entries := []app.Entry{
		entry(t0, "dana", app.KindCreated, "Opened incident \"Cross-account read on reports bucket\", severity P1"),
		entry(t0.Add(4*time.Minute), "dana", app.KindStep, "Step p1.s1 Done", "p1.s1"),
		entry(t0.Add(50*time.Minute), "dana", app.KindDecision, "Step p2.s1: which vector? bucket policy", "p2.s1"),
		entry(t0.Add(95*time.Minute), "erik", app.KindStatus, "Status changed from open to contained"),
	}
	return inc, steps, entries
}
