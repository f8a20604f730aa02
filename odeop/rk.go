package odeop

import (
	"math"
	"sync"

	"github.com/continuum-ml/continuum/internal/graphop"
	"github.com/continuum-ml/continuum/internal/kernels"
)

// rk is the one Runge-Kutta engine: it takes a step of any Tableau, estimates its error
// and evaluates the dense output. It owns every buffer of a solve, allocated once by
// newRK, so that stepping allocates nothing. An rk is used by one goroutine.
type rk struct {
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
	// argLen, when positive, says that f reads only y[:argLen] of its argument (the
	// adjoint's f ignores the parameter adjoint): stage arguments other than y1 are then
	// computed only that far.
	argLen int
	// rc, when set, is f by row chunks evaluated concurrently (a graphop.Batch's): step
	// then runs every stage of a chunk's rows on the chunk's goroutine (stepChunked)
	rc rowChunks
	cs *chunkState // stepChunked's state (made by setChunks, kept with the engine)
	// groups, when set, makes the error norm groupRMSMax(groups) (fused into one pass); it
	// must then equal the config's norm.
	groups []int
	// hNext is the step magnitude proposed, at the end of the last adaptive solve, for a
	// solve continuing from its end time (see solve.adaptive).
	hNext float64

	*plan
	c []float64   // scratch coefficients of one linear combination
	x [][]float64 // scratch vectors of one linear combination

	// where the last non-finite derivative or state was seen
	badT    float64
	badI    int
	badWhat string
}

// plan is a tableau with the positions of its nonzero coefficients: aIdx[i] lists the j
// with A[i][j] != 0, bIdx and eIdx those of B and BErr. The plans of the built-in methods
// are made once and shared (read-only) by every solve.
type plan struct {
	tb         *Tableau
	aIdx       [][]int
	bIdx, eIdx []int
	// unread lists the stages 1.. whose derivative no later combination of the step reads
	// (for an FSAL tableau the last, which is the next step's first): step checks them
	// for NaN and infinities with a pass of their own; every other derivative is checked
	// by the combination that reads it (kernels.Lincomb reports non-finite sums).
	unread []int
}

func newPlan(tb *Tableau) *plan {
	p := &plan{tb: tb, aIdx: make([][]int, len(tb.A))}
	for i, row := range tb.A {
		p.aIdx[i] = nonzero(row)
	}
	p.bIdx, p.eIdx = nonzero(tb.B), nonzero(tb.BErr)
	read := make([]bool, len(tb.C))
	for i := 1; i < len(tb.C); i++ {
		for _, j := range p.aIdx[i] {
			read[j] = true
		}
	}
	if !tb.FSAL {
		for _, j := range p.bIdx {
			read[j] = true
		}
	}
	for j := 1; j < len(tb.C); j++ {
		if !read[j] {
			p.unread = append(p.unread, j)
		}
	}
	return p
}

var builtinPlans = sync.OnceValue(func() map[Method]*plan {
	m := make(map[Method]*plan, len(tableauMakers))
	for name, mk := range tableauMakers {
		m[name] = newPlan(mk())
	}
	return m
})

// planOf returns the shared plan of a built-in method.
func planOf(m Method) (*plan, error) {
	if p, ok := builtinPlans()[m]; ok {
		return p, nil
	}
	_, err := TableauOf(m)
	return nil, err
}

func newRK(p *plan, f Func, n int) *rk {
	tb := p.tb
	s := len(tb.C)
	m := tb.DenseLen()
	buf := make([]float64, (m+4)*n)
	r := &rk{plan: p, f: f, n: n, s: s, fsal: tb.FSAL, last: m - 1}
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
	r.c = make([]float64, m)
	r.x = make([][]float64, m)
	return r
}

// rkPool keeps the engines of finished solves for reuse by later solves of the same plan
// and size: a solve node runs its solves again on every run of its graph, and an engine
// holds (DenseLen+4)*n floats (N2's adjoint: 4 MB), which would otherwise be allocated,
// zeroed and collected every time. Safe for concurrent use.
type rkPool struct {
	mu   sync.Mutex
	free []*rk
}

// maxPooledRK bounds the engines a pool keeps.
const maxPooledRK = 4

// get returns an engine for f, of the plan p and state dimension n.
func (pl *rkPool) get(p *plan, f Func, n int) *rk {
	pl.mu.Lock()
	for i, r := range pl.free {
		if r.plan == p && r.n == n {
			last := len(pl.free) - 1
			pl.free[i] = pl.free[last]
			pl.free[last] = nil
			pl.free = pl.free[:last]
			pl.mu.Unlock()
			r.f, r.groups, r.argLen, r.rc = f, nil, 0, nil
			return r
		}
	}
	pl.mu.Unlock()
	return newRK(p, f, n)
}

// put hands an engine back; it must not be used afterwards.
func (pl *rkPool) put(r *rk) {
	r.f, r.rc = nil, nil
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if len(pl.free) < maxPooledRK {
		pl.free = append(pl.free, r)
	}
}

// fuseMin is the vector length from which linear combinations go through lincomb (one
// pass over the vectors, vector kernels); shorter ones take plain axpys, whose call
// overhead is smaller (measured on a 2-d system: lincomb for every length made dopri5 45%
// slower, BenchmarkIntegrateDopri5).
const fuseMin = 32

func nonzero(v []float64) []int {
	var idx []int
	for j, a := range v {
		if a != 0 {
			idx = append(idx, j)
		}
	}
	return idx
}

// comb sets dst = base + sum_j h*coef[j]*k[j] over j in idx (base nil: 0), adding the terms
// in the order of idx, as successive axpys would, but in one pass over the vectors. It
// reports whether every element of dst is finite.
func (r *rk) comb(dst, base []float64, h float64, coef []float64, idx []int) bool {
	if len(dst) < fuseMin {
		// short vectors: the loop overhead of plain axpys is smaller
		if base == nil {
			for i := range dst {
				dst[i] = 0
			}
		} else {
			copy(dst, base)
		}
		for _, j := range idx {
			axpy(dst, h*coef[j], r.k[j])
		}
		return finite(dst)
	}
	c, x := r.c[:len(idx)], r.x[:len(idx)]
	for n, j := range idx {
		c[n], x[n] = h*coef[j], r.k[j]
	}
	return lincomb(dst, base, c, x)
}

// eval evaluates f(t, y) into dst and reports whether every component is finite.
func (r *rk) eval(t float64, y, dst []float64) bool {
	if r.rc != nil {
		r.evalChunked(t, y, dst)
	} else {
		r.f(t, y, dst)
	}
	r.nfe++
	if finite(dst) {
		return true
	}
	r.markBad(t, dst, "derivative")
	return false
}

func (r *rk) markBad(t float64, v []float64, what string) {
	r.badT, r.badI, r.badWhat = t, graphop.NonFinite(v), what
}

// finite reports whether every element is finite (kernels.Finite: vectorized).
func finite(x []float64) bool { return kernels.Finite(x) }

// step computes the stages 1..s-1 of the step from (t0, r.y0) with step h ending at t1
// (t1 = t0 + h, passed so that the last step lands exactly on the end time) and y1 into
// r.y1; k[0] must hold f(t0, y0). It reports false, with the place recorded, when a
// derivative or y1 is not finite. The derivatives are checked by the combinations that
// read them (no pass of their own), those that none reads by plan.unread.
func (r *rk) step(t0, h, t1 float64) bool {
	if r.rc != nil {
		return r.stepChunked(t0, h, t1)
	}
	tb := r.tb
	y0 := r.y0
	for i := 1; i < r.s; i++ {
		yt := r.yt
		last := r.fsal && i == r.s-1
		if last {
			yt = r.y1 // the last stage's argument is y1
		}
		ti := r.stageT(t0, h, t1, i)
		var ok bool
		switch {
		case last:
			ok = r.comb(yt, y0, h, tb.A[i], r.aIdx[i])
		case r.argLen > 0:
			// f reads only yt[:argLen]: the rest of the argument is never computed
			m := r.argLen
			ok = r.comb(yt[:m], y0[:m], h, tb.A[i], r.aIdx[i])
		default:
			ok = r.comb(yt, y0, h, tb.A[i], r.aIdx[i])
		}
		if !ok {
			r.badComb(t0, h, t1, r.aIdx[i], ti, yt)
			return false
		}
		r.f(ti, yt, r.k[i])
		r.nfe++
	}
	for _, j := range r.unread {
		if !finite(r.k[j]) {
			r.markBad(r.stageT(t0, h, t1, j), r.k[j], "derivative")
			return false
		}
	}
	if !r.fsal && !r.comb(r.y1, y0, h, tb.B, r.bIdx) {
		r.badComb(t0, h, t1, r.bIdx, t1, r.y1)
		return false
	}
	return true
}

// stageT is the time of stage i of the step from t0 to t1 = t0 + h.
func (r *rk) stageT(t0, h, t1 float64, i int) float64 {
	if r.tb.C[i] == 1 {
		return t1
	}
	return t0 + r.tb.C[i]*h
}

// badComb records the place of the non-finite result y of a combination y0 + h sum_j
// c_j k[j], j in idx, at time t (y0 is finite): the first derivative it read that is not
// finite, or else y itself (the sum overflowed).
func (r *rk) badComb(t0, h, t1 float64, idx []int, t float64, y []float64) {
	for _, j := range idx {
		if !finite(r.k[j]) {
			r.markBad(r.stageT(t0, h, t1, j), r.k[j], "derivative")
			return
		}
	}
	r.markBad(t, y, "state")
}

// errNorm returns the norm of the scaled error estimate h*sum BErr_i K_i / (atol +
// rtol*max(|y0|, |y1|)) (scaledNorm). y0 and y1 are finite.
func (r *rk) errNorm(h, rtol, atol float64, norm Norm) float64 {
	if cs := r.cs; r.rc != nil && cs.done {
		return r.fusedNorm() // the chunks computed it (fuseErr)
	}
	e := r.e
	if g := r.groups; g != nil {
		// the group norm reads nothing past its last bound (the seminorm: the parameter
		// adjoint's error is never needed)
		e = e[:g[len(g)-1]]
	}
	r.comb(e, nil, h, r.tb.BErr, r.eIdx)
	return r.scaledNorm(e, r.y0[:len(e)], r.y1[:len(e)], e, rtol, atol, norm)
}

// scaledNorm returns the norm of x_i / (atol + rtol*max(|a_i|, |b_i|)): the RMS norm when
// norm is nil and groupRMSMax(r.groups) when r.groups is set (which must then be the
// config's norm), both in one pass without storing the scaled vector; otherwise norm of
// the scaled vector, written into scratch (which may be x). a and b are finite.
func (r *rk) scaledNorm(x, a, b, scratch []float64, rtol, atol float64, norm Norm) float64 {
	rms := func(lo, hi int) float64 {
		if hi <= lo {
			return 0
		}
		return math.Sqrt(scaledSumSq(x[lo:hi], a[lo:hi], b[lo:hi], rtol, atol) / float64(hi-lo))
	}
	if norm == nil {
		return rms(0, len(x))
	}
	if g := r.groups; g != nil {
		// as groupRMSMax(g)
		return maxRMS(g, func(_, lo, hi int) float64 { return scaledSumSq(x[lo:hi], a[lo:hi], b[lo:hi], rtol, atol) })
	}
	scratch = scratch[:len(x)]
	for i, v := range x {
		scratch[i] = v / errScale(a[i], b[i], rtol, atol)
	}
	return norm(scratch)
}

// scaledSumSq returns sum (e_i / (atol + rtol*max(|y0_i|, |y1_i|)))^2 (kernels.ScaledSumSq:
// vectorized, in a fixed order of partial sums); y0 and y1 are finite.
func scaledSumSq(e, y0, y1 []float64, rtol, atol float64) float64 {
	return kernels.ScaledSumSq(e, y0, y1, rtol, atol)
}

// dense writes y(t0 + theta*h) = y0 + h*sum w_i(theta) K_i into dst and reports whether
// it is finite; k[last] must hold f(t1, y1).
func (r *rk) dense(dst []float64, h, theta float64) bool {
	r.tb.Dense(r.w, theta)
	if len(dst) < fuseMin {
		copy(dst, r.y0)
		for i, w := range r.w {
			if w != 0 {
				axpy(dst, h*w, r.k[i])
			}
		}
		return finite(dst)
	}
	c, x := r.c[:0], r.x[:0]
	for i, w := range r.w {
		if w != 0 {
			c, x = append(c, h*w), append(x, r.k[i])
		}
	}
	return lincomb(dst, r.y0, c, x)
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

// lincomb sets dst = base + c[0]*x[0] + c[1]*x[1] + ... (base nil: 0; base may be dst),
// adding the terms of each element left to right in one pass over the vectors
// (kernels.Lincomb: AVX-512 or AVX2 where the CPU has them, the same bits as the portable
// loop), and reports whether every element of dst is finite.
func lincomb(dst, base []float64, c []float64, x [][]float64) bool {
	return kernels.Lincomb(dst, base, c, x)
}
