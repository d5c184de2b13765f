package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// awsMore are the AWS pane's further reads: IAM Access Analyzer,
// CloudTrail Insights, Macie's summary, the search for data across
// buckets, and Athena over the trail's log files. They live here so the
// pane's own file stays about exposure and access changes.
type awsMore struct {
	analyzer *widget.Button
	insights *widget.Button
}

// newAWSMore builds the buttons; their callbacks are the pane's methods.
func newAWSMore(p *awsPane) *awsMore {
	m := &awsMore{
		analyzer: widget.NewButtonWithIcon("Access Analyzer", theme.VisibilityIcon(), p.onAnalyzer),
		insights: widget.NewButtonWithIcon("Insights in the window", theme.WarningIcon(), p.onInsights),
	}
	return m
}

// buttons are the ones that start an operation, for setRunning.
func (m *awsMore) buttons() []*widget.Button {
	return []*widget.Button{m.analyzer, m.insights}
}

// row lays the reads out under the access changes.
func (m *awsMore) row() fyne.CanvasObject {
	return container.NewHBox(widget.NewLabel("Also read"), m.analyzer, m.insights)
}

// regionList reads the regions entry, shared by the reads that work
// region by region.
func (p *awsPane) regionList() []string {
	return strings.FieldsFunc(p.regions.Text, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
}

// onAnalyzer reads IAM Access Analyzer in the regions typed (or the
// profile's) and lists its active findings, public ones first.
func (p *awsPane) onAnalyzer() {
	prof := p.appProfile()
	svc, id := p.ws.u.svc, p.ws.id
	q := app.AnalyzerQuery{Regions: p.regionList()}
	loc := p.ws.c.Incident.Location()
	p.run("Reading IAM Access Analyzer", func(ctx context.Context, progress app.Progress) func() {
		rep, saved, err := svc.CollectAccessFindings(ctx, id, prof, q, progress)
		return func() {
			if err != nil {
				p.failed("Could not read IAM Access Analyzer", err)
				return
			}
			rows := make([]awsRow, 0, len(rep.Findings))
			public := 0
			for _, f := range rep.Findings {
				imp, mark := widget.WarningImportance, "shared"
				if f.Public {
					imp, mark = widget.DangerImportance, "PUBLIC"
					public++
				}
				detail := []string{f.Summary(), ""}
				for _, kv := range [][2]string{
					{"Resource", f.Resource}, {"Type", f.ResourceType}, {"Who", f.PrincipalText()},
					{"Actions", strings.Join(f.Actions, ", ")}, {"Conditions", conditionText(f.Condition)},
					{"Granted by", strings.Join(f.Sources, ", ")}, {"Owner account", f.Owner},
					{"Finding", f.ID + " (" + f.Status + ")"}, {"Analyzer", f.Analyzer},
					{"Reported since", formatWhenZone(f.CreatedAt, loc)}, {"Last analysed", formatWhenZone(f.AnalyzedAt, loc)},
				} {
					if kv[1] != "" {
						detail = append(detail, kv[0]+": "+kv[1])
					}
				}
				rows = append(rows, awsRow{title: mark + "  ·  " + f.ResourceName(), sub: f.Summary(), imp: imp, detail: strings.Join(detail, "\n")})
			}
			for _, n := range rep.Notes {
				rows = append(rows, awsRow{title: "note", sub: n, imp: widget.LowImportance, detail: n})
			}
			p.setRows(rows)
			p.disBanner.Hide()
			read := 0
			for _, a := range rep.Analyzers {
				if a.Read {
					read++
				}
			}
			text := fmt.Sprintf("Access Analyzer in %s: %s read, %s on buckets and roles, %d public; each on the timeline. %s",
				strings.Join(rep.Regions, ", "), plural(read, "analyzer"), plural(len(rep.Findings), "active finding"), public, savedText(saved))
			imp := widget.SuccessImportance
			switch {
			case public > 0:
				imp = widget.DangerImportance
			case len(rep.Findings) > 0 || len(rep.Notes) > 0:
				imp = widget.WarningImportance
			}
			p.say(imp, text)
			p.refreshCase()
		}
	})
}

// conditionText lists a finding's conditions in key order.
func conditionText(c map[string]string) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+" = "+c[k])
	}
	return strings.Join(parts, "; ")
}

// onInsights looks up CloudTrail Insights events in the window and
// regions typed for access changes.
func (p *awsPane) onInsights() {
	cq, err := p.changeQuery()
	if err != nil {
		p.say(widget.WarningImportance, "Check the window: "+err.Error())
		return
	}
	q := app.InsightQuery{Since: cq.Since, Until: cq.Until, Regions: cq.Regions}
	prof := p.appProfile()
	svc, id := p.ws.u.svc, p.ws.id
	loc := p.ws.c.Incident.Location()
	p.run("Looking up CloudTrail Insights events", func(ctx context.Context, progress app.Progress) func() {
		rep, saved, err := svc.CollectInsights(ctx, id, prof, q, progress)
		return func() {
			if err != nil {
				p.failed("Could not look up Insights events", err)
				return
			}
			rows := make([]awsRow, 0, len(rep.Insights))
			for _, in := range rep.Insights {
				imp := widget.WarningImportance
				if in.State == "End" {
					imp = widget.MediumImportance
				}
				detail := []string{in.Summary(), "", "Event " + in.ID, "When: " + formatWhenZone(in.Time, loc) + " (" + in.Time.UTC().Format(time.RFC3339) + ")",
					"Region: " + in.Region, "Kind: " + in.Type + ", " + in.State}
				for _, a := range in.Attributions {
					detail = append(detail, fmt.Sprintf("%s: %s (%.4g per minute, usually %.4g)", a.Attribute, a.Value, a.Average, a.Baseline))
				}
				rows = append(rows, awsRow{title: formatWhenZone(in.Time, loc) + "  " + in.State + "  " + in.EventName, sub: in.Summary(), imp: imp, detail: strings.Join(detail, "\n")})
			}
			p.setRows(rows)
			p.disBanner.Hide()
			text := fmt.Sprintf("%s between %s and %s in %s, each on the timeline at its own time. %s",
				plural(len(rep.Insights), "Insights event"), formatWhenZone(rep.Since, loc), formatWhenZone(rep.Until, loc), strings.Join(rep.Regions, ", "), savedText(saved))
			if rep.Note != "" {
				text += " " + rep.Note
			}
			imp := widget.SuccessImportance
			if len(rep.Insights) > 0 {
				imp = widget.WarningImportance
			}
			p.say(imp, text)
			p.refreshCase()
		}
	})
}
