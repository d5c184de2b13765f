package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	_ "time/tzdata" // the tests use Europe/Warsaw whatever the machine has

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/reports"
)

// reportCall runs one of this file's commands on db directly, the way Run
// would after taking --db out of the arguments.
func (e *testEnv) reportCall(fn Command, db string, args ...string) (int, string, string) {
	e.t.Helper()
	e.out.Reset()
	e.errb.Reset()
	d := e.deps
	d.db = db
	code := fn(context.Background(), args, d)
	return code, e.out.String(), e.errb.String()
}

// withSvc opens a database directly, for setting up what the CLI cannot
// yet do (evidence) and for checking results.
func (e *testEnv) withSvc(db string, fn func(svc *app.Service)) {
	e.t.Helper()
	svc, closeFn, err := e.deps.OpenService(db)
	require.NoError(e.t, err)
	defer func() { require.NoError(e.t, closeFn()) }()
	fn(svc)
}

func reportIncident(t *testing.T, e *testEnv) string {
	t.Helper()
	id := e.newIncident("--severity", "P1", "--classification", "Confidential", "--exercise", "--tz", "Europe/Warsaw",
		"--bucket", "acme-payroll-exports", "--account", "111122223333")
	e.must("note", id, "Zoë Łódź saw the Access Analyzer finding")
	e.must("step", id, "1.1", "done")
	return id
}

func TestReportFormats(t *testing.T) {
	e := newEnv(t)
	id := reportIncident(t, e)
	dir := t.TempDir()
	tests := []struct {
		file   string
		args   []string
		format string
		check  func(t *testing.T, data []byte)
	}{
		{"report.pdf", nil, "pdf", func(t *testing.T, data []byte) {
			require.True(t, bytes.HasPrefix(data, []byte("%PDF-")))
			file := filepath.Join(t.TempDir(), "r.pdf")
			require.NoError(t, os.WriteFile(file, data, 0o600))
			out, err := exec.Command("pdftotext", "-enc", "UTF-8", "-raw", file, "-").CombinedOutput()
			require.NoError(t, err, "%s", out)
			text := strings.Join(strings.Fields(string(out)), " ")
			for _, want := range []string{id, "Public bucket", "Zoë Łódź saw the Access Analyzer finding", "Executive summary", "EXERCISE", "CONFIDENTIAL"} {
				assert.Contains(t, text, want)
			}
		}},
		{"report.md", nil, "md", func(t *testing.T, data []byte) {
			assert.Contains(t, string(data), "# Post-incident report: Public bucket")
			assert.Contains(t, string(data), "Zoë Łódź saw the Access Analyzer finding")
		}},
		{"notes.markdown", nil, "md", func(t *testing.T, data []byte) {
			assert.Contains(t, string(data), "## 1. Executive summary")
		}},
		{"incident.json", nil, "json", func(t *testing.T, data []byte) {
			b, err := reports.ReadJSON(bytes.NewReader(data))
			require.NoError(t, err)
			assert.Equal(t, id, b.Case.Incident.ID)
			require.NoError(t, app.VerifyChain(b.Timeline, b.Head))
		}},
		{"timeline.csv", nil, "csv", func(t *testing.T, data []byte) {
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			assert.Equal(t, strings.Join(reports.CSVHeader, ","), lines[0])
			assert.GreaterOrEqual(t, len(lines), 4)
		}},
		{"report.txt", []string{"--format", "md"}, "md", func(t *testing.T, data []byte) {
			assert.Contains(t, string(data), "# Post-incident report")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out := filepath.Join(dir, tt.file)
			code, stdout, stderr := e.reportCall(runReport, e.db, append([]string{id, "--out", out}, tt.args...)...)
			require.Equal(t, exitOK, code, stderr)
			assert.Contains(t, stdout, "wrote the "+tt.format+" report of "+id)
			data, err := os.ReadFile(out)
			require.NoError(t, err)
			tt.check(t, data)
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, de := range entries {
		assert.False(t, strings.Contains(de.Name(), ".tmp-"), "temporary file %s left behind", de.Name())
	}
}

func TestReportArguments(t *testing.T) {
	e := newEnv(t)
	id := reportIncident(t, e)
	dir := t.TempDir()
	notImage := filepath.Join(dir, "logo.png")
	require.NoError(t, os.WriteFile(notImage, []byte("not a picture"), 0o600))
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no out", []string{id}, exitUsage, "--out is required"},
		{"no id", []string{"--out", "x.pdf"}, exitUsage, "missing arguments"},
		{"unknown extension", []string{id, "--out", filepath.Join(dir, "r.docx")}, exitUsage, "cannot tell the format"},
		{"unknown format", []string{id, "--out", filepath.Join(dir, "r.pdf"), "--format", "docx"}, exitUsage, "unknown format"},
		{"unknown section", []string{id, "--out", filepath.Join(dir, "r.pdf"), "--sections", "summary,gossip"}, exitUsage, `unknown section "gossip"`},
		{"sections on csv", []string{id, "--out", filepath.Join(dir, "r.csv"), "--sections", "summary"}, exitUsage, "--sections applies to pdf and md"},
		{"logo on md", []string{id, "--out", filepath.Join(dir, "r.md"), "--logo", notImage}, exitUsage, "--logo applies to pdf"},
		{"stdout without format", []string{id, "--out", "-"}, exitUsage, "--out - needs --format"},
		{"logo not an image", []string{id, "--out", filepath.Join(dir, "bad-logo.pdf"), "--logo", notImage}, exitFail, "logo: not a PNG or JPEG"},
		{"logo missing", []string{id, "--out", filepath.Join(dir, "r.pdf"), "--logo", filepath.Join(dir, "none.png")}, exitFail, "read logo"},
		{"unknown incident", []string{"INC-20990101-ZZZZZZ", "--out", filepath.Join(dir, "none.pdf")}, exitFail, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := e.reportCall(runReport, e.db, tt.args...)
			assert.Equal(t, tt.code, code, stderr)
			assert.Contains(t, stderr, tt.want)
		})
	}
	_, err := os.Stat(filepath.Join(dir, "bad-logo.pdf"))
	assert.True(t, os.IsNotExist(err), "a failed report leaves no file")
	code, stdout, _ := e.reportCall(runReport, e.db, "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "Usage: s3responder report ID --out FILE")
}

func TestReportToStdoutWithSections(t *testing.T) {
	e := newEnv(t)
	id := reportIncident(t, e)
	code, stdout, stderr := e.reportCall(runReport, e.db, id, "--out", "-", "--format", "md", "--sections", "summary,evidence")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "## 1. Executive summary")
	assert.Contains(t, stdout, "## 2. Evidence and chain of custody")
	assert.NotContains(t, stdout, "Full timeline")
}

func TestExportImport(t *testing.T) {
	e := newEnv(t)
	id := reportIncident(t, e)
	e.withSvc(e.db, func(svc *app.Service) {
		_, err := svc.AddEvidence(context.Background(), id, app.Evidence{Title: "Bucket policy before", Kind: "snapshot",
			Source: app.Source{API: "s3:GetBucketPolicy", Params: map[string]string{"Bucket": "acme-payroll-exports"}}},
			[]byte(`{"Statement":[{"Principal":"*"}]}`))
		require.NoError(t, err)
		_, err = svc.AddEvidence(context.Background(), id, app.Evidence{Title: "Trail summary", Kind: "trail-summary"}, []byte("3 reads"))
		require.NoError(t, err)
	})
	bundle := filepath.Join(t.TempDir(), "case.zip")
	code, stdout, stderr := e.reportCall(runExport, e.db, id, "--out", bundle)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "exported "+id+" to "+bundle)

	// The source records the export, with the bundle's hash, in custody.
	data, err := os.ReadFile(bundle)
	require.NoError(t, err)
	var srcCase app.Case
	var srcTimeline []app.Entry
	var srcEvidence []app.Evidence
	e.withSvc(e.db, func(svc *app.Service) {
		srcCase, err = svc.Load(context.Background(), id)
		require.NoError(t, err)
		srcTimeline, err = svc.Timeline(context.Background(), id)
		require.NoError(t, err)
		srcEvidence, err = svc.ListEvidence(context.Background(), id)
		require.NoError(t, err)
	})
	require.Len(t, srcEvidence, 2)
	for _, ev := range srcEvidence {
		last := ev.Custody[len(ev.Custody)-1]
		assert.Equal(t, "exported", last.Action)
		assert.Contains(t, last.Note, "sha256 "+app.HashHex(data))
	}

	other := filepath.Join(t.TempDir(), "other.db")
	code, stdout, stderr = e.reportCall(runImport, other, bundle)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "imported "+id)
	e.withSvc(other, func(svc *app.Service) {
		c, err := svc.Load(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, srcCase, c)
		tl, err := svc.Timeline(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, srcTimeline, tl)
		_, err = svc.Verify(context.Background(), id)
		require.NoError(t, err)
		evs, err := svc.ListEvidence(context.Background(), id)
		require.NoError(t, err)
		require.Len(t, evs, 2)
		for i, ev := range evs {
			// The bundle was made before the export was recorded; the
			// import adds its own custody event.
			assert.Equal(t, "imported", ev.Custody[len(ev.Custody)-1].Action)
			assert.Equal(t, srcEvidence[i].Custody[:len(srcEvidence[i].Custody)-1], ev.Custody[:len(ev.Custody)-1])
		}
		n, problems, err := svc.VerifyEvidence(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		assert.Empty(t, problems)
	})

	code, _, stderr = e.reportCall(runImport, other, bundle)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "already exists")

	// A bundle with one flipped byte is refused with the file's name, and
	// nothing is written.
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "evidence/") {
			continue
		}
		off, err := f.DataOffset()
		require.NoError(t, err)
		bad := bytes.Clone(data)
		bad[off+int64(f.CompressedSize64)/2] ^= 0x20
		badFile := filepath.Join(t.TempDir(), "bad.zip")
		require.NoError(t, os.WriteFile(badFile, bad, 0o600))
		third := filepath.Join(t.TempDir(), "third.db")
		code, _, stderr := e.reportCall(runImport, third, badFile)
		assert.Equal(t, exitFail, code)
		assert.Contains(t, stderr, f.Name)
		e.withSvc(third, func(svc *app.Service) {
			list, err := svc.List(context.Background())
			require.NoError(t, err)
			assert.Empty(t, list)
		})
		break
	}
}

func TestImportJSON(t *testing.T) {
	e := newEnv(t)
	id := reportIncident(t, e)
	file := filepath.Join(t.TempDir(), "incident.json")
	code, _, stderr := e.reportCall(runReport, e.db, id, "--out", file)
	require.Equal(t, exitOK, code, stderr)
	other := filepath.Join(t.TempDir(), "other.db")
	code, stdout, stderr := e.reportCall(runImport, other, file)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "imported "+id)

	// An edited JSON no longer verifies and is refused.
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	edited := bytes.Replace(data, []byte("Zoë Łódź saw"), []byte("Nobody saw"), 1)
	require.NotEqual(t, data, edited)
	require.NoError(t, os.WriteFile(file, edited, 0o600))
	code, _, stderr = e.reportCall(runImport, filepath.Join(t.TempDir(), "third.db"), file)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "timeline chain broken")
}

func TestExportArguments(t *testing.T) {
	e := newEnv(t)
	id := reportIncident(t, e)
	code, _, stderr := e.reportCall(runExport, e.db, id)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--out FILE.zip is required")
	code, _, stderr = e.reportCall(runImport, e.db, filepath.Join(t.TempDir(), "missing.zip"))
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "no such file")
}
