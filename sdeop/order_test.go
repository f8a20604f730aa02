package sdeop

import (
	"fmt"
	"math"
	"testing"
)

// Strong-order tests: each problem has an exact solution on the Brownian path; the
// strong error E|Y_N - Y(T)| is averaged over P independent paths (the components of
// one vector-valued solve) for several steps, and the order is the slope of the
// log-log least-squares fit.

// orderProblem is an SDE on P independent paths with its exact solution at T = 1.
type orderProblem struct {
	name  string
	sde   SDE
	y0    func(P int) []float64
	bmDim func(P int) int
	exact func(bm Brownian, y0 []float64) []float64 // Y(1) on the path
}

// gbmDiag is geometric Brownian motion dY = mu Y dt + sigma Y dW, one path per component.
func gbmDiag(calc Calculus) orderProblem {
	const mu, sigma = 0.5, 0.8
	return orderProblem{
		name: "gbm/" + calc.String(),
		sde: SDE{
			Drift: func(_ float64, y, f []float64) {
				for i := range y {
					f[i] = mu * y[i]
				}
			},
			Diffusion: func(_ float64, y, g []float64) {
				for i := range y {
					g[i] = sigma * y[i]
				}
			},
			Calculus: calc,
		},
		y0:    func(P int) []float64 { return filled(P, 1) },
		bmDim: func(P int) int { return P },
		exact: func(bm Brownian, y0 []float64) []float64 {
			w := make([]float64, bm.Dim())
			bm.Increment(w, 0, 1)
			drift := mu
			if calc == Ito {
				drift -= 0.5 * sigma * sigma
			}
			out := make([]float64, len(y0))
			for i := range out {
				out[i] = y0[i] * math.Exp(drift+sigma*w[i])
			}
			return out
		},
	}
}

// scalarRotation is the Stratonovich SDE dY = s J Y o dW with J = [[0, 1], [1, 0]] and a
// scalar W per path (blocks of 2): Y(1) = exp(s W J) Y(0), with cross-dependent g.
func scalarRotation() orderProblem {
	const s = 0.9
	return orderProblem{
		name: "scalar-hyperbolic/stratonovich",
		sde: SDE{
			Drift: func(_ float64, y, f []float64) { clear(f) },
			Diffusion: func(_ float64, y, g []float64) {
				for i := 0; i < len(y); i += 2 {
					g[i], g[i+1] = s*y[i+1], s*y[i]
				}
			},
			Noise:    Scalar,
			Calculus: Stratonovich,
		},
		y0: func(P int) []float64 {
			y := make([]float64, 2*P)
			for i := 0; i < P; i++ {
				y[2*i], y[2*i+1] = 1, 0.5
			}
			return y
		},
		bmDim: func(P int) int { return P },
		exact: func(bm Brownian, y0 []float64) []float64 {
			w := make([]float64, bm.Dim())
			bm.Increment(w, 0, 1)
			out := make([]float64, len(y0))
			for b, wb := range w {
				c, sh := math.Cosh(s*wb), math.Sinh(s*wb)
				out[2*b] = c*y0[2*b] + sh*y0[2*b+1]
				out[2*b+1] = sh*y0[2*b] + c*y0[2*b+1]
			}
			return out
		},
	}
}

// scalarGBM is a 2-state GBM per path driven by one scalar W (blocks of 2), Ito.
func scalarGBM() orderProblem {
	mu := [2]float64{0.4, -0.3}
	sigma := [2]float64{0.7, 0.5}
	return orderProblem{
		name: "scalar-gbm/ito",
		sde: SDE{
			Drift: func(_ float64, y, f []float64) {
				for i := range y {
					f[i] = mu[i%2] * y[i]
				}
			},
			Diffusion: func(_ float64, y, g []float64) {
				for i := range y {
					g[i] = sigma[i%2] * y[i]
				}
			},
			Noise: Scalar,
		},
		y0:    func(P int) []float64 { return filled(2*P, 1) },
		bmDim: func(P int) int { return P },
		exact: func(bm Brownian, y0 []float64) []float64 {
			w := make([]float64, bm.Dim())
			bm.Increment(w, 0, 1)
			out := make([]float64, len(y0))
			for i := range out {
				k := i % 2
				out[i] = y0[i] * math.Exp(mu[k]-0.5*sigma[k]*sigma[k]+sigma[k]*w[i/2])
			}
			return out
		},
	}
}

// generalGBM has general noise with two Brownian components per path and commuting
// diagonal coefficient matrices: dY_i = sum_j b_ij Y_i dW_j (+ mu_i Y_i dt).
func generalGBM(calc Calculus) orderProblem {
	mu := [2]float64{0.3, -0.2}
	b := [2][2]float64{{0.5, 0.3}, {-0.4, 0.6}}
	return orderProblem{
		name: "general-gbm/" + calc.String(),
		sde: SDE{
			Drift: func(_ float64, y, f []float64) {
				for i := range y {
					f[i] = mu[i%2] * y[i]
				}
			},
			Diffusion: func(_ float64, y, g []float64) {
				for i := range y {
					g[2*i], g[2*i+1] = b[i%2][0]*y[i], b[i%2][1]*y[i]
				}
			},
			Noise:    General,
			NoiseDim: 2,
			Calculus: calc,
		},
		y0:    func(P int) []float64 { return filled(2*P, 1) },
		bmDim: func(P int) int { return 2 * P },
		exact: func(bm Brownian, y0 []float64) []float64 {
			w := make([]float64, bm.Dim())
			bm.Increment(w, 0, 1)
			out := make([]float64, len(y0))
			for i := range out {
				k, p := i%2, i/2
				e := mu[k] + b[k][0]*w[2*p] + b[k][1]*w[2*p+1]
				if calc == Ito {
					e -= 0.5 * (b[k][0]*b[k][0] + b[k][1]*b[k][1])
				}
				out[i] = y0[i] * math.Exp(e)
			}
			return out
		},
	}
}

// ouAdditive is the Ornstein-Uhlenbeck process dY = theta (m(t) - Y) dt + sigma dW with
// additive noise. Its exact solution needs integral_0^1 e^{-theta(1-r)} dW_r =
// W(1) - theta integral e^{-theta(1-r)} W(r) dr, computed on a fine grid with the
// exact integral of W over each cell (from the Levy area), so the Brownian motion must
// have Levy area.
func ouAdditive() orderProblem {
	const theta, sigma = 2.0, 0.8
	return orderProblem{
		name: "ou/additive",
		sde: SDE{
			Drift: func(_ float64, y, f []float64) {
				for i := range y {
					f[i] = -theta * y[i]
				}
			},
			Diffusion: func(_ float64, y, g []float64) {
				for i := range g {
					g[i] = sigma
				}
			},
			Noise: Additive,
		},
		y0:    func(P int) []float64 { return filled(P, 1) },
		bmDim: func(P int) int { return P },
		exact: func(bm Brownian, y0 []float64) []float64 {
			lb := bm.(LevyBrownian)
			const n = 1 << 12
			P := bm.Dim()
			w, h := make([]float64, P), make([]float64, P)
			path := make([]float64, P)
			integral := make([]float64, P)
			for k := 0; k < n; k++ {
				lb.IncrementWithLevy(w, h, float64(k)/n, float64(k+1)/n)
				weight := math.Exp(-theta * (1 - (float64(k)+0.5)/n))
				for i := range path {
					// integral of W over the cell = (W(s) + dW/2 + H) / n
					integral[i] += weight * (path[i] + 0.5*w[i] + h[i]) / n
					path[i] += w[i]
				}
			}
			out := make([]float64, P)
			for i := range out {
				stoch := path[i] - theta*integral[i]
				out[i] = math.Exp(-theta)*y0[i] + sigma*stoch
			}
			return out
		},
	}
}

// sinDiag is dY = sin(Y) o dW (Stratonovich), or the same SDE in Ito form
// dY = sin(Y)cos(Y)/2 dt + sin(Y) dW, one path per component: a nonlinear diffusion
// with Y(1) = 2 atan(tan(Y(0)/2) e^W(1)).
func sinDiag(calc Calculus) orderProblem {
	return orderProblem{
		name: "sin/" + calc.String(),
		sde: SDE{
			Drift: func(_ float64, y, f []float64) {
				for i := range y {
					if calc == Ito {
						f[i] = 0.5 * math.Sin(y[i]) * math.Cos(y[i])
					} else {
						f[i] = 0
					}
				}
			},
			Diffusion: func(_ float64, y, g []float64) {
				for i := range y {
					g[i] = math.Sin(y[i])
				}
			},
			Calculus: calc,
		},
		y0:    func(P int) []float64 { return filled(P, 1) },
		bmDim: func(P int) int { return P },
		exact: func(bm Brownian, y0 []float64) []float64 {
			w := make([]float64, bm.Dim())
			bm.Increment(w, 0, 1)
			out := make([]float64, len(y0))
			for i := range out {
				out[i] = 2 * math.Atan(math.Tan(0.5*y0[i])*math.Exp(w[i]))
			}
			return out
		},
	}
}

// nonlinearAdditive is dY = (sin(2 Y) - Y) dt + 0.7 dW with a time-dependent forcing;
// its reference solution is SRK with step 2^-11 on the same path.
func nonlinearAdditive() orderProblem {
	p := orderProblem{
		name: "nonlinear/additive",
		sde: SDE{
			Drift: func(t float64, y, f []float64) {
				for i := range y {
					f[i] = math.Sin(2*y[i]) - y[i] + math.Cos(3*t)
				}
			},
			Diffusion: func(t float64, _, g []float64) {
				for i := range g {
					g[i] = 0.7 * (1 + 0.5*t)
				}
			},
			Noise: Additive,
		},
		y0:    func(P int) []float64 { return filled(P, 0.3) },
		bmDim: func(P int) int { return P },
	}
	p.exact = func(bm Brownian, y0 []float64) []float64 {
		sol, err := Integrate(p.sde, y0, []float64{0, 1}, bm, WithMethod(SRK), WithStep(1.0/2048))
		if err != nil {
			panic(err)
		}
		return sol.Ys[1]
	}
	return p
}

func filled(n int, v float64) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = v
	}
	return y
}

// strongErrors returns the mean absolute error at T = 1 for each step.
func strongErrors(t *testing.T, p orderProblem, m Method, P int, levy bool, dts []float64, seed uint64) []float64 {
	t.Helper()
	var opts []IntervalOption
	if levy {
		opts = append(opts, WithLevyArea())
	}
	bm, err := NewBrownianInterval(0, 1, p.bmDim(P), seed, opts...)
	if err != nil {
		t.Fatal(err)
	}
	y0 := p.y0(P)
	exact := p.exact(bm, y0)
	errs := make([]float64, len(dts))
	for k, dt := range dts {
		sol, err := Integrate(p.sde, y0, []float64{0, 1}, bm, WithMethod(m), WithStep(dt))
		if err != nil {
			t.Fatalf("%s with %s, dt %g: %v", p.name, m, dt, err)
		}
		y := sol.Ys[1]
		var e float64
		for i := range y {
			e += math.Abs(y[i] - exact[i])
		}
		errs[k] = e / float64(len(y))
	}
	return errs
}

// slope is the least-squares slope of log(err) against log(dt).
func slope(dts, errs []float64) float64 {
	var sx, sy, sxx, sxy float64
	n := float64(len(dts))
	for i := range dts {
		x, y := math.Log(dts[i]), math.Log(errs[i])
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

type orderCase struct {
	problem orderProblem
	method  Method
	levy    bool
	want    float64
	atLeast bool // the order may be higher (want - 0.2 is the bound)
}

func orderCases() []orderCase {
	return []orderCase{
		{problem: gbmDiag(Ito), method: Euler, want: 0.5},
		{problem: gbmDiag(Ito), method: Milstein, want: 1.0},
		{problem: gbmDiag(Ito), method: SRK, levy: true, want: 1.5},
		{problem: gbmDiag(Stratonovich), method: Milstein, want: 1.0},
		{problem: gbmDiag(Stratonovich), method: Heun, want: 1.0},
		{problem: gbmDiag(Stratonovich), method: Midpoint, want: 1.0},
		{problem: gbmDiag(Stratonovich), method: EulerHeun, want: 1.0},
		{problem: sinDiag(Ito), method: Euler, want: 0.5},
		{problem: sinDiag(Ito), method: Milstein, want: 1.0},
		{problem: sinDiag(Ito), method: SRK, levy: true, want: 1.5},
		{problem: sinDiag(Stratonovich), method: Milstein, want: 1.0},
		{problem: sinDiag(Stratonovich), method: Heun, want: 1.0},
		{problem: sinDiag(Stratonovich), method: Midpoint, want: 1.0},
		{problem: sinDiag(Stratonovich), method: EulerHeun, want: 1.0},
		{problem: scalarGBM(), method: Euler, want: 0.5},
		{problem: scalarGBM(), method: Milstein, want: 1.0},
		{problem: scalarGBM(), method: SRK, levy: true, want: 1.5},
		{problem: scalarRotation(), method: Milstein, want: 1.0},
		{problem: scalarRotation(), method: Heun, want: 1.0},
		{problem: scalarRotation(), method: Midpoint, want: 1.0},
		{problem: generalGBM(Ito), method: Euler, want: 0.5},
		{problem: generalGBM(Stratonovich), method: Heun, want: 1.0},
		{problem: generalGBM(Stratonovich), method: Midpoint, want: 1.0},
		{problem: ouAdditive(), method: Euler, levy: true, want: 1.0},
		{problem: ouAdditive(), method: Milstein, levy: true, want: 1.0},
		{problem: ouAdditive(), method: Heun, levy: true, want: 1.0},
		{problem: ouAdditive(), method: Midpoint, levy: true, want: 1.0},
		{problem: ouAdditive(), method: ReversibleHeun, levy: true, want: 1.0},
		// SRA1 is exact in its 1.5 terms for a linear drift: here its error falls as dt^2.
		{problem: ouAdditive(), method: SRK, levy: true, want: 1.5, atLeast: true},
		{problem: nonlinearAdditive(), method: SRK, levy: true, want: 1.5},
		{problem: nonlinearAdditive(), method: Heun, levy: true, want: 1.0},
	}
}

// TestStrongOrder checks the strong orders of convergence: 0.5 for Euler-Maruyama,
// 1.0 for Milstein (both calculi) and for the Heun family on additive or commutative
// noise, 1.5 for SRK, each within 0.2.
func TestStrongOrder(t *testing.T) {
	P := 4000
	dts := []float64{1.0 / 8, 1.0 / 16, 1.0 / 32, 1.0 / 64, 1.0 / 128}
	if testing.Short() {
		P = 1500
	}
	for _, c := range orderCases() {
		t.Run(fmt.Sprintf("%s/%s", c.problem.name, c.method), func(t *testing.T) {
			t.Parallel()
			errs := strongErrors(t, c.problem, c.method, P, c.levy, dts, 17)
			got := slope(dts, errs)
			t.Logf("%s %s: order %.3f (want %.1f), errors %.3g", c.problem.name, c.method, got, c.want, errs)
			if got < c.want-0.2 || (!c.atLeast && got > c.want+0.2) {
				t.Errorf("strong order %.3f, want %.1f +- 0.2 (errors %.3g)", got, c.want, errs)
			}
		})
	}
}
