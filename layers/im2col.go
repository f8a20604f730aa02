package layers

// im2col and col2im: the unfolding of convolution patches into the rows of a matrix, so
// that a convolution is one matrix product (Chellapilla et al. 2006). Images are NCHW;
// row r = (sample, oy, ox) of the matrix holds the patch of output pixel (oy, ox), its
// column ((ci*k)+ky)*k+kx the input channel ci (the t channel first for ConcatConv2d) at
// kernel offset (ky, kx): the layout of PyTorch's weight (out, in, k, k) flattened.

// im2col writes the patch rows of samples [b0, b0+nb) of x (NCHW, batch x c*h*w) into
// col (nb*oh*ow x kc). The t channel, when d.hasT, holds t inside the image and 0 in the
// padding.
func (d *convDef) im2col(col, x []float64, t float64, b0, nb int) {
	k, s, p := d.Kernel, d.Stride, d.Padding
	c, h, w, oh, ow, kc := d.c, d.h, d.w, d.oh, d.ow, d.kc
	hw := h * w
	for bi := 0; bi < nb; bi++ {
		xs := x[(b0+bi)*c*hw : (b0+bi+1)*c*hw]
		for oy := 0; oy < oh; oy++ {
			iy0 := oy*s - p
			for ox := 0; ox < ow; ox++ {
				ix0 := ox*s - p
				row := col[((bi*oh+oy)*ow+ox)*kc : ((bi*oh+oy)*ow+ox+1)*kc]
				idx := 0
				inner := ix0 >= 0 && ix0+k <= w
				if d.hasT {
					for ky := 0; ky < k; ky++ {
						iy := iy0 + ky
						for kx := 0; kx < k; kx++ {
							ix := ix0 + kx
							v := 0.0
							if iy >= 0 && iy < h && ix >= 0 && ix < w {
								v = t
							}
							row[idx] = v
							idx++
						}
					}
				}
				for ci := 0; ci < c; ci++ {
					xc := xs[ci*hw : ci*hw+hw]
					for ky := 0; ky < k; ky++ {
						iy := iy0 + ky
						dst := row[idx : idx+k]
						idx += k
						if iy < 0 || iy >= h {
							clear(dst)
							continue
						}
						src := xc[iy*w : iy*w+w]
						if inner {
							copy(dst, src[ix0:ix0+k])
							continue
						}
						for kx := range dst {
							ix := ix0 + kx
							if ix >= 0 && ix < w {
								dst[kx] = src[ix]
							} else {
								dst[kx] = 0
							}
						}
					}
				}
			}
		}
	}
}

// col2im adds the patch rows of dcol (nb*oh*ow x kc) back into the images of samples
// [b0, b0+nb) of dx (the adjoint of im2col); the t channel's columns are dropped.
func (d *convDef) col2im(dx, dcol []float64, b0, nb int) {
	k, s, p := d.Kernel, d.Stride, d.Padding
	c, h, w, oh, ow, kc := d.c, d.h, d.w, d.oh, d.ow, d.kc
	hw := h * w
	skip := 0
	if d.hasT {
		skip = k * k
	}
	for bi := 0; bi < nb; bi++ {
		xs := dx[(b0+bi)*c*hw : (b0+bi+1)*c*hw]
		for oy := 0; oy < oh; oy++ {
			iy0 := oy*s - p
			for ox := 0; ox < ow; ox++ {
				ix0 := ox*s - p
				row := dcol[((bi*oh+oy)*ow+ox)*kc+skip : ((bi*oh+oy)*ow+ox+1)*kc]
				inner := ix0 >= 0 && ix0+k <= w
				idx := 0
				for ci := 0; ci < c; ci++ {
					xc := xs[ci*hw : ci*hw+hw]
					for ky := 0; ky < k; ky++ {
						iy := iy0 + ky
						src := row[idx : idx+k]
						idx += k
						if iy < 0 || iy >= h {
							continue
						}
						dst := xc[iy*w : iy*w+w]
						if inner {
							dst = dst[ix0 : ix0+k]
							for kx, v := range src {
								dst[kx] += v
							}
							continue
						}
						for kx, v := range src {
							ix := ix0 + kx
							if ix >= 0 && ix < w {
								dst[ix] += v
							}
						}
					}
				}
			}
		}
	}
}
