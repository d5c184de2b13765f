package ui

import (
	"context"
	"fmt"
	"sort"
	"strconv"
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
	macie    *widget.Button

	// dataKey and dataCap are the search for data: a key or prefix, and
	// how many keys to list per bucket at most.
	dataKey  *widget.Entry
	dataCap  *widget.Entry
	findData *widget.Button

	// athena is the Athena dialog (aws_athena.go); athenaBtn opens it.
	athena    *awsAthena
	athenaBtn *widget.Button
}

// newAWSMore builds the buttons; their callbacks are the pane's methods.
func newAWSMore(p *awsPane) *awsMore {
	m := &awsMore{
		analyzer: widget.NewButtonWithIcon("Access Analyzer", theme.VisibilityIcon(), p.onAnalyzer),
		insights: widget.NewButtonWithIcon("Insights in the window", theme.WarningIcon(), p.onInsights),
		macie:    widget.NewButtonWithIcon("Macie summary", theme.InfoIcon(), p.onMacie),
		dataKey:  widget.NewEntry(),
		dataCap:  widget.NewEntry(),
		findData: widget.NewButtonWithIcon("Find buckets", theme.SearchIcon(), p.onFindData),
		athena:   newAWSAthena(p),
	}
	m.athenaBtn = widget.NewButtonWithIcon("Athena queries…", theme.StorageIcon(), p.onAthena)
	m.dataKey.SetPlaceHolder("object key or prefix, e.g. exports/2026-03/customers.csv")
	m.dataCap.SetPlaceHolder(fmt.Sprintf("%d keys per bucket", app.DefaultDataMaxKeys))
	return m
}

// buttons are the ones that start an operation, for setRunning.
func (m *awsMore) buttons() []*widget.Button {
	return []*widget.Button{m.analyzer, m.insights, m.macie, m.athenaBtn, m.findData}
}

// row lays the reads out under the access changes.
func (m *awsMore) row() fyne.CanvasObject {
	reads := container.NewHBox(widget.NewLabel("Also read"), m.analyzer, m.insights, m.macie, m.athenaBtn)
	data := container.NewBorder(nil, nil, widget.NewLabel("Which bucket holds"), m.findData,
		container.NewBorder(nil, nil, nil, container.NewGridWrap(fyne.NewSize(170, m.dataCap.MinSize().Height), m.dataCap), m.dataKey))
	return container.NewVBox(reads, data)
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

// shownKeysGUI is how many keys of a bucket the detail lists.
const shownKeysGUI = 200

// onFindData searches every bucket of the account for objects under the
// key typed, and says whose each bucket is.
func (p *awsPane) onFindData() {
	key := p.more.dataKey.Text
	if strings.TrimSpace(key) == "" {
		p.say(widget.WarningImportance, "Type the object key, or the start of it, to look for.")
		return
	}
	q := app.DataQuery{Key: key}
	if c := strings.TrimSpace(p.more.dataCap.Text); c != "" {
		n, err := strconv.Atoi(strings.Fields(c)[0])
		if err != nil || n <= 0 {
			p.say(widget.WarningImportance, "The cap on keys per bucket must be a positive number.")
			return
		}
		q.MaxKeys = n
	}
	prof := p.appProfile()
	svc, id := p.ws.u.svc, p.ws.id
	loc := p.ws.c.Incident.Location()
	p.run(fmt.Sprintf("Searching every bucket for %q", key), func(ctx context.Context, progress app.Progress) func() {
		rep, saved, err := svc.FindData(ctx, id, prof, q, progress)
		return func() {
			if len(rep.Buckets) > 0 {
				p.showData(rep, loc)
			}
			if err != nil {
				if len(saved.Evidence) > 0 {
					p.failed(rep.Summary()+" "+savedText(saved)+" The search stopped", err)
				} else {
					p.failed("Could not search the buckets", err)
				}
				p.refreshCase()
				return
			}
			imp := widget.SuccessImportance
			if len(rep.Matches()) > 0 {
				imp = widget.WarningImportance
			}
			p.say(imp, rep.Summary()+" "+savedText(saved))
			p.refreshCase()
		}
	})
}

// showData lists the buckets holding data first, then the others with
// whose they are.
func (p *awsPane) showData(rep app.DataReport, loc *time.Location) {
	rows := make([]awsRow, 0, len(rep.Buckets))
	for _, b := range rep.Buckets {
		where := b.Bucket
		if b.Region != "" {
			where += " (" + b.Region + ")"
		}
		detail := []string{where, "Owner: " + b.Owner()}
		if len(b.Tags) > 0 {
			detail = append(detail, "Tags: "+app.TagsText(b.Tags))
		}
		for _, pr := range b.Problems {
			detail = append(detail, "Could not read: "+pr)
		}
		if !b.Found() {
			imp := widget.LowImportance
			if len(b.Problems) > 0 {
				imp = widget.WarningImportance
			}
			rows = append(rows, awsRow{title: "not found  ·  " + where, sub: b.Owner(), imp: imp, detail: strings.Join(detail, "\n")})
			continue
		}
		count := plural(len(b.Keys), "key")
		if b.Truncated {
			count = fmt.Sprintf("more than %d keys (the cap)", len(b.Keys))
			detail = append(detail, fmt.Sprintf("The bucket has more keys under this prefix than the cap of %d; only those are listed.", rep.MaxKeys))
		}
		if b.Exact {
			count += ", the exact key"
		}
		detail = append(detail, "", "Keys:")
		for i, k := range b.Keys {
			if i == shownKeysGUI {
				detail = append(detail, fmt.Sprintf("… %d more in the evidence item", len(b.Keys)-shownKeysGUI))
				break
			}
			detail = append(detail, fmt.Sprintf("%s  (%d bytes, %s)", k.Key, k.Size, formatWhenZone(k.LastModified, loc)))
		}
		rows = append(rows, awsRow{title: "found  ·  " + where, sub: b.Owner() + "  ·  " + count, imp: widget.WarningImportance, detail: strings.Join(detail, "\n")})
	}
	p.setRows(rows)
	p.disBanner.Hide()
}

// onMacie reads Macie's count of public and shared buckets in the regions
// typed (or the profile's).
func (p *awsPane) onMacie() {
	prof := p.appProfile()
	svc, id := p.ws.u.svc, p.ws.id
	q := app.MacieQuery{Regions: p.regionList()}
	p.run("Reading Amazon Macie's bucket summary", func(ctx context.Context, _ app.Progress) func() {
		rep, saved, err := svc.CollectMacieSummary(ctx, id, prof, q)
		return func() {
			if err != nil {
				p.failed("Could not read Amazon Macie", err)
				return
			}
			rows := make([]awsRow, 0, len(rep.Regions))
			public, shared, off := int64(0), int64(0), 0
			for _, r := range rep.Regions {
				row := awsRow{title: "Macie  ·  " + r.Region, sub: r.Summary(), detail: r.Summary() + "."}
				switch {
				case !r.Enabled:
					off++
					row.title += "  ·  not available"
					row.imp = widget.LowImportance
				case r.PubliclyAccessible > 0:
					row.imp = widget.DangerImportance
				case r.SharedExternal > 0:
					row.imp = widget.WarningImportance
				default:
					row.imp = widget.SuccessImportance
				}
				public += r.PubliclyAccessible
				shared += r.SharedExternal
				rows = append(rows, row)
			}
			p.setRows(rows)
			p.disBanner.Hide()
			text := fmt.Sprintf("Macie counts %d publicly accessible and %d shared buckets in %s", public, shared, plural(len(rep.Regions)-off, "region"))
			if off > 0 {
				text += fmt.Sprintf("; it gave no summary in %s (see the list)", plural(off, "region"))
			}
			imp := widget.SuccessImportance
			switch {
			case public > 0:
				imp = widget.DangerImportance
			case shared > 0 || off > 0:
				imp = widget.WarningImportance
			}
			p.say(imp, text+". "+savedText(saved))
			p.refreshCase()
		}
	})
}
