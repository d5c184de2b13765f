package cli

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

func (e *testEnv) notes(id string) []entryView {
	e.t.Helper()
	var entries []entryView
	require.NoError(e.t, json.Unmarshal([]byte(e.must("timeline", id, "--json")), &entries))
	var out []entryView
	for _, en := range entries {
		if en.Kind == app.KindNote {
			out = append(out, en)
		}
	}
	return out
}

func (e *testEnv) writeFile(name string, data []byte) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	require.NoError(e.t, os.WriteFile(p, data, 0o600))
	return p
}

func utf16LE(s string) []byte {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

const timedNotes = "2026-11-26T08:14:00Z\tGetObject from 203.0.113.7\r\n2026-11-26T08:20:00Z\tListBucket by Zoë\r\n"

func TestANoteFileWithAByteOrderMarkKeepsTheFirstLinesTime(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	e.must("note", id, "--file", e.writeFile("bom.txt", append([]byte{0xEF, 0xBB, 0xBF}, timedNotes...)))
	notes := e.notes(id)
	require.Len(t, notes, 2)
	assert.Equal(t, "GetObject from 203.0.113.7", notes[0].Text)
	assert.Equal(t, "2026-11-26T08:14:00Z", notes[0].EventTime.UTC().Format("2006-01-02T15:04:05Z"))
}

func TestANoteFileInUTF16IsSavedAsText(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	e.must("note", id, "--file", e.writeFile("utf16.txt", utf16LE(timedNotes)))
	notes := e.notes(id)
	require.Len(t, notes, 2)
	assert.Equal(t, "GetObject from 203.0.113.7", notes[0].Text)
	assert.Equal(t, "ListBucket by Zoë", notes[1].Text)
	assert.Equal(t, "2026-11-26T08:20:00Z", notes[1].EventTime.UTC().Format("2006-01-02T15:04:05Z"))
}

func TestAZeroTimeIsRefusedNotTakenAsNow(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	file := e.writeFile("zero.txt", []byte("0001-01-01T00:00:00Z\tsomething happened\nkept\n"))
	code, out, errOut := e.run("note", id, "--file", file, "--db", e.db)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "zero.txt:1:")
	assert.Contains(t, errOut, "zero time")
	assert.Contains(t, out, "line 2 saved")
	require.Len(t, e.notes(id), 1)

	code, _, errOut = e.run("note", id, "text", "--at", "0001-01-01T00:00:00Z", "--db", e.db)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "zero time")
}

func TestALineOverTheLimitIsSkippedAndTheRestImported(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	huge := strings.Repeat("x", maxNoteLine+1)
	file := e.writeFile("huge.txt", []byte("first\n"+huge+"\nthird\n"))
	code, out, errOut := e.run("note", id, "--file", file, "--db", e.db)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "huge.txt:2: the line is longer than 4 MiB; skipped")
	assert.Contains(t, out, "line 1 saved")
	assert.Contains(t, out, "line 3 saved")
	assert.Len(t, e.notes(id), 2)

	// --from starts at the line it names, past the long one.
	out = e.must("note", id, "--file", file, "--from", "3")
	assert.Equal(t, "line 3 saved\nImported 1 notes from "+file+" into "+id+"\n", out)
	// A line of exactly the limit is a note.
	e.must("note", id, "--file", e.writeFile("limit.txt", []byte(strings.Repeat("y", maxNoteLine)+"\r\n")))
	assert.Len(t, e.notes(id), 4)
}

// fullDiskStore fails every update after the first n with ENOSPC, as a
// full disk makes bbolt's write fail.
type fullDiskStore struct {
	app.Store
	n, calls int
}

func (s *fullDiskStore) Update(ctx context.Context, id string, fn func(c *app.Case) ([]app.Entry, error)) (app.Case, error) {
	s.calls++
	if s.calls > s.n {
		return app.Case{}, fmt.Errorf("write incident %s: %w", id, syscall.ENOSPC)
	}
	return s.Store.Update(ctx, id, fn)
}

func TestAFullDiskStopsTheImportWithOneClearError(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	var lines strings.Builder
	for i := range 50 {
		fmt.Fprintf(&lines, "observation %d\n", i+1)
	}
	file := e.writeFile("many.txt", []byte(lines.String()))
	full := &fullDiskStore{n: 2}
	e.wrap = func(s app.Store) app.Store { full.Store = s; return full }
	code, out, errOut := e.run("note", id, "--file", file, "--db", e.db)
	e.wrap = nil
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "line 2 saved")
	assert.NotContains(t, out, "line 3 saved")
	assert.Equal(t, 3, full.calls, "nothing is tried after the first failure")
	assert.Contains(t, errOut, "no space left on device")
	assert.Contains(t, errOut, "resume with --from 3")
	assert.Equal(t, 1, strings.Count(errOut, "not saved"), errOut)
	assert.Len(t, e.notes(id), 2)
}

func TestNoteHelpSaysFromStartsAtTheLineItNames(t *testing.T) {
	e := newEnv(t)
	code, out, _ := e.run("note", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "--from LINE\nstarts at line LINE")
}
