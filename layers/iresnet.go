package layers

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ErrNoConvergence reports a fixed-point iteration (the inverse of a Residual) that did
// not reach its tolerance within its iteration limit.
var ErrNoConvergence = errors.New("layers: fixed-point iteration did not converge")

// ResidualSpec specifies an invertible residual block y = x + g(x) (Behrmann et al. 2019),
// g an MLP of Linear layers Dim → Hidden... → Dim with the activation Act after every
// hidden layer and spectrally normalised weights (see Spectral).
type ResidualSpec struct {
	// Dim is the width of x and y.
	Dim int
	// Hidden are the widths of the hidden layers (default {64, 64}).
	Hidden []int
	// Act is the activation after each hidden layer; the zero value (Identity) means ELU,
	// as Behrmann et al. It must be 1-Lipschitz, so that Lip(g) ≤ Π σ(W̃) ≤ Coeff^L: Tanh,
	// Softplus, Sigmoid, ELU or Sin (Swish, 1.1-Lipschitz, is refused).
	Act Builtin
	// Coeff is the bound c on the spectral norm of every normalised weight (default 0.9);
	// it must lie in (0, 1).
	Coeff float64
	// Init sets the initial weights and biases; nil means GlorotUniform(Seed).
	Init Init
	// Seed seeds the default initializer and the initial power-iteration state.
	Seed uint64
}

// InitPowerIters is the number of power iterations NewResidual runs on the initial
// weights, so that the first normalisation is already accurate.
const InitPowerIters = 50

// Residual is an invertible residual block y = x + g(x) on a batch of row vectors, with
// g an MLP whose weights are spectrally normalised (Lip(g) < 1). Its learnable nodes
// (Params) are "<name>.<L>.W" (in×out) and "<name>.<L>.b" for every layer L; its state
// nodes (State) "<name>.<L>.u" and "<name>.<L>.v" hold the power-iteration vectors, to be
// saved and loaded with the parameters. Normalize recomputes the normalised weights from
// the parameter values: call it after every change of them (an optimiser step, a load).
// Bound evaluators (NewEval) compute the block, its inverse by fixed-point iteration, the
// estimators of log det(I + J_g) and the gradients through them.
//
// References:
//
//   - J. Behrmann, W. Grathwohl, R. T. Q. Chen, D. Duvenaud, J.-H. Jacobsen (2019),
//     "Invertible Residual Networks", ICML (spectral normalisation with c < 1, the inverse
//     by fixed-point iteration, the power series of the log-determinant with Hutchinson's
//     estimator).
//   - R. T. Q. Chen, J. Behrmann, D. Duvenaud, J.-H. Jacobsen (2019), "Residual Flows for
//     Invertible Generative Modeling", NeurIPS (the unbiased Russian-roulette estimator
//     and the Neumann-series gradient).
//   - T. Miyato, T. Kataoka, M. Koyama, Y. Yoshida (2018), "Spectral Normalization for
//     Generative Adversarial Networks", ICLR (the power iteration).
type Residual struct {
	name   string
	spec   ResidualSpec
	widths []int // Dim, Hidden..., Dim
	params G.Nodes
	state  G.Nodes
	sn     []*Spectral
	eff    [][]float64 // normalised weights W̃ (in×out)
	offs   []int       // offset of layer l's W in the flat parameter vector
	nparam int
}

// NewResidual creates the parameter and state nodes of the block in g.
func NewResidual(g *G.ExprGraph, name string, spec ResidualSpec) (*Residual, error) {
	if g == nil {
		return nil, errors.Wrap(ErrSpec, "residual: nil graph")
	}
	if name == "" {
		return nil, errors.Wrap(ErrSpec, "residual: empty name")
	}
	if spec.Dim < 1 {
		return nil, errors.Wrapf(ErrSpec, "residual %s: dimension %d", name, spec.Dim)
	}
	if spec.Hidden == nil {
		spec.Hidden = []int{64, 64}
	}
	for i, h := range spec.Hidden {
		if h < 1 {
			return nil, errors.Wrapf(ErrSpec, "residual %s: hidden layer %d has width %d", name, i, h)
		}
	}
	if spec.Act == Identity { // the zero value means the default
		spec.Act = ELU
	}
	switch spec.Act {
	case Tanh, Softplus, Sigmoid, ELU, Sin:
	default:
		return nil, errors.Wrapf(ErrSpec, "residual %s: activation %v is not 1-Lipschitz (want tanh, softplus, sigmoid, elu or sin)", name, spec.Act)
	}
	if spec.Coeff == 0 {
		spec.Coeff = 0.9
	}
	if !(spec.Coeff > 0 && spec.Coeff < 1) {
		return nil, errors.Wrapf(ErrSpec, "residual %s: coefficient %g, want 0 < c < 1", name, spec.Coeff)
	}
	r := &Residual{name: name, spec: spec}
	r.widths = append(append([]int{spec.Dim}, spec.Hidden...), spec.Dim)
	init := spec.Init
	if init == nil {
		init = GlorotUniform(spec.Seed)
	}
	for l := 0; l+1 < len(r.widths); l++ {
		in, out := r.widths[l], r.widths[l+1]
		w, err := residualNode(g, fmt.Sprintf("%s.%d.W", name, l), in, out)
		if err != nil {
			return nil, err
		}
		b, err := residualNode(g, fmt.Sprintf("%s.%d.b", name, l), 0, out)
		if err != nil {
			return nil, err
		}
		init(floats(w), ParamInfo{Layer: l, Role: Weight, Rows: in, Cols: out, FanIn: in, FanOut: out})
		init(floats(b), ParamInfo{Layer: l, Role: Bias, Rows: 1, Cols: out, FanIn: 1, FanOut: out})
		u, err := residualNode(g, fmt.Sprintf("%s.%d.u", name, l), 0, out)
		if err != nil {
			return nil, err
		}
		v, err := residualNode(g, fmt.Sprintf("%s.%d.v", name, l), 0, in)
		if err != nil {
			return nil, err
		}
		sn, err := NewSpectral(in, out, spec.Coeff, spec.Seed, uint64(l)+1<<32)
		if err != nil {
			return nil, errors.Wrapf(err, "residual %s", name)
		}
		copy(floats(u), sn.U)
		copy(floats(v), sn.V)
		sn.U, sn.V = floats(u), floats(v)
		r.params = append(r.params, w, b)
		r.state = append(r.state, u, v)
		r.sn = append(r.sn, sn)
		r.eff = append(r.eff, make([]float64, in*out))
		r.offs = append(r.offs, r.nparam)
		r.nparam += in*out + out
	}
	if err := r.Normalize(InitPowerIters); err != nil {
		return nil, err
	}
	return r, nil
}

// residualNode makes a matrix (rows > 0) or vector node of zeros named name.
func residualNode(g *G.ExprGraph, name string, rows, cols int) (*G.Node, error) {
	if len(g.ByName(name)) > 0 {
		return nil, errors.Wrapf(ErrSpec, "a node named %q is already in the graph", name)
	}
	if rows > 0 {
		v := tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(make([]float64, rows*cols)))
		return G.NewMatrix(g, tensor.Float64, G.WithShape(rows, cols), G.WithName(name), G.WithValue(v)), nil
	}
	v := tensor.New(tensor.WithShape(cols), tensor.WithBacking(make([]float64, cols)))
	return G.NewVector(g, tensor.Float64, G.WithShape(cols), G.WithName(name), G.WithValue(v)), nil
}

// Name returns the name given to NewResidual.
func (r *Residual) Name() string { return r.name }

// Spec returns the specification with its defaults filled in.
func (r *Residual) Spec() ResidualSpec { return r.spec }

// Dim returns the width of x.
func (r *Residual) Dim() int { return r.spec.Dim }

// Params returns the learnable nodes: W and b of every layer, in order.
func (r *Residual) Params() G.Nodes { return r.params }

// State returns the power-iteration state nodes: u (out) and v (in) of every layer.
func (r *Residual) State() G.Nodes { return r.state }

// NumParams returns the number of scalar parameters.
func (r *Residual) NumParams() int { return r.nparam }

// Values returns the parameter values in the order of Params (the nodes' backing slices).
func (r *Residual) Values() [][]float64 {
	vs := make([][]float64, len(r.params))
	for i, n := range r.params {
		vs[i] = floats(n)
	}
	return vs
}

// Spectral returns the normalisation of layer l's weight (its state aliases the state
// nodes).
func (r *Residual) Spectral(l int) *Spectral { return r.sn[l] }

// Normalize runs iters power iterations on every current weight (0 keeps the state as it
// is, as at evaluation) and recomputes the normalised weights. It fails on non-finite
// weights.
func (r *Residual) Normalize(iters int) error {
	if iters < 0 {
		return errors.Wrapf(ErrSpec, "residual %s: %d power iterations", r.name, iters)
	}
	for l, sn := range r.sn {
		w := floats(r.params[2*l])
		if len(w) != sn.Rows*sn.Cols || len(sn.U) != sn.Cols || len(sn.V) != sn.Rows {
			return errors.Wrapf(ErrShape, "residual %s: layer %d weight or state has the wrong size", r.name, l)
		}
		sn.Iterate(w, iters)
		if _, sig := sn.Normalize(r.eff[l], w); math.IsNaN(sig) || math.IsInf(sig, 0) {
			return errors.Wrapf(ErrShape, "residual %s: layer %d: spectral norm estimate %g", r.name, l, sig)
		}
	}
	return nil
}

// Lipschitz returns the spectral norms of the normalised weights (by SVD) and their
// product, an upper bound of Lip(g) since the activations are 1-Lipschitz.
func (r *Residual) Lipschitz() (perLayer []float64, bound float64) {
	bound = 1
	for l, sn := range r.sn {
		s := SpectralNorm(r.eff[l], sn.Rows, sn.Cols)
		perLayer = append(perLayer, s)
		bound *= s
	}
	return perLayer, bound
}
