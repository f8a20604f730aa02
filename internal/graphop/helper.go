package graphop

import (
	"sync"
	"sync/atomic"
	"time"
)

// helper runs the chunks 1.. of a Batch's concurrent runs on one goroutine. The
// goroutines outlive their Batches: Release hands a Batch's helper to a process-wide
// pool of idle helpers (at most maxIdleHelpers; more are stopped) and NewBatch takes one
// from it and wakes it at once, so that it is running by the first evaluation: a helper
// started (or woken from a park) at the first evaluation began its chunk about 100 us
// after the caller on the VM we measured, and the caller, done first, parked and was
// woken as late (a 240 us stall at the start of each of N2's solves).
//
// After each run (or wake-up) the helper spins for a while (helperSpin) waiting for the
// next, and only then parks; the calling goroutine likewise spins for the helper's end
// (callerSpin) before it parks. Starting a goroutine
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
// return at once; the helper then spins again and the caller loops on its counter, so
// that is harmless.
type helper struct {
	chunks   int // of the Batch it serves
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

func newHelper() *helper {
	h := &helper{wake: make(chan struct{}, 1), finished: make(chan struct{}, 1)}
	go h.loop()
	return h
}

// maxIdleHelpers bounds the helpers kept for later Batches.
const maxIdleHelpers = 4

var idleHelpers struct {
	sync.Mutex
	free []*helper
}

// getHelper returns an idle helper (a new one if there is none) for a Batch of the given
// number of chunks, woken so that it spins for the Batch's first run.
func getHelper(chunks int) *helper {
	idleHelpers.Lock()
	var h *helper
	if n := len(idleHelpers.free); n > 0 {
		h = idleHelpers.free[n-1]
		idleHelpers.free[n-1] = nil
		idleHelpers.free = idleHelpers.free[:n-1]
	}
	idleHelpers.Unlock()
	if h == nil {
		h = newHelper()
	} else {
		h.prewake()
	}
	h.chunks = chunks
	return h
}

// putHelper hands an idle helper back (its Batch's runs have all returned); beyond
// maxIdleHelpers it is stopped.
func putHelper(h *helper) {
	idleHelpers.Lock()
	if len(idleHelpers.free) < maxIdleHelpers {
		idleHelpers.free = append(idleHelpers.free, h)
		h = nil
	}
	idleHelpers.Unlock()
	if h != nil {
		h.stop()
	}
}

// prewake wakes the helper if it is parked, without a run: it spins again (helperSpin)
// for the next run and parks after it.
func (h *helper) prewake() {
	if h.idle.Load() {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
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
			if !posted() {
				<-h.wake
			}
			h.idle.Store(false)
			if !posted() {
				continue // woken without a run (prewake, or a stale token): spin again
			}
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
	for c := 1; c < h.chunks; c++ {
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
