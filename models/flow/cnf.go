package flow

// Continuous normalizing flows (Chen et al. 2018, section 4; Grathwohl et al. 2019,
// FFJORD): a density model whose log-likelihood comes from integrating
// d log p/dt = -tr(∂f/∂z) alongside the state, with the regularizers of Finlay et al.
// (2020), "How to train your neural ODE: the world of Jacobian and kinetic regularization".

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/rng"
	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

// CNFConfig configures a CNF flow. Zero values mean the documented defaults, which are
// FFJORD's for its two-dimensional toy problems (train_toy.py) except for the layer type
// and the probe count.
type CNFConfig struct {
	// Dim is the data dimension D (required).
	Dim int
	// Blocks is the number of CNF blocks, applied one after the other (default 1).
	Blocks int
	// Hidden are the widths of the hidden layers of each block's network (default
	// [64, 64, 64]).
	Hidden []int
	// Layer makes every layer of the networks, given its width and activation: one of
	// layers.ConcatSquash (the default, FFJORD's), layers.ConcatLinear or layers.Linear.
	Layer func(out int, act layers.Activation) layers.LayerSpec
	// Act is the activation of the hidden layers (default layers.Tanh); the last layer is
	// linear.
	Act layers.Activation
	// T is each block's end time (default 0.5); TrainT makes it learnable.
	T      float64
	TrainT bool
	// Trace is the divergence estimator (default layers.TraceAuto: exact up to
	// layers.ExactTraceMaxDim dimensions), Probe the Hutchinson probe distribution
	// (default Rademacher).
	Trace layers.Trace
	Probe layers.Probe
	// KineticWeight and JacobianWeight weight the regularizers of Finlay et al. (2020) in
	// Loss: the batch means of ∫|f|² dt and ∫|∂f/∂z|²_F dt, summed over blocks (default 0:
	// off).
	KineticWeight, JacobianWeight float64
	// Init initializes the networks (default layers.GlorotUniform(Seed + block)).
	Init layers.Init
	// Seed seeds the initialization and the Hutchinson probes.
	Seed uint64
	// Solver are the options of every solve (default: dopri5 with rtol = atol = 1e-5, the
	// adjoint gradient); they are appended to the defaults, so a later option wins.
	Solver []odeop.Option
}

func (c *CNFConfig) fill() error {
	if c.Dim < 1 {
		return errors.Errorf("flow: cnf: data dimension %d", c.Dim)
	}
	if c.Blocks == 0 {
		c.Blocks = 1
	}
	if c.Blocks < 0 {
		return errors.Errorf("flow: cnf: %d blocks", c.Blocks)
	}
	if c.Hidden == nil {
		c.Hidden = []int{64, 64, 64}
	}
	if c.Layer == nil {
		c.Layer = layers.ConcatSquash
	}
	if c.Act == nil {
		c.Act = layers.Tanh
	}
	if c.T == 0 {
		c.T = 0.5
	}
	return nil
}

// CNF is a continuous normalizing flow: one or more CNF blocks (layers.CNF, each an MLP
// f_k(t, z) with its augmented dynamics) that carry data x to z = φ(x), with a
// standard-normal base distribution:
//
//	log p(x) = log N(φ(x); 0, I) - Σ_k Δlogp_k,    Δlogp_k = -∫ tr(∂f_k/∂z) dt
//
// Fwd builds log p(x) and the training loss as Gorgonia nodes: each block is one
// odeop.Solve node, so gorgonia.Grad runs the adjoint (or the chosen gradient method)
// through it. Sample draws base points and solves the blocks backward; LogProbValues
// evaluates log p outside any graph. Training with Adam: see CNFTrainer.
type CNF struct {
	name   string
	cfg    CNFConfig
	g      *G.ExprGraph
	blocks []*layers.CNF
	opts   []odeop.Option

	mu     sync.Mutex
	probes []*G.Node // Hutchinson probe inputs of every Fwd, refreshed by DrawProbes
	nodes  int       // auxiliary nodes made so far (for unique names)
}

// NewCNF builds the flow's networks in g; their parameter nodes are named
// "<name>.<block>.<layer>.<role>" (and "<name>.<block>.sqrtT" with TrainT).
func NewCNF(g *G.ExprGraph, name string, cfg CNFConfig) (*CNF, error) {
	if g == nil {
		return nil, errors.New("flow: cnf: nil graph")
	}
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	m := &CNF{name: name, cfg: cfg, g: g}
	for k := 0; k < cfg.Blocks; k++ {
		var ls []layers.LayerSpec
		for _, h := range cfg.Hidden {
			ls = append(ls, cfg.Layer(h, cfg.Act))
		}
		ls = append(ls, cfg.Layer(cfg.Dim, layers.Identity))
		init := cfg.Init
		if init == nil {
			init = layers.GlorotUniform(cfg.Seed + uint64(k))
		}
		f, err := layers.NewMLP(g, fmt.Sprintf("%s.%d", name, k), layers.Spec{In: cfg.Dim, Layers: ls, Init: init})
		if err != nil {
			return nil, errors.Wrapf(err, "flow: cnf block %d", k)
		}
		b, err := layers.NewCNF(f, layers.CNFConfig{
			Trace: cfg.Trace, T: cfg.T, TrainT: cfg.TrainT,
			KineticWeight: cfg.KineticWeight, JacobianWeight: cfg.JacobianWeight,
		})
		if err != nil {
			return nil, errors.Wrapf(err, "flow: cnf block %d", k)
		}
		m.blocks = append(m.blocks, b)
	}
	m.opts = append([]odeop.Option{odeop.WithMethod(odeop.Dopri5), odeop.WithTol(1e-5, 1e-5)}, cfg.Solver...)
	return m, nil
}

// NewCNFFromBlocks makes a flow of given CNF blocks (all of the same data dimension and
// the same channels), for dynamics other than NewCNF's networks. The solver options are
// those of NewCNF's default, followed by opts.
func NewCNFFromBlocks(name string, blocks []*layers.CNF, probe layers.Probe, seed uint64, opts ...odeop.Option) (*CNF, error) {
	if len(blocks) == 0 {
		return nil, errors.New("flow: cnf: no blocks")
	}
	b0 := blocks[0]
	for k, b := range blocks {
		if b.Dim() != b0.Dim() || b.Width() != b0.Width() || b.KineticCol() != b0.KineticCol() ||
			b.JacobianCol() != b0.JacobianCol() || b.ProbeCol() != b0.ProbeCol() {
			return nil, errors.Errorf("flow: cnf: block %d has another state layout than block 0", k)
		}
	}
	ps := b0.Params()
	if len(ps) == 0 {
		return nil, errors.New("flow: cnf: block 0 has no parameters")
	}
	c := b0.Config()
	m := &CNF{name: name, g: ps[0].Graph(), blocks: blocks, cfg: CNFConfig{
		Dim: b0.Dim(), Blocks: len(blocks), T: c.T, TrainT: c.TrainT, Trace: b0.TraceMethod(), Probe: probe,
		KineticWeight: c.KineticWeight, JacobianWeight: c.JacobianWeight, Seed: seed,
	}}
	m.opts = append([]odeop.Option{odeop.WithMethod(odeop.Dopri5), odeop.WithTol(1e-5, 1e-5)}, opts...)
	return m, nil
}

// Config returns the configuration with defaults filled in.
func (m *CNF) Config() CNFConfig { return m.cfg }

// Blocks returns the CNF blocks in the order they are applied to data.
func (m *CNF) Blocks() []*layers.CNF { return m.blocks }

// Learnables returns every parameter node of the flow.
func (m *CNF) Learnables() G.Nodes {
	var ns G.Nodes
	for _, b := range m.blocks {
		ns = append(ns, b.Params()...)
	}
	return ns
}

// CNFOutput holds the nodes Fwd builds for a batch x of shape (batch, D).
type CNFOutput struct {
	// LogProb is log p(x), one entry per sample (batch).
	LogProb *G.Node
	// Z is φ(x), the base-space points (batch, D).
	Z *G.Node
	// DeltaLogP is Σ_k Δlogp_k (batch): log N(Z) - LogProb.
	DeltaLogP *G.Node
	// Kinetic and Jacobian are the regularizer integrals summed over blocks (batch); nil
	// when the weight is 0.
	Kinetic, Jacobian *G.Node
	// NLL is the mean negative log-likelihood over the batch (scalar), in nats.
	NLL *G.Node
	// Loss is NLL + KineticWeight·mean(Kinetic) + JacobianWeight·mean(Jacobian) (scalar).
	Loss *G.Node
	// Solves are the solve nodes, one per block (odeop.StatsOf reads their NFE).
	Solves []*G.Node
}

func (m *CNF) auxName(what string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nodes++
	return fmt.Sprintf("%s.%s#%d", m.name, what, m.nodes)
}

func cnfConstMatrix(g *G.ExprGraph, name string, rows, cols int) *G.Node {
	v := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(make([]float64, rows*cols)))
	return G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name), G.WithValue(v))
}

// Fwd builds the flow on x (batch, D), a float64 node of the flow's graph (the flow works
// in float64). With the
// Hutchinson estimator it adds one probe input per block, drawn by DrawProbes (call it
// before every run; NewCNF's flows start with the probes of step 0).
func (m *CNF) Fwd(x *G.Node) (*CNFOutput, error) {
	d := m.cfg.Dim
	if x == nil || x.Dims() != 2 || x.Shape()[1] != d {
		return nil, errors.Errorf("flow: cnf %s: input must be a (batch, %d) matrix", m.name, d)
	}
	if x.Graph() != m.g {
		return nil, errors.Errorf("flow: cnf %s: input is in another graph", m.name)
	}
	batch := x.Shape()[0]
	b0 := m.blocks[0]
	w := b0.Width()
	keep := w // columns carried from block to block: z, logp, regularizers
	if b0.ProbeCol() >= 0 {
		keep = b0.ProbeCol()
	}
	out := &CNFOutput{}
	var state *G.Node
	var newProbes []*G.Node
	for k, blk := range m.blocks {
		var parts G.Nodes
		if k == 0 {
			parts = G.Nodes{x, cnfConstMatrix(m.g, m.auxName("zeros"), batch, keep-d)}
		} else {
			prev, err := G.Slice(state, nil, G.S(0, keep))
			if err != nil {
				return nil, errors.Wrapf(err, "flow: cnf %s: block %d input", m.name, k)
			}
			parts = G.Nodes{prev}
		}
		if blk.ProbeCol() >= 0 {
			p := cnfConstMatrix(m.g, m.auxName(fmt.Sprintf("probe%d", k)), batch, d)
			newProbes = append(newProbes, p)
			parts = append(parts, p)
		}
		s0 := parts[0]
		if len(parts) > 1 {
			var err error
			if s0, err = G.Concat(1, parts...); err != nil {
				return nil, errors.Wrapf(err, "flow: cnf %s: block %d state", m.name, k)
			}
		}
		zs, err := odeop.Solve(s0, blk, blk.Times(), m.opts...)
		if err != nil {
			return nil, errors.Wrapf(err, "flow: cnf %s: block %d", m.name, k)
		}
		out.Solves = append(out.Solves, zs)
		if state, err = G.Slice(zs, G.S(1)); err != nil {
			return nil, errors.Wrapf(err, "flow: cnf %s: block %d output", m.name, k)
		}
	}
	col := func(c int) (*G.Node, error) { return G.Slice(state, nil, G.S(c)) }
	var err error
	if out.Z, err = G.Slice(state, nil, G.S(0, d)); err != nil {
		return nil, err
	}
	if out.DeltaLogP, err = col(d); err != nil {
		return nil, err
	}
	// log N(z; 0, I) = -D/2 log 2π - |z|²/2
	sq, err := G.Sum(G.Must(G.Square(out.Z)), 1)
	if err != nil {
		return nil, err
	}
	logN, err := G.Sub(G.NewConstant(-0.5*float64(d)*math.Log(2*math.Pi)), G.Must(G.Mul(sq, G.NewConstant(0.5))))
	if err != nil {
		return nil, err
	}
	if out.LogProb, err = G.Sub(logN, out.DeltaLogP); err != nil {
		return nil, err
	}
	if out.NLL, err = G.Neg(G.Must(G.Mean(out.LogProb))); err != nil {
		return nil, err
	}
	out.Loss = out.NLL
	addReg := func(c int, wt float64) (*G.Node, error) {
		r, err := col(c)
		if err != nil {
			return nil, err
		}
		term, err := G.Mul(G.Must(G.Mean(r)), G.NewConstant(wt))
		if err != nil {
			return nil, err
		}
		out.Loss, err = G.Add(out.Loss, term)
		return r, err
	}
	if c := b0.KineticCol(); c >= 0 {
		if out.Kinetic, err = addReg(c, m.cfg.KineticWeight); err != nil {
			return nil, err
		}
	}
	if c := b0.JacobianCol(); c >= 0 {
		if out.Jacobian, err = addReg(c, m.cfg.JacobianWeight); err != nil {
			return nil, err
		}
	}
	m.mu.Lock()
	m.probes = append(m.probes, newProbes...)
	m.mu.Unlock()
	m.drawInto(newProbes, 0)
	return out, nil
}

// LogProb returns log p(x) (one entry per sample) as a node: Fwd(x).LogProb.
func (m *CNF) LogProb(x *G.Node) (*G.Node, error) {
	out, err := m.Fwd(x)
	if err != nil {
		return nil, err
	}
	return out.LogProb, nil
}

// DrawProbes redraws every Hutchinson probe input (of every Fwd so far) for training step
// step, from the streams (Seed, step, probe index) of internal/rng: FFJORD's one probe per
// sample per solve, reproducible from the seed. It does nothing with the exact trace.
func (m *CNF) DrawProbes(step uint64) {
	m.mu.Lock()
	ps := append([]*G.Node(nil), m.probes...)
	m.mu.Unlock()
	m.drawInto(ps, step)
}

func (m *CNF) drawInto(ps []*G.Node, step uint64) {
	for i, p := range ps {
		v := p.Value().Data().([]float64)
		layers.FillProbes(v, m.cfg.Probe, rng.Derive(m.cfg.Seed, step), uint64(i))
	}
}

// Stats sums the forward and backward statistics of the most recent run of the solve
// nodes.
func (out *CNFOutput) Stats() (forward, backward odeop.Stats) {
	for _, s := range out.Solves {
		f, b, _ := odeop.StatsOf(s)
		forward = forward.Add(f)
		backward = backward.Add(b)
	}
	return forward, backward
}

// blockFunc returns the right-hand side of block k for a batch, bound to the current
// parameter values: the augmented dynamics on (batch, Width()) states, or with zOnly the
// velocity alone on (batch, D) points (what transport needs: z does not depend on the
// other channels, and the network without its Jacobian costs a third).
func (m *CNF) blockFunc(k, batch int, zOnly bool) (odeop.Func, error) {
	blk := m.blocks[k]
	if !zOnly {
		ev, err := blk.Bind(blk.Values(), batch, blk.Width())
		if err != nil {
			return nil, err
		}
		return func(t float64, y, dy []float64) { ev.Eval(dy, t, y) }, nil
	}
	net, err := blk.Net().NewNet(blk.Net().Values(), batch)
	if err != nil {
		return nil, err
	}
	if !blk.Config().TrainT {
		return func(t float64, y, dy []float64) { net.Forward(dy, t, y) }, nil
	}
	T := blk.EndTime() // the solve runs over s in [0, 1]: dz/ds = T f(sT, z)
	return func(t float64, y, dy []float64) {
		net.Forward(dy, t*T, y)
		for i := range dy {
			dy[i] *= T
		}
	}, nil
}

// cnfChunkSize is the batch of one solve in the graph-free evaluations; chunks run in
// parallel.
const cnfChunkSize = 1024

// cnfParallelChunks runs work on the chunks [lo, hi) of n rows on up to GOMAXPROCS
// goroutines and returns the first error.
func cnfParallelChunks(n int, work func(lo, hi int) error) error {
	nch := (n + cnfChunkSize - 1) / cnfChunkSize
	if nch == 0 {
		return nil
	}
	sz := (n + nch - 1) / nch
	errs := make([]error, nch)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for c := 0; c < nch; c++ {
		lo, hi := c*sz, min(n, (c+1)*sz)
		wg.Add(1)
		sem <- struct{}{}
		go func(c, lo, hi int) {
			defer wg.Done()
			defer func() { <-sem }()
			errs[c] = work(lo, hi)
		}(c, lo, hi)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// flowValues runs the blocks on the rows of the states in place (augmented states, or the
// points alone with zOnly), forward (data to base) or backward (base to data), handing the
// states at nsnap evenly spaced times of every block to snap when it is not nil.
func (m *CNF) flowValues(states []float64, batch int, zOnly, backward bool, nsnap int, snap func(k, i int, s []float64)) error {
	order := make([]int, len(m.blocks))
	for i := range order {
		order[i] = i
		if backward {
			order[i] = len(m.blocks) - 1 - i
		}
	}
	for _, k := range order {
		blk := m.blocks[k]
		f, err := m.blockFunc(k, batch, zOnly)
		if err != nil {
			return err
		}
		ts := blk.Times()
		if nsnap > 1 {
			t0, t1 := ts[0], ts[1]
			ts = make([]float64, nsnap)
			for i := range ts {
				ts[i] = t0 + (t1-t0)*float64(i)/float64(nsnap-1)
			}
		}
		if backward {
			ts = cnfReversed(ts)
		}
		sol, err := odeop.Integrate(f, states, ts, odeop.IntegrateOptions(m.opts)...)
		if err != nil {
			return errors.Wrapf(err, "flow: cnf %s: block %d", m.name, k)
		}
		copy(states, sol.Ys[len(ts)-1])
		if snap != nil {
			for i, y := range sol.Ys {
				snap(k, i, y)
			}
		}
	}
	return nil
}

func cnfReversed(ts []float64) []float64 {
	r := make([]float64, len(ts))
	for i, t := range ts {
		r[len(ts)-1-i] = t
	}
	return r
}

// LogProbValues returns log p(x) for the rows of x (row-major, n×D), evaluated outside any
// graph with the current parameter values. Hutchinson flows use fresh probes from the
// stream of seed (an unbiased estimate of log p); exact flows ignore seed.
func (m *CNF) LogProbValues(x []float64, seed uint64) ([]float64, error) {
	d := m.cfg.Dim
	if len(x)%d != 0 {
		return nil, errors.Errorf("flow: cnf %s: %d values are not rows of %d", m.name, len(x), d)
	}
	n := len(x) / d
	out := make([]float64, n)
	b0 := m.blocks[0]
	w := b0.Width()
	err := cnfParallelChunks(n, func(lo, hi int) error {
		nb := hi - lo
		s := make([]float64, nb*w)
		for b := 0; b < nb; b++ {
			copy(s[b*w:b*w+d], x[(lo+b)*d:(lo+b+1)*d])
		}
		if ce := b0.ProbeCol(); ce >= 0 {
			eps := make([]float64, nb*d)
			layers.FillProbes(eps, m.cfg.Probe, seed, uint64(lo))
			for b := 0; b < nb; b++ {
				copy(s[b*w+ce:b*w+ce+d], eps[b*d:b*d+d])
			}
		}
		if err := m.flowValues(s, nb, false, false, 0, nil); err != nil {
			return err
		}
		for b := 0; b < nb; b++ {
			row := s[b*w : b*w+w]
			q := 0.0
			for _, v := range row[:d] {
				q += v * v
			}
			out[lo+b] = -0.5*float64(d)*math.Log(2*math.Pi) - 0.5*q - row[d]
		}
		return nil
	})
	return out, err
}

// Sample draws n points from the flow (row-major, n×D): base points from the stream of
// seed, carried to data space by solving the blocks backward in time.
func (m *CNF) Sample(n int, seed uint64) ([]float64, error) {
	z := m.BaseSample(n, seed)
	x, _, err := m.Transport(z, 0)
	return x, err
}

// BaseSample draws n points of the standard-normal base distribution (n×D) from the stream
// of seed.
func (m *CNF) BaseSample(n int, seed uint64) []float64 {
	z := make([]float64, n*m.cfg.Dim)
	src := rng.New(seed)
	src.FillNormal(z)
	return z
}

// Transport carries base points z (n×D) to data space, solving the blocks backward, and
// returns the data points. With snapshots > 1 it also returns the points at that many
// evenly spaced times of each block (base first, data last; a block's first snapshot is
// the previous one's last, so there are Blocks·(snapshots-1)+1 of them), for pictures of
// the flow. Only the velocity is integrated (no log-density channels).
func (m *CNF) Transport(z []float64, snapshots int) (x []float64, snaps [][]float64, err error) {
	d := m.cfg.Dim
	if len(z)%d != 0 {
		return nil, nil, errors.Errorf("flow: cnf %s: %d values are not rows of %d", m.name, len(z), d)
	}
	n := len(z) / d
	x = make([]float64, n*d)
	if snapshots > 1 {
		snaps = make([][]float64, len(m.blocks)*(snapshots-1)+1)
		for i := range snaps {
			snaps[i] = make([]float64, n*d)
		}
	}
	nb := len(m.blocks)
	err = cnfParallelChunks(n, func(lo, hi int) error {
		rows := hi - lo
		s := append([]float64(nil), z[lo*d:hi*d]...)
		var snap func(k, i int, y []float64)
		if snaps != nil {
			snap = func(k, i int, y []float64) {
				// block k runs backward as the (nb-1-k)-th stage
				copy(snaps[(nb-1-k)*(snapshots-1)+i][lo*d:hi*d], y)
			}
		}
		if err := m.flowValues(s, rows, true, true, snapshots, snap); err != nil {
			return err
		}
		copy(x[lo*d:hi*d], s)
		return nil
	})
	return x, snaps, err
}

// CNFTrainer trains a CNF by maximum likelihood on batches of a fixed size: one graph with
// an input batch node, the loss of Fwd, its gradient by gorgonia.Grad (the adjoint runs in
// the backward pass) and a Gorgonia solver (Adam by default) stepping the learnables.
type CNFTrainer struct {
	M      *CNF
	Out    *CNFOutput
	X      *G.Node // the input batch (batch, D); Step copies each batch into its value
	vm     G.VM
	solver G.Solver
	learn  G.Nodes
	step   uint64
}

// NewCNFTrainer prepares training of m on batches of the given size with solver (nil
// means Adam with learning rate 1e-3, FFJORD's). The flow's graph must hold nothing else
// that a run could not compute.
func NewCNFTrainer(m *CNF, batch int, solver G.Solver) (*CNFTrainer, error) {
	if batch < 1 {
		return nil, errors.Errorf("flow: cnf trainer: batch size %d", batch)
	}
	d := m.cfg.Dim
	xv := tensor.New(tensor.WithShape(batch, d), tensor.WithBacking(make([]float64, batch*d)))
	x := G.NewMatrix(m.g, tensor.Float64, G.WithShape(batch, d), G.WithName(m.auxName("x")), G.WithValue(xv))
	out, err := m.Fwd(x)
	if err != nil {
		return nil, err
	}
	learn := m.Learnables()
	if _, err := G.Grad(out.Loss, learn...); err != nil {
		return nil, errors.Wrap(err, "flow: cnf trainer: gradient")
	}
	if solver == nil {
		solver = G.NewAdamSolver(G.WithLearnRate(1e-3))
	}
	vm := G.NewTapeMachine(m.g, G.BindDualValues(learn...))
	return &CNFTrainer{M: m, Out: out, X: x, vm: vm, solver: solver, learn: learn}, nil
}

// Step runs one training step on the batch x (row-major, batch×D): fresh Hutchinson
// probes, the forward solves, the adjoint, and one solver update. It returns the loss
// before the update.
func (t *CNFTrainer) Step(x []float64) (loss float64, err error) {
	dst := t.X.Value().Data().([]float64)
	if len(x) != len(dst) {
		return 0, errors.Errorf("flow: cnf trainer: batch of %d values, want %d", len(x), len(dst))
	}
	copy(dst, x)
	t.M.DrawProbes(t.step)
	t.step++
	t.vm.Reset()
	if err := t.vm.RunAll(); err != nil {
		return 0, errors.Wrap(odeop.Cause(err), "flow: cnf trainer")
	}
	loss = t.Out.Loss.Value().Data().(float64)
	if err := t.solver.Step(G.NodesToValueGrads(t.learn)); err != nil {
		return loss, errors.Wrap(err, "flow: cnf trainer: solver step")
	}
	return loss, nil
}

// NLL returns the mean negative log-likelihood of the last step's batch (before its
// update).
func (t *CNFTrainer) NLL() float64 { return t.Out.NLL.Value().Data().(float64) }

// Stats returns the forward and backward solver statistics of the last step, summed over
// blocks.
func (t *CNFTrainer) Stats() (forward, backward odeop.Stats) { return t.Out.Stats() }

// Close releases the trainer's machine.
func (t *CNFTrainer) Close() error { return t.vm.Close() }
