package trail

import (
	"cmp"
	"math/bits"
	"slices"
	"time"
)

// counter counts how often each name (an address, a user agent, an event
// name) was seen, exactly: tables show the most frequent names, and which
// those are can only be known once everything is counted. Most counters
// hold one or two names, so it starts as a short list and becomes a map
// only when long.
//
// Memory stays bounded by tracking at most a fixed number of distinct names:
// past it, the counter keeps the names with the smallest hashes and counts
// the events of the others as untracked. Which names those are depends only
// on the input, never on the order workers merged their parts, so a result
// is the same from run to run.
type counter struct {
	small []NameCount
	m     map[string]int64
	// over orders the kept names by hash, largest first; built when the
	// counter first overflows.
	over      hashHeap[string]
	untracked int64
}

// counterSmall is the length at which a counter's list becomes a map.
const counterSmall = 8

// add counts n more of s, tracking at most track distinct names; in
// interns s when it becomes a new entry. It returns the bytes the counter
// grew by.
func (c *counter) add(s string, n int64, track int, in func(string) string) int64 {
	if c.m == nil {
		for i := range c.small {
			if c.small[i].Name == s {
				c.small[i].Count += n
				return 0
			}
		}
		if len(c.small) < min(counterSmall, track) {
			c.small = append(c.small, NameCount{in(s), n})
			return 32 + int64(len(s))
		}
		c.m = make(map[string]int64, 2*counterSmall)
		for _, e := range c.small {
			c.m[e.Name] = e.Count
		}
		c.small = nil
	} else if v, ok := c.m[s]; ok {
		c.m[s] = v + n
		return 0
	}
	if len(c.m) >= track {
		h := strHash(s)
		if c.over == nil {
			c.over = make(hashHeap[string], 0, len(c.m))
			for k := range c.m {
				c.over = append(c.over, hashed[string]{strHash(k), k})
			}
			c.over.init()
		}
		if !c.over.below(h, s, func(a, b string) bool { return a < b }) {
			c.untracked += n
			return 0
		}
		out := c.over.pop()
		c.untracked += c.m[out]
		delete(c.m, out)
		s = in(s)
		c.over.push(hashed[string]{h, s})
		c.m[s] = n
		return 0
	}
	c.m[in(s)] = n
	return 48 + int64(len(s))
}

func (c *counter) merge(o *counter, track int, in func(string) string) int64 {
	var grew int64
	for _, e := range o.small {
		grew += c.add(e.Name, e.Count, track, in)
	}
	for k, v := range o.m {
		grew += c.add(k, v, track, in)
	}
	c.untracked += o.untracked
	return grew
}

// top returns the top most frequent names (ties by name) and how many
// other distinct names were counted.
func (c *counter) top(top int) ([]NameCount, int64) {
	out := make([]NameCount, 0, len(c.small)+len(c.m))
	out = append(out, c.small...)
	for k, v := range c.m {
		out = append(out, NameCount{k, v})
	}
	slices.SortFunc(out, func(a, b NameCount) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return cmp.Compare(a.Name, b.Name)
	})
	if len(out) > top {
		return out[:top:top], int64(len(out) - top)
	}
	return out, 0
}

// sampled reports whether the counter saw more distinct names than it
// tracks.
func (c *counter) sampled() bool { return c.over != nil }

// hashed is a table key with its hash.
type hashed[K any] struct {
	h uint64
	k K
}

// hashHeap is a max-heap of keys by hash: the key a full table pushes out
// first.
type hashHeap[K any] []hashed[K]

func (q hashHeap[K]) init() {
	for i := len(q)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
}

// below reports whether (h, k) comes before the largest key held, in hash
// order with ties broken by less (nil: keys of equal hash never displace).
func (q hashHeap[K]) below(h uint64, k K, less func(a, b K) bool) bool {
	if h != q[0].h {
		return h < q[0].h
	}
	return less != nil && less(k, q[0].k)
}

func (q hashHeap[K]) greater(i, j int) bool { return q[i].h > q[j].h }

func (q hashHeap[K]) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(q) {
			return
		}
		big := l
		if r := l + 1; r < len(q) && q.greater(r, l) {
			big = r
		}
		if !q.greater(big, i) {
			return
		}
		q[i], q[big] = q[big], q[i]
		i = big
	}
}

func (q *hashHeap[K]) pop() K {
	old := *q
	top := old[0].k
	n := len(old) - 1
	old[0] = old[n]
	*q = old[:n]
	q.down(0)
	return top
}

func (q *hashHeap[K]) push(x hashed[K]) {
	*q = append(*q, x)
	h := *q
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h.greater(i, parent) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

// table is one of the aggregate's keyed tables, holding at most a limit of
// entries. When more keys are seen it keeps those with the smallest hashes
// and hands back the entry it pushes out, so the caller can count it as
// left out: the kept keys are the same whatever order they arrived in, and
// a kept key was never pushed out, so its counts are whole.
type table[K comparable, V any] struct {
	m    map[K]*V
	hash func(K) uint64
	over hashHeap[K]
}

func newTable[K comparable, V any](hash func(K) uint64) table[K, V] {
	return table[K, V]{m: map[K]*V{}, hash: hash}
}

// admit decides whether a new key gets an entry when limit entries are
// allowed; out is the entry pushed out to make room for it.
func (t *table[K, V]) admit(k K, limit int) (ok bool, out *V) {
	if len(t.m) < limit {
		return true, nil
	}
	h := t.hash(k)
	if t.over == nil {
		t.over = make(hashHeap[K], 0, len(t.m))
		for key := range t.m {
			t.over = append(t.over, hashed[K]{t.hash(key), key})
		}
		t.over.init()
	}
	if !t.over.below(h, k, nil) {
		return false, nil
	}
	gone := t.over.pop()
	out = t.m[gone]
	delete(t.m, gone)
	return true, out
}

// put adds an admitted entry.
func (t *table[K, V]) put(k K, v *V) {
	t.m[k] = v
	if t.over != nil {
		t.over.push(hashed[K]{t.hash(k), k})
	}
}

// strHash hashes a string eight bytes at a time (it runs on every
// record's eventID), with FNV-1a for the tail and a final mix. It is not
// seeded, so that tables keep the same keys from one run to the next.
func strHash(s string) uint64 {
	h := uint64(fnvBasis) ^ uint64(len(s))
	for ; len(s) >= 8; s = s[8:] {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = bits.RotateLeft64((h^w)*fnvPrime, 29)
	}
	return mix(fnv(h, s))
}

const (
	fnvBasis = 14695981039346656037
	fnvPrime = 1099511628211
)

func fnv(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// mix is splitmix64's finaliser: it spreads FNV's weak high bits, which
// the sketch uses as its register index and the tables as their order.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

func names(nc []NameCount) []string {
	out := make([]string, len(nc))
	for i, n := range nc {
		out[i] = n.Name
	}
	return out
}

// span tracks the first and last time something was seen.
type span struct{ first, last time.Time }

func (s *span) see(t time.Time) {
	if t.IsZero() {
		return
	}
	if s.first.IsZero() || t.Before(s.first) {
		s.first = t
	}
	if t.After(s.last) {
		s.last = t
	}
}

func (s *span) merge(o span) {
	s.see(o.first)
	s.see(o.last)
}

type principalKey struct{ accessKey, name string }

func (k principalKey) hash() uint64 { return mix(fnv(fnv(fnvBasis, k.accessKey)^0xff, k.name)) }

type principalAgg struct {
	arn, typ, account, role string
	events, getObject       int64
	// readBytes is object data read (successful GetObject); otherBytes
	// every other response.
	readBytes, otherBytes int64
	denied                int64
	ips, agents, names    counter
	span
}

type objectKey struct{ bucket, key string }

func (k objectKey) hash() uint64 { return objectHash(k.bucket, k.key) }

type objectAgg struct {
	reads, bytes int64
	readers      counter
	span
}

type bucketAgg struct {
	reads, bytes int64
	objects      distinct
}

type readKey struct {
	principalKey
	bucket string
}

func (k readKey) hash() uint64 { return mix(fnv(k.principalKey.hash()^0xff, k.bucket)) }

type readAgg struct {
	reads, bytes int64
	objects      distinct
	ips          counter
	span
}

type deniedKey struct {
	principalKey
	event, code, bucket string
}

func (k deniedKey) hash() uint64 {
	h := fnv(k.principalKey.hash()^0xff, k.event)
	h = fnv(h^0xff, k.code)
	return mix(fnv(h^0xff, k.bucket))
}

type deniedAgg struct {
	count int64
	ips   counter
	span
}

type histAgg struct{ events, reads, denied, bytes int64 }

// Estimated bytes of one table entry beyond its strings: the struct, its
// map slot and its small slices. They need not be exact, only keep the sum
// honest enough for the memory budget.
const (
	costPrincipal = 400
	costObject    = 200
	costBucket    = 120
	costRead      = 250
	costChange    = 250
	costDenied    = 250
	costString    = 48
)

// tracked is how many distinct names a list of one row (a principal's
// addresses, user agents or event names; an object's readers) counts
// exactly. Tables show the top few (Limits); past this many the list is
// counted over a fixed sample of names (see counter).
const tracked = 10000

// aggregate holds the bounded tables of an analysis. Workers fill small
// local ones and merge them into the shared one; the same code does both.
// Every table keeps the same rows whatever the order of the merges (see
// table and counter), so the result does not depend on the number of
// workers or their timing, unless the memory budget runs out.
type aggregate struct {
	lim  *Limits
	strs map[string]string
	// size estimates the bytes held; no entry is added past lim.MaxBytes.
	size int64

	matched    int64
	when       span
	principals table[principalKey, principalAgg]
	objects    table[objectKey, objectAgg]
	buckets    table[string, bucketAgg]
	reads      table[readKey, readAgg]
	changes    []ConfigChange
	denied     table[deniedKey, deniedAgg]
	deniedN    int64
	hist       map[int64]*histAgg
	events     counter
	trunc      Truncation
}

func newAggregate(lim *Limits) *aggregate {
	a := &aggregate{lim: lim}
	a.reset()
	return a
}

func (a *aggregate) reset() {
	a.strs = map[string]string{}
	a.size = 0
	a.matched = 0
	a.when = span{}
	a.principals = newTable[principalKey, principalAgg](principalKey.hash)
	a.objects = newTable[objectKey, objectAgg](objectKey.hash)
	a.buckets = newTable[string, bucketAgg](strHash)
	a.reads = newTable[readKey, readAgg](readKey.hash)
	a.changes = nil
	a.denied = newTable[deniedKey, deniedAgg](deniedKey.hash)
	a.deniedN = 0
	a.hist = map[int64]*histAgg{}
	a.events = counter{}
	a.trunc = Truncation{}
}

// in interns the short, much repeated strings (names, addresses, agents)
// so a table holds one copy of each. Only strings that go into a table are
// interned, so the intern map is bounded by the tables.
func (a *aggregate) in(s string) string {
	if v, ok := a.strs[s]; ok {
		return v
	}
	a.strs[s] = s
	a.size += costString + int64(len(s))
	return s
}

// room reports whether an entry of n bytes fits the budget, and counts it.
// A refusal depends on what was held at the time, so it is flagged: the
// result may then differ from run to run.
func (a *aggregate) room(n int) bool {
	if a.size+int64(n) > a.lim.MaxBytes {
		a.trunc.MemoryBudget = true
		return false
	}
	a.size += int64(n)
	return true
}

// localBudget is the size at which a worker merges its local tables into
// the shared ones.
const localBudget = 4 << 20

// big reports whether a local aggregate should be merged now, to keep
// worker memory small.
func (a *aggregate) big() bool {
	return a.size > localBudget || len(a.principals.m) > 512 || len(a.objects.m) > 4096 || len(a.reads.m) > 256 ||
		len(a.changes) > 1024 || len(a.denied.m) > 512
}

// objectHash identifies an object for distinct counts. It is not seeded,
// so that estimates repeat from run to run.
func objectHash(bucket, key string) uint64 {
	return mix(fnv(fnv(fnvBasis, bucket)^0xff, key))
}

// least returns the smaller of two non-empty strings, or the non-empty
// one: a row described by several records gets the same description
// whatever order they came in.
func least(a, b string) string {
	if a == "" || (b != "" && b < a) {
		return b
	}
	return a
}

// principal returns the entry for k, creating it if the limits allow; nil
// when they do not. arn and the rest describe the principal.
func (a *aggregate) principal(k principalKey, arn, typ, account, role string) *principalAgg {
	p := a.principals.m[k]
	if p == nil {
		ok, out := a.principals.admit(k, a.lim.Principals)
		if out != nil {
			a.trunc.PrincipalEvents += out.events
		}
		if !ok || !a.room(costPrincipal) {
			return nil
		}
		p = &principalAgg{arn: a.in(arn), typ: a.in(typ), account: a.in(account), role: a.in(role)}
		a.principals.put(principalKey{a.in(k.accessKey), a.in(k.name)}, p)
		return p
	}
	if arn != p.arn {
		p.arn = least(p.arn, a.in(arn))
	}
	if typ != p.typ {
		p.typ = least(p.typ, a.in(typ))
	}
	if account != p.account {
		p.account = least(p.account, a.in(account))
	}
	if role != p.role {
		p.role = least(p.role, a.in(role))
	}
	return p
}

func (a *aggregate) bucket(name string) *bucketAgg {
	if b := a.buckets.m[name]; b != nil {
		return b
	}
	ok, out := a.buckets.admit(name, a.lim.Buckets)
	if out != nil {
		a.trunc.BucketReads += out.reads
		a.size -= out.objects.size()
	}
	if !ok || !a.room(costBucket) {
		return nil
	}
	b := &bucketAgg{}
	a.buckets.put(a.in(name), b)
	return b
}

func (a *aggregate) object(k objectKey) *objectAgg {
	if o := a.objects.m[k]; o != nil {
		return o
	}
	ok, out := a.objects.admit(k, a.lim.Objects)
	if out != nil {
		a.trunc.ObjectReads += out.reads
		a.trunc.ObjectBytes += out.bytes
	}
	if !ok || !a.room(costObject+len(k.key)) {
		return nil
	}
	o := &objectAgg{}
	a.objects.put(objectKey{a.in(k.bucket), k.key}, o)
	return o
}

func (a *aggregate) read(k readKey) *readAgg {
	if g := a.reads.m[k]; g != nil {
		return g
	}
	ok, out := a.reads.admit(k, a.lim.ReadGroups)
	if out != nil {
		a.trunc.ReadGroups += out.reads
		a.size -= out.objects.size()
	}
	if !ok || !a.room(costRead) {
		return nil
	}
	g := &readAgg{}
	a.reads.put(readKey{principalKey{a.in(k.accessKey), a.in(k.name)}, a.in(k.bucket)}, g)
	return g
}

func (a *aggregate) deniedGroup(k deniedKey) *deniedAgg {
	if d := a.denied.m[k]; d != nil {
		return d
	}
	ok, out := a.denied.admit(k, a.lim.DeniedGroups)
	if out != nil {
		a.trunc.DeniedEvents += out.count
	}
	if !ok || !a.room(costDenied) {
		return nil
	}
	d := &deniedAgg{}
	a.denied.put(deniedKey{principalKey{a.in(k.accessKey), a.in(k.name)}, a.in(k.event), a.in(k.code), a.in(k.bucket)}, d)
	return d
}

// change keeps a configuration change. The table keeps the earliest
// changes (in the order of changeOrder): past twice the limit it is cut
// back to the limit, so it holds the same changes whatever the order they
// were merged in.
func (a *aggregate) change(c ConfigChange) {
	if !a.room(costChange + len(c.Target) + len(c.EventID)) {
		a.trunc.ConfigChanges++
		return
	}
	c.EventName, c.EventSource, c.Bucket, c.Principal = a.in(c.EventName), a.in(c.EventSource), a.in(c.Bucket), a.in(c.Principal)
	c.AccessKeyID, c.SourceIP, c.UserAgent, c.ErrorCode, c.Region = a.in(c.AccessKeyID), a.in(c.SourceIP), a.in(c.UserAgent), a.in(c.ErrorCode), a.in(c.Region)
	a.changes = append(a.changes, c)
	if len(a.changes) >= 2*a.lim.ConfigChanges {
		a.cutChanges()
	}
}

// cutChanges sorts the changes and keeps the earliest lim.ConfigChanges.
func (a *aggregate) cutChanges() {
	slices.SortFunc(a.changes, changeOrder)
	if n := a.lim.ConfigChanges; len(a.changes) > n {
		for _, c := range a.changes[n:] {
			a.size -= int64(costChange + len(c.Target) + len(c.EventID))
		}
		a.trunc.ConfigChanges += int64(len(a.changes) - n)
		clear(a.changes[n:])
		a.changes = a.changes[:n]
	}
}

// changeOrder is time order, ties by event id and then by every other
// field, so that equal times come out in one order.
func changeOrder(x, y ConfigChange) int {
	return cmp.Or(x.EventTime.Compare(y.EventTime), cmp.Compare(x.EventID, y.EventID), cmp.Compare(x.EventName, y.EventName),
		cmp.Compare(x.EventSource, y.EventSource), cmp.Compare(x.Principal, y.Principal), cmp.Compare(x.AccessKeyID, y.AccessKeyID),
		cmp.Compare(x.Target, y.Target), cmp.Compare(x.Bucket, y.Bucket), cmp.Compare(x.SourceIP, y.SourceIP),
		cmp.Compare(x.ErrorCode, y.ErrorCode), cmp.Compare(x.Region, y.Region), cmp.Compare(x.UserAgent, y.UserAgent))
}

// grow counts the change in size of a distinct counter.
func (a *aggregate) grow(d *distinct, before int64) {
	a.size += d.size() - before
}

// add counts one matched record; t is its parsed eventTime.
func (a *aggregate) add(r *Record, t time.Time) {
	a.matched++
	a.when.see(t)
	u := &r.UserIdentity
	pk := principalKey{u.AccessKeyID, r.Principal()}
	bytes := r.BytesOut()
	read := r.IsDataRead()
	denied := r.Denied()

	if p := a.principal(pk, u.ARN, u.Type, u.AccountID, r.Role()); p != nil {
		p.events++
		if read {
			p.getObject++
			p.readBytes += bytes
		} else {
			p.otherBytes += bytes
		}
		if denied {
			p.denied++
		}
		a.size += p.ips.add(r.SourceIPAddress, 1, tracked, a.in)
		if r.UserAgent != "" {
			a.size += p.agents.add(r.UserAgent, 1, tracked, a.in)
		}
		a.size += p.names.add(r.EventName, 1, tracked, a.in)
		p.see(t)
	} else {
		a.trunc.PrincipalEvents++
	}

	if read {
		bucket, key := r.Bucket(), r.Key()
		h := objectHash(bucket, key)
		if b := a.bucket(bucket); b != nil {
			b.reads++
			b.bytes += bytes
			before := b.objects.size()
			b.objects.add(h)
			a.grow(&b.objects, before)
		} else {
			a.trunc.BucketReads++
		}
		if o := a.object(objectKey{bucket, key}); o != nil {
			o.reads++
			o.bytes += bytes
			reader := pk.accessKey
			if reader == "" {
				reader = pk.name
			}
			a.size += o.readers.add(reader, 1, tracked, a.in)
			o.see(t)
		} else {
			a.trunc.ObjectReads++
			a.trunc.ObjectBytes += bytes
		}
		if g := a.read(readKey{pk, bucket}); g != nil {
			g.reads++
			g.bytes += bytes
			before := g.objects.size()
			g.objects.add(h)
			a.grow(&g.objects, before)
			a.size += g.ips.add(r.SourceIPAddress, 1, tracked, a.in)
			g.see(t)
		} else {
			a.trunc.ReadGroups++
		}
	}

	if r.IsConfigChange() {
		a.change(ConfigChange{
			EventTime: t, EventName: r.EventName, EventSource: r.EventSource,
			Bucket: r.Bucket(), Target: r.target(), Principal: pk.name,
			AccessKeyID: pk.accessKey, SourceIP: r.SourceIPAddress, UserAgent: r.UserAgent,
			ErrorCode: r.ErrorCode, Region: r.AWSRegion, EventID: r.EventID,
		})
	}

	if denied {
		a.deniedN++
		if d := a.deniedGroup(deniedKey{pk, r.EventName, r.ErrorCode, r.Bucket()}); d != nil {
			d.count++
			a.size += d.ips.add(r.SourceIPAddress, 1, tracked, a.in)
			d.see(t)
		} else {
			a.trunc.DeniedEvents++
		}
	}

	if !t.IsZero() {
		hour := t.Unix() / 3600
		b := a.hist[hour]
		if b == nil {
			b = &histAgg{}
			a.hist[hour] = b
			a.size += 64
		}
		b.events++
		if read {
			b.reads++
			b.bytes += bytes
		}
		if denied {
			b.denied++
		}
	}
	a.size += a.events.add(r.EventName, 1, a.lim.EventNames, a.in)
}

// merge folds o into a. Both must share limits.
func (a *aggregate) merge(o *aggregate) {
	lim := a.lim
	a.matched += o.matched
	a.when.merge(o.when)
	for k, op := range o.principals.m {
		p := a.principal(k, op.arn, op.typ, op.account, op.role)
		if p == nil {
			a.trunc.PrincipalEvents += op.events
			continue
		}
		p.events += op.events
		p.getObject += op.getObject
		p.readBytes += op.readBytes
		p.otherBytes += op.otherBytes
		p.denied += op.denied
		a.size += p.ips.merge(&op.ips, tracked, a.in)
		a.size += p.agents.merge(&op.agents, tracked, a.in)
		a.size += p.names.merge(&op.names, tracked, a.in)
		p.span.merge(op.span)
	}
	for k, ob := range o.buckets.m {
		b := a.bucket(k)
		if b == nil {
			a.trunc.BucketReads += ob.reads
			continue
		}
		b.reads += ob.reads
		b.bytes += ob.bytes
		before := b.objects.size()
		b.objects.merge(&ob.objects)
		a.grow(&b.objects, before)
	}
	for k, oo := range o.objects.m {
		x := a.object(k)
		if x == nil {
			a.trunc.ObjectReads += oo.reads
			a.trunc.ObjectBytes += oo.bytes
			continue
		}
		x.reads += oo.reads
		x.bytes += oo.bytes
		a.size += x.readers.merge(&oo.readers, tracked, a.in)
		x.span.merge(oo.span)
	}
	for k, og := range o.reads.m {
		g := a.read(k)
		if g == nil {
			a.trunc.ReadGroups += og.reads
			continue
		}
		g.reads += og.reads
		g.bytes += og.bytes
		before := g.objects.size()
		g.objects.merge(&og.objects)
		a.grow(&g.objects, before)
		a.size += g.ips.merge(&og.ips, tracked, a.in)
		g.span.merge(og.span)
	}
	for _, c := range o.changes {
		a.change(c)
	}
	a.deniedN += o.deniedN
	for k, od := range o.denied.m {
		d := a.deniedGroup(k)
		if d == nil {
			a.trunc.DeniedEvents += od.count
			continue
		}
		d.count += od.count
		a.size += d.ips.merge(&od.ips, tracked, a.in)
		d.span.merge(od.span)
	}
	for h, ob := range o.hist {
		b := a.hist[h]
		if b == nil {
			b = &histAgg{}
			a.hist[h] = b
			a.size += 64
		}
		b.events += ob.events
		b.reads += ob.reads
		b.denied += ob.denied
		b.bytes += ob.bytes
	}
	a.size += a.events.merge(&o.events, lim.EventNames, a.in)
	t := &a.trunc
	t.PrincipalEvents += o.trunc.PrincipalEvents
	t.ObjectReads += o.trunc.ObjectReads
	t.ObjectBytes += o.trunc.ObjectBytes
	t.BucketReads += o.trunc.BucketReads
	t.ReadGroups += o.trunc.ReadGroups
	t.ConfigChanges += o.trunc.ConfigChanges
	t.DeniedEvents += o.trunc.DeniedEvents
	t.MemoryBudget = t.MemoryBudget || o.trunc.MemoryBudget
}

// fill writes the aggregate's tables into r, sorted, each list cut to the
// limit of rows shown with the number left out.
func (a *aggregate) fill(r *Result) {
	lim := a.lim
	r.Matched = a.matched
	if !a.when.first.IsZero() {
		f, l := a.when.first, a.when.last
		r.FirstEvent, r.LastEvent = &f, &l
	}
	r.Principals = make([]Principal, 0, len(a.principals.m))
	for k, p := range a.principals.m {
		ips, ipsOut := p.ips.top(lim.IPsPerPrincipal)
		agents, agentsOut := p.agents.top(lim.AgentsPerPrincipal)
		events, eventsOut := p.names.top(lim.EventsPerPrincipal)
		r.Principals = append(r.Principals, Principal{
			AccessKeyID: k.accessKey, ARN: p.arn, Name: k.name, Type: p.typ, AccountID: p.account, Role: p.role,
			Events: p.events, GetObject: p.getObject, BytesRead: p.readBytes, OtherBytesOut: p.otherBytes, Denied: p.denied,
			SourceIPs: names(ips), IPCounts: ips, SourceIPsOmitted: ipsOut,
			UserAgents: names(agents), UserAgentsOmitted: agentsOut,
			EventNames: events, EventNamesOmitted: eventsOut,
			FirstSeen: p.first, LastSeen: p.last,
			ListsTruncated: ipsOut+agentsOut+eventsOut > 0,
			ListsSampled:   p.ips.sampled() || p.agents.sampled() || p.names.sampled(),
		})
	}
	slices.SortFunc(r.Principals, func(x, y Principal) int {
		return cmp.Or(cmp.Compare(y.BytesRead, x.BytesRead), cmp.Compare(y.Events, x.Events),
			cmp.Compare(x.Name, y.Name), cmp.Compare(x.AccessKeyID, y.AccessKeyID))
	})

	r.ObjectsRead = make([]ObjectRead, 0, len(a.objects.m))
	for k, o := range a.objects.m {
		readers, out := o.readers.top(lim.ReadersPerObject)
		r.ObjectsRead = append(r.ObjectsRead, ObjectRead{
			Bucket: k.bucket, Key: k.key, Reads: o.reads, BytesOut: o.bytes,
			Readers: names(readers), ReadersOmitted: out, FirstRead: o.first, LastRead: o.last,
		})
	}
	slices.SortFunc(r.ObjectsRead, func(x, y ObjectRead) int {
		return cmp.Or(cmp.Compare(y.BytesOut, x.BytesOut), cmp.Compare(y.Reads, x.Reads),
			cmp.Compare(x.Bucket, y.Bucket), cmp.Compare(x.Key, y.Key))
	})

	r.BucketsRead = make([]BucketRead, 0, len(a.buckets.m))
	for k, b := range a.buckets.m {
		n, est := b.objects.count()
		r.BucketsRead = append(r.BucketsRead, BucketRead{Bucket: k, Reads: b.reads, BytesOut: b.bytes, Objects: n, Estimated: est})
	}
	slices.SortFunc(r.BucketsRead, func(x, y BucketRead) int {
		return cmp.Or(cmp.Compare(y.BytesOut, x.BytesOut), cmp.Compare(y.Reads, x.Reads), cmp.Compare(x.Bucket, y.Bucket))
	})

	r.Reads = make([]ReadGroup, 0, len(a.reads.m))
	for k, g := range a.reads.m {
		n, est := g.objects.count()
		ips, out := g.ips.top(lim.IPsPerPrincipal)
		r.Reads = append(r.Reads, ReadGroup{
			AccessKeyID: k.accessKey, Principal: k.name, Bucket: k.bucket, Reads: g.reads, Objects: n, Estimated: est,
			BytesOut: g.bytes, SourceIPs: names(ips), SourceIPsOmitted: out, First: g.first, Last: g.last,
		})
	}
	slices.SortFunc(r.Reads, func(x, y ReadGroup) int {
		return cmp.Or(cmp.Compare(y.BytesOut, x.BytesOut), cmp.Compare(y.Reads, x.Reads),
			cmp.Compare(x.Principal, y.Principal), cmp.Compare(x.AccessKeyID, y.AccessKeyID), cmp.Compare(x.Bucket, y.Bucket))
	})

	a.cutChanges()
	r.ConfigChanges = slices.Clone(a.changes)
	if r.ConfigChanges == nil {
		r.ConfigChanges = []ConfigChange{}
	}

	r.DeniedTotal = a.deniedN
	r.Denied = make([]DeniedGroup, 0, len(a.denied.m))
	for k, d := range a.denied.m {
		ips, out := d.ips.top(lim.IPsPerPrincipal)
		r.Denied = append(r.Denied, DeniedGroup{
			AccessKeyID: k.accessKey, Principal: k.name, EventName: k.event, ErrorCode: k.code, Bucket: k.bucket,
			Count: d.count, SourceIPs: names(ips), SourceIPsOmitted: out, First: d.first, Last: d.last,
		})
	}
	slices.SortFunc(r.Denied, func(x, y DeniedGroup) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), x.First.Compare(y.First), cmp.Compare(x.Principal, y.Principal),
			cmp.Compare(x.AccessKeyID, y.AccessKeyID), cmp.Compare(x.EventName, y.EventName), cmp.Compare(x.ErrorCode, y.ErrorCode), cmp.Compare(x.Bucket, y.Bucket))
	})

	r.EventNames, _ = a.events.top(lim.EventNames)
	r.Histogram = a.histogram()
	r.Truncated = a.trunc
	r.Truncated.EventNames = a.events.untracked
	r.Limits = *lim
}

// histBins is the most bins the histogram spreads the span over.
const histBins = 200

// histogram lays the hourly counts out in contiguous bins, widening the bins
// (2 h, 3 h, 6 h, 12 h, a day, a week, ...) until the span fits.
func (a *aggregate) histogram() Histogram {
	if len(a.hist) == 0 {
		return Histogram{BinSeconds: 3600, Bins: []HistBin{}}
	}
	lo, hi := int64(1<<62), int64(-1<<62)
	for h := range a.hist {
		lo, hi = min(lo, h), max(hi, h)
	}
	width := int64(1)
	for _, w := range []int64{1, 2, 3, 6, 12, 24, 48, 168, 336, 720} {
		width = w
		if (hi-lo)/w < histBins {
			break
		}
	}
	if (hi-lo)/width >= histBins {
		width = (hi-lo)/histBins + 1
	}
	start := lo - ((lo%width)+width)%width
	n := (hi-start)/width + 1
	bins := make([]HistBin, n)
	for i := range bins {
		bins[i].Start = time.Unix((start+int64(i)*width)*3600, 0).UTC()
	}
	for h, b := range a.hist {
		i := (h - start) / width
		bins[i].Events += b.events
		bins[i].Reads += b.reads
		bins[i].Denied += b.denied
		bins[i].BytesOut += b.bytes
	}
	return Histogram{BinSeconds: width * 3600, Bins: bins}
}
