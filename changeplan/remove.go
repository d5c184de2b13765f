package changeplan

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"s3responder/app"
	"s3responder/exposure"
)

// RemoveStatements takes statements out of a bucket policy, keeping the
// others exactly as written. which names them by Sid or position, comma
// separated; empty, it means every Allow statement the evaluator found
// public or shared with another account. It returns the new policy (Null
// when no statement is left) and the evaluator's findings on the
// statements it removed, in their order. bucket is only for the errors.
func RemoveStatements(policy json.RawMessage, verdict exposure.PolicyResult, which, bucket string) (json.RawMessage, []exposure.StatementFinding, error) {
	doc, err := ParsePolicy(policy)
	if err != nil {
		return nil, nil, err
	}
	if len(doc.Statements) != len(verdict.Statements) {
		return nil, nil, fmt.Errorf("%w: the policy of %s has %d statements but %d were judged", app.ErrInvalid, bucket, len(doc.Statements), len(verdict.Statements))
	}
	drop := map[int]bool{}
	if which == "" {
		for _, f := range verdict.Statements {
			if f.Effect == "Allow" && (f.Public || f.Shared) {
				drop[f.Index] = true
			}
		}
		if len(drop) == 0 {
			return nil, nil, fmt.Errorf("no statement of the policy of %s makes it public or shares it with another account: %w", bucket, app.ErrNoChange)
		}
	} else {
		for _, w := range strings.Split(which, ",") {
			w = strings.TrimSpace(w)
			i, err := strconv.Atoi(w)
			if err != nil {
				i = -1
				for _, f := range verdict.Statements {
					if f.Sid == w {
						i = f.Index
					}
				}
			}
			if i < 0 || i >= len(doc.Statements) {
				return nil, nil, fmt.Errorf("%w: the policy of %s has no statement %q (give a Sid or a position from 0 to %d)", app.ErrInvalid, bucket, w, len(doc.Statements)-1)
			}
			drop[i] = true
		}
	}
	var kept []json.RawMessage
	var dropped []exposure.StatementFinding
	for i, st := range doc.Statements {
		if !drop[i] {
			kept = append(kept, st)
			continue
		}
		dropped = append(dropped, verdict.Statements[i])
	}
	doc.Statements = kept
	return doc.Encode(), dropped, nil
}

// StatementLabel names a statement for a person: its position, and its
// Sid when it has one.
func StatementLabel(f exposure.StatementFinding) string {
	if f.Sid != "" {
		return fmt.Sprintf("statement %d (%s)", f.Index, f.Sid)
	}
	return fmt.Sprintf("statement %d", f.Index)
}

// LosesAccess says who loses access when a statement goes: the accounts it
// shares with, or, for a public one, everyone it lets in.
func LosesAccess(f exposure.StatementFinding) string {
	if len(f.SharedWith) > 0 && !f.Public {
		return strings.Join(f.SharedWith, ", ")
	}
	return "everyone it lets in"
}
