package sdeop

import (
	"runtime"
	"sync"

	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/odeop"
)

// ItoCorrector is an optional interface of an Evaluator bound from a diffusion Dynamics
// with diagonal noise. It supplies the Ito-Stratonovich drift correction
//
//	c(t, z) = 1/2 g(t, z) ⊙ diag(∂g/∂z)     (c_i = 1/2 g_i ∂g_i/∂z_i)
//
// and its vector-Jacobian products, which involve second derivatives of g and so cannot
// be had from Evaluator.VJP. The stochastic adjoint of an Ito SDE with diagonal noise
// (Li et al. 2020, section 3) solves the Stratonovich SDE with drift f - c backward and
// needs them; Solve reports an error naming the alternatives when the diffusion's
// Evaluator does not implement ItoCorrector.
//
// For g_i depending on z_i only (the usual meaning of diagonal noise, which Milstein
// and SRK also assume), c = 1/2 VJP_z(g, g).
type ItoCorrector interface {
	// ItoCorrection writes c(t, z) into dst.
	ItoCorrection(dst []float64, t float64, z []float64)
	// ItoCorrectionVJP computes, for a cotangent a of z's shape, c = c(t, z) (skipped
	// when nil), dz = a^T ∂c/∂z (skipped when nil) and dtheta = a^T ∂c/∂theta (flat,
	// summed over the batch as Evaluator.VJP; skipped when nil), overwriting them.
	ItoCorrectionVJP(c, dz, dtheta []float64, t float64, z, a []float64)
}

// nodeParallelWork is the estimated work of one evaluation (batch x parameters) above
// which the batch is split in two halves evaluated on two goroutines, as odeop does.
const nodeParallelWork = 1 << 17

// dynEval evaluates a Dynamics on a whole batch, optionally split by rows into chunks
// with an Evaluator each. The split depends only on the problem size, never on the
// number of CPUs, so parameter gradients (summed over chunks in a fixed order) are
// bit-identical whether the chunks run concurrently or not.
type dynEval struct {
	evs    []odeop.Evaluator
	lo, hi []int
	p      int
	parts  [][]float64
	concur bool
	wg     sync.WaitGroup
}

func newDynEval(f odeop.Dynamics, theta [][]float64, batch, dim int) (*dynEval, error) {
	p := 0
	for _, th := range theta {
		p += len(th)
	}
	b := &dynEval{p: p}
	chunks := 1
	if batch >= 2 && batch*max(p, dim) >= nodeParallelWork {
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
			b.release()
			return nil, errors.Wrapf(ErrSDE, "binding the dynamics: %v", err)
		}
		if ev == nil {
			b.release()
			return nil, errors.Wrap(ErrSDE, "binding the dynamics gave a nil Evaluator")
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

// release hands Evaluators that implement odeop.Releaser back to their Dynamics.
func (b *dynEval) release() {
	if b == nil {
		return
	}
	for _, ev := range b.evs {
		if r, ok := ev.(odeop.Releaser); ok {
			r.Release()
		}
	}
	b.evs = nil
}

// corrector reports whether every chunk's Evaluator implements ItoCorrector.
func (b *dynEval) corrector() bool {
	for _, ev := range b.evs {
		if _, ok := ev.(ItoCorrector); !ok {
			return false
		}
	}
	return true
}

func (b *dynEval) eval(dst []float64, t float64, z []float64) {
	if len(b.evs) == 1 {
		b.evs[0].Eval(dst, t, z)
		return
	}
	b.run(func(c int) {
		lo, hi := b.lo[c], b.hi[c]
		b.evs[c].Eval(dst[lo:hi], t, z[lo:hi])
	})
}

func (b *dynEval) vjp(f, dz, dtheta []float64, t float64, z, a []float64) {
	if len(b.evs) == 1 {
		b.evs[0].VJP(f, dz, dtheta, t, z, a)
		return
	}
	b.run(func(c int) {
		lo, hi := b.lo[c], b.hi[c]
		var th []float64
		if dtheta != nil {
			th = b.parts[c]
		}
		b.evs[c].VJP(sub(f, lo, hi), sub(dz, lo, hi), th, t, z[lo:hi], a[lo:hi])
	})
	b.sumParts(dtheta)
}

// corrVJP is ItoCorrector.ItoCorrectionVJP over the batch; the caller checked corrector.
func (b *dynEval) corrVJP(c, dz, dtheta []float64, t float64, z, a []float64) {
	if len(b.evs) == 1 {
		b.evs[0].(ItoCorrector).ItoCorrectionVJP(c, dz, dtheta, t, z, a)
		return
	}
	b.run(func(k int) {
		lo, hi := b.lo[k], b.hi[k]
		var th []float64
		if dtheta != nil {
			th = b.parts[k]
		}
		b.evs[k].(ItoCorrector).ItoCorrectionVJP(sub(c, lo, hi), sub(dz, lo, hi), th, t, z[lo:hi], a[lo:hi])
	})
	b.sumParts(dtheta)
}

func (b *dynEval) sumParts(dtheta []float64) {
	if dtheta == nil {
		return
	}
	copy(dtheta, b.parts[0])
	for c := 1; c < len(b.parts); c++ {
		for i, v := range b.parts[c] {
			dtheta[i] += v
		}
	}
}

func sub(s []float64, lo, hi int) []float64 {
	if s == nil {
		return nil
	}
	return s[lo:hi]
}

func (b *dynEval) run(work func(c int)) {
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
