package trail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseAll runs ParseRecords over b (gunzipping it when it is gzip) and
// returns the event names seen.
func parseAll(t testing.TB, b []byte, maxRecord int) ([]string, ParseStats, error) {
	t.Helper()
	var r io.Reader = bytes.NewReader(b)
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		require.NoError(t, err)
		r = zr
	}
	var names []string
	st, err := ParseRecords(r, maxRecord, func(rec *Record) error {
		names = append(names, rec.EventName)
		return nil
	})
	return names, st, err
}

func TestParseRecordsBadInput(t *testing.T) {
	good := logJSON(t, rec(t, getObjectJSON, nil), rec(t, putBucketPolicyJSON, nil), rec(t, deniedJSON, nil))
	goodGz := gz(t, good)
	big := rec(t, getObjectJSON, map[string]any{"requestParameters.padding": strings.Repeat("x", 200_000)})
	crcBroken := bytes.Clone(goodGz)
	crcBroken[len(crcBroken)-8] ^= 0xff // the CRC-32 in the gzip trailer

	tests := []struct {
		name    string
		in      []byte
		max     int
		want    error
		names   []string
		records int64
		invalid int64
		reason  string
	}{
		{name: "good", in: good, names: []string{"GetObject", "PutBucketPolicy", "GetObject"}, records: 3},
		{name: "good gzip", in: goodGz, names: []string{"GetObject", "PutBucketPolicy", "GetObject"}, records: 3},
		{name: "empty Records", in: []byte(`{"Records":[]}`)},
		{name: "other keys around Records", in: []byte(`{"x":{"a":[1,2]},"Records":[` + getObjectJSON + `],"y":null}`), names: []string{"GetObject"}, records: 1},
		{name: "truncated gzip", in: goodGz[:len(goodGz)/2], want: ErrInput, reason: "unexpected EOF"},
		{name: "gzip checksum wrong", in: crcBroken, want: ErrInput, names: []string{"GetObject", "PutBucketPolicy", "GetObject"}, records: 3, reason: "checksum"},
		{name: "JSON cut in a record", in: good[:len(good)-100], want: ErrMalformed, names: []string{"GetObject", "PutBucketPolicy"}, records: 2, reason: "record 3"},
		{name: "syntax error in second record", in: []byte(`{"Records":[` + getObjectJSON + `,{"eventName":"GetObject",,}]}`), want: ErrMalformed, names: []string{"GetObject"}, records: 1, reason: "record 2"},
		{name: "empty file", in: nil, want: ErrNotCloudTrail, reason: "empty"},
		{name: "JSON array", in: []byte(`[1,2,3]`), want: ErrNotCloudTrail},
		{name: "policy document", in: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}`), want: ErrNotCloudTrail, reason: "no Records"},
		{name: "Records not an array", in: []byte(`{"Records":{"a":1}}`), want: ErrNotCloudTrail, reason: "not an array"},
		{name: "S3 event notification", in: []byte(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2026-03-01T00:00:00.000Z","eventName":"ObjectCreated:Put"}]}`), records: 1, invalid: 1},
		{name: "element not an object", in: []byte(`{"Records":["x",3,` + getObjectJSON + `]}`), names: []string{"GetObject"}, records: 3, invalid: 2},
		{name: "trailing data", in: append(bytes.Clone(good), []byte(`{"Records":[]}`)...), want: ErrMalformed, names: []string{"GetObject", "PutBucketPolicy", "GetObject"}, records: 3, reason: "after the end"},
		{name: "oversized record", in: logJSON(t, rec(t, getObjectJSON, nil), big, rec(t, deniedJSON, nil)), max: 100_000, want: ErrRecordTooLarge, names: []string{"GetObject"}, records: 1, reason: "record 2"},
		{name: "oversized other value", in: []byte(`{"junk":"` + strings.Repeat("y", 300_000) + `","Records":[]}`), max: 100_000, want: ErrRecordTooLarge},
		{name: "whitespace flood", in: []byte(`{"Records":[` + strings.Repeat(" ", 300_000) + getObjectJSON + `]}`), max: 100_000, want: ErrRecordTooLarge},
		{name: "large record under the limit", in: logJSON(t, big), max: 1 << 20, names: []string{"GetObject"}, records: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			names, st, err := parseAll(t, tc.in, tc.max)
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
				assert.Contains(t, err.Error(), tc.reason)
			}
			assert.Equal(t, tc.names, names)
			assert.Equal(t, tc.records, st.Records)
			assert.Equal(t, tc.invalid, st.Invalid)
		})
	}
}

func TestParseRecordsMistypedFieldKeepsRecord(t *testing.T) {
	m := rec(t, getObjectJSON, map[string]any{"additionalEventData.bytesTransferredOut": "lots", "readOnly": "yes"})
	var got []Record
	st, err := ParseRecords(bytes.NewReader(logJSON(t, m, rec(t, deniedJSON, nil))), 0, func(r *Record) error {
		got = append(got, *r)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, int64(2), st.Records)
	assert.Equal(t, int64(1), st.Mistyped)
	require.Len(t, got, 2)
	assert.Equal(t, "AKIAEXAMPLEEXFIL0001", got[0].UserIdentity.AccessKeyID, "the rest of the record is still read")
	assert.Equal(t, int64(0), got[0].BytesOut())
	assert.Equal(t, "AccessDenied", got[1].ErrorCode)
}

func TestParseRecordsCallbackErrorStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	_, err := ParseRecords(bytes.NewReader(logJSON(t, rec(t, getObjectJSON, nil), rec(t, deniedJSON, nil))), 0, func(*Record) error {
		n++
		return stop
	})
	require.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n)
}

func TestParseRecordsReusesRecordWithoutLeaks(t *testing.T) {
	// A field present in one record must not leak into the next.
	a := rec(t, deniedJSON, nil)
	b := rec(t, getObjectJSON, map[string]any{"errorCode": nil})
	var codes []string
	_, err := ParseRecords(bytes.NewReader(logJSON(t, a, b)), 0, func(r *Record) error {
		codes = append(codes, r.ErrorCode)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"AccessDenied", ""}, codes)
}

// FuzzParseRecords feeds arbitrary bytes to the parser. It must never panic,
// its counts must stay consistent, it must accept nothing that is not valid
// JSON, and on valid JSON it may only answer "not CloudTrail", never
// "malformed", "too large" (within the limit) or "cannot read".
func FuzzParseRecords(f *testing.F) {
	f.Add([]byte(`{"Records":[` + getObjectJSON + `,` + putBucketPolicyJSON + `]}`))
	f.Add([]byte(`{"Records":[` + serviceEventJSON + `,` + deniedJSON + `,` + createAccessKeyJSON + `]}`))
	f.Add([]byte(`{"Records":[{"eventTime":"2026-03-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","additionalEventData":{"bytesTransferredOut":"x"}}]}`))
	f.Add([]byte(`{"Records":[1,"a",null,{}],"x":[{}]}`))
	f.Add([]byte(`{"Records":null}`))
	f.Add([]byte(`{"Records":[{"eventTime":"2026-03-01T00:00:00Z"`))
	f.Add([]byte(`[]`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var seen int64
		st, err := ParseRecords(bytes.NewReader(data), 1<<20, func(r *Record) error {
			seen++
			if !r.Valid() {
				t.Fatalf("invalid record passed on: %+v", r)
			}
			_ = r.Principal()
			_ = r.Bucket()
			_ = r.Key()
			_ = r.Time()
			_ = r.target()
			return nil
		})
		if st.Records < 0 || st.Invalid > st.Records || st.Mistyped > st.Records || seen != st.Records-st.Invalid {
			t.Fatalf("inconsistent counts: %+v, %d passed on", st, seen)
		}
		valid := json.Valid(data)
		if err == nil && !valid {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if valid && len(data) < 1<<20 && err != nil && !errors.Is(err, ErrNotCloudTrail) {
			t.Fatalf("valid JSON %q rejected as %v", data, err)
		}
		if err == nil {
			var doc struct{ Records []json.RawMessage }
			if json.Unmarshal(data, &doc) == nil && int64(len(doc.Records)) > st.Records {
				t.Fatalf("encoding/json sees %d records, the parser %d", len(doc.Records), st.Records)
			}
		}
		// A tiny record limit must fail cleanly, never panic or hang.
		_, _ = ParseRecords(bytes.NewReader(data), 16, func(*Record) error { return nil })
	})
}
