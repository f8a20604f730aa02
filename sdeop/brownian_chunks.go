package sdeop

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/internal/rng"
)

// chunkSize is the number of Brownian components that share one random stream. It is
// part of the definition of a sample path (component d of node n draws from stream
// (n, d/chunkSize)), which makes paths independent of the number of goroutines.
const chunkSize = 512

// parallelWork is the number of component-operations below which a query runs on one
// goroutine: under it, starting goroutines costs more than it saves.
const parallelWork = 1 << 15

// numChunks is the number of random streams of a dim-dimensional node.
func numChunks(dim int) int { return (dim + chunkSize - 1) / chunkSize }

// chunkRange is the component range of chunk c.
func chunkRange(c, dim int) (lo, hi int) {
	lo = c * chunkSize
	hi = lo + chunkSize
	if hi > dim {
		hi = dim
	}
	return lo, hi
}

// chunkWorker runs the chunks [c0, c1) of a query; scratch holds 2*chunkSize floats.
type chunkWorker interface {
	runChunks(c0, c1 int, scratch []float64)
}

// runner runs chunk workers, keeping one scratch buffer per goroutine. It is used under
// its owner's mutex.
type runner struct {
	scratch [][]float64
	wg      sync.WaitGroup
}

// run runs w over all chunks of dim components, on several goroutines when the work
// (component-operations) is large enough. Results do not depend on the split.
func (r *runner) run(w chunkWorker, dim, work int) {
	nc := numChunks(dim)
	p := runtime.GOMAXPROCS(0)
	if p > nc {
		p = nc
	}
	if work < parallelWork {
		p = 1
	}
	for len(r.scratch) < p {
		r.scratch = append(r.scratch, make([]float64, 2*chunkSize))
	}
	if p < 2 {
		w.runChunks(0, nc, r.scratch[0])
		return
	}
	r.wg.Add(p - 1)
	for k := 1; k < p; k++ {
		go r.worker(w, nc*k/p, nc*(k+1)/p, r.scratch[k])
	}
	w.runChunks(0, nc/p, r.scratch[0])
	r.wg.Wait()
}

func (r *runner) worker(w chunkWorker, c0, c1 int, scratch []float64) {
	w.runChunks(c0, c1, scratch)
	r.wg.Done()
}

// chunkStream is the random stream of chunk c of the node with key key.
func chunkStream(key uint64, c int) rng.Source {
	return rng.NewStream(key, uint64(c))
}

// extent is the interval and dimension of a Brownian motion.
type extent struct {
	t0, t1 float64
	dim    int
}

// Dim returns the number of components.
func (s extent) Dim() int { return s.dim }

// Span returns [t0, t1].
func (s extent) Span() (t0, t1 float64) { return s.t0, s.t1 }

// fillNormals fills dst with normals of standard deviation sd from the chunk streams
// of key.
func fillNormals(dst []float64, key uint64, sd float64) {
	for c := 0; c < numChunks(len(dst)); c++ {
		lo, hi := chunkRange(c, len(dst))
		s := chunkStream(key, c)
		s.FillNormal(dst[lo:hi])
		for i := lo; i < hi; i++ {
			dst[i] *= sd
		}
	}
}

// checkSpan validates the construction arguments shared by the Brownian motions.
func checkSpan(what string, t0, t1 float64, dim int) error {
	switch {
	case math.IsNaN(t0) || math.IsNaN(t1) || math.IsInf(t0, 0) || math.IsInf(t1, 0):
		return errors.Wrapf(ErrBrownian, "%s: times t0=%g, t1=%g must be finite", what, t0, t1)
	case !(t0 < t1):
		return errors.Wrapf(ErrBrownian, "%s: t0=%g must be below t1=%g", what, t0, t1)
	case dim <= 0:
		return errors.Wrapf(ErrBrownian, "%s: dim=%d must be positive", what, dim)
	}
	return nil
}

// spanSlack is the relative amount by which a query may leave [t0, t1] and be clamped
// (rounding in the caller's time arithmetic); beyond it a query panics.
const spanSlack = 1e-12

// clampTime clamps a query time to [t0, t1], panicking with a package-prefixed message
// for NaN and for times outside the interval by more than the slack.
func clampTime(what string, t, t0, t1 float64) float64 {
	if t >= t0 && t <= t1 {
		return t
	}
	slack := spanSlack * (t1 - t0)
	switch {
	case t < t0 && t >= t0-slack:
		return t0
	case t > t1 && t <= t1+slack:
		return t1
	}
	panic(fmt.Sprintf("sdeop: %s queried at t=%g outside [%g, %g]", what, t, t0, t1))
}

func checkDst(what string, dst []float64, dim int) {
	if len(dst) != dim {
		panic(fmt.Sprintf("sdeop: %s: destination has length %d, want %d", what, len(dst), dim))
	}
}
