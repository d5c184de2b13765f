// Package cli is the headless face of S3 Responder: the same use cases as
// the GUI, for scripting, air-gapped machines and tests. It talks only to
// app; main wires the store and the GUI in through Deps.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"

	"s3responder/app"
)

// EnvDB names the environment variable that chooses the database when
// --db is not given.
const EnvDB = "S3RESPONDER_DB"

// Exit codes. Scripts tell "you typed it wrong" from "it did not work".
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
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

	// db is the --db value Run took out of the arguments; empty when the
	// flag was not given.
	db string
	// rawStdout is Stdout before Run wrapped it in a termWriter: documents
	// written to standard output (report --out -) go there unchanged.
	rawStdout io.Writer
}

// Command is one subcommand: it gets the arguments after its name.
type Command func(ctx context.Context, args []string, d Deps) int

// Reported wraps an error that RunGUI has already shown to the user (on
// stderr and in a window); Run turns it into the exit code without
// printing it a second time.
type Reported struct{ Err error }

func (r Reported) Error() string { return r.Err.Error() }

// Unwrap gives errors.Is access to the cause (app.ErrInUse, say).
func (r Reported) Unwrap() error { return r.Err }

// DBPath says which database this invocation works on: --db wherever it
// was typed, else S3RESPONDER_DB, else the per-user default.
func (d Deps) DBPath() (string, error) {
	if d.db != "" {
		return d.db, nil
	}
	if d.Getenv != nil {
		if v := strings.TrimSpace(d.Getenv(EnvDB)); v != "" {
			return v, nil
		}
	}
	if d.DefaultDB == nil {
		return "", errors.New("no database: use --db PATH or set " + EnvDB)
	}
	p, err := d.DefaultDB()
	if err != nil {
		return "", fmt.Errorf("find the default database location (use --db PATH or set %s): %w", EnvDB, err)
	}
	return p, nil
}

// Open opens the database chosen by DBPath. Commands call it, use the
// service and call the returned close func, so the file lock is held only
// for the command's duration.
func (d Deps) Open() (*app.Service, func() error, error) {
	path, err := d.DBPath()
	if err != nil {
		return nil, nil, err
	}
	if d.OpenService == nil {
		return nil, nil, errors.New("this build cannot open a database")
	}
	// The store's errors already name the file; wrapping again would
	// repeat it.
	return d.OpenService(path)
}

// entry is a top-level subcommand and its one-line summary for the usage.
type entry struct {
	run     Command
	summary string
}

// commands is the top-level dispatch table. It is built in a function,
// not a package variable, so no init order or global state is involved.
func commands() map[string]entry {
	return map[string]entry{
		"version":   {runVersion, "print the version"},
		"incident":  {runIncident, "create, list, show incidents and set their status"},
		"step":      {runStep, "set the status of a playbook step"},
		"choose":    {runChoose, "answer a step's question"},
		"return":    {runReturn, "end the current detour"},
		"next":      {runNext, "say what to do next"},
		"note":      {runNote, "record observations on the timeline"},
		"timeline":  {runTimeline, "print the timeline"},
		"verify":    {runVerify, "check the timeline's hash chain"},
		"playbook":  {runPlaybook, "show, validate and import playbooks"},
		"trail":     {runTrail, "analyse and verify CloudTrail log files offline"},
		"report":    {runReport, "write the post-incident report (pdf, md, json, csv)"},
		"export":    {runExport, "write an evidence bundle (zip) of an incident"},
		"import":    {runImport, "take in an incident exported elsewhere (zip or json)"},
		"policy":    {runPolicy, "judge a bucket policy, ACL and Block Public Access offline"},
		"aws":       {runAWS, "check the AWS connection (whoami) and permissions (preflight)"},
		"scan":      {runScan, "check every bucket of an account for public and shared access"},
		"exposure":  {runExposure, "check buckets' exposure and save it as evidence of an incident"},
		"snapshot":  {runSnapshot, "save buckets' whole configuration as evidence"},
		"act":       {runAct, "plan, apply, verify, resume and undo changes to AWS (contain, eradicate, recover)"},
		"evidence":  {runEvidence, "list, add and verify an incident's evidence"},
		"analyzer":  {runAnalyzer, "IAM Access Analyzer findings for buckets and role trust policies"},
		"insights":  {runInsights, "CloudTrail Insights events for a time window"},
		"find-data": {runFindData, "which bucket holds this data: search keys and map buckets to applications"},
		"macie":     {runMacie, "Amazon Macie's summary of public and shared buckets"},
		"athena":    {runAthena, "write and run the Athena queries over CloudTrail data events"},
		"changes":   {runChanges, "look up who changed bucket access (CloudTrail) into the timeline"},
		"inspect":   {runInspect, "read-only checks of Part 3 (eradicate): instances of a role or key pair, Object Lock, MFA Delete, bucket policy review, IAM principals"},
		"request":   {runRequest, "write a request for action to the owner of a bucket we do not control (md or pdf)"},
		"activity":  {runActivity, "activity on a bucket before and after the mitigations, with a verdict (step 4.6)"},
		"versions":  {runVersions, "what was deleted or overwritten in a versioned bucket, by whom, and what brings it back"},
	}
}

// Run executes the command line (without the program name) and returns the
// process exit code. With no command it starts the GUI.
func Run(ctx context.Context, args []string, d Deps) (code int) {
	if d.rawStdout == nil {
		d.rawStdout = d.Stdout
		out, errw := newTermWriter(d.Stdout), newTermWriter(d.Stderr)
		d.Stdout, d.Stderr = out, errw
		// A bug must not exit 2, which tells a script its command line
		// was wrong (Go's own exit status for a panic): it is a failure,
		// said as such. Memory faults (a file mapped in memory that
		// shrank) become panics here too instead of killing the process.
		defer func() {
			if r := recover(); r != nil {
				if f, ok := r.(interface{ Addr() uintptr }); ok && f.Addr() >= 1<<16 { // not a nil pointer
					r = fmt.Sprintf("%v (memory fault at %#x: was a file in use cut short?)", r, f.Addr())
				}
				fmt.Fprintf(errw, "s3responder: internal error, a bug in S3 Responder (please report it with what follows): %v\n%s", r, debug.Stack())
				code = exitFail
			}
			_ = out.Flush()
			_ = errw.Flush()
		}()
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	}
	rest, db, err := takeDB(args)
	if err != nil {
		return usageError(d, err, topUsage)
	}
	d.db = db
	if len(rest) == 0 {
		return runGUI(ctx, d)
	}
	name := rest[0]
	switch name {
	case "-h", "--help", "-help", "help":
		if name == "help" && len(rest) > 1 {
			// "help incident new" is the same as "incident new --help".
			return Run(ctx, append(append([]string{}, rest[1:]...), "--help"), d)
		}
		fmt.Fprint(d.Stdout, topUsage())
		return exitOK
	case "--version", "-version":
		return runVersion(ctx, nil, d)
	}
	cmd, ok := commands()[name]
	if !ok {
		if strings.HasPrefix(name, "-") {
			return usageError(d, fmt.Errorf("unknown flag %s", name), topUsage)
		}
		return usageError(d, fmt.Errorf("unknown command %q", name), topUsage)
	}
	return cmd.run(ctx, rest[1:], d)
}

// takeDB removes the global --db flag from anywhere before "--" and
// returns its value; the last one wins, like every value flag.
func takeDB(args []string) (rest []string, db string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		switch {
		case a == "--db" || a == "-db":
			if i+1 >= len(args) {
				return nil, "", errors.New("flag --db needs a value")
			}
			i++
			db = args[i]
		case strings.HasPrefix(a, "--db="), strings.HasPrefix(a, "-db="):
			db = a[strings.IndexByte(a, '=')+1:]
		default:
			rest = append(rest, a)
			continue
		}
		if strings.TrimSpace(db) == "" {
			return nil, "", errors.New("flag --db needs a non-empty path")
		}
	}
	return rest, db, nil
}

func runGUI(ctx context.Context, d Deps) int {
	path, err := d.DBPath()
	if err != nil {
		return fail(d, err)
	}
	if d.RunGUI == nil {
		return fail(d, errors.New("this build has no graphical interface: give a command (try --help)"))
	}
	if err := d.RunGUI(ctx, path); err != nil {
		var r Reported
		if errors.As(err, &r) {
			return exitFail
		}
		return fail(d, err)
	}
	return exitOK
}

func runVersion(_ context.Context, args []string, d Deps) int {
	a, err := Parse(args, Spec{})
	if err != nil {
		return usageError(d, err, versionUsage)
	}
	if a.Bool("help") {
		fmt.Fprint(d.Stdout, versionUsage())
		return exitOK
	}
	if len(a.Pos) > 0 {
		return usageError(d, fmt.Errorf("unexpected argument %q", a.Pos[0]), versionUsage)
	}
	v := d.Version
	if v == "" {
		v = "dev"
	}
	fmt.Fprintf(d.Stdout, "s3responder %s\n", v)
	return exitOK
}

func versionUsage() string {
	return "Usage: s3responder version\n\nPrints the version of this build.\n"
}

func topUsage() string {
	var b strings.Builder
	b.WriteString(`Usage: s3responder [--db PATH] [COMMAND [ARGS]]

Without a command, starts the desktop app. The database is --db PATH
(accepted anywhere on the line), else $` + EnvDB + `, else the file
s3responder/incidents.db in your user configuration directory.

Commands:
`)
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, cmds[n].summary)
	}
	b.WriteString("\nRun 's3responder COMMAND --help' for a command's arguments.\n")
	return b.String()
}

// usageError reports a mistake in the command line, with the usage of the
// command that was mistyped.
func usageError(d Deps, err error, usage func() string) int {
	fmt.Fprintf(d.Stderr, "s3responder: %v\n\n%s", err, usage())
	return exitUsage
}

// fail reports an error that happened while doing the work.
func fail(d Deps, err error) int {
	fmt.Fprintf(d.Stderr, "s3responder: %v\n", err)
	return exitFail
}

// withService opens the database, runs fn and closes it again, reporting a
// failed close (a write that did not reach the disk matters).
func withService(d Deps, fn func(svc *app.Service) int) int {
	svc, closeFn, err := d.Open()
	if err != nil {
		return fail(d, err)
	}
	code := fn(svc)
	if err := closeFn(); err != nil {
		fmt.Fprintf(d.Stderr, "s3responder: close database: %v\n", err)
		if code == exitOK {
			code = exitFail
		}
	}
	return code
}

// sub dispatches a command group ("incident new", "playbook show").
func sub(ctx context.Context, args []string, d Deps, group string, table map[string]Command, usage func() string) int {
	if len(args) == 0 {
		return usageError(d, fmt.Errorf("%s needs a subcommand", group), usage)
	}
	name := args[0]
	if name == "--help" || name == "-h" || name == "-help" || name == "help" {
		fmt.Fprint(d.Stdout, usage())
		return exitOK
	}
	cmd, ok := table[name]
	if !ok {
		// Flags may come first ("incident --json list"): find the
		// subcommand among the arguments.
		for i, a := range args {
			if c, found := table[a]; found && strings.HasPrefix(name, "-") {
				rest := append(append([]string{}, args[:i]...), args[i+1:]...)
				return c(ctx, rest, d)
			}
		}
		if hasHelp(args) {
			fmt.Fprint(d.Stdout, usage())
			return exitOK
		}
		return usageError(d, fmt.Errorf("unknown %s subcommand %q", group, name), usage)
	}
	return cmd(ctx, args[1:], d)
}

func hasHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--help" || a == "-h" || a == "-help" {
			return true
		}
	}
	return false
}

// parse parses a command's arguments and handles --help and the number of
// positional arguments. ok is false when the caller should return code.
func parse(d Deps, args []string, spec Spec, minPos, maxPos int, usage func() string) (a Args, code int, ok bool) {
	a, err := Parse(args, spec)
	if err != nil {
		if hasHelp(args) {
			fmt.Fprint(d.Stdout, usage())
			return a, exitOK, false
		}
		return a, usageError(d, err, usage), false
	}
	if a.Bool("help") {
		fmt.Fprint(d.Stdout, usage())
		return a, exitOK, false
	}
	if len(a.Pos) < minPos {
		return a, usageError(d, errors.New("missing arguments"), usage), false
	}
	if maxPos >= 0 && len(a.Pos) > maxPos {
		return a, usageError(d, fmt.Errorf("unexpected argument %q", a.Pos[maxPos]), usage), false
	}
	return a, exitOK, true
}
