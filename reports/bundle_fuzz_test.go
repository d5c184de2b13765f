package reports

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// storedCopy rewrites a bundle with every file stored, not deflated, so
// the fuzzer's mutations reach the manifest and the incident JSON instead
// of only breaking compressed streams.
func storedCopy(t testing.TB, data []byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		body, err := io.ReadAll(rc)
		require.NoError(t, err)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		require.NoError(t, err)
		_, err = w.Write(body)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// FuzzReadBundle feeds ReadBundle arbitrary archives. A bundle comes from
// another machine and may be hostile: whatever it holds must come back as
// an error or as content that matches the hashes it is filed under, within
// the size limit, never as a panic or an allocation the limit does not
// bound. Run it with a short minimisation time, or the first minute goes
// to shrinking one whole bundle:
//
//	go test ./reports -run '^$' -fuzz FuzzReadBundle -fuzztime 60s -fuzzminimizetime 1s
func FuzzReadBundle(f *testing.F) {
	const limit = 1 << 20
	r := richReport(f)
	var buf bytes.Buffer
	if err := WriteBundle(&buf, r.Bundle(), fixtureContents(f, r), []byte("%PDF-1.4 small")); err != nil {
		f.Fatal(err)
	}
	good := buf.Bytes()
	f.Add(good)
	f.Add(storedCopy(f, good))
	f.Add(good[:len(good)/2])
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, contents, _, err := ReadBundle(bytes.NewReader(data), int64(len(data)), limit)
		if err != nil {
			return
		}
		var total int
		for sha, c := range contents {
			if app.HashHex(c) != sha {
				t.Fatalf("content filed under %s hashes to %s", sha, app.HashHex(c))
			}
			total += len(c)
		}
		if total > limit {
			t.Fatalf("%d bytes of content returned with a limit of %d", total, limit)
		}
		if b.Format != app.BundleFormat {
			t.Fatalf("a bundle of format %q was read", b.Format)
		}
	})
}
