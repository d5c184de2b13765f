package exposure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"s3responder/app"
)

// SyntaxError is a problem in a policy or ACL document, with the place it
// was found so that a responder can fix a pasted or saved file by hand.
type SyntaxError struct {
	What   string // "bucket policy", "bucket ACL", ...
	Offset int64  // byte offset, zero-based
	Line   int    // one-based
	Column int    // one-based, in characters
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s, line %d column %d: %s", e.What, e.Line, e.Column, e.Msg)
}

// Unwrap lets callers test for app.ErrInvalid: a document that does not
// parse is bad input, not a failure of the app.
func (e *SyntaxError) Unwrap() error { return app.ErrInvalid }

type nodeKind int

const (
	kindNull nodeKind = iota
	kindBool
	kindNumber
	kindString
	kindObject
	kindArray
)

func (k nodeKind) String() string {
	return [...]string{"null", "true/false", "a number", "a string", "an object", "a list"}[k]
}

// node is a JSON value together with where it starts. encoding/json's
// Unmarshal loses positions once the syntax is valid, but most mistakes in
// hand-edited policies are valid JSON with the wrong shape ("Effect":"allow",
// a Principal that is a number), and those deserve a position too.
type node struct {
	kind   nodeKind
	off    int64
	text   string // string value, number literal, "true"/"false"
	keys   []string
	keyOff []int64
	vals   []*node // object values (parallel to keys) or array items
}

// maxDepth bounds nesting so that a hostile document cannot exhaust the
// stack; real policies are at most five levels deep.
const maxDepth = 64

type treeReader struct {
	what string
	src  []byte
	dec  *json.Decoder
}

// parseTree reads exactly one JSON value from src.
func parseTree(what string, src []byte) (*node, error) {
	r := &treeReader{what: what, src: src, dec: json.NewDecoder(bytes.NewReader(src))}
	r.dec.UseNumber()
	n, err := r.value(0)
	if err != nil {
		return nil, err
	}
	if tok, err := r.dec.Token(); err != io.EOF {
		if err != nil {
			return nil, r.decodeErr(err)
		}
		return nil, r.errAt(r.dec.InputOffset()-1, "unexpected %v after the end of the document", tok)
	}
	return n, nil
}

// start returns the offset of the next token: the decoder's offset is just
// past the previous token, before any separator and space.
func (r *treeReader) start() int64 {
	off := r.dec.InputOffset()
	for off < int64(len(r.src)) {
		switch r.src[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

func (r *treeReader) value(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, r.errAt(r.start(), "nested more than %d levels deep", maxDepth)
	}
	off := r.start()
	tok, err := r.dec.Token()
	if err != nil {
		if err == io.EOF {
			if len(bytes.TrimSpace(r.src)) == 0 {
				return nil, r.errAt(0, "the document is empty")
			}
			return nil, r.errAt(int64(len(r.src)), "the document ends too early")
		}
		return nil, r.decodeErr(err)
	}
	n := &node{off: off}
	switch t := tok.(type) {
	case nil:
		n.kind = kindNull
	case bool:
		n.kind, n.text = kindBool, fmt.Sprint(t)
	case json.Number:
		n.kind, n.text = kindNumber, t.String()
	case string:
		n.kind, n.text = kindString, t
	case json.Delim:
		switch t {
		case '{':
			n.kind = kindObject
			for r.dec.More() {
				koff := r.start()
				ktok, err := r.dec.Token()
				if err != nil {
					return nil, r.decodeErr(err)
				}
				key, _ := ktok.(string)
				v, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.keyOff = append(n.keyOff, koff)
				n.vals = append(n.vals, v)
			}
		case '[':
			n.kind = kindArray
			for r.dec.More() {
				v, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
		}
		if _, err := r.dec.Token(); err != nil { // closing delimiter
			return nil, r.decodeErr(err)
		}
	}
	return n, nil
}

func (r *treeReader) decodeErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// The Decoder's offsets are not always from the start of the
		// input; Unmarshal's are, so let it find the same mistake.
		var v any
		if uerr := json.Unmarshal(r.src, &v); errors.As(uerr, &se) {
			off := se.Offset - 1
			if off < 0 {
				off = 0
			}
			return r.errAt(off, "%s", se.Error())
		}
		return r.errAt(r.dec.InputOffset(), "%s", se.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
		return r.errAt(int64(len(r.src)), "the document ends too early")
	}
	return r.errAt(r.dec.InputOffset(), "%s", err.Error())
}

func (r *treeReader) errAt(off int64, format string, args ...any) error {
	return newSyntaxError(r.what, r.src, off, fmt.Sprintf(format, args...))
}

func newSyntaxError(what string, src []byte, off int64, msg string) *SyntaxError {
	if off > int64(len(src)) {
		off = int64(len(src))
	}
	if off < 0 {
		off = 0
	}
	before := src[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return &SyntaxError{What: what, Offset: off, Line: line, Column: col, Msg: msg}
}

// shapeError reports a document that is valid JSON but not the expected
// shape, at the offending value.
type shapeChecker struct {
	what string
	src  []byte
}

func (c shapeChecker) at(n *node, format string, args ...any) error {
	var off int64
	if n != nil {
		off = n.off
	}
	return newSyntaxError(c.what, c.src, off, fmt.Sprintf(format, args...))
}

// strings reads a value that IAM allows to be one string or a list of
// strings. Bools and numbers are accepted as their text because condition
// values such as {"aws:SecureTransport": false} are written that way.
func (c shapeChecker) strings(n *node, field string, allowScalars bool) ([]string, error) {
	one := func(v *node) (string, error) {
		switch v.kind {
		case kindString:
			return v.text, nil
		case kindBool, kindNumber:
			if allowScalars {
				return v.text, nil
			}
		}
		return "", c.at(v, "%s must be a string or a list of strings, not %s", field, v.kind)
	}
	if n.kind == kindArray {
		out := make([]string, 0, len(n.vals))
		for _, v := range n.vals {
			s, err := one(v)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := one(n)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// quote shortens long values for messages.
func quote(s string) string {
	if utf8.RuneCountInString(s) > 80 {
		r := []rune(s)
		s = string(r[:77]) + "..."
	}
	return fmt.Sprintf("%q", s)
}

func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = quote(v)
	}
	return strings.Join(q, ", ")
}
