package models

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

// Native dynamics (odeop.Dynamics) that the latent models compose from layers.MLP.

// latLinearMLP is f(t, z) = z·A + MLP(t, z): a network plus a linear part A (dim × dim),
// which the latent ODE starts as a bank of rotations (see LatentODEConfig.Period).
type latLinearMLP struct {
	a   *G.Node
	mlp *layers.MLP
}

var _ odeop.Dynamics = (*latLinearMLP)(nil)

// newRotationBank returns the (dim × dim) node named name holding a block-diagonal
// matrix of 2×2 rotation generators [[0, w_k], [-w_k, 0]] with w_k = 2πk/period,
// k = 1 .. dim/2 (a last odd coordinate gets 0): z' = z·A turns each pair of coordinates
// at frequency k/period.
func newRotationBank(g *G.ExprGraph, name string, dim int, period float64) *G.Node {
	v := make([]float64, dim*dim)
	for k := 0; 2*k+1 < dim; k++ {
		w := 2 * math.Pi * float64(k+1) / period
		i, j := 2*k, 2*k+1
		v[i*dim+j] = w
		v[j*dim+i] = -w
	}
	return G.NewMatrix(g, tensor.Float64, G.WithShape(dim, dim), G.WithName(name),
		G.WithValue(tensor.New(tensor.WithShape(dim, dim), tensor.WithBacking(v))))
}

func (d *latLinearMLP) Params() G.Nodes { return append(G.Nodes{d.a}, d.mlp.Params()...) }

func (d *latLinearMLP) Check(batch, dim int) error {
	if n := d.a.Shape(); n[0] != dim || n[1] != dim {
		return errors.Wrapf(ErrLatentConfig, "linear part %v for dimension %d", n, dim)
	}
	return d.mlp.Check(batch, dim)
}

func (d *latLinearMLP) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	if len(theta) != 1+len(d.mlp.Params()) || len(theta[0]) != dim*dim {
		return nil, errors.Wrapf(ErrLatentConfig, "linear MLP dynamics: %d parameter tensors", len(theta))
	}
	ev, err := d.mlp.Bind(theta[1:], batch, dim)
	if err != nil {
		return nil, err
	}
	return &latLinearMLPEval{a: theta[0], ev: ev, batch: batch, dim: dim}, nil
}

type latLinearMLPEval struct {
	a          []float64
	ev         odeop.Evaluator
	batch, dim int
}

func (e *latLinearMLPEval) Eval(dst []float64, t float64, z []float64) {
	e.ev.Eval(dst, t, z)
	latGemm(false, false, e.batch, e.dim, e.dim, z, e.dim, e.a, e.dim, 1, dst, e.dim)
}

func (e *latLinearMLPEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	n := e.dim * e.dim
	var dth []float64
	if dtheta != nil {
		dth = dtheta[n:]
	}
	e.ev.VJP(f, dz, dth, t, z, a)
	if f != nil {
		latGemm(false, false, e.batch, e.dim, e.dim, z, e.dim, e.a, e.dim, 1, f, e.dim)
	}
	if dz != nil {
		latGemm(false, true, e.batch, e.dim, e.dim, a, e.dim, e.a, e.dim, 1, dz, e.dim)
	}
	if dtheta != nil {
		latGemm(true, false, e.dim, e.dim, e.batch, z, e.dim, a, e.dim, 0, dtheta[:n], e.dim)
	}
}

func (e *latLinearMLPEval) Release() {
	if r, ok := e.ev.(odeop.Releaser); ok {
		r.Release()
	}
}
