package tabletop

// The object calls of the simulated S3: listings, reads, writes, copies,
// deletes and restores of archived objects, over each key's history.

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"s3responder/exposure"
)

// pageSize is a listing's MaxKeys: 1,000 at most, as S3 caps it.
func s3PageSize(n *int32) int {
	if n == nil || *n > 1000 {
		return 1000
	}
	return int(max(*n, 0))
}

func (a s3API) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "ListObjectsV2"
	b, bs, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	prefix, delim, limit := sdkaws.ToString(in.Prefix), sdkaws.ToString(in.Delimiter), s3PageSize(in.MaxKeys)
	after := sdkaws.ToString(in.StartAfter)
	if tok := sdkaws.ToString(in.ContinuationToken); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return nil, s3Err(op, http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect")
		}
		after = max(after, string(raw))
	}
	out := &s3.ListObjectsV2Output{Name: sdkaws.String(b.spec.Name), Prefix: in.Prefix, Delimiter: in.Delimiter, MaxKeys: sdkaws.Int32(int32(limit)),
		StartAfter: in.StartAfter, ContinuationToken: in.ContinuationToken, IsTruncated: sdkaws.Bool(false)}
	n, last, now := 0, "", a.now()
	seen := map[string]bool{}
	for _, k := range bs.keys[listStart(bs.keys, after, prefix):] {
		if !strings.HasPrefix(k, prefix) {
			if k > prefix {
				break
			}
			continue
		}
		v := bs.current(k)
		if v == nil || v.marker {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if seen[cp] {
					continue
				}
				if n == limit {
					out.IsTruncated = sdkaws.Bool(true)
					break
				}
				seen[cp] = true
				out.CommonPrefixes = append(out.CommonPrefixes, s3types.CommonPrefix{Prefix: sdkaws.String(cp)})
				n++
				last = cp + "\U0010FFFF"
				continue
			}
		}
		if n == limit {
			out.IsTruncated = sdkaws.Bool(true)
			break
		}
		obj := s3types.Object{Key: sdkaws.String(k), LastModified: sdkaws.Time(v.modified), ETag: quotedETag(v.etag), Size: sdkaws.Int64(v.size),
			StorageClass: s3types.ObjectStorageClass(v.class)}
		if sdkaws.ToBool(in.FetchOwner) {
			obj.Owner = &s3types.Owner{ID: sdkaws.String(v.acl.Owner.ID)}
		}
		// Asked for, a restore's state comes with the listing (as
		// HeadObject's x-amz-restore does, one object at a time).
		if r := v.restoreOf(now); r != nil && slices.Contains(in.OptionalObjectAttributes, s3types.OptionalObjectAttributesRestoreStatus) {
			obj.RestoreStatus = &s3types.RestoreStatus{IsRestoreInProgress: sdkaws.Bool(now.Before(r.done))}
			if !now.Before(r.done) {
				obj.RestoreStatus.RestoreExpiryDate = sdkaws.Time(r.expiry())
			}
		}
		out.Contents = append(out.Contents, obj)
		n++
		last = k
	}
	out.KeyCount = sdkaws.Int32(int32(n))
	if *out.IsTruncated {
		out.NextContinuationToken = sdkaws.String(base64.RawURLEncoding.EncodeToString([]byte(last)))
	}
	return out, nil
}

// from returns where a listing starts: the first key after after that
// can start with prefix.
func listStart(keys []string, after, prefix string) int {
	i, ok := slices.BinarySearch(keys, after)
	if ok {
		i++
	}
	j, _ := slices.BinarySearch(keys, prefix)
	return max(i, j)
}

func (a s3API) ListObjectVersions(_ context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "ListObjectVersions"
	b, bs, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	prefix, limit := sdkaws.ToString(in.Prefix), s3PageSize(in.MaxKeys)
	keyMarker, idMarker := sdkaws.ToString(in.KeyMarker), sdkaws.ToString(in.VersionIdMarker)
	if idMarker != "" && keyMarker == "" {
		return nil, s3Err(op, http.StatusBadRequest, "InvalidArgument", "A version-id marker cannot be specified without a key marker.")
	}
	out := &s3.ListObjectVersionsOutput{Name: sdkaws.String(b.spec.Name), Prefix: in.Prefix, KeyMarker: in.KeyMarker, VersionIdMarker: in.VersionIdMarker,
		MaxKeys: sdkaws.Int32(int32(limit)), IsTruncated: sdkaws.Bool(false)}
	start := listStart(bs.keys, keyMarker, prefix)
	if idMarker != "" {
		// The marker's own key goes on after its version.
		i, _ := slices.BinarySearch(bs.keys, keyMarker)
		start = max(i, listStart(bs.keys, "", prefix))
	}
	n := 0
	var lastKey, lastID string
	owner := &s3types.Owner{ID: sdkaws.String(a.sc.CanonicalID)}
outer:
	for _, k := range bs.keys[start:] {
		if !strings.HasPrefix(k, prefix) {
			if k > prefix {
				break
			}
			continue
		}
		h := bs.history[k]
		if k == keyMarker && idMarker != "" {
			i := slices.IndexFunc(h, func(v *s3Version) bool { return v.id == idMarker })
			if i < 0 {
				continue
			}
			h = h[i+1:]
		}
		for _, v := range h {
			if n == limit {
				out.IsTruncated = sdkaws.Bool(true)
				out.NextKeyMarker, out.NextVersionIdMarker = sdkaws.String(lastKey), sdkaws.String(lastID)
				break outer
			}
			latest := bs.history[k][0] == v
			if v.marker {
				out.DeleteMarkers = append(out.DeleteMarkers, s3types.DeleteMarkerEntry{Key: sdkaws.String(k), VersionId: sdkaws.String(v.id),
					IsLatest: sdkaws.Bool(latest), LastModified: sdkaws.Time(v.modified), Owner: owner})
			} else {
				out.Versions = append(out.Versions, s3types.ObjectVersion{Key: sdkaws.String(k), VersionId: sdkaws.String(v.id),
					IsLatest: sdkaws.Bool(latest), LastModified: sdkaws.Time(v.modified), ETag: quotedETag(v.etag), Size: sdkaws.Int64(v.size),
					StorageClass: s3types.ObjectVersionStorageClass(v.class), Owner: owner})
			}
			n++
			lastKey, lastID = k, v.id
		}
	}
	return out, nil
}

// Objects.

func (a s3API) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "HeadObject"
	_, bs, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	v, err := a.objectEntry(op, bs, in.Key, in.VersionId, "NotFound")
	if err != nil {
		return nil, err
	}
	now := a.now()
	out := &s3.HeadObjectOutput{AcceptRanges: sdkaws.String("bytes"), ContentLength: sdkaws.Int64(v.size), ContentType: sdkaws.String(v.ctype),
		ETag: quotedETag(v.etag), LastModified: sdkaws.Time(v.modified), Metadata: maps.Clone(v.meta)}
	if out.Metadata == nil {
		out.Metadata = map[string]string{}
	}
	a.objectHeaders(bs, v, &out.VersionId, &out.StorageClass, &out.ServerSideEncryption, &out.SSEKMSKeyId)
	if r := v.restoreHeader(now); r != "" {
		out.Restore = sdkaws.String(r)
	}
	if !v.retainUntil.IsZero() {
		out.ObjectLockMode = s3types.ObjectLockMode(v.lockMode)
		out.ObjectLockRetainUntilDate = sdkaws.Time(v.retainUntil)
	}
	return out, nil
}

// objectHeaders fills what HeadObject and GetObject say alike: the
// version id (only once the bucket was ever versioned), the storage
// class (S3 leaves STANDARD out) and the encryption.
func (a s3API) objectHeaders(bs *bucketS3, v *s3Version, id **string, class *s3types.StorageClass, sse *s3types.ServerSideEncryption, kms **string) {
	if bs.versioning != "" {
		*id = sdkaws.String(v.id)
	}
	if v.class != "STANDARD" {
		*class = s3types.StorageClass(v.class)
	}
	*sse = s3types.ServerSideEncryption(v.sse)
	if v.kmsKey != "" {
		*kms = sdkaws.String(v.kmsKey)
	}
}

func (a s3API) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "GetObject"
	_, bs, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	v, err := a.objectEntry(op, bs, in.Key, in.VersionId, "NoSuchKey")
	if err != nil {
		return nil, err
	}
	now := a.now()
	if !v.readable(now) {
		return nil, s3Err(op, http.StatusForbidden, "InvalidObjectState", "The operation is not valid for the object's storage class")
	}
	out := &s3.GetObjectOutput{AcceptRanges: sdkaws.String("bytes"), ContentLength: sdkaws.Int64(v.size), ContentType: sdkaws.String(v.ctype),
		ETag: quotedETag(v.etag), LastModified: sdkaws.Time(v.modified), Metadata: maps.Clone(v.meta), Body: io.NopCloser(v.reader())}
	a.objectHeaders(bs, v, &out.VersionId, &out.StorageClass, &out.ServerSideEncryption, &out.SSEKMSKeyId)
	if r := v.restoreHeader(now); r != "" {
		out.Restore = sdkaws.String(r)
	}
	return out, nil
}

// checkClass refuses a storage class S3 does not know.
func checkStorageClass(op string, class s3types.StorageClass) (string, error) {
	if class == "" {
		return "STANDARD", nil
	}
	if !slices.Contains(storageClasses, string(class)) {
		return "", s3Err(op, http.StatusBadRequest, "InvalidStorageClass", "The storage class you specified is not valid")
	}
	return string(class), nil
}

// newObjectACL is the ACL of an object written with a canned ACL (or
// none: private), as S3 allows it on the bucket.
func (a s3API) newObjectACL(op string, b *bucket, canned s3types.ObjectCannedACL) (aclState, error) {
	if canned == "" {
		return buildACL("", nil, a.sc.CanonicalID), nil
	}
	st, err := a.s3ACLInput(op, string(canned), nil)
	if err != nil {
		return aclState{}, err
	}
	if b.ownership == exposure.OwnershipEnforced && canned == s3types.ObjectCannedACLBucketOwnerFullControl {
		return st, nil // the one ACL a bucket without ACLs takes
	}
	return st, a.checkS3ACLWrite(op, b, st)
}

func (a s3API) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	var body []byte
	if in.Body != nil {
		var err error
		if body, err = io.ReadAll(in.Body); err != nil {
			return nil, fmt.Errorf("read the body of s3://%s/%s: %w", sdkaws.ToString(in.Bucket), sdkaws.ToString(in.Key), err)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "PutObject"
	b, bs, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	key := sdkaws.ToString(in.Key)
	if key == "" || len(key) > 1024 {
		return nil, s3Err(op, http.StatusBadRequest, "KeyTooLongError", "Your key is too long")
	}
	class, err := checkStorageClass(op, in.StorageClass)
	if err != nil {
		return nil, err
	}
	acl, err := a.newObjectACL(op, b, in.ACL)
	if err != nil {
		return nil, err
	}
	if body == nil {
		body = []byte{}
	}
	sum := md5.Sum(body)
	v := &s3Version{size: int64(len(body)), etag: hex.EncodeToString(sum[:]), body: body, class: class, acl: acl,
		meta: maps.Clone(in.Metadata), ctype: sdkaws.ToString(in.ContentType)}
	if v.ctype == "" {
		v.ctype = "binary/octet-stream"
	}
	a.writeVersion(b, bs, key, v)
	out := &s3.PutObjectOutput{ETag: quotedETag(v.etag), ServerSideEncryption: s3types.ServerSideEncryption(v.sse)}
	if bs.versioning != "" {
		out.VersionId = sdkaws.String(v.id)
	}
	return out, nil
}

// parseCopySource reads x-amz-copy-source: bucket/key, URL-encoded, with
// an optional ?versionId=.
func parseCopySource(src string) (bucket, key, version string, ok bool) {
	src = strings.TrimPrefix(src, "/")
	p, q, _ := strings.Cut(src, "?")
	if q != "" {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return "", "", "", false
		}
		version = vals.Get("versionId")
	}
	p, err := url.PathUnescape(p)
	if err != nil {
		return "", "", "", false
	}
	bucket, key, ok = strings.Cut(p, "/")
	return bucket, key, version, ok && bucket != "" && key != ""
}

func (a s3API) CopyObject(_ context.Context, in *s3.CopyObjectInput, _ ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "CopyObject"
	b, bs, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	sb, skey, sid, ok := parseCopySource(sdkaws.ToString(in.CopySource))
	if !ok {
		return nil, s3Err(op, http.StatusBadRequest, "InvalidArgument", "Invalid copy source object key")
	}
	_, sbs, err := a.bucketOf(op, &sb)
	if err != nil {
		return nil, err
	}
	var src *s3Version
	if sid != "" {
		if src = sbs.version(skey, sid); src == nil {
			return nil, s3Err(op, http.StatusNotFound, "NoSuchVersion", "The specified version does not exist.")
		}
		if src.marker {
			return nil, s3Err(op, http.StatusBadRequest, "InvalidRequest", "The source of a copy request may not specifically refer to a delete marker by version id.")
		}
	} else if src = sbs.current(skey); src == nil || src.marker {
		return nil, s3Err(op, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
	}
	now := a.now()
	if !src.readable(now) {
		return nil, s3Err(op, http.StatusForbidden, "ObjectNotInActiveTierError", "The source object of the COPY action is not in the active tier and is only stored in Amazon S3 Glacier.")
	}
	class, err := checkStorageClass(op, in.StorageClass)
	if err != nil {
		return nil, err
	}
	key := sdkaws.ToString(in.Key)
	replace := in.MetadataDirective == s3types.MetadataDirectiveReplace
	if sb == b.spec.Name && skey == key && src == sbs.current(skey) && !replace && in.StorageClass == "" && in.ServerSideEncryption == "" {
		return nil, s3Err(op, http.StatusBadRequest, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	acl, err := a.newObjectACL(op, b, in.ACL)
	if err != nil {
		return nil, err
	}
	v := &s3Version{size: src.size, etag: src.etag, body: src.body, class: class, acl: acl, meta: maps.Clone(src.meta), ctype: src.ctype}
	if replace {
		v.meta, v.ctype = maps.Clone(in.Metadata), sdkaws.ToString(in.ContentType)
	}
	srcID := src.id
	a.writeVersion(b, bs, key, v)
	out := &s3.CopyObjectOutput{CopyObjectResult: &s3types.CopyObjectResult{ETag: quotedETag(v.etag), LastModified: sdkaws.Time(v.modified)},
		ServerSideEncryption: s3types.ServerSideEncryption(v.sse)}
	if bs.versioning != "" {
		out.VersionId = sdkaws.String(v.id)
	}
	if sbs.versioning != "" {
		out.CopySourceVersionId = sdkaws.String(srcID)
	}
	return out, nil
}

func (a s3API) DeleteObject(_ context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "DeleteObject"
	b, bs, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	key := sdkaws.ToString(in.Key)
	if id := sdkaws.ToString(in.VersionId); id != "" {
		v := bs.version(key, id)
		if v == nil {
			return &s3.DeleteObjectOutput{VersionId: in.VersionId}, nil // S3 answers 204 for nothing to delete
		}
		if !v.marker && a.now().Before(v.retainUntil) && (v.lockMode == "COMPLIANCE" || !sdkaws.ToBool(in.BypassGovernanceRetention)) {
			return nil, s3Err(op, http.StatusForbidden, "AccessDenied", "Access Denied because object protected by object lock.")
		}
		bs.remove(key, id)
		out := &s3.DeleteObjectOutput{VersionId: sdkaws.String(id)}
		if v.marker {
			out.DeleteMarker = sdkaws.Bool(true)
		}
		return out, nil
	}
	if bs.versioning == "" {
		bs.remove(key, "null")
		return &s3.DeleteObjectOutput{}, nil
	}
	m := &s3Version{marker: true}
	a.writeVersion(b, bs, key, m)
	return &s3.DeleteObjectOutput{DeleteMarker: sdkaws.Bool(true), VersionId: sdkaws.String(m.id)}, nil
}

// RestoreObject asks for a temporary copy of an archived version: done
// after the tier's time on the backend's simClock; asked again once done,
// it only moves the copy's expiry.
func (a s3API) RestoreObject(_ context.Context, in *s3.RestoreObjectInput, _ ...func(*s3.Options)) (*s3.RestoreObjectOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "RestoreObject"
	_, bs, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	v, err := a.objectEntry(op, bs, in.Key, in.VersionId, "NoSuchKey")
	if err != nil {
		return nil, err
	}
	if !archived(v.class) {
		return nil, s3Err(op, http.StatusForbidden, "ObjectAlreadyInActiveTierError", "Restore is not allowed for the object's current storage class")
	}
	req := in.RestoreRequest
	if req == nil || sdkaws.ToInt32(req.Days) < 1 {
		return nil, s3Err(op, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	tier := "Standard"
	if req.GlacierJobParameters != nil && req.GlacierJobParameters.Tier != "" {
		tier = string(req.GlacierJobParameters.Tier)
	} else if req.Tier != "" {
		tier = string(req.Tier)
	}
	d := restoreTime(v.class, tier)
	if d == 0 {
		return nil, s3Err(op, http.StatusBadRequest, "InvalidArgument", fmt.Sprintf("Tier %s is not supported for the %s storage class", tier, v.class))
	}
	now := a.now().UTC()
	if r := v.restoreOf(now); r != nil {
		if now.Before(r.done) {
			// A faster tier speeds a restore under way up (S3's restore
			// speed upgrade); anything else is refused while it runs.
			if faster := now.Add(d); faster.Before(r.done) {
				r.tier, r.done = tier, faster
				return &s3.RestoreObjectOutput{}, nil
			}
			return nil, s3Err(op, http.StatusConflict, "RestoreAlreadyInProgress", "Object restore is already in progress")
		}
		r.done, r.days = now, sdkaws.ToInt32(req.Days)
		return &s3.RestoreObjectOutput{}, nil
	}
	v.restore = &restoreState{tier: tier, done: now.Add(d), days: sdkaws.ToInt32(req.Days)}
	return &s3.RestoreObjectOutput{}, nil
}
