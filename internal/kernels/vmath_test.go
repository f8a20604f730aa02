package kernels

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

const refPrec = 160

func bf(x float64) *big.Float { return new(big.Float).SetPrec(refPrec).SetFloat64(x) }

// bigExp returns e^x to about refPrec bits: the Taylor series of x/2^s, squared s times.
func bigExp(x float64) *big.Float {
	s := 0
	for a := math.Abs(x); a > 1.0/64; a /= 2 {
		s++
	}
	z := new(big.Float).SetPrec(refPrec).SetMantExp(bf(x), -s)
	sum := bf(1)
	term := bf(1)
	for n := 1; n < 40; n++ {
		term.Mul(term, z)
		term.Quo(term, bf(float64(n)))
		sum.Add(sum, term)
	}
	for ; s > 0; s-- {
		sum.Mul(sum, sum)
	}
	return sum
}

// bigLog returns log(y) for y > 0 by Newton's method on e^z = y, started from math.Log.
func bigLog(y *big.Float) *big.Float {
	f, _ := y.Float64()
	z := bf(math.Log(f))
	for i := 0; i < 3; i++ {
		zf, _ := z.Float64()
		e := bigExp(-zf) // e^-z with z rounded: z += y·e^-zf - 1 + (zf - z) is Newton at zf
		t := new(big.Float).SetPrec(refPrec).Mul(y, e)
		t.Sub(t, bf(1))
		z = t.Add(t, bf(zf))
	}
	return z
}

// The references, to refPrec bits.
func refExp(x float64) *big.Float {
	switch {
	case x > 710:
		return bf(math.Inf(1))
	case x < -746:
		return bf(0)
	}
	return bigExp(x)
}

func refTanh(x float64) *big.Float {
	if math.Abs(x) < 1e-30 {
		return bf(x)
	}
	if math.Abs(x) > 40 { // rounds to ±1
		return bf(math.Copysign(1, x))
	}
	e := bigExp(2 * x)
	num := new(big.Float).SetPrec(refPrec).Sub(e, bf(1))
	den := new(big.Float).SetPrec(refPrec).Add(e, bf(1))
	return num.Quo(num, den)
}

func refSigmoid(x float64) *big.Float {
	switch {
	case x > 800:
		return bf(1)
	case x < -800:
		return bf(0)
	}
	d := new(big.Float).SetPrec(refPrec).Add(bf(1), bigExp(-x))
	return new(big.Float).SetPrec(refPrec).Quo(bf(1), d)
}

func refSoftplus(x float64) *big.Float {
	if x > 20 {
		return bf(x)
	}
	if x < -800 {
		return bf(0)
	}
	e := bigExp(x)
	if x < -40 { // log(1 + e) = e - e²/2 to far beyond double precision
		h := new(big.Float).SetPrec(refPrec).Mul(e, e)
		h.Quo(h, bf(2))
		return e.Sub(e, h)
	}
	return bigLog(new(big.Float).SetPrec(refPrec).Add(bf(1), e))
}

// ulps returns |got - ref| in units of the last place of ref rounded to float64.
func ulps(got float64, ref *big.Float) float64 {
	r, _ := ref.Float64()
	if got == r {
		return 0
	}
	if math.IsInf(r, 0) || math.IsInf(got, 0) || got != got {
		return math.Inf(1)
	}
	a := math.Abs(r)
	u := a - math.Nextafter(a, 0)
	if a == 0 {
		u = math.SmallestNonzeroFloat64
	}
	d := new(big.Float).SetPrec(refPrec).Sub(bf(got), ref)
	df, _ := d.Float64()
	return math.Abs(df) / u
}

var vfuncs = []struct {
	name   string
	vec    func(y, x []float64)
	scalar func(float64) float64
	exact  func(float64) float64 // package math's (or the defined) value, for special cases
	ref    func(float64) *big.Float
	lo, hi float64 // the dense grid
	maxUlp float64
}{
	{"Exp", Exp, exp1, math.Exp, refExp, -746, 710, 1.5},
	{"Tanh", Tanh, tanh1, math.Tanh, refTanh, -25, 25, 3},
	{"Sigmoid", Sigmoid, sigmoid1, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, refSigmoid, -746, 746, 2.5},
	{"Softplus", Softplus, softplus1, func(x float64) float64 {
		if x > 20 {
			return x
		}
		return math.Log1p(math.Exp(x))
	}, refSoftplus, -746, 30, 2.5},
}

// specials are the arguments every function must get exactly (or to within maxUlp where
// the value is not a special one).
var specials = []float64{
	0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(),
	math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, 0x1p-1022, -0x1p-1022, 1e-300, -1e-300,
	1e-20, -1e-20, 1e-9, -1e-9, 1e300, -1e300, math.MaxFloat64, -math.MaxFloat64,
	20, -20, 19.999999999999996, 20.000000000000004, 708, -708, 707.9999999999999, -707.9999999999999,
	709.78, 709.8, -709.8, -745, -745.2, -746, 0.5, -0.5, math.Ln2, -math.Ln2, 0.3465735902799726,
}

// grid returns n points spread over [lo, hi] with random jitter, and more near 0.
func grid(r *rand.Rand, lo, hi float64, n int) []float64 {
	x := make([]float64, 0, 2*n)
	for i := 0; i < n; i++ {
		x = append(x, lo+(hi-lo)*(float64(i)+r.Float64())/float64(n))
	}
	for i := 0; i < n/2; i++ {
		x = append(x, (2*r.Float64()-1)*math.Ldexp(1, -r.IntN(60)))
	}
	for i := 0; i < n/2; i++ {
		x = append(x, 4*(2*r.Float64()-1))
	}
	return x
}

func TestVecAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	n := 10000
	if testing.Short() {
		n = 1000
	}
	for _, f := range vfuncs {
		x := append(grid(r, f.lo, f.hi, n), specials...)
		refs := make([]*big.Float, len(x))
		for i, v := range x {
			if !(math.IsNaN(v) || math.IsInf(v, 0) || v == 0) {
				refs[i] = f.ref(v)
			}
		}
		for _, path := range paths() {
			withPath(t, path, func() {
				y := make([]float64, len(x))
				f.vec(y, x)
				worst, at := 0.0, 0.0
				for i, v := range x {
					want := f.exact(v)
					if math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
						if math.Float64bits(y[i]) != math.Float64bits(want) && !(math.IsNaN(want) && math.IsNaN(y[i])) {
							t.Errorf("%s %s(%v) = %v, want %v", path, f.name, v, y[i], want)
						}
						continue
					}
					if s := f.scalar(v); math.Float64bits(s) != math.Float64bits(y[i]) {
						t.Errorf("%s %s(%v) = %v, scalar %v", path, f.name, v, y[i], s)
					}
					if e := ulps(y[i], refs[i]); e > worst {
						worst, at = e, v
					}
				}
				if worst > f.maxUlp {
					t.Errorf("%s %s: max error %.3g ulp at %v, want at most %v", path, f.name, worst, at, f.maxUlp)
				}
				t.Logf("%s %s: max error %.3g ulp (at %v) over %d arguments", path, f.name, worst, at, len(x))
			})
		}
	}
}

// TestVecLengths checks the tail lengths and several blocks of 64, in place and not, and
// the arguments that the vector code hands to the scalar functions in the middle of a
// slice.
func TestVecLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, f := range vfuncs {
		for _, path := range paths() {
			withPath(t, path, func() {
				for _, n := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 19, 63, 64, 65, 127, 200, 301} {
					x := make([]float64, n)
					for i := range x {
						x[i] = 30 * (2*r.Float64() - 1)
						if r.IntN(6) == 0 {
							x[i] = specials[r.IntN(len(specials))]
						}
					}
					y := make([]float64, n+1)
					y[n] = 42
					f.vec(y[:n], x)
					if y[n] != 42 {
						t.Fatalf("%s %s: wrote past the end", path, f.name)
					}
					z := append([]float64(nil), x...)
					f.vec(z, z)
					for i, v := range x {
						want := f.scalar(v)
						if !same(y[i], want) || !same(z[i], want) {
							t.Fatalf("%s %s n=%d: f(%v) = %v (in place %v), want %v", path, f.name, n, v, y[i], z[i], want)
						}
					}
				}
			})
		}
	}
}

func same(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (a != a && b != b)
}

func TestVecPanicsAndAllocs(t *testing.T) {
	defer func() {
		if msg, _ := recover().(string); msg != "kernels: slices of different lengths" {
			t.Errorf("recovered %q", msg)
		}
	}()
	x := make([]float64, 37)
	y := make([]float64, 37)
	for _, f := range vfuncs {
		if n := testing.AllocsPerRun(10, func() { f.vec(y, x) }); n != 0 {
			t.Errorf("%s: %v allocations", f.name, n)
		}
	}
	Tanh(y[:3], x)
}

// BenchmarkVec measures each function on 2048 arguments in [-5, 5] (the hidden layer of
// N1: 64 rows of 32), against package math.
func BenchmarkVec(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	x := make([]float64, 2048)
	for i := range x {
		x[i] = 10*r.Float64() - 5
	}
	y := make([]float64, len(x))
	for _, f := range vfuncs {
		for _, path := range append(paths(), "math") {
			b.Run(fmt.Sprintf("%s/%s", f.name, path), func(b *testing.B) {
				if path == "math" {
					for i := 0; i < b.N; i++ {
						for j, v := range x {
							y[j] = f.exact(v)
						}
					}
				} else {
					withPath(b, path, func() {
						for i := 0; i < b.N; i++ {
							f.vec(y, x)
						}
					})
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/elem")
			})
		}
	}
}
