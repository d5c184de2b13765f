// Command s3responder walks an incident responder through the response to
// unintended access to an S3 bucket. Without arguments it opens the desktop
// app; with a command it works headless (see `s3responder --help`).
//
// This file only wires the parts together: the built-in playbook, the
// bbolt store, the use cases, the CLI and the Fyne window.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"early"

	"s3responder/app"
	"s3responder/assets"
	"s3responder/aws"
	"s3responder/cli"
	"s3responder/reports"
	"s3responder/store"
	"s3responder/tabletop"
	"s3responder/ui"
)

// appID must match ID in FyneApp.toml: Fyne keys preferences and storage
// by it, and `go build` (unlike `fyne package`) does not read the toml.
const appID = "io.s3responder.app"

//go:embed assets/icon.png
var icon []byte

func main() {
	// early kept Fyne from logging about a locale that names no language
	// while its packages were initialised; from here on the environment
	// is the user's again.
	early.Restore()
	os.Exit(run())
}

func run() int {
	// Ctrl-C or a TERM ends long CLI work between two saved steps and
	// closes the window cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	builtin, err := app.ParsePlaybook("built-in playbook", assets.Playbook)
	if err != nil {
		fmt.Fprintf(os.Stderr, "s3responder: this build's playbook is broken: %v\n", err)
		return 1
	}
	open := openService(builtin, actor())
	return cli.Run(ctx, os.Args[1:], cli.Deps{
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		Stdin:       os.Stdin,
		Getenv:      os.Getenv,
		Version:     buildVersion(),
		Builtin:     builtin,
		DefaultDB:   defaultDB,
		OpenService: open,
		RunGUI: func(ctx context.Context, path string) error {
			return runGUI(ctx, path, open)
		},
	})
}

// actor names the person at the keyboard in timeline entries.
func actor() string {
	if a := strings.TrimSpace(os.Getenv("S3RESPONDER_ACTOR")); a != "" {
		return a
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	for _, k := range []string{"USER", "USERNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "unknown"
}

// defaultDB is the per-user database: ~/.config/s3responder/incidents.db on
// Linux, the equivalents on macOS and Windows.
func defaultDB() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "s3responder", "incidents.db"), nil
}

// openService opens the store and builds the use cases over it.
func openService(builtin *app.Playbook, actor string) func(path string) (*app.Service, func() error, error) {
	return func(path string) (*app.Service, func() error, error) {
		db, err := store.Open(path)
		if err != nil {
			return nil, nil, err
		}
		svc := app.NewService(db, builtin, actor)
		// Each window or command asks for MFA codes its own way (app.Profile.MFA).
		// Exercises get the simulated account; the AWS connector never sees them.
		svc.SetConnector(tabletop.Connector(aws.WithChanges(aws.Connector(aws.Options{}))))
		if err := svc.LoadCustomPlaybooks(context.Background()); err != nil {
			if !errors.Is(err, app.ErrInvalid) {
				_ = db.Close() // the load error is the one to report
				return nil, nil, err
			}
			// A saved playbook that no longer parses must not lock the
			// responder out of every other incident.
			fmt.Fprintf(os.Stderr, "s3responder: warning: %v\n", err)
		}
		return svc, db.Close, nil
	}
}

// runGUI opens the database and runs the window until it is closed.
func runGUI(ctx context.Context, path string, open func(string) (*app.Service, func() error, error)) error {
	if needsX11() && os.Getenv("DISPLAY") == "" {
		// Fyne's X11 driver panics without a display; over SSH or in a
		// container say what to do instead.
		return errors.New("no graphical display (DISPLAY is not set): start the app in a desktop session, or use a command (s3responder --help)")
	}
	a := fyneapp.NewWithID(appID)
	a.SetIcon(fyne.NewStaticResource("icon.png", icon))

	svc, closeDB, err := open(path)
	if err != nil {
		// Started from a desktop menu nobody sees stderr: say it in a
		// window too.
		fmt.Fprintf(os.Stderr, "s3responder: %v\n", err)
		showStartError(a, path, err)
		return cli.Reported{Err: err}
	}

	w := a.NewWindow("S3 Responder")
	w.Resize(fyne.NewSize(1200, 800))
	w.SetMaster()
	u := ui.New(w, svc)
	u.SetReportWriter(writeReport)

	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			fyne.Do(a.Quit)
		case <-done:
		}
	}()
	w.ShowAndRun()
	u.Close()
	return closeDB()
}

// needsX11 reports whether this platform's Fyne driver talks to an X server
// (every Unix but macOS, in a default build).
func needsX11() bool {
	switch runtime.GOOS {
	case "darwin", "windows", "android", "ios", "js", "wasip1":
		return false
	}
	return true
}

// showStartError shows why the app cannot start and waits for the user to
// close the window.
func showStartError(a fyne.App, path string, err error) {
	title := "S3 Responder could not open its database"
	advice := "Check the path and its permissions, or start with --db pointing at another file."
	if errors.Is(err, app.ErrInUse) {
		title = "S3 Responder is already running"
		advice = "Another S3 Responder (a window or a command still running) has this incident database open. Switch to that window, or close it and start again. To work on a different database, start with --db PATH."
	}
	w := a.NewWindow("S3 Responder")
	heading := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	msg := widget.NewLabel(advice + "\n\nDatabase: " + path + "\n\n" + err.Error())
	msg.Wrapping = fyne.TextWrapWord
	quit := widget.NewButton("Quit", a.Quit)
	quit.Importance = widget.HighImportance
	w.SetContent(container.NewBorder(heading, container.NewHBox(quit), nil, nil, msg))
	w.Resize(fyne.NewSize(520, 240))
	w.CenterOnScreen()
	w.ShowAndRun()
}

// writeReport renders a report in the format the Report pane asks for; the
// GUI reaches the reports package only through this function.
func writeReport(_ context.Context, r app.Report, format string, w io.Writer) error {
	switch format {
	case "pdf":
		return reports.PDF(w, r)
	case "md":
		return reports.Markdown(w, r)
	case "csv":
		return reports.CSV(w, r.Timeline)
	case "json":
		return reports.JSON(w, r.Bundle())
	}
	return fmt.Errorf("%w: report format %q", app.ErrInvalid, format)
}
