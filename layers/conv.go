package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
	"github.com/continuum-ml/continuum/odeop"
)

// ConvKind is the operation of a layer of a ConvNet.
type ConvKind int

// The convolutional layer kinds.
const (
	// KindConv2d is a 2-D convolution (cross-correlation, as PyTorch's nn.Conv2d) with a
	// square kernel, a stride and a zero padding, and an optional bias.
	KindConv2d ConvKind = iota
	// KindConcatConv2d is a convolution of the input with the time t concatenated as an
	// extra first channel (torchdiffeq's ConcatConv2d: the t channel is zero-padded like
	// the others).
	KindConcatConv2d
	// KindGroupNorm is group normalisation (Wu and He 2018, PyTorch's nn.GroupNorm) with a
	// learnable per-channel scale and shift, eps 1e-5.
	KindGroupNorm
	// KindReLU is max(x, 0) elementwise.
	KindReLU
	// KindAvgPool is the global average over the height and width (PyTorch's
	// AdaptiveAvgPool2d((1, 1))): (C, H, W) to (C, 1, 1).
	KindAvgPool
)

// String names the layer kind.
func (k ConvKind) String() string {
	switch k {
	case KindConv2d:
		return "Conv2d"
	case KindConcatConv2d:
		return "ConcatConv2d"
	case KindGroupNorm:
		return "GroupNorm"
	case KindReLU:
		return "ReLU"
	case KindAvgPool:
		return "AvgPool"
	}
	return fmt.Sprintf("ConvKind(%d)", int(k))
}

// groupNormEps is PyTorch's default eps of nn.GroupNorm.
const groupNormEps = 1e-5

// ConvLayer specifies one layer of a ConvNet. Out, Kernel, Stride, Padding and NoBias
// apply to the convolutions, Groups to GroupNorm.
type ConvLayer struct {
	Kind    ConvKind
	Out     int  // output channels of a convolution
	Kernel  int  // side of the square kernel
	Stride  int  // stride (>= 1)
	Padding int  // zero padding on every side (>= 0)
	NoBias  bool // a convolution without bias
	Groups  int  // GroupNorm: number of groups, dividing the channels
}

// Conv2d is a convolution to out channels with a kernel x kernel kernel, a stride, a
// zero padding and a bias.
func Conv2d(out, kernel, stride, padding int) ConvLayer {
	return ConvLayer{Kind: KindConv2d, Out: out, Kernel: kernel, Stride: stride, Padding: padding}
}

// ConcatConv2d is Conv2d of the input with the time t as an extra first channel.
func ConcatConv2d(out, kernel, stride, padding int) ConvLayer {
	return ConvLayer{Kind: KindConcatConv2d, Out: out, Kernel: kernel, Stride: stride, Padding: padding}
}

// GroupNorm is group normalisation over groups groups of channels.
func GroupNorm(groups int) ConvLayer { return ConvLayer{Kind: KindGroupNorm, Groups: groups} }

// ReLU is the rectifier max(x, 0).
func ReLU() ConvLayer { return ConvLayer{Kind: KindReLU} }

// AvgPool is the global average pool over height and width.
func AvgPool() ConvLayer { return ConvLayer{Kind: KindAvgPool} }

// ConvSpec specifies a ConvNet: the shape (C, H, W) of one input image and the layers.
type ConvSpec struct {
	C, H, W int
	Layers  []ConvLayer
	// Seed seeds the initial values: PyTorch's defaults, weights and biases of a
	// convolution uniform in ±1/sqrt(fan in) (fan in = input channels x kernel area, the
	// t channel included), GroupNorm scales 1 and shifts 0. Each tensor draws from its own
	// PCG stream of (Seed, layer, role).
	Seed uint64
}

// convDef is a layer placed in a network: its input and output shapes and parameters.
type convDef struct {
	ConvLayer
	index          int
	c, h, w        int // input shape
	oc, oh, ow     int // output shape
	kc             int // columns of the im2col matrix: (c + t) * k * k
	param          int // index of the first parameter node
	offset         int // offset in the flat parameter vector
	nparams        int
	hasT           bool
	weight, biases int // sizes of the first and second parameter tensor (0 when absent)
}

func (d *convDef) inDim() int  { return d.c * d.h * d.w }
func (d *convDef) outDim() int { return d.oc * d.oh * d.ow }

// ConvNet is a sequential network of convolutions, group norms, rectifiers and pools on
// images of shape (C, H, W), held flat (batch, C*H*W) in channel-major order (NCHW, as
// PyTorch), evaluated natively with hand-written vector-Jacobian products. Its
// parameters are nodes of a Gorgonia graph. When the output shape equals the input shape
// it implements odeop.Dynamics (f(t, z) = net(t, z)); Fwd adds it to a graph as one op
// with its gradient op, for the layers outside an ODE block.
type ConvNet struct {
	name    string
	c, h, w int
	defs    []convDef
	params  G.Nodes
	nparam  int

	pool graphop.Pool[int, *ConvEval]
}

var (
	_ odeop.Dynamics  = (*ConvNet)(nil)
	_ odeop.Evaluator = (*ConvEval)(nil)
)

// NewConvNet creates the parameters of spec in g and returns the network. Parameter
// nodes are named "<name>.<L>.W" and "<name>.<L>.b" for a convolution's weight (a matrix
// (out, (in [+1]) * k * k), PyTorch's (out, in, k, k) flattened) and bias, "<name>.<L>.g"
// and "<name>.<L>.beta" for GroupNorm's scale and shift (vectors of the channels).
func NewConvNet(g *G.ExprGraph, name string, spec ConvSpec) (*ConvNet, error) {
	if g == nil {
		return nil, errors.Wrap(ErrSpec, "nil graph")
	}
	if name == "" {
		return nil, errors.Wrap(ErrSpec, "empty name")
	}
	if spec.C < 1 || spec.H < 1 || spec.W < 1 {
		return nil, errors.Wrapf(ErrSpec, "%s: input shape (%d, %d, %d)", name, spec.C, spec.H, spec.W)
	}
	if len(spec.Layers) == 0 {
		return nil, errors.Wrapf(ErrSpec, "%s: no layers", name)
	}
	m := &ConvNet{name: name, c: spec.C, h: spec.H, w: spec.W, defs: make([]convDef, len(spec.Layers))}
	m.pool.Max = maxPooled
	c, h, w := spec.C, spec.H, spec.W
	for i, ly := range spec.Layers {
		d := &m.defs[i]
		*d = convDef{ConvLayer: ly, index: i, c: c, h: h, w: w, oc: c, oh: h, ow: w, param: len(m.params), offset: m.nparam}
		switch ly.Kind {
		case KindConv2d, KindConcatConv2d:
			if ly.Out < 1 || ly.Kernel < 1 || ly.Stride < 1 || ly.Padding < 0 {
				return nil, errors.Wrapf(ErrSpec, "%s: layer %d: %v with %d outputs, kernel %d, stride %d, padding %d",
					name, i, ly.Kind, ly.Out, ly.Kernel, ly.Stride, ly.Padding)
			}
			if ly.Padding >= ly.Kernel {
				return nil, errors.Wrapf(ErrSpec, "%s: layer %d: padding %d not below the kernel %d", name, i, ly.Padding, ly.Kernel)
			}
			d.hasT = ly.Kind == KindConcatConv2d
			d.oh = (h+2*ly.Padding-ly.Kernel)/ly.Stride + 1
			d.ow = (w+2*ly.Padding-ly.Kernel)/ly.Stride + 1
			if h+2*ly.Padding < ly.Kernel || w+2*ly.Padding < ly.Kernel {
				return nil, errors.Wrapf(ErrSpec, "%s: layer %d: kernel %d larger than the padded input %dx%d", name, i, ly.Kernel, h+2*ly.Padding, w+2*ly.Padding)
			}
			d.oc = ly.Out
			ci := c
			if d.hasT {
				ci++
			}
			d.kc = ci * ly.Kernel * ly.Kernel
			d.weight = ly.Out * d.kc
			if !ly.NoBias {
				d.biases = ly.Out
			}
		case KindGroupNorm:
			if ly.Groups < 1 || c%ly.Groups != 0 {
				return nil, errors.Wrapf(ErrSpec, "%s: layer %d: %d groups do not divide %d channels", name, i, ly.Groups, c)
			}
			d.weight, d.biases = c, c
		case KindReLU:
		case KindAvgPool:
			d.oh, d.ow = 1, 1
		default:
			return nil, errors.Wrapf(ErrSpec, "%s: layer %d: unknown kind %d", name, i, int(ly.Kind))
		}
		d.nparams = d.weight + d.biases
		if err := m.newParams(g, d); err != nil {
			return nil, err
		}
		m.nparam += d.nparams
		c, h, w = d.oc, d.oh, d.ow
	}
	m.Reset(spec.Seed)
	return m, nil
}

func (m *ConvNet) newParams(g *G.ExprGraph, d *convDef) error {
	add := func(suffix string, shape ...int) error {
		name := fmt.Sprintf("%s.%d.%s", m.name, d.index, suffix)
		if len(g.ByName(name)) > 0 {
			return errors.Wrapf(ErrSpec, "a node named %q is already in the graph", name)
		}
		n := 1
		for _, s := range shape {
			n *= s
		}
		v := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float64, n)))
		if len(shape) == 2 {
			m.params = append(m.params, G.NewMatrix(g, tensor.Float64, G.WithShape(shape...), G.WithName(name), G.WithValue(v)))
		} else {
			m.params = append(m.params, G.NewVector(g, tensor.Float64, G.WithShape(shape...), G.WithName(name), G.WithValue(v)))
		}
		return nil
	}
	switch d.Kind {
	case KindConv2d, KindConcatConv2d:
		if err := add("W", d.oc, d.kc); err != nil {
			return err
		}
		if d.biases > 0 {
			return add("b", d.oc)
		}
	case KindGroupNorm:
		if err := add("g", d.c); err != nil {
			return err
		}
		return add("beta", d.c)
	}
	return nil
}

// Reset sets the parameters to their initial values for seed (see ConvSpec.Seed).
func (m *ConvNet) Reset(seed uint64) {
	for i := range m.defs {
		d := &m.defs[i]
		if d.nparams == 0 {
			continue
		}
		w := floats(m.params[d.param])
		switch d.Kind {
		case KindGroupNorm:
			for j := range w {
				w[j] = 1
			}
			clear(floats(m.params[d.param+1]))
		default:
			a := 1 / math.Sqrt(float64(d.kc))
			rng := rand.New(rand.NewPCG(seed, uint64(i)<<8))
			for j := range w {
				w[j] = a * (2*rng.Float64() - 1)
			}
			if d.biases > 0 {
				b := floats(m.params[d.param+1])
				rng := rand.New(rand.NewPCG(seed, uint64(i)<<8|1))
				for j := range b {
					b[j] = a * (2*rng.Float64() - 1)
				}
			}
		}
	}
}

// Name returns the name given to NewConvNet.
func (m *ConvNet) Name() string { return m.name }

// InShape returns the shape (C, H, W) of an input image.
func (m *ConvNet) InShape() (c, h, w int) { return m.c, m.h, m.w }

// OutShape returns the shape (C, H, W) of an output image.
func (m *ConvNet) OutShape() (c, h, w int) {
	d := &m.defs[len(m.defs)-1]
	return d.oc, d.oh, d.ow
}

// In returns C*H*W of the input.
func (m *ConvNet) In() int { return m.c * m.h * m.w }

// Out returns C*H*W of the output.
func (m *ConvNet) Out() int { return m.defs[len(m.defs)-1].outDim() }

// Layers returns the layers of the network.
func (m *ConvNet) Layers() []ConvLayer {
	ls := make([]ConvLayer, len(m.defs))
	for i := range m.defs {
		ls[i] = m.defs[i].ConvLayer
	}
	return ls
}

// Params returns the parameter nodes, layer by layer (see NewConvNet).
func (m *ConvNet) Params() G.Nodes { return m.params }

// NumParams returns the total number of scalar parameters.
func (m *ConvNet) NumParams() int { return m.nparam }

// Values returns the current values of the parameter nodes, in the order of Params: the
// nodes' own backing slices.
func (m *ConvNet) Values() [][]float64 {
	vs := make([][]float64, len(m.params))
	for i, n := range m.params {
		vs[i] = floats(n)
	}
	return vs
}

// Check implements odeop.Dynamics: states of shape (batch, dim) need dim = C*H*W and an
// output shape equal to the input shape.
func (m *ConvNet) Check(batch, dim int) error {
	if batch < 1 {
		return errors.Wrapf(ErrShape, "%s: batch size %d", m.name, batch)
	}
	if dim != m.In() {
		return errors.Wrapf(ErrShape, "%s: state dimension %d but the network's input is %d x %d x %d = %d", m.name, dim, m.c, m.h, m.w, m.In())
	}
	if c, h, w := m.OutShape(); c != m.c || h != m.h || w != m.w {
		return errors.Wrapf(ErrShape, "%s: output shape (%d, %d, %d) differs from the input shape (%d, %d, %d)", m.name, c, h, w, m.c, m.h, m.w)
	}
	return nil
}

func (m *ConvNet) checkTheta(theta [][]float64) error {
	if len(theta) != len(m.params) {
		return errors.Wrapf(ErrShape, "%s: %d parameter tensors, want %d", m.name, len(theta), len(m.params))
	}
	for i, n := range m.params {
		if want := n.Shape().TotalSize(); len(theta[i]) != want {
			return errors.Wrapf(ErrShape, "%s: parameter %s has %d values, want %d", m.name, n.Name(), len(theta[i]), want)
		}
	}
	return nil
}

// Bind implements odeop.Dynamics: a ConvEval bound to theta, from the network's pool of
// released evaluators when one of that batch size is free (it implements
// odeop.Releaser).
func (m *ConvNet) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	if err := m.Check(batch, dim); err != nil {
		return nil, err
	}
	e, err := m.bind(theta, batch)
	if err != nil {
		return nil, err
	}
	return pooledConv{e}, nil
}

// NewEval binds the network to theta (in the order of Params; Values gives the current
// ones) for batches of the given size; the output shape may differ from the input's.
func (m *ConvNet) NewEval(theta [][]float64, batch int) (*ConvEval, error) {
	if batch < 1 {
		return nil, errors.Wrapf(ErrShape, "%s: batch size %d", m.name, batch)
	}
	if err := m.checkTheta(theta); err != nil {
		return nil, err
	}
	return m.newEval(theta, batch), nil
}

func (m *ConvNet) bind(theta [][]float64, batch int) (*ConvEval, error) {
	if err := m.checkTheta(theta); err != nil {
		return nil, err
	}
	e, ok := m.pool.Get(batch)
	if !ok {
		return m.newEval(theta, batch), nil
	}
	e.bindTheta(theta)
	return e, nil
}

// pooledConv is a ConvEval given out by Bind, back to its network's pool on Release.
type pooledConv struct{ *ConvEval }

var _ odeop.Releaser = pooledConv{}

// Release implements odeop.Releaser.
func (p pooledConv) Release() { p.net.pool.Put(p.batch, p.ConvEval) }
