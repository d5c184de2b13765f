package aws

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// No local server keeps storage classes or restores (kumo stores every
// object as STANDARD and answers HEAD without x-amz-restore; versitygw
// has no archive), so glacierS3 speaks S3's REST protocol for the calls
// of an archive restore: GetBucketLocation, ListObjectsV2, HeadObject
// (x-amz-storage-class, x-amz-archive-status, x-amz-restore) and
// RestoreObject (POST ?restore with a RestoreRequest document), with S3's
// answers: 202 for a new restore, 200 for one of a restored copy, 409
// RestoreAlreadyInProgress, 403 InvalidObjectState for an object that is
// not archived. The SDK and the AWS CLI send it their real requests.
// Everything else of the account (STS) is kumo's.

// glacierObject is an object of the fake: its class and restore status.
type glacierObject struct {
	class, archive string
	size           int
	ongoing        bool
	restored       bool
	expiry         time.Time
}

// restoreCall is a RestoreObject the fake received.
type restoreCall struct {
	Key, Tier string
	Days      int
}

type glacierS3 struct {
	*httptest.Server
	bucket string
	mu     sync.Mutex
	objs   map[string]*glacierObject
	calls  []restoreCall
}

func newGlacierS3(t *testing.T, bucket string, objs map[string]*glacierObject) *glacierS3 {
	f := &glacierS3{bucket: bucket, objs: objs}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *glacierS3) fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>fake</RequestId></Error>`, code, msg)
}

func (f *glacierS3) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()
	if bucket != f.bucket {
		f.fail(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return
	}
	switch {
	case key == "" && q.Has("location"):
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`)
	case key == "" && q.Get("list-type") == "2":
		var keys []string
		for k := range f.objs {
			if strings.HasPrefix(k, q.Get("prefix")) {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var b strings.Builder
		fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>`, f.bucket, q.Get("prefix"), len(keys))
		for _, k := range keys {
			o := f.objs[k]
			var ek strings.Builder
			_ = xml.EscapeText(&ek, []byte(k))
			fmt.Fprintf(&b, `<Contents><Key>%s</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&quot;etag-%d&quot;</ETag><Size>%d</Size><StorageClass>%s</StorageClass></Contents>`, ek.String(), o.size, o.size, o.class)
		}
		b.WriteString(`</ListBucketResult>`)
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, b.String())
	case key != "" && r.Method == http.MethodHead:
		o, ok := f.objs[key]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		h := w.Header()
		h.Set("ETag", fmt.Sprintf(`"etag-%d"`, o.size))
		h.Set("Content-Length", strconv.Itoa(o.size))
		h.Set("Last-Modified", "Fri, 02 Jan 2026 03:04:05 GMT")
		if o.class != "STANDARD" {
			h.Set("x-amz-storage-class", o.class)
		}
		if o.archive != "" {
			h.Set("x-amz-archive-status", o.archive)
		}
		switch {
		case o.ongoing:
			h.Set("x-amz-restore", `ongoing-request="true"`)
		case o.restored && o.expiry.IsZero():
			h.Set("x-amz-restore", `ongoing-request="false"`)
		case o.restored:
			h.Set("x-amz-restore", `ongoing-request="false", expiry-date="`+o.expiry.UTC().Format(http.TimeFormat)+`"`)
		}
		w.WriteHeader(http.StatusOK)
	case key != "" && r.Method == http.MethodPost && q.Has("restore"):
		o, ok := f.objs[key]
		if !ok {
			f.fail(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Days int    `xml:"Days"`
			Tier string `xml:"GlacierJobParameters>Tier"`
		}
		if err := xml.Unmarshal(body, &req); err != nil {
			f.fail(w, http.StatusBadRequest, "MalformedXML", err.Error())
			return
		}
		deep := o.class == "DEEP_ARCHIVE" || o.archive == "DEEP_ARCHIVE_ACCESS"
		switch {
		case !(o.class == "GLACIER" || o.class == "DEEP_ARCHIVE" || o.archive != ""):
			f.fail(w, http.StatusForbidden, "InvalidObjectState", "Restore is not allowed for the object's current storage class")
		case o.class == "INTELLIGENT_TIERING" && req.Days != 0:
			f.fail(w, http.StatusBadRequest, "InvalidArgument", "Days is not accepted for Intelligent-Tiering")
		case o.class != "INTELLIGENT_TIERING" && req.Days < 1:
			f.fail(w, http.StatusBadRequest, "InvalidArgument", "Days is required")
		case deep && req.Tier == "Expedited":
			f.fail(w, http.StatusBadRequest, "InvalidArgument", "Expedited is not offered for Deep Archive")
		case o.ongoing:
			f.fail(w, http.StatusConflict, "RestoreAlreadyInProgress", "Object restore is already in progress")
		default:
			f.calls = append(f.calls, restoreCall{Key: key, Tier: req.Tier, Days: req.Days})
			if o.restored {
				// A restored copy: S3 moves its expiry and answers 200.
				w.WriteHeader(http.StatusOK)
				return
			}
			o.ongoing = true
			w.WriteHeader(http.StatusAccepted)
		}
	default:
		f.fail(w, http.StatusNotImplemented, "NotImplemented", r.Method+" "+r.URL.String())
	}
}

// complete finishes a restore, as S3 does hours later.
func (f *glacierS3) complete(key string, expiry time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.objs[key]
	o.ongoing, o.restored, o.expiry = false, true, expiry
	if o.class == "INTELLIGENT_TIERING" {
		// Moved back to the Frequent Access tier, with no expiry.
		o.archive, o.expiry = "", time.Time{}
	}
}

func (f *glacierS3) restores() []restoreCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]restoreCall(nil), f.calls...)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func TestRestoreArchivedObjectsOnAnS3WireFake(t *testing.T) {
	const bucket = "vault"
	f := newGlacierS3(t, bucket, map[string]*glacierObject{
		"glacier/a b.bin":    {class: "GLACIER", size: 10},
		"glacier/b.bin":      {class: "GLACIER", size: 11},
		"glacier/h.bin":      {class: "GLACIER", size: 12, ongoing: true},
		"deep/c.bin":         {class: "DEEP_ARCHIVE", size: 13},
		"it/d.bin":           {class: "INTELLIGENT_TIERING", archive: "ARCHIVE_ACCESS", size: 14},
		"it/e.bin":           {class: "INTELLIGENT_TIERING", size: 15},
		"gir/f.bin":          {class: "GLACIER_IR", size: 16},
		"std/g.bin":          {class: "STANDARD", size: 17},
		"deep/deep-cli.bin":  {class: "DEEP_ARCHIVE", size: 18},
		"it/deep-access.bin": {class: "INTELLIGENT_TIERING", archive: "DEEP_ARCHIVE_ACCESS", size: 19},
	})
	k := kumoServer()
	s := connectTo(t, k.URL)
	// S3 alone goes to the fake (isolate clears AWS_ENDPOINT_URL_S3).
	s.S3 = s3.New(s.S3.Options(), func(o *s3.Options) { o.BaseEndpoint = &f.URL })
	e := newChangeEnv(t, s, false)
	ctx := context.Background()
	plan := func(params map[string]string) (app.Plan, error) {
		return e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.restore-archived", Params: params})
	}

	// Expedited over the whole bucket: the deep archives cannot take it,
	// and objects that are not archived, or already on their way, are left.
	p := e.plan(t, "s3.restore-archived", map[string]string{"bucket": bucket, "tier": "Expedited", "days": "3"})
	require.NotNil(t, p.Bulk)
	assert.Equal(t, []string{"glacier/a b.bin", "glacier/b.bin", "it/d.bin"}, p.Bulk.Keys)
	assert.Equal(t, "Restore 3 archived object(s) of bucket vault (Expedited tier)", p.Title)
	assert.False(t, p.Reversible)
	assert.Equal(t, bucket, p.ConfirmWord)
	assert.Equal(t, []string{
		`aws s3api restore-object --bucket vault --key 'glacier/a b.bin' --restore-request '{"Days":3,"GlacierJobParameters":{"Tier":"Expedited"}}' --region us-east-1`,
		`aws s3api restore-object --bucket vault --key glacier/b.bin --restore-request '{"Days":3,"GlacierJobParameters":{"Tier":"Expedited"}}' --region us-east-1`,
		`aws s3api restore-object --bucket vault --key it/d.bin --restore-request '{"GlacierJobParameters":{"Tier":"Expedited"}}' --region us-east-1`,
	}, p.CLI)
	notes := strings.Join(p.Notes, "\n")
	assert.Contains(t, notes, "2 object(s) in S3 Glacier Flexible Retrieval: Expedited restores take typically 1 to 5 minutes")
	assert.Contains(t, notes, "1 object(s) in S3 Intelligent-Tiering Archive Access tier: Expedited restores take typically 1 to 5 minutes")
	assert.Contains(t, notes, "in S3 Glacier Deep Archive, which offers no Expedited restores")
	assert.Contains(t, notes, "in S3 Intelligent-Tiering Deep Archive Access tier, which offers no Expedited restores")
	assert.Contains(t, notes, "Left alone, in S3 Glacier Instant Retrieval, which is read directly and needs no restore: 1 object(s)")
	assert.Contains(t, notes, "Left alone, a restore is already in progress: 1 object(s), e.g. glacier/h.bin")
	assert.Contains(t, notes, "not archived (INTELLIGENT_TIERING): readable as it is: 1 object(s), e.g. it/e.bin")
	assert.Contains(t, notes, "not archived (STANDARD): readable as it is: 1 object(s).")
	assert.Contains(t, notes, `ongoing-request="true"`)
	impact := strings.Join(p.Impact, " ")
	assert.Contains(t, impact, "readable for 3 day(s)")
	assert.Contains(t, impact, "Frequent Access tier")
	assert.Contains(t, impact, "charged")
	assert.Contains(t, p.Diff, `"restore": "in-progress"`)

	run := e.apply(t, p)
	assert.Equal(t, 3, run.Bulk.Applied)
	assert.Equal(t, 3, run.Waiting, "S3 still works on the three restores")
	assert.Equal(t, []restoreCall{{"glacier/a b.bin", "Expedited", 3}, {"glacier/b.bin", "Expedited", 3}, {"it/d.bin", "Expedited", 0}}, f.restores())
	tl := e.timelineText(t)
	assert.Contains(t, tl, "Restores: 0 readable now, 3 still in progress.")

	// Hours later two are done: resuming verifies again and says so.
	expiry := time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)
	f.complete("glacier/a b.bin", expiry)
	f.complete("it/d.bin", time.Time{})
	runs, err := e.svc.ResumeChanges(ctx, e.inc, app.Profile{})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.True(t, runs[0].Verified)
	assert.Equal(t, 1, runs[0].Waiting)
	assert.Contains(t, e.timelineText(t), "Restores: 2 readable now, 1 still in progress. The restored copies expire from 2026-12-10T00:00:00Z to 2026-12-10T00:00:00Z.")
	assert.Len(t, f.restores(), 3, "resuming sends nothing again")
	f.complete("glacier/b.bin", expiry)
	runs, err = e.svc.ResumeChanges(ctx, e.inc, app.Profile{})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Zero(t, runs[0].Waiting)
	runs, err = e.svc.ResumeChanges(ctx, e.inc, app.Profile{})
	require.NoError(t, err)
	assert.Empty(t, runs, "once every restore is done there is nothing to resume")

	// A restore cannot be undone, and the refusal says why.
	_, err = e.svc.PlanUndo(ctx, e.inc, app.Profile{}, p.ID)
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "A restore cannot be cancelled")
	assert.Contains(t, err.Error(), "expire by themselves 3 day(s) after the restore completes")

	// Standard and Bulk from the deep archives, with their own times.
	p, err = plan(map[string]string{"bucket": bucket, "prefix": "deep/", "tier": "bulk"})
	require.NoError(t, err)
	assert.Contains(t, strings.Join(p.Notes, " "), "2 object(s) in S3 Glacier Deep Archive: Bulk restores take typically within 48 hours")
	p, err = plan(map[string]string{"bucket": bucket, "keys": "it/deep-access.bin"})
	require.NoError(t, err)
	assert.Contains(t, strings.Join(p.Notes, " "), "1 object(s) in S3 Intelligent-Tiering Deep Archive Access tier: Standard restores take typically within 12 hours")

	// Bad requests, and objects that need no restore.
	for _, tc := range []struct {
		params map[string]string
		target error
		text   string
	}{
		{map[string]string{"bucket": bucket, "tier": "Fast"}, app.ErrInvalid, "give Expedited, Standard or Bulk"},
		{map[string]string{"bucket": bucket, "days": "0"}, app.ErrInvalid, "1 or more"},
		{map[string]string{"bucket": bucket, "keys": "gir/f.bin"}, app.ErrNoChange, "S3 Glacier Instant Retrieval, which is read directly and needs no restore"},
		{map[string]string{"bucket": bucket, "keys": "nothing/here.bin"}, app.ErrNoChange, "no such object"},
		{map[string]string{"bucket": bucket, "prefix": "glacier/"}, app.ErrNoChange, "already restored"},
	} {
		_, err := plan(tc.params)
		require.ErrorIs(t, err, tc.target, "%v", tc.params)
		assert.Contains(t, err.Error(), tc.text)
	}

	// The printed commands, run with the AWS CLI, make the same request,
	// and the check command shows the restore under way; the change then
	// finds it so and sends nothing.
	p = e.plan(t, "s3.restore-archived", map[string]string{"bucket": bucket, "keys": "deep/deep-cli.bin", "days": "2"})
	require.Len(t, p.CLI, 1)
	before := len(f.restores())
	awsCLI(t, p.CLI[0], f.URL, "AKIAEXAMPLEKEY000001", "fakesecretfakesecretfakesecret")
	calls := f.restores()
	require.Len(t, calls, before+1)
	assert.Contains(t, calls, restoreCall{"deep/deep-cli.bin", "Standard", 2})
	var check string
	for _, n := range p.Notes {
		if _, after, ok := strings.Cut(n, "By hand: "); ok {
			check = strings.TrimSuffix(after, ".")
		}
	}
	require.NotEmpty(t, check)
	out := awsCLI(t, app.ObjectCommand(check, "deep/deep-cli.bin", nil), f.URL, "AKIAEXAMPLEKEY000001", "fakesecretfakesecretfakesecret")
	assert.Contains(t, out, `"DEEP_ARCHIVE"`)
	assert.Contains(t, out, `ongoing-request=\"true\"`)
	run = e.apply(t, p)
	assert.Equal(t, 1, run.Bulk.Already)
	assert.Len(t, f.restores(), before+1, "nothing sent twice")
}
