//go:build !amd64 || purego

package kernels

// Without assembly every function takes its portable Go loop.
var (
	hasAVX2   = false
	hasAVX512 = false
)
