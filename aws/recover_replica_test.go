package aws

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// Replica restores run against versitygw, which keeps versions, copies
// across buckets with x-amz-copy-source-if-match, and deletes a version
// by its id. It has no replication (GetBucketReplication answers
// NotImplemented), so a proxy in front of it answers that one call with
// S3's document, naming the replica of bucket "photos", and S3's
// ReplicationConfigurationNotFoundError for every other bucket; every
// other request goes to versitygw as it is, signature included.

func replicationProxy(t *testing.T, target string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bucket := strings.Trim(r.URL.Path, "/")
		if r.Method != http.MethodGet || !r.URL.Query().Has("replication") || strings.Contains(bucket, "/") {
			rp.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/xml")
		if bucket != "photos" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ReplicationConfigurationNotFoundError</Code><Message>The replication configuration was not found</Message></Error>`)
			return
		}
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Role>arn:aws:iam::000000000000:role/replication</Role>`+
			`<Rule><ID>off</ID><Status>Disabled</Status><Priority>2</Priority><Filter><Prefix>old/</Prefix></Filter><Destination><Bucket>arn:aws:s3:::photos-old-replica</Bucket></Destination><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication></Rule>`+
			`<Rule><ID>all</ID><Status>Enabled</Status><Priority>1</Priority><Filter><Prefix></Prefix></Filter><Destination><Bucket>arn:aws:s3:::photos-replica</Bucket><StorageClass>STANDARD_IA</StorageClass></Destination><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication></Rule>`+
			`</ReplicationConfiguration>`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestReplicaRestoreOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	ctx := context.Background()
	proxy := replicationProxy(t, g.s3URL)
	s := *g.s
	s.S3 = s3.New(g.s.S3.Options(), func(o *s3.Options) { o.BaseEndpoint = &proxy.URL })
	e := newChangeEnv(t, &s, false)
	keys := []string{"2024/a b+ü.jpg", "2024/b.jpg", "2024/c.jpg"}
	src := newVersionLab(t, g, "photos", keys)
	rep := newVersionLab(t, g, "photos-replica", nil)
	for _, k := range keys {
		rep.put(t, k, src.orig[k])
	}
	src.put(t, "2024/only-in-source.jpg", []byte("not replicated"))

	ransom := []byte("your photos are encrypted")
	deleted, overwritten := keys[0], keys[1]
	src.del(t, deleted)
	src.put(t, overwritten, ransom)
	src.put(t, "2024/only-in-source.jpg", ransom)
	before := map[string][]string{}
	for _, k := range keys {
		before[k] = src.ids(t, k)
	}

	p := e.plan(t, "s3.replica-restore", map[string]string{"bucket": "photos", "prefix": "2024/"})
	require.NotNil(t, p.Bulk)
	assert.Equal(t, []string{deleted, overwritten}, p.Bulk.Keys)
	assert.Equal(t, "photos-replica", p.Bulk.From)
	assert.Equal(t, "Copy 2 object(s) back from replica photos-replica into bucket photos", p.Title)
	assert.True(t, p.Reversible)
	notes := strings.Join(p.Notes, "\n")
	assert.Contains(t, notes, "The replica is photos-replica, the destination of the replication configuration of photos.")
	assert.Contains(t, notes, `that photos lacks (1) or holds with other bytes (1)`)
	assert.Contains(t, notes, "Left alone, the same in both buckets")
	assert.Contains(t, notes, "e.g. 2024/c.jpg")
	assert.Contains(t, strings.Join(p.Impact, " "), "each copy is a new version on top")
	assert.Contains(t, p.UndoNote, "deletes each copy by its own version id")
	etag := func(l *versionLab, k string) string {
		top, ok := l.history(t, k).Top()
		require.True(t, ok)
		return top.ETag
	}
	assert.Equal(t, `aws s3api copy-object --bucket photos --key '2024/a b+ü.jpg' --copy-source 'photos-replica/2024/a b+ü.jpg' --copy-source-if-match '"`+etag(rep, deleted)+`"' --region us-east-1`, p.CLI[0])
	assert.Contains(t, p.Diff, `"absent": true`)

	run := e.apply(t, p)
	assert.Equal(t, 2, run.Bulk.Applied)
	for _, k := range []string{deleted, overwritten} {
		require.Equal(t, src.orig[k], src.get(t, k), "%s back byte for byte", k)
		now := src.ids(t, k)
		require.Len(t, now, len(before[k])+1, "%s: one new version on top", k)
		assert.Equal(t, before[k], now[1:], "%s: the attacker's entries stay", k)
	}
	assert.Equal(t, ransom, src.get(t, "2024/only-in-source.jpg"), "a key the replica lacks is left alone")
	_, err := e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.replica-restore", Params: map[string]string{"bucket": "photos", "prefix": "2024/"}})
	require.ErrorIs(t, err, app.ErrNoChange)

	e.undo(t, p)
	for _, k := range keys {
		assert.Equal(t, before[k], src.ids(t, k), "%s: undo deleted exactly the copy", k)
	}
	assert.Nil(t, src.get(t, deleted))
	assert.Equal(t, ransom, src.get(t, overwritten))

	// The printed commands do the same by hand: the copy, then its undo.
	p2 := e.plan(t, "s3.replica-restore", map[string]string{"bucket": "photos", "keys": deleted})
	require.Len(t, p2.CLI, 1)
	awsCLI(t, p2.CLI[0], g.s3URL, vgwRoot, vgwRootSecret)
	assert.Equal(t, src.orig[deleted], src.get(t, deleted))
	// The undo is head-object for the copy's version id, then
	// delete-object by it: each run as printed.
	head, del, ok := strings.Cut(app.ObjectCommand(p2.Bulk.UndoCLI, deleted, nil), " && ")
	require.True(t, ok)
	v := strings.TrimSpace(awsCLI(t, strings.TrimSuffix(strings.TrimPrefix(head, "v=$("), ")"), g.s3URL, vgwRoot, vgwRootSecret))
	require.NotEmpty(t, v)
	awsCLI(t, strings.Replace(del, `"$v"`, v, 1), g.s3URL, vgwRoot, vgwRootSecret)
	assert.Equal(t, before[deleted], src.ids(t, deleted))

	// A replica changed after the plan is not copied: the condition on
	// its ETag fails and the object is reported.
	rep.put(t, deleted, []byte("changed in the replica meanwhile"))
	_, err = e.svc.ApplyChange(ctx, e.inc, app.Profile{}, p2.ID, p2.ConfirmWord)
	require.Error(t, err)
	assert.Nil(t, src.get(t, deleted), "nothing copied")
	runs, err := e.svc.ChangeJournal(ctx, e.inc)
	require.NoError(t, err)
	last := runs[len(runs)-1]
	require.Equal(t, p2.ID, last.Plan.ID)
	require.Len(t, last.Bulk.Open, 1)
	assert.Equal(t, app.OutcomeFailed, last.Bulk.Open[0].Outcome)
	assert.Contains(t, last.Bulk.Open[0].Error, "does not hold the content asked for")
	assert.Equal(t, before[deleted], src.ids(t, deleted), "and nothing deleted")

	// Neither is an attacker's version deleted when the replica of an
	// overwritten key changed: the overwrite stays as evidence.
	p3 := e.plan(t, "s3.replica-restore", map[string]string{"bucket": "photos", "keys": overwritten})
	rep.put(t, overwritten, []byte("changed in the replica too"))
	_, err = e.svc.ApplyChange(ctx, e.inc, app.Profile{}, p3.ID, p3.ConfirmWord)
	require.Error(t, err)
	assert.Equal(t, before[overwritten], src.ids(t, overwritten))
	assert.Equal(t, ransom, src.get(t, overwritten))

	t.Run("a bucket without replication needs the replica named", func(t *testing.T) {
		_, err := e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.replica-restore", Params: map[string]string{"bucket": "photos-replica"}})
		require.ErrorIs(t, err, app.ErrInvalid)
		assert.Contains(t, err.Error(), "has no enabled replication rule: name the bucket holding a copy of its objects (replicaBucket)")
	})

	t.Run("an unversioned source: undo removes what was absent and refuses what is gone", func(t *testing.T) {
		plain := newVersionLab(t, g, "plain-replica", []string{"x.txt", "y.txt"})
		_, err := g.s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String("plain")})
		require.NoError(t, err)
		unv := &versionLab{g: g, bucket: "plain", orig: map[string][]byte{}}
		unv.put(t, "y.txt", ransom)

		p := e.plan(t, "s3.replica-restore", map[string]string{"bucket": "plain", "replicaBucket": "plain-replica"})
		assert.Equal(t, []string{"x.txt", "y.txt"}, p.Bulk.Keys)
		assert.Contains(t, strings.Join(p.Notes, " "), "plain-replica is not a destination of the replication configuration of plain")
		assert.Contains(t, strings.Join(p.Impact, " "), "keeps no versions: the current content of the 1 object(s) it holds with other bytes is replaced for good")
		assert.Contains(t, p.UndoNote, "keys whose content a copy replaced cannot be put back")
		assert.Equal(t, "aws s3api delete-object --bucket plain --key {key} --region us-east-1", p.Bulk.UndoCLI)
		e.apply(t, p)
		assert.Equal(t, plain.orig["x.txt"], unv.get(t, "x.txt"))
		assert.Equal(t, plain.orig["y.txt"], unv.get(t, "y.txt"))

		_, err = e.svc.UndoChange(ctx, e.inc, app.Profile{}, p.ID, p.ConfirmWord)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "1 object(s) are not in their planned state")
		assert.Nil(t, unv.get(t, "x.txt"), "the copy of an absent key is deleted")
		assert.Equal(t, plain.orig["y.txt"], unv.get(t, "y.txt"), "the replaced content is gone: the copy stays")
		runs, err := e.svc.ChangeJournal(ctx, e.inc)
		require.NoError(t, err)
		undo := runs[len(runs)-1]
		require.Len(t, undo.Bulk.Open, 1)
		assert.Contains(t, undo.Bulk.Open[0].Error, "keeps no versions: the content the copy replaced in s3://plain/y.txt is gone and cannot be put back")
	})
}
