package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// trailRun runs "trail ARGS..." with buffers; it needs no database.
func trailRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runTrail(context.Background(), args, Deps{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

const trailLog = `{"Records":[
{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/svc","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEKEY000001"},
 "eventTime":"2026-03-02T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"203.0.113.5",
 "requestParameters":{"bucketName":"exports","key":"a.csv"},"additionalEventData":{"bytesTransferredOut":2500000.0},"readOnly":true},
{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/svc","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEKEY000001"},
 "eventTime":"2026-03-02T10:05:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"203.0.113.6",
 "requestParameters":{"bucketName":"exports","key":"b.csv"},"additionalEventData":{"bytesTransferredOut":500000},"readOnly":true},
{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/jo","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEKEY000002",
  "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/Admin"}}},
 "eventTime":"2026-03-01T09:00:00Z","eventSource":"s3.amazonaws.com","eventName":"DeleteBucketPublicAccessBlock","sourceIPAddress":"198.51.100.1",
 "requestParameters":{"bucketName":"exports"},"readOnly":false}
]}`

func trailTree(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "eu-west-1", "2026", "03", "02", "111122223333_CloudTrail_eu-west-1_20260302T1000Z_abc.json.gz")
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(trailLog))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.json"), []byte(`{"Records":[{"eventName":`), 0o644))
	return dir, p
}

func TestTrailAnalyzeJSONContract(t *testing.T) {
	dir, _ := trailTree(t)
	code, out, errOut := trailRun(t, "analyze", dir, "--json")
	require.Equal(t, exitOK, code, errOut)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, 2.0, doc["files"])
	assert.Equal(t, 3.0, doc["records"])
	errs := doc["errors"].([]any)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].(map[string]any)["file"], "broken.json")
	assert.Contains(t, errs[0].(map[string]any)["error"], "malformed JSON")

	ps := doc["principals"].([]any)
	require.Len(t, ps, 2)
	p := ps[0].(map[string]any)
	for _, k := range []string{"accessKeyId", "arn", "events", "getObject", "bytesRead", "otherBytesOut", "sourceIPs"} {
		assert.Contains(t, p, k)
	}
	assert.Equal(t, "AKIAEXAMPLEKEY000001", p["accessKeyId"])
	assert.Equal(t, 2.0, p["getObject"])
	assert.Equal(t, 3000000.0, p["bytesRead"])
	assert.Len(t, p["sourceIPs"], 2)

	objs := doc["objectsRead"].([]any)
	require.Len(t, objs, 2)
	o := objs[0].(map[string]any)
	assert.Equal(t, map[string]any{"bucket": "exports", "key": "a.csv", "reads": 1.0, "bytesOut": 2500000.0},
		map[string]any{"bucket": o["bucket"], "key": o["key"], "reads": o["reads"], "bytesOut": o["bytesOut"]})

	ch := doc["configChanges"].([]any)
	require.Len(t, ch, 1)
	c := ch[0].(map[string]any)
	assert.Equal(t, "2026-03-01T09:00:00Z", c["eventTime"])
	assert.Equal(t, "DeleteBucketPublicAccessBlock", c["eventName"])
	assert.Equal(t, "exports", c["bucket"])
	assert.Equal(t, "arn:aws:sts::111122223333:assumed-role/Admin/jo", c["principal"])
}

func TestTrailAnalyzeText(t *testing.T) {
	dir, _ := trailTree(t)
	code, out, _ := trailRun(t, "analyze", "--access-key", "AKIAEXAMPLEKEY000001", dir)
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "access key AKIAEXAMPLEKEY000001 (arn:aws:iam::111122223333:user/svc) read 2 objects (3.0 MB) from bucket exports between 2026-03-02 10:00:00 UTC and 2026-03-02 10:05:00 UTC, from 2 IP addresses")
	assert.Contains(t, out, "Principals (1)")
	assert.Contains(t, out, "Objects read (2)")
	assert.Contains(t, out, "Files with problems (1)")
	assert.NotContains(t, out, "DeleteBucketPublicAccessBlock", "the filter leaves the admin's change out")
}

func TestTrailAnalyzeJSONIsTheSameWhateverTheWorkers(t *testing.T) {
	dir, _ := trailTree(t)
	// More files, so that the workers share them.
	for i := range 6 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "copy"+string(rune('a'+i))+".json"),
			[]byte(strings.ReplaceAll(trailLog, "203.0.113.", "192.0.2."+string(rune('1'+i)))), 0o644))
	}
	code, one, errOut := trailRun(t, "analyze", dir, "--json", "--workers", "1")
	require.Equal(t, exitOK, code, errOut)
	for range 3 {
		code, four, errOut := trailRun(t, "analyze", dir, "--json", "--workers", "4")
		require.Equal(t, exitOK, code, errOut)
		require.Equal(t, one, four)
	}
}

func TestTrailAnalyzeReadsALakeExport(t *testing.T) {
	// One record per line, eventTime as CloudTrail Lake writes it.
	dir := t.TempDir()
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(trailLog, `{"Records":[`+"\n"), "\n]}"), "},\n{") {
		l = strings.TrimSuffix(strings.TrimPrefix(l, "{"), "}")
		l = regexp.MustCompile(`"eventTime":"(\d{4}-\d\d-\d\d)T([\d:]{8})Z"`).ReplaceAllString(strings.ReplaceAll(l, "\n", ""), `"eventTime":"$1 $2.000000000"`)
		lines = append(lines, "{"+l+"}")
	}
	p := filepath.Join(dir, "lake-export.json")
	require.NoError(t, os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644))

	code, out, errOut := trailRun(t, "analyze", p, "--json")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, `"matched": 3`)
	assert.Contains(t, out, `"unreadableTimeRecords": 0`)
	assert.Contains(t, out, `"errors": []`)
	code, out, _ = trailRun(t, "analyze", p, "--until", "2000-01-01", "--json")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, `"matched": 0`, "nothing in the export is from before 2000")
	code, out, _ = trailRun(t, "analyze", p, "--since", "2026-03-02T10:01:00Z", "--json")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, `"matched": 1`)
}

func TestTrailAnalyzeFlags(t *testing.T) {
	dir, _ := trailTree(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"role filter", []string{"analyze", dir, "--principal", "arn:aws:iam::111122223333:role/Admin", "--json"}, exitOK, `"matched": 1`},
		{"CIDR and window", []string{"analyze", dir, "--source-ip", "203.0.113.0/24", "--since", "2026-03-02T10:01:00Z", "--until", "2026-03-03", "--json"}, exitOK, `"matched": 1`},
		{"write-only", []string{"analyze", dir, "--write-only", "--json"}, exitOK, `"matched": 1`},
		{"event list", []string{"analyze", dir, "--event", "GetObject,PutBucketPolicy", "--json"}, exitOK, `"matched": 2`},
		{"bad time", []string{"analyze", dir, "--since", "last tuesday"}, exitUsage, "not a time"},
		{"bad address", []string{"analyze", dir, "--source-ip", "10.0.0.300"}, exitUsage, "not an IP address"},
		{"read and write only", []string{"analyze", dir, "--read-only", "--write-only"}, exitUsage, "exclude each other"},
		{"window backwards", []string{"analyze", dir, "--since", "2026-03-02", "--until", "2026-03-01T00:00:00Z"}, exitUsage, "before --until"},
		{"no path", []string{"analyze"}, exitUsage, "missing arguments"},
		{"nothing to read", []string{"analyze", t.TempDir()}, exitFail, "no CloudTrail log file"},
		{"unknown subcommand", []string{"frobnicate"}, exitUsage, "unknown trail subcommand"},
		{"help", []string{"analyze", "--help"}, exitOK, "--key-prefix"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := trailRun(t, tc.args...)
			assert.Equal(t, tc.code, code, "stdout %s\nstderr %s", out, errOut)
			assert.Contains(t, out+errOut, tc.want)
		})
	}
}

func TestTrailVerify(t *testing.T) {
	dir, logPath := trailTree(t)
	sum := sha256.Sum256([]byte(trailLog))
	key := "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/02/" + filepath.Base(logPath)
	digest := `{"awsAccountId":"111122223333","digestStartTime":"2026-03-02T10:00:00Z","digestEndTime":"2026-03-02T11:00:00Z",
		"digestS3Bucket":"b","digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/03/02/111122223333_CloudTrail-Digest_eu-west-1_t_eu-west-1_20260302T110000Z.json.gz",
		"previousDigestSignature":null,"logFiles":[{"s3Bucket":"b","s3Object":"` + key + `","hashValue":"` + hex.EncodeToString(sum[:]) + `","hashAlgorithm":"SHA-256"}]}`
	dp := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail-Digest", "eu-west-1", "2026", "03", "02", "111122223333_CloudTrail-Digest_eu-west-1_t_eu-west-1_20260302T110000Z.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(dp), 0o755))
	require.NoError(t, os.WriteFile(dp, []byte(digest), 0o644))
	require.NoError(t, os.Remove(filepath.Join(dir, "broken.json")))

	// The newest digest's signature is only in S3 metadata: without it the
	// digest is not authenticated.
	code, out, errOut := trailRun(t, "verify", dir)
	require.Equal(t, exitFail, code, out+errOut)
	assert.Contains(t, out, "unsigned")
	assert.Contains(t, out, filepath.Base(dp)+".sig")

	require.NoError(t, os.WriteFile(dp+".sig", []byte("00\n"), 0o644))
	code, out, errOut = trailRun(t, "verify", dir)
	require.Equal(t, exitOK, code, out+errOut)
	assert.Contains(t, out, "signatures not checked")
	assert.Contains(t, out, "1 verified, 0 altered, 0 missing")
	assert.Contains(t, out, "1 verified, 0 altered, 0 missing")

	code, out, _ = trailRun(t, "analyze", dir, "--json")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, `"skippedDigestFiles": 1`)

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(strings.Replace(trailLog, "203.0.113.5", "203.0.113.9", 1)))
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(logPath, buf.Bytes(), 0o644))
	code, out, _ = trailRun(t, "verify", dir, "--json")
	require.Equal(t, exitFail, code)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.Equal(t, 1.0, res["logsAltered"])
	assert.Equal(t, false, res["ok"])

	pk := filepath.Join(t.TempDir(), "key.pem")
	require.NoError(t, os.WriteFile(pk, []byte("not a key"), 0o644))
	code, _, errOut = trailRun(t, "verify", dir, "--public-key", pk)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "read public key")
}
