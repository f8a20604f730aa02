package sdeop

import (
	"github.com/pkg/errors"
)

// ReversibleHeunStepper is the reversible Heun method of Kidger et al. (2021) with its
// full state (y, z, f, g): y the solution, z an auxiliary state, f = Drift(t, z) and
// g = Diffusion(t, z). A step from t to t + h with dW = W(t+h) - W(t) is
//
//	z1 = 2 y - z + f h + g dW
//	f1, g1 = Drift(t+h, z1), Diffusion(t+h, z1)
//	y1 = y + (f + f1) h/2 + (g + g1) dW/2
//
// and is algebraically invertible: ReverseStep recovers (y, z, f, g) from (y1, z1, f1,
// g1) with one drift and one diffusion evaluation,
//
//	z = 2 y1 - z1 - f1 h - g1 dW,  f, g = Drift(t, z), Diffusion(t, z),
//	y = y1 - (f + f1) h/2 - (g + g1) dW/2,
//
// exactly up to rounding. This is what gives reversible Heun exact gradients with O(1)
// memory: the backward pass reconstructs each forward state instead of storing it.
// Stratonovich (or additive noise); every noise type.
//
// A stepper is used by one goroutine at a time.
type ReversibleHeunStepper struct {
	rh *revHeun
	y  []float64
}

// NewReversibleHeunStepper returns the stepper of sde at (t0, y0), for a Brownian
// motion of dimension bmDim (see Noise for the dimensions each noise type needs). It
// evaluates the drift and diffusion at (t0, y0) and copies y0.
func NewReversibleHeunStepper(sde SDE, t0 float64, y0 []float64, bmDim int) (*ReversibleHeunStepper, error) {
	if len(y0) == 0 {
		return nil, errors.Wrap(ErrState, "reversible Heun: empty initial state")
	}
	if err := checkFinite(y0); err != nil {
		return nil, errors.Wrap(err, "reversible Heun")
	}
	sys, err := newSystem(sde, len(y0), bmDim)
	if err != nil {
		return nil, errors.Wrap(err, "reversible Heun")
	}
	if _, calcOK := methods[ReversibleHeun].supports(sde.Noise, sde.Calculus); !calcOK {
		return nil, errors.Wrapf(ErrUnsupported, "reversible Heun: %v calculus (Stratonovich only, or additive noise)", sde.Calculus)
	}
	r := &ReversibleHeunStepper{rh: newRevHeun(sys), y: append([]float64(nil), y0...)}
	r.rh.init(t0, y0)
	return r, nil
}

// Step advances the state from t to t + h with dW = W(t+h) - W(t) (length bmDim).
func (r *ReversibleHeunStepper) Step(t, h float64, dW []float64) {
	r.checkDW(dW)
	r.rh.step(t, h, r.y, dW, nil)
	r.rh.sys.stats.Steps++
}

// ReverseStep undoes Step(t, h, dW): called with the same arguments on the state at
// t + h, it restores the state at t.
func (r *ReversibleHeunStepper) ReverseStep(t, h float64, dW []float64) {
	r.checkDW(dW)
	r.rh.reverse(t, h, r.y, dW)
	r.rh.sys.stats.Steps--
}

// State returns the stepper's own y, z, f and g (not copies): a caller may read them,
// or overwrite them to restart from another state.
func (r *ReversibleHeunStepper) State() (y, z, f, g []float64) {
	return r.y, r.rh.yh, r.rh.fh, r.rh.gh
}

// Stats returns the evaluations made so far (the initial ones included) and the steps
// taken (forward steps count one, reverse steps minus one).
func (r *ReversibleHeunStepper) Stats() Stats { return r.rh.sys.stats }

func (r *ReversibleHeunStepper) checkDW(dW []float64) {
	if len(dW) != r.rh.sys.bmDim {
		panic(errors.Errorf("sdeop: reversible Heun: dW has length %d, want %d", len(dW), r.rh.sys.bmDim).Error())
	}
}

// revHeun is the stepper of reversible Heun on a system: its state beyond y is the
// auxiliary state yh and the drift fh and diffusion gh at yh. The step and its exact
// reverse are two kernels (aux, sol) run forward with (h, +1) and backward with (-h,
// -1); the reversible adjoint runs the same kernels around its VJPs.
type revHeun struct {
	sys        *system
	yh, fh, gh []float64
	f1, g1     []float64
	xi         []float64 // scalar noise: the increment of each state
	u0, u1     []float64 // general noise: G dW
}

func newRevHeun(sys *system) *revHeun {
	v := newVecs(sys.m, 3)
	g := newVecs(sys.glen, 2)
	r := &revHeun{sys: sys, yh: v[0], fh: v[1], f1: v[2], gh: g[0], g1: g[1]}
	if !sys.elementwise() {
		u := newVecs(sys.n, 3)
		r.u0, r.u1, r.xi = u[0], u[1], u[2]
	}
	return r
}

func (r *revHeun) init(t float64, y []float64) {
	copy(r.yh, y)
	r.sys.f(t, r.yh, r.fh)
	r.sys.g(t, r.yh, r.gh)
}

func (r *revHeun) step(t, h float64, y, dw, _ []float64) {
	r.aux(r.yh, y, r.fh, r.gh, dw, h, 1)
	r.sys.f(t+h, r.yh, r.f1)
	r.sys.g(t+h, r.yh, r.g1)
	r.sol(y, r.fh, r.f1, r.gh, r.g1, dw, 0.5*h, 1)
	r.fh, r.f1 = r.f1, r.fh
	r.gh, r.g1 = r.g1, r.gh
}

// reverse undoes step(t, h, y, dw) on the state at t + h.
func (r *revHeun) reverse(t, h float64, y, dw []float64) {
	r.aux(r.yh, y, r.fh, r.gh, dw, -h, -1)
	r.sys.f(t, r.yh, r.f1)
	r.sys.g(t, r.yh, r.g1)
	r.sol(y, r.f1, r.fh, r.g1, r.gh, dw, -0.5*h, -1)
	r.fh, r.f1 = r.f1, r.fh
	r.gh, r.g1 = r.g1, r.gh
}

// aux is the auxiliary step yh = 2 y - yh + h f + sg G(g) dW (sg = -1, h negated:
// its inverse).
func (r *revHeun) aux(yh, y, f, g, dw []float64, h, sg float64) {
	n := r.sys.n
	if r.sys.elementwise() {
		revHat(yh[:n], y, f, g, dw, h, sg)
	} else {
		revHat(yh[:n], y, f, r.prod(r.u0, g, dw), nil, h, sg)
	}
	revHat(yh[n:], y[n:], f[n:], nil, nil, h, 1)
}

// sol is the solution step y += hh (f0 + f1) + sg (G(g0) + G(g1)) dW / 2 (hh = h/2; sg
// = -1, hh = -h/2: its inverse).
func (r *revHeun) sol(y, f0, f1, g0, g1, dw []float64, hh, sg float64) {
	n := r.sys.n
	if r.sys.elementwise() {
		revSol(y[:n], f0, f1, g0, g1, dw, hh, sg)
	} else {
		revSol(y[:n], f0, f1, r.prod(r.u0, g0, dw), r.prod(r.u1, g1, dw), nil, hh, sg)
	}
	revSol(y[n:], f0[n:], f1[n:], nil, nil, nil, hh, 1)
}

// prod writes G(g) dW into dst (scalar and general noise).
func (r *revHeun) prod(dst, g, dw []float64) []float64 {
	clear(dst)
	r.sys.prodAdd(dst, g, dw, 1)
	return dst
}

// revHat writes yh = 2y - yh + h fh + sg gh ⊙ dw (gh == nil: no noise term; dw == nil:
// gh is G dW already).
func revHat(yh, y, fh, gh, dw []float64, h, sg float64) {
	n := len(yh)
	y, fh = y[:n], fh[:n]
	switch {
	case gh == nil:
		for i := range yh {
			yh[i] = 2*y[i] - yh[i] + h*fh[i]
		}
	case dw == nil:
		gh = gh[:n]
		for i := range yh {
			yh[i] = 2*y[i] - yh[i] + h*fh[i] + sg*gh[i]
		}
	default:
		gh, dw = gh[:n], dw[:n]
		for i := range yh {
			yh[i] = 2*y[i] - yh[i] + h*fh[i] + sg*gh[i]*dw[i]
		}
	}
}

// revSol writes y += hh (f0 + f1) + sg (g0 + g1) ⊙ dw / 2 (g0 == nil: no noise term;
// dw == nil: g0, g1 are G dW already).
func revSol(y, f0, f1, g0, g1, dw []float64, hh, sg float64) {
	n := len(y)
	f0, f1 = f0[:n], f1[:n]
	switch {
	case g0 == nil:
		for i := range y {
			y[i] += hh * (f0[i] + f1[i])
		}
	case dw == nil:
		g0, g1 = g0[:n], g1[:n]
		for i := range y {
			y[i] += hh*(f0[i]+f1[i]) + 0.5*sg*(g0[i]+g1[i])
		}
	default:
		g0, g1, dw = g0[:n], g1[:n], dw[:n]
		for i := range y {
			y[i] += hh*(f0[i]+f1[i]) + 0.5*sg*(g0[i]+g1[i])*dw[i]
		}
	}
}
