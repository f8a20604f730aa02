package graphop

import (
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"strings"
	"testing"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// scaleOp is a toy solve op with the shape of odeop's and sdeop's: inputs z0 (batch, dim),
// w (dim) and s (a scalar), output (1, batch, dim) = s z0 ⊙ w (w on every row).
type scaleOp struct {
	Pure
	id         uint64
	batch, dim int
	dtype      tensor.Dtype
	pshape     []tensor.Shape
}

func (op *scaleOp) Arity() int     { return 1 + len(op.pshape) }
func (op *scaleOp) Type() hm.Type  { return SolveType(op.pshape) }
func (op *scaleOp) String() string { return fmt.Sprintf("scale#%d", op.id) }
func (op *scaleOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{1, op.batch, op.dim}, nil
}
func (op *scaleOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "toy.scale#%d", op.id) }
func (op *scaleOp) Hashcode() uint32      { return Hashcode(op) }
func (op *scaleOp) Do(vals ...G.Value) (G.Value, error) {
	z0, theta, err := Inputs(op, vals, op.batch*op.dim, op.pshape, errKind)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(z0))
	for i, z := range z0 {
		out[i] = theta[1][0] * z * theta[0][i%op.dim]
	}
	return Dense(op.dtype, out, 1, op.batch, op.dim), nil
}
func (op *scaleOp) DiffWRT(inputs int) []bool { return DiffAll(inputs) }
func (op *scaleOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return SymDiff(op, &scaleGradOp{fwd: op}, Extract{Name: "toy", Parent: op.id, Kind: errKind}, inputs, output, grad)
}
func (op *scaleOp) DoDiff(ctx G.ExecutionContext, inputs G.Nodes, output *G.Node) error {
	return DoDiff(op, (&scaleGradOp{fwd: op}).compute, inputs, output, errKind)
}

// scaleGradOp returns the flat gradient [dz0 | dw | ds] of a scaleOp.
type scaleGradOp struct {
	Pure
	fwd *scaleOp
}

func (op *scaleGradOp) Arity() int     { return op.fwd.Arity() + 2 }
func (op *scaleGradOp) Type() hm.Type  { return GradType(op.fwd.pshape) }
func (op *scaleGradOp) String() string { return fmt.Sprintf("scaleGrad#%d", op.fwd.id) }
func (op *scaleGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{FlatSize(op.fwd.batch*op.fwd.dim, op.fwd.pshape)}, nil
}
func (op *scaleGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "toy.scalegrad#%d", op.fwd.id) }
func (op *scaleGradOp) Hashcode() uint32      { return Hashcode(op) }
func (op *scaleGradOp) Do(vals ...G.Value) (G.Value, error) {
	flat, err := op.compute(vals)
	if err != nil {
		return nil, err
	}
	return Dense(op.fwd.dtype, flat, len(flat)), nil
}
func (op *scaleGradOp) compute(vals []G.Value) ([]float64, error) {
	f := op.fwd
	n := f.batch * f.dim
	z0, theta, _, g, err := GradArgs(op, f, vals, n, f.pshape, n, errKind, errNonFinite)
	if err != nil {
		return nil, err
	}
	w, s := theta[0], theta[1][0]
	flat := make([]float64, FlatSize(n, f.pshape))
	dz, dw, ds := flat[:n], flat[n:n+f.dim], flat[n+f.dim:]
	for i, z := range z0 {
		j := i % f.dim
		dz[i] = s * w[j] * g[i]
		dw[j] += s * z * g[i]
		ds[0] += w[j] * z * g[i]
	}
	return flat, nil
}

// TestSolveOpGradients runs the toy op's gradients through SymDiff (TapeMachine) and
// DoDiff (LispMachine), in float64 and float32, against the exact gradients.
func TestSolveOpGradients(t *testing.T) {
	const batch, dim = 3, 2
	z0d := []float64{1, -2, 0.5, 3, -1, 2}
	wd := []float64{0.5, -1.5}
	const sd = 2.0
	cd := []float64{1, 2, -1, 0.5, 3, -2} // loss = sum(out ⊙ C)
	wantZ := make([]float64, batch*dim)
	wantW := make([]float64, dim)
	wantS := 0.0
	for i, z := range z0d {
		j := i % dim
		wantZ[i] = sd * wd[j] * cd[i]
		wantW[j] += sd * z * cd[i]
		wantS += wd[j] * z * cd[i]
	}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, lisp := range []bool{false, true} {
			name := fmt.Sprintf("%v lisp=%v", dt, lisp)
			conv := func(d []float64) interface{} {
				if dt == tensor.Float32 {
					out := make([]float32, len(d))
					for i, v := range d {
						out[i] = float32(v)
					}
					return out
				}
				return append([]float64(nil), d...)
			}
			g := G.NewGraph()
			z0 := G.NewMatrix(g, dt, G.WithShape(batch, dim), G.WithName("z0"),
				G.WithValue(tensor.New(tensor.WithShape(batch, dim), tensor.WithBacking(conv(z0d)))))
			w := G.NewVector(g, dt, G.WithShape(dim), G.WithName("w"),
				G.WithValue(tensor.New(tensor.WithShape(dim), tensor.WithBacking(conv(wd)))))
			var sv interface{} = sd
			if dt == tensor.Float32 {
				sv = float32(sd)
			}
			s := G.NewScalar(g, dt, G.WithName("s"), G.WithValue(sv))
			C := G.NewTensor(g, dt, 3, G.WithShape(1, batch, dim), G.WithName("C"),
				G.WithValue(tensor.New(tensor.WithShape(1, batch, dim), tensor.WithBacking(conv(cd)))))
			op := &scaleOp{id: 7, batch: batch, dim: dim, dtype: dt, pshape: []tensor.Shape{w.Shape().Clone(), s.Shape().Clone()}}
			out, err := G.ApplyOp(op, z0, w, s)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			loss := G.Must(G.Sum(G.Must(G.HadamardProd(out, C))))
			var gs G.Nodes
			var m G.VM
			if lisp {
				m = G.NewLispMachine(g)
			} else {
				if gs, err = G.Grad(loss, z0, w, s); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for i, gn := range gs {
					if want := fmt.Sprintf("toyGradPart#7[%d]", i); gn.Op().String() != want {
						t.Errorf("%s: gradient %d made by %v, want %s", name, i, gn.Op(), want)
					}
				}
				m = G.NewTapeMachine(g)
			}
			if err := m.RunAll(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for i, n := range []*G.Node{z0, w, s} {
				var gv G.Value
				if lisp {
					if gv, err = n.Grad(); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
				} else {
					gv = gs[i].Value()
				}
				if gv.Dtype() != dt || !gv.Shape().Eq(n.Shape()) {
					t.Errorf("%s: gradient %d of dtype %v and shape %v, want %v and %v", name, i, gv.Dtype(), gv.Shape(), dt, n.Shape())
				}
				want := [][]float64{wantZ, wantW, {wantS}}[i]
				got, err := Floats(gv, len(want), errKind)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for k := range want {
					if math.Abs(got[k]-want[k]) > 1e-6*math.Abs(want[k]) {
						t.Errorf("%s: gradient %d [%d] = %v, want %v", name, i, k, got[k], want[k])
					}
				}
			}
			m.Close()
		}
	}
}

func TestExtract(t *testing.T) {
	x := &Extract{Name: "ode", Parent: 3, Index: 1, Offset: 2, Shape: tensor.Shape{2, 2}, Kind: errKind}
	if got, want := x.String(), "odeGradPart#3[1]"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	h := fnv.New32a()
	h.Write([]byte("odeop.extract#3.1"))
	if x.Hashcode() != h.Sum32() {
		t.Error("Hashcode is not the FNV-1a hash of odeop.extract#3.1")
	}
	if s, _ := x.InferShape(); !s.Eq(tensor.Shape{2, 2}) || x.Arity() != 1 || x.ReturnsPtr() || x.CallsExtern() || x.OverwritesInput() != -1 {
		t.Errorf("shape %v, arity %d", s, x.Arity())
	}
	flat := tensor.New(tensor.WithShape(7), tensor.WithBacking([]float64{0, 1, 2, 3, 4, 5, 6}))
	v, err := x.Do(flat)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Data().([]float64); !v.Shape().Eq(tensor.Shape{2, 2}) || got[0] != 2 || got[3] != 5 {
		t.Errorf("part %v of shape %v, want [2 3 4 5] (2, 2)", got, v.Shape())
	}
	got := v.Data().([]float64)
	got[0] = 99 // a copy, not a view
	if flat.Data().([]float64)[2] != 2 {
		t.Error("the part aliases the flat gradient")
	}
	scalar := &Extract{Name: "sde", Offset: 6, Shape: tensor.ScalarShape(), Kind: errKind}
	if v, err := scalar.Do(tensor.New(tensor.WithShape(7), tensor.WithBacking([]float32{0, 1, 2, 3, 4, 5, 6}))); err != nil {
		t.Error(err)
	} else if s, ok := v.(*G.F32); !ok || float32(*s) != 6 {
		t.Errorf("scalar part: %#v, want F32 6", v)
	}
	for _, c := range []struct {
		name string
		vals []G.Value
		msg  string
	}{
		{"arity", nil, "odeGradPart#3[1]: got 0 inputs, want 1"},
		{"short64", []G.Value{tensor.New(tensor.WithShape(5), tensor.WithBacking(make([]float64, 5)))}, "flat gradient has 5 entries, want at least 6"},
		{"short32", []G.Value{tensor.New(tensor.WithShape(5), tensor.WithBacking(make([]float32, 5)))}, "flat gradient has 5 entries, want at least 6"},
		{"type", []G.Value{tensor.New(tensor.WithShape(7), tensor.WithBacking(make([]int, 7)))}, "unsupported value []int"},
	} {
		_, err := x.Do(c.vals...)
		if !errors.Is(err, errKind) || !strings.Contains(fmtErr(err), c.msg) {
			t.Errorf("%s: error %v, want one that wraps the kind and says %q", c.name, err, c.msg)
		}
	}
}

func TestInputsErrors(t *testing.T) {
	op := &scaleOp{id: 4, batch: 2, dim: 2, pshape: []tensor.Shape{{2}, tensor.ScalarShape()}}
	z := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking(make([]float64, 4)))
	w := tensor.New(tensor.WithShape(2), tensor.WithBacking(make([]float64, 2)))
	for _, c := range []struct {
		name string
		vals []G.Value
		msg  string
	}{
		{"arity", []G.Value{z}, "scale#4: got 1 inputs, want 3"},
		{"z0", []G.Value{w, w, G.NewF64(1)}, "scale#4: z0: value has 2 entries (shape (2)), want 4"},
		{"parameter", []G.Value{z, z, G.NewF64(1)}, "scale#4: parameter 0: value has 4 entries (shape (2, 2)), want 2"},
	} {
		_, _, err := Inputs(op, c.vals, 4, op.pshape, errKind)
		if !errors.Is(err, errKind) || !strings.Contains(fmtErr(err), c.msg) {
			t.Errorf("%s: error %v, want one that wraps the kind and says %q", c.name, err, c.msg)
		}
	}
	z0, theta, err := Inputs(op, []G.Value{z, w, G.NewF64(3), z}, 4, op.pshape, errKind)
	if err != nil || len(z0) != 4 || len(theta) != 2 || theta[1][0] != 3 {
		t.Errorf("got %v %v %v", z0, theta, err)
	}
}

func TestGradArgsErrors(t *testing.T) {
	f := &scaleOp{id: 5, batch: 1, dim: 2, pshape: []tensor.Shape{{2}, tensor.ScalarShape()}}
	gop := &scaleGradOp{fwd: f}
	vec := func(d ...float64) G.Value { return tensor.New(tensor.WithShape(len(d)), tensor.WithBacking(d)) }
	good := []G.Value{vec(1, 2), vec(3, 4), G.NewF64(2), vec(5, 6), vec(7, 8)}
	z0, theta, zs, gzs, err := GradArgs(gop, f, good, 2, f.pshape, 2, errKind, errNonFinite)
	if err != nil || z0[1] != 2 || theta[0][0] != 3 || theta[1][0] != 2 || zs[0] != 5 || gzs[1] != 8 {
		t.Errorf("got %v %v %v %v %v", z0, theta, zs, gzs, err)
	}
	with := func(i int, v G.Value) []G.Value {
		vals := append([]G.Value(nil), good...)
		vals[i] = v
		return vals
	}
	for _, c := range []struct {
		name string
		vals []G.Value
		kind error
		msg  string
	}{
		{"arity", good[:4], errKind, "scaleGrad#5: got 4 inputs, want 5"},
		{"z0", with(0, vec(1)), errKind, "scale#5: z0: value has 1 entries (shape (1)), want 2"},
		{"output", with(3, vec(1)), errKind, "scaleGrad#5: forward output: value has 1 entries"},
		{"gradient", with(4, vec(1, 2, 3)), errKind, "scaleGrad#5: output gradient: value has 3 entries"},
		{"non-finite", with(4, vec(1, math.Inf(-1))), errNonFinite, "scaleGrad#5: incoming gradient [1] = -Inf"},
	} {
		_, _, _, _, err := GradArgs(gop, f, c.vals, 2, f.pshape, 2, errKind, errNonFinite)
		if !errors.Is(err, c.kind) || !strings.Contains(fmtErr(err), c.msg) {
			t.Errorf("%s: error %v, want one that wraps %v and says %q", c.name, err, c.kind, c.msg)
		}
	}
}

func TestTypes(t *testing.T) {
	params := []tensor.Shape{{3, 2}, tensor.ScalarShape(), {4}}
	if got, want := SolveType(params).String(), "Matrix a → Matrix a → a → Vector a → Tensor-3 a"; got != want {
		t.Errorf("SolveType = %s, want %s", got, want)
	}
	if got, want := GradType(params).String(), "Matrix a → Matrix a → a → Vector a → Tensor-3 a → Tensor-3 a → Vector a"; got != want {
		t.Errorf("GradType = %s, want %s", got, want)
	}
	if got := FlatSize(10, params); got != 10+6+1+4 {
		t.Errorf("FlatSize = %d, want 21", got)
	}
	if d := DiffAll(3); len(d) != 3 || !d[0] || !d[1] || !d[2] {
		t.Errorf("DiffAll(3) = %v", d)
	}
}
