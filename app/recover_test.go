package app

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassifyKey(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	ver := func(id string, min int, etag string) ObjectVersion {
		return ObjectVersion{Key: "k", VersionID: id, LastModified: at(min), ETag: etag, Size: int64(len(etag))}
	}
	mark := func(id string, min int) ObjectVersion {
		return ObjectVersion{Key: "k", VersionID: id, DeleteMarker: true, LastModified: at(min)}
	}
	latest := func(v ObjectVersion) ObjectVersion { v.IsLatest = true; return v }
	since := RestoreWindow{Since: at(30)}
	for name, tc := range map[string]struct {
		h      KeyHistory
		w      RestoreWindow
		change string
		// restore is the version id brought back; made the entries undone.
		restore    string
		made       []string
		markerOnly bool
	}{
		"deleted": {KeyHistory{Versions: []ObjectVersion{ver("v1", 0, "aa")}, Markers: []ObjectVersion{latest(mark("m1", 40))}},
			since, KeyDeleted, "v1", []string{"m1"}, true},
		"overwritten twice": {KeyHistory{Versions: []ObjectVersion{latest(ver("v3", 45, "cc")), ver("v2", 40, "bb"), ver("v1", 0, "aa")}},
			since, KeyOverwritten, "v1", []string{"v3", "v2"}, false},
		"overwritten then deleted": {KeyHistory{Versions: []ObjectVersion{ver("v2", 40, "bb"), ver("v1", 0, "aa")}, Markers: []ObjectVersion{latest(mark("m1", 50))}},
			since, KeyOverwrittenDeleted, "v1", []string{"m1", "v2"}, false},
		"older changes kept": {KeyHistory{Versions: []ObjectVersion{latest(ver("v3", 45, "cc")), ver("v2", 20, "bb"), ver("v1", 0, "aa")}},
			since, KeyOverwritten, "v2", []string{"v3"}, false},
		"untouched": {KeyHistory{Versions: []ObjectVersion{latest(ver("v1", 0, "aa"))}},
			since, KeyUnchanged, "", nil, false},
		"written again with the same bytes": {KeyHistory{Versions: []ObjectVersion{latest(ver("v2", 40, "aa")), ver("v1", 0, "aa")}},
			since, KeyUnchanged, "", nil, false},
		"created in the window": {KeyHistory{Versions: []ObjectVersion{latest(ver("v1", 40, "aa"))}},
			since, KeyCreated, "", nil, false},
		"changed after the window": {KeyHistory{Versions: []ObjectVersion{latest(ver("v2", 90, "bb")), ver("v1", 0, "aa")}},
			RestoreWindow{Since: at(30), Until: at(60)}, KeyLater, "", nil, false},
		"no window: markers only": {KeyHistory{Versions: []ObjectVersion{ver("v2", 40, "bb"), ver("v1", 0, "aa")}, Markers: []ObjectVersion{latest(mark("m2", 70)), mark("m1", 60)}},
			RestoreWindow{}, KeyDeleted, "v2", []string{"m2", "m1"}, false},
		"no window: a version on top is left": {KeyHistory{Versions: []ObjectVersion{latest(ver("v2", 40, "bb")), ver("v1", 0, "aa")}},
			RestoreWindow{}, KeyUnchanged, "", nil, false},
		"a named version": {KeyHistory{Versions: []ObjectVersion{latest(ver("v3", 45, "cc")), ver("v2", 20, "bb"), ver("v1", 0, "aa")}},
			RestoreWindow{VersionID: "v1"}, KeyOverwritten, "v1", []string{"v3", "v2"}, false},
		"a named version that is gone": {KeyHistory{Versions: []ObjectVersion{latest(ver("v3", 45, "cc"))}},
			RestoreWindow{VersionID: "v1"}, KeyCreated, "", nil, false},
		// A version and a marker a second apart: which lies on the other
		// is unsure, so deleting the marker is not offered.
		"unsure order": {KeyHistory{Versions: []ObjectVersion{ver("v1", 0, "aa")}, Markers: []ObjectVersion{latest(mark("m2", 40)), {Key: "k", VersionID: "m1", DeleteMarker: true, LastModified: at(0).Add(time.Second)}}},
			since, KeyDeleted, "v1", []string{"m2", "m1"}, false},
	} {
		t.Run(name, func(t *testing.T) {
			tc.h.Key = "k"
			k := ClassifyKey(tc.h, tc.w)
			assert.Equal(t, tc.change, k.Change)
			if tc.restore == "" {
				assert.Nil(t, k.Restore)
				assert.False(t, k.Restorable())
				return
			}
			require.NotNil(t, k.Restore)
			assert.True(t, k.Restorable())
			assert.Equal(t, tc.restore, k.Restore.VersionID)
			var made []string
			for _, m := range k.Made {
				made = append(made, m.VersionID)
			}
			assert.Equal(t, tc.made, made)
			assert.Equal(t, tc.markerOnly, k.MarkerOnly)
		})
	}
}

func TestRestoreTargetRoundTrip(t *testing.T) {
	v := ObjectVersion{Key: "a/b c", VersionID: "v1", LastModified: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), ETag: "abc", Size: 3, IsLatest: true}
	k := KeyChange{Key: "a/b c", Change: KeyDeleted, Restore: &v, Made: []ObjectVersion{{VersionID: "m1", DeleteMarker: true}}}
	enc, err := EncodeRestoreTarget(k)
	require.NoError(t, err)
	spec := BulkSpec{Args: map[string]string{RestoreArg + "a/b c": enc, "since": "2026-03-01T10:30:00Z"}}
	got, err := RestoreTargetOf(spec, "a/b c")
	require.NoError(t, err)
	assert.Equal(t, "v1", got.Restore.VersionID)
	assert.False(t, got.Restore.IsLatest, "the plan keeps what to restore, not what was current")
	assert.Equal(t, KeyDeleted, got.Change)
	assert.Len(t, RestoreTargets(spec), 1)
	_, err = RestoreTargetOf(spec, "other")
	require.ErrorIs(t, err, ErrInvalid)
	_, err = EncodeRestoreTarget(KeyChange{Key: "x"})
	require.ErrorIs(t, err, ErrInvalid)
}

func TestKeyHistoryEntriesAndBelow(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	h := KeyHistory{Key: "k",
		Versions: []ObjectVersion{{VersionID: "w", IsLatest: true, LastModified: t0.Add(time.Hour), ETag: "aa", Size: 2}, {VersionID: "a", LastModified: t0.Add(10 * time.Minute), ETag: "bb", Size: 2}, {VersionID: "v", LastModified: t0, ETag: "aa", Size: 2}},
		Markers:  []ObjectVersion{{VersionID: "m", DeleteMarker: true, LastModified: t0.Add(20 * time.Minute)}},
	}
	var ids []string
	for _, e := range h.Entries() {
		ids = append(ids, e.VersionID)
	}
	assert.Equal(t, []string{"w", "m", "a", "v"}, ids)
	below, ok := h.Below()
	require.True(t, ok)
	assert.Equal(t, "m", below.VersionID)
	top, _ := h.Top()
	assert.True(t, h.Duplicated(top), "w holds v's bytes")
	assert.False(t, h.Duplicated(h.Versions[1]))
	src, ok := h.NewestWith(ObjectVersion{ETag: "aa", Size: 2})
	require.True(t, ok)
	assert.Equal(t, "w", src.VersionID)
	_, ok = KeyHistory{}.Top()
	assert.False(t, ok)
}
