package tabletop_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/tabletop"
)

const trustDoc = `'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'`

func TestEC2ScenarioErrorsArePositioned(t *testing.T) {
	role := "roles:\n  - name: R\n    trustPolicy: " + trustDoc + "\n    instanceProfiles: [P]\n"
	tests := []struct {
		name, text, want string
	}{
		{"instance id", smallScenario + "ec2:\n  instances:\n    - {id: i-123}\n", `x.yaml:10:12: instance id "i-123" is not an EC2 instance id`},
		{"unknown profile", smallScenario + "ec2:\n  instances:\n    - {id: i-0123456789abcdef0, instanceProfile: nope}\n", `x.yaml:10:50: instance i-0123456789abcdef0 has instance profile "nope", which no role lists`},
		{"tokens", smallScenario + role + "ec2:\n  instances:\n    - {id: i-0123456789abcdef0, instanceProfile: P, httpTokens: v1}\n", `x.yaml:14:65: httpTokens is optional or required, not "v1"`},
		{"state", smallScenario + "ec2:\n  instances:\n    - {id: i-0123456789abcdef0, state: sleeping}\n", `x.yaml:10:40: instance state is one of`},
		{"default version", smallScenario + "ec2:\n  launchTemplates:\n    - name: web\n      defaultVersion: 3\n      versions: [{keyName: k}]\n", `x.yaml:11:23: defaultVersion 3 is not one of the template's 1 versions`},
		{"profile twice", smallScenario + role + "  - name: S\n    trustPolicy: " + trustDoc + "\n    instanceProfiles: [P]\n", `x.yaml:11:24: instance profile "P" is given twice`},
		{"key pair twice", smallScenario + "ec2:\n  keyPairs:\n    - {name: k}\n    - {name: k}\n", `x.yaml:11:14: key pair "k" is defined twice in us-east-2`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tabletop.ParseScenario("x.yaml", []byte(tc.text))
			var es tabletop.ScenarioErrors
			require.True(t, errors.As(err, &es), "%v", err)
			require.Len(t, es, 1, err.Error())
			assert.Contains(t, es[0].Error(), tc.want)
		})
	}
}

func TestEC2ScenarioDefaults(t *testing.T) {
	text := smallScenario + "roles:\n  - name: R\n    trustPolicy: " + trustDoc + "\n    instanceProfiles: [P]\n" +
		"ec2:\n  instances:\n    - {id: i-0123456789abcdef0, instanceProfile: P, keyName: k}\n  keyPairs:\n    - {name: k}\n  launchTemplates:\n    - {name: web, versions: [{keyName: k}]}\n"
	sc, err := tabletop.ParseScenario("x.yaml", []byte(text))
	require.NoError(t, err)
	in := sc.EC2.Instances[0]
	assert.Equal(t, "us-east-2", in.Region)
	assert.Equal(t, "running", in.State)
	assert.Equal(t, "optional", in.HttpTokens, "IMDSv1 answered unless told")
	assert.Equal(t, "enabled", in.HttpEndpoint)
	assert.Equal(t, int32(1), in.HopLimit)
	kp := sc.EC2.KeyPairs[0]
	assert.Regexp(t, `^key-[0-9a-f]{17}$`, kp.ID)
	assert.Regexp(t, `^[0-9a-f]{2}(:[0-9a-f]{2}){19}$`, kp.Fingerprint)
	assert.Equal(t, "rsa", kp.Type)
	lt := sc.EC2.LaunchTemplates[0]
	assert.Regexp(t, `^lt-[0-9a-f]{17}$`, lt.ID)
	assert.Equal(t, int64(1), lt.DefaultVersion)
}

// The example of the package documentation is a scenario that parses.
func TestTheDocumentedEC2ExampleIsAValidScenario(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	text := string(src)
	start := strings.Index(text, "// For example, an instance that carries a role")
	end := strings.Index(text, "// # The simulated AWS APIs")
	require.True(t, start >= 0 && end > start, "the example is where the documentation had it")
	var b strings.Builder
	b.WriteString("id: ex\ntitle: example\naccount: \"123456789012\"\n")
	for _, l := range strings.Split(text[start:end], "\n") {
		if rest, ok := strings.CutPrefix(l, "//\t"); ok {
			b.WriteString(rest + "\n")
		}
	}
	sc, err := tabletop.ParseScenario("doc.go example", []byte(b.String()))
	require.NoError(t, err)
	require.Len(t, sc.EC2.Instances, 1)
	assert.Equal(t, "DataPipelineProfile", sc.EC2.Instances[0].InstanceProfile)
	assert.Equal(t, []string{"operations"}, sc.Users[0].Groups)
}
