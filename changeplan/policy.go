package changeplan

import (
	"bytes"
	"encoding/json"
	"fmt"

	"s3responder/app"
)

// Policy is a policy document as its top-level members in their order,
// with the statements kept as written, so that an edit leaves every
// statement it does not touch exactly as it was.
type Policy struct {
	keys    []string
	members map[string]json.RawMessage
	// Statements are the policy's statements as written; edit them and
	// Encode the policy.
	Statements []json.RawMessage
}

// NewPolicy is an empty policy of the current language version, to which
// statements are added.
func NewPolicy() *Policy {
	return &Policy{keys: []string{"Version", "Statement"}, members: map[string]json.RawMessage{"Version": json.RawMessage(`"2012-10-17"`), "Statement": nil}}
}

// ParsePolicy reads a policy document; a single statement not in a list
// counts as a list of one.
func ParsePolicy(raw json.RawMessage) (*Policy, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%w: the policy is not a JSON object", app.ErrInvalid)
	}
	p := &Policy{members: map[string]json.RawMessage{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: read the policy: %v", app.ErrInvalid, err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: read the policy's %s: %v", app.ErrInvalid, key, err)
		}
		if key == "Statement" {
			if t := bytes.TrimSpace(v); len(t) > 0 && t[0] == '[' {
				if err := json.Unmarshal(v, &p.Statements); err != nil {
					return nil, fmt.Errorf("%w: read the policy's statements: %v", app.ErrInvalid, err)
				}
			} else {
				p.Statements = []json.RawMessage{v}
			}
		}
		if _, dup := p.members[key]; !dup {
			p.keys = append(p.keys, key)
		}
		p.members[key] = v
	}
	if _, ok := p.members["Statement"]; !ok {
		return nil, fmt.Errorf("%w: the policy has no Statement", app.ErrInvalid)
	}
	return p, nil
}

// Encode writes the policy back, members in their first order; an empty
// statement list makes the policy absent (JSON null), as S3 and IAM
// refuse a policy without statements.
func (p *Policy) Encode() json.RawMessage {
	if len(p.Statements) == 0 {
		return json.RawMessage(Null)
	}
	var b bytes.Buffer
	b.WriteString("{")
	for i, k := range p.keys {
		if i > 0 {
			b.WriteString(",")
		}
		name, _ := json.Marshal(k)
		b.Write(name)
		b.WriteString(":")
		if k == "Statement" {
			b.WriteString("[")
			for j, st := range p.Statements {
				if j > 0 {
					b.WriteString(",")
				}
				b.Write(Compact(st))
			}
			b.WriteString("]")
			continue
		}
		b.Write(Compact(p.members[k]))
	}
	b.WriteString("}")
	return b.Bytes()
}

// StatementSid returns a statement's Sid, empty when it has none.
func StatementSid(st json.RawMessage) string {
	var v struct{ Sid string }
	_ = json.Unmarshal(st, &v)
	return v.Sid
}

// PutStatement returns policy (absent: a new one) with the statement whose
// Sid is sid replaced by st, or st added last when there is none, so that
// putting the same statement twice does not pile up copies.
func PutStatement(policy json.RawMessage, sid string, st json.RawMessage) (json.RawMessage, error) {
	doc := NewPolicy()
	if string(policy) != Null {
		var err error
		if doc, err = ParsePolicy(policy); err != nil {
			return nil, err
		}
	}
	replaced := false
	for i, s := range doc.Statements {
		if StatementSid(s) == sid {
			doc.Statements[i], replaced = st, true
		}
	}
	if !replaced {
		doc.Statements = append(doc.Statements, st)
	}
	return doc.Encode(), nil
}
