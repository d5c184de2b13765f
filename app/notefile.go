package app

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// NoteLineTooLongError reports a line of a note file longer than the
// limit; the lines after it are still read.
type NoteLineTooLongError struct{ Max int }

func (e NoteLineTooLongError) Error() string {
	if e.Max >= 1<<20 {
		return fmt.Sprintf("the line is longer than %d MiB", e.Max>>20)
	}
	return fmt.Sprintf("the line is longer than %d bytes", e.Max)
}

// NoteLines splits a note file (one observation a line) into numbered
// lines, decoded by NewTextReader. A line longer than the limit is skipped
// to its end and reported, so the numbering (which a resumed import
// counts on) stays right and one huge line does not stop the rest.
type NoteLines struct {
	br  *bufio.Reader
	max int
	n   int // lines read so far
}

// NewNoteLines reads note lines of at most max bytes from r.
func NewNoteLines(r io.Reader, max int) *NoteLines {
	return &NoteLines{br: bufio.NewReaderSize(NewTextReader(r), 64<<10), max: max}
}

// Next returns the next line without its end of line, and its number; at
// the end io.EOF. A line over the limit gives NoteLineTooLongError with
// its number. At a read error it returns the number of the last whole line
// read, as nothing of the next one can be trusted.
func (l *NoteLines) Next() (string, int, error) {
	var buf []byte
	tooLong := false
	for {
		chunk, err := l.br.ReadSlice('\n')
		if !tooLong {
			buf = append(buf, chunk...)
			if len(bytes.TrimRight(buf, "\r\n")) > l.max {
				tooLong, buf = true, nil
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(buf) == 0 && !tooLong {
				return "", l.n, io.EOF
			}
		case err != nil:
			return "", l.n, err
		}
		l.n++
		if tooLong {
			return "", l.n, NoteLineTooLongError{l.max}
		}
		return string(bytes.TrimRight(buf, "\r\n")), l.n, nil
	}
}

// ParseNoteTime parses the RFC 3339 time of a note. The zero time is
// refused: it is how the service says "now", so it would silently become
// the time of the import. Its errors, like ParseNoteLine's, are the
// line's fault and say so plainly.
func ParseNoteTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time such as 2026-11-26T14:05:00Z", s)
	}
	if t.IsZero() {
		return time.Time{}, fmt.Errorf("%s is the zero time, not when something happened: write the real time, or leave the time out", strings.TrimSpace(s))
	}
	return t, nil
}

// ParseNoteLine splits "RFC3339<TAB>text". A line whose part before the
// first tab starts with a digit is taken to be timed and must parse; any
// other line is text as a whole (observations may contain tabs).
func ParseNoteLine(line string) (time.Time, string, error) {
	before, after, found := strings.Cut(line, "\t")
	if !found || before == "" || before[0] < '0' || before[0] > '9' {
		return time.Time{}, strings.TrimSpace(line), nil
	}
	t, err := ParseNoteTime(before)
	if err != nil {
		return time.Time{}, "", err
	}
	text := strings.TrimSpace(after)
	if text == "" {
		return time.Time{}, "", errors.New("there is a time but no text")
	}
	return t, text, nil
}
