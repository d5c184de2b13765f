package aws

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/trail"
)

// Restores run against versitygw, whose versioning keeps every version
// and delete marker as S3 does, deletes a marker by its version id and
// copies from a version id. "The attacker" deletes and overwrites
// objects of a versioned bucket; the restores must bring each object back
// to the exact bytes it held, leave the history as described, and undo
// must put the history back as it was.

// versionLab is a versioned bucket with its objects' original bytes.
type versionLab struct {
	g      *vgw
	bucket string
	orig   map[string][]byte
}

func newVersionLab(t *testing.T, g *vgw, bucket string, keys []string) *versionLab {
	t.Helper()
	ctx := context.Background()
	_, err := g.s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	require.NoError(t, err)
	_, err = g.s.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	require.NoError(t, err)
	l := &versionLab{g: g, bucket: bucket, orig: map[string][]byte{}}
	for i, k := range keys {
		// Random bytes, NUL and high bytes included: equal text is not
		// enough, the bytes must come back.
		data := make([]byte, 700+i*13)
		_, err := rand.Read(data)
		require.NoError(t, err)
		l.put(t, k, data)
		l.orig[k] = data
	}
	return l
}

func (l *versionLab) put(t *testing.T, key string, data []byte) {
	t.Helper()
	_, err := l.g.s.S3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &l.bucket, Key: &key, Body: bytes.NewReader(data)})
	require.NoError(t, err)
}

func (l *versionLab) del(t *testing.T, key string) {
	t.Helper()
	_, err := l.g.s.S3.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &l.bucket, Key: &key})
	require.NoError(t, err)
}

// get returns an object's bytes now, nil when it is deleted.
func (l *versionLab) get(t *testing.T, key string) []byte {
	t.Helper()
	out, err := l.g.s.S3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &l.bucket, Key: &key})
	if code := errorCode(err); code == "NoSuchKey" || code == "NotFound" {
		return nil
	}
	require.NoError(t, err, key)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	require.NoError(t, err)
	return b
}

// history lists a key's entries, newest first, as "V:etag" and "M".
func (l *versionLab) history(t *testing.T, key string) app.KeyHistory {
	t.Helper()
	c := &Changer{S3: l.g.s.S3}
	h, err := c.keyHistory(context.Background(), l.bucket, key)
	require.NoError(t, err)
	return h
}

func (l *versionLab) ids(t *testing.T, key string) []string {
	var out []string
	for _, e := range l.history(t, key).Entries() {
		out = append(out, e.VersionID)
	}
	return out
}

func TestRestoresOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	ctx := context.Background()
	var keys []string
	for i := range 24 {
		keys = append(keys, fmt.Sprintf("docs/report %02d+ü.bin", i))
	}
	keys = append(keys, "docs/untouched.bin", "other/deleted-elsewhere.bin")
	l := newVersionLab(t, g, "restore-lab", keys)
	deleted, overwritten, both := keys[0:8], keys[8:16], keys[16:24]

	// The attacker comes a little later: versions keep whole seconds here.
	time.Sleep(2100 * time.Millisecond)
	since := time.Now().UTC().Truncate(time.Second)
	time.Sleep(1100 * time.Millisecond)
	ransom := []byte("your files are encrypted")
	for _, k := range deleted {
		l.del(t, k)
	}
	for _, k := range overwritten {
		l.put(t, k, ransom)
	}
	for _, k := range both {
		l.put(t, k, ransom)
	}
	time.Sleep(3100 * time.Millisecond)
	for _, k := range both {
		l.del(t, k)
	}
	l.put(t, "docs/dropped-by-attacker.txt", ransom)
	l.del(t, "other/deleted-elsewhere.bin")
	before := map[string][]string{}
	for _, k := range keys {
		before[k] = l.ids(t, k)
	}

	e := newChangeEnv(t, g.s, false)

	// 1. Delete markers lying right on the old version: removing them
	// brings those objects back exactly, same version.
	p := e.plan(t, "s3.remove-delete-marker", map[string]string{"bucket": l.bucket, "prefix": "docs/", "since": since.Format(time.RFC3339)})
	require.NotNil(t, p.Bulk)
	assert.Equal(t, deleted, p.Bulk.Keys, "only the keys whose marker lies on the version to bring back")
	assert.Equal(t, app.ResourceObjectMarker, p.Bulk.Resource)
	assert.Equal(t, "Remove the delete markers hiding 8 object(s) in bucket restore-lab", p.Title)
	notes := strings.Join(p.Notes, "\n")
	assert.Contains(t, notes, "8 deleted")
	assert.Contains(t, notes, "Left alone, created in the window: 1 object(s), e.g. docs/dropped-by-attacker.txt.")
	assert.Contains(t, notes, "Left alone, not only a delete marker on the version to bring back")
	assert.Contains(t, notes, "8 object(s)")
	require.Len(t, p.CLI, 8)
	h0 := l.history(t, deleted[0])
	top0, _ := h0.Top()
	assert.Equal(t, "aws s3api delete-object --bucket restore-lab --key 'docs/report 00+ü.bin' --version-id "+top0.VersionID+" --region us-east-1", p.CLI[0])
	assert.Contains(t, p.Diff, `"deleteMarker": true`)
	run := e.apply(t, p)
	assert.Equal(t, 8, run.Bulk.Applied)
	for _, k := range deleted {
		require.Equal(t, l.orig[k], l.get(t, k), "%s back byte for byte", k)
		assert.Equal(t, before[k][1:], l.ids(t, k), "%s: only its delete marker is gone", k)
	}

	// 2. Everything else changed in the window: copied back.
	p2 := e.plan(t, "s3.restore-version", map[string]string{"bucket": l.bucket, "prefix": "docs/", "since": since.Format(time.RFC3339), "concurrency": "8"})
	want := append(slices.Clone(overwritten), both...)
	assert.Equal(t, want, p2.Bulk.Keys)
	assert.Equal(t, app.ResourceObjectVersion, p2.Bulk.Resource)
	assert.Equal(t, 8, p2.Bulk.Concurrency)
	assert.Contains(t, strings.Join(p2.Notes, "\n"), "8 overwritten, 8 overwritten and deleted")
	targets := app.RestoreTargets(*p2.Bulk)
	require.Len(t, targets, 16)
	orig8 := l.history(t, overwritten[0]).Versions[1]
	assert.Equal(t, orig8.VersionID, targets[overwritten[0]].Restore.VersionID, "the version from before the window")
	assert.Equal(t, "aws s3api copy-object --bucket restore-lab --key 'docs/report 08+ü.bin' --copy-source 'restore-lab/docs/report 08+ü.bin?versionId="+orig8.VersionID+"' --region us-east-1", p2.CLI[0])
	run2 := e.apply(t, p2)
	assert.Equal(t, 16, run2.Bulk.Applied)
	for _, k := range want {
		require.Equal(t, l.orig[k], l.get(t, k), "%s back byte for byte", k)
		now := l.ids(t, k)
		require.Len(t, now, len(before[k])+1, "%s: one new version, the attacker's entries kept", k)
		assert.Equal(t, before[k], now[1:])
	}
	assert.Equal(t, l.orig["docs/untouched.bin"], l.get(t, "docs/untouched.bin"))
	assert.Nil(t, l.get(t, "other/deleted-elsewhere.bin"), "outside the prefix nothing changes")
	assert.Equal(t, ransom, l.get(t, "docs/dropped-by-attacker.txt"), "a key with nothing earlier is left as it is")
	tl := e.timelineText(t)
	assert.Contains(t, tl, "Change "+p2.ID+" verified: re-reading the 16 object(s)")

	// Planning again finds nothing left to restore.
	_, err := e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.restore-version", Params: map[string]string{"bucket": l.bucket, "prefix": "docs/", "since": since.Format(time.RFC3339), "until": time.Now().UTC().Add(-3 * time.Second).Format(time.RFC3339)}})
	require.ErrorIs(t, err, app.ErrNoChange)
	assert.Contains(t, err.Error(), "changed after the window")

	// 3. Undo of the copies deletes each copy by its id: the history is
	// exactly as the attacker left it.
	e.undo(t, p2)
	for _, k := range want {
		assert.Equal(t, before[k], l.ids(t, k), k)
	}
	for _, k := range overwritten {
		assert.Equal(t, ransom, l.get(t, k))
	}
	for _, k := range both {
		assert.Nil(t, l.get(t, k))
	}
	// Undo of the marker removal hides the objects again behind a new
	// delete marker.
	e.undo(t, p)
	for _, k := range deleted {
		assert.Nil(t, l.get(t, k))
		h := l.history(t, k)
		top, _ := h.Top()
		assert.True(t, top.DeleteMarker)
		assert.Len(t, h.Entries(), len(before[k]))
	}

	// 4. The commands a plan prints do the same with the AWS CLI.
	p3 := e.plan(t, "s3.restore-version", map[string]string{"bucket": l.bucket, "keys": strings.Join(both[:3], "\n"), "since": since.Format(time.RFC3339)})
	require.Len(t, p3.CLI, 3)
	for _, cmd := range p3.CLI {
		shellCLI(t, cmd, g.s3URL, vgwRoot, vgwRootSecret)
	}
	for _, k := range both[:3] {
		require.Equal(t, l.orig[k], l.get(t, k), k)
	}
	// The undo command removes the copy the CLI made.
	shellCLI(t, app.ObjectCommand(p3.Bulk.UndoCLI, both[0], nil), g.s3URL, vgwRoot, vgwRootSecret)
	assert.Equal(t, before[both[0]], l.ids(t, both[0]))
	p4 := e.plan(t, "s3.remove-delete-marker", map[string]string{"bucket": l.bucket, "keys": deleted[0]})
	require.Len(t, p4.CLI, 1)
	shellCLI(t, p4.CLI[0], g.s3URL, vgwRoot, vgwRootSecret)
	require.Equal(t, l.orig[deleted[0]], l.get(t, deleted[0]))
	shellCLI(t, app.ObjectCommand(p4.Bulk.UndoCLI, deleted[0], nil), g.s3URL, vgwRoot, vgwRootSecret)
	assert.Nil(t, l.get(t, deleted[0]))

	// 5. One object to a version named by its id.
	old := l.history(t, overwritten[1]).Versions[1]
	p5 := e.plan(t, "s3.restore-version", map[string]string{"bucket": l.bucket, "keys": overwritten[1], "versionId": old.VersionID})
	assert.Equal(t, "Restore s3://restore-lab/"+overwritten[1]+" to version "+old.VersionID, p5.Title)
	e.apply(t, p5)
	assert.Equal(t, l.orig[overwritten[1]], l.get(t, overwritten[1]))
}

func TestRestoreRefusals(t *testing.T) {
	g := startVersityIAM(t)
	ctx := context.Background()
	e := newChangeEnv(t, g.s, false)
	_, err := g.s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String("never-versioned")})
	require.NoError(t, err)
	plan := func(action string, params map[string]string) error {
		_, err := e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: action, Params: params})
		return err
	}
	err = plan("s3.remove-delete-marker", map[string]string{"bucket": "never-versioned"})
	require.ErrorIs(t, err, app.ErrNoChange)
	assert.Contains(t, err.Error(), "never had versioning on")
	for name, tc := range map[string]struct {
		action string
		params map[string]string
		want   string
	}{
		"window needed":      {"s3.restore-version", map[string]string{"bucket": "b"}, "say since when"},
		"version of one key": {"s3.restore-version", map[string]string{"bucket": "b", "versionId": "x"}, "exactly one key"},
		"version or window":  {"s3.restore-version", map[string]string{"bucket": "b", "keys": "k", "versionId": "x", "since": "2026-01-01"}, "not both"},
		"until after since":  {"s3.remove-delete-marker", map[string]string{"bucket": "b", "since": "2026-01-02", "until": "2026-01-01T10:00"}, "is not after since"},
		"until alone":        {"s3.remove-delete-marker", map[string]string{"bucket": "b", "until": "2026-01-02"}, "until needs since"},
		"bad time":           {"s3.remove-delete-marker", map[string]string{"bucket": "b", "since": "yesterday"}, "is not a time"},
		"keys and prefix":    {"s3.remove-delete-marker", map[string]string{"bucket": "b", "keys": "a", "prefix": "p/"}, "not both"},
	} {
		t.Run(name, func(t *testing.T) {
			err := plan(tc.action, tc.params)
			require.ErrorIs(t, err, app.ErrInvalid)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// shellCLI runs a command line a plan printed, unchanged, with the AWS CLI
// of the Debian package: every "aws" in it, those of command
// substitutions included, is a shell function that adds the endpoint.
func shellCLI(t *testing.T, command, endpoint, access, secret string) string {
	t.Helper()
	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("%s is missing: install the Debian package awscli (scripts/deps.sh test)", cli)
	}
	home := t.TempDir()
	script := "aws() { " + cli + ` --endpoint-url "$ENDPOINT" "$@"; }` + "\n" + command + "\n"
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "ENDPOINT=" + endpoint, "AWS_ACCESS_KEY_ID=" + access, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER="}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", command, out)
	return string(out)
}

// TestObjectHistoryNamesWhoDidIt lists what happened to a bucket's objects
// and says who did it from the incident's CloudTrail evidence: an Athena
// result naming each deleted object (exact), and an offline analysis of
// log files in which one principal wrote to the bucket at the time of the
// overwrites (likely, since such an analysis names no object).
func TestObjectHistoryNamesWhoDidIt(t *testing.T) {
	g := startVersityIAM(t)
	ctx := context.Background()
	keys := []string{"k0", "k1", "k2", "k3", "k4", "k5", "k6"}
	l := newVersionLab(t, g, "restore-who", keys)
	time.Sleep(1100 * time.Millisecond)
	since := time.Now().UTC().Truncate(time.Second)
	time.Sleep(1100 * time.Millisecond)
	for _, k := range []string{"k0", "k1", "k5"} {
		l.del(t, k)
	}
	for _, k := range []string{"k2", "k3", "k4"} {
		l.put(t, k, []byte("overwritten"))
	}
	top := func(k string) app.ObjectVersion {
		v, ok := l.history(t, k).Top()
		require.True(t, ok)
		return v
	}
	e := newChangeEnv(t, g.s, false)

	// Athena's by-bucket results: mallory's deletes of k0 and k1, and a
	// refused delete of k5 by someone else (a refusal changes nothing).
	const mallory = "arn:aws:iam::000000000000:user/mallory"
	csvRows := "eventtime,eventname,object_key,principal,access_key,sourceipaddress,useragent,errorcode,bytes_out,eventid\n"
	for _, k := range []string{"k0", "k1"} {
		csvRows += fmt.Sprintf("%s,DeleteObject,%s,%s,AKIAMALLORY000000001,198.51.100.7,aws-cli/2,,,%s-ev\n", top(k).LastModified.Format(time.RFC3339), k, mallory, k)
	}
	csvRows += fmt.Sprintf("%s,DeleteObject,k5,arn:aws:iam::000000000000:user/bob,AKIABOB,10.0.0.1,aws-cli/2,AccessDenied,,k5-ev\n", top("k5").LastModified.Format(time.RFC3339))
	params := map[string]string{"QueryExecutionId": "q-1", "Query": app.AthenaByBucket}
	_, err := e.svc.AddEvidence(ctx, e.inc, app.Evidence{Title: "Athena results of query by-bucket", Kind: app.EvidenceAWSResponse, MediaType: "text/csv",
		FileName: "athena-by-bucket-q-1.csv", Source: app.Source{API: "GetQueryResults", Params: params}}, []byte(csvRows))
	require.NoError(t, err)
	_, err = e.svc.AddEvidence(ctx, e.inc, app.Evidence{Title: "Athena execution of query by-bucket", Kind: app.EvidenceAWSResponse, MediaType: "application/json",
		FileName: "athena-by-bucket-q-1-execution.json", Source: app.Source{API: "GetQueryExecution", Params: params}},
		[]byte(`{"QueryExecution":{"Query":"SELECT eventtime FROM cloudtrail WHERE json_extract_scalar(requestparameters, '$.bucketName') = 'restore-who'"}}`))
	require.NoError(t, err)

	// CloudTrail log files: eve wrote to the bucket when k2..k4 changed.
	dir := t.TempDir()
	var records []string
	for _, k := range []string{"k2", "k3"} {
		records = append(records, fmt.Sprintf(`{"eventVersion":"1.09","eventTime":%q,"eventSource":"s3.amazonaws.com","eventName":"PutObject","awsRegion":"us-east-1",
 "sourceIPAddress":"203.0.113.9","userAgent":"curl","readOnly":false,"eventCategory":"Data","eventType":"AwsApiCall","recipientAccountId":"000000000000",
 "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::000000000000:user/eve","accountId":"000000000000","accessKeyId":"AKIAEVE0000000000001","userName":"eve"},
 "requestParameters":{"bucketName":"restore-who","key":%q}}`, top(k).LastModified.Format(time.RFC3339), k))
	}
	logFile := filepath.Join(dir, "000000000000_CloudTrail_us-east-1_20261126T0000Z_abc.json")
	require.NoError(t, os.WriteFile(logFile, []byte(`{"Records":[`+strings.Join(records, ",")+`]}`), 0o600))
	f := trail.Filter{Buckets: []string{"restore-who"}}
	res, err := trail.Analyze(ctx, []string{dir}, trail.Options{Filter: f})
	require.NoError(t, err)
	require.EqualValues(t, 2, res.Matched)
	_, err = trail.AddToIncident(ctx, e.svc, e.inc, res, f, []string{dir})
	require.NoError(t, err)

	rep, saved, err := e.svc.ObjectHistory(ctx, e.inc, app.Profile{}, app.HistoryQuery{Bucket: "restore-who", Window: app.RestoreWindow{Since: since}})
	require.NoError(t, err)
	assert.Equal(t, 7, rep.Keys)
	assert.Equal(t, map[string]int{app.KeyDeleted: 3, app.KeyOverwritten: 3}, rep.Counts)
	require.Len(t, rep.Changed, 6)
	byKey := map[string]app.KeyChange{}
	for _, k := range rep.Changed {
		byKey[k.Key] = k
	}
	require.Len(t, byKey["k0"].By, 1)
	assert.Equal(t, app.ChangeAuthor{Principal: mallory, AccessKeyID: "AKIAMALLORY000000001", SourceIP: "198.51.100.7", EventName: "DeleteObject",
		EventTime: top("k0").LastModified.Truncate(time.Second), Exact: true, Evidence: byKey["k0"].By[0].Evidence}, byKey["k0"].By[0])
	require.Len(t, byKey["k4"].By, 1)
	assert.False(t, byKey["k4"].By[0].Exact)
	assert.Equal(t, "arn:aws:iam::000000000000:user/eve", byKey["k4"].By[0].Principal)
	assert.Empty(t, byKey["k5"].By, "a refused call made no change")
	require.NotNil(t, byKey["k2"].Restore)
	require.Len(t, rep.By, 2)
	assert.Equal(t, app.PrincipalCount{Principal: "arn:aws:iam::000000000000:user/eve", Likely: 3, Evidence: rep.By[0].Evidence}, rep.By[0])
	assert.Equal(t, mallory, rep.By[1].Principal)
	assert.Equal(t, 2, rep.By[1].Exact)
	assert.Equal(t, 1, rep.Unknown)
	summary := rep.Summary()
	assert.Contains(t, summary, "of 7 key(s), 3 deleted, 3 overwritten; 6 can be brought back")
	assert.Contains(t, summary, "probably arn:aws:iam::000000000000:user/eve for 3 object(s)")
	assert.Contains(t, summary, mallory+" for 2 object(s) (CloudTrail events naming them")
	assert.Contains(t, summary, "unknown for 1 object(s)")
	require.Len(t, saved.Evidence, 1)
	assert.Contains(t, e.timelineText(t), "finding: "+summary)

	// The restore plan says the same to the person confirming it.
	p := e.plan(t, "s3.restore-version", map[string]string{"bucket": "restore-who", "since": since.Format(time.RFC3339)})
	assert.Contains(t, strings.Join(p.Notes, "\n"), "Who made the changes, as the evidence shows: probably arn:aws:iam::000000000000:user/eve for 3 object(s)")
}

// versionLists counts the ListObjectVersions requests a client sends.
type versionLists struct {
	next  http.RoundTripper
	count atomic.Int64
}

func (v *versionLists) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && r.URL.Query().Has("versions") {
		v.count.Add(1)
	}
	return v.next.RoundTrip(r)
}

// TestDeletedObjectsShareListingPages reads the state of many deleted
// objects: versitygw's HEAD does not say that a delete marker hides an
// object, so the history tells, and one listing page serves hundreds of
// objects instead of one listing each (which scans the bucket there).
func TestDeletedObjectsShareListingPages(t *testing.T) {
	g := startVersityIAM(t)
	ctx := context.Background()
	var keys []string
	for i := range 600 {
		keys = append(keys, fmt.Sprintf("gone/%04d", i))
	}
	l := newVersionLab(t, g, "pages", keys)
	for _, k := range keys {
		l.del(t, k)
	}
	lists := &versionLists{next: loopbackClient(t).Transport}
	c := &Changer{S3: s3.New(g.s.S3.Options(), func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: lists} })}
	read := func(k string) string {
		st, err := c.ReadState(ctx, app.Resource{Kind: app.ResourceObjectVersion, ID: map[string]string{"bucket": "pages", "key": k}})
		require.NoError(t, err)
		return string(st)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	states := make([]string, len(keys))
	for i, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			states[i] = read(k)
		}()
	}
	wg.Wait()
	for i, k := range keys {
		require.JSONEq(t, `{"key":"`+k+`","deleteMarker":true}`, states[i], k)
	}
	assert.LessOrEqual(t, lists.count.Load(), int64(8), "a page of 1,000 entries serves about 500 deleted objects")
	assert.Equal(t, "null", read("gone/0100x"), "a key inside a page listed a moment ago, without any entry, is gone")

	// HEAD answers for an object that exists again, whatever a page said
	// a moment ago; a key the change writes is listed afresh.
	l.put(t, keys[5], []byte("back"))
	assert.Contains(t, read(keys[5]), `"size":4`)
	before := lists.count.Load()
	c.restores.forget("pages", keys[5])
	l.del(t, keys[5])
	assert.JSONEq(t, `{"key":"`+keys[5]+`","deleteMarker":true}`, read(keys[5]))
	assert.Equal(t, before+1, lists.count.Load())
}
