package app

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
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
	PrevHash   string    `json:"prevHash"`
	Hash       string    `json:"hash"`
}

// GenesisHash is the PrevHash of the first entry of every timeline.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the SHA-256 over the entry's canonical form: every
// field but Hash, as JSON with fixed field order and UTC times at nanosecond
// precision. Changing any recorded field changes the hash.
func (e Entry) ComputeHash() string {
	canon := struct {
		Seq        uint64   `json:"seq"`
		EventTime  string   `json:"eventTime"`
		RecordedAt string   `json:"recordedAt"`
		Actor      string   `json:"actor"`
		Kind       Kind     `json:"kind"`
		Text       string   `json:"text"`
		Refs       []string `json:"refs"`
		PrevHash   string   `json:"prevHash"`
	}{e.Seq, e.EventTime.UTC().Format(time.RFC3339Nano), e.RecordedAt.UTC().Format(time.RFC3339Nano),
		e.Actor, e.Kind, e.Text, e.Refs, e.PrevHash}
	b, err := json.Marshal(canon)
	if err != nil {
		// A struct of strings and slices of strings always marshals.
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Seal sets the entry's position in the chain and its hash. The store calls
// it inside the write transaction that appends the entry.
func (e *Entry) Seal(seq uint64, prevHash string) {
	e.Seq = seq
	e.PrevHash = prevHash
	e.EventTime = e.EventTime.UTC()
	e.RecordedAt = e.RecordedAt.UTC()
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
		if got := e.ComputeHash(); got != e.Hash {
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
