package reports

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The PDF tests read the documents back with poppler-utils (pdftotext,
// pdftoppm, pdfinfo), which the project's test script installs.

func renderPDF(t testing.TB, r app.Report) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, PDF(&buf, r))
	file := filepath.Join(t.TempDir(), "report.pdf")
	require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o600))
	return file, buf.Bytes()
}

func poppler(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %v: %s", name, args, out)
	return string(out)
}

func pdfText(t testing.TB, file string, args ...string) string {
	t.Helper()
	return poppler(t, "pdftotext", append(append([]string{"-enc", "UTF-8"}, args...), file, "-")...)
}

func pageCount(t testing.TB, file string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(poppler(t, "pdfinfo", file))
	require.NotNil(t, m, "pdfinfo gave no page count")
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	return n
}

func squash(s string) string { return strings.Join(strings.Fields(s), "") }

// words collapses every run of white space, so a phrase that wrapped onto
// the next line still matches.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

// hasAll reports each phrase missing from text without dumping a whole
// document into the failure.
func hasAll(t *testing.T, text string, phrases ...string) {
	t.Helper()
	norm := words(text)
	for _, p := range phrases {
		assert.True(t, strings.Contains(norm, words(p)), "missing %q", p)
	}
}

func hasNone(t *testing.T, text string, phrases ...string) {
	t.Helper()
	norm := words(text)
	for _, p := range phrases {
		assert.False(t, strings.Contains(norm, words(p)), "unexpected %q", p)
	}
}

func TestPDFHoldsEverySectionAndTheIncidentData(t *testing.T) {
	r := richReport(t)
	file, _ := renderPDF(t, r)
	text := pdfText(t, file, "-raw")
	flat := squash(text)

	for _, title := range []string{"Contents", "Executive summary", "Key metrics and durations", "Timeline chart", "Full timeline",
		"Affected resources", "Findings", "Actions taken", "Evidence and chain of custody", "Playbook completion",
		"Stakeholders, communications and deadlines", "Lessons learned", "Action items", "Appendix: configuration before and after",
		"What happened", "Impact", "Current status", "Integrity of this record", "Key times", "Durations",
		"Exposure verdicts and trail summaries", "Skipped steps and their reasons", "Steps excluded by decisions",
		"Stakeholders", "Communications log", "Deadlines", "What information would have helped",
		"What detection would have raised the alarm sooner", "What configuration would have prevented it",
		"What automation would have helped", "Root cause", "Attack vectors", "Misconfigurations found", "Risk register updates",
	} {
		hasAll(t, text, title)
	}
	inc := r.Case.Incident
	for _, want := range []string{
		inc.ID, inc.Title, "Zoë Łódź", "Bartosz Wąsik", "Maître Chloé Dubois", "EXERCISE", "Confidential", "P1 critical", "SEC-4711",
		"acme-payroll-exports", "acme-payroll-archive", "444455556666", "Payroll ETL", "Europe/Warsaw",
		"2026-03-02 08:15:00 UTC", "2026-03-02 09:15:00 CET", // detected, in UTC and the incident's zone
		"report-test version 2.1", "1 h 35 min", "18 h 20 min", "not reached yet",
		"Part 1: Acquire and triage", "Part 2: Contain", "General (",
		"Reason: communication plan already agreed in the exercise brief", "Excluded by decision", "Answer: Bucket policy",
		"OVERDUE (open)", "Regulator notification", "Possible exposure of payroll data",
		"Risk R-12 (public data exposure)", "Block Public Access off at account level",
		"CloudTrail summary: 14 GetObject calls", "Exposure verdict: public through bucket policy", "Access Analyzer: bucket",
		"aws s3api delete-bucket-policy --bucket acme-payroll-exports", "Before", "After", "Page 1 of", "Verifies (9 entries",
		"recorded 2026-03-02 23:15:00 UTC",                             // the late note is flagged
		"Content of EV-0001", `"Principal": "*"`, "Content of EV-0002", // the appendix prints the snapshots
	} {
		hasAll(t, text, want)
	}
	// Hashes wrap inside their column; their pieces follow each other.
	assert.True(t, strings.Contains(flat, inc.Playbook.SHA256), "playbook hash")
	for _, ev := range r.Evidence {
		assert.True(t, strings.Contains(flat, ev.SHA256), "evidence %s hash", ev.ID)
	}
	assert.True(t, strings.Contains(flat, "awss3apiput-public-access-block--bucketacme-payroll-exports--public-access-block-configurationBlockPublicAcls=true"), "CLI command")
	// The contents page gives the page each section starts on.
	n := pageCount(t, file)
	contents := pdfText(t, file, "-raw", "-f", "2", "-l", "2")
	for i, title := range []string{"Executive summary", "Appendix: configuration before and after"} {
		m := regexp.MustCompile(regexp.QuoteMeta(title) + `[ .]*(\d+)`).FindStringSubmatch(contents)
		require.NotNil(t, m, "contents entry %d", i)
		p, _ := strconv.Atoi(m[1])
		require.True(t, p >= 3 && p <= n, "page %d of %d", p, n)
		hasAll(t, pdfText(t, file, "-raw", "-f", m[1], "-l", m[1]), title)
	}
	// Every page has the banner, "Page N of M" and, this being an exercise,
	// the watermark as well as the banner's EXERCISE.
	for p := 1; p <= n; p++ {
		pt := pdfText(t, file, "-raw", "-f", fmt.Sprint(p), "-l", fmt.Sprint(p))
		hasAll(t, pt, fmt.Sprintf("Page %d of %d", p, n), "CONFIDENTIAL")
		assert.GreaterOrEqual(t, strings.Count(squash(pt), "EXERCISE"), 2, "page %d", p)
	}
}

func TestPDFRealIncidentHasNoWatermarkAndSaysWhatIsMissing(t *testing.T) {
	r := richReport(t)
	inc := &r.Case.Incident
	inc.Exercise = false
	inc.Classification = ""
	inc.Review = app.Review{}
	inc.Times = app.KeyTimes{Detected: at(0)}
	r.Evidence = nil
	r.ChainOK, r.ChainProblem = false, "timeline chain broken at entry 4: content does not match its hash (edited)"
	file, _ := renderPDF(t, r)
	text := pdfText(t, file, "-raw")
	assert.False(t, strings.Contains(squash(text), "EXERCISE"), "no EXERCISE anywhere")
	for _, want := range []string{"CLASSIFICATION NOT SET", "None recorded yet.", "No evidence has been collected yet.",
		"No configuration snapshot has been recorded yet.", "Not recorded yet.", "It has not been contained yet.",
		"WARNING: the timeline does not verify", "DOES NOT VERIFY", "entry 4", "not started"} {
		hasAll(t, text, want)
	}
}

func TestPDFFirstPageRendersToAnImage(t *testing.T) {
	file, _ := renderPDF(t, richReport(t))
	prefix := filepath.Join(t.TempDir(), "page")
	poppler(t, "pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", file, prefix)
	f, err := os.Open(prefix + ".png")
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	b := img.Bounds()
	assert.InDelta(t, 496, b.Dx(), 2, "A4 at 60 dpi")
	inked, banner := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				inked++
			}
			if r > 0x6000 && g < 0x3000 && bl < 0x3000 {
				banner++ // the dark red classification banner
			}
		}
	}
	total := b.Dx() * b.Dy()
	assert.Greater(t, inked, total/50, "the page has visible content")
	assert.Less(t, inked, total/2, "the page is not a solid block")
	assert.Greater(t, banner, 1000, "the classification banner is drawn")
}

func TestPDFIsDeterministic(t *testing.T) {
	r := richReport(t)
	_, a := renderPDF(t, r)
	_, b := renderPDF(t, richReport(t))
	require.True(t, bytes.Equal(a, b), "same report, same bytes")

	golden := filepath.Join("testdata", "rich.pdf.sha256")
	sum := app.HashHex(a) + "\n"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(sum), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./reports -run Deterministic -update to create it")
	assert.Equal(t, string(want), sum, "rendering changed: look at the PDF, then run with -update")

	r.GeneratedAt = r.GeneratedAt.Add(time.Hour)
	_, c := renderPDF(t, r)
	assert.False(t, bytes.Equal(a, c), "the report time is part of the document")
}

func TestPDFLongIncident(t *testing.T) {
	r := longReport(t, 10000, 1000)
	file, _ := renderPDF(t, r)
	n := pageCount(t, file)
	assert.Greater(t, n, 100)
	text := pdfText(t, file, "-raw")
	hasAll(t, text, "Entry 9999: GetObject", "Entry 0: GetObject", "Artifact 999", fmt.Sprintf("Page %d of %d", n, n))
	// Every entry once in the full timeline; findings and actions (a fifth
	// each) once more in their own sections.
	assert.Equal(t, 10000+2000+2000, strings.Count(words(text), ": GetObject on s3://"))
}

// bboxWord matches pdftotext -bbox output.
var bboxWord = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">`)

func TestPDFTablesNeverOverflow(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 125) // 2,000 characters, no space
	r := richReport(t)
	r.Timeline = append([]app.Entry(nil), r.Timeline...)
	extra := []app.Entry{
		{EventTime: at(500), RecordedAt: at(500), Actor: "Ana", Kind: app.KindNote, Text: long},
		// A 2,000-character actor in the narrow actor column is taller
		// than a page and must be split across pages.
		{EventTime: at(501), RecordedAt: at(501), Actor: long, Kind: app.KindNote, Text: "short"},
	}
	entries := append(r.Timeline, extra...)
	for i := range entries {
		entries[i].Hash = ""
	}
	r.Timeline, r.Head = seal(entries)
	r.Case.Incident.Principals = append(r.Case.Incident.Principals, "arn:aws:iam::111122223333:role/"+long)
	file, _ := renderPDF(t, r)

	flat := squash(pdfText(t, file, "-raw"))
	assert.GreaterOrEqual(t, strings.Count(flat, long), 3, "each copy of the long string is printed whole")

	bbox := poppler(t, "pdftotext", "-bbox", file, "-")
	const pageWpt, pageHpt = 595.28, 841.89
	words := bboxWord.FindAllStringSubmatch(bbox, -1)
	require.NotEmpty(t, words)
	inside := 0
	for _, w := range words {
		x0, _ := strconv.ParseFloat(w[1], 64)
		x1, _ := strconv.ParseFloat(w[3], 64)
		y1, _ := strconv.ParseFloat(w[4], 64)
		if x1-x0 > 400 {
			continue // the rotated watermark
		}
		inside++
		assert.GreaterOrEqual(t, x0, 15/ptToMM-1)
		assert.LessOrEqual(t, x1, pageWpt-15/ptToMM+1, "word ends past the right margin: %s", w[0])
		assert.LessOrEqual(t, y1, pageHpt)
	}
	assert.Greater(t, inside, 1000)
}

func TestPDFSectionSelectionAndLogo(t *testing.T) {
	logo := image.NewRGBA(image.Rect(0, 0, 120, 40))
	for x := 0; x < 120; x++ {
		for y := 0; y < 40; y++ {
			logo.Set(x, y, color.RGBA{uint8(x * 2), 80, 160, 255})
		}
	}
	var lb bytes.Buffer
	require.NoError(t, png.Encode(&lb, logo))
	r := richReport(t)
	r.Sections = []string{"summary", "evidence"}
	r.Logo = lb.Bytes()
	file, _ := renderPDF(t, r)
	text := pdfText(t, file, "-raw")
	hasAll(t, text, "1. Executive summary", "2. Evidence and chain of custody",
		"Left out of this report at the responder's request: Key metrics and durations;")
	hasNone(t, text, "Communications log", "Key times", "Part 1: Acquire and triage")
	images := poppler(t, "pdfimages", "-list", file)
	assert.Regexp(t, `(?m)^\s*1\s+\d+\s+image\s+120\s+40\s`, images, "the logo is on page 1")

	r.Logo = []byte("not an image")
	err := PDF(&bytes.Buffer{}, r)
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "logo")
}

func TestPDFDrawsUnknownCharactersAsQuestionMarks(t *testing.T) {
	r := richReport(t)
	// U+10000 is the first rune past gofpdf's width table: measured
	// unfiltered it would index one past its end.
	r.Case.Incident.Title = "Fire \U0001F525 in 漢字 bucket\x07 with\ttab \U00010000"
	file, _ := renderPDF(t, r)
	text := pdfText(t, file, "-raw")
	hasAll(t, text, "Fire ? in ?? bucket with tab ?")
}

func TestWrapFitsAndKeepsText(t *testing.T) {
	d, err := newPDFDoc(richReport(t))
	require.NoError(t, err)
	d.newPage()
	tests := []struct {
		name, text string
		width      float64
	}{
		{"words", "The bucket policy was copied from a test account during the migration of the payroll exports.", 40},
		{"unbroken", strings.Repeat("a1b2c3d4", 60), 30},
		{"arn", "arn:aws:sts::444455556666:assumed-role/etl-runner/session-with-a-very-long-name-indeed", 25},
		{"newlines", "first line\n\nthird line after an empty one", 100},
		{"narrower than a letter", "Łódź", 0.5},
		{"indented", "   2.2.1 Block public access on the bucket", 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d.setFont(sans, "", sizeTable)
			lines := d.wrap(tt.text, tt.width)
			for _, l := range lines {
				if len([]rune(l)) > 1 {
					assert.LessOrEqual(t, d.width(l), tt.width+0.01, "line %q", l)
				}
			}
			assert.Equal(t, squash(tt.text), squash(strings.Join(lines, "")))
			assert.Equal(t, strings.Count(tt.text, "\n")+1 <= len(lines), true)
		})
	}
	d.setFont(sans, "", sizeTable)
	lines := d.wrap("arn:aws:iam::111122223333:role/payroll-exporter", 30)
	require.Greater(t, len(lines), 1)
	assert.True(t, strings.HasSuffix(lines[0], ":") || strings.HasSuffix(lines[0], "/"), "breaks after a separator: %q", lines[0])
	assert.Equal(t, "   2.2.1", d.wrap("   2.2.1", 30)[0], "indentation is kept")
}

func TestCmap(t *testing.T) {
	d, err := newPDFDoc(richReport(t))
	require.NoError(t, err)
	for _, name := range []string{sans, sans + "B", sans + "I", mono} {
		c := d.faces[name].cmap
		for _, r := range "AZaz09ëŁóźą→—“”•€" {
			assert.True(t, c.has(r), "%s has %q", name, r)
		}
		for _, r := range []rune{0x4E00, 0x1F525, 0x0007, 0xE000} {
			assert.False(t, c.has(r), "%s lacks %U", name, r)
		}
	}
	_, err = parseCmap([]byte("not a font"))
	assert.Error(t, err)
}

// BenchmarkPDF10k renders the 10,000-entry, 1,000-evidence report and
// reports the peak live heap seen while rendering (sampled every
// millisecond) beside the usual time and allocation figures.
func BenchmarkPDF10k(b *testing.B) {
	r := longReport(b, 10000, 1000)
	b.ReportAllocs()
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	var peak uint64
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	runtime.GC()
	go func() {
		defer close(done)
		s := append([]metrics.Sample(nil), samples...)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				metrics.Read(s)
				inUse := s[0].Value.Uint64() + s[1].Value.Uint64()
				mu.Lock()
				peak = max(peak, inUse)
				mu.Unlock()
			}
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := PDF(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
