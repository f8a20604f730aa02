package odeop

import (
	"math"
	"math/rand"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestSolveEventBatchRows: balls dropped from different heights in one batch: each row
// gets its own event time, equal to IntegrateEvent on that row alone to the tolerances, and
// its own state at its event (height 0, velocity -g t*).
func TestSolveEventBatchRows(t *testing.T) {
	hs := []float64{0.5, 2, 1, 8}
	const grav = 9.81
	g := G.NewGraph()
	z0d := make([]float64, 0, 2*len(hs))
	for _, h := range hs {
		z0d = append(z0d, h, 0)
	}
	z0 := matNode(g, "z0", len(hs), 2, z0d)
	gn := scalarNode(g, "g", grav)
	ts, zs, err := SolveEvent(z0, &gravityDyn{G: gn}, 0, heightEvent(2), WithTol(1e-10, 1e-12), WithDirection(Falling))
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	tv, zv := ts.Value().Data().([]float64), zs.Value().Data().([]float64)
	for b, h := range hs {
		alone, err := IntegrateEvent(ball(grav), []float64{h, 0}, 0, floor, WithTol(1e-10, 1e-12), WithDirection(Falling))
		if err != nil {
			t.Fatal(err)
		}
		want := math.Sqrt(2 * h / grav)
		if math.Abs(tv[b]-alone.T) > 1e-11 || math.Abs(tv[b]-want) > 1e-11 {
			t.Errorf("row %d (h %g): t* = %.15g, alone %.15g, exact %.15g", b, h, tv[b], alone.T, want)
		}
		if math.Abs(zv[2*b]) > 1e-10 || math.Abs(zv[2*b+1]+grav*want) > 1e-9 {
			t.Errorf("row %d: state at event %v, want (0, %g)", b, zv[2*b:2*b+2], -grav*want)
		}
	}
}

// thresholdEvent is g = z[0] + c0 t - c1 on every row, with learnable c = (c0, c1).
type thresholdEvent struct{ C *G.Node }

func (e *thresholdEvent) Params() G.Nodes { return G.Nodes{e.C} }
func (e *thresholdEvent) Bind(phi [][]float64, batch, dim int) (EventEvaluator, error) {
	return &thresholdEval{c: phi[0], dim: dim}, nil
}

type thresholdEval struct {
	c   []float64
	dim int
}

func (e *thresholdEval) Eval(dst []float64, t float64, z []float64) {
	for b := range dst {
		dst[b] = z[b*e.dim] + e.c[0]*t - e.c[1]
	}
}

func (e *thresholdEval) VJP(dz, dphi []float64, t float64, z, a []float64) float64 {
	clear(dz)
	gt := 0.0
	if dphi != nil {
		dphi[0], dphi[1] = 0, 0
	}
	for b, ab := range a {
		dz[b*e.dim] = ab
		gt += ab * e.c[0]
		if dphi != nil {
			dphi[0] += ab * t
			dphi[1] -= ab
		}
	}
	return gt
}

// eventLoss builds L = sum(w ∘ t*) + sum(W ∘ z*) for an MLP's event solve with the
// threshold event, from the given input values, and returns L and its gradients with
// respect to z0, the MLP's parameters and the event's.
func eventLoss(t *testing.T, z0d []float64, theta [][]float64, c, t0 []float64, batch, dim int, gm GradientMethod) (float64, [][]float64) {
	g := G.NewGraph()
	z0 := matNode(g, "z0", batch, dim, append([]float64(nil), z0d...))
	d := newMLPDyn(g, "f", dim, 6, 3, 0.8)
	for i, p := range d.Params() {
		G.Let(p, tensor.New(tensor.WithShape(p.Shape()...), tensor.WithBacking(append([]float64(nil), theta[i]...))))
	}
	cn := G.NewTensor(g, tensor.Float64, 1, G.WithShape(2), G.WithName("c"),
		G.WithValue(tensor.New(tensor.WithShape(2), tensor.WithBacking(append([]float64(nil), c...)))))
	t0n := G.NewTensor(g, tensor.Float64, 1, G.WithShape(1), G.WithName("t0"),
		G.WithValue(tensor.New(tensor.WithShape(1), tensor.WithBacking(append([]float64(nil), t0...)))))
	ts, zs, err := SolveEventFrom(z0, d, t0n, &thresholdEvent{C: cn}, WithTol(1e-12, 1e-12), WithEventTol(1e-14), WithGradient(gm), WithMaxTime(20))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(7))
	w := G.NewTensor(g, tensor.Float64, 1, G.WithShape(batch), G.WithName("w"), G.WithValue(tensor.New(tensor.WithShape(batch), tensor.WithBacking(randSlice(r, batch, 1)))))
	W := matNode(g, "W", batch, dim, randSlice(r, batch*dim, 1))
	loss := G.Must(G.Add(G.Must(G.Sum(G.Must(G.HadamardProd(ts, w)))), G.Must(G.Sum(G.Must(G.HadamardProd(zs, W))))))
	return gradsOf(t, loss, append(append(G.Nodes{z0}, d.Params()...), cn, t0n))
}

// TestSolveEventGradientsFiniteDifferences: a loss of the event times and states of a
// batch under MLP dynamics, with a learnable event: gradients with respect to z0, the
// dynamics' and the event's parameters and the start time (SolveEventFrom), through the adjoint and Checkpoint, against
// central differences of the forward solve.
func TestSolveEventGradientsFiniteDifferences(t *testing.T) {
	const batch, dim = 3, 2
	g := G.NewGraph()
	d := newMLPDyn(g, "f", dim, 6, 3, 0.8)
	var theta [][]float64
	for _, p := range d.Params() {
		theta = append(theta, append([]float64(nil), p.Value().Data().([]float64)...))
	}
	z0 := []float64{0.1, -0.2, 0.3, 0.05, -0.1, 0.2}
	c := []float64{1, 0.6}
	t0 := []float64{0.1}
	inputs := append(append([][]float64{z0}, theta...), c, t0)
	for _, gm := range GradientMethods() {
		_, grads := eventLoss(t, z0, theta, c, t0, batch, dim, gm)
		var got, fd []float64
		for k, x := range inputs {
			got = append(got, grads[k]...)
			fd = append(fd, fdGrad(x, 1e-5, func() float64 {
				l, _ := eventLoss(t, z0, theta, c, t0, batch, dim, gm)
				return l
			})...)
		}
		e := relErr(got, fd)
		t.Logf("%v: relative error against finite differences %.2g (%d inputs)", gm, e, len(got))
		if e > 1e-6 {
			t.Errorf("%v: gradients %v\nfinite differences %v\nrelative error %.2g", gm, got, fd, e)
		}
	}
}

// TestSolveEventMemoryFlat: 1,000 forward and backward runs of an event node on one
// machine: the live heap does not grow.
func TestSolveEventMemoryFlat(t *testing.T) {
	g := G.NewGraph()
	z0 := matNode(g, "z0", 4, 2, []float64{1, 0, 2, 0, 3, 0, 4, 0})
	gn := scalarNode(g, "g", 9.81)
	ts, zs, err := SolveEvent(z0, &gravityDyn{G: gn}, 0, heightEvent(2), WithDirection(Falling))
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Add(G.Must(G.Sum(ts)), G.Must(G.Sum(zs))))
	if _, err := G.Grad(loss, z0, gn); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	heap := func(runs int) uint64 {
		for i := 0; i < runs; i++ {
			m.Reset()
			if err := m.RunAll(); err != nil {
				t.Fatal(err)
			}
		}
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	// after a warm-up, 900 more runs: a leak of even 1 KB a run would add 900 KB
	h0 := heap(100)
	h1 := heap(400)
	h2 := heap(500)
	t.Logf("live heap after 100 runs %d bytes, after 500 %d, after 1000 %d", h0, h1, h2)
	if h2 > h0+1<<20 || h2 > h1+512<<10 {
		t.Errorf("live heap grew over 900 runs: %d -> %d -> %d bytes", h0, h1, h2)
	}
}

// TestGraphEventMatchesNative: the threshold event written as a Gorgonia subgraph gives
// the gradients of the native one.
func TestGraphEventMatchesNative(t *testing.T) {
	const batch, dim = 3, 2
	run := func(graph bool) [][]float64 {
		g := G.NewGraph()
		z0 := matNode(g, "z0", batch, dim, []float64{0.1, -0.2, 0.3, 0.05, -0.1, 0.2})
		d := newMLPDyn(g, "f", dim, 6, 3, 0.8)
		cn := G.NewTensor(g, tensor.Float64, 1, G.WithShape(2), G.WithName("c"),
			G.WithValue(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 0.6}))))
		var ev Event = &thresholdEvent{C: cn}
		if graph {
			ev = NewGraphEvent(G.Nodes{cn}, func(tt, z *G.Node, ps G.Nodes) (*G.Node, error) {
				z0col, err := G.Slice(z, nil, G.S(0))
				if err != nil {
					return nil, err
				}
				c0 := G.Must(G.Slice(ps[0], G.S(0)))
				c1 := G.Must(G.Slice(ps[0], G.S(1)))
				return G.Sub(G.Must(G.Add(z0col, G.Must(G.Mul(c0, tt)))), c1)
			})
		}
		ts, zs, err := SolveEvent(z0, d, 0, ev, WithTol(1e-10, 1e-12), WithMaxTime(20))
		if err != nil {
			t.Fatal(err)
		}
		loss := G.Must(G.Add(G.Must(G.Sum(ts)), G.Must(G.Sum(G.Must(G.Square(zs))))))
		_, grads := gradsOf(t, loss, append(append(G.Nodes{z0}, d.Params()...), cn))
		return grads
	}
	nat, gr := run(false), run(true)
	for k := range nat {
		if e := relErr(gr[k], nat[k]); e > 1e-12 {
			t.Errorf("gradient %d: graph event %v, native %v (rel %.2g)", k, gr[k], nat[k], e)
		}
	}
}
