package app

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzNoteFileReader feeds arbitrary bytes through the note file reader
// (text decoding, line splitting with a length limit, time parsing): it
// must never panic, number lines one by one, and keep the limit.
func FuzzNoteFileReader(f *testing.F) {
	for _, seed := range []string{
		"", "\n", "plain note", "2026-11-26T08:14:00Z\tGetObject\r\nsecond\n",
		"\xEF\xBB\xBF2026-11-26T08:14:00Z\tbom\n",
		"\xFF\xFE2\x000\x002\x006\x00\t\x00x\x00\n\x00",
		"\xFE\xFF\x00a\x00\n", "a\x00b\x00", "0001-01-01T00:00:00Z\tzero\n",
		"2026-13-40T99:99:99Z\tbad\n", "1\t", "\t\t\t", strings.Repeat("x", 70) + "\nshort\n",
		"\xFF\xFE\x00\xD8\x00", "\xED\xA0\x80\n", "9abc\tdef",
	} {
		f.Add([]byte(seed))
	}
	const limit = 64
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := NewNoteLines(bytes.NewReader(data), limit)
		lines.br = bufio.NewReaderSize(NewTextReader(bytes.NewReader(data)), 16) // small buffer: long lines span reads
		want := 1
		for {
			line, n, err := lines.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil && !errors.As(err, new(NoteLineTooLongError)) && !errors.Is(err, ErrOddUTF16) {
				t.Fatalf("unexpected error %v", err)
			}
			if errors.Is(err, ErrOddUTF16) {
				return // the input ended inside a character
			}
			if n != want {
				t.Fatalf("line numbered %d, want %d", n, want)
			}
			want++
			if err != nil {
				continue
			}
			if len(line) > limit || strings.ContainsAny(line, "\n") || strings.HasSuffix(line, "\r") {
				t.Fatalf("line %d not split right: %q", n, line)
			}
			at, text, err := ParseNoteLine(line)
			if err != nil {
				continue
			}
			if text != strings.TrimSpace(text) {
				t.Fatalf("text %q not trimmed", text)
			}
			if !at.IsZero() && text == "" {
				t.Fatalf("a timed line %q without text was accepted", line)
			}
			if utf8.ValidString(line) && !utf8.ValidString(text) {
				t.Fatalf("valid line gave invalid text %q", text)
			}
		}
	})
}
