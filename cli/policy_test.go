package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// policyRun runs "policy ARGS..." with stdin; it needs no database and no
// network.
func policyRun(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runPolicy(context.Background(), args, Deps{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin), Getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func TestPolicyCheck(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	public := file("public.json", `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}`)
	wrapped := file("wrapped.json", `{"Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::site/*\"}]}"}`)
	partner := file("partner.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}`)
	own := file("own.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}`)
	orgOnly := file("org.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}]}`)
	empty := file("empty.json", "")
	broken := file("broken.json", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\" \"Principal\": \"*\"}\n  ]\n}")
	aclPublic := file("acl.json", `{"Owner":{"ID":"owner-id"},"Grants":[{"Grantee":{"Type":"Group","URI":"http://acs.amazonaws.com/groups/global/AllUsers"},"Permission":"READ"}]}`)
	allOn := file("bpa.json", `{"PublicAccessBlockConfiguration":{"BlockPublicAcls":true,"IgnorePublicAcls":true,"BlockPublicPolicy":true,"RestrictPublicBuckets":true}}`)
	restrict := file("restrict.json", `{"RestrictPublicBuckets":true}`)
	ownership := file("ownership.json", `{"OwnershipControls":{"Rules":[{"ObjectOwnership":"BucketOwnerEnforced"}]}}`)

	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		access string
		public bool
		shared bool
		out    string // also in the text output
	}{
		{"public policy", "", []string{public}, exitPublic, "Public", true, false, "Statement 1 (Sid \"PublicRead\") lets anyone"},
		{"AWS CLI wrapper", "", []string{wrapped}, exitPublic, "Public", true, false, ""},
		{"from standard input", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`, []string{"-"}, exitPublic, "Public", true, false, ""},
		{"bucket BPA restricts it", "", []string{public, "--bpa", restrict}, exitOK, "Only authorized users of this account", false, false, "RestrictPublicBuckets (bucket level)"},
		{"account BPA all on", "", []string{public, "--account-bpa", allOn}, exitOK, "Only authorized users of this account", false, false, "(account level)"},
		{"other account named", "", []string{partner, "--account", "111122223333", "--bpa", allOn}, exitOK, "Bucket and objects not public", false, true, "444455556666"},
		{"own account is not shared", "", []string{own, "--account", "111122223333", "--bpa", allOn}, exitOK, "Bucket and objects not public", false, false, ""},
		{"organisation condition", "", []string{orgOnly, "--bpa", allOn}, exitOK, "Bucket and objects not public", false, true, "o-a1b2c3d4e5"},
		{"public ACL, no policy", "", []string{empty, "--acl", aclPublic}, exitPublic, "Public", true, false, "There is no bucket policy."},
		{"ACLs disabled by value", "", []string{empty, "--acl", aclPublic, "--ownership", "bucketownerenforced"}, exitOK, "Objects can be public", false, false, "BucketOwnerEnforced"},
		{"ACLs disabled by file", "", []string{empty, "--acl", aclPublic, "--ownership", ownership}, exitOK, "Objects can be public", false, false, "ACLs are disabled"},
		{"nothing at all", "", []string{empty, "--bpa", allOn}, exitOK, "Bucket and objects not public", false, false, "all four Block Public Access settings are on"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := policyRun(t, tc.stdin, append([]string{"check"}, tc.args...)...)
			require.Equal(t, tc.code, code, "stdout: %s\nstderr: %s", out, errOut)
			assert.Contains(t, out, "Access: "+tc.access+"\n")
			assert.Contains(t, out, "Public: "+yesNo(tc.public)+"\n")
			assert.Contains(t, out, "Shared with other accounts: "+yesNo(tc.shared))
			assert.Contains(t, out, tc.out)

			code, out, errOut = policyRun(t, tc.stdin, append([]string{"check", "--json"}, tc.args...)...)
			require.Equal(t, tc.code, code, errOut)
			var res struct {
				Access  string   `json:"access"`
				Public  *bool    `json:"public"`
				Shared  *bool    `json:"shared"`
				Reasons []string `json:"reasons"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &res), out)
			assert.Equal(t, tc.access, res.Access)
			require.NotNil(t, res.Public, "public is always present")
			require.NotNil(t, res.Shared, "shared is always present")
			assert.Equal(t, tc.public, *res.Public)
			assert.Equal(t, tc.shared, *res.Shared)
			require.NotEmpty(t, res.Reasons)
			assert.True(t, strings.HasPrefix(res.Reasons[0], tc.access+":"), res.Reasons[0])
		})
	}

	errTests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"broken policy names the place", []string{broken}, exitFail, "broken.json: bucket policy, line 4 column"},
		{"missing file", []string{filepath.Join(dir, "nope.json")}, exitFail, "read the bucket policy"},
		{"bad ownership", []string{public, "--ownership", "Owner"}, exitFail, "object ownership \"Owner\" is not one of"},
		{"bad BPA", []string{public, "--bpa", aclPublic}, exitFail, "Block Public Access configuration"},
		{"no file", nil, exitUsage, "missing arguments"},
		{"two files", []string{public, public}, exitUsage, "unexpected argument"},
		{"unknown flag", []string{public, "--acls", aclPublic}, exitUsage, "unknown flag --acls"},
	}
	for _, tc := range errTests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := policyRun(t, "", append([]string{"check"}, tc.args...)...)
			assert.Equal(t, tc.code, code, out)
			assert.Contains(t, errOut, tc.msg)
		})
	}
	t.Run("help", func(t *testing.T) {
		code, out, _ := policyRun(t, "", "check", "--help")
		assert.Equal(t, exitOK, code)
		assert.Contains(t, out, "Exit status: 0 when the bucket is not public, 3 when it is public")
	})
}
