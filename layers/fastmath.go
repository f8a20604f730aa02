package layers

import (
	"math"
	"math/big"
)

// Fast scalar elementary functions for the activations' derivatives (the activations
// themselves run the vector kernels of internal/kernels).
//
// math.Exp and math.Expm1 cost 7-10 ns an element. The functions here share one
// table-driven exponential (Tang's method, as in musl and ARM's optimized-routines):
// x = (k/N) ln2 + r with N = 128 and |r| <= ln2/256, so that
//
//	exp(x) = 2^(k/N) * exp(r),
//
// with 2^(j/N) tabulated as a double plus a relative correction and exp(r) - 1 a degree-6
// Taylor polynomial. The same pieces give exp(x) - 1 without cancellation:
//
//	expm1(x) = (s - 1) + s*(p + c),  s = 2^(k/N) rounded, c its relative rounding error,
//	                                  p = exp(r) - 1,
//
// where s - 1 is exact whenever s lies in [1/2, 2] (Sterbenz) and there is nothing to
// cancel otherwise; both are within 1 ulp over the tested grids. Arguments outside
// |x| < 708 (overflow, underflow to subnormals, infinities, NaN) take a rarely used slow
// path through package math, so every function is exact in its special cases.

const (
	expBits  = 7
	expN     = 1 << expBits
	expShift = 0x1.8p52 // adding it rounds to an integer held in the low mantissa bits
	invLn2N  = expN / math.Ln2
	ln2NHi   = 6.93147180369123816490e-01 / expN // fdlibm's split of ln 2; k*ln2NHi is exact
	ln2NLo   = 1.90821492927058770002e-10 / expN
	fastMax  = 708 // |x| below which the fast exponential needs no range checks
)

// expEntry holds 2^(j/N) as the bits of its double rounding hi and the relative
// correction rel = (2^(j/N) - hi) / hi.
type expEntry struct {
	hi  uint64
	rel float64
}

var (
	expTab  [expN]expEntry
	shiftHi = math.Float64bits(expShift)
)

func init() {
	// 2^(1/N) to 256 bits by repeated square roots, then its powers.
	const prec = 256
	root := new(big.Float).SetPrec(prec).SetInt64(2)
	for i := 0; i < expBits; i++ {
		root.Sqrt(root)
	}
	p := new(big.Float).SetPrec(prec).SetInt64(1)
	for j := 0; j < expN; j++ {
		hi, _ := p.Float64()
		lo := new(big.Float).SetPrec(prec).Sub(p, new(big.Float).SetPrec(prec).SetFloat64(hi))
		l, _ := lo.Float64()
		expTab[j] = expEntry{hi: math.Float64bits(hi), rel: l / hi}
		p.Mul(p, root)
	}
}

// expm1Core returns exp(x) - 1 for |x| < fastMax.
func expm1Core(x float64) float64 {
	kd := x*invLn2N + expShift
	ki := int64(math.Float64bits(kd) - shiftHi)
	kd -= expShift
	r := x - kd*ln2NHi - kd*ln2NLo
	e := &expTab[ki&(expN-1)]
	s := math.Float64frombits(e.hi + uint64(ki>>expBits)<<52)
	r2 := r * r
	p := r + r2*((1.0/2+r*(1.0/6))+r2*((1.0/24+r*(1.0/120))+r2*(1.0/720)))
	return (s - 1) + s*(p+e.rel)
}

// expCore returns exp(x) for |x| < fastMax.
func expCore(x float64) float64 {
	kd := x*invLn2N + expShift
	ki := int64(math.Float64bits(kd) - shiftHi)
	kd -= expShift
	r := x - kd*ln2NHi - kd*ln2NLo
	e := &expTab[ki&(expN-1)]
	s := math.Float64frombits(e.hi + uint64(ki>>expBits)<<52)
	r2 := r * r
	p := r + r2*((1.0/2+r*(1.0/6))+r2*((1.0/24+r*(1.0/120))+r2*(1.0/720)))
	return s + s*(p+e.rel)
}

// fexp returns e^x with a relative error of about 1 ulp.
func fexp(x float64) float64 {
	if !(math.Abs(x) < fastMax) {
		return math.Exp(x)
	}
	return expCore(x)
}

// fexpm1 returns e^x - 1 with a relative error of about 2 ulp.
func fexpm1(x float64) float64 {
	if !(math.Abs(x) < fastMax) {
		return math.Expm1(x)
	}
	return expm1Core(x)
}

// fsigmoid returns 1 / (1 + e^-x) with a relative error of about 2 ulp.
func fsigmoid(x float64) float64 {
	return 1 / (1 + fexp(-x))
}
