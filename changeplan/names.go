package changeplan

import (
	"encoding/json"
	"fmt"
	"time"

	"s3responder/app"
)

const (
	// RevokePolicyName is the inline policy name the IAM console itself
	// uses to revoke a role's sessions.
	RevokePolicyName = "AWSRevokeOlderSessions"
	// DenyAllPolicyName names the inline policy that neutralises a role, so
	// that undo, a second plan and a person reading the role all recognise it.
	DenyAllPolicyName = "S3ResponderDenyAll"
	// LockSid marks the statement that locks a bucket's control plane, so
	// that locking twice replaces it instead of piling up copies.
	LockSid = "S3ResponderLockControlPlane"
	// RevokeValidity is how long a revocation plan may wait: sessions
	// issued between the plan's cut-off time and the apply survive, so the
	// cut-off must be recent.
	RevokeValidity = 15 * time.Minute
	// MaxBucketPolicy is S3's limit on a bucket policy's size.
	MaxBucketPolicy = 20 * 1024
)

// AllBlocked is Block Public Access with every flag on.
var AllBlocked = json.RawMessage(`{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}`)

// DenyAllPolicy is the inline policy that neutralises a role: an explicit
// Deny of every action, which no Allow anywhere can outweigh.
var DenyAllPolicy = json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Sid":"` + DenyAllPolicyName + `","Effect":"Deny","Action":"*","Resource":"*"}]}`)

// LockActions are the IAM actions that change who can reach a bucket. S3
// has no separate actions for deleting Block Public Access or Object
// Ownership: DeletePublicAccessBlock needs s3:PutBucketPublicAccessBlock
// and DeleteBucketOwnershipControls s3:PutBucketOwnershipControls, and
// S3 (and versitygw) reject a policy naming an action that does not exist.
var LockActions = []string{
	"s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketAcl",
	"s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls",
}

// LockStatement is the bucket policy statement that denies changing the
// bucket's access settings to everyone but the responders (aws:PrincipalArn
// patterns).
func LockStatement(partition, bucket string, responders []string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{ // plain strings and lists always encode
		"Sid": LockSid, "Effect": "Deny", "Principal": "*", "Action": LockActions,
		"Resource":  fmt.Sprintf("arn:%s:s3:::%s", partition, bucket),
		"Condition": map[string]any{"StringNotLike": map[string]any{"aws:PrincipalArn": responders}},
	})
	return b
}

// BucketPolicyResource is a bucket's policy as a resource of a plan.
func BucketPolicyResource(bucket string) app.Resource {
	return app.Resource{Kind: app.ResourceBucketPolicy, ID: map[string]string{"bucket": bucket}, Name: "bucket policy of " + bucket}
}

// BucketBPAResource is a bucket's Block Public Access as a resource of a plan.
func BucketBPAResource(bucket string) app.Resource {
	return app.Resource{Kind: app.ResourceBucketBPA, ID: map[string]string{"bucket": bucket}, Name: "Block Public Access of bucket " + bucket}
}

// AccessKeyResource is an access key (kind app.ResourceAccessKeyStatus or
// app.ResourceAccessKey) of a user as a resource of a plan.
func AccessKeyResource(kind, user, key string) app.Resource {
	return app.Resource{Kind: kind, ID: map[string]string{"userName": user, "accessKeyId": key}, Name: fmt.Sprintf("access key %s of user %s", key, user)}
}
