package rng

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

var _ rand.Source = (*Source)(nil)

// ksStatistic is the one-sample Kolmogorov-Smirnov statistic of x against cdf; x is sorted.
func ksStatistic(x []float64, cdf func(float64) float64) float64 {
	sort.Float64s(x)
	n := float64(len(x))
	d := 0.0
	for i, v := range x {
		c := cdf(v)
		d = math.Max(d, math.Max(c-float64(i)/n, float64(i+1)/n-c))
	}
	return d
}

// ksCritical is the asymptotic critical value of the KS statistic at level alpha = 0.001.
func ksCritical(n int) float64 { return 1.949 / math.Sqrt(float64(n)) }

func TestZigguratTables(t *testing.T) {
	f := func(x float64) float64 { return math.Exp(-0.5 * x * x) }
	// The top layer closes at x = 0: its area V reaches f = 1.
	if got := zigX[255]*(1-f(zigX[255])) - zigV; math.Abs(got) > 1e-9 {
		t.Errorf("top layer area off by %g", got)
	}
	for i := 1; i < 256; i++ {
		if !(zigX[i] > zigX[i+1]) {
			t.Fatalf("zigX not decreasing at %d", i)
		}
		if area := zigX[i] * (zigF[i+1] - zigF[i]); i < 255 && math.Abs(area-zigV) > 1e-12 {
			t.Fatalf("layer %d area %g, want %g", i, area, zigV)
		}
	}
}

func TestNormalKS(t *testing.T) {
	for _, seed := range []uint64{0, 1, 42, 1 << 40} {
		n := 100000
		if testing.Short() {
			n = 20000
		}
		s := New(seed)
		x := make([]float64, n)
		s.FillNormal(x)
		var m, v float64
		for _, xi := range x {
			m += xi
			v += xi * xi
		}
		m /= float64(n)
		v = v/float64(n) - m*m
		if math.Abs(m) > 5/math.Sqrt(float64(n)) || math.Abs(v-1) > 5*math.Sqrt(2/float64(n)) {
			t.Errorf("seed %d: mean %g variance %g", seed, m, v)
		}
		d := ksStatistic(x, distuv.UnitNormal.CDF)
		if d > ksCritical(n) {
			t.Errorf("seed %d: KS statistic %g above critical %g", seed, d, ksCritical(n))
		}
	}
}

// TestNormalTail checks the tail (and so the slow paths) against the normal's mass.
func TestNormalTail(t *testing.T) {
	n := 2000000
	if testing.Short() {
		n = 400000
	}
	s := New(7)
	var tail []float64
	for i := 0; i < n; i++ {
		if x := s.NormFloat64(); math.Abs(x) > 3 {
			tail = append(tail, math.Abs(x))
		}
	}
	p := 2 * distuv.UnitNormal.CDF(-3)
	want := p * float64(n)
	if got := float64(len(tail)); math.Abs(got-want) > 5*math.Sqrt(want) {
		t.Fatalf("%v variates beyond 3, want %v", got, want)
	}
	// The conditional distribution of |x| beyond 3.
	cdf := func(x float64) float64 { return 1 - 2*distuv.UnitNormal.CDF(-x)/p }
	if d := ksStatistic(tail, cdf); d > ksCritical(len(tail)) {
		t.Fatalf("tail KS statistic %g above %g", d, ksCritical(len(tail)))
	}
}

func TestUniformKS(t *testing.T) {
	s := New(3)
	x := make([]float64, 50000)
	s.FillUniform(x)
	if d := ksStatistic(x, func(v float64) float64 { return v }); d > ksCritical(len(x)) {
		t.Fatalf("uniform KS statistic %g", d)
	}
}

func TestDeterminism(t *testing.T) {
	a, b := New(11), New(11)
	x := make([]float64, 1000)
	a.FillNormal(x)
	for i := range x {
		if y := b.NormFloat64(); y != x[i] {
			t.Fatalf("FillNormal and NormFloat64 differ at %d: %v %v", i, x[i], y)
		}
	}
	if a.Uint64() != b.Uint64() {
		t.Fatal("streams out of step after the same draws")
	}
	c := New(11)
	c.Skip(5)
	d := New(11)
	for i := 0; i < 5; i++ {
		d.Uint64()
	}
	if c.Uint64() != d.Uint64() {
		t.Fatal("Skip disagrees with drawing")
	}
}

// TestDerivedStreamsUncorrelated checks that neighbouring keys give uncorrelated streams.
func TestDerivedStreamsUncorrelated(t *testing.T) {
	const n = 20000
	for _, keys := range [][2]uint64{{0, 1}, {1, 2}, {5, 5 + Golden}} {
		a, b := NewStream(1, keys[0]), NewStream(1, keys[1])
		var sab, saa, sbb float64
		for i := 0; i < n; i++ {
			x, y := a.NormFloat64(), b.NormFloat64()
			sab += x * y
			saa += x * x
			sbb += y * y
		}
		if r := sab / math.Sqrt(saa*sbb); math.Abs(r) > 5/math.Sqrt(n) {
			t.Errorf("keys %v: correlation %g", keys, r)
		}
	}
	if Derive(1, 2) == Derive(2, 1) || Derive(0, 0) == Derive(0, 1) {
		t.Fatal("Derive collides on swapped or neighbouring inputs")
	}
}

func TestIntn(t *testing.T) {
	s := New(9)
	var count [7]int
	for i := 0; i < 70000; i++ {
		count[s.Intn(7)]++
	}
	for k, c := range count {
		if math.Abs(float64(c)-10000) > 500 {
			t.Errorf("Intn(7) gave %d %d times", k, c)
		}
	}
}

func BenchmarkFillNormal(b *testing.B) {
	s := New(1)
	x := make([]float64, 4096)
	b.SetBytes(8 * 4096)
	for i := 0; i < b.N; i++ {
		s.FillNormal(x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/normal")
}

func BenchmarkNormFloat64(b *testing.B) {
	s := New(1)
	var acc float64
	for i := 0; i < b.N; i++ {
		acc += s.NormFloat64()
	}
	_ = acc
}

func BenchmarkMathRandNorm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var acc float64
	for i := 0; i < b.N; i++ {
		acc += r.NormFloat64()
	}
	_ = acc
}

func BenchmarkUint64(b *testing.B) {
	s := New(1)
	var acc uint64
	for i := 0; i < b.N; i++ {
		acc += s.Uint64()
	}
	_ = acc
}
