package latent

import (
	"fmt"
	"github.com/continuum-ml/continuum/models"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/rng"
	"github.com/continuum-ml/continuum/odeop"
)

func latRand(r *rand.Rand, n int, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = scale * (2*r.Float64() - 1)
	}
	return v
}

func latMatrix(g *G.ExprGraph, name string, v []float64, shape ...int) *G.Node {
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
	if len(shape) == 1 {
		return G.NewVector(g, tensor.Float64, G.WithShape(shape...), G.WithName(name), G.WithValue(t))
	}
	return G.NewMatrix(g, tensor.Float64, G.WithShape(shape...), G.WithName(name), G.WithValue(t))
}

// TestGRUGradient checks the fused GRU op's backward pass (gated and not) against central
// finite differences of its forward pass.
func TestGRUGradient(t *testing.T) {
	for _, gated := range []bool{false, true} {
		r := rand.New(rand.NewPCG(1, 2))
		B, I, H := 3, 4, 5
		vals := [][]float64{latRand(r, B*H, 1), latRand(r, B*I, 1), latRand(r, I*3*H, 0.7), latRand(r, H*3*H, 0.7), latRand(r, 3*H, 0.3), latRand(r, 3*H, 0.3)}
		o := []float64{1, 0, 1}
		cw := latRand(r, B*H, 1)
		g := G.NewGraph()
		shapes := [][]int{{B, H}, {B, I}, {I, 3 * H}, {H, 3 * H}, {3 * H}, {3 * H}}
		names := []string{"h", "x", "W", "U", "bx", "bh"}
		var nodes G.Nodes
		for i, v := range vals {
			nodes = append(nodes, latMatrix(g, names[i], v, shapes[i]...))
		}
		cell := &GRU{name: "cell", in: I, h: H, params: nodes[2:]}
		var on *G.Node
		if gated {
			on = latMatrix(g, "o", o, B)
		}
		out, err := cell.Step(nodes[0], nodes[1], on)
		if err != nil {
			t.Fatal(err)
		}
		c := latMatrix(g, "c", cw, B, H)
		loss := G.Must(G.Sum(G.Must(G.HadamardProd(out, c))))
		grads, err := G.Grad(loss, nodes...)
		if err != nil {
			t.Fatal(err)
		}
		m := G.NewTapeMachine(g)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		m.Close()
		op := &gruOp{batch: B, in: I, hid: H, gated: gated}
		phi := func() float64 {
			v := gruVals{h: vals[0], x: vals[1], w: vals[2], u: vals[3], bx: vals[4], bh: vals[5]}
			if gated {
				v.o = o
			}
			y := make([]float64, B*H)
			op.forward(v, y)
			s := 0.0
			for i := range y {
				s += y[i] * cw[i]
			}
			return s
		}
		for k, v := range vals {
			an := grads[k].Value().Data().([]float64)
			for i := range v {
				x0 := v[i]
				const h = 1e-6
				v[i] = x0 + h
				fp := phi()
				v[i] = x0 - h
				fm := phi()
				v[i] = x0
				fd := (fp - fm) / (2 * h)
				if math.Abs(fd-an[i]) > 1e-7*(1+math.Abs(fd)) {
					t.Fatalf("gated=%v: d/d%s[%d]: analytic %.10g, finite differences %.10g", gated, names[k], i, an[i], fd)
				}
			}
		}
	}
}

// TestMixGradient checks the row-gating op and its gradient.
func TestMixGradient(t *testing.T) {
	g := G.NewGraph()
	a := latMatrix(g, "a", []float64{1, 2, 3, 4}, 2, 2)
	b := latMatrix(g, "b", []float64{5, 6, 7, 8}, 2, 2)
	s := latMatrix(g, "s", []float64{0, 1}, 2)
	c := latMatrix(g, "c", []float64{1, 10, 100, 1000}, 2, 2)
	out := G.Must(G.ApplyOp(&latMixOp{batch: 2, n: 2}, a, b, s))
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(out, c))))
	grads, err := G.Grad(loss, a, b)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	want := map[string][]float64{
		"out": {1, 2, 7, 8},
		"da":  {1, 10, 0, 0},
		"db":  {0, 0, 100, 1000},
	}
	got := map[string][]float64{
		"out": out.Value().Data().([]float64),
		"da":  grads[0].Value().Data().([]float64),
		"db":  grads[1].Value().Data().([]float64),
	}
	for k, w := range want {
		for i := range w {
			if got[k][i] != w[i] {
				t.Fatalf("%s = %v, want %v", k, got[k], w)
			}
		}
	}
}

// latSmallData is a small periodic data set for the model tests.
func latSmallData(n int) (in, target *Series) {
	obs, _ := Periodic(PeriodicConfig{N: n, Times: 16, MaxT: 3, Seed: 5, GridSeed: 6})
	in, _ = obs.HoldOut(0.4, 7)
	return in, obs
}

var latTestTight = []odeop.Option{odeop.WithMethod(odeop.Dopri5), odeop.WithTol(1e-10, 1e-10)}

// TestLatentODEELBODecreases trains the latent ODE briefly and checks that the negative
// ELBO on the training data falls.
func TestLatentODEELBODecreases(t *testing.T) {
	in, target := latSmallData(24)
	m, err := NewODE(ODEConfig{Dim: 1, Latent: 3, Hidden: 8, Units: 16, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	before, err := m.Loss(in, target, 11)
	if err != nil {
		t.Fatal(err)
	}
	losses, err := m.Train(in, target, TrainConfig{Iters: 25, Batch: 12, LearnRate: 0.02, KLWarmup: -1})
	if err != nil {
		t.Fatal(err)
	}
	after, err := m.Loss(in, target, 11)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("negative ELBO per sequence: %.1f -> %.1f (training losses %.1f -> %.1f)", before, after, losses[0], losses[len(losses)-1])
	if !(after < 0.5*before) {
		t.Fatalf("negative ELBO %.2f -> %.2f; want it at least halved", before, after)
	}
}

// TestRecurrentLossDecreases does the same for ODE-RNN and RNN-Δt.
func TestRecurrentLossDecreases(t *testing.T) {
	in, target := latSmallData(24)
	in, _ = in.SplitAt(2) // extrapolation: RNN-Δt with Feedback rolls out after t = 2
	for _, kind := range []string{"odernn", "rnndt", "rnndt-feedback"} {
		s, err := newLatSeq(RNNConfig{Dim: 1, Hidden: 8, Units: 16, Seed: 3, Feedback: kind == "rnndt-feedback"}, kind == "odernn")
		if err != nil {
			t.Fatal(err)
		}
		before, err := s.Loss(in, target)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Train(in, target, TrainConfig{Iters: 25, Batch: 12, LearnRate: 0.02}); err != nil {
			t.Fatal(err)
		}
		after, err := s.Loss(in, target)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: negative log-likelihood per sequence %.1f -> %.1f", s, before, after)
		if !(after < 0.5*before) {
			t.Fatalf("%v: loss %.2f -> %.2f; want it at least halved", s, before, after)
		}
	}
}

// scramble changes every value that mask hides.
func scramble(s *Series) *Series {
	c := s.Clone()
	for i, m := range c.Mask {
		if m == 0 {
			c.Values[i] = 1e3 * float64(i%7+1)
		}
	}
	return c
}

func sameSlices(t *testing.T, what string, a, b []float64) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: lengths %d and %d", what, len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("%s[%d]: %v and %v", what, i, a[i], b[i])
		}
	}
}

// TestMasksIgnoreMissing changes every masked value (in the encoder's input and in the
// target) and checks that losses, encodings and predictions do not change at all.
func TestMasksIgnoreMissing(t *testing.T) {
	in, target := latSmallData(6)
	// Hide one dimension at some times as well: a 2-dimensional series.
	obs, _ := Spirals(SpiralConfig{N: 5, Total: 60, Sample: 12, Seed: 2})
	sin, _ := obs.HoldOut(0.3, 1)
	for i := range sin.Mask {
		if i%5 == 0 {
			sin.Mask[i] = 0
		}
	}
	cases := []struct {
		in, target *Series
	}{{in, target}, {sin, obs}}
	for _, c := range cases {
		d := c.in.D
		m, err := NewODE(ODEConfig{Dim: d, Latent: 3, Hidden: 6, Units: 8, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		l1, err := m.Loss(c.in, c.target, 3)
		if err != nil {
			t.Fatal(err)
		}
		l2, err := m.Loss(scramble(c.in), scramble(c.target), 3)
		if err != nil {
			t.Fatal(err)
		}
		if l1 != l2 {
			t.Fatalf("latent ODE (D=%d): loss %v with the masked values, %v with them changed", d, l1, l2)
		}
		p1, err := m.Predict(c.in, c.in.Times, 3, 1)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := m.Predict(scramble(c.in), c.in.Times, 3, 1)
		if err != nil {
			t.Fatal(err)
		}
		sameSlices(t, "latent ODE prediction", p1.Mean(), p2.Mean())
		for _, kind := range []string{"odernn", "rnndt", "rnndt-feedback"} {
			s, err := newLatSeq(RNNConfig{Dim: d, Hidden: 6, Units: 8, Seed: 1, Feedback: kind == "rnndt-feedback"}, kind == "odernn")
			if err != nil {
				t.Fatal(err)
			}
			l1, err := s.Loss(c.in, c.target)
			if err != nil {
				t.Fatal(err)
			}
			l2, err := s.Loss(scramble(c.in), scramble(c.target))
			if err != nil {
				t.Fatal(err)
			}
			if l1 != l2 {
				t.Fatalf("%v: loss %v with the masked values, %v with them changed", s, l1, l2)
			}
			p1, err := s.Predict(c.in, []float64{0.1, 0.5, 1.7})
			if err != nil {
				t.Fatal(err)
			}
			p2, err := s.Predict(scramble(c.in), []float64{0.1, 0.5, 1.7})
			if err != nil {
				t.Fatal(err)
			}
			sameSlices(t, s.String()+" prediction", p1.Mean(), p2.Mean())
		}
	}
}

// TestPerSequenceGrids batches sequences with their own observation times on the union
// of the times (with masks) and checks that every model gives each sequence what it gives
// it alone.
func TestPerSequenceGrids(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var seqs []Sequence
	for n := 0; n < 4; n++ {
		q := Sequence{Times: []float64{0}, Values: []float64{0}, Mask: []float64{0}}
		tt := 0.0
		for k := 0; k < 3+n; k++ {
			tt += 0.1 + 0.4*r.Float64()
			q.Times = append(q.Times, tt)
			q.Values = append(q.Values, math.Sin(2*tt+float64(n)))
			q.Mask = append(q.Mask, 1)
		}
		seqs = append(seqs, q)
	}
	batch, err := Union(seqs, 1)
	if err != nil {
		t.Fatal(err)
	}
	query := []float64{0.3, 1.1, 2.5}
	lode, err := NewODE(ODEConfig{Dim: 1, Latent: 3, Hidden: 6, Units: 8, Seed: 2, Encoder: latTestTight, Decoder: latTestTight})
	if err != nil {
		t.Fatal(err)
	}
	odernn, err := NewODERNN(RNNConfig{Dim: 1, Hidden: 6, Units: 8, Seed: 2, Transition: latTestTight})
	if err != nil {
		t.Fatal(err)
	}
	rnndt, err := NewRNNDt(RNNConfig{Dim: 1, Hidden: 6, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	predict := map[string]func(s *Series) ([]float64, error){
		"latent ODE": func(s *Series) ([]float64, error) {
			mu, ls, err := lode.Encode(s)
			if err != nil {
				return nil, err
			}
			p, err := lode.Predict(s, query, 0, 0)
			if err != nil {
				return nil, err
			}
			return append(append(mu, ls...), p.Mean()...), nil
		},
		"ODE-RNN": func(s *Series) ([]float64, error) {
			p, err := odernn.Predict(s, query)
			if err != nil {
				return nil, err
			}
			return p.Mean(), nil
		},
		"RNN-dt": func(s *Series) ([]float64, error) {
			p, err := rnndt.Predict(s, query)
			if err != nil {
				return nil, err
			}
			return p.Mean(), nil
		},
	}
	for name, f := range predict {
		all, err := f(batch)
		if err != nil {
			t.Fatal(err)
		}
		per := len(all) / len(seqs)
		worst := 0.0
		for n, q := range seqs {
			alone, err := Union([]Sequence{q}, 1)
			if err != nil {
				t.Fatal(err)
			}
			one, err := f(alone)
			if err != nil {
				t.Fatal(err)
			}
			// The latent ODE's result is [mu | logStd | predictions], each per sequence.
			var got []float64
			if name == "latent ODE" {
				L := 3
				got = append(append(append(got, all[n*L:(n+1)*L]...), all[len(seqs)*L+n*L:len(seqs)*L+(n+1)*L]...),
					all[2*len(seqs)*L+n*len(query):2*len(seqs)*L+(n+1)*len(query)]...)
			} else {
				got = all[n*per : (n+1)*per]
			}
			for i := range one {
				worst = math.Max(worst, math.Abs(got[i]-one[i]))
			}
		}
		t.Logf("%s: largest difference between batched and alone %.2g", name, worst)
		if worst > 1e-7 {
			t.Fatalf("%s: batched on the union of times and alone differ by %g", name, worst)
		}
	}
}

func TestUnionAndSplits(t *testing.T) {
	seqs := []Sequence{
		{Times: []float64{0, 1, 3}, Values: []float64{1, 2, 3}},
		{Times: []float64{0.5, 1}, Values: []float64{4, 5}, Mask: []float64{1, 0}},
	}
	s, err := Union(seqs, 1)
	if err != nil {
		t.Fatal(err)
	}
	sameSlices(t, "times", s.Times, []float64{0, 0.5, 1, 3})
	sameSlices(t, "mask", s.Mask, []float64{1, 0, 1, 1, 0, 1, 0, 0})
	sameSlices(t, "values", s.Values, []float64{1, 0, 2, 3, 0, 4, 0, 0})
	q := s.Sequence(0)
	sameSlices(t, "sequence times", q.Times, []float64{0, 1, 3})
	before, after := s.SplitAt(1)
	if before.Observed()+after.Observed() != s.Observed() || after.Observed() != 2 {
		t.Fatalf("split at 1: %d + %d of %d", before.Observed(), after.Observed(), s.Observed())
	}
	big, _ := Periodic(PeriodicConfig{N: 50, Seed: 1})
	kept, held := big.HoldOut(0.3, 2)
	if kept.Observed()+held.Observed() != big.Observed() {
		t.Fatal("hold-out does not partition the observations")
	}
	if f := float64(held.Observed()) / float64(big.Observed()); math.Abs(f-0.3) > 0.03 {
		t.Fatalf("held out %.3f of the observations, want about 0.3", f)
	}
	for i := range kept.Mask {
		if kept.Mask[i] != 0 && held.Mask[i] != 0 {
			t.Fatal("an observation is both kept and held out")
		}
	}
	if _, err := Union([]Sequence{{Times: []float64{1, 1}, Values: []float64{0, 0}}}, 1); err == nil {
		t.Fatal("repeated times accepted")
	}
}

func TestPeriodicAndSpirals(t *testing.T) {
	a, ca := Periodic(PeriodicConfig{N: 20, Seed: 9})
	b, _ := Periodic(PeriodicConfig{N: 20, Seed: 9})
	sameSlices(t, "periodic determinism", a.Values, b.Values)
	if a.T() != 100 || a.Times[0] != 0 || a.Times[99] > 5 {
		t.Fatalf("periodic grid: %d times in [%v, %v]", a.T(), a.Times[0], a.Times[a.T()-1])
	}
	if mse, _ := a.MaskedMSE(ca.Values, nil); math.Abs(mse-1e-4) > 3e-5 {
		t.Fatalf("periodic noise variance %g, want 1e-4", mse)
	}
	s, c := Spirals(SpiralConfig{N: 30, Seed: 1})
	if s.N != 30 || s.D != 2 || s.T() != 100 {
		t.Fatalf("spirals: N %d, D %d, T %d", s.N, s.D, s.T())
	}
	if mse, _ := s.MaskedMSE(c.Values, nil); math.Abs(mse-0.09) > 0.01 {
		t.Fatalf("spiral noise variance %g, want 0.09", mse)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestCO2(t *testing.T) {
	c, err := MaunaLoaCO2()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Times) != 2284 || c.Missing() != 59 {
		t.Fatalf("co2: %d weeks, %d missing; want 2284 and 59", len(c.Times), c.Missing())
	}
	if c.Times[0] < 1958.2 || c.Times[0] > 1958.3 || c.PPM[0] != 316.1 {
		t.Fatalf("co2 first week %v: %v", c.Times[0], c.PPM[0])
	}
	s, starts, err := c.Windows(CO2Windows{Start: 1960, End: 1970, Length: 3, Stride: 1, Keep: 0.5, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 8 || len(starts) != 8 || s.T() != 156 {
		t.Fatalf("windows: N %d, T %d", s.N, s.T())
	}
	if f := float64(s.Observed()) / float64(s.N*s.T()); f < 0.4 || f > 0.55 {
		t.Fatalf("windows keep %.2f of the weeks, want about 0.5 less the gaps", f)
	}
	first, _ := s.SplitAt(1.5)
	cs, levels := s.Center(first, 2)
	if levels[0] < 310 || levels[0] > 325 {
		t.Fatalf("level of the 1960 window %v", levels[0])
	}
	for n := 0; n < s.N; n++ {
		sum, cnt := 0.0, 0
		for k := range s.Times {
			if i := s.Index(n, k, 0); first.Mask[i] != 0 {
				sum += cs.Values[i]
				cnt++
			}
		}
		if math.Abs(sum) > 1e-9*float64(cnt) {
			t.Fatalf("window %d: the visible values do not average to 0 after centering (%g)", n, sum/float64(cnt))
		}
	}
	if _, err := ReadCO2(strings.NewReader("date,co2\n19580329,x\n")); err == nil {
		t.Fatal("a bad value was accepted")
	}
}

func TestPredictiveQuantile(t *testing.T) {
	p := &Predictive{Times: []float64{0}, N: 1, D: 1, Samples: [][]float64{{2}}, Std: []float64{3}}
	lo, hi := p.Band(0.9)
	if math.Abs(lo[0]-(2-1.6448536*3)) > 1e-6 || math.Abs(hi[0]-(2+1.6448536*3)) > 1e-6 {
		t.Fatalf("90%% band of N(2, 9): [%v, %v]", lo[0], hi[0])
	}
	q := &Predictive{Times: []float64{0}, N: 1, D: 1, Samples: [][]float64{{0}, {1}, {2}, {3}, {4}}, Std: []float64{0}}
	if v := q.Quantile(0.5)[0]; v != 2 {
		t.Fatalf("median of 0..4 = %v", v)
	}
}

func latTestSDE(t *testing.T, d int, ode bool) *SDE {
	m, err := NewSDE(SDEConfig{Dim: d, Latent: 3, Context: 4, Hidden: 6, Units: 12, Period: 3, Seed: 4, Step: 0.05, Sigma: 0.2, LearnStd: true, ODEEncoder: ode})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLatentSDEELBODecreases trains the latent SDE briefly: the negative ELBO (estimated
// on fixed paths) falls.
func TestLatentSDEELBODecreases(t *testing.T) {
	in, target := latSmallData(24)
	m := latTestSDE(t, 1, true)
	before, err := m.Loss(in, target, 4, 9)
	if err != nil {
		t.Fatal(err)
	}
	losses, err := m.Train(in, target, TrainConfig{Iters: 25, Batch: 12, LearnRate: 0.02, KLWarmup: -1})
	if err != nil {
		t.Fatal(err)
	}
	after, err := m.Loss(in, target, 4, 9)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v: negative ELBO per sequence %.1f -> %.1f (training losses %.1f -> %.1f)", m, before, after, losses[0], losses[len(losses)-1])
	if !(after < 0.5*before) {
		t.Fatalf("negative ELBO %.2f -> %.2f; want it at least halved", before, after)
	}
}

// TestLatentSDEMasksAndGrids: changing masked values changes neither the loss (same
// Brownian paths) nor the predictions, and the encoder gives each sequence batched on the
// union of times what it gives it alone.
func TestLatentSDEMasksAndGrids(t *testing.T) {
	obs, _ := Spirals(SpiralConfig{N: 4, Total: 60, Sample: 12, Seed: 2})
	in, _ := obs.HoldOut(0.4, 1)
	for i := range in.Mask {
		if i%5 == 0 {
			in.Mask[i] = 0
		}
	}
	for _, ode := range []bool{false, true} {
		m := latTestSDE(t, 2, ode)
		l1, err := m.Loss(in, obs, 2, 5)
		if err != nil {
			t.Fatal(err)
		}
		l2, err := m.Loss(scramble(in), scramble(obs), 2, 5)
		if err != nil {
			t.Fatal(err)
		}
		if l1 != l2 {
			t.Fatalf("latent SDE (ODE encoder %v): loss %v with the masked values, %v with them changed", ode, l1, l2)
		}
		p1, err := m.Predict(in, []float64{0.2, 1.5}, 3, 1)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := m.Predict(scramble(in), []float64{0.2, 1.5}, 3, 1)
		if err != nil {
			t.Fatal(err)
		}
		sameSlices(t, "latent SDE prediction", p1.Mean(), p2.Mean())
		mu, ls, err := m.Encode(in)
		if err != nil {
			t.Fatal(err)
		}
		L := m.Config().Latent
		// The GRU encoder gives exactly the same numbers; the ODE-RNN encoder's RK4 steps
		// depend on the grid's span, so it agrees to the solver's accuracy.
		tol := 0.0
		if ode {
			tol = 1e-6
		}
		for n := 0; n < in.N; n++ {
			q := in.Sequence(n)
			alone, err := Union([]Sequence{q, {Times: []float64{0}, Values: []float64{0, 0}, Mask: []float64{0, 0}}}, 2)
			if err != nil {
				t.Fatal(err)
			}
			mu1, ls1, err := m.Encode(alone.Rows([]int{0}))
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < L; i++ {
				if math.Abs(mu[n*L+i]-mu1[i]) > tol || math.Abs(ls[n*L+i]-ls1[i]) > tol {
					t.Fatalf("ODE encoder %v: q(z0) of sequence %d batched (%v, %v) and alone (%v, %v)", ode, n, mu[n*L:(n+1)*L], ls[n*L:(n+1)*L], mu1, ls1)
				}
			}
		}
	}
}

// TestLatentSaveLoad trains each latent model briefly with this package's Adam, saves it
// and checks that the loaded model predicts the same, that Restore brings back the
// optimizer's state, and that a truncated file or a model of another kind is refused.
func TestLatentSaveLoad(t *testing.T) {
	in, target := latSmallData(8)
	dir := t.TempDir()
	query := []float64{0.2, 1.1, 2.9}
	type model interface {
		Save(string, models.Optimizer, map[string]string) error
	}
	mk := map[string]func() (model, func(*Series) ([]float64, error), func(models.Optimizer) error){
		KindODE: func() (model, func(*Series) ([]float64, error), func(models.Optimizer) error) {
			m, _ := NewODE(ODEConfig{Dim: 1, Latent: 3, Hidden: 5, Units: 8, Period: 3, LearnStd: true, Seed: 2})
			return m, func(s *Series) ([]float64, error) {
					p, err := m.Predict(s, query, 2, 1)
					if err != nil {
						return nil, err
					}
					return p.Mean(), nil
				}, func(o models.Optimizer) error {
					_, err := m.Train(in, target, TrainConfig{Iters: 3, Batch: 4, Optimizer: o})
					return err
				}
		},
		KindRNNDt: func() (model, func(*Series) ([]float64, error), func(models.Optimizer) error) {
			m, _ := NewRNNDt(RNNConfig{Dim: 1, Hidden: 5, Seed: 2})
			return m, func(s *Series) ([]float64, error) {
					p, err := m.Predict(s, query)
					if err != nil {
						return nil, err
					}
					return p.Mean(), nil
				}, func(o models.Optimizer) error {
					_, err := m.Train(in, target, TrainConfig{Iters: 3, Batch: 4, Optimizer: o})
					return err
				}
		},
		KindSDE: func() (model, func(*Series) ([]float64, error), func(models.Optimizer) error) {
			m, _ := NewSDE(SDEConfig{Dim: 1, Latent: 2, Context: 3, Hidden: 4, Units: 8, Period: 3, LearnSigma: true, Step: 0.1, Seed: 2})
			return m, func(s *Series) ([]float64, error) {
					p, err := m.Predict(s, query, 3, 1)
					if err != nil {
						return nil, err
					}
					return p.Mean(), nil
				}, func(o models.Optimizer) error {
					_, err := m.Train(in, target, TrainConfig{Iters: 3, Batch: 4, Optimizer: o})
					return err
				}
		},
	}
	for kind, f := range mk {
		m, predict, train := f()
		opt := models.NewAdam(0.01)
		if err := train(opt); err != nil {
			t.Fatal(err)
		}
		want, err := predict(in)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, kind+".ckpt")
		if err := m.Save(path, opt, nil); err != nil {
			t.Fatal(err)
		}
		var got []float64
		switch kind {
		case KindODE:
			l, _, err := LoadODE(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := l.Predict(in, query, 2, 1)
			if err != nil {
				t.Fatal(err)
			}
			got = p.Mean()
		case KindRNNDt:
			l, _, err := LoadRNNDt(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := l.Predict(in, query)
			if err != nil {
				t.Fatal(err)
			}
			got = p.Mean()
			if _, _, err := LoadODERNN(path, nil); err == nil {
				t.Fatal("an RNN-dt checkpoint loaded as an ODE-RNN")
			}
		case KindSDE:
			l, _, err := LoadSDE(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, err := l.Predict(in, query, 3, 1)
			if err != nil {
				t.Fatal(err)
			}
			got = p.Mean()
		}
		sameSlices(t, kind+" prediction after loading", want, got)
		// Restore into a fresh model of the same configuration, optimizer included.
		m2, predict2, _ := f()
		opt2 := models.NewAdam(0.01)
		if _, err := m2.(interface {
			Restore(string, models.Optimizer) (*models.Checkpoint, error)
		}).Restore(path, opt2); err != nil {
			t.Fatal(err)
		}
		if opt2.State().Steps != opt.State().Steps {
			t.Fatalf("%s: restored optimizer at step %d, saved at %d", kind, opt2.State().Steps, opt.State().Steps)
		}
		got2, err := predict2(in)
		if err != nil {
			t.Fatal(err)
		}
		sameSlices(t, kind+" prediction after Restore", want, got2)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		bad := filepath.Join(dir, kind+".bad")
		if err := os.WriteFile(bad, b[:len(b)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := m2.(interface {
			Restore(string, models.Optimizer) (*models.Checkpoint, error)
		}).Restore(bad, nil); err == nil {
			t.Fatalf("%s: a truncated checkpoint was accepted", kind)
		}
	}
}

// TestLatentSample draws from the priors: the latent SDE with an Ornstein-Uhlenbeck prior
// started in its stationary law stays there (variance sigma²/(2 theta)), and the latent
// ODE's samples have the asked shape.
func TestLatentSample(t *testing.T) {
	m, err := NewSDE(SDEConfig{Dim: 1, Latent: 1, NoEncoder: true, OU: &OUPrior{Theta: 1, Mu: 0.5}, Sigma: 0.5, Identity: true, Step: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	const n = 4000
	s, err := m.Sample(n, []float64{0, 0.5, 1}, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	for k := range s.Times {
		var mean, v float64
		for b := 0; b < n; b++ {
			mean += s.Values[s.Index(b, k, 0)] / n
		}
		for b := 0; b < n; b++ {
			d := s.Values[s.Index(b, k, 0)] - mean
			v += d * d / (n - 1)
		}
		if math.Abs(mean-0.5) > 0.03 || math.Abs(v-0.125) > 0.015 {
			t.Errorf("t = %v: mean %.4f, variance %.4f; want 0.5 and 0.125", s.Times[k], mean, v)
		}
	}
	l, err := NewODE(ODEConfig{Dim: 2, Latent: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	x, err := l.Sample(5, 0, []float64{0.5, 1, 2}, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	if x.N != 5 || x.D != 2 || x.T() != 3 || x.Validate() != nil {
		t.Fatalf("latent ODE sample: N %d, D %d, T %d, %v", x.N, x.D, x.T(), x.Validate())
	}
}

// TestLatentSDEAdjoint checks that the stochastic adjoint's gradients of the ELBO agree
// with backpropagation through the steps on the same Brownian path (to O(dt)), and that
// training with it lowers the ELBO.
func TestLatentSDEAdjoint(t *testing.T) {
	in, target := latSmallData(6)
	grads := map[bool]map[string][]float64{}
	for _, adj := range []bool{false, true} {
		m, err := NewSDE(SDEConfig{Dim: 1, Latent: 2, Context: 3, Hidden: 4, Units: 8, Period: 3,
			LearnSigma: true, LearnStd: true, Step: 0.002, Seed: 6, Adjoint: adj})
		if err != nil {
			t.Fatal(err)
		}
		rows := latAll(in.N)
		q, err := m.build(len(rows), in.Times, true, false, 5)
		if err != nil {
			t.Fatal(err)
		}
		q.fill(m, in, target, rows, 1, 1, 1)
		if err := latRun(q.vm); err != nil {
			t.Fatal(err)
		}
		grads[adj] = map[string][]float64{}
		for _, n := range q.learn {
			g, err := n.Grad()
			if err != nil {
				t.Fatal(err)
			}
			grads[adj][n.Name()] = append([]float64(nil), g.Data().([]float64)...)
		}
		q.vm.Close()
	}
	var num, den float64
	for name, a := range grads[false] {
		b := grads[true][name]
		for i := range a {
			num += (a[i] - b[i]) * (a[i] - b[i])
			den += a[i] * a[i]
		}
	}
	rel := math.Sqrt(num / den)
	t.Logf("relative difference of the adjoint and checkpoint gradients at dt = 0.002: %.2g", rel)
	if rel > 0.02 {
		t.Fatalf("stochastic adjoint and checkpoint gradients differ by %.3g (relative)", rel)
	}
	m, err := NewSDE(SDEConfig{Dim: 1, Latent: 2, Context: 3, Hidden: 4, Units: 8, Period: 3, Step: 0.05, Seed: 6, Adjoint: true})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := m.Loss(in, target, 4, 9)
	if _, err := m.Train(in, target, TrainConfig{Iters: 15, Batch: 6, LearnRate: 0.02, KLWarmup: -1}); err != nil {
		t.Fatal(err)
	}
	after, _ := m.Loss(in, target, 4, 9)
	if !(after < 0.5*before) {
		t.Fatalf("training with the adjoint: negative ELBO %.1f -> %.1f", before, after)
	}
}

// TestLatentSDEPredictChunks checks that a prediction too large for one graph is made in
// blocks of sequences, block k exactly the prediction of its sequences alone with the
// seed rng.Derive(seed, k).
func TestLatentSDEPredictChunks(t *testing.T) {
	obs, _ := Spirals(SpiralConfig{N: 5, Total: 60, Sample: 12, Seed: 3})
	in, _ := obs.HoldOut(0.4, 2)
	m := latTestSDE(t, 2, false)
	defer func(r int) { predictRows = r }(predictRows)
	predictRows = 6 // 3 samples: blocks of 2 sequences
	times := []float64{0.2, 0.9, 1.5}
	p, err := m.Predict(in, times, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	if p.N != in.N || len(p.Samples) != 3 || len(p.Samples[0]) != in.N*len(times)*2 {
		t.Fatalf("prediction of %d sequences, %d samples of %d values", p.N, len(p.Samples), len(p.Samples[0]))
	}
	predictRows = 1 << 30
	for k, lo := 0, 0; lo < in.N; k, lo = k+1, lo+2 {
		hi := min(lo+2, in.N)
		var idx []int
		for n := lo; n < hi; n++ {
			idx = append(idx, n)
		}
		q, err := m.Predict(in.Rows(idx), times, 3, rng.Derive(7, uint64(k)))
		if err != nil {
			t.Fatal(err)
		}
		for s := range q.Samples {
			sameSlices(t, fmt.Sprintf("block %d sample %d", k, s), p.Samples[s][lo*len(times)*2:hi*len(times)*2], q.Samples[s])
		}
	}
}
