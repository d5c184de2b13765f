package app

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Part 3 of the playbook (eradicate) removes what made the incident
// possible. Its changes (IMDSv2 on the instances of a role, deleting a key
// pair, default encryption with KMS, versioning) go through the change
// framework like the containment ones; its reviews only read, and keep
// what they read as evidence: the instances of a role or key pair, Object
// Lock, the MFA Delete procedure, a least-privilege review of the bucket
// policy and the IAM principals involved.

// Resource kinds of the eradication changes.
const (
	// ResourceInstanceMetadata is an instance's metadata service options.
	// ID: instanceId; state: {"HttpTokens":"optional"|"required"}.
	ResourceInstanceMetadata = "ec2:instance-metadata-options"
	// ResourceKeyPair is an EC2 key pair, null once deleted. ID: keyName;
	// state: the pair as DescribeKeyPairs describes it.
	ResourceKeyPair = "ec2:key-pair"
	// ResourceBucketEncryption is a bucket's default encryption, null
	// when not configured. ID: bucket; state: the
	// ServerSideEncryptionConfiguration ({"Rules":[...]}).
	ResourceBucketEncryption = "s3:bucket-encryption"
	// ResourceBucketVersioning is a bucket's versioning status: "Enabled",
	// "Suspended", or null for a bucket that never had it. ID: bucket.
	ResourceBucketVersioning = "s3:bucket-versioning"
)

// The eradication changes, listed by ChangeActions.
var (
	requireIMDSv2Action = ChangeAction{ID: "ec2.require-imdsv2", Params: []ParamSpec{
		{Name: "roleName", Help: "the role whose instances (through their instance profile) must require IMDSv2", Required: true},
		{Name: "instanceId", Help: "comma-separated instance ids to limit the change to; default: every instance of the role in the region"}}}
	deleteKeyPairAction = ChangeAction{ID: "ec2.delete-key-pair", Params: []ParamSpec{
		{Name: "keyName", Help: "the key pair to delete for good (typed again to confirm)", Required: true}}}
	defaultEncryptionAction = ChangeAction{ID: "s3.default-encryption", Params: []ParamSpec{
		{Name: "bucket", Help: "bucket name", Required: true},
		{Name: "kmsMasterKeyId", Help: "the KMS key: its ARN (best), key id, or alias ARN", Required: true},
		{Name: "bucketKeyEnabled", Help: "true (default) to use an S3 Bucket Key, which cuts KMS requests and cost; false for one KMS call per object"}}}
	versioningAction = ChangeAction{ID: "s3.versioning", Params: []ParamSpec{
		{Name: "bucket", Help: "bucket name", Required: true}}}
)

// InspectActions lists the read-only actions of the playbook this build
// can run through Service.Inspect, with their parameters.
func InspectActions() []ChangeAction {
	bucket := ParamSpec{Name: "bucket", Help: "bucket name", Required: true}
	return []ChangeAction{
		{ID: "ec2.find-role-instances", Params: []ParamSpec{{Name: "roleName", Help: "the role whose instances to list", Required: true}}},
		{ID: "ec2.find-key-pair-instances", Params: []ParamSpec{{Name: "keyName", Help: "the key pair whose instances and launch templates to list", Required: true}}},
		{ID: "s3.object-lock-status", Params: []ParamSpec{bucket}},
		{ID: "s3.mfa-delete-guide", Params: []ParamSpec{bucket}},
		{ID: "s3.policy-review", Params: []ParamSpec{bucket}},
		{ID: "iam.review-principals", Params: []ParamSpec{{Name: "principals", Help: "comma-separated ARNs, access key ids or names to review besides the incident's own and those its evidence names"}}},
	}
}

// PrincipalRef is an IAM principal to review, and where it came from.
type PrincipalRef struct {
	// Value is as found: an ARN, an access key id, a user or role name.
	Value string `json:"value"`
	// From says where: "incident", "parameter", "evidence EV-...".
	From []string `json:"from"`
}

// InspectRequest asks for one of the read-only actions of InspectActions.
type InspectRequest struct {
	Action string
	Params map[string]string
	// Principals are the candidates of iam.review-principals; the Service
	// fills them from the incident, the parameter and the evidence.
	Principals []PrincipalRef
}

// Severities of an inspection's findings.
const (
	SeverityHigh   = "high"
	SeverityMedium = "medium"
	SeverityLow    = "low"
	SeverityInfo   = "info"
)

// InspectFinding is one thing an inspection found, with what to do.
type InspectFinding struct {
	Severity string `json:"severity"`
	// Subject names what it is about: "statement 2 (Sid PublicRead)",
	// "instance i-0abc", "user alice".
	Subject string `json:"subject"`
	Text    string `json:"text"`
	// Fix is a suggested remedy: a policy snippet or a command.
	Fix string `json:"fix,omitempty"`
}

// Inspection is what a read-only action found: findings, the guidance that
// goes with them, AWS CLI commands to repeat the reads or to make a change
// the app does not make itself (MFA Delete), and the responses read.
type Inspection struct {
	Action   string           `json:"action"`
	Title    string           `json:"title"`
	Target   string           `json:"target"`
	Summary  string           `json:"summary"`
	Findings []InspectFinding `json:"findings"`
	Guidance []string         `json:"guidance,omitempty"`
	Commands []string         `json:"commands,omitempty"`
	// Problems are reads that failed; the inspection lacks what they
	// would have said.
	Problems []string `json:"problems,omitempty"`
	// Detail is the action's own data (instances, principals, settings).
	Detail json.RawMessage `json:"detail,omitempty"`
	// Offline is true for an inspection of saved files, with no AWS call.
	Offline bool        `json:"offline,omitempty"`
	Items   []Collected `json:"-"`
}

// Count returns how many findings have the severity.
func (in Inspection) Count(severity string) int {
	n := 0
	for _, f := range in.Findings {
		if f.Severity == severity {
			n++
		}
	}
	return n
}

// Inspector is a Cloud that can run the read-only actions of Part 3.
type Inspector interface {
	Inspect(ctx context.Context, req InspectRequest, by Identity) (Inspection, error)
}

// checkInspect refuses actions that are not read-only actions of the
// playbook this build can run, and parameters they do not take or lack.
func checkInspect(pb *Playbook, req InspectRequest) error {
	def, ok := pb.Action(req.Action)
	if !ok {
		return fmt.Errorf("%w: action %q is not in playbook %s", ErrNotFound, req.Action, pb.ID)
	}
	if def.Mutating {
		return fmt.Errorf("%w: action %s changes the account: plan it as a change", ErrInvalid, req.Action)
	}
	i := slices.IndexFunc(InspectActions(), func(a ChangeAction) bool { return a.ID == req.Action })
	if i < 0 {
		return fmt.Errorf("%w: this build cannot run %s", ErrInvalid, req.Action)
	}
	spec := InspectActions()[i]
	known := map[string]bool{}
	for _, p := range spec.Params {
		known[p.Name] = true
		if p.Required && strings.TrimSpace(req.Params[p.Name]) == "" {
			return fmt.Errorf("%w: %s needs the parameter %s (%s)", ErrInvalid, req.Action, p.Name, p.Help)
		}
	}
	for k := range req.Params {
		if !known[k] {
			return fmt.Errorf("%w: %s takes no parameter %q", ErrInvalid, req.Action, k)
		}
	}
	return nil
}

// Inspect runs a read-only action of Part 3 on the account of profile p
// and keeps what it read, and the inspection itself, as evidence of the
// incident, with a line on the timeline and one finding per high or
// medium finding.
func (s *Service) Inspect(ctx context.Context, incidentID string, p Profile, req InspectRequest) (Inspection, Saved, error) {
	c, err := s.Load(ctx, incidentID)
	if err != nil {
		return Inspection{}, Saved{}, err
	}
	pb, err := s.PlaybookFor(c.Incident)
	if err != nil {
		return Inspection{}, Saved{}, err
	}
	if err := checkInspect(pb, req); err != nil {
		return Inspection{}, Saved{}, err
	}
	conn, in, err := capability[Inspector](ctx, s, incidentID, p, "run "+req.Action)
	if err != nil {
		return Inspection{}, Saved{}, err
	}
	if req.Action == "iam.review-principals" {
		if req.Principals, err = s.incidentPrincipals(ctx, c.Incident, req.Params["principals"], conn.id); err != nil {
			return Inspection{}, Saved{}, err
		}
	}
	rep, err := in.Inspect(ctx, req, conn.id)
	if err != nil {
		return rep, Saved{}, fmt.Errorf("%s: %w", req.Action, err)
	}
	if rep.Action != req.Action {
		return rep, Saved{}, fmt.Errorf("%w: asked for %s, got %s", ErrInvalid, req.Action, rep.Action)
	}
	saved, err := s.KeepInspection(ctx, incidentID, rep, conn.id)
	return rep, saved, err
}

// KeepInspection saves an inspection as evidence of the incident: the
// responses it read, then the inspection itself as JSON, then a line on
// the timeline and a finding for each high or medium finding. by is who
// read: the connection's identity, or for an offline inspection of saved
// files, the person (by.ARN empty: the actor is recorded).
func (s *Service) KeepInspection(ctx context.Context, incidentID string, rep Inspection, by Identity) (Saved, error) {
	if by.ARN == "" {
		by.ARN = s.actor
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return Saved{}, fmt.Errorf("encode the inspection %s: %w", rep.Action, err)
	}
	items := append(slices.Clone(rep.Items), Collected{
		Title: rep.Title, Kind: EvidenceSnapshot, MediaType: "application/json",
		FileName: strings.ReplaceAll(rep.Action, ".", "-") + ".json", CollectedAt: s.now(), Data: data,
		Source: Source{API: "S3 Responder " + rep.Action, Params: map[string]string{"action": rep.Action, "target": rep.Target}},
	})
	return s.keep(ctx, incidentID, by, items, "the result of "+rep.Action, func(refs []string) ([]Entry, error) {
		text := fmt.Sprintf("%s (%s): %s", rep.Title, rep.Action, rep.Summary)
		if len(rep.Problems) > 0 {
			text += fmt.Sprintf(" %d read(s) failed: %s", len(rep.Problems), strings.Join(rep.Problems, "; "))
		}
		entries := []Entry{s.entry(KindAction, text, time.Time{}, refs...)}
		for _, f := range rep.Findings {
			if f.Severity != SeverityHigh && f.Severity != SeverityMedium {
				continue
			}
			entries = append(entries, s.entry(KindFinding, fmt.Sprintf("%s (%s, %s): %s", upper(f.Subject), f.Severity, rep.Action, f.Text), time.Time{}, refs...))
		}
		return entries, nil
	})
}

var (
	// iamARN matches the ARNs of IAM users and roles and of role sessions
	// (STS assumed-role ARNs).
	iamARN = regexp.MustCompile(`arn:aws[a-z-]*:(?:iam::[0-9]{12}:(?:user|role)/[A-Za-z0-9+=,.@_/-]+|sts::[0-9]{12}:assumed-role/[A-Za-z0-9+=,.@_-]+/[A-Za-z0-9+=,.@_-]+)`)
	// accessKeyID matches long-term (AKIA) and temporary (ASIA) key ids.
	accessKeyID = regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16,124}\b`)
)

const (
	// maxEvidenceScan bounds how much of one evidence item is searched for
	// principals: a CloudTrail export can be large, and its principals show
	// early and often.
	maxEvidenceScan = 8 << 20
	// maxPrincipals bounds the principals reviewed in one go, so a huge
	// log does not turn the review into thousands of IAM calls.
	maxPrincipals = 200
)

// incidentPrincipals gathers the principals to review: those named in the
// parameter and on the incident, then every IAM user, role, role session
// and access key the incident's evidence mentions. The connection's own
// identity is left out: it is the responder's.
func (s *Service) incidentPrincipals(ctx context.Context, inc Incident, param string, self Identity) ([]PrincipalRef, error) {
	from := map[string][]string{}
	var order []string
	add := func(v, where string) {
		v = strings.TrimSpace(v)
		if v == "" || v == self.ARN {
			return
		}
		if _, ok := from[v]; !ok {
			order = append(order, v)
		}
		if !slices.Contains(from[v], where) {
			from[v] = append(from[v], where)
		}
	}
	for _, v := range strings.Split(param, ",") {
		add(v, "parameter")
	}
	for _, v := range inc.Principals {
		add(v, "incident")
	}
	if es, ok := s.store.(EvidenceStore); ok {
		items, err := es.Evidence(ctx, inc.ID)
		if err != nil {
			return nil, fmt.Errorf("read the evidence of %s: %w", inc.ID, err)
		}
		for _, ev := range items {
			if !textual(ev) {
				continue
			}
			data, err := es.EvidenceContent(ctx, ev.SHA256)
			if err != nil {
				return nil, fmt.Errorf("read evidence %s: %w", ev.ID, err)
			}
			if len(data) > maxEvidenceScan {
				data = data[:maxEvidenceScan]
			}
			found := append(iamARN.FindAllString(string(data), -1), accessKeyID.FindAllString(string(data), -1)...)
			sort.Strings(found)
			for _, v := range slices.Compact(found) {
				if sessionOf(v, self.ARN) {
					continue
				}
				add(v, "evidence "+ev.ID)
			}
		}
	}
	if len(order) > maxPrincipals {
		order = order[:maxPrincipals]
	}
	out := make([]PrincipalRef, 0, len(order))
	for _, v := range order {
		out = append(out, PrincipalRef{Value: v, From: from[v]})
	}
	return out, nil
}

// textual reports whether an evidence item is text worth searching for
// principals (JSON, CSV, logs), not a PDF or an archive.
func textual(ev Evidence) bool {
	mt := strings.ToLower(ev.MediaType)
	return mt == "" || strings.HasPrefix(mt, "text/") || strings.Contains(mt, "json") || strings.Contains(mt, "csv") || strings.Contains(mt, "xml")
}

// sessionOf reports whether v is the responder's own identity written
// another way: the role of the responder's session, say.
func sessionOf(v, self string) bool {
	if v == self {
		return true
	}
	// arn:aws:sts::A:assumed-role/R/S is role R of account A.
	if i := strings.Index(self, ":assumed-role/"); i > 0 {
		role := strings.SplitN(self[i+len(":assumed-role/"):], "/", 2)[0]
		account := strings.Split(self, ":")[4]
		return strings.Contains(v, ":iam::"+account+":role/") && strings.HasSuffix(v, "/"+role)
	}
	return false
}
