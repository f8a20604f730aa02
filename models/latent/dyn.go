package latent

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

// Native dynamics (odeop.Dynamics) that the latent models compose from layers.MLP.

// latLinearMLP is f(t, z) = z·A + inner(t, z): dynamics (a network) plus a linear part A
// (dim × dim), which the latent models start as a bank of rotations (see
// ODEConfig.Period).
type latLinearMLP struct {
	a   *G.Node
	mlp odeop.Dynamics
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
		return errors.Wrapf(ErrConfig, "linear part %v for dimension %d", n, dim)
	}
	return d.mlp.Check(batch, dim)
}

func (d *latLinearMLP) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	if len(theta) != 1+len(d.mlp.Params()) || len(theta[0]) != dim*dim {
		// A node that inner shares with A would enter once; the latent models never do that.
		return nil, errors.Wrapf(ErrConfig, "linear MLP dynamics: %d parameter tensors", len(theta))
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

// latCtxDrift is the posterior drift of a latent SDE: f(t, z) = MLP(t, [z, ctx(t)]), where
// ctx(t) is the context of the first grid time after t (as torchsde's latent SDE
// example: the context summarizes the observations from there on), taken from the node
// ctx of shape (T*batch, C), time-major, which is a parameter of the dynamics so that
// gradients reach the encoder. Without ctx (C = 0) it is MLP(t, z).
type latCtxDrift struct {
	mlp   *layers.MLP // In = dim + C, Out = dim
	ctx   *G.Node     // nil when C = 0
	times []float64
	c     int
}

var _ odeop.Dynamics = (*latCtxDrift)(nil)

func (d *latCtxDrift) Params() G.Nodes {
	if d.ctx == nil {
		return d.mlp.Params()
	}
	return append(append(G.Nodes{}, d.mlp.Params()...), d.ctx)
}

func (d *latCtxDrift) Check(batch, dim int) error {
	if d.mlp.In() != dim+d.c || d.mlp.Out() != dim {
		return errors.Wrapf(ErrConfig, "context drift: network %d -> %d for dimension %d and context %d", d.mlp.In(), d.mlp.Out(), dim, d.c)
	}
	if d.ctx != nil {
		if s := d.ctx.Shape(); s[0] != len(d.times)*batch || s[1] != d.c {
			return errors.Wrapf(ErrConfig, "context drift: context %v for %d times and batch %d", s, len(d.times), batch)
		}
	}
	return nil
}

func (d *latCtxDrift) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	np := len(d.mlp.Params())
	net, err := d.mlp.NewNet(theta[:np], batch)
	if err != nil {
		return nil, err
	}
	e := &latCtxDriftEval{d: d, net: net, batch: batch, dim: dim, nmlp: d.mlp.NumParams()}
	if d.ctx != nil {
		e.ctx = theta[np]
		e.in = make([]float64, batch*(dim+d.c))
		e.din = make([]float64, batch*(dim+d.c))
	}
	return e, nil
}

type latCtxDriftEval struct {
	d          *latCtxDrift
	net        *layers.Net
	batch, dim int
	nmlp       int
	ctx        []float64
	in, din    []float64
}

// index is the grid index whose context applies at time t: the first grid time after t
// (the last one at and after the end).
func (e *latCtxDriftEval) index(t float64) int {
	ts := e.d.times
	lo, hi := 0, len(ts)
	for lo < hi {
		m := (lo + hi) / 2
		if ts[m] > t {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return min(lo, len(ts)-1)
}

func (e *latCtxDriftEval) input(t float64, z []float64) (x []float64, i int) {
	if e.ctx == nil {
		return z, 0
	}
	i = e.index(t)
	w := e.dim + e.d.c
	for b := 0; b < e.batch; b++ {
		copy(e.in[b*w:b*w+e.dim], z[b*e.dim:(b+1)*e.dim])
		copy(e.in[b*w+e.dim:(b+1)*w], e.ctx[(i*e.batch+b)*e.d.c:(i*e.batch+b+1)*e.d.c])
	}
	return e.in, i
}

func (e *latCtxDriftEval) Eval(dst []float64, t float64, z []float64) {
	x, _ := e.input(t, z)
	e.net.Forward(dst, t, x)
}

func (e *latCtxDriftEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	x, i := e.input(t, z)
	var dth []float64
	if dtheta != nil {
		dth = dtheta[:e.nmlp]
	}
	if e.ctx == nil {
		e.net.VJP(f, dz, dth, t, x, a)
		return
	}
	var din []float64
	if dz != nil || dtheta != nil {
		din = e.din
	}
	e.net.VJP(f, din, dth, t, x, a)
	w := e.dim + e.d.c
	if dz != nil {
		for b := 0; b < e.batch; b++ {
			copy(dz[b*e.dim:(b+1)*e.dim], din[b*w:b*w+e.dim])
		}
	}
	if dtheta != nil {
		dc := dtheta[e.nmlp:]
		clear(dc)
		for b := 0; b < e.batch; b++ {
			copy(dc[(i*e.batch+b)*e.d.c:(i*e.batch+b+1)*e.d.c], din[b*w+e.dim:(b+1)*w])
		}
	}
}

// latOU is the Ornstein-Uhlenbeck drift theta·(mu - z), without parameters.
type latOU struct{ theta, mu float64 }

func (d *latOU) Params() G.Nodes { return nil }
func (d *latOU) Check(batch, dim int) error {
	return nil
}
func (d *latOU) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) { return d, nil }
func (d *latOU) Eval(dst []float64, t float64, z []float64) {
	for i, v := range z {
		dst[i] = d.theta * (d.mu - v)
	}
}
func (d *latOU) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	if f != nil {
		d.Eval(f, t, z)
	}
	if dz != nil {
		for i, v := range a {
			dz[i] = -d.theta * v
		}
	}
}

// latDiffusion is an additive diagonal diffusion g(t, z) = sigma, one value per
// dimension: exp of the node logSigma (dim) when learned, the constant sigma otherwise.
type latDiffusion struct {
	logSigma *G.Node // nil: constant
	sigma    float64
}

func (d *latDiffusion) Params() G.Nodes {
	if d.logSigma == nil {
		return nil
	}
	return G.Nodes{d.logSigma}
}

func (d *latDiffusion) Check(batch, dim int) error {
	if d.logSigma != nil && d.logSigma.Shape().TotalSize() != dim {
		return errors.Wrapf(ErrConfig, "diffusion of %d values for dimension %d", d.logSigma.Shape().TotalSize(), dim)
	}
	return nil
}

func (d *latDiffusion) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	e := &latDiffusionEval{sig: make([]float64, dim), dim: dim}
	if d.logSigma != nil {
		for i, v := range theta[0] {
			e.sig[i] = math.Exp(v)
		}
	} else {
		for i := range e.sig {
			e.sig[i] = d.sigma
		}
	}
	e.learn = d.logSigma != nil
	return e, nil
}

type latDiffusionEval struct {
	sig   []float64
	dim   int
	learn bool
}

func (e *latDiffusionEval) Eval(dst []float64, t float64, z []float64) {
	for i := range dst {
		dst[i] = e.sig[i%e.dim]
	}
}

func (e *latDiffusionEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	if f != nil {
		e.Eval(f, t, z)
	}
	if dz != nil {
		clear(dz)
	}
	if dtheta != nil && e.learn {
		clear(dtheta)
		for i, v := range a {
			dtheta[i%e.dim] += v * e.sig[i%e.dim]
		}
	}
}
