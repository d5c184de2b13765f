package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"s3responder/app"
	"s3responder/changeplan"
	"s3responder/exposure"
)

// The bucket side of eradication (playbook 3.2 and 3.3.4): default
// encryption with a KMS key, versioning, and what the app only reads or
// explains: Object Lock, MFA Delete and the least-privilege review of the
// bucket policy.

// encConfig is a bucket's default encryption as a step's state: the
// ServerSideEncryptionConfiguration in the shape the AWS CLI takes.
type encConfig struct {
	Rules []encRule `json:"Rules"`
}

type encRule struct {
	ApplyServerSideEncryptionByDefault *encDefault   `json:"ApplyServerSideEncryptionByDefault,omitempty"`
	BucketKeyEnabled                   bool          `json:"BucketKeyEnabled"`
	BlockedEncryptionTypes             *encBlockList `json:"BlockedEncryptionTypes,omitempty"`
}

type encDefault struct {
	SSEAlgorithm   string `json:"SSEAlgorithm"`
	KMSMasterKeyID string `json:"KMSMasterKeyID,omitempty"`
}

type encBlockList struct {
	EncryptionType []string `json:"EncryptionType"`
}

func encryptionResource(bucket string) app.Resource {
	return app.Resource{Kind: app.ResourceBucketEncryption, ID: map[string]string{"bucket": bucket}, Name: "default encryption of bucket " + bucket}
}

func versioningResource(bucket string) app.Resource {
	return app.Resource{Kind: app.ResourceBucketVersioning, ID: map[string]string{"bucket": bucket}, Name: "versioning of bucket " + bucket}
}

func (c *Changer) readEncryption(ctx context.Context, bucket string) (json.RawMessage, error) {
	x, err := c.s3x()
	if err != nil {
		return nil, err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return nil, err
	}
	out, err := x.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &bucket}, forRegion(region))
	if errorCode(err) == "ServerSideEncryptionConfigurationNotFoundError" {
		return json.RawMessage(nullState), nil
	}
	if err != nil {
		return nil, Explain(err, c.Profile)
	}
	cfg := encConfig{Rules: []encRule{}}
	if out.ServerSideEncryptionConfiguration != nil {
		for _, r := range out.ServerSideEncryptionConfiguration.Rules {
			rule := encRule{BucketKeyEnabled: sdkaws.ToBool(r.BucketKeyEnabled)}
			if d := r.ApplyServerSideEncryptionByDefault; d != nil {
				rule.ApplyServerSideEncryptionByDefault = &encDefault{SSEAlgorithm: string(d.SSEAlgorithm), KMSMasterKeyID: sdkaws.ToString(d.KMSMasterKeyID)}
			}
			if b := r.BlockedEncryptionTypes; b != nil && len(b.EncryptionType) > 0 {
				rule.BlockedEncryptionTypes = &encBlockList{}
				for _, t := range b.EncryptionType {
					rule.BlockedEncryptionTypes.EncryptionType = append(rule.BlockedEncryptionTypes.EncryptionType, string(t))
				}
			}
			cfg.Rules = append(cfg.Rules, rule)
		}
	}
	return json.Marshal(cfg)
}

func (c *Changer) writeEncryption(ctx context.Context, bucket string, state json.RawMessage, absent bool) error {
	x, err := c.s3x()
	if err != nil {
		return err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return err
	}
	if absent {
		_, err = x.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: &bucket}, forRegion(region))
		return err
	}
	var cfg encConfig
	if err := json.Unmarshal(state, &cfg); err != nil || len(cfg.Rules) == 0 {
		return fmt.Errorf("%w: default encryption %s", app.ErrInvalid, state)
	}
	in := &s3types.ServerSideEncryptionConfiguration{}
	for _, r := range cfg.Rules {
		rule := s3types.ServerSideEncryptionRule{BucketKeyEnabled: sdkaws.Bool(r.BucketKeyEnabled)}
		if d := r.ApplyServerSideEncryptionByDefault; d != nil {
			rule.ApplyServerSideEncryptionByDefault = &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryption(d.SSEAlgorithm)}
			if d.KMSMasterKeyID != "" {
				rule.ApplyServerSideEncryptionByDefault.KMSMasterKeyID = sdkaws.String(d.KMSMasterKeyID)
			}
		}
		if b := r.BlockedEncryptionTypes; b != nil {
			rule.BlockedEncryptionTypes = &s3types.BlockedEncryptionTypes{}
			for _, t := range b.EncryptionType {
				rule.BlockedEncryptionTypes.EncryptionType = append(rule.BlockedEncryptionTypes.EncryptionType, s3types.EncryptionType(t))
			}
		}
		in.Rules = append(in.Rules, rule)
	}
	_, err = x.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &bucket, ServerSideEncryptionConfiguration: in}, forRegion(region))
	return err
}

func (c *Changer) planEncryption(ctx context.Context, bucket, key, bucketKey string) (app.Plan, error) {
	if err := needBucket(bucket); err != nil {
		return app.Plan{}, err
	}
	if key == "" {
		return app.Plan{}, fmt.Errorf("%w: name the KMS key (kmsMasterKeyId), preferably by its ARN", app.ErrInvalid)
	}
	if strings.ContainsAny(key, " \t\n\"'") {
		return app.Plan{}, fmt.Errorf("%w: %q is not a KMS key id, ARN or alias", app.ErrInvalid, key)
	}
	useBucketKey := true
	if bucketKey != "" {
		b, err := strconv.ParseBool(bucketKey)
		if err != nil {
			return app.Plan{}, fmt.Errorf("%w: bucketKeyEnabled %q: say true or false", app.ErrInvalid, bucketKey)
		}
		useBucketKey = b
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.Plan{}, err
	}
	r := encryptionResource(bucket)
	before, err := c.ReadState(ctx, r)
	if err != nil {
		return app.Plan{}, err
	}
	after, err := json.Marshal(encConfig{Rules: []encRule{{ApplyServerSideEncryptionByDefault: &encDefault{SSEAlgorithm: "aws:kms", KMSMasterKeyID: key}, BucketKeyEnabled: useBucketKey}}})
	if err != nil {
		return app.Plan{}, fmt.Errorf("encode the encryption settings: %w", err)
	}
	if changeplan.SameJSON(before, after) {
		return app.Plan{}, fmt.Errorf("bucket %s already encrypts with %s by default: %w", bucket, key, app.ErrNoChange)
	}
	impact := []string{
		fmt.Sprintf("New objects written to %s without an encryption header of their own are encrypted with KMS key %s: reading them also needs kms:Decrypt on that key, writing needs kms:GenerateDataKey. Principals without those rights in the key policy or their IAM policies (other accounts, applications not yet granted the key, and anonymous readers, who can never use KMS) get AccessDenied on new objects, legitimate ones too.", bucket, key),
		"Objects already in the bucket keep the encryption they were written with; to re-encrypt them, copy each over itself (or run an S3 Batch Operations copy job).",
	}
	if useBucketKey {
		impact = append(impact, "With the S3 Bucket Key, S3 asks KMS for a bucket-level key now and then instead of once per object: fewer KMS requests and lower cost, but CloudTrail shows the bucket, not each object, in KMS events.")
	} else {
		impact = append(impact, "Without an S3 Bucket Key every object read and write is a KMS request: it is charged and counts against the account's KMS request quotas.")
	}
	notes := []string{"Check first that the key exists, is enabled and that its key policy lets the bucket's writers and readers use it: " + c.command(region, "kms", "describe-key", "--key-id", key)}
	if !strings.HasPrefix(key, "arn:") {
		notes = append(notes, "Give the key's full ARN if you can: a key id or alias name is looked up in the account of whoever writes an object, so writers from other accounts would not use this key.")
	}
	undo := "Undo puts the earlier default encryption back; objects written meanwhile stay encrypted with the KMS key."
	if string(before) == nullState {
		undo = "Undo removes the setting (DeleteBucketEncryption), which leaves AWS's own default, SSE-S3; objects written meanwhile stay encrypted with the KMS key."
	}
	return app.Plan{
		Action: "s3.default-encryption", Title: "Encrypt new objects of bucket " + bucket + " with KMS key " + key,
		Target: "bucket " + bucket, Region: region, Broad: true, ConfirmWord: bucket, Reversible: true,
		Steps:  []app.ChangeStep{c.eradicateStep(r, region, before, after)},
		Impact: impact, Notes: notes, UndoNote: undo,
	}, nil
}

// readVersioning returns a bucket's versioning status (null when never
// enabled) and whether MFA Delete is on.
func (c *Changer) readVersioning(ctx context.Context, bucket string) (json.RawMessage, string, error) {
	out, err := c.getVersioning(ctx, bucket)
	if err != nil {
		return nil, "", Explain(err, c.Profile)
	}
	if out.Status == "" {
		return json.RawMessage(nullState), string(out.MFADelete), nil
	}
	st, err := json.Marshal(string(out.Status))
	return st, string(out.MFADelete), err
}

func (c *Changer) getVersioning(ctx context.Context, bucket string) (*s3.GetBucketVersioningOutput, error) {
	x, err := c.s3x()
	if err != nil {
		return nil, err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return x.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket}, forRegion(region))
}

func (c *Changer) writeVersioning(ctx context.Context, bucket string, state json.RawMessage, absent bool) error {
	if absent {
		return fmt.Errorf("%w: versioning, once enabled, can only be suspended, never removed", app.ErrInvalid)
	}
	var status string
	if err := json.Unmarshal(state, &status); err != nil || (status != "Enabled" && status != "Suspended") {
		return fmt.Errorf("%w: versioning status %s", app.ErrInvalid, state)
	}
	x, err := c.s3x()
	if err != nil {
		return err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return err
	}
	_, err = x.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatus(status)}}, forRegion(region))
	return err
}

// mfaDeleteCommand is the one command that turns MFA Delete on: only the
// root user can send it, with its MFA device's serial and a current code.
func mfaDeleteCommand(bucket string) string {
	return `aws s3api put-bucket-versioning --bucket ` + changeplan.ShellQuote(bucket) + ` --versioning-configuration Status=Enabled,MFADelete=Enabled --mfa "SERIAL TOKEN"`
}

var (
	versioningEnabled   = json.RawMessage(`"Enabled"`)
	versioningSuspended = json.RawMessage(`"Suspended"`)
)

func (c *Changer) planVersioning(ctx context.Context, bucket string) (app.Plan, error) {
	if err := needBucket(bucket); err != nil {
		return app.Plan{}, err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.Plan{}, err
	}
	before, mfa, err := c.readVersioning(ctx, bucket)
	if err != nil {
		return app.Plan{}, fmt.Errorf("read versioning of %s: %w", bucket, err)
	}
	if changeplan.SameJSON(before, versioningEnabled) {
		return app.Plan{}, fmt.Errorf("bucket %s already has versioning enabled: %w", bucket, app.ErrNoChange)
	}
	if mfa == "Enabled" {
		return app.Plan{}, fmt.Errorf("%w: MFA Delete is on for %s, so only the root user with its MFA device can change its versioning: %s", app.ErrInvalid, bucket, mfaDeleteCommand(bucket))
	}
	st := c.eradicateStep(versioningResource(bucket), region, before, versioningEnabled)
	never := string(before) == nullState
	if never {
		// AWS has no way back to "never enabled": undo suspends.
		st.UndoTo = versioningSuspended
		st.UndoCall, st.UndoCLI = c.eradicateCall(st.Resource, region, versioningSuspended)
	}
	notes := []string{
		"Versioning can never return to \"never enabled\": once on, it can only be suspended. Undo suspends it: new writes stop creating versions, and the versions kept until then stay (and are charged) until deleted.",
		"Versioning is what Object Lock and MFA Delete build on (s3.object-lock-status, s3.mfa-delete-guide).",
	}
	return app.Plan{
		Action: "s3.versioning", Title: "Enable versioning on bucket " + bucket,
		Target: "bucket " + bucket, Region: region, Broad: true, ConfirmWord: bucket, Reversible: true,
		Steps: []app.ChangeStep{st},
		Impact: []string{
			fmt.Sprintf("Every overwrite and delete in %s keeps the earlier version: storage, and its bill, grow with every change. Add a lifecycle rule that expires noncurrent versions after a period you choose.", bucket),
			"A delete without a version id leaves a delete marker instead of removing data; applications that list versions, or count on deletes freeing space, see the difference.",
		},
		Notes:    notes,
		UndoNote: "Undo suspends versioning; it does not return the bucket to never having had it, and keeps every version made until then.",
	}, nil
}

func (c *Changer) inspectObjectLock(ctx context.Context, bucket string, by app.Identity) (app.Inspection, error) {
	if err := needBucket(bucket); err != nil {
		return app.Inspection{}, err
	}
	x, err := c.s3x()
	if err != nil {
		return app.Inspection{}, err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.Inspection{}, err
	}
	rep := app.Inspection{Action: "s3.object-lock-status", Title: "Object Lock of bucket " + bucket, Target: "bucket " + bucket, Findings: []app.InspectFinding{}}
	params := map[string]string{"Bucket": bucket}
	lock, lerr := x.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: &bucket}, forRegion(region))
	notFound := errorCode(lerr) == "ObjectLockConfigurationNotFoundError"
	rep.Items = append(rep.Items, c.response(by, region, "GetObjectLockConfiguration", "Object Lock configuration of bucket "+bucket, bucket+"-object-lock.json", params, lock, lerr, "ObjectLockConfigurationNotFoundError"))
	ver, verr := c.getVersioning(ctx, bucket)
	rep.Items = append(rep.Items, c.response(by, region, "GetBucketVersioning", "Versioning of bucket "+bucket, bucket+"-versioning.json", params, ver, verr))
	status := "never enabled"
	if verr != nil {
		rep.Problems = append(rep.Problems, "versioning could not be read: "+Explain(verr, c.Profile).Error())
		status = "unknown"
	} else if ver.Status != "" {
		status = string(ver.Status)
	}
	detail := map[string]any{"bucket": bucket, "versioning": status}
	enable := c.command(region, "s3api", "put-object-lock-configuration", "--bucket", bucket, "--object-lock-configuration", `{"ObjectLockEnabled":"Enabled"}`)
	retention := c.command(region, "s3api", "put-object-lock-configuration", "--bucket", bucket, "--object-lock-configuration", `{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":30}}}`)
	switch {
	case lerr != nil && !notFound:
		rep.Problems = append(rep.Problems, "Object Lock could not be read: "+Explain(lerr, c.Profile).Error())
		rep.Summary = "Object Lock could not be read."
	case notFound || lock.ObjectLockConfiguration == nil || lock.ObjectLockConfiguration.ObjectLockEnabled != s3types.ObjectLockEnabledEnabled:
		detail["objectLock"] = "off"
		rep.Summary = fmt.Sprintf("Object Lock is off on %s (versioning %s): any principal allowed to can delete or overwrite every object version.", bucket, status)
		rep.Findings = append(rep.Findings, app.InspectFinding{Severity: app.SeverityLow, Subject: "bucket " + bucket,
			Text: "Object Lock is off. For data that must survive a compromised administrator, consider it: it keeps versions from deletion for a retention period, and cannot be turned off again once on.",
			Fix:  retention})
	default:
		detail["objectLock"] = "on"
		rule := lock.ObjectLockConfiguration.Rule
		if rule == nil || rule.DefaultRetention == nil {
			rep.Summary = fmt.Sprintf("Object Lock is on for %s, without default retention: only versions given a retention period or a legal hold are protected.", bucket)
			rep.Findings = append(rep.Findings, app.InspectFinding{Severity: app.SeverityInfo, Subject: "bucket " + bucket,
				Text: "Object Lock is on, without default retention: new versions are not protected unless the writer sets a retention period or a legal hold.", Fix: retention})
			break
		}
		d := rule.DefaultRetention
		period := fmt.Sprintf("%d day(s)", sdkaws.ToInt32(d.Days))
		if sdkaws.ToInt32(d.Years) > 0 {
			period = fmt.Sprintf("%d year(s)", sdkaws.ToInt32(d.Years))
		}
		detail["mode"], detail["period"] = string(d.Mode), period
		rep.Summary = fmt.Sprintf("Object Lock is on for %s: new versions are kept for %s in %s mode.", bucket, period, d.Mode)
		text := "Governance mode: principals with s3:BypassGovernanceRetention can still shorten or remove the retention, so keep that permission to very few."
		if d.Mode == s3types.ObjectLockRetentionModeCompliance {
			text = "Compliance mode: nobody, the root user included, can shorten the retention or delete a protected version before it ends."
		}
		rep.Findings = append(rep.Findings, app.InspectFinding{Severity: app.SeverityInfo, Subject: "bucket " + bucket, Text: text})
	}
	rep.Guidance = []string{
		"Object Lock needs versioning enabled; on an existing bucket, turning it on cannot be undone, and it may block deletes that applications or lifecycle rules expect.",
		"Governance mode lets privileged principals lift a retention; compliance mode lets nobody, not even the root user, so choose it only for data that legally must be kept.",
		"The app does not turn Object Lock on: it cannot be undone. The commands below do it (the second with a 30-day governance retention as an example).",
	}
	rep.Commands = []string{c.command(region, "s3api", "get-object-lock-configuration", "--bucket", bucket), enable, retention}
	data, err := json.MarshalIndent(detail, "", "  ")
	if err != nil {
		return rep, fmt.Errorf("encode the Object Lock status: %w", err)
	}
	rep.Detail = data
	return rep, nil
}

func (c *Changer) inspectMFADelete(ctx context.Context, bucket string, by app.Identity) (app.Inspection, error) {
	if err := needBucket(bucket); err != nil {
		return app.Inspection{}, err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.Inspection{}, err
	}
	rep := app.Inspection{Action: "s3.mfa-delete-guide", Title: "MFA Delete for bucket " + bucket, Target: "bucket " + bucket, Findings: []app.InspectFinding{}}
	ver, verr := c.getVersioning(ctx, bucket)
	rep.Items = append(rep.Items, c.response(by, region, "GetBucketVersioning", "Versioning and MFA Delete of bucket "+bucket, bucket+"-versioning.json", map[string]string{"Bucket": bucket}, ver, verr))
	command := mfaDeleteCommand(bucket)
	status, mfa := "never enabled", "Disabled"
	switch {
	case verr != nil:
		rep.Problems = append(rep.Problems, "versioning could not be read: "+Explain(verr, c.Profile).Error())
		status, mfa = "unknown", "unknown"
		rep.Summary = "Versioning and MFA Delete could not be read; the command below turns MFA Delete on."
	default:
		if ver.Status != "" {
			status = string(ver.Status)
		}
		if ver.MFADelete != "" {
			mfa = string(ver.MFADelete)
		}
		if mfa == "Enabled" {
			rep.Summary = fmt.Sprintf("MFA Delete is already on for %s (versioning %s).", bucket, status)
			rep.Findings = append(rep.Findings, app.InspectFinding{Severity: app.SeverityInfo, Subject: "bucket " + bucket,
				Text: "MFA Delete is on: deleting a version or changing versioning needs the root user's MFA code."})
			break
		}
		rep.Summary = fmt.Sprintf("MFA Delete is off for %s (versioning %s): the root user must turn it on with the command below.", bucket, status)
		rep.Findings = append(rep.Findings, app.InspectFinding{Severity: app.SeverityMedium, Subject: "bucket " + bucket,
			Text: "MFA Delete is off: any principal allowed to can delete object versions for good or suspend versioning, with no second factor.",
			Fix:  command})
	}
	rep.Guidance = []string{
		"Only the bucket owner's root user can turn MFA Delete on, with its own MFA device, through the CLI or the API: the console cannot, and no IAM user or role can, however privileged. The app never sends this command.",
		"Run the command as the root user (root access keys made for this and deleted right after, or the root user's session), replacing SERIAL with the root MFA device's serial number or ARN (arn:aws:iam::" + by.Account + ":mfa/... for a virtual device) and TOKEN with the code it shows now, separated by one space.",
		"The same command enables versioning if it is not on already (MFA Delete needs it).",
		"Afterwards, permanently deleting a version or changing the versioning state needs that MFA code, and S3 refuses a lifecycle configuration on the bucket: expire old versions by hand or turn MFA Delete off first.",
		"Check the result with the get-bucket-versioning command: MFADelete shows Enabled.",
	}
	rep.Commands = []string{command, c.command(region, "s3api", "get-bucket-versioning", "--bucket", bucket)}
	data, err := json.MarshalIndent(map[string]string{"bucket": bucket, "versioning": status, "mfaDelete": mfa, "command": command}, "", "  ")
	if err != nil {
		return rep, fmt.Errorf("encode the MFA Delete status: %w", err)
	}
	rep.Detail = data
	return rep, nil
}

func (c *Changer) inspectPolicy(ctx context.Context, bucket string, by app.Identity) (app.Inspection, error) {
	if err := needBucket(bucket); err != nil {
		return app.Inspection{}, err
	}
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.Inspection{}, err
	}
	out, err := c.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: &bucket}, forRegion(region))
	col := c.response(by, region, "GetBucketPolicy", "Policy of bucket "+bucket, bucket+"-policy.json", map[string]string{"Bucket": bucket}, out, err, "NoSuchBucketPolicy")
	if err != nil && errorCode(err) != "NoSuchBucketPolicy" {
		return app.Inspection{}, fmt.Errorf("read the policy of %s: %w", bucket, Explain(err, c.Profile))
	}
	doc := ""
	if out != nil {
		doc = sdkaws.ToString(out.Policy)
	}
	rep, err := exposure.ReviewPolicy(doc, bucket, by.Account)
	if err != nil {
		return rep, fmt.Errorf("review the policy of %s: %w", bucket, err)
	}
	rep.Items = []app.Collected{col}
	// The review names no region or profile: add this connection's.
	suffix := strings.TrimPrefix(c.command(region), "aws")
	for i, cmd := range rep.Commands {
		rep.Commands[i] = cmd + suffix
	}
	return rep, nil
}
