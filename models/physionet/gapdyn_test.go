package physionet

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

// TestGapScaledExact checks that one solve of the gap-scaled dynamics on s in [0, 1]
// gives, for every row, the solution of the unscaled dynamics over that row's own gap
// (an independent per-row Integrate of the same network), that a zero gap leaves the row
// unchanged, and that the gradient with respect to z0, the gaps and the parameters through the
// Solve node matches central finite differences, for both gradient methods.
func TestGapScaledExact(t *testing.T) {
	const batch, dim = 4, 3
	gaps := []float64{0.3, 0, 1.7, 0.05}
	z0 := []float64{0.5, -0.2, 0.1, 1, 2, 3, -0.4, 0.3, 0.9, 0.2, 0.2, -0.7}
	for _, gm := range []odeop.GradientMethod{odeop.Adjoint, odeop.Checkpoint} {
		g := G.NewGraph()
		mlp, err := layers.NewMLP(g, "f", layers.Spec{In: dim, Seed: 5,
			Layers: []layers.LayerSpec{layers.Linear(8, layers.Tanh), layers.Linear(dim, nil)}})
		if err != nil {
			t.Fatal(err)
		}
		gn := G.NewMatrix(g, tensor.Float64, G.WithShape(batch, 1), G.WithName("gap"),
			G.WithValue(tensor.New(tensor.WithShape(batch, 1), tensor.WithBacking(append([]float64(nil), gaps...)))))
		zn := G.NewMatrix(g, tensor.Float64, G.WithShape(batch, dim), G.WithName("z0"),
			G.WithValue(tensor.New(tensor.WithShape(batch, dim), tensor.WithBacking(append([]float64(nil), z0...)))))
		opts := []odeop.Option{odeop.WithMethod(odeop.Dopri5), odeop.WithTol(1e-10, 1e-12), odeop.WithGradient(gm)}
		last, _, err := GapSolve(zn, gn, mlp, opts...)
		if err != nil {
			t.Fatal(err)
		}
		// loss = sum(w ⊙ z(1)) with fixed weights.
		w := make([]float64, batch*dim)
		for i := range w {
			w[i] = math.Sin(float64(i) + 1)
		}
		wn := G.NewMatrix(g, tensor.Float64, G.WithShape(batch, dim), G.WithName("w"), G.WithValue(tensor.New(tensor.WithShape(batch, dim), tensor.WithBacking(w))))
		loss := G.Must(G.Sum(G.Must(G.HadamardProd(last, wn))))
		learn := append(G.Nodes{zn, gn}, mlp.Params()...)
		if _, err := G.Grad(loss, learn...); err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g, G.BindDualValues(learn...))
		run := func() float64 {
			vm.Reset()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			return loss.Value().Data().(float64)
		}
		run()
		got := append([]float64(nil), last.Value().Data().([]float64)...)
		theta := mlp.Values()
		net, err := mlp.NewNet(theta, 1)
		if err != nil {
			t.Fatal(err)
		}
		for r := 0; r < batch; r++ {
			want := z0[r*dim : (r+1)*dim]
			if gaps[r] > 0 {
				sol, err := odeop.Integrate(func(tt float64, y, dy []float64) { net.Forward(dy, tt, y) }, want, []float64{0, gaps[r]},
					odeop.WithMethod(odeop.Dopri5), odeop.WithTol(1e-10, 1e-12))
				if err != nil {
					t.Fatal(err)
				}
				want = sol.Ys[1]
			}
			for i := 0; i < dim; i++ {
				if e := math.Abs(got[r*dim+i] - want[i]); e > 1e-8 {
					t.Errorf("%v row %d (gap %v) component %d: %v, per-row solve %v", gm, r, gaps[r], i, got[r*dim+i], want[i])
				}
			}
		}
		// Finite differences on a few entries of z0 and of the first weight matrix.
		grads := make([][]float64, len(learn))
		for i, n := range learn {
			gv, err := n.Grad()
			if err != nil {
				t.Fatal(err)
			}
			grads[i] = append([]float64(nil), gv.Data().([]float64)...)
		}
		for i, n := range learn[:3] {
			vals := n.Value().Data().([]float64)
			for _, k := range []int{0, 2, len(vals) - 1} {
				old := vals[k]
				const h = 1e-5
				vals[k] = old + h
				fp := run()
				vals[k] = old - h
				fm := run()
				vals[k] = old
				fd := (fp - fm) / (2 * h)
				if e := math.Abs(fd - grads[i][k]); e > 1e-6*(1+math.Abs(fd)) {
					t.Errorf("%v d loss / d %s[%d] = %v, finite differences %v", gm, n.Name(), k, grads[i][k], fd)
				}
			}
		}
		vm.Close()
	}
}
