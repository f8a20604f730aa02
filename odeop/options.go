package odeop

import (
	"math"

	"github.com/pkg/errors"
)

// Option configures Integrate or Solve. Every option either takes effect or makes the
// call fail with an ErrOption (or ErrTolerance, ErrMethod) that names it: Integrate
// refuses the options that only Solve reads (WithGradient, WithSeminorm, WithAdjointTol),
// and both refuse contradictory settings. Where an option is given twice, the later one
// wins (WithMethod and WithTableau both choose the method), so that a list of defaults can
// be followed by a caller's options.
type Option struct {
	name      string // the option's function, for errors
	solveOnly bool
	set       func(*config)
}

// Defaults, as torchdiffeq.
const (
	DefaultRtol     = 1e-7
	DefaultAtol     = 1e-9
	DefaultMaxSteps = 100000
)

// MinRtol is the smallest relative tolerance a solve uses, 100 times the float64 machine
// epsilon (as scipy's solve_ivp): a smaller positive rtol asks for more than float64
// arithmetic can deliver (the error estimate is then rounding noise and the step count
// explodes), so it is raised to MinRtol and Stats.RaisedRtol says so.
const MinRtol = 100 * epsilon

// config holds every option; zero values mean "the documented default".
type config struct {
	plan     *plan // the method (WithMethod or WithTableau), resolved by check
	method   Method
	tableau  *Tableau // WithTableau's, validated by check
	byTb     bool     // the method is WithTableau's
	rtol     float64
	atol     float64
	step     float64 // fixed step, or initial step for adaptive methods (0: automatic)
	maxSteps int
	minStep  float64
	maxStep  float64
	norm     Norm
	ctrl     Controller // DefaultController() unless WithController

	// Solve only.
	grad     GradientMethod
	seminorm bool
	adjRtol  float64
	adjAtol  float64

	// internal hooks
	grid   []float64                             // replay these step boundaries (fixed grid), internal
	onStep func(t0, h, t1 float64, y0 []float64) // called for every accepted step, internal

	// events (event.go): the options of IntegrateEvent and SolveEvent, and the hook the
	// walk calls after every accepted step, which may end the solve
	ev       eventConfig
	onAccept func(r *rk, t0, h, t1 float64) (stop bool, err error)

	given     map[string]bool // the names of the options given
	raised    float64         // rtol as given, where check raised it to MinRtol (Stats.RaisedRtol)
	adjRaised float64         // the same for the adjoint's rtol
}

func newConfig(opts []Option) *config {
	c := &config{
		method:   Dopri5,
		rtol:     DefaultRtol,
		atol:     DefaultAtol,
		maxSteps: DefaultMaxSteps,
		ctrl:     DefaultController(),
		grad:     Adjoint,
		given:    map[string]bool{},
	}
	for _, o := range opts {
		if o.set != nil {
			o.set(c)
			c.given[o.name] = true
		}
	}
	if !c.given["WithAdjointTol"] {
		c.adjRtol, c.adjAtol = c.rtol, c.atol
	}
	if c.grad == nil {
		c.grad = Adjoint
	}
	return c
}

// check validates the options once, for Integrate (solve false) or Solve, and resolves
// the method's plan. Errors name the option.
func (c *config) check(solve bool) error {
	if err := c.checkEvent(); err != nil {
		return err
	}
	if !solve {
		for _, name := range []string{"WithGradient", "WithSeminorm", "WithAdjointTol"} {
			if c.given[name] {
				return errors.Wrapf(ErrOption, "%s applies to Solve only (Integrate has no gradient)", name)
			}
		}
	}
	switch {
	case c.plan != nil: // set by a test
	case c.byTb:
		if err := c.tableau.Validate(); err != nil {
			return errors.Wrap(err, "WithTableau")
		}
		c.plan = newPlan(c.tableau)
	default:
		p, err := planOf(c.method)
		if err != nil {
			return errors.Wrap(err, "WithMethod")
		}
		c.plan = p
	}
	tb := c.plan.tb
	var err error
	if c.rtol, c.atol, c.raised, err = checkTol("WithTol", c.rtol, c.atol); err != nil {
		return err
	}
	switch {
	case !(c.step >= 0 && c.step < math.Inf(1)):
		return errors.Wrapf(ErrOption, "WithStep: step = %g, want a finite value >= 0", c.step)
	case c.maxSteps <= 0:
		return errors.Wrapf(ErrOption, "WithMaxSteps: max steps = %d, want > 0", c.maxSteps)
	case !(c.minStep >= 0 && c.minStep < math.Inf(1)) || !(c.maxStep >= 0 && c.maxStep < math.Inf(1)):
		return errors.Wrapf(ErrOption, "WithStepBounds: step bounds [%g, %g], want finite values >= 0", c.minStep, c.maxStep)
	case c.minStep > 0 && c.maxStep > 0 && c.minStep > c.maxStep:
		return errors.Wrapf(ErrOption, "WithStepBounds: step bounds [%g, %g], want min <= max", c.minStep, c.maxStep)
	case !tb.Adaptive() && c.step == 0 && c.grid == nil:
		return errors.Wrapf(ErrOption, "method %s has a fixed step: WithStep(h) with h > 0 is required", tb.Name)
	}
	if !tb.Adaptive() {
		// fixed steps have no error control for these to shape (WithTol is accepted, so
		// that one list of options serves both kinds of method)
		for _, name := range []string{"WithNorm", "WithController", "WithStepBounds", "WithSeminorm", "WithAdjointTol"} {
			if c.given[name] {
				return errors.Wrapf(ErrOption, "%s: method %s has a fixed step and no error control", name, tb.Name)
			}
		}
	}
	if c.ctrl, err = c.ctrl.withDefaults(); err != nil {
		return errors.Wrap(err, "WithController")
	}
	if solve {
		if c.adjRtol, c.adjAtol, c.adjRaised, err = checkTol("WithAdjointTol", c.adjRtol, c.adjAtol); err != nil {
			return err
		}
		return c.grad.check(c)
	}
	return nil
}

// checkTol checks a pair of tolerances: finite, not negative, not both 0 (either may be 0:
// pure relative or pure absolute control). A positive rtol below MinRtol is raised to it;
// raised is then the rtol given (0 otherwise).
func checkTol(opt string, rtol, atol float64) (r, a, raised float64, err error) {
	switch {
	case !(rtol >= 0 && rtol < math.Inf(1)):
		return 0, 0, 0, errors.Wrapf(ErrTolerance, "%s: rtol = %g, want a finite value >= 0", opt, rtol)
	case !(atol >= 0 && atol < math.Inf(1)):
		return 0, 0, 0, errors.Wrapf(ErrTolerance, "%s: atol = %g, want a finite value >= 0", opt, atol)
	case rtol == 0 && atol == 0:
		return 0, 0, 0, errors.Wrapf(ErrTolerance, "%s: rtol = 0 and atol = 0, want one of them > 0", opt)
	case rtol > 0 && rtol < MinRtol:
		return MinRtol, atol, rtol, nil
	}
	return rtol, atol, 0, nil
}

// WithMethod chooses a built-in Runge-Kutta method (default Dopri5).
func WithMethod(m Method) Option {
	return Option{name: "WithMethod", set: func(c *config) { c.method, c.tableau, c.byTb = m, nil, false }}
}

// WithTableau makes the solve step with a tableau of the caller's (explicit, with or
// without an embedded error estimate: adaptive or fixed-step; or an ESDIRK method with
// Tableau.Diag), on the same engine as the built-in methods. A nil Dense gets the cubic
// Hermite interpolant on y0, f0, y1 and f(t1, y1) (third order; no extra evaluation). The solve fails with an ErrMethod when
// the tableau does not Validate. The tableau is copied; later changes to tb do not affect
// the solve.
func WithTableau(tb *Tableau) Option {
	var cp *Tableau
	if tb != nil {
		cp = &Tableau{Name: tb.Name, C: clone(tb.C), A: cloneRows(tb.A), B: clone(tb.B), Order: tb.Order,
			ErrOrder: tb.ErrOrder, FSAL: tb.FSAL, Dense: tb.Dense}
		if tb.BErr != nil {
			cp.BErr = clone(tb.BErr)
		}
		if tb.Diag != nil { // implicit (implicit_tableaus.go)
			cp.Diag, cp.pred = clone(tb.Diag), cloneRows(tb.pred)
		}
		if cp.Name == "" {
			cp.Name = "user tableau"
		}
		if cp.Dense == nil && len(cp.C) > 0 {
			cp.Dense = hermiteDense(cp.B, cp.DenseLen()-1)
		}
	}
	return Option{name: "WithMethod", set: func(c *config) { c.tableau, c.byTb = cp, true }}
}

// WithTol sets the relative and absolute tolerances of adaptive methods (defaults 1e-7,
// 1e-9). Either may be 0 (pure absolute or pure relative control), not both; a positive
// rtol below MinRtol is raised to MinRtol (Stats.RaisedRtol). Pure relative control needs
// the solution away from 0; so the Adjoint gradient, whose parameter adjoint starts at 0,
// refuses atol = 0 for its backward solve (WithAdjointTol sets that one's own).
func WithTol(rtol, atol float64) Option {
	return Option{name: "WithTol", set: func(c *config) { c.rtol, c.atol = rtol, atol }}
}

// WithStep sets the step of fixed-step methods, or the initial step of adaptive ones
// (default: Hairer's automatic initial step).
func WithStep(h float64) Option { return Option{name: "WithStep", set: func(c *config) { c.step = h }} }

// WithMaxSteps bounds the number of steps, accepted and rejected (default 100000); the
// solve fails with ErrMaxSteps at the limit.
func WithMaxSteps(n int) Option {
	return Option{name: "WithMaxSteps", set: func(c *config) { c.maxSteps = n }}
}

// WithStepBounds bounds the magnitude of adaptive steps (0 means unbounded).
func WithStepBounds(min, max float64) Option {
	return Option{name: "WithStepBounds", set: func(c *config) { c.minStep, c.maxStep = min, max }}
}

// WithNorm replaces the error norm of adaptive methods (default RMSNorm).
func WithNorm(n Norm) Option { return Option{name: "WithNorm", set: func(c *config) { c.norm = n }} }

// WithController replaces the step-size controller of adaptive methods (default
// DefaultController()).
func WithController(ctrl Controller) Option {
	return Option{name: "WithController", set: func(c *config) { c.ctrl = ctrl }}
}

// WithGradient chooses how Solve computes gradients (default, and for nil, Adjoint).
// Solve only.
func WithGradient(m GradientMethod) Option {
	return Option{name: "WithGradient", solveOnly: true, set: func(c *config) { c.grad = m }}
}

// WithSeminorm makes the adjoint's step control ignore the parameter-gradient channels
// (Kidger, Chen, Lyons 2021). Solve with the Adjoint gradient and an adaptive method only.
func WithSeminorm(on bool) Option {
	return Option{name: "WithSeminorm", solveOnly: true, set: func(c *config) { c.seminorm = on }}
}

// WithAdjointTol sets the tolerances of the adjoint's backward solve (default: the forward
// ones), as WithTol. Solve with the Adjoint gradient and an adaptive method only.
func WithAdjointTol(rtol, atol float64) Option {
	return Option{name: "WithAdjointTol", solveOnly: true, set: func(c *config) { c.adjRtol, c.adjAtol = rtol, atol }}
}

// IntegrateOptions returns the options of opts that Integrate reads: opts without those
// only Solve reads, for code that configures a Solve node and a plain Integrate of the
// same dynamics (sampling, inference) from one list.
func IntegrateOptions(opts []Option) []Option {
	var out []Option
	for _, o := range opts {
		if !o.solveOnly {
			out = append(out, o)
		}
	}
	return out
}
