package trail

import "time"

// Result is what an analysis found. Files and Records count everything read,
// before filters; every other figure covers the events that matched. Lists
// are sorted for a responder: most data out first, changes in time order.
type Result struct {
	// Files is the number of log files opened (digest files excluded).
	Files int64 `json:"files"`
	// Records is the number of records read from them, matching or not.
	Records int64 `json:"records"`
	// Matched is the number of CloudTrail events that passed the filter.
	Matched int64 `json:"matched"`
	// BytesRead is the size of the files on disk (compressed).
	BytesRead int64 `json:"bytesRead"`
	// InvalidRecords counts Records elements that are not CloudTrail events.
	InvalidRecords int64 `json:"invalidRecords"`
	// MistypedRecords counts events with a field of an unexpected type.
	MistypedRecords int64 `json:"mistypedRecords"`
	// DuplicateRecords counts events left out because an event with the
	// same eventID had already been counted (a file read twice, a .json
	// copy beside its .json.gz, overlapping exports).
	DuplicateRecords int64 `json:"duplicateRecords"`
	// DuplicatePaths counts paths left out because they name a file
	// already read (given twice, in another spelling or through a link).
	DuplicatePaths int64 `json:"duplicatePaths"`
	// OversizedRecords counts records over the size cap, skipped.
	OversizedRecords int64 `json:"oversizedRecords"`
	// UnreadableTimes counts events whose eventTime could not be read:
	// they are counted, but have no place in time and match no --since or
	// --until.
	UnreadableTimes int64 `json:"unreadableTimeRecords"`
	// SkippedDigests counts CloudTrail-Digest files left out of the
	// analysis (they hold hashes, not events; see Verify).
	SkippedDigests int64 `json:"skippedDigestFiles"`
	// Errors lists the files that could not be read to their end, or
	// that held records that are not CloudTrail events.
	Errors []FileError `json:"errors"`

	FirstEvent *time.Time `json:"firstEvent,omitempty"`
	LastEvent  *time.Time `json:"lastEvent,omitempty"`

	Principals    []Principal    `json:"principals"`
	ObjectsRead   []ObjectRead   `json:"objectsRead"`
	BucketsRead   []BucketRead   `json:"bucketsRead"`
	Reads         []ReadGroup    `json:"readsByPrincipal"`
	ConfigChanges []ConfigChange `json:"configChanges"`
	Denied        []DeniedGroup  `json:"denied"`
	DeniedTotal   int64          `json:"deniedTotal"`
	EventNames    []NameCount    `json:"eventNames"`
	Histogram     Histogram      `json:"histogram"`

	// Truncated says which tables reached their limit and how much was
	// left out of them. Totals (Matched, bytes per bucket) stay exact.
	Truncated Truncation `json:"truncated"`
	Limits    Limits     `json:"limits"`

	// Summary states the findings in plain language, one per line.
	Summary []string `json:"summary"`
}

// FileError is one file that could not be analysed completely.
type FileError struct {
	File string `json:"file"`
	// Reason says what is wrong, in words.
	Reason string `json:"error"`
	// Records is how many records were read from the file before the
	// fault; they are part of the result.
	Records int64 `json:"records"`
	// Complete is true when the whole file was read and only some of its
	// records were unusable.
	Complete bool `json:"complete"`
}

// Principal is one set of credentials: an access key together with the
// identity it belongs to. Service-originated events have no key and are
// grouped by the service that made the call.
type Principal struct {
	AccessKeyID string `json:"accessKeyId"`
	// ARN is userIdentity.arn; empty for services and some cross-account
	// callers.
	ARN string `json:"arn"`
	// Name is what tables show: the ARN, or the service or account when
	// there is no ARN.
	Name      string `json:"name"`
	Type      string `json:"type,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	// Role is the role behind temporary credentials.
	Role      string `json:"role,omitempty"`
	Events    int64  `json:"events"`
	GetObject int64  `json:"getObject"`
	// BytesRead is object data read: the bytesTransferredOut of
	// successful GetObject calls. OtherBytesOut is what every other
	// response sent (error documents, listings, metadata).
	BytesRead     int64 `json:"bytesRead"`
	OtherBytesOut int64 `json:"otherBytesOut"`
	Denied        int64 `json:"denied"`
	// SourceIPs and IPCounts are the most used addresses, most events
	// first (ties by address), at most Limits.IPsPerPrincipal;
	// SourceIPsOmitted is how many other addresses were seen.
	SourceIPs        []string    `json:"sourceIPs"`
	IPCounts         []NameCount `json:"sourceIPCounts"`
	SourceIPsOmitted int64       `json:"sourceIPsOmitted,omitempty"`
	// UserAgents are the user agents seen, most used first.
	UserAgents        []string `json:"userAgents"`
	UserAgentsOmitted int64    `json:"userAgentsOmitted,omitempty"`
	// EventNames are the most frequent event names with exact counts.
	EventNames        []NameCount `json:"eventNames"`
	EventNamesOmitted int64       `json:"eventNamesOmitted,omitempty"`
	FirstSeen         time.Time   `json:"firstSeen"`
	LastSeen          time.Time   `json:"lastSeen"`
	// ListsTruncated is set when a list above leaves names out.
	ListsTruncated bool `json:"listsTruncated,omitempty"`
	// ListsSampled is set when a list saw more than 10,000 distinct names:
	// its counts then cover a fixed sample of them (the same from run to
	// run) and its top names may miss busier ones outside the sample.
	ListsSampled bool `json:"listsSampled,omitempty"`
}

// ObjectRead is one object whose content was read (successful GetObject).
type ObjectRead struct {
	Bucket   string `json:"bucket"`
	Key      string `json:"key"`
	Reads    int64  `json:"reads"`
	BytesOut int64  `json:"bytesOut"`
	// Readers are the access keys (or principals without a key) that read
	// it, most reads first; ReadersOmitted how many others did.
	Readers        []string  `json:"readers"`
	ReadersOmitted int64     `json:"readersOmitted,omitempty"`
	FirstRead      time.Time `json:"firstRead"`
	LastRead       time.Time `json:"lastRead"`
}

// BucketRead totals the reads from one bucket; it stays exact when the
// per-object table is truncated.
type BucketRead struct {
	Bucket   string `json:"bucket"`
	Reads    int64  `json:"reads"`
	BytesOut int64  `json:"bytesOut"`
	// Objects is the number of distinct objects read; Estimated is set
	// when it comes from a sketch (large counts, within about 2%).
	Objects   int64 `json:"objects"`
	Estimated bool  `json:"estimated,omitempty"`
}

// ReadGroup is what one principal read from one bucket: the unit of the
// plain-language summary.
type ReadGroup struct {
	AccessKeyID string   `json:"accessKeyId"`
	Principal   string   `json:"principal"`
	Bucket      string   `json:"bucket"`
	Reads       int64    `json:"reads"`
	Objects     int64    `json:"objects"`
	Estimated   bool     `json:"estimated,omitempty"`
	BytesOut    int64    `json:"bytesOut"`
	SourceIPs   []string `json:"sourceIPs"`
	// SourceIPsOmitted is how many addresses beyond SourceIPs were used.
	SourceIPsOmitted int64     `json:"sourceIPsOmitted,omitempty"`
	First            time.Time `json:"first"`
	Last             time.Time `json:"last"`
}

// ConfigChange is one call that changed (or tried to change) who can reach a
// bucket, or IAM credentials and permissions.
type ConfigChange struct {
	EventTime   time.Time `json:"eventTime"`
	EventName   string    `json:"eventName"`
	EventSource string    `json:"eventSource"`
	Bucket      string    `json:"bucket"`
	// Target names what was changed when it is not a bucket: the IAM
	// user, role, policy or access key.
	Target      string `json:"target,omitempty"`
	Principal   string `json:"principal"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	SourceIP    string `json:"sourceIP"`
	UserAgent   string `json:"userAgent,omitempty"`
	ErrorCode   string `json:"errorCode,omitempty"`
	Region      string `json:"region,omitempty"`
	EventID     string `json:"eventID,omitempty"`
}

// DeniedGroup counts refused calls of one kind by one principal.
type DeniedGroup struct {
	AccessKeyID string   `json:"accessKeyId,omitempty"`
	Principal   string   `json:"principal"`
	EventName   string   `json:"eventName"`
	ErrorCode   string   `json:"errorCode"`
	Bucket      string   `json:"bucket,omitempty"`
	Count       int64    `json:"count"`
	SourceIPs   []string `json:"sourceIPs"`
	// SourceIPsOmitted is how many addresses beyond SourceIPs were used.
	SourceIPsOmitted int64     `json:"sourceIPsOmitted,omitempty"`
	First            time.Time `json:"first"`
	Last             time.Time `json:"last"`
}

// NameCount is a name with how often it was seen.
type NameCount struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// Histogram counts matched events over time in equal bins.
type Histogram struct {
	// BinSeconds is the width of each bin: an hour or a multiple of it,
	// chosen so the whole span fits in about 200 bins.
	BinSeconds int64     `json:"binSeconds"`
	Bins       []HistBin `json:"bins"`
}

// HistBin is one bin of the histogram; BytesOut is object data read.
type HistBin struct {
	Start    time.Time `json:"start"`
	Events   int64     `json:"events"`
	Reads    int64     `json:"reads"`
	Denied   int64     `json:"denied"`
	BytesOut int64     `json:"bytesOut"`
}

// Truncation reports how much each bounded table left out.
type Truncation struct {
	// PrincipalEvents counts events of principals beyond the limit.
	PrincipalEvents int64 `json:"principalEvents,omitempty"`
	// ObjectReads and ObjectBytes count reads of objects beyond the limit.
	ObjectReads   int64 `json:"objectReads,omitempty"`
	ObjectBytes   int64 `json:"objectBytes,omitempty"`
	BucketReads   int64 `json:"bucketReads,omitempty"`
	ReadGroups    int64 `json:"readGroupReads,omitempty"`
	ConfigChanges int64 `json:"configChanges,omitempty"`
	DeniedEvents  int64 `json:"deniedEvents,omitempty"`
	EventNames    int64 `json:"eventNames,omitempty"`
	// MemoryBudget is set when Limits.MaxBytes refused a row: which rows
	// then depends on the order files were read, and a run may differ
	// from another.
	MemoryBudget bool `json:"memoryBudget,omitempty"`
}

// Any reports whether any table was truncated.
func (t Truncation) Any() bool { return t != Truncation{} }

// Limits bound the tables an analysis keeps, and so its memory. The zero
// value of a field means its default (see DefaultLimits). The ...PerX
// limits are how many names a row lists (the most frequent, counted
// exactly); the others how many rows a table keeps: past the limit a table
// keeps a fixed sample of rows (chosen by a hash of their key, so the same
// from run to run) and counts what the others held as truncated.
type Limits struct {
	Principals         int `json:"principals"`
	IPsPerPrincipal    int `json:"ipsPerPrincipal"`
	AgentsPerPrincipal int `json:"agentsPerPrincipal"`
	EventsPerPrincipal int `json:"eventNamesPerPrincipal"`
	Objects            int `json:"objects"`
	ReadersPerObject   int `json:"readersPerObject"`
	Buckets            int `json:"buckets"`
	ReadGroups         int `json:"readGroups"`
	ConfigChanges      int `json:"configChanges"`
	DeniedGroups       int `json:"deniedGroups"`
	EventNames         int `json:"eventNames"`
	// MaxBytes caps the estimated memory of all tables together: long
	// names (S3 keys run to 1,024 bytes) fill it before the counts do.
	MaxBytes int64 `json:"maxBytes"`
}

// DefaultLimits keeps the shared tables to about 64 MB, whatever the input;
// real incidents fill a small part of it.
func DefaultLimits() Limits {
	return Limits{
		Principals:         20000,
		IPsPerPrincipal:    100,
		AgentsPerPrincipal: 20,
		EventsPerPrincipal: 50,
		Objects:            100000,
		ReadersPerObject:   10,
		Buckets:            500,
		ReadGroups:         1000,
		ConfigChanges:      10000,
		DeniedGroups:       10000,
		EventNames:         2000,
		MaxBytes:           64 << 20,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	set := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&l.Principals, d.Principals)
	set(&l.IPsPerPrincipal, d.IPsPerPrincipal)
	set(&l.AgentsPerPrincipal, d.AgentsPerPrincipal)
	set(&l.EventsPerPrincipal, d.EventsPerPrincipal)
	set(&l.Objects, d.Objects)
	set(&l.ReadersPerObject, d.ReadersPerObject)
	set(&l.Buckets, d.Buckets)
	set(&l.ReadGroups, d.ReadGroups)
	set(&l.ConfigChanges, d.ConfigChanges)
	set(&l.DeniedGroups, d.DeniedGroups)
	set(&l.EventNames, d.EventNames)
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	return l
}
