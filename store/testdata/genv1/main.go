// Command genv1 writes a schema version 1 incident database, the layout of
// S3 Responder's first release, so the store's migration to the current
// schema is tested against a real file rather than a description of one.
//
//	go run ./store/testdata/genv1 store/testdata/v1.db
//
// Schema 1 keeps each incident's step states inline in its incidents value
// and has no heads bucket; see store/SCHEMA.md.
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

// v1Record is a schema 1 incidents value, frozen here as it was written.
type v1Record struct {
	Incident app.Incident             `json:"incident"`
	Steps    map[string]app.StepState `json:"steps"`
}

// fixture is one incident of the generated file.
type fixture struct {
	rec     v1Record
	entries []app.Entry
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genv1 OUT.db")
		os.Exit(2)
	}
	if err := write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "genv1:", err)
		os.Exit(1)
	}
}

func write(out string) error {
	if err := os.Remove(out); err != nil && !os.IsNotExist(err) {
		return err
	}
	db, err := bbolt.Open(out, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	playbook := []byte("id: team-s3\ntitle: Team S3 variant\nversion: \"1\"\nparts:\n  - id: p1\n    title: Look\n")
	sum := sha256.Sum256(playbook)
	err = db.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		if err := meta.Put([]byte("version"), []byte("1")); err != nil {
			return err
		}
		pbs, err := tx.CreateBucket([]byte("playbooks"))
		if err != nil {
			return err
		}
		if err := pbs.Put([]byte(hex.EncodeToString(sum[:])), playbook); err != nil {
			return err
		}
		incidents, err := tx.CreateBucket([]byte("incidents"))
		if err != nil {
			return err
		}
		timeline, err := tx.CreateBucket([]byte("timeline"))
		if err != nil {
			return err
		}
		for _, f := range fixtures() {
			id := f.rec.Incident.ID
			raw, err := json.Marshal(f.rec)
			if err != nil {
				return err
			}
			if err := incidents.Put([]byte(id), raw); err != nil {
				return err
			}
			tb, err := timeline.CreateBucket([]byte(id))
			if err != nil {
				return err
			}
			prev := app.GenesisHash
			for i, e := range f.entries {
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
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return err
	}
	return db.Close()
}

// fixtures returns two incidents: one mid-way with a decision and a pending
// detour, one closed with a skipped step, each with a short timeline.
func fixtures() []fixture {
	t0 := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	ref := app.PlaybookRef{ID: "aws-irp-s3-data-access", Version: "2025.1", SHA256: "5f1d0c7e9a3b2f4d6e8a0c1b3d5f7e9a1c3b5d7f9e1a3c5b7d9f1e3a5c7b9d1f"}
	entry := func(at time.Time, kind app.Kind, text string, refs ...string) app.Entry {
		return app.Entry{EventTime: at, RecordedAt: at.Add(2 * time.Second), Actor: "alice", Kind: kind, Text: text, Refs: refs}
	}
	first := fixture{
		rec: v1Record{
			Incident: app.Incident{
				ID: "INC-20250314-7K3QX9", Title: "Public read on invoices bucket", Ticket: "SEC-412",
				Severity: app.SeverityP2, Classification: "confidential", Status: app.StatusOpen, CurrentPart: 2,
				Accounts: []string{"111122223333"}, Buckets: []string{"acme-invoices"},
				Principals: []string{"arn:aws:iam::111122223333:user/ci-deploy"}, TimeZone: "Europe/Paris",
				Playbook: ref, Jumps: []app.Jump{{FromStep: "p1.s3", To: "p2", Return: "p1.s5"}},
				CreatedAt: t0, UpdatedAt: t0.Add(40 * time.Minute),
			},
			Steps: map[string]app.StepState{
				"p1.s1": {StepID: "p1.s1", Status: app.StepDone, Note: "Alert came from Access Analyzer", By: "alice", At: t0.Add(5 * time.Minute)},
				"p1.s2": {StepID: "p1.s2", Status: app.StepDone, By: "alice", At: t0.Add(12 * time.Minute)},
				"p1.s3": {StepID: "p1.s3", Status: app.StepDone, Choices: []string{"policy"}, By: "alice", At: t0.Add(30 * time.Minute)},
				"p2.s1": {StepID: "p2.s1", Status: app.StepDoing, By: "bob", At: t0.Add(40 * time.Minute)},
			},
		},
		entries: []app.Entry{
			entry(t0, app.KindCreated, "Opened incident \"Public read on invoices bucket\", severity P2"),
			entry(t0.Add(5*time.Minute), app.KindStep, "Step p1.s1 Done", "p1.s1"),
			entry(t0.Add(30*time.Minute), app.KindDecision, "Step p1.s3: which vector? bucket policy", "p1.s3"),
			entry(t0.Add(30*time.Minute), app.KindJump, "Detour from step p1.s3 to Part 2; return to step p1.s5 afterwards", "p1.s3", "p2"),
			entry(t0.Add(40*time.Minute), app.KindNote, "Policy grants s3:GetObject to Principal *"),
		},
	}
	t1 := time.Date(2025, 4, 2, 22, 5, 0, 0, time.UTC)
	second := fixture{
		rec: v1Record{
			Incident: app.Incident{
				ID: "INC-20250402-M8TZ2P", Title: "Exercise: leaked access key", Severity: app.SeverityP4,
				Status: app.StatusClosed, CurrentPart: 5, Exercise: true, Accounts: []string{"444455556666"},
				Buckets: []string{"tabletop-logs", "tabletop-data"}, Playbook: ref,
				CreatedAt: t1, UpdatedAt: t1.Add(3 * time.Hour),
			},
			Steps: map[string]app.StepState{
				"p1.s1": {StepID: "p1.s1", Status: app.StepDone, By: "carol", At: t1.Add(10 * time.Minute)},
				"p3.s2": {StepID: "p3.s2", Status: app.StepSkipped, Note: "No EC2 in the exercise account", By: "carol", At: t1.Add(time.Hour)},
				"p4.s1": {StepID: "p4.s1", Status: app.StepNA, By: "carol", At: t1.Add(2 * time.Hour)},
			},
		},
		entries: []app.Entry{
			entry(t1, app.KindCreated, "Opened exercise incident \"Exercise: leaked access key\", severity P4"),
			entry(t1.Add(time.Hour), app.KindStep, "Step p3.s2 Skipped", "p3.s2"),
			entry(t1.Add(3*time.Hour), app.KindStatus, "Status changed from open to closed"),
		},
	}
	return []fixture{first, second}
}
