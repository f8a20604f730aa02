package odeop

import (
	"sync/atomic"

	"github.com/continuum-ml/continuum/internal/graphop"
	"github.com/continuum-ml/continuum/internal/kernels"
)

// rowChunks is a right-hand side whose rows are split into chunks evaluated concurrently
// (a graphop.Batch's): chunk c reads and writes only its own ranges of the state and of
// the derivative, except the parameter part of the derivative (the entries from paramOff
// on, when the system has one), of which every chunk computes a part; the parts are summed
// in chunk order.
type rowChunks interface {
	numChunks() int
	// ranges returns the ranges [lo, hi) of the state chunk c reads (and of the
	// derivative it writes), in increasing order.
	ranges(c int) [][2]int
	paramOff() int
	// run calls work(c) for every chunk, concurrently, chunk 0 on the calling goroutine.
	run(work func(c int))
	// eval writes chunk c's ranges of f(t, y) into dy and its part of the parameter
	// derivative into dth (nil when there is none).
	eval(c int, t float64, y, dy, dth []float64)
}

// noChunks, set by tests, makes every solve take one range (setup.rows unset), to compare
// the two.
var noChunks bool

// wholeRows is f as rowChunks of one chunk: one range [0, po) of the argument, which f
// reads (f writes the whole derivative).
type wholeRows struct {
	f  Func
	rg [][2]int
	po int
}

func (w *wholeRows) numChunks() int                            { return 1 }
func (w *wholeRows) ranges(int) [][2]int                       { return w.rg }
func (w *wholeRows) paramOff() int                             { return w.po }
func (w *wholeRows) run(work func(c int))                      { work(0) }
func (w *wholeRows) eval(_ int, t float64, y, dy, _ []float64) { w.f(t, y, dy) }

// chunkState is what the engine keeps between steps for its chunks: made once per engine
// and chunking.
type chunkState struct {
	nc, nr, po int                                   // the chunking it was made for: chunks, ranges per chunk, parameter offset
	work       func(c int)                           // r.stepRows, made once
	evWork     func(c int)                           // r.evalChunk, made once
	evals      []func(i int, t float64, y []float64) // per chunk: its stage evaluation, made once
	parts      [][][]float64                         // parts[c][i]: chunk c's (c >= 1) part of stage i's parameter derivative
	fail       []int                                 // per chunk: the first stage whose argument is not finite (s: none)
	bad        []int                                 // per chunk: the first unread stage with a non-finite row (-1: none)
	et         float64                               // the evalChunked call in progress
	ey         []float64
	edst       []float64
	// prog[c]: the last stage chunk c (c >= 1) has evaluated in the step in progress;
	// summed: the last stage whose parameter parts chunk 0 has summed
	prog   []atomic.Int32
	summed int

	// The fused error estimate (adaptive FSAL solves in two or more chunks with the RMS or
	// group norm): after its last stage each chunk computes its rows of the error estimate
	// and their scaled sums of squares sq[c][q] (one per range q), while its derivatives
	// are in its cache.
	fuse       bool
	rtol, atol float64
	group      [][]int     // group[c][q]: the norm group of range q of chunk c
	sq         [][]float64 // per chunk and range
	done       bool        // the partial sums of the step in progress are there

	// the parameter part [po, n) in segments {lo, hi, norm group or -1} (paramJoin), the
	// segments' scaled sums of squares by group, and which unread stages have a non-finite
	// parameter part (by position in plan.unread)
	segs [][3]int
	gsum []float64
	badP []bool

	whole []int    // {0, n}: the bounds of the RMS norm's one group
	all   [][2]int // {{0, n}}: the whole vector as one range
}

// setChunks makes the engine step through rc.
func (r *rk) setChunks(rc rowChunks) {
	nc, nr, po := rc.numChunks(), len(rc.ranges(0)), rc.paramOff()
	cs := r.cs
	if cs == nil || cs.nc != nc || cs.nr != nr || cs.po != po {
		cs = &chunkState{nc: nc, nr: nr, po: po, fail: make([]int, nc), bad: make([]int, nc), parts: make([][][]float64, nc),
			prog: make([]atomic.Int32, nc), sq: make([][]float64, nc), group: make([][]int, nc),
			badP: make([]bool, len(r.unread)), work: r.stepRows, evWork: r.evalChunk, whole: []int{0, r.n},
			all: [][2]int{{0, r.n}}, evals: make([]func(int, float64, []float64), nc)}
		for c := range cs.sq {
			cs.sq[c] = make([]float64, nr)
			cs.group[c] = make([]int, nr)
			cs.evals[c] = r.stageEval(c, nc)
		}
		if po < r.n {
			for c := 1; c < nc; c++ {
				cs.parts[c] = make([][]float64, r.s)
				for i := range cs.parts[c] {
					cs.parts[c][i] = make([]float64, r.n-po)
				}
			}
		}
		r.cs = cs
	}
	cs.fuse = false
	cs.segs = append(cs.segs[:0], [3]int{po, r.n, -1})
}

// stageEval returns chunk c's evaluation of stage i at (t, y) into k[i]: its rows, and
// its part of the parameter derivative (chunk 0 into k[i] itself, summing the others'
// parts as they come: sumParts).
func (r *rk) stageEval(c, nc int) func(i int, t float64, y []float64) {
	if nc == 1 {
		return func(i int, t float64, y []float64) { r.f(t, y, r.k[i]) } // f writes the whole derivative
	}
	return func(i int, t float64, y []float64) {
		cs := r.cs
		var dth []float64
		if cs.po < r.n {
			dth = r.k[i][cs.po:]
			if c > 0 {
				dth = cs.parts[c][i]
			}
		}
		r.rows.eval(c, t, y, r.k[i], dth)
		if dth != nil && cs.nc > 1 {
			if c > 0 {
				cs.prog[c].Store(int32(i))
			} else {
				r.sumParts(i)
			}
		}
	}
}

// evalChunked is f(t, y) into dst by the chunks (y is whole), the parameter parts summed
// in chunk order (stage 0's buffers hold the other chunks' parts).
func (r *rk) evalChunked(t float64, y, dst []float64) {
	cs := r.cs
	cs.et, cs.ey, cs.edst = t, y, dst
	r.rows.run(cs.evWork)
	cs.ey, cs.edst = nil, nil
	if cs.po < r.n {
		r.addParts(dst, 0, cs.po, r.n)
	}
}

// addParts adds the other chunks' parts of the parameter derivative of stage i (of
// evalChunked for i = 0), in chunk order, to dst[lo:hi], a range of the parameter part
// of a derivative (lo >= cs.po).
func (r *rk) addParts(dst []float64, i, lo, hi int) {
	cs := r.cs
	for c := 1; c < len(cs.parts); c++ {
		x := [1][]float64{cs.parts[c][i][lo-cs.po : hi-cs.po]}
		lincomb(dst[lo:hi], dst[lo:hi], plusOne, x[:])
	}
}

// evalChunk evaluates chunk c for evalChunked.
func (r *rk) evalChunk(c int) {
	cs := r.cs
	var dth []float64
	if cs.po < r.n {
		dth = cs.edst[cs.po:]
		if c > 0 {
			dth = cs.parts[c][0]
		}
	}
	r.rows.eval(c, cs.et, cs.ey, cs.edst, dth)
}

// fuseErr makes the chunks compute the error estimate and its scaled sums of squares
// (see chunkState.fuse) for the error norm of adaptive steps, where the engine steps by
// chunks, its tableau is FSAL and the norm is the RMS norm or the engine's group norm
// with every chunk range inside one group; errNorm then combines the sums.
func (r *rk) fuseErr(rtol, atol float64, norm Norm) {
	cs := r.cs
	cs.fuse = false
	if cs.nc < 2 || !r.fsal || (norm != nil && r.groups == nil) {
		return
	}
	for c := range cs.group {
		for q, rg := range r.rows.ranges(c) {
			g := 0
			if r.groups != nil {
				g = -1
				for k := 0; k+1 < len(r.groups); k++ {
					if r.groups[k] <= rg[0] && rg[1] <= r.groups[k+1] {
						g = k
					}
				}
				if g < 0 {
					return // a range across groups (or past the last): the whole-vector norm
				}
			}
			cs.group[c][q] = g
		}
	}
	cs.fuse, cs.rtol, cs.atol = true, rtol, atol
	// the parameter part's segments: split at the group bounds, each tagged with its group
	po := cs.po
	cs.segs = cs.segs[:0]
	if r.groups == nil {
		if po < r.n {
			cs.segs = append(cs.segs, [3]int{po, r.n, 0})
		}
	} else {
		lo := po
		for k := 0; k+1 < len(r.groups) && lo < r.n; k++ {
			a, b := max(r.groups[k], lo), min(r.groups[k+1], r.n)
			if a > lo {
				cs.segs = append(cs.segs, [3]int{lo, a, -1})
			}
			if b > a {
				cs.segs = append(cs.segs, [3]int{a, b, k})
				lo = b
			}
		}
		if lo < r.n {
			cs.segs = append(cs.segs, [3]int{lo, r.n, -1})
		}
	}
	if len(cs.gsum) < len(r.groups)+1 {
		cs.gsum = make([]float64, len(r.groups)+1)
	}
	clear(cs.gsum)
}

// fusedNorm is errNorm from the chunks' sums of squares: each group's sum adds its
// ranges' sums in chunk order, then its parameter part's (paramJoin).
func (r *rk) fusedNorm() float64 {
	cs := r.cs
	groups := r.groups
	if groups == nil {
		groups = cs.whole
	}
	return maxRMS(groups, func(k, _, _ int) float64 {
		s := 0.0
		for c := range cs.sq {
			for q, g := range cs.group[c] {
				if g == k {
					s += cs.sq[c][q]
				}
			}
		}
		return s + cs.gsum[k] // the parameter part's (paramJoin), 0 where it has none
	})
}

// joinBlock is the length of paramJoin's blocks: a block of every vector it reads (the
// stages', y0's, y1's, the error estimate's, a chunk's part: about 11 x 4 KB) stays in the
// L1 cache between its passes.
const joinBlock = 512

// paramJoin finishes the parameter part of a step whose stages every chunk evaluated,
// block by block, so that each vector is read from memory once: the stage sums left
// (summed+1..s-1), y1's part (FSAL), the finiteness of the unread derivatives' part
// (cs.badP) and, with fuse, the scaled sums of squares of the error estimate's part by
// norm group (cs.gsum). It reports whether y1's part is finite.
func (r *rk) paramJoin() bool {
	cs := r.cs
	last := r.s - 1
	ok := true
	clear(cs.gsum)
	for _, sg := range cs.segs {
		for lo := sg[0]; lo < sg[1]; lo += joinBlock {
			hi := min(lo+joinBlock, sg[1])
			for i := cs.summed + 1; i < r.s; i++ {
				r.addParts(r.k[i], i, lo, hi)
			}
			if r.fsal && !combRows(r.y1, r.y0, r.ss.h, r.a[last], r.aIdx[last], r.k, lo, hi) {
				ok = false
			}
			for u, j := range r.unread {
				if !finite(r.k[j][lo:hi]) {
					cs.badP[u] = true
				}
			}
			if cs.fuse && sg[2] >= 0 {
				combRows(r.e, nil, r.ss.h, r.tb.BErr, r.eIdx, r.k, lo, hi)
				cs.gsum[sg[2]] += kernels.ScaledSumSq(r.e[lo:hi], r.y0[lo:hi], r.y1[lo:hi], cs.rtol, cs.atol)
			}
		}
	}
	return ok
}

// stepRows computes the stages 1..s-1 of the step in progress on chunk c's rows
// (stages); then it checks the chunk's rows of the derivatives no combination reads
// (plan.unread) and, with fuse, computes its rows of the error estimate and their sums.
func (r *rk) stepRows(c int) {
	cs := r.cs
	rgs := r.rows.ranges(c)
	cs.bad[c] = -1
	if cs.fail[c] = r.stages(&r.ss, rgs, 1, r.s, r.s, cs.evals[c]); cs.fail[c] < r.s {
		return
	}
	for _, j := range r.unread {
		for _, rg := range rgs {
			if !finite(r.k[j][rg[0]:rg[1]]) {
				cs.bad[c] = j
				return
			}
		}
	}
	if cs.fuse {
		for q, rg := range rgs {
			lo, hi := rg[0], rg[1]
			combRows(r.e, nil, r.ss.h, r.tb.BErr, r.eIdx, r.k, lo, hi)
			cs.sq[c][q] = kernels.ScaledSumSq(r.e[lo:hi], r.y0[lo:hi], r.y1[lo:hi], cs.rtol, cs.atol)
		}
	}
}

// sumParts adds, on chunk 0, the other chunks' parts of the parameter derivatives of the
// stages up to i that every chunk has evaluated, in chunk order (the rest are added after
// the chunks): the sums overlap the other chunks' evaluations.
func (r *rk) sumParts(i int) {
	cs := r.cs
	for cs.summed < i {
		next := cs.summed + 1
		for c := 1; c < len(cs.prog); c++ {
			if int(cs.prog[c].Load()) < next {
				return
			}
		}
		r.addParts(r.k[next], next, cs.po, r.n)
		cs.summed = next
	}
}

// batchChunks is a Batch's right-hand side as rowChunks: the forward dynamics, or with
// adj the adjoint's augmented system [z, a, a_theta] of adjointBackward, whose chunk of
// rows [lo, hi) reads z[lo:hi] and a[lo:hi] (negating its rows of a itself) and computes
// a part of the parameter adjoint's derivative.
type batchChunks struct {
	b   *graphop.Batch
	n   int // batch*dim
	adj bool
	neg []float64 // adj: the negated adjoint (-a)
	rgs [][][2]int
}

// newBatchChunks returns b's right-hand side as rowChunks (adj: the adjoint's augmented
// system, with the scratch neg of length n), or nil when b has one chunk.
func newBatchChunks(b *graphop.Batch, n int, adj bool, neg []float64) rowChunks {
	nc := len(b.Evaluators())
	if nc < 2 || noChunks {
		return nil
	}
	c := &batchChunks{b: b, n: n, adj: adj, neg: neg, rgs: make([][][2]int, nc)}
	for k := range c.rgs {
		lo, hi := b.Range(k)
		c.rgs[k] = [][2]int{{lo, hi}}
		if adj {
			c.rgs[k] = append(c.rgs[k], [2]int{n + lo, n + hi})
		}
	}
	return c
}

func (c *batchChunks) numChunks() int        { return len(c.rgs) }
func (c *batchChunks) ranges(k int) [][2]int { return c.rgs[k] }
func (c *batchChunks) run(work func(k int))  { c.b.Run(work) }

func (c *batchChunks) paramOff() int {
	if c.adj {
		return 2 * c.n
	}
	return c.n
}

var minusOne, plusOne = []float64{-1}, []float64{1}

func (c *batchChunks) eval(k int, t float64, y, dy, dth []float64) {
	lo, hi := c.rgs[k][0][0], c.rgs[k][0][1]
	ev := c.b.Evaluators()[k]
	if !c.adj {
		ev.Eval(dy[lo:hi], t, y[lo:hi])
		return
	}
	n := c.n
	adjointRHS(ev, t, y[lo:hi], y[n+lo:n+hi], c.neg[lo:hi], dy[lo:hi], dy[n+lo:n+hi], dth)
}
