package kernels

// Lincomb sets dst = base + c[0]*x[0] + c[1]*x[1] + ... + c[k-1]*x[k-1] with k = len(c),
// each element summed left to right with a rounded multiply and a rounded add per term
// (no fused multiply-add), so that the vector kernels and the portable loop give the same
// bits. base == nil starts the sum at c[0]*x[0] (exactly 0 + c[0]*x[0]); base may be dst,
// and no x[j] may overlap dst unless it is dst itself at the same offset. It panics when a
// vector is shorter than dst or len(x) < len(c). It reports whether every element of dst
// is finite (neither NaN nor infinite), found along the way at no extra pass: the solvers
// use it to check the derivatives that a stage combination reads.
func Lincomb(dst, base, c []float64, x [][]float64) bool {
	n := len(dst)
	k := len(c)
	if len(x) < k {
		panic("kernels: Lincomb with fewer vectors than coefficients")
	}
	if base != nil && len(base) < n {
		panic("kernels: Lincomb base shorter than dst")
	}
	for j := 0; j < k; j++ {
		if len(x[j]) < n {
			panic("kernels: Lincomb vector shorter than dst")
		}
	}
	if base == nil && k == 0 {
		clear(dst)
		return true
	}
	if n == 0 {
		return true
	}
	done, ok := 0, true
	if k > 0 {
		done, ok = lincombVec(dst, base, c, x)
	}
	if done == n {
		return ok
	}
	lincombGo(dst[done:], base, c, x, done)
	return Finite(dst[done:]) && ok
}

// lincombGo is the portable loop over dst (which starts at element off of base and the
// x), one pass per term: each element gets the same roundings in the same order as in one
// pass, since every partial sum is rounded to float64 anyway.
func lincombGo(dst, base, c []float64, x [][]float64, off int) {
	n := len(dst)
	j := 0
	if base == nil {
		x0, c0 := x[0][off:off+n], c[0]
		for i, v := range x0 {
			dst[i] = c0 * v
		}
		j = 1
	} else if &base[off] != &dst[0] {
		copy(dst, base[off:off+n])
	}
	for ; j < len(c); j++ {
		xj, cj := x[j][off:off+n], c[j]
		for i, v := range xj {
			dst[i] += float64(cj * v) // the conversion forbids a fused multiply-add
		}
	}
}
