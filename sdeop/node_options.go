package sdeop

import "fmt"

// GradientMethod chooses how the Solve node computes gradients.
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

func (g GradientMethod) String() string {
	switch g {
	case Adjoint:
		return "adjoint"
	case Checkpoint:
		return "checkpoint"
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

func (k BrownianKind) String() string {
	switch k {
	case IntervalPath:
		return "interval"
	case TreePath:
		return "tree"
	}
	return fmt.Sprintf("BrownianKind(%d)", int(k))
}

// nodeOptions are the options of Solve and SolveKL that Integrate does not use; they
// live in config.node. Zero values mean the documented defaults.
type nodeOptions struct {
	calculus  Calculus
	noise     Noise
	noiseSet  bool
	brownian  BrownianKind
	treeTol   float64
	grad      GradientMethod
	adjMethod Method
	resample  bool
}

// WithCalculus sets the calculus of the SDE that Solve integrates (default Ito, as
// SDE.Calculus). Ito SDEs are solved forward by an Ito method (Euler, Milstein, SRK);
// their stochastic adjoint is the Stratonovich one of the converted SDE, which needs the
// diffusion Evaluator to implement ItoCorrector unless the noise is additive.
func WithCalculus(c Calculus) Option {
	return func(cfg *config) { cfg.node.calculus = c }
}

// WithNoise sets the noise type of Solve: Diagonal (the default; g has the shape of z
// and the Brownian motion one component per entry of z) or Additive (the same, with g
// independent of z: the Ito and Stratonovich calculi coincide, and the Ito adjoint needs
// no correction).
func WithNoise(n Noise) Option {
	return func(cfg *config) { cfg.node.noise, cfg.node.noiseSet = n, true }
}

// WithBrownian chooses the Brownian motion of Solve (default IntervalPath); tol is the
// time tolerance of TreePath (0: 1e-5 of the span) and must be 0 for IntervalPath.
func WithBrownian(kind BrownianKind, tol float64) Option {
	return func(cfg *config) { cfg.node.brownian, cfg.node.treeTol = kind, tol }
}

// WithGradient chooses how Solve computes gradients (default Adjoint).
func WithGradient(g GradientMethod) Option {
	return func(cfg *config) { cfg.node.grad = g }
}

// WithAdjointMethod chooses the method of the stochastic adjoint's backward solve, on
// the grid of the forward solve reversed: Midpoint (the default), EulerHeun or Heun
// (Stratonovich, derivative-free). After a ReversibleHeun forward solve the default is
// ReversibleHeun, the algebraically reversible adjoint with exact discrete gradients.
func WithAdjointMethod(m Method) Option {
	return func(cfg *config) { cfg.node.adjMethod = m }
}

// WithResample makes every forward run of a Solve node draw a new Brownian path: run k
// (k = 0, 1, ... counted since the node was made or since SetSeed) uses the path of
// seed rng.Derive(seed, k), a deterministic sequence, and its gradient run uses the
// same path. Without it (the default) every run uses the path of the seed (WithSeed),
// so that a graph run twice gives the same numbers; a training loop wants
// WithResample(true), or SetSeed before each run.
func WithResample(on bool) Option {
	return func(cfg *config) { cfg.node.resample = on }
}
