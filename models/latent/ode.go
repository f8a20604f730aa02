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
)

// ODEConfig configures an ODE. Zero fields take the documented defaults.
type ODEConfig struct {
	Name   string // prefix of the parameter names (default "latentode")
	Dim    int    // observed dimensions D (required)
	Latent int    // latent dimension (default 4)
	Hidden int    // hidden units of the ODE-RNN encoder (default 20)
	Units  int    // width of the dynamics networks and of the encoder head (default 32)
	// ObsStd is the standard deviation of the Gaussian observation model (default 0.05).
	// With LearnStd it is the initial value of a learned standard deviation per dimension.
	ObsStd   float64
	LearnStd bool
	Seed     uint64 // seeds the initial parameters
	// Period, when positive, adds a linear part z·A to the latent dynamics, started as a
	// bank of rotations at the frequencies k/Period, k = 1 .. Latent/2, with the network
	// started small (its last layer scaled by 0.1): at initialization the decoder is a
	// Fourier series of base period Period whose coefficients z0 sets, which the training
	// then bends. Fitting oscillations from a random network takes a long plateau (we
	// measured 600-700 Adam steps on sines before the loss moves); the rotation bank
	// removes most of it. Zero keeps the network alone, as Rubanova et al. Choose it with
	// Latent so that the bank can represent the data: harmonics k/Period up to the data's
	// highest frequency (Latent >= 2·fmax·Period), and, for signals that are not periodic
	// on the training grid (sines of arbitrary frequency), a Period longer than the grid's
	// span (1.5 times it), so that the series need not wrap around within the grid. For
	// data with a known cycle (CO2's year), that cycle or a multiple of it.
	Period float64
	// Encoder are the solver options of the ODE-RNN's transitions between observation
	// times. Default: odeop.RK4 with at most EncoderStep per step and Checkpoint gradients
	// (exact gradients of the discrete encoder; one step for most gaps).
	Encoder     []odeop.Option `json:"-"`
	EncoderStep float64        // default: 1/20 of the span of the training grid
	// Decoder are the solver options of the latent ODE. Default: odeop.Dopri5 with
	// rtol 1e-3, atol 1e-4 (as Rubanova et al.) and Checkpoint gradients.
	Decoder []odeop.Option `json:"-"`
}

func (c ODEConfig) withDefaults() (ODEConfig, error) {
	if c.Dim < 1 {
		return c, errors.Wrapf(ErrConfig, "latent ODE: Dim = %d; want the observed dimension", c.Dim)
	}
	if c.Name == "" {
		c.Name = "latentode"
	}
	if c.Latent <= 0 {
		c.Latent = 4
	}
	if c.Hidden <= 0 {
		c.Hidden = 20
	}
	if c.Units <= 0 {
		c.Units = 32
	}
	if c.ObsStd <= 0 {
		c.ObsStd = 0.05
	}
	if c.Decoder == nil {
		c.Decoder = []odeop.Option{odeop.WithMethod(odeop.Dopri5), odeop.WithTol(1e-3, 1e-4), odeop.WithGradient(odeop.Checkpoint)}
	}
	return c, nil
}

// encoderOpts are the encoder's solver options for a grid spanning span.
func encoderOpts(opts []odeop.Option, step, span float64) []odeop.Option {
	if opts != nil {
		return opts
	}
	if step <= 0 {
		step = span / 20
	}
	if step <= 0 {
		step = 1
	}
	return []odeop.Option{odeop.WithMethod(odeop.RK4), odeop.WithStep(step), odeop.WithGradient(odeop.Checkpoint)}
}

// ODE is the latent ODE of Rubanova, Chen, Duvenaud ("Latent ODEs for
// Irregularly-Sampled Time Series", NeurIPS 2019), itself the generative model of Chen et
// al. (2018, section 5):
//
//   - an ODE-RNN encoder runs backward in time over the observations: between
//     observation times its hidden state follows dh/dt = f_enc(h), and at each time that
//     a sequence observes something a GRU updates it with the observed values and the
//     mask of observed dimensions ([x ⊙ m, m], so that missing values are never read);
//   - its final state gives q(z0 | x) = N(mu, diag(sigma²)), sampled by
//     reparameterization at the first grid time t0;
//   - the latent state follows dz/dt = f_dec(z) from z0, solved once for the whole batch on
//     the union of the sequences' times (one odeop.Solve node, gradients by
//     odeop.Checkpoint or the adjoint);
//   - each observation is Gaussian around a linear readout of z(t), and the ELBO
//     E_q[log p(x | z)] - KL(q(z0 | x) || N(0, I)) counts observed values only.
//
// The dynamics f_enc and f_dec are native networks (layers.MLP) evaluated without a
// nested Gorgonia machine; the GRU is one fused Gorgonia op per time.
//
// A ODE holds its parameter values; Train builds a Gorgonia graph for the batch
// shape and grid it is given, Predict and Encode one for the sequences they are given,
// and all share the values.
type ODE struct {
	cfg    ODEConfig
	params *latParams
	home   *latODEParts
}

type latODEParts struct {
	gru                   *GRU
	fenc, head, fdec, out *layers.MLP
	rot                   *G.Node // the linear part of the latent dynamics (nil without Period)
	logStd                *G.Node // nil when the observation noise is fixed
}

// dec is the latent dynamics.
func (p *latODEParts) dec() odeop.Dynamics {
	if p.rot == nil {
		return p.fdec
	}
	return &latLinearMLP{a: p.rot, mlp: p.fdec}
}

// decValues are the current parameter values of the latent dynamics.
func (p *latODEParts) decValues() [][]float64 {
	if p.rot == nil {
		return p.fdec.Values()
	}
	return append([][]float64{p.rot.Value().Data().([]float64)}, p.fdec.Values()...)
}

// NewODE creates a latent ODE with freshly initialized parameters.
func NewODE(cfg ODEConfig) (*ODE, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &ODE{cfg: cfg, params: newLatParams()}
	if m.home, err = m.parts(G.NewGraph()); err != nil {
		return nil, err
	}
	return m, nil
}

// Config returns the configuration with its defaults filled in.
func (m *ODE) Config() ODEConfig { return m.cfg }

// NumParams is the number of scalar parameters.
func (m *ODE) NumParams() int { return m.params.count() }

// Learnables returns the parameter nodes of the model's own graph, whose values every
// graph of the model shares (for checkpoints: models.Save and Load).
func (m *ODE) Learnables() G.Nodes { return m.home.nodes() }

func (p *latODEParts) nodes() G.Nodes {
	ns := append(G.Nodes{}, p.gru.Params()...)
	for _, f := range []*layers.MLP{p.fenc, p.head, p.fdec, p.out} {
		ns = append(ns, f.Params()...)
	}
	if p.rot != nil {
		ns = append(ns, p.rot)
	}
	if p.logStd != nil {
		ns = append(ns, p.logStd)
	}
	return ns
}

func (m *ODE) parts(g *G.ExprGraph) (*latODEParts, error) {
	c := m.cfg
	seed := func(k uint64) uint64 { return rng.Derive(c.Seed, k) }
	p := &latODEParts{}
	var err error
	if p.gru, err = NewGRU(g, c.Name+".enc.gru", 2*c.Dim, c.Hidden, seed(1)); err != nil {
		return nil, err
	}
	mlp := func(name string, in int, k uint64, ls ...layers.LayerSpec) *layers.MLP {
		if err != nil {
			return nil
		}
		var f *layers.MLP
		f, err = layers.NewMLP(g, c.Name+"."+name, layers.Spec{In: in, Layers: ls, Seed: seed(k)})
		return f
	}
	p.fenc = mlp("enc.f", c.Hidden, 2, layers.Linear(c.Units, layers.Tanh), layers.Linear(c.Hidden, nil))
	p.head = mlp("enc.head", c.Hidden, 3, layers.Linear(c.Units, layers.Tanh), layers.Linear(2*c.Latent, nil))
	p.fdec = mlp("dec.f", c.Latent, 4, layers.Linear(c.Units, layers.Tanh), layers.Linear(c.Units, layers.Tanh), layers.Linear(c.Latent, nil))
	p.out = mlp("dec.out", c.Latent, 5, layers.Linear(c.Dim, nil))
	if err != nil {
		return nil, errors.Wrap(err, "latent ODE")
	}
	if c.Period > 0 {
		p.rot = newRotationBank(g, c.Name+".dec.A", c.Latent, c.Period)
		ps := p.fdec.Params()
		for _, n := range ps[len(ps)-2:] {
			v := n.Value().Data().([]float64)
			for i := range v {
				v[i] *= 0.1
			}
		}
	}
	if c.LearnStd {
		v := make([]float64, c.Dim)
		for i := range v {
			v[i] = math.Log(c.ObsStd)
		}
		p.logStd = G.NewVector(g, tensor.Float64, G.WithShape(c.Dim), G.WithName(c.Name+".obs.logstd"),
			G.WithValue(tensor.New(tensor.WithShape(c.Dim), tensor.WithBacking(v))))
	}
	if err := m.params.adopt(p.nodes()); err != nil {
		return nil, err
	}
	return p, nil
}

// ObsStd returns the current standard deviation of the observation model per dimension.
func (m *ODE) ObsStd() []float64 {
	out := make([]float64, m.cfg.Dim)
	for i := range out {
		out[i] = m.cfg.ObsStd
	}
	if m.home.logStd != nil {
		for i, v := range m.home.logStd.Value().Data().([]float64) {
			out[i] = math.Exp(v)
		}
	}
	return out
}

// latEncoder is an ODE-RNN encoder built on a graph for a batch and a grid.
type latEncoder struct {
	steps      []latStepInputs
	order      []int // grid indices, decreasing
	mu, logStd *G.Node
}

// buildEncoder builds the backward ODE-RNN over times[0..last] and the head giving mu and
// log sigma of q(z0 | x).
func (m *ODE) buildEncoder(g *G.ExprGraph, p *latODEParts, b int, times []float64, last int) (*latEncoder, error) {
	c := m.cfg
	e := &latEncoder{}
	for i := last; i >= 0; i-- {
		e.order = append(e.order, i)
		e.steps = append(e.steps, newLatStepInputs(g, c.Name+".enc", i, b, 2*c.Dim))
	}
	h0 := G.NewMatrix(g, tensor.Float64, G.WithShape(b, c.Hidden), G.WithName(c.Name+".enc.h0"), G.WithInit(G.Zeroes()))
	rec := &latRecurrence{gru: p.gru, f: p.fenc, opts: encoderOpts(c.Encoder, c.EncoderStep, times[len(times)-1]-times[0])}
	_, post, err := rec.run(h0, times, e.order, e.steps)
	if err != nil {
		return nil, errors.Wrap(err, "latent ODE encoder")
	}
	h := post[len(post)-1]
	out, err := p.head.Fwd(h)
	if err != nil {
		return nil, err
	}
	if e.mu, err = G.Slice(out, nil, G.S(0, c.Latent)); err != nil {
		return nil, err
	}
	if e.logStd, err = G.Slice(out, nil, G.S(c.Latent, 2*c.Latent)); err != nil {
		return nil, err
	}
	return e, nil
}

// fill writes the inputs of sequences rows of s.
func (e *latEncoder) fill(s *Series, rows []int) {
	for k, i := range e.order {
		fillStep(&e.steps[k], s, rows, i, nil)
	}
	fillStarted(e.steps, len(rows))
}

// latODEGraph is the ELBO of a batch as a Gorgonia graph.
type latODEGraph struct {
	g            *G.ExprGraph
	p            *latODEParts
	enc          *latEncoder
	b            int
	times        []float64
	eps, klw     latInput // (b, Latent)
	target, mask latInput // (T*b, D), time-major
	loss         *G.Node  // (nll + w·KL) / b, differentiated
	nll, kl      *G.Node  // sum of the negative log-likelihood without its constant, sum of KL
	learn        G.Nodes
	vm           G.VM
}

// buildELBO builds the ELBO graph for batches of b sequences on times, the encoder over
// times[0..last].
func (m *ODE) buildELBO(b int, times []float64, last int, grad bool) (*latODEGraph, error) {
	c := m.cfg
	g := G.NewGraph()
	p, err := m.parts(g)
	if err != nil {
		return nil, err
	}
	e, err := m.buildEncoder(g, p, b, times, last)
	if err != nil {
		return nil, err
	}
	T := len(times)
	q := &latODEGraph{g: g, p: p, enc: e, b: b, times: times, learn: p.nodes(),
		eps:    newLatInput(g, c.Name+".eps", b, c.Latent),
		klw:    newLatInput(g, c.Name+".klw", b, c.Latent),
		target: newLatInput(g, c.Name+".target", T*b, c.Dim),
		mask:   newLatInput(g, c.Name+".mask", T*b, c.Dim),
	}
	must := G.Must
	sigma := must(G.Exp(e.logStd))
	z0 := must(G.Add(e.mu, must(G.HadamardProd(sigma, q.eps.node))))
	// KL(N(mu, sigma²) || N(0, 1)) = (mu² + sigma² - 1)/2 - log sigma, elementwise.
	half := G.NewConstant(0.5)
	klm := must(G.Sub(must(G.Mul(must(G.Sub(must(G.Add(must(G.Square(e.mu)), must(G.Square(sigma)))), G.NewConstant(1.0))), half)), e.logStd))
	q.kl = must(G.Sum(klm))
	zs, err := odeop.Solve(z0, p.dec(), times, c.Decoder...)
	if err != nil {
		return nil, errors.Wrap(err, "latent ODE decoder")
	}
	flat := must(G.Reshape(zs, tensor.Shape{T * b, c.Latent}))
	pred, err := p.out.Fwd(flat)
	if err != nil {
		return nil, err
	}
	diff := must(G.Sub(pred, q.target.node))
	sq := must(G.HadamardProd(must(G.Square(diff)), q.mask.node))
	if p.logStd == nil {
		q.nll = must(G.Mul(must(G.Sum(sq)), G.NewConstant(0.5/(c.ObsStd*c.ObsStd))))
	} else {
		inv := must(G.Exp(must(G.Mul(p.logStd, G.NewConstant(-2.0)))))
		wsq := must(G.BroadcastHadamardProd(sq, inv, nil, []byte{0}))
		logs := must(G.BroadcastHadamardProd(q.mask.node, p.logStd, nil, []byte{0}))
		q.nll = must(G.Add(must(G.Mul(must(G.Sum(wsq)), half)), must(G.Sum(logs))))
	}
	wkl := must(G.Sum(must(G.HadamardProd(klm, q.klw.node))))
	q.loss = must(G.Div(must(G.Add(q.nll, wkl)), G.NewConstant(float64(b))))
	if grad {
		if _, err := G.Grad(q.loss, q.learn...); err != nil {
			return nil, errors.Wrap(err, "latent ODE gradient")
		}
		q.vm = G.NewTapeMachine(g, G.BindDualValues(q.learn...))
	} else {
		q.vm = G.NewTapeMachine(g)
	}
	return q, nil
}

// fill writes the batch rows of in (encoder) and target (likelihood), the noise and the
// KL weight; it returns the constant part of the negative log-likelihood.
func (q *latODEGraph) fill(m *ODE, in, target *Series, rows []int, noiseSeed, counter uint64, klw float64) float64 {
	q.enc.fill(in, rows)
	latNoise(q.eps.data, noiseSeed, counter)
	for i := range q.klw.data {
		q.klw.data[i] = klw
	}
	D := target.D
	nobs := 0.0
	for t := range q.times {
		for b, n := range rows {
			for d := 0; d < D; d++ {
				i := target.Index(n, t, d)
				k := (t*q.b+b)*D + d
				q.mask.data[k] = target.Mask[i]
				q.target.data[k] = 0
				if target.Mask[i] != 0 {
					q.target.data[k] = target.Values[i]
					nobs++
				}
			}
		}
	}
	cst := 0.5 * math.Log(2*math.Pi) * nobs
	if q.p.logStd == nil {
		cst += math.Log(m.cfg.ObsStd) * nobs
	}
	return cst
}

// negELBO is the negative ELBO per sequence of the last run.
func (q *latODEGraph) negELBO(cst float64) float64 {
	return (scalarOf(q.nll) + cst + scalarOf(q.kl)) / float64(q.b)
}

// Train fits the model to the target series from the input series by maximizing the
// ELBO with Adam: in holds what the encoder sees, target what the likelihood scores (both
// on the same grid, the same sequences; for interpolation, target has every observed
// value and in a subset; for extrapolation, in the values before a time and target all
// of them). It returns the loss (the negative ELBO per sequence, KL weight included
// fully) of every iteration.
func (m *ODE) Train(in, target *Series, cfg TrainConfig) ([]float64, error) {
	if err := checkPair(in, target, m.cfg.Dim); err != nil {
		return nil, errors.Wrap(err, "latent ODE train")
	}
	cfg = cfg.withDefaults(in.N)
	last := lastObserved(in)
	if last < 0 {
		return nil, errors.Wrap(ErrSeries, "latent ODE train: the input observes nothing")
	}
	q, err := m.buildELBO(cfg.Batch, in.Times, last, true)
	if err != nil {
		return nil, err
	}
	defer q.vm.Close()
	batches := latNewBatches(in.N, cfg.Batch, cfg.Seed)
	losses := make([]float64, 0, cfg.Iters)
	vg := G.NodesToValueGrads(q.learn)
	for it := 0; it < cfg.Iters; it++ {
		rows := batches.next()
		cst := q.fill(m, in, target, rows, cfg.Seed, uint64(it)+1, cfg.klWeight(it))
		if err := latRun(q.vm); err != nil {
			return losses, errors.Wrapf(err, "latent ODE train: iteration %d", it)
		}
		loss := q.negELBO(cst)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return losses, errors.Wrapf(odeop.ErrNonFinite, "latent ODE train: loss %v at iteration %d", loss, it)
		}
		losses = append(losses, loss)
		if err := cfg.Optimizer.Step(vg); err != nil {
			return losses, errors.Wrapf(err, "latent ODE train: optimizer step %d", it)
		}
		if cfg.Progress != nil {
			cfg.Progress(it, loss)
		}
	}
	return losses, nil
}

// Loss is the negative ELBO per sequence of target given in (single-sample estimate with
// noise from seed; KL weight 1), without training.
func (m *ODE) Loss(in, target *Series, seed uint64) (float64, error) {
	if err := checkPair(in, target, m.cfg.Dim); err != nil {
		return 0, errors.Wrap(err, "latent ODE loss")
	}
	last := lastObserved(in)
	if last < 0 {
		last = 0
	}
	q, err := m.buildELBO(in.N, in.Times, last, false)
	if err != nil {
		return 0, err
	}
	defer q.vm.Close()
	rows := make([]int, in.N)
	for i := range rows {
		rows[i] = i
	}
	cst := q.fill(m, in, target, rows, seed, 0, 1)
	if err := latRun(q.vm); err != nil {
		return 0, errors.Wrap(err, "latent ODE loss")
	}
	return q.negELBO(cst), nil
}

// Encode returns the mean and the log standard deviation of q(z0 | x) for every sequence
// of in (N*Latent values each, row-major).
func (m *ODE) Encode(in *Series) (mu, logStd []float64, err error) {
	if err := in.Validate(); err != nil {
		return nil, nil, errors.Wrap(err, "latent ODE encode")
	}
	if in.D != m.cfg.Dim {
		return nil, nil, errors.Wrapf(ErrSeries, "latent ODE encode: dimension %d, the model has %d", in.D, m.cfg.Dim)
	}
	g := G.NewGraph()
	p, err := m.parts(g)
	if err != nil {
		return nil, nil, err
	}
	last := max(lastObserved(in), 0)
	e, err := m.buildEncoder(g, p, in.N, in.Times, last)
	if err != nil {
		return nil, nil, err
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	rows := make([]int, in.N)
	for i := range rows {
		rows[i] = i
	}
	e.fill(in, rows)
	if err := latRun(vm); err != nil {
		return nil, nil, errors.Wrap(err, "latent ODE encode")
	}
	mu = append([]float64(nil), e.mu.Value().Data().([]float64)...)
	logStd = append([]float64(nil), e.logStd.Value().Data().([]float64)...)
	return mu, logStd, nil
}

// Decode solves the latent ODE from the latent states z0 (b*Latent values, at time t0) and
// returns the readout at times (b*len(times)*Dim values, laid out as Series.Values).
// times must be strictly increasing and not before t0.
func (m *ODE) Decode(z0 []float64, t0 float64, times []float64) ([]float64, error) {
	c := m.cfg
	if len(z0)%c.Latent != 0 || len(z0) == 0 {
		return nil, errors.Wrapf(ErrConfig, "latent ODE decode: %d values for latent dimension %d", len(z0), c.Latent)
	}
	b := len(z0) / c.Latent
	ts, skip, err := latQueryTimes(t0, times)
	if err != nil {
		return nil, errors.Wrap(err, "latent ODE decode")
	}
	ev, err := m.home.dec().Bind(m.home.decValues(), b, c.Latent)
	if err != nil {
		return nil, err
	}
	sol, err := odeop.Integrate(func(t float64, y, dy []float64) { ev.Eval(dy, t, y) }, z0, ts, odeop.IntegrateOptions(c.Decoder)...)
	if err != nil {
		return nil, errors.Wrap(err, "latent ODE decode")
	}
	net, err := m.home.out.NewNet(m.home.out.Values(), b)
	if err != nil {
		return nil, err
	}
	T := len(times)
	out := make([]float64, b*T*c.Dim)
	y := make([]float64, b*c.Dim)
	for k := range times {
		net.Forward(y, ts[k+skip], sol.Ys[k+skip])
		for i := 0; i < b; i++ {
			copy(out[(i*T+k)*c.Dim:(i*T+k+1)*c.Dim], y[i*c.Dim:(i+1)*c.Dim])
		}
	}
	return out, nil
}

// latQueryTimes prepends t0 to the query times when they do not start there; skip is the
// number of prepended times.
func latQueryTimes(t0 float64, times []float64) (ts []float64, skip int, err error) {
	if len(times) == 0 {
		return nil, 0, errors.Wrap(ErrSeries, "no query times")
	}
	for i, t := range times {
		if math.IsNaN(t) || (i > 0 && !(t > times[i-1])) {
			return nil, 0, errors.Wrapf(ErrSeries, "query times[%d] = %v; want strictly increasing times", i, t)
		}
	}
	if times[0] < t0 {
		return nil, 0, errors.Wrapf(ErrSeries, "query time %v before the initial time %v", times[0], t0)
	}
	if times[0] == t0 {
		return times, 0, nil
	}
	return append([]float64{t0}, times...), 1, nil
}

// Predict encodes the sequences of in and returns the predictive distribution at times
// (strictly increasing, not before in.Times[0]): samples draws of z0 from q(z0 | x), each
// decoded, with the Gaussian observation noise. samples = 0 decodes the posterior mean
// alone. seed seeds the draws.
func (m *ODE) Predict(in *Series, times []float64, samples int, seed uint64) (*Predictive, error) {
	mu, logStd, err := m.Encode(in)
	if err != nil {
		return nil, err
	}
	S := max(samples, 1)
	z0 := make([]float64, S*len(mu))
	eps := make([]float64, len(z0))
	if samples > 0 {
		latNoise(eps, seed, 0x7072656469637400)
	}
	for s := 0; s < S; s++ {
		for i := range mu {
			z0[s*len(mu)+i] = mu[i] + math.Exp(logStd[i])*eps[s*len(mu)+i]
		}
	}
	dec, err := m.Decode(z0, in.Times[0], times)
	if err != nil {
		return nil, err
	}
	per := in.N * len(times) * m.cfg.Dim
	p := &Predictive{Times: append([]float64(nil), times...), N: in.N, D: m.cfg.Dim, Std: m.ObsStd()}
	for s := 0; s < S; s++ {
		p.Samples = append(p.Samples, dec[s*per:(s+1)*per])
	}
	return p, nil
}

// Sample draws n sequences from the generative model at times: z0 from N(0, I), the
// latent ODE, the readout and (when noise) the observation noise.
func (m *ODE) Sample(n int, t0 float64, times []float64, noise bool, seed uint64) (*Series, error) {
	if n < 1 {
		return nil, errors.Wrapf(ErrConfig, "latent ODE sample: n = %d", n)
	}
	z0 := make([]float64, n*m.cfg.Latent)
	latNoise(z0, seed, 1)
	dec, err := m.Decode(z0, t0, times)
	if err != nil {
		return nil, err
	}
	s := NewSeries(times, n, m.cfg.Dim)
	copy(s.Values, dec)
	if noise {
		eps := make([]float64, len(dec))
		latNoise(eps, seed, 2)
		std := m.ObsStd()
		for i := range s.Values {
			s.Values[i] += std[i%m.cfg.Dim] * eps[i]
		}
	}
	for i := range s.Mask {
		s.Mask[i] = 1
	}
	return s, nil
}

// String describes the model and its sizes.
func (m *ODE) String() string {
	c := m.cfg
	return fmt.Sprintf("ODE(D=%d, latent %d, encoder GRU %d, units %d, %d parameters)", c.Dim, c.Latent, c.Hidden, c.Units, m.NumParams())
}
