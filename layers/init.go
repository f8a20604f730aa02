package layers

import (
	"math"
	"math/rand/v2"
)

// Role says what a parameter tensor is within its layer; it is also the suffix of the
// parameter's node name ("<name>.<layer>.<suffix>").
type Role int

// The parameter roles. Linear and ConcatLinear layers have a Weight and a Bias;
// ConcatSquash layers have all five.
const (
	// Weight is W, of shape (in, out); (in+1, out) for ConcatLinear, whose last row
	// multiplies t. Suffix "W".
	Weight Role = iota
	// Bias is b, of shape (out). Suffix "b".
	Bias
	// GateWeight is ConcatSquash's gate weight wg, of shape (out): the gate is
	// sigmoid(t*wg + bg). Suffix "gW".
	GateWeight
	// GateBias is ConcatSquash's gate bias bg, of shape (out). Suffix "gb".
	GateBias
	// HyperBias is ConcatSquash's time-dependent bias weight wb, of shape (out): the layer
	// adds t*wb. Suffix "hW".
	HyperBias
)

var roleSuffix = [...]string{"W", "b", "gW", "gb", "hW"}

// String returns the role's suffix in parameter names ("W", "b", ...).
func (r Role) String() string {
	if r < 0 || int(r) >= len(roleSuffix) {
		return "Role(?)"
	}
	return roleSuffix[r]
}

// ParamInfo describes one parameter tensor to an Init.
type ParamInfo struct {
	Layer  int  // L, the index of the layer in its network (0-based)
	Role   Role // what the tensor is
	Rows   int  // rows of the tensor (1 for vectors)
	Cols   int  // columns of the tensor (its length for vectors)
	FanIn  int  // inputs of the map the tensor belongs to: Rows for weights, 1 for GateWeight and HyperBias
	FanOut int  // outputs of that map: the layer's width
}

// Init writes the initial values of one parameter tensor (row-major, Rows*Cols values)
// into dst.
type Init func(dst []float64, p ParamInfo)

// GlorotUniform returns the Glorot (Xavier) uniform initializer: weights (Weight,
// GateWeight, HyperBias) are drawn from U(-a, a) with a = sqrt(6 / (FanIn + FanOut)),
// biases (Bias, GateBias) are zero. Each tensor draws from its own PCG stream derived
// from seed, its layer and its role, so the values do not depend on the other layers.
func GlorotUniform(seed uint64) Init {
	return func(dst []float64, p ParamInfo) {
		if p.Role == Bias || p.Role == GateBias {
			clear(dst)
			return
		}
		a := math.Sqrt(6 / float64(p.FanIn+p.FanOut))
		rng := rand.New(rand.NewPCG(seed, uint64(p.Layer)<<8|uint64(p.Role)))
		for i := range dst {
			dst[i] = a * (2*rng.Float64() - 1)
		}
	}
}

// ReferenceInit sets the closed-form values of the reference benchmark configurations
// (docs/REFERENCE-CONFIGURATIONS.md): for layer L with a weight W of n_in rows,
//
//	W[i][j] = sin(0.37*(i+1) + 0.91*(j+1) + 1.7*L) / sqrt(n_in),
//	b[j]    = 0.1 * cos(0.53*(j+1) + 0.29*L),
//
// where n_in counts the row of t of a ConcatLinear layer (BENCHMARKS.md N3). ConcatSquash's
// extra vectors use the same formulas as a one-row weight or a bias with L replaced by
// L + 0.25 (GateWeight, GateBias) and L + 0.5 (HyperBias).
func ReferenceInit(dst []float64, p ParamInfo) {
	L := float64(p.Layer)
	switch p.Role {
	case GateWeight, GateBias:
		L += 0.25
	case HyperBias:
		L += 0.5
	}
	switch p.Role {
	case Bias, GateBias:
		for j := range dst {
			dst[j] = 0.1 * math.Cos(0.53*float64(j+1)+0.29*L)
		}
	default:
		s := math.Sqrt(float64(p.Rows))
		for i := 0; i < p.Rows; i++ {
			for j := 0; j < p.Cols; j++ {
				dst[i*p.Cols+j] = math.Sin(0.37*float64(i+1)+0.91*float64(j+1)+1.7*L) / s
			}
		}
	}
}
