package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// confirmDialog is a confirmation on screen. word is the entry where a
// broad change's word is typed; nil when a plain yes is enough.
type confirmDialog struct {
	d      *dialog.CustomDialog
	word   *widget.Entry
	ok     *widget.Button
	cancel *widget.Button
}

// askConfirm asks the person to confirm a plan, the only way to apply
// one from the window. A broad change (a whole bucket, every session of a
// role) is confirmed by typing its ConfirmWord exactly, the name of what
// it touches, and the button stays disabled until the text matches;
// other changes by pressing Apply, the window's "yes". then gets the
// confirmation to hand to the service, which checks it again.
func (p *changesPane) askConfirm(plan app.Plan, then func(word string)) {
	u := p.ws.u
	heading := widget.NewLabelWithStyle(plan.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	heading.Wrapping = fyne.TextWrapWord
	account := "account " + plan.Account
	if plan.Simulated {
		account = "the SIMULATED " + account
	}
	calls := plural(len(plan.Steps), "call") + " will be sent, each recorded in the journal before and after it goes out"
	if b := plan.Bulk; b != nil {
		calls = fmt.Sprintf("One %s per object will be sent for %s, %d at a time, each batch of %d recorded in the journal before and after its calls go out",
			b.Call, objectCount(b), b.Concurrency, b.BatchSize)
	}
	where := widget.NewLabel(fmt.Sprintf("%s, in %s, as %s. %s; the state before is saved as evidence first.",
		plan.Target, account, plan.Principal, calls))
	where.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(heading, where)
	if len(plan.Impact) > 0 {
		impact := widget.NewLabel("• " + strings.Join(plan.Impact, "\n• "))
		impact.Wrapping = fyne.TextWrapWord
		content.Add(banner(theme.ColorNameWarning, container.NewVBox(sectionLabel("What it will break"), impact)))
	}
	if !plan.Reversible {
		content.Add(dangerLabel("This change cannot be undone."))
	}

	ok := widget.NewButtonWithIcon("Apply", theme.ConfirmIcon(), nil)
	if plan.UndoOf != "" {
		ok.SetText("Apply undo")
	}
	ok.Importance = widget.DangerImportance
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), nil)
	cd := &confirmDialog{ok: ok, cancel: cancel}
	if plan.Broad {
		prompt := widget.NewLabel(fmt.Sprintf("This change is broad. To confirm it, type %s (the name of what it changes) exactly:", plan.ConfirmWord))
		prompt.Wrapping = fyne.TextWrapWord
		cd.word = widget.NewEntry()
		cd.word.SetPlaceHolder(plan.ConfirmWord)
		ok.Disable()
		cd.word.OnChanged = func(s string) {
			if s == plan.ConfirmWord {
				ok.Enable()
			} else {
				ok.Disable()
			}
		}
		cd.word.OnSubmitted = func(string) { ok.OnTapped() }
		content.Add(prompt)
		content.Add(cd.word)
	} else {
		content.Add(widget.NewLabel("Nothing has been sent yet. Apply it now?"))
	}

	title := "Apply change " + plan.ID + "?"
	if plan.UndoOf != "" {
		title = "Undo change " + plan.UndoOf + "?"
	}
	cd.d = dialog.NewCustomWithoutButtons(title, content, u.w)
	cd.d.SetButtons([]fyne.CanvasObject{cancel, ok})
	cancel.OnTapped = cd.d.Hide
	ok.OnTapped = func() {
		word := plan.ConfirmWord
		if cd.word != nil {
			word = cd.word.Text
			if word != plan.ConfirmWord { // Enter in the entry before it matches
				return
			}
		}
		cd.d.Hide()
		then(word)
	}
	p.showDialog(cd)
	if cd.word != nil {
		u.w.Canvas().Focus(cd.word)
	}
}

// askResume shows what resuming would do, change by change as the
// journal tells it, and resumes only when the person says so.
func (p *changesPane) askResume(open []app.ChangeRun, then func()) {
	var reports []string
	for _, r := range open {
		reports = append(reports, strings.TrimRight(r.Report(), "\n"))
	}
	count := "1 change is"
	if len(open) > 1 {
		count = fmt.Sprintf("%d changes are", len(open))
	}
	intro := widget.NewLabel(count + " unfinished. Resuming re-reads each resource first: a step the account already shows in place is recorded as such and not sent again; only what is missing is sent.")
	intro.Wrapping = fyne.TextWrapWord
	report := widget.NewLabel(strings.Join(reports, "\n\n"))
	report.TextStyle = fyne.TextStyle{Monospace: true}
	report.Wrapping = fyne.TextWrapBreak
	ok := widget.NewButtonWithIcon("Resume", theme.MediaPlayIcon(), nil)
	ok.Importance = widget.DangerImportance
	cancel := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), nil)
	cd := &confirmDialog{ok: ok, cancel: cancel}
	cd.d = dialog.NewCustomWithoutButtons("Resume unfinished changes?", container.NewVBox(intro, report), p.ws.u.w)
	cd.d.SetButtons([]fyne.CanvasObject{cancel, ok})
	cancel.OnTapped = cd.d.Hide
	ok.OnTapped = func() {
		cd.d.Hide()
		then()
	}
	p.showDialog(cd)
}

// show puts a confirmation on screen, wide enough to read, and forgets it
// when it closes.
func (p *changesPane) showDialog(cd *confirmDialog) {
	p.confirm = cd
	cd.d.SetOnClosed(func() {
		if p.confirm == cd {
			p.confirm = nil
		}
	})
	width := max(cd.d.MinSize().Width, 680)
	cd.d.Resize(fyne.NewSize(width, cd.d.MinSize().Height))
	cd.d.Show()
	// Wrapped text knows its height only once laid out at the dialog's
	// width: fit the height again now that it is.
	cd.d.Resize(fyne.NewSize(width, cd.d.MinSize().Height))
}

// dangerLabel is a bold warning in the danger colour.
func dangerLabel(s string) *widget.Label {
	l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	return l
}
