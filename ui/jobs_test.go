package ui

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// newBareUI is a UI with no window, for testing the job machinery alone.
func newBareUI() (*UI, *uiLoop) {
	loop := newUILoop()
	ctx, cancel := context.WithCancel(context.Background())
	return &UI{ctx: ctx, cancel: cancel, do: loop.post}, loop
}

// runUntil drains the loop until cond holds.
func runUntil(t *testing.T, loop *uiLoop, cond func() bool) {
	t.Helper()
	poll(t, loop, 5*time.Second, cond, "the jobs never got there")
}

func TestJobs(t *testing.T) {
	t.Run("a newer read supersedes an older one", func(t *testing.T) {
		u, loop := newBareUI()
		j := u.newJobs()
		release := make(chan struct{})
		oldCancelled := make(chan bool, 1)
		var applied []string
		j.read("k", func(ctx context.Context) func() {
			<-release
			oldCancelled <- ctx.Err() != nil
			return func() { applied = append(applied, "old") }
		})
		j.read("k", func(ctx context.Context) func() {
			return func() { applied = append(applied, "new") }
		})
		runUntil(t, loop, func() bool { return len(applied) == 1 })
		close(release)
		assert.True(t, <-oldCancelled, "the older read's context was not cancelled")
		u.wg.Wait()
		loop.drain()
		assert.Equal(t, []string{"new"}, applied)
	})

	t.Run("reads stop when the screen is left, writes finish", func(t *testing.T) {
		u, loop := newBareUI()
		j := u.newJobs()
		release := make(chan struct{})
		var applied []string
		j.read("k", func(ctx context.Context) func() {
			<-release
			return func() { applied = append(applied, "read") }
		})
		j.write(func(ctx context.Context) func() {
			<-release
			return func() { applied = append(applied, "write") }
		})
		j.leave()
		close(release)
		u.wg.Wait()
		loop.drain()
		assert.Equal(t, []string{"write"}, applied)
	})

	t.Run("writes run and apply in the order asked", func(t *testing.T) {
		u, loop := newBareUI()
		j := u.newJobs()
		var ran, applied []int
		ranCh := make(chan int, 10)
		for i := range 5 {
			j.write(func(ctx context.Context) func() {
				// The first write is the slowest: order must still hold.
				if i == 0 {
					time.Sleep(20 * time.Millisecond)
				}
				ranCh <- i
				return func() { applied = append(applied, i) }
			})
		}
		u.wg.Wait()
		close(ranCh)
		for i := range ranCh {
			ran = append(ran, i)
		}
		loop.drain()
		assert.Equal(t, []int{0, 1, 2, 3, 4}, ran)
		assert.Equal(t, []int{0, 1, 2, 3, 4}, applied)
	})

	t.Run("closing cancels writes and drops their results", func(t *testing.T) {
		u, loop := newBareUI()
		j := u.newJobs()
		sawCancel := make(chan bool, 1)
		applied := false
		j.write(func(ctx context.Context) func() {
			<-ctx.Done()
			sawCancel <- true
			return func() { applied = true }
		})
		u.Close()
		assert.True(t, <-sawCancel)
		loop.drain()
		assert.False(t, applied)
		// After close, new work is not even started.
		started := false
		j.read("k", func(context.Context) func() { started = true; return nil })
		j.write(func(context.Context) func() { started = true; return nil })
		u.wg.Wait()
		assert.False(t, started)
	})
}

func TestAProgressReportThatComesTooSoonIsShownLaterNotDropped(t *testing.T) {
	_, loop := newBareUI()
	var shown []int
	send, stop := throttle(loop.post, 50*time.Millisecond, func(v int) { shown = append(shown, v) })
	for i := 1; i <= 5; i++ {
		send(i) // all before the UI goroutine gets its turn
	}
	loop.drain()
	assert.Equal(t, []int{5}, shown, "one update, with the latest report")

	// Within the interval after an update, a report waits for its turn
	// instead of being dropped.
	send(6)
	loop.drain()
	assert.Equal(t, []int{5}, shown, "too soon: not shown yet")
	runUntil(t, loop, func() bool { return shown[len(shown)-1] == 6 })

	// After stop (the job is about to show its result) nothing more is
	// shown, even a report already waiting for its turn.
	send(7)
	stop()
	send(8)
	time.Sleep(120 * time.Millisecond)
	loop.drain()
	assert.Equal(t, []int{5, 6}, shown)
}
