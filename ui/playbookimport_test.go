package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

const customPlaybook = `id: team-s3
title: Our S3 runbook
version: "2.0"
parts:
  - id: "1"
    title: Triage
    guidance: Find out what happened.
    steps:
      - id: "1.1"
        title: Call the on-call lead
`

func TestImportPlaybookFromTheList(t *testing.T) {
	h := newHarness(t, newMemStore(), testPlaybook(t))
	dir := t.TempDir()
	good := filepath.Join(dir, "team.yaml")
	require.NoError(t, os.WriteFile(good, []byte(customPlaybook), 0o600))

	h.list().importPlaybook(good)
	h.eventually(func() bool { return h.list().lastInfo != "" }, "no confirmation (last error: %v)", h.u.lastErr)
	assert.Contains(t, h.list().lastInfo, "Imported playbook team-s3 version 2.0")
	assert.Contains(t, h.list().lastInfo, app.HashHex([]byte(customPlaybook)))
	var ids []string
	for _, pb := range h.svc.Playbooks() {
		ids = append(ids, pb.ID)
	}
	assert.Contains(t, ids, "team-s3", "the imported playbook is offered for new incidents")

	bad := filepath.Join(dir, "broken.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(customPlaybook, "title: Call", "titel: Call", 1)), 0o600))
	h.list().importPlaybook(bad)
	h.eventually(func() bool { return h.u.lastErr != nil }, "a broken playbook was accepted")
	assert.Contains(t, h.u.lastErr.Error(), "broken.yaml:10:", "the problem is located by line")
}
