package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startBlocked starts the binary on an input that never delivers, waits
// until it must be blocked on it, and sends sig. It returns how the
// process ended and its stderr.
func startBlocked(t *testing.T, cmd *exec.Cmd, sig os.Signal) (int, string, time.Duration) {
	t.Helper()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(700 * time.Millisecond)
	start := time.Now()
	require.NoError(t, cmd.Process.Signal(sig))
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%v ignored %v: still running 5s later; stderr: %s", cmd.Args[1:], sig, errb.String())
	}
	return cmd.ProcessState.ExitCode(), errb.String(), time.Since(start)
}

func fifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "input.fifo")
	require.NoError(t, syscall.Mkfifo(p, 0o600))
	return p
}

func TestCtrlCEndsAPolicyCheckWaitingOnAFIFOWithNoWriter(t *testing.T) {
	e := newE2E(t)
	code, stderr, took := startBlocked(t, e.command(nil, "policy", "check", fifo(t)), os.Interrupt)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "interrupted")
	assert.Less(t, took, 2*time.Second)
}

func TestSIGTERMEndsANoteImportReadingAnIdleFIFOAndFreesTheDatabase(t *testing.T) {
	e := newE2E(t)
	id := e.newIncident()
	p := fifo(t)
	// A writer that opens the FIFO and then says nothing: the import is
	// blocked in a read, with the database open.
	w, err := os.OpenFile(p, os.O_RDWR, 0)
	require.NoError(t, err)
	defer w.Close()
	_, err = w.WriteString("first observation\n")
	require.NoError(t, err)

	code, stderr, took := startBlocked(t, e.command(nil, "note", id, "--file", p, "--db", e.db), syscall.SIGTERM)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "interrupted")
	assert.Contains(t, stderr, "--from 2")
	assert.Less(t, took, 2*time.Second)
	// The lock is gone and the line read before the signal was kept.
	tl := e.timeline(id)
	assert.Equal(t, "first observation", tl[len(tl)-1].Text)
}

func TestCtrlCEndsANoteImportFromAnOpenStandardInput(t *testing.T) {
	e := newE2E(t)
	id := e.newIncident()
	cmd := e.command(nil, "note", id, "--file", "-", "--db", e.db)
	stdin, err := cmd.StdinPipe() // kept open, never written
	require.NoError(t, err)
	defer stdin.Close()
	code, stderr, _ := startBlocked(t, cmd, os.Interrupt)
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "interrupted while reading standard input")
	e.ok("note", id, "the database is free again")
}

func TestAnEndlessStandardInputIsRefusedAtTheSizeLimit(t *testing.T) {
	e := newE2E(t)
	cmd := e.command(nil, "policy", "check", "-")
	cmd.Stdin = &endless{}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 1, ee.ExitCode())
	assert.Contains(t, errb.String(), "standard input is larger than 16 MiB")
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}
