package ui

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/tabletop"
)

func TestWatchTarget(t *testing.T) {
	for _, tc := range []struct {
		name       string
		principals []string
		key, role  string
	}{
		{"long-term key", []string{"bob", "AKIAIOSFODNN7EXAMPLE"}, "AKIAIOSFODNN7EXAMPLE", ""},
		{"session key before role", []string{"arn:aws:iam::123456789012:role/ops", "ASIAIOSFODNN7EXAMPLE"}, "ASIAIOSFODNN7EXAMPLE", ""},
		{"role ARN", []string{"bob", "arn:aws:iam::123456789012:role/path/ops"}, "", "ops"},
		{"user names only", []string{"bob", "AKIA"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, role := watchTarget(tc.principals)
			assert.Equal(t, tc.key, key)
			assert.Equal(t, tc.role, role)
		})
	}
}

func TestParseWatchMinutes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30", 30 * time.Minute, true},
		{"0.5", 30 * time.Second, true},
		{"90s", 90 * time.Second, true},
		{"0", 0, false},
		{"soon", 0, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			d, err := parseWatchMinutes(tc.in)
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, d)
		})
	}
}

const watchKey = "AKIAIOSFODNN7EXAMPLE"

// newWatchUI is an exercise incident whose principals name an access
// key, its Changes pane open over the tabletop simulated account.
func newWatchUI(t *testing.T) (*harness, *changesPane, func() []app.Entry) {
	t.Helper()
	test.NewTempApp(t)
	db, _ := openStore(t, filepath.Join(t.TempDir(), "incidents.db"))
	svc := app.NewService(db, testPlaybook(t), "tester")
	svc.SetConnector(tabletop.Connector(func(context.Context, app.Profile) (app.Cloud, error) {
		t.Error("an exercise reached the real AWS connector")
		return nil, errors.New("not for exercises")
	}))
	c, err := svc.Create(context.Background(), app.NewIncident{Title: "Leaked key", Buckets: []string{"acme-customer-exports"},
		Principals: []string{"bob", watchKey}, Exercise: true, TimeZone: "Europe/Paris"})
	require.NoError(t, err)
	h := openUI(t, svc)
	h.eventually(func() bool { return h.list() != nil && h.list().loading.Hidden }, "list never loaded")
	h.u.openIncident(c.Incident.ID)
	ws := h.loadedWorkspace(c.Incident.ID)
	p := paneOf[*changesPane](t, ws)
	for _, it := range ws.tabs.Items {
		if it.Text == "Changes" {
			ws.tabs.Select(it)
		}
	}
	timeline := func() []app.Entry {
		entries, _, err := db.Timeline(context.Background(), c.Incident.ID)
		require.NoError(t, err)
		return entries
	}
	return h, p, timeline
}

func hasEntry(entries []app.Entry, part string) bool {
	for _, e := range entries {
		if strings.Contains(e.Text, part) {
			return true
		}
	}
	return false
}

func TestWatchCredentialsExercise(t *testing.T) {
	h, p, timeline := newWatchUI(t)
	require.Equal(t, app.SimulatedProfileName, p.profile.Text)
	key, _ := watchTarget(p.ws.c.Incident.Principals)
	require.Equal(t, watchKey, key, "the dialog is pre-filled with the incident's key")

	// A window far shorter than the interval: one look at the start and
	// one at the end.
	want := fyne.NewNotification("No further use of credentials",
		"CloudTrail shows no use of access key "+watchKey+" in 2 look(s).")
	test.AssertNotificationSent(t, want, func() {
		p.startWatch(app.WatchRequest{AccessKeyID: watchKey, Duration: 400 * time.Millisecond, Every: time.Hour})
		require.NotNil(t, p.watch)
		assert.Equal(t, "Stop watching…", p.watchBtn.Text)
		h.eventually(func() bool { return p.watch == nil }, "watch never ended: %q", p.status.Text)
	})
	assert.Equal(t, "Watch credentials…", p.watchBtn.Text)
	assert.Contains(t, p.status.Text, "no use of access key "+watchKey)
	entries := timeline()
	assert.True(t, hasEntry(entries, "Watching CloudTrail for further use of access key "+watchKey), "start not on the timeline")
	assert.True(t, hasEntry(entries, "CloudTrail watch of access key "+watchKey+" ended after 2 look(s)"), "result not on the timeline")
	h.eventually(func() bool {
		return hasEntry(p.ws.timeline.entries, "CloudTrail watch of access key "+watchKey+" ended")
	}, "the workspace was not refreshed with the result")
}

func TestWatchCredentialsCancel(t *testing.T) {
	h, p, timeline := newWatchUI(t)
	want := fyne.NewNotification("Credential watch stopped",
		"Watch of access key "+watchKey+" stopped after 1 look(s); no use found so far.")
	test.AssertNotificationSent(t, want, func() {
		p.startWatch(app.WatchRequest{AccessKeyID: watchKey, Duration: time.Hour, Every: time.Hour})
		h.eventually(func() bool { return strings.Contains(p.status.Text, "look 1") }, "first look never reported: %q", p.status.Text)
		p.watch.cancel()
		h.eventually(func() bool { return p.watch == nil }, "watch never stopped: %q", p.status.Text)
	})
	assert.True(t, hasEntry(timeline(), "CloudTrail watch of access key "+watchKey+" was stopped after"), "stop not on the timeline")
}
