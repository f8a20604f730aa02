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
//	dz_r/ds = Δt_r f(z_r)
//
// so that z_r(s = 1) = z_r(t_r + Δt_r) exactly for autonomous dynamics f (the inner
// dynamics is evaluated at s, never at the row's own time; a dynamics that needs the time
// takes it as an input of the state). A row with Δt_r = 0 (a padded row, past its last
// observation) does not move. The gaps are data, not parameters: SetGaps before each run
// of the graph; gradients (adjoint or Checkpoint) flow to z0 and the inner parameters.
// Solve the node on ts = [0, 1]. The adaptive step control sees the scaled derivatives
// of the whole batch, so the rows share one step sequence in s.
type GapScaled struct {
	inner odeop.Dynamics
	gaps  []float64
}

// NewGapScaled wraps f for batches of batch rows; all gaps start at 0.
func NewGapScaled(f odeop.Dynamics, batch int) *GapScaled {
	return &GapScaled{inner: f, gaps: make([]float64, batch)}
}

// SetGaps copies the gap Δt_r of every row.
func (d *GapScaled) SetGaps(gaps []float64) {
	if len(gaps) != len(d.gaps) {
		panic(errors.Errorf("physionet: GapScaled.SetGaps: %d gaps for %d rows", len(gaps), len(d.gaps)))
	}
	copy(d.gaps, gaps)
}

// Gaps returns the gaps (the slice itself, for filling in place).
func (d *GapScaled) Gaps() []float64 { return d.gaps }

// Params are the inner dynamics' parameters.
func (d *GapScaled) Params() G.Nodes { return d.inner.Params() }

// Check checks the batch size against the gaps and the inner dynamics.
func (d *GapScaled) Check(batch, dim int) error {
	if batch != len(d.gaps) {
		return errors.Wrapf(ErrConfig, "gap-scaled dynamics for %d rows used with %d", len(d.gaps), batch)
	}
	return d.inner.Check(batch, dim)
}

// Bind binds the inner dynamics and scales its rows by the current gaps.
func (d *GapScaled) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	ev, err := d.inner.Bind(theta, batch, dim)
	if err != nil {
		return nil, err
	}
	return &gapEval{inner: ev, gaps: append([]float64(nil), d.gaps...), dim: dim, a: make([]float64, batch*dim)}, nil
}

type gapEval struct {
	inner odeop.Evaluator
	gaps  []float64
	dim   int
	a     []float64
}

func (e *gapEval) scale(x []float64) {
	for r, g := range e.gaps {
		row := x[r*e.dim : (r+1)*e.dim]
		for i := range row {
			row[i] *= g
		}
	}
}

func (e *gapEval) Eval(dst []float64, t float64, z []float64) {
	e.inner.Eval(dst, t, z)
	e.scale(dst)
}

// VJP: a^T d(Δ f)/dz = (Δ a)^T df/dz row by row, and the same for the parameters.
func (e *gapEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	copy(e.a, a)
	e.scale(e.a)
	e.inner.VJP(f, dz, dtheta, t, z, e.a)
	if f != nil {
		e.scale(f)
	}
}

func (e *gapEval) Release() {
	if r, ok := e.inner.(odeop.Releaser); ok {
		r.Release()
	}
}
