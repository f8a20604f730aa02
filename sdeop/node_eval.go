package sdeop

import (
	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/graphop"
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

// dynEval evaluates a Dynamics on a whole batch: a graphop.Batch (chunks of rows with
// an Evaluator each, split by problem size only, so results are bit-identical on any
// number of CPUs) with the Ito correction of ItoCorrector on top.
type dynEval struct {
	*graphop.Batch
}

func newDynEval(f odeop.Dynamics, theta [][]float64, batch, dim int) (*dynEval, error) {
	bind := func(th [][]float64, nb, d int) (graphop.Evaluator, error) { return f.Bind(th, nb, d) }
	b, err := graphop.NewBatch(bind, theta, batch, dim)
	switch {
	case errors.Is(err, graphop.ErrNilEvaluator):
		return nil, errors.Wrap(ErrSDE, err.Error())
	case err != nil:
		return nil, errors.Wrapf(ErrSDE, "binding the dynamics: %v", err)
	}
	return &dynEval{b}, nil
}

// release hands Evaluators that implement odeop.Releaser back to their Dynamics; b may
// be nil (a dynamics the solve does not have).
func (b *dynEval) release() {
	if b != nil {
		b.Release()
	}
}

// corrector reports whether every chunk's Evaluator implements ItoCorrector.
func (b *dynEval) corrector() bool {
	for _, ev := range b.Evaluators() {
		if _, ok := ev.(ItoCorrector); !ok {
			return false
		}
	}
	return true
}

// corrVJP is ItoCorrector.ItoCorrectionVJP over the batch; the caller checked corrector.
func (b *dynEval) corrVJP(c, dz, dtheta []float64, t float64, z, a []float64) {
	if evs := b.Evaluators(); len(evs) == 1 {
		evs[0].(ItoCorrector).ItoCorrectionVJP(c, dz, dtheta, t, z, a)
		return
	}
	b.Split(dtheta, func(ev graphop.Evaluator, lo, hi int, th []float64) {
		ev.(ItoCorrector).ItoCorrectionVJP(sub(c, lo, hi), sub(dz, lo, hi), th, t, z[lo:hi], a[lo:hi])
	})
}

// sub is s[lo:hi], nil for nil s.
func sub(s []float64, lo, hi int) []float64 {
	if s == nil {
		return nil
	}
	return s[lo:hi]
}
