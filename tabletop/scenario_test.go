package tabletop_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/tabletop"
)

const smallScenario = `id: small
title: A small account
account: "210987654321"
region: us-east-2
buckets:
  - name: small-open
    acl: public-read
`

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }

func TestBuiltinScenario(t *testing.T) {
	list, err := tabletop.Builtin()
	require.NoError(t, err)
	require.NotEmpty(t, list)
	sc := list[0]
	assert.Equal(t, tabletop.DefaultScenario, sc.ID)
	assert.Equal(t, "111122223333", sc.Account)
	assert.Len(t, sc.Buckets, 5)
	assert.Len(t, sc.CloudTrail, 12)
	assert.Contains(t, sc.Briefing, "ci-deploy")
	for _, e := range sc.CloudTrail {
		assert.NotEmpty(t, e.ID)
		assert.NotEmpty(t, e.Region)
	}
	// The policy written as YAML becomes the JSON AWS would return.
	assert.Contains(t, sc.Buckets[3].Policy.JSON, `"Principal":{"Service":"cloudtrail.amazonaws.com"}`)
	assert.Contains(t, sc.Buckets[3].Policy.JSON, `"Version":"2012-10-17"`)
}

func TestScenarioErrorsArePositioned(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", []string{"x.yaml: the file is empty"}},
		{"syntax", "id: [unclosed\n", []string{"x.yaml:1:1: did not find expected"}},
		{"unknown field", smallScenario + "    polcy: '{}'\n", []string{"x.yaml:8:1: field polcy not found"}},
		{"wrong type", strings.Replace(smallScenario, "buckets:\n  - name: small-open\n    acl: public-read\n", "buckets: 3\n", 1), []string{"x.yaml:5:1: cannot unmarshal !!int `3`"}},
		{"account", strings.Replace(smallScenario, `"210987654321"`, `"12345"`, 1), []string{`x.yaml:3:10: account must be a twelve-digit AWS account id (quote it), not "12345"`}},
		{"no id or title", "account: \"210987654321\"\n", []string{"x.yaml:1:1: the scenario has no id", "x.yaml:1:1: the scenario has no title"}},
		{"bucket name", strings.Replace(smallScenario, "small-open", "Small_Open", 1), []string{`x.yaml:6:11: bucket name "Small_Open" is not a valid S3 bucket name`}},
		{"duplicate bucket", smallScenario + "  - name: small-open\n", []string{`x.yaml:8:11: bucket "small-open" is defined twice`}},
		{"grant", smallScenario + "    grants:\n      - {grantee: Everyone, permission: READ}\n", []string{`x.yaml:9:19: grantee "Everyone" is not AllUsers`}},
		{"policy JSON block", smallScenario + "    policy: |\n      {\"Version\": \"2012-10-17\",\n       \"Statement\": [{\"Effect\": \"allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}]}\n",
			[]string{`x.yaml:10:1: the policy of bucket small-open: Effect must be "Allow" or "Deny"`}},
		{"policy not JSON", smallScenario + "    policy: '{\"Version\": '\n", []string{"x.yaml:8:13: the policy of bucket small-open: not valid JSON"}},
		{"policy YAML shape", smallScenario + "    policy:\n      Version: \"2012-10-17\"\n      Statment: []\n", []string{`x.yaml:9:7: the policy of bucket small-open: unknown policy element "Statment"`}},
		{"key id", smallScenario + "users:\n  - name: ci\n    accessKeys:\n      - {id: AKIA123, status: Active}\n", []string{`x.yaml:11:14: access key id "AKIA123" is not a long-term key id`}},
		{"key status", smallScenario + "users:\n  - name: ci\n    accessKeys:\n      - {id: AKIAIOSFODNN7EXAMPLE, status: Disabled}\n", []string{`x.yaml:11:44: access key status is Active or Inactive, not "Disabled"`}},
		{"role without trust", smallScenario + "roles:\n  - name: R\n", []string{"x.yaml:9:5: role R has no trustPolicy"}},
		{"event without time", smallScenario + "cloudtrail:\n  - name: PutBucketPolicy\n", []string{"x.yaml:9:5: event 1 (PutBucketPolicy) has no time"}},
		{"versions without versioning", smallScenario + "    objects:\n      - key: a\n        deleteMarker: true\n", []string{`x.yaml:9:9: object "a" has versions or a delete marker, but bucket small-open was never versioned`}},
		{"finding on unknown bucket", smallScenario + "accessAnalyzer:\n  analyzers: [{name: a}]\n  findings: [{id: f, analyzer: a, bucket: nope}]\n", []string{`x.yaml:10:43: finding f is about bucket "nope", which is not defined`}},
		{"two documents", smallScenario + "---\nid: other\n", []string{"x.yaml:8:1: the file holds more than one YAML document"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tabletop.ParseScenario("x.yaml", []byte(tc.text))
			require.Error(t, err)
			require.ErrorIs(t, err, app.ErrInvalid)
			var es tabletop.ScenarioErrors
			require.True(t, errors.As(err, &es))
			require.Len(t, es, len(tc.want), err.Error())
			for i, w := range tc.want {
				assert.Contains(t, es[i].Error(), w)
			}
		})
	}
}

func TestSmallScenarioDefaults(t *testing.T) {
	sc, err := tabletop.ParseScenario("small.yaml", []byte(smallScenario))
	require.NoError(t, err)
	assert.Equal(t, "us-east-2", sc.Buckets[0].Region, "a bucket lives in the account's region unless told")
	assert.Equal(t, "arn:aws:sts::210987654321:assumed-role/IncidentResponder/responder", sc.Caller.ARN)
	assert.Regexp(t, `^[0-9a-f]{64}$`, sc.CanonicalID)
	assert.Len(t, sc.SHA256, 64)
}
