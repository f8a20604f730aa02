package graphop

import (
	"errors"
	"math"
	"math/rand"
	"runtime"
	"testing"
)

// squareEval is f(t, z)_bj = w_j z_bj^2 + t on rows of dim entries, with parameters w
// (theta[0], dim entries); it counts its Release calls.
type squareEval struct {
	w        []float64
	rows     int
	released *int
}

func (e *squareEval) Eval(dst []float64, t float64, z []float64) {
	d := len(e.w)
	for i := range e.rows * d {
		dst[i] = e.w[i%d]*z[i]*z[i] + t
	}
}

func (e *squareEval) VJP(f, dz, dtheta []float64, t float64, z, a []float64) {
	d := len(e.w)
	if f != nil {
		e.Eval(f, t, z)
	}
	if dz != nil {
		for i := range e.rows * d {
			dz[i] = 2 * a[i] * e.w[i%d] * z[i]
		}
	}
	if dtheta != nil {
		clear(dtheta)
		for i := range e.rows * d {
			dtheta[i%d] += a[i] * z[i] * z[i]
		}
	}
}

func (e *squareEval) Release() { *e.released++ }

// squareBinder binds squareEval, recording the rows of each chunk.
func squareBinder(rows *[]int, released *int) Binder {
	return func(theta [][]float64, batch, dim int) (Evaluator, error) {
		*rows = append(*rows, batch)
		return &squareEval{w: theta[0], rows: batch, released: released}, nil
	}
}

func randFloats(r *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = r.NormFloat64()
	}
	return s
}

func TestNewBatchSplitsByProblemSize(t *testing.T) {
	for _, c := range []struct {
		batch, dim, p int
		rows          []int
	}{
		{1, 1 << 20, 1, []int{1}},          // one row is never split
		{2, 1 << 16, 1, []int{1, 1}},       // batch*dim = ParallelWork
		{2, 1<<16 - 1, 1, []int{2}},        // just below
		{4, 1, 1 << 15, []int{2, 2}},       // batch*p = ParallelWork
		{5, 1, 1 << 15, []int{3, 2}},       // odd batch: the first chunk takes the extra row
		{3, 2, 1 << 15, []int{3}},          // batch*max(p, dim) below
		{1000, 16, 100, []int{1000}},       // a typical small problem
		{4096, 4, 40, []int{2048, 2048}},   // 4096*40 above
		{2049, 64, 1, []int{1025, 1024}},   // dim counts when larger than p
		{2047, 64, 1, []int{2047}},         // and below
		{8, 1 << 14, 1 << 14, []int{4, 4}}, // both large
	} {
		var rows []int
		released := 0
		theta := [][]float64{make([]float64, c.p)}
		b, err := NewBatch(squareBinder(&rows, &released), theta, c.batch, c.dim)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(c.rows) || rows[0] != c.rows[0] || rows[len(rows)-1] != c.rows[len(c.rows)-1] {
			t.Errorf("batch %d, dim %d, %d parameters: chunks of %v rows, want %v", c.batch, c.dim, c.p, rows, c.rows)
		}
		if len(b.Evaluators()) != len(c.rows) || b.NumParams() != c.p {
			t.Errorf("batch %d: %d evaluators, %d parameters", c.batch, len(b.Evaluators()), b.NumParams())
		}
		b.Release()
		if released != len(rows) {
			t.Errorf("batch %d: %d of %d evaluators released", c.batch, released, len(rows))
		}
	}
}

// TestBatchMatchesWholeBatch: a split batch gives the values of one Evaluator over the
// whole batch, bit for bit, and parameter gradients that are the sum of the chunks'
// (in chunk order), whatever GOMAXPROCS.
func TestBatchMatchesWholeBatch(t *testing.T) {
	const batch, dim = 1025, 128 // 1025*128 >= ParallelWork: chunks of 513 and 512 rows
	r := rand.New(rand.NewSource(1))
	w := randFloats(r, dim)
	z, a := randFloats(r, batch*dim), randFloats(r, batch*dim)
	released := 0
	whole := &squareEval{w: w, rows: batch, released: &released}
	top := &squareEval{w: w, rows: 513, released: &released}
	bottom := &squareEval{w: w, rows: 512, released: &released}
	wantF, wantDz := make([]float64, batch*dim), make([]float64, batch*dim)
	whole.VJP(wantF, wantDz, nil, 0.5, z, a)
	th0, th1, wantTh := make([]float64, dim), make([]float64, dim), make([]float64, dim)
	top.VJP(nil, nil, th0, 0.5, z[:513*dim], a[:513*dim])
	bottom.VJP(nil, nil, th1, 0.5, z[513*dim:], a[513*dim:])
	for i := range wantTh {
		wantTh[i] = th0[i] + th1[i]
	}

	run := func(procs int) (f, dz, dth, ev []float64) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var rows []int
		b, err := NewBatch(squareBinder(&rows, &released), [][]float64{w}, batch, dim)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Release()
		if len(rows) != 2 {
			t.Fatalf("chunks of %v rows, want two", rows)
		}
		f, dz, dth, ev = make([]float64, batch*dim), make([]float64, batch*dim), make([]float64, dim), make([]float64, batch*dim)
		b.VJP(f, dz, dth, 0.5, z, a)
		b.RHS(0.5, z, ev)
		b.VJP(nil, nil, nil, 0.5, z, a) // nil destinations are skipped
		return f, dz, dth, ev
	}
	for _, procs := range []int{1, 2} {
		f, dz, dth, ev := run(procs)
		for name, p := range map[string][2][]float64{"f": {f, wantF}, "dz": {dz, wantDz}, "dtheta": {dth, wantTh}, "Eval": {ev, wantF}} {
			for i := range p[1] {
				if math.Float64bits(p[0][i]) != math.Float64bits(p[1][i]) {
					t.Errorf("GOMAXPROCS %d: %s[%d] = %v, want %v", procs, name, i, p[0][i], p[1][i])
					break
				}
			}
		}
	}
}

// TestSplitOneChunk: with one chunk, Split's work gets the whole batch and dtheta itself.
func TestSplitOneChunk(t *testing.T) {
	var rows []int
	released := 0
	b, err := NewBatch(squareBinder(&rows, &released), [][]float64{{1, 2}}, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	dtheta := make([]float64, 2)
	calls := 0
	b.Split(dtheta, func(ev Evaluator, lo, hi int, dth []float64) {
		calls++
		if _, ok := ev.(*squareEval); !ok || lo != 0 || hi != 6 || &dth[0] != &dtheta[0] {
			t.Errorf("work(%T, %d, %d, dth): want the Evaluator as bound, 0, 6 and dtheta itself", ev, lo, hi)
		}
	})
	if calls != 1 {
		t.Errorf("%d calls, want 1", calls)
	}
}

func TestNewBatchErrors(t *testing.T) {
	errBind := errors.New("no such parameter")
	released := 0
	n := 0
	failSecond := func(theta [][]float64, batch, dim int) (Evaluator, error) {
		if n++; n == 2 {
			return nil, errBind
		}
		return &squareEval{w: theta[0], rows: batch, released: &released}, nil
	}
	big := [][]float64{make([]float64, ParallelWork)}
	if _, err := NewBatch(failSecond, big, 2, 1); !errors.Is(err, errBind) {
		t.Errorf("bind error: got %v, want %v", err, errBind)
	}
	if released != 1 {
		t.Errorf("%d evaluators released after the failure, want the first chunk's", released)
	}
	nilEval := func([][]float64, int, int) (Evaluator, error) { return nil, nil }
	if _, err := NewBatch(nilEval, big, 2, 1); !errors.Is(err, ErrNilEvaluator) {
		t.Errorf("nil Evaluator: got %v, want ErrNilEvaluator", err)
	}
	var b *Batch
	b.Release() // a nil Batch releases nothing
}
