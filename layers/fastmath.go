package layers

import (
	"math"
	"math/big"
)

// Fast elementary functions for the activations.
//
// math.Tanh, math.Exp and math.Log1p cost 7-10 ns an element; the activations of a small
// dynamics network are evaluated hundreds of times per solve, so they dominate. The
// functions here share one table-driven exponential (Tang's method, as in musl and ARM's
// optimized-routines): x = (k/N) ln2 + r with N = 128 and |r| <= ln2/256, so that
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
// cancel otherwise. tanh(x) = expm1(2|x|) / (expm1(2|x|) + 2) with the sign of x then has a
// relative error of about 2 ulp over the whole range, tiny arguments included.
// log1p on [0, 1] (for softplus) uses a 128-entry table of reciprocals 1/c and log c, with
// r = m/c - 1 computed exactly by a fused multiply-add and a degree-8 series for log1p(r).
//
// Arguments outside |x| < 708 (overflow, underflow to subnormals, infinities, NaN) take a
// rarely used slow path through package math, so every function is exact in its special
// cases.

const (
	expBits  = 7
	expN     = 1 << expBits
	expShift = 0x1.8p52 // adding it rounds to an integer held in the low mantissa bits
	invLn2N  = expN / math.Ln2
	ln2NHi   = 6.93147180369123816490e-01 / expN // fdlibm's split of ln 2; k*ln2NHi is exact
	ln2NLo   = 1.90821492927058770002e-10 / expN
	fastMax  = 708 // |x| below which the fast exponential needs no range checks

	logBits = 7
	logN    = 1 << logBits
)

// expEntry holds 2^(j/N) as the bits of its double rounding hi and the relative
// correction rel = (2^(j/N) - hi) / hi.
type expEntry struct {
	hi  uint64
	rel float64
}

// logEntry holds a reciprocal invc ~ 1/c of the centre c of a subinterval of [1, 2) and
// logc = -log(invc); the first entry is exactly (1, 0) so that log1p of tiny arguments
// keeps its relative accuracy.
type logEntry struct {
	invc, logc float64
}

var (
	expTab  [expN]expEntry
	logTab  [logN]logEntry
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
	logTab[0] = logEntry{invc: 1, logc: 0}
	for i := 1; i < logN; i++ {
		invc := 1 / (1 + (float64(i)+0.5)/logN)
		logTab[i] = logEntry{invc: invc, logc: -math.Log(invc)}
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

// ftanh returns tanh(x) with a relative error of at most a few ulp (see the tests).
func ftanh(x float64) float64 {
	a := math.Abs(x)
	if !(a < 20) { // tanh rounds to +-1 beyond 19.07; also +-Inf and NaN
		if a != a {
			return x
		}
		return math.Copysign(1, x)
	}
	e := expm1Core(2 * a)
	return math.Copysign(e/(e+2), x)
}

// log1pUnit returns log(1 + e) for e in [0, 1].
func log1pUnit(e float64) float64 {
	y := 1 + e
	c := e - (y - 1) // the rounding error of 1 + e, exactly
	b := math.Float64bits(y)
	k := float64(int64(b>>52) - 1023) // 0, or 1 when y == 2
	m := math.Float64frombits(b&(1<<52-1) | 0x3ff0000000000000)
	t := &logTab[(b>>(52-logBits))&(logN-1)]
	r := math.FMA(m, t.invc, -1)
	r2 := r * r
	r4 := r2 * r2
	p := r + r2*((-1.0/2+r*(1.0/3))+r2*(-1.0/4+r*(1.0/5))+r4*((-1.0/6+r*(1.0/7))+r2*(-1.0/8)))
	return (k*math.Ln2 + t.logc) + (p + c*t.invc)
}

// fsoftplus returns log(1 + e^x), and x itself above 20 (as PyTorch does).
func fsoftplus(x float64) float64 {
	if x > 20 {
		return x
	}
	if !(x > -fastMax) { // log1p(e^x) == e^x in double precision; also NaN
		return math.Exp(x)
	}
	return max(x, 0) + log1pUnit(expCore(-math.Abs(x)))
}

// fsigmoid returns 1 / (1 + e^-x) with a relative error of about 2 ulp.
func fsigmoid(x float64) float64 {
	return 1 / (1 + fexp(-x))
}
