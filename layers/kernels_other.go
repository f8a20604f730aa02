//go:build !amd64 || purego

package layers

// Without the assembly kernels every product and activation takes the portable loops.

// useAsm is false: there are no kernels. (A variable, as on amd64, for the tests.)
var useAsm = false

func useKernel(rows, k, cols int) bool             { return false }
func kernelNN(c, a, b []float64, m, k, n int) bool { return false }
func kernelTN(c, a, b []float64, m, k, n int) bool { return false }
func vecTanh(y, x []float64) int                   { return 0 }
func vecSoftplus(y, x []float64) int               { return 0 }
func vecMulSoftplusDeriv(g, u, h []float64) int    { return 0 }
