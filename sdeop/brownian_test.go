package sdeop

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/continuum-ml/continuum/internal/rng"
)

// ksNormal is the one-sample Kolmogorov-Smirnov statistic of x against N(0, 1).
func ksNormal(x []float64) float64 {
	x = append([]float64(nil), x...)
	sort.Float64s(x)
	n := float64(len(x))
	d := 0.0
	for i, v := range x {
		c := distuv.UnitNormal.CDF(v)
		d = math.Max(d, math.Max(c-float64(i)/n, float64(i+1)/n-c))
	}
	return d
}

// ksCritical is the asymptotic critical value of the KS statistic at alpha = 0.001.
func ksCritical(n int) float64 { return 1.949 / math.Sqrt(float64(n)) }

func corr(x, y []float64) float64 {
	var sxy, sxx, syy float64
	for i := range x {
		sxy += x[i] * y[i]
		sxx += x[i] * x[i]
		syy += y[i] * y[i]
	}
	return sxy / math.Sqrt(sxx*syy)
}

// brownianCase builds a Brownian motion on [0, 1] with dim components.
type brownianCase struct {
	name string
	make func(dim int, seed uint64) Brownian
}

var brownianCases = []brownianCase{
	{"interval", func(dim int, seed uint64) Brownian {
		b, _ := NewBrownianInterval(0, 1, dim, seed)
		return b
	}},
	{"interval/dt", func(dim int, seed uint64) Brownian {
		b, _ := NewBrownianInterval(0, 1, dim, seed, WithDtHint(0.01))
		return b
	}},
	{"interval/levy", func(dim int, seed uint64) Brownian {
		b, _ := NewBrownianInterval(0, 1, dim, seed, WithLevyArea(), WithDtHint(0.01))
		return b
	}},
	{"interval/cache1", func(dim int, seed uint64) Brownian {
		b, _ := NewBrownianInterval(0, 1, dim, seed, WithCacheSize(1), WithDtHint(0.03))
		return b
	}},
	{"tree", func(dim int, seed uint64) Brownian {
		b, _ := NewBrownianTree(0, 1, dim, seed, 1e-6)
		return b
	}},
}

// queryIntervals are on-grid, off-grid, long, short and reversed intervals of [0, 1].
var queryIntervals = [][2]float64{
	{0, 1}, {0, 0.5}, {0.25, 0.26}, {0.1, 0.2}, {0.3, 0.7}, {0.123, 0.4567}, {0.99, 1},
	{0.5, 0.1}, {1.0 / 3, 2.0 / 3}, {0.777, 0.7771},
}

func TestBrownianKS(t *testing.T) {
	const dim = 3000
	for _, bc := range brownianCases {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.make(dim, 1)
			dw := make([]float64, dim)
			var all []float64
			for _, q := range queryIntervals {
				b.Increment(dw, q[0], q[1])
				sd := math.Sqrt(math.Abs(q[1] - q[0]))
				z := make([]float64, dim)
				for i := range dw {
					z[i] = dw[i] / sd
				}
				if d := ksNormal(z); d > ksCritical(dim) {
					t.Errorf("W(%g, %g): KS statistic %.4f above %.4f", q[0], q[1], d, ksCritical(dim))
				}
				all = append(all, z...)
			}
			if d := ksNormal(all); d > ksCritical(len(all)) {
				t.Errorf("pooled: KS statistic %.4f above %.4f", d, ksCritical(len(all)))
			}
		})
	}
}

func TestBrownianIndependentIncrements(t *testing.T) {
	const dim = 20000
	pairs := [][4]float64{{0, 0.5, 0.5, 1}, {0.1, 0.11, 0.11, 0.12}, {0.2, 0.3, 0.6, 0.61}, {0.123, 0.2, 0.2, 0.345}}
	for _, bc := range brownianCases {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.make(dim, 2)
			x, y := make([]float64, dim), make([]float64, dim)
			for _, p := range pairs {
				b.Increment(x, p[0], p[1])
				b.Increment(y, p[2], p[3])
				if r := corr(x, y); math.Abs(r) > 5/math.Sqrt(dim) {
					t.Errorf("corr(W(%g,%g), W(%g,%g)) = %.4f", p[0], p[1], p[2], p[3], r)
				}
			}
			// Components are independent too.
			b.Increment(x, 0, 1)
			if r := corr(x[:dim/2], x[dim/2:]); math.Abs(r) > 5/math.Sqrt(dim/2) {
				t.Errorf("components correlated: %.4f", r)
			}
		})
	}
}

func TestBrownianAdditivity(t *testing.T) {
	const dim = 700
	triples := [][3]float64{{0, 0.5, 1}, {0.1, 0.2, 0.3}, {0.123, 0.4, 0.987}, {0.01, 0.011, 0.5}, {0, 1.0 / 3, 1}}
	for _, bc := range brownianCases {
		t.Run(bc.name, func(t *testing.T) {
			b := bc.make(dim, 3)
			ac, ab, bcv := make([]float64, dim), make([]float64, dim), make([]float64, dim)
			for _, q := range triples {
				b.Increment(ac, q[0], q[2])
				b.Increment(ab, q[0], q[1])
				b.Increment(bcv, q[1], q[2])
				for i := range ac {
					if d := math.Abs(ac[i] - ab[i] - bcv[i]); d > 1e-12 {
						t.Fatalf("W(%g,%g) - W(%g,%g) - W(%g,%g) = %g at %d", q[0], q[2], q[0], q[1], q[1], q[2], d, i)
					}
				}
			}
			// Reversed queries are exact negatives.
			b.Increment(ab, 0.3, 0.1)
			b.Increment(bcv, 0.1, 0.3)
			for i := range ab {
				if ab[i] != -bcv[i] {
					t.Fatalf("W(0.3, 0.1) != -W(0.1, 0.3) at %d", i)
				}
			}
			b.Increment(ab, 0.4, 0.4)
			for i := range ab {
				if ab[i] != 0 {
					t.Fatal("W(s, s) != 0")
				}
			}
		})
	}
}

// queryAll answers the queries in the given order and returns the answers by query.
func queryAll(b Brownian, qs [][2]float64, order []int) [][]float64 {
	out := make([][]float64, len(qs))
	for _, k := range order {
		out[k] = make([]float64, b.Dim())
		b.Increment(out[k], qs[k][0], qs[k][1])
	}
	return out
}

func sameNumbers(t *testing.T, what string, a, b [][]float64) {
	t.Helper()
	for k := range a {
		for i := range a[k] {
			if a[k][i] != b[k][i] {
				t.Fatalf("%s: query %d component %d: %v != %v", what, k, i, a[k][i], b[k][i])
			}
		}
	}
}

func TestBrownianQueryOrder(t *testing.T) {
	// Large enough to run on several goroutines.
	dim := 3*chunkSize + 17
	var qs [][2]float64
	for k := 0; k < 40; k++ {
		qs = append(qs, [2]float64{float64(k) * 0.025, float64(k+1) * 0.025})
	}
	qs = append(qs, queryIntervals...)
	fwd := make([]int, len(qs))
	rev := make([]int, len(qs))
	for k := range qs {
		fwd[k] = k
		rev[k] = len(qs) - 1 - k
	}
	src := rng.New(5)
	rnd := append([]int(nil), fwd...)
	for k := len(rnd) - 1; k > 0; k-- {
		j := src.Intn(k + 1)
		rnd[k], rnd[j] = rnd[j], rnd[k]
	}
	for _, bc := range brownianCases {
		t.Run(bc.name, func(t *testing.T) {
			want := queryAll(bc.make(dim, 9), qs, fwd)
			sameNumbers(t, "reverse", want, queryAll(bc.make(dim, 9), qs, rev))
			sameNumbers(t, "random", want, queryAll(bc.make(dim, 9), qs, rnd))
			// The same object, queried again after other queries.
			b := bc.make(dim, 9)
			queryAll(b, qs, rnd)
			sameNumbers(t, "again", want, queryAll(b, qs, rev))
			// One goroutine.
			old := runtime.GOMAXPROCS(1)
			one := queryAll(bc.make(dim, 9), qs, fwd)
			runtime.GOMAXPROCS(old)
			sameNumbers(t, "GOMAXPROCS=1", want, one)
			// Several goroutines sharing one object.
			shared := bc.make(dim, 9)
			got := make([][]float64, len(qs))
			var wg sync.WaitGroup
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					for k := g; k < len(qs); k += 4 {
						v := make([]float64, dim)
						shared.Increment(v, qs[k][0], qs[k][1])
						got[k] = v
					}
				}(g)
			}
			wg.Wait()
			sameNumbers(t, "goroutines", want, got)
			// Another seed gives another path.
			other := queryAll(bc.make(dim, 10), qs[:1], fwd[:1])
			if other[0][0] == want[0][0] {
				t.Fatal("seeds 9 and 10 give the same W(0, 1)")
			}
		})
	}
}

func TestBrownianIntervalLevyArea(t *testing.T) {
	const dim = 4000
	b, err := NewBrownianInterval(0, 1, dim, 4, WithLevyArea(), WithDtHint(1.0/100))
	if err != nil {
		t.Fatal(err)
	}
	w, h := make([]float64, dim), make([]float64, dim)
	for _, q := range [][2]float64{{0, 1}, {0, 1.0 / 64}, {0.25, 0.75}, {0.1234, 0.4321}, {0.5, 0.51}, {0.12, 0.13}} {
		b.IncrementWithLevy(w, h, q[0], q[1])
		sd := math.Sqrt((q[1] - q[0]) / 12)
		z := make([]float64, dim)
		for i := range h {
			z[i] = h[i] / sd
		}
		if d := ksNormal(z); d > ksCritical(dim) {
			t.Errorf("H(%g, %g): KS statistic %.4f above %.4f", q[0], q[1], d, ksCritical(dim))
		}
		if r := corr(w, h); math.Abs(r) > 5/math.Sqrt(dim) {
			t.Errorf("corr(W, H) over (%g, %g) = %.4f", q[0], q[1], r)
		}
	}
	// H combines exactly: H(a, c) from (W, H) over (a, b) and (b, c).
	w1, h1, w2, h2 := make([]float64, dim), make([]float64, dim), make([]float64, dim), make([]float64, dim)
	for _, q := range [][3]float64{{0, 0.5, 1}, {0.1, 0.3, 0.35}, {0.123, 0.5, 0.9}} {
		b.IncrementWithLevy(w, h, q[0], q[2])
		b.IncrementWithLevy(w1, h1, q[0], q[1])
		b.IncrementWithLevy(w2, h2, q[1], q[2])
		l, r := q[1]-q[0], q[2]-q[1]
		for i := range h {
			hc := (r*(h2[i]+0.5*w1[i]) + l*(h1[i]-0.5*w2[i])) / (l + r)
			if d := math.Abs(hc - h[i]); d > 1e-11 {
				t.Fatalf("H(%g, %g) differs from its parts by %g", q[0], q[2], d)
			}
		}
	}
	// H is the Levy area of the path: compare with a trapezoidal integral on a fine grid.
	const n = 800 // dyadic inside the cells of 1/100
	b.IncrementWithLevy(w, h, 0, 1)
	path := make([]float64, dim)
	integral := make([]float64, dim)
	dw := make([]float64, dim)
	for k := 0; k < n; k++ {
		b.Increment(dw, float64(k)/n, float64(k+1)/n)
		for i := range path {
			integral[i] += (path[i] + 0.5*dw[i]) / n
			path[i] += dw[i]
		}
	}
	var rms float64
	for i := range h {
		d := integral[i] - 0.5*path[i] - h[i]
		rms += d * d
	}
	rms = math.Sqrt(rms / dim)
	// The trapezoidal error has standard deviation sqrt(1/(12 n^2)) (~3e-4).
	t.Logf("H vs the fine-grid Levy area: %.3g (rms)", rms)
	if rms > 5e-3 {
		t.Fatalf("H differs from the fine-grid Levy area by %g (rms)", rms)
	}
	// Reversed: W changes sign, H does not.
	b.IncrementWithLevy(w1, h1, 0.2, 0.7)
	b.IncrementWithLevy(w2, h2, 0.7, 0.2)
	for i := range w1 {
		if w1[i] != -w2[i] || h1[i] != h2[i] {
			t.Fatal("reversed query: want -W and the same H")
		}
	}
}

// TestBrownianTreeResolution checks that the tree's points agree with a much finer tree
// of the same seed to within the tolerance.
func TestBrownianTreeResolution(t *testing.T) {
	const dim = 500
	coarse, _ := NewBrownianTree(0, 1, dim, 6, 1e-3)
	fine, _ := NewBrownianTree(0, 1, dim, 6, 1e-9)
	a, b := make([]float64, dim), make([]float64, dim)
	for _, q := range queryIntervals {
		coarse.Increment(a, q[0], q[1])
		fine.Increment(b, q[0], q[1])
		var rms float64
		for i := range a {
			rms += (a[i] - b[i]) * (a[i] - b[i])
		}
		rms = math.Sqrt(rms / dim)
		// Each end point is off by a bridge of at most tol: sd <= sqrt(tol)/2.
		if rms > 2*math.Sqrt(1e-3) {
			t.Errorf("W(%g, %g): tol 1e-3 vs 1e-9 differ by %g (rms)", q[0], q[1], rms)
		}
	}
}

func TestBrownianBadInput(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name string
		err  func() error
	}{
		{"t0 = t1", func() error { _, err := NewBrownianInterval(1, 1, 2, 0); return err }},
		{"t0 > t1", func() error { _, err := NewBrownianTree(2, 1, 2, 0, 1e-3); return err }},
		{"NaN t0", func() error { _, err := NewBrownianInterval(nan, 1, 2, 0); return err }},
		{"Inf t1", func() error { _, err := NewBrownianTree(0, math.Inf(1), 2, 0, 1e-3); return err }},
		{"dim 0", func() error { _, err := NewBrownianInterval(0, 1, 0, 0); return err }},
		{"dim < 0", func() error { _, err := NewBrownianTree(0, 1, -1, 0, 1e-3); return err }},
		{"tol 0", func() error { _, err := NewBrownianTree(0, 1, 1, 0, 0); return err }},
		{"tol NaN", func() error { _, err := NewBrownianTree(0, 1, 1, 0, nan); return err }},
		{"dt < 0", func() error { _, err := NewBrownianInterval(0, 1, 1, 0, WithDtHint(-1)); return err }},
		{"dt NaN", func() error { _, err := NewBrownianInterval(0, 1, 1, 0, WithDtHint(nan)); return err }},
		{"resolution < 0", func() error { _, err := NewBrownianInterval(0, 1, 1, 0, WithResolution(-1)); return err }},
		{"cache < 0", func() error { _, err := NewBrownianInterval(0, 1, 1, 0, WithCacheSize(-1)); return err }},
	} {
		if err := c.err(); !errors.Is(err, ErrBrownian) {
			t.Errorf("%s: got %v, want ErrBrownian", c.name, err)
		}
	}
	bi, _ := NewBrownianInterval(0, 1, 3, 0)
	tr, _ := NewBrownianTree(0, 1, 3, 0, 1e-4)
	for _, b := range []Brownian{bi, tr} {
		dst := make([]float64, 3)
		for _, q := range [][2]float64{{-0.5, 0.5}, {0, 1.5}, {nan, 0.5}, {0.5, nan}} {
			mustPanic(t, fmt.Sprintf("%T.Increment(%g, %g)", b, q[0], q[1]), "outside", func() { b.Increment(dst, q[0], q[1]) })
		}
		mustPanic(t, fmt.Sprintf("%T.Increment with a short dst", b), "length", func() { b.Increment(dst[:2], 0, 1) })
		// Within the slack, times are clamped.
		want := make([]float64, 3)
		b.Increment(want, 0, 1)
		b.Increment(dst, -1e-14, 1+1e-14)
		for i := range dst {
			if dst[i] != want[i] {
				t.Fatalf("%T: times within rounding of the ends are not clamped", b)
			}
		}
	}
	mustPanic(t, "IncrementWithLevy without Levy area", "WithLevyArea", func() {
		bi.IncrementWithLevy(make([]float64, 3), make([]float64, 3), 0, 1)
	})
}

func mustPanic(t *testing.T, what, msg string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		s, ok := r.(string)
		if !ok || !strings.HasPrefix(s, "sdeop: ") || !strings.Contains(s, msg) {
			t.Errorf("%s: recovered %v, want a panic \"sdeop: ...%s...\"", what, r, msg)
		}
	}()
	f()
}

// TestBrownianIntervalDtHintGrid checks that queries on the hint grid hit tree nodes:
// a forward and a reverse sweep compute about one node pair per query.
func TestBrownianIntervalDtHintGrid(t *testing.T) {
	const n = 1000
	b, _ := NewBrownianInterval(0, 1, 4, 1, WithDtHint(1.0/n))
	dw := make([]float64, 4)
	splits := 0
	count := func() {
		for _, op := range b.ops {
			if op.kind == opSplit {
				splits++
			}
		}
	}
	for k := 0; k < n; k++ {
		b.Increment(dw, float64(k)/n, float64(k+1)/n)
		count()
	}
	if splits > n {
		t.Errorf("forward sweep: %d splits for %d queries", splits, n)
	}
	splits = 0
	for k := n - 1; k >= 0; k-- {
		b.Increment(dw, float64(k)/n, float64(k+1)/n)
		count()
	}
	if splits > n {
		t.Errorf("reverse sweep: %d splits for %d queries", splits, n)
	}
}
