package sdeop

import (
	"math"

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
// without Levy area), ErrStep, ErrOption, ErrBrownian, ErrMaxSteps and ErrNonFinite (the
// state became NaN or infinite; the error says at which time).
func Integrate(sde SDE, y0, ts []float64, bm Brownian, opts ...Option) (*Solution, error) {
	cfg := newConfig(opts)
	if err := checkTimes(ts); err != nil {
		return nil, errors.Wrap(err, "integrate")
	}
	if len(y0) == 0 {
		return nil, errors.Wrap(ErrState, "integrate: empty initial state")
	}
	if err := checkFinite(y0); err != nil {
		return nil, errors.Wrap(err, "integrate")
	}
	if sde.Calculus != Ito && sde.Calculus != Stratonovich {
		return nil, errors.Wrapf(ErrSDE, "integrate: unknown calculus %v", sde.Calculus)
	}
	if sde.Noise < Diagonal || sde.Noise > General {
		return nil, errors.Wrapf(ErrSDE, "integrate: unknown noise type %v", sde.Noise)
	}
	method := cfg.method
	if method == "" {
		method = Euler
		if sde.Calculus == Stratonovich {
			method = Midpoint
		}
	}
	info, ok := methods[method]
	if !ok {
		return nil, errors.Wrapf(ErrMethod, "integrate: %q", method)
	}
	noiseOK, calcOK := info.supports(sde.Noise, sde.Calculus)
	if !noiseOK {
		return nil, errors.Wrapf(ErrUnsupported, "integrate: method %s does not support %v noise", method, sde.Noise)
	}
	if !calcOK {
		return nil, errors.Wrapf(ErrUnsupported, "integrate: method %s does not support %v SDEs", method, sde.Calculus)
	}
	if !cfg.stepSet {
		return nil, errors.Wrap(ErrStep, "integrate: fixed-step methods need WithStep")
	}
	dt := cfg.step
	if !(dt > 0) || math.IsInf(dt, 0) {
		return nil, errors.Wrapf(ErrStep, "integrate: step %g must be positive and finite", dt)
	}
	if cfg.maxSteps <= 0 {
		return nil, errors.Wrapf(ErrOption, "integrate: max steps %d must be positive", cfg.maxSteps)
	}
	total := int64(0)
	for i := 0; i+1 < len(ts); i++ {
		total += numSteps(math.Abs(ts[i+1]-ts[i]), dt)
		if total > int64(cfg.maxSteps) {
			return nil, errors.Wrapf(ErrMaxSteps, "integrate: step %g over [%g, %g] needs more than %d steps", dt, ts[0], ts[len(ts)-1], cfg.maxSteps)
		}
	}
	n := len(y0)
	lo, hi := ts[0], ts[len(ts)-1]
	if lo > hi {
		lo, hi = hi, lo
	}
	if bm == nil {
		var bopts []IntervalOption
		if info.levy {
			bopts = append(bopts, WithLevyArea())
		}
		if lo < hi {
			bopts = append(bopts, WithDtHint(dt))
			b, err := NewBrownianInterval(lo, hi, brownianDim(sde, n), cfg.seed, bopts...)
			if err != nil {
				return nil, errors.Wrap(err, "integrate")
			}
			bm = b
		}
	}
	var sys *system
	var err error
	if bm != nil {
		sys, err = newSystem(sde, n, bm.Dim())
	} else {
		sys, err = newSystem(sde, n, brownianDim(sde, n))
	}
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
		if info.levy {
			l, ok := bm.(LevyBrownian)
			if !ok || !l.HasLevyArea() {
				return nil, errors.Wrapf(ErrUnsupported, "integrate: method %s needs a Brownian motion with space-time Levy area (a BrownianInterval made WithLevyArea)", method)
			}
			lb = l
		}
	}

	sol := &Solution{Ts: append([]float64(nil), ts...), Ys: make([][]float64, len(ts))}
	y := append([]float64(nil), y0...)
	sol.Ys[0] = append([]float64(nil), y0...)
	st := newStepper(method, sys, sde.Calculus)
	st.init(ts[0], y)
	dw := make([]float64, sys.m)
	var hh []float64
	if lb != nil {
		hh = make([]float64, sys.m)
	}
	steps := 0
	for i := 0; i+1 < len(ts); i++ {
		a, b := ts[i], ts[i+1]
		dir := 1.0
		if b < a {
			dir = -1
		}
		ns := numSteps(math.Abs(b-a), dt)
		t0 := a
		for k := int64(0); k < ns; k++ {
			t1 := b
			if k+1 < ns {
				t1 = a + dir*float64(k+1)*dt
			}
			if lb != nil {
				lb.IncrementWithLevy(dw, hh, t0, t1)
			} else {
				bm.Increment(dw, t0, t1)
			}
			st.step(t0, t1-t0, y, dw, hh)
			steps++
			if j := nonFinite(y); j >= 0 {
				return nil, errors.Wrapf(ErrNonFinite, "integrate: y[%d] = %g after the %s step from t=%g to t=%g", j, y[j], method, t0, t1)
			}
			t0 = t1
		}
		sol.Ys[i+1] = append([]float64(nil), y...)
	}
	sol.Stats = sys.stats
	sol.Stats.Steps = steps
	return sol, nil
}

// checkTimes accepts non-empty, finite, strictly monotone output times.
func checkTimes(ts []float64) error {
	if len(ts) == 0 {
		return errors.Wrap(ErrTimes, "no output times")
	}
	for i, t := range ts {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return errors.Wrapf(ErrTimes, "ts[%d] = %g is not finite", i, t)
		}
	}
	if len(ts) < 2 {
		return nil
	}
	inc := ts[1] > ts[0]
	for i := 1; i < len(ts); i++ {
		if (inc && !(ts[i] > ts[i-1])) || (!inc && !(ts[i] < ts[i-1])) {
			return errors.Wrapf(ErrTimes, "ts not strictly monotone at index %d (%g after %g)", i, ts[i], ts[i-1])
		}
	}
	return nil
}

// checkFinite rejects an initial state with NaN or infinite entries (ErrState).
func checkFinite(y []float64) error {
	if i := nonFinite(y); i >= 0 {
		return errors.Wrapf(ErrState, "y[%d] = %g is not finite", i, y[i])
	}
	return nil
}

// nonFinite returns the index of the first NaN or infinite entry of y, or -1.
func nonFinite(y []float64) int {
	for i, v := range y {
		if v-v != 0 {
			return i
		}
	}
	return -1
}
