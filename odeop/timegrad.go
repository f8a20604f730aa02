package odeop

import (
	"fmt"
	"hash"
	"sync"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// SolveAt is Solve with the output times a node ts of shape (T) (T >= 2) whose values are
// read on every run, so that the times are learnable: gorgonia.Grad through it gives, with
// the gradients of z0 and the parameters, the gradient of every time,
//
//	dL/dt_i = dL/dz(t_i) . f(t_i, z(t_i))   for i >= 1,
//	dL/dt_0 = -(a(t_0) - dL/dz(t_0)) . f(t_0, z0),
//
// with a(t_0) the gradient of z0 (the adjoint at t_0, which includes the loss's own
// dL/dz(t_0); z(t_0) = z0 does not move with t_0), as torchdiffeq's adjoint gives. The
// times must be finite and strictly monotone on every run (an error wrapping ErrTimes
// otherwise). The options are those of Solve.
func SolveAt(z0 *G.Node, f Dynamics, ts *G.Node, opts ...Option) (*G.Node, error) {
	if ts == nil {
		return nil, errors.Wrap(ErrTimes, "solve at: ts is nil")
	}
	if ts.Dims() != 1 || ts.Shape()[0] < 2 {
		return nil, errors.Wrapf(ErrTimes, "solve at: ts has shape %v, want a vector of at least 2 times", ts.Shape())
	}
	if z0 != nil && ts.Dtype() != z0.Dtype() {
		return nil, errors.Wrapf(ErrTimes, "solve at: ts has dtype %v, z0 has %v", ts.Dtype(), z0.Dtype())
	}
	T := ts.Shape()[0]
	// a solve node on placeholder times checks every argument as Solve does
	place := make([]float64, T)
	for i := range place {
		place[i] = float64(i)
	}
	base, err := newSolveOp(z0, f, place, opts)
	if err != nil {
		return nil, errors.Wrap(err, "solve at")
	}
	op := &timesOp{base: base, id: nextOpID()}
	params := f.Params()
	out, err := G.ApplyOp(op, append(append(G.Nodes{z0}, params...), ts)...)
	if err != nil {
		return nil, errors.Wrap(err, "solve at")
	}
	return out, nil
}

// timesOp is the solve with times as an input: inputs z0, theta..., ts; output z at ts.
// Each run makes a solve op for the times of the run (kept for its gradient).
type timesOp struct {
	graphop.Pure
	base *solveOp // the configuration, shapes and dynamics (its times are placeholders)
	id   uint64

	mu   sync.Mutex
	last *solveOp // the solve of the last run, with its record
}

func (op *timesOp) nt() int    { return len(op.base.ts) }
func (op *timesOp) Arity() int { return op.base.Arity() + 1 }
func (op *timesOp) pshape() []tensor.Shape {
	return append(append([]tensor.Shape{}, op.base.pshape...), tensor.Shape{op.nt()})
}

func (op *timesOp) Type() hm.Type { return graphop.SolveType(op.pshape()) }

func (op *timesOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.nt(), op.base.batch, op.base.dim}, nil
}

func (op *timesOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "odeop.solveAt#%d", op.id) }
func (op *timesOp) Hashcode() uint32      { return graphop.Hashcode(op) }
func (op *timesOp) String() string {
	return fmt.Sprintf("odeSolveAt#%d(%s, %d times)", op.id, op.base.cfg.plan.tb.Name, op.nt())
}

// solveFor returns a solve op for the times ts: the last run's when its times are ts.
func (op *timesOp) solveFor(ts []float64) (*solveOp, error) {
	if err := checkTimes(ts); err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	if l := op.last; l != nil && equalFloats(l.ts, ts) {
		return l, nil
	}
	b := op.base
	s := &solveOp{id: b.id, f: b.f, ts: append([]float64(nil), ts...), cfg: b.cfg, batch: b.batch, dim: b.dim,
		dtype: b.dtype, pshape: b.pshape}
	op.last = s
	return s, nil
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (op *timesOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, errors.Wrapf(ErrShape, "%v: got %d inputs, want %d", op, len(vals), op.Arity())
	}
	ts, err := graphop.Floats(vals[len(vals)-1], op.nt(), ErrShape)
	if err != nil {
		return nil, errors.Wrapf(err, "%v: ts", op)
	}
	s, err := op.solveFor(ts)
	if err != nil {
		return nil, err
	}
	return s.Do(vals[:len(vals)-1]...)
}

// DiffWRT: every input.
func (op *timesOp) DiffWRT(inputs int) []bool { return graphop.DiffAll(inputs) }

// SymDiff: one gradient op for every input.
func (op *timesOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	part := graphop.Extract{Name: "odeAt", Parent: op.id, Kind: ErrShape}
	return graphop.SymDiff(op, &timesGradOp{fwd: op}, part, inputs, output, grad)
}

// DoDiff is the LispMachine's path.
func (op *timesOp) DoDiff(ctx G.ExecutionContext, inputs G.Nodes, output *G.Node) error {
	return graphop.DoDiff(op, (&timesGradOp{fwd: op}).compute, inputs, output, ErrShape)
}

// timesGradOp: inputs z0, theta..., ts, the output and its gradient; output the flat
// gradient [dz0 | dtheta | dts].
type timesGradOp struct {
	graphop.Pure
	fwd *timesOp
}

func (op *timesGradOp) Arity() int { return op.fwd.Arity() + 2 }
func (op *timesGradOp) Type() hm.Type {
	return graphop.GradType(op.fwd.pshape())
}
func (op *timesGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	b := op.fwd.base
	return tensor.Shape{graphop.FlatSize(b.batch*b.dim, op.fwd.pshape())}, nil
}
func (op *timesGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "odeop.solveAtGrad#%d", op.fwd.id) }
func (op *timesGradOp) Hashcode() uint32      { return graphop.Hashcode(op) }
func (op *timesGradOp) String() string        { return fmt.Sprintf("odeSolveAtGrad#%d", op.fwd.id) }

func (op *timesGradOp) Do(vals ...G.Value) (G.Value, error) {
	flat, err := op.compute(vals)
	if err != nil {
		return nil, err
	}
	return graphop.Dense(op.fwd.base.dtype, flat, len(flat)), nil
}

func (op *timesGradOp) compute(vals []G.Value) (flat []float64, err error) {
	defer recoverDynamics(&err, op)
	b := op.fwd.base
	n, T := b.batch*b.dim, op.fwd.nt()
	z0, params, zs, gzs, err := graphop.GradArgs(op, op.fwd, vals, n, op.fwd.pshape(), T*n, ErrShape, ErrNonFinite)
	if err != nil {
		return nil, err
	}
	theta, ts := params[:len(params)-1], params[len(params)-1]
	s, err := op.fwd.solveFor(ts)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	rec := s.rec
	s.mu.Unlock()
	g, st, err := b.cfg.grad.backward(s, rec, z0, theta, zs, gzs)
	if err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	ev, err := newBatchEval(b.f, theta, b.batch, b.dim)
	if err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	defer ev.Release()
	dts := make([]float64, T)
	fv := make([]float64, n)
	for i := 1; i < T; i++ {
		ev.Eval(fv, ts[i], zs[i*n:(i+1)*n])
		dts[i] = dot(gzs[i*n:(i+1)*n], fv)
	}
	ev.Eval(fv, ts[0], z0)
	for j := 0; j < n; j++ {
		dts[0] -= (g[j] - gzs[j]) * fv[j]
	}
	s.mu.Lock()
	s.bwd = st
	s.mu.Unlock()
	return append(g, dts...), nil
}
