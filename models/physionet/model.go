package physionet

import (
	"fmt"
	"sort"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/rng"
	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/models/latent"
	"github.com/continuum-ml/continuum/odeop"
)

// Model is one of the Kinds with its parameters. It builds one Gorgonia graph per
// number of observation steps (rounded up to a multiple of 8) and use (training or
// evaluation); the graphs' parameter nodes share the model's values, so an optimiser step
// on one is seen by all.
type Model struct {
	cfg    Config
	names  []string
	vals   map[string]*tensor.Dense
	graphs map[graphKey]*graph
}

type graphKey struct {
	steps int
	grad  bool
}

// NewModel creates a model with freshly initialised parameters (seeded by cfg.Seed).
func NewModel(cfg Config) (*Model, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Model{cfg: cfg, vals: map[string]*tensor.Dense{}, graphs: map[graphKey]*graph{}}
	if _, err := m.parts(G.NewGraph()); err != nil {
		return nil, err
	}
	return m, nil
}

// Config returns the configuration with its defaults.
func (m *Model) Config() Config { return m.cfg }

// NumParams is the number of scalar parameters.
func (m *Model) NumParams() int {
	n := 0
	for _, v := range m.vals {
		n += v.Shape().TotalSize()
	}
	return n
}

// Learnables returns nodes of a fresh graph bound to the parameter values, sorted by
// name (for models.Save, models.Load and models.Capture).
func (m *Model) Learnables() G.Nodes {
	g := G.NewGraph()
	names := append([]string(nil), m.names...)
	sort.Strings(names)
	out := make(G.Nodes, 0, len(names))
	for _, name := range names {
		out = append(out, G.NodeFromAny(g, m.vals[name], G.WithName(name)))
	}
	return out
}

// parts are the networks of a model in one graph.
type parts struct {
	gru  *latent.GRU
	f    *layers.MLP // ODE-RNN dynamics (ODERNN, LatentODE encoder)
	dec  *layers.MLP // LatentODE latent dynamics
	q    *layers.MLP // LatentODE: hidden -> (mu, log std) of z0
	read *layers.MLP // readout to the observed values
	head *layers.MLP // classifier
	all  G.Nodes
}

func (m *Model) in() int {
	if m.cfg.Kind == RNNDt {
		return 2*NumParameters + 1
	}
	return 2 * NumParameters
}

func (m *Model) parts(g *G.ExprGraph) (*parts, error) {
	c := m.cfg
	name := string(c.Kind)
	p := &parts{}
	var err error
	if p.gru, err = latent.NewGRU(g, name+".gru", m.in(), c.Hidden, rng.Derive(c.Seed, 1)); err != nil {
		return nil, err
	}
	p.all = append(p.all, p.gru.Params()...)
	mlp := func(dst **layers.MLP, suffix string, in int, key uint64, ls ...layers.LayerSpec) error {
		if err != nil {
			return err
		}
		*dst, err = layers.NewMLP(g, name+"."+suffix, layers.Spec{In: in, Seed: rng.Derive(c.Seed, key), Layers: ls})
		if err == nil {
			p.all = append(p.all, (*dst).Params()...)
		}
		return err
	}
	if c.Kind != RNNDt {
		mlp(&p.f, "f", c.Hidden, 2, layers.Linear(c.Units, layers.Tanh), layers.Linear(c.Hidden, nil))
	}
	headIn, readIn := c.Hidden, c.Hidden
	if c.Kind == LatentODE {
		mlp(&p.q, "q", c.Hidden, 3, layers.Linear(2*c.Latent, nil))
		mlp(&p.dec, "g", c.Latent, 4, layers.Linear(c.Units, layers.Tanh), layers.Linear(c.Latent, nil))
		headIn, readIn = c.Latent, c.Latent
	}
	mlp(&p.read, "read", readIn, 5, layers.Linear(NumParameters, nil))
	mlp(&p.head, "head", headIn, 6, layers.Linear(c.HeadUnits, layers.Tanh), layers.Linear(1, nil))
	if err != nil {
		return nil, err
	}
	return p, m.adopt(p.all)
}

// adopt binds nodes to the stored values of their names; a name seen for the first time
// stores the node's own (initial) value.
func (m *Model) adopt(nodes G.Nodes) error {
	for _, n := range nodes {
		name := n.Name()
		if v, ok := m.vals[name]; ok {
			if err := G.Let(n, v); err != nil {
				return errors.Wrapf(err, "bind parameter %s", name)
			}
			continue
		}
		d, ok := n.Value().(*tensor.Dense)
		if !ok || d.Dtype() != tensor.Float64 {
			return errors.Wrapf(ErrConfig, "parameter %s holds %T, want a float64 dense tensor", name, n.Value())
		}
		m.vals[name] = d
		m.names = append(m.names, name)
	}
	return nil
}

// input is a data node with its backing slice.
type input struct {
	node *G.Node
	data []float64
}

func newInput(g *G.ExprGraph, name string, shape ...int) input {
	n := 1
	for _, s := range shape {
		n *= s
	}
	data := make([]float64, n)
	var node *G.Node
	val := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	switch len(shape) {
	case 0:
		node = G.NewScalar(g, tensor.Float64, G.WithName(name))
		val = nil
	case 1:
		node = G.NewVector(g, tensor.Float64, G.WithShape(shape...), G.WithName(name), G.WithValue(val))
	default:
		node = G.NewMatrix(g, tensor.Float64, G.WithShape(shape...), G.WithName(name), G.WithValue(val))
	}
	return input{node: node, data: data}
}

// graph is the forward (and, for training, backward) pass of a batch with steps
// observation steps.
type graph struct {
	g     *G.ExprGraph
	steps int
	learn G.Nodes
	x     []input   // per step: the GRU input (B, in); LatentODE: reversed order
	o     []input   // per step: 1 where the row updates
	gaps  []input   // per step (B, 1): the ODE-RNN (or encoder) gaps
	fin   *input    // LatentODE: the encoder's last gap, to time 0
	dec   []input   // LatentODE: the decoder's gaps
	solve []*G.Node // every Solve node (for the statistics)
	eps   input     // LatentODE: the reparameterisation noise (B, Latent)
	tw    input     // (steps*B, D): weights of the squared errors (0 where not a target)
	tgt   input     // (steps*B, D): targets
	y, w  input     // (B): labels and row weights (1/real rows, 0 for padding)
	kw    input     // LatentODE (B, Latent): row weights for the KL term
	klw   input     // LatentODE: the KL weight (scalar)
	logit *G.Node   // (B, 1)
	pred  *G.Node   // (steps*B, D), step-major
	mu    *G.Node   // LatentODE (B, Latent)
	rec   *G.Node   // the weighted squared error term
	kl    *G.Node   // LatentODE
	bce   *G.Node   // the weighted cross-entropy
	loss  *G.Node
	vm    G.VM
	// predV and logitV are copies of pred and logit taken by G.Read during the run:
	// after RunAll a node's own value may hold what a later operation wrote over its
	// buffer (the tape machine reuses freed registers in place), so outputs are read
	// from these, never from pred.Value() or logit.Value().
	predV, logitV          G.Value
	lossV, bceV, recV, klV G.Value
}

// roundSteps is the number of steps of the graph that serves a batch whose longest row
// has n observation times.
func roundSteps(n int) int {
	if n < 1 {
		n = 1
	}
	return (n + 7) / 8 * 8
}

func (m *Model) graph(steps int, grad bool) (*graph, error) {
	k := graphKey{steps, grad}
	if q, ok := m.graphs[k]; ok {
		return q, nil
	}
	q, err := m.build(steps, grad)
	if err != nil {
		return nil, err
	}
	m.graphs[k] = q
	return q, nil
}

// Close releases the model's machines.
func (m *Model) Close() {
	for k, q := range m.graphs {
		q.vm.Close()
		delete(m.graphs, k)
	}
}

func (m *Model) build(steps int, grad bool) (*graph, error) {
	c := m.cfg
	B, D, H := c.Batch, NumParameters, c.Hidden
	g := G.NewGraph()
	p, err := m.parts(g)
	if err != nil {
		return nil, err
	}
	must := G.Must
	name := string(c.Kind)
	q := &graph{g: g, steps: steps, learn: p.all,
		tw: newInput(g, name+".tw", steps*B, D), tgt: newInput(g, name+".tgt", steps*B, D),
		y: newInput(g, name+".y", B), w: newInput(g, name+".w", B)}
	for j := 0; j < steps; j++ {
		q.x = append(q.x, newInput(g, fmt.Sprintf("%s.x%d", name, j), B, m.in()))
		q.o = append(q.o, newInput(g, fmt.Sprintf("%s.o%d", name, j), B))
	}
	opts := c.solveOpts()
	nsolve := 0
	solve := func(z *G.Node, f odeop.Dynamics, d **input, list *[]input) (*G.Node, error) {
		gap := newInput(g, fmt.Sprintf("%s.gap%d", name, nsolve), B, 1)
		nsolve++
		if d != nil {
			*d = &gap
		} else {
			*list = append(*list, gap)
		}
		out, zs, err := GapSolve(z, gap.node, f, opts...)
		if err != nil {
			return nil, err
		}
		q.solve = append(q.solve, zs)
		return out, nil
	}
	h := G.NewMatrix(g, tensor.Float64, G.WithShape(B, H), G.WithName(name+".h0"), G.WithInit(G.Zeroes()))
	var states []*G.Node
	for j := 0; j < steps; j++ {
		if c.Kind != RNNDt && (c.Kind == ODERNN || j > 0) {
			if h, err = solve(h, p.f, nil, &q.gaps); err != nil {
				return nil, err
			}
		}
		if c.Kind != LatentODE {
			states = append(states, h)
		}
		if h, err = p.gru.Step(h, q.x[j].node, q.o[j].node); err != nil {
			return nil, err
		}
	}
	feat := h
	if c.Kind == LatentODE {
		if h, err = solve(h, p.f, &q.fin, nil); err != nil {
			return nil, err
		}
		qz, err := p.q.Fwd(h)
		if err != nil {
			return nil, err
		}
		L := c.Latent
		q.mu = must(G.Slice(qz, nil, G.S(0, L)))
		logStd := must(G.Slice(qz, nil, G.S(L, 2*L)))
		q.eps = newInput(g, name+".eps", B, L)
		q.kw = newInput(g, name+".kw", B, L)
		q.klw = newInput(g, name+".klw")
		std := must(G.Exp(logStd))
		z := must(G.Add(q.mu, must(G.HadamardProd(std, q.eps.node))))
		// KL(N(mu, std²) || N(0, 1)) = ½ Σ (mu² + std² - 1) - Σ log std.
		klm := must(G.Sub(must(G.Mul(must(G.Add(must(G.Square(q.mu)), must(G.Square(std)))), G.NewConstant(0.5))), logStd))
		q.kl = must(G.Sum(must(G.HadamardProd(klm, q.kw.node))))
		feat = z
		for j := 0; j < steps; j++ {
			if z, err = solve(z, p.dec, nil, &q.dec); err != nil {
				return nil, err
			}
			states = append(states, z)
		}
	}
	all := states[0]
	if len(states) > 1 {
		all = must(G.Concat(0, states...))
	}
	if q.pred, err = p.read.Fwd(all); err != nil {
		return nil, err
	}
	sq := must(G.Square(must(G.Sub(q.pred, q.tgt.node))))
	q.rec = must(G.Sum(must(G.HadamardProd(sq, q.tw.node))))
	if q.logit, err = p.head.Fwd(feat); err != nil {
		return nil, err
	}
	G.Read(q.pred, &q.predV)
	G.Read(q.logit, &q.logitV)
	l := must(G.Reshape(q.logit, tensor.Shape{B}))
	// Binary cross-entropy with logits: softplus(l) - y l.
	bce := must(G.Sub(must(G.Softplus(l)), must(G.HadamardProd(q.y.node, l))))
	q.bce = must(G.Sum(must(G.HadamardProd(bce, q.w.node))))
	switch c.Kind {
	case LatentODE:
		rec := must(G.Mul(q.rec, G.NewConstant(0.5/(c.ObsStd*c.ObsStd))))
		q.loss = must(G.Add(must(G.Add(rec, must(G.Mul(q.kl, q.klw.node)))), must(G.Mul(q.bce, G.NewConstant(c.CEWeight)))))
	default:
		q.loss = must(G.Add(q.bce, must(G.Mul(q.rec, G.NewConstant(c.RecWeight)))))
	}
	G.Read(q.loss, &q.lossV)
	G.Read(q.bce, &q.bceV)
	G.Read(q.rec, &q.recV)
	if q.kl != nil {
		G.Read(q.kl, &q.klV)
	}
	if grad {
		if _, err := G.Grad(q.loss, q.learn...); err != nil {
			return nil, errors.Wrap(err, "model gradient")
		}
		q.vm = G.NewTapeMachine(g, G.BindDualValues(q.learn...))
	} else {
		q.vm = G.NewTapeMachine(g)
	}
	return q, nil
}
