package assets_test

import (
	"bufio"
	"bytes"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
)

// builtin parses the embedded playbook; every test starts from the bytes the
// binary ships, not from a copy.
func builtin(t *testing.T) *app.Playbook {
	t.Helper()
	pb, err := app.ParsePlaybook("playbook.yaml", assets.Playbook)
	require.NoError(t, err)
	return pb
}

// originalIDs reads the hand-written list of the template's step ids.
func originalIDs(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/original-step-ids.txt")
	require.NoError(t, err)
	defer f.Close()
	var ids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			ids = append(ids, line)
		}
	}
	require.NoError(t, sc.Err())
	return ids
}

// partIDs are the only ids the playbook may hold beyond the template's
// numbered steps: the template names its parts, it does not number them.
var partIDs = []string{"1", "2", "3", "4", "5"}

func TestBuiltinParses(t *testing.T) {
	pb := builtin(t)
	assert.Equal(t, "s3-unintended-access", pb.ID)
	assert.Equal(t, "1.0.0", pb.Version)
	assert.NotEmpty(t, pb.Title)
	assert.NotEmpty(t, pb.Description)
	assert.Contains(t, pb.Source, "AWS")
	assert.Contains(t, pb.Source, "own words")
	assert.Len(t, pb.SHA256, 64)
	var parts []string
	for _, p := range pb.Parts {
		parts = append(parts, p.ID)
		assert.NotEmpty(t, p.Title, "part %s", p.ID)
		assert.NotEmpty(t, p.Steps, "part %s has no steps", p.ID)
	}
	assert.Equal(t, partIDs, parts)
}

func TestStepIDsMatchTemplate(t *testing.T) {
	pb := builtin(t)
	want := originalIDs(t)
	// Hand count of the template's numbered items (111) minus the two
	// overview items that open Part 3, plus the unnumbered comparison that
	// becomes 4.6.
	require.Len(t, want, 110, "testdata/original-step-ids.txt")
	seen := map[string]bool{}
	for _, id := range want {
		require.False(t, seen[id], "id %s listed twice", id)
		seen[id] = true
	}

	var got []string
	for _, s := range pb.Steps() {
		if pb.Parent(s.ID) == nil {
			continue
		}
		got = append(got, s.ID)
	}
	// Same ids, same document order: nothing missing, nothing invented.
	assert.Equal(t, want, got)

	for _, s := range pb.Steps() {
		if !seen[s.ID] {
			assert.Contains(t, partIDs, s.ID, "step %s is neither in the template nor a part", s.ID)
		}
	}
}

// The tree must follow the numbering: 1.4.2.1 sits under 1.4.2, and so on.
// This catches a step pasted at the wrong indentation, which the id list
// alone would not.
func TestNestingFollowsNumbering(t *testing.T) {
	pb := builtin(t)
	for _, id := range originalIDs(t) {
		t.Run(id, func(t *testing.T) {
			parent := pb.Parent(id)
			require.NotNil(t, parent)
			want := id[:strings.LastIndex(id, ".")]
			assert.Equal(t, want, parent.ID)
			assert.Equal(t, strings.Count(id, "."), pb.Depth(id))
		})
	}
}

// sentences counts sentences in guidance text: a full stop, question or
// exclamation mark followed by a space or the end. The guidance avoids
// abbreviations with full stops so that this stays exact.
func sentences(s string) int {
	s = strings.TrimSpace(s)
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' || s[i] == '?' || s[i] == '!' {
			if i == len(s)-1 || s[i+1] == ' ' {
				n++
			}
		}
	}
	return n
}

func TestEveryStepHasTitleAndGuidance(t *testing.T) {
	pb := builtin(t)
	for _, s := range pb.Steps() {
		t.Run(s.ID, func(t *testing.T) {
			assert.NotEmpty(t, strings.TrimSpace(s.Title))
			assert.LessOrEqual(t, len(s.Title), 80, "titles are short")
			assert.False(t, strings.HasSuffix(s.Title, "."), "titles are not sentences")
			require.NotEmpty(t, strings.TrimSpace(s.Guidance))
			n := sentences(s.Guidance)
			assert.GreaterOrEqual(t, n, 2, "guidance should be 2 to 5 sentences: %q", s.Guidance)
			assert.LessOrEqual(t, n, 5, "guidance should be 2 to 5 sentences: %q", s.Guidance)
			assert.NotContains(t, s.Guidance, "e.g.", "abbreviations break the sentence count")
			assert.NotContains(t, s.Guidance, "i.e.", "abbreviations break the sentence count")
			for _, e := range s.Evidence {
				assert.NotEmpty(t, strings.TrimSpace(e))
			}
		})
	}
}

var actionID = regexp.MustCompile(`^[a-z0-9]+(\.[a-z0-9-]+)+$`)

func TestActionCatalogue(t *testing.T) {
	pb := builtin(t)
	used := map[string][]string{}
	for _, s := range pb.Steps() {
		for _, a := range s.Actions {
			_, ok := pb.Action(a)
			assert.True(t, ok, "step %s offers unknown action %s", s.ID, a)
			used[a] = append(used[a], s.ID)
		}
		assert.Len(t, slices.Compact(slices.Sorted(slices.Values(s.Actions))), len(s.Actions), "step %s lists an action twice", s.ID)
	}
	for _, a := range pb.Actions {
		t.Run(a.ID, func(t *testing.T) {
			assert.Regexp(t, actionID, a.ID)
			assert.NotEmpty(t, a.Title)
			assert.NotEmpty(t, a.Description)
			assert.NotEmpty(t, a.Service)
			assert.NotEmpty(t, used[a.ID], "no step offers action %s", a.ID)
		})
	}

	// The ids the later action issues build on, and whether each changes the
	// account: a mutating action must get a preview and a confirmation, so
	// a wrong flag here is a safety bug.
	want := map[string]bool{
		"s3.exposure.check": false, "s3.exposure.scan-account": false, "accessanalyzer.findings": false,
		"cloudtrail.lookup.bucket-changes": false, "cloudtrail.lookup.trust-changes": false,
		"cloudtrail.insights": false, "s3.find-data": false, "s3.bucket-tags": false, "macie.summary": false,
		"athena.queries": false, "trail.analyze": false, "s3.snapshot-config": false,
		"iam.deactivate-access-key": true, "iam.delete-access-key": true, "iam.revoke-role-sessions": true,
		"iam.revoke-user-sessions": true, "iam.neutralise-role": true, "iam.update-trust-policy": true,
		"s3.lock-control-plane": true, "s3.remove-policy-statements": true,
		"s3.block-public-access.bucket": true, "s3control.block-public-access.account": true,
		"s3.reset-object-acls": true, "s3control.batch-job": true, "cloudtrail.watch-credentials": false,
		"doc.request-for-action": false, "ec2.require-imdsv2": true, "ec2.find-key-pair-instances": false,
		"ec2.delete-key-pair": true, "s3.default-encryption": true, "s3.versioning": true,
		"s3.object-lock-status": false, "s3.mfa-delete-guide": false, "s3.policy-review": false,
		"iam.review-principals": false, "s3.restore-version": true, "s3.remove-delete-marker": true,
		"s3.replica-restore": true, "report.post-mortem": false,
		"iam.access-key-lookup": false, "s3.scan-object-acls": false, "s3.reset-bucket-acl": true,
		"ec2.find-role-instances": false, "s3.list-versions": false, "s3.restore-archived": true,
	}
	assert.Len(t, pb.Actions, len(want), "the catalogue and this table must list the same actions")
	for id, mutating := range want {
		a, ok := pb.Action(id)
		if assert.True(t, ok, "catalogue lacks %s", id) {
			assert.Equal(t, mutating, a.Mutating, "mutating flag of %s", id)
		}
	}
}

func TestDecisions(t *testing.T) {
	pb := builtin(t)
	type opt struct {
		id, goTo, ret string
		excludes      []string
	}
	tests := []struct {
		step     string
		multiple bool
		options  []opt
	}{
		{"1.3", false, []opt{{"yes", "2", "1.5", []string{"1.4"}}, {"no", "1.4", "", nil}}},
		{"1.4", false, []opt{{"yes", "", "", []string{"1.4.2"}}, {"no", "", "", []string{"1.4.1"}}}},
		{"1.5", false, []opt{{"yes", "2", "1.7", []string{"1.6"}}, {"no", "1.6", "", nil}}},
		{"2", true, []opt{
			{"credentials", "", "", []string{"2.3", "2.4"}},
			{"policy", "", "", []string{"2.1", "2.2", "2.4"}},
			{"public", "", "", []string{"2.1", "2.2", "2.3"}},
		}},
		{"2.1.2.1", false, []opt{{"yes", "2.1.2.2", "", nil}, {"no", "", "", []string{"2.1.2.2"}}}},
		{"4.6", false, []opt{{"yes", "", "", []string{"4.6.1", "4.6.2"}}, {"no", "4.6.1", "", nil}}},
	}
	var deciding []string
	for _, s := range pb.Steps() {
		if s.Decision != nil {
			deciding = append(deciding, s.ID)
		}
	}
	var listed []string
	for _, tt := range tests {
		listed = append(listed, tt.step)
	}
	assert.Equal(t, listed, deciding, "only these steps ask questions")

	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			s, ok := pb.Step(tt.step)
			require.True(t, ok)
			require.NotNil(t, s.Decision)
			assert.True(t, strings.HasSuffix(s.Decision.Question, "?"), "question %q", s.Decision.Question)
			assert.Equal(t, tt.multiple, s.Decision.Multiple)
			require.Len(t, s.Decision.Options, len(tt.options))
			for i, want := range tt.options {
				got := s.Decision.Options[i]
				assert.Equal(t, want.id, got.ID)
				assert.NotEmpty(t, got.Label)
				assert.Equal(t, want.goTo, got.Goto, "goto of %s", want.id)
				assert.Equal(t, want.ret, got.Return, "return of %s", want.id)
				assert.Equal(t, want.excludes, got.Excludes, "excludes of %s", want.id)
			}
		})
	}
	one, _ := pb.Step("1.3")
	assert.Equal(t, "Do you already know which bucket(s) are involved?", one.Decision.Question)
	five, _ := pb.Step("1.5")
	assert.Equal(t, "Are the buckets under your administrative control?", five.Decision.Question)
	two, _ := pb.Step("2")
	assert.Equal(t, "Which vectors are involved?", two.Decision.Question)
}

func TestHandoffOnlyAtStep1_6(t *testing.T) {
	pb := builtin(t)
	for _, s := range pb.Steps() {
		if s.ID == "1.6" {
			assert.Contains(t, s.Handoff, "owner")
			assert.Contains(t, s.Actions, "doc.request-for-action")
		} else {
			assert.Empty(t, s.Handoff, "step %s", s.ID)
		}
	}
}

// The steps where the template warns, or where acting without a warning
// would hurt, and what each warning must say.
func TestWarnings(t *testing.T) {
	pb := builtin(t)
	tests := []struct {
		step string
		want []string
	}{
		{"2", []string{"evidence", "first"}},
		{"2.1.1", []string{"cannot be undone"}},
		{"2.1.2.1", []string{"new session"}},
		{"2.1.2.2", []string{"legitimate", "trust policy", "already issued"}},
		{"2.3.1.1", []string{"root user"}},
		{"2.4.1", []string{"every object", "exposes them again"}},
		{"2.4.2", []string{"object"}},
		{"3.1.1", []string{"IMDSv1"}},
		{"3.1.2.1.1.1", []string{"evidence"}},
		{"3.1.2.5", []string{"already running"}},
		{"3.1.2.6", []string{"cannot be undone"}},
		{"3.1.3", []string{"fresh credentials"}},
	}
	warned := map[string]bool{}
	for _, tt := range tests {
		warned[tt.step] = true
		t.Run(tt.step, func(t *testing.T) {
			s, ok := pb.Step(tt.step)
			require.True(t, ok)
			for _, w := range tt.want {
				assert.Contains(t, s.Warning, w)
			}
		})
	}
	for _, s := range pb.Steps() {
		if !warned[s.ID] {
			assert.Empty(t, s.Warning, "step %s warns but the test does not know why", s.ID)
		}
	}
}

// Facts a responder needs at the step where they act; each was checked
// against AWS's documentation (see the project's S3 facts notes).
func TestStepsCarryTheFacts(t *testing.T) {
	pb := builtin(t)
	tests := []struct {
		step string
		want []string
	}{
		{"1.2.3", []string{"PutBucketPolicy", "DeleteBucketPolicy", "PutBucketAcl", "PutBucketPublicAccessBlock", "DeleteBucketPublicAccessBlock", "PutAccountPublicAccessBlock", "PutObjectAcl", "90 days"}},
		{"1.2.4", []string{"UpdateAssumeRolePolicy", "CreateAccessKey"}},
		{"1.4.1.4", []string{"requestParameters.bucketName", "userIdentity"}},
		{"1.4.2.1", []string{"AKIA", "ASIA", "s3.amazonaws.com"}},
		{"1.4.2.2", []string{"before the incident"}},
		{"2.1", []string{"AKIA", "ASIA"}},
		{"2.1.1", []string{"Inactive", "AWSRevokeOlderSessions", "GetSessionToken"}},
		{"2.1.2.1", []string{"AWSRevokeOlderSessions", "aws:TokenIssueTime", "Service-linked"}},
		{"2.1.2.3.2", []string{"IMDSv2", "HttpTokens"}},
		{"2.2", []string{"30 minutes"}},
		{"2.3.1", []string{"Principal", "public"}},
		{"2.3.1.1", []string{"PutBucketPolicy"}},
		{"2.3.1.3", []string{"AllUsers", "AuthenticatedUsers", "BucketOwnerEnforced"}},
		{"2.4.1", []string{"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}},
		{"2.4.3", []string{"PutObjectAcl", "Batch Operations", "SlowDown"}},
		{"3.1.3", []string{"AWSRevokeOlderSessions"}},
		{"3.2.5", []string{"SSE-KMS", "new objects"}},
		{"3.3.4", []string{"root user", "versioning"}},
		{"4.1", []string{"CopyObject", "delete marker", "version ID"}},
		{"4.6", []string{"GetObject"}},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			s, ok := pb.Step(tt.step)
			require.True(t, ok)
			for _, w := range tt.want {
				assert.Contains(t, s.Guidance, w)
			}
		})
	}
}

// The repository must not carry paths of the machine it was written on.
func TestNoLocalPaths(t *testing.T) {
	for _, bad := range []string{"/work/", "/tmp/", "/home/", "/root/"} {
		assert.False(t, bytes.Contains(assets.Playbook, []byte(bad)), "playbook.yaml mentions %s", bad)
	}
}
