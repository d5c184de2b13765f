package trail

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	exfilKey  = "AKIAEXAMPLEEXFIL0001"
	exfilARN  = "arn:aws:iam::111122223333:user/svc-reports"
	exfilB    = "prod-customer-exports"
	aliceKey  = "AKIAEXAMPLEALICE0001"
	aliceARN  = "arn:aws:iam::111122223333:user/alice"
	bobKey    = "AKIAEXAMPLEBOB000001"
	janeKey   = "ASIAEXAMPLEADMINSS01"
	assetsB   = "prod-app-assets"
	ipA, ipB  = "185.220.101.7", "185.220.101.44"
	bobIP     = "198.51.100.11"
	treeFiles = 6
)

// buildTree writes an AWSLogs tree whose answers are worked out by hand in
// the comments, plus a digest file, files that must be ignored and three
// broken files.
func buildTree(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	base := filepath.Join(root, "AWSLogs", acct, "CloudTrail")
	name := func(region, day, suffix string) string {
		return filepath.Join(base, region, "2026", "03", day, fmt.Sprintf("%s_CloudTrail_%s_202603%sT1000Z_%s", acct, region, day, suffix))
	}

	// Day 1: a bucket policy change by an admin session, a service write,
	// and a new access key made by a caller from another account.
	writeFile(t, name("eu-west-1", "01", "aaaaaaaaaaaaaaaa.json.gz"), gz(t, logJSON(t,
		rec(t, putBucketPolicyJSON, nil),
		rec(t, serviceEventJSON, nil),
		rec(t, createAccessKeyJSON, nil),
	)))

	// Day 2: the stolen key reads k1..k5 (1,000..5,000 bytes) from two
	// addresses, bob is refused three times.
	var day2 []map[string]any
	for i := 1; i <= 5; i++ {
		ip := ipA
		if i%2 == 0 {
			ip = ipB
		}
		day2 = append(day2, rec(t, getObjectJSON, map[string]any{
			"eventTime":             fmt.Sprintf("2026-03-02T10:0%d:00Z", i-1),
			"eventID":               fmt.Sprintf("exfil-%d", i),
			"sourceIPAddress":       ip,
			"requestParameters.key": fmt.Sprintf("exports/k%d.csv", i),
			"additionalEventData.bytesTransferredOut": float64(i * 1000),
		}))
	}
	for i := range 3 {
		day2 = append(day2, rec(t, deniedJSON, map[string]any{"eventTime": fmt.Sprintf("2026-03-02T11:0%d:00Z", i), "sourceIPAddress": bobIP}))
	}
	writeFile(t, name("eu-west-1", "02", "bbbbbbbbbbbbbbbb.json.gz"), gz(t, logJSON(t, day2...)))

	// Day 2, another Region, not compressed: the stolen key reads k1 again;
	// alice reads img/a.png twice (10 and 20 bytes) and misses once.
	alice := func(when, key, code string, bytes float64) map[string]any {
		m := rec(t, getObjectJSON, map[string]any{
			"eventTime": when, "userIdentity.arn": aliceARN, "userIdentity.accessKeyId": aliceKey, "userIdentity.userName": "alice",
			"sourceIPAddress": "198.51.100.10", "requestParameters.bucketName": assetsB, "requestParameters.key": key,
			"additionalEventData.bytesTransferredOut": bytes, "resources": nil,
		})
		if code != "" {
			m["errorCode"] = code
		}
		return m
	}
	writeFile(t, name("us-east-1", "02", "cccccccccccccccc.json"), logJSON(t,
		rec(t, getObjectJSON, map[string]any{"eventTime": "2026-03-02T10:10:00Z", "eventID": "exfil-6", "requestParameters.key": "exports/k1.csv", "additionalEventData.bytesTransferredOut": 1000.0}),
		alice("2026-03-02T12:00:00Z", "img/a.png", "", 10),
		alice("2026-03-02T12:30:00Z", "img/a.png", "", 20),
		alice("2026-03-02T12:45:00Z", "img/missing.png", "NoSuchKey", 300),
	))

	// Broken files. The truncated one holds one record cut in half.
	whole := gz(t, logJSON(t, rec(t, getObjectJSON, nil)))
	writeFile(t, name("eu-west-1", "02", "truncated.json.gz"), whole[:len(whole)/2])
	writeFile(t, name("eu-west-1", "02", "policy.json"), []byte(`{"Version":"2012-10-17","Statement":[]}`))
	listBuckets := func(when string) map[string]any {
		return rec(t, deniedJSON, map[string]any{"eventTime": when, "eventName": "ListBuckets", "errorCode": nil, "errorMessage": nil,
			"requestParameters": nil, "additionalEventData": nil, "eventCategory": "Management"})
	}
	good := string(logJSON(t, listBuckets("2026-03-02T09:00:00Z"), listBuckets("2026-03-02T09:01:00Z")))
	writeFile(t, name("eu-west-1", "02", "malformed.json"), []byte(strings.TrimSuffix(good, "]}")+`,{"eventName":`))

	// Not analysed: a digest, a hidden companion file, a text file.
	writeFile(t, filepath.Join(root, "AWSLogs", acct, "CloudTrail-Digest", "eu-west-1", "2026", "03", "02",
		acct+"_CloudTrail-Digest_eu-west-1_trail_eu-west-1_20260302T110000Z.json.gz"), gz(t, []byte(`{"logFiles":[]}`)))
	writeFile(t, filepath.Join(base, "eu-west-1", "2026", "03", "02", "._bbbbbbbbbbbbbbbb.json.gz"), []byte{0, 1, 2})
	writeFile(t, filepath.Join(root, "README.txt"), []byte("copied from the log bucket"))
	return root
}

func principalByKey(t *testing.T, r *Result, key, name string) Principal {
	t.Helper()
	for _, p := range r.Principals {
		if p.AccessKeyID == key && (name == "" || p.Name == name) {
			return p
		}
	}
	t.Fatalf("no principal %q %q in %+v", key, name, r.Principals)
	return Principal{}
}

func TestAnalyzeTreeKnownAnswers(t *testing.T) {
	root := buildTree(t)
	res, err := Analyze(context.Background(), []string{root}, Options{})
	require.NoError(t, err)

	assert.Equal(t, int64(treeFiles), res.Files)
	assert.Equal(t, int64(3+8+4+2), res.Records)
	assert.Equal(t, int64(17), res.Matched)
	assert.Equal(t, int64(1), res.SkippedDigests)
	require.Len(t, res.Errors, 3)
	byFile := map[string]FileError{}
	for _, e := range res.Errors {
		byFile[filepath.Base(e.File)[len(acct)+len("_CloudTrail_eu-west-1_20260302T1000Z_"):]] = e
	}
	assert.Contains(t, byFile["truncated.json.gz"].Reason, "unexpected EOF")
	assert.Equal(t, int64(0), byFile["truncated.json.gz"].Records)
	assert.Contains(t, byFile["policy.json"].Reason, "not a CloudTrail log file")
	assert.Contains(t, byFile["malformed.json"].Reason, "malformed JSON")
	assert.Equal(t, int64(2), byFile["malformed.json"].Records, "records before the fault are kept")

	exfil := principalByKey(t, res, exfilKey, "")
	assert.Equal(t, exfilARN, exfil.ARN)
	assert.Equal(t, "IAMUser", exfil.Type)
	assert.Equal(t, int64(6), exfil.Events)
	assert.Equal(t, int64(6), exfil.GetObject)
	assert.Equal(t, int64(16000), exfil.BytesRead)
	assert.Equal(t, int64(0), exfil.OtherBytesOut)
	assert.Equal(t, []string{ipA, ipB}, exfil.SourceIPs, "most used address first")
	assert.Equal(t, []NameCount{{ipA, 4}, {ipB, 2}}, exfil.IPCounts)
	assert.Equal(t, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), exfil.FirstSeen)
	assert.Equal(t, time.Date(2026, 3, 2, 10, 10, 0, 0, time.UTC), exfil.LastSeen)
	assert.Len(t, exfil.UserAgents, 1)

	bob := principalByKey(t, res, bobKey, "")
	assert.Equal(t, int64(5), bob.Events)
	assert.Equal(t, int64(3), bob.Denied)
	assert.Equal(t, int64(0), bob.GetObject)
	assert.Equal(t, int64(0), bob.BytesRead, "a refused read sends no object data")
	assert.Equal(t, int64(3*243), bob.OtherBytesOut, "the error documents are other bytes")
	alice := principalByKey(t, res, aliceKey, "")
	assert.Equal(t, int64(3), alice.Events)
	assert.Equal(t, int64(2), alice.GetObject, "a NoSuchKey is not a read")
	assert.Equal(t, int64(30), alice.BytesRead)
	assert.Equal(t, int64(300), alice.OtherBytesOut, "the NoSuchKey response is not object data")
	jane := principalByKey(t, res, janeKey, "")
	assert.Equal(t, "arn:aws:iam::111122223333:role/AdminRole", jane.Role)
	svc := principalByKey(t, res, "", "cloudtrail.amazonaws.com")
	assert.Equal(t, "", svc.ARN)
	assert.Equal(t, "AWSService", svc.Type)
	ext := principalByKey(t, res, "", "account 444455556666 principal AIDAEXTERNALEXAMPLE1")
	assert.Equal(t, int64(1), ext.Events)
	assert.Len(t, res.Principals, 6)
	assert.Equal(t, exfilKey, res.Principals[0].AccessKeyID, "most data out first")

	want := []struct {
		bucket, key  string
		reads, bytes int64
	}{
		{exfilB, "exports/k5.csv", 1, 5000}, {exfilB, "exports/k4.csv", 1, 4000}, {exfilB, "exports/k3.csv", 1, 3000},
		{exfilB, "exports/k1.csv", 2, 2000}, {exfilB, "exports/k2.csv", 1, 2000}, {assetsB, "img/a.png", 2, 30},
	}
	require.Len(t, res.ObjectsRead, len(want))
	for i, w := range want {
		o := res.ObjectsRead[i]
		assert.Equal(t, w.bucket+"/"+w.key, o.Bucket+"/"+o.Key, "row %d", i)
		assert.Equal(t, w.reads, o.Reads, "row %d", i)
		assert.Equal(t, w.bytes, o.BytesOut, "row %d", i)
	}
	assert.Equal(t, []string{exfilKey}, res.ObjectsRead[0].Readers)
	assert.Equal(t, []string{aliceKey}, res.ObjectsRead[5].Readers)

	assert.Equal(t, []BucketRead{
		{Bucket: exfilB, Reads: 6, BytesOut: 16000, Objects: 5},
		{Bucket: assetsB, Reads: 2, BytesOut: 30, Objects: 1},
	}, res.BucketsRead)

	require.Len(t, res.ConfigChanges, 2)
	assert.Equal(t, "PutBucketPolicy", res.ConfigChanges[0].EventName)
	assert.Equal(t, exfilB, res.ConfigChanges[0].Bucket)
	assert.Equal(t, "arn:aws:sts::111122223333:assumed-role/AdminRole/jane.doe", res.ConfigChanges[0].Principal)
	assert.Equal(t, time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), res.ConfigChanges[0].EventTime)
	assert.Equal(t, "203.0.113.99", res.ConfigChanges[0].SourceIP)
	assert.Equal(t, "CreateAccessKey", res.ConfigChanges[1].EventName)
	assert.Equal(t, "user svc-reports", res.ConfigChanges[1].Target)

	assert.Equal(t, int64(3), res.DeniedTotal)
	require.Len(t, res.Denied, 1)
	assert.Equal(t, DeniedGroup{AccessKeyID: bobKey, Principal: "arn:aws:iam::111122223333:user/bob", EventName: "GetObject",
		ErrorCode: "AccessDenied", Bucket: exfilB, Count: 3, SourceIPs: []string{bobIP},
		First: time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC), Last: time.Date(2026, 3, 2, 11, 2, 0, 0, time.UTC)}, res.Denied[0])

	// Events from 00:05 on the 1st to 12:45 on the 2nd: 37 hourly bins.
	assert.Equal(t, int64(3600), res.Histogram.BinSeconds)
	require.Len(t, res.Histogram.Bins, 37)
	var total, reads int64
	for _, b := range res.Histogram.Bins {
		total += b.Events
		reads += b.Reads
	}
	assert.Equal(t, int64(17), total)
	assert.Equal(t, int64(8), reads)
	tenOClock := res.Histogram.Bins[24+10]
	assert.Equal(t, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), tenOClock.Start)
	assert.Equal(t, int64(6), tenOClock.Events)
	assert.Equal(t, int64(16000), tenOClock.BytesOut)

	summary := strings.Join(res.Summary, "\n")
	assert.Contains(t, summary, "Read 6 log files")
	assert.Contains(t, summary, "holding 17 records")
	assert.Contains(t, summary, "access key "+exfilKey+" ("+exfilARN+") read 5 objects (6 reads, 16.0 kB) from bucket "+exfilB+
		" between 2026-03-02 10:00:00 UTC and 2026-03-02 10:10:00 UTC, from 2 IP addresses ("+ipA+", "+ipB+").")
	assert.Contains(t, summary, "access key "+aliceKey+" ("+aliceARN+") read 1 object (2 reads, 30 B) from bucket "+assetsB)
	assert.Contains(t, summary, "2 changes to bucket access or IAM credentials and policies:")
	assert.Contains(t, summary, "2026-03-01 09:30:00 UTC PutBucketPolicy on "+exfilB)
	assert.Contains(t, summary, "3 denied calls")
	assert.Contains(t, summary, "1 digest file was left out")
	assert.Contains(t, summary, "3 files could not be read completely")
	assert.False(t, res.Truncated.Any())
}

func TestAnalyzeFilters(t *testing.T) {
	root := buildTree(t)
	yes, no := true, false
	net := func(s string) Filter {
		n, err := ParseNetwork(s)
		require.NoError(t, err)
		return Filter{Networks: []netip.Prefix{n}}
	}
	day := func(s string, end bool) time.Time {
		v, err := ParseTime(s, end)
		require.NoError(t, err)
		return v
	}
	tests := []struct {
		name    string
		f       Filter
		matched int64
	}{
		{"no filter", Filter{}, 17},
		{"access key", Filter{AccessKeys: []string{exfilKey}}, 6},
		{"bucket", Filter{Buckets: []string{assetsB}}, 3},
		{"key prefix", Filter{KeyPrefix: "img/"}, 3},
		{"role behind sessions", Filter{Principals: []string{"arn:aws:iam::111122223333:role/AdminRole"}}, 1},
		{"principal prefix", Filter{Principals: []string{"arn:aws:iam::111122223333:user/*"}}, 14},
		{"exact principal", Filter{Principals: []string{aliceARN}}, 3},
		{"CIDR", net("185.220.101.0/24"), 6},
		{"single address", net(bobIP), 5},
		{"events", Filter{Events: []string{"PutBucketPolicy", "CreateAccessKey"}}, 2},
		{"error code", Filter{ErrorCodes: []string{"AccessDenied"}}, 3},
		{"any error", Filter{ErrorCodes: []string{"*"}}, 4},
		{"since a day", Filter{Since: day("2026-03-02", false)}, 14},
		{"until end of a day", Filter{Until: day("2026-03-01", true)}, 3},
		{"window", Filter{Since: day("2026-03-02T10:00:00Z", false), Until: day("2026-03-02T10:05", false)}, 5},
		{"read-only", Filter{ReadOnly: &yes}, 14},
		{"write-only", Filter{ReadOnly: &no}, 3},
		{"all together", Filter{AccessKeys: []string{exfilKey}, Buckets: []string{exfilB}, KeyPrefix: "exports/k1", ReadOnly: &yes}, 2},
		{"nothing", Filter{Buckets: []string{"no-such-bucket"}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Analyze(context.Background(), []string{root}, Options{Filter: tc.f})
			require.NoError(t, err)
			assert.Equal(t, int64(17), res.Records, "counted before filters")
			assert.Equal(t, int64(treeFiles), res.Files)
			assert.Equal(t, tc.matched, res.Matched)
			var events int64
			for _, p := range res.Principals {
				events += p.Events
			}
			assert.Equal(t, tc.matched, events)
			if tc.matched == 0 {
				assert.Contains(t, res.Summary, "No CloudTrail event matched.")
			}
		})
	}
}

func TestAnalyzeSameResultWhateverTheWorkers(t *testing.T) {
	root := buildTree(t)
	one, err := Analyze(context.Background(), []string{root}, Options{Workers: 1})
	require.NoError(t, err)
	for _, w := range []int{2, 3, 8} {
		many, err := Analyze(context.Background(), []string{root}, Options{Workers: w})
		require.NoError(t, err)
		assert.Equal(t, one, many, "workers=%d", w)
	}
}

func TestAnalyzeExplicitFilesAndMissingPath(t *testing.T) {
	root := buildTree(t)
	file := filepath.Join(root, "AWSLogs", acct, "CloudTrail", "us-east-1", "2026", "03", "02",
		acct+"_CloudTrail_us-east-1_20260302T1000Z_cccccccccccccccc.json")
	missing := filepath.Join(root, "nope.json.gz")
	res, err := Analyze(context.Background(), []string{file, missing, file}, Options{})
	require.NoError(t, err)
	assert.Equal(t, int64(1), res.Files, "a file named twice is read once")
	assert.Equal(t, int64(4), res.Records)
	require.Len(t, res.Errors, 1)
	assert.Equal(t, missing, res.Errors[0].File)
	assert.Contains(t, res.Errors[0].Reason, "no such file")
}

func TestAnalyzeLimitsKeepTotalsExact(t *testing.T) {
	root := buildTree(t)
	res, err := Analyze(context.Background(), []string{root}, Options{Workers: 1, Limits: Limits{Principals: 2, Objects: 2, ConfigChanges: 1, IPsPerPrincipal: 1}})
	require.NoError(t, err)
	assert.Equal(t, int64(17), res.Matched)
	require.Len(t, res.Principals, 2)
	require.Len(t, res.ObjectsRead, 2)
	require.Len(t, res.ConfigChanges, 1)
	var events, reads int64
	for _, p := range res.Principals {
		events += p.Events
		assert.LessOrEqual(t, len(p.SourceIPs), 1)
	}
	for _, o := range res.ObjectsRead {
		reads += o.Reads
	}
	assert.Equal(t, res.Matched, events+res.Truncated.PrincipalEvents)
	assert.Equal(t, int64(8), reads+res.Truncated.ObjectReads)
	assert.Equal(t, int64(1), res.Truncated.ConfigChanges)
	assert.Equal(t, int64(16000), res.BucketsRead[0].BytesOut, "bucket totals stay exact")
	assert.True(t, res.Truncated.Any())
	assert.Contains(t, strings.Join(res.Summary, "\n"), "reached their size limit")
}

func TestAnalyzeMemoryBudget(t *testing.T) {
	// Objects with long keys fill the byte budget long before the entry
	// limit; the totals stay exact.
	dir := t.TempDir()
	long := strings.Repeat("k", 1000)
	var recs []map[string]any
	for i := range 300 {
		recs = append(recs, rec(t, getObjectJSON, map[string]any{"requestParameters.key": fmt.Sprintf("%s/%03d", long, i), "resources": nil}))
	}
	writeFile(t, filepath.Join(dir, "long.json"), logJSON(t, recs...))
	res, err := Analyze(context.Background(), []string{dir}, Options{Workers: 1, Limits: Limits{MaxBytes: 100_000}})
	require.NoError(t, err)
	assert.Equal(t, int64(300), res.Matched)
	assert.Less(t, len(res.ObjectsRead), 100, "about 100 kB holds fewer than 100 such objects")
	assert.NotEmpty(t, res.ObjectsRead)
	var reads int64
	for _, o := range res.ObjectsRead {
		reads += o.Reads
	}
	assert.Equal(t, int64(300), reads+res.Truncated.ObjectReads)
	require.Len(t, res.BucketsRead, 1)
	assert.Equal(t, int64(300), res.BucketsRead[0].Reads)
	assert.Equal(t, int64(64<<20), DefaultLimits().MaxBytes)
}

func TestAnalyzeManyObjectsFlushesAndEstimates(t *testing.T) {
	// 6,000 distinct objects read by one key in one file: the worker's
	// local tables are merged mid-file, and the distinct count switches
	// to a sketch.
	const n = 6000
	dir := t.TempDir()
	// Built as text: thousands of records through encoding/json would
	// make this the slowest test of the package.
	read := func(i int, when string, bytes int) string {
		return fmt.Sprintf(`{"eventTime":%q,"eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"e-%d-%s",`+
			`"userIdentity":{"type":"IAMUser","arn":%q,"accessKeyId":%q},"sourceIPAddress":%q,`+
			`"requestParameters":{"bucketName":%q,"key":"exports/part-%05d.csv"},"additionalEventData":{"bytesTransferredOut":%d}}`,
			when, i, when, exfilARN, exfilKey, ipA, exfilB, i, bytes)
	}
	var sb strings.Builder
	sb.WriteString(`{"Records":[`)
	for i := range n {
		sb.WriteString(read(i, fmt.Sprintf("2026-03-02T10:%02d:%02dZ", i/60%60, i%60), 100) + ",")
	}
	for i := range 500 {
		sb.WriteString(read(i, "2026-03-02T10:15:30Z", 1048576))
		if i < 499 {
			sb.WriteString(",")
		}
	}
	sb.WriteString(`]}`)
	writeFile(t, filepath.Join(dir, "big.json.gz"), gz(t, []byte(sb.String())))
	var calls []Progress
	res, err := Analyze(context.Background(), []string{dir}, Options{Progress: func(p Progress) { calls = append(calls, p) }})
	require.NoError(t, err)
	require.Len(t, res.ObjectsRead, n)
	require.Len(t, res.BucketsRead, 1)
	b := res.BucketsRead[0]
	assert.Equal(t, int64(n+500), b.Reads)
	assert.True(t, b.Estimated)
	assert.InDelta(t, n, b.Objects, n*0.03)
	require.Len(t, res.Reads, 1)
	assert.InDelta(t, n, res.Reads[0].Objects, n*0.03)
	assert.Contains(t, strings.Join(res.Summary, "\n"), "read about ")
	require.Len(t, calls, 1)
	assert.Equal(t, int64(1), calls[0].FilesDone)
	assert.Equal(t, int64(n+500), calls[0].Records)
}

func TestAnalyzeCancelled(t *testing.T) {
	root := buildTree(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Analyze(ctx, []string{root}, Options{})
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res)
	assert.Equal(t, int64(0), res.Files)
}
