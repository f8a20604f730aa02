package models

import (
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
)

// ErrConfig reports an invalid model configuration.
var ErrConfig = errors.New("models: invalid configuration")

// Dense is a fully connected Gorgonia layer y = act(x·W + b) for x of shape (batch, in):
// the layer kit that the classifiers of package classify are built from. W has shape (in, out)
// and b (out); they are named "<name>.W" and "<name>.b".
type Dense struct {
	W, B *G.Node
	// Act is applied after the affine map with Gorgonia operations (its Node method);
	// nil means the identity.
	Act layers.Activation
}

// NewDense creates the parameters of a dense layer in g: W from Glorot's uniform
// distribution (seeded by seed and name, so layers of one model differ), b zero. It fails
// if g already holds a node of either name.
func NewDense(g *G.ExprGraph, name string, in, out int, act layers.Activation, seed uint64) (*Dense, error) {
	if g == nil || name == "" || in < 1 || out < 1 {
		return nil, errors.Wrapf(ErrConfig, "dense %q: graph %v, in %d, out %d", name, g != nil, in, out)
	}
	for _, n := range []string{name + ".W", name + ".b"} {
		if len(g.ByName(n)) > 0 {
			return nil, errors.Wrapf(ErrConfig, "dense: a node named %q is already in the graph", n)
		}
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	a := math.Sqrt(6 / float64(in+out))
	w := make([]float64, in*out)
	for i := range w {
		w[i] = a * (2*rng.Float64() - 1)
	}
	d := &Dense{Act: act}
	d.W = G.NewMatrix(g, tensor.Float64, G.WithShape(in, out), G.WithName(name+".W"),
		G.WithValue(tensor.New(tensor.WithShape(in, out), tensor.WithBacking(w))))
	d.B = G.NewVector(g, tensor.Float64, G.WithShape(out), G.WithName(name+".b"),
		G.WithValue(tensor.New(tensor.WithShape(out), tensor.WithBacking(make([]float64, out)))))
	return d, nil
}

// In returns the input width.
func (d *Dense) In() int { return d.W.Shape()[0] }

// Out returns the output width.
func (d *Dense) Out() int { return d.W.Shape()[1] }

// Fwd returns act(x·W + b).
func (d *Dense) Fwd(x *G.Node) (*G.Node, error) {
	if x == nil || x.Dims() != 2 || x.Shape()[1] != d.In() {
		var s tensor.Shape
		if x != nil {
			s = x.Shape()
		}
		return nil, errors.Wrapf(ErrConfig, "dense %s: input of shape %v, want (batch, %d)", d.W.Name(), s, d.In())
	}
	u, err := G.Mul(x, d.W)
	if err != nil {
		return nil, errors.Wrapf(err, "dense %s", d.W.Name())
	}
	if u, err = G.BroadcastAdd(u, d.B, nil, []byte{0}); err != nil {
		return nil, errors.Wrapf(err, "dense %s", d.W.Name())
	}
	if d.Act == nil {
		return u, nil
	}
	return d.Act.Node(u)
}

// Learnables returns W and b.
func (d *Dense) Learnables() G.Nodes { return G.Nodes{d.W, d.B} }
