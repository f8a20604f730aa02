package odeop

import (
	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// checkpointTape holds the accepted steps of a forward solve: the start time, step and
// state at the start of each step. Its memory grows with the number of steps (one state
// per step), which is the price of the exact discrete gradient.
type checkpointTape struct {
	plan   *plan
	z0     []float64   // inputs the tape was made from, to detect a stale tape
	theta  [][]float64 //
	t0, t1 []float64
	h      []float64
	y0     [][]float64
}

func newCheckpointTape(p *plan, z0 []float64, theta [][]float64) *checkpointTape {
	tp := &checkpointTape{plan: p, z0: append([]float64(nil), z0...)}
	for _, th := range theta {
		tp.theta = append(tp.theta, append([]float64(nil), th...))
	}
	return tp
}

func (tp *checkpointTape) record(t0, h, t1 float64, y0 []float64) {
	tp.t0, tp.t1 = append(tp.t0, t0), append(tp.t1, t1)
	tp.h = append(tp.h, h)
	tp.y0 = append(tp.y0, append([]float64(nil), y0...))
}

// matches reports whether the tape was recorded from these inputs.
func (tp *checkpointTape) matches(z0 []float64, theta [][]float64) bool {
	return tp != nil && graphop.SameInputs(tp.z0, tp.theta, z0, theta)
}

// checkpoint is the Checkpoint gradient method.
type checkpoint struct{}

func (checkpoint) String() string { return "checkpoint" }

func (checkpoint) check(c *config) error {
	for _, name := range []string{"WithSeminorm", "WithAdjointTol"} {
		if c.given[name] {
			return errors.Wrapf(ErrOption, "%s applies to the Adjoint gradient only, not Checkpoint", name)
		}
	}
	return nil
}

func (checkpoint) record(p *plan, z0 []float64, theta [][]float64) (func(t0, h, t1 float64, y0 []float64), any) {
	tp := newCheckpointTape(p, z0, theta)
	return tp.record, tp
}

func (checkpoint) backward(op *solveOp, rec any, z0 []float64, theta [][]float64, _, gzs []float64) ([]float64, Stats, error) {
	tape, _ := rec.(*checkpointTape)
	if op.cfg.plan.tb.Implicit() { // the discrete adjoint of the implicit steps (implicit_checkpoint.go)
		return implicitCheckpointBackward(op, tape, z0, theta, gzs)
	}
	return checkpointBackward(op, tape, z0, theta, gzs)
}

// recorded returns tape when it was recorded for (z0, theta); otherwise it re-runs the
// forward solve (on the row chunks rc, nil for none) to record a new one. The statistics
// are those of the re-run; its error is wrapped with what.
func (op *solveOp) recorded(tape *checkpointTape, ev *graphop.Batch, rc rowChunks, z0 []float64, theta [][]float64, what string) (*checkpointTape, Stats, error) {
	if tape.matches(z0, theta) {
		return tape, Stats{}, nil
	}
	tape = newCheckpointTape(op.cfg.plan, z0, theta)
	cfg := *op.cfg
	cfg.onStep = tape.record
	st, err := op.solveInto(ev.RHS, rc, z0, &cfg, make([]float64, len(op.ts)*len(z0)))
	if err != nil {
		return nil, st, errors.Wrap(err, what)
	}
	return tape, st, nil
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
	tape, st, err := op.recorded(tape, ev, newBatchChunks(ev, len(z0), false, nil), z0, theta, "checkpoint: re-running the forward solve")
	if err != nil {
		return nil, st, err
	}
	bp := newStepBackprop(tape.plan, ev, newBatchChunks(ev, n, false, nil), n, ev.NumParams())
	T := len(op.ts)
	// Assign each output time (after the first) to the step that produced it.
	stepOf := make([]int, T)
	j := 0
	dir := 1.0
	if T > 1 && op.ts[T-1] < op.ts[0] {
		dir = -1
	}
	for k := 1; k < T; k++ {
		for j < len(tape.t0)-1 && dir*(tape.t1[j]-op.ts[k]) < 0 {
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
		bp.step(tape.t0[j], tape.h[j], tape.t1[j], tape.y0[j], ybar, &st)
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
// outputs taken on it: it recomputes the step's stages with the engine's stage loop
// (plan.stages: the arguments, values and times of the forward pass) and runs the reverse
// pass through them. The work on the state's rows is row-local (each row's stages and
// cotangents depend on that row alone): with a batch in two row chunks, each chunk does
// its rows on its own goroutine, one hand-off per step, and sums its parameter
// cotangents over its stages and steps; the chunks' sums are added at the end
// (paramGrad). Per-stage buffers that kept the whole batch's order of sums (stage by
// stage, chunks within) were measured slower on N2 (forward + backprop 19.9-21.5 ms
// against 16.1-20.5 ms, alternating runs: their 2 MB a step left the cache); the rest of
// the gradient has the bits of the whole-batch path.
type stepBackprop struct {
	*plan
	ss    stageSet    // the step in progress: Y (ss.args) and K (ss.k) are the stages' arguments and values
	Kbar  [][]float64 // the stages' cotangents
	used  []bool      // stages whose cotangent is nonzero (the same for every row)
	dY    []float64
	dth   [][]float64 // dth[c]: chunk c's parameter cotangent of one stage (scratch)
	acc   [][]float64 // acc[c]: chunk c's parameter cotangent, summed over stages and steps
	w     [][]float64 // dense weights of each output
	outs  []denseCot
	ybar  []float64 // the step's cotangent (of its end state, then of its start)
	ns, s int       // stages with and without f(t1, y1)
	cur   int       // the stages of the step in progress
	rc    rowChunks // nil: the whole batch as one chunk

	evs   []graphop.Evaluator                   // per chunk: the Evaluator of its rows
	rgs   [][][2]int                            // per chunk: its range of rows
	evals []func(i int, t float64, y []float64) // per chunk: its stage evaluation, made once
	work  func(c int)                           // bp.rows, made once
}

func newStepBackprop(p *plan, ev *graphop.Batch, rc rowChunks, n, np int) *stepBackprop {
	ns := p.tb.DenseLen()
	bp := &stepBackprop{plan: p, s: p.tb.Stages(), ns: ns, dY: make([]float64, n), ss: newStageSet(p), rc: rc}
	bp.ss.k = make([][]float64, ns)
	for i := 0; i < ns; i++ {
		bp.ss.args[i], bp.ss.k[i] = make([]float64, n), make([]float64, n)
		bp.Kbar = append(bp.Kbar, make([]float64, n))
	}
	bp.used = make([]bool, ns)
	if rc == nil {
		bp.evs, bp.rgs = []graphop.Evaluator{ev}, [][][2]int{{{0, n}}}
	} else {
		bp.evs = ev.Evaluators()
		for c := range bp.evs {
			bp.rgs = append(bp.rgs, rc.ranges(c)[:1])
		}
	}
	for c, ev := range bp.evs {
		lo, hi := bp.rgs[c][0][0], bp.rgs[c][0][1]
		bp.evals = append(bp.evals, func(i int, t float64, y []float64) { ev.Eval(bp.ss.k[i][lo:hi], t, y[lo:hi]) })
		bp.dth, bp.acc = append(bp.dth, make([]float64, np)), append(bp.acc, make([]float64, np))
	}
	bp.work = bp.rows
	return bp
}

// step replaces ybar (the cotangent of the step's end state) by the cotangent of its start
// state, adding the cotangents of the dense outputs in bp.outs, and adds the parameter
// cotangent to the chunks' sums (paramGrad). The step is from (t0, y0) to t1 with step h,
// as the forward pass took it.
func (bp *stepBackprop) step(t0, h, t1 float64, y0, ybar []float64, st *Stats) {
	ns := bp.s
	if len(bp.outs) > 0 {
		ns = bp.ns // the extra stage f(t1, y1) enters only through the dense output
	}
	// Which stage cotangents are nonzero, and the dense weights: the same for every row.
	for len(bp.w) < len(bp.outs) {
		bp.w = append(bp.w, make([]float64, bp.ns))
	}
	for i := 0; i < ns; i++ {
		bp.used[i] = i < bp.s && bp.tb.B[i] != 0
	}
	for o, out := range bp.outs {
		bp.tb.Dense(bp.w[o], out.theta)
		for i := 0; i < ns; i++ {
			bp.used[i] = bp.used[i] || bp.w[o][i] != 0
		}
	}
	for i := ns - 1; i >= 0; i-- {
		if bp.used[i] {
			for _, j := range bp.aIdx[i] {
				bp.used[j] = true
			}
		}
	}
	bp.ss.prepare(t0, h, t1, y0, bp.ss.k)
	bp.ybar, bp.cur = ybar, ns
	if bp.rc != nil {
		bp.rc.run(bp.work)
	} else {
		bp.rows(0)
	}
	bp.ss.y0, bp.ybar = nil, nil
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

// rows does the step's work on chunk c's rows [lo, hi) with its Evaluator: the stages
// (plan.stages, evaluating all but the last, which only the reverse pass reads), the
// stage cotangents and the reverse pass, each stage's parameter cotangent (into the
// scratch dth[c]) added to acc[c]. Safe for concurrent use on disjoint rows. The updates
// are vectorized (kernels.Lincomb: a rounded product and a rounded sum per term, the bits
// of scalar loops).
func (bp *stepBackprop) rows(c int) {
	ev, rg, dth, acc := bp.evs[c], bp.rgs[c], bp.dth[c], bp.acc[c]
	lo, hi := rg[0][0], rg[0][1]
	ss, ns := &bp.ss, bp.cur
	h := ss.h
	ybar := bp.ybar[lo:hi]
	var x1 [1][]float64
	var c1 [1]float64
	axpy := func(dst, base []float64, a float64, x []float64) {
		c1[0], x1[0] = a, x
		lincomb(dst, base, c1[:], x1[:])
	}
	bp.stages(ss, rg, 0, ns, ns-1, bp.evals[c])
	// Cotangents of the stage values.
	for i := 0; i < ns; i++ {
		if i < bp.s && bp.tb.B[i] != 0 {
			axpy(bp.Kbar[i][lo:hi], nil, h*bp.tb.B[i], ybar) // Kbar_i = h*b_i*ybar
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
		ev.VJP(nil, dY, dth, bp.stageT(ss, i), ss.args[i][lo:hi], bp.Kbar[i][lo:hi])
		axpy(acc, acc, 1, dth)
		axpy(ybar, ybar, 1, dY)
		for _, j := range bp.aIdx[i] {
			axpy(bp.Kbar[j][lo:hi], bp.Kbar[j][lo:hi], h*bp.a[i][j], dY)
		}
	}
}
