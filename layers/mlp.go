package layers

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
	"github.com/continuum-ml/continuum/odeop"
)

// Errors returned by this package wrap one of these sentinels.
var (
	// ErrSpec reports an invalid network specification.
	ErrSpec = errors.New("layers: invalid network specification")
	// ErrShape reports states or parameters whose shapes do not fit the network.
	ErrShape = errors.New("layers: shape mismatch")
)

// Spec specifies an MLP: its input width and its layers, in order.
type Spec struct {
	// In is the width of the input (the state dimension, for dynamics).
	In int
	// Layers are applied in order; the output width is the last one's Out.
	Layers []LayerSpec
	// Init sets the initial parameter values; nil means GlorotUniform(Seed).
	Init Init
	// Seed seeds the default initializer.
	Seed uint64
}

// MLP is a sequential network of Linear, ConcatLinear and ConcatSquash layers with
// activations, evaluated natively on flat float64 data. Its parameters are nodes of a
// Gorgonia graph. It implements odeop.Dynamics (f(t, z) = MLP(t, z), when the input and
// output widths equal the state dimension) and can also be used as a plain function
// (NewNet) or built as Gorgonia operations (Fwd, FwdAt).
type MLP struct {
	name   string
	in     int
	defs   []layerDef
	params G.Nodes
	nparam int

	pool graphop.Pool[int, *Net] // released Nets of Bind, by batch size (Max set by NewMLP)
}

var (
	_ odeop.Dynamics  = (*MLP)(nil)
	_ odeop.Evaluator = (*Net)(nil)
)

// Limits of NewMLP, so that a network too large to allocate is an ErrSpec rather than a
// crash: MaxWidth values per layer and MaxParams parameter values in all (8 GiB of
// float64).
const (
	MaxWidth  = 1 << 24
	MaxParams = 1 << 30
)

// NewMLP creates the parameters of the network spec in the graph g and returns the
// network. Widths are at most MaxWidth and the parameters at most MaxParams values. The
// parameter nodes are named "<name>.<L>.<suffix>" for layer L and the suffix
// of their Role ("f.0.W", "f.0.b", ...); NewMLP fails if g already holds a node of such a
// name, since Gorgonia would merge the two. Their values come from spec.Init.
func NewMLP(g *G.ExprGraph, name string, spec Spec) (*MLP, error) {
	if g == nil {
		return nil, errors.Wrap(ErrSpec, "nil graph")
	}
	if name == "" {
		return nil, errors.Wrap(ErrSpec, "empty name")
	}
	if spec.In < 1 || spec.In > MaxWidth {
		return nil, errors.Wrapf(ErrSpec, "%s: input width %d, want 1 to %d", name, spec.In, MaxWidth)
	}
	if len(spec.Layers) == 0 {
		return nil, errors.Wrapf(ErrSpec, "%s: no layers", name)
	}
	// Sizes first, so that no allocation is attempted for a network that cannot be
	// allocated (widths are at most MaxWidth, so the products do not overflow).
	total, in := 0, spec.In
	for i, ly := range spec.Layers {
		if ly.Out < 1 || ly.Out > MaxWidth {
			return nil, errors.Wrapf(ErrSpec, "%s: layer %d: output width %d, want 1 to %d", name, i, ly.Out, MaxWidth)
		}
		total += (in+2)*ly.Out + 2 // at least the weights, biases and gates of any kind
		in = ly.Out
	}
	if total > MaxParams {
		return nil, errors.Wrapf(ErrSpec, "%s: about %d parameters, more than MaxParams (%d)", name, total, MaxParams)
	}
	m := &MLP{name: name, in: spec.In, defs: make([]layerDef, len(spec.Layers))}
	m.pool.Max = maxPooled
	in = spec.In
	for i, ly := range spec.Layers {
		if ly.Out < 1 || ly.Out > MaxWidth {
			return nil, errors.Wrapf(ErrSpec, "%s: layer %d: output width %d, want 1 to %d", name, i, ly.Out, MaxWidth)
		}
		if ly.Kind < KindLinear || ly.Kind > KindConcatSquash {
			return nil, errors.Wrapf(ErrSpec, "%s: layer %d: unknown kind %d", name, i, int(ly.Kind))
		}
		if ly.Act == nil {
			ly.Act = Identity
		}
		b, isBuiltin := ly.Act.(Builtin)
		if isBuiltin && (b < 0 || b >= numBuiltins) {
			return nil, errors.Wrapf(ErrSpec, "%s: layer %d: unknown activation %d", name, i, int(b))
		}
		d := &m.defs[i]
		*d = layerDef{LayerSpec: ly, index: i, in: in, rows: in, param: len(m.params), offset: m.nparam,
			ident: isBuiltin && b == Identity}
		if ly.Kind == KindConcatLinear {
			d.rows = in + 1
		}
		for _, r := range d.roles() {
			p := d.info(r)
			d.nparams += p.Rows * p.Cols
			n, err := m.newParam(g, p)
			if err != nil {
				return nil, err
			}
			m.params = append(m.params, n)
		}
		m.nparam += d.nparams
		in = ly.Out
	}
	init := spec.Init
	if init == nil {
		init = GlorotUniform(spec.Seed)
	}
	if err := m.Reset(init); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *MLP) paramName(p ParamInfo) string {
	return fmt.Sprintf("%s.%d.%s", m.name, p.Layer, p.Role)
}

func (m *MLP) newParam(g *G.ExprGraph, p ParamInfo) (*G.Node, error) {
	name := m.paramName(p)
	if len(g.ByName(name)) > 0 {
		return nil, errors.Wrapf(ErrSpec, "a node named %q is already in the graph", name)
	}
	if p.Role == Weight {
		v := tensor.New(tensor.WithShape(p.Rows, p.Cols), tensor.WithBacking(make([]float64, p.Rows*p.Cols)))
		return G.NewMatrix(g, tensor.Float64, G.WithShape(p.Rows, p.Cols), G.WithName(name), G.WithValue(v)), nil
	}
	v := tensor.New(tensor.WithShape(p.Cols), tensor.WithBacking(make([]float64, p.Cols)))
	return G.NewVector(g, tensor.Float64, G.WithShape(p.Cols), G.WithName(name), G.WithValue(v)), nil
}

// Name returns the name given to NewMLP.
func (m *MLP) Name() string { return m.name }

// In returns the input width.
func (m *MLP) In() int { return m.in }

// Out returns the output width.
func (m *MLP) Out() int { return m.defs[len(m.defs)-1].Out }

// Layers returns the layers of the network (with nil activations replaced by Identity).
func (m *MLP) Layers() []LayerSpec {
	ls := make([]LayerSpec, len(m.defs))
	for i := range m.defs {
		ls[i] = m.defs[i].LayerSpec
	}
	return ls
}

// Params returns the parameter nodes: for each layer in order its W and b, followed for
// ConcatSquash by its gate weight, gate bias and hyper-bias weight (the Role order).
func (m *MLP) Params() G.Nodes { return m.params }

// NumParams returns the total number of scalar parameters.
func (m *MLP) NumParams() int { return m.nparam }

// Check reports whether the network maps states of shape (batch, dim) to derivatives of
// the same shape: dim must equal both the input and the output width.
func (m *MLP) Check(batch, dim int) error {
	if batch < 1 {
		return errors.Wrapf(ErrShape, "%s: batch size %d", m.name, batch)
	}
	if dim != m.in {
		return errors.Wrapf(ErrShape, "%s: state dimension %d but the network's input width is %d", m.name, dim, m.in)
	}
	if dim != m.Out() {
		return errors.Wrapf(ErrShape, "%s: state dimension %d but the network's output width is %d", m.name, dim, m.Out())
	}
	return nil
}

// Bind implements odeop.Dynamics: it checks the shapes and returns a Net bound to theta.
// The Evaluator also implements odeop.Releaser: the solve node hands it back when done,
// and a later Bind of the same batch size reuses its memory (a solve node binds on every
// run; N2's Nets hold 2 MB each).
func (m *MLP) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	if err := m.Check(batch, dim); err != nil {
		return nil, err
	}
	if err := m.checkTheta(theta); err != nil {
		return nil, err
	}
	net, ok := m.pool.Get(batch)
	if !ok {
		net = m.newNet(theta, batch)
	} else {
		for _, l := range net.ls {
			l.bind(theta)
		}
	}
	return pooledNet{net}, nil
}

// pooledNet is a Net given out by Bind, which goes back to its MLP's pool on Release.
type pooledNet struct{ *Net }

var _ odeop.Releaser = pooledNet{}

// maxPooled bounds the released evaluators an MLP or a CNF keeps per batch size (a solve
// node binds two when it splits the batch, and a forward and a backward solve may overlap).
const maxPooled = 4

// Release implements odeop.Releaser.
func (p pooledNet) Release() { p.mlp.pool.Put(p.batch, p.Net) }

// Values returns the current values of the parameter nodes, in the order of Params: the
// nodes' own backing slices, not copies.
func (m *MLP) Values() [][]float64 {
	vs := make([][]float64, len(m.params))
	for i, n := range m.params {
		vs[i] = floats(n)
	}
	return vs
}

func floats(n *G.Node) []float64 {
	if f, ok := n.Value().(interface{ Float64s() []float64 }); ok {
		return f.Float64s()
	}
	return nil
}

// Reset overwrites the values of the parameter nodes with those of init, for example
// ReferenceInit.
func (m *MLP) Reset(init Init) error {
	for i := range m.defs {
		d := &m.defs[i]
		for k, r := range d.roles() {
			n := m.params[d.param+k]
			v := floats(n)
			p := d.info(r)
			if len(v) != p.Rows*p.Cols {
				return errors.Wrapf(ErrShape, "%s: node %s holds %d float64 values, want %d", m.name, n.Name(), len(v), p.Rows*p.Cols)
			}
			init(v, p)
		}
	}
	return nil
}

// NewNet binds the network to parameter values theta (flat, row-major, in the order of
// Params; m.Values() gives the current ones) for batches of the given size. The Net keeps
// theta, reading it on every call, and owns all scratch memory.
func (m *MLP) NewNet(theta [][]float64, batch int) (*Net, error) {
	if batch < 1 {
		return nil, errors.Wrapf(ErrShape, "%s: batch size %d", m.name, batch)
	}
	if err := m.checkTheta(theta); err != nil {
		return nil, err
	}
	return m.newNet(theta, batch), nil
}

// checkTheta checks the number and sizes of the parameter tensors.
func (m *MLP) checkTheta(theta [][]float64) error {
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

func (m *MLP) newNet(theta [][]float64, batch int) *Net {
	net := &Net{mlp: m, batch: batch, ls: make([]*boundLayer, len(m.defs))}
	width := m.in
	for i := range m.defs {
		net.ls[i] = newBoundLayer(&m.defs[i], theta, batch)
		width = max(width, m.defs[i].Out)
	}
	net.out = make([]float64, batch*m.Out())
	net.ga = make([]float64, batch*width)
	net.gb = make([]float64, batch*width)
	return net
}

// Net is an MLP bound to parameter values and a batch size: the network as a function on
// flat row-major (batch×width) buffers, with its vector-Jacobian product. It implements
// odeop.Evaluator. Its methods allocate nothing; a Net is used by one goroutine at a time.
type Net struct {
	mlp    *MLP
	batch  int
	ls     []*boundLayer
	out    []float64 // the output when VJP is not asked for it
	ga, gb []float64 // cotangents, batch×(widest layer)
}

// Batch returns the batch size the Net was bound for.
func (n *Net) Batch() int { return n.batch }

// MLP returns the network the Net evaluates.
func (n *Net) MLP() *MLP { return n.mlp }

func (n *Net) checkLen(what string, s []float64, want int) {
	if len(s) != want {
		panic(fmt.Sprintf("layers: %s: %s has length %d, want %d", n.mlp.name, what, len(s), want))
	}
}

// Forward writes y = net(t, x) for x of shape (batch, In) into y of shape (batch, Out).
func (n *Net) Forward(y []float64, t float64, x []float64) {
	n.checkLen("x", x, n.batch*n.mlp.in)
	n.checkLen("y", y, n.batch*n.mlp.Out())
	n.forward(y, t, x)
}

func (n *Net) forward(y []float64, t float64, x []float64) {
	last := len(n.ls) - 1
	for i, l := range n.ls {
		if i == last {
			l.forward(y, t, x)
		} else {
			l.forward(nil, t, x)
			x = l.h
		}
	}
}

// Eval implements odeop.Evaluator: dst = f(t, z), the same as Forward.
func (n *Net) Eval(dst []float64, t float64, z []float64) { n.Forward(dst, t, z) }

// VJP implements odeop.Evaluator: for the cotangent a (batch×Out) it computes
//
//	f      = net(t, z)          (batch×Out; skipped when f is nil)
//	dz     = aᵀ d net/dz        (batch×In;  skipped when dz is nil)
//	dtheta = aᵀ d net/dtheta    (NumParams, flat in the order of Params, summed over the
//	                             batch; skipped when dtheta is nil)
//
// overwriting the destinations.
func (n *Net) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	nin, nout := n.batch*n.mlp.in, n.batch*n.mlp.Out()
	n.checkLen("z", z, nin)
	n.checkLen("a", a, nout)
	if f != nil {
		n.checkLen("f", f, nout)
	} else {
		f = n.out
	}
	if dz != nil {
		n.checkLen("dz", dz, nin)
	}
	if dtheta != nil {
		n.checkLen("dtheta", dtheta, n.mlp.nparam)
	}
	n.forward(f, t, z)
	if dz == nil && dtheta == nil {
		return
	}
	g, spare := n.ga[:nout], n.gb
	copy(g, a)
	for i := len(n.ls) - 1; i >= 0; i-- {
		l := n.ls[i]
		x, dx := z, dz
		if i > 0 {
			x, dx = n.ls[i-1].h, spare[:n.batch*l.in]
		}
		var dth []float64
		if dtheta != nil {
			dth = dtheta[l.offset : l.offset+l.nparams]
		}
		l.backward(dx, dth, g, x)
		if i > 0 {
			g, spare = dx, g[:cap(g)]
		}
	}
}
