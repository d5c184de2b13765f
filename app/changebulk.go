package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Bulk changes set the same kind of state on many objects (every object
// ACL under a prefix, say): too many for one step each in the plan, and
// too many for one journal transaction each. They keep the framework's
// promises in batches instead:
//
//   - the objects are taken in key order, BulkBatchSize at a time;
//   - each object of a batch is read first (concurrently), and the batch's
//     record, holding every object's state before and planned state after,
//     is committed in ONE transaction before any call of the batch;
//   - the batch's calls go out concurrently (bounded), and one record with
//     every object's outcome is committed after them;
//   - a crash leaves the objects of the last batch in doubt; resuming
//     re-reads each of them before sending anything, takes the listing up
//     after the last key journaled, and never sends a call twice for an
//     object already in its planned state;
//   - undo restores each object's own saved state, read from the journal.
//
// 100,000 objects thus make 400 transactions, not 200,000.

// Limits of bulk changes.
const (
	// DefaultBulkConcurrency is how many calls a bulk change keeps in
	// flight when the plan does not say.
	DefaultBulkConcurrency = 32
	// MaxBulkConcurrency caps it: S3 takes about 3,500 writes a second
	// per prefix, and a laptop's sockets are not free either.
	MaxBulkConcurrency = 256
	// BulkBatchSize is how many objects one pair of journal records covers.
	BulkBatchSize = 500
	// BulkThreshold is the number of objects above which the app offers
	// an S3 Batch Operations job instead: beyond it a laptop spends hours
	// on what AWS does in minutes, and the journal grows large.
	BulkThreshold = 100_000
)

// Journal record kinds of bulk changes.
const (
	// JournalBatch holds a batch's objects with their states before and
	// after, committed before any call of the batch. Objects already in
	// their planned state carry their outcome instead.
	JournalBatch JournalKind = "batch"
	// JournalBatchResult holds the outcome of every call of a batch.
	JournalBatchResult JournalKind = "batch-result"
	// JournalListed says the selection was taken to its end: no object
	// is left to put in a batch.
	JournalListed JournalKind = "listed"
	// JournalNote carries a timeline line about a run (how far it got)
	// and changes nothing in the replayed state.
	JournalNote JournalKind = "note"
)

// OutcomeGone is the outcome of an object that no longer exists when it
// is read: nothing was sent for it.
const OutcomeGone = "gone"

// BulkSpec is the part of a plan that says which objects a bulk change
// touches and how. The objects are a bucket's keys under Prefix, or Keys,
// or (for an undo) the objects the undone change applied.
type BulkSpec struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix,omitempty"`
	// Keys is an explicit selection, sorted and without duplicates.
	Keys []string `json:"keys,omitempty"`
	// Objects is how many objects the selection held when planned; More
	// is true when the count stopped at BulkThreshold.
	Objects int  `json:"objects"`
	More    bool `json:"more,omitempty"`
	// Resource is the kind of every object's state (ResourceObjectACL).
	Resource string `json:"resource"`
	// Call and UndoCall are the AWS operations that set an object's state.
	Call     string `json:"call"`
	UndoCall string `json:"undoCall,omitempty"`
	// CLI is the AWS CLI command for one object, with {key} standing for
	// the object's key; UndoCLI restores one object, with {state} for the
	// saved state too.
	CLI     string `json:"cli"`
	UndoCLI string `json:"undoCli,omitempty"`
	// Args carry what the mutator needs to work out each object's
	// planned state (the bucket owner of an ACL reset).
	Args map[string]string `json:"args,omitempty"`
	// From is the bucket each object is copied from, for changes that
	// copy between buckets (s3.replica-restore): every object's resource
	// names it, so that the call setting a state knows where to read.
	From        string `json:"from,omitempty"`
	Concurrency int    `json:"concurrency"`
	BatchSize   int    `json:"batchSize"`
	// Sample is a few objects read when planning, with their states now
	// and after: what the diff shows.
	Sample []ObjectChange `json:"sample,omitempty"`
}

// ObjectChange is one object of a bulk change: its state before and the
// planned state after, and what happened to it.
type ObjectChange struct {
	Key     string          `json:"key"`
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
	Outcome string          `json:"outcome,omitempty"`
	Error   string          `json:"error,omitempty"`
}

// BulkMutator is what a Mutator offers for bulk changes, besides reading
// and writing each object's state with ReadState and WriteState.
type BulkMutator interface {
	// ListKeys calls page with the selection's keys in ascending order,
	// after startAfter (all when ""), a page at a time, until the end or
	// an error (page's included).
	ListKeys(ctx context.Context, bucket, prefix, startAfter string, page func(keys []string) error) error
	// TargetState returns the state the action leaves an object in, given
	// its state now (an ACL reset keeps the object's owner, for one).
	TargetState(action string, spec BulkSpec, current json.RawMessage) (json.RawMessage, error)
}

// BulkRun is what the journal says about a bulk change's objects.
type BulkRun struct {
	// Objects counts the distinct objects journaled so far.
	Objects  int `json:"objects"`
	Applied  int `json:"applied"`
	Already  int `json:"already"`
	Gone     int `json:"gone"`
	Failed   int `json:"failed"`
	Conflict int `json:"conflict"`
	InDoubt  int `json:"inDoubt"`
	Pending  int `json:"pending"`
	Batches  int `json:"batches"`
	// Last is the greatest key journaled: listing resumes after it.
	Last string `json:"last,omitempty"`
	// Listed is true once every object of the selection was journaled.
	Listed bool `json:"listed"`
	// Open are the objects not known to be in their planned state, by key.
	Open []ObjectChange `json:"open,omitempty"`
}

// BulkProgress is how far a bulk change has got, told after each batch.
type BulkProgress struct {
	Change string `json:"change"`
	// Done counts the objects with a final outcome; Total is the plan's
	// count (a lower bound when the selection grew since).
	Done     int `json:"done"`
	Total    int `json:"total"`
	Applied  int `json:"applied"`
	Already  int `json:"already"`
	Gone     int `json:"gone"`
	Failed   int `json:"failed"`
	Conflict int `json:"conflict"`
	Batch    int `json:"batch"`
}

// ChangeProgress is told how a bulk change advances. It is called from
// the change's goroutine between batches.
type ChangeProgress func(BulkProgress)

// ObjectResource names one object's state for the mutator: the journal's
// replay of a simulated account names it the same way.
func (spec *BulkSpec) ObjectResource(key string) Resource {
	id := map[string]string{"bucket": spec.Bucket, "key": key}
	if spec.From != "" {
		id["from"] = spec.From
	}
	return Resource{Kind: spec.Resource, ID: id, Name: "s3://" + spec.Bucket + "/" + key}
}

// finalOutcome reports whether an object needs nothing more.
func finalOutcome(o string) bool {
	return o == OutcomeApplied || o == OutcomeAlready || o == OutcomeGone
}

// bulkTrack gathers a bulk change's objects while the journal is replayed.
type bulkTrack struct {
	objects map[string]*ObjectChange
	batches int
	last    string
	listed  bool
}

func (t *bulkTrack) batch(rec JournalRecord) {
	t.batches = max(t.batches, rec.Step)
	for _, o := range rec.Objects {
		o := o
		if o.Key > t.last {
			t.last = o.Key
		}
		if o.Outcome == "" {
			o.Outcome = OutcomeInDoubt
		}
		if prev, ok := t.objects[o.Key]; ok && o.Before == nil && o.After == nil {
			// A retry that failed to read keeps the states of the first try.
			o.Before, o.After = prev.Before, prev.After
		}
		t.objects[o.Key] = &o
	}
}

func (t *bulkTrack) result(rec JournalRecord) {
	for _, o := range rec.Objects {
		if cur, ok := t.objects[o.Key]; ok {
			cur.Outcome, cur.Error = o.Outcome, o.Error
		}
	}
}

// run sums the objects up.
func (t *bulkTrack) run() *BulkRun {
	b := &BulkRun{Objects: len(t.objects), Batches: t.batches, Last: t.last, Listed: t.listed}
	for _, o := range t.objects {
		switch o.Outcome {
		case OutcomeApplied:
			b.Applied++
		case OutcomeAlready:
			b.Already++
		case OutcomeGone:
			b.Gone++
		case OutcomeFailed:
			b.Failed++
		case OutcomeConflict:
			b.Conflict++
		case OutcomeInDoubt:
			b.InDoubt++
		default:
			b.Pending++
		}
		if !finalOutcome(o.Outcome) {
			b.Open = append(b.Open, *o)
		}
	}
	slices.SortFunc(b.Open, func(x, y ObjectChange) int { return strings.Compare(x.Key, y.Key) })
	return b
}

// objectsOf returns a bulk change's objects with the given outcome, by
// key, with their states, read again from the journal.
func (s *Service) objectsOf(ctx context.Context, incidentID, changeID, outcome string) ([]ObjectChange, error) {
	js, err := s.journalStore()
	if err != nil {
		return nil, err
	}
	recs, err := js.Journal(ctx, incidentID)
	if err != nil {
		return nil, fmt.Errorf("read change journal of %s: %w", incidentID, err)
	}
	t := &bulkTrack{objects: map[string]*ObjectChange{}}
	for _, rec := range recs {
		if rec.Change != changeID {
			continue
		}
		switch rec.Kind {
		case JournalBatch:
			t.batch(rec)
		case JournalBatchResult:
			t.result(rec)
		}
	}
	var out []ObjectChange
	for _, o := range t.objects {
		if o.Outcome == outcome {
			out = append(out, *o)
		}
	}
	slices.SortFunc(out, func(x, y ObjectChange) int { return strings.Compare(x.Key, y.Key) })
	return out, nil
}

// checkBulkPlan completes and checks the bulk part of a plan.
func checkBulkPlan(plan *Plan) error {
	b := plan.Bulk
	switch {
	case len(plan.Steps) > 0:
		return fmt.Errorf("%w: plan %s has both steps and a bulk selection", ErrInvalid, plan.Action)
	case b.Bucket == "" || b.Resource == "" || b.Call == "" || b.CLI == "":
		return fmt.Errorf("%w: bulk plan %s lacks its bucket, resource kind, call or command", ErrInvalid, plan.Action)
	case plan.Reversible && (b.UndoCall == "" || b.UndoCLI == ""):
		return fmt.Errorf("%w: bulk plan %s is said to be reversible but has no undo call", ErrInvalid, plan.Action)
	case plan.UndoOf == "" && b.Objects == 0 && len(b.Keys) == 0:
		return fmt.Errorf("plan %s: the selection holds no object: %w", plan.Action, ErrNoChange)
	}
	if b.BatchSize <= 0 || b.BatchSize > BulkBatchSize {
		b.BatchSize = BulkBatchSize
	}
	if b.Concurrency <= 0 {
		b.Concurrency = DefaultBulkConcurrency
	}
	b.Concurrency = min(b.Concurrency, MaxBulkConcurrency)
	if len(plan.CLI) == 0 {
		plan.CLI = []string{b.CLI}
	}
	for i := range b.Sample {
		o := &b.Sample[i]
		o.Before, o.After = compactState(stateOrNull(o.Before)), compactState(stateOrNull(o.After))
	}
	var before, after strings.Builder
	before.WriteString("{")
	after.WriteString("{")
	for i, o := range b.Sample {
		if i > 0 {
			before.WriteString(",")
			after.WriteString(",")
		}
		name, _ := json.Marshal("s3://" + b.Bucket + "/" + o.Key)
		before.Write(name)
		before.WriteString(":" + string(o.Before))
		after.Write(name)
		after.WriteString(":" + string(o.After))
	}
	before.WriteString("}")
	after.WriteString("}")
	plan.Before, plan.After = json.RawMessage(before.String()), json.RawMessage(after.String())
	plan.Diff = bulkDiff(*plan)
	return nil
}

// bulkDiff shows the selection and, for the objects read when planning,
// their state now and after.
func bulkDiff(plan Plan) string {
	b := plan.Bulk
	var out strings.Builder
	count := fmt.Sprintf("%d object(s)", b.Objects)
	if b.More {
		count = fmt.Sprintf("more than %d objects", b.Objects)
	}
	sel := "every object of bucket " + b.Bucket
	switch {
	case plan.UndoOf != "":
		sel = "the objects " + plan.UndoOf + " changed in bucket " + b.Bucket
	case len(b.Keys) > 0:
		sel = "the listed keys of bucket " + b.Bucket
	case b.Prefix != "":
		sel = fmt.Sprintf("every object of bucket %s under %q", b.Bucket, b.Prefix)
	}
	fmt.Fprintf(&out, "=== %s: %s (%s each; each object's state is read and journalled just before its call)\n", sel, count, b.Call)
	if len(b.Sample) == 0 {
		return out.String()
	}
	fmt.Fprintf(&out, "The first %d, as read now:\n", len(b.Sample))
	for _, o := range b.Sample {
		fmt.Fprintf(&out, "=== s3://%s/%s\n", b.Bucket, o.Key)
		if sameState(o.Before, o.After) {
			out.WriteString("  (already as planned: nothing will be sent)\n")
			continue
		}
		out.WriteString(lineDiff(prettyState(o.Before), prettyState(o.After)))
	}
	return out.String()
}

// shellWord quotes a word for a POSIX shell, like the commands the aws
// package prints.
var shellPlain = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

func shellWord(s string) string {
	if shellPlain.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ObjectCommand fills a bulk command template for one object.
func ObjectCommand(template, key string, state json.RawMessage) string {
	out := strings.ReplaceAll(template, "{key}", shellWord(key))
	if state != nil {
		out = strings.ReplaceAll(out, "{state}", shellWord(string(compactState(state))))
	}
	return out
}

// bulkWork is one run over a bulk change's objects: apply, resume or undo.
type bulkWork struct {
	s        *Service
	js       JournalStore
	ch       changer
	run      *ChangeRun
	bm       BulkMutator
	progress ChangeProgress
	// objects is every object's latest record, by key.
	objects map[string]*ObjectChange
	counts  BulkProgress
}

// task is an object to bring to its planned state: fresh (no states yet:
// read it and work out the target) or known (states from the journal).
type task struct {
	obj   ObjectChange
	fresh bool
	// attempted is true when a call for it may have gone out before.
	attempted bool
}

// runBulk carries out (or resumes, or undoes) a confirmed bulk change:
// first the objects the journal leaves open, then the rest of the
// selection, batch by batch; then it verifies.
func (s *Service) runBulk(ctx context.Context, js JournalStore, ch changer, run ChangeRun, progress ChangeProgress) (ChangeRun, error) {
	spec := run.Plan.Bulk
	w := &bulkWork{s: s, js: js, ch: ch, run: &run, progress: progress, objects: map[string]*ObjectChange{}}
	w.counts = BulkProgress{Change: run.Plan.ID, Total: spec.Objects}
	if run.Bulk == nil {
		run.Bulk = &BulkRun{}
	}
	if run.Plan.UndoOf == "" {
		bm, ok := ch.m.(BulkMutator)
		if !ok {
			return run, fmt.Errorf("%w: the connection cannot list objects for change %s", ErrInvalid, run.Plan.ID)
		}
		w.bm = bm
	}
	for _, o := range run.objects {
		w.objects[o.Key] = o
	}
	w.recount()
	batchNo := run.Bulk.Batches
	next := func() int { batchNo++; return batchNo }

	// The objects a crash, a failure or a cancellation left open.
	var open []task
	for _, o := range run.Bulk.Open {
		fresh := o.Before == nil && o.After == nil
		attempted := o.Outcome == OutcomeInDoubt || o.Outcome == OutcomeFailed
		open = append(open, task{obj: ObjectChange{Key: o.Key, Before: o.Before, After: o.After, Outcome: o.Outcome}, fresh: fresh, attempted: attempted})
	}
	for len(open) > 0 {
		n := min(len(open), spec.BatchSize)
		if err := w.batch(ctx, next(), open[:n]); err != nil {
			return w.finish(ctx, err)
		}
		open = open[n:]
	}

	// The rest of the selection, after the last key journaled.
	if !run.Bulk.Listed {
		var pending []task
		flush := func(all bool) error {
			for len(pending) >= spec.BatchSize || (all && len(pending) > 0) {
				n := min(len(pending), spec.BatchSize)
				if err := w.batch(ctx, next(), pending[:n]); err != nil {
					return err
				}
				pending = pending[n:]
			}
			return nil
		}
		add := func(keys []string) error {
			for _, k := range keys {
				if _, seen := w.objects[k]; seen {
					continue
				}
				pending = append(pending, task{obj: ObjectChange{Key: k}, fresh: true})
			}
			return flush(false)
		}
		var err error
		last := run.Bulk.Last
		switch {
		case run.Plan.UndoOf != "":
			err = w.undoSource(ctx, last, &pending, flush)
		case len(spec.Keys) > 0:
			i := sort.SearchStrings(spec.Keys, last)
			if last != "" && i < len(spec.Keys) && spec.Keys[i] == last {
				i++
			}
			if last == "" {
				i = 0
			}
			err = add(spec.Keys[i:])
		default:
			err = w.bm.ListKeys(ctx, spec.Bucket, spec.Prefix, last, add)
		}
		if err == nil {
			err = flush(true)
		}
		if err != nil {
			return w.finish(ctx, err)
		}
		if err := ctx.Err(); err != nil {
			return w.finish(ctx, err)
		}
		rec := JournalRecord{Change: run.Plan.ID, Kind: JournalListed, Step: batchNo}
		if err := s.journal(ctx, js, ch.inc.ID, rec, ""); err != nil {
			return w.finish(ctx, err)
		}
		run.Bulk.Listed = true
	}
	return w.finish(ctx, nil)
}

// undoSource feeds the objects the undone change applied, each to go
// back from its state after to its state before.
func (w *bulkWork) undoSource(ctx context.Context, last string, pending *[]task, flush func(bool) error) error {
	applied, err := w.s.objectsOf(ctx, w.ch.inc.ID, w.run.Plan.UndoOf, OutcomeApplied)
	if err != nil {
		return err
	}
	for _, o := range applied {
		if o.Key <= last && last != "" {
			continue
		}
		if _, seen := w.objects[o.Key]; seen {
			continue
		}
		*pending = append(*pending, task{obj: ObjectChange{Key: o.Key, Before: o.After, After: o.Before}})
		if err := flush(false); err != nil {
			return err
		}
	}
	return nil
}

// recount sets the progress counters from the objects.
func (w *bulkWork) recount() {
	c := &w.counts
	c.Done, c.Applied, c.Already, c.Gone, c.Failed, c.Conflict = 0, 0, 0, 0, 0, 0
	for _, o := range w.objects {
		switch o.Outcome {
		case OutcomeApplied:
			c.Applied++
		case OutcomeAlready:
			c.Already++
		case OutcomeGone:
			c.Gone++
		case OutcomeFailed:
			c.Failed++
		case OutcomeConflict:
			c.Conflict++
		}
		if finalOutcome(o.Outcome) {
			c.Done++
		}
	}
	c.Total = max(c.Total, len(w.objects))
}

// parallel runs fn for each index with at most n at once.
func parallel(n, count int, fn func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(n, count) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range count {
		next <- i
	}
	close(next)
	wg.Wait()
}

// errBatchFailed stops a run whose every call of a batch failed: the next
// batch would fail the same way (a missing permission, a lost network).
var errBatchFailed = errors.New("every call of the batch failed")

// batch reads the tasks' objects, journals the batch, sends its calls and
// journals their outcomes.
func (w *bulkWork) batch(ctx context.Context, n int, tasks []task) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	spec, m := w.run.Plan.Bulk, w.ch.m
	objs := make([]ObjectChange, len(tasks))
	parallel(spec.Concurrency, len(tasks), func(i int) {
		t := tasks[i]
		o := ObjectChange{Key: t.obj.Key, Before: t.obj.Before, After: t.obj.After}
		cur, err := m.ReadState(ctx, spec.ObjectResource(o.Key))
		switch {
		case err != nil:
			o.Outcome, o.Error = OutcomeFailed, "read before the call (nothing sent): "+err.Error()
		case string(compactState(stateOrNull(cur))) == stateAbsent:
			o.Outcome = OutcomeGone
		case t.fresh:
			target, terr := w.bm.TargetState(w.run.Plan.Action, *spec, cur)
			switch {
			case terr != nil:
				o.Outcome, o.Error = OutcomeFailed, "work out the planned state (nothing sent): "+terr.Error()
			case reached(spec.Resource, cur, target):
				o.Outcome, o.After = OutcomeAlready, compactState(target)
			default:
				o.Before, o.After = compactState(cur), compactState(target)
			}
		case reached(spec.Resource, cur, t.obj.After):
			o.Outcome = OutcomeAlready
			if t.attempted {
				// The call sent before the interruption took effect.
				o.Outcome = OutcomeApplied
			}
		case sameState(cur, t.obj.Before):
			// To send (again).
		default:
			o.Outcome, o.Error = OutcomeConflict, "changed by someone else since it was journalled (now "+string(compactState(cur))+"); nothing sent"
		}
		objs[i] = o
	})
	if err := ctx.Err(); err != nil {
		// Cancelled while reading: nothing of this batch is journalled or
		// sent; resuming reads these objects again.
		return err
	}
	id := w.run.Plan.ID
	rec := JournalRecord{Change: id, Kind: JournalBatch, Step: n, Objects: objs}
	if err := w.s.journal(ctx, w.js, w.ch.inc.ID, rec, ""); err != nil {
		return err
	}
	var send []int
	for i, o := range objs {
		oc := o
		if oc.Outcome == "" {
			oc.Outcome = OutcomeInDoubt
			send = append(send, i)
		}
		w.objects[oc.Key] = &oc
		if oc.Key > w.run.Bulk.Last {
			w.run.Bulk.Last = oc.Key
		}
	}
	w.run.Bulk.Batches = n
	results := make([]ObjectChange, len(send))
	parallel(spec.Concurrency, len(send), func(j int) {
		o := objs[send[j]]
		r := ObjectChange{Key: o.Key}
		if ctx.Err() != nil {
			r.Outcome = OutcomePending
		} else if err := m.WriteState(ctx, spec.ObjectResource(o.Key), o.After); err != nil {
			r.Outcome, r.Error = OutcomeFailed, err.Error()
		} else {
			r.Outcome = OutcomeApplied
		}
		results[j] = r
	})
	if len(send) > 0 {
		rec := JournalRecord{Change: id, Kind: JournalBatchResult, Step: n, Objects: results}
		if err := w.s.journal(ctx, w.js, w.ch.inc.ID, rec, ""); err != nil {
			return err
		}
	}
	failed := 0
	var firstErr string
	for _, r := range results {
		o := w.objects[r.Key]
		o.Outcome, o.Error = r.Outcome, r.Error
		if r.Outcome == OutcomeFailed {
			failed++
			if firstErr == "" {
				firstErr = r.Error
			}
		}
	}
	w.recount()
	w.counts.Batch = n
	if w.progress != nil {
		w.progress(w.counts)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(send) > 0 && failed == len(send) {
		return fmt.Errorf("%w (batch %d, %d calls): %s", errBatchFailed, n, failed, firstErr)
	}
	return nil
}

// finish records how a bulk run ended: a summary on the timeline, the
// states before as evidence once it is done, then the verification.
func (w *bulkWork) finish(ctx context.Context, cause error) (ChangeRun, error) {
	run, s := w.run, w.s
	t := &bulkTrack{objects: w.objects, batches: run.Bulk.Batches, last: run.Bulk.Last, listed: run.Bulk.Listed}
	run.Bulk = t.run()
	run.objects = w.objects
	b := run.Bulk
	id, spec := run.Plan.ID, run.Plan.Bulk
	counts := fmt.Sprintf("%d object(s) of bucket %s: %d applied, %d already so, %d gone, %d failed, %d conflicting, %d in doubt, %d not sent",
		b.Objects, spec.Bucket, b.Applied, b.Already, b.Gone, b.Failed, b.Conflict, b.InDoubt, b.Pending)
	open := len(b.Open) > 0 || !b.Listed
	if cause == nil && open {
		cause = fmt.Errorf("%d object(s) are not in their planned state", len(b.Open))
	}
	saveCtx := context.WithoutCancel(ctx)
	if cause != nil {
		run.Status = ChangeIncomplete
		why := cause.Error()
		if errors.Is(cause, context.Canceled) {
			why = "stopped at your request"
		}
		text := fmt.Sprintf("Change %s interrupted (%s) after %s. Resume re-reads the objects left open and continues after key %q.%s",
			id, why, counts, b.Last, openList(b.Open))
		if err := s.journal(saveCtx, w.js, w.ch.inc.ID, JournalRecord{Change: id, Kind: JournalNote, Outcome: "interrupted", Problems: problemLines(b.Open)}, text); err != nil {
			return *run, errors.Join(cause, err)
		}
		return *run, fmt.Errorf("change %s: %s: %w", id, counts, cause)
	}
	run.Status = ChangeDone
	var refs []string
	if b.Applied > 0 {
		ev, err := s.saveBulkStates(saveCtx, w.ch, run.Plan, w.objects)
		if err != nil {
			return *run, err
		}
		refs = append(refs, ev.ID)
	}
	text := fmt.Sprintf("Change %s carried out on %s. Each object's earlier state is in the journal%s. AWS CLI equivalent, per object: %s",
		id, counts, evidenceWords(refs), spec.CLI)
	if err := s.journal(saveCtx, w.js, w.ch.inc.ID, JournalRecord{Change: id, Kind: JournalNote, Outcome: "carried-out"}, text, refs...); err != nil {
		return *run, err
	}
	return s.verifyBulk(ctx, w.js, w.ch, *run)
}

func evidenceWords(refs []string) string {
	if len(refs) == 0 {
		return ""
	}
	return " and kept as evidence " + strings.Join(refs, ", ")
}

// problemLines lists open objects for a record, at most 100 of them.
func problemLines(open []ObjectChange) []string {
	var out []string
	for i, o := range open {
		if i == 100 {
			out = append(out, fmt.Sprintf("... and %d more", len(open)-100))
			break
		}
		line := o.Key + ": " + o.Outcome
		if o.Error != "" {
			line += " (" + o.Error + ")"
		}
		out = append(out, line)
	}
	return out
}

// openList names a few open objects for the timeline.
func openList(open []ObjectChange) string {
	if len(open) == 0 {
		return ""
	}
	lines := problemLines(open)
	if len(lines) > 10 {
		lines = append(lines[:10], fmt.Sprintf("... and %d more", len(open)-10))
	}
	return " Open: " + strings.Join(lines, "; ") + "."
}

// saveBulkStates keeps, as one evidence item, the state before of every
// object the change set: one JSON line per object.
func (s *Service) saveBulkStates(ctx context.Context, ch changer, plan Plan, objects map[string]*ObjectChange) (Evidence, error) {
	keys := make([]string, 0, len(objects))
	for k, o := range objects {
		if o.Outcome == OutcomeApplied {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		line, err := json.Marshal(struct {
			Key    string          `json:"key"`
			Before json.RawMessage `json:"before"`
		}{k, objects[k].Before})
		if err != nil {
			return Evidence{}, fmt.Errorf("change %s: encode the state of %s: %w", plan.ID, k, err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	content := []byte(b.String())
	ids, err := s.newEvidenceIDs(ctx, ch.inc.ID)
	if err != nil {
		return Evidence{}, err
	}
	ev := Evidence{
		ID: ids.next(content), Title: fmt.Sprintf("State before change %s of %d object(s): %s", plan.ID, len(keys), plan.Title),
		Kind: EvidenceSnapshot, MediaType: "application/x-ndjson", FileName: plan.ID + "-before.jsonl",
		Source:      Source{Account: plan.Account, Region: plan.Region, API: "re-read before " + plan.ID, Params: map[string]string{"change": plan.ID, "action": plan.Action, "bucket": plan.Bulk.Bucket}},
		CollectedBy: ch.id.ARN,
	}
	saved, err := s.AddEvidence(ctx, ch.inc.ID, ev, content)
	if err != nil {
		return Evidence{}, fmt.Errorf("change %s: save the objects' earlier states as evidence: %w", plan.ID, err)
	}
	return saved, nil
}

// saveBulkSample keeps, before the first call, the states read when
// planning and what the change will touch.
func (s *Service) saveBulkSample(ctx context.Context, ch changer, plan Plan) (Evidence, error) {
	doc := struct {
		Selection BulkSpec        `json:"selection"`
		Sample    json.RawMessage `json:"sampleBefore"`
	}{Selection: *plan.Bulk, Sample: plan.Before}
	doc.Selection.Sample = nil
	content, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return Evidence{}, fmt.Errorf("change %s: encode the selection: %w", plan.ID, err)
	}
	ids, err := s.newEvidenceIDs(ctx, ch.inc.ID)
	if err != nil {
		return Evidence{}, err
	}
	ev := Evidence{
		ID: ids.next(content), Title: fmt.Sprintf("Selection and sampled state before change %s: %s", plan.ID, plan.Title),
		Kind: EvidenceSnapshot, MediaType: "application/json", FileName: plan.ID + "-selection.json",
		Source:      Source{Account: plan.Account, Region: plan.Region, API: "plan of " + plan.ID, Params: map[string]string{"change": plan.ID, "action": plan.Action}},
		CollectedBy: ch.id.ARN,
	}
	saved, err := s.AddEvidence(ctx, ch.inc.ID, ev, append(content, '\n'))
	if err != nil {
		return Evidence{}, fmt.Errorf("change %s: save the selection as evidence (nothing was changed): %w", plan.ID, err)
	}
	return saved, nil
}

// verifyBulk re-reads every object the change applied or found already
// so, concurrently, and records whether each holds its planned state.
func (s *Service) verifyBulk(ctx context.Context, js JournalStore, ch changer, run ChangeRun) (ChangeRun, error) {
	spec := run.Plan.Bulk
	var objs []*ObjectChange
	for _, o := range run.objects {
		if (o.Outcome == OutcomeApplied || o.Outcome == OutcomeAlready) && o.After != nil {
			objs = append(objs, o)
		}
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	problems := make([]string, len(objs))
	states := make([]json.RawMessage, len(objs))
	var mu sync.Mutex
	var readErr error
	parallel(spec.Concurrency, len(objs), func(i int) {
		o := objs[i]
		cur, err := ch.m.ReadState(ctx, spec.ObjectResource(o.Key))
		states[i] = cur
		switch {
		case err != nil:
			mu.Lock()
			if readErr == nil {
				readErr = fmt.Errorf("change %s: verify s3://%s/%s: %w", run.Plan.ID, spec.Bucket, o.Key, err)
			}
			mu.Unlock()
		case string(compactState(stateOrNull(cur))) == stateAbsent:
			// Deleted since: nothing of it can be exposed.
		case !reached(spec.Resource, cur, o.After):
			problems[i] = fmt.Sprintf("s3://%s/%s is %s, planned %s", spec.Bucket, o.Key, compactState(cur), o.After)
		}
	})
	if readErr != nil {
		return run, readErr
	}
	problems = slices.DeleteFunc(problems, func(p string) bool { return p == "" })
	outcome := "holds"
	text := fmt.Sprintf("Change %s verified: re-reading the %d object(s) it set or found so shows every planned state in place (%s).", run.Plan.ID, len(objs), run.Plan.Title)
	if len(problems) > 0 {
		outcome = "differs"
		shown := problems
		if len(shown) > 10 {
			shown = append(slices.Clone(shown[:10]), fmt.Sprintf("... and %d more", len(problems)-10))
		}
		text = fmt.Sprintf("Change %s does NOT hold on re-reading for %d of %d object(s): %s", run.Plan.ID, len(problems), len(objs), strings.Join(shown, "; "))
	}
	waiting := 0
	if spec.Resource == ResourceObjectRestore {
		// Restores finish long after their calls: say how far they got.
		var more string
		more, waiting = archiveProgress(states)
		text += more
	}
	kept := problems
	if len(kept) > 100 {
		kept = append(slices.Clone(kept[:100]), fmt.Sprintf("... and %d more", len(problems)-100))
	}
	rec := JournalRecord{Change: run.Plan.ID, Kind: JournalVerified, Outcome: outcome, Problems: kept, Waiting: waiting}
	if err := s.journal(ctx, js, ch.inc.ID, rec, text); err != nil {
		return run, err
	}
	run.Verified, run.VerifiedAt, run.Problems, run.Waiting = len(problems) == 0, s.now(), kept, waiting
	if len(problems) > 0 {
		return run, fmt.Errorf("change %s applied but does not hold for %d object(s)", run.Plan.ID, len(problems))
	}
	return run, nil
}

// planBulkUndo plans the reverse of a finished bulk change: every object
// it applied goes back to its own saved state.
func (s *Service) planBulkUndo(ctx context.Context, js JournalStore, ch changer, run ChangeRun) (Plan, error) {
	orig := run.Plan
	applied, err := s.objectsOf(ctx, ch.inc.ID, orig.ID, OutcomeApplied)
	if err != nil {
		return Plan{}, err
	}
	if len(applied) == 0 {
		return Plan{}, fmt.Errorf("undo %s: every object already held its planned state, the change set none of them: %w", orig.ID, ErrNoChange)
	}
	b := orig.Bulk
	spec := BulkSpec{Bucket: b.Bucket, Objects: len(applied), Resource: b.Resource, Call: b.UndoCall, UndoCall: b.Call,
		CLI: b.UndoCLI, UndoCLI: b.CLI, Args: b.Args, From: b.From, Concurrency: b.Concurrency, BatchSize: b.BatchSize}
	var cli []string
	for i, o := range applied {
		if i < 5 {
			spec.Sample = append(spec.Sample, ObjectChange{Key: o.Key, Before: o.After, After: o.Before})
		}
		if i < 20 {
			cli = append(cli, ObjectCommand(b.UndoCLI, o.Key, o.Before))
		}
	}
	if len(applied) > 20 {
		cli = append(cli, fmt.Sprintf("# ... and %d more, one per object, each with the object's own saved state (evidence of %s)", len(applied)-20, orig.ID))
	}
	impact := []string{fmt.Sprintf("Restores the state each of the %d object(s) had before %s (saved in the journal): whatever %s stopped works again.", len(applied), orig.ID, orig.Title)}
	if orig.UndoNote != "" {
		impact = append(impact, orig.UndoNote)
	}
	plan := Plan{
		Action: orig.Action, Title: "Undo " + orig.ID + ": " + orig.Title, Target: orig.Target, Region: orig.Region,
		Params: orig.Params, Bulk: &spec, CLI: cli, Impact: impact, Broad: orig.Broad, ConfirmWord: orig.ConfirmWord,
		Reversible: true, UndoOf: orig.ID,
		Notes: []string{"An object whose state changed again since " + orig.ID + " is left alone and reported as a conflict."},
	}
	if err := s.savePlan(ctx, js, ch, &plan); err != nil {
		return Plan{}, err
	}
	return plan, nil
}

// bulkSummary is the object part of a bulk change's summary line.
func (r ChangeRun) bulkSummary() string {
	b := r.Bulk
	if b == nil {
		b = &BulkRun{}
	}
	total := r.Plan.Bulk.Objects
	if b.Objects > total {
		total = b.Objects
	}
	return fmt.Sprintf("%d of %d objects done", b.Applied+b.Already+b.Gone, total)
}

// bulkReport lists a bulk change's counts and open objects.
func (r ChangeRun) bulkReport(w *strings.Builder) {
	b := r.Bulk
	if b == nil {
		return
	}
	fmt.Fprintf(w, "  objects  %d applied, %d already so, %d gone, %d failed, %d conflicting, %d in doubt, %d not sent (%d batches", b.Applied, b.Already, b.Gone, b.Failed, b.Conflict, b.InDoubt, b.Pending, b.Batches)
	if b.Last != "" {
		fmt.Fprintf(w, ", last key %q", b.Last)
	}
	if !b.Listed && r.Status != ChangePlanned {
		w.WriteString(", selection not finished")
	}
	w.WriteString(")\n")
	for i, o := range b.Open {
		if i == 20 {
			fmt.Fprintf(w, "  ... and %d more open objects\n", len(b.Open)-20)
			break
		}
		fmt.Fprintf(w, "  object %-11s %s\n", o.Outcome, o.Key)
		if o.Error != "" {
			fmt.Fprintf(w, "         %s\n", o.Error)
		}
	}
}

// bulkTimelineStart is the confirmation's timeline text of a bulk change.
func bulkTimelineStart(plan Plan, actor, arn, ev string) string {
	b := plan.Bulk
	return fmt.Sprintf("Change %s confirmed by %s; applying %q to %s as %s, %d objects at a time, %d calls in flight. Selection saved as evidence %s. AWS CLI equivalent, per object: %s",
		plan.ID, actor, plan.Title, bulkCount(b), arn, b.BatchSize, b.Concurrency, ev, b.CLI)
}

func bulkCount(b *BulkSpec) string {
	if b.More {
		return fmt.Sprintf("more than %d objects", b.Objects)
	}
	return fmt.Sprintf("%d object(s)", b.Objects)
}
