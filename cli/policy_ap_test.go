package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPolicyCheckJudgesAccessPointsOfflineInTheOrderGiven(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	// The User Guide's delegation: every access point of the owner's account decides.
	bucket := file("bucket.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*","Resource":["arn:aws:s3:::site","arn:aws:s3:::site/*"],"Condition":{"StringEquals":{"s3:DataAccessPointAccount":"111122223333"}}}]}`)
	publicAP := file("ap-public.json", `{"Policy":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:eu-west-1:111122223333:accesspoint/open-door/object/*\"}]}"}`)
	privateAP := file("ap-private.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Analyst"},"Action":"s3:GetObject","Resource":"arn:aws:s3:eu-west-1:111122223333:accesspoint/analysts/object/*"}]}`)
	// 'aws s3control get-access-point' output of an access point created with Block Public Access off.
	openCfg := file("ap-open.json", `{"Name":"open-door","Bucket":"site","NetworkOrigin":"Internet","PublicAccessBlockConfiguration":{"BlockPublicAcls":false,"IgnorePublicAcls":false,"BlockPublicPolicy":false,"RestrictPublicBuckets":false},"CreationDate":"2026-11-20T10:00:00+00:00"}`)
	vpcCfg := file("ap-vpc.json", `{"Name":"open-door","Bucket":"site","NetworkOrigin":"VPC","VpcConfiguration":{"VpcId":"vpc-1a2b3c4d"},"PublicAccessBlockConfiguration":{"BlockPublicAcls":false,"IgnorePublicAcls":false,"BlockPublicPolicy":false,"RestrictPublicBuckets":false}}`)

	type apOut struct {
		Name    string   `json:"name"`
		Public  bool     `json:"public"`
		Reasons []string `json:"reasons"`
	}
	run := func(args ...string) (int, []apOut, bool) {
		code, out, errOut := policyRun(t, "", append([]string{"check"}, append(args, "--json", "--account", "111122223333")...)...)
		require.Empty(t, errOut)
		var res struct {
			Public       bool    `json:"public"`
			AccessPoints []apOut `json:"accessPoints"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &res), out)
		return code, res.AccessPoints, res.Public
	}

	code, aps, public := run(bucket, "--access-point-policy", publicAP, "--access-point-bpa", openCfg, "--access-point-policy", privateAP)
	assert.Equal(t, exitPublic, code)
	assert.True(t, public, "a public access point the bucket delegates to makes the bucket public")
	require.Len(t, aps, 2)
	assert.Equal(t, "open-door", aps[0].Name)
	assert.True(t, aps[0].Public)
	assert.Equal(t, "analysts", aps[1].Name, "named after the ARN its policy grants on")
	assert.False(t, aps[1].Public)
	assert.NotEmpty(t, aps[1].Reasons)

	code, aps, public = run(bucket, "--access-point-policy", publicAP)
	assert.Equal(t, exitOK, code, "an access point whose settings are not given is taken as created with all four on")
	assert.False(t, public)
	assert.Contains(t, aps[0].Reasons[0], "RestrictPublicBuckets (access point)")

	code, aps, _ = run(bucket, "--access-point-policy", publicAP, "--access-point-bpa", vpcCfg)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, aps[0].Reasons[0], "network origin is VPC")

	c, _, errOut := policyRun(t, "", "check", bucket, "--access-point-bpa", openCfg)
	assert.Equal(t, exitUsage, c, "settings without a policy to go with")
	assert.Contains(t, errOut, "--access-point-bpa")
}

func TestPolicyCheckOrgFlagKeepsTheOwnOrganisationInternal(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "org.json")
	require.NoError(t, os.WriteFile(p, []byte(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*","Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/r-ab12/*"}}}]}`), 0o600))

	code, out, _ := policyRun(t, "", "check", p, "--json")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, `"shared": true`, "without --org the organisation may be someone else's")
	code, out, _ = policyRun(t, "", "check", p, "--json", "--org", "o-a1b2c3d4e5")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, `"shared": false`)

	code, _, errOut := policyRun(t, "", "check", p, "--org", "org-1")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "not an AWS Organizations id")
}
