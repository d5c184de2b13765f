// Package exposure is S3 Responder's own judge of whether an S3 bucket is
// public or shared, working only on the documents AWS returns (bucket
// policy, ACL, Block Public Access, Object Ownership). It needs no network
// and no SDK, so it works the same on a live account, on saved evidence and
// in a tabletop exercise; online, the aws package compares its verdict with
// S3's own GetBucketPolicyStatus.
//
// The rules follow the S3 User Guide ("Blocking public access to your
// Amazon S3 storage", section "The meaning of 'public'") and the project's
// S3-FACTS.md. Where a case is unclear the package calls it public and
// says why: a responder would rather check a false alarm than miss an
// exposure.
package exposure
