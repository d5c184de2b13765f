package tabletop

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/sivchari/kumo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/aws"
)

// Plan parity: for the same starting state, a plan the aws package makes
// on the simulated account and one it makes against a local S3 server
// have the same steps, impact, notes and CLI equivalents, identifiers
// aside (version ids, times, canonical ids). versitygw serves policies,
// versioning and versions; kumo serves Block Public Access and object
// ACLs, which versitygw lacks. A difference is either a simulation bug
// (fixed) or a server's deviation from AWS, written down in the case.

// loopback is an HTTP client that reaches only this machine.
func loopbackOnly(t *testing.T) *http.Client {
	t.Helper()
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{Proxy: nil, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if host != "127.0.0.1" && host != "localhost" && !strings.HasSuffix(host, ".127.0.0.1") {
			t.Errorf("test tried to reach %s: only loopback endpoints are allowed", addr)
			return nil, &net.OpError{Op: "dial", Net: network, Err: os.ErrPermission}
		}
		return dialer.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// connectLocal opens an aws.Session whose every service goes to
// endpoint, with an isolated AWS configuration and fake keys.
func connectLocal(t *testing.T, endpoint, access, secret string) *aws.Session {
	t.Helper()
	home := t.TempDir()
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS",
		"AWS_ENDPOINT_URL_S3_CONTROL", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CA_BUNDLE"} {
		t.Setenv(k, "")
		require.NoError(t, os.Unsetenv(k))
	}
	t.Setenv("HOME", home)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cfg, cred := filepath.Join(home, "config"), filepath.Join(home, "credentials")
	require.NoError(t, os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\n"), 0o600))
	require.NoError(t, os.WriteFile(cred, []byte("[default]\naws_access_key_id = "+access+"\naws_secret_access_key = "+secret+"\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", cred)
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	s, err := aws.Connect(context.Background(), aws.Options{HTTPClient: loopbackOnly(t)})
	require.NoError(t, err)
	return s
}

// startVersity runs the pinned versitygw (VERSITYGW, or built by
// scripts/install-versitygw.sh) with versioning, on a free loopback port.
func startVersity(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("VERSITYGW")
	if bin == "" {
		root, err := filepath.Abs("..")
		require.NoError(t, err)
		var stderr bytes.Buffer
		cmd := exec.Command("sh", filepath.Join(root, "scripts", "install-versitygw.sh"))
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "install versitygw: %s", stderr.String())
		bin = strings.TrimSpace(string(out))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	dir := t.TempDir()
	for _, d := range []string{"data", "versions"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o700))
	}
	logs := &lockedBuffer{}
	cmd := exec.Command(bin, "--access", "paritykey", "--secret", "paritysecret-for-tests-only", "--port", addr, "--quiet",
		"posix", "--versioning-dir", filepath.Join(dir, "versions"), filepath.Join(dir, "data"))
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return "http://" + addr
		}
		select {
		case err := <-exited:
			t.Fatalf("versitygw exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen: %s", logs.String())
		}
	}
}

// s3ParityScenario is the simulated side of the starting state both sides
// are given.
const s3ParityScenario = `id: parity
title: Plan parity with local S3 servers
account: "123456789012"
region: us-east-1
caller:
  arn: arn:aws:sts::123456789012:assumed-role/IncidentResponder/parity
buckets:
  - name: parity-policy
    policy: POLICY
  - name: parity-plain
  - name: parity-versions
    versioning: Enabled
    objects:
      - key: a.txt
        body: "two"
        versions:
          - body: "one"
      - key: b.txt
        deleteMarker: true
        versions:
          - body: "bee"
  - name: parity-suspended
    versioning: Suspended
  - name: parity-partial
    publicAccessBlock: {blockPublicAcls: true}
  - name: parity-acl
    objects:
      - {key: docs/one.txt, body: "1", acl: public-read}
      - {key: docs/two.txt, body: "2", acl: public-read}
      - {key: docs/three.txt, body: "3"}
`

const parityPolicy = `{"Version":"2012-10-17","Statement":[` +
	`{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::parity-policy/*"},` +
	`{"Sid":"NoDeletes","Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::parity-policy/*"}]}`

const parityKey = "arn:aws:kms:us-east-1:123456789012:key/0b7e3f1c-9a52-4d1a-9c55-7e2f0d6b8a41"

// paritySim opens the simulated side with the server's profile, so the
// commands name the same one.
func paritySim(t *testing.T, profile string) (*simAccount, app.Identity) {
	t.Helper()
	sc, err := ParseScenario("parity.yaml", []byte(strings.Replace(s3ParityScenario, "POLICY", "'"+parityPolicy+"'", 1)))
	require.NoError(t, err)
	a := openSim(t, sc, time.Time{})
	a.cloud = aws.NewSimulated(aws.Clients{S3: s3API{a.be}, Control: controlAPI{a.be}, STS: stsAPI{a.be}}, profile, sc.Region, a.clk.now)
	return a, app.Identity{Account: sc.Account, ARN: sc.Caller.ARN, UserID: sc.Caller.UserID}
}

var (
	isoTime  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	hexToken = regexp.MustCompile(`\b[0-9a-f]{64}\b`)
)

// comparable is what must be equal of a plan, identifiers replaced.
func s3Comparable(t *testing.T, p app.Plan, ids map[string]string) string {
	t.Helper()
	p.ID, p.Incident, p.CreatedAt, p.ExpiresAt, p.Simulated, p.Account, p.Principal = "", "", time.Time{}, time.Time{}, false, "", ""
	b, err := json.MarshalIndent(p, "", " ")
	require.NoError(t, err)
	s := string(b)
	keys := make([]string, 0, len(ids))
	for k := range ids {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) }) // longer first
	for _, k := range keys {
		s = strings.ReplaceAll(s, k, ids[k])
	}
	s = isoTime.ReplaceAllString(s, "TIME")
	return hexToken.ReplaceAllString(s, "CANONICAL-ID")
}

// versionIDs maps a bucket's version ids to names by key and age
// (a.txt#0 is the newest entry of a.txt).
func versionIDs(t *testing.T, api aws.S3API, bucket string) map[string]string {
	t.Helper()
	out, err := api.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: &bucket})
	require.NoError(t, err)
	type entry struct {
		key, id string
		at      time.Time
	}
	var all []entry
	for _, v := range out.Versions {
		all = append(all, entry{sdkaws.ToString(v.Key), sdkaws.ToString(v.VersionId), sdkaws.ToTime(v.LastModified)})
	}
	for _, m := range out.DeleteMarkers {
		all = append(all, entry{sdkaws.ToString(m.Key), sdkaws.ToString(m.VersionId), sdkaws.ToTime(m.LastModified)})
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].key != all[j].key {
			return all[i].key < all[j].key
		}
		return all[i].at.After(all[j].at)
	})
	ids, n := map[string]string{}, map[string]int{}
	for _, e := range all {
		ids[e.id] = e.key + "#" + string(rune('0'+n[e.key]))
		n[e.key]++
	}
	return ids
}

type parityCase struct {
	action string
	params map[string]string
	// deviation, when set, is how the server departs from AWS and the
	// plans therefore differ; the test checks the difference is still
	// there, so the note does not outlive the deviation. serverSays is
	// then what the server's refusal says, when it refuses.
	deviation, serverSays string
}

// compare plans every case on both sides and compares them.
func compare(t *testing.T, server *aws.Changer, sim *aws.ChangingCloud, by app.Identity, cases []parityCase, ids map[string]string, params func(side string, p map[string]string) map[string]string) {
	t.Helper()
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.action, func(t *testing.T) {
			real, rerr := server.PlanChange(ctx, app.ChangeRequest{Action: c.action, Params: params("server", c.params)}, by)
			simulated, serr := sim.PlanChange(ctx, app.ChangeRequest{Action: c.action, Params: params("sim", c.params)}, by)
			if c.deviation != "" {
				if rerr == nil && serr == nil {
					assert.NotEqual(t, s3Comparable(t, real, ids), s3Comparable(t, simulated, ids), "the server's deviation is gone (%s): drop the note", c.deviation)
				} else {
					assert.NoError(t, serr, "the simulated account must plan it")
					require.Error(t, rerr)
					assert.Contains(t, rerr.Error(), c.serverSays, "the server refuses otherwise than noted (%s)", c.deviation)
				}
				return
			}
			require.NoError(t, rerr, "server")
			require.NoError(t, serr, "simulated")
			assert.Equal(t, s3Comparable(t, real, ids), s3Comparable(t, simulated, ids))
			assert.NotEmpty(t, simulated.Impact)
		})
	}
}

func TestPlansOnTheSimulatedAccountMatchPlansOnVersityGW(t *testing.T) {
	endpoint := startVersity(t)
	s := connectLocal(t, endpoint, "paritykey", "paritysecret-for-tests-only")
	ctx := context.Background()
	put := func(bucket, key, body string) {
		_, err := s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(body)})
		require.NoError(t, err)
	}
	for _, b := range []string{"parity-policy", "parity-plain", "parity-versions", "parity-suspended"} {
		_, err := s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String(b)})
		require.NoError(t, err)
	}
	for _, st := range []s3types.BucketVersioningStatus{s3types.BucketVersioningStatusEnabled, s3types.BucketVersioningStatusSuspended} {
		_, err := s.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: sdkaws.String("parity-suspended"),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: st}})
		require.NoError(t, err)
	}
	_, err := s.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: sdkaws.String("parity-policy"), Policy: sdkaws.String(parityPolicy)})
	require.NoError(t, err)
	_, err = s.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: sdkaws.String("parity-versions"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	require.NoError(t, err)
	put("parity-versions", "a.txt", "one")
	time.Sleep(1100 * time.Millisecond) // versitygw keeps whole seconds
	put("parity-versions", "a.txt", "two")
	put("parity-versions", "b.txt", "bee")
	time.Sleep(1100 * time.Millisecond)
	_, err = s.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: sdkaws.String("parity-versions"), Key: sdkaws.String("b.txt")})
	require.NoError(t, err)

	sim, by := paritySim(t, s.Profile)
	ids := map[string]string{}
	serverIDs, simIDs := versionIDs(t, s.S3, "parity-versions"), versionIDs(t, sim.s3, "parity-versions")
	for id, name := range serverIDs {
		ids[id] = "VERSION " + name
	}
	for id, name := range simIDs {
		ids[id] = "VERSION " + name
	}
	byName := func(m map[string]string, name string) string {
		for id, n := range m {
			if n == name {
				return id
			}
		}
		t.Fatalf("no version %s", name)
		return ""
	}
	params := func(side string, p map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range p {
			if k == "versionId" {
				v = byName(map[string]map[string]string{"server": serverIDs, "sim": simIDs}[side], v)
			}
			out[k] = v
		}
		return out
	}
	compare(t, aws.NewChanger(s, false), sim.cloud, by, []parityCase{
		{action: "s3.remove-policy-statements", params: map[string]string{"bucket": "parity-policy"}},
		{action: "s3.lock-control-plane", params: map[string]string{"bucket": "parity-policy"}},
		{action: "s3.versioning", params: map[string]string{"bucket": "parity-plain"}},
		{action: "s3.versioning", params: map[string]string{"bucket": "parity-suspended"}},
		{action: "s3.default-encryption", params: map[string]string{"bucket": "parity-plain", "kmsMasterKeyId": parityKey},
			deviation: "versitygw does not implement bucket default encryption; kumo covers it", serverSays: "(NotImplemented)"},
		{action: "s3.restore-version", params: map[string]string{"bucket": "parity-versions", "keys": "a.txt", "versionId": "a.txt#1"}},
		{action: "s3.remove-delete-marker", params: map[string]string{"bucket": "parity-versions", "keys": "b.txt"}},
	}, ids, params)
}

func TestS3PlansOnTheSimulatedAccountMatchPlansOnKumo(t *testing.T) {
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	s := connectLocal(t, srv.URL, "AKIAEXAMPLEKEY000001", "fakesecretfakesecretfakesecret")
	ctx := context.Background()
	// kumo keeps one store per process: the names must be the
	// simulation's, so this is the only test that uses them on kumo.
	for _, b := range []string{"parity-policy", "parity-acl", "parity-plain", "parity-partial"} {
		_, err := s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String(b)})
		require.NoError(t, err)
	}
	_, err := s.S3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: sdkaws.String("parity-partial"),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: sdkaws.Bool(true), IgnorePublicAcls: sdkaws.Bool(false),
			BlockPublicPolicy: sdkaws.Bool(false), RestrictPublicBuckets: sdkaws.Bool(false)}})
	require.NoError(t, err)
	_, err = s.S3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: sdkaws.String("parity-plain"), ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
		Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}, BucketKeyEnabled: sdkaws.Bool(false)}}}})
	require.NoError(t, err)
	_, err = s.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: sdkaws.String("parity-policy"), Policy: sdkaws.String(parityPolicy)})
	require.NoError(t, err)
	acl, err := s.S3.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: sdkaws.String("parity-acl")})
	require.NoError(t, err)
	owner := sdkaws.ToString(acl.Owner.ID)
	for _, o := range []struct{ key, body string }{{"docs/one.txt", "1"}, {"docs/two.txt", "2"}, {"docs/three.txt", "3"}} {
		_, err := s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String("parity-acl"), Key: sdkaws.String(o.key), Body: strings.NewReader(o.body)})
		require.NoError(t, err)
		if o.key != "docs/three.txt" {
			// kumo ignores a canned ACL here: the grants are written out.
			_, err = s.S3.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: sdkaws.String("parity-acl"), Key: sdkaws.String(o.key), AccessControlPolicy: &s3types.AccessControlPolicy{
				Owner: &s3types.Owner{ID: &owner},
				Grants: []s3types.Grant{
					{Grantee: &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: &owner}, Permission: s3types.PermissionFullControl},
					{Grantee: &s3types.Grantee{Type: s3types.TypeGroup, URI: sdkaws.String(allUsersURI)}, Permission: s3types.PermissionRead},
				}}})
			require.NoError(t, err)
		}
	}
	sim, by := paritySim(t, s.Profile)
	same := func(_ string, p map[string]string) map[string]string { return p }
	compare(t, aws.NewChanger(s, false), sim.cloud, by, []parityCase{
		{action: "s3.block-public-access.bucket", params: map[string]string{"bucket": "parity-policy"}},
		{action: "s3.block-public-access.bucket", params: map[string]string{"bucket": "parity-partial"}},
		{action: "s3.reset-object-acls", params: map[string]string{"bucket": "parity-acl", "prefix": "docs/"}},
		{action: "s3control.block-public-access.account", serverSays: "UnknownError",
			deviation: "kumo answers S3 Control's GetPublicAccessBlock in a shape the SDK cannot read (S3 Control wraps errors in ErrorResponse); the aws package tests account Block Public Access against a fake S3 Control server instead"},
		{action: "s3.default-encryption", params: map[string]string{"bucket": "parity-acl", "kmsMasterKeyId": parityKey},
			deviation: "kumo answers GetBucketEncryption of a bucket never configured with ServerSideEncryptionConfigurationNotFoundError; AWS has SSE-S3 on every bucket since January 2023 (as the simulation), so the plan there starts from SSE-S3 and its undo puts SSE-S3 back"},
		// Given SSE-S3 explicitly, kumo starts where AWS does.
		{action: "s3.default-encryption", params: map[string]string{"bucket": "parity-plain", "kmsMasterKeyId": parityKey}},
	}, map[string]string{owner: "CANONICAL-ID"}, same)
}
