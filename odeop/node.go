package odeop

import (
	"fmt"
	"hash"
	"math"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// opIDs numbers op instances: Gorgonia hash-conses nodes by their op's hash, so two solves
// with equal-looking arguments must still hash differently.
var opIDs uint64

func nextOpID() uint64 { return atomic.AddUint64(&opIDs, 1) }

// Solve returns a node holding z at every time of ts, of shape (len(ts), batch, dim), for
// dz/dt = f(t, z; theta) with z(ts[0]) = z0 of shape (batch, dim). The inputs of the node
// are z0 and f.Params(), so gorgonia.Grad through it gives gradients with respect to both:
// by the adjoint method (default) or by backpropagation through the stored steps (see
// WithGradient).
//
// All options of Integrate apply, and those of the gradient: WithGradient, WithSeminorm
// and WithAdjointTol. z0 must have at least one row and one column. The solve runs in
// float64; a float32 graph is converted at the node's edges (inputs are widened, outputs
// and gradients narrowed).
func Solve(z0 *G.Node, f Dynamics, ts []float64, opts ...Option) (*G.Node, error) {
	op, err := newSolveOp(z0, f, ts, opts)
	if err != nil {
		return nil, err
	}
	n, err := G.ApplyOp(op, append(G.Nodes{z0}, f.Params()...)...)
	if err != nil {
		return nil, errors.Wrap(err, "solve")
	}
	return n, nil
}

// newSolveOp checks the arguments of Solve and makes its op (SolveAt makes one too).
func newSolveOp(z0 *G.Node, f Dynamics, ts []float64, opts []Option) (*solveOp, error) {
	if z0 == nil {
		return nil, errors.Wrap(ErrShape, "solve: z0 is nil")
	}
	if f == nil {
		return nil, errors.Wrap(ErrDynamics, "solve: f is nil")
	}
	if z0.Dims() != 2 {
		return nil, errors.Wrapf(ErrShape, "solve: z0 has shape %v, want a matrix (batch, dim)", z0.Shape())
	}
	dt := z0.Dtype()
	if dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, errors.Wrapf(ErrShape, "solve: z0 has dtype %v, want float64 or float32", dt)
	}
	cfg := newConfig(opts)
	if err := cfg.check(true); err != nil {
		return nil, errors.Wrap(err, "solve")
	}
	if err := checkTimes(ts); err != nil {
		return nil, errors.Wrap(err, "solve")
	}
	shape := z0.Shape()
	batch, dim := shape[0], shape[1]
	if batch < 1 || dim < 1 {
		return nil, errors.Wrapf(ErrShape, "solve: z0 has shape %v, want at least one row and one column", shape)
	}
	if batch > maxElems/dim || batch*dim > maxElems/len(ts) {
		return nil, errors.Wrapf(ErrShape, "solve: z0 of shape %v at %d times has more than %d elements", shape, len(ts), maxElems)
	}
	params := f.Params()
	for i, p := range params {
		if p == nil {
			return nil, errors.Wrapf(ErrShape, "solve: parameter %d is nil", i)
		}
		if p.Dtype() != dt {
			return nil, errors.Wrapf(ErrShape, "solve: parameter %d (%s) has dtype %v, z0 has %v", i, p.Name(), p.Dtype(), dt)
		}
		if p.Graph() != z0.Graph() {
			return nil, errors.Wrapf(ErrShape, "solve: parameter %d (%s) is in another graph than z0", i, p.Name())
		}
	}
	if err := f.Check(batch, dim); err != nil {
		if errors.Is(err, ErrShape) { // it says so already
			return nil, errors.Wrapf(err, "solve: dynamics do not fit z0 of shape (%d, %d)", batch, dim)
		}
		return nil, errors.Wrapf(ErrShape, "solve: dynamics do not fit z0 of shape (%d, %d): %v", batch, dim, err)
	}
	op := &solveOp{
		id:     nextOpID(),
		f:      f,
		ts:     append([]float64(nil), ts...),
		cfg:    cfg,
		batch:  batch,
		dim:    dim,
		dtype:  dt,
		pshape: make([]tensor.Shape, len(params)),
	}
	for i, p := range params {
		op.pshape[i] = p.Shape().Clone()
	}
	return op, nil
}

// maxElems bounds the elements of a solve's output (len(ts)*batch*dim), so that the sizes
// of its buffers cannot overflow an int.
const maxElems = math.MaxInt / 8

// StatsOf returns the statistics of the most recent forward and backward solves of a node
// made by Solve; ok is false for other nodes.
func StatsOf(n *G.Node) (forward, backward Stats, ok bool) {
	if n == nil {
		return Stats{}, Stats{}, false
	}
	op, isSolve := n.Op().(*solveOp)
	if !isSolve {
		return Stats{}, Stats{}, false
	}
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.fwd, op.bwd, true
}

// solveOp is the forward solve: inputs z0 and the parameters, output z at ts.
type solveOp struct {
	graphop.Pure
	id     uint64
	f      Dynamics
	ts     []float64
	cfg    *config
	batch  int
	dim    int
	dtype  tensor.Dtype
	pshape []tensor.Shape

	mu  sync.Mutex
	fwd Stats
	bwd Stats
	rec any // the gradient method's record of the last forward solve

	engines    rkPool    // Runge-Kutta engines of earlier runs, forward and backward
	adjScratch sync.Pool // *[]float64: the buffers of an adjoint backward pass
}

func (op *solveOp) Arity() int { return 1 + len(op.pshape) }

func (op *solveOp) Type() hm.Type { return graphop.SolveType(op.pshape) }

func (op *solveOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{len(op.ts), op.batch, op.dim}, nil
}

func (op *solveOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "odeop.solve#%d", op.id) }
func (op *solveOp) Hashcode() uint32      { return graphop.Hashcode(op) }
func (op *solveOp) String() string {
	return fmt.Sprintf("odeSolve#%d(%s, %d times)", op.id, op.cfg.plan.tb.Name, len(op.ts))
}

func (op *solveOp) Do(vals ...G.Value) (retVal G.Value, err error) {
	defer recoverDynamics(&err, op)
	z0, theta, err := graphop.Inputs(op, vals, op.batch*op.dim, op.pshape, ErrShape)
	if err != nil {
		return nil, err
	}
	if i := graphop.NonFinite(z0); i >= 0 {
		return nil, errors.Wrapf(ErrState, "%v: z0[%d] = %v", op, i, z0[i])
	}
	ev, err := newBatchEval(op.f, theta, op.batch, op.dim)
	if err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	defer ev.Release()
	cfg := *op.cfg
	var rec any
	cfg.onStep, rec = op.cfg.grad.record(op.cfg.plan, z0, theta)
	// The solve writes straight into the output tensor's backing, one row per time.
	out := make([]float64, len(op.ts)*op.batch*op.dim)
	st, err := op.solveInto(ev.RHS, newBatchChunks(ev, len(z0), false, nil), z0, &cfg, out)
	if err != nil {
		return nil, errors.Wrapf(err, "%v: forward solve", op)
	}
	op.mu.Lock()
	op.fwd = st
	op.rec = rec
	op.mu.Unlock()
	return graphop.Dense(op.dtype, out, len(op.ts), op.batch, op.dim), nil
}

// solveInto is Integrate(f, z0, op.ts) with the configuration cfg, writing z at the times
// into out (row k: z(ts[k])) with an engine of the op's pool; rc, when not nil, is f by
// row chunks (setup.rows).
func (op *solveOp) solveInto(f Func, rc rowChunks, z0 []float64, cfg *config, out []float64) (Stats, error) {
	if err := checkArgs(f, z0, op.ts, cfg); err != nil {
		return Stats{}, err
	}
	n := len(z0)
	ys := rowsOf(out, len(op.ts), n)
	if len(op.ts) == 1 {
		copy(ys[0], z0)
		return Stats{}, nil
	}
	su := setup{f: f, rows: rc}
	if cfg.plan.tb.Implicit() {
		// the Newton iterations work on the whole vector, with the Jacobian's blocks of
		// the batch's rows (implicit_block.go)
		su = setup{f: f, block: op.dim}
	}
	r := op.engines.get(cfg.plan, n, su)
	defer op.engines.put(r)
	return r.run(z0, op.ts, ys, cfg)
}

// DiffWRT: the solve is differentiable with respect to every input.
func (op *solveOp) DiffWRT(inputs int) []bool { return graphop.DiffAll(inputs) }

// SymDiff builds the gradient graph: one backward op computing every gradient in one
// backward solve, and one extract op per input.
func (op *solveOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	part := graphop.Extract{Name: "ode", Parent: op.id, Kind: ErrShape}
	return graphop.SymDiff(op, &gradOp{fwd: op}, part, inputs, output, grad)
}

// DoDiff is the LispMachine's path: compute every gradient and add it to the inputs'
// gradients.
func (op *solveOp) DoDiff(ctx G.ExecutionContext, inputs G.Nodes, output *G.Node) error {
	return graphop.DoDiff(op, (&gradOp{fwd: op}).compute, inputs, output, ErrShape)
}

// gradOp computes the gradients of every input of a solve in one backward pass. Inputs:
// z0, params..., zs (forward output), dL/dzs. Output: a flat vector [dz0 | dtheta_1 | ...].
type gradOp struct {
	graphop.Pure
	fwd *solveOp
}

func (op *gradOp) Arity() int { return op.fwd.Arity() + 2 }

func (op *gradOp) Type() hm.Type { return graphop.GradType(op.fwd.pshape) }

func (op *gradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{graphop.FlatSize(op.fwd.batch*op.fwd.dim, op.fwd.pshape)}, nil
}
func (op *gradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "odeop.grad#%d", op.fwd.id) }
func (op *gradOp) Hashcode() uint32      { return graphop.Hashcode(op) }
func (op *gradOp) String() string {
	return fmt.Sprintf("odeSolveGrad#%d(%s)", op.fwd.id, op.fwd.cfg.grad)
}

func (op *gradOp) Do(vals ...G.Value) (G.Value, error) {
	flat, err := op.compute(vals)
	if err != nil {
		return nil, err
	}
	return graphop.Dense(op.fwd.dtype, flat, len(flat)), nil
}

// compute runs the backward pass and returns the flat gradient.
func (op *gradOp) compute(vals []G.Value) (flat []float64, err error) {
	defer recoverDynamics(&err, op)
	f := op.fwd
	n := f.batch * f.dim
	z0, theta, zs, gzs, err := graphop.GradArgs(op, f, vals, n, f.pshape, len(f.ts)*n, ErrShape, ErrNonFinite)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	rec := f.rec
	f.mu.Unlock()
	flat, st, err := f.cfg.grad.backward(f, rec, z0, theta, zs, gzs)
	if err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	if i := graphop.NonFinite(flat); i >= 0 {
		return nil, errors.Wrapf(ErrNonFinite, "%v: gradient [%d] = %v", op, i, flat[i])
	}
	f.mu.Lock()
	f.bwd = st
	f.mu.Unlock()
	return flat, nil
}

// recoverDynamics turns a panic raised while evaluating the dynamics (a Gorgonia subgraph
// that fails to run, an index out of range in a user's Evaluator) into an error of the op
// that wraps ErrDynamics, so RunAll reports it; a panic with an error value keeps that
// error too (errors.As finds a runtime.Error).
func recoverDynamics(err *error, op fmt.Stringer) {
	if r := recover(); r != nil {
		e, ok := r.(error)
		switch {
		case ok && errors.Is(e, ErrDynamics):
			*err = errors.Wrapf(e, "%v", op)
		case ok:
			*err = fmt.Errorf("%v: %w: %w", op, e, ErrDynamics)
		default:
			*err = errors.Wrapf(ErrDynamics, "%v: %v", op, r)
		}
	}
}
