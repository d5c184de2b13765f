package tabletop

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"s3responder/app"
	"s3responder/changeplan"
)

// ForIncident opens the account for one exercise incident: the scenario's
// state with every write the incident's journal says went through, in the
// order they went through (app.IncidentCloud). The app calls it each time
// it opens the incident's connection, so the state survives the process
// and no two incidents share it; nothing is kept outside the journal.
func (a *Account) ForIncident(ctx context.Context, incidentID string, journal []app.JournalRecord) (app.Cloud, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	acc := NewAccount(a.b.sc, a.b.region, a.b.now)
	if err := acc.replay(ctx, journal); err != nil {
		return nil, fmt.Errorf("scenario %s (%s): %w", a.b.sc.ID, a.b.sc.Name, err)
	}
	return acc, nil
}

// write is one call of the journal that went through.
type write struct {
	at     time.Time
	change string
	res    app.Resource
	before json.RawMessage
	after  json.RawMessage
}

// replay applies the journal's writes to the pristine state, each with the
// one call the aws package makes for it (WriteState), at the time the
// journal gives it, so the simulated CloudTrail files the responders'
// calls when they were made. A write is a step whose result is "applied",
// or an object of a bulk change's batch result that is; a step in doubt
// (intent without result) is taken as not sent, so resuming it sends it,
// which leaves the same state.
//
// Writes are ordered by the time of their result. Records written within
// the same instant (a fixed clock in tests, a coarse one elsewhere) are
// ordered by what they started from: the write whose "before" is the
// resource's current state goes first, which is the only order in which
// the calls could have succeeded.
func (a *Account) replay(ctx context.Context, recs []app.JournalRecord) error {
	plans := map[string]*app.Plan{}
	batches := map[string]map[string]app.ObjectChange{}
	var writes []write
	for _, rec := range recs {
		switch rec.Kind {
		case app.JournalPlanned:
			if rec.Plan != nil {
				plans[rec.Change] = rec.Plan
			}
		case app.JournalResult:
			p := plans[rec.Change]
			if rec.Outcome != app.OutcomeApplied || !a.mine(p) || rec.Step < 1 || rec.Step > len(p.Steps) {
				continue
			}
			st := p.Steps[rec.Step-1]
			writes = append(writes, write{at: rec.At, change: rec.Change, res: st.Resource, before: st.Before, after: st.After})
		case app.JournalBatch:
			if batches[rec.Change] == nil {
				batches[rec.Change] = map[string]app.ObjectChange{}
			}
			for _, o := range rec.Objects {
				if o.After != nil {
					batches[rec.Change][o.Key] = o
				}
			}
		case app.JournalBatchResult:
			p := plans[rec.Change]
			if !a.mine(p) || p.Bulk == nil {
				continue
			}
			for _, o := range rec.Objects {
				sent, ok := batches[rec.Change][o.Key]
				if o.Outcome != app.OutcomeApplied || !ok {
					continue
				}
				writes = append(writes, write{at: rec.At, change: rec.Change, res: p.Bulk.ObjectResource(o.Key), before: sent.Before, after: sent.After})
			}
		}
	}
	slices.SortStableFunc(writes, func(x, y write) int { return x.at.Compare(y.at) })
	now := a.b.now
	defer func() { a.b.now = now }()
	for i := 0; i < len(writes); {
		j := i
		for j < len(writes) && writes[j].at.Equal(writes[i].at) {
			j++
		}
		at := writes[i].at
		a.b.now = func() time.Time { return at }
		if err := a.applyTied(ctx, writes[i:j]); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// mine reports whether a plan was made on this scenario's account: a
// facilitator who switched scenarios mid-exercise must not see another
// account's changes applied here.
func (a *Account) mine(p *app.Plan) bool {
	return p != nil && p.Simulated && p.Account == a.b.sc.Account
}

// applyTied applies writes recorded at the same instant, each when its
// resource holds the state it started from, if any does.
func (a *Account) applyTied(ctx context.Context, ws []write) error {
	pending := slices.Clone(ws)
	for len(pending) > 0 {
		pick := 0
		for k, w := range pending {
			cur, err := a.ReadState(ctx, w.res)
			if err == nil && changeplan.SameJSON(cur, w.before) {
				pick = k
				break
			}
		}
		w := pending[pick]
		pending = slices.Delete(pending, pick, pick+1)
		if err := a.WriteState(ctx, w.res, w.after); err != nil {
			return fmt.Errorf("the change journal does not fit the scenario: change %s sets %s, which the scenario cannot hold: %w", w.change, w.res.Name, err)
		}
	}
	return nil
}
