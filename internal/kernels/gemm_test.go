package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// paths lists the implementations this machine can run: the first one is the default.
func paths() []string {
	var p []string
	if hasAVX512 {
		p = append(p, "avx512")
	}
	if hasAVX2 {
		p = append(p, "avx2")
	}
	return append(p, "go")
}

// withPath runs f with the kernels restricted to the named path.
func withPath(t testing.TB, path string, f func()) {
	s512, s2 := hasAVX512, hasAVX2
	defer func() { hasAVX512, hasAVX2 = s512, s2 }()
	switch path {
	case "avx2":
		hasAVX512 = false
	case "go":
		hasAVX512, hasAVX2 = false, false
	}
	f()
}

func randSlice(r *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = 2*r.Float64() - 1
	}
	return s
}

// naive returns C (m×n) = c0 + A·B with A(i, l) = a[i*rsa + l*csa] and B(l, j) =
// b[l*rsb + j*csb], and the bound Σ|A||B| + |c0| for the rounding error.
func naive(c0, a, b []float64, m, k, n, rsa, csa, rsb, csb int) (c, bound []float64) {
	c = make([]float64, m*n)
	bound = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, e float64
			if c0 != nil {
				s, e = c0[i*n+j], math.Abs(c0[i*n+j])
			}
			for l := 0; l < k; l++ {
				p := a[i*rsa+l*csa] * b[l*rsb+j*csb]
				s += p
				e += math.Abs(p)
			}
			c[i*n+j], bound[i*n+j] = s, e
		}
	}
	return c, bound
}

func compare(t *testing.T, name string, got, want, bound []float64, k int) {
	t.Helper()
	tol := float64(k+2) * 0x1p-52
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= tol*bound[i]) {
			t.Fatalf("%s: element %d = %v, want %v (bound %g)", name, i, got[i], want[i], bound[i])
		}
	}
}

// testShapes are the small shapes of every edge (1 to 17) and the layers of the
// reference networks.
func testShapes(r *rand.Rand) [][3]int {
	var s [][3]int
	for m := 1; m <= 17; m++ {
		for k := 1; k <= 17; k++ {
			for n := 1; n <= 17; n++ {
				if testing.Short() && (m+2*k+3*n)%11 != 0 {
					continue
				}
				s = append(s, [3]int{m, k, n})
			}
		}
	}
	s = append(s, [3]int{64, 4, 32}, [3]int{64, 32, 4}, [3]int{512, 3, 64}, [3]int{512, 64, 2},
		[3]int{33, 513, 19}, [3]int{0, 3, 4}, [3]int{3, 0, 4}, [3]int{3, 4, 0})
	if !testing.Short() {
		s = append(s, [3]int{256, 32, 256}, [3]int{256, 256, 32}, [3]int{512, 64, 64}, [3]int{300, 300, 37})
	}
	for i := 0; i < 20; i++ {
		s = append(s, [3]int{1 + r.IntN(80), 1 + r.IntN(80), 1 + r.IntN(80)})
	}
	return s
}

// shift returns a copy of s at an odd offset inside a longer slice filled with NaN, so that
// a read or write outside the matrix shows.
func shift(s []float64, off int) []float64 {
	t := make([]float64, len(s)+off+3)
	for i := range t {
		t[i] = math.NaN()
	}
	copy(t[off:], s)
	return t[off : off+len(s) : off+len(s)+2]
}

func TestProducts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := testShapes(r)
	t.Logf("paths: %v", paths())
	for _, path := range paths() {
		withPath(t, path, func() {
			for _, sh := range shapes {
				m, k, n := sh[0], sh[1], sh[2]
				for _, acc := range []bool{false, true} {
					a := shift(randSlice(r, m*k), 1)
					b := shift(randSlice(r, k*n), 3)
					c0 := randSlice(r, m*n)
					var init []float64
					if acc {
						init = c0
					}
					name := fmt.Sprintf("%s %dx%dx%d acc=%v", path, m, k, n, acc)

					// NN: c (m×n) = a (m×k)·b (k×n)
					c := shift(c0, 1)
					MulNN(c, a, b, m, k, n, acc)
					want, bound := naive(init, a, b, m, k, n, k, 1, n, 1)
					compare(t, "MulNN "+name, c, want, bound, k)

					// NNBias
					bias := randSlice(r, n)
					c = shift(c0, 2)
					MulNNBias(c, a, b, bias, m, k, n)
					bb := make([]float64, m*n)
					for i := range bb {
						bb[i] = bias[i%max(n, 1)]
					}
					want, bound = naive(bb, a, b, m, k, n, k, 1, n, 1)
					compare(t, "MulNNBias "+name, c, want, bound, k)

					// TN: c (k×n) = aᵀ·g with a (m×k), g (m×n)
					g := shift(randSlice(r, m*n), 1)
					ct0 := randSlice(r, k*n)
					var initT []float64
					if acc {
						initT = ct0
					}
					c = shift(ct0, 0)
					MulTN(c, a, g, m, k, n, acc)
					want, bound = naive(initT, a, g, k, m, n, 1, k, n, 1)
					compare(t, "MulTN "+name, c, want, bound, m)

					// NT: c (m×k) = g (m×n)·bᵀ with b (k×n)
					cn0 := randSlice(r, m*k)
					var initN []float64
					if acc {
						initN = cn0
					}
					c = shift(cn0, 3)
					MulNT(c, g, b, m, n, k, acc)
					want, bound = naive(initN, g, b, m, n, k, n, 1, 1, n)
					compare(t, "MulNT "+name, c, want, bound, n)
				}
			}
		})
	}
}

// TestOverlappingOperands checks products whose two operands are the same slice.
func TestOverlappingOperands(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, path := range paths() {
		withPath(t, path, func() {
			for _, n := range []int{1, 5, 16, 23, 64} {
				a := randSlice(r, n*n)
				c := make([]float64, n*n)
				MulNN(c, a, a, n, n, n, false)
				want, bound := naive(nil, a, a, n, n, n, n, 1, n, 1)
				compare(t, path+" a·a", c, want, bound, n)
				MulTN(c, a, a, n, n, n, false)
				want, bound = naive(nil, a, a, n, n, n, 1, n, n, 1)
				compare(t, path+" aᵀ·a", c, want, bound, n)
				MulNT(c, a, a, n, n, n, false)
				want, bound = naive(nil, a, a, n, n, n, n, 1, 1, n)
				compare(t, path+" a·aᵀ", c, want, bound, n)
			}
		})
	}
}

func TestRowHelpers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m, n := 7, 5
	c := randSlice(r, m*n)
	v := randSlice(r, n)
	d := append([]float64(nil), c...)
	AddRows(d, v, m, n)
	for i := range d {
		if d[i] != c[i]+v[i%n] {
			t.Fatalf("AddRows: element %d", i)
		}
	}
	FillRows(d, v, m, n)
	for i := range d {
		if d[i] != v[i%n] {
			t.Fatalf("FillRows: element %d", i)
		}
	}
	s := randSlice(r, n)
	s0 := append([]float64(nil), s...)
	for _, acc := range []bool{false, true} {
		copy(s, s0)
		ColSums(s, c, m, n, acc)
		for j := range s {
			want := 0.0
			if acc {
				want = s0[j]
			}
			for i := 0; i < m; i++ {
				want += c[i*n+j]
			}
			if math.Abs(s[j]-want) > 1e-14 {
				t.Fatalf("ColSums acc=%v: column %d = %v, want %v", acc, j, s[j], want)
			}
		}
	}
	tr := make([]float64, m*n)
	Transpose(tr, c, m, n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			if tr[j*m+i] != c[i*n+j] {
				t.Fatalf("Transpose: (%d, %d)", i, j)
			}
		}
	}
}

func TestPanics(t *testing.T) {
	s := make([]float64, 12)
	cases := map[string]func(){
		"MulNN c":     func() { MulNN(s[:5], s, s, 2, 3, 3, false) },
		"MulNN a":     func() { MulNN(s, s[:5], s, 2, 3, 2, false) },
		"MulNN b":     func() { MulNN(s, s, s[:5], 2, 3, 2, false) },
		"MulNNBias":   func() { MulNNBias(s, s, s, s[:1], 2, 3, 2) },
		"MulTN c":     func() { MulTN(s[:5], s, s, 2, 3, 2, true) },
		"MulNT a":     func() { MulNT(s, s[:3], s, 2, 2, 3, true) },
		"negative":    func() { MulNN(s, s, s, -1, 3, 2, false) },
		"ColSums s":   func() { ColSums(s[:1], s, 3, 4, false) },
		"AddRows v":   func() { AddRows(s, s[:1], 3, 4) },
		"Transpose":   func() { Transpose(s[:2], s, 3, 4) },
		"FillRows c":  func() { FillRows(s[:2], s, 3, 4) },
		"MulNT b":     func() { MulNT(s, s, s[:2], 2, 2, 3, false) },
		"MulTN b":     func() { MulTN(s, s, s[:2], 2, 3, 2, false) },
		"MulNNBias c": func() { MulNNBias(s[:1], s, s, s, 2, 3, 2) },
	}
	for name, f := range cases {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "kernels: ") {
					t.Errorf("%s: recovered %q, want a kernels: panic", name, msg)
				}
			}()
			f()
		}()
	}
}

func TestNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	a, b, c := randSlice(r, 256*256), randSlice(r, 256*256), make([]float64, 256*256)
	for _, path := range paths() {
		withPath(t, path, func() {
			n := testing.AllocsPerRun(5, func() {
				MulNN(c, a, b, 64, 32, 40, false)
				MulNNBias(c, a, b, b, 64, 32, 40)
				MulTN(c, a, b, 64, 32, 40, true)
				MulNT(c, a, b, 64, 300, 40, false)
			})
			if n != 0 {
				t.Errorf("%s: %v allocations per run", path, n)
			}
		})
	}
}
