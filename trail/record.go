package trail

import (
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Record is the part of one CloudTrail event that the analysis reads. Field
// names follow CloudTrail's record contents; anything else in the record is
// skipped by the decoder without being stored.
type Record struct {
	EventVersion       string              `json:"eventVersion"`
	EventTime          string              `json:"eventTime"`
	EventSource        string              `json:"eventSource"`
	EventName          string              `json:"eventName"`
	AWSRegion          string              `json:"awsRegion"`
	SourceIPAddress    string              `json:"sourceIPAddress"`
	UserAgent          string              `json:"userAgent"`
	ErrorCode          string              `json:"errorCode"`
	ErrorMessage       string              `json:"errorMessage"`
	ReadOnly           *bool               `json:"readOnly"`
	EventID            string              `json:"eventID"`
	EventType          string              `json:"eventType"`
	EventCategory      string              `json:"eventCategory"`
	RecipientAccountID string              `json:"recipientAccountId"`
	UserIdentity       UserIdentity        `json:"userIdentity"`
	RequestParameters  RequestParameters   `json:"requestParameters"`
	AdditionalData     AdditionalEventData `json:"additionalEventData"`
	Resources          []Resource          `json:"resources"`
}

// UserIdentity says who made the call. Service-originated events carry only
// a type and invokedBy; cross-account callers may carry no ARN.
type UserIdentity struct {
	Type           string         `json:"type"`
	PrincipalID    string         `json:"principalId"`
	ARN            string         `json:"arn"`
	AccountID      string         `json:"accountId"`
	AccessKeyID    string         `json:"accessKeyId"`
	UserName       string         `json:"userName"`
	InvokedBy      string         `json:"invokedBy"`
	SessionContext SessionContext `json:"sessionContext"`
}

// SessionContext describes temporary credentials: the role (or user) that
// issued them and whether MFA was used.
type SessionContext struct {
	SessionIssuer SessionIssuer     `json:"sessionIssuer"`
	Attributes    SessionAttributes `json:"attributes"`
}

// SessionIssuer is the role or user that issued temporary credentials.
type SessionIssuer struct {
	Type     string `json:"type"`
	ARN      string `json:"arn"`
	UserName string `json:"userName"`
}

// SessionAttributes says when the session began and whether MFA was used.
type SessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

// RequestParameters holds the request fields the answers need: the S3 bucket
// and key, and the IAM user, role, policy or key a change was aimed at.
type RequestParameters struct {
	BucketName  string `json:"bucketName"`
	Key         string `json:"key"`
	UserName    string `json:"userName"`
	RoleName    string `json:"roleName"`
	PolicyName  string `json:"policyName"`
	PolicyArn   string `json:"policyArn"`
	AccessKeyID string `json:"accessKeyId"`
	Status      string `json:"status"`
}

// AdditionalEventData carries the byte counts of S3 data events. CloudTrail
// writes them as JSON numbers, sometimes with a fractional part (1024.0).
type AdditionalEventData struct {
	BytesTransferredIn  float64 `json:"bytesTransferredIn"`
	BytesTransferredOut float64 `json:"bytesTransferredOut"`
}

// Resource is one entry of the record's resources list.
type Resource struct {
	Type string `json:"type"`
	ARN  string `json:"ARN"`
}

// Valid reports whether the record has the fields every CloudTrail event has.
// Other JSON with a Records array (S3 event notifications, for one) fails.
func (r *Record) Valid() bool {
	return r.EventTime != "" && r.EventName != "" && strings.HasSuffix(r.EventSource, ".amazonaws.com")
}

// Time parses eventTime; the zero time when it is missing or cannot be
// read.
func (r *Record) Time() time.Time {
	return parseEventTime(r.EventTime)
}

// parseEventTime reads the ways eventTime is written: CloudTrail's own
// "2006-01-02T15:04:05Z" (read by hand, it is on every record), the same
// with fractional seconds or an offset (RFC 3339), and the
// "2006-01-02 15:04:05.000000000" of CloudTrail Lake and Athena exports,
// which has no zone and is UTC (so is the same with a T). Anything else is
// the zero time.
func parseEventTime(s string) time.Time {
	if len(s) == 20 && s[19] == 'Z' {
		// Only this layout has 20 characters and a Z: what clockTime
		// refuses, RFC 3339 refuses too.
		return clockTime(s)
	}
	if len(s) >= 19 && (s[10] == ' ' || s[10] == 'T') {
		// The exports' layout: a space (or a T), an optional fraction, no
		// zone: CloudTrail's times are UTC.
		b := []byte(s)
		b[10] = 'T'
		if t, err := time.Parse("2006-01-02T15:04:05.999999999", string(b)); err == nil {
			return t
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// clockTime reads "2006-01-02T15:04:05" at the start of s without the
// general parser, which costs more than the rest of a record's analysis;
// the zero time when it is not a valid time in that layout.
func clockTime(s string) time.Time {
	if s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}
	}
	v := [6]int{}
	for i, f := range [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
		for j := f[0]; j < f[1]; j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return time.Time{}
			}
			v[i] = v[i]*10 + int(c-'0')
		}
	}
	y, mo, d, h, mi, se := v[0], v[1], v[2], v[3], v[4], v[5]
	if mo < 1 || mo > 12 || d < 1 || (d > 28 && d > daysIn(y, mo)) || h > 23 || mi > 59 || se > 59 {
		return time.Time{}
	}
	return time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC)
}

// daysIn is the length of the month, so "02-30" is refused as time.Parse
// refuses it rather than silently becoming the 2nd of March.
func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Principal names who acted, for tables and summaries: the ARN when there is
// one, the service for service-originated calls, otherwise the account and
// principal id (cross-account callers), otherwise the identity type.
func (r *Record) Principal() string {
	u := &r.UserIdentity
	switch {
	case u.ARN != "":
		return u.ARN
	case u.InvokedBy != "":
		return u.InvokedBy
	case u.AccountID != "" && u.PrincipalID != "":
		return "account " + u.AccountID + " principal " + u.PrincipalID
	case u.AccountID != "":
		return "account " + u.AccountID
	case u.Type != "":
		return u.Type
	}
	return "unknown"
}

// Role returns the ARN of the role behind temporary credentials, if any.
func (r *Record) Role() string {
	return r.UserIdentity.SessionContext.SessionIssuer.ARN
}

// Bucket returns the S3 bucket the event concerns: the request's bucketName,
// or else the first S3 bucket or object in resources.
func (r *Record) Bucket() string {
	if r.RequestParameters.BucketName != "" {
		return r.RequestParameters.BucketName
	}
	for _, res := range r.Resources {
		if path, ok := s3Path(res.ARN); ok && path != "" {
			b, _, _ := strings.Cut(path, "/")
			return b
		}
	}
	return ""
}

// s3Path returns the "bucket/key" part of an S3 bucket or object ARN in
// any partition: arn:aws:s3:::, arn:aws-cn:s3:::, arn:aws-us-gov:s3::: and
// the others (S3 bucket and object ARNs have no Region or account).
func s3Path(arn string) (string, bool) {
	rest, ok := strings.CutPrefix(arn, "arn:")
	if !ok {
		return "", false
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !ok || partition == "" {
		return "", false
	}
	return strings.CutPrefix(rest, "s3:::")
}

// Key returns the S3 object key the event concerns, from the request or
// else from an object ARN in resources.
func (r *Record) Key() string {
	if r.RequestParameters.Key != "" {
		return r.RequestParameters.Key
	}
	for _, res := range r.Resources {
		if res.Type != "AWS::S3::Object" {
			continue
		}
		if path, ok := s3Path(res.ARN); ok {
			if _, k, found := strings.Cut(path, "/"); found {
				return k
			}
		}
	}
	return ""
}

// BytesOut is the number of bytes S3 sent back for the event: the object's
// data for a successful GetObject (see IsDataRead), an error or listing
// document otherwise.
func (r *Record) BytesOut() int64 {
	if v := r.AdditionalData.BytesTransferredOut; v > 0 && v < 1<<62 {
		return int64(v)
	}
	return 0
}

// SourceAddr parses sourceIPAddress; it is not valid for the service names
// CloudTrail writes there when AWS itself made the call.
func (r *Record) SourceAddr() netip.Addr {
	a, err := netip.ParseAddr(r.SourceIPAddress)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// Denied reports whether the call was refused for lack of permission or
// credentials, the error codes that show probing.
func (r *Record) Denied() bool {
	return IsDeniedCode(r.ErrorCode)
}

// IsDeniedCode reports whether an errorCode means the caller was refused:
// S3's AccessDenied and the IAM, STS and EC2 spellings of the same thing,
// plus refused or unknown credentials.
func IsDeniedCode(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "Client.UnauthorizedOperation", "UnauthorizedOperation",
		"UnauthorizedAccess", "Unauthorized", "Forbidden", "AllAccessDisabled", "AccountProblem",
		"InvalidAccessKeyId", "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
		"AuthFailure", "Client.AuthFailure", "InvalidToken", "TokenRefreshRequired", "NotAuthorized":
		return true
	}
	return false
}

// IsRead reports whether the event read an object's content.
func (r *Record) IsRead() bool {
	return r.EventName == "GetObject" && r.EventSource == "s3.amazonaws.com"
}

// IsDataRead reports whether the event is a read that succeeded, so that
// its bytesTransferredOut is object data that left the bucket.
func (r *Record) IsDataRead() bool {
	return r.ErrorCode == "" && r.IsRead()
}

// configEvents are the events that change who can reach a bucket or its
// objects, how its data is protected, or what credentials and permissions
// IAM principals hold. The names are CloudTrail's eventName values, which
// are the API operation names (S3, S3 Control and IAM API references).
var configEvents = map[string]bool{
	// S3 bucket access.
	"PutBucketPolicy": true, "DeleteBucketPolicy": true, "PutBucketAcl": true,
	"PutBucketPublicAccessBlock": true, "DeleteBucketPublicAccessBlock": true,
	"PutBucketOwnershipControls": true, "DeleteBucketOwnershipControls": true,
	"PutBucketCors": true, "DeleteBucketCors": true, "PutBucketWebsite": true, "DeleteBucketWebsite": true,
	"CreateBucket": true, "DeleteBucket": true, "PutBucketTagging": true,
	"PutAccountPublicAccessBlock": true, "DeleteAccountPublicAccessBlock": true,
	// S3 data protection: versioning, encryption, replication (a copy
	// elsewhere), lifecycle (deletion on a schedule), Object Lock, logging.
	// CloudTrail names the lifecycle call PutBucketLifecycle whichever API
	// version was used; both spellings are listed.
	"PutBucketVersioning": true, "PutBucketEncryption": true, "DeleteBucketEncryption": true,
	"PutBucketReplication": true, "DeleteBucketReplication": true,
	"PutBucketLifecycle": true, "PutBucketLifecycleConfiguration": true, "DeleteBucketLifecycle": true,
	"PutObjectLockConfiguration": true, "PutBucketLogging": true,
	// Object ACLs can make single objects public.
	"PutObjectAcl": true,
	// Access points and Multi-Region Access Points have their own policies.
	"CreateAccessPoint": true, "DeleteAccessPoint": true, "PutAccessPointPolicy": true, "DeleteAccessPointPolicy": true,
	"CreateAccessPointForObjectLambda": true, "DeleteAccessPointForObjectLambda": true,
	"PutAccessPointPolicyForObjectLambda": true, "DeleteAccessPointPolicyForObjectLambda": true,
	"PutAccessPointConfigurationForObjectLambda": true,
	"CreateMultiRegionAccessPoint":               true, "DeleteMultiRegionAccessPoint": true, "PutMultiRegionAccessPointPolicy": true,
	"PutAccessPointScope": true, "DeleteAccessPointScope": true,
	// S3 Access Grants: instances, locations, grants and their policy.
	"CreateAccessGrantsInstance": true, "DeleteAccessGrantsInstance": true,
	"PutAccessGrantsInstanceResourcePolicy": true, "DeleteAccessGrantsInstanceResourcePolicy": true,
	"AssociateAccessGrantsIdentityCenter": true, "DissociateAccessGrantsIdentityCenter": true,
	"CreateAccessGrantsLocation": true, "UpdateAccessGrantsLocation": true, "DeleteAccessGrantsLocation": true,
	"CreateAccessGrant": true, "DeleteAccessGrant": true,
	// IAM: keys and passwords.
	"CreateAccessKey": true, "UpdateAccessKey": true, "DeleteAccessKey": true,
	"CreateUser": true, "CreateLoginProfile": true, "UpdateLoginProfile": true,
	// IAM: role trust and role, user and group policies.
	"UpdateAssumeRolePolicy": true, "PutRolePolicy": true, "DeleteRolePolicy": true,
	"AttachRolePolicy": true, "DetachRolePolicy": true,
	"PutUserPolicy": true, "DeleteUserPolicy": true, "AttachUserPolicy": true, "DetachUserPolicy": true,
	"PutGroupPolicy": true, "DeleteGroupPolicy": true, "AttachGroupPolicy": true, "DetachGroupPolicy": true,
	"AddUserToGroup": true,
	// IAM: managed policies change everyone they are attached to.
	"CreatePolicy": true, "CreatePolicyVersion": true, "SetDefaultPolicyVersion": true,
	// IAM: identity providers decide who can assume federated roles.
	"CreateSAMLProvider": true, "UpdateSAMLProvider": true,
	"CreateOpenIDConnectProvider": true, "UpdateOpenIDConnectProviderThumbprint": true,
	"AddClientIDToOpenIDConnectProvider": true,
}

// IsConfigChange reports whether the event changes bucket access or IAM
// credentials and permissions (see configEvents).
func (r *Record) IsConfigChange() bool {
	if !configEvents[r.EventName] {
		return false
	}
	return r.EventSource == "s3.amazonaws.com" || r.EventSource == "iam.amazonaws.com" || r.EventSource == "s3-control.amazonaws.com"
}

// ConfigEventNames lists the event names IsConfigChange looks for, for
// documentation and the GUI's legend.
func ConfigEventNames() []string {
	out := make([]string, 0, len(configEvents))
	for k := range configEvents {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// target describes what a configuration change was aimed at, for the
// change table: the bucket, or the IAM user, role, policy or key.
func (r *Record) target() string {
	p := &r.RequestParameters
	if b := r.Bucket(); b != "" {
		if k := r.Key(); k != "" {
			return b + "/" + k
		}
		return b
	}
	var parts []string
	for _, s := range []struct{ k, v string }{{"user", p.UserName}, {"role", p.RoleName}, {"policy", p.PolicyName}, {"policyArn", p.PolicyArn}, {"key", p.AccessKeyID}, {"status", p.Status}} {
		if s.v != "" {
			parts = append(parts, s.k+" "+s.v)
		}
	}
	return strings.Join(parts, ", ")
}
