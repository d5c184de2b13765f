package cli

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEscapeCodesInATitleCannotForgeALineOfIncidentList(t *testing.T) {
	e := newEnv(t)
	// A title is one line: control characters are refused when it is
	// typed (and when a bundle brings one), so none can reach the list.
	forged := "real\x1b[2K\r\nINC-20260101-FORGED  closed  P4  5  2026-01-01 00:00  nothing to see\x1b]0;owned\x07\u202e"
	code, out, errOut := e.run("incident", "new", "--title", forged)
	assert.NotEqual(t, exitOK, code, out)
	assert.Contains(t, errOut, "holds control characters")
	assert.NotContains(t, errOut, "\x1b[2K\r", "the refusal itself shows the title escaped")
	assert.Contains(t, e.must("incident", "list"), "No incident")

	// A title stored before this check (a database of an older build)
	// is printed through escapeTerm, as every value of the list.
	line := escapeTerm(forged)
	assert.NotContains(t, line, "\n", "one line stays one line")
	assert.NotContains(t, line, "\x1b")
	assert.Contains(t, line, `real\x1b[2K\x0d\x0aINC-20260101-FORGED`)
}

func TestEscapeCodesInNotesAreShownAsTextInTheTimelineAndShow(t *testing.T) {
	e := newEnv(t)
	id := e.newIncident()
	e.must("note", id, "GetObject\x1b[31m by\nattacker\u009b2J")
	out := e.must("timeline", id)
	assert.NotContains(t, out, "\x1b")
	assert.NotContains(t, out, "\u009b")
	assert.Contains(t, out, `GetObject\x1b[31m by\x0aattacker\u009b2J`)
}

func TestAnyOutputReachesTheTerminalWithoutRawEscapeCodes(t *testing.T) {
	e := newEnv(t)
	// An error message that quotes what was typed.
	code, out, errOut := e.run("incident", "show", "INC-\x1b[2Jx", "--db", e.db)
	assert.NotEqual(t, exitOK, code)
	assert.NotContains(t, out+errOut, "\x1b")
	assert.Contains(t, errOut, `\x1b[2J`)
}

func TestTheTermWriterJoinsAUTF8SequenceSplitAcrossWrites(t *testing.T) {
	var b strings.Builder
	w := newTermWriter(&b)
	s := "Zoë 🔑 \u0085"
	for i := 0; i < len(s); i++ {
		_, err := w.Write([]byte{s[i]})
		require.NoError(t, err)
	}
	require.NoError(t, w.Flush())
	assert.Equal(t, `Zoë 🔑 \u0085`, b.String())
	assert.Equal(t, `a\xffb\x09`, escapeTerm("a\xffb\t"))
}
