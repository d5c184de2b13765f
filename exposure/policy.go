package exposure

import "strings"

// Policy is a parsed bucket policy. Only what decides exposure is kept,
// but nothing is normalised away: principals, actions and condition values
// stay as written so that reasons can quote them.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one policy statement.
type Statement struct {
	// Index is the zero-based position in the Statement list (a policy
	// with a single Statement object has one statement at index 0).
	Index  int
	Sid    string
	Effect string // "Allow" or "Deny"
	// Principal and NotPrincipal: at most one is set.
	Principal    *Principal
	NotPrincipal *Principal
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	Conditions   []Condition
}

// Principal is the Principal (or NotPrincipal) element. "*" and {"AWS":"*"}
// both set Anyone.
type Principal struct {
	Anyone        bool
	AWS           []string
	Service       []string
	CanonicalUser []string
	Federated     []string
}

// Condition is one operator/key pair of a Condition block, for example
// "ForAnyValue:StringLikeIfExists" on "aws:SourceVpc".
type Condition struct {
	// Operator is as written; Base is it without the set qualifier and
	// IfExists suffix ("StringLike").
	Operator  string
	Base      string
	Qualifier string // "", "ForAnyValue" or "ForAllValues"
	IfExists  bool
	Key       string
	Values    []string
}

// conditionOperators are the IAM condition operators (without set
// qualifiers and IfExists), keyed by lower case. IAM matches operator
// names exactly; we accept any case because a wrongly cased operator in a
// saved file is still clearly meant, and a verdict is more useful than an
// error there.
var conditionOperators = func() map[string]string {
	m := map[string]string{}
	for _, op := range []string{
		"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
		"StringLike", "StringNotLike",
		"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
		"NumericGreaterThan", "NumericGreaterThanEquals",
		"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
		"DateGreaterThan", "DateGreaterThanEquals",
		"Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
		"ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike", "Null",
	} {
		m[strings.ToLower(op)] = op
	}
	return m
}()

// ParsePolicy parses a bucket policy document. Errors are *SyntaxError
// values (which wrap app.ErrInvalid) naming the line and column.
func ParsePolicy(doc string) (*Policy, error) {
	c := shapeChecker{what: "bucket policy", src: []byte(doc)}
	root, err := parseTree(c.what, c.src)
	if err != nil {
		return nil, err
	}
	if root.kind != kindObject {
		return nil, c.at(root, "a policy must be a JSON object, not %s", root.kind)
	}
	p := &Policy{}
	var stmts *node
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "Version", "Id":
			if v.kind != kindString {
				return nil, c.at(v, "%s must be a string", k)
			}
			if k == "Version" {
				p.Version = v.text
			} else {
				p.ID = v.text
			}
		case "Statement":
			stmts = v
		default:
			return nil, newSyntaxError(c.what, c.src, root.keyOff[i], "unknown policy element "+quote(k)+" (element names are case-sensitive)")
		}
	}
	if stmts == nil {
		return nil, c.at(root, "the policy has no Statement")
	}
	list := []*node{stmts}
	if stmts.kind == kindArray {
		list = stmts.vals
	}
	for i, sn := range list {
		st, err := parseStatement(c, sn, i)
		if err != nil {
			return nil, err
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(c shapeChecker, n *node, index int) (Statement, error) {
	st := Statement{Index: index}
	if n.kind != kindObject {
		return st, c.at(n, "statement %d must be an object, not %s", index+1, n.kind)
	}
	var err error
	for i, k := range n.keys {
		v := n.vals[i]
		switch k {
		case "Sid":
			if v.kind != kindString {
				return st, c.at(v, "Sid must be a string")
			}
			st.Sid = v.text
		case "Effect":
			if v.kind != kindString || (v.text != "Allow" && v.text != "Deny") {
				return st, c.at(v, "Effect must be \"Allow\" or \"Deny\" (exactly so), not %s", show(v))
			}
			st.Effect = v.text
		case "Principal", "NotPrincipal":
			pr, err := parsePrincipal(c, v, k)
			if err != nil {
				return st, err
			}
			if k == "Principal" {
				st.Principal = pr
			} else {
				st.NotPrincipal = pr
			}
		case "Action":
			st.Action, err = c.strings(v, k, false)
		case "NotAction":
			st.NotAction, err = c.strings(v, k, false)
		case "Resource":
			st.Resource, err = c.strings(v, k, false)
		case "NotResource":
			st.NotResource, err = c.strings(v, k, false)
		case "Condition":
			st.Conditions, err = parseConditions(c, v)
		default:
			return st, newSyntaxError(c.what, c.src, n.keyOff[i], "unknown statement element "+quote(k)+" (element names are case-sensitive)")
		}
		if err != nil {
			return st, err
		}
	}
	switch {
	case st.Effect == "":
		return st, c.at(n, "statement %d has no Effect", index+1)
	case st.Principal == nil && st.NotPrincipal == nil:
		return st, c.at(n, "statement %d has no Principal: a bucket policy statement must say who it applies to", index+1)
	case st.Principal != nil && st.NotPrincipal != nil:
		return st, c.at(n, "statement %d has both Principal and NotPrincipal", index+1)
	case st.Action == nil && st.NotAction == nil:
		return st, c.at(n, "statement %d has no Action or NotAction", index+1)
	case st.Action != nil && st.NotAction != nil:
		return st, c.at(n, "statement %d has both Action and NotAction", index+1)
	}
	return st, nil
}

func parsePrincipal(c shapeChecker, n *node, field string) (*Principal, error) {
	p := &Principal{}
	if n.kind == kindString {
		if n.text != "*" {
			return nil, c.at(n, "%s as a plain string must be \"*\"; name principals as {\"AWS\": ...}, {\"Service\": ...} and so on", field)
		}
		p.Anyone = true
		return p, nil
	}
	if n.kind != kindObject {
		return nil, c.at(n, "%s must be \"*\" or an object, not %s", field, n.kind)
	}
	for i, k := range n.keys {
		vals, err := c.strings(n.vals[i], field+" "+k, false)
		if err != nil {
			return nil, err
		}
		switch k {
		case "AWS":
			p.AWS = append(p.AWS, vals...)
		case "Service":
			p.Service = append(p.Service, vals...)
		case "CanonicalUser":
			p.CanonicalUser = append(p.CanonicalUser, vals...)
		case "Federated":
			p.Federated = append(p.Federated, vals...)
		default:
			return nil, newSyntaxError(c.what, c.src, n.keyOff[i], "unknown principal type "+quote(k)+" (expected AWS, Service, CanonicalUser or Federated)")
		}
	}
	for _, v := range p.AWS {
		if v == "*" {
			p.Anyone = true
		}
	}
	return p, nil
}

func parseConditions(c shapeChecker, n *node) ([]Condition, error) {
	if n.kind != kindObject {
		return nil, c.at(n, "Condition must be an object, not %s", n.kind)
	}
	var out []Condition
	for i, op := range n.keys {
		block := n.vals[i]
		cond := Condition{Operator: op}
		rest := op
		if q, r, ok := strings.Cut(op, ":"); ok {
			switch strings.ToLower(q) {
			case "foranyvalue":
				cond.Qualifier = "ForAnyValue"
			case "forallvalues":
				cond.Qualifier = "ForAllValues"
			default:
				return nil, newSyntaxError(c.what, c.src, n.keyOff[i], "unknown condition qualifier "+quote(q)+" (expected ForAnyValue or ForAllValues)")
			}
			rest = r
		}
		if len(rest) > len("IfExists") && strings.EqualFold(rest[len(rest)-len("IfExists"):], "IfExists") {
			cond.IfExists = true
			rest = rest[:len(rest)-len("IfExists")]
		}
		base, ok := conditionOperators[strings.ToLower(rest)]
		if !ok {
			return nil, newSyntaxError(c.what, c.src, n.keyOff[i], "unknown condition operator "+quote(op))
		}
		cond.Base = base
		if block.kind != kindObject {
			return nil, c.at(block, "the %s condition must be an object of keys and values, not %s", op, block.kind)
		}
		for j, key := range block.keys {
			vals, err := c.strings(block.vals[j], "the value of "+key, true)
			if err != nil {
				return nil, err
			}
			cc := cond
			cc.Key = key
			cc.Values = vals
			out = append(out, cc)
		}
	}
	return out, nil
}

func show(n *node) string {
	if n.kind == kindString {
		return quote(n.text)
	}
	return n.kind.String()
}
