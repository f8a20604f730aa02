package layers_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

func randMatrix(g *G.ExprGraph, name string, rows, cols int, scale float64, rng *rand.Rand) *G.Node {
	v := make([]float64, rows*cols)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(v))))
}

func newDynamics(t testing.TB, g *G.ExprGraph, name string, dim int) *layers.MLP {
	t.Helper()
	f, err := layers.NewMLP(g, name, layers.Spec{In: dim, Seed: 7,
		Layers: []layers.LayerSpec{layers.ConcatLinear(8, layers.Tanh), layers.ConcatLinear(dim, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestODEBlockMatchesIntegrate checks Fwd against odeop.Integrate of the same dynamics
// on the flattened batch, over a non-default interval, and the NFE it reports.
func TestODEBlockMatchesIntegrate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := G.NewGraph()
	const batch, dim = 4, 3
	x := randMatrix(g, "x", batch, dim, 1, rng)
	f := newDynamics(t, g, "f", dim)
	blk := layers.NewODEBlock(f, odeop.WithTol(1e-8, 1e-10)).SetInterval(0.25, 1.5)
	if t0, t1 := blk.Interval(); t0 != 0.25 || t1 != 1.5 {
		t.Fatalf("Interval() = %g, %g", t0, t1)
	}
	if _, _, ok := blk.Stats(); ok {
		t.Fatal("Stats ok before Fwd")
	}
	z1, err := blk.Fwd(x)
	if err != nil {
		t.Fatal(err)
	}
	if !z1.Shape().Eq(tensor.Shape{batch, dim}) {
		t.Fatalf("Fwd shape %v, want (%d, %d)", z1.Shape(), batch, dim)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := z1.Value().Data().([]float64)

	ev, err := f.Bind(f.Values(), batch, dim)
	if err != nil {
		t.Fatal(err)
	}
	sol, err := odeop.Integrate(func(tt float64, y, dy []float64) { ev.Eval(dy, tt, y) },
		x.Value().Data().([]float64), []float64{0.25, 1.5}, odeop.WithTol(1e-8, 1e-10))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range sol.Ys[1] {
		if math.Abs(got[i]-want) > 1e-12*(1+math.Abs(want)) {
			t.Fatalf("z(t1)[%d] = %.15g, Integrate gives %.15g", i, got[i], want)
		}
	}
	fwd, bwd := blk.NFE()
	if fwd != sol.Stats.NFE || bwd != 0 {
		t.Errorf("NFE() = %d, %d; want %d, 0", fwd, bwd, sol.Stats.NFE)
	}
	if blk.SolveNode() == nil || !blk.SolveNode().Shape().Eq(tensor.Shape{2, batch, dim}) {
		t.Errorf("SolveNode() = %v", blk.SolveNode())
	}
	ls := blk.Learnables()
	if len(ls) != len(f.Params()) {
		t.Fatalf("Learnables() has %d nodes, want %d", len(ls), len(f.Params()))
	}
	for i := range ls {
		if ls[i] != f.Params()[i] {
			t.Errorf("Learnables()[%d] = %v, want %v", i, ls[i], f.Params()[i])
		}
	}
}

// TestODEBlockTrains puts the block between two ordinary Gorgonia dense layers and trains
// the whole model with Adam: the loss falls, and every layer's parameters get gradients.
func TestODEBlockTrains(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	g := G.NewGraph()
	const batch, in, dim, out = 16, 4, 3, 2
	x := randMatrix(g, "x", batch, in, 1, rng)
	// A smooth target of x.
	yv := make([]float64, batch*out)
	xv := x.Value().Data().([]float64)
	for i := 0; i < batch; i++ {
		r := xv[i*in : i*in+in]
		yv[i*out] = math.Sin(r[0]) + 0.5*r[1]
		yv[i*out+1] = math.Tanh(r[2] - r[3])
	}
	y := G.NewMatrix(g, tensor.Float64, G.WithShape(batch, out), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(batch, out), tensor.WithBacking(yv))))

	w1 := randMatrix(g, "front.W", in, dim, 0.5, rng)
	w2 := randMatrix(g, "head.W", dim, out, 0.5, rng)
	f := newDynamics(t, g, "f", dim)
	blk := layers.NewODEBlock(f, odeop.WithTol(1e-6, 1e-8))

	h := G.Must(G.Tanh(G.Must(G.Mul(x, w1))))
	z, err := blk.Fwd(h)
	if err != nil {
		t.Fatal(err)
	}
	pred := G.Must(G.Mul(z, w2))
	loss := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(pred, y))))))
	learn := append(G.Nodes{w1, w2}, blk.Learnables()...)
	if _, err := G.Grad(loss, learn...); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(learn...))
	defer m.Close()
	adam := G.NewAdamSolver(G.WithLearnRate(0.02))
	var first, last float64
	for step := 0; step < 150; step++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		last = loss.Value().Data().(float64)
		if step == 0 {
			first = last
			for _, n := range learn {
				gv, err := n.Grad()
				if err != nil {
					t.Fatal(err)
				}
				if norm(gv.Data().([]float64)) == 0 {
					t.Errorf("%s has a zero gradient", n.Name())
				}
			}
		}
		if err := adam.Step(G.NodesToValueGrads(learn)); err != nil {
			t.Fatal(err)
		}
	}
	if !(last < first/10) {
		t.Errorf("loss %g -> %g, want a 10x fall", first, last)
	}
	if fwd, bwd := blk.NFE(); fwd == 0 || bwd == 0 {
		t.Errorf("NFE() = %d, %d after training", fwd, bwd)
	}
}

func norm(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

func TestODEBlockErrors(t *testing.T) {
	g := G.NewGraph()
	f := newDynamics(t, g, "f", 3)
	vec := G.NewVector(g, tensor.Float64, G.WithShape(3), G.WithName("v"))
	wrongDim := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 4), G.WithName("w"))
	ok := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("ok"))
	cases := []struct {
		name string
		blk  *layers.ODEBlock
		x    *G.Node
		want error
	}{
		{"nil dynamics", layers.NewODEBlock(nil), ok, layers.ErrSpec},
		{"nil input", layers.NewODEBlock(f), nil, layers.ErrShape},
		{"empty interval", layers.NewODEBlock(f).SetInterval(1, 1), ok, layers.ErrSpec},
		{"NaN interval", layers.NewODEBlock(f).SetInterval(0, math.NaN()), ok, layers.ErrSpec},
		{"vector input", layers.NewODEBlock(f), vec, odeop.ErrShape},
		{"wrong width", layers.NewODEBlock(f), wrongDim, odeop.ErrShape},
		{"bad option", layers.NewODEBlock(f, odeop.WithTol(-1, 0)), ok, nil},
	}
	for _, c := range cases {
		_, err := c.blk.Fwd(c.x)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
}

// ExampleODEBlock builds a small continuous-depth model: a dense layer, an ODE block whose
// dynamics are a native MLP, and a dense head.
func ExampleODEBlock() {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(5, 4), G.WithName("x"), G.WithInit(G.Ones()))
	w1 := G.NewMatrix(g, tensor.Float64, G.WithShape(4, 3), G.WithName("w1"), G.WithInit(G.GlorotU(1)))
	w2 := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 2), G.WithName("w2"), G.WithInit(G.GlorotU(1)))
	f, err := layers.NewMLP(g, "f", layers.Spec{In: 3, Seed: 1,
		Layers: []layers.LayerSpec{layers.ConcatLinear(16, layers.Tanh), layers.ConcatLinear(3, nil)}})
	if err != nil {
		fmt.Println(err)
		return
	}
	blk := layers.NewODEBlock(f, odeop.WithTol(1e-5, 1e-7))
	z, err := blk.Fwd(G.Must(G.Tanh(G.Must(G.Mul(x, w1)))))
	if err != nil {
		fmt.Println(err)
		return
	}
	logits := G.Must(G.Mul(z, w2))
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		fmt.Println(err)
		return
	}
	nfe, _ := blk.NFE()
	fmt.Println(logits.Shape(), len(blk.Learnables()), nfe > 0)
	// Output: (5, 2) 4 true
}
