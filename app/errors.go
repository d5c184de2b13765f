package app

import "errors"

// Sentinel errors shared by the adapters; wrap them with what was being done.
var (
	// ErrNotFound means the incident, step or record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInUse means another running instance holds the incident database.
	ErrInUse = errors.New("in use by another instance")
	// ErrInvalid means the caller supplied input that cannot be accepted.
	ErrInvalid = errors.New("invalid input")
	// ErrChainBroken means the timeline hash chain does not verify.
	ErrChainBroken = errors.New("timeline chain broken")
)
