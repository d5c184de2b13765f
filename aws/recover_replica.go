package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"s3responder/app"
	"s3responder/changeplan"
)

// Restores from a replica (s3.replica-restore, app/recoverarchive.go): for
// each key the source bucket lost (deleted, or hidden by a delete marker)
// or holds with other bytes than the replica, the replica's object is
// copied back (CopyObject across buckets, on the condition that the
// replica still holds the ETag planned). In a versioned source the copy
// is a new version, and undo deletes exactly that version by its id. An
// unversioned source keeps nothing of what a copy replaces: undo deletes
// the copies of keys that were absent, and refuses to "restore" a key
// whose earlier content is gone.

// replicaState is a key's content in the source: ETag and size, or absent.
type replicaState struct {
	Key    string `json:"key"`
	Absent bool   `json:"absent,omitempty"`
	ETag   string `json:"etag,omitempty"`
	Size   *int64 `json:"size,omitempty"`
}

func (s replicaState) json() json.RawMessage {
	b, _ := json.Marshal(s) // strings, a bool and an int
	return b
}

func (s replicaState) same(etag string, size int64) bool {
	return !s.Absent && s.Size != nil && s.ETag == etag && *s.Size == size
}

// headContent reads a key's ETag and size; found is false on 404.
func (c *Changer) headContent(ctx context.Context, bucket, key string) (etag string, size int64, class string, found bool, err error) {
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return "", 0, "", false, err
	}
	out, err := c.objects().HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key}, forRegion(region))
	if err != nil {
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
			return "", 0, "", false, nil
		}
		return "", 0, "", false, fmt.Errorf("read s3://%s/%s: %w", bucket, key, Explain(err, c.Profile))
	}
	return strings.Trim(sdkaws.ToString(out.ETag), `"`), sdkaws.ToInt64(out.ContentLength), string(out.StorageClass), true, nil
}

// readReplicaState returns a key's content in the source. A key nothing
// can be read under is absent, not null: it is what the copy sets.
func (c *Changer) readReplicaState(ctx context.Context, bucket, key string) (json.RawMessage, error) {
	etag, size, _, found, err := c.headContent(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	if !found {
		return replicaState{Key: key, Absent: true}.json(), nil
	}
	return replicaState{Key: key, ETag: etag, Size: &size}.json(), nil
}

// writeReplicaState sets a key's content in bucket: the replica's (from)
// by a copy when the replica holds the content asked for; otherwise,
// going back, by deleting the object there now, which must be a copy of
// the replica's (so that nothing is lost): by its version id in a
// versioned bucket, or, in an unversioned one, to make the key absent.
// Nothing else is ever deleted: an attacker's version stays evidence.
func (c *Changer) writeReplicaState(ctx context.Context, bucket, key, from string, state json.RawMessage) error {
	var want replicaState
	if err := json.Unmarshal(state, &want); err != nil || (!want.Absent && want.Size == nil) || from == "" {
		return fmt.Errorf("%w: object content state %s (replica %q)", app.ErrInvalid, state, from)
	}
	repETag, repSize, _, found, err := c.headContent(ctx, from, key)
	if err != nil {
		return err
	}
	replicaHolds := func(etag string, size int64) bool { return found && repETag == etag && repSize == size }
	if !want.Absent && replicaHolds(want.ETag, *want.Size) {
		return c.copyFromReplica(ctx, bucket, key, from, repETag)
	}
	h, err := c.keyHistory(ctx, bucket, key)
	if err != nil {
		return err
	}
	top, ok := h.Top()
	if !ok || top.DeleteMarker || !replicaHolds(top.ETag, top.Size) {
		return fmt.Errorf("%w: the replica's s3://%s/%s does not hold the content asked for, and s3://%s/%s is not a copy of it that could be taken back (changed since the plan?); nothing sent",
			app.ErrConflict, from, key, bucket, key)
	}
	if top.VersionID == "null" {
		if want.Absent {
			return c.deleteVersion(ctx, bucket, key, "")
		}
		return fmt.Errorf("%w: bucket %s keeps no versions: the content the copy replaced in s3://%s/%s is gone and cannot be put back", app.ErrInvalid, bucket, bucket, key)
	}
	// The copy is on top: deleting it by its id brings back what it
	// covered. Where the history tells what lies below, it must be the
	// state asked for.
	below, sure := h.Below()
	underIsWanted := (want.Absent && (below == nil || below.DeleteMarker)) || (!want.Absent && below != nil && want.same(below.ETag, below.Size))
	if sure && !underIsWanted {
		return fmt.Errorf("%w: the version under s3://%s/%s's current one is not the content to put back; nothing sent", app.ErrConflict, bucket, key)
	}
	return c.deleteVersion(ctx, bucket, key, top.VersionID)
}

// copyFromReplica copies the replica's object over the key, if the
// replica still holds the ETag planned.
func (c *Changer) copyFromReplica(ctx context.Context, bucket, key, from, etag string) error {
	api, err := c.versions()
	if err != nil {
		return err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return err
	}
	in := &s3.CopyObjectInput{Bucket: &bucket, Key: &key, CopySource: sdkaws.String(uriEncode(from) + "/" + uriEncode(key)), CopySourceIfMatch: sdkaws.String(`"` + etag + `"`)}
	_, err = api.CopyObject(ctx, in, forRegion(region))
	return err
}

// replicaTarget is a key's planned content: the replica's, fixed in the plan.
func replicaTarget(spec app.BulkSpec, current json.RawMessage) (json.RawMessage, error) {
	var cur replicaState
	if err := json.Unmarshal(current, &cur); err != nil || cur.Key == "" {
		return nil, fmt.Errorf("%w: object content state %s", app.ErrInvalid, current)
	}
	raw, ok := spec.Args[app.ReplicaArg+cur.Key]
	if !ok {
		return nil, fmt.Errorf("%w: the plan names no replica content for %s", app.ErrInvalid, cur.Key)
	}
	var t replicaState
	if err := json.Unmarshal([]byte(raw), &t); err != nil || t.Size == nil {
		return nil, fmt.Errorf("%w: the plan's replica content of %s: %s", app.ErrInvalid, cur.Key, raw)
	}
	t.Key, t.Absent = cur.Key, false
	return t.json(), nil
}

// replicaDestinations returns the buckets the source's enabled
// replication rules copy to, by name.
func (c *Changer) replicaDestinations(ctx context.Context, bucket, region string) ([]string, error) {
	out, err := c.S3.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: &bucket}, forRegion(region))
	if errorCode(err) == "ReplicationConfigurationNotFoundError" {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the replication configuration of %s: %w", bucket, Explain(err, c.Profile))
	}
	var names []string
	if out.ReplicationConfiguration != nil {
		for _, r := range out.ReplicationConfiguration.Rules {
			if r.Status != s3types.ReplicationRuleStatusEnabled || r.Destination == nil {
				continue
			}
			arn := sdkaws.ToString(r.Destination.Bucket)
			if i := strings.LastIndex(arn, ":"); i >= 0 {
				arn = arn[i+1:]
			}
			if arn != "" && !slices.Contains(names, arn) {
				names = append(names, arn)
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// replicaObject is an object of the replica: key, ETag, size and class.
type replicaObject struct {
	key, etag, class string
	size             int64
}

// replicaSelection reads the replica's objects of the selection and the
// source's content of the same keys (absent ones left out of source).
func (c *Changer) replicaSelection(ctx context.Context, bucket, replica, prefix string, keys []string, srcRegion, repRegion string) ([]replicaObject, map[string]replicaState, []string, error) {
	src := map[string]replicaState{}
	var objs []replicaObject
	var missing []string
	if len(keys) == 0 {
		list := func(b, region string, each func(o s3types.Object)) error {
			in := &s3.ListObjectsV2Input{Bucket: &b}
			if prefix != "" {
				in.Prefix = &prefix
			}
			for {
				out, err := c.objects().ListObjectsV2(ctx, in, forRegion(region))
				if err != nil {
					return fmt.Errorf("list the objects of %s: %w", b, Explain(err, c.Profile))
				}
				for _, o := range out.Contents {
					each(o)
				}
				if len(objs) > app.BulkThreshold {
					return fmt.Errorf("%w: the replica holds more than %d objects there: narrow the prefix, or copy them with an S3 Batch Operations job", app.ErrInvalid, app.BulkThreshold)
				}
				if !sdkaws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
					return nil
				}
				in.ContinuationToken = out.NextContinuationToken
			}
		}
		err := list(replica, repRegion, func(o s3types.Object) {
			objs = append(objs, replicaObject{key: sdkaws.ToString(o.Key), etag: strings.Trim(sdkaws.ToString(o.ETag), `"`), size: sdkaws.ToInt64(o.Size), class: string(o.StorageClass)})
		})
		if err == nil {
			err = list(bucket, srcRegion, func(o s3types.Object) {
				size := sdkaws.ToInt64(o.Size)
				k := sdkaws.ToString(o.Key)
				src[k] = replicaState{Key: k, ETag: strings.Trim(sdkaws.ToString(o.ETag), `"`), Size: &size}
			})
		}
		return objs, src, nil, err
	}
	type read struct {
		rep       replicaObject
		repFound  bool
		src       json.RawMessage
		err, serr error
	}
	reads := make([]read, len(keys))
	var wg sync.WaitGroup
	sem := make(chan struct{}, historyConcurrency)
	for i, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := &reads[i]
			r.rep.key = k
			r.rep.etag, r.rep.size, r.rep.class, r.repFound, r.err = c.headContent(ctx, replica, k)
			r.src, r.serr = c.readReplicaState(ctx, bucket, k)
		}()
	}
	wg.Wait()
	for _, r := range reads {
		if err := errors.Join(r.err, r.serr); err != nil {
			return nil, nil, nil, err
		}
		if !r.repFound {
			missing = append(missing, r.rep.key)
			continue
		}
		objs = append(objs, r.rep)
		var s replicaState
		_ = json.Unmarshal(r.src, &s) // our own JSON
		if !s.Absent {
			src[s.Key] = s
		}
	}
	return objs, src, missing, nil
}

// planReplicaRestore works out s3.replica-restore.
func (c *Changer) planReplicaRestore(ctx context.Context, params map[string]string) (app.Plan, error) {
	bucket, replica := strings.TrimSpace(params["bucket"]), strings.TrimSpace(params["replicaBucket"])
	if err := needBucket(bucket); err != nil {
		return app.Plan{}, err
	}
	keys, prefix, concurrency, err := changeplan.BulkTargets(params)
	if err != nil {
		return app.Plan{}, err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.Plan{}, err
	}
	var notes []string
	dests, derr := c.replicaDestinations(ctx, bucket, region)
	switch {
	case replica == "" && derr != nil:
		return app.Plan{}, fmt.Errorf("%w (name the replica bucket with replicaBucket)", derr)
	case replica == "" && len(dests) == 0:
		return app.Plan{}, fmt.Errorf("%w: bucket %s has no enabled replication rule: name the bucket holding a copy of its objects (replicaBucket)", app.ErrInvalid, bucket)
	case replica == "" && len(dests) > 1:
		return app.Plan{}, fmt.Errorf("%w: bucket %s replicates to %s: choose one (replicaBucket)", app.ErrInvalid, bucket, strings.Join(dests, ", "))
	case replica == "":
		replica = dests[0]
		notes = append(notes, "The replica is "+replica+", the destination of the replication configuration of "+bucket+".")
	case derr != nil:
		notes = append(notes, "The replication configuration of "+bucket+" could not be read ("+derr.Error()+"): "+replica+" is taken as named.")
	case !slices.Contains(dests, replica):
		notes = append(notes, replica+" is not a destination of the replication configuration of "+bucket+": make sure it holds copies of these very objects.")
	}
	if replica == bucket {
		return app.Plan{}, fmt.Errorf("%w: the replica must be another bucket than %s", app.ErrInvalid, bucket)
	}
	repRegion, err := c.bucketRegion(ctx, replica)
	if err != nil {
		return app.Plan{}, err
	}
	api, err := c.versions()
	if err != nil {
		return app.Plan{}, err
	}
	versioned := false
	vo, err := api.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket}, forRegion(region))
	switch {
	case err != nil:
		notes = append(notes, "The versioning status of "+bucket+" could not be read ("+Explain(err, c.Profile).Error()+"): the undo is worked out from each key's history.")
	case vo.Status == s3types.BucketVersioningStatusEnabled:
		versioned = true
	}

	objs, src, missing, err := c.replicaSelection(ctx, bucket, replica, prefix, keys, region, repRegion)
	if err != nil {
		return app.Plan{}, err
	}
	spec := app.BulkSpec{Bucket: bucket, From: replica, Resource: app.ResourceObjectReplica, Call: "CopyObject", UndoCall: "DeleteObject",
		Concurrency: concurrency, Args: map[string]string{}}
	var skip skipped
	for _, k := range missing {
		skip.add("not in the replica", k)
	}
	var deleted, changed int
	var chosen []replicaObject
	for _, o := range objs {
		s, present := src[o.key]
		switch {
		case present && s.same(o.etag, o.size):
			skip.add("the same in both buckets (if the damage was replicated too, the replica holds it as well: look at the replica's versions)", o.key)
			continue
		case o.class == string(s3types.StorageClassGlacier) || o.class == string(s3types.StorageClassDeepArchive):
			skip.add("archived in the replica (restore it there first: s3.restore-archived on bucket "+replica+")", o.key)
			continue
		case present:
			changed++
		default:
			deleted++
		}
		if len(chosen) == app.BulkThreshold {
			return app.Plan{}, fmt.Errorf("%w: more than %d objects to copy back: narrow the prefix, or copy them with an S3 Batch Operations job", app.ErrInvalid, app.BulkThreshold)
		}
		size := o.size
		spec.Args[app.ReplicaArg+o.key] = string(replicaState{ETag: o.etag, Size: &size}.json())
		chosen = append(chosen, o)
	}
	where := "bucket " + bucket
	if prefix != "" {
		where += fmt.Sprintf(" under %q", prefix)
	}
	if len(chosen) == 0 {
		extra := ""
		if len(skip.counts) > 0 {
			extra = " (" + strings.Join(skip.notes(), " ") + ")"
		}
		return app.Plan{}, fmt.Errorf("no object of %s differs from replica %s%s: %w", where, replica, extra, app.ErrNoChange)
	}
	sort.Slice(chosen, func(i, j int) bool { return chosen[i].key < chosen[j].key })
	var cli []string
	for i, o := range chosen {
		spec.Keys = append(spec.Keys, o.key)
		before := replicaState{Key: o.key, Absent: true}
		if s, ok := src[o.key]; ok {
			before = s
		}
		size := o.size
		if i < restoreSample {
			spec.Sample = append(spec.Sample, app.ObjectChange{Key: o.key, Before: before.json(), After: replicaState{Key: o.key, ETag: o.etag, Size: &size}.json()})
		}
		if i < restoreCommands {
			// The AWS CLI URL-encodes the copy source itself.
			cli = append(cli, c.command(region, "s3api", "copy-object", "--bucket", bucket, "--key", o.key, "--copy-source", replica+"/"+o.key, "--copy-source-if-match", `"`+o.etag+`"`))
		}
	}
	if len(chosen) > restoreCommands {
		cli = append(cli, fmt.Sprintf("# ... and %d more, one per object, each with the replica's ETag (the plan lists them: s3responder act journal ID --json)", len(chosen)-restoreCommands))
	}
	spec.Objects = len(spec.Keys)
	spec.CLI = strings.NewReplacer("__KEY__", "{key}", "__SRC__", replica+"/{key}").Replace(c.command(region, "s3api", "copy-object", "--bucket", bucket, "--key", "__KEY__", "--copy-source", "__SRC__"))
	if versioned {
		head := c.command(region, "s3api", "head-object", "--bucket", bucket, "--key", "__KEY__", "--query", "VersionId", "--output", "text")
		del := c.command(region, "s3api", "delete-object", "--bucket", bucket, "--key", "__KEY__", "--version-id", "__ID__")
		spec.UndoCLI = strings.ReplaceAll("v=$("+head+") && "+strings.Replace(del, "__ID__", `"$v"`, 1), "__KEY__", "{key}")
	} else {
		spec.UndoCLI = strings.Replace(c.command(region, "s3api", "delete-object", "--bucket", bucket, "--key", "__KEY__"), "__KEY__", "{key}", 1)
	}

	from := replica
	if prefix != "" {
		from += fmt.Sprintf(" under %q", prefix)
	}
	notes = append(notes, fmt.Sprintf("Selection: the objects of replica %s that %s lacks (%d) or holds with other bytes (%d).", from, bucket, deleted, changed))
	notes = append(notes, skip.notes()...)
	notes = append(notes,
		"Each object's ETag in the replica is fixed in this plan: the copy is sent on the condition that the replica still holds it (x-amz-copy-source-if-match), so a replica changed since is reported, not copied.",
		"Keys of "+bucket+" that the replica lacks are left alone.",
	)
	impact := []string{
		fmt.Sprintf("Each object becomes readable in %s again as the replica holds it, with the replica's metadata and tags; the copy gets %s's default encryption and ACL and the STANDARD storage class.", bucket, bucket),
		"On buckets encrypted with SSE-KMS, and for objects uploaded in parts, S3 gives the copy a new ETag: re-reading then cannot tell it holds the same bytes, and such objects are reported as not holding.",
		"If " + bucket + " replicates to " + replica + ", each copy is replicated there again (same bytes, a new version in the replica).",
	}
	undo := "Undo deletes each copy by its own version id, which puts each key's history back exactly as it was (the attacker's content or delete marker current again)."
	if versioned {
		impact = append(impact, "Bucket "+bucket+" is versioned: each copy is a new version on top; the attacker's versions and delete markers stay in the history as evidence.")
	} else {
		if changed > 0 {
			impact = append(impact, fmt.Sprintf("Bucket %s keeps no versions: the current content of the %d object(s) it holds with other bytes is replaced for good. Save it first if it is evidence.", bucket, changed))
		}
		undo = "Bucket " + bucket + " keeps no versions: undo deletes the copies of keys that were absent; keys whose content a copy replaced cannot be put back and are reported one by one."
	}
	return app.Plan{
		Action: "s3.replica-restore", Title: fmt.Sprintf("Copy %d object(s) back from replica %s into bucket %s", len(chosen), replica, bucket),
		Target: "bucket " + bucket, Region: region, Broad: true, ConfirmWord: bucket, Reversible: true,
		Bulk: &spec, CLI: cli, Impact: impact, Notes: notes, UndoNote: undo,
	}, nil
}
