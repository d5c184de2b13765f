package trail

import (
	"cmp"
	"slices"
	"time"
)

// counter counts strings, keeping at most a fixed number of distinct ones.
// Most counters hold one or two names (a principal's address, an object's
// reader), so it starts as a short list and becomes a map only when long.
type counter struct {
	small   []NameCount
	m       map[string]int64
	dropped int64
}

// counterSmall is the length at which a counter's list becomes a map.
const counterSmall = 8

// add counts n more of s; in interns s when it becomes a new entry and
// returns the bytes that entry costs.
func (c *counter) add(s string, n int64, limit int, in func(string) string) int64 {
	if c.m != nil {
		if v, ok := c.m[s]; ok {
			c.m[s] = v + n
			return 0
		}
		if len(c.m) >= limit {
			c.dropped += n
			return 0
		}
		c.m[in(s)] = n
		return 48 + int64(len(s))
	}
	for i := range c.small {
		if c.small[i].Name == s {
			c.small[i].Count += n
			return 0
		}
	}
	if len(c.small) >= limit {
		c.dropped += n
		return 0
	}
	if len(c.small) < counterSmall {
		c.small = append(c.small, NameCount{in(s), n})
		return 32 + int64(len(s))
	}
	c.m = make(map[string]int64, 2*counterSmall)
	for _, e := range c.small {
		c.m[e.Name] = e.Count
	}
	c.small = nil
	c.m[in(s)] = n
	return 48*counterSmall + 48 + int64(len(s))
}

func (c *counter) merge(o *counter, limit int, in func(string) string) int64 {
	var grew int64
	for _, e := range o.small {
		grew += c.add(e.Name, e.Count, limit, in)
	}
	for k, v := range o.m {
		grew += c.add(k, v, limit, in)
	}
	c.dropped += o.dropped
	return grew
}

// sorted returns the counted names, most frequent first.
func (c *counter) sorted() []NameCount {
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
	return out
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

type principalAgg struct {
	arn, typ, account, role string
	events, getObject       int64
	bytesOut, denied        int64
	ips, agents, names      counter
	span
}

type objectKey struct{ bucket, key string }

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

// aggregate holds the bounded tables of an analysis. Workers fill small
// local ones and merge them into the shared one; the same code does both.
type aggregate struct {
	lim  *Limits
	strs map[string]string
	// size estimates the bytes held; no entry is added past lim.MaxBytes.
	size int64

	matched    int64
	when       span
	principals map[principalKey]*principalAgg
	objects    map[objectKey]*objectAgg
	buckets    map[string]*bucketAgg
	reads      map[readKey]*readAgg
	changes    []ConfigChange
	denied     map[deniedKey]*deniedAgg
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
	a.principals = map[principalKey]*principalAgg{}
	a.objects = map[objectKey]*objectAgg{}
	a.buckets = map[string]*bucketAgg{}
	a.reads = map[readKey]*readAgg{}
	a.changes = nil
	a.denied = map[deniedKey]*deniedAgg{}
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
func (a *aggregate) room(n int) bool {
	if a.size+int64(n) > a.lim.MaxBytes {
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
	return a.size > localBudget || len(a.principals) > 512 || len(a.objects) > 4096 || len(a.reads) > 256 ||
		len(a.changes) > 1024 || len(a.denied) > 512
}

// objectHash identifies an object for distinct counts. It is FNV-1a with a
// final mix, not a seeded hash, so that estimates repeat from run to run.
func objectHash(bucket, key string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for i := 0; i < len(bucket); i++ {
		h = (h ^ uint64(bucket[i])) * prime
	}
	h = (h ^ 0xff) * prime
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * prime
	}
	// splitmix64 finaliser: spreads FNV's weak high bits, which the
	// sketch uses as its register index.
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// principal returns the entry for k, creating it if the limits allow; nil
// when they do not. arn and the rest describe the principal on creation.
func (a *aggregate) principal(k principalKey, arn, typ, account, role string) *principalAgg {
	if p := a.principals[k]; p != nil {
		return p
	}
	if len(a.principals) >= a.lim.Principals || !a.room(costPrincipal) {
		return nil
	}
	p := &principalAgg{arn: a.in(arn), typ: a.in(typ), account: a.in(account), role: a.in(role)}
	a.principals[principalKey{a.in(k.accessKey), a.in(k.name)}] = p
	return p
}

func (a *aggregate) bucket(name string) *bucketAgg {
	if b := a.buckets[name]; b != nil {
		return b
	}
	if len(a.buckets) >= a.lim.Buckets || !a.room(costBucket) {
		return nil
	}
	b := &bucketAgg{}
	a.buckets[a.in(name)] = b
	return b
}

func (a *aggregate) object(k objectKey) *objectAgg {
	if o := a.objects[k]; o != nil {
		return o
	}
	if len(a.objects) >= a.lim.Objects || !a.room(costObject+len(k.key)) {
		return nil
	}
	o := &objectAgg{}
	a.objects[objectKey{a.in(k.bucket), k.key}] = o
	return o
}

func (a *aggregate) read(k readKey) *readAgg {
	if g := a.reads[k]; g != nil {
		return g
	}
	if len(a.reads) >= a.lim.ReadGroups || !a.room(costRead) {
		return nil
	}
	g := &readAgg{}
	a.reads[readKey{principalKey{a.in(k.accessKey), a.in(k.name)}, a.in(k.bucket)}] = g
	return g
}

func (a *aggregate) deniedGroup(k deniedKey) *deniedAgg {
	if d := a.denied[k]; d != nil {
		return d
	}
	if len(a.denied) >= a.lim.DeniedGroups || !a.room(costDenied) {
		return nil
	}
	d := &deniedAgg{}
	a.denied[deniedKey{principalKey{a.in(k.accessKey), a.in(k.name)}, a.in(k.event), a.in(k.code), a.in(k.bucket)}] = d
	return d
}

// change keeps a configuration change if the limits allow.
func (a *aggregate) change(c ConfigChange) {
	if len(a.changes) >= a.lim.ConfigChanges || !a.room(costChange+len(c.Target)+len(c.EventID)) {
		a.trunc.ConfigChanges++
		return
	}
	c.EventName, c.EventSource, c.Bucket, c.Principal = a.in(c.EventName), a.in(c.EventSource), a.in(c.Bucket), a.in(c.Principal)
	c.AccessKeyID, c.SourceIP, c.UserAgent, c.ErrorCode, c.Region = a.in(c.AccessKeyID), a.in(c.SourceIP), a.in(c.UserAgent), a.in(c.ErrorCode), a.in(c.Region)
	a.changes = append(a.changes, c)
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
	read := r.IsRead() && r.ErrorCode == ""
	denied := r.Denied()
	lim := a.lim

	if p := a.principal(pk, u.ARN, u.Type, u.AccountID, r.Role()); p != nil {
		p.events++
		p.bytesOut += bytes
		if read {
			p.getObject++
		}
		if denied {
			p.denied++
		}
		a.size += p.ips.add(r.SourceIPAddress, 1, lim.IPsPerPrincipal, a.in)
		if r.UserAgent != "" {
			a.size += p.agents.add(r.UserAgent, 1, lim.AgentsPerPrincipal, a.in)
		}
		a.size += p.names.add(r.EventName, 1, lim.EventsPerPrincipal, a.in)
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
			a.size += o.readers.add(reader, 1, lim.ReadersPerObject, a.in)
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
			a.size += g.ips.add(r.SourceIPAddress, 1, lim.IPsPerPrincipal, a.in)
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
			a.size += d.ips.add(r.SourceIPAddress, 1, lim.IPsPerPrincipal, a.in)
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
		b.bytes += bytes
		if read {
			b.reads++
		}
		if denied {
			b.denied++
		}
	}
	a.size += a.events.add(r.EventName, 1, lim.EventNames, a.in)
}

// merge folds o into a. Both must share limits.
func (a *aggregate) merge(o *aggregate) {
	lim := a.lim
	a.matched += o.matched
	a.when.merge(o.when)
	for k, op := range o.principals {
		p := a.principal(k, op.arn, op.typ, op.account, op.role)
		if p == nil {
			a.trunc.PrincipalEvents += op.events
			continue
		}
		p.events += op.events
		p.getObject += op.getObject
		p.bytesOut += op.bytesOut
		p.denied += op.denied
		a.size += p.ips.merge(&op.ips, lim.IPsPerPrincipal, a.in)
		a.size += p.agents.merge(&op.agents, lim.AgentsPerPrincipal, a.in)
		a.size += p.names.merge(&op.names, lim.EventsPerPrincipal, a.in)
		p.span.merge(op.span)
	}
	for k, ob := range o.buckets {
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
	for k, oo := range o.objects {
		x := a.object(k)
		if x == nil {
			a.trunc.ObjectReads += oo.reads
			a.trunc.ObjectBytes += oo.bytes
			continue
		}
		x.reads += oo.reads
		x.bytes += oo.bytes
		a.size += x.readers.merge(&oo.readers, lim.ReadersPerObject, a.in)
		x.span.merge(oo.span)
	}
	for k, og := range o.reads {
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
		a.size += g.ips.merge(&og.ips, lim.IPsPerPrincipal, a.in)
		g.span.merge(og.span)
	}
	for _, c := range o.changes {
		a.change(c)
	}
	a.deniedN += o.deniedN
	for k, od := range o.denied {
		d := a.deniedGroup(k)
		if d == nil {
			a.trunc.DeniedEvents += od.count
			continue
		}
		d.count += od.count
		a.size += d.ips.merge(&od.ips, lim.IPsPerPrincipal, a.in)
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
}

// fill writes the aggregate's tables into r, sorted.
func (a *aggregate) fill(r *Result) {
	r.Matched = a.matched
	if !a.when.first.IsZero() {
		f, l := a.when.first, a.when.last
		r.FirstEvent, r.LastEvent = &f, &l
	}
	r.Principals = make([]Principal, 0, len(a.principals))
	for k, p := range a.principals {
		ips := p.ips.sorted()
		r.Principals = append(r.Principals, Principal{
			AccessKeyID: k.accessKey, ARN: p.arn, Name: k.name, Type: p.typ, AccountID: p.account, Role: p.role,
			Events: p.events, GetObject: p.getObject, BytesOut: p.bytesOut, Denied: p.denied,
			SourceIPs: names(ips), IPCounts: ips, UserAgents: names(p.agents.sorted()), EventNames: p.names.sorted(),
			FirstSeen: p.first, LastSeen: p.last,
			ListsTruncated: p.ips.dropped+p.agents.dropped+p.names.dropped > 0,
		})
	}
	slices.SortFunc(r.Principals, func(x, y Principal) int {
		return cmp.Or(cmp.Compare(y.BytesOut, x.BytesOut), cmp.Compare(y.Events, x.Events),
			cmp.Compare(x.Name, y.Name), cmp.Compare(x.AccessKeyID, y.AccessKeyID))
	})

	r.ObjectsRead = make([]ObjectRead, 0, len(a.objects))
	for k, o := range a.objects {
		r.ObjectsRead = append(r.ObjectsRead, ObjectRead{
			Bucket: k.bucket, Key: k.key, Reads: o.reads, BytesOut: o.bytes,
			Readers: names(o.readers.sorted()), FirstRead: o.first, LastRead: o.last,
		})
	}
	slices.SortFunc(r.ObjectsRead, func(x, y ObjectRead) int {
		return cmp.Or(cmp.Compare(y.BytesOut, x.BytesOut), cmp.Compare(y.Reads, x.Reads),
			cmp.Compare(x.Bucket, y.Bucket), cmp.Compare(x.Key, y.Key))
	})

	r.BucketsRead = make([]BucketRead, 0, len(a.buckets))
	for k, b := range a.buckets {
		n, est := b.objects.count()
		r.BucketsRead = append(r.BucketsRead, BucketRead{Bucket: k, Reads: b.reads, BytesOut: b.bytes, Objects: n, Estimated: est})
	}
	slices.SortFunc(r.BucketsRead, func(x, y BucketRead) int {
		return cmp.Or(cmp.Compare(y.BytesOut, x.BytesOut), cmp.Compare(y.Reads, x.Reads), cmp.Compare(x.Bucket, y.Bucket))
	})

	r.Reads = make([]ReadGroup, 0, len(a.reads))
	for k, g := range a.reads {
		n, est := g.objects.count()
		r.Reads = append(r.Reads, ReadGroup{
			AccessKeyID: k.accessKey, Principal: k.name, Bucket: k.bucket, Reads: g.reads, Objects: n, Estimated: est,
			BytesOut: g.bytes, SourceIPs: names(g.ips.sorted()), First: g.first, Last: g.last,
		})
	}
	slices.SortFunc(r.Reads, func(x, y ReadGroup) int {
		return cmp.Or(cmp.Compare(y.BytesOut, x.BytesOut), cmp.Compare(y.Reads, x.Reads),
			cmp.Compare(x.Principal, y.Principal), cmp.Compare(x.AccessKeyID, y.AccessKeyID), cmp.Compare(x.Bucket, y.Bucket))
	})

	r.ConfigChanges = slices.Clone(a.changes)
	if r.ConfigChanges == nil {
		r.ConfigChanges = []ConfigChange{}
	}
	slices.SortStableFunc(r.ConfigChanges, func(x, y ConfigChange) int {
		return cmp.Or(x.EventTime.Compare(y.EventTime), cmp.Compare(x.EventID, y.EventID))
	})

	r.DeniedTotal = a.deniedN
	r.Denied = make([]DeniedGroup, 0, len(a.denied))
	for k, d := range a.denied {
		r.Denied = append(r.Denied, DeniedGroup{
			AccessKeyID: k.accessKey, Principal: k.name, EventName: k.event, ErrorCode: k.code, Bucket: k.bucket,
			Count: d.count, SourceIPs: names(d.ips.sorted()), First: d.first, Last: d.last,
		})
	}
	slices.SortFunc(r.Denied, func(x, y DeniedGroup) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), x.First.Compare(y.First), cmp.Compare(x.Principal, y.Principal),
			cmp.Compare(x.AccessKeyID, y.AccessKeyID), cmp.Compare(x.EventName, y.EventName), cmp.Compare(x.ErrorCode, y.ErrorCode), cmp.Compare(x.Bucket, y.Bucket))
	})

	r.EventNames = a.events.sorted()
	r.Histogram = a.histogram()
	r.Truncated = a.trunc
	r.Truncated.EventNames = a.events.dropped
	r.Limits = *a.lim
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
