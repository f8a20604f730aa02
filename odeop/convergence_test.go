package odeop

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// linear10 is the 10x10 linear system dy/dt = A y + v cos(w t) + u sin(w t) with a seeded
// random A (entries N(0, 1/n), shifted by -I/2) and its exact solution from gonum's
// mat.Exp: z = (y, cos(w t), sin(w t)) solves the autonomous 12x12 system z' = M z, so
// y(t) is the first 10 components of expm(M t) (y0, 1, 0).
//
// The forcing matters: for an autonomous linear system only the stability polynomial
// R(z) counts, and for tsit5 and dopri8 its first wrong coefficient is tiny (relative
// errors 3e-2 and 1e-3), so their orders 5 and 8 would hide below rounding and the fits
// would show 6 and 9. The forcing, evaluated at t0 + c_i h, brings in the quadrature and
// b^T A^k c^m conditions.
type linear10 struct {
	n    int
	a    []float64 // row-major
	v, u []float64
	w    float64
	y0   []float64
}

func newLinear10(seed uint64) *linear10 {
	const n = 10
	rng := rand.New(rand.NewPCG(seed, 2))
	p := &linear10{n: n, a: make([]float64, n*n), v: make([]float64, n), u: make([]float64, n),
		w: 6, y0: make([]float64, n)}
	for i := range p.a {
		p.a[i] = rng.NormFloat64() / math.Sqrt(n)
	}
	for i := 0; i < n; i++ {
		p.a[i*n+i] -= 0.5
		p.y0[i] = rng.NormFloat64()
		p.v[i] = 3 * rng.NormFloat64()
		p.u[i] = 3 * rng.NormFloat64()
	}
	return p
}

func (p *linear10) f(t float64, y, dy []float64) {
	n := p.n
	c, s := math.Cos(p.w*t), math.Sin(p.w*t)
	for i := 0; i < n; i++ {
		acc := p.v[i]*c + p.u[i]*s
		row := p.a[i*n : (i+1)*n]
		for j, v := range row {
			acc += v * y[j]
		}
		dy[i] = acc
	}
}

// exact returns y(t), the solution from y(0) = y0.
func (p *linear10) exact(t float64) []float64 {
	n := p.n
	m := mat.NewDense(n+2, n+2, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			m.Set(i, j, p.a[i*n+j]*t)
		}
		m.Set(i, n, p.v[i]*t)
		m.Set(i, n+1, p.u[i]*t)
	}
	m.Set(n, n+1, -p.w*t)
	m.Set(n+1, n, p.w*t)
	var e mat.Dense
	e.Exp(m)
	var z mat.VecDense
	z.MulVec(&e, mat.NewVecDense(n+2, append(append([]float64(nil), p.y0...), 1, 0)))
	return z.RawVector().Data[:n]
}

func maxAbsDiff(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// withGrid sets the internal replay grid.
func withGrid(g []float64) Option { return hook(func(c *config) { c.grid = g }) }

// uniformGrid returns n+1 points from t0 to t1 (the last exactly t1).
func uniformGrid(t0, t1 float64, n int) []float64 {
	g := make([]float64, n+1)
	for k := range g {
		g[k] = t0 + (t1-t0)*float64(k)/float64(n)
	}
	g[n] = t1
	return g
}

// slope is the least-squares slope of log(err) against log(h).
func slope(hs, errs []float64) float64 {
	var sx, sy, sxx, sxy float64
	k := float64(len(hs))
	for i := range hs {
		x, y := math.Log(hs[i]), math.Log(errs[i])
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	return (k*sxy - sx*sy) / (k*sxx - sx*sx)
}

// convT is the end time of the convergence tests.
const convT = 2

// convSteps are step counts on [0, convT] per method: the errors stay well above rounding
// (>1e-12) and inside the asymptotic regime.
var convSteps = map[Method][]int{
	Euler:          {256, 512, 1024, 2048, 4096},
	Midpoint:       {64, 128, 256, 512, 1024},
	Heun:           {64, 128, 256, 512, 1024},
	AdaptiveHeun:   {64, 128, 256, 512, 1024},
	Fehlberg2:      {64, 128, 256, 512, 1024},
	Bosh3:          {32, 64, 128, 256, 512},
	RK4:            {32, 64, 128, 256, 512},
	Dopri5:         {32, 48, 64, 96, 128},
	Dopri5Shampine: {32, 48, 64, 96, 128},
	Tsit5:          {48, 64, 96, 128, 192},
	Dopri8:         {12, 16, 20, 24, 32},
}

// TestOrderOfConvergence estimates every method's order from a log-log fit of the global
// error at t = convT against h on the 10x10 linear system, stepping a uniform grid (WithStep
// for fixed-step methods, the replay grid for adaptive ones).
func TestOrderOfConvergence(t *testing.T) {
	p := newLinear10(1)
	want := p.exact(convT)
	for _, m := range Methods() {
		tb, _ := TableauOf(m)
		var hs, errs []float64
		for _, n := range convSteps[m] {
			h := convT / float64(n)
			opt := WithStep(h)
			if tb.Adaptive() {
				opt = withGrid(uniformGrid(0, convT, n))
			}
			sol, err := Integrate(p.f, p.y0, []float64{0, convT}, WithMethod(m), opt)
			if err != nil {
				t.Fatalf("%s n=%d: %v", m, n, err)
			}
			if sol.Stats.Steps != n {
				t.Errorf("%s: %d steps, want %d", m, sol.Stats.Steps, n)
			}
			hs = append(hs, h)
			errs = append(errs, maxAbsDiff(sol.Ys[1], want))
		}
		got := slope(hs, errs)
		t.Logf("%-13s order %d: fitted %.3f (errors %.2e .. %.2e)", m, tb.Order, got, errs[0], errs[len(errs)-1])
		if math.Abs(got-float64(tb.Order)) > 0.3 {
			t.Errorf("%s: fitted order %.3f, want %d +- 0.3 (errors %v)", m, got, tb.Order, errs)
		}
	}
}

// denseOrder is the order of the global error of the dense output inside the steps:
// min(p, q+1) for a continuous extension of order q (local error O(h^(q+1))).
var denseOrder = map[Method]float64{
	Euler: 1, Midpoint: 2, Heun: 2, AdaptiveHeun: 2, Fehlberg2: 2, // Hermite (q = 3)
	Bosh3: 3, RK4: 4, // Hermite
	Dopri5: 5, Dopri5Shampine: 5, Tsit5: 5, // own fourth-order extensions
	Dopri8: 7, // degree-6 extension of torchdiffeq's C_mid polynomials (q = 6)
}

// TestDenseOutputOrder checks the dense output inside the steps: outputs at theta = 0.3
// and 0.7 of about 16 steps spread over a uniform grid.
func TestDenseOutputOrder(t *testing.T) {
	p := newLinear10(2)
	cache := map[float64][]float64{}
	exact := func(t float64) []float64 {
		if y, ok := cache[t]; ok {
			return y
		}
		y := p.exact(t)
		cache[t] = y
		return y
	}
	for _, m := range Methods() {
		tb, _ := TableauOf(m)
		var hs, errs []float64
		for _, n := range convSteps[m] {
			h := convT / float64(n)
			ts := []float64{0}
			for k := 0; k < n; k += max(1, n/16) { // 16 steps or so, spread over [0, convT]
				ts = append(ts, (float64(k)+0.3)*h, (float64(k)+0.7)*h)
			}
			ts = append(ts, convT)
			opt := WithStep(h)
			if tb.Adaptive() {
				opt = withGrid(uniformGrid(0, convT, n))
			}
			sol, err := Integrate(p.f, p.y0, ts, WithMethod(m), opt)
			if err != nil {
				t.Fatalf("%s n=%d: %v", m, n, err)
			}
			e := 0.0
			for i := 1; i < len(ts)-1; i++ {
				e = math.Max(e, maxAbsDiff(sol.Ys[i], exact(ts[i])))
			}
			hs = append(hs, h)
			errs = append(errs, e)
		}
		got := slope(hs, errs)
		t.Logf("%-13s dense order %g: fitted %.3f (errors %.2e .. %.2e)", m, denseOrder[m], got, errs[0], errs[len(errs)-1])
		if math.Abs(got-denseOrder[m]) > 0.3 {
			t.Errorf("%s: fitted dense order %.3f, want %g +- 0.3 (errors %v)", m, got, denseOrder[m], errs)
		}
	}
}
