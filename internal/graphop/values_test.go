package graphop

import (
	"errors"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var (
	errKind      = errors.New("test: shape mismatch")
	errNonFinite = errors.New("test: non-finite value")
)

func TestFinite(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want bool
	}{{0, true}, {-1e308, true}, {math.NaN(), false}, {math.Inf(1), false}, {math.Inf(-1), false}} {
		if got := Finite(c.v); got != c.want {
			t.Errorf("Finite(%v) = %v, want %v", c.v, got, c.want)
		}
	}
}

func TestNonFinite(t *testing.T) {
	if i := NonFinite([]float64{1, 2, math.NaN(), math.Inf(1)}); i != 2 {
		t.Errorf("NonFinite = %d, want 2", i)
	}
	if i := NonFinite([]float64{1, -1e308}); i != -1 {
		t.Errorf("NonFinite of finite values = %d, want -1", i)
	}
}

func TestSameInputs(t *testing.T) {
	z0, theta := []float64{1, 2}, [][]float64{{3}, {4, 5}}
	for _, c := range []struct {
		name   string
		z0     []float64
		theta  [][]float64
		expect bool
	}{
		{"equal copies", []float64{1, 2}, [][]float64{{3}, {4, 5}}, true},
		{"z0 differs", []float64{1, 2.5}, theta, false},
		{"z0 shorter", []float64{1}, theta, false},
		{"parameter differs", z0, [][]float64{{3}, {4, 6}}, false},
		{"fewer parameters", z0, [][]float64{{3}}, false},
	} {
		if got := SameInputs(z0, theta, c.z0, c.theta); got != c.expect {
			t.Errorf("%s: SameInputs = %v, want %v", c.name, got, c.expect)
		}
	}
	nan := []float64{math.NaN()}
	if SameInputs(nan, nil, nan, nil) {
		t.Error("a NaN matched")
	}
}

func TestFloats(t *testing.T) {
	d64 := []float64{1, 2, 3, 4, 5, 6}
	v64 := tensor.New(tensor.WithShape(2, 3), tensor.WithBacking(d64))
	got, err := Floats(v64, 6, errKind)
	if err != nil {
		t.Fatal(err)
	}
	if &got[0] != &d64[0] {
		t.Error("float64 data was copied")
	}
	v32 := tensor.New(tensor.WithShape(3), tensor.WithBacking([]float32{0.5, -1, 2}))
	if got, err = Floats(v32, 3, errKind); err != nil || got[0] != 0.5 || got[1] != -1 || got[2] != 2 {
		t.Errorf("float32: got %v, %v", got, err)
	}
	if got, err = Floats(G.NewF32(1.5), 1, errKind); err != nil || len(got) != 1 || got[0] != 1.5 {
		t.Errorf("F32 scalar: got %v, %v", got, err)
	}
	if got, err = Floats(G.NewF64(-2), 1, errKind); err != nil || len(got) != 1 || got[0] != -2 {
		t.Errorf("F64 scalar: got %v, %v", got, err)
	}
	for _, c := range []struct {
		name string
		v    G.Value
		want int
		msg  string
	}{
		{"nil", nil, 1, "value is nil"},
		{"size", v64, 5, "value has 6 entries (shape (2, 3)), want 5"},
		{"dtype", tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{1, 2})), 2, "unsupported value of type []int (want float64 or float32)"},
	} {
		_, err := Floats(c.v, c.want, errKind)
		if !errors.Is(err, errKind) {
			t.Errorf("%s: error %v does not wrap the kind", c.name, err)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %q, want it to say %q", c.name, err, c.msg)
		}
	}
}

func TestDenseAndShaped(t *testing.T) {
	data := []float64{1, 2.5, 3, 4, 5, 6}
	d := Dense(tensor.Float64, data, 3, 2)
	if d.Dtype() != tensor.Float64 || !d.Shape().Eq(tensor.Shape{3, 2}) || &d.Data().([]float64)[0] != &data[0] {
		t.Errorf("float64: %v %v", d.Dtype(), d.Shape())
	}
	d = Dense(tensor.Float32, data, 6)
	if got := d.Data().([]float32); d.Dtype() != tensor.Float32 || got[1] != 2.5 || len(got) != 6 {
		t.Errorf("float32: %v %v", d.Dtype(), d.Data())
	}
	if v, ok := Shaped([]float64{7}, tensor.ScalarShape()).(*G.F64); !ok || float64(*v) != 7 {
		t.Errorf("scalar float64: %#v", v)
	}
	if v, ok := Shaped([]float32{7}, tensor.Shape{}).(*G.F32); !ok || float32(*v) != 7 {
		t.Errorf("scalar float32: %#v", v)
	}
	shape := tensor.Shape{2, 2}
	v := Shaped([]float32{1, 2, 3, 4}, shape)
	if !v.Shape().Eq(shape) || v.Dtype() != tensor.Float32 {
		t.Errorf("matrix: %v %v", v.Shape(), v.Dtype())
	}
	shape[0] = 9 // the value keeps its own shape
	if v.Shape()[0] != 2 {
		t.Error("Shaped kept the caller's shape")
	}
}

func TestAddInto(t *testing.T) {
	d64 := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 2}))
	if err := AddInto(d64, []float64{0.5, -2}, errKind); err != nil {
		t.Fatal(err)
	}
	if got := d64.Data().([]float64); got[0] != 1.5 || got[1] != 0 {
		t.Errorf("float64: %v", got)
	}
	d32 := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 2}))
	if err := AddInto(d32, []float64{0.5, -2}, errKind); err != nil {
		t.Fatal(err)
	}
	if got := d32.Data().([]float32); got[0] != 1.5 || got[1] != 0 {
		t.Errorf("float32: %v", got)
	}
	s64, s32 := G.NewF64(1), G.NewF32(1)
	if err := AddInto(s64, []float64{2}, errKind); err != nil || float64(*s64) != 3 {
		t.Errorf("F64: %v, %v", *s64, err)
	}
	if err := AddInto(s32, []float64{2}, errKind); err != nil || float32(*s32) != 3 {
		t.Errorf("F32: %v, %v", *s32, err)
	}
	for _, c := range []struct {
		name string
		v    G.Value
		msg  string
	}{
		{"nil", nil, "gradient value is nil"},
		{"size64", d64, "gradient has 2 entries, want 3"},
		{"size32", d32, "gradient has 2 entries, want 3"},
		{"type", G.NewI(1), "cannot add into a gradient of type *gorgonia.I"},
	} {
		err := AddInto(c.v, []float64{1, 2, 3}, errKind)
		if !errors.Is(err, errKind) || !strings.Contains(fmtErr(err), c.msg) {
			t.Errorf("%s: error %v, want one that wraps the kind and says %q", c.name, err, c.msg)
		}
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
