package odeop

import (
	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// checkpointTape holds the accepted steps of a forward solve: the start time, step and
// state at the start of each step. Its memory grows with the number of steps (one state
// per step), which is the price of the exact discrete gradient.
type checkpointTape struct {
	method Method
	z0     []float64   // inputs the tape was made from, to detect a stale tape
	theta  [][]float64 //
	t0     []float64
	h      []float64
	y0     [][]float64
}

func newCheckpointTape(m Method, z0 []float64, theta [][]float64) *checkpointTape {
	tp := &checkpointTape{method: m, z0: append([]float64(nil), z0...)}
	for _, th := range theta {
		tp.theta = append(tp.theta, append([]float64(nil), th...))
	}
	return tp
}

func (tp *checkpointTape) record(t0, h float64, y0 []float64) {
	tp.t0 = append(tp.t0, t0)
	tp.h = append(tp.h, h)
	tp.y0 = append(tp.y0, append([]float64(nil), y0...))
}

// matches reports whether the tape was recorded from these inputs.
func (tp *checkpointTape) matches(z0 []float64, theta [][]float64) bool {
	return tp != nil && graphop.SameInputs(tp.z0, tp.theta, z0, theta)
}

// checkpointBackward computes the exact gradient of the discrete forward solution
// (discretize-then-optimize): it walks the recorded steps backward, recomputes each step's
// stages and backpropagates through the Runge-Kutta formulas and through the dense output
// that produced the output times. Step sizes are treated as constants (as ACA and
// diffrax's checkpointed backprop do). If the tape is missing or stale it re-runs the
// forward solve to record it.
func checkpointBackward(op *solveOp, tape *checkpointTape, z0 []float64, theta [][]float64, gzs []float64) ([]float64, Stats, error) {
	n := op.batch * op.dim
	ev, err := newBatchEval(op.f, theta, op.batch, op.dim)
	if err != nil {
		return nil, Stats{}, err
	}
	defer ev.Release()
	var st Stats
	if !tape.matches(z0, theta) {
		tape = newCheckpointTape(op.cfg.method, z0, theta)
		cfg := *op.cfg
		cfg.onStep = tape.record
		s, err := op.solveInto(ev.RHS, newBatchChunks(ev, len(z0), false, nil), z0, &cfg, make([]float64, len(op.ts)*n))
		if err != nil {
			return nil, st, errors.Wrap(err, "checkpoint: re-running the forward solve")
		}
		st = st.Add(s)
	}
	tb, err := TableauOf(tape.method)
	if err != nil {
		return nil, st, err
	}
	bp := newStepBackprop(tb, n, ev.NumParams())
	T := len(op.ts)
	// Assign each output time (after the first) to the step that produced it.
	stepOf := make([]int, T)
	j := 0
	dir := 1.0
	if T > 1 && op.ts[T-1] < op.ts[0] {
		dir = -1
	}
	for k := 1; k < T; k++ {
		for j < len(tape.t0)-1 && dir*(tape.t0[j]+tape.h[j]-op.ts[k]) < 0 {
			j++
		}
		if len(tape.t0) == 0 {
			return nil, st, errors.Wrap(ErrDynamics, "checkpoint: the forward solve recorded no steps")
		}
		stepOf[k] = j
	}
	ybar := make([]float64, n)
	dtheta := make([]float64, ev.NumParams())
	k := T - 1
	for j := len(tape.t0) - 1; j >= 0; j-- {
		bp.outs = bp.outs[:0]
		for ; k >= 1 && stepOf[k] == j; k-- {
			bp.outs = append(bp.outs, denseCot{theta: (op.ts[k] - tape.t0[j]) / tape.h[j], g: gzs[k*n : (k+1)*n]})
		}
		bp.step(ev, tape.t0[j], tape.h[j], tape.y0[j], ybar, dtheta, &st)
	}
	bp.axpy(ybar, ybar, 1, gzs[:n])
	out := make([]float64, n+ev.NumParams())
	copy(out, ybar)
	copy(out[n:], dtheta)
	return out, st, nil
}

// denseCot is the cotangent g of a dense output at relative position theta of a step.
type denseCot struct {
	theta float64
	g     []float64
}

// stepBackprop backpropagates through one Runge-Kutta step of a tableau and the dense
// outputs taken on it.
type stepBackprop struct {
	tb    *Tableau
	a     [][]float64 // A with, for tableaus that are not FSAL, a last row equal to B
	c     []float64
	b     []float64
	Y, K  [][]float64 // stage inputs and stage values
	Kbar  [][]float64
	used  []bool
	dY    []float64
	dth   []float64
	w     []float64
	outs  []denseCot
	ns, s int
	lc    []float64   // scratch coefficients of a linear combination
	lx    [][]float64 // scratch vectors of a linear combination
}

func newStepBackprop(tb *Tableau, n, p int) *stepBackprop {
	s := tb.Stages()
	ns := tb.DenseLen()
	bp := &stepBackprop{tb: tb, s: s, ns: ns, dY: make([]float64, n), dth: make([]float64, p), w: make([]float64, ns)}
	bp.a = make([][]float64, ns)
	bp.c = make([]float64, ns)
	bp.b = make([]float64, ns)
	copy(bp.a, tb.A)
	copy(bp.c, tb.C)
	copy(bp.b, tb.B)
	if ns > s {
		bp.a[s] = tb.B
		bp.c[s] = 1
	}
	for i := 0; i < ns; i++ {
		bp.Y = append(bp.Y, make([]float64, n))
		bp.K = append(bp.K, make([]float64, n))
		bp.Kbar = append(bp.Kbar, make([]float64, n))
	}
	bp.used = make([]bool, ns)
	bp.lc, bp.lx = make([]float64, 0, ns), make([][]float64, 0, ns)
	return bp
}

// step replaces ybar (the cotangent of the step's end state) by the cotangent of its start
// state, adding the cotangents of the dense outputs in bp.outs, and adds the parameter
// cotangent to dtheta.
func (bp *stepBackprop) step(ev *graphop.Batch, t0, h float64, y0, ybar, dtheta []float64, st *Stats) {
	ns := bp.s
	if len(bp.outs) > 0 {
		ns = bp.ns // the extra stage f(t1, y1) enters only through the dense output
	}
	// Forward: recompute stage inputs (and values where a later stage needs them).
	for i := 0; i < ns; i++ {
		// Yi = y0 + sum_j h*a_ij*K_j, the terms in order (as the forward step's sums)
		Yi := bp.Y[i]
		c, x := bp.lc[:0], bp.lx[:0]
		for j, aij := range bp.a[i] {
			if aij != 0 {
				c, x = append(c, h*aij), append(x, bp.K[j])
			}
		}
		lincomb(Yi, y0, c, x)
		if i < ns-1 {
			ev.RHS(t0+bp.c[i]*h, Yi, bp.K[i])
			st.NFE++
		}
	}
	// Cotangents of the stage values. The updates are vectorized (kernels.Lincomb: a
	// rounded product and a rounded sum per term, the bits of the scalar loops).
	for i := 0; i < ns; i++ {
		bp.used[i] = false
		if bi := bp.b[i]; bi != 0 {
			bp.axpy(bp.Kbar[i], nil, h*bi, ybar) // Kbar_i = h*b_i*ybar
			bp.used[i] = true
		} else {
			clear(bp.Kbar[i])
		}
	}
	for _, o := range bp.outs {
		bp.tb.Dense(bp.w, o.theta)
		for i := 0; i < ns; i++ {
			if bp.w[i] == 0 {
				continue
			}
			bp.axpy(bp.Kbar[i], bp.Kbar[i], h*bp.w[i], o.g)
			bp.used[i] = true
		}
		bp.axpy(ybar, ybar, 1, o.g)
	}
	// Reverse through the stages.
	for i := ns - 1; i >= 0; i-- {
		if !bp.used[i] {
			continue
		}
		ev.VJP(nil, bp.dY, bp.dth, t0+bp.c[i]*h, bp.Y[i], bp.Kbar[i])
		st.NFE++
		bp.axpy(dtheta, dtheta, 1, bp.dth)
		bp.axpy(ybar, ybar, 1, bp.dY)
		for j, aij := range bp.a[i] {
			if aij == 0 {
				continue
			}
			bp.axpy(bp.Kbar[j], bp.Kbar[j], h*aij, bp.dY)
			bp.used[j] = true
		}
	}
	st.Steps++
}

// axpy sets dst = base + a*x (base nil: a*x), vectorized (lincomb).
func (bp *stepBackprop) axpy(dst, base []float64, a float64, x []float64) {
	c, v := bp.lc[:1], bp.lx[:1]
	c[0], v[0] = a, x
	lincomb(dst, base, c, v)
}
