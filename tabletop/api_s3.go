package tabletop

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"s3responder/aws"
	"s3responder/exposure"
)

// s3API is the simulated account's S3: every call the aws package makes,
// answered over the world as S3 answers it, refusals included (same error
// codes and HTTP statuses), so the package's checks, plans and changes
// cannot tell it from the real one.
type s3API struct{ *backend }

var _ aws.S3API = s3API{}

// s3Version is one entry of a key's history: a version or a delete marker.
type s3Version struct {
	id       string // "null" for a version written without versioning
	marker   bool
	size     int64
	etag     string // bare, as S3 computes it for a single-part upload
	body     []byte // nil: stand-in bytes of size (a scenario's object)
	modified time.Time
	class    string
	acl      aclState
	meta     map[string]string
	ctype    string
	sse      string // the bucket's default encryption when it was written
	kmsKey   string
	// retainUntil is the Object Lock default retention it was written
	// under; lockMode its mode.
	retainUntil time.Time
	lockMode    string
	restore     *restoreState
}

// restoreState is a restore of an archived version: requested, done at
// done, readable until expiry.
type restoreState struct {
	tier string
	done time.Time
	days int32
}

// expiry is when the restored copy goes: days after the restore is done,
// rounded up to the next midnight UTC, as S3 does.
func (r *restoreState) expiry() time.Time {
	return r.done.Add(time.Duration(r.days) * 24 * time.Hour).UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
}

// restoreOf returns the version's restore, nil once the copy expired.
func (v *s3Version) restoreOf(now time.Time) *restoreState {
	if v.restore == nil || !now.Before(v.restore.expiry()) {
		return nil
	}
	return v.restore
}

// readable reports whether the version's bytes can be read now.
func (v *s3Version) readable(now time.Time) bool {
	if !archived(v.class) {
		return true
	}
	r := v.restoreOf(now)
	return r != nil && !now.Before(r.done)
}

// restoreHeader is HeadObject's x-amz-restore, "" without a restore.
func (v *s3Version) restoreHeader(now time.Time) string {
	r := v.restoreOf(now)
	switch {
	case r == nil:
		return ""
	case now.Before(r.done):
		return `ongoing-request="true"`
	}
	return `ongoing-request="false", expiry-date="` + r.expiry().Format(http.TimeFormat) + `"`
}

// content returns the version's bytes.
func (v *s3Version) content() []byte {
	b, _ := io.ReadAll(v.reader())
	return b
}

// reader reads the version's bytes: its body, or stand-in bytes made as
// they are read (a scenario's export may be tens of megabytes), the same
// for the same ETag and size every time.
func (v *s3Version) reader() io.Reader {
	if v.body != nil {
		return bytes.NewReader(v.body)
	}
	return io.LimitReader(&standIn{seed: []byte(v.etag)}, v.size)
}

// standIn repeats its seed for ever.
type standIn struct {
	seed []byte
	off  int
}

func (s *standIn) Read(p []byte) (int, error) {
	if len(s.seed) == 0 {
		s.seed = []byte{0}
	}
	for i := range p {
		p[i] = s.seed[s.off%len(s.seed)]
		s.off++
	}
	return len(p), nil
}

// bucketS3 is what of a bucket only the S3 API reads and sets: its
// configurations and every key's history.
type bucketS3 struct {
	versioning  string
	encryption  s3types.ServerSideEncryptionConfiguration
	lock        *ObjectLock
	replication *Replication
	lifecycle   []LifecycleRule
	logging     *Logging
	tags        map[string]string
	website     string
	keys        []string                // sorted
	history     map[string][]*s3Version // newest first
	seq         int
}

// sseS3 is the default encryption of every bucket without another
// (SSE-S3): since January 2023 S3 has no unencrypted buckets, and
// deleting a bucket's configuration goes back to it.
func sseS3() s3types.ServerSideEncryptionConfiguration {
	return s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
		ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256},
		BucketKeyEnabled:                   sdkaws.Bool(false)}}}
}

// s3State returns the bucket's S3 state, built from the scenario on
// first use. The caller holds be.mu.
func (be *backend) s3State(b *bucket) *bucketS3 {
	if b.s3 != nil {
		return b.s3
	}
	spec, owner := b.spec, be.sc.CanonicalID
	bs := &bucketS3{versioning: spec.Versioning, encryption: sseS3(), lock: spec.ObjectLock, replication: spec.Replication,
		lifecycle: spec.Lifecycle, logging: spec.Logging, tags: maps.Clone(spec.Tags), website: spec.Website,
		history: map[string][]*s3Version{}}
	if e := spec.Encryption; e != nil {
		d := &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryption(e.Algorithm)}
		if e.KMSKeyID != "" {
			d.KMSMasterKeyID = sdkaws.String(e.KMSKeyID)
		}
		bs.encryption = s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: d, BucketKeyEnabled: sdkaws.Bool(e.BucketKey)}}}
	}
	for i := range spec.Objects {
		o := &spec.Objects[i]
		cur := &s3Version{id: "null", marker: o.DeleteMarker, size: o.Size, modified: o.LastModified, class: o.StorageClass,
			acl: buildACL(o.ACL, o.Grants, owner)}
		if spec.Versioning != "" {
			cur.id = versionID(spec.Name, o.Key, -1)
		}
		if o.Restore != nil {
			cur.restore = &restoreState{tier: o.Restore.Tier, done: o.Restore.Requested.Add(restoreTime(o.StorageClass, o.Restore.Tier)), days: o.Restore.Days}
		}
		h := []*s3Version{be.fillVersion(bs, o.Key, cur, o.Body)}
		older := slices.Clone(o.Versions)
		slices.SortStableFunc(older, func(x, y Version) int { return y.LastModified.Compare(x.LastModified) })
		for _, v := range older {
			h = append(h, be.fillVersion(bs, o.Key, &s3Version{id: v.VersionID, marker: v.DeleteMarker, size: v.Size,
				modified: v.LastModified, class: v.StorageClass, acl: buildACL("", nil, owner)}, v.Body))
		}
		bs.history[o.Key] = h
		bs.keys = append(bs.keys, o.Key)
	}
	slices.Sort(bs.keys)
	b.s3 = bs
	return bs
}

// fill completes a scenario's version: its body, ETag and encryption.
func (be *backend) fillVersion(bs *bucketS3, key string, v *s3Version, body string) *s3Version {
	if v.marker {
		v.size, v.class = 0, ""
		return v
	}
	if body != "" {
		v.body = []byte(body)
		v.etag = bodyETag(body)
	} else {
		// Stand-in bytes follow from the key and the size: a replica's
		// copy of an object has the same ETag as the original.
		sum := md5.Sum(fmt.Appendf(nil, "tabletop stand-in %s %d", key, v.size))
		v.etag = hex.EncodeToString(sum[:])
	}
	v.sse, v.kmsKey = encryptionOf(bs.encryption)
	if l := bs.lock; l != nil && l.Mode != "" {
		v.lockMode, v.retainUntil = l.Mode, v.modified.AddDate(int(l.Years), 0, int(l.Days))
	}
	return v
}

func encryptionOf(c s3types.ServerSideEncryptionConfiguration) (string, string) {
	if len(c.Rules) == 0 || c.Rules[0].ApplyServerSideEncryptionByDefault == nil {
		return "", ""
	}
	d := c.Rules[0].ApplyServerSideEncryptionByDefault
	return string(d.SSEAlgorithm), sdkaws.ToString(d.KMSMasterKeyID)
}

// s3Err is a refusal of simulated S3.
func s3Err(op string, status int, code, msg string) error {
	return apiError("S3", op, status, code, msg)
}

// withHeader adds a response header to a refusal, as S3 sends
// x-amz-delete-marker with the 404 of a key hidden by a delete marker.
func withS3Header(err error, name, value string) error {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		re.Response.Header.Set(name, value)
	}
	return err
}

func noSuchBucket(op string) error {
	return s3Err(op, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
}

// lookup finds a bucket and its S3 state. The caller holds be.mu.
func (be *backend) bucketOf(op string, name *string) (*bucket, *bucketS3, error) {
	// Batch Operations jobs whose time has come have run: their changes
	// show in every call after it, read or not.
	for _, j := range be.w.jobs {
		be.advanceJob(j)
	}
	for _, b := range be.w.buckets {
		if b.spec.Name == sdkaws.ToString(name) {
			return b, be.s3State(b), nil
		}
	}
	return nil, nil, noSuchBucket(op)
}

// current returns a key's newest entry, nil when the key has none.
func (bs *bucketS3) current(key string) *s3Version {
	if h := bs.history[key]; len(h) > 0 {
		return h[0]
	}
	return nil
}

// version finds one entry of a key by id.
func (bs *bucketS3) version(key, id string) *s3Version {
	for _, v := range bs.history[key] {
		if v.id == id {
			return v
		}
	}
	return nil
}

// newID makes the id of a new version: 32 characters, unique in the
// bucket, the same in every run of the same exercise.
func (bs *bucketS3) newID(bucket, key string) string {
	bs.seq++
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%s new %d", bucket, key, bs.seq))
	return base64.RawURLEncoding.EncodeToString(sum[:24])[:32]
}

// add writes a new entry on top of a key's history, as the bucket's
// versioning decides: a new version id when Enabled; the "null" entry
// replaced when Suspended; the whole object replaced when never enabled.
func (bs *bucketS3) add(bucket, key string, v *s3Version) {
	h := bs.history[key]
	switch bs.versioning {
	case "Enabled":
		v.id = bs.newID(bucket, key)
	case "Suspended":
		v.id = "null"
		h = slices.DeleteFunc(slices.Clone(h), func(o *s3Version) bool { return o.id == "null" })
	default:
		v.id = "null"
		h = nil
	}
	bs.history[key] = append([]*s3Version{v}, h...)
	if i, ok := slices.BinarySearch(bs.keys, key); !ok {
		bs.keys = slices.Insert(bs.keys, i, key)
	}
}

// remove deletes one entry of a key for good.
func (bs *bucketS3) remove(key, id string) {
	h := slices.DeleteFunc(slices.Clone(bs.history[key]), func(o *s3Version) bool { return o.id == id })
	if len(h) > 0 {
		bs.history[key] = h
		return
	}
	delete(bs.history, key)
	if i, ok := slices.BinarySearch(bs.keys, key); ok {
		bs.keys = slices.Delete(bs.keys, i, i+1)
	}
}

// stamp sets what a bucket gives every version written to it: its time,
// default encryption and Object Lock retention.
func (be *backend) stampVersion(bs *bucketS3, v *s3Version) {
	v.modified = be.now().UTC().Truncate(time.Second)
	v.sse, v.kmsKey = encryptionOf(bs.encryption)
	if l := bs.lock; l != nil && l.Mode != "" {
		v.lockMode = l.Mode
		v.retainUntil = v.modified.AddDate(int(l.Years), 0, int(l.Days))
	}
}

// write adds a version to a key and replicates it when the bucket's
// replication covers the key. The caller holds be.mu.
func (be *backend) writeVersion(b *bucket, bs *bucketS3, key string, v *s3Version) {
	be.stampVersion(bs, v)
	bs.add(b.spec.Name, key, v)
	r := bs.replication
	if r == nil || v.marker || !strings.HasPrefix(key, r.Prefix) {
		return
	}
	for _, d := range be.w.buckets {
		if d.spec.Name == r.Destination {
			ds := be.s3State(d)
			cp := *v
			if r.StorageClass != "" {
				cp.class = r.StorageClass
			}
			cp.restore = nil
			be.stampVersion(ds, &cp)
			ds.add(d.spec.Name, key, &cp)
		}
	}
}

func quotedETag(etag string) *string { return sdkaws.String(`"` + etag + `"`) }

func (a s3API) GetBucketLocation(_ context.Context, in *s3.GetBucketLocationInput, _ ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, _, err := a.bucketOf("GetBucketLocation", in.Bucket)
	if err != nil {
		return nil, err
	}
	loc := b.spec.Region
	if loc == "us-east-1" {
		loc = "" // S3 says nothing for its first region
	}
	return &s3.GetBucketLocationOutput{LocationConstraint: s3types.BucketLocationConstraint(loc)}, nil
}

func (a s3API) ListBuckets(_ context.Context, in *s3.ListBucketsInput, _ ...func(*s3.Options)) (*s3.ListBucketsOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := &s3.ListBucketsOutput{Owner: &s3types.Owner{ID: sdkaws.String(a.sc.CanonicalID)}, Prefix: in.Prefix}
	for _, b := range a.w.buckets {
		if !strings.HasPrefix(b.spec.Name, sdkaws.ToString(in.Prefix)) {
			continue
		}
		if r := sdkaws.ToString(in.BucketRegion); r != "" && r != b.spec.Region {
			continue
		}
		out.Buckets = append(out.Buckets, s3types.Bucket{Name: sdkaws.String(b.spec.Name), CreationDate: sdkaws.Time(b.spec.Created), BucketRegion: sdkaws.String(b.spec.Region)})
	}
	slices.SortFunc(out.Buckets, func(x, y s3types.Bucket) int { return strings.Compare(*x.Name, *y.Name) })
	return out, nil
}

// Bucket policy.

func (a s3API) GetBucketPolicy(_ context.Context, in *s3.GetBucketPolicyInput, _ ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, _, err := a.bucketOf("GetBucketPolicy", in.Bucket)
	if err != nil {
		return nil, err
	}
	if b.policy == "" {
		return nil, s3Err("GetBucketPolicy", http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist")
	}
	return &s3.GetBucketPolicyOutput{Policy: sdkaws.String(b.policy)}, nil
}

func (a s3API) PutBucketPolicy(_ context.Context, in *s3.PutBucketPolicyInput, _ ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "PutBucketPolicy"
	b, _, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	doc := strings.TrimSpace(sdkaws.ToString(in.Policy))
	if !strings.HasPrefix(doc, "{") {
		return nil, s3Err(op, http.StatusBadRequest, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'")
	}
	if len(doc) > 20*1024 {
		return nil, s3Err(op, http.StatusBadRequest, "PolicyTooLarge", "Policy exceeds the maximum allowed document size.")
	}
	res, err := exposure.EvaluatePolicy(doc, "")
	if err != nil {
		return nil, s3Err(op, http.StatusBadRequest, "MalformedPolicy", err.Error())
	}
	if res.Public && a.w.effective(b).BlockPublicPolicy {
		return nil, s3Err(op, http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	b.policy = string(compact(doc))
	return &s3.PutBucketPolicyOutput{}, nil
}

func (a s3API) DeleteBucketPolicy(_ context.Context, in *s3.DeleteBucketPolicyInput, _ ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, _, err := a.bucketOf("DeleteBucketPolicy", in.Bucket)
	if err != nil {
		return nil, err
	}
	b.policy = ""
	return &s3.DeleteBucketPolicyOutput{}, nil
}

// GetBucketPolicyStatus judges the policy alone, as S3 does: Block Public
// Access does not change the answer.
func (a s3API) GetBucketPolicyStatus(_ context.Context, in *s3.GetBucketPolicyStatusInput, _ ...func(*s3.Options)) (*s3.GetBucketPolicyStatusOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "GetBucketPolicyStatus"
	b, _, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	if b.policy == "" {
		return nil, s3Err(op, http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist")
	}
	res, err := exposure.EvaluatePolicy(b.policy, a.sc.Account)
	if err != nil {
		return nil, s3Err(op, http.StatusInternalServerError, "InternalError", err.Error())
	}
	return &s3.GetBucketPolicyStatusOutput{PolicyStatus: &s3types.PolicyStatus{IsPublic: sdkaws.Bool(res.Public)}}, nil
}

// ACLs.

func aclOutput(st aclState) (*s3types.Owner, []s3types.Grant) {
	p := aws.ACLPolicy(st)
	return p.Owner, p.Grants
}

// aclInput reads the ACL of a Put...Acl call: a canned ACL or a whole
// access control policy.
func (be *backend) s3ACLInput(op, canned string, p *s3types.AccessControlPolicy) (aclState, error) {
	switch {
	case canned != "" && p != nil:
		return aclState{}, s3Err(op, http.StatusBadRequest, "InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed")
	case canned != "":
		if !slices.Contains(cannedACLs, canned) {
			return aclState{}, s3Err(op, http.StatusBadRequest, "InvalidArgument", "Invalid canned ACL "+canned)
		}
		return buildACL(canned, nil, be.sc.CanonicalID), nil
	case p == nil || p.Owner == nil || sdkaws.ToString(p.Owner.ID) == "":
		return aclState{}, s3Err(op, http.StatusBadRequest, "MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	st := aclState{Owner: aclOwner{ID: sdkaws.ToString(p.Owner.ID)}, Grants: []aclGrant{}}
	for _, g := range p.Grants {
		if g.Grantee == nil || !slices.Contains(permissions, string(g.Permission)) {
			return aclState{}, s3Err(op, http.StatusBadRequest, "MalformedACLError", "The XML you provided was not well-formed or did not validate against our published schema")
		}
		st.Grants = append(st.Grants, aclGrant{Permission: string(g.Permission), Grantee: aclGrantee{Type: string(g.Grantee.Type),
			ID: sdkaws.ToString(g.Grantee.ID), URI: sdkaws.ToString(g.Grantee.URI), EmailAddress: sdkaws.ToString(g.Grantee.EmailAddress)}})
	}
	sortGrants(st.Grants)
	return st, nil
}

// checkACLWrite refuses what S3 refuses of a new ACL: any ACL on a bucket
// whose ACLs are disabled, a public one under BlockPublicAcls, and an
// owner other than the bucket's.
func (be *backend) checkS3ACLWrite(op string, b *bucket, st aclState) error {
	if b.ownership == exposure.OwnershipEnforced {
		return s3Err(op, http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs")
	}
	if st.Owner.ID != be.sc.CanonicalID {
		return s3Err(op, http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	if be.w.effective(b).BlockPublicAcls {
		for _, g := range st.Grants {
			if g.Grantee.URI == allUsersURI || g.Grantee.URI == authUsersURI {
				return s3Err(op, http.StatusForbidden, "AccessDenied", "Access Denied")
			}
		}
	}
	return nil
}

func (a s3API) GetBucketAcl(_ context.Context, in *s3.GetBucketAclInput, _ ...func(*s3.Options)) (*s3.GetBucketAclOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, _, err := a.bucketOf("GetBucketAcl", in.Bucket)
	if err != nil {
		return nil, err
	}
	owner, grants := aclOutput(b.acl)
	return &s3.GetBucketAclOutput{Owner: owner, Grants: grants}, nil
}

func (a s3API) PutBucketAcl(_ context.Context, in *s3.PutBucketAclInput, _ ...func(*s3.Options)) (*s3.PutBucketAclOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "PutBucketAcl"
	b, _, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	st, err := a.s3ACLInput(op, string(in.ACL), in.AccessControlPolicy)
	if err != nil {
		return nil, err
	}
	if err := a.checkS3ACLWrite(op, b, st); err != nil {
		return nil, err
	}
	b.acl = st
	return &s3.PutBucketAclOutput{}, nil
}

// objectEntry finds the entry an object call addresses: the version
// named, or the current one. A current delete marker is S3's 404 with
// x-amz-delete-marker; a marker named by id is 405.
func (a s3API) objectEntry(op string, bs *bucketS3, key, versionID *string, notFound string) (*s3Version, error) {
	k := sdkaws.ToString(key)
	if id := sdkaws.ToString(versionID); id != "" {
		v := bs.version(k, id)
		if v == nil {
			if notFound == "NotFound" {
				return nil, s3Err(op, http.StatusNotFound, "NotFound", "Not Found")
			}
			return nil, s3Err(op, http.StatusNotFound, "NoSuchVersion", "The specified version does not exist.")
		}
		if v.marker {
			err := s3Err(op, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.")
			return nil, withS3Header(withS3Header(err, "X-Amz-Delete-Marker", "true"), "X-Amz-Version-Id", v.id)
		}
		return v, nil
	}
	v := bs.current(k)
	if v == nil {
		msg := "The specified key does not exist."
		if notFound == "NotFound" {
			msg = "Not Found"
		}
		return nil, s3Err(op, http.StatusNotFound, notFound, msg)
	}
	if v.marker {
		msg := "The specified key does not exist."
		if notFound == "NotFound" {
			msg = "Not Found"
		}
		err := s3Err(op, http.StatusNotFound, notFound, msg)
		return nil, withS3Header(withS3Header(err, "X-Amz-Delete-Marker", "true"), "X-Amz-Version-Id", v.id)
	}
	return v, nil
}

func (a s3API) GetObjectAcl(_ context.Context, in *s3.GetObjectAclInput, _ ...func(*s3.Options)) (*s3.GetObjectAclOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "GetObjectAcl"
	_, bs, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	v, err := a.objectEntry(op, bs, in.Key, in.VersionId, "NoSuchKey")
	if err != nil {
		return nil, err
	}
	owner, grants := aclOutput(v.acl)
	return &s3.GetObjectAclOutput{Owner: owner, Grants: grants}, nil
}

func (a s3API) PutObjectAcl(_ context.Context, in *s3.PutObjectAclInput, _ ...func(*s3.Options)) (*s3.PutObjectAclOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "PutObjectAcl"
	b, bs, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	v, err := a.objectEntry(op, bs, in.Key, in.VersionId, "NoSuchKey")
	if err != nil {
		return nil, err
	}
	st, err := a.s3ACLInput(op, string(in.ACL), in.AccessControlPolicy)
	if err != nil {
		return nil, err
	}
	if err := a.checkS3ACLWrite(op, b, st); err != nil {
		return nil, err
	}
	v.acl = st
	return &s3.PutObjectAclOutput{}, nil
}

// Block Public Access and ownership.

func (a s3API) GetPublicAccessBlock(_ context.Context, in *s3.GetPublicAccessBlockInput, _ ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, _, err := a.bucketOf("GetPublicAccessBlock", in.Bucket)
	if err != nil {
		return nil, err
	}
	if b.bpa == nil {
		return nil, s3Err("GetPublicAccessBlock", http.StatusNotFound, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
	}
	return &s3.GetPublicAccessBlockOutput{PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
		BlockPublicAcls: sdkaws.Bool(b.bpa.BlockPublicAcls), IgnorePublicAcls: sdkaws.Bool(b.bpa.IgnorePublicAcls),
		BlockPublicPolicy: sdkaws.Bool(b.bpa.BlockPublicPolicy), RestrictPublicBuckets: sdkaws.Bool(b.bpa.RestrictPublicBuckets)}}, nil
}

func (a s3API) PutPublicAccessBlock(_ context.Context, in *s3.PutPublicAccessBlockInput, _ ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, _, err := a.bucketOf("PutPublicAccessBlock", in.Bucket)
	if err != nil {
		return nil, err
	}
	c := in.PublicAccessBlockConfiguration
	if c == nil {
		return nil, s3Err("PutPublicAccessBlock", http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	b.bpa = &bpaState{sdkaws.ToBool(c.BlockPublicAcls), sdkaws.ToBool(c.IgnorePublicAcls), sdkaws.ToBool(c.BlockPublicPolicy), sdkaws.ToBool(c.RestrictPublicBuckets)}
	return &s3.PutPublicAccessBlockOutput{}, nil
}

func (a s3API) DeletePublicAccessBlock(_ context.Context, in *s3.DeletePublicAccessBlockInput, _ ...func(*s3.Options)) (*s3.DeletePublicAccessBlockOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, _, err := a.bucketOf("DeletePublicAccessBlock", in.Bucket)
	if err != nil {
		return nil, err
	}
	b.bpa = nil
	return &s3.DeletePublicAccessBlockOutput{}, nil
}

func (a s3API) GetBucketOwnershipControls(_ context.Context, in *s3.GetBucketOwnershipControlsInput, _ ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, _, err := a.bucketOf("GetBucketOwnershipControls", in.Bucket)
	if err != nil {
		return nil, err
	}
	if b.ownership == "" {
		return nil, s3Err("GetBucketOwnershipControls", http.StatusNotFound, "OwnershipControlsNotFoundError", "The bucket ownership controls were not found")
	}
	return &s3.GetBucketOwnershipControlsOutput{OwnershipControls: &s3types.OwnershipControls{
		Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnership(b.ownership)}}}}, nil
}

// Encryption, versioning, Object Lock.

func (a s3API) GetBucketEncryption(_ context.Context, in *s3.GetBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, bs, err := a.bucketOf("GetBucketEncryption", in.Bucket)
	if err != nil {
		return nil, err
	}
	cfg := bs.encryption
	cfg.Rules = slices.Clone(cfg.Rules)
	return &s3.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: &cfg}, nil
}

func (a s3API) PutBucketEncryption(_ context.Context, in *s3.PutBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "PutBucketEncryption"
	_, bs, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	cfg := in.ServerSideEncryptionConfiguration
	if cfg == nil || len(cfg.Rules) != 1 || cfg.Rules[0].ApplyServerSideEncryptionByDefault == nil {
		return nil, s3Err(op, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	d := cfg.Rules[0].ApplyServerSideEncryptionByDefault
	switch d.SSEAlgorithm {
	case s3types.ServerSideEncryptionAes256:
		if sdkaws.ToString(d.KMSMasterKeyID) != "" {
			return nil, s3Err(op, http.StatusBadRequest, "InvalidArgument", "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse")
		}
	case s3types.ServerSideEncryptionAwsKms, s3types.ServerSideEncryptionAwsKmsDsse:
	default:
		return nil, s3Err(op, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	rule := cfg.Rules[0]
	rule.BucketKeyEnabled = sdkaws.Bool(sdkaws.ToBool(rule.BucketKeyEnabled))
	def := *d
	rule.ApplyServerSideEncryptionByDefault = &def
	bs.encryption = s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{rule}}
	return &s3.PutBucketEncryptionOutput{}, nil
}

// DeleteBucketEncryption goes back to SSE-S3, as S3 does.
func (a s3API) DeleteBucketEncryption(_ context.Context, in *s3.DeleteBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.DeleteBucketEncryptionOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, bs, err := a.bucketOf("DeleteBucketEncryption", in.Bucket)
	if err != nil {
		return nil, err
	}
	bs.encryption = sseS3()
	return &s3.DeleteBucketEncryptionOutput{}, nil
}

func (a s3API) GetBucketVersioning(_ context.Context, in *s3.GetBucketVersioningInput, _ ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, bs, err := a.bucketOf("GetBucketVersioning", in.Bucket)
	if err != nil {
		return nil, err
	}
	return &s3.GetBucketVersioningOutput{Status: s3types.BucketVersioningStatus(bs.versioning)}, nil
}

func (a s3API) PutBucketVersioning(_ context.Context, in *s3.PutBucketVersioningInput, _ ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "PutBucketVersioning"
	_, bs, err := a.bucketOf(op, in.Bucket)
	if err != nil {
		return nil, err
	}
	cfg := in.VersioningConfiguration
	if cfg == nil || (cfg.Status != s3types.BucketVersioningStatusEnabled && cfg.Status != s3types.BucketVersioningStatusSuspended) {
		return nil, s3Err(op, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	if cfg.MFADelete != "" && sdkaws.ToString(in.MFA) == "" {
		return nil, s3Err(op, http.StatusForbidden, "AccessDenied", "Mfa Authentication must be used for this request")
	}
	if bs.lock != nil && cfg.Status == s3types.BucketVersioningStatusSuspended {
		return nil, s3Err(op, http.StatusConflict, "InvalidBucketState", "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
	}
	bs.versioning = string(cfg.Status)
	return &s3.PutBucketVersioningOutput{}, nil
}

func (a s3API) GetObjectLockConfiguration(_ context.Context, in *s3.GetObjectLockConfigurationInput, _ ...func(*s3.Options)) (*s3.GetObjectLockConfigurationOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, bs, err := a.bucketOf("GetObjectLockConfiguration", in.Bucket)
	if err != nil {
		return nil, err
	}
	if bs.lock == nil {
		return nil, s3Err("GetObjectLockConfiguration", http.StatusNotFound, "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket")
	}
	cfg := &s3types.ObjectLockConfiguration{ObjectLockEnabled: s3types.ObjectLockEnabledEnabled}
	if l := bs.lock; l.Mode != "" {
		r := &s3types.DefaultRetention{Mode: s3types.ObjectLockRetentionMode(l.Mode)}
		if l.Days > 0 {
			r.Days = sdkaws.Int32(l.Days)
		} else {
			r.Years = sdkaws.Int32(l.Years)
		}
		cfg.Rule = &s3types.ObjectLockRule{DefaultRetention: r}
	}
	return &s3.GetObjectLockConfigurationOutput{ObjectLockConfiguration: cfg}, nil
}

// Configurations the snapshot reads.

func (a s3API) GetBucketLifecycleConfiguration(_ context.Context, in *s3.GetBucketLifecycleConfigurationInput, _ ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, bs, err := a.bucketOf("GetBucketLifecycleConfiguration", in.Bucket)
	if err != nil {
		return nil, err
	}
	if len(bs.lifecycle) == 0 {
		return nil, s3Err("GetBucketLifecycleConfiguration", http.StatusNotFound, "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist")
	}
	out := &s3.GetBucketLifecycleConfigurationOutput{}
	for _, r := range bs.lifecycle {
		rule := s3types.LifecycleRule{ID: sdkaws.String(r.ID), Status: s3types.ExpirationStatus(r.Status), Filter: &s3types.LifecycleRuleFilter{Prefix: sdkaws.String(r.Prefix)}}
		if r.TransitionDays > 0 {
			rule.Transitions = []s3types.Transition{{Days: sdkaws.Int32(r.TransitionDays), StorageClass: s3types.TransitionStorageClass(r.TransitionClass)}}
		}
		if r.ExpirationDays > 0 {
			rule.Expiration = &s3types.LifecycleExpiration{Days: sdkaws.Int32(r.ExpirationDays)}
		}
		if r.NoncurrentDays > 0 {
			rule.NoncurrentVersionExpiration = &s3types.NoncurrentVersionExpiration{NoncurrentDays: sdkaws.Int32(r.NoncurrentDays)}
		}
		out.Rules = append(out.Rules, rule)
	}
	return out, nil
}

func (a s3API) GetBucketLogging(_ context.Context, in *s3.GetBucketLoggingInput, _ ...func(*s3.Options)) (*s3.GetBucketLoggingOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, bs, err := a.bucketOf("GetBucketLogging", in.Bucket)
	if err != nil {
		return nil, err
	}
	out := &s3.GetBucketLoggingOutput{}
	if l := bs.logging; l != nil {
		out.LoggingEnabled = &s3types.LoggingEnabled{TargetBucket: sdkaws.String(l.TargetBucket), TargetPrefix: sdkaws.String(l.TargetPrefix)}
	}
	return out, nil
}

func (a s3API) GetBucketReplication(_ context.Context, in *s3.GetBucketReplicationInput, _ ...func(*s3.Options)) (*s3.GetBucketReplicationOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, bs, err := a.bucketOf("GetBucketReplication", in.Bucket)
	if err != nil {
		return nil, err
	}
	r := bs.replication
	if r == nil {
		return nil, s3Err("GetBucketReplication", http.StatusNotFound, "ReplicationConfigurationNotFoundError", "The replication configuration was not found")
	}
	dest := &s3types.Destination{Bucket: sdkaws.String("arn:aws:s3:::" + r.Destination)}
	if r.StorageClass != "" {
		dest.StorageClass = s3types.StorageClass(r.StorageClass)
	}
	return &s3.GetBucketReplicationOutput{ReplicationConfiguration: &s3types.ReplicationConfiguration{Role: sdkaws.String(r.Role),
		Rules: []s3types.ReplicationRule{{ID: sdkaws.String("replica"), Priority: sdkaws.Int32(1), Status: s3types.ReplicationRuleStatusEnabled,
			Filter:                  &s3types.ReplicationRuleFilter{Prefix: sdkaws.String(r.Prefix)},
			DeleteMarkerReplication: &s3types.DeleteMarkerReplication{Status: s3types.DeleteMarkerReplicationStatusDisabled},
			Destination:             dest}}}}, nil
}

func (a s3API) GetBucketWebsite(_ context.Context, in *s3.GetBucketWebsiteInput, _ ...func(*s3.Options)) (*s3.GetBucketWebsiteOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, bs, err := a.bucketOf("GetBucketWebsite", in.Bucket)
	if err != nil {
		return nil, err
	}
	if bs.website == "" {
		return nil, s3Err("GetBucketWebsite", http.StatusNotFound, "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration")
	}
	return &s3.GetBucketWebsiteOutput{IndexDocument: &s3types.IndexDocument{Suffix: sdkaws.String(bs.website)}}, nil
}

func (a s3API) GetBucketTagging(_ context.Context, in *s3.GetBucketTaggingInput, _ ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, bs, err := a.bucketOf("GetBucketTagging", in.Bucket)
	if err != nil {
		return nil, err
	}
	if len(bs.tags) == 0 {
		return nil, s3Err("GetBucketTagging", http.StatusNotFound, "NoSuchTagSet", "The TagSet does not exist")
	}
	out := &s3.GetBucketTaggingOutput{TagSet: []s3types.Tag{}}
	for _, k := range sortedKeys(bs.tags) {
		out.TagSet = append(out.TagSet, s3types.Tag{Key: sdkaws.String(k), Value: sdkaws.String(bs.tags[k])})
	}
	return out, nil
}
