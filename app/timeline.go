package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind says what a timeline entry records.
type Kind string

// Timeline entry kinds written by the app; adapters may add their own.
const (
	KindCreated  Kind = "created"
	KindStep     Kind = "step"
	KindDecision Kind = "decision"
	KindJump     Kind = "jump"
	KindNote     Kind = "note"
	KindStatus   Kind = "status"
	KindEdit     Kind = "edit"
	KindEvidence Kind = "evidence"
	KindAction   Kind = "action"
	KindFinding  Kind = "finding"
	// KindSeal records what was sealed without a change of its own: the
	// state an older database held when a migration sealed it, the files
	// of an export.
	KindSeal Kind = "seal"
)

// Entry is one line of an incident's append-only timeline. EventTime is when
// the thing happened (a responder may record it late); RecordedAt is when the
// app wrote it. Both are UTC. PrevHash and Hash make the timeline a chain: a
// changed, removed or reordered entry no longer verifies.
type Entry struct {
	Seq        uint64    `json:"seq"`
	EventTime  time.Time `json:"eventTime"`
	RecordedAt time.Time `json:"recordedAt"`
	Actor      string    `json:"actor"`
	Kind       Kind      `json:"kind"`
	Text       string    `json:"text"`
	Refs       []string  `json:"refs,omitempty"`
	// Seals binds records kept outside the timeline to the chain: each key
	// names one (see seal.go) and its value is the SHA-256 of its canonical
	// form as this entry's transaction left it.
	Seals    map[string]string `json:"seals,omitempty"`
	PrevHash string            `json:"prevHash"`
	Hash     string            `json:"hash"`
}

// GenesisHash is the PrevHash of the first entry of every timeline.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ValidText returns s with each byte that is not part of valid UTF-8
// replaced by U+FFFD, one per byte: exactly what encoding/json stores for
// it. Sealing normalises with it, so the hash covers the text as it is
// stored and read back, not bytes the store cannot keep.
func ValidText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// canonical returns the bytes an entry's hash covers: every field but
// Hash, as JSON with fixed field order and UTC times at nanosecond
// precision. Seals is left out when empty, so entries sealed before it
// existed keep their hashes.
func (e Entry) canonical() []byte {
	refs := e.Refs
	if refs != nil {
		refs = make([]string, len(e.Refs))
		for i, r := range e.Refs {
			refs[i] = ValidText(r)
		}
	}
	var seals map[string]string
	if len(e.Seals) > 0 {
		seals = make(map[string]string, len(e.Seals))
		for k, v := range e.Seals {
			seals[ValidText(k)] = ValidText(v)
		}
	}
	canon := struct {
		Seq        uint64            `json:"seq"`
		EventTime  string            `json:"eventTime"`
		RecordedAt string            `json:"recordedAt"`
		Actor      string            `json:"actor"`
		Kind       Kind              `json:"kind"`
		Text       string            `json:"text"`
		Refs       []string          `json:"refs"`
		Seals      map[string]string `json:"seals,omitempty"`
		PrevHash   string            `json:"prevHash"`
	}{e.Seq, e.EventTime.UTC().Format(time.RFC3339Nano), e.RecordedAt.UTC().Format(time.RFC3339Nano),
		ValidText(e.Actor), Kind(ValidText(string(e.Kind))), ValidText(e.Text), refs, seals, e.PrevHash}
	b, err := json.Marshal(canon)
	if err != nil {
		// A struct of strings, slices and maps of strings always marshals.
		panic(err)
	}
	return b
}

// ComputeHash returns the SHA-256 over the entry's canonical form. Changing
// any recorded field changes the hash; text that is not valid UTF-8 hashes
// as it will be stored (see ValidText).
func (e Entry) ComputeHash() string {
	sum := sha256.Sum256(e.canonical())
	return hex.EncodeToString(sum[:])
}

// legacyHash is the hash of builds before schema 5, which hashed text that
// was not valid UTF-8 as encoding/json escapes it (\ufffd) but stored it
// as the U+FFFD character, so such entries never verified. Their U+FFFD
// characters are put back as the escape they were hashed as.
func (e Entry) legacyHash() string {
	b := bytes.ReplaceAll(e.canonical(), []byte("\uFFFD"), []byte(`\ufffd`))
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// LegacyEncoded reports whether the entry verifies only as builds before
// schema 5 hashed it: it held bytes that were not UTF-8 when sealed.
func (e Entry) LegacyEncoded() bool {
	return e.ComputeHash() != e.Hash && e.legacyHash() == e.Hash
}

// Seal sets the entry's position in the chain and its hash. The store calls
// it inside the write transaction that appends the entry. Text is
// normalised first (ValidText), so the sealed entry is the stored one.
func (e *Entry) Seal(seq uint64, prevHash string) {
	e.Seq = seq
	e.PrevHash = prevHash
	e.EventTime = e.EventTime.UTC()
	e.RecordedAt = e.RecordedAt.UTC()
	e.Actor, e.Kind, e.Text = ValidText(e.Actor), Kind(ValidText(string(e.Kind))), ValidText(e.Text)
	for i, r := range e.Refs {
		e.Refs[i] = ValidText(r)
	}
	e.Hash = e.ComputeHash()
}

// Head anchors the end of a chain outside the entries themselves, so that
// removing the last entries is detected too.
type Head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// ChainError names the first entry that does not verify and why.
type ChainError struct {
	Seq    uint64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("%s at entry %d: %s", ErrChainBroken, e.Seq, e.Reason)
}

func (e *ChainError) Unwrap() error { return ErrChainBroken }

// VerifyChain checks entries (in stored order) against each other and against
// the head. It returns a *ChainError naming the first bad entry.
func VerifyChain(entries []Entry, head Head) error {
	prev := GenesisHash
	for i, e := range entries {
		want := uint64(i + 1)
		if e.Seq != want {
			return &ChainError{Seq: want, Reason: fmt.Sprintf("expected entry %d, found entry %d (removed or reordered)", want, e.Seq)}
		}
		if e.PrevHash != prev {
			return &ChainError{Seq: e.Seq, Reason: "does not link to the entry before it (removed or reordered)"}
		}
		if got := e.ComputeHash(); got != e.Hash && !e.LegacyEncoded() {
			return &ChainError{Seq: e.Seq, Reason: "content does not match its hash (edited)"}
		}
		prev = e.Hash
	}
	n := uint64(len(entries))
	if head.Seq != n {
		return &ChainError{Seq: n + 1, Reason: fmt.Sprintf("the timeline should hold %d entries but holds %d (entries removed from the end)", head.Seq, n)}
	}
	if n > 0 && head.Hash != prev {
		return &ChainError{Seq: n, Reason: "last entry does not match the recorded head"}
	}
	return nil
}
