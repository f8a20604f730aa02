//go:build !amd64 || purego

package layers

// Without the assembly kernels every product takes the portable loops of gemm.go.

func useKernel(m, k, n int) bool                   { return false }
func kernelNN(c, a, b []float64, m, k, n int) bool { return false }
func kernelTN(c, a, b []float64, m, k, n int) bool { return false }
