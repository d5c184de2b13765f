package reports

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jung-kurt/gofpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"

	"s3responder/app"
)

// A request for action goes to the owner of a bucket the responder does
// not control. It is built once as the same document model the incident
// report uses, and drawn as Markdown (for a ticket or an e-mail) and as
// PDF (to attach), so both say exactly the same.

// requestDocument builds the request's content.
func requestDocument(r app.ActionRequest) document {
	inc := r.Incident
	d := document{
		title:     "Request for action: bucket " + r.Bucket,
		id:        inc.ID,
		exercise:  inc.Exercise,
		banner:    banner(inc),
		generated: fmtUTC(r.At),
	}
	d.cover = []cell{
		muted("To"), plain("The owner of S3 bucket " + r.Bucket),
		muted("From"), plain(orDefault(r.From, "the incident response team")),
		muted("Incident"), plain(inc.ID + " · " + orDefault(inc.Title, "untitled")),
		muted("Severity"), plain(orDefault(string(inc.Severity), "not set")),
		muted("Written"), plain(fmtUTC(r.At)),
	}
	if inc.Ticket != "" {
		d.cover = append(d.cover, muted("Our reference"), plain(inc.Ticket))
	}

	why := fmt.Sprintf("While responding to incident %s we found that S3 bucket %s, which our team does not administer, may be open to people who should not reach it. "+
		"We cannot change it ourselves. Please make the changes below as soon as you can, then send us the proof listed at the end.", inc.ID, r.Bucket)
	intro := []block{paragraph{text: why}}
	if v := r.Verdict; v != nil {
		tone := toneNormal
		if v.Public {
			tone = toneAlert
		}
		intro = append(intro, paragraph{tone: tone, text: fmt.Sprintf("Our last check of the bucket (%s, evidence %s) rated it: %s.", fmtUTC(v.CollectedAt), v.EvidenceID, v.Access)})
	}
	if inc.Exercise {
		intro = append(intro, paragraph{tone: toneAlert, text: "This request comes from an EXERCISE: nothing needs to change."})
	}
	for _, n := range r.Notes {
		intro = append(intro, paragraph{tone: toneMuted, text: n})
	}

	var found []block
	if v := r.Verdict; v != nil && len(v.Reasons) > 0 {
		found = append(found, heading{text: "The bucket's exposure"}, bulletList{items: v.Reasons})
		if len(v.SharedWith) > 0 {
			found = append(found, paragraph{text: "Accounts and organisations with access: " + strings.Join(v.SharedWith, ", ") + "."})
		}
	}
	if len(r.Findings) > 0 {
		t := table{cols: []column{{title: "When (UTC)", width: 1.2}, {title: "Finding", width: 4.3}}}
		for _, f := range r.Findings {
			t.rows = append(t.rows, []cell{plain(fmtUTC(f.EventTime)), plain(f.Text)})
		}
		found = append(found, heading{text: "Findings of the investigation"}, t)
	}
	if len(found) == 0 {
		found = append(found, paragraph{tone: toneMuted, text: "No finding about this bucket is recorded yet; the requests below are what we ask of any bucket suspected to be exposed."})
	}

	var asks []block
	for i, a := range r.Asks {
		asks = append(asks, heading{text: fmt.Sprintf("%d. %s", i+1, a.Title)}, paragraph{text: a.Why})
		if len(a.Commands) > 0 {
			asks = append(asks, commandTable(a.Commands))
		}
	}
	var proof []block
	proof = append(proof, paragraph{text: "Please run these once the changes are made and send us their output, with the time of each change:"})
	for _, p := range r.Proof {
		proof = append(proof, heading{text: p.Title})
		if len(p.Commands) > 0 {
			proof = append(proof, commandTable(p.Commands))
		}
	}

	ev := table{cols: []column{{title: "Evidence", width: 1.3, mono: true}, {title: "What", width: 3}, {title: "Collected (UTC)", width: 1.3}, {title: "SHA-256", width: 1.6, mono: true}}}
	for _, e := range r.Evidence {
		ev.rows = append(ev.rows, []cell{plain(e.ID), plain(e.Title), plain(fmtUTC(e.CollectedAt)), plain(short(e.SHA256))})
	}
	evidence := []block{paragraph{text: "Each item is kept unchanged with the incident under its SHA-256; we can share any of them on request."}}
	if len(ev.rows) > 0 {
		evidence = append(evidence, ev)
	} else {
		evidence = []block{paragraph{tone: toneMuted, text: "No evidence item about this bucket is kept yet."}}
	}

	d.sections = []section{
		{id: "why", title: "Why we are writing", blocks: intro},
		{id: "found", title: "What we found", blocks: found},
		{id: "asks", title: "What we ask you to change", blocks: asks},
		{id: "proof", title: "What to send back", blocks: proof},
		{id: "evidence", title: "Evidence", blocks: evidence},
	}
	return d
}

// commandTable shows commands one per row in a fixed-width font.
func commandTable(cmds []string) table {
	t := table{cols: []column{{title: "AWS CLI (run with your own profile and region)", width: 1, mono: true}}}
	for _, c := range cmds {
		t.rows = append(t.rows, []cell{plain(c)})
	}
	return t
}

// RequestMarkdown writes the request for action as Markdown.
func RequestMarkdown(w io.Writer, r app.ActionRequest) error {
	d := requestDocument(r)
	bw := bufio.NewWriter(w)
	m := mdWriter{w: bw}
	if d.exercise {
		m.line("> **EXERCISE — NOT A REAL INCIDENT**")
		m.line("")
	}
	m.line("**" + mdEscape(d.banner) + "**")
	m.line("")
	m.line("# " + mdEscape(d.title))
	m.line("")
	rows := make([][]cell, 0, len(d.cover)/2)
	for i := 0; i+1 < len(d.cover); i += 2 {
		rows = append(rows, []cell{d.cover[i], d.cover[i+1]})
	}
	m.table(table{keyValue: true, cols: []column{{}, {}}, rows: rows})
	for i, s := range d.sections {
		m.line(fmt.Sprintf("## %d. %s", i+1, mdEscape(s.title)))
		m.line("")
		for _, b := range s.blocks {
			switch b := b.(type) {
			case heading:
				m.line("### " + mdEscape(b.text))
				m.line("")
			case paragraph:
				m.line(styled(cell(b), false))
				m.line("")
			case bulletList:
				for _, it := range b.items {
					m.line("- " + mdInline(it))
				}
				m.line("")
			case table:
				if len(b.cols) == 1 && b.cols[0].mono {
					// Commands as a shell block, ready to copy.
					m.line("```sh")
					for _, row := range b.rows {
						m.line(row[0].text)
					}
					m.line("```")
					m.line("")
					continue
				}
				m.table(b)
			}
		}
	}
	m.line("---")
	m.line("")
	m.line(fmt.Sprintf("_%s · written %s by S3 Responder_", mdEscape(d.id), d.generated))
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write Markdown: %w", err)
	}
	return nil
}

// RequestPDF writes the request for action as a PDF. Like the report, the
// output depends only on r (dates from r.At, sorted catalogue).
func RequestPDF(w io.Writer, r app.ActionRequest) error {
	f := gofpdf.New("P", "mm", "A4", "")
	f.SetCatalogSort(true)
	f.SetCreationDate(r.At.UTC())
	f.SetModificationDate(r.At.UTC())
	f.SetAutoPageBreak(false, 0)
	f.SetMargins(marginX, contentTop, marginX)
	d := &pdfDoc{f: f, measure: gofpdf.New("P", "mm", "A4", ""), doc: requestDocument(r), faces: map[string]*face{}, fill: noColor}
	fonts := []struct {
		family, style string
		ttf           []byte
	}{
		{sans, "", goregular.TTF}, {sans, "B", gobold.TTF}, {sans, "I", goitalic.TTF}, {mono, "", gomono.TTF},
	}
	for _, ft := range fonts {
		parsed, err := parseCmap(ft.ttf)
		if err != nil {
			return fmt.Errorf("parse embedded font %s%s: %w", ft.family, ft.style, err)
		}
		// gofpdf writes into the bytes it is given: each document its own copy.
		f.AddUTF8FontFromBytes(ft.family, ft.style, bytes.Clone(ft.ttf))
		d.measure.AddUTF8FontFromBytes(ft.family, ft.style, bytes.Clone(ft.ttf))
		d.faces[ft.family+ft.style] = &face{family: ft.family, style: ft.style, cmap: parsed, widths: map[rune]int{}, has: map[rune]bool{}}
	}
	f.SetTitle(d.doc.title, true)
	f.SetSubject("Incident "+d.doc.id, true)
	f.SetCreator("S3 Responder", true)
	if err := errors.Join(f.Error(), d.measure.Error()); err != nil {
		return fmt.Errorf("prepare PDF: %w", err)
	}
	d.renderRequest()
	if err := d.f.Error(); err != nil {
		return fmt.Errorf("render PDF: %w", err)
	}
	if err := d.f.Output(w); err != nil {
		return fmt.Errorf("write PDF: %w", err)
	}
	return nil
}

// renderRequest draws the request: a heading block on the first page,
// the sections in order, then banner, header and page numbers on each page.
func (d *pdfDoc) renderRequest() {
	d.newPage()
	d.y = 26
	d.setFont(sans, "B", 11)
	d.color(colMuted)
	d.text(marginX, d.y, "REQUEST FOR ACTION")
	d.y += 8
	d.setFont(sans, "B", 18)
	d.color(colText)
	for _, l := range d.wrap(d.doc.title, contentW) {
		d.text(marginX, d.y, l)
		d.y += 18 * ptToMM * 1.25
	}
	d.y += 2
	if d.doc.exercise {
		d.setFont(sans, "B", 13)
		d.color(colAlert)
		d.text(marginX, d.y, "EXERCISE — NOT A REAL INCIDENT")
		d.y += 9
	}
	t := table{keyValue: true, cols: []column{{width: 1.2}, {width: 4}}}
	for i := 0; i+1 < len(d.doc.cover); i += 2 {
		t.rows = append(t.rows, []cell{d.doc.cover[i], d.doc.cover[i+1]})
	}
	d.table(t)
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
			}
		}
	}
	total := d.f.PageCount()
	for p := 1; p <= total; p++ {
		d.f.SetPage(p)
		d.fill = noColor
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
			d.text(marginX, 15, d.fitLine(d.doc.title, contentW*0.75))
			right := "Request for action"
			d.text(marginX+contentW-d.width(right), 15, right)
		}
		d.text(marginX, pageH-11.5, d.doc.id)
		pageText := fmt.Sprintf("Page %d of %d", p, total)
		d.text(marginX+(contentW-d.width(pageText))/2, pageH-11.5, pageText)
		asOf := "Written " + d.doc.generated
		d.text(marginX+contentW-d.width(asOf), pageH-11.5, asOf)
		if d.doc.exercise {
			d.watermark()
		}
	}
	d.f.SetPage(total)
}
