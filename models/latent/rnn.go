package latent

import (
	"fmt"
	"math"
	"sort"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/rng"
	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

// RNNConfig configures the autoregressive recurrent models ODERNN and RNNDt. Zero fields
// take the documented defaults.
type RNNConfig struct {
	Name   string  // prefix of the parameter names (default "odernn" or "rnndt")
	Dim    int     // observed dimensions D (required)
	Hidden int     // hidden units of the GRU (default 20)
	Units  int     // width of the ODE-RNN's dynamics network (default 32)
	ObsStd float64 // standard deviation of the Gaussian observation model (default 0.05)
	Seed   uint64  // seeds the initial parameters
	// Transition are the solver options of the ODE-RNN's hidden dynamics between times
	// (default: odeop.RK4, steps of at most Step, Checkpoint gradients). RNNDt ignores them.
	Transition []odeop.Option `json:"-"`
	Step       float64        // default: 1/20 of the span of the grid
	// Feedback makes RNN-Δt roll out after a sequence's last observation: at every later
	// grid time it updates its state with its own prediction as if observed (Rubanova et
	// al.'s "feed previous" for extrapolation). The roll-out follows the grid, so the
	// predictions after the last observation depend on the query times. ODERNN ignores it.
	Feedback bool
}

// ODERNN is the ODE-RNN of Rubanova, Chen, Duvenaud (2019) used as an autoregressive
// model: a GRU updated at each observation ([x ⊙ m, m] as input, so missing values are
// never read) whose hidden state follows dh/dt = f(h) between observations; the
// prediction at any time is a linear readout of the hidden state evolved there from the
// observations before it. It extrapolates by letting the hidden state evolve.
type ODERNN struct{ latSeq }

// RNNDt is the RNN-Δt baseline of Rubanova et al. (2019): a GRU updated at each
// observation with [x ⊙ m, m, Δt] as input, Δt the time since the sequence's previous
// observation (or since the first grid time). Its prediction at any time t is the
// readout of the GRU advanced from its last state with no data and the gap to t
// ([0, 0, Δt]): the same cell, fed the time gap alone.
type RNNDt struct{ latSeq }

// NewODERNN creates an ODE-RNN with freshly initialized parameters.
func NewODERNN(cfg RNNConfig) (*ODERNN, error) {
	s, err := newLatSeq(cfg, true)
	if err != nil {
		return nil, err
	}
	return &ODERNN{*s}, nil
}

// NewRNNDt creates an RNN-Δt with freshly initialized parameters.
func NewRNNDt(cfg RNNConfig) (*RNNDt, error) {
	s, err := newLatSeq(cfg, false)
	if err != nil {
		return nil, err
	}
	return &RNNDt{*s}, nil
}

// latSeq is what ODERNN and RNNDt share.
type latSeq struct {
	cfg    RNNConfig
	ode    bool
	params *latParams
	home   *latSeqParts
}

type latSeqParts struct {
	gru *GRU
	f   *layers.MLP // ODE-RNN only
	out *layers.MLP
}

func (p *latSeqParts) nodes() G.Nodes {
	ns := append(G.Nodes{}, p.gru.Params()...)
	if p.f != nil {
		ns = append(ns, p.f.Params()...)
	}
	return append(ns, p.out.Params()...)
}

func newLatSeq(cfg RNNConfig, ode bool) (*latSeq, error) {
	if cfg.Dim < 1 {
		return nil, errors.Wrapf(ErrConfig, "recurrent model: Dim = %d; want the observed dimension", cfg.Dim)
	}
	if cfg.Name == "" {
		cfg.Name = "rnndt"
		if ode {
			cfg.Name = "odernn"
		}
	}
	if cfg.Hidden <= 0 {
		cfg.Hidden = 20
	}
	if cfg.Units <= 0 {
		cfg.Units = 32
	}
	if cfg.ObsStd <= 0 {
		cfg.ObsStd = 0.05
	}
	s := &latSeq{cfg: cfg, ode: ode, params: newLatParams()}
	var err error
	if s.home, err = s.parts(G.NewGraph()); err != nil {
		return nil, err
	}
	return s, nil
}

// Config returns the configuration with its defaults filled in.
func (s *latSeq) Config() RNNConfig { return s.cfg }

// NumParams is the number of scalar parameters.
func (s *latSeq) NumParams() int { return s.params.count() }

// Learnables returns the parameter nodes of the model's own graph (for checkpoints).
func (s *latSeq) Learnables() G.Nodes { return s.home.nodes() }

func (s *latSeq) in() int {
	if s.ode {
		return 2 * s.cfg.Dim
	}
	return 2*s.cfg.Dim + 1
}

func (s *latSeq) parts(g *G.ExprGraph) (*latSeqParts, error) {
	c := s.cfg
	p := &latSeqParts{}
	var err error
	if p.gru, err = NewGRU(g, c.Name+".gru", s.in(), c.Hidden, rng.Derive(c.Seed, 1)); err != nil {
		return nil, err
	}
	if s.ode {
		if p.f, err = layers.NewMLP(g, c.Name+".f", layers.Spec{In: c.Hidden, Seed: rng.Derive(c.Seed, 2),
			Layers: []layers.LayerSpec{layers.Linear(c.Units, layers.Tanh), layers.Linear(c.Hidden, nil)}}); err != nil {
			return nil, err
		}
	}
	if p.out, err = layers.NewMLP(g, c.Name+".out", layers.Spec{In: c.Hidden, Seed: rng.Derive(c.Seed, 3),
		Layers: []layers.LayerSpec{layers.Linear(c.Dim, nil)}}); err != nil {
		return nil, err
	}
	return p, s.params.adopt(p.nodes())
}

// latSeqGraph is the forward pass of a batch on a grid with its predictions at every time.
type latSeqGraph struct {
	g            *G.ExprGraph
	b            int
	times        []float64
	steps        []latStepInputs
	pin          []latInput // RNN-Δt: the prediction inputs [0, 0, Δt]
	fb, fbx      []latInput // RNN-Δt with Feedback: the roll-out gate and the input [1, Δt]
	pred         *G.Node    // (T*b, D), time-major
	target, mask latInput
	loss, sse    *G.Node
	learn        G.Nodes
	vm           G.VM
}

func (s *latSeq) build(b int, times []float64, grad bool) (*latSeqGraph, error) {
	c := s.cfg
	g := G.NewGraph()
	p, err := s.parts(g)
	if err != nil {
		return nil, err
	}
	T := len(times)
	q := &latSeqGraph{g: g, b: b, times: times, learn: p.nodes(),
		target: newLatInput(g, c.Name+".target", T*b, c.Dim),
		mask:   newLatInput(g, c.Name+".mask", T*b, c.Dim)}
	order := make([]int, T)
	for i := range order {
		order[i] = i
		q.steps = append(q.steps, newLatStepInputs(g, c.Name, i, b, s.in()))
	}
	h0 := G.NewMatrix(g, tensor.Float64, G.WithShape(b, c.Hidden), G.WithName(c.Name+".h0"), G.WithInit(G.Zeroes()))
	var states []*G.Node
	if s.ode {
		rec := &latRecurrence{gru: p.gru, f: p.f, opts: encoderOpts(c.Transition, c.Step, times[T-1]-times[0])}
		if states, _, err = rec.run(h0, times, order, q.steps); err != nil {
			return nil, errors.Wrap(err, "ODE-RNN")
		}
	} else {
		h := h0
		var preds []*G.Node
		for i := range times {
			q.pin = append(q.pin, newLatInput(g, fmt.Sprintf("%s.p%d", c.Name, i), b, s.in()))
			ph, err := p.gru.Step(h, q.pin[i].node, nil)
			if err != nil {
				return nil, err
			}
			states = append(states, ph)
			if h, err = p.gru.Step(h, q.steps[i].x.node, q.steps[i].o.node); err != nil {
				return nil, err
			}
			if !c.Feedback {
				continue
			}
			y, err := p.out.Fwd(ph)
			if err != nil {
				return nil, err
			}
			preds = append(preds, y)
			q.fb = append(q.fb, newLatInput(g, fmt.Sprintf("%s.fb%d", c.Name, i), b))
			q.fbx = append(q.fbx, newLatInput(g, fmt.Sprintf("%s.fbx%d", c.Name, i), b, c.Dim+1))
			x := G.Must(G.Concat(1, y, q.fbx[i].node))
			if h, err = p.gru.Step(h, x, q.fb[i].node); err != nil {
				return nil, err
			}
		}
		if c.Feedback {
			q.pred = preds[0]
			if T > 1 {
				q.pred = G.Must(G.Concat(0, preds...))
			}
		}
	}
	must := G.Must
	if q.pred == nil {
		all := states[0]
		if T > 1 {
			all = must(G.Concat(0, states...))
		}
		if q.pred, err = p.out.Fwd(all); err != nil {
			return nil, err
		}
	}
	diff := must(G.Sub(q.pred, q.target.node))
	q.sse = must(G.Sum(must(G.HadamardProd(must(G.Square(diff)), q.mask.node))))
	q.loss = must(G.Mul(q.sse, G.NewConstant(0.5/(c.ObsStd*c.ObsStd)/float64(b))))
	if grad {
		if _, err := G.Grad(q.loss, q.learn...); err != nil {
			return nil, errors.Wrap(err, "recurrent model gradient")
		}
		q.vm = G.NewTapeMachine(g, G.BindDualValues(q.learn...))
	} else {
		q.vm = G.NewTapeMachine(g)
	}
	return q, nil
}

// fill writes the inputs of the sequences rows of in and the targets; it returns the
// number of target values.
func (q *latSeqGraph) fill(s *latSeq, in, target *Series, rows []int) float64 {
	lastT := make([]float64, len(rows))
	started := make([]bool, len(rows))
	lastObs := make([]int, len(rows)) // the last grid index each row observes (-1: none)
	for b, n := range rows {
		lastT[b] = in.Times[0]
		lastObs[b] = -1
		for i := len(in.Times) - 1; i >= 0; i-- {
			if in.ObservedAt(n, i) {
				lastObs[b] = i
				break
			}
		}
	}
	dt := make([]float64, len(rows))
	for i, t := range in.Times {
		for b := range rows {
			dt[b] = t - lastT[b]
		}
		st := &q.steps[i]
		if s.ode {
			fillStep(st, in, rows, i, nil)
		} else {
			fillStep(st, in, rows, i, dt)
			w := s.in()
			for b := range rows {
				row := q.pin[i].data[b*w : (b+1)*w]
				clear(row)
				row[w-1] = dt[b]
			}
		}
		for b := range rows {
			st.s.data[b] = 0
			if started[b] {
				st.s.data[b] = 1
			}
			if st.o.data[b] != 0 {
				started[b] = true
				lastT[b] = t
			}
		}
		if len(q.fb) > 0 {
			// The roll-out after the last observation feeds the prediction back with the
			// gap since the previous update (observed or fed back).
			D := in.D
			for b := range rows {
				q.fb[i].data[b] = 0
				row := q.fbx[i].data[b*(D+1) : (b+1)*(D+1)]
				for d := 0; d < D; d++ {
					row[d] = 1
				}
				row[D] = dt[b]
				if lastObs[b] >= 0 && i > lastObs[b] {
					q.fb[i].data[b] = 1
					lastT[b] = t
				}
			}
		}
	}
	nobs := 0.0
	if target == nil {
		return 0
	}
	D := target.D
	for t := range q.times {
		for b, n := range rows {
			for d := 0; d < D; d++ {
				i := target.Index(n, t, d)
				k := (t*q.b+b)*D + d
				q.mask.data[k], q.target.data[k] = target.Mask[i], 0
				if target.Mask[i] != 0 {
					q.target.data[k] = target.Values[i]
					nobs++
				}
			}
		}
	}
	return nobs
}

// negLogLik is the negative log-likelihood per sequence of the last run.
func (q *latSeqGraph) negLogLik(s *latSeq, nobs float64) float64 {
	sd := s.cfg.ObsStd
	return (scalarOf(q.sse)/(2*sd*sd) + nobs*(math.Log(sd)+0.5*math.Log(2*math.Pi))) / float64(q.b)
}

// Train fits the model by maximizing the Gaussian log-likelihood of target's values,
// each predicted from the observations of in before it, with Adam (see ODE.Train
// for in and target). It returns the loss (negative log-likelihood per sequence) of every
// iteration.
func (s *latSeq) Train(in, target *Series, cfg TrainConfig) ([]float64, error) {
	if err := checkPair(in, target, s.cfg.Dim); err != nil {
		return nil, errors.Wrap(err, "recurrent model train")
	}
	cfg = cfg.withDefaults(in.N)
	q, err := s.build(cfg.Batch, in.Times, true)
	if err != nil {
		return nil, err
	}
	defer q.vm.Close()
	batches := latNewBatches(in.N, cfg.Batch, cfg.Seed)
	vg := G.NodesToValueGrads(q.learn)
	losses := make([]float64, 0, cfg.Iters)
	for it := 0; it < cfg.Iters; it++ {
		rows := batches.next()
		nobs := q.fill(s, in, target, rows)
		if err := latRun(q.vm); err != nil {
			return losses, errors.Wrapf(err, "recurrent model train: iteration %d", it)
		}
		loss := q.negLogLik(s, nobs)
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return losses, errors.Wrapf(odeop.ErrNonFinite, "recurrent model train: loss %v at iteration %d", loss, it)
		}
		losses = append(losses, loss)
		if err := cfg.Optimizer.Step(vg); err != nil {
			return losses, errors.Wrapf(err, "recurrent model train: optimizer step %d", it)
		}
		if cfg.Progress != nil {
			cfg.Progress(it, loss)
		}
	}
	return losses, nil
}

// Loss is the negative log-likelihood per sequence of target given in.
func (s *latSeq) Loss(in, target *Series) (float64, error) {
	if err := checkPair(in, target, s.cfg.Dim); err != nil {
		return 0, errors.Wrap(err, "recurrent model loss")
	}
	q, err := s.build(in.N, in.Times, false)
	if err != nil {
		return 0, err
	}
	defer q.vm.Close()
	nobs := q.fill(s, in, target, latAll(in.N))
	if err := latRun(q.vm); err != nil {
		return 0, errors.Wrap(err, "recurrent model loss")
	}
	return q.negLogLik(s, nobs), nil
}

func latAll(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}

// Predict returns the prediction at times (strictly increasing, not before
// in.Times[0]) of every sequence of in, each from the observations before it; the
// distribution is Gaussian with the model's observation noise around one deterministic
// path.
func (s *latSeq) Predict(in *Series, times []float64) (*Predictive, error) {
	if err := in.Validate(); err != nil {
		return nil, errors.Wrap(err, "recurrent model predict")
	}
	if in.D != s.cfg.Dim {
		return nil, errors.Wrapf(ErrSeries, "recurrent model predict: dimension %d, the model has %d", in.D, s.cfg.Dim)
	}
	if _, _, err := latQueryTimes(in.Times[0], times); err != nil {
		return nil, errors.Wrap(err, "recurrent model predict")
	}
	u, idx := regrid(in, times)
	q, err := s.build(u.N, u.Times, false)
	if err != nil {
		return nil, err
	}
	defer q.vm.Close()
	q.fill(s, u, nil, latAll(u.N))
	if err := latRun(q.vm); err != nil {
		return nil, errors.Wrap(err, "recurrent model predict")
	}
	pred := q.pred.Value().Data().([]float64)
	D, T := s.cfg.Dim, len(times)
	out := make([]float64, u.N*T*D)
	for n := 0; n < u.N; n++ {
		for k, i := range idx {
			copy(out[(n*T+k)*D:(n*T+k+1)*D], pred[(i*u.N+n)*D:(i*u.N+n+1)*D])
		}
	}
	std := make([]float64, D)
	for i := range std {
		std[i] = s.cfg.ObsStd
	}
	return &Predictive{Times: append([]float64(nil), times...), N: in.N, D: D, Samples: [][]float64{out}, Std: std}, nil
}

// regrid places the observations of s on the union of its grid and times; idx gives the
// index of each of times in the new grid.
func regrid(s *Series, times []float64) (*Series, []int) {
	all := append(append([]float64(nil), s.Times...), times...)
	sort.Float64s(all)
	grid := latDedupe(all)
	u := NewSeries(grid, s.N, s.D)
	for t, tt := range s.Times {
		k := sort.SearchFloat64s(grid, tt)
		for n := 0; n < s.N; n++ {
			for d := 0; d < s.D; d++ {
				u.Values[u.Index(n, k, d)] = s.Values[s.Index(n, t, d)]
				u.Mask[u.Index(n, k, d)] = s.Mask[s.Index(n, t, d)]
			}
		}
	}
	idx := make([]int, len(times))
	for i, t := range times {
		idx[i] = sort.SearchFloat64s(grid, t)
	}
	return u, idx
}

func (s *latSeq) String() string {
	kind := "RNNDt"
	if s.ode {
		kind = "ODERNN"
	}
	return fmt.Sprintf("%s(D=%d, GRU %d, %d parameters)", kind, s.cfg.Dim, s.cfg.Hidden, s.NumParams())
}
