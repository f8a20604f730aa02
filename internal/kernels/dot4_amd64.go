//go:build amd64 && !purego

package kernels

// dot4 computes c (m×4, row stride ldc) (mode) a·b for a (m×k, row stride lda) and b
// (k×4, row-major) with the AVX-512 kernel dot4Z and reports whether it could: k must be
// a multiple of 8 no larger than dot4MaxK. A product with 4 output columns (a dense layer
// narrowing to 4, as N1's 32 -> 4) is the worst case of the column-panel kernels, whose
// 4-wide panels use half a zmm register for every fused multiply-add; dot4Z instead runs
// full-width dot products along the rows of a against the columns of b (packed, 4×k, on
// the stack) and sums the lanes in one transposing reduction per two rows: 280 ns against
// 390-450 ns on N1's layer (BenchmarkMul/N1/L1/NN). The summation order (eight interleaved partial sums
// per result, then a fixed tree) differs from the panel kernels'; results agree to
// rounding.
func dot4(c []float64, ldc int, a []float64, lda int, b, bias []float64, m, k, mode int) bool {
	if !hasAVX512 || k%8 != 0 || k > dot4MaxK {
		return false
	}
	var pb *float64
	if mode == modeBias {
		pb = &bias[0]
	}
	// Go clears a stack array on every call: a short inner dimension takes a small one.
	if k <= 32 {
		var bt [4 * 32]float64
		dot4Packed(bt[:], c, ldc, a, lda, b, pb, m, k, mode)
	} else {
		var bt [4 * dot4MaxK]float64
		dot4Packed(bt[:], c, ldc, a, lda, b, pb, m, k, mode)
	}
	return true
}

// dot4Packed packs bᵀ into bt and runs dot4Z.
func dot4Packed(bt, c []float64, ldc int, a []float64, lda int, b []float64, pb *float64, m, k, mode int) {
	b0, b1, b2, b3 := bt[:k], bt[k:2*k], bt[2*k:3*k], bt[3*k:4*k]
	for l := range b0 {
		row := b[4*l : 4*l+4 : 4*l+4]
		b0[l], b1[l], b2[l], b3[l] = row[0], row[1], row[2], row[3]
	}
	dot4Z(&c[0], &a[0], &bt[0], pb, m, k, ldc, lda, mode)
}

// dot4MaxK bounds the depth that dot4 packs on the stack (2 KB).
const dot4MaxK = 64
