package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Recovery (Part 4) brings back objects of a versioned bucket that were
// deleted or overwritten, from the bucket's own history. Two actions of
// the playbook's catalogue do it, each a bulk change (changebulk.go) over
// the keys a time window shows as changed:
//
//   - s3.remove-delete-marker deletes, by its version id, the delete
//     marker that sits directly on the version to bring back: the object
//     is exactly what it was, same version id, and nothing is lost (a
//     marker holds no data). Undo is a plain DELETE, which hides the
//     object again behind a new marker.
//   - s3.restore-version copies the version to bring back over the
//     current one (CopyObject from its version id): a new version with the
//     same bytes becomes current, and whatever the attacker left (their
//     versions, their delete markers) stays in the history as evidence.
//     Undo deletes that new version by its own version id, which puts the
//     history back exactly as it was before the restore.
//
// The plan is made from the history as listed when planning: each key's
// version to bring back is fixed in the plan (BulkSpec.Args), so a plan
// applied an hour later restores what was shown, and the keys and version
// ids restored are on record in the journal and the evidence.

// Resource kinds of restores. Both have the same state, the content a key
// shows now: {"key":K,"etag":E,"size":N} for a version, {"key":K,
// "deleteMarker":true} when a delete marker hides it, null when the key
// has no history left at all. They differ in how the state is set.
const (
	// ResourceObjectVersion is set by copying an earlier version over the
	// current one, and set back by deleting that copy by its version id.
	ResourceObjectVersion = "s3:object-version"
	// ResourceObjectMarker is set by deleting the delete marker on top of
	// the key, and set back by a plain DELETE.
	ResourceObjectMarker = "s3:object-delete-marker"
	// RestoreArg prefixes the key of each object's RestoreTarget in a
	// restore plan's BulkSpec.Args.
	RestoreArg = "restore:"
)

// Changes a time window shows on a key.
const (
	// KeyDeleted: a delete marker made in the window hides the key.
	KeyDeleted = "deleted"
	// KeyOverwritten: a version made in the window replaced the content.
	KeyOverwritten = "overwritten"
	// KeyOverwrittenDeleted: overwritten, then hidden by a delete marker.
	KeyOverwrittenDeleted = "overwritten and deleted"
	// KeyCreated: the key has no version from before the window, so
	// there is nothing earlier to bring back.
	KeyCreated = "created in the window"
	// KeyLater: the key changed after the window ended; it is left alone.
	KeyLater = "changed after the window"
	// KeyUnchanged: nothing happened to the key in the window.
	KeyUnchanged = "unchanged"
)

// historyTolerance is how close in time a version and a delete marker
// may be for their order to be uncertain. S3's ListObjectVersions returns
// versions and delete markers in two lists, each newest first, so their
// interleaving comes from the times alone; some S3-compatible stores keep
// whole seconds for versions and fractions for markers.
const historyTolerance = 2 * time.Second

// ObjectVersion is one entry of a key's history: a version of the object
// or a delete marker.
type ObjectVersion struct {
	Key          string    `json:"key,omitempty"`
	VersionID    string    `json:"versionId"`
	DeleteMarker bool      `json:"deleteMarker,omitempty"`
	IsLatest     bool      `json:"isLatest,omitempty"`
	LastModified time.Time `json:"lastModified"`
	// ETag is without its quotes.
	ETag         string `json:"etag,omitempty"`
	Size         int64  `json:"size,omitempty"`
	StorageClass string `json:"storageClass,omitempty"`
}

// SameContent reports whether two versions hold the same bytes, as far as
// S3 says: same size and same ETag. Delete markers hold nothing.
func (v ObjectVersion) SameContent(o ObjectVersion) bool {
	return !v.DeleteMarker && !o.DeleteMarker && v.ETag != "" && v.ETag == o.ETag && v.Size == o.Size
}

// KeyHistory is one key's versions and delete markers, each list newest
// first, as S3 lists them.
type KeyHistory struct {
	Key      string          `json:"key"`
	Versions []ObjectVersion `json:"versions,omitempty"`
	Markers  []ObjectVersion `json:"deleteMarkers,omitempty"`
}

// Top returns the key's current entry (the one S3 flags as latest), and
// false when the key has no history.
func (h KeyHistory) Top() (ObjectVersion, bool) {
	for _, list := range [][]ObjectVersion{h.Markers, h.Versions} {
		for _, v := range list {
			if v.IsLatest {
				return v, true
			}
		}
	}
	// A store that flags nothing: the newest of the two lists' heads.
	switch {
	case len(h.Versions) == 0 && len(h.Markers) == 0:
		return ObjectVersion{}, false
	case len(h.Markers) == 0:
		return h.Versions[0], true
	case len(h.Versions) == 0 || h.Markers[0].LastModified.After(h.Versions[0].LastModified):
		return h.Markers[0], true
	}
	return h.Versions[0], true
}

// rest returns both lists without the current entry.
func (h KeyHistory) rest() (versions, markers []ObjectVersion) {
	top, _ := h.Top()
	for _, v := range h.Versions {
		if v.VersionID != top.VersionID {
			versions = append(versions, v)
		}
	}
	for _, m := range h.Markers {
		if m.VersionID != top.VersionID {
			markers = append(markers, m)
		}
	}
	return versions, markers
}

// Below returns the entry directly under the current one, which deleting
// the current one by its version id would make current. ok is false when
// the order is uncertain (a version and a marker too close in time); a
// nil entry with ok true means nothing is below.
func (h KeyHistory) Below() (*ObjectVersion, bool) {
	versions, markers := h.rest()
	switch {
	case len(versions) == 0 && len(markers) == 0:
		return nil, true
	case len(markers) == 0:
		return &versions[0], true
	case len(versions) == 0:
		return &markers[0], true
	}
	d := versions[0].LastModified.Sub(markers[0].LastModified)
	switch {
	case d > historyTolerance:
		return &versions[0], true
	case d < -historyTolerance:
		return &markers[0], true
	}
	return nil, false
}

// Duplicated reports whether another version of the key holds the same
// bytes as v: deleting v then loses no data.
func (h KeyHistory) Duplicated(v ObjectVersion) bool {
	for _, o := range h.Versions {
		if o.VersionID != v.VersionID && o.SameContent(v) {
			return true
		}
	}
	return false
}

// NewestWith returns the newest version holding the same bytes as v.
func (h KeyHistory) NewestWith(v ObjectVersion) (ObjectVersion, bool) {
	for _, o := range h.Versions {
		if o.SameContent(v) {
			return o, true
		}
	}
	return ObjectVersion{}, false
}

// Entries returns every entry newest first: the current one, then the
// others by time (versions before markers of the same time).
func (h KeyHistory) Entries() []ObjectVersion {
	top, ok := h.Top()
	if !ok {
		return nil
	}
	versions, markers := h.rest()
	out := []ObjectVersion{top}
	for len(versions) > 0 || len(markers) > 0 {
		if len(markers) == 0 || (len(versions) > 0 && !markers[0].LastModified.After(versions[0].LastModified)) {
			out = append(out, versions[0])
			versions = versions[1:]
			continue
		}
		out = append(out, markers[0])
		markers = markers[1:]
	}
	return out
}

// RestoreWindow says what a restore undoes: every change made to a key
// from Since on (until Until, when set), or, with VersionID, whatever
// came after that one version. Without Since nor VersionID only delete
// markers are undone, whatever their age.
type RestoreWindow struct {
	Since     time.Time `json:"since,omitzero"`
	Until     time.Time `json:"until,omitzero"`
	VersionID string    `json:"versionId,omitempty"`
}

// String says the window in words.
func (w RestoreWindow) String() string {
	switch {
	case w.VersionID != "":
		return "back to version " + w.VersionID
	case w.Since.IsZero():
		return "every delete marker, whatever its age"
	case w.Until.IsZero():
		return "changes since " + w.Since.UTC().Format(time.RFC3339)
	}
	return "changes from " + w.Since.UTC().Format(time.RFC3339) + " to " + w.Until.UTC().Format(time.RFC3339)
}

// KeyChange is what a window shows happened to a key, and the version
// that brings it back.
type KeyChange struct {
	Key    string `json:"key"`
	Change string `json:"change"`
	// Current is the key's entry now.
	Current ObjectVersion `json:"current"`
	// Restore is the version to bring back; nil when there is none.
	Restore *ObjectVersion `json:"restore,omitempty"`
	// Made are the entries the window covers, newest first: what the
	// restore undoes.
	Made []ObjectVersion `json:"made,omitempty"`
	// MarkerOnly is true when the current entry is a delete marker lying
	// directly on Restore: deleting the marker brings the object back.
	MarkerOnly bool `json:"markerOnly,omitempty"`
	// By says who made the changes, where the evidence says.
	By []ChangeAuthor `json:"by,omitempty"`
}

// Restorable reports whether the change can be undone from the history.
func (k KeyChange) Restorable() bool {
	return k.Restore != nil && (k.Change == KeyDeleted || k.Change == KeyOverwritten || k.Change == KeyOverwrittenDeleted)
}

// ClassifyKey works out what the window shows happened to a key and the
// version to bring back: the newest version made before the window (or
// the one named), whose bytes the key shows again once restored.
func ClassifyKey(h KeyHistory, w RestoreWindow) KeyChange {
	top, ok := h.Top()
	k := KeyChange{Key: h.Key, Change: KeyUnchanged, Current: top}
	if !ok {
		return k
	}
	entries := h.Entries()
	var restore *ObjectVersion
	switch {
	case w.VersionID != "":
		for i, v := range entries {
			if v.VersionID == w.VersionID && !v.DeleteMarker {
				restore = &entries[i]
				k.Made = entries[:i]
				break
			}
		}
		if restore == nil {
			k.Change = KeyCreated
			return k
		}
	case w.Since.IsZero():
		if !top.DeleteMarker {
			return k
		}
		for i, v := range entries {
			if !v.DeleteMarker {
				restore = &entries[i]
				k.Made = entries[:i]
				break
			}
		}
	default:
		if top.LastModified.Before(w.Since) {
			return k
		}
		if !w.Until.IsZero() && top.LastModified.After(w.Until) {
			k.Change = KeyLater
			return k
		}
		for i, v := range entries {
			if !v.DeleteMarker && v.LastModified.Before(w.Since) {
				restore = &entries[i]
				k.Made = entries[:i]
				break
			}
		}
		if restore == nil {
			k.Made = entries
		}
	}
	if restore == nil {
		k.Change = KeyCreated
		return k
	}
	if top.SameContent(*restore) {
		// Written again with the same bytes: nothing to bring back.
		k.Made = nil
		return k
	}
	k.Restore = restore
	overwritten := false
	for _, v := range k.Made {
		if !v.DeleteMarker {
			overwritten = true
		}
	}
	switch {
	case top.DeleteMarker && overwritten:
		k.Change = KeyOverwrittenDeleted
	case top.DeleteMarker:
		k.Change = KeyDeleted
	default:
		k.Change = KeyOverwritten
	}
	if top.DeleteMarker {
		if below, sure := h.Below(); sure && below != nil && below.VersionID == restore.VersionID {
			k.MarkerOnly = true
		}
	}
	return k
}

// RestoreTarget is what a restore plan keeps for each key, under
// RestoreArg+key in BulkSpec.Args: the version to bring back and what
// the window showed, so the plan is applied as shown.
type RestoreTarget struct {
	Change  string          `json:"change"`
	Restore ObjectVersion   `json:"restore"`
	Made    []ObjectVersion `json:"made,omitempty"`
}

// EncodeRestoreTarget writes a key's target for BulkSpec.Args.
func EncodeRestoreTarget(k KeyChange) (string, error) {
	if k.Restore == nil {
		return "", fmt.Errorf("%w: key %s has no version to bring back", ErrInvalid, k.Key)
	}
	t := RestoreTarget{Change: k.Change, Restore: *k.Restore, Made: make([]ObjectVersion, len(k.Made))}
	t.Restore.Key, t.Restore.IsLatest = "", false
	for i, m := range k.Made {
		t.Made[i] = ObjectVersion{VersionID: m.VersionID, DeleteMarker: m.DeleteMarker, LastModified: m.LastModified, ETag: m.ETag, Size: m.Size}
	}
	b, err := json.Marshal(t)
	if err != nil {
		return "", fmt.Errorf("encode the restore of %s: %w", k.Key, err)
	}
	return string(b), nil
}

// RestoreTargetOf reads a key's target from a restore plan.
func RestoreTargetOf(spec BulkSpec, key string) (RestoreTarget, error) {
	raw, ok := spec.Args[RestoreArg+key]
	if !ok {
		return RestoreTarget{}, fmt.Errorf("%w: the plan names no version to bring back for %s", ErrInvalid, key)
	}
	var t RestoreTarget
	if err := json.Unmarshal([]byte(raw), &t); err != nil {
		return RestoreTarget{}, fmt.Errorf("%w: the plan's restore of %s: %v", ErrInvalid, key, err)
	}
	return t, nil
}

// RestoreTargets returns every key's target of a restore plan, by key.
func RestoreTargets(spec BulkSpec) map[string]RestoreTarget {
	out := map[string]RestoreTarget{}
	for k := range spec.Args {
		if key, ok := strings.CutPrefix(k, RestoreArg); ok {
			if t, err := RestoreTargetOf(spec, key); err == nil {
				out[key] = t
			}
		}
	}
	return out
}

// IsRestoreAction reports whether an action id is one of the restores.
func IsRestoreAction(action string) bool {
	return action == "s3.restore-version" || action == "s3.remove-delete-marker"
}

// VersionLister lists a bucket's versions and delete markers: what
// s3.list-versions shows and what restores are planned from. The aws
// package implements it.
type VersionLister interface {
	// ListVersions calls page with whole key histories in key order: the
	// keys under prefix (every key when ""), or only the keys given
	// (those without any history are left out), until the end or an
	// error (page's included).
	ListVersions(ctx context.Context, bucket, prefix string, keys []string, page func([]KeyHistory) error) error
}

// The restore actions' parameters, for ChangeActions.
var (
	restoreParams = []ParamSpec{
		{Name: "bucket", Help: "bucket name", Required: true},
		{Name: "keys", Help: "comma- or newline-separated object keys; without keys and prefix, every key of the bucket"},
		{Name: "prefix", Help: "every key that starts with it"},
		{Name: "since", Help: "start of the window of the changes to undo (RFC 3339, or a date); the version restored is the newest one from before it"},
		{Name: "until", Help: "end of the window; keys changed after it are left alone"},
		{Name: "concurrency", Help: fmt.Sprintf("calls in flight at once (default %d, at most %d)", DefaultBulkConcurrency, MaxBulkConcurrency)},
	}
	restoreVersionAction = ChangeAction{ID: "s3.restore-version", Params: append(restoreParams[:len(restoreParams):len(restoreParams)],
		ParamSpec{Name: "versionId", Help: "with one key: the version to bring back, instead of a window"})}
	removeDeleteMarkerAction = ChangeAction{ID: "s3.remove-delete-marker", Params: restoreParams}
)
