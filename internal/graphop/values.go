package graphop

import (
	"math"
	"slices"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/kernels"
)

// Finite reports whether v is neither NaN nor infinite.
func Finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// NonFinite returns the index of the first entry of v that is NaN or infinite, or -1.
func NonFinite(v []float64) int {
	if kernels.Finite(v) { // vectorized; the loop below only finds the place
		return -1
	}
	for i, x := range v {
		if !Finite(x) {
			return i
		}
	}
	return -1
}

// SameInputs reports whether z0 and theta equal z0b and thetab, entry for entry (==, so
// a NaN matches nothing): whether what a forward run kept for the gradient run (a tape
// of steps, final states) was made from the gradient run's inputs.
func SameInputs(z0 []float64, theta [][]float64, z0b []float64, thetab [][]float64) bool {
	return slices.Equal(z0, z0b) && slices.EqualFunc(theta, thetab, slices.Equal[[]float64])
}

// Floats returns the data of a Gorgonia value as float64 (widening float32 into a
// copy; float64 data is returned without copying); want is the expected number of
// entries. Errors wrap kind.
func Floats(v G.Value, want int, kind error) ([]float64, error) {
	if v == nil {
		return nil, errors.Wrap(kind, "value is nil")
	}
	var out []float64
	switch d := v.Data().(type) {
	case []float64:
		out = d
	case []float32:
		out = make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
	case float64:
		out = []float64{d}
	case float32:
		out = []float64{float64(d)}
	default:
		return nil, errors.Wrapf(kind, "unsupported value of type %T (want float64 or float32)", v.Data())
	}
	if len(out) != want {
		return nil, errors.Wrapf(kind, "value has %d entries (shape %v), want %d", len(out), v.Shape(), want)
	}
	return out, nil
}

// Dense returns a fresh tensor of dtype dt holding data (narrowed to float32 into a
// copy if dt is Float32; otherwise data itself is the backing).
func Dense(dt tensor.Dtype, data []float64, shape ...int) *tensor.Dense {
	if dt == tensor.Float32 {
		d32 := make([]float32, len(data))
		for i, x := range data {
			d32[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d32))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// Shaped wraps data ([]float64 or []float32) in a value of the given shape; a scalar
// shape gives a scalar value (*G.F64 or *G.F32).
func Shaped(data interface{}, shape tensor.Shape) G.Value {
	if shape.Dims() == 0 || shape.IsScalar() {
		switch d := data.(type) {
		case []float64:
			return G.NewF64(d[0])
		case []float32:
			return G.NewF32(d[0])
		}
	}
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(data))
}

// AddInto adds src to the data of a gradient value in place (a tensor of float64 or
// float32 with len(src) entries, or a scalar). Errors wrap kind.
func AddInto(v G.Value, src []float64, kind error) error {
	if v == nil {
		return errors.Wrap(kind, "gradient value is nil")
	}
	switch d := v.Data().(type) {
	case []float64:
		if len(d) != len(src) {
			return errors.Wrapf(kind, "gradient has %d entries, want %d", len(d), len(src))
		}
		for i, x := range src {
			d[i] += x
		}
		return nil
	case []float32:
		if len(d) != len(src) {
			return errors.Wrapf(kind, "gradient has %d entries, want %d", len(d), len(src))
		}
		for i, x := range src {
			d[i] += float32(x)
		}
		return nil
	}
	switch s := v.(type) {
	case *G.F64:
		*s += G.F64(src[0])
		return nil
	case *G.F32:
		*s += G.F32(src[0])
		return nil
	}
	return errors.Wrapf(kind, "cannot add into a gradient of type %T", v)
}

// TensorType is the hm type of a value with dims dimensions of a: a itself for a scalar.
func TensorType(dims int, a hm.Type) hm.Type {
	if dims == 0 {
		return a
	}
	return G.TensorType{Dims: dims, Of: a}
}
