package aws

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// controlAPI is S3 Control over its real REST-XML wire protocol, with
// bodies shaped like the S3 Control API reference's: account-level Block
// Public Access (Get/Put/DeletePublicAccessBlock) and Batch Operations
// jobs (CreateJob, ListJobs, DescribeJob). No local server implements
// these (kumo answers GetPublicAccessBlock in another XML shape and has
// no jobs). Jobs really run: each DescribeJob moves a job one state on,
// and when it runs it reads the manifest from the S3 server the test
// gives (kumo), checks its ETag, URL-decodes every key, sets each
// object's ACL with PutObjectAcl and writes a CSV completion report.
type controlAPI struct {
	*httptest.Server
	s3 *s3.Client // where jobs read manifests and set ACLs
	mu sync.Mutex
	// bpa is the account's configuration as sent; nil when none.
	bpa      *ctlBPA
	requests []string // "METHOD path account host"
	jobs     []*ctlJob
	creates  int
	tokens   map[string]*ctlJob
}

type ctlBPA struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
	BlockPublicAcls       bool     `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool     `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool     `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool     `xml:"RestrictPublicBuckets"`
}

// ctlCreateJob is the CreateJobRequest body.
type ctlCreateJob struct {
	XMLName              xml.Name `xml:"CreateJobRequest"`
	ConfirmationRequired bool     `xml:"ConfirmationRequired"`
	Operation            struct {
		S3PutObjectAcl *struct {
			AccessControlPolicy struct {
				AccessControlList *struct {
					Owner  struct{ ID string }
					Grants []struct {
						Grantee struct {
							TypeIdentifier string
							Identifier     string
						}
						Permission string
					} `xml:"Grants>member"`
				}
				CannedAccessControlList string
			}
		}
	}
	Report struct {
		Bucket, Format, Prefix, ReportScope string
		Enabled                             bool
	}
	ClientRequestToken string
	Manifest           struct {
		Spec struct {
			Format string
			Fields []string `xml:"Fields>member"`
		}
		Location struct{ ObjectArn, ETag string }
	}
	Description string
	Priority    int
	RoleArn     string
}

type ctlJob struct {
	id      string
	req     ctlCreateJob
	status  string
	total   int
	ok      int
	failed  int
	reason  string
	objects []string // "bucket/key" read from the manifest
	report  string   // key of the report written
}

func newControlAPI(t *testing.T, s3c *s3.Client) *controlAPI {
	t.Helper()
	c := &controlAPI{s3: s3c, tokens: map[string]*ctlJob{}}
	c.Server = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.Close)
	return c
}

const ctlNS = "http://awss3control.amazonaws.com/doc/2018-08-20/"

func (c *controlAPI) serve(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	account := r.Header.Get("x-amz-account-id")
	c.requests = append(c.requests, r.Method+" "+r.URL.Path+" "+account+" "+r.Host)
	if account == "" {
		writeXMLError(w, http.StatusBadRequest, true, "InvalidRequest", "Missing x-amz-account-id")
		return
	}
	body, _ := io.ReadAll(r.Body)
	writeXML := func(v string) {
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+v)
	}
	path := r.URL.Path
	switch {
	case path == "/v20180820/configuration/publicAccessBlock" && r.Method == http.MethodGet:
		if c.bpa == nil {
			writeXMLError(w, http.StatusNotFound, true, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
			return
		}
		b := *c.bpa
		writeXML(fmt.Sprintf(`<PublicAccessBlockConfiguration xmlns="%s"><BlockPublicAcls>%t</BlockPublicAcls><IgnorePublicAcls>%t</IgnorePublicAcls><BlockPublicPolicy>%t</BlockPublicPolicy><RestrictPublicBuckets>%t</RestrictPublicBuckets></PublicAccessBlockConfiguration>`,
			ctlNS, b.BlockPublicAcls, b.IgnorePublicAcls, b.BlockPublicPolicy, b.RestrictPublicBuckets))
	case path == "/v20180820/configuration/publicAccessBlock" && r.Method == http.MethodPut:
		var b ctlBPA
		if err := xml.Unmarshal(body, &b); err != nil {
			writeXMLError(w, http.StatusBadRequest, true, "MalformedXML", err.Error())
			return
		}
		b.XMLName = xml.Name{}
		c.bpa = &b
	case path == "/v20180820/configuration/publicAccessBlock" && r.Method == http.MethodDelete:
		c.bpa = nil
		w.WriteHeader(http.StatusNoContent)
	case path == "/v20180820/jobs" && r.Method == http.MethodPost:
		c.createJob(w, body, writeXML)
	case path == "/v20180820/jobs" && r.Method == http.MethodGet:
		var b strings.Builder
		for _, j := range c.jobs {
			fmt.Fprintf(&b, `<member><JobId>%s</JobId><Description>%s</Description><Operation>S3PutObjectAcl</Operation><Priority>%d</Priority><Status>%s</Status><CreationTime>2026-03-14T09:30:00Z</CreationTime></member>`,
				j.id, xmlText(j.req.Description), j.req.Priority, j.status)
		}
		writeXML(`<ListJobsResult xmlns="` + ctlNS + `"><Jobs>` + b.String() + `</Jobs></ListJobsResult>`)
	case strings.HasPrefix(path, "/v20180820/jobs/") && r.Method == http.MethodGet:
		id := strings.TrimPrefix(path, "/v20180820/jobs/")
		for _, j := range c.jobs {
			if j.id == id {
				c.advance(r.Context(), j)
				reason := ""
				if j.reason != "" {
					reason = `<FailureReasons><member><FailureCode>ManifestInvalid</FailureCode><FailureReason>` + xmlText(j.reason) + `</FailureReason></member></FailureReasons>`
				}
				writeXML(fmt.Sprintf(`<DescribeJobResult xmlns="%s"><Job><JobId>%s</JobId><Description>%s</Description><Status>%s</Status><Priority>%d</Priority><RoleArn>%s</RoleArn><ConfirmationRequired>false</ConfirmationRequired>`+
					`<ProgressSummary><TotalNumberOfTasks>%d</TotalNumberOfTasks><NumberOfTasksSucceeded>%d</NumberOfTasksSucceeded><NumberOfTasksFailed>%d</NumberOfTasksFailed></ProgressSummary>%s</Job></DescribeJobResult>`,
					ctlNS, j.id, xmlText(j.req.Description), j.status, j.req.Priority, xmlText(j.req.RoleArn), j.total, j.ok, j.failed, reason))
				return
			}
		}
		writeXMLError(w, http.StatusNotFound, true, "NotFoundException", "no such job")
	default:
		writeXMLError(w, http.StatusBadRequest, true, "InvalidRequest", "unexpected "+r.Method+" "+path)
	}
}

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (c *controlAPI) createJob(w http.ResponseWriter, body []byte, writeXML func(string)) {
	var req ctlCreateJob
	if err := xml.Unmarshal(body, &req); err != nil {
		writeXMLError(w, http.StatusBadRequest, true, "MalformedXML", err.Error())
		return
	}
	c.creates++
	if j, ok := c.tokens[req.ClientRequestToken]; ok && req.ClientRequestToken != "" {
		// The same token returns the job it created before.
		writeXML(`<CreateJobResult xmlns="` + ctlNS + `"><JobId>` + j.id + `</JobId></CreateJobResult>`)
		return
	}
	if req.RoleArn == "" || req.Manifest.Location.ETag == "" || req.Operation.S3PutObjectAcl == nil {
		writeXMLError(w, http.StatusBadRequest, true, "InvalidRequest", "RoleArn, a manifest ETag and an operation are required")
		return
	}
	j := &ctlJob{id: fmt.Sprintf("a%07d-1111-2222-3333-444455556666", len(c.jobs)+1), req: req, status: "New"}
	c.jobs = append(c.jobs, j)
	c.tokens[req.ClientRequestToken] = j
	writeXML(`<CreateJobResult xmlns="` + ctlNS + `"><JobId>` + j.id + `</JobId></CreateJobResult>`)
}

// arnObject splits arn:aws:s3:::bucket/key.
func arnObject(arn string) (string, string) {
	rest := strings.TrimPrefix(arn, "arn:aws:s3:::")
	b, k, _ := strings.Cut(rest, "/")
	return b, k
}

// advance moves a job one state on, doing the work of the state.
func (c *controlAPI) advance(ctx context.Context, j *ctlJob) {
	switch j.status {
	case "New":
		j.status = "Preparing"
	case "Preparing":
		mb, mk := arnObject(j.req.Manifest.Location.ObjectArn)
		out, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &mb, Key: &mk})
		if err != nil {
			j.status, j.reason = "Failed", "manifest unreadable: "+err.Error()
			return
		}
		data, _ := io.ReadAll(out.Body)
		out.Body.Close()
		// The location names the ETag bare, as the API reference's examples do.
		if strings.Trim(sdkaws.ToString(out.ETag), `"`) != j.req.Manifest.Location.ETag {
			j.status, j.reason = "Failed", "manifest ETag mismatch"
			return
		}
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			j.status, j.reason = "Failed", "manifest is not CSV: "+err.Error()
			return
		}
		for _, row := range rows {
			key, err := url.QueryUnescape(row[1])
			if len(row) != 2 || err != nil {
				j.status, j.reason = "Failed", fmt.Sprintf("bad manifest line %q", row)
				return
			}
			j.objects = append(j.objects, row[0]+"/"+key)
		}
		j.total, j.status = len(j.objects), "Active"
	case "Active":
		acl := j.req.Operation.S3PutObjectAcl.AccessControlPolicy.AccessControlList
		var report strings.Builder
		for _, o := range j.objects {
			b, k, _ := strings.Cut(o, "/")
			policy := &s3types.AccessControlPolicy{Owner: &s3types.Owner{ID: &acl.Owner.ID}}
			for _, g := range acl.Grants {
				policy.Grants = append(policy.Grants, s3types.Grant{Grantee: &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: sdkaws.String(g.Grantee.Identifier)}, Permission: s3types.Permission(g.Permission)})
			}
			_, err := c.s3.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &b, Key: &k, AccessControlPolicy: policy})
			if err != nil {
				j.failed++
				fmt.Fprintf(&report, "%s,%s,,failed,400,%s,%s\n", b, url.QueryEscape(k), errorCode(err), "PutObjectAcl failed")
				continue
			}
			j.ok++
			fmt.Fprintf(&report, "%s,%s,,succeeded,200,,Successful\n", b, url.QueryEscape(k))
		}
		rb := strings.TrimPrefix(j.req.Report.Bucket, "arn:aws:s3:::")
		j.report = j.req.Report.Prefix + "/job-" + j.id + "/results/report.csv"
		_, err := c.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &rb, Key: &j.report, Body: strings.NewReader(report.String())})
		if err != nil {
			j.status, j.reason = "Failed", "report unwritable: "+err.Error()
			return
		}
		j.status = "Complete"
	}
}

// blockPublicAccess is the account's configuration now (nil: none). The
// handler sets it on its own goroutine, and a command the test ran with
// the AWS CLI (another process) gives the race detector no order between
// the two: reads go through the lock.
func (c *controlAPI) blockPublicAccess() *ctlBPA {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bpa
}

// setBlockPublicAccess replaces the account's configuration.
func (c *controlAPI) setBlockPublicAccess(b *ctlBPA) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bpa = b
}

func (c *controlAPI) log() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.requests...)
}

// controlAccount is kumo for S3, IAM and STS, and controlAPI for S3
// Control, on loopback.
type controlAccount struct {
	kumoURL string
	s       *Session
	ctl     *controlAPI
	account string
}

func newControlAccount(t *testing.T) *controlAccount {
	t.Helper()
	srv := kumoServer()
	s := connectTo(t, srv.URL)
	ctl := newControlAPI(t, s.S3)
	t.Setenv("AWS_ENDPOINT_URL_S3_CONTROL", ctl.URL)
	s2, err := Connect(context.Background(), Options{HTTPClient: loopbackClient(t)})
	require.NoError(t, err)
	s.Control = s2.Control
	id, err := WhoAmI(context.Background(), s.STS, "")
	require.NoError(t, err)
	return &controlAccount{kumoURL: srv.URL, s: s, ctl: ctl, account: id.Account}
}

// runCLI runs a printed command (a pipeline or several commands too) with
// the AWS CLI of the Debian package: a shell function named aws sends S3
// Control to ctl and everything else to s3. S3 Control puts the account
// id in front of the host, which no resolver knows on loopback, so those
// requests go through ctl as an HTTP proxy (it serves absolute-form
// requests itself); s3 is addressed as localhost, which the proxy skips.
func runCLI(t *testing.T, script, s3, ctl string) string {
	t.Helper()
	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("%s is missing: install the Debian package awscli (scripts/deps.sh test)", cli)
	}
	home := t.TempDir()
	fn := `aws() { case "$1" in s3control) ` + cli + ` --endpoint-url "$CTL" "$@";; *) ` + cli + ` --endpoint-url "$S3" "$@";; esac; }; `
	cmd := exec.Command("bash", "-c", "set -eo pipefail; "+fn+script)
	cmd.Dir = home
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "AWS_ACCESS_KEY_ID=AKIAEXAMPLEKEY000001", "AWS_SECRET_ACCESS_KEY=fakesecretfakesecretfakesecret",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "S3=" + strings.Replace(s3, "127.0.0.1", "localhost", 1), "CTL=" + ctl,
		"HTTP_PROXY=" + ctl, "NO_PROXY=localhost"}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s\n%s", script, out)
	return string(out)
}

func TestAccountBlockPublicAccess(t *testing.T) {
	a := newControlAccount(t)
	e := newChangeEnv(t, a.s, false)
	ctx := context.Background()
	acct := a.account
	_, err := a.s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String(fmt.Sprintf("acct-bpa-%d", time.Now().UnixNano()))})
	require.NoError(t, err)

	// Partial flags before; the plan names the account, warns about every
	// bucket and asks for the account id.
	a.ctl.setBlockPublicAccess(&ctlBPA{BlockPublicAcls: true})
	p := e.plan(t, "s3control.block-public-access.account", nil)
	assert.True(t, p.Broad)
	assert.Equal(t, acct, p.ConfirmWord)
	assert.Equal(t, "account "+acct, p.Target)
	assert.Contains(t, p.Impact[0], "Every bucket of account "+acct)
	assert.Regexp(t, `\d+ bucket\(s\) today: .*acct-bpa-|\d+ buckets today`, p.Impact[0])
	assert.Contains(t, strings.Join(p.Notes, " "), "affects every bucket of the account")
	assert.Contains(t, p.Diff, `-   "IgnorePublicAcls": false,`)
	assert.Contains(t, p.Diff, `+   "IgnorePublicAcls": true,`)
	assert.Equal(t, "aws s3control put-public-access-block --account-id "+acct+" --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true --region us-east-1", p.CLI[0])
	assert.Equal(t, "aws s3control put-public-access-block --account-id "+acct+" --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false --region us-east-1", p.Steps[0].UndoCLI)

	_, err = e.svc.ApplyChange(ctx, e.inc, app.Profile{}, p.ID, "yes")
	require.ErrorIs(t, err, app.ErrNotConfirmed, "a broad change needs the account id typed")
	e.apply(t, p)
	assert.Equal(t, ctlBPA{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}, *a.ctl.blockPublicAccess())
	// Every request named the account, in the header and in the host.
	for _, r := range a.ctl.log() {
		assert.Contains(t, r, " "+acct+" "+acct+".127.0.0.1:", r)
	}
	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3control.block-public-access.account"})
	require.ErrorIs(t, err, app.ErrNoChange)
	e.undo(t, p)
	assert.Equal(t, ctlBPA{BlockPublicAcls: true}, *a.ctl.blockPublicAccess(), "undo puts the partial flags back")

	// No setting before: undo deletes it again.
	a.ctl.setBlockPublicAccess(nil)
	p2 := e.plan(t, "s3control.block-public-access.account", map[string]string{"accountId": acct})
	assert.Equal(t, "aws s3control delete-public-access-block --account-id "+acct+" --region us-east-1", p2.Steps[0].UndoCLI)
	e.apply(t, p2)
	require.NotNil(t, a.ctl.blockPublicAccess())
	e.undo(t, p2)
	assert.Nil(t, a.ctl.blockPublicAccess())

	_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3control.block-public-access.account", Params: map[string]string{"accountId": "999988887777"}})
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "cannot set Block Public Access of account 999988887777")

	// The printed commands run unchanged with the AWS CLI.
	before := len(a.ctl.log())
	runCLI(t, p2.CLI[0], a.kumoURL, a.ctl.URL)
	require.NotNil(t, a.ctl.blockPublicAccess())
	assert.True(t, a.ctl.blockPublicAccess().RestrictPublicBuckets)
	runCLI(t, p2.Steps[0].UndoCLI, a.kumoURL, a.ctl.URL)
	assert.Nil(t, a.ctl.blockPublicAccess())
	runCLI(t, p.Steps[0].UndoCLI, a.kumoURL, a.ctl.URL)
	assert.Equal(t, ctlBPA{BlockPublicAcls: true}, *a.ctl.blockPublicAccess())
	cliReqs := a.ctl.log()[before:]
	require.Len(t, cliReqs, 3)
	for _, r := range cliReqs {
		assert.Contains(t, r, " "+acct+" ", "the CLI's requests name the account too: %s", r)
	}
	assert.Contains(t, e.timelineText(t), "AWS CLI equivalent: "+p.CLI[0])
}

// TestAccountBPAExerciseGuard: an exercise connection stops the account
// change before it leaves the process, like the bucket ones.
func TestAccountBPAExerciseGuard(t *testing.T) {
	isolate(t, "[default]\nregion = us-east-1\n", "[default]\naws_access_key_id = AKIAEXAMPLEKEY000001\naws_secret_access_key = fakesecretfakesecretfakesecret\n")
	rec := &recordingTransport{}
	s, err := Connect(context.Background(), Options{HTTPClient: &http.Client{Transport: rec, Timeout: 5 * time.Second}})
	require.NoError(t, err)
	ex := NewChanger(s, true)
	assert.False(t, ex.Simulated(), "S3 Control goes to AWS")
	err = ex.WriteState(context.Background(), accountBPAResource("111122223333"), allBlocked)
	require.ErrorIs(t, err, app.ErrExercise)
	assert.Contains(t, err.Error(), "111122223333.s3-control")
	assert.Empty(t, rec.sent())
}

// TestBatchJobOnKumoAndS3Control plans, applies and follows an S3 Batch
// Operations job: the manifest goes to kumo, the job to controlAPI, which
// runs it against kumo's objects; the printed commands do the same with
// the AWS CLI.
func TestBatchJobOnKumoAndS3Control(t *testing.T) {
	a := newControlAccount(t)
	e := newChangeEnv(t, a.s, false)
	ctx := context.Background()
	data, ops := fmt.Sprintf("data-%d", kumoRuns.Add(1)), fmt.Sprintf("ops-%d", kumoRuns.Add(1))
	for _, b := range []string{data, ops} {
		_, err := a.s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String(b)})
		require.NoError(t, err)
	}
	acl, err := a.s.S3.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: &data})
	require.NoError(t, err)
	owner := sdkaws.ToString(acl.Owner.ID)
	var keys []string
	for i := range 120 {
		keys = append(keys, fmt.Sprintf("exports/part %03d,ü+%%.csv", i))
	}
	publicACL := &s3types.AccessControlPolicy{Owner: &s3types.Owner{ID: &owner}, Grants: []s3types.Grant{
		{Grantee: &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: &owner}, Permission: s3types.PermissionFullControl},
		{Grantee: &s3types.Grantee{Type: s3types.TypeGroup, URI: sdkaws.String(allUsers)}, Permission: s3types.PermissionRead}}}
	setPublic := func() {
		for _, k := range keys {
			_, err := a.s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &data, Key: sdkaws.String(k), Body: strings.NewReader("x")})
			require.NoError(t, err)
			_, err = a.s.S3.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: &data, Key: sdkaws.String(k), AccessControlPolicy: publicACL})
			require.NoError(t, err)
		}
	}
	publicCount := func() int {
		n := 0
		for _, k := range keys {
			out, err := a.s.S3.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &data, Key: sdkaws.String(k)})
			require.NoError(t, err)
			if len(out.Grants) > 1 {
				n++
			}
		}
		return n
	}
	setPublic()
	require.Equal(t, 120, publicCount())
	role := "arn:aws:iam::" + a.account + ":role/batch-ops"

	p := e.plan(t, "s3control.batch-job", map[string]string{"bucket": data, "manifestBucket": ops, "roleArn": role})
	assert.Equal(t, fmt.Sprintf("S3 Batch Operations job: reset the ACLs of 120 object(s) of s3://%s/ to owner-only", data), p.Title)
	assert.False(t, p.Reversible)
	assert.Equal(t, data, p.ConfirmWord)
	require.Len(t, p.Steps, 2)
	assert.Equal(t, "PutObject", p.Steps[0].Call)
	assert.Equal(t, "CreateJob", p.Steps[1].Call)
	token := p.Steps[1].Resource.ID["token"]
	mk := p.Steps[0].Resource.ID["manifestKey"]
	assert.Equal(t, "s3responder/batch/"+token+"/manifest.csv", mk)
	assert.Contains(t, strings.Join(p.Notes, " "), "IRREVERSIBLE")
	assert.Contains(t, p.CLI[1], "--client-request-token "+token)
	assert.Contains(t, p.CLI[1], "--no-confirmation-required")

	e.apply(t, p)
	out, err := a.s.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &ops, Key: &mk})
	require.NoError(t, err)
	rows, err := csv.NewReader(out.Body).ReadAll()
	require.NoError(t, err)
	out.Body.Close()
	require.Len(t, rows, 120)
	assert.Equal(t, []string{data, "exports%2Fpart%20000%2C%C3%BC%2B%25.csv"}, rows[0], "keys URL-encoded")
	assert.Equal(t, "s3://"+data+"/", out.Metadata[manifestSourceMeta])
	require.Len(t, a.ctl.jobs, 1)
	j := a.ctl.jobs[0]
	assert.Equal(t, token, j.req.ClientRequestToken)
	assert.False(t, j.req.ConfirmationRequired)
	assert.Equal(t, role, j.req.RoleArn)
	assert.Equal(t, "arn:aws:s3:::"+ops+"/"+mk, j.req.Manifest.Location.ObjectArn)
	assert.Equal(t, strings.Trim(sdkaws.ToString(out.ETag), `"`), j.req.Manifest.Location.ETag)
	assert.Equal(t, []string{"Bucket", "Key"}, j.req.Manifest.Spec.Fields)
	assert.Equal(t, owner, j.req.Operation.S3PutObjectAcl.AccessControlPolicy.AccessControlList.Owner.ID)
	assert.Equal(t, "AllTasks", j.req.Report.ReportScope)

	// Creating it again (a resume after a lost answer) returns the same job.
	ch := NewChanger(a.s, false)
	require.NoError(t, ch.WriteState(ctx, p.Steps[1].Resource, p.Steps[1].After))
	assert.Len(t, a.ctl.jobs, 1)
	assert.Equal(t, 2, a.ctl.creates)

	var seen []string
	job, err := e.svc.WatchBatchJob(ctx, e.inc, app.Profile{}, p.ID, 10*time.Millisecond, func(j app.BatchJob) { seen = append(seen, j.Status) })
	require.NoError(t, err)
	assert.Equal(t, []string{"Preparing", "Active", "Complete"}, seen)
	assert.True(t, job.Terminal)
	assert.Equal(t, int64(120), job.Total)
	assert.Equal(t, int64(120), job.Succeeded)
	assert.Equal(t, int64(0), job.Failed)
	assert.Equal(t, "s3://"+ops+"/s3responder/batch/"+token+"/report", job.Report)
	assert.Equal(t, 0, publicCount(), "the job reset every object")
	_, err = a.s.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &ops, Key: &a.ctl.jobs[0].report})
	require.NoError(t, err, "the completion report is written")
	// Watching again records nothing twice.
	_, err = e.svc.WatchBatchJob(ctx, e.inc, app.Profile{}, p.ID, 10*time.Millisecond, nil)
	require.NoError(t, err)
	tl := e.timelineText(t)
	assert.Equal(t, 1, strings.Count(tl, "job "+j.id+" Complete: 120 of 120 task(s) succeeded, 0 failed; completion report under s3://"+ops))
	assert.Equal(t, 1, strings.Count(tl, "job "+j.id+" Active"))

	// The printed commands, run with the AWS CLI, do the same.
	setPublic()
	p2 := e.plan(t, "s3control.batch-job", map[string]string{"bucket": data, "prefix": "exports/", "manifestBucket": ops, "roleArn": role})
	runCLI(t, strings.Join(p2.CLI, "\n"), a.kumoURL, a.ctl.URL)
	require.Len(t, a.ctl.jobs, 2)
	j2 := a.ctl.jobs[1]
	assert.Equal(t, p2.Steps[1].Resource.ID["description"], j2.req.Description)
	for range 3 {
		_, err := NewChanger(a.s, false).ReadBatchJob(ctx, p2.Steps[1].Resource)
		require.NoError(t, err)
	}
	assert.Equal(t, "Complete", j2.status, "the manifest the commands wrote is read back whole: %s", j2.reason)
	assert.Equal(t, 120, j2.ok)
	assert.Equal(t, 0, publicCount())
}
