package tabletop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
	"s3responder/aws"
	"s3responder/store"
)

// These tests drive the aws package's own code (exposure checks,
// snapshot, plans, changes, verification, undo, bulk changes, batch
// jobs) over the simulated S3, S3 Control and STS, through app.Service
// on a real bbolt store, as a facilitator's exercise would.

const (
	exportsBucket = "acme-customer-exports"
	webBucket     = "acme-web-assets"
	legacyBucket  = "acme-legacy-reports"
	logsBucket    = "acme-cloudtrail-logs"
	replicaBucket = "acme-customer-exports-replica"
)

// simAccount is the built-in scenario's account opened through the aws
// package, as the lead's connector will open it.
type simAccount struct {
	be    *backend
	clk   *simClock
	cloud *aws.ChangingCloud
	s3    s3API
}

// openSim opens a scenario (nil: the built-in one) with the simClock at
// start (zero: now).
func openSim(t *testing.T, sc *Scenario, start time.Time) *simAccount {
	t.Helper()
	if sc == nil {
		list, err := Builtin()
		require.NoError(t, err)
		sc = list[0]
	}
	if start.IsZero() {
		start = time.Now().UTC().Truncate(time.Second)
	}
	clk := &simClock{t: start}
	be := newBackend(sc, "", clk.now)
	cloud := aws.NewSimulated(aws.Clients{S3: s3API{be}, Control: controlAPI{be}, STS: stsAPI{be}}, "tabletop", sc.Region, clk.now)
	return &simAccount{be: be, clk: clk, cloud: cloud, s3: s3API{be}}
}

// s3Drill is an exercise incident on a real store over a simulated account.
type s3Drill struct {
	*simAccount
	t   *testing.T
	svc *app.Service
	id  string
}

var exerciseProfile = app.Profile{Name: app.SimulatedProfileName, Exercise: true}

func newS3Drill(t *testing.T) *s3Drill {
	t.Helper()
	a := openSim(t, nil, time.Time{})
	db, err := store.Open(filepath.Join(t.TempDir(), "incidents.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	pb, err := app.ParsePlaybook("built-in", assets.Playbook)
	require.NoError(t, err)
	svc := app.NewService(db, pb, "facilitator")
	svc.SetClock(a.clk.now)
	svc.SetConnector(func(_ context.Context, p app.Profile) (app.Cloud, error) {
		if !p.Exercise {
			t.Errorf("a real profile reached the simulated account: %+v", p)
		}
		return a.cloud, nil
	})
	c, err := svc.Create(context.Background(), app.NewIncident{Title: "Drill", Exercise: true, Buckets: []string{exportsBucket}})
	require.NoError(t, err)
	return &s3Drill{simAccount: a, t: t, svc: svc, id: c.Incident.ID}
}

// apply plans and applies an action and checks it went through verified.
func (d *s3Drill) apply(action string, params map[string]string) app.ChangeRun {
	d.t.Helper()
	ctx := context.Background()
	plan, err := d.svc.PlanChange(ctx, d.id, exerciseProfile, app.ChangeRequest{Action: action, Params: params})
	require.NoError(d.t, err, action)
	require.True(d.t, plan.Simulated)
	run, err := d.svc.ApplyChange(ctx, d.id, exerciseProfile, plan.ID, plan.ConfirmWord)
	require.NoError(d.t, err, action)
	require.Equal(d.t, app.ChangeDone, run.Status, run.Report())
	require.True(d.t, run.Verified, run.Report())
	for _, st := range plan.Steps {
		d.assertState(st.Resource, st.After)
	}
	return run
}

// undo undoes a change and checks every step's resource is back where
// it was (or where AWS lets it go back to).
func (d *s3Drill) undo(run app.ChangeRun) {
	d.t.Helper()
	ctx := context.Background()
	plan, err := d.svc.PlanUndo(ctx, d.id, exerciseProfile, run.Plan.ID)
	require.NoError(d.t, err, run.Plan.Action)
	undone, err := d.svc.ApplyChange(ctx, d.id, exerciseProfile, plan.ID, plan.ConfirmWord)
	require.NoError(d.t, err, run.Plan.Action)
	require.Equal(d.t, app.ChangeDone, undone.Status, undone.Report())
	require.True(d.t, undone.Verified, undone.Report())
	for _, st := range run.Plan.Steps {
		want := st.Before
		if len(st.UndoTo) > 0 {
			want = st.UndoTo
		}
		d.assertState(st.Resource, want)
	}
}

func (d *s3Drill) assertState(r app.Resource, want json.RawMessage) {
	d.t.Helper()
	got, err := d.cloud.ReadState(context.Background(), r)
	require.NoError(d.t, err, r.Name)
	assert.JSONEq(d.t, string(want), string(got), r.Name)
}

func (d *s3Drill) verdict(bucket string) app.BucketReport {
	d.t.Helper()
	rep, _, err := d.svc.CollectBucketExposure(context.Background(), d.id, exerciseProfile, bucket)
	require.NoError(d.t, err)
	return rep
}

func (a *simAccount) head(t *testing.T, bucket, key string) (*s3.HeadObjectOutput, error) {
	t.Helper()
	return a.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
}

func (a *simAccount) public(t *testing.T, bucket, key string) bool {
	t.Helper()
	out, err := a.s3.GetObjectAcl(context.Background(), &s3.GetObjectAclInput{Bucket: &bucket, Key: &key})
	require.NoError(t, err)
	for _, g := range out.Grants {
		if sdkaws.ToString(g.Grantee.URI) == allUsersURI {
			return true
		}
	}
	return false
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestEveryS3ActionWalksOnTheSimulatedAccountThroughTheAWSCode(t *testing.T) {
	d := newS3Drill(t)
	ctx := context.Background()

	// The account scan sees the scenario as the checks of a real
	// account would: the exports and the website are public.
	reps, err := d.cloud.ScanAccount(ctx, nil)
	require.NoError(t, err)
	public := map[string]bool{}
	for _, r := range reps {
		public[r.Bucket] = r.Public
	}
	assert.Equal(t, map[string]bool{exportsBucket: true, webBucket: true, legacyBucket: false, logsBucket: false, replicaBucket: false}, public)

	// Containment of the exports bucket: the verdict follows each change
	// and comes back with each undo.
	require.True(t, d.verdict(exportsBucket).Public)
	run := d.apply("s3.block-public-access.bucket", map[string]string{"bucket": exportsBucket})
	assert.False(t, d.verdict(exportsBucket).Public, "Block Public Access must end the public verdict")
	d.undo(run)
	assert.True(t, d.verdict(exportsBucket).Public)

	run = d.apply("s3.remove-policy-statements", map[string]string{"bucket": exportsBucket})
	rep := d.verdict(exportsBucket)
	assert.False(t, rep.Public)
	d.undo(run)
	assert.True(t, d.verdict(exportsBucket).Public)

	run = d.apply("s3.lock-control-plane", map[string]string{"bucket": exportsBucket})
	d.undo(run)

	run = d.apply("s3control.block-public-access.account", nil)
	assert.False(t, d.verdict(webBucket).Public, "account-wide Block Public Access closes the website too")
	d.undo(run)
	assert.True(t, d.verdict(webBucket).Public)

	// Eradication.
	key := "arn:aws:kms:eu-west-1:111122223333:key/0b7e3f1c-9a52-4d1a-9c55-7e2f0d6b8a41"
	run = d.apply("s3.default-encryption", map[string]string{"bucket": webBucket, "kmsMasterKeyId": key})
	enc, err := d.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: sdkaws.String(webBucket)})
	require.NoError(t, err)
	assert.Equal(t, key, sdkaws.ToString(enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID))
	d.undo(run)
	enc, err = d.s3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: sdkaws.String(webBucket)})
	require.NoError(t, err)
	assert.Equal(t, s3types.ServerSideEncryptionAes256, enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm)

	run = d.apply("s3.versioning", map[string]string{"bucket": webBucket})
	d.undo(run) // never versioned before: undo can only suspend
	ver, err := d.s3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: sdkaws.String(webBucket)})
	require.NoError(t, err)
	assert.Equal(t, s3types.BucketVersioningStatusSuspended, ver.Status)

	// Object ACLs, one call per object, journalled and undone.
	assert.True(t, d.public(t, legacyBucket, "reports/2019/q1-summary.pdf"))
	run = d.apply("s3.reset-object-acls", map[string]string{"bucket": legacyBucket})
	require.NotNil(t, run.Bulk)
	assert.Equal(t, 2, run.Bulk.Applied, run.Report())
	assert.False(t, d.public(t, legacyBucket, "reports/2019/q1-summary.pdf"))
	d.undo(run)
	assert.True(t, d.public(t, legacyBucket, "reports/2019/q1-summary.pdf"))
	assert.False(t, d.public(t, legacyBucket, "reports/2020/q1-summary.pdf"))

	// Recovery: an overwritten export comes back to its earlier bytes,
	// and the deleted debug dump comes back from behind its marker.
	const overwritten = "exports/2026-11/customers-full.csv"
	var h app.KeyHistory
	require.NoError(t, d.cloud.ListVersions(ctx, exportsBucket, "", []string{overwritten}, func(hs []app.KeyHistory) error {
		h = hs[0]
		return nil
	}))
	require.Len(t, h.Versions, 2)
	old := h.Versions[1]
	run = d.apply("s3.restore-version", map[string]string{"bucket": exportsBucket, "keys": overwritten, "versionId": old.VersionID})
	head, err := d.head(t, exportsBucket, overwritten)
	require.NoError(t, err)
	assert.Equal(t, int64(47998120), sdkaws.ToInt64(head.ContentLength))
	assert.Equal(t, `"`+old.ETag+`"`, sdkaws.ToString(head.ETag))
	d.undo(run)
	head, err = d.head(t, exportsBucket, overwritten)
	require.NoError(t, err)
	assert.Equal(t, int64(48213307), sdkaws.ToInt64(head.ContentLength))

	const dump = "tmp/debug-dump.json"
	_, err = d.head(t, exportsBucket, dump)
	assert.Equal(t, "NotFound", apiCode(err))
	run = d.apply("s3.remove-delete-marker", map[string]string{"bucket": exportsBucket, "keys": dump})
	head, err = d.head(t, exportsBucket, dump)
	require.NoError(t, err)
	assert.Equal(t, int64(2204118), sdkaws.ToInt64(head.ContentLength))
	d.undo(run)
	_, err = d.head(t, exportsBucket, dump)
	assert.Equal(t, "NotFound", apiCode(err))

	// AWS's scale: a Batch Operations job resets the same ACLs inside the
	// account; it completes on the account's simClock and cannot be undone.
	run = d.apply("s3control.batch-job", map[string]string{"bucket": legacyBucket, "manifestBucket": logsBucket,
		"roleArn": "arn:aws:iam::111122223333:role/DataPipelineRole"})
	job, err := d.cloud.ReadBatchJob(ctx, run.Plan.Steps[1].Resource)
	require.NoError(t, err)
	assert.False(t, job.Terminal)
	assert.True(t, d.public(t, legacyBucket, "reports/2019/q1-summary.pdf"), "the job has not run yet")
	d.clk.add(5 * time.Minute)
	// The job's changes show without anyone asking about the job.
	assert.False(t, d.public(t, legacyBucket, "reports/2019/q1-summary.pdf"), "the job has run")
	job, err = d.cloud.ReadBatchJob(ctx, run.Plan.Steps[1].Resource)
	require.NoError(t, err)
	assert.Equal(t, "Complete", job.Status)
	assert.True(t, job.Terminal)
	assert.Equal(t, int64(5), job.Total, "archived objects included: an ACL is not their bytes")
	assert.Equal(t, int64(5), job.Succeeded)
	assert.False(t, d.public(t, legacyBucket, "reports/2019/q1-summary.pdf"))
	_, err = d.svc.PlanUndo(ctx, d.id, exerciseProfile, run.Plan.ID)
	assert.Error(t, err, "a batch job keeps no earlier ACLs: no undo")
	list, err := d.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: sdkaws.String(logsBucket), Prefix: sdkaws.String("s3responder/batch/")})
	require.NoError(t, err)
	require.Len(t, list.Contents, 2, "the manifest and the completion report")
	assert.True(t, strings.HasSuffix(sdkaws.ToString(list.Contents[0].Key), "/manifest.csv"))
}

func TestTheSimulatedAccountRefusesChangesAsAWSWould(t *testing.T) {
	d := newS3Drill(t)
	ctx := context.Background()

	// ACLs disabled: nothing to reset, as the aws package says of AWS.
	_, err := d.svc.PlanChange(ctx, d.id, exerciseProfile, app.ChangeRequest{Action: "s3.reset-object-acls", Params: map[string]string{"bucket": exportsBucket}})
	require.ErrorIs(t, err, app.ErrNoChange)
	assert.Contains(t, err.Error(), "BucketOwnerEnforced")

	// With Block Public Access on, S3 refuses to put the public policy
	// back: the undo of the statements' removal fails in S3's words and
	// leaves the policy as it was.
	bpa := d.apply("s3.block-public-access.bucket", map[string]string{"bucket": exportsBucket})
	removal := d.apply("s3.remove-policy-statements", map[string]string{"bucket": exportsBucket})
	plan, err := d.svc.PlanUndo(ctx, d.id, exerciseProfile, removal.Plan.ID)
	require.NoError(t, err)
	run, err := d.svc.ApplyChange(ctx, d.id, exerciseProfile, plan.ID, plan.ConfirmWord)
	require.Error(t, err)
	assert.NotEqual(t, app.ChangeDone, run.Status)
	assert.Contains(t, err.Error(), "Access denied for S3 PutBucketPolicy")
	d.assertState(removal.Plan.Steps[0].Resource, removal.Plan.Steps[0].After)

	// Once Block Public Access is undone, the same undo goes through.
	d.undo(bpa)
	d.undo(removal)
	assert.True(t, d.verdict(exportsBucket).Public)
}

func TestTheS3InspectionsRunOverTheSimulatedAccount(t *testing.T) {
	d := newS3Drill(t)
	ctx := context.Background()
	inspect := func(action, bucket string) app.Inspection {
		t.Helper()
		rep, saved, err := d.svc.Inspect(ctx, d.id, exerciseProfile, app.InspectRequest{Action: action, Params: map[string]string{"bucket": bucket}})
		require.NoError(t, err, action)
		assert.Empty(t, rep.Problems, action)
		assert.NotEmpty(t, saved.Evidence, "%s is kept as evidence", action)
		return rep
	}
	lock := inspect("s3.object-lock-status", exportsBucket)
	assert.Contains(t, lock.Summary, "Object Lock is off on acme-customer-exports (versioning Enabled)")
	mfa := inspect("s3.mfa-delete-guide", exportsBucket)
	assert.NotEmpty(t, mfa.Commands)
	review := inspect("s3.policy-review", exportsBucket)
	found := false
	for _, f := range review.Findings {
		found = found || (f.Severity == app.SeverityHigh && strings.Contains(f.Text+f.Subject, "PublicReadExports"))
	}
	assert.True(t, found, "the public statement is the high finding: %+v", review.Findings)

	// Finding the data: the export and its replica, with their tags.
	data, _, err := d.svc.FindData(ctx, d.id, exerciseProfile, app.DataQuery{Key: "exports/2026-11/"}, nil)
	require.NoError(t, err)
	var buckets []string
	for _, m := range data.Matches() {
		buckets = append(buckets, m.Bucket)
		assert.Equal(t, "customer-exports", m.Application)
	}
	assert.Equal(t, []string{exportsBucket, replicaBucket}, buckets)
}

func TestABulkChangeOfManyObjectsRunsConcurrentlyOverTheSimulatedS3(t *testing.T) {
	d := newS3Drill(t)
	ctx := context.Background()
	const n = 640 // more than one journal batch of 500
	for i := range n {
		_, err := d.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String(legacyBucket), Key: sdkaws.String(fmt.Sprintf("bulk/%04d.csv", i)),
			ACL: s3types.ObjectCannedACLPublicRead, Body: strings.NewReader(fmt.Sprint(i))})
		require.NoError(t, err)
	}
	run := d.apply("s3.reset-object-acls", map[string]string{"bucket": legacyBucket, "prefix": "bulk/", "concurrency": "16"})
	require.NotNil(t, run.Bulk)
	assert.Equal(t, n, run.Bulk.Applied, run.Report())
	assert.False(t, d.public(t, legacyBucket, "bulk/0000.csv"))
	assert.False(t, d.public(t, legacyBucket, "bulk/0639.csv"))
	d.undo(run)
	assert.True(t, d.public(t, legacyBucket, "bulk/0000.csv"))
	assert.True(t, d.public(t, legacyBucket, "bulk/0639.csv"))
}

func TestARestoreByTimeWindowBringsBackWhatTheIntruderChanged(t *testing.T) {
	d := newS3Drill(t)
	// The intruder's weekend: everything changed from 20 November on is
	// put back as it was before.
	run := d.apply("s3.restore-version", map[string]string{"bucket": exportsBucket, "prefix": "exports/2026-11/", "since": "2026-11-20T00:00:00Z"})
	require.NotNil(t, run.Bulk)
	assert.Equal(t, 1, run.Bulk.Applied, run.Report())
	head, err := d.head(t, exportsBucket, "exports/2026-11/customers-full.csv")
	require.NoError(t, err)
	assert.Equal(t, int64(47998120), sdkaws.ToInt64(head.ContentLength), "the export from before the window")
	_, err = d.head(t, exportsBucket, "tmp/debug-dump.json")
	assert.Equal(t, "NotFound", apiCode(err), "the dump was written inside the window too: before it, there was none")
	head, err = d.head(t, exportsBucket, "exports/2026-10/customers-full.csv")
	require.NoError(t, err)
	assert.Equal(t, int64(47650882), sdkaws.ToInt64(head.ContentLength), "untouched in the window")
	d.undo(run)
	head, err = d.head(t, exportsBucket, "exports/2026-11/customers-full.csv")
	require.NoError(t, err)
	assert.Equal(t, int64(48213307), sdkaws.ToInt64(head.ContentLength))
	_, err = d.head(t, exportsBucket, "tmp/debug-dump.json")
	assert.Equal(t, "NotFound", apiCode(err))
}
