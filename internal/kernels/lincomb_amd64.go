//go:build amd64 && !purego

package kernels

//go:generate go run gen_simd.go

// lincombZ and lincombY are Lincomb over the first n elements (n a multiple of 8 and 4):
// xs points at the k slice headers of the vectors, base may be nil. They return 1 when
// an element they wrote is NaN or infinite, 0 otherwise.
//
//go:noescape
func lincombZ(dst, base *float64, xs *[]float64, c *float64, k, n int) int

//go:noescape
func lincombY(dst, base *float64, xs *[]float64, c *float64, k, n int) int

// lincombVec runs the vector kernel on the longest prefix it covers and returns its length
// and whether every element it wrote is finite.
func lincombVec(dst, base, c []float64, x [][]float64) (int, bool) {
	var pb *float64
	if base != nil {
		pb = &base[0]
	}
	n, bad := len(dst), 0
	switch {
	case hasAVX512:
		n -= n % 8
		if n > 0 {
			bad = lincombZ(&dst[0], pb, &x[0], &c[0], len(c), n)
		}
	case hasAVX2:
		n -= n % 4
		if n > 0 {
			bad = lincombY(&dst[0], pb, &x[0], &c[0], len(c), n)
		}
	default:
		return 0, true
	}
	return n, bad == 0
}
