package tabletop_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/tabletop"
)

// journalOf writes the records of changes that each set one resource from
// before to after and went through at the same instant, in the order given.
func journalOf(at time.Time, account string, steps ...[3]string) []app.JournalRecord {
	var recs []app.JournalRecord
	for i, s := range steps {
		id := "CHG-" + string(rune('A'+i))
		res := app.Resource{Kind: s[0], ID: map[string]string{"bucket": "acme-customer-exports"}, Name: s[0]}
		plan := &app.Plan{ID: id, Account: account, Simulated: true, Principal: "arn:aws:sts::111122223333:assumed-role/IncidentResponder/t",
			Steps: []app.ChangeStep{{N: 1, Resource: res, Before: json.RawMessage(s[1]), After: json.RawMessage(s[2])}}}
		recs = append(recs,
			app.JournalRecord{Change: id, Seq: 1, Kind: app.JournalPlanned, Plan: plan, At: at},
			app.JournalRecord{Change: id, Seq: 2, Kind: app.JournalConfirmed, At: at},
			app.JournalRecord{Change: id, Seq: 3, Kind: app.JournalIntent, Step: 1, At: at},
			app.JournalRecord{Change: id, Seq: 4, Kind: app.JournalResult, Step: 1, Outcome: app.OutcomeApplied, At: at})
	}
	return recs
}

func TestReplayOrdersTiesByWhatTheyStartedFrom(t *testing.T) {
	ctx := context.Background()
	list, err := tabletop.Builtin()
	require.NoError(t, err)
	base := tabletop.NewAccount(list[0], "", nil)
	bpa := app.ResourceBucketBPA
	off := `{"BlockPublicAcls":false,"IgnorePublicAcls":false,"BlockPublicPolicy":false,"RestrictPublicBuckets":false}`
	on := `{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}`
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	res := app.Resource{Kind: bpa, ID: map[string]string{"bucket": "acme-customer-exports"}}
	tests := []struct {
		name  string
		steps [][3]string
		want  string
	}{
		// Journalled in the wrong order: null -> off must go first.
		{"chain", [][3]string{{bpa, off, on}, {bpa, "null", off}}, on},
		{"chain reversed", [][3]string{{bpa, "null", off}, {bpa, off, on}}, on},
		// A change and its undo at the same instant leave the start.
		{"undo first in the journal", [][3]string{{bpa, on, "null"}, {bpa, "null", on}}, "null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := base.ForIncident(ctx, "INC-1", journalOf(at, "111122223333", tc.steps...))
			require.NoError(t, err)
			st, err := cl.(app.Mutator).ReadState(ctx, res)
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(st))
		})
	}
	t.Run("another account's plan is not replayed", func(t *testing.T) {
		cl, err := base.ForIncident(ctx, "INC-1", journalOf(at, "999999999999", [3]string{bpa, "null", on}))
		require.NoError(t, err)
		st, err := cl.(app.Mutator).ReadState(ctx, res)
		require.NoError(t, err)
		assert.Equal(t, "null", string(st))
	})
	t.Run("a journal the scenario cannot hold is an error", func(t *testing.T) {
		recs := journalOf(at, "111122223333", [3]string{bpa, "null", on})
		recs[0].Plan.Steps[0].Resource.ID["bucket"] = "no-such-bucket"
		_, err := base.ForIncident(ctx, "INC-1", recs)
		require.ErrorIs(t, err, app.ErrNotFound)
		assert.Contains(t, err.Error(), "does not fit the scenario")
	})
}
