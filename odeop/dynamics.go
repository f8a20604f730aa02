package odeop

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/internal/graphop"
)

// Dynamics is f(t, z; theta) on a batch of states z of shape (batch, dim), with learnable
// parameters theta that are nodes of the user's graph. The Solve node takes the
// parameters as inputs and, on every run, binds their current values into an Evaluator.
//
// Native networks (package layers) implement Dynamics with hand-written vector-Jacobian
// products; NewGraphDynamics implements it for any Gorgonia subgraph.
type Dynamics interface {
	// Params returns the learnable nodes; they become inputs of the solve node.
	Params() G.Nodes
	// Check reports whether f maps states of shape (batch, dim) to derivatives of the same
	// shape with parameters of the shapes of Params; Solve calls it to fail early.
	Check(batch, dim int) error
	// Bind returns an Evaluator for states of shape (batch, dim) with the given parameter
	// values (flat, row-major, in the order of Params). The Evaluator may keep theta
	// (read-only) and owns its scratch buffers: an Evaluator is used by one goroutine at a
	// time, and separate Evaluators may be used concurrently.
	Bind(theta [][]float64, batch, dim int) (Evaluator, error)
}

// Evaluator evaluates bound dynamics on flat row-major (batch*dim) buffers. Neither method
// may allocate in steady state, modify its inputs or keep references to them.
type Evaluator interface {
	// Eval writes f(t, z) into dst.
	Eval(dst []float64, t float64, z []float64)
	// VJP computes, for a cotangent a of z's shape, the products
	//	f      = f(t, z)                  (skipped when f is nil)
	//	dz     = a^T df/dz                (skipped when dz is nil)
	//	dtheta = a^T df/dtheta            (skipped when dtheta is nil)
	// overwriting the destinations. dtheta is flat: the parameters in the order of Params,
	// each row-major, summed over the batch; its length is the total parameter count.
	VJP(f, dz, dtheta []float64, t float64, z, a []float64)
}

// NumParams is the total number of scalar parameters of a Dynamics.
func NumParams(d Dynamics) int {
	n := 0
	for _, p := range d.Params() {
		n += p.Shape().TotalSize()
	}
	return n
}

// newBatchEval binds f to theta for states of shape (batch, dim): a graphop.Batch, which
// splits a large batch by rows into two chunks evaluated on two goroutines, the split a
// function of the problem size only (parameter gradients are bit-identical on any number
// of CPUs). Its RHS is a Func over the whole batch.
func newBatchEval(f Dynamics, theta [][]float64, batch, dim int) (*graphop.Batch, error) {
	bind := func(th [][]float64, nb, d int) (graphop.Evaluator, error) { return f.Bind(th, nb, d) }
	b, err := graphop.NewBatch(bind, theta, batch, dim)
	if errors.Is(err, graphop.ErrNilEvaluator) {
		return nil, errors.Wrap(ErrDynamics, err.Error())
	}
	return b, err
}
