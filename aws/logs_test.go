package aws

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/trail"
)

// logBucket is a bucket on kumo filled like a CloudTrail log bucket.
type logBucket struct {
	s      *Session
	bucket string
	prefix string
	// objects maps each key under prefix to its content.
	objects map[string][]byte
}

var logRuns atomic.Int64

func newLogBucket(t *testing.T, n int) logBucket {
	t.Helper()
	srv := kumoServer()
	s := connectTo(t, srv.URL)
	lb := logBucket{s: s, bucket: fmt.Sprintf("logs-%d-%d", time.Now().UnixNano()%1e6, logRuns.Add(1)),
		prefix: "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/", objects: map[string][]byte{}}
	ctx := context.Background()
	_, err := s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &lb.bucket})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	put := func(key string, data []byte) {
		_, err := s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &lb.bucket, Key: &key, Body: bytes.NewReader(data)})
		require.NoError(t, err)
	}
	for i := range n {
		data := make([]byte, 100+rng.IntN(200_000))
		for j := range data {
			data[j] = byte(rng.IntN(256))
		}
		key := fmt.Sprintf("%s%02d/111122223333_CloudTrail_eu-west-1_202603%02dT1000Z_%03d.json.gz", lb.prefix, 1+i%3, 1+i%3, i)
		lb.objects[key] = data
		put(key, data)
	}
	// Outside the prefix: not copied. (Folder markers are tested on the
	// fake: kumo drops the trailing slash of a key.)
	put("AWSLogs/111122223333/Config/other.json.gz", []byte("not ours"))
	return lb
}

// copier reads the bucket in pages of pageSize keys.
func (lb logBucket) copier(pageSize int32) *LogCopier {
	return &LogCopier{API: lb.s.S3, Profile: "", Concurrency: 4, PageSize: pageSize}
}

// checkCopied proves every object is on disk under dir at its key with the
// object's bytes, and that nothing else is there.
func (lb logBucket) checkCopied(t *testing.T, dir string) {
	t.Helper()
	found := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		require.NoError(t, err)
		want, ok := lb.objects[filepath.ToSlash(rel)]
		require.True(t, ok, "unexpected file %s (a partial file or a key outside the prefix)", rel)
		got, err := os.ReadFile(p)
		require.NoError(t, err)
		require.True(t, bytes.Equal(want, got), "content of %s", rel)
		found++
		return nil
	}))
	assert.Equal(t, len(lb.objects), found)
}

func sum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func TestDownloadLogsFromKumo(t *testing.T) {
	lb := newLogBucket(t, 25)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "copy")

	var (
		calls []app.LogDownloadProgress
		mu    sync.Mutex
	)
	res, err := lb.copier(7).Download(ctx, app.LogDownload{Bucket: lb.bucket, Prefix: lb.prefix, Dir: dir}, func(p app.LogDownloadProgress) {
		mu.Lock()
		calls = append(calls, p)
		mu.Unlock()
	})
	require.NoError(t, err)
	lb.checkCopied(t, dir)
	assert.Equal(t, 25, res.Downloaded)
	assert.Equal(t, 0, res.Skipped)
	assert.Empty(t, res.Failed)
	var total int64
	for _, f := range res.Files {
		want := lb.objects[f.Key]
		assert.Equal(t, sum(want), f.SHA256, "hashed while written: %s", f.Key)
		assert.Equal(t, int64(len(want)), f.Size)
		assert.Equal(t, filepath.Join(dir, filepath.FromSlash(f.Key)), f.Path)
		total += f.Size
	}
	assert.Equal(t, total, res.Bytes)

	// Listing comes first, in pages (25 keys in pages of 7), then the
	// copies; the counts only grow and end at the totals.
	require.NotEmpty(t, calls)
	listing := 0
	for i, p := range calls {
		if p.Listing {
			listing++
			assert.Zero(t, p.FilesDone)
		}
		if i > 0 {
			assert.GreaterOrEqual(t, p.FilesDone, calls[i-1].FilesDone)
		}
		assert.LessOrEqual(t, p.BytesDone, p.BytesTotal)
	}
	assert.Equal(t, 3, listing, "three pages still had more to come")
	last := calls[len(calls)-1]
	assert.Equal(t, app.LogDownloadProgress{FilesDone: 25, FilesTotal: 25, BytesDone: total, BytesTotal: total}, last)

	t.Run("resume fetches only what is missing or of the wrong size", func(t *testing.T) {
		var gone []string
		for _, f := range res.Files[:3] {
			require.NoError(t, os.Remove(f.Path))
			gone = append(gone, f.Key)
		}
		require.NoError(t, os.WriteFile(res.Files[3].Path, []byte("short"), 0o600))
		again, err := lb.copier(0).Download(ctx, app.LogDownload{Bucket: lb.bucket, Prefix: lb.prefix, Dir: dir}, nil)
		require.NoError(t, err)
		lb.checkCopied(t, dir)
		assert.Equal(t, 4, again.Downloaded)
		assert.Equal(t, 21, again.Skipped)
		var fetched []string
		for _, f := range again.Files {
			if !f.Skipped {
				fetched = append(fetched, f.Key)
				assert.Equal(t, sum(lb.objects[f.Key]), f.SHA256)
			} else {
				assert.Empty(t, f.SHA256, "a skipped file is not read again")
			}
		}
		assert.ElementsMatch(t, append(gone, res.Files[3].Key), fetched)
	})

	t.Run("cancel leaves only whole files, and a rerun completes", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "cancelled")
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		c := lb.copier(0)
		c.Concurrency = 2
		res, err := c.Download(cctx, app.LogDownload{Bucket: lb.bucket, Prefix: lb.prefix, Dir: dir}, func(p app.LogDownloadProgress) {
			if p.FilesDone >= 3 {
				cancel()
			}
		})
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Less(t, res.Downloaded, 25)
		assert.GreaterOrEqual(t, res.Downloaded, 3)
		n := 0
		require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			require.NoError(t, err)
			if d.IsDir() {
				return nil
			}
			assert.NotContains(t, d.Name(), ".part-", "no partial file is left behind")
			rel, _ := filepath.Rel(dir, p)
			got, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.Equal(t, sum(lb.objects[filepath.ToSlash(rel)]), sum(got), "a file on disk is whole: %s", rel)
			n++
			return nil
		}))
		assert.Equal(t, res.Downloaded, n)

		rest, err := lb.copier(0).Download(ctx, app.LogDownload{Bucket: lb.bucket, Prefix: lb.prefix, Dir: dir}, nil)
		require.NoError(t, err)
		assert.Equal(t, n, rest.Skipped)
		assert.Equal(t, 25-n, rest.Downloaded)
		lb.checkCopied(t, dir)
	})

	t.Run("through the app's port", func(t *testing.T) {
		var dl app.LogDownloader = NewCloud(lb.s)
		dir := t.TempDir()
		res, err := dl.DownloadLogs(ctx, app.LogDownload{Bucket: lb.bucket, Prefix: lb.prefix + "02/", Dir: dir}, nil)
		require.NoError(t, err)
		assert.Equal(t, 8, res.Downloaded, "keys 1, 4, …, 22 are on the 2nd")
		for _, f := range res.Files {
			assert.True(t, strings.HasPrefix(f.Key, lb.prefix+"02/"))
		}
	})

	t.Run("the connection main wires can download", func(t *testing.T) {
		cl, err := WithChanges(Connector(Options{HTTPClient: loopbackClient(t)}))(ctx, app.Profile{})
		require.NoError(t, err)
		dl, ok := cl.(app.LogDownloader)
		require.True(t, ok, "%T must offer DownloadLogs", cl)
		res, err := dl.DownloadLogs(ctx, app.LogDownload{Bucket: lb.bucket, Prefix: lb.prefix + "01/", Dir: t.TempDir()}, nil)
		require.NoError(t, err)
		assert.Equal(t, 9, res.Downloaded, "keys 0, 3, …, 24 are on the 1st")
	})

	t.Run("missing bucket", func(t *testing.T) {
		_, err := lb.copier(0).Download(ctx, app.LogDownload{Bucket: lb.bucket + "-nope", Dir: t.TempDir()}, nil)
		require.Error(t, err)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindNotFound, e.Kind, e.Message)
	})
}

// fakeLogs is a bucket in memory, for what kumo cannot be made to do:
// hostile keys, a failing object, a short body, and counting how many
// objects are fetched at once.
type fakeLogs struct {
	objects map[string][]byte
	fail    map[string]error
	short   map[string]bool
	delay   time.Duration

	mu            sync.Mutex
	inFlight, max int
}

func (f *fakeLogs) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	out := &s3.ListObjectsV2Output{IsTruncated: sdkaws.Bool(false)}
	for k, v := range f.objects {
		if strings.HasPrefix(k, sdkaws.ToString(in.Prefix)) {
			out.Contents = append(out.Contents, types.Object{Key: sdkaws.String(k), Size: sdkaws.Int64(int64(len(v))), ETag: sdkaws.String(`"` + sum(v)[:32] + `"`)})
		}
	}
	return out, nil
}

func (f *fakeLogs) GetObject(ctx context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	f.inFlight++
	f.max = max(f.max, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	key := sdkaws.ToString(in.Key)
	if err := f.fail[key]; err != nil {
		return nil, err
	}
	data := f.objects[key]
	body := data
	if f.short[key] {
		body = data[:len(data)/2]
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(body)), ContentLength: sdkaws.Int64(int64(len(data)))}, nil
}

func TestLogCopierKeepsToItsFolder(t *testing.T) {
	f := &fakeLogs{objects: map[string][]byte{
		"../escape.json":            []byte("1"),
		"AWSLogs/../../escape.json": []byte("2"),
		"/etc/escape.json":          []byte("3"),
		"AWSLogs//double.json":      []byte("4"),
		"AWSLogs/./dot.json":        []byte("5"),
		"AWSLogs/folder/":           nil,
		"AWSLogs/ok.json":           []byte("6"),
	}}
	parent := t.TempDir()
	dir := filepath.Join(parent, "inside")
	res, err := (&LogCopier{API: f}).Download(context.Background(), app.LogDownload{Bucket: "b", Dir: dir}, nil)
	require.NoError(t, err)
	assert.Equal(t, 6, res.Ignored, "five hostile keys and a folder marker")
	require.Len(t, res.Files, 1)
	assert.Equal(t, filepath.Join(dir, "AWSLogs", "ok.json"), res.Files[0].Path)
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	require.Len(t, entries, 1, "nothing was written beside the folder")
	_, err = os.Stat("/etc/escape.json")
	assert.True(t, errors.Is(err, fs.ErrNotExist))
}

func TestLogCopierFailuresAndConcurrency(t *testing.T) {
	f := &fakeLogs{objects: map[string][]byte{}, delay: 20 * time.Millisecond,
		fail:  map[string]error{"AWSLogs/03.json": errors.New("connection reset by peer")},
		short: map[string]bool{"AWSLogs/05.json": true}}
	for i := range 12 {
		f.objects[fmt.Sprintf("AWSLogs/%02d.json", i)] = bytes.Repeat([]byte{byte('a' + i)}, 1000+i)
	}
	dir := t.TempDir()
	res, err := (&LogCopier{API: f, Concurrency: 3}).Download(context.Background(), app.LogDownload{Bucket: "b", Dir: dir}, nil)
	require.NoError(t, err, "a failed object does not stop the others")
	assert.Equal(t, 10, res.Downloaded)
	require.Len(t, res.Failed, 2)
	assert.Equal(t, "AWSLogs/03.json", res.Failed[0].Key)
	assert.Contains(t, res.Failed[0].Reason, "connection reset by peer")
	assert.Equal(t, "AWSLogs/05.json", res.Failed[1].Key)
	assert.Contains(t, res.Failed[1].Reason, "ended after 502 of 1005 bytes")
	_, err = os.Stat(filepath.Join(dir, "AWSLogs", "05.json"))
	assert.True(t, errors.Is(err, fs.ErrNotExist), "a short copy never takes the file's name")
	left, err := filepath.Glob(filepath.Join(dir, "AWSLogs", ".*"))
	require.NoError(t, err)
	assert.Empty(t, left, "temporary files are removed")
	assert.LessOrEqual(t, f.max, 3)
	assert.GreaterOrEqual(t, f.max, 2, "objects are fetched in parallel")
}

// CloudTrail keeps a digest's signature in the object's metadata: a copy
// saves it beside the digest file, where 'trail verify' reads it.
func TestADownloadedDigestKeepsItsSignatureBesideIt(t *testing.T) {
	lb := newLogBucket(t, 1)
	ctx := context.Background()
	key := "AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/03/01/111122223333_CloudTrail-Digest_eu-west-1_trail_eu-west-1_20260301T100000Z.json.gz"
	_, err := lb.s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &lb.bucket, Key: &key, Body: bytes.NewReader([]byte("digest")),
		Metadata: map[string]string{"signature": "7e3a9f", "signature-algorithm": "SHA256withRSA"}})
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "copy")
	_, err = lb.copier(0).Download(ctx, app.LogDownload{Bucket: lb.bucket, Prefix: "AWSLogs/111122223333/CloudTrail-Digest/", Dir: dir}, nil)
	require.NoError(t, err)
	path := filepath.Join(dir, filepath.FromSlash(key))
	sig, err := os.ReadFile(trail.SignatureSidecar(path))
	require.NoError(t, err, "the signature is saved beside the digest")
	assert.Equal(t, "7e3a9f\n", string(sig))
	_, err = os.Stat(trail.SignatureSidecar(filepath.Join(dir, filepath.FromSlash(lb.prefix))))
	assert.True(t, os.IsNotExist(err))
}
