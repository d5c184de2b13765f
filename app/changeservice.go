package app

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file holds the use cases that change an account: plan, apply,
// resume, undo. Their promises, which the tests hold them to:
//
//   - nothing is sent without the exact confirmation the plan asks for;
//   - an exercise incident never sends a change to a real account;
//   - the state before the change is saved as evidence before the first
//     call;
//   - each call's intent is committed to the journal before the call and
//     its result after, so a crash leaves a journal that says what was and
//     was not applied;
//   - a step is sent only when re-reading shows its resource in the state
//     the plan started from, so resuming never does anything twice and a
//     resource someone else changed is left alone;
//   - every call and the final verification land in the timeline, with
//     the AWS CLI command that does the same.

func (s *Service) journalStore() (JournalStore, error) {
	js, ok := s.store.(JournalStore)
	if !ok {
		return nil, fmt.Errorf("%w: this store keeps no change journal", ErrInvalid)
	}
	return js, nil
}

// newChangeID returns a sortable, unguessable change id:
// CHG-20261126T101500-7K3Q.
func newChangeID(now time.Time) string {
	const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "CHG-" + now.Format("20060102T150405") + "-" + string(b[:])
}

// changer is an open connection that can change the account, checked
// against the incident.
type changer struct {
	inc Incident
	id  Identity
	m   Mutator
}

// changerFor opens (or reuses) the profile's connection for the incident
// and refuses, before any call, a connection that cannot change accounts
// and an exercise on anything but a simulated account.
func (s *Service) changerFor(ctx context.Context, incidentID string, p Profile) (changer, error) {
	c, err := s.Load(ctx, incidentID)
	if err != nil {
		return changer{}, err
	}
	conn, err := s.cloudFor(ctx, incidentID, p, false)
	if err != nil {
		return changer{}, err
	}
	m, ok := conn.cloud.(Mutator)
	if !ok {
		return changer{}, fmt.Errorf("%w: the connection with %s cannot change accounts", ErrInvalid, p)
	}
	if c.Incident.Exercise && !m.Simulated() {
		return changer{}, fmt.Errorf("incident %s with %s: %w", incidentID, p, ErrExercise)
	}
	return changer{inc: c.Incident, id: conn.id, m: m}, nil
}

// PlanChange works out an action of the incident's playbook on the
// account of profile p without changing anything, and keeps the plan in
// the incident's journal (and a line on the timeline) so that it can be
// applied exactly as shown.
func (s *Service) PlanChange(ctx context.Context, incidentID string, p Profile, req ChangeRequest) (Plan, error) {
	js, err := s.journalStore()
	if err != nil {
		return Plan{}, err
	}
	ch, err := s.changerFor(ctx, incidentID, p)
	if err != nil {
		return Plan{}, err
	}
	pb, err := s.PlaybookFor(ch.inc)
	if err != nil {
		return Plan{}, err
	}
	if err := checkRequest(pb, req); err != nil {
		return Plan{}, err
	}
	plan, err := ch.m.PlanChange(ctx, req, ch.id)
	if err != nil {
		return Plan{}, fmt.Errorf("plan %s: %w", req.Action, err)
	}
	if plan.Action != req.Action {
		return Plan{}, fmt.Errorf("%w: asked to plan %s, got a plan for %s", ErrInvalid, req.Action, plan.Action)
	}
	plan.Params = req.Params
	s.explainRestore(ctx, incidentID, &plan)
	if err := s.savePlan(ctx, js, ch, &plan); err != nil {
		return Plan{}, err
	}
	return plan, nil
}

// savePlan completes a plan from the mutator (id, who, when, combined
// states, diff, commands, confirmation), checks it, and journals it.
func (s *Service) savePlan(ctx context.Context, js JournalStore, ch changer, plan *Plan) error {
	if len(plan.Steps) == 0 && plan.Bulk == nil {
		return fmt.Errorf("plan %s: %w", plan.Action, ErrNoChange)
	}
	now := s.now()
	plan.ID = newChangeID(now)
	plan.Incident = ch.inc.ID
	plan.Account = ch.id.Account
	plan.Principal = ch.id.ARN
	plan.Simulated = ch.m.Simulated()
	plan.CreatedAt = now
	validFor := plan.ValidFor
	if validFor <= 0 || validFor > defaultPlanValidity {
		validFor = defaultPlanValidity
	}
	plan.ExpiresAt = now.Add(validFor)
	if plan.Bulk != nil {
		if err := checkBulkPlan(plan); err != nil {
			return err
		}
	} else if err := checkSteps(plan); err != nil {
		return err
	}
	return s.journalPlan(ctx, js, ch, plan, now)
}

// checkSteps completes and checks the steps of a plan: numbers, compact
// states, calls and commands both ways, the combined states and the diff.
func checkSteps(plan *Plan) error {
	if len(plan.Steps) == 0 {
		return fmt.Errorf("plan %s: %w", plan.Action, ErrNoChange)
	}
	plan.CLI = nil
	for i := range plan.Steps {
		st := &plan.Steps[i]
		st.N = i + 1
		st.Before, st.After = compactState(stateOrNull(st.Before)), compactState(stateOrNull(st.After))
		if sameState(st.Before, st.After) {
			return fmt.Errorf("%w: plan %s step %d leaves %s as it is", ErrInvalid, plan.Action, st.N, st.Resource.Name)
		}
		if st.Call == "" || st.CLI == "" || st.Resource.Kind == "" || st.Resource.Name == "" {
			return fmt.Errorf("%w: plan %s step %d lacks its call, command or resource", ErrInvalid, plan.Action, st.N)
		}
		if plan.Reversible && (st.UndoCall == "" || st.UndoCLI == "") {
			return fmt.Errorf("%w: plan %s step %d is said to be reversible but has no undo call", ErrInvalid, plan.Action, st.N)
		}
		plan.CLI = append(plan.CLI, st.CLI)
	}
	plan.Before, plan.After = combined(plan.Steps, false), combined(plan.Steps, true)
	plan.Diff = planDiff(plan.Steps)
	return nil
}

// journalPlan settles the confirmation and writes the plan to the
// journal with its line on the timeline.
func (s *Service) journalPlan(ctx context.Context, js JournalStore, ch changer, plan *Plan, now time.Time) error {
	switch {
	case plan.Broad && strings.TrimSpace(plan.ConfirmWord) == "":
		return fmt.Errorf("%w: plan %s is broad but names nothing to type to confirm it", ErrInvalid, plan.Action)
	case !plan.Broad:
		plan.ConfirmWord = confirmNarrow
	}
	if ch.inc.Exercise {
		plan.Notes = append(plan.Notes, "This is an exercise incident: the plan can only ever be applied to the simulated account it was made on.")
	}
	what := "Planned"
	if plan.UndoOf != "" {
		what = "Planned undo of " + plan.UndoOf + ":"
	}
	text := fmt.Sprintf("%s change %s (%s): %s, as %s in account %s. Nothing sent yet. AWS CLI equivalent: %s",
		what, plan.ID, plan.Action, plan.Title, plan.Principal, plan.Account, strings.Join(plan.CLI, " ; "))
	rec := JournalRecord{Change: plan.ID, Kind: JournalPlanned, Plan: plan, Actor: s.actor, At: now}
	if _, err := js.AppendJournal(ctx, ch.inc.ID, rec, []Entry{s.entry(KindAction, text, now, plan.ID)}); err != nil {
		return fmt.Errorf("save plan %s: %w", plan.ID, err)
	}
	return nil
}

// ChangeJournal returns every change of the incident as its journal tells
// it, oldest first. It needs no connection: after a crash it says what
// was and was not applied before anything is touched.
func (s *Service) ChangeJournal(ctx context.Context, incidentID string) ([]ChangeRun, error) {
	js, err := s.journalStore()
	if err != nil {
		return nil, err
	}
	recs, err := js.Journal(ctx, incidentID)
	if err != nil {
		return nil, fmt.Errorf("read change journal of %s: %w", incidentID, err)
	}
	return replay(recs)
}

// findRun returns one change of the incident.
func (s *Service) findRun(ctx context.Context, incidentID, changeID string) (ChangeRun, error) {
	runs, err := s.ChangeJournal(ctx, incidentID)
	if err != nil {
		return ChangeRun{}, err
	}
	for _, r := range runs {
		if r.Plan.ID == changeID {
			return r, nil
		}
	}
	return ChangeRun{}, fmt.Errorf("change %s of incident %s %w", changeID, incidentID, ErrNotFound)
}

// checkConfirmation compares what the person typed with what the plan
// asks for, exactly: a broad change is confirmed by typing the name of
// what it touches, never by a habit like "y".
func checkConfirmation(plan Plan, typed string) error {
	if typed != plan.ConfirmWord {
		if plan.Broad {
			return fmt.Errorf("change %s (%s) %w: type %q, the name of what it changes, to confirm it", plan.ID, plan.Title, ErrNotConfirmed, plan.ConfirmWord)
		}
		return fmt.Errorf("change %s (%s) %w: answer %q to confirm it", plan.ID, plan.Title, ErrNotConfirmed, plan.ConfirmWord)
	}
	return nil
}

// checkChanger refuses to carry out a plan over another account, or over a
// simulated account for a plan made on a real one (and the reverse).
func checkChanger(plan Plan, ch changer) error {
	if plan.Incident != ch.inc.ID {
		return fmt.Errorf("%w: change %s belongs to incident %s, not %s", ErrInvalid, plan.ID, plan.Incident, ch.inc.ID)
	}
	if ch.id.Account != plan.Account {
		return fmt.Errorf("%w: change %s was planned in account %s; the connection is to account %s", ErrInvalid, plan.ID, plan.Account, ch.id.Account)
	}
	if ch.m.Simulated() != plan.Simulated {
		return fmt.Errorf("%w: change %s was planned on a %s account and cannot be applied to a %s one", ErrInvalid, plan.ID, simulatedWord(plan.Simulated), simulatedWord(ch.m.Simulated()))
	}
	return nil
}

func simulatedWord(sim bool) string {
	if sim {
		return "simulated"
	}
	return "real"
}

// ApplyChange carries out a planned change after checking the confirmation,
// the connection and that nobody changed the resources since the plan.
// The state before is saved as evidence first; then each step is
// journalled, sent and journalled again; then every resource is re-read
// to verify. On error the returned run says how far it got.
func (s *Service) ApplyChange(ctx context.Context, incidentID string, p Profile, changeID, confirmation string) (ChangeRun, error) {
	return s.ApplyChangeWithProgress(ctx, incidentID, p, changeID, confirmation, nil)
}

// ApplyChangeWithProgress is ApplyChange telling progress how a bulk
// change advances (after each batch of objects); progress may be nil.
// Cancelling ctx stops a bulk change after the calls in flight, with
// every outcome journalled: resume finishes it.
func (s *Service) ApplyChangeWithProgress(ctx context.Context, incidentID string, p Profile, changeID, confirmation string, progress ChangeProgress) (ChangeRun, error) {
	js, err := s.journalStore()
	if err != nil {
		return ChangeRun{}, err
	}
	run, err := s.findRun(ctx, incidentID, changeID)
	if err != nil {
		return ChangeRun{}, err
	}
	if run.Status != ChangePlanned {
		return run, fmt.Errorf("%w: change %s is %s, confirmed by %s at %s; to finish it use resume, to reverse it use undo",
			ErrInvalid, changeID, run.Status, run.ConfirmedBy, run.ConfirmedAt.Format(time.RFC3339))
	}
	if err := checkConfirmation(run.Plan, confirmation); err != nil {
		return run, err
	}
	ch, err := s.changerFor(ctx, incidentID, p)
	if err != nil {
		return run, err
	}
	if err := checkChanger(run.Plan, ch); err != nil {
		return run, err
	}
	if now := s.now(); now.After(run.Plan.ExpiresAt) {
		return run, fmt.Errorf("%w: change %s was planned at %s and expired at %s: plan it again, so that what you confirm is the account as it is now",
			ErrInvalid, changeID, run.Plan.CreatedAt.Format(time.RFC3339), run.Plan.ExpiresAt.Format(time.RFC3339))
	}
	if run.Plan.Bulk != nil {
		return s.applyBulk(ctx, js, ch, run, progress)
	}
	// Read everything first: a plan the account no longer matches is
	// refused whole, before any evidence or journal record is written.
	current := make([]json.RawMessage, len(run.Steps))
	for i, sr := range run.Steps {
		cur, err := ch.m.ReadState(ctx, sr.Step.Resource)
		if err != nil {
			return run, fmt.Errorf("change %s: read %s before applying: %w", changeID, sr.Step.Resource.Name, err)
		}
		if !sameState(cur, sr.Step.Before) && !sameState(cur, sr.Step.After) {
			return run, fmt.Errorf("change %s: %s: %w (now %s): plan it again", changeID, sr.Step.Resource.Name, ErrConflict, compactState(stateOrNull(cur)))
		}
		current[i] = cur
	}
	ev, err := s.saveBefore(ctx, ch, run.Plan, current)
	if err != nil {
		return run, err
	}
	now := s.now()
	rec := JournalRecord{Change: changeID, Kind: JournalConfirmed, Evidence: ev.ID, Actor: s.actor, At: now}
	text := fmt.Sprintf("Change %s confirmed by %s; applying %d step(s) of %q as %s. State before saved as evidence %s.",
		changeID, s.actor, len(run.Steps), run.Plan.Title, ch.id.ARN, ev.ID)
	if _, err := js.AppendJournal(ctx, incidentID, rec, []Entry{s.entry(KindAction, text, now, changeID, ev.ID)}); err != nil {
		return run, fmt.Errorf("change %s: record the confirmation: %w", changeID, err)
	}
	run.Status, run.Evidence, run.ConfirmedBy, run.ConfirmedAt = ChangeIncomplete, ev.ID, s.actor, now
	return s.runSteps(ctx, js, ch, run)
}

// applyBulk confirms a bulk change, keeping its selection as evidence,
// and runs it. Each object is checked when its batch comes.
func (s *Service) applyBulk(ctx context.Context, js JournalStore, ch changer, run ChangeRun, progress ChangeProgress) (ChangeRun, error) {
	ev, err := s.saveBulkSample(ctx, ch, run.Plan)
	if err != nil {
		return run, err
	}
	now := s.now()
	rec := JournalRecord{Change: run.Plan.ID, Kind: JournalConfirmed, Evidence: ev.ID, Actor: s.actor, At: now}
	text := bulkTimelineStart(run.Plan, s.actor, ch.id.ARN, ev.ID)
	if _, err := js.AppendJournal(ctx, ch.inc.ID, rec, []Entry{s.entry(KindAction, text, now, run.Plan.ID, ev.ID)}); err != nil {
		return run, fmt.Errorf("change %s: record the confirmation: %w", run.Plan.ID, err)
	}
	run.Status, run.Evidence, run.ConfirmedBy, run.ConfirmedAt = ChangeIncomplete, ev.ID, s.actor, now
	return s.runBulk(ctx, js, ch, run, progress)
}

// saveBefore keeps the state the resources were in just before the change
// as an evidence item of the incident.
func (s *Service) saveBefore(ctx context.Context, ch changer, plan Plan, current []json.RawMessage) (Evidence, error) {
	steps := make([]ChangeStep, len(plan.Steps))
	for i, st := range plan.Steps {
		steps[i] = ChangeStep{Resource: st.Resource, Before: current[i]}
	}
	content := []byte(prettyState(combined(steps, false)) + "\n")
	ids, err := s.newEvidenceIDs(ctx, ch.inc.ID)
	if err != nil {
		return Evidence{}, err
	}
	ev := Evidence{
		ID: ids.next(content), Title: fmt.Sprintf("State before change %s: %s", plan.ID, plan.Title),
		Kind: "snapshot", MediaType: "application/json", FileName: plan.ID + "-before.json",
		Source:      Source{Account: plan.Account, Region: plan.Region, API: "re-read before " + plan.ID, Params: map[string]string{"change": plan.ID, "action": plan.Action}},
		CollectedBy: ch.id.ARN,
	}
	saved, err := s.AddEvidence(ctx, ch.inc.ID, ev, content)
	if err != nil {
		return Evidence{}, fmt.Errorf("change %s: save the state before it as evidence (nothing was changed): %w", plan.ID, err)
	}
	return saved, nil
}

// journal appends one record with its timeline entry. The context is
// detached from cancellation: a result must be recorded even when the
// person cancels or the network drops just after the call.
func (s *Service) journal(ctx context.Context, js JournalStore, incidentID string, rec JournalRecord, text string, refs ...string) error {
	now := s.now()
	rec.Actor, rec.At = s.actor, now
	var entries []Entry
	if text != "" {
		entries = []Entry{s.entry(KindAction, text, now, append([]string{rec.Change}, refs...)...)}
	}
	if _, err := js.AppendJournal(context.WithoutCancel(ctx), incidentID, rec, entries); err != nil {
		return fmt.Errorf("change %s: write journal record %s: %w", rec.Change, rec.Kind, err)
	}
	return nil
}

// runSteps sends every step not yet known to be applied, each only after
// re-reading its resource, then verifies. It is the whole of apply after
// the confirmation and the whole of resume.
func (s *Service) runSteps(ctx context.Context, js JournalStore, ch changer, run ChangeRun) (ChangeRun, error) {
	id, total := run.Plan.ID, len(run.Steps)
	for i := range run.Steps {
		sr := &run.Steps[i]
		if sr.Outcome == OutcomeApplied || sr.Outcome == OutcomeAlready {
			continue
		}
		st := sr.Step
		cur, err := ch.m.ReadState(ctx, st.Resource)
		if err != nil {
			return run, fmt.Errorf("change %s step %d: re-read %s (nothing sent): %w", id, st.N, st.Resource.Name, err)
		}
		attempted := sr.Outcome == OutcomeFailed || sr.Outcome == OutcomeInDoubt
		switch {
		case sameState(cur, st.After) && attempted:
			// Our own call went through before its answer was lost: the
			// step is applied by this change (and undo must reverse it).
			rec := JournalRecord{Change: id, Kind: JournalResult, Step: st.N, Outcome: OutcomeApplied, State: compactState(stateOrNull(cur))}
			text := fmt.Sprintf("Change %s step %d/%d: re-reading shows that the %s sent before the interruption took effect on %s; not sent again. AWS CLI equivalent: %s",
				id, st.N, total, st.Call, st.Resource.Name, st.CLI)
			if err := s.journal(ctx, js, ch.inc.ID, rec, text); err != nil {
				return run, err
			}
			sr.Outcome, sr.Error = OutcomeApplied, ""
		case sameState(cur, st.After):
			rec := JournalRecord{Change: id, Kind: JournalResult, Step: st.N, Outcome: OutcomeAlready, State: compactState(stateOrNull(cur))}
			text := fmt.Sprintf("Change %s step %d/%d: %s already holds the planned state (re-read); %s not sent again.", id, st.N, total, st.Resource.Name, st.Call)
			if err := s.journal(ctx, js, ch.inc.ID, rec, text); err != nil {
				return run, err
			}
			sr.Outcome, sr.Error = OutcomeAlready, ""
		case sameState(cur, st.Before):
			intent := JournalRecord{Change: id, Kind: JournalIntent, Step: st.N, State: compactState(stateOrNull(cur))}
			if err := s.journal(ctx, js, ch.inc.ID, intent, ""); err != nil {
				return run, err
			}
			sr.Outcome = OutcomeInDoubt
			werr := ch.m.WriteState(ctx, st.Resource, st.After)
			if werr != nil {
				rec := JournalRecord{Change: id, Kind: JournalResult, Step: st.N, Outcome: OutcomeFailed, Error: werr.Error()}
				text := fmt.Sprintf("Change %s step %d/%d FAILED: %s on %s: %v. Resume re-reads it to find out whether it took effect. AWS CLI equivalent: %s",
					id, st.N, total, st.Call, st.Resource.Name, werr, st.CLI)
				if err := s.journal(ctx, js, ch.inc.ID, rec, text); err != nil {
					return run, errors.Join(werr, err)
				}
				sr.Outcome, sr.Error = OutcomeFailed, werr.Error()
				return run, fmt.Errorf("change %s step %d: %s on %s: %w", id, st.N, st.Call, st.Resource.Name, werr)
			}
			rec := JournalRecord{Change: id, Kind: JournalResult, Step: st.N, Outcome: OutcomeApplied}
			text := fmt.Sprintf("Change %s step %d/%d applied: %s on %s. AWS CLI equivalent: %s", id, st.N, total, st.Call, st.Resource.Name, st.CLI)
			if err := s.journal(ctx, js, ch.inc.ID, rec, text); err != nil {
				return run, err
			}
			sr.Outcome, sr.Error = OutcomeApplied, ""
		default:
			rec := JournalRecord{Change: id, Kind: JournalResult, Step: st.N, Outcome: OutcomeConflict, State: compactState(stateOrNull(cur)),
				Error: "the resource holds neither the planned starting state nor the planned end state"}
			text := fmt.Sprintf("Change %s step %d/%d stopped: %s was changed by someone else since the plan (now %s); %s not sent.",
				id, st.N, total, st.Resource.Name, compactState(stateOrNull(cur)), st.Call)
			if err := s.journal(ctx, js, ch.inc.ID, rec, text); err != nil {
				return run, err
			}
			sr.Outcome, sr.Error = OutcomeConflict, rec.Error
			return run, fmt.Errorf("change %s step %d: %s: %w", id, st.N, st.Resource.Name, ErrConflict)
		}
	}
	run.Status = ChangeDone
	return s.verify(ctx, js, ch, run)
}

// verify re-reads every resource of a finished change and records whether
// the planned state holds.
func (s *Service) verify(ctx context.Context, js JournalStore, ch changer, run ChangeRun) (ChangeRun, error) {
	var problems []string
	for _, sr := range run.Steps {
		cur, err := ch.m.ReadState(ctx, sr.Step.Resource)
		if err != nil {
			return run, fmt.Errorf("change %s: verify %s: %w", run.Plan.ID, sr.Step.Resource.Name, err)
		}
		if !sameState(cur, sr.Step.After) {
			problems = append(problems, fmt.Sprintf("%s is %s, planned %s", sr.Step.Resource.Name, compactState(stateOrNull(cur)), sr.Step.After))
		}
	}
	outcome, text := "holds", fmt.Sprintf("Change %s verified: re-reading shows every planned state in place (%s).", run.Plan.ID, run.Plan.Title)
	if len(problems) > 0 {
		outcome = "differs"
		text = fmt.Sprintf("Change %s does NOT hold on re-reading: %s", run.Plan.ID, strings.Join(problems, "; "))
	}
	rec := JournalRecord{Change: run.Plan.ID, Kind: JournalVerified, Outcome: outcome, Problems: problems}
	if err := s.journal(ctx, js, ch.inc.ID, rec, text); err != nil {
		return run, err
	}
	run.Verified, run.VerifiedAt, run.Problems = len(problems) == 0, s.now(), problems
	if len(problems) > 0 {
		return run, fmt.Errorf("change %s applied but does not hold: %s", run.Plan.ID, strings.Join(problems, "; "))
	}
	return run, nil
}

// ResumeChanges finishes every confirmed change of the incident that a
// crash, a lost connection or a failed call left incomplete, and verifies
// any that finished without being verified. Each step's resource is
// re-read first: a step whose call went through before the crash is
// recorded as such and not sent again. It returns the changes it worked
// on; on error, those up to and including the one that failed.
func (s *Service) ResumeChanges(ctx context.Context, incidentID string, p Profile) ([]ChangeRun, error) {
	return s.ResumeChangesWithProgress(ctx, incidentID, p, nil)
}

// ResumeChangesWithProgress is ResumeChanges telling progress how bulk
// changes advance; progress may be nil.
func (s *Service) ResumeChangesWithProgress(ctx context.Context, incidentID string, p Profile, progress ChangeProgress) ([]ChangeRun, error) {
	js, err := s.journalStore()
	if err != nil {
		return nil, err
	}
	runs, err := s.ChangeJournal(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	var todo []ChangeRun
	for _, r := range runs {
		if r.Resumable() {
			todo = append(todo, r)
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	ch, err := s.changerFor(ctx, incidentID, p)
	if err != nil {
		return nil, err
	}
	var out []ChangeRun
	for _, r := range todo {
		if err := checkChanger(r.Plan, ch); err != nil {
			return out, err
		}
		var parts []string
		for _, sr := range r.Steps {
			parts = append(parts, fmt.Sprintf("step %d %s", sr.Step.N, sr.Outcome))
		}
		if b := r.Bulk; b != nil {
			parts = append(parts, fmt.Sprintf("%d object(s) journalled, %d open (%d in doubt, %d failed, %d conflicting, %d not sent), %s",
				b.Objects, len(b.Open), b.InDoubt, b.Failed, b.Conflict, b.Pending, listedWords(b)))
		}
		text := fmt.Sprintf("Resuming change %s (%s) from its journal: %s.", r.Plan.ID, r.Plan.Title, strings.Join(parts, ", "))
		if err := s.record(ctx, incidentID, []Entry{s.entry(KindAction, text, time.Time{}, r.Plan.ID)}); err != nil {
			return out, err
		}
		var done ChangeRun
		switch {
		case r.Plan.Bulk != nil && r.Status == ChangeDone:
			done, err = s.verifyBulk(ctx, js, ch, r)
		case r.Plan.Bulk != nil:
			done, err = s.runBulk(ctx, js, ch, r, progress)
		case r.Status == ChangeDone:
			done, err = s.verify(ctx, js, ch, r)
		default:
			done, err = s.runSteps(ctx, js, ch, r)
		}
		out = append(out, done)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// PlanUndo plans the reverse of a finished, reversible change: the steps
// it applied, backwards, each restoring the state saved before it. Steps
// that found their resource already in the planned state are left alone,
// since this change did not set them.
func (s *Service) PlanUndo(ctx context.Context, incidentID string, p Profile, changeID string) (Plan, error) {
	js, err := s.journalStore()
	if err != nil {
		return Plan{}, err
	}
	run, err := s.findRun(ctx, incidentID, changeID)
	if err != nil {
		return Plan{}, err
	}
	orig := run.Plan
	switch {
	case !orig.Reversible:
		why := ""
		if orig.UndoNote != "" {
			why = ": " + orig.UndoNote
		}
		return Plan{}, fmt.Errorf("%w: change %s (%s) cannot be undone%s", ErrInvalid, changeID, orig.Action, why)
	case run.Status == ChangePlanned:
		return Plan{}, fmt.Errorf("%w: change %s was never applied: there is nothing to undo", ErrInvalid, changeID)
	case run.Status != ChangeDone:
		return Plan{}, fmt.Errorf("%w: change %s is %s: finish it with resume before undoing it", ErrInvalid, changeID, run.Status)
	case run.UndoneBy != "":
		return Plan{}, fmt.Errorf("%w: change %s was already undone by %s", ErrInvalid, changeID, run.UndoneBy)
	}
	if orig.Bulk != nil {
		ch, err := s.changerFor(ctx, incidentID, p)
		if err != nil {
			return Plan{}, err
		}
		if err := checkChanger(orig, ch); err != nil {
			return Plan{}, err
		}
		return s.planBulkUndo(ctx, js, ch, run)
	}
	var steps []ChangeStep
	for i := len(run.Steps) - 1; i >= 0; i-- {
		sr := run.Steps[i]
		if sr.Outcome != OutcomeApplied {
			continue
		}
		st := sr.Step
		to := st.Before
		if len(st.UndoTo) > 0 {
			to = st.UndoTo
		}
		steps = append(steps, ChangeStep{Resource: st.Resource, Before: st.After, After: to,
			Call: st.UndoCall, UndoCall: st.Call, CLI: st.UndoCLI, UndoCLI: st.CLI})
	}
	if len(steps) == 0 {
		return Plan{}, fmt.Errorf("undo %s: every resource already held its planned state, the change set none of them: %w", changeID, ErrNoChange)
	}
	ch, err := s.changerFor(ctx, incidentID, p)
	if err != nil {
		return Plan{}, err
	}
	if err := checkChanger(orig, ch); err != nil {
		return Plan{}, err
	}
	impact := []string{fmt.Sprintf("Restores the state saved before %s (evidence %s): whatever %s stopped works again.", changeID, run.Evidence, orig.Title)}
	if orig.UndoNote != "" {
		impact = append(impact, orig.UndoNote)
	}
	plan := Plan{
		Action: orig.Action, Title: "Undo " + changeID + ": " + orig.Title, Target: orig.Target, Region: orig.Region,
		Params: orig.Params, Steps: steps, Impact: impact, Broad: orig.Broad, ConfirmWord: orig.ConfirmWord,
		Reversible: true, UndoOf: changeID,
	}
	if err := s.savePlan(ctx, js, ch, &plan); err != nil {
		return Plan{}, err
	}
	return plan, nil
}

// UndoChange plans and applies the reverse of a change in one action. The
// confirmation is the same word the change itself needed.
func (s *Service) UndoChange(ctx context.Context, incidentID string, p Profile, changeID, confirmation string) (ChangeRun, error) {
	return s.UndoChangeWithProgress(ctx, incidentID, p, changeID, confirmation, nil)
}

// UndoChangeWithProgress is UndoChange telling progress how the undo of
// a bulk change advances; progress may be nil.
func (s *Service) UndoChangeWithProgress(ctx context.Context, incidentID string, p Profile, changeID, confirmation string, progress ChangeProgress) (ChangeRun, error) {
	run, err := s.findRun(ctx, incidentID, changeID)
	if err != nil {
		return ChangeRun{}, err
	}
	if confirmation != run.Plan.ConfirmWord {
		return ChangeRun{}, fmt.Errorf("undo of change %s (%s) %w: type %q to confirm it", changeID, run.Plan.Title, ErrNotConfirmed, run.Plan.ConfirmWord)
	}
	plan, err := s.PlanUndo(ctx, incidentID, p, changeID)
	if err != nil {
		return ChangeRun{}, err
	}
	return s.ApplyChangeWithProgress(ctx, incidentID, p, plan.ID, confirmation, progress)
}

// listedWords says whether a bulk change's selection was taken to its end.
func listedWords(b *BulkRun) string {
	if b.Listed {
		return "selection finished"
	}
	if b.Last == "" {
		return "selection not started"
	}
	return fmt.Sprintf("selection taken up to %q", b.Last)
}
