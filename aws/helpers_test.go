package aws

import (
	"sync"

	"context"
	"github.com/sivchari/kumo"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/stretchr/testify/require"
)

// loopbackClient is an HTTP client that can only reach this machine. A
// request for any other host fails the test: no test may fall back to a
// real AWS endpoint. Hosts like "123456789012.127.0.0.1" (S3 Control puts
// the account id in front of the endpoint host) are dialled on 127.0.0.1.
func loopbackClient(t *testing.T) *http.Client {
	t.Helper()
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if host != "127.0.0.1" && host != "localhost" && !strings.HasSuffix(host, ".127.0.0.1") {
				t.Errorf("test tried to reach %s: only loopback endpoints are allowed", addr)
				return nil, &net.OpError{Op: "dial", Net: network, Err: os.ErrPermission}
			}
			return dialer.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
		},
		Proxy: nil,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// isolate points every AWS setting at a fresh temporary home, so that the
// developer's own profiles, SSO cache and environment never leak in.
// configText is written as the shared config file.
func isolate(t *testing.T, configText, credentialsText string) string {
	t.Helper()
	home := t.TempDir()
	for _, k := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_S3_CONTROL",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CA_BUNDLE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
	} {
		t.Setenv(k, "")
		require.NoError(t, os.Unsetenv(k))
	}
	t.Setenv("HOME", home)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cfgPath := filepath.Join(home, "config")
	credPath := filepath.Join(home, "credentials")
	require.NoError(t, os.WriteFile(cfgPath, []byte(configText), 0o600))
	require.NoError(t, os.WriteFile(credPath, []byte(credentialsText), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfgPath)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credPath)
	return home
}

// connectTo builds a Session whose every service goes to endpoint, with
// fake static keys, through the loopback-only client. It goes through
// AWS_ENDPOINT_URL on purpose: that is how users of S3-compatible stores
// point the app elsewhere.
func connectTo(t *testing.T, endpoint string, extra ...func(*config.LoadOptions) error) *Session {
	t.Helper()
	isolate(t, "[default]\nregion = us-east-1\n", "[default]\naws_access_key_id = AKIAEXAMPLEKEY000001\naws_secret_access_key = fakesecretfakesecretfakesecret\n")
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	s, err := Connect(context.Background(), Options{HTTPClient: loopbackClient(t), ExtraOptions: extra})
	require.NoError(t, err)
	require.True(t, s.CustomEndpoint, "AWS_ENDPOINT_URL must be honoured")
	return s
}

// kumoServer is the test binary's one kumo. kumo keeps one S3 store per
// process whatever the number of servers, and each new server rewires that
// store (its notification publishers) while the notification goroutines of
// earlier PutObject calls may read it: a data race inside kumo, which -race
// reports now and then. One server per process avoids it; the tests keep
// their names apart with prefixes, as they must anyway.
var kumoServer = sync.OnceValue(kumo.NewServer)
