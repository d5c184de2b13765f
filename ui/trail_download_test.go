package ui

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/aws"
)

// trailS3 is a log bucket on kumo behind a proxy that can slow object
// reads down (to cancel a download half-way), reached only on loopback
// with fake keys, and a GUI whose service connects to it.
type trailS3 struct {
	h      *harness
	bucket string
	prefix string
	// pass, when not negative, is how many object reads are answered; the
	// ones after it are held until their request is cancelled, so a copy
	// stops half-way at the same place however loaded the machine is.
	pass    atomic.Int64
	gets    atomic.Int64
	connect atomic.Int64
	files   map[string][]byte
}

var trailS3Runs atomic.Int64

func newTrailS3(t *testing.T, objects int) *trailS3 {
	t.Helper()
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_S3_CONTROL", "AWS_ROLE_ARN",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CA_BUNDLE"} {
		t.Setenv(k, "")
		require.NoError(t, os.Unsetenv(k))
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cfg, cred := filepath.Join(home, "config"), filepath.Join(home, "credentials")
	require.NoError(t, os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\n"), 0o600))
	require.NoError(t, os.WriteFile(cred, []byte("[default]\naws_access_key_id = AKIAEXAMPLEKEY000001\naws_secret_access_key = fakesecretfakesecretfakesecret\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", cred)

	e := &trailS3{bucket: fmt.Sprintf("trail%d-%d-logs", time.Now().UnixNano()%1e6, trailS3Runs.Add(1)),
		prefix: "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/", files: map[string][]byte{}}
	e.pass.Store(-1)
	srv := kumoServer()
	target, err := url.Parse(srv.URL)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(target)
	released := make(chan struct{})
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" && strings.Count(strings.Trim(r.URL.Path, "/"), "/") > 0 {
			if n, pass := e.gets.Add(1), e.pass.Load(); pass >= 0 && n > pass {
				select {
				case <-r.Context().Done():
				case <-released:
					http.Error(w, "test over", http.StatusServiceUnavailable)
				}
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	t.Cleanup(func() { close(released) }) // before Close, which waits for held reads
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ENDPOINT_URL_S3", proxy.URL)

	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if host != "127.0.0.1" && host != "localhost" {
			t.Errorf("test tried to reach %s: only loopback is allowed", addr)
			return nil, os.ErrPermission
		}
		return dialer.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	lc, err := config.LoadDefaultConfig(context.Background(), config.WithHTTPClient(client))
	require.NoError(t, err)
	admin := s3.NewFromConfig(lc, func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	_, err = admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &e.bucket})
	require.NoError(t, err)
	for i := range objects {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, err := zw.Write([]byte(trailTestLog))
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		key := fmt.Sprintf("%s%02d/111122223333_CloudTrail_eu-west-1_202603%02dT1000Z_%03d.json.gz", e.prefix, 1+i%2, 1+i%2, i)
		e.files[key] = buf.Bytes()
		_, err = admin.PutObject(ctx, &s3.PutObjectInput{Bucket: &e.bucket, Key: &key, Body: bytes.NewReader(buf.Bytes())})
		require.NoError(t, err)
	}

	e.h = newHarness(t, newMemStore(), testPlaybook(t))
	connect := aws.Connector(aws.Options{HTTPClient: client})
	e.h.svc.SetConnector(func(ctx context.Context, p app.Profile) (app.Cloud, error) {
		e.connect.Add(1)
		return connect(ctx, p)
	})
	return e
}

// pane opens an incident and returns its CloudTrail pane.
func (e *trailS3) pane(exercise bool) *trailPane {
	ws := e.h.createIncident("Logs in the bucket", exercise)
	e.h.eventually(func() bool { return ws.loaded }, "the workspace never loaded")
	return newTrailPane(ws).(*trailPane)
}

func TestTrailPaneDownloadsFromS3ThenAnalyses(t *testing.T) {
	e := newTrailS3(t, 6)
	p := e.pane(false)
	status := now(func() string { return p.dlStatus.Text })

	p.s3URL.SetText("not a location")
	test.Tap(p.dlBtn)
	assert.Equal(t, "Write the location as s3://BUCKET/PREFIX.", p.dlStatus.Text)

	p.s3URL.SetText("s3://" + e.bucket + "/" + e.prefix)
	test.Tap(p.dlBtn)
	e.h.eventually(func() bool { return strings.HasPrefix(p.dlStatus.Text, "Copied") }, "the download never finished: %q %v", status, now(func() string { return fmt.Sprint(e.h.u.lastErr) }))
	assert.Contains(t, p.dlStatus.Text, "Copied 6 files")
	assert.Contains(t, p.dlStatus.Text, "0 were already there")
	assert.False(t, p.dlBtn.Disabled())
	assert.True(t, p.dlCancelBtn.Disabled())
	assert.Equal(t, 1.0, p.dlProgress.Value)

	cache := filepath.Join(os.Getenv("XDG_CACHE_HOME"), "s3responder", "cloudtrail", e.bucket)
	require.Equal(t, []string{filepath.Join(cache, filepath.FromSlash(strings.TrimSuffix(e.prefix, "/")))}, p.paths, "the copy's folder joins the paths")
	for key, want := range e.files {
		got, err := os.ReadFile(filepath.Join(cache, filepath.FromSlash(key)))
		require.NoError(t, err)
		assert.Equal(t, want, got, key)
	}

	test.Tap(p.runBtn)
	e.h.eventually(func() bool { return p.res != nil }, "the analysis never finished")
	assert.Equal(t, int64(6), p.res.Files)
	assert.Equal(t, int64(24), p.res.Records, "four records in each copy")

	// Again: everything is in the cache already, nothing is fetched.
	before := e.gets.Load()
	test.Tap(p.dlBtn)
	e.h.eventually(func() bool { return strings.Contains(p.dlStatus.Text, "6 were already there") }, "the second download never finished: %q", status)
	assert.Equal(t, before, e.gets.Load())
	assert.Len(t, p.paths, 1, "the same folder is listed once")
}

// A copy cancelled half-way keeps the files it finished, and pressing
// Download again fetches only the others. The proxy answers five object
// reads and holds the rest until they are cancelled, so the pane must show
// "5 of 12" (the last progress report is not lost, however close together
// the five came) and stay there until Cancel.
func TestTrailPaneDownloadCancelAndResume(t *testing.T) {
	e := newTrailS3(t, 12)
	e.pass.Store(5)
	p := e.pane(false)
	status := now(func() string { return p.dlStatus.Text })
	p.s3URL.SetText("s3://" + e.bucket + "/" + e.prefix)
	test.Tap(p.dlBtn)
	e.h.eventually(func() bool { return strings.HasPrefix(p.dlStatus.Text, "Copying: 5 of 12 files") }, "the copy never showed its five files: %q", status)
	assert.False(t, p.dlCancelBtn.Disabled())
	assert.True(t, p.dlBtn.Disabled(), "one download at a time")
	test.Tap(p.dlCancelBtn)
	e.h.eventually(func() bool { return strings.HasPrefix(p.dlStatus.Text, "Download cancelled") }, "cancel never took: %q", status)
	assert.Equal(t, "Download cancelled after 5 files; press Download again to fetch the rest.", p.dlStatus.Text)
	assert.Empty(t, p.paths, "a cancelled copy is not analysed")
	assert.NoError(t, e.h.u.lastErr, "cancelling is not an error")
	assert.False(t, p.dlBtn.Disabled())

	e.pass.Store(-1)
	test.Tap(p.dlBtn)
	e.h.eventually(func() bool { return strings.HasPrefix(p.dlStatus.Text, "Copied") }, "the resumed download never finished: %q", status)
	assert.Contains(t, p.dlStatus.Text, "Copied 7 files")
	assert.Contains(t, p.dlStatus.Text, "; 5 were already there.")
	assert.Equal(t, 1.0, p.dlProgress.Value)
	assert.Len(t, p.paths, 1)
	cache := filepath.Join(os.Getenv("XDG_CACHE_HOME"), "s3responder", "cloudtrail", e.bucket)
	for key, want := range e.files {
		got, err := os.ReadFile(filepath.Join(cache, filepath.FromSlash(key)))
		require.NoError(t, err)
		assert.Equal(t, want, got, key)
	}
}

func TestTrailPaneDownloadNeverForAnExercise(t *testing.T) {
	e := newTrailS3(t, 1)
	p := e.pane(true)
	p.s3URL.SetText("s3://" + e.bucket + "/" + e.prefix)
	test.Tap(p.dlBtn)
	assert.Contains(t, p.dlStatus.Text, "exercise")
	assert.Zero(t, e.connect.Load(), "no connection is even opened")
	assert.Empty(t, p.paths)
}
