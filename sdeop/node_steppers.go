package sdeop

// nodeTableau is a derivative-free stochastic Runge-Kutta method for diagonal noise in
// the form that serves the node's forward solve, its exact backpropagation
// (Checkpoint) and the stochastic adjoint's backward solve: for a step from t to t+h
// with Brownian increment dW, stage i is evaluated at
//
//	Z_i = y + sum_{j<i} (A[i][j] h F_j + B[i][j] S_j),  F_i = D(t + c_i h, Z_i),  S_i = S(t + c_i h, Z_i; dW)
//
// with D the drift and S(y; dW) = G(y) dW the diffusion applied to the increment, and
// y1 = y + sum_i (a_i h F_i + b_i S_i). These are the methods of steppers.go written as
// data (Euler-Maruyama; Heun, Euler-Heun and midpoint in the Stratonovich sense).
type nodeTableau struct {
	c, a, b      []float64
	A, B         [][]float64
	needF, needG []bool // stage i's F (S) enters a later stage or the update
}

func newNodeTableau(c []float64, A, B [][]float64, a, b []float64) *nodeTableau {
	tb := &nodeTableau{c: c, A: A, B: B, a: a, b: b}
	s := len(c)
	tb.needF = make([]bool, s)
	tb.needG = make([]bool, s)
	for i := 0; i < s; i++ {
		tb.needF[i] = a[i] != 0
		tb.needG[i] = b[i] != 0
		for k := i + 1; k < s; k++ {
			if A[k][i] != 0 {
				tb.needF[i] = true
			}
			if B[k][i] != 0 {
				tb.needG[i] = true
			}
		}
	}
	return tb
}

func (tb *nodeTableau) stages() int { return len(tb.c) }

// nodeTableaus are the methods the node steps with its own engine.
var nodeTableaus = map[Method]*nodeTableau{
	Euler: newNodeTableau([]float64{0}, [][]float64{{}}, [][]float64{{}},
		[]float64{1}, []float64{1}),
	Heun: newNodeTableau([]float64{0, 1}, [][]float64{{}, {1}}, [][]float64{{}, {1}},
		[]float64{0.5, 0.5}, []float64{0.5, 0.5}),
	Midpoint: newNodeTableau([]float64{0, 0.5}, [][]float64{{}, {0.5}}, [][]float64{{}, {0.5}},
		[]float64{0, 1}, []float64{0, 1}),
	EulerHeun: newNodeTableau([]float64{0, 1}, [][]float64{{}, {0}}, [][]float64{{}, {1}},
		[]float64{1, 0}, []float64{0.5, 0.5}),
}

// tabSys is a system that a nodeTableau steps: size entries of state, drift D and
// diffusion product S = G(y) dW. The entries from negFrom on are stored negated in D
// and S (the adjoint's, whose VJPs come out with the opposite sign): the stepper
// combines them with negated coefficients.
type tabSys interface {
	size() int
	negFrom() int
	driftInto(dst []float64, t float64, y []float64)
	noiseInto(dst []float64, t float64, y, dw []float64)
}

// tabStepper steps a tabSys with a nodeTableau; it owns its stage buffers.
type tabStepper struct {
	tb   *nodeTableau
	sys  tabSys
	Z    []float64
	D, S [][]float64
	cs   []float64
	xs   [][]float64
}

func newTabStepper(tb *nodeTableau, sys tabSys) *tabStepper {
	s := tb.stages()
	n := sys.size()
	return &tabStepper{tb: tb, sys: sys, Z: make([]float64, n), D: newVecs(n, s), S: newVecs(n, s)}
}

// step advances y from t to t+h with increment dw.
func (ts *tabStepper) step(t, h float64, y, dw []float64) {
	tb := ts.tb
	neg := ts.sys.negFrom()
	for i := 0; i < tb.stages(); i++ {
		if !tb.needF[i] && !tb.needG[i] {
			continue
		}
		Z := y
		if i > 0 {
			ts.cs, ts.xs = ts.cs[:0], ts.xs[:0]
			for j := 0; j < i; j++ {
				if c := tb.A[i][j] * h; c != 0 {
					ts.cs, ts.xs = append(ts.cs, c), append(ts.xs, ts.D[j])
				}
				if c := tb.B[i][j]; c != 0 {
					ts.cs, ts.xs = append(ts.cs, c), append(ts.xs, ts.S[j])
				}
			}
			Z = ts.Z
			combine(Z, y, neg, ts.cs, ts.xs)
		}
		ti := t + tb.c[i]*h
		if tb.needF[i] {
			ts.sys.driftInto(ts.D[i], ti, Z)
		}
		if tb.needG[i] {
			ts.sys.noiseInto(ts.S[i], ti, Z, dw)
		}
	}
	ts.cs, ts.xs = ts.cs[:0], ts.xs[:0]
	for i := 0; i < tb.stages(); i++ {
		if c := tb.a[i] * h; c != 0 {
			ts.cs, ts.xs = append(ts.cs, c), append(ts.xs, ts.D[i])
		}
		if c := tb.b[i]; c != 0 {
			ts.cs, ts.xs = append(ts.cs, c), append(ts.xs, ts.S[i])
		}
	}
	combine(y, y, neg, ts.cs, ts.xs)
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

// fwdSys adapts nodeSys to tabSys for the forward solve: state [z | logqp], S = [g dW | 0].
type fwdSys struct {
	s *nodeSys
}

func (f *fwdSys) size() int    { return f.s.m }
func (f *fwdSys) negFrom() int { return f.s.m }

func (f *fwdSys) driftInto(dst []float64, t float64, y []float64) {
	f.s.drift(dst, t, y[:f.s.n])
}

// noiseInto leaves dst[n:] (the logqp channel) alone: stage buffers start at zero and
// only this method writes them.
func (f *fwdSys) noiseInto(dst []float64, t float64, y, dw []float64) {
	n := f.s.n
	g := dst[:n]
	f.s.diffusion(g, t, y[:n])
	mulBy(g, dw)
}

// revStepper is the reversible Heun method on nodeSys (see ReversibleHeunStepper), its
// state (y, yh, fh, gh): the solution, the auxiliary state, and the drift and diffusion
// at the auxiliary state.
type revStepper struct {
	s          *nodeSys
	yh, fh, gh []float64
	f1, g1     []float64
}

func newRevStepper(s *nodeSys) *revStepper {
	v := newVecs(s.m, 3)
	g := newVecs(s.n, 2)
	return &revStepper{s: s, yh: v[0], fh: v[1], f1: v[2], gh: g[0], g1: g[1]}
}

func (r *revStepper) init(t float64, y []float64) {
	copy(r.yh, y)
	r.s.drift(r.fh, t, r.yh[:r.s.n])
	r.s.diffusion(r.gh, t, r.yh[:r.s.n])
}

func (r *revStepper) step(t, h float64, y, dw []float64) {
	n := r.s.n
	yh, fh, gh := r.yh, r.fh, r.gh
	revHat(yh[:n], y, fh, gh, dw, h, 1)
	revHat(yh[n:], y[n:], fh[n:], nil, nil, h, 1)
	r.s.drift(r.f1, t+h, yh[:n])
	r.s.diffusion(r.g1, t+h, yh[:n])
	revSol(y[:n], fh, r.f1, gh, r.g1, dw, 0.5*h, 1)
	revSol(y[n:], fh[n:], r.f1[n:], nil, nil, nil, 0.5*h, 1)
	r.fh, r.f1 = r.f1, r.fh
	r.gh, r.g1 = r.g1, r.gh
}
