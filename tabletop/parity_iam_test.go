package tabletop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sivchari/kumo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/aws"
)

// Plan parity: for the same starting state, the aws package's code plans
// the same change (steps, states, calls, CLI equivalents, impact, notes)
// on the simulated account as on kumo, the in-process AWS emulator,
// identifiers aside. A difference is a bug of the simulation, unless it
// is one of kumo's known deviations from AWS, listed here and normalised
// away where they touch a compared field:
//
//   - kumo's IAM returns policy documents as stored, not URL-encoded as
//     IAM does; the aws package decodes either way, so plans agree.
//   - kumo's DescribeKeyPairs leaves out KeyType and CreateTime, and its
//     key pair ids and fingerprints are its own: the key pair's state is
//     compared by name.
//   - kumo has no DescribeLaunchTemplateVersions: its plan of
//     ec2.delete-key-pair carries a note that launch templates could not
//     be read, which the simulated account (and AWS) does not need.
//   - kumo's instance ids are not in EC2's form (i- and 8 or 17
//     hexadecimal digits) but carry a dashed suffix: ids are normalised.
//   - kumo's instances carry neither an instance profile nor metadata
//     options, and DescribeInstances ignores filters, so ec2.require-imdsv2
//     finds no instance of the role there: that action's parity is not
//     testable on kumo (aws/eradicate_ec2_test.go covers it against an
//     EC2 server speaking the wire protocol).
//   - kumo's IAM has no UpdateAccessKey, GetAccessKeyLastUsed or user
//     inline policies, so iam.deactivate-access-key, iam.delete-access-key
//     and iam.revoke-user-sessions cannot be planned on it (aws tests them
//     against versitygw's IAM).

var parityRuns atomic.Int64

// parityScenario is the state both sides start from: a role with a trust
// policy naming another account, an inline policy and an instance
// profile; a key pair and an instance launched with it.
func parityScenario(p string) string {
	return fmt.Sprintf(`id: parity
title: Plan parity
account: "123456789012"
region: eu-west-1
roles:
  - name: %[1]sDataPipelineRole
    created: 2025-02-11T10:15:00Z
    trustPolicy: '%[2]s'
    inlinePolicies:
      pipeline-data-access: '%[3]s'
    instanceProfiles: [%[1]sDataPipelineProfile]
ec2:
  keyPairs:
    - name: %[1]sci-build
  instances:
    - id: i-0123456789abcdef0
      keyName: %[1]sci-build
`, p, parityTrust, parityInline)
}

const (
	parityTrust  = `{"Version":"2012-10-17","Statement":[{"Sid":"GlueJobs","Effect":"Allow","Principal":{"Service":"glue.amazonaws.com"},"Action":"sts:AssumeRole"},{"Sid":"ExternalSync","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	parityInline = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::acme-customer-exports","arn:aws:s3:::acme-customer-exports/*"]}]}`
)

// kumoChanger builds the same starting state on kumo and returns the
// aws package's Changer over kumo's IAM and EC2.
func kumoChanger(t *testing.T, p string, now func() time.Time) *aws.ChangingCloud {
	t.Helper()
	srv := kumo.NewServer()
	t.Cleanup(srv.Close)
	cfg := sdkaws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLEKEY000001", "fakesecret", ""),
		HTTPClient: &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 30 * time.Second}}
	iamc := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = sdkaws.String(srv.URL) })
	ec2c := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = sdkaws.String(srv.URL) })
	ctx := context.Background()
	role, profile, pair := p+"DataPipelineRole", p+"DataPipelineProfile", p+"ci-build"
	_, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &role, AssumeRolePolicyDocument: sdkaws.String(parityTrust), MaxSessionDuration: sdkaws.Int32(3600)})
	require.NoError(t, err)
	_, err = iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: &role, PolicyName: sdkaws.String("pipeline-data-access"), PolicyDocument: sdkaws.String(parityInline)})
	require.NoError(t, err)
	_, err = iamc.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: &profile})
	require.NoError(t, err)
	_, err = iamc.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: &profile, RoleName: &role})
	require.NoError(t, err)
	_, err = ec2c.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: &pair})
	require.NoError(t, err)
	_, err = ec2c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: sdkaws.String("ami-0123456789abcdef0"), InstanceType: ec2types.InstanceTypeT3Micro,
		MinCount: sdkaws.Int32(1), MaxCount: sdkaws.Int32(1), KeyName: &pair})
	require.NoError(t, err)
	return aws.NewSimulated(aws.Clients{IAM: iamc, EC2: ec2c}, "tabletop", "eu-west-1", now)
}

var (
	keyPairIDs   = regexp.MustCompile(`key-[0-9a-f]{8,17}`)
	instanceIDs  = regexp.MustCompile(`i-[0-9a-f]{8}[0-9a-f-]*`)
	fingerprints = regexp.MustCompile(`[0-9a-f]{2}(:[0-9a-f]{2}){15,31}`)
)

// normalise blanks identifiers that differ between two accounts.
func normalise(s string) string {
	s = keyPairIDs.ReplaceAllString(s, "key-ID")
	s = instanceIDs.ReplaceAllString(s, "i-ID")
	return fingerprints.ReplaceAllString(s, "FINGERPRINT")
}

// comparable is what parity compares of a plan.
type comparable struct {
	Action, Title, Target, Region, ConfirmWord, UndoNote string
	Broad, Reversible                                    bool
	Impact, Notes                                        []string
	Steps                                                []comparableStep
}

type comparableStep struct {
	Kind, Name                   string
	ID                           map[string]string
	Before, After                string
	Call, CLI, UndoCall, UndoCLI string
}

// stateOf compacts a state; a key pair's is reduced to its name.
func stateOf(kind string, st json.RawMessage) string {
	if kind == app.ResourceKeyPair && string(st) != "null" {
		var kp map[string]any
		if json.Unmarshal(st, &kp) == nil {
			return fmt.Sprintf(`{"KeyName":%q}`, kp["KeyName"])
		}
	}
	var v any
	if json.Unmarshal(st, &v) != nil {
		return string(st)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func comparePlan(p app.Plan, dropNote func(string) bool) comparable {
	c := comparable{Action: p.Action, Title: normalise(p.Title), Target: p.Target, Region: p.Region, ConfirmWord: p.ConfirmWord,
		UndoNote: normalise(p.UndoNote), Broad: p.Broad, Reversible: p.Reversible}
	for _, s := range p.Impact {
		c.Impact = append(c.Impact, normalise(s))
	}
	for _, s := range p.Notes {
		if dropNote == nil || !dropNote(s) {
			c.Notes = append(c.Notes, normalise(s))
		}
	}
	for _, st := range p.Steps {
		id := map[string]string{}
		for k, v := range st.Resource.ID {
			id[k] = normalise(v)
		}
		c.Steps = append(c.Steps, comparableStep{Kind: st.Resource.Kind, Name: normalise(st.Resource.Name), ID: id,
			Before: stateOf(st.Resource.Kind, st.Before), After: stateOf(st.Resource.Kind, st.After),
			Call: st.Call, CLI: normalise(st.CLI), UndoCall: st.UndoCall, UndoCLI: normalise(st.UndoCLI)})
	}
	return c
}

func TestPlansOnTheSimulatedAccountMatchPlansOnKumo(t *testing.T) {
	ctx := context.Background()
	p := fmt.Sprintf("p%d%d-", time.Now().UnixNano()%100000, parityRuns.Add(1))
	sc, err := ParseScenario("parity", []byte(parityScenario(p)))
	require.NoError(t, err)
	clock := &simClock{t: exerciseStart}
	b := newBackend(sc, "", clock.now)
	sim := aws.NewSimulated(aws.Clients{IAM: iamAPI{b}, EC2: ec2API{b}}, "tabletop", "eu-west-1", clock.now)
	real := kumoChanger(t, p, clock.now)
	by := app.Identity{Account: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/IncidentResponder/alex"}

	tests := []struct {
		req app.ChangeRequest
		// dropKumoNote leaves out a note only kumo's deviation causes.
		dropKumoNote func(string) bool
	}{
		{req: app.ChangeRequest{Action: "iam.revoke-role-sessions", Params: map[string]string{"roleName": p + "DataPipelineRole"}}},
		{req: app.ChangeRequest{Action: "iam.neutralise-role", Params: map[string]string{"roleName": p + "DataPipelineRole"}}},
		{req: app.ChangeRequest{Action: "iam.update-trust-policy", Params: map[string]string{"roleName": p + "DataPipelineRole", "removePrincipals": "arn:aws:iam::444455556666:root"}}},
		{req: app.ChangeRequest{Action: "iam.update-trust-policy", Params: map[string]string{"roleName": p + "DataPipelineRole",
			"policyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"glue.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}}},
		{req: app.ChangeRequest{Action: "ec2.delete-key-pair", Params: map[string]string{"keyName": p + "ci-build"}},
			dropKumoNote: func(s string) bool { return strings.HasPrefix(s, "launch templates could not be read") }},
	}
	for _, tt := range tests {
		t.Run(tt.req.Action, func(t *testing.T) {
			want, err := real.Changer.PlanChange(ctx, tt.req, by)
			require.NoError(t, err, "kumo")
			got, err := sim.Changer.PlanChange(ctx, tt.req, by)
			require.NoError(t, err, "simulated")
			require.NotEmpty(t, want.Steps)
			require.NotEmpty(t, want.Impact)
			assert.Equal(t, comparePlan(want, tt.dropKumoNote), comparePlan(got, nil))
			if tt.dropKumoNote != nil {
				assert.True(t, slices.ContainsFunc(want.Notes, tt.dropKumoNote), "the deviation left out is kumo's: %q", want.Notes)
			}
			// Applying, reading back and undoing agree as well.
			states := func(cc *aws.ChangingCloud, plan app.Plan, after bool) []string {
				var out []string
				for _, st := range plan.Steps {
					to := st.Before
					if after {
						to = st.After
					}
					require.NoError(t, cc.Changer.WriteState(ctx, st.Resource, to), st.Resource.Name)
					now, err := cc.Changer.ReadState(ctx, st.Resource)
					require.NoError(t, err, st.Resource.Name)
					out = append(out, stateOf(st.Resource.Kind, now))
				}
				return out
			}
			applied := states(sim, got, true)
			assert.Equal(t, states(real, want, true), applied)
			for i, st := range got.Steps {
				assert.Equal(t, stateOf(st.Resource.Kind, st.After), applied[i], "verified")
			}
			if want.Reversible {
				assert.Equal(t, states(real, want, false), states(sim, got, false), "undone")
			}
		})
	}

	// The refusals agree too.
	for _, req := range []app.ChangeRequest{
		{Action: "iam.neutralise-role", Params: map[string]string{"roleName": p + "NoSuchRole"}},
		{Action: "ec2.delete-key-pair", Params: map[string]string{"keyName": p + "no-such-pair"}},
		{Action: "iam.update-trust-policy", Params: map[string]string{"roleName": p + "DataPipelineRole", "removePrincipals": "arn:aws:iam::999999999999:root"}},
	} {
		_, kerr := real.Changer.PlanChange(ctx, req, by)
		_, serr := sim.Changer.PlanChange(ctx, req, by)
		require.Error(t, kerr, req.Action)
		require.Error(t, serr, req.Action)
		for _, sentinel := range []error{app.ErrNotFound, app.ErrInvalid, app.ErrNoChange} {
			assert.Equal(t, errorsIs(kerr, sentinel), errorsIs(serr, sentinel), "%s: %v vs %v", req.Action, kerr, serr)
		}
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
