package cli

import (
	"context"
	"encoding/json"
	"fmt"
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

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/aws"
	"s3responder/store"
)

// The AWS commands run here against kumo, an in-process AWS emulator, and
// small servers speaking the real wire protocols of what kumo lacks (S3
// Control's account Block Public Access, CloudTrail's event history), all
// on loopback, with fake keys: no test reaches AWS.

// loopbackOnly is an HTTP client that refuses every host but this machine.
// S3 Control puts the account id in front of the host
// ("000000000000.127.0.0.1"), which it dials on 127.0.0.1.
func loopbackOnly(t *testing.T) *http.Client {
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

// isolateAWS points the AWS configuration at fresh files in a temp dir, so
// the developer's own profiles and keys never take part.
func isolateAWS(t *testing.T, configText string) {
	t.Helper()
	for _, k := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_S3_CONTROL", "AWS_ENDPOINT_URL_CLOUDTRAIL",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CA_BUNDLE",
	} {
		t.Setenv(k, "")
		require.NoError(t, os.Unsetenv(k))
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cfg, cred := filepath.Join(home, "config"), filepath.Join(home, "credentials")
	require.NoError(t, os.WriteFile(cfg, []byte(configText), 0o600))
	require.NoError(t, os.WriteFile(cred, []byte("[default]\naws_access_key_id = AKIAEXAMPLEKEY000001\naws_secret_access_key = fakesecretfakesecretfakesecret\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", cred)
}

// controlFake is S3 Control's account Block Public Access: not configured.
func controlFake(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>NoSuchPublicAccessBlockConfiguration</Code><Message>The public access block configuration was not found</Message></Error></ErrorResponse>`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// trailFake speaks CloudTrail's JSON 1.1 LookupEvents: one PutBucketPolicy
// event, making bucket public, at a fixed past time.
func trailFake(t *testing.T, bucket string, at time.Time) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var in struct {
			LookupAttributes []struct{ AttributeValue string }
		}
		if r.Header.Get("X-Amz-Target") != "CloudTrail_20131101.LookupEvents" || json.Unmarshal(body, &in) != nil || len(in.LookupAttributes) != 1 {
			t.Errorf("unexpected CloudTrail request %s %s", r.Header.Get("X-Amz-Target"), body)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		events := []any{}
		if in.LookupAttributes[0].AttributeValue == "PutBucketPolicy" {
			record := fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE"},"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","requestParameters":{"bucketName":"%s","bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/*"}]}},"eventID":"ev-public-policy","readOnly":false,"managementEvent":true}`,
				at.Format(time.RFC3339), bucket, bucket)
			events = append(events, map[string]any{"EventId": "ev-public-policy", "EventName": "PutBucketPolicy", "EventTime": float64(at.Unix()),
				"EventSource": "s3.amazonaws.com", "Username": "mallory", "CloudTrailEvent": record})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"Events": events})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// s3Proxy stands between the app and kumo's S3, counting requests, and
// answers NoSuchBucket for buckets whose name ends in "-missing" (kumo
// answers for buckets that do not exist).
type s3Proxy struct {
	*httptest.Server
	requests atomic.Int64
	// deny, when set, is a sub-resource (query key, such as "acl") that
	// S3 refuses with AccessDenied; "*" refuses every sub-resource.
	deny atomic.Pointer[string]
}

func newS3Proxy(t *testing.T, target string) *s3Proxy {
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &s3Proxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		if first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); strings.HasSuffix(first, "-missing") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>`)
			return
		}
		if d := p.deny.Load(); d != nil && (r.URL.Query().Has(*d) || (*d == "*" && r.URL.RawQuery != "")) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// stsFake is STS's query protocol for GetCallerIdentity and AssumeRole;
// AssumeRole wants the MFA code 123456 (kumo's STS reads JSON bodies,
// which the SDK never sends).
func stsFake(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "text/xml")
		switch form.Get("Action") {
		case "AssumeRole":
			if form.Get("TokenCode") != "123456" || form.Get("SerialNumber") != "arn:aws:iam::000000000000:mfa/alice" {
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>MultiFactorAuthentication failed with invalid MFA one time pass code.</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
				return
			}
			fmt.Fprint(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><Arn>arn:aws:sts::000000000000:assumed-role/Responder/s3responder</Arn><AssumedRoleId>AROAEXAMPLE:s3responder</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>ASIAEXAMPLESESSION01</AccessKeyId><SecretAccessKey>fakesecret</SecretAccessKey><SessionToken>faketoken</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
		case "GetCallerIdentity":
			arn := "arn:aws:iam::000000000000:user/alice"
			if strings.Contains(r.Header.Get("Authorization"), "Credential=ASIAEXAMPLESESSION01/") {
				arn = "arn:aws:sts::000000000000:assumed-role/Responder/s3responder"
			}
			fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>%s</Arn><UserId>AIDAEXAMPLE</UserId><Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, arn)
		default:
			t.Errorf("unexpected STS action %q", form.Get("Action"))
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// awsEnv is a CLI test environment whose services reach kumo.
type awsEnv struct {
	*testEnv
	s3     *s3.Client
	proxy  *s3Proxy
	prefix string
}

var awsRuns atomic.Int64

func newAWSEnv(t *testing.T, configText string) *awsEnv {
	t.Helper()
	isolateAWS(t, configText)
	srv := kumoServer()
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ENDPOINT_URL_S3_CONTROL", controlFake(t).URL)
	proxy := newS3Proxy(t, srv.URL)
	t.Setenv("AWS_ENDPOINT_URL_S3", proxy.URL)

	e := &awsEnv{testEnv: newEnv(t), proxy: proxy, prefix: fmt.Sprintf("c%d-%d-", time.Now().UnixNano()%1e6, awsRuns.Add(1))}
	e.env[EnvDB] = e.db
	client := loopbackOnly(t)
	open := e.deps.OpenService
	e.deps.OpenService = func(path string) (*app.Service, func() error, error) {
		svc, closeFn, err := open(path)
		if err != nil {
			return nil, nil, err
		}
		connect := aws.Connector(aws.Options{HTTPClient: client})
		svc.SetConnector(func(ctx context.Context, p app.Profile) (app.Cloud, error) {
			c, err := connect(ctx, p)
			if cl, ok := c.(*aws.Cloud); ok {
				cl.Limiter = &aws.Limiter{Interval: time.Millisecond}
			}
			return c, err
		})
		return svc, closeFn, nil
	}
	// A client of our own to set buckets up, as an administrator would.
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithHTTPClient(client))
	require.NoError(t, err)
	e.s3 = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	return e
}

const defaultConfig = "[default]\nregion = us-east-1\n"

func (e *awsEnv) bucket(short, policy string) string {
	e.t.Helper()
	name := e.prefix + short
	_, err := e.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &name})
	require.NoError(e.t, err)
	if policy != "" {
		policy = strings.ReplaceAll(policy, "BUCKET", name)
		_, err = e.s3.PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: &name, Policy: sdkaws.String(policy)})
		require.NoError(e.t, err)
	}
	return name
}

// call runs one of the AWS commands directly (the dispatch table lives in
// cli.go), with stdin.
func (e *awsEnv) call(cmd Command, stdin string, args ...string) (int, string, string) {
	e.t.Helper()
	e.out.Reset()
	e.errb.Reset()
	d := e.deps
	d.Stdin = strings.NewReader(stdin)
	code := cmd(context.Background(), args, d)
	return code, e.out.String(), e.errb.String()
}

// stored opens the database after the commands closed it and returns the
// incident's evidence with each item's content.
func (e *awsEnv) stored(id string) ([]app.Evidence, map[string][]byte) {
	e.t.Helper()
	db, err := store.Open(e.db)
	require.NoError(e.t, err)
	defer db.Close()
	evs, err := db.Evidence(context.Background(), id)
	require.NoError(e.t, err)
	contents := map[string][]byte{}
	for _, ev := range evs {
		c, err := db.EvidenceContent(context.Background(), ev.SHA256)
		require.NoError(e.t, err)
		contents[ev.ID] = c
	}
	return evs, contents
}

const publicRead = `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}]}`

func TestWhoAmI(t *testing.T) {
	e := newAWSEnv(t, defaultConfig)
	code, out, errOut := e.call(runWhoAmI, "")
	require.Equal(t, exitOK, code, errOut)
	assert.Regexp(t, `(?m)^Account: \d{12}$`, out)
	assert.Contains(t, out, "ARN:     arn:aws:")

	code, out, errOut = e.call(runWhoAmI, "", "--json")
	require.Equal(t, exitOK, code, errOut)
	var id app.Identity
	require.NoError(t, json.Unmarshal([]byte(out), &id))
	assert.NotEmpty(t, id.ARN)

	t.Run("through the aws group", func(t *testing.T) {
		code, out, errOut := e.call(runAWS, "", "whoami", "--json")
		require.Equal(t, exitOK, code, errOut)
		assert.Contains(t, out, `"arn": "arn:aws:`)
		code, out, _ = e.call(runAWS, "", "--help")
		assert.Equal(t, exitOK, code)
		assert.Contains(t, out, "whoami      check the connection to AWS")
		code, _, errOut = e.call(runAWS, "", "whoarewe")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, `unknown aws subcommand "whoarewe"`)
	})
	t.Run("unknown profile", func(t *testing.T) {
		code, _, errOut := e.call(runWhoAmI, "", "--profile", "nope")
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, `There is no AWS profile named "nope" in your AWS config files`)
	})
	t.Run("MFA code typed on the terminal", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL_STS", stsFake(t).URL)
		require.NoError(t, os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(defaultConfig+
			"[profile responder]\nregion = us-east-1\nsource_profile = default\nrole_arn = arn:aws:iam::000000000000:role/Responder\nmfa_serial = arn:aws:iam::000000000000:mfa/alice\n"), 0o600))
		code, out, errOut := e.call(runWhoAmI, "123456\n", "--profile", "responder")
		require.Equal(t, exitOK, code, errOut)
		assert.Contains(t, errOut, "MFA code for arn:aws:iam::000000000000:mfa/alice (profile responder): ")
		assert.Contains(t, out, "ARN:     arn:aws:sts::000000000000:assumed-role/Responder/s3responder", "the role's credentials are used")

		code, _, errOut = e.call(runWhoAmI, "654321\n", "--profile", "responder")
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "Access denied")

		code, _, errOut = e.call(runWhoAmI, "", "--profile", "responder")
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, `The AWS profile "responder" needs an MFA code for arn:aws:iam::000000000000:mfa/alice, and none was given (the input ended before a code was typed: EOF)`)
	})
}

func TestExposureSavesEvidence(t *testing.T) {
	e := newAWSEnv(t, defaultConfig)
	site := e.bucket("site", publicRead)
	id := e.newIncident("--bucket", site)

	code, out, errOut := e.call(runExposure, "", id, site, "--json")
	require.Equal(t, exitOK, code, errOut)
	var res struct {
		Incident    string
		CollectedBy string
		Buckets     []map[string]any
		Evidence    []evidenceView
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Len(t, res.Buckets, 1)
	b := res.Buckets[0]
	assert.Equal(t, site, b["bucket"])
	assert.Equal(t, "Public", b["access"])
	assert.Equal(t, true, b["public"])
	assert.Equal(t, false, b["shared"])
	assert.NotEmpty(t, b["reasons"])
	assert.True(t, strings.HasPrefix(res.CollectedBy, "arn:aws:"), res.CollectedBy)
	require.Len(t, res.Evidence, 8, "six responses, the access point list and the verdict")

	evs, contents := e.stored(id)
	require.Len(t, evs, 8)
	apis := map[string]app.Evidence{}
	for _, ev := range evs {
		assert.Equal(t, app.HashHex(contents[ev.ID]), ev.SHA256, "%s: the stored content hashes to the recorded SHA-256", ev.Title)
		assert.Equal(t, int64(len(contents[ev.ID])), ev.Size)
		assert.Equal(t, res.CollectedBy, ev.CollectedBy)
		apis[ev.Source.API] = ev
	}
	pol := apis["GetBucketPolicy"]
	assert.Equal(t, site, pol.Source.Params["Bucket"])
	assert.Equal(t, "us-east-1", pol.Source.Region)
	assert.Regexp(t, `^\d{12}$`, pol.Source.Account)
	assert.Contains(t, string(contents[pol.ID]), "PublicRead", "the policy as S3 returned it")
	for _, want := range []string{"GetBucketPolicyStatus", "GetBucketAcl", "GetPublicAccessBlock", "GetBucketOwnershipControls", "s3control:GetPublicAccessBlock", "S3 Responder exposure evaluator"} {
		assert.Contains(t, apis, want)
	}
	for _, v := range res.Evidence {
		assert.Equal(t, app.HashHex(contents[v.ID]), v.SHA256, "printed hash is the stored one")
	}

	timeline := e.must("timeline", id)
	assert.Contains(t, timeline, "Exposure of bucket "+site+" (us-east-1): Public: its bucket policy is public")
	assert.Contains(t, e.must("verify", id), "verified")

	t.Run("text", func(t *testing.T) {
		code, out, errOut := e.call(runExposure, "", id, site)
		require.Equal(t, exitOK, code, errOut)
		assert.Contains(t, out, site+" (us-east-1): Public\n  - Public: its bucket policy is public")
		assert.Contains(t, out, "Saved 8 evidence items to "+id+", collected by arn:aws:")
	})
	t.Run("a missing bucket does not stop the others", func(t *testing.T) {
		code, out, errOut := e.call(runExposure, "", id, e.prefix+"x-missing", site)
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "the bucket does not exist")
		assert.Contains(t, out, site+" (us-east-1): Public")
	})
	t.Run("usage", func(t *testing.T) {
		code, _, errOut := e.call(runExposure, "", id)
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, "name a bucket to check, or use --all")
		code, _, errOut = e.call(runExposure, "", id, site, "--all")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, "not both")
	})
	t.Run("unknown incident", func(t *testing.T) {
		code, _, errOut := e.call(runExposure, "", "INC-20260101-NOSUCH", site)
		assert.Equal(t, exitFail, code)
		assert.Contains(t, errOut, "not found")
	})
}

func TestExposureAllAndScan(t *testing.T) {
	e := newAWSEnv(t, defaultConfig)
	site := e.bucket("site", publicRead)
	partner := e.bucket("partner", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}]}`)
	id := e.newIncident()

	code, out, errOut := e.call(runScan, "", "--json")
	require.Equal(t, exitOK, code, errOut)
	var scan []app.BucketReport
	require.NoError(t, json.Unmarshal([]byte(out), &scan))
	verdicts := map[string]app.BucketReport{}
	for _, r := range scan {
		verdicts[r.Bucket] = r
	}
	assert.True(t, verdicts[site].Public)
	assert.Equal(t, "Public", verdicts[site].Verdict)
	assert.True(t, verdicts[partner].Shared)
	assert.Equal(t, []string{"444455556666"}, verdicts[partner].SharedWith)
	assert.Contains(t, errOut, "checked buckets:")
	evs, _ := e.stored(id)
	assert.Empty(t, evs, "scan keeps nothing")

	code, out, errOut = e.call(runExposure, "", id, "--all")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, site+" (us-east-1): Public\n")
	assert.Contains(t, out, partner+" (us-east-1): Objects can be public\n  Shared with other accounts: 444455556666")
	evs, contents := e.stored(id)
	require.Len(t, evs, 1, "one item for the whole scan")
	assert.Equal(t, app.HashHex(contents[evs[0].ID]), evs[0].SHA256)
	assert.Contains(t, string(contents[evs[0].ID]), "PublicRead", "the policies as S3 returned them")
	timeline := e.must("timeline", id)
	assert.Contains(t, timeline, "Exposure of bucket "+site+" (us-east-1): Public")
	assert.Contains(t, timeline, "Exposure of bucket "+partner+" (us-east-1): Objects can be public")
}

func TestSnapshotCommand(t *testing.T) {
	e := newAWSEnv(t, defaultConfig)
	b := e.bucket("evidence", "")
	id := e.newIncident()
	code, out, errOut := e.call(runSnapshot, "", id, b)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Snapshot of bucket "+b+": Saved 14 evidence items to "+id)
	evs, contents := e.stored(id)
	require.Len(t, evs, 14)
	seen := map[string]bool{}
	for _, ev := range evs {
		assert.Equal(t, app.HashHex(contents[ev.ID]), ev.SHA256)
		assert.Equal(t, b, ev.Source.Params["Bucket"])
		seen[ev.Source.API] = true
	}
	for _, api := range []string{"GetBucketLocation", "GetBucketVersioning", "GetBucketEncryption", "GetBucketLogging", "GetBucketReplication",
		"GetBucketLifecycleConfiguration", "GetBucketTagging", "GetObjectLockConfiguration", "GetBucketWebsite"} {
		assert.True(t, seen[api], api)
	}
	code, _, errOut = e.call(runSnapshot, "", id)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "missing arguments")
}

func TestChangesCommand(t *testing.T) {
	e := newAWSEnv(t, defaultConfig)
	b := e.bucket("data", "")
	at := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", trailFake(t, b, at).URL)
	id := e.newIncident()

	code, out, errOut := e.call(runChanges, "", id, "--bucket", b, "--regions", "us-east-1", "--since", at.Add(-time.Hour).Format(time.RFC3339))
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Changes of access from "+at.Add(-time.Hour).Format(time.RFC3339))
	assert.Contains(t, out, at.Format("2006-01-02 15:04:05Z")+"  arn:aws:iam::111122223333:user/mallory set the policy of bucket "+b+"; the new policy is public.")
	assert.Contains(t, errOut, "CloudTrail lookups: 10 of 10")

	var entries []entryView
	require.NoError(t, json.Unmarshal([]byte(e.must("timeline", id, "--json")), &entries))
	var change *entryView
	for i := range entries {
		if strings.HasPrefix(entries[i].Text, "Access change:") {
			change = &entries[i]
		}
	}
	require.NotNil(t, change, "the change is on the timeline")
	assert.Equal(t, at, change.EventTime, "at the time it happened")
	assert.Contains(t, change.Refs, "cloudtrail:ev-public-policy")

	evs, contents := e.stored(id)
	require.Len(t, evs, 1)
	assert.Equal(t, "LookupEvents", evs[0].Source.API)
	assert.Equal(t, app.HashHex(contents[evs[0].ID]), evs[0].SHA256)
	assert.Contains(t, string(contents[evs[0].ID]), `"eventID": "ev-public-policy"`)

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{id, "--since", "yesterday"}, "--since"},
		{[]string{id, "--since", "2026-03-02", "--until", "2026-03-01"}, "--since must come before --until"},
	} {
		code, _, errOut := e.call(runChanges, "", tc.args...)
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, tc.msg)
	}
}

func TestExerciseIncidentNeverCallsAWS(t *testing.T) {
	e := newAWSEnv(t, defaultConfig)
	site := e.bucket("site", publicRead)
	id := e.newIncident("--exercise")
	before := e.proxy.requests.Load()
	for name, run := range map[string]func() (int, string, string){
		"exposure": func() (int, string, string) { return e.call(runExposure, "", id, site) },
		"snapshot": func() (int, string, string) { return e.call(runSnapshot, "", id, site) },
		"changes":  func() (int, string, string) { return e.call(runChanges, "", id) },
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := run()
			assert.Equal(t, exitFail, code)
			assert.Contains(t, errOut, "is an exercise: it works only with a simulated account and never calls AWS")
		})
	}
	evs, _ := e.stored(id)
	assert.Empty(t, evs)
	assert.Equal(t, before, e.proxy.requests.Load(), "not one request reached S3")
}

func TestPreflightCommand(t *testing.T) {
	e := newAWSEnv(t, defaultConfig)
	b := e.bucket("pf", "")
	code, out, errOut := e.call(runAWS, "", "preflight", "--bucket", b)
	require.Equal(t, exitOK, code, out+errOut)
	assert.Contains(t, out, "All 18 reads work.")

	acl := "acl"
	e.proxy.deny.Store(&acl)
	code, out, _ = e.call(runAWS, "", "preflight", "--bucket", b)
	assert.Equal(t, exitFail, code)
	assert.Regexp(t, `MISSING  s3:GetBucketAcl +refused: without s3:GetBucketAcl S3 Responder cannot judge the exposure of bucket `+b+` \(acl\)\.`, out)
	assert.Contains(t, out, "1 of 18 reads do not work.")

	code, out, _ = e.call(runAWS, "", "preflight", "--json")
	assert.Equal(t, exitOK, code, "without a bucket the ACL is not read")
	var checks []app.PermissionCheck
	require.NoError(t, json.Unmarshal([]byte(out), &checks))
	assert.Len(t, checks, 4, "the account reads, with the access points")
}

func TestExposureWithEveryReadDeniedGivesNoVerdictAndFails(t *testing.T) {
	e := newAWSEnv(t, defaultConfig)
	site := e.bucket("site", publicRead)
	id := e.newIncident("--bucket", site)
	deny := "*"
	e.proxy.deny.Store(&deny)

	code, out, errOut := e.call(runExposure, "", id, site)
	assert.Equal(t, exitFail, code, out+errOut)
	assert.NotContains(t, out, "Objects can be public")
	assert.NotContains(t, out, "There is no bucket policy")
	assert.Contains(t, out, site+" (us-east-1): Could not be determined")
	assert.Contains(t, out, "the bucket policy, the bucket ACL")
	assert.Contains(t, out, "Could not read bucket policy (AccessDenied)")
	assert.Contains(t, errOut, "bucket "+site+": public access could not be determined")
	assert.Contains(t, e.must("timeline", id), "Could not be determined")

	code, out, _ = e.call(runScan, "", "--json")
	assert.Equal(t, exitFail, code)
	var scan []app.BucketReport
	require.NoError(t, json.Unmarshal([]byte(out), &scan))
	for _, r := range scan {
		if r.Bucket == site {
			assert.True(t, r.Undetermined)
			assert.False(t, r.Public)
		}
	}
}
