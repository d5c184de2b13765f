// Command pecheck checks a Windows release executable on a machine that
// cannot run it: an x86-64 PE file for the GUI subsystem (no console
// window when started from Explorer), with an icon and a version resource
// whose file version is the release's, Go build information saying it was
// built for Windows with cgo, and the value stamped with -X (the commit).
// scripts/release.sh runs it on the cross-built .exe.
//
//	go run ./scripts/pecheck -version 0.2.0 s3responder.exe
package main

import (
	"bytes"
	"debug/buildinfo"
	"debug/pe"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Resource types (winuser.h).
const (
	rtGroupIcon = 14
	rtVersion   = 16
)

func main() {
	version := flag.String("version", "", "the release version the executable must carry (x.y.z)")
	stamp := flag.String("stamp", "", "a string the build stamped with -X that must be in the file (the full commit)")
	flag.Parse()
	if flag.NArg() != 1 || *version == "" {
		fmt.Fprintln(os.Stderr, "usage: pecheck -version X.Y.Z FILE.exe")
		os.Exit(2)
	}
	facts, err := check(flag.Arg(0), *version, *stamp)
	for _, f := range facts {
		fmt.Println("pecheck:", f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pecheck: FAIL:", err)
		os.Exit(1)
	}
}

// check returns what it verified, one fact a line, and the first problem.
func check(path, version, stamp string) (facts []string, err error) {
	f, err := pe.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		return facts, fmt.Errorf("machine %#x, want x86-64", f.Machine)
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		return facts, errors.New("not a PE32+ (64-bit) image")
	}
	facts = append(facts, "PE32+ x86-64 image")
	if oh.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		return facts, fmt.Errorf("subsystem %d, want %d (Windows GUI): built without -H=windowsgui, it would open a console window", oh.Subsystem, pe.IMAGE_SUBSYSTEM_WINDOWS_GUI)
	}
	facts = append(facts, "subsystem: Windows GUI")

	res, err := resources(f)
	if err != nil {
		return facts, err
	}
	if _, ok := res[rtGroupIcon]; !ok {
		return facts, errors.New("no icon resource")
	}
	facts = append(facts, "icon resource present")
	vi, ok := res[rtVersion]
	if !ok {
		return facts, errors.New("no version resource")
	}
	fv, err := fileVersion(vi)
	if err != nil {
		return facts, err
	}
	if !strings.HasPrefix(fv+".", version+".") {
		return facts, fmt.Errorf("version resource says %s, want %s", fv, version)
	}
	facts = append(facts, "version resource: file version "+fv)

	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return facts, fmt.Errorf("reading the Go build information: %w", err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["GOOS"] != "windows" || settings["CGO_ENABLED"] != "1" {
		return facts, fmt.Errorf("built with GOOS=%s CGO_ENABLED=%s, want windows and 1", settings["GOOS"], settings["CGO_ENABLED"])
	}
	facts = append(facts, fmt.Sprintf("Go %s, GOOS=windows, cgo", bi.GoVersion))
	// -trimpath keeps -ldflags out of the build information, so look for
	// a value the release stamped with -X (the full commit) in the file.
	if stamp != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return facts, err
		}
		if !bytes.Contains(b, []byte(stamp)) {
			return facts, fmt.Errorf("%q, stamped with -X, is not in the file", stamp)
		}
		facts = append(facts, "stamped with "+stamp)
	}
	return facts, nil
}

// resources returns the data of the first resource of each type in the
// .rsrc section (type → name → language → data, as Windows lays it out).
func resources(f *pe.File) (map[uint32][]byte, error) {
	s := f.Section(".rsrc")
	if s == nil {
		return nil, errors.New("no .rsrc section: the executable has no resources (icon, version)")
	}
	data, err := s.Data()
	if err != nil {
		return nil, fmt.Errorf(".rsrc: %w", err)
	}
	return parseResources(data, s.VirtualAddress)
}

// parseResources reads a .rsrc section's bytes, loaded at virtual address
// va (data entries point at their data by address).
func parseResources(data []byte, va uint32) (map[uint32][]byte, error) {
	types, err := directory(data, 0)
	if err != nil {
		return nil, err
	}
	out := map[uint32][]byte{}
	for id, off := range types {
		// Two levels down (name, then language) to the data entry.
		for level := 0; level < 2; level++ {
			if off&0x80000000 == 0 {
				return nil, fmt.Errorf("resource type %d: malformed directory", id)
			}
			sub, err := directory(data, off&0x7fffffff)
			if err != nil {
				return nil, err
			}
			off = first(sub)
		}
		if off&0x80000000 != 0 || int(off)+16 > len(data) {
			return nil, fmt.Errorf("resource type %d: malformed data entry", id)
		}
		rva := binary.LittleEndian.Uint32(data[off:])
		size := binary.LittleEndian.Uint32(data[off+4:])
		start := int64(rva) - int64(va)
		if start < 0 || start+int64(size) > int64(len(data)) {
			return nil, fmt.Errorf("resource type %d: data outside .rsrc", id)
		}
		out[id] = data[start : start+int64(size)]
	}
	return out, nil
}

// directory reads an IMAGE_RESOURCE_DIRECTORY at off and returns its
// entries by id (named entries get ids above 0xffff, which no type we
// look for has) with their offsets.
func directory(data []byte, off uint32) (map[uint32]uint32, error) {
	if int(off)+16 > len(data) {
		return nil, io.ErrUnexpectedEOF
	}
	n := int(binary.LittleEndian.Uint16(data[off+12:])) + int(binary.LittleEndian.Uint16(data[off+14:]))
	entries := map[uint32]uint32{}
	for i := 0; i < n; i++ {
		e := int(off) + 16 + 8*i
		if e+8 > len(data) {
			return nil, io.ErrUnexpectedEOF
		}
		entries[binary.LittleEndian.Uint32(data[e:])] = binary.LittleEndian.Uint32(data[e+4:])
	}
	return entries, nil
}

// first returns the offset of the entry with the lowest id.
func first(entries map[uint32]uint32) uint32 {
	var best uint32
	lowest := ^uint32(0)
	for id, off := range entries {
		if id <= lowest {
			lowest, best = id, off
		}
	}
	return best
}

// fileVersion reads the file version of a VS_VERSIONINFO block from its
// VS_FIXEDFILEINFO, found by its signature.
func fileVersion(vi []byte) (string, error) {
	sig := []byte{0xbd, 0x04, 0xef, 0xfe}
	i := strings.Index(string(vi), string(sig))
	if i < 0 || i+16 > len(vi) {
		return "", errors.New("version resource without VS_FIXEDFILEINFO")
	}
	ms := binary.LittleEndian.Uint32(vi[i+8:])
	ls := binary.LittleEndian.Uint32(vi[i+12:])
	return fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xffff, ls>>16, ls&0xffff), nil
}
