//go:build amd64 && !purego

package kernels

//go:generate go run gen_vmath.go

// The vector kernels of vmath_amd64.s (see gen_vmath.go): n a multiple of the width (8
// for the Z forms, 4 for the Y forms); each returns the index of the first vector it
// leaves to the scalar function, or n.

//go:noescape
func expZ(y, x *float64, n int) int

//go:noescape
func tanhZ(y, x *float64, n int) int

//go:noescape
func sigmoidZ(y, x *float64, n int) int

//go:noescape
func softplusZ(y, x *float64, n int) int

//go:noescape
func expY(y, x *float64, n int) int

//go:noescape
func tanhY(y, x *float64, n int) int

//go:noescape
func sigmoidY(y, x *float64, n int) int

//go:noescape
func softplusY(y, x *float64, n int) int

// vecWidth returns the number of doubles in a vector of the kernels, 0 without them.
func vecWidth() int {
	switch {
	case hasAVX512:
		return 8
	case hasAVX2:
		return 4
	}
	return 0
}

// vec runs the kernel of fn (direct calls, so that nothing escapes).
func vec(fn int, y, x []float64) int {
	if len(x) == 0 {
		return 0
	}
	py, px, n := &y[0], &x[0], len(x)
	if hasAVX512 {
		switch fn {
		case fnExp:
			return expZ(py, px, n)
		case fnTanh:
			return tanhZ(py, px, n)
		case fnSigmoid:
			return sigmoidZ(py, px, n)
		default:
			return softplusZ(py, px, n)
		}
	}
	switch fn {
	case fnExp:
		return expY(py, px, n)
	case fnTanh:
		return tanhY(py, px, n)
	case fnSigmoid:
		return sigmoidY(py, px, n)
	default:
		return softplusY(py, px, n)
	}
}
