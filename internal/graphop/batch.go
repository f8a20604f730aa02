package graphop

import (
	"runtime"

	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/kernels"
)

// ParallelWork is the estimated work of one evaluation (batch x max(parameters, dim),
// about the multiply-adds of a dense network) above which a Batch splits the rows in two
// halves that run on two goroutines. Below it, goroutine hand-off costs more than it
// saves.
const ParallelWork = 1 << 17

// Evaluator is the part of odeop.Evaluator that a Batch uses; an odeop.Evaluator is one.
// A Batch hands the Evaluators that Binder returned, unchanged, to the callbacks of
// Split, so a caller can type-assert them to its own optional interfaces.
type Evaluator interface {
	Eval(dst []float64, t float64, z []float64)
	VJP(f, dz, dtheta []float64, t float64, z, a []float64)
}

// Binder is odeop.Dynamics.Bind: an Evaluator for states of shape (batch, dim) with the
// parameter values theta.
type Binder func(theta [][]float64, batch, dim int) (Evaluator, error)

// ErrNilEvaluator is returned by NewBatch when the Binder gives a nil Evaluator without
// an error.
var ErrNilEvaluator = errors.New("binding the dynamics gave a nil Evaluator")

// Batch evaluates dynamics on a whole batch of states (batch, dim), split by rows into
// chunks with an Evaluator each. The split depends only on the problem size (see
// ParallelWork), never on the number of CPUs, so parameter gradients (summed over the
// chunks in a fixed order) are bit-identical whether the chunks run concurrently or not.
// A Batch is used by one goroutine at a time.
type Batch struct {
	evs    []Evaluator
	p      int         // number of parameters
	lo, hi []int       // flat index range of each chunk
	parts  [][]float64 // per-chunk parameter gradients of chunks 1.. (made on first use)
	one    [1]float64
	add    [1][]float64
	concur bool
	helper *helper // runs chunks 1.. when concur (from the idle helpers, back at Release)
}

// NewBatch binds the dynamics once per chunk. The number of chunks is 2 when batch >= 2
// and batch*max(p, dim) >= ParallelWork, p being the number of parameters, and 1
// otherwise; chunk c has batch/chunks rows, one more for the first batch%chunks chunks.
// A Binder error is returned as it is, and ErrNilEvaluator for a nil Evaluator; the
// chunks bound before are released then.
func NewBatch(bind Binder, theta [][]float64, batch, dim int) (*Batch, error) {
	p := 0
	for _, th := range theta {
		p += len(th)
	}
	b := &Batch{p: p}
	chunks := 1
	if batch >= 2 && batch*max(p, dim) >= ParallelWork {
		chunks = 2
	}
	rows := 0
	for c := 0; c < chunks; c++ {
		nb := batch / chunks
		if c < batch%chunks {
			nb++
		}
		ev, err := bind(theta, nb, dim)
		if err == nil && ev == nil {
			err = ErrNilEvaluator
		}
		if err != nil {
			b.Release()
			return nil, err
		}
		b.evs = append(b.evs, ev)
		b.lo = append(b.lo, rows*dim)
		rows += nb
		b.hi = append(b.hi, rows*dim)
	}
	b.concur = chunks > 1 && runtime.GOMAXPROCS(0) > 1
	if b.concur {
		b.helper = getHelper(chunks)
	}
	return b, nil
}

// Release hands the Batch's helper goroutine back to the idle helpers (a concurrent Batch
// that is never released leaves its helper parked for good: every user defers Release)
// and the Evaluators that have a Release method (odeop.Releaser) back to their dynamics.
// The Batch is unusable afterwards. Release of a nil Batch does nothing.
func (b *Batch) Release() {
	if b == nil {
		return
	}
	if b.helper != nil {
		putHelper(b.helper)
		b.helper = nil
	}
	for _, ev := range b.evs {
		if r, ok := ev.(interface{ Release() }); ok {
			r.Release()
		}
	}
	b.evs = nil
}

// NumParams is the total number of parameters: the length of a parameter gradient.
func (b *Batch) NumParams() int { return b.p }

// Evaluators returns the Evaluators of the chunks, in row order.
func (b *Batch) Evaluators() []Evaluator { return b.evs }

// Eval is Evaluator.Eval over the whole batch.
func (b *Batch) Eval(dst []float64, t float64, z []float64) {
	if len(b.evs) == 1 {
		b.evs[0].Eval(dst, t, z)
		return
	}
	b.run(func(c int) {
		lo, hi := b.lo[c], b.hi[c]
		b.evs[c].Eval(dst[lo:hi], t, z[lo:hi])
	})
}

// RHS is Eval with the arguments in the order of an ODE's right-hand side (odeop.Func).
func (b *Batch) RHS(t float64, z, dz []float64) { b.Eval(dz, t, z) }

// VJP is Evaluator.VJP over the whole batch: dtheta is the sum of the chunks'
// parameter gradients, in chunk order.
func (b *Batch) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	if len(b.evs) == 1 {
		b.evs[0].VJP(f, dz, dtheta, t, z, a)
		return
	}
	b.Split(dtheta, func(ev Evaluator, lo, hi int, dth []float64) {
		ev.VJP(sub(f, lo, hi), sub(dz, lo, hi), dth, t, z[lo:hi], a[lo:hi])
	})
}

// Split runs work once per chunk, concurrently when there are several chunks and more
// than one CPU, with the chunk's Evaluator, its flat index range [lo, hi) of the batch
// and a parameter gradient dth of dtheta's length (nil when dtheta is nil) for the chunk
// to overwrite; it then writes the sum of the dth, in chunk order, into dtheta. With one
// chunk, dth is dtheta itself. It is how a caller runs its own per-row methods of the
// Evaluators (type-asserted from ev) over the batch.
func (b *Batch) Split(dtheta []float64, work func(ev Evaluator, lo, hi int, dth []float64)) {
	if len(b.evs) == 1 {
		work(b.evs[0], b.lo[0], b.hi[0], dtheta)
		return
	}
	if dtheta != nil && b.parts == nil {
		// chunk 0 writes into dtheta itself; the others get buffers on the first use
		b.parts = make([][]float64, len(b.evs))
		for c := 1; c < len(b.evs); c++ {
			b.parts[c] = make([]float64, b.p)
		}
	}
	b.run(func(c int) {
		var dth []float64
		if dtheta != nil {
			dth = dtheta
			if c > 0 {
				dth = b.parts[c]
			}
		}
		work(b.evs[c], b.lo[c], b.hi[c], dth)
	})
	if dtheta != nil {
		for c := 1; c < len(b.parts); c++ {
			b.one[0], b.add[0] = 1, b.parts[c]
			kernels.Lincomb(dtheta, dtheta, b.one[:], b.add[:]) // dtheta += parts[c]
		}
		b.add[0] = nil
	}
}

// Range returns the flat index range [lo, hi) of chunk c's rows.
func (b *Batch) Range(c int) (lo, hi int) { return b.lo[c], b.hi[c] }

// Run calls work(c) for every chunk c, concurrently when there are several chunks and
// more than one CPU (chunk 0 on the calling goroutine; a panic of a chunk is raised on
// the caller), and returns when every chunk is done. It allocates nothing once the Batch
// has run concurrently once, when work is made once (e.g. a method value).
func (b *Batch) Run(work func(c int)) { b.run(work) }

// run calls work for every chunk: chunk 0 on the calling goroutine, the others on the
// Batch's helper goroutine when concur (a panic of a chunk is raised on the caller).
func (b *Batch) run(work func(c int)) {
	if !b.concur {
		for c := range b.evs {
			work(c)
		}
		return
	}
	b.helper.run(work)
}

func sub(s []float64, lo, hi int) []float64 {
	if s == nil {
		return nil
	}
	return s[lo:hi]
}
