package odeop

import (
	"math"

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
	// RaisedRtol, when positive, is the relative tolerance asked for, below MinRtol, which
	// the solve raised to MinRtol (see WithTol).
	RaisedRtol float64
	// The implicit methods' Newton iterations (zero for explicit methods): Jacobian
	// evaluations (each n evaluations of f by finite differences, counted in NFE too), LU
	// factorisations of the iteration matrix I - h*gamma*J, Newton iterations over all
	// stages, and Newton solves that failed to converge (each rejects its step).
	JacEvals, LUs, NewtonIters, NewtonFails int
}

// Add returns the sum of two Stats (RaisedRtol: the larger).
func (s Stats) Add(o Stats) Stats {
	return Stats{NFE: s.NFE + o.NFE, Steps: s.Steps + o.Steps, Rejected: s.Rejected + o.Rejected,
		RaisedRtol: math.Max(s.RaisedRtol, o.RaisedRtol), JacEvals: s.JacEvals + o.JacEvals, LUs: s.LUs + o.LUs,
		NewtonIters: s.NewtonIters + o.NewtonIters, NewtonFails: s.NewtonFails + o.NewtonFails}
}

// Method names a built-in Runge-Kutta method (explicit, or implicit: ImplicitMethods).
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
	// Kvaerno3, Kvaerno4 and Kvaerno5 are Kvaerno's (2004) L-stable ESDIRK methods of
	// orders 3, 4 and 5 with embedded estimates of orders 2, 3 and 4, for stiff problems:
	// every stage after the first is solved by a simplified Newton iteration (implicit.go).
	// Integrate and Solve; with Solve, the Adjoint gradient is an interpolating adjoint
	// (implicit_adjoint.go) and Checkpoint the discrete adjoint of the implicit steps
	// (implicit_checkpoint.go).
	Kvaerno3 Method = "kvaerno3"
	Kvaerno4 Method = "kvaerno4"
	Kvaerno5 Method = "kvaerno5"
)

// Norm measures a vector of scaled errors e_i / (atol + rtol*max(|y0_i|, |y1_i|)); a step is
// accepted when the norm is at most 1. RMSNorm is the default.
type Norm func(scaled []float64) float64

// GradientMethod is how the Solve node computes gradients: a strategy that may keep a
// record of the forward solve and computes every input's gradient in one backward pass.
// Adjoint and Checkpoint are the package's; a new method is a new type implementing it.
type GradientMethod interface {
	String() string
	// check refuses the options that contradict the method.
	check(c *config) error
	// record returns, for a forward solve from z0 with parameters theta, the hook it calls
	// at every accepted step and the record that hook fills (nil, nil: none).
	record(p *plan, z0 []float64, theta [][]float64) (func(t0, h, t1 float64, y0 []float64), any)
	// backward returns the flat gradient [dz0 | dtheta] of the solve op for the forward
	// output zs and its cotangent gzs, with rec the record of the forward solve (nil when
	// the op has not run forward), and the statistics of its solves.
	backward(op *solveOp, rec any, z0 []float64, theta [][]float64, zs, gzs []float64) ([]float64, Stats, error)
}

// The gradient methods.
var (
	// Adjoint solves the continuous adjoint equations backward in time (Chen et al. 2018).
	// Memory does not grow with the number of steps, but with an implicit method: that is
	// an interpolating adjoint, which keeps the forward steps' states (implicit_adjoint.go).
	Adjoint GradientMethod = adjoint{}
	// Checkpoint stores the accepted forward steps and backpropagates exactly through each
	// Runge-Kutta step (discretize-then-optimize). Memory grows with the number of steps.
	Checkpoint GradientMethod = checkpoint{}
)

// GradientMethods lists the gradient methods (to look one up by its String).
func GradientMethods() []GradientMethod { return []GradientMethod{Adjoint, Checkpoint} }

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
