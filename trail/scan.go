package trail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	textunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// The log parser is a small streaming JSON scanner written for this one
// document shape instead of encoding/json's Decoder: measured on CloudTrail
// records, the Decoder manages about 110 MB/s per core (it scans every value
// twice and decodes through reflection), which on a laptop is slower than
// gunzip itself. This scanner reads each byte once, keeps only the fields
// Record needs, and validates the JSON as strictly as encoding/json does
// (FuzzParseRecords checks both against each other).
//
// It works on a buffer refilled from the reader. Each "unit" (a key, a
// record, a skipped value) is parsed from the buffer; when the buffer ends
// inside a unit the parser returns errShort, the scanner keeps the unit's
// bytes, reads more and parses the unit again from its start. Units are far
// smaller than the buffer, so little is parsed twice; whitespace between
// units is dropped as it streams by, and a unit larger than the record limit
// is refused rather than buffered.

var (
	errShort    = errors.New("need more input")
	errTooLarge = errors.New("size limit reached")
	// errLogFile stops the reading of a file's first object as a record
	// when it turns out to be a log file's {"Records":[...]}.
	errLogFile = errors.New("a log file, not a record")
)

// maxDepth is encoding/json's nesting limit; deeper input is an error there
// and here.
const maxDepth = 10000

// syntaxError is malformed JSON at a byte offset of the (uncompressed)
// stream.
type syntaxError struct {
	off int64
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// scanner owns the buffer.
type scanner struct {
	r    io.Reader
	buf  []byte
	pos  int   // next unread byte
	end  int   // end of valid data
	base int64 // stream offset of buf[0]
	rerr error // the reader's error, other than io.EOF
	eof  bool
	max  int
	// names interns the short, repeated strings of records (event names,
	// ARNs, addresses), so each is allocated once per file, not per record.
	names map[string]string
}

func newScanner(r io.Reader, max int) *scanner {
	return &scanner{r: r, buf: make([]byte, 64<<10), max: max, names: make(map[string]string, 256)}
}

// fill reads more input, keeping buf[keep:end] (moved to the front). It
// returns io.EOF at the end of the input, the reader's error, or
// errTooLarge when the kept bytes already reach the limit.
func (s *scanner) fill(keep int) error {
	if keep > 0 {
		n := copy(s.buf, s.buf[keep:s.end])
		s.base += int64(keep)
		s.pos -= keep
		s.end = n
	}
	if s.eof {
		if s.rerr != nil {
			return s.rerr
		}
		return io.EOF
	}
	if s.end >= s.max {
		return errTooLarge
	}
	if s.end == len(s.buf) {
		nb := make([]byte, min(2*len(s.buf), s.max+1))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	// Fill the buffer rather than taking the first short read: a unit that
	// spans the end is parsed again after each fill, so fewer, fuller
	// fills keep that work linear even when the reader hands out bytes a
	// few at a time.
	start := s.end
	for s.end < len(s.buf) {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.rerr = err
			}
			break
		}
	}
	if s.end > start {
		return nil
	}
	if s.rerr != nil {
		return s.rerr
	}
	return io.EOF
}

// sniff reads the start of the input and handles its encoding: a UTF-8
// byte-order mark is dropped, and UTF-16 (told by its byte-order mark, or
// without one by the zero byte beside the first character, which in JSON is
// ASCII) is decoded to UTF-8 as it streams. Offsets in messages are then of
// the decoded text. It returns io.EOF for empty input.
func (s *scanner) sniff() error {
	for s.end < 4 && !s.eof {
		if err := s.fill(0); err != nil {
			if err != io.EOF {
				return err
			}
			break
		}
	}
	b := s.buf[:s.end]
	var order textunicode.Endianness
	skip := 0
	switch {
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		s.pos = 3
		return nil
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}):
		order, skip = textunicode.LittleEndian, 2
	case bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		order, skip = textunicode.BigEndian, 2
	case len(b) >= 2 && b[0] != 0 && b[1] == 0:
		order = textunicode.LittleEndian
	case len(b) >= 2 && b[0] == 0 && b[1] != 0:
		order = textunicode.BigEndian
	default:
		if len(b) == 0 {
			return io.EOF
		}
		return nil
	}
	if s.rerr != nil {
		return s.rerr
	}
	rest := bytes.Clone(b[skip:])
	var src io.Reader = bytes.NewReader(rest)
	if !s.eof {
		src = io.MultiReader(src, s.r)
	}
	s.r = transform.NewReader(src, textunicode.UTF16(order, textunicode.IgnoreBOM).NewDecoder())
	s.pos, s.end, s.eof = 0, 0, false
	return nil
}

// skipLarge consumes the value at the scanner's position without keeping
// it, for a record over the size cap: only strings and brackets are
// followed, so its bytes stream through the buffer instead of filling it.
// What it skips is not checked to be JSON.
func (s *scanner) skipLarge() error {
	depth := 0
	inString, escaped := false, false
	for {
		for s.pos < s.end {
			c := s.buf[s.pos]
			s.pos++
			switch {
			case inString:
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
					if depth == 0 {
						return nil
					}
				}
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				if depth == 0 {
					s.pos--
					return nil
				}
				depth--
				if depth == 0 {
					return nil
				}
			case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
				// The end of a number or literal too long to read.
				s.pos--
				return nil
			}
		}
		if err := s.fill(s.pos); err != nil {
			return ueof(err)
		}
	}
}

// next skips whitespace, dropping it, and returns the next byte without
// consuming it; io.EOF at the end of the input.
func (s *scanner) next() (byte, error) {
	for {
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return c, nil
			}
		}
		if err := s.fill(s.pos); err != nil {
			return 0, err
		}
	}
}

func (s *scanner) syntax(format string, a ...any) error {
	return &syntaxError{off: s.base + int64(s.pos), msg: fmt.Sprintf(format, a...)}
}

// unit parses one unit with f, refilling and starting over as needed.
func (s *scanner) unit(f func(*parser) error) error {
	final := false
	for {
		p := parser{b: s.buf[s.pos:s.end], base: s.base + int64(s.pos), s: s, depth: 2, final: final}
		err := f(&p)
		if err == errShort {
			if final {
				return io.ErrUnexpectedEOF
			}
			if err := s.fill(s.pos); err != nil {
				if err != io.EOF {
					return err
				}
				// A number may end the input; parse once more knowing
				// that nothing follows.
				final = true
			}
			continue
		}
		if err != nil {
			return err
		}
		if p.i > s.max {
			return errTooLarge
		}
		s.pos += p.i
		return nil
	}
}

// intern returns b as a string, sharing one copy of each short string.
func (s *scanner) intern(b []byte) string {
	if len(b) > 512 {
		return string(b)
	}
	if v, ok := s.names[string(b)]; ok {
		return v
	}
	if len(s.names) >= 16384 {
		clear(s.names)
	}
	v := string(b)
	s.names[v] = v
	return v
}

// parser reads JSON from a slice of the scanner's buffer.
type parser struct {
	b        []byte
	i        int
	base     int64
	s        *scanner
	depth    int
	mistyped int
	// final is set when the input ends where the buffer ends.
	final bool
	// detect makes a Records key in a record an errLogFile.
	detect bool
}

func (p *parser) syntax(format string, a ...any) error {
	return &syntaxError{off: p.base + int64(p.i), msg: fmt.Sprintf(format, a...)}
}

func quoteChar(c byte) string {
	switch {
	case c == '\'':
		return `'\''`
	case c == '"':
		return `'"'`
	case c < 0x20 || c >= 0x7f:
		return strconv.Quote(string(rune(c)))
	}
	return "'" + string(c) + "'"
}

// peek skips whitespace and returns the next byte.
func (p *parser) peek() (byte, error) {
	for p.i < len(p.b) {
		switch c := p.b[p.i]; c {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return c, nil
		}
	}
	return 0, errShort
}

// objectKey reads `"key" :` and returns the key.
func (p *parser) objectKey() (string, error) {
	c, err := p.peek()
	if err != nil {
		return "", err
	}
	if c != '"' {
		return "", p.syntax("invalid character %s looking for beginning of object key string", quoteChar(c))
	}
	start, end, fl, err := p.scanString()
	if err != nil {
		return "", err
	}
	if c, err = p.peek(); err != nil {
		return "", err
	}
	if c != ':' {
		return "", p.syntax("invalid character %s after object key", quoteChar(c))
	}
	p.i++
	return p.text(start, end, fl, true), nil
}

// object reads the object at p.i, calling field for each key; field must
// consume the value. The key slice is only valid during the call.
func (p *parser) object(field func(key []byte) error) error {
	p.i++ // '{'
	p.depth++
	if p.depth > maxDepth {
		return p.syntax("exceeded max depth")
	}
	c, err := p.peek()
	if err != nil {
		return err
	}
	if c == '}' {
		p.i++
		p.depth--
		return nil
	}
	for {
		if c != '"' {
			return p.syntax("invalid character %s looking for beginning of object key string", quoteChar(c))
		}
		start, end, fl, err := p.scanString()
		if err != nil {
			return err
		}
		key := p.b[start:end]
		if fl != 0 {
			key = unquote(key)
		}
		if c, err = p.peek(); err != nil {
			return err
		}
		if c != ':' {
			return p.syntax("invalid character %s after object key", quoteChar(c))
		}
		p.i++
		if err := field(key); err != nil {
			return err
		}
		if c, err = p.peek(); err != nil {
			return err
		}
		switch c {
		case ',':
			p.i++
			if c, err = p.peek(); err != nil {
				return err
			}
		case '}':
			p.i++
			p.depth--
			return nil
		default:
			return p.syntax("invalid character %s after object key:value pair", quoteChar(c))
		}
	}
}

// array reads the array at p.i, calling elem for each element.
func (p *parser) array(elem func() error) error {
	p.i++ // '['
	p.depth++
	if p.depth > maxDepth {
		return p.syntax("exceeded max depth")
	}
	c, err := p.peek()
	if err != nil {
		return err
	}
	if c == ']' {
		p.i++
		p.depth--
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if c, err = p.peek(); err != nil {
			return err
		}
		switch c {
		case ',':
			p.i++
		case ']':
			p.i++
			p.depth--
			return nil
		default:
			return p.syntax("invalid character %s after array element", quoteChar(c))
		}
	}
}

// skip reads and validates one value of any kind.
func (p *parser) skip() error {
	c, err := p.peek()
	if err != nil {
		return err
	}
	switch {
	case c == '{':
		return p.object(func([]byte) error { return p.skip() })
	case c == '[':
		return p.array(p.skip)
	case c == '"':
		_, _, _, err := p.scanString()
		return err
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, _, err := p.number()
		return err
	}
	return p.syntax("invalid character %s looking for beginning of value", quoteChar(c))
}

func (p *parser) literal(lit string) error {
	for k := 0; k < len(lit); k++ {
		if p.i+k >= len(p.b) {
			return errShort
		}
		if p.b[p.i+k] != lit[k] {
			p.i += k
			return p.syntax("invalid character %s in literal %s (expecting %s)", quoteChar(p.b[p.i]), lit, quoteChar(lit[k]))
		}
	}
	p.i += len(lit)
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number reads a JSON number and returns its bounds.
func (p *parser) number() (int, int, error) {
	b, i, start := p.b, p.i, p.i
	bad := func(at int) error {
		p.i = at
		return p.syntax("invalid character %s in numeric literal", quoteChar(b[at]))
	}
	if b[i] == '-' {
		i++
		if i >= len(b) {
			return 0, 0, errShort
		}
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return 0, 0, bad(i)
	}
	if i >= len(b) {
		return p.numberEnd(start, i)
	}
	if b[i] == '.' {
		i++
		if i >= len(b) {
			return 0, 0, errShort
		}
		if !isDigit(b[i]) {
			return 0, 0, bad(i)
		}
		for ; i < len(b) && isDigit(b[i]); i++ {
		}
		if i >= len(b) {
			return p.numberEnd(start, i)
		}
	}
	if b[i] == 'e' || b[i] == 'E' {
		i++
		if i >= len(b) {
			return 0, 0, errShort
		}
		if b[i] == '+' || b[i] == '-' {
			i++
			if i >= len(b) {
				return 0, 0, errShort
			}
		}
		if !isDigit(b[i]) {
			return 0, 0, bad(i)
		}
		for ; i < len(b) && isDigit(b[i]); i++ {
		}
		if i >= len(b) {
			return p.numberEnd(start, i)
		}
	}
	p.i = i
	return start, i, nil
}

// numberEnd handles a number that reaches the end of the buffer: complete
// if the input ends there, otherwise more digits may follow.
func (p *parser) numberEnd(start, i int) (int, int, error) {
	if !p.final {
		return 0, 0, errShort
	}
	p.i = i
	return start, i, nil
}

const (
	strEscaped = 1 << iota // holds backslash escapes
	strHigh                // holds bytes >= 0x80
)

// plain marks the bytes a string may hold with no special meaning: not a
// quote, backslash, control character or the start of multi-byte UTF-8.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// scanString validates the string at p.i and returns the bounds of its
// content (without quotes) and what decoding it needs.
func (p *parser) scanString() (int, int, int, error) {
	b := p.b
	start := p.i + 1
	fl := 0
	for i := start; i < len(b); {
		// Most bytes are plain: skip runs of them with one table lookup
		// each before looking at the byte that ends the run.
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			p.i = i + 1
			return start, i, fl, nil
		case c == '\\':
			fl |= strEscaped
			if i+1 >= len(b) {
				return 0, 0, 0, errShort
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for j := i + 2; j < i+6; j++ {
					if j >= len(b) {
						return 0, 0, 0, errShort
					}
					if !isHex(b[j]) {
						p.i = j
						return 0, 0, 0, p.syntax("invalid character %s in \\u hexadecimal character escape", quoteChar(b[j]))
					}
				}
				i += 6
			default:
				p.i = i + 1
				return 0, 0, 0, p.syntax("invalid character %s in string escape code", quoteChar(b[i+1]))
			}
		case c < 0x20:
			p.i = i
			return 0, 0, 0, p.syntax("invalid character %s in string literal", quoteChar(c))
		case c >= utf8.RuneSelf:
			fl |= strHigh
			i++
		default:
			i++
		}
	}
	return 0, 0, 0, errShort
}

// text decodes string content as encoding/json does: escapes resolved,
// invalid UTF-8 and lone surrogates replaced by U+FFFD.
func (p *parser) text(start, end, fl int, shared bool) string {
	b := p.b[start:end]
	if fl&strEscaped == 0 && (fl&strHigh == 0 || utf8.Valid(b)) {
		if shared {
			return p.s.intern(b)
		}
		return string(b)
	}
	return string(unquote(b))
}

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// unquote decodes validated string content.
func unquote(s []byte) []byte {
	out := make([]byte, 0, len(s)+utf8.UTFMax)
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			switch s[r+1] {
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				rr := getu4(s[r:])
				r += 6
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(s[r:])); dec != unicode.ReplacementChar {
						r += 6
						out = utf8.AppendRune(out, dec)
						continue
					}
					rr = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, rr)
				continue
			default: // '"', '\\', '/'
				out = append(out, s[r+1])
			}
			r += 2
		case c < utf8.RuneSelf:
			out = append(out, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			out = utf8.AppendRune(out, rr)
		}
	}
	return out
}

// str reads a string field. A null leaves it empty; another type leaves it
// empty and counts as mistyped. shared interns the value.
func (p *parser) str(dst *string, shared bool) error {
	c, err := p.peek()
	if err != nil {
		return err
	}
	if c == '"' {
		start, end, fl, err := p.scanString()
		if err != nil {
			return err
		}
		*dst = p.text(start, end, fl, shared)
		return nil
	}
	*dst = ""
	if c != 'n' {
		p.mistyped++
	}
	return p.skip()
}

// num reads a number field; out of range, null or another type reads as 0.
func (p *parser) num(dst *float64) error {
	c, err := p.peek()
	if err != nil {
		return err
	}
	*dst = 0
	if c == '-' || isDigit(c) {
		start, end, err := p.number()
		if err != nil {
			return err
		}
		v, err := strconv.ParseFloat(string(p.b[start:end]), 64)
		if err != nil {
			p.mistyped++
			return nil
		}
		*dst = v
		return nil
	}
	if c != 'n' {
		p.mistyped++
	}
	return p.skip()
}

// boolp reads a boolean field; null or another type reads as unset.
func (p *parser) boolp(dst **bool) error {
	c, err := p.peek()
	if err != nil {
		return err
	}
	*dst = nil
	if c == 't' || c == 'f' {
		if err := p.skip(); err != nil {
			return err
		}
		v := c == 't'
		*dst = &v
		return nil
	}
	if c != 'n' {
		p.mistyped++
	}
	return p.skip()
}

// sub reads a nested object field: reset clears the destination (the last
// occurrence of a key wins), null or another type leaves it cleared.
func (p *parser) sub(reset func(), field func(key []byte) error) error {
	c, err := p.peek()
	if err != nil {
		return err
	}
	reset()
	if c != '{' {
		if c != 'n' {
			p.mistyped++
		}
		return p.skip()
	}
	return p.object(field)
}

// record reads one element of the Records array. An element that is not
// an object leaves r empty (and so not Valid).
func (p *parser) record(r *Record) error {
	c, err := p.peek()
	if err != nil {
		return err
	}
	if c != '{' {
		return p.skip()
	}
	return p.object(func(k []byte) error {
		switch string(k) {
		case "eventVersion":
			return p.str(&r.EventVersion, true)
		case "eventTime":
			return p.str(&r.EventTime, false)
		case "eventSource":
			return p.str(&r.EventSource, true)
		case "eventName":
			return p.str(&r.EventName, true)
		case "awsRegion":
			return p.str(&r.AWSRegion, true)
		case "sourceIPAddress":
			return p.str(&r.SourceIPAddress, true)
		case "userAgent":
			return p.str(&r.UserAgent, true)
		case "errorCode":
			return p.str(&r.ErrorCode, true)
		case "errorMessage":
			return p.str(&r.ErrorMessage, true)
		case "readOnly":
			return p.boolp(&r.ReadOnly)
		case "eventID":
			return p.str(&r.EventID, false)
		case "eventType":
			return p.str(&r.EventType, true)
		case "eventCategory":
			return p.str(&r.EventCategory, true)
		case "recipientAccountId":
			return p.str(&r.RecipientAccountID, true)
		case "userIdentity":
			return p.userIdentity(&r.UserIdentity)
		case "requestParameters":
			q := &r.RequestParameters
			return p.sub(func() { *q = RequestParameters{} }, func(k []byte) error {
				switch string(k) {
				case "bucketName":
					return p.str(&q.BucketName, true)
				case "key":
					return p.str(&q.Key, false)
				case "userName":
					return p.str(&q.UserName, true)
				case "roleName":
					return p.str(&q.RoleName, true)
				case "policyName":
					return p.str(&q.PolicyName, true)
				case "policyArn":
					return p.str(&q.PolicyArn, true)
				case "accessKeyId":
					return p.str(&q.AccessKeyID, true)
				case "status":
					return p.str(&q.Status, true)
				}
				return p.skip()
			})
		case "additionalEventData":
			a := &r.AdditionalData
			return p.sub(func() { *a = AdditionalEventData{} }, func(k []byte) error {
				switch string(k) {
				case "bytesTransferredIn":
					return p.num(&a.BytesTransferredIn)
				case "bytesTransferredOut":
					return p.num(&a.BytesTransferredOut)
				}
				return p.skip()
			})
		case "resources":
			return p.resources(&r.Resources)
		case "Records":
			if p.detect {
				return errLogFile
			}
		}
		return p.skip()
	})
}

func (p *parser) userIdentity(u *UserIdentity) error {
	return p.sub(func() { *u = UserIdentity{} }, func(k []byte) error {
		switch string(k) {
		case "type":
			return p.str(&u.Type, true)
		case "principalId":
			return p.str(&u.PrincipalID, true)
		case "arn":
			return p.str(&u.ARN, true)
		case "accountId":
			return p.str(&u.AccountID, true)
		case "accessKeyId":
			return p.str(&u.AccessKeyID, true)
		case "userName":
			return p.str(&u.UserName, true)
		case "invokedBy":
			return p.str(&u.InvokedBy, true)
		case "sessionContext":
			sc := &u.SessionContext
			return p.sub(func() { *sc = SessionContext{} }, func(k []byte) error {
				switch string(k) {
				case "sessionIssuer":
					si := &sc.SessionIssuer
					return p.sub(func() { *si = SessionIssuer{} }, func(k []byte) error {
						switch string(k) {
						case "type":
							return p.str(&si.Type, true)
						case "arn":
							return p.str(&si.ARN, true)
						case "userName":
							return p.str(&si.UserName, true)
						}
						return p.skip()
					})
				case "attributes":
					at := &sc.Attributes
					return p.sub(func() { *at = SessionAttributes{} }, func(k []byte) error {
						switch string(k) {
						case "creationDate":
							return p.str(&at.CreationDate, false)
						case "mfaAuthenticated":
							return p.str(&at.MFAAuthenticated, true)
						}
						return p.skip()
					})
				}
				return p.skip()
			})
		}
		return p.skip()
	})
}

// resources reads the resources list; an element that is not an object
// becomes an empty Resource, as encoding/json would make it.
func (p *parser) resources(dst *[]Resource) error {
	c, err := p.peek()
	if err != nil {
		return err
	}
	*dst = nil
	if c != '[' {
		if c != 'n' {
			p.mistyped++
		}
		return p.skip()
	}
	list := make([]Resource, 0, 2)
	err = p.array(func() error {
		var res Resource
		err := p.sub(func() {}, func(k []byte) error {
			switch string(k) {
			case "type":
				return p.str(&res.Type, true)
			case "ARN":
				return p.str(&res.ARN, false)
			}
			return p.skip()
		})
		list = append(list, res)
		return err
	})
	*dst = list
	return err
}
