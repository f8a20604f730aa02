package odeop

import (
	"github.com/pkg/errors"
)

// Func is the right-hand side of dy/dt = f(t, y). It writes f(t, y) into dydt and must
// not modify y or keep references to either slice.
type Func func(t float64, y, dydt []float64)

// Solution is the result of Integrate: Ys[i] = y(Ts[i]), Ys[0] = y0.
type Solution struct {
	Ts    []float64
	Ys    [][]float64
	Stats Stats
}

// Stats counts the work of a solve.
type Stats struct {
	NFE      int // right-hand side evaluations
	Steps    int // accepted steps
	Rejected int // rejected steps
}

// Add returns the sum of two Stats.
func (s Stats) Add(o Stats) Stats {
	return Stats{NFE: s.NFE + o.NFE, Steps: s.Steps + o.Steps, Rejected: s.Rejected + o.Rejected}
}

// Method names an explicit Runge-Kutta method.
type Method string

// The methods. Fixed-step methods take the step from WithStep (required); adaptive
// methods control the step with the tolerances of WithTol.
const (
	Euler        Method = "euler"
	Midpoint     Method = "midpoint"
	Heun         Method = "heun"
	RK4          Method = "rk4"
	AdaptiveHeun Method = "adaptive_heun"
	Fehlberg2    Method = "fehlberg2"
	Bosh3        Method = "bosh3"
	Dopri5       Method = "dopri5"
	// Dopri5Shampine is Dormand-Prince 5(4) with Shampine's error estimate instead of
	// Hairer's: torchdiffeq's dopri5. With WithController(TorchdiffeqController()) it
	// reproduces torchdiffeq's step sequence (to compare NFE like for like, or to repeat a
	// published run); Dopri5 with the default controller needs fewer evaluations at equal
	// error (ECONOMY.md).
	Dopri5Shampine Method = "dopri5_shampine"
	Tsit5          Method = "tsit5"
	Dopri8         Method = "dopri8"
)

// Norm measures a vector of scaled errors e_i / (atol + rtol*max(|y0_i|, |y1_i|)); a step is
// accepted when the norm is at most 1. RMSNorm is the default.
type Norm func(scaled []float64) float64

// GradientMethod chooses how the Solve node computes gradients.
type GradientMethod int

const (
	// Adjoint solves the continuous adjoint equations backward in time (Chen et al. 2018).
	// Memory does not grow with the number of steps.
	Adjoint GradientMethod = iota
	// Checkpoint stores the accepted forward steps and backpropagates exactly through each
	// Runge-Kutta step (discretize-then-optimize). Memory grows with the number of steps.
	Checkpoint
)

func (g GradientMethod) String() string {
	switch g {
	case Adjoint:
		return "adjoint"
	case Checkpoint:
		return "checkpoint"
	}
	return "unknown"
}

// Cause strips the wrappers that Gorgonia's machines put around an op's error (they hide
// it from errors.Is), so that errors.Is(odeop.Cause(err), odeop.ErrMaxSteps) works on
// the error RunAll returns.
func Cause(err error) error {
	for err != nil {
		e, ok := err.(interface{ Err() error })
		if !ok {
			return err
		}
		err = e.Err()
	}
	return err
}

// Sentinel errors; every error returned by this package wraps one of them, so callers can
// test with errors.Is.
var (
	ErrTimes     = errors.New("odeop: invalid output times")
	ErrState     = errors.New("odeop: invalid initial state")
	ErrTolerance = errors.New("odeop: invalid tolerance")
	ErrMethod    = errors.New("odeop: unknown method")
	ErrOption    = errors.New("odeop: invalid option")
	ErrUnderflow = errors.New("odeop: step size underflow")
	ErrMaxSteps  = errors.New("odeop: step limit reached")
	ErrNonFinite = errors.New("odeop: non-finite derivative")
	ErrShape     = errors.New("odeop: shape mismatch")
	ErrDynamics  = errors.New("odeop: dynamics failed")
	ErrNotRunYet = errors.New("odeop: node has not run")
)
