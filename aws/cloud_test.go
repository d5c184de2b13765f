package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
	"s3responder/store"
)

// cloudAccount is the app's view of a kumo account: S3 and STS from kumo,
// account Block Public Access and CloudTrail from wire-protocol fakes, all
// reached through the standard endpoint variables, as a user would.
func cloudAccount(t *testing.T) (*Cloud, kumoAccount, *trailServer) {
	t.Helper()
	k := newKumoAccount(t) // sets AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_S3_CONTROL
	trail := newTrailServer(t)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", trail.URL)
	cl, err := Connector(Options{HTTPClient: loopbackClient(t)})(context.Background(), app.Profile{Region: "eu-west-1"})
	require.NoError(t, err)
	c := cl.(*Cloud)
	c.Now = func() time.Time { return fixedNow }
	c.Limiter = &Limiter{Interval: time.Millisecond}
	return c, k, trail
}

func TestCloudCheckBucket(t *testing.T) {
	c, k, _ := cloudAccount(t)
	ctx := context.Background()
	k.bucket(t, "site", publicReadPolicy("BUCKET"), nil)
	bucket := k.name("site")

	id, err := c.Identity(ctx)
	require.NoError(t, err)
	assert.Equal(t, k.id.Account, id.Account)
	assert.Equal(t, k.id.ARN, id.ARN)
	assert.Equal(t, "eu-west-1", c.Region, "the profile's region is used")

	rep, err := c.CheckBucket(ctx, bucket)
	require.NoError(t, err)
	assert.Equal(t, bucket, rep.Bucket)
	assert.Equal(t, "Public", rep.Verdict)
	assert.True(t, rep.Public)
	assert.False(t, rep.Shared)
	require.NotEmpty(t, rep.Reasons)
	assert.True(t, strings.HasPrefix(rep.Reasons[0], "Public: its bucket policy is public"), rep.Reasons[0])
	assert.Empty(t, rep.Problems)

	var detail struct {
		Access     string
		Statements []struct{ Public bool }
	}
	require.NoError(t, json.Unmarshal(rep.Detail, &detail))
	assert.Equal(t, "Public", detail.Access)
	require.Len(t, detail.Statements, 1)
	assert.True(t, detail.Statements[0].Public)

	titles := map[string]app.Collected{}
	for _, it := range rep.Items {
		titles[it.Title] = it
		assert.Equal(t, "aws-response", it.Kind)
		assert.Equal(t, fixedNow, it.CollectedAt)
		assert.True(t, json.Valid(it.Data), it.Title)
		assert.Equal(t, k.id.Account, it.Source.Account)
		assert.Empty(t, it.Problem, it.Title)
	}
	pol := titles["policy of bucket "+bucket]
	require.NotNil(t, pol.Data, "the policy response is an item")
	assert.Equal(t, "GetBucketPolicy", pol.Source.API)
	assert.Equal(t, bucket, pol.Source.Params["Bucket"])
	assert.Contains(t, string(pol.Data), "PublicRead")
	assert.Contains(t, titles, "public-access-block of bucket "+bucket+" (not-configured)")

	t.Run("a refused read is a problem on the item", func(t *testing.T) {
		k.control.deny = true
		defer func() { k.control.deny = false }()
		rep, err := c.CheckBucket(ctx, bucket)
		require.NoError(t, err)
		require.Len(t, rep.Problems, 1)
		assert.Contains(t, rep.Problems[0], "s3:GetAccountPublicAccessBlock")
		var failed []string
		for _, it := range rep.Items {
			if it.Problem != "" {
				failed = append(failed, it.Title)
			}
		}
		assert.Equal(t, []string{"account-public-access-block (failed)"}, failed)
	})
	t.Run("account settings are read again on every check", func(t *testing.T) {
		k.control.set(true, true, true, true)
		rep, err := c.CheckBucket(ctx, bucket)
		require.NoError(t, err)
		assert.Equal(t, "Only authorized users of this account", rep.Verdict)
	})
}

func TestCloudMissingBucket(t *testing.T) {
	srv := newS3ErrorServer(t, map[string][2]string{"location": {"NoSuchBucket", "404"}})
	c := NewCloud(connectTo(t, srv.URL))
	c.id = &Identity{Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/Alice"}
	_, err := c.CheckBucket(context.Background(), "gone")
	require.ErrorIs(t, err, app.ErrNotFound)
	assert.Contains(t, err.Error(), "the bucket does not exist")
	_, err = c.Snapshot(context.Background(), "gone")
	require.ErrorIs(t, err, app.ErrNotFound)
}

func TestCloudScanAndSnapshot(t *testing.T) {
	c, k, _ := cloudAccount(t)
	ctx := context.Background()
	k.bucket(t, "a-public", publicReadPolicy("BUCKET"), nil)
	k.bucket(t, "b-locked", "", allFour())

	var mu sync.Mutex
	var last [2]int
	reps, err := c.ScanAccount(ctx, func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		last = [2]int{done, total}
	})
	require.NoError(t, err)
	assert.Equal(t, last[0], last[1], "progress reaches the total")
	got := map[string]string{}
	for _, r := range reps {
		if strings.HasPrefix(r.Bucket, k.prefix) {
			got[strings.TrimPrefix(r.Bucket, k.prefix)] = r.Verdict
			assert.Len(t, r.Items, 7, r.Bucket) // the five bucket reads, the account's Block Public Access, the access point list
		}
	}
	assert.Equal(t, map[string]string{"a-public": "Public", "b-locked": "Bucket and objects not public"}, got)

	items, err := c.Snapshot(ctx, k.name("b-locked"))
	require.NoError(t, err)
	require.Len(t, items, 1+len(SnapshotNames()))
	assert.Equal(t, "location of bucket "+k.name("b-locked"), items[0].Title)
	for _, it := range items {
		assert.True(t, json.Valid(it.Data), it.Title)
		assert.Equal(t, k.name("b-locked")+"-"+strings.SplitN(it.Title, " ", 2)[0]+".json", it.FileName)
	}
}

func TestCloudAccessChanges(t *testing.T) {
	c, _, trail := cloudAccount(t)
	ctx := context.Background()
	now := trailBase.Add(24 * time.Hour)
	c.Now = func() time.Time { return now }

	var progress []string
	rep, err := c.AccessChanges(ctx, app.ChangeQuery{Bucket: "customer-data", Since: now.Add(-200 * 24 * time.Hour)}, func(d, n int) {
		progress = append(progress, fmt.Sprintf("%d/%d", d, n))
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"eu-west-1", "us-east-1"}, rep.Regions, "the profile's region and IAM's; the bucket (missing here) adds none")
	assert.Equal(t, now.Add(-LookupWindow), rep.Since)
	assert.Equal(t, now, rep.Until)
	assert.Contains(t, rep.Note, "only reaches back 90 days")
	assert.Len(t, progress, 2*len(AccessChangeEvents))
	assert.Equal(t, fmt.Sprintf("%d/%d", 2*len(AccessChangeEvents), 2*len(AccessChangeEvents)), progress[len(progress)-1])

	var ids []string
	for _, ch := range rep.Changes {
		ids = append(ids, ch.ID)
	}
	assert.Equal(t, []string{"e-acl", "e-account", "e-policy-2", "e-bpa", "e-policy-1"}, ids)
	assert.Equal(t, trailBase.Add(2*time.Hour), rep.Changes[2].Time)
	assert.Equal(t, "PutBucketPolicy", rep.Changes[2].Name)
	assert.Equal(t, "203.0.113.9", rep.Changes[2].SourceIP)
	assert.Equal(t, "AccessDenied", rep.Changes[0].ErrorCode)
	assert.Contains(t, rep.Changes[2].Summary, "the new policy is public")

	require.Len(t, rep.Items, 1)
	it := rep.Items[0]
	assert.Equal(t, "LookupEvents", it.Source.API)
	assert.Contains(t, it.Title, "CloudTrail access changes of bucket customer-data, ")
	assert.Contains(t, it.Title, "(5 events)")
	var doc struct{ Records []map[string]any }
	require.NoError(t, json.Unmarshal(it.Data, &doc))
	assert.Len(t, doc.Records, 5)

	trail.mu.Lock()
	first := trail.calls[0]
	trail.mu.Unlock()
	assert.Equal(t, now.Add(-LookupWindow), first.start)

	t.Run("no start: the whole history, and no note", func(t *testing.T) {
		rep, err := c.AccessChanges(ctx, app.ChangeQuery{Regions: []string{" eu-west-1 ", "eu-west-1"}}, nil)
		require.NoError(t, err)
		assert.Empty(t, rep.Note)
		assert.Equal(t, []string{"eu-west-1"}, rep.Regions)
		assert.Len(t, rep.Changes, 6, "every bucket's changes")
	})
}

func TestConnectorRefusesExercises(t *testing.T) {
	isolate(t, "[default]\nregion = us-east-1\n", "")
	_, err := Connector(Options{})(context.Background(), app.Profile{Exercise: true})
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "never sends an exercise's calls to AWS")
}

// TestConnectorIntoService runs the app's use case over the real adapter
// and kumo, so the two halves are known to fit.
func TestConnectorIntoService(t *testing.T) {
	srv := kumoServer()
	s := connectTo(t, srv.URL)
	bucket := fmt.Sprintf("svc-%d", time.Now().UnixNano())
	_, err := s.S3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &bucket})
	require.NoError(t, err)

	db, err := store.Open(filepath.Join(t.TempDir(), "incidents.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	pb, err := app.ParsePlaybook("built-in", assets.Playbook)
	require.NoError(t, err)
	svc := app.NewService(db, pb, "alice")
	svc.SetConnector(Connector(Options{HTTPClient: loopbackClient(t)}))
	c, err := svc.Create(context.Background(), app.NewIncident{Title: "t"})
	require.NoError(t, err)
	saved, err := svc.SnapshotBucket(context.Background(), c.Incident.ID, app.Profile{}, bucket)
	require.NoError(t, err)
	require.Len(t, saved.Evidence, 1+len(SnapshotNames()))
	for _, ev := range saved.Evidence {
		content, err := db.EvidenceContent(context.Background(), ev.SHA256)
		require.NoError(t, err)
		assert.Equal(t, app.HashHex(content), ev.SHA256)
		assert.Equal(t, saved.By.ARN, ev.CollectedBy)
	}
}
