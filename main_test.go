package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/bbolt"

	"s3responder/app"
	"s3responder/store"
)

// bin is the s3responder binary TestMain builds once for every test here:
// these tests drive the real program as a user or a script would.
var bin string

// What TestMain stamps into the binary, as scripts/release.sh does.
const (
	testVersion = "0.0.0-e2e"
	testCommit  = "0123456789ab"
	testDate    = "2026-12-08T00:00:00Z"
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "s3responder-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "s3responder")
	if os.PathSeparator == '\\' {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-ldflags=-X main.version="+testVersion+
		" -X main.commit="+testCommit+" -X main.date="+testDate, "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: go build:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the binary did.
type result struct {
	code    int
	stdout  string
	stderr  string
	elapsed time.Duration
}

// e2e runs the binary with a private HOME and config dir, so a test can
// never touch the real user's database.
type e2e struct {
	t   *testing.T
	dir string
	db  string
	env []string
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	dir := t.TempDir()
	return &e2e{t: t, dir: dir, db: filepath.Join(dir, "incidents.db"), env: append(os.Environ(),
		"HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "APPDATA="+filepath.Join(dir, "config"),
		"S3RESPONDER_DB=", "S3RESPONDER_ACTOR=e2e-tester")}
}

func (e *e2e) command(extraEnv []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append([]string{}, e.env...), extraEnv...)
	cmd.Dir = e.dir
	return cmd
}

func (e *e2e) runEnv(extraEnv []string, args ...string) result {
	e.t.Helper()
	cmd := e.command(extraEnv, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		e.t.Fatalf("run %v: %v", args, err)
	}
	return r
}

func (e *e2e) run(args ...string) result {
	e.t.Helper()
	return e.runEnv(nil, args...)
}

// ok runs a command against e.db that must succeed and returns its stdout.
func (e *e2e) ok(args ...string) string {
	e.t.Helper()
	r := e.run(append(args, "--db", e.db)...)
	require.Equal(e.t, 0, r.code, "%v\nstdout: %s\nstderr: %s", args, r.stdout, r.stderr)
	return r.stdout
}

func (e *e2e) newIncident(args ...string) string {
	e.t.Helper()
	f := strings.Fields(e.ok(append([]string{"incident", "new", "--title", "Bucket exposed"}, args...)...))
	require.NotEmpty(e.t, f)
	id := f[len(f)-1]
	require.Regexp(e.t, `^INC-\d{8}-[0-9A-Z]{6}$`, id)
	return id
}

func (e *e2e) timeline(id string) []app.Entry {
	e.t.Helper()
	var entries []app.Entry
	require.NoError(e.t, json.Unmarshal([]byte(e.ok("timeline", id, "--json")), &entries))
	return entries
}

type nextJSON struct {
	Step   string    `json:"step"`
	Part   int       `json:"part"`
	Return *app.Jump `json:"return"`
	Done   bool      `json:"done"`
	Text   string    `json:"text"`
}

func (e *e2e) next(id string) nextJSON {
	e.t.Helper()
	var n nextJSON
	require.NoError(e.t, json.Unmarshal([]byte(e.ok("next", id, "--json")), &n))
	return n
}

func TestSecondInstanceIsRefusedQuickly(t *testing.T) {
	e := newE2E(t)
	e.newIncident()
	held, err := store.Open(e.db)
	require.NoError(t, err)
	defer held.Close()

	r := e.run("incident", "list", "--db", e.db)
	assert.NotEqual(t, 0, r.code)
	assert.Contains(t, r.stderr, "in use by another instance")
	assert.Less(t, r.elapsed, 2*time.Second, "a second instance must be told at once, not hang")

	require.NoError(t, held.Close())
	r = e.run("incident", "list", "--db", e.db)
	assert.Equal(t, 0, r.code, r.stderr)
}

func TestNoDisplayIsExplained(t *testing.T) {
	if !needsX11() {
		t.Skipf("%s needs no X display", runtime.GOOS)
	}
	e := newE2E(t)
	e.env = append(e.env, "DISPLAY=", "WAYLAND_DISPLAY=")
	r := e.run("--db", e.db)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "DISPLAY is not set")
	assert.NotContains(t, r.stderr, "panic")
	assert.NoFileExists(t, e.db, "nothing was opened")
}

func TestKilledBulkImportKeepsAVerifiableTimeline(t *testing.T) {
	e := newE2E(t)
	id := e.newIncident()

	const lines = 5000
	var b strings.Builder
	for i := 1; i <= lines; i++ {
		if i%10 == 0 {
			fmt.Fprintf(&b, "2026-11-26T10:%02d:%02dZ\tobservation %05d\n", (i/60)%60, i%60, i)
		} else {
			fmt.Fprintf(&b, "observation %05d\n", i)
		}
	}
	big := filepath.Join(e.dir, "big.txt")
	require.NoError(t, os.WriteFile(big, []byte(b.String()), 0o600))

	cmd := e.command(nil, "note", id, "--file", big, "--db", e.db)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	saved := regexp.MustCompile(`^line (\d+) saved$`)
	lastSaved, finished := 0, false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := saved.FindStringSubmatch(sc.Text()); m != nil {
			lastSaved, _ = strconv.Atoi(m[1])
			if lastSaved >= 25 {
				require.NoError(t, cmd.Process.Kill()) // SIGKILL: no chance to clean up
				break
			}
		}
		if strings.HasPrefix(sc.Text(), "Imported") {
			finished = true
		}
	}
	err = cmd.Wait()
	require.False(t, finished, "the import finished before it could be killed: the test proves nothing")
	require.Error(t, err, "the import was killed")
	require.GreaterOrEqual(t, lastSaved, 25)

	r := e.run("verify", id, "--db", e.db)
	require.Equal(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	m := regexp.MustCompile(`^timeline of (\S+) verified: (\d+) entries\n`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)
	assert.Equal(t, id, m[1])
	n, _ := strconv.Atoi(m[2])
	t.Logf("killed after line %d was reported saved; %d entries survived", lastSaved, n)
	assert.GreaterOrEqual(t, n, 2)
	assert.LessOrEqual(t, n, lines+1)
	assert.GreaterOrEqual(t, n, lastSaved+1, "every line reported as saved survived the kill")
	assert.Less(t, n, lines+1, "the kill interrupted the import")

	entries := e.timeline(id)
	require.Len(t, entries, n)
	for i, en := range entries[1:] {
		require.Equal(t, fmt.Sprintf("observation %05d", i+1), en.Text, "entries are the file's lines in order")
	}
	assert.Contains(t, e.ok("incident", "show", id), "Incident:")
	assert.Contains(t, e.ok("note", id, "after the crash"), "Noted")
	assert.Contains(t, e.ok("verify", id), fmt.Sprintf("verified: %d entries", n+1))
}

func TestTamperedTimelineIsDetected(t *testing.T) {
	e := newE2E(t)
	id := e.newIncident()
	e.ok("note", id, "first")
	e.ok("note", id, "second")
	e.ok("note", id, "third")
	assert.Contains(t, e.ok("verify", id), "verified: 4 entries")

	// Edit entry 3 in the file as someone with a bbolt tool could.
	db, err := bbolt.Open(e.db, 0o600, &bbolt.Options{Timeout: time.Second})
	require.NoError(t, err)
	key := make([]byte, 8)
	binary.BigEndian.PutUint64(key, 3)
	err = db.Update(func(tx *bbolt.Tx) error {
		tl := tx.Bucket([]byte("timeline"))
		require.NotNil(t, tl, "bucket timeline")
		b := tl.Bucket([]byte(id))
		require.NotNil(t, b, "bucket timeline/%s", id)
		var en app.Entry
		require.NoError(t, json.Unmarshal(b.Get(key), &en))
		require.Equal(t, "second", en.Text)
		en.Text = "nothing to see here"
		raw, err := json.Marshal(en)
		require.NoError(t, err)
		return b.Put(key, raw)
	})
	require.NoError(t, err)
	require.NoError(t, db.Close())

	r := e.run("verify", id, "--db", e.db)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout+r.stderr, "entry 3")
	assert.Contains(t, r.stdout, "NOT intact")
	assert.NotContains(t, r.stdout, "timeline of "+id+" verified")
}

// playbookTree is the part of `playbook show --json` the walk needs.
type playbookTree struct {
	Parts []*treeStep `json:"parts"`
}

type treeStep struct {
	ID       string        `json:"id"`
	Title    string        `json:"title"`
	Decision *app.Decision `json:"decision"`
	Steps    []*treeStep   `json:"steps"`
}

func (p playbookTree) find(id string) *treeStep {
	var walk func([]*treeStep) *treeStep
	walk = func(steps []*treeStep) *treeStep {
		for _, s := range steps {
			if s.ID == id {
				return s
			}
			if f := walk(s.Steps); f != nil {
				return f
			}
		}
		return nil
	}
	return walk(p.Parts)
}

func TestJumpWalkThroughTheCLI(t *testing.T) {
	e := newE2E(t)
	var tree playbookTree
	require.NoError(t, json.Unmarshal([]byte(e.ok("playbook", "show", "--json")), &tree))
	require.Len(t, tree.Parts, 5, "the built-in playbook has five parts")
	q := tree.find("1.3")
	require.NotNil(t, q)
	require.NotNil(t, q.Decision, "step 1.3 asks a question")
	// The answer that detours to another part and comes back.
	var detour app.Option
	for _, o := range q.Decision.Options {
		if o.Goto != "" && o.Return != "" {
			detour = o
		}
	}
	require.NotEmpty(t, detour.ID, "step 1.3 has a detour option")
	require.Equal(t, "2", detour.Goto)

	id := e.newIncident("--bucket", "invoices", "--severity", "P2")
	assert.Equal(t, "1.1", e.next(id).Step)
	e.ok("step", id, "1.1", "done")
	e.ok("step", id, "1.2", "done", "--note", "Access Analyzer shows a public policy")
	assert.Equal(t, "1.3", e.next(id).Step)

	out := e.ok("choose", id, "1.3", detour.ID)
	assert.Contains(t, out, "Next: ")
	n := e.next(id)
	assert.Equal(t, 2, n.Part, "the detour leads into Part 2: %s", n.Text)
	assert.Contains(t, n.Text, "return to step "+detour.Return)

	// Work in Part 2: answer its question if it asks one, then the
	// responder is still in Part 2.
	if p2 := tree.find(n.Step); p2 != nil && p2.Decision != nil {
		e.ok("choose", id, p2.ID, p2.Decision.Options[0].ID)
		n = e.next(id)
		assert.Equal(t, 2, n.Part, "answering Part 2's question leaves its steps to do: %s", n.Text)
	}
	show := e.ok("incident", "show", id)
	assert.Contains(t, show, "Detours in progress")

	out = e.ok("return", id)
	assert.Contains(t, out, "Returned to step "+detour.Return)
	n = e.next(id)
	assert.Equal(t, detour.Return, n.Step)
	assert.Equal(t, 1, n.Part)

	r := e.run("return", id, "--db", e.db)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no detour")

	kinds := map[app.Kind]int{}
	for _, en := range e.timeline(id) {
		kinds[en.Kind]++
	}
	assert.Equal(t, 1, kinds[app.KindCreated])
	assert.GreaterOrEqual(t, kinds[app.KindDecision], 1)
	assert.GreaterOrEqual(t, kinds[app.KindJump], 2, "the detour and the return are on the timeline")
	assert.Contains(t, e.ok("verify", id), "verified")
}

func TestFlagsHelpAndValidation(t *testing.T) {
	e := newE2E(t)

	t.Run("help everywhere", func(t *testing.T) {
		for _, args := range [][]string{
			{"--help"}, {"help"}, {"version", "--help"},
			{"incident", "--help"}, {"incident", "new", "--help"}, {"incident", "list", "--help"},
			{"incident", "show", "--help"}, {"incident", "status", "--help"},
			{"step", "--help"}, {"choose", "--help"}, {"return", "--help"}, {"next", "--help"},
			{"note", "--help"}, {"timeline", "--help"}, {"verify", "--help"},
			{"playbook", "--help"}, {"playbook", "show", "--help"}, {"playbook", "list", "--help"},
			{"playbook", "validate", "--help"}, {"playbook", "import", "-h"},
			{"trail", "--help"}, {"trail", "analyze", "--help"}, {"trail", "verify", "--help"},
			{"report", "--help"}, {"export", "--help"}, {"import", "--help"},
		} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				r := e.run(args...)
				assert.Equal(t, 0, r.code, r.stderr)
				assert.Contains(t, r.stdout, "Usage: s3responder")
			})
		}
		_, err := os.Stat(filepath.Join(e.dir, "config", "s3responder", "incidents.db"))
		assert.True(t, os.IsNotExist(err), "help opens no database")
	})

	t.Run("version", func(t *testing.T) {
		r := e.run("version")
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, "s3responder "+testVersion+" (commit "+testCommit+", built "+testDate+")\n", r.stdout)
		assert.Equal(t, r.stdout, e.run("--version").stdout)
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, tc := range []struct {
			args   []string
			stderr string
		}{
			{[]string{"launch"}, `unknown command "launch"`},
			{[]string{"incident", "new"}, "--title is required"},
			{[]string{"incident", "new", "--title", "x", "--sev", "P1"}, "unknown flag --sev"},
			{[]string{"step", "INC-1", "1.1"}, "missing arguments"},
		} {
			r := e.run(append(tc.args, "--db", e.db)...)
			assert.Equal(t, 2, r.code, "%v", tc.args)
			assert.Contains(t, r.stderr, tc.stderr)
			assert.Empty(t, r.stdout)
		}
	})

	t.Run("flags in any order", func(t *testing.T) {
		envDB := filepath.Join(e.dir, "env.db")
		ids := map[string]string{}
		for name, run := range map[string]func() result{
			"db first": func() result {
				return e.run("--db", e.db, "incident", "new", "--title", "A", "--severity", "P1", "--bucket", "b1")
			},
			"db middle": func() result {
				return e.run("incident", "new", "--severity", "P1", "--db", e.db, "--title", "A", "--bucket=b1")
			},
			"db last": func() result {
				return e.run("incident", "new", "--bucket", "b1", "--title=A", "--severity", "P1", "--db="+e.db)
			},
			"env": func() result {
				return e.runEnv([]string{"S3RESPONDER_DB=" + envDB}, "incident", "new", "--title", "A", "--severity", "P1", "--bucket", "b1")
			},
		} {
			r := run()
			require.Equal(t, 0, r.code, "%s: %s", name, r.stderr)
			f := strings.Fields(r.stdout)
			ids[name] = f[len(f)-1]
		}
		for name, id := range ids {
			db := e.db
			if name == "env" {
				db = envDB
			}
			var v struct {
				Incident app.Incident `json:"incident"`
			}
			r := e.run("incident", "show", "--json", id, "--db", db)
			require.Equal(t, 0, r.code, "%s: %s", name, r.stderr)
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &v))
			assert.Equal(t, "A", v.Incident.Title, name)
			assert.Equal(t, app.SeverityP1, v.Incident.Severity, name)
			assert.Equal(t, []string{"b1"}, v.Incident.Buckets, name)
			assert.Equal(t, "e2e-tester", e.timeline1(db, id).Actor, name)
		}

		id := ids["db first"]
		e.ok("note", "--at", "2026-11-26T09:00:00Z", id, "seen", "in", "logs")
		e.ok("note", id, "seen again", "--at=2026-11-26T09:30:00Z")
		entries := e.timeline(id)
		require.Len(t, entries, 3)
		assert.Equal(t, "seen in logs", entries[1].Text)
		assert.Equal(t, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), entries[1].EventTime)
		assert.Equal(t, time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC), entries[2].EventTime)

		r := e.runEnv([]string{"S3RESPONDER_DB=" + envDB}, "incident", "list", "--json")
		require.Equal(t, 0, r.code, r.stderr)
		var list []app.Incident
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
		require.Len(t, list, 1, "the env database holds only its own incident")
		assert.Equal(t, ids["env"], list[0].ID)
	})

	t.Run("default database", func(t *testing.T) {
		r := e.run("incident", "new", "--title", "default")
		require.Equal(t, 0, r.code, r.stderr)
		assert.FileExists(t, filepath.Join(e.dir, "config", "s3responder", "incidents.db"))
	})

	t.Run("playbook validate names the line", func(t *testing.T) {
		broken := filepath.Join(e.dir, "broken.yaml")
		require.NoError(t, os.WriteFile(broken, []byte(strings.Join([]string{
			`id: broken`,
			`version: "1"`,
			`parts:`,
			`  - id: "1"`,
			`    title: One`,
			`    steps:`,
			`      - id: "1.1"`,
			`        title: First`,
			`        actions: [delete-everything]`,
			`      - id: "1.2"`,
			`        titel: typo`,
		}, "\n")+"\n"), 0o600))
		r := e.run("playbook", "validate", broken)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, broken+":11:")
		assert.Contains(t, r.stderr, "titel")

		// Fix the typo: the next problem is reported at its own line.
		data, err := os.ReadFile(broken)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(broken, bytes.Replace(data, []byte("titel"), []byte("title"), 1), 0o600))
		r = e.run("playbook", "validate", broken)
		assert.Equal(t, 1, r.code)
		assert.Regexp(t, regexp.QuoteMeta(broken)+`:7:\d+: step "1.1" offers action "delete-everything"`, r.stderr)

		r = e.run("playbook", "import", broken, "--db", e.db)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, broken+":7:")
	})
}

// timeline1 returns the first timeline entry of an incident in db.
func (e *e2e) timeline1(db, id string) app.Entry {
	e.t.Helper()
	r := e.run("timeline", id, "--json", "--db", db)
	require.Equal(e.t, 0, r.code, r.stderr)
	var entries []app.Entry
	require.NoError(e.t, json.Unmarshal([]byte(r.stdout), &entries))
	require.NotEmpty(e.t, entries)
	return entries[0]
}

func TestFyneAppMetadata(t *testing.T) {
	data, err := os.ReadFile("FyneApp.toml")
	require.NoError(t, err)
	field := func(name string) string {
		m := regexp.MustCompile(`(?m)^\s*` + name + `\s*=\s*"([^"]*)"`).FindSubmatch(data)
		require.NotNil(t, m, "FyneApp.toml has %s", name)
		return string(m[1])
	}
	assert.Equal(t, appID, field("ID"), "main.appID and FyneApp.toml agree")
	assert.Equal(t, "S3 Responder", field("Name"))
	assert.Regexp(t, `(?m)^\s*fyneDo\s*=\s*true`, string(data))

	f, err := os.Open(field("Icon"))
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, 512, img.Bounds().Dx())
	assert.Equal(t, 512, img.Bounds().Dy())
	assert.Equal(t, icon, mustRead(t, field("Icon")), "the embedded icon is the packaged one")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// Under a locale that names no language (LANG=C.UTF-8 is the default of
// Debian containers and CI runners) Fyne's lang package used to log three
// "Error parsing user locale C" lines on stderr before main even ran. A
// command prints nothing but its own output, whatever the locale.
func TestTheCLIPrintsNothingButItsOutputUnderAnyLocale(t *testing.T) {
	localeVars := []string{"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"}
	cases := [][]string{{}} // all unset
	for _, l := range []string{"C", "C.UTF-8", "C.utf8", "POSIX"} {
		cases = append(cases, []string{"LANG=" + l}, []string{"LC_ALL=" + l}, []string{"LC_ALL=" + l, "LANG=fr_FR.UTF-8"})
	}
	cases = append(cases, []string{"LC_MESSAGES=C.UTF-8"}, []string{"LANG=en_US.UTF-8", "LANGUAGE=C"},
		[]string{"LANG=fr_FR.UTF-8"})
	for _, env := range cases {
		name := strings.Join(env, " ")
		if name == "" {
			name = "unset"
		}
		t.Run(name, func(t *testing.T) {
			e := newE2E(t)
			// The test's own locale must not leak in: only env is set.
			var clean []string
			for _, kv := range e.env {
				k, _, _ := strings.Cut(kv, "=")
				if !slices.Contains(localeVars, k) {
					clean = append(clean, kv)
				}
			}
			e.env = append(clean, env...)
			r := e.run("incident", "list", "--db", e.db)
			assert.Equal(t, 0, r.code)
			assert.Equal(t, "No incidents.\n", r.stdout)
			assert.Empty(t, r.stderr)
		})
	}
}

func TestAVersionWithoutReleaseStampsStillSaysWhatItIs(t *testing.T) {
	assert.Equal(t, "dev", formatVersion("", "", ""))
	assert.Equal(t, "dev (commit 0123456789ab+changes)", formatVersion("", "0123456789ab+changes", ""))
	assert.Equal(t, "0.2.0 (commit 0123456789ab, built 2026-12-08T00:00:00Z)",
		formatVersion("0.2.0", "0123456789ab", "2026-12-08T00:00:00Z"))
}
