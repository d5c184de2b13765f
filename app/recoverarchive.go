package app

import (
	"encoding/json"
	"fmt"
	"time"
)

// Two more ways of recovery (Part 4) besides a bucket's own history
// (recover.go), each a bulk change over a selection of keys:
//
//   - s3.restore-archived asks S3 to restore objects kept in an archive
//     storage class (RestoreObject). The call only starts the work, which
//     ends minutes to days later; the object's state tells how far it
//     got (HeadObject's x-amz-restore header), and a restore requested
//     counts as the planned state reached, finished or not: verifying says
//     how many are readable yet, and resuming verifies again while some
//     are in progress. A restore cannot be cancelled: no undo.
//   - s3.replica-restore copies objects back from a replica bucket
//     (CopyObject across buckets) where the source lost or changed them.

// Resource kinds of these recoveries.
const (
	// ResourceObjectRestore is an object's archive and restore status
	// (ArchiveState). ID: bucket, key.
	ResourceObjectRestore = "s3:object-restore"
	// ResourceObjectReplica is a key's content in the bucket a replica
	// is copied back to: {"key","etag","size"}, or {"key","absent":true}
	// when nothing can be read under the key (deleted, or hidden by a
	// delete marker). ID: bucket, key, from (the replica bucket).
	ResourceObjectReplica = "s3:object-from-replica"
	// ReplicaArg prefixes the key of each object's planned content (the
	// replica's ETag and size) in a replica restore's BulkSpec.Args.
	ReplicaArg = "replica:"
)

// Restore statuses of an ArchiveState.
const (
	// RestoreInProgress: S3 is working on a restore (ongoing-request="true").
	RestoreInProgress = "in-progress"
	// RestoreDone: a restored copy is readable (ongoing-request="false").
	RestoreDone = "restored"
)

// ArchiveState is an object's storage class and restore status: the state
// of s3.restore-archived. The planned state of an object to restore is
// Restore RestoreInProgress with the Tier and Days asked for.
type ArchiveState struct {
	Key          string `json:"key"`
	StorageClass string `json:"storageClass"`
	// ArchiveStatus is S3 Intelligent-Tiering's archive tier
	// (ARCHIVE_ACCESS, DEEP_ARCHIVE_ACCESS), empty in its other tiers.
	ArchiveStatus string `json:"archiveStatus,omitempty"`
	// Restore is RestoreInProgress, RestoreDone or empty (none asked for,
	// or the last restored copy expired).
	Restore string `json:"restore,omitempty"`
	// Expiry is when a restored copy of a Glacier class object goes.
	Expiry *time.Time `json:"expiry,omitempty"`
	Tier   string     `json:"tier,omitempty"`
	Days   int32      `json:"days,omitempty"`
}

// Archived reports whether the object sits in an archive class or tier:
// its data cannot be read without a restore. S3 Glacier Instant Retrieval
// is not one: it is read directly.
func (a ArchiveState) Archived() bool {
	switch a.StorageClass {
	case "GLACIER", "DEEP_ARCHIVE":
		return true
	case "INTELLIGENT_TIERING":
		return a.ArchiveStatus != ""
	}
	return false
}

// Readable reports whether the object's data can be read now.
func (a ArchiveState) Readable() bool { return !a.Archived() || a.Restore == RestoreDone }

// ArchiveStateOf reads a state of s3.restore-archived.
func ArchiveStateOf(state json.RawMessage) (ArchiveState, error) {
	var a ArchiveState
	if err := json.Unmarshal(state, &a); err != nil || a.Key == "" {
		return a, fmt.Errorf("%w: archive state %s", ErrInvalid, state)
	}
	return a, nil
}

// reached reports whether an object's state now is its planned one. It is
// sameState but for a restore of an archived object: the restore asked
// for is reached once S3 works on it or has finished it (or the object
// became readable by other means), whatever tier did it.
func reached(kind string, cur, planned json.RawMessage) bool {
	if kind == ResourceObjectRestore {
		p, perr := ArchiveStateOf(planned)
		c, cerr := ArchiveStateOf(cur)
		if perr == nil && cerr == nil && p.Restore == RestoreInProgress {
			return c.Key == p.Key && (c.Restore != "" || c.Readable())
		}
	}
	return sameState(cur, planned)
}

// archiveProgress says how far the restores of a change have got, from
// the states verification read, and how many are still in progress.
func archiveProgress(states []json.RawMessage) (string, int) {
	var ongoing, done int
	var first, last time.Time
	for _, s := range states {
		a, err := ArchiveStateOf(s)
		switch {
		case err != nil:
			continue
		case a.Restore == RestoreInProgress:
			ongoing++
		case a.Readable():
			done++
			if a.Expiry != nil {
				if first.IsZero() || a.Expiry.Before(first) {
					first = *a.Expiry
				}
				if a.Expiry.After(last) {
					last = *a.Expiry
				}
			}
		}
	}
	text := fmt.Sprintf(" Restores: %d readable now, %d still in progress.", done, ongoing)
	if !first.IsZero() {
		text += fmt.Sprintf(" The restored copies expire from %s to %s.", first.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339))
	}
	if ongoing > 0 {
		text += " Resume the incident's changes later to check again (it sends nothing twice)."
	}
	return text, ongoing
}

// The parameters of these recoveries, for ChangeActions.
var (
	restoreArchivedAction = ChangeAction{ID: "s3.restore-archived", Params: []ParamSpec{
		{Name: "bucket", Help: "bucket name", Required: true},
		{Name: "keys", Help: "comma- or newline-separated object keys; without keys and prefix, every archived object of the bucket"},
		{Name: "prefix", Help: "every object whose key starts with it"},
		{Name: "days", Help: "days the restored copy of an S3 Glacier Flexible Retrieval or Deep Archive object stays readable (default 7; Intelligent-Tiering takes none)"},
		{Name: "tier", Help: "Expedited (minutes; not for Deep Archive), Standard (default; hours) or Bulk (cheapest; hours to two days)"},
		{Name: "concurrency", Help: fmt.Sprintf("calls in flight at once (default %d, at most %d)", DefaultBulkConcurrency, MaxBulkConcurrency)},
	}}
	replicaRestoreAction = ChangeAction{ID: "s3.replica-restore", Params: []ParamSpec{
		{Name: "bucket", Help: "the bucket to copy objects back into (the replication source)", Required: true},
		{Name: "replicaBucket", Help: "the bucket holding the replica; default: the destination of the bucket's replication configuration"},
		{Name: "keys", Help: "comma- or newline-separated object keys; without keys and prefix, every object of the replica"},
		{Name: "prefix", Help: "every key that starts with it"},
		{Name: "concurrency", Help: fmt.Sprintf("calls in flight at once (default %d, at most %d)", DefaultBulkConcurrency, MaxBulkConcurrency)},
	}}
)
