package sdeop

import (
	"github.com/pkg/errors"
)

// Integrate solves the SDE from y(ts[0]) = y0 on the Brownian path bm and returns the
// solution at every time of ts, with fixed steps (WithStep is required). ts must be
// strictly increasing, or strictly decreasing: a decreasing ts integrates backward in
// time on the same path, which is the time-reversed SDE (drift negated, the same
// diffusion, Brownian motion r -> W(ts[0]-r) - W(ts[0])) solved forward in the method's
// calculus. For Stratonovich SDEs that is the exact inverse flow, as the stochastic
// adjoint needs.
//
// bm must have the dimension the noise type needs (see Noise) and cover ts. If bm is
// nil, Integrate makes a BrownianInterval on [min ts, max ts] seeded by WithSeed, told
// the step, with the Levy area if the method needs it.
//
// The default method is Euler (Euler-Maruyama) for Ito SDEs and Midpoint for
// Stratonovich ones. Errors wrap the package's sentinels: ErrTimes, ErrState, ErrSDE,
// ErrMethod, ErrUnsupported (a noise type or calculus the method does not handle, or SRK
// without Levy area), ErrStep, ErrOption (also for an option that only Solve reads, and WithSeed
// with a Brownian motion given), ErrBrownian, ErrMaxSteps and ErrNonFinite (the state
// became NaN or infinite; the error says at which step).
func Integrate(sde SDE, y0, ts []float64, bm Brownian, opts ...Option) (*Solution, error) {
	cfg := newConfig(opts)
	if len(cfg.nodeOnly) > 0 {
		return nil, errors.Wrapf(ErrOption, "integrate: %s applies to Solve and SolveKL only (Integrate reads the calculus and noise from SDE)", cfg.nodeOnly[0])
	}
	if bm != nil && cfg.seedSet {
		return nil, errors.Wrap(ErrOption, "integrate: WithSeed applies to the Brownian motion Integrate makes when bm is nil; bm is given")
	}
	p, err := validate(cfg, sde.Calculus, sde.Noise, ts)
	if err != nil {
		return nil, errors.Wrap(err, "integrate")
	}
	if len(y0) == 0 {
		return nil, errors.Wrap(ErrState, "integrate: empty initial state")
	}
	if err := checkFinite(y0); err != nil {
		return nil, errors.Wrap(err, "integrate")
	}
	n := len(y0)
	lo, hi := ts[0], ts[len(ts)-1]
	if lo > hi {
		lo, hi = hi, lo
	}
	if bm == nil && lo < hi {
		if bm, err = newPath(lo, hi, brownianDim(sde, n), cfg.seed, p.dt, p.info.levy); err != nil {
			return nil, errors.Wrap(err, "integrate")
		}
	}
	m := brownianDim(sde, n)
	if bm != nil {
		m = bm.Dim()
	}
	sys, err := newSystem(sde, n, m)
	if err != nil {
		return nil, errors.Wrap(err, "integrate")
	}
	var lb LevyBrownian
	if bm != nil {
		if sp, ok := bm.(Spanner); ok {
			t0, t1 := sp.Span()
			if lo < t0 || hi > t1 {
				return nil, errors.Wrapf(ErrBrownian, "integrate: times [%g, %g] outside the Brownian motion's [%g, %g]", lo, hi, t0, t1)
			}
		}
		if p.info.levy {
			l, ok := bm.(LevyBrownian)
			if !ok || !l.HasLevyArea() {
				return nil, errors.Wrapf(ErrUnsupported, "integrate: method %s needs a Brownian motion with space-time Levy area (a BrownianInterval made WithLevyArea)", p.method)
			}
			lb = l
		}
	}
	sol := &Solution{Ts: append([]float64(nil), ts...), Ys: make([][]float64, len(ts))}
	y := append([]float64(nil), y0...)
	sol.Ys[0] = append([]float64(nil), y0...)
	if p.grid.steps() > 0 {
		st := newStepper(p.method, sys, sde.Calculus)
		st.init(ts[0], y)
		inc := p.grid.increments(bm, lb, false, false)
		defer inc.stop()
		err = p.grid.walk(inc, false, func(_ int, t0, t1 float64, dw, hh []float64) error {
			st.step(t0, t1-t0, y, dw, hh)
			return nonFiniteStep(y, p.method, t0, t1)
		}, func(i int) error {
			sol.Ys[i] = append([]float64(nil), y...)
			return nil
		})
		if err != nil {
			return nil, errors.Wrap(err, "integrate")
		}
	}
	sol.Stats = sys.stats
	sol.Stats.Steps = p.grid.steps()
	return sol, nil
}

// nonFiniteStep reports a NaN or infinite entry of y after the step from t0 to t1.
func nonFiniteStep(y []float64, m Method, t0, t1 float64) error {
	if j := nonFinite(y); j >= 0 {
		return errors.Wrapf(ErrNonFinite, "y[%d] = %g after the %s step from t=%g to t=%g", j, y[j], m, t0, t1)
	}
	return nil
}
