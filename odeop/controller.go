package odeop

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
type Controller struct {
	Safety float64 // default 0.9
	FacMin float64 // default 0.2
	FacMax float64 // default 10
	Beta   float64 // PI memory exponent; default 0.04 (Hairer's DOPRI5)
}

// DefaultController returns the controller used when none is given.
func DefaultController() Controller {
	return Controller{Safety: 0.9, FacMin: 0.2, FacMax: 10, Beta: 0.04}
}
