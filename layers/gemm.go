package layers

// Dense matrix products on row-major float64 slices, accumulating into the destination.
// The shapes of a network's layers are small to medium (a few to a few hundred), the
// batch is the long dimension. The three forms are exactly what a dense layer needs:
//
//	forward   u  += x·W     mulNN (batch×in)·(in×out)
//	backward  dW += xᵀ·g    mulTN (batch×in)ᵀ·(batch×out)
//	backward  dx += g·Wᵀ    mulNT (batch×out)·(in×out)ᵀ
//
// The portable kernels below are register-blocked loops; gemm_amd64.go replaces the
// large cases with an AVX2/FMA micro-kernel when the CPU has one.

// mulNN computes c (m×n) += a (m×k) · b (k×n).
func mulNN(c, a, b []float64, m, k, n int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	_ = c[m*n-1]
	_ = a[m*k-1]
	_ = b[k*n-1]
	if kernelNN(c, a, b, m, k, n) {
		return
	}
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

// mulTN computes c (k×n) += aᵀ · b with a (m×k) and b (m×n).
func mulTN(c, a, b []float64, m, k, n int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	_ = c[k*n-1]
	_ = a[m*k-1]
	_ = b[m*n-1]
	if kernelTN(c, a, b, m, k, n) {
		return
	}
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

// mulNT computes c (m×k) += a (m×n) · bᵀ with b (k×n). Each entry is a dot product of two
// rows; bt, when not nil, is scratch of length n*k that the fast path may use for bᵀ.
func mulNT(c, a, b, bt []float64, m, n, k int) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	_ = c[m*k-1]
	_ = a[m*n-1]
	_ = b[k*n-1]
	if bt != nil && useKernel(m, n, k) {
		// c += a · (bᵀ) with bᵀ materialized (n×k): one pass over b, then the fast form.
		transpose(bt, b, k, n)
		if kernelNN(c, a, bt, m, n, k) {
			return
		}
	}
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

// transpose writes dst (c×r) = srcᵀ for src (r×c).
func transpose(dst, src []float64, r, c int) {
	_ = dst[r*c-1]
	for i := 0; i < r; i++ {
		row := src[i*c : i*c+c]
		for j, v := range row {
			dst[j*r+i] = v
		}
	}
}

// addRows adds v (length n) to every row of c (m×n).
func addRows(c, v []float64, m, n int) {
	for i := 0; i < m; i++ {
		ci := c[i*n : i*n+n]
		for j, x := range v[:n] {
			ci[j] += x
		}
	}
}

// fillRows sets every row of c (m×n) to v (length n).
func fillRows(c, v []float64, m, n int) {
	for i := 0; i < m; i++ {
		copy(c[i*n:i*n+n], v[:n])
	}
}

// colSums adds the column sums of c (m×n) to s (length n).
func colSums(s, c []float64, m, n int) {
	s = s[:n]
	for i := 0; i < m; i++ {
		ci := c[i*n : i*n+n]
		for j, x := range ci {
			s[j] += x
		}
	}
}
