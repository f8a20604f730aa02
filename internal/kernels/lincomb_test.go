package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refLincomb is the definition written out: the sum of each element left to right.
func refLincomb(n int, base, c []float64, x [][]float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		var s float64
		j := 0
		if base == nil {
			s, j = c[0]*x[0][i], 1
		} else {
			s = base[i]
		}
		for ; j < len(c); j++ {
			p := float64(c[j] * x[j][i])
			s = s + p
		}
		out[i] = s
	}
	return out
}

// TestLincomb checks every path (AVX-512, AVX2, Go) bit for bit against the definition,
// for lengths around the vector widths, 1 to 9 terms, with and without base, and with
// base = dst (the in-place update of the solvers).
func TestLincomb(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, path := range paths() {
		withPath(t, path, func() {
			for n := 0; n <= 41; n++ {
				for k := 1; k <= 9; k++ {
					for mode := 0; mode < 3; mode++ { // 0: no base, 1: base, 2: base = dst
						c := randSlice(r, k)
						x := make([][]float64, k)
						for j := range x {
							x[j] = randSlice(r, n+3) // longer than dst: only n are read
						}
						dst := randSlice(r, n)
						var base []float64
						switch mode {
						case 1:
							base = randSlice(r, n)
						case 2:
							base = dst
						}
						var want []float64
						if base == nil {
							want = refLincomb(n, nil, c, x)
						} else {
							want = refLincomb(n, append([]float64(nil), base...), c, x)
						}
						// one case in three has a NaN, an infinity or an overflow at a random place
						if n > 0 && r.IntN(3) == 0 {
							i := r.IntN(n)
							switch r.IntN(3) {
							case 0:
								x[r.IntN(k)][i] = math.NaN()
							case 1:
								x[r.IntN(k)][i] = math.Inf(1 - 2*r.IntN(2))
							default:
								x[0][i], c[0] = math.MaxFloat64, 4
							}
							if base == nil {
								want = refLincomb(n, nil, c, x)
							} else {
								want = refLincomb(n, append([]float64(nil), base...), c, x)
							}
						}
						allFinite := true
						for _, v := range want {
							allFinite = allFinite && !math.IsNaN(v) && !math.IsInf(v, 0)
						}
						if got := Lincomb(dst, base, c, x); got != allFinite {
							t.Fatalf("%s n=%d k=%d mode %d: Lincomb reports finite %v, want %v", path, n, k, mode, got, allFinite)
						}
						for i := range want {
							if math.Float64bits(dst[i]) != math.Float64bits(want[i]) && !(math.IsNaN(dst[i]) && math.IsNaN(want[i])) {
								t.Fatalf("%s n=%d k=%d mode %d: element %d = %v, want %v", path, n, k, mode, i, dst[i], want[i])
							}
						}
					}
				}
			}
		})
	}
	// No terms: dst = base, or 0.
	dst := []float64{1, 2, 3}
	Lincomb(dst, nil, nil, nil)
	if dst[0] != 0 || dst[1] != 0 || dst[2] != 0 {
		t.Errorf("no terms, no base: %v, want zeros", dst)
	}
	Lincomb(dst, []float64{4, 5, 6}, nil, nil)
	if dst[0] != 4 || dst[2] != 6 {
		t.Errorf("no terms: %v, want base", dst)
	}
}

func TestLincombPanicsAndAllocs(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	dst := make([]float64, 16)
	mustPanic("short vector", func() { Lincomb(dst, nil, []float64{1}, [][]float64{make([]float64, 15)}) })
	mustPanic("short base", func() { Lincomb(dst, make([]float64, 3), []float64{1}, [][]float64{dst}) })
	mustPanic("few vectors", func() { Lincomb(dst, nil, []float64{1, 2}, [][]float64{dst}) })
	x := [][]float64{make([]float64, 16), make([]float64, 16)}
	c := []float64{1, 2}
	if a := testing.AllocsPerRun(100, func() { Lincomb(dst, dst, c, x) }); a != 0 {
		t.Errorf("Lincomb allocates %v times", a)
	}
}

func BenchmarkLincomb(b *testing.B) {
	for _, path := range paths() {
		for _, n := range []int{256, 16384} {
			x := make([][]float64, 6)
			for j := range x {
				x[j] = make([]float64, n)
			}
			c := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}
			dst := make([]float64, n)
			b.Run(fmt.Sprintf("%s/%d", path, n), func(b *testing.B) {
				withPath(b, path, func() {
					for i := 0; i < b.N; i++ {
						Lincomb(dst, dst, c, x)
					}
				})
			})
		}
	}
}
