package reports

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"s3responder/app"
)

// Names inside an evidence bundle.
const (
	BundleIncident = "incident.json"
	BundleManifest = "manifest.json"
	BundleReport   = "report.pdf"
	BundleEvidence = "evidence/"
)

// Manifest lists every file of a bundle with its SHA-256, so the receiver
// can tell which file was altered, not just that something was.
type Manifest struct {
	Format   string `json:"format"`
	Incident string `json:"incident"`
	// Head is the incident's chain head as exported: the hash to compare
	// with one kept elsewhere (verify --head), readable without unpacking
	// the incident.
	Head  *app.Head      `json:"head,omitempty"`
	Files []ManifestFile `json:"files"`
}

// ManifestFile is one file of a bundle.
type ManifestFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Limits of ReadBundle. A crafted archive can claim anything in its zip
// headers and inflate a few megabytes into gigabytes, so nothing is
// inflated before the manifest (itself small) has said how large every
// file is, the archive agrees, and the total is within the caller's limit;
// then each file is read only up to its announced size.
const (
	maxManifest = 4 << 20
	// DefaultMaxBundleContent is the total a bundle may hold unless the
	// importer raises it. Import holds the content in memory and bbolt
	// copies the file it is writing twice more, so with this default an
	// import stays under 256 MB whatever the bundle.
	DefaultMaxBundleContent = 64 << 20
)

// WriteBundle writes an evidence bundle: incident.json (the app.Bundle),
// evidence/<sha256> for every content, report.pdf when pdf is not empty,
// and manifest.json with the SHA-256 of each. File times are the
// incident's last update, so the same export gives the same bytes.
func WriteBundle(w io.Writer, b app.Bundle, contents map[string][]byte, pdf []byte) error {
	if b.Format == "" {
		b.Format = app.BundleFormat
	}
	var incident bytes.Buffer
	if err := JSON(&incident, b); err != nil {
		return err
	}
	files := map[string][]byte{BundleIncident: incident.Bytes()}
	for sha, data := range contents {
		if app.HashHex(data) != sha {
			return fmt.Errorf("%w: evidence content filed under %s does not match its SHA-256", app.ErrInvalid, sha)
		}
		files[BundleEvidence+sha] = data
	}
	if len(pdf) > 0 {
		files[BundleReport] = pdf
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	head := b.Head
	m := Manifest{Format: app.BundleFormat, Incident: b.Case.Incident.ID, Head: &head}
	for _, n := range names {
		m.Files = append(m.Files, ManifestFile{Name: n, SHA256: app.HashHex(files[n]), Size: int64(len(files[n]))})
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	modified := b.Case.Incident.UpdatedAt.UTC()
	if modified.Year() < 1980 { // the zip format cannot say earlier
		modified = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	zw := zip.NewWriter(w)
	write := func(name string, data []byte) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
		if err != nil {
			return fmt.Errorf("add %s to bundle: %w", name, err)
		}
		if _, err := fw.Write(data); err != nil {
			return fmt.Errorf("add %s to bundle: %w", name, err)
		}
		return nil
	}
	// The manifest first, so a reader streaming the archive knows what to
	// expect before the content arrives.
	if err := write(BundleManifest, append(manifest, '\n')); err != nil {
		return err
	}
	for _, n := range names {
		if err := write(n, files[n]); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("finish bundle: %w", err)
	}
	return nil
}

// BundleError names the file of a bundle that failed verification.
type BundleError struct {
	File   string
	Reason string
}

func (e *BundleError) Error() string {
	return fmt.Sprintf("bundle refused: %s: %s", e.File, e.Reason)
}

// Unwrap makes every refusal an app.ErrInvalid.
func (e *BundleError) Unwrap() error { return app.ErrInvalid }

// ReadBundle opens an evidence bundle and verifies it against its
// manifest before returning anything: every file must be listed, every
// listed file present with the size the manifest gives, the total within
// maxContent, and every hash must match (evidence files must also match
// the hash they are named after). A refusal is a *BundleError that names
// the offending file. The app then verifies the timeline chain, the seals
// and the evidence hashes on import; this check is about the archive.
func ReadBundle(r io.ReaderAt, size, maxContent int64) (b app.Bundle, contents map[string][]byte, pdf []byte, err error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return app.Bundle{}, nil, nil, fmt.Errorf("%w: not a readable zip archive: %v", app.ErrInvalid, err)
	}
	inArchive := map[string]*zip.File{}
	for _, f := range zr.File {
		if _, dup := inArchive[f.Name]; dup {
			return app.Bundle{}, nil, nil, &BundleError{f.Name, "appears twice in the archive"}
		}
		if f.FileInfo().IsDir() {
			continue
		}
		inArchive[f.Name] = f
	}
	mf, ok := inArchive[BundleManifest]
	if !ok {
		return app.Bundle{}, nil, nil, &BundleError{BundleManifest, "is missing"}
	}
	if mf.UncompressedSize64 > maxManifest {
		return app.Bundle{}, nil, nil, &BundleError{BundleManifest, fmt.Sprintf("is %d bytes; a manifest is at most %d", mf.UncompressedSize64, maxManifest)}
	}
	raw, err := readZipFile(mf, int64(mf.UncompressedSize64))
	if err != nil {
		return app.Bundle{}, nil, nil, &BundleError{BundleManifest, "cannot be read (damaged or altered): " + err.Error()}
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return app.Bundle{}, nil, nil, &BundleError{BundleManifest, "is not a valid manifest: " + err.Error()}
	}
	// Sizes first, nothing inflated yet.
	listed := map[string]ManifestFile{}
	var total int64
	for _, f := range m.Files {
		if _, dup := listed[f.Name]; dup {
			return app.Bundle{}, nil, nil, &BundleError{f.Name, "is listed twice in " + BundleManifest}
		}
		listed[f.Name] = f
		zf, ok := inArchive[f.Name]
		switch {
		case !ok:
			return app.Bundle{}, nil, nil, &BundleError{f.Name, "is listed in " + BundleManifest + " but missing from the archive"}
		case f.Size < 0 || zf.UncompressedSize64 != uint64(f.Size):
			return app.Bundle{}, nil, nil, &BundleError{f.Name, fmt.Sprintf("is %d bytes in the archive but %d in %s", zf.UncompressedSize64, f.Size, BundleManifest)}
		}
		total += f.Size
		if total > maxContent || total < 0 {
			return app.Bundle{}, nil, nil, &BundleError{f.Name, fmt.Sprintf("takes the bundle's content over %d MiB, the import limit (the manifest lists more than that; raise the limit only for a bundle you expect to be this large)", maxContent>>20)}
		}
	}
	for name := range inArchive {
		if _, ok := listed[name]; !ok && name != BundleManifest {
			return app.Bundle{}, nil, nil, &BundleError{name, "is not listed in " + BundleManifest}
		}
	}
	files := map[string][]byte{}
	for _, f := range m.Files {
		data, err := readZipFile(inArchive[f.Name], f.Size)
		if err != nil {
			return app.Bundle{}, nil, nil, &BundleError{f.Name, "cannot be read (damaged or altered): " + err.Error()}
		}
		if got := app.HashHex(data); got != f.SHA256 {
			return app.Bundle{}, nil, nil, &BundleError{f.Name, fmt.Sprintf("does not match %s (sha256 %s; the manifest says %s)", BundleManifest, got, f.SHA256)}
		}
		files[f.Name] = data
	}
	contents = map[string][]byte{}
	for name, data := range files {
		if strings.HasPrefix(name, BundleEvidence) {
			sha := path.Base(name)
			if app.HashHex(data) != sha {
				return app.Bundle{}, nil, nil, &BundleError{name, "does not match the SHA-256 it is named after"}
			}
			contents[sha] = data
		}
	}
	incident, ok := files[BundleIncident]
	if !ok {
		return app.Bundle{}, nil, nil, &BundleError{BundleIncident, "is missing"}
	}
	b, err = ReadJSON(bytes.NewReader(incident))
	if err != nil {
		return app.Bundle{}, nil, nil, &BundleError{BundleIncident, err.Error()}
	}
	if m.Incident != b.Case.Incident.ID {
		return app.Bundle{}, nil, nil, &BundleError{BundleManifest, fmt.Sprintf("names incident %q but %s holds %q", m.Incident, BundleIncident, b.Case.Incident.ID)}
	}
	if m.Head != nil && *m.Head != b.Head {
		return app.Bundle{}, nil, nil, &BundleError{BundleManifest, fmt.Sprintf("gives chain head %s but %s ends at %s", m.Head.Hash, BundleIncident, b.Head.Hash)}
	}
	return b, contents, files[BundleReport], nil
}

// readZipFile inflates f into a buffer of exactly size bytes and refuses
// a file that inflates to more or less: the zip reader checks the header's
// size, which the manifest has already been checked against, and the
// limit holds even if it did not.
func readZipFile(f *zip.File, size int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data := make([]byte, size)
	if _, err := io.ReadFull(rc, data); err != nil {
		return nil, fmt.Errorf("inflates to less than %d bytes: %w", size, err)
	}
	// Reading on to the end is what makes the zip reader check the CRC.
	switch n, err := rc.Read(make([]byte, 1)); {
	case n > 0:
		return nil, fmt.Errorf("inflates to more than %d bytes", size)
	case err != io.EOF:
		return nil, err
	}
	return data, nil
}
