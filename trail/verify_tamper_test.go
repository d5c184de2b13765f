package trail

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// forgeLog rewrites a log file with a different event and returns the hex
// SHA-256 of its new uncompressed content.
func forgeLog(t *testing.T, p string) string {
	t.Helper()
	forged := logJSON(t, rec(t, getObjectJSON, map[string]any{"eventID": "forged", "sourceIPAddress": "10.9.9.9"}))
	writeFile(t, p, gz(t, forged))
	sum := sha256.Sum256(forged)
	return hex.EncodeToString(sum[:])
}

func verifyChain(t *testing.T, c *chain, keys []*rsa.PublicKey) *VerifyResult {
	t.Helper()
	res, err := Verify(context.Background(), []string{c.root}, VerifyOptions{PublicKeys: keys})
	require.NoError(t, err)
	return res
}

func TestALogAlteredWithTheOldestDigestDeletedFailsVerification(t *testing.T) {
	c := buildChain(t, 3)
	c.saveNewestSignature(t)
	forgeLog(t, c.logs[0][0])
	require.NoError(t, os.Remove(c.digests[0]))

	res := verifyChain(t, c, []*rsa.PublicKey{&c.key.PublicKey})
	assert.False(t, res.OK, "problems: %v", kinds(res))
	assert.Contains(t, kinds(res), "error "+ProblemUnlisted+" "+filepath.Base(c.logs[0][0]))
	assert.Contains(t, kinds(res), "error "+ProblemUnlisted+" "+filepath.Base(c.logs[0][1]))
	assert.Contains(t, kinds(res), "warning "+ProblemChainStart+" "+filepath.Base(c.digests[1]),
		"the oldest digest given names a predecessor that was not given")
}

func TestALogAlteredWithTheNewestDigestDeletedFailsVerification(t *testing.T) {
	c := buildChain(t, 3)
	forgeLog(t, c.logs[2][1])
	require.NoError(t, os.Remove(c.digests[2]))

	res := verifyChain(t, c, nil)
	assert.False(t, res.OK, "problems: %v", kinds(res))
	assert.Contains(t, kinds(res), "error "+ProblemUnlisted+" "+filepath.Base(c.logs[2][1]))
	// Digest 1 is now the newest: its signature is in no file.
	assert.Contains(t, kinds(res), "error "+ProblemUnsigned+" "+filepath.Base(c.digests[1]))
}

func TestARewrittenNewestDigestWithoutItsSignatureFailsWithAPublicKey(t *testing.T) {
	c := buildChain(t, 3)
	c.saveNewestSignature(t)
	sum := forgeLog(t, c.logs[2][0])
	raw := gunzipFile(t, c.digests[2])
	var d map[string]any
	require.NoError(t, json.Unmarshal(raw, &d))
	d["logFiles"].([]any)[0].(map[string]any)["hashValue"] = sum
	b, err := json.Marshal(d)
	require.NoError(t, err)
	writeFile(t, c.digests[2], gz(t, b))
	require.NoError(t, os.Remove(SignatureSidecar(c.digests[2])))

	res := verifyChain(t, c, []*rsa.PublicKey{&c.key.PublicKey})
	assert.False(t, res.OK, "problems: %v", kinds(res))
	assert.Equal(t, []string{"error " + ProblemUnsigned + " " + filepath.Base(c.digests[2])}, kinds(res))
	assert.Equal(t, 1, res.SignaturesUnchecked)
	assert.Contains(t, res.Problems[0].Detail, "x-amz-meta-signature")
}

func TestEveryDigestEndingAChainSegmentNeedsItsSignature(t *testing.T) {
	// Digest 1 removed with its logs: digest 0 ends a segment, and nothing
	// records its signature; the gap is reported and so is the unsigned digest.
	c := buildChain(t, 3)
	c.saveNewestSignature(t)
	require.NoError(t, os.Remove(c.digests[1]))
	for _, l := range c.logs[1] {
		require.NoError(t, os.Remove(l))
	}
	res := verifyChain(t, c, []*rsa.PublicKey{&c.key.PublicKey})
	assert.False(t, res.OK)
	assert.Contains(t, kinds(res), "error "+ProblemChainBreak+" "+filepath.Base(c.digests[2]))
	assert.Contains(t, kinds(res), "error "+ProblemUnsigned+" "+filepath.Base(c.digests[0]))
}

func TestARenamedDigestIsAnError(t *testing.T) {
	c := buildChain(t, 2)
	c.saveNewestSignature(t)
	moved := filepath.Join(filepath.Dir(c.digests[0]), "other_CloudTrail-Digest_20260301T000000Z.json.gz")
	require.NoError(t, os.Rename(c.digests[0], moved))
	res := verifyChain(t, c, []*rsa.PublicKey{&c.key.PublicKey})
	assert.False(t, res.OK)
	assert.Contains(t, kinds(res), "error "+ProblemDigestMoved+" "+filepath.Base(moved))
}
