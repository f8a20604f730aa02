//go:build amd64 && !purego

package layers

func useKernel(m, k, n int) bool                   { return false }
func kernelNN(c, a, b []float64, m, k, n int) bool { return false }
func kernelTN(c, a, b []float64, m, k, n int) bool { return false }
