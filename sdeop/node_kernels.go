package sdeop

// Elementwise kernels of the node's hot loops. Each reslices its arguments to the
// length of its first one, so that the compiler drops the bounds checks in the loop.

// mulTo writes x ⊙ w into dst.
func mulTo(dst, x, w []float64) {
	n := len(dst)
	x, w = x[:n], w[:n]
	for i := range dst {
		dst[i] = x[i] * w[i]
	}
}

// mulBy multiplies dst by w.
func mulBy(dst, w []float64) {
	w = w[:len(dst)]
	for i, v := range w {
		dst[i] *= v
	}
}

// subTwo subtracts a from x and b from y.
func subTwo(x, a, y, b []float64) {
	n := len(x)
	a, y, b = a[:n], y[:n], b[:n]
	for i := range x {
		x[i] -= a[i]
		y[i] -= b[i]
	}
}

// revCot computes, for the reversible Heun backward pass at grid point k,
//
//	yb = ybN + 2 yhbN + gk,  c = yhbN + ybN/2,  Fb = hk c + hmm yb,  Gb = dwk ⊙ c + dwkm ⊙ yb / 2
//
// (Gb only when it is not nil).
func revCot(yb, Fb, Gb, ybN, yhbN, gk, dwk, dwkm []float64, hk, hmm float64) {
	n := len(yb)
	Fb, ybN, yhbN, gk = Fb[:n], ybN[:n], yhbN[:n], gk[:n]
	if Gb == nil {
		for i := range yb {
			ybi := ybN[i] + 2*yhbN[i] + gk[i]
			yb[i] = ybi
			Fb[i] = hk*(yhbN[i]+0.5*ybN[i]) + hmm*ybi
		}
		return
	}
	Gb, dwk, dwkm = Gb[:n], dwk[:n], dwkm[:n]
	for i := range yb {
		ybi := ybN[i] + 2*yhbN[i] + gk[i]
		yb[i] = ybi
		c := yhbN[i] + 0.5*ybN[i]
		Fb[i] = hk*c + hmm*ybi
		Gb[i] = dwk[i]*c + 0.5*dwkm[i]*ybi
	}
}

// revAdj writes yhb += rest - yhbN.
func revAdj(yhb, rest, yhbN []float64) {
	n := len(yhb)
	rest, yhbN = rest[:n], yhbN[:n]
	for i := range yhb {
		yhb[i] += rest[i] - yhbN[i]
	}
}
