package aws

import (
	"context"
	"encoding/json"
	"fmt"
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

	"s3responder/exposure"
)

// kumo is an in-process AWS emulator: it stores bucket policies, bucket
// Block Public Access and encryption like S3 and answers STS, but accepts
// any credentials, so it proves the wiring and the wire format, not access
// enforcement (versitygw_test.go does that). Account-level Block Public
// Access comes from controlServer, because kumo wraps that response in a
// different XML element than S3 Control does.

var fixedNow = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

type kumoAccount struct {
	s       *Session
	id      Identity
	control *controlServer
	// prefix makes bucket names unique: kumo keeps one store per
	// process, shared by every server it starts.
	prefix string
}

var kumoRuns atomic.Int64

// name returns the account's bucket name for short.
func (k kumoAccount) name(short string) string { return k.prefix + short }

func newKumoAccount(t *testing.T) kumoAccount {
	t.Helper()
	srv := kumoServer()
	control := newControlServer(t)
	s := connectTo(t, srv.URL)
	// Account Block Public Access comes from its own server, through the
	// service-specific variable; connectTo set the general one for the rest.
	t.Setenv("AWS_ENDPOINT_URL_S3_CONTROL", control.URL)
	s2, err := Connect(context.Background(), Options{HTTPClient: loopbackClient(t)})
	require.NoError(t, err)
	s.Control = s2.Control
	id, err := WhoAmI(context.Background(), s.STS, "")
	require.NoError(t, err)
	require.NotEmpty(t, id.Account)
	return kumoAccount{s: s, id: id, control: control, prefix: fmt.Sprintf("t%d-%d-", time.Now().UnixNano()%1e6, kumoRuns.Add(1))}
}

func (k kumoAccount) bucket(t *testing.T, short, policy string, bpa *types.PublicAccessBlockConfiguration) {
	t.Helper()
	name := k.name(short)
	policy = strings.ReplaceAll(policy, "BUCKET", name)
	ctx := context.Background()
	_, err := k.s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name})
	require.NoError(t, err)
	if policy != "" {
		_, err = k.s.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &name, Policy: &policy})
		require.NoError(t, err)
	}
	if bpa != nil {
		_, err = k.s.S3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: &name, PublicAccessBlockConfiguration: bpa})
		require.NoError(t, err)
	}
}

func (k kumoAccount) checker() *ExposureChecker {
	return &ExposureChecker{S3: k.s.S3, Buckets: k.s.S3, Control: k.s.Control, Account: k.id.Account, Region: "us-east-1", Now: func() time.Time { return fixedNow }}
}

// own keeps the results for this account's buckets.
func (k kumoAccount) own(all []BucketExposure) []BucketExposure {
	var out []BucketExposure
	for _, b := range all {
		if strings.HasPrefix(b.Bucket, k.prefix) {
			out = append(out, b)
		}
	}
	return out
}

func publicReadPolicy(bucket string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
}

func allFour() *types.PublicAccessBlockConfiguration {
	return &types.PublicAccessBlockConfiguration{BlockPublicAcls: sdkaws.Bool(true), IgnorePublicAcls: sdkaws.Bool(true), BlockPublicPolicy: sdkaws.Bool(true), RestrictPublicBuckets: sdkaws.Bool(true)}
}

func TestKumoCheckAll(t *testing.T) {
	k := newKumoAccount(t)
	k.bucket(t, "public-site", publicReadPolicy("BUCKET"), nil)
	k.bucket(t, "restricted", publicReadPolicy("BUCKET"), &types.PublicAccessBlockConfiguration{RestrictPublicBuckets: sdkaws.Bool(true)})
	k.bucket(t, "locked", "", allFour())
	k.bucket(t, "partner", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}]}`, allFour())
	k.bucket(t, "plain", "", nil)

	want := map[string]struct {
		access         exposure.Access
		public, shared bool
	}{
		"public-site": {exposure.AccessPublic, true, false},
		"restricted":  {exposure.AccessOnlyThisAccount, false, false},
		"locked":      {exposure.AccessNotPublic, false, false},
		"partner":     {exposure.AccessNotPublic, false, true},
		"plain":       {exposure.AccessObjectsCanBe, false, false},
	}

	var mu sync.Mutex
	var dones []int
	total := 0
	x := k.checker()
	x.Concurrency = 2
	all, err := x.CheckAll(context.Background(), func(done, n int, b BucketExposure) {
		mu.Lock()
		defer mu.Unlock()
		total = n
		dones = append(dones, done)
	})
	require.NoError(t, err)
	require.Len(t, dones, total)
	for i, d := range dones {
		assert.Equal(t, i+1, d, "done counts up")
	}
	res := k.own(all)
	require.Len(t, res, 5)
	for _, b := range res {
		w, ok := want[strings.TrimPrefix(b.Bucket, k.prefix)]
		require.True(t, ok, b.Bucket)
		assert.Equal(t, w.access, b.Access, b.Bucket)
		assert.Equal(t, w.public, b.Public, b.Bucket)
		assert.Equal(t, w.shared, b.Shared, b.Bucket)
		assert.Empty(t, b.Problems, b.Bucket)
		assert.Equal(t, "us-east-1", b.Region)
		names := map[string]bool{}
		for _, it := range b.Items {
			names[it.Name] = true
			assert.Equal(t, fixedNow, it.CollectedAt)
			assert.True(t, json.Valid(it.Data), "%s/%s is JSON: %s", b.Bucket, it.Name, it.Data)
		}
		for _, n := range []string{"policy", "policy-status", "acl", "public-access-block", "ownership", "account-public-access-block"} {
			assert.True(t, names[n], "%s has %s", b.Bucket, n)
		}
	}
	// Account BPA is read once per checker, with the account id S3
	// Control needs, in front of the host as S3 Control does.
	assert.Equal(t, []string{k.id.Account}, k.control.accounts)
	assert.Equal(t, k.id.Account+".127.0.0.1", strings.Split(k.control.hosts[0], ":")[0])

	t.Run("account settings apply to every bucket", func(t *testing.T) {
		k.control.set(true, true, true, true)
		all, err := k.checker().CheckAll(context.Background(), nil)
		require.NoError(t, err)
		res := k.own(all)
		require.Len(t, res, 5)
		for _, b := range res {
			switch strings.TrimPrefix(b.Bucket, k.prefix) {
			case "public-site":
				assert.Equal(t, exposure.AccessOnlyThisAccount, b.Access, b.Bucket)
				assert.Contains(t, strings.Join(b.Reasons, " "), "RestrictPublicBuckets (account level)")
			case "restricted":
				assert.Equal(t, exposure.AccessOnlyThisAccount, b.Access, b.Bucket)
				assert.Contains(t, strings.Join(b.Reasons, " "), "RestrictPublicBuckets (bucket and account level)")
			default:
				assert.Equal(t, exposure.AccessNotPublic, b.Access, b.Bucket)
			}
		}
	})
	t.Run("account settings refused", func(t *testing.T) {
		k.control.deny = true
		b, err := k.checker().CheckBucket(context.Background(), k.name("public-site"))
		require.NoError(t, err)
		// Read, the account's RestrictPublicBuckets makes this bucket
		// "Only authorized users of this account": refused, nothing can
		// be said (treating it as off used to call the bucket Public).
		assert.Equal(t, exposure.AccessUnknown, b.Access)
		assert.Contains(t, b.Reasons[0], "the account Block Public Access could not be read")
		require.Len(t, b.Problems, 1)
		assert.Equal(t, KindDenied, b.Problems[0].Kind)
		assert.Contains(t, b.Problems[0].Message, "s3:GetAccountPublicAccessBlock")
		assert.Contains(t, strings.Join(b.Reasons, " "), "Could not read account Block Public Access (AccessDenied)")
	})
}

func TestKumoSnapshot(t *testing.T) {
	k := newKumoAccount(t)
	k.bucket(t, "evidence", "", allFour())
	bucket := k.name("evidence")
	ctx := context.Background()
	_, err := k.s.S3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &bucket,
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: sdkaws.String("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")},
		}}}})
	require.NoError(t, err)

	sn := &Snapshotter{S3: k.s.S3, Account: k.id.Account, Region: "us-east-1", Now: func() time.Time { return fixedNow }}
	items, err := sn.Snapshot(ctx, bucket)
	require.NoError(t, err)
	got := map[string]Item{}
	var order []string
	for _, it := range items {
		got[it.Name] = it
		order = append(order, it.Name)
		assert.True(t, json.Valid(it.Data), it.Name)
		assert.Equal(t, bucket, it.Source.Params["Bucket"])
		assert.Equal(t, k.id.Account, it.Source.Account)
		assert.Equal(t, "us-east-1", it.Source.Region)
		assert.NotEqual(t, StatusFailed, it.Status, "%s: %s", it.Name, it.Message)
	}
	assert.Equal(t, append([]string{"location"}, SnapshotNames()...), order)
	assert.Len(t, order, 14)

	assert.Equal(t, StatusCollected, got["encryption"].Status)
	assert.Contains(t, string(got["encryption"].Data), `"SSEAlgorithm": "aws:kms"`)
	assert.Contains(t, string(got["encryption"].Data), "1234abcd-12ab-34cd-56ef-1234567890ab")
	assert.Equal(t, "GetBucketEncryption", got["encryption"].Source.API)
	assert.Contains(t, string(got["public-access-block"].Data), `"RestrictPublicBuckets": true`)
	assert.NotContains(t, string(got["public-access-block"].Data), "ResultMetadata")

	for _, n := range []string{"policy", "ownership", "replication", "lifecycle", "tags", "object-lock", "website"} {
		assert.Equal(t, StatusNotConfigured, got[n].Status, n)
		assert.NotEmpty(t, got[n].ErrorCode, n)
		assert.Contains(t, string(got[n].Data), got[n].ErrorCode, "the evidence records why it is absent")
	}
	assert.Equal(t, "NoSuchBucketPolicy", got["policy"].ErrorCode)

	ev := got["encryption"].Evidence("arn:aws:iam::000000000000:user/alice")
	assert.Equal(t, "encryption of bucket "+bucket, ev.Title)
	assert.Equal(t, bucket+"-encryption.json", ev.FileName)
	assert.Equal(t, "aws-response", ev.Kind)
	assert.Equal(t, "GetBucketEncryption", ev.Source.API)
	assert.Equal(t, fixedNow, ev.CollectedAt)
	assert.Equal(t, "arn:aws:iam::000000000000:user/alice", ev.CollectedBy)
	assert.Equal(t, "policy of bucket "+bucket+" (not-configured)", got["policy"].Evidence("x").Title)

	again, err := sn.Snapshot(ctx, bucket)
	require.NoError(t, err)
	for i := range items {
		assert.Equal(t, string(items[i].Data), string(again[i].Data), "same configuration, same bytes: %s", items[i].Name)
	}
}
