package sdeop

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestAdjointGBMExactPathwise checks the stochastic adjoint against the exact pathwise
// gradients of geometric Brownian motion on the same path (BENCHMARKS.md S2 formulas),
// with one mu and sigma per entry so that every entry of the gradient is one path's
// derivative: the relative error shrinks with dt and is below 1e-2 at dt = 1e-3.
func TestAdjointGBMExactPathwise(t *testing.T) {
	const batch, dim, T = 32, 4, 1.0
	cases := []struct {
		calc        Calculus
		method, adj Method
		tree        bool
	}{
		{Ito, Euler, Midpoint, true},
		{Ito, Euler, Midpoint, false},
		{Ito, Milstein, Midpoint, false},
		{Ito, Euler, EulerHeun, false},
		{Stratonovich, Midpoint, Midpoint, false},
		{Stratonovich, Heun, Heun, false},
		{Stratonovich, EulerHeun, EulerHeun, false},
		{Stratonovich, ReversibleHeun, ReversibleHeun, false},
		{Stratonovich, ReversibleHeun, ReversibleHeun, true},
		{Stratonovich, ReversibleHeun, Midpoint, false},
	}
	for _, c := range cases {
		bm := IntervalPath
		if c.tree {
			bm = TreePath
		}
		t.Run(fmt.Sprintf("%v/%s/%s/%v", c.calc, c.method, c.adj, bm), func(t *testing.T) {
			var prev float64
			for _, dt := range []float64{1e-2, 1e-3} {
				p := newGBM(t, batch, dim, batch*dim, T, false, WithCalculus(c.calc), WithMethod(c.method),
					WithAdjointMethod(c.adj), WithStep(dt), WithSeed(7), WithBrownian(bm, 0))
				_, g := runGrads(t, lastSum(t, p.zs, nil), []*G.Node{p.y0, p.mu, p.sigma}, false)
				ey0, emu, esig := exactGBMGrads(t, p, T, c.calc)
				e := []float64{relErr(g[0], ey0), relErr(g[1], emu), relErr(g[2], esig)}
				t.Logf("dt=%g: rel. errors dy0 %.2e, dmu %.2e, dsigma %.2e", dt, e[0], e[1], e[2])
				worst := max(e[0], e[1], e[2])
				if dt == 1e-3 {
					if worst > 1e-2 {
						t.Errorf("dt=%g: relative error %.3g, want below 1e-2", dt, worst)
					}
					if worst > 0.7*prev {
						t.Errorf("error did not shrink with dt: %.3g at 1e-2, %.3g at 1e-3", prev, worst)
					}
				}
				prev = worst
			}
		})
	}
}
