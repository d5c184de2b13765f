package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAthenaCommands(t *testing.T) {
	e := newAWSEnv(t, defaultConfig) // kumo answers Athena with fixed rows
	id := e.newIncident()
	table := []string{"--database", "security", "--table", "cloudtrail_logs"}

	code, out, errOut := e.call(runAthena, "", append([]string{id, "queries", "--bucket", "customer-data", "--since", "2026-03-01"}, table...)...)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "-- [by-access-key] S3 calls made with an access key: needs the access key to trace (--access-key)\n")
	assert.Contains(t, out, "-- [by-bucket] Every call on a bucket and its objects\n-- S3 Responder: every call on one bucket and its objects, in time order\n")
	assert.Contains(t, out, `FROM "security"."cloudtrail_logs"`)
	assert.Contains(t, out, "json_extract_scalar(requestparameters, '$.bucketName') = 'customer-data'")
	assert.Contains(t, out, "eventtime >= '2026-03-01T00:00:00Z'")
	assert.Contains(t, out, "-- [by-object-key] Who touched an object, and in which bucket: needs the object key (--key)\n")

	code, out, errOut = e.call(runAthena, "", append([]string{"queries", id, "--json", "--key", "a'b"}, table...)...)
	require.Equal(t, exitOK, code, errOut)
	var qs []struct{ Name, SQL, Missing string }
	require.NoError(t, json.Unmarshal([]byte(out), &qs))
	require.Len(t, qs, 5)
	assert.Contains(t, qs[2].SQL, "'a''b'", "quotes in inputs are doubled")

	t.Run("run a generated query on kumo", func(t *testing.T) {
		code, out, errOut := e.call(runAthena, "", append([]string{id, "run", "by-bucket", "--bucket", "customer-data", "--output", "s3://athena-results/"}, table...)...)
		require.Equal(t, exitOK, code, errOut)
		assert.Contains(t, out, "Query by-bucket (")
		assert.Contains(t, out, "): 1 row, 1024 bytes scanned")
		assert.Contains(t, out, "column1  column2\nvalue1   value2\n")
		assert.Contains(t, out, "Saved 2 evidence items to "+id)
		assert.Contains(t, errOut, "Running Athena query by-bucket")
		evs, contents := e.stored(id)
		require.Len(t, evs, 2)
		var csvs []string
		for _, ev := range evs {
			if ev.MediaType == "text/csv" {
				csvs = append(csvs, string(contents[ev.ID]))
			}
		}
		assert.Equal(t, []string{"column1,column2\nvalue1,value2\n"}, csvs, "the results are kept as CSV")
	})
	t.Run("run edited SQL from stdin", func(t *testing.T) {
		code, out, errOut := e.call(runAthena, "-- edited\nSELECT eventname FROM security.cloudtrail_logs LIMIT 5\n", id, "run", "--sql-file", "-", "--database", "security", "--json")
		require.Equal(t, exitOK, code, errOut)
		var res struct {
			Columns  []string   `json:"columns"`
			Rows     [][]string `json:"rows"`
			Evidence []struct{ Title string }
		}
		require.NoError(t, json.Unmarshal([]byte(out), &res))
		assert.Equal(t, [][]string{{"value1", "value2"}}, res.Rows)
		require.Len(t, res.Evidence, 2)
		assert.True(t, strings.HasPrefix(res.Evidence[0].Title, "Athena results of query custom ("), res.Evidence[0].Title)
	})
	t.Run("refusals", func(t *testing.T) {
		code, _, errOut := e.call(runAthena, "DROP TABLE security.cloudtrail_logs", id, "run", "--sql-file", "-", "--database", "security")
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "only queries that read (SELECT or WITH) are run")
		code, _, errOut = e.call(runAthena, "", append([]string{id, "run", "by-access-key"}, table...)...)
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, "query by-access-key needs the access key to trace")
		code, _, errOut = e.call(runAthena, "", append([]string{id, "run", "by-bucket", "--bucket", "b", "--output", "athena-results"}, table...)...)
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "must be an S3 address")
		code, _, _ = e.call(runAthena, "", id, "explain")
		assert.Equal(t, exitUsage, code)
		code, out, _ := e.call(runAthena, "", "--help")
		assert.Equal(t, exitOK, code)
		assert.Contains(t, out, "top-readers      who read the most")
	})
}
