package ui

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
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
			assert.Equal(t, 1280, b.Dx(), "the %s screen does not fit the window", name)
			assert.Equal(t, 800, b.Dy(), "the %s screen does not fit the window", name)
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

// TestPaneScreenshots renders each workspace pane with some data in it
// and checks each picture has real content. Set UI_SCREENSHOT_DIR to keep
// copies to look at.
func TestPaneScreenshots(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	h.u.SetReportWriter((&fakeReport{}).write)
	ws := h.createIncident("Public bucket found by a researcher", false)
	selectTab := func(title string) {
		t.Helper()
		for _, it := range ws.tabs.Items {
			if it.Text == title {
				ws.tabs.Select(it)
				return
			}
		}
		t.Fatalf("no tab %q", title)
	}
	shots := map[string]image.Image{}

	selectTab("Details")
	shots["details"] = capture(h)

	ev := paneOf[*evidencePane](t, ws)
	attachFile(t, ev, writeFile(t, "researcher-mail.eml", []byte("From: researcher@example.org\n\nYour bucket lists publicly.")))
	h.eventually(func() bool { return len(ev.items) == 1 }, "evidence not attached")
	attachFile(t, ev, writeFile(t, "bucket-policy-before.json", []byte(`{"Statement":[{"Effect":"Allow","Principal":"*"}]}`)))
	h.eventually(func() bool { return len(ev.items) == 2 }, "evidence not attached")
	test.Tap(ev.verify)
	h.eventually(func() bool { return strings.HasPrefix(ev.status.Text, "Verified") }, "evidence not verified")
	selectTab("Evidence")
	shots["evidence"] = capture(h)

	rp := paneOf[*reviewPane](t, ws)
	rp.text.lessons.SetText("Paging worked within minutes. The bucket inventory was stale, so finding the owner took two hours.")
	rp.text.information.SetText("An up-to-date list of buckets holding personal data, with owners.")
	rp.text.detection.SetText("An alert on bucket policies that grant access to everyone.")
	rp.text.rootCause.SetText("A test bucket policy was copied to production during a migration.")
	rp.text.vectors.SetText("public bucket policy")
	test.Tap(rp.text.save)
	h.eventually(func() bool { return ws.c.Incident.Review.RootCause != "" }, "review not saved")
	for _, it := range []struct{ desc, owner, due, status string }{
		{"Turn on Block Public Access for the whole organisation", "cloud platform team", "2020-02-01", "in progress"},
		{"Alert on bucket policies with Principal *", "security operations", "2099-03-01", "open"},
		{"Refresh the data inventory with owners", "data governance", "", "done"},
	} {
		rp.items.desc.SetText(it.desc)
		rp.items.owner.SetText(it.owner)
		rp.items.due.SetText(it.due)
		rp.items.status.SetSelected(it.status)
		n := len(rp.items.items)
		test.Tap(rp.items.save)
		h.eventually(func() bool { return len(rp.items.items) == n+1 }, "item not added: %v", h.u.lastErr)
	}
	rp.people.role.SetSelected("regulators")
	rp.people.name.SetText("Data protection authority")
	rp.people.contact.SetText("breach-notice@dpa.example")
	test.Tap(rp.people.addPerson)
	h.eventually(func() bool { return len(rp.people.stakeholders) == 1 }, "stakeholder not added")
	rp.people.audience.SetText("Data protection authority")
	rp.people.channel.SetText("email")
	rp.people.who.SetText("ana")
	rp.people.summary.SetText("Initial notice: exposure of customer exports, contained, investigation ongoing")
	test.Tap(rp.people.addComm)
	h.eventually(func() bool { return len(rp.people.comms) == 1 }, "communication not logged")
	rp.clock.preset.SetSelected(deadlinePresets[0].label)
	test.Tap(rp.clock.addDl)
	h.eventually(func() bool { return len(rp.clock.deadlines) == 1 }, "deadline not added")

	selectTab("Review")
	for i, name := range []string{"review-lessons", "review-items", "review-people", "review-clock"} {
		rp.tabs.SelectIndex(i)
		shots[name] = capture(h)
	}

	selectTab("Report")
	rep := paneOf[*reportPane](t, ws)
	saveReport(t, rep, filepath.Join(t.TempDir(), "report.pdf"))
	h.eventually(func() bool { return strings.HasPrefix(rep.status.Text, "Saved") }, "report not saved")
	shots["report"] = capture(h)

	dir := t.TempDir()
	keep := os.Getenv("UI_SCREENSHOT_DIR")
	for name, img := range shots {
		t.Run(name, func(t *testing.T) {
			// The window grows when content asks for more than it has:
			// a pane must fit the window, not stretch it.
			assert.Equal(t, image.Pt(1280, 800), img.Bounds().Size(), "the %s pane does not fit the window", name)
			assert.Greater(t, distinctColours(img), 50, "the %s pane looks blank", name)
			for _, d := range []string{dir, keep} {
				if d == "" {
					continue
				}
				f, err := os.Create(filepath.Join(d, "pane-"+name+".png"))
				require.NoError(t, err)
				require.NoError(t, png.Encode(f, img))
				require.NoError(t, f.Close())
			}
		})
	}
}
