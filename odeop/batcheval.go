package odeop

import (
	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/graphop"
)

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
