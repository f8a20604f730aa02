package layers

// im2col and col2im: the unfolding of convolution patches into a matrix, so that a
// convolution is one matrix product (Chellapilla et al. 2006; Caffe's layout). Images are
// NCHW. For a block of nb samples the patch matrix has kc rows and nb*oh*ow columns: row
// ((ci*k)+ky)*k+kx is input channel ci (the t channel first for ConcatConv2d) at kernel
// offset (ky, kx), the layout of PyTorch's weight (out, in, k, k) flattened; column
// (bi*oh+oy)*ow+ox is output pixel (oy, ox) of sample bi. Each row is filled by runs of
// contiguous copies along the image rows.

// oxRange is the range [lo, hi) of output columns ox whose input column ox*s-p+kx lies
// in [0, w).
func oxRange(kx, s, p, w, ow int) (lo, hi int) {
	// ox*s >= p-kx and ox*s <= w-1+p-kx
	lo = 0
	if p-kx > 0 {
		lo = (p - kx + s - 1) / s
	}
	hi = 0
	if w-1+p-kx >= 0 {
		hi = (w-1+p-kx)/s + 1
	}
	return min(lo, ow), max(min(hi, ow), min(lo, ow))
}

// im2col writes the patch matrix of samples [b0, b0+nb) of x (NCHW, batch x c*h*w) into
// col (kc x nb*oh*ow). The t channel, when d.hasT, holds t inside the image and 0 in the
// padding.
func (d *convDef) im2col(col, x []float64, t float64, b0, nb int) {
	k, s, p := d.Kernel, d.Stride, d.Padding
	c, h, w, oh, ow := d.c, d.h, d.w, d.oh, d.ow
	hw, ohw := h*w, oh*ow
	n := nb * ohw
	ci0 := 0
	if d.hasT {
		ci0 = -1
	}
	r := 0
	for ci := ci0; ci < c; ci++ {
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				row := col[r*n : r*n+n]
				r++
				lo, hi := oxRange(kx, s, p, w, ow)
				if ci < 0 {
					for bi := 0; bi < nb; bi++ {
						for oy := 0; oy < oh; oy++ {
							dst := row[(bi*oh+oy)*ow : (bi*oh+oy+1)*ow]
							iy := oy*s - p + ky
							v := t
							if iy < 0 || iy >= h {
								v = 0
							}
							for j := range dst {
								if j >= lo && j < hi {
									dst[j] = v
								} else {
									dst[j] = 0
								}
							}
						}
					}
					continue
				}
				shift := kx - p // input column of output column ox is ox*s + shift
				for bi := 0; bi < nb; bi++ {
					xc := x[((b0+bi)*c+ci)*hw : ((b0+bi)*c+ci+1)*hw]
					blk := row[bi*ohw : (bi+1)*ohw]
					for oy := 0; oy < oh; oy++ {
						dst := blk[oy*ow : oy*ow+ow]
						iy := oy*s - p + ky
						if iy < 0 || iy >= h {
							for j := range dst {
								dst[j] = 0
							}
							continue
						}
						src := xc[iy*w : iy*w+w]
						for j := 0; j < lo; j++ {
							dst[j] = 0
						}
						if s == 1 {
							seg, in := dst[lo:hi], src[lo+shift:hi+shift]
							for j := range seg {
								seg[j] = in[j]
							}
						} else {
							for j := lo; j < hi; j++ {
								dst[j] = src[j*s+shift]
							}
						}
						for j := hi; j < ow; j++ {
							dst[j] = 0
						}
					}
				}
			}
		}
	}
}

// col2im adds the patch matrix dcol (kc x nb*oh*ow) back into the images of samples
// [b0, b0+nb) of dx (the adjoint of im2col); the t channel's rows are dropped.
func (d *convDef) col2im(dx, dcol []float64, b0, nb int) {
	k, s, p := d.Kernel, d.Stride, d.Padding
	c, h, w, oh, ow := d.c, d.h, d.w, d.oh, d.ow
	hw, ohw := h*w, oh*ow
	n := nb * ohw
	r := 0
	if d.hasT {
		r = k * k
	}
	for ci := 0; ci < c; ci++ {
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				row := dcol[r*n : r*n+n]
				r++
				lo, hi := oxRange(kx, s, p, w, ow)
				for bi := 0; bi < nb; bi++ {
					xc := dx[((b0+bi)*c+ci)*hw : ((b0+bi)*c+ci+1)*hw]
					for oy := 0; oy < oh; oy++ {
						iy := oy*s - p + ky
						if iy < 0 || iy >= h {
							continue
						}
						src := row[(bi*oh+oy)*ow+lo : (bi*oh+oy)*ow+hi]
						dst := xc[iy*w : iy*w+w]
						ix := lo*s - p + kx
						if s == 1 {
							dst = dst[ix : ix+len(src)]
							for j, v := range src {
								dst[j] += v
							}
							continue
						}
						for _, v := range src {
							dst[ix] += v
							ix += s
						}
					}
				}
			}
		}
	}
}
