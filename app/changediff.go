package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// canonicalState reduces a state to a form in which two states mean the
// same exactly when they are equal: object keys sorted, numbers as
// written, and a one-element list the same as its element (AWS returns
// "Action": ["s3:GetObject"] for "Action": "s3:GetObject" and the other
// way round). An empty or unparsable state is returned as it is, so it
// compares equal only to itself.
func canonicalState(s json.RawMessage) string {
	s = stateOrNull(s)
	dec := json.NewDecoder(bytes.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(s)
	}
	out, err := json.Marshal(collapse(v))
	if err != nil {
		return string(s)
	}
	return string(out)
}

func collapse(v any) any {
	switch x := v.(type) {
	case []any:
		if len(x) == 1 {
			return collapse(x[0])
		}
		for i := range x {
			x[i] = collapse(x[i])
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = collapse(e)
		}
		return x
	}
	return v
}

// sameState reports whether two states mean the same.
func sameState(a, b json.RawMessage) bool { return canonicalState(a) == canonicalState(b) }

// compactState removes insignificant space, keeping key order; a state
// that is not JSON is returned as it is.
func compactState(s json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, s); err != nil {
		return s
	}
	return b.Bytes()
}

// prettyState indents a state for the diff, keeping key order as AWS
// returned it, so a policy reads the way its author wrote it.
func prettyState(s json.RawMessage) string {
	s = stateOrNull(s)
	if string(compactState(s)) == stateAbsent {
		return "(not set)"
	}
	var b bytes.Buffer
	if err := json.Indent(&b, s, "", "  "); err != nil {
		return string(s)
	}
	return b.String()
}

// lineDiff is a unified-style diff of two texts without hunks: every line,
// prefixed "  " when kept, "- " when removed and "+ " when added. Policies
// are short (20 KB at most), so the quadratic longest common subsequence
// is cheap, and showing the whole document lets the reader see what stays.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	n, m := len(x), len(y)
	// lcs[i][j] is the length of the longest common subsequence of x[i:]
	// and y[j:].
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			out.WriteString("  " + x[i] + "\n")
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			// Removals first, so a replaced line reads old then new.
			out.WriteString("- " + x[i] + "\n")
			i++
		default:
			out.WriteString("+ " + y[j] + "\n")
			j++
		}
	}
	return out.String()
}

// planDiff shows every step's state before and after.
func planDiff(steps []ChangeStep) string {
	var b strings.Builder
	for _, st := range steps {
		fmt.Fprintf(&b, "=== %s (%s)\n", st.Resource.Name, st.Call)
		b.WriteString(lineDiff(prettyState(st.Before), prettyState(st.After)))
	}
	return b.String()
}
