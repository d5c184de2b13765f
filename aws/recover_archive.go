package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"s3responder/app"
	"s3responder/changeplan"
)

// Restores of archived objects (s3.restore-archived, app/recoverarchive.go):
// RestoreObject asks S3 for a readable copy of an object kept in S3
// Glacier Flexible Retrieval or Deep Archive, or moves an object of S3
// Intelligent-Tiering's Archive Access or Deep Archive Access tier back
// to its Frequent Access tier. HeadObject says how far it got: the
// x-amz-restore header, ongoing-request="true" while S3 works, and
// ongoing-request="false" with the copy's expiry-date once it is done.

// defaultRestoreDays is how long a restored copy stays when the request
// does not say.
const defaultRestoreDays = 7

// restoreHeader reads x-amz-restore: ongoing-request="true", or
// ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT".
var restoreHeader = regexp.MustCompile(`ongoing-request="(true|false)"(?:\s*,\s*expiry-date="([^"]+)")?`)

// readArchiveState returns an object's storage class and restore status,
// null when the object is gone.
func (c *Changer) readArchiveState(ctx context.Context, bucket, key string) (json.RawMessage, error) {
	a, found, err := c.archiveState(ctx, bucket, key)
	if err != nil || !found {
		return json.RawMessage(nullState), err
	}
	return json.Marshal(a)
}

func (c *Changer) archiveState(ctx context.Context, bucket, key string) (app.ArchiveState, bool, error) {
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.ArchiveState{}, false, err
	}
	out, err := c.objects().HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key}, forRegion(region))
	if err != nil {
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
			return app.ArchiveState{}, false, nil
		}
		return app.ArchiveState{}, false, fmt.Errorf("read s3://%s/%s: %w", bucket, key, Explain(err, c.Profile))
	}
	a := app.ArchiveState{Key: key, StorageClass: string(out.StorageClass), ArchiveStatus: string(out.ArchiveStatus)}
	if a.StorageClass == "" {
		// HeadObject names every class but STANDARD.
		a.StorageClass = string(s3types.StorageClassStandard)
	}
	if m := restoreHeader.FindStringSubmatch(sdkaws.ToString(out.Restore)); m != nil {
		a.Restore = app.RestoreInProgress
		if m[1] == "false" {
			a.Restore = app.RestoreDone
			if t, err := http.ParseTime(m[2]); err == nil {
				t = t.UTC()
				a.Expiry = &t
			}
		}
	}
	return a, true, nil
}

// writeArchiveState asks S3 to restore an object, with the tier and days
// of the planned state. A restore S3 already works on is the state asked
// for: S3's RestoreAlreadyInProgress is taken as success.
func (c *Changer) writeArchiveState(ctx context.Context, bucket, key string, state json.RawMessage) error {
	a, err := app.ArchiveStateOf(state)
	if err != nil {
		return err
	}
	if a.Restore != app.RestoreInProgress {
		return fmt.Errorf("%w: a restore of an archived object cannot be cancelled or undone; the restored copy expires by itself", app.ErrInvalid)
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return err
	}
	_, err = c.objects().RestoreObject(ctx, &s3.RestoreObjectInput{Bucket: &bucket, Key: &key, RestoreRequest: restoreRequest(a)}, forRegion(region))
	if errorCode(err) == "RestoreAlreadyInProgress" {
		return nil
	}
	return err
}

// restoreRequest is the request body of a restore. Intelligent-Tiering's
// archive tiers take no Days: their objects move back to the Frequent
// Access tier and do not expire, and S3 refuses a request naming days.
func restoreRequest(a app.ArchiveState) *s3types.RestoreRequest {
	r := &s3types.RestoreRequest{GlacierJobParameters: &s3types.GlacierJobParameters{Tier: s3types.Tier(a.Tier)}}
	if a.StorageClass != string(s3types.StorageClassIntelligentTiering) {
		r.Days = sdkaws.Int32(a.Days)
	}
	return r
}

// restoreRequestJSON is the same request as the AWS CLI's --restore-request.
func restoreRequestJSON(a app.ArchiveState) string {
	if a.StorageClass == string(s3types.StorageClassIntelligentTiering) {
		return fmt.Sprintf(`{"GlacierJobParameters":{"Tier":"%s"}}`, a.Tier)
	}
	return fmt.Sprintf(`{"Days":%d,"GlacierJobParameters":{"Tier":"%s"}}`, a.Days, a.Tier)
}

// archiveName names where an archived object is, for people.
func archiveName(a app.ArchiveState) string {
	switch {
	case a.StorageClass == "GLACIER":
		return "S3 Glacier Flexible Retrieval"
	case a.StorageClass == "DEEP_ARCHIVE":
		return "S3 Glacier Deep Archive"
	case a.ArchiveStatus == "ARCHIVE_ACCESS":
		return "S3 Intelligent-Tiering Archive Access tier"
	case a.ArchiveStatus == "DEEP_ARCHIVE_ACCESS":
		return "S3 Intelligent-Tiering Deep Archive Access tier"
	}
	return a.StorageClass
}

// deepArchive reports whether an object is in one of the deep archives,
// which take no Expedited restores.
func deepArchive(a app.ArchiveState) bool {
	return a.StorageClass == "DEEP_ARCHIVE" || a.ArchiveStatus == "DEEP_ARCHIVE_ACCESS"
}

// restoreTime is how long AWS documents a restore typically takes, by
// archive and tier; ok is false for Expedited from a deep archive, which
// S3 does not offer.
func restoreTime(a app.ArchiveState, tier string) (string, bool) {
	deep := deepArchive(a)
	switch {
	case tier == "Expedited" && deep:
		return "", false
	case tier == "Expedited":
		return "typically 1 to 5 minutes (objects under 250 MB)", true
	case tier == "Bulk" && deep:
		return "typically within 48 hours", true
	case tier == "Bulk":
		return "typically 5 to 12 hours", true
	case deep:
		return "typically within 12 hours", true
	}
	return "typically 3 to 5 hours", true
}

// archiveTarget is an object's state once its restore is asked for: the
// state it has when no restore is needed or one is already under way or
// done.
func archiveTarget(spec app.BulkSpec, current json.RawMessage) (json.RawMessage, error) {
	a, err := app.ArchiveStateOf(current)
	if err != nil {
		return nil, err
	}
	if !a.Archived() || a.Restore != "" {
		return current, nil
	}
	tier := spec.Args["tier"]
	if _, ok := restoreTime(a, tier); !ok {
		return nil, fmt.Errorf("%w: s3://%s/%s is in %s, which offers no %s restores: plan it again with tier Standard or Bulk", app.ErrInvalid, spec.Bucket, a.Key, archiveName(a), tier)
	}
	a.Restore, a.Tier, a.Expiry = app.RestoreInProgress, tier, nil
	if a.StorageClass != string(s3types.StorageClassIntelligentTiering) {
		days, err := strconv.Atoi(spec.Args["days"])
		if err != nil || days < 1 {
			return nil, fmt.Errorf("%w: the plan's days %q", app.ErrInvalid, spec.Args["days"])
		}
		a.Days = int32(days)
	}
	return json.Marshal(a)
}

// archiveParams are a restore request's parameters, checked.
type archiveParams struct {
	bucket, prefix, tier string
	keys                 []string
	days, concurrency    int
}

func parseArchiveParams(params map[string]string) (archiveParams, error) {
	r := archiveParams{bucket: strings.TrimSpace(params["bucket"]), days: defaultRestoreDays, tier: "Standard"}
	if err := needBucket(r.bucket); err != nil {
		return r, err
	}
	var err error
	if r.keys, r.prefix, r.concurrency, err = changeplan.BulkTargets(params); err != nil {
		return r, err
	}
	if v := strings.TrimSpace(params["days"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1<<30 {
			return r, fmt.Errorf("%w: days %q: give a whole number of days, 1 or more", app.ErrInvalid, v)
		}
		r.days = n
	}
	if v := strings.TrimSpace(params["tier"]); v != "" {
		found := false
		for _, t := range []string{"Expedited", "Standard", "Bulk"} {
			if strings.EqualFold(v, t) {
				r.tier, found = t, true
			}
		}
		if !found {
			return r, fmt.Errorf("%w: tier %q: give Expedited, Standard or Bulk", app.ErrInvalid, v)
		}
	}
	return r, nil
}

// archiveCandidates reads the state of every object of the selection
// that may be archived: the keys given, or the objects a listing shows in
// a class that can hold archived data. Objects the listing shows in other
// classes are counted in plain, by class.
func (c *Changer) archiveCandidates(ctx context.Context, ap archiveParams, region string) ([]app.ArchiveState, map[string]int, []string, error) {
	plain := map[string]int{}
	var keys, gone []string
	if len(ap.keys) > 0 {
		keys = ap.keys
	} else {
		in := &s3.ListObjectsV2Input{Bucket: &ap.bucket}
		if ap.prefix != "" {
			in.Prefix = &ap.prefix
		}
		for {
			out, err := c.objects().ListObjectsV2(ctx, in, forRegion(region))
			if err != nil {
				return nil, nil, nil, fmt.Errorf("list the objects of %s: %w", ap.bucket, Explain(err, c.Profile))
			}
			for _, o := range out.Contents {
				switch cls := s3types.StorageClass(o.StorageClass); cls {
				case s3types.StorageClassGlacier, s3types.StorageClassDeepArchive, s3types.StorageClassIntelligentTiering:
					keys = append(keys, sdkaws.ToString(o.Key))
				default:
					if cls == "" {
						cls = s3types.StorageClassStandard
					}
					plain[string(cls)]++
				}
			}
			if len(keys) > app.BulkThreshold {
				return nil, nil, nil, fmt.Errorf("%w: more than %d archived objects: narrow the prefix, or restore them with an S3 Batch Operations job", app.ErrInvalid, app.BulkThreshold)
			}
			if !sdkaws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
				break
			}
			in.ContinuationToken = out.NextContinuationToken
		}
	}
	states := make([]app.ArchiveState, len(keys))
	found := make([]bool, len(keys))
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	sem := make(chan struct{}, historyConcurrency)
	for i, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			states[i], found[i], errs[i] = c.archiveState(ctx, ap.bucket, k)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, nil, err
	}
	var out []app.ArchiveState
	for i, a := range states {
		if !found[i] {
			gone = append(gone, keys[i])
			continue
		}
		out = append(out, a)
	}
	return out, plain, gone, nil
}

// planRestoreArchived works out s3.restore-archived: the archived
// objects of the selection, what each restore costs in time, and the
// exact AWS CLI commands.
func (c *Changer) planRestoreArchived(ctx context.Context, params map[string]string) (app.Plan, error) {
	ap, err := parseArchiveParams(params)
	if err != nil {
		return app.Plan{}, err
	}
	bucket := ap.bucket
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.Plan{}, err
	}
	states, plain, gone, err := c.archiveCandidates(ctx, ap, region)
	if err != nil {
		return app.Plan{}, err
	}
	spec := app.BulkSpec{Bucket: bucket, Resource: app.ResourceObjectRestore, Call: "RestoreObject", Concurrency: ap.concurrency,
		Args: map[string]string{"tier": ap.tier, "days": strconv.Itoa(ap.days)}}
	var skip skipped
	for _, k := range gone {
		skip.add("no such object", k)
	}
	byArchive := map[string]int{}
	var chosen []app.ArchiveState
	glacier := false
	for _, a := range states {
		switch {
		case a.StorageClass == string(s3types.StorageClassGlacierIr):
			skip.add("in S3 Glacier Instant Retrieval, which is read directly and needs no restore", a.Key)
		case !a.Archived():
			skip.add("not archived ("+a.StorageClass+"): readable as it is", a.Key)
		case a.Restore == app.RestoreInProgress:
			skip.add("a restore is already in progress", a.Key)
		case a.Restore == app.RestoreDone:
			skip.add("already restored (ask again later to extend the copy's days)", a.Key)
		case ap.tier == "Expedited" && deepArchive(a):
			skip.add("in "+archiveName(a)+", which offers no Expedited restores (plan them with tier Standard or Bulk)", a.Key)
		default:
			chosen = append(chosen, a)
			byArchive[archiveName(a)]++
			glacier = glacier || a.StorageClass != string(s3types.StorageClassIntelligentTiering)
		}
	}
	for cls, n := range plain {
		what := "not archived (" + cls + "): readable as it is"
		if cls == string(s3types.StorageClassGlacierIr) {
			what = "in S3 Glacier Instant Retrieval, which is read directly and needs no restore"
		}
		skip.addCount(what, n)
	}
	where := "bucket " + bucket
	if ap.prefix != "" {
		where += fmt.Sprintf(" under %q", ap.prefix)
	}
	if len(chosen) == 0 {
		extra := ""
		if len(skip.counts) > 0 {
			extra = " (" + strings.Join(skip.notes(), " ") + ")"
		}
		return app.Plan{}, fmt.Errorf("no object of %s needs a restore%s: %w", where, extra, app.ErrNoChange)
	}
	sort.Slice(chosen, func(i, j int) bool { return chosen[i].Key < chosen[j].Key })
	for _, a := range chosen {
		spec.Keys = append(spec.Keys, a.Key)
	}
	spec.Objects = len(spec.Keys)
	var cli []string
	for i, a := range chosen {
		before, _ := json.Marshal(a)
		after, err := archiveTarget(spec, before)
		if err != nil {
			return app.Plan{}, err
		}
		if i < restoreSample {
			spec.Sample = append(spec.Sample, app.ObjectChange{Key: a.Key, Before: before, After: after})
		}
		if i < restoreCommands {
			t, _ := app.ArchiveStateOf(after)
			cli = append(cli, c.command(region, "s3api", "restore-object", "--bucket", bucket, "--key", a.Key, "--restore-request", restoreRequestJSON(t)))
		}
	}
	if len(chosen) > restoreCommands {
		cli = append(cli, fmt.Sprintf("# ... and %d more, one per object: the same command with the object's key", len(chosen)-restoreCommands))
	}
	// The template of one object: the request of the Glacier classes, or
	// of Intelligent-Tiering when the selection holds nothing else.
	tmpl := app.ArchiveState{StorageClass: "GLACIER", Tier: ap.tier, Days: int32(ap.days)}
	if !glacier {
		tmpl.StorageClass = string(s3types.StorageClassIntelligentTiering)
	}
	spec.CLI = strings.Replace(c.command(region, "s3api", "restore-object", "--bucket", bucket, "--key", "__KEY__", "--restore-request", restoreRequestJSON(tmpl)), "__KEY__", "{key}", 1)
	check := strings.Replace(c.command(region, "s3api", "head-object", "--bucket", bucket, "--key", "__KEY__", "--query", "[StorageClass,ArchiveStatus,Restore]"), "__KEY__", "{key}", 1)

	archives := make([]string, 0, len(byArchive))
	for name := range byArchive {
		archives = append(archives, name)
	}
	sort.Strings(archives)
	var times []string
	for _, name := range archives {
		for _, a := range chosen {
			if archiveName(a) == name {
				d, _ := restoreTime(a, ap.tier)
				times = append(times, fmt.Sprintf("%d object(s) in %s: %s restores take %s", byArchive[name], name, ap.tier, d))
				break
			}
		}
	}
	notes := []string{
		"Selection: the archived objects of " + where + ". " + strings.Join(times, "; ") + ".",
		"When a restore is done: verifying the change, and resuming the incident's changes while restores are in progress, re-reads each object's x-amz-restore header: ongoing-request=\"true\" while S3 works, \"false\" with the copy's expiry date once it is readable. By hand: " + check + ".",
	}
	notes = append(notes, skip.notes()...)
	impact := []string{
		"Nothing is overwritten or deleted: each object stays in its archive and S3 makes its data readable again for a while.",
	}
	if glacier {
		impact = append(impact, fmt.Sprintf("Objects of S3 Glacier Flexible Retrieval and Deep Archive get a temporary copy, readable for %d day(s) after the restore completes and billed as storage for those days on top of the archived object.", ap.days))
	}
	if len(chosen) > 0 && byArchive["S3 Intelligent-Tiering Archive Access tier"]+byArchive["S3 Intelligent-Tiering Deep Archive Access tier"] > 0 {
		impact = append(impact, "Objects of S3 Intelligent-Tiering's archive tiers move back to its Frequent Access tier (no expiry, and the days parameter does not apply); they go back to the archive tiers only after the days without access the bucket's archive configuration sets.")
	}
	impact = append(impact,
		"Restores are charged per request and per GB retrieved; Expedited costs the most, Bulk the least.",
		"Whoever may read these objects can read the restored data, an attacker still holding access included: contain first.",
	)
	return app.Plan{
		Action: "s3.restore-archived", Title: fmt.Sprintf("Restore %d archived object(s) of bucket %s (%s tier)", len(chosen), bucket, ap.tier),
		Target: "bucket " + bucket, Region: region, Broad: true, ConfirmWord: bucket, Reversible: false,
		Bulk: &spec, CLI: cli, Impact: impact, Notes: notes,
		UndoNote: fmt.Sprintf("A restore cannot be cancelled: the temporary copies of Glacier class objects expire by themselves %d day(s) after the restore completes (asking again with other days moves the expiry, to no less than a day); Intelligent-Tiering objects stay in the Frequent Access tier until its archive configuration moves them again.", ap.days),
	}, nil
}
