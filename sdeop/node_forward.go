package sdeop

import (
	"github.com/pkg/errors"
)

// nodeRun is one run (forward or backward) of a Solve node: the dynamics bound to the
// parameter values of the run, the forward system over them, and the Brownian path of
// its seed.
type nodeRun struct {
	op  *solveOp
	sys *nodeSys
	fwd *system
	bm  Brownian
	lb  LevyBrownian // SRK only
}

func (r *nodeRun) release() {
	r.sys.f.release()
	r.sys.g.release()
	r.sys.q.release()
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
// with tape it records every step's starting state. The state is checked at the output
// times; a non-finite one is located by solving again with a check after every step
// (the solve is deterministic), so that the error names the step where it appeared.
func (r *nodeRun) forward(z0 []float64, tape, locate bool) (*fwdResult, error) {
	op := r.op
	s := r.sys
	n, m := s.n, s.m
	y := make([]float64, m)
	copy(y, z0)
	cols := op.cols()
	res := &fwdResult{out: make([]float64, len(op.ts)*op.batch*cols)}
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
	g := &op.grid
	K := g.steps()
	st := newStepper(op.method, r.fwd, op.calc)
	s.st = Stats{}
	st.init(g.times[0], y)
	rev, _ := st.(*revHeun)
	if tape {
		res.tape = &nodeTape{m: m, y: make([]float64, 0, K*m)}
		if rev != nil {
			res.tape.yh = make([]float64, 0, K*m)
		}
	}
	inc := g.increments(r.bm, r.lb, false, false)
	defer inc.stop()
	err := g.walk(inc, false, func(k int, t0, t1 float64, dw, hh []float64) error {
		if res.tape != nil {
			res.tape.y = append(res.tape.y, y...)
			if rev != nil {
				res.tape.yh = append(res.tape.yh, rev.yh...)
			}
		}
		st.step(t0, t1-t0, y, dw, hh)
		if locate {
			return nonFiniteStep(y, op.method, t0, t1)
		}
		return nil
	}, func(i int) error {
		if j := nonFinite(y); j >= 0 {
			return errors.Wrapf(ErrNonFinite, "y[%d] = %g at t=%g (%s steps of %g from t=%g)", j, y[j], op.ts[i], op.method, op.dt, op.ts[i-1])
		}
		emit(i)
		return nil
	})
	if err != nil && !locate {
		inc.stop()
		if _, e := r.forward(z0, false, true); e != nil {
			return nil, e
		}
	}
	if err != nil {
		return nil, err
	}
	res.st = s.st
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
	if op.brownianKind == TreePath {
		tol := op.treeTol
		if tol == 0 {
			tol = defaultTreeTol * (t1 - t0)
		}
		return NewBrownianTree(t0, t1, op.batch*op.dim, seed, tol)
	}
	return newPath(t0, t1, op.batch*op.dim, seed, op.dt, methods[op.method].levy)
}

// newPath is the Brownian Interval that a solve with step dt makes on [t0, t1].
func newPath(t0, t1 float64, dim int, seed uint64, dt float64, levy bool) (*BrownianInterval, error) {
	opts := []IntervalOption{WithDtHint(dt)}
	if levy {
		opts = append(opts, WithLevyArea())
	}
	return NewBrownianInterval(t0, t1, dim, seed, opts...)
}
