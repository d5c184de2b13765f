package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/store"
)

// logCloud is an account whose log bucket "copies" by answering with a
// fixed result; plainCloud is one that has no log bucket to offer (an
// exercise's simulated account, say).
type plainCloud struct{ id app.Identity }

func (c *plainCloud) Identity(context.Context) (app.Identity, error) { return c.id, nil }
func (c *plainCloud) CheckBucket(context.Context, string) (app.BucketReport, error) {
	return app.BucketReport{}, nil
}
func (c *plainCloud) ScanAccount(context.Context, app.Progress) ([]app.BucketReport, error) {
	return nil, nil
}
func (c *plainCloud) Snapshot(context.Context, string) ([]app.Collected, error) { return nil, nil }
func (c *plainCloud) AccessChanges(context.Context, app.ChangeQuery, app.Progress) (app.ChangeReport, error) {
	return app.ChangeReport{}, nil
}

type logCloud struct {
	plainCloud
	got []app.LogDownload
}

func (c *logCloud) DownloadLogs(_ context.Context, req app.LogDownload, progress func(app.LogDownloadProgress)) (app.LogDownloadResult, error) {
	c.got = append(c.got, req)
	progress(app.LogDownloadProgress{FilesDone: 1, FilesTotal: 1, BytesDone: 10, BytesTotal: 10})
	return app.LogDownloadResult{Bucket: req.Bucket, Prefix: req.Prefix, Dir: req.Dir, Downloaded: 1, Bytes: 10,
		Files: []app.DownloadedLog{{Key: req.Prefix + "a.json.gz", Path: filepath.Join(req.Dir, "a.json.gz"), Size: 10}}}, nil
}

func openStore(t *testing.T) *app.Service {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "incidents.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return app.NewService(db, builtin(t), "alice")
}

func TestAddFindingsKeepTheirOwnTime(t *testing.T) {
	ctx := context.Background()
	svc := openStore(t)
	c, err := svc.Create(ctx, app.NewIncident{Title: "Logs read"})
	require.NoError(t, err)
	id := c.Incident.ID
	before, err := svc.Timeline(ctx, id)
	require.NoError(t, err)

	read := time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	change := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	_, err = svc.AddFindings(ctx, id, []app.Finding{
		{Text: "key AKIA… read 2 objects", EventTime: read, Refs: []string{"EV-1"}},
		{Text: "  ", EventTime: change},
	})
	require.ErrorIs(t, err, app.ErrInvalid)
	after, err := svc.Timeline(ctx, id)
	require.NoError(t, err)
	require.Len(t, after, len(before), "a bad finding writes none of the batch")

	_, err = svc.AddFindings(ctx, id, []app.Finding{
		{Text: "key AKIA… read 2 objects", EventTime: read, Refs: []string{"EV-1"}},
		{Text: "policy of exports changed", EventTime: change},
	})
	require.NoError(t, err)
	_, err = svc.AddFinding(ctx, id, "one more", time.Time{})
	require.NoError(t, err)

	after, err = svc.Timeline(ctx, id)
	require.NoError(t, err)
	require.Len(t, after, len(before)+3)
	got := after[len(before):]
	for _, e := range got {
		assert.Equal(t, app.KindFinding, e.Kind)
		assert.Equal(t, "alice", e.Actor)
	}
	assert.Equal(t, read.UTC(), got[0].EventTime, "the event's time, in UTC")
	assert.Equal(t, []string{"EV-1"}, got[0].Refs)
	assert.Equal(t, change, got[1].EventTime)
	assert.Equal(t, got[2].RecordedAt, got[2].EventTime, "zero means now")
	n, err := svc.Verify(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, len(after), n)

	_, err = svc.AddFinding(ctx, "INC-20260101-NOSUCH", "x", read)
	assert.ErrorIs(t, err, app.ErrNotFound)
}

func TestDownloadLogsThroughTheConnection(t *testing.T) {
	ctx := context.Background()
	alice := app.Identity{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/alice"}
	tests := []struct {
		name     string
		cloud    app.Cloud
		exercise bool
		req      app.LogDownload
		want     error
		wantText string
	}{
		{"copies", &logCloud{plainCloud: plainCloud{alice}}, false, app.LogDownload{Bucket: "logs", Prefix: "AWSLogs/", Dir: "d"}, nil, ""},
		{"no bucket", &logCloud{plainCloud: plainCloud{alice}}, false, app.LogDownload{Bucket: " ", Dir: "d"}, app.ErrInvalid, "which bucket"},
		{"no folder", &logCloud{plainCloud: plainCloud{alice}}, false, app.LogDownload{Bucket: "logs"}, app.ErrInvalid, "which folder"},
		{"account without logs", &plainCloud{alice}, false, app.LogDownload{Bucket: "logs", Dir: "d"}, app.ErrInvalid, "cannot hand over log files"},
		{"exercise never reaches AWS", &logCloud{plainCloud: plainCloud{alice}}, true, app.LogDownload{Bucket: "logs", Dir: "d"}, app.ErrInvalid, "is an exercise"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc := openStore(t)
			connects := 0
			svc.SetConnector(func(context.Context, app.Profile) (app.Cloud, error) {
				connects++
				return tc.cloud, nil
			})
			c, err := svc.Create(ctx, app.NewIncident{Title: "Logs", Exercise: tc.exercise})
			require.NoError(t, err)
			var calls []app.LogDownloadProgress
			res, id, err := svc.DownloadLogs(ctx, c.Incident.ID, app.Profile{Name: "ir"}, tc.req, func(p app.LogDownloadProgress) { calls = append(calls, p) })
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				assert.Contains(t, err.Error(), tc.wantText)
				if tc.exercise {
					assert.Zero(t, connects, "the guard comes before any connection")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, alice, id)
			assert.Equal(t, []string{filepath.Join("d", "a.json.gz")}, res.Paths())
			require.Len(t, calls, 1)
			assert.Equal(t, []app.LogDownload{tc.req}, tc.cloud.(*logCloud).got)
		})
	}
}

func TestParseS3URL(t *testing.T) {
	tests := []struct {
		in, bucket, prefix string
		ok                 bool
	}{
		{"s3://logs/AWSLogs/111122223333/", "logs", "AWSLogs/111122223333/", true},
		{"S3://logs", "logs", "", true},
		{"logs/AWSLogs", "logs", "AWSLogs", true},
		{"s3:///AWSLogs", "", "", false},
		{"", "", "", false},
		{`s3://a\b/x`, "", "", false},
		{"s3://../etc", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			b, p, err := app.ParseS3URL(tc.in)
			if !tc.ok {
				require.Error(t, err)
				assert.True(t, errors.Is(err, app.ErrInvalid))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.bucket, b)
			assert.Equal(t, tc.prefix, p)
		})
	}
	assert.True(t, app.IsS3URL(" s3://x"))
	assert.False(t, app.IsS3URL("/home/x/s3://"))
}

func TestAddUniqueEvidenceTwiceInOneSecond(t *testing.T) {
	ctx := context.Background()
	svc := openStore(t)
	now := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	svc.SetClock(func() time.Time { return now })
	c, err := svc.Create(ctx, app.NewIncident{Title: "Logs"})
	require.NoError(t, err)
	content := []byte("same files\n")
	a, err := svc.AddUniqueEvidence(ctx, c.Incident.ID, app.Evidence{Title: "files", Kind: "file"}, content)
	require.NoError(t, err)
	b, err := svc.AddUniqueEvidence(ctx, c.Incident.ID, app.Evidence{Title: "files again", Kind: "file"}, content)
	require.NoError(t, err)
	assert.Equal(t, "EV-20260314T093000-"+app.HashHex(content)[:8], a.ID)
	assert.Equal(t, a.ID+"-2", b.ID)
	_, err = svc.AddEvidence(ctx, c.Incident.ID, app.Evidence{Title: "plain", Kind: "file"}, content)
	assert.Error(t, err, "the plain use case keeps its default id, which is taken")
	items, err := svc.ListEvidence(ctx, c.Incident.ID)
	require.NoError(t, err)
	assert.Len(t, items, 2)
}
