package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// JournalKind says what a journal record notes.
type JournalKind string

// Journal record kinds, in the order a change writes them.
const (
	// JournalPlanned holds the plan as shown to the person.
	JournalPlanned JournalKind = "planned"
	// JournalConfirmed notes the confirmation and the evidence item that
	// keeps the state from before the change.
	JournalConfirmed JournalKind = "confirmed"
	// JournalIntent is committed before a step's AWS call.
	JournalIntent JournalKind = "intent"
	// JournalResult is committed after a step's call, or instead of it
	// when re-reading showed the call is not needed or not safe.
	JournalResult JournalKind = "result"
	// JournalVerified holds what re-reading every resource showed.
	JournalVerified JournalKind = "verified"
)

// Step outcomes recorded in result records and shown by ChangeRun.
const (
	// OutcomeApplied: the call was made and AWS accepted it, or its answer
	// was lost and re-reading showed it took effect.
	OutcomeApplied = "applied"
	// OutcomeAlready: re-reading showed the resource already held the
	// planned state, so nothing was sent (a resumed step that had gone
	// through before the crash, or someone else's identical change).
	OutcomeAlready = "already"
	// OutcomeFailed: the call was made and failed, or its answer was lost;
	// the next attempt re-reads the resource to find out.
	OutcomeFailed = "failed"
	// OutcomeConflict: the resource held neither the planned starting state
	// nor the planned end state, so nothing was sent.
	OutcomeConflict = "conflict"
	// OutcomeInDoubt is derived, never written: an intent without a
	// result, the mark of a crash during the call.
	OutcomeInDoubt = "in doubt"
	// OutcomePending is derived: the step was not attempted.
	OutcomePending = "not applied"
)

// JournalRecord is one line of an incident's change journal. Records of a
// change are numbered from 1 by the store; each is committed in its own
// transaction, so an intent is on disk before its call goes out.
type JournalRecord struct {
	Change  string          `json:"change"`
	Seq     uint64          `json:"seq"`
	Kind    JournalKind     `json:"kind"`
	Step    int             `json:"step,omitempty"`
	Outcome string          `json:"outcome,omitempty"`
	Plan    *Plan           `json:"plan,omitempty"`
	State   json.RawMessage `json:"state,omitempty"`
	// Objects are a bulk change's objects of one batch (JournalBatch,
	// JournalBatchResult).
	Objects []ObjectChange `json:"objects,omitempty"`
	// Evidence is the id of the item keeping the state before the change.
	Evidence string   `json:"evidence,omitempty"`
	Error    string   `json:"error,omitempty"`
	Problems []string `json:"problems,omitempty"`
	// Waiting counts, in a verification, the objects whose planned state
	// S3 is still bringing about (restores of archived objects).
	Waiting int       `json:"waiting,omitempty"`
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
}

// JournalStore keeps change journals. It is separate from Store so small
// fakes of Store stay small; the bbolt store implements it.
type JournalStore interface {
	// AppendJournal numbers rec after the change's last record and commits
	// it together with the timeline entries that report it, in one
	// transaction of its own. A change's first record must be its plan.
	AppendJournal(ctx context.Context, incidentID string, rec JournalRecord, entries []Entry) (JournalRecord, error)
	// Journal returns every record of the incident, by change and number.
	Journal(ctx context.Context, incidentID string) ([]JournalRecord, error)
}

// ChangeStatus is where a change stands.
type ChangeStatus string

// Change statuses.
const (
	// ChangePlanned: shown, never confirmed; nothing was sent.
	ChangePlanned ChangeStatus = "planned"
	// ChangeIncomplete: confirmed, but some steps are not known to be
	// applied (a crash, a failure, a conflict). Resume finishes it.
	ChangeIncomplete ChangeStatus = "incomplete"
	// ChangeDone: every step holds its planned state.
	ChangeDone ChangeStatus = "done"
)

// StepRun is what the journal says about one step.
type StepRun struct {
	Step    ChangeStep `json:"step"`
	Outcome string     `json:"outcome"`
	Error   string     `json:"error,omitempty"`
}

// ChangeRun is a change as its journal tells it: the plan, each step's
// fate, the evidence of the state before, and the last verification.
type ChangeRun struct {
	Plan     Plan         `json:"plan"`
	Status   ChangeStatus `json:"status"`
	Steps    []StepRun    `json:"steps"`
	Evidence string       `json:"evidence,omitempty"`
	// ConfirmedBy and ConfirmedAt are empty for a plan never confirmed.
	ConfirmedBy string    `json:"confirmedBy,omitempty"`
	ConfirmedAt time.Time `json:"confirmedAt,omitzero"`
	// Verified is true when the last re-reading found every step's planned
	// state; Problems lists what did not hold.
	Verified   bool      `json:"verified"`
	VerifiedAt time.Time `json:"verifiedAt,omitzero"`
	Problems   []string  `json:"problems,omitempty"`
	// Waiting counts the objects whose planned state S3 was still
	// bringing about at the last verification (restores of archived
	// objects in progress): resuming verifies the change again.
	Waiting int `json:"waiting,omitempty"`
	// UndoneBy names a finished change that undid this one.
	UndoneBy string `json:"undoneBy,omitempty"`
	// Bulk is the state of a bulk change's objects (Plan.Bulk set).
	Bulk *BulkRun `json:"bulk,omitempty"`
	// objects holds a bulk change's every object, by key, for resuming
	// and verifying without reading the journal again.
	objects map[string]*ObjectChange
}

// Counts returns how many steps are applied (by this change or found
// already so), and how many are not known to be. For a bulk change it
// counts objects.
func (r ChangeRun) Counts() (done, open int) {
	if r.Plan.Bulk != nil {
		if r.Bulk == nil {
			return 0, r.Plan.Bulk.Objects
		}
		done = r.Bulk.Applied + r.Bulk.Already + r.Bulk.Gone
		return done, max(len(r.Bulk.Open), r.Plan.Bulk.Objects-done)
	}
	for _, s := range r.Steps {
		if s.Outcome == OutcomeApplied || s.Outcome == OutcomeAlready {
			done++
		} else {
			open++
		}
	}
	return done, open
}

// Summary is one line on the change: status, progress, verification.
func (r ChangeRun) Summary() string {
	done, _ := r.Counts()
	s := fmt.Sprintf("%s %s: %s (%d of %d steps applied)", r.Plan.ID, r.Status, r.Plan.Title, done, len(r.Steps))
	if r.Plan.Bulk != nil {
		s = fmt.Sprintf("%s %s: %s (%s)", r.Plan.ID, r.Status, r.Plan.Title, r.bulkSummary())
	}
	switch {
	case r.Status == ChangePlanned:
	case r.Verified:
		s += ", verified"
	case !r.VerifiedAt.IsZero():
		s += ", verification failed"
	}
	if r.Waiting > 0 {
		s += fmt.Sprintf(", %d restore(s) still in progress", r.Waiting)
	}
	if r.UndoneBy != "" {
		s += ", undone by " + r.UndoneBy
	}
	return s
}

// Resumable reports whether resuming has work on the change: it stopped
// before its end, was never verified, or waits for S3 to finish restores.
func (r ChangeRun) Resumable() bool {
	return r.Status == ChangeIncomplete || (r.Status == ChangeDone && (r.VerifiedAt.IsZero() || r.Waiting > 0))
}

// replay rebuilds every change from its records, oldest plan first. It
// trusts nothing but the records: a step with an intent and no result is
// in doubt, whatever the account may say, until a resume re-reads it.
func replay(recs []JournalRecord) ([]ChangeRun, error) {
	byID := map[string]*ChangeRun{}
	bulk := map[string]*bulkTrack{}
	var order []string
	for _, rec := range recs {
		run := byID[rec.Change]
		if rec.Kind == JournalPlanned {
			if run != nil || rec.Plan == nil {
				return nil, fmt.Errorf("%w: journal of change %s: record %d is a second or empty plan", ErrInvalid, rec.Change, rec.Seq)
			}
			run = &ChangeRun{Plan: *rec.Plan, Status: ChangePlanned}
			for _, st := range rec.Plan.Steps {
				run.Steps = append(run.Steps, StepRun{Step: st, Outcome: OutcomePending})
			}
			if rec.Plan.Bulk != nil {
				bulk[rec.Change] = &bulkTrack{objects: map[string]*ObjectChange{}}
			}
			byID[rec.Change] = run
			order = append(order, rec.Change)
			continue
		}
		if run == nil {
			return nil, fmt.Errorf("%w: journal of change %s: record %d comes before its plan", ErrInvalid, rec.Change, rec.Seq)
		}
		step := func() (*StepRun, error) {
			if rec.Step < 1 || rec.Step > len(run.Steps) {
				return nil, fmt.Errorf("%w: journal of change %s: record %d names step %d of %d", ErrInvalid, rec.Change, rec.Seq, rec.Step, len(run.Steps))
			}
			return &run.Steps[rec.Step-1], nil
		}
		switch rec.Kind {
		case JournalConfirmed:
			run.Status = ChangeIncomplete
			run.Evidence, run.ConfirmedBy, run.ConfirmedAt = rec.Evidence, rec.Actor, rec.At
		case JournalIntent:
			s, err := step()
			if err != nil {
				return nil, err
			}
			s.Outcome, s.Error = OutcomeInDoubt, ""
		case JournalResult:
			s, err := step()
			if err != nil {
				return nil, err
			}
			s.Outcome, s.Error = rec.Outcome, rec.Error
		case JournalVerified:
			run.Verified = rec.Outcome == "holds"
			run.VerifiedAt, run.Problems, run.Waiting = rec.At, rec.Problems, rec.Waiting
		case JournalBatch, JournalBatchResult, JournalListed:
			t := bulk[rec.Change]
			if t == nil {
				return nil, fmt.Errorf("%w: journal of change %s: record %d is a %s of a change that is not bulk", ErrInvalid, rec.Change, rec.Seq, rec.Kind)
			}
			switch rec.Kind {
			case JournalBatch:
				t.batch(rec)
			case JournalBatchResult:
				t.result(rec)
			default:
				t.listed = true
			}
		case JournalNote:
		default:
			return nil, fmt.Errorf("%w: journal of change %s: record %d has unknown kind %q", ErrInvalid, rec.Change, rec.Seq, rec.Kind)
		}
	}
	out := make([]ChangeRun, 0, len(order))
	for _, id := range order {
		run := byID[id]
		if t := bulk[id]; t != nil {
			run.Bulk, run.objects = t.run(), t.objects
			if run.Status != ChangePlanned && run.Bulk.Listed && len(run.Bulk.Open) == 0 {
				run.Status = ChangeDone
			}
			out = append(out, *run)
			continue
		}
		if run.Status != ChangePlanned {
			if _, open := run.Counts(); open == 0 {
				run.Status = ChangeDone
			}
		}
		out = append(out, *run)
	}
	for _, run := range out {
		if run.Plan.UndoOf != "" && run.Status == ChangeDone {
			for i := range out {
				if out[i].Plan.ID == run.Plan.UndoOf {
					out[i].UndoneBy = run.Plan.ID
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b ChangeRun) int { return a.Plan.CreatedAt.Compare(b.Plan.CreatedAt) })
	return out, nil
}

// Report describes the run for a person: every step with its outcome and
// command, which is what a responder needs after a crash.
func (r ChangeRun) Report() string {
	var b strings.Builder
	b.WriteString(r.Summary() + "\n")
	if r.Evidence != "" {
		fmt.Fprintf(&b, "  state before the change: evidence %s\n", r.Evidence)
	}
	if r.Plan.Bulk != nil {
		r.bulkReport(&b)
	}
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "  step %d %-11s %s on %s\n", s.Step.N, s.Outcome, s.Step.Call, s.Step.Resource.Name)
		if s.Error != "" {
			fmt.Fprintf(&b, "         %s\n", s.Error)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  does not hold: %s\n", p)
	}
	return b.String()
}
