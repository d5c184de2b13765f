package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Activity on a bucket before and after the mitigations (step 4.6): the
// CloudTrail events the incident's evidence holds, counted per hour and
// per principal, with a verdict in plain words on whether the attack
// stopped. The evidence is read as evidenceevents.go says: Athena result
// rows give each principal's own series; an offline analysis limited to
// the bucket gives one series for everyone it counted, or for the one
// principal it was limited to.

// Activity verdicts.
const (
	// ActivityStopped: nothing of the suspects (or, without suspects, of
	// the principals active before) succeeded after the mitigations.
	ActivityStopped = "stopped"
	// ActivityContinues: a suspect still succeeds after the mitigations.
	ActivityContinues = "continues"
	// ActivityUnclear: the evidence does not reach past the mitigations,
	// or there is none.
	ActivityUnclear = "unclear"
)

// AllPrincipals names the series of an analysis that counts everyone's
// events together.
const AllPrincipals = "all principals"

// maxActivityBins bounds the bins of a report: over long spans a bin
// covers several hours.
const maxActivityBins = 240

// ActivityQuery asks for the activity on a bucket. Before ends the period
// before the mitigations and After starts the period after them; zero
// times take the incident's containment time, else the times of the
// first and the last change applied to the account.
type ActivityQuery struct {
	Bucket string
	Before time.Time
	After  time.Time
}

// ActivityBin is one period of a series.
type ActivityBin struct {
	Start  time.Time `json:"start"`
	Events int64     `json:"events"`
	// Denied counts the events refused (AccessDenied and the like).
	Denied int64 `json:"denied"`
}

// ActivitySeries is one principal's events over the report's bins (or
// everyone's, for an analysis that does not tell principals apart).
type ActivitySeries struct {
	Principal string `json:"principal"`
	// Suspect is true for a principal the incident names.
	Suspect bool `json:"suspect"`
	// Source is the evidence the series comes from.
	Source []string      `json:"source"`
	Bins   []ActivityBin `json:"bins"`
	// BeforeEvents and AfterEvents count the events of each period;
	// AfterAllowed those after that were not refused.
	BeforeEvents int64     `json:"beforeEvents"`
	AfterEvents  int64     `json:"afterEvents"`
	AfterAllowed int64     `json:"afterAllowed"`
	First        time.Time `json:"first,omitzero"`
	Last         time.Time `json:"last,omitzero"`
}

// ActivityReport is the activity on a bucket around the mitigations.
type ActivityReport struct {
	Bucket string    `json:"bucket"`
	Before time.Time `json:"before"`
	After  time.Time `json:"after"`
	// BinSeconds is the width of every bin, an hour or more.
	BinSeconds int64            `json:"binSeconds"`
	Series     []ActivitySeries `json:"series"`
	// From and Covered are the first and last moments the evidence
	// speaks of.
	From    time.Time `json:"from,omitzero"`
	Covered time.Time `json:"covered,omitzero"`
	// BeforeRate and AfterRate are all events per hour in each period.
	BeforeRate float64 `json:"beforeRate"`
	AfterRate  float64 `json:"afterRate"`
	Verdict    string  `json:"verdict"`
	// Reasons say the verdict in plain words, the main one first.
	Reasons []string `json:"reasons"`
	Sources []string `json:"sources,omitempty"`
}

// BinStarts returns the start of every bin.
func (r ActivityReport) BinStarts() []time.Time {
	if len(r.Series) == 0 {
		return nil
	}
	out := make([]time.Time, len(r.Series[0].Bins))
	for i, b := range r.Series[0].Bins {
		out[i] = b.Start
	}
	return out
}

// Activity compares the activity on a bucket before and after the
// mitigations from the incident's evidence. It reads no account and
// changes nothing.
func (s *Service) Activity(ctx context.Context, incidentID string, q ActivityQuery) (ActivityReport, error) {
	q.Bucket = strings.TrimSpace(q.Bucket)
	if q.Bucket == "" {
		return ActivityReport{}, fmt.Errorf("%w: name the bucket", ErrInvalid)
	}
	c, err := s.Load(ctx, incidentID)
	if err != nil {
		return ActivityReport{}, err
	}
	if q.Before.IsZero() || q.After.IsZero() {
		first, last := s.mitigationTimes(ctx, c.Incident)
		if q.Before.IsZero() {
			q.Before = first
		}
		if q.After.IsZero() {
			q.After = latest(last, q.Before)
		}
	}
	switch {
	case q.Before.IsZero():
		return ActivityReport{}, fmt.Errorf("%w: the incident has no containment time and no change applied yet: say when the mitigations took effect (before, after)", ErrInvalid)
	case q.After.Before(q.Before):
		return ActivityReport{}, fmt.Errorf("%w: the period after the mitigations (%s) starts before the period before them ends (%s)", ErrInvalid, q.After.UTC().Format(time.RFC3339), q.Before.UTC().Format(time.RFC3339))
	}
	ev, err := s.gatherBucketEvidence(ctx, incidentID, q.Bucket)
	if err != nil {
		return ActivityReport{}, err
	}
	rep := buildActivity(ev, q, c.Incident.Principals)
	return rep, nil
}

// mitigationTimes returns when the mitigations began and ended: the
// incident's containment time, else the first and last confirmation of a
// change applied to the account.
func (s *Service) mitigationTimes(ctx context.Context, inc Incident) (time.Time, time.Time) {
	var first, last time.Time
	if runs, err := s.ChangeJournal(ctx, inc.ID); err == nil {
		for _, r := range runs {
			if r.Status == ChangePlanned || r.ConfirmedAt.IsZero() || r.Plan.UndoOf != "" {
				continue
			}
			if first.IsZero() || r.ConfirmedAt.Before(first) {
				first = r.ConfirmedAt
			}
			last = latest(last, r.ConfirmedAt)
		}
	}
	if t := inc.Times.Contained; !t.IsZero() {
		return t, latest(t, last)
	}
	return first, last
}

// binWidth picks the width of the bins: an hour, or more when the span or
// an analysis's own bins are wider.
func binWidth(from, to time.Time, atLeast int64) int64 {
	w := max(int64(3600), atLeast)
	for to.Sub(from) > time.Duration(w*maxActivityBins)*time.Second {
		w *= 2
	}
	return w
}

// buildActivity counts the evidence's events per bin and principal and
// works out the verdict.
func buildActivity(ev *bucketEvidence, q ActivityQuery, suspects []string) ActivityReport {
	rep := ActivityReport{Bucket: q.Bucket, Before: q.Before.UTC(), After: q.After.UTC(), Sources: ev.Sources}
	type point struct {
		t              time.Time
		events, denied int64
	}
	type acc struct {
		source []string
		keys   []string
		points []point
	}
	series := map[string]*acc{}
	add := func(principal, source, key string, p point) {
		a := series[principal]
		if a == nil {
			a = &acc{}
			series[principal] = a
		}
		if key != "" && !slices.Contains(a.keys, key) {
			a.keys = append(a.keys, key)
		}
		if !slices.Contains(a.source, source) {
			a.source = append(a.source, source)
		}
		a.points = append(a.points, p)
		if rep.From.IsZero() || p.t.Before(rep.From) {
			rep.From = p.t
		}
		rep.Covered = latest(rep.Covered, p.t)
	}
	minBin := int64(0)
	if len(ev.Events) > 0 {
		// Exact events make each principal's own series; the analyses,
		// which would count the same events again, only widen what the
		// evidence is known to cover.
		for _, e := range ev.Events {
			d := int64(0)
			if e.ErrorCode != "" {
				d = 1
			}
			add(e.Principal, e.Evidence, e.AccessKeyID, point{e.Time, 1, d})
		}
	} else {
		for _, sum := range ev.Summaries {
			if !sum.OnBucket && sum.Principal == "" {
				continue
			}
			name := AllPrincipals
			if sum.Principal != "" {
				name = sum.Principal
			}
			minBin = max(minBin, sum.S.Histogram.BinSeconds)
			// Two analyses of the same logs count the same events: per
			// series and bin start, the larger count is kept.
			seen := map[time.Time]int{}
			if a := series[name]; a != nil {
				for i, p := range a.points {
					seen[p.t] = i
				}
			}
			for _, b := range sum.S.Histogram.Bins {
				p := point{b.Start.UTC(), b.Events, b.Denied}
				if i, ok := seen[p.t]; ok {
					a := series[name]
					if p.events > a.points[i].events {
						a.points[i] = p
					}
					continue
				}
				add(name, sum.ID, "", p)
			}
		}
	}
	for _, sum := range ev.Summaries {
		if sum.OnBucket || sum.Principal != "" {
			if t := sum.S.LastEvent; t != nil {
				rep.Covered = latest(rep.Covered, t.UTC())
			}
		}
	}
	if len(series) == 0 {
		rep.Verdict = ActivityUnclear
		rep.Reasons = []string{fmt.Sprintf("The evidence holds no CloudTrail events on bucket %s: run the Athena by-bucket query, or analyse the trail's data events limited to the bucket (trail analyze --bucket %s), before and after the mitigations, and compare again.", q.Bucket, q.Bucket)}
		return rep
	}
	rep.BinSeconds = binWidth(rep.From, rep.Covered, minBin)
	width := time.Duration(rep.BinSeconds) * time.Second
	start := rep.From.Truncate(width)
	n := int(rep.Covered.Sub(start)/width) + 1
	var beforeAll, afterAll int64
	for name, a := range series {
		s := ActivitySeries{Principal: name, Source: a.source, Bins: make([]ActivityBin, n)}
		for i := range s.Bins {
			s.Bins[i].Start = start.Add(time.Duration(i) * width)
		}
		for _, p := range a.points {
			i := int(p.t.Sub(start) / width)
			s.Bins[i].Events += p.events
			s.Bins[i].Denied += p.denied
			if p.events == 0 {
				continue
			}
			if s.First.IsZero() || p.t.Before(s.First) {
				s.First = p.t
			}
			s.Last = latest(s.Last, p.t)
			switch {
			case p.t.Before(rep.Before):
				s.BeforeEvents += p.events
			case !p.t.Before(rep.After):
				s.AfterEvents += p.events
				s.AfterAllowed += p.events - p.denied
			}
		}
		s.Suspect = isSuspect(name, a.keys, suspects)
		beforeAll += s.BeforeEvents
		afterAll += s.AfterEvents
		rep.Series = append(rep.Series, s)
	}
	slices.SortFunc(rep.Series, func(a, b ActivitySeries) int {
		if a.Suspect != b.Suspect {
			if a.Suspect {
				return -1
			}
			return 1
		}
		if d := (b.BeforeEvents + b.AfterEvents) - (a.BeforeEvents + a.AfterEvents); d != 0 {
			return int(d)
		}
		return strings.Compare(a.Principal, b.Principal)
	})
	if h := rep.Before.Sub(rep.From).Hours(); h > 0 {
		rep.BeforeRate = float64(beforeAll) / h
	}
	if h := rep.Covered.Sub(rep.After).Hours(); h > 0 {
		rep.AfterRate = float64(afterAll) / h
	}
	rep.Verdict, rep.Reasons = activityVerdict(rep, suspects)
	return rep
}

// isSuspect reports whether a series' principal is one the incident
// names: its ARN (a trailing * matches a prefix), the user or role name
// at its end, or an access key it used.
func isSuspect(principal string, keys, suspects []string) bool {
	for _, s := range suspects {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case principal == s, strings.HasSuffix(principal, "/"+s), slices.Contains(keys, s):
			return true
		case strings.HasPrefix(s, "arn:") && strings.HasSuffix(s, "*") && strings.HasPrefix(principal, strings.TrimSuffix(s, "*")):
			return true
		}
	}
	return false
}

// activityVerdict says whether the attack stopped, and why, in words.
func activityVerdict(rep ActivityReport, suspects []string) (string, []string) {
	when := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
	rates := fmt.Sprintf("All activity on %s: %.1f events an hour before %s, %.1f an hour after %s.", rep.Bucket, rep.BeforeRate, when(rep.Before), rep.AfterRate, when(rep.After))
	if !rep.Covered.After(rep.After) {
		return ActivityUnclear, []string{
			fmt.Sprintf("Cannot tell yet: the evidence ends at %s, before the mitigations took effect at %s. Gather the logs again for the time since (step 4.6), add them to the incident, and compare again.", when(rep.Covered), when(rep.After)),
			rates,
		}
	}
	covered := fmt.Sprintf("The evidence covers %s to %s.", when(rep.From), when(rep.Covered))
	var watched []ActivitySeries
	for _, s := range rep.Series {
		if s.Suspect {
			watched = append(watched, s)
		}
	}
	basis := "the principals the incident names"
	if len(watched) == 0 {
		// Nobody named: whoever was active before is watched.
		basis = "the principals active before the mitigations (the incident names none)"
		for _, s := range rep.Series {
			if s.BeforeEvents > 0 && s.Principal != AllPrincipals {
				watched = append(watched, s)
			}
		}
	}
	if len(watched) == 0 {
		return ActivityUnclear, []string{
			"Cannot tell: the evidence does not tell the principals apart (an analysis over everyone). Name the suspected principals in the incident, or run the Athena by-bucket query, and compare again.",
			rates, covered,
		}
	}
	var going, trying, quiet []string
	for _, s := range watched {
		switch {
		case s.AfterAllowed > 0:
			going = append(going, fmt.Sprintf("%s made %d call(s) after %s, %d of them not refused, the last at %s", s.Principal, s.AfterEvents, when(rep.After), s.AfterAllowed, when(s.Last)))
		case s.AfterEvents > 0:
			trying = append(trying, fmt.Sprintf("%s tried %d time(s) after %s and was refused every time, the last at %s", s.Principal, s.AfterEvents, when(rep.After), when(s.Last)))
		default:
			quiet = append(quiet, fmt.Sprintf("%s (%d call(s) before, none after; last seen %s)", s.Principal, s.BeforeEvents, when(s.Last)))
		}
	}
	if len(going) > 0 {
		reasons := []string{fmt.Sprintf("The attack has NOT stopped: %s. Go through Part 1 again for this activity (step 4.6.1).", strings.Join(going, "; "))}
		if len(trying) > 0 {
			reasons = append(reasons, "Refused attempts: "+strings.Join(trying, "; ")+".")
		}
		return ActivityContinues, append(reasons, rates, covered, "Watched: "+basis+".")
	}
	reasons := []string{fmt.Sprintf("The attack appears to have stopped: no call of %s succeeded on %s after %s.", basis, rep.Bucket, when(rep.After))}
	if len(trying) > 0 {
		reasons = append(reasons, "The mitigations hold, but the actor is still trying: "+strings.Join(trying, "; ")+". Keep watching and look for another way in (step 4.6.2).")
	}
	if len(quiet) > 0 {
		reasons = append(reasons, "Quiet since: "+strings.Join(quiet, "; ")+".")
	}
	var newcomers []string
	for _, s := range rep.Series {
		if s.BeforeEvents == 0 && s.AfterEvents > 0 && s.Principal != AllPrincipals {
			newcomers = append(newcomers, fmt.Sprintf("%s (%d call(s))", s.Principal, s.AfterEvents))
		}
	}
	if len(newcomers) > 0 {
		reasons = append(reasons, "Active only after the mitigations, worth checking: "+strings.Join(newcomers, ", ")+".")
	}
	return ActivityStopped, append(reasons, rates, covered)
}

// latest returns the later of two times.
func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
