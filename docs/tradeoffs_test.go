package docs_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

// guideProblem is the problem of the README's guide: an MLP 4 -> 64 (tanh) -> 4 with
// time concatenated (ConcatLinear) on a batch of 64 states, integrated over [0, T] with
// the loss sum(zs ∘ C) at 0, T/2 and T.
func guideProblem(t testing.TB, T float64) *gradProblem {
	p := &gradProblem{batch: 64, dim: 4, ts: []float64{0, T / 2, T}}
	rng := rand.New(rand.NewPCG(11, 1))
	p.z0 = make([]float64, p.batch*p.dim)
	for i := range p.z0 {
		p.z0[i] = 2*rng.Float64() - 1
	}
	p.c = make([]float64, len(p.ts)*p.batch*p.dim)
	for i := range p.c {
		p.c[i] = 2*rng.Float64() - 1
	}
	var err error
	p.mlp, err = layers.NewMLP(G.NewGraph(), "f", layers.Spec{In: 4, Seed: 12, Layers: []layers.LayerSpec{
		layers.ConcatLinear(64, layers.Tanh), layers.Linear(4, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// allocated returns the bytes allocated by run.
func allocated(run func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	run()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestGuideGradientMethods measures the README's table of gradient methods: the error of
// each gradient against the exact gradient of the ODE (an adjoint solve at rtol = atol =
// 1e-12) and the function evaluations, over T = 1
// and over T = 10 (ten times the steps). Run: go test ./docs -run TestGuideGradientMethods -v
func TestGuideGradientMethods(t *testing.T) {
	type method struct {
		name string
		opts []odeop.Option
	}
	methods := []method{
		{"adjoint", []odeop.Option{odeop.WithGradient(odeop.Adjoint)}},
		{"adjoint + seminorm", []odeop.Option{odeop.WithGradient(odeop.Adjoint), odeop.WithSeminorm(true)}},
		{"checkpoint", []odeop.Option{odeop.WithGradient(odeop.Checkpoint)}},
	}
	var tab strings.Builder
	fmt.Fprintf(&tab, "\n| T | rtol = atol | gradient | relative error | NFE forward | NFE backward |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, T := range []float64{1, 10} {
		p := guideProblem(t, T)
		exact, _, _ := p.grads(t, odeop.WithTol(1e-12, 1e-12))
		worst := map[string]float64{}
		for _, tol := range []float64{1e-3, 1e-6} {
			for _, m := range methods {
				opts := append([]odeop.Option{odeop.WithTol(tol, tol)}, m.opts...)
				grad, fwd, bwd := p.grads(t, opts...)
				e := relErr(grad, exact)
				worst[m.name] = max(worst[m.name], e/tol)
				fmt.Fprintf(&tab, "| %g | %g | %s | %.1e | %d | %d |\n", T, tol, m.name, e, fwd.NFE, bwd.NFE)
			}
		}
		for name, w := range worst {
			if w > 1e3 {
				t.Errorf("T %g, %s: gradient error %.3g times the tolerance", T, name, w)
			}
		}
	}
	t.Log(tab.String())
}

// TestGuideSolvers measures the README's table of solvers: function evaluations and the
// error of z(T) (relative, against dopri8 at rtol = atol = 1e-13) for each method and
// tolerance on the guide's problem with T = 10, through odeop.Integrate. Run:
// go test ./docs -run TestGuideSolvers -v
func TestGuideSolvers(t *testing.T) {
	p := guideProblem(t, 10)
	net, err := p.mlp.NewNet(p.mlp.Values(), p.batch)
	if err != nil {
		t.Fatal(err)
	}
	f := func(tm float64, y, dy []float64) { net.Forward(dy, tm, y) }
	solve := func(opts ...odeop.Option) ([]float64, int) {
		sol, err := odeop.Integrate(f, p.z0, p.ts, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return sol.Ys[len(sol.Ys)-1], sol.Stats.NFE
	}
	ref, _ := solve(odeop.WithMethod(odeop.Dopri8), odeop.WithTol(1e-13, 1e-13))
	var tab strings.Builder
	fmt.Fprintf(&tab, "\n| method | setting | NFE | relative error of z(T) |\n| --- | --- | --- | --- |\n")
	for _, m := range []odeop.Method{odeop.Bosh3, odeop.Dopri5, odeop.Tsit5, odeop.Dopri8} {
		prev := 2.0
		for _, tol := range []float64{1e-3, 1e-6, 1e-9} {
			z, nfe := solve(odeop.WithMethod(m), odeop.WithTol(tol, tol))
			e := relErr(z, ref)
			fmt.Fprintf(&tab, "| %s | rtol = atol = %g | %d | %.1e |\n", m, tol, nfe, e)
			if !(e < prev) && e > 1e-12 {
				t.Errorf("%s: error %.3g at tol %g did not fall (%.3g before)", m, e, tol, prev)
			}
			prev = e
		}
	}
	for _, h := range []float64{0.1, 0.01} {
		z, nfe := solve(odeop.WithMethod(odeop.RK4), odeop.WithStep(h))
		fmt.Fprintf(&tab, "| rk4 | h = %g | %d | %.1e |\n", h, nfe, relErr(z, ref))
	}
	t.Log(tab.String())
}

// BenchmarkGuideGradient times one forward solve and gradient of the guide's problem
// (T = 10, rtol = atol = 1e-6) for each gradient method. Run:
// go test ./docs -run '^$' -bench GuideGradient -benchmem -cpu 1
func BenchmarkGuideGradient(b *testing.B) {
	for _, m := range []struct {
		name string
		opts []odeop.Option
	}{
		{"adjoint", []odeop.Option{odeop.WithGradient(odeop.Adjoint)}},
		{"seminorm", []odeop.Option{odeop.WithGradient(odeop.Adjoint), odeop.WithSeminorm(true)}},
		{"checkpoint", []odeop.Option{odeop.WithGradient(odeop.Checkpoint)}},
	} {
		b.Run(m.name, func(b *testing.B) {
			p := guideProblem(b, 10)
			run := p.runner(b, append([]odeop.Option{odeop.WithTol(1e-6, 1e-6)}, m.opts...)...)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				run()
			}
		})
	}
}
