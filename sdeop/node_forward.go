package sdeop

import (
	"github.com/pkg/errors"
)

// nodeGrid returns the step boundaries of a fixed-step solve over ts, as Integrate
// takes them (steps of dt from each output time, the last one shortened to land on the
// next), and the grid index of every output time.
func nodeGrid(ts []float64, dt float64) (times []float64, outAt []int) {
	times = []float64{ts[0]}
	outAt = make([]int, len(ts))
	for i := 0; i+1 < len(ts); i++ {
		a, b := ts[i], ts[i+1]
		ns := numSteps(b-a, dt)
		for k := int64(1); k < ns; k++ {
			times = append(times, a+float64(k)*dt)
		}
		times = append(times, b)
		outAt[i+1] = len(times) - 1
	}
	return times, outAt
}

// nodeRun is one run (forward or backward) of a Solve node: the dynamics bound to the
// parameter values of the run and the Brownian path of its seed.
type nodeRun struct {
	op     *solveOp
	sys    *nodeSys
	bm     Brownian
	lb     LevyBrownian // SRK only
	theirs *system      // Milstein and SRK: the forward solve uses steppers.go
}

func (r *nodeRun) release() {
	r.sys.f.release()
	r.sys.g.release()
	r.sys.q.release()
}

// increment writes the Brownian increment over [s, t] (s > t: backward) into dw, and
// the Levy area into hh when it is not nil.
func (r *nodeRun) increment(dw, hh []float64, s, t float64) {
	if hh != nil {
		r.lb.IncrementWithLevy(dw, hh, s, t)
		return
	}
	r.bm.Increment(dw, s, t)
}

// nodeTape holds the state at the start of every forward step (Checkpoint): y for the
// Runge-Kutta methods, y and the auxiliary state for ReversibleHeun.
type nodeTape struct {
	m  int
	y  []float64 // steps x m
	yh []float64 // steps x m (ReversibleHeun)
}

// fwdResult is what a forward solve hands the backward pass.
type fwdResult struct {
	out   []float64 // (T, batch, cols): z, and logqp as last column with KL
	st    Stats
	tape  *nodeTape
	y, yh []float64 // final state and auxiliary state (ReversibleHeun)
}

// forward solves from z0 on the run's path and returns the outputs at the output times;
// with tape it records every step's starting state.
func (r *nodeRun) forward(z0 []float64, tape bool) (*fwdResult, error) {
	op := r.op
	s := r.sys
	n, m := s.n, s.m
	y := make([]float64, m)
	copy(y, z0)
	cols := op.cols()
	T := len(op.ts)
	res := &fwdResult{out: make([]float64, T*op.batch*cols)}
	emit := func(i int) {
		o := res.out[i*op.batch*cols : (i+1)*op.batch*cols]
		if !s.kl {
			copy(o, y[:n])
			return
		}
		for b := 0; b < op.batch; b++ {
			copy(o[b*cols:b*cols+op.dim], y[b*op.dim:(b+1)*op.dim])
			o[b*cols+op.dim] = y[n+b]
		}
	}
	emit(0)
	K := len(op.times) - 1
	if tape {
		res.tape = &nodeTape{m: m, y: make([]float64, 0, K*m)}
		if op.method == ReversibleHeun {
			res.tape.yh = make([]float64, 0, K*m)
		}
	}
	var step func(t, h float64, y, dw, hh []float64)
	var rev *revStepper
	switch {
	case op.method == ReversibleHeun:
		rev = newRevStepper(s)
		rev.init(op.times[0], y)
		step = func(t, h float64, y, dw, _ []float64) { rev.step(t, h, y, dw) }
	case nodeTableaus[op.method] != nil:
		ts := newTabStepper(nodeTableaus[op.method], &fwdSys{s: s})
		step = func(t, h float64, y, dw, _ []float64) { ts.step(t, h, y, dw) }
	default:
		st := newStepper(op.method, r.theirs, op.calc)
		st.init(op.times[0], y)
		step = st.step
	}
	inc := r.stream(K, false, false)
	defer inc.stop()
	next := 1
	for k := 0; k < K; k++ {
		t0, t1 := op.times[k], op.times[k+1]
		dw, hh := inc.next()
		if res.tape != nil {
			res.tape.y = append(res.tape.y, y...)
			if rev != nil {
				res.tape.yh = append(res.tape.yh, rev.yh...)
			}
		}
		step(t0, t1-t0, y, dw, hh)
		for next < T && op.outAt[next] == k+1 {
			if j := nonFinite(y); j >= 0 {
				return nil, errors.Wrapf(ErrNonFinite, "y[%d] = %g at t=%g (%s steps of %g from t=%g)", j, y[j], t1, op.method, op.dt, op.ts[next-1])
			}
			emit(next)
			next++
		}
	}
	res.st = s.st
	if r.theirs != nil {
		res.st = res.st.Add(r.theirs.stats)
	}
	res.st.Steps = K
	if rev != nil {
		res.y = y
		res.yh = append([]float64(nil), rev.yh...)
	}
	return res, nil
}

// splitGrad splits the incoming gradient of the op's output (T, batch, cols) into the
// gradient of z (T*n) and that of logqp (T*batch, nil without KL).
func (op *solveOp) splitGrad(g []float64) (gz, gL []float64) {
	if !op.kl {
		return g, nil
	}
	n := op.batch * op.dim
	T := len(op.ts)
	cols := op.cols()
	gz = make([]float64, T*n)
	gL = make([]float64, T*op.batch)
	for i := 0; i < T; i++ {
		for b := 0; b < op.batch; b++ {
			row := g[(i*op.batch+b)*cols:]
			copy(gz[i*n+b*op.dim:i*n+(b+1)*op.dim], row[:op.dim])
			gL[i*op.batch+b] = row[op.dim]
		}
	}
	return gz, gL
}

// defaultTreeTol is the time tolerance of a TreePath relative to the span.
const defaultTreeTol = 1e-5

// newBrownian builds the path of a seed.
func (op *solveOp) newBrownian(seed uint64) (Brownian, error) {
	t0, t1 := op.ts[0], op.ts[len(op.ts)-1]
	n := op.batch * op.dim
	if op.node.brownian == TreePath {
		tol := op.node.treeTol
		if tol == 0 {
			tol = defaultTreeTol * (t1 - t0)
		}
		return NewBrownianTree(t0, t1, n, seed, tol)
	}
	opts := []IntervalOption{WithDtHint(op.dt)}
	if op.method == SRK {
		opts = append(opts, WithLevyArea())
	}
	return NewBrownianInterval(t0, t1, n, seed, opts...)
}
