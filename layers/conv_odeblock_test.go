package layers

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/odeop"
)

// TestConvODEBlockGradient solves dz/dt = f(t, z) for a small ODE function of the M1
// architecture in an ODEBlock with fixed-step RK4 and checks the gradients of
// <a, z(1)> with respect to z(0) and every parameter, by backpropagation through the
// steps (Checkpoint) against fourth-order finite differences of the whole solve
// (1e-8 relative). (The adjoint is not checked here: with the ReLUs' kinks it agrees
// with backpropagation through dopri5 at tolerance 1e-10 only to about 4e-4 relative,
// after 3000 forward evaluations; without the ReLUs to 1e-9.)
func TestConvODEBlockGradient(t *testing.T) {
	const batch = 2
	for _, tc := range []struct {
		name string
		opts []odeop.Option
		tol  float64
	}{
		{"checkpoint", []odeop.Option{odeop.WithMethod(odeop.RK4), odeop.WithStep(0.25), odeop.WithGradient(odeop.Checkpoint)}, 1e-8},
	} {
		g := G.NewGraph()
		f, err := NewConvNet(g, "f", ConvSpec{C: 4, H: 4, W: 4, Layers: odeFuncLayers(4, 2), Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(8, 8))
		zv := randSlice(rng, batch*f.In(), 1)
		av := randSlice(rng, batch*f.In(), 1)
		z0 := G.NewMatrix(g, tensor.Float64, G.WithShape(batch, f.In()), G.WithName("z0"), G.WithValue(tensorOf(zv, batch, f.In())))
		a := G.NewMatrix(g, tensor.Float64, G.WithShape(batch, f.In()), G.WithName("a"), G.WithValue(tensorOf(av, batch, f.In())))
		blk := NewODEBlock(f, tc.opts...)
		z1, err := blk.Fwd(z0)
		if err != nil {
			t.Fatal(err)
		}
		loss := G.Must(G.Sum(G.Must(G.HadamardProd(z1, a))))
		var lv G.Value
		G.Read(loss, &lv)
		wrt := append(G.Nodes{z0}, f.Params()...)
		if _, err := G.Grad(loss, wrt...); err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g, G.BindDualValues(wrt...))
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		var grads [][]float64
		for _, n := range wrt {
			gv, _ := n.Grad()
			grads = append(grads, append([]float64(nil), gv.Data().([]float64)...))
		}
		// finite differences of the solve, with the native network and odeop.Integrate
		phi := func() float64 {
			e, err := f.NewEval(f.Values(), batch)
			if err != nil {
				t.Fatal(err)
			}
			sol, err := odeop.Integrate(func(tt float64, y, dy []float64) { e.Eval(dy, tt, y) }, zv, []float64{0, 1}, odeop.IntegrateOptions(tc.opts)...)
			if err != nil {
				t.Fatal(err)
			}
			return dot(av, sol.Ys[1])
		}
		if p := phi(); p-lv.Data().(float64) > 1e-9 || lv.Data().(float64)-p > 1e-9 {
			t.Errorf("%s: loss %v, Integrate %v", tc.name, lv.Data(), p)
		}
		convFDTol(t, tc.name+"/z0", zv, grads[0], phi, tc.tol)
		for i, th := range f.Values() {
			convFDTol(t, tc.name+"/"+f.Params()[i].Name(), th, grads[1+i], phi, tc.tol)
		}
		vm.Close()
	}
}
