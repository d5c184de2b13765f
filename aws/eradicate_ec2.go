package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"s3responder/app"
)

// The EC2 side of eradication (playbook 3.1): the instances that carry a
// role must require IMDSv2, so a request forgery on them cannot read the
// role's credentials; a key pair the actor may hold is found wherever it
// is used, then deleted.

// metadataState is an instance's metadata options as a step's state.
type metadataState struct {
	HttpTokens string `json:"HttpTokens"`
}

// instanceInfo is what the inspections and plans say about an instance.
type instanceInfo struct {
	ID            string    `json:"instanceId"`
	Name          string    `json:"name,omitempty"`
	State         string    `json:"state,omitempty"`
	KeyName       string    `json:"keyName,omitempty"`
	Profile       string    `json:"instanceProfileArn,omitempty"`
	Platform      string    `json:"platform,omitempty"`
	LaunchTime    time.Time `json:"launchTime,omitzero"`
	HttpTokens    string    `json:"httpTokens,omitempty"`
	HttpEndpoint  string    `json:"httpEndpoint,omitempty"`
	HopLimit      int32     `json:"httpPutResponseHopLimit,omitempty"`
	MetadataState string    `json:"metadataOptionsState,omitempty"`
}

// label names an instance for people: "i-0abc (web-1)".
func (i instanceInfo) label() string {
	if i.Name != "" {
		return i.ID + " (" + i.Name + ")"
	}
	return i.ID
}

func infoOf(in ec2types.Instance) instanceInfo {
	i := instanceInfo{ID: sdkaws.ToString(in.InstanceId), KeyName: sdkaws.ToString(in.KeyName), Platform: sdkaws.ToString(in.PlatformDetails)}
	if in.State != nil {
		i.State = string(in.State.Name)
	}
	if in.IamInstanceProfile != nil {
		i.Profile = sdkaws.ToString(in.IamInstanceProfile.Arn)
	}
	if in.LaunchTime != nil {
		i.LaunchTime = in.LaunchTime.UTC()
	}
	if m := in.MetadataOptions; m != nil {
		i.HttpTokens, i.HttpEndpoint, i.MetadataState = string(m.HttpTokens), string(m.HttpEndpoint), string(m.State)
		i.HopLimit = sdkaws.ToInt32(m.HttpPutResponseHopLimit)
	}
	for _, t := range in.Tags {
		if sdkaws.ToString(t.Key) == "Name" {
			i.Name = sdkaws.ToString(t.Value)
		}
	}
	return i
}

// gone reports whether an instance is terminated or on its way there:
// nothing can be changed on it and nothing runs on it any more.
func (i instanceInfo) gone() bool { return i.State == "terminated" || i.State == "shutting-down" }

// describeInstances lists the instances a filter selects, every page, and
// keeps those keep accepts: the filter is checked again on this side, so a
// server that ignores it cannot widen a change. It returns the pages as
// one answer for evidence.
func (c *Changer) describeInstances(ctx context.Context, ec ChangeEC2API, filters []ec2types.Filter, keep func(ec2types.Instance) bool) ([]instanceInfo, *ec2.DescribeInstancesOutput, error) {
	all := &ec2.DescribeInstancesOutput{}
	var out []instanceInfo
	in := &ec2.DescribeInstancesInput{Filters: filters}
	for {
		page, err := ec.DescribeInstances(ctx, in)
		if err != nil {
			return nil, all, err
		}
		all.Reservations = append(all.Reservations, page.Reservations...)
		for _, r := range page.Reservations {
			for _, inst := range r.Instances {
				if keep(inst) {
					out = append(out, infoOf(inst))
				}
			}
		}
		if sdkaws.ToString(page.NextToken) == "" {
			break
		}
		in.NextToken = page.NextToken
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, all, nil
}

// roleProfiles returns the ARNs of the instance profiles that hold a role:
// an instance carries a role only through one of them.
func (c *Changer) roleProfiles(ctx context.Context, role string) ([]string, *iam.ListInstanceProfilesForRoleOutput, error) {
	if _, err := c.checkRole(ctx, role); err != nil {
		return nil, nil, err
	}
	ix, err := c.iamx()
	if err != nil {
		return nil, nil, err
	}
	all := &iam.ListInstanceProfilesForRoleOutput{}
	in := &iam.ListInstanceProfilesForRoleInput{RoleName: &role}
	for {
		page, err := ix.ListInstanceProfilesForRole(ctx, in)
		if err != nil {
			return nil, all, fmt.Errorf("list the instance profiles of role %s: %w", role, Explain(err, c.Profile))
		}
		all.InstanceProfiles = append(all.InstanceProfiles, page.InstanceProfiles...)
		if !page.IsTruncated || page.Marker == nil {
			break
		}
		in.Marker = page.Marker
	}
	var arns []string
	for _, p := range all.InstanceProfiles {
		arns = append(arns, sdkaws.ToString(p.Arn))
	}
	return arns, all, nil
}

// roleInstances lists the instances of the region whose instance profile
// holds the role, terminated ones left out.
func (c *Changer) roleInstances(ctx context.Context, ec ChangeEC2API, profiles []string) ([]instanceInfo, *ec2.DescribeInstancesOutput, error) {
	if len(profiles) == 0 {
		return nil, &ec2.DescribeInstancesOutput{}, nil
	}
	filters := []ec2types.Filter{{Name: sdkaws.String("iam-instance-profile.arn"), Values: profiles}}
	insts, raw, err := c.describeInstances(ctx, ec, filters, func(in ec2types.Instance) bool {
		return in.IamInstanceProfile != nil && slices.Contains(profiles, sdkaws.ToString(in.IamInstanceProfile.Arn))
	})
	if err != nil {
		return nil, raw, fmt.Errorf("find the instances with instance profile %s: %w", strings.Join(profiles, ", "), Explain(err, c.Profile))
	}
	return slices.DeleteFunc(insts, instanceInfo.gone), raw, nil
}

func metadataResource(inst instanceInfo) app.Resource {
	return app.Resource{Kind: app.ResourceInstanceMetadata, ID: map[string]string{"instanceId": inst.ID},
		Name: "metadata options of instance " + inst.label()}
}

func (c *Changer) readMetadataOptions(ctx context.Context, id string) (json.RawMessage, error) {
	ec, err := c.ec2Client()
	if err != nil {
		return nil, err
	}
	out, err := ec.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		return nil, Explain(err, c.Profile)
	}
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			if sdkaws.ToString(in.InstanceId) != id {
				continue
			}
			if in.MetadataOptions == nil || in.MetadataOptions.HttpTokens == "" {
				return nil, fmt.Errorf("instance %s came back without its metadata options", id)
			}
			return json.Marshal(metadataState{HttpTokens: string(in.MetadataOptions.HttpTokens)})
		}
	}
	return nil, fmt.Errorf("instance %s %w (terminated?)", id, app.ErrNotFound)
}

func (c *Changer) writeMetadataOptions(ctx context.Context, id string, state json.RawMessage) error {
	var v metadataState
	if err := json.Unmarshal(state, &v); err != nil || (v.HttpTokens != "optional" && v.HttpTokens != "required") {
		return fmt.Errorf("%w: metadata options %s", app.ErrInvalid, state)
	}
	ec, err := c.ec2Client()
	if err != nil {
		return err
	}
	_, err = ec.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: &id, HttpTokens: ec2types.HttpTokensState(v.HttpTokens)})
	return err
}

var (
	tokensOptional = json.RawMessage(`{"HttpTokens":"optional"}`)
	tokensRequired = json.RawMessage(`{"HttpTokens":"required"}`)
)

func (c *Changer) planIMDSv2(ctx context.Context, role, only string) (app.Plan, error) {
	ec, err := c.ec2Client()
	if err != nil {
		return app.Plan{}, err
	}
	profiles, _, err := c.roleProfiles(ctx, role)
	if err != nil {
		return app.Plan{}, err
	}
	if len(profiles) == 0 {
		return app.Plan{}, fmt.Errorf("role %s is in no instance profile, so no instance carries it: %w", role, app.ErrNoChange)
	}
	insts, _, err := c.roleInstances(ctx, ec, profiles)
	if err != nil {
		return app.Plan{}, err
	}
	if only != "" {
		want := map[string]bool{}
		for _, id := range strings.Split(only, ",") {
			if id = strings.TrimSpace(id); id != "" {
				want[id] = true
			}
		}
		for id := range want {
			if !slices.ContainsFunc(insts, func(i instanceInfo) bool { return i.ID == id }) {
				return app.Plan{}, fmt.Errorf("%w: instance %s does not carry role %s in %s (or is terminated)", app.ErrInvalid, id, role, c.Region)
			}
		}
		insts = slices.DeleteFunc(insts, func(i instanceInfo) bool { return !want[i.ID] })
	}
	var steps []app.ChangeStep
	var already, labels, hop []string
	for _, inst := range insts {
		if inst.HttpTokens == "required" {
			already = append(already, inst.label())
			continue
		}
		steps = append(steps, c.eradicateStep(metadataResource(inst), c.Region, tokensOptional, tokensRequired))
		labels = append(labels, inst.label())
		if inst.HopLimit == 1 {
			hop = append(hop, inst.ID)
		}
	}
	if len(steps) == 0 {
		what := "no instance in " + c.Region + " carries role " + role
		if len(already) > 0 {
			what = "every instance of role " + role + " in " + c.Region + " already requires IMDSv2 (" + strings.Join(already, ", ") + ")"
		}
		return app.Plan{}, fmt.Errorf("%s: %w", what, app.ErrNoChange)
	}
	impact := []string{
		fmt.Sprintf("On %s, the instance metadata service stops answering requests without a session token (IMDSv1): software that only speaks IMDSv1 (old SDKs and CLIs, scripts that curl 169.254.169.254 directly) loses the role's credentials and every other metadata, legitimate applications included.", strings.Join(labels, ", ")),
		"Request-forgery attacks that make the instance fetch a metadata URL can no longer read the role's credentials: they would need a PUT with a custom header first.",
	}
	if len(hop) > 0 {
		impact = append(impact, fmt.Sprintf("%s keep a hop limit of 1 for token responses: containers behind a bridge network on them cannot get a token at all; raise it to 2 for those (--http-put-response-hop-limit 2).", strings.Join(hop, ", ")))
	}
	notes := []string{
		fmt.Sprintf("Only region %s was searched; instances of role %s in other regions need a plan of their own (--region).", c.Region, role),
		"Instances launched later from a launch template or an Auto Scaling group come up with the template's setting: require IMDSv2 there too (MetadataOptions HttpTokens=required in a new template version).",
		"The new setting shows as pending for a few seconds, then applied; no restart is needed.",
	}
	if len(already) > 0 {
		notes = append(notes, "Already requiring IMDSv2, left alone: "+strings.Join(already, ", ")+".")
	}
	return app.Plan{
		Action: "ec2.require-imdsv2", Title: fmt.Sprintf("Require IMDSv2 on %d instance(s) of role %s", len(steps), role),
		Target: "role " + role, Region: c.Region, Broad: true, ConfirmWord: role, Reversible: true,
		Steps: steps, Impact: impact, Notes: notes,
		UndoNote: "Undo makes tokens optional again: IMDSv1 requests, and request-forgery attacks on the role's credentials, work again.",
	}, nil
}

// keyPairState is a key pair as a step's state.
type keyPairState struct {
	KeyName        string    `json:"KeyName"`
	KeyPairID      string    `json:"KeyPairId,omitempty"`
	KeyFingerprint string    `json:"KeyFingerprint,omitempty"`
	KeyType        string    `json:"KeyType,omitempty"`
	CreateTime     time.Time `json:"CreateTime,omitzero"`
}

// describeKeyPair returns the DescribeKeyPairs answer for one pair, nil
// when the pair does not exist.
func (c *Changer) describeKeyPair(ctx context.Context, ec ChangeEC2API, name string) (*ec2types.KeyPairInfo, *ec2.DescribeKeyPairsOutput, error) {
	out, err := ec.DescribeKeyPairs(ctx, &ec2.DescribeKeyPairsInput{KeyNames: []string{name}})
	if errorCode(err) == "InvalidKeyPair.NotFound" {
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, Explain(err, c.Profile)
	}
	for i, kp := range out.KeyPairs {
		if sdkaws.ToString(kp.KeyName) == name {
			return &out.KeyPairs[i], out, nil
		}
	}
	return nil, out, nil
}

func (c *Changer) readKeyPair(ctx context.Context, name string) (json.RawMessage, error) {
	ec, err := c.ec2Client()
	if err != nil {
		return nil, err
	}
	kp, _, err := c.describeKeyPair(ctx, ec, name)
	if errorCode(err) == "InvalidKeyPair.NotFound" {
		return json.RawMessage(nullState), nil
	}
	if err != nil {
		return nil, err
	}
	if kp == nil {
		return json.RawMessage(nullState), nil
	}
	st := keyPairState{KeyName: name, KeyPairID: sdkaws.ToString(kp.KeyPairId), KeyFingerprint: sdkaws.ToString(kp.KeyFingerprint), KeyType: string(kp.KeyType)}
	if kp.CreateTime != nil {
		st.CreateTime = kp.CreateTime.UTC()
	}
	return json.Marshal(st)
}

func (c *Changer) writeKeyPair(ctx context.Context, name string, absent bool) error {
	if !absent {
		return fmt.Errorf("%w: a deleted key pair cannot be brought back; create or import a new one", app.ErrInvalid)
	}
	ec, err := c.ec2Client()
	if err != nil {
		return err
	}
	_, err = ec.DeleteKeyPair(ctx, &ec2.DeleteKeyPairInput{KeyName: &name})
	return err
}

// templateUse is a launch template version that names a key pair.
type templateUse struct {
	ID      string `json:"launchTemplateId"`
	Name    string `json:"launchTemplateName"`
	Version int64  `json:"versionNumber"`
	Default bool   `json:"defaultVersion"`
}

// keyPairUse is where a key pair is used: instances launched with it and
// the latest and default versions of launch templates that name it.
type keyPairUse struct {
	KeyName   string         `json:"keyName"`
	Region    string         `json:"region"`
	Exists    bool           `json:"exists"`
	KeyPair   *keyPairState  `json:"keyPair,omitempty"`
	Instances []instanceInfo `json:"instances"`
	Templates []templateUse  `json:"launchTemplates"`
	// Problems are reads that failed (launch templates on a server that
	// has none, say).
	Problems []string `json:"problems,omitempty"`
	items    []app.Collected
}

// keyPairUsage reads the key pair and everything that uses it, keeping
// the answers for evidence.
func (c *Changer) keyPairUsage(ctx context.Context, ec ChangeEC2API, name string, by app.Identity) (keyPairUse, error) {
	use := keyPairUse{KeyName: name, Region: c.Region, Instances: []instanceInfo{}, Templates: []templateUse{}}
	params := map[string]string{"KeyName": name}
	kp, out, err := c.describeKeyPair(ctx, ec, name)
	if err != nil && errorCode(err) != "InvalidKeyPair.NotFound" {
		return use, fmt.Errorf("read key pair %s: %w", name, err)
	}
	use.items = append(use.items, c.response(by, c.Region, "DescribeKeyPairs", "Key pair "+name, "key-pair-"+name+".json", params, out, err, "InvalidKeyPair.NotFound"))
	if kp != nil {
		use.Exists = true
		st := keyPairState{KeyName: name, KeyPairID: sdkaws.ToString(kp.KeyPairId), KeyFingerprint: sdkaws.ToString(kp.KeyFingerprint), KeyType: string(kp.KeyType)}
		if kp.CreateTime != nil {
			st.CreateTime = kp.CreateTime.UTC()
		}
		use.KeyPair = &st
	}
	filters := []ec2types.Filter{{Name: sdkaws.String("key-name"), Values: []string{name}}}
	insts, raw, err := c.describeInstances(ctx, ec, filters, func(in ec2types.Instance) bool { return sdkaws.ToString(in.KeyName) == name })
	if err != nil {
		return use, fmt.Errorf("find the instances launched with key pair %s: %w", name, Explain(err, c.Profile))
	}
	use.Instances = append(use.Instances, slices.DeleteFunc(insts, instanceInfo.gone)...)
	use.items = append(use.items, c.response(by, c.Region, "DescribeInstances", "Instances launched with key pair "+name, "instances-key-"+name+".json",
		map[string]string{"Filter.key-name": name}, raw, nil))
	lin := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{"$Latest", "$Default"}}
	all := &ec2.DescribeLaunchTemplateVersionsOutput{}
	for {
		page, err := ec.DescribeLaunchTemplateVersions(ctx, lin)
		if err != nil {
			col := c.response(by, c.Region, "DescribeLaunchTemplateVersions", "Launch templates (latest and default versions)", "launch-templates.json", map[string]string{"Versions": "$Latest,$Default"}, nil, err)
			use.items = append(use.items, col)
			use.Problems = append(use.Problems, "launch templates could not be read: "+col.Problem)
			all = nil
			break
		}
		all.LaunchTemplateVersions = append(all.LaunchTemplateVersions, page.LaunchTemplateVersions...)
		if sdkaws.ToString(page.NextToken) == "" {
			break
		}
		lin.NextToken = page.NextToken
	}
	if all != nil {
		use.items = append(use.items, c.response(by, c.Region, "DescribeLaunchTemplateVersions", "Launch templates (latest and default versions)", "launch-templates.json", map[string]string{"Versions": "$Latest,$Default"}, all, nil))
		seen := map[string]bool{}
		for _, v := range all.LaunchTemplateVersions {
			if v.LaunchTemplateData == nil || sdkaws.ToString(v.LaunchTemplateData.KeyName) != name {
				continue
			}
			t := templateUse{ID: sdkaws.ToString(v.LaunchTemplateId), Name: sdkaws.ToString(v.LaunchTemplateName), Version: sdkaws.ToInt64(v.VersionNumber), Default: sdkaws.ToBool(v.DefaultVersion)}
			if k := fmt.Sprintf("%s/%d", t.ID, t.Version); !seen[k] {
				seen[k] = true
				use.Templates = append(use.Templates, t)
			}
		}
	}
	return use, nil
}

func (c *Changer) planDeleteKeyPair(ctx context.Context, name string) (app.Plan, error) {
	if name == "" {
		return app.Plan{}, fmt.Errorf("%w: name the key pair (keyName)", app.ErrInvalid)
	}
	ec, err := c.ec2Client()
	if err != nil {
		return app.Plan{}, err
	}
	use, err := c.keyPairUsage(ctx, ec, name, app.Identity{})
	if err != nil {
		return app.Plan{}, err
	}
	if !use.Exists {
		return app.Plan{}, fmt.Errorf("key pair %s %w in %s (already deleted?)", name, app.ErrNotFound, c.Region)
	}
	r := app.Resource{Kind: app.ResourceKeyPair, ID: map[string]string{"keyName": name}, Name: "key pair " + name + " in " + c.Region}
	before, err := json.Marshal(use.KeyPair)
	if err != nil {
		return app.Plan{}, fmt.Errorf("encode key pair %s: %w", name, err)
	}
	call, cli := c.eradicateCall(r, c.Region, json.RawMessage(nullState))
	impact := []string{
		fmt.Sprintf("Key pair %s is destroyed: EC2 cannot bring it back, and no new instance can be launched with it.", name),
		"Instances already running keep its public key in authorized_keys: deleting the pair locks nobody out, the actor included. Rotate the key on them or replace them (playbook 3.1.2.1.1).",
	}
	if len(use.Instances) > 0 {
		var ids []string
		for _, i := range use.Instances {
			ids = append(ids, i.label()+" "+i.State)
		}
		impact = append(impact, fmt.Sprintf("Instances launched with it: %s.", strings.Join(ids, ", ")))
	}
	if len(use.Templates) > 0 {
		var ts []string
		for _, t := range use.Templates {
			ts = append(ts, fmt.Sprintf("%s (%s) version %d", t.Name, t.ID, t.Version))
		}
		impact = append(impact, fmt.Sprintf("Launches from %s fail once the pair is gone, Auto Scaling included: give them a version with the new key pair first.", strings.Join(ts, ", ")))
	}
	notes := []string{
		"IRREVERSIBLE: there is no undo. The pair's description as DescribeKeyPairs gives it is saved as evidence before the call.",
		"Launch configurations of Auto Scaling groups were not read; check them with: " + c.command(c.Region, "autoscaling", "describe-launch-configurations", "--query", "LaunchConfigurations[?KeyName=='"+name+"'].LaunchConfigurationName"),
	}
	notes = append(notes, use.Problems...)
	return app.Plan{
		Action: "ec2.delete-key-pair", Title: "Delete key pair " + name + " in " + c.Region + " for good",
		Target: "key pair " + name, Region: c.Region, Broad: true, ConfirmWord: name, Reversible: false,
		Steps:  []app.ChangeStep{{Resource: r, Before: before, After: json.RawMessage(nullState), Call: call, CLI: cli}},
		Impact: impact, Notes: notes,
	}, nil
}

// keyPairGuidance is the replacement of a key pair, step by step
// (playbook 3.1.2), in our words.
func keyPairGuidance(name string) []string {
	return []string{
		"1. For each instance listed, decide with its owner whether to replace it (terminate and launch anew) or keep it and rotate the key on it: remove the old public key from authorized_keys (or the user, or the .ssh directory), or on Windows review the Remote Desktop Users group. Systems Manager can do this on many instances at once.",
		"2. Before terminating anything, make sure the application survives without the instance (tags, CMDB, the owning team) and capture what the investigation needs, such as EBS snapshots.",
		"3. Give launch templates a new version that names the new key pair, and point Auto Scaling groups at it; replace launch configurations that name " + name + " (or move those groups to launch templates). Otherwise new instances bring the old key back.",
		"4. Delete key pair " + name + " (ec2.delete-key-pair). It stops new launches with it but locks nobody out of running instances.",
		"5. Terminate the instances chosen for replacement, once evidence is captured and the owner agrees.",
		"6. Create a new key pair and hand the private key only to those who need it, over a secure channel; EC2 Instance Connect or Session Manager avoid long-lived SSH keys altogether.",
		"7. Launch the replacements with the new key pair and check they are healthy and require IMDSv2 (ec2.require-imdsv2).",
		"8. For Windows instances reached over Remote Desktop, change the passwords of the users involved and check who is in the Remote Desktop Users group, locally and through Group Policy.",
	}
}

func (c *Changer) inspectKeyPair(ctx context.Context, name string, by app.Identity) (app.Inspection, error) {
	if name == "" {
		return app.Inspection{}, fmt.Errorf("%w: name the key pair (keyName)", app.ErrInvalid)
	}
	ec, err := c.ec2Client()
	if err != nil {
		return app.Inspection{}, err
	}
	use, err := c.keyPairUsage(ctx, ec, name, by)
	if err != nil {
		return app.Inspection{}, err
	}
	rep := app.Inspection{Action: "ec2.find-key-pair-instances", Title: "Instances and launch templates using key pair " + name,
		Target: "key pair " + name, Findings: []app.InspectFinding{}, Problems: use.Problems, Items: use.items}
	if use.Exists {
		rep.Findings = append(rep.Findings, app.InspectFinding{Severity: app.SeverityInfo, Subject: "key pair " + name,
			Text: fmt.Sprintf("The key pair exists in %s (fingerprint %s, created %s).", c.Region, use.KeyPair.KeyFingerprint, use.KeyPair.CreateTime.Format(time.RFC3339))})
	} else {
		rep.Findings = append(rep.Findings, app.InspectFinding{Severity: app.SeverityInfo, Subject: "key pair " + name,
			Text: fmt.Sprintf("No key pair %s exists in %s any more; instances launched with it still trust its public key.", name, c.Region)})
	}
	for _, i := range use.Instances {
		rep.Findings = append(rep.Findings, app.InspectFinding{Severity: app.SeverityMedium, Subject: "instance " + i.label(),
			Text: fmt.Sprintf("Launched with key pair %s (%s, since %s): whoever holds its private key may log in; rotate the key on it or replace it.", name, i.State, i.LaunchTime.Format(time.RFC3339))})
	}
	for _, t := range use.Templates {
		which := "latest"
		if t.Default {
			which = "default"
		}
		rep.Findings = append(rep.Findings, app.InspectFinding{Severity: app.SeverityMedium, Subject: fmt.Sprintf("launch template %s (%s)", t.Name, t.ID),
			Text: fmt.Sprintf("Its %s version %d names key pair %s: every instance launched from it gets the old key.", which, t.Version, name),
			Fix:  c.command(c.Region, "ec2", "create-launch-template-version", "--launch-template-id", t.ID, "--source-version", fmt.Sprint(t.Version), "--launch-template-data", `{"KeyName":"NEW-KEY-PAIR"}`)})
	}
	rep.Summary = fmt.Sprintf("%d running or stopped instance(s) and %d launch template version(s) in %s use key pair %s.", len(use.Instances), len(use.Templates), c.Region, name)
	rep.Guidance = append(keyPairGuidance(name), "The name an instance reports is only the pair it was launched with: keys added to authorized_keys later do not show here. Only region "+c.Region+" was searched.")
	rep.Commands = []string{
		c.command(c.Region, "ec2", "describe-key-pairs", "--key-names", name),
		c.command(c.Region, "ec2", "describe-instances", "--filters", "Name=key-name,Values="+name),
		c.command(c.Region, "ec2", "describe-launch-template-versions", "--versions", "$Latest", "$Default", "--query", "LaunchTemplateVersions[?LaunchTemplateData.KeyName=='"+name+"']"),
		c.command(c.Region, "autoscaling", "describe-launch-configurations", "--query", "LaunchConfigurations[?KeyName=='"+name+"'].LaunchConfigurationName"),
	}
	data, err := json.MarshalIndent(use, "", "  ")
	if err != nil {
		return rep, fmt.Errorf("encode the key pair's use: %w", err)
	}
	rep.Detail = data
	return rep, nil
}

// roleInstancesDetail is the detail of ec2.find-role-instances.
type roleInstancesDetail struct {
	Role      string         `json:"roleName"`
	Region    string         `json:"region"`
	Profiles  []string       `json:"instanceProfileArns"`
	Instances []instanceInfo `json:"instances"`
}

func (c *Changer) inspectRoleInstances(ctx context.Context, role string, by app.Identity) (app.Inspection, error) {
	ec, err := c.ec2Client()
	if err != nil {
		return app.Inspection{}, err
	}
	profiles, rawProfiles, err := c.roleProfiles(ctx, role)
	if err != nil {
		return app.Inspection{}, err
	}
	rep := app.Inspection{Action: "ec2.find-role-instances", Title: "Instances carrying role " + role, Target: "role " + role, Findings: []app.InspectFinding{}}
	rep.Items = append(rep.Items, c.response(by, "", "ListInstanceProfilesForRole", "Instance profiles of role "+role, "instance-profiles-"+role+".json", map[string]string{"RoleName": role}, rawProfiles, nil))
	insts, raw, err := c.roleInstances(ctx, ec, profiles)
	if err != nil {
		return app.Inspection{}, err
	}
	if len(profiles) > 0 {
		rep.Items = append(rep.Items, c.response(by, c.Region, "DescribeInstances", "Instances with an instance profile of role "+role, "instances-role-"+role+".json",
			map[string]string{"Filter.iam-instance-profile.arn": strings.Join(profiles, ",")}, raw, nil))
	}
	v1 := 0
	for _, i := range insts {
		f := app.InspectFinding{Subject: "instance " + i.label()}
		switch i.HttpTokens {
		case "required":
			f.Severity, f.Text = app.SeverityInfo, fmt.Sprintf("%s; requires IMDSv2.", i.State)
		default:
			v1++
			f.Severity = app.SeverityMedium
			f.Text = fmt.Sprintf("%s; its metadata service also answers IMDSv1 (HttpTokens %s), so a request forgery on it can read the role's credentials.", i.State, i.HttpTokens)
			f.Fix = c.command(c.Region, "ec2", "modify-instance-metadata-options", "--instance-id", i.ID, "--http-tokens", "required")
		}
		rep.Findings = append(rep.Findings, f)
	}
	switch {
	case len(profiles) == 0:
		rep.Summary = fmt.Sprintf("Role %s is in no instance profile: no instance can carry it.", role)
	default:
		rep.Summary = fmt.Sprintf("%d instance(s) in %s carry role %s; %d still accept IMDSv1.", len(insts), c.Region, role, v1)
	}
	rep.Guidance = []string{
		"Require IMDSv2 on every instance listed (ec2.require-imdsv2) after checking its software does not depend on IMDSv1.",
		"Revoking the role's sessions (iam.revoke-role-sessions) does not stop an actor who controls one of these instances: it fetches fresh credentials. Deal with the instance too (playbook 3.1.3).",
		"Only region " + c.Region + " was searched.",
	}
	rep.Commands = []string{c.command("", "iam", "list-instance-profiles-for-role", "--role-name", role)}
	if len(profiles) > 0 {
		rep.Commands = append(rep.Commands, c.command(c.Region, "ec2", "describe-instances", "--filters", "Name=iam-instance-profile.arn,Values="+strings.Join(profiles, ",")))
	}
	data, err := json.MarshalIndent(roleInstancesDetail{Role: role, Region: c.Region, Profiles: append([]string{}, profiles...), Instances: append([]instanceInfo{}, insts...)}, "", "  ")
	if err != nil {
		return rep, fmt.Errorf("encode the instances: %w", err)
	}
	rep.Detail = data
	return rep, nil
}
