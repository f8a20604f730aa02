package sdeop

import "github.com/pkg/errors"

// gradient is the strategy behind a GradientMethod: how the gradient run of a Solve
// node computes dL/dz0 and dL/dtheta. Adding a method is a new type, its entry in
// gradients and a test.
type gradient interface {
	String() string
	// prepare checks the settings of a Solve op (adj: WithAdjointMethod's, or "")
	// against the strategy and completes them; it runs when Solve is called.
	prepare(op *solveOp, adj Method) error
	// tape reports whether the forward run records its steps, memo whether the
	// gradient run reads what the forward run leaves (the tape, the final state).
	tape() bool
	memo(op *solveOp) bool
	// describe names the backward pass of op.
	describe(op *solveOp) string
	// backward computes dL/dz0 (n) and dL/dtheta (P) from the forward outputs zs, the
	// forward run's result res (when memo) and the incoming gradients of z and logqp.
	backward(r *nodeRun, res *fwdResult, zs, gz, gL []float64) (dz0, dth []float64, st Stats, err error)
}

var gradients = map[GradientMethod]gradient{Adjoint: adjointGradient{}, Checkpoint: checkpointGradient{}}

// adjointGradient is Adjoint: the stochastic adjoint, or the reversible Heun adjoint
// after a ReversibleHeun solve.
type adjointGradient struct{}

func (adjointGradient) String() string { return "adjoint" }
func (adjointGradient) tape() bool     { return false }

func (adjointGradient) memo(op *solveOp) bool       { return op.adjMethod == ReversibleHeun }
func (adjointGradient) describe(op *solveOp) string { return "adjoint " + string(op.adjMethod) }

func (adjointGradient) prepare(op *solveOp, adj Method) error {
	if adj == "" {
		adj = Midpoint
		if op.method == ReversibleHeun {
			adj = ReversibleHeun
		}
	}
	switch adj {
	case Midpoint, EulerHeun, Heun:
	case ReversibleHeun:
		if op.method != ReversibleHeun {
			return errors.Wrapf(ErrUnsupported, "the ReversibleHeun adjoint needs a ReversibleHeun forward solve, not %s", op.method)
		}
	default:
		return errors.Wrapf(ErrUnsupported, "adjoint method %q; want Midpoint, EulerHeun or Heun (Stratonovich, derivative-free), or ReversibleHeun after a ReversibleHeun solve", adj)
	}
	op.adjMethod = adj
	return nil
}

func (adjointGradient) backward(r *nodeRun, res *fwdResult, zs, gz, gL []float64) ([]float64, []float64, Stats, error) {
	if r.op.adjMethod == ReversibleHeun {
		return r.reversibleBackward(res.y, res.yh, nil, gz, gL)
	}
	return r.adjointBackward(zs, gz, gL)
}

// checkpointGradient is Checkpoint: backpropagation through the recorded steps.
type checkpointGradient struct{}

func (checkpointGradient) String() string           { return "checkpoint" }
func (checkpointGradient) tape() bool               { return true }
func (checkpointGradient) memo(*solveOp) bool       { return true }
func (checkpointGradient) describe(*solveOp) string { return "checkpoint" }

func (checkpointGradient) prepare(op *solveOp, adj Method) error {
	if !backprop(op.method) {
		return errors.Wrapf(ErrUnsupported, "Checkpoint backpropagates through Euler, Heun, EulerHeun, Midpoint and ReversibleHeun steps, not %s; use one of those or the Adjoint gradient", op.method)
	}
	if adj != "" {
		return errors.Wrap(ErrOption, "WithAdjointMethod applies to the Adjoint gradient only")
	}
	return nil
}

func (checkpointGradient) backward(r *nodeRun, res *fwdResult, _, gz, gL []float64) ([]float64, []float64, Stats, error) {
	if r.op.method == ReversibleHeun {
		return r.reversibleBackward(res.y, res.yh, res.tape, gz, gL)
	}
	return r.checkpointBackward(res.tape, gz, gL)
}
