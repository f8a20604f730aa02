package sdeop

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
)

// s2Config is one row of BENCHMARKS.md S2.
type s2Config struct {
	name     string
	calc     Calculus
	method   Method
	opts     []Option
	tolLoss  float64 // relative error of mean(Y(1)) against the exact solution on the path
	tolSigma float64 // relative error of dL/dsigma against the exact pathwise gradient
	tolMu    float64
}

// s2Configs: the Brownian motion is the node's default (a Brownian Interval told the
// step) everywhere, so reversible_heun and reversible_heun_interval are the same
// configuration (torchsde's rows differ in whether its interval is told dt);
// reversible_heun_tree uses the virtual Brownian tree (tol 1e-5) instead. The
// tolerances are about twice the errors measured on this (fixed) path; dL/dsigma is a
// mean of zero-mean pathwise terms, so its relative error is large against its size.
var s2Configs = []s2Config{
	{name: "ito_euler", calc: Ito, method: Euler, tolLoss: 2e-4, tolMu: 2e-4, tolSigma: 1e-2},
	{name: "ito_milstein", calc: Ito, method: Milstein, tolLoss: 2e-4, tolMu: 3e-4, tolSigma: 1.5e-2},
	{name: "strat_midpoint", calc: Stratonovich, method: Midpoint, tolLoss: 3e-5, tolMu: 1e-4, tolSigma: 1e-3},
	{name: "reversible_heun", calc: Stratonovich, method: ReversibleHeun, tolLoss: 3e-5, tolMu: 1e-4, tolSigma: 1e-3},
	{name: "reversible_heun_interval", calc: Stratonovich, method: ReversibleHeun, tolLoss: 3e-5, tolMu: 1e-4, tolSigma: 1e-3,
		opts: []Option{WithBrownian(IntervalPath, 0)}},
	{name: "reversible_heun_tree", calc: Stratonovich, method: ReversibleHeun, tolLoss: 3e-5, tolMu: 1e-4, tolSigma: 1e-3,
		opts: []Option{WithBrownian(TreePath, 1e-5)}},
}

// s2Graph builds BENCHMARKS.md S2: GBM dY = mu Y dt + sigma Y dW, batch 1024 x dim 4,
// y0 = 1, ts = [0, 1], dt = 1e-3, mu = [0.5, 0.4, 0.3, 0.2], sigma = [0.3, 0.25, 0.2,
// 0.15], loss = mean(Y(1)).
func s2Graph(tb testing.TB, c s2Config, grad bool) (vm G.VM, p *gbmProblem, loss *G.Node, gs G.Nodes) {
	tb.Helper()
	const batch, dim = 1024, 4
	g := G.NewGraph()
	p = &gbmProblem{g: g}
	p.y0 = matNode(g, "y0", batch, dim, filledSlice(batch*dim, 1))
	p.mu = vecNode(g, "mu", []float64{0.5, 0.4, 0.3, 0.2})
	p.sigma = vecNode(g, "sigma", []float64{0.3, 0.25, 0.2, 0.15})
	opts := append([]Option{WithCalculus(c.calc), WithMethod(c.method), WithStep(1e-3), WithSeed(2024)}, c.opts...)
	zs, err := Solve(p.y0, &gbmDyn{p: p.mu}, &gbmDyn{p: p.sigma}, []float64{0, 1}, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	p.zs = zs
	loss = G.Must(G.Mean(G.Must(G.Slice(zs, G.S(1)))))
	if grad {
		if gs, err = G.Grad(loss, p.mu, p.sigma); err != nil {
			tb.Fatal(err)
		}
	}
	return G.NewTapeMachine(g), p, loss, gs
}

// s2Check compares the loss and gradients of the last run with the exact pathwise
// values and returns the relative errors (loss, dmu, dsigma).
func s2Check(tb testing.TB, c s2Config, p *gbmProblem, loss *G.Node, gs G.Nodes) (el, emu, esig float64) {
	tb.Helper()
	_, dmu, dsig := exactGBMGrads(tb, p, 1, c.calc)
	n := 1024 * 4
	exact := 0.0
	bm, _, _ := BrownianOf(p.zs)
	w := make([]float64, n)
	bm.Increment(w, 0, 1)
	mu := p.mu.Value().Data().([]float64)
	sig := p.sigma.Value().Data().([]float64)
	s := 1.0
	if c.calc == Stratonovich {
		s = 0
	}
	for i, wi := range w {
		k := i % 4
		exact += math.Exp(mu[k]-s*sig[k]*sig[k]/2+sig[k]*wi) / float64(n)
	}
	el = math.Abs(loss.Value().Data().(float64)-exact) / exact
	if gs == nil {
		return el, 0, 0
	}
	for i := range dmu {
		dmu[i] /= float64(n)
		dsig[i] /= float64(n)
	}
	emu = relErr(gs[0].Value().Data().([]float64), dmu)
	esig = relErr(gs[1].Value().Data().([]float64), dsig)
	return el, emu, esig
}

// BenchmarkS2 is BENCHMARKS.md S2: the forward solve, and the forward solve with the
// adjoint gradient, for each method. Each run is checked against the exact pathwise
// solution and gradients on the same Brownian path and fails beyond tolerance.
func BenchmarkS2(b *testing.B) {
	for _, c := range s2Configs {
		for _, mode := range []string{"forward", "adjoint"} {
			b.Run(c.name+"/"+mode, func(b *testing.B) {
				grad := mode == "adjoint"
				vm, p, loss, gs := s2Graph(b, c, grad)
				defer vm.Close()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					vm.Reset()
					if err := vm.RunAll(); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				el, emu, esig := s2Check(b, c, p, loss, gs)
				if el > c.tolLoss || emu > c.tolMu || esig > c.tolSigma {
					b.Fatalf("relative errors loss %.3g (tol %.3g), dmu %.3g (tol %.3g), dsigma %.3g (tol %.3g)",
						el, c.tolLoss, emu, c.tolMu, esig, c.tolSigma)
				}
				fwd, bwd, _ := StatsOf(p.zs)
				b.ReportMetric(float64(fwd.Steps), "steps")
				b.ReportMetric(float64(fwd.NFE+fwd.NFEDiffusion), "NFE-fwd")
				if grad {
					b.ReportMetric(float64(bwd.NFE+bwd.NFEDiffusion), "NFE-bwd")
					b.ReportMetric(esig, "rel-err-dsigma")
				}
			})
		}
	}
}

// TestS2Accuracy runs each S2 configuration once (forward + adjoint) and logs the
// errors the benchmark checks.
func TestS2Accuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("S2 takes a second")
	}
	for _, c := range s2Configs {
		vm, p, loss, gs := s2Graph(t, c, true)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		vm.Close()
		el, emu, esig := s2Check(t, c, p, loss, gs)
		t.Logf("%-26s loss %.3e  dmu %.3e  dsigma %.3e", c.name, el, emu, esig)
		if el > c.tolLoss || emu > c.tolMu || esig > c.tolSigma {
			t.Errorf("%s: relative errors loss %.3g, dmu %.3g, dsigma %.3g beyond tolerance", c.name, el, emu, esig)
		}
	}
}

// gbmRunner builds a GBM gradient graph of n steps over [0, 1] and returns one
// forward + gradient run.
func gbmRunner(tb testing.TB, steps int, gm GradientMethod) (func(), *G.Node) {
	p := newGBM(tb, 16, 2, 2, 1, false, WithCalculus(Stratonovich), WithStep(1/float64(steps)), WithGradient(gm))
	if _, err := G.Grad(lastSum(tb, p.zs, nil), p.mu, p.sigma); err != nil {
		tb.Fatal(err)
	}
	m := G.NewTapeMachine(p.g)
	return func() {
		m.Reset()
		if err := m.RunAll(); err != nil {
			tb.Fatal(err)
		}
	}, p.zs
}

func bytesPerRun(run func()) uint64 {
	run()
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	const reps = 3
	for i := 0; i < reps; i++ {
		run()
	}
	runtime.ReadMemStats(&m1)
	return (m1.TotalAlloc - m0.TotalAlloc) / reps
}

// TestGradientMemory: the stochastic adjoint's bytes per gradient stay flat as the
// number of steps grows 100x; Checkpoint's grow by at least a state per step.
func TestGradientMemory(t *testing.T) {
	var bytes [2][2]uint64
	for i, gm := range []GradientMethod{Adjoint, Checkpoint} {
		for j, steps := range []int{100, 10000} {
			run, _ := gbmRunner(t, steps, gm)
			bytes[i][j] = bytesPerRun(run)
		}
	}
	t.Logf("steps 100 -> 10000: adjoint bytes %d -> %d; checkpoint bytes %d -> %d",
		bytes[0][0], bytes[0][1], bytes[1][0], bytes[1][1])
	if bytes[0][1] > 2*bytes[0][0] {
		t.Errorf("adjoint bytes per gradient grew from %d to %d", bytes[0][0], bytes[0][1])
	}
	perStep := float64(bytes[1][1]-min(bytes[1][1], bytes[1][0])) / (10000 - 100)
	if perStep < 16*2*8 {
		t.Errorf("checkpoint: %.0f bytes per extra step, want at least a state (%d)", perStep, 16*2*8)
	}
}

// BenchmarkGradientMemory shows what TestGradientMemory checks.
func BenchmarkGradientMemory(b *testing.B) {
	for _, gm := range []GradientMethod{Adjoint, Checkpoint} {
		for _, steps := range []int{100, 10000} {
			b.Run(fmt.Sprintf("%v/steps=%d", gm, steps), func(b *testing.B) {
				run, _ := gbmRunner(b, steps, gm)
				run()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					run()
				}
			})
		}
	}
}
