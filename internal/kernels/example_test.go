package kernels_test

import (
	"fmt"

	"github.com/continuum-ml/continuum/internal/kernels"
)

// A dense layer y = tanh(x·W + b) on a batch of 2 rows, 3 inputs and 2 outputs, and its
// vector-Jacobian product for a cotangent g of y.
func Example() {
	x := []float64{1, 2, 3, 4, 5, 6}               // 2×3
	w := []float64{0.1, -0.2, 0.3, 0.4, -0.5, 0.6} // 3×2
	b := []float64{0.05, -0.05}
	u := make([]float64, 4) // 2×2
	y := make([]float64, 4)
	kernels.MulNNBias(u, x, w, b, 2, 3, 2) // u = x·W + b
	kernels.Tanh(y, u)
	fmt.Printf("y  = %.4f\n", y)

	g := []float64{1, 0, 0, 1} // cotangent of y
	for i := range g {
		g[i] *= 1 - y[i]*y[i] // through tanh
	}
	dw := make([]float64, 6)
	db := make([]float64, 2)
	dx := make([]float64, 6)
	kernels.MulTN(dw, x, g, 2, 3, 2, false) // dW = xᵀ·g
	kernels.ColSums(db, g, 2, 2, false)     // db = Σ rows of g
	kernels.MulNT(dx, g, w, 2, 2, 3, false) // dx = g·Wᵀ
	fmt.Printf("dW = %.4f\ndb = %.4f\ndx = %.4f\n", dw, db, dx)
	// Output:
	// y  = [-0.6351 0.9820 -0.7818 0.9999]
	// dW = [0.5966 0.0012 1.1932 0.0015 1.7898 0.0018]
	// db = [0.5966 0.0003]
	// dx = [0.0597 0.1790 -0.2983 -0.0001 0.0001 0.0002]
}
