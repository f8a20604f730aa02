package latent

import (
	"fmt"
	"hash"
	"sort"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/odeop"
)

// This file holds what the latent models share: parameter values shared across the
// graphs a model builds, a row-gating op, the recurrent pass of an ODE-RNN or a GRU, and
// the input tensors of a batch.

// latParams holds a model's learnable values by name. A model builds one Gorgonia graph
// per batch shape and time grid (training, prediction); the parameter nodes of every such
// graph share these tensors, so an optimizer step on one graph is seen by all.
type latParams struct {
	names []string
	vals  map[string]*tensor.Dense
}

func newLatParams() *latParams { return &latParams{vals: map[string]*tensor.Dense{}} }

// adopt binds nodes to the stored values of their names; a name seen for the first time
// stores the node's own (initial) value.
func (p *latParams) adopt(nodes G.Nodes) error {
	for _, n := range nodes {
		name := n.Name()
		if v, ok := p.vals[name]; ok {
			if !v.Shape().Eq(n.Shape()) {
				return errors.Wrapf(ErrConfig, "parameter %s has shape %v, stored %v", name, n.Shape(), v.Shape())
			}
			if err := G.Let(n, v); err != nil {
				return errors.Wrapf(err, "bind parameter %s", name)
			}
			continue
		}
		d, ok := n.Value().(*tensor.Dense)
		if !ok || d.Dtype() != tensor.Float64 {
			return errors.Wrapf(ErrConfig, "parameter %s holds %T; want a float64 dense tensor", name, n.Value())
		}
		p.vals[name] = d
		p.names = append(p.names, name)
	}
	return nil
}

// count is the number of scalar parameters.
func (p *latParams) count() int {
	n := 0
	for _, v := range p.vals {
		n += v.Shape().TotalSize()
	}
	return n
}

// nodes returns nodes of a fresh graph bound to the stored values (for checkpoints).
func (p *latParams) nodes() G.Nodes {
	g := G.NewGraph()
	out := make(G.Nodes, 0, len(p.names))
	names := append([]string(nil), p.names...)
	sort.Strings(names)
	for _, name := range names {
		v := p.vals[name]
		out = append(out, G.NodeFromAny(g, v, G.WithName(name)))
	}
	return out
}

// latMixOp is out = a + s ⊙ (b - a) row-wise: the rows of a (batch, n) matrix with
// s = 1 take b's row, those with s = 0 keep a's. s is a vector of 0 and 1, not
// differentiated.
type latMixOp struct{ batch, n int }

func (op *latMixOp) Arity() int { return 3 }
func (op *latMixOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(m, m, G.TensorType{Dims: 1, Of: a}, m)
}
func (op *latMixOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.batch, op.n}, nil
}
func (op *latMixOp) ReturnsPtr() bool      { return false }
func (op *latMixOp) CallsExtern() bool     { return false }
func (op *latMixOp) OverwritesInput() int  { return -1 }
func (op *latMixOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "latent.mix(%d,%d)", op.batch, op.n) }
func (op *latMixOp) Hashcode() uint32      { return latHash(op) }
func (op *latMixOp) String() string        { return "rowMix" }
func (op *latMixOp) DiffWRT(int) []bool    { return []bool{true, true, false} }

func (op *latMixOp) Do(vals ...G.Value) (G.Value, error) {
	a, b, s, err := latF64s3(op, vals, op.batch*op.n, op.batch*op.n, op.batch)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(a))
	for i := 0; i < op.batch; i++ {
		for j := 0; j < op.n; j++ {
			k := i*op.n + j
			out[k] = a[k] + s[i]*(b[k]-a[k])
		}
	}
	return tensor.New(tensor.WithShape(op.batch, op.n), tensor.WithBacking(out)), nil
}

func (op *latMixOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	da, err := G.ApplyOp(&latRowScaleOp{batch: op.batch, n: op.n, complement: true}, grad, inputs[2])
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(&latRowScaleOp{batch: op.batch, n: op.n}, grad, inputs[2])
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, db, nil}, nil
}

// latRowScaleOp is out = s ⊙ g row-wise (or (1 - s) ⊙ g when complement), the gradient
// of latMixOp.
type latRowScaleOp struct {
	batch, n   int
	complement bool
}

func (op *latRowScaleOp) Arity() int { return 2 }
func (op *latRowScaleOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m := G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(m, G.TensorType{Dims: 1, Of: a}, m)
}
func (op *latRowScaleOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.batch, op.n}, nil
}
func (op *latRowScaleOp) ReturnsPtr() bool     { return false }
func (op *latRowScaleOp) CallsExtern() bool    { return false }
func (op *latRowScaleOp) OverwritesInput() int { return -1 }
func (op *latRowScaleOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "latent.rowScale(%d,%d,%v)", op.batch, op.n, op.complement)
}
func (op *latRowScaleOp) Hashcode() uint32   { return latHash(op) }
func (op *latRowScaleOp) String() string     { return "rowScale" }
func (op *latRowScaleOp) DiffWRT(int) []bool { return []bool{true, false} }

func (op *latRowScaleOp) Do(vals ...G.Value) (G.Value, error) {
	g, s, _, err := latF64s3(op, append(vals, nil), op.batch*op.n, op.batch, -1)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(g))
	for i := 0; i < op.batch; i++ {
		c := s[i]
		if op.complement {
			c = 1 - c
		}
		for j := 0; j < op.n; j++ {
			out[i*op.n+j] = c * g[i*op.n+j]
		}
	}
	return tensor.New(tensor.WithShape(op.batch, op.n), tensor.WithBacking(out)), nil
}

func (op *latRowScaleOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	d, err := G.ApplyOp(&latRowScaleOp{batch: op.batch, n: op.n, complement: op.complement}, grad, inputs[1])
	return G.Nodes{d, nil}, err
}

// latF64s3 reads up to three float64 inputs of the given sizes (a negative size: absent).
func latF64s3(op fmt.Stringer, vals []G.Value, n0, n1, n2 int) (a, b, c []float64, err error) {
	sizes := []int{n0, n1, n2}
	out := make([][]float64, 3)
	for i, n := range sizes {
		if n < 0 {
			continue
		}
		if i >= len(vals) || vals[i] == nil {
			return nil, nil, nil, errors.Wrapf(ErrConfig, "%v: input %d missing", op, i)
		}
		d, ok := vals[i].Data().([]float64)
		if !ok || len(d) != n {
			return nil, nil, nil, errors.Wrapf(ErrConfig, "%v: input %d holds %d values, want %d float64", op, i, latLen(vals[i]), n)
		}
		out[i] = d
	}
	return out[0], out[1], out[2], nil
}

// latInput is an input node of a graph with its backing slice, which is refilled before
// every run.
type latInput struct {
	node *G.Node
	data []float64
}

func newLatInput(g *G.ExprGraph, name string, shape ...int) latInput {
	n := 1
	for _, s := range shape {
		n *= s
	}
	data := make([]float64, n)
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	var node *G.Node
	switch len(shape) {
	case 0:
		panic("latent: scalar latInput")
	case 1:
		node = G.NewVector(g, tensor.Float64, G.WithShape(shape...), G.WithName(name), G.WithValue(t))
	case 2:
		node = G.NewMatrix(g, tensor.Float64, G.WithShape(shape...), G.WithName(name), G.WithValue(t))
	default:
		node = G.NewTensor(g, tensor.Float64, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(t))
	}
	return latInput{node: node, data: data}
}

// latRecurrence is the recurrent pass of an ODE-RNN (Rubanova et al. 2019, algorithm 1)
// or of a plain GRU: between grid times the hidden state follows dh/dt = f(t, h) (f nil:
// it stays), and at each grid time the rows that observe something are updated by the
// GRU. Rows that have not yet seen an observation keep a zero state, so that a sequence
// batched on the union of times evolves exactly as it would on its own times.
type latRecurrence struct {
	gru  *GRU
	f    odeop.Dynamics
	opts []odeop.Option
}

// latStepInputs are the per-time inputs of a recurrence: the GRU input x (batch, In),
// the update gate o (1 where the row observes something at this time) and the
// "started" gate s (1 where the row has seen an observation before this time, in the
// direction of the pass; the ODE moves only those rows).
type latStepInputs struct {
	x, o, s latInput
}

func newLatStepInputs(g *G.ExprGraph, prefix string, i, batch, in int) latStepInputs {
	return latStepInputs{
		x: newLatInput(g, fmt.Sprintf("%s.x%d", prefix, i), batch, in),
		o: newLatInput(g, fmt.Sprintf("%s.o%d", prefix, i), batch),
		s: newLatInput(g, fmt.Sprintf("%s.s%d", prefix, i), batch),
	}
}

// run builds the pass over the grid indices order (in the order given: increasing times
// for a forward pass, decreasing for a backward one) from h0. pre[k] is the state at
// times[order[k]] before its update (after the ODE moved it there), post[k] the state
// after it.
func (r *latRecurrence) run(h0 *G.Node, times []float64, order []int, in []latStepInputs) (pre, post []*G.Node, err error) {
	h := h0
	b, hid := h0.Shape()[0], h0.Shape()[1]
	pre = make([]*G.Node, len(order))
	post = make([]*G.Node, len(order))
	for k, i := range order {
		if k > 0 && r.f != nil {
			prev := times[order[k-1]]
			zs, err := odeop.Solve(h, r.f, []float64{prev, times[i]}, r.opts...)
			if err != nil {
				return nil, nil, errors.Wrapf(err, "ode-rnn transition %g -> %g", prev, times[i])
			}
			moved, err := G.Slice(zs, G.S(1))
			if err != nil {
				return nil, nil, err
			}
			if h, err = G.ApplyOp(&latMixOp{batch: b, n: hid}, h, moved, in[k].s.node); err != nil {
				return nil, nil, err
			}
		}
		pre[k] = h
		if h, err = r.gru.Step(h, in[k].x.node, in[k].o.node); err != nil {
			return nil, nil, err
		}
		post[k] = h
	}
	return pre, post, nil
}

// fillStarted writes the started gates of a pass over order: a row has started at step k
// when it observed something at an earlier step. The update gates must be filled.
func fillStarted(steps []latStepInputs, rows int) {
	started := make([]bool, rows)
	for k := range steps {
		st := &steps[k]
		for b := 0; b < rows; b++ {
			st.s.data[b] = 0
			if started[b] {
				st.s.data[b] = 1
			}
			if st.o.data[b] != 0 {
				started[b] = true
			}
		}
	}
}

// fillStep writes the GRU input [x ⊙ m, m] (and, when dt is not nil, the extra input
// column dt) of sequences rows of s at grid time t into st, with the update gate. The
// started gate is filled by the caller.
func fillStep(st *latStepInputs, s *Series, rows []int, t int, dt []float64) {
	in := 2 * s.D
	if dt != nil {
		in++
	}
	for b, n := range rows {
		obs := 0.0
		x := st.x.data[b*in : (b+1)*in]
		for d := 0; d < s.D; d++ {
			i := s.Index(n, t, d)
			m := s.Mask[i]
			x[d], x[s.D+d] = 0, m
			if m != 0 {
				x[d] = s.Values[i]
				obs = 1
			}
		}
		if dt != nil {
			x[in-1] = dt[b]
		}
		st.o.data[b] = obs
	}
}

// lastObserved is the largest grid index at which any sequence of s observes something
// (-1 if none).
func lastObserved(s *Series) int {
	last := -1
	for n := 0; n < s.N; n++ {
		for t := len(s.Times) - 1; t > last; t-- {
			if s.ObservedAt(n, t) {
				last = t
				break
			}
		}
	}
	return last
}

// latBatches yields the row indices of successive training batches: shuffled passes over
// the n sequences, each batch of size b (b <= n).
type latBatches struct {
	perm []int
	pos  int
	b    int
	src  interface{ Intn(int) int }
}

func (lb *latBatches) next() []int {
	n := len(lb.perm)
	if lb.pos+lb.b > n || lb.pos == 0 {
		for i := n - 1; i > 0; i-- {
			j := lb.src.Intn(i + 1)
			lb.perm[i], lb.perm[j] = lb.perm[j], lb.perm[i]
		}
		lb.pos = 0
	}
	rows := lb.perm[lb.pos : lb.pos+lb.b]
	lb.pos += lb.b
	return rows
}
