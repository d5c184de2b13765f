package app

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func chain(n int) ([]Entry, Head) {
	var out []Entry
	prev := GenesisHash
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		e := Entry{EventTime: t0.Add(time.Duration(i) * time.Minute), RecordedAt: t0.Add(time.Duration(i) * time.Minute),
			Actor: "zoë", Kind: KindNote, Text: "entry", Refs: []string{"1.3"}}
		e.Seal(uint64(i+1), prev)
		prev = e.Hash
		out = append(out, e)
	}
	return out, Head{Seq: uint64(n), Hash: prev}
}

func TestVerifyChain(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func([]Entry, Head) ([]Entry, Head)
		wantSeq uint64
	}{
		{"intact", func(e []Entry, h Head) ([]Entry, Head) { return e, h }, 0},
		{"edited text", func(e []Entry, h Head) ([]Entry, Head) { e[2].Text = "changed"; return e, h }, 3},
		{"edited event time", func(e []Entry, h Head) ([]Entry, Head) { e[1].EventTime = e[1].EventTime.Add(time.Second); return e, h }, 2},
		{"edited actor", func(e []Entry, h Head) ([]Entry, Head) { e[4].Actor = "mallory"; return e, h }, 5},
		{"removed middle", func(e []Entry, h Head) ([]Entry, Head) { return append(e[:2:2], e[3:]...), h }, 3},
		{"removed last", func(e []Entry, h Head) ([]Entry, Head) { return e[:len(e)-1], h }, 5},
		{"swapped", func(e []Entry, h Head) ([]Entry, Head) { e[1], e[2] = e[2], e[1]; return e, h }, 2},
		{"resealed edit without head", func(e []Entry, h Head) ([]Entry, Head) {
			e[4].Text = "forged"
			e[4].Seal(5, e[3].Hash)
			return e, h
		}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, head := tt.tamper(chain(5))
			err := VerifyChain(entries, head)
			if tt.wantSeq == 0 {
				require.NoError(t, err)
				return
			}
			var ce *ChainError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.wantSeq, ce.Seq)
			assert.True(t, errors.Is(err, ErrChainBroken))
		})
	}
}

func TestVerifyEmptyChain(t *testing.T) {
	require.NoError(t, VerifyChain(nil, Head{}))
	require.Error(t, VerifyChain(nil, Head{Seq: 1, Hash: "x"}))
}

func TestSealIsDeterministicAcrossZones(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	at := time.Date(2026, 11, 26, 10, 0, 0, 123, time.UTC)
	a := Entry{EventTime: at, RecordedAt: at, Actor: "a", Kind: KindNote, Text: "t"}
	b := Entry{EventTime: at.In(paris), RecordedAt: at.In(paris), Actor: "a", Kind: KindNote, Text: "t"}
	a.Seal(1, GenesisHash)
	b.Seal(1, GenesisHash)
	assert.Equal(t, a.Hash, b.Hash)
	assert.Len(t, a.Hash, 64)
}

func TestKeyTimesDurations(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	k := KeyTimes{Detected: t0, Reported: t0.Add(30 * time.Minute), Contained: t0.Add(3 * time.Hour)}
	d := k.Durations()
	require.Len(t, d, 5)
	assert.True(t, d[0].Known)
	assert.Equal(t, 30*time.Minute, d[0].Value)
	assert.Equal(t, 3*time.Hour, d[1].Value)
	assert.False(t, d[2].Known)
	assert.False(t, d[4].Known)
}

func TestDeadlineAndOverdue(t *testing.T) {
	start := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	d := Deadline{Name: "GDPR", Start: start, Hours: 72}
	assert.Equal(t, start.Add(72*time.Hour), d.Due())
	assert.Equal(t, 2*time.Hour, d.Remaining(start.Add(70*time.Hour)))
	item := ActionItem{Status: "open", Due: start}
	assert.True(t, item.Overdue(start.Add(time.Hour)))
	item.Status = "done"
	assert.False(t, item.Overdue(start.Add(time.Hour)))
}

func TestParsers(t *testing.T) {
	s, err := ParseSeverity("p2")
	require.NoError(t, err)
	assert.Equal(t, SeverityP2, s)
	_, err = ParseSeverity("P9")
	assert.ErrorIs(t, err, ErrInvalid)
	st, err := ParseStepStatus("N/A")
	require.NoError(t, err)
	assert.Equal(t, StepNA, st)
	_, err = ParseStepStatus("finished-ish")
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = ParseStatus("contained")
	require.NoError(t, err)
}
