package kernels

import "math"

// Elementwise functions over slices. The vector code (vmath_amd64.s) and the scalar
// functions below execute the same operations in the same order, fused multiply-adds
// included, so that an element's result does not depend on the path that computed it;
// the float64 conversions keep the compiler from fusing any other product and sum.

const (
	log2e   = 1.4426950408889634
	shifter = 0x1.8p52 // adding it rounds to an integer held in the low mantissa bits
	ln2Hi   = 6.93147180369123816490e-01
	ln2Lo   = 1.90821492927058770002e-10
	expMax  = 708 // |v| below which expParts needs no range checks

	// exp(r) = 1 + r + r²·q(r) on |r| ≤ ln2/2, q of degree 9 near the minimax polynomial
	// of (e^r - 1 - r)/r² (0.15 ulp of e^r).
	eq0 = 0.5000000000000001
	eq1 = 0.16666666666666669
	eq2 = 0.04166666666662413
	eq3 = 0.008333333333330062
	eq4 = 0.0013888888917213717
	eq5 = 0.00019841269863053618
	eq6 = 2.4801521295954376e-05
	eq7 = 2.7557268459997064e-06
	eq8 = 2.7620088445409746e-07
	eq9 = 2.510038549551032e-08

	// log1p(t) = t - (t²/2 - s·(t²/2 + z·w(z))), s = t/(2+t), z = s², as fdlibm's log1p
	// but without its argument reduction: t = e^-|x| lies in [0, 1], so s ≤ 1/3 and
	// z ≤ 1/9, and w of degree 9 (the Chebyshev interpolant of (2 atanh(s) - 2s)/s³ on
	// [0, 1/9], 9e-17 absolute; fitw.py) adds under 0.1 ulp. One division, no branch and
	// no ln 2 split: softplus costs 20% less than with fdlibm's reduction, at 1.8 ulp.
	lw0 = 0.6666666666666666
	lw1 = 0.40000000000014585
	lw2 = 0.2857142856710876
	lw3 = 0.22222222717427864
	lw4 = 0.18181789436132859
	lw5 = 0.15385570064958623
	lw6 = 0.13314144209654935
	lw7 = 0.12001072809590713
	lw8 = 0.08800738486144674
	lw9 = 0.1616404561194353
)

// expParts returns u = e^r - 1 and the bits of 2^k for v = k·ln2 + r, |v| < expMax.
func expParts(v float64) (u float64, kbits uint64) {
	kd := math.FMA(v, log2e, shifter)
	kbits = math.Float64bits(kd) << 52
	kd -= shifter
	r := math.FMA(-kd, ln2Hi, v)
	r = math.FMA(-kd, ln2Lo, r)
	// q by Estrin's scheme.
	r2 := float64(r * r)
	r4 := float64(r2 * r2)
	r8 := float64(r4 * r4)
	a0 := math.FMA(eq1, r, eq0)
	a1 := math.FMA(eq3, r, eq2)
	a2 := math.FMA(eq5, r, eq4)
	a3 := math.FMA(eq7, r, eq6)
	a4 := math.FMA(eq9, r, eq8)
	b0 := math.FMA(a1, r2, a0)
	b1 := math.FMA(a3, r2, a2)
	q := math.FMA(a4, r8, math.FMA(b1, r4, b0))
	return math.FMA(r2, q, r), kbits
}

// expFast returns e^v for |v| < expMax.
func expFast(v float64) float64 {
	u, kb := expParts(v)
	return math.Float64frombits(math.Float64bits(1+u) + kb)
}

// expSlow returns e^x for every x: 2^k (1 + u) scaled by math.Ldexp, which overflows to
// +Inf and rounds subnormal results.
func expSlow(x float64) float64 {
	switch {
	case x != x:
		return x
	case x > 710:
		return math.Inf(1)
	case x < -746:
		return 0
	}
	u, kb := expParts(x)
	return math.Ldexp(1+u, int(int64(kb)>>52))
}

func exp1(x float64) float64 {
	if !(math.Abs(x) < expMax) {
		return expSlow(x)
	}
	return expFast(x)
}

func tanh1(x float64) float64 {
	if x != x {
		return x
	}
	u, kb := expParts(2 * min(math.Abs(x), 20))
	s := math.Float64frombits(0x3ff0000000000000 + kb)
	e := math.FMA(s, u, s-1) // expm1(2|x|)
	return math.Copysign(e/(e+2), x)
}

func sigmoid1(x float64) float64 {
	if !(x >= -expMax) {
		if x != x {
			return x
		}
		return expSlow(x) // e^x/(1 + e^x) rounds to e^x
	}
	return 1 / (1 + expFast(-min(x, expMax)))
}

func softplus1(x float64) float64 {
	if !(x >= -expMax) {
		if x != x {
			return x
		}
		return expSlow(x) // log1p(e^x) rounds to e^x
	}
	if x > 20 {
		return x
	}
	return max(x, 0) + log1pUnit(expFast(-math.Abs(x)))
}

// log1pUnit returns log(1 + t) for t in [0, 1].
func log1pUnit(t float64) float64 {
	s := t / (2 + t)
	z := float64(s * s)
	z2 := float64(z * z)
	z4 := float64(z2 * z2)
	z8 := float64(z4 * z4)
	a0 := math.FMA(lw1, z, lw0)
	a1 := math.FMA(lw3, z, lw2)
	a2 := math.FMA(lw5, z, lw4)
	a3 := math.FMA(lw7, z, lw6)
	a4 := math.FMA(lw9, z, lw8)
	b0 := math.FMA(a1, z2, a0)
	b1 := math.FMA(a3, z2, a2)
	w := math.FMA(a4, z8, math.FMA(b1, z4, b0))
	h := float64(float64(t*0.5) * t)
	return t - math.FMA(-s, math.FMA(z, w, h), h)
}

func checkVec(y, x []float64) {
	if len(y) != len(x) {
		panic("kernels: slices of different lengths")
	}
}

// Exp writes y[i] = e^x[i]; y and x may be the same slice but must not overlap otherwise.
func Exp(y, x []float64) {
	checkVec(y, x)
	apply(y, x, fnExp, exp1)
}

// Tanh writes y[i] = tanh(x[i]); y and x may be the same slice but must not overlap
// otherwise.
func Tanh(y, x []float64) {
	checkVec(y, x)
	apply(y, x, fnTanh, tanh1)
}

// Sigmoid writes y[i] = 1/(1 + e^-x[i]); y and x may be the same slice but must not
// overlap otherwise.
func Sigmoid(y, x []float64) {
	checkVec(y, x)
	apply(y, x, fnSigmoid, sigmoid1)
}

// Softplus writes y[i] = log(1 + e^x[i]), and x[i] itself where x[i] > 20 as PyTorch
// does; y and x may be the same slice but must not overlap otherwise.
func Softplus(y, x []float64) {
	checkVec(y, x)
	apply(y, x, fnSoftplus, softplus1)
}

// The functions with vector kernels.
const (
	fnExp = iota
	fnTanh
	fnSigmoid
	fnSoftplus
)

// apply runs the vector kernel of fn where there is one, and the scalar function g on the
// vectors that the kernel hands back and on the tail.
func apply(y, x []float64, fn int, g func(float64) float64) {
	w := vecWidth()
	if w == 0 {
		for i, v := range x {
			y[i] = g(v)
		}
		return
	}
	n := len(x) - len(x)%w
	for i := 0; i < n; {
		i += vec(fn, y[i:n], x[i:n])
		if i < n {
			for j := i; j < i+w; j++ {
				y[j] = g(x[j])
			}
			i += w
		}
	}
	if n < len(x) {
		// The tail, padded to a vector.
		var buf [8]float64
		t := copy(buf[:], x[n:])
		if vec(fn, buf[:w], buf[:w]) == w {
			copy(y[n:], buf[:t])
			return
		}
		for j := n; j < len(x); j++ {
			y[j] = g(x[j])
		}
	}
}
