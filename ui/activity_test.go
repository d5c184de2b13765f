package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// The activity pane reads the incident's evidence through the service,
// shows the verdict and draws the events per hour stacked by principal,
// the suspect in red, with a line at the mitigations.
func TestActivityPaneDrawsTheComparison(t *testing.T) {
	db, _ := openStore(t, filepath.Join(t.TempDir(), "incidents.db"))
	h := newHarness(t, db, testPlaybook(t))
	ctx := context.Background()
	const mallory, reader = "arn:aws:iam::111122223333:user/mallory", "arn:aws:iam::111122223333:role/reports"
	c, err := h.svc.Create(ctx, app.NewIncident{Title: "Leak", Buckets: []string{"ledger"}, Principals: []string{mallory}})
	require.NoError(t, err)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	row := func(h float64, who, errCode string) string {
		return fmt.Sprintf("%s,GetObject,k,%s,AKIA1,198.51.100.7,cli,%s,,e", t0.Add(time.Duration(h*float64(time.Hour))).Format(time.RFC3339), who, errCode)
	}
	rows := []string{row(0.1, mallory, ""), row(0.2, mallory, ""), row(0.3, reader, ""), row(1.5, mallory, ""), row(3.5, mallory, "AccessDenied"), row(3.6, reader, "")}
	params := map[string]string{"QueryExecutionId": "q1", "Query": app.AthenaByBucket}
	_, err = h.svc.AddEvidence(ctx, c.Incident.ID, app.Evidence{Title: "Athena results", Kind: app.EvidenceAWSResponse, MediaType: "text/csv", Source: app.Source{Params: params}},
		[]byte("eventtime,eventname,object_key,principal,access_key,sourceipaddress,useragent,errorcode,bytes_out,eventid\n"+strings.Join(rows, "\n")+"\n"))
	require.NoError(t, err)
	_, err = h.svc.AddEvidence(ctx, c.Incident.ID, app.Evidence{Title: "Athena execution", Kind: app.EvidenceAWSResponse, MediaType: "application/json", Source: app.Source{Params: params}},
		[]byte(`{"Query":"SELECT * WHERE bucket = 'ledger'"}`))
	require.NoError(t, err)

	h.eventually(func() bool { return h.list() != nil && h.list().loading.Hidden }, "list never loaded")
	h.u.openIncident(c.Incident.ID)
	ws := h.loadedWorkspace(c.Incident.ID)
	p := newActivityPane(ws).(*activityPane)
	p.show(ws.c, ws.pb)
	assert.Equal(t, "ledger", p.bucket.Text, "the incident's bucket is offered")

	// A bad time is refused before anything is read.
	test.Type(p.before, "soon")
	test.Tap(p.compare)
	require.Error(t, h.u.lastErr)
	assert.Contains(t, h.u.lastErr.Error(), "before")
	p.before.SetText(t0.Add(2 * time.Hour).Format(time.RFC3339))
	p.after.SetText(t0.Add(3 * time.Hour).Format(time.RFC3339))
	test.Tap(p.compare)
	h.eventually(func() bool { return p.verdict.Text != "" }, "no verdict")
	assert.Equal(t, "Activity on ledger: STOPPED", p.verdict.Text)
	assert.Contains(t, p.reasons.Text, "the actor is still trying: "+mallory+" tried 1 time(s)")
	assert.Contains(t, p.chart.caption.Text, "Events per hour on ledger")
	require.Len(t, p.legend.Objects, 2)

	// Four hourly bins, two series stacked; mallory first, in red.
	p.chart.Resize(fyne.NewSize(400, 200))
	r := test.WidgetRenderer(p.chart).(*activityRenderer)
	require.Len(t, r.bars, 4)
	require.Len(t, r.bars[0], 2)
	assert.Equal(t, theme.Color(theme.ColorNameError), r.bars[0][0].FillColor, "the suspect in red")
	// Bin 0 holds 2 of mallory's and 1 of the reader's: the tallest bar.
	assert.InDelta(t, 200*2.0/3, r.bars[0][0].Size().Height, 0.5)
	assert.InDelta(t, 200*1.0/3, r.bars[0][1].Size().Height, 0.5)
	assert.InDelta(t, r.bars[0][0].Position().Y-r.bars[0][1].Size().Height, r.bars[0][1].Position().Y, 0.5, "stacked")
	assert.InDelta(t, 200*1.0/3, r.bars[1][0].Size().Height, 0.5)
	assert.Zero(t, r.bars[2][0].Size().Height)
	// The lines at 2:00 and 3:00 of a four-hour chart, the band between.
	assert.InDelta(t, 200-1, r.cuts[0].Position().X, 0.5)
	assert.InDelta(t, 300-1, r.cuts[1].Position().X, 0.5)
	assert.InDelta(t, 100, r.band.Size().Width, 0.5)
	var rects int
	for _, o := range r.Objects() {
		if _, ok := o.(*canvas.Rectangle); ok {
			rects++
		}
	}
	assert.Equal(t, 4*2+3, rects)
}

// More principals than the chart has colours: the rest are drawn as one.
func TestActivityChartGroupsOthers(t *testing.T) {
	test.NewTempApp(t)
	var rep app.ActivityReport
	rep.BinSeconds = 3600
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		rep.Series = append(rep.Series, app.ActivitySeries{Principal: fmt.Sprintf("p%d", i), BeforeEvents: 1,
			Bins: []app.ActivityBin{{Start: t0, Events: 1}, {Start: t0.Add(time.Hour)}}})
	}
	c := newActivityChart()
	c.set(rep)
	require.Len(t, c.series, maxChartSeries)
	last := c.series[maxChartSeries-1]
	assert.Equal(t, "4 others", last.Principal)
	assert.EqualValues(t, 4, last.Bins[0].Events)
	assert.EqualValues(t, 4, last.BeforeEvents)
	c.set(app.ActivityReport{})
	assert.Empty(t, c.caption.Text)
	assert.NotPanics(t, func() { test.WidgetRenderer(c).Layout(fyne.NewSize(100, 100)) })
}
