package trail

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	textunicode "golang.org/x/text/encoding/unicode"
)

// The tests in this file come from running the analysis on material other
// people wrote: exports of CloudTrail Lake and Athena, log pipelines, and
// honeypot trails with very busy principals.

// analyzeDir runs an analysis with the given workers and returns it.
func analyzeDir(t *testing.T, paths []string, opt Options) *Result {
	t.Helper()
	res, err := Analyze(context.Background(), paths, opt)
	require.NoError(t, err)
	return res
}

func resultJSON(t *testing.T, r *Result) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, r.WriteJSON(&b))
	return b.Bytes()
}

func TestAPrincipalWithManyEventNamesListsTheMostFrequentWithExactCounts(t *testing.T) {
	// 178 event names over six files; the busiest one appears only in the
	// last file, after 177 others have been seen.
	dir := t.TempDir()
	var all []map[string]any
	for i := range 177 {
		for range 1 + i%3 {
			all = append(all, rec(t, putBucketPolicyJSON, map[string]any{"eventName": fmt.Sprintf("Describe%03d", i)}))
		}
	}
	for i := range 6 {
		part := all[i*len(all)/6 : (i+1)*len(all)/6]
		writeFile(t, filepath.Join(dir, fmt.Sprintf("f%d.json", i)), logJSON(t, part...))
	}
	var busy []map[string]any
	for range 40 {
		busy = append(busy, rec(t, putBucketPolicyJSON, map[string]any{"eventName": "ListBuckets"}))
	}
	writeFile(t, filepath.Join(dir, "f9.json"), logJSON(t, busy...))

	for _, w := range []int{1, 4} {
		res := analyzeDir(t, []string{dir}, Options{Workers: w})
		p := principalByKey(t, res, janeKey, "")
		require.Len(t, p.EventNames, 50, "the default shows 50")
		assert.Equal(t, NameCount{"ListBuckets", 40}, p.EventNames[0], "the most frequent first, counted exactly")
		assert.Equal(t, int64(178-50), p.EventNamesOmitted)
		assert.True(t, p.ListsTruncated)
		assert.False(t, p.ListsSampled)
		// Next come the names seen three times, in name order.
		assert.Equal(t, NameCount{"Describe002", 3}, p.EventNames[1])
		assert.Equal(t, NameCount{"Describe005", 3}, p.EventNames[2])
		var shown int64
		for _, e := range p.EventNames {
			shown += e.Count
		}
		assert.Equal(t, int64(40+49*3), shown)
	}
}

func TestAnAnonymousPrincipalReachedFromManyAddressesListsTheBusiestAddresses(t *testing.T) {
	// A honeypot's anonymous principal, reached from 216 addresses: the
	// first 200 seen once each, the last 16 ten times each.
	dir := t.TempDir()
	anon := func(ip string) map[string]any {
		return rec(t, getObjectJSON, map[string]any{"userIdentity": map[string]any{"type": "AWSAccount", "principalId": "", "accountId": "anonymous"},
			"sourceIPAddress": ip})
	}
	var first []map[string]any
	for i := range 200 {
		first = append(first, anon(fmt.Sprintf("198.18.%d.%d", i/250, i%250)))
	}
	writeFile(t, filepath.Join(dir, "a.json"), logJSON(t, first...))
	var busy []map[string]any
	for i := range 16 {
		for range 10 {
			busy = append(busy, anon(fmt.Sprintf("203.0.113.%d", 100+i)))
		}
	}
	writeFile(t, filepath.Join(dir, "b.json"), logJSON(t, busy...))

	res := analyzeDir(t, []string{dir}, Options{Workers: 2})
	p := principalByKey(t, res, "", "account anonymous")
	require.Len(t, p.SourceIPs, 100)
	assert.Equal(t, int64(116), p.SourceIPsOmitted)
	for i := range 16 {
		assert.Equal(t, NameCount{fmt.Sprintf("203.0.113.%d", 100+i), 10}, p.IPCounts[i])
	}
	assert.Equal(t, NameCount{"198.18.0.0", 1}, p.IPCounts[16], "then the others in address order")
	require.Len(t, res.Reads, 1)
	assert.Len(t, res.Reads[0].SourceIPs, 100)
	assert.Equal(t, int64(116), res.Reads[0].SourceIPsOmitted)
	assert.Equal(t, "203.0.113.100", res.Reads[0].SourceIPs[0])
}

// busyTree writes files whose tables all overflow small limits: many
// principals, objects, read groups, denied groups, changes and addresses.
func busyTree(t *testing.T) string {
	dir := t.TempDir()
	for f := range 12 {
		var recs []map[string]any
		for i := range 60 {
			n := f*60 + i
			recs = append(recs,
				rec(t, getObjectJSON, map[string]any{
					"eventTime":                fmt.Sprintf("2026-03-02T%02d:%02d:00Z", n/60%24, n%60),
					"userIdentity.accessKeyId": fmt.Sprintf("AKIAEXAMPLE%09d", n%37), "userIdentity.arn": fmt.Sprintf("arn:aws:iam::111122223333:user/u%d", n%37),
					"sourceIPAddress":       fmt.Sprintf("192.0.2.%d", n%61),
					"requestParameters.key": fmt.Sprintf("k/%d", n%97), "additionalEventData.bytesTransferredOut": float64(n % 13 * 100),
				}),
				rec(t, deniedJSON, map[string]any{"userIdentity.accessKeyId": fmt.Sprintf("AKIADENIED%010d", n%29), "sourceIPAddress": fmt.Sprintf("198.51.100.%d", n%53)}),
				rec(t, putBucketPolicyJSON, map[string]any{"eventTime": "2026-03-01T09:30:00Z", "eventName": []string{"PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl"}[n%3]}),
			)
		}
		writeFile(t, filepath.Join(dir, fmt.Sprintf("f%02d.json", f)), logJSON(t, recs...))
	}
	return dir
}

func TestTheResultIsByteIdenticalWhateverTheWorkersAndRuns(t *testing.T) {
	dir := busyTree(t)
	lim := Limits{Principals: 20, IPsPerPrincipal: 3, Objects: 30, ReadersPerObject: 2, ReadGroups: 10, ConfigChanges: 25, DeniedGroups: 7, Buckets: 1, EventNames: 2}
	want := resultJSON(t, analyzeDir(t, []string{dir}, Options{Workers: 1, Limits: lim}))
	for _, w := range []int{2, 3, 4, 4, 4, 8} {
		got := resultJSON(t, analyzeDir(t, []string{dir}, Options{Workers: w, Limits: lim}))
		require.Equal(t, string(want), string(got), "workers %d", w)
	}
	res := analyzeDir(t, []string{dir}, Options{Workers: 4, Limits: lim})
	assert.Len(t, res.Principals, 20)
	assert.Len(t, res.ObjectsRead, 30)
	assert.Len(t, res.ConfigChanges, 25)
	assert.Len(t, res.Denied, 7)
	assert.False(t, res.Truncated.MemoryBudget)
	var events int64
	for _, p := range res.Principals {
		events += p.Events
		assert.LessOrEqual(t, len(p.SourceIPs), 3)
	}
	assert.Equal(t, res.Matched, events+res.Truncated.PrincipalEvents, "what a table leaves out is counted")
	assert.Equal(t, int64(12*60-25), res.Truncated.ConfigChanges)
	var denied int64
	for _, d := range res.Denied {
		denied += d.Count
	}
	assert.Equal(t, res.DeniedTotal, denied+res.Truncated.DeniedEvents)
	var reads int64
	for _, o := range res.ObjectsRead {
		reads += o.Reads
	}
	assert.Equal(t, int64(12*60), reads+res.Truncated.ObjectReads)
}

func TestTheEarliestChangesAreKeptAndEqualTimesAreInEventIDOrder(t *testing.T) {
	dir := t.TempDir()
	var recs []map[string]any
	for _, id := range []string{"c", "a", "d", "b"} {
		recs = append(recs, rec(t, putBucketPolicyJSON, map[string]any{"eventID": id}))
	}
	recs = append(recs, rec(t, putBucketPolicyJSON, map[string]any{"eventID": "0", "eventTime": "2026-03-01T09:31:00Z"}))
	writeFile(t, filepath.Join(dir, "a.json"), logJSON(t, recs...))
	res := analyzeDir(t, []string{dir}, Options{Limits: Limits{ConfigChanges: 3}})
	var ids []string
	for _, c := range res.ConfigChanges {
		ids = append(ids, c.EventID)
	}
	assert.Equal(t, []string{"a", "b", "c"}, ids)
	assert.Equal(t, int64(2), res.Truncated.ConfigChanges)
}

// lakeRecord is an event as a CloudTrail Lake query export writes it: one
// object per line, eventTime with a space and nanoseconds, no zone.
func lakeRecord(t *testing.T, when, id string) map[string]any {
	return rec(t, getObjectJSON, map[string]any{"eventTime": when, "eventID": id})
}

func jsonLines(t *testing.T, recs ...map[string]any) []byte {
	var b bytes.Buffer
	for _, r := range recs {
		line := logJSON(t, r)
		b.Write(line[len(`{"Records":[`) : len(line)-2])
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func TestExportsInJSONLinesAndBareArraysAreRead(t *testing.T) {
	dir := t.TempDir()
	lines := writeFile(t, filepath.Join(dir, "lake.json"), jsonLines(t,
		lakeRecord(t, "2025-01-21 17:49:47.000000000", "e1"), lakeRecord(t, "2025-01-21 18:00:00.500000000", "e2")))
	array := writeFile(t, filepath.Join(dir, "array.json.gz"), gz(t, []byte(`[`+getObjectJSON+`,`+deniedJSON+`]`)))

	res := analyzeDir(t, []string{lines}, Options{})
	assert.Empty(t, res.Errors)
	assert.Equal(t, int64(2), res.Matched)
	require.NotNil(t, res.FirstEvent)
	assert.Equal(t, time.Date(2025, 1, 21, 17, 49, 47, 0, time.UTC), *res.FirstEvent)
	assert.Equal(t, time.Date(2025, 1, 21, 18, 0, 0, 5e8, time.UTC), *res.LastEvent)

	res = analyzeDir(t, []string{array}, Options{})
	assert.Empty(t, res.Errors)
	assert.Equal(t, int64(2), res.Matched)
	assert.Equal(t, int64(1), res.DeniedTotal)

	since, _ := ParseTime("2025-01-21T18:00:00Z", false)
	res = analyzeDir(t, []string{lines}, Options{Filter: Filter{Since: since}})
	assert.Equal(t, int64(1), res.Matched, "--since places the export's times")
	until, _ := ParseTime("2000-01-01", true)
	res = analyzeDir(t, []string{lines}, Options{Filter: Filter{Until: until}})
	assert.Equal(t, int64(0), res.Matched, "--until 2000-01-01 matches nothing from 2025")
}

func TestAnUnreadableEventTimeIsCountedAndMatchesNoTimeFilter(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.json"), logJSON(t,
		rec(t, getObjectJSON, map[string]any{"eventTime": "21/01/2025 17:49"}),
		rec(t, getObjectJSON, map[string]any{"eventTime": "2025-02-30T10:00:00Z"}),
		rec(t, getObjectJSON, nil)))
	res := analyzeDir(t, []string{dir}, Options{})
	assert.Equal(t, int64(3), res.Matched, "without a time filter they count")
	assert.Equal(t, int64(2), res.UnreadableTimes)
	require.Len(t, res.Errors, 1)
	assert.True(t, res.Errors[0].Complete)
	assert.Contains(t, res.Errors[0].Reason, `2 records have an eventTime that cannot be read (the first: "21/01/2025 17:49")`)
	assert.Contains(t, strings.Join(res.Summary, "\n"), "2 events have an eventTime that could not be read")
	require.NotNil(t, res.FirstEvent)
	assert.Equal(t, 2026, res.FirstEvent.Year(), "they have no place in time")

	for _, f := range []Filter{{Until: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}, {Since: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}} {
		res = analyzeDir(t, []string{dir}, Options{Filter: f})
		assert.LessOrEqual(t, res.Matched, int64(1), "%+v", f)
		assert.Equal(t, int64(2), res.UnreadableTimes)
	}
}

func TestRecordsReadTwiceCountOnce(t *testing.T) {
	dir := t.TempDir()
	body := logJSON(t, rec(t, getObjectJSON, nil), rec(t, deniedJSON, map[string]any{"eventTime": "someday"}))
	gzPath := writeFile(t, filepath.Join(dir, "logs", "x.json.gz"), gz(t, body))
	writeFile(t, filepath.Join(dir, "logs", "x.json"), body)

	res := analyzeDir(t, []string{filepath.Join(dir, "logs")}, Options{})
	for range 3 {
		again := analyzeDir(t, []string{filepath.Join(dir, "logs")}, Options{Workers: 2})
		assert.Equal(t, string(resultJSON(t, res)), string(resultJSON(t, again)), "whichever copy a worker reads first")
	}
	assert.Equal(t, int64(2), res.Files)
	assert.Equal(t, int64(4), res.Records)
	assert.Equal(t, int64(2), res.Matched, "the uncompressed copy adds nothing")
	assert.Equal(t, int64(2), res.DuplicateRecords)
	assert.Equal(t, int64(1), res.DeniedTotal)
	assert.Equal(t, int64(1), res.UnreadableTimes, "the copy's unreadable time is not counted twice")
	require.Len(t, res.Errors, 2, "each file says what it holds")
	assert.Contains(t, strings.Join(res.Summary, "\n"), "2 records repeated an eventID already counted and were left out")

	// The same file in two spellings, and through a link.
	link := filepath.Join(dir, "link.json.gz")
	require.NoError(t, os.Symlink(gzPath, link))
	res = analyzeDir(t, []string{gzPath, filepath.Join(dir, "logs", ".", "x.json.gz"), link, filepath.Join(dir, "logs") + string(filepath.Separator)}, Options{})
	assert.Equal(t, int64(2), res.Files, "x.json.gz and x.json")
	assert.Equal(t, int64(3), res.DuplicatePaths)
	assert.Equal(t, int64(2), res.Matched)
	assert.Contains(t, strings.Join(res.Summary, "\n"), "3 paths named the same file as another and were read once")
}

func TestAnOversizedRecordIsSkippedAndTheRestOfTheFileRead(t *testing.T) {
	dir := t.TempDir()
	huge := strings.Replace(getObjectJSON, `"requestParameters": {`, `"requestParameters": {"padding": "`+strings.Repeat("x", 9<<20)+`", `, 1)
	writeFile(t, filepath.Join(dir, "a.json"), []byte(`{"Records":[`+getObjectJSON+`,`+huge+`,`+deniedJSON+`,`+putBucketPolicyJSON+`]}`))
	res := analyzeDir(t, []string{dir}, Options{})
	assert.Equal(t, int64(4), res.Records)
	assert.Equal(t, int64(3), res.Matched, "the records after it count")
	assert.Equal(t, int64(1), res.OversizedRecords)
	require.Len(t, res.Errors, 1)
	assert.True(t, res.Errors[0].Complete)
	assert.Contains(t, res.Errors[0].Reason, "1 record larger than 8.4 MB skipped (the first is record 2); the records after it were read")
	assert.Contains(t, strings.Join(res.Summary, "\n"), "1 record larger than the record size limit was skipped")
}

func TestFilesWithAByteOrderMarkOrInUTF16AreRead(t *testing.T) {
	body := logJSON(t, rec(t, getObjectJSON, nil), rec(t, createAccessKeyJSON, map[string]any{"requestParameters.userName": "zoë"}))
	utf16 := func(order textunicode.Endianness, bom textunicode.BOMPolicy) []byte {
		b, err := textunicode.UTF16(order, bom).NewEncoder().Bytes(body)
		require.NoError(t, err)
		return b
	}
	tests := map[string][]byte{
		"UTF-8 with BOM":           append([]byte{0xef, 0xbb, 0xbf}, body...),
		"UTF-16LE with BOM":        utf16(textunicode.LittleEndian, textunicode.UseBOM),
		"UTF-16BE with BOM":        utf16(textunicode.BigEndian, textunicode.UseBOM),
		"UTF-16LE without BOM":     utf16(textunicode.LittleEndian, textunicode.IgnoreBOM),
		"UTF-16BE gzip'd":          gz(t, utf16(textunicode.BigEndian, textunicode.UseBOM)),
		"UTF-16LE JSON Lines":      mustUTF16(t, jsonLines(t, rec(t, getObjectJSON, nil), rec(t, createAccessKeyJSON, map[string]any{"requestParameters.userName": "zoë"}))),
		"UTF-8 BOM on a bare list": append([]byte{0xef, 0xbb, 0xbf}, `[`+getObjectJSON+`,`+createAccessKeyJSON+`]`...),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "a.json"), data)
			res := analyzeDir(t, []string{dir}, Options{})
			assert.Empty(t, res.Errors)
			assert.Equal(t, int64(2), res.Matched)
			require.NotEmpty(t, res.ConfigChanges)
			if name != "UTF-8 BOM on a bare list" {
				assert.Equal(t, "user zoë", res.ConfigChanges[0].Target, "text outside ASCII survives")
			}
		})
	}
}

func mustUTF16(t *testing.T, b []byte) []byte {
	out, err := textunicode.UTF16(textunicode.LittleEndian, textunicode.UseBOM).NewEncoder().Bytes(b)
	require.NoError(t, err)
	return out
}

func TestPrincipalsAreOrderedByObjectDataRead(t *testing.T) {
	// A lister whose responses add up to more bytes than a reader's object
	// data: the reader comes first, the lister's bytes are "other".
	dir := t.TempDir()
	var recs []map[string]any
	for range 5 {
		recs = append(recs, rec(t, deniedJSON, map[string]any{"eventName": "ListObjects", "errorCode": nil, "additionalEventData.bytesTransferredOut": 100000.0}))
	}
	recs = append(recs, rec(t, getObjectJSON, map[string]any{"additionalEventData.bytesTransferredOut": 2000.0}))
	writeFile(t, filepath.Join(dir, "a.json"), logJSON(t, recs...))
	res := analyzeDir(t, []string{dir}, Options{})
	require.Len(t, res.Principals, 2)
	assert.Equal(t, exfilKey, res.Principals[0].AccessKeyID)
	assert.Equal(t, int64(2000), res.Principals[0].BytesRead)
	assert.Equal(t, int64(0), res.Principals[1].BytesRead)
	assert.Equal(t, int64(500000), res.Principals[1].OtherBytesOut)
	var binBytes int64
	for _, b := range res.Histogram.Bins {
		binBytes += b.BytesOut
	}
	assert.Equal(t, int64(2000), binBytes, "the histogram's bytes are object data")
}

func TestProgressCountsFilesBytesRecordsAndErrors(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, filepath.Join(dir, "a.json"), logJSON(t, rec(t, getObjectJSON, nil), rec(t, deniedJSON, nil)))
	b := writeFile(t, filepath.Join(dir, "b.json"), []byte(`{"Records":[{"eventName":"x"},`+getObjectJSON+`]}`))
	c := writeFile(t, filepath.Join(dir, "c.json"), []byte(`{"Records":[`))
	var total int64
	for _, p := range []string{a, b, c} {
		info, err := os.Stat(p)
		require.NoError(t, err)
		total += info.Size()
	}
	var calls []Progress
	res := analyzeDir(t, []string{dir}, Options{Workers: 1, Progress: func(p Progress) { calls = append(calls, p) }})
	require.Len(t, calls, 3)
	last := calls[2]
	assert.Equal(t, Progress{FilesDone: 3, FilesTotal: 3, BytesDone: total, BytesTotal: total, Records: 4, Errors: 2}, last)
	assert.Equal(t, int64(1), calls[0].FilesDone)
	assert.Equal(t, int64(2), calls[0].Records)
	assert.Equal(t, total, res.BytesRead)
	assert.Equal(t, int64(1), res.InvalidRecords)
	require.Len(t, res.Errors, 2)
	assert.Equal(t, FileError{File: b, Reason: "some records are not CloudTrail events and were skipped: 1 of 2", Records: 2, Complete: true}, res.Errors[0])
	assert.Equal(t, c, res.Errors[1].File)
	assert.False(t, res.Errors[1].Complete)
	assert.Contains(t, res.Errors[1].Reason, "file ends in the middle of record 1 (truncated?)")
}

func TestAMistypedFieldIsCountedAndTheRecordKept(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.json"), logJSON(t, rec(t, getObjectJSON, map[string]any{"additionalEventData.bytesTransferredOut": "lots"})))
	res := analyzeDir(t, []string{dir}, Options{})
	assert.Equal(t, int64(1), res.MistypedRecords)
	assert.Equal(t, int64(1), res.Matched)
	assert.Empty(t, res.Errors)
}

func TestAListPastTenThousandNamesIsASampleTheSameEveryRun(t *testing.T) {
	// 12,000 addresses in four files, one of them busy: the list keeps a
	// fixed sample of 10,000 and says so.
	dir := t.TempDir()
	line := func(i int, ip string) string {
		return fmt.Sprintf(`{"eventTime":"2026-03-02T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"e%d",`+
			`"userIdentity":{"type":"AWSAccount","accountId":"anonymous"},"sourceIPAddress":%q}`+"\n", i, ip)
	}
	for f := range 4 {
		var sb strings.Builder
		for i := f * 3000; i < (f+1)*3000; i++ {
			sb.WriteString(line(i, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)))
		}
		writeFile(t, filepath.Join(dir, fmt.Sprintf("f%d.json", f)), []byte(sb.String()))
	}
	one := analyzeDir(t, []string{dir}, Options{Workers: 1})
	many := analyzeDir(t, []string{dir}, Options{Workers: 3})
	assert.Equal(t, string(resultJSON(t, one)), string(resultJSON(t, many)))
	p := principalByKey(t, one, "", "account anonymous")
	assert.Equal(t, int64(12000), p.Events, "the row's own counts stay exact")
	assert.True(t, p.ListsSampled)
	assert.Len(t, p.SourceIPs, 100)
	assert.Equal(t, int64(tracked-100), p.SourceIPsOmitted)
}

func TestTheHistogramWidensItsBinsToFitTheSpan(t *testing.T) {
	tests := []struct {
		first, last string
		width       int64 // hours
		bins        int
	}{
		{"2026-03-01T00:30:00Z", "2026-03-01T00:40:00Z", 1, 1},
		{"2026-03-01T00:00:00Z", "2026-03-09T07:00:00Z", 1, 200},
		{"2026-03-01T00:00:00Z", "2026-03-09T08:00:00Z", 2, 101},
		{"2026-03-01T00:00:00Z", "2026-03-31T00:00:00Z", 6, 121},
		{"2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z", 48, 183},
		{"2016-01-01T00:00:00Z", "2026-01-01T00:00:00Z", 720, 122},
		{"1990-01-01T00:00:00Z", "2026-01-01T00:00:00Z", 1578, 201},
	}
	for _, tc := range tests {
		t.Run(tc.first+" "+tc.last, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "a.json"), logJSON(t,
				rec(t, getObjectJSON, map[string]any{"eventTime": tc.first}),
				rec(t, deniedJSON, map[string]any{"eventTime": tc.last})))
			h := analyzeDir(t, []string{dir}, Options{}).Histogram
			assert.Equal(t, tc.width*3600, h.BinSeconds)
			require.Len(t, h.Bins, tc.bins)
			first, _ := time.Parse(time.RFC3339, tc.first)
			last, _ := time.Parse(time.RFC3339, tc.last)
			assert.False(t, h.Bins[0].Start.After(first))
			assert.True(t, h.Bins[0].Start.Add(time.Duration(h.BinSeconds)*time.Second).After(first))
			end := h.Bins[len(h.Bins)-1]
			assert.False(t, end.Start.After(last))
			if tc.bins == 1 {
				assert.Equal(t, HistBin{Start: h.Bins[0].Start, Events: 2, Reads: 1, Denied: 1, BytesOut: 1048576}, h.Bins[0])
			} else {
				assert.Equal(t, HistBin{Start: h.Bins[0].Start, Events: 1, Reads: 1, BytesOut: 1048576}, h.Bins[0], "first bin")
				assert.Equal(t, int64(1), end.Denied)
				assert.Equal(t, int64(1), end.Events)
			}
		})
	}
}
