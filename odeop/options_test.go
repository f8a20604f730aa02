package odeop

import (
	"math"
	"strings"
	"testing"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// TestOptionsRefusedWhereUnused: every option that a call would not use is an error that
// names it: the options only Solve reads given to Integrate, the error-control options
// given with a fixed-step method, the adjoint's options given with Checkpoint.
func TestOptionsRefusedWhereUnused(t *testing.T) {
	decay := func(_ float64, y, dy []float64) { dy[0] = -y[0] }
	for _, c := range []struct {
		name string
		opts []Option
		says string
	}{
		{"gradient", []Option{WithGradient(Checkpoint)}, "WithGradient"},
		{"gradient adjoint", []Option{WithGradient(Adjoint)}, "WithGradient"},
		{"seminorm", []Option{WithSeminorm(true)}, "WithSeminorm"},
		{"adjoint tol", []Option{WithAdjointTol(-1, -1)}, "WithAdjointTol"},
		{"norm fixed", []Option{WithMethod(RK4), WithStep(0.1), WithNorm(MaxNorm)}, "WithNorm"},
		{"controller fixed", []Option{WithMethod(Euler), WithStep(0.1), WithController(DefaultController())}, "WithController"},
		{"step bounds fixed", []Option{WithMethod(Midpoint), WithStep(0.1), WithStepBounds(0, 1)}, "WithStepBounds"},
		{"bad controller", []Option{WithController(Controller{Safety: 2})}, "WithController"},
		{"bad method", []Option{WithMethod("rk45")}, "WithMethod"},
		{"bad tableau", []Option{WithTableau(&Tableau{Name: "broken", C: []float64{0, 1}, A: [][]float64{{}, {0.5}}, B: []float64{0.5, 0.5}, Order: 2})}, "WithTableau"},
		{"nil tableau", []Option{WithTableau(nil)}, "WithTableau"},
		{"step", []Option{WithStep(-1)}, "WithStep"},
		{"max steps", []Option{WithMaxSteps(-3)}, "WithMaxSteps"},
		{"tol", []Option{WithTol(math.Inf(1), 1)}, "WithTol"},
	} {
		_, err := Integrate(decay, []float64{1}, []float64{0, 1}, c.opts...)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("Integrate %s: error %v, want one naming %s", c.name, err, c.says)
		}
		if !errors.Is(err, ErrOption) && !errors.Is(err, ErrTolerance) && !errors.Is(err, ErrMethod) {
			t.Errorf("Integrate %s: error %v wraps no option sentinel", c.name, err)
		}
	}

	g := G.NewGraph()
	z0 := matNode(g, "z0", 2, 2, []float64{1, 0, 0, 1})
	A := matNode(g, "A", 2, 2, []float64{-1, 0, 0, -1})
	for _, c := range []struct {
		name string
		opts []Option
		says string
	}{
		{"seminorm checkpoint", []Option{WithGradient(Checkpoint), WithSeminorm(false)}, "WithSeminorm"},
		{"adjoint tol checkpoint", []Option{WithGradient(Checkpoint), WithAdjointTol(1e-6, 1e-8)}, "WithAdjointTol"},
		{"seminorm fixed", []Option{WithMethod(RK4), WithStep(0.1), WithSeminorm(true)}, "WithSeminorm"},
		{"adjoint tol fixed", []Option{WithMethod(RK4), WithStep(0.1), WithAdjointTol(1e-6, 1e-8)}, "WithAdjointTol"},
		{"adjoint tol bad", []Option{WithAdjointTol(-1, -1)}, "WithAdjointTol"},
		{"relative tol adjoint", []Option{WithTol(1e-6, 0)}, "WithTol: atol = 0"},
		{"relative adjoint tol", []Option{WithAdjointTol(1e-6, 0)}, "WithAdjointTol: atol = 0"},
	} {
		_, err := Solve(z0, &linearDyn{A: A}, []float64{0, 1}, c.opts...)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("Solve %s: error %v, want one naming %s", c.name, err, c.says)
		}
	}
	// nil options and WithGradient(nil) are the defaults; pure relative control forward
	// with an absolute tolerance for the adjoint, or with Checkpoint, is fine
	for _, opts := range [][]Option{{Option{}, WithGradient(nil)}, {WithTol(1e-6, 0), WithAdjointTol(1e-6, 1e-8)},
		{WithTol(1e-6, 0), WithGradient(Checkpoint)}} {
		if _, err := Solve(z0, &linearDyn{A: A}, []float64{0, 1}, opts...); err != nil {
			t.Errorf("Solve: %v", err)
		}
	}
}

// TestIntegrateOptions drops exactly the options only Solve reads.
func TestIntegrateOptions(t *testing.T) {
	opts := []Option{WithMethod(Bosh3), WithGradient(Checkpoint), WithTol(1e-5, 1e-7), WithSeminorm(true), WithAdjointTol(1e-3, 1e-3)}
	kept := IntegrateOptions(opts)
	if len(kept) != 2 {
		t.Fatalf("kept %d options, want 2 (WithMethod, WithTol)", len(kept))
	}
	decay := func(_ float64, y, dy []float64) { dy[0] = -y[0] }
	sol, err := Integrate(decay, []float64{1}, []float64{0, 1}, kept...)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := Integrate(decay, []float64{1}, []float64{0, 1}, WithMethod(Bosh3), WithTol(1e-5, 1e-7))
	if sol.Ys[1][0] != ref.Ys[1][0] || sol.Stats != ref.Stats {
		t.Errorf("IntegrateOptions solve %v %+v, want %v %+v", sol.Ys[1][0], sol.Stats, ref.Ys[1][0], ref.Stats)
	}
}

// TestTolerances: either tolerance may be 0 when the other is positive (pure relative or
// pure absolute control) and meets its tolerance; a relative tolerance below MinRtol is
// raised to it, which Stats says, and costs what MinRtol costs.
func TestTolerances(t *testing.T) {
	decay := func(_ float64, y, dy []float64) { dy[0] = -y[0] }
	exact := math.Exp(-2)
	for _, c := range []struct{ rtol, atol, maxErr float64 }{
		{1e-6, 0, 1e-5 * exact}, // relative: the error scale is rtol*|y|
		{0, 1e-8, 1e-7},         // absolute
	} {
		sol, err := Integrate(decay, []float64{1}, []float64{0, 2}, WithTol(c.rtol, c.atol))
		if err != nil {
			t.Fatalf("WithTol(%g, %g): %v", c.rtol, c.atol, err)
		}
		if e := math.Abs(sol.Ys[1][0] - exact); e > c.maxErr {
			t.Errorf("WithTol(%g, %g): error %g, want <= %g", c.rtol, c.atol, e, c.maxErr)
		}
		if sol.Stats.RaisedRtol != 0 {
			t.Errorf("WithTol(%g, %g): RaisedRtol %g, want 0", c.rtol, c.atol, sol.Stats.RaisedRtol)
		}
	}
	tiny, err := Integrate(decay, []float64{1}, []float64{0, 2}, WithTol(1e-20, 1e-20))
	if err != nil {
		t.Fatal(err)
	}
	floor, err := Integrate(decay, []float64{1}, []float64{0, 2}, WithTol(MinRtol, 1e-20))
	if err != nil {
		t.Fatal(err)
	}
	if tiny.Stats.RaisedRtol != 1e-20 || floor.Stats.RaisedRtol != 0 {
		t.Errorf("RaisedRtol %g and %g, want 1e-20 and 0", tiny.Stats.RaisedRtol, floor.Stats.RaisedRtol)
	}
	if tiny.Stats.NFE != floor.Stats.NFE || tiny.Ys[1][0] != floor.Ys[1][0] {
		t.Errorf("rtol 1e-20: %d evaluations, y = %v; want those of MinRtol: %d, %v", tiny.Stats.NFE, tiny.Ys[1][0], floor.Stats.NFE, floor.Ys[1][0])
	}
	if e := math.Abs(tiny.Ys[1][0]-exact) / exact; e > 1e-12 {
		t.Errorf("rtol 1e-20: relative error %g, want <= 1e-12", e)
	}
	t.Logf("rtol 1e-20 raised to %g: %d evaluations", MinRtol, tiny.Stats.NFE)
}
