// Package assets holds the files the binary carries: the built-in playbook,
// the icon and the report font. Embedding them keeps the app a single file
// that works offline.
package assets

import _ "embed"

// Playbook is the built-in playbook (YAML) for unintended access to an S3
// bucket, in our own words, after AWS's five-part template.
//
//go:embed playbook.yaml
var Playbook []byte
