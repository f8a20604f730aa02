//go:build amd64 && !purego

package layers

// The AVX2/FMA kernels of kernels_amd64.s and their dispatch. Build with -tags purego to
// leave them out.

//go:noescape
func gemmPanel(c *float64, ldc int, a *float64, ars, als int, b *float64, ldb, k, n int)

//go:noescape
func tanhAVX2(y, x *float64, n int)

//go:noescape
func softplusAVX2(y, x *float64, n int)

//go:noescape
func mulSoftplusDerivAVX2(dst, u, h *float64, n int)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// useAsm says whether the kernels run: the CPU has AVX2 and FMA and the OS saves the ymm
// registers. Tests switch it off to check the portable code.
var useAsm = hasAVX2FMA()

func hasAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // xmm and ymm state
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0 // AVX2
}

// useKernel says whether a product with rows×cols outputs and inner dimension k goes to
// the kernels.
func useKernel(rows, k, cols int) bool { return useAsm && rows >= 4 && cols >= 4 && k >= 1 }

// kernelNN computes c (m×n) += a (m×k) · b (k×n) with the kernel, if it applies.
func kernelNN(c, a, b []float64, m, k, n int) bool {
	if !useKernel(m, k, n) {
		return false
	}
	m4, n4 := m&^3, n&^3
	for i := 0; i < m4; i += 4 {
		gemmPanel(&c[i*n], n, &a[i*k], k, 1, &b[0], n, k, n4)
	}
	// The last n-n4 columns of the first m4 rows, then the last m-m4 rows.
	for i := 0; i < m4; i++ {
		ai := a[i*k : i*k+k]
		for j := n4; j < n; j++ {
			s := 0.0
			for l, x := range ai {
				s += x * b[l*n+j]
			}
			c[i*n+j] += s
		}
	}
	for i := m4; i < m; i++ {
		ci := c[i*n : i*n+n]
		for l, x := range a[i*k : i*k+k] {
			for j, y := range b[l*n : l*n+n] {
				ci[j] += x * y
			}
		}
	}
	return true
}

// kernelTN computes c (k×n) += aᵀ · b with a (m×k), b (m×n) with the kernel, if it
// applies.
func kernelTN(c, a, b []float64, m, k, n int) bool {
	if !useKernel(k, m, n) {
		return false
	}
	k4, n4 := k&^3, n&^3
	for i := 0; i < k4; i += 4 {
		gemmPanel(&c[i*n], n, &a[i], 1, k, &b[0], n, m, n4)
	}
	for i := 0; i < k4; i++ {
		for j := n4; j < n; j++ {
			s := 0.0
			for r := 0; r < m; r++ {
				s += a[r*k+i] * b[r*n+j]
			}
			c[i*n+j] += s
		}
	}
	for i := k4; i < k; i++ {
		ci := c[i*n : i*n+n]
		for r := 0; r < m; r++ {
			x := a[r*k+i]
			for j, y := range b[r*n : r*n+n] {
				ci[j] += x * y
			}
		}
	}
	return true
}

// vecTanh writes y[i] = tanh(x[i]) for the first len(x) rounded down to a multiple of 4
// elements and returns that count.
func vecTanh(y, x []float64) int {
	n := len(x) &^ 3
	if !useAsm || n == 0 {
		return 0
	}
	_ = y[n-1]
	tanhAVX2(&y[0], &x[0], n)
	return n
}

// vecSoftplus is vecTanh for softplus.
func vecSoftplus(y, x []float64) int {
	n := len(x) &^ 3
	if !useAsm || n == 0 {
		return 0
	}
	_ = y[n-1]
	softplusAVX2(&y[0], &x[0], n)
	return n
}

// vecMulSoftplusDeriv multiplies g[i] by softplus'(u[i]) given h = softplus(u), for the
// first len(g) rounded down to a multiple of 4 elements, and returns that count.
func vecMulSoftplusDeriv(g, u, h []float64) int {
	n := len(g) &^ 3
	if !useAsm || n == 0 {
		return 0
	}
	_, _ = u[n-1], h[n-1]
	mulSoftplusDerivAVX2(&g[0], &u[0], &h[0], n)
	return n
}
