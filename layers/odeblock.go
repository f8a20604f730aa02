package layers

import (
	"math"
	"sync"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/odeop"
)

// ODEBlock is a continuous-depth layer (Chen et al. 2018): it maps x to z(t1), the
// solution at t1 of dz/dt = f(t, z) with z(t0) = x. It is an ordinary Gorgonia layer:
// Fwd adds one odeop.Solve node to x's graph, so it drops between other layers, and
// gorgonia.Grad through it runs the gradient method chosen by the options (the adjoint by
// default). The block's learnables are those of f.
//
// An ODEBlock may be applied to several inputs (for example a training batch and an
// evaluation batch of another size); each Fwd adds its own solve node, all sharing the
// parameter nodes of f. The statistics methods report on the node of the most recent Fwd.
type ODEBlock struct {
	f      odeop.Dynamics
	opts   []odeop.Option
	t0, t1 float64

	mu   sync.Mutex
	last *G.Node // the solve node of the most recent Fwd
}

// NewODEBlock returns a block integrating the dynamics f over [0, 1] (see SetInterval)
// with the options of odeop.Solve (method, tolerances, gradient method...; the defaults
// are odeop's: dopri5, rtol 1e-7, atol 1e-9, adjoint gradients).
func NewODEBlock(f odeop.Dynamics, opts ...odeop.Option) *ODEBlock {
	return &ODEBlock{f: f, opts: append([]odeop.Option(nil), opts...), t0: 0, t1: 1}
}

// SetInterval sets the integration interval [t0, t1] used by later calls of Fwd (the
// default is [0, 1]; t1 < t0 integrates backward in time). It returns b, for chaining:
//
//	blk := layers.NewODEBlock(f).SetInterval(0, 2)
//
// An invalid interval (equal or non-finite ends) is reported by Fwd.
func (b *ODEBlock) SetInterval(t0, t1 float64) *ODEBlock {
	b.t0, b.t1 = t0, t1
	return b
}

// Interval returns the integration interval.
func (b *ODEBlock) Interval() (t0, t1 float64) { return b.t0, b.t1 }

// Dynamics returns the dynamics f of the block.
func (b *ODEBlock) Dynamics() odeop.Dynamics { return b.f }

// Fwd returns z(t1) for z(t0) = x, a node of x's shape (batch, dim) in x's graph.
func (b *ODEBlock) Fwd(x *G.Node) (*G.Node, error) {
	if b.f == nil {
		return nil, errors.Wrap(ErrSpec, "ode block: nil dynamics")
	}
	if x == nil {
		return nil, errors.Wrap(ErrShape, "ode block: nil input")
	}
	if odeblockNonFinite(b.t0) || odeblockNonFinite(b.t1) || b.t0 == b.t1 {
		return nil, errors.Wrapf(ErrSpec, "ode block: invalid interval [%g, %g]", b.t0, b.t1)
	}
	zs, err := odeop.Solve(x, b.f, []float64{b.t0, b.t1}, b.opts...)
	if err != nil {
		return nil, errors.Wrap(err, "ode block")
	}
	z1, err := G.Slice(zs, G.S(1))
	if err != nil {
		return nil, errors.Wrap(err, "ode block: slice z(t1)")
	}
	b.mu.Lock()
	b.last = zs
	b.mu.Unlock()
	return z1, nil
}

// Learnables returns the parameter nodes of the dynamics (f.Params()).
func (b *ODEBlock) Learnables() G.Nodes {
	if b.f == nil {
		return nil
	}
	return b.f.Params()
}

// SolveNode returns the odeop.Solve node made by the most recent Fwd (of shape
// (2, batch, dim): z(t0) and z(t1)), or nil before the first Fwd.
func (b *ODEBlock) SolveNode() *G.Node {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// Stats returns the statistics of the most recent forward and backward solves of the
// node made by the most recent Fwd (see odeop.StatsOf); ok is false before the first Fwd.
// The counts are zero until the graph has run.
func (b *ODEBlock) Stats() (forward, backward odeop.Stats, ok bool) {
	return odeop.StatsOf(b.SolveNode())
}

// NFE returns the number of function evaluations of the most recent forward and backward
// solves (see Stats); both are 0 before the graph has run.
func (b *ODEBlock) NFE() (forward, backward int) {
	f, bw, _ := b.Stats()
	return f.NFE, bw.NFE
}

func odeblockNonFinite(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
