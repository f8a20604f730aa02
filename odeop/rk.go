package odeop

import (
	"math"
	"sync"

	"github.com/continuum-ml/continuum/internal/graphop"
	"github.com/continuum-ml/continuum/internal/kernels"
)

// rk is the one Runge-Kutta engine: it takes a step of any Tableau over ranges of rows
// (the whole vector is the case of one range, row chunks on two goroutines the case of
// two: chunks.go), estimates its error and evaluates the dense output. It owns every
// buffer of a solve, allocated once by newRK, so that stepping allocates nothing. An rk
// is used by one goroutine; its per-solve configuration is the setup it is made or taken
// from the pool with.
//
// An implicit stage (Tableau.Diag[i] != 0) is a Newton iteration at the evaluation in
// stages, in the same loop (ss.implicit: implicit.go). Seams for what is not built yet:
// per-row step control reads the chunks'
// per-range error sums (chunkState.sq) instead of their maximum; events are a check on
// the accepted step's dense output in the walk over time (solve.emit).
type rk struct {
	*plan
	setup
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
	ss  stageSet    // the step in progress, as stages reads it
	nw  *newton     // the Newton state of an implicit tableau (implicit.go); nil when explicit
	nfe int
	// hNext is the step magnitude proposed, at the end of the last adaptive solve, for a
	// solve continuing from its end time (see solve.walk).
	hNext float64

	whole wholeRows   // rows when the setup has none: f over one range
	cs    *chunkState // the row chunks' state, kept with the engine for the next solve

	c    []float64 // scratch coefficients of one linear combination
	wIdx []int     // scratch indices of the dense output's nonzero weights

	// where the last non-finite derivative or state was seen
	badT    float64
	badI    int
	badWhat string
}

// setup is the per-solve configuration of an engine.
type setup struct {
	f Func // the right-hand side on the whole vector
	// rows, when set, is f by row chunks evaluated concurrently (a graphop.Batch's): the
	// engine then runs every stage of a chunk's rows on the chunk's goroutine. Unset: one
	// range, evaluated by f.
	rows rowChunks
	// argLen, when positive, says that f reads only y[:argLen] of its argument (the
	// adjoint's f ignores the parameter adjoint): stage arguments other than y1 are then
	// computed only that far (rows unset; rows' ranges say it themselves).
	argLen int
	// groups, when set, makes the error norm groupRMSMax(groups) (fused into one pass); it
	// must then equal the config's norm.
	groups []int
	// block, when positive, says that f maps rows of block components independently (a
	// Solve's batch): the Newton iterations of an implicit method then use the block
	// diagonal of the Jacobian, row by row (implicit_block.go).
	block int
	// blockLen, when positive, limits the blocks to y[:blockLen] (a multiple of block): the
	// components after it are taken to have a Jacobian of zero columns (the parameter
	// adjoint a_theta, which no derivative reads) and the iteration treats them as
	// decoupled.
	blockLen int
}

// plan is a tableau with the positions of its nonzero coefficients. Its rows extend the
// tableau's by one stage when it is not FSAL: stage s, f(t1, y1), whose argument y1 has
// the coefficients B, so that y1 and the stage arguments are one computation (stages).
// aIdx[i] lists the j with a[i][j] != 0, bIdx and eIdx those of B and BErr. The plans of
// the built-in methods are made once and shared (read-only) by every solve.
type plan struct {
	tb         *Tableau
	a          [][]float64 // A, with B as the row of stage s when not FSAL
	c          []float64   // C, with 1 for stage s when not FSAL
	aIdx       [][]int
	bIdx, eIdx []int
	// unread lists the stages 1.. whose derivative no later combination of the step reads
	// (for an FSAL tableau the last, which is the next step's first): step checks them
	// for NaN and infinities with a pass of their own; every other derivative is checked
	// by the combination that reads it (kernels.Lincomb reports non-finite sums).
	unread []int
}

func newPlan(tb *Tableau) *plan {
	m := tb.DenseLen()
	p := &plan{tb: tb, a: append(cloneRows(tb.A), tb.B)[:m], c: append(clone(tb.C), 1)[:m], aIdx: make([][]int, m)}
	for i, row := range p.a {
		p.aIdx[i] = nonzero(row)
	}
	p.bIdx, p.eIdx = nonzero(tb.B), nonzero(tb.BErr)
	read := make([]bool, m)
	for i := 1; i < m; i++ {
		for _, j := range p.aIdx[i] {
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

// stageSet is one step's stage vectors as stages reads and writes them: the step, its
// start state, the stage derivatives and where each stage's argument goes.
type stageSet struct {
	t0, h, t1 float64
	y0        []float64
	k, args   [][]float64
	// implicit, when set, solves the implicit stages (nonzero Tableau.Diag): it gets the
	// stage's base in y, leaves the stage's argument there and its derivative in k[i]
	// (rk.newtonStage), or reports false when the Newton iteration fails.
	implicit func(i int, t float64, y []float64) bool
}

func newStageSet(p *plan) stageSet { return stageSet{args: make([][]float64, len(p.a))} }

// prepare sets the step from (t0, y0) with step h ending at t1 (t1 = t0 + h, passed so that
// the last step lands exactly on the end time) with the stage derivatives k.
func (ss *stageSet) prepare(t0, h, t1 float64, y0 []float64, k [][]float64) {
	ss.t0, ss.h, ss.t1, ss.y0, ss.k = t0, h, t1, y0, k
}

// stages is the stage loop of every caller (the engine's steps, Checkpoint's
// recomputation): on the rows rgs it computes the stages from..to-1 of the prepared step,
// each stage's argument ss.args[i] = y0 + sum_j h*a[i][j]*k[j] (the terms added in order:
// the bits of one whole-vector combination, whatever the ranges), then, for the stages
// before evalTo, eval(i, t_i, argument), which writes the stage's derivative. Stage i is
// at t_i = stageT(i). It returns the first stage whose argument is not finite on these
// rows, or to. Safe for concurrent use on disjoint rows.
func (p *plan) stages(ss *stageSet, rgs [][2]int, from, to, evalTo int, eval func(i int, t float64, y []float64)) int {
	for i := from; i < to; i++ {
		ok := true
		for _, rg := range rgs {
			ok = combRows(ss.args[i], ss.y0, ss.h, p.a[i], p.aIdx[i], ss.k, rg[0], rg[1]) && ok
		}
		if !ok {
			return i
		}
		if i < evalTo {
			if ss.implicit != nil && p.tb.diag(i) != 0 { // implicit stage: Newton (implicit.go)
				if !ss.implicit(i, p.stageT(ss, i), ss.args[i]) {
					return i
				}
				continue
			}
			eval(i, p.stageT(ss, i), ss.args[i])
		}
	}
	return to
}

// stageT is the time of stage i of the step: t0 + C[i]*h, and exactly t1 where C[i] = 1
// (where a stage's argument is y1, its derivative is the next step's f(t1, y1)).
func (p *plan) stageT(ss *stageSet, i int) float64 {
	if p.c[i] == 1 {
		return ss.t1
	}
	return ss.t0 + p.c[i]*ss.h
}

// planOf returns the shared plan of a built-in method.
func planOf(m Method) (*plan, error) {
	if p, ok := builtinPlans()[m]; ok {
		return p, nil
	}
	_, err := TableauOf(m)
	return nil, err
}

func newRK(p *plan, n int, su setup) *rk {
	tb := p.tb
	s := len(tb.C)
	m := tb.DenseLen()
	buf := make([]float64, (m+4)*n)
	r := &rk{plan: p, n: n, s: s, fsal: tb.FSAL, last: m - 1, ss: newStageSet(p)}
	r.k = make([][]float64, m)
	for i := range r.k {
		r.k[i] = buf[i*n : (i+1)*n : (i+1)*n]
	}
	off := m * n
	r.y0 = buf[off : off+n : off+n]
	r.y1 = buf[off+n : off+2*n : off+2*n]
	r.yt = buf[off+2*n : off+3*n : off+3*n]
	r.e = buf[off+3*n : off+4*n : off+4*n]
	for i := range r.ss.args {
		r.ss.args[i] = r.yt
	}
	r.w = make([]float64, m)
	r.c = make([]float64, m)
	r.wIdx = make([]int, m)
	if tb.Implicit() {
		r.nw = newNewton(tb, n)
		r.ss.implicit = r.newtonStage
	}
	r.configure(su)
	return r
}

// configure gives the engine the setup of a solve.
func (r *rk) configure(su setup) {
	r.setup = su
	if su.rows == nil {
		po := r.n
		if su.argLen > 0 {
			po = su.argLen
		}
		r.whole = wholeRows{f: su.f, rg: [][2]int{{0, po}}, po: po}
		r.rows = &r.whole
	}
	r.setChunks(r.rows)
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

// get returns an engine of the plan p and state dimension n, configured with su.
func (pl *rkPool) get(p *plan, n int, su setup) *rk {
	pl.mu.Lock()
	for i, r := range pl.free {
		if r.plan == p && r.n == n {
			last := len(pl.free) - 1
			pl.free[i] = pl.free[last]
			pl.free[last] = nil
			pl.free = pl.free[:last]
			pl.mu.Unlock()
			r.configure(su)
			return r
		}
	}
	pl.mu.Unlock()
	return newRK(p, n, su)
}

// put hands an engine back; it must not be used afterwards.
func (pl *rkPool) put(r *rk) {
	r.setup, r.whole = setup{}, wholeRows{}
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

// eval evaluates f(t, y) into dst and reports whether every component is finite.
func (r *rk) eval(t float64, y, dst []float64) bool {
	if r.cs.nc > 1 {
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
// and y1 into r.y1; k[0] must hold f(t0, y0). The stages of each chunk's rows are
// computed on the chunk's goroutine from start to end (stepRows): the chunks do not wait
// for each other between stages (a chunk's stage argument reads only its own rows of the
// earlier derivatives), so there is one hand-off per step, and the rows a chunk combines
// are still in its CPU's cache. The parameter part of the derivatives (rows.paramOff on)
// is summed over the chunks in chunk order (by chunk 0 as the others progress, the rest
// after them: sumParts, paramJoin). It reports false, with the place recorded, when a
// derivative or y1 is not finite: the place, like the bits and the evaluation count, is
// that of one whole-vector pass whatever the chunks; only the error norm, when the chunks
// compute it (fuseErr), adds its sums of squares in another order. The derivatives are
// checked by the combinations that read them (no pass of their own), those that none
// reads by plan.unread.
func (r *rk) step(t0, h, t1 float64) bool {
	cs := r.cs
	r.ss.args[r.last] = r.y1 // the other stages' arguments go to yt (newRK)
	r.ss.prepare(t0, h, t1, r.y0, r.k)
	cs.summed, cs.done = 0, false
	if r.nw != nil {
		r.nw.failed = false
	}
	if cs.nc == 1 {
		r.stepRows(0)
	} else {
		for c := range cs.prog {
			cs.prog[c].Store(0)
		}
		r.rows.run(cs.work)
	}
	if r.nw != nil && r.nw.failed {
		return false // a Newton iteration failed (counted its evaluations): reject the step
	}
	first := r.s
	for _, f := range cs.fail {
		first = min(first, f)
	}
	clear(cs.badP)
	if cs.po < r.n && first == r.s {
		if !r.paramJoin() {
			first = r.s - 1 // y1's parameter part is not finite
		}
	} else if cs.po < r.n {
		for i := cs.summed + 1; i < first; i++ {
			r.addParts(r.k[i], i, cs.po, r.n)
		}
	}
	if first < r.s {
		// what one whole-vector pass reports: the argument of stage first, computed whole
		if r.nw == nil { // the Newton iterations count their own evaluations
			r.nfe += first - 1
		}
		m := r.n
		if first != r.last {
			m = cs.po // the arguments f reads (the rows' ranges and paramOff say it)
		}
		r.stages(&r.ss, [][2]int{{0, m}}, first, first+1, 0, nil)
		r.badComb(r.aIdx[first], r.stageT(&r.ss, first), r.ss.args[first])
		return false
	}
	if r.nw == nil { // the Newton iterations count their own evaluations
		r.nfe += r.s - 1
	}
	for u, j := range r.unread {
		bad := cs.badP[u]
		for _, b := range cs.bad {
			bad = bad || b == j
		}
		if bad {
			r.markBad(r.stageT(&r.ss, j), r.k[j], "derivative")
			return false
		}
	}
	// not FSAL: y1 is the argument of the extra stage s, whose derivative f(t1, y1) the
	// walk evaluates once it needs it
	if !r.fsal && r.stages(&r.ss, cs.all, r.s, r.s+1, 0, nil) == r.s {
		r.badComb(r.bIdx, t1, r.y1)
		return false
	}
	cs.done = cs.fuse
	return true
}

// badComb records the place of the non-finite result y of a combination y0 + h sum_j
// c_j k[j], j in idx, at time t (y0 is finite): the first derivative it read that is not
// finite, or else y itself (the sum overflowed).
func (r *rk) badComb(idx []int, t float64, y []float64) {
	for _, j := range idx {
		if !finite(r.k[j]) {
			r.markBad(r.stageT(&r.ss, j), r.k[j], "derivative")
			return
		}
	}
	r.markBad(t, y, "state")
}

// errNorm returns the norm of the scaled error estimate h*sum BErr_i K_i / (atol +
// rtol*max(|y0|, |y1|)) (scaledNorm). y0 and y1 are finite.
func (r *rk) errNorm(h, rtol, atol float64, norm Norm) float64 {
	if r.cs.done {
		return r.fusedNorm() // the chunks computed it (fuseErr)
	}
	e := r.e
	if g := r.groups; g != nil {
		// the group norm reads nothing past its last bound (the seminorm: the parameter
		// adjoint's error is never needed)
		e = e[:g[len(g)-1]]
	}
	combRows(e, nil, h, r.tb.BErr, r.eIdx, r.k, 0, len(e))
	return r.scaledNorm(e, r.y0[:len(e)], r.y1[:len(e)], e, rtol, atol, norm)
}

// scaledNorm returns the norm of x_i / (atol + rtol*max(|a_i|, |b_i|)): the RMS norm when
// norm is nil and groupRMSMax(r.groups) when r.groups is set (which must then be the
// config's norm), both in one pass without storing the scaled vector; otherwise norm of
// the scaled vector, written into scratch (which may be x). a and b are finite.
func (r *rk) scaledNorm(x, a, b, scratch []float64, rtol, atol float64, norm Norm) float64 {
	if norm == nil {
		if len(x) == 0 {
			return 0
		}
		return math.Sqrt(kernels.ScaledSumSq(x, a, b, rtol, atol) / float64(len(x)))
	}
	if g := r.groups; g != nil {
		// as groupRMSMax(g)
		return maxRMS(g, func(_, lo, hi int) float64 { return kernels.ScaledSumSq(x[lo:hi], a[lo:hi], b[lo:hi], rtol, atol) })
	}
	scratch = scratch[:len(x)]
	for i, v := range x {
		scratch[i] = v / errScale(a[i], b[i], rtol, atol)
	}
	return norm(scratch)
}

// dense writes y(t0 + theta*h) = y0 + h*sum w_i(theta) K_i into dst and reports whether
// it is finite; k[last] must hold f(t1, y1).
func (r *rk) dense(dst []float64, h, theta float64) bool {
	r.tb.Dense(r.w, theta)
	idx := r.wIdx[:0]
	for i, w := range r.w {
		if w != 0 {
			idx = append(idx, i)
		}
	}
	return combRows(dst, r.y0, h, r.w, idx, r.k, 0, len(dst))
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

// combRows sets dst[lo:hi] = base[lo:hi] (base nil: 0; base may be dst) + sum_{j in idx}
// h*coef[j]*k[j][lo:hi], adding the terms of each element in order, so that the bits are
// those of the whole-vector combination whatever the range, and reports whether every
// element is finite. Long ranges take one pass over the vectors (lincomb); short ones
// plain axpys (the same bits), whose call overhead is smaller. Safe for concurrent use on
// disjoint ranges.
func combRows(dst, base []float64, h float64, coef []float64, idx []int, k [][]float64, lo, hi int) bool {
	d := dst[lo:hi]
	var b []float64
	if base != nil {
		b = base[lo:hi]
	}
	if hi-lo < fuseMin {
		if b == nil {
			clear(d)
		} else if hi > lo && &b[0] != &d[0] {
			copy(d, b)
		}
		for _, j := range idx {
			axpy(d, h*coef[j], k[j][lo:])
		}
		return finite(d)
	}
	var cbuf [16]float64
	var xbuf [16][]float64
	c, xs := cbuf[:0], xbuf[:0]
	for _, j := range idx {
		c, xs = append(c, h*coef[j]), append(xs, k[j][lo:hi])
	}
	return lincomb(d, b, c, xs)
}
