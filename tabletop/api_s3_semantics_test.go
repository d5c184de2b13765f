package tabletop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	ctltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/aws"
)

// The simulated S3 answers as S3 does, refusals included: these tests
// call it as the SDK's client would be called.

func recoveryDrill(t *testing.T) *simAccount {
	t.Helper()
	data, err := os.ReadFile("testdata/recovery.yaml")
	require.NoError(t, err)
	sc, err := ParseScenario("recovery.yaml", data)
	require.NoError(t, err)
	// The scenario's story ends in late November 2026.
	return openSim(t, sc, time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC))
}

// status is the HTTP status of a refusal.
func apiStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

const ledgers = "acme-ledgers"

func TestAnArchivedObjectIsReadOnlyOnceItsRestoreIsDoneAndUntilItExpires(t *testing.T) {
	a := recoveryDrill(t)
	ctx := context.Background()
	get := func(key string) error {
		_, err := a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: sdkaws.String(ledgers), Key: &key})
		return err
	}
	restore := func(key, tier string, days int32) error {
		_, err := a.s3.RestoreObject(ctx, &s3.RestoreObjectInput{Bucket: sdkaws.String(ledgers), Key: &key,
			RestoreRequest: &s3types.RestoreRequest{Days: sdkaws.Int32(days), GlacierJobParameters: &s3types.GlacierJobParameters{Tier: s3types.Tier(tier)}}})
		return err
	}
	// The scenario's restore of 2019 was asked long ago: done, readable.
	h, err := a.head(t, ledgers, "ledgers/2019.csv")
	require.NoError(t, err)
	assert.Equal(t, s3types.StorageClassGlacier, h.StorageClass)
	require.NoError(t, get("ledgers/2019.csv"))

	// Deep Archive: refused until restored; no Expedited tier.
	err = get("ledgers/2018.csv")
	assert.Equal(t, "InvalidObjectState", apiCode(err))
	assert.Equal(t, http.StatusForbidden, apiStatus(err))
	h, err = a.head(t, ledgers, "ledgers/2018.csv")
	require.NoError(t, err)
	assert.Nil(t, h.Restore)
	assert.Equal(t, "InvalidArgument", apiCode(restore("ledgers/2018.csv", "Expedited", 2)))
	require.NoError(t, restore("ledgers/2018.csv", "Standard", 2))
	h, err = a.head(t, ledgers, "ledgers/2018.csv")
	require.NoError(t, err)
	assert.Equal(t, `ongoing-request="true"`, sdkaws.ToString(h.Restore))
	err = restore("ledgers/2018.csv", "Bulk", 2)
	assert.Equal(t, "RestoreAlreadyInProgress", apiCode(err), "a slower tier does not replace a restore under way")
	assert.Equal(t, http.StatusConflict, apiStatus(err))
	assert.Equal(t, "InvalidObjectState", apiCode(get("ledgers/2018.csv")))

	a.clk.add(11 * time.Hour)
	assert.Equal(t, "InvalidObjectState", apiCode(get("ledgers/2018.csv")), "Deep Archive Standard takes 12 hours")
	a.clk.add(time.Hour)
	require.NoError(t, get("ledgers/2018.csv"))
	h, err = a.head(t, ledgers, "ledgers/2018.csv")
	require.NoError(t, err)
	done := a.clk.now()
	expiry := done.Add(48 * time.Hour).Truncate(24 * time.Hour).Add(24 * time.Hour)
	assert.Equal(t, `ongoing-request="false", expiry-date="`+expiry.Format(http.TimeFormat)+`"`, sdkaws.ToString(h.Restore))
	a.clk.add(expiry.Sub(done))
	assert.Equal(t, "InvalidObjectState", apiCode(get("ledgers/2018.csv")), "the restored copy expired")

	// A Bulk restore of Glacier sped up to Expedited while it runs.
	a.clk.add(time.Hour)
	require.NoError(t, restore("ledgers/2026-archive.csv", "Bulk", 1))
	h, err = a.head(t, ledgers, "ledgers/2026-archive.csv")
	require.NoError(t, err)
	assert.Equal(t, `ongoing-request="true"`, sdkaws.ToString(h.Restore))
	require.NoError(t, restore("ledgers/2026-archive.csv", "Expedited", 1))
	a.clk.add(5 * time.Minute)
	require.NoError(t, get("ledgers/2026-archive.csv"), "done at the Expedited tier's time")

	// A listing that asks for it tells each archived object's restore.
	list, err := a.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: sdkaws.String(ledgers), Prefix: sdkaws.String("ledgers/"),
		OptionalObjectAttributes: []s3types.OptionalObjectAttributes{s3types.OptionalObjectAttributesRestoreStatus}})
	require.NoError(t, err)
	restores := map[string]string{}
	for _, o := range list.Contents {
		if r := o.RestoreStatus; r != nil {
			restores[sdkaws.ToString(o.Key)] = fmt.Sprint(sdkaws.ToBool(r.IsRestoreInProgress), " ", r.RestoreExpiryDate != nil)
		}
	}
	assert.Equal(t, map[string]string{"ledgers/2019.csv": "false true", "ledgers/2026-archive.csv": "false true"}, restores,
		"2018's restored copy expired; 2020 and 2026 are not archived")

	// Glacier Instant Retrieval is read directly; restoring it is refused.
	require.NoError(t, get("ledgers/2020.csv"))
	err = restore("ledgers/2020.csv", "Standard", 1)
	assert.Equal(t, "ObjectAlreadyInActiveTierError", apiCode(err))
	assert.Equal(t, http.StatusForbidden, apiStatus(err))

	// A copy needs the bytes: an archived source is refused.
	_, err = a.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: sdkaws.String(ledgers), Key: sdkaws.String("copy.csv"), CopySource: sdkaws.String(ledgers + "/ledgers/2018.csv")})
	assert.Equal(t, "ObjectNotInActiveTierError", apiCode(err))
}

func TestVersionsCopiesDeletesAndLocksBehaveAsS3s(t *testing.T) {
	a := recoveryDrill(t)
	ctx := context.Background()
	const key = "ledgers/2026.csv"
	versions := func(bucket string) *s3.ListObjectVersionsOutput {
		out, err := a.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: sdkaws.String(key)})
		require.NoError(t, err)
		return out
	}
	v := versions(ledgers)
	require.Len(t, v.Versions, 2)
	assert.True(t, sdkaws.ToBool(v.Versions[0].IsLatest))
	assert.Equal(t, `"`+bodyETag("date,amount\n2026-11-01,100\n")+`"`, sdkaws.ToString(v.Versions[0].ETag))
	older := sdkaws.ToString(v.Versions[1].VersionId)

	// Copying the older version over the current one makes a third
	// version with its bytes, replicated to the replica.
	out, err := a.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: sdkaws.String(ledgers), Key: sdkaws.String(key),
		CopySource: sdkaws.String(ledgers + "/" + strings.ReplaceAll(key, "/", "%2F") + "?versionId=" + older)})
	require.NoError(t, err)
	assert.Equal(t, older, sdkaws.ToString(out.CopySourceVersionId))
	g, err := a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: sdkaws.String(ledgers), Key: sdkaws.String(key)})
	require.NoError(t, err)
	body, _ := io.ReadAll(g.Body)
	assert.Equal(t, "date,amount\n", string(body))
	assert.Equal(t, sdkaws.ToString(out.VersionId), sdkaws.ToString(g.VersionId))
	assert.Len(t, versions(ledgers).Versions, 3)
	replica := versions("acme-ledgers-replica")
	require.Len(t, replica.Versions, 1)
	assert.Equal(t, `"`+bodyETag("date,amount\n")+`"`, sdkaws.ToString(replica.Versions[0].ETag))

	// Copying the current version onto itself, unchanged, is refused.
	_, err = a.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: sdkaws.String(ledgers), Key: sdkaws.String(key), CopySource: sdkaws.String(ledgers + "/" + key)})
	assert.Equal(t, "InvalidRequest", apiCode(err))

	// A plain delete leaves a marker: HEAD says 404 with the marker's
	// header; the marker is not replicated.
	del, err := a.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: sdkaws.String(ledgers), Key: sdkaws.String(key)})
	require.NoError(t, err)
	assert.True(t, sdkaws.ToBool(del.DeleteMarker))
	_, err = a.head(t, ledgers, key)
	var re *awshttp.ResponseError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, http.StatusNotFound, re.HTTPStatusCode())
	assert.Equal(t, "true", re.Response.Header.Get("X-Amz-Delete-Marker"))
	_, err = a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: sdkaws.String(ledgers), Key: sdkaws.String(key)})
	assert.Equal(t, "NoSuchKey", apiCode(err))
	_, err = a.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: sdkaws.String(ledgers), Key: sdkaws.String(key), VersionId: del.VersionId})
	assert.Equal(t, http.StatusMethodNotAllowed, apiStatus(err))
	assert.Empty(t, versions("acme-ledgers-replica").DeleteMarkers)

	// Object Lock: the copy is under 30 days of GOVERNANCE retention;
	// deleting it needs the bypass, a marker goes freely. The first
	// version's retention (from 1 November) is over.
	_, err = a.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: sdkaws.String(ledgers), Key: sdkaws.String(key), VersionId: out.VersionId})
	assert.Equal(t, "AccessDenied", apiCode(err))
	assert.Equal(t, http.StatusForbidden, apiStatus(err))
	_, err = a.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: sdkaws.String(ledgers), Key: sdkaws.String(key), VersionId: out.VersionId, BypassGovernanceRetention: sdkaws.Bool(true)})
	require.NoError(t, err)
	_, err = a.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: sdkaws.String(ledgers), Key: sdkaws.String(key), VersionId: &older})
	require.NoError(t, err)
	_, err = a.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: sdkaws.String(ledgers), Key: sdkaws.String(key), VersionId: del.VersionId})
	require.NoError(t, err)
	_, err = a.head(t, ledgers, key)
	require.NoError(t, err, "the marker gone, the object is back")
	_, err = a.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: sdkaws.String(ledgers),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusSuspended}})
	assert.Equal(t, "InvalidBucketState", apiCode(err))
	_, err = a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: sdkaws.String(ledgers), Key: sdkaws.String(key), VersionId: &older})
	assert.Equal(t, "NoSuchVersion", apiCode(err))
}

func TestListingsPageAsS3Does(t *testing.T) {
	a := recoveryDrill(t)
	ctx := context.Background()
	b := "acme-ledgers-replica"
	for i := range 2345 {
		_, err := a.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: sdkaws.String(fmt.Sprintf("k/%05d", i)), Body: strings.NewReader("x")})
		require.NoError(t, err)
		if i%2 == 0 { // a second version of every other key
			_, err := a.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &b, Key: sdkaws.String(fmt.Sprintf("k/%05d", i)), Body: strings.NewReader("yy")})
			require.NoError(t, err)
		}
	}
	// Keys: 1,000 a page, in order, none twice, none left out.
	var keys []string
	pages := 0
	p := s3.NewListObjectsV2Paginator(a.s3, &s3.ListObjectsV2Input{Bucket: &b, Prefix: sdkaws.String("k/")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		for _, o := range out.Contents {
			keys = append(keys, sdkaws.ToString(o.Key))
		}
	}
	assert.Equal(t, 3, pages)
	require.Len(t, keys, 2345)
	assert.Equal(t, "k/00000", keys[0])
	assert.Equal(t, "k/02344", keys[2344])
	out, err := a.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &b, StartAfter: sdkaws.String("k/02340")})
	require.NoError(t, err)
	assert.Len(t, out.Contents, 4)

	// Versions: a small page splits a key's history; the markers go on
	// inside it and every entry comes exactly once.
	seen := map[string]int{}
	in := &s3.ListObjectVersionsInput{Bucket: &b, MaxKeys: sdkaws.Int32(7)}
	for {
		out, err := a.s3.ListObjectVersions(ctx, in)
		require.NoError(t, err)
		for _, v := range out.Versions {
			seen[sdkaws.ToString(v.Key)+" "+sdkaws.ToString(v.VersionId)]++
		}
		if !sdkaws.ToBool(out.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	assert.Len(t, seen, 2345+1173)
	for k, n := range seen {
		require.Equal(t, 1, n, k)
	}
}

func TestSimulatedS3RefusesWhatS3Refuses(t *testing.T) {
	a := recoveryDrill(t)
	ctx := context.Background()
	replica := sdkaws.String("acme-ledgers-replica")
	public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-ledgers-replica/*"}]}`
	cases := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"a public policy under BlockPublicPolicy", func() error {
			_, err := a.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: replica, Policy: &public})
			return err
		}, "AccessDenied", 403},
		{"a policy that is not JSON", func() error {
			_, err := a.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: replica, Policy: sdkaws.String("allow all")})
			return err
		}, "MalformedPolicy", 400},
		{"an ACL on a bucket without ACLs", func() error {
			_, err := a.s3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: replica, ACL: s3types.BucketCannedACLPrivate})
			return err
		}, "AccessControlListNotSupported", 400},
		{"a bucket that does not exist", func() error {
			_, err := a.s3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: sdkaws.String("nope")})
			return err
		}, "NoSuchBucket", 404},
		{"no policy", func() error {
			_, err := a.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: replica})
			return err
		}, "NoSuchBucketPolicy", 404},
		{"no policy status", func() error {
			_, err := a.s3.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: replica})
			return err
		}, "NoSuchBucketPolicy", 404},
		{"no Block Public Access", func() error {
			_, err := a.s3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: sdkaws.String(ledgers)})
			return err
		}, "NoSuchPublicAccessBlockConfiguration", 404},
		{"no ownership controls", func() error {
			_, err := a.s3.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: sdkaws.String(ledgers)})
			return err
		}, "OwnershipControlsNotFoundError", 404},
		{"no replication", func() error {
			_, err := a.s3.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: replica})
			return err
		}, "ReplicationConfigurationNotFoundError", 404},
		{"no Object Lock", func() error {
			_, err := a.s3.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: replica})
			return err
		}, "ObjectLockConfigurationNotFoundError", 404},
		{"no lifecycle", func() error {
			_, err := a.s3.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: replica})
			return err
		}, "NoSuchLifecycleConfiguration", 404},
		{"no tags", func() error {
			_, err := a.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: replica})
			return err
		}, "NoSuchTagSet", 404},
		{"no website", func() error {
			_, err := a.s3.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: replica})
			return err
		}, "NoSuchWebsiteConfiguration", 404},
		{"no such key", func() error {
			_, err := a.s3.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: replica, Key: sdkaws.String("nope")})
			return err
		}, "NoSuchKey", 404},
		{"an SSE-S3 rule with a KMS key", func() error {
			_, err := a.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: replica, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
				Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256, KMSMasterKeyID: sdkaws.String("k")}}}}})
			return err
		}, "InvalidArgument", 400},
		{"another account's Block Public Access", func() error {
			_, err := controlAPI{a.be}.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: sdkaws.String("444455556666")})
			return err
		}, "AccessDenied", 403},
		{"no account Block Public Access", func() error {
			_, err := controlAPI{a.be}.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: sdkaws.String("111122223333")})
			return err
		}, "NoSuchPublicAccessBlockConfiguration", 404},
	}
	for _, c := range cases {
		err := c.call()
		assert.Equal(t, c.code, apiCode(err), c.name)
		assert.Equal(t, c.status, apiStatus(err), c.name)
	}
	// The aws package reads the refusals as it reads AWS's.
	_, err := aws.WhoAmI(ctx, stsAPI{a.be}, "tabletop")
	require.NoError(t, err)
	enc, err := a.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: replica})
	require.NoError(t, err, "every bucket has SSE-S3 at least")
	assert.Equal(t, s3types.ServerSideEncryptionAes256, enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm)
}

func TestTheSnapshotReadsEveryConfigurationOfTheSimulatedBucket(t *testing.T) {
	a := recoveryDrill(t)
	items, err := a.cloud.Snapshot(context.Background(), ledgers)
	require.NoError(t, err)
	all := map[string]string{}
	for _, it := range items {
		var b bytes.Buffer
		require.NoError(t, json.Compact(&b, it.Data), it.Title)
		all[it.Title] = b.String()
	}
	assert.Contains(t, all["object-lock of bucket acme-ledgers"], `"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Days":30,`)
	assert.Contains(t, all["replication of bucket acme-ledgers"], `"Bucket":"arn:aws:s3:::acme-ledgers-replica"`)
	assert.Contains(t, all["lifecycle of bucket acme-ledgers"], `"Transitions":[{"Date":null,"Days":90,"StorageClass":"GLACIER"}]`)
	assert.Contains(t, all["versioning of bucket acme-ledgers"], `"Status":"Enabled"`)
	assert.Contains(t, all["encryption of bucket acme-ledgers"], `"SSEAlgorithm":"AES256"`)
	assert.Contains(t, all["tags of bucket acme-ledgers (not-configured)"], `"errorCode":"NoSuchTagSet"`)
}

func TestScenarioMistakesInTheS3SettingsAreReportedAtTheirLine(t *testing.T) {
	data := []byte(`id: x
title: x
account: "111122223333"
buckets:
  - name: acme-a
    objectLock: {mode: STRICT, days: 3}
    replication: {role: arn:aws:iam::111122223333:role/R, destination: acme-zz}
    objects:
      - key: a
        storageClass: STANDARD
        restore: {tier: Bulk, requested: 2026-11-24T08:00:00Z}
      - key: b
        size: 3
        body: "four"
`)
	_, err := ParseScenario("bad.yaml", data)
	var errs ScenarioErrors
	require.ErrorAs(t, err, &errs)
	text := errs.Error()
	assert.Contains(t, text, "bad.yaml:6:")
	assert.Contains(t, text, "Object Lock, which S3 allows only with versioning Enabled")
	assert.Contains(t, text, `Object Lock mode is GOVERNANCE or COMPLIANCE, not "STRICT"`)
	assert.Contains(t, text, `bad.yaml:7:`)
	assert.Contains(t, text, `replicates to "acme-zz"`)
	assert.Contains(t, text, "bad.yaml:11:")
	assert.Contains(t, text, "needs no restore")
	assert.Contains(t, text, "bad.yaml:13:")
	assert.Contains(t, text, "size 3 is not the length of the body")
}

func TestTheBuiltInReplicaHoldsTheExportsBytesAndTakesNewOnes(t *testing.T) {
	a := openSim(t, nil, time.Time{})
	ctx := context.Background()
	const key = "exports/2026-11/customers-full.csv"
	src, err := a.head(t, exportsBucket, key)
	require.NoError(t, err)
	rep, err := a.head(t, replicaBucket, key)
	require.NoError(t, err)
	assert.Equal(t, sdkaws.ToString(src.ETag), sdkaws.ToString(rep.ETag), "a replica's copy holds the same bytes")

	// The intruder deletes the current version for good: the replica
	// still has it, and a copy brings it back across buckets.
	_, err = a.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: sdkaws.String(exportsBucket), Key: sdkaws.String(key), VersionId: src.VersionId})
	require.NoError(t, err)
	older, err := a.head(t, exportsBucket, key)
	require.NoError(t, err)
	assert.Equal(t, int64(47998120), sdkaws.ToInt64(older.ContentLength))
	_, err = a.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: sdkaws.String(exportsBucket), Key: sdkaws.String(key),
		CopySource: sdkaws.String(replicaBucket + "/" + key + "?versionId=" + sdkaws.ToString(rep.VersionId))})
	require.NoError(t, err)
	back, err := a.head(t, exportsBucket, key)
	require.NoError(t, err)
	assert.Equal(t, sdkaws.ToString(src.ETag), sdkaws.ToString(back.ETag))

	// The copy is a new write under exports/: replicated in its turn.
	v, err := a.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: sdkaws.String(replicaBucket), Prefix: sdkaws.String(key)})
	require.NoError(t, err)
	assert.Len(t, v.Versions, 3)
	// Outside the replicated prefix nothing goes over.
	_, err = a.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String(exportsBucket), Key: sdkaws.String("tmp/x"), Body: strings.NewReader("x")})
	require.NoError(t, err)
	_, err = a.head(t, replicaBucket, "tmp/x")
	assert.Equal(t, "NotFound", apiCode(err))
}

func TestABatchRestoreJobRestoresTheManifestsArchivesOnTheClock(t *testing.T) {
	a := openSim(t, nil, time.Time{})
	ctx := context.Background()
	ctl := controlAPI{a.be}
	manifest := "acme-legacy-reports,archive%2F2018%2Fledger-2018.csv\nacme-legacy-reports,archive%2F2017%2Fledger-2017.csv\nacme-legacy-reports,reports%2F2020%2Fq1-summary.pdf\n"
	put, err := a.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String(logsBucket), Key: sdkaws.String("jobs/restore.csv"), Body: strings.NewReader(manifest)})
	require.NoError(t, err)
	create := func(token, role string) string {
		out, err := ctl.CreateJob(ctx, &s3control.CreateJobInput{AccountId: sdkaws.String("111122223333"), ClientRequestToken: &token,
			ConfirmationRequired: sdkaws.Bool(false), Priority: sdkaws.Int32(10), RoleArn: &role,
			Operation: &ctltypes.JobOperation{S3InitiateRestoreObject: &ctltypes.S3InitiateRestoreObjectOperation{ExpirationInDays: sdkaws.Int32(2), GlacierJobTier: ctltypes.S3GlacierJobTierBulk}},
			Manifest: &ctltypes.JobManifest{Spec: &ctltypes.JobManifestSpec{Format: ctltypes.JobManifestFormatS3BatchOperationsCsv20180820, Fields: []ctltypes.JobManifestFieldName{"Bucket", "Key"}},
				Location: &ctltypes.JobManifestLocation{ObjectArn: sdkaws.String("arn:aws:s3:::" + logsBucket + "/jobs/restore.csv"), ETag: sdkaws.String(strings.Trim(sdkaws.ToString(put.ETag), `"`))}},
			Report: &ctltypes.JobReport{Enabled: true, Bucket: sdkaws.String("arn:aws:s3:::" + logsBucket), Prefix: sdkaws.String("reports"), Format: ctltypes.JobReportFormatReportCsv20180820, ReportScope: ctltypes.JobReportScopeAllTasks}})
		require.NoError(t, err)
		return sdkaws.ToString(out.JobId)
	}
	describe := func(id string) *ctltypes.JobDescriptor {
		out, err := ctl.DescribeJob(ctx, &s3control.DescribeJobInput{AccountId: sdkaws.String("111122223333"), JobId: &id})
		require.NoError(t, err)
		return out.Job
	}
	id := create("tok-1", "arn:aws:iam::111122223333:role/DataPipelineRole")
	assert.Equal(t, id, create("tok-1", "arn:aws:iam::111122223333:role/DataPipelineRole"), "the same token is the same job")
	bad := create("tok-2", "arn:aws:iam::111122223333:role/NoSuchRole")
	assert.Equal(t, ctltypes.JobStatusPreparing, describe(id).Status)
	a.clk.add(time.Minute)
	assert.Equal(t, ctltypes.JobStatusActive, describe(id).Status)
	a.clk.add(2 * time.Minute)
	job := describe(id)
	assert.Equal(t, ctltypes.JobStatusComplete, job.Status)
	assert.Equal(t, int64(3), sdkaws.ToInt64(job.ProgressSummary.TotalNumberOfTasks))
	assert.Equal(t, int64(2), sdkaws.ToInt64(job.ProgressSummary.NumberOfTasksSucceeded))
	assert.Equal(t, int64(1), sdkaws.ToInt64(job.ProgressSummary.NumberOfTasksFailed), "a STANDARD object needs no restore")
	failed := describe(bad)
	assert.Equal(t, ctltypes.JobStatusFailed, failed.Status)
	require.NotEmpty(t, failed.FailureReasons)
	assert.Contains(t, sdkaws.ToString(failed.FailureReasons[0].FailureReason), "could not assume role")

	h, err := a.head(t, legacyBucket, "archive/2017/ledger-2017.csv")
	require.NoError(t, err)
	assert.Equal(t, `ongoing-request="true"`, sdkaws.ToString(h.Restore))
	a.clk.add(48 * time.Hour)
	_, err = a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: sdkaws.String(legacyBucket), Key: sdkaws.String("archive/2017/ledger-2017.csv")})
	require.NoError(t, err, "Deep Archive Bulk: within 48 hours")

	list, err := ctl.ListJobs(ctx, &s3control.ListJobsInput{AccountId: sdkaws.String("111122223333"), JobStatuses: []ctltypes.JobStatus{ctltypes.JobStatusComplete}})
	require.NoError(t, err)
	require.Len(t, list.Jobs, 1)
	assert.Equal(t, ctltypes.OperationNameS3InitiateRestoreObject, list.Jobs[0].Operation)
	rep, err := a.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: sdkaws.String(logsBucket), Prefix: sdkaws.String("reports/job-" + id)})
	require.NoError(t, err)
	require.Len(t, rep.Contents, 1)
	g, err := a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: sdkaws.String(logsBucket), Key: rep.Contents[0].Key})
	require.NoError(t, err)
	body, _ := io.ReadAll(g.Body)
	assert.Contains(t, string(body), "reports%2F2020%2Fq1-summary.pdf,,failed,ObjectAlreadyInActiveTierError")
}

func TestABucketACLSetThroughS3ChangesTheExposureVerdict(t *testing.T) {
	a := openSim(t, nil, time.Time{})
	ctx := context.Background()
	check := func() app.BucketReport {
		rep, err := a.cloud.CheckBucket(ctx, legacyBucket)
		require.NoError(t, err)
		return rep
	}
	require.False(t, check().Public)
	_, err := a.s3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: sdkaws.String(legacyBucket), ACL: s3types.BucketCannedACLPublicRead})
	require.NoError(t, err)
	rep := check()
	assert.True(t, rep.Public, "READ for AllUsers on the bucket lets anyone list it")
	_, err = a.s3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: sdkaws.String(legacyBucket), ACL: s3types.BucketCannedACLPrivate})
	require.NoError(t, err)
	assert.False(t, check().Public)

	// Under BlockPublicAcls, S3 refuses a public ACL.
	_, err = a.s3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: sdkaws.String(legacyBucket),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: sdkaws.Bool(true)}})
	require.NoError(t, err)
	_, err = a.s3.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: sdkaws.String(legacyBucket), ACL: s3types.BucketCannedACLPublicRead})
	assert.Equal(t, "AccessDenied", apiCode(err))
	_, err = a.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String(legacyBucket), Key: sdkaws.String("x"), ACL: s3types.ObjectCannedACLPublicRead, Body: strings.NewReader("x")})
	assert.Equal(t, "AccessDenied", apiCode(err))
}
