package sdeop

import (
	"math"
	"sync"

	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/rng"
)

// BrownianTree is the virtual Brownian tree of Li et al. (2020): a Brownian motion on
// [t0, t1] that stores no path. W(t0) = 0, W(t1) is drawn from the seed, and W(t) is
// found by bisection: the value at the midpoint of a bracket [a, b] is the Brownian
// bridge (W(a) + W(b))/2 + sqrt((b-a)/4) Z, with Z drawn from a stream named by the
// node (level, index) of the dyadic tree, down to brackets no wider than tol; inside the
// last bracket W is interpolated linearly. W(t) is therefore a fixed function of
// (seed, t0, t1, dim, tol, t), whatever the order of queries or the number of
// goroutines, and increments are differences of point values, so W(a,c) = W(a,b) +
// W(b,c) up to rounding. Each query costs O(log2((t1-t0)/tol)) normal vectors and no
// memory grows with the number of queries.
//
// To speed up queries that come in order, the tree keeps the brackets of the last
// bisection (one vector per level) and the last two point values; a mutex guards them,
// so a BrownianTree may be used by several goroutines (their queries are serialised).
// Large dimensions are split into chunks computed on several goroutines.
//
// Queries outside [t0, t1] by more than 1e-12*(t1-t0), or at NaN, panic with a message
// prefixed "sdeop:" (they are programmer errors, like a dst of the wrong length); times
// within that slack are clamped.
type BrownianTree struct {
	extent
	seed  uint64
	tol   float64
	depth int // bisection levels

	wEnd []float64 // W(t1) - W(t0)

	mu sync.Mutex
	// The brackets of the last bisection: at level l, [pa[l], pb[l]] with values pWa[l],
	// pWb[l] (slices aliasing wEnd, zero or mid[l'] with l' < l); mid[l] holds the
	// bridge value at the midpoint of level l. valid is the number of usable levels.
	pa, pb   []float64
	pidx     []uint64
	pWa, pWb [][]float64
	mid      [][]float64
	zero     []float64
	valid    int
	// The last two point values.
	memoT  [2]float64
	memoW  [2][]float64
	memoOK [2]bool

	plan []treeLevel // scratch for one bisection
	run  runner
	work treeWork
}

// treeLevel is one bisection step of a query: mid = (wa + wb)/2 + sd * Z(key).
type treeLevel struct {
	wa, wb, mid []float64
	sd          float64
	key         uint64
}

// NewBrownianTree returns a virtual Brownian tree on [t0, t1] with dim independent
// components, resolved to time tolerance tol > 0.
func NewBrownianTree(t0, t1 float64, dim int, seed uint64, tol float64) (*BrownianTree, error) {
	if err := checkSpan("NewBrownianTree", t0, t1, dim); err != nil {
		return nil, err
	}
	if !(tol > 0) || math.IsInf(tol, 0) {
		return nil, errors.Wrapf(ErrBrownian, "NewBrownianTree: tol=%g must be positive and finite", tol)
	}
	depth := 0
	for w := t1 - t0; w > tol && depth < 60; w /= 2 {
		depth++
	}
	b := &BrownianTree{extent: extent{t0, t1, dim}, seed: seed, tol: tol, depth: depth}
	b.wEnd = make([]float64, dim)
	fillNormals(b.wEnd, rng.Derive(seed, math.MaxUint64), math.Sqrt(t1-t0))
	b.pa = make([]float64, depth+1)
	b.pb = make([]float64, depth+1)
	b.pidx = make([]uint64, depth+1)
	b.pWa = make([][]float64, depth+1)
	b.pWb = make([][]float64, depth+1)
	b.mid = make([][]float64, depth)
	for l := range b.mid {
		b.mid[l] = make([]float64, dim)
	}
	b.zero = make([]float64, dim)
	b.pa[0], b.pb[0], b.pWa[0], b.pWb[0] = t0, t1, b.zero, b.wEnd
	b.valid = 1
	for k := range b.memoW {
		b.memoW[k] = make([]float64, dim)
	}
	return b, nil
}

// Tol returns the time tolerance.
func (b *BrownianTree) Tol() float64 { return b.tol }

// Increment writes W(t) - W(s) into dst.
func (b *BrownianTree) Increment(dst []float64, s, t float64) {
	checkDst("BrownianTree.Increment", dst, b.dim)
	s = clampTime("BrownianTree", s, b.t0, b.t1)
	t = clampTime("BrownianTree", t, b.t0, b.t1)
	if s == t {
		clear(dst)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	ws := b.point(s, -1)
	ks := b.memoSlot(ws)
	wt := b.point(t, ks)
	for i := range dst {
		dst[i] = wt[i] - ws[i]
	}
}

// memoSlot returns the memo slot that holds w, or -1.
func (b *BrownianTree) memoSlot(w []float64) int {
	for k := range b.memoW {
		if &b.memoW[k][0] == &w[0] {
			return k
		}
	}
	return -1
}

// point returns W(t) in one of the memo slots, never overwriting slot keep.
func (b *BrownianTree) point(t float64, keep int) []float64 {
	for k := range b.memoW {
		if b.memoOK[k] && b.memoT[k] == t {
			return b.memoW[k]
		}
	}
	k := 0
	if keep == 0 {
		k = 1
	}
	b.memoOK[k] = false
	b.evaluate(b.memoW[k], t)
	b.memoT[k], b.memoOK[k] = t, true
	return b.memoW[k]
}

// evaluate writes W(t) into dst by bisection, reusing the brackets of the last one.
func (b *BrownianTree) evaluate(dst []float64, t float64) {
	// The deepest kept bracket that contains t.
	l := b.valid - 1
	for l > 0 && !(b.pa[l] <= t && t <= b.pb[l]) {
		l--
	}
	plan := b.plan[:0]
	a, c, idx := b.pa[l], b.pb[l], b.pidx[l]
	wa, wc := b.pWa[l], b.pWb[l]
	var exact []float64
	for ; l < b.depth; l++ {
		if t == a {
			exact = wa
			break
		}
		if t == c {
			exact = wc
			break
		}
		m := a + 0.5*(c-a)
		mid := b.mid[l]
		plan = append(plan, treeLevel{wa: wa, wb: wc, mid: mid, sd: math.Sqrt(0.25 * (c - a)),
			key: rng.Derive(rng.Derive(b.seed, uint64(l)), idx)})
		if t < m {
			c, wc, idx = m, mid, 2*idx
		} else {
			a, wa, idx = m, mid, 2*idx+1
		}
		b.pa[l+1], b.pb[l+1], b.pidx[l+1], b.pWa[l+1], b.pWb[l+1] = a, c, idx, wa, wc
	}
	b.valid = l + 1
	if exact == nil && t == a {
		exact = wa
	} else if exact == nil && t == c {
		exact = wc
	}
	b.plan = plan
	b.work = treeWork{plan: plan, dst: dst, exact: exact, wa: wa, wc: wc, dim: b.dim}
	if exact == nil {
		b.work.fa = (t - a) / (c - a)
	}
	b.run.run(&b.work, b.dim, (len(plan)+1)*b.dim)
}

// treeWork computes the bisection plan of one point and writes the point's value.
type treeWork struct {
	plan   []treeLevel
	dst    []float64
	exact  []float64 // the point is a bracket end: copy it
	wa, wc []float64 // else interpolate between wa and wc
	fa     float64
	dim    int
}

func (w *treeWork) runChunks(c0, c1 int, scratch []float64) {
	for c := c0; c < c1; c++ {
		lo, hi := chunkRange(c, w.dim)
		z := scratch[:hi-lo]
		for _, lv := range w.plan {
			s := chunkStream(lv.key, c)
			s.FillNormal(z)
			wa, wb, mid := lv.wa[lo:hi], lv.wb[lo:hi], lv.mid[lo:hi]
			for i := range mid {
				mid[i] = 0.5*(wa[i]+wb[i]) + lv.sd*z[i]
			}
		}
		dst := w.dst[lo:hi]
		if w.exact != nil {
			copy(dst, w.exact[lo:hi])
			continue
		}
		wa, wc := w.wa[lo:hi], w.wc[lo:hi]
		f := w.fa
		for i := range dst {
			dst[i] = wa[i] + f*(wc[i]-wa[i])
		}
	}
}
