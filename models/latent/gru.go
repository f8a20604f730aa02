package latent

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
	"github.com/continuum-ml/continuum/layers"
)

// GRU is a gated recurrent unit (Cho et al. 2014) in the formulation of PyTorch's GRUCell:
//
//	r  = latSigmoid(x·Wr + bxr + h·Ur + bhr)
//	z  = latSigmoid(x·Wz + bxz + h·Uz + bhz)
//	n  = tanh(x·Wn + bxn + r ⊙ (h·Un + bhn))
//	h' = (1 - z) ⊙ n + z ⊙ h
//
// with W = [Wr Wz Wn] of shape (In, 3H), U = [Ur Uz Un] of shape (H, 3H) and biases bx,
// bh of length 3H. Its parameters are nodes of a Gorgonia graph named "<name>.W",
// "<name>.U", "<name>.bx" and "<name>.bh". Step applies the cell as one fused Gorgonia
// operation with a hand-written backward pass (one node forward, one backward, instead
// of the some fifty nodes of the same cell written with Gorgonia's elementary ops, whose
// per-node cost dominates a recurrence over a hundred time points).
type GRU struct {
	name   string
	in, h  int
	params G.Nodes // W, U, bx, bh
}

// NewGRU creates the parameters of a GRU with in inputs and hidden units in g: weights
// Glorot-uniform (seeded), biases zero.
func NewGRU(g *G.ExprGraph, name string, in, hidden int, seed uint64) (*GRU, error) {
	if g == nil || name == "" || in < 1 || hidden < 1 {
		return nil, errors.Wrapf(ErrConfig, "gru %q: %d inputs, %d hidden units", name, in, hidden)
	}
	c := &GRU{name: name, in: in, h: hidden}
	init := layers.GlorotUniform(seed)
	mk := func(suffix string, rows, cols int, role layers.Role, layer int) (*G.Node, error) {
		full := name + "." + suffix
		if len(g.ByName(full)) > 0 {
			return nil, errors.Wrapf(ErrConfig, "a node named %q is already in the graph", full)
		}
		v := make([]float64, rows*cols)
		// Glorot per gate: fan-in rows, fan-out hidden (as three separate maps).
		init(v, layers.ParamInfo{Layer: layer, Role: role, Rows: rows, Cols: cols, FanIn: rows, FanOut: hidden})
		if rows == 1 {
			return G.NewVector(g, tensor.Float64, G.WithShape(cols), G.WithName(full),
				G.WithValue(tensor.New(tensor.WithShape(cols), tensor.WithBacking(v)))), nil
		}
		return G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(full),
			G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(v)))), nil
	}
	for i, p := range []struct {
		s    string
		r, c int
		role layers.Role
	}{{"W", in, 3 * hidden, layers.Weight}, {"U", hidden, 3 * hidden, layers.Weight}, {"bx", 1, 3 * hidden, layers.Bias}, {"bh", 1, 3 * hidden, layers.Bias}} {
		n, err := mk(p.s, p.r, p.c, p.role, i)
		if err != nil {
			return nil, err
		}
		c.params = append(c.params, n)
	}
	return c, nil
}

// Params returns the parameter nodes W, U, bx, bh.
func (c *GRU) Params() G.Nodes { return c.params }

// In returns the input width.
func (c *GRU) In() int { return c.in }

// Hidden returns the number of hidden units.
func (c *GRU) Hidden() int { return c.h }

// Step returns h' = h + o ⊙ (GRU(h, x) - h) for h of shape (batch, Hidden) and x of shape
// (batch, In): the rows with o = 1 are updated and those with o = 0 keep their state
// exactly (o is a vector of length batch, holding 0 or 1, not differentiated). o == nil
// updates every row.
func (c *GRU) Step(h, x, o *G.Node) (*G.Node, error) {
	if h == nil || x == nil || h.Dims() != 2 || x.Dims() != 2 || h.Shape()[1] != c.h || x.Shape()[1] != c.in || h.Shape()[0] != x.Shape()[0] {
		return nil, errors.Wrapf(ErrConfig, "gru %s: h %v and x %v; want (batch, %d) and (batch, %d)", c.name, latShape(h), latShape(x), c.h, c.in)
	}
	b := h.Shape()[0]
	if o != nil && (o.Dims() != 1 || o.Shape()[0] != b) {
		return nil, errors.Wrapf(ErrConfig, "gru %s: gate o has shape %v; want (%d)", c.name, o.Shape(), b)
	}
	op := &gruOp{batch: b, in: c.in, hid: c.h, gated: o != nil}
	children := G.Nodes{h, x}
	if o != nil {
		children = append(children, o)
	}
	children = append(children, c.params...)
	n, err := G.ApplyOp(op, children...)
	return n, errors.Wrapf(err, "gru %s", c.name)
}

func latShape(n *G.Node) tensor.Shape {
	if n == nil {
		return nil
	}
	return n.Shape()
}

// gruOp is the fused GRU cell; inputs h, x, [o], W, U, bx, bh.
type gruOp struct {
	batch, in, hid int
	gated          bool
}

func (op *gruOp) Arity() int {
	if op.gated {
		return 7
	}
	return 6
}

func (op *gruOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m, v := G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 1, Of: a}
	ts := []hm.Type{m, m}
	if op.gated {
		ts = append(ts, v)
	}
	ts = append(ts, m, m, v, v, m)
	return hm.NewFnType(ts...)
}

func (op *gruOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.batch, op.hid}, nil
}
func (op *gruOp) ReturnsPtr() bool     { return false }
func (op *gruOp) CallsExtern() bool    { return false }
func (op *gruOp) OverwritesInput() int { return -1 }
func (op *gruOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "latent.gru(%d,%d,%d,%v)", op.batch, op.in, op.hid, op.gated)
}
func (op *gruOp) Hashcode() uint32 { return latHash(op) }
func (op *gruOp) String() string {
	return fmt.Sprintf("GRU(%dx%d->%d)", op.batch, op.in, op.hid)
}

func latHash(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// gruVals are the float64 inputs of a GRU op.
type gruVals struct {
	h, x, o, w, u, bx, bh []float64
}

func (op *gruOp) values(vals []G.Value) (v gruVals, err error) {
	if len(vals) < op.Arity() {
		return v, errors.Wrapf(ErrConfig, "%v: %d inputs, want %d", op, len(vals), op.Arity())
	}
	sizes := []int{op.batch * op.hid, op.batch * op.in}
	ptrs := []*[]float64{&v.h, &v.x}
	if op.gated {
		sizes = append(sizes, op.batch)
		ptrs = append(ptrs, &v.o)
	}
	sizes = append(sizes, op.in*3*op.hid, op.hid*3*op.hid, 3*op.hid, 3*op.hid)
	ptrs = append(ptrs, &v.w, &v.u, &v.bx, &v.bh)
	for i, p := range ptrs {
		d, ok := vals[i].Data().([]float64)
		if !ok || len(d) != sizes[i] {
			return v, errors.Wrapf(ErrConfig, "%v: input %d holds %T of %d values, want %d float64", op, i, vals[i].Data(), latLen(vals[i]), sizes[i])
		}
		*p = d
	}
	return v, nil
}

func latLen(v G.Value) int {
	if v == nil {
		return 0
	}
	return v.Shape().TotalSize()
}

// gruState holds the intermediates of a forward pass.
type gruState struct {
	ax, ah  []float64 // x·W + bx and h·U + bh (batch, 3H)
	r, z, n []float64
	g       []float64 // the ungated new state (batch, H)
}

func latGemm(tA, tB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	ta, tb := blas.NoTrans, blas.NoTrans
	ar, ac, br, bc := m, k, k, n
	if tA {
		ta, ar, ac = blas.Trans, k, m
	}
	if tB {
		tb, br, bc = blas.Trans, n, k
	}
	blas64.Gemm(ta, tb, 1,
		blas64.General{Rows: ar, Cols: ac, Stride: lda, Data: a},
		blas64.General{Rows: br, Cols: bc, Stride: ldb, Data: b},
		beta, blas64.General{Rows: m, Cols: n, Stride: ldc, Data: c})
}

func (op *gruOp) forward(v gruVals, out []float64) *gruState {
	B, I, H := op.batch, op.in, op.hid
	s := &gruState{ax: make([]float64, B*3*H), ah: make([]float64, B*3*H), r: make([]float64, B*H),
		z: make([]float64, B*H), n: make([]float64, B*H), g: make([]float64, B*H)}
	for i := 0; i < B; i++ {
		copy(s.ax[i*3*H:(i+1)*3*H], v.bx)
		copy(s.ah[i*3*H:(i+1)*3*H], v.bh)
	}
	latGemm(false, false, B, 3*H, I, v.x, I, v.w, 3*H, 1, s.ax, 3*H)
	latGemm(false, false, B, 3*H, H, v.h, H, v.u, 3*H, 1, s.ah, 3*H)
	for i := 0; i < B; i++ {
		ax, ah := s.ax[i*3*H:(i+1)*3*H], s.ah[i*3*H:(i+1)*3*H]
		for j := 0; j < H; j++ {
			k := i*H + j
			r := latSigmoid(ax[j] + ah[j])
			z := latSigmoid(ax[H+j] + ah[H+j])
			n := math.Tanh(ax[2*H+j] + r*ah[2*H+j])
			s.r[k], s.z[k], s.n[k] = r, z, n
			s.g[k] = (1-z)*n + z*v.h[k]
			o := 1.0
			if v.o != nil {
				o = v.o[i]
			}
			out[k] = v.h[k] + o*(s.g[k]-v.h[k])
		}
	}
	return s
}

func latSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func (op *gruOp) Do(vals ...G.Value) (G.Value, error) {
	v, err := op.values(vals)
	if err != nil {
		return nil, err
	}
	out := make([]float64, op.batch*op.hid)
	op.forward(v, out)
	return tensor.New(tensor.WithShape(op.batch, op.hid), tensor.WithBacking(out)), nil
}

func (op *gruOp) DiffWRT(inputs int) []bool {
	r := make([]bool, inputs)
	for i := range r {
		r[i] = !(op.gated && i == 2)
	}
	return r
}

// gradSizes lists the sizes of the differentiable inputs in the order of the flat
// gradient: h, x, W, U, bx, bh.
func (op *gruOp) gradSizes() []int {
	B, I, H := op.batch, op.in, op.hid
	return []int{B * H, B * I, I * 3 * H, H * 3 * H, 3 * H, 3 * H}
}

func (op *gruOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, errors.Wrapf(ErrConfig, "%v: SymDiff with %d inputs", op, len(inputs))
	}
	gop := &gruGradOp{fwd: op}
	flat, err := G.ApplyOp(gop, append(append(G.Nodes{}, inputs...), grad)...)
	if err != nil {
		return nil, errors.Wrapf(err, "%v: gradient", op)
	}
	res := make(G.Nodes, len(inputs))
	off, k := 0, 0
	sizes := op.gradSizes()
	for i, in := range inputs {
		if op.gated && i == 2 {
			continue
		}
		xop := &graphop.Extract{Name: "latent.gru", Index: i, Offset: off, Shape: in.Shape().Clone(), Kind: ErrConfig}
		if res[i], err = G.ApplyOp(xop, flat); err != nil {
			return nil, errors.Wrapf(err, "%v: gradient part %d", op, i)
		}
		off += sizes[k]
		k++
	}
	return res, nil
}

// gruGradOp computes the flat gradient [dh | dx | dW | dU | dbx | dbh] of a GRU step from
// its inputs and the gradient of its output (recomputing the forward intermediates).
type gruGradOp struct{ fwd *gruOp }

func (op *gruGradOp) Arity() int { return op.fwd.Arity() + 1 }
func (op *gruGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	m, v := G.TensorType{Dims: 2, Of: a}, G.TensorType{Dims: 1, Of: a}
	ts := []hm.Type{m, m}
	if op.fwd.gated {
		ts = append(ts, v)
	}
	ts = append(ts, m, m, v, v, m, v)
	return hm.NewFnType(ts...)
}
func (op *gruGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	n := 0
	for _, s := range op.fwd.gradSizes() {
		n += s
	}
	return tensor.Shape{n}, nil
}
func (op *gruGradOp) ReturnsPtr() bool     { return false }
func (op *gruGradOp) CallsExtern() bool    { return false }
func (op *gruGradOp) OverwritesInput() int { return -1 }
func (op *gruGradOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "latent.gruGrad(%d,%d,%d,%v)", op.fwd.batch, op.fwd.in, op.fwd.hid, op.fwd.gated)
}
func (op *gruGradOp) Hashcode() uint32 { return latHash(op) }
func (op *gruGradOp) String() string   { return "∂" + op.fwd.String() }

func (op *gruGradOp) Do(vals ...G.Value) (G.Value, error) {
	f := op.fwd
	if len(vals) != op.Arity() {
		return nil, errors.Wrapf(ErrConfig, "%v: %d inputs, want %d", op, len(vals), op.Arity())
	}
	v, err := f.values(vals[:f.Arity()])
	if err != nil {
		return nil, err
	}
	dout, ok := vals[f.Arity()].Data().([]float64)
	if !ok || len(dout) != f.batch*f.hid {
		return nil, errors.Wrapf(ErrConfig, "%v: output gradient of %d values, want %d", op, latLen(vals[f.Arity()]), f.batch*f.hid)
	}
	out := make([]float64, f.batch*f.hid)
	s := f.forward(v, out)
	B, I, H := f.batch, f.in, f.hid
	sizes := f.gradSizes()
	total := 0
	for _, n := range sizes {
		total += n
	}
	flat := make([]float64, total)
	dh := flat[:sizes[0]]
	dx := flat[sizes[0] : sizes[0]+sizes[1]]
	o2 := sizes[0] + sizes[1]
	dw := flat[o2 : o2+sizes[2]]
	du := flat[o2+sizes[2] : o2+sizes[2]+sizes[3]]
	o3 := o2 + sizes[2] + sizes[3]
	dbx := flat[o3 : o3+3*H]
	dbh := flat[o3+3*H : o3+6*H]
	dax := make([]float64, B*3*H)
	dah := make([]float64, B*3*H)
	for i := 0; i < B; i++ {
		o := 1.0
		if v.o != nil {
			o = v.o[i]
		}
		ah := s.ah[i*3*H : (i+1)*3*H]
		for j := 0; j < H; j++ {
			k := i*H + j
			d := dout[k]
			dg := o * d
			dh[k] = (1 - o) * d
			r, z, n := s.r[k], s.z[k], s.n[k]
			dn := dg * (1 - z)
			dz := dg * (v.h[k] - n)
			dh[k] += dg * z
			dpn := dn * (1 - n*n)
			dr := dpn * ah[2*H+j]
			dpr := dr * r * (1 - r)
			dpz := dz * z * (1 - z)
			row := i * 3 * H
			dax[row+j], dax[row+H+j], dax[row+2*H+j] = dpr, dpz, dpn
			dah[row+j], dah[row+H+j], dah[row+2*H+j] = dpr, dpz, dpn*r
		}
	}
	latGemm(false, true, B, I, 3*H, dax, 3*H, v.w, 3*H, 0, dx, I)
	latGemm(true, false, I, 3*H, B, v.x, I, dax, 3*H, 0, dw, 3*H)
	latGemm(false, true, B, H, 3*H, dah, 3*H, v.u, 3*H, 1, dh, H)
	latGemm(true, false, H, 3*H, B, v.h, H, dah, 3*H, 0, du, 3*H)
	for i := 0; i < B; i++ {
		for j := 0; j < 3*H; j++ {
			dbx[j] += dax[i*3*H+j]
			dbh[j] += dah[i*3*H+j]
		}
	}
	return tensor.New(tensor.WithShape(total), tensor.WithBacking(flat)), nil
}
