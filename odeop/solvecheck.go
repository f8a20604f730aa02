package odeop

import (
	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// solveCheck validates the configuration and times of Solve before the graph is built.
func solveCheck(c *config, ts []float64) error {
	if len(ts) == 0 {
		return errors.Wrap(ErrTimes, "ts is empty; want at least one time")
	}
	for i, t := range ts {
		if !graphop.Finite(t) {
			return errors.Wrapf(ErrTimes, "ts[%d] = %v; want a finite time", i, t)
		}
	}
	if len(ts) > 1 {
		inc := ts[1] > ts[0]
		for i := 1; i < len(ts); i++ {
			if (inc && !(ts[i] > ts[i-1])) || (!inc && !(ts[i] < ts[i-1])) {
				return errors.Wrapf(ErrTimes, "ts[%d] = %v after ts[%d] = %v; want strictly monotone times", i, ts[i], i-1, ts[i-1])
			}
		}
	}
	if _, err := TableauOf(c.method); err != nil {
		return err
	}
	if !(c.rtol > 0) || !(c.atol > 0) || !graphop.Finite(c.rtol) || !graphop.Finite(c.atol) {
		return errors.Wrapf(ErrTolerance, "rtol = %v, atol = %v; want positive finite tolerances", c.rtol, c.atol)
	}
	if !(c.adjRtol > 0) || !(c.adjAtol > 0) || !graphop.Finite(c.adjRtol) || !graphop.Finite(c.adjAtol) {
		return errors.Wrapf(ErrTolerance, "adjoint rtol = %v, atol = %v; want positive finite tolerances", c.adjRtol, c.adjAtol)
	}
	if c.grad != Adjoint && c.grad != Checkpoint {
		return errors.Wrapf(ErrOption, "gradient method %d; want Adjoint or Checkpoint", c.grad)
	}
	if c.seminorm && c.grad != Adjoint {
		return errors.Wrap(ErrOption, "WithSeminorm applies to the Adjoint gradient only")
	}
	if c.maxSteps <= 0 {
		return errors.Wrapf(ErrOption, "max steps = %d; want a positive number", c.maxSteps)
	}
	return nil
}
