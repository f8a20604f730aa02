package odeop

// Option configures Integrate and Solve.
type Option func(*config)

// Defaults, as torchdiffeq.
const (
	DefaultRtol     = 1e-7
	DefaultAtol     = 1e-9
	DefaultMaxSteps = 100000
)

// config holds every option; zero values mean "the documented default".
type config struct {
	method   Method
	rtol     float64
	atol     float64
	step     float64 // fixed step, or initial step for adaptive methods (0: automatic)
	maxSteps int
	minStep  float64
	maxStep  float64
	norm     Norm
	ctrl     *Controller

	// Solve only.
	grad     GradientMethod
	seminorm bool
	adjRtol  float64
	adjAtol  float64

	// internal hooks
	grid   []float64                             // replay these step boundaries (fixed grid), internal
	onStep func(t0, h, t1 float64, y0 []float64) // called for every accepted step, internal

	errs []error // option errors, reported by Integrate/Solve
}

func newConfig(opts []Option) *config {
	c := &config{
		method:   Dopri5,
		rtol:     DefaultRtol,
		atol:     DefaultAtol,
		maxSteps: DefaultMaxSteps,
		grad:     Adjoint,
	}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	if c.adjRtol == 0 {
		c.adjRtol = c.rtol
	}
	if c.adjAtol == 0 {
		c.adjAtol = c.atol
	}
	return c
}

// WithMethod chooses the Runge-Kutta method (default Dopri5).
func WithMethod(m Method) Option { return func(c *config) { c.method = m } }

// WithTol sets the relative and absolute tolerances of adaptive methods (defaults 1e-7, 1e-9).
func WithTol(rtol, atol float64) Option {
	return func(c *config) { c.rtol, c.atol = rtol, atol }
}

// WithStep sets the step of fixed-step methods, or the initial step of adaptive ones
// (default: Hairer's automatic initial step).
func WithStep(h float64) Option { return func(c *config) { c.step = h } }

// WithMaxSteps bounds the number of steps, accepted and rejected (default 100000); the
// solve fails with ErrMaxSteps at the limit.
func WithMaxSteps(n int) Option { return func(c *config) { c.maxSteps = n } }

// WithStepBounds bounds the magnitude of adaptive steps (0 means unbounded).
func WithStepBounds(min, max float64) Option {
	return func(c *config) { c.minStep, c.maxStep = min, max }
}

// WithNorm replaces the error norm (default RMSNorm).
func WithNorm(n Norm) Option { return func(c *config) { c.norm = n } }

// WithController replaces the step-size controller (default DefaultController()).
func WithController(ctrl Controller) Option {
	return func(c *config) { cc := ctrl; c.ctrl = &cc }
}

// WithGradient chooses how Solve computes gradients (default Adjoint).
func WithGradient(m GradientMethod) Option { return func(c *config) { c.grad = m } }

// WithSeminorm makes the adjoint's step control ignore the parameter-gradient channels
// (Kidger, Chen, Lyons 2021). Adjoint only.
func WithSeminorm(on bool) Option { return func(c *config) { c.seminorm = on } }

// WithAdjointTol sets the tolerances of the adjoint's backward solve (default: the forward ones).
func WithAdjointTol(rtol, atol float64) Option {
	return func(c *config) { c.adjRtol, c.adjAtol = rtol, atol }
}
