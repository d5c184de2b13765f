package trail

import (
	"cmp"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// How CloudTrail digest files work, from AWS's CloudTrail user guide
// ("CloudTrail digest file structure" and "Custom implementations of
// CloudTrail log file integrity validation") and the AWS CLI's
// validate-logs implementation (awscli/customizations/cloudtrail/validation.py):
//
//   - logFiles[].hashValue is the hex SHA-256 of the log file's
//     *uncompressed* content (the CLI gunzips and hashes the inflated bytes).
//   - previousDigestHashValue is the hex SHA-256 of the *uncompressed*
//     content of the previous digest file.
//   - A digest's own signature is not inside the file: CloudTrail stores it,
//     hex encoded, in the S3 object metadata x-amz-meta-signature (algorithm
//     in x-amz-meta-signature-algorithm, SHA256withRSA). The next digest
//     repeats it as previousDigestSignature, so every digest but the newest
//     can be checked offline from the files alone.
//   - The signature is RSA PKCS#1 v1.5 over SHA-256 of the data-signing
//     string, four lines joined by "\n":
//       digestEndTime
//       digestS3Bucket + "/" + digestS3Object
//       hex SHA-256 of the uncompressed digest file
//       previousDigestSignature, or the word null for a starting digest.
//   - In a starting digest (validation just turned on, or restarted after
//     being turned off or after logging stopped) every previousDigest* field
//     is null.

// maxDigestBytes caps the uncompressed size of a digest file; real ones
// list an hour of log files and are a few hundred kilobytes at most.
const maxDigestBytes = 64 << 20

// digestFile is the content of a CloudTrail digest file.
type digestFile struct {
	AWSAccountID               string      `json:"awsAccountId"`
	DigestStartTime            string      `json:"digestStartTime"`
	DigestEndTime              string      `json:"digestEndTime"`
	DigestS3Bucket             string      `json:"digestS3Bucket"`
	DigestS3Object             string      `json:"digestS3Object"`
	DigestPublicKeyFingerprint string      `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm   string      `json:"digestSignatureAlgorithm"`
	PreviousDigestS3Bucket     *string     `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object     *string     `json:"previousDigestS3Object"`
	PreviousDigestHashValue    *string     `json:"previousDigestHashValue"`
	PreviousDigestHashAlgo     *string     `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature    *string     `json:"previousDigestSignature"`
	LogFiles                   []digestLog `json:"logFiles"`
}

type digestLog struct {
	S3Bucket      string `json:"s3Bucket"`
	S3Object      string `json:"s3Object"`
	HashValue     string `json:"hashValue"`
	HashAlgorithm string `json:"hashAlgorithm"`
}

// SigningString returns the data-signing string of a digest whose
// uncompressed content hashes to contentSHA256 (hex).
func (d *digestFile) SigningString(contentSHA256 string) string {
	prev := "null"
	if d.PreviousDigestSignature != nil {
		prev = *d.PreviousDigestSignature
	}
	return d.DigestEndTime + "\n" + d.DigestS3Bucket + "/" + d.DigestS3Object + "\n" + contentSHA256 + "\n" + prev
}

// Severity says whether a verification finding breaks integrity.
type Severity string

// Severities of verification findings.
const (
	// SeverityError means evidence is missing, altered or unauthenticated
	// against what CloudTrail recorded.
	SeverityError Severity = "error"
	// SeverityWarning means something could not be checked, or the chain
	// restarts (validation or logging was off for a while).
	SeverityWarning Severity = "warning"
)

// Problem kinds reported by Verify.
const (
	ProblemAltered      = "altered"       // log file hash differs from its digest
	ProblemMissing      = "missing"       // log file listed in a digest, not among the files given
	ProblemUnlisted     = "unlisted"      // log file given, listed in no digest given
	ProblemUnreadable   = "unreadable"    // a file could not be read
	ProblemChainBreak   = "chain-break"   // a digest's predecessor is missing or differs
	ProblemChainRestart = "chain-restart" // a starting digest after earlier ones
	ProblemBadSignature = "bad-signature" // a digest's signature does not verify
	ProblemUnsigned     = "unsigned"      // no signature known for a digest: it is not authenticated
	ProblemDigestMoved  = "digest-moved"  // file name differs from the digest's recorded key
	ProblemChainStart   = "chain-start"   // the oldest digest given names a predecessor not given
)

// VerifyProblem is one finding of Verify.
type VerifyProblem struct {
	Severity Severity `json:"severity"`
	Kind     string   `json:"kind"`
	// File is the local file concerned, or the S3 location when the file
	// is missing.
	File   string `json:"file"`
	Detail string `json:"detail"`
}

// VerifyResult is the outcome of checking log files against digests.
type VerifyResult struct {
	Digests       int `json:"digests"`
	LogFiles      int `json:"logFiles"`
	LogsListed    int `json:"logsListed"`
	LogsVerified  int `json:"logsVerified"`
	LogsAltered   int `json:"logsAltered"`
	LogsMissing   int `json:"logsMissing"`
	LogsUnlisted  int `json:"logsUnlisted"`
	ChainBreaks   int `json:"chainBreaks"`
	SignaturesOK  int `json:"signaturesValid"`
	SignaturesBad int `json:"signaturesInvalid"`
	// SignaturesUnchecked counts digests whose signature was not checked:
	// no public key given, or the newest digest of a chain without its
	// saved signature.
	SignaturesUnchecked int             `json:"signaturesUnchecked"`
	Problems            []VerifyProblem `json:"problems"`
	// OK is true when no finding is an error.
	OK bool `json:"ok"`
}

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// PublicKeys are CloudTrail's public keys for the period (from
	// ListPublicKeys). Without them signatures are not checked, only hashes
	// and the chain.
	PublicKeys []*rsa.PublicKey
	// Workers hash log files in parallel; 0 means one per CPU.
	Workers int
}

// loadedDigest is a digest file read from disk.
type loadedDigest struct {
	path      string
	d         digestFile
	sha       string // hex SHA-256 of the uncompressed content
	signature string // hex signature, from a sidecar file or the next digest
	sigSource string
}

// SignatureSidecar is the name Verify looks for next to a digest file to
// find the signature CloudTrail keeps in the object's metadata: the digest's
// file name plus ".sig", holding the hex x-amz-meta-signature value.
func SignatureSidecar(digestPath string) string { return digestPath + ".sig" }

// Verify checks the log files and digest files under paths: each log file
// listed in a digest against its SHA-256, the chain of digests (nothing
// removed or replaced in between), and with public keys, each digest's RSA
// signature. Log files listed in a digest but absent, and log files that
// no digest lists, are reported too.
func Verify(ctx context.Context, paths []string, opt VerifyOptions) (*VerifyResult, error) {
	in := Expand(paths)
	res := &VerifyResult{Problems: []VerifyProblem{}, LogFiles: len(in.Logs)}
	problem := func(sev Severity, kind, file, format string, args ...any) {
		res.Problems = append(res.Problems, VerifyProblem{sev, kind, file, fmt.Sprintf(format, args...)})
	}
	for _, e := range in.Errors {
		problem(SeverityError, ProblemUnreadable, e.File, "%s", e.Reason)
	}

	var digests []*loadedDigest
	for _, p := range in.Digests {
		if strings.HasSuffix(p, ".sig") {
			continue
		}
		ld, err := loadDigest(p)
		if err != nil {
			problem(SeverityError, ProblemUnreadable, p, "%v", err)
			continue
		}
		digests = append(digests, ld)
	}
	res.Digests = len(digests)

	checkChains(digests, res, problem)
	checkSignatures(digests, opt.PublicKeys, res, problem)

	// Index the local log files by base name: CloudTrail's file names end
	// in a random suffix, so a base name identifies a log file even when
	// the folder above AWSLogs differs from the bucket's prefix.
	byBase := map[string][]string{}
	for _, p := range in.Logs {
		byBase[filepath.Base(p)] = append(byBase[filepath.Base(p)], p)
	}
	type job struct {
		local string
		want  string
		key   string
	}
	var jobs []job
	listed := map[string]bool{}
	for _, ld := range digests {
		for _, lf := range ld.d.LogFiles {
			res.LogsListed++
			local := pickLocal(byBase[path.Base(lf.S3Object)], lf.S3Object)
			if local == "" {
				res.LogsMissing++
				problem(SeverityError, ProblemMissing, "s3://"+lf.S3Bucket+"/"+lf.S3Object,
					"listed in digest %s but not among the files given", filepath.Base(ld.path))
				continue
			}
			listed[local] = true
			jobs = append(jobs, job{local, strings.ToLower(lf.HashValue), lf.S3Object})
		}
	}
	for _, p := range in.Logs {
		if !listed[p] {
			res.LogsUnlisted++
			problem(SeverityError, ProblemUnlisted, p, "no digest given lists this log file, so it cannot be shown to be unaltered: its digest was removed, not copied, or not delivered yet (CloudTrail delivers one an hour)")
		}
	}

	// Hash the listed log files in parallel.
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	var (
		mu   sync.Mutex
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range max(1, min(workers, len(jobs))) {
		wg.Go(func() {
			var src source
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(jobs) {
					return
				}
				j := jobs[i]
				got, err := hashLog(&src, j.local)
				mu.Lock()
				switch {
				case err != nil:
					problem(SeverityError, ProblemUnreadable, j.local, "%v", err)
				case got != j.want:
					res.LogsAltered++
					problem(SeverityError, ProblemAltered, j.local, "SHA-256 of the uncompressed content is %s; the digest recorded %s", got, j.want)
				default:
					res.LogsVerified++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	slices.SortStableFunc(res.Problems, func(a, b VerifyProblem) int {
		return cmp.Or(cmp.Compare(sevRank(a.Severity), sevRank(b.Severity)), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.File, b.File))
	})
	res.OK = true
	for _, p := range res.Problems {
		if p.Severity == SeverityError {
			res.OK = false
		}
	}
	return res, ctx.Err()
}

func sevRank(s Severity) int {
	if s == SeverityError {
		return 0
	}
	return 1
}

// pickLocal chooses the local copy of an S3 object: the one whose path ends
// with the object key, else the only candidate.
func pickLocal(cands []string, key string) string {
	for _, c := range cands {
		if strings.HasSuffix(filepath.ToSlash(c), "/"+key) || filepath.ToSlash(c) == key {
			return c
		}
	}
	if len(cands) > 0 {
		return cands[0]
	}
	return ""
}

// hashLog returns the hex SHA-256 of a log file's uncompressed content.
func hashLog(src *source, p string) (string, error) {
	r, f, _, err := src.open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInput, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// loadDigest reads and parses a digest file, and its signature sidecar if
// there is one.
func loadDigest(p string) (*loadedDigest, error) {
	var src source
	r, f, _, err := src.open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(r, maxDigestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	if len(raw) > maxDigestBytes {
		return nil, fmt.Errorf("%w: digest file larger than %d bytes", ErrRecordTooLarge, maxDigestBytes)
	}
	ld := &loadedDigest{path: p}
	if err := json.Unmarshal(raw, &ld.d); err != nil {
		return nil, fmt.Errorf("%w: digest file: %v", ErrMalformed, err)
	}
	if ld.d.DigestS3Object == "" || ld.d.DigestEndTime == "" {
		return nil, errors.New("not a CloudTrail digest file: digestS3Object or digestEndTime missing")
	}
	sum := sha256.Sum256(raw)
	ld.sha = hex.EncodeToString(sum[:])
	if b, err := os.ReadFile(SignatureSidecar(p)); err == nil {
		ld.signature, ld.sigSource = strings.ToLower(strings.TrimSpace(string(b))), "saved signature file"
	}
	return ld, nil
}

// chainID names the digest chain a digest belongs to: one per trail, account
// and Region. It is the digest's key with the date folders and the end
// timestamp removed.
func chainID(key string) string {
	dir, base := path.Split(key)
	if i := strings.LastIndex(base, "_"); i > 0 {
		base = base[:i]
	}
	if i := strings.Index(dir, "/CloudTrail-Digest/"); i >= 0 {
		rest := dir[i+len("/CloudTrail-Digest/"):]
		region, _, _ := strings.Cut(rest, "/")
		dir = dir[:i] + "/CloudTrail-Digest/" + region + "/"
	}
	return dir + base
}

// checkChains links each digest to its predecessor and fills in signatures
// learnt from successors.
func checkChains(digests []*loadedDigest, res *VerifyResult, problem func(Severity, string, string, string, ...any)) {
	chains := map[string][]*loadedDigest{}
	byKey := map[string]*loadedDigest{}
	for _, ld := range digests {
		chains[chainID(ld.d.DigestS3Object)] = append(chains[chainID(ld.d.DigestS3Object)], ld)
		byKey[ld.d.DigestS3Bucket+"/"+ld.d.DigestS3Object] = ld
		// A digest may be kept decompressed, so the .gz suffix may go; any
		// other change of name is treated as the AWS CLI does: the digest
		// was moved from where CloudTrail delivered it.
		if strings.TrimSuffix(filepath.Base(ld.path), ".gz") != strings.TrimSuffix(path.Base(ld.d.DigestS3Object), ".gz") {
			problem(SeverityError, ProblemDigestMoved, ld.path, "the digest says it was delivered as %s", ld.d.DigestS3Object)
		}
	}
	for _, chain := range chains {
		// Oldest first; digestEndTime is fixed-width UTC, so strings sort.
		slices.SortFunc(chain, func(a, b *loadedDigest) int {
			return cmp.Or(cmp.Compare(a.d.DigestEndTime, b.d.DigestEndTime), cmp.Compare(a.path, b.path))
		})
		for i, ld := range chain {
			d := &ld.d
			if d.PreviousDigestS3Object == nil || *d.PreviousDigestS3Object == "" {
				if i > 0 {
					problem(SeverityWarning, ProblemChainRestart, ld.path,
						"starting digest after earlier ones (%s): log file validation or logging was off before %s", filepath.Base(chain[i-1].path), d.DigestStartTime)
				}
				continue
			}
			prevKey := deref(d.PreviousDigestS3Bucket) + "/" + *d.PreviousDigestS3Object
			prev := byKey[prevKey]
			if prev == nil {
				if i > 0 {
					res.ChainBreaks++
					problem(SeverityError, ProblemChainBreak, ld.path,
						"the previous digest %s is missing (the nearest earlier digest given is %s)", *d.PreviousDigestS3Object, filepath.Base(chain[i-1].path))
				} else {
					// Only the files given are checked: logs delivered before
					// this digest's period are not covered.
					problem(SeverityWarning, ProblemChainStart, ld.path,
						"the chain goes on before this digest (%s was not given): log files before %s are not checked", path.Base(*d.PreviousDigestS3Object), d.DigestStartTime)
				}
				continue
			}
			if i > 0 && prev != chain[i-1] {
				res.ChainBreaks++
				problem(SeverityError, ProblemChainBreak, ld.path,
					"points back to %s, but %s comes in between", filepath.Base(prev.path), filepath.Base(chain[i-1].path))
			}
			if want := strings.ToLower(deref(d.PreviousDigestHashValue)); want != prev.sha {
				res.ChainBreaks++
				problem(SeverityError, ProblemChainBreak, prev.path,
					"content differs from what the next digest (%s) recorded: SHA-256 %s, recorded %s", filepath.Base(ld.path), prev.sha, want)
			}
			sig := strings.ToLower(deref(d.PreviousDigestSignature))
			switch {
			case prev.signature == "":
				prev.signature, prev.sigSource = sig, "next digest"
			case prev.signature != sig:
				res.ChainBreaks++
				problem(SeverityError, ProblemChainBreak, prev.path,
					"its saved signature differs from the one the next digest (%s) recorded", filepath.Base(ld.path))
			}
		}
	}
}

// checkSignatures verifies each digest's signature with the given keys. A
// digest whose signature is known from no file is an error, keys or not:
// the newest digest of a chain (or of a segment before a gap) is what a
// forger rewrites, and only its signature would show it (the AWS CLI's
// validate-logs likewise rejects a digest without its signature metadata).
func checkSignatures(digests []*loadedDigest, keys []*rsa.PublicKey, res *VerifyResult, problem func(Severity, string, string, string, ...any)) {
	for _, ld := range digests {
		switch {
		case ld.signature == "":
			res.SignaturesUnchecked++
			problem(SeverityError, ProblemUnsigned, ld.path,
				"no later digest records this digest's signature, which CloudTrail keeps only in the S3 object metadata (x-amz-meta-signature): save that value as %s ('aws s3api head-object --query Metadata.signature --output text'); until then the digest and the log files it lists are not authenticated", filepath.Base(SignatureSidecar(ld.path)))
			continue
		case len(keys) == 0:
			res.SignaturesUnchecked++
			continue
		}
		sig, err := hex.DecodeString(ld.signature)
		if err != nil {
			res.SignaturesBad++
			problem(SeverityError, ProblemBadSignature, ld.path, "the signature (from the %s) is not hex", ld.sigSource)
			continue
		}
		digest := sha256.Sum256([]byte(ld.d.SigningString(ld.sha)))
		ok := false
		for _, k := range keys {
			if rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) == nil {
				ok = true
				break
			}
		}
		if ok {
			res.SignaturesOK++
		} else {
			res.SignaturesBad++
			problem(SeverityError, ProblemBadSignature, ld.path,
				"the signature (from the %s) does not verify with the public key given (digest names key fingerprint %s)", ld.sigSource, ld.d.DigestPublicKeyFingerprint)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ParsePublicKeys reads CloudTrail public keys: PEM blocks ("RSA PUBLIC
// KEY" in PKCS#1, or "PUBLIC KEY" in PKIX), or the base64 DER values that
// ListPublicKeys prints, one per line.
func ParsePublicKeys(data []byte) ([]*rsa.PublicKey, error) {
	var keys []*rsa.PublicKey
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		k, err := parseDERKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PEM block %q: %v", ErrMalformed, block.Type, err)
		}
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		return keys, nil
	}
	for _, line := range strings.Fields(string(data)) {
		der, err := base64.StdEncoding.DecodeString(line)
		if err != nil {
			return nil, fmt.Errorf("%w: neither PEM nor base64 DER public keys", ErrMalformed)
		}
		k, err := parseDERKey(der)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no public key found", ErrMalformed)
	}
	return keys, nil
}

func parseDERKey(der []byte) (*rsa.PublicKey, error) {
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, errors.New("not an RSA public key in PKCS#1 or PKIX form")
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("the public key is not RSA")
	}
	return rk, nil
}
