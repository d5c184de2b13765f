// Package app is the centre of S3 Responder: the incident, the playbook the
// responder follows, the tamper-evident timeline, and the use cases that tie
// them together. It imports nothing from this module and no UI, SDK or
// database package, so every adapter (ui, cli, store, aws, reports) depends on
// it and never the other way round.
package app
