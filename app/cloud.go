package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Identity is who a connection to a cloud account acts as. Its ARN goes
// into CollectedBy of every evidence item the connection collects.
type Identity struct {
	Account string `json:"account"`
	ARN     string `json:"arn"`
	UserID  string `json:"userId"`
}

// MFAPrompt asks the person for a one-time MFA code when a profile assumes
// a role that needs one. It is called from whatever goroutine needs the
// code (an SDK's, in the middle of any call) and blocks until the code is
// typed or the person gives up, which it reports as an error.
type MFAPrompt func(profile, serial string) (string, error)

// Profile chooses the account and region to work in: a profile of the
// person's AWS configuration, or a simulated account for an exercise.
type Profile struct {
	// Name is the profile in the shared AWS config; "" is the default
	// chain (environment, default profile, SSO, instance role).
	Name string
	// Region overrides the profile's region; "" keeps it.
	Region string
	// Exercise marks a simulated account of a tabletop exercise. An
	// exercise incident only works with such a profile, and a real
	// incident never does (see Service.checkProfile).
	Exercise bool
	// MFA asks for codes; nil leaves it to the connector's default.
	MFA MFAPrompt
}

// key identifies a profile in the connection cache.
func (p Profile) key() string {
	return fmt.Sprintf("%q %q %t", strings.TrimSpace(p.Name), strings.TrimSpace(p.Region), p.Exercise)
}

// String names the profile in messages.
func (p Profile) String() string {
	var s string
	if name := strings.TrimSpace(p.Name); name != "" {
		s = fmt.Sprintf("profile %q", name)
	} else {
		s = "the default profile"
	}
	if p.Exercise {
		s = "simulated " + s
	}
	if r := strings.TrimSpace(p.Region); r != "" {
		s += " in " + r
	}
	return s
}

// Collected is one response kept for evidence: the raw answer of one call
// (or, when the call failed or the configuration is absent, a record of
// that answer, which is evidence too) and where it came from.
type Collected struct {
	Title       string    `json:"title"`
	Kind        string    `json:"kind"` // aws-response unless said otherwise
	FileName    string    `json:"fileName,omitempty"`
	MediaType   string    `json:"mediaType,omitempty"`
	Source      Source    `json:"source"`
	CollectedAt time.Time `json:"collectedAt"`
	Data        []byte    `json:"-"`
	// Problem says why the read failed; "" when it worked or when the
	// configuration is simply not set.
	Problem string `json:"problem,omitempty"`
}

// BucketReport is the exposure of one bucket: the S3 console's verdict,
// whether other accounts have access, the reasons in words, and the
// responses it rests on.
type BucketReport struct {
	Bucket string `json:"bucket"`
	Region string `json:"region,omitempty"`
	// Verdict is the console's label: "Public", "Objects can be public",
	// "Bucket and objects not public" or "Only authorized users of this
	// account".
	Verdict    string   `json:"access"`
	Public     bool     `json:"public"`
	Shared     bool     `json:"shared"`
	SharedWith []string `json:"sharedWith,omitempty"`
	Reasons    []string `json:"reasons"`
	// Disagreement, when set, says how the cloud's own verdict and S3
	// Responder's evaluator differ. It must be shown prominently.
	Disagreement string `json:"disagreement,omitempty"`
	// Problems are the reads that failed, in words; the verdict then
	// lacks an input, which Reasons also say.
	Problems []string `json:"problems,omitempty"`
	// Undetermined: a read the verdict depends on failed (access denied,
	// say), so Verdict is "Could not be determined" and Public means
	// only that nothing read shows the bucket public.
	Undetermined bool `json:"undetermined,omitempty"`
	// Detail is the evaluator's whole verdict as JSON (statement by
	// statement, grant by grant), kept as evidence beside the responses;
	// empty means the report itself is kept.
	Detail []byte      `json:"-"`
	Items  []Collected `json:"-"`
}

// ChangeQuery asks for the changes of access in a time window.
type ChangeQuery struct {
	// Bucket, when set, keeps changes of that bucket (and the account- and
	// IAM-level ones, which name no bucket).
	Bucket string
	// Since and Until bound the window; zero means as far back as the
	// cloud keeps events, and now.
	Since, Until time.Time
	// Regions to search; empty lets the cloud choose (the profile's region
	// and where account-wide changes are recorded).
	Regions []string
}

// Change is one recorded change of who can reach a bucket or assume a role.
type Change struct {
	ID          string    `json:"eventId"`
	Name        string    `json:"eventName"`
	Time        time.Time `json:"eventTime"`
	Region      string    `json:"region,omitempty"`
	Actor       string    `json:"actor,omitempty"`
	AccessKeyID string    `json:"accessKeyId,omitempty"`
	SourceIP    string    `json:"sourceIP,omitempty"`
	Bucket      string    `json:"bucket,omitempty"`
	Role        string    `json:"role,omitempty"`
	// ErrorCode is set when the call failed, so nothing changed.
	ErrorCode string `json:"errorCode,omitempty"`
	// Summary says in words what the change did.
	Summary string `json:"summary"`
}

// ChangeReport is the answer to a ChangeQuery.
type ChangeReport struct {
	Changes []Change `json:"changes"`
	// Since, Until and Regions are the window and regions actually
	// searched, which may be narrower than asked.
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until"`
	Regions []string  `json:"regions"`
	// Note tells the person about a limit of the search (a window cut to
	// what the cloud keeps, say).
	Note  string      `json:"note,omitempty"`
	Items []Collected `json:"-"`
}

// Progress is told how much of a long task is done. It is called from the
// task's goroutine; done counts up to total.
type Progress func(done, total int)

// Cloud is everything the wizard asks of an account. The aws package
// implements it over the SDK; a simulated account for tabletop exercises
// implements it without any network. Every method stops when ctx ends and
// returns errors already explained in words a person understands.
type Cloud interface {
	// Identity says who the connection acts as. It needs no permission,
	// so it is the connection check.
	Identity(ctx context.Context) (Identity, error)
	// CheckBucket judges one bucket's public and shared access. A read
	// that fails is reported in the report's Problems, not as an error.
	CheckBucket(ctx context.Context, bucket string) (BucketReport, error)
	// ScanAccount checks every bucket of the account. On error it returns
	// the buckets finished so far.
	ScanAccount(ctx context.Context, progress Progress) ([]BucketReport, error)
	// Snapshot reads the whole configuration of a bucket.
	Snapshot(ctx context.Context, bucket string) ([]Collected, error)
	// AccessChanges looks up the recorded changes of access in a window.
	AccessChanges(ctx context.Context, q ChangeQuery, progress Progress) (ChangeReport, error)
}

// Connector opens a Cloud for a profile. It should not call the cloud yet;
// the Service asks Identity right after.
type Connector func(ctx context.Context, p Profile) (Cloud, error)

// connections are the Service's open clouds, one per profile, so that a
// person asked for an MFA code once is not asked again for every call.
// The zero value is ready to use.
type connections struct {
	mu      sync.Mutex
	connect Connector
	open    map[string]connection
}

type connection struct {
	cloud Cloud
	id    Identity
}

// SetConnector gives the Service its way into cloud accounts. main sets
// the AWS one; without a connector every cloud use case says so.
func (s *Service) SetConnector(c Connector) {
	s.conn.mu.Lock()
	defer s.conn.mu.Unlock()
	s.conn.connect = c
	s.conn.open = nil
}

// checkProfile keeps drills and real incidents apart: an exercise never
// reaches a real account (its calls could change or reveal real things,
// and its answers are not evidence of anything), and a simulated
// account's answers never become evidence of a real incident.
func checkProfile(inc Incident, p Profile) error {
	switch {
	case inc.Exercise && !p.Exercise:
		return fmt.Errorf("%w: incident %s is an exercise: it works only with a simulated account and never calls AWS (%s is a real one)", ErrInvalid, inc.ID, p)
	case !inc.Exercise && p.Exercise:
		return fmt.Errorf("%w: incident %s is a real incident: the answers of a simulated account cannot become its evidence", ErrInvalid, inc.ID)
	}
	return nil
}

// IncidentCloud is a Cloud whose state belongs to each incident rather
// than to the account: the simulated account of a tabletop exercise, which
// every exercise changes on its own. Whenever the Service opens such a
// cloud for an incident it hands it the incident's change journal and
// works with the Cloud it returns, so the account's state follows what the
// journal says was applied, in every process (a CLI command that applies
// a change and the next one that checks it are two processes).
type IncidentCloud interface {
	ForIncident(ctx context.Context, incidentID string, journal []JournalRecord) (Cloud, error)
}

// SimulatedProfileName is the profile name that chooses the simulated
// account of a tabletop exercise: "tabletop" for the built-in scenario,
// "tabletop:SCENARIO" for another built-in scenario or a scenario file.
// No AWS profile should be called that.
const SimulatedProfileName = "tabletop"

// IsSimulatedProfileName reports whether a profile name chooses a
// simulated account, so the CLI and the window can mark the profile as an
// exercise's (Profile.Exercise) without knowing any scenario.
func IsSimulatedProfileName(name string) bool {
	name = strings.TrimSpace(name)
	return name == SimulatedProfileName || strings.HasPrefix(name, SimulatedProfileName+":")
}

// cloudFor checks that the incident may use the profile and returns its
// connection, opening it (and asking who it is) if needed. incidentID ""
// is for work outside an incident (`aws whoami`, `scan`). fresh drops a
// cached connection first, so the configuration is read again (after `aws
// sso login`, a config edit or a new MFA device). A cloud that keeps
// per-incident state (IncidentCloud) is scoped to the incident.
func (s *Service) cloudFor(ctx context.Context, incidentID string, p Profile, fresh bool) (connection, error) {
	conn, err := s.openCloud(ctx, incidentID, p, fresh)
	if err != nil || incidentID == "" {
		return conn, err
	}
	ic, ok := conn.cloud.(IncidentCloud)
	if !ok {
		return conn, nil
	}
	var recs []JournalRecord
	if js, ok := s.store.(JournalStore); ok {
		if recs, err = js.Journal(ctx, incidentID); err != nil {
			return connection{}, fmt.Errorf("read change journal of %s: %w", incidentID, err)
		}
	}
	cloud, err := ic.ForIncident(ctx, incidentID, recs)
	if err != nil {
		return connection{}, fmt.Errorf("open the account of %s for incident %s: %w", p, incidentID, err)
	}
	conn.cloud = cloud
	return conn, nil
}

// openCloud is cloudFor without the incident scope.
func (s *Service) openCloud(ctx context.Context, incidentID string, p Profile, fresh bool) (connection, error) {
	if incidentID != "" {
		c, err := s.Load(ctx, incidentID)
		if err != nil {
			return connection{}, err
		}
		if err := checkProfile(c.Incident, p); err != nil {
			return connection{}, err
		}
	}
	key := p.key()
	s.conn.mu.Lock()
	connect := s.conn.connect
	cached, ok := s.conn.open[key]
	if fresh {
		delete(s.conn.open, key)
	}
	s.conn.mu.Unlock()
	if connect == nil {
		return connection{}, fmt.Errorf("%w: this build of S3 Responder cannot reach cloud accounts", ErrInvalid)
	}
	if ok && !fresh {
		return cached, nil
	}
	// Not under the lock: connecting may wait for a person to type an MFA
	// code, and other profiles must not wait for that.
	cloud, err := connect(ctx, p)
	if err != nil {
		return connection{}, fmt.Errorf("connect with %s: %w", p, err)
	}
	id, err := cloud.Identity(ctx)
	if err != nil {
		return connection{}, fmt.Errorf("connect with %s: %w", p, err)
	}
	conn := connection{cloud: cloud, id: id}
	s.conn.mu.Lock()
	if s.conn.open == nil {
		s.conn.open = map[string]connection{}
	}
	s.conn.open[key] = conn
	s.conn.mu.Unlock()
	return conn, nil
}

// CheckConnection connects afresh with the profile and says who it acts
// as. incidentID may be "" (no incident); with one, the profile must suit
// it (an exercise needs a simulated account).
func (s *Service) CheckConnection(ctx context.Context, incidentID string, p Profile) (Identity, error) {
	conn, err := s.cloudFor(ctx, incidentID, p, true)
	if err != nil {
		return Identity{}, err
	}
	return conn.id, nil
}

// PermissionCheck is one permission the investigation relies on, tried.
type PermissionCheck struct {
	// Permission is the IAM action, such as s3:GetBucketPolicy.
	Permission string `json:"permission"`
	// Purpose says what the wizard uses it for.
	Purpose string `json:"purpose"`
	OK      bool   `json:"ok"`
	// Problem says, when not OK, what was refused and what will be missed.
	Problem string `json:"problem,omitempty"`
}

// Preflighter is a Cloud that can try, without changing anything, the
// calls the investigation makes. It is optional: a simulated account
// has nothing to refuse.
type Preflighter interface {
	Preflight(ctx context.Context, bucket string) ([]PermissionCheck, error)
}

// CheckPermissions tries the calls the investigation makes (with bucket,
// if given, for the bucket reads) and reports which the profile may not
// make, in words. Nothing is recorded.
func (s *Service) CheckPermissions(ctx context.Context, incidentID string, p Profile, bucket string) ([]PermissionCheck, error) {
	conn, err := s.cloudFor(ctx, incidentID, p, false)
	if err != nil {
		return nil, err
	}
	pf, ok := conn.cloud.(Preflighter)
	if !ok {
		return nil, fmt.Errorf("%w: the account of %s cannot check permissions", ErrInvalid, p)
	}
	checks, err := pf.Preflight(ctx, strings.TrimSpace(bucket))
	if err != nil {
		return nil, fmt.Errorf("check the permissions of %s: %w", p, err)
	}
	return checks, nil
}

// Saved is what a collection added to the incident.
type Saved struct {
	// By is the identity the calls were made as.
	By Identity
	// Evidence are the items saved, in order.
	Evidence []Evidence
	// Entries counts the timeline entries recorded besides those of the
	// evidence items (findings, changes, summaries).
	Entries int
}

// evidenceIDs hands out item ids that are unique in the incident: the
// usual id from time and hash, with a counter when the same content is
// collected twice within a second (checking a bucket twice quickly).
type evidenceIDs struct {
	now   time.Time
	taken map[string]bool
}

func (s *Service) newEvidenceIDs(ctx context.Context, incidentID string) (*evidenceIDs, error) {
	items, err := s.ListEvidence(ctx, incidentID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	ids := &evidenceIDs{now: s.now(), taken: map[string]bool{}}
	for _, ev := range items {
		ids.taken[ev.ID] = true
	}
	return ids, nil
}

func (ids *evidenceIDs) next(content []byte) string {
	base := "EV-" + ids.now.Format("20060102T150405") + "-" + HashHex(content)[:8]
	id := base
	for n := 2; ids.taken[id]; n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	ids.taken[id] = true
	return id
}

// saveCollected keeps each response as an evidence item collected by the
// connection's identity. Each item is saved with its own timeline entry,
// which carries its SHA-256 into the hash chain.
func (s *Service) saveCollected(ctx context.Context, incidentID string, by Identity, items []Collected) ([]Evidence, error) {
	ids, err := s.newEvidenceIDs(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	out := make([]Evidence, 0, len(items))
	for _, it := range items {
		kind := it.Kind
		if kind == "" {
			kind = EvidenceAWSResponse
		}
		ev := Evidence{
			ID: ids.next(it.Data), Title: it.Title, Kind: kind, MediaType: it.MediaType, FileName: it.FileName,
			Source: it.Source, CollectedAt: it.CollectedAt, CollectedBy: by.ARN,
		}
		saved, err := s.AddEvidence(ctx, incidentID, ev, it.Data)
		if err != nil {
			return out, err
		}
		out = append(out, saved)
	}
	return out, nil
}

// record appends entries to the incident's timeline in one transaction.
func (s *Service) record(ctx context.Context, incidentID string, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	_, err := s.update(ctx, incidentID, func(c *Case, pb *Playbook) ([]Entry, error) { return entries, nil })
	return err
}

func evidenceRefs(evs []Evidence) []string {
	refs := make([]string, len(evs))
	for i, ev := range evs {
		refs[i] = ev.ID
	}
	return refs
}

// verdictText is the finding recorded for one bucket.
func verdictText(r BucketReport) string {
	where := r.Bucket
	if r.Region != "" {
		where += " (" + r.Region + ")"
	}
	text := fmt.Sprintf("Exposure of bucket %s: %s.", where, r.Verdict)
	if len(r.Reasons) > 0 {
		// The first reason starts with the verdict and says why.
		text = fmt.Sprintf("Exposure of bucket %s: %s", where, r.Reasons[0])
	}
	if r.Shared {
		text += " Shared with " + strings.Join(r.SharedWith, ", ") + "."
	}
	if r.Disagreement != "" {
		text += " DISAGREEMENT: " + r.Disagreement
	}
	if n := len(r.Problems); n > 0 {
		text += fmt.Sprintf(" %d of the reads failed, so the verdict may be incomplete: %s", n, strings.Join(r.Problems, " "))
	}
	return text
}

// verdictItem keeps the verdict itself as evidence, so the reasons as they
// stood at the time travel with the raw responses.
func verdictItem(r BucketReport, by Identity, at time.Time) Collected {
	data := r.Detail
	if len(data) == 0 {
		data, _ = json.MarshalIndent(r, "", "  ") // strings and slices always marshal
	}
	return Collected{
		Title: "Exposure verdict of bucket " + r.Bucket, Kind: EvidenceExposure, MediaType: "application/json",
		FileName: r.Bucket + "-exposure-verdict.json", CollectedAt: at, Data: data,
		Source: Source{Account: by.Account, Region: r.Region, API: "S3 Responder exposure evaluator", Params: map[string]string{"Bucket": r.Bucket}},
	}
}

// CollectBucketExposure checks one bucket's public and shared access and
// keeps the outcome with the incident: every response as an evidence item
// (collected by the caller's ARN), the verdict as an item too, and a
// finding on the timeline that names the items.
func (s *Service) CollectBucketExposure(ctx context.Context, incidentID string, p Profile, bucket string) (BucketReport, Saved, error) {
	bucket = strings.TrimSpace(bucket)
	if bucket == "" {
		return BucketReport{}, Saved{}, fmt.Errorf("%w: name the bucket to check", ErrInvalid)
	}
	conn, err := s.cloudFor(ctx, incidentID, p, false)
	if err != nil {
		return BucketReport{}, Saved{}, err
	}
	rep, err := conn.cloud.CheckBucket(ctx, bucket)
	if err != nil {
		return BucketReport{}, Saved{}, fmt.Errorf("check bucket %s: %w", bucket, err)
	}
	// What came back is kept even if the person cancels now.
	saveCtx := context.WithoutCancel(ctx)
	saved := Saved{By: conn.id}
	items := append(slices.Clone(rep.Items), verdictItem(rep, conn.id, s.now()))
	saved.Evidence, err = s.saveCollected(saveCtx, incidentID, conn.id, items)
	if err != nil {
		return rep, saved, fmt.Errorf("save the exposure of bucket %s: %w", bucket, err)
	}
	entry := s.entry(KindFinding, verdictText(rep), time.Time{}, evidenceRefs(saved.Evidence)...)
	if err := s.record(saveCtx, incidentID, []Entry{entry}); err != nil {
		return rep, saved, fmt.Errorf("record the exposure of bucket %s: %w", bucket, err)
	}
	saved.Entries = 1
	return rep, saved, nil
}

// ScanExposure checks every bucket of the account without keeping
// anything: for a look at an account outside any incident.
func (s *Service) ScanExposure(ctx context.Context, p Profile, progress Progress) ([]BucketReport, Identity, error) {
	conn, err := s.cloudFor(ctx, "", p, false)
	if err != nil {
		return nil, Identity{}, err
	}
	reps, err := conn.cloud.ScanAccount(ctx, progress)
	if err != nil {
		return reps, conn.id, fmt.Errorf("scan the buckets of account %s: %w", conn.id.Account, err)
	}
	return reps, conn.id, nil
}

// scanRecord is one bucket of the scan's evidence item.
type scanRecord struct {
	BucketReport
	Responses []scanResponse `json:"responses"`
}

type scanResponse struct {
	Title       string          `json:"title"`
	Source      Source          `json:"source"`
	CollectedAt time.Time       `json:"collectedAt"`
	Problem     string          `json:"problem,omitempty"`
	Response    json.RawMessage `json:"response,omitempty"`
	Text        string          `json:"text,omitempty"`
}

// scanItem keeps a whole account scan as one evidence item: every
// bucket's verdict and the responses it rests on. One item, not seven per
// bucket, so that a scan of hundreds of buckets does not bury the timeline.
func scanItem(reps []BucketReport, by Identity, at time.Time, complete bool) Collected {
	recs := make([]scanRecord, 0, len(reps))
	for _, r := range reps {
		rec := scanRecord{BucketReport: r}
		for _, it := range r.Items {
			resp := scanResponse{Title: it.Title, Source: it.Source, CollectedAt: it.CollectedAt, Problem: it.Problem}
			if json.Valid(it.Data) {
				resp.Response = json.RawMessage(it.Data)
			} else {
				resp.Text = string(it.Data)
			}
			rec.Responses = append(rec.Responses, resp)
		}
		recs = append(recs, rec)
	}
	data, _ := json.MarshalIndent(map[string]any{"account": by.Account, "collectedBy": by.ARN, "complete": complete, "buckets": recs}, "", "  ")
	title := fmt.Sprintf("Exposure scan of account %s: %d buckets", by.Account, len(reps))
	if !complete {
		title += " (interrupted)"
	}
	return Collected{
		Title: title, Kind: "aws-response", MediaType: "application/json",
		FileName: "exposure-scan-" + by.Account + ".json", CollectedAt: at, Data: data,
		Source: Source{Account: by.Account, API: "ListBuckets, then per bucket GetBucketPolicy, GetBucketPolicyStatus, GetBucketAcl, GetPublicAccessBlock, GetBucketOwnershipControls; account GetPublicAccessBlock"},
	}
}

// CollectAccountExposure checks every bucket of the account and keeps the
// scan as one evidence item, a summary finding, and a finding for each
// bucket that is public, shared or judged differently by the cloud. When
// the scan is cancelled or fails part way, the buckets finished so far
// are still kept, and the error says the scan is incomplete.
func (s *Service) CollectAccountExposure(ctx context.Context, incidentID string, p Profile, progress Progress) ([]BucketReport, Saved, error) {
	conn, err := s.cloudFor(ctx, incidentID, p, false)
	if err != nil {
		return nil, Saved{}, err
	}
	reps, scanErr := conn.cloud.ScanAccount(ctx, progress)
	saved := Saved{By: conn.id}
	if scanErr != nil && len(reps) == 0 {
		return nil, saved, fmt.Errorf("scan the buckets of account %s: %w", conn.id.Account, scanErr)
	}
	saveCtx := context.WithoutCancel(ctx)
	saved.Evidence, err = s.saveCollected(saveCtx, incidentID, conn.id, []Collected{scanItem(reps, conn.id, s.now(), scanErr == nil)})
	if err != nil {
		return reps, saved, fmt.Errorf("save the scan of account %s: %w", conn.id.Account, err)
	}
	refs := evidenceRefs(saved.Evidence)
	counts := map[string]int{}
	var public, shared, disagree, failed []string
	var entries []Entry
	for _, r := range reps {
		counts[r.Verdict]++
		if r.Public {
			public = append(public, r.Bucket)
		}
		if r.Shared {
			shared = append(shared, r.Bucket)
		}
		if r.Disagreement != "" {
			disagree = append(disagree, r.Bucket)
		}
		if len(r.Problems) > 0 {
			failed = append(failed, r.Bucket)
		}
		if r.Public || r.Shared || r.Disagreement != "" {
			entries = append(entries, s.entry(KindFinding, verdictText(r), time.Time{}, refs...))
		}
	}
	summary := fmt.Sprintf("Exposure scan of account %s as %s: %d buckets checked", conn.id.Account, conn.id.ARN, len(reps))
	if scanErr != nil {
		summary += " before the scan stopped (" + scanErr.Error() + "); the other buckets were not checked"
	}
	summary += fmt.Sprintf(": %d public, %d shared with other accounts", len(public), len(shared))
	var labels []string
	for label, n := range counts {
		labels = append(labels, fmt.Sprintf("%s: %d", label, n))
	}
	slices.Sort(labels)
	if len(labels) > 0 {
		summary += " (" + strings.Join(labels, "; ") + ")"
	}
	summary += "."
	if len(public) > 0 {
		summary += " Public: " + strings.Join(public, ", ") + "."
	}
	if len(disagree) > 0 {
		summary += " S3 and S3 Responder disagree on: " + strings.Join(disagree, ", ") + "."
	}
	if len(failed) > 0 {
		summary += " Some reads failed on: " + strings.Join(failed, ", ") + "."
	}
	entries = append([]Entry{s.entry(KindFinding, summary, time.Time{}, refs...)}, entries...)
	if err := s.record(saveCtx, incidentID, entries); err != nil {
		return reps, saved, fmt.Errorf("record the scan of account %s: %w", conn.id.Account, err)
	}
	saved.Entries = len(entries)
	if scanErr != nil {
		return reps, saved, fmt.Errorf("scan the buckets of account %s (%d kept): %w", conn.id.Account, len(reps), scanErr)
	}
	return reps, saved, nil
}

// SnapshotBucket keeps the whole configuration of a bucket as evidence,
// one item per configuration, before anything is changed. A configuration
// that is not set, or could not be read, is an item too, saying so.
func (s *Service) SnapshotBucket(ctx context.Context, incidentID string, p Profile, bucket string) (Saved, error) {
	bucket = strings.TrimSpace(bucket)
	if bucket == "" {
		return Saved{}, fmt.Errorf("%w: name the bucket to snapshot", ErrInvalid)
	}
	conn, err := s.cloudFor(ctx, incidentID, p, false)
	if err != nil {
		return Saved{}, err
	}
	items, err := conn.cloud.Snapshot(ctx, bucket)
	if err != nil {
		return Saved{}, fmt.Errorf("snapshot bucket %s: %w", bucket, err)
	}
	for i := range items {
		items[i].Kind = EvidenceSnapshot
	}
	saveCtx := context.WithoutCancel(ctx)
	saved := Saved{By: conn.id}
	saved.Evidence, err = s.saveCollected(saveCtx, incidentID, conn.id, items)
	if err != nil {
		return saved, fmt.Errorf("save the snapshot of bucket %s: %w", bucket, err)
	}
	var problems []string
	for _, it := range items {
		if it.Problem != "" {
			problems = append(problems, it.Title+": "+it.Problem)
		}
	}
	text := fmt.Sprintf("Configuration snapshot of bucket %s as %s: %d items kept.", bucket, conn.id.ARN, len(items))
	if len(problems) > 0 {
		text += fmt.Sprintf(" %d could not be read: %s", len(problems), strings.Join(problems, "; "))
	}
	if err := s.record(saveCtx, incidentID, []Entry{s.entry(KindEvidence, text, time.Time{}, evidenceRefs(saved.Evidence)...)}); err != nil {
		return saved, fmt.Errorf("record the snapshot of bucket %s: %w", bucket, err)
	}
	saved.Entries = 1
	return saved, nil
}

// changeRef is the timeline reference of a recorded change, so a second
// lookup over the same window does not record it again.
func changeRef(id string) string { return "cloudtrail:" + id }

// changeText is the timeline entry of one change.
func changeText(c Change) string {
	var where []string
	if c.Region != "" {
		where = append(where, "in "+c.Region)
	}
	if c.SourceIP != "" {
		where = append(where, "from "+c.SourceIP)
	}
	if c.AccessKeyID != "" {
		where = append(where, "with key "+c.AccessKeyID)
	}
	text := "Access change: " + c.Summary
	meta := strings.TrimSpace(c.Name + " " + strings.Join(where, " "))
	if meta != "" {
		text += " (" + meta + ")"
	}
	return text
}

// CollectAccessChanges looks up the recorded changes of bucket access and
// role trust in a window, keeps the events as one evidence item, and puts
// each change on the timeline at the time it happened, not the time it
// was found. A change already on the timeline is not recorded twice.
func (s *Service) CollectAccessChanges(ctx context.Context, incidentID string, p Profile, q ChangeQuery, progress Progress) (ChangeReport, Saved, error) {
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return ChangeReport{}, Saved{}, fmt.Errorf("%w: the window starts (%s) after it ends (%s)", ErrInvalid, q.Since.UTC().Format(time.RFC3339), q.Until.UTC().Format(time.RFC3339))
	}
	conn, err := s.cloudFor(ctx, incidentID, p, false)
	if err != nil {
		return ChangeReport{}, Saved{}, err
	}
	rep, err := conn.cloud.AccessChanges(ctx, q, progress)
	if err != nil {
		return rep, Saved{}, fmt.Errorf("look up access changes: %w", err)
	}
	saveCtx := context.WithoutCancel(ctx)
	saved := Saved{By: conn.id}
	saved.Evidence, err = s.saveCollected(saveCtx, incidentID, conn.id, rep.Items)
	if err != nil {
		return rep, saved, fmt.Errorf("save the access changes: %w", err)
	}
	refs := evidenceRefs(saved.Evidence)
	known := map[string]bool{}
	timeline, err := s.Timeline(saveCtx, incidentID)
	if err != nil {
		return rep, saved, err
	}
	for _, e := range timeline {
		for _, r := range e.Refs {
			known[r] = true
		}
	}
	var entries []Entry
	for _, c := range rep.Changes {
		if c.ID != "" && known[changeRef(c.ID)] {
			continue
		}
		r := refs
		if c.ID != "" {
			r = append(slices.Clone(refs), changeRef(c.ID))
		}
		entries = append(entries, s.entry(KindFinding, changeText(c), c.Time, r...))
	}
	summary := fmt.Sprintf("Looked up access changes from %s to %s in %s as %s: %d found, %d new on the timeline.",
		rep.Since.UTC().Format(time.RFC3339), rep.Until.UTC().Format(time.RFC3339), strings.Join(rep.Regions, ", "), conn.id.ARN, len(rep.Changes), len(entries))
	if q.Bucket != "" {
		summary = strings.Replace(summary, "access changes", "access changes of bucket "+q.Bucket, 1)
	}
	if rep.Note != "" {
		summary += " " + rep.Note
	}
	entries = append(entries, s.entry(KindEvidence, summary, time.Time{}, refs...))
	if err := s.record(saveCtx, incidentID, entries); err != nil {
		return rep, saved, fmt.Errorf("record the access changes: %w", err)
	}
	saved.Entries = len(entries)
	return rep, saved, nil
}
