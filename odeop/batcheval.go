package odeop

import (
	"runtime"
	"sync"
)

// parallelWork is the estimated work of one evaluation (batch x parameters, about the
// multiply-adds of a dense network) above which the batch is split in two halves that
// run on two goroutines. Below it, goroutine hand-off costs more than it saves.
const parallelWork = 1 << 17

// batchEval evaluates a Dynamics on a whole batch, optionally split by rows into chunks
// with an Evaluator each. The split depends only on the problem size, never on the number
// of CPUs, so parameter gradients (summed over chunks in a fixed order) are bit-identical
// whether the chunks run concurrently or not.
type batchEval struct {
	evs    []Evaluator
	lo     []int // first flat index of each chunk
	hi     []int
	p      int         // number of parameters
	parts  [][]float64 // per-chunk parameter gradients (chunks > 1)
	concur bool
	wg     sync.WaitGroup
}

func newBatchEval(f Dynamics, theta [][]float64, batch, dim int) (*batchEval, error) {
	p := 0
	for _, th := range theta {
		p += len(th)
	}
	b := &batchEval{p: p}
	chunks := 1
	if batch >= 2 && batch*max(p, dim) >= parallelWork {
		chunks = 2
	}
	rows := 0
	for c := 0; c < chunks; c++ {
		nb := batch / chunks
		if c < batch%chunks {
			nb++
		}
		ev, err := f.Bind(theta, nb, dim)
		if err != nil {
			return nil, err
		}
		b.evs = append(b.evs, ev)
		b.lo = append(b.lo, rows*dim)
		rows += nb
		b.hi = append(b.hi, rows*dim)
		if chunks > 1 {
			b.parts = append(b.parts, make([]float64, p))
		}
	}
	b.concur = chunks > 1 && runtime.GOMAXPROCS(0) > 1
	return b, nil
}

// release hands Evaluators that implement Releaser back to their Dynamics.
func (b *batchEval) release() {
	for _, ev := range b.evs {
		if r, ok := ev.(Releaser); ok {
			r.Release()
		}
	}
	b.evs = nil
}

// eval is a Func over the whole batch.
func (b *batchEval) eval(t float64, z, dz []float64) {
	if len(b.evs) == 1 {
		b.evs[0].Eval(dz, t, z)
		return
	}
	b.run(func(c int) {
		lo, hi := b.lo[c], b.hi[c]
		b.evs[c].Eval(dz[lo:hi], t, z[lo:hi])
	})
}

// vjp is Evaluator.VJP over the whole batch.
func (b *batchEval) vjp(f, dz, dtheta []float64, t float64, z, a []float64) {
	if len(b.evs) == 1 {
		b.evs[0].VJP(f, dz, dtheta, t, z, a)
		return
	}
	b.run(func(c int) {
		lo, hi := b.lo[c], b.hi[c]
		var fc, dzc, dth []float64
		if f != nil {
			fc = f[lo:hi]
		}
		if dz != nil {
			dzc = dz[lo:hi]
		}
		if dtheta != nil {
			dth = b.parts[c]
		}
		b.evs[c].VJP(fc, dzc, dth, t, z[lo:hi], a[lo:hi])
	})
	if dtheta != nil {
		copy(dtheta, b.parts[0])
		for c := 1; c < len(b.parts); c++ {
			for i, v := range b.parts[c] {
				dtheta[i] += v
			}
		}
	}
}

func (b *batchEval) run(work func(c int)) {
	if !b.concur {
		for c := range b.evs {
			work(c)
		}
		return
	}
	b.wg.Add(len(b.evs) - 1)
	for c := 1; c < len(b.evs); c++ {
		go func(c int) {
			defer b.wg.Done()
			work(c)
		}(c)
	}
	work(0)
	b.wg.Wait()
}
