package sdeop

import (
	"math"
	"testing"

	"github.com/continuum-ml/continuum/internal/rng"
)

// S1 (docs/REFERENCE-CONFIGURATIONS.md): 256 x 128 Brownian motions on [0, 1], 1000 consecutive
// increments W((k+1)/1000) - W(k/1000), then the same 1000 in reverse order, on one
// object built beforehand. One benchmark op is one pass of 1000 queries; ms/1000q
// reports its time. Reference (torchsde BrownianInterval told dt = 1e-3, 2-core
// machine): 1263 ms in order, 1409 ms reversed.
const (
	s1Dim     = 256 * 128
	s1Queries = 1000
)

func s1Interval(b *testing.B) *BrownianInterval {
	bm, err := NewBrownianInterval(0, 1, s1Dim, 2024, WithDtHint(1.0/s1Queries))
	if err != nil {
		b.Fatal(err)
	}
	return bm
}

// s1Pass queries the 1000 increments in order or reversed; with check it verifies that
// they add up to W(0, 1) (so a fast wrong answer cannot pass).
func s1Pass(b *testing.B, bm Brownian, dw, sum []float64, reverse, check bool) {
	if check {
		clear(sum)
	}
	for q := 0; q < s1Queries; q++ {
		k := q
		if reverse {
			k = s1Queries - 1 - q
		}
		bm.Increment(dw, float64(k)/s1Queries, float64(k+1)/s1Queries)
		if check {
			for i := range sum {
				sum[i] += dw[i]
			}
		}
	}
	if check {
		bm.Increment(dw, 0, 1)
		for i := range sum {
			if math.Abs(sum[i]-dw[i]) > 1e-9 {
				b.Fatalf("component %d: increments sum to %v, W(0, 1) = %v", i, sum[i], dw[i])
			}
		}
	}
}

func reportS1(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e6/float64(b.N), "ms/1000q")
}

func BenchmarkS1BrownianIntervalForward(b *testing.B) {
	dw, sum := make([]float64, s1Dim), make([]float64, s1Dim)
	s1Pass(b, s1Interval(b), dw, sum, false, true)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bm := s1Interval(b)
		b.StartTimer()
		s1Pass(b, bm, dw, sum, false, false)
	}
	reportS1(b)
}

func BenchmarkS1BrownianIntervalReverse(b *testing.B) {
	dw, sum := make([]float64, s1Dim), make([]float64, s1Dim)
	bm := s1Interval(b)
	s1Pass(b, bm, dw, sum, false, false)
	s1Pass(b, bm, dw, sum, true, true)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bm := s1Interval(b)
		s1Pass(b, bm, dw, sum, false, false)
		b.StartTimer()
		s1Pass(b, bm, dw, sum, true, false)
	}
	reportS1(b)
}

// BenchmarkS1BrownianIntervalLevy is S1 in order with the space-time Levy area (two
// normals per component per node): what SRK pays.
func BenchmarkS1BrownianIntervalLevy(b *testing.B) {
	dw, dh := make([]float64, s1Dim), make([]float64, s1Dim)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bm, err := NewBrownianInterval(0, 1, s1Dim, 2024, WithDtHint(1.0/s1Queries), WithLevyArea())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for k := 0; k < s1Queries; k++ {
			bm.IncrementWithLevy(dw, dh, float64(k)/s1Queries, float64(k+1)/s1Queries)
		}
	}
	reportS1(b)
}

// BenchmarkS1NormalBaseline draws the same number of standard normals (1000 x 32768) on
// one goroutine: the cost S1 is measured against (target: within 2x).
func BenchmarkS1NormalBaseline(b *testing.B) {
	dw := make([]float64, s1Dim)
	s := rng.New(1)
	for i := 0; i < b.N; i++ {
		for q := 0; q < s1Queries; q++ {
			s.FillNormal(dw)
		}
	}
	reportS1(b)
}

// BenchmarkS1NormalBaselineParallel draws them on GOMAXPROCS goroutines, chunked as the
// Brownian Interval does.
func BenchmarkS1NormalBaselineParallel(b *testing.B) {
	dw := make([]float64, s1Dim)
	w := &normalWork{dst: dw}
	var r runner
	for i := 0; i < b.N; i++ {
		for q := 0; q < s1Queries; q++ {
			w.key = uint64(q)
			r.run(w, s1Dim, s1Dim)
		}
	}
	reportS1(b)
}

type normalWork struct {
	dst []float64
	key uint64
}

func (w *normalWork) runChunks(c0, c1 int, _ []float64) {
	for c := c0; c < c1; c++ {
		lo, hi := chunkRange(c, len(w.dst))
		s := chunkStream(w.key, c)
		s.FillNormal(w.dst[lo:hi])
	}
}

// BenchmarkS1BrownianTree is S1 (in order) on a virtual Brownian tree with tol 1e-5
// (torchsde: 8447 ms).
func BenchmarkS1BrownianTree(b *testing.B) {
	dw, sum := make([]float64, s1Dim), make([]float64, s1Dim)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bm, err := NewBrownianTree(0, 1, s1Dim, 2024, 1e-5)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		s1Pass(b, bm, dw, sum, false, i == 0)
	}
	reportS1(b)
}

// BenchmarkBrownianIntervalSmallDim is the per-query overhead: 4 components, 10^4 steps.
func BenchmarkBrownianIntervalSmallDim(b *testing.B) {
	const n = 10000
	bm, _ := NewBrownianInterval(0, 1, 4, 1, WithDtHint(1.0/n))
	dw := make([]float64, 4)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % n
		bm.Increment(dw, float64(k)/n, float64(k+1)/n)
	}
}
