package physionet

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/odeop"
)

// GapScaled is the interim way to let every row of a batch advance over its own time
// interval in one odeop.Solve, until the solver has per-row solves: row r's interval
// [t_r, t_r + Δt_r] is mapped onto s in [0, 1], where the state follows
//
//	dh_r/ds = Δt_r f(h_r),  dΔt_r/ds = 0
//
// so that h_r(s = 1) = h_r(t_r + Δt_r) exactly for autonomous dynamics f (the inner
// dynamics is evaluated at s, never at the row's own time; a dynamics that needs the time
// takes it as part of the state). The gap rides in the state as its last column, a
// constant: the state of the solve is [h, Δt] of shape (batch, dim+1) for an inner
// dynamics of dimension dim, so a row chunk of the solver carries its own gaps and the
// gradient reaches Δt too. A row with Δt_r = 0 (a padded row, past its last observation)
// does not move. Solve it on ts = [0, 1] (GapSolve does the bookkeeping). The adaptive
// step control sees the scaled derivatives of the whole batch, so the rows share one step
// sequence in s; use the max norm (odeop.MaxNorm) so that padded rows do not dilute the
// error of the others.
type GapScaled struct {
	inner odeop.Dynamics
}

// NewGapScaled wraps f.
func NewGapScaled(f odeop.Dynamics) *GapScaled { return &GapScaled{inner: f} }

// Params are the inner dynamics' parameters.
func (d *GapScaled) Params() G.Nodes { return d.inner.Params() }

// Check checks the inner dynamics on states of dimension dim-1.
func (d *GapScaled) Check(batch, dim int) error {
	if dim < 2 {
		return errors.Wrapf(ErrConfig, "gap-scaled dynamics on states of dimension %d, want the inner dimension plus the gap column", dim)
	}
	return d.inner.Check(batch, dim-1)
}

// Bind binds the inner dynamics for states of dimension dim-1.
func (d *GapScaled) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	ev, err := d.inner.Bind(theta, batch, dim-1)
	if err != nil {
		return nil, err
	}
	n := batch * (dim - 1)
	return &gapEval{inner: ev, batch: batch, dim: dim - 1, z: make([]float64, n), f: make([]float64, n), a: make([]float64, n), dz: make([]float64, n)}, nil
}

// GapSolve returns h advanced by each row's gap: h of shape (batch, dim), gap of shape
// (batch, 1); it solves GapScaled(f) on [h, gap] over [0, 1] and returns the h part at
// s = 1 and the Solve node (for odeop.StatsOf).
func GapSolve(h, gap *G.Node, f odeop.Dynamics, opts ...odeop.Option) (out, solve *G.Node, err error) {
	dim := h.Shape()[1]
	z, err := G.Concat(1, h, gap)
	if err != nil {
		return nil, nil, errors.Wrap(err, "gap solve")
	}
	zs, err := odeop.Solve(z, NewGapScaled(f), []float64{0, 1}, opts...)
	if err != nil {
		return nil, nil, err
	}
	last, err := G.Slice(zs, G.S(1))
	if err != nil {
		return nil, nil, errors.Wrap(err, "gap solve")
	}
	out, err = G.Slice(last, nil, G.S(0, dim))
	return out, zs, errors.Wrap(err, "gap solve")
}

type gapEval struct {
	inner       odeop.Evaluator
	batch, dim  int
	z, f, a, dz []float64 // (batch, dim) scratch
}

// split copies the h part of x (batch, dim+1) into dst (batch, dim).
func (e *gapEval) split(dst, x []float64) {
	w := e.dim + 1
	for r := 0; r < e.batch; r++ {
		copy(dst[r*e.dim:(r+1)*e.dim], x[r*w:r*w+e.dim])
	}
}

func (e *gapEval) Eval(dst []float64, t float64, z []float64) {
	e.split(e.z, z)
	e.inner.Eval(e.f, t, e.z)
	w := e.dim + 1
	for r := 0; r < e.batch; r++ {
		g := z[r*w+e.dim]
		for i := 0; i < e.dim; i++ {
			dst[r*w+i] = g * e.f[r*e.dim+i]
		}
		dst[r*w+e.dim] = 0
	}
}

// VJP: for the h part, a^T d(Δ f)/dh = (Δ a)^T df/dh row by row, and the same for the
// parameters; for the gap, a_h · f(h).
func (e *gapEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	e.split(e.z, z)
	w := e.dim + 1
	for r := 0; r < e.batch; r++ {
		g := z[r*w+e.dim]
		for i := 0; i < e.dim; i++ {
			e.a[r*e.dim+i] = g * a[r*w+i]
		}
	}
	var dzh []float64
	if dz != nil {
		dzh = e.dz
	}
	e.inner.VJP(e.f, dzh, dtheta, t, e.z, e.a)
	for r := 0; r < e.batch; r++ {
		g := z[r*w+e.dim]
		if f != nil {
			for i := 0; i < e.dim; i++ {
				f[r*w+i] = g * e.f[r*e.dim+i]
			}
			f[r*w+e.dim] = 0
		}
		if dz != nil {
			s := 0.0
			for i := 0; i < e.dim; i++ {
				dz[r*w+i] = e.dz[r*e.dim+i]
				s += a[r*w+i] * e.f[r*e.dim+i]
			}
			dz[r*w+e.dim] = s
		}
	}
}

func (e *gapEval) Release() {
	if r, ok := e.inner.(odeop.Releaser); ok {
		r.Release()
	}
}
