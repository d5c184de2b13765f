package trail

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// summaryReads is how many principal/bucket read groups the summary names.
const summaryReads = 10

// summaryChanges is how many configuration changes the summary lists.
const summaryChanges = 5

// Summarize states the result's findings in plain language, most important
// first: who read how much from where, what access changed, what was
// refused, and what could not be read.
func Summarize(r *Result) []string {
	var out []string
	line := fmt.Sprintf("Read %s log %s (%s on disk) holding %s records",
		Count(r.Files), plural(r.Files, "file", "files"), Bytes(r.BytesRead), Count(r.Records))
	if r.Matched != r.Records {
		line += fmt.Sprintf("; %s CloudTrail %s matched", Count(r.Matched), plural(r.Matched, "event", "events"))
	}
	if r.FirstEvent != nil {
		line += fmt.Sprintf(", from %s to %s", When(*r.FirstEvent), When(*r.LastEvent))
	}
	out = append(out, line+".")
	if r.SkippedDigests > 0 {
		out = append(out, fmt.Sprintf("%s digest %s left out of the analysis; check them with trail verify.",
			Count(r.SkippedDigests), plural(r.SkippedDigests, "file was", "files were")))
	}
	if r.DuplicatePaths > 0 || r.DuplicateRecords > 0 {
		var parts []string
		if r.DuplicatePaths > 0 {
			parts = append(parts, fmt.Sprintf("%s %s the same file as another and %s read once",
				Count(r.DuplicatePaths), plural(r.DuplicatePaths, "path named", "paths named"), plural(r.DuplicatePaths, "was", "were")))
		}
		if r.DuplicateRecords > 0 {
			parts = append(parts, fmt.Sprintf("%s %s an eventID already counted and %s left out",
				Count(r.DuplicateRecords), plural(r.DuplicateRecords, "record repeated", "records repeated"), plural(r.DuplicateRecords, "was", "were")))
		}
		out = append(out, "Duplicates: "+strings.Join(parts, "; ")+".")
	}
	if r.OversizedRecords > 0 {
		out = append(out, fmt.Sprintf("%s %s larger than the record size limit %s skipped; see the errors for where.",
			Count(r.OversizedRecords), plural(r.OversizedRecords, "record", "records"), plural(r.OversizedRecords, "was", "were")))
	}
	if r.UnreadableTimes > 0 {
		out = append(out, fmt.Sprintf("%s %s an eventTime that could not be read: counted, but placed at no time and matching no --since or --until.",
			Count(r.UnreadableTimes), plural(r.UnreadableTimes, "event has", "events have")))
	}
	if n := int64(len(r.Errors)); n > 0 {
		out = append(out, fmt.Sprintf("%s %s could not be read completely or held non-CloudTrail records; see the errors.",
			Count(n), plural(n, "file", "files")))
	}
	if r.Matched == 0 {
		return append(out, "No CloudTrail event matched.")
	}

	for i, g := range r.Reads {
		if i == summaryReads {
			out = append(out, fmt.Sprintf("… and %s more principal/bucket pairs with reads.", Count(int64(len(r.Reads)-summaryReads))))
			break
		}
		out = append(out, g.Sentence())
	}
	if len(r.Reads) == 0 {
		out = append(out, "No successful GetObject event matched: no object content was read (or the trail did not log S3 data events).")
	}

	if n := int64(len(r.ConfigChanges)) + r.Truncated.ConfigChanges; n > 0 {
		refused := int64(0)
		for _, c := range r.ConfigChanges {
			if c.ErrorCode != "" {
				refused++
			}
		}
		l := fmt.Sprintf("%s %s to bucket access or IAM credentials and policies", Count(n), plural(n, "change", "changes"))
		if refused > 0 {
			l += fmt.Sprintf(" (%s refused)", Count(refused))
		}
		out = append(out, l+":")
		for i, c := range r.ConfigChanges {
			if i == summaryChanges {
				out = append(out, fmt.Sprintf("  … and %s more, in the change table.", Count(n-summaryChanges)))
				break
			}
			out = append(out, "  "+c.Sentence())
		}
	}

	if r.DeniedTotal > 0 {
		who := map[string]bool{}
		for _, d := range r.Denied {
			who[d.AccessKeyID+"\x00"+d.Principal] = true
		}
		l := fmt.Sprintf("%s denied %s (AccessDenied and similar) by %s %s",
			Count(r.DeniedTotal), plural(r.DeniedTotal, "call", "calls"), Count(int64(len(who))), plural(int64(len(who)), "principal", "principals"))
		if len(r.Denied) > 0 {
			d := r.Denied[0]
			l += fmt.Sprintf("; the most: %s %s × %s %s", credential(d.AccessKeyID, d.Principal), Count(d.Count), d.EventName, d.ErrorCode)
			if d.Bucket != "" {
				l += " on bucket " + d.Bucket
			}
		}
		out = append(out, l+".")
	}

	if t := r.Truncated; t.Any() {
		var parts []string
		add := func(n int64, what string) {
			if n > 0 {
				parts = append(parts, Count(n)+" "+what)
			}
		}
		add(t.PrincipalEvents, "events of further principals")
		add(t.ObjectReads, "reads of further objects")
		add(t.ConfigChanges, "further changes")
		add(t.DeniedEvents, "further denied calls")
		add(t.ReadGroups, "reads by further principal/bucket pairs")
		add(t.BucketReads, "reads from further buckets")
		if len(parts) > 0 {
			out = append(out, "Some tables reached their size limit and leave out "+strings.Join(parts, ", ")+"; the totals above stay exact. Narrow the filter to see them.")
		}
		if t.MemoryBudget {
			out = append(out, "The memory budget ran out: which rows were kept depends on the order files were read, so another run may keep other rows. Narrow the filter for a repeatable result.")
		}
	}
	return out
}

// Sentence states what the principal read from the bucket, for the summary
// and for a timeline entry.
func (g ReadGroup) Sentence() string {
	objects := Count(g.Objects)
	if g.Estimated {
		objects = "about " + objects
	}
	l := fmt.Sprintf("%s read %s %s", credential(g.AccessKeyID, g.Principal), objects, plural(g.Objects, "object", "objects"))
	if g.Reads > g.Objects {
		l += fmt.Sprintf(" (%s reads, %s)", Count(g.Reads), Bytes(g.BytesOut))
	} else {
		l += fmt.Sprintf(" (%s)", Bytes(g.BytesOut))
	}
	l += " from bucket " + g.Bucket
	if g.First.Equal(g.Last) {
		l += " at " + When(g.First)
	} else {
		l += fmt.Sprintf(" between %s and %s", When(g.First), When(g.Last))
	}
	n := int64(len(g.SourceIPs)) + g.SourceIPsOmitted
	l += fmt.Sprintf(", from %s %s", Count(n), plural(n, "IP address", "IP addresses"))
	if n > 0 && n <= 3 {
		l += " (" + strings.Join(g.SourceIPs, ", ") + ")"
	}
	return l + "."
}

// Sentence states the change: when, what, on what, by whom, from where.
func (c ConfigChange) Sentence() string {
	l := When(c.EventTime) + " " + c.EventName
	switch {
	case c.Target != "":
		l += " on " + c.Target
	case c.Bucket != "":
		l += " on bucket " + c.Bucket
	}
	l += " by " + credential(c.AccessKeyID, c.Principal)
	if c.SourceIP != "" {
		l += " from " + c.SourceIP
	}
	if c.ErrorCode != "" {
		l += " — refused: " + c.ErrorCode
	}
	return l
}

// credential names who acted: "access key AKIA… (arn)" or the principal.
func credential(key, principal string) string {
	if key == "" {
		return principal
	}
	return "access key " + key + " (" + principal + ")"
}

// When formats a time for people: UTC, to the second.
func When(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// Count formats a count with thousands separators: 1,204.
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Bytes formats a byte count in decimal units: 3.1 GB.
func Bytes(n int64) string {
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n)
	for _, u := range []string{"kB", "MB", "GB", "TB", "PB"} {
		v /= 1000
		if v < 999.95 || u == "PB" {
			return strconv.FormatFloat(v, 'f', 1, 64) + " " + u
		}
	}
	return ""
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func sortErrors(errs []FileError) {
	slices.SortStableFunc(errs, func(a, b FileError) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Reason, b.Reason))
	})
}
