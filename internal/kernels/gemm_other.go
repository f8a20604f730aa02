//go:build !amd64 || purego

package kernels

func gemmAsm(c []float64, ldc int, a []float64, rsa, csa int, b []float64, ldb int, bias []float64, m, k, n, mode int) bool {
	return false
}

func gemmNTAsm(c, a, b []float64, m, n, k, mode int) bool { return false }

func dot4(c []float64, ldc int, a []float64, lda int, b, bias []float64, m, k, mode int) bool {
	return false
}
