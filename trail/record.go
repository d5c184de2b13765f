package trail

import (
	"net/netip"
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

// Time parses eventTime; the zero time when it is missing or malformed.
func (r *Record) Time() time.Time {
	return parseEventTime(r.EventTime)
}

// parseEventTime reads CloudTrail's "2006-01-02T15:04:05Z" quickly and falls
// back to RFC 3339 for anything else.
func parseEventTime(s string) time.Time {
	if len(s) == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z' {
		n := func(a, b int) (int, bool) {
			v := 0
			for i := a; i < b; i++ {
				c := s[i]
				if c < '0' || c > '9' {
					return 0, false
				}
				v = v*10 + int(c-'0')
			}
			return v, true
		}
		y, ok1 := n(0, 4)
		mo, ok2 := n(5, 7)
		d, ok3 := n(8, 10)
		h, ok4 := n(11, 13)
		mi, ok5 := n(14, 16)
		se, ok6 := n(17, 19)
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && se < 61 {
			return time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC)
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
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
		if arn, ok := strings.CutPrefix(res.ARN, "arn:aws:s3:::"); ok && arn != "" {
			b, _, _ := strings.Cut(arn, "/")
			return b
		}
	}
	return ""
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
		if arn, ok := strings.CutPrefix(res.ARN, "arn:aws:s3:::"); ok {
			if _, k, found := strings.Cut(arn, "/"); found {
				return k
			}
		}
	}
	return ""
}

// BytesOut is the number of bytes S3 sent back for the event.
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

// configEvents are the events that change who can reach a bucket or its
// objects, or what credentials and permissions IAM principals hold. S3 bucket
// management and account-level Block Public Access events come first, then
// IAM key, user and role policy events.
var configEvents = map[string]bool{
	// S3 bucket access and protection.
	"PutBucketPolicy": true, "DeleteBucketPolicy": true, "PutBucketAcl": true,
	"PutBucketPublicAccessBlock": true, "DeleteBucketPublicAccessBlock": true,
	"PutBucketOwnershipControls": true, "DeleteBucketOwnershipControls": true,
	"PutBucketVersioning": true, "PutBucketEncryption": true, "DeleteBucketEncryption": true,
	"PutBucketLogging": true, "PutBucketWebsite": true, "PutBucketReplication": true,
	"PutBucketLifecycle": true, "PutBucketCors": true, "PutBucketTagging": true,
	"CreateBucket": true, "DeleteBucket": true,
	"PutAccountPublicAccessBlock": true, "DeleteAccountPublicAccessBlock": true,
	// Object ACLs can make single objects public.
	"PutObjectAcl": true,
	// Access points have their own policies.
	"PutAccessPointPolicy": true, "DeleteAccessPointPolicy": true,
	// IAM: keys, trust and permission policies.
	"CreateAccessKey": true, "UpdateAccessKey": true, "DeleteAccessKey": true,
	"UpdateAssumeRolePolicy": true, "PutRolePolicy": true, "DeleteRolePolicy": true,
	"AttachRolePolicy": true, "DetachRolePolicy": true,
	"PutUserPolicy": true, "AttachUserPolicy": true, "CreateUser": true,
	"CreateLoginProfile": true, "UpdateLoginProfile": true,
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
