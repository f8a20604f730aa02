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
	rh := newRevHeun(sys)
	rh.init(t0, y0)
	return &ReversibleHeunStepper{rh: rh}, nil
}

// Step advances the state from t to t + h with dW = W(t+h) - W(t) (length bmDim).
func (r *ReversibleHeunStepper) Step(t, h float64, dW []float64) {
	r.rh.checkDW(dW)
	r.rh.step(t, h, dW)
}

// ReverseStep undoes Step(t, h, dW): called with the same arguments on the state at
// t + h, it restores the state at t.
func (r *ReversibleHeunStepper) ReverseStep(t, h float64, dW []float64) {
	r.rh.checkDW(dW)
	r.rh.reverse(t, h, dW)
}

// State returns the stepper's own y, z, f and g (not copies): a caller may read them,
// or overwrite them to restart from another state.
func (r *ReversibleHeunStepper) State() (y, z, f, g []float64) {
	return r.rh.y, r.rh.z, r.rh.f, r.rh.g
}

// Stats returns the evaluations made so far (the initial ones included) and the steps
// taken (forward steps count one, reverse steps minus one).
func (r *ReversibleHeunStepper) Stats() Stats { return r.rh.sys.stats }

// revHeun holds the state and scratch of reversible Heun.
type revHeun struct {
	sys        *system
	y, z, f    []float64
	g, g1      []float64
	f1         []float64
	gdw0, gdw1 []float64
}

func newRevHeun(sys *system) *revHeun {
	v := newVecs(sys.n, 6)
	g := newVecs(sys.glen, 2)
	return &revHeun{sys: sys, y: v[0], z: v[1], f: v[2], f1: v[3], gdw0: v[4], gdw1: v[5], g: g[0], g1: g[1]}
}

func (r *revHeun) checkDW(dW []float64) {
	if len(dW) != r.sys.m {
		panic(errors.Errorf("sdeop: reversible Heun: dW has length %d, want %d", len(dW), r.sys.m).Error())
	}
}

func (r *revHeun) init(t float64, y0 []float64) {
	copy(r.y, y0)
	copy(r.z, y0)
	r.sys.f(t, r.z, r.f)
	r.sys.g(t, r.z, r.g)
}

// gdw sets dst = g dW.
func (r *revHeun) gdw(dst, g, dW []float64) {
	clear(dst)
	r.sys.prodAdd(dst, g, dW, 1)
}

func (r *revHeun) step(t, h float64, dW []float64) {
	y, z, f := r.y, r.z, r.f
	r.gdw(r.gdw0, r.g, dW)
	for i := range z {
		z[i] = 2*y[i] - z[i] + h*f[i] + r.gdw0[i]
	}
	r.sys.f(t+h, z, r.f1)
	r.sys.g(t+h, z, r.g1)
	r.gdw(r.gdw1, r.g1, dW)
	for i := range y {
		y[i] += 0.5*h*(f[i]+r.f1[i]) + 0.5*(r.gdw0[i]+r.gdw1[i])
	}
	r.f, r.f1 = r.f1, r.f
	r.g, r.g1 = r.g1, r.g
	r.sys.stats.Steps++
}

func (r *revHeun) reverse(t, h float64, dW []float64) {
	y, z, f1 := r.y, r.z, r.f
	r.gdw(r.gdw1, r.g, dW)
	for i := range z {
		z[i] = 2*y[i] - z[i] - h*f1[i] - r.gdw1[i]
	}
	f0, g0 := r.f1, r.g1
	r.sys.f(t, z, f0)
	r.sys.g(t, z, g0)
	r.gdw(r.gdw0, g0, dW)
	for i := range y {
		y[i] -= 0.5*h*(f0[i]+f1[i]) + 0.5*(r.gdw0[i]+r.gdw1[i])
	}
	r.f, r.f1 = f0, f1
	r.g, r.g1 = g0, r.g
	r.sys.stats.Steps--
}

// revHeunAdapter makes revHeun a stepper of Integrate: y is copied in and out of the
// stepper's state.
type revHeunAdapter struct{ *revHeun }

func (a *revHeunAdapter) init(t float64, y []float64) { a.revHeun.init(t, y) }

func (a *revHeunAdapter) step(t, h float64, y, dw, _ []float64) {
	a.revHeun.step(t, h, dw)
	copy(y, a.revHeun.y)
}
