package kernels

// Dense products on row-major float64 slices; see the package comment for the layout,
// the aliasing rule and the panics.

// Initial value of the destination in the kernels.
const (
	modeSet  = 0 // C = A·B
	modeAcc  = 1 // C += A·B
	modeBias = 2 // C = A·B + bias (every row)
)

func accMode(acc bool) int {
	if acc {
		return modeAcc
	}
	return modeSet
}

func checkDims(m, k, n int) {
	if m < 0 || k < 0 || n < 0 {
		panic("kernels: negative dimension")
	}
}

func checkLen(s []float64, n int, what string) {
	if len(s) < n {
		panic("kernels: " + what + " too short for its dimensions")
	}
}

// MulNN computes c = a·b, or c += a·b when acc is true, for a (m×k), b (k×n) and
// c (m×n).
func MulNN(c, a, b []float64, m, k, n int, acc bool) {
	checkDims(m, k, n)
	checkLen(c, m*n, "c")
	checkLen(a, m*k, "a")
	checkLen(b, k*n, "b")
	mulNN(c, a, b, nil, m, k, n, accMode(acc))
}

// MulNNBias computes c = a·b + bias, the bias (length n) added to every row, for
// a (m×k), b (k×n) and c (m×n): the forward pass of a dense layer in one sweep over c.
func MulNNBias(c, a, b, bias []float64, m, k, n int) {
	checkDims(m, k, n)
	checkLen(c, m*n, "c")
	checkLen(a, m*k, "a")
	checkLen(b, k*n, "b")
	checkLen(bias, n, "bias")
	mulNN(c, a, b, bias, m, k, n, modeBias)
}

// MulTN computes c = aᵀ·b, or c += aᵀ·b when acc is true, for a (m×k), b (m×n) and
// c (k×n): the weight gradient xᵀ·g of a dense layer, summed over the m rows of a batch.
func MulTN(c, a, b []float64, m, k, n int, acc bool) {
	checkDims(m, k, n)
	checkLen(c, k*n, "c")
	checkLen(a, m*k, "a")
	checkLen(b, m*n, "b")
	if k == 0 || n == 0 {
		return
	}
	if m == 0 {
		if !acc {
			clear(c[:k*n])
		}
		return
	}
	mulTN(c, a, b, k, n, m, accMode(acc))
}

// MulNT computes c = a·bᵀ, or c += a·bᵀ when acc is true, for a (m×n), b (k×n) and
// c (m×k): the input gradient g·Wᵀ of a dense layer with W (in×out) = b, g (batch×out)
// = a. The argument order is that of the layer (m, n = out, k = in).
func MulNT(c, a, b []float64, m, n, k int, acc bool) {
	checkDims(m, n, k)
	checkLen(c, m*k, "c")
	checkLen(a, m*n, "a")
	checkLen(b, k*n, "b")
	if m == 0 || k == 0 {
		return
	}
	if n == 0 {
		if !acc {
			clear(c[:m*k])
		}
		return
	}
	mulNT(c, a, b, m, n, k, accMode(acc))
}

// mulNN dispatches c (m×n) (mode) a (m×k)·b (k×n) with valid arguments.
func mulNN(c, a, b, bias []float64, m, k, n, mode int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		initRows(c, bias, m, n, mode)
		return
	}
	if n == 4 && dot4(c, n, a, k, b, bias, m, k, mode) {
		return
	}
	if gemmAsm(c, n, a, k, 1, b, n, bias, m, k, n, mode) {
		return
	}
	initRows(c, bias, m, n, mode)
	goNN(c, a, b, m, k, n)
}

// mulTN dispatches c (k×n) (mode) aᵀ·b, a (m×k), b (m×n), all dimensions positive.
func mulTN(c, a, b []float64, k, n, m, mode int) {
	if gemmAsm(c, n, a, 1, k, b, n, nil, k, m, n, mode) {
		return
	}
	initRows(c, nil, k, n, mode)
	goTN(c, a, b, m, k, n)
}

// mulNT dispatches c (m×k) (mode) a (m×n)·bᵀ, b (k×n), all dimensions positive.
func mulNT(c, a, b []float64, m, n, k, mode int) {
	if gemmNTAsm(c, a, b, m, n, k, mode) {
		return
	}
	initRows(c, nil, m, k, mode)
	goNT(c, a, b, m, n, k)
}

// initRows prepares c (m×n) for accumulation: zero, unchanged or the bias in every row.
func initRows(c, bias []float64, m, n, mode int) {
	switch mode {
	case modeSet:
		clear(c[:m*n])
	case modeBias:
		FillRows(c, bias, m, n)
	}
}

// goNN adds a (m×k)·b (k×n) to c (m×n): each row of c gathers four rows of b at a time.
func goNN(c, a, b []float64, m, k, n int) {
	for i := 0; i < m; i++ {
		ci := c[i*n : i*n+n]
		ai := a[i*k : i*k+k]
		l := 0
		for ; l+4 <= k; l += 4 {
			a0, a1, a2, a3 := ai[l], ai[l+1], ai[l+2], ai[l+3]
			b0 := b[l*n : l*n+n]
			b1 := b[(l+1)*n : (l+1)*n+n]
			b2 := b[(l+2)*n : (l+2)*n+n]
			b3 := b[(l+3)*n : (l+3)*n+n]
			for j := range ci {
				ci[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]
			}
		}
		for ; l < k; l++ {
			al := ai[l]
			bl := b[l*n : l*n+n]
			for j := range ci {
				ci[j] += al * bl[j]
			}
		}
	}
}

// goTN adds aᵀ·b to c (k×n) for a (m×k), b (m×n): four rows of the batch at a time.
func goTN(c, a, b []float64, m, k, n int) {
	r := 0
	for ; r+4 <= m; r += 4 {
		a0 := a[r*k : r*k+k]
		a1 := a[(r+1)*k : (r+1)*k+k]
		a2 := a[(r+2)*k : (r+2)*k+k]
		a3 := a[(r+3)*k : (r+3)*k+k]
		b0 := b[r*n : r*n+n]
		b1 := b[(r+1)*n : (r+1)*n+n]
		b2 := b[(r+2)*n : (r+2)*n+n]
		b3 := b[(r+3)*n : (r+3)*n+n]
		for i := 0; i < k; i++ {
			x0, x1, x2, x3 := a0[i], a1[i], a2[i], a3[i]
			ci := c[i*n : i*n+n]
			for j := range ci {
				ci[j] += x0*b0[j] + x1*b1[j] + x2*b2[j] + x3*b3[j]
			}
		}
	}
	for ; r < m; r++ {
		ar := a[r*k : r*k+k]
		br := b[r*n : r*n+n]
		for i, x := range ar {
			ci := c[i*n : i*n+n]
			for j := range ci {
				ci[j] += x * br[j]
			}
		}
	}
}

// goNT adds a (m×n)·bᵀ to c (m×k) for b (k×n): dot products of rows, four rows of b at
// a time.
func goNT(c, a, b []float64, m, n, k int) {
	for i := 0; i < m; i++ {
		ai := a[i*n : i*n+n]
		ci := c[i*k : i*k+k]
		j := 0
		for ; j+4 <= k; j += 4 {
			b0 := b[j*n : j*n+n]
			b1 := b[(j+1)*n : (j+1)*n+n]
			b2 := b[(j+2)*n : (j+2)*n+n]
			b3 := b[(j+3)*n : (j+3)*n+n]
			var s0, s1, s2, s3 float64
			for l, x := range ai {
				s0 += x * b0[l]
				s1 += x * b1[l]
				s2 += x * b2[l]
				s3 += x * b3[l]
			}
			ci[j] += s0
			ci[j+1] += s1
			ci[j+2] += s2
			ci[j+3] += s3
		}
		for ; j < k; j++ {
			bj := b[j*n : j*n+n]
			var s float64
			for l, x := range ai {
				s += x * bj[l]
			}
			ci[j] += s
		}
	}
}

// Transpose writes dst (c×r) = srcᵀ for src (r×c). dst and src must not overlap.
func Transpose(dst, src []float64, r, c int) {
	checkDims(r, c, 0)
	checkLen(dst, r*c, "dst")
	checkLen(src, r*c, "src")
	for i := 0; i < r; i++ {
		row := src[i*c : i*c+c]
		for j, v := range row {
			dst[j*r+i] = v
		}
	}
}

// AddRows adds v (length n) to every row of c (m×n).
func AddRows(c, v []float64, m, n int) {
	checkDims(m, n, 0)
	checkLen(c, m*n, "c")
	checkLen(v, n, "v")
	v = v[:n]
	for i := 0; i < m; i++ {
		ci := c[i*n : i*n+n]
		for j, x := range v {
			ci[j] += x
		}
	}
}

// FillRows sets every row of c (m×n) to v (length n).
func FillRows(c, v []float64, m, n int) {
	checkDims(m, n, 0)
	checkLen(c, m*n, "c")
	checkLen(v, n, "v")
	for i := 0; i < m; i++ {
		copy(c[i*n:i*n+n], v[:n])
	}
}

// ColSums writes the column sums of c (m×n) to s (length n), or adds them to s when acc
// is true: the bias gradient of a dense layer.
func ColSums(s, c []float64, m, n int, acc bool) {
	checkDims(m, n, 0)
	checkLen(c, m*n, "c")
	checkLen(s, n, "s")
	s = s[:n]
	if !acc {
		clear(s)
	}
	i := 0
	for ; i+4 <= m; i += 4 {
		c0 := c[i*n : i*n+n]
		c1 := c[(i+1)*n : (i+1)*n+n]
		c2 := c[(i+2)*n : (i+2)*n+n]
		c3 := c[(i+3)*n : (i+3)*n+n]
		for j := range s {
			s[j] += (c0[j] + c1[j]) + (c2[j] + c3[j])
		}
	}
	for ; i < m; i++ {
		ci := c[i*n : i*n+n]
		for j, x := range ci {
			s[j] += x
		}
	}
}
