package app

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// When the exposed bucket belongs to someone else (another team's account,
// a supplier), the responder cannot change it: the app drafts a request
// for its owner instead, from what the incident holds: what was found and
// on which evidence, what to change, the exact commands, and what to send
// back as proof. Writing it changes nothing in AWS.

// ActionRequest is a request for action addressed to a bucket's owner.
type ActionRequest struct {
	Incident Incident `json:"incident"`
	Bucket   string   `json:"bucket"`
	// From is who asks (the responder), At when the request was drafted.
	From string    `json:"from"`
	At   time.Time `json:"at"`
	// Verdict is the last exposure verdict kept for the bucket, nil when
	// the incident has none.
	Verdict *RequestVerdict `json:"verdict,omitempty"`
	// Findings are the timeline's findings about the bucket, oldest first.
	Findings []Entry `json:"findings"`
	// Evidence are the items about the bucket.
	Evidence []Evidence   `json:"evidence"`
	Asks     []RequestAsk `json:"asks"`
	Proof    []RequestAsk `json:"proof"`
	Notes    []string     `json:"notes,omitempty"`
}

// RequestVerdict is the part of a kept exposure verdict a request uses.
type RequestVerdict struct {
	EvidenceID   string             `json:"evidenceId"`
	CollectedAt  time.Time          `json:"collectedAt"`
	Access       string             `json:"access"`
	Public       bool               `json:"public"`
	Shared       bool               `json:"shared"`
	PolicyPublic bool               `json:"policyPublic"`
	ACLPublic    bool               `json:"aclPublic"`
	ACLsDisabled bool               `json:"aclsDisabled"`
	SharedWith   []string           `json:"sharedWith,omitempty"`
	Reasons      []string           `json:"reasons"`
	Statements   []RequestStatement `json:"statements,omitempty"`
}

// RequestStatement is a bucket-policy statement the verdict judged.
type RequestStatement struct {
	Index      int      `json:"index"`
	Sid        string   `json:"sid,omitempty"`
	Effect     string   `json:"effect"`
	Public     bool     `json:"public"`
	Shared     bool     `json:"shared"`
	SharedWith []string `json:"sharedWith,omitempty"`
	Reason     string   `json:"reason"`
}

// RequestAsk is one thing asked of the owner, why, and the AWS CLI
// commands that do it.
type RequestAsk struct {
	Title    string   `json:"title"`
	Why      string   `json:"why"`
	Commands []string `json:"commands,omitempty"`
}

// bucketWord matches a bucket name as a whole word in free text.
func bucketWord(bucket string) *regexp.Regexp {
	return regexp.MustCompile(`(^|[^A-Za-z0-9.-])` + regexp.QuoteMeta(bucket) + `($|[^A-Za-z0-9-])`)
}

// evidenceBucket is the bucket an evidence item is about, "" when none.
func evidenceBucket(ev Evidence) string {
	for _, k := range []string{"Bucket", "bucket"} {
		if b := ev.Source.Params[k]; b != "" {
			return b
		}
	}
	return ""
}

// BuildActionRequest drafts the request for the owner of bucket from the
// incident's findings and evidence. It reads only the incident.
func (s *Service) BuildActionRequest(ctx context.Context, incidentID, bucket string) (ActionRequest, error) {
	bucket = strings.TrimSpace(bucket)
	if bucket == "" {
		return ActionRequest{}, fmt.Errorf("%w: name the bucket the request is about", ErrInvalid)
	}
	c, err := s.Load(ctx, incidentID)
	if err != nil {
		return ActionRequest{}, err
	}
	req := ActionRequest{Incident: c.Incident, Bucket: bucket, From: s.actor, At: s.now()}
	timeline, err := s.Timeline(ctx, incidentID)
	if err != nil {
		return req, err
	}
	word := bucketWord(bucket)
	for _, e := range timeline {
		if e.Kind == KindFinding && word.MatchString(e.Text) {
			req.Findings = append(req.Findings, e)
		}
	}
	slices.SortStableFunc(req.Findings, func(a, b Entry) int { return a.EventTime.Compare(b.EventTime) })
	es, err := s.evidenceStore()
	if err != nil {
		return req, err
	}
	items, err := es.Evidence(ctx, incidentID)
	if err != nil {
		return req, fmt.Errorf("read the evidence of %s: %w", incidentID, err)
	}
	for _, ev := range items {
		if evidenceBucket(ev) == bucket || (evidenceBucket(ev) == "" && word.MatchString(ev.Title)) {
			req.Evidence = append(req.Evidence, ev)
		}
		if ev.Kind != EvidenceExposure || evidenceBucket(ev) != bucket {
			continue
		}
		if req.Verdict != nil && ev.CollectedAt.Before(req.Verdict.CollectedAt) {
			continue
		}
		data, err := es.EvidenceContent(ctx, ev.SHA256)
		if err != nil {
			return req, fmt.Errorf("read evidence %s: %w", ev.ID, err)
		}
		var v RequestVerdict
		if err := json.Unmarshal(data, &v); err != nil {
			req.Notes = append(req.Notes, fmt.Sprintf("Evidence %s could not be read as an exposure verdict (%v).", ev.ID, err))
			continue
		}
		v.EvidenceID, v.CollectedAt = ev.ID, ev.CollectedAt
		req.Verdict = &v
	}
	req.Asks, req.Proof = requestAsks(bucket, req.Verdict)
	if req.Verdict == nil {
		req.Notes = append(req.Notes, "No exposure check of this bucket is kept with the incident (the bucket may not be readable from our accounts): the requests below are the safe default for a bucket suspected to be exposed.")
	}
	return req, nil
}

// requestCommand renders an AWS CLI command for the owner; they run it
// with their own profile and region.
func requestCommand(args ...string) string {
	parts := []string{"aws"}
	for _, a := range args {
		parts = append(parts, shellWord(a))
	}
	return strings.Join(parts, " ")
}

// requestAsks works out what to ask of the owner, and the proof to send
// back, from the verdict (the safe default without one).
func requestAsks(bucket string, v *RequestVerdict) (asks, proof []RequestAsk) {
	unknown := v == nil
	var bad []RequestStatement
	if v != nil {
		for _, st := range v.Statements {
			if st.Effect == "Allow" && (st.Public || st.Shared) {
				bad = append(bad, st)
			}
		}
	}
	if unknown || v.PolicyPublic || len(bad) > 0 {
		why := "A bucket policy that lets everyone, or accounts outside your organisation, read or write the bucket is the most common cause of this kind of exposure."
		if len(bad) > 0 {
			var names []string
			for _, st := range bad {
				label := fmt.Sprintf("statement %d", st.Index)
				if st.Sid != "" {
					label += " (Sid " + st.Sid + ")"
				}
				names = append(names, label+": "+strings.TrimSuffix(st.Reason, "."))
			}
			why = "These statements of the bucket policy grant access beyond your account: " + strings.Join(names, "; ") + ". Please remove them, and keep every other statement as it is."
		}
		asks = append(asks, RequestAsk{
			Title: "Remove the public and cross-account statements from the bucket policy",
			Why:   why,
			Commands: []string{
				requestCommand("s3api", "get-bucket-policy", "--bucket", bucket, "--query", "Policy", "--output", "text") + " > policy.json",
				"# edit policy.json: delete the statements named above, keep the others",
				requestCommand("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", "file://policy.json"),
				"# or, when no statement is left:",
				requestCommand("s3api", "delete-bucket-policy", "--bucket", bucket),
			},
		})
	}
	if unknown || (v.ACLPublic && !v.ACLsDisabled) {
		asks = append(asks, RequestAsk{
			Title: "Make the bucket ACL private and turn ACLs off",
			Why:   "Grants to AllUsers or AuthenticatedUsers in the bucket ACL, or in object ACLs, open the bucket or its objects to anyone. With Object Ownership set to BucketOwnerEnforced, S3 ignores every ACL of the bucket and its objects at once.",
			Commands: []string{
				requestCommand("s3api", "put-bucket-acl", "--bucket", bucket, "--acl", "private"),
				requestCommand("s3api", "put-bucket-ownership-controls", "--bucket", bucket, "--ownership-controls", "Rules=[{ObjectOwnership=BucketOwnerEnforced}]"),
			},
		})
	}
	if unknown || v.Public || v.PolicyPublic || v.ACLPublic {
		asks = append(asks, RequestAsk{
			Title: "Turn on all four Block Public Access settings of the bucket",
			Why:   "They keep public policies and public ACLs from taking effect, now and later, whoever adds them. They do not edit the policy or the ACLs, so please remove the grants as well.",
			Commands: []string{
				requestCommand("s3api", "put-public-access-block", "--bucket", bucket, "--public-access-block-configuration", "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"),
			},
		})
	}
	if !unknown && v.Shared && len(bad) == 0 {
		asks = append(asks, RequestAsk{
			Title: "Review who else has access",
			Why:   "The bucket is shared with " + strings.Join(v.SharedWith, ", ") + ". Please confirm each of these is intended, and remove the grant otherwise.",
			Commands: []string{
				requestCommand("s3api", "get-bucket-policy", "--bucket", bucket, "--query", "Policy", "--output", "text"),
				requestCommand("s3api", "get-bucket-acl", "--bucket", bucket),
			},
		})
	}
	asks = append(asks, RequestAsk{
		Title: "Keep the logs",
		Why:   "Please keep the bucket's CloudTrail events and server access logs from before the exposure until now, and do not delete or overwrite objects yet: they are the evidence of who read what.",
	})
	proof = []RequestAsk{
		{Title: "S3's own verdict on the policy (IsPublic must be false)", Commands: []string{requestCommand("s3api", "get-bucket-policy-status", "--bucket", bucket)}},
		{Title: "The Block Public Access settings (all four true)", Commands: []string{requestCommand("s3api", "get-public-access-block", "--bucket", bucket)}},
		{Title: "The bucket ACL and Object Ownership", Commands: []string{requestCommand("s3api", "get-bucket-acl", "--bucket", bucket), requestCommand("s3api", "get-bucket-ownership-controls", "--bucket", bucket)}},
		{Title: "When each change was made, and by whom (the CloudTrail events PutBucketPolicy, DeleteBucketPolicy, PutBucketAcl, PutBucketPublicAccessBlock)"},
	}
	return asks, proof
}

// RecordActionRequest keeps a written request as evidence of the incident
// (what was asked, of whom, when), with a line on the timeline.
func (s *Service) RecordActionRequest(ctx context.Context, incidentID string, req ActionRequest, fileName, mediaType string, content []byte) (Evidence, error) {
	ev := Evidence{
		Title: "Request for action sent to the owner of bucket " + req.Bucket, Kind: EvidenceFile, MediaType: mediaType, FileName: fileName,
		Source: Source{API: "S3 Responder request for action", Params: map[string]string{"bucket": req.Bucket}},
	}
	saved, err := s.AddUniqueEvidence(ctx, incidentID, ev, content)
	if err != nil {
		return Evidence{}, err
	}
	text := fmt.Sprintf("Request for action drafted for the owner of bucket %s (%d request(s), %d finding(s), %d evidence item(s) cited); kept as evidence %s. Nothing was changed in AWS.",
		req.Bucket, len(req.Asks), len(req.Findings), len(req.Evidence), saved.ID)
	if err := s.record(ctx, incidentID, []Entry{s.entry(KindAction, text, time.Time{}, saved.ID)}); err != nil {
		return saved, err
	}
	return saved, nil
}
