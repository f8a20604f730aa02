package odeop

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// valueF64 returns the data of a Gorgonia value as float64 (widening float32, copying
// then); want is the expected number of entries.
func valueF64(v G.Value, want int) ([]float64, error) {
	if v == nil {
		return nil, errors.Wrap(ErrShape, "value is nil")
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
		return nil, errors.Wrapf(ErrShape, "unsupported value of type %T (want float64 or float32)", v.Data())
	}
	if len(out) != want {
		return nil, errors.Wrapf(ErrShape, "value has %d entries (shape %v), want %d", len(out), v.Shape(), want)
	}
	return out, nil
}

// newDense returns a fresh tensor of the given dtype holding data (narrowed to float32
// when asked).
func newDense(dt tensor.Dtype, data []float64, shape ...int) *tensor.Dense {
	if dt == tensor.Float32 {
		d32 := make([]float32, len(data))
		for i, x := range data {
			d32[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d32))
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// shapedValue wraps data in a value of the given shape; a scalar shape gives a scalar.
func shapedValue(dt tensor.Dtype, data interface{}, shape tensor.Shape) G.Value {
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

// addInto adds src to the data of a gradient value in place.
func addInto(v G.Value, src []float64) error {
	if v == nil {
		return errors.Wrap(ErrShape, "gradient value is nil")
	}
	switch d := v.Data().(type) {
	case []float64:
		if len(d) != len(src) {
			return errors.Wrapf(ErrShape, "gradient has %d entries, want %d", len(d), len(src))
		}
		for i, x := range src {
			d[i] += x
		}
		return nil
	case []float32:
		if len(d) != len(src) {
			return errors.Wrapf(ErrShape, "gradient has %d entries, want %d", len(d), len(src))
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
	return errors.Wrapf(ErrShape, "cannot add into a gradient of type %T", v)
}
