package cli

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every command the README shows must be dispatched: a command file with
// no line in commands() is invisible to users (it happened).
func TestEveryDocumentedCommandIsDispatched(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	cmds := commands()
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^s3responder ([a-z][a-z-]*)`).FindAllStringSubmatch(string(readme), -1) {
		name := m[1]
		if seen[name] {
			continue
		}
		seen[name] = true
		_, ok := cmds[name]
		assert.True(t, ok, "README shows `s3responder %s` but commands() does not dispatch it", name)
	}
	require.Greater(t, len(seen), 20, "the README's command examples were not found")
}
