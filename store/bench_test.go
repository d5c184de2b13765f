package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// BenchmarkAppendEntry measures one Update that appends one entry: the cost
// of every click in the wizard, dominated by bbolt's fsync on commit.
func BenchmarkAppendEntry(b *testing.B) {
	ctx := context.Background()
	db := openAt(b, filepath.Join(b.TempDir(), "bench.db"))
	const id = "INC-20260101-AAAAAA"
	require.NoError(b, db.Create(ctx, sampleCase(id), nil))
	e := entryAt(0, "Step p1.s2 Done: identify the affected buckets")
	for b.Loop() {
		if _, err := db.Update(ctx, id, func(*app.Case) ([]app.Entry, error) { return []app.Entry{e}, nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadTimeline10k measures reading a long incident's timeline, as
// the timeline view and the report do on every open.
func BenchmarkLoadTimeline10k(b *testing.B) {
	ctx := context.Background()
	db := openAt(b, filepath.Join(b.TempDir(), "bench.db"))
	const id = "INC-20260101-AAAAAA"
	entries := make([]app.Entry, 10_000)
	for i := range entries {
		entries[i] = entryAt(i, "Note: bucket policy reviewed, principal list checked against the access log")
	}
	require.NoError(b, db.Create(ctx, sampleCase(id), entries))
	for b.Loop() {
		got, _, err := db.Timeline(ctx, id)
		if err != nil || len(got) != len(entries) {
			b.Fatalf("timeline: %d entries, %v", len(got), err)
		}
	}
}
