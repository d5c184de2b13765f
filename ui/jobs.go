package ui

import (
	"context"
	"sync"
	"time"
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

// progressEvery is how often a job's progress is shown at most: faster
// reports would spend the UI goroutine on redrawing a status line.
const progressEvery = 100 * time.Millisecond

// throttle hands a job's progress reports to show on the UI goroutine,
// at most once per every, and never drops the latest: a report that comes
// too soon is kept and shown when its turn comes (dropping it instead left
// the pane showing "1 of 12" while five files were copied and the rest
// were slow to come). send is called from the job's goroutines; the job
// calls stop before it returns its result, so no late report overwrites
// the result on screen.
func throttle[T any](do func(func()), every time.Duration, show func(T)) (send func(T), stop func()) {
	var (
		mu      sync.Mutex
		latest  T
		queued  bool
		stopped bool
		last    time.Time
	)
	flush := func() {
		do(func() {
			mu.Lock()
			v, skip := latest, stopped
			queued, last = false, time.Now()
			mu.Unlock()
			if !skip {
				show(v)
			}
		})
	}
	send = func(v T) {
		mu.Lock()
		defer mu.Unlock()
		latest = v
		if queued || stopped {
			return
		}
		queued = true
		if wait := every - time.Since(last); wait > 0 {
			time.AfterFunc(wait, flush)
			return
		}
		flush()
	}
	stop = func() {
		mu.Lock()
		stopped = true
		mu.Unlock()
	}
	return send, stop
}
