package trail

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"s3responder/app"
)

// IsLogFile reports whether a path names a file an analysis reads when it
// walks a folder: .json or .json.gz, not hidden.
func IsLogFile(path string) bool { return isLogName(filepath.Base(path)) }

// CacheDir is the folder under the user's cache directory where copies of
// a log bucket are kept between runs, so a download interrupted or
// repeated fetches only what is missing.
func CacheDir(bucket string) (string, error) {
	if bucket == "" || bucket == "." || bucket == ".." || strings.ContainsAny(bucket, `/\:`) {
		return "", fmt.Errorf("%w: %q is not a bucket name", app.ErrInvalid, bucket)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the cache folder: %w", err)
	}
	return filepath.Join(base, "s3responder", "cloudtrail", bucket), nil
}

// DownloadedPaths says what to analyse after a download: the local folder
// of the prefix when the prefix names a folder (the usual
// AWSLogs/<account>/CloudTrail/<region>/... prefixes), else the log files
// copied, one by one, so files cached earlier from outside a partial
// prefix ("…/2026/03/0") stay out.
func DownloadedPaths(r app.LogDownloadResult) []string {
	if r.Prefix == "" || strings.HasSuffix(r.Prefix, "/") {
		return []string{filepath.Join(r.Dir, filepath.FromSlash(strings.TrimSuffix(r.Prefix, "/")))}
	}
	var out []string
	for _, f := range r.Files {
		if IsLogFile(f.Path) {
			out = append(out, f.Path)
		}
	}
	return out
}
