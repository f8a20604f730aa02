package main

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

// cubed is the model of the demo, f(t, y) = net(y³) (torchdiffeq's ODEFunc: the network
// sees the cubed state, the same nonlinearity as the true dynamics). It wraps a native
// layers.MLP and implements odeop.Dynamics natively: the cube and its derivative are
// applied around the network's own forward pass and vector-Jacobian product.
type cubed struct {
	net *layers.MLP
}

var _ odeop.Dynamics = cubed{}

func (c cubed) Params() G.Nodes            { return c.net.Params() }
func (c cubed) Check(batch, dim int) error { return c.net.Check(batch, dim) }

func (c cubed) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	if err := c.net.Check(batch, dim); err != nil {
		return nil, err
	}
	n, err := c.net.NewNet(theta, batch)
	if err != nil {
		return nil, errors.Wrap(err, "cubed dynamics")
	}
	return &cubedEval{net: n, y3: make([]float64, batch*dim), dy3: make([]float64, batch*dim)}, nil
}

// cubedEval is cubed bound to parameter values; it owns its scratch buffers.
type cubedEval struct {
	net     *layers.Net
	y3, dy3 []float64
}

func (e *cubedEval) cube(z []float64) {
	for i, v := range z {
		e.y3[i] = v * v * v
	}
}

// Eval writes net(z³) into dst.
func (e *cubedEval) Eval(dst []float64, t float64, z []float64) {
	e.cube(z)
	e.net.Forward(dst, t, e.y3)
}

// VJP is the network's VJP at z³, chained with d(z³)/dz = 3z².
func (e *cubedEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	e.cube(z)
	if dz == nil {
		e.net.VJP(f, nil, dtheta, t, e.y3, a)
		return
	}
	e.net.VJP(f, e.dy3, dtheta, t, e.y3, a)
	for i, v := range z {
		dz[i] = 3 * v * v * e.dy3[i]
	}
}
