package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Store keeps incidents, their step states and their timelines. Update runs
// fn and appends the entries it returns in one transaction, so a step change
// and the timeline entry that records it are never separated by a crash.
type Store interface {
	Create(ctx context.Context, c Case, entries []Entry) error
	Load(ctx context.Context, id string) (Case, error)
	List(ctx context.Context) ([]Incident, error)
	Update(ctx context.Context, id string, fn func(c *Case) ([]Entry, error)) (Case, error)
	Timeline(ctx context.Context, id string) ([]Entry, Head, error)
	// SavePlaybook keeps a custom playbook's bytes under its SHA-256, so an
	// incident can always reopen the exact playbook it followed.
	SavePlaybook(ctx context.Context, sha string, data []byte) error
	Playbooks(ctx context.Context) (map[string][]byte, error)
}

// Service is the use cases of the incident workspace. Adapters (GUI, CLI)
// call it; it talks to the store and the playbook.
type Service struct {
	store   Store
	builtin *Playbook
	// playbooks are the loaded playbooks by SHA-256. Imports write it from
	// background jobs while the UI goroutine lists it: only through
	// playbook, addPlaybook and Playbooks.
	playbooksMu sync.RWMutex
	playbooks   map[string]*Playbook
	now         func() time.Time
	actor       string
	// conn holds the open cloud connections (cloud.go).
	conn connections
}

// NewService wires the store and the built-in playbook. actor names the
// person at the keyboard in every timeline entry.
func NewService(st Store, builtin *Playbook, actor string) *Service {
	return &Service{
		store:     st,
		builtin:   builtin,
		playbooks: map[string]*Playbook{builtin.SHA256: builtin},
		now:       func() time.Time { return time.Now().UTC() },
		actor:     actor,
	}
}

// SetClock replaces the clock, for tests and deterministic reports.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Actor is the name written into timeline entries.
func (s *Service) Actor() string { return s.actor }

// Builtin returns the playbook that ships with the app.
func (s *Service) Builtin() *Playbook { return s.builtin }

// LoadCustomPlaybooks makes every playbook saved in the store available.
// A stored playbook that no longer parses is reported, not fatal.
func (s *Service) LoadCustomPlaybooks(ctx context.Context) error {
	raw, err := s.store.Playbooks(ctx)
	if err != nil {
		return fmt.Errorf("load saved playbooks: %w", err)
	}
	var bad []string
	for sha, data := range raw {
		pb, err := ParsePlaybook("saved playbook "+sha[:12], data)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		s.addPlaybook(pb)
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(bad, "\n"))
	}
	return nil
}

// ImportPlaybook validates a custom playbook and saves it so incidents can
// follow it.
func (s *Service) ImportPlaybook(ctx context.Context, name string, data []byte) (*Playbook, error) {
	pb, err := ParsePlaybook(name, data)
	if err != nil {
		return nil, err
	}
	if err := s.store.SavePlaybook(ctx, pb.SHA256, data); err != nil {
		return nil, fmt.Errorf("save playbook %s: %w", name, err)
	}
	s.addPlaybook(pb)
	return pb, nil
}

// playbook returns the loaded playbook with the given SHA-256.
func (s *Service) playbook(sha string) (*Playbook, bool) {
	s.playbooksMu.RLock()
	defer s.playbooksMu.RUnlock()
	pb, ok := s.playbooks[sha]
	return pb, ok
}

// addPlaybook makes a parsed playbook available to incidents.
func (s *Service) addPlaybook(pb *Playbook) {
	s.playbooksMu.Lock()
	defer s.playbooksMu.Unlock()
	s.playbooks[pb.SHA256] = pb
}

// Playbooks lists the playbooks available for new incidents, built-in first.
func (s *Service) Playbooks() []*Playbook {
	out := []*Playbook{s.builtin}
	s.playbooksMu.RLock()
	defer s.playbooksMu.RUnlock()
	for sha, pb := range s.playbooks {
		if sha != s.builtin.SHA256 {
			out = append(out, pb)
		}
	}
	slices.SortStableFunc(out[1:], func(a, b *Playbook) int { return strings.Compare(a.ID+a.Version, b.ID+b.Version) })
	return out
}

// PlaybookFor returns the exact playbook an incident follows.
func (s *Service) PlaybookFor(inc Incident) (*Playbook, error) {
	if pb, ok := s.playbook(inc.Playbook.SHA256); ok {
		return pb, nil
	}
	return nil, fmt.Errorf("%w: incident %s follows playbook %s version %s (sha256 %s), which is not loaded: import that playbook file again",
		ErrNotFound, inc.ID, inc.Playbook.ID, inc.Playbook.Version, inc.Playbook.SHA256)
}

// NewIncident is what the new-incident form and `incident new` collect.
type NewIncident struct {
	Title          string
	Ticket         string
	Severity       Severity
	Classification string
	Exercise       bool
	Accounts       []string
	Buckets        []string
	Principals     []string
	Application    string
	TimeZone       string
	// Playbook is the SHA-256 of the playbook to follow; empty for built-in.
	Playbook string
	// DetectedAt is when the possible access was noticed, if earlier than now.
	DetectedAt time.Time
}

// newID returns a readable, sortable id that does not collide across
// machines (bundles are imported elsewhere): INC-20261126-7K3QX9.
func newID(now time.Time) string {
	const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "INC-" + now.Format("20060102") + "-" + string(b[:])
}

// changes collects what an edit changed, as "field: old → new" lines for
// the timeline; text and list apply a new value only when it differs.
type changes []string

func (c *changes) text(name string, dst *string, v string) {
	v = strings.TrimSpace(v)
	if *dst != v {
		*c = append(*c, fmt.Sprintf("%s: %q → %q", name, *dst, v))
		*dst = v
	}
}

func (c *changes) list(name string, dst *[]string, v []string) {
	v = cleanList(v)
	if !slices.Equal(*dst, v) {
		*c = append(*c, fmt.Sprintf("%s: %s → %s", name, strings.Join(*dst, ", "), strings.Join(v, ", ")))
		*dst = v
	}
}

// names returns the changed fields' names, for long texts whose old and new
// values do not belong in a timeline line.
func (c changes) names() []string {
	out := make([]string, len(c))
	for i, line := range c {
		out[i] = line[:strings.Index(line, ":")]
	}
	return out
}

// cleanList trims, drops empties and duplicates, keeping order.
func cleanList(in []string) []string {
	var out []string
	for _, v := range in {
		v = strings.TrimSpace(v)
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Create opens a new incident and records its creation on the timeline.
func (s *Service) Create(ctx context.Context, n NewIncident) (Case, error) {
	title := strings.TrimSpace(n.Title)
	if title == "" {
		return Case{}, fmt.Errorf("%w: an incident needs a title", ErrInvalid)
	}
	sev, err := ParseSeverity(string(n.Severity))
	if err != nil {
		return Case{}, err
	}
	if n.TimeZone != "" {
		if _, err := time.LoadLocation(n.TimeZone); err != nil {
			return Case{}, fmt.Errorf("%w: time zone %q is not known on this machine", ErrInvalid, n.TimeZone)
		}
	}
	pb := s.builtin
	if n.Playbook != "" {
		var ok bool
		if pb, ok = s.playbook(n.Playbook); !ok {
			return Case{}, fmt.Errorf("%w: playbook %s", ErrNotFound, n.Playbook)
		}
	}
	now := s.now()
	inc := Incident{
		ID: newID(now), Title: title, Ticket: strings.TrimSpace(n.Ticket), Severity: sev,
		Classification: strings.TrimSpace(n.Classification), Status: StatusOpen, CurrentPart: 1,
		Exercise: n.Exercise, Accounts: cleanList(n.Accounts), Buckets: cleanList(n.Buckets),
		Principals: cleanList(n.Principals), Application: strings.TrimSpace(n.Application),
		TimeZone: n.TimeZone, Playbook: pb.Ref(), CreatedAt: now, UpdatedAt: now,
		Times: KeyTimes{Detected: now, Reported: now},
	}
	if !n.DetectedAt.IsZero() {
		inc.Times.Detected = n.DetectedAt.UTC()
	}
	c := Case{Incident: inc, Steps: map[string]StepState{}}
	kind := "incident"
	if inc.Exercise {
		kind = "exercise incident"
	}
	text := fmt.Sprintf("Opened %s %q, severity %s, following playbook %s version %s (sha256 %s)", kind, title, sev, pb.ID, pb.Version, pb.SHA256)
	entries := []Entry{s.entry(KindCreated, text, now)}
	if !n.DetectedAt.IsZero() {
		entries = append(entries, s.entry(KindNote, "Possible unintended access detected", n.DetectedAt))
	}
	if err := CheckIncident(c); err != nil {
		return Case{}, err
	}
	sealOnto(entries, CaseSeals(c))
	if err := s.store.Create(ctx, c, entries); err != nil {
		return Case{}, fmt.Errorf("create incident: %w", err)
	}
	return c, nil
}

func (s *Service) entry(kind Kind, text string, eventTime time.Time, refs ...string) Entry {
	now := s.now()
	if eventTime.IsZero() {
		eventTime = now
	}
	return Entry{EventTime: eventTime.UTC(), RecordedAt: now, Actor: s.actor, Kind: kind, Text: text, Refs: refs}
}

// List returns every incident, most recently updated first.
func (s *Service) List(ctx context.Context) ([]Incident, error) {
	incs, err := s.store.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	slices.SortStableFunc(incs, func(a, b Incident) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	return incs, nil
}

// Load returns one incident with its steps.
func (s *Service) Load(ctx context.Context, id string) (Case, error) {
	c, err := s.store.Load(ctx, id)
	if err != nil {
		return Case{}, fmt.Errorf("load incident %s: %w", id, err)
	}
	return c, nil
}

// update wraps store.Update with the playbook lookup and the updated time.
func (s *Service) update(ctx context.Context, id string, fn func(c *Case, pb *Playbook) ([]Entry, error)) (Case, error) {
	c, err := s.store.Update(ctx, id, func(c *Case) ([]Entry, error) {
		pb, err := s.PlaybookFor(c.Incident)
		if err != nil {
			return nil, err
		}
		if c.Steps == nil {
			c.Steps = map[string]StepState{}
		}
		before := CaseSeals(*c)
		entries, err := fn(c, pb)
		if err != nil {
			return nil, err
		}
		c.Incident.UpdatedAt = s.now()
		if n := pb.NextStep(*c); n.Step != nil {
			c.Incident.CurrentPart = pb.PartNumber(n.Step.ID)
		}
		// Every change of a field or step is sealed by the entry that
		// records it; a change nothing records would be indistinguishable
		// from an edit of the file.
		changed := changedSeals(before, CaseSeals(*c))
		if len(changed) > 0 && len(entries) == 0 {
			return nil, fmt.Errorf("%w: %s changed without a timeline entry", ErrInvalid, strings.Join(slices.Sorted(maps.Keys(changed)), ", "))
		}
		sealOnto(entries, changed)
		return entries, nil
	})
	if err != nil {
		return Case{}, fmt.Errorf("update incident %s: %w", id, err)
	}
	return c, nil
}

// SetStep changes a step's status and note. Skipping a step needs a reason.
func (s *Service) SetStep(ctx context.Context, id, stepID string, status StepStatus, note string) (Case, error) {
	note = strings.TrimSpace(note)
	return s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) {
		step, ok := pb.Step(stepID)
		if !ok {
			return nil, fmt.Errorf("%w: step %q is not in playbook %s", ErrNotFound, stepID, pb.ID)
		}
		if _, err := ParseStepStatus(string(status)); err != nil {
			return nil, err
		}
		st := c.Step(stepID)
		if status == StepSkipped && note == "" && st.Note == "" {
			return nil, fmt.Errorf("%w: say why step %s is skipped (add a note)", ErrInvalid, stepID)
		}
		var entries []Entry
		if st.Status != status {
			entries = append(entries, s.entry(KindStep, fmt.Sprintf("Step %s %s: %s", stepID, status.Label(), step.Title), time.Time{}, stepID))
			st.Status = status
		}
		if note != "" && note != st.Note {
			entries = append(entries, s.entry(KindNote, fmt.Sprintf("Note on step %s: %s", stepID, note), time.Time{}, stepID))
			st.Note = note
		}
		if len(entries) == 0 {
			return nil, nil
		}
		st.By, st.At = s.actor, s.now()
		c.Steps[stepID] = st
		return entries, nil
	})
}

// Choose answers a step's decision. A detour option records a pending jump;
// choosing again replaces the earlier answer and its pending jump.
func (s *Service) Choose(ctx context.Context, id, stepID string, optionIDs []string) (Case, error) {
	return s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) {
		step, ok := pb.Step(stepID)
		if !ok || step.Decision == nil {
			return nil, fmt.Errorf("%w: step %q asks no question", ErrNotFound, stepID)
		}
		optionIDs = cleanList(optionIDs)
		if len(optionIDs) == 0 {
			return nil, fmt.Errorf("%w: choose an answer for step %s", ErrInvalid, stepID)
		}
		if len(optionIDs) > 1 && !step.Decision.Multiple {
			return nil, fmt.Errorf("%w: step %s takes one answer", ErrInvalid, stepID)
		}
		var opts []Option
		for _, oid := range optionIDs {
			o, ok := step.Option(oid)
			if !ok {
				return nil, fmt.Errorf("%w: step %s has no option %q", ErrInvalid, stepID, oid)
			}
			opts = append(opts, o)
		}
		st := c.Step(stepID)
		st.Choices = optionIDs
		// Answering a leaf's question finishes it. A step with sub-steps
		// (Part 2's vector question, 1.4, 4.6) only starts: marking it done
		// would resolve, and so skip, every sub-step the answer kept.
		if len(step.Steps) == 0 {
			st.Status = StepDone
		} else if !st.Status.Resolved() {
			st.Status = StepDoing
		}
		st.By, st.At = s.actor, s.now()
		c.Steps[stepID] = st
		c.Incident.Jumps = slices.DeleteFunc(c.Incident.Jumps, func(j Jump) bool { return j.FromStep == stepID })
		entries := []Entry{s.entry(KindDecision, fmt.Sprintf("Step %s: %s → %s", stepID, step.Decision.Question, step.OptionLabels(optionIDs)), time.Time{}, stepID)}
		for _, o := range opts {
			if o.Goto != "" && o.Return != "" {
				c.Incident.Jumps = append(c.Incident.Jumps, Jump{FromStep: stepID, To: o.Goto, Return: o.Return})
				entries = append(entries, s.entry(KindJump, fmt.Sprintf("Detour from step %s to %s; return to step %s afterwards", stepID, pb.label(o.Goto), o.Return), time.Time{}, stepID, o.Goto))
			}
		}
		return entries, nil
	})
}

// ReturnFromJump ends the most recent detour and brings the responder back
// to where it said to return.
func (s *Service) ReturnFromJump(ctx context.Context, id string) (Case, error) {
	return s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) {
		n := len(c.Incident.Jumps)
		if n == 0 {
			return nil, fmt.Errorf("%w: there is no detour to return from", ErrInvalid)
		}
		j := c.Incident.Jumps[n-1]
		c.Incident.Jumps = c.Incident.Jumps[:n-1]
		return []Entry{s.entry(KindJump, fmt.Sprintf("Returned from %s to step %s", pb.label(j.To), j.Return), time.Time{}, j.To, j.Return)}, nil
	})
}

// AddNote records a free-text observation on the timeline. eventTime may be
// in the past, for things learned late; zero means now.
func (s *Service) AddNote(ctx context.Context, id, text string, eventTime time.Time, refs ...string) (Case, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Case{}, fmt.Errorf("%w: the note is empty", ErrInvalid)
	}
	return s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) {
		return []Entry{s.entry(KindNote, text, eventTime, refs...)}, nil
	})
}

// SetStatus moves the incident along its life cycle.
func (s *Service) SetStatus(ctx context.Context, id string, status Status) (Case, error) {
	if _, err := ParseStatus(string(status)); err != nil {
		return Case{}, err
	}
	return s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) {
		if c.Incident.Status == status {
			return nil, nil
		}
		old := c.Incident.Status
		c.Incident.Status = status
		// The first time a status is reached stamps its key time; a
		// responder corrects it with SetKeyTime.
		if p := c.Incident.Times.field(string(status)); p != nil && p.IsZero() {
			*p = s.now()
		}
		return []Entry{s.entry(KindStatus, fmt.Sprintf("Status changed from %s to %s", old, status), time.Time{})}, nil
	})
}

// Details is the editable description of an incident.
type Details struct {
	Title          string
	Ticket         string
	Severity       Severity
	Classification string
	Accounts       []string
	Buckets        []string
	Principals     []string
	Application    string
	TimeZone       string
}

// Edit changes the incident's details and records each change.
func (s *Service) Edit(ctx context.Context, id string, d Details) (Case, error) {
	sev, err := ParseSeverity(string(d.Severity))
	if err != nil {
		return Case{}, err
	}
	if strings.TrimSpace(d.Title) == "" {
		return Case{}, fmt.Errorf("%w: an incident needs a title", ErrInvalid)
	}
	if d.TimeZone != "" {
		if _, err := time.LoadLocation(d.TimeZone); err != nil {
			return Case{}, fmt.Errorf("%w: time zone %q is not known on this machine", ErrInvalid, d.TimeZone)
		}
	}
	return s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) {
		inc := &c.Incident
		var ch changes
		ch.text("title", &inc.Title, d.Title)
		ch.text("ticket", &inc.Ticket, d.Ticket)
		sevText := string(inc.Severity)
		ch.text("severity", &sevText, string(sev))
		inc.Severity = Severity(sevText)
		ch.text("classification", &inc.Classification, d.Classification)
		ch.list("accounts", &inc.Accounts, d.Accounts)
		ch.list("buckets", &inc.Buckets, d.Buckets)
		ch.list("principals", &inc.Principals, d.Principals)
		ch.text("application", &inc.Application, d.Application)
		ch.text("time zone", &inc.TimeZone, d.TimeZone)
		if len(ch) == 0 {
			return nil, nil
		}
		if err := CheckIncident(*c); err != nil {
			return nil, err
		}
		return []Entry{s.entry(KindEdit, "Details changed: "+strings.Join(ch, "; "), time.Time{})}, nil
	})
}

// Timeline returns the incident's timeline in order.
func (s *Service) Timeline(ctx context.Context, id string) ([]Entry, error) {
	entries, _, err := s.store.Timeline(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read timeline of %s: %w", id, err)
	}
	return entries, nil
}

// Verify checks the incident's timeline chain. The error is a *ChainError
// naming the first bad entry when the chain is broken.
func (s *Service) Verify(ctx context.Context, id string) (int, error) {
	entries, head, err := s.store.Timeline(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("read timeline of %s: %w", id, err)
	}
	if err := VerifyChain(entries, head); err != nil {
		return len(entries), err
	}
	return len(entries), nil
}

// Head returns the incident's chain head: the hash to keep outside the
// database (in a report, a ticket, a message) and give VerifyHead later.
func (s *Service) Head(ctx context.Context, id string) (Head, error) {
	_, head, err := s.store.Timeline(ctx, id)
	if err != nil {
		return Head{}, fmt.Errorf("read timeline of %s: %w", id, err)
	}
	return head, nil
}

// VerifyRecords checks the incident's fields and step states against the
// seals of its timeline, and that no sealed evidence item is gone, and
// returns every record that differs. The chain itself is Verify's
// business, each present evidence item VerifyEvidence's.
func (s *Service) VerifyRecords(ctx context.Context, id string) ([]SealProblem, error) {
	c, err := s.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	entries, _, err := s.store.Timeline(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read timeline of %s: %w", id, err)
	}
	var items []Evidence
	if es, ok := s.store.(EvidenceStore); ok {
		if items, err = es.Evidence(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("read evidence of %s: %w", id, err)
		}
	}
	present := map[string]bool{}
	for _, ev := range items {
		present[sealName(sealEvidence+ev.ID)] = true
	}
	var out []SealProblem
	for _, p := range CheckSeals(entries, c, items) {
		if !present[p.Item] {
			out = append(out, p)
		}
	}
	return out, nil
}

// VerifyHead checks the timeline against a head recorded earlier: the
// entry with that hash must still be in the chain. A chain that only grew
// since keeps it; a chain rewritten and re-sealed does not, whatever it
// says about itself. It returns the entry the head names.
func (s *Service) VerifyHead(ctx context.Context, id, head string) (uint64, error) {
	head = strings.ToLower(strings.TrimSpace(head))
	if len(head) != 64 || strings.Trim(head, "0123456789abcdef") != "" {
		return 0, fmt.Errorf("%w: head %q: give the 64 hex digits of the SHA-256 a report or bundle printed", ErrInvalid, head)
	}
	entries, _, err := s.store.Timeline(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("read timeline of %s: %w", id, err)
	}
	for _, e := range entries {
		if e.Hash == head {
			return e.Seq, nil
		}
	}
	return 0, fmt.Errorf("%w: no entry of %s has hash %s: the timeline's history was rewritten since that head was recorded (or the head belongs to another incident)", ErrChainBroken, id, head)
}

// NextStep answers "what's next" for a loaded case.
func (s *Service) NextStep(c Case) (Next, error) {
	pb, err := s.PlaybookFor(c.Incident)
	if err != nil {
		return Next{}, err
	}
	return pb.NextStep(c), nil
}
