// Package trail reads CloudTrail log files offline and answers the questions
// a responder asks about unintended access to S3: which credentials touched
// which buckets and objects, from where, when, how much data left, what
// changed bucket or IAM access, and what was refused.
//
// The engine streams: each file is decompressed and its records walked one
// at a time by a small single-pass JSON scanner (see scan.go for why not
// encoding/json's Decoder), so no file is ever held whole in memory, and one
// record is capped in size. A file may be a log file's {"Records":[...]},
// JSON Lines or a bare array of records, in UTF-8 or UTF-16 (see
// ParseRecords). Events whose eventID was already counted are counted once. Files are spread over a pool of workers
// (one per CPU), each decompressing and parsing its own files; each worker
// aggregates into its own small tables and folds them into the shared result
// as it goes. Every table of the result has a documented bound (Limits), so
// peak memory stays flat whatever the size of the input.
//
// Bad input never stops a run: a truncated gzip stream, malformed JSON or a
// file that is not a CloudTrail log is reported per file with the reason,
// and the records read before the fault still count; an oversized record or
// an unreadable eventTime is reported and the rest of the file read.
//
// The same input gives the same result, byte for byte, whatever the number
// of workers (see aggregate): the result is kept as evidence with its hash.
//
// Digest files (CloudTrail-Digest/) are checked by Verify: each log file
// against the SHA-256 its digest lists, the chain of digests, and with
// CloudTrail's public key, each digest's signature.
package trail
