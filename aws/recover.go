package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"s3responder/app"
)

// Restores of a versioned bucket (Part 4): the version history is read
// with ListObjectVersions, a deleted object comes back by deleting its
// delete marker by the marker's version id, a modified one by copying
// the earlier version over it (CopyObject with ?versionId= in the copy
// source). app/recover.go says what each action does and undoes.

// VersionAPI is the S3 calls of restores, with the SDK's signatures.
type VersionAPI interface {
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, optFns ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	CopyObject(ctx context.Context, in *s3.CopyObjectInput, optFns ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

var (
	_ VersionAPI        = (*s3.Client)(nil)
	_ app.VersionLister = (*Changer)(nil)
)

const (
	// keyPage is how many entries a per-key listing asks for: a key's
	// history fits in it, and other keys sharing its name as a prefix
	// ("a" and "a/b") do not swell the answer.
	keyPage = 100
	// restoreSample is how many objects a restore plan shows in full.
	restoreSample = 10
	// restoreCommands is how many per-object commands a plan prints.
	restoreCommands = 20
	// historyConcurrency bounds the per-key listings of a list of keys.
	historyConcurrency = 16
)

// versions returns the client of version calls, or an error when the S3
// client in use cannot make them (a test double of another interface).
func (c *Changer) versions() (VersionAPI, error) {
	api, ok := c.objects().(VersionAPI)
	if !ok {
		return nil, fmt.Errorf("%w: this connection cannot list or restore object versions", app.ErrInvalid)
	}
	return api, nil
}

// ulidTime reads the time a ULID carries (its first ten characters, in
// Crockford's base 32, are milliseconds since 1970).
func ulidTime(id string) (time.Time, bool) {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	if len(id) != 26 || id[0] > '7' {
		return time.Time{}, false
	}
	var ms uint64
	for i := 0; i < len(id); i++ {
		d := strings.IndexByte(alphabet, id[i])
		if d < 0 {
			return time.Time{}, false
		}
		if i < 10 {
			ms = ms<<5 | uint64(d)
		}
	}
	return time.UnixMilli(int64(ms)).UTC(), true
}

// createdAt is when a version or delete marker was written. AWS lists
// that time, but some S3-compatible stores (versitygw) list, for a
// noncurrent version, the time it stopped being current, in whole
// seconds, and for a delete marker the time of the version it hid. Their
// version ids are ULIDs, which carry the time of writing to the
// millisecond: that time is taken instead. AWS's version ids are 32
// characters long, never ULIDs; a ULID more than a day away from the
// time listed is not trusted.
func createdAt(id string, listed time.Time) time.Time {
	if t, ok := ulidTime(id); ok && t.Sub(listed).Abs() < 24*time.Hour {
		return t
	}
	return listed
}

// convertVersions turns one listing page into entries by key.
func convertVersions(out *s3.ListObjectVersionsOutput, add func(key string, v app.ObjectVersion)) {
	for _, v := range out.Versions {
		add(sdkaws.ToString(v.Key), app.ObjectVersion{
			Key: sdkaws.ToString(v.Key), VersionID: versionID(v.VersionId), IsLatest: sdkaws.ToBool(v.IsLatest),
			LastModified: createdAt(versionID(v.VersionId), sdkaws.ToTime(v.LastModified).UTC()), ETag: strings.Trim(sdkaws.ToString(v.ETag), `"`),
			Size: sdkaws.ToInt64(v.Size), StorageClass: string(v.StorageClass),
		})
	}
	for _, m := range out.DeleteMarkers {
		add(sdkaws.ToString(m.Key), app.ObjectVersion{
			Key: sdkaws.ToString(m.Key), VersionID: versionID(m.VersionId), DeleteMarker: true,
			IsLatest: sdkaws.ToBool(m.IsLatest), LastModified: createdAt(versionID(m.VersionId), sdkaws.ToTime(m.LastModified).UTC()),
		})
	}
}

// versionID names the version of an object written before versioning
// was on the way S3 does: "null".
func versionID(id *string) string {
	if s := sdkaws.ToString(id); s != "" {
		return s
	}
	return "null"
}

// keyHistory lists one key's versions and delete markers.
func (c *Changer) keyHistory(ctx context.Context, bucket, key string) (app.KeyHistory, error) {
	h := app.KeyHistory{Key: key}
	api, err := c.versions()
	if err != nil {
		return h, err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return h, err
	}
	in := &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: &key, MaxKeys: sdkaws.Int32(keyPage)}
	// Some stores (versitygw) repeat an entry at a page boundary.
	seen := map[string]bool{}
	for {
		out, err := api.ListObjectVersions(ctx, in, forRegion(region))
		if err != nil {
			return h, fmt.Errorf("list the versions of s3://%s/%s: %w", bucket, key, Explain(err, c.Profile))
		}
		convertVersions(out, func(k string, v app.ObjectVersion) {
			if k != key || seen[v.VersionID] {
				return
			}
			seen[v.VersionID] = true
			if v.DeleteMarker {
				h.Markers = append(h.Markers, v)
			} else {
				h.Versions = append(h.Versions, v)
			}
		})
		// Keys come in order and the key itself sorts before every longer
		// key it prefixes: once the listing moves past it, it is whole.
		if !sdkaws.ToBool(out.IsTruncated) || sdkaws.ToString(out.NextKeyMarker) != key {
			return h, nil
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}

// ListVersions lists key histories under a prefix, or of given keys, in
// key order (app.VersionLister).
func (c *Changer) ListVersions(ctx context.Context, bucket, prefix string, keys []string, page func([]app.KeyHistory) error) error {
	if len(keys) > 0 {
		return c.listKeyHistories(ctx, bucket, keys, page)
	}
	api, err := c.versions()
	if err != nil {
		return err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return err
	}
	in := &s3.ListObjectVersionsInput{Bucket: &bucket}
	if prefix != "" {
		in.Prefix = &prefix
	}
	open := map[string]*app.KeyHistory{}
	seen := map[string]bool{}
	// from is where the whole histories handed on so far end; at when
	// the page that completed them was asked for.
	from, at := "", time.Now()
	flush := func(before string, all bool) error {
		var done []app.KeyHistory
		whole := map[string]*app.KeyHistory{}
		for k, h := range open {
			if all || k < before {
				done = append(done, *h)
				whole[k] = h
				delete(open, k)
				for _, v := range append(h.Versions, h.Markers...) {
					delete(seen, k+"\x00"+v.VersionID)
				}
			}
		}
		// A restore planned from this listing and applied at once reads
		// these objects again within seconds: they are kept a while.
		to := before
		if all {
			to = ""
		}
		c.restores.keep(bucket, prefix, from, to, whole, at)
		from = before
		if len(done) == 0 {
			return nil
		}
		slices.SortFunc(done, func(a, b app.KeyHistory) int { return strings.Compare(a.Key, b.Key) })
		return page(done)
	}
	for {
		at = time.Now()
		out, err := api.ListObjectVersions(ctx, in, forRegion(region))
		if err != nil {
			return fmt.Errorf("list the versions of bucket %s: %w", bucket, Explain(err, c.Profile))
		}
		convertVersions(out, func(k string, v app.ObjectVersion) {
			h := open[k]
			if h == nil {
				h = &app.KeyHistory{Key: k}
				open[k] = h
			}
			if seen[k+"\x00"+v.VersionID] {
				// Some stores (versitygw) repeat an entry at a page boundary.
				return
			}
			seen[k+"\x00"+v.VersionID] = true
			if v.DeleteMarker {
				h.Markers = append(h.Markers, v)
			} else {
				h.Versions = append(h.Versions, v)
			}
		})
		if !sdkaws.ToBool(out.IsTruncated) || out.NextKeyMarker == nil {
			return flush("", true)
		}
		// Every key before the next page's first is whole.
		if err := flush(sdkaws.ToString(out.NextKeyMarker), false); err != nil {
			return err
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}

// listKeyHistories lists given keys one by one, a few at once, and hands
// them on in key order, 500 at a time.
func (c *Changer) listKeyHistories(ctx context.Context, bucket string, keys []string, page func([]app.KeyHistory) error) error {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	const chunk = 500
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(start+chunk, len(keys))]
		hs := make([]app.KeyHistory, len(part))
		errs := make([]error, len(part))
		var wg sync.WaitGroup
		sem := make(chan struct{}, historyConcurrency)
		for i, k := range part {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				hs[i], errs[i] = c.keyHistory(ctx, bucket, k)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		hs = slices.DeleteFunc(hs, func(h app.KeyHistory) bool { return len(h.Versions) == 0 && len(h.Markers) == 0 })
		if len(hs) > 0 {
			if err := page(hs); err != nil {
				return err
			}
		}
	}
	return nil
}

// versionState is a key's content now, the state of restores: the
// current version's ETag and size, or a delete marker. Version ids are
// left out on purpose: a restore by copy makes a new version with the
// same bytes, and the state must then equal the one planned.
type versionState struct {
	Key          string `json:"key"`
	DeleteMarker bool   `json:"deleteMarker,omitempty"`
	ETag         string `json:"etag,omitempty"`
	Size         *int64 `json:"size,omitempty"`
}

func stateOf(v app.ObjectVersion) versionState {
	if v.DeleteMarker {
		return versionState{Key: v.Key, DeleteMarker: true}
	}
	size := v.Size
	return versionState{Key: v.Key, ETag: v.ETag, Size: &size}
}

func (s versionState) json() json.RawMessage {
	b, _ := json.Marshal(s) // strings, a bool and an int
	return b
}

// matches reports whether an entry shows the state's content.
func (s versionState) matches(v app.ObjectVersion) bool {
	if s.DeleteMarker {
		return v.DeleteMarker
	}
	return !v.DeleteMarker && s.Size != nil && v.ETag == s.ETag && v.Size == *s.Size
}

// asVersion is the state as a version, for content comparisons.
func (s versionState) asVersion() app.ObjectVersion {
	v := app.ObjectVersion{Key: s.Key, DeleteMarker: s.DeleteMarker, ETag: s.ETag}
	if s.Size != nil {
		v.Size = *s.Size
	}
	return v
}

// readObjectVersion returns a key's content now, null when the key has no
// history at all. HeadObject answers for a current version; a key it does
// not find is either hidden by a delete marker (AWS says so in the
// x-amz-delete-marker header) or gone, which only its history tells
// where the header is missing (versitygw).
func (c *Changer) readObjectVersion(ctx context.Context, bucket, key string) (json.RawMessage, error) {
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return nil, err
	}
	out, err := c.objects().HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key}, forRegion(region))
	if err == nil {
		if sdkaws.ToBool(out.DeleteMarker) {
			return versionState{Key: key, DeleteMarker: true}.json(), nil
		}
		size := sdkaws.ToInt64(out.ContentLength)
		return versionState{Key: key, ETag: strings.Trim(sdkaws.ToString(out.ETag), `"`), Size: &size}.json(), nil
	}
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusNotFound {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, Explain(err, c.Profile))
	}
	if re.Response != nil && strings.EqualFold(re.Response.Header.Get("X-Amz-Delete-Marker"), "true") {
		return versionState{Key: key, DeleteMarker: true}.json(), nil
	}
	// A marker or nothing at all: the history says which. One listing
	// page serves the keys that follow too, as a bulk change reads its
	// objects in key order.
	h, ok := c.restores.recent(bucket, key, time.Now())
	if !ok || !hidden(h) || key == "" {
		if h, err = c.historyPage(ctx, bucket, key); err != nil {
			return nil, err
		}
	}
	top, ok := h.Top()
	if !ok {
		return json.RawMessage(nullState), nil
	}
	top.Key = key
	return stateOf(top).json(), nil
}

// hidden reports whether a history agrees with a HEAD that found nothing:
// a delete marker on top, or no entry at all.
func hidden(h app.KeyHistory) bool {
	top, ok := h.Top()
	return !ok || top.DeleteMarker
}

// historyPage lists one page of the bucket's versions from key on and
// keeps every whole history in it for a while, then returns key's. One
// page at a time is listed, so objects read at once share it; a key
// whose history does not fit in the page is listed alone.
func (c *Changer) historyPage(ctx context.Context, bucket, key string) (app.KeyHistory, error) {
	r := &c.restores
	r.pageMu.Lock()
	defer r.pageMu.Unlock()
	if h, ok := r.recent(bucket, key, time.Now()); ok && hidden(h) {
		return h, nil
	}
	if key == "" {
		return c.keyHistory(ctx, bucket, key)
	}
	api, err := c.versions()
	if err != nil {
		return app.KeyHistory{}, err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.KeyHistory{}, err
	}
	// The listing starts after its marker: the key cut short by a byte
	// sorts just before key.
	marker := key[:len(key)-1]
	in := &s3.ListObjectVersionsInput{Bucket: &bucket, MaxKeys: sdkaws.Int32(1000)}
	if marker != "" {
		in.KeyMarker = &marker
	}
	at := time.Now()
	out, err := api.ListObjectVersions(ctx, in, forRegion(region))
	if err != nil {
		return app.KeyHistory{}, fmt.Errorf("list the versions of bucket %s from %s: %w", bucket, key, Explain(err, c.Profile))
	}
	page := map[string]*app.KeyHistory{}
	seen := map[string]bool{}
	convertVersions(out, func(k string, v app.ObjectVersion) {
		if seen[k+"\x00"+v.VersionID] {
			return
		}
		seen[k+"\x00"+v.VersionID] = true
		h := page[k]
		if h == nil {
			h = &app.KeyHistory{Key: k}
			page[k] = h
		}
		if v.DeleteMarker {
			h.Markers = append(h.Markers, v)
		} else {
			h.Versions = append(h.Versions, v)
		}
	})
	end := ""
	if sdkaws.ToBool(out.IsTruncated) {
		end = sdkaws.ToString(out.NextKeyMarker)
		// The last key of a cut page may go on in the next one.
		delete(page, end)
	}
	r.keep(bucket, "", marker, end, page, at)
	if h, ok := r.recent(bucket, key, time.Now()); ok {
		return h, nil
	}
	return c.keyHistory(ctx, bucket, key)
}

// restoreCache remembers, between working out an object's planned state
// and sending its call, the version a restore by copy brings back, so the
// copy needs no second listing. An entry is used once; a resumed or
// undone object, whose planned state comes from the journal, lists its
// history instead.
//
// It also keeps, for historyFresh, the histories of the listing pages
// read for objects a HEAD did not find (historyPage) and of the listing a
// plan was made from: a page serves a few hundred objects, where listing
// each key alone costs a scan of the bucket on some stores (versitygw). A
// key the change writes is forgotten at once.
type restoreCache struct {
	mu sync.Mutex
	m  map[string]app.ObjectVersion

	// pageMu lets one page listing run at a time.
	pageMu  sync.Mutex
	entries map[string]pageEntry
	ranges  []pageRange
	dirty   map[string]bool
}

// historyFresh is how long a listed history is trusted to tell a delete
// marker from no history at all, for an object HEAD does not find, and
// to choose the call that sets an object (the state is re-read after).
const historyFresh = 30 * time.Second

// pageEntry is a key's history as a page listed it.
type pageEntry struct {
	h  app.KeyHistory
	at time.Time
}

// pageRange says a page listed every key with the prefix after from and
// before to (to the end of the bucket when to is ""), whole.
type pageRange struct {
	bucket, prefix, from, to string
	at                       time.Time
}

// keep remembers a page.
func (r *restoreCache) keep(bucket, prefix, from, to string, page map[string]*app.KeyHistory, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.entries == nil || len(r.entries) > 20*restoreCacheSize {
		r.entries, r.ranges, r.dirty = map[string]pageEntry{}, nil, map[string]bool{}
	}
	r.ranges = slices.DeleteFunc(r.ranges, func(p pageRange) bool { return at.Sub(p.at) > historyFresh })
	r.ranges = append(r.ranges, pageRange{bucket: bucket, prefix: prefix, from: from, to: to, at: at})
	for k, h := range page {
		r.entries[bucket+"\x00"+k] = pageEntry{h: *h, at: at}
		delete(r.dirty, bucket+"\x00"+k)
	}
}

// recent returns a key's history from a page listed less than
// historyFresh before now: its entries, or none when the page covered
// the key and it had none. ok is false when no such page is known.
func (r *restoreCache) recent(bucket, key string, now time.Time) (app.KeyHistory, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id := bucket + "\x00" + key
	if r.dirty[id] {
		return app.KeyHistory{}, false
	}
	if e, ok := r.entries[id]; ok && now.Sub(e.at) <= historyFresh {
		return e.h, true
	}
	for _, p := range r.ranges {
		if p.bucket == bucket && now.Sub(p.at) <= historyFresh && strings.HasPrefix(key, p.prefix) && key > p.from && (p.to == "" || key < p.to) {
			if _, listed := r.entries[id]; !listed {
				return app.KeyHistory{Key: key}, true
			}
		}
	}
	return app.KeyHistory{}, false
}

// forget drops what is known of a key the change is about to write.
func (r *restoreCache) forget(bucket, key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dirty == nil {
		r.dirty = map[string]bool{}
	}
	r.dirty[bucket+"\x00"+key] = true
	delete(r.entries, bucket+"\x00"+key)
}

// restoreCacheSize bounds the entries kept: a few batches' worth.
const restoreCacheSize = 4 * app.BulkBatchSize

func (r *restoreCache) remember(bucket, key string, v app.ObjectVersion) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil || len(r.m) >= restoreCacheSize {
		r.m = map[string]app.ObjectVersion{}
	}
	r.m[bucket+"\x00"+key] = v
}

func (r *restoreCache) take(bucket, key string) (app.ObjectVersion, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[bucket+"\x00"+key]
	delete(r.m, bucket+"\x00"+key)
	return v, ok
}

// errNoSource is a restore whose bytes no version of the key holds.
var errNoSource = errors.New("no version of the object holds the content to restore")

// writeObjectVersion sets a key's content with one mutating call, the
// way of the resource kind:
//
//   - ResourceObjectMarker: the delete marker on top is deleted by its
//     version id when the entry directly under it holds the content
//     asked for; a deleted state is set back with a plain DELETE.
//   - ResourceObjectVersion: the newest version holding the content is
//     copied over the current one; to go back, the current version is
//     deleted by its version id when another version holds its bytes
//     (nothing is lost) and the entry under it is the state asked for,
//     otherwise the state is set as it would be by hand (a plain DELETE,
//     or a copy).
func (c *Changer) writeObjectVersion(ctx context.Context, kind, bucket, key string, state json.RawMessage) error {
	var want versionState
	if err := json.Unmarshal(state, &want); err != nil || (!want.DeleteMarker && want.Size == nil) {
		return fmt.Errorf("%w: object version state %s", app.ErrInvalid, state)
	}
	h, recent := c.restores.recent(bucket, key, time.Now())
	c.restores.forget(bucket, key)
	if src, ok := c.restores.take(bucket, key); ok && kind == app.ResourceObjectVersion && want.matches(src) {
		// The version the plan brings back: versions never change, so
		// copying it needs no fresh look at the history.
		return c.copyVersion(ctx, bucket, key, src)
	}
	if !recent {
		// A history listed seconds ago is good enough to choose the call:
		// whichever entry is deleted by its id then, no data is lost, and
		// re-reading after the call shows whether the state holds.
		var err error
		if h, err = c.keyHistory(ctx, bucket, key); err != nil {
			return err
		}
	}
	top, ok := h.Top()
	if !ok {
		return fmt.Errorf("s3://%s/%s has no version left: %w", bucket, key, errNoSource)
	}
	if want.matches(top) {
		return nil
	}
	below, sure := h.Below()
	onTarget := sure && below != nil && want.matches(*below)
	switch {
	case kind == app.ResourceObjectMarker && !want.DeleteMarker:
		if !top.DeleteMarker || !onTarget {
			return fmt.Errorf("%w: the entry on top of s3://%s/%s is %s, not a delete marker lying on the version to bring back; plan s3.restore-version instead",
				app.ErrConflict, bucket, key, top.VersionID)
		}
		return c.deleteVersion(ctx, bucket, key, top.VersionID)
	case want.DeleteMarker && kind == app.ResourceObjectVersion && onTarget && h.Duplicated(top):
		return c.deleteVersion(ctx, bucket, key, top.VersionID)
	case want.DeleteMarker:
		return c.deleteVersion(ctx, bucket, key, "")
	case onTarget && !top.DeleteMarker && h.Duplicated(top):
		return c.deleteVersion(ctx, bucket, key, top.VersionID)
	}
	src, ok := h.NewestWith(want.asVersion())
	if !ok {
		return fmt.Errorf("s3://%s/%s: %w (ETag %s, %d bytes)", bucket, key, errNoSource, want.ETag, *want.Size)
	}
	return c.copyVersion(ctx, bucket, key, src)
}

// deleteVersion deletes one entry of a key by its version id, or, with
// no id, hides the key behind a new delete marker.
func (c *Changer) deleteVersion(ctx context.Context, bucket, key, id string) error {
	api, err := c.versions()
	if err != nil {
		return err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return err
	}
	in := &s3.DeleteObjectInput{Bucket: &bucket, Key: &key}
	if id != "" {
		in.VersionId = &id
	}
	_, err = api.DeleteObject(ctx, in, forRegion(region))
	return err
}

// copyVersion copies one version of a key over the current one, keeping
// its metadata, tags and storage class.
func (c *Changer) copyVersion(ctx context.Context, bucket, key string, src app.ObjectVersion) error {
	api, err := c.versions()
	if err != nil {
		return err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return err
	}
	in := &s3.CopyObjectInput{Bucket: &bucket, Key: &key, CopySource: sdkaws.String(copySource(bucket, key, src.VersionID))}
	if keepClass(src.StorageClass) {
		in.StorageClass = s3types.StorageClass(src.StorageClass)
	}
	_, err = api.CopyObject(ctx, in, forRegion(region))
	return err
}

// keepClass reports whether a copy must name the source's storage class:
// CopyObject writes STANDARD unless told otherwise.
func keepClass(class string) bool {
	return class != "" && class != string(s3types.StorageClassStandard)
}

// copySource is the x-amz-copy-source of a version: bucket and key
// URL-encoded (slashes kept), then ?versionId=.
func copySource(bucket, key, version string) string {
	return uriEncode(bucket) + "/" + uriEncode(key) + "?versionId=" + uriEncode(version)
}

// uriEncode percent-encodes every byte but the unreserved ones and "/".
func uriEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'A' && ch <= 'Z', ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9', ch == '-', ch == '_', ch == '.', ch == '~', ch == '/':
			b.WriteByte(ch)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
		}
	}
	return b.String()
}

// restoreTargetState is a key's planned content: the bytes of the
// version the plan brings back, which a restore by copy remembers for the
// call that follows.
func (c *Changer) restoreTargetState(spec app.BulkSpec, current json.RawMessage) (json.RawMessage, error) {
	var cur versionState
	if err := json.Unmarshal(current, &cur); err != nil || cur.Key == "" {
		return nil, fmt.Errorf("%w: object version state %s", app.ErrInvalid, current)
	}
	t, err := app.RestoreTargetOf(spec, cur.Key)
	if err != nil {
		return nil, err
	}
	v := t.Restore
	v.Key = cur.Key
	if spec.Resource == app.ResourceObjectVersion {
		c.restores.remember(spec.Bucket, cur.Key, v)
	}
	return stateOf(v).json(), nil
}

// restoreParams are a restore request's parameters, checked.
type restoreParams struct {
	bucket, prefix string
	keys           []string
	window         app.RestoreWindow
	concurrency    int
}

func parseRestoreParams(action string, params map[string]string) (restoreParams, error) {
	p := func(name string) string { return strings.TrimSpace(params[name]) }
	r := restoreParams{bucket: p("bucket"), prefix: params["prefix"]}
	if err := needBucket(r.bucket); err != nil {
		return r, err
	}
	for _, k := range keySeparators.Split(params["keys"], -1) {
		if k = strings.TrimSpace(k); k != "" {
			r.keys = append(r.keys, k)
		}
	}
	slices.Sort(r.keys)
	r.keys = slices.Compact(r.keys)
	if len(r.keys) > 0 && r.prefix != "" {
		return r, fmt.Errorf("%w: give keys or a prefix, not both", app.ErrInvalid)
	}
	var err error
	if v := p("since"); v != "" {
		if r.window.Since, err = parseWhen(v, false); err != nil {
			return r, err
		}
	}
	if v := p("until"); v != "" {
		if r.window.Until, err = parseWhen(v, true); err != nil {
			return r, err
		}
		if r.window.Since.IsZero() {
			return r, fmt.Errorf("%w: until needs since: the window is from since to until", app.ErrInvalid)
		}
		if !r.window.Until.After(r.window.Since) {
			return r, fmt.Errorf("%w: until (%s) is not after since (%s)", app.ErrInvalid, v, p("since"))
		}
	}
	r.window.VersionID = p("versionId")
	switch {
	case r.window.VersionID != "" && len(r.keys) != 1:
		return r, fmt.Errorf("%w: versionId names a version of one object: give exactly one key with it", app.ErrInvalid)
	case r.window.VersionID != "" && !r.window.Since.IsZero():
		return r, fmt.Errorf("%w: give versionId or a window (since, until), not both", app.ErrInvalid)
	case action == "s3.restore-version" && r.window.VersionID == "" && r.window.Since.IsZero():
		return r, fmt.Errorf("%w: say since when the objects were changed (since, an RFC 3339 time) or, for one key, the versionId to bring back", app.ErrInvalid)
	}
	if v := p("concurrency"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > app.MaxBulkConcurrency {
			return r, fmt.Errorf("%w: concurrency %q: give a number from 1 to %d", app.ErrInvalid, v, app.MaxBulkConcurrency)
		}
		r.concurrency = n
	}
	return r, nil
}

// parseWhen reads a time as a responder writes it: RFC 3339, the same
// without seconds or zone (UTC), or a date (its start, or with end its
// end).
func parseWhen(s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%w: %q is not a time: use 2026-03-01T14:05:00Z or 2026-03-01", app.ErrInvalid, s)
}

// skipped counts the keys a restore plan leaves out, by reason, with a
// few of their names.
type skipped struct {
	counts map[string]int
	some   map[string][]string
}

func (s *skipped) add(why, key string) {
	if s.counts == nil {
		s.counts, s.some = map[string]int{}, map[string][]string{}
	}
	s.counts[why]++
	if len(s.some[why]) < 5 {
		s.some[why] = append(s.some[why], key)
	}
}

// addCount counts n keys left out for why, without naming them.
func (s *skipped) addCount(why string, n int) {
	if s.counts == nil {
		s.counts, s.some = map[string]int{}, map[string][]string{}
	}
	s.counts[why] += n
}

func (s *skipped) notes() []string {
	whys := make([]string, 0, len(s.counts))
	for w := range s.counts {
		whys = append(whys, w)
	}
	sort.Strings(whys)
	var out []string
	for _, w := range whys {
		more := ""
		if n := s.counts[w] - len(s.some[w]); n > 0 {
			more = fmt.Sprintf(" and %d more", n)
		}
		if len(s.some[w]) == 0 {
			out = append(out, fmt.Sprintf("Left alone, %s: %d object(s).", w, s.counts[w]))
			continue
		}
		out = append(out, fmt.Sprintf("Left alone, %s: %d object(s), e.g. %s%s.", w, s.counts[w], strings.Join(s.some[w], ", "), more))
	}
	return out
}

// planRestore works out s3.restore-version or s3.remove-delete-marker:
// the history of the selection, each changed key's version to bring
// back, a sample, and the exact AWS CLI commands.
func (c *Changer) planRestore(ctx context.Context, action string, params map[string]string) (app.Plan, error) {
	rp, err := parseRestoreParams(action, params)
	if err != nil {
		return app.Plan{}, err
	}
	bucket := rp.bucket
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.Plan{}, err
	}
	api, err := c.versions()
	if err != nil {
		return app.Plan{}, err
	}
	var notes []string
	vo, err := api.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket}, forRegion(region))
	switch {
	case err != nil:
		notes = append(notes, "The versioning status could not be read ("+Explain(err, c.Profile).Error()+").")
	case vo.Status == "":
		return app.Plan{}, fmt.Errorf("bucket %s has never had versioning on: a deleted or overwritten object left no earlier version to bring back (look for copies elsewhere: replicas, backups, step 4.2 to 4.5): %w", bucket, app.ErrNoChange)
	case vo.Status == s3types.BucketVersioningStatusSuspended:
		notes = append(notes, "Versioning of "+bucket+" is suspended: objects written since hold the version id \"null\" and each such write replaced the one before it for good; only versions from while it was on can be brought back.")
	}

	kind, call := app.ResourceObjectVersion, "CopyObject"
	if action == "s3.remove-delete-marker" {
		kind, call = app.ResourceObjectMarker, "DeleteObject"
	}
	spec := app.BulkSpec{Bucket: bucket, Resource: kind, Call: call, UndoCall: "DeleteObject", Concurrency: rp.concurrency,
		Args: map[string]string{}}
	var skip skipped
	var chosen []app.KeyChange
	changes := map[string]int{}
	seen := map[string]bool{}
	errTooMany := errors.New("too many")
	err = c.ListVersions(ctx, bucket, rp.prefix, rp.keys, func(hs []app.KeyHistory) error {
		for _, h := range hs {
			seen[h.Key] = true
			k := app.ClassifyKey(h, rp.window)
			switch {
			case k.Change == app.KeyUnchanged:
				continue
			case !k.Restorable():
				skip.add(k.Change, k.Key)
				continue
			case action == "s3.remove-delete-marker" && !k.Current.DeleteMarker:
				skip.add("overwritten, not deleted (use s3.restore-version)", k.Key)
				continue
			case action == "s3.remove-delete-marker" && !k.MarkerOnly:
				skip.add("not only a delete marker on the version to bring back (overwritten first, deleted twice, or in an order the listing leaves unsure): use s3.restore-version", k.Key)
				continue
			}
			if len(chosen) == app.BulkThreshold {
				return errTooMany
			}
			enc, err := app.EncodeRestoreTarget(k)
			if err != nil {
				return err
			}
			spec.Args[app.RestoreArg+k.Key] = enc
			changes[k.Change]++
			chosen = append(chosen, k)
		}
		return nil
	})
	if errors.Is(err, errTooMany) {
		return app.Plan{}, fmt.Errorf("%w: more than %d objects to restore: narrow the prefix or the window, or copy them with an S3 Batch Operations job", app.ErrInvalid, app.BulkThreshold)
	}
	if err != nil {
		return app.Plan{}, err
	}
	for _, k := range rp.keys {
		if !seen[k] {
			skip.add("no version nor delete marker at all", k)
		}
	}
	where := "bucket " + bucket
	if rp.prefix != "" {
		where += fmt.Sprintf(" under %q", rp.prefix)
	}
	if len(chosen) == 0 {
		extra := ""
		if len(skip.counts) > 0 {
			extra = " (" + strings.Join(skip.notes(), " ") + ")"
		}
		return app.Plan{}, fmt.Errorf("no object of %s needs restoring for %s%s: %w", where, rp.window, extra, app.ErrNoChange)
	}
	for _, k := range chosen {
		spec.Keys = append(spec.Keys, k.Key)
	}
	spec.Objects = len(spec.Keys)
	if !rp.window.Since.IsZero() {
		spec.Args["since"] = rp.window.Since.Format(time.RFC3339)
	}
	if !rp.window.Until.IsZero() {
		spec.Args["until"] = rp.window.Until.Format(time.RFC3339)
	}
	if rp.window.VersionID != "" {
		spec.Args["versionId"] = rp.window.VersionID
	}
	for i, k := range chosen {
		if i == restoreSample {
			break
		}
		cur := k.Current
		cur.Key = k.Key
		target := *k.Restore
		target.Key = k.Key
		spec.Sample = append(spec.Sample, app.ObjectChange{Key: k.Key, Before: stateOf(cur).json(), After: stateOf(target).json()})
	}

	// The per-object commands: exact for the first keys, a template for
	// the timeline, and the undo, which needs nothing but the key.
	var cli []string
	for i, k := range chosen {
		if i == restoreCommands {
			cli = append(cli, fmt.Sprintf("# ... and %d more, one per object, each with its own version id (the plan lists them: s3responder act journal ID --json)", len(chosen)-restoreCommands))
			break
		}
		cli = append(cli, c.restoreCommand(region, action, bucket, k))
	}
	if action == "s3.remove-delete-marker" {
		spec.CLI = strings.Replace(c.command(region, "s3api", "delete-object", "--bucket", bucket, "--key", "__KEY__", "--version-id", "__MARKER__"), "__KEY__", "{key}", 1)
		spec.CLI = strings.Replace(spec.CLI, "__MARKER__", "<the delete marker's VersionId>", 1)
		spec.UndoCLI = strings.Replace(c.command(region, "s3api", "delete-object", "--bucket", bucket, "--key", "__KEY__"), "__KEY__", "{key}", 1)
	} else {
		spec.CLI = strings.Replace(c.command(region, "s3api", "copy-object", "--bucket", bucket, "--key", "__KEY__", "--copy-source", "__SOURCE__"), "__KEY__", "{key}", 1)
		spec.CLI = strings.Replace(spec.CLI, "__SOURCE__", "'"+bucket+"/<key>?versionId=<the version to bring back>'", 1)
		// Deleting the current version by its id: the one the restore
		// made, which head-object names. Nothing is deleted when
		// head-object fails.
		head := strings.Replace(c.command(region, "s3api", "head-object", "--bucket", bucket, "--key", "__KEY__", "--query", "VersionId", "--output", "text"), "__KEY__", "{key}", 1)
		del := strings.Replace(c.command(region, "s3api", "delete-object", "--bucket", bucket, "--key", "__KEY__", "--version-id", "__ID__"), "__KEY__", "{key}", 1)
		spec.UndoCLI = "v=$(" + head + ") && " + strings.Replace(del, "__ID__", `"$v"`, 1)
	}

	counts := make([]string, 0, len(changes))
	for _, ch := range []string{app.KeyDeleted, app.KeyOverwritten, app.KeyOverwrittenDeleted} {
		if n := changes[ch]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, ch))
		}
	}
	what := fmt.Sprintf("%d object(s)", len(chosen))
	notes = append(notes, fmt.Sprintf("Selection: the objects of %s changed for %s: %s.", where, rp.window, strings.Join(counts, ", ")))
	notes = append(notes, skip.notes()...)
	notes = append(notes,
		"Each object's version to bring back is fixed in this plan (its version id, ETag and size): applying it later restores what is shown here, and an object changed again meanwhile is still brought back to that version.",
		"Each object's content is read and written to the journal, in batches of 500, before its call: a crash loses nothing and resume sends nothing twice.",
	)
	var title string
	var impact []string
	var undoNote string
	if action == "s3.remove-delete-marker" {
		title = fmt.Sprintf("Remove the delete markers hiding %s in bucket %s", what, bucket)
		impact = []string{
			"Each object becomes readable again exactly as it was (same version id, bytes, metadata, tags and ACL): whoever could read it before the deletion can read it again, an attacker still holding access included: contain first.",
			"Only the delete markers are deleted, by their version ids; no version with data is touched.",
		}
		undoNote = "Undo hides each object again behind a new delete marker (a plain DELETE, as the deletion itself was); the versions stay."
	} else {
		title = fmt.Sprintf("Restore %s of bucket %s (%s)", what, bucket, rp.window)
		if rp.window.VersionID != "" {
			title = fmt.Sprintf("Restore s3://%s/%s to version %s", bucket, chosen[0].Key, rp.window.VersionID)
		}
		impact = []string{
			"Each object's earlier version is copied over the current one: a new version with the same bytes, metadata and tags becomes current. Writes made in the window, legitimate ones included, stop being current; they and the attacker's delete markers stay in the history as evidence.",
			"A copy gets the bucket's default ACL and encryption, not the old version's ACL; objects encrypted with customer-provided keys (SSE-C) and versions in archive storage classes cannot be copied and are reported one by one.",
			"On buckets encrypted with SSE-KMS, and for objects uploaded in parts, S3 gives the copy a new ETag: re-reading then cannot tell it holds the same bytes, and such objects are reported as not holding.",
		}
		undoNote = "Undo deletes each copy this change made, by its version id, which puts each object's history back exactly as before the restore (the attacker's content or delete marker current again)."
	}
	return app.Plan{
		Action: action, Title: title, Target: "bucket " + bucket, Region: region, Broad: true, ConfirmWord: bucket, Reversible: true,
		Bulk: &spec, CLI: cli, Impact: impact, Notes: notes, UndoNote: undoNote,
	}, nil
}

// restoreCommand is the AWS CLI command that restores one key.
func (c *Changer) restoreCommand(region, action, bucket string, k app.KeyChange) string {
	if action == "s3.remove-delete-marker" {
		return c.command(region, "s3api", "delete-object", "--bucket", bucket, "--key", k.Key, "--version-id", k.Current.VersionID)
	}
	// The AWS CLI URL-encodes the copy source itself (the SDK for Go
	// sends it as given): it takes the key as it is.
	args := []string{"s3api", "copy-object", "--bucket", bucket, "--key", k.Key, "--copy-source", bucket + "/" + k.Key + "?versionId=" + k.Restore.VersionID}
	if keepClass(k.Restore.StorageClass) {
		args = append(args, "--storage-class", k.Restore.StorageClass)
	}
	return c.command(region, args...)
}
