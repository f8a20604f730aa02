package sdeop

import (
	"fmt"

	"github.com/pkg/errors"
)

// Brownian is a sample path of a dim-dimensional Brownian motion W on a time interval.
type Brownian interface {
	// Dim is the number of independent components.
	Dim() int
	// Increment writes W(t) - W(s) into dst, which must have length Dim(). s > t is
	// allowed (the increment is then minus that over [t, s]). The numbers depend only on
	// the path (its seed and construction), never on the order of earlier queries.
	Increment(dst []float64, s, t float64)
}

// LevyBrownian is a Brownian motion that also gives the space-time Levy area of its
// increments, which strong order 1.5 methods (SRK) need.
type LevyBrownian interface {
	Brownian
	// HasLevyArea reports whether IncrementWithLevy is available on this path.
	HasLevyArea() bool
	// IncrementWithLevy writes the increment W(t) - W(s) into dstW and the space-time
	// Levy area H into dstH. For s < t, H = (1/(t-s)) * integral_s^t (W(r) - W(s)) dr -
	// (W(t) - W(s))/2, a N(0, (t-s)/12) variate independent of the increment. H is
	// symmetric under time reversal: for s > t it is the Levy area over [t, s] (that of
	// the reversed path r -> W(s-r) - W(s)), while the increment changes sign.
	IncrementWithLevy(dstW, dstH []float64, s, t float64)
}

// Spanner is implemented by Brownian motions defined on a bounded interval; Integrate
// checks the output times against it.
type Spanner interface {
	Span() (t0, t1 float64)
}

// Noise is the structure of the diffusion term g(t, y) dW.
type Noise int

const (
	// Diagonal noise: one Brownian component per state, dy_i = f_i dt + g_i(t, y) dW_i,
	// len(g) = len(y). Milstein and SRK further assume that g_i depends on y_i only.
	Diagonal Noise = iota
	// Additive noise: diagonal noise whose g_i(t) does not depend on y.
	Additive
	// Scalar noise: the state is cut into Brownian.Dim() equal consecutive blocks (the
	// rows of a batch; one block when Dim() is 1), and every state of block b is driven
	// by the same scalar Brownian motion: dy_i = f_i dt + g_i(t, y) dW_b, len(g) = len(y).
	Scalar
	// General noise: g is a len(y) x NoiseDim matrix, row-major, and dy = f dt + g dW.
	// If the Brownian motion has B*NoiseDim components, the state is B blocks of
	// len(y)/B (batch rows), block b driven by components b*NoiseDim .. (b+1)*NoiseDim-1.
	General
)

// String names the noise type.
func (n Noise) String() string {
	return enumName([]string{"diagonal", "additive", "scalar", "general"}, int(n), "Noise")
}

// enumName is names[v], or typ(v) for a v outside them.
func enumName(names []string, v int, typ string) string {
	if v >= 0 && v < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, v)
}

// Calculus is the interpretation of the stochastic integral.
type Calculus int

const (
	Ito          Calculus = iota // Ito integral (the default)
	Stratonovich                 // Stratonovich integral
)

// String names the calculus.
func (c Calculus) String() string {
	return enumName([]string{"ito", "stratonovich"}, int(c), "Calculus")
}

// SDE is dy = Drift(t, y) dt + Diffusion(t, y) dW in the given calculus. Drift writes
// f(t, y) into f (len(y)); Diffusion writes g(t, y) into g (len(y) for Diagonal,
// Additive and Scalar noise, len(y)*NoiseDim row-major for General). Neither may keep
// or modify y; both overwrite their output.
type SDE struct {
	Drift     func(t float64, y, f []float64)
	Diffusion func(t float64, y, g []float64)
	Noise     Noise    // Diagonal (the zero value), Additive, Scalar or General
	Calculus  Calculus // Ito (the zero value) or Stratonovich
	NoiseDim  int      // General only: columns of g
}

// Method names an SDE integration method. All take fixed steps (WithStep).
type Method string

// The methods, their calculus, the noise types they accept, and their strong orders.
const (
	// Euler is Euler-Maruyama. Ito; every noise type; strong order 0.5 (1.0 for
	// additive noise). The default for Ito SDEs.
	Euler Method = "euler"
	// Milstein is the derivative-free Milstein method: the derivative term g g' is a
	// difference quotient of g, one-sided at y + f dt + g sqrt(dt) for Ito SDEs (as
	// torchsde's grad_free option and Kloeden-Platen 11.1), central at y +- g sqrt(dt)
	// for Stratonovich ones (where a one-sided quotient would lose half an order). Ito
	// or Stratonovich; diagonal, additive, scalar noise; strong order 1.0. One (Ito) or
	// two (Stratonovich) extra diffusion evaluations per step; none for additive noise,
	// where it is Euler-Maruyama.
	Milstein Method = "milstein"
	// SRK is Roessler's (2010) stochastic Runge-Kutta method: SRID2 for diagonal and
	// scalar noise (4 stages), SRA1 for additive noise (2 stages), as torchsde's srk.
	// Ito; needs the space-time Levy area (a LevyBrownian with HasLevyArea, e.g. a
	// BrownianInterval made with WithLevyArea); strong order 1.5.
	SRK Method = "srk"
	// Heun is the stochastic Heun method (trapezoidal predictor-corrector).
	// Stratonovich; every noise type; strong order 1.0 for additive and commutative
	// noise, 0.5 in general.
	Heun Method = "heun"
	// EulerHeun evaluates the drift once (Euler) and averages the diffusion at both
	// ends (Heun). Stratonovich; every noise type; strong order 0.5 (1.0 for
	// commutative noise).
	EulerHeun Method = "euler_heun"
	// Midpoint is the stochastic explicit midpoint method. Stratonovich; every noise
	// type; strong order 0.5 in general, 1.0 for commutative noise. The default for
	// Stratonovich SDEs, as in torchsde.
	Midpoint Method = "midpoint"
	// ReversibleHeun is the reversible Heun method of Kidger et al. (2021): one drift
	// and one diffusion evaluation per step, algebraically reversible (see
	// ReversibleHeunStepper). Stratonovich; every noise type; strong order 1.0 for
	// additive noise, 0.5 in general.
	ReversibleHeun Method = "reversible_heun"
)

// Solution is the result of Integrate: Ys[i] = y(Ts[i]) and Ys[0] = y0.
type Solution struct {
	Ts    []float64
	Ys    [][]float64
	Stats Stats
}

// Stats counts the work of a solve.
type Stats struct {
	NFE          int // drift evaluations
	NFEDiffusion int // diffusion evaluations
	Steps        int // steps taken
}

// Add returns the sum of two Stats.
func (s Stats) Add(o Stats) Stats {
	return Stats{NFE: s.NFE + o.NFE, NFEDiffusion: s.NFEDiffusion + o.NFEDiffusion, Steps: s.Steps + o.Steps}
}

// Sentinel errors; every error returned by this package wraps one of them, so callers can
// test with errors.Is.
var (
	ErrTimes       = errors.New("sdeop: invalid output times")
	ErrState       = errors.New("sdeop: invalid initial state")
	ErrSDE         = errors.New("sdeop: invalid SDE")
	ErrMethod      = errors.New("sdeop: unknown method")
	ErrUnsupported = errors.New("sdeop: method does not support this SDE")
	ErrStep        = errors.New("sdeop: invalid step")
	ErrOption      = errors.New("sdeop: invalid option")
	ErrBrownian    = errors.New("sdeop: invalid Brownian motion")
	ErrMaxSteps    = errors.New("sdeop: step limit reached")
	ErrNonFinite   = errors.New("sdeop: non-finite state")
	ErrDynamics    = errors.New("sdeop: dynamics failed") // a panic in the dynamics (which also wraps ErrSDE)
)
