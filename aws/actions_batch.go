package aws

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"s3responder/app"
	"s3responder/changeplan"
)

// The object ACL reset at AWS's scale: an S3 Batch Operations job. The app
// lists the objects into a CSV manifest (bucket,key with the key
// URL-encoded, as the format asks), writes it to a bucket the person
// picks, and creates a job that sets each object's ACL to FULL_CONTROL
// for the bucket owner, with a completion report. Two steps, each a state
// the framework can re-read: the manifest object (found by its key), and
// the job (found by its description, which carries a token of its own;
// CreateJob is also idempotent on the same ClientRequestToken).

var _ app.BatchJobReader = (*Changer)(nil)

// manifestSourceMeta is the user metadata that records, on the manifest
// object, which objects it lists.
const manifestSourceMeta = "s3responder-source"

// batchJobPriority is the job's priority among the account's jobs; AWS
// runs higher numbers first. An incident's containment comes early.
const batchJobPriority = 10

// newToken returns a random token for a job's ClientRequestToken.
func newToken() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// s3URL is s3://bucket/prefix.
func s3URL(bucket, prefix string) string { return "s3://" + bucket + "/" + prefix }

// manifestLine is one CSV line of a manifest: the bucket, and the key
// URL-encoded (so commas, quotes and line breaks in keys are safe).
func manifestLine(bucket, key string) string {
	return bucket + "," + strings.ReplaceAll(url.QueryEscape(key), "+", "%20") + "\n"
}

func (c *Changer) readManifest(ctx context.Context, r app.Resource) (json.RawMessage, error) {
	id := r.ID
	mb, mk := id["manifestBucket"], id["manifestKey"]
	region, err := c.bucketRegion(ctx, mb)
	if err != nil {
		return nil, err
	}
	out, err := c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &mb, Key: &mk}, forRegion(region))
	if code := errorCode(err); code == "NotFound" || code == "NoSuchKey" {
		return json.RawMessage(nullState), nil
	}
	if err != nil {
		return nil, Explain(err, c.Profile)
	}
	return json.Marshal(map[string]string{"source": out.Metadata[manifestSourceMeta]})
}

// writeManifest lists the objects and writes the manifest with one
// PutObject (the listing only reads).
func (c *Changer) writeManifest(ctx context.Context, r app.Resource, state json.RawMessage, absent bool) error {
	if absent {
		return fmt.Errorf("%w: the app does not delete a manifest it wrote", app.ErrInvalid)
	}
	id := r.ID
	bucket, prefix, mb, mk := id["bucket"], id["prefix"], id["manifestBucket"], id["manifestKey"]
	var buf bytes.Buffer
	n := 0
	if err := c.ListKeys(ctx, bucket, prefix, "", func(keys []string) error {
		for _, k := range keys {
			buf.WriteString(manifestLine(bucket, k))
		}
		n += len(keys)
		return nil
	}); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s holds no object any more: %w", s3URL(bucket, prefix), app.ErrNoChange)
	}
	region, err := c.bucketRegion(ctx, mb)
	if err != nil {
		return err
	}
	_, err = c.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &mb, Key: &mk, Body: bytes.NewReader(buf.Bytes()),
		ContentType: sdkaws.String("text/csv"), Metadata: map[string]string{manifestSourceMeta: s3URL(bucket, prefix)}}, forRegion(region))
	return err
}

// findJob returns the id of the job whose description is desc, "" when
// there is none.
func (c *Changer) findJob(ctx context.Context, account, region, desc string) (string, error) {
	in := &s3control.ListJobsInput{AccountId: &account}
	for {
		out, err := c.Control.ListJobs(ctx, in, controlRegion(region))
		if err != nil {
			return "", Explain(err, c.Profile)
		}
		for _, j := range out.Jobs {
			if sdkaws.ToString(j.Description) == desc {
				return sdkaws.ToString(j.JobId), nil
			}
		}
		if out.NextToken == nil || *out.NextToken == "" {
			return "", nil
		}
		in.NextToken = out.NextToken
	}
}

// controlRegion sends an S3 Control call to a region.
func controlRegion(region string) func(*s3control.Options) {
	return func(o *s3control.Options) {
		if region != "" {
			o.Region = region
		}
	}
}

func (c *Changer) readBatchJob(ctx context.Context, r app.Resource) (json.RawMessage, error) {
	if c.Control == nil {
		return nil, fmt.Errorf("%w: this connection has no S3 Control client", app.ErrInvalid)
	}
	id := r.ID
	job, err := c.findJob(ctx, id["accountId"], id["region"], id["description"])
	if err != nil {
		return nil, err
	}
	if job == "" {
		return json.RawMessage(nullState), nil
	}
	return json.Marshal(map[string]string{"description": id["description"]})
}

// jobOperation is the ACL every object of the job gets.
func jobOperation(owner string) *s3ctltypes.JobOperation {
	return &s3ctltypes.JobOperation{S3PutObjectAcl: &s3ctltypes.S3SetObjectAclOperation{AccessControlPolicy: &s3ctltypes.S3AccessControlPolicy{
		AccessControlList: &s3ctltypes.S3AccessControlList{
			Owner:  &s3ctltypes.S3ObjectOwner{ID: &owner},
			Grants: []s3ctltypes.S3Grant{{Grantee: &s3ctltypes.S3Grantee{TypeIdentifier: s3ctltypes.S3GranteeTypeIdentifierCanonical, Identifier: &owner}, Permission: s3ctltypes.S3PermissionFullControl}},
		},
	}}}
}

func bucketARN(partition, bucket string) string { return "arn:" + partition + ":s3:::" + bucket }

// writeBatchJob creates the job over the manifest as it is now (its ETag
// pins the manifest's version). The same ClientRequestToken makes a
// repeated CreateJob return the first job instead of a second one.
func (c *Changer) writeBatchJob(ctx context.Context, r app.Resource, state json.RawMessage, absent bool) error {
	if absent {
		return fmt.Errorf("%w: the app does not delete or cancel a batch job; cancel it with aws s3control update-job-status --requested-job-status Cancelled", app.ErrInvalid)
	}
	if c.Control == nil {
		return fmt.Errorf("%w: this connection has no S3 Control client", app.ErrInvalid)
	}
	id := r.ID
	mb, mk := id["manifestBucket"], id["manifestKey"]
	mregion, err := c.bucketRegion(ctx, mb)
	if err != nil {
		return err
	}
	head, err := c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &mb, Key: &mk}, forRegion(mregion))
	if err != nil {
		return fmt.Errorf("read the manifest s3://%s/%s: %w", mb, mk, Explain(err, c.Profile))
	}
	account, partition := id["accountId"], id["partition"]
	_, err = c.Control.CreateJob(ctx, &s3control.CreateJobInput{
		AccountId:            &account,
		ClientRequestToken:   sdkaws.String(id["token"]),
		ConfirmationRequired: sdkaws.Bool(false),
		Description:          sdkaws.String(id["description"]),
		Priority:             sdkaws.Int32(batchJobPriority),
		RoleArn:              sdkaws.String(id["roleArn"]),
		Operation:            jobOperation(id["bucketOwner"]),
		Manifest: &s3ctltypes.JobManifest{
			Spec: &s3ctltypes.JobManifestSpec{Format: s3ctltypes.JobManifestFormatS3BatchOperationsCsv20180820, Fields: []s3ctltypes.JobManifestFieldName{s3ctltypes.JobManifestFieldNameBucket, s3ctltypes.JobManifestFieldNameKey}},
			// S3 returns the ETag quoted; the manifest location takes it bare.
			Location: &s3ctltypes.JobManifestLocation{ObjectArn: sdkaws.String(bucketARN(partition, mb) + "/" + mk), ETag: sdkaws.String(strings.Trim(sdkaws.ToString(head.ETag), `"`))},
		},
		Report: &s3ctltypes.JobReport{Enabled: true, Bucket: sdkaws.String(bucketARN(partition, id["reportBucket"])), Prefix: sdkaws.String(id["reportPrefix"]),
			Format: s3ctltypes.JobReportFormatReportCsv20180820, ReportScope: s3ctltypes.JobReportScopeAllTasks},
	}, controlRegion(id["region"]))
	return err
}

// ReadBatchJob finds the job a change created and reads its status.
func (c *Changer) ReadBatchJob(ctx context.Context, r app.Resource) (app.BatchJob, error) {
	if r.Kind != app.ResourceBatchJob {
		return app.BatchJob{}, fmt.Errorf("%w: %s is not a batch job", app.ErrInvalid, r.Name)
	}
	id := r.ID
	jobID, err := c.findJob(ctx, id["accountId"], id["region"], id["description"])
	if err != nil {
		return app.BatchJob{}, err
	}
	if jobID == "" {
		return app.BatchJob{}, fmt.Errorf("no job described %q in account %s: %w", id["description"], id["accountId"], app.ErrNotFound)
	}
	account := id["accountId"]
	out, err := c.Control.DescribeJob(ctx, &s3control.DescribeJobInput{AccountId: &account, JobId: &jobID}, controlRegion(id["region"]))
	if err != nil {
		return app.BatchJob{}, fmt.Errorf("describe job %s: %w", jobID, Explain(err, c.Profile))
	}
	job := app.BatchJob{ID: jobID, Report: s3URL(id["reportBucket"], id["reportPrefix"])}
	d := out.Job
	if d == nil {
		return job, fmt.Errorf("job %s came back empty", jobID)
	}
	job.Status = string(d.Status)
	job.Terminal = app.TerminalJobStatus(job.Status)
	if ps := d.ProgressSummary; ps != nil {
		job.Total, job.Succeeded, job.Failed = sdkaws.ToInt64(ps.TotalNumberOfTasks), sdkaws.ToInt64(ps.NumberOfTasksSucceeded), sdkaws.ToInt64(ps.NumberOfTasksFailed)
	}
	var reasons []string
	if v := sdkaws.ToString(d.StatusUpdateReason); v != "" {
		reasons = append(reasons, v)
	}
	if v := sdkaws.ToString(d.SuspendedCause); v != "" {
		reasons = append(reasons, v)
	}
	for _, f := range d.FailureReasons {
		reasons = append(reasons, strings.TrimSpace(sdkaws.ToString(f.FailureCode)+" "+sdkaws.ToString(f.FailureReason)))
	}
	job.Reason = strings.Join(reasons, "; ")
	return job, nil
}

// dquote writes s for the inside of a double-quoted shell word.
func dquote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`")
	return r.Replace(s)
}

func (c *Changer) planBatchJob(ctx context.Context, params map[string]string, by app.Identity) (app.Plan, error) {
	p := func(name string) string { return strings.TrimSpace(params[name]) }
	bucket, prefix, mb, rb, role := p("bucket"), params["prefix"], p("manifestBucket"), p("reportBucket"), p("roleArn")
	if err := needBucket(bucket); err != nil {
		return app.Plan{}, err
	}
	switch {
	case mb == "":
		return app.Plan{}, fmt.Errorf("%w: name the bucket the manifest goes to (manifestBucket)", app.ErrInvalid)
	case !strings.HasPrefix(role, "arn:") || !strings.Contains(role, ":role/"):
		return app.Plan{}, fmt.Errorf("%w: roleArn must be the ARN of the IAM role Batch Operations assumes (arn:aws:iam::ACCOUNT:role/NAME), got %q", app.ErrInvalid, role)
	case by.Account == "" || !strings.HasPrefix(by.ARN, "arn:"):
		return app.Plan{}, fmt.Errorf("%w: the connection's account is unknown", app.ErrInvalid)
	}
	if rb == "" {
		rb = mb
	}
	partition := strings.SplitN(by.ARN, ":", 3)[1]
	region, err := c.bucketRegion(ctx, bucket)
	if err != nil {
		return app.Plan{}, err
	}
	if _, err := c.bucketRegion(ctx, mb); err != nil {
		return app.Plan{}, fmt.Errorf("manifest bucket: %w", err)
	}
	acl, err := c.S3.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &bucket}, forRegion(region))
	if err != nil {
		return app.Plan{}, fmt.Errorf("read the owner of bucket %s: %w", bucket, Explain(err, c.Profile))
	}
	owner := ""
	if acl.Owner != nil {
		owner = sdkaws.ToString(acl.Owner.ID)
	}
	if owner == "" {
		return app.Plan{}, fmt.Errorf("bucket %s: S3 did not name the bucket's owner", bucket)
	}
	count := 0
	if err := c.ListKeys(ctx, bucket, prefix, "", func(keys []string) error { count += len(keys); return nil }); err != nil {
		return app.Plan{}, err
	}
	if count == 0 {
		return app.Plan{}, fmt.Errorf("%s holds no object: %w", s3URL(bucket, prefix), app.ErrNoChange)
	}
	token := newToken()
	base := "s3responder/batch/" + token
	mk, reportPrefix := base+"/manifest.csv", base+"/report"
	desc := fmt.Sprintf("S3 Responder %s: object ACLs of %s to owner-only", token, s3URL(bucket, prefix))
	manifest := app.Resource{Kind: app.ResourceBatchManifest, Name: fmt.Sprintf("Batch Operations manifest s3://%s/%s", mb, mk),
		ID: map[string]string{"bucket": bucket, "prefix": prefix, "manifestBucket": mb, "manifestKey": mk}}
	job := app.Resource{Kind: app.ResourceBatchJob, Name: "Batch Operations job \"" + desc + "\"",
		ID: map[string]string{"accountId": by.Account, "partition": partition, "region": region, "description": desc, "token": token,
			"bucket": bucket, "prefix": prefix, "manifestBucket": mb, "manifestKey": mk, "reportBucket": rb, "reportPrefix": reportPrefix,
			"roleArn": role, "bucketOwner": owner}}

	list := []string{"s3api", "list-objects-v2", "--bucket", bucket}
	if prefix != "" {
		list = append(list, "--prefix", prefix)
	}
	list = append(list, "--query", "Contents[].[Key]", "--output", "text")
	listCLI := c.command(region, list...) + ` | jq -rR --arg b ` + changeplan.ShellQuote(bucket) + ` '$b + "," + @uri' > manifest.csv`
	putCLI := `etag=$(` + c.command(region, "s3api", "put-object", "--bucket", mb, "--key", mk, "--body", "manifest.csv",
		"--content-type", "text/csv", "--metadata", manifestSourceMeta+"="+s3URL(bucket, prefix), "--query", "ETag", "--output", "text") + `)`
	op, _ := json.Marshal(map[string]any{"S3PutObjectAcl": map[string]any{"AccessControlPolicy": map[string]any{"AccessControlList": map[string]any{
		"Owner": map[string]string{"ID": owner}, "Grants": []any{map[string]any{"Grantee": map[string]string{"TypeIdentifier": "id", "Identifier": owner}, "Permission": "FULL_CONTROL"}}}}}})
	report, _ := json.Marshal(map[string]any{"Bucket": bucketARN(partition, rb), "Prefix": reportPrefix, "Format": "Report_CSV_20180820", "Enabled": true, "ReportScope": "AllTasks"})
	manifestJSON := `{"Spec":{"Format":"S3BatchOperations_CSV_20180820","Fields":["Bucket","Key"]},"Location":{"ObjectArn":"` + bucketARN(partition, mb) + "/" + mk + `","ETag":`
	createCLI := c.command(region, "s3control", "create-job", "--account-id", by.Account, "--operation", string(op), "--manifest", "__MANIFEST__",
		"--report", string(report), "--priority", fmt.Sprint(batchJobPriority), "--role-arn", role, "--no-confirmation-required",
		"--client-request-token", token, "--description", desc)
	createCLI = strings.Replace(createCLI, "__MANIFEST__", `"`+dquote(manifestJSON)+`$etag}}"`, 1)

	steps := []app.ChangeStep{
		{Resource: manifest, Before: json.RawMessage(nullState), After: mustJSON(map[string]string{"source": s3URL(bucket, prefix)}),
			Call: "PutObject", CLI: listCLI + " && " + putCLI},
		{Resource: job, Before: json.RawMessage(nullState), After: mustJSON(map[string]string{"description": desc}),
			Call: "CreateJob", CLI: createCLI},
	}
	return app.Plan{
		Action: "s3control.batch-job", Title: fmt.Sprintf("S3 Batch Operations job: reset the ACLs of %d object(s) of %s to owner-only", count, s3URL(bucket, prefix)),
		Target: "bucket " + bucket, Region: region, Broad: true, ConfirmWord: bucket, Reversible: false, Steps: steps,
		Impact: []string{
			"Every grant on these objects other than the bucket owner's FULL_CONTROL is removed by AWS, object by object: anonymous readers (AllUsers), any AWS account (AuthenticatedUsers), other accounts and log delivery lose what the ACLs gave them, legitimate readers included.",
			fmt.Sprintf("The job runs inside AWS as role %s (which needs s3:PutObjectAcl on the objects, s3:GetObject on the manifest and s3:PutObject on the report bucket) and is billed per job and per object.", role),
			"Objects owned by another account are refused (the ACL names the bucket owner as owner) and listed as failed in the completion report.",
		},
		Notes: []string{
			fmt.Sprintf("The app writes the manifest (bucket,key; keys URL-encoded) to s3://%s/%s from a fresh listing when you apply, then creates the job without asking for a second confirmation in the console.", mb, mk),
			fmt.Sprintf("Completion report: s3://%s/%s. Follow the job with s3responder act job, which puts every status on the timeline.", rb, reportPrefix),
			"IRREVERSIBLE in the app: a job does not keep the ACLs it replaces. Keep them first if you may need them (S3 Inventory can list object ACLs), or use s3.reset-object-acls, which journals each object's ACL and can undo.",
		},
	}, nil
}

// mustJSON encodes a value that always encodes.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(errors.New("encode a fixed value: " + err.Error()))
	}
	return b
}
