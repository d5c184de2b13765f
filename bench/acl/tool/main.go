// Command tool is the helper of the object ACL benchmark (bench/acl/run.sh).
// It runs the local S3 server (kumo, in this process), fills buckets with
// objects whose ACLs grant READ to AllUsers, measures the server's own
// ceiling for PutObjectAcl, and counts objects whose ACL is owner-only.
//
//	tool serve                       prints the endpoint, serves until stdin closes
//	tool seed -endpoint URL -bucket B -n N
//	tool ceiling -endpoint URL -bucket B -c C [-read]
//	                                 PutObjectAcl on every object, C at once
//	                                 (-read: GetObjectAcl first, as a reset that saves ACLs must)
//	tool check -endpoint URL -bucket B          prints "private=N public=M"
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/sivchari/kumo"
)

const allUsers = "http://acs.amazonaws.com/groups/global/AllUsers"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tool serve | seed | ceiling | check [flags]")
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	endpoint := fs.String("endpoint", "", "S3 endpoint")
	bucket := fs.String("bucket", "", "bucket")
	n := fs.Int("n", 10000, "objects to create (seed)")
	c := fs.Int("c", 64, "calls in flight")
	read := fs.Bool("read", false, "read each ACL before setting it (ceiling)")
	_ = fs.Parse(args)
	var err error
	switch cmd {
	case "serve":
		err = serve()
	case "seed":
		err = seed(client(*endpoint, *c), *bucket, *n, *c)
	case "ceiling":
		err = ceiling(client(*endpoint, *c), *bucket, *c, *read)
	case "check":
		err = check(client(*endpoint, *c), *bucket, *c)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tool:", err)
		os.Exit(1)
	}
}

// serve runs kumo until stdin reaches its end (the script closes it).
func serve() error {
	srv := kumo.NewServer()
	defer srv.Close()
	fmt.Println(srv.URL)
	_, err := io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	return err
}

// client is an S3 client for the emulator with a connection pool as large
// as the calls in flight.
func client(endpoint string, conc int) *s3.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost, tr.MaxIdleConns = conc, conc
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: &endpoint, UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider("AKIAEXAMPLEKEY000001", "fakesecretfakesecretfakesecret", ""),
		HTTPClient:                 &http.Client{Transport: tr},
		RequestChecksumCalculation: sdkaws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: sdkaws.ResponseChecksumValidationWhenRequired,
	})
}

// each runs fn on every key with conc at once and returns the first error.
func each(keys []string, conc int, fn func(string) error) error {
	var wg sync.WaitGroup
	var first atomic.Value
	ch := make(chan string)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range ch {
				if err := fn(k); err != nil {
					first.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	for _, k := range keys {
		ch <- k
	}
	close(ch)
	wg.Wait()
	if err, ok := first.Load().(error); ok {
		return err
	}
	return nil
}

func owner(ctx context.Context, c *s3.Client, bucket string) (string, error) {
	out, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &bucket})
	if err != nil {
		return "", err
	}
	return sdkaws.ToString(out.Owner.ID), nil
}

func seed(c *s3.Client, bucket string, n, conc int) error {
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		return err
	}
	own, err := owner(ctx, c, bucket)
	if err != nil {
		return err
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("exports/%06d.csv", i)
	}
	return each(keys, conc, func(k string) error {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &k, Body: strings.NewReader("id,name\n1,x\n")}); err != nil {
			return err
		}
		_, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: &k, AccessControlPolicy: &s3types.AccessControlPolicy{
			Owner: &s3types.Owner{ID: &own},
			Grants: []s3types.Grant{
				{Grantee: &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: &own}, Permission: s3types.PermissionFullControl},
				{Grantee: &s3types.Grantee{Type: s3types.TypeGroup, URI: sdkaws.String(allUsers)}, Permission: s3types.PermissionRead},
			}}})
		return err
	})
}

func list(ctx context.Context, c *s3.Client, bucket string) ([]string, error) {
	var keys []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range out.Contents {
			keys = append(keys, sdkaws.ToString(o.Key))
		}
	}
	return keys, nil
}

// ceiling sets every object's ACL to owner-only as fast as the server
// takes it: one PutObjectAcl per object (after a GetObjectAcl with read),
// nothing recorded.
func ceiling(c *s3.Client, bucket string, conc int, read bool) error {
	ctx := context.Background()
	own, err := owner(ctx, c, bucket)
	if err != nil {
		return err
	}
	keys, err := list(ctx, c, bucket)
	if err != nil {
		return err
	}
	start := time.Now()
	err = each(keys, conc, func(k string) error {
		if read {
			if _, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &bucket, Key: &k}); err != nil {
				return err
			}
		}
		_, err := c.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &bucket, Key: &k, AccessControlPolicy: &s3types.AccessControlPolicy{
			Owner:  &s3types.Owner{ID: &own},
			Grants: []s3types.Grant{{Grantee: &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: &own}, Permission: s3types.PermissionFullControl}}}})
		return err
	})
	el := time.Since(start)
	fmt.Printf("objects=%d seconds=%.3f perSecond=%.0f\n", len(keys), el.Seconds(), float64(len(keys))/el.Seconds())
	return err
}

func check(c *s3.Client, bucket string, conc int) error {
	ctx := context.Background()
	keys, err := list(ctx, c, bucket)
	if err != nil {
		return err
	}
	var private, public atomic.Int64
	err = each(keys, conc, func(k string) error {
		out, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &bucket, Key: &k})
		if err != nil {
			return err
		}
		if len(out.Grants) == 1 && out.Grants[0].Permission == s3types.PermissionFullControl {
			private.Add(1)
		} else {
			public.Add(1)
		}
		return nil
	})
	fmt.Printf("private=%d public=%d\n", private.Load(), public.Load())
	return err
}
