package trail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	textunicode "golang.org/x/text/encoding/unicode"
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
		// oversized is the number of records skipped for their size.
		oversized int64
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
		{name: "JSON array of other values", in: []byte(`[1,2,3]`), records: 3, invalid: 3},
		{name: "JSON string", in: []byte(`"Records"`), want: ErrNotCloudTrail, reason: "does not hold a JSON object or array"},
		{name: "policy document", in: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}`), want: ErrNotCloudTrail, reason: "no Records"},
		{name: "Records not an array", in: []byte(`{"Records":{"a":1}}`), want: ErrNotCloudTrail, reason: "not an array"},
		{name: "S3 event notification", in: []byte(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2026-03-01T00:00:00.000Z","eventName":"ObjectCreated:Put"}]}`), records: 1, invalid: 1},
		{name: "element not an object", in: []byte(`{"Records":["x",3,` + getObjectJSON + `]}`), names: []string{"GetObject"}, records: 3, invalid: 2},
		{name: "trailing data", in: append(bytes.Clone(good), []byte(`{"Records":[]}`)...), want: ErrMalformed, names: []string{"GetObject", "PutBucketPolicy", "GetObject"}, records: 3, reason: "after the end"},
		{name: "oversized record is skipped", in: logJSON(t, rec(t, getObjectJSON, nil), big, rec(t, deniedJSON, nil)), max: 100_000, names: []string{"GetObject", "GetObject"}, records: 3, oversized: 1},
		{name: "file ends inside an oversized record", in: logJSON(t, rec(t, getObjectJSON, nil), big)[:150_000], max: 100_000, want: ErrMalformed, names: []string{"GetObject"}, records: 1, reason: "record 2"},
		{name: "oversized other value", in: []byte(`{"junk":"` + strings.Repeat("y", 300_000) + `","Records":[]}`), max: 100_000, want: ErrRecordTooLarge},
		{name: "whitespace between records streams by", in: []byte(`{"Records":[` + strings.Repeat(" ", 300_000) + getObjectJSON + strings.Repeat("\n", 300_000) + `]}`), max: 100_000, names: []string{"GetObject"}, records: 1},
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
			assert.Equal(t, tc.oversized, st.Oversized)
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

// oracle decodes a log with encoding/json into generic values and picks
// Record's fields out by exact key, with the parser's documented rules: a
// value of another type reads as empty, the last occurrence of a key wins.
// ok is false when encoding/json rejects the input or the document has not
// exactly one Records array.
func oracle(data []byte) (recs []Record, ok bool) {
	data = decodeText(data)
	list, ok := oracleList(data)
	if !ok {
		return nil, false
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	obj := func(m map[string]any, k string) map[string]any { o, _ := m[k].(map[string]any); return o }
	num := func(m map[string]any, k string) float64 { f, _ := m[k].(float64); return f }
	for _, el := range list {
		m, _ := el.(map[string]any)
		var r Record
		r.EventVersion, r.EventTime, r.EventSource, r.EventName = str(m, "eventVersion"), str(m, "eventTime"), str(m, "eventSource"), str(m, "eventName")
		r.AWSRegion, r.SourceIPAddress, r.UserAgent = str(m, "awsRegion"), str(m, "sourceIPAddress"), str(m, "userAgent")
		r.ErrorCode, r.ErrorMessage, r.EventID, r.EventType = str(m, "errorCode"), str(m, "errorMessage"), str(m, "eventID"), str(m, "eventType")
		r.EventCategory, r.RecipientAccountID = str(m, "eventCategory"), str(m, "recipientAccountId")
		if b, isBool := m["readOnly"].(bool); isBool {
			r.ReadOnly = &b
		}
		u := obj(m, "userIdentity")
		r.UserIdentity = UserIdentity{Type: str(u, "type"), PrincipalID: str(u, "principalId"), ARN: str(u, "arn"), AccountID: str(u, "accountId"),
			AccessKeyID: str(u, "accessKeyId"), UserName: str(u, "userName"), InvokedBy: str(u, "invokedBy")}
		sc := obj(u, "sessionContext")
		si, at := obj(sc, "sessionIssuer"), obj(sc, "attributes")
		r.UserIdentity.SessionContext = SessionContext{
			SessionIssuer: SessionIssuer{Type: str(si, "type"), ARN: str(si, "arn"), UserName: str(si, "userName")},
			Attributes:    SessionAttributes{CreationDate: str(at, "creationDate"), MFAAuthenticated: str(at, "mfaAuthenticated")},
		}
		q := obj(m, "requestParameters")
		r.RequestParameters = RequestParameters{BucketName: str(q, "bucketName"), Key: str(q, "key"), UserName: str(q, "userName"),
			RoleName: str(q, "roleName"), PolicyName: str(q, "policyName"), PolicyArn: str(q, "policyArn"), AccessKeyID: str(q, "accessKeyId"), Status: str(q, "status")}
		a := obj(m, "additionalEventData")
		r.AdditionalData = AdditionalEventData{BytesTransferredIn: num(a, "bytesTransferredIn"), BytesTransferredOut: num(a, "bytesTransferredOut")}
		if res, isList := m["resources"].([]any); isList {
			for _, x := range res {
				o, _ := x.(map[string]any)
				r.Resources = append(r.Resources, Resource{Type: str(o, "type"), ARN: str(o, "ARN")})
			}
		}
		if r.Valid() {
			recs = append(recs, r)
		}
	}
	return recs, true
}

// decodeText turns the file's bytes into UTF-8 text the way the standard
// library would after a byte-order mark is looked at: the UTF-8 mark
// dropped, UTF-16 decoded.
func decodeText(data []byte) []byte {
	var order textunicode.Endianness
	switch {
	case bytes.HasPrefix(data, []byte{0xef, 0xbb, 0xbf}):
		return data[3:]
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		order, data = textunicode.LittleEndian, data[2:]
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		order, data = textunicode.BigEndian, data[2:]
	case len(data) >= 2 && data[0] != 0 && data[1] == 0:
		order = textunicode.LittleEndian
	case len(data) >= 2 && data[0] == 0 && data[1] != 0:
		order = textunicode.BigEndian
	default:
		return data
	}
	out, _ := textunicode.UTF16(order, textunicode.IgnoreBOM).NewDecoder().Bytes(data)
	return out
}

// oracleList reads the list of records with encoding/json: the Records
// array of a log file, the elements of a bare array, or the objects of a
// JSON Lines stream (told by a first key that records have).
func oracleList(data []byte) ([]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, false
	}
	if tok == json.Delim('{') {
		if k, err := dec.Token(); err == nil {
			if key, _ := k.(string); recordKeys[key] {
				var list []any
				dec = json.NewDecoder(bytes.NewReader(data))
				for {
					var m map[string]any
					if err := dec.Decode(&m); err == io.EOF {
						return list, true
					} else if err != nil || m == nil {
						return nil, false
					}
					list = append(list, m)
				}
			}
		}
	}
	if !json.Valid(data) {
		return nil, false
	}
	var v any
	_ = json.Unmarshal(data, &v)
	if list, isList := v.([]any); isList {
		return list, true
	}
	top, isObj := v.(map[string]any)
	if !isObj || strings.Count(string(data), `"Records"`) != 1 {
		return nil, false
	}
	list, isList := top["Records"].([]any)
	return list, isList
}

func TestParseRecordsAgreesWithEncodingJSON(t *testing.T) {
	tests := []string{
		`{"Records":[` + getObjectJSON + `,` + putBucketPolicyJSON + `,` + serviceEventJSON + `,` + deniedJSON + `,` + createAccessKeyJSON + `]}`,
		`{"Records":[{"eventTime":"2026-03-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"Get\u004fbject","userAgent":"caf\u00e9 \ud83d\ude00 \ud800 \/\b\f\n\r\t\"\\"}]}`,
		"{\"Records\":[{\"eventTime\":\"2026-03-01T00:00:00Z\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"X\",\"userAgent\":\"bad \xff\xfe utf8 \u00e9\"}]}",
		`{"Records":[{"eventTime":"2026-03-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"X","userAgent":"\u00C9\u00e9\uD83D\uDE00\uDE00 \uABCD\uabcd \u0041"}]}`,
		`{"Records":[{"eventTime":"2026-03-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"A","eventName":"B","userIdentity":{"arn":"x"},"userIdentity":null,
			"readOnly":1,"resources":[1,{"ARN":"arn:aws:s3:::b/k"},null],"additionalEventData":{"bytesTransferredOut":-1.5e3}}]}`,
	}
	for i, in := range tests {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			want, ok := oracle([]byte(in))
			require.True(t, ok)
			var got []Record
			_, err := ParseRecords(strings.NewReader(in), 0, func(r *Record) error { got = append(got, *r); return nil })
			require.NoError(t, err)
			assert.Equal(t, want, normalize(got))
		})
	}
}

// normalize makes an empty resources list nil, as the oracle builds it.
func normalize(recs []Record) []Record {
	for i := range recs {
		if len(recs[i].Resources) == 0 {
			recs[i].Resources = nil
		}
	}
	return recs
}

// FuzzParseRecords feeds arbitrary bytes to the parser. It must never panic,
// its counts must stay consistent, it must accept nothing that is not valid
// JSON, on valid JSON it may only answer "not CloudTrail" (never
// "malformed", "too large" within the limit, or "cannot read"), and the
// records it passes on must equal what encoding/json reads (the oracle).
// Each input is also read through a one-byte-at-a-time reader, which
// exercises every refill path.
func FuzzParseRecords(f *testing.F) {
	f.Add([]byte(`{"Records":[` + getObjectJSON + `,` + putBucketPolicyJSON + `]}`))
	f.Add([]byte(`{"Records":[` + serviceEventJSON + `,` + deniedJSON + `,` + createAccessKeyJSON + `]}`))
	f.Add([]byte(`{"Records":[{"eventTime":"2026-03-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","additionalEventData":{"bytesTransferredOut":"x"}}]}`))
	f.Add([]byte(`{"Records":[1,"a",null,{}],"x":[{}]}`))
	f.Add([]byte(`{"Records":null}`))
	f.Add([]byte(`{"Records":[{"eventTime":"2026-03-01T00:00:00Z"`))
	f.Add([]byte(`[]`))
	f.Add([]byte(getObjectJSON + "\n" + deniedJSON + "\n"))
	f.Add([]byte(`[` + serviceEventJSON + `]`))
	f.Add(append([]byte{0xef, 0xbb, 0xbf}, `{"Records":[]}`...))
	f.Add([]byte("{\x00\"\x00R\x00e\x00c\x00o\x00r\x00d\x00s\x00\"\x00:\x00[\x00]\x00}\x00"))
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
		if st.Records < 0 || st.Invalid > st.Records || st.Mistyped > st.Records || seen != st.Records-st.Invalid-st.Oversized {
			t.Fatalf("inconsistent counts: %+v, %d passed on", st, seen)
		}
		_, valid := oracleList(decodeText(data))
		valid = valid || json.Valid(decodeText(data))
		if err == nil && !valid {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if valid && len(data) < 1<<20 && err != nil && !errors.Is(err, ErrNotCloudTrail) {
			t.Fatalf("valid JSON %q rejected as %v", data, err)
		}
		if err == nil {
			if want, ok := oracle(data); ok {
				var got []Record
				_, _ = ParseRecords(bytes.NewReader(data), 1<<20, func(r *Record) error { got = append(got, *r); return nil })
				if !reflect.DeepEqual(want, normalize(got)) {
					t.Fatalf("parser and encoding/json disagree on %q:\nparser %+v\noracle %+v", data, got, want)
				}
			}
		}
		var slow []string
		st2, err2 := ParseRecords(iotest.OneByteReader(bytes.NewReader(data)), 1<<20, func(r *Record) error { slow = append(slow, r.EventName); return nil })
		if st2 != st || (err == nil) != (err2 == nil) || int64(len(slow)) != seen {
			t.Fatalf("byte-at-a-time reading differs: %+v %v vs %+v %v", st2, err2, st, err)
		}
		// A tiny record limit must fail cleanly, never panic or hang.
		_, _ = ParseRecords(bytes.NewReader(data), 16, func(*Record) error { return nil })
	})
}

func TestParseRecordsTellsTheLayoutFromTheContent(t *testing.T) {
	big := strings.Replace(getObjectJSON, `"requestParameters": {`, `"requestParameters": {"padding": "`+strings.Repeat("x", 200_000)+`", `, 1)
	tests := []struct {
		name      string
		in        string
		format    string
		want      error
		reason    string
		names     []string
		records   int64
		oversized int64
	}{
		{name: "log", in: `{"Records":[` + deniedJSON + `]}`, format: FormatLog, names: []string{"GetObject"}, records: 1},
		{name: "log with a record-like key first", in: `{"eventVersion":"1.09","Records":[` + deniedJSON + `]}`, format: FormatLog, names: []string{"GetObject"}, records: 1},
		{name: "lines", in: deniedJSON + "\n" + putBucketPolicyJSON + "\n", format: FormatLines, names: []string{"GetObject", "PutBucketPolicy"}, records: 2},
		{name: "lines without newlines", in: deniedJSON + putBucketPolicyJSON, format: FormatLines, names: []string{"GetObject", "PutBucketPolicy"}, records: 2},
		{name: "lines in any key order", in: `{"userAgent":"x","eventTime":"2026-03-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"A"}` + "\r\n", format: FormatLines, names: []string{"A"}, records: 1},
		{name: "array", in: "[" + deniedJSON + "," + putBucketPolicyJSON + "]", format: FormatArray, names: []string{"GetObject", "PutBucketPolicy"}, records: 2},
		{name: "empty array", in: "[ ]", format: FormatArray},
		{name: "an oversized first line", in: big + "\n" + deniedJSON, format: FormatLines, names: []string{"GetObject"}, records: 2, oversized: 1},
		{name: "an oversized line in the middle", in: deniedJSON + big + putBucketPolicyJSON, format: FormatLines, names: []string{"GetObject", "PutBucketPolicy"}, records: 3, oversized: 1},
		{name: "an oversized element of an array", in: "[" + big + "," + deniedJSON + "]", format: FormatArray, names: []string{"GetObject"}, records: 2, oversized: 1},
		{name: "a policy, not a record", in: `{"Version":"2012-10-17","Statement":[]}`, want: ErrNotCloudTrail, reason: "no Records array and is not a CloudTrail record"},
		{name: "an empty object", in: `{}`, want: ErrNotCloudTrail},
		{name: "something else between lines", in: deniedJSON + "\n[1]\n", format: FormatLines, want: ErrMalformed, reason: "record 2, at byte", names: []string{"GetObject"}, records: 1},
		{name: "a line cut short", in: deniedJSON + "\n" + deniedJSON[:100], format: FormatLines, want: ErrMalformed, reason: "file ends in the middle of record 2", names: []string{"GetObject"}, records: 1},
		{name: "a broken first object", in: `{"eventTime":,}`, want: ErrMalformed, reason: "record 1"},
		{name: "array not closed", in: "[" + deniedJSON, format: FormatArray, want: ErrMalformed, reason: "record 2", names: []string{"GetObject"}, records: 1},
		{name: "array elements without comma", in: "[" + deniedJSON + " " + deniedJSON + "]", format: FormatArray, want: ErrMalformed, reason: "after array element", names: []string{"GetObject"}, records: 1},
		{name: "data after an array", in: "[]{}", format: FormatArray, want: ErrMalformed, reason: "after the end"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var names []string
			st, err := ParseRecords(strings.NewReader(tc.in), 100_000, func(r *Record) error { names = append(names, r.EventName); return nil })
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
				assert.Contains(t, err.Error(), tc.reason)
			}
			assert.Equal(t, tc.format, st.Format)
			assert.Equal(t, tc.names, names)
			assert.Equal(t, tc.records, st.Records)
			assert.Equal(t, tc.oversized, st.Oversized)
		})
	}
}
