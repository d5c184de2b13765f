package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's on-disk meta page, as go.etcd.io/bbolt lays it out (internal/common
// page.go and meta.go): a 16-byte page header, then magic, version, page
// size, flags, the root bucket (page id, sequence), the freelist page id,
// the high-water mark (pages in use), the transaction id and an FNV-64a
// checksum of everything before it; in the machine's byte order. The first
// meta page is at offset 0, the second one page further.
const (
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	boltPageHeader  = 16
	boltMetaSize    = 64 // magic .. checksum
	boltChecksumOff = 56 // within the meta, after txid
)

type boltMeta struct {
	pageSize uint32
	pages    uint64 // high-water mark: the file holds at least pages*pageSize bytes
	txid     uint64
}

// parseBoltMeta decodes the meta at the start of a page; ok is false when
// the magic, version or checksum does not match.
func parseBoltMeta(page []byte) (boltMeta, bool) {
	if len(page) < boltPageHeader+boltMetaSize {
		return boltMeta{}, false
	}
	m := page[boltPageHeader : boltPageHeader+boltMetaSize]
	ne := binary.NativeEndian
	if ne.Uint32(m[0:]) != boltMagic || ne.Uint32(m[4:]) != boltVersion {
		return boltMeta{}, false
	}
	h := fnv.New64a()
	h.Write(m[:boltChecksumOff])
	if h.Sum64() != ne.Uint64(m[boltChecksumOff:]) {
		return boltMeta{}, false
	}
	return boltMeta{pageSize: ne.Uint32(m[8:]), pages: ne.Uint64(m[40:]), txid: ne.Uint64(m[48:])}, true
}

// errNotOurs marks a file Open must leave alone: it is not a bbolt file.
var errNotOurs = errors.New("not an S3 Responder database (nor any bbolt database): check the --db path or S3RESPONDER_DB; the file was left untouched")

// checkFile looks at an existing file before anything opens it for
// writing, so that a file we do not recognise is never changed (not even
// its mode) and a truncated database is refused before bbolt maps pages
// past the end of the file, which crashes the process (SIGBUS) or lets a
// write succeed over a file whose later reads fail. A missing file
// (exists=false) or an empty one is fine: bbolt initialises it.
func checkFile(path string) (exists bool, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if fi.IsDir() {
		return false, errors.New("it is a directory, not a database file; the folder was left untouched")
	}
	if !fi.Mode().IsRegular() {
		return false, errors.New("it is not a regular file (a device, pipe or socket); it was left untouched")
	}
	if fi.Size() == 0 {
		return true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	first := make([]byte, 4096)
	n, err := io.ReadFull(f, first)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, err
	}
	// The newest valid meta page says how big the file must be. The first
	// one may be torn by a crash, so bbolt's fallback is followed: look for
	// the second at each page size it allows.
	best, found := parseBoltMeta(first[:n])
	for shift := 0; shift <= 14; shift++ {
		off := int64(1024) << shift
		if found && off != int64(best.pageSize) {
			continue
		}
		if off >= fi.Size() {
			break
		}
		page := make([]byte, boltPageHeader+boltMetaSize)
		if _, err := f.ReadAt(page, off); err != nil {
			continue
		}
		if m, ok := parseBoltMeta(page); ok && (!found || m.txid > best.txid) {
			best, found = m, true
		}
	}
	if !found {
		return true, errNotOurs
	}
	if need := best.pages * uint64(best.pageSize); uint64(fi.Size()) < need {
		return true, fmt.Errorf("the file is truncated: it is %d bytes, but its last saved transaction needs %d (%d pages of %d bytes); it was left untouched. Restore it from a backup (copy the backup over it), or move it aside to start a new database", fi.Size(), need, best.pages, best.pageSize)
	}
	return true, nil
}
