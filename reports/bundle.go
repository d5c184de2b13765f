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
	Format   string         `json:"format"`
	Incident string         `json:"incident"`
	Files    []ManifestFile `json:"files"`
}

// ManifestFile is one file of a bundle.
type ManifestFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// maxBundleFile bounds what ReadBundle decompresses per file, so a crafted
// archive cannot exhaust memory.
const maxBundleFile = 1 << 30

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
	m := Manifest{Format: app.BundleFormat, Incident: b.Case.Incident.ID}
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
// listed file present, and every hash must match (evidence files must also
// match the hash they are named after). A refusal is a *BundleError that
// names the offending file. The app still verifies the timeline chain and
// evidence hashes on import; this check is about the archive.
func ReadBundle(r io.ReaderAt, size int64) (b app.Bundle, contents map[string][]byte, pdf []byte, err error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return app.Bundle{}, nil, nil, fmt.Errorf("%w: not a readable zip archive: %v", app.ErrInvalid, err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		name := f.Name
		if _, dup := files[name]; dup {
			return app.Bundle{}, nil, nil, &BundleError{name, "appears twice in the archive"}
		}
		if f.FileInfo().IsDir() {
			continue
		}
		if f.UncompressedSize64 > maxBundleFile {
			return app.Bundle{}, nil, nil, &BundleError{name, "is larger than a bundle file may be"}
		}
		data, err := readZipFile(f)
		if err != nil {
			return app.Bundle{}, nil, nil, &BundleError{name, "cannot be read (damaged or altered): " + err.Error()}
		}
		files[name] = data
	}
	raw, ok := files[BundleManifest]
	if !ok {
		return app.Bundle{}, nil, nil, &BundleError{BundleManifest, "is missing"}
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return app.Bundle{}, nil, nil, &BundleError{BundleManifest, "is not a valid manifest: " + err.Error()}
	}
	listed := map[string]bool{}
	for _, mf := range m.Files {
		if listed[mf.Name] {
			return app.Bundle{}, nil, nil, &BundleError{mf.Name, "is listed twice in " + BundleManifest}
		}
		listed[mf.Name] = true
		data, ok := files[mf.Name]
		if !ok {
			return app.Bundle{}, nil, nil, &BundleError{mf.Name, "is listed in " + BundleManifest + " but missing from the archive"}
		}
		if got := app.HashHex(data); got != mf.SHA256 || int64(len(data)) != mf.Size {
			return app.Bundle{}, nil, nil, &BundleError{mf.Name, fmt.Sprintf("does not match %s (sha256 %s, %d bytes; the manifest says %s, %d bytes)",
				BundleManifest, got, len(data), mf.SHA256, mf.Size)}
		}
	}
	contents = map[string][]byte{}
	for name, data := range files {
		switch {
		case name == BundleManifest:
		case !listed[name]:
			return app.Bundle{}, nil, nil, &BundleError{name, "is not listed in " + BundleManifest}
		case strings.HasPrefix(name, BundleEvidence):
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
		return app.Bundle{}, nil, nil, &BundleError{BundleManifest, fmt.Sprintf("names incident %s but %s holds %s", m.Incident, BundleIncident, b.Case.Incident.ID)}
	}
	return b, contents, files[BundleReport], nil
}

func readZipFile(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxBundleFile+1))
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return data, nil
}
