package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// trailServer speaks CloudTrail's JSON 1.1 protocol for LookupEvents, with
// events shaped like CloudTrail's documented records. It checks what the
// SDK sends: one lookup attribute per call, the window, the page size.
type trailServer struct {
	*httptest.Server
	mu       sync.Mutex
	calls    []trailCall
	throttle int // answer this many calls with ThrottlingException first
}

type trailCall struct {
	at     time.Time
	region string
	name   string
	token  string
	start  time.Time
	end    time.Time
}

func ctRecord(id, name, bucket, actor, extraParams string, at time.Time) string {
	params := `{"bucketName":"` + bucket + `"` + extraParams + `}`
	if bucket == "" {
		params = `{` + strings.TrimPrefix(extraParams, ",") + `}`
	}
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEMALLORY01","arn":"%s","accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE","userName":"mallory"},"eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"%s","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","userAgent":"[aws-cli/2.15.0]","requestParameters":%s,"responseElements":null,"requestID":"EXAMPLE","eventID":"%s","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`,
		actor, at.Format(time.RFC3339), name, params, id)
}

func ctEvent(id, name, bucket, params string, at time.Time) map[string]any {
	ev := map[string]any{
		"EventId": id, "EventName": name, "ReadOnly": "false", "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
		"EventTime": float64(at.Unix()), "EventSource": "s3.amazonaws.com", "Username": "mallory",
		"CloudTrailEvent": ctRecord(id, name, bucket, "arn:aws:iam::111122223333:user/mallory", params, at),
	}
	if bucket != "" {
		ev["Resources"] = []map[string]string{{"ResourceType": "AWS::S3::Bucket", "ResourceName": bucket}}
	}
	return ev
}

var trailBase = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func newTrailServer(t *testing.T) *trailServer {
	ts := &trailServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "CloudTrail_20131101.LookupEvents" {
			t.Errorf("unexpected target %q", r.Header.Get("X-Amz-Target"))
			http.Error(w, "unexpected target", http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var in struct {
			StartTime, EndTime float64
			MaxResults         int
			NextToken          string
			LookupAttributes   []struct{ AttributeKey, AttributeValue string }
		}
		if err := json.Unmarshal(body, &in); err != nil || len(in.LookupAttributes) != 1 || in.MaxResults != 50 {
			t.Errorf("bad request %s", body)
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		region := ""
		if m := scopeAnyRE(r.Header.Get("Authorization")); m != "" {
			region = m
		}
		ts.mu.Lock()
		ts.calls = append(ts.calls, trailCall{time.Now(), region, in.LookupAttributes[0].AttributeValue, in.NextToken,
			time.Unix(int64(in.StartTime), 0).UTC(), time.Unix(int64(in.EndTime), 0).UTC()})
		throttled := ts.throttle > 0
		if throttled {
			ts.throttle--
		}
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if throttled {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
			return
		}
		out := map[string]any{"Events": []any{}}
		name := in.LookupAttributes[0].AttributeValue
		switch {
		case region != "eu-west-1":
		case name == "PutBucketPolicy" && in.NextToken == "":
			out["Events"] = []any{ctEvent("e-policy-2", name, "customer-data",
				`,"bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::customer-data/*"}]}`, trailBase.Add(2*time.Hour))}
			out["NextToken"] = "page-2"
		case name == "PutBucketPolicy":
			out["Events"] = []any{
				ctEvent("e-policy-1", name, "customer-data", `,"bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::customer-data/*"}]}`, trailBase),
				ctEvent("e-other-bucket", name, "marketing", `,"bucketPolicy":{"Statement":[]}`, trailBase.Add(time.Hour)),
			}
		case name == "DeleteBucketPublicAccessBlock":
			out["Events"] = []any{ctEvent("e-bpa", name, "customer-data", ``, trailBase.Add(90*time.Minute))}
		case name == "PutAccountPublicAccessBlock":
			out["Events"] = []any{ctEvent("e-account", name, "", `,"PublicAccessBlockConfiguration":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":false,"RestrictPublicBuckets":false}`, trailBase.Add(3*time.Hour))}
		case name == "PutBucketAcl":
			ev := ctEvent("e-acl", name, "customer-data", `,"x-amz-acl":["public-read"]`, trailBase.Add(4*time.Hour))
			ev["CloudTrailEvent"] = strings.Replace(ev["CloudTrailEvent"].(string), `"eventCategory"`, `"errorCode":"AccessDenied","eventCategory"`, 1)
			out["Events"] = []any{ev}
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func scopeAnyRE(auth string) string {
	// Credential=AKID/20260310/eu-west-1/cloudtrail/aws4_request
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return ""
	}
	parts := strings.Split(auth[i+len("Credential="):], "/")
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

func TestLookupAccessChanges(t *testing.T) {
	srv := newTrailServer(t)
	s := connectTo(t, srv.URL)
	now := trailBase.Add(24 * time.Hour)
	tl := &TrailLookup{API: s.CloudTrail, Limiter: &Limiter{Interval: 20 * time.Millisecond}, Now: func() time.Time { return now }}
	var progress []string
	started := time.Now()
	events, note, err := tl.LookupAccessChanges(context.Background(), TrailQuery{
		Start: now.Add(-200 * 24 * time.Hour), Regions: []string{"us-east-1", "eu-west-1"}, Bucket: "customer-data",
	}, func(region, name string, n int) {
		progress = append(progress, fmt.Sprintf("%s/%s=%d", region, name, n))
	})
	require.NoError(t, err)
	assert.Contains(t, note, "only reaches back 90 days")

	var ids []string
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	assert.Equal(t, []string{"e-acl", "e-account", "e-policy-2", "e-bpa", "e-policy-1"}, ids, "newest first, other buckets left out, account-level kept")
	byID := map[string]TrailEvent{}
	for _, e := range events {
		byID[e.ID] = e
		assert.True(t, json.Valid(e.Raw), e.ID)
		assert.Equal(t, "arn:aws:iam::111122223333:user/mallory", e.Actor)
		assert.Equal(t, "203.0.113.9", e.SourceIP)
		assert.Equal(t, "AKIAIOSFODNN7EXAMPLE", e.AccessKeyID)
		assert.Equal(t, "eu-west-1", e.Region)
	}
	assert.Equal(t, "arn:aws:iam::111122223333:user/mallory set the policy of bucket customer-data; the new policy is public.", byID["e-policy-2"].Summary)
	assert.Equal(t, "arn:aws:iam::111122223333:user/mallory set the policy of bucket customer-data; the new policy is not public and names other accounts (444455556666).", byID["e-policy-1"].Summary)
	assert.Contains(t, byID["e-bpa"].Summary, "removed Block Public Access from bucket customer-data")
	assert.Contains(t, byID["e-account"].Summary, "changed Block Public Access of the account; now off: BlockPublicPolicy, RestrictPublicBuckets")
	assert.Contains(t, byID["e-acl"].Summary, "grants access to everyone or to all AWS accounts (the call failed: AccessDenied, so nothing changed)")
	assert.Equal(t, trailBase.Add(2*time.Hour), byID["e-policy-2"].Time)

	it := EventsItem(events, TrailQuery{Start: now.Add(-LookupWindow), End: now, Regions: []string{"eu-west-1"}, Bucket: "customer-data"}, "111122223333", now)
	var saved struct{ Records []map[string]any }
	require.NoError(t, json.Unmarshal(it.Data, &saved))
	require.Len(t, saved.Records, 5)
	assert.Equal(t, "e-acl", saved.Records[0]["eventID"], "CloudTrail's own records are kept")
	assert.Equal(t, "LookupEvents", it.Source.API)
	assert.Equal(t, "customer-data", it.Source.Params["Bucket"])
	assert.Equal(t, "cloudtrail-access-changes of bucket customer-data", it.Evidence("me").Title)

	// One attribute per call: each event name in each region, plus the
	// second page of PutBucketPolicy in eu-west-1.
	srv.mu.Lock()
	calls := append([]trailCall(nil), srv.calls...)
	srv.mu.Unlock()
	require.Len(t, calls, 2*len(AccessChangeEvents)+1)
	assert.Equal(t, "us-east-1", calls[0].region)
	assert.Equal(t, "eu-west-1", calls[len(calls)-1].region)
	for _, c := range calls {
		assert.Equal(t, now.Add(-LookupWindow), c.start, "window cut to 90 days")
		assert.Equal(t, now, c.end)
	}
	// Every call waited its turn at the limiter (whose spacing
	// TestLimiterSpacing checks): after n turns its next slot is at least
	// n intervals after the start. The gaps between arrivals at the server
	// are not the measure: under load one call's trip can take longer than
	// the next one's, and two arrivals then come closer than the interval.
	tl.Limiter.mu.Lock()
	next := tl.Limiter.next
	tl.Limiter.mu.Unlock()
	assert.GreaterOrEqual(t, next.Sub(started), time.Duration(len(calls))*tl.Limiter.Interval, "every call is spaced by the limiter")
	assert.Equal(t, "page-2", calls[len(AccessChangeEvents)+1].token)
	assert.Len(t, progress, 2*len(AccessChangeEvents))
	assert.Equal(t, "eu-west-1/UpdateAssumeRolePolicy=5", progress[len(progress)-1])
}

func TestLookupThrottledAndCancelled(t *testing.T) {
	srv := newTrailServer(t)
	srv.throttle = 2
	// The SDK's own retries are turned off so that our back-off is seen,
	// and its adaptive rate limiting (which rightly slows a throttled
	// client for seconds) is swapped for the standard mode.
	s := connectTo(t, srv.URL, config.WithRetryMaxAttempts(1), config.WithRetryMode(sdkaws.RetryModeStandard))
	tl := &TrailLookup{API: s.CloudTrail, Limiter: &Limiter{Interval: time.Millisecond}, Backoff: 30 * time.Millisecond, Now: func() time.Time { return trailBase }}
	start := time.Now()
	events, _, err := tl.LookupAccessChanges(context.Background(), TrailQuery{Start: trailBase.Add(-time.Hour), Regions: []string{"eu-west-1"}, EventNames: []string{"DeleteBucketPublicAccessBlock"}}, nil)
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond, "30 ms then 60 ms of back-off")
	assert.Len(t, srv.calls, 3)

	t.Run("throttled for good", func(t *testing.T) {
		srv.throttle = 100
		_, _, err := tl.LookupAccessChanges(context.Background(), TrailQuery{Start: trailBase.Add(-time.Hour), EventNames: []string{"PutBucketAcl"}}, nil)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindThrottled, e.Kind)
		assert.Contains(t, err.Error(), "look up PutBucketAcl events in the session region")
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		srv.throttle = 0
		ctx, cancel := context.WithCancel(context.Background())
		slow := &TrailLookup{API: s.CloudTrail, Limiter: &Limiter{Interval: time.Hour}, Now: func() time.Time { return trailBase }}
		require.NoError(t, slow.Limiter.Wait(ctx)) // the first call goes at once
		go func() { time.Sleep(20 * time.Millisecond); cancel() }()
		_, _, err := slow.LookupAccessChanges(ctx, TrailQuery{Start: trailBase.Add(-time.Hour)}, nil)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindCanceled, e.Kind)
	})
	t.Run("empty window", func(t *testing.T) {
		_, _, err := tl.LookupAccessChanges(context.Background(), TrailQuery{Start: trailBase, End: trailBase.Add(-time.Hour)}, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "is empty")
	})
}

func TestLimiterSpacing(t *testing.T) {
	l := &Limiter{Interval: 25 * time.Millisecond}
	start := time.Now()
	for range 5 {
		require.NoError(t, l.Wait(context.Background()))
	}
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond, "five calls need four intervals")
	assert.Less(t, time.Since(start), time.Second)
	var zero Limiter
	require.NoError(t, zero.Wait(context.Background()))
	start = time.Now()
	require.NoError(t, zero.Wait(context.Background()))
	assert.GreaterOrEqual(t, time.Since(start), 450*time.Millisecond, "the default is about two calls a second")
}
