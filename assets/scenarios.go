package assets

import "embed"

// Scenarios holds the built-in tabletop exercise scenarios, one YAML file
// each under scenarios/ (the format is described in package tabletop).
// They ship in the binary so a facilitator can run an exercise on a
// machine with nothing else installed.
//
//go:embed scenarios/*.yaml
var Scenarios embed.FS
