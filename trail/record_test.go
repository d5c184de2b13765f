package trail

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseOne(t *testing.T, js string) Record {
	t.Helper()
	var got []Record
	st, err := ParseRecords(bytes.NewReader([]byte(`{"Records":[`+js+`]}`)), 0, func(r *Record) error {
		got = append(got, *r)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, int64(1), st.Records)
	require.Len(t, got, 1)
	return got[0]
}

func TestRecordFields(t *testing.T) {
	tests := []struct {
		name                  string
		js                    string
		principal, key, role  string
		bucket, object        string
		bytesOut              int64
		denied, read, changes bool
		when                  time.Time
		ip                    string
	}{
		{
			name: "S3 data event by an IAM user key", js: getObjectJSON,
			principal: "arn:aws:iam::111122223333:user/svc-reports", key: "AKIAEXAMPLEEXFIL0001",
			bucket: "prod-customer-exports", object: "exports/2026/02/customers.csv.gz", bytesOut: 1048576,
			read: true, when: time.Date(2026, 3, 2, 10, 15, 30, 0, time.UTC), ip: "185.220.101.7",
		},
		{
			name: "management event by an assumed-role session", js: putBucketPolicyJSON,
			principal: "arn:aws:sts::111122223333:assumed-role/AdminRole/jane.doe", key: "ASIAEXAMPLEADMINSS01",
			role: "arn:aws:iam::111122223333:role/AdminRole", bucket: "prod-customer-exports",
			changes: true, when: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), ip: "203.0.113.99",
		},
		{
			name: "service-originated event without access key", js: serviceEventJSON,
			principal: "cloudtrail.amazonaws.com", bucket: "cloudtrail-logs-111122223333",
			object: "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/01/x.json.gz",
			when:   time.Date(2026, 3, 1, 0, 5, 0, 0, time.UTC),
		},
		{
			name: "refused call", js: deniedJSON,
			principal: "arn:aws:iam::111122223333:user/bob", key: "AKIAEXAMPLEBOB000001",
			bucket: "prod-customer-exports", object: "exports/secret.csv", bytesOut: 243, denied: true,
			when: time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC), ip: "198.51.100.11",
		},
		{
			name: "IAM change by a cross-account caller without ARN", js: createAccessKeyJSON,
			principal: "account 444455556666 principal AIDAEXTERNALEXAMPLE1", changes: true,
			when: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), ip: "45.33.32.156",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := parseOne(t, tc.js)
			assert.True(t, r.Valid())
			assert.Equal(t, tc.principal, r.Principal())
			assert.Equal(t, tc.key, r.UserIdentity.AccessKeyID)
			assert.Equal(t, tc.role, r.Role())
			assert.Equal(t, tc.bucket, r.Bucket())
			assert.Equal(t, tc.object, r.Key())
			assert.Equal(t, tc.bytesOut, r.BytesOut())
			assert.Equal(t, tc.denied, r.Denied())
			assert.Equal(t, tc.read, r.IsRead() && r.ErrorCode == "")
			assert.Equal(t, tc.changes, r.IsConfigChange())
			assert.Equal(t, tc.when, r.Time())
			if tc.ip != "" {
				assert.Equal(t, tc.ip, r.SourceAddr().String())
			} else {
				assert.False(t, r.SourceAddr().IsValid(), "a service name is not an address")
			}
		})
	}
}

func TestRecordFallbacksToResources(t *testing.T) {
	// Some S3 events carry the bucket and key only in resources.
	r := parseOne(t, `{"eventTime":"2026-03-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject",
		"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b1/dir/k.txt"},{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b1"}]}`)
	assert.Equal(t, "b1", r.Bucket())
	assert.Equal(t, "dir/k.txt", r.Key())
	assert.Equal(t, "unknown", r.Principal())
}

func TestRecordTarget(t *testing.T) {
	r := parseOne(t, createAccessKeyJSON)
	assert.Equal(t, "user svc-reports", r.target())
	r = parseOne(t, putBucketPolicyJSON)
	assert.Equal(t, "prod-customer-exports", r.target())
}

func TestParseEventTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-03-01T09:30:00Z", time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)},
		{"2026-03-01T09:30:00.123Z", time.Date(2026, 3, 1, 9, 30, 0, 123e6, time.UTC)},
		{"2026-03-01T10:30:00+01:00", time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)},
		{"2026-13-01T09:30:00Z", time.Time{}},
		{"yesterday", time.Time{}},
		{"", time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			assert.True(t, tc.want.Equal(parseEventTime(tc.in)), "got %v", parseEventTime(tc.in))
		})
	}
}

func TestIsDeniedCode(t *testing.T) {
	for _, c := range []string{"AccessDenied", "AccessDeniedException", "Client.UnauthorizedOperation", "InvalidAccessKeyId", "SignatureDoesNotMatch"} {
		assert.True(t, IsDeniedCode(c), c)
	}
	for _, c := range []string{"", "NoSuchKey", "NoSuchBucketPolicy", "ThrottlingException"} {
		assert.False(t, IsDeniedCode(c), c)
	}
}
