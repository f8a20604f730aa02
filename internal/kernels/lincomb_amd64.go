//go:build amd64 && !purego

package kernels

//go:generate go run gen_simd.go

// lincombZ and lincombY are Lincomb over the first n elements (n a multiple of 8 and 4):
// xs points at the k slice headers of the vectors, base may be nil.
//
//go:noescape
func lincombZ(dst, base *float64, xs *[]float64, c *float64, k, n int)

//go:noescape
func lincombY(dst, base *float64, xs *[]float64, c *float64, k, n int)

// lincombVec runs the vector kernel on the longest prefix it covers and returns its length.
func lincombVec(dst, base, c []float64, x [][]float64) int {
	var pb *float64
	if base != nil {
		pb = &base[0]
	}
	n := len(dst)
	switch {
	case hasAVX512:
		n -= n % 8
		if n > 0 {
			lincombZ(&dst[0], pb, &x[0], &c[0], len(c), n)
		}
	case hasAVX2:
		n -= n % 4
		if n > 0 {
			lincombY(&dst[0], pb, &x[0], &c[0], len(c), n)
		}
	default:
		return 0
	}
	return n
}
