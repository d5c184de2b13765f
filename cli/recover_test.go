package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// The recovery commands from the command line, on versitygw: `versions`
// says what the attacker did to which object and who did it (from an
// Athena result kept as evidence), `act s3.remove-delete-marker` brings
// the deleted objects back, and `activity` compares the activity on the
// bucket before and after. The top-level dispatch of "versions" and
// "activity" is main's wiring; the commands are run here directly.

const malloryARN = "arn:aws:iam::000000000000:user/mallory"

// addAthena keeps rows as the results of an Athena by-bucket query on
// bucket, with the execution that names the bucket.
func addAthena(t *testing.T, e *testEnv, id, bucket, qid string, rows []string) {
	t.Helper()
	svc, closeDB, err := e.deps.OpenService(e.db)
	require.NoError(t, err)
	defer func() { require.NoError(t, closeDB()) }()
	ctx := context.Background()
	params := map[string]string{"QueryExecutionId": qid, "Query": app.AthenaByBucket}
	csv := "eventtime,eventname,object_key,principal,access_key,sourceipaddress,useragent,errorcode,bytes_out,eventid\n" + strings.Join(rows, "\n") + "\n"
	_, err = svc.AddEvidence(ctx, id, app.Evidence{Title: "Athena results of query by-bucket (" + qid + ")", Kind: app.EvidenceAWSResponse, MediaType: "text/csv",
		FileName: "athena-by-bucket-" + qid + ".csv", Source: app.Source{API: "GetQueryResults", Params: params}}, []byte(csv))
	require.NoError(t, err)
	_, err = svc.AddEvidence(ctx, id, app.Evidence{Title: "Athena execution of query by-bucket (" + qid + ")", Kind: app.EvidenceAWSResponse, MediaType: "application/json",
		FileName: "athena-by-bucket-" + qid + "-execution.json", Source: app.Source{API: "GetQueryExecution", Params: params}},
		[]byte(`{"QueryExecution":{"QueryExecutionId":"`+qid+`","Query":"SELECT eventtime FROM trail WHERE bucket = '`+bucket+`'"}}`))
	require.NoError(t, err)
}

// runCmd runs a command function on the env's database.
func runCmd(e *testEnv, cmd Command, args ...string) (int, string, string) {
	e.t.Helper()
	e.out.Reset()
	e.errb.Reset()
	d := e.deps
	d.db = e.db
	code := cmd(context.Background(), args, d)
	return code, e.out.String(), e.errb.String()
}

func TestRecoverFromTheCommandLine(t *testing.T) {
	bin := versityGW(t)
	sockDir, err := os.MkdirTemp("", "vgw")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(sockDir) })
	sock, dir := filepath.Join(sockDir, "iam.sock"), t.TempDir()
	for _, d := range []string{"iam", "data", "versions"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o700))
	}
	const root, secret = "recoverroot", "recoverroot-secret-for-tests"
	iamAddr, s3Addr := listenAddr(t), listenAddr(t)
	runUntilListening(t, iamAddr, bin, "--access", root, "--secret", secret, "--port", iamAddr, "--quiet", "iam", "--dir", filepath.Join(dir, "iam"), "--private-ports", sock)
	runUntilListening(t, s3Addr, bin, "--access", root, "--secret", secret, "--port", s3Addr, "--quiet", "--iam-standalone-endpoint", sock, "--iam-cache-disable",
		"posix", "--versioning-dir", filepath.Join(dir, "versions"), filepath.Join(dir, "data"))
	e := newActEnv(t)
	cred := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	require.NoError(t, os.WriteFile(cred, []byte("[default]\naws_access_key_id = "+root+"\naws_secret_access_key = "+secret+"\n"), 0o600))
	t.Setenv("AWS_ENDPOINT_URL", "http://"+s3Addr)
	t.Setenv("AWS_ENDPOINT_URL_IAM", "http://"+iamAddr)
	t.Setenv("AWS_ENDPOINT_URL_STS", "http://"+iamAddr)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(loopbackOnly(t)))
	require.NoError(t, err)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	const bucket = "payroll"
	_, err = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String(bucket)})
	require.NoError(t, err)
	_, err = s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: sdkaws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	require.NoError(t, err)
	content := func(i int) []byte { return []byte(fmt.Sprintf("employee %d\x00\xff", i)) }
	for i := range 6 {
		_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String(bucket), Key: sdkaws.String(fmt.Sprintf("2026/%d.csv", i)), Body: bytes.NewReader(content(i))})
		require.NoError(t, err)
	}
	time.Sleep(1100 * time.Millisecond)
	since := time.Now().UTC().Truncate(time.Second)
	time.Sleep(1100 * time.Millisecond)
	for i := range 3 {
		_, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: sdkaws.String(bucket), Key: sdkaws.String(fmt.Sprintf("2026/%d.csv", i))})
		require.NoError(t, err)
	}
	deletedAt := time.Now().UTC()

	id := e.newIncident("--principal", malloryARN)
	var rows []string
	for i := range 2 {
		rows = append(rows, fmt.Sprintf("%s,DeleteObject,2026/%d.csv,%s,AKIAMALLORY,198.51.100.7,aws-cli,,,ev%d", deletedAt.Format(time.RFC3339), i, malloryARN, i))
	}
	addAthena(t, e.testEnv, id, bucket, "q-before", rows)

	// What happened, and who did it.
	code, out, errOut := runCmd(e.testEnv, runVersions, id, "--bucket", bucket, "--since", since.Format(time.RFC3339))
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "of 6 key(s), 3 deleted; 3 can be brought back")
	assert.Contains(t, out, "Who made the changes, as the evidence shows: "+malloryARN+" for 2 object(s)")
	assert.Contains(t, out, "unknown for 1 object(s)")
	assert.Contains(t, out, "\n2026/0.csv: deleted\n")
	assert.Contains(t, out, "  by "+malloryARN+" (DeleteObject at ")
	assert.Contains(t, out, "from 198.51.100.7; evidence EV-")
	assert.Contains(t, out, "2026/2.csv: deleted\n")
	assert.Contains(t, out, "  by whom: unknown (no CloudTrail evidence names it)")
	assert.Contains(t, out, "bring back: version ")
	assert.Contains(t, out, "delete the marker (s3.remove-delete-marker)")
	code, out, _ = runCmd(e.testEnv, runVersions, id, "--bucket", bucket, "--since", since.Format(time.RFC3339), "--json")
	require.Equal(t, 0, code)
	var rep app.HistoryReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, 3, rep.Restorable())

	// Bring them back.
	out = e.mustAct("s3.remove-delete-marker", "--incident", id, "--bucket", bucket, "--param", "since="+since.Format(time.RFC3339), "--dry-run")
	assert.Contains(t, out, "Remove the delete markers hiding 3 object(s) in bucket payroll")
	assert.Contains(t, out, "Who made the changes, as the evidence shows: "+malloryARN+" for 2 object(s)")
	out = e.mustAct("s3.remove-delete-marker", "--incident", id, "--bucket", bucket, "--param", "since="+since.Format(time.RFC3339), "--confirm", bucket)
	assert.Contains(t, out, "verified")
	for i := range 6 {
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: sdkaws.String(bucket), Key: sdkaws.String(fmt.Sprintf("2026/%d.csv", i))})
		require.NoError(t, err)
		got, err := io.ReadAll(obj.Body)
		require.NoError(t, err)
		_ = obj.Body.Close()
		assert.Equal(t, content(i), got)
	}

	// Was that the end of it? The evidence after the mitigations shows
	// mallory refused.
	cut := time.Now().UTC().Add(time.Minute).Truncate(time.Second)
	addAthena(t, e.testEnv, id, bucket, "q-after", []string{fmt.Sprintf("%s,GetObject,2026/0.csv,%s,AKIAMALLORY,198.51.100.7,aws-cli,AccessDenied,,ev9", cut.Add(time.Hour).Format(time.RFC3339), malloryARN)})
	code, out, errOut = runCmd(e.testEnv, runActivity, id, "--bucket", bucket, "--before", cut.Format(time.RFC3339), "--after", cut.Format(time.RFC3339))
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "Activity on bucket payroll: STOPPED\n")
	assert.Contains(t, out, "the actor is still trying: "+malloryARN+" tried 1 time(s)")
	assert.Regexp(t, `suspect\s+2\s+1\s+1\s+\S+ \S+\s+`+malloryARN, out)
	assert.Contains(t, out, "|", "the mitigations are marked on the line")

	// Had one call gone through, the command says so and exits 1.
	addAthena(t, e.testEnv, id, bucket, "q-later", []string{fmt.Sprintf("%s,GetObject,2026/1.csv,%s,AKIAMALLORY,198.51.100.7,aws-cli,,,ev10", cut.Add(2*time.Hour).Format(time.RFC3339), malloryARN)})
	code, out, _ = runCmd(e.testEnv, runActivity, id, "--bucket", bucket, "--before", cut.Format(time.RFC3339))
	assert.Equal(t, exitContinues, code)
	assert.Contains(t, out, "CONTINUES")
	assert.Contains(t, out, "The attack has NOT stopped: "+malloryARN+" made 2 call(s)")
	code, out, _ = runCmd(e.testEnv, runActivity, id, "--bucket", bucket, "--before", cut.Format(time.RFC3339), "--json")
	assert.Equal(t, exitContinues, code)
	var act app.ActivityReport
	require.NoError(t, json.Unmarshal([]byte(out), &act))
	assert.Equal(t, app.ActivityContinues, act.Verdict)
	require.NotEmpty(t, act.Series)
	assert.Equal(t, malloryARN, act.Series[0].Principal)

	// Usage errors.
	for _, args := range [][]string{{id}, {id, "--bucket", bucket, "--before", "soon"}} {
		code, _, _ := runCmd(e.testEnv, runActivity, args...)
		assert.Equal(t, exitUsage, code, args)
	}
	for _, args := range [][]string{{id}, {id, "--bucket", bucket, "--until", "2026-01-01"}, {id, "--bucket", bucket, "--version-id", "v"}} {
		code, _, _ := runCmd(e.testEnv, runVersions, args...)
		assert.Equal(t, exitUsage, code, args)
	}
}
