package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/store"
)

// testEnv runs the CLI in-process against a real database in a temp dir.
type testEnv struct {
	t       *testing.T
	dir     string
	db      string // the file --db points at in most tests
	env     map[string]string
	deps    Deps
	out     *bytes.Buffer
	errb    *bytes.Buffer
	guiPath string // the path RunGUI was started with
	opened  []string
	// wrap, when set, wraps the store before the service sees it.
	wrap func(app.Store) app.Store
}

func testPlaybook(t *testing.T) *app.Playbook {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "playbook.yaml"))
	require.NoError(t, err)
	pb, err := app.ParsePlaybook("testdata/playbook.yaml", data)
	require.NoError(t, err)
	return pb
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	dir := t.TempDir()
	e := &testEnv{t: t, dir: dir, db: filepath.Join(dir, "incidents.db"), env: map[string]string{},
		out: &bytes.Buffer{}, errb: &bytes.Buffer{}}
	builtin := testPlaybook(t)
	e.deps = Deps{
		Stdout: e.out, Stderr: e.errb, Stdin: strings.NewReader(""),
		Getenv:    func(k string) string { return e.env[k] },
		Version:   "1.2.3-test",
		Builtin:   builtin,
		DefaultDB: func() (string, error) { return filepath.Join(dir, "default", "incidents.db"), nil },
		OpenService: func(path string) (*app.Service, func() error, error) {
			db, err := store.Open(path)
			if err != nil {
				return nil, nil, err
			}
			e.opened = append(e.opened, path)
			var st app.Store = db
			if e.wrap != nil {
				st = e.wrap(db)
			}
			svc := app.NewService(st, builtin, "tester")
			if err := svc.LoadCustomPlaybooks(context.Background()); err != nil {
				_ = db.Close()
				return nil, nil, err
			}
			return svc, db.Close, nil
		},
		RunGUI: func(_ context.Context, path string) error {
			e.guiPath = path
			return nil
		},
	}
	return e
}

// run runs one command line and returns its exit code, stdout and stderr.
func (e *testEnv) run(args ...string) (int, string, string) {
	e.t.Helper()
	e.out.Reset()
	e.errb.Reset()
	code := Run(context.Background(), args, e.deps)
	return code, e.out.String(), e.errb.String()
}

// must runs a command on e.db that has to succeed.
func (e *testEnv) must(args ...string) string {
	e.t.Helper()
	code, out, errOut := e.run(append(args, "--db", e.db)...)
	require.Equal(e.t, 0, code, "%v\nstdout: %s\nstderr: %s", args, out, errOut)
	return out
}

// newIncident creates an incident and returns its id, the last word printed.
func (e *testEnv) newIncident(extra ...string) string {
	e.t.Helper()
	out := e.must(append([]string{"incident", "new", "--title", "Public bucket"}, extra...)...)
	f := strings.Fields(out)
	require.NotEmpty(e.t, f)
	id := f[len(f)-1]
	require.Regexp(e.t, `^INC-\d{8}-[0-9A-Z]{6}$`, id)
	return id
}

func (e *testEnv) show(id string) showJSON {
	e.t.Helper()
	var v showJSON
	require.NoError(e.t, json.Unmarshal([]byte(e.must("incident", "show", id, "--json")), &v))
	return v
}

// showJSON mirrors what `incident show --json` prints.
type showJSON struct {
	Incident app.Incident `json:"incident"`
	Steps    []stepView   `json:"steps"`
	Next     nextView     `json:"next"`
}

func (s showJSON) step(id string) stepView {
	for _, v := range s.Steps {
		if v.ID == id {
			return v
		}
	}
	return stepView{}
}

func (e *testEnv) next(id string) nextView {
	e.t.Helper()
	var v nextView
	require.NoError(e.t, json.Unmarshal([]byte(e.must("next", id, "--json")), &v))
	return v
}

func TestHelpAndUsageErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring expected on stdout
		stderr string // substring expected on stderr
		raw    bool   // do not append --db
	}{
		{"top help", []string{"--help"}, 0, "Commands:", "", false},
		{"top -h", []string{"-h"}, 0, "Commands:", "", false},
		{"help word", []string{"help"}, 0, "Usage: s3responder", "", false},
		{"help for a command", []string{"help", "incident", "new"}, 0, "--title TEXT", "", false},
		{"version", []string{"version"}, 0, "s3responder 1.2.3-test", "", false},
		{"--version", []string{"--version"}, 0, "1.2.3-test", "", false},
		{"version help", []string{"version", "--help"}, 0, "Usage: s3responder version", "", false},
		{"version extra", []string{"version", "x"}, 2, "", `unexpected argument "x"`, false},
		{"unknown command", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`, false},
		{"unknown top flag", []string{"--frob"}, 2, "", "unknown flag --frob", false},
		{"incident help", []string{"incident", "--help"}, 0, "Subcommands:", "", false},
		{"incident no sub", []string{"incident"}, 2, "", "incident needs a subcommand", false},
		{"incident unknown sub", []string{"incident", "burn"}, 2, "", `unknown incident subcommand "burn"`, false},
		{"incident new help", []string{"incident", "new", "--help"}, 0, "--severity P1..P4", "", false},
		{"help after bad flag", []string{"incident", "new", "--nope", "-h"}, 0, "--title TEXT", "", false},
		{"incident new no title", []string{"incident", "new"}, 2, "", "--title is required", false},
		{"incident new value missing", []string{"incident", "new", "--title"}, 2, "", "flag --title needs a value", true},
		{"incident new unknown flag", []string{"incident", "new", "--title", "x", "--colour", "red"}, 2, "", "unknown flag --colour", false},
		{"incident list help", []string{"incident", "list", "-h"}, 0, "--status STATUS", "", false},
		{"incident list bad status", []string{"incident", "list", "--status", "burning"}, 2, "", `status "burning"`, false},
		{"incident show help", []string{"incident", "show", "--help"}, 0, "incident show ID", "", false},
		{"incident show no id", []string{"incident", "show"}, 2, "", "missing arguments", false},
		{"incident status help", []string{"incident", "status", "--help"}, 0, "contained", "", false},
		{"incident status bad", []string{"incident", "status", "INC-1", "sideways"}, 2, "", `status "sideways"`, false},
		{"step help", []string{"step", "--help"}, 0, "skipped", "", false},
		{"step bad status", []string{"step", "INC-1", "1.1", "finished?"}, 2, "", `step status "finished?"`, false},
		{"step too many", []string{"step", "INC-1", "1.1", "done", "extra"}, 2, "", `unexpected argument "extra"`, false},
		{"choose help", []string{"choose", "--help"}, 0, "OPTION...", "", false},
		{"choose missing", []string{"choose", "INC-1", "1.3"}, 2, "", "missing arguments", false},
		{"return help", []string{"return", "--help"}, 0, "detour", "", false},
		{"next help", []string{"next", "--help"}, 0, "next ID", "", false},
		{"note help", []string{"note", "--help"}, 0, "--from LINE", "", false},
		{"note empty", []string{"note", "INC-1"}, 2, "", "the note is empty", false},
		{"note text and file", []string{"note", "INC-1", "x", "--file", "f"}, 2, "", "not both", false},
		{"note bad at", []string{"note", "INC-1", "x", "--at", "yesterday"}, 2, "", "not an RFC 3339 time", false},
		{"note bad from", []string{"note", "INC-1", "--file", "f", "--from", "zero"}, 2, "", "not a line number", false},
		{"timeline help", []string{"timeline", "--help"}, 0, "time zone", "", false},
		{"verify help", []string{"verify", "-h"}, 0, "verify ID", "", false},
		{"playbook help", []string{"playbook", "--help"}, 0, "validate", "", false},
		{"playbook show help", []string{"playbook", "show", "--help"}, 0, "--json", "", false},
		{"playbook validate help", []string{"playbook", "validate", "--help"}, 0, "FILE:LINE:COL", "", false},
		{"playbook import help", []string{"playbook", "import", "--help"}, 0, "--playbook SHA256", "", false},
		{"playbook list help", []string{"playbook", "list", "--help"}, 0, "playbook list", "", false},
		{"trail help", []string{"trail", "--help"}, 0, "analyze", "", false},
		{"trail analyze help", []string{"trail", "analyze", "--help"}, 0, "--key-prefix", "", false},
		{"trail verify help", []string{"trail", "verify", "-h"}, 0, "--public-key", "", false},
		{"trail no sub", []string{"trail"}, 2, "", "trail needs a subcommand", false},
		{"playbook validate missing", []string{"playbook", "validate"}, 2, "", "missing arguments", false},
		{"db without value", []string{"incident", "list", "--db"}, 2, "", "flag --db needs a value", true},
		{"db empty", []string{"--db=", "incident", "list"}, 2, "", "non-empty path", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.opened = nil
			args := tc.args
			if !tc.raw {
				args = append(args, "--db", e.db)
			}
			code, out, errOut := e.run(args...)
			assert.Equal(t, tc.code, code, "stdout: %s\nstderr: %s", out, errOut)
			if tc.stdout != "" {
				assert.Contains(t, out, tc.stdout)
			}
			if tc.stderr != "" {
				assert.Contains(t, errOut, tc.stderr)
			}
			if tc.code != 0 {
				assert.Empty(t, out, "errors go to stderr")
			}
			assert.Empty(t, e.opened, "help and usage errors must not open the database")
		})
	}
}

func TestDatabaseSelection(t *testing.T) {
	tests := []struct {
		name string
		args func(e *testEnv) []string
		env  bool
		want func(e *testEnv) string
	}{
		{"--db first", func(e *testEnv) []string { return []string{"--db", e.db, "incident", "list"} }, false,
			func(e *testEnv) string { return e.db }},
		{"--db between", func(e *testEnv) []string { return []string{"incident", "--db", e.db, "list"} }, false,
			func(e *testEnv) string { return e.db }},
		{"--db last", func(e *testEnv) []string { return []string{"incident", "list", "--db", e.db} }, false,
			func(e *testEnv) string { return e.db }},
		{"--db=", func(e *testEnv) []string { return []string{"incident", "list", "--db=" + e.db} }, false,
			func(e *testEnv) string { return e.db }},
		{"-db single dash", func(e *testEnv) []string { return []string{"-db", e.db, "incident", "list"} }, false,
			func(e *testEnv) string { return e.db }},
		{"--db wins over env", func(e *testEnv) []string { return []string{"incident", "list", "--db", e.db} }, true,
			func(e *testEnv) string { return e.db }},
		{"env", func(e *testEnv) []string { return []string{"incident", "list"} }, true,
			func(e *testEnv) string { return filepath.Join(e.dir, "env.db") }},
		{"default", func(e *testEnv) []string { return []string{"incident", "list"} }, false,
			func(e *testEnv) string { return filepath.Join(e.dir, "default", "incidents.db") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.env {
				e.env[EnvDB] = filepath.Join(e.dir, "env.db")
			}
			code, out, errOut := e.run(tc.args(e)...)
			require.Equal(t, 0, code, "stdout: %s\nstderr: %s", out, errOut)
			assert.Equal(t, []string{tc.want(e)}, e.opened)
			assert.FileExists(t, tc.want(e))
			assert.Contains(t, out, "No incidents.")
		})
	}
}

func TestNoCommandStartsTheGUI(t *testing.T) {
	tests := []struct {
		name string
		args func(e *testEnv) []string
		env  bool
		want func(e *testEnv) string
	}{
		{"nothing", func(e *testEnv) []string { return nil }, false,
			func(e *testEnv) string { return filepath.Join(e.dir, "default", "incidents.db") }},
		{"only --db", func(e *testEnv) []string { return []string{"--db", e.db} }, false,
			func(e *testEnv) string { return e.db }},
		{"env", func(e *testEnv) []string { return nil }, true,
			func(e *testEnv) string { return filepath.Join(e.dir, "env.db") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.env {
				e.env[EnvDB] = filepath.Join(e.dir, "env.db")
			}
			code, _, errOut := e.run(tc.args(e)...)
			require.Equal(t, 0, code, errOut)
			assert.Equal(t, tc.want(e), e.guiPath)
			assert.Empty(t, e.opened, "the GUI opens the database itself")
		})
	}
	t.Run("gui error", func(t *testing.T) {
		e := newEnv(t)
		e.deps.RunGUI = func(context.Context, string) error { return errors.New("no display") }
		code, _, errOut := e.run()
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "no display")
	})
	t.Run("gui error already reported", func(t *testing.T) {
		e := newEnv(t)
		e.deps.RunGUI = func(context.Context, string) error {
			return Reported{Err: fmt.Errorf("open: %w", app.ErrInUse)}
		}
		code, _, errOut := e.run()
		assert.Equal(t, 1, code)
		assert.Empty(t, errOut, "the GUI already said it")
	})
}

func TestIncidentNewShowList(t *testing.T) {
	e := newEnv(t)
	// Flags before, between and after, repeated and comma-separated lists.
	id := e.newIncident("--severity", "p1", "--exercise", "--account", "111122223333",
		"--bucket", "invoices,exports", "--bucket", "logs", "--ticket", "SEC-42",
		"--classification", "confidential", "--principal", "arn:aws:iam::111122223333:user/ci",
		"--application", "billing", "--tz", "Europe/Paris", "--detected", "2026-11-26T08:00:00Z")
	v := e.show(id)
	inc := v.Incident
	assert.Equal(t, "Public bucket", inc.Title)
	assert.Equal(t, app.SeverityP1, inc.Severity)
	assert.True(t, inc.Exercise)
	assert.Equal(t, []string{"111122223333"}, inc.Accounts)
	assert.Equal(t, []string{"invoices", "exports", "logs"}, inc.Buckets)
	assert.Equal(t, "SEC-42", inc.Ticket)
	assert.Equal(t, "confidential", inc.Classification)
	assert.Equal(t, []string{"arn:aws:iam::111122223333:user/ci"}, inc.Principals)
	assert.Equal(t, "billing", inc.Application)
	assert.Equal(t, "Europe/Paris", inc.TimeZone)
	assert.Equal(t, app.StatusOpen, inc.Status)
	assert.Equal(t, "cli-test", inc.Playbook.ID)
	assert.Equal(t, "1.1", v.Next.Step)
	assert.Len(t, v.Steps, 10)

	// The same flags in another order give the same incident.
	code, out, errOut := e.run("incident", "--tz", "Europe/Paris", "--db", e.db, "new", "--bucket", "b1", "--title", "Second one", "--severity", "P4")
	require.Equal(t, 0, code, errOut)
	second := strings.Fields(out)[len(strings.Fields(out))-1]
	s := e.show(second)
	assert.Equal(t, "Second one", s.Incident.Title)
	assert.Equal(t, app.SeverityP4, s.Incident.Severity)
	assert.Equal(t, "Europe/Paris", s.Incident.TimeZone)

	text := e.must("incident", "show", id)
	for _, want := range []string{"Incident:", id, "Exercise:", "P1 critical", "invoices, exports, logs",
		"Europe/Paris", "[ ] 1.1 Record who reported it", "Next: Step 1.1"} {
		assert.Contains(t, text, want)
	}

	t.Run("list", func(t *testing.T) {
		e.must("incident", "status", second, "contained")
		tests := []struct {
			args []string
			want []string
		}{
			{[]string{"incident", "list", "--json"}, []string{second, id}}, // most recently updated first
			{[]string{"incident", "list", "--json", "--status", "contained"}, []string{second}},
			{[]string{"incident", "--status", "open", "list", "--json"}, []string{id}},
			{[]string{"incident", "list", "--search", "EXPORTS", "--json"}, []string{id}},
			{[]string{"incident", "list", "--search", "SEC-42", "--json", "--status", "closed"}, []string{}},
		}
		for _, tc := range tests {
			t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
				var got []app.Incident
				require.NoError(t, json.Unmarshal([]byte(e.must(tc.args...)), &got))
				ids := []string{}
				for _, inc := range got {
					ids = append(ids, inc.ID)
				}
				assert.Equal(t, tc.want, ids)
			})
		}
		table := e.must("incident", "list")
		assert.Contains(t, table, "ID")
		assert.Contains(t, table, "[exercise] Public bucket")
		assert.Regexp(t, regexp.MustCompile(second+`\s+contained\s+P4`), table)
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			args   []string
			code   int
			stderr string
		}{
			// Mistakes in the command line, like a bad --status.
			{[]string{"incident", "new", "--title", "x", "--severity", "P9"}, exitUsage, `severity "P9"`},
			{[]string{"incident", "new", "--title", "x", "--tz", "Mars/Olympus"}, exitUsage, "time zone"},
			{[]string{"incident", "new", "--title", "x", "--playbook", "abc"}, exitFail, "playbook abc"},
			{[]string{"incident", "show", "INC-20000101-AAAAAA"}, exitFail, "not found"},
			{[]string{"incident", "status", "INC-20000101-AAAAAA", "closed"}, exitFail, "not found"},
		}
		for _, tc := range tests {
			t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
				code, out, errOut := e.run(append(tc.args, "--db", e.db)...)
				assert.Equal(t, tc.code, code, out)
				assert.Contains(t, errOut, tc.stderr)
			})
		}
	})
}

func TestStatusLifecycle(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	for _, s := range []string{"contained", "eradicated", "recovered", "closed", "open"} {
		out := e.must("incident", "status", id, s)
		assert.Contains(t, out, "is now "+s)
		assert.Equal(t, app.Status(s), e.show(id).Incident.Status)
	}
}

func TestJumpWalk(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()

	out := e.must("step", id, "1.1", "done")
	assert.Contains(t, out, "Step 1.1: Done")
	assert.Contains(t, out, "Next: Step 1.2")
	e.must("step", "--note", "nothing odd", id, "1.2", "done")
	assert.Equal(t, "nothing odd", e.show(id).step("1.2").Note)

	n := e.next(id)
	assert.Equal(t, "1.3", n.Step)
	text := e.must("next", id)
	assert.Contains(t, text, "Was the data reached")
	assert.Contains(t, text, "choose "+id+" 1.3 OPTION")

	out = e.must("choose", id, "1.3", "yes")
	assert.Contains(t, out, "Step 1.3 answered: Yes, confirmed")
	n = e.next(id)
	assert.Equal(t, "2.1", n.Step)
	assert.Equal(t, 2, n.Part)
	assert.Contains(t, n.Text, "return to step 1.5")

	// Multiple answers; policy and acl together rule out 2.3.
	e.must("choose", id, "2.1", "policy", "acl")
	v := e.show(id)
	assert.Equal(t, []string{"policy", "acl"}, v.step("2.1").Choices)
	assert.False(t, v.step("2.3").Applies)
	assert.True(t, v.step("2.2").Applies)
	e.must("step", id, "2.2", "done")

	n = e.next(id)
	assert.Empty(t, n.Step)
	require.NotNil(t, n.Return)
	assert.Equal(t, "1.5", n.Return.Return)

	out = e.must("return", id)
	assert.Contains(t, out, "Returned to step 1.5")
	n = e.next(id)
	assert.Equal(t, "1.5", n.Step, "the detour returns to 1.5 and the answer ruled 1.4 out")
	assert.Contains(t, e.must("incident", "show", id), "[-] 1.4 Tell the data owner (ruled out by a decision)")

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			args   []string
			stderr string
		}{
			{[]string{"return", id}, "no detour"},
			{[]string{"choose", id, "1.3", "maybe"}, `no option "maybe"`},
			{[]string{"choose", id, "1.3", "yes", "no"}, "takes one answer"},
			{[]string{"choose", id, "1.1", "yes"}, "asks no question"},
			{[]string{"step", id, "9.9", "done"}, `step "9.9"`},
			{[]string{"step", id, "1.4", "skipped"}, "say why"},
		}
		for _, tc := range tests {
			t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
				code, _, errOut := e.run(append(tc.args, "--db", e.db)...)
				assert.Equal(t, 1, code)
				assert.Contains(t, errOut, tc.stderr)
			})
		}
	})

	t.Run("the other answer rules a part out", func(t *testing.T) {
		other := e.newIncident()
		e.must("choose", other, "1.3", "no")
		v := e.show(other)
		assert.True(t, v.step("1.4").Applies)
		assert.False(t, v.step("2.2").Applies)
		assert.Equal(t, "1.1", v.Next.Step)
		e.must("step", other, "1.1", "done")
		e.must("step", other, "1.2", "na")
		assert.Equal(t, "1.4", e.next(other).Step)
		e.must("step", other, "1.4", "done")
		e.must("step", other, "1.5", "done")
		n := e.next(other)
		assert.True(t, n.Done)
		assert.Empty(t, n.Step)
	})
}

func TestNotes(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident("--tz", "Europe/Paris")

	out := e.must("note", id, "GetObject", "from", "203.0.113.7", "--at", "2026-11-20T10:00:00Z")
	assert.Contains(t, out, "Noted on "+id)
	code, out, errOut := e.run("--db", e.db, "note", "--", id, "--not-a-flag")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "Noted on "+id)

	file := filepath.Join(e.dir, "notes.txt")
	lines := strings.Join([]string{
		"first observation",
		"",
		"2026-11-20T09:15:00Z\ttimed observation",
		"2026-13-45T99:00:00Z\tbad month",
		"a line\twith a tab inside",
		"2026-11-20T09:16:00+01:00\t",
		"last one\r",
	}, "\n")
	require.NoError(t, os.WriteFile(file, []byte(lines), 0o600))
	code, out, errOut = e.run("note", id, "--file", file, "--db", e.db)
	assert.Equal(t, 1, code, "bad lines make the import fail")
	assert.Contains(t, errOut, file+":4: ")
	assert.Contains(t, errOut, file+":6: there is a time but no text")
	assert.NotContains(t, errOut, ":1:")
	for _, want := range []string{"line 1 saved", "line 3 saved", "line 5 saved", "line 7 saved", "Imported 4 notes", "2 bad lines"} {
		assert.Contains(t, out, want)
	}

	var entries []entryView
	require.NoError(t, json.Unmarshal([]byte(e.must("timeline", id, "--json")), &entries))
	var texts []string
	for _, en := range entries {
		texts = append(texts, en.Text)
	}
	require.Len(t, entries, 7, "%q", texts)
	assert.Equal(t, app.KindCreated, entries[0].Kind)
	assert.Equal(t, "GetObject from 203.0.113.7", entries[1].Text)
	assert.Equal(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), entries[1].EventTime)
	assert.Equal(t, "2026-11-20T11:00:00+01:00", entries[1].EventTimeLocal, "Paris is UTC+1 in November")
	assert.Equal(t, "Europe/Paris", entries[1].TimeZone)
	assert.Equal(t, "--not-a-flag", entries[2].Text)
	assert.Equal(t, []string{"first observation", "timed observation", "a line\twith a tab inside", "last one"},
		[]string{entries[3].Text, entries[4].Text, entries[5].Text, entries[6].Text})
	assert.Equal(t, time.Date(2026, 11, 20, 9, 15, 0, 0, time.UTC), entries[4].EventTime)

	t.Run("resume with --from", func(t *testing.T) {
		good := filepath.Join(e.dir, "good.txt")
		require.NoError(t, os.WriteFile(good, []byte("one\ntwo\nthree\n"), 0o600))
		out := e.must("note", id, "--from", "2", "--file", good)
		assert.NotContains(t, out, "line 1 saved")
		assert.Contains(t, out, "Imported 2 notes")
		var entries []entryView
		require.NoError(t, json.Unmarshal([]byte(e.must("timeline", id, "--json")), &entries))
		require.Len(t, entries, 9)
		assert.Equal(t, "three", entries[8].Text)
	})

	t.Run("stdin", func(t *testing.T) {
		e.deps.Stdin = strings.NewReader("from stdin\n")
		defer func() { e.deps.Stdin = strings.NewReader("") }()
		assert.Contains(t, e.must("note", id, "--file", "-"), "Imported 1 notes from standard input")
	})

	t.Run("text timeline shows both zones", func(t *testing.T) {
		out := e.must("timeline", id)
		assert.Contains(t, out, "TIME (UTC)")
		assert.Contains(t, out, "TIME (Europe/Paris)")
		assert.Regexp(t, `2026-11-20 10:00:00Z\s+2026-11-20 11:00:00 CET\s+tester\s+note\s+GetObject from 203.0.113.7 \[recorded `, out)
	})

	t.Run("errors", func(t *testing.T) {
		code, _, errOut := e.run("note", "INC-20000101-AAAAAA", "--file", file, "--db", e.db)
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "not found")
		code, _, errOut = e.run("note", id, "--file", filepath.Join(e.dir, "missing.txt"), "--db", e.db)
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "missing.txt")
		code, _, errOut = e.run("note", id, "--file", file, "--at", "2026-11-20T10:00:00Z", "--db", e.db)
		assert.Equal(t, 2, code)
		assert.Contains(t, errOut, "--at applies to a single note")
	})

	t.Run("cancelled import stops between lines", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// Line 2 is read after the interrupt, as when Ctrl-C comes mid-import.
		e.deps.Stdin = &lineReader{lines: []string{"before\n", "after\n", "later\n"}, onRead: func(n int) {
			if n == 2 {
				cancel()
			}
		}}
		defer func() { e.deps.Stdin = strings.NewReader("") }()
		e.out.Reset()
		e.errb.Reset()
		code := Run(ctx, []string{"note", id, "--file", "-", "--db", e.db}, e.deps)
		assert.Equal(t, 1, code)
		assert.Contains(t, e.out.String(), "line 1 saved")
		assert.NotContains(t, e.out.String(), "line 2 saved")
		assert.Contains(t, e.errb.String(), "interrupted")
		assert.Contains(t, e.errb.String(), "resume with --from 2")
	})
}

// lineReader returns one line per Read and reports each read.
type lineReader struct {
	lines  []string
	n      int
	onRead func(n int)
}

func (r *lineReader) Read(p []byte) (int, error) {
	if r.n >= len(r.lines) {
		return 0, io.EOF
	}
	r.n++
	r.onRead(r.n)
	return copy(p, r.lines[r.n-1]), nil
}

// tamperingStore changes the text of one timeline entry as it is read, the
// way an edit of the file would.
type tamperingStore struct {
	app.Store
	seq uint64
}

func (s tamperingStore) Timeline(ctx context.Context, id string) ([]app.Entry, app.Head, error) {
	entries, head, err := s.Store.Timeline(ctx, id)
	for i := range entries {
		if entries[i].Seq == s.seq {
			entries[i].Text += " (edited)"
		}
	}
	return entries, head, err
}

func TestVerify(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	e.must("step", id, "1.1", "done")
	e.must("note", id, "something")
	out := e.must("verify", id)
	var head app.Head
	e.withSvc(e.db, func(svc *app.Service) {
		var err error
		head, err = svc.Head(context.Background(), id)
		require.NoError(t, err)
	})
	assert.Equal(t, "timeline of "+id+" verified: 3 entries\nchain head "+head.Hash+" (entry 3)\nevidence of "+id+" verified: 0 items, every SHA-256 matches\n", out)

	e.wrap = func(st app.Store) app.Store { return tamperingStore{Store: st, seq: 2} }
	code, out, errOut := e.run("verify", id, "--db", e.db)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "NOT intact: entry 2")
	assert.Contains(t, errOut, "timeline chain broken at entry 2")

	e.wrap = nil
	code, _, errOut = e.run("verify", "INC-20000101-AAAAAA", "--db", e.db)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not found")
}

func TestPlaybookCommands(t *testing.T) {
	e := newEnv(t)

	t.Run("show json has every step", func(t *testing.T) {
		code, out, errOut := e.run("playbook", "show", "--json")
		require.Equal(t, 0, code, errOut)
		assert.Empty(t, e.opened, "the built-in playbook needs no database")
		var tree struct {
			ID    string `json:"id"`
			Parts []struct {
				ID    string `json:"id"`
				Title string `json:"title"`
				Steps []struct {
					ID       string        `json:"id"`
					Title    string        `json:"title"`
					Decision *app.Decision `json:"decision"`
				} `json:"steps"`
			} `json:"parts"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &tree))
		assert.Equal(t, "cli-test", tree.ID)
		require.Len(t, tree.Parts, 2)
		require.Len(t, tree.Parts[0].Steps, 5)
		assert.Equal(t, "1.3", tree.Parts[0].Steps[2].ID)
		require.NotNil(t, tree.Parts[0].Steps[2].Decision)
		assert.Equal(t, "2", tree.Parts[0].Steps[2].Decision.Options[0].Goto)
		for _, p := range tree.Parts {
			for _, s := range p.Steps {
				assert.NotEmpty(t, s.ID)
				assert.NotEmpty(t, s.Title)
			}
		}
	})

	t.Run("show text", func(t *testing.T) {
		out := e.must("playbook", "show")
		assert.Contains(t, out, "Part 1: Triage")
		assert.Contains(t, out, "  1.3 Is the access confirmed")
		assert.Contains(t, out, "no: No -> rules out 2")
		assert.Contains(t, out, "yes: Yes, confirmed -> go to 2, then return to 1.5, rules out 1.4")
		assert.Contains(t, out, "(several answers allowed)")
	})

	broken := filepath.Join(e.dir, "broken.yaml")
	require.NoError(t, os.WriteFile(broken, []byte(`id: broken
version: "1"
parts:
  - id: "1"
    title: One
    steps:
      - id: "1.1"
        title: First
        decision:
          question: Go?
          options:
            - id: a
              label: A
              goto: "9"
            - id: b
              label: B
      - id: "1.1"
        title: Duplicate
`), 0o600))
	t.Run("validate broken", func(t *testing.T) {
		code, out, errOut := e.run("playbook", "validate", broken)
		assert.Equal(t, 1, code)
		assert.Empty(t, out)
		assert.Contains(t, errOut, broken+`:12:15: step "1.1" option "a": goto target "9"`)
		assert.Contains(t, errOut, broken+`:17:9: duplicate step id "1.1"`)
		assert.Contains(t, errOut, "2 problems")
	})
	t.Run("validate syntax error", func(t *testing.T) {
		bad := filepath.Join(e.dir, "syntax.yaml")
		require.NoError(t, os.WriteFile(bad, []byte("id: x\nversion: \"1\"\nparts:\n  - id: \"1\"\n    title: [unclosed\n"), 0o600))
		code, _, errOut := e.run("playbook", "validate", bad)
		assert.Equal(t, 1, code)
		assert.Regexp(t, regexp.QuoteMeta(bad)+`:\d+:\d+: `, errOut)
	})
	t.Run("validate missing file", func(t *testing.T) {
		code, _, errOut := e.run("playbook", "validate", filepath.Join(e.dir, "nope.yaml"))
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "nope.yaml")
	})
	t.Run("validate good", func(t *testing.T) {
		out := e.must("playbook", "validate", filepath.Join("testdata", "playbook.yaml"))
		assert.Contains(t, out, "valid playbook cli-test version 1, 10 parts and steps")
	})

	t.Run("import, list, follow", func(t *testing.T) {
		custom := filepath.Join(e.dir, "custom.yaml")
		require.NoError(t, os.WriteFile(custom, []byte(`id: custom
title: Custom
version: "7"
parts:
  - id: A
    title: Only part
    steps:
      - id: A.1
        title: Only step
`), 0o600))
		code, _, errOut := e.run("playbook", "import", broken, "--db", e.db)
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "duplicate step id")

		out := e.must("playbook", "import", custom)
		m := regexp.MustCompile(`sha256 ([0-9a-f]{64})`).FindStringSubmatch(out)
		require.NotNil(t, m, out)
		sha := m[1]
		list := e.must("playbook", "list")
		assert.Contains(t, list, sha+"  imported  custom version 7: Custom")
		assert.Contains(t, list, "built-in  cli-test version 1")

		show := e.must("playbook", "show", "--playbook", sha[:10])
		assert.Contains(t, show, "Part A: Only part")

		id := e.newIncident("--playbook", sha)
		v := e.show(id)
		assert.Equal(t, "custom", v.Incident.Playbook.ID)
		assert.Equal(t, "A.1", v.Next.Step)

		code, _, errOut = e.run("playbook", "show", "--playbook", "ffff", "--db", e.db)
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "no playbook has sha256 ffff")
	})
}

func TestDatabaseInUse(t *testing.T) {
	e := newEnv(t)
	held, err := store.Open(e.db)
	require.NoError(t, err)
	defer held.Close()
	start := time.Now()
	code, out, errOut := e.run("incident", "list", "--db", e.db)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, errOut, "in use by another instance")
	assert.Less(t, time.Since(start), 5*time.Second, "the lock wait is bounded")
}

func TestTakeDB(t *testing.T) {
	tests := []struct {
		args []string
		rest []string
		db   string
	}{
		{[]string{"a", "--db", "x", "b"}, []string{"a", "b"}, "x"},
		{[]string{"--db=x", "--db", "y"}, nil, "y"},
		{[]string{"note", "ID", "--", "--db", "x"}, []string{"note", "ID", "--", "--db", "x"}, ""},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			rest, db, err := takeDB(tc.args)
			require.NoError(t, err)
			assert.Equal(t, tc.rest, rest)
			assert.Equal(t, tc.db, db)
		})
	}
}
