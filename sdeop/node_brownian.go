package sdeop

import (
	"runtime"
	"sync"
)

// prefetchMin is the Brownian dimension from which a solve computes the increments of
// the next steps on a second goroutine while it steps (when GOMAXPROCS > 1): a query
// then costs tens of microseconds, far more than the hand-off.
const prefetchMin = 1024

// incStream hands out the Brownian increments of a sequence of intervals in order,
// computing them ahead on another goroutine when that pays. The numbers do not depend
// on it: the path is a function of its seed, and the queries keep their order.
type incStream struct {
	fill  func(dw, hh []float64, k int)
	count int
	k     int
	bufs  [][2][]float64
	cur   int
	async bool
	free  chan int
	ready chan int
	done  chan struct{}
	wg    sync.WaitGroup
}

// newIncStream streams count increments of dimension n (and Levy areas with levy);
// fill(dw, hh, k) computes the k-th.
func newIncStream(n int, levy bool, count int, fill func(dw, hh []float64, k int)) *incStream {
	s := &incStream{fill: fill, count: count, cur: -1}
	s.async = n >= prefetchMin && count > 1 && runtime.GOMAXPROCS(0) > 1
	nb := 1
	if s.async {
		nb = 3
	}
	for i := 0; i < nb; i++ {
		var b [2][]float64
		b[0] = make([]float64, n)
		if levy {
			b[1] = make([]float64, n)
		}
		s.bufs = append(s.bufs, b)
	}
	if !s.async {
		return s
	}
	s.free = make(chan int, nb)
	s.ready = make(chan int, nb)
	s.done = make(chan struct{})
	for i := 0; i < nb; i++ {
		s.free <- i
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for k := 0; k < count; k++ {
			var b int
			select {
			case b = <-s.free:
			case <-s.done:
				return
			}
			s.fill(s.bufs[b][0], s.bufs[b][1], k)
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
		b := s.bufs[0]
		s.fill(b[0], b[1], s.k)
		s.k++
		return b[0], b[1]
	}
	if s.cur >= 0 {
		s.free <- s.cur
	}
	s.cur = <-s.ready
	b := s.bufs[s.cur]
	return b[0], b[1]
}

// stop ends the producer; the stream is unusable afterwards.
func (s *incStream) stop() {
	if s.async {
		close(s.done)
		s.wg.Wait()
	}
}
