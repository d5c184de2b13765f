package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// sqlToken is one token of Trino's SQL as far as quoting goes: a string
// literal (its value), a quoted identifier (its name), a comment, or a run
// of anything else.
type sqlToken struct {
	kind  string // str, ident, comment, text
	value string
}

// tokenize splits SQL the way the engine reads quotes: inside '...' a
// doubled quote is a quote and nothing else ends the literal; the same for
// "..." identifiers; -- runs to the end of the line. It fails the test on
// an unterminated literal.
func tokenize(t *testing.T, sql string) []sqlToken {
	t.Helper()
	var out []sqlToken
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			out = append(out, sqlToken{"text", text.String()})
			text.Reset()
		}
	}
	rs := []rune(sql)
	for i := 0; i < len(rs); i++ {
		switch {
		case rs[i] == '\'' || rs[i] == '"':
			flush()
			q := rs[i]
			var v strings.Builder
			closed := false
			for i++; i < len(rs); i++ {
				if rs[i] == q {
					if i+1 < len(rs) && rs[i+1] == q {
						v.WriteRune(q)
						i++
						continue
					}
					closed = true
					break
				}
				v.WriteRune(rs[i])
			}
			require.True(t, closed, "unterminated quote in %s", sql)
			kind := "str"
			if q == '"' {
				kind = "ident"
			}
			out = append(out, sqlToken{kind, v.String()})
		case rs[i] == '-' && i+1 < len(rs) && rs[i+1] == '-':
			flush()
			j := i
			for j < len(rs) && rs[j] != '\n' {
				j++
			}
			out = append(out, sqlToken{"comment", string(rs[i:j])})
			i = j - 1
		default:
			text.WriteRune(rs[i])
		}
	}
	flush()
	return out
}

// skeleton is the query with every literal's value blanked: two queries
// with the same skeleton differ only inside literals.
func skeleton(toks []sqlToken) []sqlToken {
	out := make([]sqlToken, len(toks))
	for i, tk := range toks {
		out[i] = tk
		if tk.kind == "str" || tk.kind == "ident" {
			out[i].value = "?"
		}
	}
	return out
}

func literals(toks []sqlToken, kind string) []string {
	var out []string
	for _, tk := range toks {
		if tk.kind == kind {
			out = append(out, tk.value)
		}
	}
	return out
}

var athenaBase = app.AthenaParams{
	Database: "security", Table: "cloudtrail_logs",
	Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC),
	AccessKey: "AKIAIOSFODNN7EXAMPLE", Bucket: "customer-data", Key: "exports/customers.csv",
}

func TestAthenaQueries(t *testing.T) {
	qs, err := app.AthenaQueries(athenaBase)
	require.NoError(t, err)
	require.Len(t, qs, 5)
	byName := map[string]app.AthenaQuery{}
	for i, q := range qs {
		assert.Equal(t, app.AthenaQueryNames[i], q.Name)
		assert.NotEmpty(t, q.Title)
		assert.Empty(t, q.Missing)
		require.NoError(t, app.CheckReadOnlySQL(q.SQL), q.Name)
		toks := tokenize(t, q.SQL)
		assert.Equal(t, []string{"security", "cloudtrail_logs"}, literals(toks, "ident"), "%s: the table, quoted", q.Name)
		strs := literals(toks, "str")
		assert.Contains(t, strs, "2026-03-01T00:00:00Z", q.Name)
		assert.Contains(t, strs, "2026-03-11T00:00:00Z", q.Name)
		assert.Contains(t, q.SQL, "eventtime >= '2026-03-01T00:00:00Z'\n  AND eventtime < '2026-03-11T00:00:00Z'\n", "%s: the window on eventtime as text", q.Name)
		assert.Contains(t, q.SQL, `FROM "security"."cloudtrail_logs"`, q.Name)
		byName[q.Name] = q
	}
	assert.Equal(t, `-- S3 Responder: every S3 call made with one access key, in time order
-- events from 2026-03-01T00:00:00Z to 2026-03-11T00:00:00Z
SELECT eventtime, eventname, json_extract_scalar(requestparameters, '$.bucketName') AS bucket, json_extract_scalar(requestparameters, '$.key') AS object_key,
       useridentity.arn AS principal, sourceipaddress, useragent, errorcode,
       try_cast(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS double) AS bytes_out, eventid
FROM "security"."cloudtrail_logs"
WHERE eventsource = 's3.amazonaws.com'
  AND useridentity.accesskeyid = 'AKIAIOSFODNN7EXAMPLE'
  AND eventtime >= '2026-03-01T00:00:00Z'
  AND eventtime < '2026-03-11T00:00:00Z'
ORDER BY eventtime
LIMIT 1000
`, byName[app.AthenaByAccessKey].SQL)

	tests := []struct {
		name     string
		contains []string
		absent   []string
	}{
		{app.AthenaByBucket, []string{"json_extract_scalar(requestparameters, '$.bucketName') = 'customer-data'", "eventsource = 's3.amazonaws.com'", "AS bytes_out"}, nil},
		{app.AthenaByObjectKey, []string{"json_extract_scalar(requestparameters, '$.key') = 'exports/customers.csv'", "AND json_extract_scalar(requestparameters, '$.bucketName') = 'customer-data'", "AS bucket"}, nil},
		{app.AthenaTopReaders, []string{"eventname = 'GetObject'", "errorcode IS NULL", "CAST(sum(coalesce(try_cast(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS double), 0)) AS bigint) AS bytes_out", "GROUP BY 1, 2, 3", "ORDER BY bytes_out DESC", "LIMIT 25\n"}, []string{"LIMIT 1000"}},
		{app.AthenaConfigChanges, []string{"'PutBucketPolicy'", "'DeleteBucketPublicAccessBlock'", "'PutAccountPublicAccessBlock'", "'UpdateAssumeRolePolicy'", "'PutObjectAcl'", "'CreateBucket'", "= 'customer-data' OR json_extract_scalar(requestparameters, '$.bucketName') IS NULL)", "role_name"}, []string{"eventsource = 's3.amazonaws.com'"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sql := byName[tc.name].SQL
			for _, c := range tc.contains {
				assert.Contains(t, sql, c)
			}
			for _, a := range tc.absent {
				assert.NotContains(t, sql, a)
			}
		})
	}
	t.Run("every configuration event of S3-FACTS is asked for", func(t *testing.T) {
		strs := literals(tokenize(t, byName[app.AthenaConfigChanges].SQL), "str")
		for _, ev := range app.ConfigChangeEvents {
			assert.Contains(t, strs, ev)
		}
		assert.Len(t, app.ConfigChangeEvents, 26)
	})
}

func TestAthenaQueriesMissingAndBad(t *testing.T) {
	p := app.AthenaParams{Database: "db", Table: "t"}
	qs, err := app.AthenaQueries(p)
	require.NoError(t, err)
	missing := map[string]string{}
	for _, q := range qs {
		if q.Missing != "" {
			assert.Empty(t, q.SQL)
			missing[q.Name] = q.Missing
		}
	}
	assert.Equal(t, map[string]string{app.AthenaByAccessKey: "the access key to trace", app.AthenaByBucket: "the bucket", app.AthenaByObjectKey: "the object key"}, missing)
	top, err := app.AthenaQueryFor(app.AthenaTopReaders, app.AthenaParams{Database: "db", Table: "t", Top: 5})
	require.NoError(t, err)
	assert.Contains(t, top.SQL, "-- no time window: Athena reads every log file of the table\n")
	assert.NotContains(t, top.SQL, "eventtime >=")
	assert.NotContains(t, top.SQL, "bucketName') =", "no bucket: every bucket")
	assert.Contains(t, top.SQL, "LIMIT 5\n")

	for _, tc := range []struct {
		name string
		p    app.AthenaParams
		want string
	}{
		{"no table", app.AthenaParams{Database: "db"}, "name the Athena database and the CloudTrail table"},
		{"window backwards", app.AthenaParams{Database: "db", Table: "t", Since: athenaBase.Until, Until: athenaBase.Since}, "the window starts"},
		{"newline in a bucket", app.AthenaParams{Database: "db", Table: "t", Bucket: "b\n-- x"}, "the bucket contains a control character"},
		{"NUL in a key", app.AthenaParams{Database: "db", Table: "t", Key: "a\x00b"}, "the object key contains a control character"},
		{"negative limit", app.AthenaParams{Database: "db", Table: "t", Limit: -1}, "row limits must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := app.AthenaQueries(tc.p)
			require.ErrorIs(t, err, app.ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err = app.AthenaQueryFor("drop-everything", p)
	require.ErrorIs(t, err, app.ErrInvalid)
}

// TestAthenaNoInjection writes every query with hostile inputs and proves
// that the query's structure is that of a plain input: whatever is typed
// stays inside its literal, whole.
func TestAthenaNoInjection(t *testing.T) {
	hostile := []string{
		`x' OR '1'='1`,
		`b'; DROP TABLE cloudtrail_logs; --`,
		`it''s`,
		`'`,
		`a"b`,
		`tab	here -- not a comment`,
		`/* c */ ' UNION SELECT * FROM secrets --`,
		`ключ/日本語'`,
	}
	plain, err := app.AthenaQueries(app.AthenaParams{Database: "db", Table: "t", AccessKey: "K", Bucket: "B", Key: "O", Since: athenaBase.Since})
	require.NoError(t, err)
	for _, h := range hostile {
		t.Run(h, func(t *testing.T) {
			got, err := app.AthenaQueries(app.AthenaParams{Database: "db" + h, Table: "t" + h, AccessKey: h, Bucket: h, Key: h, Since: athenaBase.Since})
			require.NoError(t, err)
			for i, q := range got {
				toks := tokenize(t, q.SQL)
				assert.Equal(t, skeleton(tokenize(t, plain[i].SQL)), skeleton(toks), "%s: the structure does not change", q.Name)
				assert.Equal(t, []string{"db" + h, "t" + h}, literals(toks, "ident"), q.Name)
				if q.Name != app.AthenaTopReaders && q.Name != app.AthenaConfigChanges {
					assert.Contains(t, literals(toks, "str"), h, "%s: the input is one literal, whole", q.Name)
				}
				require.NoError(t, app.CheckReadOnlySQL(q.SQL))
			}
		})
	}
}

func TestCheckReadOnlySQL(t *testing.T) {
	for _, tc := range []struct {
		sql string
		ok  bool
	}{
		{"SELECT 1", true},
		{"  -- a note\n/* more */\nselect * from t", true},
		{"WITH x AS (SELECT 1) SELECT * FROM x", true},
		{"(SELECT 1)", true},
		{"DROP TABLE cloudtrail_logs", false},
		{"-- SELECT\nINSERT INTO t SELECT 1", false},
		{"CREATE TABLE x AS SELECT 1", false},
		{"", false},
		{"-- only a comment", false},
		{"/* unterminated", false},
		{"((", false},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			err := app.CheckReadOnlySQL(tc.sql)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, app.ErrInvalid)
			}
		})
	}
}
