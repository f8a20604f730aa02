package sdeop

// Option configures Integrate.
type Option func(*config)

// DefaultMaxSteps bounds the number of steps of a solve unless WithMaxSteps says otherwise.
const DefaultMaxSteps = 10_000_000

// config holds every option; zero values mean "the documented default".
type config struct {
	method   Method
	step     float64
	stepSet  bool
	maxSteps int
	seed     uint64
	node     nodeOptions // options of Solve and SolveKL (node_options.go)
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

// WithMethod chooses the method (default: Euler for Ito SDEs, Midpoint for
// Stratonovich ones).
func WithMethod(m Method) Option { return func(c *config) { c.method = m } }

// WithStep sets the step size dt > 0 (required). Between consecutive output times the
// solver takes steps of dt, the last one shortened to land on the output time.
func WithStep(dt float64) Option { return func(c *config) { c.step, c.stepSet = dt, true } }

// WithMaxSteps bounds the total number of steps (default DefaultMaxSteps); a solve that
// would need more fails with ErrMaxSteps before it starts.
func WithMaxSteps(n int) Option { return func(c *config) { c.maxSteps = n } }

// WithSeed sets the seed of the Brownian Interval that Integrate makes when it is given
// no Brownian motion (default 0).
func WithSeed(seed uint64) Option { return func(c *config) { c.seed = seed } }
