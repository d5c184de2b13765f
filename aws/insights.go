package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"s3responder/app"
)

// InsightEvent is one CloudTrail Insights event, read for the app and
// kept whole for evidence.
type InsightEvent struct {
	app.Insight
	Raw json.RawMessage `json:"cloudTrailEvent"`
}

// LookupInsights finds the Insights events of the window, newest first:
// one paginated LookupEvents query per region with the insight event
// category, through the limiter like every lookup.
func (tl *TrailLookup) LookupInsights(ctx context.Context, q TrailQuery, progress TrailProgress) ([]InsightEvent, error) {
	if !q.Start.Before(q.End) {
		return nil, fmt.Errorf("look up CloudTrail Insights events: the window %s to %s is empty", q.Start.Format(time.RFC3339), q.End.Format(time.RFC3339))
	}
	regions := q.Regions
	if len(regions) == 0 {
		regions = []string{""}
	}
	lim := tl.Limiter
	if lim == nil {
		lim = &Limiter{}
	}
	seen := map[string]bool{}
	var out []InsightEvent
	for _, region := range regions {
		opt := func(o *cloudtrail.Options) {
			if region != "" {
				o.Region = region
			}
		}
		in := &cloudtrail.LookupEventsInput{
			StartTime: sdkaws.Time(q.Start), EndTime: sdkaws.Time(q.End), MaxResults: sdkaws.Int32(50),
			EventCategory: cttypes.EventCategoryInsight,
		}
		pages := cloudtrail.NewLookupEventsPaginator(tl.API, in)
		for pages.HasMorePages() {
			page, err := tl.nextPage(ctx, lim, pages, opt)
			if err != nil {
				return out, fmt.Errorf("look up Insights events in %s: %w", regionWords(region), Explain(err, tl.Profile))
			}
			for _, ev := range page.Events {
				ie := convertInsight(ev, region)
				if ie.ID != "" && seen[ie.ID] {
					continue
				}
				seen[ie.ID] = true
				out = append(out, ie)
			}
		}
		if progress != nil {
			progress(region, "insight", len(out))
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Time.After(out[b].Time) })
	return out, nil
}

// insightRecord is the part of an Insights event record we read.
type insightRecord struct {
	EventTime      time.Time `json:"eventTime"`
	AWSRegion      string    `json:"awsRegion"`
	InsightDetails struct {
		State          string `json:"state"`
		EventSource    string `json:"eventSource"`
		EventName      string `json:"eventName"`
		InsightType    string `json:"insightType"`
		ErrorCode      string `json:"errorCode"`
		InsightContext struct {
			Statistics struct {
				Baseline struct {
					Average float64 `json:"average"`
				} `json:"baseline"`
				Insight struct {
					Average float64 `json:"average"`
				} `json:"insight"`
				// InsightDuration is in minutes.
				InsightDuration float64 `json:"insightDuration"`
			} `json:"statistics"`
			Attributions []struct {
				Attribute string           `json:"attribute"`
				Insight   []attributionVal `json:"insight"`
				Baseline  []attributionVal `json:"baseline"`
			} `json:"attributions"`
		} `json:"insightContext"`
	} `json:"insightDetails"`
}

type attributionVal struct {
	Value   string  `json:"value"`
	Average float64 `json:"average"`
}

func convertInsight(ev cttypes.Event, region string) InsightEvent {
	ie := InsightEvent{Insight: app.Insight{
		ID: sdkaws.ToString(ev.EventId), Time: sdkaws.ToTime(ev.EventTime).UTC(), Region: region,
		EventName: sdkaws.ToString(ev.EventName), EventSource: sdkaws.ToString(ev.EventSource),
	}}
	raw := sdkaws.ToString(ev.CloudTrailEvent)
	if json.Valid([]byte(raw)) {
		ie.Raw = json.RawMessage(raw)
	}
	var r insightRecord
	if json.Unmarshal([]byte(raw), &r) != nil {
		return ie
	}
	d := r.InsightDetails
	if r.AWSRegion != "" {
		ie.Region = r.AWSRegion
	}
	if !r.EventTime.IsZero() && ie.Time.IsZero() {
		ie.Time = r.EventTime.UTC()
	}
	if d.EventName != "" {
		ie.EventName = d.EventName
	}
	if d.EventSource != "" {
		ie.EventSource = d.EventSource
	}
	ie.State, ie.Type, ie.ErrorCode = d.State, d.InsightType, d.ErrorCode
	st := d.InsightContext.Statistics
	ie.Average, ie.Baseline = st.Insight.Average, st.Baseline.Average
	ie.Duration = time.Duration(st.InsightDuration * float64(time.Minute))
	for _, a := range d.InsightContext.Attributions {
		if len(a.Insight) == 0 {
			continue
		}
		// The value that stood out most during the period.
		top := a.Insight[0]
		for _, v := range a.Insight[1:] {
			if v.Average > top.Average {
				top = v
			}
		}
		at := app.Attribution{Attribute: a.Attribute, Value: top.Value, Average: top.Average}
		for _, v := range a.Baseline {
			if v.Value == top.Value {
				at.Baseline = v.Average
			}
		}
		ie.Attributions = append(ie.Attributions, at)
	}
	return ie
}

// lookupWindow cuts a window to what the event history keeps: the end at
// now, the start at 90 days ago, with a note when a given start was cut.
func lookupWindow(since, until, now time.Time) (start, end time.Time, note string) {
	end = until.UTC()
	if end.IsZero() || end.After(now) {
		end = now
	}
	start = since.UTC()
	if oldest := now.Add(-LookupWindow); start.Before(oldest) {
		if !since.IsZero() {
			note = fmt.Sprintf("CloudTrail event history only reaches back 90 days, so the search started at %s instead of %s.",
				oldest.Format(time.RFC3339), start.Format(time.RFC3339))
		}
		start = oldest
	}
	return start, end, note
}

// Insights looks up CloudTrail Insights events in the window
// (app.InsightReader). Without regions it searches the session's region
// and us-east-1, where account-wide activity such as IAM's is recorded.
func (c *Cloud) Insights(ctx context.Context, q app.InsightQuery, progress app.Progress) (app.InsightReport, error) {
	id, err := c.identity(ctx)
	if err != nil {
		return app.InsightReport{}, err
	}
	now := c.now()
	start, end, note := lookupWindow(q.Since, q.Until, now)
	regions := cleanRegions(q.Regions)
	if len(regions) == 0 {
		regions = cleanRegions([]string{c.Region, "us-east-1"})
	}
	lim := c.Limiter
	if lim == nil {
		lim = &Limiter{}
	}
	tl := &TrailLookup{API: c.API.CloudTrail, Limiter: lim, Profile: c.Profile, Now: func() time.Time { return now }}
	done := 0
	events, err := tl.LookupInsights(ctx, TrailQuery{Start: start, End: end, Regions: regions}, func(string, string, int) {
		done++
		if progress != nil {
			progress(done, len(regions))
		}
	})
	if err != nil {
		return app.InsightReport{}, err
	}
	rep := app.InsightReport{Since: start, Until: end, Regions: regions, Note: note, Insights: []app.Insight{}}
	raws := make([]json.RawMessage, 0, len(events))
	for _, e := range events {
		rep.Insights = append(rep.Insights, e.Insight)
		if len(e.Raw) > 0 {
			raws = append(raws, e.Raw)
		}
	}
	if len(events) == 0 {
		rep.Note = strings.TrimSpace(rep.Note + " No Insights events: either no API was called unusually often, or no trail has CloudTrail Insights turned on (it is off by default and charged apart).")
	}
	data, _ := json.MarshalIndent(map[string]any{"Records": raws}, "", "  ") // raw JSON always marshals
	rep.Items = []app.Collected{{
		Title: fmt.Sprintf("CloudTrail Insights events %s to %s (%d events)", start.Format(time.RFC3339), end.Format(time.RFC3339), len(events)),
		Kind:  app.EvidenceAWSResponse, MediaType: "application/json", FileName: "cloudtrail-insights.json", CollectedAt: now, Data: data,
		Source: source(id.Account, strings.Join(regions, ","), "LookupEvents", map[string]string{
			"StartTime": start.Format(time.RFC3339), "EndTime": end.Format(time.RFC3339), "EventCategory": "insight", "Regions": strings.Join(regions, ","),
		}),
	}}
	return rep, nil
}

var _ app.InsightReader = (*Cloud)(nil)
