package layers

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
	"github.com/continuum-ml/continuum/internal/rng"
	"github.com/continuum-ml/continuum/odeop"
)

// Trace chooses how a CNF computes the divergence tr(∂f/∂z) of its network.
type Trace int

const (
	// TraceAuto is TraceExact for state dimensions up to ExactTraceMaxDim and
	// TraceHutchinson above.
	TraceAuto Trace = iota
	// TraceExact computes the trace exactly with D forward-mode (Jacobian-vector) products
	// through the network, one per coordinate direction, all in one batched pass: the cost
	// of an evaluation is about 1 + D network evaluations.
	TraceExact
	// TraceHutchinson estimates the trace by εᵀ(∂f/∂z)ε with one probe ε per sample
	// (Hutchinson 1989; FFJORD): one forward-mode product, an unbiased estimate. The probes
	// are part of the ODE state (see CNF), so one draw serves a whole solve, forward and
	// backward, as FFJORD does.
	TraceHutchinson
)

// ExactTraceMaxDim is the largest state dimension for which TraceAuto computes the trace
// exactly.
const ExactTraceMaxDim = 8

// String returns the estimator's name.
func (t Trace) String() string {
	switch t {
	case TraceAuto:
		return "auto"
	case TraceExact:
		return "exact"
	case TraceHutchinson:
		return "hutchinson"
	}
	return fmt.Sprintf("Trace(%d)", int(t))
}

// Probe is the distribution of Hutchinson probes.
type Probe int

const (
	// Rademacher probes have independent entries ±1 with equal probability (the lower
	// variance choice, FFJORD's default).
	Rademacher Probe = iota
	// Gaussian probes have independent standard normal entries.
	Gaussian
)

// String returns the probe distribution's name.
func (p Probe) String() string {
	switch p {
	case Rademacher:
		return "rademacher"
	case Gaussian:
		return "gaussian"
	}
	return fmt.Sprintf("Probe(%d)", int(p))
}

// FillProbes fills dst with independent probe entries of distribution p drawn from the
// stream of the given seed and key (internal/rng): the same arguments give the same probes.
func FillProbes(dst []float64, p Probe, seed, key uint64) {
	src := rng.NewStream(seed, key)
	switch p {
	case Gaussian:
		src.FillNormal(dst)
	default:
		for i := 0; i < len(dst); i += 64 {
			bits := src.Uint64()
			for j := i; j < len(dst) && j < i+64; j++ {
				dst[j] = float64(int64(bits&1)*2 - 1)
				bits >>= 1
			}
		}
	}
}

// CNFConfig configures a CNF. The zero value is an exact-trace flow over [0, 1] without
// regularizers.
type CNFConfig struct {
	// Trace chooses the divergence estimator (default TraceAuto).
	Trace Trace
	// T is the end time of the flow, which runs over [0, T] (default 1; FFJORD's toy
	// experiments use 0.5). With TrainT it is the initial value.
	T float64
	// TrainT makes the end time a learnable parameter, as FFJORD's train_T: the node
	// "<name>.sqrtT" holds √T, and T = √T² stays nonnegative. The solve then runs over
	// s ∈ [0, 1] with the time-rescaled dynamics g(s, z) = T·F(sT, z) (F the augmented
	// dynamics below), so the network still sees real time t = sT and the flow is the same
	// as over [0, T]; the gradient with respect to T, ∫ aᵀ(F + sT ∂F/∂t) ds, comes out of
	// the adjoint like any other parameter gradient.
	TrainT bool
	// KineticWeight, when positive, adds a state channel integrating the kinetic energy
	// ∫ |f(t, z)|² dt along each trajectory (Finlay et al. 2020); the weight is for the
	// model's loss (see KineticCol), the channel itself is unweighted.
	KineticWeight float64
	// JacobianWeight, when positive, adds a state channel integrating the squared
	// Frobenius norm ∫ |∂f/∂z|²_F dt along each trajectory (Finlay et al. 2020): exact
	// with TraceExact, the unbiased estimate |(∂f/∂z)ε|² with TraceHutchinson.
	JacobianWeight float64
}

// CNF is the augmented dynamics of a continuous normalizing flow (Chen et al. 2018;
// Grathwohl et al. 2019) around a network f: Rᴰ → Rᴰ (an MLP whose input and output
// widths are D). Its ODE state is a (batch, Width()) matrix whose row is
//
//	[ z (D) | Δlogp (1) | kinetic (1, optional) | Jacobian (1, optional) | ε (D, Hutchinson only) ]
//
// with the dynamics
//
//	dz/dt = f(t, z),  dΔlogp/dt = -tr(∂f/∂z),  dK/dt = |f|²,  dJ/dt = |∂f/∂z|²_F,  dε/dt = 0.
//
// Starting from [x, 0, 0, 0, ε] at t = 0, the state at T holds z(T) and Δlogp(T), and the
// change of variables gives log p(x) = log p_base(z(T)) - Δlogp(T). The Hutchinson probes ε
// ride along in the state (constant), so that forward and adjoint solves see the same
// probe for every sample without any hidden state; the caller draws them (FillProbes).
//
// CNF implements odeop.Dynamics natively: its vector-Jacobian products, which need second
// derivatives of f (the gradient of the trace), are computed by hand as reverse-over-
// forward differentiation of the MLP on flat slices, using the first and second
// derivatives of its activations. Solve it with odeop.Solve over Times().
//
// References:
//
//   - R. T. Q. Chen, Y. Rubanova, J. Bettencourt, D. Duvenaud (2018), "Neural Ordinary
//     Differential Equations", NeurIPS (section 4: continuous normalizing flows, the
//     instantaneous change of variables d log p/dt = -tr(∂f/∂z)).
//   - W. Grathwohl, R. T. Q. Chen, J. Bettencourt, I. Sutskever, D. Duvenaud (2019),
//     "FFJORD: Free-form Continuous Dynamics for Scalable Reversible Generative Models",
//     ICLR (Hutchinson's estimator with one probe per solve, ConcatSquash, trainable T).
//   - M. F. Hutchinson (1989), "A stochastic estimator of the trace of the influence matrix
//     for Laplacian smoothing splines", Comm. Statist. Simulation Comput. 18(3).
//   - C. Finlay, J.-H. Jacobsen, L. Nurbekyan, A. M. Oberman (2020), "How to train your
//     neural ODE: the world of Jacobian and kinetic regularization", ICML (the kinetic
//     and Jacobian-norm channels).
type CNF struct {
	f      *MLP
	cfg    CNFConfig
	trace  Trace // resolved
	d      int
	width  int
	colK   int // -1 when off
	colJ   int
	colE   int
	sqrtT  *G.Node
	params G.Nodes

	pool graphop.Pool[int, *cnfEval] // released evaluators by batch size (Max set by NewCNF)
}

var _ odeop.Dynamics = (*CNF)(nil)

// NewCNF wraps the network f (input and output width D) into CNF dynamics. With
// cfg.TrainT it creates the parameter node "<f.Name()>.sqrtT" (a vector of length 1) in f's
// graph.
func NewCNF(f *MLP, cfg CNFConfig) (*CNF, error) {
	if f == nil {
		return nil, errors.Wrap(ErrSpec, "cnf: nil network")
	}
	d := f.In()
	if f.Out() != d {
		return nil, errors.Wrapf(ErrSpec, "cnf: network %s maps %d inputs to %d outputs, want equal widths", f.Name(), d, f.Out())
	}
	if cfg.T == 0 {
		cfg.T = 1
	}
	if !(cfg.T > 0) || math.IsInf(cfg.T, 0) {
		return nil, errors.Wrapf(ErrSpec, "cnf: end time %g", cfg.T)
	}
	if cfg.KineticWeight < 0 || cfg.JacobianWeight < 0 || math.IsNaN(cfg.KineticWeight) || math.IsNaN(cfg.JacobianWeight) {
		return nil, errors.Wrapf(ErrSpec, "cnf: regularizer weights %g, %g", cfg.KineticWeight, cfg.JacobianWeight)
	}
	c := &CNF{f: f, cfg: cfg, d: d, colK: -1, colJ: -1, colE: -1}
	c.pool.Max = maxPooled
	switch cfg.Trace {
	case TraceAuto:
		c.trace = TraceExact
		if d > ExactTraceMaxDim {
			c.trace = TraceHutchinson
		}
	case TraceExact, TraceHutchinson:
		c.trace = cfg.Trace
	default:
		return nil, errors.Wrapf(ErrSpec, "cnf: unknown trace estimator %d", int(cfg.Trace))
	}
	c.width = d + 1
	if cfg.KineticWeight > 0 {
		c.colK = c.width
		c.width++
	}
	if cfg.JacobianWeight > 0 {
		c.colJ = c.width
		c.width++
	}
	if c.trace == TraceHutchinson {
		c.colE = c.width
		c.width += d
	}
	c.params = append(G.Nodes(nil), f.Params()...)
	if cfg.TrainT {
		ps := f.Params()
		if len(ps) == 0 {
			return nil, errors.Wrap(ErrSpec, "cnf: the network has no parameters to find its graph from")
		}
		g := ps[0].Graph()
		name := f.Name() + ".sqrtT"
		if len(g.ByName(name)) > 0 {
			return nil, errors.Wrapf(ErrSpec, "cnf: a node named %q is already in the graph", name)
		}
		v := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{math.Sqrt(cfg.T)}))
		c.sqrtT = G.NewVector(g, tensor.Float64, G.WithShape(1), G.WithName(name), G.WithValue(v))
		c.params = append(c.params, c.sqrtT)
	}
	return c, nil
}

// Net returns the network f.
func (c *CNF) Net() *MLP { return c.f }

// Config returns the configuration, with T the initial end time.
func (c *CNF) Config() CNFConfig { return c.cfg }

// TraceMethod returns the trace estimator in use (TraceAuto resolved).
func (c *CNF) TraceMethod() Trace { return c.trace }

// Dim returns D, the dimension of the data.
func (c *CNF) Dim() int { return c.d }

// Width returns the width of the augmented state.
func (c *CNF) Width() int { return c.width }

// LogPCol returns the column of Δlogp in the state (D).
func (c *CNF) LogPCol() int { return c.d }

// KineticCol returns the column of the kinetic-energy channel, or -1 without it.
func (c *CNF) KineticCol() int { return c.colK }

// JacobianCol returns the column of the Jacobian-norm channel, or -1 without it.
func (c *CNF) JacobianCol() int { return c.colJ }

// ProbeCol returns the first of the D columns of the Hutchinson probe, or -1 with the exact
// trace.
func (c *CNF) ProbeCol() int { return c.colE }

// SqrtT returns the node holding √T with TrainT, else nil.
func (c *CNF) SqrtT() *G.Node { return c.sqrtT }

// EndTime returns the current end time T (the value of SqrtT squared with TrainT).
func (c *CNF) EndTime() float64 {
	if c.sqrtT == nil {
		return c.cfg.T
	}
	v := floats(c.sqrtT)
	if len(v) != 1 {
		return math.NaN()
	}
	return v[0] * v[0]
}

// Times returns the interval to solve over: [0, T], or [0, 1] with TrainT (see
// CNFConfig.TrainT). Sampling solves it backward.
func (c *CNF) Times() []float64 {
	if c.sqrtT != nil {
		return []float64{0, 1}
	}
	return []float64{0, c.cfg.T}
}

// Params returns the network's parameter nodes, followed by SqrtT with TrainT.
func (c *CNF) Params() G.Nodes { return c.params }

// Values returns the current values of the parameter nodes, in the order of Params (the
// nodes' own backing slices).
func (c *CNF) Values() [][]float64 {
	vs := c.f.Values()
	if c.sqrtT != nil {
		vs = append(vs, floats(c.sqrtT))
	}
	return vs
}

// Check implements odeop.Dynamics: the state must be (batch, Width()).
func (c *CNF) Check(batch, dim int) error {
	if batch < 1 {
		return errors.Wrapf(ErrShape, "cnf %s: batch size %d", c.f.Name(), batch)
	}
	if dim != c.width {
		return errors.Wrapf(ErrShape, "cnf %s: state width %d, want %d (z: %d, logp: 1, regularizers: %d, probe: %d)",
			c.f.Name(), dim, c.width, c.d, c.numReg(), c.width-c.d-1-c.numReg())
	}
	return nil
}

func (c *CNF) numReg() int {
	n := 0
	if c.colK >= 0 {
		n++
	}
	if c.colJ >= 0 {
		n++
	}
	return n
}

// Bind implements odeop.Dynamics: it returns an evaluator of the augmented dynamics for
// states of shape (batch, Width()) with the parameter values theta (in the order of Params).
func (c *CNF) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	if err := c.Check(batch, dim); err != nil {
		return nil, err
	}
	if len(theta) != len(c.params) {
		return nil, errors.Wrapf(ErrShape, "cnf %s: %d parameter tensors, want %d", c.f.Name(), len(theta), len(c.params))
	}
	for i, n := range c.params {
		if want := n.Shape().TotalSize(); len(theta[i]) != want {
			return nil, errors.Wrapf(ErrShape, "cnf %s: parameter %s has %d values, want %d", c.f.Name(), n.Name(), len(theta[i]), want)
		}
	}
	return getCNFEval(c, theta, batch), nil
}
