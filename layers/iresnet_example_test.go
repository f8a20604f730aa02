package layers_test

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/layers"
)

// An invertible residual block: its forward map, its inverse by fixed-point iteration and
// an unbiased estimate of its log-determinant against the exact value.
func ExampleResidual() {
	r, err := layers.NewResidual(G.NewGraph(), "block", layers.ResidualSpec{Dim: 2, Hidden: []int{16}, Coeff: 0.9, Seed: 1})
	if err != nil {
		panic(err)
	}
	_, lip := r.Lipschitz()
	fmt.Printf("Lip(g) < 0.9: %v\n", lip < 0.9)

	e, _ := r.NewEval(1)
	x := []float64{0.5, -1.5}
	y := make([]float64, 2)
	e.Forward(y, x)
	xr := make([]float64, 2)
	if _, err := e.Inverse(xr, y, 1e-12, 100); err != nil {
		panic(err)
	}
	fmt.Printf("inverse error below 1e-10: %v\n", math.Max(math.Abs(xr[0]-x[0]), math.Abs(xr[1]-x[1])) < 1e-10)

	exact := make([]float64, 1)
	_ = e.LogDet(y, exact, x, layers.LogDet{Method: layers.LogDetExact}, 0, 0)
	ld, sum := make([]float64, 1), 0.0
	const n = 20000
	for k := uint64(0); k < n; k++ {
		_ = e.LogDet(y, ld, x, layers.LogDet{Method: layers.LogDetRoulette}, 7, k)
		sum += ld[0]
	}
	fmt.Printf("roulette mean within 0.01 of the exact log-determinant: %v\n", math.Abs(sum/n-exact[0]) < 0.01)
	// Output:
	// Lip(g) < 0.9: true
	// inverse error below 1e-10: true
	// roulette mean within 0.01 of the exact log-determinant: true
}

// A HollowNet's exact divergence, from one forward pass.
func ExampleHollowNet() {
	n, err := layers.NewHollowNet(G.NewGraph(), "f", layers.HollowSpec{Dim: 3, Hidden: 8, Mix: 4, Seed: 2})
	if err != nil {
		panic(err)
	}
	e, _ := n.NewEval(n.Values(), 1)
	x := []float64{0.1, -0.2, 0.7}
	f := make([]float64, 3)
	e.Forward(f, 0, x)
	div := make([]float64, 1)
	e.Divergence(div)
	// the trace of the Jacobian by brute force: one vector-Jacobian product per row
	tr, dx := 0.0, make([]float64, 3)
	for i := 0; i < 3; i++ {
		a := make([]float64, 3)
		a[i] = 1
		e.Backward(dx, nil, a, nil)
		tr += dx[i]
	}
	fmt.Printf("divergence equals the trace: %v\n", math.Abs(div[0]-tr) < 1e-12)
	// Output:
	// divergence equals the trace: true
}
