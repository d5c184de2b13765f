package ui

import (
	"context"
)

// jobs is the background work one screen started. All its methods are
// called on the UI goroutine; the work itself runs on other goroutines and
// returns a function that applies its result to the widgets, which jobs
// hands back to the UI goroutine.
//
// Reads are keyed: a newer read with the same key supersedes the older one
// (its context is cancelled and its result dropped), so a slow list load can
// never overwrite a newer one. Reads stop when the screen is left.
//
// Writes run one after the other in the order they were asked for, so two
// quick ticks reach the store, and come back, in order. They are not stopped
// by leaving the screen (what the user asked to save gets saved), only by
// closing the window.
type jobs struct {
	u *UI

	reads     map[string]context.CancelFunc
	gen       map[string]uint64
	lastWrite chan struct{}
	left      bool
}

func (u *UI) newJobs() *jobs {
	return &jobs{
		u:     u,
		reads: map[string]context.CancelFunc{},
		gen:   map[string]uint64{},
	}
}

// read starts work under key, cancelling an earlier read with the same key.
// apply (the function work returns, may be nil) runs on the UI goroutine
// unless the read was superseded, the screen was left or the window closed.
func (j *jobs) read(key string, work func(ctx context.Context) (apply func())) {
	if j.left || j.u.ctx.Err() != nil {
		return
	}
	if cancel := j.reads[key]; cancel != nil {
		cancel()
	}
	ctx, cancel := context.WithCancel(j.u.ctx)
	j.reads[key] = cancel
	j.gen[key]++
	gen := j.gen[key]
	j.u.wg.Add(1)
	go func() {
		defer j.u.wg.Done()
		defer cancel()
		apply := work(ctx)
		if apply == nil {
			return
		}
		j.u.do(func() {
			if j.left || j.gen[key] != gen || j.u.ctx.Err() != nil {
				return
			}
			apply()
		})
	}()
}

// write queues work behind the screen's earlier writes. apply runs on the
// UI goroutine unless the window was closed meanwhile.
func (j *jobs) write(work func(ctx context.Context) (apply func())) {
	if j.u.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(j.u.ctx)
	prev := j.lastWrite
	done := make(chan struct{})
	j.lastWrite = done
	j.u.wg.Add(1)
	go func() {
		defer j.u.wg.Done()
		defer close(done)
		defer cancel()
		if prev != nil {
			select {
			case <-prev:
			case <-ctx.Done():
				return
			}
		}
		apply := work(ctx)
		if apply == nil {
			return
		}
		j.u.do(func() {
			if j.u.ctx.Err() == nil {
				apply()
			}
		})
	}()
}

// leave cancels the screen's reads and drops their results.
func (j *jobs) leave() {
	j.left = true
	for _, cancel := range j.reads {
		cancel()
	}
}
