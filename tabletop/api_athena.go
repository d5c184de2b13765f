package tabletop

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athtypes "github.com/aws/aws-sdk-go-v2/service/athena/types"

	"s3responder/app"
	"s3responder/aws"
)

// athenaAPI is the simulated Athena over the simulated trail (the
// scenario's events, data events included, and the responders' own
// calls): it answers the queries the app writes (app.AthenaQueryFor), as
// written, whatever the database and table; any other SQL is refused at
// the start with Athena's InvalidRequestException, saying why. A query is
// QUEUED when started, RUNNING at its first status check and SUCCEEDED at
// the next, with times from the backend's clock; its rows are those of
// the trail when it started.
type athenaAPI struct{ *backend }

var _ aws.AthenaAPI = athenaAPI{}

// athenaQuery is one query execution.
type athenaQuery struct {
	id, sql, database, workgroup, output string
	state                                athtypes.QueryExecutionState
	reason                               string
	submitted, completed                 time.Time
	columns                              []athenaColumn
	rows                                 [][]*string
	scanned                              int64
}

type athenaColumn struct{ name, typ string }

func athenaErr(op, msg string) error {
	return apiError("Athena", op, 400, "InvalidRequestException", msg)
}

var (
	sqlFrom    = regexp.MustCompile(`(?m)^FROM "((?:[^"]|"")*)"\."((?:[^"]|"")*)"$`)
	sqlLit     = `'((?:[^']|'')*)'`
	sqlSince   = regexp.MustCompile(`eventtime >= ` + sqlLit)
	sqlUntil   = regexp.MustCompile(`eventtime < ` + sqlLit)
	sqlKeyID   = regexp.MustCompile(`useridentity\.accesskeyid = ` + sqlLit)
	sqlBucket  = regexp.MustCompile(`'\$\.bucketName'\) = ` + sqlLit)
	sqlObject  = regexp.MustCompile(`'\$\.key'\) = ` + sqlLit)
	sqlLimit   = regexp.MustCompile(`(?m)^LIMIT (\d+)$`)
	sqlHeading = regexp.MustCompile(`(?m)^-- S3 Responder: `)
)

func unquote(s, q string) string { return strings.ReplaceAll(s, q+q, q) }

// recognise finds which of the app's queries sql is, and with what
// parameters, by writing each candidate again and comparing: only SQL
// the app wrote, unedited, is answered.
func recognise(sql string) (string, app.AthenaParams, bool) {
	var p app.AthenaParams
	m := sqlFrom.FindStringSubmatch(sql)
	if m == nil || !sqlHeading.MatchString(sql) {
		return "", p, false
	}
	p.Database, p.Table = unquote(m[1], `"`), unquote(m[2], `"`)
	when := func(re *regexp.Regexp) time.Time {
		if m := re.FindStringSubmatch(sql); m != nil {
			t, err := time.Parse(time.RFC3339, unquote(m[1], "'"))
			if err == nil {
				return t
			}
		}
		return time.Time{}
	}
	str := func(re *regexp.Regexp) string {
		if m := re.FindStringSubmatch(sql); m != nil {
			return unquote(m[1], "'")
		}
		return ""
	}
	p.Since, p.Until = when(sqlSince), when(sqlUntil)
	p.AccessKey, p.Bucket, p.Key = str(sqlKeyID), str(sqlBucket), str(sqlObject)
	limit := 0
	if m := sqlLimit.FindStringSubmatch(sql); m != nil {
		limit, _ = strconv.Atoi(m[1])
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	for _, name := range app.AthenaQueryNames {
		q := p
		if name == app.AthenaTopReaders {
			q.Top = limit
		} else {
			q.Limit = limit
		}
		got, err := app.AthenaQueryFor(name, q)
		if err == nil && got.SQL != "" && norm(got.SQL) == norm(sql) {
			return name, q, true
		}
	}
	return "", p, false
}

// javaDouble writes a double as Athena's engine does (Java's
// Double.toString): plain between 0.001 and 10 million, else E notation.
func javaDouble(v float64) string {
	if a := math.Abs(v); a == 0 || (a >= 1e-3 && a < 1e7) {
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(v, 'E', -1, 64)
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// athenaRows answers a recognised query over the trail; the caller
// holds b.mu.
func (b *backend) athenaRows(name string, p app.AthenaParams) ([]athenaColumn, [][]*string, int64) {
	var events []simEvent
	var scanned int64
	for _, e := range b.history() {
		if e.insight != nil {
			continue
		}
		scanned += int64(len(b.eventJSON(e)))
		ts := e.Time.UTC().Format(time.RFC3339)
		if (!p.Since.IsZero() && ts < p.Since.UTC().Format(time.RFC3339)) || (!p.Until.IsZero() && ts >= p.Until.UTC().Format(time.RFC3339)) {
			continue
		}
		events = append(events, e)
	}
	slices.SortStableFunc(events, func(x, y simEvent) int { return x.Time.Compare(y.Time) })
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	bytesOut := b.bytesOut()
	principal := func(e simEvent) string {
		if e.Actor == "" || e.Actor == "anonymous" {
			return ""
		}
		return e.Actor
	}
	s3 := func(e simEvent) bool { return e.Source == "s3.amazonaws.com" }
	limit := p.Limit
	if limit <= 0 {
		limit = 1000
	}
	var cols []athenaColumn
	var rows [][]*string
	varchar := func(names ...string) {
		for _, n := range names {
			cols = append(cols, athenaColumn{n, "varchar"})
		}
	}
	bytes := func(e simEvent) *string {
		if n, ok := bytesOut[e.ID]; ok {
			return str(javaDouble(float64(n)))
		}
		return nil
	}
	switch name {
	case app.AthenaByAccessKey, app.AthenaByBucket, app.AthenaByObjectKey:
		switch name {
		case app.AthenaByAccessKey:
			varchar("eventtime", "eventname", "bucket", "object_key", "principal", "sourceipaddress", "useragent", "errorcode")
		case app.AthenaByBucket:
			varchar("eventtime", "eventname", "object_key", "principal", "access_key", "sourceipaddress", "useragent", "errorcode")
		default:
			varchar("eventtime", "eventname", "bucket", "principal", "access_key", "sourceipaddress", "useragent", "errorcode")
		}
		cols = append(cols, athenaColumn{"bytes_out", "double"}, athenaColumn{"eventid", "varchar"})
		for _, e := range events {
			if !s3(e) || (name == app.AthenaByAccessKey && e.AccessKeyID != p.AccessKey) ||
				(name == app.AthenaByBucket && e.param("bucketName") != p.Bucket) ||
				(name == app.AthenaByObjectKey && (e.param("key") != p.Key || (p.Bucket != "" && e.param("bucketName") != p.Bucket))) {
				continue
			}
			row := []*string{str(e.Time.UTC().Format(time.RFC3339)), str(e.Name)}
			switch name {
			case app.AthenaByAccessKey:
				row = append(row, str(e.param("bucketName")), str(e.param("key")), str(principal(e)))
			case app.AthenaByBucket:
				row = append(row, str(e.param("key")), str(principal(e)), str(e.AccessKeyID))
			default:
				row = append(row, str(e.param("bucketName")), str(principal(e)), str(e.AccessKeyID))
			}
			row = append(row, str(e.SourceIP), str(e.UserAgent), str(e.ErrorCode), bytes(e), str(e.ID))
			rows = append(rows, row)
		}
	case app.AthenaTopReaders:
		cols = []athenaColumn{{"principal", "varchar"}, {"access_key", "varchar"}, {"sourceipaddress", "varchar"}, {"reads", "bigint"},
			{"objects", "bigint"}, {"bytes_out", "bigint"}, {"first_read", "varchar"}, {"last_read", "varchar"}}
		type reader struct {
			principal, key, ip string
			reads, bytes       int64
			objects            map[string]bool
			first, last        string
		}
		var order []string
		by := map[string]*reader{}
		for _, e := range events {
			if !s3(e) || e.Name != "GetObject" || e.ErrorCode != "" || (p.Bucket != "" && e.param("bucketName") != p.Bucket) {
				continue
			}
			k := principal(e) + "\x00" + e.AccessKeyID + "\x00" + e.SourceIP
			r, ok := by[k]
			if !ok {
				r = &reader{principal: principal(e), key: e.AccessKeyID, ip: e.SourceIP, objects: map[string]bool{}, first: e.Time.UTC().Format(time.RFC3339)}
				by[k] = r
				order = append(order, k)
			}
			r.reads++
			r.bytes += bytesOut[e.ID]
			if key := e.param("key"); key != "" {
				r.objects[key] = true
			}
			r.last = e.Time.UTC().Format(time.RFC3339)
		}
		slices.SortStableFunc(order, func(x, y string) int {
			a, c := by[x], by[y]
			if a.bytes != c.bytes {
				return cmp.Compare(c.bytes, a.bytes)
			}
			return cmp.Compare(c.reads, a.reads)
		})
		limit = p.Top
		if limit <= 0 {
			limit = 25
		}
		for _, k := range order {
			r := by[k]
			rows = append(rows, []*string{str(r.principal), str(r.key), str(r.ip), str(strconv.FormatInt(r.reads, 10)),
				str(strconv.Itoa(len(r.objects))), str(strconv.FormatInt(r.bytes, 10)), str(r.first), str(r.last)})
		}
	case app.AthenaConfigChanges:
		varchar("eventtime", "eventsource", "eventname", "bucket", "role_name", "principal", "access_key", "sourceipaddress", "errorcode", "requestparameters", "eventid")
		for _, e := range events {
			if !slices.Contains(app.ConfigChangeEvents, e.Name) || (p.Bucket != "" && e.param("bucketName") != "" && e.param("bucketName") != p.Bucket) {
				continue
			}
			rows = append(rows, []*string{str(e.Time.UTC().Format(time.RFC3339)), str(e.Source), str(e.Name), str(e.param("bucketName")),
				str(e.param("roleName")), str(principal(e)), str(e.AccessKeyID), str(e.SourceIP), str(e.ErrorCode), str(e.Params), str(e.ID)})
		}
	}
	if len(rows) > limit {
		rows = rows[:limit]
	}
	return cols, rows, scanned
}

// bytesOut are the bytes each read of the scenario sent, by event id.
func (b *backend) bytesOut() map[string]int64 {
	out := map[string]int64{}
	for _, e := range b.sc.CloudTrail {
		if e.BytesOut > 0 {
			out[e.ID] = e.BytesOut
		}
	}
	return out
}

func (a athenaAPI) StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, _ ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	const op = "StartQueryExecution"
	sql := sdkaws.ToString(in.QueryString)
	if strings.TrimSpace(sql) == "" {
		return nil, athenaErr(op, "1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	name, p, ok := recognise(sql)
	if !ok {
		return nil, athenaErr(op, "The simulated account answers only the queries S3 Responder writes (by-access-key, by-bucket, by-object-key, top-readers, config-changes), unedited; this SQL is not one of them, so a real account is needed to run it.")
	}
	q := &athenaQuery{sql: sql, workgroup: "primary", state: athtypes.QueryExecutionStateQueued}
	if in.WorkGroup != nil {
		q.workgroup = *in.WorkGroup
	}
	if c := in.QueryExecutionContext; c != nil {
		q.database = sdkaws.ToString(c.Database)
	}
	q.output = fmt.Sprintf("s3://aws-athena-query-results-%s-%s/", a.sc.Account, a.region)
	if rc := in.ResultConfiguration; rc != nil && sdkaws.ToString(rc.OutputLocation) != "" {
		q.output = sdkaws.ToString(rc.OutputLocation)
		if !strings.HasSuffix(q.output, "/") {
			q.output += "/"
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	q.submitted = a.now()
	q.id = derivedHex(8, a.sc.ID, "athena", strconv.Itoa(len(a.w.athena))) + "-" + derivedHex(4, "a", q.sql) + "-" + derivedHex(4, "b", q.sql) + "-" +
		derivedHex(4, "c", strconv.Itoa(len(a.w.athena))) + "-" + derivedHex(12, q.submitted.String(), strconv.Itoa(len(a.w.athena)))
	q.columns, q.rows, q.scanned = a.athenaRows(name, p)
	a.w.athena = append(a.w.athena, q)
	return &athena.StartQueryExecutionOutput{QueryExecutionId: sdkaws.String(q.id)}, nil
}

// query finds an execution; the caller holds b.mu.
func (b *backend) query(op string, id *string) (*athenaQuery, error) {
	for _, q := range b.w.athena {
		if q.id == sdkaws.ToString(id) {
			return q, nil
		}
	}
	return nil, athenaErr(op, fmt.Sprintf("QueryExecution %s was not found", sdkaws.ToString(id)))
}

func (b *backend) execution(q *athenaQuery) *athtypes.QueryExecution {
	st := &athtypes.QueryExecutionStatus{State: q.state, SubmissionDateTime: sdkaws.Time(q.submitted)}
	if !q.completed.IsZero() {
		st.CompletionDateTime = sdkaws.Time(q.completed)
	}
	if q.reason != "" {
		st.StateChangeReason = sdkaws.String(q.reason)
	}
	out := &athtypes.QueryExecution{QueryExecutionId: sdkaws.String(q.id), Query: sdkaws.String(q.sql), StatementType: athtypes.StatementTypeDml,
		ResultConfiguration:   &athtypes.ResultConfiguration{OutputLocation: sdkaws.String(q.output + q.id + ".csv")},
		QueryExecutionContext: &athtypes.QueryExecutionContext{Database: sdkaws.String(q.database), Catalog: sdkaws.String("AwsDataCatalog")},
		Status:                st, WorkGroup: sdkaws.String(q.workgroup),
		EngineVersion: &athtypes.EngineVersion{SelectedEngineVersion: sdkaws.String("AUTO"), EffectiveEngineVersion: sdkaws.String("Athena engine version 3")}}
	if q.state == athtypes.QueryExecutionStateSucceeded {
		ms := max(q.completed.Sub(q.submitted).Milliseconds(), 0)
		out.Statistics = &athtypes.QueryExecutionStatistics{DataScannedInBytes: sdkaws.Int64(q.scanned), TotalExecutionTimeInMillis: sdkaws.Int64(ms),
			EngineExecutionTimeInMillis: sdkaws.Int64(ms)}
	}
	return out
}

func (a athenaAPI) GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, _ ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	q, err := a.query("GetQueryExecution", in.QueryExecutionId)
	if err != nil {
		return nil, err
	}
	switch q.state {
	case athtypes.QueryExecutionStateQueued:
		q.state = athtypes.QueryExecutionStateRunning
	case athtypes.QueryExecutionStateRunning:
		q.state, q.completed = athtypes.QueryExecutionStateSucceeded, a.now()
	}
	return &athena.GetQueryExecutionOutput{QueryExecution: a.execution(q)}, nil
}

func (a athenaAPI) StopQueryExecution(ctx context.Context, in *athena.StopQueryExecutionInput, _ ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	q, err := a.query("StopQueryExecution", in.QueryExecutionId)
	if err != nil {
		return nil, err
	}
	if q.state == athtypes.QueryExecutionStateQueued || q.state == athtypes.QueryExecutionStateRunning {
		q.state, q.completed, q.reason = athtypes.QueryExecutionStateCancelled, a.now(), "Query cancelled by user"
	}
	return &athena.StopQueryExecutionOutput{}, nil
}

// GetQueryResults pages through a finished query's rows, the column
// labels first, as Athena gives a SELECT's.
func (a athenaAPI) GetQueryResults(ctx context.Context, in *athena.GetQueryResultsInput, _ ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	const op = "GetQueryResults"
	a.mu.Lock()
	defer a.mu.Unlock()
	q, err := a.query(op, in.QueryExecutionId)
	if err != nil {
		return nil, err
	}
	if q.state != athtypes.QueryExecutionStateSucceeded {
		return nil, athenaErr(op, fmt.Sprintf("Query has not yet finished. Current state: %s", q.state))
	}
	limit := 1000
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
		if limit < 1 || limit > 1000 {
			return nil, athenaErr(op, "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000")
		}
	}
	header := make([]*string, len(q.columns))
	var info []athtypes.ColumnInfo
	for i, c := range q.columns {
		header[i] = sdkaws.String(c.name)
		info = append(info, athtypes.ColumnInfo{Name: sdkaws.String(c.name), Label: sdkaws.String(c.name), Type: sdkaws.String(c.typ),
			Nullable: athtypes.ColumnNullableUnknown})
	}
	all := append([][]*string{header}, q.rows...)
	rows, next, ok := cutPage(all, in.NextToken, "ath-", limit)
	if !ok {
		return nil, athenaErr(op, "The NextToken is not valid.")
	}
	out := &athena.GetQueryResultsOutput{ResultSet: &athtypes.ResultSet{ResultSetMetadata: &athtypes.ResultSetMetadata{ColumnInfo: info}}, UpdateCount: sdkaws.Int64(0)}
	for _, row := range rows {
		r := athtypes.Row{}
		for _, v := range row {
			r.Data = append(r.Data, athtypes.Datum{VarCharValue: v})
		}
		out.ResultSet.Rows = append(out.ResultSet.Rows, r)
	}
	out.NextToken = next
	return out, nil
}
