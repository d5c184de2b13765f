package main

import (
	"runtime/debug"
	"strings"
)

// Set at release time by scripts/release.sh with
// -ldflags "-X main.version=1.2.3 -X main.commit=SHA -X main.date=TIME".
// A plain `go build` or `go run .` leaves them empty.
var version, commit, date string

// buildVersion is what `s3responder version` prints after the program's
// name: the version, then the commit and the build time where known. A
// build without -ldflags says "dev", with the commit the go command
// recorded from the checkout, if it did (not under -buildvcs=false).
func buildVersion() string {
	v, c, d := version, commit, date
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version // go install module@version
		}
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if len(c) > 12 {
			c = c[:12] // as unique as git's short form needs here
		}
		if modified && commit == "" && c != "" {
			c += "+changes"
		}
	}
	return formatVersion(v, c, d)
}

// formatVersion puts the parts on one line: "0.2.0 (commit 1a2b3c4d5e6f,
// built 2026-12-08T00:00:00Z)"; scripts read the version as the second
// word of `s3responder version`.
func formatVersion(v, c, d string) string {
	if v == "" {
		v = "dev"
	}
	var extra []string
	if c != "" {
		extra = append(extra, "commit "+c)
	}
	if d != "" {
		extra = append(extra, "built "+d)
	}
	if len(extra) == 0 {
		return v
	}
	return v + " (" + strings.Join(extra, ", ") + ")"
}
