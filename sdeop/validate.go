package sdeop

import (
	"math"

	"github.com/pkg/errors"
)

// plan is a validated fixed-step solve: its method and the grid of its steps.
type plan struct {
	method Method
	info   methodInfo
	dt     float64
	grid   grid
}

// validate checks what Integrate and Solve share: the output times, the calculus and
// noise type, the method (defaulted from the calculus) against them, the step and the
// step limit.
func validate(cfg *config, calc Calculus, noise Noise, ts []float64) (*plan, error) {
	if err := checkTimes(ts); err != nil {
		return nil, err
	}
	if calc != Ito && calc != Stratonovich {
		return nil, errors.Wrapf(ErrSDE, "unknown calculus %v", calc)
	}
	if noise < Diagonal || noise > General {
		return nil, errors.Wrapf(ErrSDE, "unknown noise type %v", noise)
	}
	p := &plan{method: cfg.method, dt: cfg.step}
	if p.method == "" {
		p.method = Euler
		if calc == Stratonovich {
			p.method = Midpoint
		}
	}
	var ok bool
	if p.info, ok = methods[p.method]; !ok {
		return nil, errors.Wrapf(ErrMethod, "%q", p.method)
	}
	noiseOK, calcOK := p.info.supports(noise, calc)
	if !noiseOK {
		return nil, errors.Wrapf(ErrUnsupported, "method %s does not support %v noise", p.method, noise)
	}
	if !calcOK {
		return nil, errors.Wrapf(ErrUnsupported, "method %s does not solve %v SDEs with %v noise", p.method, calc, noise)
	}
	if !cfg.stepSet {
		return nil, errors.Wrap(ErrStep, "fixed-step methods need WithStep")
	}
	if !(p.dt > 0) || math.IsInf(p.dt, 0) {
		return nil, errors.Wrapf(ErrStep, "step %g must be positive and finite", p.dt)
	}
	if cfg.maxSteps <= 0 {
		return nil, errors.Wrapf(ErrOption, "max steps %d must be positive", cfg.maxSteps)
	}
	total := int64(0)
	for i := 0; i+1 < len(ts); i++ {
		total += numSteps(math.Abs(ts[i+1]-ts[i]), p.dt)
		if total > int64(cfg.maxSteps) {
			return nil, errors.Wrapf(ErrMaxSteps, "step %g over [%g, %g] needs more than %d steps", p.dt, ts[0], ts[len(ts)-1], cfg.maxSteps)
		}
	}
	p.grid = newGrid(ts, p.dt)
	return p, nil
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
