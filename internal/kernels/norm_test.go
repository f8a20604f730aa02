package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestScaledSumSq checks every path bit for bit against the documented order (8 lane sums,
// combined pairwise, then the tail) and, to rounding, against a plain sum.
func TestScaledSumSq(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 45; n++ {
		e, y0, y1 := randSlice(r, n), randSlice(r, n), randSlice(r, n)
		rtol, atol := 1e-3, 1e-6
		var lanes [8]float64
		m := n - n%8
		plain := 0.0
		for i := 0; i < n; i++ {
			a := math.Max(math.Abs(y0[i]), math.Abs(y1[i]))
			x := e[i] / (atol + float64(rtol*a))
			sq := float64(x * x)
			plain += sq
			if i < m {
				lanes[i%8] += sq
			}
		}
		want := ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]))
		for i := m; i < n; i++ {
			a := math.Max(math.Abs(y0[i]), math.Abs(y1[i]))
			x := e[i] / (atol + float64(rtol*a))
			want += float64(x * x)
		}
		for _, path := range paths() {
			withPath(t, path, func() {
				got := ScaledSumSq(e, y0, y1, rtol, atol)
				if math.Float64bits(got) != math.Float64bits(want) {
					t.Errorf("%s n=%d: %v, want %v", path, n, got, want)
				}
				if math.Abs(got-plain) > 1e-12*plain {
					t.Errorf("%s n=%d: %v, plain sum %v", path, n, got, plain)
				}
			})
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("short y1: no panic")
		}
	}()
	ScaledSumSq(make([]float64, 9), make([]float64, 9), make([]float64, 8), 1, 1)
}

// TestFinite puts a NaN, +Inf or -Inf at every position of vectors of every length up to 40,
// on every path.
func TestFinite(t *testing.T) {
	for _, path := range paths() {
		withPath(t, path, func() {
			for n := 0; n <= 40; n++ {
				x := make([]float64, n)
				for i := range x {
					x[i] = float64(i) - 3.5
				}
				if !Finite(x) {
					t.Fatalf("%s n=%d: finite vector reported not finite", path, n)
				}
				for i := 0; i < n; i++ {
					for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
						v := x[i]
						x[i] = bad
						if Finite(x) {
							t.Fatalf("%s n=%d: %v at %d not found", path, n, bad, i)
						}
						x[i] = v
					}
				}
			}
			big := []float64{math.MaxFloat64, -math.MaxFloat64, 5e-324, 0}
			if !Finite(append(big, make([]float64, 20)...)) {
				t.Errorf("%s: extreme finite values reported not finite", path)
			}
		})
	}
}

func TestNormNoAllocs(t *testing.T) {
	x := make([]float64, 100)
	if a := testing.AllocsPerRun(50, func() { ScaledSumSq(x, x, x, 1, 1); Finite(x) }); a != 0 {
		t.Errorf("%v allocations", a)
	}
}

func BenchmarkScaledSumSq(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	n := 16384
	e, y0, y1 := randSlice(r, n), randSlice(r, n), randSlice(r, n)
	for _, path := range paths() {
		b.Run(path, func(b *testing.B) {
			withPath(b, path, func() {
				for i := 0; i < b.N; i++ {
					ScaledSumSq(e, y0, y1, 1e-5, 1e-7)
				}
			})
		})
	}
}

func BenchmarkFinite(b *testing.B) {
	x := make([]float64, 16384)
	for _, path := range paths() {
		b.Run(path, func(b *testing.B) {
			withPath(b, path, func() {
				for i := 0; i < b.N; i++ {
					Finite(x)
				}
			})
		})
	}
}
