package trail

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxRecordBytes caps the size of one record (and of any other value
// in a log file). CloudTrail events are far smaller; the cap exists so that a
// corrupt or hostile file cannot make the decoder buffer gigabytes.
const DefaultMaxRecordBytes = 8 << 20

// Errors that describe why a file could not be read to its end. Records
// decoded before the fault have already been handed to the caller.
var (
	// ErrNotCloudTrail means the JSON is not a {"Records":[...]} log file.
	ErrNotCloudTrail = errors.New("not a CloudTrail log file")
	// ErrRecordTooLarge means one value exceeded the record size cap.
	ErrRecordTooLarge = errors.New("record larger than the size limit")
	// ErrMalformed means the JSON is broken or ends in the middle.
	ErrMalformed = errors.New("malformed JSON")
	// ErrInput means the bytes could not be read or decompressed.
	ErrInput = errors.New("cannot read input")
)

// ParseStats counts what one file held.
type ParseStats struct {
	// Records is the number of elements of the Records array decoded,
	// CloudTrail events or not.
	Records int64
	// Invalid counts elements that lack eventTime, eventName or an AWS
	// eventSource; they are not passed on.
	Invalid int64
	// Mistyped counts records with a field of an unexpected JSON type (a
	// string where a number belongs). The rest of such a record is kept.
	Mistyped int64
}

// boundedReader refuses to hand the decoder more than limit bytes beyond
// what it has consumed, which caps the decoder's buffer and so the memory
// one record can take. It also remembers the underlying read error, to tell
// a broken gzip stream from broken JSON.
type boundedReader struct {
	r     io.Reader
	read  int64
	limit int64
	err   error
}

var errLimit = errors.New("size limit reached")

func (b *boundedReader) Read(p []byte) (int, error) {
	room := b.limit - b.read
	if room <= 0 {
		return 0, errLimit
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// skipValue consumes a JSON value without keeping it.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

// ParseRecords walks a CloudTrail log file, {"Records":[...]}, one record at
// a time and calls fn for each CloudTrail event in it. The *Record passed to
// fn is reused for the next record: fn must copy what it keeps. maxRecord
// caps the bytes of one record (DefaultMaxRecordBytes when <= 0).
//
// The returned error wraps ErrNotCloudTrail, ErrRecordTooLarge, ErrMalformed
// or ErrInput and says where the fault is; the stats count what was read up
// to it. An error from fn stops the walk and is returned as is.
func ParseRecords(r io.Reader, maxRecord int, fn func(*Record) error) (ParseStats, error) {
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecordBytes
	}
	var st ParseStats
	br := &boundedReader{r: r}
	dec := json.NewDecoder(br)
	// Every read allows one more record's worth of bytes past the point
	// the decoder has consumed.
	allow := func() { br.limit = dec.InputOffset() + int64(maxRecord) }
	fail := func(err error, where string) error {
		switch {
		case br.err != nil:
			return fmt.Errorf("%w: %s: %v", ErrInput, where, br.err)
		case errors.Is(err, errLimit):
			return fmt.Errorf("%w: %s is larger than %d bytes", ErrRecordTooLarge, where, maxRecord)
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			return fmt.Errorf("%w: file ends in the middle of %s (truncated?)", ErrMalformed, where)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("%w: %s, at byte %d: %v", ErrMalformed, where, se.Offset, se)
		}
		return fmt.Errorf("%w: %s: %v", ErrMalformed, where, err)
	}

	allow()
	tok, err := dec.Token()
	if err == io.EOF && br.err == nil {
		return st, fmt.Errorf("%w: the file is empty", ErrNotCloudTrail)
	}
	if err != nil {
		return st, fail(err, "the start of the file")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return st, fmt.Errorf("%w: the file does not hold a JSON object", ErrNotCloudTrail)
	}
	sawRecords := false
	rec := new(Record)
	for dec.More() {
		allow()
		tok, err := dec.Token()
		if err != nil {
			return st, fail(err, "a top-level key")
		}
		key, _ := tok.(string)
		if key != "Records" {
			allow()
			if err := dec.Decode(new(skipValue)); err != nil {
				return st, fail(err, fmt.Sprintf("the value of %q", key))
			}
			continue
		}
		sawRecords = true
		allow()
		tok, err = dec.Token()
		if err != nil {
			return st, fail(err, "the Records array")
		}
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			return st, fmt.Errorf("%w: Records is not an array", ErrNotCloudTrail)
		}
		for dec.More() {
			allow()
			*rec = Record{}
			err := dec.Decode(rec)
			st.Records++
			if err != nil {
				var te *json.UnmarshalTypeError
				if !errors.As(err, &te) || br.err != nil {
					st.Records--
					return st, fail(err, fmt.Sprintf("record %d", st.Records+1))
				}
				st.Mistyped++
			}
			if !rec.Valid() {
				st.Invalid++
				continue
			}
			if err := fn(rec); err != nil {
				return st, err
			}
		}
		allow()
		if _, err := dec.Token(); err != nil {
			return st, fail(err, "the end of the Records array")
		}
	}
	allow()
	if _, err := dec.Token(); err != nil {
		return st, fail(err, "the end of the file")
	}
	// Read to the end: gzip checks its CRC only there, and anything after
	// the closing brace means the file is not what it claims to be.
	allow()
	if _, err := dec.Token(); err != io.EOF || br.err != nil {
		if err == nil {
			return st, fmt.Errorf("%w: unexpected data after the end of the log", ErrMalformed)
		}
		return st, fail(err, "the end of the file")
	}
	if !sawRecords {
		return st, fmt.Errorf("%w: the object has no Records array", ErrNotCloudTrail)
	}
	return st, nil
}
