package flow

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/models/toy"
	"github.com/continuum-ml/continuum/odeop"
)

func cnfMatrix(g *G.ExprGraph, name string, rows, cols int, v []float64) *G.Node {
	t := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(v))
	return G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name), G.WithValue(t))
}

// TestCNFLinearDynamics: for f(z) = z·W + b the log-density change is exactly
// -tr(∂f/∂z)·T = -tr(W)·T, whatever the state, and log p(x) = log N(z(T)) + tr(W)·T with
// z(T) = x·e^{WT} + b·∫e^{Ws}ds·... checked through the graph node and outside it.
func TestCNFLinearDynamics(t *testing.T) {
	const d, batch, T = 3, 5, 0.7
	g := G.NewGraph()
	W := []float64{0.3, -0.2, 0.1, 0.4, -0.5, 0.2, -0.1, 0.3, 0.25}
	init := func(dst []float64, p layers.ParamInfo) {
		if p.Role == layers.Weight {
			copy(dst, W)
		} else {
			for i := range dst {
				dst[i] = 0.1 * float64(i+1)
			}
		}
	}
	m, err := NewCNF(g, "lin", CNFConfig{Dim: d, Hidden: []int{}, Layer: layers.Linear, T: T, Init: init,
		Solver: []odeop.Option{odeop.WithTol(1e-10, 1e-10)}})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	xv := make([]float64, batch*d)
	for i := range xv {
		xv[i] = 2 * r.NormFloat64()
	}
	x := cnfMatrix(g, "x", batch, d, xv)
	out, err := m.Fwd(x)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	trW := W[0] + W[4] + W[8]
	dl := out.DeltaLogP.Value().Data().([]float64)
	for b, v := range dl {
		if math.Abs(v-(-trW*T)) > 1e-12 {
			t.Errorf("sample %d: delta logp %.15g, want -tr(W)·T = %.15g", b, v, -trW*T)
		}
	}
	// log p from the graph, and from LogProbValues, against log N(z(T)) + tr(W)·T with
	// z(T) from the flow's own Z output.
	lp := out.LogProb.Value().Data().([]float64)
	z := out.Z.Value().Data().([]float64)
	lv, err := m.LogProbValues(xv, 0)
	if err != nil {
		t.Fatal(err)
	}
	for b := 0; b < batch; b++ {
		q := 0.0
		for i := 0; i < d; i++ {
			q += z[b*d+i] * z[b*d+i]
		}
		want := -0.5*d*math.Log(2*math.Pi) - 0.5*q + trW*T
		if math.Abs(lp[b]-want) > 1e-12 || math.Abs(lv[b]-want) > 1e-8 {
			t.Errorf("sample %d: log p %.12g (graph), %.12g (values), want %.12g", b, lp[b], lv[b], want)
		}
	}
	// Transport inverts the flow: base points back to x.
	back, _, err := m.Transport(z, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range back {
		if math.Abs(back[i]-xv[i]) > 1e-8 {
			t.Fatalf("transport back: %g, want %g", back[i], xv[i])
		}
	}
}

// TestCNFGradient: the gradient of the loss through the flow's graph (two blocks,
// regularizers, trainable T) against central differences of the loss. Finite differences
// of an adaptive solve are noisy (a perturbation may change the step sequence, which moves
// the result by the solver's error), so the check runs on a fixed-step RK4 solve with the
// Checkpoint gradient, exact for the discrete solve; TestCNFAdjointMatchesCheckpoint then
// ties the adjoint to it.
func TestCNFGradient(t *testing.T) {
	const d, batch = 2, 6
	for _, c := range []struct {
		name string
		cfg  CNFConfig
	}{
		{"exact", CNFConfig{}},
		{"exact+reg+T", CNFConfig{KineticWeight: 0.5, JacobianWeight: 0.3, TrainT: true}},
		{"hutchinson+reg", CNFConfig{Trace: layers.TraceHutchinson, KineticWeight: 0.5, JacobianWeight: 0.3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Dim, cfg.Blocks, cfg.Hidden, cfg.Seed = d, 2, []int{8}, 3
			cfg.Solver = []odeop.Option{odeop.WithMethod(odeop.RK4), odeop.WithStep(0.05), odeop.WithGradient(odeop.Checkpoint)}
			g := G.NewGraph()
			m, err := NewCNF(g, "cnf", cfg)
			if err != nil {
				t.Fatal(err)
			}
			xv, _ := toy.Sample("8gaussians", batch, 1)
			x := cnfMatrix(g, "x", batch, d, xv)
			out, err := m.Fwd(x)
			if err != nil {
				t.Fatal(err)
			}
			learn := m.Learnables()
			grads, err := G.Grad(out.Loss, learn...)
			if err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			defer vm.Close()
			run := func() float64 {
				vm.Reset()
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				return out.Loss.Value().Data().(float64)
			}
			run()
			gvs := make([][]float64, len(grads))
			for k, gr := range grads {
				gvs[k] = append([]float64(nil), gr.Value().Data().([]float64)...)
			}
			r := rand.New(rand.NewPCG(2, 2))
			worst := 0.0
			for k, p := range learn {
				gv := gvs[k]
				v := p.Value().Data().([]float64)
				for n := 0; n < 3; n++ {
					j := r.IntN(len(v))
					old := v[j]
					const h = 2e-5
					v[j] = old + h
					lp := run()
					v[j] = old - h
					lm := run()
					v[j] = old
					fd := (lp - lm) / (2 * h)
					e := math.Abs(gv[j]-fd) / (1e-3 + math.Abs(fd))
					worst = math.Max(worst, e)
					if e > 5e-7 {
						t.Errorf("%s[%d]: adjoint %.10g, finite differences %.10g", p.Name(), j, gv[j], fd)
					}
				}
			}
			fwd, bwd := out.Stats()
			t.Logf("worst relative error %.2g; NFE fwd %d bwd %d", worst, fwd.NFE, bwd.NFE)
		})
	}
}

// cnfGrads returns the loss gradient of a two-block flow with solver options opts.
func cnfGrads(t *testing.T, cfg CNFConfig, opts ...odeop.Option) []float64 {
	cfg.Dim, cfg.Blocks, cfg.Hidden, cfg.Seed, cfg.Solver = 2, 2, []int{8, 8}, 5, opts
	g := G.NewGraph()
	m, err := NewCNF(g, "cnf", cfg)
	if err != nil {
		t.Fatal(err)
	}
	xv, _ := toy.Sample("checkerboard", 16, 1)
	out, err := m.Fwd(cnfMatrix(g, "x", 16, 2, xv))
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(out.Loss, m.Learnables()...)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	var all []float64
	for _, gr := range grads {
		all = append(all, gr.Value().Data().([]float64)...)
	}
	return all
}

// TestCNFAdjointMatchesCheckpoint: at a tight tolerance the continuous adjoint's gradient
// and the exact gradient of the discrete solve (Checkpoint) agree to 1e-6 relative.
func TestCNFAdjointMatchesCheckpoint(t *testing.T) {
	cfg := CNFConfig{KineticWeight: 0.1, JacobianWeight: 0.1, TrainT: true}
	tol := odeop.WithTol(1e-10, 1e-10)
	a := cnfGrads(t, cfg, tol)
	c := cnfGrads(t, cfg, tol, odeop.WithGradient(odeop.Checkpoint))
	var num, den float64
	for i := range a {
		num += (a[i] - c[i]) * (a[i] - c[i])
		den += c[i] * c[i]
	}
	e := math.Sqrt(num / den)
	t.Logf("|adjoint - checkpoint| / |checkpoint| = %.2g over %d parameters", e, len(a))
	if e > 1e-6 {
		t.Errorf("adjoint and checkpoint gradients differ by %.2g (relative)", e)
	}
}

// TestCNFHutchinsonLogProbUnbiased: the Hutchinson log-density of a fixed flow, averaged
// over many probe draws, matches the exact one. The trajectory of z does not depend on the
// probe, and Δlogp is linear in the trace estimates, so the estimate is unbiased up to the
// solver tolerance; the test allows 5 standard errors (estimated from the draws) + 1e-4.
func TestCNFHutchinsonLogProbUnbiased(t *testing.T) {
	const d, draws = 2, 400
	g := G.NewGraph()
	f, err := layers.NewMLP(g, "f", layers.Spec{In: d, Seed: 4,
		Layers: []layers.LayerSpec{layers.ConcatSquash(16, layers.Tanh), layers.ConcatSquash(16, layers.Tanh), layers.ConcatSquash(d, layers.Identity)}})
	if err != nil {
		t.Fatal(err)
	}
	ex, _ := layers.NewCNF(f, layers.CNFConfig{Trace: layers.TraceExact, T: 0.5})
	hu, _ := layers.NewCNF(f, layers.CNFConfig{Trace: layers.TraceHutchinson, T: 0.5})
	me, _ := NewCNFFromBlocks("e", []*layers.CNF{ex}, layers.Rademacher, 1, odeop.WithTol(1e-8, 1e-8))
	for _, probe := range []layers.Probe{layers.Rademacher, layers.Gaussian} {
		mh, _ := NewCNFFromBlocks("h", []*layers.CNF{hu}, probe, 1, odeop.WithTol(1e-8, 1e-8))
		x := []float64{0.3, -0.7, 1.5, 0.2, -1, -1}
		n := len(x) / d
		want, err := me.LogProbValues(x, 0)
		if err != nil {
			t.Fatal(err)
		}
		// one batch holds all draws for all points
		xs := make([]float64, 0, draws*len(x))
		for k := 0; k < draws; k++ {
			xs = append(xs, x...)
		}
		got, err := mh.LogProbValues(xs, 9)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			var s, s2 float64
			for k := 0; k < draws; k++ {
				v := got[k*n+i]
				s += v
				s2 += v * v
			}
			mean := s / draws
			se := math.Sqrt((s2/draws - mean*mean) / draws)
			t.Logf("%v point %d: Hutchinson log p %.5f ± %.5f, exact %.5f", probe, i, mean, se, want[i])
			if math.Abs(mean-want[i]) > 5*se+1e-4 {
				t.Errorf("%v point %d: Hutchinson mean %.5f ± %.5f, exact %.5f", probe, i, mean, se, want[i])
			}
		}
	}
}

// TestCNFDensityNormalized trains a small flow briefly on 8gaussians, then integrates
// exp(log p) over a grid covering the data: the learned density must integrate to 1
// within 2% (the exact trace makes exp(log p) a density up to the solver's tolerance;
// the grid truncation and the midpoint rule account for the rest).
func TestCNFDensityNormalized(t *testing.T) {
	iters, n := 150, 81
	if testing.Short() {
		iters, n = 40, 61
	}
	g := G.NewGraph()
	m, err := NewCNF(g, "cnf", CNFConfig{Dim: 2, Hidden: []int{32, 32}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewCNFTrainer(m, 128, G.NewAdamSolver(G.WithLearnRate(5e-3)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var first, last float64
	for it := 0; it < iters; it++ {
		x, _ := toy.Sample("8gaussians", 128, uint64(100+it))
		l, err := tr.Step(x)
		if err != nil {
			t.Fatal(err)
		}
		if it == 0 {
			first = l
		}
		last = l
	}
	fwd, bwd := tr.Stats()
	t.Logf("loss %.4f -> %.4f after %d steps (NFE fwd %d bwd %d)", first, last, iters, fwd.NFE, bwd.NFE)
	if !(last < first) {
		t.Errorf("training did not lower the loss: %.4f -> %.4f", first, last)
	}
	const L = 6.0
	h := 2 * L / float64(n)
	pts := make([]float64, 0, 2*n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			pts = append(pts, -L+(float64(i)+0.5)*h, -L+(float64(j)+0.5)*h)
		}
	}
	lp, err := m.LogProbValues(pts, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := 0.0
	for _, v := range lp {
		s += math.Exp(v)
	}
	s *= h * h
	t.Logf("∫ exp(log p) over [-%g, %g]² (%dx%d midpoint) = %.5f", L, L, n, n, s)
	if math.Abs(s-1) > 0.02 {
		t.Errorf("learned density integrates to %.4f, want 1 ± 0.02", s)
	}
}
