package tabletop

import (
	"time"

	"s3responder/app"
	"s3responder/aws"
)

// Account is a simulated AWS account built from a Scenario. It is the aws
// package's own account (aws.ChangingCloud) over the simulated APIs of one
// backend: every check, plan, impact text, AWS CLI equivalent, change,
// verification, undo, inspection and investigation of an exercise runs the
// very code a real incident runs, and nothing leaves the process.
//
// An Account opened by the Service for an incident (ForIncident) starts
// from the scenario and replays the incident's change journal through the
// same code, so every process sees the changes applied so far; nothing is
// stored anywhere but in the incident's own journal.
type Account struct {
	*aws.ChangingCloud
	b *backend
}

var (
	_ app.Cloud         = (*Account)(nil)
	_ app.Mutator       = (*Account)(nil)
	_ app.BulkMutator   = (*Account)(nil)
	_ app.Inspector     = (*Account)(nil)
	_ app.IncidentCloud = (*Account)(nil)
)

// NewAccount opens the simulated account of a scenario in its pristine
// state. region, when set, is the session's region instead of the
// scenario's; now is the clock (nil: the system's).
func NewAccount(sc *Scenario, region string, now func() time.Time) *Account {
	b := newBackend(sc, region, now)
	// No profile: the AWS CLI commands a plan prints are the ones the team
	// would type against its own account.
	return &Account{ChangingCloud: aws.NewSimulated(b.clients(), "", b.region, b.clock), b: b}
}

// Scenario returns the scenario the account was built from.
func (a *Account) Scenario() *Scenario { return a.b.sc }

// clients are the simulated APIs of every service the aws package calls.
func (b *backend) clients() aws.Clients {
	return aws.Clients{S3: recordingS3{s3API{b}}, Control: recordingControl{controlAPI{b}}, IAM: iamAPI{b}, EC2: ec2API{b}, STS: stsAPI{b},
		CloudTrail: trailAPI{b}, Analyzer: analyzerAPI{b}, Macie: macieAPI{b}, Athena: athenaAPI{b}}
}
