package app

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// CheckIncident refuses a case whose fields the app could not have
// written: what the forms and the CLI accept when a person types them is
// what an import accepts from a file. A hostile bundle could otherwise
// bring an id with a newline (a forged line in `incident list`), a NUL or
// an escape code, or a status no screen knows.
func CheckIncident(c Case) error {
	inc := c.Incident
	if err := checkID("incident id", inc.ID); err != nil {
		return err
	}
	if strings.TrimSpace(inc.Title) == "" {
		return fmt.Errorf("%w: incident %s has no title", ErrInvalid, inc.ID)
	}
	for name, v := range map[string]string{"title": inc.Title, "ticket": inc.Ticket, "classification": inc.Classification, "application": inc.Application} {
		if err := checkLine(name, v); err != nil {
			return err
		}
	}
	for name, list := range map[string][]string{"accounts": inc.Accounts, "buckets": inc.Buckets, "principals": inc.Principals} {
		for _, v := range list {
			if err := checkLine(name, v); err != nil {
				return err
			}
		}
	}
	if sev, err := ParseSeverity(string(inc.Severity)); err != nil || sev != inc.Severity {
		return fmt.Errorf("%w: severity %q: use one of P1, P2, P3, P4", ErrInvalid, inc.Severity)
	}
	if st, err := ParseStatus(string(inc.Status)); err != nil || st != inc.Status {
		return fmt.Errorf("%w: status %q: use one of open, contained, eradicated, recovered, closed", ErrInvalid, inc.Status)
	}
	if inc.TimeZone != "" {
		if _, err := time.LoadLocation(inc.TimeZone); err != nil {
			return fmt.Errorf("%w: time zone %q is not known on this machine", ErrInvalid, inc.TimeZone)
		}
	}
	if err := checkSHA256("playbook sha256", inc.Playbook.SHA256); err != nil {
		return err
	}
	for id, st := range c.Steps {
		if err := checkKey("step id", id); err != nil {
			return err
		}
		if st.StepID != id {
			return fmt.Errorf("%w: the state of step %s names step %q", ErrInvalid, id, st.StepID)
		}
		if got, err := ParseStepStatus(string(st.Status)); err != nil || got != st.Status {
			return fmt.Errorf("%w: step %s: status %q: use todo, doing, done, skipped or na", ErrInvalid, id, st.Status)
		}
	}
	return nil
}

// checkEvidence refuses an evidence item whose id could not be a key or
// be printed on one line, or whose hash is not a SHA-256.
func checkEvidence(ev Evidence) error {
	if err := checkKey("evidence id", ev.ID); err != nil {
		return err
	}
	if err := checkSHA256("evidence "+ev.ID+" sha256", ev.SHA256); err != nil {
		return err
	}
	if ev.Size < 0 {
		return fmt.Errorf("%w: evidence %s has a negative size", ErrInvalid, ev.ID)
	}
	return nil
}

// checkID accepts the incident ids the app makes (INC-20261126-7K3QX9):
// letters, digits and . _ - : +, at most 128.
func checkID(what, id string) error {
	ok := id != "" && len(id) <= 128
	for _, r := range id {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-:+", r))) {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("%w: %s %q: use letters, digits and . _ - : + only", ErrInvalid, what, id)
	}
	return nil
}

// checkKey accepts an id chosen elsewhere (a playbook's step ids, an
// evidence id a caller picked): one printable line of at most 256 bytes.
func checkKey(what, id string) error {
	if strings.TrimSpace(id) == "" || len(id) > 256 {
		return fmt.Errorf("%w: %s %q must be 1 to 256 characters", ErrInvalid, what, id)
	}
	return checkLine(what, id)
}

// checkLine refuses control characters (newlines, NUL, escape codes) in a
// one-line field.
func checkLine(what, v string) error {
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: %s %q holds control characters", ErrInvalid, what, v)
	}
	return nil
}

func checkSHA256(what, v string) error {
	if len(v) != 64 || strings.Trim(v, "0123456789abcdef") != "" {
		return fmt.Errorf("%w: %s %q is not a lower-case hex SHA-256", ErrInvalid, what, v)
	}
	return nil
}
