package trail

import (
	"math"
	"math/bits"
)

// exactLimit is how many distinct hashes a counter keeps exactly before it
// switches to a HyperLogLog sketch. Small answers ("read 1,204 objects")
// stay exact; a principal that read millions of objects costs 4 KiB and is
// reported as an estimate, typically within 2%.
const exactLimit = 512

const hllP = 12
const hllM = 1 << hllP

// distinct counts distinct 64-bit hashes in bounded memory.
type distinct struct {
	exact map[uint64]struct{}
	hll   *[hllM]uint8
}

func (d *distinct) add(h uint64) {
	if d.hll != nil {
		hllAdd(d.hll, h)
		return
	}
	if d.exact == nil {
		d.exact = make(map[uint64]struct{}, 8)
	}
	d.exact[h] = struct{}{}
	if len(d.exact) > exactLimit {
		d.toSketch()
	}
}

func (d *distinct) toSketch() {
	d.hll = new([hllM]uint8)
	for h := range d.exact {
		hllAdd(d.hll, h)
	}
	d.exact = nil
}

func (d *distinct) merge(o *distinct) {
	if o.hll != nil {
		if d.hll == nil {
			d.toSketch()
		}
		for i, v := range o.hll {
			if v > d.hll[i] {
				d.hll[i] = v
			}
		}
		return
	}
	for h := range o.exact {
		d.add(h)
	}
}

// size estimates the bytes the counter holds, for the memory budget.
func (d *distinct) size() int64 {
	if d.hll != nil {
		return hllM
	}
	return int64(len(d.exact)) * 20
}

// count returns the number of distinct hashes seen and whether it is an
// estimate.
func (d *distinct) count() (int64, bool) {
	if d.hll == nil {
		return int64(len(d.exact)), false
	}
	return hllEstimate(d.hll), true
}

func hllAdd(r *[hllM]uint8, h uint64) {
	idx := h >> (64 - hllP)
	w := h<<hllP | 1<<(hllP-1)
	rho := uint8(bits.LeadingZeros64(w) + 1)
	if rho > r[idx] {
		r[idx] = rho
	}
}

func hllEstimate(r *[hllM]uint8) int64 {
	sum := 0.0
	zeros := 0
	for _, v := range r {
		sum += math.Ldexp(1, -int(v))
		if v == 0 {
			zeros++
		}
	}
	m := float64(hllM)
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int64(e + 0.5)
}
