package odeop

import (
	"math"

	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// adjoint is the Adjoint gradient method.
type adjoint struct{}

func (adjoint) String() string { return "adjoint" }
func (adjoint) check(c *config) error {
	if c.plan.tb.Adaptive() && c.adjAtol == 0 {
		opt := "WithAdjointTol"
		if !c.given[opt] {
			opt = "WithTol"
		}
		return errors.Wrapf(ErrTolerance, "%s: atol = 0 for the adjoint's backward solve, whose parameter adjoint starts at 0, "+
			"where a relative tolerance has no scale; want atol > 0 (WithAdjointTol sets the backward solve's own)", opt)
	}
	return nil
}
func (adjoint) record(p *plan, z0 []float64, theta [][]float64) (func(t0, h, t1 float64, y0 []float64), any) {
	if p.tb.Implicit() { // the interpolating adjoint keeps the forward steps (implicit_adjoint.go)
		tp := newCheckpointTape(p, z0, theta)
		return tp.record, tp
	}
	return nil, nil
}

// backward runs the continuous adjoint of Chen et al. (2018) backward over the
// output intervals of a forward solve: the augmented state [z, a, a_theta] follows
//
//	dz/dt = f(t, z),  da/dt = -a^T df/dz,  da_theta/dt = -a^T df/dtheta
//
// from ts[last] to ts[0], one interval at a time; at each output time z is reset to the
// forward value and the incoming gradient is added to a. It returns the flat gradient
// [dz0 | dtheta] and the statistics of the backward solves. Memory: a few copies of the
// augmented state, whatever the number of steps.
func (adjoint) backward(op *solveOp, rec any, z0 []float64, theta [][]float64, zs, gzs []float64) ([]float64, Stats, error) {
	if op.cfg.plan.tb.Implicit() {
		tape, _ := rec.(*checkpointTape)
		return interpAdjointBackward(op, tape, z0, theta, zs, gzs)
	}
	n := op.batch * op.dim
	ev, err := newBatchEval(op.f, theta, op.batch, op.dim)
	if err != nil {
		return nil, Stats{}, err
	}
	defer ev.Release()
	p := ev.NumParams()
	T := len(op.ts)
	// The augmented state, the interval-end row and the negated adjoint come from the
	// op's scratch pool (1.2 MB for N2, otherwise allocated and zeroed on every run).
	m := 2*n + p
	buf, _ := op.adjScratch.Get().(*[]float64)
	if buf == nil || len(*buf) != 2*m+n {
		b := make([]float64, 2*m+n)
		buf = &b
	}
	defer op.adjScratch.Put(buf)
	aug, end, neg := (*buf)[:m:m], (*buf)[m:2*m:2*m], (*buf)[2*m:]
	copy(aug[:n], zs[(T-1)*n:T*n])
	copy(aug[n:2*n], gzs[(T-1)*n:T*n])
	clear(aug[2*n:])
	rhs := func(t float64, y, dy []float64) {
		adjointRHS(ev, t, y[:n], y[n:2*n], neg, dy[:n], dy[n:2*n], dy[2*n:])
	}
	groups := []int{0, n, 2 * n}
	if !op.cfg.seminorm {
		off := 2 * n
		for _, th := range theta {
			off += len(th)
			groups = append(groups, off)
		}
	}
	norm := groupRMSMax(groups)
	cfg := *op.cfg
	cfg.rtol, cfg.atol, cfg.raised = op.cfg.adjRtol, op.cfg.adjAtol, op.cfg.adjRaised
	cfg.norm = norm
	cfg.onStep = nil
	cfg.grid = nil
	pl := cfg.plan
	// One engine and one output row for every interval: the solves allocate nothing.
	// rhs reads z and a, not a_theta (argLen)
	r := op.engines.get(pl, len(aug), setup{f: rhs, rows: newBatchChunks(ev, n, true, neg), argLen: 2 * n, groups: groups})
	defer op.engines.put(r)
	ys := [][]float64{aug, end}
	var st Stats
	for i := T - 1; i >= 1; i-- {
		ts := []float64{op.ts[i], op.ts[i-1]}
		err := checkArgs(rhs, aug, ts, &cfg)
		if err == nil {
			var s Stats
			s, err = r.run(aug, ts, ys, &cfg)
			st = st.Add(s)
			// The backward solve goes on from here as one solve would: the next interval
			// starts with the step the controller proposes rather than a fresh initial
			// step selection (which costs an evaluation and starts small: with 100
			// output times it more than doubled N1's backward evaluations).
			if pl.tb.Adaptive() && r.hNext > 0 {
				cfg.step = r.hNext
			}
		}
		if err != nil {
			return nil, st, errors.Wrapf(err, "adjoint solve from t=%g to t=%g", op.ts[i], op.ts[i-1])
		}
		// the next interval starts from [z(ts[i-1]), a + dL/dz(ts[i-1]), a_theta] (a + g as
		// a + 1*g: the same bits, vectorized); after the last, that is the gradient
		x := [][]float64{gzs[(i-1)*n : i*n]}
		if i == 1 {
			out := make([]float64, n+p)
			lincomb(out[:n], end[n:2*n], plusOne, x)
			copy(out[n:], end[2*n:])
			return out, st, nil
		}
		copy(aug[:n], zs[(i-1)*n:i*n])
		lincomb(aug[n:2*n], end[n:2*n], plusOne, x)
		copy(aug[2*n:], end[2*n:])
	}
	// T == 1: no interval; the gradient is dL/dz(ts[0]) and no parameter gradient
	out := make([]float64, n+p)
	copy(out[:n], gzs[:n])
	return out, st, nil
}

// adjointRHS writes the right-hand side of the augmented system at (t, z, a): f(t, z) into
// dz, -a·∂f/∂z into da and -a·∂f/∂θ into dth (ev's rows: the whole batch or a chunk's).
// They are the VJP with cotangent -a (it is linear in the cotangent, and negation is
// exact), negating the n values of a into neg instead of the n + p of the result, through
// the vectorized kernels.Lincomb (-1·a is exactly -a).
func adjointRHS(ev graphop.Evaluator, t float64, z, a, neg, dz, da, dth []float64) {
	x := [1][]float64{a}
	lincomb(neg, nil, minusOne, x[:])
	ev.VJP(dz, da, dth, t, z, neg)
}

// groupRMSMax returns the norm max over groups of the RMS of the group, with group k the
// entries [bounds[k], bounds[k+1]); entries beyond the last bound are ignored. This is
// torchdiffeq's adjoint norm (one RMS per tensor: state, adjoint, each parameter), and
// with only the state and adjoint groups it is the seminorm of Kidger, Chen, Lyons (2021).
func groupRMSMax(bounds []int) Norm {
	return func(x []float64) float64 {
		return maxRMS(bounds, func(_, lo, hi int) float64 {
			s := 0.0
			for _, v := range x[lo:hi] {
				s += v * v
			}
			return s
		})
	}
}

// maxRMS returns the maximum over the groups k (entries [bounds[k], bounds[k+1]), empty
// ones skipped) of sqrt(sumsq(k, lo, hi) / (hi - lo)), a NaN kept: the group norms of
// groupRMSMax, rk.scaledNorm and rk.fusedNorm, which differ in how they sum the squares.
func maxRMS(bounds []int, sumsq func(k, lo, hi int) float64) float64 {
	m := 0.0
	for k := 0; k+1 < len(bounds); k++ {
		lo, hi := bounds[k], bounds[k+1]
		if hi <= lo {
			continue
		}
		if v := math.Sqrt(sumsq(k, lo, hi) / float64(hi-lo)); v > m || math.IsNaN(v) {
			m = v
		}
	}
	return m
}
