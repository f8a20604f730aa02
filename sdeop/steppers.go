package sdeop

import "math"

// stepper advances the state of one method. A solve calls init once at its start, then
// step for each step from t to t + h (h < 0 integrates backward: see Integrate), with
// the Brownian increment dw = W(t+h) - W(t) and, for methods that need it, the
// space-time Levy area hh (else nil). Steppers own their scratch buffers: no
// allocation per step.
type stepper interface {
	init(t float64, y []float64)
	step(t, h float64, y, dw, hh []float64)
}

// newStepper returns the stepper of method m for sys; the caller has checked support.
func newStepper(m Method, sys *system, calc Calculus) stepper {
	switch m {
	case Euler:
		return newEulerStepper(sys)
	case Milstein:
		return newMilsteinStepper(sys, calc)
	case SRK:
		return newSRKStepper(sys)
	case Heun:
		return newHeunStepper(sys)
	case EulerHeun:
		return newEulerHeunStepper(sys)
	case Midpoint:
		return newMidpointStepper(sys)
	case ReversibleHeun:
		return &revHeunAdapter{newRevHeun(sys)}
	}
	return nil
}

// methodInfo says which calculus and noise types a method supports.
type methodInfo struct {
	calculus Calculus
	noises   []Noise
	levy     bool // needs the space-time Levy area
}

var allNoises = []Noise{Diagonal, Additive, Scalar, General}

var methods = map[Method]methodInfo{
	Euler:          {Ito, allNoises, false},
	Milstein:       {-1, []Noise{Diagonal, Additive, Scalar}, false}, // both calculi
	SRK:            {Ito, []Noise{Diagonal, Additive, Scalar}, true},
	Heun:           {Stratonovich, allNoises, false},
	EulerHeun:      {Stratonovich, allNoises, false},
	Midpoint:       {Stratonovich, allNoises, false},
	ReversibleHeun: {Stratonovich, allNoises, false},
}

// supports reports whether the method handles the SDE. With additive noise the Ito and
// Stratonovich calculi coincide, so every method accepts either.
func (mi methodInfo) supports(n Noise, c Calculus) (noiseOK, calcOK bool) {
	for _, x := range mi.noises {
		if x == n {
			noiseOK = true
		}
	}
	calcOK = mi.calculus < 0 || mi.calculus == c || n == Additive
	return noiseOK, calcOK
}

func newVecs(n, k int) [][]float64 {
	buf := make([]float64, n*k)
	out := make([][]float64, k)
	for i := range out {
		out[i] = buf[i*n : (i+1)*n : (i+1)*n]
	}
	return out
}

// eulerStepper is Euler-Maruyama: y += f h + g dW.
type eulerStepper struct {
	sys  *system
	f, g []float64
}

func newEulerStepper(sys *system) *eulerStepper {
	return &eulerStepper{sys: sys, f: make([]float64, sys.n), g: make([]float64, sys.glen)}
}

func (s *eulerStepper) init(float64, []float64) {}

func (s *eulerStepper) step(t, h float64, y, dw, _ []float64) {
	s.sys.f(t, y, s.f)
	s.sys.g(t, y, s.g)
	for i := range y {
		y[i] += h * s.f[i]
	}
	s.sys.prodAdd(y, s.g, dw, 1)
}

// milsteinStepper is the derivative-free Milstein method for diagonal-like noise,
// y1 = y + f h + g dW + (1/2) g g' v with v = dW^2 - |h| (Ito) or dW^2 (Stratonovich),
// where the directional derivative g g' (g'_i = dg_i/dy_i for diagonal noise; the
// derivative along g for scalar noise) is a difference quotient:
//
//	Ito:          g g' ~ (g(t+h, y + f h + g sqrt|h|) - g(t, y)) / sqrt|h|
//	Stratonovich: g g' ~ (g(t, y + g sqrt|h|) - g(t, y - g sqrt|h|)) / (2 sqrt|h|)
//
// The one-sided quotient (Kloeden-Platen's derivative-free Milstein, torchsde's
// grad_free) is off by O(sqrt h), which v's zero mean averages out in the Ito scheme;
// the Stratonovich v = dW^2 has mean |h|, so there the error would bias the drift and
// cost half an order: the central quotient is O(h). One (Ito) or two (Stratonovich)
// extra diffusion evaluations per step; none for additive noise (Euler-Maruyama).
type milsteinStepper struct {
	sys         *system
	strat       bool
	f, g, g1, y []float64
	g2          []float64
	xi          []float64
}

func newMilsteinStepper(sys *system, calc Calculus) *milsteinStepper {
	v := newVecs(sys.n, 6)
	return &milsteinStepper{sys: sys, strat: calc == Stratonovich, f: v[0], g: v[1], g1: v[2], y: v[3], xi: v[4], g2: v[5]}
}

func (s *milsteinStepper) init(float64, []float64) {}

func (s *milsteinStepper) step(t, h float64, y, dw, _ []float64) {
	xi := s.sys.expand(s.xi, dw)
	s.sys.f(t, y, s.f)
	s.sys.g(t, y, s.g)
	f, g := s.f, s.g
	if s.sys.noise == Additive {
		for i := range y {
			y[i] += h*f[i] + g[i]*xi[i]
		}
		return
	}
	a := math.Abs(h)
	sq := math.Sqrt(a)
	yp := s.y
	if s.strat {
		// gg' = (g(y + g sq) - g(y - g sq)) / (2 sq); the correction is gg' dW^2 / 2.
		for i := range yp {
			yp[i] = y[i] + g[i]*sq
		}
		s.sys.g(t, yp, s.g1)
		for i := range yp {
			yp[i] = y[i] - g[i]*sq
		}
		s.sys.g(t, yp, s.g2)
		c := 0.25 / sq
		for i := range y {
			y[i] += h*f[i] + g[i]*xi[i] + c*(s.g1[i]-s.g2[i])*xi[i]*xi[i]
		}
		return
	}
	for i := range yp {
		yp[i] = y[i] + h*f[i] + g[i]*sq
	}
	s.sys.g(t+h, yp, s.g1)
	c := 0.5 / sq
	for i := range y {
		v := xi[i]*xi[i] - a
		y[i] += h*f[i] + g[i]*xi[i] + c*(s.g1[i]-g[i])*v
	}
}

// heunStepper is the stochastic Heun method:
//
//	y~ = y + f h + g dW,  y1 = y + (f + f(t+h, y~)) h/2 + (g + g(t+h, y~)) dW/2.
type heunStepper struct {
	sys        *system
	f0, f1, yt []float64
	g0, g1     []float64
}

func newHeunStepper(sys *system) *heunStepper {
	v := newVecs(sys.n, 3)
	g := newVecs(sys.glen, 2)
	return &heunStepper{sys: sys, f0: v[0], f1: v[1], yt: v[2], g0: g[0], g1: g[1]}
}

func (s *heunStepper) init(float64, []float64) {}

func (s *heunStepper) step(t, h float64, y, dw, _ []float64) {
	s.sys.f(t, y, s.f0)
	s.sys.g(t, y, s.g0)
	for i := range y {
		s.yt[i] = y[i] + h*s.f0[i]
	}
	s.sys.prodAdd(s.yt, s.g0, dw, 1)
	s.sys.f(t+h, s.yt, s.f1)
	s.sys.g(t+h, s.yt, s.g1)
	for i := range y {
		y[i] += 0.5 * h * (s.f0[i] + s.f1[i])
	}
	s.sys.prodAdd(y, s.g0, dw, 0.5)
	s.sys.prodAdd(y, s.g1, dw, 0.5)
}

// eulerHeunStepper evaluates the drift once and averages the diffusion:
//
//	y~ = y + g dW,  y1 = y + f h + (g + g(t+h, y~)) dW/2.
type eulerHeunStepper struct {
	sys    *system
	f, yt  []float64
	g0, g1 []float64
}

func newEulerHeunStepper(sys *system) *eulerHeunStepper {
	v := newVecs(sys.n, 2)
	g := newVecs(sys.glen, 2)
	return &eulerHeunStepper{sys: sys, f: v[0], yt: v[1], g0: g[0], g1: g[1]}
}

func (s *eulerHeunStepper) init(float64, []float64) {}

func (s *eulerHeunStepper) step(t, h float64, y, dw, _ []float64) {
	s.sys.f(t, y, s.f)
	s.sys.g(t, y, s.g0)
	copy(s.yt, y)
	s.sys.prodAdd(s.yt, s.g0, dw, 1)
	s.sys.g(t+h, s.yt, s.g1)
	for i := range y {
		y[i] += h * s.f[i]
	}
	s.sys.prodAdd(y, s.g0, dw, 0.5)
	s.sys.prodAdd(y, s.g1, dw, 0.5)
}

// midpointStepper is the stochastic explicit midpoint method:
//
//	ym = y + f h/2 + g dW/2,  y1 = y + f(t+h/2, ym) h + g(t+h/2, ym) dW.
type midpointStepper struct {
	sys   *system
	f, ym []float64
	g     []float64
}

func newMidpointStepper(sys *system) *midpointStepper {
	v := newVecs(sys.n, 2)
	return &midpointStepper{sys: sys, f: v[0], ym: v[1], g: make([]float64, sys.glen)}
}

func (s *midpointStepper) init(float64, []float64) {}

func (s *midpointStepper) step(t, h float64, y, dw, _ []float64) {
	s.sys.f(t, y, s.f)
	s.sys.g(t, y, s.g)
	for i := range y {
		s.ym[i] = y[i] + 0.5*h*s.f[i]
	}
	s.sys.prodAdd(s.ym, s.g, dw, 0.5)
	tm := t + 0.5*h
	s.sys.f(tm, s.ym, s.f)
	s.sys.g(tm, s.ym, s.g)
	for i := range y {
		y[i] += h * s.f[i]
	}
	s.sys.prodAdd(y, s.g, dw, 1)
}
