package aws

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/exposure"
)

func TestExplainS3Errors(t *testing.T) {
	cases := []struct {
		code, status string
		kind         Kind
		permission   string
		msg          string
	}{
		{"AccessDenied", "403", KindDenied, "s3:GetBucketPolicy", "lacks the permission s3:GetBucketPolicy"},
		{"AllAccessDisabled", "403", KindDenied, "s3:GetBucketPolicy", "Access denied for S3 GetBucketPolicy"},
		{"NoSuchBucket", "404", KindNotFound, "", "the bucket does not exist"},
		{"ExpiredToken", "400", KindExpired, "", "have expired (ExpiredToken)"},
		{"InvalidAccessKeyId", "403", KindBadCredentials, "", "the access key may be deactivated"},
		{"SignatureDoesNotMatch", "403", KindBadCredentials, "", "does not accept the credentials"},
		{"SlowDown", "503", KindThrottled, "", "throttling S3 GetBucketPolicy (SlowDown)"},
		{"PermanentRedirect", "301", KindRegion, "", "wrong region"},
		{"NotImplemented", "501", KindNotSupported, "", "does not support S3 GetBucketPolicy"},
		{"InternalError", "500", KindOther, "", "S3 GetBucketPolicy failed: error for policy (InternalError)"},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			srv := newS3ErrorServer(t, map[string][2]string{"policy": {tc.code, tc.status}})
			s := connectTo(t, srv.URL, config.WithRetryMaxAttempts(1))
			_, err := s.S3.GetBucketPolicy(context.Background(), &s3.GetBucketPolicyInput{Bucket: sdkaws.String("b")})
			require.Error(t, err)
			err = Explain(err, "prod")
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.kind, e.Kind, e.Message)
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, "S3", e.Service)
			assert.Equal(t, "GetBucketPolicy", e.Operation)
			assert.Equal(t, tc.permission, e.Permission)
			assert.Contains(t, e.Message, tc.msg)
			assert.Equal(t, tc.kind == KindNotFound, errors.Is(err, app.ErrNotFound))
			assert.Same(t, e, Explain(err, "prod"), "explaining twice changes nothing")
		})
	}
	assert.NoError(t, Explain(nil, ""))
}

func TestExplainNetworkAndCancel(t *testing.T) {
	srv := newS3ErrorServer(t, nil)
	s := connectTo(t, srv.URL, config.WithRetryMaxAttempts(1))
	srv.Close() // nothing listens any more

	_, err := s.S3.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	var e *Error
	require.ErrorAs(t, Explain(err, ""), &e)
	assert.Equal(t, KindNetwork, e.Kind)
	assert.Contains(t, e.Message, "Could not reach AWS for S3 ListBuckets")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.S3.ListBuckets(ctx, &s3.ListBucketsInput{})
	require.ErrorAs(t, Explain(err, ""), &e)
	assert.Equal(t, KindCanceled, e.Kind)
	assert.True(t, errors.Is(e, context.Canceled))
}

func TestCheckBucketWithRefusals(t *testing.T) {
	srv := newS3ErrorServer(t, map[string][2]string{
		"acl":          {"AccessDenied", "403"},
		"policyStatus": {"AccessDenied", "403"},
	})
	s := connectTo(t, srv.URL)
	x := &ExposureChecker{S3: s.S3, Buckets: s.S3, Account: "111122223333", Region: "us-east-1", Profile: "audit"}
	b, err := x.CheckBucket(context.Background(), "bucket-1")
	require.NoError(t, err, "refused calls are reported on the bucket")
	assert.Equal(t, "eu-west-1", b.Region, "from GetBucketLocation")
	// A refused ACL read is not "no ACL": no label can be given.
	assert.Equal(t, exposure.AccessUnknown, b.Access)
	assert.True(t, b.Undetermined)
	assert.False(t, b.Public)
	var apis []string
	for _, p := range b.Problems {
		apis = append(apis, p.API)
		assert.Equal(t, KindDenied, p.Kind)
	}
	assert.Equal(t, []string{"GetBucketPolicyStatus", "GetBucketAcl"}, apis)
	assert.Contains(t, b.Problems[1].Message, `the identity of the AWS profile "audit" lacks the permission s3:GetBucketAcl`)
	reasons := strings.Join(b.Reasons, "\n")
	assert.Contains(t, reasons, "Could not read bucket ACL (AccessDenied)")
	assert.Contains(t, reasons, "Could not read account Block Public Access (not read: no account id or S3 Control client)")
	assert.Nil(t, b.S3PolicyPublic)
	assert.Equal(t, 5, srv.scopes["eu-west-1"], "every call after GetBucketLocation is signed for the bucket's region")
	assert.Equal(t, 1, srv.scopes["us-east-1"], "GetBucketLocation goes to the session region")
}

func TestCheckAllRegionsAndFailures(t *testing.T) {
	srv := newS3ErrorServer(t, nil)
	s := connectTo(t, srv.URL)
	x := &ExposureChecker{S3: s.S3, Buckets: s.S3, Account: "111122223333", Region: "us-east-1", Concurrency: 3}
	res, err := x.CheckAll(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res, 6)
	for i, b := range res {
		assert.Equal(t, "bucket-"+string(rune('0'+i)), b.Bucket, "listing order")
		assert.Equal(t, "eu-west-1", b.Region, "from ListBuckets' BucketRegion")
		assert.Equal(t, exposure.AccessPublic, b.Access, "the ACL grants READ to AllUsers")
		require.NotNil(t, b.S3PolicyPublic)
		assert.False(t, *b.S3PolicyPublic)
		assert.Empty(t, b.Disagreement, "S3 looks at the policy only; the ACL is ours to judge")
	}
	assert.Equal(t, 1, srv.scopes["us-east-1"], "only ListBuckets is signed for the session region")
	assert.Equal(t, 6*5, srv.scopes["eu-west-1"])

	t.Run("listing refused", func(t *testing.T) {
		srv := newS3ErrorServer(t, map[string][2]string{"": {"AccessDenied", "403"}})
		s := connectTo(t, srv.URL)
		x := &ExposureChecker{S3: s.S3, Buckets: s.S3, Region: "us-east-1"}
		_, err := x.CheckAll(context.Background(), nil)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, "s3:ListAllMyBuckets", e.Permission)
		assert.True(t, strings.HasPrefix(err.Error(), "list buckets: Access denied"), err.Error())
	})
}

func TestCheckAllCancel(t *testing.T) {
	srv := newS3ErrorServer(t, nil)
	s := connectTo(t, srv.URL)
	x := &ExposureChecker{S3: s.S3, Buckets: s.S3, Account: "111122223333", Region: "us-east-1", Concurrency: 2}
	ctx, cancel := context.WithCancel(context.Background())
	firstDone := make(chan struct{})
	var got []string
	type result struct {
		res []BucketExposure
		err error
	}
	out := make(chan result, 1)
	go func() {
		res, err := x.CheckAll(ctx, func(done, total int, b BucketExposure) {
			got = append(got, b.Bucket)
			if done == 1 {
				close(firstDone)
				srv.mu.Lock()
				srv.block = make(chan struct{}) // every later request hangs
				srv.mu.Unlock()
			}
		})
		out <- result{res, err}
	}()
	<-firstDone
	cancel()
	select {
	case r := <-out:
		var e *Error
		require.ErrorAs(t, r.err, &e)
		assert.Equal(t, KindCanceled, e.Kind)
		assert.Contains(t, r.err.Error(), "of 6 done")
		assert.Len(t, r.res, len(got), "the finished buckets are returned")
		assert.Less(t, len(r.res), 6)
	case <-time.After(10 * time.Second):
		t.Fatal("CheckAll did not stop when cancelled")
	}
}
