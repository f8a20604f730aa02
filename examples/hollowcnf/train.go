package main

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/odeop"
)

// flowModel is one of the two CNFs compared: its training dynamics (the state layout
// [z | Δlogp | probe], probe columns for Hutchinson only), the dynamics its held-out
// likelihood is evaluated with (exact trace) and the plain network for sampling.
type flowModel struct {
	name     string
	params   G.Nodes
	train    odeop.Dynamics
	width    int // state width of train
	probeCol int // -1 without probes
	exact    odeop.Dynamics
	exactW   int
	f        odeop.Dynamics // f alone, state (batch, D)
	times    []float64
}

// trainer is one graph: the batch x, the solve of the training dynamics, the loss and its
// gradient, run by a TapeMachine.
type trainer struct {
	m     *flowModel
	x     *G.Node
	probe *G.Node
	loss  *G.Node
	vm    G.VM
	opt   *models.Adam
	solve *G.Node
}

func constMatrix(g *G.ExprGraph, name string, rows, cols int) *G.Node {
	v := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(make([]float64, rows*cols)))
	return G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name), G.WithValue(v))
}

func newTrainer(g *G.ExprGraph, m *flowModel, batch int, lr float64, opts []odeop.Option) (*trainer, error) {
	d := pixels
	t := &trainer{m: m, opt: models.NewAdam(lr)}
	t.x = constMatrix(g, m.name+".x", batch, d)
	parts := G.Nodes{t.x, constMatrix(g, m.name+".logp0", batch, 1)}
	if m.probeCol >= 0 {
		t.probe = constMatrix(g, m.name+".probe", batch, d)
		parts = append(parts, t.probe)
	}
	s0, err := G.Concat(1, parts...)
	if err != nil {
		return nil, err
	}
	zs, err := odeop.Solve(s0, m.train, m.times, opts...)
	if err != nil {
		return nil, err
	}
	t.solve = zs
	end, err := G.Slice(zs, G.S(1))
	if err != nil {
		return nil, err
	}
	z, err := G.Slice(end, nil, G.S(0, d))
	if err != nil {
		return nil, err
	}
	dlogp, err := G.Slice(end, nil, G.S(d))
	if err != nil {
		return nil, err
	}
	sq, err := G.Sum(G.Must(G.Square(z)), 1)
	if err != nil {
		return nil, err
	}
	logN, err := G.Sub(G.NewConstant(-0.5*float64(d)*math.Log(2*math.Pi)), G.Must(G.Mul(sq, G.NewConstant(0.5))))
	if err != nil {
		return nil, err
	}
	logp, err := G.Sub(logN, dlogp)
	if err != nil {
		return nil, err
	}
	if t.loss, err = G.Neg(G.Must(G.Mean(logp))); err != nil {
		return nil, err
	}
	if _, err := G.Grad(t.loss, m.params...); err != nil {
		return nil, errors.Wrap(err, "gradient")
	}
	t.vm = G.NewTapeMachine(g, G.BindDualValues(m.params...))
	return t, nil
}

// step trains on the batch x (dequantised, batch×D); probes are drawn from (seed, step).
func (t *trainer) step(x []float64, seed, step uint64) (float64, odeop.Stats, odeop.Stats, error) {
	copy(t.x.Value().Data().([]float64), x)
	if t.probe != nil {
		layers.FillProbes(t.probe.Value().Data().([]float64), layers.Rademacher, seed, step)
	}
	t.vm.Reset()
	if err := t.vm.RunAll(); err != nil {
		return 0, odeop.Stats{}, odeop.Stats{}, errors.Wrap(odeop.Cause(err), t.m.name)
	}
	loss := t.loss.Value().Data().(float64)
	fwd, bwd, _ := odeop.StatsOf(t.solve)
	if err := t.opt.Step(G.NodesToValueGrads(t.m.params)); err != nil {
		return loss, fwd, bwd, err
	}
	return loss, fwd, bwd, nil
}

// dynFunc binds dyn to the current parameter values as an odeop.Func on (batch, width)
// states.
func dynFunc(dyn odeop.Dynamics, params G.Nodes, batch, width int) (odeop.Func, error) {
	theta := make([][]float64, len(params))
	for i, p := range params {
		theta[i] = p.Value().Data().([]float64)
	}
	ev, err := dyn.Bind(theta, batch, width)
	if err != nil {
		return nil, err
	}
	return func(t float64, y, dy []float64) { ev.Eval(dy, t, y) }, nil
}

// logProb returns the exact log p(x) of every row of x (batch×D) under m, integrating the
// exact-trace dynamics with opts.
func logProb(m *flowModel, x []float64, opts []odeop.Option) ([]float64, error) {
	d, w := pixels, m.exactW
	n := len(x) / d
	f, err := dynFunc(m.exact, m.params, n, w)
	if err != nil {
		return nil, err
	}
	s := make([]float64, n*w)
	for b := 0; b < n; b++ {
		copy(s[b*w:b*w+d], x[b*d:(b+1)*d])
	}
	sol, err := odeop.Integrate(f, s, m.times, opts...)
	if err != nil {
		return nil, err
	}
	end := sol.Ys[len(sol.Ys)-1]
	lp := make([]float64, n)
	for b := 0; b < n; b++ {
		row := end[b*w : b*w+w]
		q := 0.0
		for _, v := range row[:d] {
			q += v * v
		}
		lp[b] = -0.5*float64(d)*math.Log(2*math.Pi) - 0.5*q - row[d]
	}
	return lp, nil
}

// sample integrates f backward from standard normal points z (batch×D).
func sample(m *flowModel, z []float64, opts []odeop.Option) ([]float64, error) {
	n := len(z) / pixels
	f, err := dynFunc(m.f, m.params, n, pixels)
	if err != nil {
		return nil, err
	}
	ts := []float64{m.times[1], m.times[0]}
	sol, err := odeop.Integrate(f, z, ts, opts...)
	if err != nil {
		return nil, err
	}
	return sol.Ys[len(sol.Ys)-1], nil
}

// newHollowModel is the CNF with HollowNet dynamics and the exact trace, trained exactly.
func newHollowModel(g *G.ExprGraph, hidden, mix int, T float64, seed uint64) (*flowModel, error) {
	net, err := layers.NewHollowNet(g, "hollow", layers.HollowSpec{Dim: pixels, Hidden: hidden, Mix: mix, Seed: seed})
	if err != nil {
		return nil, err
	}
	c, err := layers.NewHollowCNF(net, T)
	if err != nil {
		return nil, err
	}
	return &flowModel{name: "hollow", params: net.Params(), train: c, width: c.Width(), probeCol: -1,
		exact: c, exactW: c.Width(), f: net, times: c.Times()}, nil
}

// mlpParams is the parameter count of the MLP D-h-h-D of ConcatSquash layers.
func mlpParams(h int) int {
	layer := func(in, out int) int { return in*out + 4*out }
	return layer(pixels, h) + layer(h, h) + layer(h, pixels)
}

// mlpWidth returns the hidden width whose MLP has the parameter count nearest n.
func mlpWidth(n int) int {
	best := 1
	for h := 1; h < 4096; h++ {
		if math.Abs(float64(mlpParams(h)-n)) < math.Abs(float64(mlpParams(best)-n)) {
			best = h
		}
	}
	return best
}

// newMLPModel is FFJORD's CNF: an MLP of ConcatSquash tanh layers with Hutchinson's
// estimator for training and the exact trace (D forward-mode products) for evaluation.
func newMLPModel(g *G.ExprGraph, hidden int, T float64, seed uint64) (*flowModel, error) {
	f, err := layers.NewMLP(g, "mlp", layers.Spec{In: pixels, Layers: []layers.LayerSpec{
		layers.ConcatSquash(hidden, layers.Tanh), layers.ConcatSquash(hidden, layers.Tanh), layers.ConcatSquash(pixels, layers.Identity),
	}, Seed: seed})
	if err != nil {
		return nil, err
	}
	hutch, err := layers.NewCNF(f, layers.CNFConfig{Trace: layers.TraceHutchinson, T: T})
	if err != nil {
		return nil, err
	}
	exact, err := layers.NewCNF(f, layers.CNFConfig{Trace: layers.TraceExact, T: T})
	if err != nil {
		return nil, err
	}
	return &flowModel{name: "mlp", params: f.Params(), train: hutch, width: hutch.Width(), probeCol: hutch.ProbeCol(),
		exact: exact, exactW: exact.Width(), f: f, times: hutch.Times()}, nil
}
