package layers

import (
	"math"
	"math/rand/v2"
	"testing"
)

func naiveMul(m, k, n int, at func(i, l int) float64, bt func(l, j int) float64) []float64 {
	c := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for l := 0; l < k; l++ {
				s += at(i, l) * bt(l, j)
			}
			c[i*n+j] = s
		}
	}
	return c
}

func TestMatrixProducts(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	sizes := []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 33}
	for _, m := range sizes {
		for _, k := range sizes {
			for _, n := range sizes {
				a := randSlice(rng, m*k, 1)
				c0 := randSlice(rng, m*n, 1)

				// c += a·b, a (m×k), b (k×n)
				b := randSlice(rng, k*n, 1)
				c := append([]float64(nil), c0...)
				mulNN(c, a, b, m, k, n)
				want := naiveMul(m, k, n, func(i, l int) float64 { return a[i*k+l] }, func(l, j int) float64 { return b[l*n+j] })
				checkProduct(t, "NN", m, k, n, c, c0, want)

				// c (k×n) += aᵀ·b2, b2 (m×n)
				b2 := randSlice(rng, m*n, 1)
				c1 := randSlice(rng, k*n, 1)
				c = append([]float64(nil), c1...)
				mulTN(c, a, b2, m, k, n)
				want = naiveMul(k, m, n, func(i, l int) float64 { return a[l*k+i] }, func(l, j int) float64 { return b2[l*n+j] })
				checkProduct(t, "TN", m, k, n, c, c1, want)

				// c (m×n) += a·b3ᵀ, b3 (n×k)
				b3 := randSlice(rng, n*k, 1)
				c = append([]float64(nil), c0...)
				mulNT(c, a, b3, make([]float64, n*k), m, k, n)
				want = naiveMul(m, k, n, func(i, l int) float64 { return a[i*k+l] }, func(l, j int) float64 { return b3[j*k+l] })
				checkProduct(t, "NT", m, k, n, c, c0, want)
			}
		}
	}
}

func checkProduct(t *testing.T, form string, m, k, n int, got, c0, prod []float64) {
	t.Helper()
	for i := range got {
		want := c0[i] + prod[i]
		if math.Abs(got[i]-want) > 1e-13*float64(k+1) {
			t.Fatalf("%s m=%d k=%d n=%d: entry %d = %.17g, want %.17g", form, m, k, n, i, got[i], want)
		}
	}
}

// TestVectorActivations checks the activations as they run on slices (internal/kernels'
// vector code on whole vectors, padded or scalar code on the rest) against high-precision
// references, at special values and at every slice length up to 9, and the softplus
// derivative against its formula.
func TestVectorActivations(t *testing.T) {
	xs := grid(25, 4000)
	tanhRef := make([]float64, len(xs))
	for i, x := range xs {
		tanhRef[i] = refTanh(x)
	}
	sp := grid(30, 1000)
	spRef := make([]float64, len(sp))
	for i, x := range sp {
		if x > -700 {
			spRef[i] = refSoftplus(x)
		}
	}
	y := make([]float64, len(xs))
	Tanh.Apply(y, xs)
	worst := 0.0
	for i := range xs {
		worst = math.Max(worst, ulps(y[i], tanhRef[i]))
	}
	t.Logf("tanh: worst %.2f ulp", worst)
	if worst > 3 {
		t.Errorf("tanh: worst error %.2f ulp", worst)
	}
	y = make([]float64, len(sp))
	Softplus.Apply(y, sp)
	worst = 0
	for i, x := range sp {
		if x > -700 {
			worst = math.Max(worst, ulps(y[i], spRef[i]))
		}
	}
	t.Logf("softplus: worst %.2f ulp", worst)
	if worst > 3 {
		t.Errorf("softplus: worst error %.2f ulp", worst)
	}

	nan, inf := math.NaN(), math.Inf(1)
	negz := math.Copysign(0, -1)
	specials := []float64{0, negz, 5e-324, -5e-324, 1e-300, -1e-300, 19.9, -19.9, 20, -20, 20.5, -20.5,
		700, -700, 708, -708, 709, -709, 800, -800, inf, -inf, nan}
	in := make([]float64, 0, 8*len(specials))
	for _, s := range specials {
		in = append(in, s, s, s, s, s, s, s, s) // whole vectors hit the kernels
	}
	out := make([]float64, len(in))
	for _, c := range []struct {
		act Builtin
		ref func(float64) float64
	}{
		{Tanh, math.Tanh},
		{Softplus, func(x float64) float64 {
			switch {
			case x > 20 || math.IsNaN(x):
				return x
			case x < -708:
				return 0 // either 0 or e^x is fine this far down
			}
			return refSoftplus(x)
		}},
	} {
		c.act.Apply(out, in)
		for i, x := range in {
			want := c.ref(x)
			got := out[i]
			if c.act == Softplus && x < -708 && got != 0 && got != math.Exp(x) {
				t.Errorf("%v(%g) = %g, want 0 or e^x", c.act, x, got)
				continue
			}
			if c.act == Softplus && x < -708 {
				continue
			}
			if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && ulps(got, want) > 3) ||
				(want == 0 && math.Signbit(want) != math.Signbit(got)) {
				t.Errorf("%v(%g) = %g, want %g", c.act, x, got, want)
			}
		}
	}

	// Tails: every length agrees with package math to a few ulp.
	rng := rand.New(rand.NewPCG(8, 9))
	for n := 0; n <= 9; n++ {
		x := randSlice(rng, n, 4)
		for _, act := range []Builtin{Tanh, Softplus} {
			yv := make([]float64, n)
			act.Apply(yv, x)
			for i, v := range x {
				want := math.Tanh(v)
				if act == Softplus {
					want = math.Log1p(math.Exp(v))
				}
				if ulps(yv[i], want) > 4 {
					t.Errorf("%v len %d [%d]: %g vs scalar %g", act, n, i, yv[i], want)
				}
			}
		}
	}

	// The softplus derivative (sigmoid) against the scalar formula.
	u := append(grid(30, 500), 20, 20.5, -30, 0)
	h := make([]float64, len(u))
	Softplus.Apply(h, u)
	g := make([]float64, len(u))
	for i := range g {
		g[i] = 1
	}
	Softplus.MulDeriv(g, u, h)
	for i, x := range u {
		want := 1.0
		if x <= 20 {
			want = 1 / (1 + math.Exp(-x))
		}
		if ulps(g[i], want) > 8 && math.Abs(g[i]-want) > 1e-300 {
			t.Errorf("softplus'(%g) = %.17g, want %.17g", x, g[i], want)
		}
	}
}
