package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"s3responder/app"
)

// DataAPI is the S3 calls of the search for data.
type DataAPI interface {
	s3.ListBucketsAPIClient
	s3.ListObjectsV2APIClient
	GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, optFns ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, optFns ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
}

var _ DataAPI = (*s3.Client)(nil)

// DataSearch looks for objects under a key across buckets, a few buckets
// at a time.
type DataSearch struct {
	API     DataAPI
	Account string
	// Region is the session's, used for buckets whose region is unknown.
	Region  string
	Profile string
	// Concurrency bounds the buckets searched at once (0: 4).
	Concurrency int
	Now         func() time.Time
}

func (ds *DataSearch) now() time.Time {
	if ds.Now != nil {
		return ds.Now().UTC()
	}
	return time.Now().UTC()
}

// bucketSearch is one bucket's result and the responses it rests on.
type bucketSearch struct {
	app.BucketData
	Responses []searchResponse `json:"responses"`
}

type searchResponse struct {
	API         string            `json:"api"`
	Params      map[string]string `json:"params"`
	CollectedAt time.Time         `json:"collectedAt"`
	Response    json.RawMessage   `json:"response"`
}

// Find searches every bucket of q (or of the account) for objects under
// q.Key, listing at most q.MaxKeys keys per bucket, and reads each
// bucket's tags. A bucket that cannot be read is reported on its result;
// the error is for a failed listing of buckets or cancellation, with the
// buckets finished so far.
func (ds *DataSearch) Find(ctx context.Context, q app.DataQuery, progress app.Progress) (app.DataReport, []bucketSearch, error) {
	if q.MaxKeys <= 0 {
		q.MaxKeys = app.DefaultDataMaxKeys
	}
	type ref struct{ name, region string }
	var refs []ref
	if len(q.Buckets) > 0 {
		for _, b := range q.Buckets {
			refs = append(refs, ref{name: b})
		}
	} else {
		pages := s3.NewListBucketsPaginator(ds.API, &s3.ListBucketsInput{MaxBuckets: sdkaws.Int32(1000)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return app.DataReport{Key: q.Key, MaxKeys: q.MaxKeys}, nil, fmt.Errorf("list buckets: %w", Explain(err, ds.Profile))
			}
			for _, b := range page.Buckets {
				refs = append(refs, ref{sdkaws.ToString(b.Name), sdkaws.ToString(b.BucketRegion)})
			}
		}
	}
	n := ds.Concurrency
	if n <= 0 {
		n = 4
	}
	results := make([]bucketSearch, len(refs))
	finished := make([]bool, len(refs))
	var mu sync.Mutex
	done := 0
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, r := range refs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int, r ref) {
			defer wg.Done()
			defer func() { <-sem }()
			bs, ok := ds.search(ctx, r.name, r.region, q)
			if !ok {
				return // cancelled
			}
			mu.Lock()
			defer mu.Unlock()
			results[i], finished[i] = bs, true
			done++
			if progress != nil {
				progress(done, len(refs))
			}
		}(i, r)
	}
	wg.Wait()
	rep := app.DataReport{Key: q.Key, MaxKeys: q.MaxKeys, Total: len(refs), Buckets: []app.BucketData{}}
	var kept []bucketSearch
	for i, ok := range finished {
		if ok {
			kept = append(kept, results[i])
		}
	}
	// Buckets holding data first, each group in listing order.
	slices.SortStableFunc(kept, func(a, b bucketSearch) int {
		switch {
		case a.Found() == b.Found():
			return 0
		case a.Found():
			return -1
		}
		return 1
	})
	for _, bs := range kept {
		rep.Buckets = append(rep.Buckets, bs.BucketData)
	}
	if err := ctx.Err(); err != nil {
		return rep, kept, fmt.Errorf("search buckets (%d of %d done): %w", len(kept), len(refs), Explain(err, ds.Profile))
	}
	return rep, kept, nil
}

// search lists one bucket's keys under the prefix, up to the cap, and
// reads its tags; ok is false when ctx ended first.
func (ds *DataSearch) search(ctx context.Context, bucket, region string, q app.DataQuery) (bucketSearch, bool) {
	bs := bucketSearch{BucketData: app.BucketData{Bucket: bucket, Region: region}}
	if bs.Region == "" {
		r, err := locate(ctx, ds.API, bucket, ds.Region)
		if ctx.Err() != nil {
			return bs, false
		}
		bs.Region = r
		if err != nil {
			bs.Problems = append(bs.Problems, "region unknown: "+Explain(err, ds.Profile).Error())
			if errors.Is(Explain(err, ds.Profile), app.ErrNotFound) {
				return bs, true
			}
		}
	}
	opt := forRegion(bs.Region)
	var pagesRaw []json.RawMessage
	var token *string
	for {
		if len(bs.Keys) >= q.MaxKeys {
			// The cap is reached and S3 has more: say so, list no further.
			bs.Truncated = true
			break
		}
		in := &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &q.Key, ContinuationToken: token,
			MaxKeys: sdkaws.Int32(int32(min(q.MaxKeys-len(bs.Keys), 1000)))}
		page, err := ds.API.ListObjectsV2(ctx, in, opt)
		if err != nil {
			if ctx.Err() != nil {
				return bs, false
			}
			msg := Explain(err, ds.Profile).Error()
			bs.Problems = append(bs.Problems, "could not list the objects: "+msg)
			pagesRaw = append(pagesRaw, errorJSON(StatusFailed, errorCode(err), msg))
			break
		}
		pagesRaw = append(pagesRaw, rawJSON(page))
		for _, o := range page.Contents {
			hit := app.ObjectHit{Key: sdkaws.ToString(o.Key), Size: sdkaws.ToInt64(o.Size), LastModified: sdkaws.ToTime(o.LastModified).UTC(), StorageClass: string(o.StorageClass)}
			bs.Keys = append(bs.Keys, hit)
			// Keys come in UTF-8 order, so the exact key, being the
			// shortest with its prefix, is never beyond the cap.
			if hit.Key == q.Key {
				bs.Exact = true
			}
		}
		if !sdkaws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
			break
		}
		token = page.NextContinuationToken
	}
	list := searchResponse{API: "ListObjectsV2", Params: map[string]string{"Bucket": bucket, "Prefix": q.Key, "MaxKeysPerBucket": fmt.Sprint(q.MaxKeys)}, CollectedAt: ds.now()}
	list.Response, _ = json.Marshal(map[string]any{"pages": pagesRaw})
	bs.Responses = append(bs.Responses, list)

	tags := searchResponse{API: "GetBucketTagging", Params: map[string]string{"Bucket": bucket}, CollectedAt: ds.now()}
	out, err := ds.API.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: &bucket}, opt)
	switch {
	case err == nil:
		tags.Response = rawJSON(out)
		bs.Tags = map[string]string{}
		for _, t := range out.TagSet {
			bs.Tags[sdkaws.ToString(t.Key)] = sdkaws.ToString(t.Value)
		}
		bs.Application, bs.AppTag = app.ApplicationOf(bs.Tags)
	case ctx.Err() != nil:
		return bs, false
	case notConfigured[errorCode(err)]:
		tags.Response = errorJSON(StatusNotConfigured, errorCode(err), "the bucket has no tags")
	default:
		msg := Explain(err, ds.Profile).Error()
		tags.Response = errorJSON(StatusFailed, errorCode(err), msg)
		bs.Problems = append(bs.Problems, "could not read the tags: "+msg)
	}
	bs.Responses = append(bs.Responses, tags)
	return bs, true
}

// locate is BucketRegion for a client that may only locate buckets.
func locate(ctx context.Context, api DataAPI, bucket, fallback string) (string, error) {
	out, err := api.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: &bucket})
	if err != nil {
		return fallback, err
	}
	switch loc := string(out.LocationConstraint); loc {
	case "":
		return "us-east-1", nil
	case "EU":
		return "eu-west-1", nil
	default:
		return loc, nil
	}
}

// FindData searches the account's buckets for objects under a key
// (app.DataFinder); the whole search, with every response, is one
// evidence item.
func (c *Cloud) FindData(ctx context.Context, q app.DataQuery, progress app.Progress) (app.DataReport, error) {
	id, err := c.identity(ctx)
	if err != nil {
		return app.DataReport{}, err
	}
	ds := &DataSearch{API: c.API.S3, Account: id.Account, Region: c.Region, Profile: c.Profile, Concurrency: c.Concurrency, Now: c.Now}
	rep, kept, findErr := ds.Find(ctx, q, progress)
	if len(kept) == 0 && findErr != nil {
		return rep, findErr
	}
	data, _ := json.MarshalIndent(map[string]any{ // plain values always marshal
		"key": rep.Key, "maxKeysPerBucket": rep.MaxKeys, "account": id.Account, "collectedBy": id.ARN,
		"complete": findErr == nil, "bucketsToSearch": rep.Total, "buckets": kept,
	}, "", "  ")
	title := fmt.Sprintf("Search for objects under %q in %d buckets (at most %d keys per bucket)", rep.Key, len(kept), rep.MaxKeys)
	if findErr != nil {
		title += " (interrupted)"
	}
	rep.Items = []app.Collected{{
		Title: title, Kind: app.EvidenceAWSResponse, MediaType: "application/json", FileName: "data-search.json",
		CollectedAt: c.now(), Data: data,
		Source: source(id.Account, c.Region, "ListBuckets, then per bucket ListObjectsV2 (Prefix) and GetBucketTagging",
			map[string]string{"Prefix": rep.Key, "MaxKeysPerBucket": fmt.Sprint(rep.MaxKeys)}),
	}}
	return rep, findErr
}

var _ app.DataFinder = (*Cloud)(nil)
