package latent

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/rng"
	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
	"github.com/continuum-ml/continuum/sdeop"
)

// OUPrior is an Ornstein-Uhlenbeck prior dz = Theta·(Mu - z) dt + Sigma dW started in its
// stationary law N(Mu, Sigma²/(2·Theta)), as torchsde's latent-SDE toy example.
type OUPrior struct {
	Theta, Mu float64
}

// SDEConfig configures an SDE. Zero fields take the documented defaults.
type SDEConfig struct {
	Name      string // prefix of the parameter names (default "latentsde")
	Dim       int    // observed dimensions D (required)
	Latent    int    // latent dimension (default 4)
	Context   int    // size of the encoder's context (default 8)
	NoEncoder bool   // no encoder: one global posterior (q(z0) and a drift without context), for a single series
	Hidden    int    // hidden units of the encoder GRU (default 16)
	// ODEEncoder makes the encoder an ODE-RNN, as the latent ODE's: its hidden state
	// follows an ODE (a network of Units) between observations, so the context knows how
	// much time passed. Without it the GRU sees the observation time as an input.
	ODEEncoder bool
	Units      int     // width of the drift networks (default 32)
	Period     float64 // when positive, both drifts share a linear part started as a rotation bank (see ODEConfig.Period)
	// OU, when set, makes the prior an Ornstein-Uhlenbeck process with the diffusion
	// Sigma; otherwise the prior drift is a network and p(z0) = N(m, diag(s²)) is learned.
	OU *OUPrior
	// Sigma is the additive diffusion, one value per latent dimension (default 0.1);
	// with LearnSigma it is the initial value of a learned one.
	Sigma      float64
	LearnSigma bool
	Identity   bool    // observe the first Dim latent coordinates directly (no readout layer)
	ObsStd     float64 // standard deviation of the Gaussian observation model (default 0.05)
	LearnStd   bool    // learn the observation standard deviation per dimension, started at ObsStd
	Step       float64 // the SDE's time step (default: 1/100 of the training grid's span)
	// Adjoint computes the gradients of the SDE solve by the stochastic adjoint of Li et
	// al. (2020): a backward Stratonovich solve on the replayed Brownian path, memory
	// independent of the number of steps, gradients exact as dt -> 0. The default
	// backpropagates through the stored midpoint steps (sdeop.Checkpoint): the exact
	// gradient of the discrete solve, memory growing with the steps (a few MB here).
	Adjoint bool
	Samples int    // sample paths per sequence in each training iteration (default 1)
	Seed    uint64 // seeds the initial parameters
}

func (c SDEConfig) withDefaults() (SDEConfig, error) {
	if c.Dim < 1 {
		return c, errors.Wrapf(ErrConfig, "latent SDE: Dim = %d; want the observed dimension", c.Dim)
	}
	if c.Name == "" {
		c.Name = "latentsde"
	}
	if c.Latent <= 0 {
		c.Latent = 4
	}
	if c.Context <= 0 {
		c.Context = 8
	}
	if c.NoEncoder {
		c.Context = 0
	}
	if c.Hidden <= 0 {
		c.Hidden = 16
	}
	if c.Units <= 0 {
		c.Units = 32
	}
	if c.Sigma <= 0 {
		c.Sigma = 0.1
	}
	if c.ObsStd <= 0 {
		c.ObsStd = 0.05
	}
	if c.Samples <= 0 {
		c.Samples = 1
	}
	if c.Identity && c.Latent < c.Dim {
		return c, errors.Wrapf(ErrConfig, "latent SDE: Identity readout needs Latent (%d) >= Dim (%d)", c.Latent, c.Dim)
	}
	if c.OU != nil && !(c.OU.Theta > 0) {
		return c, errors.Wrapf(ErrConfig, "latent SDE: OU prior with Theta = %v", c.OU.Theta)
	}
	return c, nil
}

// SDE is the latent SDE of Li, Wong, Chen, Duvenaud ("Scalable Gradients for
// Stochastic Differential Equations", AISTATS 2020, section 5), in the form of torchsde's
// latent-SDE examples:
//
//   - a GRU runs backward in time over the observations ([x ⊙ m, m, t] as input: the
//     values, the mask, so that missing values are never read, and the time, since the
//     observations are irregular) and leaves at each grid time a context summarizing the
//     observations from there on; q(z0 | x) is Gaussian, from the first context;
//   - the approximate posterior is the SDE dz = f(t, z, ctx(t)) dt + sigma dW, whose
//     drift network sees the context of the next grid time; the prior is
//     dz = h(t, z) dt + sigma dW (a network, or an Ornstein-Uhlenbeck process), with the
//     same additive diffusion;
//   - the ELBO is E[log p(x | z)] - KL(q(z0) || p(z0)) - KL between the path measures,
//     1/2 ∫ |(f - h)/sigma|² dt, accumulated along the solve by sdeop.SolveKL (the
//     stochastic midpoint method with fixed steps; the noise is additive, so Ito and
//     Stratonovich agree), and gradients flow through the SDE solve node by
//     backpropagating through the steps on the replayed Brownian path (sdeop.Checkpoint,
//     the default) or by the stochastic adjoint (SDEConfig.Adjoint);
//   - predictions are sample paths of the posterior SDE given the observations, read
//     out with the Gaussian observation noise (Predictive: mean and quantile bands).
type SDE struct {
	cfg    SDEConfig
	params *latParams
	home   *latSDEParts
}

type latSDEParts struct {
	gru       *GRU        // nil without encoder
	fenc      *layers.MLP // ODE-RNN encoder dynamics (nil without ODEEncoder)
	ctxHead   *layers.MLP // hidden -> context
	qMu, qStd *layers.MLP // context -> mu and log sigma of q(z0)
	q0m, q0s  *G.Node     // without encoder: global mu and log sigma of q(z0)
	post, pri *layers.MLP // drift networks (pri nil for an OU prior)
	rot       *G.Node     // shared linear part of the drifts (nil without Period)
	p0m, p0s  *G.Node     // learned mean and log sigma of p(z0) (nil for an OU prior)
	logSigma  *G.Node     // learned diffusion (nil when fixed)
	out       *layers.MLP // readout (nil with Identity)
	logObsStd *G.Node     // learned observation noise (nil when fixed)
}

func (p *latSDEParts) nodes() G.Nodes {
	var ns G.Nodes
	if p.gru != nil {
		ns = append(ns, p.gru.Params()...)
		if p.fenc != nil {
			ns = append(ns, p.fenc.Params()...)
		}
		ns = append(ns, p.ctxHead.Params()...)
		ns = append(ns, p.qMu.Params()...)
		ns = append(ns, p.qStd.Params()...)
	}
	for _, f := range []*layers.MLP{p.post, p.pri, p.out} {
		if f != nil {
			ns = append(ns, f.Params()...)
		}
	}
	for _, n := range []*G.Node{p.q0m, p.q0s, p.rot, p.p0m, p.p0s, p.logSigma, p.logObsStd} {
		if n != nil {
			ns = append(ns, n)
		}
	}
	return ns
}

// NewSDE creates a latent SDE with freshly initialized parameters.
func NewSDE(cfg SDEConfig) (*SDE, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &SDE{cfg: cfg, params: newLatParams()}
	if m.home, err = m.parts(G.NewGraph()); err != nil {
		return nil, err
	}
	return m, nil
}

// Config returns the configuration with its defaults filled in.
func (m *SDE) Config() SDEConfig { return m.cfg }

// NumParams is the number of scalar parameters.
func (m *SDE) NumParams() int { return m.params.count() }

// Learnables returns the parameter nodes of the model's own graph (for checkpoints).
func (m *SDE) Learnables() G.Nodes { return m.home.nodes() }

func latVec(g *G.ExprGraph, name string, v []float64) *G.Node {
	return G.NewVector(g, tensor.Float64, G.WithShape(len(v)), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(len(v)), tensor.WithBacking(v))))
}

func latFill(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func (m *SDE) parts(g *G.ExprGraph) (*latSDEParts, error) {
	c := m.cfg
	L := c.Latent
	seed := func(k uint64) uint64 { return rng.Derive(c.Seed, k) }
	p := &latSDEParts{}
	var err error
	mlp := func(name string, in int, k uint64, ls ...layers.LayerSpec) *layers.MLP {
		if err != nil {
			return nil
		}
		var f *layers.MLP
		f, err = layers.NewMLP(g, c.Name+"."+name, layers.Spec{In: in, Layers: ls, Seed: seed(k)})
		return f
	}
	if !c.NoEncoder {
		if p.gru, err = NewGRU(g, c.Name+".enc.gru", 2*c.Dim+1, c.Hidden, seed(1)); err != nil {
			return nil, err
		}
		if c.ODEEncoder {
			p.fenc = mlp("enc.f", c.Hidden, 8, layers.Linear(c.Units, layers.Tanh), layers.Linear(c.Hidden, nil))
		}
		p.ctxHead = mlp("enc.ctx", c.Hidden, 2, layers.Linear(c.Context, nil))
		p.qMu = mlp("enc.q0mu", c.Context, 3, layers.Linear(L, nil))
		p.qStd = mlp("enc.q0logstd", c.Context, 7, layers.Linear(L, nil))
	} else {
		p.q0m = latVec(g, c.Name+".q0mu", make([]float64, L))
		p.q0s = latVec(g, c.Name+".q0logstd", latFill(L, math.Log(c.Sigma)))
	}
	p.post = mlp("post", L+c.Context, 4, layers.ConcatLinear(c.Units, layers.Tanh), layers.Linear(c.Units, layers.Tanh), layers.Linear(L, nil))
	if c.OU == nil {
		p.pri = mlp("prior", L, 5, layers.ConcatLinear(c.Units, layers.Tanh), layers.Linear(c.Units, layers.Tanh), layers.Linear(L, nil))
		p.p0m = latVec(g, c.Name+".p0mu", make([]float64, L))
		p.p0s = latVec(g, c.Name+".p0logstd", make([]float64, L))
	}
	if !c.Identity {
		p.out = mlp("out", L, 6, layers.Linear(c.Dim, nil))
	}
	if err != nil {
		return nil, errors.Wrap(err, "latent SDE")
	}
	// The posterior drift starts equal to the prior's network part: its last layer is
	// zero (torchsde's example does the same, "the initialization trick from Glow").
	ps := p.post.Params()
	for _, n := range ps[len(ps)-2:] {
		clear(n.Value().Data().([]float64))
	}
	if c.Period > 0 {
		p.rot = newRotationBank(g, c.Name+".A", L, c.Period)
		for _, f := range []*layers.MLP{p.pri} {
			if f == nil {
				continue
			}
			ps := f.Params()
			for _, n := range ps[len(ps)-2:] {
				v := n.Value().Data().([]float64)
				for i := range v {
					v[i] *= 0.1
				}
			}
		}
	}
	if c.LearnSigma {
		p.logSigma = latVec(g, c.Name+".logsigma", latFill(L, math.Log(c.Sigma)))
	}
	if c.LearnStd {
		p.logObsStd = latVec(g, c.Name+".obs.logstd", latFill(c.Dim, math.Log(c.ObsStd)))
	}
	if err := m.params.adopt(p.nodes()); err != nil {
		return nil, err
	}
	return p, nil
}

// withRot adds the shared linear part to drift dynamics.
func (p *latSDEParts) withRot(d odeop.Dynamics) odeop.Dynamics {
	if p.rot == nil {
		return d
	}
	return &latLinearMLP{a: p.rot, mlp: d}
}

func (m *SDE) prior(p *latSDEParts) odeop.Dynamics {
	if m.cfg.OU != nil {
		return p.withRot(&latOU{theta: m.cfg.OU.Theta, mu: m.cfg.OU.Mu})
	}
	return p.withRot(p.pri)
}

func (m *SDE) diffusion(p *latSDEParts) odeop.Dynamics {
	return &latDiffusion{logSigma: p.logSigma, sigma: m.cfg.Sigma}
}

// ObsStd returns the current standard deviation of the observation model per dimension.
func (m *SDE) ObsStd() []float64 {
	out := latFill(m.cfg.Dim, m.cfg.ObsStd)
	if m.home.logObsStd != nil {
		for i, v := range m.home.logObsStd.Value().Data().([]float64) {
			out[i] = math.Exp(v)
		}
	}
	return out
}

// Diffusion returns the current diffusion per latent dimension.
func (m *SDE) Diffusion() []float64 {
	out := latFill(m.cfg.Latent, m.cfg.Sigma)
	if m.home.logSigma != nil {
		for i, v := range m.home.logSigma.Value().Data().([]float64) {
			out[i] = math.Exp(v)
		}
	}
	return out
}

// sdeOpts are the options of the SDE solve on a grid.
func (m *SDE) sdeOpts(times []float64, seed uint64, resample bool) []sdeop.Option {
	dt := m.cfg.Step
	if dt <= 0 {
		dt = (times[len(times)-1] - times[0]) / 100
	}
	// With additive noise the Ito and Stratonovich SDEs coincide, so the stochastic
	// midpoint method applies. Euler-Maruyama (one drift evaluation per step) is unstable
	// on the fast rotations of the rotation bank: its growth factor per step is
	// sqrt(1 + (w·dt)²), which over a hundred steps at w·dt = 0.4 multiplies the state
	// by some 10^4 (we saw the loss explode); the midpoint method's is 1 + O((w·dt)⁴).
	grad := sdeop.Checkpoint
	if m.cfg.Adjoint {
		grad = sdeop.Adjoint
	}
	return []sdeop.Option{sdeop.WithMethod(sdeop.Midpoint), sdeop.WithCalculus(sdeop.Stratonovich), sdeop.WithStep(dt),
		sdeop.WithNoise(sdeop.Additive), sdeop.WithGradient(grad), sdeop.WithSeed(seed), sdeop.WithResample(resample)}
}

// latSDEEncoder is the encoder of a latent SDE on a graph: the context at every grid time
// (T*rows, Context), time-major, and q(z0 | x).
type latSDEEncoder struct {
	steps      []latStepInputs // decreasing times
	order      []int
	ctx        *G.Node // nil without encoder
	mu, logStd *G.Node
}

func (m *SDE) buildEncoder(g *G.ExprGraph, p *latSDEParts, rows int, times []float64) (*latSDEEncoder, error) {
	T := len(times)
	c := m.cfg
	must := G.Must
	e := &latSDEEncoder{}
	var err error
	if p.gru == nil {
		ones := G.NewMatrix(g, tensor.Float64, G.WithShape(rows, 1), G.WithName(c.Name+".ones"), G.WithInit(G.Ones()))
		e.mu = must(G.Mul(ones, must(G.Reshape(p.q0m, tensor.Shape{1, c.Latent}))))
		e.logStd = must(G.Mul(ones, must(G.Reshape(p.q0s, tensor.Shape{1, c.Latent}))))
		return e, nil
	}
	h0 := G.NewMatrix(g, tensor.Float64, G.WithShape(rows, c.Hidden), G.WithName(c.Name+".enc.h0"), G.WithInit(G.Zeroes()))
	for i := T - 1; i >= 0; i-- {
		e.steps = append(e.steps, newLatStepInputs(g, c.Name+".enc", i, rows, 2*c.Dim+1))
		e.order = append(e.order, i)
	}
	rec := &latRecurrence{gru: p.gru}
	if p.fenc != nil {
		rec.f = p.fenc
		rec.opts = encoderOpts(nil, 0, times[T-1]-times[0])
	}
	_, post, err := rec.run(h0, times, e.order, e.steps)
	if err != nil {
		return nil, errors.Wrap(err, "latent SDE encoder")
	}
	hs := make([]*G.Node, T)
	for k, i := range e.order {
		hs[i] = post[k]
	}
	all := hs[0]
	if T > 1 {
		all = must(G.Concat(0, hs...))
	}
	if e.ctx, err = p.ctxHead.Fwd(all); err != nil {
		return nil, err
	}
	ctx0, err := p.ctxHead.Fwd(hs[0])
	if err != nil {
		return nil, err
	}
	if e.mu, err = p.qMu.Fwd(ctx0); err != nil {
		return nil, err
	}
	if e.logStd, err = p.qStd.Fwd(ctx0); err != nil {
		return nil, err
	}
	return e, nil
}

// Encode returns the mean and the log standard deviation of q(z0 | x) for every sequence
// of in (N*Latent values each, row-major).
func (m *SDE) Encode(in *Series) (mu, logStd []float64, err error) {
	if err := in.Validate(); err != nil {
		return nil, nil, errors.Wrap(err, "latent SDE encode")
	}
	if in.D != m.cfg.Dim {
		return nil, nil, errors.Wrapf(ErrSeries, "latent SDE encode: dimension %d, the model has %d", in.D, m.cfg.Dim)
	}
	g := G.NewGraph()
	p, err := m.parts(g)
	if err != nil {
		return nil, nil, err
	}
	e, err := m.buildEncoder(g, p, in.N, in.Times)
	if err != nil {
		return nil, nil, err
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	for k, i := range e.order {
		fillStep(&e.steps[k], in, latAll(in.N), i, latFill(in.N, in.Times[i]))
	}
	fillStarted(e.steps, in.N)
	if err := latRun(vm); err != nil {
		return nil, nil, errors.Wrap(err, "latent SDE encode")
	}
	mu = append([]float64(nil), e.mu.Value().Data().([]float64)...)
	logStd = append([]float64(nil), e.logStd.Value().Data().([]float64)...)
	return mu, logStd, nil
}

// latSDEGraph is the ELBO of a batch of rows (sequences times paths) on a grid.
type latSDEGraph struct {
	g            *G.ExprGraph
	p            *latSDEParts
	rows         int
	times        []float64
	steps        []latStepInputs // encoder, decreasing times
	order        []int
	eps          latInput // (rows, L) noise of z0
	klw, klwp    latInput // (rows, L) and (rows): weights of the KL terms
	target, mask latInput // (T*rows, D)
	zs, pred     *G.Node
	nll, kl      *G.Node // sums over rows (nll without its constant)
	loss         *G.Node
	learn        G.Nodes
	vm           G.VM
}

// build builds the graph for rows rows on times; the SDE's Brownian path comes from
// seed (a new one per run when resample).
func (m *SDE) build(rows int, times []float64, grad, resample bool, seed uint64) (*latSDEGraph, error) {
	if len(times) < 2 {
		return nil, errors.Wrap(ErrSeries, "latent SDE: the grid needs at least two times")
	}
	c := m.cfg
	L, T := c.Latent, len(times)
	g := G.NewGraph()
	p, err := m.parts(g)
	if err != nil {
		return nil, err
	}
	q := &latSDEGraph{g: g, p: p, rows: rows, times: times, learn: p.nodes(),
		eps:    newLatInput(g, c.Name+".eps", rows, L),
		klw:    newLatInput(g, c.Name+".klw", rows, L),
		klwp:   newLatInput(g, c.Name+".klwp", rows),
		target: newLatInput(g, c.Name+".target", T*rows, c.Dim),
		mask:   newLatInput(g, c.Name+".mask", T*rows, c.Dim)}
	must := G.Must
	enc, err := m.buildEncoder(g, p, rows, times)
	if err != nil {
		return nil, err
	}
	q.steps, q.order = enc.steps, enc.order
	mu, logStd, ctx := enc.mu, enc.logStd, enc.ctx
	sigma := must(G.Exp(logStd))
	z0 := must(G.Add(mu, must(G.HadamardProd(sigma, q.eps.node))))
	// KL(q(z0) || p(z0)) for diagonal Gaussians, elementwise:
	// log(sp/sq) + (sq² + (mq - mp)²)/(2 sp²) - 1/2.
	var klz *G.Node
	if c.OU != nil {
		// p(z0) is the stationary law of the prior with the configured Sigma (also when
		// the diffusion is learned).
		sp := c.Sigma / math.Sqrt(2*c.OU.Theta)
		d := must(G.Sub(mu, G.NewConstant(c.OU.Mu)))
		num := must(G.Add(must(G.Square(sigma)), must(G.Square(d))))
		klz = must(G.Sub(must(G.Add(must(G.Mul(num, G.NewConstant(0.5/(sp*sp)))), G.NewConstant(math.Log(sp)-0.5))), logStd))
	} else {
		pm, pl := p.p0m, p.p0s
		d := must(G.BroadcastSub(mu, pm, nil, []byte{0}))
		num := must(G.Add(must(G.Square(sigma)), must(G.Square(d))))
		inv := must(G.Exp(must(G.Mul(pl, G.NewConstant(-2.0)))))
		t1 := must(G.Mul(must(G.BroadcastHadamardProd(num, inv, nil, []byte{0})), G.NewConstant(0.5)))
		klz = must(G.Sub(must(G.BroadcastAdd(must(G.Sub(t1, logStd)), pl, nil, []byte{0})), G.NewConstant(0.5)))
	}
	post := p.withRot(&latCtxDrift{mlp: p.post, ctx: ctx, times: times, c: c.Context})
	zs, logqp, err := sdeop.SolveKL(z0, post, m.prior(p), m.diffusion(p), times, m.sdeOpts(times, seed, resample)...)
	if err != nil {
		return nil, errors.Wrap(err, "latent SDE")
	}
	q.zs = zs
	klPath := must(G.Slice(logqp, G.S(T-1))) // (rows)
	flatKL := func(x *G.Node) *G.Node { return must(G.Reshape(x, tensor.Shape{rows * L})) }
	q.kl = must(G.Add(must(G.Sum(flatKL(klz))), must(G.Sum(klPath))))
	wkl := must(G.Add(must(G.Sum(flatKL(must(G.HadamardProd(klz, q.klw.node))))), must(G.Sum(must(G.HadamardProd(klPath, q.klwp.node))))))
	flat := must(G.Reshape(zs, tensor.Shape{T * rows, L}))
	if p.out != nil {
		if q.pred, err = p.out.Fwd(flat); err != nil {
			return nil, err
		}
	} else if c.Dim == L {
		q.pred = flat
	} else {
		q.pred = must(G.Slice(flat, nil, G.S(0, c.Dim)))
	}
	sq := must(G.HadamardProd(must(G.Square(must(G.Sub(q.pred, q.target.node)))), q.mask.node))
	if p.logObsStd == nil {
		q.nll = must(G.Mul(must(G.Sum(sq)), G.NewConstant(0.5/(c.ObsStd*c.ObsStd))))
	} else {
		inv := must(G.Exp(must(G.Mul(p.logObsStd, G.NewConstant(-2.0)))))
		wsq := must(G.BroadcastHadamardProd(sq, inv, nil, []byte{0}))
		logs := must(G.BroadcastHadamardProd(q.mask.node, p.logObsStd, nil, []byte{0}))
		q.nll = must(G.Add(must(G.Mul(must(G.Sum(wsq)), G.NewConstant(0.5))), must(G.Sum(logs))))
	}
	q.loss = must(G.Div(must(G.Add(q.nll, wkl)), G.NewConstant(float64(rows))))
	if grad {
		if _, err := G.Grad(q.loss, q.learn...); err != nil {
			return nil, errors.Wrap(err, "latent SDE gradient")
		}
		q.vm = G.NewTapeMachine(g, G.BindDualValues(q.learn...))
	} else {
		q.vm = G.NewTapeMachine(g)
	}
	return q, nil
}

// fill writes the inputs for the sequences seqs (one per row, repeated as they come) of
// in and target; it returns the constant of the negative log-likelihood.
func (q *latSDEGraph) fill(m *SDE, in, target *Series, seqs []int, noiseSeed, counter uint64, klw float64) float64 {
	if len(q.steps) > 0 {
		for k, i := range q.order {
			fillStep(&q.steps[k], in, seqs, i, latFill(len(seqs), in.Times[i]))
		}
		fillStarted(q.steps, len(seqs))
	}
	latNoise(q.eps.data, noiseSeed, counter)
	for i := range q.klw.data {
		q.klw.data[i] = klw
	}
	for i := range q.klwp.data {
		q.klwp.data[i] = klw
	}
	if target == nil {
		return 0
	}
	D := target.D
	nobs := 0.0
	for t := range q.times {
		for b, n := range seqs {
			for d := 0; d < D; d++ {
				i := target.Index(n, t, d)
				k := (t*q.rows+b)*D + d
				q.mask.data[k], q.target.data[k] = target.Mask[i], 0
				if target.Mask[i] != 0 {
					q.target.data[k] = target.Values[i]
					nobs++
				}
			}
		}
	}
	cst := 0.5 * math.Log(2*math.Pi) * nobs
	if q.p.logObsStd == nil {
		cst += math.Log(m.cfg.ObsStd) * nobs
	}
	return cst
}

// repeatRows lists the sequences of a batch samples times: row s*len(rows) + b is
// sequence rows[b] on its s-th path.
func repeatRows(rows []int, samples int) []int {
	out := make([]int, 0, len(rows)*samples)
	for s := 0; s < samples; s++ {
		out = append(out, rows...)
	}
	return out
}

// Train fits the model by maximizing the ELBO with Adam (see ODE.Train for in and
// target); each iteration draws a new Brownian path. It returns the negative ELBO per
// sequence of every iteration.
func (m *SDE) Train(in, target *Series, cfg TrainConfig) ([]float64, error) {
	if err := checkPair(in, target, m.cfg.Dim); err != nil {
		return nil, errors.Wrap(err, "latent SDE train")
	}
	cfg = cfg.withDefaults(in.N)
	S := m.cfg.Samples
	q, err := m.build(cfg.Batch*S, in.Times, true, true, rng.Derive(cfg.Seed, 0x736465))
	if err != nil {
		return nil, err
	}
	defer q.vm.Close()
	batches := latNewBatches(in.N, cfg.Batch, cfg.Seed)
	vg := G.NodesToValueGrads(q.learn)
	losses := make([]float64, 0, cfg.Iters)
	for it := 0; it < cfg.Iters; it++ {
		rows := repeatRows(batches.next(), S)
		cst := q.fill(m, in, target, rows, cfg.Seed, uint64(it)+1, cfg.klWeight(it))
		if err := latRun(q.vm); err != nil {
			return losses, errors.Wrapf(err, "latent SDE train: iteration %d", it)
		}
		loss := (scalarOf(q.nll) + cst + scalarOf(q.kl)) / float64(len(rows))
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return losses, errors.Wrapf(odeop.ErrNonFinite, "latent SDE train: loss %v at iteration %d", loss, it)
		}
		losses = append(losses, loss)
		if err := cfg.Optimizer.Step(vg); err != nil {
			return losses, errors.Wrapf(err, "latent SDE train: optimizer step %d", it)
		}
		if cfg.Progress != nil {
			cfg.Progress(it, loss)
		}
	}
	return losses, nil
}

// Loss is the negative ELBO per sequence of target given in, estimated with samples
// paths per sequence (the paths and the draws of z0 from seed).
func (m *SDE) Loss(in, target *Series, samples int, seed uint64) (float64, error) {
	if err := checkPair(in, target, m.cfg.Dim); err != nil {
		return 0, errors.Wrap(err, "latent SDE loss")
	}
	S := max(samples, 1)
	q, err := m.build(in.N*S, in.Times, false, false, seed)
	if err != nil {
		return 0, err
	}
	defer q.vm.Close()
	rows := repeatRows(latAll(in.N), S)
	cst := q.fill(m, in, target, rows, seed, 0, 1)
	if err := latRun(q.vm); err != nil {
		return 0, errors.Wrap(err, "latent SDE loss")
	}
	return (scalarOf(q.nll) + cst + scalarOf(q.kl)) / float64(len(rows)), nil
}

// Predict returns the predictive distribution at times (strictly increasing, not before
// in.Times[0]) of every sequence of in: samples sample paths of the posterior SDE given
// the observations of in (z0 from q(z0 | x), the Brownian paths from seed), read out,
// with the observation noise. Above 4096 rows (sequences x samples) the sequences are
// predicted in blocks, block k with the seed derived from seed and k, so that memory stays
// bounded.
func (m *SDE) Predict(in *Series, times []float64, samples int, seed uint64) (*Predictive, error) {
	if err := in.Validate(); err != nil {
		return nil, errors.Wrap(err, "latent SDE predict")
	}
	if in.D != m.cfg.Dim {
		return nil, errors.Wrapf(ErrSeries, "latent SDE predict: dimension %d, the model has %d", in.D, m.cfg.Dim)
	}
	if _, _, err := latQueryTimes(in.Times[0], times); err != nil {
		return nil, errors.Wrap(err, "latent SDE predict")
	}
	S := max(samples, 1)
	if in.N*S > predictRows && in.N > 1 {
		return m.predictChunks(in, times, S, seed)
	}
	return m.predict(in, times, S, seed)
}

// predictRows bounds the rows (sequences x samples) of one prediction graph: Gorgonia keeps
// every intermediate value of a run, and 146 CO2 windows x 200 paths in one graph held
// 8 GB. A variable so that the tests can make it small.
var predictRows = 4096

// predictChunks predicts blocks of sequences of at most predictRows rows in turn, block k
// with the seed rng.Derive(seed, k), and gathers the samples.
func (m *SDE) predictChunks(in *Series, times []float64, S int, seed uint64) (*Predictive, error) {
	per := max(1, predictRows/S)
	D, T := m.cfg.Dim, len(times)
	p := &Predictive{Times: append([]float64(nil), times...), N: in.N, D: D, Std: m.ObsStd()}
	for s := 0; s < S; s++ {
		p.Samples = append(p.Samples, make([]float64, in.N*T*D))
	}
	for k, lo := 0, 0; lo < in.N; k, lo = k+1, lo+per {
		hi := min(lo+per, in.N)
		idx := make([]int, hi-lo)
		for i := range idx {
			idx[i] = lo + i
		}
		sub, err := m.predict(in.Rows(idx), times, S, rng.Derive(seed, uint64(k)))
		if err != nil {
			return nil, errors.Wrapf(err, "sequences %d to %d", lo, hi-1)
		}
		for s := 0; s < S; s++ {
			copy(p.Samples[s][lo*T*D:hi*T*D], sub.Samples[s])
		}
	}
	return p, nil
}

// predict is Predict in one graph.
func (m *SDE) predict(in *Series, times []float64, S int, seed uint64) (*Predictive, error) {
	u, idx := regrid(in, times)
	R := in.N * S
	q, err := m.build(R, u.Times, false, false, seed)
	if err != nil {
		return nil, err
	}
	defer q.vm.Close()
	q.fill(m, u, nil, repeatRows(latAll(in.N), S), seed, 0x7072, 1)
	if err := latRun(q.vm); err != nil {
		return nil, errors.Wrap(err, "latent SDE predict")
	}
	pred := q.pred.Value().Data().([]float64)
	D, T := m.cfg.Dim, len(times)
	p := &Predictive{Times: append([]float64(nil), times...), N: in.N, D: D, Std: m.ObsStd()}
	for s := 0; s < S; s++ {
		smp := make([]float64, in.N*T*D)
		for n := 0; n < in.N; n++ {
			r := s*in.N + n
			for k, i := range idx {
				copy(smp[(n*T+k)*D:(n*T+k+1)*D], pred[(i*R+r)*D:(i*R+r+1)*D])
			}
		}
		p.Samples = append(p.Samples, smp)
	}
	return p, nil
}

// Sample draws n paths of the prior SDE from p(z0) at times (at least two, strictly
// increasing), read out, with the observation noise when noise is set.
func (m *SDE) Sample(n int, times []float64, noise bool, seed uint64) (*Series, error) {
	if n < 1 || len(times) < 2 {
		return nil, errors.Wrapf(ErrConfig, "latent SDE sample: %d paths at %d times", n, len(times))
	}
	c := m.cfg
	L := c.Latent
	z0 := make([]float64, n*L)
	latNoise(z0, seed, 1)
	for i := range z0 {
		d := i % L
		if c.OU != nil {
			z0[i] = c.OU.Mu + c.Sigma/math.Sqrt(2*c.OU.Theta)*z0[i]
		} else {
			pm := m.home.p0m.Value().Data().([]float64)
			ps := m.home.p0s.Value().Data().([]float64)
			z0[i] = pm[d] + math.Exp(ps[d])*z0[i]
		}
	}
	g := G.NewGraph()
	p, err := m.parts(g)
	if err != nil {
		return nil, err
	}
	zn := G.NewMatrix(g, tensor.Float64, G.WithShape(n, L), G.WithName(c.Name+".z0"),
		G.WithValue(tensor.New(tensor.WithShape(n, L), tensor.WithBacking(z0))))
	zs, err := sdeop.Solve(zn, m.prior(p), m.diffusion(p), times, m.sdeOpts(times, seed, false)...)
	if err != nil {
		return nil, errors.Wrap(err, "latent SDE sample")
	}
	pred := G.Must(G.Reshape(zs, tensor.Shape{len(times) * n, L}))
	if p.out != nil {
		if pred, err = p.out.Fwd(pred); err != nil {
			return nil, err
		}
	} else if c.Dim < L {
		pred = G.Must(G.Slice(pred, nil, G.S(0, c.Dim)))
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := latRun(vm); err != nil {
		return nil, errors.Wrap(err, "latent SDE sample")
	}
	vals := pred.Value().Data().([]float64)
	s := NewSeries(times, n, c.Dim)
	std := m.ObsStd()
	eps := make([]float64, len(vals))
	if noise {
		latNoise(eps, seed, 2)
	}
	for t := range times {
		for b := 0; b < n; b++ {
			for d := 0; d < c.Dim; d++ {
				k := s.Index(b, t, d)
				s.Values[k] = vals[(t*n+b)*c.Dim+d] + std[d]*eps[k]
				s.Mask[k] = 1
			}
		}
	}
	return s, nil
}

// String describes the model and its sizes.
func (m *SDE) String() string {
	c := m.cfg
	enc := fmt.Sprintf("context %d", c.Context)
	if c.NoEncoder {
		enc = "no encoder"
	}
	return fmt.Sprintf("SDE(D=%d, latent %d, %s, units %d, %d parameters)", c.Dim, c.Latent, enc, c.Units, m.NumParams())
}
