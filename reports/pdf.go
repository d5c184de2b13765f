package reports

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // logos may be JPEG
	_ "image/png"  // or PNG
	"io"
	"strings"
	"unicode/utf8"

	"github.com/jung-kurt/gofpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"

	"s3responder/app"
)

// Page geometry, in millimetres (A4 portrait).
const (
	pageW        = 210.0
	pageH        = 297.0
	marginX      = 15.0
	contentW     = pageW - 2*marginX
	contentTop   = 22.0
	contentLimit = pageH - 17.0
	ptToMM       = 25.4 / 72
)

// Font families registered in every document. The Go fonts are embedded
// as UTF-8 TrueType: the PDF core fonts only know Windows-1252, and names
// like "Zoë Łódź" must come out as written.
const (
	sans = "gosans"
	mono = "gomono"
)

// Text sizes in points.
const (
	sizeBody    = 9.0
	sizeTable   = 7.5
	sizeMono    = 6.5
	sizeHeading = 10.5
	sizeSection = 15.0
)

type rgb struct{ r, g, b int }

var (
	colText   = rgb{25, 25, 30}
	colMuted  = rgb{105, 105, 110}
	colAlert  = rgb{175, 20, 20}
	colRule   = rgb{195, 200, 210}
	colHeadBg = rgb{226, 231, 239}
	colZebra  = rgb{246, 247, 250}
	colBanner = rgb{120, 22, 32}
	colAccent = rgb{30, 60, 110}
)

// face is one registered font style with what the layout needs to know
// about it: glyph widths (cached per rune) and which runes it can draw.
type face struct {
	family, style string
	cmap          *cmap
	widths        map[rune]int
	has           map[rune]bool
}

// placed records where a section landed, for the contents page.
type placed struct {
	title string
	page  int
	y     float64
	link  int
}

type pdfDoc struct {
	f *gofpdf.Fpdf
	// measure holds the same fonts and never gets a page: measuring text
	// through it selects fonts without writing a font change into the page
	// for every cell that is only being measured.
	measure *gofpdf.Fpdf
	doc     document
	faces   map[string]*face
	// cur and sizePt are the font text is measured and drawn with; text()
	// hands them to gofpdf, which writes a change only when there is one.
	cur    *face
	sizePt float64
	// applied and appliedSize are the font gofpdf last wrote into the page.
	applied     *face
	appliedSize float64
	// fill is the page's current fill colour, which PDF also uses for
	// text: keeping text and fill the same spares gofpdf wrapping every
	// line in a save/colour/restore sequence.
	fill   rgb
	y      float64
	placed []placed
}

// PDF renders the post-incident report. The output depends only on r: the
// document dates come from r.GeneratedAt and the catalogue is sorted, so
// the same report always gives the same bytes.
//
// The contents page is page 2, but pages are only known once the sections
// are laid out. Rather than rendering twice, page 2 is left empty, the
// sections record where they start, and the contents, page headers and
// "Page N of M" footers are drawn at the end by returning to each page
// (gofpdf's SetPage). That also avoids RegisterAlias, whose placeholders
// would be replaced inside the incident's own text too.
func PDF(w io.Writer, r app.Report) error {
	d, err := newPDFDoc(r)
	if err != nil {
		return err
	}
	d.render()
	if err := d.f.Error(); err != nil {
		return fmt.Errorf("render PDF: %w", err)
	}
	if err := d.f.Output(w); err != nil {
		return fmt.Errorf("write PDF: %w", err)
	}
	return nil
}

func newPDFDoc(r app.Report) (*pdfDoc, error) {
	f := gofpdf.New("P", "mm", "A4", "")
	f.SetCatalogSort(true)
	f.SetCreationDate(r.GeneratedAt.UTC())
	f.SetModificationDate(r.GeneratedAt.UTC())
	f.SetAutoPageBreak(false, 0)
	f.SetMargins(marginX, contentTop, marginX)
	d := &pdfDoc{f: f, measure: gofpdf.New("P", "mm", "A4", ""), doc: buildDocument(r), faces: map[string]*face{}, fill: noColor}
	fonts := []struct {
		family, style string
		ttf           []byte
	}{
		{sans, "", goregular.TTF}, {sans, "B", gobold.TTF}, {sans, "I", goitalic.TTF}, {mono, "", gomono.TTF},
	}
	for _, ft := range fonts {
		parsed, err := parseCmap(ft.ttf)
		if err != nil {
			return nil, fmt.Errorf("parse embedded font %s%s: %w", ft.family, ft.style, err)
		}
		// gofpdf writes into the font bytes it is given while it subsets
		// the font, so each document gets its own copy: sharing the
		// package's bytes made the second document of a process differ
		// from the first.
		f.AddUTF8FontFromBytes(ft.family, ft.style, bytes.Clone(ft.ttf))
		d.measure.AddUTF8FontFromBytes(ft.family, ft.style, bytes.Clone(ft.ttf))
		d.faces[ft.family+ft.style] = &face{family: ft.family, style: ft.style, cmap: parsed, widths: map[rune]int{}, has: map[rune]bool{}}
	}
	f.SetTitle("Post-incident report: "+d.doc.title, true)
	f.SetSubject("Incident "+d.doc.id, true)
	f.SetCreator("S3 Responder", true)
	if len(r.Logo) > 0 {
		if err := registerLogo(f, r.Logo); err != nil {
			return nil, err
		}
	}
	if err := errors.Join(f.Error(), d.measure.Error()); err != nil {
		return nil, fmt.Errorf("prepare PDF: %w", err)
	}
	return d, nil
}

const logoName = "logo"

func registerLogo(f *gofpdf.Fpdf, data []byte) error {
	_, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%w: logo: not a PNG or JPEG image: %v", app.ErrInvalid, err)
	}
	typ := map[string]string{"png": "PNG", "jpeg": "JPG"}[format]
	if typ == "" {
		return fmt.Errorf("%w: logo: %s images are not supported, use PNG or JPEG", app.ErrInvalid, format)
	}
	f.RegisterImageOptionsReader(logoName, gofpdf.ImageOptions{ImageType: typ}, bytes.NewReader(data))
	if err := f.Error(); err != nil {
		return fmt.Errorf("%w: logo: %v", app.ErrInvalid, err)
	}
	return nil
}

func (d *pdfDoc) render() {
	d.coverPage()
	d.newPage() // contents, filled in at the end
	if len(d.doc.sections) > 0 {
		d.newPage()
	}
	for i, s := range d.doc.sections {
		d.sectionTitle(fmt.Sprintf("%d. %s", i+1, s.title))
		for _, b := range s.blocks {
			switch b := b.(type) {
			case heading:
				d.heading(b.text)
			case paragraph:
				d.paragraph(b)
			case bulletList:
				d.bullets(b.items)
			case table:
				d.table(b)
			case phaseChart:
				d.chart(b)
			}
		}
	}
	d.contentsPage()
	d.decorate()
	// The model is no longer needed; let it go before gofpdf assembles
	// the file, the moment memory use peaks.
	d.doc.sections = nil
}

// ---------------------------------------------------------------- fonts and text

// setFont chooses the font for measuring and for the next text drawn.
func (d *pdfDoc) setFont(family, style string, size float64) {
	d.cur = d.faces[family+style]
	d.sizePt = size
}

// applyFont hands the chosen font to gofpdf before drawing. gofpdf writes
// a font change into the page on every SetFont, even to the same font, so
// the font last applied is remembered here. AddPage carries the font over
// to the new page, which keeps this memory true across page breaks.
func (d *pdfDoc) applyFont() {
	if d.applied == d.cur && d.appliedSize == d.sizePt {
		return
	}
	d.f.SetFont(d.cur.family, d.cur.style, d.sizePt)
	d.applied, d.appliedSize = d.cur, d.sizePt
}

// forceFont selects a font and writes the selection into the page even if
// gofpdf believes it is current: after SetPage the page's own stream may
// have ended with another font.
func (d *pdfDoc) forceFont(family, style string, size float64) {
	d.setFont(family, style, size)
	d.f.SetFont(family, style, size)
	d.applied, d.appliedSize = d.cur, size
}

// noColor is never a real colour: it forces the next colour change out.
var noColor = rgb{-1, -1, -1}

// color sets the text colour (and the fill colour with it).
func (d *pdfDoc) color(c rgb) {
	d.f.SetTextColor(c.r, c.g, c.b)
	d.setFill(c)
}

func (d *pdfDoc) setFill(c rgb) {
	if d.fill != c {
		d.f.SetFillColor(c.r, c.g, c.b)
		d.fill = c
	}
}

// fillRect paints a rectangle; the text colour is restored by the next
// call to color.
func (d *pdfDoc) fillRect(c rgb, x, y, w, h float64) {
	d.setFill(c)
	d.f.Rect(x, y, w, h, "F")
}

func (d *pdfDoc) toneFont(t tone, size float64) {
	switch t {
	case toneMuted:
		d.setFont(sans, "I", size)
		d.color(colMuted)
	case toneAlert:
		d.setFont(sans, "B", size)
		d.color(colAlert)
	case toneStrong:
		d.setFont(sans, "B", size)
		d.color(colText)
	default:
		d.setFont(sans, "", size)
		d.color(colText)
	}
}

// runeWidth is the advance of r in glyph units (1/1000 em) in the current
// face, cached: measuring rune by rune through gofpdf allocates.
func (d *pdfDoc) runeWidth(r rune) int {
	if w, ok := d.cur.widths[r]; ok {
		return w
	}
	d.measure.SetFont(d.cur.family, d.cur.style, 10)
	w := d.measure.GetStringSymbolWidth(string(r))
	d.cur.widths[r] = w
	return w
}

func (d *pdfDoc) unitsWidth(s string) int {
	w := 0
	for _, r := range s {
		w += d.runeWidth(r)
	}
	return w
}

// width is the width of s in millimetres in the current font.
func (d *pdfDoc) width(s string) float64 {
	return float64(d.unitsWidth(s)) * d.sizePt * ptToMM / 1000
}

func (d *pdfDoc) hasGlyph(r rune) bool {
	if ok, seen := d.cur.has[r]; seen {
		return ok
	}
	ok := d.cur.cmap.has(r)
	d.cur.has[r] = ok
	return ok
}

// clean makes text drawable by the current face: control characters go,
// tabs become spaces, and a rune the font has no glyph for becomes "?"
// rather than an invisible gap (gofpdf would draw nothing and mis-measure).
func (d *pdfDoc) clean(s string) string {
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x7f || (c < 0x20 && c != '\n') {
			simple = false
			break
		}
	}
	if simple {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == '\n':
			b.WriteByte('\n')
		case r == '\t':
			b.WriteString("    ")
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			// dropped
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			b.WriteByte('?')
		case !d.hasGlyph(r):
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// wrap breaks text into lines no wider than w millimetres in the current
// font. Explicit newlines are kept, leading spaces (indentation) too, and
// a word wider than the line (a hash, an ARN, a URL) is broken inside,
// preferably after a separator such as '/' or ':'.
func (d *pdfDoc) wrap(s string, w float64) []string {
	s = d.clean(s)
	limit := int(w * 1000 / (d.sizePt * ptToMM))
	out := make([]string, 0, 2)
	for len(s) > 0 || len(out) == 0 {
		line, rest, found := strings.Cut(s, "\n")
		out = d.wrapLine(line, limit, out)
		if !found {
			break
		}
		s = rest
		if s == "" {
			out = append(out, "")
		}
	}
	return out
}

func (d *pdfDoc) wrapLine(p string, limit int, out []string) []string {
	indent := len(p) - len(strings.TrimLeft(p, " "))
	words := strings.Fields(p)
	if len(words) == 0 {
		return append(out, "")
	}
	space := d.runeWidth(' ')
	var cur strings.Builder
	curW := 0
	if indent > 0 {
		cur.WriteString(p[:indent])
		curW = indent * space
	}
	started := false
	for _, word := range words {
		ww := d.unitsWidth(word)
		if started {
			if curW+space+ww <= limit {
				cur.WriteByte(' ')
				cur.WriteString(word)
				curW += space + ww
				continue
			}
			out = append(out, cur.String())
			cur.Reset()
			curW = 0
		}
		started = true
		if curW+ww <= limit {
			cur.WriteString(word)
			curW += ww
			continue
		}
		chunks := d.breakWord(word, limit-curW, limit)
		for i, c := range chunks {
			if i < len(chunks)-1 {
				cur.WriteString(c)
				out = append(out, cur.String())
				cur.Reset()
				curW = 0
				continue
			}
			cur.WriteString(c)
			curW = d.unitsWidth(c)
		}
	}
	return append(out, cur.String())
}

// breakWord splits a word into pieces: the first fits in first units, the
// others in limit units. Every piece holds at least one rune, so a column
// narrower than a letter still terminates.
func (d *pdfDoc) breakWord(word string, first, limit int) []string {
	var out []string
	start, w := 0, 0
	lastBreak, wAtBreak := -1, 0
	room := first
	for i, r := range word {
		rw := d.runeWidth(r)
		if w+rw > room && i > start {
			cut, cw := i, w
			if lastBreak > start {
				cut, cw = lastBreak, wAtBreak
			}
			out = append(out, word[start:cut])
			w -= cw
			start = cut
			lastBreak = -1
			room = limit
		}
		w += rw
		if strings.ContainsRune("/:-_.,=&?@", r) {
			lastBreak, wAtBreak = i+utf8.RuneLen(r), w
		}
	}
	return append(out, word[start:])
}

// text draws one line with its top at y.
func (d *pdfDoc) text(x, y float64, s string) {
	d.applyFont()
	size := d.sizePt * ptToMM
	d.f.Text(x, y+size*0.85, s)
}

// ---------------------------------------------------------------- flow

func (d *pdfDoc) newPage() {
	d.f.AddPage()
	d.y = contentTop
}

func (d *pdfDoc) atTop() bool { return d.y <= contentTop+0.01 }

// ensure starts a new page unless h millimetres fit below the cursor.
func (d *pdfDoc) ensure(h float64) {
	if d.y+h > contentLimit && !d.atTop() {
		d.newPage()
	}
}

func (d *pdfDoc) sectionTitle(title string) {
	// A section starts on a fresh page unless plenty of room is left: a
	// title stranded at the foot of a page helps nobody.
	if !d.atTop() {
		if contentLimit-d.y < 80 {
			d.newPage()
		} else {
			d.y += 6
		}
	}
	link := d.f.AddLink()
	d.f.SetLink(link, d.y, d.f.PageNo())
	d.placed = append(d.placed, placed{title: title, page: d.f.PageNo(), y: d.y, link: link})
	d.setFont(sans, "B", sizeSection)
	d.color(colAccent)
	d.applyFont()
	d.f.Bookmark(d.clean(title), 0, d.y)
	lines := d.wrap(title, contentW)
	lh := sizeSection * ptToMM * 1.3
	for _, l := range lines {
		d.text(marginX, d.y, l)
		d.y += lh
	}
	d.f.SetDrawColor(colAccent.r, colAccent.g, colAccent.b)
	d.f.SetLineWidth(0.4)
	d.f.Line(marginX, d.y, marginX+contentW, d.y)
	d.y += 4
}

func (d *pdfDoc) heading(s string) {
	lh := sizeHeading * ptToMM * 1.35
	d.ensure(lh + 22) // keep the heading with the start of what follows
	if !d.atTop() {
		d.y += 2
	}
	d.setFont(sans, "B", sizeHeading)
	d.color(colAccent)
	for _, l := range d.wrap(s, contentW) {
		d.ensure(lh)
		d.text(marginX, d.y, l)
		d.y += lh
	}
	d.y += 1
}

func (d *pdfDoc) paragraph(p paragraph) {
	d.toneFont(p.tone, sizeBody)
	lh := sizeBody * ptToMM * 1.4
	for _, l := range d.wrap(p.text, contentW) {
		d.ensure(lh)
		d.text(marginX, d.y, l)
		d.y += lh
	}
	d.y += 2
}

func (d *pdfDoc) bullets(items []string) {
	d.toneFont(toneNormal, sizeBody)
	lh := sizeBody * ptToMM * 1.4
	for _, it := range items {
		for i, l := range d.wrap(it, contentW-5) {
			d.ensure(lh)
			if i == 0 {
				d.text(marginX+1, d.y, "•")
			}
			d.text(marginX+5, d.y, l)
			d.y += lh
		}
		d.y += 0.6
	}
	d.y += 1.5
}

// ---------------------------------------------------------------- tables

const (
	cellPadX = 1.2
	cellPadY = 0.9
	tableLH  = sizeTable * ptToMM * 1.22
)

func (d *pdfDoc) cellFont(t table, col int, c cell) {
	switch {
	case t.cols[col].mono:
		d.setFont(mono, "", sizeMono)
		if c.tone == toneAlert {
			d.color(colAlert)
		} else {
			d.color(colText)
		}
	case t.keyValue && col == 0:
		d.toneFont(toneStrong, sizeTable)
	default:
		d.toneFont(c.tone, sizeTable)
	}
}

// table draws a table whose rows grow to fit their wrapped cells. A row
// that does not fit moves to the next page (with the header repeated); a
// row taller than a whole page is split across pages, so nothing ever
// runs off the bottom or the side.
func (d *pdfDoc) table(t table) {
	n := len(t.cols)
	if n == 0 {
		return
	}
	var total float64
	for _, c := range t.cols {
		total += c.width
	}
	ws := make([]float64, n)
	xs := make([]float64, n)
	x := marginX
	for i, c := range t.cols {
		ws[i] = contentW * c.width / total
		xs[i] = x
		x += ws[i]
	}
	var header [][]string
	headerH := 0.0
	if !t.keyValue {
		d.setFont(sans, "B", sizeTable)
		header = make([][]string, n)
		maxL := 1
		for i, c := range t.cols {
			header[i] = d.wrap(c.title, ws[i]-2*cellPadX)
			maxL = max(maxL, len(header[i]))
		}
		headerH = float64(maxL)*tableLH + 2*cellPadY
	}
	drawHeader := func() {
		if t.keyValue {
			return
		}
		d.setFill(colHeadBg)
		d.f.SetDrawColor(colRule.r, colRule.g, colRule.b)
		d.f.SetLineWidth(0.1)
		d.f.Rect(marginX, d.y, contentW, headerH, "F")
		d.setFont(sans, "B", sizeTable)
		d.color(colText)
		for i := range t.cols {
			for k, l := range header[i] {
				d.text(xs[i]+cellPadX, d.y+cellPadY+float64(k)*tableLH, l)
			}
		}
		d.y += headerH
	}
	// Rules keep one colour and width for the whole table; gofpdf carries
	// both over to new pages.
	d.f.SetDrawColor(colRule.r, colRule.g, colRule.b)
	d.f.SetLineWidth(0.1)
	fullPage := int((contentLimit - contentTop - headerH - 2*cellPadY) / tableLH)
	lines := make([][]string, n)
	// The header is drawn with the first piece of a row below it, so it is
	// never left alone at the foot of a page.
	shown := false
	for ri, row := range t.rows {
		maxL := 1
		for ci := 0; ci < n; ci++ {
			c := cell{}
			if ci < len(row) {
				c = row[ci]
			}
			d.cellFont(t, ci, c)
			lines[ci] = d.wrap(c.text, ws[ci]-2*cellPadX)
			maxL = max(maxL, len(lines[ci]))
		}
		for start := 0; start < maxL; {
			hdr := 0.0
			if !shown {
				hdr = headerH
			}
			avail := int((contentLimit - d.y - hdr - 2*cellPadY) / tableLH)
			remaining := maxL - start
			if avail < remaining && (remaining <= fullPage || avail < 3) && !d.atTop() {
				d.newPage()
				shown = false
				continue
			}
			if !shown {
				drawHeader()
				shown = true
			}
			take := min(max(avail, 1), remaining)
			h := float64(take)*tableLH + 2*cellPadY
			switch {
			case t.keyValue:
				d.fillRect(colZebra, xs[0], d.y, ws[0], h)
			case ri%2 == 1:
				d.fillRect(colZebra, marginX, d.y, contentW, h)
			}
			if t.keyValue && start == 0 && ri == 0 {
				d.f.Line(marginX, d.y, marginX+contentW, d.y)
			}
			// One rule under each row: boxes around every cell would
			// quadruple the drawing operators of a ten-thousand-row table
			// for no gain in legibility.
			d.f.Line(marginX, d.y+h, marginX+contentW, d.y+h)
			for ci := 0; ci < n; ci++ {
				if start >= len(lines[ci]) {
					continue
				}
				c := cell{}
				if ci < len(row) {
					c = row[ci]
				}
				d.cellFont(t, ci, c)
				end := min(start+take, len(lines[ci]))
				for k, l := range lines[ci][start:end] {
					if l != "" {
						d.text(xs[ci]+cellPadX, d.y+cellPadY+float64(k)*tableLH, l)
					}
				}
			}
			d.y += h
			start += take
			if start < maxL {
				d.newPage()
				shown = false
			}
		}
	}
	d.y += 3
}

// ---------------------------------------------------------------- cover and contents

func (d *pdfDoc) coverPage() {
	d.newPage()
	y := 30.0
	if info := d.f.GetImageInfo(logoName); info != nil {
		w, h := info.Width(), info.Height()
		// Fit the logo in a 50 x 25 mm box, keeping its proportions.
		scale := min(50/w, 25/h)
		w, h = w*scale, h*scale
		d.f.ImageOptions(logoName, pageW-marginX-w, 24, w, h, false, gofpdf.ImageOptions{}, 0, "")
		y = max(y, 24+h+6)
	}
	d.y = y
	d.setFont(sans, "B", 11)
	d.color(colMuted)
	d.text(marginX, d.y, "POST-INCIDENT REPORT")
	d.y += 9
	d.setFont(sans, "B", 22)
	d.color(colText)
	for _, l := range d.wrap(d.doc.title, contentW) {
		d.text(marginX, d.y, l)
		d.y += 22 * ptToMM * 1.25
	}
	d.y += 3
	if d.doc.exercise {
		d.setFont(sans, "B", 14)
		d.color(colAlert)
		d.text(marginX, d.y, "EXERCISE — NOT A REAL INCIDENT")
		d.y += 10
	}
	d.y += 4
	t := table{keyValue: true, cols: []column{{width: 1.3}, {width: 4}}}
	for i := 0; i+1 < len(d.doc.cover); i += 2 {
		t.rows = append(t.rows, []cell{d.doc.cover[i], d.doc.cover[i+1]})
	}
	d.table(t)
	d.y += 4
	d.paragraph(paragraph{tone: toneMuted, text: "This document is generated from the incident record. The same record always produces the same document; " +
		"the timeline's hash chain and the SHA-256 of every evidence item let a reader check it against the source."})
}

func (d *pdfDoc) contentsPage() {
	d.f.SetPage(2)
	d.fill = noColor
	d.y = contentTop
	d.forceFont(sans, "B", sizeSection)
	d.color(colAccent)
	d.text(marginX, d.y, "Contents")
	d.y += sizeSection * ptToMM * 1.3
	d.f.SetDrawColor(colAccent.r, colAccent.g, colAccent.b)
	d.f.SetLineWidth(0.4)
	d.f.Line(marginX, d.y, marginX+contentW, d.y)
	d.y += 6
	if len(d.placed) == 0 {
		d.paragraph(paragraph{text: "No section was selected for this report.", tone: toneMuted})
	}
	lh := sizeBody * ptToMM * 1.9
	for _, p := range d.placed {
		d.setFont(sans, "", 10)
		d.color(colText)
		num := fmt.Sprint(p.page)
		numW := d.width(num)
		title := d.clean(p.title)
		titleW := d.width(title)
		d.text(marginX, d.y, title)
		d.text(marginX+contentW-numW, d.y, num)
		// Dot leaders guide the eye from a title to its page.
		dot := d.width(". ")
		if gap := contentW - titleW - numW - 4; gap > dot {
			d.color(colMuted)
			d.text(marginX+titleW+2, d.y, strings.Repeat(". ", int(gap/dot)))
		}
		d.f.Link(marginX, d.y, contentW, lh, p.link)
		d.y += lh
	}
	var left []string
	for _, id := range app.ReportSections {
		if !d.included(id) {
			left = append(left, sectionTitles[id])
		}
	}
	if len(left) > 0 {
		d.y += 4
		d.paragraph(paragraph{tone: toneMuted, text: "Left out of this report at the responder's request: " + strings.Join(left, "; ") + "."})
	}
}

func (d *pdfDoc) included(id string) bool {
	for _, s := range d.doc.sections {
		if s.id == id {
			return true
		}
	}
	return false
}

// decorate draws what every page carries once the page count is known:
// the classification banner, the running header, "Page N of M" and, for
// an exercise, the watermark on top of the content.
func (d *pdfDoc) decorate() {
	total := d.f.PageCount()
	for p := 1; p <= total; p++ {
		d.f.SetPage(p)
		d.fill = noColor // the page's stream ended with whatever it last used
		d.fillRect(colBanner, marginX, 7, contentW, 6)
		d.forceFont(sans, "B", 8.5)
		d.color(rgb{255, 255, 255})
		b := d.clean(d.doc.banner)
		d.text(marginX+(contentW-d.width(b))/2, 8.2, b)
		d.f.SetDrawColor(colRule.r, colRule.g, colRule.b)
		d.f.SetLineWidth(0.2)
		d.f.Line(marginX, pageH-13, marginX+contentW, pageH-13)
		d.setFont(sans, "", 7.5)
		d.color(colMuted)
		if p > 1 {
			head := d.fitLine(d.doc.id+" · "+d.doc.title, contentW*0.75)
			d.text(marginX, 15, head)
			right := "Post-incident report"
			d.text(marginX+contentW-d.width(right), 15, right)
		}
		d.text(marginX, pageH-11.5, d.doc.id)
		pageText := fmt.Sprintf("Page %d of %d", p, total)
		d.text(marginX+(contentW-d.width(pageText))/2, pageH-11.5, pageText)
		asOf := "As of " + d.doc.generated
		d.text(marginX+contentW-d.width(asOf), pageH-11.5, asOf)
		if d.doc.exercise {
			d.watermark()
		}
	}
	d.f.SetPage(total)
}

// fitLine shortens s with an ellipsis to fit w millimetres on one line.
func (d *pdfDoc) fitLine(s string, w float64) string {
	s = strings.ReplaceAll(d.clean(s), "\n", " ")
	if d.width(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && d.width(string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

func (d *pdfDoc) watermark() {
	const word = "EXERCISE"
	d.f.TransformBegin()
	d.f.TransformRotate(55, pageW/2, pageH/2)
	d.f.SetAlpha(0.12, "Normal")
	d.forceFont(sans, "B", 110)
	d.color(colAlert)
	w := d.width(word)
	d.f.Text(pageW/2-w/2, pageH/2+110*ptToMM*0.35, word)
	d.f.SetAlpha(1, "Normal")
	d.f.TransformEnd()
}
