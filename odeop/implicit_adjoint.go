package odeop

import (
	"github.com/pkg/errors"
)

// The adjoint of the implicit methods: an interpolating adjoint. Solving [z, a, a_theta]
// backward, as the Adjoint does for explicit methods, fails on stiff problems: z's
// backward dynamics dz/dt = f grow the stiff modes exponentially (the backward solve's
// steps underflow on Robertson at once). So the forward solve records its accepted steps
// (their start times and states, checkpointTape), and the backward solve integrates only
// [a, a_theta],
//
//	da/dt = -a^T df/dz(t, z(t)),   da_theta/dt = -a^T df/dtheta(t, z(t)),
//
// with the implicit method itself (the a-equation is as stiff as the forward problem, and
// stable backward), z(t) being the forward solve's cubic Hermite interpolant through the
// recorded states and f at them (the implicit methods' dense output, with f evaluated
// afresh at each state). The gradient is that of the continuous problem, to the forward
// and backward tolerances (and the interpolant's third order).

// interpTrajectory is the forward solution as a piecewise cubic Hermite interpolant.
type interpTrajectory struct {
	ts   []float64   // the step boundaries, monotone like the solve
	ys   [][]float64 // the states at ts
	fs   [][]float64 // f at them
	dir  float64
	last int // the step of the last lookup
}

// at writes z(t) into dst.
func (tr *interpTrajectory) at(dst []float64, t float64) {
	k := tr.find(t)
	t0, t1 := tr.ts[k], tr.ts[k+1]
	h := t1 - t0
	th := (t - t0) / h
	th = max(0, min(1, th))
	th2 := th * th
	th3 := th2 * th
	p := 3*th2 - 2*th3
	c0, c1 := h*(th-2*th2+th3), h*(th3-th2)
	y0, y1, f0, f1 := tr.ys[k], tr.ys[k+1], tr.fs[k], tr.fs[k+1]
	for i := range dst {
		dst[i] = y0[i] + p*(y1[i]-y0[i]) + c0*f0[i] + c1*f1[i]
	}
}

// find returns the step k with t in [ts[k], ts[k+1]] (clamped to the ends), starting from
// the last one found (the backward solve moves through the steps in order).
func (tr *interpTrajectory) find(t float64) int {
	m := len(tr.ts) - 2
	k := min(tr.last, m)
	for k > 0 && tr.dir*(t-tr.ts[k]) < 0 {
		k--
	}
	for k < m && tr.dir*(t-tr.ts[k+1]) > 0 {
		k++
	}
	tr.last = k
	return k
}

// interpAdjointBackward is the Adjoint's backward pass for an implicit method.
func interpAdjointBackward(op *solveOp, tape *checkpointTape, z0 []float64, theta [][]float64, zs, gzs []float64) ([]float64, Stats, error) {
	n := op.batch * op.dim
	ev, err := newBatchEval(op.f, theta, op.batch, op.dim)
	if err != nil {
		return nil, Stats{}, err
	}
	defer ev.Release()
	var st Stats
	T := len(op.ts)
	if T == 1 {
		out := make([]float64, n+ev.NumParams())
		copy(out[:n], gzs[:n])
		return out, st, nil
	}
	tape, rs, err := op.recorded(tape, ev, nil, z0, theta, "adjoint: forward solve")
	st = st.Add(rs)
	if err != nil {
		return nil, st, err
	}
	tr := &interpTrajectory{ts: append(append([]float64(nil), tape.t0...), op.ts[T-1]), dir: 1}
	if op.ts[T-1] < op.ts[0] {
		tr.dir = -1
	}
	tr.ys = append(append([][]float64(nil), tape.y0...), zs[(T-1)*n:T*n])
	tr.fs = make([][]float64, len(tr.ys))
	for k, y := range tr.ys {
		tr.fs[k] = make([]float64, n)
		ev.RHS(tr.ts[k], y, tr.fs[k])
	}
	st.NFE += len(tr.ys)
	p := ev.NumParams()
	m := n + p
	aug, end := make([]float64, m), make([]float64, m)
	zt, neg := make([]float64, n), make([]float64, n)
	copy(aug[:n], gzs[(T-1)*n:T*n])
	rhs := func(t float64, y, dy []float64) {
		tr.at(zt, t)
		x := [1][]float64{y[:n]}
		lincomb(neg, nil, minusOne, x[:])
		ev.VJP(nil, dy[:n], dy[n:], t, zt, neg)
	}
	groups := []int{0, n}
	if !op.cfg.seminorm {
		off := n
		for _, th := range theta {
			off += len(th)
			groups = append(groups, off)
		}
	}
	cfg := *op.cfg
	cfg.rtol, cfg.atol, cfg.raised = op.cfg.adjRtol, op.cfg.adjAtol, op.cfg.adjRaised
	cfg.norm = groupRMSMax(groups)
	cfg.onStep, cfg.grid = nil, nil
	// Newton with a's row blocks (-J^T per row), a_theta decoupled (implicit_block.go)
	r := op.engines.get(cfg.plan, m, setup{f: rhs, groups: groups, block: op.dim, blockLen: n})
	defer op.engines.put(r)
	ys := [][]float64{aug, end}
	for i := T - 1; i >= 1; i-- {
		ts := []float64{op.ts[i], op.ts[i-1]}
		err := checkArgs(rhs, aug, ts, &cfg)
		if err == nil {
			var s Stats
			s, err = r.run(aug, ts, ys, &cfg)
			st = st.Add(s)
			if r.hNext > 0 {
				cfg.step = r.hNext
			}
		}
		if err != nil {
			return nil, st, errors.Wrapf(err, "adjoint solve from t=%g to t=%g", op.ts[i], op.ts[i-1])
		}
		x := [][]float64{gzs[(i-1)*n : i*n]}
		lincomb(aug[:n], end[:n], plusOne, x)
		copy(aug[n:], end[n:])
	}
	return aug, st, nil
}
