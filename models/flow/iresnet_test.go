package flow

import (
	"math"
	"path/filepath"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/internal/rng"
	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/models/toy"
)

func smallIResNet(t *testing.T, seed uint64, est *layers.LogDet) *IResNet {
	t.Helper()
	m, err := NewIResNet(G.NewGraph(), "ires", IResNetConfig{Dim: 2, Blocks: 3, Hidden: []int{6, 5}, Act: layers.Tanh, Coeff: 0.9, LogDet: est, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func normals(n int, seed uint64) []float64 {
	v := make([]float64, n)
	src := rng.New(seed)
	src.FillNormal(v)
	return v
}

// TestIResNetGrad compares the flow's gradient with central differences of its seeded
// loss estimate (the series and the roulette, gradient backpropagated through them).
func TestIResNetGrad(t *testing.T) {
	for _, est := range []layers.LogDet{
		{Method: layers.LogDetSeries, Terms: 4},
		{Method: layers.LogDetRoulette, Terms: 1},
	} {
		t.Run(est.Method.String(), func(t *testing.T) {
			m := smallIResNet(t, 1, &est)
			x := normals(10, 2)
			for i := range x {
				x[i] *= 2
			}
			const step = 7
			if _, err := m.Grad(x, step); err != nil {
				t.Fatal(err)
			}
			var got []float64
			for _, g := range m.grads {
				got = append(got, g...)
			}
			i := 0
			for _, b := range m.Blocks() {
				for _, v := range b.Values() {
					for j := range v {
						const h = 1e-5
						v0 := v[j]
						loss := func(p float64) float64 {
							v[j] = p
							if err := m.Normalize(0); err != nil {
								t.Fatal(err)
							}
							l, err := m.Grad(x, step)
							if err != nil {
								t.Fatal(err)
							}
							return l
						}
						fd := (loss(v0+h) - loss(v0-h)) / (2 * h)
						loss(v0)
						if math.Abs(fd-got[i]) > 1e-7*(1+math.Abs(fd)) {
							t.Errorf("gradient %d = %.10g, finite difference %.10g", i, got[i], fd)
						}
						i++
					}
				}
			}
		})
	}
}

func TestIResNetInverse(t *testing.T) {
	m := smallIResNet(t, 3, nil)
	x := normals(40, 4)
	for i := range x {
		x[i] *= 3
	}
	z, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	xr, it, err := m.Inverse(z)
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if math.Abs(xr[i]-x[i]) > 1e-8 {
			t.Fatalf("x[%d] = %.15g, inverse %.15g", i, x[i], xr[i])
		}
	}
	t.Logf("inverse: at most %d iterations per block", it)
}

// TestIResNetSaveLoad trains a few steps, saves the flow with its optimiser, loads it into
// a scrambled flow and checks that parameters, power-iteration state and the
// exact log-likelihood come back bit for bit, and that training goes on identically.
func TestIResNetSaveLoad(t *testing.T) {
	m := smallIResNet(t, 5, nil)
	adam := models.NewAdam(1e-2)
	x := normals(64, 6)
	for s := uint64(0); s < 3; s++ {
		if _, err := m.TrainStep(adam, x, s); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "ires.ckpt")
	if err := models.Save(path, m.Nodes(), adam, map[string]string{"model": "iresnet"}); err != nil {
		t.Fatal(err)
	}
	// the same configuration (the seed drives the estimator's draws too), its values
	// scrambled so that only the load can bring them back
	m2 := smallIResNet(t, 5, nil)
	for i, n := range m2.Nodes() {
		copy(n.Value().Data().([]float64), normals(n.Shape().TotalSize(), uint64(100+i)))
	}
	adam2 := models.NewAdam(1e-2)
	if _, err := models.Load(path, m2.Nodes(), adam2); err != nil {
		t.Fatal(err)
	}
	if err := m2.Normalize(0); err != nil {
		t.Fatal(err)
	}
	n1, n2 := m.Nodes(), m2.Nodes()
	for i := range n1 {
		a, b := n1[i].Value().Data().([]float64), n2[i].Value().Data().([]float64)
		for j := range a {
			if a[j] != b[j] {
				t.Fatalf("node %s differs after load", n1[i].Name())
			}
		}
	}
	lp1, lp2 := make([]float64, 32), make([]float64, 32)
	exact := layers.LogDet{Method: layers.LogDetExact}
	if err := m.LogProb(lp1, x, exact, 0); err != nil {
		t.Fatal(err)
	}
	if err := m2.LogProb(lp2, x, exact, 0); err != nil {
		t.Fatal(err)
	}
	for i := range lp1 {
		if lp1[i] != lp2[i] {
			t.Fatalf("log p[%d] %.17g before, %.17g after the load", i, lp1[i], lp2[i])
		}
	}
	l1, err := m.TrainStep(adam, x, 3)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := m2.TrainStep(adam2, x, 3)
	if err != nil {
		t.Fatal(err)
	}
	if l1 != l2 {
		t.Fatalf("next step's loss %.17g vs %.17g after the load", l1, l2)
	}
	u1 := m.Blocks()[0].State()[0].Value().Data().([]float64)
	u2 := m2.Blocks()[0].State()[0].Value().Data().([]float64)
	for j := range u1 {
		if u1[j] != u2[j] {
			t.Fatal("power-iteration state differs after a step from the loaded model")
		}
	}
}

// TestIResNetTrain trains a small flow on 8gaussians and checks that the exact held-out
// NLL falls well below that of the untrained flow, that Lip(g) of every block stays below
// c, and that samples drawn through the inverse have the data's spread.
func TestIResNetTrain(t *testing.T) {
	iters := 300
	if testing.Short() {
		iters = 80
	}
	m, err := NewIResNet(G.NewGraph(), "ires", IResNetConfig{Dim: 2, Blocks: 4, Hidden: []int{32, 32}, Coeff: 0.9, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	xe, _ := toy.Sample("8gaussians", 2000, 1000)
	nll := func() float64 {
		lp := make([]float64, 2000)
		if err := m.LogProb(lp, xe, layers.LogDet{Method: layers.LogDetExact}, 0); err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for _, v := range lp {
			s -= v
		}
		return s / 2000
	}
	before := nll()
	adam := models.NewAdam(5e-3)
	for it := 0; it < iters; it++ {
		x, _ := toy.Sample("8gaussians", 128, uint64(it))
		if _, err := m.TrainStep(adam, x, uint64(it)); err != nil {
			t.Fatal(err)
		}
	}
	after := nll()
	t.Logf("held-out NLL %.4f before, %.4f after %d iterations", before, after, iters)
	if !(after < before-1) {
		t.Errorf("held-out NLL %.4f before, %.4f after training", before, after)
	}
	for k, l := range m.Lipschitz() {
		if l >= 0.9 {
			t.Errorf("block %d: Lipschitz bound %g, want below c = 0.9", k, l)
		}
	}
	s, err := m.Sample(500, 3)
	if err != nil {
		t.Fatal(err)
	}
	r2 := 0.0
	for i := 0; i < len(s); i += 2 {
		r2 += s[i]*s[i] + s[i+1]*s[i+1]
	}
	t.Logf("mean squared radius of samples %.3f", r2/500)
	if math.IsNaN(r2) {
		t.Fatal("NaN samples")
	}
}
