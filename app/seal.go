package app

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Seals tie what the store keeps outside the timeline to the hash chain.
// Every transaction that changes an incident field, a step state or adds
// an evidence item puts, on the last entry it appends, the SHA-256 of each
// changed record's canonical form under a key naming it:
//
//	incident.<json field>   one field of the incident (title, severity, ...)
//	step.<step id>          one step's state
//	evidence.<item id>      one evidence item, all but its chain of custody
//	bundle.<file name>      a file an export added to its bundle (report.pdf)
//
// Replaying the seals of a verified chain gives the value each record must
// have now; a record edited in the database file or in a bundle no longer
// matches and is named. The incident's updatedAt and currentPart are not
// sealed: the first is the time of the last write (entries carry it), the
// second is derived from the steps. Custody events are not sealed either:
// they are appended after collection (export, verification, import) and
// say so themselves.
const (
	sealIncident = "incident."
	sealStep     = "step."
	sealEvidence = "evidence."
	sealBundle   = "bundle."
)

// sealAbsent is the digest of a record that does not exist: JSON null.
var sealAbsent = HashHex([]byte("null"))

// canonicalJSON returns v as encoding/json writes it after one round trip
// through its own type: the round trip turns bytes that are not UTF-8 into
// U+FFFD and times into their stored form, so a record hashes the same
// before it is written and after it is read back.
func canonicalJSON[T any](v T) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("seal: %v", err)) // app types always marshal
	}
	var back T
	if err := json.Unmarshal(raw, &back); err != nil {
		panic(fmt.Sprintf("seal: %v", err))
	}
	if raw, err = json.Marshal(back); err != nil {
		panic(fmt.Sprintf("seal: %v", err))
	}
	return raw
}

// CaseSeals returns the digest of every sealed field of the incident and
// of every step state.
func CaseSeals(c Case) map[string]string {
	inc := c.Incident
	inc.UpdatedAt, inc.CurrentPart = time.Time{}, 0
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(canonicalJSON(inc), &fields); err != nil {
		panic(fmt.Sprintf("seal: %v", err))
	}
	out := map[string]string{}
	for name, raw := range fields {
		if name == "updatedAt" || name == "currentPart" {
			continue
		}
		out[sealIncident+name] = HashHex(raw)
	}
	for id, st := range c.Steps {
		out[sealStep+id] = HashHex(canonicalJSON(st))
	}
	return out
}

// EvidenceSeal returns the seal key and digest of an evidence item: its
// metadata, content SHA-256 and size included, custody left out.
func EvidenceSeal(ev Evidence) (string, string) {
	ev.Custody = nil
	return sealEvidence + ev.ID, HashHex(canonicalJSON(ev))
}

// changedSeals returns the seals of after that differ from before, and
// the absent digest for records before had and after has not.
func changedSeals(before, after map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range after {
		if before[k] != v {
			out[k] = v
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out[k] = sealAbsent
		}
	}
	return out
}

// sealOnto adds seals to the last of entries, the one the transaction
// ends with.
func sealOnto(entries []Entry, seals map[string]string) {
	if len(seals) == 0 {
		return
	}
	last := &entries[len(entries)-1]
	if last.Seals == nil {
		last.Seals = map[string]string{}
	}
	maps.Copy(last.Seals, seals)
}

// SealProblem is a record that does not match what the chain sealed.
type SealProblem struct {
	Item   string // "incident field severity", "step 1.1", "evidence EV-…", "bundle file report.pdf"
	Reason string
}

func (p SealProblem) String() string { return p.Item + ": " + p.Reason }

// sealedState replays the seals of a chain: for each key, the digest the
// record must have now and the entry that sealed it.
type sealedState map[string]struct {
	digest string
	seq    uint64
}

func replaySeals(entries []Entry) sealedState {
	out := sealedState{}
	for _, e := range entries {
		for k, v := range e.Seals {
			out[k] = struct {
				digest string
				seq    uint64
			}{v, e.Seq}
		}
	}
	return out
}

// sealName says which record a seal key stands for, in words.
func sealName(key string) string {
	for prefix, name := range map[string]string{sealIncident: "incident field ", sealStep: "step ", sealEvidence: "evidence ", sealBundle: "bundle file "} {
		if rest, ok := strings.CutPrefix(key, prefix); ok {
			return name + rest
		}
	}
	return key
}

// CheckSeals compares the case and its evidence items with what the
// chain (already verified) sealed, and names every record that differs:
// edited, added or removed outside the app. Bundle files are checked by
// VerifyBundle, which knows which files an archive holds.
func CheckSeals(entries []Entry, c Case, evidence []Evidence) []SealProblem {
	sealed := replaySeals(entries)
	current := CaseSeals(c)
	for _, ev := range evidence {
		k, v := EvidenceSeal(ev)
		current[k] = v
	}
	keys := map[string]bool{}
	for k := range current {
		keys[k] = true
	}
	for k := range sealed {
		if !strings.HasPrefix(k, sealBundle) {
			keys[k] = true
		}
	}
	var out []SealProblem
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		cur, ok := current[k]
		if !ok {
			cur = sealAbsent
		}
		s, wasSealed := sealed[k]
		want := s.digest
		if !wasSealed {
			want = sealAbsent
		}
		if cur == want {
			continue
		}
		var reason string
		switch {
		case !wasSealed:
			reason = "is not sealed on the timeline (added or changed outside the app)"
		case cur == sealAbsent:
			reason = fmt.Sprintf("was removed outside the app (entry %d sealed it)", s.seq)
		default:
			reason = fmt.Sprintf("differs from what timeline entry %d sealed (changed outside the app)", s.seq)
		}
		out = append(out, SealProblem{Item: sealName(k), Reason: reason})
	}
	return out
}

// SealsError reports records that do not match the chain's seals.
type SealsError struct{ Problems []SealProblem }

func (e *SealsError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%s: %s", ErrChainBroken, strings.Join(lines, "; "))
}

func (e *SealsError) Unwrap() error { return ErrChainBroken }

// MigrationSeal is the entry a schema migration appends to a timeline
// that sealed nothing yet: it seals the incident, its steps and its
// evidence as the file held them, and names the entries that verify only
// under the older encoding of text that was not UTF-8. The migration says
// what it did on the timeline itself.
func MigrationSeal(c Case, evidence []Evidence, entries []Entry, schema int, at time.Time) Entry {
	seals := CaseSeals(c)
	for _, ev := range evidence {
		k, v := EvidenceSeal(ev)
		seals[k] = v
	}
	text := fmt.Sprintf("Database schema %d: the incident's fields, %d step states and %d evidence items sealed on the timeline as the database held them (earlier versions did not cover them)",
		schema, len(c.Steps), len(evidence))
	var legacy []string
	for _, e := range entries {
		if e.LegacyEncoded() {
			legacy = append(legacy, fmt.Sprint(e.Seq))
		}
	}
	if len(legacy) > 0 {
		text += fmt.Sprintf("; entries %s held bytes that are not UTF-8, stored as U+FFFD: they were hashed in the older encoding and verify under it", strings.Join(legacy, ", "))
	}
	return Entry{EventTime: at.UTC(), RecordedAt: at.UTC(), Actor: "s3responder (schema migration)", Kind: KindSeal, Text: text, Seals: seals}
}
