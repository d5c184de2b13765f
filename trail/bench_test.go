package trail

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// benchLog returns an uncompressed log file of n mixed records: mostly S3
// data events from a handful of keys, some management events, a few
// refusals and changes, like a busy account's trail.
func benchLog(b *testing.B, n, seed int) []byte {
	b.Helper()
	recs := make([]map[string]any, 0, n)
	for i := range n {
		var m map[string]any
		switch k := (i + seed) % 20; {
		case k < 12:
			m = rec(b, getObjectJSON, map[string]any{
				"eventTime":                fmt.Sprintf("2026-03-%02dT%02d:%02d:%02dZ", 1+seed%28, i/3600%24, i/60%60, i%60),
				"userIdentity.accessKeyId": fmt.Sprintf("AKIAEXAMPLEUSER%05d", i%7), "eventID": fmt.Sprintf("%08d-%d", i, seed),
				"requestParameters.key":                   fmt.Sprintf("exports/2026/part-%06d.csv", (i*7919+seed)%50000),
				"additionalEventData.bytesTransferredOut": float64(1000 + i%4096*1000),
			})
		case k < 17:
			m = rec(b, serviceEventJSON, map[string]any{"eventID": fmt.Sprintf("svc-%d-%d", i, seed)})
		case k < 19:
			m = rec(b, deniedJSON, nil)
		default:
			m = rec(b, putBucketPolicyJSON, nil)
		}
		recs = append(recs, m)
	}
	return logJSON(b, recs...)
}

func BenchmarkParseRecords(b *testing.B) {
	data := benchLog(b, 5000, 1)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if _, err := ParseRecords(bytes.NewReader(data), 0, func(*Record) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != 5000 {
			b.Fatalf("%d records", n)
		}
	}
}

// BenchmarkAnalyze runs the whole engine (gunzip, parse, filter, aggregate,
// merge) over 16 gzip'd files; MB/s is of uncompressed JSON.
func BenchmarkAnalyze(b *testing.B) {
	dir := b.TempDir()
	var total int64
	for i := range 16 {
		data := benchLog(b, 3000, i)
		total += int64(len(data))
		writeFile(b, filepath.Join(dir, fmt.Sprintf("f%02d.json.gz", i)), gz(b, data))
	}
	for _, bc := range []struct {
		name string
		f    Filter
	}{
		{"all", Filter{}},
		{"access-key", Filter{AccessKeys: []string{"AKIAEXAMPLEUSER00003"}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(total)
			b.ReportAllocs()
			for b.Loop() {
				res, err := Analyze(context.Background(), []string{dir}, Options{Filter: bc.f})
				if err != nil || res.Records != 48000 || len(res.Errors) != 0 {
					b.Fatalf("%v %d %v", err, res.Records, res.Errors)
				}
			}
		})
	}
}
