package layers

import (
	"fmt"
	"hash"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
)

var convOpIDs uint64

// Fwd adds the network to x's graph as one op: x of shape (batch, In) to the output
// (batch, Out), at t = 0 (for ConcatConv2d layers). Gorgonia's gradient through the
// node is one gradient op running the native VJP. Both split a large batch by rows over
// two goroutines (graphop.Batch), with the parameter gradients summed in a fixed order.
// The graph must be float64.
func (m *ConvNet) Fwd(x *G.Node) (*G.Node, error) {
	if x == nil {
		return nil, errors.Wrapf(ErrShape, "%s: nil input", m.name)
	}
	if x.Dims() != 2 || x.Shape()[1] != m.In() {
		return nil, errors.Wrapf(ErrShape, "%s: input of shape %v, want (batch, %d)", m.name, x.Shape(), m.In())
	}
	if x.Dtype() != tensor.Float64 {
		return nil, errors.Wrapf(ErrShape, "%s: input of dtype %v, want float64", m.name, x.Dtype())
	}
	op := &convOp{net: m, id: atomic.AddUint64(&convOpIDs, 1), batch: x.Shape()[0]}
	children := append(G.Nodes{x}, m.params...)
	y, err := G.ApplyOp(op, children...)
	if err != nil {
		return nil, errors.Wrapf(err, "%s", m.name)
	}
	return y, nil
}

// convOp is the forward op of a ConvNet: inputs x, params...; output (batch, Out). It
// keeps the bound evaluators of its last forward run, with their activations, for the
// gradient op of the same run (which recomputes the forward pass when the inputs are
// not those of the last forward run).
type convOp struct {
	graphop.Pure
	net   *ConvNet
	id    uint64
	batch int

	mu   sync.Mutex
	last *convRun
}

// convRun is a forward pass kept for the backward pass: the chunks' evaluators (which
// hold copies of their input rows) and a copy of the parameters they ran with.
type convRun struct {
	b     *graphop.Batch
	theta [][]float64
}

// same reports whether the run was made from the values x and theta.
func (r *convRun) same(x []float64, theta [][]float64) bool {
	for c, ev := range r.b.Evaluators() {
		lo, hi := r.b.Range(c)
		if !slices.Equal(ev.(pooledConv).in, x[lo:hi]) {
			return false
		}
	}
	return slices.EqualFunc(r.theta, theta, slices.Equal[[]float64])
}

func (op *convOp) Arity() int { return 1 + len(op.net.params) }

func (op *convOp) fnType(extra ...int) hm.Type {
	a := hm.TypeVariable('a')
	ts := []hm.Type{G.TensorType{Dims: 2, Of: a}}
	for _, p := range op.net.params {
		ts = append(ts, graphop.TensorType(p.Dims(), a))
	}
	for _, d := range extra {
		ts = append(ts, G.TensorType{Dims: d, Of: a})
	}
	return hm.NewFnType(ts...)
}

func (op *convOp) Type() hm.Type { return op.fnType(2) }

func (op *convOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.batch, op.net.Out()}, nil
}

func (op *convOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "layers.conv#%d", op.id) }
func (op *convOp) Hashcode() uint32      { return graphop.Hashcode(op) }
func (op *convOp) String() string        { return fmt.Sprintf("%s#%d", op.net.name, op.id) }

// inputs reads x and the parameters from vals.
func (op *convOp) inputs(vals []G.Value) (x []float64, theta [][]float64, err error) {
	m := op.net
	if len(vals) < op.Arity() {
		return nil, nil, errors.Wrapf(ErrShape, "%v: got %d inputs, want %d", op, len(vals), op.Arity())
	}
	if x, err = floatsOf(vals[0], op.batch*m.In()); err != nil {
		return nil, nil, errors.Wrapf(err, "%v: input", op)
	}
	theta = make([][]float64, len(m.params))
	for i, p := range m.params {
		if theta[i], err = floatsOf(vals[1+i], p.Shape().TotalSize()); err != nil {
			return nil, nil, errors.Wrapf(err, "%v: parameter %s", op, p.Name())
		}
	}
	return x, theta, nil
}

func floatsOf(v G.Value, want int) ([]float64, error) {
	d, ok := v.Data().([]float64)
	if !ok {
		return nil, errors.Wrapf(ErrShape, "value of type %T, want float64 data", v.Data())
	}
	if len(d) != want {
		return nil, errors.Wrapf(ErrShape, "%d values, want %d", len(d), want)
	}
	return d, nil
}

// forward binds the chunks and runs the network on x into out (batch x Out).
func (op *convOp) forward(out, x []float64, theta [][]float64) (*convRun, error) {
	m := op.net
	bind := func(th [][]float64, nb, _ int) (graphop.Evaluator, error) {
		e, err := m.bind(th, nb)
		if err != nil {
			return nil, err
		}
		return pooledConv{e}, nil
	}
	b, err := graphop.NewBatch(bind, theta, op.batch, m.In())
	if err != nil {
		return nil, errors.Wrapf(err, "%v", op)
	}
	in, o := m.In(), m.Out()
	b.Run(func(c int) {
		lo, hi := b.Range(c)
		e := b.Evaluators()[c].(pooledConv)
		y := e.forward(0, x[lo:hi])
		if out != nil {
			copy(out[lo/in*o:hi/in*o], y)
		}
	})
	th := make([][]float64, len(theta))
	for i, v := range theta {
		th[i] = slices.Clone(v)
	}
	return &convRun{b: b, theta: th}, nil
}

// Do runs the network on the batch.
func (op *convOp) Do(vals ...G.Value) (G.Value, error) {
	x, theta, err := op.inputs(vals)
	if err != nil {
		return nil, err
	}
	out := make([]float64, op.batch*op.net.Out())
	run, err := op.forward(out, x, theta)
	if err != nil {
		return nil, err
	}
	op.mu.Lock()
	old := op.last
	op.last = run
	op.mu.Unlock()
	if old != nil {
		old.b.Release()
	}
	return tensor.New(tensor.WithShape(op.batch, op.net.Out()), tensor.WithBacking(out)), nil
}

// DiffWRT is true for every input.
func (op *convOp) DiffWRT(inputs int) []bool { return graphop.DiffAll(inputs) }

// SymDiff applies the gradient op and hands each input its part of the flat gradient.
func (op *convOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	part := graphop.Extract{Name: "conv", Parent: op.id, Kind: ErrShape}
	return graphop.SymDiff(op, &convGradOp{fwd: op}, part, inputs, output, grad)
}

// convGradOp computes the gradients of every input of a convOp in one backward pass.
// Inputs: x, params..., the forward output, its gradient. Output: the flat vector
// [dx | dtheta_1 | ...].
type convGradOp struct {
	graphop.Pure
	fwd *convOp
}

func (op *convGradOp) Arity() int    { return op.fwd.Arity() + 2 }
func (op *convGradOp) Type() hm.Type { return op.fwd.fnType(2, 2, 1) }
func (op *convGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.fwd.batch*op.fwd.net.In() + op.fwd.net.nparam}, nil
}
func (op *convGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "layers.convgrad#%d", op.fwd.id) }
func (op *convGradOp) Hashcode() uint32      { return graphop.Hashcode(op) }
func (op *convGradOp) String() string        { return fmt.Sprintf("%sGrad#%d", op.fwd.net.name, op.fwd.id) }

// Do runs the VJP, reusing the forward pass of the same inputs.
func (op *convGradOp) Do(vals ...G.Value) (G.Value, error) {
	f := op.fwd
	m := f.net
	if len(vals) != op.Arity() {
		return nil, errors.Wrapf(ErrShape, "%v: got %d inputs, want %d", op, len(vals), op.Arity())
	}
	x, theta, err := f.inputs(vals)
	if err != nil {
		return nil, err
	}
	gy, err := floatsOf(vals[len(vals)-1], f.batch*m.Out())
	if err != nil {
		return nil, errors.Wrapf(err, "%v: output gradient", op)
	}
	if i := graphop.NonFinite(gy); i >= 0 {
		return nil, errors.Wrapf(ErrShape, "%v: incoming gradient [%d] = %v", op, i, gy[i])
	}
	f.mu.Lock()
	run := f.last
	f.last = nil
	f.mu.Unlock()
	if run == nil || !run.same(x, theta) {
		if run != nil {
			run.b.Release()
		}
		if run, err = f.forward(nil, x, theta); err != nil {
			return nil, err
		}
	}
	defer run.b.Release()
	in, o := m.In(), m.Out()
	nx := f.batch * in
	flat := make([]float64, nx+m.nparam)
	run.b.Split(flat[nx:], func(ev graphop.Evaluator, lo, hi int, dth []float64) {
		ev.(pooledConv).backward(flat[lo:hi], dth, gy[lo/in*o:hi/in*o])
	})
	return tensor.New(tensor.WithShape(len(flat)), tensor.WithBacking(flat)), nil
}
