package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
	"s3responder/store"
)

func byBucketSQL(t *testing.T) string {
	t.Helper()
	q, err := app.AthenaQueryFor(app.AthenaByBucket, app.AthenaParams{Database: "security", Table: "cloudtrail_logs", Bucket: "customer-data",
		Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	return q.SQL
}

// TestAthenaOnKumo runs a query through kumo's Athena, which finishes at
// once with fixed rows: the start, poll and results path with the SDK's
// real JSON 1.1 serializers on both sides.
func TestAthenaOnKumo(t *testing.T) {
	k := newKumoAccount(t)
	c := NewCloud(k.s)
	c.Now = func() time.Time { return fixedNow }
	sql := byBucketSQL(t)
	res, err := c.RunAthena(context.Background(), app.AthenaRun{Name: app.AthenaByBucket, SQL: sql, Database: "security", OutputLocation: "s3://athena-results/s3responder/"})
	require.NoError(t, err)
	assert.NotEmpty(t, res.QueryID)
	assert.Equal(t, "SUCCEEDED", res.State)
	assert.Equal(t, []string{"column1", "column2"}, res.Columns)
	assert.Equal(t, [][]string{{"value1", "value2"}}, res.Rows, "the header row is not data")
	assert.False(t, res.Truncated)
	assert.Equal(t, int64(1024), res.ScannedBytes)
	assert.Equal(t, 150*time.Millisecond, res.Duration)

	require.Len(t, res.Items, 2)
	results, exec := res.Items[0], res.Items[1]
	assert.Equal(t, "column1,column2\nvalue1,value2\n", string(results.Data))
	assert.Equal(t, "text/csv", results.MediaType)
	assert.Equal(t, fmt.Sprintf("Athena results of query by-bucket (%s, 1 row)", res.QueryID), results.Title)
	assert.Equal(t, "GetQueryResults", results.Source.API)
	assert.Equal(t, res.QueryID, results.Source.Params["QueryExecutionId"])
	assert.Equal(t, fixedNow, results.CollectedAt)
	var ex struct{ QueryExecution struct{ Query string } }
	require.NoError(t, json.Unmarshal(exec.Data, &ex))
	assert.Equal(t, sql, ex.QueryExecution.Query, "Athena's record of the SQL as run is kept")
	assert.Equal(t, "GetQueryExecution", exec.Source.API)
}

// athenaFake speaks Athena's JSON 1.1 protocol with a scripted query: the
// states it goes through, the pages of results, or a failure.
type athenaFake struct {
	*httptest.Server
	mu       sync.Mutex
	states   []string // GetQueryExecution answers in turn; the last repeats
	reason   string
	polls    []time.Time
	starts   []map[string]any
	stopped  []string
	startErr string
}

func newAthenaFake(t *testing.T, states ...string) *athenaFake {
	f := &athenaFake{states: states}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var in map[string]any
		if err := json.Unmarshal(body, &in); err != nil {
			t.Errorf("bad Athena body %s", body)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch r.Header.Get("X-Amz-Target") {
		case "AmazonAthena.StartQueryExecution":
			f.starts = append(f.starts, in)
			if f.startErr != "" {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"__type":"InvalidRequestException","AthenaErrorCode":"INVALID_INPUT","Message":%q}`, f.startErr)
				return
			}
			fmt.Fprint(w, `{"QueryExecutionId":"c0ffee00-1111-2222-3333-444455556666"}`)
		case "AmazonAthena.GetQueryExecution":
			f.polls = append(f.polls, time.Now())
			state := f.states[0]
			if len(f.states) > 1 {
				f.states = f.states[1:]
			}
			errPart := ""
			if state == "FAILED" {
				errPart = fmt.Sprintf(`,"AthenaError":{"ErrorCategory":2,"ErrorType":1301,"Retryable":false,"ErrorMessage":%q}`, f.reason)
			}
			fmt.Fprintf(w, `{"QueryExecution":{"QueryExecutionId":"c0ffee00-1111-2222-3333-444455556666","Query":%q,"StatementType":"DML",
"ResultConfiguration":{"OutputLocation":"s3://athena-results/s3responder/c0ffee00-1111-2222-3333-444455556666.csv"},
"QueryExecutionContext":{"Database":"security","Catalog":"awsdatacatalog"},
"Status":{"State":%q,"StateChangeReason":%q,"SubmissionDateTime":1773100800.0%s},
"Statistics":{"EngineExecutionTimeInMillis":2210,"DataScannedInBytes":52428800,"TotalExecutionTimeInMillis":2410,"QueryQueueTimeInMillis":120},
"WorkGroup":"primary","EngineVersion":{"SelectedEngineVersion":"AUTO","EffectiveEngineVersion":"Athena engine version 3"}}}`,
				"SELECT 1", state, f.reason, errPart)
		case "AmazonAthena.GetQueryResults":
			row := func(vals ...string) string {
				var cells []string
				for _, v := range vals {
					cells = append(cells, fmt.Sprintf(`{"VarCharValue":%q}`, v))
				}
				return `{"Data":[` + strings.Join(cells, ",") + `]}`
			}
			meta := `"ResultSetMetadata":{"ColumnInfo":[{"CatalogName":"hive","Name":"principal","Label":"principal","Type":"varchar","Nullable":"UNKNOWN","CaseSensitive":true},{"CatalogName":"hive","Name":"bytes_out","Label":"bytes_out","Type":"bigint","Nullable":"UNKNOWN","CaseSensitive":false}]}`
			if in["NextToken"] == nil {
				fmt.Fprintf(w, `{"UpdateCount":0,"ResultSet":{"Rows":[%s,%s,%s],%s},"NextToken":"page-2"}`,
					row("principal", "bytes_out"), row("arn:aws:iam::111122223333:user/mallory", "734003200"), row("arn:aws:iam::111122223333:role/etl", "1048576"), meta)
				return
			}
			fmt.Fprintf(w, `{"UpdateCount":0,"ResultSet":{"Rows":[%s,%s],%s}}`, row("arn:aws:iam::111122223333:user/bob", "2048"), row("arn:aws:iam::111122223333:user/carol", "10"), meta)
		case "AmazonAthena.StopQueryExecution":
			f.stopped = append(f.stopped, fmt.Sprint(in["QueryExecutionId"]))
			fmt.Fprint(w, `{}`)
		default:
			t.Errorf("unexpected Athena call %q", r.Header.Get("X-Amz-Target"))
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func athenaRunner(t *testing.T, f *athenaFake) *AthenaQueryRunner {
	t.Helper()
	s := connectTo(t, f.URL)
	return &AthenaQueryRunner{API: s.Athena, Account: "111122223333", Region: "us-east-1", Poll: 10 * time.Millisecond, MaxPoll: 40 * time.Millisecond,
		Now: func() time.Time { return fixedNow }}
}

func TestAthenaRunPollAndPages(t *testing.T) {
	f := newAthenaFake(t, "QUEUED", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED")
	r := athenaRunner(t, f)
	run := app.AthenaRun{Name: app.AthenaTopReaders, SQL: "SELECT 1", Database: "security", Workgroup: "responders", OutputLocation: "s3://athena-results/s3responder/", MaxRows: 10}
	res, err := r.Run(context.Background(), run)
	require.NoError(t, err)
	assert.Equal(t, "c0ffee00-1111-2222-3333-444455556666", res.QueryID)
	assert.Equal(t, []string{"principal", "bytes_out"}, res.Columns)
	assert.Equal(t, [][]string{
		{"arn:aws:iam::111122223333:user/mallory", "734003200"}, {"arn:aws:iam::111122223333:role/etl", "1048576"},
		{"arn:aws:iam::111122223333:user/bob", "2048"}, {"arn:aws:iam::111122223333:user/carol", "10"},
	}, res.Rows, "both pages, the header row once")
	assert.False(t, res.Truncated)
	assert.Equal(t, int64(52428800), res.ScannedBytes)
	assert.Equal(t, "s3://athena-results/s3responder/c0ffee00-1111-2222-3333-444455556666.csv", res.OutputLocation)

	require.Len(t, f.starts, 1)
	start := f.starts[0]
	assert.Equal(t, "SELECT 1", start["QueryString"])
	assert.Equal(t, "responders", start["WorkGroup"])
	assert.Equal(t, map[string]any{"Database": "security"}, start["QueryExecutionContext"])
	assert.Equal(t, map[string]any{"OutputLocation": "s3://athena-results/s3responder/"}, start["ResultConfiguration"])

	require.Len(t, f.polls, 5)
	var gaps []time.Duration
	for i := 1; i < len(f.polls); i++ {
		gaps = append(gaps, f.polls[i].Sub(f.polls[i-1]))
	}
	assert.GreaterOrEqual(t, gaps[0], 10*time.Millisecond)
	assert.GreaterOrEqual(t, gaps[1], 20*time.Millisecond, "the pause doubles")
	assert.GreaterOrEqual(t, gaps[2], 40*time.Millisecond)
	assert.GreaterOrEqual(t, gaps[3], 40*time.Millisecond, "up to MaxPoll")
	assert.Less(t, gaps[3], 75*time.Millisecond, "and no more")

	t.Run("the row cap holds and is said", func(t *testing.T) {
		f.states = []string{"SUCCEEDED"}
		run.MaxRows = 3
		res, err := r.Run(context.Background(), run)
		require.NoError(t, err)
		assert.Len(t, res.Rows, 3)
		assert.True(t, res.Truncated)
		assert.Equal(t, "principal,bytes_out\narn:aws:iam::111122223333:user/mallory,734003200\narn:aws:iam::111122223333:role/etl,1048576\narn:aws:iam::111122223333:user/bob,2048\n", string(res.Items[0].Data))
	})
	t.Run("a failed query says why, in Athena's words", func(t *testing.T) {
		f.states = []string{"RUNNING", "FAILED"}
		f.reason = "TABLE_NOT_FOUND: line 4:6: Table 'awsdatacatalog.security.cloudtrail_logz' does not exist"
		_, err := r.Run(context.Background(), run)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, "Athena could not run the query (FAILED): TABLE_NOT_FOUND: line 4:6: Table 'awsdatacatalog.security.cloudtrail_logz' does not exist. Check the database and table names and the SQL, then run it again.", err.Error())
	})
	t.Run("cancel stops the query in Athena", func(t *testing.T) {
		f.states = []string{"RUNNING"}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for {
				f.mu.Lock()
				n := len(f.polls)
				f.mu.Unlock()
				if n > 0 {
					cancel()
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
		f.mu.Lock()
		f.polls = nil
		f.mu.Unlock()
		res, err := r.Run(ctx, run)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindCanceled, e.Kind)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, err.Error(), "was cancelled and stopped in Athena")
		assert.Equal(t, []string{"c0ffee00-1111-2222-3333-444455556666"}, f.stopped)
		assert.Equal(t, "c0ffee00-1111-2222-3333-444455556666", res.QueryID)
	})
	t.Run("no output location: Athena's refusal, explained", func(t *testing.T) {
		f.startErr = "No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input."
		_, err := r.Run(context.Background(), app.AthenaRun{Name: "custom", SQL: "SELECT 1", Database: "security"})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "start the query: Athena StartQueryExecution failed: No output location provided.")
	})
}

// TestAthenaIntoService runs a generated query on kumo through the app's
// use case: results and execution kept, a finding with the first row.
func TestAthenaIntoService(t *testing.T) {
	newKumoAccount(t) // AWS_ENDPOINT_URL points at kumo from here on
	db, err := store.Open(filepath.Join(t.TempDir(), "incidents.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	pb, err := app.ParsePlaybook("built-in", assets.Playbook)
	require.NoError(t, err)
	svc := app.NewService(db, pb, "alice")
	svc.SetConnector(Connector(Options{HTTPClient: loopbackClient(t)}))
	ctx := context.Background()
	c, err := svc.Create(ctx, app.NewIncident{Title: "t"})
	require.NoError(t, err)

	_, _, err = svc.RunAthenaQuery(ctx, c.Incident.ID, app.Profile{}, app.AthenaRun{SQL: "DROP TABLE cloudtrail_logs", Database: "security"})
	require.ErrorIs(t, err, app.ErrInvalid, "only reading queries run")

	res, saved, err := svc.RunAthenaQuery(ctx, c.Incident.ID, app.Profile{}, app.AthenaRun{Name: app.AthenaByBucket, SQL: byBucketSQL(t), Database: "security", OutputLocation: "s3://athena-results/"})
	require.NoError(t, err)
	require.Len(t, res.Rows, 1)
	require.Len(t, saved.Evidence, 2)
	assert.Equal(t, "text/csv", saved.Evidence[0].MediaType)
	content, err := db.EvidenceContent(ctx, saved.Evidence[0].SHA256)
	require.NoError(t, err)
	assert.Equal(t, "column1,column2\nvalue1,value2\n", string(content))
	entries, err := svc.Timeline(ctx, c.Incident.ID)
	require.NoError(t, err)
	last := entries[len(entries)-1]
	assert.Equal(t, app.KindFinding, last.Kind)
	assert.Equal(t, fmt.Sprintf("Athena query by-bucket (execution %s, as %s) returned 1 row, scanning 1.0 KiB. First row: column1=value1, column2=value2.", res.QueryID, saved.By.ARN), last.Text)
}
