package app

import (
	"fmt"
	"strings"
)

// Playbook is a response procedure as data: parts, steps and sub-steps in a
// tree, the decisions that route between them, and the catalogue of AWS
// actions the steps offer. The built-in one follows AWS's five-part playbook
// for unintended access to an S3 bucket; responders may load their own.
type Playbook struct {
	ID          string      `yaml:"id" json:"id"`
	Title       string      `yaml:"title" json:"title"`
	Version     string      `yaml:"version" json:"version"`
	Description string      `yaml:"description,omitempty" json:"description,omitempty"`
	Source      string      `yaml:"source,omitempty" json:"source,omitempty"`
	Actions     []ActionDef `yaml:"actions,omitempty" json:"actions,omitempty"`
	Parts       []*Step     `yaml:"parts" json:"parts"`

	// SHA256 is the hash of the file the playbook was loaded from; incidents
	// record it to pin the exact text they followed.
	SHA256 string `yaml:"-" json:"sha256,omitempty"`

	index  map[string]*Step
	parent map[string]*Step
	order  []*Step
	acts   map[string]ActionDef
}

// ActionDef describes an AWS action a step can offer. Mutating actions
// change an account and therefore always need a preview and a confirmation.
type ActionDef struct {
	ID          string `yaml:"id" json:"id"`
	Title       string `yaml:"title" json:"title"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Service     string `yaml:"service,omitempty" json:"service,omitempty"`
	Mutating    bool   `yaml:"mutating,omitempty" json:"mutating,omitempty"`
}

// Step is a part (the top level), a step or a sub-step.
type Step struct {
	ID       string    `yaml:"id" json:"id"`
	Title    string    `yaml:"title" json:"title"`
	Guidance string    `yaml:"guidance,omitempty" json:"guidance,omitempty"`
	Warning  string    `yaml:"warning,omitempty" json:"warning,omitempty"`
	Decision *Decision `yaml:"decision,omitempty" json:"decision,omitempty"`
	// Handoff names who must act when this step hands the work to someone
	// outside the team (the bucket owner in Part 1 step 6).
	Handoff  string   `yaml:"handoff,omitempty" json:"handoff,omitempty"`
	Evidence []string `yaml:"evidence,omitempty" json:"evidence,omitempty"`
	Actions  []string `yaml:"actions,omitempty" json:"actions,omitempty"`
	Steps    []*Step  `yaml:"steps,omitempty" json:"steps,omitempty"`

	// Line and Column locate the step in its file, for error messages.
	Line   int `yaml:"-" json:"-"`
	Column int `yaml:"-" json:"-"`
}

// Decision is a question a step asks; each option routes the work.
type Decision struct {
	Question string `yaml:"question" json:"question"`
	// Multiple allows several options at once (the Part 2 question of which
	// vectors were involved: credentials, bucket policy, public ACLs).
	Multiple bool     `yaml:"multiple,omitempty" json:"multiple,omitempty"`
	Options  []Option `yaml:"options" json:"options"`
}

// Option is one answer to a decision.
type Option struct {
	ID    string `yaml:"id" json:"id"`
	Label string `yaml:"label" json:"label"`
	// Goto is the part or step to work on now. With Return set, it is a
	// detour: when Goto's steps are resolved the responder comes back to
	// Return (Part 1 step 3 to Part 2 and back to step 5).
	Goto   string `yaml:"goto,omitempty" json:"goto,omitempty"`
	Return string `yaml:"return,omitempty" json:"return,omitempty"`
	// Excludes lists steps that stop applying when this option is chosen.
	// With several options chosen, a step is excluded only if every chosen
	// option excludes it.
	Excludes []string `yaml:"excludes,omitempty" json:"excludes,omitempty"`

	Line   int `yaml:"-" json:"-"`
	Column int `yaml:"-" json:"-"`
}

// Step returns the step with the given id.
func (p *Playbook) Step(id string) (*Step, bool) {
	s, ok := p.index[id]
	return s, ok
}

// Parent returns the step that contains id, nil for a part.
func (p *Playbook) Parent(id string) *Step { return p.parent[id] }

// Action returns the action definition with the given id.
func (p *Playbook) Action(id string) (ActionDef, bool) {
	a, ok := p.acts[id]
	return a, ok
}

// Steps returns every part, step and sub-step in document order.
func (p *Playbook) Steps() []*Step { return p.order }

// PartOf returns the top-level part that holds the step.
func (p *Playbook) PartOf(id string) *Step {
	s := p.index[id]
	for s != nil && p.parent[s.ID] != nil {
		s = p.parent[s.ID]
	}
	return s
}

// PartNumber returns the 1-based position of the step's part, 0 if unknown.
func (p *Playbook) PartNumber(id string) int {
	part := p.PartOf(id)
	for i, q := range p.Parts {
		if q == part {
			return i + 1
		}
	}
	return 0
}

// Depth returns 0 for a part, 1 for its steps, and so on.
func (p *Playbook) Depth(id string) int {
	d := 0
	for s := p.parent[id]; s != nil; s = p.parent[s.ID] {
		d++
	}
	return d
}

// Ref returns the reference an incident stores to pin this playbook.
func (p *Playbook) Ref() PlaybookRef {
	return PlaybookRef{ID: p.ID, Version: p.Version, SHA256: p.SHA256}
}

// build fills the indexes; it reports duplicate ids, which the loader turns
// into positioned errors.
func (p *Playbook) build() []*Step {
	p.index = map[string]*Step{}
	p.parent = map[string]*Step{}
	p.order = nil
	p.acts = map[string]ActionDef{}
	for _, a := range p.Actions {
		p.acts[a.ID] = a
	}
	var dups []*Step
	var walk func(parent *Step, steps []*Step)
	walk = func(parent *Step, steps []*Step) {
		for _, s := range steps {
			if _, dup := p.index[s.ID]; dup {
				dups = append(dups, s)
			} else {
				p.index[s.ID] = s
				if parent != nil {
					p.parent[s.ID] = parent
				}
			}
			p.order = append(p.order, s)
			walk(s, s.Steps)
		}
	}
	walk(nil, p.Parts)
	return dups
}

// Option returns the option with id in the step's decision.
func (s *Step) Option(id string) (Option, bool) {
	if s.Decision == nil {
		return Option{}, false
	}
	for _, o := range s.Decision.Options {
		if o.ID == id {
			return o, true
		}
	}
	return Option{}, false
}

// Excluded returns the steps that the decisions taken in this case rule out.
// Their sub-steps are ruled out with them.
func (p *Playbook) Excluded(c Case) map[string]bool {
	out := map[string]bool{}
	for _, s := range p.order {
		if s.Decision == nil {
			continue
		}
		chosen := c.Step(s.ID).Choices
		if len(chosen) == 0 {
			continue
		}
		counts := map[string]int{}
		n := 0
		for _, id := range chosen {
			o, ok := s.Option(id)
			if !ok {
				continue
			}
			n++
			for _, x := range o.Excludes {
				counts[x]++
			}
		}
		for x, k := range counts {
			if k == n {
				out[x] = true
			}
		}
	}
	return out
}

// Applies reports whether a step still applies to the case: neither it nor
// any step containing it was ruled out by a decision.
func (p *Playbook) Applies(c Case, id string, excluded map[string]bool) bool {
	for s := p.index[id]; s != nil; s = p.parent[s.ID] {
		if excluded[s.ID] {
			return false
		}
	}
	return true
}

// Next is the answer to "what's next" for a case.
type Next struct {
	// Step is the step to work on, nil when there is none.
	Step *Step
	// Return is set when a detour is complete and the responder should go
	// back to Return.Return.
	Return *Jump
	// Done is true when every applicable step is resolved.
	Done bool
	// Text says it in words for the "what's next" banner.
	Text string
}

// firstOpen finds the first step under (and including) s that needs work.
func (p *Playbook) firstOpen(c Case, s *Step, excluded map[string]bool) *Step {
	if excluded[s.ID] {
		return nil
	}
	st := c.Step(s.ID)
	// Skipping a step or calling it not applicable settles it and its
	// sub-steps, question or not; "done" on a question still needs an answer.
	if st.Status == StepSkipped || st.Status == StepNA {
		return nil
	}
	if st.Status == StepDone && (s.Decision == nil || len(st.Choices) > 0) {
		return nil
	}
	if s.Decision != nil && len(st.Choices) == 0 {
		return s
	}
	if len(s.Steps) == 0 {
		return s
	}
	for _, child := range s.Steps {
		if f := p.firstOpen(c, child, excluded); f != nil {
			return f
		}
	}
	return nil
}

// NextStep computes what the responder should do next: finish a pending
// detour, come back from it, or take the first open applicable step in
// document order.
func (p *Playbook) NextStep(c Case) Next {
	excluded := p.Excluded(c)
	if n := len(c.Incident.Jumps); n > 0 {
		j := c.Incident.Jumps[n-1]
		target, ok := p.index[j.To]
		if ok {
			if s := p.firstOpen(c, target, excluded); s != nil {
				return Next{Step: s, Text: fmt.Sprintf("Step %s: %s (detour from step %s; afterwards return to step %s)", s.ID, s.Title, j.FromStep, j.Return)}
			}
		}
		jj := j
		return Next{Return: &jj, Text: fmt.Sprintf("%s is complete: return to step %s", p.label(j.To), j.Return)}
	}
	for _, part := range p.Parts {
		if s := p.firstOpen(c, part, excluded); s != nil {
			return Next{Step: s, Text: fmt.Sprintf("Step %s: %s", s.ID, s.Title)}
		}
	}
	return Next{Done: true, Text: "Every applicable step is resolved: review and close the incident"}
}

func (p *Playbook) label(id string) string {
	s, ok := p.index[id]
	if !ok {
		return id
	}
	if p.parent[id] == nil {
		return fmt.Sprintf("Part %s (%s)", s.ID, s.Title)
	}
	return "Step " + s.ID
}

// Progress counts resolved and applicable leaf steps under a part or step,
// for the stepper's "7/14".
func (p *Playbook) Progress(c Case, id string) (resolved, total int) {
	excluded := p.Excluded(c)
	root, ok := p.index[id]
	if !ok {
		return 0, 0
	}
	var walk func(s *Step, parentResolved bool)
	walk = func(s *Step, parentResolved bool) {
		if excluded[s.ID] {
			return
		}
		res := parentResolved || c.Step(s.ID).Status.Resolved()
		if len(s.Steps) == 0 {
			total++
			if res {
				resolved++
			}
			return
		}
		for _, ch := range s.Steps {
			walk(ch, res)
		}
	}
	walk(root, false)
	return resolved, total
}

// OptionLabels returns the labels of the chosen options, for the timeline.
func (s *Step) OptionLabels(ids []string) string {
	var out []string
	for _, id := range ids {
		if o, ok := s.Option(id); ok {
			out = append(out, o.Label)
		} else {
			out = append(out, id)
		}
	}
	return strings.Join(out, "; ")
}
