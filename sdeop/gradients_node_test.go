package sdeop

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
)

// mlpSDE is a small neural SDE: drift f = MLP(z) (tanh hidden layer), diffusion g =
// sigmoid(MLP(z)) (positive), and with KL a prior drift q = MLP(z).
type mlpSDE struct {
	g          *G.ExprGraph
	y0         *G.Node
	f, diff, q *layers.MLP
	zs, logqp  *G.Node
	cz, cl     []float64 // loss weights
	loss       *G.Node
	batch, dim int
	ts         []float64
	wrt        G.Nodes // z0 and the parameters: the node's inputs, in order
}

func newMLP(t testing.TB, g *G.ExprGraph, name string, dim, hidden int, out layers.Activation, seed uint64) *layers.MLP {
	t.Helper()
	m, err := layers.NewMLP(g, name, layers.Spec{
		In:     dim,
		Layers: []layers.LayerSpec{layers.Linear(hidden, layers.Tanh), layers.Linear(dim, out)},
		Seed:   seed,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// newMLPSDE builds the SDE and the loss sum(zs ⊙ Cz) (+ sum(logqp ⊙ Cl) with KL) over
// every output time.
func newMLPSDE(t testing.TB, batch, dim, hidden int, kl bool, ts []float64, opts ...Option) *mlpSDE {
	t.Helper()
	p := buildMLPSDE(t, batch, dim, hidden, kl, ts, opts...)
	g := p.g
	r := rand.New(rand.NewSource(4))
	T := len(ts)
	p.cz = randSlice(r, T*batch*dim, 1)
	Cz := G.NewTensor(g, tensor.Float64, 3, G.WithShape(T, batch, dim), G.WithName("Cz"),
		G.WithValue(tensor.New(tensor.WithShape(T, batch, dim), tensor.WithBacking(p.cz))))
	p.loss = G.Must(G.Sum(G.Must(G.HadamardProd(p.zs, Cz))))
	if kl {
		p.cl = randSlice(r, T*batch, 1)
		Cl := G.NewMatrix(g, tensor.Float64, G.WithShape(T, batch), G.WithName("Cl"),
			G.WithValue(tensor.New(tensor.WithShape(T, batch), tensor.WithBacking(p.cl))))
		p.loss = G.Must(G.Add(p.loss, G.Must(G.Sum(G.Must(G.HadamardProd(p.logqp, Cl))))))
	}
	return p
}

// buildMLPSDE builds the SDE without a loss (downstream operations may overwrite the
// output's memory in place, so tests that read zs use this).
func buildMLPSDE(t testing.TB, batch, dim, hidden int, kl bool, ts []float64, opts ...Option) *mlpSDE {
	t.Helper()
	g := G.NewGraph()
	r := rand.New(rand.NewSource(3))
	p := &mlpSDE{g: g, batch: batch, dim: dim, ts: ts}
	p.y0 = matNode(g, "y0", batch, dim, randSlice(r, batch*dim, 0.5))
	p.f = newMLP(t, g, "f", dim, hidden, nil, 1)
	p.diff = newMLP(t, g, "g", dim, hidden, layers.Sigmoid, 2)
	var err error
	if kl {
		p.q = newMLP(t, g, "q", dim, hidden, nil, 3)
		p.zs, p.logqp, err = SolveKL(p.y0, p.f, p.q, p.diff, ts, opts...)
	} else {
		p.zs, err = Solve(p.y0, p.f, p.diff, ts, opts...)
	}
	if err != nil {
		t.Fatal(err)
	}
	p.wrt = append(G.Nodes{p.y0}, p.f.Params()...)
	p.wrt = append(p.wrt, p.diff.Params()...)
	if kl {
		p.wrt = append(p.wrt, p.q.Params()...)
	}
	return p
}

// lossAt runs the node's forward solve with inputs vals (z0, then the unique
// parameters, in the node's input order) on the path of the last run, and returns the
// loss.
func (p *mlpSDE) lossAt(t testing.TB, vals [][]float64) float64 {
	t.Helper()
	op, _ := nodeOf(p.zs)
	_, seed, err := BrownianOf(p.zs)
	if err != nil {
		t.Fatal(err)
	}
	res, err := op.runForward(vals[0], vals[1:], seed)
	if err != nil {
		t.Fatal(err)
	}
	cols := op.cols()
	s := 0.0
	for i := 0; i < len(p.ts); i++ {
		for b := 0; b < p.batch; b++ {
			row := res.out[(i*p.batch+b)*cols:]
			for d := 0; d < p.dim; d++ {
				s += row[d] * p.cz[(i*p.batch+b)*p.dim+d]
			}
			if op.kl {
				s += row[p.dim] * p.cl[i*p.batch+b]
			}
		}
	}
	return s
}

// fdGrads returns central finite-difference gradients of lossAt with respect to every
// input of the node (in p.wrt order, which is the node's input order here).
func (p *mlpSDE) fdGrads(t testing.TB) [][]float64 {
	t.Helper()
	vals := make([][]float64, len(p.wrt))
	for i, n := range p.wrt {
		vals[i] = append([]float64(nil), n.Value().Data().([]float64)...)
	}
	out := make([][]float64, len(vals))
	for i, v := range vals {
		out[i] = make([]float64, len(v))
		for j := range v {
			x := v[j]
			h := 1e-6 * math.Max(1, math.Abs(x))
			v[j] = x + h
			lp := p.lossAt(t, vals)
			v[j] = x - h
			lm := p.lossAt(t, vals)
			v[j] = x
			out[i][j] = (lp - lm) / (2 * h)
		}
	}
	return out
}

func flatRelErr(got, want [][]float64) float64 {
	var g, w []float64
	for i := range got {
		g = append(g, got[i]...)
		w = append(w, want[i]...)
	}
	return relErr(g, w)
}

// TestCheckpointMatchesFiniteDifferences checks Checkpoint's gradients (exact for the
// discrete solve) against central finite differences of the same discrete solve on the
// same Brownian path, for every method it supports, with output times off the step
// grid, with and without the KL channel.
func TestCheckpointMatchesFiniteDifferences(t *testing.T) {
	ts := []float64{0, 0.3, 0.55, 1}
	for _, m := range []Method{Euler, Heun, Midpoint, EulerHeun, ReversibleHeun} {
		for _, kl := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/kl=%v", m, kl), func(t *testing.T) {
				calc := Stratonovich
				if m == Euler {
					calc = Ito
				}
				p := newMLPSDE(t, 3, 2, 6, kl, ts, WithMethod(m), WithCalculus(calc), WithStep(0.07),
					WithGradient(Checkpoint), WithSeed(11))
				_, got := runGrads(t, p.loss, p.wrt, false)
				want := p.fdGrads(t)
				e := flatRelErr(got, want)
				t.Logf("relative error against finite differences %.2e", e)
				if e > 1e-6 {
					t.Errorf("relative error %.3g, want below 1e-6", e)
				}
			})
		}
	}
}

// TestReversibleAdjointExact checks that the reversible Heun adjoint (O(1) memory,
// states reconstructed backward) gives the gradients of backpropagation through the
// stored steps of the same discrete solve (Checkpoint), to 1e-9, over 1000 steps.
func TestReversibleAdjointExact(t *testing.T) {
	ts := []float64{0, 0.4, 1}
	for _, kl := range []bool{false, true} {
		t.Run(fmt.Sprintf("kl=%v", kl), func(t *testing.T) {
			var grads [2][][]float64
			var loss [2]float64
			for i, gm := range []GradientMethod{Adjoint, Checkpoint} {
				p := newMLPSDE(t, 8, 3, 16, kl, ts, WithMethod(ReversibleHeun), WithCalculus(Stratonovich),
					WithStep(1e-3), WithGradient(gm), WithSeed(5))
				loss[i], grads[i] = runGrads(t, p.loss, p.wrt, false)
			}
			e := flatRelErr(grads[0], grads[1])
			t.Logf("loss %.10g; relative difference adjoint vs checkpoint %.2e", loss[0], e)
			if loss[0] != loss[1] {
				t.Errorf("losses differ: %v vs %v", loss[0], loss[1])
			}
			if e > 1e-9 {
				t.Errorf("relative difference %.3g, want below 1e-9", e)
			}
		})
	}
}

// TestKLValue checks the logqp channel against a direct computation from the solution:
// with Euler and every step boundary an output time, logqp(t_i) = sum_{k<i} h/2
// |(f - q)/g|^2 at z(t_k).
func TestKLValue(t *testing.T) {
	const batch, dim, dt = 4, 2, 0.01
	ts := make([]float64, 41)
	for i := range ts {
		ts[i] = float64(i) * dt
	}
	p := buildMLPSDE(t, batch, dim, 8, true, ts, WithMethod(Euler), WithStep(dt), WithSeed(2))
	m := G.NewTapeMachine(p.g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	zs := p.zs.Value().Data().([]float64)
	lq := p.logqp.Value().Data().([]float64)
	bind := func(d *layers.MLP) *layers.Net {
		net, err := d.NewNet(d.Values(), batch)
		if err != nil {
			t.Fatal(err)
		}
		return net
	}
	fn, qn, gn := bind(p.f), bind(p.q), bind(p.diff)
	n := batch * dim
	f, q, g := make([]float64, n), make([]float64, n), make([]float64, n)
	want := make([]float64, batch)
	worst := 0.0
	for i := range ts {
		for b := 0; b < batch; b++ {
			worst = math.Max(worst, math.Abs(lq[i*batch+b]-want[b]))
		}
		z := zs[i*n : (i+1)*n]
		fn.Eval(f, ts[i], z)
		qn.Eval(q, ts[i], z)
		gn.Eval(g, ts[i], z)
		for b := 0; b < batch; b++ {
			for d := 0; d < dim; d++ {
				u := (f[b*dim+d] - q[b*dim+d]) / g[b*dim+d]
				want[b] += 0.5 * dt * u * u
			}
		}
	}
	t.Logf("logqp(%g) = %v; worst difference %.2e", ts[len(ts)-1], lq[len(lq)-batch:], worst)
	if worst > 1e-12 {
		t.Errorf("logqp differs from the direct sum by %.3g", worst)
	}
}
