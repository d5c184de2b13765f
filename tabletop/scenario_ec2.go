package tabletop

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The EC2 part of a scenario: the instances that carry a role (through an
// instance profile) or were launched with a key pair, the key pairs, and
// the launch templates that name them, so that an exercise can rehearse
// requiring IMDSv2 and deleting a key pair the intruder may hold.

// EC2Setup is EC2 in the simulated account.
type EC2Setup struct {
	Instances       []Instance       `yaml:"instances"`
	KeyPairs        []KeyPair        `yaml:"keyPairs"`
	LaunchTemplates []LaunchTemplate `yaml:"launchTemplates"`
}

// Instance is one EC2 instance.
type Instance struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	Region string `yaml:"region"`
	// State is pending, running (default), stopping, stopped,
	// shutting-down or terminated.
	State string `yaml:"state"`
	// InstanceProfile names an instance profile of a role
	// (roles[].instanceProfiles): the instance carries that role.
	InstanceProfile string    `yaml:"instanceProfile"`
	KeyName         string    `yaml:"keyName"`
	Launched        time.Time `yaml:"launched"`
	Platform        string    `yaml:"platform"`
	// HttpTokens is optional (IMDSv1 answered too; the default) or
	// required; HttpEndpoint enabled (default) or disabled; HopLimit the
	// PUT response hop limit (default 1).
	HttpTokens   string `yaml:"httpTokens"`
	HttpEndpoint string `yaml:"httpEndpoint"`
	HopLimit     int32  `yaml:"hopLimit"`
}

// KeyPair is one EC2 key pair.
type KeyPair struct {
	Name        string    `yaml:"name"`
	ID          string    `yaml:"id"`
	Region      string    `yaml:"region"`
	Type        string    `yaml:"type"`
	Fingerprint string    `yaml:"fingerprint"`
	Created     time.Time `yaml:"created"`
}

// LaunchTemplate is one launch template and its versions, numbered from 1
// in the order written.
type LaunchTemplate struct {
	ID             string            `yaml:"id"`
	Name           string            `yaml:"name"`
	Region         string            `yaml:"region"`
	DefaultVersion int64             `yaml:"defaultVersion"`
	Created        time.Time         `yaml:"created"`
	Versions       []TemplateVersion `yaml:"versions"`
}

// TemplateVersion is what a launch template version sets that the
// exercise reads: its key pair.
type TemplateVersion struct {
	KeyName     string    `yaml:"keyName"`
	Description string    `yaml:"description"`
	Created     time.Time `yaml:"created"`
}

var (
	instanceIDRe = regexp.MustCompile(`^i-[0-9a-f]{8}([0-9a-f]{9})?$`)
	keyPairIDRe  = regexp.MustCompile(`^key-[0-9a-f]{17}$`)
	templateIDRe = regexp.MustCompile(`^lt-[0-9a-f]{17}$`)
	fingerRe     = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){15,31}$|^[A-Za-z0-9+/=]{43,44}$`)
)

var instanceStates = []string{"pending", "running", "stopping", "stopped", "shutting-down", "terminated"}

// derivedHex makes stable hexadecimal digits for an id the scenario does
// not give.
func derivedHex(n int, parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])[:n]
}

// fingerprintOf makes a stable SHA-1-length fingerprint, colon-separated
// as EC2 shows those of the key pairs it creates.
func fingerprintOf(name string) string {
	h := derivedHex(40, "fingerprint", name)
	var pairs []string
	for i := 0; i < len(h); i += 2 {
		pairs = append(pairs, h[i:i+2])
	}
	return strings.Join(pairs, ":")
}

// validateEC2 checks the ec2 section and the IAM fields added with it
// (roles' instance profiles, users' groups), filling in the defaults.
func (sc *Scenario) validateEC2(v *validator) {
	e := &sc.EC2
	profiles := map[string]string{}
	for _, r := range sc.Roles {
		for _, p := range r.InstanceProfiles {
			profiles[p] = r.Name
		}
	}
	for i := range sc.Roles {
		seen := map[string]bool{}
		for j, p := range sc.Roles[i].InstanceProfiles {
			switch {
			case !nameRe.MatchString(p):
				v.at(path("roles", i, "instanceProfiles", j), "instance profile name %q is not a valid IAM name", p)
			case seen[p] || profiles[p] != sc.Roles[i].Name:
				v.at(path("roles", i, "instanceProfiles", j), "instance profile %q is given twice; a profile holds one role", p)
			}
			seen[p] = true
		}
	}
	for i := range sc.Users {
		for j, g := range sc.Users[i].Groups {
			if !nameRe.MatchString(g) {
				v.at(path("users", i, "groups", j), "group name %q is not a valid IAM name", g)
			}
		}
	}
	region := func(r *string, p []any) {
		if *r == "" {
			*r = sc.Region
		} else if !regionRe.MatchString(*r) {
			v.at(p, "region %q is not an AWS region name", *r)
		}
	}
	ids := map[string]bool{}
	for i := range e.Instances {
		in := &e.Instances[i]
		p := func(more ...any) []any { return append(path("ec2", "instances", i), more...) }
		switch {
		case !instanceIDRe.MatchString(in.ID):
			v.at(p("id"), "instance id %q is not an EC2 instance id (i- and 8 or 17 hexadecimal digits)", in.ID)
		case ids[in.ID]:
			v.at(p("id"), "instance %s is defined twice", in.ID)
		}
		ids[in.ID] = true
		region(&in.Region, p("region"))
		if in.State == "" {
			in.State = "running"
		} else if !slices.Contains(instanceStates, in.State) {
			v.at(p("state"), "instance state is one of %s, not %q", strings.Join(instanceStates, ", "), in.State)
		}
		if in.InstanceProfile != "" && profiles[in.InstanceProfile] == "" {
			v.at(p("instanceProfile"), "instance %s has instance profile %q, which no role lists under instanceProfiles", in.ID, in.InstanceProfile)
		}
		if in.HttpTokens == "" {
			in.HttpTokens = "optional"
		} else if in.HttpTokens != "optional" && in.HttpTokens != "required" {
			v.at(p("httpTokens"), "httpTokens is optional or required, not %q", in.HttpTokens)
		}
		if in.HttpEndpoint == "" {
			in.HttpEndpoint = "enabled"
		} else if in.HttpEndpoint != "enabled" && in.HttpEndpoint != "disabled" {
			v.at(p("httpEndpoint"), "httpEndpoint is enabled or disabled, not %q", in.HttpEndpoint)
		}
		if in.HopLimit == 0 {
			in.HopLimit = 1
		} else if in.HopLimit < 1 || in.HopLimit > 64 {
			v.at(p("hopLimit"), "hopLimit is from 1 to 64")
		}
		if in.Platform == "" {
			in.Platform = "Linux/UNIX"
		}
		if in.Launched.IsZero() {
			in.Launched = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
		}
	}
	pairs := map[string]bool{}
	for i := range e.KeyPairs {
		k := &e.KeyPairs[i]
		p := func(more ...any) []any { return append(path("ec2", "keyPairs", i), more...) }
		region(&k.Region, p("region"))
		switch {
		case k.Name == "" || len(k.Name) > 255:
			v.at(p("name"), "a key pair needs a name of 1 to 255 characters")
		case pairs[k.Region+"/"+k.Name]:
			v.at(p("name"), "key pair %q is defined twice in %s", k.Name, k.Region)
		}
		pairs[k.Region+"/"+k.Name] = true
		if k.ID == "" {
			k.ID = "key-" + derivedHex(17, sc.ID, k.Region, k.Name)
		} else if !keyPairIDRe.MatchString(k.ID) {
			v.at(p("id"), "key pair id %q is not key- and 17 hexadecimal digits", k.ID)
		}
		if k.Type == "" {
			k.Type = "rsa"
		} else if k.Type != "rsa" && k.Type != "ed25519" {
			v.at(p("type"), "key pair type is rsa or ed25519, not %q", k.Type)
		}
		if k.Fingerprint == "" {
			k.Fingerprint = fingerprintOf(sc.ID + "/" + k.Name)
		} else if !fingerRe.MatchString(k.Fingerprint) {
			v.at(p("fingerprint"), "fingerprint %q is neither colon-separated hexadecimal pairs nor a base64 SHA-256", k.Fingerprint)
		}
		if k.Created.IsZero() {
			k.Created = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
		}
	}
	templates := map[string]bool{}
	for i := range e.LaunchTemplates {
		t := &e.LaunchTemplates[i]
		p := func(more ...any) []any { return append(path("ec2", "launchTemplates", i), more...) }
		region(&t.Region, p("region"))
		switch {
		case t.Name == "" || len(t.Name) < 3 || len(t.Name) > 128:
			v.at(p("name"), "a launch template needs a name of 3 to 128 characters")
		case templates[t.Region+"/"+t.Name]:
			v.at(p("name"), "launch template %q is defined twice in %s", t.Name, t.Region)
		}
		templates[t.Region+"/"+t.Name] = true
		if t.ID == "" {
			t.ID = "lt-" + derivedHex(17, sc.ID, t.Region, t.Name)
		} else if !templateIDRe.MatchString(t.ID) {
			v.at(p("id"), "launch template id %q is not lt- and 17 hexadecimal digits", t.ID)
		}
		if t.Created.IsZero() {
			t.Created = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
		}
		if len(t.Versions) == 0 {
			v.at(p(), "launch template %s has no versions; write at least one", t.Name)
		}
		if t.DefaultVersion == 0 {
			t.DefaultVersion = 1
		} else if t.DefaultVersion < 1 || t.DefaultVersion > int64(len(t.Versions)) {
			v.at(p("defaultVersion"), "defaultVersion %d is not one of the template's %d versions", t.DefaultVersion, len(t.Versions))
		}
		for j := range t.Versions {
			if t.Versions[j].Created.IsZero() {
				t.Versions[j].Created = t.Created
			}
		}
	}
}

// ec2World is the EC2 state a change can set: the metadata options of
// instances and which key pairs still exist. Launch templates are read
// only.
type ec2World struct {
	instances []*instance
	keyPairs  []*KeyPair
	templates []LaunchTemplate
}

type instance struct {
	spec *Instance
	// tokens, endpoint and hop are the metadata options now.
	tokens, endpoint string
	hop              int32
	// pending is true between a ModifyInstanceMetadataOptions and the
	// next describe, as EC2 reports the new setting pending first.
	pending bool
}

func newEC2World(sc *Scenario) ec2World {
	var w ec2World
	for i := range sc.EC2.Instances {
		in := &sc.EC2.Instances[i]
		w.instances = append(w.instances, &instance{spec: in, tokens: in.HttpTokens, endpoint: in.HttpEndpoint, hop: in.HopLimit})
	}
	for i := range sc.EC2.KeyPairs {
		w.keyPairs = append(w.keyPairs, &sc.EC2.KeyPairs[i])
	}
	w.templates = sc.EC2.LaunchTemplates
	return w
}

// profileARN is the ARN of an instance profile of the account.
func profileARN(account, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", account, name)
}
