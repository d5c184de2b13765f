package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// PlaybookError is one problem in a playbook file, with where it is.
type PlaybookError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e PlaybookError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// PlaybookErrors is every problem found in one file; a responder fixing a
// custom playbook wants them all at once, not one per try.
type PlaybookErrors []PlaybookError

func (es PlaybookErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalid) hold for a bad playbook.
func (es PlaybookErrors) Unwrap() error { return ErrInvalid }

// ParsePlaybook reads a playbook in YAML (JSON is accepted too, being YAML)
// and validates it. name is used in error messages. Unknown fields are
// errors: a typo in a custom playbook must not silently drop a jump.
//
// The SHA-256 that pins it is of data as given, the bytes that are saved;
// the text is read through DecodeText, like every document people hand us.
func ParsePlaybook(name string, data []byte) (*Playbook, error) {
	var pb Playbook
	raw := data
	data, err := DecodeText(data)
	if err != nil {
		return nil, PlaybookErrors{{File: name, Msg: err.Error()}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&pb); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, PlaybookErrors{{File: name, Msg: "the file is empty"}}
		}
		return nil, PlaybookErrors{yamlError(name, err)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, PlaybookErrors{yamlError(name, err)}
	}
	if errs := locate(name, &pb, &root); len(errs) > 0 {
		return nil, errs
	}
	sum := sha256.Sum256(raw)
	pb.SHA256 = hex.EncodeToString(sum[:])
	if errs := pb.validate(name); len(errs) > 0 {
		return nil, errs
	}
	return &pb, nil
}

// yamlError turns a yaml.v3 error ("yaml: line 12: ...") into a positioned one.
func yamlError(name string, err error) PlaybookError {
	msg := err.Error()
	var line int
	if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return PlaybookError{File: name, Line: line, Column: 1, Msg: msg}
}

// mapValue returns the value node for key in a mapping node.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// locate walks the node tree beside the decoded structs and copies line and
// column into steps and options. It also reports null entries in a list of
// steps ("- ~" or a bare "-"), which decode to nil steps that nothing after
// this point could handle.
func locate(name string, pb *Playbook, root *yaml.Node) PlaybookErrors {
	var errs PlaybookErrors
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	var walk func(steps []*Step, seq *yaml.Node, where string)
	walk = func(steps []*Step, seq *yaml.Node, where string) {
		if seq != nil && seq.Kind == yaml.AliasNode {
			seq = seq.Alias
		}
		if seq != nil && seq.Kind != yaml.SequenceNode {
			seq = nil
		}
		for i, s := range steps {
			var n *yaml.Node
			if seq != nil && i < len(seq.Content) {
				n = seq.Content[i]
			}
			if s == nil {
				e := PlaybookError{File: name, Msg: fmt.Sprintf("entry %d of %s is empty", i+1, where)}
				if n != nil {
					e.Line, e.Column = n.Line, n.Column
				}
				errs = append(errs, e)
				continue
			}
			if n != nil {
				s.Line, s.Column = n.Line, n.Column
				if s.Decision != nil {
					opts := mapValue(mapValue(n, "decision"), "options")
					for j := range s.Decision.Options {
						if opts != nil && j < len(opts.Content) {
							s.Decision.Options[j].Line = opts.Content[j].Line
							s.Decision.Options[j].Column = opts.Content[j].Column
						}
					}
				}
			}
			walk(s.Steps, mapValue(n, "steps"), fmt.Sprintf("the steps of %q", s.ID))
		}
	}
	walk(pb.Parts, mapValue(doc, "parts"), "parts")
	return errs
}

// validate checks what a playbook must hold for the wizard to work: ids,
// titles, resolvable jumps and actions, and no step that no route reaches.
func (pb *Playbook) validate(name string) PlaybookErrors {
	var errs PlaybookErrors
	at := func(line, col int, format string, a ...any) {
		errs = append(errs, PlaybookError{File: name, Line: line, Column: col, Msg: fmt.Sprintf(format, a...)})
	}
	if strings.TrimSpace(pb.ID) == "" {
		at(1, 1, "the playbook has no id")
	}
	if strings.TrimSpace(pb.Version) == "" {
		at(1, 1, "the playbook has no version")
	}
	if len(pb.Parts) == 0 {
		at(1, 1, "the playbook has no parts")
	}
	seenAct := map[string]bool{}
	for _, a := range pb.Actions {
		if a.ID == "" {
			at(0, 0, "an action has no id")
		} else if seenAct[a.ID] {
			at(0, 0, "duplicate action id %q", a.ID)
		}
		seenAct[a.ID] = true
	}
	for _, d := range pb.build() {
		first := pb.index[d.ID]
		at(d.Line, d.Column, "duplicate step id %q (first used at line %d)", d.ID, first.Line)
	}
	for _, s := range pb.order {
		if strings.TrimSpace(s.ID) == "" {
			at(s.Line, s.Column, "a step has no id")
		}
		if strings.TrimSpace(s.Title) == "" {
			at(s.Line, s.Column, "step %q has no title", s.ID)
		}
		for _, a := range s.Actions {
			if _, ok := pb.acts[a]; !ok {
				at(s.Line, s.Column, "step %q offers action %q, which the actions list does not define", s.ID, a)
			}
		}
		if s.Decision == nil {
			continue
		}
		if len(s.Decision.Options) < 2 {
			at(s.Line, s.Column, "step %q asks a question with fewer than two options", s.ID)
		}
		seenOpt := map[string]bool{}
		for _, o := range s.Decision.Options {
			if o.ID == "" || seenOpt[o.ID] {
				at(o.Line, o.Column, "step %q: option ids must be present and unique (%q)", s.ID, o.ID)
			}
			seenOpt[o.ID] = true
			for _, ref := range []struct{ what, id string }{{"goto", o.Goto}, {"return", o.Return}} {
				if ref.id != "" {
					if _, ok := pb.index[ref.id]; !ok {
						at(o.Line, o.Column, "step %q option %q: %s target %q is not a step in this playbook", s.ID, o.ID, ref.what, ref.id)
					}
				}
			}
			if o.Return != "" && o.Goto == "" {
				at(o.Line, o.Column, "step %q option %q: return %q needs a goto", s.ID, o.ID, o.Return)
			}
			for _, x := range o.Excludes {
				if _, ok := pb.index[x]; !ok {
					at(o.Line, o.Column, "step %q option %q excludes %q, which is not a step in this playbook", s.ID, o.ID, x)
				}
				if x == o.Goto || x == o.Return {
					at(o.Line, o.Column, "step %q option %q both jumps to and excludes %q", s.ID, o.ID, x)
				}
			}
		}
	}
	// A step excluded by every option of a decision can never be reached.
	unreachable := map[string]*Step{}
	for _, s := range pb.order {
		if s.Decision == nil || len(s.Decision.Options) == 0 {
			continue
		}
		counts := map[string]int{}
		for _, o := range s.Decision.Options {
			for _, x := range o.Excludes {
				counts[x]++
			}
		}
		for x, k := range counts {
			if k == len(s.Decision.Options) {
				if st, ok := pb.index[x]; ok {
					unreachable[x] = st
				}
			}
		}
	}
	ids := make([]string, 0, len(unreachable))
	for id := range unreachable {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		st := unreachable[id]
		at(st.Line, st.Column, "step %q is unreachable: every option of the decision that governs it excludes it", id)
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	return errs
}
