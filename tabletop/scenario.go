package tabletop

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"s3responder/app"
	"s3responder/exposure"
)

// Scenario is a simulated AWS account and the story behind it, as a
// facilitator writes it in YAML (see the package documentation for the
// format). Policies may be written as JSON text or as YAML; either way
// they are held as compact JSON, the form AWS returns.
type Scenario struct {
	ID       string `yaml:"id"`
	Title    string `yaml:"title"`
	Briefing string `yaml:"briefing"`
	// Account is the twelve-digit account id; Region the account's home
	// region (default us-east-1).
	Account string `yaml:"account"`
	Region  string `yaml:"region"`
	// CanonicalID is the account's canonical user id, the owner in ACLs;
	// derived from the account id when left out.
	CanonicalID string `yaml:"canonicalId"`
	// Caller is who the responders act as.
	Caller Caller `yaml:"caller"`
	// AccountPublicAccessBlock is the account-level Block Public Access;
	// nil means not configured.
	AccountPublicAccessBlock *BPA     `yaml:"accountPublicAccessBlock"`
	Buckets                  []Bucket `yaml:"buckets"`
	Users                    []User   `yaml:"users"`
	Roles                    []Role   `yaml:"roles"`
	// CloudTrail are the events of the story, management events (found by
	// the access-changes lookup) and data events alike.
	CloudTrail     []Event        `yaml:"cloudtrail"`
	Insights       []Insight      `yaml:"insights"`
	AccessAnalyzer *AnalyzerSetup `yaml:"accessAnalyzer"`
	Macie          []MacieRegion  `yaml:"macie"`
	EC2            EC2Setup       `yaml:"ec2"` // instances, key pairs, launch templates (scenario_ec2.go)

	// Name is where the scenario was read from; SHA256 the hash of its bytes.
	Name   string `yaml:"-"`
	SHA256 string `yaml:"-"`
}

// Caller is the identity the responders act as in the simulated account.
type Caller struct {
	ARN    string `yaml:"arn"`
	UserID string `yaml:"userId"`
	// AccessKeyID and SourceIP appear in the CloudTrail events of the
	// responders' own changes.
	AccessKeyID string `yaml:"accessKeyId"`
	SourceIP    string `yaml:"sourceIp"`
}

// BPA is a Block Public Access configuration, bucket or account level.
type BPA struct {
	BlockPublicAcls       bool `yaml:"blockPublicAcls"`
	IgnorePublicAcls      bool `yaml:"ignorePublicAcls"`
	BlockPublicPolicy     bool `yaml:"blockPublicPolicy"`
	RestrictPublicBuckets bool `yaml:"restrictPublicBuckets"`
}

// Grant is one ACL grant. Grantee is AllUsers, AuthenticatedUsers,
// LogDelivery, owner (the account's own canonical id), id:CANONICAL-ID or
// email:ADDRESS; Permission is READ, WRITE, READ_ACP, WRITE_ACP or
// FULL_CONTROL.
type Grant struct {
	Grantee    string `yaml:"grantee"`
	Permission string `yaml:"permission"`
}

// Encryption is a bucket's default encryption.
type Encryption struct {
	// Algorithm is AES256, aws:kms or aws:kms:dsse.
	Algorithm string `yaml:"algorithm"`
	KMSKeyID  string `yaml:"kmsKeyId"`
	BucketKey bool   `yaml:"bucketKey"`
}

// Logging is a bucket's server access logging.
type Logging struct {
	TargetBucket string `yaml:"targetBucket"`
	TargetPrefix string `yaml:"targetPrefix"`
}

// Bucket is one bucket of the simulated account.
type Bucket struct {
	Name    string    `yaml:"name"`
	Region  string    `yaml:"region"`
	Created time.Time `yaml:"created"`
	// Policy is the bucket policy; empty means none.
	Policy Document `yaml:"policy"`
	// ACL is a canned ACL (private, public-read, public-read-write,
	// authenticated-read; default private), Grants further grants.
	ACL               string  `yaml:"acl"`
	Grants            []Grant `yaml:"grants"`
	PublicAccessBlock *BPA    `yaml:"publicAccessBlock"`
	// Ownership is the Object Ownership setting; empty means not configured.
	Ownership string `yaml:"ownership"`
	// Versioning is Enabled, Suspended or empty (never enabled).
	Versioning string            `yaml:"versioning"`
	Encryption *Encryption       `yaml:"encryption"`
	Logging    *Logging          `yaml:"logging"`
	Tags       map[string]string `yaml:"tags"`
	// Website is the index document of a static website; empty means none.
	Website string   `yaml:"website"`
	Objects []Object `yaml:"objects"`
	// ObjectLock, Replication and Lifecycle: see scenario_s3.go.
	ObjectLock  *ObjectLock     `yaml:"objectLock"`
	Replication *Replication    `yaml:"replication"`
	Lifecycle   []LifecycleRule `yaml:"lifecycle"`
}

// Object is one object key of a bucket.
type Object struct {
	Key          string    `yaml:"key"`
	Size         int64     `yaml:"size"`
	LastModified time.Time `yaml:"lastModified"`
	StorageClass string    `yaml:"storageClass"`
	// ACL and Grants are the object's ACL, as for a bucket.
	ACL    string  `yaml:"acl"`
	Grants []Grant `yaml:"grants"`
	// Versions are the object's earlier (noncurrent) versions.
	Versions []Version `yaml:"versions"`
	// DeleteMarker makes the current version a delete marker: the object
	// no longer lists, but its versions remain.
	DeleteMarker bool `yaml:"deleteMarker"`
	// Body is the object's content (its size and ETag follow from it);
	// without it the simulated S3 serves stand-in bytes of Size.
	Body string `yaml:"body"`
	// Restore is a restore of the archived object already requested.
	Restore *Restore `yaml:"restore"`
}

// Version is an earlier version of an object.
type Version struct {
	VersionID    string    `yaml:"versionId"`
	Size         int64     `yaml:"size"`
	LastModified time.Time `yaml:"lastModified"`
	DeleteMarker bool      `yaml:"deleteMarker"`
	StorageClass string    `yaml:"storageClass"`
	Body         string    `yaml:"body"`
}

// User is an IAM user.
type User struct {
	Name             string              `yaml:"name"`
	Path             string              `yaml:"path"`
	Created          time.Time           `yaml:"created"`
	AccessKeys       []AccessKey         `yaml:"accessKeys"`
	InlinePolicies   map[string]Document `yaml:"inlinePolicies"`
	AttachedPolicies []string            `yaml:"attachedPolicies"`
	Groups           []string            `yaml:"groups"`
}

// AccessKey is a long-term access key of a user.
type AccessKey struct {
	ID      string    `yaml:"id"`
	Status  string    `yaml:"status"`
	Created time.Time `yaml:"created"`
	// LastUsed says when and where AWS last saw the key.
	LastUsed *KeyUse `yaml:"lastUsed"`
}

// KeyUse is an access key's last use.
type KeyUse struct {
	Time    time.Time `yaml:"time"`
	Service string    `yaml:"service"`
	Region  string    `yaml:"region"`
}

// Role is an IAM role.
type Role struct {
	Name               string              `yaml:"name"`
	Path               string              `yaml:"path"`
	Created            time.Time           `yaml:"created"`
	MaxSessionDuration int                 `yaml:"maxSessionDuration"`
	TrustPolicy        Document            `yaml:"trustPolicy"`
	InlinePolicies     map[string]Document `yaml:"inlinePolicies"`
	AttachedPolicies   []string            `yaml:"attachedPolicies"`
	InstanceProfiles   []string            `yaml:"instanceProfiles"`
}

// Event is one CloudTrail event of the story.
type Event struct {
	// ID is the event id; derived from the event when left out.
	ID   string    `yaml:"id"`
	Time time.Time `yaml:"time"`
	Name string    `yaml:"name"`
	// Source is the service (s3.amazonaws.com); derived from the name
	// when left out.
	Source string `yaml:"source"`
	// Region defaults to the bucket's region, or us-east-1 for IAM and STS.
	Region      string `yaml:"region"`
	Actor       string `yaml:"actor"`
	AccessKeyID string `yaml:"accessKeyId"`
	SourceIP    string `yaml:"sourceIp"`
	UserAgent   string `yaml:"userAgent"`
	Bucket      string `yaml:"bucket"`
	Key         string `yaml:"key"`
	Role        string `yaml:"role"`
	ErrorCode   string `yaml:"errorCode"`
	BytesOut    int64  `yaml:"bytesOut"` // a read's bytes transferred out (additionalEventData)
	// RequestParameters are recorded as given (a policy as JSON text or YAML).
	RequestParameters Document `yaml:"requestParameters"`
}

// Insight is one CloudTrail Insights event of the story.
type Insight struct {
	ID           string        `yaml:"id"`
	Time         time.Time     `yaml:"time"`
	Region       string        `yaml:"region"`
	State        string        `yaml:"state"`
	Type         string        `yaml:"type"`
	EventSource  string        `yaml:"eventSource"`
	EventName    string        `yaml:"eventName"`
	ErrorCode    string        `yaml:"errorCode"`
	Average      float64       `yaml:"average"`
	Baseline     float64       `yaml:"baseline"`
	Duration     time.Duration `yaml:"duration"`
	Attributions []Attribution `yaml:"attributions"`
}

// Attribution is a value that stood out in an Insights event.
type Attribution struct {
	Attribute string  `yaml:"attribute"`
	Value     string  `yaml:"value"`
	Average   float64 `yaml:"average"`
	Baseline  float64 `yaml:"baseline"`
}

// AnalyzerSetup is IAM Access Analyzer in the simulated account.
type AnalyzerSetup struct {
	Analyzers []AnalyzerDef `yaml:"analyzers"`
	Findings  []FindingDef  `yaml:"findings"`
}

// AnalyzerDef is one analyzer.
type AnalyzerDef struct {
	Name    string    `yaml:"name"`
	Region  string    `yaml:"region"`
	Type    string    `yaml:"type"`
	Status  string    `yaml:"status"`
	Created time.Time `yaml:"created"`
}

// FindingDef is one finding. It stays active only while the account's
// state still grants the access it reports: once the bucket is neither
// public nor shared, or the role's trust policy no longer names the
// principal, the simulated analyzer resolves it, as the real one does.
type FindingDef struct {
	ID        string            `yaml:"id"`
	Analyzer  string            `yaml:"analyzer"`
	Bucket    string            `yaml:"bucket"`
	Role      string            `yaml:"role"`
	Principal map[string]string `yaml:"principal"`
	Actions   []string          `yaml:"actions"`
	Condition map[string]string `yaml:"condition"`
	Public    bool              `yaml:"public"`
	Sources   []string          `yaml:"sources"`
	Created   time.Time         `yaml:"created"`
}

// MacieRegion is Amazon Macie's bucket summary of one region. Macie's
// counts are a daily snapshot, so they do not follow the responders'
// changes.
type MacieRegion struct {
	Region             string    `yaml:"region"`
	Enabled            bool      `yaml:"enabled"`
	LastUpdated        time.Time `yaml:"lastUpdated"`
	Buckets            int64     `yaml:"buckets"`
	PubliclyAccessible int64     `yaml:"publiclyAccessible"`
	PubliclyReadable   int64     `yaml:"publiclyReadable"`
	PubliclyWritable   int64     `yaml:"publiclyWritable"`
	SharedExternal     int64     `yaml:"sharedExternal"`
	SharedInternal     int64     `yaml:"sharedInternal"`
	NotShared          int64     `yaml:"notShared"`
}

// Document is a JSON document in a scenario (a policy, request
// parameters), written either as JSON text or as YAML. JSON is the
// compact JSON; empty when the document was left out.
type Document struct {
	JSON string
	// node is where it was written, for positioned errors.
	node *yaml.Node
	err  string
}

// UnmarshalYAML keeps the document as JSON. Problems are kept for the
// validation, which reports them with their position.
func (d *Document) UnmarshalYAML(n *yaml.Node) error {
	d.node = n
	if n.Kind == yaml.ScalarNode && n.Tag != "!!str" && n.Tag != "!!null" {
		d.err = "write the document as JSON text (a string) or as a YAML mapping"
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		text := strings.TrimSpace(n.Value)
		if text == "" {
			return nil
		}
		var out bytes.Buffer
		if err := json.Compact(&out, []byte(text)); err != nil {
			d.err = "not valid JSON: " + err.Error()
			return nil
		}
		d.JSON = out.String()
		return nil
	}
	var b strings.Builder
	if err := yamlJSON(&b, n, 0); err != nil {
		d.err = err.Error()
		return nil
	}
	d.JSON = b.String()
	return nil
}

// maxDocDepth bounds nesting (and alias expansion) of a YAML document.
const maxDocDepth = 32

// maxDocSize bounds a converted document: aliases can multiply a small
// file into a huge one.
const maxDocSize = 1 << 20

// yamlJSON writes a YAML node as JSON, mapping keys in their order.
func yamlJSON(b *strings.Builder, n *yaml.Node, depth int) error {
	if depth > maxDocDepth {
		return errors.New("the document is nested too deeply")
	}
	if b.Len() > maxDocSize {
		return errors.New("the document is too large")
	}
	switch n.Kind {
	case yaml.AliasNode:
		return yamlJSON(b, n.Alias, depth+1)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			b.WriteString("null")
			return nil
		}
		return yamlJSON(b, n.Content[0], depth+1)
	case yaml.MappingNode:
		b.WriteString("{")
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteString(",")
			}
			k := n.Content[i]
			if k.Kind == yaml.AliasNode {
				k = k.Alias
			}
			if k == nil || k.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a key must be plain text", n.Content[i].Line)
			}
			name, _ := json.Marshal(k.Value)
			b.Write(name)
			b.WriteString(":")
			if err := yamlJSON(b, n.Content[i+1], depth+1); err != nil {
				return err
			}
		}
		b.WriteString("}")
	case yaml.SequenceNode:
		b.WriteString("[")
		for i, c := range n.Content {
			if i > 0 {
				b.WriteString(",")
			}
			if err := yamlJSON(b, c, depth+1); err != nil {
				return err
			}
		}
		b.WriteString("]")
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			b.WriteString("null")
			return nil
		case "!!bool":
			if v, err := strconv.ParseBool(n.Value); err == nil {
				b.WriteString(strconv.FormatBool(v))
				return nil
			}
		case "!!int", "!!float":
			if json.Valid([]byte(n.Value)) {
				b.WriteString(n.Value)
				return nil
			}
		}
		// Everything else, dates included, is text as written.
		s, _ := json.Marshal(n.Value)
		b.Write(s)
	default:
		return fmt.Errorf("line %d: unexpected YAML content", n.Line)
	}
	return nil
}

// ScenarioError is one problem in a scenario file, with where it is.
type ScenarioError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e ScenarioError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// ScenarioErrors is every problem found in one file: a facilitator fixing
// a scenario wants them all at once.
type ScenarioErrors []ScenarioError

func (es ScenarioErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is(err, app.ErrInvalid) hold for a bad scenario.
func (es ScenarioErrors) Unwrap() error { return app.ErrInvalid }

// yamlLine finds "line N:" in a yaml.v3 message.
var yamlLine = regexp.MustCompile(`^line (\d+): `)

// ParseScenario reads a scenario in YAML and validates it. name is used in
// error messages. Unknown fields are errors, so that a misspelt setting
// does not silently leave a bucket more open, or less, than meant.
func ParseScenario(name string, data []byte) (*Scenario, error) {
	var sc Scenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var errs ScenarioErrors
	if err := dec.Decode(&sc); err != nil {
		var te *yaml.TypeError
		switch {
		case errors.Is(err, io.EOF):
			return nil, ScenarioErrors{{File: name, Msg: "the file is empty"}}
		case errors.As(err, &te):
			for _, m := range te.Errors {
				e := ScenarioError{File: name, Msg: m}
				if sub := yamlLine.FindStringSubmatch(m); sub != nil {
					e.Line, _ = strconv.Atoi(sub[1])
					e.Column = 1
					e.Msg = m[len(sub[0]):]
				}
				errs = append(errs, e)
			}
			return nil, errs
		default:
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			e := ScenarioError{File: name, Msg: msg}
			if sub := yamlLine.FindStringSubmatch(msg); sub != nil {
				e.Line, _ = strconv.Atoi(sub[1])
				e.Column = 1
				e.Msg = msg[len(sub[0]):]
			}
			return nil, ScenarioErrors{e}
		}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, ScenarioErrors{{File: name, Line: extra.Line, Column: extra.Column, Msg: "the file holds more than one YAML document; a scenario is one"}}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, ScenarioErrors{{File: name, Msg: err.Error()}}
	}
	sc.Name = name
	sum := sha256.Sum256(data)
	sc.SHA256 = hex.EncodeToString(sum[:])
	v := &validator{file: name, root: &root}
	if len(root.Content) > 0 {
		v.root = root.Content[0]
	}
	sc.validate(v)
	if len(v.errs) > 0 {
		sort.SliceStable(v.errs, func(i, j int) bool { return v.errs[i].Line < v.errs[j].Line })
		return nil, v.errs
	}
	return &sc, nil
}

// validator collects positioned problems.
type validator struct {
	file string
	root *yaml.Node
	errs ScenarioErrors
}

// node finds the YAML node at a path of mapping keys and list positions,
// or the deepest node found on the way, so every problem has a line.
func (v *validator) node(path ...any) *yaml.Node {
	n := v.root
	for _, p := range path {
		next := child(n, p)
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

func child(n *yaml.Node, p any) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch k := p.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				return n.Content[i+1]
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && k >= 0 && k < len(n.Content) {
			return n.Content[k]
		}
	}
	return nil
}

// at records a problem at the node of path.
func (v *validator) at(path []any, format string, args ...any) {
	e := ScenarioError{File: v.file, Msg: fmt.Sprintf(format, args...)}
	if n := v.node(path...); n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	v.errs = append(v.errs, e)
}

// atDoc records a problem inside a document, at the document's own line
// plus the line inside it when the document is a block of JSON text.
func (v *validator) atDoc(d Document, path []any, line int, format string, args ...any) {
	n := d.node
	if n == nil {
		v.at(path, format, args...)
		return
	}
	e := ScenarioError{File: v.file, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, args...)}
	if line > 0 && (n.Style&(yaml.LiteralStyle|yaml.FoldedStyle)) != 0 {
		e.Line, e.Column = n.Line+line, 1
	}
	v.errs = append(v.errs, e)
}

func path(p ...any) []any { return p }

var (
	accountRe = regexp.MustCompile(`^\d{12}$`)
	regionRe  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
	bucketRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	nameRe    = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	keyIDRe   = regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`)
	canonRe   = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// cannedACLs are the canned ACLs a scenario may give.
var cannedACLs = []string{"private", "public-read", "public-read-write", "authenticated-read", "bucket-owner-full-control", "log-delivery-write"}

var permissions = []string{"READ", "WRITE", "READ_ACP", "WRITE_ACP", "FULL_CONTROL"}

func (sc *Scenario) validate(v *validator) {
	if strings.TrimSpace(sc.ID) == "" {
		v.at(path("id"), "the scenario has no id")
	}
	if strings.TrimSpace(sc.Title) == "" {
		v.at(path("title"), "the scenario has no title")
	}
	if !accountRe.MatchString(sc.Account) {
		v.at(path("account"), "account must be a twelve-digit AWS account id (quote it), not %q", sc.Account)
	}
	if sc.Region == "" {
		sc.Region = "us-east-1"
	} else if !regionRe.MatchString(sc.Region) {
		v.at(path("region"), "region %q is not an AWS region name such as eu-west-1", sc.Region)
	}
	if sc.CanonicalID == "" {
		sum := sha256.Sum256([]byte("tabletop canonical id " + sc.Account))
		sc.CanonicalID = hex.EncodeToString(sum[:])
	} else if !canonRe.MatchString(sc.CanonicalID) {
		v.at(path("canonicalId"), "canonicalId must be 64 lower-case hexadecimal digits")
	}
	if sc.Caller.ARN == "" {
		sc.Caller.ARN = fmt.Sprintf("arn:aws:sts::%s:assumed-role/IncidentResponder/responder", sc.Account)
	} else if arnAccount(sc.Caller.ARN) != sc.Account {
		v.at(path("caller", "arn"), "the caller %q must be an ARN of account %s", sc.Caller.ARN, sc.Account)
	}
	if sc.Caller.UserID == "" {
		sc.Caller.UserID = "AROAEXAMPLERESPONDER:responder"
	}
	if sc.Caller.SourceIP == "" {
		sc.Caller.SourceIP = "198.51.100.10"
	}
	sc.validateBuckets(v)
	sc.validateS3(v)
	sc.validateIAM(v)
	sc.validateEvents(v)
	sc.validateEC2(v)
}

func (sc *Scenario) validateBuckets(v *validator) {
	seen := map[string]bool{}
	for i := range sc.Buckets {
		b := &sc.Buckets[i]
		p := func(more ...any) []any { return append(path("buckets", i), more...) }
		switch {
		case !bucketRe.MatchString(b.Name) || strings.Contains(b.Name, ".."):
			v.at(p("name"), "bucket name %q is not a valid S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens)", b.Name)
		case seen[b.Name]:
			v.at(p("name"), "bucket %q is defined twice", b.Name)
		}
		seen[b.Name] = true
		if b.Region == "" {
			b.Region = sc.Region
		} else if !regionRe.MatchString(b.Region) {
			v.at(p("region"), "region %q is not an AWS region name", b.Region)
		}
		if b.Created.IsZero() {
			b.Created = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
		}
		checkDoc(v, b.Policy, p("policy"), "the policy of bucket "+b.Name, func(doc string) error {
			if len(doc) > 20*1024 {
				return fmt.Errorf("the policy is %d bytes, over S3's limit of 20 KB", len(doc))
			}
			_, err := exposure.ParsePolicy(doc)
			return err
		})
		checkACL(v, b.ACL, b.Grants, p)
		if b.Ownership != "" {
			o, err := exposure.ParseOwnership(b.Ownership)
			if err != nil {
				v.at(p("ownership"), "ownership %q is not BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter", b.Ownership)
			}
			b.Ownership = o
		}
		if b.Versioning != "" && b.Versioning != "Enabled" && b.Versioning != "Suspended" {
			v.at(p("versioning"), "versioning is Enabled, Suspended or left out, not %q", b.Versioning)
		}
		if e := b.Encryption; e != nil && !slices.Contains([]string{"AES256", "aws:kms", "aws:kms:dsse"}, e.Algorithm) {
			v.at(p("encryption", "algorithm"), "encryption algorithm is AES256, aws:kms or aws:kms:dsse, not %q", e.Algorithm)
		}
		keys := map[string]bool{}
		for j := range b.Objects {
			o := &b.Objects[j]
			op := func(more ...any) []any { return append(p("objects", j), more...) }
			switch {
			case o.Key == "" || len(o.Key) > 1024:
				v.at(op("key"), "an object key must have 1 to 1,024 characters")
			case keys[o.Key]:
				v.at(op("key"), "object %q is listed twice in bucket %s", o.Key, b.Name)
			}
			keys[o.Key] = true
			if o.Size < 0 {
				v.at(op("size"), "object %q has a negative size", o.Key)
			}
			if o.LastModified.IsZero() {
				o.LastModified = b.Created
			}
			if o.StorageClass == "" {
				o.StorageClass = "STANDARD"
			}
			checkACL(v, o.ACL, o.Grants, op)
			if (len(o.Versions) > 0 || o.DeleteMarker) && b.Versioning == "" {
				v.at(op(), "object %q has versions or a delete marker, but bucket %s was never versioned", o.Key, b.Name)
			}
			for k := range o.Versions {
				ver := &o.Versions[k]
				if ver.VersionID == "" {
					ver.VersionID = versionID(b.Name, o.Key, k)
				}
				if ver.Size < 0 {
					v.at(op("versions", k, "size"), "a version of %q has a negative size", o.Key)
				}
			}
		}
	}
	for i, b := range sc.Buckets {
		if b.Logging != nil && !seen[b.Logging.TargetBucket] {
			v.at(path("buckets", i, "logging", "targetBucket"), "bucket %s logs to %q, which is not a bucket of the scenario", b.Name, b.Logging.TargetBucket)
		}
	}
}

// versionID makes a stable version id for a version the scenario does
// not name.
func versionID(bucket, key string, n int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%s#%d", bucket, key, n))
	return hex.EncodeToString(sum[:16])
}

func checkACL(v *validator, canned string, grants []Grant, p func(...any) []any) {
	if canned != "" && !slices.Contains(cannedACLs, canned) {
		v.at(p("acl"), "acl %q is not a canned ACL (%s)", canned, strings.Join(cannedACLs, ", "))
	}
	for k, g := range grants {
		if _, err := granteeOf(g.Grantee, ""); err != nil {
			v.at(p("grants", k, "grantee"), "%v", err)
		}
		if !slices.Contains(permissions, g.Permission) {
			v.at(p("grants", k, "permission"), "permission %q is not one of %s", g.Permission, strings.Join(permissions, ", "))
		}
	}
}

// checkDoc reports a document that did not convert, or that check
// refuses, at its position.
func checkDoc(v *validator, d Document, p []any, what string, check func(string) error) {
	if d.err != "" {
		v.atDoc(d, p, 0, "%s: %s", what, d.err)
		return
	}
	if d.JSON == "" || check == nil {
		return
	}
	if err := check(d.JSON); err != nil {
		line := 0
		var se *exposure.SyntaxError
		if errors.As(err, &se) {
			line = se.Line
			err = errors.New(se.Msg)
		}
		// A JSON block keeps its line breaks only before compaction:
		// find the line in the text as written.
		if line > 0 && d.node != nil && d.node.Kind == yaml.ScalarNode {
			line = lineOf(d.node.Value, se.Offset, d.JSON)
		}
		v.atDoc(d, p, line, "%s: %v", what, err)
	}
}

// lineOf maps an offset in the compact JSON back to a line of the text as
// written, by counting the significant characters before it.
func lineOf(written string, off int64, compact string) int {
	if off < 0 || off > int64(len(compact)) {
		return 0
	}
	// Compaction only drops the space between tokens, so the offset
	// counts the characters written, outside strings' space.
	target := int(off)
	seen, line, inString, escaped := 0, 1, false, false
	for _, r := range written {
		if seen >= target {
			break
		}
		switch {
		case r == '\n':
			line++
		case inString:
			seen += len(string(r))
			switch {
			case escaped:
				escaped = false
			case r == '\\':
				escaped = true
			case r == '"':
				inString = false
			}
		case r == ' ' || r == '\t' || r == '\r':
		default:
			seen += len(string(r))
			if r == '"' {
				inString = true
			}
		}
	}
	return line
}

// isPolicyDoc checks that a document is a JSON object with a Statement,
// which is all IAM's parser needs of an identity or trust policy here.
func isPolicyDoc(doc string) error {
	var v map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return errors.New("a policy must be a JSON object")
	}
	if _, ok := v["Statement"]; !ok {
		return errors.New("the policy has no Statement")
	}
	return nil
}

func (sc *Scenario) validateIAM(v *validator) {
	users, keys := map[string]bool{}, map[string]bool{}
	for i := range sc.Users {
		u := &sc.Users[i]
		p := func(more ...any) []any { return append(path("users", i), more...) }
		switch {
		case !nameRe.MatchString(u.Name):
			v.at(p("name"), "user name %q is not a valid IAM name", u.Name)
		case users[u.Name]:
			v.at(p("name"), "user %q is defined twice", u.Name)
		}
		users[u.Name] = true
		if u.Path == "" {
			u.Path = "/"
		}
		for j := range u.AccessKeys {
			k := &u.AccessKeys[j]
			kp := func(more ...any) []any { return append(p("accessKeys", j), more...) }
			switch {
			case !keyIDRe.MatchString(k.ID):
				v.at(kp("id"), "access key id %q is not a long-term key id (AKIA and 16 capitals or digits)", k.ID)
			case keys[k.ID]:
				v.at(kp("id"), "access key %s is defined twice", k.ID)
			}
			keys[k.ID] = true
			if k.Status == "" {
				k.Status = "Active"
			}
			if k.Status != "Active" && k.Status != "Inactive" {
				v.at(kp("status"), "access key status is Active or Inactive, not %q", k.Status)
			}
			if k.Created.IsZero() {
				k.Created = u.Created
			}
		}
		for _, name := range sortedKeys(u.InlinePolicies) {
			checkDoc(v, u.InlinePolicies[name], p("inlinePolicies", name), fmt.Sprintf("inline policy %s of user %s", name, u.Name), isPolicyDoc)
		}
	}
	roles := map[string]bool{}
	for i := range sc.Roles {
		r := &sc.Roles[i]
		p := func(more ...any) []any { return append(path("roles", i), more...) }
		switch {
		case !nameRe.MatchString(r.Name):
			v.at(p("name"), "role name %q is not a valid IAM name", r.Name)
		case roles[r.Name]:
			v.at(p("name"), "role %q is defined twice", r.Name)
		}
		roles[r.Name] = true
		if r.Path == "" {
			r.Path = "/"
		}
		if r.MaxSessionDuration == 0 {
			r.MaxSessionDuration = 3600
		} else if r.MaxSessionDuration < 3600 || r.MaxSessionDuration > 43200 {
			v.at(p("maxSessionDuration"), "maxSessionDuration is in seconds, from 3600 to 43200")
		}
		if r.TrustPolicy.JSON == "" && r.TrustPolicy.err == "" {
			v.at(p(), "role %s has no trustPolicy; every role has one", r.Name)
		}
		checkDoc(v, r.TrustPolicy, p("trustPolicy"), "the trust policy of role "+r.Name, isPolicyDoc)
		for _, name := range sortedKeys(r.InlinePolicies) {
			checkDoc(v, r.InlinePolicies[name], p("inlinePolicies", name), fmt.Sprintf("inline policy %s of role %s", name, r.Name), isPolicyDoc)
		}
	}
}

func (sc *Scenario) validateEvents(v *validator) {
	ids := map[string]bool{}
	for i := range sc.CloudTrail {
		e := &sc.CloudTrail[i]
		p := func(more ...any) []any { return append(path("cloudtrail", i), more...) }
		if e.Name == "" {
			v.at(p(), "event %d has no name (the API call, such as PutBucketPolicy)", i+1)
		}
		if e.Time.IsZero() {
			v.at(p(), "event %d (%s) has no time", i+1, e.Name)
		}
		if e.Source == "" {
			e.Source = sourceOf(e.Name, e.Role)
		}
		if e.Region == "" {
			e.Region = sc.eventRegion(*e)
		} else if !regionRe.MatchString(e.Region) {
			v.at(p("region"), "region %q is not an AWS region name", e.Region)
		}
		if e.ID == "" {
			sum := sha256.Sum256(fmt.Appendf(nil, "%s %s %s %d", sc.ID, e.Name, e.Time.UTC().Format(time.RFC3339Nano), i))
			h := hex.EncodeToString(sum[:16])
			e.ID = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
		}
		if ids[e.ID] {
			v.at(p("id"), "event id %s is used twice", e.ID)
		}
		ids[e.ID] = true
		checkDoc(v, e.RequestParameters, p("requestParameters"), "the request parameters of event "+e.Name, func(doc string) error {
			var m map[string]json.RawMessage
			if json.Unmarshal([]byte(doc), &m) != nil {
				return errors.New("request parameters must be a mapping")
			}
			return nil
		})
	}
	for i, in := range sc.Insights {
		if in.Time.IsZero() || in.EventName == "" {
			v.at(path("insights", i), "an Insights event needs a time and an eventName")
		}
		if in.State != "Start" && in.State != "End" {
			v.at(path("insights", i, "state"), "an Insights event's state is Start or End, not %q", in.State)
		}
		if in.Type != "ApiCallRateInsight" && in.Type != "ApiErrorRateInsight" {
			v.at(path("insights", i, "type"), "an Insights event's type is ApiCallRateInsight or ApiErrorRateInsight, not %q", in.Type)
		}
	}
	if aa := sc.AccessAnalyzer; aa != nil {
		names := map[string]bool{}
		for i := range aa.Analyzers {
			a := &aa.Analyzers[i]
			if a.Name == "" {
				v.at(path("accessAnalyzer", "analyzers", i), "an analyzer needs a name")
			}
			names[a.Name] = true
			if a.Region == "" {
				a.Region = sc.Region
			}
			if a.Type == "" {
				a.Type = "ACCOUNT"
			}
			if a.Status == "" {
				a.Status = "ACTIVE"
			}
		}
		buckets := map[string]bool{}
		for _, b := range sc.Buckets {
			buckets[b.Name] = true
		}
		roles := map[string]bool{}
		for _, r := range sc.Roles {
			roles[r.Name] = true
		}
		for i, f := range aa.Findings {
			p := path("accessAnalyzer", "findings", i)
			switch {
			case f.ID == "":
				v.at(p, "a finding needs an id")
			case !names[f.Analyzer]:
				v.at(append(p, "analyzer"), "finding %s names analyzer %q, which is not defined", f.ID, f.Analyzer)
			case (f.Bucket == "") == (f.Role == ""):
				v.at(p, "finding %s names a bucket or a role (one of them)", f.ID)
			case f.Bucket != "" && !buckets[f.Bucket]:
				v.at(append(p, "bucket"), "finding %s is about bucket %q, which is not defined", f.ID, f.Bucket)
			case f.Role != "" && !roles[f.Role]:
				v.at(append(p, "role"), "finding %s is about role %q, which is not defined", f.ID, f.Role)
			}
		}
	}
	for i, m := range sc.Macie {
		if !regionRe.MatchString(m.Region) {
			v.at(path("macie", i, "region"), "Macie's summary needs the region it covers")
		}
	}
}

// eventRegion is where CloudTrail records an event: IAM and STS in
// us-east-1, a bucket's calls in its region.
func (sc *Scenario) eventRegion(e Event) string {
	if strings.HasPrefix(e.Source, "iam.") || strings.HasPrefix(e.Source, "sts.") {
		return "us-east-1"
	}
	for _, b := range sc.Buckets {
		if b.Name == e.Bucket {
			return b.Region
		}
	}
	return sc.Region
}

// sourceOf guesses the service of an event from its name.
func sourceOf(name, role string) string {
	switch {
	case name == "AssumeRole" || name == "GetCallerIdentity" || name == "GetSessionToken" || name == "GetFederationToken":
		return "sts.amazonaws.com"
	case strings.Contains(name, "AccessKey") || strings.Contains(name, "User") || strings.Contains(name, "Role") || role != "":
		return "iam.amazonaws.com"
	case strings.HasPrefix(name, "LookupEvents"):
		return "cloudtrail.amazonaws.com"
	}
	return "s3.amazonaws.com"
}

// arnAccount returns the account field of an ARN.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
