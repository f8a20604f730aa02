package sdeop

import "math"

// stepper advances the state of one method. A solve calls init once at its start, then
// step for each step from t to t + h (h < 0 integrates backward: see Integrate), with
// the Brownian increment dw = W(t+h) - W(t) and, for methods that need it, the
// space-time Levy area hh (else nil). Steppers own their scratch buffers: no
// allocation per step. The family: tabStepper (the methods of a tableau, which also
// steps the stochastic adjoint and is what Checkpoint backpropagates through), revHeun
// (reversible Heun and its exact reverse), milsteinStepper and srkStepper.
type stepper interface {
	init(t float64, y []float64)
	step(t, h float64, y, dw, hh []float64)
}

// newStepper returns the stepper of method m for sys; the caller has checked support.
func newStepper(m Method, sys *system, calc Calculus) stepper {
	switch {
	case methods[m].tab != nil:
		return newTabStepper(methods[m].tab, sys)
	case m == Milstein:
		return newMilsteinStepper(sys, calc)
	case m == SRK:
		return newSRKStepper(sys)
	}
	return newRevHeun(sys)
}

// methodInfo says which calculus and noise types a method supports.
type methodInfo struct {
	calculus Calculus
	noises   []Noise
	levy     bool     // needs the space-time Levy area
	tab      *tableau // the tableau of a Runge-Kutta method
}

// backprop reports whether Checkpoint and the KL channel can step method m.
func backprop(m Method) bool { return methods[m].tab != nil || m == ReversibleHeun }

var allNoises = []Noise{Diagonal, Additive, Scalar, General}

var methods = map[Method]methodInfo{
	Euler:          {Ito, allNoises, false, newTableau([]float64{0}, [][]float64{{}}, [][]float64{{}}, []float64{1}, []float64{1})},
	Milstein:       {-1, []Noise{Diagonal, Additive, Scalar}, false, nil}, // both calculi
	SRK:            {Ito, []Noise{Diagonal, Additive, Scalar}, true, nil},
	ReversibleHeun: {Stratonovich, allNoises, false, nil},
	Heun: {Stratonovich, allNoises, false, newTableau([]float64{0, 1}, [][]float64{{}, {1}}, [][]float64{{}, {1}},
		[]float64{0.5, 0.5}, []float64{0.5, 0.5})},
	EulerHeun: {Stratonovich, allNoises, false, newTableau([]float64{0, 1}, [][]float64{{}, {0}}, [][]float64{{}, {1}},
		[]float64{1, 0}, []float64{0.5, 0.5})},
	Midpoint: {Stratonovich, allNoises, false, newTableau([]float64{0, 0.5}, [][]float64{{}, {0.5}}, [][]float64{{}, {0.5}},
		[]float64{0, 1}, []float64{0, 1})},
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

// tableau is a derivative-free stochastic Runge-Kutta method in the form that serves
// Integrate, the node's forward solve, its exact backpropagation (Checkpoint) and the
// stochastic adjoint's backward solve: for a step from t to t+h with Brownian increment
// dW, stage i is evaluated at
//
//	Z_i = y + sum_{j<i} (A[i][j] h F_j + B[i][j] S_j),  F_i = D(t + c_i h, Z_i),  S_i = S(t + c_i h, Z_i; dW)
//
// with D the drift and S(y; dW) = G(y) dW the diffusion applied to the increment (any
// noise type: see system.noiseInto), and y1 = y + sum_i (a_i h F_i + b_i S_i). These
// are Euler-Maruyama and, in the Stratonovich sense, Heun, Euler-Heun and the midpoint
// method (see Method).
type tableau struct {
	c, a, b        []float64
	A, B           [][]float64
	laterF, laterG []bool // stage i's F (S) enters a later stage
	needF, needG   []bool // ... or the update
}

func newTableau(c []float64, A, B [][]float64, a, b []float64) *tableau {
	tb := &tableau{c: c, A: A, B: B, a: a, b: b}
	s := len(c)
	tb.laterF, tb.laterG = make([]bool, s), make([]bool, s)
	tb.needF, tb.needG = make([]bool, s), make([]bool, s)
	for i := 0; i < s; i++ {
		for k := i + 1; k < s; k++ {
			tb.laterF[i] = tb.laterF[i] || A[k][i] != 0
			tb.laterG[i] = tb.laterG[i] || B[k][i] != 0
		}
		tb.needF[i] = tb.laterF[i] || a[i] != 0
		tb.needG[i] = tb.laterG[i] || b[i] != 0
	}
	return tb
}

func (tb *tableau) stages() int { return len(tb.c) }

// tabSys is a system that a tableau steps: size entries of state, drift D and
// diffusion product S = G(y) dW. The entries from negFrom on are stored negated in D
// and S (the adjoint's, whose VJPs come out with the opposite sign): the stepper
// combines them with negated coefficients.
type tabSys interface {
	size() int
	negFrom() int
	driftInto(dst []float64, t float64, y []float64)
	noiseInto(dst []float64, t float64, y, dw []float64)
}

// tabStepper steps a tabSys with a tableau; it owns its stage buffers.
type tabStepper struct {
	tb   *tableau
	sys  tabSys
	Z    []float64
	D, S [][]float64
	cs   []float64
	xs   [][]float64
}

func newTabStepper(tb *tableau, sys tabSys) *tabStepper {
	s := tb.stages()
	n := sys.size()
	return &tabStepper{tb: tb, sys: sys, Z: make([]float64, n), D: newVecs(n, s), S: newVecs(n, s)}
}

func (ts *tabStepper) init(float64, []float64) {}

// step advances y from t to t+h with increment dw.
func (ts *tabStepper) step(t, h float64, y, dw, _ []float64) {
	tb := ts.tb
	ts.stages(t, h, y, dw, nil)
	ts.cs, ts.xs = ts.cs[:0], ts.xs[:0]
	for i := 0; i < tb.stages(); i++ {
		if c := tb.a[i] * h; c != 0 {
			ts.cs, ts.xs = append(ts.cs, c), append(ts.xs, ts.D[i])
		}
		if c := tb.b[i]; c != 0 {
			ts.cs, ts.xs = append(ts.cs, c), append(ts.xs, ts.S[i])
		}
	}
	combine(y, y, ts.sys.negFrom(), ts.cs, ts.xs)
}

// stages evaluates the stages of a step from (t, y) with increment dw. With Zs it
// writes the input of every stage that counts into Zs[i] and evaluates only what later
// stages need: Checkpoint's recomputation of a recorded step.
func (ts *tabStepper) stages(t, h float64, y, dw []float64, Zs [][]float64) {
	tb := ts.tb
	for i := 0; i < tb.stages(); i++ {
		if !tb.needF[i] && !tb.needG[i] {
			continue
		}
		Z, needF, needG := y, tb.needF[i], tb.needG[i]
		if Zs != nil {
			Z, needF, needG = Zs[i], tb.laterF[i], tb.laterG[i]
		}
		if i > 0 || Zs != nil {
			ts.cs, ts.xs = ts.cs[:0], ts.xs[:0]
			for j := 0; j < i; j++ {
				if c := tb.A[i][j] * h; c != 0 {
					ts.cs, ts.xs = append(ts.cs, c), append(ts.xs, ts.D[j])
				}
				if c := tb.B[i][j]; c != 0 {
					ts.cs, ts.xs = append(ts.cs, c), append(ts.xs, ts.S[j])
				}
			}
			if Zs == nil {
				Z = ts.Z
			}
			combine(Z, y, ts.sys.negFrom(), ts.cs, ts.xs)
		}
		ti := t + tb.c[i]*h
		if needF {
			ts.sys.driftInto(ts.D[i], ti, Z)
		}
		if needG {
			ts.sys.noiseInto(ts.S[i], ti, Z, dw)
		}
	}
}

// combine writes dst = y + sum_k cs[k] xs[k], with the coefficients negated from entry
// neg on, in one pass (dst may be y).
func combine(dst, y []float64, neg int, cs []float64, xs [][]float64) {
	neg = min(neg, len(dst))
	combineRange(dst[:neg], y[:neg], cs, xs, 0, 1)
	if neg < len(dst) {
		combineRange(dst[neg:], y[neg:], cs, xs, neg, -1)
	}
}

func combineRange(dst, y []float64, cs []float64, xs [][]float64, off int, sign float64) {
	n := len(dst)
	y = y[:n]
	switch len(cs) {
	case 0:
		copy(dst, y)
	case 1:
		c0, x0 := sign*cs[0], xs[0][off:off+n]
		for i, v := range y {
			dst[i] = v + c0*x0[i]
		}
	case 2:
		c0, x0 := sign*cs[0], xs[0][off:off+n]
		c1, x1 := sign*cs[1], xs[1][off:off+n]
		for i, v := range y {
			dst[i] = v + c0*x0[i] + c1*x1[i]
		}
	default:
		c0, x0 := sign*cs[0], xs[0][off:off+n]
		c1, x1 := sign*cs[1], xs[1][off:off+n]
		for i, v := range y {
			dst[i] = v + c0*x0[i] + c1*x1[i]
		}
		for k := 2; k < len(cs); k++ {
			c, x := sign*cs[k], xs[k][off:off+n]
			for i, v := range x {
				dst[i] += c * v
			}
		}
	}
}

// axpy adds c*x to y.
func axpy(y []float64, c float64, x []float64) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += c * v
	}
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
