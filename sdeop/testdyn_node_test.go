package sdeop

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/odeop"
)

// gbmDyn is p ⊙ z with p a learnable vector of length dim (one value per dimension, as
// BENCHMARKS.md S2) or batch*dim (one per entry: pathwise gradients without averaging).
// As a diffusion it implements ItoCorrector (c = p^2 z / 2) unless noCorr.
type gbmDyn struct {
	p      *G.Node
	noCorr bool
}

func (d *gbmDyn) Params() G.Nodes { return G.Nodes{d.p} }
func (d *gbmDyn) Check(batch, dim int) error {
	if s := d.p.Shape().TotalSize(); s != dim && s != batch*dim {
		return fmt.Errorf("parameter has %d entries, want %d or %d", s, dim, batch*dim)
	}
	return nil
}
func (d *gbmDyn) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	p := theta[0]
	if len(p) != dim && len(p) != batch*dim {
		return nil, fmt.Errorf("parameter has %d entries, want %d or %d", len(p), dim, batch*dim)
	}
	ev := newGBMEval(p, batch*dim)
	if d.noCorr {
		return &plainEval{ev}, nil
	}
	return ev, nil
}

type gbmEval struct {
	p  []float64 // one value per entry of a row of len(p) entries
	pe []float64 // p repeated over the batch
	pc []float64 // p^2/2 repeated over the batch
}

func newGBMEval(p []float64, n int) *gbmEval {
	e := &gbmEval{p: p, pe: make([]float64, n), pc: make([]float64, n)}
	for i := range e.pe {
		v := p[i%len(p)]
		e.pe[i], e.pc[i] = v, 0.5*v*v
	}
	return e
}

// plainEval hides ItoCorrector.
type plainEval struct{ e *gbmEval }

func (e *plainEval) Eval(dst []float64, t float64, z []float64) { e.e.Eval(dst, t, z) }
func (e *plainEval) VJP(f, dz, dth []float64, t float64, z, a []float64) {
	e.e.VJP(f, dz, dth, t, z, a)
}

// scaleTo writes c ⊙ x ⊙ y into dst.
func scaleTo(dst, x, y []float64, c float64) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = c * x[i] * y[i]
	}
}

// rowSums writes into dth[k] the sum over rows of x ⊙ y at column k (rows of len(dth)
// entries), times w[k] when w is not nil.
func rowSums(dth, x, y, w []float64) {
	d := len(dth)
	y = y[:len(x)]
	if d == 4 && len(x)%4 == 0 {
		var s0, s1, s2, s3 float64
		for i := 0; i+3 < len(x); i += 4 {
			xr, yr := x[i:i+4:i+4], y[i:i+4:i+4]
			s0 += xr[0] * yr[0]
			s1 += xr[1] * yr[1]
			s2 += xr[2] * yr[2]
			s3 += xr[3] * yr[3]
		}
		dth[0], dth[1], dth[2], dth[3] = s0, s1, s2, s3
	} else {
		clear(dth)
		k := 0
		for i, v := range x {
			dth[k] += v * y[i]
			if k++; k == d {
				k = 0
			}
		}
	}
	if w != nil {
		for k := range dth {
			dth[k] *= w[k]
		}
	}
}

func (e *gbmEval) Eval(dst []float64, t float64, z []float64) { scaleTo(dst, e.pe, z, 1) }

func (e *gbmEval) VJP(f, dz, dth []float64, t float64, z, a []float64) {
	if f != nil {
		scaleTo(f, e.pe, z, 1)
	}
	if dz != nil {
		scaleTo(dz, e.pe, a, 1)
	}
	if dth != nil {
		rowSums(dth[:len(e.p)], a, z, nil)
	}
}

// ItoCorrection is c = p^2 z / 2 (g = p z, ∂g/∂z = p).
func (e *gbmEval) ItoCorrection(dst []float64, t float64, z []float64) {
	scaleTo(dst, e.pc, z, 1)
}

func (e *gbmEval) ItoCorrectionVJP(c, dz, dth []float64, t float64, z, a []float64) {
	if c != nil {
		e.ItoCorrection(c, t, z)
	}
	if dz != nil {
		e.ItoCorrection(dz, t, a)
	}
	if dth != nil {
		rowSums(dth[:len(e.p)], a, z, e.p)
	}
}

func vecNode(g *G.ExprGraph, name string, data []float64) *G.Node {
	return G.NewVector(g, tensor.Float64, G.WithShape(len(data)), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(len(data)), tensor.WithBacking(append([]float64(nil), data...)))))
}

func matNode(g *G.ExprGraph, name string, rows, cols int, data []float64) *G.Node {
	return G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(append([]float64(nil), data...)))))
}

func filledSlice(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func randSlice(r *rand.Rand, n int, scale float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = scale * r.NormFloat64()
	}
	return s
}

// lastSum is sum(zs[last] ⊙ C) for a (T, batch, cols) node with C of shape (batch, cols).
func lastSum(t testing.TB, zs *G.Node, c []float64) *G.Node {
	t.Helper()
	s := zs.Shape()
	last := G.Must(G.Slice(zs, G.S(s[0]-1)))
	if c == nil {
		return G.Must(G.Sum(last))
	}
	C := matNode(zs.Graph(), fmt.Sprintf("C%d", zs.ID()), s[1], s[2], c)
	return G.Must(G.Sum(G.Must(G.HadamardProd(last, C))))
}

// runGrads runs the graph of loss once with a TapeMachine (or a LispMachine) and returns
// the loss and the gradients of wrt.
func runGrads(t testing.TB, loss *G.Node, wrt G.Nodes, lisp bool) (float64, [][]float64) {
	t.Helper()
	var gs G.Nodes
	var m G.VM
	if lisp {
		m = G.NewLispMachine(loss.Graph())
	} else {
		var err error
		if gs, err = G.Grad(loss, wrt...); err != nil {
			t.Fatal(err)
		}
		m = G.NewTapeMachine(loss.Graph())
	}
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, len(wrt))
	for i := range wrt {
		var v G.Value
		if lisp {
			var err error
			if v, err = wrt[i].Grad(); err != nil {
				t.Fatal(err)
			}
		} else {
			v = gs[i].Value()
		}
		out[i] = append([]float64(nil), v.Data().([]float64)...)
	}
	return loss.Value().Data().(float64), out
}

func relErr(got, want []float64) float64 {
	num, den := 0.0, 0.0
	for i := range got {
		d := got[i] - want[i]
		num += d * d
		den += want[i] * want[i]
	}
	return math.Sqrt(num / math.Max(den, 1e-300))
}

// gbmProblem builds y0 = 1 (batch, dim), drift mu ⊙ y and diffusion sigma ⊙ y with
// parameters of length plen (dim or batch*dim), and a solve over [0, T].
type gbmProblem struct {
	g         *G.ExprGraph
	y0        *G.Node
	mu, sigma *G.Node
	zs        *G.Node
}

func newGBM(t testing.TB, batch, dim, plen int, T float64, noCorr bool, opts ...Option) *gbmProblem {
	t.Helper()
	g := G.NewGraph()
	mu := make([]float64, plen)
	sig := make([]float64, plen)
	for i := range mu {
		mu[i] = 0.5 - 0.1*float64(i%dim)
		sig[i] = 0.3 - 0.05*float64(i%dim)
	}
	p := &gbmProblem{g: g}
	p.y0 = matNode(g, "y0", batch, dim, filledSlice(batch*dim, 1))
	p.mu = vecNode(g, "mu", mu)
	p.sigma = vecNode(g, "sigma", sig)
	zs, err := Solve(p.y0, &gbmDyn{p: p.mu}, &gbmDyn{p: p.sigma, noCorr: noCorr}, []float64{0, T}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	p.zs = zs
	return p
}

// exactGBMGrads returns the pathwise gradients of sum(Y_T) with respect to y0, mu and
// sigma (each of the length of the parameters), Y_T = y0 exp((mu - s sigma^2/2) T +
// sigma W_T), s = 1 (Ito) or 0 (Stratonovich), on the node's path.
func exactGBMGrads(t testing.TB, p *gbmProblem, T float64, calc Calculus) (dy0, dmu, dsig []float64) {
	t.Helper()
	bm, _, err := BrownianOf(p.zs)
	if err != nil {
		t.Fatal(err)
	}
	n := bm.Dim()
	w := make([]float64, n)
	bm.Increment(w, 0, T)
	mu := p.mu.Value().Data().([]float64)
	sig := p.sigma.Value().Data().([]float64)
	plen := len(mu)
	dy0 = make([]float64, n)
	dmu = make([]float64, plen)
	dsig = make([]float64, plen)
	s := 1.0
	if calc == Stratonovich {
		s = 0
	}
	for i := 0; i < n; i++ {
		k := i % plen
		y := math.Exp((mu[k]-s*sig[k]*sig[k]/2)*T + sig[k]*w[i])
		dy0[i] = y
		dmu[k] += T * y
		dsig[k] += (w[i] - s*sig[k]*T) * y
	}
	return dy0, dmu, dsig
}
