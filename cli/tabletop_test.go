package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/assets"
	"s3responder/store"
	"s3responder/tabletop"
)

// An exercise incident worked from the command line on the simulated
// account, with main's wiring: the tabletop connector in front of a real
// connector that must never be reached. Each command opens the database
// and the account anew, as separate processes do, so what one command
// changes the next one finds through the incident's journal.
func tabletopEnv(t *testing.T) (*testEnv, *atomic.Int64) {
	t.Helper()
	e := newEnv(t)
	e.env[EnvDB] = e.db
	var realCalls atomic.Int64
	pb, err := app.ParsePlaybook("playbook.yaml", assets.Playbook)
	require.NoError(t, err)
	e.deps.Builtin = pb
	e.deps.OpenService = func(path string) (*app.Service, func() error, error) {
		db, err := store.Open(path)
		if err != nil {
			return nil, nil, err
		}
		svc := app.NewService(db, pb, "tester")
		svc.SetConnector(tabletop.Connector(func(_ context.Context, p app.Profile) (app.Cloud, error) {
			realCalls.Add(1)
			t.Errorf("the real connector was called with %+v", p)
			return nil, app.ErrInvalid
		}))
		return svc, db.Close, nil
	}
	return e, &realCalls
}

func TestExposureOfAnExerciseOnTheSimulatedAccount(t *testing.T) {
	e, realCalls := tabletopEnv(t)
	id := e.newIncident("--exercise")
	const bucket = "acme-customer-exports"

	code, out, errOut := e.run("exposure", id, bucket, "--profile", "tabletop", "--json")
	require.Equal(t, exitOK, code, errOut)
	var res struct {
		CollectedBy string             `json:"collectedBy"`
		Buckets     []app.BucketReport `json:"buckets"`
		Evidence    []evidenceView     `json:"evidence"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Len(t, res.Buckets, 1)
	assert.Equal(t, "Public", res.Buckets[0].Verdict)
	assert.Equal(t, "Public: its bucket policy is public and RestrictPublicBuckets is off.", res.Buckets[0].Reasons[0])
	assert.Equal(t, []string{"444455556666"}, res.Buckets[0].SharedWith)
	assert.Equal(t, "arn:aws:sts::111122223333:assumed-role/IncidentResponder/alex.rivera", res.CollectedBy)
	assert.Len(t, res.Evidence, 7, "policy, status, ACL, bucket and account Block Public Access, ownership, verdict")

	// Contain it in two commands, as a responder would.
	code, out, errOut = e.run("act", "plan", id, "s3.remove-policy-statements", "--bucket", bucket, "--profile", "tabletop")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "aws s3api put-bucket-policy --bucket acme-customer-exports")
	fields := strings.Fields(out)
	change := fields[len(fields)-1]
	require.True(t, strings.HasPrefix(change, "CHG-"), out)
	code, _, errOut = e.run("act", "apply", id, change, "--confirm", bucket, "--profile", "tabletop")
	require.Equal(t, exitOK, code, errOut)

	code, out, errOut = e.run("exposure", id, bucket, "--profile", "tabletop")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "Objects can be public")
	assert.NotContains(t, out, "Public: its bucket policy is public")

	// The same account through --scenario and a file of the facilitator's.
	file := filepath.Join(t.TempDir(), "mine.yaml")
	require.NoError(t, os.WriteFile(file, []byte("id: mine\ntitle: Mine\naccount: '210987654321'\nbuckets:\n  - name: mine-open\n    acl: public-read\n"), 0o600))
	code, out, errOut = e.run("exposure", id, "mine-open", "--scenario", file, "--json")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, `"access": "Public"`)
	assert.Contains(t, out, "210987654321")

	// A real profile for the exercise is refused before any connector.
	code, _, errOut = e.run("exposure", id, bucket, "--profile", "prod")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "is an exercise: it works only with a simulated account")

	// The simulated account is no evidence of a real incident.
	realID := e.newIncident()
	code, _, errOut = e.run("exposure", realID, bucket, "--profile", "tabletop")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "is a real incident")
	assert.Zero(t, realCalls.Load())
}
