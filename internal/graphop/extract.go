package graphop

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Extract is the op that hands input Index of a solve op its part of the flat gradient:
// Shape.TotalSize() entries from Offset, as a value of Shape (a scalar for a scalar
// shape) and of the flat gradient's dtype.
type Extract struct {
	Pure
	// Name is the family of the solve op, "ode" or "sde": the op prints as
	// odeGradPart#Parent[Index] and hashes as odeop.extract#Parent.Index.
	Name   string
	Parent uint64 // id of the solve op
	Index  int    // which input of the solve op
	Offset int    // first entry of the part in the flat gradient
	Shape  tensor.Shape
	Kind   error // sentinel of the calling package, wrapped by Do's errors
}

// Arity is 1: the flat gradient.
func (op *Extract) Arity() int { return 1 }

// Type maps a vector to a value of Shape's dimensions.
func (op *Extract) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 1, Of: a}, TensorType(op.Shape.Dims(), a))
}

// InferShape is Shape.
func (op *Extract) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.Shape.Clone(), nil }

// WriteHash writes Nameop.extract#Parent.Index.
func (op *Extract) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "%sop.extract#%d.%d", op.Name, op.Parent, op.Index)
}

// Hashcode hashes what WriteHash writes.
func (op *Extract) Hashcode() uint32 { return Hashcode(op) }

// String names the op.
func (op *Extract) String() string {
	return fmt.Sprintf("%sGradPart#%d[%d]", op.Name, op.Parent, op.Index)
}

// Do copies the part out of the flat gradient.
func (op *Extract) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != 1 {
		return nil, errors.Wrapf(op.Kind, "%v: got %d inputs, want 1", op, len(vals))
	}
	size := op.Shape.TotalSize()
	switch d := vals[0].Data().(type) {
	case []float64:
		if op.Offset+size > len(d) {
			return nil, errors.Wrapf(op.Kind, "%v: flat gradient has %d entries, want at least %d", op, len(d), op.Offset+size)
		}
		return Shaped(append([]float64(nil), d[op.Offset:op.Offset+size]...), op.Shape), nil
	case []float32:
		if op.Offset+size > len(d) {
			return nil, errors.Wrapf(op.Kind, "%v: flat gradient has %d entries, want at least %d", op, len(d), op.Offset+size)
		}
		return Shaped(append([]float32(nil), d[op.Offset:op.Offset+size]...), op.Shape), nil
	}
	return nil, errors.Wrapf(op.Kind, "%v: unsupported value %T", op, vals[0].Data())
}
