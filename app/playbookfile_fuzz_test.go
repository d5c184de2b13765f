package app_test

import (
	"errors"
	"strings"
	"testing"

	"s3responder/app"
	"s3responder/assets"
)

// FuzzParsePlaybook feeds ParsePlaybook arbitrary bytes. Responders import
// playbooks written by hand, so a malformed file must come back as
// positioned errors, never as a panic; and whatever parses must be safe to
// navigate.
func FuzzParsePlaybook(f *testing.F) {
	good := string(assets.Playbook)
	seeds := []string{
		good,
		validSmall,
		good[:len(good)/2],
		good[:len(good)/3],
		strings.Replace(good, `id: "1.4.2"`, `id: "1.4.1"`, 1),
		strings.Replace(good, `goto: "2"`, `goto: "nowhere"`, 1),
		strings.Replace(good, "guidance:", "guidence:", 1),
		strings.Replace(good, "actions: [s3.bucket-tags]", "actions: [s3.no-such-action]", 1),
		strings.Replace(good, "    title: Contain the incident", "   title: Contain the incident", 1),
		strings.ReplaceAll(validSmall, "\n", "\r\n"),
		"",
		"~",
		"[]",
		"id: x\nversion: 1\nparts: [~]\n",
		"id: x\nversion: 1\nparts:\n  - ~\n  - id: a\n    title: A\n",
		"id: x\nversion: 1\nparts: [{id: a, title: A, steps: [~, {id: b, title: B}]}]\n",
		"id: x\nversion: 1\nparts: [{id: a, title: A, decision: ~}]\n",
		"id: x\nversion: 1\nparts: [{id: a, title: A, decision: {question: q, options: [~, ~]}}]\n",
		"id: x\nversion: 1\nparts: [{id: a, title: A, decision: {question: q, options: [{id: o, goto: a, return: a}, {id: p, excludes: [a, a]}]}}]\n",
		"id: x\nversion: 1\nactions: [~, {id: ''}]\nparts: [{id: a, title: A, actions: [~]}]\n",
		"id: x\nversion: 1\nparts: &p [{id: a, title: A, steps: *p}]\n",
		"a: &a [*a, *a]\n",
		"id: x\nversion: 1\nactions: &s [~]\nparts: [{id: a, title: A, steps: *s}]\n",
		`{"id":"x","version":"1","parts":[{"id":"1","title":"T","steps":[{"id":"1.1","title":"S"}]}]}`,
		"id: x\nversion: 1\nparts:\n- id: '1'\n  title: T\n  steps:\n  - id: '1'\n    title: U\n",
		"---\nid: x\n---\nid: y\n",
		"id: [unclosed\n",
		"\t- tab\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pb, err := app.ParsePlaybook("fuzz.yaml", data)
		if err != nil {
			if pb != nil {
				t.Fatal("a playbook came back with an error")
			}
			if !errors.Is(err, app.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			var pe app.PlaybookErrors
			if !errors.As(err, &pe) || len(pe) == 0 {
				t.Fatalf("error is not a non-empty PlaybookErrors: %v", err)
			}
			for _, e := range pe {
				if e.File != "fuzz.yaml" || e.Msg == "" || e.Line < 0 {
					t.Fatalf("badly formed error %+v", e)
				}
			}
			return
		}
		// What validates must navigate: every step is indexed, every jump
		// and exclusion resolves, and the walk functions do not panic.
		c := app.Case{Steps: map[string]app.StepState{}}
		for _, s := range pb.Steps() {
			if got, ok := pb.Step(s.ID); !ok || got == nil {
				t.Fatalf("step %q is not indexed", s.ID)
			}
			if pb.PartOf(s.ID) == nil {
				t.Fatalf("step %q has no part", s.ID)
			}
			if s.Decision == nil {
				continue
			}
			for _, o := range s.Decision.Options {
				for _, id := range append([]string{o.Goto, o.Return}, o.Excludes...) {
					if _, ok := pb.Step(id); id != "" && !ok {
						t.Fatalf("step %q option %q refers to unknown %q", s.ID, o.ID, id)
					}
				}
			}
			c.Steps[s.ID] = app.StepState{StepID: s.ID, Status: app.StepDoing, Choices: []string{s.Decision.Options[0].ID}}
		}
		_ = pb.NextStep(app.Case{})
		_ = pb.NextStep(c)
		for _, p := range pb.Parts {
			r, total := pb.Progress(c, p.ID)
			if r < 0 || r > total {
				t.Fatalf("progress %d/%d", r, total)
			}
		}
	})
}
