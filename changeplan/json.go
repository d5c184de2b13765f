package changeplan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"s3responder/app"
)

// Null is the state of a resource that does not exist (JSON null): no
// bucket policy, no inline policy, a deleted key.
const Null = "null"

// Compact returns doc without insignificant spaces, or doc as it is when
// it is not JSON, so that states compare and print the same wherever they
// come from.
func Compact(doc []byte) json.RawMessage {
	var out bytes.Buffer
	if err := json.Compact(&out, doc); err != nil {
		return doc
	}
	return out.Bytes()
}

// SameJSON compares two small JSON values by meaning (member order and
// spacing aside); values that are not JSON compare as bytes.
func SameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// StringList reads a policy value that is one string or a list of them.
func StringList(raw json.RawMessage) ([]string, bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, true
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many, true
	}
	return nil, false
}

// Object is a JSON object as its members in order, so that an edit
// leaves everything it does not touch as written.
type Object struct {
	keys    []string
	members map[string]json.RawMessage
}

// ParseObject reads any JSON object as its members in order.
func ParseObject(raw json.RawMessage) (*Object, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%w: not a JSON object", app.ErrInvalid)
	}
	o := &Object{members: map[string]json.RawMessage{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", app.ErrInvalid, err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: member %s: %v", app.ErrInvalid, key, err)
		}
		o.Set(key, v)
	}
	return o, nil
}

// Get returns a member's value as written.
func (o *Object) Get(key string) (json.RawMessage, bool) {
	v, ok := o.members[key]
	return v, ok
}

// Keys returns the member names in order.
func (o *Object) Keys() []string { return slices.Clone(o.keys) }

// Set replaces a member's value, or adds the member last.
func (o *Object) Set(key string, v json.RawMessage) {
	if _, ok := o.members[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.members[key] = v
}

// Remove drops a member.
func (o *Object) Remove(key string) {
	delete(o.members, key)
	o.keys = slices.DeleteFunc(o.keys, func(k string) bool { return k == key })
}

// Encode writes the object back compact, members in their order.
func (o *Object) Encode() json.RawMessage {
	var b bytes.Buffer
	b.WriteString("{")
	for i, k := range o.keys {
		if i > 0 {
			b.WriteString(",")
		}
		name, _ := json.Marshal(k)
		b.Write(name)
		b.WriteString(":")
		b.Write(Compact(o.members[k]))
	}
	b.WriteString("}")
	return b.Bytes()
}
