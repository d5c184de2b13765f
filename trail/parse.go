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
	// Records is the number of records decoded, CloudTrail events or not,
	// oversized ones included.
	Records int64
	// Invalid counts elements that lack eventTime, eventName or an AWS
	// eventSource; they are not passed on.
	Invalid int64
	// Mistyped counts records with a field of an unexpected JSON type (a
	// string where a number belongs). The rest of such a record is kept.
	Mistyped int64
	// Oversized counts records larger than the size cap, skipped without
	// being read; FirstOversized is the number of the first (1-based, in
	// the file's order).
	Oversized      int64
	FirstOversized int64
	// Format names the layout the file was read as (see the Format
	// constants).
	Format string
}

// The layouts ParseRecords reads.
const (
	// FormatLog is CloudTrail's own log file: {"Records":[...]}.
	FormatLog = "CloudTrail log"
	// FormatLines is one record object after another, usually one per line
	// (JSON Lines), as CloudTrail Lake and log pipelines export them.
	FormatLines = "JSON Lines"
	// FormatArray is a bare JSON array of records.
	FormatArray = "JSON array"
)

// ParseRecords walks a file of CloudTrail records one record at a time and
// calls fn for each CloudTrail event in it. It reads CloudTrail's own log
// files ({"Records":[...]}), JSON Lines (one record object after another,
// whatever the whitespace between them) and a bare JSON array of records,
// in UTF-8 (with or without a byte-order mark) or UTF-16. The *Record passed
// to fn is reused for the next record: fn must copy what it keeps (its
// strings may be kept: they are never modified). maxRecord caps the bytes of
// one record (DefaultMaxRecordBytes when <= 0); a larger record is skipped,
// counted in the stats, and the records after it are still read.
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
	w := walk{s: s, fn: fn, rec: new(Record), max: maxRecord}
	err := w.file()
	return w.st, err
}

// walk is the state of one ParseRecords call.
type walk struct {
	s   *scanner
	fn  func(*Record) error
	rec *Record
	st  ParseStats
	max int
	// detect is set while the first object of the file is read: a
	// Records key in it means a log file (errLogFile), and an object too
	// large to read is handed back (errTooLarge) rather than skipped.
	detect bool
}

func (w *walk) fail(err error, where string) error {
	var se *syntaxError
	switch {
	case w.s.rerr != nil:
		return fmt.Errorf("%w: %s: %v", ErrInput, where, w.s.rerr)
	case errors.Is(err, errTooLarge):
		return fmt.Errorf("%w: %s is larger than %d bytes", ErrRecordTooLarge, where, w.max)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: file ends in the middle of %s (truncated?)", ErrMalformed, where)
	case errors.As(err, &se):
		return fmt.Errorf("%w: %s, at byte %d: %s", ErrMalformed, where, se.off, se.msg)
	}
	return fmt.Errorf("%w: %s: %v", ErrMalformed, where, err)
}

func (w *walk) file() error {
	s := w.s
	if err := s.sniff(); err != nil && err != io.EOF {
		return w.fail(err, "the start of the file")
	}
	c, err := s.next()
	if err == io.EOF && s.rerr == nil {
		return fmt.Errorf("%w: the file is empty", ErrNotCloudTrail)
	}
	if err != nil {
		return w.fail(err, "the start of the file")
	}
	switch c {
	case '[':
		w.st.Format = FormatArray
		s.pos++
		if err := w.array(); err != nil {
			return err
		}
		return w.end()
	case '{':
		// A record, unless a Records key shows a log file. A first
		// object too large to tell is a record if it starts like one.
		w.detect = true
		err := w.record()
		w.detect = false
		if errors.Is(err, errTooLarge) {
			first, ferr := w.firstKey()
			if ferr == nil && recordKeys[first] {
				err = w.skipRecord()
			} else {
				err = errLogFile
			}
		}
		if errors.Is(err, errLogFile) {
			w.st.Format = FormatLog
			return w.log()
		}
		if err != nil {
			return err
		}
		if w.st.Invalid > 0 {
			// A policy, a configuration: some other JSON object.
			w.st = ParseStats{}
			return fmt.Errorf("%w: the object has no Records array and is not a CloudTrail record", ErrNotCloudTrail)
		}
		w.st.Format = FormatLines
		return w.lines()
	}
	if err := s.unit(func(p *parser) error { return p.skip() }); err != nil {
		return w.fail(err, "the start of the file")
	}
	return fmt.Errorf("%w: the file does not hold a JSON object or array", ErrNotCloudTrail)
}

// firstKey returns the first key of the object at the scanner's position
// without consuming anything ("" for an empty object).
func (w *walk) firstKey() (string, error) {
	var key string
	err := w.s.unit(func(p *parser) error {
		p.i++
		c, err := p.peek()
		if err == nil && c != '}' {
			key, err = p.objectKey()
		}
		p.i = 0
		return err
	})
	return key, err
}

// recordKeys are keys CloudTrail records have and a log file's top-level
// object does not: a first object too large to read whole is taken for a
// record when it starts with one of them.
var recordKeys = map[string]bool{
	"eventVersion": true, "userIdentity": true, "eventTime": true, "eventSource": true, "eventName": true,
	"awsRegion": true, "sourceIPAddress": true, "userAgent": true, "requestParameters": true,
	"responseElements": true, "requestID": true, "eventID": true, "eventType": true, "eventCategory": true,
	"recipientAccountId": true, "readOnly": true, "managementEvent": true,
}

// log reads {"Records":[...]}, with any other keys around the array.
func (w *walk) log() error {
	s := w.s
	s.pos++
	sawRecords := false
	for first := true; ; first = false {
		// A key, or the end of the object.
		c, err := s.next()
		if err != nil {
			return w.fail(ueof(err), "the top-level object")
		}
		if c == '}' {
			s.pos++
			break
		}
		if !first {
			if c != ',' {
				return w.fail(s.syntax("invalid character %s after object key:value pair", quoteChar(c)), "the top-level object")
			}
			s.pos++
		}
		var key string
		if err := s.unit(func(p *parser) error {
			k, err := p.objectKey()
			key = k
			return err
		}); err != nil {
			return w.fail(err, "a top-level key")
		}
		if key != "Records" {
			if err := s.unit(func(p *parser) error { return p.skip() }); err != nil {
				return w.fail(err, fmt.Sprintf("the value of %q", key))
			}
			continue
		}
		sawRecords = true
		if c, err = s.next(); err != nil {
			return w.fail(ueof(err), "the Records array")
		}
		if c != '[' {
			if err := s.unit(func(p *parser) error { return p.skip() }); err != nil {
				return w.fail(err, "the Records value")
			}
			return fmt.Errorf("%w: Records is not an array", ErrNotCloudTrail)
		}
		s.pos++
		if err := w.array(); err != nil {
			return err
		}
	}
	if err := w.end(); err != nil {
		return err
	}
	if !sawRecords {
		return fmt.Errorf("%w: the object has no Records array", ErrNotCloudTrail)
	}
	return nil
}

// array reads the elements of an array of records up to its closing
// bracket; the scanner is past the opening one.
func (w *walk) array() error {
	s := w.s
	for n := 0; ; n++ {
		c, err := s.next()
		if err != nil {
			return w.fail(ueof(err), w.where())
		}
		if c == ']' {
			s.pos++
			return nil
		}
		if n > 0 {
			if c != ',' {
				return w.fail(s.syntax("invalid character %s after array element", quoteChar(c)), w.where())
			}
			s.pos++
		}
		if err := w.record(); err != nil {
			return err
		}
	}
}

// lines reads record objects one after another to the end of the input.
func (w *walk) lines() error {
	s := w.s
	for {
		c, err := s.next()
		if err == io.EOF && s.rerr == nil {
			return nil
		}
		if err != nil {
			return w.fail(err, w.where())
		}
		if c != '{' {
			return w.fail(s.syntax("invalid character %s looking for the beginning of a record object", quoteChar(c)), w.where())
		}
		if err := w.record(); err != nil {
			return err
		}
	}
}

// where names the next record, for messages.
func (w *walk) where() string { return fmt.Sprintf("record %d", w.st.Records+1) }

// record reads one record and hands it on; a record over the size cap is
// skipped and counted.
func (w *walk) record() error {
	s := w.s
	mistyped := 0
	err := s.unit(func(p *parser) error {
		*w.rec = Record{}
		p.mistyped = 0
		p.detect = w.detect
		err := p.record(w.rec)
		mistyped = p.mistyped
		return err
	})
	if errors.Is(err, errTooLarge) {
		if w.detect {
			return err
		}
		return w.skipRecord()
	}
	if w.detect && errors.Is(err, errLogFile) {
		return err
	}
	if err != nil {
		return w.fail(err, w.where())
	}
	w.st.Records++
	if mistyped > 0 {
		w.st.Mistyped++
	}
	if !w.rec.Valid() {
		w.st.Invalid++
		return nil
	}
	return w.fn(w.rec)
}

// skipRecord passes over a record larger than the size cap and counts it.
func (w *walk) skipRecord() error {
	if err := w.s.skipLarge(); err != nil {
		return w.fail(err, w.where())
	}
	w.st.Records++
	w.st.Oversized++
	if w.st.FirstOversized == 0 {
		w.st.FirstOversized = w.st.Records
	}
	return nil
}

// end reads to the end of the input: gzip checks its CRC only there, and
// anything after the document means the file is not what it claims to be.
func (w *walk) end() error {
	if _, err := w.s.next(); err != io.EOF || w.s.rerr != nil {
		if err == nil {
			return fmt.Errorf("%w: unexpected data after the end of the log", ErrMalformed)
		}
		return w.fail(err, "the end of the file")
	}
	return nil
}

// ueof turns the end of input in the middle of the document into a
// truncation error.
func ueof(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
