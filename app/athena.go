package app

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Athena reads the trail's log files where they lie, in S3, so that data
// events (who read which object) can be searched at any scale: a laptop
// cannot download an organisation's years of logs, and LookupEvents never
// returns data events. The queries below are written for the table AWS
// documents for CloudTrail logs (the one the CloudTrail console creates):
// eventtime is an ISO 8601 string, useridentity a struct,
// requestparameters and additionaleventdata JSON strings.

// Athena query names, in the order the wizard offers them.
const (
	AthenaByAccessKey   = "by-access-key"
	AthenaByBucket      = "by-bucket"
	AthenaByObjectKey   = "by-object-key"
	AthenaTopReaders    = "top-readers"
	AthenaConfigChanges = "config-changes"
)

// AthenaQueryNames are the queries the wizard can write.
var AthenaQueryNames = []string{AthenaByAccessKey, AthenaByBucket, AthenaByObjectKey, AthenaTopReaders, AthenaConfigChanges}

// ConfigChangeEvents are the CloudTrail events that change who can reach
// a bucket or its objects, or how the bucket is set up, at bucket,
// account and IAM level (S3-FACTS.md), plus PutObjectAcl, the data event
// that makes single objects public.
var ConfigChangeEvents = []string{
	"PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl",
	"PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock",
	"PutBucketOwnershipControls", "DeleteBucketOwnershipControls",
	"PutBucketVersioning", "PutBucketEncryption", "DeleteBucketEncryption",
	"PutBucketLogging", "PutBucketWebsite", "PutBucketReplication",
	"PutBucketLifecycle", "PutBucketCors", "PutBucketTagging",
	"CreateBucket", "DeleteBucket",
	"PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock",
	"UpdateAssumeRolePolicy", "PutRolePolicy", "AttachRolePolicy",
	"CreateAccessKey", "UpdateAccessKey",
	"PutObjectAcl",
}

// AthenaParams are what the queries are about. Database and Table name
// the person's CloudTrail table; the rest narrow the queries that use
// them.
type AthenaParams struct {
	Database string `json:"database"`
	Table    string `json:"table"`
	// Since and Until bound eventtime; zero means unbounded, which makes
	// Athena read every log file of the table (and charge for it).
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
	// AccessKey is the key whose use to trace (by-access-key).
	AccessKey string `json:"accessKey,omitempty"`
	// Bucket is required by by-bucket and narrows the other queries.
	Bucket string `json:"bucket,omitempty"`
	// Key is the object key to trace (by-object-key).
	Key string `json:"key,omitempty"`
	// Top is how many readers top-readers lists (default 25); Limit caps
	// the rows of the other queries (default 1000).
	Top   int `json:"top,omitempty"`
	Limit int `json:"limit,omitempty"`
}

// AthenaQuery is one query written for the person to review, edit and run.
type AthenaQuery struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	SQL   string `json:"sql,omitempty"`
	// Missing says what the query needs that was not given; SQL is then
	// empty.
	Missing string `json:"missing,omitempty"`
}

// sqlString quotes s as an SQL string literal: Athena's engine (Trino)
// knows no backslash escapes, so doubling the quote is the whole escape,
// and nothing typed can end the literal early.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// sqlIdent quotes s as an identifier (a database or table name) the same
// way, with double quotes.
func sqlIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// checkInput refuses characters no bucket, key, access key or table name
// legitimately has and that would make the printed query misleading.
func checkInput(what, s string) error {
	for _, r := range s {
		if r == 0 || (unicode.IsControl(r) && r != '\t') {
			return fmt.Errorf("%w: the %s contains a control character (%U)", ErrInvalid, what, r)
		}
	}
	return nil
}

func (p AthenaParams) check() error {
	if strings.TrimSpace(p.Database) == "" || strings.TrimSpace(p.Table) == "" {
		return fmt.Errorf("%w: name the Athena database and the CloudTrail table", ErrInvalid)
	}
	if !p.Since.IsZero() && !p.Until.IsZero() && !p.Since.Before(p.Until) {
		return fmt.Errorf("%w: the window starts (%s) after it ends (%s)", ErrInvalid, p.Since.UTC().Format(time.RFC3339), p.Until.UTC().Format(time.RFC3339))
	}
	if p.Top < 0 || p.Limit < 0 {
		return fmt.Errorf("%w: row limits must be positive", ErrInvalid)
	}
	for _, f := range [][2]string{{"database", p.Database}, {"table", p.Table}, {"access key", p.AccessKey}, {"bucket", p.Bucket}, {"object key", p.Key}} {
		if err := checkInput(f[0], f[1]); err != nil {
			return err
		}
	}
	return nil
}

// from is the table, quoted.
func (p AthenaParams) from() string {
	return sqlIdent(strings.TrimSpace(p.Database)) + "." + sqlIdent(strings.TrimSpace(p.Table))
}

// window is the eventtime condition. CloudTrail writes eventtime as
// 2026-03-10T12:00:00Z, which sorts as text in time order, so the
// comparison needs no parsing of every row.
func (p AthenaParams) window() []string {
	var conds []string
	if !p.Since.IsZero() {
		conds = append(conds, "eventtime >= "+sqlString(p.Since.UTC().Format(time.RFC3339)))
	}
	if !p.Until.IsZero() {
		conds = append(conds, "eventtime < "+sqlString(p.Until.UTC().Format(time.RFC3339)))
	}
	return conds
}

func (p AthenaParams) windowWords() string {
	switch {
	case p.Since.IsZero() && p.Until.IsZero():
		return "no time window: Athena reads every log file of the table"
	case p.Since.IsZero():
		return "events before " + p.Until.UTC().Format(time.RFC3339)
	case p.Until.IsZero():
		return "events from " + p.Since.UTC().Format(time.RFC3339)
	}
	return "events from " + p.Since.UTC().Format(time.RFC3339) + " to " + p.Until.UTC().Format(time.RFC3339)
}

const (
	colBucket   = "json_extract_scalar(requestparameters, '$.bucketName')"
	colKey      = "json_extract_scalar(requestparameters, '$.key')"
	colBytesOut = "try_cast(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS double)"
)

// build assembles a query: comment lines, the select list, the table, the
// conditions (ANDed) and the tail (grouping, order, limit).
func (p AthenaParams) build(comment, selectList string, conds []string, tail string) string {
	var b strings.Builder
	b.WriteString("-- " + comment + "\n")
	b.WriteString("-- " + p.windowWords() + "\n")
	b.WriteString("SELECT " + selectList + "\n")
	b.WriteString("FROM " + p.from() + "\n")
	for i, c := range append(conds, p.window()...) {
		if i == 0 {
			b.WriteString("WHERE " + c + "\n")
		} else {
			b.WriteString("  AND " + c + "\n")
		}
	}
	b.WriteString(tail)
	return b.String()
}

func (p AthenaParams) limit() int {
	if p.Limit > 0 {
		return p.Limit
	}
	return 1000
}

// AthenaQueryFor writes one query. A query whose input is missing comes
// back with Missing set and no SQL; a bad table name or window is an
// error.
func AthenaQueryFor(name string, p AthenaParams) (AthenaQuery, error) {
	if err := p.check(); err != nil {
		return AthenaQuery{}, err
	}
	bucket, key, accessKey := p.Bucket, p.Key, strings.TrimSpace(p.AccessKey)
	s3Only := "eventsource = 's3.amazonaws.com'"
	limit := fmt.Sprintf("LIMIT %d\n", p.limit())
	q := AthenaQuery{Name: name}
	switch name {
	case AthenaByAccessKey:
		q.Title = "S3 calls made with an access key"
		if accessKey == "" {
			q.Missing = "the access key to trace"
			return q, nil
		}
		q.SQL = p.build("S3 Responder: every S3 call made with one access key, in time order",
			"eventtime, eventname, "+colBucket+" AS bucket, "+colKey+" AS object_key,\n       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,\n       "+colBytesOut+" AS bytes_out, eventid",
			[]string{s3Only, "useridentity.accesskeyid = " + sqlString(accessKey)}, "ORDER BY eventtime\n"+limit)
	case AthenaByBucket:
		q.Title = "Every call on a bucket and its objects"
		if bucket == "" {
			q.Missing = "the bucket"
			return q, nil
		}
		q.SQL = p.build("S3 Responder: every call on one bucket and its objects, in time order",
			"eventtime, eventname, "+colKey+" AS object_key,\n       useridentity.arn AS principal, useridentity.accesskeyid AS access_key, sourceipaddress, useragent,\n       errorcode, "+colBytesOut+" AS bytes_out, eventid",
			[]string{s3Only, colBucket + " = " + sqlString(bucket)}, "ORDER BY eventtime\n"+limit)
	case AthenaByObjectKey:
		q.Title = "Who touched an object, and in which bucket"
		if key == "" {
			q.Missing = "the object key"
			return q, nil
		}
		conds := []string{s3Only, colKey + " = " + sqlString(key)}
		if bucket != "" {
			conds = append(conds, colBucket+" = "+sqlString(bucket))
		}
		q.SQL = p.build("S3 Responder: every call on one object key, with its bucket, in time order",
			"eventtime, eventname, "+colBucket+" AS bucket,\n       useridentity.arn AS principal, useridentity.accesskeyid AS access_key, sourceipaddress, useragent,\n       errorcode, "+colBytesOut+" AS bytes_out, eventid",
			conds, "ORDER BY eventtime\n"+limit)
	case AthenaTopReaders:
		q.Title = "Who read the most, with bytes transferred out"
		top := p.Top
		if top <= 0 {
			top = 25
		}
		conds := []string{s3Only, "eventname = 'GetObject'", "errorcode IS NULL"}
		if bucket != "" {
			conds = append(conds, colBucket+" = "+sqlString(bucket))
		}
		q.SQL = p.build("S3 Responder: successful reads grouped by who read, most bytes out first",
			"useridentity.arn AS principal, useridentity.accesskeyid AS access_key, sourceipaddress,\n       count(*) AS reads, count(DISTINCT "+colKey+") AS objects,\n       CAST(sum(coalesce("+colBytesOut+", 0)) AS bigint) AS bytes_out,\n       min(eventtime) AS first_read, max(eventtime) AS last_read",
			conds, fmt.Sprintf("GROUP BY 1, 2, 3\nORDER BY bytes_out DESC, reads DESC\nLIMIT %d\n", top))
	case AthenaConfigChanges:
		q.Title = "Changes of bucket, account and IAM configuration"
		names := make([]string, len(ConfigChangeEvents))
		for i, n := range ConfigChangeEvents {
			names[i] = sqlString(n)
		}
		conds := []string{"eventname IN (" + strings.Join(names, ", ") + ")"}
		if bucket != "" {
			// Account and IAM changes name no bucket and still matter.
			conds = append(conds, "("+colBucket+" = "+sqlString(bucket)+" OR "+colBucket+" IS NULL)")
		}
		q.SQL = p.build("S3 Responder: calls that changed access or configuration, in time order",
			"eventtime, eventsource, eventname, "+colBucket+" AS bucket,\n       json_extract_scalar(requestparameters, '$.roleName') AS role_name,\n       useridentity.arn AS principal, useridentity.accesskeyid AS access_key, sourceipaddress,\n       errorcode, requestparameters, eventid",
			conds, "ORDER BY eventtime\n"+limit)
	default:
		return AthenaQuery{}, fmt.Errorf("%w: no Athena query named %q (the queries are %s)", ErrInvalid, name, strings.Join(AthenaQueryNames, ", "))
	}
	return q, nil
}

// AthenaQueries writes every query, in AthenaQueryNames order.
func AthenaQueries(p AthenaParams) ([]AthenaQuery, error) {
	out := make([]AthenaQuery, 0, len(AthenaQueryNames))
	for _, n := range AthenaQueryNames {
		q, err := AthenaQueryFor(n, p)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// CheckReadOnlySQL refuses SQL that is empty or is not a query: the
// wizard runs what the person reviewed, and only reads. A statement that
// could drop or alter a table, or write data, is not run from here.
func CheckReadOnlySQL(sql string) error {
	s := strings.TrimSpace(stripSQLComments(sql))
	if s == "" {
		return fmt.Errorf("%w: the query is empty", ErrInvalid)
	}
	words := strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '(' })
	if len(words) == 0 {
		return fmt.Errorf("%w: the query is empty", ErrInvalid)
	}
	first := strings.ToUpper(words[0])
	if first != "SELECT" && first != "WITH" {
		return fmt.Errorf("%w: only queries that read (SELECT or WITH) are run from S3 Responder; this one starts with %s", ErrInvalid, first)
	}
	return nil
}

// stripSQLComments removes leading -- and /* */ comments.
func stripSQLComments(sql string) string {
	s := strings.TrimSpace(sql)
	for {
		switch {
		case strings.HasPrefix(s, "--"):
			if i := strings.IndexByte(s, '\n'); i >= 0 {
				s = strings.TrimSpace(s[i+1:])
				continue
			}
			return ""
		case strings.HasPrefix(s, "/*"):
			if i := strings.Index(s, "*/"); i >= 0 {
				s = strings.TrimSpace(s[i+2:])
				continue
			}
			return ""
		}
		return s
	}
}
