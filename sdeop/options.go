package sdeop

import "fmt"

// Option configures Integrate, Solve and SolveKL. An option that a call does not use is
// an error naming it (ErrOption), never ignored.
type Option func(*config)

// DefaultMaxSteps bounds the number of steps of a solve unless WithMaxSteps says otherwise.
const DefaultMaxSteps = 10_000_000

// config holds every option; zero values mean "the documented default".
type config struct {
	method    Method
	step      float64
	stepSet   bool
	maxSteps  int
	seed      uint64
	seedSet   bool
	calculus  Calculus
	noise     Noise
	brownian  BrownianKind
	treeTol   float64
	grad      GradientMethod
	adjMethod Method
	resample  bool
	nodeOnly  []string // the options given that only Solve and SolveKL read
}

func newConfig(opts []Option) *config {
	c := &config{maxSteps: DefaultMaxSteps}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// nodeOption marks an option that only Solve and SolveKL read.
func nodeOption(name string, set func(*config)) Option {
	return func(c *config) {
		c.nodeOnly = append(c.nodeOnly, name)
		set(c)
	}
}

// WithMethod chooses the method (default: Euler for Ito SDEs, Midpoint for
// Stratonovich ones).
func WithMethod(m Method) Option { return func(c *config) { c.method = m } }

// WithStep sets the step size dt > 0 (required). Between consecutive output times the
// solver takes steps of dt, the last one shortened to land on the output time.
func WithStep(dt float64) Option { return func(c *config) { c.step, c.stepSet = dt, true } }

// WithMaxSteps bounds the total number of steps (default DefaultMaxSteps); a solve that
// would need more fails with ErrMaxSteps before it starts.
func WithMaxSteps(n int) Option { return func(c *config) { c.maxSteps = n } }

// WithSeed sets the seed of the Brownian path that Integrate makes when it is given no
// Brownian motion, and of the paths of a Solve node (default 0). Integrate refuses it
// when it is given a Brownian motion.
func WithSeed(seed uint64) Option { return func(c *config) { c.seed, c.seedSet = seed, true } }

// GradientMethod chooses how the Solve node computes gradients; each is a strategy
// (see gradients.go).
type GradientMethod int

const (
	// Adjoint solves the stochastic adjoint backward in time on the same Brownian path
	// (Li et al. 2020), or, after a ReversibleHeun forward solve, runs the reversible
	// Heun adjoint (Kidger et al. 2021), whose gradients are exact for the discrete
	// solve. Memory does not grow with the number of steps.
	Adjoint GradientMethod = iota
	// Checkpoint stores the state at the start of every forward step and
	// backpropagates exactly through each step (discretize-then-optimize). Memory
	// grows with the number of steps. Methods: Euler, Heun, Midpoint, EulerHeun,
	// ReversibleHeun.
	Checkpoint
)

// String names the gradient method.
func (g GradientMethod) String() string {
	if s, ok := gradients[g]; ok {
		return s.String()
	}
	return fmt.Sprintf("GradientMethod(%d)", int(g))
}

// BrownianKind chooses the Brownian motion that the Solve node builds from its seed.
type BrownianKind int

const (
	// IntervalPath is a BrownianInterval on [ts[0], ts[last]] told the step
	// (WithDtHint), with the space-time Levy area when the method needs it (SRK). The
	// default: increments over the steps cost one bridge sample each.
	IntervalPath BrownianKind = iota
	// TreePath is a virtual BrownianTree (Li et al. 2020) on [ts[0], ts[last]] with a
	// time tolerance (WithBrownian's tol; default 1e-5 of the span). It has no Levy
	// area, so SRK cannot use it.
	TreePath
)

// String names the kind of Brownian motion.
func (k BrownianKind) String() string {
	return enumName([]string{"interval", "tree"}, int(k), "BrownianKind")
}

// WithCalculus sets the calculus of the SDE that Solve integrates (default Ito).
// Integrate refuses it: it reads SDE.Calculus.
func WithCalculus(c Calculus) Option {
	return nodeOption("WithCalculus", func(cfg *config) { cfg.calculus = c })
}

// WithNoise sets the noise type of Solve: Diagonal (the default; g has the shape of z
// and the Brownian motion one component per entry of z) or Additive (the same, with g
// independent of z: the Ito and Stratonovich calculi coincide, and the Ito adjoint needs
// no correction). Integrate refuses it: it reads SDE.Noise.
func WithNoise(n Noise) Option {
	return nodeOption("WithNoise", func(cfg *config) { cfg.noise = n })
}

// WithBrownian chooses the Brownian motion of Solve (default IntervalPath); tol is the
// time tolerance of TreePath (0: 1e-5 of the span) and must be 0 for IntervalPath.
func WithBrownian(kind BrownianKind, tol float64) Option {
	return nodeOption("WithBrownian", func(cfg *config) { cfg.brownian, cfg.treeTol = kind, tol })
}

// WithGradient chooses how Solve computes gradients (default Adjoint).
func WithGradient(g GradientMethod) Option {
	return nodeOption("WithGradient", func(cfg *config) { cfg.grad = g })
}

// WithAdjointMethod chooses the method of the stochastic adjoint's backward solve, on
// the grid of the forward solve reversed: Midpoint (the default), EulerHeun or Heun
// (Stratonovich, derivative-free). After a ReversibleHeun forward solve the default is
// ReversibleHeun, the algebraically reversible adjoint with exact discrete gradients.
// Only the Adjoint gradient reads it.
func WithAdjointMethod(m Method) Option {
	return nodeOption("WithAdjointMethod", func(cfg *config) { cfg.adjMethod = m })
}

// WithResample makes every forward run of a Solve node draw a new Brownian path: run k
// (k = 0, 1, ... counted since the node was made or since SetSeed) uses the path of
// seed rng.Derive(seed, k), a deterministic sequence, and its gradient run uses the
// same path. Without it (the default) every run uses the path of the seed (WithSeed),
// so that a graph run twice gives the same numbers; a training loop wants
// WithResample(true), or SetSeed before each run.
func WithResample(on bool) Option {
	return nodeOption("WithResample", func(cfg *config) { cfg.resample = on })
}
