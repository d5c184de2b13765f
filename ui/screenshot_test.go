package ui

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// TestScreenshots renders the three screens at 1280x800 and checks each
// picture has real content. Set UI_SCREENSHOT_DIR to keep copies to look at.
func TestScreenshots(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	shots := map[string]image.Image{}
	h.eventually(func() bool { return h.list() != nil && h.list().loading.Hidden }, "list never loaded")
	ws := h.createIncident("Public bucket found by a researcher", true)
	// A little history so the timeline and the checklist show something.
	for range 3 {
		h.goAndResolve(ws)
	}
	test.Type(ws.timeline.note, "Researcher confirmed by mail that the object listing is public")
	test.Tap(ws.timeline.add)
	h.eventually(func() bool { return len(ws.timeline.entries) == 5 }, "note not on the timeline")
	test.Tap(ws.goBtn)
	shots["workspace"] = capture(h)

	// Take the detour: the banner points into Part 2, whose own question
	// (several answers allowed) is selected.
	q, opt := detour(t, ws.pb)
	for ws.next.Step.ID != q.ID {
		h.goAndResolve(ws)
	}
	test.Tap(ws.goBtn)
	shots["question"] = capture(h)
	d := ws.playbook.detail
	d.single.SetSelected(d.optionText[opt.ID])
	test.Tap(d.record)
	h.eventually(func() bool { return ws.c.Step(q.ID).Status == app.StepDone }, "answer not recorded")
	test.Tap(ws.goBtn)
	h.eventually(func() bool { return len(ws.timeline.entries) > 5 }, "timeline not refreshed")
	shots["detour"] = capture(h)

	test.Tap(ws.back)
	h.eventually(func() bool { return h.list() != nil && len(h.list().shown) == 1 }, "list never loaded")
	shots["list"] = capture(h)
	test.Tap(h.list().newBtn)
	shots["form"] = capture(h)

	dir := t.TempDir()
	keep := os.Getenv("UI_SCREENSHOT_DIR")
	for name, img := range shots {
		t.Run(name, func(t *testing.T) {
			b := img.Bounds()
			assert.GreaterOrEqual(t, b.Dx(), 1280)
			assert.GreaterOrEqual(t, b.Dy(), 800)
			assert.Greater(t, distinctColours(img), 50, "the %s screen looks blank", name)
			for _, d := range []string{dir, keep} {
				if d == "" {
					continue
				}
				f, err := os.Create(filepath.Join(d, name+".png"))
				require.NoError(t, err)
				require.NoError(t, png.Encode(f, img))
				require.NoError(t, f.Close())
			}
		})
	}
}

// distinctColours counts the colours in img, a cheap test for "not blank":
// text is anti-aliased, so a screen with words on it has many.
func distinctColours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}

// capture renders the window. The test canvas lays objects out only when
// the content is set or resized; the real driver also re-lays out whatever
// changed size since the last frame. Refreshing the content from the top
// does the same, so the picture matches what a user would see.
func capture(h *harness) image.Image {
	h.w.Content().Refresh()
	return h.w.Canvas().Capture()
}
