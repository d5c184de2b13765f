// Package ui is the desktop face of S3 Responder: Fyne screens that walk a
// responder through an incident, step by step. It talks only to app. Every
// call that reaches the store runs on its own goroutine with a cancellable
// context, and every widget change it causes comes back through fyne.Do, so
// the window never freezes on a slow disk.
package ui

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"s3responder/app"
)

// route names a top-level screen in the navigation table.
type route string

// The top-level screens. The incident workspace has its own table of panes
// (see workspacePanes) for the features that live inside an incident.
const (
	routeIncidents route = "incidents"
	routeNew       route = "new"
	routeIncident  route = "incident"
)

// screen is one top-level view of the window.
type screen interface {
	// content is what the window shows for this screen.
	content() fyne.CanvasObject
	// leave is called when the window moves to another screen: it cancels
	// the screen's pending reads (writes still finish, so nothing typed is
	// lost by navigating away).
	leave()
}

// screens is the navigation table: a constructor per route. arg is the
// route's argument (the incident id for routeIncident). Adding a top-level
// screen is one line here plus its constructor.
func screens() map[route]func(u *UI, arg string) screen {
	return map[route]func(u *UI, arg string) screen{
		routeIncidents: newListScreen,
		routeNew:       newFormScreen,
		routeIncident:  newWorkspace,
	}
}

// UI is the whole window: the navigation between screens and the background
// work they started.
type UI struct {
	w   fyne.Window
	svc *app.Service

	// ctx is cancelled by Close; every job's context derives from it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// do hands a widget update to the UI goroutine. It is fyne.Do in the
	// app; tests swap in a queue they drain themselves so that widget state
	// is only ever touched by one goroutine at a time.
	do func(func())

	current screen
	// lastErr is the last error shown to the user, for tests.
	lastErr   error
	closeOnce sync.Once

	// writeReport renders reports for the Report pane. ui may not import
	// the renderers (ui depends on app only), so main hands them in.
	writeReport ReportWriter
	// now is the clock of countdowns and overdue marks; nil means
	// time.Now. Tests fix it.
	now func() time.Time
	// tick is how often live countdowns refresh; zero means every 30 s.
	tick time.Duration
}

// ReportWriter renders report r in format ("pdf", "md", "json" or "csv")
// to w. It should stop early when ctx ends: the user can cancel a save.
type ReportWriter func(ctx context.Context, r app.Report, format string, w io.Writer) error

// SetReportWriter gives the Report pane its renderers. Call it before the
// window shows; without it the pane says reports are not available.
func (u *UI) SetReportWriter(fn ReportWriter) { u.writeReport = fn }

// clock returns the current time for countdowns and overdue marks.
func (u *UI) clock() time.Time {
	if u.now != nil {
		return u.now()
	}
	return time.Now()
}

// countdownEvery is how often deadline countdowns are redrawn: often
// enough that a minute display is never more than half a minute stale.
func (u *UI) countdownEvery() time.Duration {
	if u.tick > 0 {
		return u.tick
	}
	return 30 * time.Second
}

// New builds the user interface in w over the service and shows the list of
// incidents. Closing the window cancels all background work.
func New(w fyne.Window, svc *app.Service) *UI {
	return newUI(w, svc, fyne.Do)
}

// newUI is New with the UI-goroutine hand-off made explicit for tests.
func newUI(w fyne.Window, svc *app.Service, do func(func())) *UI {
	ctx, cancel := context.WithCancel(context.Background())
	u := &UI{w: w, svc: svc, ctx: ctx, cancel: cancel, do: do}
	w.SetOnClosed(u.Close)
	w.SetOnDropped(u.dropped)
	u.show(routeIncidents, "")
	return u
}

// dropped takes files and folders dragged onto the window. Inside an
// incident they go to the CloudTrail logs pane, which is brought forward;
// elsewhere the user is told where to drop them.
func (u *UI) dropped(_ fyne.Position, uris []fyne.URI) {
	var paths []string
	for _, uri := range uris {
		if uri.Scheme() == "file" {
			paths = append(paths, uri.Path())
		}
	}
	if len(paths) == 0 {
		return
	}
	ws, ok := u.current.(*workspace)
	if !ok {
		u.showError("Dropped files were not used", fmt.Errorf("%w: open an incident first, then drop CloudTrail log files or folders on its window", app.ErrInvalid))
		return
	}
	ws.dropLogs(paths)
}

// Close cancels every job the screens started and waits a moment for them
// to notice, so the caller can close the store right after. It is safe to
// call more than once.
func (u *UI) Close() {
	u.closeOnce.Do(func() {
		u.cancel()
		if u.current != nil {
			u.current.leave()
		}
		done := make(chan struct{})
		go func() { u.wg.Wait(); close(done) }()
		// A store call that ignores its context must not hang the exit.
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			fyne.LogError("ui: background work still running at close", nil)
		}
	})
}

// show replaces the window content with the screen for r.
func (u *UI) show(r route, arg string) {
	if u.ctx.Err() != nil {
		return
	}
	build, ok := screens()[r]
	if !ok {
		fyne.LogError("ui: no screen for route "+string(r), nil)
		return
	}
	if u.current != nil {
		u.current.leave()
	}
	u.current = build(u, arg)
	u.w.SetContent(u.current.content())
}

// openIncident shows the workspace of one incident.
func (u *UI) openIncident(id string) { u.show(routeIncident, id) }
