package trail

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

func TestDownloadedPaths(t *testing.T) {
	dir := filepath.Join("cache", "logs")
	files := []app.DownloadedLog{
		{Key: "AWSLogs/1/CloudTrail/r/2026/03/01/a.json.gz", Path: filepath.Join(dir, "AWSLogs", "1", "CloudTrail", "r", "2026", "03", "01", "a.json.gz")},
		{Key: "AWSLogs/1/CloudTrail/r/2026/03/02/b.json", Path: filepath.Join(dir, "AWSLogs", "1", "CloudTrail", "r", "2026", "03", "02", "b.json")},
		{Key: "AWSLogs/1/CloudTrail/r/2026/03/02/notes.txt", Path: filepath.Join(dir, "AWSLogs", "1", "CloudTrail", "r", "2026", "03", "02", "notes.txt")},
	}
	tests := []struct {
		name   string
		prefix string
		want   []string
	}{
		{"whole bucket", "", []string{dir}},
		{"a folder", "AWSLogs/1/CloudTrail/", []string{filepath.Join(dir, "AWSLogs", "1", "CloudTrail")}},
		{"part of a name: the files themselves", "AWSLogs/1/CloudTrail/r/2026/03/0", []string{files[0].Path, files[1].Path}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := DownloadedPaths(app.LogDownloadResult{Dir: dir, Prefix: tc.prefix, Files: files})
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", filepath.Join(t.TempDir(), "cache"))
	t.Setenv("HOME", t.TempDir())
	got, err := CacheDir("org-trail-logs")
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(got, filepath.Join("s3responder", "cloudtrail", "org-trail-logs")), got)
	for _, bad := range []string{"", "..", "a/b", `a\b`} {
		_, err := CacheDir(bad)
		assert.ErrorIs(t, err, app.ErrInvalid, bad)
	}
}

func TestFilterParamsRepeatTheRun(t *testing.T) {
	yes := false
	f := Filter{Buckets: []string{"a", "b"}, KeyPrefix: "x/", AccessKeys: []string{"AKIA1"}, Networks: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")},
		Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600)), ReadOnly: &yes}
	assert.Equal(t, map[string]string{"bucket": "a,b", "key-prefix": "x/", "access-key": "AKIA1", "source-ip": "203.0.113.0/24",
		"since": "2026-02-28T23:00:00Z", "write-only": "true"}, filterParams(f))
	assert.Nil(t, filterParams(Filter{}))
	assert.Equal(t, "a; b", describePaths([]string{"a", "b"}))
	assert.Equal(t, "1; 2; 3; 4; 5; … and 2 more (see cloudtrail-files.sha256)", describePaths([]string{"1", "2", "3", "4", "5", "6", "7"}))
}
