package layers

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestConvFwdGradient checks the Gorgonia op and its gradient op against the native VJP
// (itself checked against finite differences), on a batch small enough for one chunk and
// one large enough to be split over two goroutines.
func TestConvFwdGradient(t *testing.T) {
	for _, batch := range []int{3, 120} {
		g := G.NewGraph()
		m, err := NewConvNet(g, "down", ConvSpec{C: 2, H: 12, W: 12, Seed: 4, Layers: []ConvLayer{Conv2d(8, 3, 1, 0),
			GroupNorm(4), ReLU(), Conv2d(8, 4, 2, 1), GroupNorm(2), ReLU(), AvgPool()}})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(9, uint64(batch)))
		xv := randSlice(rng, batch*m.In(), 1)
		av := randSlice(rng, batch*m.Out(), 1)
		x := G.NewMatrix(g, tensor.Float64, G.WithShape(batch, m.In()), G.WithName("x"), G.WithValue(tensorOf(xv, batch, m.In())))
		a := G.NewMatrix(g, tensor.Float64, G.WithShape(batch, m.Out()), G.WithName("a"), G.WithValue(tensorOf(av, batch, m.Out())))
		y, err := m.Fwd(x)
		if err != nil {
			t.Fatal(err)
		}
		loss := G.Must(G.Sum(G.Must(G.HadamardProd(y, a))))
		wrt := append(G.Nodes{x}, m.Params()...)
		if _, err := G.Grad(loss, wrt...); err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g, G.BindDualValues(wrt...))
		for run := 0; run < 2; run++ {
			vm.Reset()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
		}
		vm.Close()
		e, err := m.NewEval(m.Values(), batch)
		if err != nil {
			t.Fatal(err)
		}
		f := make([]float64, len(av))
		dz := make([]float64, len(xv))
		dth := make([]float64, m.NumParams())
		e.VJP(f, dz, dth, 0, xv, av)
		yv := y.Value().Data().([]float64)
		convClose(t, "y", yv, f)
		// BindDualValues accumulates over the two runs
		gx, _ := x.Grad()
		convClose(t, "dx", gx.Data().([]float64), scaled(dz, 2))
		off := 0
		for _, p := range m.Params() {
			gp, _ := p.Grad()
			n := p.Shape().TotalSize()
			convClose(t, p.Name(), gp.Data().([]float64), scaled(dth[off:off+n], 2))
			off += n
		}
	}
}

func scaled(v []float64, s float64) []float64 {
	r := make([]float64, len(v))
	for i, x := range v {
		r[i] = s * x
	}
	return r
}

func convClose(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-11*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}
