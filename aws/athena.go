package aws

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athtypes "github.com/aws/aws-sdk-go-v2/service/athena/types"

	"s3responder/app"
)

// AthenaAPI is the Athena calls of running one query.
type AthenaAPI interface {
	StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	StopQueryExecution(ctx context.Context, in *athena.StopQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error)
	athena.GetQueryResultsAPIClient
}

var _ AthenaAPI = (*athena.Client)(nil)

// AthenaQueryRunner runs queries: start, poll with back-off until the
// query ends, page through the results. Cancelling ctx stops the query in
// Athena as well, so it does not keep scanning (and billing) unseen.
type AthenaQueryRunner struct {
	API     AthenaAPI
	Account string
	Region  string
	Profile string
	// Poll is the first pause between status checks (default 500 ms); it
	// doubles up to MaxPoll (default 5 s): short queries come back fast,
	// long ones are not asked about a few times a second for minutes.
	Poll, MaxPoll time.Duration
	Now           func() time.Time
}

func (r *AthenaQueryRunner) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

// Run runs one query to its end and fetches at most run.MaxRows rows.
func (r *AthenaQueryRunner) Run(ctx context.Context, run app.AthenaRun) (app.AthenaResult, error) {
	maxRows := run.MaxRows
	if maxRows <= 0 {
		maxRows = app.DefaultAthenaMaxRows
	}
	in := &athena.StartQueryExecutionInput{
		QueryString:           sdkaws.String(run.SQL),
		QueryExecutionContext: &athtypes.QueryExecutionContext{Database: sdkaws.String(strings.TrimSpace(run.Database))},
	}
	if w := strings.TrimSpace(run.Workgroup); w != "" {
		in.WorkGroup = &w
	}
	if loc := strings.TrimSpace(run.OutputLocation); loc != "" {
		in.ResultConfiguration = &athtypes.ResultConfiguration{OutputLocation: &loc}
	}
	started, err := r.API.StartQueryExecution(ctx, in)
	if err != nil {
		return app.AthenaResult{}, fmt.Errorf("start the query: %w", Explain(err, r.Profile))
	}
	id := sdkaws.ToString(started.QueryExecutionId)
	res := app.AthenaResult{QueryID: id}
	exec, err := r.wait(ctx, id)
	if err != nil {
		return res, err
	}
	qe := exec.QueryExecution
	res.State = string(qe.Status.State)
	if qe.ResultConfiguration != nil {
		res.OutputLocation = sdkaws.ToString(qe.ResultConfiguration.OutputLocation)
	}
	if st := qe.Statistics; st != nil {
		res.ScannedBytes = sdkaws.ToInt64(st.DataScannedInBytes)
		res.Duration = time.Duration(sdkaws.ToInt64(st.TotalExecutionTimeInMillis)) * time.Millisecond
	}
	execItem := Item{Name: "athena-query-execution", Status: StatusCollected, Data: rawJSON(exec), CollectedAt: r.now(),
		Source: source(r.Account, r.Region, "GetQueryExecution", map[string]string{"QueryExecutionId": id, "Query": run.Name})}
	switch qe.Status.State {
	case athtypes.QueryExecutionStateSucceeded:
	case athtypes.QueryExecutionStateCancelled:
		return res, &Error{Kind: KindCanceled, Service: "Athena", Operation: "GetQueryExecution",
			Message: fmt.Sprintf("The Athena query %s was cancelled outside S3 Responder (%s).", id, sdkaws.ToString(qe.Status.StateChangeReason))}
	default:
		reason := sdkaws.ToString(qe.Status.StateChangeReason)
		if e := qe.Status.AthenaError; e != nil && sdkaws.ToString(e.ErrorMessage) != "" {
			reason = sdkaws.ToString(e.ErrorMessage)
		}
		return res, &Error{Kind: KindOther, Service: "Athena", Operation: "GetQueryExecution",
			Message: fmt.Sprintf("Athena could not run the query (%s): %s. Check the database and table names and the SQL, then run it again.", qe.Status.State, reason)}
	}
	if err := r.results(ctx, id, maxRows, &res); err != nil {
		return res, err
	}
	res.Items = append(res.Items, collected(r.csvItem(run, res), ""), collected(execItem, ""))
	return res, nil
}

// wait polls the query until it ends. If ctx ends first, the query is
// stopped in Athena (with a context of its own: the caller's is gone).
func (r *AthenaQueryRunner) wait(ctx context.Context, id string) (*athena.GetQueryExecutionOutput, error) {
	pause, most := r.Poll, r.MaxPoll
	if pause <= 0 {
		pause = 500 * time.Millisecond
	}
	if most <= 0 {
		most = 5 * time.Second
	}
	for {
		out, err := r.API.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: &id})
		if err == nil && out.QueryExecution != nil && out.QueryExecution.Status != nil {
			switch out.QueryExecution.Status.State {
			case athtypes.QueryExecutionStateSucceeded, athtypes.QueryExecutionStateFailed, athtypes.QueryExecutionStateCancelled:
				return out, nil
			}
		} else if err != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("follow the query %s: %w", id, Explain(err, r.Profile))
		}
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, r.stop(ctx, id)
		}
		pause = min(pause*2, most)
	}
}

// stop stops a query the person no longer waits for, and says so.
func (r *AthenaQueryRunner) stop(ctx context.Context, id string) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	e := &Error{Kind: KindCanceled, Service: "Athena", Err: ctx.Err()}
	if _, err := r.API.StopQueryExecution(sctx, &athena.StopQueryExecutionInput{QueryExecutionId: &id}); err != nil {
		e.Message = fmt.Sprintf("The Athena query %s was cancelled here, but Athena could not be told to stop it (%s); it may still run and be billed: stop it in the Athena console.", id, Explain(err, r.Profile).Error())
		return e
	}
	e.Message = fmt.Sprintf("The Athena query %s was cancelled and stopped in Athena.", id)
	return e
}

// results pages through the results, up to maxRows. Athena gives a
// SELECT's column labels as the first row of the first page: it is taken
// as the header, not as data.
func (r *AthenaQueryRunner) results(ctx context.Context, id string, maxRows int, res *app.AthenaResult) error {
	pages := athena.NewGetQueryResultsPaginator(r.API, &athena.GetQueryResultsInput{QueryExecutionId: &id, MaxResults: sdkaws.Int32(1000)})
	first := true
	for pages.HasMorePages() {
		if len(res.Rows) >= maxRows {
			res.Truncated = true
			return nil
		}
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("fetch the results of query %s: %w", id, Explain(err, r.Profile))
		}
		if page.ResultSet == nil {
			continue
		}
		rows := page.ResultSet.Rows
		if first {
			first = false
			if md := page.ResultSet.ResultSetMetadata; md != nil {
				for _, c := range md.ColumnInfo {
					res.Columns = append(res.Columns, sdkaws.ToString(c.Name))
				}
			}
			if len(rows) > 0 && sameRow(cells(rows[0]), res.Columns) {
				rows = rows[1:]
			}
		}
		for _, row := range rows {
			if len(res.Rows) >= maxRows {
				res.Truncated = true
				return nil
			}
			res.Rows = append(res.Rows, cells(row))
		}
	}
	return nil
}

func cells(row athtypes.Row) []string {
	out := make([]string, len(row.Data))
	for i, d := range row.Data {
		out[i] = sdkaws.ToString(d.VarCharValue)
	}
	return out
}

func sameRow(a, b []string) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// csvItem keeps the rows fetched as CSV, header first.
func (r *AthenaQueryRunner) csvItem(run app.AthenaRun, res app.AthenaResult) Item {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(res.Columns) // a bytes.Buffer does not fail
	_ = w.WriteAll(res.Rows)
	params := map[string]string{"QueryExecutionId": res.QueryID, "Query": run.Name, "Database": run.Database, "MaxRows": fmt.Sprint(run.MaxRows)}
	if run.Workgroup != "" {
		params["WorkGroup"] = run.Workgroup
	}
	if res.OutputLocation != "" {
		params["OutputLocation"] = res.OutputLocation
	}
	return Item{Name: "athena-results", Status: StatusCollected, Data: buf.Bytes(), CollectedAt: r.now(),
		Source: source(r.Account, r.Region, "GetQueryResults", params)}
}

// RunAthena runs a reviewed query in the session's region (app.AthenaRunner).
func (c *Cloud) RunAthena(ctx context.Context, run app.AthenaRun) (app.AthenaResult, error) {
	id, err := c.identity(ctx)
	if err != nil {
		return app.AthenaResult{}, err
	}
	r := &AthenaQueryRunner{API: c.API.Athena, Account: id.Account, Region: c.Region, Profile: c.Profile, Now: c.Now}
	res, err := r.Run(ctx, run)
	for i := range res.Items {
		it := &res.Items[i]
		it.CollectedAt = it.CollectedAt.UTC()
		switch it.Source.API {
		case "GetQueryResults":
			it.Title = fmt.Sprintf("Athena results of query %s (%s, %d %s)", run.Name, res.QueryID, len(res.Rows), map[bool]string{true: "row", false: "rows"}[len(res.Rows) == 1])
			if res.Truncated {
				it.Title = fmt.Sprintf("Athena results of query %s (%s, first %d rows)", run.Name, res.QueryID, len(res.Rows))
			}
			it.MediaType, it.FileName = "text/csv", "athena-"+run.Name+"-"+res.QueryID+".csv"
		default:
			it.Title = fmt.Sprintf("Athena execution of query %s (%s): the SQL as run and the data scanned", run.Name, res.QueryID)
			it.FileName = "athena-" + run.Name + "-" + res.QueryID + "-execution.json"
		}
	}
	return res, err
}

var _ app.AthenaRunner = (*Cloud)(nil)
