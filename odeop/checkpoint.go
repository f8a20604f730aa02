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
	bp := newStepBackprop(tb, ev, newBatchChunks(ev, n, false, nil), n, ev.NumParams())
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
	k := T - 1
	for j := len(tape.t0) - 1; j >= 0; j-- {
		bp.outs = bp.outs[:0]
		for ; k >= 1 && stepOf[k] == j; k-- {
			bp.outs = append(bp.outs, denseCot{theta: (op.ts[k] - tape.t0[j]) / tape.h[j], g: gzs[k*n : (k+1)*n]})
		}
		bp.step(tape.t0[j], tape.h[j], tape.y0[j], ybar, &st)
	}
	lincomb(ybar, ybar, plusOne, [][]float64{gzs[:n]})
	out := make([]float64, n+ev.NumParams())
	copy(out, ybar)
	bp.paramGrad(out[n:])
	return out, st, nil
}

// denseCot is the cotangent g of a dense output at relative position theta of a step.
type denseCot struct {
	theta float64
	g     []float64
}

// stepBackprop backpropagates through one Runge-Kutta step of a tableau and the dense
// outputs taken on it. The work on the state's rows is row-local (each row's stages and
// cotangents depend on that row alone): with a batch in two row chunks (rc), each chunk
// does its rows on its own goroutine, one hand-off per step, and sums its parameter
// cotangents over its stages and steps; the chunks' sums are added at the end
// (paramGrad). Per-stage buffers that kept the whole batch's order of sums (stage by
// stage, chunks within) were measured slower on N2 (forward + backprop 19.9-21.5 ms
// against 16.1-20.5 ms, alternating runs: their 2 MB a step left the cache); the rest of
// the gradient has the bits of the whole-batch path.
type stepBackprop struct {
	tb    *Tableau
	a     [][]float64 // A with, for tableaus that are not FSAL, a last row equal to B
	c     []float64
	b     []float64
	Y, K  [][]float64 // stage inputs and stage values
	Kbar  [][]float64
	used  []bool // stages whose cotangent is nonzero (the same for every row)
	dY    []float64
	dth   [][]float64 // dth[c]: chunk c's parameter cotangent of one stage (scratch)
	acc   [][]float64 // acc[c]: chunk c's parameter cotangent, summed over stages and steps
	w     [][]float64 // dense weights of each output
	outs  []denseCot
	ns, s int
	x1    [1][]float64 // scratch of a one-term combination

	rc   rowChunks      // nil: the whole batch at once
	ev   *graphop.Batch // the batch
	work func(c int)    // bp.chunk, made once
	cur  struct {       // the step in progress, read by chunk
		t0, h    float64
		y0, ybar []float64
		ns       int
	}
}

func newStepBackprop(tb *Tableau, ev *graphop.Batch, rc rowChunks, n, p int) *stepBackprop {
	s := tb.Stages()
	ns := tb.DenseLen()
	bp := &stepBackprop{tb: tb, s: s, ns: ns, dY: make([]float64, n), ev: ev, rc: rc}
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
	chunks := 1
	if rc != nil {
		chunks = rc.numChunks()
	}
	bp.dth, bp.acc = make([][]float64, chunks), make([][]float64, chunks)
	for c := range bp.dth {
		bp.dth[c], bp.acc[c] = make([]float64, p), make([]float64, p)
	}
	bp.work = bp.chunk
	return bp
}

// step replaces ybar (the cotangent of the step's end state) by the cotangent of its start
// state, adding the cotangents of the dense outputs in bp.outs, and adds the parameter
// cotangent to the chunks' sums (paramGrad).
func (bp *stepBackprop) step(t0, h float64, y0, ybar []float64, st *Stats) {
	ns := bp.s
	if len(bp.outs) > 0 {
		ns = bp.ns // the extra stage f(t1, y1) enters only through the dense output
	}
	// Which stage cotangents are nonzero, and the dense weights: the same for every row.
	for len(bp.w) < len(bp.outs) {
		bp.w = append(bp.w, make([]float64, bp.ns))
	}
	for i := 0; i < ns; i++ {
		bp.used[i] = bp.b[i] != 0
	}
	for o, out := range bp.outs {
		bp.tb.Dense(bp.w[o], out.theta)
		for i := 0; i < ns; i++ {
			bp.used[i] = bp.used[i] || bp.w[o][i] != 0
		}
	}
	for i := ns - 1; i >= 0; i-- {
		if bp.used[i] {
			for j, aij := range bp.a[i] {
				bp.used[j] = bp.used[j] || aij != 0
			}
		}
	}
	bp.cur.t0, bp.cur.h, bp.cur.y0, bp.cur.ybar, bp.cur.ns = t0, h, y0, ybar, ns
	if bp.rc != nil {
		bp.rc.run(bp.work)
	} else {
		bp.rows(bp.ev, 0, len(ybar), bp.dth[0], bp.acc[0])
	}
	bp.cur.y0, bp.cur.ybar = nil, nil
	for i := 0; i < ns; i++ {
		if bp.used[i] {
			st.NFE++
		}
	}
	st.NFE += ns - 1
	st.Steps++
}

// paramGrad writes the parameter cotangent of every step done into dtheta: the chunks'
// sums added in chunk order.
func (bp *stepBackprop) paramGrad(dtheta []float64) {
	copy(dtheta, bp.acc[0])
	for c := 1; c < len(bp.acc); c++ {
		lincomb(dtheta, dtheta, plusOne, bp.acc[c:c+1])
	}
}

// chunk does the step's rows of chunk c with its Evaluator.
func (bp *stepBackprop) chunk(c int) {
	rg := bp.rc.ranges(c)[0]
	bp.rows(bp.ev.Evaluators()[c], rg[0], rg[1], bp.dth[c], bp.acc[c])
}

// rows does the step's work on the state's rows [lo, hi) with ev, an Evaluator of those
// rows: the stage inputs and values, the stage cotangents and the reverse pass, each
// stage's parameter cotangent (into the scratch dth) added to acc. Safe for concurrent
// use on disjoint rows. The updates are vectorized (kernels.Lincomb: a rounded product
// and a rounded sum per term, the bits of scalar loops).
func (bp *stepBackprop) rows(ev graphop.Evaluator, lo, hi int, dth, acc []float64) {
	t0, h, ns := bp.cur.t0, bp.cur.h, bp.cur.ns
	ybar := bp.cur.ybar[lo:hi]
	var cbuf [16]float64
	var xbuf [16][]float64
	axpy := func(dst, base []float64, a float64, x []float64) {
		cbuf[0], xbuf[0] = a, x
		lincomb(dst, base, cbuf[:1], xbuf[:1])
	}
	// Forward: recompute stage inputs (and values where a later stage needs them).
	for i := 0; i < ns; i++ {
		// Yi = y0 + sum_j h*a_ij*K_j, the terms in order (as the forward step's sums)
		c, x := cbuf[:0], xbuf[:0]
		for j, aij := range bp.a[i] {
			if aij != 0 {
				c, x = append(c, h*aij), append(x, bp.K[j])
			}
		}
		combRange(bp.Y[i], bp.cur.y0, c, x, lo, hi)
		if i < ns-1 {
			ev.Eval(bp.K[i][lo:hi], t0+bp.c[i]*h, bp.Y[i][lo:hi])
		}
	}
	// Cotangents of the stage values.
	for i := 0; i < ns; i++ {
		if bi := bp.b[i]; bi != 0 {
			axpy(bp.Kbar[i][lo:hi], nil, h*bi, ybar) // Kbar_i = h*b_i*ybar
		} else {
			clear(bp.Kbar[i][lo:hi])
		}
	}
	for o, out := range bp.outs {
		g := out.g[lo:hi]
		for i := 0; i < ns; i++ {
			if w := bp.w[o][i]; w != 0 {
				axpy(bp.Kbar[i][lo:hi], bp.Kbar[i][lo:hi], h*w, g)
			}
		}
		axpy(ybar, ybar, 1, g)
	}
	// Reverse through the stages.
	dY := bp.dY[lo:hi]
	for i := ns - 1; i >= 0; i-- {
		if !bp.used[i] {
			continue
		}
		ev.VJP(nil, dY, dth, t0+bp.c[i]*h, bp.Y[i][lo:hi], bp.Kbar[i][lo:hi])
		axpy(acc, acc, 1, dth)
		axpy(ybar, ybar, 1, dY)
		for j, aij := range bp.a[i] {
			if aij != 0 {
				axpy(bp.Kbar[j][lo:hi], bp.Kbar[j][lo:hi], h*aij, dY)
			}
		}
	}
}
