package layers

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/internal/graphop"
	"github.com/continuum-ml/continuum/odeop"
)

// HollowSpec specifies a HollowNet on Dim dimensions.
type HollowSpec struct {
	// Dim is the state dimension d.
	Dim int
	// Hidden is the width H of each dimension's conditioner output h_i (default 32).
	Hidden int
	// Mix is the width M of each dimension's transformer layer (default 16).
	Mix int
	// Act is the activation of the conditioner and of the transformer; the zero value
	// (Identity) means Tanh. Its second derivative enters the gradient of the divergence.
	Act Builtin
	// Init sets the initial values; it sees tensor k of HollowParamNames as Layer k, with
	// the Role Weight for W, Q, A and V, Bias for the biases and HyperBias for the time
	// weights. nil means GlorotUniform(Seed).
	Init Init
	// Seed seeds the default initializer.
	Seed uint64
}

// HollowNet is a network f(t, x): Rᵈ → Rᵈ whose Jacobian's diagonal costs about one
// evaluation (Chen & Duvenaud 2019): its i-th output is
//
//	f_i = τ_i(t, x_i, h_i),   h_i = c_i(t, x_{-i}),
//
// where the conditioner output h_i ∈ R^H never sees x_i, so that ∂f_i/∂x_i = ∂τ_i/∂x_i with
// h_i held fixed, and the divergence tr(∂f/∂x) is exact. Here
//
//	c_i:  h_i = σ(Σ_{j≠i} x_j W_j + B_i + t·w_c)          W (d×H), B (d×H), w_c (H)
//	τ_i:  s_i = σ(h_i Q + x_i A_i + C_i + t·w_τ)            Q (H×M), A, C (d×M), w_τ (M)
//	      f_i = Σ_m V_im s_im + β_i                         V (d×M), β (d)
//
// (W shared by all dimensions, with the diagonal term x_i W_i taken out; the biases B_i, C_i
// and the weights A_i, V_i per dimension), and the exact diagonal is
//
//	∂f_i/∂x_i = Σ_m V_im σ'(u_im) A_im,   u the pre-activation of s.
//
// HollowNet implements odeop.Dynamics (f itself, with hand-written VJPs); HollowCNF wraps
// it as the augmented dynamics of a CNF with the exact trace. The parameter nodes are
// named "<name>.<suffix>" with the suffixes of HollowParamNames.
//
// Reference: R. T. Q. Chen, D. Duvenaud (2019), "Neural Networks with Cheap Differential
// Operators", NeurIPS (HollowNet; its use for CNFs with the exact trace). Its other use,
// the Jacobi-Newton iteration of implicit ODE solvers, waits for the stiff solvers.
type HollowNet struct {
	name   string
	spec   HollowSpec
	params G.Nodes
	nparam int
	offs   [hollowNParams]int

	pool graphop.Pool[int, *hollowEval]
}

// The parameters of a HollowNet, in the order of Params.
const (
	hollowW = iota
	hollowB
	hollowWc
	hollowQ
	hollowA
	hollowC
	hollowWt
	hollowV
	hollowBeta
	hollowNParams
)

// HollowParamNames are the suffixes of a HollowNet's parameter nodes, in the order of
// Params: W, B, w_c, Q, A, C, w_τ, V, β.
var HollowParamNames = [hollowNParams]string{"cond.W", "cond.b", "cond.t", "tau.Q", "tau.a", "tau.b", "tau.t", "out.W", "out.b"}

var _ odeop.Dynamics = (*HollowNet)(nil)

// NewHollowNet creates the parameters of the network in g.
func NewHollowNet(g *G.ExprGraph, name string, spec HollowSpec) (*HollowNet, error) {
	if g == nil {
		return nil, errors.Wrap(ErrSpec, "hollow: nil graph")
	}
	if name == "" {
		return nil, errors.Wrap(ErrSpec, "hollow: empty name")
	}
	if spec.Dim < 2 {
		return nil, errors.Wrapf(ErrSpec, "hollow %s: dimension %d, want at least 2", name, spec.Dim)
	}
	if spec.Hidden == 0 {
		spec.Hidden = 32
	}
	if spec.Mix == 0 {
		spec.Mix = 16
	}
	if spec.Hidden < 1 || spec.Mix < 1 {
		return nil, errors.Wrapf(ErrSpec, "hollow %s: widths H = %d, M = %d", name, spec.Hidden, spec.Mix)
	}
	if spec.Act == Identity {
		spec.Act = Tanh
	}
	if spec.Act < 0 || spec.Act >= numBuiltins {
		return nil, errors.Wrapf(ErrSpec, "hollow %s: unknown activation %d", name, int(spec.Act))
	}
	init := spec.Init
	if init == nil {
		init = GlorotUniform(spec.Seed)
	}
	n := &HollowNet{name: name, spec: spec}
	n.pool.Max = maxPooled
	d, H, M := spec.Dim, spec.Hidden, spec.Mix
	shapes := [hollowNParams][2]int{{d, H}, {d, H}, {0, H}, {H, M}, {d, M}, {d, M}, {0, M}, {d, M}, {0, d}}
	// the Init's view of every tensor (each its own Layer index, so that GlorotUniform
	// draws every tensor from its own stream)
	infos := [hollowNParams]ParamInfo{
		{Role: Weight, FanIn: d, FanOut: H},
		{Role: Bias, FanIn: 1, FanOut: H},
		{Role: HyperBias, FanIn: 1, FanOut: H},
		{Role: Weight, FanIn: H, FanOut: M},
		{Role: Weight, FanIn: 1, FanOut: M},
		{Role: Bias, FanIn: 1, FanOut: M},
		{Role: HyperBias, FanIn: 1, FanOut: M},
		{Role: Weight, FanIn: M, FanOut: 1},
		{Role: Bias, FanIn: 1, FanOut: 1},
	}
	for k, sh := range shapes {
		full := fmt.Sprintf("%s.%s", name, HollowParamNames[k])
		if len(g.ByName(full)) > 0 {
			return nil, errors.Wrapf(ErrSpec, "a node named %q is already in the graph", full)
		}
		var node *G.Node
		if sh[0] > 0 {
			v := tensor.New(tensor.WithShape(sh[0], sh[1]), tensor.WithBacking(make([]float64, sh[0]*sh[1])))
			node = G.NewMatrix(g, tensor.Float64, G.WithShape(sh[0], sh[1]), G.WithName(full), G.WithValue(v))
		} else {
			v := tensor.New(tensor.WithShape(sh[1]), tensor.WithBacking(make([]float64, sh[1])))
			node = G.NewVector(g, tensor.Float64, G.WithShape(sh[1]), G.WithName(full), G.WithValue(v))
		}
		p := infos[k]
		p.Layer, p.Rows, p.Cols = k, max(sh[0], 1), sh[1]
		init(floats(node), p)
		n.offs[k] = n.nparam
		n.nparam += max(sh[0], 1) * sh[1]
		n.params = append(n.params, node)
	}
	return n, nil
}

// Name returns the name given to NewHollowNet.
func (n *HollowNet) Name() string { return n.name }

// Spec returns the specification with its defaults filled in.
func (n *HollowNet) Spec() HollowSpec { return n.spec }

// Dim returns d.
func (n *HollowNet) Dim() int { return n.spec.Dim }

// Params returns the parameter nodes in the order of HollowParamNames.
func (n *HollowNet) Params() G.Nodes { return n.params }

// NumParams returns the number of scalar parameters.
func (n *HollowNet) NumParams() int { return n.nparam }

// Values returns the parameter values in the order of Params (the nodes' backing slices).
func (n *HollowNet) Values() [][]float64 {
	vs := make([][]float64, len(n.params))
	for i, p := range n.params {
		vs[i] = floats(p)
	}
	return vs
}

// Check implements odeop.Dynamics: the state must be (batch, Dim).
func (n *HollowNet) Check(batch, dim int) error {
	if batch < 1 {
		return errors.Wrapf(ErrShape, "hollow %s: batch size %d", n.name, batch)
	}
	if dim != n.spec.Dim {
		return errors.Wrapf(ErrShape, "hollow %s: state width %d, want %d", n.name, dim, n.spec.Dim)
	}
	return nil
}

func (n *HollowNet) checkTheta(theta [][]float64) error {
	if len(theta) != len(n.params) {
		return errors.Wrapf(ErrShape, "hollow %s: %d parameter tensors, want %d", n.name, len(theta), len(n.params))
	}
	for i, p := range n.params {
		if want := p.Shape().TotalSize(); len(theta[i]) != want {
			return errors.Wrapf(ErrShape, "hollow %s: parameter %s has %d values, want %d", n.name, p.Name(), len(theta[i]), want)
		}
	}
	return nil
}

// Bind implements odeop.Dynamics: an evaluator of f on (batch, Dim) states.
func (n *HollowNet) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	if err := n.Check(batch, dim); err != nil {
		return nil, err
	}
	e, err := n.NewEval(theta, batch)
	if err != nil {
		return nil, err
	}
	return hollowPlain{e}, nil
}

// NewEval binds the network to parameter values theta (in the order of Params) for
// batches of the given size. A released evaluator (Release) of the same batch size is
// reused.
func (n *HollowNet) NewEval(theta [][]float64, batch int) (*HollowEval, error) {
	if batch < 1 {
		return nil, errors.Wrapf(ErrShape, "hollow %s: batch size %d", n.name, batch)
	}
	if err := n.checkTheta(theta); err != nil {
		return nil, err
	}
	e, ok := n.pool.Get(batch)
	if !ok {
		e = newHollowEval(n, batch)
	}
	e.theta = theta
	return &HollowEval{e}, nil
}
