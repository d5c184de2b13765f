package aws

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const baseCredentials = "[base]\naws_access_key_id = AKIAEXAMPLEBASE00001\naws_secret_access_key = fakesecretfakesecretfakesecret\n"

func TestConnectStaticProfile(t *testing.T) {
	sts := newSTSServer(t)
	isolate(t, "[profile base]\nregion = eu-central-1\n", baseCredentials)
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL) // service-specific variable
	s, err := Connect(context.Background(), Options{Profile: "base", HTTPClient: loopbackClient(t)})
	require.NoError(t, err)
	assert.Equal(t, "eu-central-1", s.Region, "region from the profile")
	assert.False(t, s.CustomEndpoint, "only STS was pointed elsewhere")

	id, err := WhoAmI(context.Background(), s.STS, "base")
	require.NoError(t, err)
	assert.Equal(t, Identity{Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/Alice", UserID: "AIDAEXAMPLEALICE0001"}, id)
	assert.Equal(t, []string{"AKIAEXAMPLEBASE00001"}, sts.keysSeen)

	s2, err := Connect(context.Background(), Options{Profile: "base", Region: "ap-southeast-2", HTTPClient: loopbackClient(t)})
	require.NoError(t, err)
	assert.Equal(t, "ap-southeast-2", s2.Region, "an explicit region wins over the profile's")
}

func TestConnectAssumeRoleWithMFA(t *testing.T) {
	sts := newSTSServer(t)
	sts.mfaSerial, sts.mfaCode = "arn:aws:iam::123456789012:mfa/alice", "123456"
	isolate(t, `[profile base]
region = us-east-1

[profile responder]
role_arn = arn:aws:iam::123456789012:role/Responder
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice
role_session_name = s3responder
region = us-east-1
`, baseCredentials)
	t.Setenv("AWS_ENDPOINT_URL", sts.URL)

	var prompts []string
	prompt := func(profile, serial string) (string, error) {
		prompts = append(prompts, profile+" "+serial)
		return " 123456\n", nil
	}
	s, err := Connect(context.Background(), Options{Profile: "responder", MFA: prompt, HTTPClient: loopbackClient(t)})
	require.NoError(t, err)
	for range 2 {
		id, err := WhoAmI(context.Background(), s.STS, "responder")
		require.NoError(t, err)
		assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/Responder/s3responder", id.ARN)
	}
	assert.Equal(t, []string{"responder arn:aws:iam::123456789012:mfa/alice"}, prompts, "asked once, then the session is cached")
	require.Len(t, sts.assumes, 1)
	assert.Equal(t, "arn:aws:iam::123456789012:role/Responder", sts.assumes[0].Get("RoleArn"))
	assert.Equal(t, "123456", sts.assumes[0].Get("TokenCode"), "the code is trimmed")
	assert.Equal(t, []string{"AKIAEXAMPLEBASE00001", "ASIAEXAMPLESESSION01", "ASIAEXAMPLESESSION01"}, sts.keysSeen)

	t.Run("wrong code", func(t *testing.T) {
		s, err := Connect(context.Background(), Options{Profile: "responder", HTTPClient: loopbackClient(t),
			MFA: func(string, string) (string, error) { return "000000", nil }})
		require.NoError(t, err)
		_, err = WhoAmI(context.Background(), s.STS, "responder")
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindDenied, e.Kind)
	})
	t.Run("prompt cancelled", func(t *testing.T) {
		s, err := Connect(context.Background(), Options{Profile: "responder", HTTPClient: loopbackClient(t),
			MFA: func(string, string) (string, error) { return "", context.Canceled }})
		require.NoError(t, err)
		_, err = WhoAmI(context.Background(), s.STS, "responder")
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindCanceled, e.Kind, e.Message)
	})
	t.Run("prompt gave no code", func(t *testing.T) {
		s, err := Connect(context.Background(), Options{Profile: "responder", HTTPClient: loopbackClient(t),
			MFA: func(string, string) (string, error) { return "", io.ErrUnexpectedEOF }})
		require.NoError(t, err)
		_, err = WhoAmI(context.Background(), s.STS, "responder")
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindMFA, e.Kind, e.Message)
		assert.Equal(t, `The AWS profile "responder" needs an MFA code for arn:aws:iam::123456789012:mfa/alice, and none was given (unexpected EOF). Nothing was sent to AWS; try again and type the code.`, e.Message)
	})
	t.Run("no prompt given", func(t *testing.T) {
		_, err := Connect(context.Background(), Options{Profile: "responder", HTTPClient: loopbackClient(t)})
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindMFA, e.Kind)
		assert.Contains(t, e.Message, `The AWS profile "responder" assumes a role that needs an MFA code`)
	})
}

func TestConnectSSO(t *testing.T) {
	sts := newSTSServer(t)
	home := isolate(t, `[profile sso]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Responder
region = us-east-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
`, "")
	// Any SSO or OIDC call would go here, never to AWS.
	t.Setenv("AWS_ENDPOINT_URL", sts.URL)
	check := func(t *testing.T) {
		s, err := Connect(context.Background(), Options{Profile: "sso", HTTPClient: loopbackClient(t)})
		require.NoError(t, err, "config loads without a token; the first call needs it")
		_, err = WhoAmI(context.Background(), s.STS, "sso")
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindExpired, e.Kind)
		assert.Contains(t, e.Message, "Run `aws sso login --profile sso`")
		assert.Empty(t, sts.keysSeen, "no call was signed")
	}
	t.Run("never logged in", check)
	t.Run("expired token in the cache", func(t *testing.T) {
		dir := filepath.Join(home, ".aws", "sso", "cache")
		require.NoError(t, os.MkdirAll(dir, 0o700))
		// The SDK names the cache file after the SHA-1 of the session name.
		token := `{"accessToken":"expired","expiresAt":"2020-01-01T00:00:00Z","region":"us-east-1","startUrl":"https://example.awsapps.com/start"}`
		require.NoError(t, os.WriteFile(filepath.Join(dir, "ee0bfd2552fbd840c02cc48b6e823320543c450f.json"), []byte(token), 0o600))
		check(t)
	})
}

func TestConnectConfigErrors(t *testing.T) {
	t.Run("unknown profile", func(t *testing.T) {
		isolate(t, "[default]\nregion = us-east-1\n", "")
		_, err := Connect(context.Background(), Options{Profile: "nosuch", HTTPClient: loopbackClient(t)})
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindConfig, e.Kind)
		assert.Contains(t, e.Message, `There is no AWS profile named "nosuch"`)
	})
	t.Run("no region", func(t *testing.T) {
		isolate(t, "[profile base]\n", baseCredentials)
		_, err := Connect(context.Background(), Options{Profile: "base", HTTPClient: loopbackClient(t)})
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindConfig, e.Kind)
		assert.Contains(t, e.Message, "No AWS region is set")
	})
	t.Run("no credentials at all", func(t *testing.T) {
		sts := newSTSServer(t)
		isolate(t, "[default]\nregion = us-east-1\n", "")
		t.Setenv("AWS_ENDPOINT_URL", sts.URL)
		s, err := Connect(context.Background(), Options{HTTPClient: loopbackClient(t)})
		require.NoError(t, err)
		_, err = WhoAmI(context.Background(), s.STS, "")
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindNoCredentials, e.Kind, e.Message)
		assert.Contains(t, e.Message, "No usable AWS credentials for the default AWS profile")
	})
	t.Run("expired keys", func(t *testing.T) {
		sts := newSTSServer(t)
		sts.errorCode = "ExpiredToken"
		s := connectTo(t, sts.URL)
		_, err := WhoAmI(context.Background(), s.STS, "")
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, KindExpired, e.Kind)
		assert.Equal(t, "ExpiredToken", e.Code)
		assert.Contains(t, e.Message, "have expired (ExpiredToken)")
		assert.False(t, errors.Is(err, context.Canceled))
	})
}
