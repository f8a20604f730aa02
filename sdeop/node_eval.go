package sdeop

import (
	"math"

	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/graphop"
	"github.com/continuum-ml/continuum/odeop"
)

// ItoCorrector is an optional interface of an Evaluator bound from a diffusion Dynamics
// with diagonal noise. It supplies the Ito-Stratonovich drift correction
//
//	c(t, z) = 1/2 g(t, z) ⊙ diag(∂g/∂z)     (c_i = 1/2 g_i ∂g_i/∂z_i)
//
// and its vector-Jacobian products, which involve second derivatives of g. The
// stochastic adjoint of an Ito SDE with diagonal noise (Li et al. 2020, section 3)
// solves the Stratonovich SDE with drift f - c backward and needs them. Without
// ItoCorrector the node computes them from VJPs of g (3 dim + 1 per evaluation, see
// dynEval.itoFromVJPs); an ItoCorrector that has them in closed form is faster.
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
	dim  int
	corr bool        // every chunk's Evaluator implements ItoCorrector
	ito  [][]float64 // scratch of itoFromVJPs
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
	e := &dynEval{Batch: b, dim: dim, corr: true}
	for _, ev := range b.Evaluators() {
		_, ok := ev.(ItoCorrector)
		e.corr = e.corr && ok
	}
	return e, nil
}

// release hands Evaluators that implement odeop.Releaser back to their Dynamics; b may
// be nil (a dynamics the solve does not have).
func (b *dynEval) release() {
	if b != nil {
		b.Release()
	}
}

// corrVJP is ItoCorrector.ItoCorrectionVJP over the batch (c, dz and dtheta all
// given), from the Evaluators' ItoCorrector when they have one, else from VJPs of g;
// it returns the number of diffusion evaluations it made.
func (b *dynEval) corrVJP(c, dz, dtheta []float64, t float64, z, a []float64) int {
	if !b.corr {
		return b.itoFromVJPs(c, dz, dtheta, t, z, a)
	}
	if evs := b.Evaluators(); len(evs) == 1 {
		evs[0].(ItoCorrector).ItoCorrectionVJP(c, dz, dtheta, t, z, a)
		return 1
	}
	b.Split(dtheta, func(ev graphop.Evaluator, lo, hi int, th []float64) {
		ev.(ItoCorrector).ItoCorrectionVJP(sub(c, lo, hi), sub(dz, lo, hi), th, t, z[lo:hi], a[lo:hi])
	})
	return 1
}

// itoFromVJPs is corrVJP from VJPs of g alone. With E_d the state that is 1 in column
// d of every row and 0 elsewhere (the rows are independent, so one VJP serves the
// whole batch), the diagonal D = diag(∂g/∂z) is exact: D[:, d] = VJP_z(g, E_d)[:, d].
// Then c = g ⊙ D / 2 and, with w = a ⊙ g held fixed,
//
//	a^T ∂c/∂z = 1/2 (VJP_z(g, a ⊙ D) + sum_d d/dh VJP_z(g, w ⊙ E_d)(z + h E_d) at h = 0)
//
// and the same with theta for z. The second term is the derivative of the diagonal,
// a second derivative of g that VJPs do not give (torchsde differentiates twice
// through autograd); it is a central difference of VJPs along E_d with h = eps^(1/3)
// max(1, max |z[:, d]|), whose error is about 1e-10 relative for smooth g. 3 dim + 1
// VJPs.
func (b *dynEval) itoFromVJPs(c, dz, dth []float64, t float64, z, a []float64) int {
	n, d := len(z), b.dim
	if b.ito == nil {
		b.ito = newVecs(n, 7)
		b.ito = append(b.ito, newVecs(len(dth), 3)...)
	}
	g, D, u, w, zs, dzp, dzm := b.ito[0], b.ito[1], b.ito[2], b.ito[3], b.ito[4], b.ito[5], b.ito[6]
	thp, thm := b.ito[7], b.ito[8]
	for k := 0; k < d; k++ {
		clear(u)
		for i := k; i < n; i += d {
			u[i] = 1
		}
		var gOut []float64
		if k == 0 {
			gOut = g
		}
		b.VJP(gOut, dzp, thp, t, z, u)
		for i := k; i < n; i += d {
			D[i] = dzp[i]
		}
	}
	for i := range c {
		c[i] = 0.5 * g[i] * D[i]
		u[i] = a[i] * D[i]
		w[i] = a[i] * g[i]
	}
	b.VJP(nil, dz, dth, t, z, u)
	for k := 0; k < d; k++ {
		h := 1.0
		for i := k; i < n; i += d {
			h = math.Max(h, math.Abs(z[i]))
		}
		h *= 6.0554544523933395e-06 // eps^(1/3)
		clear(u)
		for i := k; i < n; i += d {
			u[i] = w[i]
		}
		copy(zs, z)
		for i := k; i < n; i += d {
			zs[i] = z[i] + h
		}
		b.VJP(nil, dzp, thp, t, zs, u)
		for i := k; i < n; i += d {
			zs[i] = z[i] - h
		}
		b.VJP(nil, dzm, thm, t, zs, u)
		r := 1 / (2 * h)
		for i := range dz {
			dz[i] += r * (dzp[i] - dzm[i])
		}
		for i := range dth {
			dth[i] += r * (thp[i] - thm[i])
		}
	}
	for i := range dz {
		dz[i] *= 0.5
	}
	for i := range dth {
		dth[i] *= 0.5
	}
	return 3*d + 1
}

// sub is s[lo:hi], nil for nil s.
func sub(s []float64, lo, hi int) []float64 {
	if s == nil {
		return nil
	}
	return s[lo:hi]
}
