package sdeop

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// klPartOp hands out one of the two outputs of a SolveKL op, whose raw output is
// (T, batch, dim+1): part 0 is zs (T, batch, dim), part 1 is logqp (T, batch).
type klPartOp struct {
	graphop.Pure
	op   *solveOp
	part int
}

func (p *klPartOp) shape() tensor.Shape {
	if p.part == 0 {
		return tensor.Shape{len(p.op.ts), p.op.batch, p.op.dim}
	}
	return tensor.Shape{len(p.op.ts), p.op.batch}
}

func (p *klPartOp) Arity() int { return 1 }
func (p *klPartOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 3, Of: a}, G.TensorType{Dims: p.shape().Dims(), Of: a})
}
func (p *klPartOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return p.shape(), nil }
func (p *klPartOp) WriteHash(h hash.Hash)                          { fmt.Fprintf(h, "sdeop.klpart#%d.%d", p.op.id, p.part) }
func (p *klPartOp) Hashcode() uint32                               { return graphop.Hashcode(p) }
func (p *klPartOp) String() string {
	if p.part == 0 {
		return fmt.Sprintf("sdeZs#%d", p.op.id)
	}
	return fmt.Sprintf("sdeLogqp#%d", p.op.id)
}

// columns returns the first column and the number of columns of the part in a row of
// the raw output.
func (p *klPartOp) columns() (lo, w int) {
	if p.part == 0 {
		return 0, p.op.dim
	}
	return p.op.dim, 1
}

func (p *klPartOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 {
		return nil, errors.Wrapf(ErrState, "%v: got %d inputs, want 1", p, len(vals))
	}
	switch d := vals[0].Data().(type) {
	case []float64:
		return columnsOf(p, d)
	case []float32:
		return columnsOf(p, d)
	}
	return nil, errors.Wrapf(ErrState, "%v: unsupported value %T", p, vals[0].Data())
}

// columnsOf returns the part's columns of the raw output d.
func columnsOf[T float32 | float64](p *klPartOp, d []T) (G.Value, error) {
	rows := len(p.op.ts) * p.op.batch
	cols := p.op.cols()
	lo, w := p.columns()
	if len(d) != rows*cols {
		return nil, errors.Wrapf(ErrState, "%v: input has %d entries, want %d", p, len(d), rows*cols)
	}
	out := make([]T, rows*w)
	for r := 0; r < rows; r++ {
		copy(out[r*w:(r+1)*w], d[r*cols+lo:r*cols+lo+w])
	}
	return graphop.Shaped(out, p.shape()), nil
}

func (p *klPartOp) DiffWRT(inputs int) []bool { return []bool{true} }

func (p *klPartOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	g, err := G.ApplyOp(&klScatterOp{part: p}, grad)
	if err != nil {
		return nil, errors.Wrapf(err, "%v: gradient", p)
	}
	return G.Nodes{g}, nil
}

func (p *klPartOp) DoDiff(ctx G.ExecutionContext, inputs G.Nodes, output *G.Node) error {
	gv, err := output.Grad()
	if err != nil {
		return errors.Wrapf(err, "%v: output has no gradient", p)
	}
	g, err := graphop.Floats(gv, p.shape().TotalSize(), ErrState)
	if err != nil {
		return errors.Wrapf(err, "%v", p)
	}
	dst, err := inputs[0].Grad()
	if err != nil {
		return errors.Wrapf(err, "%v: input has no gradient slot", p)
	}
	return graphop.AddInto(dst, p.scatter(g), ErrState)
}

// scatter places the gradient of the part into a zero gradient of the raw output.
func (p *klPartOp) scatter(g []float64) []float64 {
	rows := len(p.op.ts) * p.op.batch
	cols := p.op.cols()
	lo, w := p.columns()
	out := make([]float64, rows*cols)
	for r := 0; r < rows; r++ {
		copy(out[r*cols+lo:r*cols+lo+w], g[r*w:(r+1)*w])
	}
	return out
}

// klScatterOp is the gradient of a klPartOp: the part's gradient placed in the raw
// output's shape, zero elsewhere.
type klScatterOp struct {
	graphop.Pure
	part *klPartOp
}

func (s *klScatterOp) Arity() int { return 1 }
func (s *klScatterOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: s.part.shape().Dims(), Of: a}, G.TensorType{Dims: 3, Of: a})
}
func (s *klScatterOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	op := s.part.op
	return tensor.Shape{len(op.ts), op.batch, op.cols()}, nil
}
func (s *klScatterOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "sdeop.klscatter#%d.%d", s.part.op.id, s.part.part)
}
func (s *klScatterOp) Hashcode() uint32 { return graphop.Hashcode(s) }
func (s *klScatterOp) String() string   { return fmt.Sprintf("grad(%v)", s.part) }

func (s *klScatterOp) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 {
		return nil, errors.Wrapf(ErrState, "%v: got %d inputs, want 1", s, len(vals))
	}
	g, err := graphop.Floats(vals[0], s.part.shape().TotalSize(), ErrState)
	if err != nil {
		return nil, errors.Wrapf(err, "%v", s)
	}
	op := s.part.op
	return graphop.Dense(op.dtype, s.part.scatter(g), len(op.ts), op.batch, op.cols()), nil
}
