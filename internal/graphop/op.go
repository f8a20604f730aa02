package graphop

import (
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Pure gives an op the answers of Gorgonia's Op interface for an op that allocates its
// result, calls nothing outside Go and overwrites none of its inputs. Embed it.
type Pure struct{}

// ReturnsPtr is false: the op returns a fresh value.
func (Pure) ReturnsPtr() bool { return false }

// CallsExtern is false: the op runs in Go.
func (Pure) CallsExtern() bool { return false }

// OverwritesInput is -1: the op overwrites none of its inputs.
func (Pure) OverwritesInput() int { return -1 }

// Hashcode is the FNV-1a hash of what op.WriteHash writes, for an op's Hashcode method.
func Hashcode(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

// DiffAll is DiffWRT of an op that is differentiable with respect to all its inputs.
func DiffAll(inputs int) []bool {
	r := make([]bool, inputs)
	for i := range r {
		r[i] = true
	}
	return r
}

// SolveType is the type of a solve op: z0 (a matrix) and parameters of the given shapes
// to z at the output times (3 dimensions), all of one dtype. It builds a fresh type on
// every call (a cached hm type breaks a second ApplyOp).
func SolveType(params []tensor.Shape) hm.Type { return fnType(params, 3) }

// GradType is the type of the gradient op of a solve op (see SolveType): the inputs of
// the solve, its output and the output's gradient to a flat vector.
func GradType(params []tensor.Shape) hm.Type { return fnType(params, 3, 3, 1) }

// fnType is the type of a function of z0 (a matrix), the parameters and values of the
// given dimensions, the last of which is the result.
func fnType(params []tensor.Shape, dims ...int) hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, 0, 1+len(params)+len(dims))
	ts = append(ts, G.TensorType{Dims: 2, Of: a})
	for _, s := range params {
		ts = append(ts, TensorType(s.Dims(), a))
	}
	for _, d := range dims {
		ts = append(ts, G.TensorType{Dims: d, Of: a})
	}
	return hm.NewFnType(ts...)
}

// FlatSize is the length of the flat gradient [dz0 | dtheta_1 | ...] of a solve whose z0
// has n entries.
func FlatSize(n int, params []tensor.Shape) int {
	for _, s := range params {
		n += s.TotalSize()
	}
	return n
}

// Inputs converts the values handed to a solve op's Do (z0 with n entries, then one
// value per parameter shape; extra values are ignored) into float64 slices, checking
// their sizes. Errors name op and the input and wrap kind.
func Inputs(op G.Op, vals []G.Value, n int, params []tensor.Shape, kind error) (z0 []float64, theta [][]float64, err error) {
	if len(vals) < 1+len(params) {
		return nil, nil, errors.Wrapf(kind, "%v: got %d inputs, want %d", op, len(vals), 1+len(params))
	}
	if z0, err = Floats(vals[0], n, kind); err != nil {
		return nil, nil, errors.Wrapf(err, "%v: z0", op)
	}
	theta = make([][]float64, len(params))
	for i, s := range params {
		if theta[i], err = Floats(vals[1+i], s.TotalSize(), kind); err != nil {
			return nil, nil, errors.Wrapf(err, "%v: parameter %d", op, i)
		}
	}
	return z0, theta, nil
}

// GradArgs reads the values handed to the gradient op gop of the solve op fwd (see
// GradType): fwd's inputs, as Inputs reads them (z0 with n entries, then params), then
// fwd's output and the output's gradient, of out entries each. An entry of the gradient
// that is not finite is an error wrapping nonFinite; the other errors wrap kind. Errors
// name gop, those of fwd's inputs fwd.
func GradArgs(gop, fwd G.Op, vals []G.Value, n int, params []tensor.Shape, out int, kind, nonFinite error) (z0 []float64, theta [][]float64, zs, gzs []float64, err error) {
	if len(vals) != gop.Arity() {
		return nil, nil, nil, nil, errors.Wrapf(kind, "%v: got %d inputs, want %d", gop, len(vals), gop.Arity())
	}
	k := 1 + len(params)
	if z0, theta, err = Inputs(fwd, vals[:k], n, params, kind); err != nil {
		return nil, nil, nil, nil, err
	}
	if zs, err = Floats(vals[k], out, kind); err != nil {
		return nil, nil, nil, nil, errors.Wrapf(err, "%v: forward output", gop)
	}
	if gzs, err = Floats(vals[k+1], out, kind); err != nil {
		return nil, nil, nil, nil, errors.Wrapf(err, "%v: output gradient", gop)
	}
	if i := NonFinite(gzs); i >= 0 {
		return nil, nil, nil, nil, errors.Wrapf(nonFinite, "%v: incoming gradient [%d] = %v", gop, i, gzs[i])
	}
	return z0, theta, zs, gzs, nil
}

// SymDiff is the SymDiff of a solve op fwd whose gradients come from one gradient op:
// it applies gop to the inputs, the output and its gradient, and splits the flat
// gradient into one Extract per input (part gives Name, Parent and Kind; SymDiff sets
// Index, Offset and Shape).
func SymDiff(fwd, gop G.Op, part Extract, inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != fwd.Arity() {
		return nil, errors.Wrapf(part.Kind, "%v: SymDiff got %d inputs, want %d", fwd, len(inputs), fwd.Arity())
	}
	children := append(append(G.Nodes{}, inputs...), output, grad)
	flat, err := G.ApplyOp(gop, children...)
	if err != nil {
		return nil, errors.Wrapf(err, "%v: gradient op", fwd)
	}
	res := make(G.Nodes, len(inputs))
	off := 0
	for i, in := range inputs {
		x := part
		x.Index, x.Offset, x.Shape = i, off, in.Shape().Clone()
		if res[i], err = G.ApplyOp(&x, flat); err != nil {
			return nil, errors.Wrapf(err, "%v: extract gradient %d", fwd, i)
		}
		off += x.Shape.TotalSize()
	}
	return res, nil
}

// DoDiff is the DoDiff (the LispMachine's path) of a solve op fwd: compute, given the
// values of the inputs, the output and its gradient, returns the flat gradient, whose
// parts are added to the inputs' gradients. Errors name fwd; AddInto's wrap kind.
func DoDiff(fwd G.Op, compute func(vals []G.Value) ([]float64, error), inputs G.Nodes, output *G.Node, kind error) error {
	gradV, err := output.Grad()
	if err != nil {
		return errors.Wrapf(err, "%v: output has no gradient", fwd)
	}
	vals := make([]G.Value, 0, len(inputs)+2)
	for _, in := range inputs {
		vals = append(vals, in.Value())
	}
	vals = append(vals, output.Value(), gradV)
	flat, err := compute(vals)
	if err != nil {
		return err
	}
	off := 0
	for i, in := range inputs {
		size := in.Shape().TotalSize()
		g, err := in.Grad()
		if err != nil {
			return errors.Wrapf(err, "%v: input %d has no gradient slot", fwd, i)
		}
		if err := AddInto(g, flat[off:off+size], kind); err != nil {
			return errors.Wrapf(err, "%v: input %d", fwd, i)
		}
		off += size
	}
	return nil
}
