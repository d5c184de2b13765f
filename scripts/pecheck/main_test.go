package main

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildExe cross-compiles a tiny Windows program (pure Go, so no mingw
// needed) with the given linker flags.
func buildExe(t *testing.T, ldflags string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nvar version string\n\nfunc main() { println(version) }\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module tiny\n\ngo 1.21\n"), 0o600))
	exe := filepath.Join(dir, "tiny.exe")
	cmd := exec.Command("go", "build", "-ldflags="+ldflags, "-o", exe, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return exe
}

func TestAConsoleExecutableIsRejectedAndAGUIOneWithoutResourcesToo(t *testing.T) {
	_, err := check(buildExe(t, "-X main.version=0.2.0"), "0.2.0", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "console window")

	facts, err := check(buildExe(t, "-H=windowsgui -X main.version=0.2.0"), "0.2.0", "")
	require.Error(t, err)
	assert.Contains(t, facts, "subsystem: Windows GUI")
	assert.Contains(t, err.Error(), "no .rsrc section")
}

// rsrc lays out a .rsrc section the way Windows does (type, name and
// language directories, then data entries) holding one resource per type.
func rsrc(va uint32, byType map[uint32][]byte, order []uint32) []byte {
	le := binary.LittleEndian
	dir := func(b []byte, id, target uint32) []byte {
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint16(b, 1)
		b = le.AppendUint32(b, id)
		return le.AppendUint32(b, target)
	}
	// Root directory with one entry per type; each type's subtree is
	// 24 (name dir) + 24 (language dir) + 16 (data entry) bytes, then
	// the data.
	n := len(order)
	b := le.AppendUint32(nil, 0)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint16(b, uint16(n))
	base := uint32(16 + 8*n)
	var dataOff []uint32
	off := base + uint32(64*n)
	for i, id := range order {
		b = le.AppendUint32(b, id)
		b = le.AppendUint32(b, 0x80000000|(base+uint32(64*i)))
		dataOff = append(dataOff, off)
		off += uint32(len(byType[id]))
	}
	for i, id := range order {
		sub := base + uint32(64*i)
		b = dir(b, 1, 0x80000000|(sub+24))
		b = dir(b, 0x409, sub+48)
		b = le.AppendUint32(b, va+dataOff[i])
		b = le.AppendUint32(b, uint32(len(byType[id])))
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, 0)
	}
	for _, id := range order {
		b = append(b, byType[id]...)
	}
	return b
}

func TestTheVersionResourceIsFoundAndItsFileVersionRead(t *testing.T) {
	le := binary.LittleEndian
	// VS_VERSIONINFO: a header and key, then VS_FIXEDFILEINFO with
	// FileVersion 0.2.0.7.
	vi := []byte("header-and-key-padding..")
	vi = le.AppendUint32(vi, 0xfeef04bd)
	vi = le.AppendUint32(vi, 0x00010000)
	vi = le.AppendUint32(vi, 0<<16|2)
	vi = le.AppendUint32(vi, 0<<16|7)
	const va = 0x5000
	data := rsrc(va, map[uint32][]byte{rtGroupIcon: []byte("icon"), rtVersion: vi}, []uint32{rtGroupIcon, rtVersion})

	res, err := parseResources(data, va)
	require.NoError(t, err)
	assert.Equal(t, []byte("icon"), res[rtGroupIcon])
	fv, err := fileVersion(res[rtVersion])
	require.NoError(t, err)
	assert.Equal(t, "0.2.0.7", fv)

	_, err = fileVersion([]byte("no fixed file info here"))
	assert.ErrorContains(t, err, "VS_FIXEDFILEINFO")
}
