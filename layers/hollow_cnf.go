package layers

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/odeop"
)

// HollowCNF is the augmented dynamics of a continuous normalizing flow around a HollowNet
// f, with the exact divergence at about the cost of one evaluation of f (where the CNF's
// TraceExact costs Dim forward-mode products and TraceHutchinson is an estimate). Its ODE
// state is a (batch, Dim+1) matrix whose row is [ z (Dim) | Δlogp (1) ], with
//
//	dz/dt = f(t, z),   dΔlogp/dt = -tr(∂f/∂z),
//
// the same layout and sign convention as CNF without regularizers and with the exact
// trace: from [x, 0] at t = 0 the state at T holds z(T) and Δlogp(T), and log p(x) =
// log p_base(z(T)) - Δlogp(T). Its vector-Jacobian products, which need the gradient of
// the divergence, are the HollowNet's hand-written ones (the second derivative of the
// transformer's activation). It implements odeop.Dynamics; solve it over Times().
type HollowCNF struct {
	f *HollowNet
	t float64
}

var _ odeop.Dynamics = (*HollowCNF)(nil)

// NewHollowCNF wraps f into CNF dynamics over [0, T] (T = 0 means 1).
func NewHollowCNF(f *HollowNet, T float64) (*HollowCNF, error) {
	if f == nil {
		return nil, errors.Wrap(ErrSpec, "hollow cnf: nil network")
	}
	if T == 0 {
		T = 1
	}
	if !(T > 0) || math.IsInf(T, 0) {
		return nil, errors.Wrapf(ErrSpec, "hollow cnf: end time %g", T)
	}
	return &HollowCNF{f: f, t: T}, nil
}

// Net returns the network f.
func (c *HollowCNF) Net() *HollowNet { return c.f }

// Dim returns the data dimension.
func (c *HollowCNF) Dim() int { return c.f.spec.Dim }

// Width returns the width of the augmented state, Dim+1.
func (c *HollowCNF) Width() int { return c.f.spec.Dim + 1 }

// LogPCol returns the column of Δlogp (Dim).
func (c *HollowCNF) LogPCol() int { return c.f.spec.Dim }

// Times returns the interval [0, T].
func (c *HollowCNF) Times() []float64 { return []float64{0, c.t} }

// Params returns the network's parameter nodes.
func (c *HollowCNF) Params() G.Nodes { return c.f.params }

// Check implements odeop.Dynamics: the state must be (batch, Dim+1).
func (c *HollowCNF) Check(batch, dim int) error {
	if batch < 1 {
		return errors.Wrapf(ErrShape, "hollow cnf %s: batch size %d", c.f.name, batch)
	}
	if dim != c.Width() {
		return errors.Wrapf(ErrShape, "hollow cnf %s: state width %d, want %d (z: %d, logp: 1)", c.f.name, dim, c.Width(), c.Dim())
	}
	return nil
}

// Bind implements odeop.Dynamics.
func (c *HollowCNF) Bind(theta [][]float64, batch, dim int) (odeop.Evaluator, error) {
	if err := c.Check(batch, dim); err != nil {
		return nil, err
	}
	e, err := c.f.NewEval(theta, batch)
	if err != nil {
		return nil, err
	}
	return hollowCNFEval{e}, nil
}

// hollowCNFEval evaluates the augmented dynamics on (batch, Dim+1) rows.
type hollowCNFEval struct{ *HollowEval }

var (
	_ odeop.Evaluator = hollowCNFEval{}
	_ odeop.Releaser  = hollowCNFEval{}
)

// gather copies the z columns of the state rows into the evaluator's input.
func (h hollowCNFEval) gather(z []float64) {
	e := h.e
	d := e.n.spec.Dim
	e.check("state", z, e.batch*(d+1))
	for b := 0; b < e.batch; b++ {
		copy(e.x[b*d:(b+1)*d], z[b*(d+1):b*(d+1)+d])
	}
}

// scatter writes [f, -div] rows into dst.
func (h hollowCNFEval) scatter(dst []float64) {
	e := h.e
	d := e.n.spec.Dim
	e.check("dst", dst, e.batch*(d+1))
	for b := 0; b < e.batch; b++ {
		row := dst[b*(d+1) : (b+1)*(d+1)]
		copy(row[:d], e.f[b*d:(b+1)*d])
		s := 0.0
		for _, v := range e.diag[b*d : (b+1)*d] {
			s += v
		}
		row[d] = -s
	}
}

func (h hollowCNFEval) Eval(dst []float64, t float64, z []float64) {
	h.gather(z)
	h.e.forward(t, hollowDiag)
	h.scatter(dst)
}

func (h hollowCNFEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	e := h.e
	d := e.n.spec.Dim
	h.gather(z)
	e.forward(t, hollowFull)
	if f != nil {
		h.scatter(f)
	}
	if dz == nil && dtheta == nil {
		return
	}
	e.check("a", a, e.batch*(d+1))
	// the cotangent of f is a's z columns (gathered into az), that of div is -a's last
	for b := 0; b < e.batch; b++ {
		copy(e.az[b*d:(b+1)*d], a[b*(d+1):b*(d+1)+d])
		e.adiv[b] = -a[b*(d+1)+d]
	}
	if dz == nil {
		e.backward(nil, dtheta, e.az, e.adiv)
		return
	}
	e.check("dz", dz, e.batch*(d+1))
	// backward writes dx into a B×d buffer: use f's scratch (free after scatter)
	e.backward(e.f, dtheta, e.az, e.adiv)
	for b := 0; b < e.batch; b++ {
		copy(dz[b*(d+1):b*(d+1)+d], e.f[b*d:(b+1)*d])
		dz[b*(d+1)+d] = 0
	}
}
