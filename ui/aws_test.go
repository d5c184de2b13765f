package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
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

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/aws"
	"s3responder/tabletop"
)

// The AWS pane runs here against kumo (an in-process AWS emulator) and
// small servers speaking the real wire protocols of what kumo lacks, on
// loopback with fake keys. A proxy in front of kumo's S3 can hold requests
// (to cancel a scan midway) and can make S3's own verdict disagree.

// awsLoopback is an HTTP client that reaches this machine only.
func awsLoopback(t *testing.T) *http.Client {
	t.Helper()
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if host != "127.0.0.1" && host != "localhost" && !strings.HasSuffix(host, ".127.0.0.1") {
			t.Errorf("test tried to reach %s", addr)
			return nil, os.ErrPermission
		}
		return dialer.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// awsProxy sits in front of kumo's S3.
type awsProxy struct {
	*httptest.Server
	// hold, when set, keeps every request waiting until it is closed or
	// the request is abandoned.
	hold atomic.Pointer[chan struct{}]
	// deny, when set, is a sub-resource (such as "acl") refused with
	// AccessDenied.
	deny atomic.Pointer[string]
	// statusPublic, when set, is what GetBucketPolicyStatus answers.
	statusPublic atomic.Pointer[string]
	requests     atomic.Int64
}

func newAWSProxy(t *testing.T, target string) *awsProxy {
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &awsProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if h := p.hold.Load(); h != nil {
			select {
			case <-*h:
			case <-r.Context().Done():
				return
			}
		}
		if d := p.deny.Load(); d != nil && r.URL.Query().Has(*d) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return
		}
		if v := p.statusPublic.Load(); v != nil && r.URL.Query().Has("policyStatus") {
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><PolicyStatus><IsPublic>%s</IsPublic></PolicyStatus>`, *v)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// fakeControl is S3 Control's account Block Public Access: not set.
func fakeControl(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>NoSuchPublicAccessBlockConfiguration</Code><Message>not found</Message></Error></ErrorResponse>`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// fakeTrail is CloudTrail's JSON 1.1 LookupEvents with one change.
func fakeTrail(t *testing.T, bucket string, at time.Time) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var in struct {
			LookupAttributes []struct{ AttributeValue string }
		}
		require.NoError(t, json.Unmarshal(body, &in))
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		events := []any{}
		if len(in.LookupAttributes) == 1 && in.LookupAttributes[0].AttributeValue == "DeleteBucketPublicAccessBlock" {
			rec := fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accessKeyId":"AKIAIOSFODNN7EXAMPLE"},"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"DeleteBucketPublicAccessBlock","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","requestParameters":{"bucketName":"%s"},"eventID":"ev-bpa"}`, at.Format(time.RFC3339), bucket)
			events = append(events, map[string]any{"EventId": "ev-bpa", "EventName": "DeleteBucketPublicAccessBlock", "EventTime": float64(at.Unix()), "CloudTrailEvent": rec})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"Events": events})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

type awsFixture struct {
	h      *harness
	p      *awsPane
	ws     *workspace
	proxy  *awsProxy
	bucket string // public by policy
}

var awsPaneRuns atomic.Int64

// newAWSFixture opens an incident on a real database whose bucket list
// holds a public kumo bucket, and builds the AWS pane in its workspace.
func newAWSFixture(t *testing.T, exercise bool) *awsFixture {
	t.Helper()
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_STS", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CA_BUNDLE"} {
		t.Setenv(k, "")
		require.NoError(t, os.Unsetenv(k))
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cfg, cred := filepath.Join(home, "config"), filepath.Join(home, "credentials")
	require.NoError(t, os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\n[profile audit]\nregion = eu-west-1\n[sso-session corp]\nsso_region = eu-west-1\n"), 0o600))
	require.NoError(t, os.WriteFile(cred, []byte("[default]\naws_access_key_id = AKIAEXAMPLEKEY000001\naws_secret_access_key = fakesecretfakesecretfakesecret\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", cred)

	srv := kumoServer()
	proxy := newAWSProxy(t, srv.URL)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ENDPOINT_URL_S3", proxy.URL)
	t.Setenv("AWS_ENDPOINT_URL_S3_CONTROL", fakeControl(t))

	client := awsLoopback(t)
	bucket := fmt.Sprintf("ui%d-%d-site", time.Now().UnixNano()%1e6, awsPaneRuns.Add(1))
	lc, err := config.LoadDefaultConfig(context.Background(), config.WithHTTPClient(client))
	require.NoError(t, err)
	admin := s3.NewFromConfig(lc, func(o *s3.Options) { o.UsePathStyle = true })
	_, err = admin.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &bucket})
	require.NoError(t, err)
	_, err = admin.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: sdkaws.String(
		`{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`)})
	require.NoError(t, err)

	db, _ := openStore(t, filepath.Join(t.TempDir(), "incidents.db"))
	h := newHarness(t, db, testPlaybook(t))
	connect := aws.Connector(aws.Options{HTTPClient: client})
	h.svc.SetConnector(func(ctx context.Context, p app.Profile) (app.Cloud, error) {
		c, err := connect(ctx, p)
		if cl, ok := c.(*aws.Cloud); ok {
			cl.Limiter = &aws.Limiter{Interval: time.Millisecond}
		}
		return c, err
	})
	c, err := h.svc.Create(context.Background(), app.NewIncident{Title: "Public site", Buckets: []string{bucket}, Exercise: exercise, TimeZone: "Europe/Paris"})
	require.NoError(t, err)
	h.eventually(func() bool { return h.list() != nil && h.list().loading.Hidden }, "list never loaded")
	h.u.openIncident(c.Incident.ID)
	ws := h.loadedWorkspace(c.Incident.ID)
	p := newAWSPane(ws).(*awsPane)
	p.show(ws.c, ws.pb)
	return &awsFixture{h: h, p: p, ws: ws, proxy: proxy, bucket: bucket}
}

// idle waits until the pane's operation is over.
func (f *awsFixture) idle(what string) {
	f.h.t.Helper()
	f.h.eventually(func() bool { return !f.p.running }, "%s never finished: %q", what, f.p.status.Text)
}

func TestAWSPaneExposure(t *testing.T) {
	f := newAWSFixture(t, false)
	p, h := f.p, f.h
	h.eventually(func() bool { return len(p.profiles) > 0 }, "profiles never loaded")
	assert.Equal(t, []string{"audit", "default"}, p.profiles, "profiles of the config file, not its sso-session")
	assert.Equal(t, f.bucket, p.bucket.Text, "the incident's bucket is offered")
	assert.Equal(t, []string{f.bucket}, p.buckets)

	test.Tap(p.connect)
	assert.True(t, p.exposure.Disabled(), "one operation at a time")
	f.idle("connect")
	assert.Regexp(t, `^Connected to account \d{12} as arn:aws:`, p.who.Text)
	assert.Equal(t, widget.SuccessImportance, p.status.Importance)
	assert.Equal(t, "Connected. All 18 reads the investigation makes work.", p.status.Text)
	require.Len(t, p.rows, 18)
	assert.Equal(t, "ok  ·  s3:ListAllMyBuckets", p.rows[0].title)

	t.Run("a refused read is listed first, in words", func(t *testing.T) {
		acl := "acl"
		f.proxy.deny.Store(&acl)
		defer f.proxy.deny.Store(nil)
		test.Tap(p.connect)
		f.idle("connect with a refusal")
		assert.Equal(t, widget.WarningImportance, p.status.Importance)
		assert.Equal(t, "Connected, but 1 of 18 reads are refused: see the list. What they would show will be missing.", p.status.Text)
		assert.Equal(t, "missing  ·  s3:GetBucketAcl", p.rows[0].title)
		assert.Equal(t, "refused: without s3:GetBucketAcl S3 Responder cannot judge the exposure of bucket "+f.bucket+" (acl).", p.rows[0].sub)
	})

	test.Tap(p.exposure)
	f.idle("check exposure")
	require.NotEmpty(t, p.rows, p.status.Text)
	assert.Equal(t, "Public  ·  "+f.bucket+" (us-east-1)", p.rows[0].title)
	assert.Equal(t, widget.DangerImportance, p.rows[0].imp)
	assert.Contains(t, p.detail.Text, "Why:\n• Public: its bucket policy is public")
	assert.Contains(t, p.status.Text, "Bucket "+f.bucket+": Public. Saved 8 items as evidence, collected by arn:aws:")
	assert.False(t, p.disBanner.Visible())

	evs, err := h.svc.ListEvidence(context.Background(), f.ws.id)
	require.NoError(t, err)
	require.Len(t, evs, 8)
	for _, ev := range evs {
		assert.Regexp(t, `^arn:aws:`, ev.CollectedBy)
		assert.NotEmpty(t, ev.Source.API)
	}
	_, problems, err := h.svc.VerifyEvidence(context.Background(), f.ws.id)
	require.NoError(t, err)
	assert.Empty(t, problems, "every stored item hashes to its SHA-256")
	h.eventually(func() bool { return strings.Contains(timelineText(f.ws), "Exposure of bucket "+f.bucket) }, "the finding is not on the timeline")

	t.Run("S3 disagrees: a red banner", func(t *testing.T) {
		no := "false"
		f.proxy.statusPublic.Store(&no)
		defer f.proxy.statusPublic.Store(nil)
		test.Tap(p.exposure)
		f.idle("second check")
		require.True(t, p.disBanner.Visible(), p.status.Text)
		assert.Contains(t, p.disagree.Text, f.bucket+": S3 says the bucket policy is not public, but S3 Responder's evaluator calls it public")
		assert.Contains(t, p.detail.Text, "DISAGREEMENT: ")
	})
	t.Run("the pane fits the window", func(t *testing.T) {
		// Show the pane this test drove as a tab of its own (the workspace has
		// its own AWS pane, which the test did not fill).
		f.ws.tabs.Append(container.NewTabItem("AWS", p.object()))
		f.ws.tabs.SelectIndex(len(f.ws.tabs.Items) - 1)
		img := capture(h)
		assert.Equal(t, image.Pt(1280, 800), img.Bounds().Size(), "the AWS pane does not fit the window")
		assert.Greater(t, distinctColours(img), 50)
		if dir := os.Getenv("UI_SCREENSHOT_DIR"); dir != "" {
			out, err := os.Create(filepath.Join(dir, "pane-aws.png"))
			require.NoError(t, err)
			require.NoError(t, png.Encode(out, img))
			require.NoError(t, out.Close())
		}
	})
	t.Run("a bad profile is explained and nothing typed is lost", func(t *testing.T) {
		p.profile.SetText("nope")
		p.region.SetText("eu-central-1")
		test.Tap(p.exposure)
		f.idle("bad profile")
		assert.Equal(t, widget.DangerImportance, p.status.Importance)
		assert.Contains(t, p.status.Text, `There is no AWS profile named "nope"`)
		assert.Equal(t, "nope", p.profile.Text)
		assert.Equal(t, "eu-central-1", p.region.Text)
		assert.Equal(t, f.bucket, p.bucket.Text)
		assert.False(t, p.exposure.Disabled())
	})
}

func TestAWSPaneScanCancelSnapshotChanges(t *testing.T) {
	f := newAWSFixture(t, false)
	p, h := f.p, f.h

	// A scan whose S3 calls hang: Cancel stops it and the pane is usable
	// again at once.
	hold := make(chan struct{})
	f.proxy.hold.Store(&hold)
	before := f.proxy.requests.Load() // the fixture's own set-up went through the proxy
	test.Tap(p.scan)
	h.eventually(func() bool { return f.proxy.requests.Load() > before }, "the scan never reached S3")
	assert.False(t, p.cancelBtn.Disabled())
	test.Tap(p.cancelBtn)
	f.idle("cancelled scan")
	assert.Contains(t, p.status.Text, "cancelled")
	assert.True(t, p.cancelBtn.Disabled())
	f.proxy.hold.Store(nil)
	close(hold)

	test.Tap(p.scan)
	f.idle("scan")
	require.NotEmpty(t, p.rows)
	var mine *awsRow
	for i := range p.rows {
		if strings.Contains(p.rows[i].title, f.bucket) {
			mine = &p.rows[i]
		}
	}
	require.NotNil(t, mine, "the incident's bucket is in the scan")
	assert.Equal(t, widget.DangerImportance, p.rows[0].imp, "public buckets first")
	assert.Regexp(t, `^\d+ buckets? checked, \d+ public\. Saved 1 item as evidence`, p.status.Text)
	assert.False(t, p.progress.Visible(), "the bar goes away at the end")

	test.Tap(p.snapshot)
	f.idle("snapshot")
	require.Len(t, p.rows, 1)
	assert.Equal(t, "Snapshot of bucket "+f.bucket, p.rows[0].title)
	assert.Equal(t, "14 settings saved", p.rows[0].sub)
	assert.Contains(t, p.detail.Text, "sha256 ")

	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", fakeTrail(t, f.bucket, at))
	p.since.SetText("last week")
	test.Tap(p.changes)
	assert.Contains(t, p.status.Text, "since: ")
	assert.False(t, p.running)

	p.since.SetText("")
	p.regions.SetText("us-east-1")
	// The connection opened above read the endpoints then; connect again
	// to pick up CloudTrail's.
	test.Tap(p.connect)
	f.idle("reconnect")
	test.Tap(p.changes)
	f.idle("changes")
	require.Len(t, p.rows, 1, p.status.Text)
	assert.Equal(t, "2026-03-10 13:00 CET  DeleteBucketPublicAccessBlock", p.rows[0].title, "in the incident's zone")
	assert.Contains(t, p.rows[0].sub, "removed Block Public Access from bucket "+f.bucket)
	assert.Contains(t, p.status.Text, "1 change between")

	entries, err := h.svc.Timeline(context.Background(), f.ws.id)
	require.NoError(t, err)
	var found bool
	for _, e := range entries {
		if strings.HasPrefix(e.Text, "Access change: ") {
			found = true
			assert.Equal(t, at, e.EventTime)
		}
	}
	assert.True(t, found, "the change is on the timeline at its own time")
	evs, err := h.svc.ListEvidence(context.Background(), f.ws.id)
	require.NoError(t, err)
	assert.Len(t, evs, 1+14+1, "scan, snapshot, events")
}

func TestAWSPaneExercise(t *testing.T) {
	f := newAWSFixture(t, true)
	assert.True(t, f.p.exercise.Visible())
	assert.Equal(t, app.SimulatedProfileName, f.p.profile.Text, "an exercise starts on the simulated account")
	for _, b := range []*widget.Button{f.p.exposure, f.p.scan, f.p.snapshot, f.p.changes} {
		assert.False(t, b.Disabled(), b.Text)
	}
	// main wires the simulator in front of the real connector; here the
	// real one is the kumo-backed connector, which must never be reached.
	real := func(context.Context, app.Profile) (app.Cloud, error) {
		t.Error("an exercise reached the real AWS connector")
		return nil, errors.New("not for exercises")
	}
	f.h.svc.SetConnector(tabletop.Connector(real))
	before := f.proxy.requests.Load()
	f.p.bucket.SetText("acme-customer-exports")
	test.Tap(f.p.exposure)
	f.idle("exposure on the simulated account")
	assert.Contains(t, f.p.detail.Text+f.p.status.Text, "Public")
	assert.Equal(t, before, f.proxy.requests.Load(), "nothing reached the emulator")

	// A real profile typed into an exercise is refused by the service.
	f.p.profile.SetText("default")
	test.Tap(f.p.connect)
	f.idle("connect")
	assert.Contains(t, f.p.status.Text, "exercise")
	assert.Equal(t, before, f.proxy.requests.Load())
}

func TestAWSPaneMFADialog(t *testing.T) {
	f := newAWSFixture(t, false)
	p, h := f.p, f.h

	ask := func(ctx context.Context) chan mfaAnswer {
		out := make(chan mfaAnswer, 1)
		go func() {
			code, err := p.askMFA(ctx, "responder", "arn:aws:iam::000000000000:mfa/alice")
			out <- mfaAnswer{code, err}
		}()
		h.eventually(func() bool { return p.mfa != nil }, "the MFA dialog never showed")
		return out
	}

	got := ask(context.Background())
	assert.NotNil(t, h.w.Canvas().Overlays().Top(), "the dialog is over the window")
	test.Type(p.mfa.entry, "12a")
	assert.Error(t, p.mfa.entry.Validate(), "letters are refused")
	p.mfa.entry.SetText("123 456")
	p.mfa.d.Submit()
	a := <-got
	require.NoError(t, a.err)
	assert.Equal(t, "123456", a.code)
	h.eventually(func() bool { return p.mfa == nil }, "the dialog state was not cleared")

	got = ask(context.Background())
	p.mfa.d.Hide()
	a = <-got
	assert.ErrorIs(t, a.err, errMFADeclined)

	ctx, cancel := context.WithCancel(context.Background())
	got = ask(ctx)
	require.NotNil(t, h.w.Canvas().Overlays().Top())
	cancel()
	a = <-got
	assert.ErrorIs(t, a.err, context.Canceled)
	h.eventually(func() bool { return h.w.Canvas().Overlays().Top() == nil }, "cancelling the operation did not close the dialog")
}

func TestAWSProfileNames(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	cred := filepath.Join(dir, "credentials")
	require.NoError(t, os.WriteFile(cfg, []byte("# comment\n[default]\nregion=eu-west-1\n[profile prod]\nsso_session = corp\n[ profile  staging ]\n[sso-session corp]\n[services local]\n[profile prod]\n"), 0o600))
	require.NoError(t, os.WriteFile(cred, []byte("[default]\n[legacy]\naws_access_key_id = x\n"), 0o600))
	env := map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": cred}
	assert.Equal(t, []string{"default", "legacy", "prod", "staging"}, awsProfileNames(func(k string) string { return env[k] }))
	env["AWS_CONFIG_FILE"] = filepath.Join(dir, "missing")
	assert.Equal(t, []string{"default", "legacy"}, awsProfileNames(func(k string) string { return env[k] }))
}
