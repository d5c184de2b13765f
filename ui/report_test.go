package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// fakeReport is a ReportWriter that writes what it was given, so a test
// can read back what the pane passed on.
type fakeReport struct {
	got chan app.Report
}

func (f *fakeReport) write(ctx context.Context, r app.Report, format string, w io.Writer) error {
	if f.got != nil {
		f.got <- r
	}
	_, err := fmt.Fprintf(w, "format=%s\nincident=%s\nsections=%s\nlogo=%d\nentries=%d\nchain=%v\n",
		format, r.Case.Incident.ID, strings.Join(r.Sections, ","), len(r.Logo), len(r.Timeline), r.ChainOK)
	return err
}

// saveReport runs the pane's save to path as the save dialog would.
func saveReport(t *testing.T, p *reportPane, path string) {
	t.Helper()
	wc, err := storage.Writer(storage.NewFileURI(path))
	require.NoError(t, err)
	p.saveTo(wc)
}

// pngFile writes a small PNG image and returns its path.
func pngFile(t *testing.T) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.NRGBA{R: 200, A: 255})
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return writeFile(t, "logo.png", buf.Bytes())
}

// TestReportSave saves reports in each format through a fake writer: the
// pane passes the incident, the ticked sections and the logo, and the
// file holds exactly what the writer wrote.
func TestReportSave(t *testing.T) {
	db, _ := openStore(t, filepath.Join(t.TempDir(), "incidents.db"))
	h := newHarness(t, db, testPlaybook(t))
	h.u.SetReportWriter((&fakeReport{}).write)
	ws := h.createIncident("Report test", false)
	id := ws.c.Incident.ID
	p := paneOf[*reportPane](t, ws)

	// A logo, read off the UI goroutine and checked to be an image.
	rc, err := storage.Reader(storage.NewFileURI(pngFile(t)))
	require.NoError(t, err)
	p.loadLogo(rc)
	h.eventually(func() bool { return p.logo != nil }, "logo not loaded (last error: %v)", h.u.lastErr)
	assert.True(t, p.noLogo.Visible())
	logoLen := len(p.logo)

	tests := []struct {
		name     string
		format   int // index in reportFormats
		untick   []string
		wantSecs string
		wantLogo int
	}{
		{"pdf, all sections", 0, nil, "", logoLen},
		{"pdf, some sections", 0, []string{"timeline", "appendix"}, strings.Join(without(app.ReportSections, "timeline", "appendix"), ","), logoLen},
		{"markdown", 1, []string{"evidence"}, strings.Join(without(app.ReportSections, "evidence"), ","), logoLen},
		{"json ignores sections and logo", 2, []string{"timeline"}, "", 0},
		{"csv ignores sections and logo", 3, []string{"timeline"}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.setAll(true)
			for i, s := range app.ReportSections {
				for _, u := range tt.untick {
					if s == u {
						p.checks[i].SetChecked(false)
					}
				}
			}
			p.format.SetSelectedIndex(tt.format)
			f := reportFormats[tt.format]
			assert.Equal(t, !f.sections, p.checks[0].Disabled(), "section boxes enabled for %s", f.code)
			path := filepath.Join(t.TempDir(), "report."+f.code)
			saveReport(t, p, path)
			assert.True(t, p.save.Disabled(), "Save enabled while saving")
			h.eventually(func() bool { return strings.HasPrefix(p.status.Text, "Saved ") }, "report not saved: %q (last error: %v)", p.status.Text, h.u.lastErr)
			require.NoError(t, h.u.lastErr)
			assert.False(t, p.save.Disabled())
			assert.False(t, p.cancel.Visible())
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			want := fmt.Sprintf("format=%s\nincident=%s\nsections=%s\nlogo=%d\nentries=%d\nchain=true\n",
				f.code, id, tt.wantSecs, tt.wantLogo, len(ws.timeline.entries))
			assert.Equal(t, want, string(got))
			assert.Contains(t, p.status.Text, path)
		})
	}

	// Something that is not an image is refused as a logo; the old one stays.
	rc, err = storage.Reader(storage.NewFileURI(writeFile(t, "logo.png", []byte("not an image at all"))))
	require.NoError(t, err)
	h.u.lastErr = nil
	p.loadLogo(rc)
	h.eventually(func() bool { return h.u.lastErr != nil }, "a text file was accepted as a logo")
	assert.Contains(t, h.u.lastErr.Error(), "the logo must be a PNG or JPEG image")
	assert.Len(t, p.logo, logoLen)
	test.Tap(p.noLogo)
	assert.Nil(t, p.logo)
	assert.Equal(t, "No logo", p.logoName.Text)
}

// without returns list minus the given values.
func without(list []string, drop ...string) []string {
	var out []string
	for _, v := range list {
		keep := true
		for _, d := range drop {
			keep = keep && v != d
		}
		if keep {
			out = append(out, v)
		}
	}
	return out
}

// TestReportFailures: a failing writer, a cancelled save and a missing
// writer all leave no file behind and say what happened.
func TestReportFailures(t *testing.T) {
	t.Run("writer fails", func(t *testing.T) {
		h := newHarness(t, newMemStore(), testPlaybook(t))
		h.u.SetReportWriter(func(ctx context.Context, r app.Report, format string, w io.Writer) error {
			_, _ = w.Write([]byte("half a PDF"))
			return errors.New("font missing")
		})
		p := paneOf[*reportPane](t, h.createIncident("Broken writer", false))
		path := filepath.Join(t.TempDir(), "report.pdf")
		saveReport(t, p, path)
		h.eventually(func() bool { return h.u.lastErr != nil }, "failure not shown")
		assert.Equal(t, "Could not save the report: render the pdf report: font missing", h.u.lastErr.Error())
		assert.NoFileExists(t, path, "a failed save left a file")
		assert.False(t, p.save.Disabled())
	})

	t.Run("cancel", func(t *testing.T) {
		h := newHarness(t, newMemStore(), testPlaybook(t))
		started := make(chan struct{})
		h.u.SetReportWriter(func(ctx context.Context, r app.Report, format string, w io.Writer) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
		p := paneOf[*reportPane](t, h.createIncident("Slow writer", false))
		path := filepath.Join(t.TempDir(), "report.pdf")
		saveReport(t, p, path)
		<-started
		require.True(t, p.cancel.Visible())
		test.Tap(p.cancel)
		h.eventually(func() bool { return p.status.Text == "Cancelled: nothing was saved." }, "cancel not confirmed: %q", p.status.Text)
		assert.NoFileExists(t, path, "a cancelled save left a file")
		assert.NoError(t, h.u.lastErr, "a cancel is not an error")
		assert.False(t, p.save.Disabled())
	})

	t.Run("store hangs, user cancels", func(t *testing.T) {
		st := newMemStore()
		h := newHarness(t, st, testPlaybook(t))
		h.u.SetReportWriter((&fakeReport{}).write)
		ws := h.createIncident("Hung store", false)
		p := paneOf[*reportPane](t, ws)
		st.mu.Lock()
		st.block = true
		st.mu.Unlock()
		path := filepath.Join(t.TempDir(), "report.pdf")
		saveReport(t, p, path)
		// The load blocks until cancelled; the user gives up.
		test.Tap(p.cancel)
		h.eventually(func() bool { return p.status.Text == "Cancelled: nothing was saved." }, "cancel not confirmed: %q", p.status.Text)
		assert.NoFileExists(t, path)
	})

	t.Run("no writer", func(t *testing.T) {
		h := newHarness(t, newMemStore(), testPlaybook(t))
		p := paneOf[*reportPane](t, h.createIncident("No writer", false))
		test.Tap(p.save)
		require.Error(t, h.u.lastErr)
		assert.Equal(t, "Could not save the report: this build has no report writer", h.u.lastErr.Error())
	})
}
