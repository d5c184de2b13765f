package aws

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"s3responder/app"
)

// The bucket changes and inspections of Part 3: default encryption on
// kumo (versitygw keeps no encryption setting), versioning, Object Lock,
// MFA Delete and the policy review on versitygw.

const kumoKey, kumoSecret = "AKIAEXAMPLEKEY000001", "fakesecretfakesecretfakesecret"

// evidenceTitles lists the titles of the incident's evidence.
func (e *changeEnv) evidenceTitles(t *testing.T) string {
	t.Helper()
	items, err := e.svc.ListEvidence(context.Background(), e.inc)
	require.NoError(t, err)
	var b strings.Builder
	for _, ev := range items {
		b.WriteString(ev.Title + "\n")
	}
	return b.String()
}

// evidenceContent returns the content of the incident's evidence item
// whose title starts with prefix.
func (e *changeEnv) evidenceContent(t *testing.T, prefix string) string {
	t.Helper()
	items, err := e.svc.ListEvidence(context.Background(), e.inc)
	require.NoError(t, err)
	for i := len(items) - 1; i >= 0; i-- {
		if strings.HasPrefix(items[i].Title, prefix) {
			data, err := e.db.EvidenceContent(context.Background(), items[i].SHA256)
			require.NoError(t, err)
			return string(data)
		}
	}
	t.Fatalf("no evidence titled %q in:\n%s", prefix, e.evidenceTitles(t))
	return ""
}

func TestDefaultEncryptionOnKumo(t *testing.T) {
	k := newKumoAccount(t)
	ctx := context.Background()
	e := newChangeEnv(t, k.s, false)
	endpoint := sdkaws.ToString(k.s.S3.Options().BaseEndpoint)
	const keyARN = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	read := func(bucket string) (*types.ServerSideEncryptionConfiguration, string) {
		out, err := k.s.S3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &bucket})
		if err != nil {
			return nil, errorCode(err)
		}
		return out.ServerSideEncryptionConfiguration, ""
	}

	t.Run("no setting before: apply, new objects use the key, undo removes it", func(t *testing.T) {
		name := k.name("enc")
		k.bucket(t, "enc", "", nil)
		_, code := read(name)
		require.Equal(t, "ServerSideEncryptionConfigurationNotFoundError", code)
		p := e.plan(t, "s3.default-encryption", map[string]string{"bucket": name, "kmsMasterKeyId": keyARN})
		assert.True(t, p.Broad)
		assert.Equal(t, name, p.ConfirmWord)
		assert.True(t, p.Reversible)
		want := `{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"` + keyARN + `"},"BucketKeyEnabled":true}]}`
		assert.Equal(t, want, string(p.Steps[0].After))
		assert.Equal(t, "aws s3api put-bucket-encryption --bucket "+name+" --server-side-encryption-configuration '"+want+"' --region us-east-1", p.CLI[0])
		assert.Equal(t, "aws s3api delete-bucket-encryption --bucket "+name+" --region us-east-1", p.Steps[0].UndoCLI)
		assert.Contains(t, p.Diff, "- (not set)")
		assert.Contains(t, p.Diff, `+         "SSEAlgorithm": "aws:kms",`)
		assert.Contains(t, p.Impact[0], "kms:Decrypt")
		assert.Contains(t, p.Impact[0], "legitimate ones too")
		assert.Contains(t, p.UndoNote, "SSE-S3")
		assert.Contains(t, strings.Join(p.Notes, " "), "aws kms describe-key --key-id "+keyARN)

		_, err := e.svc.ApplyChange(ctx, e.inc, app.Profile{}, p.ID, "yes")
		require.ErrorIs(t, err, app.ErrNotConfirmed, "a whole bucket needs its name typed")
		run := e.apply(t, p)
		assert.JSONEq(t, `{"default encryption of bucket `+name+`":null}`, e.evidenceContent(t, "State before change "+p.ID))
		assert.NotEmpty(t, run.Evidence)
		cfg, _ := read(name)
		require.NotNil(t, cfg)
		require.Len(t, cfg.Rules, 1)
		assert.Equal(t, types.ServerSideEncryptionAwsKms, cfg.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm)
		assert.Equal(t, keyARN, sdkaws.ToString(cfg.Rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID))

		// A new object is encrypted with the key without asking for it.
		_, err = k.s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &name, Key: sdkaws.String("new.csv"), Body: strings.NewReader("x")})
		require.NoError(t, err)
		head, err := k.s.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &name, Key: sdkaws.String("new.csv")})
		require.NoError(t, err)
		assert.Equal(t, types.ServerSideEncryptionAwsKms, head.ServerSideEncryption)

		_, err = e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.default-encryption", Params: map[string]string{"bucket": name, "kmsMasterKeyId": keyARN}})
		require.ErrorIs(t, err, app.ErrNoChange)
		e.undo(t, p)
		_, code = read(name)
		assert.Equal(t, "ServerSideEncryptionConfigurationNotFoundError", code, "undo removes the setting it added")
	})

	t.Run("SSE-S3 before: undo puts it back", func(t *testing.T) {
		name := k.name("sse-s3")
		k.bucket(t, "sse-s3", "", nil)
		_, err := k.s.S3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: &name, ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{
			Rules: []types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAes256}}}}})
		require.NoError(t, err)
		p := e.plan(t, "s3.default-encryption", map[string]string{"bucket": name, "kmsMasterKeyId": "alias/incident", "bucketKeyEnabled": "false"})
		assert.Equal(t, `{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"},"BucketKeyEnabled":false}]}`, string(p.Steps[0].Before))
		assert.Contains(t, string(p.Steps[0].After), `"KMSMasterKeyID":"alias/incident"},"BucketKeyEnabled":false`)
		assert.Contains(t, strings.Join(p.Notes, " "), "full ARN", "a bare alias is warned about")
		assert.Contains(t, strings.Join(p.Impact, " "), "every object read and write is a KMS request")
		assert.Contains(t, p.Steps[0].UndoCLI, "put-bucket-encryption", "undo puts the earlier setting back")
		e.apply(t, p)
		e.undo(t, p)
		cfg, _ := read(name)
		require.NotNil(t, cfg)
		assert.Equal(t, types.ServerSideEncryptionAes256, cfg.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm)
	})

	t.Run("the printed commands work", func(t *testing.T) {
		name := k.name("enc-cli")
		k.bucket(t, "enc-cli", "", nil)
		p := e.plan(t, "s3.default-encryption", map[string]string{"bucket": name, "kmsMasterKeyId": keyARN})
		awsCLI(t, p.CLI[0], endpoint, kumoKey, kumoSecret)
		state, err := NewChanger(k.s, false).ReadState(ctx, encryptionResource(name))
		require.NoError(t, err)
		assert.JSONEq(t, string(p.Steps[0].After), string(state))
		awsCLI(t, p.Steps[0].UndoCLI, endpoint, kumoKey, kumoSecret)
		_, code := read(name)
		assert.Equal(t, "ServerSideEncryptionConfigurationNotFoundError", code)
	})

	t.Run("bad parameters", func(t *testing.T) {
		for _, params := range []map[string]string{
			{"bucket": k.name("enc"), "kmsMasterKeyId": keyARN, "bucketKeyEnabled": "maybe"},
			{"bucket": k.name("enc"), "kmsMasterKeyId": "two words"},
		} {
			_, err := e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.default-encryption", Params: params})
			require.ErrorIs(t, err, app.ErrInvalid, params)
		}
		_, err := e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.default-encryption", Params: map[string]string{"bucket": k.name("enc")}})
		require.ErrorIs(t, err, app.ErrInvalid, "the key is required")
	})
}

// versions lists the version ids of a key, newest first.
func (g *vgw) versions(t *testing.T, bucket, key string) []string {
	t.Helper()
	out, err := g.s.S3.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: &bucket, Prefix: &key})
	require.NoError(t, err)
	var ids []string
	for _, v := range out.Versions {
		if sdkaws.ToString(v.Key) == key {
			ids = append(ids, sdkaws.ToString(v.VersionId))
		}
	}
	return ids
}

func (g *vgw) versioningStatus(t *testing.T, bucket string) string {
	t.Helper()
	out, err := g.s.S3.GetBucketVersioning(context.Background(), &s3.GetBucketVersioningInput{Bucket: &bucket})
	require.NoError(t, err)
	return string(out.Status)
}

func TestVersioningOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	e := newChangeEnv(t, g.s, false)
	ctx := context.Background()
	g.bucket(t, "ledger", "", map[string]string{"a.csv": "v1"})
	require.Equal(t, "", g.versioningStatus(t, "ledger"), "never enabled")

	p := e.plan(t, "s3.versioning", map[string]string{"bucket": "ledger"})
	assert.Equal(t, "ledger", p.ConfirmWord)
	assert.True(t, p.Reversible)
	assert.Equal(t, "null", string(p.Steps[0].Before))
	assert.Equal(t, `"Enabled"`, string(p.Steps[0].After))
	assert.Equal(t, `"Suspended"`, string(p.Steps[0].UndoTo), "undo can only suspend")
	assert.Equal(t, "aws s3api put-bucket-versioning --bucket ledger --versioning-configuration Status=Enabled --region us-east-1", p.CLI[0])
	assert.Equal(t, "aws s3api put-bucket-versioning --bucket ledger --versioning-configuration Status=Suspended --region us-east-1", p.Steps[0].UndoCLI)
	assert.Contains(t, p.Diff, "- (not set)\n+ \"Enabled\"")
	assert.Contains(t, strings.Join(p.Notes, " "), `Versioning can never return to "never enabled"`)
	assert.Contains(t, p.UndoNote, "suspends")
	e.apply(t, p)
	assert.Equal(t, "Enabled", g.versioningStatus(t, "ledger"))

	// Versioning works: an overwrite keeps the earlier version.
	for _, body := range []string{"v2", "v3"} {
		_, err := g.s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: sdkaws.String("ledger"), Key: sdkaws.String("a.csv"), Body: strings.NewReader(body)})
		require.NoError(t, err)
	}
	assert.GreaterOrEqual(t, len(g.versions(t, "ledger", "a.csv")), 2)
	_, err := e.svc.PlanChange(ctx, e.inc, app.Profile{}, app.ChangeRequest{Action: "s3.versioning", Params: map[string]string{"bucket": "ledger"}})
	require.ErrorIs(t, err, app.ErrNoChange)

	undo := e.undo(t, p)
	assert.Equal(t, `"Suspended"`, string(undo.Steps[0].Step.After))
	assert.Equal(t, "Suspended", g.versioningStatus(t, "ledger"), "undo suspends; the bucket never returns to unversioned")
	assert.Contains(t, e.timelineText(t), "Change "+undo.Plan.ID+" verified")

	// From Suspended, enabling again is undone to Suspended the plain way.
	p2 := e.plan(t, "s3.versioning", map[string]string{"bucket": "ledger"})
	assert.Equal(t, `"Suspended"`, string(p2.Steps[0].Before))
	assert.Empty(t, p2.Steps[0].UndoTo)
	awsCLI(t, p2.CLI[0], g.s3URL, vgwRoot, vgwRootSecret)
	assert.Equal(t, "Enabled", g.versioningStatus(t, "ledger"))
	awsCLI(t, p2.Steps[0].UndoCLI, g.s3URL, vgwRoot, vgwRootSecret)
	assert.Equal(t, "Suspended", g.versioningStatus(t, "ledger"))
}

func TestObjectLockStatusOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	e := newChangeEnv(t, g.s, false)
	ctx := context.Background()
	_, err := g.s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String("vault"), ObjectLockEnabledForBucket: sdkaws.Bool(true)})
	require.NoError(t, err)
	_, err = g.s.S3.PutObjectLockConfiguration(ctx, &s3.PutObjectLockConfigurationInput{Bucket: sdkaws.String("vault"), ObjectLockConfiguration: &types.ObjectLockConfiguration{
		ObjectLockEnabled: types.ObjectLockEnabledEnabled,
		Rule:              &types.ObjectLockRule{DefaultRetention: &types.DefaultRetention{Mode: types.ObjectLockRetentionModeGovernance, Days: sdkaws.Int32(5)}}}})
	require.NoError(t, err)
	g.bucket(t, "plain", "", nil)

	rep, saved, err := e.svc.Inspect(ctx, e.inc, app.Profile{}, app.InspectRequest{Action: "s3.object-lock-status", Params: map[string]string{"bucket": "vault"}})
	require.NoError(t, err)
	assert.Equal(t, "Object Lock is on for vault: new versions are kept for 5 day(s) in GOVERNANCE mode.", rep.Summary)
	assert.Contains(t, rep.Findings[0].Text, "s3:BypassGovernanceRetention")
	require.Len(t, saved.Evidence, 3, "two responses and the inspection")
	assert.Contains(t, e.evidenceContent(t, "Object Lock configuration of bucket vault"), `"Days": 5`)
	out := awsCLI(t, rep.Commands[0], g.s3URL, vgwRoot, vgwRootSecret)
	assert.Contains(t, out, "GOVERNANCE", "the printed read shows the same")

	rep, _, err = e.svc.Inspect(ctx, e.inc, app.Profile{}, app.InspectRequest{Action: "s3.object-lock-status", Params: map[string]string{"bucket": "plain"}})
	require.NoError(t, err)
	assert.Contains(t, rep.Summary, "Object Lock is off on plain (versioning never enabled)")
	require.Len(t, rep.Findings, 1)
	assert.Equal(t, app.SeverityLow, rep.Findings[0].Severity)
	assert.Contains(t, e.evidenceTitles(t), "Object Lock configuration of bucket plain (not configured)")
	assert.Empty(t, rep.Problems)
	tl := e.timelineText(t)
	assert.Contains(t, tl, "action: Object Lock of bucket vault (s3.object-lock-status): Object Lock is on")

	_, _, err = e.svc.Inspect(ctx, e.inc, app.Profile{}, app.InspectRequest{Action: "s3.object-lock-status", Params: map[string]string{}})
	require.ErrorIs(t, err, app.ErrInvalid, "the bucket is required")
	_, _, err = e.svc.Inspect(ctx, e.inc, app.Profile{}, app.InspectRequest{Action: "s3.versioning", Params: map[string]string{"bucket": "plain"}})
	require.ErrorIs(t, err, app.ErrInvalid, "a change is not an inspection")
}

// recordingS3 answers every request with 200 and keeps its method, query,
// MFA header and body: what the AWS CLI would send to S3.
type recordingS3 struct {
	mu   sync.Mutex
	reqs []string
}

func (r *recordingS3) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.Path+"?"+req.URL.RawQuery+" mfa="+req.Header.Get("X-Amz-Mfa")+" "+string(body))
	r.mu.Unlock()
}

func TestMFADeleteGuideOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	e := newChangeEnv(t, g.s, false)
	ctx := context.Background()
	g.bucket(t, "records", "", nil)

	rep, _, err := e.svc.Inspect(ctx, e.inc, app.Profile{}, app.InspectRequest{Action: "s3.mfa-delete-guide", Params: map[string]string{"bucket": "records"}})
	require.NoError(t, err)
	const want = `aws s3api put-bucket-versioning --bucket records --versioning-configuration Status=Enabled,MFADelete=Enabled --mfa "SERIAL TOKEN"`
	assert.Equal(t, want, rep.Commands[0])
	require.Len(t, rep.Findings, 1)
	assert.Equal(t, app.SeverityMedium, rep.Findings[0].Severity)
	assert.Equal(t, want, rep.Findings[0].Fix)
	assert.Contains(t, rep.Summary, "MFA Delete is off for records (versioning never enabled)")
	assert.Contains(t, strings.Join(rep.Guidance, " "), "The app never sends this command")
	assert.Contains(t, strings.Join(rep.Guidance, " "), "arn:aws:iam::"+vgwAccount+":mfa/")
	assert.Equal(t, "", g.versioningStatus(t, "records"), "the guide changed nothing")
	assert.Contains(t, e.timelineText(t), "finding: Bucket records (medium, s3.mfa-delete-guide): MFA Delete is off")

	// The printed command, with a serial and a code, is one the AWS CLI
	// accepts and turns into the documented request.
	rec := &recordingS3{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cmd := strings.Replace(want, "SERIAL TOKEN", "arn:aws:iam::000000000000:mfa/root-account-mfa-device 123456", 1)
	awsCLI(t, cmd, srv.URL, vgwRoot, vgwRootSecret)
	require.Len(t, rec.reqs, 1)
	got := rec.reqs[0]
	assert.True(t, strings.HasPrefix(got, "PUT /records?versioning mfa=arn:aws:iam::000000000000:mfa/root-account-mfa-device 123456 "), got)
	assert.Contains(t, got, "<Status>Enabled</Status>")
	assert.Contains(t, got, "<MfaDelete>Enabled</MfaDelete>")

	// Check command: the second one reads versioning back.
	out := awsCLI(t, rep.Commands[1], g.s3URL, vgwRoot, vgwRootSecret)
	assert.NotContains(t, out, "MFADelete\": \"Enabled")
}

func TestPolicyReviewOnVersityGW(t *testing.T) {
	g := startVersityIAM(t)
	e := newChangeEnv(t, g.s, false)
	ctx := context.Background()
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Everyone","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::open-data","arn:aws:s3:::open-data/*"]}]}`
	g.bucket(t, "open-data", policy, map[string]string{"x": "y"})
	g.bucket(t, "no-policy", "", nil)

	rep, saved, err := e.svc.Inspect(ctx, e.inc, app.Profile{}, app.InspectRequest{Action: "s3.policy-review", Params: map[string]string{"bucket": "open-data"}})
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Count(app.SeverityHigh), rep.Findings)
	assert.Equal(t, 2, rep.Count(app.SeverityMedium))
	assert.Contains(t, rep.Findings[0].Fix, `"AWS": "arn:aws:iam::`+vgwAccount+`:role/ROLE-THAT-NEEDS-ACCESS"`, "the owner's account from the connection")
	require.Len(t, saved.Evidence, 2)
	assert.Contains(t, e.evidenceContent(t, "Policy of bucket open-data"), "Everyone")
	assert.Contains(t, e.evidenceContent(t, "Least-privilege review of the policy of bucket open-data"), "ROLE-THAT-NEEDS-ACCESS")
	tl := e.timelineText(t)
	assert.Contains(t, tl, `finding: Statement 1 (Sid "Everyone") (high, s3.policy-review): Wildcard principal`)
	assert.Contains(t, tl, `finding: Statement 1 (Sid "Everyone") (high, s3.policy-review): Wildcard action "s3:*"`)
	assert.Equal(t, "aws s3api get-bucket-policy --bucket open-data --query Policy --output text --region us-east-1", rep.Commands[0])
	out := awsCLI(t, rep.Commands[0], g.s3URL, vgwRoot, vgwRootSecret)
	assert.JSONEq(t, policy, out, "the printed read returns the policy reviewed")

	// Applying the suggested TLS deny with the printed command removes that
	// finding on the next review.
	var tls string
	for _, f := range rep.Findings {
		if strings.Contains(f.Text, "aws:SecureTransport") {
			tls = f.Fix
		}
	}
	require.NotEmpty(t, tls)
	fixed := strings.TrimSuffix(policy, "]}") + "," + tls + "]}"
	file := filepath.Join(t.TempDir(), "reviewed-policy.json")
	require.NoError(t, os.WriteFile(file, []byte(fixed), 0o600))
	awsCLI(t, strings.Replace(rep.Commands[1], "file://reviewed-policy.json", "file://"+file, 1), g.s3URL, vgwRoot, vgwRootSecret)
	rep2, _, err := e.svc.Inspect(ctx, e.inc, app.Profile{}, app.InspectRequest{Action: "s3.policy-review", Params: map[string]string{"bucket": "open-data"}})
	require.NoError(t, err)
	for _, f := range rep2.Findings {
		assert.NotContains(t, f.Text, "aws:SecureTransport")
	}
	assert.Equal(t, 2, rep2.Count(app.SeverityHigh))

	rep, _, err = e.svc.Inspect(ctx, e.inc, app.Profile{}, app.InspectRequest{Action: "s3.policy-review", Params: map[string]string{"bucket": "no-policy"}})
	require.NoError(t, err)
	assert.Equal(t, []string{app.SeverityInfo, app.SeverityMedium}, []string{rep.Findings[0].Severity, rep.Findings[1].Severity})
	assert.Contains(t, e.evidenceTitles(t), "Policy of bucket no-policy (not configured)")
	var d struct {
		Policy string `json:"policy"`
	}
	require.NoError(t, json.Unmarshal(rep.Detail, &d))
	assert.Empty(t, d.Policy)
}

// TestVersioningRefusedUnderMFADelete: with MFA Delete on, S3 refuses a
// versioning change without the root user's code, so the plan refuses
// too and names the command only the root user can run. No local server
// implements MFA Delete; this one answers S3's REST XML for the two reads.
func TestVersioningRefusedUnderMFADelete(t *testing.T) {
	var mu sync.Mutex
	var methods []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods = append(methods, r.Method+" "+r.URL.RawQuery)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		switch {
		case r.Method == http.MethodGet && r.URL.Query().Has("location"):
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`)
		case r.Method == http.MethodGet && r.URL.Query().Has("versioning"):
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Suspended</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>`)
		default:
			w.WriteHeader(http.StatusNotImplemented)
		}
	}))
	defer srv.Close()
	s := connectTo(t, srv.URL)
	_, err := NewChanger(s, false).PlanChange(context.Background(), app.ChangeRequest{Action: "s3.versioning", Params: map[string]string{"bucket": "locked"}}, app.Identity{Account: "000000000000"})
	require.ErrorIs(t, err, app.ErrInvalid)
	assert.Contains(t, err.Error(), "MFA Delete is on for locked")
	assert.Contains(t, err.Error(), mfaDeleteCommand("locked"))
	mu.Lock()
	defer mu.Unlock()
	for _, m := range methods {
		assert.True(t, strings.HasPrefix(m, "GET "), "only reads: %v", methods)
	}
}
