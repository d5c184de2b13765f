// Package cli is the headless face of S3 Responder: the same use cases as
// the GUI, for scripting, air-gapped machines and tests. It talks only to
// app; main wires the store and the GUI in through Deps.
package cli

import (
	"context"
	"io"

	"s3responder/app"
)

// Deps is everything the CLI needs from the outside world. main fills it;
// tests fill it with buffers and a temporary database.
type Deps struct {
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader
	// Getenv reads the environment (S3RESPONDER_DB and friends).
	Getenv func(string) string
	// Version is the build's version string.
	Version string
	// Builtin is the playbook shipped in assets.
	Builtin *app.Playbook
	// DefaultDB returns the database path used without --db or S3RESPONDER_DB.
	DefaultDB func() (string, error)
	// OpenService opens the incident database at path. The returned func
	// closes it; the database is locked while it is open.
	OpenService func(path string) (*app.Service, func() error, error)
	// RunGUI starts the desktop app on the database at path.
	RunGUI func(ctx context.Context, path string) error
}

// Command is one subcommand: it gets the arguments after its name.
type Command func(ctx context.Context, args []string, d Deps) int
