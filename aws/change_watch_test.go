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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// watchTrail is CloudTrail's LookupEvents over its JSON 1.1 protocol,
// with records shaped like CloudTrail's documented ones. It filters by the
// one lookup attribute and the window the SDK sends, as CloudTrail does;
// the test adds events while a watch runs, as CloudTrail's lag would.
type watchTrail struct {
	*httptest.Server
	mu     sync.Mutex
	events []watchEvent
	calls  []string // "attribute=value"
}

type watchEvent struct {
	id, name, key, actor, role, errCode string
	at                                  time.Time
}

func newWatchTrail(t *testing.T) *watchTrail {
	t.Helper()
	w := &watchTrail{}
	w.Server = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.Close)
	return w
}

func (w *watchTrail) add(e watchEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.events = append(w.events, e)
}

func (w *watchTrail) serve(rw http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "CloudTrail_20131101.LookupEvents" {
		http.Error(rw, "unexpected target "+r.Header.Get("X-Amz-Target"), http.StatusBadRequest)
		return
	}
	var in struct {
		LookupAttributes []struct{ AttributeKey, AttributeValue string }
		StartTime        float64
		EndTime          float64
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &in); err != nil || len(in.LookupAttributes) != 1 {
		http.Error(rw, "bad request "+string(body), http.StatusBadRequest)
		return
	}
	a := in.LookupAttributes[0]
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, a.AttributeKey+"="+a.AttributeValue)
	var out []map[string]any
	for _, e := range w.events {
		at := float64(e.at.Unix())
		if at < in.StartTime || at > in.EndTime {
			continue
		}
		match := (a.AttributeKey == "AccessKeyId" && e.key == a.AttributeValue) || (a.AttributeKey == "ResourceName" && e.role == a.AttributeValue)
		if !match {
			continue
		}
		errPart := ""
		if e.errCode != "" {
			errPart = `,"errorCode":"` + e.errCode + `","errorMessage":"denied"`
		}
		raw := fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"%s","accountId":"000000000000","accessKeyId":"%s"},"eventTime":"%s","eventSource":"sts.amazonaws.com","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestParameters":null,"eventID":"%s","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"000000000000"%s}`,
			e.actor, e.key, e.at.UTC().Format(time.RFC3339), e.name, e.id, errPart)
		ev := map[string]any{"EventId": e.id, "EventName": e.name, "EventTime": at, "EventSource": "sts.amazonaws.com", "AccessKeyId": e.key, "Username": "mallory", "ReadOnly": "true", "CloudTrailEvent": raw}
		if e.role != "" {
			ev["Resources"] = []map[string]string{{"ResourceType": "AWS::IAM::Role", "ResourceName": e.role}}
		}
		out = append(out, ev)
	}
	rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(rw).Encode(map[string]any{"Events": out})
}

func (w *watchTrail) callCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.calls)
}

func TestWatchCredentials(t *testing.T) {
	srv := kumoServer()
	trail := newWatchTrail(t)
	s := connectTo(t, srv.URL)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", trail.URL)
	s2, err := Connect(context.Background(), Options{HTTPClient: loopbackClient(t)})
	require.NoError(t, err)
	s.CloudTrail = s2.CloudTrail
	e := newChangeEnv(t, s, false)
	// LookupEvents' real pace (two a second) would stretch the test.
	e.svc.SetConnector(WithChanges(func(context.Context, app.Profile) (app.Cloud, error) {
		c := NewCloud(s)
		c.Limiter = &Limiter{Interval: time.Millisecond}
		return c, nil
	}))
	id, err := WhoAmI(context.Background(), s.STS, "")
	require.NoError(t, err)
	const key = "AKIAEXAMPLELEAKY0001"
	now := time.Now().UTC()
	trail.add(watchEvent{id: "before-watch", name: "GetCallerIdentity", key: key, actor: "arn:aws:iam::000000000000:user/leaky", at: now.Add(-2 * time.Hour)})
	trail.add(watchEvent{id: "other-key", name: "ListBuckets", key: "AKIAEXAMPLEOTHER0001", actor: "arn:aws:iam::000000000000:user/ops", at: now.Add(-time.Minute)})

	t.Run("an access key used again", func(t *testing.T) {
		var polls []app.WatchProgress
		res, err := e.svc.WatchCredentials(context.Background(), e.inc, app.Profile{},
			app.WatchRequest{AccessKeyID: key, Duration: 400 * time.Millisecond, Every: 60 * time.Millisecond, Since: now.Add(-10 * time.Minute)},
			func(p app.WatchProgress) {
				polls = append(polls, p)
				if p.Poll == 2 {
					// CloudTrail shows two calls late, as it does.
					trail.add(watchEvent{id: "use-1", name: "GetCallerIdentity", key: key, actor: "arn:aws:iam::000000000000:user/leaky", at: now.Add(-3 * time.Minute), errCode: "InvalidClientTokenId"})
					trail.add(watchEvent{id: "use-2", name: "ListBuckets", key: key, actor: "arn:aws:iam::000000000000:user/leaky", at: now.Add(-2 * time.Minute)})
				}
			})
		require.NoError(t, err)
		assert.False(t, res.Cancelled)
		assert.GreaterOrEqual(t, res.Polls, 4, "a look every 60ms for 400ms, and one at the end")
		require.Len(t, res.Events, 2, "each event once, whatever the number of looks; nothing from before the window or another key")
		assert.Equal(t, "use-1", res.Events[0].ID)
		assert.Equal(t, "InvalidClientTokenId", res.Events[0].ErrorCode)
		assert.Len(t, polls[2].New, 2)
		tl := e.timelineText(t)
		assert.Contains(t, tl, "action: Watching CloudTrail for further use of access key "+key)
		assert.Equal(t, 1, strings.Count(tl, "finding: Further use of access key "+key+" after containment: ListBuckets by arn:aws:iam::000000000000:user/leaky from 198.51.100.7 in us-east-1 (it succeeded)."))
		assert.Equal(t, 1, strings.Count(tl, "GetCallerIdentity by arn:aws:iam::000000000000:user/leaky from 198.51.100.7 in us-east-1 (refused: InvalidClientTokenId)."))
		assert.Contains(t, tl, "2 call(s) with access key "+key+" were recorded")
		entries, err := e.svc.Timeline(context.Background(), e.inc)
		require.NoError(t, err)
		for _, en := range entries {
			if strings.Contains(en.Text, "ListBuckets by") {
				assert.Equal(t, now.Add(-2*time.Minute).Truncate(time.Second), en.EventTime, "the finding sits at the time of the call")
			}
		}
	})

	t.Run("a role, stopped early", func(t *testing.T) {
		role := "arn:aws:iam::" + id.Account + ":role/etl"
		trail.add(watchEvent{id: "assume-1", name: "AssumeRole", key: "AKIAEXAMPLEOTHER0001", actor: "arn:aws:iam::000000000000:user/ops", role: role, at: now.Add(-time.Minute)})
		ctx, cancel := context.WithCancel(context.Background())
		before := trail.callCount()
		res, err := e.svc.WatchCredentials(ctx, e.inc, app.Profile{}, app.WatchRequest{RoleName: "etl", Duration: time.Hour, Every: time.Hour, Since: now.Add(-10 * time.Minute)},
			func(app.WatchProgress) { cancel() })
		require.ErrorIs(t, err, context.Canceled)
		assert.True(t, res.Cancelled)
		require.Len(t, res.Events, 1)
		assert.Equal(t, "AssumeRole", res.Events[0].Name)
		assert.Equal(t, 1, trail.callCount()-before, "one region (the session's is us-east-1), one look")
		trail.mu.Lock()
		assert.Equal(t, "ResourceName="+role, trail.calls[len(trail.calls)-1])
		trail.mu.Unlock()
		tl := e.timelineText(t)
		assert.Contains(t, tl, "Further use of role etl after containment: AssumeRole by arn:aws:iam::000000000000:user/ops")
		assert.Contains(t, tl, "CloudTrail watch of role etl was stopped after")
	})

	_, err = e.svc.WatchCredentials(context.Background(), e.inc, app.Profile{}, app.WatchRequest{AccessKeyID: key, RoleName: "etl"}, nil)
	require.ErrorIs(t, err, app.ErrInvalid)
}
