package trail

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Filter selects the events an analysis looks at. Zero fields match
// everything; set fields must all match. Counts of files and records are
// always taken before filtering.
type Filter struct {
	// Since and Until bound eventTime: Since <= t < Until.
	Since, Until time.Time
	// Buckets match the event's bucket exactly.
	Buckets []string
	// KeyPrefix matches the start of the object key.
	KeyPrefix string
	// AccessKeys match userIdentity.accessKeyId exactly.
	AccessKeys []string
	// Principals match userIdentity.arn or, for temporary credentials, the
	// ARN of the role that issued them, so one role ARN selects every one
	// of its sessions. A trailing * matches a prefix.
	Principals []string
	// Networks match sourceIPAddress; a single address is a /32 or /128.
	Networks []netip.Prefix
	// Events match eventName exactly.
	Events []string
	// ErrorCodes match errorCode exactly; "*" matches any error.
	ErrorCodes []string
	// ReadOnly, when set, keeps only events whose readOnly flag equals it.
	ReadOnly *bool
}

// Empty reports whether the filter keeps every event.
func (f Filter) Empty() bool {
	return f.Since.IsZero() && f.Until.IsZero() && len(f.Buckets) == 0 && f.KeyPrefix == "" &&
		len(f.AccessKeys) == 0 && len(f.Principals) == 0 && len(f.Networks) == 0 &&
		len(f.Events) == 0 && len(f.ErrorCodes) == 0 && f.ReadOnly == nil
}

// Match reports whether the record passes the filter. t is the record's
// parsed eventTime, passed in because the caller already has it; a record
// whose time could not be read (zero t) matches no time bound.
func (f *Filter) Match(r *Record, t time.Time) bool {
	if t.IsZero() && (!f.Since.IsZero() || !f.Until.IsZero()) {
		return false
	}
	if !f.Since.IsZero() && t.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !t.Before(f.Until) {
		return false
	}
	if len(f.AccessKeys) > 0 && !contains(f.AccessKeys, r.UserIdentity.AccessKeyID) {
		return false
	}
	if len(f.Events) > 0 && !contains(f.Events, r.EventName) {
		return false
	}
	if f.ReadOnly != nil && (r.ReadOnly == nil || *r.ReadOnly != *f.ReadOnly) {
		return false
	}
	if len(f.ErrorCodes) > 0 {
		if r.ErrorCode == "" || (!contains(f.ErrorCodes, "*") && !contains(f.ErrorCodes, r.ErrorCode)) {
			return false
		}
	}
	if len(f.Buckets) > 0 && !contains(f.Buckets, r.Bucket()) {
		return false
	}
	if f.KeyPrefix != "" && !strings.HasPrefix(r.Key(), f.KeyPrefix) {
		return false
	}
	if len(f.Principals) > 0 {
		arn, role := r.UserIdentity.ARN, r.Role()
		ok := false
		for _, p := range f.Principals {
			if pre, wild := strings.CutSuffix(p, "*"); wild {
				ok = (arn != "" && strings.HasPrefix(arn, pre)) || (role != "" && strings.HasPrefix(role, pre))
			} else {
				ok = p == arn || (role != "" && p == role)
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.Networks) > 0 {
		a := r.SourceAddr()
		if !a.IsValid() {
			return false
		}
		ok := false
		for _, n := range f.Networks {
			if n.Contains(a) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ParseNetwork accepts an IP address or a CIDR block.
func ParseNetwork(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR block", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR block", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ParseTime accepts the ways a responder writes a point in time: RFC 3339
// ("2026-03-01T14:05:00Z"), the same without seconds or zone (UTC), or a
// date alone. With end set, a date alone means the end of that day, so
// "--until 2026-03-01" includes the whole of the 1st.
func ParseTime(s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use 2026-03-01T14:05:00Z or 2026-03-01", s)
}
