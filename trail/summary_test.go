package trail

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestCountsAndSizesAreWrittenForPeople(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 12345: "12,345", 999999: "999,999",
		1234567: "1,234,567", -1234: "-1,234", -12: "-12"} {
		assert.Equal(t, want, Count(n), "%d", n)
	}
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1049: "1.0 kB", 1050: "1.1 kB", 999949: "999.9 kB",
		999950: "1.0 MB", 3_000_000: "3.0 MB", 5_500_000_000: "5.5 GB", 2e12: "2.0 TB", 7e15: "7.0 PB", 9e18: "9000.0 PB"} {
		assert.Equal(t, want, Bytes(n), "%d", n)
	}
	assert.Equal(t, "an unknown time", When(time.Time{}))
	assert.Equal(t, "2026-03-01 09:30:00 UTC", When(time.Date(2026, 3, 1, 10, 30, 0, 0, time.FixedZone("CET", 3600))))
}

func TestReadSentencesSayHowMuchFromWhereAndWhen(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	g := ReadGroup{AccessKeyID: "AKIA1", Principal: "arn:aws:iam::1:user/u", Bucket: "b", Reads: 1, Objects: 1, BytesOut: 10,
		SourceIPs: []string{"192.0.2.1"}, First: at, Last: at}
	assert.Equal(t, "access key AKIA1 (arn:aws:iam::1:user/u) read 1 object (10 B) from bucket b at 2026-03-02 10:00:00 UTC, from 1 IP address (192.0.2.1).", g.Sentence())

	g = ReadGroup{Principal: "account anonymous", Bucket: "b", Reads: 5000, Objects: 4000, Estimated: true, BytesOut: 2e9,
		SourceIPs: []string{"a", "b", "c", "d"}, SourceIPsOmitted: 10, First: at, Last: at.Add(time.Hour)}
	assert.Equal(t, "account anonymous read about 4,000 objects (5,000 reads, 2.0 GB) from bucket b between 2026-03-02 10:00:00 UTC and 2026-03-02 11:00:00 UTC, from 14 IP addresses.", g.Sentence())

	g = ReadGroup{Principal: "p", Bucket: "b", Reads: 2, Objects: 2, SourceIPs: []string{"a", "b", "c"}, First: at, Last: at}
	assert.Contains(t, g.Sentence(), "read 2 objects (0 B) from bucket b at")
	assert.Contains(t, g.Sentence(), "from 3 IP addresses (a, b, c).")
}

func TestChangeSentencesNameTargetBucketAndRefusal(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	c := ConfigChange{EventTime: at, EventName: "PutBucketPolicy", Bucket: "b", Principal: "p", AccessKeyID: "ASIA1", SourceIP: "203.0.113.9"}
	assert.Equal(t, "2026-03-01 09:30:00 UTC PutBucketPolicy on bucket b by access key ASIA1 (p) from 203.0.113.9", c.Sentence())
	c = ConfigChange{EventTime: at, EventName: "CreateAccessKey", Target: "user u", Bucket: "ignored", Principal: "p", ErrorCode: "AccessDenied"}
	assert.Equal(t, "2026-03-01 09:30:00 UTC CreateAccessKey on user u by p — refused: AccessDenied", c.Sentence())
	c = ConfigChange{EventTime: at, EventName: "PutAccountPublicAccessBlock", Principal: "p"}
	assert.Equal(t, "2026-03-01 09:30:00 UTC PutAccountPublicAccessBlock by p", c.Sentence())
}

func TestTheSummaryNamesTheTopFindingsAndWhatItLeftOut(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	r := &Result{Files: 1, Records: 40, Matched: 40, BytesRead: 2000, FirstEvent: &at, LastEvent: &at, DeniedTotal: 3}
	for i := range 12 {
		r.Reads = append(r.Reads, ReadGroup{Principal: fmt.Sprintf("p%02d", i), Bucket: "b", Reads: 1, Objects: 1, First: at, Last: at})
	}
	for i := range 7 {
		c := ConfigChange{EventTime: at, EventName: fmt.Sprintf("Change%d", i), Principal: "p"}
		if i%3 == 0 {
			c.ErrorCode = "AccessDenied"
		}
		r.ConfigChanges = append(r.ConfigChanges, c)
	}
	r.Truncated.ConfigChanges = 3
	r.Denied = []DeniedGroup{{Principal: "x", EventName: "GetObject", ErrorCode: "AccessDenied", Bucket: "b", Count: 2},
		{AccessKeyID: "AKIA9", Principal: "y", EventName: "ListBuckets", ErrorCode: "AccessDenied", Count: 1}}
	lines := Summarize(r)
	text := strings.Join(lines, "\n")
	assert.Equal(t, "Read 1 log file (2.0 kB on disk) holding 40 records, from 2026-03-02 10:00:00 UTC to 2026-03-02 10:00:00 UTC.", lines[0])
	assert.Contains(t, text, "p09 read")
	assert.NotContains(t, text, "p10 read")
	assert.Contains(t, text, "… and 2 more principal/bucket pairs with reads.")
	assert.Contains(t, text, "10 changes to bucket access or IAM credentials and policies (3 refused):")
	assert.Contains(t, text, "Change4")
	assert.NotContains(t, text, "Change5")
	assert.Contains(t, text, "  … and 5 more, in the change table.")
	assert.Contains(t, text, "3 denied calls (AccessDenied and similar) by 2 principals; the most: x 2 × GetObject AccessDenied on bucket b.")
	assert.Contains(t, text, "Some tables reached their size limit and leave out 3 further changes; the totals above stay exact.")
	assert.NotContains(t, text, "memory budget")

	r = &Result{Files: 2, Records: 5, Matched: 1, DeniedTotal: 1, Denied: []DeniedGroup{{AccessKeyID: "AKIA9", Principal: "y", EventName: "ListBuckets", ErrorCode: "AccessDenied", Count: 1}},
		Truncated:     Truncation{PrincipalEvents: 4, ObjectReads: 5, DeniedEvents: 6, ReadGroups: 7, BucketReads: 8, MemoryBudget: true},
		ConfigChanges: []ConfigChange{{EventName: "PutBucketAcl", Principal: "p"}}}
	text = strings.Join(Summarize(r), "\n")
	assert.Contains(t, text, "Read 2 log files (0 B on disk) holding 5 records; 1 CloudTrail event matched.")
	assert.Contains(t, text, "No successful GetObject event matched")
	assert.Contains(t, text, "1 change to bucket access or IAM credentials and policies:")
	assert.NotContains(t, text, "refused)")
	assert.Contains(t, text, "1 denied call (AccessDenied and similar) by 1 principal; the most: access key AKIA9 (y) 1 × ListBuckets AccessDenied.")
	assert.Contains(t, text, "leave out 4 events of further principals, 5 reads of further objects, 6 further denied calls, 7 reads by further principal/bucket pairs, 8 reads from further buckets;")
	assert.Contains(t, text, "The memory budget ran out")

	r = &Result{Files: 1, Records: 2, SkippedDigests: 2, DuplicatePaths: 1, DuplicateRecords: 1, OversizedRecords: 2, UnreadableTimes: 1,
		Errors: []FileError{{File: "a"}, {File: "b"}}}
	text = strings.Join(Summarize(r), "\n")
	assert.Contains(t, text, "2 digest files were left out of the analysis")
	assert.Contains(t, text, "Duplicates: 1 path named the same file as another and was read once; 1 record repeated an eventID already counted and was left out.")
	assert.Contains(t, text, "2 records larger than the record size limit were skipped")
	assert.Contains(t, text, "1 event has an eventTime that could not be read")
	assert.Contains(t, text, "2 files could not be read completely")
	assert.Contains(t, text, "No CloudTrail event matched.")

	r = &Result{DuplicatePaths: 2}
	assert.Contains(t, strings.Join(Summarize(r), "\n"), "Duplicates: 2 paths named the same file as another and were read once.")
}
