//go:build amd64 && !purego

package layers

// The AVX2/FMA kernel of kernels_amd64.s (the backward pass of softplus) and its
// dispatch; the matrix products and the activations themselves are in internal/kernels. Build with -tags purego to
// leave them out.

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
