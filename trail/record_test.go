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

func TestEventTimesAreReadInEveryLayoutAndImpossibleOnesRefused(t *testing.T) {
	at := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2029-09-19T19:59:59Z", at(2029, 9, 19, 19, 59, 59, 0)},
		{"2026-01-31T23:59:59Z", at(2026, 1, 31, 23, 59, 59, 0)},
		{"2026-12-01T00:00:00Z", at(2026, 12, 1, 0, 0, 0, 0)},
		{"2024-02-29T12:00:00Z", at(2024, 2, 29, 12, 0, 0, 0)},
		{"2026-04-30T12:00:00Z", at(2026, 4, 30, 12, 0, 0, 0)},
		{"2026-03-01T09:30:00.123Z", at(2026, 3, 1, 9, 30, 0, 123e6)},
		{"2026-03-01T10:30:00+01:00", at(2026, 3, 1, 9, 30, 0, 0)},
		{"2025-01-21 17:49:47.000000000", at(2025, 1, 21, 17, 49, 47, 0)},
		{"2025-01-21 17:49:47.25", at(2025, 1, 21, 17, 49, 47, 25e7)},
		{"2025-01-21 17:49:47", at(2025, 1, 21, 17, 49, 47, 0)},
		{"2025-01-21T17:49:47.000000000", at(2025, 1, 21, 17, 49, 47, 0)},
		// Impossible dates and times, and other layouts: no time.
		{"2025-02-29T12:00:00Z", time.Time{}},
		{"2026-04-31T12:00:00Z", time.Time{}},
		{"2026-00-10T12:00:00Z", time.Time{}},
		{"2026-13-01T09:30:00Z", time.Time{}},
		{"2026-03-00T09:30:00Z", time.Time{}},
		{"2026-03-01T24:00:00Z", time.Time{}},
		{"2026-03-01T23:60:00Z", time.Time{}},
		{"2026-03-01T23:59:60Z", time.Time{}},
		{"2026-03-0:T09:30:00Z", time.Time{}},
		{"2026-03-0/T09:30:00Z", time.Time{}},
		{"2026/03/01T09:30:00Z", time.Time{}},
		{"2026-03/01T09:30:00Z", time.Time{}},
		{"2026-03-01t09:30:00Z", time.Time{}},
		{"2026-03-01T09-30:00Z", time.Time{}},
		{"2026-03-01T09:30-00Z", time.Time{}},
		{"21/01/2025 17:49:47", time.Time{}},
		{"yesterday", time.Time{}},
		{"", time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := parseEventTime(tc.in)
			assert.True(t, tc.want.Equal(got), "got %v, want %v", got, tc.want)
			assert.Equal(t, time.UTC, got.Location())
		})
	}
}

func TestBucketAndKeyComeFromS3ARNsOfEveryPartition(t *testing.T) {
	tests := []struct{ arn, bucket, key string }{
		{"arn:aws:s3:::b1/dir/k.txt", "b1", "dir/k.txt"},
		{"arn:aws-us-gov:s3:::gov-bucket/a/b", "gov-bucket", "a/b"},
		{"arn:aws-cn:s3:::cn-bucket/k", "cn-bucket", "k"},
		{"arn:aws-iso-b:s3:::iso/k", "iso", "k"},
		{"arn:aws:s3:::only-bucket", "only-bucket", ""},
		{"arn::s3:::no-partition/k", "", ""},
		{"arn:aws:s3:eu-west-1:111122223333:accesspoint/ap/object/k", "", ""},
		{"arn:aws:iam::111122223333:user/bob", "", ""},
		{"xarn:aws:s3:::b/k", "", ""},
		{"arn:aws", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.arn, func(t *testing.T) {
			r := Record{Resources: []Resource{{Type: "AWS::S3::Object", ARN: tc.arn}}}
			assert.Equal(t, tc.bucket, r.Bucket())
			assert.Equal(t, tc.key, r.Key())
		})
	}
	// A bucket ARN is not an object: no key from it, and the object's
	// ARN is found after it.
	r := Record{Resources: []Resource{{Type: "AWS::S3::Bucket", ARN: "arn:aws-cn:s3:::b/not-a-key"}, {Type: "AWS::S3::Object", ARN: "arn:aws-cn:s3:::b/k"}}}
	assert.Equal(t, "k", r.Key())
	r.RequestParameters = RequestParameters{BucketName: "req-bucket", Key: "req-key"}
	assert.Equal(t, "req-bucket", r.Bucket(), "the request's names come first")
	assert.Equal(t, "req-key", r.Key())
}

func TestAccessAndDataProtectionChangesAreConfigurationChanges(t *testing.T) {
	for _, c := range []struct{ source, name string }{
		{"iam.amazonaws.com", "DetachUserPolicy"}, {"iam.amazonaws.com", "DeleteGroupPolicy"}, {"iam.amazonaws.com", "CreatePolicy"},
		{"iam.amazonaws.com", "CreatePolicyVersion"}, {"iam.amazonaws.com", "SetDefaultPolicyVersion"},
		{"iam.amazonaws.com", "CreateSAMLProvider"}, {"iam.amazonaws.com", "UpdateSAMLProvider"},
		{"iam.amazonaws.com", "CreateOpenIDConnectProvider"}, {"iam.amazonaws.com", "UpdateOpenIDConnectProviderThumbprint"},
		{"s3.amazonaws.com", "PutBucketReplication"}, {"s3.amazonaws.com", "DeleteBucketReplication"},
		{"s3.amazonaws.com", "PutBucketLifecycle"}, {"s3.amazonaws.com", "PutBucketLifecycleConfiguration"}, {"s3.amazonaws.com", "DeleteBucketLifecycle"},
		{"s3.amazonaws.com", "PutBucketVersioning"}, {"s3.amazonaws.com", "PutBucketOwnershipControls"}, {"s3.amazonaws.com", "DeleteBucketOwnershipControls"},
		{"s3.amazonaws.com", "CreateAccessPoint"}, {"s3.amazonaws.com", "PutAccessPointPolicy"}, {"s3-control.amazonaws.com", "DeleteAccessPointPolicy"},
		{"s3.amazonaws.com", "PutMultiRegionAccessPointPolicy"}, {"s3.amazonaws.com", "CreateAccessGrant"}, {"s3.amazonaws.com", "DeleteAccessGrant"},
		{"s3.amazonaws.com", "CreateAccessGrantsLocation"}, {"s3.amazonaws.com", "PutAccessGrantsInstanceResourcePolicy"},
	} {
		r := Record{EventSource: c.source, EventName: c.name}
		assert.True(t, r.IsConfigChange(), "%s %s", c.source, c.name)
		assert.Contains(t, ConfigEventNames(), c.name)
	}
	for _, c := range []struct{ source, name string }{
		{"s3.amazonaws.com", "GetBucketPolicy"}, {"iam.amazonaws.com", "ListPolicies"},
		{"organizations.amazonaws.com", "CreatePolicy"}, {"ec2.amazonaws.com", "CreateAccessPoint"}, {"", "PutBucketPolicy"},
	} {
		r := Record{EventSource: c.source, EventName: c.name}
		assert.False(t, r.IsConfigChange(), "%s %s", c.source, c.name)
	}
	names := ConfigEventNames()
	assert.IsNonDecreasing(t, names, "listed in a fixed order")
}

func TestWhoActedIsNamedFromWhatTheRecordHas(t *testing.T) {
	tests := []struct {
		u    UserIdentity
		want string
	}{
		{UserIdentity{ARN: "arn:aws:iam::1:user/a", InvokedBy: "x", AccountID: "1"}, "arn:aws:iam::1:user/a"},
		{UserIdentity{InvokedBy: "s3.amazonaws.com", AccountID: "1"}, "s3.amazonaws.com"},
		{UserIdentity{AccountID: "444455556666", PrincipalID: "AIDA1"}, "account 444455556666 principal AIDA1"},
		{UserIdentity{AccountID: "anonymous", Type: "AWSAccount"}, "account anonymous"},
		{UserIdentity{Type: "Root", PrincipalID: "p"}, "Root"},
		{UserIdentity{}, "unknown"},
	}
	for _, tc := range tests {
		r := Record{UserIdentity: tc.u}
		assert.Equal(t, tc.want, r.Principal())
	}
}

func TestByteCountsOutsideWhatS3CanSendAreZero(t *testing.T) {
	for v, want := range map[float64]int64{0: 0, -5: 0, 1: 1, 1024.0: 1024, 0.5: 0, 1e30: 0, float64(1 << 62): 0, float64(1<<62 - 1024): 1<<62 - 1024} {
		r := Record{AdditionalData: AdditionalEventData{BytesTransferredOut: v}}
		assert.Equal(t, want, r.BytesOut(), "%v", v)
	}
}

func TestSourceAddressesAreUnmapped(t *testing.T) {
	r := Record{SourceIPAddress: "::ffff:198.51.100.7"}
	assert.Equal(t, "198.51.100.7", r.SourceAddr().String())
	r.SourceIPAddress = "AWS Internal"
	assert.False(t, r.SourceAddr().IsValid())
}

func TestChangeTargetsNameWhatWasChanged(t *testing.T) {
	r := Record{RequestParameters: RequestParameters{BucketName: "b", Key: "k/1"}}
	assert.Equal(t, "b/k/1", r.target())
	r = Record{RequestParameters: RequestParameters{UserName: "u", RoleName: "r", PolicyName: "p", PolicyArn: "arn:aws:iam::1:policy/p", AccessKeyID: "AKIA1", Status: "Inactive"}}
	assert.Equal(t, "user u, role r, policy p, policyArn arn:aws:iam::1:policy/p, key AKIA1, status Inactive", r.target())
	assert.Equal(t, "", (&Record{}).target())
}
