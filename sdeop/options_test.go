package sdeop

import (
	"strings"
	"testing"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// TestOptionsWrongEntryPoint: every option that only Solve reads is refused by
// Integrate with an error naming it, as is WithSeed beside a given Brownian motion (it
// would have no effect); the call the options were meant for accepts them.
func TestOptionsWrongEntryPoint(t *testing.T) {
	sde := SDE{Drift: func(_ float64, y, f []float64) { copy(f, y) }, Diffusion: func(_ float64, y, g []float64) { copy(g, y) }}
	y0, ts := []float64{1, 2}, []float64{0, 1}
	step := WithStep(0.1)
	cases := []struct {
		name string
		opt  Option
	}{
		{"WithCalculus", WithCalculus(Stratonovich)},
		{"WithNoise", WithNoise(General)},
		{"WithBrownian", WithBrownian(TreePath, 0)},
		{"WithGradient", WithGradient(Checkpoint)},
		{"WithAdjointMethod", WithAdjointMethod(Heun)},
		{"WithResample", WithResample(true)},
	}
	for _, c := range cases {
		_, err := Integrate(sde, y0, ts, nil, step, c.opt)
		if !errors.Is(err, ErrOption) || !strings.Contains(err.Error(), c.name) {
			t.Errorf("Integrate with %s: got %v, want ErrOption naming it", c.name, err)
		}
	}
	// The example: a calculus and a noise type given to Integrate do not change
	// the SDE it solves; they are refused.
	if _, err := Integrate(sde, y0, ts, nil, step, WithCalculus(Stratonovich), WithNoise(General)); !errors.Is(err, ErrOption) {
		t.Errorf("Integrate with WithCalculus and WithNoise: got %v, want ErrOption", err)
	}
	bm, err := NewBrownianInterval(0, 1, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Integrate(sde, y0, ts, bm, step, WithSeed(3)); !errors.Is(err, ErrOption) || !strings.Contains(err.Error(), "WithSeed") {
		t.Errorf("Integrate with a Brownian motion and WithSeed: got %v, want ErrOption naming WithSeed", err)
	}
	for _, opts := range [][]Option{{step}, {step, WithSeed(3)}, {step, WithMethod(Milstein), WithMaxSteps(10)}} {
		if _, err := Integrate(sde, y0, ts, nil, opts...); err != nil {
			t.Errorf("Integrate with its own options: %v", err)
		}
	}
	g := G.NewGraph()
	z0 := matNode(g, "z0", 1, 2, []float64{1, 2})
	f, d := &gbmDyn{p: vecNode(g, "mu", []float64{0.1, 0.2})}, &gbmDyn{p: vecNode(g, "s", []float64{0.1, 0.2})}
	if _, err := Solve(z0, f, d, ts, step, WithCalculus(Stratonovich), WithNoise(Additive), WithBrownian(TreePath, 0),
		WithGradient(Adjoint), WithAdjointMethod(Heun), WithResample(true), WithSeed(2), WithMaxSteps(100)); err != nil {
		t.Errorf("Solve with its own options: %v", err)
	}
}

// TestOptionsContradictory: settings that the chosen scheme cannot honour are refused,
// by Integrate and by Solve, before anything runs.
func TestOptionsContradictory(t *testing.T) {
	ok := func(_ float64, y, f []float64) { copy(f, y) }
	y0, ts, step := []float64{1, 2}, []float64{0, 1}, WithStep(0.1)
	for _, c := range []struct {
		name string
		sde  SDE
		opts []Option
		want error
	}{
		{"Ito SDE, Stratonovich method", SDE{Drift: ok, Diffusion: ok}, []Option{WithMethod(Heun)}, ErrUnsupported},
		{"Stratonovich SDE, Ito method", SDE{Drift: ok, Diffusion: ok, Calculus: Stratonovich}, []Option{WithMethod(SRK)}, ErrUnsupported},
		{"general noise, Milstein", SDE{Drift: ok, Diffusion: ok, Noise: General, NoiseDim: 1}, []Option{WithMethod(Milstein)}, ErrUnsupported},
		{"general noise, SRK", SDE{Drift: ok, Diffusion: ok, Noise: General, NoiseDim: 1}, []Option{WithMethod(SRK)}, ErrUnsupported},
	} {
		if _, err := Integrate(c.sde, y0, ts, nil, append(c.opts, step)...); !errors.Is(err, c.want) {
			t.Errorf("Integrate, %s: got %v, want %v", c.name, err, c.want)
		}
	}
	g := G.NewGraph()
	z0 := matNode(g, "z0", 1, 2, []float64{1, 2})
	f, d := &gbmDyn{p: vecNode(g, "mu", []float64{0.1, 0.2})}, &gbmDyn{p: vecNode(g, "s", []float64{0.1, 0.2})}
	for _, c := range []struct {
		name string
		opts []Option
		want error
	}{
		{"scalar noise", []Option{WithNoise(Scalar)}, ErrUnsupported},
		{"Stratonovich calculus, Ito method", []Option{WithCalculus(Stratonovich), WithMethod(Milstein), WithMethod(SRK)}, ErrUnsupported},
		{"Ito calculus, reversible Heun", []Option{WithMethod(ReversibleHeun)}, ErrUnsupported},
		{"adjoint method with Checkpoint", []Option{WithCalculus(Stratonovich), WithGradient(Checkpoint), WithAdjointMethod(Heun)}, ErrOption},
		{"reversible adjoint after Euler", []Option{WithAdjointMethod(ReversibleHeun)}, ErrUnsupported},
		{"Ito adjoint scheme", []Option{WithAdjointMethod(Milstein)}, ErrUnsupported},
		{"tolerance of an interval", []Option{WithBrownian(IntervalPath, 1e-4)}, ErrOption},
		{"SRK on a tree", []Option{WithMethod(SRK), WithBrownian(TreePath, 0)}, ErrUnsupported},
		{"Checkpoint through SRK", []Option{WithMethod(SRK), WithGradient(Checkpoint)}, ErrUnsupported},
	} {
		if _, err := Solve(z0, f, d, ts, append(c.opts, step)...); !errors.Is(err, c.want) {
			t.Errorf("Solve, %s: got %v, want %v", c.name, err, c.want)
		}
	}
}
