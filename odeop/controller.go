package odeop

import (
	"math"

	"github.com/pkg/errors"
)

// Controller is the step-size controller of adaptive methods: from the error norm of a
// step it decides acceptance and the next step. It never steps.
//
// With err_n the norm of the current step (accepted when err_n <= 1) and err_{n-1} that of
// the previous accepted step, the PI controller (Hairer, Norsett, Wanner I.II.4; Gustafsson)
// proposes
//
//	h_new = h * clamp(Safety * err_n^(-Alpha) * err_{n-1}^Beta, FacMin, FacMax)
//
// with Alpha = 1/(q+1) - 0.75*Beta for an embedded pair of lower order q. Beta = 0 is the
// plain I-controller of torchdiffeq.
//
// As in Hairer's DOPRI5: err_{n-1} starts at 1e-4, is floored at 1e-4, a rejected step is
// retried with h*max(FacMin, Safety*err_n^(-Alpha)) (no memory term), and the step after a
// rejection may not grow (unless GrowAfterReject). A zero Safety, FacMin or FacMax means
// its default; Beta is taken as given (0: I-controller), so start from DefaultController()
// to change one field.
type Controller struct {
	Safety float64 // default 0.9
	FacMin float64 // default 0.2
	FacMax float64 // default 10
	Beta   float64 // PI memory exponent; default 0.04 (Hairer's DOPRI5)

	// AcceptFacMin, when positive, replaces FacMin as the lower bound of the factor after an
	// accepted step. torchdiffeq's controller uses 1: an accepted step never shrinks the next.
	AcceptFacMin float64
	// GrowAfterReject lets the step right after a rejection grow (torchdiffeq); by default
	// it may not (Hairer).
	GrowAfterReject bool
}

// DefaultController returns the controller used when none is given.
//
// The choice is measured, not inherited: see ECONOMY.md (work-precision on DETEST-like
// non-stiff problems at tolerances 1e-3, 1e-6 and 1e-9 against torchdiffeq's
// configuration, go test -run TestEconomy -v ./odeop).
func DefaultController() Controller {
	return Controller{Safety: 0.9, FacMin: 0.2, FacMax: 10, Beta: 0.04}
}

// TorchdiffeqController returns torchdiffeq's step-size control (torchdiffeq/_impl/misc.py,
// _optimal_step_size): an I-controller with safety 0.9, ifactor 10 and dfactor 0.2 where
// dfactor only bounds rejected steps (an accepted step never shrinks the next one), and no
// rule against growing after a rejection.
func TorchdiffeqController() Controller {
	return Controller{Safety: 0.9, FacMin: 0.2, FacMax: 10, Beta: 0, AcceptFacMin: 1, GrowAfterReject: true}
}

// withDefaults fills zero fields and checks the values; errors wrap ErrOption.
func (c Controller) withDefaults() (Controller, error) {
	if c.Safety == 0 {
		c.Safety = 0.9
	}
	if c.FacMin == 0 {
		c.FacMin = 0.2
	}
	if c.FacMax == 0 {
		c.FacMax = 10
	}
	switch {
	case !(c.Safety > 0 && c.Safety <= 1):
		return c, errors.Wrapf(ErrOption, "controller Safety = %g, want 0 < Safety <= 1", c.Safety)
	case !(c.FacMin > 0 && c.FacMin < 1):
		return c, errors.Wrapf(ErrOption, "controller FacMin = %g, want 0 < FacMin < 1", c.FacMin)
	case !(c.FacMax > 1 && c.FacMax < math.Inf(1)):
		return c, errors.Wrapf(ErrOption, "controller FacMax = %g, want 1 < FacMax < Inf", c.FacMax)
	case !(c.Beta >= 0 && c.Beta <= 0.2):
		return c, errors.Wrapf(ErrOption, "controller Beta = %g, want 0 <= Beta <= 0.2", c.Beta)
	case !(c.AcceptFacMin >= 0 && c.AcceptFacMin <= 1):
		return c, errors.Wrapf(ErrOption, "controller AcceptFacMin = %g, want 0 <= AcceptFacMin <= 1", c.AcceptFacMin)
	}
	if c.AcceptFacMin == 0 {
		c.AcceptFacMin = c.FacMin
	}
	return c, nil
}

// stepControl is the controller's state over one solve.
type stepControl struct {
	Controller
	alpha    float64 // exponent of err_n
	errOld   float64 // err_{n-1}, floored at 1e-4
	rejected bool    // the previous attempt was rejected
}

func newStepControl(c Controller, errOrder int) stepControl {
	return stepControl{
		Controller: c,
		alpha:      1/float64(errOrder+1) - 0.75*c.Beta,
		errOld:     1e-4,
	}
}

// accept returns the factor for the step after an accepted step of error norm err.
func (sc *stepControl) accept(err float64) float64 {
	var fac float64
	if err == 0 {
		fac = sc.FacMax
	} else {
		fac = sc.Safety * math.Pow(err, -sc.alpha)
		if sc.Beta != 0 {
			fac *= math.Pow(sc.errOld, sc.Beta)
		}
		fac = math.Min(sc.FacMax, math.Max(sc.AcceptFacMin, fac))
	}
	if sc.rejected && !sc.GrowAfterReject && fac > 1 {
		fac = 1
	}
	sc.errOld = math.Max(err, 1e-4)
	sc.rejected = false
	return fac
}

// reject returns the factor for the retry of a rejected step of error norm err (NaN or
// Inf for a step whose stages were not finite).
func (sc *stepControl) reject(err float64) float64 {
	sc.rejected = true
	fac := sc.Safety * math.Pow(err, -sc.alpha)
	if !(fac >= sc.FacMin) { // also NaN
		fac = sc.FacMin
	}
	return math.Min(fac, 1)
}
