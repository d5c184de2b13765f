package ui

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"s3responder/app"
)

// userError is what a dialog shows: what the user was doing and, in plain
// words, why it failed. It keeps the app error underneath for errors.Is.
type userError struct {
	what string
	msg  string
	err  error
}

func (e *userError) Error() string { return e.what + ": " + e.msg }

func (e *userError) Unwrap() error { return e.err }

// explain turns an app error into a sentence for a person. The app wraps
// errors with the call path ("update incident INC-...: invalid input: say
// why..."), which helps a log reader but not someone mid-incident: for the
// errors the user can act on, keep only the part after the sentinel.
func explain(what string, err error) *userError {
	msg := err.Error()
	switch {
	case errors.Is(err, app.ErrInUse):
		msg = "the incident database is open in another copy of S3 Responder; close it and try again"
	case errors.Is(err, app.ErrChainBroken):
		// The chain error names the entry; keep it whole.
	case errors.Is(err, app.ErrInvalid), errors.Is(err, app.ErrNotFound):
		for _, sentinel := range []error{app.ErrInvalid, app.ErrNotFound} {
			prefix := sentinel.Error() + ": "
			if i := strings.LastIndex(msg, prefix); i >= 0 {
				msg = msg[i+len(prefix):]
				break
			}
		}
	case errors.Is(err, context.DeadlineExceeded):
		msg = "the database did not answer in time; try again"
	}
	return &userError{what: what, msg: msg, err: err}
}

// showError tells the user that what failed, in a dialog. A cancelled
// context means the user closed the window or moved on: nobody is waiting
// for that answer, so it is not shown.
func (u *UI) showError(what string, err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	ue := explain(what, err)
	u.lastErr = ue
	fyne.LogError(what, err)
	dialog.ShowError(ue, u.w)
}
