package layers

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"

	"github.com/continuum-ml/continuum/internal/kernels"
)

// Activation is an elementwise function sigma applied after a layer's affine map, with
// the derivatives that backpropagation (first) and forward-over-reverse products such as
// the gradient of an exact Jacobian trace (second) need. All methods work on slices of
// equal length; x is the pre-activation and y = sigma(x) the output that Apply wrote, so an
// implementation may use whichever of the two is cheaper and more accurate.
//
// The built-in activations are the constants of type Builtin. A user-defined activation
// implements this interface; it must be a comparable value.
type Activation interface {
	// String names the activation.
	String() string
	// Apply writes y[i] = sigma(x[i]); y and x may be the same slice.
	Apply(y, x []float64)
	// MulDeriv multiplies g[i] by sigma'(x[i]), given y[i] = sigma(x[i]). It is the
	// backward pass of the activation; g may not alias x or y.
	MulDeriv(g, x, y []float64)
	// Deriv writes d[i] = sigma'(x[i]), given y[i] = sigma(x[i]); d may not alias x or y.
	Deriv(d, x, y []float64)
	// Deriv2 writes d[i] = sigma”(x[i]), given y[i] = sigma(x[i]); d may not alias x or y.
	Deriv2(d, x, y []float64)
	// Node applies sigma to a Gorgonia node with Gorgonia operations, for building the
	// same network as a Gorgonia graph (see MLP.FwdAt).
	Node(x *G.Node) (*G.Node, error)
}

// Builtin is an activation implemented by this package. Tanh, softplus and sigmoid (and
// swish through it) run the vector kernels of internal/kernels (AVX-512 or AVX2 where the
// CPU has them), a few ulp from the correctly rounded result and several times faster
// than package math; the derivatives use the table-driven scalar functions of
// fastmath.go and, for softplus, an AVX2 kernel.
type Builtin int

// The built-in activations.
const (
	// Identity is sigma(x) = x (no activation); layers with it skip the elementwise pass.
	Identity Builtin = iota
	// Tanh is the hyperbolic tangent.
	Tanh
	// Softplus is log(1 + e^x), and x itself above 20 (as PyTorch's default threshold).
	Softplus
	// Sigmoid is 1 / (1 + e^-x).
	Sigmoid
	// ELU is x for x > 0 and e^x - 1 otherwise (alpha = 1).
	ELU
	// Swish is x * sigmoid(x) (SiLU).
	Swish
	// Sin is the sine.
	Sin
	numBuiltins
)

var builtinNames = [...]string{"identity", "tanh", "softplus", "sigmoid", "elu", "swish", "sin"}

// String returns the activation's name ("tanh", "softplus", ...).
func (a Builtin) String() string {
	if a < 0 || a >= numBuiltins {
		return fmt.Sprintf("Builtin(%d)", int(a))
	}
	return builtinNames[a]
}

func (a Builtin) check() {
	if a < 0 || a >= numBuiltins {
		panic(fmt.Sprintf("layers: unknown activation %d", int(a)))
	}
}

func lengthCheck(n int, s ...[]float64) {
	for _, v := range s {
		if len(v) != n {
			panic("layers: activation slices of different lengths")
		}
	}
}

// Apply writes y[i] = a(x[i]); y and x may be the same slice.
func (a Builtin) Apply(y, x []float64) {
	lengthCheck(len(x), y)
	switch a {
	case Identity:
		copy(y, x)
	case Tanh:
		kernels.Tanh(y, x)
	case Softplus:
		kernels.Softplus(y, x)
	case Sigmoid:
		kernels.Sigmoid(y, x)
	case ELU:
		for i, v := range x {
			if v > 0 {
				y[i] = v
			} else {
				y[i] = fexpm1(v)
			}
		}
	case Swish:
		if len(x) > 0 && &y[0] == &x[0] {
			for i, v := range x {
				y[i] = v * fsigmoid(v)
			}
			break
		}
		kernels.Sigmoid(y, x)
		for i, v := range x {
			y[i] *= v
		}
	case Sin:
		for i, v := range x {
			y[i] = math.Sin(v)
		}
	default:
		a.check()
	}
}

// chunk is the length of the stack buffers of MulDeriv.
const chunk = 256

// sigmoidParts returns s = sigmoid(x) and q = 1 - s = sigmoid(-x), both with full relative
// accuracy.
func sigmoidParts(x float64) (s, q float64) {
	e := fexp(-math.Abs(x))
	d := 1 / (1 + e)
	if x >= 0 {
		return d, e * d
	}
	return e * d, d
}

// MulDeriv multiplies g[i] by a'(x[i]), given y = a(x).
func (a Builtin) MulDeriv(g, x, y []float64) {
	lengthCheck(len(g), x, y)
	switch a {
	case Identity:
	case Tanh:
		for i, v := range y {
			g[i] *= 1 - v*v
		}
	case Softplus:
		// softplus' = sigmoid, and 1 where softplus(x) = x (as PyTorch).
		var buf [chunk]float64
		for lo := 0; lo < len(g); lo += chunk {
			hi := min(lo+chunk, len(g))
			sg, xs, gs := buf[:hi-lo], x[lo:hi], g[lo:hi]
			kernels.Sigmoid(sg, xs)
			for i, v := range xs {
				if v > 20 {
					continue
				}
				gs[i] *= sg[i]
			}
		}
	case Sigmoid:
		// y(1 - y), as PyTorch: where y rounds near 1 the derivative keeps an absolute
		// error of 1e-16 (Deriv2 computes from x instead).
		for i, v := range y {
			g[i] *= v - v*v
		}
	case ELU:
		for i, v := range x {
			if v <= 0 {
				g[i] *= fexp(v)
			}
		}
	case Swish:
		// s (1 + x (1 - s)) with s = sigmoid(x).
		var buf [chunk]float64
		for lo := 0; lo < len(g); lo += chunk {
			hi := min(lo+chunk, len(g))
			sg, xs, gs := buf[:hi-lo], x[lo:hi], g[lo:hi]
			kernels.Sigmoid(sg, xs)
			for i, v := range xs {
				s := sg[i]
				gs[i] *= s + v*(s-s*s)
			}
		}
	case Sin:
		for i, v := range x {
			g[i] *= math.Cos(v)
		}
	default:
		a.check()
	}
}

// Deriv writes d[i] = a'(x[i]), given y = a(x).
func (a Builtin) Deriv(d, x, y []float64) {
	lengthCheck(len(d), x, y)
	for i := range d {
		d[i] = 1
	}
	a.MulDeriv(d, x, y)
}

// Deriv2 writes d[i] = a”(x[i]), given y = a(x).
func (a Builtin) Deriv2(d, x, y []float64) {
	lengthCheck(len(d), x, y)
	switch a {
	case Identity:
		clear(d)
	case Tanh:
		for i, v := range y {
			d[i] = -2 * v * (1 - v*v)
		}
	case Softplus:
		for i, v := range x {
			if v > 20 {
				d[i] = 0
				continue
			}
			s, q := sigmoidParts(v)
			d[i] = s * q
		}
	case Sigmoid:
		for i, v := range x {
			s, q := sigmoidParts(v)
			d[i] = s * q * (q - s)
		}
	case ELU:
		for i, v := range x {
			if v > 0 {
				d[i] = 0
			} else {
				d[i] = fexp(v)
			}
		}
	case Swish:
		for i, v := range x {
			s, q := sigmoidParts(v)
			d[i] = s * q * (2 + v*(q-s))
		}
	case Sin:
		for i, v := range y {
			d[i] = -v
		}
	default:
		a.check()
	}
}

// Node applies a to a Gorgonia node. Softplus is built as relu(x) + log1p(e^-|x|), which
// equals the native softplus up to 2e-9 absolute above 20 (where the native one returns x,
// as PyTorch does) and exactly below; Gorgonia's own Softplus switches already at 16.
func (a Builtin) Node(x *G.Node) (*G.Node, error) {
	switch a {
	case Identity:
		return x, nil
	case Tanh:
		return G.Tanh(x)
	case Softplus:
		abs, err := G.Abs(x)
		if err != nil {
			return nil, err
		}
		l, err := G.Log1p(G.Must(G.Exp(G.Must(G.Neg(abs)))))
		if err != nil {
			return nil, err
		}
		return G.Add(G.Must(G.Rectify(x)), l)
	case Sigmoid:
		return G.Sigmoid(x)
	case ELU:
		// relu(x) + expm1(-relu(-x))
		neg, err := G.Neg(x)
		if err != nil {
			return nil, err
		}
		e, err := G.Expm1(G.Must(G.Neg(G.Must(G.Rectify(neg)))))
		if err != nil {
			return nil, err
		}
		return G.Add(G.Must(G.Rectify(x)), e)
	case Swish:
		s, err := G.Sigmoid(x)
		if err != nil {
			return nil, err
		}
		return G.HadamardProd(x, s)
	case Sin:
		return G.Sin(x)
	}
	return nil, fmt.Errorf("layers: unknown activation %d", int(a))
}
