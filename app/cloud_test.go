package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/store"
)

// fakeCloud is a scripted account. It stands in for AWS here the way a
// simulated account will in exercises, which is what the port is for.
type fakeCloud struct {
	mu        sync.Mutex
	id        app.Identity
	idErr     error
	report    app.BucketReport
	scan      []app.BucketReport
	scanErr   error
	snapshot  []app.Collected
	changes   app.ChangeReport
	calls     []string
	cancelled func() // called inside CheckBucket, to cancel the caller
}

func (f *fakeCloud) called(what string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, what)
}

func (f *fakeCloud) Identity(context.Context) (app.Identity, error) {
	f.called("Identity")
	return f.id, f.idErr
}

func (f *fakeCloud) CheckBucket(_ context.Context, bucket string) (app.BucketReport, error) {
	f.called("CheckBucket " + bucket)
	if f.cancelled != nil {
		f.cancelled()
	}
	return f.report, nil
}

func (f *fakeCloud) ScanAccount(_ context.Context, progress app.Progress) ([]app.BucketReport, error) {
	f.called("ScanAccount")
	for i := range f.scan {
		progress(i+1, len(f.scan))
	}
	return f.scan, f.scanErr
}

func (f *fakeCloud) Snapshot(_ context.Context, bucket string) ([]app.Collected, error) {
	f.called("Snapshot " + bucket)
	return f.snapshot, nil
}

func (f *fakeCloud) AccessChanges(_ context.Context, q app.ChangeQuery, _ app.Progress) (app.ChangeReport, error) {
	f.called("AccessChanges " + q.Bucket)
	return f.changes, nil
}

var cloudNow = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

const aliceARN = "arn:aws:iam::111122223333:user/alice"

type cloudFixture struct {
	svc      *app.Service
	db       *store.DB
	cloud    *fakeCloud
	connects []app.Profile
}

// newCloudFixture is a service over a real bbolt file with a connector
// that records every connection it is asked for.
func newCloudFixture(t *testing.T) *cloudFixture {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "incidents.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	f := &cloudFixture{db: db, cloud: &fakeCloud{id: app.Identity{Account: "111122223333", ARN: aliceARN, UserID: "AIDAEXAMPLE"}}}
	f.svc = app.NewService(db, builtin(t), "alice")
	f.svc.SetClock(func() time.Time { return cloudNow })
	var mu sync.Mutex
	f.svc.SetConnector(func(_ context.Context, p app.Profile) (app.Cloud, error) {
		mu.Lock()
		defer mu.Unlock()
		f.connects = append(f.connects, p)
		return f.cloud, nil
	})
	return f
}

func (f *cloudFixture) incident(t *testing.T, exercise bool) string {
	t.Helper()
	c, err := f.svc.Create(context.Background(), app.NewIncident{Title: "Public bucket", Exercise: exercise, Buckets: []string{"customer-data"}})
	require.NoError(t, err)
	return c.Incident.ID
}

// checkStored proves an item is in the store with content hashing to its
// SHA-256 and a timeline that still verifies.
func (f *cloudFixture) checkStored(t *testing.T, id string, ev app.Evidence, want []byte) {
	t.Helper()
	got, err := f.db.EvidenceContent(context.Background(), ev.SHA256)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), ev.Title)
	assert.Equal(t, app.HashHex(want), ev.SHA256, ev.Title)
	assert.Equal(t, int64(len(want)), ev.Size)
	_, err = f.svc.Verify(context.Background(), id)
	require.NoError(t, err)
}

func item(title, api, data string) app.Collected {
	return app.Collected{Title: title, Kind: "aws-response", MediaType: "application/json", FileName: title + ".json",
		Source:      app.Source{Account: "111122223333", Region: "eu-west-1", API: api, Params: map[string]string{"Bucket": "customer-data"}},
		CollectedAt: cloudNow.Add(-time.Second), Data: []byte(data)}
}

func publicReport() app.BucketReport {
	return app.BucketReport{
		Bucket: "customer-data", Region: "eu-west-1", Verdict: "Public", Public: true, Shared: true,
		SharedWith:   []string{"444455556666"},
		Reasons:      []string{"Public: its bucket policy is public and RestrictPublicBuckets is off.", "Shared: 444455556666 can reach the bucket."},
		Disagreement: "S3 says the bucket policy is not public, but the evaluator calls it public.",
		Detail:       []byte(`{"bucket":"customer-data","access":"Public","statements":[{"index":0}]}`),
		Items: []app.Collected{
			item("policy of bucket customer-data", "GetBucketPolicy", `{"Policy":"{\"Statement\":[]}"}`),
			item("policy-status of bucket customer-data", "GetBucketPolicyStatus", `{"PolicyStatus":{"IsPublic":false}}`),
		},
	}
}

func TestCollectBucketExposureKeepsEveryResponse(t *testing.T) {
	f := newCloudFixture(t)
	id := f.incident(t, false)
	f.cloud.report = publicReport()
	ctx := context.Background()

	rep, saved, err := f.svc.CollectBucketExposure(ctx, id, app.Profile{Name: "prod", Region: "eu-west-1"}, " customer-data ")
	require.NoError(t, err)
	assert.Equal(t, "Public", rep.Verdict)
	assert.Equal(t, aliceARN, saved.By.ARN)
	require.Len(t, saved.Evidence, 3, "two responses and the verdict")
	assert.Equal(t, []string{"Identity", "CheckBucket customer-data"}, f.cloud.calls)
	assert.Equal(t, []app.Profile{{Name: "prod", Region: "eu-west-1"}}, f.connects)

	for i, it := range f.cloud.report.Items {
		ev := saved.Evidence[i]
		assert.Equal(t, it.Title, ev.Title)
		assert.Equal(t, "aws-response", ev.Kind)
		assert.Equal(t, it.Source, ev.Source)
		assert.Equal(t, it.CollectedAt, ev.CollectedAt, "when the call was made, not when it was saved")
		assert.Equal(t, aliceARN, ev.CollectedBy, "the caller's ARN collected it")
		require.Len(t, ev.Custody, 1)
		assert.Equal(t, "alice", ev.Custody[0].Actor)
		assert.Equal(t, "collected", ev.Custody[0].Action)
		f.checkStored(t, id, ev, it.Data)
	}
	verdict := saved.Evidence[2]
	assert.Equal(t, app.EvidenceExposure, verdict.Kind)
	assert.Equal(t, "Exposure verdict of bucket customer-data", verdict.Title)
	f.checkStored(t, id, verdict, f.cloud.report.Detail)

	entries, err := f.svc.Timeline(ctx, id)
	require.NoError(t, err)
	last := entries[len(entries)-1]
	assert.Equal(t, app.KindFinding, last.Kind)
	assert.Equal(t, []string{saved.Evidence[0].ID, saved.Evidence[1].ID, saved.Evidence[2].ID}, last.Refs)
	assert.Contains(t, last.Text, "Exposure of bucket customer-data (eu-west-1): Public: its bucket policy is public")
	assert.Contains(t, last.Text, "Shared with 444455556666.")
	assert.Contains(t, last.Text, "DISAGREEMENT: S3 says")
	for _, ev := range saved.Evidence {
		assert.Contains(t, timelineText(entries), "Evidence "+ev.ID+" collected", "each item's hash is in the chain")
		assert.Contains(t, timelineText(entries), ev.SHA256)
	}

	t.Run("the same answers again within the second get their own ids", func(t *testing.T) {
		_, again, err := f.svc.CollectBucketExposure(ctx, id, app.Profile{Name: "prod", Region: "eu-west-1"}, "customer-data")
		require.NoError(t, err)
		require.Len(t, again.Evidence, 3)
		for i := range again.Evidence {
			assert.Equal(t, saved.Evidence[i].SHA256, again.Evidence[i].SHA256)
			assert.Equal(t, saved.Evidence[i].ID+"-2", again.Evidence[i].ID)
		}
		assert.Len(t, f.connects, 1, "the connection is reused: no second MFA prompt")
		all, err := f.svc.ListEvidence(ctx, id)
		require.NoError(t, err)
		assert.Len(t, all, 6)
	})

	t.Run("CheckConnection connects afresh", func(t *testing.T) {
		who, err := f.svc.CheckConnection(ctx, id, app.Profile{Name: "prod", Region: "eu-west-1"})
		require.NoError(t, err)
		assert.Equal(t, aliceARN, who.ARN)
		assert.Len(t, f.connects, 2)
	})
}

func timelineText(entries []app.Entry) string {
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.Text + "\n")
	}
	return b.String()
}

func TestExerciseNeverReachesARealAccount(t *testing.T) {
	ctx := context.Background()
	calls := map[string]func(svc *app.Service, id string, p app.Profile) error{
		"CheckConnection": func(svc *app.Service, id string, p app.Profile) error {
			_, err := svc.CheckConnection(ctx, id, p)
			return err
		},
		"CollectBucketExposure": func(svc *app.Service, id string, p app.Profile) error {
			_, _, err := svc.CollectBucketExposure(ctx, id, p, "customer-data")
			return err
		},
		"CollectAccountExposure": func(svc *app.Service, id string, p app.Profile) error {
			_, _, err := svc.CollectAccountExposure(ctx, id, p, func(int, int) {})
			return err
		},
		"SnapshotBucket": func(svc *app.Service, id string, p app.Profile) error {
			_, err := svc.SnapshotBucket(ctx, id, p, "customer-data")
			return err
		},
		"CollectAccessChanges": func(svc *app.Service, id string, p app.Profile) error {
			_, _, err := svc.CollectAccessChanges(ctx, id, p, app.ChangeQuery{}, nil)
			return err
		},
	}
	cases := []struct {
		name              string
		exercise, simProf bool
		refused           string
	}{
		{"exercise with a real profile", true, false, "is an exercise: it works only with a simulated account and never calls AWS"},
		{"real incident with a simulated profile", false, true, "is a real incident: the answers of a simulated account cannot become its evidence"},
		{"exercise with a simulated profile", true, true, ""},
		{"real incident with a real profile", false, false, ""},
	}
	for _, tc := range cases {
		for name, call := range calls {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				f := newCloudFixture(t)
				f.cloud.report = publicReport()
				id := f.incident(t, tc.exercise)
				before, err := f.svc.Timeline(ctx, id)
				require.NoError(t, err)
				err = call(f.svc, id, app.Profile{Name: "prod", Exercise: tc.simProf})
				if tc.refused == "" {
					require.NoError(t, err)
					require.Len(t, f.connects, 1)
					assert.Equal(t, tc.simProf, f.connects[0].Exercise)
					return
				}
				require.ErrorIs(t, err, app.ErrInvalid)
				assert.Contains(t, err.Error(), id+" "+tc.refused)
				assert.Empty(t, f.connects, "the connector must not even be asked")
				assert.Empty(t, f.cloud.calls)
				after, err := f.svc.Timeline(ctx, id)
				require.NoError(t, err)
				assert.Len(t, after, len(before), "nothing recorded")
			})
		}
	}
}

func TestCloudErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("no connector", func(t *testing.T) {
		f := newCloudFixture(t)
		id := f.incident(t, false)
		f.svc.SetConnector(nil)
		_, err := f.svc.CheckConnection(ctx, id, app.Profile{})
		require.ErrorIs(t, err, app.ErrInvalid)
		assert.Contains(t, err.Error(), "cannot reach cloud accounts")
	})
	t.Run("identity fails: nothing cached, nothing saved", func(t *testing.T) {
		f := newCloudFixture(t)
		id := f.incident(t, false)
		f.cloud.idErr = errors.New("The AWS SSO sign-in for the AWS profile \"prod\" is missing or has expired. Run `aws sso login --profile prod` and try again.")
		_, _, err := f.svc.CollectBucketExposure(ctx, id, app.Profile{Name: "prod"}, "customer-data")
		require.Error(t, err)
		assert.Contains(t, err.Error(), `connect with profile "prod": The AWS SSO sign-in`)
		f.cloud.idErr = nil
		f.cloud.report = publicReport()
		_, _, err = f.svc.CollectBucketExposure(ctx, id, app.Profile{Name: "prod"}, "customer-data")
		require.NoError(t, err)
		assert.Len(t, f.connects, 2, "a failed connection is not kept")
	})
	t.Run("unknown incident", func(t *testing.T) {
		f := newCloudFixture(t)
		_, _, err := f.svc.CollectBucketExposure(ctx, "INC-20260101-NOSUCH", app.Profile{}, "b")
		require.ErrorIs(t, err, app.ErrNotFound)
		assert.Empty(t, f.connects)
	})
	t.Run("empty bucket", func(t *testing.T) {
		f := newCloudFixture(t)
		id := f.incident(t, false)
		_, err := f.svc.SnapshotBucket(ctx, id, app.Profile{}, "  ")
		require.ErrorIs(t, err, app.ErrInvalid)
	})
	t.Run("inverted window", func(t *testing.T) {
		f := newCloudFixture(t)
		id := f.incident(t, false)
		_, _, err := f.svc.CollectAccessChanges(ctx, id, app.Profile{}, app.ChangeQuery{Since: cloudNow, Until: cloudNow.Add(-time.Hour)}, nil)
		require.ErrorIs(t, err, app.ErrInvalid)
		assert.Empty(t, f.connects)
	})
	t.Run("cancelled after the answers came back: they are kept", func(t *testing.T) {
		f := newCloudFixture(t)
		id := f.incident(t, false)
		f.cloud.report = publicReport()
		cctx, cancel := context.WithCancel(ctx)
		f.cloud.cancelled = cancel
		_, saved, err := f.svc.CollectBucketExposure(cctx, id, app.Profile{}, "customer-data")
		require.NoError(t, err)
		assert.Len(t, saved.Evidence, 3)
	})
}

func TestCollectAccountExposure(t *testing.T) {
	ctx := context.Background()
	private := app.BucketReport{Bucket: "logs", Region: "eu-west-1", Verdict: "Bucket and objects not public",
		Reasons: []string{"Bucket and objects not public: no public policy or ACL, and all four Block Public Access settings are on."},
		Items:   []app.Collected{item("policy of bucket logs", "GetBucketPolicy", `{"status":"not-configured","errorCode":"NoSuchBucketPolicy"}`)}}
	denied := app.BucketReport{Bucket: "payroll", Verdict: "Objects can be public", Reasons: []string{"Objects can be public: ..."},
		Problems: []string{"Access denied for S3 GetBucketAcl: the identity lacks the permission s3:GetBucketAcl."},
		Items:    []app.Collected{{Title: "acl of bucket payroll (failed)", Data: []byte("not json"), Problem: "Access denied"}}}

	for _, tc := range []struct {
		name    string
		scanErr error
	}{{"complete", nil}, {"interrupted", context.Canceled}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newCloudFixture(t)
			id := f.incident(t, false)
			f.cloud.scan = []app.BucketReport{publicReport(), private, denied}
			f.cloud.scanErr = tc.scanErr
			var progress [][2]int
			reps, saved, err := f.svc.CollectAccountExposure(ctx, id, app.Profile{Name: "prod"}, func(d, n int) { progress = append(progress, [2]int{d, n}) })
			assert.Equal(t, [][2]int{{1, 3}, {2, 3}, {3, 3}}, progress)
			if tc.scanErr != nil {
				require.ErrorIs(t, err, context.Canceled)
				assert.Contains(t, err.Error(), "(3 kept)")
			} else {
				require.NoError(t, err)
			}
			require.Len(t, reps, 3)
			require.Len(t, saved.Evidence, 1, "one item for the whole scan")
			ev := saved.Evidence[0]
			content, err := f.db.EvidenceContent(ctx, ev.SHA256)
			require.NoError(t, err)
			assert.Equal(t, ev.SHA256, app.HashHex(content))
			var doc struct {
				Account  string
				Complete bool
				Buckets  []struct {
					Bucket    string
					Access    string
					Public    bool
					Reasons   []string
					Responses []struct {
						Title    string
						Response json.RawMessage
						Text     string
						Problem  string
					}
				}
			}
			require.NoError(t, json.Unmarshal(content, &doc))
			assert.Equal(t, "111122223333", doc.Account)
			assert.Equal(t, tc.scanErr == nil, doc.Complete)
			require.Len(t, doc.Buckets, 3)
			assert.Equal(t, "Public", doc.Buckets[0].Access)
			assert.True(t, doc.Buckets[0].Public)
			assert.JSONEq(t, `{"PolicyStatus":{"IsPublic":false}}`, string(doc.Buckets[0].Responses[1].Response), "responses are kept as JSON, not as strings")
			assert.Equal(t, "not json", doc.Buckets[2].Responses[0].Text)
			assert.Equal(t, "Access denied", doc.Buckets[2].Responses[0].Problem)

			entries, err := f.svc.Timeline(ctx, id)
			require.NoError(t, err)
			text := timelineText(entries)
			assert.Contains(t, text, "Exposure scan of account 111122223333 as "+aliceARN+": 3 buckets checked")
			assert.Contains(t, text, "1 public, 1 shared with other accounts")
			assert.Contains(t, text, "Public: customer-data.")
			assert.Contains(t, text, "Some reads failed on: payroll.")
			assert.Contains(t, text, "Exposure of bucket customer-data (eu-west-1): Public")
			assert.NotContains(t, text, "Exposure of bucket logs", "a private bucket is in the scan item, not a finding of its own")
			assert.Equal(t, 2, saved.Entries)
			if tc.scanErr != nil {
				assert.Contains(t, text, "before the scan stopped")
			}
		})
	}
	t.Run("nothing finished: nothing saved", func(t *testing.T) {
		f := newCloudFixture(t)
		id := f.incident(t, false)
		f.cloud.scanErr = errors.New("Access denied for S3 ListBuckets")
		_, saved, err := f.svc.CollectAccountExposure(ctx, id, app.Profile{}, nil)
		require.Error(t, err)
		assert.Empty(t, saved.Evidence)
	})
	t.Run("without an incident nothing is kept", func(t *testing.T) {
		f := newCloudFixture(t)
		f.cloud.scan = []app.BucketReport{private}
		reps, who, err := f.svc.ScanExposure(ctx, app.Profile{}, func(int, int) {})
		require.NoError(t, err)
		assert.Len(t, reps, 1)
		assert.Equal(t, aliceARN, who.ARN)
	})
}

func TestSnapshotBucket(t *testing.T) {
	ctx := context.Background()
	f := newCloudFixture(t)
	id := f.incident(t, false)
	f.cloud.snapshot = []app.Collected{
		item("versioning of bucket customer-data", "GetBucketVersioning", `{"Status":"Enabled"}`),
		item("tags of bucket customer-data (not-configured)", "GetBucketTagging", `{"errorCode":"NoSuchTagSet","status":"not-configured"}`),
		{Title: "logging of bucket customer-data (failed)", Data: []byte(`{"status":"failed"}`), Problem: "Access denied for S3 GetBucketLogging"},
	}
	saved, err := f.svc.SnapshotBucket(ctx, id, app.Profile{Name: "prod"}, "customer-data")
	require.NoError(t, err)
	require.Len(t, saved.Evidence, 3)
	for i, ev := range saved.Evidence {
		f.checkStored(t, id, ev, f.cloud.snapshot[i].Data)
		assert.Equal(t, app.EvidenceSnapshot, ev.Kind, "a snapshot item is filed as a snapshot, for the report appendix")
	}
	entries, err := f.svc.Timeline(ctx, id)
	require.NoError(t, err)
	last := entries[len(entries)-1]
	assert.Equal(t, app.KindEvidence, last.Kind)
	assert.Equal(t, "Configuration snapshot of bucket customer-data as "+aliceARN+": 3 items kept. 1 could not be read: logging of bucket customer-data (failed): Access denied for S3 GetBucketLogging", last.Text)
	assert.Len(t, last.Refs, 3)
}

func TestCollectAccessChangesAtTheirOwnTime(t *testing.T) {
	ctx := context.Background()
	f := newCloudFixture(t)
	id := f.incident(t, false)
	t1 := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	t2 := t1.Add(90 * time.Minute)
	records := `{"Records":[{"eventID":"e-2"},{"eventID":"e-1"}]}`
	f.cloud.changes = app.ChangeReport{
		Since: t1.Add(-24 * time.Hour), Until: cloudNow, Regions: []string{"eu-west-1", "us-east-1"},
		Note: "CloudTrail event history only reaches back 90 days.",
		Changes: []app.Change{
			{ID: "e-2", Name: "DeleteBucketPublicAccessBlock", Time: t2, Region: "eu-west-1", SourceIP: "203.0.113.9", AccessKeyID: "AKIAIOSFODNN7EXAMPLE",
				Summary: "arn:aws:iam::111122223333:user/mallory removed Block Public Access from bucket customer-data (every setting off)."},
			{ID: "e-1", Name: "PutBucketPolicy", Time: t1, Summary: "mallory set the policy of bucket customer-data; the new policy is public."},
		},
		Items: []app.Collected{item("cloudtrail-access-changes", "LookupEvents", records)},
	}
	q := app.ChangeQuery{Bucket: "customer-data", Since: t1.Add(-24 * time.Hour)}
	rep, saved, err := f.svc.CollectAccessChanges(ctx, id, app.Profile{Name: "prod"}, q, nil)
	require.NoError(t, err)
	assert.Len(t, rep.Changes, 2)
	require.Len(t, saved.Evidence, 1)
	f.checkStored(t, id, saved.Evidence[0], []byte(records))
	assert.Equal(t, 3, saved.Entries)

	entries, err := f.svc.Timeline(ctx, id)
	require.NoError(t, err)
	byRef := map[string]app.Entry{}
	for _, e := range entries {
		for _, r := range e.Refs {
			byRef[r] = e
		}
	}
	e2 := byRef["cloudtrail:e-2"]
	assert.Equal(t, t2, e2.EventTime, "recorded at the time of the change")
	assert.Equal(t, cloudNow, e2.RecordedAt)
	assert.Equal(t, app.KindFinding, e2.Kind)
	assert.Equal(t, "Access change: arn:aws:iam::111122223333:user/mallory removed Block Public Access from bucket customer-data (every setting off). (DeleteBucketPublicAccessBlock in eu-west-1 from 203.0.113.9 with key AKIAIOSFODNN7EXAMPLE)", e2.Text)
	assert.Equal(t, []string{saved.Evidence[0].ID, "cloudtrail:e-2"}, e2.Refs)
	assert.Equal(t, t1, byRef["cloudtrail:e-1"].EventTime)
	summary := entries[len(entries)-1]
	assert.Equal(t, fmt.Sprintf("Looked up access changes of bucket customer-data from 2026-03-09T12:00:00Z to 2026-03-14T09:30:00Z in eu-west-1, us-east-1 as %s: 2 found, 2 new on the timeline. CloudTrail event history only reaches back 90 days.", aliceARN), summary.Text)

	// The same lookup again adds the evidence (a new collection) but no
	// second copy of the changes.
	_, saved2, err := f.svc.CollectAccessChanges(ctx, id, app.Profile{Name: "prod"}, q, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, saved2.Entries)
	again, err := f.svc.Timeline(ctx, id)
	require.NoError(t, err)
	assert.Contains(t, again[len(again)-1].Text, "2 found, 0 new on the timeline")
	n := 0
	for _, e := range again {
		if strings.HasPrefix(e.Text, "Access change:") {
			n++
		}
	}
	assert.Equal(t, 2, n)
	_, err = f.svc.Verify(ctx, id)
	require.NoError(t, err)
}

// preflightCloud is a fakeCloud that can also try permissions.
type preflightCloud struct {
	*fakeCloud
	bucket string
}

func (p *preflightCloud) Preflight(_ context.Context, bucket string) ([]app.PermissionCheck, error) {
	p.bucket = bucket
	return []app.PermissionCheck{
		{Permission: "s3:ListAllMyBuckets", Purpose: "list the account's buckets", OK: true},
		{Permission: "s3:GetBucketAcl", Purpose: "judge the exposure", Problem: "refused"},
	}, nil
}

func TestCheckPermissions(t *testing.T) {
	ctx := context.Background()
	f := newCloudFixture(t)
	id := f.incident(t, false)
	_, err := f.svc.CheckPermissions(ctx, id, app.Profile{Name: "prod"}, "customer-data")
	require.ErrorIs(t, err, app.ErrInvalid, "a cloud that cannot try permissions says so")
	assert.Contains(t, err.Error(), `the account of profile "prod" cannot check permissions`)

	pc := &preflightCloud{fakeCloud: f.cloud}
	f.svc.SetConnector(func(context.Context, app.Profile) (app.Cloud, error) { return pc, nil })
	checks, err := f.svc.CheckPermissions(ctx, id, app.Profile{Name: "prod"}, " customer-data ")
	require.NoError(t, err)
	assert.Equal(t, "customer-data", pc.bucket)
	require.Len(t, checks, 2)
	assert.False(t, checks[1].OK)

	ex := f.incident(t, true)
	_, err = f.svc.CheckPermissions(ctx, ex, app.Profile{Name: "prod"}, "")
	require.ErrorIs(t, err, app.ErrInvalid, "the exercise guard holds here too")
}
