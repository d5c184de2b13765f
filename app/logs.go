package app

import (
	"context"
	"fmt"
	"strings"
)

// LogDownload asks for a copy of a prefix of a log bucket on local disk, to
// analyse offline: CloudTrail writes its files to S3, and a responder who
// has access to that bucket should not have to copy them by hand.
type LogDownload struct {
	Bucket string
	// Prefix selects the keys to copy ("AWSLogs/111122223333/CloudTrail/"
	// or narrower); "" copies the whole bucket.
	Prefix string
	// Dir is the local folder. Each object is written at its key under
	// Dir, so the AWSLogs/<account>/CloudTrail/<region>/... layout stays.
	Dir string
	// Concurrency bounds the objects fetched at once; 0 means a default.
	Concurrency int
}

// LogDownloadProgress is the running state of a download. Listing is true
// while the keys are still being listed (totals still grow).
type LogDownloadProgress struct {
	Listing    bool
	FilesDone  int
	FilesTotal int
	BytesDone  int64
	BytesTotal int64
	// Skipped counts files already on disk with the right size (a
	// resumed download); they are part of FilesDone and BytesDone.
	Skipped int
	// Failed counts objects that could not be copied; they are part of
	// FilesDone too, so FilesDone reaches FilesTotal.
	Failed int
}

// DownloadedLog is one object copied (or found already copied).
type DownloadedLog struct {
	Key  string `json:"key"`
	Path string `json:"path"`
	Size int64  `json:"size"`
	ETag string `json:"etag,omitempty"`
	// SHA256 is the hash of the bytes written, computed while writing;
	// empty for a skipped file, which was not read again.
	SHA256  string `json:"sha256,omitempty"`
	Skipped bool   `json:"skipped,omitempty"`
}

// LogDownloadFailure is one object that could not be copied, and why.
type LogDownloadFailure struct {
	Key    string `json:"key"`
	Reason string `json:"error"`
}

// LogDownloadResult is what a download did. A failed object never stops
// the others; it is listed in Failed.
type LogDownloadResult struct {
	Bucket string `json:"bucket"`
	Prefix string `json:"prefix"`
	Dir    string `json:"dir"`
	// Region is where the bucket was read from.
	Region string          `json:"region,omitempty"`
	Files  []DownloadedLog `json:"files"`
	// Ignored counts keys left out: folder markers and keys that would
	// land outside Dir ("../", absolute paths).
	Ignored    int                  `json:"ignored,omitempty"`
	Failed     []LogDownloadFailure `json:"failed,omitempty"`
	Downloaded int                  `json:"downloaded"`
	Skipped    int                  `json:"skipped"`
	// Bytes counts the bytes fetched in this run (skipped files excluded).
	Bytes int64 `json:"bytes"`
}

// Paths returns the local paths of the files copied or already there.
func (r LogDownloadResult) Paths() []string {
	out := make([]string, 0, len(r.Files))
	for _, f := range r.Files {
		out = append(out, f.Path)
	}
	return out
}

// LogDownloader is the optional part of a Cloud that copies log files from
// a bucket. It is separate from Cloud because a simulated exercise account
// has no log bucket to copy from.
type LogDownloader interface {
	// DownloadLogs copies every object under the prefix into Dir, skipping
	// files already there with the same size and writing each new file
	// whole or not at all. progress (may be nil) is called with running
	// totals, serialised, from the download's goroutines. When ctx ends it
	// stops and returns the partial result with the context's error.
	DownloadLogs(ctx context.Context, req LogDownload, progress func(LogDownloadProgress)) (LogDownloadResult, error)
}

// DownloadLogs copies a prefix of a log bucket to local disk through the
// profile's connection, which also says who read it. incidentID may be ""
// (no incident); with one, the profile must suit it, as for every cloud
// use case (an exercise never reaches a real account).
func (s *Service) DownloadLogs(ctx context.Context, incidentID string, p Profile, req LogDownload, progress func(LogDownloadProgress)) (LogDownloadResult, Identity, error) {
	req.Bucket = strings.TrimSpace(req.Bucket)
	if req.Bucket == "" {
		return LogDownloadResult{}, Identity{}, fmt.Errorf("%w: say which bucket holds the logs", ErrInvalid)
	}
	if strings.TrimSpace(req.Dir) == "" {
		return LogDownloadResult{}, Identity{}, fmt.Errorf("%w: say which folder to copy the logs into", ErrInvalid)
	}
	conn, err := s.cloudFor(ctx, incidentID, p, false)
	if err != nil {
		return LogDownloadResult{}, Identity{}, err
	}
	dl, ok := conn.cloud.(LogDownloader)
	if !ok {
		return LogDownloadResult{}, conn.id, fmt.Errorf("%w: the account of %s cannot hand over log files", ErrInvalid, p)
	}
	res, err := dl.DownloadLogs(ctx, req, progress)
	if err != nil {
		return res, conn.id, fmt.Errorf("download s3://%s/%s: %w", req.Bucket, req.Prefix, err)
	}
	return res, conn.id, nil
}

// ParseS3URL splits "s3://bucket/prefix" (or "bucket/prefix") into the
// bucket and the key prefix.
func ParseS3URL(s string) (bucket, prefix string, err error) {
	rest := strings.TrimSpace(s)
	if low := strings.ToLower(rest); strings.HasPrefix(low, "s3://") {
		rest = rest[len("s3://"):]
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" || bucket == "." || bucket == ".." || strings.ContainsAny(bucket, " \t\\:") {
		return "", "", fmt.Errorf("%w: %q is not an S3 location: write s3://BUCKET/PREFIX", ErrInvalid, s)
	}
	return bucket, prefix, nil
}

// IsS3URL reports whether a path given on the command line means S3.
func IsS3URL(s string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), "s3://")
}
