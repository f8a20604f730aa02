package layers

import (
	"fmt"

	"github.com/continuum-ml/continuum/internal/kernels"
)

// Kind is the affine map of a layer.
type Kind int

// The layer kinds.
const (
	// KindLinear is u = x·W + b.
	KindLinear Kind = iota
	// KindConcatLinear is u = [x, t]·W + b (torchdiffeq's and FFJORD's ConcatLinear): W has
	// in+1 rows, the last multiplying t.
	KindConcatLinear
	// KindConcatSquash is u = (x·W + b) * sigmoid(t*wg + bg) + t*wb (FFJORD's
	// ConcatSquashLinear), the products elementwise along the output columns.
	KindConcatSquash
)

// String returns the kind's name ("Linear", "ConcatLinear", "ConcatSquash").
func (k Kind) String() string {
	switch k {
	case KindLinear:
		return "Linear"
	case KindConcatLinear:
		return "ConcatLinear"
	case KindConcatSquash:
		return "ConcatSquash"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// LayerSpec specifies one layer of an MLP: an affine map of kind Kind to Out outputs followed
// by the activation Act (nil means Identity). The input width is the previous layer's
// Out, or Spec.In for the first layer. It is a description, not a layer: NewMLP turns a
// Spec's LayerSpecs into parameters and a native network. For a fully connected layer made
// of Gorgonia nodes (between other graph operations) use models.Dense.
type LayerSpec struct {
	Kind Kind
	Out  int
	Act  Activation
}

// Linear specifies a layer y = act(x·W + b) with out outputs (for NewMLP; not a Gorgonia
// layer: see LayerSpec).
func Linear(out int, act Activation) LayerSpec {
	return LayerSpec{Kind: KindLinear, Out: out, Act: act}
}

// ConcatLinear specifies a layer y = act([x, t]·W + b) with out outputs: the time is concatenated
// to the input, and the last row of W multiplies it.
func ConcatLinear(out int, act Activation) LayerSpec {
	return LayerSpec{Kind: KindConcatLinear, Out: out, Act: act}
}

// ConcatSquash specifies a layer y = act((x·W + b) * sigmoid(t*wg + bg) + t*wb) with out outputs:
// FFJORD's time gating.
func ConcatSquash(out int, act Activation) LayerSpec {
	return LayerSpec{Kind: KindConcatSquash, Out: out, Act: act}
}

// layerDef is a layer placed in a network: its widths and where its parameters are.
type layerDef struct {
	LayerSpec
	index   int // L
	in      int // input width (without t)
	rows    int // rows of W: in, or in+1 for ConcatLinear
	param   int // index of W in the network's Params; the others follow in Role order
	offset  int // offset of W in the flat parameter vector
	nparams int // scalar parameters of the layer
	ident   bool
}

// roles lists the parameter tensors of the layer in the order of Params.
func (d *layerDef) roles() []Role {
	if d.Kind == KindConcatSquash {
		return []Role{Weight, Bias, GateWeight, GateBias, HyperBias}
	}
	return []Role{Weight, Bias}
}

// info describes the layer's tensor of role r.
func (d *layerDef) info(r Role) ParamInfo {
	p := ParamInfo{Layer: d.index, Role: r, Rows: 1, Cols: d.Out, FanIn: 1, FanOut: d.Out}
	if r == Weight {
		p.Rows, p.FanIn = d.rows, d.rows
	}
	return p
}

// boundLayer is a layer bound to parameter values and a batch size, with its scratch.
// The forward pass keeps what the backward pass and forward-mode products need:
//
//	u   the pre-activation (batch×out); for an identity activation it is the output itself
//	h   the output act(u) (batch×out)
//	u0  ConcatSquash only: x·W + b before the gate
//	gate, gateQ  ConcatSquash only: sigmoid(t*wg + bg) and 1 - gate (out)
//	bias ConcatLinear only: the effective bias b + t*W[in] (out)
//
// u and h point at the buffers of the last forward call (h may be the caller's).
type boundLayer struct {
	*layerDef
	batch int

	w, b       []float64 // W (rows×out) and b (out)
	gw, gb, hw []float64 // ConcatSquash

	uBuf, hBuf  []float64 // owned storage
	u, h        []float64 // current pre-activation and output
	u0          []float64
	gate, gateQ []float64
	bias        []float64
	wt          []float64 // scratch for Wᵀ (out×in) in mulNT
	s1, s2      []float64 // ConcatSquash backward: column sums (out)
	lastT       float64   // t of the last forward call
}

func newBoundLayer(d *layerDef, theta [][]float64, batch int) *boundLayer {
	l := &boundLayer{layerDef: d, batch: batch}
	l.bind(theta)
	n := batch * d.Out
	l.uBuf = make([]float64, n)
	if !d.ident {
		l.hBuf = make([]float64, n)
	}
	switch d.Kind {
	case KindConcatLinear:
		l.bias = make([]float64, d.Out)
	case KindConcatSquash:
		l.u0 = make([]float64, n)
		l.gate = make([]float64, d.Out)
		l.gateQ = make([]float64, d.Out)
		l.s1 = make([]float64, d.Out)
		l.s2 = make([]float64, d.Out)
	}
	return l
}

// bind points the layer at its parameter values in theta (flat, in the order of Params).
func (l *boundLayer) bind(theta [][]float64) {
	d := l.layerDef
	l.w, l.b = theta[d.param], theta[d.param+1]
	if d.Kind == KindConcatSquash {
		l.gw, l.gb, l.hw = theta[d.param+2], theta[d.param+3], theta[d.param+4]
	}
}

// forward computes the layer on x (batch×in) at time t and writes its output to out
// (batch×out); out == nil means the layer's own buffer. It records u and h for backward.
func (l *boundLayer) forward(out []float64, t float64, x []float64) {
	if out == nil {
		out = l.hBuf
		if l.ident {
			out = l.uBuf
		}
	}
	u := l.uBuf
	if l.ident {
		u = out
	}
	in, o, m := l.in, l.Out, l.batch
	switch l.Kind {
	case KindLinear:
		kernels.MulNNBias(u, x, l.w, l.b, m, in, o)
	case KindConcatLinear:
		wt := l.w[in*o : in*o+o]
		for j, b := range l.b[:o] {
			l.bias[j] = b + t*wt[j]
		}
		kernels.MulNNBias(u, x, l.w[:in*o], l.bias, m, in, o)
	case KindConcatSquash:
		kernels.MulNNBias(l.u0, x, l.w, l.b, m, in, o)
		for j := range l.gate {
			l.gate[j], l.gateQ[j] = sigmoidParts(t*l.gw[j] + l.gb[j])
		}
		gate, hw := l.gate[:o], l.hw[:o]
		for i := 0; i < m; i++ {
			ui, u0i := u[i*o:i*o+o], l.u0[i*o:i*o+o]
			for j, g := range gate {
				ui[j] = u0i[j]*g + t*hw[j]
			}
		}
	}
	if !l.ident {
		l.Act.Apply(out, u)
	}
	l.u, l.h, l.lastT = u, out, t
}

// backward is the vector-Jacobian product of the last forward call. On entry g holds the
// cotangent of the output (batch×out); it is overwritten (with the cotangent of u, or of
// u0 for ConcatSquash). x is the input of that forward call. When dtheta is not nil the
// layer's parameter gradients, summed over the batch, overwrite dtheta (the layer's part
// of the flat parameter vector, in Role order). When dx is not nil the cotangent of x
// overwrites it (batch×in).
func (l *boundLayer) backward(dx, dtheta, g, x []float64) {
	in, o, m, t := l.in, l.Out, l.batch, l.lastT
	if !l.ident {
		l.Act.MulDeriv(g, l.u, l.h)
	}
	if l.Kind == KindConcatSquash {
		clear(l.s1)
		clear(l.s2)
		s1, s2, gate := l.s1[:o], l.s2[:o], l.gate[:o]
		for i := 0; i < m; i++ {
			gi, u0i := g[i*o:i*o+o], l.u0[i*o:i*o+o]
			for j, v := range gi {
				s1[j] += v
				s2[j] += v * u0i[j]
				gi[j] = v * gate[j]
			}
		}
	}
	if dtheta != nil {
		dw := dtheta[:l.rows*o]
		db := dtheta[l.rows*o : l.rows*o+o]
		kernels.MulTN(dw[:in*o], x, g, m, in, o, false)
		kernels.ColSums(db, g, m, o, false)
		switch l.Kind {
		case KindConcatLinear:
			dwt := dw[in*o:]
			for j, v := range db {
				dwt[j] = t * v
			}
		case KindConcatSquash:
			rest := dtheta[(l.rows+1)*o:]
			dgw, dgb, dhw := rest[:o], rest[o:2*o], rest[2*o:3*o]
			for j := range dgw {
				d := l.s2[j] * l.gate[j] * l.gateQ[j]
				dgw[j] = t * d
				dgb[j] = d
				dhw[j] = t * l.s1[j]
			}
		}
	}
	if dx != nil {
		kernels.MulNT(dx, g, l.w[:in*o], m, o, in, false)
	}
}
