package trail

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDistinctObjectsAreExactUpTo512AndEstimatedBeyond(t *testing.T) {
	var d distinct
	n, est := d.count()
	assert.Equal(t, int64(0), n)
	assert.False(t, est)
	for i := range exactLimit {
		d.add(objectHash("b", fmt.Sprint(i)))
		d.add(objectHash("b", fmt.Sprint(i)))
	}
	n, est = d.count()
	assert.Equal(t, int64(exactLimit), n, "512 objects read twice each are 512")
	assert.False(t, est)
	assert.Equal(t, int64(exactLimit*20), d.size())

	d.add(objectHash("b", "one more"))
	n, est = d.count()
	assert.True(t, est, "the 513th switches to the sketch")
	assert.InDelta(t, exactLimit+1, n, 15)
	assert.Equal(t, int64(hllM), d.size())

	for i := range 100_000 {
		d.add(objectHash("b", fmt.Sprint("k", i)))
	}
	n, _ = d.count()
	assert.InDelta(t, 100_513, n, 100_513*0.03, "within a few percent")
}

func TestDistinctCountsMergeLikeOneCount(t *testing.T) {
	// Small and large counts, merged either way round, give the count of
	// the union.
	fill := func(from, to int) *distinct {
		d := &distinct{}
		for i := from; i < to; i++ {
			d.add(objectHash("b", fmt.Sprint(i)))
		}
		return d
	}
	whole := fill(0, 5000)
	want, _ := whole.count()
	for _, split := range []int{10, 400, 2500, 4990} {
		a, b := fill(0, split), fill(split-5, 5000)
		a.merge(b)
		got, est := a.count()
		assert.True(t, est)
		assert.Equal(t, want, got, "split at %d", split)
		c, d := fill(0, split), fill(split-5, 5000)
		d.merge(c)
		got, _ = d.count()
		assert.Equal(t, want, got, "reversed, split at %d", split)
	}
	small := fill(0, 100)
	small.merge(fill(50, 150))
	n, est := small.count()
	assert.Equal(t, int64(150), n)
	assert.False(t, est)
}
