package ui

import (
	"context"
	"os"
	"strings"
	"sync"

	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// awsAccess is the AWS profile and region a pane works with, the MFA
// dialog it borrows from the AWS pane, and the context of its running
// operation. The Changes and Inspect panes embed it.
type awsAccess struct {
	ws      *workspace
	profile *widget.SelectEntry
	region  *widget.Entry
	// mfaHost shows the AWS pane's MFA dialog for this pane's operations.
	mfaHost *awsPane

	mu     sync.Mutex
	cancel context.CancelFunc
	opCtx  context.Context
}

func newAWSAccess(ws *workspace) awsAccess {
	return awsAccess{ws: ws, mfaHost: &awsPane{ws: ws}, profile: widget.NewSelectEntry(nil), region: widget.NewEntry()}
}

// loadProfiles fills the profile picker from the AWS config files, off the
// UI goroutine; key names the read job.
func (a *awsAccess) loadProfiles(key string) {
	a.ws.jobs.read(key, func(context.Context) func() {
		names := awsProfileNames(os.Getenv)
		return func() { a.profile.SetOptions(names) }
	})
}

// appProfile is the profile the entries choose, marked as an exercise's for
// an exercise incident, with the MFA dialog.
func (a *awsAccess) appProfile() app.Profile {
	return app.Profile{
		Name:     strings.TrimSpace(a.profile.Text),
		Region:   strings.TrimSpace(a.region.Text),
		Exercise: a.ws.loaded && a.ws.c.Incident.Exercise,
		MFA: func(profile, serial string) (string, error) {
			return a.mfaHost.askMFA(a.currentCtx(), profile, serial)
		},
	}
}

// currentCtx is the running operation's context (cancelling it also closes
// an MFA dialog it opened), else the UI's.
func (a *awsAccess) currentCtx() context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.opCtx != nil {
		return a.opCtx
	}
	return a.ws.u.ctx
}
