package cli

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Values printed on a terminal come from AWS (object keys, ARNs), from
// files and from people (titles, notes): any of them may hold escape
// codes that move the cursor, recolour or rewrite lines, or line breaks
// that forge lines of a listing. unsafeRune says which characters must not
// reach a terminal raw; escapeTerm shows them as \xNN or \uNNNN instead.

// unsafeRune is true for control characters (C0, DEL, C1) and the Unicode
// formatting characters that reorder what is displayed (bidirectional
// marks, embeddings, overrides and isolates).
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// escapeTerm returns s with every unsafe character escaped, line breaks
// and tabs included: a value printed in a line or a column of a table
// stays on it. Invalid UTF-8 bytes are escaped as \xNN.
func escapeTerm(s string) string {
	return string(appendEscaped(nil, s, false))
}

// appendEscaped appends s to b with unsafe characters escaped; keepLayout
// leaves newlines and tabs, which lay out the CLI's own output. C0
// characters and invalid bytes become \xNN, the others \uNNNN, which is
// also a valid escape inside a JSON string (encoding/json escapes C0
// itself but leaves C1 and bidirectional controls raw).
func appendEscaped(b []byte, s string, keepLayout bool) []byte {
	clean := true
	for i, r := range s {
		if (r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD")) || (unsafeRune(r) && !(keepLayout && (r == '\n' || r == '\t'))) {
			clean = false
			break
		}
	}
	if clean {
		return append(b, s...)
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b = fmt.Appendf(b, `\x%02x`, s[i])
		case keepLayout && (r == '\n' || r == '\t'):
			b = append(b, byte(r))
		case r < 0x20 || r == 0x7f:
			b = fmt.Appendf(b, `\x%02x`, r)
		case unsafeRune(r):
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// termWriter is the CLI's stdout and stderr: whatever a command prints,
// escape codes in it reach the terminal only as text. Newlines and tabs
// pass, being the layout of the output itself; values that could hold
// them are printed through escapeTerm. A UTF-8 sequence split between two
// writes is held until the next one.
type termWriter struct {
	w       io.Writer
	pending []byte
}

func newTermWriter(w io.Writer) *termWriter {
	if tw, ok := w.(*termWriter); ok {
		return tw
	}
	return &termWriter{w: w}
}

func (t *termWriter) Write(p []byte) (int, error) {
	data := p
	if len(t.pending) > 0 {
		data = append(t.pending, p...)
		t.pending = nil
	}
	// Hold an incomplete UTF-8 sequence at the end for the next write.
	if cut := incompleteTail(data); cut > 0 {
		t.pending = append([]byte(nil), data[len(data)-cut:]...)
		data = data[:len(data)-cut]
	}
	if _, err := t.w.Write(appendEscaped(nil, string(data), true)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a held incomplete sequence, escaped.
func (t *termWriter) Flush() error {
	if len(t.pending) == 0 {
		return nil
	}
	p := t.pending
	t.pending = nil
	_, err := t.w.Write(appendEscaped(nil, string(p), true))
	return err
}

// incompleteTail is the length of a UTF-8 sequence begun but not finished
// at the end of b, or 0.
func incompleteTail(b []byte) int {
	for n := 1; n <= 3 && n <= len(b); n++ {
		c := b[len(b)-n]
		if c < 0x80 {
			return 0
		}
		if c >= 0xC0 { // a lead byte: is its sequence longer than what is here?
			need := 2
			if c >= 0xE0 {
				need = 3
			}
			if c >= 0xF0 {
				need = 4
			}
			if need > n {
				return n
			}
			return 0
		}
	}
	return 0
}
