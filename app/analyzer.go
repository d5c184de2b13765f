package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// AnalyzerQuery asks IAM Access Analyzer what it found.
type AnalyzerQuery struct {
	// Regions to read; empty means the profile's region. Analyzers are
	// regional: a bucket's findings come from the analyzer of the bucket's
	// region, while a role is analysed in every region that has one.
	Regions []string
}

// Analyzer is one IAM Access Analyzer analyzer of a region.
type Analyzer struct {
	Name   string `json:"name"`
	ARN    string `json:"arn"`
	Region string `json:"region"`
	// Type is ACCOUNT or ORGANIZATION for analyzers of access from outside
	// (the ones read); others (unused or internal access) are listed only.
	Type         string    `json:"type"`
	Status       string    `json:"status"`
	StatusReason string    `json:"statusReason,omitempty"`
	CreatedAt    time.Time `json:"createdAt,omitzero"`
	// Read is true when the analyzer's findings were read.
	Read bool `json:"read"`
}

// AccessFinding is one active finding: a resource that a principal outside
// the zone of trust (another account, or anyone) can reach.
type AccessFinding struct {
	ID       string `json:"id"`
	Analyzer string `json:"analyzerArn"`
	Region   string `json:"region"`
	// ResourceType is AWS::S3::Bucket or AWS::IAM::Role.
	ResourceType string `json:"resourceType"`
	Resource     string `json:"resource"`
	Owner        string `json:"resourceOwnerAccount,omitempty"`
	// Principal is who gets access, as IAM writes it ({"AWS": "444455556666"}).
	Principal map[string]string `json:"principal,omitempty"`
	Actions   []string          `json:"action,omitempty"`
	// Condition is what limits the access (key to value), if anything.
	Condition map[string]string `json:"condition,omitempty"`
	Public    bool              `json:"isPublic"`
	// Sources say what grants it: POLICY, BUCKET_ACL, S3_ACCESS_POINT...
	Sources    []string  `json:"sources,omitempty"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"createdAt,omitzero"`
	UpdatedAt  time.Time `json:"updatedAt,omitzero"`
	AnalyzedAt time.Time `json:"analyzedAt,omitzero"`
	// Error is set when Access Analyzer could not analyse the resource.
	Error string `json:"error,omitempty"`
}

// ResourceName names the resource for a person: "bucket customer-data",
// "role Partner".
func (f AccessFinding) ResourceName() string {
	arn := f.Resource
	switch {
	case strings.HasPrefix(arn, "arn:") && strings.Contains(arn, ":s3:::"):
		return "bucket " + arn[strings.Index(arn, ":s3:::")+len(":s3:::"):]
	case strings.Contains(arn, ":role/"):
		name := arn[strings.Index(arn, ":role/")+len(":role/"):]
		return "role " + name[strings.LastIndex(name, "/")+1:]
	case f.ResourceType == "AWS::S3::Bucket" && arn != "":
		return "bucket " + arn
	}
	return arn
}

// PrincipalText says who gets access: "everyone (*)", "AWS 444455556666".
func (f AccessFinding) PrincipalText() string {
	keys := make([]string, 0, len(f.Principal))
	for k := range f.Principal {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		v := f.Principal[k]
		if v == "*" {
			parts = append(parts, "everyone (*)")
			continue
		}
		parts = append(parts, k+" "+v)
	}
	if len(parts) == 0 {
		return "an outside principal"
	}
	return strings.Join(parts, ", ")
}

// Summary says in words what the finding means.
func (f AccessFinding) Summary() string {
	who := f.PrincipalText()
	var b strings.Builder
	b.WriteString(upper(f.ResourceName()))
	switch {
	case f.Error != "":
		fmt.Fprintf(&b, " could not be analysed (%s)", f.Error)
	case f.Public:
		b.WriteString(" is public")
	case f.ResourceType == "AWS::IAM::Role":
		b.WriteString(" can be assumed from outside the account")
	default:
		b.WriteString(" is shared outside the account")
	}
	if f.Error == "" {
		fmt.Fprintf(&b, ": %s may %s", who, actionsText(f.Actions))
	}
	if len(f.Condition) > 0 {
		keys := make([]string, 0, len(f.Condition))
		for k := range f.Condition {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		conds := make([]string, 0, len(keys))
		for _, k := range keys {
			conds = append(conds, k+" = "+f.Condition[k])
		}
		b.WriteString(" when " + strings.Join(conds, " and "))
	} else if f.Error == "" {
		b.WriteString(" without any condition")
	}
	if len(f.Sources) > 0 {
		b.WriteString(" (granted by " + strings.Join(f.Sources, ", ") + ")")
	}
	return b.String() + "."
}

func actionsText(actions []string) string {
	switch n := len(actions); {
	case n == 0:
		return "act on it"
	case n <= 6:
		return strings.Join(actions, ", ")
	default:
		return fmt.Sprintf("%s and %d more actions", strings.Join(actions[:5], ", "), n-5)
	}
}

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// AnalyzerReport is what Access Analyzer said in the regions read.
type AnalyzerReport struct {
	Regions   []string        `json:"regions"`
	Analyzers []Analyzer      `json:"analyzers"`
	Findings  []AccessFinding `json:"findings"`
	// Notes tell the person about a gap: a region without an analyzer of
	// outside access, a region that could not be read.
	Notes []string    `json:"notes,omitempty"`
	Items []Collected `json:"-"`
}

// AccessAnalyzer is a Cloud that can read IAM Access Analyzer: the
// analyzers of each region and the active findings on buckets and roles.
type AccessAnalyzer interface {
	AccessFindings(ctx context.Context, q AnalyzerQuery, progress Progress) (AnalyzerReport, error)
}

// analyzerRef is the timeline reference of a finding, so reading the
// analyzer again does not record it twice.
func analyzerRef(f AccessFinding) string { return "access-analyzer:" + f.Analyzer + "/" + f.ID }

// CollectAccessFindings reads IAM Access Analyzer's analyzers and active
// findings on S3 buckets and IAM roles, keeps the responses as evidence,
// and puts each finding on the timeline at the time Access Analyzer first
// reported it (once: a finding already there is not added again).
func (s *Service) CollectAccessFindings(ctx context.Context, incidentID string, p Profile, q AnalyzerQuery, progress Progress) (AnalyzerReport, Saved, error) {
	conn, aa, err := capability[AccessAnalyzer](ctx, s, incidentID, p, "read IAM Access Analyzer")
	if err != nil {
		return AnalyzerReport{}, Saved{}, err
	}
	rep, err := aa.AccessFindings(ctx, q, progress)
	if err != nil {
		return rep, Saved{}, fmt.Errorf("read IAM Access Analyzer: %w", err)
	}
	saved, err := s.keep(ctx, incidentID, conn.id, rep.Items, "the Access Analyzer findings", func(refs []string) ([]Entry, error) {
		known, err := s.knownRefs(context.WithoutCancel(ctx), incidentID)
		if err != nil {
			return nil, err
		}
		var entries []Entry
		public := 0
		for _, f := range rep.Findings {
			if f.Public {
				public++
			}
			ref := analyzerRef(f)
			if known[ref] {
				continue
			}
			text := fmt.Sprintf("IAM Access Analyzer: %s (finding %s in %s)", f.Summary(), f.ID, f.Region)
			entries = append(entries, s.entry(KindFinding, text, f.CreatedAt, append(slices.Clone(refs), ref)...))
		}
		read := 0
		for _, a := range rep.Analyzers {
			if a.Read {
				read++
			}
		}
		summary := fmt.Sprintf("Read IAM Access Analyzer in %s as %s: %s of outside access read, %s on buckets and roles (%d public), %d new on the timeline.",
			strings.Join(rep.Regions, ", "), conn.id.ARN, plural(read, "analyzer"), plural(len(rep.Findings), "active finding"), public, len(entries))
		if len(rep.Notes) > 0 {
			summary += " " + strings.Join(rep.Notes, " ")
		}
		return append(entries, s.entry(KindEvidence, summary, time.Time{}, refs...)), nil
	})
	return rep, saved, err
}

// plural says "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
