// Command gen writes a synthetic but realistically shaped CloudTrail data set
// for the trail benchmark: an AWSLogs/<account>/CloudTrail/<region>/yyyy/mm/dd
// tree of gzip'd log files, each {"Records":[...]}, with S3 data events,
// management events, assumed-role sessions, service-invoked events, denied
// attempts and bucket-access configuration changes from several principals.
//
// The output is deterministic for a given seed, so two runs time the same
// bytes. It prints the access key that the benchmark filters on and the
// number of records that key produced, so the benchmark can check that
// every tool found the same events.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const account = "111122223333"

// principal is one identity that produces events.
type principal struct {
	identity map[string]any
	ips      []string
	agents   []string
	// weight is the share of all events this principal produces.
	weight int
	// dataOnly restricts the principal to S3 data events on one bucket,
	// like a stolen key used only to pull objects.
	dataOnly bool
	bucket   string
}

// TargetKey is the stolen access key the benchmark looks for.
const TargetKey = "AKIA4EXAMPLEEXFIL001"

func principals() []*principal {
	user := func(name, key string) map[string]any {
		return map[string]any{
			"type": "IAMUser", "principalId": "AIDA" + strings.ToUpper(name) + "EXAMPLE0",
			"arn": "arn:aws:iam::" + account + ":user/" + name, "accountId": account,
			"accessKeyId": key, "userName": name,
		}
	}
	role := func(roleName, session, key string, mfa bool) map[string]any {
		return map[string]any{
			"type": "AssumedRole", "principalId": "AROAEXAMPLEROLEID01:" + session,
			"arn": "arn:aws:sts::" + account + ":assumed-role/" + roleName + "/" + session, "accountId": account,
			"accessKeyId": key,
			"sessionContext": map[string]any{
				"sessionIssuer": map[string]any{
					"type": "Role", "principalId": "AROAEXAMPLEROLEID01",
					"arn": "arn:aws:iam::" + account + ":role/" + roleName, "accountId": account, "userName": roleName,
				},
				"webIdFederationData": map[string]any{},
				"attributes":          map[string]any{"creationDate": "2026-03-01T00:00:00Z", "mfaAuthenticated": fmt.Sprint(mfa)},
			},
		}
	}
	return []*principal{
		{identity: user("alice", "AKIA4EXAMPLEALICE001"), ips: []string{"198.51.100.10"}, agents: []string{"[aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.debian.12 prompt/off command/s3.cp]"}, weight: 20},
		{identity: user("bob", "AKIA4EXAMPLEBOB00001"), ips: []string{"198.51.100.11", "198.51.100.12"}, agents: []string{"[Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.8 cfg/retry-mode#legacy Botocore/1.34.69]"}, weight: 15},
		{identity: user("ci-deploy", "AKIA4EXAMPLECIDEPLOY"), ips: []string{"192.0.2.50"}, agents: []string{"aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.0"}, weight: 15},
		{identity: role("DataPipelineRole", "etl-2026", "ASIA4EXAMPLEETLSESS1", false), ips: []string{"10.0.12.34", "10.0.12.35"}, agents: []string{"aws-sdk-java/2.25.10 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy"}, weight: 25},
		{identity: role("AdminRole", "jane.doe", "ASIA4EXAMPLEADMINSS1", true), ips: []string{"203.0.113.99"}, agents: []string{"AWS Internal", "console.amazonaws.com"}, weight: 5},
		{identity: user("svc-reports", TargetKey), ips: []string{"185.220.101.7", "185.220.101.44"}, agents: []string{"[aws-cli/2.13.0 Python/3.11.4 Windows/10 exe/AMD64 prompt/off command/s3.sync]"}, weight: 8, dataOnly: true, bucket: "prod-customer-exports"},
		{identity: map[string]any{"type": "AWSService", "invokedBy": "cloudtrail.amazonaws.com"}, ips: []string{"cloudtrail.amazonaws.com"}, agents: []string{"cloudtrail.amazonaws.com"}, weight: 7},
		{identity: map[string]any{"type": "AWSAccount", "principalId": "AIDAEXTERNALEXAMPLE1", "accountId": "444455556666"}, ips: []string{"45.33.32.156"}, agents: []string{"[python-requests/2.31.0]"}, weight: 5},
	}
}

var buckets = []string{"prod-customer-exports", "prod-app-assets", "analytics-raw", "cloudtrail-logs-111122223333"}

var mgmt = []struct{ source, name string }{
	{"ec2.amazonaws.com", "DescribeInstances"}, {"ec2.amazonaws.com", "DescribeSecurityGroups"},
	{"sts.amazonaws.com", "AssumeRole"}, {"sts.amazonaws.com", "GetCallerIdentity"},
	{"kms.amazonaws.com", "Decrypt"}, {"kms.amazonaws.com", "GenerateDataKey"},
	{"iam.amazonaws.com", "GetUser"}, {"iam.amazonaws.com", "ListAttachedRolePolicies"},
	{"s3.amazonaws.com", "ListBuckets"}, {"s3.amazonaws.com", "GetBucketPolicy"}, {"s3.amazonaws.com", "GetBucketAcl"},
	{"logs.amazonaws.com", "PutLogEvents"}, {"lambda.amazonaws.com", "Invoke"},
}

var changes = []struct{ source, name string }{
	{"s3.amazonaws.com", "PutBucketPolicy"}, {"s3.amazonaws.com", "PutBucketAcl"},
	{"s3.amazonaws.com", "DeleteBucketPublicAccessBlock"}, {"s3.amazonaws.com", "PutBucketVersioning"},
	{"iam.amazonaws.com", "CreateAccessKey"}, {"iam.amazonaws.com", "PutRolePolicy"},
	{"iam.amazonaws.com", "UpdateAssumeRolePolicy"},
}

type gen struct {
	rng   *rand.Rand
	ps    []*principal
	total int
	seq   uint64
	// targetRecords counts the records produced by TargetKey.
	targetRecords int
}

func (g *gen) pick() *principal {
	n := g.rng.IntN(g.total)
	for _, p := range g.ps {
		if n < p.weight {
			return p
		}
		n -= p.weight
	}
	return g.ps[0]
}

func (g *gen) uuid() string {
	g.seq++
	a, b := g.rng.Uint64(), g.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(a), uint16(a>>32), uint16(a>>48)&0xfff, uint16(b)&0xfff, b>>16)
}

func (g *gen) key(bucket string) string {
	switch bucket {
	case "prod-customer-exports":
		return fmt.Sprintf("exports/2026/%02d/customer-%06d.csv.gz", 1+g.rng.IntN(3), g.rng.IntN(60000))
	case "prod-app-assets":
		return fmt.Sprintf("static/img/%04d/%s.png", g.rng.IntN(500), g.uuid()[:8])
	case "analytics-raw":
		return fmt.Sprintf("events/dt=2026-03-%02d/part-%05d.parquet", 1+g.rng.IntN(28), g.rng.IntN(2000))
	}
	return fmt.Sprintf("AWSLogs/%s/CloudTrail/us-east-1/2026/03/%02d/file-%d.json.gz", account, 1+g.rng.IntN(28), g.rng.IntN(100000))
}

// record returns one event as a JSON-ready map, following the field layout
// CloudTrail writes (eventVersion 1.09 / 1.10).
func (g *gen) record(t time.Time, region string) map[string]any {
	p := g.pick()
	ip := p.ips[g.rng.IntN(len(p.ips))]
	ua := p.agents[g.rng.IntN(len(p.agents))]
	r := map[string]any{
		"eventVersion": "1.10", "userIdentity": p.identity,
		"eventTime": t.UTC().Format(time.RFC3339), "awsRegion": region,
		"sourceIPAddress": ip, "userAgent": ua,
		"requestID": strings.ToUpper(g.uuid()[:16]), "eventID": g.uuid(),
		"eventType": "AwsApiCall", "recipientAccountId": account,
	}
	if id, ok := p.identity["accessKeyId"]; ok && id == TargetKey {
		g.targetRecords++
	}
	roll := g.rng.IntN(1000)
	switch {
	case p.dataOnly || roll < 600:
		bucket := p.bucket
		if bucket == "" {
			bucket = buckets[g.rng.IntN(len(buckets))]
		}
		key := g.key(bucket)
		names := []string{"GetObject", "GetObject", "GetObject", "GetObject", "PutObject", "HeadObject", "ListObjects", "GetObject"}
		name := names[g.rng.IntN(len(names))]
		if p.dataOnly {
			name = "GetObject"
		}
		r["eventSource"] = "s3.amazonaws.com"
		r["eventName"] = name
		r["eventCategory"] = "Data"
		r["managementEvent"] = false
		r["readOnly"] = name != "PutObject"
		req := map[string]any{"bucketName": bucket, "Host": bucket + ".s3." + region + ".amazonaws.com"}
		if name != "ListObjects" {
			req["key"] = key
		} else {
			req["prefix"] = "exports/"
			req["list-type"] = "2"
		}
		r["requestParameters"] = req
		var out, in int
		switch name {
		case "GetObject":
			out = 512 + g.rng.IntN(4<<20)
		case "PutObject":
			in = 512 + g.rng.IntN(2<<20)
		case "ListObjects":
			out = 2000 + g.rng.IntN(50000)
		}
		r["additionalEventData"] = map[string]any{
			"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
			"bytesTransferredIn": in, "AuthenticationMethod": "AuthHeader",
			"x-amz-id-2": g.uuid() + g.uuid(), "bytesTransferredOut": out,
		}
		if name == "PutObject" {
			r["responseElements"] = map[string]any{"x-amz-server-side-encryption": "AES256"}
		} else {
			r["responseElements"] = nil
		}
		res := []map[string]any{}
		if name != "ListObjects" {
			res = append(res, map[string]any{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::" + bucket + "/" + key})
		}
		res = append(res, map[string]any{"accountId": account, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::" + bucket})
		r["resources"] = res
		r["tlsDetails"] = map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": bucket + ".s3." + region + ".amazonaws.com"}
	case roll < 998 || p.identity["type"] == "AWSService" || p.identity["type"] == "AWSAccount":
		m := mgmt[g.rng.IntN(len(mgmt))]
		r["eventSource"] = m.source
		r["eventName"] = m.name
		r["eventCategory"] = "Management"
		r["managementEvent"] = true
		r["readOnly"] = true
		switch m.source {
		case "s3.amazonaws.com":
			b := buckets[g.rng.IntN(len(buckets))]
			r["requestParameters"] = map[string]any{"bucketName": b, "Host": b + ".s3.amazonaws.com", "policy": ""}
		case "ec2.amazonaws.com":
			r["requestParameters"] = map[string]any{"maxResults": 1000, "filterSet": map[string]any{}, "instancesSet": map[string]any{}}
		default:
			r["requestParameters"] = map[string]any{"encryptionContext": map[string]any{"aws:lambda:FunctionArn": "arn:aws:lambda:" + region + ":" + account + ":function:ingest"}}
		}
		r["responseElements"] = nil
		r["resources"] = []map[string]any{{"accountId": account, "type": "AWS::KMS::Key", "ARN": "arn:aws:kms:" + region + ":" + account + ":key/" + g.uuid()}}
	default:
		c := changes[g.rng.IntN(len(changes))]
		b := buckets[g.rng.IntN(len(buckets))]
		r["eventSource"] = c.source
		r["eventName"] = c.name
		r["eventCategory"] = "Management"
		r["managementEvent"] = true
		r["readOnly"] = false
		if c.source == "s3.amazonaws.com" {
			r["requestParameters"] = map[string]any{"bucketName": b, "Host": b + ".s3.amazonaws.com", "policy": ""}
		} else {
			r["requestParameters"] = map[string]any{"userName": "svc-reports", "roleName": "DataPipelineRole", "policyName": "inline"}
		}
		r["responseElements"] = nil
	}
	// A few percent of calls are refused: probing and misconfigured jobs.
	if !p.dataOnly && g.rng.IntN(100) < 3 {
		r["errorCode"] = "AccessDenied"
		r["errorMessage"] = "User is not authorized to perform this operation"
		if ad, ok := r["additionalEventData"].(map[string]any); ok {
			ad["bytesTransferredOut"] = 0
		}
	}
	return r
}

func main() {
	out := flag.String("out", "", "directory to write the AWSLogs tree into")
	sizeMB := flag.Int("mb", 1100, "approximate uncompressed size to write, in MB")
	seed := flag.Uint64("seed", 1, "random seed; the same seed writes the same bytes")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gen: -out DIR is required")
		os.Exit(2)
	}
	g := &gen{rng: rand.New(rand.NewPCG(*seed, 42)), ps: principals()}
	for _, p := range g.ps {
		g.total += p.weight
	}
	regions := []string{"us-east-1", "eu-west-1"}
	t := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var written int64
	files := 0
	limit := int64(*sizeMB) << 20
	for written < limit {
		region := regions[files%len(regions)]
		n := 200 + g.rng.IntN(2800)
		dir := filepath.Join(*out, "AWSLogs", account, "CloudTrail", region, t.Format("2006"), t.Format("01"), t.Format("02"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		name := fmt.Sprintf("%s_CloudTrail_%s_%sZ_%s.json.gz", account, region, t.Format("20060102T1504"), strings.ReplaceAll(g.uuid()[:16], "-", "x"))
		nw, err := writeFile(filepath.Join(dir, name), g, t, region, n)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		written += nw
		files++
		t = t.Add(time.Duration(2+g.rng.IntN(6)) * time.Minute)
	}
	fmt.Printf("files=%d bytes=%d key=%s keyRecords=%d\n", files, written, TargetKey, g.targetRecords)
}

// countingWriter counts the uncompressed bytes written.
type countingWriter struct {
	w *gzip.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func writeFile(path string, g *gen, start time.Time, region string, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	zw, _ := gzip.NewWriterLevel(bw, gzip.DefaultCompression)
	cw := &countingWriter{w: zw}
	enc := json.NewEncoder(cw)
	if _, err := cw.Write([]byte(`{"Records":[`)); err != nil {
		return 0, err
	}
	for i := range n {
		if i > 0 {
			if _, err := cw.Write([]byte{','}); err != nil {
				return 0, err
			}
		}
		t := start.Add(time.Duration(g.rng.IntN(300)) * time.Second)
		// Encoder.Encode appends a newline; CloudTrail writes none, so
		// marshal by hand.
		b, err := json.Marshal(g.record(t, region))
		if err != nil {
			return 0, err
		}
		if _, err := cw.Write(b); err != nil {
			return 0, err
		}
	}
	_ = enc
	if _, err := cw.Write([]byte(`]}`)); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, fmt.Errorf("compress %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	return cw.n, f.Close()
}
