// Package aws connects S3 Responder to AWS with aws-sdk-go-v2: it loads the
// person's normal AWS configuration (profiles, SSO, assume-role with MFA,
// AWS_ENDPOINT_URL), says who they are, checks buckets for public and
// shared access with the exposure package, and snapshots a bucket's whole
// configuration as evidence. Every function takes a small interface with
// the SDK's exact method signatures, so a simulated account can stand in
// for AWS, and every failure is explained by Explain in words a person
// understands.
//
// The package name clashes with the SDK's own aws package, which is
// therefore imported as sdkaws throughout.
package aws
