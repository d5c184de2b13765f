package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/store"
)

// genTrail is a generated AWSLogs tree and the answers it was built to give.
type genTrail struct {
	dir   string
	files []string // every log file, as written
	// reads and bytesOut are the exfiltrating key's GetObject calls.
	reads     int
	bytesOut  int64
	firstRead time.Time
	// changes are the access changes, by time.
	changes map[time.Time]string
	// firstDenied is the earliest refused call.
	firstDenied time.Time
	denied      int
}

const (
	genAccount = "111122223333"
	genReader  = "AKIAGENREADER0000001"
)

// genTrailTree writes three days of logs, two files a day: a key reading
// objects of bucket exports, an admin session changing access once a day,
// and a second user refused a few times.
func genTrailTree(t *testing.T) genTrail {
	t.Helper()
	g := genTrail{dir: t.TempDir(), changes: map[time.Time]string{}}
	changes := []struct {
		at   time.Time
		name string
		src  string
		req  string
	}{
		{time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), "PutBucketPolicy", "s3.amazonaws.com", `{"bucketName":"exports"}`},
		{time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC), "DeleteBucketPublicAccessBlock", "s3.amazonaws.com", `{"bucketName":"exports"}`},
		{time.Date(2026, 3, 3, 7, 15, 0, 0, time.UTC), "CreateAccessKey", "iam.amazonaws.com", `{"userName":"exfil"}`},
	}
	obj := 0
	for day := 1; day <= 3; day++ {
		for part := range 2 {
			var recs []string
			base := time.Date(2026, 3, day, 10+part*6, 0, 0, 0, time.UTC)
			for i := range 10 {
				at := base.Add(time.Duration(i) * time.Minute)
				n := int64(1000 * (obj + 1))
				recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::%s:user/exfil","accountId":"%[1]s","accessKeyId":"%s"},"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.%d","requestParameters":{"bucketName":"exports","key":"data/part-%03d.csv"},"additionalEventData":{"bytesTransferredOut":%d},"readOnly":true,"eventType":"AwsApiCall","managementEvent":false}`,
					genAccount, genReader, at.Format(time.RFC3339), 10+day, obj, n))
				if g.firstRead.IsZero() || at.Before(g.firstRead) {
					g.firstRead = at
				}
				g.reads++
				g.bytesOut += n
				obj++
			}
			if part == 0 {
				c := changes[day-1]
				recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::%s:assumed-role/Admin/jo","accountId":"%[1]s","accessKeyId":"ASIAGENADMIN00000002","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::%[1]s:role/Admin"}}},"eventTime":"%s","eventSource":"%s","eventName":"%s","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.1","requestParameters":%s,"readOnly":false,"managementEvent":true}`,
					genAccount, c.at.Format(time.RFC3339), c.src, c.name, c.req))
				g.changes[c.at] = c.name
			}
			if day == 2 && part == 1 {
				for i := range 3 {
					at := time.Date(2026, 3, 2, 12, i, 0, 0, time.UTC)
					recs = append(recs, fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::%s:user/bob","accountId":"%[1]s","accessKeyId":"AKIAGENBOB0000000003"},"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"GetObject","errorCode":"AccessDenied","sourceIPAddress":"192.0.2.7","requestParameters":{"bucketName":"exports","key":"secret.csv"},"readOnly":true}`,
						genAccount, at.Format(time.RFC3339)))
					if g.firstDenied.IsZero() || at.Before(g.firstDenied) {
						g.firstDenied = at
					}
					g.denied++
				}
			}
			p := filepath.Join(g.dir, "AWSLogs", genAccount, "CloudTrail", "eu-west-1", "2026", "03", fmt.Sprintf("%02d", day),
				fmt.Sprintf("%s_CloudTrail_eu-west-1_202603%02dT%02d00Z_gen%d.json.gz", genAccount, day, 10+part*6, part))
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, err := zw.Write([]byte(`{"Records":[` + strings.Join(recs, ",\n") + `]}`))
			require.NoError(t, err)
			require.NoError(t, zw.Close())
			require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
			g.files = append(g.files, p)
		}
	}
	slices.Sort(g.files)
	return g
}

// sha256sum is what `sha256sum FILE...` prints, computed here from disk.
func sha256sum(t *testing.T, files []string) string {
	t.Helper()
	var b strings.Builder
	for _, p := range files {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), p)
	}
	return b.String()
}

// incidentRecord is what an incident holds after the commands closed the
// database: its evidence with contents, its timeline, and the chain check.
type incidentRecord struct {
	evidence []app.Evidence
	content  map[string][]byte
	timeline []app.Entry
	chainErr error
}

func readIncident(t *testing.T, db, id string) incidentRecord {
	t.Helper()
	st, err := store.Open(db)
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	var r incidentRecord
	r.evidence, err = st.Evidence(ctx, id)
	require.NoError(t, err)
	r.content = map[string][]byte{}
	for _, ev := range r.evidence {
		r.content[ev.ID], err = st.EvidenceContent(ctx, ev.SHA256)
		require.NoError(t, err)
	}
	var head app.Head
	r.timeline, head, err = st.Timeline(ctx, id)
	require.NoError(t, err)
	r.chainErr = app.VerifyChain(r.timeline, head)
	return r
}

func (r incidentRecord) findings() []app.Entry {
	var out []app.Entry
	for _, e := range r.timeline {
		if e.Kind == app.KindFinding {
			out = append(out, e)
		}
	}
	return out
}

func TestTrailAnalyzeIntoIncident(t *testing.T) {
	g := genTrailTree(t)
	e := newEnv(t)
	id := e.newIncident()

	code, out, errOut := e.run("--db", e.db, "trail", "analyze", g.dir, "--incident", id, "--json")
	require.Equal(t, exitOK, code, errOut)
	var res struct {
		Files, Records int64
		Principals     []struct {
			AccessKeyID string `json:"accessKeyId"`
			GetObject   int64  `json:"getObject"`
			BytesRead   int64  `json:"bytesRead"`
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res), "stdout stays one JSON object")
	assert.Equal(t, int64(len(g.files)), res.Files)
	assert.Equal(t, int64(g.reads+len(g.changes)+g.denied), res.Records)
	require.NotEmpty(t, res.Principals)
	assert.Equal(t, genReader, res.Principals[0].AccessKeyID)
	assert.Equal(t, int64(g.reads), res.Principals[0].GetObject)
	assert.Equal(t, g.bytesOut, res.Principals[0].BytesRead)
	assert.Contains(t, errOut, "Added to incident "+id)
	assert.Contains(t, errOut, "5 findings on the timeline")

	r := readIncident(t, e.db, id)
	require.NoError(t, r.chainErr, "the timeline still verifies")
	require.Len(t, r.evidence, 2)
	summary, files := r.evidence[0], r.evidence[1]
	assert.Equal(t, "trail-summary", summary.Kind)
	assert.Equal(t, map[string]string(nil), summary.Source.Params, "no filter was set")
	var stored map[string]any
	require.NoError(t, json.Unmarshal(r.content[summary.ID], &stored))
	assert.Equal(t, float64(g.reads), stored["principals"].([]any)[0].(map[string]any)["getObject"])
	assert.Equal(t, app.HashHex(r.content[summary.ID]), summary.SHA256)

	assert.Equal(t, "file", files.Kind)
	assert.Equal(t, sha256sum(t, g.files), string(r.content[files.ID]), "every log file with its SHA-256, recomputed from disk")
	assert.Equal(t, app.HashHex(r.content[files.ID]), files.SHA256)

	fs := r.findings()
	require.Len(t, fs, 5, "one read group, three changes, one line of refusals")
	at := map[time.Time]string{}
	for _, f := range fs {
		assert.True(t, strings.HasPrefix(f.Text, "CloudTrail: "), f.Text)
		assert.Equal(t, []string{summary.ID}, f.Refs, "each finding points at the analysis")
		at[f.EventTime] = f.Text
	}
	assert.Contains(t, at[g.firstRead], "access key "+genReader)
	assert.Contains(t, at[g.firstRead], fmt.Sprintf("read %d objects", g.reads))
	for when, name := range g.changes {
		assert.Contains(t, at[when], name, "the change at %s keeps its own time", when)
	}
	assert.Contains(t, at[g.firstDenied], fmt.Sprintf("%d denied calls", g.denied))

	t.Run("a filter is kept with the evidence and in text mode the additions are on stdout", func(t *testing.T) {
		code, out, errOut := e.run("--db", e.db, "trail", "analyze", g.dir, "--incident", id, "--event", "GetObject", "--source-ip", "203.0.113.11")
		require.Equal(t, exitOK, code, errOut)
		assert.Contains(t, out, "Added to incident "+id)
		assert.Contains(t, out, "1 finding on the timeline")
		r := readIncident(t, e.db, id)
		require.NoError(t, r.chainErr)
		require.Len(t, r.evidence, 4)
		assert.Equal(t, map[string]string{"event": "GetObject", "source-ip": "203.0.113.11/32"}, r.evidence[2].Source.Params)
		require.Len(t, r.findings(), 6)
		last := r.findings()[5]
		assert.Contains(t, last.Text, "read 20 objects", "only day 1's address matches")
		assert.Equal(t, g.firstRead, last.EventTime)
	})
	t.Run("unknown incident fails before the analysis", func(t *testing.T) {
		code, out, errOut := e.run("--db", e.db, "trail", "analyze", g.dir, "--incident", "INC-20260101-ZZZZZZ")
		assert.Equal(t, exitFail, code)
		assert.Empty(t, out, "nothing was analysed")
		assert.Contains(t, errOut, "not found")
		code, _, errOut = e.run("--db", e.db, "trail", "analyze", g.dir, "--incident", " ")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, "--incident needs an incident id")
	})
}

// The log bucket is copied through the SDK from kumo, then analysed from
// the copy and recorded in an incident. No test reaches AWS: every
// endpoint is on loopback and the keys are fake.
func TestTrailDownloadAndAnalyzeFromS3(t *testing.T) {
	g := genTrailTree(t)
	e := newAWSEnv(t, defaultConfig)
	bucket := e.bucket("trail-logs", "")
	ctx := context.Background()
	for _, p := range g.files {
		rel, err := filepath.Rel(g.dir, p)
		require.NoError(t, err)
		f, err := os.Open(p)
		require.NoError(t, err)
		_, err = e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: strPtr(filepath.ToSlash(rel)), Body: f})
		_ = f.Close()
		require.NoError(t, err)
	}

	out := filepath.Join(t.TempDir(), "copy")
	code, stdout, errOut := e.call(runTrail, "", "download", "s3://"+bucket+"/AWSLogs/", "--out", out)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, stdout, "6 files copied")
	assert.Contains(t, errOut, "6 of 6 files", "progress reaches the end")
	for _, p := range g.files {
		rel, _ := filepath.Rel(g.dir, p)
		want, err := os.ReadFile(p)
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(out, rel))
		require.NoError(t, err, "the AWSLogs layout is kept")
		assert.Equal(t, want, got)
	}

	code, stdout, errOut = e.call(runTrail, "", "download", "s3://"+bucket+"/AWSLogs/", "--out", out, "--json")
	require.Equal(t, exitOK, code, errOut)
	var res app.LogDownloadResult
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	assert.Equal(t, 0, res.Downloaded)
	assert.Equal(t, 6, res.Skipped, "a second run finds everything there")

	// analyze s3:// copies into the cache folder, then analyses the copy.
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	id := e.newIncident()
	code, stdout, errOut = e.call(runTrail, "", "analyze", "s3://"+bucket+"/AWSLogs/"+genAccount+"/CloudTrail/eu-west-1/2026/03/0", "--incident", id, "--json")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "Copying s3://"+bucket)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	assert.Equal(t, 6.0, doc["files"])
	r := readIncident(t, e.db, id)
	require.NoError(t, r.chainErr)
	require.Len(t, r.evidence, 2)
	cache := filepath.Join(os.Getenv("XDG_CACHE_HOME"), "s3responder", "cloudtrail", bucket)
	var cached []string
	for _, p := range g.files {
		rel, _ := filepath.Rel(g.dir, p)
		cached = append(cached, filepath.Join(cache, rel))
	}
	assert.Equal(t, sha256sum(t, cached), string(r.content[r.evidence[1].ID]))
	assert.Len(t, r.findings(), 5)

	t.Run("errors", func(t *testing.T) {
		code, _, errOut := e.call(runTrail, "", "download", "s3://"+bucket+"/AWSLogs/")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, "--out DIR is required")
		code, _, errOut = e.call(runTrail, "", "download", "s3://", "--out", out)
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, "not an S3 location")
		code, _, errOut = e.call(runTrail, "", "download", "s3://"+e.prefix+"gone-missing/AWSLogs/", "--out", out)
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "the bucket does not exist")
	})
}

func strPtr(s string) *string { return &s }
