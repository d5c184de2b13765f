// Command tool is the helper of the restore benchmark (bench/restore/run.sh).
// It fills versioned buckets on the local S3 server (versitygw) with objects
// that "the attacker" then overwrites or deletes, measures the server's own
// ceiling for restoring them, and checks that every object holds its
// original bytes again.
//
//	tool seed -endpoint URL -buckets B1,B2 -n N   prints the start of the attack (RFC 3339)
//	tool ceiling -endpoint URL -bucket B -c C [-read]
//	                                 CopyObject of each key's earlier version, C at once, after
//	                                 one listing of the bucket (-read: each key's history listed
//	                                 first, as a restore that journals each object's state must)
//	tool check -endpoint URL -bucket B -n N        prints "restored=N wrong=M"
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tool seed | ceiling | check [flags]")
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "S3 endpoint")
	bucket := fs.String("bucket", "", "bucket")
	buckets := fs.String("buckets", "", "comma-separated buckets (seed)")
	n := fs.Int("n", 10000, "objects per bucket")
	c := fs.Int("c", 64, "calls in flight")
	read := fs.Bool("read", false, "list each key's history before restoring it (ceiling)")
	_ = fs.Parse(args)
	var err error
	switch cmd {
	case "seed":
		err = seed(client(*endpoint, *c), strings.Split(*buckets, ","), *n, *c)
	case "ceiling":
		err = ceiling(client(*endpoint, *c), *bucket, *c, *read)
	case "check":
		err = check(client(*endpoint, *c), *bucket, *n, *c)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tool:", err)
		os.Exit(1)
	}
}

// client is an S3 client for the local server, with the keys of the
// environment and a connection pool as large as the calls in flight.
func client(endpoint string, conc int) *s3.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost, tr.MaxIdleConns = conc, conc
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: &endpoint, UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
		HTTPClient:                 &http.Client{Transport: tr},
		RequestChecksumCalculation: sdkaws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: sdkaws.ResponseChecksumValidationWhenRequired,
	})
}

// each runs fn on every index with conc at once and returns the first error.
func each(n, conc int, fn func(int) error) error {
	var wg sync.WaitGroup
	var first atomic.Value
	ch := make(chan int)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				if err := fn(i); err != nil {
					first.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	for i := range n {
		ch <- i
	}
	close(ch)
	wg.Wait()
	if err, ok := first.Load().(error); ok {
		return err
	}
	return nil
}

func key(i int) string { return fmt.Sprintf("ledger/%06d.csv", i) }

// content is an object's original bytes.
func content(i int) []byte { return []byte(fmt.Sprintf("id,amount\n%d,%d\n", i, i*37%1000)) }

// seed makes each bucket versioned with n objects, waits, then overwrites
// the even ones and deletes the odd ones, and prints the time the attack
// began.
func seed(c *s3.Client, buckets []string, n, conc int) error {
	ctx := context.Background()
	for _, b := range buckets {
		if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b}); err != nil {
			return err
		}
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &b,
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
			return err
		}
		if err := each(n, conc, func(i int) error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: sdkaws.String(key(i)), Body: bytes.NewReader(content(i))})
			return err
		}); err != nil {
			return err
		}
	}
	time.Sleep(1100 * time.Millisecond)
	since := time.Now().UTC().Truncate(time.Second)
	time.Sleep(1100 * time.Millisecond)
	for _, b := range buckets {
		if err := each(n, conc, func(i int) error {
			var err error
			if i%2 == 0 {
				_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: sdkaws.String(key(i)), Body: strings.NewReader("encrypted by the attacker")})
			} else {
				_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &b, Key: sdkaws.String(key(i))})
			}
			return err
		}); err != nil {
			return err
		}
	}
	fmt.Println(since.Format(time.RFC3339))
	return nil
}

// earlier lists, for every key of the bucket, its one version that is
// not the latest: the original the attacker replaced or hid.
func earlier(ctx context.Context, c *s3.Client, bucket string) (map[string]string, error) {
	out := map[string]string{}
	p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, v := range page.Versions {
			if !sdkaws.ToBool(v.IsLatest) {
				out[sdkaws.ToString(v.Key)] = sdkaws.ToString(v.VersionId)
			}
		}
	}
	return out, nil
}

func escape(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), "%2F", "/")
}

// ceiling restores every key as fast as the server takes it: one listing
// of the bucket, then one CopyObject per key (after a per-key listing
// with read), nothing recorded.
func ceiling(c *s3.Client, bucket string, conc int, read bool) error {
	ctx := context.Background()
	start := time.Now()
	targets, err := earlier(ctx, c, bucket)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(targets))
	for k := range targets {
		keys = append(keys, k)
	}
	err = each(len(keys), conc, func(i int) error {
		k := keys[i]
		if read {
			if _, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: &k, MaxKeys: sdkaws.Int32(100)}); err != nil {
				return err
			}
		}
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: &k, CopySource: sdkaws.String(escape(bucket) + "/" + escape(k) + "?versionId=" + targets[k])})
		return err
	})
	el := time.Since(start)
	fmt.Printf("objects=%d seconds=%.3f perSecond=%.0f\n", len(keys), el.Seconds(), float64(len(keys))/el.Seconds())
	return err
}

// check reads every object and compares it with its original bytes.
func check(c *s3.Client, bucket string, n, conc int) error {
	ctx := context.Background()
	var restored, wrong atomic.Int64
	err := each(n, conc, func(i int) error {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: sdkaws.String(key(i))})
		if err != nil {
			wrong.Add(1)
			return nil
		}
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		if err != nil {
			return err
		}
		if bytes.Equal(b, content(i)) {
			restored.Add(1)
		} else {
			wrong.Add(1)
		}
		return nil
	})
	fmt.Printf("restored=%d wrong=%d\n", restored.Load(), wrong.Load())
	return err
}
