package cli

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

func TestACrashIsAFailureNotACommandLineError(t *testing.T) {
	e := newEnv(t)
	e.deps.OpenService = func(string) (*app.Service, func() error, error) {
		panic("a bug in opening the database")
	}
	code, _, errOut := e.run("incident", "list", "--db", e.db)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "internal error, a bug in S3 Responder")
	assert.Contains(t, errOut, "a bug in opening the database")
	assert.Contains(t, errOut, "goroutine ", "the stack, for the report")
}

func TestABadSeverityOrTimeZoneIsACommandLineError(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{
		{"incident", "new", "--title", "x", "--severity", "P9"},
		{"incident", "new", "--title", "x", "--tz", "Mars/Olympus_Mons"},
	} {
		code, _, errOut := e.run(append(args, "--db", e.db)...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, errOut)
		assert.Contains(t, errOut, "Usage: s3responder incident new")
	}
	_, err := os.Stat(e.db)
	assert.ErrorIs(t, err, os.ErrNotExist, "a command line error opens no database")
}

func TestOutNeverReplacesAFileWithoutForce(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	for _, tc := range []struct {
		name string
		args []string
		file string
	}{
		{"report", []string{"report", id}, "report.md"},
		{"export", []string{"export", id}, "bundle.zip"},
		{"request", []string{"request", id, "--bucket", "partner-bucket"}, "request.md"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(e.dir, tc.file)
			require.NoError(t, os.WriteFile(out, []byte("an earlier file"), 0o600))
			code, _, errOut := e.run(append(tc.args, "--out", out, "--db", e.db)...)
			assert.Equal(t, exitFail, code, errOut)
			assert.Contains(t, errOut, "already exists: give --force to replace it")
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.Equal(t, "an earlier file", string(got))

			e.must(append(tc.args, "--out", out, "--force")...)
			got, err = os.ReadFile(out)
			require.NoError(t, err)
			assert.NotEqual(t, "an earlier file", string(got))
		})
	}
	t.Run("a new file is written without --force", func(t *testing.T) {
		out := filepath.Join(e.dir, "new.json")
		e.must("report", id, "--out", out)
		entries, err := os.ReadDir(e.dir)
		require.NoError(t, err)
		for _, en := range entries {
			assert.NotContains(t, en.Name(), ".tmp-", "no temporary file is left behind")
		}
	})
}

func TestAMemoryFaultIsReportedNotACrash(t *testing.T) {
	// What bbolt met on a truncated database: a page mapped in memory
	// beyond the end of its file (SIGBUS).
	p := filepath.Join(t.TempDir(), "mapped")
	require.NoError(t, os.WriteFile(p, make([]byte, 2*os.Getpagesize()), 0o600))
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	mem, err := syscall.Mmap(int(f.Fd()), 0, 2*os.Getpagesize(), syscall.PROT_READ, syscall.MAP_SHARED)
	require.NoError(t, err)
	defer func() { _ = syscall.Munmap(mem) }()
	require.NoError(t, os.Truncate(p, 0))

	e := newEnv(t)
	e.deps.OpenService = func(string) (*app.Service, func() error, error) {
		faultSink = mem[os.Getpagesize()] // faults
		return nil, nil, errors.New("the read did not fault")
	}
	code, _, errOut := e.run("incident", "list", "--db", e.db)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "internal error")
	assert.Contains(t, errOut, "fault")
}

var faultSink byte
