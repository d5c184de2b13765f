package tabletop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	ctltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"s3responder/aws"
	"s3responder/exposure"
)

// controlAPI is the simulated account's S3 Control: the account's Block
// Public Access and S3 Batch Operations jobs, which run their operation
// over the manifest's objects on the backend's simClock.
type controlAPI struct{ *backend }

var _ aws.ControlAPI = controlAPI{}

// How long a job takes on the backend's simClock: S3 prepares it (reads
// the manifest), then runs its tasks. Real jobs take minutes at least.
const (
	jobPreparing = time.Minute
	jobRunning   = 2 * time.Minute
)

// batchJob is one S3 Batch Operations job.
type batchJob struct {
	id, token, desc, role string
	priority              int32
	confirm               bool
	created               time.Time
	manifest              *ctltypes.JobManifest
	op                    *ctltypes.JobOperation
	report                *ctltypes.JobReport
	// Set when it ran.
	ran                      bool
	status                   ctltypes.JobStatus
	total, succeeded, failed int64
	failures                 []ctltypes.JobFailure
	ended                    time.Time
}

func ctlErr(op string, status int, code, msg string) error {
	return apiError("S3 Control", op, status, code, msg)
}

// checkAccount refuses calls about an account other than the scenario's.
func (be *backend) checkControlAccount(op string, account *string) error {
	if sdkaws.ToString(account) != be.sc.Account {
		return ctlErr(op, http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	return nil
}

func (a controlAPI) GetPublicAccessBlock(_ context.Context, in *s3control.GetPublicAccessBlockInput, _ ...func(*s3control.Options)) (*s3control.GetPublicAccessBlockOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "GetPublicAccessBlock"
	if err := a.checkControlAccount(op, in.AccountId); err != nil {
		return nil, err
	}
	c := a.w.accountBPA
	if c == nil {
		return nil, ctlErr(op, http.StatusNotFound, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
	}
	return &s3control.GetPublicAccessBlockOutput{PublicAccessBlockConfiguration: &ctltypes.PublicAccessBlockConfiguration{
		BlockPublicAcls: sdkaws.Bool(c.BlockPublicAcls), IgnorePublicAcls: sdkaws.Bool(c.IgnorePublicAcls),
		BlockPublicPolicy: sdkaws.Bool(c.BlockPublicPolicy), RestrictPublicBuckets: sdkaws.Bool(c.RestrictPublicBuckets)}}, nil
}

func (a controlAPI) PutPublicAccessBlock(_ context.Context, in *s3control.PutPublicAccessBlockInput, _ ...func(*s3control.Options)) (*s3control.PutPublicAccessBlockOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "PutPublicAccessBlock"
	if err := a.checkControlAccount(op, in.AccountId); err != nil {
		return nil, err
	}
	c := in.PublicAccessBlockConfiguration
	if c == nil {
		return nil, ctlErr(op, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	a.w.accountBPA = &bpaState{sdkaws.ToBool(c.BlockPublicAcls), sdkaws.ToBool(c.IgnorePublicAcls), sdkaws.ToBool(c.BlockPublicPolicy), sdkaws.ToBool(c.RestrictPublicBuckets)}
	return &s3control.PutPublicAccessBlockOutput{}, nil
}

func (a controlAPI) DeletePublicAccessBlock(_ context.Context, in *s3control.DeletePublicAccessBlockInput, _ ...func(*s3control.Options)) (*s3control.DeletePublicAccessBlockOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.checkControlAccount("DeletePublicAccessBlock", in.AccountId); err != nil {
		return nil, err
	}
	a.w.accountBPA = nil
	return &s3control.DeletePublicAccessBlockOutput{}, nil
}

// CreateJob accepts a job as S3 does, checking only the request: the
// manifest, the role and the objects are S3's to find when the job runs,
// and their problems make the job fail then. The same ClientRequestToken
// returns the same job.
func (a controlAPI) CreateJob(_ context.Context, in *s3control.CreateJobInput, _ ...func(*s3control.Options)) (*s3control.CreateJobOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "CreateJob"
	if err := a.checkControlAccount(op, in.AccountId); err != nil {
		return nil, err
	}
	token := sdkaws.ToString(in.ClientRequestToken)
	for _, j := range a.w.jobs {
		if j.token == token {
			return &s3control.CreateJobOutput{JobId: sdkaws.String(j.id)}, nil
		}
	}
	bad := func(msg string) error { return ctlErr(op, http.StatusBadRequest, "InvalidRequest", msg) }
	switch {
	case token == "":
		return nil, bad("ClientRequestToken is required")
	case in.Operation == nil:
		return nil, bad("An operation is required")
	case in.Operation.S3PutObjectAcl == nil && in.Operation.S3InitiateRestoreObject == nil:
		return nil, bad("This simulated account runs S3PutObjectAcl and S3InitiateRestoreObject jobs only")
	case in.Manifest == nil || in.Manifest.Location == nil || in.Manifest.Spec == nil:
		return nil, bad("A manifest (spec and location) is required")
	case in.Report == nil:
		return nil, bad("A report configuration is required")
	case !strings.HasPrefix(sdkaws.ToString(in.RoleArn), "arn:") || !strings.Contains(sdkaws.ToString(in.RoleArn), ":role/"):
		return nil, bad("RoleArn must be the ARN of an IAM role")
	case sdkaws.ToInt32(in.Priority) < 0:
		return nil, bad("Priority must be 0 or more")
	}
	if in.Manifest.Spec.Format != ctltypes.JobManifestFormatS3BatchOperationsCsv20180820 {
		return nil, bad("This simulated account reads CSV manifests (S3BatchOperations_CSV_20180820) only")
	}
	if in.Report.Enabled && in.Report.Bucket == nil {
		return nil, bad("An enabled report needs a bucket")
	}
	sum := sha256.Sum256([]byte(a.sc.Account + " job " + token))
	h := hex.EncodeToString(sum[:16])
	j := &batchJob{id: h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], token: token,
		desc: sdkaws.ToString(in.Description), role: sdkaws.ToString(in.RoleArn), priority: sdkaws.ToInt32(in.Priority),
		confirm: sdkaws.ToBool(in.ConfirmationRequired), created: a.now().UTC(), manifest: in.Manifest, op: in.Operation, report: in.Report}
	a.w.jobs = append(a.w.jobs, j)
	return &s3control.CreateJobOutput{JobId: sdkaws.String(j.id)}, nil
}

// advance brings a job to where the simClock says it is, running it once
// its time has come. The caller holds be.mu.
func (be *backend) advanceJob(j *batchJob) {
	now := be.now()
	switch {
	case j.ran:
	case j.confirm:
		j.status = ctltypes.JobStatusSuspended
	case now.Before(j.created.Add(jobPreparing)):
		j.status = ctltypes.JobStatusPreparing
	case now.Before(j.created.Add(jobPreparing + jobRunning)):
		j.status = ctltypes.JobStatusActive
	default:
		be.runJob(j)
	}
}

// objectARN splits arn:PARTITION:s3:::bucket/key.
func objectARN(arn string) (bucket, key string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "s3" {
		return "", "", false
	}
	return strings.Cut(parts[5], "/")
}

// fail ends a job that could not run.
func (j *batchJob) fail(code, reason string) {
	j.status = ctltypes.JobStatusFailed
	j.failures = append(j.failures, ctltypes.JobFailure{FailureCode: sdkaws.String(code), FailureReason: sdkaws.String(reason)})
}

// run carries the job out: S3 assumes the role, reads the manifest (the
// version its ETag names) and runs the operation on each object, then
// writes the completion report.
func (be *backend) runJob(j *batchJob) {
	j.ran = true
	j.ended = j.created.Add(jobPreparing + jobRunning)
	if !slices.ContainsFunc(be.w.roles, func(r *role) bool { return r.arn == j.role }) {
		j.fail("AccessDenied", fmt.Sprintf("S3 Batch Operations could not assume role %s", j.role))
		return
	}
	mb, mk, ok := objectARN(sdkaws.ToString(j.manifest.Location.ObjectArn))
	var entry *s3Version
	if ok {
		for _, b := range be.w.buckets {
			if b.spec.Name == mb {
				for _, v := range be.s3State(b).history[mk] {
					if !v.marker && v.etag == strings.Trim(sdkaws.ToString(j.manifest.Location.ETag), `"`) {
						entry = v
						break
					}
				}
			}
		}
	}
	if entry == nil {
		j.fail("ManifestNotFound", fmt.Sprintf("Reading the manifest failed: no object %s with ETag %s", sdkaws.ToString(j.manifest.Location.ObjectArn), sdkaws.ToString(j.manifest.Location.ETag)))
		return
	}
	var report bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(entry.content()))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		j.total++
		bucket, rawKey, _ := strings.Cut(line, ",")
		key, err := url.QueryUnescape(rawKey)
		code, msg := "", "Successful"
		if err != nil {
			code, msg = "InvalidManifestContent", "the key is not URL-encoded"
		} else {
			code, msg = be.jobTask(j, bucket, key)
		}
		status, httpStatus := "succeeded", "200"
		if code != "" {
			status, httpStatus = "failed", "400"
			j.failed++
		} else {
			j.succeeded++
		}
		fmt.Fprintf(&report, "%s,%s,,%s,%s,%s,%s\n", bucket, rawKey, status, code, httpStatus, msg)
	}
	j.status = ctltypes.JobStatusComplete
	if j.report != nil && j.report.Enabled {
		be.writeJobReport(j, report.Bytes())
	}
}

// task runs the job's operation on one object: "" and a message, or an
// error code and its message.
func (be *backend) jobTask(j *batchJob, bucketName, key string) (string, string) {
	var b *bucket
	for _, c := range be.w.buckets {
		if c.spec.Name == bucketName {
			b = c
		}
	}
	if b == nil {
		return "NoSuchBucket", "The specified bucket does not exist"
	}
	bs := be.s3State(b)
	v := bs.current(key)
	if v == nil || v.marker {
		return "NoSuchKey", "The specified key does not exist."
	}
	switch {
	case j.op.S3PutObjectAcl != nil:
		p := j.op.S3PutObjectAcl.AccessControlPolicy
		var st aclState
		switch {
		case p == nil:
			return "InvalidRequest", "no access control policy"
		case p.AccessControlList != nil:
			st = jobACL(p.AccessControlList)
		default:
			st = buildACL(string(p.CannedAccessControlList), nil, be.sc.CanonicalID)
		}
		if b.ownership == exposure.OwnershipEnforced {
			return "AccessControlListNotSupported", "The bucket does not allow ACLs"
		}
		if st.Owner.ID != v.acl.Owner.ID {
			return "AccessDenied", "Access Denied"
		}
		v.acl = st
	case j.op.S3InitiateRestoreObject != nil:
		r := j.op.S3InitiateRestoreObject
		// Batch Operations restores at Standard (the default) or Bulk.
		tier := "Standard"
		if r.GlacierJobTier == ctltypes.S3GlacierJobTierBulk {
			tier = "Bulk"
		}
		now := be.now().UTC()
		switch {
		case !archived(v.class):
			return "ObjectAlreadyInActiveTierError", "Restore is not allowed for the object's current storage class"
		case restoreTime(v.class, tier) == 0:
			return "InvalidArgument", fmt.Sprintf("Tier %s is not supported for the %s storage class", tier, v.class)
		case v.restoreOf(now) != nil && now.Before(v.restore.done):
			return "RestoreAlreadyInProgress", "Object restore is already in progress"
		}
		v.restore = &restoreState{tier: tier, done: now.Add(restoreTime(v.class, tier)), days: max(sdkaws.ToInt32(r.ExpirationInDays), 1)}
	}
	return "", "Successful"
}

// jobACL is the ACL a PutObjectAcl job sets.
func jobACL(l *ctltypes.S3AccessControlList) aclState {
	st := aclState{Grants: []aclGrant{}}
	if l.Owner != nil {
		st.Owner.ID = sdkaws.ToString(l.Owner.ID)
	}
	for _, g := range l.Grants {
		if g.Grantee == nil {
			continue
		}
		ge := aclGrantee{}
		switch g.Grantee.TypeIdentifier {
		case ctltypes.S3GranteeTypeIdentifierCanonical:
			ge.Type, ge.ID = granteeCanonical, sdkaws.ToString(g.Grantee.Identifier)
		case ctltypes.S3GranteeTypeIdentifierGroup:
			ge.Type, ge.URI = granteeGroup, sdkaws.ToString(g.Grantee.Identifier)
		case ctltypes.S3GranteeTypeIdentifierEmailAddress:
			ge.Type, ge.EmailAddress = granteeEmail, sdkaws.ToString(g.Grantee.Identifier)
		}
		st.Grants = append(st.Grants, aclGrant{Grantee: ge, Permission: string(g.Permission)})
	}
	sortGrants(st.Grants)
	return st
}

// writeReport puts the completion report where the job asked:
// PREFIX/job-ID/results/ID.csv (bucket, key, version, status, error
// code, HTTP status, message).
func (be *backend) writeJobReport(j *batchJob, csv []byte) {
	bucketName := strings.TrimPrefix(sdkaws.ToString(j.report.Bucket), "arn:aws:s3:::")
	if i := strings.LastIndex(bucketName, ":::"); i >= 0 {
		bucketName = bucketName[i+3:]
	}
	for _, b := range be.w.buckets {
		if b.spec.Name != bucketName {
			continue
		}
		key := strings.TrimSuffix(sdkaws.ToString(j.report.Prefix), "/") + "/job-" + j.id + "/results/" + j.id + ".csv"
		key = strings.TrimPrefix(key, "/")
		bs := be.s3State(b)
		v := &s3Version{size: int64(len(csv)), etag: bodyETag(string(csv)), body: csv, class: "STANDARD",
			acl: buildACL("", nil, be.sc.CanonicalID), ctype: "text/csv"}
		be.writeVersion(b, bs, key, v)
		v.modified = j.ended.Truncate(time.Second)
	}
}

func (j *batchJob) progress() *ctltypes.JobProgressSummary {
	return &ctltypes.JobProgressSummary{TotalNumberOfTasks: sdkaws.Int64(j.total), NumberOfTasksSucceeded: sdkaws.Int64(j.succeeded),
		NumberOfTasksFailed: sdkaws.Int64(j.failed)}
}

func (j *batchJob) operation() ctltypes.OperationName {
	if j.op.S3InitiateRestoreObject != nil {
		return ctltypes.OperationNameS3InitiateRestoreObject
	}
	return ctltypes.OperationNameS3PutObjectAcl
}

func (j *batchJob) terminated() *time.Time {
	if !j.ran {
		return nil
	}
	return sdkaws.Time(j.ended)
}

func (a controlAPI) DescribeJob(_ context.Context, in *s3control.DescribeJobInput, _ ...func(*s3control.Options)) (*s3control.DescribeJobOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	const op = "DescribeJob"
	if err := a.checkControlAccount(op, in.AccountId); err != nil {
		return nil, err
	}
	for _, j := range a.w.jobs {
		if j.id != sdkaws.ToString(in.JobId) {
			continue
		}
		a.advanceJob(j)
		d := &ctltypes.JobDescriptor{JobId: sdkaws.String(j.id), JobArn: sdkaws.String(fmt.Sprintf("arn:aws:s3:%s:%s:job/%s", a.region, a.sc.Account, j.id)),
			ConfirmationRequired: sdkaws.Bool(j.confirm), CreationTime: sdkaws.Time(j.created), Description: sdkaws.String(j.desc),
			Manifest: j.manifest, Operation: j.op, Priority: j.priority, ProgressSummary: j.progress(), Report: j.report,
			RoleArn: sdkaws.String(j.role), Status: j.status, FailureReasons: j.failures, TerminationDate: j.terminated()}
		if j.confirm {
			d.SuspendedCause, d.SuspendedDate = sdkaws.String("AwaitingConfirmation"), sdkaws.Time(j.created)
		}
		return &s3control.DescribeJobOutput{Job: d}, nil
	}
	return nil, ctlErr(op, http.StatusNotFound, "NotFoundException", "Job not found: "+sdkaws.ToString(in.JobId))
}

func (a controlAPI) ListJobs(_ context.Context, in *s3control.ListJobsInput, _ ...func(*s3control.Options)) (*s3control.ListJobsOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.checkControlAccount("ListJobs", in.AccountId); err != nil {
		return nil, err
	}
	out := &s3control.ListJobsOutput{}
	for _, j := range slices.Backward(a.w.jobs) {
		a.advanceJob(j)
		if len(in.JobStatuses) > 0 && !slices.Contains(in.JobStatuses, j.status) {
			continue
		}
		out.Jobs = append(out.Jobs, ctltypes.JobListDescriptor{JobId: sdkaws.String(j.id), Description: sdkaws.String(j.desc),
			CreationTime: sdkaws.Time(j.created), Operation: j.operation(), Priority: j.priority, Status: j.status,
			ProgressSummary: j.progress(), TerminationDate: j.terminated()})
	}
	return out, nil
}
