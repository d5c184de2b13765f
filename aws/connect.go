package aws

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/macie2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"s3responder/app"
)

// MFAPrompt asks the person for a one-time MFA code when a profile assumes
// a role with mfa_serial. It is called from an SDK goroutine, possibly in
// the middle of any AWS call, and must block until the code is typed or
// return an error (cancel). A GUI implements it by showing a dialog via
// fyne.Do and waiting on a channel; the CLI reads a line from the terminal.
type MFAPrompt func(profile, serial string) (string, error)

// Options choose the AWS identity to work as.
type Options struct {
	// Profile from the shared config files; "" uses the default chain
	// (environment, default profile, SSO, instance role).
	Profile string
	// Region overrides the profile's region.
	Region string
	// MFA is asked for codes of assume-role profiles with mfa_serial.
	MFA MFAPrompt
	// HTTPClient replaces the SDK's client (proxies, tests).
	HTTPClient config.HTTPClient
	// ExtraOptions are passed to config.LoadDefaultConfig after ours.
	ExtraOptions []func(*config.LoadOptions) error
}

// Session holds the SDK clients for one profile and region. Build it once
// (in main, or when the person picks a profile) and hand its clients to
// the functions of this package, which take small interfaces.
type Session struct {
	Profile string
	Region  string
	Config  sdkaws.Config
	S3      *s3.Client
	Control *s3control.Client
	STS     *sts.Client
	// CloudTrail searches management events (LookupEvents).
	CloudTrail *cloudtrail.Client
	// Analyzer reads IAM Access Analyzer's analyzers and findings.
	Analyzer *accessanalyzer.Client
	// Macie reads Amazon Macie's bucket statistics.
	Macie *macie2.Client
	// Athena runs queries over the trail's log files.
	Athena *athena.Client
	// CustomEndpoint is true when AWS_ENDPOINT_URL(_S3) or a profile's
	// endpoint_url points S3 somewhere else (an S3-compatible store or a
	// test server); path-style addressing is then used.
	CustomEndpoint bool
}

// Connect loads the person's normal AWS configuration (shared config and
// credentials files, SSO, assume-role, environment) for a profile. It
// does not call AWS: credentials are fetched on first use, so errors
// about expired SSO sessions surface from the first call, explained by
// Explain.
func Connect(ctx context.Context, o Options) (*Session, error) {
	opts := []func(*config.LoadOptions) error{
		// Adaptive retry also slows down on throttling, which matters
		// when scanning every bucket of a large account.
		config.WithRetryMode(sdkaws.RetryModeAdaptive),
		config.WithRetryMaxAttempts(5),
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	prompt, profile := o.MFA, o.Profile
	opts = append(opts, config.WithAssumeRoleCredentialOptions(func(ao *stscreds.AssumeRoleOptions) {
		// The SDK builds the STS client of role assumption before it reads
		// AWS_ENDPOINT_URL*, so that client would still go to AWS; point
		// it where every other call goes.
		if c, ok := ao.Client.(*sts.Client); ok && c != nil {
			if ep := stsEndpointFromEnv(); ep != "" && c.Options().BaseEndpoint == nil {
				so := c.Options()
				so.BaseEndpoint = &ep
				ao.Client = sts.New(so)
			}
		}
		if prompt == nil {
			return // the SDK then refuses mfa_serial profiles; Explain says why
		}
		serial := sdkaws.ToString(ao.SerialNumber)
		ao.TokenProvider = func() (string, error) {
			code, err := prompt(profile, serial)
			if err != nil {
				return "", &mfaPromptError{serial: serial, err: err}
			}
			return strings.TrimSpace(code), nil
		}
	}))
	if o.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(o.HTTPClient))
	}
	opts = append(opts, o.ExtraOptions...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, explainConfig(err, o.Profile)
	}
	if cfg.Region == "" {
		return nil, &Error{Kind: KindConfig, Err: app.ErrInvalid,
			Message: fmt.Sprintf("No AWS region is set for %s: choose a region, or add one to the profile.", profileWords(o.Profile))}
	}
	s := &Session{Profile: o.Profile, Region: cfg.Region, Config: cfg}
	s.S3 = s3.NewFromConfig(cfg, func(so *s3.Options) {
		// The base endpoint is resolved (from AWS_ENDPOINT_URL*, profile
		// endpoint_url or options) before these functions run.
		if so.BaseEndpoint != nil {
			s.CustomEndpoint = true
			so.UsePathStyle = true
			// S3-compatible stores often reject the newer default
			// checksums.
			so.RequestChecksumCalculation = sdkaws.RequestChecksumCalculationWhenRequired
			so.ResponseChecksumValidation = sdkaws.ResponseChecksumValidationWhenRequired
		}
	})
	s.Control = s3control.NewFromConfig(cfg)
	s.STS = sts.NewFromConfig(cfg)
	s.CloudTrail = cloudtrail.NewFromConfig(cfg)
	s.Analyzer = accessanalyzer.NewFromConfig(cfg)
	s.Macie = macie2.NewFromConfig(cfg)
	s.Athena = athena.NewFromConfig(cfg)
	return s, nil
}

// mfaPromptError is a prompt that gave no code (the person closed it, or
// the terminal's input ended). The SDK wraps it in credential errors that
// Explain would otherwise call missing credentials.
type mfaPromptError struct {
	serial string
	err    error
}

func (e *mfaPromptError) Error() string { return fmt.Sprintf("MFA code for %s: %v", e.serial, e.err) }

func (e *mfaPromptError) Unwrap() error { return e.err }

// stsEndpointFromEnv returns the STS endpoint set by the standard
// variables, the service-specific one first.
func stsEndpointFromEnv() string {
	if v := os.Getenv("AWS_ENDPOINT_URL_STS"); v != "" {
		return v
	}
	return os.Getenv("AWS_ENDPOINT_URL")
}

func explainConfig(err error, profile string) error {
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return &Error{Kind: KindConfig, Err: err,
			Message: fmt.Sprintf("There is no AWS profile named %q in your AWS config files. Check the name, or set it up with `aws configure%s`.", profile, profileFlag(profile))}
	}
	var mfa config.AssumeRoleTokenProviderNotSetError
	if errors.As(err, &mfa) {
		return Explain(err, profile)
	}
	return &Error{Kind: KindConfig, Err: err,
		Message: fmt.Sprintf("Could not read the AWS configuration for %s: %v", profileWords(profile), err)}
}

// Clients are the session's SDK clients as the APIs the checks take.
func (s *Session) Clients() Clients {
	return Clients{S3: s.S3, Control: s.Control, IAM: iam.NewFromConfig(s.Config), EC2: ec2.NewFromConfig(s.Config),
		STS: s.STS, CloudTrail: s.CloudTrail, Analyzer: s.Analyzer, Macie: s.Macie, Athena: s.Athena,
		Organizations: organizations.NewFromConfig(s.Config)}
}
