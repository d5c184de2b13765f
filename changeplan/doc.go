// Package changeplan holds the pure parts of planning a containment
// change: editing policy documents while keeping what the edit does not
// touch, the trust-policy and revocation documents, and the AWS CLI
// commands that match each state. The aws package plans against a real
// account and the tabletop package against a simulated one; both call this
// package so that a team training on an exercise sees the very documents
// and commands the real account would get. It needs no SDK and no network.
package changeplan
