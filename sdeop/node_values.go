package sdeop

import (
	"math"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// valueFloats returns the data of a Gorgonia value as float64 (widening float32 into a
// copy); want is the expected number of entries.
func valueFloats(v G.Value, want int) ([]float64, error) {
	if v == nil {
		return nil, errors.Wrap(ErrState, "value is nil")
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
		return nil, errors.Wrapf(ErrState, "unsupported value of type %T (want float64 or float32)", v.Data())
	}
	if len(out) != want {
		return nil, errors.Wrapf(ErrState, "value has %d entries (shape %v), want %d", len(out), v.Shape(), want)
	}
	return out, nil
}

// denseOf returns a fresh tensor of dtype dt holding data (narrowed to float32 if asked).
func denseOf(dt tensor.Dtype, data []float64, shape ...int) *tensor.Dense {
	if dt == tensor.Float32 {
		d32 := make([]float32, len(data))
		for i, x := range data {
			d32[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d32))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// shapedOf wraps data in a value of the given shape; a scalar shape gives a scalar.
func shapedOf(data interface{}, shape tensor.Shape) G.Value {
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

// addGrad adds src to the data of a gradient value in place.
func addGrad(v G.Value, src []float64) error {
	if v == nil {
		return errors.Wrap(ErrState, "gradient value is nil")
	}
	switch d := v.Data().(type) {
	case []float64:
		if len(d) != len(src) {
			return errors.Wrapf(ErrState, "gradient has %d entries, want %d", len(d), len(src))
		}
		for i, x := range src {
			d[i] += x
		}
		return nil
	case []float32:
		if len(d) != len(src) {
			return errors.Wrapf(ErrState, "gradient has %d entries, want %d", len(d), len(src))
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
	return errors.Wrapf(ErrState, "cannot add into a gradient of type %T", v)
}

func tensorTypeOf(dims int, a hm.Type) hm.Type {
	if dims == 0 {
		return a
	}
	return G.TensorType{Dims: dims, Of: a}
}
