package trail

import "sync"

// eventIDs remembers which eventIDs an analysis has counted, across files
// and workers, so that records read twice (the same file under two names,
// a .json copy beside its .json.gz, overlapping exports) count once. It
// holds 64-bit hashes, not the IDs: about 10 bytes per event, where the
// 36-character IDs would take five times that; two different IDs share a
// hash about once in 10^10 analyses of a million events. Sharded so that
// workers rarely wait for each other.
type eventIDs struct {
	shards [64]struct {
		mu sync.Mutex
		m  map[uint64]struct{}
	}
}

func newEventIDs() *eventIDs {
	e := &eventIDs{}
	for i := range e.shards {
		e.shards[i].m = make(map[uint64]struct{}, 1024)
	}
	return e
}

// first reports whether id is seen for the first time, and remembers it.
func (e *eventIDs) first(id string) bool {
	h := strHash(id)
	s := &e.shards[h>>58]
	s.mu.Lock()
	// One map operation, not a look-up and an insert: almost every ID is
	// new, and this runs on every record.
	n := len(s.m)
	s.m[h] = struct{}{}
	added := len(s.m) > n
	s.mu.Unlock()
	return added
}
