package trail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// The records below follow the layout CloudTrail writes (eventVersion 1.09
// and later), trimmed of fields the analysis does not read only where noted.

const acct = "111122223333"

// getObjectJSON is an S3 data event as CloudTrail logs it for a GetObject by
// an IAM user's long-term key. bytesTransferredOut is written with a
// fractional part, as CloudTrail sometimes does.
const getObjectJSON = `{
  "eventVersion": "1.09",
  "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEUSER00001", "arn": "arn:aws:iam::111122223333:user/svc-reports",
    "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEEXFIL0001", "userName": "svc-reports"},
  "eventTime": "2026-03-02T10:15:30Z", "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "eu-west-1",
  "sourceIPAddress": "185.220.101.7", "userAgent": "[aws-cli/2.13.0 Python/3.11.4 Windows/10 exe/AMD64 command/s3.sync]",
  "requestParameters": {"bucketName": "prod-customer-exports", "Host": "prod-customer-exports.s3.eu-west-1.amazonaws.com", "key": "exports/2026/02/customers.csv.gz"},
  "responseElements": null,
  "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader",
    "x-amz-id-2": "Zm9vYmFy", "bytesTransferredOut": 1048576.0},
  "requestID": "0123456789ABCDEF", "eventID": "0b7e6b3d-6b1e-4c55-9c5e-1f0d0e2b5a01", "readOnly": true,
  "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::prod-customer-exports/exports/2026/02/customers.csv.gz"},
    {"accountId": "111122223333", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::prod-customer-exports"}],
  "eventType": "AwsApiCall", "managementEvent": false, "recipientAccountId": "111122223333", "eventCategory": "Data",
  "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "prod-customer-exports.s3.eu-west-1.amazonaws.com"}
}`

// putBucketPolicyJSON is a management event from an assumed-role session
// (temporary ASIA key, sessionContext naming the role).
const putBucketPolicyJSON = `{
  "eventVersion": "1.09",
  "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLEROLEID001:jane.doe",
    "arn": "arn:aws:sts::111122223333:assumed-role/AdminRole/jane.doe", "accountId": "111122223333", "accessKeyId": "ASIAEXAMPLEADMINSS01",
    "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEROLEID001", "arn": "arn:aws:iam::111122223333:role/AdminRole",
      "accountId": "111122223333", "userName": "AdminRole"}, "webIdFederationData": {},
      "attributes": {"creationDate": "2026-03-01T08:00:00Z", "mfaAuthenticated": "true"}}},
  "eventTime": "2026-03-01T09:30:00Z", "eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy", "awsRegion": "eu-west-1",
  "sourceIPAddress": "203.0.113.99", "userAgent": "[S3Console/0.4]",
  "requestParameters": {"bucketPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::prod-customer-exports/*"}]}, "bucketName": "prod-customer-exports", "Host": "s3.eu-west-1.amazonaws.com", "policy": ""},
  "responseElements": null, "additionalEventData": {"SignatureVersion": "SigV4", "bytesTransferredIn": 312, "bytesTransferredOut": 0},
  "requestID": "FEDCBA9876543210", "eventID": "6f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a02", "readOnly": false,
  "resources": [{"accountId": "111122223333", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::prod-customer-exports"}],
  "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "111122223333", "eventCategory": "Management"
}`

// serviceEventJSON is an event AWS made on the account's behalf: no access
// key, no ARN, only invokedBy.
const serviceEventJSON = `{
  "eventVersion": "1.08",
  "userIdentity": {"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"},
  "eventTime": "2026-03-01T00:05:00Z", "eventSource": "s3.amazonaws.com", "eventName": "PutObject", "awsRegion": "eu-west-1",
  "sourceIPAddress": "cloudtrail.amazonaws.com", "userAgent": "cloudtrail.amazonaws.com",
  "requestParameters": {"bucketName": "cloudtrail-logs-111122223333", "key": "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/01/x.json.gz",
    "x-amz-acl": "bucket-owner-full-control", "Host": "cloudtrail-logs-111122223333.s3.eu-west-1.amazonaws.com"},
  "responseElements": null, "additionalEventData": {"bytesTransferredIn": 4096, "bytesTransferredOut": 0},
  "requestID": "1111222233334444", "eventID": "a1b2c3d4-0000-4000-8000-000000000003", "readOnly": false,
  "resources": [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::cloudtrail-logs-111122223333/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/01/x.json.gz"}],
  "eventType": "AwsApiCall", "managementEvent": false, "recipientAccountId": "111122223333", "sharedEventID": "5e6f7a8b-0000-4000-8000-000000000004",
  "eventCategory": "Data"
}`

// deniedJSON is a refused GetObject: errorCode AccessDenied, nothing sent.
const deniedJSON = `{
  "eventVersion": "1.09",
  "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEBOB000001", "arn": "arn:aws:iam::111122223333:user/bob",
    "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEBOB000001", "userName": "bob"},
  "eventTime": "2026-03-02T11:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "eu-west-1",
  "sourceIPAddress": "198.51.100.11", "userAgent": "[Boto3/1.34.69]",
  "errorCode": "AccessDenied", "errorMessage": "Access Denied",
  "requestParameters": {"bucketName": "prod-customer-exports", "key": "exports/secret.csv"},
  "responseElements": null, "additionalEventData": {"bytesTransferredIn": 0, "bytesTransferredOut": 243},
  "requestID": "2222333344445555", "eventID": "a1b2c3d4-0000-4000-8000-000000000005", "readOnly": true,
  "eventType": "AwsApiCall", "managementEvent": false, "recipientAccountId": "111122223333", "eventCategory": "Data"
}`

// createAccessKeyJSON is an IAM change by a cross-account caller that has no
// ARN in its identity.
const createAccessKeyJSON = `{
  "eventVersion": "1.08",
  "userIdentity": {"type": "AWSAccount", "principalId": "AIDAEXTERNALEXAMPLE1", "accountId": "444455556666"},
  "eventTime": "2026-03-01T12:00:00Z", "eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey", "awsRegion": "us-east-1",
  "sourceIPAddress": "45.33.32.156", "userAgent": "[python-requests/2.31.0]",
  "requestParameters": {"userName": "svc-reports"},
  "responseElements": {"accessKey": {"accessKeyId": "AKIAEXAMPLENEWKEY001", "status": "Active", "userName": "svc-reports", "createDate": "Mar 1, 2026 12:00:00 PM"}},
  "requestID": "3333444455556666", "eventID": "a1b2c3d4-0000-4000-8000-000000000006", "readOnly": false,
  "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "111122223333", "eventCategory": "Management"
}`

// recSeq numbers the records rec makes.
var recSeq atomic.Int64

// rec decodes one of the JSON records above into a map so tests can vary it.
// Each gets an eventID of its own, as every CloudTrail event has, unless
// changes set one.
func rec(t testing.TB, js string, changes map[string]any) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(js), &m))
	m["eventID"] = fmt.Sprintf("%s-%d", m["eventID"], recSeq.Add(1))
	for k, v := range changes {
		setPath(m, k, v)
	}
	return m
}

// setPath sets a dotted path ("userIdentity.accessKeyId"); nil deletes.
func setPath(m map[string]any, p string, v any) {
	for {
		i := bytes.IndexByte([]byte(p), '.')
		if i < 0 {
			break
		}
		next, ok := m[p[:i]].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p[:i]] = next
		}
		m, p = next, p[i+1:]
	}
	if v == nil {
		delete(m, p)
		return
	}
	m[p] = v
}

// logJSON renders records as a CloudTrail log file.
func logJSON(t testing.TB, records ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"Records": records})
	require.NoError(t, err)
	return b
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func writeFile(t testing.TB, path string, b []byte) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

func readAllTest(r io.Reader) ([]byte, error) { return io.ReadAll(r) }
