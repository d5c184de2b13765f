package reports

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

func sampleRequest(exercise bool) app.ActionRequest {
	at := time.Date(2026, 3, 14, 11, 5, 0, 0, time.UTC)
	return app.ActionRequest{
		Incident: app.Incident{ID: "INC-20260314-0001", Title: "Données clients exposées — Zoë's export", Severity: app.SeverityP1, Ticket: "SEC-4711", Classification: "Confidential", Exercise: exercise},
		Bucket:   "partner-exports", From: "alice@example.com", At: at,
		Verdict: &app.RequestVerdict{EvidenceID: "EV-20260314T100000-1a2b3c4d", CollectedAt: at.Add(-time.Hour), Access: "Public", Public: true, PolicyPublic: true,
			Reasons: []string{"Public: statement 0 (AnyoneRead) lets anyone (*) call s3:GetObject.", "Block Public Access is off."}},
		Findings: []app.Entry{{EventTime: at.Add(-3 * time.Hour), Kind: app.KindFinding, Text: "Exposure of bucket partner-exports: Public"}},
		Evidence: []app.Evidence{{ID: "EV-20260314T100000-1a2b3c4d", Title: "Exposure verdict of bucket partner-exports", SHA256: strings.Repeat("ab", 32), CollectedAt: at.Add(-time.Hour)}},
		Asks: []app.RequestAsk{
			{Title: "Turn on all four Block Public Access settings of the bucket", Why: "They keep public grants from working.",
				Commands: []string{"aws s3api put-public-access-block --bucket partner-exports --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"}},
			{Title: "Keep the logs", Why: "They are the evidence."},
		},
		Proof: []app.RequestAsk{{Title: "S3's own verdict", Commands: []string{"aws s3api get-bucket-policy-status --bucket partner-exports"}}},
	}
}

func TestRequestMarkdown(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, RequestMarkdown(&b, sampleRequest(false)))
	md := b.String()
	for _, want := range []string{
		"**CONFIDENTIAL**",
		"# Request for action: bucket partner-exports",
		"| **To** | The owner of S3 bucket partner-exports |",
		"## 1. Why we are writing",
		"Our last check of the bucket (2026-03-14 10:05:00 UTC, evidence EV-20260314T100000-1a2b3c4d) rated it: Public.",
		"## 2. What we found",
		"- Public: statement 0 (AnyoneRead) lets anyone (\\*) call s3:GetObject.",
		"## 3. What we ask you to change",
		"### 1. Turn on all four Block Public Access settings of the bucket",
		"```sh\naws s3api put-public-access-block --bucket partner-exports --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true\n```",
		"## 4. What to send back",
		"```sh\naws s3api get-bucket-policy-status --bucket partner-exports\n```",
		"## 5. Evidence",
		"Données clients exposées — Zoë's export",
	} {
		assert.Contains(t, md, want)
	}
	assert.NotContains(t, md, "EXERCISE")
	b.Reset()
	require.NoError(t, RequestMarkdown(&b, sampleRequest(true)))
	assert.Contains(t, b.String(), "This request comes from an EXERCISE: nothing needs to change.")
}

func TestRequestPDF(t *testing.T) {
	var a, b bytes.Buffer
	require.NoError(t, RequestPDF(&a, sampleRequest(false)))
	require.NoError(t, RequestPDF(&b, sampleRequest(false)))
	assert.True(t, bytes.HasPrefix(a.Bytes(), []byte("%PDF-")))
	assert.Equal(t, a.Bytes(), b.Bytes(), "the same request gives the same bytes")
	path := filepath.Join(t.TempDir(), "request.pdf")
	require.NoError(t, os.WriteFile(path, a.Bytes(), 0o600))
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	require.NoError(t, err, "pdftotext (poppler-utils) reads the PDF")
	text := string(out)
	for _, want := range []string{"REQUEST FOR ACTION", "Request for action: bucket partner-exports", "Données clients exposées — Zoë's export",
		"1. Why we are writing", "3. What we ask you to change", "put-public-access-block", "get-bucket-policy-status", "Page 1 of", "CONFIDENTIAL"} {
		assert.Contains(t, text, want)
	}
}
