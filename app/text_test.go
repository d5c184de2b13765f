package app

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func utf16Bytes(s string, order binary.AppendByteOrder, bom bool) []byte {
	var b []byte
	if bom {
		b = order.AppendUint16(b, 0xFEFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = order.AppendUint16(b, u)
	}
	return b
}

func TestTextInEveryEncodingWindowsWritesDecodesToTheSameUTF8(t *testing.T) {
	const text = "{\"Version\": \"2012-10-17\"}\n2026-11-26T08:14:00Z\tGetObject by Zoë 🔑 from 203.0.113.7\n"
	for name, in := range map[string][]byte{
		"UTF-8":                 []byte(text),
		"UTF-8 with BOM":        append([]byte{0xEF, 0xBB, 0xBF}, text...),
		"UTF-16 LE with BOM":    utf16Bytes(text, binary.LittleEndian, true),
		"UTF-16 BE with BOM":    utf16Bytes(text, binary.BigEndian, true),
		"UTF-16 LE without BOM": utf16Bytes(text, binary.LittleEndian, false),
		"UTF-16 BE without BOM": utf16Bytes(text, binary.BigEndian, false),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := DecodeText(in)
			require.NoError(t, err)
			assert.Equal(t, text, string(got))
			// Byte by byte through the streaming reader, so surrogate
			// pairs and code units split across reads are exercised.
			var out bytes.Buffer
			r := NewTextReader(&oneByteReader{in})
			_, err = out.ReadFrom(r)
			require.NoError(t, err)
			assert.Equal(t, text, out.String())
		})
	}
}

func TestUTF16CutInTheMiddleOfACharacterIsAnError(t *testing.T) {
	in := utf16Bytes("{}", binary.LittleEndian, true)
	_, err := DecodeText(in[:len(in)-1])
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "odd number of bytes")
}

func TestAnUnpairedSurrogateBecomesTheReplacementCharacter(t *testing.T) {
	in := binary.LittleEndian.AppendUint16([]byte{0xFF, 0xFE}, 'a')
	in = binary.LittleEndian.AppendUint16(in, 0xD83D)
	in = binary.LittleEndian.AppendUint16(in, 'b')
	got, err := DecodeText(in)
	require.NoError(t, err)
	assert.Equal(t, "a\uFFFDb", string(got))
}

type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}
