package odeop

import (
	"fmt"
	"math"
	"strings"

	"github.com/pkg/errors"
)

// stiffLimit is the step size times the estimated Lipschitz constant from which an
// explicit method's steps are taken to be limited by stability rather than accuracy: the
// explicit methods' stability regions end on the negative real axis at h*|lambda| between
// 2 (Euler, Heun) and 6 (Dopri8), dopri5's at 3.3; an accuracy-limited step is far inside
// (h*|lambda| ~ tol^(1/p)).
const stiffLimit = 1.0

// stiffPower is the number of power iterations of stiffHint's estimate of |df/dy|.
const stiffPower = 12

// stiffHint adds to err (a step limit or a step size underflow of an explicit adaptive
// method) that the problem looks stiff, when it does: when h, the step the walk was about
// to take, times an estimate of the spectral radius of df/dy at the current state (t, y0),
// is at least stiffLimit. The estimate is stiffPower power iterations with Jacobian-vector
// products by forward differences of f (stiffPower evaluations, made only here: the solve
// has failed, and its buffers y1, yt and e are free). Implicit methods and fixed steps get
// err back unchanged.
func (s *solve) stiffHint(err error, t, h float64) error {
	r := s.r
	if r.nw != nil || !r.tb.Adaptive() || s.cfg.grid != nil {
		return err
	}
	v, yp, fp := r.y1, r.yt, r.e
	for i := range v {
		v[i] = 1 / math.Sqrt(float64(len(v)))
	}
	ynorm := math.Sqrt(dot(r.y0, r.y0))
	rho := 0.0
	for range stiffPower {
		eps := math.Sqrt(epsilon) * math.Max(1, ynorm)
		for i := range yp {
			yp[i] = r.y0[i] + eps*v[i]
		}
		r.f(t, yp, fp)
		r.nfe++
		for i := range v {
			v[i] = (fp[i] - r.k[0][i]) / eps
		}
		rho = math.Sqrt(dot(v, v))
		if !(rho > 0) || math.IsInf(rho, 0) {
			return err
		}
		for i := range v {
			v[i] /= rho
		}
	}
	hl := h * rho
	if !(hl >= stiffLimit) {
		return err
	}
	return errors.Wrapf(err, "the problem looks stiff (step %.3g times |df/dy| ~ %.3g is %.3g at t = %g, after %d steps and %d rejected): try an implicit method (%s)",
		h, rho, hl, t, s.st.Steps, s.st.Rejected, implicitNames())
}

func dot(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func implicitNames() string {
	var b strings.Builder
	for i, m := range ImplicitMethods() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s", m)
	}
	return b.String()
}
