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

// chunkedRHS is a Batch's right-hand side as a chunkFunc (rk.fc): the forward dynamics, or
// with adj the adjoint's augmented system [z, a, a_theta] of adjointBackward, whose chunk
// of rows [lo, hi) reads z[lo:hi] and a[lo:hi] and also negates its rows of a itself.
type chunkedRHS struct {
	b   *graphop.Batch
	n   int // batch*dim
	adj bool
	neg []float64 // adj: the negated adjoint (-a)
	ok  []bool    // per chunk: its preps were finite
	run func(c int, ev graphop.Evaluator, lo, hi int, dth []float64)

	// the evaluation in progress
	t     float64
	y, dy []float64
	prep  func(lo, hi int) bool
}

// newChunkedRHS returns the chunkFunc of b's dynamics (adj false) or of the adjoint's
// augmented system with the scratch neg of length n (adj true), or nil when b has one
// chunk (the plain path is then the same work).
func newChunkedRHS(b *graphop.Batch, n int, adj bool, neg []float64) chunkFunc {
	if len(b.Evaluators()) < 2 || noChunks {
		return nil
	}
	c := &chunkedRHS{b: b, n: n, adj: adj, neg: neg, ok: make([]bool, len(b.Evaluators()))}
	c.run = c.chunk
	return c.eval
}

func (c *chunkedRHS) eval(t float64, y, dy []float64, prep func(lo, hi int) bool) bool {
	c.t, c.y, c.dy, c.prep = t, y, dy, prep
	var dth []float64
	if c.adj {
		dth = dy[2*c.n:]
	}
	c.b.SplitChunks(dth, c.run)
	c.y, c.dy, c.prep = nil, nil, nil
	ok := true
	for _, v := range c.ok {
		ok = ok && v
	}
	return ok
}

var minusOne = []float64{-1}

// chunk evaluates chunk k, rows [lo, hi) of the flat batch.
func (c *chunkedRHS) chunk(k int, ev graphop.Evaluator, lo, hi int, dth []float64) {
	ok := c.prep(lo, hi)
	if !c.adj {
		ev.Eval(c.dy[lo:hi], c.t, c.y[lo:hi])
		c.ok[k] = ok
		return
	}
	n := c.n
	if !c.prep(n+lo, n+hi) {
		ok = false
	}
	// -a·∂f/∂z and -a·∂f/∂θ are the VJPs with cotangent -a (see adjointBackward)
	x := [1][]float64{c.y[n+lo : n+hi]}
	lincomb(c.neg[lo:hi], nil, minusOne, x[:])
	ev.VJP(c.dy[lo:hi], c.dy[n+lo:n+hi], dth, c.t, c.y[lo:hi], c.neg[lo:hi])
	c.ok[k] = ok
}
