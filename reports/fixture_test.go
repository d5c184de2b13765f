package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests use Europe/Warsaw whatever the machine has

	"github.com/stretchr/testify/require"

	"s3responder/app"
)

var t0 = time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

func loadPlaybook(tb testing.TB) *app.Playbook {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "playbook.yaml"))
	require.NoError(tb, err)
	pb, err := app.ParsePlaybook("testdata/playbook.yaml", data)
	require.NoError(tb, err)
	return pb
}

// seal chains entries the way the store does.
func seal(entries []app.Entry) ([]app.Entry, app.Head) {
	prev := app.GenesisHash
	for i := range entries {
		entries[i].Seal(uint64(i+1), prev)
		prev = entries[i].Hash
	}
	return entries, app.Head{Seq: uint64(len(entries)), Hash: prev}
}

func evidenceItem(i int, kind, title string, collected time.Time, content string) app.Evidence {
	sha := app.HashHex([]byte(content))
	return app.Evidence{
		ID: fmt.Sprintf("EV-%04d-%s", i, sha[:8]), Title: title, Kind: kind, MediaType: "application/json",
		Size: int64(len(content)), SHA256: sha,
		Source:      app.Source{Account: "111122223333", Region: "eu-central-1", API: "s3:GetBucketPolicy", Params: map[string]string{"Bucket": "acme-payroll-exports"}},
		CollectedAt: collected, CollectedBy: "Zoë Łódź", StepID: "1.2",
		Custody: []app.CustodyEvent{
			{At: collected, Actor: "Zoë Łódź", Action: "collected", Note: "sha256 " + sha},
			{At: collected.Add(3 * time.Hour), Actor: "Bartosz Wąsik", Action: "verified"},
		},
	}
}

// richReport is an exercise incident with something in every section.
func richReport(tb testing.TB) app.Report {
	tb.Helper()
	pb := loadPlaybook(tb)
	inc := app.Incident{
		ID: "INC-20260302-7K3QX9", Title: "Payroll exports readable from the internet", Ticket: "SEC-4711",
		Severity: app.SeverityP1, Classification: "Confidential", Status: app.StatusRecovered, CurrentPart: 5,
		Exercise: true, Accounts: []string{"111122223333", "444455556666"},
		Buckets:     []string{"acme-payroll-exports", "acme-payroll-archive"},
		Principals:  []string{"arn:aws:iam::111122223333:user/zoë.łódź", "arn:aws:sts::444455556666:assumed-role/etl-runner/i-0abc"},
		Application: "Payroll ETL", TimeZone: "Europe/Warsaw", Playbook: pb.Ref(),
		Times: app.KeyTimes{Detected: at(0), Reported: at(12), Contained: at(95), Eradicated: at(400), Recovered: at(1500)},
		Review: app.Review{
			Lessons:           "The bucket policy was copied from a test account. Zoë Łódź noticed the Access Analyzer finding first.",
			Information:       "An inventory of which buckets hold payroll data.",
			Detection:         "An alarm on policy changes that grant access to everyone.",
			Configuration:     "Account-level Block Public Access.",
			Automation:        "A rule that reverts public policies within minutes.",
			RootCause:         "A bucket policy statement with Principal \"*\" added during a migration",
			AttackVectors:     []string{"Bucket policy granting s3:GetObject to everyone"},
			Misconfigurations: []string{"Block Public Access off at account level", "No access logging on the bucket"},
			RiskUpdates:       "Risk R-12 (public data exposure) raised from medium to high.",
			ActionItems: []app.ActionItem{
				{ID: "A1", Description: "Turn on account-level Block Public Access", Owner: "Zoë Łódź", Due: at(-60), Status: "open", Notes: "Needs a change window"},
				{ID: "A2", Description: "Add an alarm on public bucket policies", Owner: "Bartosz Wąsik", Due: at(20000), Status: "in progress"},
				{ID: "A3", Description: "Review other migrated buckets", Owner: "Ana", Due: at(-120), Status: "done"},
			},
			Stakeholders: []app.Stakeholder{
				{Role: "legal", Name: "Maître Chloé Dubois", Contact: "legal@example.com"},
				{Role: "executives", Name: "CFO office"},
			},
			Communications: []app.Communication{
				{At: at(30), Audience: "legal", Who: "Zoë Łódź", Channel: "phone", Summary: "Possible exposure of payroll data; containment under way."},
				{At: at(600), Audience: "executives", Who: "Ana", Channel: "email", Summary: "Contained; no download by unknown parties seen so far."},
			},
			Deadlines: []app.Deadline{{Name: "Regulator notification", Start: at(12), Hours: 72}},
		},
		CreatedAt: at(5), UpdatedAt: at(1600),
	}
	steps := map[string]app.StepState{
		"1.1":   {StepID: "1.1", Status: app.StepDone, By: "Zoë Łódź", At: at(10)},
		"1.2":   {StepID: "1.2", Status: app.StepDone, By: "Zoë Łódź", At: at(20), Note: "two buckets, two accounts"},
		"1.3":   {StepID: "1.3", Status: app.StepDone, Choices: []string{"yes"}, By: "Zoë Łódź", At: at(25)},
		"1.5":   {StepID: "1.5", Status: app.StepSkipped, Note: "communication plan already agreed in the exercise brief", By: "Ana", At: at(26)},
		"2.1":   {StepID: "2.1", Status: app.StepDone, Choices: []string{"policy"}, By: "Ana", At: at(40)},
		"2.2.1": {StepID: "2.2.1", Status: app.StepDone, By: "Ana", At: at(80)},
		"2.2.2": {StepID: "2.2.2", Status: app.StepDone, By: "Ana", At: at(90)},
		"3.1":   {StepID: "3.1", Status: app.StepNA, Note: "principal is a shared role", By: "Ana", At: at(300)},
	}
	entries := []app.Entry{
		{EventTime: at(0), RecordedAt: at(5), Actor: "Zoë Łódź", Kind: app.KindCreated, Text: "Opened exercise incident \"Payroll exports readable from the internet\""},
		{EventTime: at(10), RecordedAt: at(10), Actor: "Zoë Łódź", Kind: app.KindStep, Text: "Step 1.1 Done: Write down who reported the access and how", Refs: []string{"1.1"}},
		{EventTime: at(25), RecordedAt: at(25), Actor: "Zoë Łódź", Kind: app.KindDecision, Text: "Step 1.3: Does the bucket hold sensitive data? → Yes, sensitive data", Refs: []string{"1.3"}},
		{EventTime: at(45), RecordedAt: at(45), Actor: "Ana", Kind: app.KindFinding, Text: "Access Analyzer: bucket acme-payroll-exports is public through its bucket policy", Refs: []string{"2.1"}},
		{EventTime: at(80), RecordedAt: at(81), Actor: "Ana", Kind: app.KindAction, Text: "Blocked public access on acme-payroll-exports: succeeded\naws s3api put-public-access-block --bucket acme-payroll-exports --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true", Refs: []string{"2.2.1"}},
		{EventTime: at(90), RecordedAt: at(90), Actor: "Ana", Kind: app.KindAction, Text: "Deleted the public policy statement: succeeded", Refs: []string{"2.2.2", "aws s3api delete-bucket-policy --bucket acme-payroll-exports"}},
		{EventTime: at(95), RecordedAt: at(95), Actor: "Ana", Kind: app.KindStatus, Text: "Status changed from open to contained"},
		{EventTime: at(200), RecordedAt: at(900), Actor: "Bartosz Wąsik", Kind: app.KindNote, Text: "Late note: the ETL job was paused at 11:35 local time"},
		{EventTime: at(300), RecordedAt: at(300), Actor: "Ana", Kind: app.KindEvidence, Text: "Evidence EV-0003 collected: CloudTrail summary", Refs: []string{"EV-0003"}},
	}
	entries, head := seal(entries)
	ev := []app.Evidence{
		evidenceItem(1, "snapshot", "Bucket policy before containment", at(50), `{"Statement":[{"Effect":"Allow","Principal":"*"}]}`),
		evidenceItem(2, "snapshot", "Bucket policy after containment", at(100), `{"Statement":[]}`),
		evidenceItem(3, "trail-summary", "CloudTrail summary: 14 GetObject calls from 198.51.100.23", at(300), "14 GetObject calls"),
		evidenceItem(4, "exposure", "Exposure verdict: public through bucket policy", at(46), "public: policy"),
		evidenceItem(5, "aws-response", "GetPublicAccessBlock response", at(82), "{}"),
	}
	snaps := map[string][]byte{
		ev[0].SHA256: []byte(`{"Statement":[{"Effect":"Allow","Principal":"*"}]}`),
		ev[1].SHA256: []byte(`{"Statement":[]}`),
	}
	return app.Report{
		Case: app.Case{Incident: inc, Steps: steps}, Playbook: pb, Timeline: entries, Head: head,
		ChainOK: true, Evidence: ev, Snapshots: snaps, GeneratedAt: inc.UpdatedAt,
	}
}

// longReport has n timeline entries and m evidence items.
func longReport(tb testing.TB, n, m int) app.Report {
	tb.Helper()
	r := richReport(tb)
	kinds := []app.Kind{app.KindNote, app.KindStep, app.KindAction, app.KindFinding, app.KindEvidence}
	refs := [][]string{nil, {"1.2"}, {"2.2.1"}, {"3.1"}, {"4.1"}, {"5.1"}}
	entries := make([]app.Entry, n)
	for i := range entries {
		entries[i] = app.Entry{
			EventTime: at(i / 4), RecordedAt: at(i / 4), Actor: []string{"Zoë Łódź", "Ana", "Bartosz Wąsik"}[i%3],
			Kind: kinds[i%len(kinds)], Refs: refs[i%len(refs)],
			Text: fmt.Sprintf("Entry %d: GetObject on s3://acme-payroll-exports/2026/03/payroll-%05d.csv from 198.51.100.%d by arn:aws:sts::444455556666:assumed-role/etl-runner/session-%d", i, i, i%250, i),
		}
	}
	r.Timeline, r.Head = seal(entries)
	ev := make([]app.Evidence, m)
	for i := range ev {
		ev[i] = evidenceItem(i, []string{"snapshot", "aws-response", "trail-summary", "file"}[i%4], fmt.Sprintf("Artifact %d", i), at(i), strings.Repeat("x", i+1))
	}
	r.Evidence = ev
	return r
}
