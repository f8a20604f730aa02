package sdeop

import (
	"math"
	"sync"

	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/rng"
)

// BrownianInterval is the Brownian Interval of Kidger et al. (2021): a Brownian motion
// on [t0, t1] that computes the increment (and, with WithLevyArea, the space-time Levy
// area) over an interval exactly, from a binary tree of intervals whose random numbers
// come from streams named by the interval, and keeps recently computed intervals in an
// LRU cache so that queries in order, forward or reverse, cost O(1) amortized.
//
// # The tree
//
// Unlike torchsde's, the tree does not depend on the queries, so the sample path is a
// fixed function of (seed, t0, t1, dim, options) whatever the order of the queries or
// the number of goroutines. With WithDtHint(dt) the interval is cut into the cells
// [t0 + k*dt, t0 + (k+1)*dt] (the last one ends at t1), and the top of the tree
// bisects the cell indices, so increments over cells (the steps of a fixed-step solver
// started at t0) are tree nodes and cost one bridge sample each. Each cell is then
// bisected dyadically down to a resolution of 2^-32 of the cell (WithResolution sets
// another); times are rounded to that grid, and an off-grid query costs O(log2(cell /
// resolution)) bridge samples. Without a hint the whole interval is one cell, with a
// default resolution of 2^-40 (t1 - t0): tell the interval its step for speed.
//
// A node's children are drawn from the Brownian bridge given the node's increment W
// (and its Levy area H with WithLevyArea): with l, r the children's lengths, h = l + r,
// the left increment is (l/h) W + sqrt(l r / h) Z without Levy area; with it, the
// left and right (W, H) follow Kidger et al. (2021), Appendix, and torchsde's
// brownian_interval.py (two normals per component per node). The path with Levy area
// differs from the path without. Node increments add up exactly (up to rounding), and
// the increment over an arbitrary interval is the sum over the O(depth) nodes that
// partition it (Levy areas combined by the exact formula).
//
// # Cost and concurrency
//
// Each computed node splits into both children at once, which enter the cache as a
// pair; queries touch all pairs along their path, so with a cache of at least the tree
// depth a sweep over the cells in order, in either direction, computes every node once:
// about one normal per component per query, or two with Levy area. The cache holds
// WithCacheSize pairs (each 2*dim floats, 4*dim with Levy area); by default it holds 8
// more than the deepest query so far has used (the depth of the cell tree plus 8 for
// queries on the grid of the dt hint). Large dimensions are split into chunks of 512
// components, each with its own stream, computed on up to GOMAXPROCS goroutines.
// Queries from several goroutines are serialised by a mutex (and give the same numbers).
//
// Queries outside [t0, t1] by more than 1e-12*(t1-t0), or at NaN, panic with a message
// prefixed "sdeop:" (programmer errors, like a dst of the wrong length); times within
// that slack are clamped.
type BrownianInterval struct {
	extent
	seed uint64
	levy bool

	ncell int64   // number of cells
	dt    float64 // cell width (the last cell may be shorter)
	sub   uint    // dyadic levels inside a cell
	span  int64   // ncell << sub: positions are 0..span

	rootW, rootH []float64

	mu       sync.Mutex
	cache    map[nodeKey]*pairEntry
	head     *pairEntry // most recently used
	tail     *pairEntry
	nentries int
	capacity int
	autoCap  bool // capacity follows the deepest query: depth + 8
	free     []*pairEntry
	epoch    uint64
	path     []*pairEntry // last pair used at each depth: a lookup shortcut

	ops  []ivOp
	work ivWork
	run  runner
	hbuf []float64 // Levy area of an Increment call when the caller wants none
}

type nodeKey struct{ lo, hi int64 }

// pairEntry holds the two children of the node key.
type pairEntry struct {
	key        nodeKey
	lw, rw     []float64
	lh, rh     []float64
	prev, next *pairEntry
	epoch      uint64 // used by the query of this epoch: not evictable during it
}

// IntervalOption configures NewBrownianInterval.
type IntervalOption func(*intervalConfig)

type intervalConfig struct {
	dt    float64
	res   float64
	cache int
	levy  bool
}

// WithDtHint tells the interval the step of a fixed-step solver started at t0 (as
// torchsde's dt): increments over [t0 + k*dt, t0 + (k+1)*dt] become single tree nodes.
func WithDtHint(dt float64) IntervalOption { return func(c *intervalConfig) { c.dt = dt } }

// WithLevyArea makes the interval compute space-time Levy areas (IncrementWithLevy),
// which SRK needs. It costs two normals per component per node instead of one, and
// gives a different path from the same seed.
func WithLevyArea() IntervalOption { return func(c *intervalConfig) { c.levy = true } }

// WithCacheSize sets the number of cached node pairs (default: 8 more than the deepest
// query so far). A query may exceed it temporarily: the pairs it uses stay until it ends.
func WithCacheSize(n int) IntervalOption { return func(c *intervalConfig) { c.cache = n } }

// WithResolution sets the time resolution inside a cell (default 2^-32 of the cell
// with a dt hint, 2^-40 of the interval without): query times are rounded to it.
func WithResolution(tol float64) IntervalOption { return func(c *intervalConfig) { c.res = tol } }

// NewBrownianInterval returns a Brownian Interval on [t0, t1] with dim independent
// components.
func NewBrownianInterval(t0, t1 float64, dim int, seed uint64, opts ...IntervalOption) (*BrownianInterval, error) {
	if err := checkSpan("NewBrownianInterval", t0, t1, dim); err != nil {
		return nil, err
	}
	var cfg intervalConfig
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	T := t1 - t0
	ncell := int64(1)
	dt := T
	if cfg.dt != 0 {
		if !(cfg.dt > 0) || math.IsInf(cfg.dt, 0) {
			return nil, errors.Wrapf(ErrBrownian, "NewBrownianInterval: dt hint %g must be positive and finite", cfg.dt)
		}
		n := numSteps(T, cfg.dt)
		if n > 1<<40 {
			return nil, errors.Wrapf(ErrBrownian, "NewBrownianInterval: dt hint %g makes %d cells, over 2^40", cfg.dt, n)
		}
		if n > 1 {
			ncell, dt = n, cfg.dt
		}
	}
	if cfg.res != 0 && (!(cfg.res > 0) || math.IsInf(cfg.res, 0)) {
		return nil, errors.Wrapf(ErrBrownian, "NewBrownianInterval: resolution %g must be positive and finite", cfg.res)
	}
	if cfg.cache < 0 {
		return nil, errors.Wrapf(ErrBrownian, "NewBrownianInterval: cache size %d is negative", cfg.cache)
	}
	cellDepth := 0
	for n := int64(1); n < ncell; n *= 2 {
		cellDepth++
	}
	// Sub-cell levels: 32 with a hint, 40 without, or enough for the resolution; the
	// positions ncell << sub must fit in an int64.
	sub := 40
	if cfg.dt != 0 {
		sub = 32
	}
	if cfg.res != 0 {
		sub = 0
		for w := dt; w > cfg.res && sub < 62; w /= 2 {
			sub++
		}
	}
	if sub > 62-cellDepth {
		sub = 62 - cellDepth
	}
	// No level finer than the spacing of floating-point times.
	wmin := dt
	if ncell > 1 {
		wmin = math.Min(dt, t1-(t0+float64(ncell-1)*dt))
	}
	maxAbs := math.Max(math.Abs(t0), math.Abs(t1))
	ulp := math.Nextafter(maxAbs, math.Inf(1)) - maxAbs
	for sub > 0 && math.Ldexp(wmin, -sub) < 4*ulp {
		sub--
	}
	b := &BrownianInterval{
		extent: extent{t0, t1, dim}, seed: seed, levy: cfg.levy,
		ncell: ncell, dt: dt, sub: uint(sub), span: ncell << uint(sub),
		cache: make(map[nodeKey]*pairEntry),
	}
	b.capacity = cfg.cache
	if b.capacity == 0 {
		b.capacity, b.autoCap = cellDepth+8, true
	}
	b.rootW = make([]float64, dim)
	fillNormals(b.rootW, rng.Derive(seed, math.MaxUint64), math.Sqrt(T))
	if b.levy {
		b.rootH = make([]float64, dim)
		fillNormals(b.rootH, rng.Derive(seed, math.MaxUint64-1), math.Sqrt(T/12))
		b.hbuf = make([]float64, dim)
	}
	return b, nil
}

// HasLevyArea reports whether the interval was made WithLevyArea.
func (b *BrownianInterval) HasLevyArea() bool { return b.levy }

// Increment writes W(t) - W(s) into dst.
func (b *BrownianInterval) Increment(dst []float64, s, t float64) {
	checkDst("BrownianInterval.Increment", dst, b.dim)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.query(dst, b.hbuf, s, t)
}

// IncrementWithLevy writes W(t) - W(s) into dstW and the space-time Levy area into
// dstH (see LevyBrownian). It panics unless the interval was made WithLevyArea.
func (b *BrownianInterval) IncrementWithLevy(dstW, dstH []float64, s, t float64) {
	if !b.levy {
		panic("sdeop: BrownianInterval.IncrementWithLevy on an interval made without WithLevyArea")
	}
	checkDst("BrownianInterval.IncrementWithLevy", dstW, b.dim)
	checkDst("BrownianInterval.IncrementWithLevy", dstH, b.dim)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.query(dstW, dstH, s, t)
}

// cellStart is the start time of cell k (t1 for k = ncell).
func (b *BrownianInterval) cellStart(k int64) float64 {
	if k >= b.ncell {
		return b.t1
	}
	return b.t0 + float64(k)*b.dt
}

// timeOf is the time of position p.
func (b *BrownianInterval) timeOf(p int64) float64 {
	k := p >> b.sub
	j := p & (1<<b.sub - 1)
	a := b.cellStart(k)
	if j == 0 {
		return a
	}
	return a + (b.cellStart(k+1)-a)*math.Ldexp(float64(j), -int(b.sub))
}

// posOf rounds time t (in [t0, t1]) to the nearest position.
func (b *BrownianInterval) posOf(t float64) int64 {
	if t <= b.t0 {
		return 0
	}
	if t >= b.t1 {
		return b.span
	}
	k := int64(0)
	if b.ncell > 1 {
		k = int64((t - b.t0) / b.dt)
		if k >= b.ncell {
			k = b.ncell - 1
		}
		for k > 0 && t < b.cellStart(k) {
			k--
		}
		for k < b.ncell-1 && t >= b.cellStart(k+1) {
			k++
		}
	}
	a := b.cellStart(k)
	j := int64(math.Round((t - a) / (b.cellStart(k+1) - a) * math.Ldexp(1, int(b.sub))))
	if j < 0 {
		j = 0
	}
	if j > 1<<b.sub {
		j = 1 << b.sub
	}
	return k<<b.sub + j
}

// midOf is where node [lo, hi) splits: the middle cell boundary when the node spans
// several cells, else the dyadic midpoint.
func (b *BrownianInterval) midOf(lo, hi int64) int64 {
	if hi-lo > 1<<b.sub {
		return ((lo>>b.sub + hi>>b.sub) / 2) << b.sub
	}
	return lo + (hi-lo)/2
}

// ivOp is one step of a query plan, run on every chunk.
type ivOp struct {
	kind   int // opSplit, opFirst, opAdd
	pw, ph []float64
	e      *pairEntry // opSplit: the children
	key    uint64
	// opSplit without Levy area: left = a*W + s*Z; with it, the coefficients below.
	a, s float64
	// Levy split coefficients (see split).
	lw, lwh, lwx, lhh, lhx1, lhx2 float64
	rw, rwh, rwx, rhh, rhx1, rhx2 float64
	// opAdd: H = c1*(Hn + W/2) + c2*(H - Wn/2); W += Wn.
	c1, c2 float64
}

const (
	opSplit = iota
	opFirst
	opAdd
)

// query computes the increment over [s, t] into dw (and the Levy area into dh when the
// interval has it). The caller holds the mutex.
func (b *BrownianInterval) query(dw, dh []float64, s, t float64) {
	s = clampTime("BrownianInterval", s, b.t0, b.t1)
	t = clampTime("BrownianInterval", t, b.t0, b.t1)
	neg := false
	if s > t {
		s, t, neg = t, s, true
	}
	ps, pt := b.posOf(s), b.posOf(t)
	if ps == pt {
		clear(dw)
		if b.levy {
			clear(dh)
		}
		return
	}
	b.epoch++
	b.ops = b.ops[:0]
	b.work.accStart = b.timeOf(ps)
	b.work.accEnd = b.work.accStart
	b.decompose(0, b.span, 0, b.rootW, b.rootH, ps, pt)
	b.work.ops = b.ops
	b.work.dw, b.work.dh = dw, dh
	b.work.neg = neg
	b.work.levy = b.levy
	b.work.dim = b.dim
	b.run.run(&b.work, b.dim, len(b.ops)*b.dim)
	b.trim()
}

// decompose plans the sum over the nodes that partition [qs, qt) inside node [lo, hi)
// with values (w, h), at tree depth depth.
func (b *BrownianInterval) decompose(lo, hi int64, depth int, w, h []float64, qs, qt int64) {
	if qs <= lo && hi <= qt {
		ta, tb := b.timeOf(lo), b.timeOf(hi)
		op := ivOp{kind: opFirst, pw: w, ph: h}
		if b.work.accEnd != b.work.accStart {
			op.kind = opAdd
			if total := tb - b.work.accStart; total > 0 {
				op.c1 = (tb - ta) / total
				op.c2 = (ta - b.work.accStart) / total
			} else {
				op.c1, op.c2 = 0, 1
			}
		}
		b.work.accEnd = tb
		b.ops = append(b.ops, op)
		return
	}
	e := b.pair(lo, hi, depth, w, h)
	mid := b.midOf(lo, hi)
	if qs < mid {
		b.decompose(lo, mid, depth+1, e.lw, e.lh, qs, qt)
	}
	if qt > mid {
		b.decompose(mid, hi, depth+1, e.rw, e.rh, qs, qt)
	}
}

// pair returns the children of node [lo, hi) with values (w, h), planning their
// computation if they are not cached, and marks them used.
func (b *BrownianInterval) pair(lo, hi int64, depth int, w, h []float64) *pairEntry {
	key := nodeKey{lo, hi}
	var e *pairEntry
	if depth < len(b.path) && b.path[depth] != nil && b.path[depth].key == key {
		e = b.path[depth]
	} else if e = b.cache[key]; e == nil {
		e = b.alloc()
		e.key = key
		b.cache[key] = e
		b.planSplit(lo, hi, w, h, e)
	}
	for len(b.path) <= depth {
		b.path = append(b.path, nil)
		if b.autoCap && len(b.path)+8 > b.capacity {
			b.capacity = len(b.path) + 8
		}
	}
	b.path[depth] = e
	e.epoch = b.epoch
	b.touch(e)
	return e
}

// planSplit appends the op that computes the children of [lo, hi) into e.
func (b *BrownianInterval) planSplit(lo, hi int64, w, h []float64, e *pairEntry) {
	ta, tm, tb := b.timeOf(lo), b.timeOf(b.midOf(lo, hi)), b.timeOf(hi)
	l, r := tm-ta, tb-tm
	hh := l + r
	if hh <= 0 || l < 0 || r < 0 {
		// Times equal up to rounding: the left child is empty.
		l, r, hh = 0, 1, 1
	}
	op := ivOp{kind: opSplit, pw: w, ph: h, e: e, key: rng.Derive(rng.Derive(b.seed, uint64(lo)), uint64(hi))}
	if !b.levy {
		op.a = l / hh
		op.s = math.Sqrt(l * r / hh)
	} else {
		// Kidger et al. (2021), Appendix; torchsde _brownian/brownian_interval.py.
		v := 0.5 * math.Sqrt(l*r/(l*l*l+r*r*r))
		A := v * l * l / hh
		B := v * r * r / hh
		C := v / math.Sqrt(3)
		third := 2 * (A*l + B*r) / hh
		fl, fr := l/hh, r/hh
		op.lw, op.lwh, op.lwx = fl, 6*fl*fr, third
		op.lhh, op.lhx1, op.lhx2 = fl*fl, -A, C*r
		op.rw, op.rwh, op.rwx = fr, -6*fr*fl, -third
		op.rhh, op.rhx1, op.rhx2 = fr*fr, -B, -C*l
	}
	b.ops = append(b.ops, op)
}

// alloc returns a free pair entry, evicting the least recently used entry not needed
// by the current query when the cache is full.
func (b *BrownianInterval) alloc() *pairEntry {
	if b.nentries >= b.capacity && b.tail != nil && b.tail.epoch != b.epoch {
		e := b.tail
		b.evict(e)
		b.nentries++
		b.pushFront(e)
		return e
	}
	var e *pairEntry
	if n := len(b.free); n > 0 {
		e = b.free[n-1]
		b.free = b.free[:n-1]
	} else {
		e = &pairEntry{}
		n := 2
		if b.levy {
			n = 4
		}
		buf := make([]float64, n*b.dim)
		e.lw, e.rw = buf[:b.dim:b.dim], buf[b.dim:2*b.dim:2*b.dim]
		if b.levy {
			e.lh, e.rh = buf[2*b.dim:3*b.dim:3*b.dim], buf[3*b.dim:]
		}
	}
	b.nentries++
	b.pushFront(e)
	return e
}

// evict removes e from the cache and the list (it keeps its buffers).
func (b *BrownianInterval) evict(e *pairEntry) {
	delete(b.cache, e.key)
	e.key = nodeKey{-1, -1}
	b.unlink(e)
	b.nentries--
}

// trim evicts least recently used entries down to the capacity, keeping their buffers
// for reuse.
func (b *BrownianInterval) trim() {
	for b.nentries > b.capacity && b.tail != nil {
		e := b.tail
		b.evict(e)
		b.free = append(b.free, e)
	}
}

func (b *BrownianInterval) unlink(e *pairEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else if b.head == e {
		b.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else if b.tail == e {
		b.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (b *BrownianInterval) pushFront(e *pairEntry) {
	e.prev, e.next = nil, b.head
	if b.head != nil {
		b.head.prev = e
	}
	b.head = e
	if b.tail == nil {
		b.tail = e
	}
}

func (b *BrownianInterval) touch(e *pairEntry) {
	if b.head == e {
		return
	}
	b.unlink(e)
	b.pushFront(e)
}

// ivWork runs a query plan on chunks.
type ivWork struct {
	ops              []ivOp
	dw, dh           []float64
	neg, levy        bool
	dim              int
	accStart, accEnd float64 // planning: the times covered so far
}

func (w *ivWork) runChunks(c0, c1 int, scratch []float64) {
	for c := c0; c < c1; c++ {
		lo, hi := chunkRange(c, w.dim)
		n := hi - lo
		dw := w.dw[lo:hi]
		var dh []float64
		if w.levy {
			dh = w.dh[lo:hi]
		}
		for k := range w.ops {
			op := &w.ops[k]
			switch op.kind {
			case opSplit:
				s := chunkStream(op.key, c)
				pw := op.pw[lo:hi]
				lw, rw := op.e.lw[lo:hi], op.e.rw[lo:hi]
				if !w.levy {
					z := scratch[:n]
					s.FillNormal(z)
					a, sd := op.a, op.s
					for i := range lw {
						x := a*pw[i] + sd*z[i]
						lw[i] = x
						rw[i] = pw[i] - x
					}
					continue
				}
				x1, x2 := scratch[:n], scratch[n:2*n]
				s.FillNormal(x1)
				s.FillNormal(x2)
				ph := op.ph[lo:hi]
				lh, rh := op.e.lh[lo:hi], op.e.rh[lo:hi]
				for i := range lw {
					W, H, X1, X2 := pw[i], ph[i], x1[i], x2[i]
					lw[i] = op.lw*W + op.lwh*H + op.lwx*X1
					rw[i] = op.rw*W + op.rwh*H + op.rwx*X1
					lh[i] = op.lhh*H + op.lhx1*X1 + op.lhx2*X2
					rh[i] = op.rhh*H + op.rhx1*X1 + op.rhx2*X2
				}
			case opFirst:
				copy(dw, op.pw[lo:hi])
				if w.levy {
					copy(dh, op.ph[lo:hi])
				}
			case opAdd:
				pw := op.pw[lo:hi]
				if w.levy {
					ph := op.ph[lo:hi]
					c1, c2 := op.c1, op.c2
					for i := range dh {
						dh[i] = c1*(ph[i]+0.5*dw[i]) + c2*(dh[i]-0.5*pw[i])
					}
				}
				for i := range dw {
					dw[i] += pw[i]
				}
			}
		}
		if w.neg {
			for i := range dw {
				dw[i] = -dw[i]
			}
		}
	}
}

// numSteps is the number of steps of size dt that cover span > 0: the last one may be
// shorter, or longer by at most 1e-6*dt (rounding of span/dt is never a step of its own).
func numSteps(span, dt float64) int64 {
	n := math.Ceil(span/dt - 1e-6)
	if n < 1 {
		return 1
	}
	if n > 1<<62 {
		return 1 << 62
	}
	return int64(n)
}
