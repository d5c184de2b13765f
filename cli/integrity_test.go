package cli

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"s3responder/app"
	"s3responder/reports"
)

// rawEdit changes the database file with bare bbolt, as someone editing it
// outside the app would.
func rawEdit(t *testing.T, db string, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	b, err := bbolt.Open(db, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, b.Update(fn))
	require.NoError(t, b.Close())
}

// editJSON decodes the value under key into a generic map, lets fn change
// it and writes it back.
func editJSON(t *testing.T, b *bbolt.Bucket, key string, fn func(m map[string]any)) {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b.Get([]byte(key)), &m))
	fn(m)
	raw, err := json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, b.Put([]byte(key), raw))
}

// bundleFiles reads every file of a zip bundle.
func bundleFiles(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		var buf bytes.Buffer
		_, err = buf.ReadFrom(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		files[f.Name] = buf.Bytes()
	}
	return files
}

// rehashedBundle writes files as a bundle whose manifest lists every file
// with its real hash and size: what someone who rewrites a file and then
// the manifest produces.
func rehashedBundle(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var m reports.Manifest
	require.NoError(t, json.Unmarshal(files[reports.BundleManifest], &m))
	m.Files = nil
	names := make([]string, 0, len(files))
	for n := range files {
		if n != reports.BundleManifest {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		m.Files = append(m.Files, reports.ManifestFile{Name: n, SHA256: app.HashHex(files[n]), Size: int64(len(files[n]))})
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range append([]string{reports.BundleManifest}, names...) {
		data := files[n]
		if n == reports.BundleManifest {
			data = manifest
		}
		w, err := zw.Create(n)
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// importBytes writes data to a file and imports it into a fresh database.
func (e *testEnv) importBytes(data []byte, name string) (int, string, string) {
	e.t.Helper()
	file := filepath.Join(e.t.TempDir(), name)
	require.NoError(e.t, os.WriteFile(file, data, 0o600))
	return e.reportCall(runImport, filepath.Join(e.t.TempDir(), "other.db"), file)
}

// exportBytes exports id and returns the bundle's bytes.
func (e *testEnv) exportBytes(id string) []byte {
	e.t.Helper()
	out := filepath.Join(e.t.TempDir(), "case.zip")
	code, _, stderr := e.reportCall(runExport, e.db, id, "--out", out)
	require.Equal(e.t, exitOK, code, stderr)
	data, err := os.ReadFile(out)
	require.NoError(e.t, err)
	return data
}

// addEvidenceFile attaches a file with the CLI and returns the item's id.
func (e *testEnv) addEvidenceFile(id, name, content string) string {
	e.t.Helper()
	file := filepath.Join(e.t.TempDir(), name)
	require.NoError(e.t, os.WriteFile(file, []byte(content), 0o600))
	out := e.must("evidence", id, "add", file)
	m := regexp.MustCompile(`Added (EV-\S+) to`).FindStringSubmatch(out)
	require.NotNil(e.t, m, out)
	return m[1]
}

func TestTextThatIsNotUTF8IsSavedSoTheChainStillVerifiesAndExports(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	e.must("note", id, "x\xffy")
	e.must("step", id, "1.1", "done", "--note", "seen by \xfe\xfd the team")
	e.addEvidenceFile(id, "log\xff.txt", "GET /invoices")
	notes := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(notes, []byte("2026-11-26T08:14:00Z\tread from \xc3(203.0.113.7)\n"), 0o600))
	e.must("note", id, "--file", notes)

	code, out, errOut := e.run("verify", id, "--db", e.db)
	assert.Equal(t, exitOK, code, "stdout: %s\nstderr: %s", out, errOut)
	assert.Contains(t, out, "timeline of "+id+" verified")
	bundle := e.exportBytes(id)
	code, _, errOut = e.importBytes(bundle, "case.zip")
	assert.Equal(t, exitOK, code, errOut)
}

func TestASwappedEvidenceBlobWithItsRecordedHashIsNamedByVerify(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	evID := e.addEvidenceFile(id, "policy.json", `{"Principal":"*"}`)
	forged := []byte(`{"Principal":"arn:aws:iam::111122223333:root"}`)
	rawEdit(t, e.db, func(tx *bbolt.Tx) error {
		require.NoError(t, tx.Bucket([]byte("blobs")).Put([]byte(app.HashHex(forged)), forged))
		editJSON(t, tx.Bucket([]byte("evidence")).Bucket([]byte(id)), evID, func(m map[string]any) {
			m["sha256"] = app.HashHex(forged)
			m["size"] = len(forged)
		})
		return nil
	})
	code, out, _ := e.run("verify", id, "--db", e.db)
	assert.Equal(t, exitFail, code, out)
	assert.Contains(t, out, evID)
}

func TestAnIncidentFieldEditedInTheDatabaseFileIsNamedByVerify(t *testing.T) {
	for _, field := range []struct{ name, value string }{{"severity", "P4"}, {"status", "closed"}, {"title", "Nothing happened"}} {
		t.Run(field.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.newIncident("--severity", "P1")
			e.must("note", id, "GetObject from 203.0.113.7")
			rawEdit(t, e.db, func(tx *bbolt.Tx) error {
				editJSON(t, tx.Bucket([]byte("incidents")), id, func(m map[string]any) { m[field.name] = field.value })
				return nil
			})
			code, out, _ := e.run("verify", id, "--db", e.db)
			assert.Equal(t, exitFail, code, out)
			assert.Contains(t, out, field.name)
		})
	}
}

func TestImportNamesASwappedEvidenceFileAndAnEditedField(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident("--severity", "P1")
	evID := e.addEvidenceFile(id, "policy.json", `{"Principal":"*"}`)
	files := bundleFiles(t, e.exportBytes(id))

	// The evidence file replaced, its item's hash and size rewritten to
	// match, and the manifest re-hashed.
	forged := []byte(`{"Principal":"arn:aws:iam::111122223333:root"}`)
	swapped := map[string][]byte{}
	for n, data := range files {
		if strings.HasPrefix(n, reports.BundleEvidence) {
			swapped[reports.BundleEvidence+app.HashHex(forged)] = forged
			continue
		}
		swapped[n] = data
	}
	var b map[string]any
	require.NoError(t, json.Unmarshal(files[reports.BundleIncident], &b))
	ev := b["evidence"].([]any)[0].(map[string]any)
	ev["sha256"], ev["size"] = app.HashHex(forged), len(forged)
	swapped[reports.BundleIncident], _ = json.Marshal(b)
	code, _, stderr := e.importBytes(rehashedBundle(t, swapped), "swapped.zip")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, evID)

	// A field of the incident edited, the manifest re-hashed.
	edited := map[string][]byte{}
	for n, data := range files {
		edited[n] = data
	}
	require.NoError(t, json.Unmarshal(files[reports.BundleIncident], &b))
	b["case"].(map[string]any)["incident"].(map[string]any)["severity"] = "P4"
	edited[reports.BundleIncident], _ = json.Marshal(b)
	code, _, stderr = e.importBytes(rehashedBundle(t, edited), "edited.zip")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, "severity")
}

func TestARewrittenReportWithARehashedManifestIsRefusedAndBundleHashesArePrinted(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	out := filepath.Join(t.TempDir(), "case.zip")
	code, stdout, stderr := e.reportCall(runExport, e.db, id, "--out", out)
	require.Equal(t, exitOK, code, stderr)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, stdout, "bundle sha256 "+app.HashHex(data))

	code, stdout, stderr = e.importBytes(data, "case.zip")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "bundle sha256 "+app.HashHex(data))

	files := bundleFiles(t, data)
	require.Contains(t, files, reports.BundleReport)
	files[reports.BundleReport] = []byte("%PDF-1.4 a different story")
	code, _, stderr = e.importBytes(rehashedBundle(t, files), "rewritten.zip")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, reports.BundleReport)
}

// headOf returns the full chain head hash from `verify` output.
func headOf(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`head ([0-9a-f]{64})`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	return m[1]
}

func TestVerifyChecksTheChainAgainstAHeadRecordedEarlier(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	e.must("note", id, "GetObject from 203.0.113.7")
	head := headOf(t, e.must("verify", id))
	e.must("note", id, "a later observation")

	out := e.must("verify", id, "--head", head)
	assert.Contains(t, out, head)

	// Someone rewrites the whole chain, re-sealing every entry: the chain
	// verifies on its own but not against the head recorded earlier.
	rawEdit(t, e.db, func(tx *bbolt.Tx) error {
		tb := tx.Bucket([]byte("timeline")).Bucket([]byte(id))
		prev := app.GenesisHash
		var last app.Entry
		require.NoError(t, tb.ForEach(func(k, v []byte) error {
			var en app.Entry
			require.NoError(t, json.Unmarshal(v, &en))
			en.Text = strings.ReplaceAll(en.Text, "203.0.113.7", "198.51.100.1")
			en.Seal(en.Seq, prev)
			prev, last = en.Hash, en
			raw, err := json.Marshal(en)
			require.NoError(t, err)
			return tb.Put(k, raw)
		}))
		raw, err := json.Marshal(app.Head{Seq: last.Seq, Hash: last.Hash})
		require.NoError(t, err)
		return tx.Bucket([]byte("heads")).Put([]byte(id), raw)
	})
	code, out, errOut := e.run("verify", id, "--head", head, "--db", e.db)
	assert.Equal(t, exitFail, code, out+errOut)
	assert.Contains(t, out+errOut, head)
	assert.Contains(t, out+errOut, "rewritten")
}

func TestEveryReportCarriesTheFullChainHead(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	e.must("note", id, "GetObject from 203.0.113.7")
	head := headOf(t, e.must("verify", id))
	dir := t.TempDir()
	for _, f := range []string{"r.md", "r.json", "r.pdf"} {
		path := filepath.Join(dir, f)
		e.must("report", id, "--out", path)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		text := string(data)
		if strings.HasSuffix(f, ".pdf") {
			raw, err := exec.Command("pdftotext", "-raw", path, "-").Output()
			require.NoError(t, err)
			text = strings.Join(strings.Fields(string(raw)), "")
		}
		assert.Contains(t, text, head, f)
	}
	files := bundleFiles(t, e.exportBytes(id))
	var m map[string]any
	require.NoError(t, json.Unmarshal(files[reports.BundleManifest], &m))
	assert.Contains(t, string(files[reports.BundleManifest]), "head")
}

// bombZip is a bundle-shaped archive whose entries inflate to n bytes of
// zeros each while the archive itself stays small. The manifest tells the
// truth about the sizes; bombZip writes one deflated stream and reuses it.
func bombZip(t *testing.T, entries int, n int64) []byte {
	t.Helper()
	var deflated bytes.Buffer
	{
		zw := zip.NewWriter(&deflated)
		w, err := zw.Create("x")
		require.NoError(t, err)
		zero := make([]byte, 1<<20)
		for left := n; left > 0; left -= int64(len(zero)) {
			_, err := w.Write(zero[:min(int64(len(zero)), left)])
			require.NoError(t, err)
		}
		require.NoError(t, zw.Close())
	}
	src, err := zip.NewReader(bytes.NewReader(deflated.Bytes()), int64(deflated.Len()))
	require.NoError(t, err)
	raw, err := src.File[0].OpenRaw()
	require.NoError(t, err)
	var stream bytes.Buffer
	_, err = stream.ReadFrom(raw)
	require.NoError(t, err)
	zeroSHA := "" // the real hash would need n bytes hashed; a wrong one is enough
	var m reports.Manifest
	m.Format, m.Incident = app.BundleFormat, "INC-20261126-7K3QX9"
	for i := range entries {
		zeroSHA = strings.Repeat(string(rune('a'+i)), 64)
		m.Files = append(m.Files, reports.ManifestFile{Name: reports.BundleEvidence + zeroSHA, SHA256: zeroSHA, Size: n})
	}
	manifest, err := json.Marshal(m)
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	w, err := zw.Create(reports.BundleManifest)
	require.NoError(t, err)
	_, err = w.Write(manifest)
	require.NoError(t, err)
	for _, f := range m.Files {
		h := src.File[0].FileHeader
		h.Name = f.Name
		w, err := zw.CreateRaw(&h)
		require.NoError(t, err)
		_, err = w.Write(stream.Bytes())
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return out.Bytes()
}

func TestAZipBombIsRefusedWithoutInflatingIt(t *testing.T) {
	e := newEnv(t)
	bomb := bombZip(t, 3, 300<<20)
	require.Less(t, len(bomb), 3<<20)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code, _, stderr := e.importBytes(bomb, "bomb.zip")
	runtime.ReadMemStats(&after)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr, reports.BundleEvidence)
	allocated := after.TotalAlloc - before.TotalAlloc
	assert.Less(t, allocated, uint64(64<<20), "the import allocated %d MiB", allocated>>20)
}

func TestImportValidatesEveryFieldOfTheIncident(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	file := filepath.Join(t.TempDir(), "incident.json")
	code, _, stderr := e.reportCall(runReport, e.db, id, "--out", file)
	require.Equal(t, exitOK, code, stderr)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	for _, tc := range []struct{ field, value, want string }{
		{"id", "INC-1\nINC-2 forged line", "id"},
		{"id", "INC-1\x00", "id"},
		{"id", "INC-\x1b[31mRED", "id"},
		{"status", "pwned", "status"},
		{"severity", "P9", "severity"},
		{"title", "\x1b[2Jcleared", "title"},
	} {
		var b map[string]any
		require.NoError(t, json.Unmarshal(data, &b))
		b["case"].(map[string]any)["incident"].(map[string]any)[tc.field] = tc.value
		edited, err := json.Marshal(b)
		require.NoError(t, err)
		code, stdout, stderr := e.importBytes(edited, "incident.json")
		assert.Equal(t, exitFail, code, "%s %q was accepted: %s", tc.field, tc.value, stdout)
		assert.Contains(t, stderr, tc.want)
	}
}

func TestAStepStateEditedInTheDatabaseFileIsNamedByVerify(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	e.must("step", id, "1.1", "done", "--note", "owner confirmed")
	rawEdit(t, e.db, func(tx *bbolt.Tx) error {
		editJSON(t, tx.Bucket([]byte("steps")).Bucket([]byte(id)), "1.1", func(m map[string]any) { m["note"] = "nobody confirmed" })
		return nil
	})
	code, out, _ := e.run("verify", id, "--db", e.db)
	assert.Equal(t, exitFail, code, out)
	assert.Contains(t, out, "step 1.1: differs from what timeline entry")
}
