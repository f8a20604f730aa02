package sdeop

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
)

// TestNodeForwardIsIntegrate: the node's forward solve and Integrate are one engine:
// on the same SDE (GBM, one parameter per entry) and Brownian path they give the same
// bits for every method, output times off the step grid included.
func TestNodeForwardIsIntegrate(t *testing.T) {
	const batch, dim = 3, 2
	ts := []float64{0, 0.33, 0.5}
	for _, c := range []struct {
		m    Method
		calc Calculus
	}{{Euler, Ito}, {Milstein, Ito}, {SRK, Ito}, {Milstein, Stratonovich}, {Heun, Stratonovich},
		{EulerHeun, Stratonovich}, {Midpoint, Stratonovich}, {ReversibleHeun, Stratonovich}} {
		g := G.NewGraph()
		mu := []float64{0.5, -0.2, 0.3, 0.1, -0.4, 0.6}
		sig := []float64{0.3, 0.2, 0.25, 0.1, 0.15, 0.35}
		y0 := []float64{1, 0.5, -0.3, 2, 0.7, -1}
		z0 := matNode(g, "z0", batch, dim, append([]float64(nil), y0...))
		zs, err := Solve(z0, &gbmDyn{p: vecNode(g, "mu", mu)}, &gbmDyn{p: vecNode(g, "sig", sig)}, ts,
			WithMethod(c.m), WithCalculus(c.calc), WithStep(0.05), WithSeed(9))
		if err != nil {
			t.Fatal(err)
		}
		m := G.NewTapeMachine(g)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		node := zs.Value().Data().([]float64)
		m.Close()
		bm, _, err := BrownianOf(zs)
		if err != nil {
			t.Fatal(err)
		}
		sde := SDE{
			Drift:     func(_ float64, y, f []float64) { scaleTo(f, mu, y, 1) },
			Diffusion: func(_ float64, y, g []float64) { scaleTo(g, sig, y, 1) },
			Calculus:  c.calc,
		}
		sol, err := Integrate(sde, y0, ts, bm, WithMethod(c.m), WithStep(0.05))
		if err != nil {
			t.Fatal(err)
		}
		for i, y := range sol.Ys {
			for k, v := range y {
				if w := node[i*batch*dim+k]; math.Float64bits(v) != math.Float64bits(w) {
					t.Fatalf("%s: y(%g)[%d]: Integrate %v, node %v", c.m, ts[i], k, v, w)
				}
			}
		}
	}
}
