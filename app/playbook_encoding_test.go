package app

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAPlaybookSavedByWindowsToolsParsesLikeTheUTF8One(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "cli", "testdata", "playbook.yaml"))
	require.NoError(t, err)
	want, err := ParsePlaybook("playbook.yaml", data)
	require.NoError(t, err)
	for name, in := range map[string][]byte{
		"UTF-8 with BOM":        append([]byte{0xEF, 0xBB, 0xBF}, data...),
		"UTF-16 LE with BOM":    utf16Bytes(string(data), binary.LittleEndian, true),
		"UTF-16 BE with BOM":    utf16Bytes(string(data), binary.BigEndian, true),
		"UTF-16 LE without BOM": utf16Bytes(string(data), binary.LittleEndian, false),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePlaybook("playbook.yaml", in)
			require.NoError(t, err)
			assert.Equal(t, want.ID, got.ID)
			assert.Equal(t, len(want.Parts), len(got.Parts))
		})
	}
}
