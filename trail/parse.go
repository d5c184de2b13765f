package trail

import (
	"errors"
	"fmt"
	"io"
)

// DefaultMaxRecordBytes caps the size of one record (and of any other value
// in a log file). CloudTrail events are far smaller; the cap exists so that a
// corrupt or hostile file cannot make the parser buffer gigabytes.
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

// ParseRecords walks a CloudTrail log file, {"Records":[...]}, one record at
// a time and calls fn for each CloudTrail event in it. The *Record passed to
// fn is reused for the next record: fn must copy what it keeps (its strings
// may be kept: they are never modified). maxRecord caps the bytes of one
// record (DefaultMaxRecordBytes when <= 0).
//
// The input must be valid JSON (RFC 8259, as encoding/json checks it) all
// the way to its end; records before a fault are still passed on. Within a
// record, a field of an unexpected type is read as empty, and when a key
// repeats, its last occurrence wins.
//
// The returned error wraps ErrNotCloudTrail, ErrRecordTooLarge, ErrMalformed
// or ErrInput and says where the fault is; the stats count what was read up
// to it. An error from fn stops the walk and is returned as is.
func ParseRecords(r io.Reader, maxRecord int, fn func(*Record) error) (ParseStats, error) {
	if maxRecord <= 0 {
		maxRecord = DefaultMaxRecordBytes
	}
	s := newScanner(r, maxRecord)
	var st ParseStats
	fail := func(err error, where string) error {
		var se *syntaxError
		switch {
		case s.rerr != nil:
			return fmt.Errorf("%w: %s: %v", ErrInput, where, s.rerr)
		case errors.Is(err, errTooLarge):
			return fmt.Errorf("%w: %s is larger than %d bytes", ErrRecordTooLarge, where, maxRecord)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("%w: file ends in the middle of %s (truncated?)", ErrMalformed, where)
		case errors.As(err, &se):
			return fmt.Errorf("%w: %s, at byte %d: %s", ErrMalformed, where, se.off, se.msg)
		}
		return fmt.Errorf("%w: %s: %v", ErrMalformed, where, err)
	}

	c, err := s.next()
	if err == io.EOF && s.rerr == nil {
		return st, fmt.Errorf("%w: the file is empty", ErrNotCloudTrail)
	}
	if err != nil {
		return st, fail(err, "the start of the file")
	}
	if c != '{' {
		if err := s.unit(func(p *parser) error { return p.skip() }); err != nil {
			return st, fail(err, "the start of the file")
		}
		return st, fmt.Errorf("%w: the file does not hold a JSON object", ErrNotCloudTrail)
	}
	s.pos++
	sawRecords := false
	rec := new(Record)
	for first := true; ; first = false {
		// A key, or the end of the object.
		c, err := s.next()
		if err != nil {
			return st, fail(ueof(err), "the top-level object")
		}
		if c == '}' {
			s.pos++
			break
		}
		if !first {
			if c != ',' {
				return st, fail(s.syntax("invalid character %s after object key:value pair", quoteChar(c)), "the top-level object")
			}
			s.pos++
		}
		var key string
		if err := s.unit(func(p *parser) error {
			k, err := p.objectKey()
			key = k
			return err
		}); err != nil {
			return st, fail(err, "a top-level key")
		}
		if key != "Records" {
			if err := s.unit(func(p *parser) error { return p.skip() }); err != nil {
				return st, fail(err, fmt.Sprintf("the value of %q", key))
			}
			continue
		}
		sawRecords = true
		if c, err = s.next(); err != nil {
			return st, fail(ueof(err), "the Records array")
		}
		if c != '[' {
			if err := s.unit(func(p *parser) error { return p.skip() }); err != nil {
				return st, fail(err, "the Records value")
			}
			return st, fmt.Errorf("%w: Records is not an array", ErrNotCloudTrail)
		}
		s.pos++
		for n := 0; ; n++ {
			c, err := s.next()
			if err != nil {
				return st, fail(ueof(err), fmt.Sprintf("record %d", st.Records+1))
			}
			if c == ']' {
				s.pos++
				break
			}
			if n > 0 {
				if c != ',' {
					return st, fail(s.syntax("invalid character %s after array element", quoteChar(c)), fmt.Sprintf("record %d", st.Records+1))
				}
				s.pos++
			}
			mistyped := 0
			if err := s.unit(func(p *parser) error {
				*rec = Record{}
				p.mistyped = 0
				err := p.record(rec)
				mistyped = p.mistyped
				return err
			}); err != nil {
				return st, fail(err, fmt.Sprintf("record %d", st.Records+1))
			}
			st.Records++
			if mistyped > 0 {
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
	}
	// Read to the end: gzip checks its CRC only there, and anything after
	// the closing brace means the file is not what it claims to be.
	if _, err := s.next(); err != io.EOF || s.rerr != nil {
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

// ueof turns the end of input in the middle of the document into a
// truncation error.
func ueof(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
