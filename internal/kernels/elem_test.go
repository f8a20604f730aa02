package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestElementwise(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, path := range paths() {
		withPath(t, path, func() {
			for n := 0; n <= 37; n++ {
				h, a, b, c, d := randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n), randSlice(r, n)
				d1, d2 := make([]float64, n), make([]float64, n)
				TanhDerivs(d1, d2, h)
				only := make([]float64, n)
				TanhDerivs(only, nil, h)
				for i := range h {
					w1 := 1 - float64(h[i]*h[i])
					w2 := float64(-2*h[i]) * w1
					if math.Float64bits(d1[i]) != math.Float64bits(w1) || math.Float64bits(d2[i]) != math.Float64bits(w2) ||
						math.Float64bits(only[i]) != math.Float64bits(w1) {
						t.Fatalf("%s n=%d: TanhDerivs at %d: %v %v (%v), want %v %v", path, n, i, d1[i], d2[i], only[i], w1, w2)
					}
				}
				dst := make([]float64, n)
				MulAdd2(dst, a, b, c, d)
				for i := range dst {
					if w := float64(a[i]*b[i]) + float64(c[i]*d[i]); math.Float64bits(dst[i]) != math.Float64bits(w) {
						t.Fatalf("%s n=%d: MulAdd2 at %d: %v, want %v", path, n, i, dst[i], w)
					}
				}
				in := append([]float64(nil), a...)
				MulAdd2(a, a, b, nil, nil) // in place
				for i := range a {
					if w := in[i] * b[i]; math.Float64bits(a[i]) != math.Float64bits(w) {
						t.Fatalf("%s n=%d: MulAdd2 product at %d: %v, want %v", path, n, i, a[i], w)
					}
				}
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Error("short operand: no panic")
		}
	}()
	MulAdd2(make([]float64, 9), make([]float64, 9), make([]float64, 8), nil, nil)
}

func TestScaleRows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, path := range paths() {
		withPath(t, path, func() {
			for cols := 0; cols <= 19; cols++ {
				rows := 3
				src, c := randSlice(r, rows*cols), randSlice(r, rows)
				dst := make([]float64, rows*cols)
				ScaleRows(dst, src, c, cols)
				for b := 0; b < rows; b++ {
					for j := 0; j < cols; j++ {
						if w := c[b] * src[b*cols+j]; dst[b*cols+j] != w {
							t.Fatalf("%s cols=%d: (%d,%d) = %v, want %v", path, cols, b, j, dst[b*cols+j], w)
						}
					}
				}
			}
		})
	}
}
