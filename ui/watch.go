package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"s3responder/app"
)

// credentialWatch is the CloudTrail watch a Changes pane started. It
// lives on the UI's context, not the pane's jobs: a watch lasts half an
// hour, and the responder moves on to other steps meanwhile.
type credentialWatch struct {
	cancel context.CancelFunc
	what   string
}

// watchTarget guesses what to watch from the incident's principals: the
// first AKIA/ASIA access key, else the first role ARN's role name.
func watchTarget(principals []string) (key, role string) {
	for _, pr := range principals {
		pr = strings.TrimSpace(pr)
		if (strings.HasPrefix(pr, "AKIA") || strings.HasPrefix(pr, "ASIA")) && len(pr) >= 16 && !strings.ContainsAny(pr, " :/") {
			return pr, ""
		}
	}
	for _, pr := range principals {
		pr = strings.TrimSpace(pr)
		if i := strings.Index(pr, ":role/"); strings.HasPrefix(pr, "arn:") && i >= 0 {
			return "", pr[strings.LastIndex(pr, "/")+1:]
		}
	}
	return "", ""
}

// parseWatchMinutes reads a duration typed as minutes ("30") or as a Go
// duration ("90s", "1h").
func parseWatchMinutes(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var n float64
	if _, err := fmt.Sscanf(s, "%g", &n); err == nil && fmt.Sprint(n) == s {
		if n <= 0 {
			return 0, fmt.Errorf("%q is not a positive number of minutes", s)
		}
		return time.Duration(n * float64(time.Minute)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is neither minutes nor a duration like 90s", s)
	}
	return d, nil
}

// onWatch asks what to watch and starts the watch, or, while one runs,
// offers to stop it.
func (p *changesPane) onWatch() {
	if w := p.watch; w != nil {
		dialog.ShowConfirm("Stop watching?", "Stop watching CloudTrail for "+w.what+"? What was found so far stays on the timeline.",
			func(ok bool) {
				if ok && p.watch == w {
					w.cancel()
				}
			}, p.ws.u.w)
		return
	}
	key, role := "", ""
	if p.ws.loaded {
		key, role = watchTarget(p.ws.c.Incident.Principals)
	}
	keyE, roleE := widget.NewEntry(), widget.NewEntry()
	keyE.SetPlaceHolder("AKIA… or ASIA…")
	roleE.SetPlaceHolder("role name")
	keyE.SetText(key)
	roleE.SetText(role)
	durE, everyE := widget.NewEntry(), widget.NewEntry()
	durE.SetText(fmt.Sprint(app.DefaultWatchDuration.Minutes()))
	everyE.SetText(fmt.Sprint(app.DefaultWatchEvery.Minutes()))
	items := []*widget.FormItem{
		widget.NewFormItem("Access key ID", keyE),
		widget.NewFormItem("or role name", roleE),
		widget.NewFormItem("Watch for (min)", durE),
		widget.NewFormItem("Look every (min)", everyE),
	}
	items[0].HintText = "one of the two"
	d := dialog.NewForm("Watch credentials", "Watch", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		req := app.WatchRequest{AccessKeyID: strings.TrimSpace(keyE.Text), RoleName: strings.TrimSpace(roleE.Text)}
		var err error
		if req.Duration, err = parseWatchMinutes(durE.Text); err == nil {
			req.Every, err = parseWatchMinutes(everyE.Text)
		}
		if err == nil && (req.AccessKeyID == "") == (req.RoleName == "") {
			err = errors.New("give either an access key ID or a role name")
		}
		if err != nil {
			p.say(widget.DangerImportance, "Watch not started: "+err.Error())
			return
		}
		p.startWatch(req)
	}, p.ws.u.w)
	d.Resize(fyne.NewSize(420, d.MinSize().Height))
	d.Show()
}

// startWatch runs svc.WatchCredentials in the background on the UI's
// context (cancelled when the window closes), reports each look in the
// status line and ends with a desktop notification. Runs on the UI
// goroutine.
func (p *changesPane) startWatch(req app.WatchRequest) {
	if p.watch != nil || p.ws.u.ctx.Err() != nil {
		return
	}
	u, svc, id, prof := p.ws.u, p.ws.u.svc, p.ws.id, p.appProfile()
	what := "access key " + req.AccessKeyID
	if req.RoleName != "" {
		what = "role " + req.RoleName
	}
	ctx, cancel := context.WithCancel(u.ctx)
	w := &credentialWatch{cancel: cancel, what: what}
	p.watch = w
	p.watchBtn.SetText("Stop watching…")
	p.say(widget.MediumImportance, "Watching CloudTrail for "+what+"…")
	// The timeline shows the start entry the service records.
	p.ws.load()
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		defer cancel()
		res, err := svc.WatchCredentials(ctx, id, prof, req, func(pr app.WatchProgress) {
			text := fmt.Sprintf("Watching %s: look %d, %d call(s) found", what, pr.Poll, pr.Found)
			if !pr.Next.IsZero() {
				text += ", next look at " + pr.Next.Local().Format("15:04:05")
			}
			imp := widget.MediumImportance
			if pr.Found > 0 {
				imp = widget.DangerImportance
			}
			u.do(func() {
				if p.watch == w {
					p.say(imp, text+".")
				}
			})
		})
		u.do(func() { p.watchEnded(w, res, err) })
	}()
}

// watchEnded tells the outcome in the status line and in a notification,
// and reloads the case so the timeline shows the service's summary.
func (p *changesPane) watchEnded(w *credentialWatch, res app.WatchResult, err error) {
	if p.watch == w {
		p.watch = nil
		p.watchBtn.SetText("Watch credentials…")
	}
	title, text, imp := watchVerdict(w.what, res, err)
	p.say(imp, text)
	if p.ws.u.ctx.Err() != nil {
		return
	}
	if a := fyne.CurrentApp(); a != nil {
		a.SendNotification(fyne.NewNotification(title, text))
	}
	p.ws.load()
}

// watchVerdict is the title, text and weight of a watch's outcome.
func watchVerdict(what string, res app.WatchResult, err error) (string, string, widget.Importance) {
	n := len(res.Events)
	switch {
	case n > 0:
		return "Credentials used again", fmt.Sprintf("%d call(s) with %s after containment: see the timeline.", n, what), widget.DangerImportance
	case res.Cancelled:
		return "Credential watch stopped", fmt.Sprintf("Watch of %s stopped after %d look(s); no use found so far.", what, res.Polls), widget.WarningImportance
	case err != nil:
		return "Credential watch failed", explainChange("Watch of "+what, err), widget.DangerImportance
	default:
		return "No further use of credentials", fmt.Sprintf("CloudTrail shows no use of %s in %d look(s).", what, res.Polls), widget.SuccessImportance
	}
}
