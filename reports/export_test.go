package reports

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

func TestMarkdownCarriesTheSameContent(t *testing.T) {
	r := richReport(t)
	r.Case.Incident.Review.Lessons = "Pipes | and *stars* and _underscores_ stay literal"
	var buf bytes.Buffer
	require.NoError(t, Markdown(&buf, r))
	md := buf.String()

	// Every heading and datum the PDF test looks for is in the Markdown too.
	d := buildDocument(r)
	for i, s := range d.sections {
		assert.True(t, strings.Contains(md, "## "+strconv.Itoa(i+1)+". "+mdEscape(s.title)), "section %q", s.title)
		for _, b := range s.blocks {
			if h, ok := b.(heading); ok {
				assert.True(t, strings.Contains(md, "### "+mdEscape(h.text)), "heading %q", h.text)
			}
		}
	}
	for _, want := range []string{"EXERCISE — NOT A REAL INCIDENT", "INC-20260302-7K3QX9", "Zoë Łódź", "Maître Chloé Dubois",
		"1 h 35 min", "**OVERDUE (open)**", "Reason: communication plan already agreed in the exercise brief",
		"_Excluded by decision_", "` aws s3api delete-bucket-policy --bucket acme-payroll-exports `",
		"| Containment | 2026-03-02 08:15:00 UTC | 2026-03-02 09:50:00 UTC | 1 h 35 min |",
		"Pipes \\| and \\*stars\\* and \\_underscores\\_ stay literal",
		"(#1-executive-summary)",
	} {
		assert.True(t, strings.Contains(md, want), "missing %q", want)
	}
	for _, ev := range r.Evidence {
		assert.True(t, strings.Contains(md, ev.SHA256), "missing hash of %s", ev.ID)
	}
	// Tables keep their shape: every row of a table has as many cells as
	// its header, whatever the text held.
	for _, block := range strings.Split(md, "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "|---") {
			continue
		}
		want := cells(lines[0])
		for _, l := range lines[2:] {
			assert.Equal(t, want, cells(l), "row %q", l)
		}
	}

	var again bytes.Buffer
	require.NoError(t, Markdown(&again, r))
	assert.Equal(t, md, again.String())
}

// cells counts the cells of a Markdown table row, honouring escaped pipes.
func cells(row string) int {
	return strings.Count(strings.ReplaceAll(row, `\|`, ""), "|") - 1
}

func TestCSVTimeline(t *testing.T) {
	r := richReport(t)
	entries := append([]app.Entry(nil), r.Timeline...)
	entries[1].Text = "=HYPERLINK(\"http://example.com\")"
	entries[2].Text = "line one\nline two, with \"quotes\""
	var buf bytes.Buffer
	require.NoError(t, CSV(&buf, entries))
	recs, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, len(entries)+1)
	assert.Equal(t, CSVHeader, recs[0])
	for i, e := range entries {
		rec := recs[i+1]
		assert.Equal(t, strconv.FormatUint(e.Seq, 10), rec[0])
		got, err := time.Parse(time.RFC3339Nano, rec[1])
		require.NoError(t, err)
		assert.True(t, got.Equal(e.EventTime))
		assert.Equal(t, e.Actor, rec[3])
		assert.Equal(t, string(e.Kind), rec[4])
		assert.Equal(t, strings.Join(e.Refs, ";"), rec[6])
		assert.Equal(t, e.PrevHash, rec[7])
		assert.Equal(t, e.Hash, rec[8])
		if i == 1 {
			assert.Equal(t, "'"+e.Text, rec[5], "a formula is defused")
		} else {
			assert.Equal(t, e.Text, rec[5])
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := richReport(t)
	b := r.Bundle()
	var buf bytes.Buffer
	require.NoError(t, JSON(&buf, b))
	got, err := ReadJSON(&buf)
	require.NoError(t, err)
	assert.Equal(t, b, got)
	require.NoError(t, app.VerifyChain(got.Timeline, got.Head), "the chain survives the trip")

	_, err = ReadJSON(strings.NewReader(`{"format":"s3responder-incident/1","surprise":1}`))
	require.ErrorIs(t, err, app.ErrInvalid)
}

func bundleFixture(t testing.TB) (app.Bundle, map[string][]byte, []byte) {
	t.Helper()
	r := richReport(t)
	contents := fixtureContents(t, r)
	var pdf bytes.Buffer
	require.NoError(t, PDF(&pdf, r))
	return r.Bundle(), contents, pdf.Bytes()
}

// fixtureContents returns the content of the rich report's evidence.
func fixtureContents(t testing.TB, r app.Report) map[string][]byte {
	contents := map[string][]byte{}
	for _, ev := range r.Evidence {
		// The fixture's contents are the strings evidenceItem hashed.
		for _, c := range []string{`{"Statement":[{"Effect":"Allow","Principal":"*"}]}`, `{"Statement":[]}`, "14 GetObject calls", "public: policy", "{}"} {
			if app.HashHex([]byte(c)) == ev.SHA256 {
				contents[ev.SHA256] = []byte(c)
			}
		}
	}
	require.Len(t, contents, len(r.Evidence))
	return contents
}

func writeBundle(t *testing.T, b app.Bundle, contents map[string][]byte, pdf []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteBundle(&buf, b, contents, pdf))
	return buf.Bytes()
}

func TestBundleRoundTrip(t *testing.T) {
	b, contents, pdf := bundleFixture(t)
	zipped := writeBundle(t, b, contents, pdf)
	assert.Equal(t, zipped, writeBundle(t, b, contents, pdf), "the same export gives the same bytes")

	gotB, gotC, gotPDF, err := ReadBundle(bytes.NewReader(zipped), int64(len(zipped)), DefaultMaxBundleContent)
	require.NoError(t, err)
	assert.Equal(t, b, gotB)
	assert.Equal(t, contents, gotC)
	assert.Equal(t, pdf, gotPDF)

	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	require.NoError(t, err)
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	assert.Equal(t, BundleManifest, names[0])
	assert.Contains(t, names, BundleIncident)
	assert.Contains(t, names, BundleReport)
	for sha := range contents {
		assert.Contains(t, names, BundleEvidence+sha)
	}
}

// TestBundleRefusesAFlippedByte flips one byte inside the stored data of
// each file of the archive in turn: the bundle must be refused, naming
// that file.
func TestBundleRefusesAFlippedByte(t *testing.T) {
	b, contents, pdf := bundleFixture(t)
	zipped := writeBundle(t, b, contents, pdf)
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	require.NoError(t, err)
	require.Greater(t, len(zr.File), 5)
	for _, f := range zr.File {
		t.Run(f.Name, func(t *testing.T) {
			off, err := f.DataOffset()
			require.NoError(t, err)
			bad := bytes.Clone(zipped)
			bad[off+int64(f.CompressedSize64)/2] ^= 0x01
			_, _, _, err = ReadBundle(bytes.NewReader(bad), int64(len(bad)), DefaultMaxBundleContent)
			require.Error(t, err)
			require.ErrorIs(t, err, app.ErrInvalid)
			var be *BundleError
			require.True(t, errors.As(err, &be), "%v", err)
			assert.Equal(t, f.Name, be.File)
			assert.Contains(t, err.Error(), f.Name)
		})
	}
}

// rezip rebuilds an archive with one file's content changed, so the zip
// checksums are right and only the manifest can tell.
func rezip(t *testing.T, zipped []byte, edit func(name string, data []byte) ([]byte, bool)) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		data, keep := edit(f.Name, data)
		if !keep {
			continue
		}
		w, err := zw.Create(f.Name)
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return out.Bytes()
}

func TestBundleRefusesAlteredContent(t *testing.T) {
	b, contents, pdf := bundleFixture(t)
	zipped := writeBundle(t, b, contents, pdf)
	var sha string
	for k := range contents {
		sha = k
		break
	}
	tests := []struct {
		name     string
		edit     func(name string, data []byte) ([]byte, bool)
		wantFile string
	}{
		{"incident edited", func(n string, d []byte) ([]byte, bool) {
			if n == BundleIncident {
				return bytes.Replace(d, []byte("Zoë"), []byte("Zoe"), 1), true
			}
			return d, true
		}, BundleIncident},
		{"evidence edited", func(n string, d []byte) ([]byte, bool) {
			if n == BundleEvidence+sha {
				return append(bytes.Clone(d), ' '), true
			}
			return d, true
		}, BundleEvidence + sha},
		{"report swapped", func(n string, d []byte) ([]byte, bool) {
			if n == BundleReport {
				return []byte("%PDF-1.4 something else"), true
			}
			return d, true
		}, BundleReport},
		{"evidence removed", func(n string, d []byte) ([]byte, bool) { return d, n != BundleEvidence+sha }, BundleEvidence + sha},
		{"file smuggled in", func(_ string, d []byte) ([]byte, bool) { return d, true }, ""},
		{"manifest removed", func(n string, d []byte) ([]byte, bool) { return d, n != BundleManifest }, BundleManifest},
		{"manifest names another incident", func(n string, d []byte) ([]byte, bool) {
			if n == BundleManifest {
				return bytes.Replace(d, []byte(b.Case.Incident.ID), []byte("INC-20990101-AAAAAA"), 1), true
			}
			return d, true
		}, BundleManifest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := rezip(t, zipped, tt.edit)
			if tt.wantFile == "" {
				// Add an unlisted file to an otherwise intact archive.
				bad = addFile(t, bad, "evidence/extra", []byte("x"))
				tt.wantFile = "evidence/extra"
			}
			_, _, _, err := ReadBundle(bytes.NewReader(bad), int64(len(bad)), DefaultMaxBundleContent)
			var be *BundleError
			require.True(t, errors.As(err, &be), "%v", err)
			assert.Equal(t, tt.wantFile, be.File, "%v", err)
		})
	}
}

func addFile(t *testing.T, zipped []byte, name string, data []byte) []byte {
	t.Helper()
	out := rezip(t, zipped, func(_ string, d []byte) ([]byte, bool) { return d, true })
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		require.NoError(t, zw.Copy(f))
	}
	w, err := zw.Create(name)
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestReadBundleRefusesNonZip(t *testing.T) {
	data := []byte("this is not a zip")
	_, _, _, err := ReadBundle(bytes.NewReader(data), int64(len(data)), DefaultMaxBundleContent)
	require.ErrorIs(t, err, app.ErrInvalid)
}

// lyingBundle is an archive whose manifest says evidence/x is small while
// the file inflates to n bytes of zeros; headerSize is what the zip's own
// header claims.
func lyingBundle(t *testing.T, n, headerSize int64) []byte {
	t.Helper()
	var deflated bytes.Buffer
	zw := zip.NewWriter(&deflated)
	w, err := zw.Create("x")
	require.NoError(t, err)
	_, err = w.Write(make([]byte, n))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	src, err := zip.NewReader(bytes.NewReader(deflated.Bytes()), int64(deflated.Len()))
	require.NoError(t, err)
	raw, err := src.File[0].OpenRaw()
	require.NoError(t, err)
	stream, err := io.ReadAll(raw)
	require.NoError(t, err)

	name := BundleEvidence + strings.Repeat("a", 64)
	manifest, err := json.Marshal(Manifest{Format: app.BundleFormat, Incident: "INC-20261126-7K3QX9",
		Files: []ManifestFile{{Name: name, SHA256: strings.Repeat("a", 64), Size: 10}}})
	require.NoError(t, err)
	var out bytes.Buffer
	zw = zip.NewWriter(&out)
	mw, err := zw.Create(BundleManifest)
	require.NoError(t, err)
	_, err = mw.Write(manifest)
	require.NoError(t, err)
	h := src.File[0].FileHeader
	h.Name, h.UncompressedSize64 = name, uint64(headerSize)
	rw, err := zw.CreateRaw(&h)
	require.NoError(t, err)
	_, err = rw.Write(stream)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return out.Bytes()
}

func TestAnEntryThatInflatesBeyondTheManifestIsRefusedWithoutInflatingIt(t *testing.T) {
	for _, tc := range []struct {
		name       string
		headerSize int64
		want       string
	}{
		{"the zip header tells the truth", 64 << 20, "is 67108864 bytes in the archive but 10 in manifest.json"},
		{"the zip header lies too", 10, "cannot be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bomb := lyingBundle(t, 64<<20, tc.headerSize)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, _, err := ReadBundle(bytes.NewReader(bomb), int64(len(bomb)), DefaultMaxBundleContent)
			runtime.ReadMemStats(&after)
			var be *BundleError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, BundleEvidence+strings.Repeat("a", 64), be.File)
			assert.Contains(t, err.Error(), tc.want)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8<<20), "allocated while refusing")
		})
	}
}
