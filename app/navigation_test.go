package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
)

// memStore is an in-memory app.Store for testing the use cases' logic. It
// copies every case through JSON, as a real store does, so a use case that
// keeps a pointer into a saved case cannot pass by accident, and it seals
// entries into a hash chain the way the bbolt store does.
type memStore struct {
	mu        sync.Mutex
	cases     map[string][]byte
	entries   map[string][]app.Entry
	heads     map[string]app.Head
	playbooks map[string][]byte
}

var _ app.Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{cases: map[string][]byte{}, entries: map[string][]app.Entry{},
		heads: map[string]app.Head{}, playbooks: map[string][]byte{}}
}

func (m *memStore) appendLocked(id string, entries []app.Entry) {
	h := m.heads[id]
	prev := h.Hash
	if prev == "" {
		prev = app.GenesisHash
	}
	for _, e := range entries {
		e.Seal(h.Seq+1, prev)
		h = app.Head{Seq: e.Seq, Hash: e.Hash}
		prev = e.Hash
		m.entries[id] = append(m.entries[id], e)
	}
	m.heads[id] = h
}

func (m *memStore) Create(_ context.Context, c app.Case, entries []app.Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.cases[c.Incident.ID]; ok {
		return fmt.Errorf("%w: incident %s already exists", app.ErrInvalid, c.Incident.ID)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	m.cases[c.Incident.ID] = b
	m.appendLocked(c.Incident.ID, entries)
	return nil
}

func (m *memStore) loadLocked(id string) (app.Case, error) {
	b, ok := m.cases[id]
	if !ok {
		return app.Case{}, fmt.Errorf("incident %s: %w", id, app.ErrNotFound)
	}
	var c app.Case
	err := json.Unmarshal(b, &c)
	return c, err
}

func (m *memStore) Load(_ context.Context, id string) (app.Case, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.loadLocked(id)
}

func (m *memStore) List(_ context.Context) ([]app.Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []app.Incident
	for _, id := range slices.Sorted(maps.Keys(m.cases)) {
		c, err := m.loadLocked(id)
		if err != nil {
			return nil, err
		}
		out = append(out, c.Incident)
	}
	return out, nil
}

func (m *memStore) Update(_ context.Context, id string, fn func(c *app.Case) ([]app.Entry, error)) (app.Case, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.loadLocked(id)
	if err != nil {
		return app.Case{}, err
	}
	entries, err := fn(&c)
	if err != nil {
		return app.Case{}, err // nothing is written: the transaction rolls back
	}
	b, err := json.Marshal(c)
	if err != nil {
		return app.Case{}, err
	}
	m.cases[id] = b
	m.appendLocked(id, entries)
	return m.loadLocked(id)
}

func (m *memStore) Timeline(_ context.Context, id string) ([]app.Entry, app.Head, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.cases[id]; !ok {
		return nil, app.Head{}, fmt.Errorf("incident %s: %w", id, app.ErrNotFound)
	}
	return slices.Clone(m.entries[id]), m.heads[id], nil
}

func (m *memStore) SavePlaybook(_ context.Context, sha string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.playbooks[sha] = slices.Clone(data)
	return nil
}

func (m *memStore) Playbooks(_ context.Context) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.playbooks), nil
}

func builtin(t testing.TB) *app.Playbook {
	t.Helper()
	pb, err := app.ParsePlaybook("playbook.yaml", assets.Playbook)
	require.NoError(t, err)
	return pb
}

// fixture is a service over the built-in playbook with a clock that ticks
// one second per reading, so timeline entries are ordered and reproducible.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	svc   *app.Service
	store *memStore
	pb    *app.Playbook
	c     app.Case
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pb := builtin(t)
	st := newMemStore()
	svc := app.NewService(st, pb, "tester")
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	svc.SetClock(func() time.Time { now = now.Add(time.Second); return now })
	f := &fixture{t: t, ctx: context.Background(), svc: svc, store: st, pb: pb}
	c, err := svc.Create(f.ctx, app.NewIncident{Title: "Public bucket reported by a researcher", Severity: app.SeverityP2, Buckets: []string{"examplecorp-exports"}})
	require.NoError(t, err)
	f.c = c
	return f
}

func (f *fixture) next() app.Next {
	f.t.Helper()
	n, err := f.svc.NextStep(f.c)
	require.NoError(f.t, err)
	return n
}

func (f *fixture) done(ids ...string) {
	f.t.Helper()
	for _, id := range ids {
		c, err := f.svc.SetStep(f.ctx, f.c.Incident.ID, id, app.StepDone, "")
		require.NoError(f.t, err, "step %s", id)
		f.c = c
	}
}

func (f *fixture) choose(id string, options ...string) {
	f.t.Helper()
	c, err := f.svc.Choose(f.ctx, f.c.Incident.ID, id, options)
	require.NoError(f.t, err, "choose at %s", id)
	f.c = c
}

func (f *fixture) returnFromJump() {
	f.t.Helper()
	c, err := f.svc.ReturnFromJump(f.ctx, f.c.Incident.ID)
	require.NoError(f.t, err)
	f.c = c
}

// walk follows "what's next" and expects exactly the steps in want, in that
// order: it marks each done, or answers its question from answers.
func (f *fixture) walk(answers map[string][]string, want ...string) {
	f.t.Helper()
	for _, id := range want {
		n := f.next()
		require.NotNil(f.t, n.Step, "expected step %s next, got: %s", id, n.Text)
		require.Equal(f.t, id, n.Step.ID, "next step (%s)", n.Text)
		if n.Step.Decision != nil {
			opts, ok := answers[id]
			require.True(f.t, ok, "step %s asks %q and the test gave no answer", id, n.Step.Decision.Question)
			f.choose(id, opts...)
		} else {
			f.done(id)
		}
	}
}

// The central route of the playbook: buckets known at step 1.3, so Part 2
// comes first as a detour, then back to 1.5; at 1.5 the buckets are ours,
// Part 2 is already resolved, and the second detour returns at once to 1.7.
func TestDetourThroughPart2AndBack(t *testing.T) {
	f := newFixture(t)
	n := f.next()
	require.NotNil(t, n.Step)
	assert.Equal(t, "1.1", n.Step.ID)

	f.walk(map[string][]string{"1.3": {"yes"}}, "1.1", "1.2.1", "1.2.2", "1.2.3", "1.2.4", "1.3")
	assert.Equal(t, []app.Jump{{FromStep: "1.3", To: "2", Return: "1.5"}}, f.c.Incident.Jumps)
	assert.Equal(t, 2, f.c.Incident.CurrentPart)

	// Inside the detour the first thing is Part 2's own question.
	n = f.next()
	require.NotNil(t, n.Step)
	assert.Equal(t, "2", n.Step.ID)
	assert.Nil(t, n.Return)
	assert.Contains(t, n.Text, "detour from step 1.3")
	assert.Contains(t, n.Text, "return to step 1.5")

	// Leaked keys plus a public ACL: the bucket policy step 2.3 is the only
	// one both vectors rule out. The question at 2.1.2.1 says revocation
	// was enough, which rules 2.1.2.2 out.
	f.walk(map[string][]string{"2": {"credentials", "public"}, "2.1.2.1": {"no"}},
		"2", "2.1.1", "2.1.2.1", "2.1.2.3.1", "2.1.2.3.2", "2.2", "2.4.1", "2.4.2", "2.4.3")
	// Answering Part 2's question starts the part; it must not finish it, or
	// every step under it would be skipped.
	assert.Equal(t, app.StepDoing, f.c.Step("2").Status)
	assert.Equal(t, []string{"credentials", "public"}, f.c.Step("2").Choices)
	assert.Equal(t, app.StepDone, f.c.Step("2.1.2.1").Status, "a leaf question is done once answered")

	n = f.next()
	assert.Nil(t, n.Step)
	assert.False(t, n.Done)
	require.NotNil(t, n.Return)
	assert.Equal(t, app.Jump{FromStep: "1.3", To: "2", Return: "1.5"}, *n.Return)
	assert.Contains(t, n.Text, "return to step 1.5")

	f.returnFromJump()
	assert.Empty(t, f.c.Incident.Jumps)
	assert.Equal(t, 1, f.c.Incident.CurrentPart)
	n = f.next()
	require.NotNil(t, n.Step)
	assert.Equal(t, "1.5", n.Step.ID, "1.4 was ruled out by answering yes at 1.3")

	_, err := f.svc.ReturnFromJump(f.ctx, f.c.Incident.ID)
	assert.ErrorIs(t, err, app.ErrInvalid, "no detour is pending")

	// 1.5 yes: another detour into Part 2, which is already resolved.
	f.choose("1.5", "yes")
	assert.Equal(t, []app.Jump{{FromStep: "1.5", To: "2", Return: "1.7"}}, f.c.Incident.Jumps)
	n = f.next()
	assert.Nil(t, n.Step)
	require.NotNil(t, n.Return)
	assert.Equal(t, "1.7", n.Return.Return)

	f.returnFromJump()
	n = f.next()
	require.NotNil(t, n.Step)
	assert.Equal(t, "1.7", n.Step.ID, "1.6 is for buckets someone else controls")

	// The timeline holds every answer and both detours, and its chain holds.
	entries, err := f.svc.Timeline(f.ctx, f.c.Incident.ID)
	require.NoError(t, err)
	kinds := map[app.Kind]int{}
	for _, e := range entries {
		kinds[e.Kind]++
	}
	assert.Equal(t, 1, kinds[app.KindCreated])
	assert.Equal(t, 4, kinds[app.KindDecision], "1.3, 2, 2.1.2.1 and 1.5")
	assert.Equal(t, 4, kinds[app.KindJump], "two detours and two returns")
	assert.Equal(t, 12, kinds[app.KindStep], "five steps marked done in Part 1, seven in Part 2")
	var partTwo []string
	for _, e := range entries {
		if e.Kind == app.KindDecision && slices.Contains(e.Refs, "2") {
			partTwo = append(partTwo, e.Text)
		}
	}
	require.Len(t, partTwo, 1)
	assert.Contains(t, partTwo[0], "Compromised credentials")
	assert.Contains(t, partTwo[0], "Public (anonymous) access")
	var jumps []string
	for _, e := range entries {
		if e.Kind == app.KindJump {
			jumps = append(jumps, e.Text)
		}
	}
	assert.Contains(t, jumps[0], "Detour from step 1.3 to Part 2")
	assert.Contains(t, jumps[1], "Returned from Part 2")
	assert.Contains(t, jumps[1], "to step 1.5")
	assert.Contains(t, jumps[3], "to step 1.7")

	count, err := f.svc.Verify(f.ctx, f.c.Incident.ID)
	require.NoError(t, err)
	assert.Equal(t, len(entries), count)
	stored, head, err := f.store.Timeline(f.ctx, f.c.Incident.ID)
	require.NoError(t, err)
	require.NoError(t, app.VerifyChain(stored, head))
	stored[3].Text = "edited"
	assert.ErrorIs(t, app.VerifyChain(stored, head), app.ErrChainBroken, "the check can fail")
}

// Answering a detour question again replaces the pending detour.
func TestChangingTheAnswerDropsThePendingDetour(t *testing.T) {
	f := newFixture(t)
	f.choose("1.3", "yes")
	require.Len(t, f.c.Incident.Jumps, 1)
	f.choose("1.3", "no")
	assert.Empty(t, f.c.Incident.Jumps)
	f.done("1.1", "1.2")
	n := f.next()
	require.NotNil(t, n.Step)
	assert.Equal(t, "1.4", n.Step.ID, "with the buckets unknown, finding them comes next")
}

func TestFindingTheBuckets(t *testing.T) {
	tests := []struct {
		answer   string
		first    string
		excluded string
	}{
		{"yes", "1.4.1.1", "1.4.2"},
		{"no", "1.4.2.1", "1.4.1"},
	}
	for _, tt := range tests {
		t.Run(tt.answer, func(t *testing.T) {
			f := newFixture(t)
			f.walk(map[string][]string{"1.3": {"no"}, "1.4": {tt.answer}}, "1.1", "1.2.1", "1.2.2", "1.2.3", "1.2.4", "1.3", "1.4")
			assert.Empty(t, f.c.Incident.Jumps, "1.3 no is not a detour")
			assert.Equal(t, app.StepDoing, f.c.Step("1.4").Status)
			n := f.next()
			require.NotNil(t, n.Step)
			assert.Equal(t, tt.first, n.Step.ID)
			ex := f.pb.Excluded(f.c)
			assert.Equal(t, []string{tt.excluded}, slices.Sorted(maps.Keys(ex)))
			assert.False(t, f.pb.Applies(f.c, tt.excluded+".2", ex), "sub-steps go with their parent")
		})
	}
}

// 1.5 no: the buckets belong to someone else, so the next step is 1.6, the
// handoff to their owner, and no detour is pending.
func TestBucketsOfSomeoneElseHandOff(t *testing.T) {
	f := newFixture(t)
	f.walk(map[string][]string{"1.3": {"no"}, "1.4": {"yes"}, "1.5": {"no"}},
		"1.1", "1.2.1", "1.2.2", "1.2.3", "1.2.4", "1.3", "1.4", "1.4.1.1", "1.4.1.2", "1.4.1.3", "1.4.1.4", "1.5")
	assert.Empty(t, f.c.Incident.Jumps)
	n := f.next()
	require.NotNil(t, n.Step)
	assert.Equal(t, "1.6", n.Step.ID)
	assert.NotEmpty(t, n.Step.Handoff)
	assert.Contains(t, n.Step.Actions, "doc.request-for-action")
	f.walk(nil, "1.6", "1.7")
	assert.Equal(t, 1, f.c.Incident.CurrentPart)
}

func TestVectorsRuleOutSteps(t *testing.T) {
	pb := builtin(t)
	tests := []struct {
		name     string
		choices  []string
		excluded []string
		applies  int // applicable leaf steps in Part 2
	}{
		{"credentials", []string{"credentials"}, []string{"2.3", "2.4"}, 6},
		{"policy", []string{"policy"}, []string{"2.1", "2.2", "2.4"}, 3},
		{"public", []string{"public"}, []string{"2.1", "2.2", "2.3"}, 3},
		{"credentials and policy", []string{"credentials", "policy"}, []string{"2.4"}, 9},
		{"credentials and public", []string{"credentials", "public"}, []string{"2.3"}, 9},
		{"policy and public", []string{"policy", "public"}, []string{"2.1", "2.2"}, 6},
		{"all three", []string{"credentials", "policy", "public"}, nil, 12},
		{"unanswered", nil, nil, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := app.Case{Steps: map[string]app.StepState{"2": {StepID: "2", Status: app.StepDoing, Choices: tt.choices}}}
			ex := pb.Excluded(c)
			var got []string
			for id := range ex {
				got = append(got, id)
			}
			slices.Sort(got)
			assert.Equal(t, tt.excluded, got)
			for _, id := range []string{"2.1.2.3.1", "2.2", "2.3.1.1", "2.4.3"} {
				top := id[:3]
				assert.Equal(t, !slices.Contains(tt.excluded, top), pb.Applies(c, id, ex), "step %s", id)
			}
			resolved, total := pb.Progress(c, "2")
			assert.Equal(t, 0, resolved)
			assert.Equal(t, tt.applies, total)
		})
	}
}

// Step 4.6: activity back to normal rules out the two follow-ups and the
// work moves to Part 5; otherwise 4.6.1 comes next.
func TestRecoveryComparison(t *testing.T) {
	tests := []struct {
		answer   string
		next     string
		progress [2]int
	}{
		{"yes", "5.1", [2]int{5, 5}},
		{"no", "4.6.1", [2]int{5, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.answer, func(t *testing.T) {
			f := newFixture(t)
			f.done("1")
			f.choose("2", "public")
			f.done("2", "3")
			f.walk(map[string][]string{"4.6": {tt.answer}}, "4.1", "4.2", "4.3", "4.4", "4.5", "4.6")
			assert.Empty(t, f.c.Incident.Jumps, "4.6 sends you on without a return")
			n := f.next()
			require.NotNil(t, n.Step)
			assert.Equal(t, tt.next, n.Step.ID)
			r, total := f.pb.Progress(f.c, "4")
			assert.Equal(t, tt.progress, [2]int{r, total})
		})
	}
}

func TestProgress(t *testing.T) {
	pb := builtin(t)
	c := app.Case{Steps: map[string]app.StepState{}}
	// Leaf steps per part, counted by hand from the template.
	want := map[string]int{"1": 36, "2": 12, "3": 22, "4": 7, "5": 10}
	for part, n := range want {
		r, total := pb.Progress(c, part)
		assert.Equal(t, [2]int{0, n}, [2]int{r, total}, "Part %s", part)
	}

	c.Steps["1.3"] = app.StepState{StepID: "1.3", Status: app.StepDone, Choices: []string{"yes"}}
	r, total := pb.Progress(c, "1")
	assert.Equal(t, [2]int{1, 28}, [2]int{r, total}, "1.4's eight leaves are ruled out")
	r, total = pb.Progress(c, "1.4")
	assert.Equal(t, [2]int{0, 0}, [2]int{r, total})

	c.Steps["1.8"] = app.StepState{StepID: "1.8", Status: app.StepNA}
	c.Steps["1.14.2"] = app.StepState{StepID: "1.14.2", Status: app.StepSkipped, Note: "no data events"}
	c.Steps["1.14.3"] = app.StepState{StepID: "1.14.3", Status: app.StepDoing}
	r, total = pb.Progress(c, "1")
	assert.Equal(t, [2]int{6, 28}, [2]int{r, total}, "a resolved parent resolves its four leaves; doing is not resolved")
	r, total = pb.Progress(c, "1.14")
	assert.Equal(t, [2]int{1, 6}, [2]int{r, total})

	r, total = pb.Progress(c, "no-such-step")
	assert.Equal(t, [2]int{0, 0}, [2]int{r, total})
}

func TestNextStepWhenEverythingIsResolved(t *testing.T) {
	f := newFixture(t)
	f.done("1")
	f.choose("2", "policy")
	f.done("2", "3", "4", "5")
	n := f.next()
	assert.True(t, n.Done)
	assert.Nil(t, n.Step)
	assert.Nil(t, n.Return)
}

// lineOf returns the 1-based line of the first line containing marker.
func lineOf(t *testing.T, src, marker string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, marker) {
			return i + 1
		}
	}
	t.Fatalf("marker %q not in source", marker)
	return 0
}

const validSmall = `id: small
title: Small
version: "1"
actions:
  - id: look
    title: Look
parts:
  - id: "1"
    title: One
    steps:
      - id: "1.1"
        title: First
        actions: [look]
      - id: "1.2"
        title: Second
        decision:
          question: Go on?
          options:
            - id: "yes"
              label: Yes
              goto: "2"
              return: "1.3"
            - id: "no"
              label: No
              excludes: ["1.3"]
      - id: "1.3"
        title: Third
  - id: "2"
    title: Two
    steps:
      - id: "2.1"
        title: Only
`

func TestValidationErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		marker string // the line the error must point at
		msg    string
	}{
		{"duplicate id", strings.Replace(validSmall, `      - id: "1.3"`, `      - id: "1.1" # dup`, 1),
			`"1.1" # dup`, `duplicate step id "1.1" (first used at line 11)`},
		{"unknown goto", strings.Replace(validSmall, `goto: "2"`, `goto: "9"`, 1),
			`- id: "yes"`, `goto target "9" is not a step`},
		{"unknown return", strings.Replace(validSmall, `return: "1.3"`, `return: "1.9"`, 1),
			`- id: "yes"`, `return target "1.9" is not a step`},
		{"return without goto", strings.Replace(validSmall, `              goto: "2"`+"\n", "", 1),
			`- id: "yes"`, `return "1.3" needs a goto`},
		{"unknown action", strings.Replace(validSmall, `actions: [look]`, `actions: [lok]`, 1),
			`- id: "1.1"`, `offers action "lok", which the actions list does not define`},
		{"unknown exclusion", strings.Replace(validSmall, `excludes: ["1.3"]`, `excludes: ["7"]`, 1),
			`- id: "no"`, `excludes "7", which is not a step`},
		{"unknown field", strings.Replace(validSmall, "title: Third", "title: Third\n        guidence: typo here", 1),
			"guidence:", "field guidence not found"},
		{"unreachable step", strings.Replace(validSmall, `              return: "1.3"`, `              return: "2"`+"\n"+`              excludes: ["1.3"]`, 1),
			`- id: "1.3"`, `step "1.3" is unreachable`},
		{"missing title", strings.Replace(validSmall, "        title: Only\n", "", 1),
			`- id: "2.1"`, `step "2.1" has no title`},
		{"one option", strings.Replace(validSmall, "            - id: \"no\"\n              label: No\n              excludes: [\"1.3\"]\n", "", 1),
			`- id: "1.2"`, "fewer than two options"},
		{"null step", strings.Replace(validSmall, "      - id: \"2.1\"\n        title: Only\n", "      - ~ # null\n", 1),
			"~ # null", `entry 1 of the steps of "2" is empty`},
		{"null step through an alias", "id: x\nversion: \"1\"\nparts:\n  - id: \"1\"\n    title: One\n    steps: &kids\n      - id: \"1.1\"\n        title: First\n      - ~ # null\n  - id: \"2\"\n    title: Two\n    steps: *kids\n",
			"~ # null", `entry 2 of the steps of "2" is empty`},
		{"malformed yaml", strings.Replace(validSmall, "title: Second", "title: Second: oops", 1),
			"Second: oops", "mapping values are not allowed"},
		// For a block that breaks off, yaml.v3 reports where the enclosing
		// block starts (here the parts list), not the offending line.
		{"bad indentation", strings.Replace(validSmall, "    title: Two", "   title: Two", 1),
			"parts:", "did not find expected '-' indicator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pb, err := app.ParsePlaybook("small.yaml", []byte(tt.src))
			require.Error(t, err)
			assert.Nil(t, pb)
			assert.ErrorIs(t, err, app.ErrInvalid)
			var pe app.PlaybookErrors
			require.True(t, errors.As(err, &pe))
			line := lineOf(t, tt.src, tt.marker)
			found := false
			for _, e := range pe {
				if e.Line == line && strings.Contains(e.Msg, tt.msg) {
					found = true
				}
			}
			assert.True(t, found, "want an error at line %d mentioning %q, got:\n%v", line, tt.msg, err)
			assert.Contains(t, err.Error(), fmt.Sprintf("small.yaml:%d:", line))
		})
	}

	t.Run("valid", func(t *testing.T) {
		pb, err := app.ParsePlaybook("small.yaml", []byte(validSmall))
		require.NoError(t, err)
		s, ok := pb.Step("1.3")
		require.True(t, ok)
		assert.Equal(t, lineOf(t, validSmall, `- id: "1.3"`), s.Line)
		assert.Equal(t, 9, s.Column)
	})

	t.Run("every problem at once", func(t *testing.T) {
		src := strings.Replace(validSmall, `goto: "2"`, `goto: "9"`, 1)
		src = strings.Replace(src, `actions: [look]`, `actions: [lok]`, 1)
		_, err := app.ParsePlaybook("small.yaml", []byte(src))
		var pe app.PlaybookErrors
		require.True(t, errors.As(err, &pe))
		require.Len(t, pe, 2)
		assert.Less(t, pe[0].Line, pe[1].Line, "errors come in file order")
	})

	t.Run("empty", func(t *testing.T) {
		_, err := app.ParsePlaybook("empty.yaml", nil)
		require.ErrorIs(t, err, app.ErrInvalid)
		assert.Contains(t, err.Error(), "empty")
	})
}

// A question step that the responder skips (with a reason) or marks not
// applicable is settled: "what's next" moves on instead of asking again.
func TestSkippedQuestionIsSettled(t *testing.T) {
	pb := builtin(t)
	c := app.Case{Incident: app.Incident{ID: "X"}, Steps: map[string]app.StepState{}}
	for _, s := range pb.Steps() {
		if s.ID == "1.3" {
			break
		}
		if len(s.Steps) == 0 {
			c.Steps[s.ID] = app.StepState{StepID: s.ID, Status: app.StepDone}
		}
	}
	require.Equal(t, "1.3", pb.NextStep(c).Step.ID)
	c.Steps["1.3"] = app.StepState{StepID: "1.3", Status: app.StepDone}
	require.Equal(t, "1.3", pb.NextStep(c).Step.ID, "done without an answer still asks")
	c.Steps["1.3"] = app.StepState{StepID: "1.3", Status: app.StepSkipped, Note: "bucket given in the ticket"}
	next := pb.NextStep(c)
	require.NotNil(t, next.Step)
	require.NotEqual(t, "1.3", next.Step.ID)
}
