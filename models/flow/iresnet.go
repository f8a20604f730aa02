package flow

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/rng"
	"github.com/continuum-ml/continuum/layers"
)

// IResNetConfig configures an invertible residual network flow. Zero fields take the
// defaults written on them.
type IResNetConfig struct {
	// Dim is the data dimension.
	Dim int
	// Blocks is the number of residual blocks (default 8).
	Blocks int
	// Hidden are the hidden widths of each block's g (default {64, 64}).
	Hidden []int
	// Act is the activation of g (default ELU; see layers.ResidualSpec).
	Act layers.Builtin
	// Coeff is the spectral-norm bound c < 1 of every weight (default 0.9).
	Coeff float64
	// PowerIters is the number of power iterations per training step (default 1).
	PowerIters int
	// LogDet is the training estimator of the log-determinants (default: Residual Flows'
	// Russian roulette with 2 exact terms and the Neumann-series gradient).
	LogDet *layers.LogDet
	// InverseTol and InverseMaxIter are the fixed-point inverse's tolerance (default 1e-10)
	// and iteration limit (default 1000) used by Sample.
	InverseTol     float64
	InverseMaxIter int
	// Seed seeds the initialization, the power-iteration state and the estimators' draws.
	Seed uint64
}

func (c *IResNetConfig) fill() error {
	if c.Dim < 1 {
		return errors.Errorf("flow: iresnet: dimension %d", c.Dim)
	}
	if c.Blocks == 0 {
		c.Blocks = 8
	}
	if c.Blocks < 0 {
		return errors.Errorf("flow: iresnet: %d blocks", c.Blocks)
	}
	if c.Hidden == nil {
		c.Hidden = []int{64, 64}
	}
	if c.PowerIters == 0 {
		c.PowerIters = 1
	}
	if c.PowerIters < 0 {
		return errors.Errorf("flow: iresnet: %d power iterations", c.PowerIters)
	}
	if c.LogDet == nil {
		c.LogDet = &layers.LogDet{Method: layers.LogDetRoulette, Grad: layers.GradNeumann}
	}
	if c.LogDet.Method == layers.LogDetExact {
		return errors.New("flow: iresnet: the exact log-determinant has no gradient: train with the series or the roulette")
	}
	if c.InverseTol == 0 {
		c.InverseTol = 1e-10
	}
	if c.InverseMaxIter == 0 {
		c.InverseMaxIter = 1000
	}
	if !(c.InverseTol > 0) || c.InverseMaxIter < 1 {
		return errors.Errorf("flow: iresnet: inverse tolerance %g, iteration limit %d", c.InverseTol, c.InverseMaxIter)
	}
	return nil
}

// IResNet is an invertible residual network flow (Behrmann et al. 2019; Chen et al. 2019):
// x = x_0 ↦ x_{k+1} = x_k + g_k(x_k) ↦ z = x_K with a standard normal base, so that
//
//	log p(x) = log N(z; 0, I) + Σ_k log det(I + J_{g_k}(x_k)),
//
// trained by maximum likelihood with an estimator of the log-determinants and sampled by
// inverting the blocks by fixed-point iteration. Its blocks are layers.Residual; it keeps
// the gradients itself (ValueGrads gives them to an optimiser such as models.Adam), and
// Nodes are the parameter and power-iteration state nodes, for models.Save and
// models.Load (call Normalize(0) after a load).
type IResNet struct {
	name   string
	cfg    IResNetConfig
	blocks []*layers.Residual
	grads  [][]float64 // per block, flat in the order of its Params
	vgs    []G.ValueGrad
	evals  map[int][]*layers.ResidualEval
}

// NewIResNet creates the flow's nodes in g, named "<name>.<k>.<layer>.<W|b|u|v>".
func NewIResNet(g *G.ExprGraph, name string, cfg IResNetConfig) (*IResNet, error) {
	if g == nil {
		return nil, errors.New("flow: iresnet: nil graph")
	}
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	ld := *cfg.LogDet
	cfg.LogDet = &ld
	m := &IResNet{name: name, cfg: cfg, evals: map[int][]*layers.ResidualEval{}}
	for k := 0; k < cfg.Blocks; k++ {
		r, err := layers.NewResidual(g, fmt.Sprintf("%s.%d", name, k), layers.ResidualSpec{
			Dim: cfg.Dim, Hidden: cfg.Hidden, Act: cfg.Act, Coeff: cfg.Coeff, Seed: rng.Derive(cfg.Seed, uint64(k)),
		})
		if err != nil {
			return nil, errors.Wrapf(err, "flow: iresnet block %d", k)
		}
		m.blocks = append(m.blocks, r)
		flat := make([]float64, r.NumParams())
		m.grads = append(m.grads, flat)
		off := 0
		for _, p := range r.Params() {
			n := p.Shape().TotalSize()
			gt := tensor.New(tensor.WithShape(p.Shape().Clone()...), tensor.WithBacking(flat[off:off+n]))
			m.vgs = append(m.vgs, iresnetParam{p, gt})
			off += n
		}
	}
	if err := cfg.LogDet.Check(); err != nil {
		return nil, errors.Wrap(err, "flow: iresnet")
	}
	return m, nil
}

// iresnetParam pairs a parameter node with the gradient the flow computes for it.
type iresnetParam struct {
	n *G.Node
	g *tensor.Dense
}

func (p iresnetParam) Value() G.Value         { return p.n.Value() }
func (p iresnetParam) Grad() (G.Value, error) { return p.g, nil }
func (p iresnetParam) Name() string           { return p.n.Name() }

// Config returns the configuration with its defaults filled in.
func (m *IResNet) Config() IResNetConfig { return m.cfg }

// Blocks returns the residual blocks, in the order data flows through them.
func (m *IResNet) Blocks() []*layers.Residual { return m.blocks }

// Learnables returns the parameter nodes of all blocks.
func (m *IResNet) Learnables() G.Nodes {
	var ns G.Nodes
	for _, b := range m.blocks {
		ns = append(ns, b.Params()...)
	}
	return ns
}

// Nodes returns the parameter nodes followed by the power-iteration state nodes: what
// models.Save and models.Load should be given.
func (m *IResNet) Nodes() G.Nodes {
	ns := m.Learnables()
	for _, b := range m.blocks {
		ns = append(ns, b.State()...)
	}
	return ns
}

// ValueGrads returns the parameters with the gradients of the last Grad call, for an
// optimiser's Step (which zeroes them).
func (m *IResNet) ValueGrads() []G.ValueGrad { return m.vgs }

// Normalize runs iters power iterations on every weight and recomputes the normalised
// weights (0: after a load, or for evaluation).
func (m *IResNet) Normalize(iters int) error {
	for k, b := range m.blocks {
		if err := b.Normalize(iters); err != nil {
			return errors.Wrapf(err, "flow: iresnet block %d", k)
		}
	}
	return nil
}

func (m *IResNet) evalsFor(batch int) ([]*layers.ResidualEval, error) {
	if es, ok := m.evals[batch]; ok {
		return es, nil
	}
	es := make([]*layers.ResidualEval, len(m.blocks))
	for k, b := range m.blocks {
		e, err := b.NewEval(batch)
		if err != nil {
			return nil, err
		}
		es[k] = e
	}
	if len(m.evals) > 8 {
		clear(m.evals)
	}
	m.evals[batch] = es
	return es, nil
}

func (m *IResNet) checkData(x []float64) (int, error) {
	d := m.cfg.Dim
	if len(x) == 0 || len(x)%d != 0 {
		return 0, errors.Errorf("flow: iresnet %s: %d values are not a batch of %d-vectors", m.name, len(x), d)
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, errors.Errorf("flow: iresnet %s: value %d is %g", m.name, i, v)
		}
	}
	return len(x) / d, nil
}

// logNormal returns log N(z; 0, I) of a d-vector.
func logNormal(z []float64) float64 {
	s := 0.0
	for _, v := range z {
		s += v * v
	}
	return -0.5*s - 0.5*float64(len(z))*math.Log(2*math.Pi)
}

// forward runs the blocks on x with the estimator est (draws from (seed, key k) for block
// k), writing log p into lp; states[k] is the input of block k, states[K] = z.
func (m *IResNet) forward(lp, x []float64, est layers.LogDet, seed uint64) ([][]float64, error) {
	batch, err := m.checkData(x)
	if err != nil {
		return nil, err
	}
	es, err := m.evalsFor(batch)
	if err != nil {
		return nil, err
	}
	d := m.cfg.Dim
	states := make([][]float64, len(m.blocks)+1)
	states[0] = x
	ld := make([]float64, batch)
	clear(lp)
	for k, e := range es {
		states[k+1] = make([]float64, len(x))
		if err := e.LogDet(states[k+1], ld, states[k], est, seed, uint64(k)); err != nil {
			return nil, errors.Wrapf(err, "flow: iresnet block %d", k)
		}
		for b, v := range ld {
			lp[b] += v
		}
	}
	z := states[len(m.blocks)]
	for b := range lp {
		lp[b] += logNormal(z[b*d : (b+1)*d])
	}
	return states, nil
}

// Grad computes the mean negative log-likelihood of the batch x (row-major, batch×Dim)
// with the training estimator, its draws from the stream of (Seed, step), and overwrites
// the gradients given by ValueGrads. It uses the current normalised weights (see
// TrainStep).
func (m *IResNet) Grad(x []float64, step uint64) (float64, error) {
	batch, err := m.checkData(x)
	if err != nil {
		return 0, err
	}
	lp := make([]float64, batch)
	states, err := m.forward(lp, x, *m.cfg.LogDet, rng.Derive(m.cfg.Seed, step))
	if err != nil {
		return 0, err
	}
	nll := 0.0
	for _, v := range lp {
		nll -= v
	}
	nll /= float64(batch)
	es, _ := m.evalsFor(batch)
	// L = -mean log p: dL/dz = z/B, dL/dld_k = -1/B
	z := states[len(es)]
	dy := make([]float64, len(x))
	for i, v := range z {
		dy[i] = v / float64(batch)
	}
	dld := make([]float64, batch)
	for b := range dld {
		dld[b] = -1 / float64(batch)
	}
	dx := make([]float64, len(x))
	for k := len(es) - 1; k >= 0; k-- {
		if err := es[k].Backward(dx, m.grads[k], dy, dld); err != nil {
			return 0, errors.Wrapf(err, "flow: iresnet block %d", k)
		}
		dy, dx = dx, dy
	}
	if math.IsNaN(nll) || math.IsInf(nll, 0) {
		return nll, errors.Errorf("flow: iresnet %s: loss %g", m.name, nll)
	}
	return nll, nil
}

// TrainStep is one step of maximum-likelihood training on the batch x: PowerIters power
// iterations on every weight, Grad, opt's update, and the normalised weights recomputed
// from the new values. It returns the batch's estimated NLL before the update. opt is any
// gorgonia.Solver, models.Adam for example.
func (m *IResNet) TrainStep(opt interface{ Step([]G.ValueGrad) error }, x []float64, step uint64) (float64, error) {
	if opt == nil {
		return 0, errors.New("flow: iresnet: nil optimiser")
	}
	if err := m.Normalize(m.cfg.PowerIters); err != nil {
		return 0, err
	}
	nll, err := m.Grad(x, step)
	if err != nil {
		return nll, err
	}
	if err := opt.Step(m.vgs); err != nil {
		return nll, errors.Wrap(err, "flow: iresnet: optimiser step")
	}
	return nll, m.Normalize(0)
}

// LogProb writes log p(x) of every row of x (batch×Dim) into dst, with the log-determinants
// by est (layers.LogDet{Method: layers.LogDetExact} for the exact value on small
// dimensions), drawing from the stream of seed. It processes the rows in chunks of at most
// 1024.
func (m *IResNet) LogProb(dst, x []float64, est layers.LogDet, seed uint64) error {
	n, err := m.checkData(x)
	if err != nil {
		return err
	}
	if len(dst) != n {
		return errors.Errorf("flow: iresnet %s: %d destinations for %d rows", m.name, len(dst), n)
	}
	if err := est.Check(); err != nil {
		return errors.Wrap(err, "flow: iresnet")
	}
	d := m.cfg.Dim
	const chunk = 1024
	for lo, c := 0, uint64(0); lo < n; lo, c = lo+chunk, c+1 {
		hi := min(n, lo+chunk)
		if _, err := m.forward(dst[lo:hi], x[lo*d:hi*d], est, rng.Derive(seed, c)); err != nil {
			return err
		}
	}
	return nil
}

// Inverse maps base points z (batch×Dim) to data space by inverting the blocks in reverse
// order (fixed-point iteration to InverseTol, at most InverseMaxIter iterations each) and
// returns the largest iteration count of any block.
func (m *IResNet) Inverse(z []float64) ([]float64, int, error) {
	n, err := m.checkData(z)
	if err != nil {
		return nil, 0, err
	}
	es, err := m.evalsFor(n)
	if err != nil {
		return nil, 0, err
	}
	y := append([]float64(nil), z...)
	x := make([]float64, len(z))
	most := 0
	for k := len(es) - 1; k >= 0; k-- {
		it, err := es[k].Inverse(x, y, m.cfg.InverseTol, m.cfg.InverseMaxIter)
		if err != nil {
			return nil, it, errors.Wrapf(err, "flow: iresnet block %d", k)
		}
		most = max(most, it)
		x, y = y, x
	}
	return y, most, nil
}

// Forward maps data x (batch×Dim) to the base space.
func (m *IResNet) Forward(x []float64) ([]float64, error) {
	n, err := m.checkData(x)
	if err != nil {
		return nil, err
	}
	es, err := m.evalsFor(n)
	if err != nil {
		return nil, err
	}
	y := append([]float64(nil), x...)
	out := make([]float64, len(x))
	for _, e := range es {
		e.Forward(out, y)
		y, out = out, y
	}
	return y, nil
}

// Sample draws n points of the flow: standard normal base points from the stream of seed,
// mapped through Inverse (in chunks of at most 1024).
func (m *IResNet) Sample(n int, seed uint64) ([]float64, error) {
	if n < 1 {
		return nil, errors.Errorf("flow: iresnet %s: %d samples", m.name, n)
	}
	d := m.cfg.Dim
	z := make([]float64, n*d)
	src := rng.New(seed)
	src.FillNormal(z)
	out := make([]float64, 0, n*d)
	const chunk = 1024
	for lo := 0; lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		x, _, err := m.Inverse(z[lo*d : hi*d])
		if err != nil {
			return nil, err
		}
		out = append(out, x...)
	}
	return out, nil
}

// Lipschitz returns, for every block, the bound Π_l σ(W̃_l) ≥ Lip(g) from the singular
// values of the trained normalised weights.
func (m *IResNet) Lipschitz() []float64 {
	out := make([]float64, len(m.blocks))
	for k, b := range m.blocks {
		_, out[k] = b.Lipschitz()
	}
	return out
}
