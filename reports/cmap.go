package reports

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// cmap answers "does this TrueType font have a glyph for r?". gofpdf
// cannot tell (it substitutes a default width for a missing glyph), and the
// x/image sfnt parser would pull in another module, so this reads the
// font's character map directly: format 4 (the Basic Multilingual Plane)
// and format 12 (all planes), which is what TrueType fonts carry.
type cmap struct {
	data []byte
	// format 4 subtable offset, or format 12 subtable offset; one is set.
	f4, f12 int
}

func parseCmap(ttf []byte) (*cmap, error) {
	u16 := func(off int) (int, error) {
		if off < 0 || off+2 > len(ttf) {
			return 0, errors.New("truncated font")
		}
		return int(binary.BigEndian.Uint16(ttf[off:])), nil
	}
	u32 := func(off int) (int, error) {
		if off < 0 || off+4 > len(ttf) {
			return 0, errors.New("truncated font")
		}
		return int(binary.BigEndian.Uint32(ttf[off:])), nil
	}
	numTables, err := u16(4)
	if err != nil {
		return nil, err
	}
	table := -1
	for i := 0; i < numTables; i++ {
		rec := 12 + 16*i
		if rec+16 > len(ttf) {
			return nil, errors.New("truncated table directory")
		}
		if string(ttf[rec:rec+4]) == "cmap" {
			if table, err = u32(rec + 8); err != nil {
				return nil, err
			}
			break
		}
	}
	if table < 0 {
		return nil, errors.New("no cmap table")
	}
	n, err := u16(table + 2)
	if err != nil {
		return nil, err
	}
	c := &cmap{data: ttf, f4: -1, f12: -1}
	for i := 0; i < n; i++ {
		rec := table + 4 + 8*i
		platform, err1 := u16(rec)
		encoding, err2 := u16(rec + 2)
		off, err3 := u32(rec + 4)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, err
		}
		unicode := platform == 0 || (platform == 3 && (encoding == 1 || encoding == 10))
		if !unicode {
			continue
		}
		format, err := u16(table + off)
		if err != nil {
			return nil, err
		}
		switch format {
		case 4:
			c.f4 = table + off
		case 12:
			c.f12 = table + off
		}
	}
	if c.f4 < 0 && c.f12 < 0 {
		return nil, fmt.Errorf("no Unicode character map of format 4 or 12")
	}
	return c, nil
}

func (c *cmap) u16(off int) int {
	if off < 0 || off+2 > len(c.data) {
		return 0
	}
	return int(binary.BigEndian.Uint16(c.data[off:]))
}

func (c *cmap) u32(off int) int {
	if off < 0 || off+4 > len(c.data) {
		return 0
	}
	return int(binary.BigEndian.Uint32(c.data[off:]))
}

// has reports whether the font maps r to a real glyph (not glyph 0).
func (c *cmap) has(r rune) bool {
	if c.f12 >= 0 {
		groups := c.u32(c.f12 + 12)
		lo, hi := 0, groups-1
		for lo <= hi {
			mid := (lo + hi) / 2
			g := c.f12 + 16 + 12*mid
			start, end := c.u32(g), c.u32(g+4)
			switch {
			case int(r) < start:
				hi = mid - 1
			case int(r) > end:
				lo = mid + 1
			default:
				return c.u32(g+8)+int(r)-start != 0
			}
		}
		return false
	}
	if r > 0xFFFF || r < 0 {
		return false
	}
	t := c.f4
	segs := c.u16(t+6) / 2
	ends := t + 14
	starts := ends + 2*segs + 2
	deltas := starts + 2*segs
	offsets := deltas + 2*segs
	ch := int(r)
	for i := 0; i < segs; i++ {
		if ch > c.u16(ends+2*i) {
			continue
		}
		start := c.u16(starts + 2*i)
		if ch < start {
			return false
		}
		delta := c.u16(deltas + 2*i)
		ro := c.u16(offsets + 2*i)
		if ro == 0 {
			return (ch+delta)&0xFFFF != 0
		}
		gid := c.u16(offsets + 2*i + ro + 2*(ch-start))
		if gid == 0 {
			return false
		}
		return (gid+delta)&0xFFFF != 0
	}
	return false
}
