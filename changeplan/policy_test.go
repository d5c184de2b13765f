package changeplan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

func TestPolicyDocKeepsWhatItDoesNotTouch(t *testing.T) {
	in := `{ "Id" : "keep-me", "Version":"2012-10-17",
	  "Statement": [ {"Sid":"A", "Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
	                 {"Sid":"B","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}} ] }`
	doc, err := ParsePolicy(json.RawMessage(in))
	require.NoError(t, err)
	assert.Equal(t, []string{"Id", "Version", "Statement"}, doc.keys)
	require.Len(t, doc.Statements, 2)
	doc.Statements = doc.Statements[1:]
	assert.Equal(t, `{"Id":"keep-me","Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`,
		string(doc.Encode()))
	doc.Statements = nil
	assert.Equal(t, "null", string(doc.Encode()), "a policy without statements is no policy")

	single, err := ParsePolicy(json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`))
	require.NoError(t, err)
	assert.Len(t, single.Statements, 1)
	for _, bad := range []string{`[]`, `{"Version":"2012-10-17"}`, `{"Statement":[1,}`} {
		_, err := ParsePolicy(json.RawMessage(bad))
		assert.ErrorIs(t, err, app.ErrInvalid, bad)
	}
}

func TestRemovePrincipals(t *testing.T) {
	for _, tc := range []struct {
		name, trust, remove, want, removed, err string
	}{
		{
			name:    "one of a list",
			trust:   `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["a","b","c"]},"Action":"sts:AssumeRole"}]}`,
			remove:  "b",
			want:    `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["a","c"]},"Action":"sts:AssumeRole"}]}`,
			removed: "b",
		},
		{
			name:    "a type left empty goes, the statement stays",
			trust:   `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root","Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			remove:  "444455556666",
			want:    `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			removed: "arn:aws:iam::444455556666:root",
		},
		{
			name:    "a statement left without principals goes; Deny statements are not touched",
			trust:   `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"x"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"x"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`,
			remove:  "x",
			want:    `{"Statement":[{"Effect":"Deny","Principal":{"AWS":"x"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`,
			removed: "x",
		},
		{
			name:    "everyone",
			trust:   `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			remove:  "*",
			want:    `{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
			removed: "*",
		},
		{name: "nothing left", trust: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"x"},"Action":"sts:AssumeRole"}]}`, remove: "x", err: "without any statement"},
		{name: "not named", trust: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"x"},"Action":"sts:AssumeRole"}]}`, remove: "y", err: "names y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, removed, err := RemovePrincipals(json.RawMessage(tc.trust), strings.Split(tc.remove, ","))
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			assert.Equal(t, tc.removed, strings.Join(removed, ","))
		})
	}
}
