//go:build amd64 && !purego

package kernels

// The vector forms of elem.go over the first n elements (n a multiple of 8 and 4); d2 and
// c may be nil.
//
//go:noescape
func tanhDerivsZ(d1, d2, h *float64, n int)

//go:noescape
func tanhDerivsY(d1, d2, h *float64, n int)

//go:noescape
func mulAdd2Z(dst, a, b, c, d *float64, n int)

//go:noescape
func mulAdd2Y(dst, a, b, c, d *float64, n int)

func ptr(x []float64) *float64 {
	if x == nil {
		return nil
	}
	return &x[0]
}

// tanhDerivsVec runs the kernel on the longest prefix it covers and returns its length.
func tanhDerivsVec(d1, d2, h []float64) int {
	n := len(h)
	switch {
	case hasAVX512:
		n -= n % 8
		if n > 0 {
			tanhDerivsZ(&d1[0], ptr(d2), &h[0], n)
		}
	case hasAVX2:
		n -= n % 4
		if n > 0 {
			tanhDerivsY(&d1[0], ptr(d2), &h[0], n)
		}
	default:
		return 0
	}
	return n
}

func mulAdd2Vec(dst, a, b, c, d []float64) int {
	n := len(dst)
	switch {
	case hasAVX512:
		n -= n % 8
		if n > 0 {
			mulAdd2Z(&dst[0], &a[0], &b[0], ptr(c), ptr(d), n)
		}
	case hasAVX2:
		n -= n % 4
		if n > 0 {
			mulAdd2Y(&dst[0], &a[0], &b[0], ptr(c), ptr(d), n)
		}
	default:
		return 0
	}
	return n
}

//go:noescape
func scaleZ(dst, src *float64, c float64, n int)

//go:noescape
func scaleY(dst, src *float64, c float64, n int)

// scaleVec sets dst = c·src on the longest prefix the kernel covers.
func scaleVec(dst, src []float64, c float64) int {
	n := len(dst)
	switch {
	case hasAVX512:
		n -= n % 8
		if n > 0 {
			scaleZ(&dst[0], &src[0], c, n)
		}
	case hasAVX2:
		n -= n % 4
		if n > 0 {
			scaleY(&dst[0], &src[0], c, n)
		}
	default:
		return 0
	}
	return n
}
