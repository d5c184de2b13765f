package trail

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/klauspost/compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Inputs is what a list of paths expands to.
type Inputs struct {
	// Logs are the log files to analyse, sorted.
	Logs []string
	// Digests are the CloudTrail-Digest files found, sorted.
	Digests []string
	// Errors are paths that could not be listed or opened.
	Errors []FileError
	// Duplicates counts files left out because another path given names
	// the same file (resolved to an absolute path without links).
	Duplicates int
}

// IsDigestPath reports whether a path names a CloudTrail digest file, by its
// folder (CloudTrail-Digest) or its file name (_CloudTrail-Digest_).
func IsDigestPath(p string) bool {
	s := filepath.ToSlash(p)
	return strings.Contains(s, "/CloudTrail-Digest/") || strings.Contains(filepath.Base(p), "_CloudTrail-Digest_")
}

// isLogName reports whether a file found while walking a folder looks like a
// log file: .json or .json.gz, and not a hidden file (drives copied from a
// Mac carry "._" companions that are not JSON).
func isLogName(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".json.gz") || strings.HasSuffix(n, ".json")
}

// Expand turns files and folders into the log and digest files to read.
// Folders are walked recursively and only .json and .json.gz files are
// taken; a file named explicitly is always taken. A file reached twice
// (the same path given twice, "logs" and "./logs/", a folder and a file in
// it, a link to it) is taken once, under the first name it was reached by.
// Paths that cannot be read become errors, never a reason to stop.
func Expand(paths []string) Inputs {
	var in Inputs
	seen := map[string]bool{}
	addFile := func(p, real string) {
		if seen[real] {
			in.Duplicates++
			return
		}
		seen[real] = true
		if IsDigestPath(p) {
			in.Digests = append(in.Digests, p)
		} else {
			in.Logs = append(in.Logs, p)
		}
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			in.Errors = append(in.Errors, FileError{File: root, Reason: reason(err)})
			continue
		}
		realRoot := realPath(root)
		if !info.IsDir() {
			addFile(root, realRoot)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				in.Errors = append(in.Errors, FileError{File: p, Reason: reason(err)})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					return fs.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && isLogName(d.Name()) {
				// The walk does not follow links, so below the
				// root the path is already the real one.
				rel, err := filepath.Rel(root, p)
				if err != nil {
					rel = p
				}
				addFile(p, filepath.Join(realRoot, rel))
			}
			return nil
		})
		if err != nil {
			in.Errors = append(in.Errors, FileError{File: root, Reason: reason(err)})
		}
	}
	slices.Sort(in.Logs)
	slices.Sort(in.Digests)
	return in
}

// realPath is the absolute path of p with links resolved, or its cleaned
// absolute path when that fails.
func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// reason turns an error into words without repeating the path, which the
// FileError already names.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

// source opens log files and reuses its buffers and gzip reader from one
// file to the next; one per worker.
type source struct {
	br *bufio.Reader
	zr *gzip.Reader
}

// open returns a reader of the file's JSON, decompressing when the file
// starts with the gzip magic number (whatever its name says), and the
// file's size.
func (s *source) open(path string) (io.Reader, *os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%w: %s", ErrInput, reason(err))
	}
	var size int64
	if info, err := f.Stat(); err == nil {
		size = info.Size()
		if info.IsDir() {
			_ = f.Close()
			return nil, nil, 0, fmt.Errorf("%w: is a folder", ErrInput)
		}
	}
	if s.br == nil {
		s.br = bufio.NewReaderSize(f, 256<<10)
	} else {
		s.br.Reset(f)
	}
	magic, _ := s.br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		if s.zr == nil {
			s.zr, err = gzip.NewReader(s.br)
		} else {
			err = s.zr.Reset(s.br)
		}
		if err != nil {
			_ = f.Close()
			return nil, nil, size, fmt.Errorf("%w: gzip header: %v", ErrInput, err)
		}
		return s.zr, f, size, nil
	}
	return s.br, f, size, nil
}

func statSize(p string) (int64, error) {
	info, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}
