package flow

import (
	"path/filepath"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/models"
)

// TestHollowSaveLoad saves a HollowNet's parameters (with an optimiser's state after a
// step) and loads them into a scrambled network of the same shape: f, the exact
// divergence and the optimiser's next update come back bit for bit.
func TestHollowSaveLoad(t *testing.T) {
	const d, batch = 5, 4
	spec := layers.HollowSpec{Dim: d, Hidden: 6, Mix: 3, Seed: 1}
	n1, err := layers.NewHollowNet(G.NewGraph(), "hol", spec)
	if err != nil {
		t.Fatal(err)
	}
	adam := models.NewAdam(1e-2)
	// one optimiser step on the gradient of Σ f + Σ div
	x := normals(batch*d, 2)
	step := func(n *layers.HollowNet, opt *models.Adam) {
		e, err := n.NewEval(n.Values(), batch)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Release()
		f := make([]float64, batch*d)
		e.Forward(f, 0.3, x)
		a := make([]float64, batch*d)
		for i := range a {
			a[i] = 1
		}
		ones := []float64{1, 1, 1, 1}
		flat := make([]float64, n.NumParams())
		e.Backward(nil, flat, a, ones)
		var vgs []G.ValueGrad
		off := 0
		for _, p := range n.Params() {
			sz := p.Shape().TotalSize()
			g := tensor.New(tensor.WithShape(p.Shape().Clone()...), tensor.WithBacking(append([]float64(nil), flat[off:off+sz]...)))
			vgs = append(vgs, iresnetParam{p, g})
			off += sz
		}
		if err := opt.Step(vgs); err != nil {
			t.Fatal(err)
		}
	}
	step(n1, adam)
	path := filepath.Join(t.TempDir(), "hollow.ckpt")
	if err := models.Save(path, n1.Params(), adam, map[string]string{"model": "hollownet"}); err != nil {
		t.Fatal(err)
	}
	n2, _ := layers.NewHollowNet(G.NewGraph(), "hol", layers.HollowSpec{Dim: d, Hidden: 6, Mix: 3, Seed: 77})
	adam2 := models.NewAdam(1e-2)
	if _, err := models.Load(path, n2.Params(), adam2); err != nil {
		t.Fatal(err)
	}
	eval := func(n *layers.HollowNet) ([]float64, []float64) {
		e, _ := n.NewEval(n.Values(), batch)
		defer e.Release()
		f, div := make([]float64, batch*d), make([]float64, batch)
		e.Forward(f, 0.3, x)
		e.Divergence(div)
		return f, div
	}
	f1, v1 := eval(n1)
	f2, v2 := eval(n2)
	for i := range f1 {
		if f1[i] != f2[i] {
			t.Fatalf("f[%d] %.17g saved, %.17g loaded", i, f1[i], f2[i])
		}
	}
	for i := range v1 {
		if v1[i] != v2[i] {
			t.Fatalf("div[%d] %.17g saved, %.17g loaded", i, v1[i], v2[i])
		}
	}
	step(n1, adam)
	step(n2, adam2)
	w1, w2 := n1.Values(), n2.Values()
	for k := range w1 {
		for j := range w1[k] {
			if w1[k][j] != w2[k][j] {
				t.Fatalf("parameter %d[%d] differs after the next step", k, j)
			}
		}
	}
}
