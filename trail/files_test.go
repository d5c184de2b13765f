package trail

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpandTakesLogFilesAndDigestsAndSkipsTheRest(t *testing.T) {
	root := t.TempDir()
	f := func(rel string) string {
		return writeFile(t, filepath.Join(root, filepath.FromSlash(rel)), []byte("{}"))
	}
	a := f("AWSLogs/1/CloudTrail/eu-west-1/2026/03/01/a.json.gz")
	b := f("AWSLogs/1/CloudTrail/eu-west-1/2026/03/01/B.JSON")
	dg := f("AWSLogs/1/CloudTrail-Digest/eu-west-1/2026/03/01/d.json.gz")
	named := f("elsewhere/1_CloudTrail-Digest_eu-west-1_x.json.gz")
	f("AWSLogs/1/CloudTrail/eu-west-1/2026/03/01/._a.json.gz")
	f("AWSLogs/1/CloudTrail/.cache/x.json")
	f("AWSLogs/notes.txt")
	f("AWSLogs/x.json.gz.part")
	explicit := f("export.txt")

	in := Expand([]string{root, explicit})
	assert.Equal(t, []string{b, a, explicit}, in.Logs, "sorted; hidden files and folders, other names left out")
	assert.Equal(t, []string{dg, named}, in.Digests)
	assert.Empty(t, in.Errors)
	assert.Equal(t, 0, in.Duplicates, "walking the root does not take export.txt")

	in = Expand([]string{root, a, filepath.Join(root, "AWSLogs", "..", "AWSLogs")})
	assert.Equal(t, []string{b, a}, in.Logs)
	assert.Equal(t, 4, in.Duplicates, "a again, then a, b and the digest under a second spelling of their folder")

	in = Expand([]string{explicit, filepath.Join(root, "nope")})
	assert.Equal(t, []string{explicit}, in.Logs, "a file named explicitly is taken whatever its name")
	require.Len(t, in.Errors, 1)
	assert.Equal(t, filepath.Join(root, "nope"), in.Errors[0].File)
	assert.Contains(t, in.Errors[0].Reason, "no such file")
	assert.NotContains(t, in.Errors[0].Reason, root, "the reason does not repeat the path")

	// The root itself may be hidden.
	hidden := filepath.Join(root, ".logs")
	h := writeFile(t, filepath.Join(hidden, "h.json"), []byte("{}"))
	in = Expand([]string{hidden})
	assert.Equal(t, []string{h}, in.Logs)

	assert.True(t, IsLogFile("x/1_CloudTrail_y.json.gz"))
	assert.False(t, IsLogFile("x/.hidden.json"))
	assert.True(t, IsDigestPath(dg))
	assert.False(t, IsDigestPath(a))
}

func TestUnreadableFoldersAreReportedAndTheRestRead(t *testing.T) {
	if os.Geteuid() == 0 {
		// root reads any folder; the permission case cannot be made.
		root := t.TempDir()
		in := Expand([]string{root})
		assert.Empty(t, in.Logs)
		assert.Empty(t, in.Errors)
		return
	}
	root := t.TempDir()
	ok := writeFile(t, filepath.Join(root, "a", "x.json"), []byte("{}"))
	writeFile(t, filepath.Join(root, "b", "y.json"), []byte("{}"))
	require.NoError(t, os.Chmod(filepath.Join(root, "b"), 0))
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(root, "b"), 0o755) })
	in := Expand([]string{root})
	assert.Equal(t, []string{ok}, in.Logs)
	require.Len(t, in.Errors, 1)
	assert.Equal(t, filepath.Join(root, "b"), in.Errors[0].File)
}
