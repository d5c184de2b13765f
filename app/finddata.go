package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// DefaultDataMaxKeys is how many keys the search for data lists in one
// bucket when the person sets no cap: enough to see what is there, few
// enough that a bucket of millions of objects does not take hours.
const DefaultDataMaxKeys = 1000

// DataQuery asks which buckets hold objects under a key or prefix.
type DataQuery struct {
	// Key is an object key or the start of one (a prefix such as
	// "exports/2026-03/"); S3 lists by prefix only.
	Key string
	// Buckets to search; empty means every bucket of the account.
	Buckets []string
	// MaxKeys caps the keys listed per bucket; 0 means DefaultDataMaxKeys.
	MaxKeys int
}

// ObjectHit is one object found under the key.
type ObjectHit struct {
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"lastModified,omitzero"`
	StorageClass string    `json:"storageClass,omitempty"`
}

// ApplicationTagKeys are the tag keys that name a bucket's application,
// looked for in this order, whatever their case.
var ApplicationTagKeys = []string{"application", "app"}

// BucketData is what one bucket holds under the key, and whose it is.
type BucketData struct {
	Bucket string `json:"bucket"`
	Region string `json:"region,omitempty"`
	// Application is the value of the first application tag found
	// (ApplicationTagKeys), and AppTag its key; Tags are all the tags.
	Application string            `json:"application,omitempty"`
	AppTag      string            `json:"applicationTag,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// Keys are the objects found, at most the query's cap.
	Keys []ObjectHit `json:"keys,omitempty"`
	// Exact is true when an object has exactly the key searched.
	Exact bool `json:"exact"`
	// Truncated is true when the bucket has more keys than the cap.
	Truncated bool `json:"truncated"`
	// Problems are the reads that failed, in words.
	Problems []string `json:"problems,omitempty"`
}

// Found reports whether the bucket holds anything under the key.
func (b BucketData) Found() bool { return len(b.Keys) > 0 }

// Owner says whose the bucket is, from its tags.
func (b BucketData) Owner() string {
	switch {
	case b.Application != "":
		return "application " + b.Application + " (tag " + b.AppTag + ")"
	case len(b.Tags) > 0:
		return "no application tag; tags: " + TagsText(b.Tags)
	}
	return "no tags"
}

// TagsText lists tags as key=value in key order.
func TagsText(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+tags[k])
	}
	return strings.Join(parts, ", ")
}

// ApplicationOf finds a bucket's application among its tags: the first of
// ApplicationTagKeys present, compared without case.
func ApplicationOf(tags map[string]string) (app, key string) {
	for _, want := range ApplicationTagKeys {
		keys := make([]string, 0, len(tags))
		for k := range tags {
			if strings.EqualFold(k, want) && strings.TrimSpace(tags[k]) != "" {
				keys = append(keys, k)
			}
		}
		if len(keys) > 0 {
			sort.Strings(keys) // "Application" before "application": stable when both exist
			return tags[keys[0]], keys[0]
		}
	}
	return "", ""
}

// DataReport is the answer to a DataQuery.
type DataReport struct {
	Key     string `json:"key"`
	MaxKeys int    `json:"maxKeysPerBucket"`
	// Buckets are every bucket searched, those holding data first.
	Buckets []BucketData `json:"buckets"`
	// Total is how many buckets there were to search; fewer were searched
	// when the search was cancelled.
	Total int         `json:"total"`
	Items []Collected `json:"-"`
}

// Matches are the buckets holding objects under the key.
func (r DataReport) Matches() []BucketData {
	var out []BucketData
	for _, b := range r.Buckets {
		if b.Found() {
			out = append(out, b)
		}
	}
	return out
}

// Summary says in words what the search found, the cap included.
func (r DataReport) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Searched %s for objects whose key starts with %q (at most %d keys listed per bucket)", plural(len(r.Buckets), "bucket"), r.Key, r.MaxKeys)
	if len(r.Buckets) < r.Total {
		fmt.Fprintf(&b, ", %d of %d before the search stopped", len(r.Buckets), r.Total)
	}
	matches := r.Matches()
	if len(matches) == 0 {
		b.WriteString(": found in none.")
	} else {
		parts := make([]string, 0, len(matches))
		for _, m := range matches {
			n := plural(len(m.Keys), "key")
			if m.Truncated {
				n = fmt.Sprintf("more than %d keys (the cap)", len(m.Keys))
			}
			part := fmt.Sprintf("%s (%s; %s", m.Bucket, m.Owner(), n)
			if m.Exact {
				part += "; the exact key"
			}
			parts = append(parts, part+")")
		}
		fmt.Fprintf(&b, ": found in %s.", strings.Join(parts, ", "))
	}
	failed := 0
	for _, bd := range r.Buckets {
		if len(bd.Problems) > 0 {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(&b, " %s could not be fully read.", plural(failed, "bucket"))
	}
	return b.String()
}

// DataFinder is a Cloud that can search its buckets for objects.
type DataFinder interface {
	// FindData lists the objects under the key in each bucket, at most
	// the cap per bucket, and reads each bucket's tags. On error it
	// returns the buckets finished so far.
	FindData(ctx context.Context, q DataQuery, progress Progress) (DataReport, error)
}

// FindData searches the account's buckets (or those named) for objects
// under a key or prefix and maps each bucket to its application through
// its tags. The search is kept as one evidence item and one finding; when
// it is cancelled part way, what was searched is still kept and the error
// says the search is incomplete.
func (s *Service) FindData(ctx context.Context, incidentID string, p Profile, q DataQuery, progress Progress) (DataReport, Saved, error) {
	if q.Key == "" {
		return DataReport{}, Saved{}, fmt.Errorf("%w: give the object key or the start of it to search for", ErrInvalid)
	}
	if q.MaxKeys < 0 {
		return DataReport{}, Saved{}, fmt.Errorf("%w: the cap on keys per bucket must be positive", ErrInvalid)
	}
	if q.MaxKeys == 0 {
		q.MaxKeys = DefaultDataMaxKeys
	}
	var buckets []string
	for _, b := range q.Buckets {
		if b = strings.TrimSpace(b); b != "" {
			buckets = append(buckets, b)
		}
	}
	q.Buckets = buckets
	conn, finder, err := capability[DataFinder](ctx, s, incidentID, p, "search its buckets for objects")
	if err != nil {
		return DataReport{}, Saved{}, err
	}
	rep, findErr := finder.FindData(ctx, q, progress)
	if findErr != nil && len(rep.Buckets) == 0 {
		return rep, Saved{}, fmt.Errorf("search for %q: %w", q.Key, findErr)
	}
	saved, err := s.keep(ctx, incidentID, conn.id, rep.Items, "the search for data", func(refs []string) ([]Entry, error) {
		text := rep.Summary() + " As " + conn.id.ARN + "."
		if findErr != nil {
			text += " The search stopped early: " + findErr.Error()
		}
		return []Entry{s.entry(KindFinding, text, time.Time{}, refs...)}, nil
	})
	if err != nil {
		return rep, saved, err
	}
	if findErr != nil {
		return rep, saved, fmt.Errorf("search for %q (%d of %d buckets searched, kept): %w", q.Key, len(rep.Buckets), rep.Total, findErr)
	}
	return rep, saved, nil
}
