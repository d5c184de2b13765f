package changeplan

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

func TestShellQuoteAndPatterns(t *testing.T) {
	for in, want := range map[string]string{
		"acme-reports":                        "acme-reports",
		`{"a":"b c"}`:                         `'{"a":"b c"}'`,
		"it's":                                `'it'\''s'`,
		"BlockPublicAcls=true,IgnorePublic=1": "BlockPublicAcls=true,IgnorePublic=1",
	} {
		assert.Equal(t, want, ShellQuote(in), in)
		out, err := exec.Command("sh", "-c", "printf %s "+ShellQuote(in)).Output()
		require.NoError(t, err)
		assert.Equal(t, in, string(out), "the shell reads back what was quoted")
	}
	for _, tc := range []struct{ arn, want string }{
		{"arn:aws:sts::111122223333:assumed-role/IncidentResponder/alice", "arn:aws:iam::111122223333:role/IncidentResponder arn:aws:iam::111122223333:role/*/IncidentResponder"},
		{"arn:aws-cn:sts::111122223333:assumed-role/IR/x", "arn:aws-cn:iam::111122223333:role/IR arn:aws-cn:iam::111122223333:role/*/IR"},
		{"arn:aws:iam::111122223333:user/ops/alice", "arn:aws:iam::111122223333:user/ops/alice"},
		{"arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:root"},
	} {
		got, err := PrincipalPatterns(tc.arn)
		require.NoError(t, err)
		assert.Equal(t, tc.want, strings.Join(got, " "))
	}
	_, err := PrincipalPatterns("alice")
	require.ErrorIs(t, err, app.ErrInvalid)
}

func TestResponders(t *testing.T) {
	got, err := Responders("arn:aws:sts::111122223333:assumed-role/IR/alice", " arn:aws:iam::111122223333:user/bob ,arn:aws:iam::111122223333:role/IR,,", "b")
	require.NoError(t, err)
	assert.Equal(t, []string{"arn:aws:iam::111122223333:role/IR", "arn:aws:iam::111122223333:role/*/IR", "arn:aws:iam::111122223333:user/bob"}, got)
	_, err = Responders("arn:aws:iam::111122223333:user/a", "bob", "b")
	require.ErrorIs(t, err, app.ErrInvalid, "an extra responder must be an ARN")
	_, err = Responders("alice", "", "b")
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "lock bucket b: who the connection acts as")
}
