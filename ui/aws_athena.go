package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// awsAthena is the Athena dialog: the person's CloudTrail table, the
// query the wizard writes for them, which they review and may edit, and
// Run. Its entries live as long as the pane, so the table is typed once.
// The bucket and the window come from the pane's own entries.
type awsAthena struct {
	p *awsPane

	database, table, output, workgroup *widget.Entry
	accessKey, key, top                *widget.Entry
	query                              *widget.Select
	sql                                *widget.Entry
	note                               *widget.Label
	write, runBtn                      *widget.Button
	dlg                                *dialog.CustomDialog
	// titles maps the picker's labels to query names.
	titles map[string]string
}

func newAWSAthena(p *awsPane) *awsAthena {
	a := &awsAthena{p: p, titles: map[string]string{}}
	entry := func(hint string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(hint)
		return e
	}
	a.database = entry("the table's database, e.g. default")
	a.table = entry("the CloudTrail table, e.g. cloudtrail_logs")
	a.output = entry("s3://bucket/prefix/ (default: the workgroup's)")
	a.workgroup = entry("primary")
	a.accessKey = entry("for by-access-key: AKIA…")
	a.key = entry("for by-object-key: the object key")
	a.top = entry("25 readers")
	var labels []string
	for _, n := range app.AthenaQueryNames {
		q, _ := app.AthenaQueryFor(n, app.AthenaParams{Database: "d", Table: "t"}) // titles only; always valid
		label := n + ": " + q.Title
		a.titles[label] = n
		labels = append(labels, label)
	}
	a.query = widget.NewSelect(labels, func(string) { a.onWrite() })
	a.query.PlaceHolder = "choose the query"
	a.sql = widget.NewMultiLineEntry()
	a.sql.Wrapping = fyne.TextWrapOff
	a.sql.SetPlaceHolder("The query appears here, to review and edit before it runs.")
	a.sql.SetMinRowsVisible(14)
	a.note = widget.NewLabel("The bucket and the time window are those of the AWS pane. Athena charges by the data it scans: give a window.")
	a.note.Wrapping = fyne.TextWrapWord
	a.write = widget.NewButtonWithIcon("Write query", theme.DocumentCreateIcon(), a.onWrite)
	a.runBtn = widget.NewButtonWithIcon("Run", theme.MediaPlayIcon(), a.onRun)
	a.runBtn.Importance = widget.HighImportance
	return a
}

// params reads the dialog and the pane into query parameters.
func (a *awsAthena) params() (app.AthenaParams, error) {
	p := app.AthenaParams{
		Database: strings.TrimSpace(a.database.Text), Table: strings.TrimSpace(a.table.Text),
		AccessKey: strings.TrimSpace(a.accessKey.Text), Key: a.key.Text, Bucket: strings.TrimSpace(a.p.bucket.Text),
	}
	cq, err := a.p.changeQuery()
	if err != nil {
		return p, fmt.Errorf("check the window in the AWS pane: %w", err)
	}
	p.Since, p.Until = cq.Since, cq.Until
	if t := strings.TrimSpace(a.top.Text); t != "" {
		n, err := strconv.Atoi(strings.Fields(t)[0])
		if err != nil || n <= 0 {
			return p, fmt.Errorf("the number of readers must be a positive number")
		}
		p.Top = n
	}
	return p, nil
}

// onWrite writes the chosen query into the editor, replacing what was
// there: choosing a query is asking for it afresh.
func (a *awsAthena) onWrite() {
	name := a.titles[a.query.Selected]
	if name == "" {
		a.say(widget.WarningImportance, "Choose the query to write.")
		return
	}
	p, err := a.params()
	if err != nil {
		a.say(widget.WarningImportance, err.Error())
		return
	}
	q, err := app.AthenaQueryFor(name, p)
	if err != nil {
		a.say(widget.WarningImportance, explain("", err).msg)
		return
	}
	if q.Missing != "" {
		a.sql.SetText("")
		a.say(widget.WarningImportance, fmt.Sprintf("The query %s needs %s.", q.Name, q.Missing))
		return
	}
	a.sql.SetText(q.SQL)
	a.say(widget.MediumImportance, "Review the query (edit it if you like), then Run. Only queries that read are run.")
}

func (a *awsAthena) say(imp widget.Importance, text string) {
	a.note.Importance = imp
	a.note.SetText(text)
}

// onRun closes the dialog and runs the query in the pane, with its
// progress, Cancel (which stops the query in Athena too) and status line.
func (a *awsAthena) onRun() {
	if err := app.CheckReadOnlySQL(a.sql.Text); err != nil {
		a.say(widget.WarningImportance, explain("", err).msg)
		return
	}
	name := a.titles[a.query.Selected]
	if name == "" {
		name = "custom"
	}
	p, _ := a.params() // the window was read when the query was written
	run := app.AthenaRun{Name: name, SQL: a.sql.Text, Database: p.Database, Workgroup: strings.TrimSpace(a.workgroup.Text), OutputLocation: strings.TrimSpace(a.output.Text)}
	a.dlg.Hide()
	a.p.runAthena(run)
}

// content lays the dialog out: the table, the inputs, the query.
func (a *awsAthena) content() fyne.CanvasObject {
	form := widget.NewForm(
		widget.NewFormItem("Database", a.database), widget.NewFormItem("Table", a.table),
		widget.NewFormItem("Results to", a.output), widget.NewFormItem("Workgroup", a.workgroup),
		widget.NewFormItem("Access key", a.accessKey), widget.NewFormItem("Object key", a.key),
		widget.NewFormItem("Top readers", a.top),
	)
	picker := container.NewBorder(nil, nil, nil, a.write, a.query)
	buttons := container.NewHBox(a.runBtn)
	editor := container.NewGridWrap(fyne.NewSize(760, a.sql.MinSize().Height), a.sql)
	return container.NewVBox(form, picker, editor, a.note, buttons)
}

// onAthena opens the Athena dialog.
func (p *awsPane) onAthena() {
	a := p.more.athena
	if a.dlg == nil {
		a.dlg = dialog.NewCustom("Athena over the trail's log files", "Close", a.content(), p.ws.u.w)
	}
	a.dlg.Show()
}

// runAthena runs a reviewed query and lists its rows.
func (p *awsPane) runAthena(run app.AthenaRun) {
	prof := p.appProfile()
	svc, id := p.ws.u.svc, p.ws.id
	p.run("Running Athena query "+run.Name, func(ctx context.Context, _ app.Progress) func() {
		res, saved, err := svc.RunAthenaQuery(ctx, id, prof, run)
		return func() {
			if err != nil {
				p.failed("Could not run Athena query "+run.Name, err)
				return
			}
			rows := make([]awsRow, 0, len(res.Rows))
			for _, r := range res.Rows {
				var detail []string
				for i, c := range res.Columns {
					if i < len(r) {
						detail = append(detail, c+": "+r[i])
					}
				}
				title, sub := strings.Join(r, "  ·  "), ""
				if len(r) > 2 {
					title, sub = r[0]+"  ·  "+r[1], strings.Join(r[2:], "  ·  ")
				}
				rows = append(rows, awsRow{title: title, sub: sub, imp: widget.MediumImportance, detail: strings.Join(detail, "\n")})
			}
			p.setRows(rows)
			p.disBanner.Hide()
			text := fmt.Sprintf("Athena query %s (%s): %s, %s scanned.", run.Name, res.QueryID, plural(len(res.Rows), "row"), byteSize(res.ScannedBytes))
			if res.Truncated {
				text += fmt.Sprintf(" Only the first %d rows were fetched; the whole result is at %s.", len(res.Rows), res.OutputLocation)
			}
			p.say(widget.SuccessImportance, text+" "+savedText(saved))
			p.refreshCase()
		}
	})
}
