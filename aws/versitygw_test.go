package aws

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/exposure"
)

// versitygw is a real S3 gateway that enforces bucket policies and ACLs
// for anonymous callers, so these tests show that what the checker calls
// public is reachable without credentials, and stops being reachable when
// the checker says so. It has no Block Public Access; kumo_test.go covers
// that.

// versityGWBinary finds the pinned versitygw, installing it with
// scripts/install-versitygw.sh when missing. It fails (never skips) when
// it cannot, so CI cannot pass without having run these tests.
func versityGWBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VERSITYGW"); p != "" {
		return p
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	script := filepath.Join(root, "scripts", "install-versitygw.sh")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "sh", script)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cannot install versitygw with %s: %v\n%s", script, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// startVersityGW runs a gateway on a free loopback port with its data in
// a temporary directory and returns its URL.
func startVersityGW(t *testing.T, access, secret string) string {
	t.Helper()
	bin := versityGWBinary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	dir := t.TempDir()
	data, versions := filepath.Join(dir, "data"), filepath.Join(dir, "versions")
	require.NoError(t, os.MkdirAll(data, 0o700))
	require.NoError(t, os.MkdirAll(versions, 0o700))
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--access", access, "--secret", secret, "--port", addr, "--quiet",
		"posix", "--versioning-dir", versions, data)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return "http://" + addr
		}
		select {
		case err := <-exited:
			t.Fatalf("versitygw exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s: %s", addr, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// anonymous fetches a URL without credentials, as anyone on the internet
// would, and returns the status code and body.
func anonymous(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := loopbackClient(t).Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestVersityGWExposure(t *testing.T) {
	endpoint := startVersityGW(t, "rootkey", "rootsecret-for-tests-only")
	isolate(t, "[default]\nregion = us-east-1\n", "[default]\naws_access_key_id = rootkey\naws_secret_access_key = rootsecret-for-tests-only\n")
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	s, err := Connect(context.Background(), Options{HTTPClient: loopbackClient(t)})
	require.NoError(t, err)
	require.True(t, s.CustomEndpoint)
	ctx := context.Background()
	x := &ExposureChecker{S3: s.S3, Buckets: s.S3, Account: "123456789012", Region: "us-east-1"}

	mk := func(name string) {
		_, err := s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name, ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred})
		require.NoError(t, err)
		_, err = s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &name, Key: sdkaws.String("customers.csv"), Body: strings.NewReader("id,name\n1,Ada\n")})
		require.NoError(t, err)
	}
	check := func(bucket string) BucketExposure {
		t.Helper()
		b, err := x.CheckBucket(ctx, bucket)
		require.NoError(t, err)
		return b
	}

	t.Run("public by policy, then private", func(t *testing.T) {
		mk("vgw-policy")
		object := endpoint + "/vgw-policy/customers.csv"
		code, _ := anonymous(t, object)
		require.Equal(t, http.StatusForbidden, code, "private before the policy")
		b := check("vgw-policy")
		assert.False(t, b.Public)
		assert.Equal(t, exposure.AccessObjectsCanBe, b.Access, "no Block Public Access on this server")

		_, err := s.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: sdkaws.String("vgw-policy"), Policy: sdkaws.String(publicReadPolicy("vgw-policy"))})
		require.NoError(t, err)
		code, body := anonymous(t, object)
		require.Equal(t, http.StatusOK, code, "the policy lets anyone read")
		require.Equal(t, "id,name\n1,Ada\n", body)
		b = check("vgw-policy")
		assert.True(t, b.Public)
		assert.Equal(t, exposure.AccessPublic, b.Access)
		require.NotNil(t, b.S3PolicyPublic, "the server answered GetBucketPolicyStatus")
		assert.True(t, *b.S3PolicyPublic)
		assert.Empty(t, b.Disagreement)
		assert.Contains(t, strings.Join(b.Reasons, "\n"), `Statement 1 (Sid "PublicRead") lets anyone (Principal "*") read objects`)

		_, err = s.S3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: sdkaws.String("vgw-policy")})
		require.NoError(t, err)
		code, _ = anonymous(t, object)
		require.Equal(t, http.StatusForbidden, code)
		b = check("vgw-policy")
		assert.False(t, b.Public)
		require.NotNil(t, b.S3PolicyPublic)
		assert.False(t, *b.S3PolicyPublic)
	})

	t.Run("public by ACL, then private", func(t *testing.T) {
		mk("vgw-acl")
		listing := endpoint + "/vgw-acl/"
		_, err := s.S3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: sdkaws.String("vgw-acl"), ACL: types.BucketCannedACLPublicRead})
		require.NoError(t, err)
		code, body := anonymous(t, listing)
		require.Equal(t, http.StatusOK, code, "READ for everyone lets anyone list")
		require.Contains(t, body, "customers.csv")
		b := check("vgw-acl")
		assert.True(t, b.Public)
		assert.True(t, b.ACLPublic)
		assert.False(t, b.PolicyPublic)
		assert.Contains(t, strings.Join(b.Reasons, "\n"), "lets everyone (the AllUsers group, no credentials needed) list the objects in the bucket (READ): the ACL is public.")

		_, err = s.S3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: sdkaws.String("vgw-acl"), ACL: types.BucketCannedACLPrivate})
		require.NoError(t, err)
		code, _ = anonymous(t, listing)
		require.Equal(t, http.StatusForbidden, code)
		b = check("vgw-acl")
		assert.False(t, b.Public)
		assert.False(t, b.ACLPublic)
	})

	t.Run("disagreement with the server is flagged", func(t *testing.T) {
		mk("vgw-ip")
		// A grant to "*" limited to one address is not public by S3's rule;
		// versitygw calls every grant to "*" public. The checker must say
		// so and follow the server's verdict.
		policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::vgw-ip/*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.10/32"}}}]}`
		_, err := s.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: sdkaws.String("vgw-ip"), Policy: &policy})
		require.NoError(t, err)
		b := check("vgw-ip")
		require.NotNil(t, b.S3PolicyPublic)
		assert.True(t, *b.S3PolicyPublic)
		assert.Contains(t, b.Disagreement, "S3 says the bucket policy is public, but no statement looks public")
		assert.Equal(t, exposure.AccessPublic, b.Access, "the verdict follows the server")
		offline, err := exposure.EvaluatePolicy(policy, "123456789012")
		require.NoError(t, err)
		assert.False(t, offline.Public, "offline, the same policy is not public")
	})

	t.Run("scan and snapshot", func(t *testing.T) {
		_, err := s.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: sdkaws.String("vgw-policy"), Policy: sdkaws.String(publicReadPolicy("vgw-policy"))})
		require.NoError(t, err)
		all, err := x.CheckAll(ctx, nil)
		require.NoError(t, err)
		got := map[string]bool{}
		for _, b := range all {
			got[b.Bucket] = b.Public
		}
		assert.Equal(t, map[string]bool{"vgw-policy": true, "vgw-acl": false, "vgw-ip": true}, got)

		_, err = s.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: sdkaws.String("vgw-policy"),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
		require.NoError(t, err)
		_, err = s.S3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: sdkaws.String("vgw-policy"),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: sdkaws.String("app"), Value: sdkaws.String("billing")}}}})
		require.NoError(t, err)
		sn := &Snapshotter{S3: s.S3, Account: "123456789012", Region: "us-east-1"}
		items, err := sn.Snapshot(ctx, "vgw-policy")
		require.NoError(t, err)
		byName := map[string]Item{}
		for _, it := range items {
			byName[it.Name] = it
			assert.Contains(t, []ItemStatus{StatusCollected, StatusNotConfigured, StatusNotSupported}, it.Status, "%s: %s %s", it.Name, it.ErrorCode, it.Message)
		}
		assert.Equal(t, StatusCollected, byName["policy"].Status)
		assert.Contains(t, string(byName["policy"].Data), `PublicRead`)
		assert.Equal(t, StatusCollected, byName["versioning"].Status)
		assert.Contains(t, string(byName["versioning"].Data), `"Status": "Enabled"`)
		assert.Equal(t, StatusCollected, byName["tags"].Status)
		assert.Contains(t, string(byName["tags"].Data), "billing")
		assert.Equal(t, StatusCollected, byName["acl"].Status)
		assert.Equal(t, StatusCollected, byName["ownership"].Status)
		assert.Contains(t, string(byName["ownership"].Data), "BucketOwnerPreferred")
		t.Logf("snapshot statuses: %s", statuses(items))
	})
}

func statuses(items []Item) string {
	var parts []string
	for _, it := range items {
		parts = append(parts, fmt.Sprintf("%s=%s%s", it.Name, it.Status, map[bool]string{true: "(" + it.ErrorCode + ")", false: ""}[it.ErrorCode != ""]))
	}
	return strings.Join(parts, " ")
}
