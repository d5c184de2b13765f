package tabletop

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/aws"
)

// Plan parity of the access-key and user actions, which kumo's IAM lacks
// (UpdateAccessKey, GetAccessKeyLastUsed, user inline policies), against
// versitygw's standalone IAM service, a real IAM query API the aws
// package's own tests use. Its deviations from AWS, normalised away:
// access key ids are its own (compared as KEY), and it keeps no last use
// of a key, so the scenario gives none either. For a key no user of the
// account holds, versitygw's GetAccessKeyLastUsed answers NoSuchEntity
// (404) where AWS, which does not say whose a key is, refuses with
// AccessDenied as the simulation does; both refuse, with different words.

const (
	vgwParityRoot   = "vgwroot"
	vgwParitySecret = "vgwroot-secret-for-tests-only"
)

// versityGW returns the gateway binary: $VERSITYGW, or the one the
// project's install script builds (and reuses).
func versityGW(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VERSITYGW"); p != "" {
		return p
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "sh", filepath.Join(root, "scripts", "install-versitygw.sh"))
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	return strings.TrimSpace(string(out))
}

// versityIAM runs versitygw's IAM service until the test ends and returns
// a client of it.
func versityIAM(t *testing.T) *iam.Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	sockDir, err := os.MkdirTemp("", "vgw")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(sockDir) })
	var logs lockedBuffer
	cmd := exec.Command(versityGW(t), "--access", vgwParityRoot, "--secret", vgwParitySecret, "--port", addr, "--quiet",
		"iam", "--dir", t.TempDir(), "--private-ports", filepath.Join(sockDir, "iam.sock"))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("versitygw iam exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw iam did not listen: %s", logs.String())
		}
	}
	cfg := sdkaws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(vgwParityRoot, vgwParitySecret, ""),
		HTTPClient: &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 30 * time.Second}}
	return iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = sdkaws.String("http://" + addr) })
}

// lockedBuffer keeps a process's output, written by exec's copying
// goroutine while the test may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestKeyAndUserPlansOnTheSimulatedAccountMatchPlansOnVersityGW(t *testing.T) {
	ctx := context.Background()
	ic := versityIAM(t)
	// The same users on both sides; the keys are versitygw's, and the
	// scenario takes their ids.
	keyOf := map[string]string{}
	for _, u := range []struct {
		name   string
		status string
	}{{"ci-deploy", "Active"}, {"dana.ops", "Inactive"}} {
		_, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: sdkaws.String(u.name)})
		require.NoError(t, err)
		out, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: sdkaws.String(u.name)})
		require.NoError(t, err)
		keyOf[u.name] = sdkaws.ToString(out.AccessKey.AccessKeyId)
		if u.status == "Inactive" {
			_, err = ic.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: sdkaws.String(u.name), AccessKeyId: out.AccessKey.AccessKeyId, Status: "Inactive"})
			require.NoError(t, err)
		}
	}
	// versitygw's key ids are not AKIA ids; the scenario needs them as
	// such, so the simulated side gets ids of its own, mapped back below.
	simKey := map[string]string{"ci-deploy": "AKIAIOSFODNN7EXAMPLE", "dana.ops": "AKIAJ2QX5EXAMPLE0002"}
	sc, err := ParseScenario("parity", []byte(fmt.Sprintf(`id: parity-keys
title: Plan parity of keys
account: "000000000000"
users:
  - name: ci-deploy
    accessKeys: [{id: %s, status: Active}]
  - name: dana.ops
    accessKeys: [{id: %s, status: Inactive}]
`, simKey["ci-deploy"], simKey["dana.ops"])))
	require.NoError(t, err)
	clock := &simClock{t: exerciseStart}
	b := newBackend(sc, "us-east-1", clock.now)
	sim := aws.NewSimulated(aws.Clients{IAM: iamAPI{b}}, "tabletop", "us-east-1", clock.now)
	real := aws.NewSimulated(aws.Clients{IAM: ic}, "tabletop", "us-east-1", clock.now)
	by := app.Identity{Account: "000000000000", ARN: "arn:aws:iam::000000000000:root"}
	keysAsWords := func(c comparable, keys map[string]string) comparable {
		r := strings.NewReplacer(keys["ci-deploy"], "KEY-ci-deploy", keys["dana.ops"], "KEY-dana.ops")
		for i := range c.Impact {
			c.Impact[i] = r.Replace(c.Impact[i])
		}
		c.Title, c.ConfirmWord = r.Replace(c.Title), r.Replace(c.ConfirmWord)
		for i := range c.Steps {
			st := &c.Steps[i]
			st.Name, st.CLI, st.UndoCLI = r.Replace(st.Name), r.Replace(st.CLI), r.Replace(st.UndoCLI)
			for k, v := range st.ID {
				st.ID[k] = r.Replace(v)
			}
		}
		return c
	}
	tests := []struct {
		action string
		params func(keys map[string]string) map[string]string
	}{
		{"iam.deactivate-access-key", func(map[string]string) map[string]string { return map[string]string{"userName": "ci-deploy"} }},
		{"iam.deactivate-access-key", func(k map[string]string) map[string]string { return map[string]string{"accessKeyId": k["ci-deploy"]} }},
		{"iam.delete-access-key", func(k map[string]string) map[string]string { return map[string]string{"accessKeyId": k["dana.ops"]} }},
		{"iam.delete-access-key", func(k map[string]string) map[string]string {
			return map[string]string{"userName": "dana.ops", "accessKeyId": k["dana.ops"]}
		}},
		{"iam.revoke-user-sessions", func(map[string]string) map[string]string { return map[string]string{"userName": "ci-deploy"} }},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			want, err := real.Changer.PlanChange(ctx, app.ChangeRequest{Action: tt.action, Params: tt.params(keyOf)}, by)
			require.NoError(t, err, "versitygw")
			got, err := sim.Changer.PlanChange(ctx, app.ChangeRequest{Action: tt.action, Params: tt.params(simKey)}, by)
			require.NoError(t, err, "simulated")
			require.NotEmpty(t, want.Steps)
			require.NotEmpty(t, want.Impact)
			assert.Equal(t, keysAsWords(comparePlan(want, nil), keyOf), keysAsWords(comparePlan(got, nil), simKey))
			if !want.Reversible {
				return // the deletion is planned twice: applying it once is for the walks
			}
			// Applying, reading back and undoing agree as well.
			for _, undo := range []bool{false, true} {
				for i := range want.Steps {
					ws, gs := want.Steps[i], got.Steps[i]
					wto, gto := ws.After, gs.After
					if undo {
						wto, gto = ws.Before, gs.Before
					}
					require.NoError(t, real.Changer.WriteState(ctx, ws.Resource, wto))
					require.NoError(t, sim.Changer.WriteState(ctx, gs.Resource, gto))
					wnow, err := real.Changer.ReadState(ctx, ws.Resource)
					require.NoError(t, err)
					gnow, err := sim.Changer.ReadState(ctx, gs.Resource)
					require.NoError(t, err)
					assert.Equal(t, stateOf(ws.Resource.Kind, wnow), stateOf(gs.Resource.Kind, gnow), "undo %v", undo)
					assert.Equal(t, stateOf(gs.Resource.Kind, gto), stateOf(gs.Resource.Kind, gnow))
				}
			}
		})
	}
	// A key nobody here holds is refused on both (with different codes).
	_, kerr := real.Changer.PlanChange(ctx, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"accessKeyId": "AKIAZZZZZZZZZZZZZZZZ"}}, by)
	_, serr := sim.Changer.PlanChange(ctx, app.ChangeRequest{Action: "iam.deactivate-access-key", Params: map[string]string{"accessKeyId": "AKIAZZZZZZZZZZZZZZZZ"}}, by)
	require.Error(t, kerr)
	require.Error(t, serr)
	assert.Contains(t, kerr.Error(), "find the user of access key AKIAZZZZZZZZZZZZZZZZ")
	assert.Contains(t, serr.Error(), "find the user of access key AKIAZZZZZZZZZZZZZZZZ")

	// An active key is refused for deletion on both.
	_, kerr = real.Changer.PlanChange(ctx, app.ChangeRequest{Action: "iam.delete-access-key", Params: map[string]string{"accessKeyId": keyOf["ci-deploy"]}}, by)
	_, serr = sim.Changer.PlanChange(ctx, app.ChangeRequest{Action: "iam.delete-access-key", Params: map[string]string{"accessKeyId": simKey["ci-deploy"]}}, by)
	require.ErrorIs(t, kerr, app.ErrInvalid)
	require.ErrorIs(t, serr, app.ErrInvalid)
	assert.Equal(t, strings.ReplaceAll(kerr.Error(), keyOf["ci-deploy"], "KEY"), strings.ReplaceAll(serr.Error(), simKey["ci-deploy"], "KEY"))
}
