package layers_test

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

// implicitBlockGrads builds a small ODE-block regression with the given solver options and
// returns the graph's loss, the learnables and a machine that computes their gradients.
func implicitBlockGrads(t *testing.T, opts ...odeop.Option) (*G.Node, G.Nodes, G.VM, *layers.ODEBlock) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 6))
	g := G.NewGraph()
	const batch, in, dim, out = 8, 4, 3, 2
	x := randMatrix(g, "x", batch, in, 1, rng)
	yv := make([]float64, batch*out)
	xv := x.Value().Data().([]float64)
	for i := range batch {
		r := xv[i*in : i*in+in]
		yv[i*out] = math.Sin(r[0]) + 0.5*r[1]
		yv[i*out+1] = math.Tanh(r[2] - r[3])
	}
	y := G.NewMatrix(g, tensor.Float64, G.WithShape(batch, out), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(batch, out), tensor.WithBacking(yv))))
	w1 := randMatrix(g, "front.W", in, dim, 0.5, rng)
	w2 := randMatrix(g, "head.W", dim, out, 0.5, rng)
	blk := layers.NewODEBlock(newDynamics(t, g, "f", dim), opts...)
	h := G.Must(G.Tanh(G.Must(G.Mul(x, w1))))
	z, err := blk.Fwd(h)
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Mean(G.Must(G.Square(G.Must(G.Sub(G.Must(G.Mul(z, w2)), y))))))
	learn := append(G.Nodes{w1, w2}, blk.Learnables()...)
	if _, err := G.Grad(loss, learn...); err != nil {
		t.Fatal(err)
	}
	return loss, learn, G.NewTapeMachine(g, G.BindDualValues(learn...)), blk
}

func gradsFlat(t *testing.T, learn G.Nodes) []float64 {
	t.Helper()
	var out []float64
	for _, n := range learn {
		gv, err := n.Grad()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, gv.Data().([]float64)...)
	}
	return out
}

// TestODEBlockImplicit: an ODE block with Kvaerno5 (odeop.WithMethod(odeop.Kvaerno5), the
// interpolating adjoint) gives the gradients of the same block with Dopri5 (both at rtol
// 1e-9: within 1e-5 relative) and trains (loss falls 3x in 40 Adam steps).
func TestODEBlockImplicit(t *testing.T) {
	lossE, learnE, mE, _ := implicitBlockGrads(t, odeop.WithTol(1e-9, 1e-10), odeop.WithAdjointTol(1e-9, 1e-10))
	defer mE.Close()
	if err := mE.RunAll(); err != nil {
		t.Fatal(err)
	}
	loss, learn, m, _ := implicitBlockGrads(t, odeop.WithMethod(odeop.Kvaerno5), odeop.WithTol(1e-9, 1e-10), odeop.WithAdjointTol(1e-9, 1e-10))
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	ge, gi := gradsFlat(t, learnE), gradsFlat(t, learn)
	var num, den float64
	for i := range ge {
		num += (gi[i] - ge[i]) * (gi[i] - ge[i])
		den += ge[i] * ge[i]
	}
	rel := math.Sqrt(num / den)
	t.Logf("loss %.10g (dopri5 %.10g); gradient relative difference %.3g over %d values", loss.Value().Data().(float64), lossE.Value().Data().(float64), rel, len(ge))
	if !(rel < 1e-5) {
		t.Errorf("kvaerno5 and dopri5 gradients differ by %.3g relative, want < 1e-5", rel)
	}

	loss, learn, m2, blk := implicitBlockGrads(t, odeop.WithMethod(odeop.Kvaerno5), odeop.WithTol(1e-5, 1e-7), odeop.WithAdjointTol(1e-5, 1e-7))
	defer m2.Close()
	adam := G.NewAdamSolver(G.WithLearnRate(0.03))
	var first, last float64
	for step := range 40 {
		m2.Reset()
		if err := m2.RunAll(); err != nil {
			t.Fatal(err)
		}
		last = loss.Value().Data().(float64)
		if step == 0 {
			first = last
		}
		if err := adam.Step(G.NodesToValueGrads(learn)); err != nil {
			t.Fatal(err)
		}
	}
	fwd, bwd := blk.NFE()
	t.Logf("loss %.4g -> %.4g in 40 steps; NFE %d forward, %d backward", first, last, fwd, bwd)
	if !(last < first/3) {
		t.Errorf("loss %g -> %g, want a 3x fall", first, last)
	}
}
