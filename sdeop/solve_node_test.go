package sdeop

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
	"github.com/continuum-ml/continuum/odeop"
)

// TestAdjointConvergesToCheckpoint compares the stochastic adjoint (continuous, solved
// backward) with the exact gradient of the discrete solve (Checkpoint) on a neural SDE,
// with the KL channel and a loss over several output times: the difference shrinks with
// dt (the two agree in the limit).
func TestAdjointConvergesToCheckpoint(t *testing.T) {
	ts := []float64{0, 0.5, 1}
	for _, kl := range []bool{false, true} {
		t.Run(fmt.Sprintf("kl=%v", kl), func(t *testing.T) {
			var diffs []float64
			for _, dt := range []float64{1e-2, 1e-3} {
				var grads [2][][]float64
				for i, gm := range []GradientMethod{Adjoint, Checkpoint} {
					p := newMLPSDE(t, 6, 3, 12, kl, ts, WithCalculus(Stratonovich), WithMethod(Midpoint),
						WithStep(dt), WithGradient(gm), WithSeed(9))
					_, grads[i] = runGrads(t, p.loss, p.wrt, false)
				}
				e := flatRelErr(grads[0], grads[1])
				t.Logf("dt=%g: relative difference adjoint vs checkpoint %.2e", dt, e)
				diffs = append(diffs, e)
			}
			if diffs[1] > 0.3*diffs[0] || diffs[1] > 1e-2 {
				t.Errorf("adjoint vs checkpoint: %.3g at dt=1e-2, %.3g at dt=1e-3; want shrinking below 1e-2", diffs[0], diffs[1])
			}
		})
	}
}

// TestLispMachineGradients checks that the LispMachine (DoDiff) gives the TapeMachine's
// gradients, for Solve and SolveKL.
func TestLispMachineGradients(t *testing.T) {
	for _, kl := range []bool{false, true} {
		for _, gm := range []GradientMethod{Adjoint, Checkpoint} {
			t.Run(fmt.Sprintf("kl=%v/%v", kl, gm), func(t *testing.T) {
				var grads [2][][]float64
				var loss [2]float64
				for i, lisp := range []bool{false, true} {
					p := newMLPSDE(t, 4, 2, 8, kl, []float64{0, 0.5, 1}, WithCalculus(Stratonovich), WithStep(0.01),
						WithGradient(gm), WithSeed(4))
					loss[i], grads[i] = runGrads(t, p.loss, p.wrt, lisp)
				}
				if e := flatRelErr(grads[1], grads[0]); e > 1e-12 || loss[0] != loss[1] {
					t.Errorf("LispMachine vs TapeMachine: loss %v vs %v, gradients differ by %.3g", loss[1], loss[0], e)
				}
			})
		}
	}
}

// TestDeterminism: the same seed gives the same numbers, run after run and whatever
// GOMAXPROCS, also when the batch is split over two goroutines.
func TestDeterminism(t *testing.T) {
	run := func(procs int) (float64, [][]float64) {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		// batch x parameters above graphop.ParallelWork: the evaluations are split in two.
		p := newMLPSDE(t, 512, 4, 40, true, []float64{0, 0.5}, WithCalculus(Stratonovich), WithStep(0.05), WithSeed(8))
		if 512*p.f.NumParams() < graphop.ParallelWork {
			t.Fatalf("problem too small to split: %d", 512*p.f.NumParams())
		}
		return runGrads(t, p.loss, p.wrt, false)
	}
	l1, g1 := run(1)
	l2, g2 := run(2)
	l3, g3 := run(2)
	if l1 != l2 || l2 != l3 {
		t.Fatalf("losses differ: %v, %v, %v", l1, l2, l3)
	}
	for i := range g1 {
		for j := range g1[i] {
			if g1[i][j] != g2[i][j] || g2[i][j] != g3[i][j] {
				t.Fatalf("gradient %d[%d] differs: %v, %v, %v", i, j, g1[i][j], g2[i][j], g3[i][j])
			}
		}
	}
}

// TestResampleAndSeeds: by default every run uses the path of the seed; WithResample
// draws a new path per run (a deterministic sequence); SetSeed changes the seed and
// restarts the sequence; the gradient of each run uses that run's path.
func TestResampleAndSeeds(t *testing.T) {
	const batch, dim, T = 8, 2, 1.0
	wT := func(p *gbmProblem) []float64 {
		bm, _, err := BrownianOf(p.zs)
		if err != nil {
			t.Fatal(err)
		}
		w := make([]float64, batch*dim)
		bm.Increment(w, 0, T)
		return w
	}
	machines := map[*gbmProblem]G.VM{}
	grads := map[*gbmProblem]*G.Node{}
	runN := func(p *gbmProblem, n int) (paths [][]float64, errs []float64) {
		m := machines[p]
		if m == nil {
			gs, err := G.Grad(lastSum(t, p.zs, nil), p.sigma)
			if err != nil {
				t.Fatal(err)
			}
			m = G.NewTapeMachine(p.g)
			t.Cleanup(func() { m.Close() })
			machines[p], grads[p] = m, gs[0]
		}
		gs := G.Nodes{grads[p]}
		for i := 0; i < n; i++ {
			m.Reset()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, wT(p))
			_, _, esig := exactGBMGrads(t, p, T, Stratonovich)
			errs = append(errs, relErr(gs[0].Value().Data().([]float64), esig))
		}
		return paths, errs
	}
	same := slices.Equal[[]float64]

	fixed := newGBM(t, batch, dim, batch*dim, T, false, WithCalculus(Stratonovich), WithStep(0.01), WithSeed(3))
	paths, _ := runN(fixed, 2)
	if !same(paths[0], paths[1]) {
		t.Error("without WithResample two runs used different paths")
	}
	re := newGBM(t, batch, dim, batch*dim, T, false, WithCalculus(Stratonovich), WithStep(0.01), WithSeed(3), WithResample(true))
	rpaths, errs := runN(re, 3)
	if same(rpaths[0], rpaths[1]) || same(rpaths[1], rpaths[2]) {
		t.Error("WithResample: consecutive runs used the same path")
	}
	for i, e := range errs {
		if e > 1e-2 {
			t.Errorf("WithResample run %d: gradient off the run's path (rel. error %.3g)", i, e)
		}
	}
	re2 := newGBM(t, batch, dim, batch*dim, T, false, WithCalculus(Stratonovich), WithStep(0.01), WithSeed(3), WithResample(true))
	rpaths2, _ := runN(re2, 3)
	for i := range rpaths {
		if !same(rpaths[i], rpaths2[i]) {
			t.Errorf("WithResample: run %d differs between two nodes with the same seed", i)
		}
	}
	if err := SetSeed(re2.zs, 3); err != nil {
		t.Fatal(err)
	}
	rpaths3, _ := runN(re2, 1)
	if !same(rpaths3[0], rpaths[0]) {
		t.Error("SetSeed did not restart the sequence")
	}
	if err := SetSeed(fixed.zs, 4); err != nil {
		t.Fatal(err)
	}
	p4, _ := runN(fixed, 1)
	if same(p4[0], paths[0]) {
		t.Error("SetSeed did not change the path")
	}
}

// TestSolveMatchesIntegrate: the node's forward solve equals Integrate on the same
// path, for every method.
func TestSolveMatchesIntegrate(t *testing.T) {
	const batch, dim = 3, 2
	ts := []float64{0, 0.25, 0.6, 1}
	for _, m := range []Method{Euler, Milstein, SRK, Heun, EulerHeun, Midpoint, ReversibleHeun} {
		t.Run(string(m), func(t *testing.T) {
			calc := Stratonovich
			if m == Euler || m == SRK {
				calc = Ito
			}
			g := G.NewGraph()
			mu := []float64{0.5, -0.3}
			sig := []float64{0.4, 0.6}
			y0 := []float64{1, 0.5, 2, 1.5, 0.7, 0.9}
			z0 := matNode(g, "z0", batch, dim, y0)
			zs, err := Solve(z0, &gbmDyn{p: vecNode(g, "mu", mu)}, &gbmDyn{p: vecNode(g, "sigma", sig)}, ts,
				WithMethod(m), WithCalculus(calc), WithStep(0.03), WithSeed(6))
			if err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			bm, _, err := BrownianOf(zs)
			if err != nil {
				t.Fatal(err)
			}
			sde := SDE{
				Drift: func(t float64, y, f []float64) {
					for i := range y {
						f[i] = mu[i%dim] * y[i]
					}
				},
				Diffusion: func(t float64, y, g []float64) {
					for i := range y {
						g[i] = sig[i%dim] * y[i]
					}
				},
				Calculus: calc,
			}
			sol, err := Integrate(sde, y0, ts, bm, WithMethod(m), WithStep(0.03))
			if err != nil {
				t.Fatal(err)
			}
			got := zs.Value().Data().([]float64)
			var want []float64
			for _, y := range sol.Ys {
				want = append(want, y...)
			}
			if e := relErr(got, want); e > 1e-13 {
				t.Errorf("Solve and Integrate differ by %.3g", e)
			}
		})
	}
}

// TestSharedParameters: a node shared by the drift and the diffusion is one input of the
// solve, and its gradient is the sum of both uses.
func TestSharedParameters(t *testing.T) {
	const batch, dim, T = 4, 2, 1.0
	g := G.NewGraph()
	y0 := matNode(g, "y0", batch, dim, filledSlice(batch*dim, 1))
	p := vecNode(g, "p", []float64{0.3, 0.2})
	zs, err := Solve(y0, &gbmDyn{p: p}, &gbmDyn{p: p}, []float64{0, T}, WithCalculus(Stratonovich), WithStep(1e-3),
		WithGradient(Checkpoint))
	if err != nil {
		t.Fatal(err)
	}
	_, gr := runGrads(t, lastSum(t, zs, nil), G.Nodes{p}, false)
	// Y_T = exp(p T + p W_T): dY/dp = (T + W_T) Y_T.
	bm, _, _ := BrownianOf(zs)
	w := make([]float64, batch*dim)
	bm.Increment(w, 0, T)
	pv := []float64{0.3, 0.2}
	want := make([]float64, dim)
	for i, wi := range w {
		k := i % dim
		want[k] += (T + wi) * math.Exp(pv[k]*T+pv[k]*wi)
	}
	if e := relErr(gr[0], want); e > 1e-3 {
		t.Errorf("shared parameter gradient %v, want %v (rel. error %.3g)", gr[0], want, e)
	}
}

// TestSolveFloat32: a float32 graph is converted at the edges.
func TestSolveFloat32(t *testing.T) {
	const batch, dim = 4, 2
	g := G.NewGraph()
	y0 := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, dim), G.WithName("y0"),
		G.WithValue(tensor.New(tensor.WithShape(batch, dim), tensor.WithBacking([]float32{1, 1, 1, 1, 1, 1, 1, 1}))))
	mu := G.NewVector(g, tensor.Float32, G.WithShape(dim), G.WithName("mu"),
		G.WithValue(tensor.New(tensor.WithShape(dim), tensor.WithBacking([]float32{0.5, 0.4}))))
	sig := G.NewVector(g, tensor.Float32, G.WithShape(dim), G.WithName("sigma"),
		G.WithValue(tensor.New(tensor.WithShape(dim), tensor.WithBacking([]float32{0.3, 0.2}))))
	zs, err := Solve(y0, &gbmDyn{p: mu}, &gbmDyn{p: sig}, []float64{0, 1}, WithCalculus(Stratonovich), WithStep(1e-2))
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Sum(G.Must(G.Slice(zs, G.S(1)))))
	gs, err := G.Grad(loss, mu, sig)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	dmu := gs[0].Value().Data().([]float32)
	// dL/dmu_d = T sum_b Y_T[b, d] = the loss split by dimension; here just finite and positive.
	if !(dmu[0] > 0 && dmu[1] > 0) || loss.Value().Data().(float32) <= 0 {
		t.Errorf("float32 solve: loss %v, dmu %v", loss.Value().Data(), dmu)
	}
}

// TestSolveBadInput checks the errors of Solve and SolveKL for invalid arguments.
func TestSolveBadInput(t *testing.T) {
	g := G.NewGraph()
	y0 := matNode(g, "y0", 2, 2, filledSlice(4, 1))
	mu := vecNode(g, "mu", []float64{0.1, 0.2})
	sig := vecNode(g, "sig", []float64{0.1, 0.2})
	f, d := &gbmDyn{p: mu}, &gbmDyn{p: sig}
	other := G.NewGraph()
	foreign := vecNode(other, "mu", []float64{0.1, 0.2})
	vec := vecNode(g, "v", []float64{1, 2})
	wrong := vecNode(g, "w", []float64{1, 2, 3})
	ts := []float64{0, 1}
	step := WithStep(0.1)
	cases := []struct {
		name string
		run  func() error
		want error
	}{
		{"nil z0", func() error { _, err := Solve(nil, f, d, ts, step); return err }, ErrState},
		{"vector z0", func() error { _, err := Solve(vec, f, d, ts, step); return err }, ErrState},
		{"nil drift", func() error { _, err := Solve(y0, nil, d, ts, step); return err }, ErrSDE},
		{"no step", func() error { _, err := Solve(y0, f, d, ts); return err }, ErrStep},
		{"negative step", func() error { _, err := Solve(y0, f, d, ts, WithStep(-1)); return err }, ErrStep},
		{"one time", func() error { _, err := Solve(y0, f, d, []float64{0}, step); return err }, ErrTimes},
		{"decreasing", func() error { _, err := Solve(y0, f, d, []float64{1, 0}, step); return err }, ErrTimes},
		{"NaN time", func() error { _, err := Solve(y0, f, d, []float64{0, math.NaN()}, step); return err }, ErrTimes},
		{"unknown method", func() error { _, err := Solve(y0, f, d, ts, step, WithMethod("rk4")); return err }, ErrMethod},
		{"Ito midpoint", func() error { _, err := Solve(y0, f, d, ts, step, WithMethod(Midpoint)); return err }, ErrUnsupported},
		{"Stratonovich euler", func() error {
			_, err := Solve(y0, f, d, ts, step, WithCalculus(Stratonovich), WithMethod(Euler))
			return err
		}, ErrUnsupported},
		{"general noise", func() error { _, err := Solve(y0, f, d, ts, step, WithNoise(General)); return err }, ErrUnsupported},
		{"checkpoint milstein", func() error {
			_, err := Solve(y0, f, d, ts, step, WithMethod(Milstein), WithGradient(Checkpoint))
			return err
		}, ErrUnsupported},
		{"checkpoint srk", func() error {
			_, err := Solve(y0, f, d, ts, step, WithMethod(SRK), WithGradient(Checkpoint))
			return err
		}, ErrUnsupported},
		{"adjoint method with checkpoint", func() error {
			_, err := Solve(y0, f, d, ts, step, WithGradient(Checkpoint), WithAdjointMethod(Midpoint))
			return err
		}, ErrOption},
		{"Ito adjoint method", func() error { _, err := Solve(y0, f, d, ts, step, WithAdjointMethod(Euler)); return err }, ErrUnsupported},
		{"reversible adjoint after midpoint", func() error {
			_, err := Solve(y0, f, d, ts, step, WithCalculus(Stratonovich), WithAdjointMethod(ReversibleHeun))
			return err
		}, ErrUnsupported},
		{"unknown gradient", func() error { _, err := Solve(y0, f, d, ts, step, WithGradient(7)); return err }, ErrOption},
		{"tol with interval", func() error { _, err := Solve(y0, f, d, ts, step, WithBrownian(IntervalPath, 1e-3)); return err }, ErrOption},
		{"srk on a tree", func() error {
			_, err := Solve(y0, f, d, ts, step, WithMethod(SRK), WithBrownian(TreePath, 0))
			return err
		}, ErrUnsupported},
		{"too many steps", func() error { _, err := Solve(y0, f, d, ts, WithStep(1e-3), WithMaxSteps(10)); return err }, ErrMaxSteps},
		{"foreign parameter", func() error { _, err := Solve(y0, &gbmDyn{p: foreign}, d, ts, step); return err }, ErrSDE},
		{"parameter shape", func() error { _, err := Solve(y0, &gbmDyn{p: wrong}, d, ts, step); return err }, ErrSDE},
		{"KL without prior", func() error { _, _, err := SolveKL(y0, f, nil, d, ts, step); return err }, ErrSDE},
		{"KL with milstein", func() error { _, _, err := SolveKL(y0, f, f, d, ts, step, WithMethod(Milstein)); return err }, ErrUnsupported},
	}
	for _, c := range cases {
		err := c.run()
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
	if err := SetSeed(y0, 1); !errors.Is(err, ErrOption) {
		t.Errorf("SetSeed on a non-solve node: %v", err)
	}
	zs, err := Solve(y0, f, d, ts, step)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := BrownianOf(zs); !errors.Is(err, ErrNotRun) {
		t.Errorf("BrownianOf before a run: %v", err)
	}
}

// panicDyn panics when evaluated.
type panicDyn struct{ gbmDyn }

func (d *panicDyn) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	return &panicEval{}, nil
}

type panicEval struct{}

func (panicEval) Eval(dst []float64, t float64, z []float64) { panic("dynamics exploded") }
func (panicEval) VJP(f, dz, dth []float64, t float64, z, a []float64) {
	panic("dynamics exploded")
}

// TestSolveRunErrors: failures during a run come out of RunAll as errors that
// odeop.Cause unwraps: a non-finite state, a panic in the dynamics; and the Ito
// adjoint without ItoCorrector runs.
func TestSolveRunErrors(t *testing.T) {
	run := func(zs *G.Node, grad bool) error {
		loss := lastSum(t, zs, nil)
		if grad {
			if _, err := G.Grad(loss, zs.Graph().AllNodes()[0]); err != nil {
				t.Fatal(err)
			}
		}
		m := G.NewTapeMachine(zs.Graph())
		defer m.Close()
		return m.RunAll()
	}
	t.Run("non-finite", func(t *testing.T) {
		g := G.NewGraph()
		y0 := matNode(g, "y0", 2, 1, []float64{1, 1})
		zs, err := Solve(y0, &gbmDyn{p: vecNode(g, "mu", []float64{1e60})}, &gbmDyn{p: vecNode(g, "s", []float64{0.1})},
			[]float64{0, 1}, WithStep(0.1), WithCalculus(Stratonovich))
		if err != nil {
			t.Fatal(err)
		}
		if err := run(zs, false); !errors.Is(odeop.Cause(err), ErrNonFinite) {
			t.Errorf("got %v, want ErrNonFinite", err)
		}
	})
	t.Run("panic", func(t *testing.T) {
		g := G.NewGraph()
		y0 := matNode(g, "y0", 2, 1, []float64{1, 1})
		zs, err := Solve(y0, &panicDyn{gbmDyn{p: vecNode(g, "mu", []float64{1})}}, &gbmDyn{p: vecNode(g, "s", []float64{0.1})},
			[]float64{0, 1}, WithStep(0.1), WithCalculus(Stratonovich))
		if err != nil {
			t.Fatal(err)
		}
		if err := run(zs, false); !errors.Is(odeop.Cause(err), ErrSDE) {
			t.Errorf("got %v, want ErrSDE", err)
		}
	})
	t.Run("Ito without corrector", func(t *testing.T) {
		// Without ItoCorrector the correction comes from VJPs of g:
		// the gradients are those of the closed-form correction.
		var grads [2][][]float64
		for i, noCorr := range []bool{false, true} {
			p := newGBM(t, 2, 2, 2, 1, noCorr, WithStep(0.1))
			_, grads[i] = runGrads(t, lastSum(t, p.zs, nil), G.Nodes{p.y0, p.mu, p.sigma}, false)
		}
		if e := flatRelErr(grads[1], grads[0]); e > 1e-9 {
			t.Errorf("gradients off the closed-form correction's by %.3g", e)
		}
		// The same with additive noise needs no correction.
		p := newGBM(t, 2, 2, 2, 1, true, WithStep(0.1), WithNoise(Additive))
		if err := run(p.zs, true); err != nil {
			t.Errorf("additive noise: %v", err)
		}
	})
}

// TestKLOneOutput: a loss on zs alone or on logqp alone differentiates through SolveKL
// (TapeMachine; the LispMachine refuses graphs with an unused non-scalar node), and
// the two losses together give the sum of their gradients.
func TestKLOneOutput(t *testing.T) {
	var grads [3][][]float64
	for i, which := range []string{"zs", "logqp", "both"} {
		p := buildMLPSDE(t, 3, 2, 5, true, []float64{0, 0.5, 1}, WithCalculus(Stratonovich), WithStep(0.05), WithSeed(1))
		var loss *G.Node
		switch which {
		case "zs":
			loss = G.Must(G.Sum(p.zs))
		case "logqp":
			loss = G.Must(G.Sum(p.logqp))
		default:
			loss = G.Must(G.Add(G.Must(G.Sum(p.zs)), G.Must(G.Sum(p.logqp))))
		}
		_, grads[i] = runGrads(t, loss, p.wrt, false)
	}
	var sum, both []float64
	for j := range grads[0] {
		for k := range grads[0][j] {
			sum = append(sum, grads[0][j][k]+grads[1][j][k])
			both = append(both, grads[2][j][k])
		}
	}
	if e := relErr(sum, both); e > 1e-12 {
		t.Errorf("gradient of the sum differs from the sum of the gradients by %.3g", e)
	}
}
