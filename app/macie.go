package app

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// MacieQuery asks Amazon Macie for its summary of the account's buckets.
type MacieQuery struct {
	// Regions to read; empty means the profile's. Macie is regional: each
	// region's summary covers the buckets of that region.
	Regions []string
}

// MacieStats is Macie's count of one region's buckets by who can reach
// them. Counts are Macie's, as of LastUpdated (Macie refreshes them about
// daily), not a live check.
type MacieStats struct {
	Region string `json:"region"`
	// Enabled is false when Macie is not turned on in the region; Note
	// then says so and the counts are zero.
	Enabled     bool      `json:"enabled"`
	Note        string    `json:"note,omitempty"`
	LastUpdated time.Time `json:"lastUpdated,omitzero"`
	Buckets     int64     `json:"bucketCount"`
	// By effective permission.
	PubliclyAccessible int64 `json:"publiclyAccessible"`
	PubliclyReadable   int64 `json:"publiclyReadable"`
	PubliclyWritable   int64 `json:"publiclyWritable"`
	PermissionUnknown  int64 `json:"permissionUnknown"`
	// By shared access type.
	SharedExternal int64 `json:"sharedExternal"`
	SharedInternal int64 `json:"sharedInternal"`
	NotShared      int64 `json:"notShared"`
	SharedUnknown  int64 `json:"sharedUnknown"`
}

// Summary says in words what Macie counts in the region.
func (m MacieStats) Summary() string {
	if !m.Enabled {
		return fmt.Sprintf("%s: %s", m.Region, strings.TrimSuffix(m.Note, "."))
	}
	s := fmt.Sprintf("%s: %s; %d publicly accessible (%d readable, %d writable by anyone), %d shared with other accounts, %d shared inside the organisation, %d not shared",
		m.Region, plural(int(m.Buckets), "bucket"), m.PubliclyAccessible, m.PubliclyReadable, m.PubliclyWritable, m.SharedExternal, m.SharedInternal, m.NotShared)
	if m.PermissionUnknown > 0 {
		s += fmt.Sprintf(", %d whose access Macie could not work out", m.PermissionUnknown)
	}
	if !m.LastUpdated.IsZero() {
		s += " (Macie's counts as of " + m.LastUpdated.UTC().Format(time.RFC3339) + ")"
	}
	return s
}

// MacieReport is Macie's summary for each region read.
type MacieReport struct {
	Regions []MacieStats `json:"regions"`
	Items   []Collected  `json:"-"`
}

// MacieReader is a Cloud that can read Amazon Macie's bucket summary.
type MacieReader interface {
	MacieSummary(ctx context.Context, q MacieQuery) (MacieReport, error)
}

// CollectMacieSummary reads Macie's count of public and shared buckets in
// each region where it is enabled (and says where it is not), keeps the
// responses as evidence and the summary as a finding.
func (s *Service) CollectMacieSummary(ctx context.Context, incidentID string, p Profile, q MacieQuery) (MacieReport, Saved, error) {
	conn, mr, err := capability[MacieReader](ctx, s, incidentID, p, "read Amazon Macie")
	if err != nil {
		return MacieReport{}, Saved{}, err
	}
	rep, err := mr.MacieSummary(ctx, q)
	if err != nil {
		return rep, Saved{}, fmt.Errorf("read Amazon Macie: %w", err)
	}
	saved, err := s.keep(ctx, incidentID, conn.id, rep.Items, "the Macie summary", func(refs []string) ([]Entry, error) {
		parts := make([]string, 0, len(rep.Regions))
		for _, r := range rep.Regions {
			parts = append(parts, r.Summary())
		}
		text := fmt.Sprintf("Amazon Macie's bucket summary as %s: %s.", conn.id.ARN, strings.Join(parts, ". "))
		return []Entry{s.entry(KindFinding, text, time.Time{}, refs...)}, nil
	})
	return rep, saved, err
}
