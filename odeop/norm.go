package odeop

import "math"

// RMSNorm is the root mean square sqrt(sum x_i^2 / n), the default error norm (as
// torchdiffeq and Hairer's DOPRI5). It is 0 for an empty vector.
func RMSNorm(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}

// MaxNorm is the maximum norm max |x_i|. It is 0 for an empty vector.
func MaxNorm(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		a := math.Abs(v)
		if a > m || a != a {
			m = a
		}
	}
	return m
}

// errScale is the error scale atol + rtol*max(|a|, |b|) of one component.
func errScale(a, b, rtol, atol float64) float64 {
	return atol + rtol*math.Max(math.Abs(a), math.Abs(b))
}
