package odeop

import "math"

// rk is the one Runge-Kutta engine: it takes a step of any Tableau, estimates its error
// and evaluates the dense output. It owns every buffer of a solve, allocated once by
// newRK, so that stepping allocates nothing. An rk is used by one goroutine.
type rk struct {
	tb   *Tableau
	f    Func
	n    int // state dimension
	s    int // stages
	fsal bool
	last int // index of the slot of f(t1, y1) in k: s-1 when FSAL, s otherwise

	k   [][]float64 // DenseLen() stage derivatives; k[0] = f(t0, y0)
	y0  []float64   // state at the step start
	y1  []float64   // state at the step end
	yt  []float64   // stage argument
	e   []float64   // error estimate, then scaled error (custom norm)
	w   []float64   // dense weights
	nfe int

	// where the last non-finite derivative or state was seen
	badT    float64
	badI    int
	badWhat string
}

func newRK(tb *Tableau, f Func, n int) *rk {
	s := len(tb.C)
	m := tb.DenseLen()
	buf := make([]float64, (m+4)*n)
	r := &rk{tb: tb, f: f, n: n, s: s, fsal: tb.FSAL, last: m - 1}
	r.k = make([][]float64, m)
	for i := range r.k {
		r.k[i] = buf[i*n : (i+1)*n : (i+1)*n]
	}
	off := m * n
	r.y0 = buf[off : off+n : off+n]
	r.y1 = buf[off+n : off+2*n : off+2*n]
	r.yt = buf[off+2*n : off+3*n : off+3*n]
	r.e = buf[off+3*n : off+4*n : off+4*n]
	r.w = make([]float64, m)
	return r
}

// eval evaluates f(t, y) into dst and reports whether every component is finite.
func (r *rk) eval(t float64, y, dst []float64) bool {
	r.f(t, y, dst)
	r.nfe++
	if finite(dst) {
		return true
	}
	r.markBad(t, dst, "derivative")
	return false
}

func (r *rk) markBad(t float64, v []float64, what string) {
	r.badT, r.badI, r.badWhat = t, firstNonFinite(v), what
}

// finite reports whether every element is finite: x-x is 0 for finite x and NaN for
// NaN and ±Inf, and any NaN makes the sum NaN.
func finite(x []float64) bool {
	acc := 0.0
	for _, v := range x {
		acc += v - v
	}
	return acc == 0
}

func firstNonFinite(x []float64) int {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return i
		}
	}
	return -1
}

// step computes the stages 1..s-1 of the step from (t0, r.y0) with step h ending at t1
// (t1 = t0 + h, passed so that the last step lands exactly on the end time) and y1 into
// r.y1; k[0] must hold f(t0, y0). It reports false, with the place recorded, when a
// derivative or y1 is not finite.
func (r *rk) step(t0, h, t1 float64) bool {
	tb := r.tb
	y0 := r.y0
	for i := 1; i < r.s; i++ {
		yt := r.yt
		if r.fsal && i == r.s-1 {
			yt = r.y1 // the last stage's argument is y1
		}
		copy(yt, y0)
		for j, a := range tb.A[i] {
			if a == 0 {
				continue
			}
			axpy(yt, h*a, r.k[j])
		}
		ti := t0 + tb.C[i]*h
		if tb.C[i] == 1 {
			ti = t1
		}
		if !r.eval(ti, yt, r.k[i]) {
			return false
		}
	}
	if !r.fsal {
		copy(r.y1, y0)
		for j, b := range tb.B {
			if b == 0 {
				continue
			}
			axpy(r.y1, h*b, r.k[j])
		}
	}
	if !finite(r.y1) {
		r.markBad(t1, r.y1, "state")
		return false
	}
	return true
}

// errNorm returns the norm of the scaled error estimate h*sum BErr_i K_i / (atol +
// rtol*max(|y0|, |y1|)).
func (r *rk) errNorm(h, rtol, atol float64, norm Norm) float64 {
	e := r.e
	for i := range e {
		e[i] = 0
	}
	for i, c := range r.tb.BErr {
		if c == 0 {
			continue
		}
		axpy(e, h*c, r.k[i])
	}
	y0, y1 := r.y0[:len(e)], r.y1[:len(e)]
	if norm == nil {
		sum := 0.0
		for i, v := range e {
			x := v / errScale(y0[i], y1[i], rtol, atol)
			sum += x * x
		}
		return math.Sqrt(sum / float64(len(e)))
	}
	for i, v := range e {
		e[i] = v / errScale(y0[i], y1[i], rtol, atol)
	}
	return norm(e)
}

// dense writes y(t0 + theta*h) = y0 + h*sum w_i(theta) K_i into dst; k[last] must hold
// f(t1, y1).
func (r *rk) dense(dst []float64, h, theta float64) {
	r.tb.Dense(r.w, theta)
	copy(dst, r.y0)
	for i, w := range r.w {
		if w == 0 {
			continue
		}
		axpy(dst, h*w, r.k[i])
	}
}

// advance makes the end of the step the start of the next: y0 <- y1, k[0] <- f(t1, y1).
func (r *rk) advance() {
	r.y0, r.y1 = r.y1, r.y0
	r.k[0], r.k[r.last] = r.k[r.last], r.k[0]
}

// axpy computes y += a*x.
func axpy(y []float64, a float64, x []float64) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += a * v
	}
}
