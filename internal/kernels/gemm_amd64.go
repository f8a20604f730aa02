//go:build amd64 && !purego

package kernels

//go:generate go run gen_gemm.go

// The micro-kernels of gemm_amd64.s (see gen_gemm.go). Each computes one column panel of
// C (m×w) over all its rows, C[i][j] (mode) Σ_l a[i*rsa + l*csa]·b[l*ldb + j] for
// l < k (k ≥ 1), with C[i][j] at c[i*ldc + j] and strides in elements; mode is modeSet,
// modeAcc or modeBias (bias[j] in every row). The width w of the panel is in the name:
// 16 and 8 (AVX-512), 8 (AVX2), and 1 to 7 (AVX2 and FMA, for the last columns).

//go:noescape
func gemm16Z(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb, mode int)

//go:noescape
func gemm8Z(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb, mode int)

//go:noescape
func gemm8Y(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb, mode int)

//go:noescape
func gemm1E(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb, mode int)

//go:noescape
func gemm2E(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb, mode int)

//go:noescape
func gemm3E(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb, mode int)

//go:noescape
func gemm4E(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb, mode int)

//go:noescape
func gemm5E(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb, mode int)

//go:noescape
func gemm6E(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb, mode int)

//go:noescape
func gemm7E(c, a, b, bias *float64, m, k, ldc, rsa, csa, ldb, mode int)

// ntBlock is the depth of the panels of Bᵀ that gemmNTAsm packs on the stack.
const ntBlock = 256

// biasAt returns &bias[j] in bias mode and nil otherwise.
func biasAt(bias []float64, j, mode int) *float64 {
	if mode != modeBias {
		return nil
	}
	return &bias[j]
}

// gemmAsm computes C (m×n) (mode) A·B with C[i][j] = c[i*ldc+j], A(i, l) = a[i*rsa+l*csa],
// B[l][j] = b[l*ldb+j], all dimensions positive, and reports whether it could.
func gemmAsm(c []float64, ldc int, a []float64, rsa, csa int, b []float64, ldb int, bias []float64, m, k, n, mode int) bool {
	if !hasAVX2 {
		return false
	}
	j := 0
	if hasAVX512 {
		for ; j+16 <= n; j += 16 {
			gemm16Z(&c[j], &a[0], &b[j], biasAt(bias, j, mode), m, k, ldc, rsa, csa, ldb, mode)
		}
		if j+8 <= n {
			gemm8Z(&c[j], &a[0], &b[j], biasAt(bias, j, mode), m, k, ldc, rsa, csa, ldb, mode)
			j += 8
		}
	} else {
		for ; j+8 <= n; j += 8 {
			gemm8Y(&c[j], &a[0], &b[j], biasAt(bias, j, mode), m, k, ldc, rsa, csa, ldb, mode)
		}
	}
	if j < n {
		pc, pb, pbias := &c[j], &b[j], biasAt(bias, j, mode)
		switch n - j {
		case 1:
			gemm1E(pc, &a[0], pb, pbias, m, k, ldc, rsa, csa, ldb, mode)
		case 2:
			gemm2E(pc, &a[0], pb, pbias, m, k, ldc, rsa, csa, ldb, mode)
		case 3:
			gemm3E(pc, &a[0], pb, pbias, m, k, ldc, rsa, csa, ldb, mode)
		case 4:
			gemm4E(pc, &a[0], pb, pbias, m, k, ldc, rsa, csa, ldb, mode)
		case 5:
			gemm5E(pc, &a[0], pb, pbias, m, k, ldc, rsa, csa, ldb, mode)
		case 6:
			gemm6E(pc, &a[0], pb, pbias, m, k, ldc, rsa, csa, ldb, mode)
		default:
			gemm7E(pc, &a[0], pb, pbias, m, k, ldc, rsa, csa, ldb, mode)
		}
	}
	return true
}

// gemmNTAsm computes c (m×k) (mode) a (m×n)·bᵀ for b (k×n), all dimensions positive: for
// each panel of up to 16 columns of c, the matching rows of b are packed transposed, ntBlock
// entries of the inner dimension at a time, into a buffer on the stack that the kernels
// read as B. Go clears a stack array on every call, so a short inner dimension takes a
// small one.
func gemmNTAsm(c, a, b []float64, m, n, k, mode int) bool {
	if !hasAVX2 {
		return false
	}
	if n <= 32 {
		var buf [32 * 16]float64
		gemmNTBuf(buf[:], c, a, b, m, n, k, mode)
	} else {
		var buf [ntBlock * 16]float64
		gemmNTBuf(buf[:], c, a, b, m, n, k, mode)
	}
	return true
}

func gemmNTBuf(buf, c, a, b []float64, m, n, k, mode int) {
	pw := 8 // panel width
	if hasAVX512 {
		pw = 16
	}
	blk := len(buf) / 16
	for j := 0; j < k; j += pw {
		w := min(k-j, pw)
		for l0 := 0; l0 < n; l0 += blk {
			kb := min(n-l0, blk)
			packT(buf[:kb*pw], b[j*n:], n, l0, kb, w, pw)
			md := mode
			if l0 > 0 {
				md = modeAcc
			}
			gemmAsm(c[j:], k, a[l0:], n, 1, buf, pw, nil, m, kb, w, md)
		}
	}
}

// packT writes p[l*pw + jj] = b[jj*ldb + l0 + l] for l < kb and jj < w: a panel of w rows
// of b, transposed.
func packT(p, b []float64, ldb, l0, kb, w, pw int) {
	jj := 0
	for ; jj+4 <= w; jj += 4 {
		b0 := b[jj*ldb+l0 : jj*ldb+l0+kb]
		b1 := b[(jj+1)*ldb+l0 : (jj+1)*ldb+l0+kb]
		b2 := b[(jj+2)*ldb+l0 : (jj+2)*ldb+l0+kb]
		b3 := b[(jj+3)*ldb+l0 : (jj+3)*ldb+l0+kb]
		for l, x := range b0 {
			q := p[l*pw+jj : l*pw+jj+4]
			q[0], q[1], q[2], q[3] = x, b1[l], b2[l], b3[l]
		}
	}
	for ; jj < w; jj++ {
		bj := b[jj*ldb+l0 : jj*ldb+l0+kb]
		for l, x := range bj {
			p[l*pw+jj] = x
		}
	}
}

//go:noescape
func dot4Z(c, a, bt, bias *float64, m, k, ldc, lda, mode int)
