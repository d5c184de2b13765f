package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/store"
)

// rottenContent returns other bytes for one stored content, the way a
// damaged or edited database file would.
type rottenContent struct {
	*store.DB
	sha string
}

func (r rottenContent) EvidenceContent(ctx context.Context, sha string) ([]byte, error) {
	data, err := r.DB.EvidenceContent(ctx, sha)
	if sha == r.sha {
		data = append(data, '!')
	}
	return data, err
}

func (e *testEnv) evidence(args ...string) (int, string, string) {
	e.t.Helper()
	e.out.Reset()
	e.errb.Reset()
	e.env[EnvDB] = e.db
	code := runEvidence(context.Background(), args, e.deps)
	return code, e.out.String(), e.errb.String()
}

func TestEvidenceCommands(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()

	code, out, errOut := e.evidence(id, "list")
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, "No evidence yet for "+id+".\n", out)

	shot := filepath.Join(e.dir, "console screenshot.png")
	png := []byte("\x89PNG\r\n\x1a\n" + strings.Repeat("x", 100))
	require.NoError(t, os.WriteFile(shot, png, 0o600))
	mail := filepath.Join(e.dir, "report-from-researcher")
	require.NoError(t, os.WriteFile(mail, []byte("From: researcher@example.com\nYour bucket is public.\n"), 0o600))

	code, out, errOut = e.evidence(id, "add", shot)
	require.Equal(t, exitOK, code, errOut)
	assert.Regexp(t, `^Added EV-\d{8}T\d{6}-[0-9a-f]{8} to `+id+`: console screenshot.png \(108 bytes, sha256 `+app.HashHex(png)+`\)\n$`, out)
	code, _, errOut = e.evidence("add", "--title", "Email from the researcher", id, mail)
	require.Equal(t, exitOK, code, errOut)
	code, _, errOut = e.evidence("add", id, mail) // the same file again: its own item
	require.Equal(t, exitOK, code, errOut)

	code, out, errOut = e.evidence("list", id, "--json")
	require.Equal(t, exitOK, code, errOut)
	var items []app.Evidence
	require.NoError(t, json.Unmarshal([]byte(out), &items))
	require.Len(t, items, 3)
	byTitle := map[string]app.Evidence{}
	for _, ev := range items {
		byTitle[ev.Title] = ev
		assert.Equal(t, app.EvidenceFile, ev.Kind)
		assert.Equal(t, "tester", ev.CollectedBy)
		require.NotEmpty(t, ev.Custody)
		assert.Equal(t, "collected", ev.Custody[0].Action)
	}
	assert.Equal(t, "image/png", byTitle["console screenshot.png"].MediaType)
	assert.Equal(t, shot, byTitle["console screenshot.png"].Source.File)
	assert.Equal(t, "text/plain; charset=utf-8", byTitle["Email from the researcher"].MediaType, "sniffed when the name says nothing")
	assert.NotEqual(t, items[1].ID, items[2].ID)

	code, out, errOut = e.evidence(id, "list")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "ID  ")
	assert.Contains(t, out, "console screenshot.png\n")
	assert.Contains(t, out, "3 items.")

	code, out, errOut = e.evidence(id, "verify")
	require.Equal(t, exitOK, code, errOut)
	assert.Equal(t, "evidence of "+id+" verified: 3 items, every SHA-256 matches\n", out)
	code, out, _ = e.evidence("list", id, "--json")
	require.Equal(t, exitOK, code)
	require.NoError(t, json.Unmarshal([]byte(out), &items))
	assert.Equal(t, "verified", items[0].Custody[len(items[0].Custody)-1].Action, "verification is in the chain of custody")

	t.Run("a damaged item is named and the exit status is 1", func(t *testing.T) {
		bad := byTitle["console screenshot.png"]
		e.wrap = func(st app.Store) app.Store { return rottenContent{DB: st.(*store.DB), sha: bad.SHA256} }
		defer func() { e.wrap = nil }()
		code, out, errOut := e.evidence("verify", id)
		assert.Equal(t, exitFail, code)
		assert.Contains(t, out, "evidence of "+id+" is NOT intact: 1 of 3 items fail:\n  "+bad.ID+": content does not match its SHA-256\n")
		assert.Contains(t, errOut, "does not verify: "+bad.ID)
	})
	t.Run("mistakes", func(t *testing.T) {
		code, _, errOut := e.evidence(id, "add", filepath.Join(e.dir, "missing.txt"))
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "missing.txt")
		code, _, errOut = e.evidence(id, "add", e.dir)
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "is a folder")
		code, _, _ = e.evidence(id, "shred")
		assert.Equal(t, exitUsage, code)
		code, _, errOut = e.evidence("INC-20000101-AAAAAA", "list")
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "not found")
		code, out, _ := e.evidence("--help")
		assert.Equal(t, exitOK, code)
		assert.Contains(t, out, "Usage: s3responder evidence ID list")
	})
}

// `verify ID` checks the evidence as well as the timeline, as the spec asks.
func TestVerifyChecksEvidenceToo(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident("--severity", "P2")
	file := filepath.Join(e.dir, "note.txt")
	require.NoError(t, os.WriteFile(file, []byte("seen at 08:14"), 0o600))
	code, _, errOut := e.evidence(id, "add", file)
	require.Equal(t, exitOK, code, errOut)

	code, out, errOut := e.run("verify", id)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "timeline of "+id+" verified:")
	assert.Contains(t, out, "evidence of "+id+" verified: 1 item, every SHA-256 matches")

	var items []app.Evidence
	_, listed, _ := e.evidence(id, "list", "--json")
	require.NoError(t, json.Unmarshal([]byte(listed), &items))
	e.wrap = func(st app.Store) app.Store { return rottenContent{DB: st.(*store.DB), sha: items[0].SHA256} }
	defer func() { e.wrap = nil }()
	code, out, _ = e.run("verify", id)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "timeline of "+id+" verified:", "the timeline itself is intact")
	assert.Contains(t, out, items[0].ID+": content does not match its SHA-256")
}
