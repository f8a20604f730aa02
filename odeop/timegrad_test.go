package odeop

import (
	"errors"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// timesLoss builds L = sum(C ∘ z(ts)) for SolveAt under MLP dynamics and returns L and
// the gradients of z0, the dynamics' parameters and ts.
func timesLoss(t *testing.T, z0d, ts []float64, gm GradientMethod) (float64, [][]float64) {
	g := G.NewGraph()
	const batch, dim = 2, 3
	z0 := matNode(g, "z0", batch, dim, append([]float64(nil), z0d...))
	d := newMLPDyn(g, "f", dim, 5, 11, 1)
	tn := G.NewTensor(g, tensor.Float64, 1, G.WithShape(len(ts)), G.WithName("ts"),
		G.WithValue(tensor.New(tensor.WithShape(len(ts)), tensor.WithBacking(append([]float64(nil), ts...)))))
	zs, err := SolveAt(z0, d, tn, WithTol(1e-12, 1e-12), WithGradient(gm))
	if err != nil {
		t.Fatal(err)
	}
	loss, _ := weightedLoss(t, g, zs, 5)
	return gradsOf(t, loss, append(append(G.Nodes{z0}, d.Params()...), tn))
}

// TestSolveAtTimeGradients: dL/dts of SolveAt (output times and t0) against central
// differences, through the adjoint and Checkpoint; the gradients of z0 and theta equal
// Solve's.
func TestSolveAtTimeGradients(t *testing.T) {
	z0 := []float64{0.3, -0.5, 0.2, 0.1, 0.4, -0.3}
	for _, ts := range [][]float64{{0.2, 0.7, 1.1, 1.6}, {1.5, 0.9, 0.1}} {
		for _, gm := range GradientMethods() {
			_, grads := timesLoss(t, z0, ts, gm)
			got := grads[len(grads)-1]
			fd := fdGrad(ts, 1e-5, func() float64 { l, _ := timesLoss(t, z0, ts, gm); return l })
			e := relErr(got, fd)
			t.Logf("%v ts %v: dL/dts %v, relative error against finite differences %.2g", gm, ts, got, e)
			if e > 1e-6 {
				t.Errorf("%v ts %v: dL/dts %v, finite differences %v (rel %.2g)", gm, ts, got, fd, e)
			}
			// the other gradients are Solve's
			g := G.NewGraph()
			zn := matNode(g, "z0", 2, 3, append([]float64(nil), z0...))
			d := newMLPDyn(g, "f", 3, 5, 11, 1)
			zs, err := Solve(zn, d, ts, WithTol(1e-12, 1e-12), WithGradient(gm))
			if err != nil {
				t.Fatal(err)
			}
			loss, _ := weightedLoss(t, g, zs, 5)
			_, want := gradsOf(t, loss, append(G.Nodes{zn}, d.Params()...))
			for k := range want {
				if e := relErr(grads[k], want[k]); e > 1e-14 {
					t.Errorf("%v: gradient %d differs from Solve's (rel %.2g)", gm, k, e)
				}
			}
		}
	}
}

// TestSolveAtBadTimes: times that are not monotone on a run are an ErrTimes; a ts node of
// the wrong shape is refused at construction.
func TestSolveAtBadTimes(t *testing.T) {
	g := G.NewGraph()
	z0 := matNode(g, "z0", 1, 3, []float64{1, 2, 3})
	d := newMLPDyn(g, "f", 3, 4, 1, 1)
	tn := G.NewTensor(g, tensor.Float64, 1, G.WithShape(3), G.WithName("ts"),
		G.WithValue(tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{0, 1, 0.5}))))
	zs, err := SolveAt(z0, d, tn)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); !errors.Is(Cause(err), ErrTimes) {
		t.Errorf("non-monotone times: err %v, want ErrTimes", err)
	}
	_ = zs
	one := G.NewTensor(g, tensor.Float64, 1, G.WithShape(1), G.WithName("t1"), G.WithValue(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{0}))))
	if _, err := SolveAt(z0, d, one); !errors.Is(err, ErrTimes) {
		t.Errorf("one time: err %v, want ErrTimes", err)
	}
}
