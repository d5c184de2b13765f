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

	"s3responder/app"
)

// countingS3 wraps the real client to measure how many listings run at
// once and, when gate is set, to hold each listing until it is closed or
// the call is cancelled.
type countingS3 struct {
	DataAPI
	inFlight, most atomic.Int64
	lists          atomic.Int64
	gate           chan struct{}
}

func (c *countingS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for {
		m := c.most.Load()
		if n <= m || c.most.CompareAndSwap(m, n) {
			break
		}
	}
	c.lists.Add(1)
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	} else {
		time.Sleep(5 * time.Millisecond) // let the workers overlap
	}
	return c.DataAPI.ListObjectsV2(ctx, in, opts...)
}

func (k kumoAccount) put(t *testing.T, bucket string, keys ...string) {
	t.Helper()
	for _, key := range keys {
		_, err := k.s.S3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: sdkaws.String(key), Body: strings.NewReader("data of " + key)})
		require.NoError(t, err)
	}
}

func (k kumoAccount) tag(t *testing.T, bucket string, kv ...string) {
	t.Helper()
	var set []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		set = append(set, types.Tag{Key: sdkaws.String(kv[i]), Value: sdkaws.String(kv[i+1])})
	}
	_, err := k.s.S3.PutBucketTagging(context.Background(), &s3.PutBucketTaggingInput{Bucket: &bucket, Tagging: &types.Tagging{TagSet: set}})
	require.NoError(t, err)
}

func TestFindDataOnKumo(t *testing.T) {
	k := newKumoAccount(t)
	for _, b := range []string{"billing", "crm", "empty", "other"} {
		k.bucket(t, b, "", nil)
	}
	billing, crm, empty, other := k.name("billing"), k.name("crm"), k.name("empty"), k.name("other")
	k.put(t, billing, "exports/2026-03/customers.csv", "exports/2026-03/customers.csv.bak", "exports/2026-02/old.csv")
	k.put(t, crm, "exports/2026-03/a.csv", "exports/2026-03/b.csv", "exports/2026-03/c.csv", "exports/2026-03/d.csv", "exports/2026-03/e.csv")
	k.put(t, other, "logs/x")
	k.tag(t, billing, "Application", "billing", "owner", "team-x")
	k.tag(t, crm, "app", "crm")
	k.tag(t, other, "cost-centre", "42")

	api := &countingS3{DataAPI: k.s.S3}
	ds := &DataSearch{API: api, Account: k.id.Account, Region: "us-east-1", Concurrency: 2, Now: func() time.Time { return fixedNow }}
	var mu sync.Mutex
	var dones []int
	rep, kept, err := ds.Find(context.Background(), app.DataQuery{Key: "exports/2026-03/", MaxKeys: 3}, func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		dones = append(dones, done)
	})
	require.NoError(t, err)
	assert.Equal(t, rep.Total, len(rep.Buckets), "every bucket of the account searched")
	assert.Len(t, dones, rep.Total)
	assert.LessOrEqual(t, api.most.Load(), int64(2), "at most Concurrency listings at once")
	assert.Equal(t, 3, rep.MaxKeys)

	mine := map[string]app.BucketData{}
	for _, b := range rep.Buckets {
		if strings.HasPrefix(b.Bucket, k.prefix) {
			mine[b.Bucket] = b
		}
	}
	require.Len(t, mine, 4)
	assert.Equal(t, []string{"exports/2026-03/customers.csv", "exports/2026-03/customers.csv.bak"}, hitKeys(mine[billing]))
	assert.False(t, mine[billing].Truncated)
	assert.Equal(t, "billing", mine[billing].Application)
	assert.Equal(t, "Application", mine[billing].AppTag)
	assert.Equal(t, map[string]string{"Application": "billing", "owner": "team-x"}, mine[billing].Tags)
	assert.Equal(t, int64(len("data of exports/2026-03/customers.csv")), mine[billing].Keys[0].Size)

	assert.Equal(t, []string{"exports/2026-03/a.csv", "exports/2026-03/b.csv", "exports/2026-03/c.csv"}, hitKeys(mine[crm]), "the cap holds")
	assert.True(t, mine[crm].Truncated, "and says there is more")
	assert.Equal(t, "crm", mine[crm].Application)
	assert.Equal(t, "application crm (tag app)", mine[crm].Owner())

	assert.False(t, mine[empty].Found())
	assert.Equal(t, "no tags", mine[empty].Owner())
	assert.Empty(t, mine[empty].Problems, "no tags is not a problem")
	assert.Equal(t, "no application tag; tags: cost-centre=42", mine[other].Owner())
	for _, b := range mine {
		assert.Equal(t, "us-east-1", b.Region)
	}
	// Buckets holding data come first.
	found := true
	for _, b := range rep.Buckets {
		if !b.Found() {
			found = false
		}
		assert.True(t, found || !b.Found(), "bucket %s with data after one without", b.Bucket)
	}
	for _, bs := range kept {
		if bs.Bucket == crm {
			require.Len(t, bs.Responses, 2)
			assert.Equal(t, "ListObjectsV2", bs.Responses[0].API)
			assert.Contains(t, string(bs.Responses[0].Response), `"MaxKeys":3`, "the first page asked for no more than the cap")
			assert.Contains(t, string(bs.Responses[1].Response), `"crm"`)
		}
	}

	t.Run("an exact key, in named buckets, through the Cloud", func(t *testing.T) {
		c := NewCloud(k.s)
		c.Now = func() time.Time { return fixedNow }
		rep, err := c.FindData(context.Background(), app.DataQuery{Key: "exports/2026-03/customers.csv", Buckets: []string{billing, crm}, MaxKeys: 10}, nil)
		require.NoError(t, err)
		assert.Equal(t, 2, rep.Total)
		require.Len(t, rep.Matches(), 1)
		m := rep.Matches()[0]
		assert.Equal(t, billing, m.Bucket)
		assert.True(t, m.Exact)
		assert.Len(t, m.Keys, 2, "the key itself and the one it starts")
		assert.Equal(t, fmt.Sprintf(`Searched 2 buckets for objects whose key starts with "exports/2026-03/customers.csv" (at most 10 keys listed per bucket): found in %s (application billing (tag Application); 2 keys; the exact key).`, billing), rep.Summary())

		require.Len(t, rep.Items, 1)
		it := rep.Items[0]
		assert.Equal(t, fixedNow, it.CollectedAt)
		assert.Equal(t, "exports/2026-03/customers.csv", it.Source.Params["Prefix"])
		var doc struct {
			Complete bool `json:"complete"`
			Buckets  []struct {
				Bucket    string `json:"bucket"`
				Responses []struct {
					API      string          `json:"api"`
					Response json.RawMessage `json:"response"`
				} `json:"responses"`
			} `json:"buckets"`
		}
		require.NoError(t, json.Unmarshal(it.Data, &doc))
		assert.True(t, doc.Complete)
		require.Len(t, doc.Buckets, 2)
		assert.Equal(t, billing, doc.Buckets[0].Bucket)
		assert.Contains(t, string(doc.Buckets[0].Responses[0].Response), "customers.csv.bak", "S3's own listing is kept")
	})
	t.Run("cancel stops the search and keeps what was done", func(t *testing.T) {
		gated := &countingS3{DataAPI: k.s.S3, gate: make(chan struct{})}
		ds := &DataSearch{API: gated, Region: "us-east-1", Concurrency: 1}
		ctx, cancel := context.WithCancel(context.Background())
		var once sync.Once
		go func() {
			for gated.lists.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
			once.Do(cancel)
		}()
		rep, _, err := ds.Find(ctx, app.DataQuery{Key: "exports/", Buckets: []string{billing, crm, empty}}, nil)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindCanceled, e.Kind)
		assert.Contains(t, err.Error(), "of 3 done")
		assert.Equal(t, 3, rep.Total)
		assert.Less(t, len(rep.Buckets), 3)
		assert.Equal(t, int64(1), gated.lists.Load(), "nothing more was listed after the cancel")
	})
	t.Run("a bucket that does not exist is reported on itself", func(t *testing.T) {
		srv := newS3ErrorServer(t, map[string][2]string{"location": {"NoSuchBucket", "404"}})
		s := connectTo(t, srv.URL)
		ds := &DataSearch{API: s.S3, Region: "us-east-1"}
		rep, _, err := ds.Find(context.Background(), app.DataQuery{Key: "x", Buckets: []string{"gone"}}, nil)
		require.NoError(t, err)
		require.Len(t, rep.Buckets, 1)
		require.Len(t, rep.Buckets[0].Problems, 1)
		assert.Contains(t, rep.Buckets[0].Problems[0], "the bucket does not exist")
		assert.Contains(t, rep.Summary(), "found in none. 1 bucket could not be fully read.")
	})
}

func hitKeys(b app.BucketData) []string {
	var out []string
	for _, h := range b.Keys {
		out = append(out, h.Key)
	}
	return out
}
