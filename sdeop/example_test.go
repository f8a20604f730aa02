package sdeop_test

import (
	"fmt"
	"math"

	"github.com/continuum-ml/continuum/sdeop"
)

// Geometric Brownian motion dY = mu Y dt + sigma Y dW (Ito) with Milstein, compared
// with its exact solution on the same Brownian path.
func ExampleIntegrate() {
	const mu, sigma = 0.5, 0.3
	gbm := sdeop.SDE{
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
	}
	bm, err := sdeop.NewBrownianInterval(0, 1, 1, 42, sdeop.WithDtHint(1e-3))
	if err != nil {
		fmt.Println(err)
		return
	}
	sol, err := sdeop.Integrate(gbm, []float64{1}, []float64{0, 1}, bm,
		sdeop.WithMethod(sdeop.Milstein), sdeop.WithStep(1e-3))
	if err != nil {
		fmt.Println(err)
		return
	}
	w := make([]float64, 1)
	bm.Increment(w, 0, 1)
	exact := math.Exp(mu - sigma*sigma/2 + sigma*w[0])
	fmt.Printf("steps %d, drift evaluations %d\n", sol.Stats.Steps, sol.Stats.NFE)
	fmt.Printf("error below 1e-3: %v\n", math.Abs(sol.Ys[1][0]-exact) < 1e-3)
	// Output:
	// steps 1000, drift evaluations 1000
	// error below 1e-3: true
}

// Increments do not depend on the order of the queries: a forward sweep and a reverse
// sweep over the same steps read the same path.
func ExampleBrownianInterval() {
	bm, _ := sdeop.NewBrownianInterval(0, 1, 2, 7, sdeop.WithDtHint(0.25))
	fwd := make([][]float64, 4)
	for k := 0; k < 4; k++ {
		fwd[k] = make([]float64, 2)
		bm.Increment(fwd[k], float64(k)/4, float64(k+1)/4)
	}
	same := true
	dw := make([]float64, 2)
	for k := 3; k >= 0; k-- {
		bm.Increment(dw, float64(k)/4, float64(k+1)/4)
		same = same && dw[0] == fwd[k][0] && dw[1] == fwd[k][1]
	}
	total := make([]float64, 2)
	bm.Increment(total, 0, 1)
	sum := fwd[0][0] + fwd[1][0] + fwd[2][0] + fwd[3][0]
	fmt.Println("reverse sweep identical:", same)
	fmt.Println("increments add up:", math.Abs(sum-total[0]) < 1e-12)
	// Output:
	// reverse sweep identical: true
	// increments add up: true
}

// The reversible Heun stepper undoes its own steps.
func ExampleReversibleHeunStepper() {
	sde := sdeop.SDE{
		Drift:     func(_ float64, y, f []float64) { f[0] = -y[0] },
		Diffusion: func(_ float64, y, g []float64) { g[0] = 0.5 * math.Cos(y[0]) },
		Calculus:  sdeop.Stratonovich,
	}
	st, _ := sdeop.NewReversibleHeunStepper(sde, 0, []float64{1}, 1)
	dW := []float64{0.1}
	st.Step(0, 0.01, dW)
	st.ReverseStep(0, 0.01, dW)
	y, _, _, _ := st.State()
	fmt.Printf("%.12f\n", y[0])
	// Output:
	// 1.000000000000
}
