package tabletop

import (
	"context"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/require"

	"s3responder/app"
	"s3responder/aws"
)

// The harness of the API simulations' tests: the built-in scenario's
// backend with a clock the test moves, and the aws package's account over
// it, built as the connector will build it.

// simClock is a clock a test sets and moves forward.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *simClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// callerStub answers GetCallerIdentity with the scenario's caller: STS is
// simulated by another part of the package (api_sts.go); these tests
// only need the identity the readers ask for first.
type callerStub struct{ sc *Scenario }

func (c callerStub) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	return &sts.GetCallerIdentityOutput{Account: sdkaws.String(c.sc.Account), Arn: sdkaws.String(c.sc.Caller.ARN), UserId: sdkaws.String(c.sc.Caller.UserID)}, nil
}

// exerciseStart is the morning the built-in scenario's team starts:
// after the intrusion, within CloudTrail's 90 days of it.
var exerciseStart = time.Date(2026, 11, 24, 8, 30, 0, 0, time.UTC)

type apiSim struct {
	b     *backend
	clock *simClock
	cloud *aws.ChangingCloud
	by    app.Identity
}

func builtinScenario(t *testing.T) *Scenario {
	t.Helper()
	all, err := Builtin()
	require.NoError(t, err)
	for _, sc := range all {
		if sc.ID == DefaultScenario {
			return sc
		}
	}
	t.Fatalf("no built-in scenario %s", DefaultScenario)
	return nil
}

// newAPISim opens the built-in scenario's account over the simulated
// APIs, at exerciseStart.
func newAPISim(t *testing.T) apiSim {
	t.Helper()
	sc := builtinScenario(t)
	clock := &simClock{t: exerciseStart}
	b := newBackend(sc, "", clock.now)
	api := aws.Clients{IAM: iamAPI{b}, EC2: ec2API{b}, CloudTrail: trailAPI{b}, Analyzer: analyzerAPI{b}, Macie: macieAPI{b},
		Athena: athenaAPI{b}, STS: callerStub{sc}}
	cloud := aws.NewSimulated(api, "tabletop", b.region, clock.now)
	// The simulated event history has no throttle to respect.
	cloud.Cloud.Limiter = &aws.Limiter{Interval: time.Millisecond}
	return apiSim{b: b, clock: clock, cloud: cloud, by: app.Identity{Account: sc.Account, ARN: sc.Caller.ARN, UserID: sc.Caller.UserID}}
}
