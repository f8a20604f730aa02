package kernels

// Elementwise kernels of the native networks' forward and backward passes. Each element
// gets the same rounded operations in the same order on every path (no fused
// multiply-add), so the vector kernels give the bits of the portable loops.

// TanhDerivs sets d1 = 1 - h² (tanh' from h = tanh(u)) and, when d2 is not nil,
// d2 = (-2h)·d1 (tanh″). d1 and d2 must be at least as long as h.
func TanhDerivs(d1, d2, h []float64) {
	n := len(h)
	if len(d1) < n || (d2 != nil && len(d2) < n) {
		panic("kernels: TanhDerivs output shorter than h")
	}
	if n == 0 {
		return
	}
	i := tanhDerivsVec(d1, d2, h)
	for ; i < n; i++ {
		d := 1 - float64(h[i]*h[i])
		d1[i] = d
		if d2 != nil {
			d2[i] = float64(-2*h[i]) * d
		}
	}
}

// MulAdd2 sets dst = a·b + c·d elementwise (c nil: dst = a·b); dst may be a. All must be
// at least as long as dst.
func MulAdd2(dst, a, b, c, d []float64) {
	n := len(dst)
	if len(a) < n || len(b) < n || (c != nil && (len(c) < n || len(d) < n)) {
		panic("kernels: MulAdd2 operand shorter than dst")
	}
	if n == 0 {
		return
	}
	i := mulAdd2Vec(dst, a, b, c, d)
	if c == nil {
		for ; i < n; i++ {
			dst[i] = a[i] * b[i]
		}
		return
	}
	for ; i < n; i++ {
		dst[i] = float64(a[i]*b[i]) + float64(c[i]*d[i])
	}
}

// ScaleRows sets row b of dst (rows of cols elements) to c[b] times row b of src, for
// b < len(c); dst may be src.
func ScaleRows(dst, src, c []float64, cols int) {
	n := len(c) * cols
	if cols < 0 || len(dst) < n || len(src) < n {
		panic("kernels: ScaleRows with a matrix shorter than len(c) rows")
	}
	for b, cb := range c {
		d, s := dst[b*cols:b*cols+cols], src[b*cols:b*cols+cols]
		j := 0
		if cols >= 8 {
			j = scaleVec(d, s, cb)
		}
		for ; j < cols; j++ {
			d[j] = cb * s[j]
		}
	}
}
