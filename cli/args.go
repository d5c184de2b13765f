package cli

import (
	"fmt"
	"strings"
)

// Spec declares a command's flags. People type flags before, between and
// after arguments ("report ID --out x.pdf"), so parsing is interspersed,
// unlike the standard flag package which stops at the first argument.
type Spec struct {
	// Bools are flags without a value (--json).
	Bools []string
	// Values are flags that take one value (--out FILE or --out=FILE).
	// A value flag given several times keeps every value, in order.
	Values []string
}

// Args is the result of parsing: positional arguments and flag values.
type Args struct {
	Pos    []string
	bools  map[string]bool
	values map[string][]string
}

// Bool reports whether a boolean flag was given.
func (a Args) Bool(name string) bool { return a.bools[name] }

// Value returns the last value of a value flag, or def.
func (a Args) Value(name, def string) string {
	if v := a.values[name]; len(v) > 0 {
		return v[len(v)-1]
	}
	return def
}

// Values returns every value given for a value flag.
func (a Args) Values(name string) []string { return a.values[name] }

// Has reports whether a value flag was given at all.
func (a Args) Has(name string) bool { return len(a.values[name]) > 0 }

// Parse splits args by spec. "--" ends flag parsing; "-x" and "--x" are
// the same flag; "--help"/"-h" are always recognised as the bool "help".
func Parse(args []string, spec Spec) (Args, error) {
	out := Args{bools: map[string]bool{}, values: map[string][]string{}}
	isBool := map[string]bool{"help": true}
	for _, b := range spec.Bools {
		isBool[b] = true
	}
	isValue := map[string]bool{}
	for _, v := range spec.Values {
		isValue[v] = true
	}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			out.Pos = append(out.Pos, args[i+1:]...)
			break
		}
		if len(arg) < 2 || arg[0] != '-' || isNumber(arg) {
			out.Pos = append(out.Pos, arg)
			continue
		}
		name := strings.TrimLeft(arg, "-")
		value, hasValue := "", false
		if k := strings.IndexByte(name, '='); k >= 0 {
			name, value, hasValue = name[:k], name[k+1:], true
		}
		if name == "h" {
			name = "help"
		}
		switch {
		case isBool[name]:
			if hasValue {
				switch strings.ToLower(value) {
				case "true", "1", "yes":
					out.bools[name] = true
				case "false", "0", "no":
					out.bools[name] = false
				default:
					return out, fmt.Errorf("flag --%s takes no value (got %q)", name, value)
				}
				continue
			}
			out.bools[name] = true
		case isValue[name]:
			if !hasValue {
				if i+1 >= len(args) {
					return out, fmt.Errorf("flag --%s needs a value", name)
				}
				i++
				value = args[i]
			}
			out.values[name] = append(out.values[name], value)
		default:
			return out, fmt.Errorf("unknown flag %s", arg)
		}
	}
	return out, nil
}

// isNumber lets negative numbers through as arguments.
func isNumber(s string) bool {
	for i, r := range s {
		if i == 0 && r == '-' {
			continue
		}
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return true
}
