package graphop

import (
	"sync/atomic"
	"time"
)

// helper runs the chunks 1.. of a Batch's concurrent runs on one goroutine that lives
// from the Batch's first concurrent run to its Release. After each run it spins for a
// while (helperSpin) waiting for the next, and only then parks; the calling goroutine
// likewise spins for the helper's end (callerSpin) before it parks. Starting a goroutine
// per evaluation and waiting on a WaitGroup cost two thread wake-ups (futex) per
// evaluation, about 50 us on the VM we measured: with N2's 52 evaluations of 0.5 ms, 9%
// of a forward + adjoint run, more than the speed-up of the split.
//
// The hand-offs are lock-free: the caller publishes the work and increments post; the
// helper runs it, stores the run's number in done. Each side that parks first raises its
// flag (idle, waiting) and then looks at the other side's counter once more; the other
// side stores its counter and then looks at the flag, sending a wake-up token when it is
// raised (sequentially consistent atomics: one of the two sees the other). A token that
// arrives after its sleeper saw the counter stays in the channel and makes a later park
// return at once; every park loops on its counter, so that is harmless.
type helper struct {
	b        *Batch
	work     func(c int)
	post     atomic.Uint32 // runs posted
	done     atomic.Uint32 // runs finished
	idle     atomic.Bool   // the helper is parked or about to park
	waiting  atomic.Bool   // the caller is parked or about to park
	wake     chan struct{} // tokens for the helper
	finished chan struct{} // tokens for the caller
	quit     bool          // the posted run is the last: stop
	panicked any           // what a chunk panicked with, re-raised on the caller
}

const (
	helperSpin = 200 * time.Microsecond // longer than a solver's work between evaluations
	callerSpin = 100 * time.Microsecond // the chunks are equal halves: the wait is short
)

func newHelper(b *Batch) *helper {
	h := &helper{b: b, wake: make(chan struct{}, 1), finished: make(chan struct{}, 1)}
	go h.loop()
	return h
}

// spin reports whether cond became true within d, polling it.
func spin(cond func() bool, d time.Duration) bool {
	var start time.Time
	for i := 0; ; i++ {
		if cond() {
			return true
		}
		if i&255 == 0 {
			if i == 0 {
				start = time.Now()
			} else if time.Since(start) > d {
				return false
			}
		}
	}
}

func (h *helper) loop() {
	seen := uint32(0)
	posted := func() bool { return h.post.Load() != seen }
	for {
		if !spin(posted, helperSpin) {
			h.idle.Store(true)
			for !posted() {
				<-h.wake
			}
			h.idle.Store(false)
		}
		seen = h.post.Load()
		quit := h.quit
		if !quit {
			h.runChunks()
		}
		h.done.Store(seen)
		if h.waiting.Load() {
			select {
			case h.finished <- struct{}{}:
			default:
			}
		}
		if quit {
			return
		}
	}
}

// runChunks runs the posted work on the chunks 1.., keeping a panic for the caller.
func (h *helper) runChunks() {
	defer func() {
		if r := recover(); r != nil {
			h.panicked = r
		}
	}()
	for c := 1; c < len(h.b.evs); c++ {
		h.work(c)
	}
}

// run runs work on chunk 0 here and on the others on the helper, and returns when both
// are done; a panic of the helper's chunks is raised here.
func (h *helper) run(work func(c int)) {
	h.work = work
	n := h.postRun()
	var p any
	func() {
		defer func() { p = recover() }()
		work(0)
	}()
	h.wait(n)
	h.work = nil
	if p == nil {
		p, h.panicked = h.panicked, nil
	}
	if p != nil {
		panic(p)
	}
}

// wait returns when the helper has finished run n.
func (h *helper) wait(n uint32) {
	finished := func() bool { return h.done.Load() == n }
	if spin(finished, callerSpin) {
		return
	}
	h.waiting.Store(true)
	for !finished() {
		<-h.finished
	}
	h.waiting.Store(false)
}

// stop ends the helper goroutine and waits for it.
func (h *helper) stop() {
	h.quit = true
	h.wait(h.postRun())
}

// postRun publishes a run (what the caller wrote before it becomes visible to the helper
// with it), wakes the helper if it parked, and returns the run's number.
func (h *helper) postRun() uint32 {
	n := h.post.Add(1)
	if h.idle.Load() {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
	return n
}
