package layers

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// Fwd builds the network at t = 0 with Gorgonia operations on x (batch×In) in x's graph,
// sharing the MLP's parameter nodes: an ordinary Gorgonia layer, differentiable with
// gorgonia.Grad. It is slower than the native Net (which Solve uses) and is meant for
// using the same network outside an ODE solve and for testing.
func (m *MLP) Fwd(x *G.Node) (*G.Node, error) { return m.FwdAt(nil, x) }

// FwdAt is Fwd at the time given by the scalar node t; t == nil means t = 0.
func (m *MLP) FwdAt(t, x *G.Node) (*G.Node, error) { return m.Build(t, x, m.params) }

// Build builds the network with Gorgonia operations on x (batch×In) at time t (a scalar
// node, or nil for t = 0) using params in place of the MLP's parameter nodes (the same
// shapes, in the order of Params). Its signature is that of the function
// odeop.NewGraphDynamics takes, so that
//
//	odeop.NewGraphDynamics(m.Params(), m.Build)
//
// is the same dynamics evaluated by Gorgonia instead of natively.
func (m *MLP) Build(t, x *G.Node, params G.Nodes) (*G.Node, error) {
	if x == nil || x.Dims() != 2 || x.Shape()[1] != m.in {
		return nil, errors.Wrapf(ErrShape, "%s: the input must be a (batch, %d) matrix", m.name, m.in)
	}
	if t != nil && !t.IsScalar() {
		return nil, errors.Wrapf(ErrShape, "%s: t must be a scalar node", m.name)
	}
	if len(params) != len(m.params) {
		return nil, errors.Wrapf(ErrShape, "%s: %d parameter nodes, want %d", m.name, len(params), len(m.params))
	}
	for i, p := range params {
		if !p.Shape().Eq(m.params[i].Shape()) {
			return nil, errors.Wrapf(ErrShape, "%s: parameter %d has shape %v, want %v", m.name, i, p.Shape(), m.params[i].Shape())
		}
	}
	h := x
	for i := range m.defs {
		var err error
		if h, err = layerNode(&m.defs[i], t, h, params); err != nil {
			return nil, errors.Wrapf(err, "%s: layer %d", m.name, i)
		}
	}
	return h, nil
}

func layerNode(d *layerDef, t, x *G.Node, params G.Nodes) (*G.Node, error) {
	p := params[d.param : d.param+len(d.roles())]
	w, b := p[0], p[1]
	var u *G.Node
	var err error
	switch d.Kind {
	case KindLinear:
		if u, err = G.Mul(x, w); err != nil {
			return nil, err
		}
		if u, err = G.BroadcastAdd(u, b, nil, []byte{0}); err != nil {
			return nil, err
		}
	case KindConcatLinear:
		top, err := G.Slice(w, G.S(0, d.in))
		if err != nil {
			return nil, err
		}
		if u, err = G.Mul(x, top); err != nil {
			return nil, err
		}
		bias := b
		if t != nil {
			wt, err := G.Slice(w, G.S(d.in))
			if err != nil {
				return nil, err
			}
			if bias, err = G.Add(b, G.Must(G.Mul(t, wt))); err != nil {
				return nil, err
			}
		}
		if u, err = G.BroadcastAdd(u, bias, nil, []byte{0}); err != nil {
			return nil, err
		}
	case KindConcatSquash:
		gw, gb, hw := p[2], p[3], p[4]
		if u, err = G.Mul(x, w); err != nil {
			return nil, err
		}
		if u, err = G.BroadcastAdd(u, b, nil, []byte{0}); err != nil {
			return nil, err
		}
		pre := gb
		if t != nil {
			if pre, err = G.Add(gb, G.Must(G.Mul(t, gw))); err != nil {
				return nil, err
			}
		}
		gate, err := G.Sigmoid(pre)
		if err != nil {
			return nil, err
		}
		if u, err = G.BroadcastHadamardProd(u, gate, nil, []byte{0}); err != nil {
			return nil, err
		}
		if t != nil {
			hb, err := G.Mul(t, hw)
			if err != nil {
				return nil, err
			}
			if u, err = G.BroadcastAdd(u, hb, nil, []byte{0}); err != nil {
				return nil, err
			}
		}
	}
	return d.Act.Node(u)
}
