package aws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"s3responder/app"
)

// Kind sorts AWS failures by what the person at the keyboard can do
// about them.
type Kind string

// Failure kinds.
const (
	KindDenied         Kind = "denied"         // a permission is missing
	KindExpired        Kind = "expired"        // credentials or SSO session expired
	KindNoCredentials  Kind = "no-credentials" // nothing to sign with
	KindBadCredentials Kind = "bad-credentials"
	KindMFA            Kind = "mfa"          // the profile needs an MFA code
	KindNetwork        Kind = "network"      // AWS (or the endpoint) cannot be reached
	KindNotFound       Kind = "not-found"    // no such bucket
	KindThrottled      Kind = "throttled"    // too many requests, even after retries
	KindRegion         Kind = "wrong-region" // the bucket lives in another region
	KindConfig         Kind = "config"       // profile or region missing
	KindNotSupported   Kind = "not-supported"
	KindCanceled       Kind = "canceled"
	KindOther          Kind = "other"
)

// Error is an AWS failure explained for a person. Message is what the UI
// shows; Code and Err keep the detail for the log and the evidence.
type Error struct {
	Kind      Kind
	Service   string // "S3", "STS", ...
	Operation string // "GetBucketPolicy"
	Code      string // AWS error code, when AWS answered
	// Permission is the IAM action the call needs, for KindDenied.
	Permission string
	Message    string
	Err        error
}

func (e *Error) Error() string { return e.Message }

// Unwrap gives the SDK's error to errors.As (smithy.APIError and so on).
func (e *Error) Unwrap() error { return e.Err }

// Is lets callers test for the app's sentinels: a missing bucket is
// app.ErrNotFound.
func (e *Error) Is(target error) bool {
	return target == app.ErrNotFound && e.Kind == KindNotFound
}

// permissions maps operations to the IAM action they need, for "which
// permission is missing" messages.
var permissions = map[string]string{
	"ListBuckets":                     "s3:ListAllMyBuckets",
	"GetBucketLocation":               "s3:GetBucketLocation",
	"GetBucketPolicy":                 "s3:GetBucketPolicy",
	"GetBucketPolicyStatus":           "s3:GetBucketPolicyStatus",
	"GetBucketAcl":                    "s3:GetBucketAcl",
	"S3.GetPublicAccessBlock":         "s3:GetBucketPublicAccessBlock",
	"S3 Control.GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
	"GetBucketOwnershipControls":      "s3:GetBucketOwnershipControls",
	"GetBucketVersioning":             "s3:GetBucketVersioning",
	"GetBucketEncryption":             "s3:GetEncryptionConfiguration",
	"GetBucketLogging":                "s3:GetBucketLogging",
	"GetBucketReplication":            "s3:GetReplicationConfiguration",
	"GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
	"GetBucketTagging":                "s3:GetBucketTagging",
	"GetObjectLockConfiguration":      "s3:GetBucketObjectLockConfiguration",
	"GetBucketWebsite":                "s3:GetBucketWebsite",
	"LookupEvents":                    "cloudtrail:LookupEvents",
	"ListAnalyzers":                   "access-analyzer:ListAnalyzers",
	"ListFindings":                    "access-analyzer:ListFindings",
	"GetBucketStatistics":             "macie2:GetBucketStatistics",
	"ListObjectsV2":                   "s3:ListBucket",
	"StartQueryExecution":             "athena:StartQueryExecution",
	"GetQueryExecution":               "athena:GetQueryExecution",
	"GetQueryResults":                 "athena:GetQueryResults",
	"StopQueryExecution":              "athena:StopQueryExecution",
	"ListAccessPoints":                "s3:ListAccessPoints",
	"GetAccessPoint":                  "s3:GetAccessPoint",
	"GetAccessPointPolicy":            "s3:GetAccessPointPolicy",
	"GetAccessPointPolicyStatus":      "s3:GetAccessPointPolicyStatus",
}

func permissionFor(service, op string) string {
	if p, ok := permissions[service+"."+op]; ok {
		return p
	}
	return permissions[op]
}

var (
	deniedCodes    = set("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden", "AllAccessDisabled", "UnauthorizedAccess")
	expiredCodes   = set("ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired")
	badCredCodes   = set("InvalidClientTokenId", "InvalidAccessKeyId", "SignatureDoesNotMatch", "UnrecognizedClientException", "AuthFailure", "InvalidToken", "IncompleteSignature")
	notFoundCodes  = set("NoSuchBucket", "NotFound")
	throttleCodes  = set("SlowDown", "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled")
	regionCodes    = set("PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException")
	notImplemented = set("NotImplemented", "UnsupportedOperation", "MethodNotAllowed")
)

func set(codes ...string) map[string]bool {
	m := map[string]bool{}
	for _, c := range codes {
		m[c] = true
	}
	return m
}

// Explain turns an SDK error into an *Error with a message a person
// understands; profile is named in advice such as "aws sso login". nil
// stays nil, and an *Error is returned as is.
func Explain(err error, profile string) error {
	if err == nil {
		return nil
	}
	var done *Error
	if errors.As(err, &done) {
		return err
	}
	e := &Error{Kind: KindOther, Err: err}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		e.Service, e.Operation = oe.ServiceID, oe.OperationName
	}
	what := "the AWS call"
	if e.Operation != "" {
		what = e.Service + " " + e.Operation
	}
	prof := profileWords(profile)
	var apiErr smithy.APIError
	var sso *ssocreds.InvalidTokenError
	var sendErr *smithyhttp.RequestSendError
	var netErr net.Error
	var mfa config.AssumeRoleTokenProviderNotSetError
	var noCode *mfaPromptError
	switch {
	case errors.Is(err, context.Canceled):
		e.Kind, e.Message = KindCanceled, what+" was cancelled."
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind, e.Message = KindNetwork, what+" took too long and was stopped; check the network and try again."
	case errors.As(err, &sso) || strings.Contains(err.Error(), "cached SSO token") || strings.Contains(err.Error(), "SSO session has expired"):
		e.Kind = KindExpired
		e.Message = fmt.Sprintf("The AWS SSO sign-in for %s is missing or has expired. Run `aws sso login%s` and try again.", prof, profileFlag(profile))
	case errors.As(err, &noCode):
		e.Kind = KindMFA
		e.Message = fmt.Sprintf("%s needs an MFA code for %s, and none was given (%v). Nothing was sent to AWS; try again and type the code.", upperFirst(prof), noCode.serial, noCode.err)
	case errors.As(err, &mfa):
		e.Kind = KindMFA
		e.Message = fmt.Sprintf("%s assumes a role that needs an MFA code, and no way to ask for one was given.", upperFirst(prof))
	case errors.As(err, &apiErr):
		e.Code = apiErr.ErrorCode()
		e.Message = explainCode(e, what, prof, profile, apiErr.ErrorMessage())
	case errors.As(err, &sendErr) || errors.As(err, &netErr):
		e.Kind = KindNetwork
		e.Message = fmt.Sprintf("Could not reach AWS for %s: the network, VPN or proxy may be down, or the endpoint is wrong. Nothing was changed; try again when online.", what)
	case strings.Contains(err.Error(), "failed to retrieve credentials") || strings.Contains(err.Error(), "no EC2 IMDS role found") || strings.Contains(err.Error(), "failed to refresh cached credentials"):
		e.Kind = KindNoCredentials
		e.Message = fmt.Sprintf("No usable AWS credentials for %s: choose a profile from your AWS config, or sign in (for SSO profiles, `aws sso login%s`).", prof, profileFlag(profile))
	default:
		e.Message = fmt.Sprintf("%s failed: %v", what, err)
	}
	return e
}

func explainCode(e *Error, what, prof, profile, awsMsg string) string {
	c := e.Code
	switch {
	case deniedCodes[c]:
		e.Kind = KindDenied
		e.Permission = permissionFor(e.Service, e.Operation)
		if e.Permission != "" {
			return fmt.Sprintf("Access denied for %s: the identity of %s lacks the permission %s (or a policy, SCP or Block Public Access setting denies it).", what, prof, e.Permission)
		}
		return fmt.Sprintf("Access denied for %s for %s: %s", what, prof, awsMsg)
	case expiredCodes[c]:
		e.Kind = KindExpired
		return fmt.Sprintf("The credentials of %s have expired (%s). Sign in again (for SSO profiles, `aws sso login%s`) and retry.", prof, c, profileFlag(profile))
	case badCredCodes[c]:
		e.Kind = KindBadCredentials
		return fmt.Sprintf("AWS does not accept the credentials of %s (%s): the access key may be deactivated, deleted or mistyped.", prof, c)
	case notFoundCodes[c]:
		e.Kind = KindNotFound
		return fmt.Sprintf("%s: the bucket does not exist (or was deleted).", what)
	case throttleCodes[c]:
		e.Kind = KindThrottled
		return fmt.Sprintf("AWS is throttling %s (%s) even after retries; wait a little and try again.", what, c)
	case regionCodes[c]:
		e.Kind = KindRegion
		return fmt.Sprintf("%s was sent to the wrong region (%s): the bucket lives in another region.", what, c)
	case notImplemented[c]:
		e.Kind = KindNotSupported
		return fmt.Sprintf("The server does not support %s (%s).", what, c)
	}
	if awsMsg == "" {
		awsMsg = c
	}
	return fmt.Sprintf("%s failed: %s (%s)", what, awsMsg, c)
}

func profileWords(profile string) string {
	if profile == "" {
		return "the default AWS profile"
	}
	return fmt.Sprintf("the AWS profile %q", profile)
}

func profileFlag(profile string) string {
	if profile == "" {
		return ""
	}
	return " --profile " + profile
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// errorCode returns the AWS error code of err, or "".
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}
