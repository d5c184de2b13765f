package trail

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEveryFilterFieldMakesTheFilterNonEmpty(t *testing.T) {
	yes := true
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	assert.True(t, Filter{}.Empty())
	for name, f := range map[string]Filter{
		"since": {Since: now}, "until": {Until: now}, "bucket": {Buckets: []string{"b"}}, "key prefix": {KeyPrefix: "k"},
		"access key": {AccessKeys: []string{"AKIA"}}, "principal": {Principals: []string{"arn"}},
		"network": {Networks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}, "event": {Events: []string{"GetObject"}},
		"error code": {ErrorCodes: []string{"*"}}, "read-only": {ReadOnly: &yes},
	} {
		assert.False(t, f.Empty(), name)
	}
}

func TestFiltersMatchAtTheirBoundaries(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	yes, no := true, false
	role := "arn:aws:iam::111122223333:role/Admin"
	r := Record{
		EventName: "GetObject", ErrorCode: "AccessDenied", ReadOnly: &yes, SourceIPAddress: "10.1.2.3",
		UserIdentity: UserIdentity{ARN: "arn:aws:sts::111122223333:assumed-role/Admin/jo", AccessKeyID: "ASIA1",
			SessionContext: SessionContext{SessionIssuer: SessionIssuer{ARN: role}}},
		RequestParameters: RequestParameters{BucketName: "b", Key: "exports/k"},
	}
	net := func(s string) []netip.Prefix { return []netip.Prefix{netip.MustParsePrefix(s)} }
	tests := []struct {
		name string
		f    Filter
		want bool
	}{
		{"since equal", Filter{Since: at}, true},
		{"since after", Filter{Since: at.Add(time.Second)}, false},
		{"until equal", Filter{Until: at}, false},
		{"until after", Filter{Until: at.Add(time.Second)}, true},
		{"access key", Filter{AccessKeys: []string{"AKIA0", "ASIA1"}}, true},
		{"other access key", Filter{AccessKeys: []string{"AKIA0"}}, false},
		{"event", Filter{Events: []string{"GetObject"}}, true},
		{"other event", Filter{Events: []string{"PutObject"}}, false},
		{"read-only", Filter{ReadOnly: &yes}, true},
		{"write-only", Filter{ReadOnly: &no}, false},
		{"error code", Filter{ErrorCodes: []string{"AccessDenied"}}, true},
		{"any error", Filter{ErrorCodes: []string{"*"}}, true},
		{"other error", Filter{ErrorCodes: []string{"NoSuchKey"}}, false},
		{"bucket", Filter{Buckets: []string{"a", "b"}}, true},
		{"other bucket", Filter{Buckets: []string{"a"}}, false},
		{"key prefix", Filter{KeyPrefix: "exports/"}, true},
		{"other key prefix", Filter{KeyPrefix: "img/"}, false},
		{"role of the session", Filter{Principals: []string{role}}, true},
		{"session ARN", Filter{Principals: []string{r.UserIdentity.ARN}}, true},
		{"role prefix", Filter{Principals: []string{"arn:aws:iam::111122223333:role/*"}}, true},
		{"session prefix", Filter{Principals: []string{"arn:aws:sts::111122223333:*"}}, true},
		{"second principal matches", Filter{Principals: []string{"arn:aws:iam::1:user/x", role}}, true},
		{"other principal", Filter{Principals: []string{"arn:aws:iam::111122223333:user/jo"}}, false},
		{"other prefix", Filter{Principals: []string{"arn:aws:iam::444455556666:*"}}, false},
		{"network", Filter{Networks: net("10.0.0.0/8")}, true},
		{"second network", Filter{Networks: append(net("192.0.2.0/24"), netip.MustParsePrefix("10.1.2.3/32"))}, true},
		{"other network", Filter{Networks: net("192.0.2.0/24")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.f.Match(&r, at))
		})
	}
	// Without an error code, an error filter never matches; without a
	// readOnly flag, neither does a read-only one; a service name is no
	// address.
	plain := Record{EventName: "GetObject", SourceIPAddress: "s3.amazonaws.com"}
	assert.False(t, (&Filter{ErrorCodes: []string{"*"}}).Match(&plain, at))
	assert.False(t, (&Filter{ReadOnly: &yes}).Match(&plain, at))
	assert.False(t, (&Filter{Networks: net("0.0.0.0/0")}).Match(&plain, at))
	// A session prefix does not match a record without a role.
	assert.False(t, (&Filter{Principals: []string{"arn:aws:iam::111122223333:role/*"}}).Match(&Record{}, at))
	assert.False(t, (&Filter{Principals: []string{"*"}}).Match(&Record{}, at), "* needs an ARN or a role")
	assert.True(t, (&Filter{Principals: []string{"*"}}).Match(&Record{UserIdentity: UserIdentity{ARN: "a"}}, at))
	// A record without a time matches no time bound.
	assert.False(t, (&Filter{Until: at}).Match(&r, time.Time{}))
	assert.False(t, (&Filter{Since: at}).Match(&r, time.Time{}))
	assert.True(t, (&Filter{Events: []string{"GetObject"}}).Match(&r, time.Time{}))
}

func TestNetworksAndTimesAreReadAsRespondersWriteThem(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1": "10.0.0.1/32", " 10.0.0.1 ": "10.0.0.1/32", "::ffff:10.0.0.1": "10.0.0.1/32", "2001:db8::1": "2001:db8::1/128",
		"10.1.2.3/8": "10.0.0.0/8", "2001:db8::/32": "2001:db8::/32",
	} {
		p, err := ParseNetwork(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, p.String())
	}
	for _, bad := range []string{"10.0.0.300", "10.0.0.0/33", "host.example", ""} {
		_, err := ParseNetwork(bad)
		assert.ErrorContains(t, err, "is not an IP address or CIDR block", bad)
	}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-03-01T14:05:00Z": day.Add(14*time.Hour + 5*time.Minute), "2026-03-01T15:05:00+01:00": day.Add(14*time.Hour + 5*time.Minute),
		"2026-03-01T14:05:30": day.Add(14*time.Hour + 5*time.Minute + 30*time.Second), "2026-03-01T14:05": day.Add(14*time.Hour + 5*time.Minute),
		"2026-03-01 14:05:30": day.Add(14*time.Hour + 5*time.Minute + 30*time.Second), "2026-03-01 14:05": day.Add(14*time.Hour + 5*time.Minute),
		"2026-03-01": day,
	} {
		got, err := ParseTime(in, false)
		require.NoError(t, err, in)
		assert.True(t, want.Equal(got), "%s: %v", in, got)
	}
	end, err := ParseTime("2026-03-01", true)
	require.NoError(t, err)
	assert.Equal(t, day.AddDate(0, 0, 1), end, "a date alone as an end includes the whole day")
	exact, err := ParseTime("2026-03-01T00:00:00Z", true)
	require.NoError(t, err)
	assert.Equal(t, day, exact, "a full time is not moved")
	_, err = ParseTime("last tuesday", false)
	assert.ErrorContains(t, err, "is not a time")
}
