package layers

import "github.com/continuum-ml/continuum/internal/kernels"

// Dense matrix products on row-major float64 slices, accumulating into the destination.
// The three forms are exactly what a dense layer needs:
//
//	forward   u  += x·W     mulNN (batch×in)·(in×out)
//	backward  dW += xᵀ·g    mulTN (batch×in)ᵀ·(batch×out)
//	backward  dx += g·Wᵀ    mulNT (batch×out)·(in×out)ᵀ
//
// They are thin names for package internal/kernels (AVX-512 and AVX2/FMA micro-kernels,
// portable Go elsewhere), kept so that every evaluator of this package (Net, the CNF
// evaluator) speaks the same small vocabulary. The layers' own forward and backward
// passes call the overwriting forms of internal/kernels directly.

// mulNN computes c (m×n) += a (m×k) · b (k×n).
func mulNN(c, a, b []float64, m, k, n int) { kernels.MulNN(c, a, b, m, k, n, true) }

// mulTN computes c (k×n) += aᵀ · b with a (m×k) and b (m×n).
func mulTN(c, a, b []float64, m, k, n int) { kernels.MulTN(c, a, b, m, k, n, true) }

// mulNT computes c (m×k) += a (m×n) · bᵀ with b (k×n). bt (scratch of length n*k for bᵀ)
// is no longer needed; it is kept for the callers' sake and may be nil.
func mulNT(c, a, b, bt []float64, m, n, k int) { kernels.MulNT(c, a, b, m, n, k, true) }

// fillRows sets every row of c (m×n) to v (length n).
func fillRows(c, v []float64, m, n int) { kernels.FillRows(c, v, m, n) }

// colSums adds the column sums of c (m×n) to s (length n).
func colSums(s, c []float64, m, n int) { kernels.ColSums(s, c, m, n, true) }
