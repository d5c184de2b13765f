package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// KeyTimes are the moments of an incident that its metrics are built from
// (the refresh's time to detect, notify, contain and recover). They are
// stamped as they happen and can be corrected by the responder.
type KeyTimes struct {
	Detected   time.Time `json:"detected,omitzero"`
	Reported   time.Time `json:"reported,omitzero"`
	Contained  time.Time `json:"contained,omitzero"`
	Eradicated time.Time `json:"eradicated,omitzero"`
	Recovered  time.Time `json:"recovered,omitzero"`
	Closed     time.Time `json:"closed,omitzero"`
}

// KeyTimeNames lists the key times in order, with the names the CLI and
// forms use.
var KeyTimeNames = []string{"detected", "reported", "contained", "eradicated", "recovered", "closed"}

// Get returns a key time by name.
func (k KeyTimes) Get(name string) time.Time {
	if p := k.field(name); p != nil {
		return *p
	}
	return time.Time{}
}

func (k *KeyTimes) field(name string) *time.Time {
	switch name {
	case "detected":
		return &k.Detected
	case "reported":
		return &k.Reported
	case "contained":
		return &k.Contained
	case "eradicated":
		return &k.Eradicated
	case "recovered":
		return &k.Recovered
	case "closed":
		return &k.Closed
	}
	return nil
}

// Duration is one measured interval between key times.
type Duration struct {
	Name     string        `json:"name"`
	From, To string        `json:"-"`
	Value    time.Duration `json:"value"`
	Known    bool          `json:"known"`
}

// Durations returns the intervals people ask about after an incident: time
// to report, to contain, to eradicate, to recover, and in total.
func (k KeyTimes) Durations() []Duration {
	spec := []struct{ name, from, to string }{
		{"Time to report (detected → reported)", "detected", "reported"},
		{"Time to contain (detected → contained)", "detected", "contained"},
		{"Time to eradicate (contained → eradicated)", "contained", "eradicated"},
		{"Time to recover (eradicated → recovered)", "eradicated", "recovered"},
		{"Total (detected → closed)", "detected", "closed"},
	}
	out := make([]Duration, 0, len(spec))
	for _, s := range spec {
		a, b := k.Get(s.from), k.Get(s.to)
		d := Duration{Name: s.name, From: s.from, To: s.to}
		if !a.IsZero() && !b.IsZero() {
			d.Value, d.Known = b.Sub(a), true
		}
		out = append(out, d)
	}
	return out
}

// ActionItem is a follow-up raised by the post-incident review.
type ActionItem struct {
	ID          string    `json:"id"`
	Description string    `json:"description"`
	Owner       string    `json:"owner,omitempty"`
	Due         time.Time `json:"due,omitzero"`
	Status      string    `json:"status"` // open, in progress, done
	Notes       string    `json:"notes,omitempty"`
}

// Overdue reports whether the item is past due and not done.
func (a ActionItem) Overdue(now time.Time) bool {
	return a.Status != "done" && !a.Due.IsZero() && now.After(a.Due)
}

// Stakeholder is a person or group with a role in the incident (legal, PR,
// technical, executives, regulators, customers, law enforcement).
type Stakeholder struct {
	Role    string `json:"role"`
	Name    string `json:"name"`
	Contact string `json:"contact,omitempty"`
}

// Communication records who was told what, when and how.
type Communication struct {
	At       time.Time `json:"at"`
	Audience string    `json:"audience"`
	Who      string    `json:"who,omitempty"`
	Channel  string    `json:"channel,omitempty"`
	Summary  string    `json:"summary"`
}

// Deadline is a clock that runs from a chosen start, such as a regulator's
// 72 hours to be notified of a personal-data breach.
type Deadline struct {
	Name  string    `json:"name"`
	Start time.Time `json:"start"`
	Hours int       `json:"hours"`
}

// Due returns when the deadline expires.
func (d Deadline) Due() time.Time { return d.Start.Add(time.Duration(d.Hours) * time.Hour) }

// Remaining returns the time left at now (negative when missed).
func (d Deadline) Remaining(now time.Time) time.Duration { return d.Due().Sub(now) }

// Review is Part 5 of the playbook: what the team learned and will change.
type Review struct {
	Lessons string `json:"lessons,omitempty"`
	// The playbook's four questions.
	Information   string `json:"information,omitempty"`
	Detection     string `json:"detection,omitempty"`
	Configuration string `json:"configuration,omitempty"`
	Automation    string `json:"automation,omitempty"`

	RootCause         string   `json:"rootCause,omitempty"`
	AttackVectors     []string `json:"attackVectors,omitempty"`
	Misconfigurations []string `json:"misconfigurations,omitempty"`
	RiskUpdates       string   `json:"riskUpdates,omitempty"`

	ActionItems    []ActionItem    `json:"actionItems,omitempty"`
	Stakeholders   []Stakeholder   `json:"stakeholders,omitempty"`
	Communications []Communication `json:"communications,omitempty"`
	Deadlines      []Deadline      `json:"deadlines,omitempty"`
}

// ReviewText is the free-text part of a review, as a form edits it.
type ReviewText struct {
	Lessons, Information, Detection, Configuration, Automation string
	RootCause, RiskUpdates                                     string
	AttackVectors, Misconfigurations                           []string
}

// SaveReviewText stores the lessons-learned text and records which fields
// changed (not their whole text: the review itself holds that).
func (s *Service) SaveReviewText(ctx context.Context, id string, t ReviewText) (Case, error) {
	return s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) {
		r := &c.Incident.Review
		var ch changes
		ch.text("lessons learned", &r.Lessons, t.Lessons)
		ch.text("information that would have helped", &r.Information, t.Information)
		ch.text("detection that would have alerted sooner", &r.Detection, t.Detection)
		ch.text("configuration that would have prevented it", &r.Configuration, t.Configuration)
		ch.text("automation that would have helped", &r.Automation, t.Automation)
		ch.text("root cause", &r.RootCause, t.RootCause)
		ch.text("risk register updates", &r.RiskUpdates, t.RiskUpdates)
		ch.list("attack vectors", &r.AttackVectors, t.AttackVectors)
		ch.list("misconfigurations", &r.Misconfigurations, t.Misconfigurations)
		if len(ch) == 0 {
			return nil, nil
		}
		return []Entry{s.entry(KindNote, "Post-incident review updated: "+strings.Join(ch.names(), ", "), time.Time{})}, nil
	})
}

// SaveActionItem adds an action item (empty ID) or updates an existing one.
func (s *Service) SaveActionItem(ctx context.Context, id string, item ActionItem) (Case, error) {
	item.Description = strings.TrimSpace(item.Description)
	if item.Description == "" {
		return Case{}, fmt.Errorf("%w: an action item needs a description", ErrInvalid)
	}
	switch item.Status {
	case "":
		item.Status = "open"
	case "open", "in progress", "done":
	default:
		return Case{}, fmt.Errorf("%w: action item status %q: use open, in progress or done", ErrInvalid, item.Status)
	}
	return s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) {
		items := c.Incident.Review.ActionItems
		if item.ID == "" {
			item.ID = fmt.Sprintf("A%d", len(items)+1)
			for slices.ContainsFunc(items, func(a ActionItem) bool { return a.ID == item.ID }) {
				item.ID += "+"
			}
			c.Incident.Review.ActionItems = append(items, item)
			return []Entry{s.entry(KindNote, fmt.Sprintf("Action item %s raised: %s (owner %s)", item.ID, item.Description, orNone(item.Owner)), time.Time{}, item.ID)}, nil
		}
		i := slices.IndexFunc(items, func(a ActionItem) bool { return a.ID == item.ID })
		if i < 0 {
			return nil, fmt.Errorf("%w: action item %s", ErrNotFound, item.ID)
		}
		items[i] = item
		return []Entry{s.entry(KindNote, fmt.Sprintf("Action item %s updated: %s, owner %s, status %s", item.ID, item.Description, orNone(item.Owner), item.Status), time.Time{}, item.ID)}, nil
	})
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// AddStakeholder records a stakeholder and their role.
func (s *Service) AddStakeholder(ctx context.Context, id string, st Stakeholder) (Case, error) {
	st.Role, st.Name = strings.TrimSpace(st.Role), strings.TrimSpace(st.Name)
	if st.Role == "" || st.Name == "" {
		return Case{}, fmt.Errorf("%w: a stakeholder needs a role and a name", ErrInvalid)
	}
	return s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) {
		c.Incident.Review.Stakeholders = append(c.Incident.Review.Stakeholders, st)
		return []Entry{s.entry(KindNote, fmt.Sprintf("Stakeholder added: %s (%s)", st.Name, st.Role), time.Time{})}, nil
	})
}

// AddCommunication logs a communication; its time is when it happened.
func (s *Service) AddCommunication(ctx context.Context, id string, m Communication) (Case, error) {
	m.Audience, m.Summary = strings.TrimSpace(m.Audience), strings.TrimSpace(m.Summary)
	if m.Audience == "" || m.Summary == "" {
		return Case{}, fmt.Errorf("%w: a communication needs an audience and a summary", ErrInvalid)
	}
	if m.At.IsZero() {
		m.At = s.now()
	}
	m.At = m.At.UTC()
	return s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) {
		c.Incident.Review.Communications = append(c.Incident.Review.Communications, m)
		slices.SortStableFunc(c.Incident.Review.Communications, func(a, b Communication) int { return a.At.Compare(b.At) })
		return []Entry{s.entry(KindNote, fmt.Sprintf("Communication to %s via %s: %s", m.Audience, orNone(m.Channel), m.Summary), m.At)}, nil
	})
}

// AddDeadline starts a countdown, such as 72 hours to notify a regulator.
func (s *Service) AddDeadline(ctx context.Context, id string, d Deadline) (Case, error) {
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" || d.Hours <= 0 || d.Start.IsZero() {
		return Case{}, fmt.Errorf("%w: a deadline needs a name, a start and a positive number of hours", ErrInvalid)
	}
	d.Start = d.Start.UTC()
	return s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) {
		c.Incident.Review.Deadlines = append(c.Incident.Review.Deadlines, d)
		return []Entry{s.entry(KindNote, fmt.Sprintf("Deadline %q: %d hours from %s, due %s", d.Name, d.Hours, d.Start.Format(time.RFC3339), d.Due().Format(time.RFC3339)), time.Time{})}, nil
	})
}

// SetKeyTime records or corrects a key time (detected, reported, ...).
func (s *Service) SetKeyTime(ctx context.Context, id, name string, at time.Time) (Case, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if !slices.Contains(KeyTimeNames, name) {
		return Case{}, fmt.Errorf("%w: key time %q: use one of %s", ErrInvalid, name, strings.Join(KeyTimeNames, ", "))
	}
	return s.update(ctx, id, func(c *Case, pb *Playbook) ([]Entry, error) {
		p := c.Incident.Times.field(name)
		*p = at.UTC()
		return []Entry{s.entry(KindStatus, fmt.Sprintf("Key time %s set to %s", name, at.UTC().Format(time.RFC3339)), at)}, nil
	})
}
