package ui

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// trailTestLog is a small CloudTrail log: two reads by one key from two
// addresses, one bucket policy change by an admin session, one refusal.
const trailTestLog = `{"Records":[
{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/svc","accessKeyId":"AKIAEXAMPLEKEY000001"},
 "eventTime":"2026-03-02T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"203.0.113.5",
 "requestParameters":{"bucketName":"exports","key":"a.csv"},"additionalEventData":{"bytesTransferredOut":2500000},"readOnly":true},
{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/svc","accessKeyId":"AKIAEXAMPLEKEY000001"},
 "eventTime":"2026-03-02T10:05:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"203.0.113.6",
 "requestParameters":{"bucketName":"exports","key":"b.csv"},"additionalEventData":{"bytesTransferredOut":500000},"readOnly":true},
{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/jo","accessKeyId":"ASIAEXAMPLEKEY000002"},
 "eventTime":"2026-03-01T09:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","sourceIPAddress":"198.51.100.1",
 "requestParameters":{"bucketName":"exports"},"readOnly":false},
{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accessKeyId":"AKIAEXAMPLEBOB000003"},
 "eventTime":"2026-03-02T11:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","errorCode":"AccessDenied","sourceIPAddress":"198.51.100.9",
 "requestParameters":{"bucketName":"exports","key":"c.csv"},"readOnly":true}
]}`

func trailTestDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(trailTestLog))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "111122223333_CloudTrail_eu-west-1_20260302T1000Z_x.json.gz"), buf.Bytes(), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "truncated.json"), []byte(`{"Records":[{"eventName":`), 0o644))
	return dir
}

func TestTrailPaneAnalyseSortAndAdd(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	ws := h.createIncident("Exports leaked", false)
	p := newTrailPane(ws).(*trailPane)

	test.Tap(p.runBtn)
	assert.Equal(t, "Add log files or folders first.", p.status.Text)

	dir := trailTestDir(t)
	p.pathEntry.SetText(dir)
	p.pathEntry.OnSubmitted(p.pathEntry.Text)
	p.addPaths(dir)
	require.Equal(t, []string{dir}, p.paths, "a path is listed once")

	p.since.SetText("last tuesday")
	test.Tap(p.runBtn)
	assert.Contains(t, p.status.Text, "Check the filter: since:")
	p.since.SetText("")

	test.Tap(p.runBtn)
	h.eventually(func() bool { return p.res != nil }, "the analysis never finished")
	assert.True(t, p.cancelBtn.Disabled())
	assert.False(t, p.runBtn.Disabled())
	assert.False(t, p.addBtn.Disabled())
	assert.Equal(t, "2 files, 4 records, 4 matching events.", p.status.Text)
	assert.Contains(t, p.summary.Text, "access key AKIAEXAMPLEKEY000001 (arn:aws:iam::111122223333:user/svc) read 2 objects (3.0 MB) from bucket exports")
	assert.Equal(t, "Files with problems (1)", p.tabs.Items[5].Text)
	require.Len(t, p.principals.rows, 3)
	require.Len(t, p.objects.rows, 2)
	require.Len(t, p.changes.rows, 1)
	require.Len(t, p.denied.rows, 1)
	assert.NotEmpty(t, p.chart.h.Bins)

	// A header tap sorts by that column, largest first; a second tap
	// reverses it.
	p.principals.sortBy(2) // Events
	assert.Equal(t, "AKIAEXAMPLEKEY000001", p.principals.rows[0].AccessKeyID)
	p.principals.sortBy(2)
	assert.Equal(t, int64(1), p.principals.rows[0].Events)
	p.objects.sortBy(1) // Key
	assert.Equal(t, "b.csv", p.objects.rows[0].Key)

	// The chart lays out one bar per bin, the tallest filling the height.
	w := test.NewTempWindow(t, p.chart)
	w.Resize(fyne.NewSize(400, 200))
	r := test.WidgetRenderer(p.chart).(*histRenderer)
	require.Len(t, r.bars, len(p.chart.h.Bins))
	tallest := float32(0)
	for _, b := range r.bars {
		tallest = max(tallest, b.Size().Height)
	}
	assert.InDelta(t, p.chart.Size().Height, tallest, 1)

	test.Tap(p.addBtn)
	h.eventually(func() bool { return strings.HasPrefix(p.status.Text, "Added to the incident") }, "Add to incident never finished: %q %v", p.status.Text, h.u.lastErr)
	assert.Equal(t, "Added to the incident: 2 evidence items and 3 findings on the timeline.", p.status.Text)
	evs, err := h.svc.ListEvidence(context.Background(), ws.id)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	assert.Equal(t, "trail-summary", evs[0].Kind)
	assert.Equal(t, "file", evs[1].Kind)
	entries, err := h.svc.Timeline(context.Background(), ws.id)
	require.NoError(t, err)
	var found bool
	for _, e := range entries {
		if strings.HasPrefix(e.Text, "CloudTrail: ") && strings.Contains(e.Text, "PutBucketPolicy") {
			found = true
			assert.Equal(t, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), e.EventTime, "a finding keeps its original time")
			assert.Equal(t, app.KindFinding, e.Kind)
			assert.Equal(t, []string{evs[0].ID}, e.Refs)
		}
	}
	assert.True(t, found, "the policy change is on the timeline")
}

func TestTrailPaneFilter(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	ws := h.createIncident("Probing", false)
	p := newTrailPane(ws).(*trailPane)
	p.addPaths(trailTestDir(t))
	p.errorCode.SetText("*")
	p.sourceIP.SetText("198.51.100.0/24")
	p.mode.SetSelected(modeRead)
	f, err := p.readFilter()
	require.NoError(t, err)
	assert.Equal(t, []string{"*"}, f.ErrorCodes)
	require.NotNil(t, f.ReadOnly)
	assert.True(t, *f.ReadOnly)

	test.Tap(p.runBtn)
	h.eventually(func() bool { return p.res != nil }, "the analysis never finished")
	assert.Equal(t, int64(1), p.res.Matched)
	require.Len(t, p.denied.rows, 1)
	assert.Equal(t, "AKIAEXAMPLEBOB000003", p.denied.rows[0].AccessKeyID)

	// Cancel with nothing running does nothing.
	p.onCancel()
	assert.False(t, p.runBtn.Disabled())
}

// Files dropped on the window go to the CloudTrail logs pane of the open
// incident, which comes to the front; on the incident list they are refused
// with a reason.
func TestDropLogsOnWindow(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	dir := trailTestDir(t)
	h.u.dropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(dir)})
	require.Error(t, h.u.lastErr)
	assert.Contains(t, h.u.lastErr.Error(), "open an incident first")

	ws := h.createIncident("Logs handed over on a drive", false)
	h.u.lastErr = nil
	h.u.dropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(dir)})
	require.NoError(t, h.u.lastErr)
	var tp *trailPane
	for _, p := range ws.panes {
		if x, ok := p.(*trailPane); ok {
			tp = x
		}
	}
	require.NotNil(t, tp)
	assert.Equal(t, []string{dir}, tp.paths)
	assert.Equal(t, "CloudTrail logs", ws.tabs.Selected().Text)
}
