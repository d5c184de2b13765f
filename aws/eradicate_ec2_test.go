package aws

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// No local server implements EC2's instance profiles and metadata options
// (kumo stores instances and key pairs but neither of those, and ignores
// DescribeInstances filters), so fakeEC2 speaks EC2's query protocol for
// them: the SDK's and the AWS CLI's own serializers build the requests it
// parses, and it answers with EC2's XML, shaped like the API reference's
// examples. IAM (roles and instance profiles) and key pairs come from
// kumo, which stores them.

type fakeInstance struct {
	ID, Name, State, Profile, KeyName, Tokens string
	Hop                                       int
}

type fakeTemplate struct {
	ID, Name, KeyName string
	Version           int
	Default           bool
}

type fakeEC2 struct {
	mu        sync.Mutex
	instances []*fakeInstance
	templates []fakeTemplate
	keys      map[string]string // key name to fingerprint
	// ignoreFilters answers DescribeInstances with every instance, as
	// kumo does.
	ignoreFilters bool
	pageSize      int
	calls         []string
}

func newFakeEC2(t *testing.T, f *fakeEC2) *httptest.Server {
	t.Helper()
	if f.pageSize == 0 {
		f.pageSize = 2
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

const ec2NS = "http://ec2.amazonaws.com/doc/2016-11-15/"

func (f *fakeEC2) count(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == action {
			n++
		}
	}
	return n
}

func (f *fakeEC2) tokens(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, in := range f.instances {
		if in.ID == id {
			return in.Tokens
		}
	}
	return ""
}

// indexed reads "Prefix.1", "Prefix.2"... from a query form.
func indexed(form map[string][]string, prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[prefix+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

func ec2Error(w http.ResponseWriter, code, msg string) {
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>req-1</RequestID></Response>`, code, msg)
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (f *fakeEC2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		ec2Error(w, "MalformedQueryString", err.Error())
		return
	}
	form := r.PostForm
	if len(form) == 0 {
		form = r.Form
	}
	action := form.Get("Action")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, action)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	switch action {
	case "DescribeInstances":
		f.describeInstances(w, form)
	case "ModifyInstanceMetadataOptions":
		id, tokens := form.Get("InstanceId"), form.Get("HttpTokens")
		if tokens != "optional" && tokens != "required" {
			ec2Error(w, "InvalidParameterValue", "HttpTokens must be optional or required")
			return
		}
		for _, in := range f.instances {
			if in.ID == id && in.State != "terminated" {
				in.Tokens = tokens
				fmt.Fprintf(w, `<ModifyInstanceMetadataOptionsResponse xmlns="%s"><requestId>req-2</requestId><instanceId>%s</instanceId><instanceMetadataOptions><state>pending</state><httpTokens>%s</httpTokens><httpPutResponseHopLimit>%d</httpPutResponseHopLimit><httpEndpoint>enabled</httpEndpoint></instanceMetadataOptions></ModifyInstanceMetadataOptionsResponse>`,
					ec2NS, id, tokens, in.Hop)
				return
			}
		}
		ec2Error(w, "InvalidInstanceID.NotFound", "The instance ID '"+id+"' does not exist")
	case "DescribeLaunchTemplateVersions":
		if !slices.Equal(indexed(form, "LaunchTemplateVersion"), []string{"$Latest", "$Default"}) {
			ec2Error(w, "InvalidParameterValue", "expected the versions $Latest and $Default")
			return
		}
		var b strings.Builder
		for _, tpl := range f.templates {
			fmt.Fprintf(&b, `<item><launchTemplateId>%s</launchTemplateId><launchTemplateName>%s</launchTemplateName><versionNumber>%d</versionNumber><defaultVersion>%t</defaultVersion><launchTemplateData><keyName>%s</keyName></launchTemplateData></item>`,
				tpl.ID, esc(tpl.Name), tpl.Version, tpl.Default, esc(tpl.KeyName))
		}
		fmt.Fprintf(w, `<DescribeLaunchTemplateVersionsResponse xmlns="%s"><requestId>req-3</requestId><launchTemplateVersionSet>%s</launchTemplateVersionSet></DescribeLaunchTemplateVersionsResponse>`, ec2NS, b.String())
	case "DescribeKeyPairs":
		names := indexed(form, "KeyName")
		var b strings.Builder
		for _, n := range names {
			fp, ok := f.keys[n]
			if !ok {
				ec2Error(w, "InvalidKeyPair.NotFound", "The key pair '"+n+"' does not exist")
				return
			}
			fmt.Fprintf(&b, `<item><keyPairId>key-%s</keyPairId><keyName>%s</keyName><keyFingerprint>%s</keyFingerprint><keyType>ed25519</keyType><createTime>2026-01-02T03:04:05.000Z</createTime></item>`, n, esc(n), fp)
		}
		fmt.Fprintf(w, `<DescribeKeyPairsResponse xmlns="%s"><requestId>req-4</requestId><keySet>%s</keySet></DescribeKeyPairsResponse>`, ec2NS, b.String())
	case "DeleteKeyPair":
		delete(f.keys, form.Get("KeyName"))
		fmt.Fprintf(w, `<DeleteKeyPairResponse xmlns="%s"><requestId>req-5</requestId><return>true</return></DeleteKeyPairResponse>`, ec2NS)
	case "DescribeLaunchConfigurations":
		// Auto Scaling's query API, for the command the key pair guidance
		// prints.
		fmt.Fprint(w, `<DescribeLaunchConfigurationsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeLaunchConfigurationsResult><LaunchConfigurations>`+
			`<member><LaunchConfigurationName>old-lc</LaunchConfigurationName><ImageId>ami-1</ImageId><InstanceType>t3.micro</InstanceType><KeyName>ops-key</KeyName><CreatedTime>2025-01-01T00:00:00Z</CreatedTime></member>`+
			`<member><LaunchConfigurationName>other-lc</LaunchConfigurationName><ImageId>ami-1</ImageId><InstanceType>t3.micro</InstanceType><KeyName>spare</KeyName><CreatedTime>2025-01-01T00:00:00Z</CreatedTime></member>`+
			`</LaunchConfigurations></DescribeLaunchConfigurationsResult><ResponseMetadata><RequestId>req-6</RequestId></ResponseMetadata></DescribeLaunchConfigurationsResponse>`)
	default:
		ec2Error(w, "InvalidAction", "The action "+action+" is not valid for this web service.")
	}
}

func (f *fakeEC2) describeInstances(w http.ResponseWriter, form map[string][]string) {
	ids := indexed(form, "InstanceId")
	filters := map[string][]string{}
	for i := 1; ; i++ {
		name, ok := form["Filter."+strconv.Itoa(i)+".Name"]
		if !ok {
			break
		}
		filters[name[0]] = indexed(form, "Filter."+strconv.Itoa(i)+".Value")
	}
	for name := range filters {
		if !slices.Contains([]string{"iam-instance-profile.arn", "key-name", "instance-state-name"}, name) {
			ec2Error(w, "InvalidParameterValue", "The filter '"+name+"' is invalid")
			return
		}
	}
	var match []*fakeInstance
	for _, in := range f.instances {
		ok := len(ids) == 0 || slices.Contains(ids, in.ID)
		if !f.ignoreFilters && len(ids) == 0 {
			for name, vals := range filters {
				v := map[string]string{"iam-instance-profile.arn": in.Profile, "key-name": in.KeyName, "instance-state-name": in.State}[name]
				ok = ok && slices.Contains(vals, v)
			}
		}
		if ok {
			match = append(match, in)
		}
	}
	if len(ids) > 0 && len(match) == 0 {
		ec2Error(w, "InvalidInstanceID.NotFound", "The instance ID '"+ids[0]+"' does not exist")
		return
	}
	start := 0
	if tok := form["NextToken"]; len(tok) > 0 {
		start, _ = strconv.Atoi(tok[0])
	}
	end := min(start+f.pageSize, len(match))
	if len(ids) > 0 {
		end = len(match)
	}
	var b strings.Builder
	for _, in := range match[start:end] {
		code := map[string]int{"pending": 0, "running": 16, "stopped": 80, "terminated": 48}[in.State]
		fmt.Fprintf(&b, `<item><reservationId>r-%s</reservationId><ownerId>000000000000</ownerId><instancesSet><item><instanceId>%s</instanceId><imageId>ami-1</imageId><instanceState><code>%d</code><name>%s</name></instanceState>`,
			in.ID, in.ID, code, in.State)
		if in.KeyName != "" {
			fmt.Fprintf(&b, `<keyName>%s</keyName>`, esc(in.KeyName))
		}
		fmt.Fprintf(&b, `<launchTime>2026-03-01T10:00:00.000Z</launchTime><platformDetails>Linux/UNIX</platformDetails>`)
		if in.Profile != "" {
			fmt.Fprintf(&b, `<iamInstanceProfile><arn>%s</arn><id>AIPA%s</id></iamInstanceProfile>`, esc(in.Profile), strings.ToUpper(in.ID))
		}
		fmt.Fprintf(&b, `<metadataOptions><state>applied</state><httpTokens>%s</httpTokens><httpPutResponseHopLimit>%d</httpPutResponseHopLimit><httpEndpoint>enabled</httpEndpoint><httpProtocolIpv6>disabled</httpProtocolIpv6><instanceMetadataTags>disabled</instanceMetadataTags></metadataOptions>`, in.Tokens, in.Hop)
		if in.Name != "" {
			fmt.Fprintf(&b, `<tagSet><item><key>Name</key><value>%s</value></item></tagSet>`, esc(in.Name))
		}
		b.WriteString(`</item></instancesSet></item>`)
	}
	next := ""
	if end < len(match) {
		next = "<nextToken>" + strconv.Itoa(end) + "</nextToken>"
	}
	fmt.Fprintf(w, `<DescribeInstancesResponse xmlns="%s"><requestId>req-7</requestId><reservationSet>%s</reservationSet>%s</DescribeInstancesResponse>`, ec2NS, b.String(), next)
}

// ec2World is kumo for IAM (roles, instance profiles) and S3, and fakeEC2
// for EC2, behind one Session.
type ec2World struct {
	kumoURL, ec2URL string
	s               *Session
	iam             *iam.Client
	fake            *fakeEC2
	prefix          string
}

func newEC2World(t *testing.T, f *fakeEC2) *ec2World {
	t.Helper()
	k := kumoServer()
	fsrv := newFakeEC2(t, f)
	t.Setenv("AWS_ENDPOINT_URL_EC2", fsrv.URL)
	t.Setenv("AWS_ENDPOINT_URL_AUTO_SCALING", fsrv.URL)
	s := connectTo(t, k.URL)
	w := &ec2World{kumoURL: k.URL, ec2URL: fsrv.URL, s: s, iam: iam.NewFromConfig(s.Config), fake: f,
		prefix: fmt.Sprintf("t%d-%d-", time.Now().UnixNano()%1e6, kumoRuns.Add(1))}
	return w
}

// role creates a role with an EC2 trust and an instance profile holding it,
// and returns the profile's ARN.
func (w *ec2World) role(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	_, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &name, AssumeRolePolicyDocument: &trust})
	require.NoError(t, err)
	out, err := w.iam.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: sdkaws.String(name + "-profile")})
	require.NoError(t, err)
	_, err = w.iam.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: sdkaws.String(name + "-profile"), RoleName: &name})
	require.NoError(t, err)
	return sdkaws.ToString(out.InstanceProfile.Arn)
}

func TestRequireIMDSv2(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("server ignores filters %t", ignore), func(t *testing.T) {
			f := &fakeEC2{ignoreFilters: ignore}
			w := newEC2World(t, f)
			web, other := w.prefix+"web-app", w.prefix+"other"
			webProfile, otherProfile := w.role(t, web), w.role(t, other)
			f.instances = []*fakeInstance{
				{ID: "i-0000000000000001a", Name: "web-1", State: "running", Profile: webProfile, Tokens: "optional", Hop: 1},
				{ID: "i-0000000000000002b", Name: "web-2", State: "stopped", Profile: webProfile, Tokens: "optional", Hop: 2},
				{ID: "i-0000000000000003c", Name: "web-3", State: "running", Profile: webProfile, Tokens: "required", Hop: 2},
				{ID: "i-0000000000000004d", State: "terminated", Profile: webProfile, Tokens: "optional", Hop: 1},
				{ID: "i-0000000000000005e", Name: "batch", State: "running", Profile: otherProfile, Tokens: "optional", Hop: 1},
				{ID: "i-0000000000000006f", Name: "bare", State: "running", Tokens: "optional", Hop: 1},
			}
			e := newChangeEnv(t, w.s, false)
			ctx := context.Background()

			p := e.plan(t, "ec2.require-imdsv2", map[string]string{"roleName": web})
			require.Len(t, p.Steps, 2, "the running and the stopped instance of the role; not the one already required, the terminated one or another role's")
			assert.Equal(t, "i-0000000000000001a", p.Steps[0].Resource.ID["instanceId"])
			assert.Equal(t, "metadata options of instance i-0000000000000002b (web-2)", p.Steps[1].Resource.Name)
			assert.Equal(t, web, p.ConfirmWord)
			assert.True(t, p.Broad)
			assert.True(t, p.Reversible)
			assert.Equal(t, "aws ec2 modify-instance-metadata-options --instance-id i-0000000000000001a --http-tokens required --region us-east-1", p.CLI[0])
			assert.Equal(t, "aws ec2 modify-instance-metadata-options --instance-id i-0000000000000001a --http-tokens optional --region us-east-1", p.Steps[0].UndoCLI)
			assert.Contains(t, p.Diff, "-   \"HttpTokens\": \"optional\"\n+   \"HttpTokens\": \"required\"")
			assert.Contains(t, p.Impact[0], "legitimate applications included")
			assert.Contains(t, p.Impact[2], "i-0000000000000001a keep a hop limit of 1", "only web-1 has hop limit 1")
			assert.NotContains(t, p.Impact[2], "i-0000000000000002b")
			notes := strings.Join(p.Notes, " ")
			assert.Contains(t, notes, "Only region us-east-1 was searched")
			assert.Contains(t, notes, "left alone: i-0000000000000003c (web-3)")
			assert.Equal(t, 0, f.count("ModifyInstanceMetadataOptions"), "planning changes nothing")
			if !ignore {
				assert.GreaterOrEqual(t, f.count("DescribeInstances"), 2, "the filtered list came in pages")
			}

			run := e.apply(t, p)
			assert.Equal(t, 2, f.count("ModifyInstanceMetadataOptions"))
			assert.Equal(t, "required", f.tokens("i-0000000000000001a"))
			assert.Equal(t, "required", f.tokens("i-0000000000000002b"))
			assert.Equal(t, "optional", f.tokens("i-0000000000000005e"), "another role's instance is left alone")
			assert.JSONEq(t, `{"metadata options of instance i-0000000000000001a (web-1)":{"HttpTokens":"optional"},"metadata options of instance i-0000000000000002b (web-2)":{"HttpTokens":"optional"}}`,
				e.evidenceContent(t, "State before change "+p.ID))
			assert.Equal(t, app.OutcomeApplied, run.Steps[1].Outcome)
			_, err := e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "ec2.require-imdsv2", Params: map[string]string{"roleName": web}})
			require.ErrorIs(t, err, app.ErrNoChange)
			assert.Contains(t, err.Error(), "already requires IMDSv2")

			e.undo(t, p)
			assert.Equal(t, "optional", f.tokens("i-0000000000000001a"))
			assert.Equal(t, "optional", f.tokens("i-0000000000000002b"))
			assert.Equal(t, "required", f.tokens("i-0000000000000003c"), "undo leaves what the change did not set")

			// One instance only, and an instance of another role refused.
			p1 := e.plan(t, "ec2.require-imdsv2", map[string]string{"roleName": web, "instanceId": "i-0000000000000002b"})
			require.Len(t, p1.Steps, 1)
			_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "ec2.require-imdsv2", Params: map[string]string{"roleName": web, "instanceId": "i-0000000000000005e"}})
			require.ErrorIs(t, err, app.ErrInvalid)
			assert.Contains(t, err.Error(), "does not carry role")

			// The printed commands do the same with the AWS CLI.
			awsCLI(t, p1.CLI[0], w.ec2URL, kumoKey, kumoSecret)
			assert.Equal(t, "required", f.tokens("i-0000000000000002b"))
			awsCLI(t, p1.Steps[0].UndoCLI, w.ec2URL, kumoKey, kumoSecret)
			assert.Equal(t, "optional", f.tokens("i-0000000000000002b"))

			// The inspection lists the role's instances and their settings.
			rep, saved, err := e.svc.Inspect(ctx, e.inc, app.Profile{}, app.InspectRequest{Action: "ec2.find-role-instances", Params: map[string]string{"roleName": web}})
			require.NoError(t, err)
			assert.Equal(t, "3 instance(s) in us-east-1 carry role "+web+"; 2 still accept IMDSv1.", rep.Summary)
			assert.Equal(t, 2, rep.Count(app.SeverityMedium))
			require.Len(t, saved.Evidence, 3)
			assert.Contains(t, e.evidenceContent(t, "Instance profiles of role "+web), webProfile)
			listed := awsCLI(t, rep.Commands[0], w.kumoURL, kumoKey, kumoSecret)
			assert.Contains(t, listed, webProfile)
			if !ignore {
				described := awsCLI(t, rep.Commands[1], w.ec2URL, kumoKey, kumoSecret)
				assert.Contains(t, described, "i-0000000000000003c")
				assert.NotContains(t, described, "i-0000000000000005e", "the printed filter selects the role's instances")
			}
		})
	}
}

func TestRequireIMDSv2RefusesWithoutProfiles(t *testing.T) {
	f := &fakeEC2{}
	w := newEC2World(t, f)
	e := newChangeEnv(t, w.s, false)
	ctx := context.Background()
	name := w.prefix + "lonely"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	_, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: &name, AssumeRolePolicyDocument: &trust})
	require.NoError(t, err)
	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "ec2.require-imdsv2", Params: map[string]string{"roleName": name}})
	require.ErrorIs(t, err, app.ErrNoChange)
	assert.Contains(t, err.Error(), "is in no instance profile")
	assert.Equal(t, 0, f.count("DescribeInstances"))
	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "ec2.require-imdsv2", Params: map[string]string{"roleName": w.prefix + "missing"}})
	require.Error(t, err)
	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "ec2.require-imdsv2", Params: map[string]string{}})
	require.ErrorIs(t, err, app.ErrInvalid, "the role is required")
}

func TestKeyPairOnKumo(t *testing.T) {
	k := newKumoAccount(t)
	ctx := context.Background()
	e := newChangeEnv(t, k.s, false)
	ec := ec2.NewFromConfig(k.s.Config)
	endpoint := sdkaws.ToString(k.s.S3.Options().BaseEndpoint)
	oldKey, spare := k.name("old-key"), k.name("spare")
	for _, name := range []string{oldKey, spare} {
		_, err := ec.CreateKeyPair(ctx, &ec2.CreateKeyPairInput{KeyName: sdkaws.String(name)})
		require.NoError(t, err)
	}
	run := func(key string, n int32) []string {
		out, err := ec.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: sdkaws.String("ami-12345678"), InstanceType: ec2types.InstanceTypeT3Micro,
			MinCount: sdkaws.Int32(n), MaxCount: sdkaws.Int32(n), KeyName: sdkaws.String(key)})
		require.NoError(t, err)
		var ids []string
		for _, in := range out.Instances {
			ids = append(ids, sdkaws.ToString(in.InstanceId))
		}
		return ids
	}
	withOld := run(oldKey, 2)
	withSpare := run(spare, 1)
	sort.Strings(withOld)

	rep, saved, err := e.svc.Inspect(ctx, e.inc, app.Profile{}, app.InspectRequest{Action: "ec2.find-key-pair-instances", Params: map[string]string{"keyName": oldKey}})
	require.NoError(t, err)
	var subjects []string
	for _, f := range rep.Findings {
		if f.Severity == app.SeverityMedium {
			subjects = append(subjects, f.Subject)
		}
	}
	assert.Equal(t, []string{"instance " + withOld[0], "instance " + withOld[1]}, subjects, "kumo lists every instance; only the key's are kept")
	assert.NotContains(t, strings.Join(subjects, " "), withSpare[0])
	assert.Contains(t, rep.Summary, "2 running or stopped instance(s) and 0 launch template version(s)")
	require.Len(t, rep.Problems, 1, "kumo has no launch templates: said, not hidden")
	assert.Contains(t, rep.Problems[0], "launch templates could not be read")
	require.Len(t, rep.Guidance, 9)
	assert.True(t, strings.HasPrefix(rep.Guidance[3], "4. Delete key pair "+oldKey))
	assert.Len(t, saved.Evidence, 4, "key pair, instances, the failed template read, the inspection")
	assert.Contains(t, e.evidenceContent(t, "Key pair "+oldKey), `"KeyFingerprint"`)
	assert.Contains(t, e.timelineText(t), "finding: Instance "+withOld[0]+" (medium, ec2.find-key-pair-instances): Launched with key pair "+oldKey)
	awsCLI(t, rep.Commands[0], endpoint, kumoKey, kumoSecret)

	p := e.plan(t, "ec2.delete-key-pair", map[string]string{"keyName": oldKey})
	assert.Equal(t, oldKey, p.ConfirmWord, "the key name is typed to confirm")
	assert.True(t, p.Broad)
	assert.False(t, p.Reversible)
	assert.Equal(t, "aws ec2 delete-key-pair --key-name "+oldKey+" --region us-east-1", p.CLI[0])
	assert.Contains(t, strings.Join(p.Impact, " "), withOld[0])
	assert.Contains(t, strings.Join(p.Impact, " "), "locks nobody out")
	assert.Contains(t, strings.Join(p.Notes, " "), "IRREVERSIBLE")
	assert.Contains(t, p.Diff, "+ (not set)")
	for _, word := range []string{"yes", spare} {
		_, err := e.svc.ApplyChange(ctx, e.inc, app.Profile{}, p.ID, word)
		require.ErrorIs(t, err, app.ErrNotConfirmed, word)
	}
	e.apply(t, p)
	_, err = ec.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{oldKey}})
	assert.Equal(t, "InvalidKeyPair.NotFound", errorCode(err))
	before := e.evidenceContent(t, "State before change "+p.ID)
	assert.Contains(t, before, `"KeyName": "`+oldKey+`"`, "the pair as DescribeKeyPairs gave it is kept before the delete")
	_, err = e.svc.PlanUndo(ctx, e.inc, app.Profile{}, p.ID)
	require.ErrorIs(t, err, app.ErrInvalid)
	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "ec2.delete-key-pair", Params: map[string]string{"keyName": oldKey}})
	require.ErrorIs(t, err, app.ErrNotFound)

	p2 := e.plan(t, "ec2.delete-key-pair", map[string]string{"keyName": spare})
	awsCLI(t, p2.CLI[0], endpoint, kumoKey, kumoSecret)
	_, err = ec.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{spare}})
	assert.Equal(t, "InvalidKeyPair.NotFound", errorCode(err), "the printed command deletes it too")
}

func TestKeyPairTemplatesAndCommands(t *testing.T) {
	f := &fakeEC2{keys: map[string]string{"ops-key": "aa:bb", "spare": "cc:dd"}, pageSize: 1,
		instances: []*fakeInstance{
			{ID: "i-01", Name: "bastion", State: "running", KeyName: "ops-key", Tokens: "required", Hop: 1},
			{ID: "i-02", State: "stopped", KeyName: "ops-key", Tokens: "optional", Hop: 1},
			{ID: "i-03", State: "terminated", KeyName: "ops-key", Tokens: "optional", Hop: 1},
			{ID: "i-04", State: "running", KeyName: "spare", Tokens: "optional", Hop: 1},
		},
		templates: []fakeTemplate{
			{ID: "lt-1", Name: "web", KeyName: "ops-key", Version: 3, Default: true},
			{ID: "lt-2", Name: "batch", KeyName: "spare", Version: 1, Default: true},
		},
	}
	w := newEC2World(t, f)
	e := newChangeEnv(t, w.s, false)
	ctx := context.Background()
	rep, _, err := e.svc.Inspect(ctx, e.inc, app.Profile{}, app.InspectRequest{Action: "ec2.find-key-pair-instances", Params: map[string]string{"keyName": "ops-key"}})
	require.NoError(t, err)
	assert.Equal(t, "2 running or stopped instance(s) and 1 launch template version(s) in us-east-1 use key pair ops-key.", rep.Summary)
	assert.Empty(t, rep.Problems)
	var tpl app.InspectFinding
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.Subject, "launch template") {
			tpl = f
		}
	}
	assert.Equal(t, "launch template web (lt-1)", tpl.Subject)
	assert.Contains(t, tpl.Text, "default version 3 names key pair ops-key")
	var d struct {
		Instances []struct {
			ID string `json:"instanceId"`
		} `json:"instances"`
	}
	require.NoError(t, json.Unmarshal(rep.Detail, &d))
	assert.Len(t, d.Instances, 2, "the terminated instance is left out")

	// Every read the inspection prints runs with the AWS CLI and finds the
	// same things.
	out := awsCLI(t, rep.Commands[1], w.ec2URL, kumoKey, kumoSecret)
	assert.Contains(t, out, "i-02")
	assert.NotContains(t, out, "i-04")
	out = awsCLI(t, rep.Commands[2], w.ec2URL, kumoKey, kumoSecret)
	assert.Contains(t, out, "lt-1")
	assert.NotContains(t, out, "lt-2")
	out = awsCLI(t, rep.Commands[3], w.ec2URL, kumoKey, kumoSecret)
	assert.Contains(t, out, "old-lc")
	assert.NotContains(t, out, "other-lc")
	// The template fix is a valid command too (the fake refuses nothing
	// it does not know, so only the CLI's own parsing is shown here).
	assert.True(t, strings.HasPrefix(tpl.Fix, "aws ec2 create-launch-template-version --launch-template-id lt-1 --source-version 3 --launch-template-data '{\"KeyName\":\"NEW-KEY-PAIR\"}'"), tpl.Fix)

	p := e.plan(t, "ec2.delete-key-pair", map[string]string{"keyName": "ops-key"})
	assert.Contains(t, strings.Join(p.Impact, " "), "Launches from web (lt-1) version 3 fail once the pair is gone")
	assert.Contains(t, strings.Join(p.Impact, " "), "i-01 (bastion) running, i-02 stopped")
	e.apply(t, p)
	_, exists := f.keys["ops-key"]
	assert.False(t, exists)
	assert.Equal(t, 1, f.count("DeleteKeyPair"))
}

// TestEC2ChangesNeverReachAWSFromAnExercise extends the exercise guard to
// the EC2 client: neither change leaves the process for an AWS host, and
// a connection whose S3 and IAM are local but EC2 is not refuses EC2
// work instead of marking a real change simulated.
func TestEC2ChangesNeverReachAWSFromAnExercise(t *testing.T) {
	isolate(t, "[default]\nregion = us-east-1\n", "[default]\naws_access_key_id = AKIAEXAMPLEKEY000001\naws_secret_access_key = fakesecretfakesecretfakesecret\n")
	rec := &recordingTransport{}
	s, err := Connect(context.Background(), Options{HTTPClient: &http.Client{Transport: rec}, ExtraOptions: []func(*config.LoadOptions) error{config.WithRetryMaxAttempts(1)}})
	require.NoError(t, err)
	ctx := context.Background()
	ex := NewChanger(s, true)
	for _, w := range []struct {
		r     app.Resource
		state string
	}{
		{metadataResource(instanceInfo{ID: "i-0123"}), string(tokensRequired)},
		{app.Resource{Kind: app.ResourceKeyPair, ID: map[string]string{"keyName": "k"}, Name: "key pair k"}, "null"},
	} {
		err := ex.WriteState(ctx, w.r, json.RawMessage(w.state))
		require.ErrorIs(t, err, app.ErrExercise, w.r.Name)
		assert.Contains(t, err.Error(), "ec2.us-east-1.amazonaws.com")
	}
	assert.Empty(t, rec.sent(), "nothing left the process")

	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
	t.Setenv("AWS_ENDPOINT_URL_EC2", "https://ec2.us-east-1.amazonaws.com")
	s, err = Connect(context.Background(), Options{HTTPClient: &http.Client{Transport: rec}})
	require.NoError(t, err)
	mixed := NewChanger(s, false)
	require.True(t, mixed.Simulated())
	_, err = mixed.ReadState(ctx, metadataResource(instanceInfo{ID: "i-0123"}))
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "AWS_ENDPOINT_URL_EC2")
	assert.Empty(t, rec.sent())
}
