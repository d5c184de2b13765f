package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// attachFile attaches a file through the pane as the open dialog would.
func attachFile(t *testing.T, p *evidencePane, path string) {
	t.Helper()
	rc, err := storage.Reader(storage.NewFileURI(path))
	require.NoError(t, err)
	p.attachFrom(rc)
}

// writeFile writes content to name in a fresh temp dir.
func writeFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, content, 0o600))
	return path
}

// TestEvidenceAttachAndVerify attaches a file to an incident in a real
// database, finds it listed with its SHA-256, and verifies it.
func TestEvidenceAttachAndVerify(t *testing.T) {
	db, _ := openStore(t, filepath.Join(t.TempDir(), "incidents.db"))
	h := newHarness(t, db, testPlaybook(t))
	ws := h.createIncident("Evidence test", false)
	p := paneOf[*evidencePane](t, ws)
	h.eventually(func() bool { return p.empty.Visible() }, "the empty list says nothing")

	// The button opens a file dialog over the window.
	test.Tap(p.attach)
	top := h.w.Canvas().Overlays().Top()
	require.NotNil(t, top, "Attach file did not open a dialog")
	h.w.Canvas().Overlays().Remove(top)

	content := []byte("GET /customer-exports/2026-02.csv 200 203.0.113.7\n")
	sum := sha256.Sum256(content)
	want := hex.EncodeToString(sum[:])
	attachFile(t, p, writeFile(t, "access-log.txt", content))
	h.eventually(func() bool { return len(p.items) == 1 }, "attached file not listed (last error: %v)", h.u.lastErr)
	require.NoError(t, h.u.lastErr)

	ev := p.items[0]
	assert.Equal(t, want, ev.SHA256)
	assert.Equal(t, int64(len(content)), ev.Size)
	assert.Equal(t, "file", ev.Kind)
	assert.Equal(t, "access-log.txt", ev.Title)
	assert.Equal(t, "access-log.txt", ev.FileName)
	assert.Equal(t, "access-log.txt", ev.Source.File, "the source must be the base name, not a path on this machine")
	assert.Equal(t, "tester", ev.CollectedBy)
	assert.False(t, p.empty.Visible())

	row := p.createRow()
	p.updateRow(0, row)
	r := row.(*evidenceRowBox).row
	assert.Equal(t, "access-log.txt", r.title.Text)
	assert.Equal(t, "sha256 "+want, r.sha.Text)
	assert.Contains(t, r.meta.Text, ev.ID)
	assert.Contains(t, r.meta.Text, fmt.Sprintf("  ·  %d B  ·  ", len(content)))
	assert.Contains(t, r.meta.Text, "by tester")
	assert.Contains(t, r.meta.Text, "1 custody event")
	assert.Contains(t, p.status.Text, "Attached access-log.txt")
	h.eventually(func() bool { return strings.Contains(timelineText(ws), "Evidence "+ev.ID+" collected") }, "attach not on the timeline")

	// The new item is selected and its custody shown.
	assert.Contains(t, p.detail.Text, "SHA-256: "+want)
	assert.Contains(t, p.custody.Text, "collected by tester: sha256 "+want)

	test.Tap(p.verify)
	h.eventually(func() bool { return strings.HasPrefix(p.status.Text, "Verified") }, "verify did not pass: %q (last error: %v)", p.status.Text, h.u.lastErr)
	assert.Equal(t, "Verified: all 1 item match their SHA-256. A custody event records the check.", p.status.Text)
	h.eventually(func() bool { return len(p.items) == 1 && len(p.items[0].Custody) == 2 }, "verification not in the chain of custody")
	assert.Contains(t, p.custody.Text, "2. ")
	assert.Contains(t, p.custody.Text, "verified by tester")
	require.NoError(t, h.u.lastErr)
}

// TestEvidenceFailures: a store that refuses the item and content that no
// longer matches its hash are both said in words.
func TestEvidenceFailures(t *testing.T) {
	st := newMemStore()
	h := newHarness(t, st, testPlaybook(t))
	ws := h.createIncident("Evidence trouble", false)
	p := paneOf[*evidencePane](t, ws)

	st.setFailEvidence(errors.New("write incidents.db: no space left on device"))
	attachFile(t, p, writeFile(t, "mail.eml", []byte("From: researcher")))
	h.eventually(func() bool { return h.u.lastErr != nil }, "failed attach showed no error")
	assert.True(t, strings.HasPrefix(h.u.lastErr.Error(), "Could not attach mail.eml: "), "got %q", h.u.lastErr)
	assert.Contains(t, h.u.lastErr.Error(), "no space left on device")
	assert.Empty(t, p.items)
	assert.False(t, p.attach.Disabled())
	assert.Equal(t, widget.WarningImportance, p.status.Importance)

	st.setFailEvidence(nil)
	h.u.lastErr = nil
	attachFile(t, p, writeFile(t, "mail.eml", []byte("From: researcher")))
	h.eventually(func() bool { return len(p.items) == 1 }, "attach failed after recovery (last error: %v)", h.u.lastErr)

	st.tamperBlob(p.items[0].SHA256, []byte("From: someone else"))
	test.Tap(p.verify)
	h.eventually(func() bool { return strings.Contains(p.status.Text, "do NOT verify") }, "tampered evidence verified: %q", p.status.Text)
	assert.Equal(t, "1 of 1 items do NOT verify:\n"+p.items[0].ID+": content does not match its SHA-256", p.status.Text)
	assert.Equal(t, widget.DangerImportance, p.status.Importance)
	require.Error(t, h.u.lastErr)
	assert.True(t, strings.HasPrefix(h.u.lastErr.Error(), "The evidence does not verify: "))
}

// TestFileDialogSize: file dialogs use most of the window.
func TestFileDialogSize(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	s := fileDialogSize(h.w)
	assert.InDelta(t, 1024, s.Width, 1)
	assert.InDelta(t, 640, s.Height, 1)
}
