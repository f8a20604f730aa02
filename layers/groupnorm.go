package layers

import "math"

// Group normalisation (Wu and He 2018) on NCHW images: for each sample and each group of
// cpg = C/groups consecutive channels (cpg*H*W contiguous values) with mean mu and
// biased variance var,
//
//	xhat = (x - mu) / sqrt(var + eps),   y = xhat * gamma[c] + beta[c].
//
// Its vector-Jacobian product, with gh = gy * gamma[c] and means over the group:
//
//	dx = (gh - mean(gh) - xhat * mean(gh * xhat)) / sqrt(var + eps),
//	dgamma[c] = sum over samples and pixels of gy * xhat,  dbeta[c] = sum of gy.

// groupNormForward normalises the batch images of x into y, keeping xhat and the
// reciprocal standard deviations rstd (batch x groups).
func groupNormForward(y, xhat, rstd, x, gamma, beta []float64, batch, c, hw, groups int) {
	cpg := c / groups
	n := cpg * hw
	for b := 0; b < batch; b++ {
		for g := 0; g < groups; g++ {
			off := (b*c + g*cpg) * hw
			xs := x[off : off+n]
			var sum float64
			for _, v := range xs {
				sum += v
			}
			mu := sum / float64(n)
			var ss float64
			for _, v := range xs {
				dv := v - mu
				ss += dv * dv
			}
			r := 1 / math.Sqrt(ss/float64(n)+groupNormEps)
			rstd[b*groups+g] = r
			xh := xhat[off : off+n]
			ys := y[off : off+n]
			for j := 0; j < cpg; j++ {
				ch := g*cpg + j
				gm, bt := gamma[ch], beta[ch]
				xhj, xsj, ysj := xh[j*hw:j*hw+hw], xs[j*hw:j*hw+hw], ys[j*hw:j*hw+hw]
				for i, v := range xsj {
					h := (v - mu) * r
					xhj[i] = h
					ysj[i] = h*gm + bt
				}
			}
		}
	}
}

// groupNormBackward is the VJP of groupNormForward for the cotangent gy: dx (if not nil)
// is overwritten, and dgamma, dbeta (if not nil) are overwritten with the sums over the
// batch. dx may be gy.
func groupNormBackward(dx, dgamma, dbeta, gy, xhat, rstd, gamma []float64, batch, c, hw, groups int) {
	cpg := c / groups
	n := cpg * hw
	if dgamma != nil {
		clear(dgamma[:c])
		clear(dbeta[:c])
		for b := 0; b < batch; b++ {
			for ch := 0; ch < c; ch++ {
				off := (b*c + ch) * hw
				gs, xh := gy[off:off+hw], xhat[off:off+hw]
				var sg, sgx float64
				for i, v := range gs {
					sg += v
					sgx += v * xh[i]
				}
				dgamma[ch] += sgx
				dbeta[ch] += sg
			}
		}
	}
	if dx == nil {
		return
	}
	inv := 1 / float64(n)
	for b := 0; b < batch; b++ {
		for g := 0; g < groups; g++ {
			off := (b*c + g*cpg) * hw
			var m1, m2 float64
			for j := 0; j < cpg; j++ {
				gm := gamma[g*cpg+j]
				gs, xh := gy[off+j*hw:off+j*hw+hw], xhat[off+j*hw:off+j*hw+hw]
				var s1, s2 float64
				for i, v := range gs {
					s1 += v
					s2 += v * xh[i]
				}
				m1 += gm * s1
				m2 += gm * s2
			}
			m1 *= inv
			m2 *= inv
			r := rstd[b*groups+g]
			for j := 0; j < cpg; j++ {
				gm := gamma[g*cpg+j]
				gs, xh := gy[off+j*hw:off+j*hw+hw], xhat[off+j*hw:off+j*hw+hw]
				ds := dx[off+j*hw : off+j*hw+hw]
				for i, v := range gs {
					ds[i] = r * (gm*v - m1 - xh[i]*m2)
				}
			}
		}
	}
}
