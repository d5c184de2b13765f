package ui

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// errMFADeclined is the answer of a person who closed the MFA dialog.
var errMFADeclined = errors.New("the MFA dialog was closed without a code")

// mfaAnswer is what the MFA dialog hands back to the waiting SDK goroutine.
type mfaAnswer struct {
	code string
	err  error
}

// mfaDialog is the MFA dialog on screen.
type mfaDialog struct {
	d     *dialog.FormDialog
	entry *widget.Entry
}

// askMFA asks for a one-time MFA code in a dialog over the window and
// waits for it. The SDK calls it from its own goroutine while assuming a
// role, so the dialog is built on the UI goroutine (u.do) and the answer
// comes back through a channel. When ctx ends first (the person pressed
// Cancel on the operation, or closed the window) the dialog goes away and
// the call fails.
func (p *awsPane) askMFA(ctx context.Context, profile, serial string) (string, error) {
	u := p.ws.u
	answer := make(chan mfaAnswer, 1)
	reply := func(a mfaAnswer) {
		select { // the first answer counts; hiding the dialog answers again
		case answer <- a:
		default:
		}
	}
	var shown *mfaDialog
	u.do(func() {
		if ctx.Err() != nil {
			reply(mfaAnswer{err: ctx.Err()})
			return
		}
		entry := widget.NewEntry()
		entry.SetPlaceHolder("123456")
		entry.Validator = validMFACode
		who := "the default profile"
		if profile != "" {
			who = "profile " + profile
		}
		hint := widget.NewLabel("The AWS " + who + " assumes a role that needs a one-time code from the MFA device " + serial + ".")
		hint.Wrapping = fyne.TextWrapWord
		d := dialog.NewForm("MFA code", "Continue", "Cancel", []*widget.FormItem{
			widget.NewFormItem("", hint),
			widget.NewFormItem("Code", entry),
		}, func(ok bool) {
			if ok {
				reply(mfaAnswer{code: strings.ReplaceAll(strings.TrimSpace(entry.Text), " ", "")})
				return
			}
			reply(mfaAnswer{err: errMFADeclined})
		}, u.w)
		entry.OnSubmitted = func(string) { d.Submit() }
		d.Resize(d.MinSize().AddWidthHeight(160, 0))
		d.Show()
		u.w.Canvas().Focus(entry)
		shown = &mfaDialog{d: d, entry: entry}
		p.mfa = shown
	})
	select {
	case a := <-answer:
		u.do(func() { p.mfa = nil })
		return a.code, a.err
	case <-ctx.Done():
		u.do(func() {
			if shown != nil {
				shown.d.Hide()
			}
			p.mfa = nil
		})
		return "", ctx.Err()
	}
}

// validMFACode accepts the six digits MFA devices show (spaces allowed).
func validMFACode(s string) error {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if len(s) != 6 {
		return errors.New("enter the 6 digits the device shows")
	}
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return errors.New("the code is digits only")
		}
	}
	return nil
}
