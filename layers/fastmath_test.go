package layers

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

const refPrec = 160

// bigExp returns e^x to refPrec bits: the Taylor series of x/2^s, squared s times.
func bigExp(x float64) *big.Float {
	s := 0
	for a := math.Abs(x); a > 1.0/64; a /= 2 {
		s++
	}
	z := new(big.Float).SetPrec(refPrec).SetMantExp(big.NewFloat(x).SetPrec(refPrec), -s)
	sum := new(big.Float).SetPrec(refPrec).SetInt64(1)
	term := new(big.Float).SetPrec(refPrec).SetInt64(1)
	for n := 1; n < 60; n++ {
		term.Mul(term, z)
		term.Quo(term, new(big.Float).SetPrec(refPrec).SetInt64(int64(n)))
		sum.Add(sum, term)
	}
	for ; s > 0; s-- {
		sum.Mul(sum, sum)
	}
	return sum
}

func bf(x float64) *big.Float { return new(big.Float).SetPrec(refPrec).SetFloat64(x) }

// refTanh is tanh(x) = (e^2x - 1)/(e^2x + 1) in refPrec bits, rounded to float64. For tiny x
// the series x - x^3/3 is exact to double precision.
func refTanh(x float64) float64 {
	if math.Abs(x) < 1e-9 {
		return x - x*x*x/3
	}
	if math.Abs(x) > 40 {
		return math.Copysign(1, x)
	}
	e := bigExp(2 * x)
	num := new(big.Float).SetPrec(refPrec).Sub(e, bf(1))
	den := new(big.Float).SetPrec(refPrec).Add(e, bf(1))
	v, _ := num.Quo(num, den).Float64()
	return v
}

// refExpm1 is e^x - 1 rounded to float64.
func refExpm1(x float64) float64 {
	if math.Abs(x) < 1e-9 {
		return x + x*x/2
	}
	v, _ := new(big.Float).SetPrec(refPrec).Sub(bigExp(x), bf(1)).Float64()
	return v
}

// refSoftplus is log(1 + e^x) rounded to float64, by Newton's method on e^y = 1 + e^x
// started from the float64 answer.
func refSoftplus(x float64) float64 {
	if x > 20 {
		return x
	}
	target := new(big.Float).SetPrec(refPrec).Add(bf(1), bigExp(x))
	y := new(big.Float).SetPrec(refPrec).SetFloat64(math.Log1p(math.Exp(x)))
	for i := 0; i < 4; i++ {
		yf, _ := y.Float64()
		// y += target*e^-y - 1
		t := new(big.Float).SetPrec(refPrec).Mul(target, bigExp(-yf))
		// correct for y not being exactly yf: e^-y = e^-yf * e^(yf-y) ~ e^-yf (1 + yf - y)
		d := new(big.Float).SetPrec(refPrec).Sub(bf(yf), y)
		d.Add(d, bf(1))
		t.Mul(t, d)
		t.Sub(t, bf(1))
		y.Add(y, t)
	}
	v, _ := y.Float64()
	return v
}

// ulps is the distance of got from want in units of the last place of want.
func ulps(got, want float64) float64 {
	if got == want {
		return 0
	}
	if math.IsNaN(got) || math.IsNaN(want) || math.IsInf(want, 0) {
		return math.Inf(1)
	}
	u := math.Nextafter(math.Abs(want), math.Inf(1)) - math.Abs(want)
	return math.Abs(got-want) / u
}

// grid is a dense grid over [-lim, lim] plus log-spaced magnitudes down to the subnormals
// and random points.
func grid(lim float64, n int) []float64 {
	step := 0.05
	if testing.Short() {
		n /= 10
		step = 0.5
	}
	var xs []float64
	for x := -lim; x <= lim; x += lim / float64(n) {
		xs = append(xs, x)
	}
	for e := -320.0; e < math.Log10(lim); e += step {
		v := math.Pow(10, e)
		xs = append(xs, v, -v)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		xs = append(xs, (2*rng.Float64()-1)*lim)
	}
	return xs
}

func TestFastExp(t *testing.T) {
	worst, worstM1 := 0.0, 0.0
	for _, x := range grid(700, 20000) {
		e := math.Exp(x)
		if d := ulps(fexp(x), e); d > 2 && e > 1e-300 {
			t.Errorf("fexp(%g) = %g, math.Exp = %g (%g ulp)", x, fexp(x), e, d)
		}
		if math.Abs(x) < 40 {
			ref, _ := bigExp(x).Float64()
			worst = math.Max(worst, ulps(fexp(x), ref))
			worstM1 = math.Max(worstM1, ulps(fexpm1(x), refExpm1(x)))
		}
	}
	t.Logf("fexp: worst %.2f ulp; fexpm1: worst %.2f ulp (|x| < 40)", worst, worstM1)
	if worst > 2 || worstM1 > 3 {
		t.Errorf("fexp %.2f ulp, fexpm1 %.2f ulp: too large", worst, worstM1)
	}
	for _, x := range []float64{math.Inf(1), math.Inf(-1), 710, -746, 709.7, -708.5, 0} {
		if got, want := fexp(x), math.Exp(x); got != want {
			t.Errorf("fexp(%g) = %g, want %g", x, got, want)
		}
		if got, want := fexpm1(x), math.Expm1(x); got != want {
			t.Errorf("fexpm1(%g) = %g, want %g", x, got, want)
		}
	}
	if !math.IsNaN(fexp(math.NaN())) || !math.IsNaN(fexpm1(math.NaN())) {
		t.Error("NaN not propagated")
	}
}

func TestFastSigmoid(t *testing.T) {
	worst := 0.0
	for _, x := range grid(40, 20000) {
		want := 1 / (1 + (refExpm1(-x) + 1))
		if math.Abs(x) > 30 {
			want = 1 / (1 + math.Exp(-x))
		}
		worst = math.Max(worst, ulps(fsigmoid(x), want))
	}
	t.Logf("fsigmoid: worst error %.2f ulp", worst)
	if worst > 3 {
		t.Errorf("fsigmoid worst error %.2f ulp", worst)
	}
	for _, c := range []struct{ x, want float64 }{{math.Inf(1), 1}, {math.Inf(-1), 0}, {0, 0.5}, {-800, 0}} {
		if got := fsigmoid(c.x); got != c.want {
			t.Errorf("fsigmoid(%g) = %g, want %g", c.x, got, c.want)
		}
	}
}

var sink float64

func benchUnary(b *testing.B, f func(float64) float64) {
	xs := make([]float64, 2048)
	for i := range xs {
		xs[i] = 3 * math.Sin(0.7*float64(i))
	}
	ys := make([]float64, len(xs))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, x := range xs {
			ys[j] = f(x)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/elem")
	sink = ys[7]
}

func BenchmarkMathTanh(b *testing.B) { benchUnary(b, math.Tanh) }
func BenchmarkMathExp(b *testing.B)  { benchUnary(b, math.Exp) }
func BenchmarkFastExp(b *testing.B)  { benchUnary(b, fexp) }
func BenchmarkMathSoftplus(b *testing.B) {
	benchUnary(b, func(x float64) float64 { return math.Log1p(math.Exp(x)) })
}

func BenchmarkExpLoop(b *testing.B) {
	xs := make([]float64, 2048)
	for i := range xs {
		xs[i] = 3 * math.Sin(0.7*float64(i))
	}
	ys := make([]float64, len(xs))
	for i := 0; i < b.N; i++ {
		for j, x := range xs {
			ys[j] = expCore(x)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/elem")
}
