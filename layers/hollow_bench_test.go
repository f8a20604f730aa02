package layers

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/odeop"
)

// TestHollowPlainVJP checks the odeop.Evaluator of Bind (f only) against Backward.
func TestHollowPlainVJP(t *testing.T) {
	const d, batch = 4, 3
	n := newTestHollow(t, d, Softplus)
	ev, err := n.Bind(n.Values(), batch, d)
	if err != nil {
		t.Fatal(err)
	}
	x, a := randVec(batch*d, 1), randVec(batch*d, 2)
	f, dz, dth := make([]float64, batch*d), make([]float64, batch*d), make([]float64, n.NumParams())
	ev.VJP(f, dz, dth, 0.3, x, a)
	e, _ := n.NewEval(n.Values(), batch)
	f2, dz2, dth2 := make([]float64, batch*d), make([]float64, batch*d), make([]float64, n.NumParams())
	e.Forward(f2, 0.3, x)
	e.Backward(dz2, dth2, a, nil)
	f3 := make([]float64, batch*d)
	ev.Eval(f3, 0.3, x)
	for i := range f {
		if f[i] != f2[i] || f3[i] != f2[i] || math.Abs(dz[i]-dz2[i]) > 1e-14 {
			t.Fatalf("entry %d: f %g/%g/%g, dz %g/%g", i, f[i], f2[i], f3[i], dz[i], dz2[i])
		}
	}
	for i := range dth {
		if math.Abs(dth[i]-dth2[i]) > 1e-13*(1+math.Abs(dth2[i])) {
			t.Fatalf("dtheta[%d] %g vs %g", i, dth[i], dth2[i])
		}
	}
	if r, ok := ev.(interface{ Release() }); ok {
		r.Release()
	}
}

// The benchmark configuration of docs/iresnet.md: d = 64 (the 8x8 digits), batch 128,
// H = 32, M = 16.
const (
	hbDim, hbBatch, hbHidden, hbMix = 64, 128, 32, 16
)

func benchHollow(b *testing.B) (*HollowNet, []float64) {
	n, err := NewHollowNet(G.NewGraph(), "hol", HollowSpec{Dim: hbDim, Hidden: hbHidden, Mix: hbMix, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return n, randVec(hbBatch*hbDim, 9)
}

// BenchmarkHollowF is one evaluation of f (what a plain ODE solve calls).
func BenchmarkHollowF(b *testing.B) {
	n, x := benchHollow(b)
	ev, _ := n.Bind(n.Values(), hbBatch, hbDim)
	f := make([]float64, len(x))
	b.ReportAllocs()
	for b.Loop() {
		ev.Eval(f, 0.5, x)
	}
}

// BenchmarkHollowExactTrace is one evaluation of the CNF dynamics [f, -tr(∂f/∂x)] with the
// exact trace.
func BenchmarkHollowExactTrace(b *testing.B) {
	n, x := benchHollow(b)
	c, _ := NewHollowCNF(n, 1)
	ev, _ := c.Bind(n.Values(), hbBatch, c.Width())
	z := make([]float64, hbBatch*c.Width())
	for r := 0; r < hbBatch; r++ {
		copy(z[r*c.Width():r*c.Width()+hbDim], x[r*hbDim:(r+1)*hbDim])
	}
	f := make([]float64, len(z))
	b.ReportAllocs()
	for b.Loop() {
		ev.Eval(f, 0.5, z)
	}
}

// BenchmarkHollowTraceDPasses is the trace by brute force: f and d vector-Jacobian
// products with the unit vectors (what an exact trace costs without the hollow structure).
func BenchmarkHollowTraceDPasses(b *testing.B) {
	n, x := benchHollow(b)
	e, _ := n.NewEval(n.Values(), hbBatch)
	f := make([]float64, len(x))
	a := make([]float64, len(x))
	dx := make([]float64, len(x))
	tr := make([]float64, hbBatch)
	b.ReportAllocs()
	for b.Loop() {
		e.Forward(f, 0.5, x)
		clear(tr)
		for i := 0; i < hbDim; i++ {
			clear(a)
			for r := 0; r < hbBatch; r++ {
				a[r*hbDim+i] = 1
			}
			e.Backward(dx, nil, a, nil)
			for r := 0; r < hbBatch; r++ {
				tr[r] += dx[r*hbDim+i]
			}
		}
	}
}

// BenchmarkHollowCNFVJP is one vector-Jacobian product of the augmented dynamics (the
// adjoint's evaluation, with the gradient of the exact trace).
func BenchmarkHollowCNFVJP(b *testing.B) {
	n, x := benchHollow(b)
	c, _ := NewHollowCNF(n, 1)
	w := c.Width()
	ev, _ := c.Bind(n.Values(), hbBatch, w)
	z := make([]float64, hbBatch*w)
	for r := 0; r < hbBatch; r++ {
		copy(z[r*w:r*w+hbDim], x[r*hbDim:(r+1)*hbDim])
	}
	a := randVec(len(z), 3)
	f, dz, dth := make([]float64, len(z)), make([]float64, len(z)), make([]float64, n.NumParams())
	b.ReportAllocs()
	for b.Loop() {
		ev.VJP(f, dz, dth, 0.5, z, a)
	}
}

// benchMLPCNF is FFJORD's network of the digits comparison (64-40-40-64 ConcatSquash
// tanh, 7732 parameters, about the HollowNet's 7792) in a CNF with the given trace.
func benchMLPCNF(b *testing.B, tr Trace) (odeop.Evaluator, []float64, int) {
	f, err := NewMLP(G.NewGraph(), "mlp", Spec{In: hbDim, Layers: []LayerSpec{
		ConcatSquash(40, Tanh), ConcatSquash(40, Tanh), ConcatSquash(hbDim, Identity)}, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	c, err := NewCNF(f, CNFConfig{Trace: tr})
	if err != nil {
		b.Fatal(err)
	}
	w := c.Width()
	ev, err := c.Bind(c.Values(), hbBatch, w)
	if err != nil {
		b.Fatal(err)
	}
	z := randVec(hbBatch*w, 4)
	if col := c.ProbeCol(); col >= 0 {
		for r := 0; r < hbBatch; r++ {
			FillProbes(z[r*w+col:r*w+col+hbDim], Rademacher, 1, uint64(r))
		}
	}
	return ev, z, w
}

// BenchmarkHollowMLPExactTrace is the MLP CNF with the exact trace (D = 64 forward-mode
// products in one stacked pass), for comparison.
func BenchmarkHollowMLPExactTrace(b *testing.B) {
	ev, z, _ := benchMLPCNF(b, TraceExact)
	f := make([]float64, len(z))
	b.ReportAllocs()
	for b.Loop() {
		ev.Eval(f, 0.5, z)
	}
}

// BenchmarkHollowMLPHutchinson is the MLP CNF with one Hutchinson probe.
func BenchmarkHollowMLPHutchinson(b *testing.B) {
	ev, z, _ := benchMLPCNF(b, TraceHutchinson)
	f := make([]float64, len(z))
	b.ReportAllocs()
	for b.Loop() {
		ev.Eval(f, 0.5, z)
	}
}

// BenchmarkHollowMLPF is the MLP alone.
func BenchmarkHollowMLPF(b *testing.B) {
	f, err := NewMLP(G.NewGraph(), "mlp", Spec{In: hbDim, Layers: []LayerSpec{
		ConcatSquash(40, Tanh), ConcatSquash(40, Tanh), ConcatSquash(hbDim, Identity)}, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	ev, _ := f.Bind(f.Values(), hbBatch, hbDim)
	x := randVec(hbBatch*hbDim, 4)
	y := make([]float64, len(x))
	b.ReportAllocs()
	for b.Loop() {
		ev.Eval(y, 0.5, x)
	}
}
