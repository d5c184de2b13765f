package ui

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The workspace must fit the window main opens (1200 points wide) with
// every pane plugged in: one wide pane widens the whole window past a
// laptop screen and pushes the timeline off it.
func TestWorkspaceFitsTheWindow(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	ws := h.createIncident("Fits on a laptop", true)
	assert.LessOrEqual(t, ws.root.MinSize().Width, float32(1200), "the workspace is wider than the window")
	for i, p := range ws.panes {
		assert.LessOrEqual(t, p.object().MinSize().Width, float32(900), "pane %q", ws.tabs.Items[i].Text)
	}
}
