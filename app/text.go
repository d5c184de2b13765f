package app

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// NewTextReader returns r's text as UTF-8. Files people hand us are not
// always UTF-8: Windows PowerShell 5 writes UTF-16 with a byte-order mark
// when output is redirected (aws s3api get-bucket-policy > policy.json),
// and Notepad may put a UTF-8 byte-order mark in front. A UTF-8 mark is
// dropped; UTF-16 is recognised by its mark, or without one by the zero
// byte next to a first ASCII character (JSON, YAML and note files all
// start with one), and converted. Anything else passes through unchanged.
// Every reader of such files goes through it, so they agree on what a
// file says.
func NewTextReader(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	head, _ := br.Peek(2)
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		_, _ = br.Discard(2)
		return &utf16Reader{r: br, little: true}
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		_, _ = br.Discard(2)
		return &utf16Reader{r: br}
	case len(head) == 2 && head[0] != 0 && head[0] < utf8.RuneSelf && head[1] == 0:
		return &utf16Reader{r: br, little: true}
	case len(head) == 2 && head[0] == 0 && head[1] != 0 && head[1] < utf8.RuneSelf:
		return &utf16Reader{r: br}
	}
	if h, _ := br.Peek(3); bytes.Equal(h, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	return br
}

// DecodeText is NewTextReader over a document already in memory.
func DecodeText(data []byte) ([]byte, error) {
	if len(data) < 2 || (data[0] != 0 && data[1] != 0 && data[0] != 0xFF && data[0] != 0xFE && data[0] != 0xEF) {
		return data, nil // plain UTF-8 or ASCII: no copy
	}
	return io.ReadAll(NewTextReader(bytes.NewReader(data)))
}

// ErrOddUTF16 reports UTF-16 text cut in the middle of a code unit.
var ErrOddUTF16 = fmt.Errorf("%w: UTF-16 text with an odd number of bytes (cut short?)", ErrInvalid)

// utf16Reader converts UTF-16 to UTF-8 as it is read. Unpaired surrogates
// become U+FFFD, as utf16.Decode does.
type utf16Reader struct {
	r      *bufio.Reader
	little bool
	out    []byte // converted text not yet returned
	high   rune   // a high surrogate waiting for its pair, or 0
	err    error
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 && u.err == nil {
		u.fill()
	}
	if len(u.out) > 0 {
		n := copy(p, u.out)
		u.out = u.out[n:]
		return n, nil
	}
	return 0, u.err
}

// fill converts up to 4 KiB of input.
func (u *utf16Reader) fill() {
	var buf [4096]byte
	n, err := io.ReadFull(u.r, buf[:])
	if n%2 == 1 {
		// Keep the odd byte for the next read unless the input ended.
		if err == nil {
			_ = u.r.UnreadByte()
			n--
		}
	}
	for i := 0; i+1 < n; i += 2 {
		var c rune
		if u.little {
			c = rune(buf[i]) | rune(buf[i+1])<<8
		} else {
			c = rune(buf[i])<<8 | rune(buf[i+1])
		}
		switch {
		case u.high != 0 && utf16.IsSurrogate(c) && c >= 0xDC00:
			u.out = utf8.AppendRune(u.out, utf16.DecodeRune(u.high, c))
			u.high = 0
			continue
		case u.high != 0:
			u.out = utf8.AppendRune(u.out, utf8.RuneError)
			u.high = 0
		}
		if utf16.IsSurrogate(c) && c < 0xDC00 {
			u.high = c
			continue
		}
		if utf16.IsSurrogate(c) {
			c = utf8.RuneError
		}
		u.out = utf8.AppendRune(u.out, c)
	}
	switch {
	case err == nil:
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if u.high != 0 {
			u.out = utf8.AppendRune(u.out, utf8.RuneError)
			u.high = 0
		}
		u.err = io.EOF
		if n%2 == 1 {
			u.err = ErrOddUTF16
		}
	default:
		u.err = err
	}
}
