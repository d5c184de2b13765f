package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/store"
)

// activityEnv is an incident on a real store whose evidence the activity
// comparison reads.
type activityEnv struct {
	svc *app.Service
	id  string
	n   int
}

const (
	mallory = "arn:aws:iam::111122223333:user/mallory"
	app1    = "arn:aws:iam::111122223333:role/reporting-app"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func hour(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

func newActivityEnv(t *testing.T, principals ...string) *activityEnv {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "incidents.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	svc := app.NewService(db, builtin(t), "alice")
	c, err := svc.Create(context.Background(), app.NewIncident{Title: "Leak", Buckets: []string{"ledger"}, Principals: principals})
	require.NoError(t, err)
	return &activityEnv{svc: svc, id: c.Incident.ID}
}

// athena adds the rows of an Athena by-bucket result on the bucket:
// "hour principal event [error]" each.
func (e *activityEnv) athena(t *testing.T, bucket string, rows ...string) {
	t.Helper()
	e.n++
	qid := fmt.Sprintf("q-%d", e.n)
	var b strings.Builder
	b.WriteString("eventtime,eventname,object_key,principal,access_key,sourceipaddress,useragent,errorcode,bytes_out,eventid\n")
	for i, r := range rows {
		f := strings.Fields(r)
		var h float64
		_, err := fmt.Sscan(f[0], &h)
		require.NoError(t, err)
		errCode := ""
		if len(f) > 3 {
			errCode = f[3]
		}
		fmt.Fprintf(&b, "%s,%s,k%d,%s,AKIA%d,198.51.100.7,aws-cli,%s,,ev-%d\n", hour(h).Format(time.RFC3339), f[2], i, f[1], i%2, errCode, i)
	}
	params := map[string]string{"QueryExecutionId": qid, "Query": app.AthenaByBucket}
	_, err := e.svc.AddEvidence(context.Background(), e.id, app.Evidence{Title: "Athena results", Kind: app.EvidenceAWSResponse, MediaType: "text/csv",
		Source: app.Source{API: "GetQueryResults", Params: params}}, []byte(b.String()))
	require.NoError(t, err)
	_, err = e.svc.AddEvidence(context.Background(), e.id, app.Evidence{Title: "Athena execution", Kind: app.EvidenceAWSResponse, MediaType: "application/json",
		Source: app.Source{API: "GetQueryExecution", Params: params}}, []byte(`{"QueryExecution":{"Query":"SELECT 1 WHERE bucket = '`+bucket+`'"}}`))
	require.NoError(t, err)
}

// summary adds an offline CloudTrail analysis limited by params, with the
// given events per hour from hour 0.
func (e *activityEnv) summary(t *testing.T, params map[string]string, perHour ...int64) {
	t.Helper()
	type bin struct {
		Start  time.Time `json:"start"`
		Events int64     `json:"events"`
	}
	var bins []bin
	for i, n := range perHour {
		bins = append(bins, bin{hour(float64(i)), n})
	}
	last := hour(float64(len(perHour)) - 0.5)
	doc, err := json.Marshal(map[string]any{"lastEvent": last, "histogram": map[string]any{"binSeconds": 3600, "bins": bins}, "principals": []any{}})
	require.NoError(t, err)
	_, err = e.svc.AddEvidence(context.Background(), e.id, app.Evidence{Title: "Offline CloudTrail analysis", Kind: app.EvidenceTrailSummary, MediaType: "application/json",
		Source: app.Source{API: "offline CloudTrail analysis", Params: params}}, doc)
	require.NoError(t, err)
}

func TestActivityVerdicts(t *testing.T) {
	ctx := context.Background()
	q := app.ActivityQuery{Bucket: "ledger", Before: hour(10), After: hour(11)}
	for name, tc := range map[string]struct {
		suspects []string
		rows     []string
		verdict  string
		reasons  []string
	}{
		"the suspect goes on": {[]string{mallory},
			[]string{"1 " + mallory + " GetObject", "2 " + mallory + " GetObject", "3 " + app1 + " GetObject", "12.5 " + mallory + " GetObject", "13 " + mallory + " DeleteObject AccessDenied"},
			app.ActivityContinues, []string{"The attack has NOT stopped: " + mallory + " made 2 call(s) after 2026-03-01 11:00 UTC, 1 of them not refused, the last at 2026-03-01 13:00 UTC."}},
		"refused since": {[]string{"mallory"},
			[]string{"1 " + mallory + " GetObject", "2 " + mallory + " GetObject", "12 " + mallory + " GetObject AccessDenied", "12 " + app1 + " GetObject"},
			app.ActivityStopped, []string{"The attack appears to have stopped: no call of the principals the incident names succeeded on ledger after 2026-03-01 11:00 UTC.",
				"The mitigations hold, but the actor is still trying: " + mallory + " tried 1 time(s) after 2026-03-01 11:00 UTC and was refused every time"}},
		"quiet since, nobody named": {nil,
			[]string{"1 " + mallory + " GetObject", "2 " + mallory + " PutObject", "14 " + app1 + " GetObject"},
			app.ActivityStopped, []string{"The attack appears to have stopped: no call of the principals active before the mitigations (the incident names none) succeeded",
				"Quiet since: " + mallory + " (2 call(s) before, none after; last seen 2026-03-01 02:00 UTC).",
				"Active only after the mitigations, worth checking: " + app1 + " (1 call(s))."}},
		"the evidence stops too soon": {[]string{mallory},
			[]string{"1 " + mallory + " GetObject", "9 " + mallory + " GetObject"},
			app.ActivityUnclear, []string{"Cannot tell yet: the evidence ends at 2026-03-01 09:00 UTC, before the mitigations took effect at 2026-03-01 11:00 UTC."}},
		"no evidence": {[]string{mallory}, nil,
			app.ActivityUnclear, []string{"The evidence holds no CloudTrail events on bucket ledger"}},
	} {
		t.Run(name, func(t *testing.T) {
			e := newActivityEnv(t, tc.suspects...)
			if len(tc.rows) > 0 {
				e.athena(t, "ledger", tc.rows...)
			}
			e.athena(t, "other-bucket", "12 "+mallory+" GetObject", "13 "+mallory+" GetObject")
			rep, err := e.svc.Activity(ctx, e.id, q)
			require.NoError(t, err)
			assert.Equal(t, tc.verdict, rep.Verdict)
			text := strings.Join(rep.Reasons, "\n")
			for _, r := range tc.reasons {
				assert.Contains(t, text, r)
			}
		})
	}
}

func TestActivitySeriesByHourAndPrincipal(t *testing.T) {
	ctx := context.Background()
	e := newActivityEnv(t, mallory)
	e.athena(t, "ledger", "0.5 "+mallory+" GetObject", "0.7 "+mallory+" GetObject", "2.1 "+app1+" GetObject", "5.9 "+mallory+" GetObject AccessDenied")
	rep, err := e.svc.Activity(ctx, e.id, app.ActivityQuery{Bucket: "ledger", Before: hour(2), After: hour(3)})
	require.NoError(t, err)
	assert.EqualValues(t, 3600, rep.BinSeconds)
	require.Len(t, rep.Series, 2)
	m, a := rep.Series[0], rep.Series[1]
	assert.Equal(t, mallory, m.Principal, "suspects first")
	assert.True(t, m.Suspect)
	assert.False(t, a.Suspect)
	var counts, denied []int64
	for _, b := range m.Bins {
		counts, denied = append(counts, b.Events), append(denied, b.Denied)
	}
	assert.Equal(t, []int64{2, 0, 0, 0, 0, 1}, counts)
	assert.Equal(t, []int64{0, 0, 0, 0, 0, 1}, denied)
	assert.Equal(t, hour(5), m.Bins[5].Start)
	assert.EqualValues(t, 2, m.BeforeEvents)
	assert.EqualValues(t, 1, m.AfterEvents)
	assert.EqualValues(t, 0, m.AfterAllowed)
	assert.EqualValues(t, 1, a.Bins[2].Events)
	assert.EqualValues(t, 0, a.BeforeEvents+a.AfterEvents, "between the two periods")
	assert.Equal(t, hour(0.5), rep.From)
	assert.Equal(t, hour(5.9), rep.Covered)
	assert.InDelta(t, 2/1.5, rep.BeforeRate, 0.001)
	assert.InDelta(t, 1/2.9, rep.AfterRate, 0.001)
	assert.Len(t, rep.BinStarts(), 6)
}

func TestActivityFromAnalyses(t *testing.T) {
	ctx := context.Background()
	e := newActivityEnv(t, mallory)
	// One analysis of everyone's events on the bucket, the same analysis
	// again (its events are not counted twice), one limited to mallory,
	// and one not limited to the bucket, which is left out.
	e.summary(t, map[string]string{"bucket": "ledger"}, 5, 7, 1, 1)
	e.summary(t, map[string]string{"bucket": "ledger"}, 5, 7, 1)
	e.summary(t, map[string]string{"bucket": "ledger", "principal": mallory}, 4, 6, 0, 0)
	e.summary(t, nil, 100, 100, 100, 100)
	rep, err := e.svc.Activity(ctx, e.id, app.ActivityQuery{Bucket: "ledger", Before: hour(2), After: hour(2)})
	require.NoError(t, err)
	require.Len(t, rep.Series, 2)
	assert.Equal(t, mallory, rep.Series[0].Principal)
	assert.EqualValues(t, 10, rep.Series[0].BeforeEvents)
	assert.EqualValues(t, 0, rep.Series[0].AfterEvents)
	assert.Equal(t, app.AllPrincipals, rep.Series[1].Principal)
	assert.EqualValues(t, 12, rep.Series[1].BeforeEvents)
	assert.EqualValues(t, 2, rep.Series[1].AfterEvents)
	assert.Equal(t, app.ActivityStopped, rep.Verdict)
	assert.Contains(t, rep.Reasons[0], "no call of the principals the incident names succeeded")
}

func TestActivityTimes(t *testing.T) {
	ctx := context.Background()
	e := newActivityEnv(t)
	_, err := e.svc.Activity(ctx, e.id, app.ActivityQuery{Bucket: "ledger"})
	require.ErrorIs(t, err, app.ErrInvalid, "no containment time and no change: the times must be given")
	assert.Contains(t, err.Error(), "say when the mitigations took effect")
	_, err = e.svc.Activity(ctx, e.id, app.ActivityQuery{Bucket: "ledger", Before: hour(3), After: hour(2)})
	require.ErrorIs(t, err, app.ErrInvalid)
	_, err = e.svc.Activity(ctx, e.id, app.ActivityQuery{Before: hour(3)})
	require.ErrorIs(t, err, app.ErrInvalid)

	// The containment time recorded on the incident is the default.
	_, err = e.svc.SetKeyTime(ctx, e.id, "contained", hour(2))
	require.NoError(t, err)
	e.athena(t, "ledger", "1 "+mallory+" GetObject", "4 "+mallory+" GetObject")
	rep, err := e.svc.Activity(ctx, e.id, app.ActivityQuery{Bucket: "ledger"})
	require.NoError(t, err)
	assert.Equal(t, hour(2), rep.Before)
	assert.Equal(t, hour(2), rep.After)
	assert.Equal(t, app.ActivityContinues, rep.Verdict)
}
