//go:build !amd64 || purego

package layers

// Without the assembly kernels every activation takes the portable loops.

// useAsm is false: there are no kernels. (A variable, as on amd64, for the tests.)
var useAsm = false

func vecMulSoftplusDeriv(g, u, h []float64) int { return 0 }
