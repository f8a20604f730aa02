//go:build amd64 && !purego

package kernels

// scaledSumSqZ and scaledSumSqY add the squared scaled errors of the first n elements (n
// a multiple of 8) to the 8 lane sums acc.
//
//go:noescape
func scaledSumSqZ(e, y0, y1 *float64, n int, rtol, atol float64, acc *[normLanes]float64)

//go:noescape
func scaledSumSqY(e, y0, y1 *float64, n int, rtol, atol float64, acc *[normLanes]float64)

// finiteZ and finiteY return a nonzero mask when one of the first n elements (n a multiple
// of 8 and 4) is NaN or ±Inf.
//
//go:noescape
func finiteZ(x *float64, n int) int

//go:noescape
func finiteY(x *float64, n int) int

func scaledSumSqVec(e, y0, y1 []float64, rtol, atol float64, acc *[normLanes]float64) bool {
	switch {
	case hasAVX512:
		scaledSumSqZ(&e[0], &y0[0], &y1[0], len(e), rtol, atol, acc)
	case hasAVX2:
		scaledSumSqY(&e[0], &y0[0], &y1[0], len(e), rtol, atol, acc)
	default:
		return false
	}
	return true
}

// finiteVec checks the longest prefix of x the kernel covers and returns its length and
// whether it is all finite.
func finiteVec(x []float64) (int, bool) {
	n := len(x)
	switch {
	case hasAVX512:
		n -= n % 8
		return n, finiteZ(&x[0], n) == 0
	case hasAVX2:
		n -= n % 4
		return n, finiteY(&x[0], n) == 0
	}
	return 0, true
}
