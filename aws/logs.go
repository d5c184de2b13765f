package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"s3responder/app"
	"s3responder/trail"
)

// LogsAPI is the S3 calls of a log download, with the SDK's exact
// signatures: listing the keys under a prefix and reading each object.
type LogsAPI interface {
	s3.ListObjectsV2APIClient
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var (
	_ LogsAPI           = (*s3.Client)(nil)
	_ app.LogDownloader = (*Cloud)(nil)
)

// DefaultLogConcurrency is how many objects a download fetches at once:
// CloudTrail files are small (kilobytes to a few megabytes), so the time
// goes into round trips, which run in parallel well; more would mostly
// draw throttling.
const DefaultLogConcurrency = 8

// LogCopier copies a prefix of a log bucket to local disk.
type LogCopier struct {
	API LogsAPI
	// Region is the bucket's region; "" keeps the client's.
	Region string
	// Profile is named in explanations of failures.
	Profile string
	// Concurrency bounds the objects fetched at once; 0 means
	// DefaultLogConcurrency.
	Concurrency int
	// PageSize is the number of keys per list call; 0 lets S3 choose
	// (1,000).
	PageSize int32
}

// DownloadLogs copies a prefix of a log bucket into a folder
// (app.LogDownloader), from the bucket's own region.
func (c *Cloud) DownloadLogs(ctx context.Context, req app.LogDownload, progress func(app.LogDownloadProgress)) (app.LogDownloadResult, error) {
	region := c.Region
	if !c.CustomEndpoint {
		// A log bucket often lives in another region than the profile's
		// (one central log account); S3 redirects instead of answering.
		// If the location cannot be read, the profile's region is tried.
		region, _ = BucketRegion(ctx, c.API.S3, req.Bucket, c.Region)
	}
	lc := &LogCopier{API: c.API.S3, Region: region, Profile: c.Profile, Concurrency: req.Concurrency}
	return lc.Download(ctx, req, progress)
}

// object is one key to copy.
type object struct {
	key  string
	path string
	size int64
	etag string
	mod  time.Time
}

// download is the shared state of one Download call.
type download struct {
	c        *LogCopier
	progress func(app.LogDownloadProgress)

	mu       sync.Mutex // guards everything below
	prog     app.LogDownloadProgress
	lastCall time.Time
	res      app.LogDownloadResult
}

// report calls the progress function with the running totals; with force
// false it does so at most ten times a second (bytes arrive in small
// chunks). The caller holds mu, which also serialises the calls.
func (d *download) report(force bool) {
	if d.progress == nil {
		return
	}
	if now := time.Now(); force || now.Sub(d.lastCall) >= 100*time.Millisecond {
		d.lastCall = now
		d.progress(d.prog)
	}
}

// Download lists the keys under the prefix, then copies each object to
// Dir/<key> with bounded concurrency. A file already there with the
// object's size is skipped (a resumed download); a new file is written to
// a hidden temporary name and renamed when complete, so an interrupted
// run never leaves a partial file where an analysis would read it. Each
// file's SHA-256 is computed while it is written. A failed object is
// reported in the result and the others still copied; listing failures
// and cancellation end the run (the partial result comes with the error).
func (c *LogCopier) Download(ctx context.Context, req app.LogDownload, progress func(app.LogDownloadProgress)) (app.LogDownloadResult, error) {
	d := &download{c: c, progress: progress}
	d.res = app.LogDownloadResult{Bucket: req.Bucket, Prefix: req.Prefix, Dir: req.Dir, Region: c.Region}
	root, err := filepath.Abs(req.Dir)
	if err != nil {
		return d.res, fmt.Errorf("local folder %s: %w", req.Dir, err)
	}
	d.res.Dir = root
	if err := os.MkdirAll(root, 0o700); err != nil {
		return d.res, fmt.Errorf("create the folder %s: %w", root, err)
	}

	objects, err := d.list(ctx, req, root)
	if err != nil {
		return d.res, err
	}

	workers := req.Concurrency
	if workers <= 0 {
		workers = c.Concurrency
	}
	if workers <= 0 {
		workers = DefaultLogConcurrency
	}
	work := make(chan object)
	var wg sync.WaitGroup
	for range min(workers, max(1, len(objects))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				d.copy(ctx, o)
			}
		}()
	}
feed:
	for _, o := range objects {
		select {
		case work <- o:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()

	slices.SortFunc(d.res.Files, func(a, b app.DownloadedLog) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(d.res.Failed, func(a, b app.LogDownloadFailure) int { return strings.Compare(a.Key, b.Key) })
	if err := ctx.Err(); err != nil {
		return d.res, Explain(err, c.Profile)
	}
	return d.res, nil
}

// list pages through the keys under the prefix and keeps the objects to
// copy, with their local paths.
func (d *download) list(ctx context.Context, req app.LogDownload, root string) ([]object, error) {
	in := &s3.ListObjectsV2Input{Bucket: sdkaws.String(req.Bucket)}
	if req.Prefix != "" {
		in.Prefix = sdkaws.String(req.Prefix)
	}
	if d.c.PageSize > 0 {
		in.MaxKeys = sdkaws.Int32(d.c.PageSize)
	}
	pages := s3.NewListObjectsV2Paginator(d.c.API, in)
	var objects []object
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx, forRegion(d.c.Region))
		if err != nil {
			return nil, explainLogs(err, d.c.Profile, "s3:ListBucket")
		}
		d.mu.Lock()
		for _, o := range page.Contents {
			key := sdkaws.ToString(o.Key)
			path, ok := localPath(root, key)
			if !ok {
				d.res.Ignored++
				continue
			}
			obj := object{key: key, path: path, size: sdkaws.ToInt64(o.Size), etag: strings.Trim(sdkaws.ToString(o.ETag), `"`)}
			if o.LastModified != nil {
				obj.mod = *o.LastModified
			}
			objects = append(objects, obj)
			d.prog.FilesTotal++
			d.prog.BytesTotal += obj.size
		}
		d.prog.Listing = pages.HasMorePages()
		d.report(true)
		d.mu.Unlock()
	}
	return objects, nil
}

// localPath is where a key is written under root. Keys are the bucket
// owner's choice, so one like "../../.ssh/authorized_keys" must never
// leave root: keys that are not plain relative paths (".." or "."
// segments, empty segments, a leading "/") are left out, as are folder
// markers ("logs/").
func localPath(root, key string) (string, bool) {
	if key == "" || strings.HasSuffix(key, "/") || !fs.ValidPath(key) {
		return "", false
	}
	rel, err := filepath.Localize(key)
	if err != nil || !filepath.IsLocal(rel) {
		return "", false
	}
	return filepath.Join(root, rel), true
}

// copy fetches one object unless it is already on disk, and records the
// outcome. Errors caused by cancellation are not failures of the object.
func (d *download) copy(ctx context.Context, o object) {
	if ctx.Err() != nil {
		return
	}
	if info, err := os.Stat(o.path); err == nil && info.Mode().IsRegular() && info.Size() == o.size {
		d.mu.Lock()
		d.res.Files = append(d.res.Files, app.DownloadedLog{Key: o.key, Path: o.path, Size: o.size, ETag: o.etag, Skipped: true})
		d.res.Skipped++
		d.prog.Skipped++
		d.prog.FilesDone++
		d.prog.BytesDone += o.size
		d.report(true)
		d.mu.Unlock()
		return
	}
	written, sum, err := d.fetch(ctx, o)
	d.mu.Lock()
	defer d.mu.Unlock()
	// The bytes counted as they arrived make way for the listed size, so
	// BytesDone reaches BytesTotal exactly; a file that failed half-way
	// leaves the total.
	d.prog.BytesDone -= written
	switch {
	case err != nil && ctx.Err() != nil:
		return
	case err != nil:
		d.res.Failed = append(d.res.Failed, app.LogDownloadFailure{Key: o.key, Reason: err.Error()})
		d.prog.Failed++
	default:
		d.res.Files = append(d.res.Files, app.DownloadedLog{Key: o.key, Path: o.path, Size: written, ETag: o.etag, SHA256: sum})
		d.res.Downloaded++
		d.res.Bytes += written
		d.prog.BytesDone += o.size
	}
	d.prog.FilesDone++
	d.report(true)
}

// fetch writes one object to a temporary file beside its final path,
// hashing it on the way, and renames it into place once complete. It
// returns the bytes written, which counted towards progress as they came.
func (d *download) fetch(ctx context.Context, o object) (int64, string, error) {
	dir := filepath.Dir(o.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, "", fmt.Errorf("create the folder %s: %w", dir, err)
	}
	out, err := d.c.API.GetObject(ctx, &s3.GetObjectInput{Bucket: sdkaws.String(d.res.Bucket), Key: sdkaws.String(o.key)}, forRegion(d.c.Region))
	if err != nil {
		return 0, "", explainLogs(err, d.c.Profile, "s3:GetObject")
	}
	defer out.Body.Close()
	want := o.size
	if out.ContentLength != nil {
		// The object may have been replaced since it was listed.
		want = *out.ContentLength
	}
	// The dot hides the partial file from folder walks (trail.Expand skips
	// hidden files), and the same folder makes the rename atomic.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(o.path)+".part-*")
	if err != nil {
		return 0, "", fmt.Errorf("create a file in %s: %w", dir, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	cw := &countingWriter{d: d}
	n, err := io.Copy(io.MultiWriter(tmp, h, cw), out.Body)
	if err != nil {
		return cw.n, "", explainLogs(fmt.Errorf("read %s: %w", o.key, err), d.c.Profile, "s3:GetObject")
	}
	if want >= 0 && n != want {
		return cw.n, "", fmt.Errorf("the object %s ended after %d of %d bytes", o.key, n, want)
	}
	// Sync before the rename: after a crash the file is either absent or
	// complete, never present and short.
	if err := tmp.Sync(); err != nil {
		return cw.n, "", fmt.Errorf("write %s: %w", o.path, err)
	}
	if err := tmp.Close(); err != nil {
		return cw.n, "", fmt.Errorf("write %s: %w", o.path, err)
	}
	if !o.mod.IsZero() {
		// The object's time on the file helps a reader of the folder; a
		// file system that refuses it changes nothing that matters.
		_ = os.Chtimes(tmp.Name(), o.mod, o.mod)
	}
	if err := os.Rename(tmp.Name(), o.path); err != nil {
		return cw.n, "", fmt.Errorf("move the copy of %s into place: %w", o.key, err)
	}
	committed = true
	// CloudTrail keeps a digest file's signature in the object's metadata
	// (x-amz-meta-signature), not in the file: it is saved beside it, where
	// 'trail verify' looks, or every copied chain would end unsigned.
	if sig := strings.TrimSpace(out.Metadata["signature"]); sig != "" && strings.Contains(o.key, "/CloudTrail-Digest/") {
		if err := os.WriteFile(trail.SignatureSidecar(o.path), []byte(sig+"\n"), 0o600); err != nil {
			return n, "", fmt.Errorf("save the signature of %s: %w", o.key, err)
		}
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// countingWriter adds the bytes of a file being written to the download's
// progress as they arrive.
type countingWriter struct {
	d *download
	n int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	w.d.mu.Lock()
	w.d.prog.BytesDone += int64(len(p))
	w.d.report(false)
	w.d.mu.Unlock()
	return len(p), nil
}

// explainLogs explains a failure and names the permission a log download
// needs, which Explain's table does not know for these calls.
func explainLogs(err error, profile, permission string) error {
	err = Explain(err, profile)
	var e *Error
	if errors.As(err, &e) && e.Kind == KindDenied && e.Permission == "" {
		e.Permission = permission
		what := "the AWS call"
		if e.Operation != "" {
			what = e.Service + " " + e.Operation
		}
		e.Message = fmt.Sprintf("Access denied for %s: the identity of %s lacks the permission %s on the log bucket (or a bucket policy, SCP or KMS key policy denies it).", what, profileWords(profile), permission)
	}
	return err
}
