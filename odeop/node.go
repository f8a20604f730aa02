package odeop

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
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
// All options of Integrate apply. The solve runs in float64; a float32 graph is converted
// at the node's edges (inputs are widened, outputs and gradients narrowed).
func Solve(z0 *G.Node, f Dynamics, ts []float64, opts ...Option) (*G.Node, error) {
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
	if err := solveCheck(cfg, ts); err != nil {
		return nil, errors.Wrap(err, "solve")
	}
	shape := z0.Shape()
	batch, dim := shape[0], shape[1]
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
	children := append(G.Nodes{z0}, params...)
	n, err := G.ApplyOp(op, children...)
	if err != nil {
		return nil, errors.Wrap(err, "solve")
	}
	return n, nil
}

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
	id     uint64
	f      Dynamics
	ts     []float64
	cfg    *config
	batch  int
	dim    int
	dtype  tensor.Dtype
	pshape []tensor.Shape

	mu   sync.Mutex
	fwd  Stats
	bwd  Stats
	ckpt *checkpointTape // steps of the last forward solve (Checkpoint only)

	engines rkPool // Runge-Kutta engines of earlier runs, forward and backward
}

func (op *solveOp) Arity() int { return 1 + len(op.pshape) }

func tensorTypeOf(dims int, a hm.Type) hm.Type {
	if dims == 0 {
		return a
	}
	return G.TensorType{Dims: dims, Of: a}
}

// Type builds a fresh type on every call (a cached hm type breaks a second ApplyOp).
func (op *solveOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, 0, op.Arity()+1)
	ts = append(ts, G.TensorType{Dims: 2, Of: a})
	for _, s := range op.pshape {
		ts = append(ts, tensorTypeOf(s.Dims(), a))
	}
	ts = append(ts, G.TensorType{Dims: 3, Of: a})
	return hm.NewFnType(ts...)
}

func (op *solveOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{len(op.ts), op.batch, op.dim}, nil
}

func (op *solveOp) ReturnsPtr() bool     { return false }
func (op *solveOp) CallsExtern() bool    { return false }
func (op *solveOp) OverwritesInput() int { return -1 }
func (op *solveOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "odeop.solve#%d", op.id)
}
func (op *solveOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op *solveOp) String() string {
	return fmt.Sprintf("odeSolve#%d(%s, %d times)", op.id, op.cfg.method, len(op.ts))
}

// inputs converts the values handed to Do into float64 slices, checking shapes.
func (op *solveOp) inputs(vals []G.Value) (z0 []float64, theta [][]float64, err error) {
	if len(vals) < op.Arity() {
		return nil, nil, errors.Wrapf(ErrShape, "%v: got %d inputs, want %d", op, len(vals), op.Arity())
	}
	if z0, err = valueF64(vals[0], op.batch*op.dim); err != nil {
		return nil, nil, errors.Wrapf(err, "%v: z0", op)
	}
	theta = make([][]float64, len(op.pshape))
	for i, s := range op.pshape {
		if theta[i], err = valueF64(vals[1+i], s.TotalSize()); err != nil {
			return nil, nil, errors.Wrapf(err, "%v: parameter %d", op, i)
		}
	}
	return z0, theta, nil
}

func (op *solveOp) Do(vals ...G.Value) (retVal G.Value, err error) {
	defer recoverDynamics(&err, op)
	z0, theta, err := op.inputs(vals)
	if err != nil {
		return nil, err
	}
	for i, v := range z0 {
		if !isFinite(v) {
			return nil, errors.Wrapf(ErrState, "%v: z0[%d] = %v", op, i, v)
		}
	}
	ev, err := newBatchEval(op.f, theta, op.batch, op.dim)
	if err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	defer ev.release()
	var tape *checkpointTape
	cfg := *op.cfg
	if op.cfg.grad == Checkpoint {
		tape = newCheckpointTape(op.cfg.method, z0, theta)
		cfg.onStep = tape.record
	}
	// The solve writes straight into the output tensor's backing, one row per time.
	out := make([]float64, len(op.ts)*op.batch*op.dim)
	st, err := op.solveInto(ev.eval, z0, &cfg, out)
	if err != nil {
		return nil, errors.Wrapf(err, "%v: forward solve", op)
	}
	op.mu.Lock()
	op.fwd = st
	op.ckpt = tape
	op.mu.Unlock()
	return newDense(op.dtype, out, len(op.ts), op.batch, op.dim), nil
}

// solveInto is Integrate(f, z0, op.ts) with the configuration cfg, writing z at the times
// into out (row k: z(ts[k])) with an engine of the op's pool.
func (op *solveOp) solveInto(f Func, z0 []float64, cfg *config, out []float64) (Stats, error) {
	p, err := planOf(cfg.method)
	if err != nil {
		return Stats{}, err
	}
	if err := checkArgs(f, z0, op.ts, p.tb, cfg); err != nil {
		return Stats{}, err
	}
	n := len(z0)
	ys := rowsOf(out, len(op.ts), n)
	if len(op.ts) == 1 {
		copy(ys[0], z0)
		return Stats{}, nil
	}
	r := op.engines.get(p, f, n)
	defer op.engines.put(r)
	return r.run(z0, op.ts, ys, cfg)
}

// DiffWRT: the solve is differentiable with respect to every input.
func (op *solveOp) DiffWRT(inputs int) []bool {
	r := make([]bool, inputs)
	for i := range r {
		r[i] = true
	}
	return r
}

// SymDiff builds the gradient graph: one backward op computing every gradient in one
// backward solve, and one extract op per input.
func (op *solveOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, errors.Wrapf(ErrShape, "%v: SymDiff got %d inputs, want %d", op, len(inputs), op.Arity())
	}
	gop := &gradOp{fwd: op}
	children := append(append(G.Nodes{}, inputs...), output, grad)
	flat, err := G.ApplyOp(gop, children...)
	if err != nil {
		return nil, errors.Wrapf(err, "%v: gradient op", op)
	}
	res := make(G.Nodes, len(inputs))
	off := 0
	for i, in := range inputs {
		shape := in.Shape().Clone()
		size := shape.TotalSize()
		xop := &extractOp{parent: op.id, index: i, offset: off, shape: shape}
		if res[i], err = G.ApplyOp(xop, flat); err != nil {
			return nil, errors.Wrapf(err, "%v: extract gradient %d", op, i)
		}
		off += size
	}
	return res, nil
}

// DoDiff is the LispMachine's path: compute every gradient and add it to the inputs'
// gradients.
func (op *solveOp) DoDiff(ctx G.ExecutionContext, inputs G.Nodes, output *G.Node) error {
	gradV, err := output.Grad()
	if err != nil {
		return errors.Wrapf(err, "%v: output has no gradient", op)
	}
	vals := make([]G.Value, 0, len(inputs)+2)
	for _, in := range inputs {
		vals = append(vals, in.Value())
	}
	vals = append(vals, output.Value(), gradV)
	flat, err := (&gradOp{fwd: op}).compute(vals)
	if err != nil {
		return err
	}
	off := 0
	for i, in := range inputs {
		size := in.Shape().TotalSize()
		g, err := in.Grad()
		if err != nil {
			return errors.Wrapf(err, "%v: input %d has no gradient slot", op, i)
		}
		if err := addInto(g, flat[off:off+size]); err != nil {
			return errors.Wrapf(err, "%v: input %d", op, i)
		}
		off += size
	}
	return nil
}

// gradOp computes the gradients of every input of a solve in one backward pass. Inputs:
// z0, params..., zs (forward output), dL/dzs. Output: a flat vector [dz0 | dtheta_1 | ...].
type gradOp struct {
	fwd *solveOp
}

func (op *gradOp) Arity() int { return op.fwd.Arity() + 2 }

func (op *gradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, 0, op.Arity()+1)
	ts = append(ts, G.TensorType{Dims: 2, Of: a})
	for _, s := range op.fwd.pshape {
		ts = append(ts, tensorTypeOf(s.Dims(), a))
	}
	ts = append(ts, G.TensorType{Dims: 3, Of: a}, G.TensorType{Dims: 3, Of: a}, G.TensorType{Dims: 1, Of: a})
	return hm.NewFnType(ts...)
}

func (op *gradOp) size() int {
	n := op.fwd.batch * op.fwd.dim
	for _, s := range op.fwd.pshape {
		n += s.TotalSize()
	}
	return n
}

func (op *gradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.size()}, nil
}
func (op *gradOp) ReturnsPtr() bool      { return false }
func (op *gradOp) CallsExtern() bool     { return false }
func (op *gradOp) OverwritesInput() int  { return -1 }
func (op *gradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "odeop.grad#%d", op.fwd.id) }
func (op *gradOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op *gradOp) String() string {
	return fmt.Sprintf("odeSolveGrad#%d(%s)", op.fwd.id, op.fwd.cfg.grad)
}

func (op *gradOp) Do(vals ...G.Value) (G.Value, error) {
	flat, err := op.compute(vals)
	if err != nil {
		return nil, err
	}
	return newDense(op.fwd.dtype, flat, len(flat)), nil
}

// compute runs the backward pass and returns the flat gradient.
func (op *gradOp) compute(vals []G.Value) (flat []float64, err error) {
	defer recoverDynamics(&err, op)
	f := op.fwd
	if len(vals) != op.Arity() {
		return nil, errors.Wrapf(ErrShape, "%v: got %d inputs, want %d", op, len(vals), op.Arity())
	}
	z0, theta, err := f.inputs(vals[:f.Arity()])
	if err != nil {
		return nil, err
	}
	n := f.batch * f.dim
	zs, err := valueF64(vals[f.Arity()], len(f.ts)*n)
	if err != nil {
		return nil, errors.Wrapf(err, "%v: forward output", op)
	}
	gzs, err := valueF64(vals[f.Arity()+1], len(f.ts)*n)
	if err != nil {
		return nil, errors.Wrapf(err, "%v: output gradient", op)
	}
	for i, v := range gzs {
		if !isFinite(v) {
			return nil, errors.Wrapf(ErrNonFinite, "%v: incoming gradient [%d] = %v", op, i, v)
		}
	}
	var st Stats
	switch f.cfg.grad {
	case Adjoint:
		flat, st, err = adjointBackward(f, z0, theta, zs, gzs)
	case Checkpoint:
		f.mu.Lock()
		tape := f.ckpt
		f.mu.Unlock()
		flat, st, err = checkpointBackward(f, tape, z0, theta, gzs)
	default:
		err = errors.Wrapf(ErrOption, "unknown gradient method %d", f.cfg.grad)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	for i, v := range flat {
		if !isFinite(v) {
			return nil, errors.Wrapf(ErrNonFinite, "%v: gradient [%d] = %v", op, i, v)
		}
	}
	f.mu.Lock()
	f.bwd = st
	f.mu.Unlock()
	return flat, nil
}

// recoverDynamics turns a panic raised while evaluating the dynamics (a Gorgonia subgraph
// that fails to run, say) into an error of the op, so RunAll reports it.
func recoverDynamics(err *error, op fmt.Stringer) {
	if r := recover(); r != nil {
		if e, ok := r.(error); ok {
			*err = errors.Wrapf(e, "%v", op)
			return
		}
		*err = errors.Wrapf(ErrDynamics, "%v: %v", op, r)
	}
}

// extractOp hands one input its part of the flat gradient.
type extractOp struct {
	parent uint64
	index  int
	offset int
	shape  tensor.Shape
}

func (op *extractOp) Arity() int { return 1 }
func (op *extractOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 1, Of: a}, tensorTypeOf(op.shape.Dims(), a))
}
func (op *extractOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.shape.Clone(), nil }
func (op *extractOp) ReturnsPtr() bool                               { return false }
func (op *extractOp) CallsExtern() bool                              { return false }
func (op *extractOp) OverwritesInput() int                           { return -1 }
func (op *extractOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "odeop.extract#%d.%d", op.parent, op.index)
}
func (op *extractOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op *extractOp) String() string { return fmt.Sprintf("odeGradPart#%d[%d]", op.parent, op.index) }

func (op *extractOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 {
		return nil, errors.Wrapf(ErrShape, "%v: got %d inputs, want 1", op, len(vals))
	}
	size := op.shape.TotalSize()
	switch d := vals[0].Data().(type) {
	case []float64:
		if op.offset+size > len(d) {
			return nil, errors.Wrapf(ErrShape, "%v: flat gradient has %d entries, want at least %d", op, len(d), op.offset+size)
		}
		out := append([]float64(nil), d[op.offset:op.offset+size]...)
		return shapedValue(tensor.Float64, out, op.shape), nil
	case []float32:
		if op.offset+size > len(d) {
			return nil, errors.Wrapf(ErrShape, "%v: flat gradient has %d entries, want at least %d", op, len(d), op.offset+size)
		}
		out := append([]float32(nil), d[op.offset:op.offset+size]...)
		return shapedValue(tensor.Float32, out, op.shape), nil
	}
	return nil, errors.Wrapf(ErrShape, "%v: unsupported value %T", op, vals[0].Data())
}
