package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// inspectingAccount is the in-memory account that also runs inspections:
// it records the request it was given and answers with a fixed finding.
type inspectingAccount struct {
	*fakeAccount
	got []app.InspectRequest
}

func (a *inspectingAccount) Inspect(_ context.Context, req app.InspectRequest, by app.Identity) (app.Inspection, error) {
	a.got = append(a.got, req)
	return app.Inspection{Action: req.Action, Title: "Review of " + req.Action, Target: "account " + by.Account, Summary: "one thing found.",
		Findings: []app.InspectFinding{
			{Severity: app.SeverityHigh, Subject: "user mallory", Text: "still has an active key."},
			{Severity: app.SeverityInfo, Subject: "role ok", Text: "fine."},
		},
		Items: []app.Collected{{Title: "IAM answer", Kind: app.EvidenceAWSResponse, MediaType: "application/json", Data: []byte(`{"a":1}`)}},
	}, nil
}

func TestInspectKeepsEvidenceAndFindings(t *testing.T) {
	f := newChangeFixture(t)
	acct := &inspectingAccount{fakeAccount: f.acct}
	f.svc.SetConnector(func(context.Context, app.Profile) (app.Cloud, error) { return acct, nil })
	ctx := context.Background()
	id := f.incident(t, false)
	_, err := f.svc.Edit(ctx, id, app.Details{Title: "Leaked keys", Principals: []string{"arn:aws:iam::111122223333:user/mallory", "AKIAEXAMPLE000000000001"}})
	require.NoError(t, err)
	// Evidence naming principals: a CloudTrail extract (JSON) names a role
	// session, a key and the responder; a PDF is not searched.
	trail := `{"Records":[{"userIdentity":{"arn":"arn:aws:sts::111122223333:assumed-role/etl/run-7","accessKeyId":"ASIAEXAMPLE000000000009"}},` +
		`{"userIdentity":{"arn":"arn:aws:iam::111122223333:user/responder"}},{"userIdentity":{"arn":"arn:aws:iam::111122223333:user/mallory"}}]}`
	ev, err := f.svc.AddEvidence(ctx, id, app.Evidence{Title: "trail", Kind: app.EvidenceFile, MediaType: "application/json"}, []byte(trail))
	require.NoError(t, err)
	_, err = f.svc.AddEvidence(ctx, id, app.Evidence{Title: "report", Kind: app.EvidenceFile, MediaType: "application/pdf"}, []byte("arn:aws:iam::111122223333:user/inpdf"))
	require.NoError(t, err)

	rep, saved, err := f.svc.Inspect(ctx, id, app.Profile{}, app.InspectRequest{Action: "iam.review-principals", Params: map[string]string{"principals": "bob, arn:aws:iam::111122223333:user/mallory"}})
	require.NoError(t, err)
	require.Len(t, acct.got, 1)
	refs := map[string][]string{}
	var order []string
	for _, p := range acct.got[0].Principals {
		refs[p.Value] = p.From
		order = append(order, p.Value)
	}
	assert.Equal(t, []string{"bob", "arn:aws:iam::111122223333:user/mallory", "AKIAEXAMPLE000000000001", "ASIAEXAMPLE000000000009", "arn:aws:sts::111122223333:assumed-role/etl/run-7"}, order)
	assert.Equal(t, []string{"parameter", "incident", "evidence " + ev.ID}, refs["arn:aws:iam::111122223333:user/mallory"])
	assert.NotContains(t, refs, "arn:aws:iam::111122223333:user/responder", "the responder's own identity is left out")
	assert.NotContains(t, refs, "arn:aws:iam::111122223333:user/inpdf", "a PDF is not searched")

	assert.Equal(t, 1, rep.Count(app.SeverityHigh))
	require.Len(t, saved.Evidence, 2, "the answer and the inspection")
	assert.Equal(t, f.acct.id.ARN, saved.Evidence[1].CollectedBy)
	var kept app.Inspection
	data, err := f.db.EvidenceContent(ctx, saved.Evidence[1].SHA256)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &kept))
	assert.Equal(t, rep.Summary, kept.Summary)
	var texts []string
	for _, e := range f.timeline(t, id) {
		texts = append(texts, string(e.Kind)+": "+e.Text)
	}
	all := strings.Join(texts, "\n")
	assert.Contains(t, all, "action: Review of iam.review-principals (iam.review-principals): one thing found.")
	assert.Contains(t, all, "finding: User mallory (high, iam.review-principals): still has an active key.")
	assert.NotContains(t, all, "role ok", "info findings stay in the evidence")
}

func TestInspectRefusesBadRequests(t *testing.T) {
	f := newChangeFixture(t)
	acct := &inspectingAccount{fakeAccount: f.acct}
	f.svc.SetConnector(func(context.Context, app.Profile) (app.Cloud, error) { return acct, nil })
	ctx := context.Background()
	id := f.incident(t, false)
	for _, tc := range []struct {
		req  app.InspectRequest
		want error
	}{
		{app.InspectRequest{Action: "no.such-action"}, app.ErrNotFound},
		{app.InspectRequest{Action: "s3.versioning", Params: map[string]string{"bucket": "b"}}, app.ErrInvalid},
		{app.InspectRequest{Action: "s3.policy-review"}, app.ErrInvalid},
		{app.InspectRequest{Action: "s3.policy-review", Params: map[string]string{"bucket": "b", "extra": "x"}}, app.ErrInvalid},
		{app.InspectRequest{Action: "report.post-mortem"}, app.ErrInvalid},
	} {
		_, _, err := f.svc.Inspect(ctx, id, app.Profile{}, tc.req)
		require.ErrorIs(t, err, tc.want, tc.req.Action)
	}
	assert.Empty(t, acct.got, "nothing reached the account")

	// Without the capability the account says so.
	f.svc.SetConnector(func(context.Context, app.Profile) (app.Cloud, error) { return f.acct, nil })
	_, _, err := f.svc.Inspect(ctx, id, app.Profile{}, app.InspectRequest{Action: "s3.policy-review", Params: map[string]string{"bucket": "b"}})
	require.ErrorIs(t, err, app.ErrInvalid)
}

func TestKeepInspectionOffline(t *testing.T) {
	f := newChangeFixture(t)
	ctx := context.Background()
	id := f.incident(t, false)
	rep := app.Inspection{Action: "s3.policy-review", Title: "Least-privilege review of a bucket policy", Target: "a bucket policy", Summary: "2 statement(s) reviewed.", Offline: true,
		Findings: []app.InspectFinding{{Severity: app.SeverityMedium, Subject: "the policy", Text: "no TLS deny."}}}
	saved, err := f.svc.KeepInspection(ctx, id, rep, app.Identity{})
	require.NoError(t, err)
	require.Len(t, saved.Evidence, 1)
	assert.Equal(t, "alice", saved.Evidence[0].CollectedBy, "offline, the person is the collector")
	assert.Equal(t, "s3-policy-review.json", saved.Evidence[0].FileName)
}

// versioningAccount plans s3.versioning the way the aws package does:
// from a bucket that never had versioning, undo can only suspend it.
type versioningAccount struct{ *fakeAccount }

func (a versioningAccount) PlanChange(ctx context.Context, req app.ChangeRequest, by app.Identity) (app.Plan, error) {
	if req.Action != "s3.versioning" {
		return a.fakeAccount.PlanChange(ctx, req, by)
	}
	b := req.Params["bucket"]
	r := app.Resource{Kind: app.ResourceBucketVersioning, ID: map[string]string{"bucket": b}, Name: "versioning of bucket " + b}
	return app.Plan{Action: req.Action, Title: "Enable versioning on " + b, Target: "bucket " + b, Broad: true, ConfirmWord: b, Reversible: true,
		Steps: []app.ChangeStep{{Resource: r, Before: json.RawMessage(a.get(r)), After: json.RawMessage(`"Enabled"`), UndoTo: json.RawMessage(`"Suspended"`),
			Call: "PutBucketVersioning", UndoCall: "PutBucketVersioning",
			CLI:     "aws s3api put-bucket-versioning --bucket " + b + " --versioning-configuration Status=Enabled",
			UndoCLI: "aws s3api put-bucket-versioning --bucket " + b + " --versioning-configuration Status=Suspended"}}}, nil
}

func TestUndoToIsWhereUndoLeads(t *testing.T) {
	f := newChangeFixture(t)
	acct := versioningAccount{f.acct}
	f.svc.SetConnector(func(context.Context, app.Profile) (app.Cloud, error) { return acct, nil })
	ctx := context.Background()
	id := f.incident(t, false)
	r := app.Resource{Kind: app.ResourceBucketVersioning, ID: map[string]string{"bucket": "ledger"}, Name: "versioning of bucket ledger"}
	p, err := f.svc.PlanChange(ctx, id, app.Profile{}, app.ChangeRequest{Action: "s3.versioning", Params: map[string]string{"bucket": "ledger"}})
	require.NoError(t, err)
	assert.Equal(t, "null", string(p.Steps[0].Before))
	_, err = f.svc.ApplyChange(ctx, id, app.Profile{}, p.ID, "ledger")
	require.NoError(t, err)
	assert.Equal(t, `"Enabled"`, f.acct.get(r))
	undo, err := f.svc.UndoChange(ctx, id, app.Profile{}, p.ID, "ledger")
	require.NoError(t, err)
	assert.True(t, undo.Verified, "the undo's own plan expects Suspended, so it holds")
	assert.Equal(t, `"Suspended"`, f.acct.get(r), "undo leads to UndoTo, not back to never enabled")
	assert.Contains(t, undo.Plan.Diff, "- \"Enabled\"\n+ \"Suspended\"")

	// Without UndoTo, undo restores the state before.
	k := keyResource("bob", "AKIAEXAMPLE000000001")
	f.acct.set(k, `"Active"`)
	p2, err := f.svc.PlanChange(ctx, id, app.Profile{}, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"userName": "bob"}})
	require.NoError(t, err)
	_, err = f.svc.ApplyChange(ctx, id, app.Profile{}, p2.ID, p2.ConfirmWord)
	require.NoError(t, err)
	_, err = f.svc.UndoChange(ctx, id, app.Profile{}, p2.ID, p2.ConfirmWord)
	require.NoError(t, err)
	assert.Equal(t, `"Active"`, f.acct.get(k))
}
