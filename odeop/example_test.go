package odeop_test

import (
	"errors"
	"fmt"
	"math"

	"github.com/continuum-ml/continuum/odeop"
)

// Solve the harmonic oscillator d2x/dt2 = -x with the default method (dopri5) and read the
// solution at several times from the dense output.
func ExampleIntegrate() {
	f := func(t float64, y, dydt []float64) {
		dydt[0] = y[1]
		dydt[1] = -y[0]
	}
	ts := []float64{0, math.Pi / 2, math.Pi, 2 * math.Pi}
	sol, err := odeop.Integrate(f, []float64{1, 0}, ts, odeop.WithTol(1e-10, 1e-10))
	if err != nil {
		fmt.Println(err)
		return
	}
	round := func(x float64) float64 { return math.Round(x*1e6)/1e6 + 0 } // no "-0"
	for i, t := range sol.Ts {
		fmt.Printf("t=%.4f x=%+.6f v=%+.6f\n", t, round(sol.Ys[i][0]), round(sol.Ys[i][1]))
	}
	// Output:
	// t=0.0000 x=+1.000000 v=+0.000000
	// t=1.5708 x=+0.000000 v=-1.000000
	// t=3.1416 x=-1.000000 v=+0.000000
	// t=6.2832 x=+1.000000 v=+0.000000
}

// Integrate backward in time: ts decreasing.
func ExampleIntegrate_backward() {
	decay := func(t float64, y, dydt []float64) { dydt[0] = -y[0] }
	// y(2) = e^-2; recover y(0) = 1 and y(1) = e^-1.
	sol, err := odeop.Integrate(decay, []float64{math.Exp(-2)}, []float64{2, 1, 0},
		odeop.WithMethod(odeop.Tsit5), odeop.WithTol(1e-10, 1e-12))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("y(1)=%.8f (e^-1=%.8f)\n", sol.Ys[1][0], math.Exp(-1))
	fmt.Printf("y(0)=%.8f\n", sol.Ys[2][0])
	// Output:
	// y(1)=0.36787944 (e^-1=0.36787944)
	// y(0)=1.00000000
}

// A fixed-step method needs WithStep; the last step is shortened to end at the last time
// (steps 0.3, 0.3, 0.3, 0.1: 1 + 4*4 - 1 evaluations, as the last step needs no f(t1, y1)).
func ExampleWithStep() {
	decay := func(t float64, y, dydt []float64) { dydt[0] = -y[0] }
	sol, err := odeop.Integrate(decay, []float64{1}, []float64{0, 1},
		odeop.WithMethod(odeop.RK4), odeop.WithStep(0.3))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("y(1)=%.6f steps=%d nfe=%d\n", sol.Ys[1][0], sol.Stats.Steps, sol.Stats.NFE)

	_, err = odeop.Integrate(decay, []float64{1}, []float64{0, 1}, odeop.WithMethod(odeop.RK4))
	fmt.Println(errors.Is(err, odeop.ErrOption))
	// Output:
	// y(1)=0.367908 steps=4 nfe=16
	// true
}

// Errors wrap sentinels that callers test with errors.Is, and say where the solve failed.
func ExampleIntegrate_errors() {
	blowup := func(t float64, y, dydt []float64) { dydt[0] = y[0] * y[0] } // y = 1/(1-t)
	_, err := odeop.Integrate(blowup, []float64{1}, []float64{0, 2})
	fmt.Println(errors.Is(err, odeop.ErrUnderflow))

	_, err = odeop.Integrate(blowup, []float64{1}, []float64{0, 0.5, 0.5})
	fmt.Println(err)
	// Output:
	// true
	// ts[2] = 0.5 after ts[1] = 0.5, want ts strictly increasing: odeop: invalid output times
}

// Tableaus are data: inspect and validate them.
func ExampleTableauOf() {
	for _, m := range []odeop.Method{odeop.Dopri5, odeop.Tsit5, odeop.Dopri8} {
		tb, err := odeop.TableauOf(m)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %d stages, order %d(%d), FSAL %v, valid %v\n",
			tb.Name, tb.Stages(), tb.Order, tb.ErrOrder, tb.FSAL, tb.Validate() == nil)
	}
	// Output:
	// dopri5: 7 stages, order 5(4), FSAL true, valid true
	// tsit5: 7 stages, order 5(4), FSAL true, valid true
	// dopri8: 14 stages, order 8(7), FSAL true, valid true
}
