package trail

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const trailBucket = "org-trail-logs"

// chain is a generated trail: log files and a signed chain of digests over
// them, laid out as CloudTrail delivers them.
type chain struct {
	root    string
	key     *rsa.PrivateKey
	logs    [][]string // per digest, the local log paths it lists
	digests []string   // local digest paths, oldest first
	sigs    []string   // hex signature of each digest
}

var testKey *rsa.PrivateKey

func signingKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	if testKey == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		testKey = k
	}
	return testKey
}

// digestFor builds, compresses and signs one digest; prev is the previous
// digest's key, uncompressed content and signature, or nil for a starting
// digest. It returns the compressed file, the uncompressed JSON and the
// signature.
func digestFor(t *testing.T, key *rsa.PrivateKey, s3Key, end string, prev *[3]string, logs []digestLog) ([]byte, []byte, string) {
	t.Helper()
	d := map[string]any{
		"awsAccountId": acct, "digestStartTime": strings.Replace(end, "T0", "T", 1), "digestEndTime": end,
		"digestS3Bucket": trailBucket, "digestS3Object": s3Key,
		"digestPublicKeyFingerprint": "31e8b5433410dfb61a9dc45cc65b22ff", "digestSignatureAlgorithm": "SHA256withRSA",
		"newestEventTime": end, "oldestEventTime": end,
		"previousDigestS3Bucket": nil, "previousDigestS3Object": nil, "previousDigestHashValue": nil,
		"previousDigestHashAlgorithm": nil, "previousDigestSignature": nil,
		"logFiles": logs,
	}
	if prev != nil {
		sum := sha256.Sum256([]byte(prev[1]))
		d["previousDigestS3Bucket"] = trailBucket
		d["previousDigestS3Object"] = prev[0]
		d["previousDigestHashValue"] = hex.EncodeToString(sum[:])
		d["previousDigestHashAlgorithm"] = "SHA-256"
		d["previousDigestSignature"] = prev[2]
	}
	raw, err := json.Marshal(d)
	require.NoError(t, err)
	// The data-signing string as AWS documents it, written out here rather
	// than taken from the code under test.
	prevSig := "null"
	if prev != nil {
		prevSig = prev[2]
	}
	sum := sha256.Sum256(raw)
	toSign := end + "\n" + trailBucket + "/" + s3Key + "\n" + hex.EncodeToString(sum[:]) + "\n" + prevSig
	h := sha256.Sum256([]byte(toSign))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	require.NoError(t, err)
	return gz(t, raw), raw, hex.EncodeToString(sig)
}

// buildChain writes n hourly digests, each listing two log files.
func buildChain(t *testing.T, n int) *chain {
	t.Helper()
	c := &chain{root: t.TempDir(), key: signingKey(t)}
	var prev *[3]string
	for i := range n {
		hour := fmt.Sprintf("%02d", i+1)
		var listed []digestLog
		var locals []string
		for j := range 2 {
			s3Key := fmt.Sprintf("AWSLogs/%s/CloudTrail/eu-west-1/2026/03/01/%s_CloudTrail_eu-west-1_20260301T%s%02dZ_%016d.json.gz", acct, acct, hour, j*5, i*10+j)
			content := logJSON(t, rec(t, getObjectJSON, map[string]any{"eventID": fmt.Sprintf("ev-%d-%d", i, j)}))
			sum := sha256.Sum256(content)
			locals = append(locals, writeFile(t, filepath.Join(c.root, filepath.FromSlash(s3Key)), gz(t, content)))
			listed = append(listed, digestLog{S3Bucket: trailBucket, S3Object: s3Key, HashValue: hex.EncodeToString(sum[:]), HashAlgorithm: "SHA-256"})
		}
		s3Key := fmt.Sprintf("AWSLogs/%s/CloudTrail-Digest/eu-west-1/2026/03/01/%s_CloudTrail-Digest_eu-west-1_mytrail_eu-west-1_20260301T%s0000Z.json.gz", acct, acct, hour)
		file, raw, sig := digestFor(t, c.key, s3Key, "2026-03-01T"+hour+":00:00Z", prev, listed)
		c.digests = append(c.digests, writeFile(t, filepath.Join(c.root, filepath.FromSlash(s3Key)), file))
		c.sigs = append(c.sigs, sig)
		c.logs = append(c.logs, locals)
		prev = &[3]string{s3Key, string(raw), sig}
	}
	return c
}

func (c *chain) saveNewestSignature(t *testing.T) {
	t.Helper()
	n := len(c.digests) - 1
	writeFile(t, SignatureSidecar(c.digests[n]), []byte(c.sigs[n]+"\n"))
}

func kinds(res *VerifyResult) []string {
	var out []string
	for _, p := range res.Problems {
		out = append(out, string(p.Severity)+" "+p.Kind+" "+filepath.Base(p.File))
	}
	return out
}

func TestVerify(t *testing.T) {
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	base := filepath.Base

	tests := []struct {
		name  string
		setup func(t *testing.T, c *chain) []*rsa.PublicKey
		ok    bool
		check func(t *testing.T, c *chain, res *VerifyResult)
	}{
		{
			name: "intact, every signature checked",
			setup: func(t *testing.T, c *chain) []*rsa.PublicKey {
				c.saveNewestSignature(t)
				return []*rsa.PublicKey{&c.key.PublicKey}
			},
			ok: true,
			check: func(t *testing.T, c *chain, res *VerifyResult) {
				assert.Empty(t, res.Problems)
				assert.Equal(t, 3, res.Digests)
				assert.Equal(t, 6, res.LogsListed)
				assert.Equal(t, 6, res.LogsVerified)
				assert.Equal(t, 3, res.SignaturesOK)
				assert.Equal(t, 0, res.SignaturesUnchecked)
			},
		},
		{
			name: "recompressed log still verifies: the hash is over the uncompressed content",
			setup: func(t *testing.T, c *chain) []*rsa.PublicKey {
				content := logJSON(t, rec(t, getObjectJSON, map[string]any{"eventID": "ev-1-0"}))
				writeFile(t, c.logs[1][0], append(gz(t, content), gz(t, nil)...)) // a second, empty gzip member
				c.saveNewestSignature(t)
				return []*rsa.PublicKey{&c.key.PublicKey}
			},
			ok: true,
			check: func(t *testing.T, c *chain, res *VerifyResult) {
				assert.Equal(t, 6, res.LogsVerified)
			},
		},
		{
			name: "newest signature unknown offline: the newest digest is not authenticated",
			setup: func(t *testing.T, c *chain) []*rsa.PublicKey {
				return []*rsa.PublicKey{&c.key.PublicKey}
			},
			check: func(t *testing.T, c *chain, res *VerifyResult) {
				assert.Equal(t, 2, res.SignaturesOK)
				assert.Equal(t, 1, res.SignaturesUnchecked)
				assert.Equal(t, []string{"error " + ProblemUnsigned + " " + base(c.digests[2])}, kinds(res))
			},
		},
		{
			name:  "no public key: hashes and chain only",
			setup: func(t *testing.T, c *chain) []*rsa.PublicKey { c.saveNewestSignature(t); return nil },
			ok:    true,
			check: func(t *testing.T, c *chain, res *VerifyResult) {
				assert.Equal(t, 3, res.SignaturesUnchecked)
				assert.Equal(t, 6, res.LogsVerified)
			},
		},
		{
			name: "altered log file",
			setup: func(t *testing.T, c *chain) []*rsa.PublicKey {
				forged := logJSON(t, rec(t, getObjectJSON, map[string]any{"eventID": "ev-1-1", "sourceIPAddress": "10.0.0.1"}))
				writeFile(t, c.logs[1][1], gz(t, forged))
				c.saveNewestSignature(t)
				return nil
			},
			check: func(t *testing.T, c *chain, res *VerifyResult) {
				assert.Equal(t, 1, res.LogsAltered)
				assert.Equal(t, 5, res.LogsVerified)
				assert.Equal(t, []string{"error " + ProblemAltered + " " + base(c.logs[1][1])}, kinds(res))
				assert.Contains(t, res.Problems[0].Detail, "the digest recorded")
			},
		},
		{
			name: "missing log file",
			setup: func(t *testing.T, c *chain) []*rsa.PublicKey {
				require.NoError(t, os.Remove(c.logs[0][1]))
				c.saveNewestSignature(t)
				return nil
			},
			check: func(t *testing.T, c *chain, res *VerifyResult) {
				assert.Equal(t, 1, res.LogsMissing)
				assert.Equal(t, []string{"error " + ProblemMissing + " " + base(c.logs[0][1])}, kinds(res))
				assert.True(t, strings.HasPrefix(res.Problems[0].File, "s3://"+trailBucket+"/AWSLogs/"))
			},
		},
		{
			name: "digest removed from the middle of the chain",
			setup: func(t *testing.T, c *chain) []*rsa.PublicKey {
				require.NoError(t, os.Remove(c.digests[1]))
				for _, l := range c.logs[1] {
					require.NoError(t, os.Remove(l))
				}
				return []*rsa.PublicKey{&c.key.PublicKey}
			},
			check: func(t *testing.T, c *chain, res *VerifyResult) {
				assert.Equal(t, 1, res.ChainBreaks)
				assert.Contains(t, kinds(res), "error "+ProblemChainBreak+" "+base(c.digests[2]))
				for _, p := range res.Problems {
					if p.Kind == ProblemChainBreak {
						assert.Contains(t, p.Detail, "is missing")
					}
				}
			},
		},
		{
			name: "digest rewritten to hide an altered log",
			setup: func(t *testing.T, c *chain) []*rsa.PublicKey {
				forged := logJSON(t, rec(t, getObjectJSON, map[string]any{"eventID": "forged"}))
				sum := sha256.Sum256(forged)
				writeFile(t, c.logs[1][0], gz(t, forged))
				// Rebuild digest 1 with the forged hash; the forger cannot
				// sign, so it reuses the old signature.
				raw := gunzipFile(t, c.digests[1])
				var d map[string]any
				require.NoError(t, json.Unmarshal(raw, &d))
				d["logFiles"].([]any)[0].(map[string]any)["hashValue"] = hex.EncodeToString(sum[:])
				b, err := json.Marshal(d)
				require.NoError(t, err)
				writeFile(t, c.digests[1], gz(t, b))
				c.saveNewestSignature(t)
				return []*rsa.PublicKey{&c.key.PublicKey}
			},
			check: func(t *testing.T, c *chain, res *VerifyResult) {
				assert.Equal(t, 6, res.LogsVerified, "the forged log matches the forged digest")
				assert.Contains(t, kinds(res), "error "+ProblemChainBreak+" "+base(c.digests[1]))
				assert.Contains(t, kinds(res), "error "+ProblemBadSignature+" "+base(c.digests[1]))
				assert.Equal(t, 1, res.SignaturesBad)
			},
		},
		{
			name: "wrong public key",
			setup: func(t *testing.T, c *chain) []*rsa.PublicKey {
				c.saveNewestSignature(t)
				return []*rsa.PublicKey{&other.PublicKey}
			},
			check: func(t *testing.T, c *chain, res *VerifyResult) {
				assert.Equal(t, 3, res.SignaturesBad)
				assert.Equal(t, 0, res.SignaturesOK)
			},
		},
		{
			name: "newest digest rewritten, saved signature kept",
			setup: func(t *testing.T, c *chain) []*rsa.PublicKey {
				c.saveNewestSignature(t)
				raw := gunzipFile(t, c.digests[2])
				writeFile(t, c.digests[2], gz(t, []byte(strings.Replace(string(raw), `"logFiles":[`, `"logFiles":[{"s3Bucket":"x","s3Object":"y.json.gz","hashValue":"00"},`, 1))))
				return []*rsa.PublicKey{&c.key.PublicKey, &other.PublicKey}
			},
			check: func(t *testing.T, c *chain, res *VerifyResult) {
				assert.Contains(t, kinds(res), "error "+ProblemBadSignature+" "+base(c.digests[2]))
				assert.Contains(t, kinds(res), "error "+ProblemMissing+" y.json.gz")
				assert.Equal(t, 2, res.SignaturesOK)
			},
		},
		{
			name: "log file no digest lists",
			setup: func(t *testing.T, c *chain) []*rsa.PublicKey {
				writeFile(t, filepath.Join(c.root, "AWSLogs", acct, "CloudTrail", "eu-west-1", "2026", "03", "01", "extra.json.gz"),
					gz(t, logJSON(t, rec(t, getObjectJSON, nil))))
				c.saveNewestSignature(t)
				return nil
			},
			check: func(t *testing.T, c *chain, res *VerifyResult) {
				assert.Equal(t, 1, res.LogsUnlisted)
				assert.Equal(t, []string{"error " + ProblemUnlisted + " extra.json.gz"}, kinds(res))
			},
		},
		{
			name: "chain restarts: validation was off for a while",
			setup: func(t *testing.T, c *chain) []*rsa.PublicKey {
				s3Key := fmt.Sprintf("AWSLogs/%s/CloudTrail-Digest/eu-west-1/2026/03/01/%s_CloudTrail-Digest_eu-west-1_mytrail_eu-west-1_20260301T090000Z.json.gz", acct, acct)
				file, _, sig := digestFor(t, c.key, s3Key, "2026-03-01T09:00:00Z", nil, []digestLog{})
				p := writeFile(t, filepath.Join(c.root, filepath.FromSlash(s3Key)), file)
				writeFile(t, SignatureSidecar(p), []byte(sig))
				c.saveNewestSignature(t)
				return []*rsa.PublicKey{&c.key.PublicKey}
			},
			ok: true,
			check: func(t *testing.T, c *chain, res *VerifyResult) {
				assert.Equal(t, 4, res.SignaturesOK)
				require.Len(t, res.Problems, 1)
				assert.Equal(t, ProblemChainRestart, res.Problems[0].Kind)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := buildChain(t, 3)
			keys := tc.setup(t, c)
			res, err := Verify(context.Background(), []string{c.root}, VerifyOptions{PublicKeys: keys})
			require.NoError(t, err)
			assert.Equal(t, tc.ok, res.OK, "problems: %v", kinds(res))
			tc.check(t, c, res)
		})
	}
}

func gunzipFile(t *testing.T, p string) []byte {
	t.Helper()
	var src source
	r, f, _, err := src.open(p)
	require.NoError(t, err)
	defer f.Close()
	b, err := readAllTest(r)
	require.NoError(t, err)
	return b
}

func TestParsePublicKeys(t *testing.T) {
	k := signingKey(t)
	pkcs1 := x509.MarshalPKCS1PublicKey(&k.PublicKey)
	pkix, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	require.NoError(t, err)
	tests := []struct {
		name string
		in   string
		n    int
		err  bool
	}{
		{"PKCS#1 PEM", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1})), 1, false},
		{"PKIX PEM, two keys", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})) +
			string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1})), 2, false},
		{"base64 DER as list-public-keys prints it", base64.StdEncoding.EncodeToString(pkcs1) + "\n" + base64.StdEncoding.EncodeToString(pkcs1) + "\n", 2, false},
		{"garbage", "hello world", 0, true},
		{"empty", "", 0, true},
		{"PEM that is not a key", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: []byte("nope")})), 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := ParsePublicKeys([]byte(tc.in))
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Len(t, keys, tc.n)
			assert.True(t, keys[0].Equal(&k.PublicKey))
		})
	}
}

func TestChainID(t *testing.T) {
	a := chainID("AWSLogs/1/CloudTrail-Digest/eu-west-1/2026/03/01/1_CloudTrail-Digest_eu-west-1_t_eu-west-1_20260301T010000Z.json.gz")
	b := chainID("AWSLogs/1/CloudTrail-Digest/eu-west-1/2026/03/02/1_CloudTrail-Digest_eu-west-1_t_eu-west-1_20260302T010000Z.json.gz")
	c := chainID("AWSLogs/1/CloudTrail-Digest/us-east-1/2026/03/01/1_CloudTrail-Digest_us-east-1_t_eu-west-1_20260301T010000Z.json.gz")
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, c)
}
