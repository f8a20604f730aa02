package models_test

import (
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/models"
)

// quadratic is a tiny model: loss = sum((x·W + b - y)²) with W (3, 2) and b (2).
type quadratic struct {
	g    *G.ExprGraph
	w, b *G.Node
	vm   G.VM
	loss *G.Node
}

func newQuadratic(t testing.TB) *quadratic {
	t.Helper()
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(4, 3), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(4, 3), tensor.WithBacking([]float64{1, 2, 0, -1, 0.5, 1, 0, 1, 1, 2, -2, 0.5}))))
	y := G.NewMatrix(g, tensor.Float64, G.WithShape(4, 2), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(4, 2), tensor.WithBacking([]float64{1, 0, 0, 1, -1, 2, 0.5, 0.5}))))
	q := &quadratic{g: g}
	q.w = G.NewMatrix(g, tensor.Float64, G.WithShape(3, 2), G.WithName("W"),
		G.WithValue(tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{0.1, -0.2, 0.3, 0.05, -0.1, 0.2}))))
	q.b = G.NewVector(g, tensor.Float64, G.WithShape(2), G.WithName("b"),
		G.WithValue(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{0.01, -0.02}))))
	pred := G.Must(G.BroadcastAdd(G.Must(G.Mul(x, q.w)), q.b, nil, []byte{0}))
	q.loss = G.Must(G.Sum(G.Must(G.Square(G.Must(G.Sub(pred, y))))))
	if _, err := G.Grad(q.loss, q.w, q.b); err != nil {
		t.Fatal(err)
	}
	q.vm = G.NewTapeMachine(g, G.BindDualValues(q.w, q.b))
	return q
}

func (q *quadratic) params() G.Nodes { return G.Nodes{q.w, q.b} }

func (q *quadratic) train(t testing.TB, s G.Solver, steps int) {
	t.Helper()
	for i := 0; i < steps; i++ {
		q.vm.Reset()
		if err := q.vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		if err := s.Step(G.NodesToValueGrads(q.params())); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAdamMatchesGorgonia: models.Adam takes the steps of Gorgonia's AdamSolver.
func TestAdamMatchesGorgonia(t *testing.T) {
	a, b := newQuadratic(t), newQuadratic(t)
	defer a.vm.Close()
	defer b.vm.Close()
	a.train(t, models.NewAdam(0.05), 25)
	b.train(t, G.NewAdamSolver(G.WithLearnRate(0.05)), 25)
	for i, va := range values(a.params()) {
		vb := values(b.params())[i]
		for j := range va {
			if math.Abs(va[j]-vb[j]) > 1e-13 {
				t.Fatalf("parameter %d[%d]: %.16g vs Gorgonia's %.16g", i, j, va[j], vb[j])
			}
		}
	}
}

// TestRMSPropFormula checks RMSProp against PyTorch's update written out, and that it
// zeroes the gradients.
func TestRMSPropFormula(t *testing.T) {
	q := newQuadratic(t)
	defer q.vm.Close()
	opt := models.NewRMSProp(0.01)
	w := slices.Clone(q.w.Value().Data().([]float64))
	v := make([]float64, len(w))
	for step := 0; step < 3; step++ {
		q.vm.Reset()
		if err := q.vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		gv, _ := q.w.Grad()
		for i, g := range gv.Data().([]float64) {
			v[i] = 0.99*v[i] + 0.01*g*g
			w[i] -= 0.01 * g / (math.Sqrt(v[i]) + 1e-8)
		}
		if err := opt.Step(G.NodesToValueGrads(q.params())); err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(gv.Data().([]float64), func(x float64) bool { return x != 0 }) {
			t.Fatal("gradient not zeroed")
		}
	}
	got := q.w.Value().Data().([]float64)
	for i := range w {
		if math.Abs(got[i]-w[i]) > 1e-15 {
			t.Fatalf("W[%d] = %.16g, want %.16g", i, got[i], w[i])
		}
	}
}

// TestResume: training 10 steps, saving, and resuming for 10 more in a fresh model and
// optimizer gives bit for bit the parameters of 20 uninterrupted steps.
func TestResume(t *testing.T) {
	for _, mk := range []func() models.Optimizer{
		func() models.Optimizer { return models.NewAdam(0.05) },
		func() models.Optimizer { return models.NewRMSProp(0.01) },
	} {
		ref := newQuadratic(t)
		ref.train(t, mk(), 20)

		first := newQuadratic(t)
		opt := mk()
		first.train(t, opt, 10)
		path := filepath.Join(t.TempDir(), "q.ckpt")
		if err := models.Save(path, first.params(), opt, nil); err != nil {
			t.Fatal(err)
		}
		second := newQuadratic(t)
		opt2 := mk()
		ck, err := models.Load(path, second.params(), opt2)
		if err != nil {
			t.Fatal(err)
		}
		if ck.Optimizer == nil || ck.Optimizer.Steps != 10 {
			t.Fatalf("optimizer state %+v", ck.Optimizer)
		}
		second.train(t, opt2, 10)
		if !sameValues(values(ref.params()), values(second.params())) {
			t.Errorf("%s: resumed training differs from uninterrupted training", ck.Optimizer.Kind)
		}
		for _, q := range []*quadratic{ref, first, second} {
			q.vm.Close()
		}
	}
}

// TestRestoreOptimizerMismatch: an optimizer state of another kind, or none, is an
// error that changes neither the parameters nor the optimizer.
func TestRestoreOptimizerMismatch(t *testing.T) {
	q := newQuadratic(t)
	defer q.vm.Close()
	rms := models.NewRMSProp(0.01)
	q.train(t, rms, 3)
	dir := t.TempDir()
	withRMS, without := filepath.Join(dir, "rms.ckpt"), filepath.Join(dir, "none.ckpt")
	if err := models.Save(withRMS, q.params(), rms, nil); err != nil {
		t.Fatal(err)
	}
	if err := models.Save(without, q.params(), nil, nil); err != nil {
		t.Fatal(err)
	}
	dst := newQuadratic(t)
	defer dst.vm.Close()
	adam := models.NewAdam(0.05)
	dst.train(t, adam, 2)
	before, stBefore := values(dst.params()), adam.State()
	for _, p := range []string{withRMS, without} {
		if _, err := models.Load(p, dst.params(), adam); !errors.Is(err, models.ErrMismatch) {
			t.Errorf("%s: error %v, want ErrMismatch", filepath.Base(p), err)
		}
		if !sameValues(before, values(dst.params())) {
			t.Fatalf("%s: parameters changed", filepath.Base(p))
		}
		if st := adam.State(); st.Steps != stBefore.Steps || !slices.Equal(st.Slots[0].Data, stBefore.Slots[0].Data) {
			t.Fatalf("%s: optimizer changed", filepath.Base(p))
		}
	}
}
