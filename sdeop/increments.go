package sdeop

import (
	"runtime"
	"sync"
)

// prefetchMin is the Brownian dimension from which a solve computes the increments of
// the next steps on a second goroutine while it steps (when GOMAXPROCS > 1): a query
// then costs tens of microseconds, far more than the hand-off.
const prefetchMin = 1024

// prefetchBytes bounds the memory of one batch of prefetched increments; batches of
// several steps make one goroutine hand-off serve several steps.
const prefetchBytes = 128 << 10

// incStream hands out the Brownian increments of a sequence of intervals in order,
// computing them ahead on another goroutine when that pays: in batches of steps, two
// batches in flight (one filled while the other is used). The numbers do not depend on
// it: the path is a function of its seed, and the queries keep their order.
type incStream struct {
	fill  func(dw, hh []float64, k int)
	count int
	k     int
	B     int               // steps per batch
	bufs  [2][][2][]float64 // two batches of B (increment, Levy area) buffers
	cur   int               // batch in use (async), -1 before the first
	pos   int               // next buffer of the batch in use
	async bool
	free  chan int
	ready chan int
	done  chan struct{}
	wg    sync.WaitGroup
}

// newIncStream streams count increments of dimension n (and Levy areas with levy);
// fill(dw, hh, k) computes the k-th.
func newIncStream(n int, levy bool, count int, fill func(dw, hh []float64, k int)) *incStream {
	s := &incStream{fill: fill, count: count, cur: -1, B: 1}
	s.async = n >= prefetchMin && count > 1 && runtime.GOMAXPROCS(0) > 1
	if s.async {
		s.B = max(1, min(8, prefetchBytes/(8*n)))
	}
	nb := 1
	if s.async {
		nb = 2
	}
	for b := 0; b < nb; b++ {
		for j := 0; j < s.B; j++ {
			var buf [2][]float64
			buf[0] = make([]float64, n)
			if levy {
				buf[1] = make([]float64, n)
			}
			s.bufs[b] = append(s.bufs[b], buf)
		}
	}
	if !s.async {
		return s
	}
	s.free = make(chan int, 2)
	s.ready = make(chan int, 2)
	s.done = make(chan struct{})
	s.free <- 0
	s.free <- 1
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for k := 0; k < count; k += s.B {
			var b int
			select {
			case b = <-s.free:
			case <-s.done:
				return
			}
			for j := 0; j < s.B && k+j < count; j++ {
				buf := s.bufs[b][j]
				s.fill(buf[0], buf[1], k+j)
			}
			select {
			case s.ready <- b:
			case <-s.done:
				return
			}
		}
	}()
	return s
}

// next returns the next increment (and Levy area, or nil); the slices stay valid until
// the following call.
func (s *incStream) next() (dw, hh []float64) {
	if !s.async {
		b := s.bufs[0][0]
		s.fill(b[0], b[1], s.k)
		s.k++
		return b[0], b[1]
	}
	if s.cur < 0 || s.pos == s.B {
		if s.cur >= 0 {
			s.free <- s.cur
		}
		s.cur, s.pos = <-s.ready, 0
	}
	b := s.bufs[s.cur][s.pos]
	s.pos++
	return b[0], b[1]
}

// stop ends the producer (a second call does nothing); the stream is unusable
// afterwards.
func (s *incStream) stop() {
	if s.async {
		close(s.done)
		s.wg.Wait()
		s.async = false
	}
}
