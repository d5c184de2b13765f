package app

import (
	"fmt"
	"strings"
	"time"
)

// Severity follows the P1 (highest) to P4 scale of AWS's 2026 playbook refresh.
type Severity string

// Severities, most urgent first.
const (
	SeverityP1 Severity = "P1"
	SeverityP2 Severity = "P2"
	SeverityP3 Severity = "P3"
	SeverityP4 Severity = "P4"
)

// Severities lists the accepted values in order, for forms and validation.
var Severities = []Severity{SeverityP1, SeverityP2, SeverityP3, SeverityP4}

// Describe says in words what a severity means for the responder.
func (s Severity) Describe() string {
	switch s {
	case SeverityP1:
		return "P1 critical: confirmed exposure of sensitive data, act now"
	case SeverityP2:
		return "P2 high: likely exposure or active misuse"
	case SeverityP3:
		return "P3 medium: possible exposure, limited data"
	case SeverityP4:
		return "P4 low: misconfiguration without evidence of access"
	}
	return string(s)
}

// ParseSeverity accepts "P1".."P4" in any case, and "" as P3, the default
// for an incident nobody has triaged yet.
func ParseSeverity(s string) (Severity, error) {
	if s == "" {
		return SeverityP3, nil
	}
	v := Severity(strings.ToUpper(strings.TrimSpace(s)))
	for _, ok := range Severities {
		if v == ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("%w: severity %q: use one of P1, P2, P3, P4", ErrInvalid, s)
}

// Status is where an incident stands in its life.
type Status string

// Incident statuses. They follow the playbook's parts loosely; a responder
// sets them, the app never infers them silently.
const (
	StatusOpen       Status = "open"
	StatusContained  Status = "contained"
	StatusEradicated Status = "eradicated"
	StatusRecovered  Status = "recovered"
	StatusClosed     Status = "closed"
)

// Statuses lists the incident statuses in life-cycle order.
var Statuses = []Status{StatusOpen, StatusContained, StatusEradicated, StatusRecovered, StatusClosed}

// ParseStatus validates an incident status.
func ParseStatus(s string) (Status, error) {
	v := Status(strings.ToLower(strings.TrimSpace(s)))
	for _, ok := range Statuses {
		if v == ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("%w: status %q: use one of open, contained, eradicated, recovered, closed", ErrInvalid, s)
}

// PlaybookRef pins the exact playbook an incident follows, so a later edit
// of the template never changes what an old incident meant.
type PlaybookRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
}

// Jump records a pending detour: the responder left FromStep for the part or
// step To and must come back to Return when it is done (Part 1 step 3 to
// Part 2 and back to step 5, for instance).
type Jump struct {
	FromStep string `json:"from"`
	To       string `json:"to"`
	Return   string `json:"return"`
}

// Incident is one case of possible unintended access to S3 buckets.
type Incident struct {
	ID             string      `json:"id"`
	Title          string      `json:"title"`
	Ticket         string      `json:"ticket,omitempty"`
	Severity       Severity    `json:"severity"`
	Classification string      `json:"classification,omitempty"`
	Status         Status      `json:"status"`
	CurrentPart    int         `json:"currentPart"`
	Exercise       bool        `json:"exercise"`
	Accounts       []string    `json:"accounts,omitempty"`
	Buckets        []string    `json:"buckets,omitempty"`
	Principals     []string    `json:"principals,omitempty"`
	Application    string      `json:"application,omitempty"`
	TimeZone       string      `json:"timeZone,omitempty"`
	Playbook       PlaybookRef `json:"playbook"`
	Jumps          []Jump      `json:"jumps,omitempty"`
	Times          KeyTimes    `json:"times"`
	Review         Review      `json:"review"`
	CreatedAt      time.Time   `json:"createdAt"`
	UpdatedAt      time.Time   `json:"updatedAt"`
}

// Location returns the incident's time zone for display, UTC when unset or
// unknown on this machine.
func (inc Incident) Location() *time.Location {
	if inc.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(inc.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Matches reports whether the incident matches a free-text search over the
// fields a responder remembers: id, title, ticket, buckets, accounts.
func (inc Incident) Matches(query string) bool {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return true
	}
	fields := []string{inc.ID, inc.Title, inc.Ticket, inc.Application, inc.Classification}
	fields = append(fields, inc.Buckets...)
	fields = append(fields, inc.Accounts...)
	fields = append(fields, inc.Principals...)
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

// StepStatus is the state of one playbook step within an incident.
type StepStatus string

// Step statuses. Skipped needs a reason (the note); not applicable is for
// steps that do not fit this incident.
const (
	StepTodo    StepStatus = "todo"
	StepDoing   StepStatus = "doing"
	StepDone    StepStatus = "done"
	StepSkipped StepStatus = "skipped"
	StepNA      StepStatus = "na"
)

// StepStatuses lists every step status in the order forms show them.
var StepStatuses = []StepStatus{StepTodo, StepDoing, StepDone, StepSkipped, StepNA}

// Label is the human wording of a step status.
func (s StepStatus) Label() string {
	switch s {
	case StepTodo:
		return "To do"
	case StepDoing:
		return "In progress"
	case StepDone:
		return "Done"
	case StepSkipped:
		return "Skipped"
	case StepNA:
		return "Not applicable"
	}
	return string(s)
}

// Resolved reports whether the step needs no more work.
func (s StepStatus) Resolved() bool {
	return s == StepDone || s == StepSkipped || s == StepNA
}

// ParseStepStatus accepts the CLI words (todo, doing, done, skipped, na) and
// a few spellings people type.
func ParseStepStatus(s string) (StepStatus, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "todo", "to-do", "open":
		return StepTodo, nil
	case "doing", "in-progress", "inprogress", "started":
		return StepDoing, nil
	case "done", "complete", "completed":
		return StepDone, nil
	case "skipped", "skip":
		return StepSkipped, nil
	case "na", "n/a", "not-applicable":
		return StepNA, nil
	}
	return "", fmt.Errorf("%w: step status %q: use todo, doing, done, skipped or na", ErrInvalid, s)
}

// StepState is what the incident records about one playbook step.
type StepState struct {
	StepID string     `json:"step"`
	Status StepStatus `json:"status"`
	Note   string     `json:"note,omitempty"`
	// Choices holds the decision option ids picked at this step (one for a
	// single-choice decision, several for the Part 2 vector question).
	Choices []string  `json:"choices,omitempty"`
	By      string    `json:"by,omitempty"`
	At      time.Time `json:"at"`
}

// Case is an incident with the state of its steps, the unit the store loads
// and saves atomically.
type Case struct {
	Incident Incident             `json:"incident"`
	Steps    map[string]StepState `json:"steps"`
}

// Step returns the state of a step, a fresh todo when nothing was recorded.
func (c Case) Step(id string) StepState {
	if s, ok := c.Steps[id]; ok {
		return s
	}
	return StepState{StepID: id, Status: StepTodo}
}
