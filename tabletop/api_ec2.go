package tabletop

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"s3responder/aws"
)

// ec2API is the simulated account's EC2, for eradication: instances with
// their instance profile, key pair and metadata options, key pairs, and
// launch templates, each in its region (the call's, from the client's
// options). Refusals carry EC2's codes (InvalidInstanceID.NotFound...).
type ec2API struct{ *backend }

var _ aws.ChangeEC2API = ec2API{}

func ec2Err(op, code, msg string) error { return apiError("EC2", op, 400, code, msg) }

// ec2Region is the region a call goes to.
func (b *backend) ec2Region(optFns []func(*ec2.Options)) string {
	o := ec2.Options{Region: b.region}
	for _, f := range optFns {
		f(&o)
	}
	return o.Region
}

// stateCodes are EC2's numeric codes of instance states.
var stateCodes = map[string]int32{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

func (b *backend) ec2Instance(in *instance) ec2types.Instance {
	s := in.spec
	out := ec2types.Instance{InstanceId: sdkaws.String(s.ID), InstanceType: ec2types.InstanceTypeT3Micro, LaunchTime: sdkaws.Time(s.Launched),
		State:           &ec2types.InstanceState{Name: ec2types.InstanceStateName(s.State), Code: sdkaws.Int32(stateCodes[s.State])},
		PlatformDetails: sdkaws.String(s.Platform), Placement: &ec2types.Placement{AvailabilityZone: sdkaws.String(s.Region + "a")},
		MetadataOptions: &ec2types.InstanceMetadataOptionsResponse{HttpTokens: ec2types.HttpTokensState(in.tokens),
			HttpEndpoint: ec2types.InstanceMetadataEndpointState(in.endpoint), HttpPutResponseHopLimit: sdkaws.Int32(in.hop),
			State: ec2types.InstanceMetadataOptionsStateApplied, HttpProtocolIpv6: ec2types.InstanceMetadataProtocolStateDisabled,
			InstanceMetadataTags: ec2types.InstanceMetadataTagsStateDisabled}}
	if in.pending {
		out.MetadataOptions.State = ec2types.InstanceMetadataOptionsStatePending
	}
	if s.KeyName != "" {
		out.KeyName = sdkaws.String(s.KeyName)
	}
	if s.InstanceProfile != "" {
		out.IamInstanceProfile = &ec2types.IamInstanceProfile{Arn: sdkaws.String(profileARN(b.sc.Account, s.InstanceProfile)),
			Id: uniqueID("AIPA", b.sc.Account, s.InstanceProfile)}
	}
	if s.Name != "" {
		out.Tags = []ec2types.Tag{{Key: sdkaws.String("Name"), Value: sdkaws.String(s.Name)}}
	}
	return out
}

// instanceFilter reports whether an instance passes one DescribeInstances
// filter; ok is false for a filter the simulation does not know.
func (b *backend) instanceFilter(in *instance, f ec2types.Filter) (pass, ok bool) {
	var v string
	name := sdkaws.ToString(f.Name)
	switch name {
	case "instance-id":
		v = in.spec.ID
	case "key-name":
		v = in.spec.KeyName
	case "iam-instance-profile.arn":
		if in.spec.InstanceProfile != "" {
			v = profileARN(b.sc.Account, in.spec.InstanceProfile)
		}
	case "instance-state-name":
		v = in.spec.State
	case "metadata-options.http-tokens":
		v = in.tokens
	case "tag:Name":
		v = in.spec.Name
	default:
		return false, false
	}
	for _, want := range f.Values {
		if v != "" && wildcard(want, v) {
			return true, true
		}
	}
	return false, true
}

// wildcard matches EC2's filter values, where * is any run of characters
// and ? one character.
func wildcard(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if wildcard(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && wildcard(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && wildcard(pattern[1:], s[1:])
}

// ec2Page cuts a list at an EC2 NextToken.
func ec2Page[T any](op string, all []T, token *string, limit int) ([]T, *string, error) {
	page, next, ok := cutPage(all, token, "ec2-", limit)
	if !ok {
		return nil, nil, ec2Err(op, "InvalidPaginationToken", "The pagination token is invalid.")
	}
	return page, next, nil
}

func (e ec2API) DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	region := e.ec2Region(optFns)
	const op = "DescribeInstances"
	if in.MaxResults != nil && len(in.InstanceIds) > 0 {
		return nil, ec2Err(op, "InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	limit := 1000
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
		if limit < 5 || limit > 1000 {
			return nil, ec2Err(op, "InvalidParameterValue", fmt.Sprintf("Value ( %d ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", limit))
		}
	}
	for _, id := range in.InstanceIds {
		if !instanceIDRe.MatchString(id) {
			return nil, ec2Err(op, "InvalidInstanceID.Malformed", fmt.Sprintf("Invalid id: \"%s\"", id))
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var missing []string
	for _, id := range in.InstanceIds {
		if !slices.ContainsFunc(e.w.ec2.instances, func(i *instance) bool { return i.spec.ID == id && i.spec.Region == region }) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, ec2Err(op, "InvalidInstanceID.NotFound", fmt.Sprintf("The instance IDs '%s' do not exist", strings.Join(missing, ", ")))
	}
	var res []ec2types.Reservation
	for _, inst := range e.w.ec2.instances {
		if inst.spec.Region != region || (len(in.InstanceIds) > 0 && !slices.Contains(in.InstanceIds, inst.spec.ID)) {
			continue
		}
		keep := true
		for _, f := range in.Filters {
			pass, ok := e.instanceFilter(inst, f)
			if !ok {
				return nil, ec2Err(op, "InvalidParameterValue", fmt.Sprintf("The filter '%s' is invalid", sdkaws.ToString(f.Name)))
			}
			keep = keep && pass
		}
		if !keep {
			continue
		}
		res = append(res, ec2types.Reservation{ReservationId: sdkaws.String("r-" + derivedHex(17, "reservation", inst.spec.ID)),
			OwnerId: sdkaws.String(e.sc.Account), Instances: []ec2types.Instance{e.ec2Instance(inst)}})
	}
	// What was described as pending is applied by the next look.
	got, next, err := ec2Page(op, res, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	for _, r := range got {
		for _, i := range r.Instances {
			for _, inst := range e.w.ec2.instances {
				if inst.spec.ID == sdkaws.ToString(i.InstanceId) {
					inst.pending = false
				}
			}
		}
	}
	return &ec2.DescribeInstancesOutput{Reservations: got, NextToken: next}, nil
}

func (e ec2API) ModifyInstanceMetadataOptions(ctx context.Context, in *ec2.ModifyInstanceMetadataOptionsInput, optFns ...func(*ec2.Options)) (*ec2.ModifyInstanceMetadataOptionsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	const op = "ModifyInstanceMetadataOptions"
	region := e.ec2Region(optFns)
	id := sdkaws.ToString(in.InstanceId)
	if !instanceIDRe.MatchString(id) {
		return nil, ec2Err(op, "InvalidInstanceID.Malformed", fmt.Sprintf("Invalid id: \"%s\"", id))
	}
	switch in.HttpTokens {
	case "", ec2types.HttpTokensStateOptional, ec2types.HttpTokensStateRequired:
	default:
		return nil, ec2Err(op, "InvalidParameterValue", fmt.Sprintf("Value (%s) for parameter HttpTokens is invalid.", in.HttpTokens))
	}
	switch in.HttpEndpoint {
	case "", ec2types.InstanceMetadataEndpointStateEnabled, ec2types.InstanceMetadataEndpointStateDisabled:
	default:
		return nil, ec2Err(op, "InvalidParameterValue", fmt.Sprintf("Value (%s) for parameter HttpEndpoint is invalid.", in.HttpEndpoint))
	}
	if h := in.HttpPutResponseHopLimit; h != nil && (*h < 1 || *h > 64) {
		return nil, ec2Err(op, "InvalidParameterValue", fmt.Sprintf("Value (%d) for parameter HttpPutResponseHopLimit is invalid. Expecting a value between 1 and 64.", *h))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var inst *instance
	for _, i := range e.w.ec2.instances {
		if i.spec.ID == id && i.spec.Region == region {
			inst = i
		}
	}
	switch {
	case inst == nil:
		return nil, ec2Err(op, "InvalidInstanceID.NotFound", fmt.Sprintf("The instance ID '%s' does not exist", id))
	case inst.spec.State == "terminated" || inst.spec.State == "shutting-down":
		return nil, ec2Err(op, "IncorrectInstanceState", fmt.Sprintf("The instance '%s' is not in a state from which it can be modified.", id))
	}
	req := map[string]any{"InstanceId": id}
	if in.HttpTokens != "" {
		inst.tokens = string(in.HttpTokens)
		req["HttpTokens"] = inst.tokens
	}
	if in.HttpEndpoint != "" {
		inst.endpoint = string(in.HttpEndpoint)
		req["HttpEndpoint"] = inst.endpoint
	}
	if in.HttpPutResponseHopLimit != nil {
		inst.hop = *in.HttpPutResponseHopLimit
		req["HttpPutResponseHopLimit"] = inst.hop
	}
	params := map[string]any{"ModifyInstanceMetadataOptionsRequest": req}
	inst.pending = true
	e.recordIn(region, "ec2.amazonaws.com", op, params, trailResource{"AWS::EC2::Instance", id})
	out := e.ec2Instance(inst)
	m := out.MetadataOptions
	return &ec2.ModifyInstanceMetadataOptionsOutput{InstanceId: sdkaws.String(id), InstanceMetadataOptions: &ec2types.InstanceMetadataOptionsResponse{
		HttpTokens: m.HttpTokens, HttpEndpoint: m.HttpEndpoint, HttpPutResponseHopLimit: m.HttpPutResponseHopLimit, State: m.State,
		HttpProtocolIpv6: m.HttpProtocolIpv6, InstanceMetadataTags: m.InstanceMetadataTags}}, nil
}

func keyPairInfo(k *KeyPair) ec2types.KeyPairInfo {
	return ec2types.KeyPairInfo{KeyName: sdkaws.String(k.Name), KeyPairId: sdkaws.String(k.ID), KeyFingerprint: sdkaws.String(k.Fingerprint),
		KeyType: ec2types.KeyType(k.Type), CreateTime: sdkaws.Time(k.Created), Tags: []ec2types.Tag{}}
}

func (e ec2API) DescribeKeyPairs(ctx context.Context, in *ec2.DescribeKeyPairsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeKeyPairsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	const op = "DescribeKeyPairs"
	region := e.ec2Region(optFns)
	e.mu.Lock()
	defer e.mu.Unlock()
	var here []*KeyPair
	for _, k := range e.w.ec2.keyPairs {
		if k.Region == region {
			here = append(here, k)
		}
	}
	find := func(match func(*KeyPair) bool) *KeyPair {
		for _, k := range here {
			if match(k) {
				return k
			}
		}
		return nil
	}
	for _, n := range in.KeyNames {
		if find(func(k *KeyPair) bool { return k.Name == n }) == nil {
			return nil, ec2Err(op, "InvalidKeyPair.NotFound", fmt.Sprintf("The key pair '%s' does not exist", n))
		}
	}
	for _, id := range in.KeyPairIds {
		if find(func(k *KeyPair) bool { return k.ID == id }) == nil {
			return nil, ec2Err(op, "InvalidKeyPair.NotFound", fmt.Sprintf("The key pair ID '%s' does not exist", id))
		}
	}
	out := &ec2.DescribeKeyPairsOutput{KeyPairs: []ec2types.KeyPairInfo{}}
	for _, k := range here {
		if (len(in.KeyNames) > 0 && !slices.Contains(in.KeyNames, k.Name)) || (len(in.KeyPairIds) > 0 && !slices.Contains(in.KeyPairIds, k.ID)) {
			continue
		}
		keep := true
		for _, f := range in.Filters {
			var v string
			switch sdkaws.ToString(f.Name) {
			case "key-name":
				v = k.Name
			case "key-pair-id":
				v = k.ID
			case "fingerprint":
				v = k.Fingerprint
			default:
				return nil, ec2Err(op, "InvalidParameterValue", fmt.Sprintf("The filter '%s' is invalid", sdkaws.ToString(f.Name)))
			}
			keep = keep && slices.ContainsFunc(f.Values, func(w string) bool { return wildcard(w, v) })
		}
		if keep {
			out.KeyPairs = append(out.KeyPairs, keyPairInfo(k))
		}
	}
	return out, nil
}

// DeleteKeyPair deletes a key pair by name or id. As EC2 does, deleting
// a name that does not exist succeeds and changes nothing.
func (e ec2API) DeleteKeyPair(ctx context.Context, in *ec2.DeleteKeyPairInput, optFns ...func(*ec2.Options)) (*ec2.DeleteKeyPairOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	const op = "DeleteKeyPair"
	region := e.ec2Region(optFns)
	name, id := sdkaws.ToString(in.KeyName), sdkaws.ToString(in.KeyPairId)
	if name == "" && id == "" {
		return nil, ec2Err(op, "MissingParameter", "The request must contain the parameter KeyName or KeyPairId")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	i := slices.IndexFunc(e.w.ec2.keyPairs, func(k *KeyPair) bool {
		return k.Region == region && ((name != "" && k.Name == name) || (id != "" && k.ID == id))
	})
	out := &ec2.DeleteKeyPairOutput{Return: sdkaws.Bool(true)}
	params := map[string]any{}
	if name != "" {
		params["keyName"] = name
	}
	if id != "" {
		params["keyPairId"] = id
	}
	if i >= 0 {
		k := e.w.ec2.keyPairs[i]
		out.KeyPairId = sdkaws.String(k.ID)
		e.w.ec2.keyPairs = slices.Delete(e.w.ec2.keyPairs, i, i+1)
	}
	e.recordIn(region, "ec2.amazonaws.com", op, params)
	return out, nil
}

// DescribeLaunchTemplateVersions describes versions of one template, or,
// without a template, the $Latest and $Default versions of every
// template of the region, as EC2 allows.
func (e ec2API) DescribeLaunchTemplateVersions(ctx context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	const op = "DescribeLaunchTemplateVersions"
	region := e.ec2Region(optFns)
	limit := 200
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
		if limit < 1 || limit > 200 {
			return nil, ec2Err(op, "InvalidParameterValue", fmt.Sprintf("Value ( %d ) for parameter maxResults is invalid. Expecting a value between 1 and 200.", limit))
		}
	}
	id, name := sdkaws.ToString(in.LaunchTemplateId), sdkaws.ToString(in.LaunchTemplateName)
	e.mu.Lock()
	defer e.mu.Unlock()
	var templates []LaunchTemplate
	for _, t := range e.w.ec2.templates {
		if t.Region == region && (id == "" || t.ID == id) && (name == "" || t.Name == name) {
			templates = append(templates, t)
		}
	}
	switch {
	case id != "" && len(templates) == 0:
		return nil, ec2Err(op, "InvalidLaunchTemplateId.NotFound", fmt.Sprintf("The specified launch template, with template ID %s, does not exist.", id))
	case name != "" && len(templates) == 0:
		return nil, ec2Err(op, "InvalidLaunchTemplateName.NotFoundException", fmt.Sprintf("The specified launch template, with template name %s, does not exist.", name))
	case id == "" && name == "":
		for _, v := range in.Versions {
			if v != "$Latest" && v != "$Default" {
				return nil, ec2Err(op, "InvalidParameterValue", "Only $Latest and $Default versions can be described without a launch template.")
			}
		}
		if len(in.Versions) == 0 {
			return nil, ec2Err(op, "MissingParameter", "The request must contain the parameter LaunchTemplateId or LaunchTemplateName")
		}
	}
	var all []ec2types.LaunchTemplateVersion
	for _, t := range templates {
		want := map[int64]bool{}
		for _, v := range in.Versions {
			switch v {
			case "$Latest":
				want[int64(len(t.Versions))] = true
			case "$Default":
				want[t.DefaultVersion] = true
			default:
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 1 || n > int64(len(t.Versions)) {
					return nil, ec2Err(op, "InvalidLaunchTemplateId.VersionNotFound", fmt.Sprintf("Could not find launch template version %s for launch template %s.", v, t.ID))
				}
				want[n] = true
			}
		}
		for n := int64(1); n <= int64(len(t.Versions)); n++ {
			if len(in.Versions) > 0 && !want[n] {
				continue
			}
			tv := t.Versions[n-1]
			data := &ec2types.ResponseLaunchTemplateData{}
			if tv.KeyName != "" {
				data.KeyName = sdkaws.String(tv.KeyName)
			}
			all = append(all, ec2types.LaunchTemplateVersion{LaunchTemplateId: sdkaws.String(t.ID), LaunchTemplateName: sdkaws.String(t.Name),
				VersionNumber: sdkaws.Int64(n), DefaultVersion: sdkaws.Bool(n == t.DefaultVersion), CreateTime: sdkaws.Time(tv.Created),
				VersionDescription: sdkaws.String(tv.Description), CreatedBy: sdkaws.String(fmt.Sprintf("arn:aws:iam::%s:root", e.sc.Account)),
				LaunchTemplateData: data})
		}
	}
	got, next, err := ec2Page(op, all, in.NextToken, limit)
	if err != nil {
		return nil, err
	}
	return &ec2.DescribeLaunchTemplateVersionsOutput{LaunchTemplateVersions: got, NextToken: next}, nil
}
