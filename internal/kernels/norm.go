package kernels

import "math"

// normLanes is the number of partial sums of ScaledSumSq: element i goes to sum i mod 8
// (over the longest prefix of a multiple of 8 elements), the sums are combined pairwise in
// a fixed order and the remaining elements are added last, in order, so that the AVX-512,
// AVX2 and portable paths give the same bits.
const normLanes = 8

// ScaledSumSq returns the sum of (e_i / (atol + rtol*max(|y0_i|, |y1_i|)))², the squared
// error norm of an adaptive step before the mean and the square root, each term with a
// rounded multiply, add and divide (no fused multiply-add). y0 and y1 must be at least as
// long as e and finite (a NaN in them gives an unspecified result).
func ScaledSumSq(e, y0, y1 []float64, rtol, atol float64) float64 {
	n := len(e)
	if len(y0) < n || len(y1) < n {
		panic("kernels: ScaledSumSq with a scale vector shorter than e")
	}
	var acc [normLanes]float64
	m := n - n%normLanes
	if m > 0 && !scaledSumSqVec(e[:m], y0, y1, rtol, atol, &acc) {
		for i := 0; i < m; i++ {
			acc[i%normLanes] += scaledSq(e[i], y0[i], y1[i], rtol, atol)
		}
	}
	s := ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))
	for i := m; i < n; i++ {
		s += scaledSq(e[i], y0[i], y1[i], rtol, atol)
	}
	return s
}

func scaledSq(e, y0, y1, rtol, atol float64) float64 {
	a, b := math.Abs(y0), math.Abs(y1)
	if b > a {
		a = b
	}
	x := e / (atol + float64(rtol*a))
	return float64(x * x)
}

// Finite reports whether every element of x is finite (neither NaN nor ±Inf).
func Finite(x []float64) bool {
	m := 0
	if len(x) >= 16 {
		var ok bool
		if m, ok = finiteVec(x); !ok {
			return false
		}
	}
	// x - x is 0 for finite x and NaN for NaN and ±Inf; a NaN makes the sum NaN.
	var a0, a1 float64
	i := m
	for ; i+2 <= len(x); i += 2 {
		a0 += x[i] - x[i]
		a1 += x[i+1] - x[i+1]
	}
	for ; i < len(x); i++ {
		a0 += x[i] - x[i]
	}
	return a0+a1 == 0
}
