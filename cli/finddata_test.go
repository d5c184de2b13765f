package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func (e *awsEnv) objects(bucket string, keys ...string) {
	e.t.Helper()
	for _, k := range keys {
		_, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: sdkaws.String(k), Body: strings.NewReader("x")})
		require.NoError(e.t, err)
	}
}

func (e *awsEnv) tags(bucket string, kv ...string) {
	e.t.Helper()
	var set []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		set = append(set, types.Tag{Key: sdkaws.String(kv[i]), Value: sdkaws.String(kv[i+1])})
	}
	_, err := e.s3.PutBucketTagging(context.Background(), &s3.PutBucketTaggingInput{Bucket: &bucket, Tagging: &types.Tagging{TagSet: set}})
	require.NoError(e.t, err)
}

func TestFindDataCommand(t *testing.T) {
	e := newAWSEnv(t, defaultConfig)
	billing, crm, empty := e.bucket("billing", ""), e.bucket("crm", ""), e.bucket("empty", "")
	e.objects(billing, "exports/customers.csv", "exports/customers.csv.1")
	e.objects(crm, "exports/a", "exports/b", "exports/c")
	e.tags(billing, "application", "billing", "owner", "team-x")
	e.tags(crm, "Team", "sales")
	id := e.newIncident()

	code, out, errOut := e.call(runFindData, "", id, "exports/", "--bucket", billing, "--bucket", crm+","+empty, "--max-keys", "2")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, `Searched 3 buckets for objects whose key starts with "exports/" (at most 2 keys listed per bucket): found in `+billing+` (application billing (tag application); 2 keys), `+crm+` (no application tag; tags: Team=sales; more than 2 keys (the cap)).`)
	assert.Contains(t, out, "\n"+billing+" (us-east-1): application billing (tag application)\n  tags: application=billing, owner=team-x\n")
	assert.Contains(t, out, "exports/customers.csv.1\n")
	assert.Contains(t, out, "  the bucket has more keys under this prefix than the cap of 2\n")
	assert.Contains(t, out, "Not found in:\n  "+empty+" (us-east-1): no tags\n")
	assert.Contains(t, errOut, "buckets searched: 3 of 3")

	evs, contents := e.stored(id)
	require.Len(t, evs, 1)
	assert.True(t, strings.HasPrefix(evs[0].Title, `Search for objects under "exports/" in 3 buckets (at most 2 keys per bucket)`), evs[0].Title)
	assert.Contains(t, string(contents[evs[0].ID]), `"GetBucketTagging"`)

	t.Run("every bucket, as JSON", func(t *testing.T) {
		code, out, errOut := e.call(runFindData, "", id, "exports/customers.csv", "--json")
		require.Equal(t, exitOK, code, errOut)
		var got struct {
			MaxKeys int `json:"maxKeysPerBucket"`
			Buckets []struct {
				Bucket      string `json:"bucket"`
				Application string `json:"application"`
				Exact       bool   `json:"exact"`
				Keys        []struct{ Key string }
			} `json:"buckets"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &got))
		assert.Equal(t, 1000, got.MaxKeys)
		require.NotEmpty(t, got.Buckets)
		assert.Equal(t, billing, got.Buckets[0].Bucket, "the bucket holding the data comes first")
		assert.True(t, got.Buckets[0].Exact)
		assert.Equal(t, "billing", got.Buckets[0].Application)
		names := map[string]bool{}
		for _, b := range got.Buckets {
			names[b.Bucket] = true
		}
		assert.True(t, names[crm] && names[empty], "every bucket of the account was searched")
	})
	t.Run("usage", func(t *testing.T) {
		code, _, errOut := e.call(runFindData, "", id, "x", "--max-keys", "0")
		assert.Equal(t, exitUsage, code)
		assert.Contains(t, errOut, "--max-keys must be a positive number")
		code, _, _ = e.call(runFindData, "", id)
		assert.Equal(t, exitUsage, code)
	})
}
