package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestActWatch runs `act watch` for a short window against a CloudTrail
// that speaks LookupEvents' JSON 1.1 protocol and knows one later call
// with the watched key.
func TestActWatch(t *testing.T) {
	e := newActEnv(t)
	const key = "AKIAEXAMPLELEAKY0001"
	at := time.Now().UTC().Add(-time.Minute)
	var lookups int
	ct := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		lookups++
		if r.Header.Get("X-Amz-Target") != "CloudTrail_20131101.LookupEvents" || !strings.Contains(string(body), `"AttributeKey":"AccessKeyId","AttributeValue":"`+key+`"`) {
			http.Error(w, "unexpected request "+string(body), http.StatusBadRequest)
			return
		}
		raw := fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::000000000000:user/leaky","accessKeyId":"%s"},"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.50","eventID":"ev-1","eventType":"AwsApiCall","errorCode":"InvalidAccessKeyId"}`, key, at.Format(time.RFC3339))
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(map[string]any{"Events": []map[string]any{{"EventId": "ev-1", "EventName": "ListBuckets", "EventTime": float64(at.Unix()), "AccessKeyId": key, "CloudTrailEvent": raw}}})
	}))
	t.Cleanup(ct.Close)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", ct.URL)
	id := e.newIncident()

	code, out, errOut := e.act("watch", id, "--access-key", key, "--minutes", "0.02", "--every", "400ms", "--since", at.Add(-time.Minute).Format(time.RFC3339))
	assert.Equal(t, exitFail, code, "a call was found: %s %s", out, errOut)
	assert.Contains(t, errOut, "FOUND "+at.Format(time.RFC3339)+" ListBuckets by arn:aws:iam::000000000000:user/leaky from 203.0.113.50 InvalidAccessKeyId")
	assert.Contains(t, errOut, "look 1: 1 call(s) found so far")
	assert.Contains(t, out, "Watch ended after")
	assert.Contains(t, out, "1 call(s) found.")
	assert.GreaterOrEqual(t, lookups, 2)
	tl := e.must("timeline", id)
	assert.Equal(t, 1, strings.Count(tl, "Further use of access key "+key+" after containment: ListBuckets"), tl)

	code, _, errOut = e.act("watch", id)
	assert.Equal(t, exitUsage, code, errOut)
}

// TestActVerify re-checks a bucket's exposure through `act verify`, on
// kumo: public before, not public after the change that removes the
// public statement.
func TestActVerify(t *testing.T) {
	e := newActEnv(t)
	ctx := context.Background()
	bucket := fmt.Sprintf("verify-%d", time.Now().UnixNano()%1e9)
	_, err := e.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket})
	require.NoError(t, err)
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}]}`
	_, err = e.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: sdkaws.String(policy)})
	require.NoError(t, err)
	id := e.newIncident()

	code, out, errOut := e.act("verify", id, "--bucket", bucket)
	assert.Equal(t, exitFail, code, errOut)
	assert.Contains(t, out, "bucket "+bucket+" is STILL PUBLIC")
	change := lastLine(e.mustAct("s3.remove-policy-statements", "--incident", id, "--bucket", bucket, "--confirm", bucket))
	out = e.mustAct("verify", id, change)
	assert.Contains(t, out, "Containment check after change "+change)
	assert.Contains(t, out, "bucket "+bucket+" is not public")
}
